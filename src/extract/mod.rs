//! Stage "extract": pages of words → typed fields with confidence, raw text, page and box.
//!
//! Pure: a function of the pages and the document type. Fields are found by their
//! labels (the synonyms in the type file, matched on whole words with tolerance for a
//! misread letter), taking the value to the right of the label on the same line or
//! below it; some kinds are found without a label (an IBAN anywhere on the page
//! passes mod-97 or it is no IBAN; the vendor is the letterhead). Money fields tied by
//! a sum check are chosen together, so a "Total" column header in the line-item table
//! cannot beat the totals block.
//!
//! Known failure modes: labels split across two lines; values in a different column
//! far below their label; a letterhead that is only a logo (vendor name then comes from
//! the next best line, with a confidence that sends it to review).

pub mod draft;
pub mod form;
pub mod input;
pub mod items;
pub mod payment_qr;
pub mod similar;

mod candidates;
mod currency;
mod labels;
mod letterhead;
pub mod rank;
mod recipient;
mod sums;
mod tender;
mod zones;

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::config::doctype::FieldKind;
use crate::config::DocType;
use crate::document::round3;
use crate::document::{Field, IndexedFields, LineItem, Origin};
use crate::text::layout::{self, union, Line};
use crate::text::Page;
use crate::values::{self, DateOrder};
use candidates::{
    box_candidate, choice_reasons, doubt_repaired_vat_id, has_minor_unit, ocr_quality, pick,
    scan_lines, Candidate,
};
use labels::LabelMatch;
use letterhead::{
    address_below, claimed_boxes, complete_name, corroborate_name, footer_name, letterhead,
};

/// What extraction found, before validation.
#[derive(Debug, Clone)]
pub struct Extraction {
    pub fields: IndexedFields,
    /// The language whose labels matched most often ("en", "da", "de").
    pub language: Option<String>,
    /// Fields whose label is clearly on the page but whose value could not be read:
    /// `null` for these is not "absent" and must not be posted unseen.
    pub unread: Vec<String>,
    /// Fields read from the page's shape alone (the name over an address block): they
    /// say nothing of the document's type, so they are no support for reading it as one.
    pub by_shape: Vec<String>,
    /// The item rows above the totals, when the type reads them and there are any.
    pub items: Option<ItemsRead>,
}

/// Item rows as read, before `validate::line_items_sum` judges whether they
/// add up.
#[derive(Debug, Clone)]
pub struct ItemsRead {
    /// The rows; their confidence is the OCR's (halved for a row whose quantity × unit
    /// price is not its amount), not yet rounded: the sum's judgement may halve it.
    pub items: Vec<LineItem>,
    /// What the rows' amounts add up to.
    pub sum: Decimal,
    /// The amounts printed with a label of the totals the items may add up to, with
    /// the text they were read from.
    pub printed: Vec<(Decimal, String)>,
    /// The document's currency, for the amounts' minor digits.
    pub currency: Option<String>,
}

/// The steps: the page's lines; the labels on them; the currency, which decides how
/// ambiguous dates are read; every candidate value (beside a label, beside a label like
/// one, found without a label, in a form's zone); the pick, with the money fields tied
/// by sums chosen together; the currency; the fields, with a sum's missing member
/// derived; the labels whose value could not be read; the item rows.
///
/// Ranked by the hand-set score alone, with no model: the wiring calls
/// [`extract_ranked`] with the configuration's model.
pub fn extract(pages: &[Page], doctype: &DocType) -> Extraction {
    extract_ranked(pages, doctype, &rank::Ranker::default())
}

