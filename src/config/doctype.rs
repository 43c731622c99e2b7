//! Document types: one TOML file per type under `config/doctypes/`.
//!
//! A type file holds what the classifier looks for (cue words with weights), the
//! fields with their value kind, label synonyms per language and confidence
//! thresholds, and the arithmetic/date checks that tie fields together. Adding a type
//! is adding a file, not code.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{ConfigError, BUILTIN_DOCTYPES};

/// What kind of value a field holds; decides the parser and the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// Free text to the right of / below a label.
    Text,
    /// A reference such as an invoice number: one token-ish run with digits.
    Identifier,
    Date,
    Money,
    Currency,
    Iban,
    Bic,
    VatId,
    /// The issuing party's name: found by position (letterhead), not by label.
    PartyName,
    /// The issuing party's address: the lines under its name in the letterhead,
    /// joined with ", ".
    PartyAddress,
    /// A plain decimal number (hours, a quantity): `37.5`, `160`, trailing zeros dropped.
    Number,
    /// A whole number.
    Integer,
    /// A printed box ticked, crossed or filled (`"true"`) or left empty (`"false"`),
    /// read from the page image: the box beside the label, or in the zone.
    Checkbox,
    /// A signature box holding handwriting (`"true"`) or empty (`"false"`).
    Signature,
    /// One of `options`, chosen by the marked box beside the option's printed text.
    Choice,
}

impl FieldKind {
    /// Kinds whose value is read from a mark on the page image, not from words.
    pub fn is_mark(self) -> bool {
        matches!(
            self,
            FieldKind::Checkbox | FieldKind::Signature | FieldKind::Choice
        )
    }
}

/// Which of several labelled candidates of similar strength wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prefer {
    /// The strongest candidate (ties: the first on the page).
    #[default]
    Best,
    /// The last one printed: a receipt's "TOTAL TO PAY" after "TOTAL" and "ROUNDING".
    Last,
}

