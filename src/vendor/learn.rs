//! Learning from approvals: where a supplier prints each field, and what it looks like.
//!
//! # What it does
//! [`learn`] takes a document a person approved and the page words it was read from.
//! For every field that is not one of the supplier's constants (those are the vendor
//! record itself), it finds the value on the page (the reviewer may have typed it
//! without clicking it: the value is looked up among the words), and records the label
//! printed beside it (the words to its left on its line, or the words just above it)
//! and the value's shape (`INV-2024-0042` → `AAA-9999-9999`; for dates, how the page
//! printed it). [`agree`] compares the next document of the same supplier with that:
//! - a value beside the label the supplier's approvals showed, and of their shape, has
//!   its doubt divided by one more than the number of approvals that agree
//!   (`1 - (1-c)/(n+1)`);
//! - a value of another shape than the one every approval showed (two at least) has
//!   its confidence halved;
//! - a value read away from the label every approval showed (two at least), where that
//!   label holds another value of the field's kind, has its confidence halved: one of
//!   the two readings is wrong, and only a person can tell which;
//! - a field read as nothing, where the approvals showed a label that is on the page
//!   with a value beside it, gets that value: at a confidence that sends it to review
//!   after one approval; after two or more that all had it beside that label and of
//!   one shape, with the label's value alone on the page, at OCR's confidence with its
//!   doubt divided as for a value read there; a name found so that is a near miss of
//!   a name approved before (any supplier's) is that name misread, and stays at the
//!   confidence that sends it to review;
//! - an identifier every approval had on its page (two at least), read as nothing and
//!   not found beside the label, while the page prints a value of a shape the approvals
//!   showed that no field took, is returned to the vendor stage, which holds the
//!   document with `usual_field_missing`.
//!
//! The buyer's own numbers (its order number, [`BUYERS`]) are compared with the shapes
//! every supplier's approvals showed, pooled: the buyer numbers its orders, not the
//! supplier.
//!
//! # Why
//! A supplier prints its invoices from one template: once a person has confirmed where
//! the invoice number sits and what it looks like, the next one beside the same label
//! and of the same shape is very likely right, and one elsewhere or of another shape is
//! doubtful. Only approved documents teach: what was posted without a person is what
//! mailroom already believed.
//!
//! # Known failure modes
//! - A supplier that changes its template teaches both layouts; neither agrees fully
//!   until the new one has been approved a few times.
//! - A value printed twice (the total in the table and in the payment slip) is learned
//!   where it was found first.

use std::collections::BTreeMap;

use crate::config::{DocType, FieldKind, FieldSpec};
use crate::document::vendor::{Habit, Vendor};
use crate::document::{Field, IndexedFields, Origin};
use crate::text::layout::{self, Line};
use crate::text::Page;

/// Fields that are the supplier's constants, kept in the vendor record itself.
pub const CONSTANTS: &[&str] = &[
    "vendor_name",
    "vendor_vat_id",
    "vendor_address",
    "iban",
    "bic",
    "currency",
];

/// Names and free text: learned by value as well as by place.
fn is_name(spec: &FieldSpec) -> bool {
    matches!(spec.kind, FieldKind::Text | FieldKind::PartyName)
}

/// The approved value `read` is, spelled as approved, with how many documents had it.
fn known_value<'h>(habit: &'h Habit, read: &str) -> Option<(&'h str, u32)> {
    habit
        .values
        .iter()
        .map(|(v, n)| (v, n, super::name_similarity(v, read)))
        .filter(|(_, _, s)| *s >= super::SAME_NAME)
        .max_by(|a, b| a.2.total_cmp(&b.2))
        .map(|(v, n, _)| (v.as_str(), *n))
}

/// Names this similar to an approved one ([`super::name_similarity`]), but less than
/// [`super::SAME_NAME`], are that name misread ("Østerlund WS ApS" for "Østerlund VVS
/// ApS", 0.83), not another: two names of this book differ by a word, not by a letter
/// or two ("Østerlund VVS" and "Østerlund Elektro", 0.56).
const NEAR_NAME: f64 = 0.75;

