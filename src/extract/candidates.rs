//! Candidate values for a field, and how one is chosen: the words a value was read
//! from, their OCR quality, the parsers for each field kind, and the pick among several.

use crate::config::doctype::{FieldKind, FieldSpec, Prefer};
use crate::document::Origin;
use crate::text::layout::{union, LWord, Line};
use crate::values::{self, DateOrder};
use rust_decimal::Decimal;

use super::form;
use super::letterhead::clean_name;

#[derive(Debug, Clone)]
pub(super) struct Candidate {
    pub(super) value: String,
    pub(super) raw: String,
    pub(super) page: u32,
    pub(super) bbox: [u32; 4],
    pub(super) score: f64,
    /// For money: the amount and the currency printed with it.
    pub(super) amount: Option<Decimal>,
    pub(super) currency: Option<&'static str>,
    pub(super) origin: Origin,
    /// The label it was found beside, as printed ("" when found without one).
    pub(super) label: String,
    /// Why it is a candidate at all, when that is not a listed label: given as the
    /// field's reason if it is chosen.
    pub(super) note: Option<String>,
    /// How it was found, how well its label matched (0 without one) and how well its
    /// words were read: the evidence the ranker weighs beside the score.
    pub(super) found: Found,
    pub(super) label_match: f64,
    pub(super) ocr: f64,
}

/// How a candidate was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Found {
    RightOfLabel,
    BelowLabel,
    /// Beside or under a label nobody listed but like a listed one.
    SimilarLabel,
    /// By scanning the page for the kind, without a label.
    #[default]
    Scanned,
    /// The letterhead's name or the address under it.
    Letterhead,
    /// The name over an address block (the addressee's, where a window shows it).
    AddressBlock,
    /// A fixed form's zone or a marked box.
    Zone,
}

/// Where a candidate value sat relative to its label.
pub(super) const RIGHT_OF_LABEL: f64 = 1.0;
pub(super) const BELOW_LABEL: f64 = 0.97;
/// Found by scanning the page, without a label.
pub(super) const UNLABELLED: f64 = 0.93;

/// Joined text of words, and the byte span of each word in it.
pub(super) fn joined(words: &[LWord]) -> (String, Vec<(usize, usize)>) {
    let mut text = String::new();
    let mut spans = Vec::with_capacity(words.len());
    for w in words {
        if !text.is_empty() {
            text.push(' ');
        }
        let s = text.len();
        text.push_str(&w.text);
        spans.push((s, text.len()));
    }
    (text, spans)
}

/// The words overlapping byte range `start..end` of the joined text.
pub(super) fn words_in(
    words: &[LWord],
    spans: &[(usize, usize)],
    start: usize,
    end: usize,
) -> Vec<LWord> {
    words
        .iter()
        .zip(spans)
        .filter(|(_, (s, e))| *s < end && *e > start)
        .map(|(w, _)| w.clone())
        .collect()
}

/// OCR quality of the words a value came from: the weakest word counts as much as
/// the average, since one misread character spoils a value.
pub(super) fn ocr_quality(words: &[LWord]) -> f64 {
    if words.is_empty() {
        return 0.0;
    }
    let mean = words.iter().map(|w| w.conf as f64).sum::<f64>() / words.len() as f64;
    let min = words.iter().map(|w| w.conf as f64).fold(1.0, f64::min);
    0.5 * mean + 0.5 * min
}

pub(super) fn candidate(value: String, words: Vec<LWord>) -> Candidate {
    let (raw, _) = joined(&words);
    let ocr = ocr_quality(&words);
    Candidate {
        value,
        raw,
        page: 0,
        bbox: union(&words),
        score: ocr,
        amount: None,
        currency: None,
        origin: Origin::Ocr,
        label: String::new(),
        note: None,
        found: Found::Scanned,
        label_match: 0.0,
        ocr,
    }
}

