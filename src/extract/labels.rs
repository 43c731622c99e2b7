//! The labels of a type's fields found on the page, and the words where each
//! label's value may be; labels no type file lists but like a listed one.

use crate::config::doctype::{FieldKind, FieldSpec};
use crate::config::DocType;
use crate::text::layout::{token_match, union, LWord, Line};
use crate::values::{self, DateOrder};

use super::candidates::{parse_region, Candidate, Found, BELOW_LABEL, RIGHT_OF_LABEL};
use super::similar;
use super::Reading;

/// A label found on a line.
pub(super) struct LabelMatch {
    pub(super) field: usize,
    pub(super) line: usize,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) quality: f64,
    pub(super) lang: String,
}

/// Found beside a label nobody listed but like a listed one (times the similarity).
pub(super) const SIMILAR_LABEL: f64 = 0.9;
/// The least similarity for an unlisted label to name a field.
pub(super) const MIN_SIMILARITY: f64 = 0.6;

/// Candidates beside the type's listed labels: each region where a label's value may
/// be, parsed as the field's kind, scored by the label's match and where the value sat.
pub(super) fn labelled_candidates(r: &Reading) -> Vec<Vec<Candidate>> {
    let (lines, matches) = (r.lines, r.matches);
    let mut candidates: Vec<Vec<Candidate>> = vec![Vec::new(); r.doctype.fields.len()];
    for m in matches {
        let spec = &r.doctype.fields[m.field];
        for (region, pos) in value_regions(lines, matches, m) {
            if spec.kind == FieldKind::Text
                && pos == RIGHT_OF_LABEL
                && far_right(&lines[m.line], m, &region)
            {
                // "Datos del cliente:        Nº factura:": the next column's print, not
                // the value.
                continue;
            }
            let found = if pos == RIGHT_OF_LABEL {
                Found::RightOfLabel
            } else {
                Found::BelowLabel
            };
            let mut label = lines[m.line].text(m.start, m.end);
            if let Some(c) = parse_region(spec.kind, spec, &region, r.order, r.default_country) {
                let mut quality = m.quality;
                if spec.kind == FieldKind::Date && pos == RIGHT_OF_LABEL {
                    if let Some(rest) = label_goes_on(&region, c.bbox) {
                        // "Data płatności 20 listopada 2025" is not the date "Data" lists
                        // for the invoice: a page's dates are told apart by the words
                        // after the generic one.
                        label = format!("{label} {rest}");
                        quality *= LABEL_GOES_ON;
                    }
                }
                let c = beside(c, r, lines[m.line].page, label, quality, found, pos);
                candidates[m.field].push(c);
            }
        }
    }
    candidates
}

/// A value found beside (or under) a label: on the label's page, its score times the
/// label's match and `factor` (where it sat), with how it was found.
fn beside(
    mut c: Candidate,
    r: &Reading,
    page: u32,
    label: String,
    label_match: f64,
    found: Found,
    factor: f64,
) -> Candidate {
    c.page = page;
    c.origin = r.origin_of(page);
    c.score *= label_match * factor;
    c.label_match = label_match;
    c.found = found;
    c.label = label;
    c
}

/// A date's label match when the key goes on past the listed label in words read
/// surely ("Data" of "Data płatności", "Date" of "Date due"): the key names some other
/// date as often as this one.
const LABEL_GOES_ON: f64 = 0.5;

/// The words between a label and its value, right of it on its line, that read as more
/// of the key: words of letters only, at least three different ones, read at least
/// half surely (not a dotted leader OCR turned into "eee" or "hehe", not a weekday
/// before its comma), joined; `None` when there are none.
fn label_goes_on(region: &[LWord], value: [u32; 4]) -> Option<String> {
    let rest: Vec<&str> = region
        .iter()
        .take_while(|w| w.bbox[2] <= value[0])
        .filter(|w| {
            let word = w.text.trim_end_matches([':', '.']);
            let mut letters: Vec<char> = word.to_lowercase().chars().collect();
            letters.sort_unstable();
            letters.dedup();
            w.conf >= 0.5
                && !w.text.ends_with(',')
                && letters.len() >= 3
                && word.chars().all(char::is_alphabetic)
        })
        .map(|w| w.text.as_str())
        .collect();
    (!rest.is_empty()).then(|| rest.join(" "))
}