/// The approved value (of `values`) that `read` is a near miss of ([`NEAR_NAME`]);
/// `None` when it is none's, or when it is one of them.
fn misread_of<'h>(values: &'h BTreeMap<String, u32>, read: &str) -> Option<&'h str> {
    let (best, s) = values
        .keys()
        .map(|v| (v.as_str(), super::name_similarity(v, read)))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    (NEAR_NAME..super::SAME_NAME).contains(&s).then_some(best)
}

/// What a name that agrees with one approved on `n` documents is worth at least: 0.97
/// after one approval, 0.985 after two, 0.99 after three.
fn name_agrees(n: u32) -> f64 {
    1.0 - 0.03 / n.max(1) as f64
}

/// A name read at `read` confidence that `n` approved documents showed: its doubt
/// divided as for a place that agrees, and at least [`name_agrees`]. A misreading that
/// happens to spell a name approved before is rare; OCR's doubt about the letters
/// matters less than the agreement.
pub(super) fn approved_name(read: f64, n: u32) -> f64 {
    (1.0 - (1.0 - read) / (n as f64 + 1.0)).max(name_agrees(n))
}

/// Fields that name the receiving company, not the supplier: every supplier's approved
/// documents teach them (a mailroom's invoices are addressed to its own companies).
pub const OURS: &[&str] = &["customer_name"];

/// Fields whose values the receiving company numbers (the buyer's order number, EN 16931
/// BT-13): every supplier prints them as the buyer wrote them, so their shapes are learned
/// from every supplier's approvals, pooled.
pub const BUYERS: &[&str] = &["purchase_order"];

/// What every supplier's approvals showed for `field`, pooled ([`OURS`], [`BUYERS`]).
pub fn pooled(book: &[Vendor], field: &str) -> Habit {
    let mut pooled = Habit::default();
    for h in book.iter().filter_map(|v| v.learned.fields.get(field)) {
        pooled.add(h);
    }
    pooled
}

/// A name field compared with the names approved before (`habit.values`, learned from
/// `whose` approved documents): one that agrees is spelled as approved and its doubt
/// divided as for a place that agrees; one missing, or unlike them, is replaced by an
/// approved name printed on the page; one unlike them with none on the page is halved.
/// Returns whether the field was settled here.
pub fn names(
    fields: &mut IndexedFields,
    lines: &[Line],
    name: &str,
    habit: &Habit,
    whose: &str,
) -> bool {
    let approved: u32 = habit.values.values().sum();
    if approved == 0 {
        return false;
    }
    let read = fields.get(name).cloned();
    if let Some(f) = read.as_ref() {
        if let Some((known, n)) = known_value(habit, &f.value) {
            let c = approved_name(f.confidence, n);
            let f = fields.get_mut(name).expect("read above");
            f.set_confidence(
                c,
                format_args!("{known:?} was approved on {n} document(s) of {whose}"),
            );
            if f.value != known {
                f.reasons
                    .push(format!("spelled as approved, read {:?}", f.value));
                f.value = known.to_string();
            }
            return true;
        }
    }
    if let Some(mut found) = on_page(lines, habit) {
        if let Some(f) = &read {
            found.reasons.push(format!(
                "instead of {:?} ({:.3}), which no approved document of {whose} had",
                f.value, f.confidence
            ));
        }
        fields.set(name, Some(found));
        return true;
    }
    if let Some(f) = fields.get_mut(name) {
        f.set_confidence(
            f.confidence / 2.0,
            format_args!(
                "unlike the {approved} approved document(s) of {whose} ({}), halved",
                habit.values.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        );
        return true;
    }
    false
}

/// A name approved for this supplier before, printed on the page (a segment of a line
/// that reads as it), spelled as approved; its doubt divided by the approvals' count.
fn on_page(lines: &[Line], habit: &Habit) -> Option<Field> {
    for line in lines {
        for seg in line.segments() {
            // Any run of up to eight words in a segment: a name may share its segment
            // with a label ("An: Becker OHG") or a neighbour.
            for from in 0..seg.len() {
                for to in (from + 1..=(from + 8).min(seg.len())).rev() {
                    let run = &seg[from..to];
                    let text = run
                        .iter()
                        .map(|w| w.text.as_str())
                        .collect::<Vec<_>>()
                        .join(" ");
                    let Some((known, n)) = known_value(habit, &text) else {
                        continue;
                    };
                    let ocr = run.iter().map(|w| w.conf as f64).fold(1.0, f64::min);
                    let c = approved_name(ocr, n);
                    return Some(Field {
                        value: known.to_string(),
                        confidence: c,
                        raw: text,
                        page: line.page,
                        bbox: Some(layout::union(run)),
                        origin: Origin::Ocr,
                        reasons: vec![format!(
                            "{known:?}, approved on {n} document(s), is printed here: \
                             confidence {c:.3}"
                        )],
                    });
                }
            }
        }
    }
    None
}

/// `value` read as `shape` where OCR confused a letter with the digit it looks like
/// (`INVO73635` as `AAA999999` is `INV073635`); `None` when it is not that shape.
pub fn fit_shape(value: &str, shape: &str) -> Option<String> {
    let (v, s): (Vec<char>, Vec<char>) = (value.chars().collect(), shape.chars().collect());
    if v.len() != s.len() {
        return None;
    }
    v.iter()
        .zip(&s)
        .map(|(&c, &k)| match k {
            '9' if c.is_ascii_digit() => Some(c),
            '9' => match c {
                'O' | 'o' | 'D' | 'Q' => Some('0'),
                'I' | 'l' | '|' => Some('1'),
                'Z' | 'z' => Some('2'),
                'S' | 's' => Some('5'),
                'G' | 'b' => Some('6'),
                'B' => Some('8'),
                _ => None,
            },
            'A' if c.is_alphabetic() => Some(c),
            'A' => match c {
                '0' => Some('O'),
                '1' => Some('I'),
                '2' => Some('Z'),
                '5' => Some('S'),
                '8' => Some('B'),
                _ => None,
            },
            k => (c == k).then_some(c),
        })
        .collect()
}

/// `INV-2024-0042` → `AAA-9999-9999`: letters become `A`, digits `9`, the rest stays as
/// printed (spaces dropped). Exact lengths, so that OCR's commonest slip in an
/// identifier, `O` for `0` (`INVO73635`), is another shape.
pub fn shape(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| {
            if c.is_ascii_digit() {
                '9'
            } else if c.is_alphabetic() {
                'A'
            } else {
                c
            }
        })
        .collect()
}