/// [`extract`], each field's candidates ranked by `ranker` (the configuration's
/// `models/ranker.json`); kinds it has no weights for are ranked by the hand-set score.
pub fn extract_ranked(pages: &[Page], doctype: &DocType, ranker: &rank::Ranker) -> Extraction {
    let read = gather(pages, doctype);
    let Gathered {
        lines,
        matches,
        language,
        page_currency,
        candidates,
        unread_zones,
        geometry,
        ..
    } = &read;
    let (mut chosen, mut reasons) = choose(doctype, candidates, ranker, geometry);
    sums::confirm_total_by_payment(
        doctype,
        lines,
        candidates,
        &mut chosen,
        &mut reasons,
        &|page| origin_of(&read.origins, page),
    );
    // Currency: printed with the total, else with another amount, else the page's.
    if let Some(ci) = doctype
        .fields
        .iter()
        .position(|f| f.kind == FieldKind::Currency)
    {
        chosen[ci] =
            currency::currency_field(doctype, &chosen, page_currency, lines, language.as_deref())
                .or_else(|| {
                    currency::currency_from_language(doctype, &chosen, language.as_deref())
                });
    }

    let by_shape: Vec<String> = doctype
        .fields
        .iter()
        .zip(&chosen)
        .filter(|(_, c)| {
            c.as_ref()
                .is_some_and(|c| c.found == candidates::Found::AddressBlock)
        })
        .map(|(f, _)| f.name.clone())
        .collect();
    let mut fields = into_fields(doctype, chosen, reasons);
    sums::derive_missing_sums(doctype, &mut fields);
    let unread = unread(doctype, lines, matches, &fields, unread_zones.clone());
    let items = match &doctype.line_items {
        Some(until) => {
            let money_fields: Vec<usize> = (0..doctype.fields.len())
                .filter(|&i| doctype.fields[i].kind == FieldKind::Money)
                .collect();
            read_items(
                lines,
                matches,
                candidates,
                until,
                &money_fields,
                fields.value("currency"),
            )
        }
        None => None,
    };
    Extraction {
        fields,
        language: language.clone(),
        unread,
        items,
        by_shape,
    }
}

/// Each field's candidates as the ranker sees them: the value and its evidence in
/// [`rank::FEATURES`]' order. What `mailroom train-ranker` learns from.
pub fn candidate_evidence(pages: &[Page], doctype: &DocType) -> Vec<Vec<(String, Vec<f64>)>> {
    let read = gather(pages, doctype);
    read.candidates
        .iter()
        .map(|cs| {
            cs.iter()
                .map(|c| (c.value.clone(), rank::features(c, cs, &read.geometry)))
                .collect()
        })
        .collect()
}

/// Everything read from the pages before a value is chosen.
struct Gathered {
    lines: Vec<Line>,
    matches: Vec<LabelMatch>,
    language: Option<String>,
    page_currency: Vec<(&'static str, usize)>,
    candidates: Vec<Vec<Candidate>>,
    unread_zones: Vec<String>,
    geometry: rank::Geometry,
    origins: HashMap<u32, Origin>,
}

/// What every way of finding candidates reads: the pages and their lines, the labels
/// on them, the type, how ambiguous dates are ordered, the country a bare VAT number
/// belongs to, and where each page's words came from.
struct Reading<'a> {
    pages: &'a [Page],
    lines: &'a [Line],
    matches: &'a [LabelMatch],
    doctype: &'a DocType,
    order: DateOrder,
    default_country: Option<&'a str>,
    origins: &'a HashMap<u32, Origin>,
}

impl Reading<'_> {
    /// Where a page's words came from (OCR, a text layer).
    fn origin_of(&self, page: u32) -> Origin {
        origin_of(self.origins, page)
    }
}

fn origin_of(origins: &HashMap<u32, Origin>, page: u32) -> Origin {
    origins.get(&page).copied().unwrap_or(Origin::Ocr)
}

fn gather(pages: &[Page], doctype: &DocType) -> Gathered {
    let mut lines: Vec<Line> = Vec::new();
    let mut origins = HashMap::new();
    for p in pages {
        origins.insert(p.number, p.origin);
        lines.extend(layout::lines(p));
    }
    let matches = labels::find_labels(&lines, doctype);
    let language = labels::majority_language(&matches);

    // Currency first: it decides how ambiguous dates (03/05/2024) are read.
    let page_currency = currency::page_currency_votes(&lines);
    let order = currency::date_order(&lines, &page_currency);
    let default_country = currency::default_vat_country(&lines, &page_currency);

    let reading = Reading {
        pages,
        lines: &lines,
        matches: &matches,
        doctype,
        order,
        default_country: default_country.as_deref(),
        origins: &origins,
    };
    let mut candidates = labels::labelled_candidates(&reading);
    labels::similar_label_candidates(&reading, &mut candidates);
    unlabelled_candidates(&reading, &mut candidates);
    let unread_zones = zones::zone_candidates(&reading, &mut candidates);
    let geometry = rank::Geometry::of(pages, &lines);
    Gathered {
        lines,
        matches,
        language,
        page_currency,
        candidates,
        unread_zones,
        geometry,
        origins,
    }
}