/// A region right of a label that starts a column away from it (farther than twelve
/// line heights).
fn far_right(line: &Line, m: &LabelMatch, region: &[LWord]) -> bool {
    let label_end = line.words[m.end - 1].bbox[2] as f32;
    region
        .first()
        .is_some_and(|w| w.bbox[0] as f32 - label_end > 12.0 * line.height)
}

/// Whether `word` is the words of `label` written together ("invoiceno." for
/// "invoice", "no."), without building the joined label.
fn glued(word: &str, label: &[String]) -> bool {
    let mut rest = word;
    for part in label {
        match rest.strip_prefix(part.as_str()) {
            Some(r) => rest = r,
            None => return false,
        }
    }
    rest.is_empty()
}

pub(super) fn find_labels(lines: &[Line], doctype: &DocType) -> Vec<LabelMatch> {
    let mut out = Vec::new();
    for (li, line) in lines.iter().enumerate() {
        for start in 0..line.words.len() {
            for (fi, spec) in doctype.fields.iter().enumerate() {
                if !spec.extract {
                    continue;
                }
                for (lang, label) in &spec.labels {
                    let mut end = start + label.len();
                    let mut quality = 0.0;
                    if end <= line.words.len() {
                        // The product of the words' matches, stopping at the first
                        // that does not match (this runs for every word and label).
                        quality = 1.0;
                        for (l, w) in label.iter().zip(&line.words[start..end]) {
                            quality *= token_match(&w.norm, l);
                            if quality == 0.0 {
                                break;
                            }
                        }
                    }
                    if quality == 0.0 && label.len() > 1 {
                        // OCR glues short labels together: "Invoice#", "InvoiceNo.".
                        // Exactly: "Invoice" is one letter from "invoice#" and is a heading.
                        end = start + 1;
                        quality = if glued(&line.words[start].norm, label) {
                            1.0
                        } else {
                            0.0
                        };
                    }
                    if quality > 0.0
                        && end <= line.words.len()
                        && !excluded(spec, line, start, end)
                        && !names_a_company(line, end)
                        && !(names_a_party(spec.kind) && in_running_text(line, start, end))
                    {
                        out.push(LabelMatch {
                            field: fi,
                            line: li,
                            start,
                            end,
                            quality,
                            lang: lang.clone(),
                        });
                    }
                }
            }
        }
    }
    // A label inside a longer label on the same words belongs to the longer one:
    // "Date" in "Due Date", "Moms" in "Beløb ekskl. moms".
    let contained = |a: &LabelMatch, b: &LabelMatch| {
        a.line == b.line
            && b.start <= a.start
            && a.end <= b.end
            && (b.end - b.start) > (a.end - a.start)
    };
    let keep: Vec<bool> = out
        .iter()
        .map(|a| !out.iter().any(|b| contained(a, b)))
        .collect();
    let mut out: Vec<LabelMatch> = out
        .into_iter()
        .zip(keep)
        .filter_map(|(m, k)| k.then_some(m))
        .collect();
    // The same words matching two synonyms of one field: keep the better one.
    out.sort_by(|a, b| {
        (a.line, a.start, a.end, a.field)
            .cmp(&(b.line, b.start, b.end, b.field))
            .then(b.quality.total_cmp(&a.quality))
    });
    out.dedup_by(|b, a| {
        a.line == b.line && a.start == b.start && a.end == b.end && a.field == b.field
    });
    out
}

/// A label word followed by a legal form is a company's name ("Kunden AG Mitte",
/// "Kunde GmbH"): labels are followed by their value, not by "AG".
fn names_a_company(line: &Line, end: usize) -> bool {
    line.words
        .get(end)
        .is_some_and(super::letterhead::is_legal_form)
}

fn names_a_party(kind: FieldKind) -> bool {
    matches!(
        kind,
        FieldKind::Text | FieldKind::PartyName | FieldKind::PartyAddress
    )
}