/// What a field's shape is taken from: the printed text for dates (the normalised date
/// says nothing about the supplier), the value for identifiers; `None` for kinds whose
/// shape varies with the amount or the words.
fn shape_of(spec: &FieldSpec, field: &Field) -> Option<String> {
    match spec.kind {
        FieldKind::Identifier => Some(shape(&field.value)),
        // A date's runs vary with the day and the month's name ("2. maj", "19. marts"):
        // its shape is its order and separators.
        FieldKind::Date if !field.raw.is_empty() => {
            let mut s: Vec<char> = shape(&field.raw).chars().collect();
            s.dedup_by(|a, b| a == b && matches!(*a, 'A' | '9'));
            Some(s.into_iter().collect())
        }
        _ => None,
    }
}

/// The words before the value on its line, or failing that the words just above it
/// (marked `(above)`), normalised: the field's label as printed, and where.
pub fn label_of(lines: &[Line], page: u32, bbox: [u32; 4]) -> Option<String> {
    let words = |ws: &mut dyn Iterator<Item = &layout::LWord>| {
        let v: Vec<String> = ws
            .map(|w| w.norm.clone())
            .filter(|n| !n.is_empty())
            .collect();
        let v = &v[v.len().saturating_sub(4)..];
        (!v.is_empty()).then(|| v.join(" "))
    };
    let mid = (bbox[1] + bbox[3]) / 2;
    let on_page: Vec<&Line> = lines.iter().filter(|l| l.page == page).collect();
    // The line that holds the value's words: two rows offset by half a line (an address
    // column beside a header grid) can both span the value's middle, and the first of
    // them is another row's text.
    let in_band = |l: &Line| l.top() <= mid && mid <= l.bottom();
    let holds = |l: &Line| {
        l.words.iter().any(|w| {
            w.bbox[0] < bbox[2] && w.bbox[2] > bbox[0] && w.bbox[1] < bbox[3] && w.bbox[3] > bbox[1]
        })
    };
    let i = on_page
        .iter()
        .position(|l| in_band(l) && holds(l))
        .or_else(|| on_page.iter().position(|l| in_band(l)))?;
    let line = on_page[i];
    // The label is the words before the value in its segment (a "Label: value" run),
    // or the segment before it (a label column): not whatever else shares the row.
    let first = line
        .words
        .iter()
        .position(|w| (w.bbox[0] + w.bbox[2]) / 2 >= bbox[0] && w.bbox[0] < bbox[2]);
    let left = first
        .and_then(|k| {
            let seg = line.segment[k];
            let before = |s: usize| {
                let ws: Vec<&layout::LWord> = line
                    .words
                    .iter()
                    .zip(&line.segment)
                    .take(k)
                    .filter(|(_, g)| **g == s)
                    .map(|(w, _)| w)
                    .collect();
                words(&mut ws.into_iter())
            };
            before(seg).or_else(|| seg.checked_sub(1).and_then(before))
        })
        // A value before the value (a date left of an order number in a row of values) is
        // not its label: the heading above is.
        .filter(|l| l.rsplit(' ').next().is_some_and(|w| !value_like(w)));
    if left.is_some() {
        return left;
    }
    let above = on_page[..i].last()?;
    if bbox[1].saturating_sub(above.bottom()) as f32 > 2.5 * line.height {
        return None;
    }
    // Marked: a label above its value is another place than the same words beside it.
    // A value above the value (a date above an order number in a column of values) is
    // no label either.
    words(
        &mut above
            .words
            .iter()
            .filter(|w| w.bbox[0] < bbox[2] && w.bbox[2] > bbox[0]),
    )
    .filter(|l| l.rsplit(' ').next().is_some_and(|w| !value_like(w)))
    .map(|l| format!("{l} {ABOVE}"))
}