/// Values found without a label: an IBAN or VAT id anywhere on the page, the
/// letterhead's name and the address under it, a bare date when no label led to one,
/// a choice's marked box and a checkbox or signature beside its label.
fn unlabelled_candidates(r: &Reading, candidates: &mut [Vec<Candidate>]) {
    let Reading {
        pages,
        lines,
        matches,
        doctype,
        order,
        ..
    } = *r;
    // The letterhead: the issuer's name, and the address under it; never words a
    // label claims (looked up once, by the field whose label claims them, for the
    // letterhead, its completion and the addressee).
    let parties = doctype.fields.iter().any(|f| {
        f.extract
            && (matches!(f.kind, FieldKind::PartyName | FieldKind::PartyAddress)
                || f.kind == FieldKind::Text && f.unlabelled)
    });
    let claimed_by: Vec<(usize, [u32; 4])> = if parties {
        claimed_boxes(lines, matches)
    } else {
        Vec::new()
    };
    let claimed: Vec<[u32; 4]> = claimed_by.iter().map(|(_, b)| *b).collect();
    let head = parties
        .then(|| letterhead(lines, doctype, &claimed).or_else(|| footer_name(lines, &claimed)))
        .flatten();
    // The issuer's name as completed: the addressee is someone else.
    let issuer = head.clone().map(|(c, words)| {
        let (c, words) = complete_name(lines, &claimed, c, words);
        corroborate_name(lines, c, &words)
    });
    for (i, spec) in doctype.fields.iter().enumerate() {
        if !spec.extract {
            continue;
        }
        let found = match spec.kind {
            FieldKind::Iban => scan_lines(lines, |t| {
                values::find_iban(t).map(|f| (f.start, f.end, f.value))
            }),
            FieldKind::VatId => scan_lines(lines, |t| {
                values::find_vat_id(t, None).map(|f| (f.start, f.end, f.value))
            })
            .into_iter()
            .map(doubt_repaired_vat_id)
            .collect(),
            FieldKind::PartyName => issuer.clone().into_iter().collect(),
            // The addressee: the name over the address block that is neither the
            // letterhead's nor another label's value (beside a label's, which it may
            // confirm or, read better, outrank).
            FieldKind::Text if spec.unlabelled => {
                let mut taken: Vec<[u32; 4]> = claimed_by
                    .iter()
                    .filter(|(field, _)| *field != i)
                    .map(|(_, b)| *b)
                    .collect();
                taken.extend(head.as_ref().map(|(c, _)| c.bbox));
                taken.extend(issuer.as_ref().map(|c| c.bbox));
                // The field's own labels head its block.
                let own: Vec<[u32; 4]> = matches
                    .iter()
                    .filter(|m| m.field == i)
                    .map(|m| union(&lines[m.line].words[m.start..m.end]))
                    .collect();
                recipient::recipient(pages, lines, &taken, &own)
                    .into_iter()
                    .collect()
            }
            // A bare date, only when no label led to one; the first printed wins.
            FieldKind::Date if spec.unlabelled && candidates[i].is_empty() => {
                scan_lines(lines, |t| {
                    values::parse_date(t, order)
                        .map(|f| (f.start, f.end, f.value.format("%Y-%m-%d").to_string()))
                })
                .into_iter()
                .take(1)
                .collect()
            }
            FieldKind::PartyAddress => head
                .as_ref()
                .and_then(|(c, _)| address_below(lines, c, doctype))
                .into_iter()
                .collect(),
            FieldKind::Choice if spec.zone.is_none() => form::choice(pages, lines, spec)
                .map(box_candidate)
                .into_iter()
                .collect(),
            FieldKind::Checkbox | FieldKind::Signature if spec.zone.is_none() => matches
                .iter()
                .filter(|m| m.field == i)
                .filter_map(|m| {
                    let line = &lines[m.line];
                    let page = pages.iter().find(|p| p.number == line.page)?;
                    form::mark_by_label(
                        page,
                        spec.kind,
                        union(&line.words[m.start..m.end]),
                        m.quality,
                    )
                })
                .map(box_candidate)
                .collect(),
            _ => Vec::new(),
        };
        for mut c in found {
            c.origin = r.origin_of(c.page);
            if matches!(spec.kind, FieldKind::PartyName | FieldKind::PartyAddress) {
                c.found = candidates::Found::Letterhead;
            }
            if spec.kind == FieldKind::Iban && values::iban_is_valid(&c.value) {
                // mod-97 catches every single misread character: a valid IBAN was read right.
                c.score = c.score.max(0.99);
            }
            candidates[i].push(c);
        }
    }
}

