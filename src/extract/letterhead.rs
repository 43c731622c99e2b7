//! The issuer's name and address when no label leads to them: the letterhead (a
//! prominent line near the top of the first page), the address lines under it, and
//! the same name read again elsewhere on the page (a footer) as corroboration.
//!
//! Letterheads and till headers share a shape: the name first and largest, perhaps
//! over two lines ending in a legal form; a company or tax registration under it;
//! the street, postcode and town; then telephone, tax id or the date. A registration
//! is never the name and never part of the address.

use super::{
    candidate, joined, normalize_token, ocr_quality, value_regions, Candidate, LabelMatch,
    UNLABELLED,
};
use crate::config::DocType;
use crate::text::layout::{self, union, LWord, Line};

/// The issuer's address: the lines printed under its name (street, postcode and town),
/// up to and including the first one holding a postcode.
pub(super) fn address_below(lines: &[Line], name: &Candidate) -> Option<Candidate> {
    let li = lines.iter().position(|l| {
        l.page == name.page
            && l.words
                .iter()
                .any(|w| w.bbox == name.bbox || crate::text::intersection(w.bbox, name.bbox) > 0.0)
    })?;
    let (x0, x1) = (name.bbox[0] as f32, name.bbox[2] as f32);
    let mut parts: Vec<Vec<LWord>> = Vec::new();
    let mut bottom = lines[li].bottom() as f32;
    // The gap under a big name is as big as the name is tall.
    let name_h = (name.bbox[3] - name.bbox[1]) as f32;
    for line in lines.iter().skip(li + 1).take(4) {
        let gap = 2.0 * line.height.max(name_h);
        if line.page != name.page || line.top() as f32 > bottom + gap {
            break;
        }
        // The words under the name's column (a centred header, or a left-aligned one).
        let words: Vec<LWord> = line
            .words
            .iter()
            .filter(|w| {
                (w.bbox[2] as f32) > x0 - 4.0 * line.height
                    && (w.bbox[0] as f32) < x1 + 4.0 * line.height
            })
            .cloned()
            .collect();
        if words.is_empty() {
            break;
        }
        let text = joined(&words).0;
        let lower = text.to_lowercase();
        // Contact and tax lines end the address.
        // A contact or tax word, whole ("Ph +44…", "Tlf.", "CVR 123…"), or an e-mail.
        let contact = lower.contains('@')
            || crate::config::doctype::label_tokens(&lower)
                .iter()
                .any(|w| {
                    [
                        "tel", "tlf", "ph", "phone", "fax", "cvr", "vat", "ust", "abn", "www",
                        "org",
                    ]
                    .contains(&w.as_str())
                        || w.starts_with("www")
                        || w.starts_with("ust-id")
                });
        if contact {
            break;
        }
        bottom = line.bottom() as f32;
        let postcode = words.iter().any(|w| {
            let t = w.text.trim_matches(|c: char| !c.is_alphanumeric());
            (t.len() == 4 || t.len() == 5) && t.chars().all(|c| c.is_ascii_digit())
        });
        parts.push(words);
        if postcode || parts.len() == 3 {
            break;
        }
    }
    if parts.is_empty() {
        return None;
    }
    let all: Vec<LWord> = parts.iter().flatten().cloned().collect();
    let mut c = candidate(
        parts
            .iter()
            .map(|p| clean_name(&joined(p).0))
            .collect::<Vec<_>>()
            .join(", "),
        all,
    );
    c.page = name.page;
    c.score *= UNLABELLED;
    Some(c)
}

const LEGAL_SUFFIXES: &[&str] = &[
    "aps", "a/s", "as", "i/s", "k/s", "p/s", "gmbh", "ag", "kg", "ohg", "ug", "gbr", "mbh", "ek",
    "e.k", "ltd", "limited", "plc", "llp", "lp", "llc", "inc", "corp", "co", "ab", "oy", "bv",
    "nv", "sarl", "sas", "sa", "srl", "spa", "pty", "se",
];