/// A word with more digits than letters (a date, an amount, a number).
fn value_like(word: &str) -> bool {
    let digits = word.chars().filter(char::is_ascii_digit).count();
    digits > 0 && digits >= word.chars().filter(|c| c.is_alphabetic()).count()
}

/// Appended to a label printed above its value.
const ABOVE: &str = "(above)";

/// Where `value` (a normalised value of `spec`'s kind) is printed: the first run of one
/// to five words on a line that normalises to it, with the run's box and text.
fn locate(lines: &[Line], spec: &FieldSpec, value: &str) -> Option<(u32, [u32; 4], String)> {
    for line in lines {
        for from in 0..line.words.len() {
            let most = if is_name(spec) { 8 } else { 5 };
            for to in from + 1..=(from + most).min(line.words.len()) {
                let text = line.text(from, to);
                let same = if is_name(spec) {
                    super::name_similarity(&text, value) >= super::SAME_NAME
                } else {
                    crate::extract::input::normalize(spec, &text)
                        .ok()
                        .flatten()
                        .as_deref()
                        == Some(value)
                };
                if same {
                    let bbox = layout::union(&line.words[from..to]);
                    return Some((line.page, bbox, text));
                }
            }
        }
    }
    None
}

/// Teach `vendor` what an approved document's fields showed; see the module docs.
pub fn learn(vendor: &mut Vendor, fields: &IndexedFields, pages: &[Page], dt: &DocType) {
    let lines: Vec<Line> = pages.iter().flat_map(layout::lines).collect();
    let learned = &mut vendor.learned;
    learned.documents += 1;
    *learned.types.entry(dt.name.clone()).or_default() += 1;
    for spec in dt
        .fields
        .iter()
        .filter(|s| !CONSTANTS.contains(&s.name.as_str()))
    {
        let Some(f) = fields.get(&spec.name) else {
            continue;
        };
        let habit: &mut Habit = learned.fields.entry(spec.name.clone()).or_default();
        if is_name(spec) {
            *habit.values.entry(f.value.clone()).or_default() += 1;
        }
        // Found where its value is printed, whoever put it in the field.
        let place = locate(&lines, spec, &f.value).or_else(|| {
            let read = matches!(f.origin, Origin::Ocr | Origin::TextLayer);
            f.bbox.filter(|_| read).map(|b| (f.page, b, f.raw.clone()))
        });
        let Some((page, bbox, printed)) = place else {
            continue;
        };
        habit.found += 1;
        if let Some(label) = label_of(&lines, page, bbox) {
            *habit.labels.entry(label).or_default() += 1;
        }
        let as_printed = Field {
            raw: printed,
            ..f.clone()
        };
        if let Some(s) = shape_of(spec, &as_printed) {
            *habit.shapes.entry(s).or_default() += 1;
        }
    }
}