/// Each field's best candidate (by the ranker where it has weights for the field's
/// kind, else by the hand-set score), then the money fields of a sum check chosen
/// together; with the reasons for each choice.
fn choose(
    doctype: &DocType,
    candidates: &[Vec<Candidate>],
    ranker: &rank::Ranker,
    geometry: &rank::Geometry,
) -> (Vec<Option<Candidate>>, Vec<Vec<String>>) {
    let mut chosen: Vec<Option<Candidate>> = Vec::new();
    let mut rules: Vec<Option<String>> = Vec::new();
    for (cs, spec) in candidates.iter().zip(&doctype.fields) {
        // The evidence is worked out only for kinds the model ranks.
        let evidence: Vec<Vec<f64>> = if ranker.ranks(spec.kind) {
            cs.iter().map(|c| rank::features(c, cs, geometry)).collect()
        } else {
            Vec::new()
        };
        let probabilities: Option<Vec<f64>> = evidence
            .iter()
            .map(|x| ranker.probability(spec.kind, x))
            .collect();
        match probabilities {
            Some(mut p) if !p.is_empty() => {
                // The model ranks among the values the hand-set score finds plausible:
                // it weighs evidence the score cannot, but on pages unlike its training
                // documents it must not pick what the score ruled out.
                let best = cs.iter().map(|c| c.score).fold(0.0, f64::max);
                for (p, c) in p.iter_mut().zip(cs) {
                    if c.score < best * PLAUSIBLE {
                        *p = 0.0;
                    }
                }
                let i = pick(cs, &p, spec.prefer);
                let by_score = pick(cs, &scores(cs), spec.prefer);
                let why: Vec<String> = ranker
                    .explain(spec.kind, &evidence[i], 3)
                    .iter()
                    .map(|(name, c)| format!("{name} {c:+.2}"))
                    .collect();
                let mut rule = format!(
                    "ranked first by the learned model (probability {:.2}; {})",
                    p[i],
                    why.join(", ")
                );
                if cs[by_score].value != cs[i].value {
                    rule.push_str(&format!(
                        "; the hand-set score alone would take {} ({:.2})",
                        cs[by_score].value, cs[by_score].score
                    ));
                }
                chosen.push(Some(cs[i].clone()));
                rules.push(Some(rule));
            }
            _ => {
                chosen
                    .push((!cs.is_empty()).then(|| cs[pick(cs, &scores(cs), spec.prefer)].clone()));
                rules.push(None);
            }
        }
    }
    let picked = chosen.clone();
    sums::resolve_sums(doctype, candidates, &mut chosen);
    let reasons: Vec<Vec<String>> = doctype
        .fields
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let by_sum =
                chosen[i].as_ref().map(|c| &c.value) != picked[i].as_ref().map(|c| &c.value);
            choice_reasons(
                spec,
                &candidates[i],
                chosen[i].as_ref(),
                by_sum,
                rules[i].as_deref(),
            )
        })
        .collect();
    (chosen, reasons)
}

/// The share of the best hand-set score a candidate needs for the model to rank it.
const PLAUSIBLE: f64 = 0.85;

fn scores(cs: &[Candidate]) -> Vec<f64> {
    cs.iter().map(|c| c.score).collect()
}

