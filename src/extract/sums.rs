//! The money fields tied by sum checks, chosen together: the combination of
//! candidates that adds up, the total that agrees with what was paid, and a sum's
//! one missing member derived by arithmetic.

use rust_decimal::Decimal;

use crate::config::doctype::{CheckSpec, FieldKind};
use crate::config::DocType;
use crate::document::{Field, IndexedFields, Origin};
use crate::text::layout::Line;
use crate::values;

use super::candidates::{choice_reasons, Candidate};
use super::tender;

/// Pick the money candidates that satisfy each sum check, when some combination does.
pub(super) fn resolve_sums(
    doctype: &DocType,
    candidates: &[Vec<Candidate>],
    chosen: &mut [Option<Candidate>],
) {
    let index = |name: &str| doctype.fields.iter().position(|f| f.name == name);
    for check in &doctype.checks {
        let CheckSpec::Sum {
            parts,
            total,
            tolerance,
            ..
        } = check
        else {
            continue;
        };
        let Some(slots): Option<Vec<usize>> =
            parts.iter().chain([total]).map(|n| index(n)).collect()
        else {
            continue;
        };
        let lists: Vec<Vec<&Candidate>> = slots
            .iter()
            .map(|&i| {
                // Amounts beside unlisted labels are left out: a column heading like a
                // total's label ("Montant") over an item's amount made a false sum.
                let mut v: Vec<&Candidate> = candidates[i]
                    .iter()
                    .filter(|c| c.amount.is_some() && c.note.is_none())
                    .collect();
                v.sort_by(|a, b| b.score.total_cmp(&a.score));
                v.truncate(5);
                v
            })
            .collect();
        if lists.iter().any(Vec::is_empty) {
            continue;
        }
        let mut best: Option<(f64, Vec<&Candidate>)> = None;
        let mut idx = vec![0usize; lists.len()];
        loop {
            let combo: Vec<&Candidate> = idx.iter().zip(&lists).map(|(&i, l)| l[i]).collect();
            let (total_c, part_cs) = combo.split_last().unwrap();
            let sum: Decimal = part_cs.iter().map(|c| c.amount.unwrap()).sum();
            if (sum - total_c.amount.unwrap()).abs() <= *tolerance {
                let score: f64 = combo.iter().map(|c| c.score).sum();
                if best.as_ref().is_none_or(|(s, _)| score > *s) {
                    best = Some((score, combo.clone()));
                }
            }
            // Odometer over the candidate lists.
            let mut k = 0;
            while k < idx.len() {
                idx[k] += 1;
                if idx[k] < lists[k].len() {
                    break;
                }
                idx[k] = 0;
                k += 1;
            }
            if k == idx.len() {
                break;
            }
        }
        if let Some((_, combo)) = best {
            for (&slot, c) in slots.iter().zip(combo) {
                chosen[slot] = Some(c.clone());
            }
        } else if let Some(combo) = with_a_part_per_rate(&lists, *tolerance) {
            for (&slot, c) in slots.iter().zip(combo) {
                chosen[slot] = Some(c);
            }
        }
    }
}

/// When no one amount of each field adds up: a part printed once per VAT rate ("MwSt
/// 19 %  56,78", "MwSt 7 %  12,34") without a line for its sum. The part is the sum of
/// two or three of its candidates, on lines of their own, when that makes the check
/// add up with one amount of each other field; the best-scored such combination.
fn with_a_part_per_rate(lists: &[Vec<&Candidate>], tolerance: Decimal) -> Option<Vec<Candidate>> {
    let (total_list, part_lists) = lists.split_last()?;
    let mut best: Option<(f64, Vec<Candidate>)> = None;
    for (k, list) in part_lists.iter().enumerate() {
        for group in subsets(list.len()) {
            let members: Vec<&Candidate> = group.iter().map(|&i| list[i]).collect();
            let lines_apart = members.iter().enumerate().all(|(i, a)| {
                members[..i]
                    .iter()
                    .all(|b| a.page != b.page || a.bbox[1].abs_diff(b.bbox[1]) > 10)
            });
            if !lines_apart {
                continue;
            }
            let merged = merge(&members);
            let others: Vec<&Vec<&Candidate>> = part_lists
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != k)
                .map(|(_, l)| l)
                .collect();
            // One candidate of each other part (at most one other: the sums are short).
            let choices: Vec<Option<&Candidate>> = match others.as_slice() {
                [] => vec![None],
                [one] => one.iter().map(|c| Some(*c)).collect(),
                _ => continue,
            };
            for other in choices {
                for total in total_list {
                    let sum = merged.amount?
                        + other.map_or(Decimal::ZERO, |c| c.amount.unwrap_or_default());
                    if (sum - total.amount?).abs() > tolerance {
                        continue;
                    }
                    let score = merged.score + other.map_or(0.0, |c| c.score) + total.score;
                    if best.as_ref().is_some_and(|(s, _)| *s >= score) {
                        continue;
                    }
                    let mut combo: Vec<Candidate> = Vec::with_capacity(lists.len());
                    let mut rest = other.into_iter();
                    for j in 0..part_lists.len() {
                        combo.push(match j == k {
                            true => merged.clone(),
                            false => rest.next()?.clone(),
                        });
                    }
                    combo.push((*total).clone());
                    best = Some((score, combo));
                }
            }
        }
    }
    best.map(|(_, combo)| combo)
}