pub(super) fn parse_region(
    kind: FieldKind,
    spec: &FieldSpec,
    region: &[LWord],
    order: DateOrder,
    default_country: Option<&str>,
) -> Option<Candidate> {
    let (text, spans) = joined(region);
    let from_found = |start: usize, end: usize, value: String| {
        let words = words_in(region, &spans, start, end);
        candidate(value, words)
    };
    match kind {
        FieldKind::Date => {
            let f = values::parse_date(&text, order)?;
            Some(from_found(
                f.start,
                f.end,
                f.value.format("%Y-%m-%d").to_string(),
            ))
        }
        FieldKind::Money => {
            // OCR reads a decimal comma as ';' on noisy scans ("1.246;38").
            let text = text.replace(';', ",");
            let f = values::find_money(&text).into_iter().last()?;
            let value = values::format_money(f.value.amount, f.value.currency);
            let mut c = from_found(f.start, f.end, value);
            c.amount = Some(f.value.amount);
            c.currency = f.value.currency;
            if !has_minor_unit(&text[f.start..f.end]) {
                // Invoice amounts print their cents; a bare "20" is a quantity, a
                // percentage's remains or an amount whose separator was lost.
                c.score *= 0.6;
                c.amount = None;
            }
            Some(c)
        }
        FieldKind::Iban => {
            let f = values::find_iban(&text)?;
            Some(from_found(f.start, f.end, f.value))
        }
        FieldKind::VatId => {
            let f = values::find_vat_id(&text, default_country)?;
            Some(doubt_repaired_vat_id(from_found(f.start, f.end, f.value)))
        }
        FieldKind::Bic => region
            .iter()
            .find_map(|w| values::normalize_bic(&w.text).map(|v| candidate(v, vec![w.clone()]))),
        FieldKind::Identifier => region.iter().find_map(|w| {
            let v = w
                .text
                .trim_matches(|c: char| matches!(c, ':' | ',' | ';' | '(' | ')'));
            let ok = spec
                .pattern
                .as_ref()
                .map_or(!v.is_empty(), |p| p.is_match(v));
            ok.then(|| {
                let mut c = candidate(v.to_string(), vec![w.clone()]);
                if ambiguous_glyphs(v) {
                    // "INVO10068" or "INV010068"? O/0 and I/l/1 next to digits are where
                    // OCR misreads identifiers, and no checksum tells.
                    c.score *= 0.9;
                }
                c
            })
        }),
        FieldKind::Text => {
            // Up to the first column gap: the rest of the row is another column.
            let mut first_seg: Vec<LWord> = Vec::new();
            for w in region {
                if let Some(prev) = first_seg.last() {
                    let h = (prev.bbox[3] - prev.bbox[1]).max(w.bbox[3] - w.bbox[1]) as f32;
                    if w.bbox[0] as f32 - prev.bbox[2] as f32 > 1.6 * h {
                        break;
                    }
                }
                first_seg.push(w.clone());
            }
            let raw = joined(&first_seg).0;
            if raw.ends_with(':') {
                // "Kundennummer:" under "Kunde" is the next label, not the value.
                return None;
            }
            let text = clean_name(&raw);
            (!text.is_empty() && text.chars().any(char::is_alphabetic))
                .then(|| candidate(text, first_seg))
        }
        FieldKind::Number | FieldKind::Integer => {
            let f = values::find_number(&text, kind == FieldKind::Integer)?;
            Some(from_found(f.start, f.end, f.value.to_string()))
        }
        FieldKind::Currency
        | FieldKind::PartyName
        | FieldKind::PartyAddress
        | FieldKind::Checkbox
        | FieldKind::Signature
        | FieldKind::Choice => None,
    }
}

/// "1.234,56", "12.50", "1.234,-", "1204, 22" (OCR's space after the separator): the
/// amount shows its minor unit.
pub(super) fn has_minor_unit(raw: &str) -> bool {
    static RE: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"[.,] ?(\d{2}|-)(\D|$)").unwrap());
    RE.is_match(raw)
}

/// Candidates found anywhere on the pages by `find` (value, byte span) on each line.
pub(super) fn scan_lines(
    lines: &[Line],
    find: impl Fn(&str) -> Option<(usize, usize, String)>,
) -> Vec<Candidate> {
    let mut out = Vec::new();
    for line in lines {
        let (text, spans) = joined(&line.words);
        if let Some((s, e, v)) = find(&text) {
            let mut c = candidate(v, words_in(&line.words, &spans, s, e));
            c.page = line.page;
            c.score *= UNLABELLED;
            out.push(c);
        }
    }
    out
}