/// The chosen candidates as the document's fields, with their reasons.
fn into_fields(
    doctype: &DocType,
    chosen: Vec<Option<Candidate>>,
    mut reasons: Vec<Vec<String>>,
) -> IndexedFields {
    let mut fields = IndexedFields::default();
    for ((spec, c), reasons) in doctype.fields.iter().zip(chosen).zip(reasons.iter_mut()) {
        let field = c.filter(|_| spec.extract).map(|c| Field {
            reasons: c.note.into_iter().chain(std::mem::take(reasons)).collect(),
            value: c.value,
            confidence: round3(c.score.clamp(0.0, 1.0)),
            raw: c.raw,
            page: c.page,
            bbox: Some(c.bbox),
            origin: c.origin,
        });
        fields.set(&spec.name, field);
    }
    fields
}

/// Fields whose label is clearly on the page (whole, four letters at least) or whose
/// zone holds print, but whose value could not be read.
fn unread(
    doctype: &DocType,
    lines: &[Line],
    matches: &[LabelMatch],
    fields: &IndexedFields,
    unread_zones: Vec<String>,
) -> Vec<String> {
    doctype
        .fields
        .iter()
        .enumerate()
        .filter(|(i, spec)| {
            fields.get(&spec.name).is_none()
                && matches.iter().any(|m| {
                    m.field == *i
                        && m.quality == 1.0
                        && spec
                            .labels
                            .iter()
                            .any(|(_, l)| l.iter().map(|t| t.chars().count()).sum::<usize>() >= 4)
                        && lines[m.line].words[m.start..m.end]
                            .iter()
                            .map(|w| w.norm.chars().count())
                            .sum::<usize>()
                            >= 4
                })
        })
        .map(|(_, spec)| spec.name.clone())
        .chain(unread_zones.into_iter().filter(|n| fields.get(n).is_none()))
        .collect()
}

/// The item rows above the first totals line (a label of a money field at the start
/// of a line that has an amount: subtotal, tax or total), with the amounts printed with
/// one of those labels, for `validate::line_items_sum` (called by the wiring)
/// to judge: rows that add up to such an amount were read right, or wrong in ways that
/// cancel out; rows that do not lose half their confidence and fail the check.
fn read_items(
    lines: &[Line],
    matches: &[LabelMatch],
    candidates: &[Vec<Candidate>],
    until: &[usize],
    money_fields: &[usize],
    currency: Option<&str>,
) -> Option<ItemsRead> {
    let mut ends: Vec<usize> = matches
        .iter()
        .filter(|m| money_fields.contains(&m.field) && m.start <= 1)
        // OCR may split the amount after its decimal comma ("42648, 71").
        .filter(|m| has_minor_unit(&lines[m.line].text(0, lines[m.line].words.len())))
        .map(|m| m.line)
        .collect();
    ends.sort_unstable();
    ends.dedup();
    // A totals box above the table ("Amount due 1,234.00" in the header) has no items
    // over it; the table's own totals line does.
    let (end, items) = ends
        .iter()
        .map(|&end| (end, items::above(lines, end, |i| ends.contains(&i))))
        .find(|(_, items)| !items.is_empty())?;
    let sum = items::sum(&items);
    let printed: Vec<(Decimal, String)> = until
        .iter()
        .flat_map(|&f| &candidates[f])
        // Printed with a listed label: an unlisted one is too weak a witness.
        .filter(|c| c.note.is_none())
        .filter_map(|c| c.amount.map(|a| (a, c.raw.clone())))
        .collect();
    let page = lines[end].page;
    let money = |d: Decimal| values::format_money(d, currency);
    let items = items
        .iter()
        .map(|it| {
            let mut confidence = ocr_quality(&it.words);
            if it.multiplies() == Some(false) {
                confidence *= 0.5;
            }
            LineItem {
                description: it.description.clone(),
                quantity: it.quantity.map(|q| q.normalize().to_string()),
                unit_price: it.unit_price.map(money),
                amount: Some(money(it.amount)),
                vat_rate: None,
                confidence,
                page: Some(page),
                bbox: Some(union(&it.words)),
            }
        })
        .collect();
    Some(ItemsRead {
        items,
        sum,
        printed,
        currency: currency.map(str::to_string),
    })
}

#[cfg(test)]
pub(crate) mod tests;