/// The issuer's name: a prominent line near the top of the first page that is not a
/// label, a label's value (the customer under "Bill to:"), a heading or a number.
pub(super) fn letterhead(
    lines: &[Line],
    doctype: &DocType,
    matches: &[LabelMatch],
) -> Option<(Candidate, Vec<LWord>)> {
    let first_page = lines.first()?.page;
    let page_lines: Vec<(usize, &Line)> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.page == first_page)
        .collect();
    let page_bottom = page_lines.iter().map(|(_, l)| l.bottom()).max()? as f32;
    let mut heights: Vec<u32> = page_lines
        .iter()
        .flat_map(|(_, l)| l.words.iter().map(|w| w.bbox[3] - w.bbox[1]))
        .collect();
    heights.sort_unstable();
    let median_h = heights[heights.len() / 2].max(1) as f64;
    let heading_words: Vec<&str> = doctype
        .cues
        .iter()
        .filter(|c| c.weight >= 3.0)
        .flat_map(|c| c.phrases.iter().flatten().map(String::as_str))
        .collect();
    // Words that are some label's value, or a label themselves.
    let mut claimed: Vec<[u32; 4]> = Vec::new();
    for m in matches {
        claimed.extend(lines[m.line].words[m.start..m.end].iter().map(|w| w.bbox));
        for (words, _) in value_regions(lines, matches, m) {
            claimed.extend(words.iter().map(|w| w.bbox));
        }
    }
    let mut best: Option<(f64, Candidate, Vec<LWord>)> = None;
    for (rank, (_, line)) in page_lines.iter().enumerate() {
        if line.top() as f32 > 0.3 * page_bottom {
            break;
        }
        let segments = line.segment.last().copied().unwrap_or(0) + 1;
        for seg in 0..segments {
            let words: Vec<LWord> = line
                .words
                .iter()
                .zip(&line.segment)
                .filter(|(_, s)| **s == seg)
                .map(|(w, _)| w.clone())
                .collect();
            let letters = words
                .iter()
                .flat_map(|w| w.text.chars())
                .filter(|c| c.is_alphabetic())
                .count();
            let digits = words
                .iter()
                .flat_map(|w| w.text.chars())
                .filter(|c| c.is_ascii_digit())
                .count();
            let heading = words
                .iter()
                .all(|w| heading_words.contains(&w.norm.as_str()));
            let is_claimed = words.iter().any(|w| claimed.contains(&w.bbox));
            // A house number or a postcode: the address under the name, not the name.
            let address = words
                .iter()
                .any(|w| w.text.len() >= 2 && w.text.chars().all(|c| c.is_ascii_digit()));
            if is_claimed || heading || address || letters < 3 || digits > letters {
                continue;
            }
            let suffix = words.last().is_some_and(|w| {
                let t = w.text.to_lowercase();
                LEGAL_SUFFIXES.contains(&w.norm.as_str())
                    || LEGAL_SUFFIXES.contains(&t.trim_end_matches('.'))
            });
            let mut hs: Vec<u32> = words.iter().map(|w| w.bbox[3] - w.bbox[1]).collect();
            hs.sort_unstable();
            let prominence = hs[hs.len() / 2] as f64 / median_h;
            // Letterheads are big and on top; a company suffix makes a name likelier.
            let score =
                prominence + if suffix { 0.3 } else { 0.0 } - 0.1 * rank as f64 - 0.2 * seg as f64;
            if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
                let mut c = candidate(String::new(), words.clone());
                c.value = clean_name(&c.raw);
                c.page = line.page;
                // Without a company suffix the letterhead guess is only a guess.
                c.score *= if suffix { 0.97 } else { 0.8 };
                best = Some((score, c, words));
            }
        }
    }
    best.map(|(_, c, words)| (c, words))
}

/// A name read twice the same way (letterhead and footer, in different fonts and
/// sizes) is very likely right; read twice differently ("Rengering" above, "Rengøring"
/// below), the better-read one is kept and a person should look.
///
/// Two reads that agree are scored word by word as independent reads: a word is
/// wrong only if both reads got it wrong the same way, so its doubt is the product of
/// the two doubts. A word one read was unsure of ("Bogely" read at 0.78 in the footer
/// for "Bøgely") keeps the whole name below the others.
pub(super) fn corroborate_name(lines: &[Line], mut c: Candidate, own: &[LWord]) -> Candidate {
    let target: Vec<String> = c.value.split_whitespace().map(normalize_token).collect();
    let n = target.len();
    if n == 0 || own.len() != n {
        return c;
    }
    // What the letterhead's score carries besides OCR quality (the suffix factor).
    let prior = c.score / ocr_quality(own).max(1e-6);
    let target_text = target.join(" ");
    let mut agree: Option<f64> = None;
    let mut best_other: Option<Candidate> = None;
    for line in lines {
        for start in 0..line.words.len().saturating_sub(n - 1) {
            let window = &line.words[start..start + n];
            if window.iter().any(|w| c.bbox == w.bbox) || union(window) == c.bbox {
                continue;
            }
            let text: Vec<&str> = window.iter().map(|w| w.norm.as_str()).collect();
            let text = text.join(" ");
            if text == target_text {
                let both: Vec<LWord> = own
                    .iter()
                    .zip(window)
                    .map(|(a, b)| LWord {
                        conf: 1.0 - (1.0 - a.conf) * (1.0 - b.conf),
                        ..a.clone()
                    })
                    .collect();
                let q = prior * ocr_quality(&both);
                agree = Some(agree.map_or(q, |a: f64| a.max(q)));
            } else if text.chars().count() >= 6
                && layout::edit_distance(&text, &target_text)
                    <= (target_text.chars().count() / 10).max(1)
            {
                let mut other = candidate(clean_name(&joined(window).0), window.to_vec());
                other.page = line.page;
                if best_other.as_ref().is_none_or(|b| other.score > b.score) {
                    best_other = Some(other);
                }
            }
        }
    }
    match (agree, best_other) {
        (Some(q), None) => c.score = q,
        (_, Some(other)) => {
            let keep_score = c.score.min(other.score) * 0.8;
            if other.score > c.score && agree.is_none() {
                c.value = other.value;
                c.raw = other.raw;
                c.bbox = other.bbox;
                c.page = other.page;
            }
            c.score = keep_score;
        }
        (None, None) => {}
    }
    c
}

/// OCR debris around a name: quotes, bullets, a full stop after the company suffix.
pub(super) fn clean_name(raw: &str) -> String {
    let t = raw.trim_matches(|c: char| !c.is_alphanumeric() && c != '&' && c != ')' && c != '.');
    let t = t.trim_start_matches('.');
    // "Inc." and "Corp." keep their full stop; "A/S." gained one from a speck.
    let last = t
        .rsplit(' ')
        .next()
        .unwrap_or("")
        .trim_end_matches('.')
        .to_lowercase();
    if matches!(
        last.as_str(),
        "inc" | "corp" | "co" | "bros" | "e.k" | "mfg"
    ) {
        t.to_string()
    } else {
        t.trim_end_matches('.').to_string()
    }
}
