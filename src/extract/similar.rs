//! How much a printed key is like a field's labels: the bridge from a label nobody
//! listed ("Your order ref.", "Rg.-Datum", "Leistungsempfänger") to the field it names.
//!
//! Both sides lose the words that say nothing of a field (`your`, `no`, `number`,
//! `ihre`, `jeres`, `votre`, …). What remains is compared word by word: equal words,
//! one a prefix of the other (`bestellnr`/`bestellnummer`, `rech`/`rechnung` is too
//! short to tell), one inside the other as part of a compound (`rechnungsdatum` holds
//! `datum`), or one or two letters apart (a misread or a spelling variant). The score is
//! the share of both sides' words that found a partner, so a key that adds a word the
//! label lacks, or lacks one it has, scores less than an exact one: `order ref` against
//! `order no` is 2 of 3 words (0.67), `order date` against `order no` too, which is why
//! the field's kind must also fit the value before the pair is used.
//!
//! # Known failure modes
//! - Synonyms that share no letters (`Betrag` for a total listed as `Summe`) score 0: the
//!   vocabulary in the type files is what carries meaning across wordings.
//! - Short words are compared exactly only; an abbreviation that is not a prefix
//!   (`Fktnr`) is not matched.

use crate::config::FieldSpec;

/// Words that tell nothing about which field a label is for.
pub const GENERIC: &[&str] = &[
    "your", "our", "yours", "the", "of", "for", "no", "nr", "nº", "n°", "#", "number", "nummer",
    // "number" in the other languages labels are read in (it, fi, es, fr, pl, …).
    "numero", "número", "numéro", "numer", "nro", "n", "num", "id", "ihr", "ihre", "unser",
    "unsere", "jeres", "vores", "deres", "votre", "notre", "til", "für", "de", "du", "la", "le",
    "et", "und", "og", "and", "och", "ja", "en", "el", "il", "der", "die", "das", "den", "det",
    "af", "av", "van", "des", "del", "di",
];

/// The words of `tokens` that say something about a field.
pub fn distinctive(tokens: &[String]) -> Vec<&str> {
    tokens
        .iter()
        .map(String::as_str)
        .filter(|t| !t.is_empty() && !GENERIC.contains(t))
        .collect()
}

/// How alike two words are, 0..1.
pub fn word_similarity(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    let (la, lb) = (a.chars().count(), b.chars().count());
    let (short, long, ls) = if la <= lb { (a, b, la) } else { (b, a, lb) };
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    if common >= 4 && common * 4 >= ls * 3 {
        return 0.9;
    }
    // The end of a compound ("rechnungsdatum" ends in "datum", "fakturadato" in "dato").
    if ls >= 4 && long.ends_with(short) {
        return 0.85;
    }
    // The start of one ("bestelldatum" starts with "bestell").
    if ls >= 5 && long.starts_with(short) {
        return 0.8;
    }
    if ls >= 5 {
        let d = strsim::levenshtein(a, b);
        let allowed = if ls >= 9 { 2 } else { 1 };
        if d <= allowed {
            return 0.85;
        }
    }
    0.0
}

/// The share of both word lists that found a partner in the other.
fn overlap(a: &[&str], b: &[&str]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let best = |w: &str, other: &[&str]| {
        other
            .iter()
            .map(|o| word_similarity(w, o))
            .fold(0.0, f64::max)
    };
    let sa: f64 = a.iter().map(|w| best(w, b)).sum();
    let sb: f64 = b.iter().map(|w| best(w, a)).sum();
    (sa + sb) / (a.len() + b.len()) as f64
}

/// How much `key` (normalised tokens) is like the most similar of `spec`'s labels, and
/// that label as written.
pub fn label_similarity(key: &[String], spec: &FieldSpec) -> (f64, String) {
    let key = distinctive(key);
    let mut best = (0.0, String::new());
    for (_, label) in &spec.labels {
        let s = overlap(&key, &distinctive(label));
        if s > best.0 {
            best = (s, label.join(" "));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn words_match_by_prefix_compound_and_misreading() {
        assert_eq!(word_similarity("bestellnr", "bestellnummer"), 0.9);
        assert_eq!(word_similarity("rechnungsdatum", "datum"), 0.85);
        assert_eq!(word_similarity("fakturanummer", "fakturanumer"), 0.9);
        assert_eq!(word_similarity("leveringsdato", "leveringsdatu"), 0.9);
        assert_eq!(word_similarity("ref", "reference"), 0.0);
        assert_eq!(word_similarity("date", "dato"), 0.0);
    }

    #[test]
    fn a_key_that_adds_or_lacks_a_word_scores_less_than_an_exact_one() {
        let label = ["order".to_string()];
        let exact = overlap(&distinctive(&toks("your order no")), &distinctive(&label));
        let more = overlap(&distinctive(&toks("your order ref")), &distinctive(&label));
        assert_eq!(exact, 1.0);
        assert!((more - 2.0 / 3.0).abs() < 1e-9, "{more}");
        assert_eq!(
            overlap(&distinctive(&toks("thank you")), &distinctive(&label)),
            0.0
        );
    }
}