/// A label word inside a sentence ("… le client doit régler par virement …"): a
/// word in lower case before it in the same run of print, and no colon after it.
/// Labels head their value; in running text the word is only a word, and what
/// follows it is no name.
fn in_running_text(line: &Line, start: usize, end: usize) -> bool {
    let Some(before) = start.checked_sub(1) else {
        return false;
    };
    let same_run = line.segment[before] == line.segment[start];
    let lower_word = line.words[before]
        .text
        .chars()
        .next()
        .is_some_and(char::is_lowercase);
    let colon = line.words[end - 1].text.ends_with(':');
    same_run && lower_word && !colon
}

/// Words just before or after a label that say it is some other label
/// ("VAT No" is not the tax amount).
pub(super) fn excluded(spec: &FieldSpec, line: &Line, start: usize, end: usize) -> bool {
    if spec.exclude.is_empty() {
        return false;
    }
    let before = start.saturating_sub(2)..start;
    let after = end..(end + 2).min(line.words.len());
    before
        .chain(after)
        .any(|i| spec.exclude.contains(&line.words[i].norm))
}

pub(super) fn majority_language(matches: &[LabelMatch]) -> Option<String> {
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for m in matches {
        *counts.entry(m.lang.as_str()).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(l, _)| l.to_string())
}

/// The words where a label's value may be: right of it on the same line (up to the next
/// label), and the segment below it that overlaps it horizontally.
pub(super) fn value_regions(
    lines: &[Line],
    matches: &[LabelMatch],
    m: &LabelMatch,
) -> Vec<(Vec<LWord>, f64)> {
    let line = &lines[m.line];
    let mut out = Vec::new();
    let next_label = matches
        .iter()
        .filter(|o| o.line == m.line && o.start >= m.end)
        .map(|o| o.start)
        .min()
        .unwrap_or(line.words.len());
    if m.end < next_label {
        out.push((line.words[m.end..next_label].to_vec(), RIGHT_OF_LABEL));
    }
    let label_box = union(&line.words[m.start..m.end]);
    let h = line.height;
    let (x0, x1) = (label_box[0] as f32 - h, label_box[2] as f32 + 2.0 * h);
    for below in lines.iter().skip(m.line + 1).take(3) {
        if below.page != line.page || below.top() as f32 > label_box[3] as f32 + 2.5 * h {
            break;
        }
        // The segment whose words overlap the label's column the most.
        let mut best: Option<(usize, f32)> = None;
        for seg in 0..=below.segment.last().copied().unwrap_or(0) {
            let overlap: f32 = below
                .words
                .iter()
                .zip(&below.segment)
                .filter(|(_, s)| **s == seg)
                .map(|(w, _)| (w.bbox[2] as f32).min(x1) - (w.bbox[0] as f32).max(x0))
                .filter(|o| *o > 0.0)
                .sum();
            if overlap > 0.0 && best.is_none_or(|(_, o)| overlap > o) {
                best = Some((seg, overlap));
            }
        }
        if let Some((seg, _)) = best {
            let words: Vec<LWord> = below
                .words
                .iter()
                .zip(&below.segment)
                .filter(|(_, s)| **s == seg)
                .map(|(w, _)| w.clone())
                .collect();
            let heads: Vec<f32> = matches
                .iter()
                .filter(|o| o.line == m.line)
                .map(|o| line.words[o.start].bbox[0] as f32)
                .collect();
            let own = line.words[m.start].bbox[0] as f32;
            let words = under_own_heading(words, &heads, own, below.height);
            // Stop at a value that is itself a label ("Invoice No." under "Date").
            let is_label = matches
                .iter()
                .any(|o| std::ptr::eq(&lines[o.line], below) && below.segment[o.start] == seg);
            if !is_label {
                out.push((words, BELOW_LABEL));
            }
            break;
        }
    }
    out
}

/// The part of `words` (one segment, left to right) under the heading that starts at
/// `own`, when the segment runs under several of the row's headings (`heads`, their
/// left edges): a header grid's values printed close together ("16 novembre 2024
/// BST058382" under "ÉCHÉANCE" and "BON DE COMMANDE") can fall into one segment. As a
/// grid's columns start where their headings start, each word belongs to the last
/// heading that starts at or before it (half a line's slack). A segment under one
/// heading, or none of whose words would be this heading's (right-aligned columns), is
/// kept whole.
fn under_own_heading(words: Vec<LWord>, heads: &[f32], own: f32, h: f32) -> Vec<LWord> {
    let head_of = |w: &LWord| {
        heads
            .iter()
            .copied()
            .filter(|x| *x <= w.bbox[0] as f32 + 0.5 * h)
            .max_by(f32::total_cmp)
    };
    let owners: Vec<Option<f32>> = words.iter().map(head_of).collect();
    let spans_several = owners.windows(2).any(|p| p[0] != p[1]);
    let mine = owners.contains(&Some(own));
    if !spans_several || !mine {
        return words;
    }
    words
        .into_iter()
        .zip(owners)
        .filter(|(_, o)| *o == Some(own))
        .map(|(w, _)| w)
        .collect()
}