/// Read values compared with what `vendor`'s approved documents showed; see the module
/// docs. Returns the identifiers every approval (two at least) had on its page that
/// are still empty on this one while the page prints a value of their shape that no
/// field took, each with the number of those approvals and that value: what
/// `validate::usual_field_missing` holds.
pub fn agree(
    fields: &mut IndexedFields,
    lines: &[Line],
    dt: &DocType,
    vendor: &Vendor,
    book: &[Vendor],
) -> Vec<(String, u32, String)> {
    let mut missing = Vec::new();
    if vendor.learned.documents == 0 {
        return missing;
    }
    for spec in dt
        .fields
        .iter()
        .filter(|s| !CONSTANTS.contains(&s.name.as_str()))
    {
        if let Some(habit) = vendor.learned.fields.get(&spec.name) {
            let everyone = pooled(book, &spec.name);
            agree_field(
                fields,
                lines,
                spec,
                habit,
                &everyone,
                vendor,
                &sum_members(dt, &spec.name),
            );
            let usual = habit.found >= 2 && habit.found == vendor.learned.documents;
            if usual && fields.get(&spec.name).is_none() {
                let buyers = BUYERS.contains(&spec.name.as_str());
                let shapes = if buyers {
                    &everyone.shapes
                } else {
                    &habit.shapes
                };
                if let Some(printed) = unread_of_shape(lines, spec, shapes, fields) {
                    missing.push((spec.name.clone(), habit.found, printed));
                }
            }
        }
    }
    missing
}

/// A value of `spec`'s kind (identifiers only) printed on the page in one of `shapes`
/// (one to three words) that no read field has: the field a supplier's approvals always
/// had may be there, unread (its label garbled by dotted leaders). Without one the
/// field is likely just absent this time (an invoice without an order number).
fn unread_of_shape(
    lines: &[Line],
    spec: &FieldSpec,
    shapes: &BTreeMap<String, u32>,
    fields: &IndexedFields,
) -> Option<String> {
    if !matches!(spec.kind, FieldKind::Identifier) || shapes.is_empty() {
        return None;
    }
    let taken = |v: &str| {
        fields
            .0
            .iter()
            .any(|(_, f)| f.as_ref().is_some_and(|f| f.value == v))
    };
    lines.iter().find_map(|line| {
        (0..line.words.len()).find_map(|from| {
            (from + 1..=(from + 3).min(line.words.len())).find_map(|to| {
                crate::extract::input::normalize(spec, &line.text(from, to))
                    .ok()
                    .flatten()
                    .filter(|v| shapes.contains_key(&shape(v)) && !taken(v))
            })
        })
    })
}

/// The other members of the sum check `field` is part of (the subtotal and tax of a
/// total), empty when it is in none.
fn sum_members(dt: &DocType, field: &str) -> Vec<String> {
    dt.checks
        .iter()
        .find_map(|c| match c {
            crate::config::doctype::CheckSpec::Sum { parts, total, .. }
                if parts.iter().chain([total]).any(|m| m == field) =>
            {
                Some(
                    parts
                        .iter()
                        .chain([total])
                        .filter(|m| *m != field)
                        .cloned()
                        .collect(),
                )
            }
            _ => None,
        })
        .unwrap_or_default()
}