/// The index sets of two and three of `n` candidates.
fn subsets(n: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    for a in 0..n {
        for b in a + 1..n {
            out.push(vec![a, b]);
            for c in b + 1..n {
                out.push(vec![a, b, c]);
            }
        }
    }
    out
}

/// Amounts printed once per rate, as one candidate: their sum, read from every one of
/// them (the weakest one's score), with the labels and raw texts joined.
fn merge(members: &[&Candidate]) -> Candidate {
    let first = members[0];
    let amount: Decimal = members.iter().filter_map(|c| c.amount).sum();
    let joined =
        |f: fn(&Candidate) -> &str| members.iter().map(|c| f(c)).collect::<Vec<_>>().join(" + ");
    let same_page = members.iter().all(|c| c.page == first.page);
    let bbox = members.iter().skip(1).fold(first.bbox, |b, c| {
        [
            b[0].min(c.bbox[0]),
            b[1].min(c.bbox[1]),
            b[2].max(c.bbox[2]),
            b[3].max(c.bbox[3]),
        ]
    });
    Candidate {
        value: values::format_money(amount, first.currency),
        raw: joined(|c| &c.raw),
        bbox: if same_page { bbox } else { first.bbox },
        score: members.iter().map(|c| c.score).fold(1.0, f64::min),
        amount: Some(amount),
        label: joined(|c| &c.label),
        ocr: members.iter().map(|c| c.ocr).fold(1.0, f64::min),
        label_match: members.iter().map(|c| c.label_match).fold(1.0, f64::min),
        ..first.clone()
    }
}

/// What a till's payment lines take away from a total's doubt when they agree with it,
/// and leave of its confidence when they do not: they are printed from the same sum,
/// so agreement is independent evidence, and disagreement means one was misread or
/// the wrong total was chosen.
pub(super) const PAID_AGREES: f64 = 0.25;
pub(super) const PAID_DISAGREES: f64 = 0.5;

/// The total against what was paid ([`tender::paid`]): a total candidate with the paid
/// amount wins (or a line labelled like a total that prints it, though its words were
/// excluded), with the agreement among its reasons; a total that disagrees loses
/// confidence, with the reason.
pub(super) fn confirm_total_by_payment(
    doctype: &DocType,
    lines: &[Line],
    candidates: &[Vec<Candidate>],
    chosen: &mut [Option<Candidate>],
    reasons: &mut [Vec<String>],
    origin_of: &dyn Fn(u32) -> Origin,
) {
    let Some(ti) = doctype
        .fields
        .iter()
        .position(|f| f.name == "total" && f.kind == FieldKind::Money && f.extract)
    else {
        return;
    };
    let Some(paid) = tender::paid(lines) else {
        return;
    };
    let spec = &doctype.fields[ti];
    let label_words: Vec<&str> = spec
        .labels
        .iter()
        .filter_map(|(_, tokens)| tokens.first())
        .map(String::as_str)
        .filter(|t| t.chars().count() >= 4)
        .collect();
    let agreeing = candidates[ti]
        .iter()
        .filter(|c| c.amount == Some(paid.amount))
        .max_by(|a, b| a.score.total_cmp(&b.score))
        .cloned()
        .or_else(|| {
            tender::total_line(lines, &label_words, &paid).map(|mut c| {
                c.origin = origin_of(c.page);
                c
            })
        });
    match agreeing {
        Some(mut c) => {
            c.score = 1.0 - (1.0 - c.score) * PAID_AGREES;
            let changed = chosen[ti].as_ref().map(|o| &o.value) != Some(&c.value);
            chosen[ti] = Some(c);
            if changed {
                reasons[ti] =
                    choice_reasons(spec, &candidates[ti], chosen[ti].as_ref(), false, None);
            }
            reasons[ti].push(format!("agrees with what was paid: {}", paid.how));
        }
        None => {
            if let Some(c) = chosen[ti].as_mut() {
                c.score *= PAID_DISAGREES;
                reasons[ti].push(format!(
                    "what was paid ({} = {}) is not this total",
                    paid.how, paid.amount
                ));
            }
        }
    }
}

/// A sum with one unreadable member is completed by arithmetic, marked `derived` with a
/// confidence that sends the document to review: inferred is not read.
pub(super) fn derive_missing_sums(doctype: &DocType, fields: &mut IndexedFields) {
    const DERIVED_CONFIDENCE: f64 = 0.5;
    for check in &doctype.checks {
        let CheckSpec::Sum { parts, total, .. } = check else {
            continue;
        };
        let names: Vec<&String> = parts.iter().chain([total]).collect();
        let amounts: Vec<Option<Decimal>> = names
            .iter()
            .map(|n| fields.value(n).and_then(|v| v.parse().ok()))
            .collect();
        let missing: Vec<usize> = (0..names.len()).filter(|&i| amounts[i].is_none()).collect();
        let [m] = missing[..] else { continue };
        let known = |i: usize| amounts[i].unwrap();
        let value = if m == names.len() - 1 {
            (0..m).map(known).sum::<Decimal>()
        } else {
            known(names.len() - 1)
                - (0..names.len() - 1)
                    .filter(|&i| i != m)
                    .map(known)
                    .sum::<Decimal>()
        };
        let template = fields.get(names[if m == 0 { 1 } else { 0 }]).cloned();
        fields.set(
            names[m],
            Some(Field {
                value: values::format_money(value, None),
                confidence: DERIVED_CONFIDENCE,
                raw: String::new(),
                page: template.as_ref().map_or(1, |f| f.page),
                bbox: None,
                origin: Origin::Derived,
                reasons: Vec::new(),
            }),
        );
    }
}
