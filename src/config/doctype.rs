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
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Classify {
        #[serde(default = "default_min_conf")]
        pub min_confidence: f64,
        pub cues: Vec<Cue>,
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
        /// `earlier <= later`.
        DateOrder {
            code: String,
            earlier: String,
            later: String,
        },
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
    pub fields: Vec<FieldSpec>,
    pub checks: Vec<CheckSpec>,
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
        let mut labels = Vec::new();
        for (lang, list) in &f.labels {
            for label in list {
                let toks = label_tokens(label);
                if toks.is_empty() {
                    return Err(invalid(key("labels"), format!("empty label in {lang}")));
                }
                labels.push((lang.clone(), toks));
            }
        }
        let needs_labels = !matches!(
            f.kind,
            FieldKind::PartyName | FieldKind::Iban | FieldKind::Currency | FieldKind::VatId
        );
        if f.extract && needs_labels && labels.is_empty() {
            return Err(invalid(
                key("labels"),
                "a field of this kind is found by its label: give at least one".into(),
            ));
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
            } => {
                field_named(key.clone(), &earlier, &[FieldKind::Date])?;
                field_named(key.clone(), &later, &[FieldKind::Date])?;
                CheckSpec::DateOrder {
                    code,
                    earlier,
                    later,
                }
            }
        });
    }
    let cues = file
        .classify
        .cues
        .into_iter()
        .map(|c| Cue {
            phrases: c.words.iter().map(|w| label_tokens(w)).collect(),
            weight: c.weight,
        })
        .collect();
    Ok(DocType {
        name: file.name,
        description: file.description,
        document_threshold: file.document_threshold,
        min_confidence: file.classify.min_confidence,
        cues,
        fields,
        checks,
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