/// One field compared with what the approvals showed; see [`agree`]. `everyone`: what
/// every supplier's approvals showed for it ([`pooled`]).
fn agree_field(
    fields: &mut IndexedFields,
    lines: &[Line],
    spec: &FieldSpec,
    habit: &Habit,
    everyone: &Habit,
    vendor: &Vendor,
    members: &[String],
) {
    let buyers = BUYERS
        .contains(&spec.name.as_str())
        .then_some(&everyone.shapes);
    // The shapes to compare with: the buyer's, from every supplier, for its own numbers.
    let shapes = buyers.unwrap_or(&habit.shapes);
    let shapes_from = match buyers {
        Some(_) => "every supplier's approved documents".to_string(),
        None => format!("the approved documents of {}", vendor.name),
    };
    if is_name(spec) && names(fields, lines, &spec.name, habit, &vendor.name) {
        return;
    }
    let Some((label, n)) = usual_label(habit) else {
        return;
    };
    match fields.get_mut(&spec.name) {
        Some(f) if matches!(f.origin, Origin::Ocr | Origin::TextLayer) => {
            let Some(bbox) = f.bbox else { return };
            let here = label_of(lines, f.page, bbox);
            // One shape on every approval: an identifier read with a letter for a
            // digit (or the reverse) is read as that shape.
            if let (FieldKind::Identifier, [(only, _)]) =
                (spec.kind, shapes.iter().collect::<Vec<_>>().as_slice())
            {
                if shape(&f.value) != **only {
                    if let Some(fixed) = fit_shape(&f.value, only) {
                        f.reasons.push(format!(
                            "read {:?}; shaped {only} as on {shapes_from}",
                            f.value
                        ));
                        f.value = fixed;
                    }
                }
            }
            let shape = shape_of(spec, f);
            let shape_known = shape.as_ref().is_none_or(|s| shapes.contains_key(s));
            if here.as_deref().is_some_and(|h| same_label(h, label)) && shape_known {
                let c = 1.0 - (1.0 - f.confidence) / (n as f64 + 1.0);
                f.set_confidence(
                    c,
                    format_args!(
                        "beside {label:?}, as on {n} approved document(s) of {}",
                        vendor.name
                    ),
                );
            } else if let Some(there) =
                elsewhere(lines, spec, habit, (label, n), here.as_deref(), f)
            {
                // Every approval had it beside one label, and that label holds
                // another value here: one of the two readings is wrong.
                f.set_confidence(
                    f.confidence / 2.0,
                    format_args!(
                        "read away from {label:?}, where all {n} approved documents of {} \
                         had it; beside it is {:?}: halved",
                        vendor.name, there.value
                    ),
                );
            } else if !shape_known && shapes.len() == 1 && habit.found >= 2 {
                f.set_confidence(
                    f.confidence / 2.0,
                    format_args!(
                        "shaped {:?}, unlike {shapes_from} ({}), halved",
                        shape.unwrap_or_default(),
                        shapes.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                );
            }
        }
        Some(f) if f.origin == Origin::Derived => {
            // Worked out from the other members of its sum: printed beside the usual
            // label with the same amount, it is read, and as sure as those members.
            let Some((found, ocr, alone)) = beside_label(lines, spec, label, Some(&f.value)) else {
                return;
            };
            if !same_amount(&found.value, &f.value) {
                f.reasons.push(format!(
                    "beside {label:?}, where {n} approved document(s) of {} had it, the page \
                     has {:?}, not the derived {:?}",
                    vendor.name, found.value, f.value
                ));
                return;
            }
            let mut reasons = vec![format!(
                "derived {:?}, and printed so beside {label:?}, where {n} approved \
                 document(s) of {} had it",
                f.value, vendor.name
            )];
            let mut confidence =
                beside_usual(spec, habit, buyers, n, &found, ocr, alone, &mut reasons);
            let parts: Option<Vec<&Field>> = members.iter().map(|m| fields.get(m)).collect();
            if let Some(parts) = parts.filter(|p| p.iter().all(|f| f.origin != Origin::Derived)) {
                let p: f64 = parts.iter().map(|f| f.confidence).product();
                if p > confidence {
                    reasons.push(format!(
                        "the value {} read make it ({p:.3} the chance all are right): \
                         confidence {p:.3}",
                        members.join(" and ")
                    ));
                    confidence = p;
                }
            }
            fields.set(
                &spec.name,
                Some(Field {
                    confidence,
                    reasons,
                    ..found
                }),
            );
        }
        Some(_) => {}
        None => {
            let Some((found, ocr, alone)) = beside_label(lines, spec, label, None) else {
                return;
            };
            let mut reasons = vec![format!(
                "not read; found beside {label:?}, where {n} approved document(s) of {} \
                 had it",
                vendor.name
            )];
            let mut confidence =
                beside_usual(spec, habit, buyers, n, &found, ocr, alone, &mut reasons);
            // A name a letter or two from one approved before is that name misread: the
            // place says where the name is, not that it was read right.
            if let Some(approved) = is_name(spec)
                .then(|| misread_of(&everyone.values, &found.value))
                .flatten()
            {
                confidence = confidence.min(PROPOSED);
                reasons.push(format!(
                    "{:?} is a letter or two from {approved:?}, approved before: misread, \
                     not another name; confidence {confidence:.3}",
                    found.value
                ));
            }
            fields.set(
                &spec.name,
                Some(Field {
                    confidence,
                    reasons,
                    ..found
                }),
            );
        }
    }
}

/// The confidence of a value not read but found beside the label `n` approvals showed
/// (OCR's `ocr`; `alone`: no other value beside another print of the label), with the
/// reason pushed onto `reasons` when it is more than [`PROPOSED`].
///
/// Two approvals at least, every one with the value beside this label and of this shape
/// (or, for the buyer's numbers, of a shape the buyer's approved numbers had), and no
/// other value beside another print of the label: the supplier's template read as a
/// person confirmed it, as sure as a value read beside it.
#[allow(clippy::too_many_arguments)]
fn beside_usual(
    spec: &FieldSpec,
    habit: &Habit,
    buyers: Option<&BTreeMap<String, u32>>,
    n: u32,
    found: &Field,
    ocr: f64,
    alone: bool,
    reasons: &mut Vec<String>,
) -> f64 {
    let shapes = buyers.unwrap_or(&habit.shapes);
    let shape_known = shape_of(spec, found)
        .is_none_or(|s| (buyers.is_some() || shapes.len() == 1) && shapes.contains_key(&s));
    if n >= 2 && n == habit.found && shape_known && alone {
        let c = 1.0 - (1.0 - ocr) / (n as f64 + 1.0);
        reasons.push(format!(
            "of the shape every approval showed, no other value beside the label: \
             OCR's {ocr:.3} with its doubt divided by {}: confidence {c:.3}",
            n + 1
        ));
        c
    } else {
        PROPOSED
    }
}

/// The value beside the label every approval (two at least) showed, when `f` was read
/// beside another label (`here`) and that one holds a different value.
fn elsewhere(
    lines: &[Line],
    spec: &FieldSpec,
    habit: &Habit,
    (label, n): (&str, u32),
    here: Option<&str>,
    f: &Field,
) -> Option<Field> {
    if n < 2 || n != habit.found || here.is_some_and(|h| same_label(h, label)) {
        return None;
    }
    beside_label(lines, spec, label, None)
        .map(|(there, _, _)| there)
        .filter(|there| there.value != f.value)
}

/// The label most approvals showed, counting its OCR variants (`ref client` and
/// `réf client`) as one, and on how many approvals.
fn usual_label(habit: &Habit) -> Option<(&str, u32)> {
    habit
        .labels
        .keys()
        .map(|l| {
            let n = habit
                .labels
                .iter()
                .filter(|(other, _)| same_label(l, other))
                .map(|(_, n)| n)
                .sum::<u32>();
            (l.as_str(), n)
        })
        .max_by_key(|(l, n)| (*n, habit.labels[*l]))
}

/// Labels as OCR reads them on two pages: the same words, a letter or two misread, or
/// the same letters with the words split or joined otherwise (`UWREF.` and `UW REF.`:
/// letter-spaced capitals in a header grid come out either way; `RG.-NR.` and
/// `RG. -NR.`, where the split also moves the punctuation between them).
fn same_label(a: &str, b: &str) -> bool {
    let (a, b): (Vec<&str>, Vec<&str>) = (a.split(' ').collect(), b.split(' ').collect());
    let word_by_word = a.len() == b.len()
        && a.iter()
            .zip(&b)
            .all(|(x, y)| layout::token_match(x, y) > 0.0);
    word_by_word || layout::token_match(&letters(&a.concat()), &letters(&b.concat())) > 0.0
}

/// A label's letters and digits alone: what stays the same however OCR split its
/// words and where it put the points and hyphens between them.
fn letters(label: &str) -> String {
    label.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Where the label `tokens` is printed: `(line, from, to)` of every print, the best
/// matches first, also where OCR split or joined its words otherwise than on the
/// approved pages ([`same_label`]).
fn find_label(lines: &[Line], tokens: &[String]) -> Vec<(usize, usize, usize)> {
    let mut out: Vec<(usize, usize, usize)> = layout::find_phrase(lines, tokens)
        .into_iter()
        .map(|(li, from, to, _)| (li, from, to))
        .collect();
    let joined = letters(&tokens.concat());
    if joined.is_empty() {
        return out;
    }
    for (li, line) in lines.iter().enumerate() {
        for from in 0..line.words.len() {
            let mut run = String::new();
            for to in from + 1..=(from + tokens.len() + 2).min(line.words.len()) {
                run.push_str(&letters(&line.words[to - 1].norm));
                if to - from != tokens.len()
                    && layout::token_match(&run, &joined) > 0.0
                    && !out.iter().any(|&(l, f, _)| l == li && f == from)
                {
                    out.push((li, from, to));
                }
            }
        }
    }
    out
}

/// Two amounts as written by the normaliser and the arithmetic, the same number.
fn same_amount(a: &str, b: &str) -> bool {
    let amount = |v: &str| v.parse::<rust_decimal::Decimal>().ok();
    amount(a).is_some() && amount(a) == amount(b)
}

/// A confidence for a value found only because approvals showed its label, until two
/// approvals agree on its place and shape: enough to show the reviewer, never enough to
/// post.
const PROPOSED: f64 = 0.5;

/// The value of `spec`'s kind printed right of, or just below, the label `label` (at
/// [`PROPOSED`]), with the lowest OCR confidence of its words and whether no other
/// value of its kind stands beside another print of the label.
fn beside_label(
    lines: &[Line],
    spec: &FieldSpec,
    label: &str,
    want: Option<&str>,
) -> Option<(Field, f64, bool)> {
    let (label, above) = match label.strip_suffix(ABOVE) {
        Some(l) => (l.trim_end(), true),
        None => (label, false),
    };
    let tokens: Vec<String> = label.split(' ').map(str::to_string).collect();
    // Names and free text run to the end of their segment; other values are the first
    // one to five words that read as a value of their kind.
    let whole = matches!(spec.kind, FieldKind::Text | FieldKind::PartyName);
    let mut found: Vec<(Field, f64)> = Vec::new();
    for (li, from, to) in find_label(lines, &tokens) {
        let line = &lines[li];
        let (l, start) = if above {
            let Some(b) = lines.get(li + 1).filter(|b| b.page == line.page) else {
                continue;
            };
            let x0 = line.words[from].bbox[0].saturating_sub(20);
            match b.words.iter().position(|w| w.bbox[2] > x0) {
                Some(start) => (li + 1, start),
                None => continue,
            }
        } else {
            (li, to)
        };
        let words = &lines[l].words;
        if start >= words.len() {
            continue;
        }
        let seg_end = (start..words.len())
            .find(|&k| lines[l].segment[k] != lines[l].segment[start])
            .unwrap_or(words.len());
        let ends: Vec<usize> = if whole {
            vec![seg_end]
        } else {
            (start + 1..=seg_end.min(start + 5)).collect()
        };
        // The first run that reads as a value of the kind, or the one that reads as
        // `want` (an amount printed in groups, "15 775,07", whose first group reads too).
        let mut first: Option<(usize, String)> = None;
        for end in ends {
            let text = lines[l].text(start, end);
            if let Ok(Some(value)) = crate::extract::input::normalize(spec, &text) {
                let wanted = want.is_some_and(|w| same_amount(w, &value));
                if first.is_none() || wanted {
                    first = Some((end, value));
                }
                if want.is_none() || wanted {
                    break;
                }
            }
        }
        if let Some((end, value)) = first {
            let ocr = words[start..end]
                .iter()
                .map(|w| w.conf as f64)
                .fold(1.0, f64::min);
            found.push((
                Field {
                    value,
                    confidence: PROPOSED,
                    raw: lines[l].text(start, end),
                    page: lines[l].page,
                    bbox: Some(layout::union(&words[start..end])),
                    origin: Origin::Ocr,
                    reasons: Vec::new(),
                },
                ocr,
            ));
        }
    }
    let alone = found.iter().all(|(f, _)| f.value == found[0].0.value);
    let (first, ocr) = found.into_iter().next()?;
    Some((first, ocr, alone))
}