pub(super) fn box_candidate(b: form::BoxValue) -> Candidate {
    Candidate {
        raw: b.raw,
        value: b.value,
        page: b.page,
        bbox: b.bbox,
        score: b.confidence,
        amount: None,
        currency: None,
        origin: Origin::Ocr,
        label: String::new(),
        note: None,
        found: Found::Zone,
        label_match: 0.0,
        ocr: b.confidence,
    }
}

/// The index of the winning candidate of non-empty `cs` by `strength` (the score,
/// or the ranker's probability). `Last` takes, among those nearly as strong as the
/// best, the one printed last.
pub(super) fn pick(cs: &[Candidate], strength: &[f64], prefer: Prefer) -> usize {
    let best = (0..cs.len())
        .max_by(|&a, &b| strength[a].total_cmp(&strength[b]))
        .unwrap_or(0);
    match prefer {
        Prefer::Best => best,
        Prefer::Last => (0..cs.len())
            .filter(|&i| strength[i] >= strength[best] * 0.9)
            .max_by_key(|&i| (cs[i].page, cs[i].bbox[1]))
            .unwrap_or(best),
    }
}

/// Why a field holds the value it does, when the page offered others: each value
/// found with the label beside it and its score, and the rule that chose.
pub(super) fn choice_reasons(
    spec: &FieldSpec,
    cs: &[Candidate],
    chosen: Option<&Candidate>,
    by_sum: bool,
    ranked: Option<&str>,
) -> Vec<String> {
    let Some(chosen) = chosen else {
        return Vec::new();
    };
    let mut others: Vec<&Candidate> = Vec::new();
    for c in cs.iter().filter(|c| c.value != chosen.value) {
        if !others.iter().any(|o| o.value == c.value) {
            others.push(c);
        }
    }
    if others.is_empty() {
        return Vec::new();
    }
    let describe = |c: &Candidate| {
        if c.label.is_empty() {
            format!("{} ({:.2})", c.value, c.score)
        } else {
            format!("{} beside {:?} ({:.2})", c.value, c.label, c.score)
        }
    };
    let rule = if by_sum {
        "the amounts that add up in the type's sum check".to_string()
    } else if let Some(ranked) = ranked {
        ranked.to_string()
    } else {
        match spec.prefer {
            Prefer::Last => {
                "prefer = \"last\": of the values within 90 % of the best score, the one printed last".to_string()
            }
            Prefer::Best => "the best score (label match × where the value sat × OCR quality)".to_string(),
        }
    };
    let mut out = vec![format!("chose {}: {rule}", describe(chosen))];
    out.extend(
        others
            .iter()
            .take(4)
            .map(|c| format!("not {}", describe(c))),
    );
    out
}

/// A letter that OCR confuses with a digit (O/0, I/l/1, S/5, B/8) standing next to a digit.
/// A VAT id whose printed characters are not the value's (`NLO80719028B01` read
/// as NL080719028B01): the letters taken for digits are a guess no checksum
/// confirms outside Denmark, so the value is doubted and says why.
pub(super) fn doubt_repaired_vat_id(mut c: Candidate) -> Candidate {
    let printed: String = c
        .raw
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_uppercase();
    if !c.value.ends_with(&printed) {
        c.score *= 0.9;
        c.note.get_or_insert_with(|| {
            format!(
                "read as {}: letters among the digits of {:?} taken for the digits they resemble",
                c.value, c.raw
            )
        });
    }
    c
}

pub(super) fn ambiguous_glyphs(id: &str) -> bool {
    let chars: Vec<char> = id.chars().collect();
    chars.iter().enumerate().any(|(i, c)| {
        matches!(c, 'O' | 'o' | 'I' | 'l' | 'S' | 'B' | 'Z')
            && (i > 0 && chars[i - 1].is_ascii_digit()
                || chars.get(i + 1).is_some_and(|n| n.is_ascii_digit()))
    })
}