/// Candidates beside labels no type file lists: every label–value pair on the page
/// (`text::pairs`) whose key is like a field's labels (`similar`) more than any other
/// field's, and whose value parses as the field's kind. Keys that hold a listed label
/// were read above. Names, addresses and free text are left out: any words fit them.
pub(super) fn similar_label_candidates(r: &Reading, candidates: &mut [Vec<Candidate>]) {
    let (lines, matches, doctype, order) = (r.lines, r.matches, r.doctype, r.order);
    let kinds = [
        FieldKind::Date,
        FieldKind::Money,
        FieldKind::Identifier,
        FieldKind::Iban,
        FieldKind::VatId,
        FieldKind::Bic,
        FieldKind::Number,
        FieldKind::Integer,
    ];
    for pair in crate::text::pairs::find(lines) {
        if pair.arrangement == crate::text::pairs::Arrangement::Column {
            // A table's column is the items', not a field of the document.
            continue;
        }
        let key_box = pair.key_box();
        let listed = matches.iter().any(|m| {
            m.line == pair.line
                && crate::text::intersection(union(&lines[m.line].words[m.start..m.end]), key_box)
                    > 0.0
        });
        if listed {
            continue;
        }
        let key = pair.key_tokens();
        let sims: Vec<(f64, String)> = doctype
            .fields
            .iter()
            .map(|spec| similar::label_similarity(&key, spec))
            .collect();
        let best = sims.iter().map(|s| s.0).fold(0.0, f64::max);
        if best < MIN_SIMILARITY {
            continue;
        }
        for (i, spec) in doctype.fields.iter().enumerate() {
            let (sim, like) = &sims[i];
            if !spec.extract || *sim < best || !kinds.contains(&spec.kind) {
                continue;
            }
            let above = pair.arrangement == crate::text::pairs::Arrangement::Above;
            if spec.kind == FieldKind::Money && (above || key.iter().any(|t| t.contains('%'))) {
                // An amount under a heading is mostly a table's cell; a key with `%`
                // heads a rate.
                continue;
            }
            let pos = if above { BELOW_LABEL } else { RIGHT_OF_LABEL };
            let Some(c) = parse_region(spec.kind, spec, &pair.value, order, r.default_country)
            else {
                continue;
            };
            if !plausible(spec.kind, &pair.value_text(), &c.value, order) {
                continue;
            }
            let label = pair.key_text();
            let factor = pos * SIMILAR_LABEL;
            let mut c = beside(c, r, pair.page, label, *sim, Found::SimilarLabel, factor);
            c.note = Some(format!(
                "found {} {:?}, a label like {:?} (similarity {:.2})",
                match pair.arrangement {
                    crate::text::pairs::Arrangement::Above => "under",
                    _ => "beside",
                },
                c.label,
                like,
                sim
            ));
            candidates[i].push(c);
        }
    }
}

/// Is a value read beside an unlisted label of the field's kind beyond parsing? A
/// listed label vouches for its value's kind; a merely similar one does not, so an
/// identifier must hold a digit and three letters or digits and not be a date
/// ("Beitragsrechnung 24.", "Rechnungszeitraum: 01.04.2014"), and an amount must not be
/// a rate ("19,00 %").
pub(super) fn plausible(kind: FieldKind, text: &str, value: &str, order: DateOrder) -> bool {
    match kind {
        FieldKind::Identifier => {
            value.chars().filter(|c| c.is_alphanumeric()).count() >= 3
                && value.chars().any(|c| c.is_ascii_digit())
                && values::parse_date(value, order).is_none()
        }
        FieldKind::Money => !text.contains('%'),
        _ => true,
    }
}