mod raw {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct File {
        pub name: String,
        #[serde(default)]
        pub description: String,
        pub classify: Classify,
        #[serde(default = "default_threshold")]
        pub threshold: f64,
        /// Auto-post only when the product of the read fields' confidences — the
        /// estimated chance that every field is right — is at least this.
        #[serde(default)]
        pub document_threshold: f64,
        pub fields: Vec<Field>,
        #[serde(default)]
        pub checks: Vec<Check>,
        /// A fixed form: printed texts that find it on the page, for fields with a `zone`.
        pub form: Option<Form>,
        /// Read the item rows above the totals.
        pub line_items: Option<LineItems>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct LineItems {
        /// Money fields whose labels end the item list, and one of whose printed
        /// amounts the items must add up to.
        pub until: Vec<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Form {
        pub anchors: Vec<Anchor>,
        /// Weight each anchor found adds to the classification score.
        #[serde(default = "default_anchor_weight")]
        pub anchor_weight: f64,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Anchor {
        pub text: String,
        /// Where the text sits on the reference sample, `[x0, y0, x1, y1]` in pixels
        /// at 300 dpi.
        #[serde(rename = "box")]
        pub bbox: [f64; 4],
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct ChoiceOption {
        pub value: String,
        pub labels: BTreeMap<String, Vec<String>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Classify {
        #[serde(default = "default_min_conf")]
        pub min_confidence: f64,
        pub cues: Vec<Cue>,
        /// Weight added when the first page is at most 120 mm wide (till receipts).
        #[serde(default)]
        pub narrow_page: f64,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Cue {
        pub words: Vec<String>,
        pub weight: f64,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Field {
        pub name: String,
        pub kind: FieldKind,
        #[serde(default)]
        pub required: bool,
        pub threshold: Option<f64>,
        #[serde(default)]
        pub labels: BTreeMap<String, Vec<String>>,
        pub pattern: Option<String>,
        /// Words that, found in a label's line, mean the label is not this field's.
        #[serde(default)]
        pub exclude: Vec<String>,
        /// `false` keeps the field in the output schema (always `null`) without
        /// trying to extract it yet.
        #[serde(default = "yes")]
        pub extract: bool,
        /// Fixed forms: where the value sits on the reference sample, `[x0, y0, x1, y1]`
        /// in pixels at 300 dpi; found on a page through the form's anchors.
        pub zone: Option<[f64; 4]>,
        /// `choice` fields: the values and the printed text beside each one's box.
        #[serde(default)]
        pub options: Vec<ChoiceOption>,
        #[serde(default)]
        pub prefer: Prefer,
        /// When no label is found: for a date, the first date printed anywhere on the
        /// pages (a till receipt prints its date bare at the top); for text, the name
        /// over the address block in the upper part of the first page that is not the
        /// letterhead's (the addressee, where a window envelope shows it).
        #[serde(default)]
        pub unlabelled: bool,
        /// Labels that say the page holds such a value without the value being read
        /// from them: the buyer's reference ("Your reference", "Vs. riferimento") is
        /// mostly its order number, but not always. Never extracted from; an empty
        /// field beside one of them is held for a person (`null_contradicted`). All of
        /// a hint's words must be in the key, the possessive too.
        #[serde(default)]
        pub hints: BTreeMap<String, Vec<String>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, tag = "kind", rename_all = "snake_case")]
    pub enum Check {
        /// `sum(parts) == total` within `tolerance`.
        Sum {
            code: String,
            parts: Vec<String>,
            total: String,
            #[serde(default = "default_tolerance")]
            tolerance: String,
        },
        /// `earlier <= later` (`earlier < later` when `strict`).
        DateOrder {
            code: String,
            earlier: String,
            later: String,
            #[serde(default)]
            strict: bool,
        },
        /// A checkbox or signature field must be `true`: the form is signed.
        IsTrue { code: String, field: String },
        /// `product(factors) == total` within `tolerance`: hours × rate = gross.
        Product {
            code: String,
            factors: Vec<String>,
            total: String,
            #[serde(default = "default_tolerance")]
            tolerance: String,
        },
    }

    fn default_anchor_weight() -> f64 {
        3.0
    }

    fn default_threshold() -> f64 {
        0.9
    }
    fn default_min_conf() -> f64 {
        0.6
    }
    fn default_tolerance() -> String {
        "0.01".into()
    }
    fn yes() -> bool {
        true
    }
}

#[derive(Debug, Clone)]
pub struct DocType {
    pub name: String,
    pub description: String,
    pub document_threshold: f64,
    pub min_confidence: f64,
    pub cues: Vec<Cue>,
    /// Classification weight of a page at most 120 mm wide.
    pub narrow_page: f64,
    pub fields: Vec<FieldSpec>,
    pub checks: Vec<CheckSpec>,
    pub form: Option<FormSpec>,
    /// Indexes into `fields` of the money fields that end the item list (and that the
    /// items add up to); `None` when the type reads no line items.
    pub line_items: Option<Vec<usize>>,
}

impl DocType {
    /// Whether a field of this type is read from a mark (a checkbox, a signature box, a
    /// choice of boxes): only then are the pages' marks looked for.
    pub fn reads_marks(&self) -> bool {
        self.fields.iter().any(|f| f.kind.is_mark())
    }
}

/// A fixed form's anchors: printed texts whose place on the page maps the reference
/// sample's coordinates onto the page.
#[derive(Debug, Clone)]
pub struct FormSpec {
    pub anchors: Vec<AnchorSpec>,
    pub anchor_weight: f64,
}

#[derive(Debug, Clone)]
pub struct AnchorSpec {
    pub text: String,
    pub tokens: Vec<String>,
    pub bbox: [f64; 4],
}

#[derive(Debug, Clone)]
pub struct ChoiceSpec {
    pub value: String,
    /// (language, label tokens).
    pub labels: Vec<(String, Vec<String>)>,
}
#[derive(Debug, Clone)]
pub struct Cue {
    /// Lower-case word sequences, each split into tokens.
    pub phrases: Vec<Vec<String>>,
    pub weight: f64,
}

#[derive(Debug, Clone)]
pub struct FieldSpec {
    pub name: String,
    pub kind: FieldKind,
    pub required: bool,
    pub threshold: f64,
    /// (language, label tokens), normalised by [`label_tokens`].
    pub labels: Vec<(String, Vec<String>)>,
    pub pattern: Option<regex::Regex>,
    pub exclude: Vec<String>,
    pub extract: bool,
    pub zone: Option<[f64; 4]>,
    pub options: Vec<ChoiceSpec>,
    pub prefer: Prefer,
    /// Found without a label when none is on the page (dates; text: the addressee).
    pub unlabelled: bool,
    /// (language, tokens) of labels that say the page holds such a value, never read
    /// from (`null_contradicted`); normalised by [`label_tokens`].
    pub hints: Vec<(String, Vec<String>)>,
}

#[derive(Debug, Clone)]
pub enum CheckSpec {
    Sum {
        code: String,
        parts: Vec<String>,
        total: String,
        tolerance: rust_decimal::Decimal,
    },
    DateOrder {
        code: String,
        earlier: String,
        later: String,
        strict: bool,
    },
    Product {
        code: String,
        factors: Vec<String>,
        total: String,
        tolerance: rust_decimal::Decimal,
    },
    IsTrue {
        code: String,
        field: String,
    },
}

/// Lower-case, split on whitespace, strip punctuation at both ends of a token
/// (`"Fakturanr.:"` → `["fakturanr"]`). Labels and OCR words go through the same function.
pub fn label_tokens(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(normalize_token)
        .filter(|t| !t.is_empty())
        .collect()
}

pub fn normalize_token(word: &str) -> String {
    word.trim_matches(|c: char| !c.is_alphanumeric() && c != '#' && c != '%')
        .to_lowercase()
}

/// `{ en = ["Invoice no"], da = [...] }` as (language, tokens) pairs.
fn label_list(map: &BTreeMap<String, Vec<String>>) -> Result<Vec<(String, Vec<String>)>, String> {
    let mut labels = Vec::new();
    for (lang, list) in map {
        for label in list {
            let toks = label_tokens(label);
            if toks.is_empty() {
                return Err(format!("empty label in {lang}"));
            }
            labels.push((lang.clone(), toks));
        }
    }
    Ok(labels)
}

/// Built-in types (the files shipped in `config/doctypes/`, compiled in).
pub fn builtin() -> Result<Vec<DocType>, ConfigError> {
    BUILTIN_DOCTYPES
        .iter()
        .map(|(name, text)| parse(Path::new(&format!("<builtin {name}>")), text))
        .collect()
}

/// Every `*.toml` in `dir`, sorted by name; the built-ins when `dir` does not exist.
pub fn load_dir(dir: &Path) -> Result<Vec<DocType>, ConfigError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return builtin(),
        Err(source) => {
            return Err(ConfigError::Read {
                path: dir.to_path_buf(),
                source,
            })
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut out: Vec<DocType> = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let dt = parse(&path, &text)?;
        if out.iter().any(|d| d.name == dt.name) {
            return Err(ConfigError::Invalid {
                path,
                key: "name".into(),
                message: format!("document type {:?} is defined twice", dt.name),
            });
        }
        out.push(dt);
    }
    Ok(out)
}

pub fn parse(path: &Path, text: &str) -> Result<DocType, ConfigError> {
    let file: raw::File = toml::from_str(text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let invalid = |key: String, message: String| ConfigError::Invalid {
        path: path.to_path_buf(),
        key,
        message,
    };
    if file.name.is_empty()
        || !file
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '_')
    {
        return Err(invalid(
            "name".into(),
            "must be lower-case snake_case".into(),
        ));
    }
    let unit = |key: String, v: f64| {
        if (0.0..=1.0).contains(&v) {
            Ok(v)
        } else {
            Err(invalid(key, format!("must be within 0..=1, not {v}")))
        }
    };
    unit("threshold".into(), file.threshold)?;
    unit("document_threshold".into(), file.document_threshold)?;
    unit(
        "classify.min_confidence".into(),
        file.classify.min_confidence,
    )?;
    let mut fields = Vec::new();
    for (i, f) in file.fields.into_iter().enumerate() {
        let key = |k: &str| format!("fields[{i}] ({}).{k}", f.name);
        if fields.iter().any(|x: &FieldSpec| x.name == f.name) {
            return Err(invalid(key("name"), "defined twice".into()));
        }
        let threshold = unit(key("threshold"), f.threshold.unwrap_or(file.threshold))?;
        let pattern = f
            .pattern
            .as_deref()
            .map(regex::Regex::new)
            .transpose()
            .map_err(|e| invalid(key("pattern"), e.to_string()))?;
        let labels = label_list(&f.labels).map_err(|m| invalid(key("labels"), m))?;
        let hints = label_list(&f.hints).map_err(|m| invalid(key("hints"), m))?;
        let needs_labels = f.zone.is_none()
            && !matches!(
                f.kind,
                FieldKind::PartyName
                    | FieldKind::PartyAddress
                    | FieldKind::Iban
                    | FieldKind::Currency
                    | FieldKind::VatId
                    | FieldKind::Choice
            );
        if f.extract && needs_labels && labels.is_empty() {
            return Err(invalid(
                key("labels"),
                "a field of this kind is found by its label (or a form's `zone`): give at least one".into(),
            ));
        }
        let mut options = Vec::new();
        for (j, o) in f.options.iter().enumerate() {
            let labels = label_list(&o.labels)
                .map_err(|m| invalid(key(&format!("options[{j}].labels")), m))?;
            if labels.is_empty() && f.zone.is_none() {
                return Err(invalid(
                    key(&format!("options[{j}].labels")),
                    "an option is found by its printed text: give at least one".into(),
                ));
            }
            options.push(ChoiceSpec {
                value: o.value.clone(),
                labels,
            });
        }
        if (f.kind == FieldKind::Choice) == options.is_empty() {
            return Err(invalid(
                key("options"),
                "a `choice` field needs `options`, and only a `choice` field has them".into(),
            ));
        }
        if let Some(z) = f.zone {
            if file.form.is_none() {
                return Err(invalid(
                    key("zone"),
                    "a field with a `zone` needs the type's `[form]` anchors".into(),
                ));
            }
            if !(z[0] < z[2] && z[1] < z[3]) {
                return Err(invalid(
                    key("zone"),
                    "must be [x0, y0, x1, y1] with x0 < x1 and y0 < y1".into(),
                ));
            }
        }
        fields.push(FieldSpec {
            name: f.name,
            kind: f.kind,
            required: f.required,
            threshold,
            labels,
            pattern,
            exclude: f.exclude.iter().map(|w| normalize_token(w)).collect(),
            extract: f.extract,
            zone: f.zone,
            options,
            prefer: f.prefer,
            unlabelled: f.unlabelled,
            hints,
        });
    }
    let field_named = |key: String, name: &str, kinds: &[FieldKind]| -> Result<(), ConfigError> {
        match fields.iter().find(|f| f.name == name) {
            None => Err(invalid(key, format!("no field named {name:?}"))),
            Some(f) if !kinds.contains(&f.kind) => Err(invalid(
                key,
                format!("field {name:?} is {:?}, expected one of {kinds:?}", f.kind),
            )),
            Some(_) => Ok(()),
        }
    };
    let mut checks = Vec::new();
    for (i, c) in file.checks.into_iter().enumerate() {
        let key = format!("checks[{i}]");
        checks.push(match c {
            raw::Check::Sum {
                code,
                parts,
                total,
                tolerance,
            } => {
                for p in parts.iter().chain(std::iter::once(&total)) {
                    field_named(key.clone(), p, &[FieldKind::Money])?;
                }
                let tolerance = tolerance
                    .parse()
                    .map_err(|e| invalid(format!("{key}.tolerance"), format!("{e}")))?;
                CheckSpec::Sum {
                    code,
                    parts,
                    total,
                    tolerance,
                }
            }
            raw::Check::DateOrder {
                code,
                earlier,
                later,
                strict,
            } => {
                field_named(key.clone(), &earlier, &[FieldKind::Date])?;
                field_named(key.clone(), &later, &[FieldKind::Date])?;
                CheckSpec::DateOrder {
                    code,
                    earlier,
                    later,
                    strict,
                }
            }
            raw::Check::IsTrue { code, field } => {
                field_named(
                    key.clone(),
                    &field,
                    &[FieldKind::Checkbox, FieldKind::Signature],
                )?;
                CheckSpec::IsTrue { code, field }
            }
            raw::Check::Product {
                code,
                factors,
                total,
                tolerance,
            } => {
                let numeric = [FieldKind::Money, FieldKind::Number, FieldKind::Integer];
                for p in factors.iter().chain(std::iter::once(&total)) {
                    field_named(key.clone(), p, &numeric)?;
                }
                let tolerance = tolerance
                    .parse()
                    .map_err(|e| invalid(format!("{key}.tolerance"), format!("{e}")))?;
                CheckSpec::Product {
                    code,
                    factors,
                    total,
                    tolerance,
                }
            }
        });
    }
    let cues: Vec<Cue> = file
        .classify
        .cues
        .into_iter()
        .map(|c| Cue {
            phrases: c.words.iter().map(|w| label_tokens(w)).collect(),
            weight: c.weight,
        })
        .collect();
    let mut cues = cues;
    let form = match file.form {
        None => None,
        Some(f) => {
            let mut anchors = Vec::new();
            for (i, a) in f.anchors.into_iter().enumerate() {
                let tokens = label_tokens(&a.text);
                if tokens.is_empty() || !(a.bbox[0] < a.bbox[2] && a.bbox[1] < a.bbox[3]) {
                    return Err(invalid(
                        format!("form.anchors[{i}]"),
                        "needs a `text` and a `box` [x0, y0, x1, y1]".into(),
                    ));
                }
                anchors.push(AnchorSpec {
                    text: a.text,
                    tokens,
                    bbox: a.bbox,
                });
            }
            if anchors.is_empty() {
                return Err(invalid(
                    "form.anchors".into(),
                    "a form needs at least one anchor".into(),
                ));
            }
            // The printed texts that place the form also say which form it is.
            cues.extend(anchors.iter().map(|a| Cue {
                phrases: vec![a.tokens.clone()],
                weight: f.anchor_weight,
            }));
            Some(FormSpec {
                anchors,
                anchor_weight: f.anchor_weight,
            })
        }
    };
    let line_items = match file.line_items {
        None => None,
        Some(li) => {
            let mut until = Vec::new();
            for name in &li.until {
                match fields.iter().position(|f| &f.name == name) {
                    Some(i)
                        if fields[i].kind == FieldKind::Money && !fields[i].labels.is_empty() =>
                    {
                        until.push(i)
                    }
                    _ => {
                        return Err(invalid(
                            "line_items.until".into(),
                            format!("{name:?} is not a money field with labels in this type"),
                        ))
                    }
                }
            }
            if until.is_empty() {
                return Err(invalid(
                    "line_items.until".into(),
                    "name the money fields whose labels end the item list".into(),
                ));
            }
            Some(until)
        }
    };
    Ok(DocType {
        name: file.name,
        description: file.description,
        document_threshold: file.document_threshold,
        min_confidence: file.classify.min_confidence,
        cues,
        narrow_page: file.classify.narrow_page,
        fields,
        checks,
        form,
        line_items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_invoice_parses() {
        let types = builtin().unwrap();
        let inv = types.iter().find(|t| t.name == "invoice").unwrap();
        let num = inv
            .fields
            .iter()
            .find(|f| f.name == "invoice_number")
            .unwrap();
        assert!(num
            .labels
            .iter()
            .any(|(l, t)| l == "da" && t == &["fakturanr"]));
        assert!(num
            .labels
            .iter()
            .any(|(l, t)| l == "de" && t == &["rechnungsnummer"]));
    }

    #[test]
    fn check_on_unknown_field_is_an_error() {
        let text = r#"
name = "x"
[classify]
cues = [{ words = ["x"], weight = 1.0 }]
[[fields]]
name = "total"
kind = "money"
labels = { en = ["total"] }
[[checks]]
kind = "sum"
code = "adds_up"
parts = ["subtotal"]
total = "total"
"#;
        let err = parse(Path::new("x.toml"), text).unwrap_err().to_string();
        assert_eq!(err, "x.toml: key `checks[0]`: no field named \"subtotal\"");
    }
}
