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
mod letterhead;
pub mod similar;
mod tender;
use letterhead::{address_below, clean_name, corroborate_name, letterhead};
pub mod payment_qr;

use rust_decimal::Decimal;

use crate::config::doctype::{normalize_token, CheckSpec, FieldKind, FieldSpec, Prefer};
use crate::config::DocType;
use crate::document::round3;
use crate::document::{Field, IndexedFields, LineItem, Origin};
use crate::text::layout::{self, token_match, union, LWord, Line};
use crate::text::Page;
use crate::values::{self, DateOrder};

/// What extraction found, before validation.
#[derive(Debug, Clone)]
pub struct Extraction {
    pub fields: IndexedFields,
    /// The language whose labels matched most often ("en", "da", "de").
    pub language: Option<String>,
    /// Fields whose label is clearly on the page but whose value could not be read:
    /// `null` for these is not "absent" and must not be posted unseen.
    pub unread: Vec<String>,
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

/// A label found on a line.
#[derive(Debug, Clone)]
struct LabelMatch {
    field: usize,
    line: usize,
    start: usize,
    end: usize,
    quality: f64,
    lang: String,
}

/// One possible value for a field.
#[derive(Debug, Clone)]
struct Candidate {
    value: String,
    raw: String,
    page: u32,
    bbox: [u32; 4],
    score: f64,
    /// For money: the amount and the currency printed with it.
    amount: Option<Decimal>,
    currency: Option<&'static str>,
    origin: Origin,
    /// The label it was found beside, as printed ("" when found without one).
    label: String,
    /// Why it is a candidate at all, when that is not a listed label: given as the
    /// field's reason if it is chosen.
    note: Option<String>,
}

/// Where a candidate value sat relative to its label.
const RIGHT_OF_LABEL: f64 = 1.0;
const BELOW_LABEL: f64 = 0.97;
/// Found by scanning the page, without a label.
const UNLABELLED: f64 = 0.93;
/// Found beside a label nobody listed but like a listed one (times the similarity).
const SIMILAR_LABEL: f64 = 0.9;
/// The least similarity for an unlisted label to name a field.
const MIN_SIMILARITY: f64 = 0.6;

pub fn extract(pages: &[Page], doctype: &DocType) -> Extraction {
    let mut lines: Vec<Line> = Vec::new();
    let mut origins = std::collections::HashMap::new();
    for p in pages {
        origins.insert(p.number, p.origin);
        lines.extend(layout::lines(p));
    }
    let origin_of = |page: u32| origins.get(&page).copied().unwrap_or(Origin::Ocr);
    let matches = find_labels(&lines, doctype);
    let language = majority_language(&matches);

    // Currency first: it decides how ambiguous dates (03/05/2024) are read.
    let page_currency = page_currency_votes(&lines);
    // The page's own dates say their order when one can be read only one way; else
    // dollars mean month first, anything else day first.
    let page_text: String = lines.iter().map(|l| joined(&l.words).0 + "\n").collect();
    let order = values::order_shown(&page_text).unwrap_or(
        if page_currency.first().is_some_and(|(c, _)| *c == "USD") {
            DateOrder::Mdy
        } else {
            DateOrder::Dmy
        },
    );
    let default_country = default_vat_country(&lines, &page_currency);

    let mut candidates: Vec<Vec<Candidate>> = vec![Vec::new(); doctype.fields.len()];
    for m in &matches {
        let spec = &doctype.fields[m.field];
        for (region, pos) in value_regions(&lines, &matches, m) {
            if let Some(mut c) =
                parse_region(spec.kind, spec, &region, order, default_country.as_deref())
            {
                c.page = lines[m.line].page;
                c.origin = origin_of(c.page);
                c.score *= m.quality * pos;
                c.label = lines[m.line].text(m.start, m.end);
                candidates[m.field].push(c);
            }
        }
    }
    similar_label_candidates(
        &lines,
        &matches,
        doctype,
        order,
        default_country.as_deref(),
        &origin_of,
        &mut candidates,
    );
    // The letterhead: the issuer's name, and the address under it.
    let head = doctype
        .fields
        .iter()
        .any(|f| f.extract && matches!(f.kind, FieldKind::PartyName | FieldKind::PartyAddress))
        .then(|| letterhead(&lines, doctype, &matches))
        .flatten();
    for (i, spec) in doctype.fields.iter().enumerate() {
        if !spec.extract {
            continue;
        }
        let found = match spec.kind {
            FieldKind::Iban => scan_lines(&lines, |t| {
                values::find_iban(t).map(|f| (f.start, f.end, f.value))
            }),
            FieldKind::VatId => scan_lines(&lines, |t| {
                values::find_vat_id(t, None).map(|f| (f.start, f.end, f.value))
            }),
            FieldKind::PartyName => head
                .clone()
                .map(|(c, words)| corroborate_name(&lines, c, &words))
                .into_iter()
                .collect(),
            // A bare date, only when no label led to one; the first printed wins.
            FieldKind::Date if spec.unlabelled && candidates[i].is_empty() => {
                scan_lines(&lines, |t| {
                    values::parse_date(t, order)
                        .map(|f| (f.start, f.end, f.value.format("%Y-%m-%d").to_string()))
                })
                .into_iter()
                .take(1)
                .collect()
            }
            FieldKind::PartyAddress => head
                .as_ref()
                .and_then(|(c, _)| address_below(&lines, c, doctype))
                .into_iter()
                .collect(),
            FieldKind::Choice if spec.zone.is_none() => form::choice(pages, &lines, spec)
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
            c.origin = origin_of(c.page);
            if spec.kind == FieldKind::Iban && values::iban_is_valid(&c.value) {
                // mod-97 catches every single misread character: a valid IBAN was read right.
                c.score = c.score.max(0.99);
            }
            candidates[i].push(c);
        }
    }

    // Zone fields whose box holds print but no value could be read from it.
    let mut unread_zones: Vec<String> = Vec::new();
    if let Some(placement) = doctype.form.as_ref().and_then(|f| form::place(&lines, f)) {
        for (i, spec) in doctype.fields.iter().enumerate() {
            if let (Some(zone), true) = (spec.zone, spec.extract) {
                let page_box = placement.map_box(zone);
                let words = if spec.kind.is_mark() {
                    Vec::new()
                } else {
                    form::words_in_zone(&lines, placement.page, page_box)
                };
                let c = if spec.kind == FieldKind::Choice {
                    // The options printed in the zone, and the marked box beside one.
                    let zone_lines = form::lines_in_zone(&lines, placement.page, page_box);
                    form::choice(pages, &zone_lines, spec).map(|mut b| {
                        b.confidence *= placement.quality;
                        box_candidate(b)
                    })
                } else {
                    zone_candidate(pages, &placement, spec, page_box, &words, order)
                };
                if c.is_none() && !words.is_empty() {
                    unread_zones.push(spec.name.clone());
                }
                candidates[i].extend(c.map(|mut c| {
                    c.origin = origin_of(c.page);
                    c
                }));
            }
        }
    }

    let mut chosen: Vec<Option<Candidate>> = candidates
        .iter()
        .zip(&doctype.fields)
        .map(|(cs, spec)| pick(cs, spec.prefer))
        .collect();
    let picked = chosen.clone();
    resolve_sums(doctype, &candidates, &mut chosen);
    let mut reasons: Vec<Vec<String>> = doctype
        .fields
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let by_sum =
                chosen[i].as_ref().map(|c| &c.value) != picked[i].as_ref().map(|c| &c.value);
            choice_reasons(spec, &candidates[i], chosen[i].as_ref(), by_sum)
        })
        .collect();

    confirm_total_by_payment(
        doctype,
        &lines,
        &candidates,
        &mut chosen,
        &mut reasons,
        &origin_of,
    );

    // Currency: printed with the total, else with another amount, else the page's.
    if let Some(ci) = doctype
        .fields
        .iter()
        .position(|f| f.kind == FieldKind::Currency)
    {
        chosen[ci] = currency_field(doctype, &chosen, &page_currency)
            .or_else(|| currency_from_language(doctype, &chosen, language.as_deref()));
    }

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
    derive_missing_sums(doctype, &mut fields);
    let unread = doctype
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
        .collect();
    let items = match &doctype.line_items {
        Some(until) => {
            let money_fields: Vec<usize> = (0..doctype.fields.len())
                .filter(|&i| doctype.fields[i].kind == FieldKind::Money)
                .collect();
            read_items(
                &lines,
                &matches,
                &candidates,
                until,
                &money_fields,
                fields.value("currency"),
            )
        }
        None => None,
    };
    Extraction {
        fields,
        language,
        unread,
        items,
    }
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
        .filter(|m| lines[m.line].words.iter().any(|w| has_minor_unit(&w.text)))
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

/// Why a field holds the value it does, when the page offered others: each value
/// found with the label beside it and its score, and the rule that chose.
fn choice_reasons(
    spec: &FieldSpec,
    cs: &[Candidate],
    chosen: Option<&Candidate>,
    by_sum: bool,
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

/// The winning candidate. `Last` takes, among those nearly as strong as the best, the
/// one printed last.
fn pick(cs: &[Candidate], prefer: Prefer) -> Option<Candidate> {
    let best = cs.iter().max_by(|a, b| a.score.total_cmp(&b.score))?;
    match prefer {
        Prefer::Best => Some(best.clone()),
        Prefer::Last => cs
            .iter()
            .filter(|c| c.score >= best.score * 0.9)
            .max_by_key(|c| (c.page, c.bbox[1]))
            .cloned(),
    }
}

fn box_candidate(b: form::BoxValue) -> Candidate {
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
    }
}

/// A fixed form's field: the words (or the box) in its zone, mapped onto the page.
/// `words` are the zone's words (none for box kinds, which take the box in the zone).
fn zone_candidate(
    pages: &[Page],
    placement: &form::Placement,
    spec: &FieldSpec,
    page_box: [u32; 4],
    words: &[LWord],
    order: DateOrder,
) -> Option<Candidate> {
    let page = pages.iter().find(|p| p.number == placement.page)?;
    if spec.kind.is_mark() {
        return form::mark_in_zone(page, spec.kind, page_box, placement.quality).map(box_candidate);
    }
    if words.is_empty() {
        return None;
    }
    if spec.kind == FieldKind::Money {
        // A box holds one amount: "548," "711.48" is 548,711.48 split by OCR at the
        // separator of a monospaced font, not two amounts.
        let glued: String = words.iter().map(|w| w.text.as_str()).collect();
        if let Some(f) =
            values::parse_money(&glued).filter(|f| f.start == 0 && f.end == glued.len())
        {
            let mut c = candidate(
                values::format_money(f.value.amount, f.value.currency),
                words.to_vec(),
            );
            c.amount = Some(f.value.amount);
            c.currency = f.value.currency;
            c.page = placement.page;
            c.score *= placement.quality;
            return Some(c);
        }
    }
    let mut c = if matches!(
        spec.kind,
        FieldKind::Text | FieldKind::PartyName | FieldKind::PartyAddress
    ) {
        let (raw, _) = joined(words);
        let value = clean_name(&raw);
        if value.is_empty() {
            return None;
        }
        candidate(value, words.to_vec())
    } else {
        let mut c = parse_region(spec.kind, spec, words, order, None)?;
        // A box holds one value: print left over beside it ("S48," before "711.48")
        // means part of the value was misread.
        let used = words
            .iter()
            .filter(|w| crate::text::intersection(w.bbox, c.bbox) > 0.0)
            .count();
        if used < words.len() {
            c.score *= 0.5;
        }
        c
    };
    c.page = placement.page;
    c.score *= placement.quality;
    Some(c)
}

fn find_labels(lines: &[Line], doctype: &DocType) -> Vec<LabelMatch> {
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
                        quality = label
                            .iter()
                            .zip(&line.words[start..end])
                            .map(|(l, w)| token_match(&w.norm, l))
                            .product();
                    }
                    if quality == 0.0 && label.len() > 1 {
                        // OCR glues short labels together: "Invoice#", "InvoiceNo.".
                        // Exactly: "Invoice" is one letter from "invoice#" and is a heading.
                        end = start + 1;
                        quality = if line.words[start].norm == label.concat() {
                            1.0
                        } else {
                            0.0
                        };
                    }
                    if quality > 0.0 && end <= line.words.len() && !excluded(spec, line, start, end)
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

/// Words just before or after a label that say it is some other label
/// ("VAT No" is not the tax amount).
fn excluded(spec: &FieldSpec, line: &Line, start: usize, end: usize) -> bool {
    if spec.exclude.is_empty() {
        return false;
    }
    let before = start.saturating_sub(2)..start;
    let after = end..(end + 2).min(line.words.len());
    before
        .chain(after)
        .any(|i| spec.exclude.contains(&line.words[i].norm))
}

fn majority_language(matches: &[LabelMatch]) -> Option<String> {
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
fn value_regions(lines: &[Line], matches: &[LabelMatch], m: &LabelMatch) -> Vec<(Vec<LWord>, f64)> {
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

/// Candidates beside labels no type file lists: every label–value pair on the page
/// (`text::pairs`) whose key is like a field's labels (`similar`) more than any other
/// field's, and whose value parses as the field's kind. Keys that hold a listed label
/// were read above. Names, addresses and free text are left out: any words fit them.
fn similar_label_candidates(
    lines: &[Line],
    matches: &[LabelMatch],
    doctype: &DocType,
    order: DateOrder,
    default_country: Option<&str>,
    origin_of: &dyn Fn(u32) -> Origin,
    candidates: &mut [Vec<Candidate>],
) {
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
            let Some(mut c) = parse_region(spec.kind, spec, &pair.value, order, default_country)
            else {
                continue;
            };
            if !plausible(spec.kind, &pair.value_text(), &c.value, order) {
                continue;
            }
            c.page = pair.page;
            c.origin = origin_of(c.page);
            c.score *= sim * pos * SIMILAR_LABEL;
            c.label = pair.key_text();
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
fn plausible(kind: FieldKind, text: &str, value: &str, order: DateOrder) -> bool {
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

/// Joined text of words, and the byte span of each word in it.
fn joined(words: &[LWord]) -> (String, Vec<(usize, usize)>) {
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
fn words_in(words: &[LWord], spans: &[(usize, usize)], start: usize, end: usize) -> Vec<LWord> {
    words
        .iter()
        .zip(spans)
        .filter(|(_, (s, e))| *s < end && *e > start)
        .map(|(w, _)| w.clone())
        .collect()
}

/// OCR quality of the words a value came from: the weakest word counts as much as
/// the average, since one misread character spoils a value.
fn ocr_quality(words: &[LWord]) -> f64 {
    if words.is_empty() {
        return 0.0;
    }
    let mean = words.iter().map(|w| w.conf as f64).sum::<f64>() / words.len() as f64;
    let min = words.iter().map(|w| w.conf as f64).fold(1.0, f64::min);
    0.5 * mean + 0.5 * min
}

fn candidate(value: String, words: Vec<LWord>) -> Candidate {
    let (raw, _) = joined(&words);
    Candidate {
        value,
        raw,
        page: 0,
        bbox: union(&words),
        score: ocr_quality(&words),
        amount: None,
        currency: None,
        origin: Origin::Ocr,
        label: String::new(),
        note: None,
    }
}

fn parse_region(
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
            Some(from_found(f.start, f.end, f.value))
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

/// "1.234,56", "12.50", "1.234,-": the amount shows its minor unit.
fn has_minor_unit(raw: &str) -> bool {
    static RE: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"[.,](\d{2}|-)(\D|$)").unwrap());
    RE.is_match(raw)
}

/// Candidates found anywhere on the pages by `find` (value, byte span) on each line.
fn scan_lines(
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

/// Currency codes/symbols on the pages, most frequent first.
fn page_currency_votes(lines: &[Line]) -> Vec<(&'static str, usize)> {
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for w in lines.iter().flat_map(|l| &l.words) {
        let t = w
            .text
            .trim_matches(|c: char| c == ':' || c == ',' || c == ')' || c == '(');
        let code = values::currency_code(t).or_else(|| {
            // "£1,234.56", "1.234,56€": a symbol glued to the amount.
            let first = t.chars().next()?;
            let last = t.chars().last()?;
            values::currency_code(&first.to_string())
                .or_else(|| values::currency_code(&last.to_string()))
        });
        if let Some(code) = code {
            match counts.iter_mut().find(|(c, _)| *c == code) {
                Some(e) => e.1 += 1,
                None => counts.push((code, 1)),
            }
        }
    }
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    counts
}

/// The country a bare VAT number belongs to: the IBAN's country, else the currency's.
fn default_vat_country(lines: &[Line], currency: &[(&'static str, usize)]) -> Option<String> {
    for line in lines {
        let (text, _) = joined(&line.words);
        if let Some(f) = values::find_iban(&text) {
            return Some(f.value[..2].to_string());
        }
    }
    match currency.first()?.0 {
        "DKK" => Some("DK".into()),
        "GBP" => Some("GB".into()),
        _ => None,
    }
}

fn currency_field(
    doctype: &DocType,
    chosen: &[Option<Candidate>],
    page_votes: &[(&'static str, usize)],
) -> Option<Candidate> {
    // Money fields in type order, the required ones (the total) first.
    let mut money: Vec<(usize, &FieldSpec)> = doctype
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.kind == FieldKind::Money)
        .collect();
    money.sort_by_key(|(_, f)| !f.required);
    for (rank, (i, _)) in money.iter().enumerate() {
        if let Some(c) = &chosen[*i] {
            if let Some(code) = c.currency {
                let mut out = c.clone();
                out.value = code.to_string();
                out.score = c.score * if rank == 0 { 1.0 } else { 0.97 };
                return Some(out);
            }
        }
    }
    let (code, n) = page_votes.first()?;
    let total: usize = page_votes.iter().map(|(_, n)| n).sum();
    let anchor = money.iter().find_map(|(i, _)| chosen[*i].as_ref())?;
    let mut out = anchor.clone();
    out.value = code.to_string();
    out.raw = code.to_string();
    // Printed on the page but not beside an amount we used.
    out.score = if *n == total { 0.9 } else { 0.6 };
    Some(out)
}

/// No currency printed anywhere (a Danish till receipt prints bare "99,95"): the
/// labels' language says where the document is from. Only a guess, so a person looks.
fn currency_from_language(
    doctype: &DocType,
    chosen: &[Option<Candidate>],
    language: Option<&str>,
) -> Option<Candidate> {
    // The currency of the country where the language is mostly written: a guess,
    // below every threshold, for a page that prints no currency at all.
    let code = match language? {
        "da" => "DKK",
        "sv" => "SEK",
        "nb" => "NOK",
        "pl" => "PLN",
        "de" | "fi" | "nl" | "fr" | "it" | "es" => "EUR",
        _ => return None,
    };
    let anchor = doctype
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.kind == FieldKind::Money && f.required)
        .find_map(|(i, _)| chosen[i].as_ref())?;
    let mut out = anchor.clone();
    out.value = code.to_string();
    out.raw = String::new();
    out.score = 0.7;
    Some(out)
}

/// Pick the money candidates that satisfy each sum check, when some combination does.
fn resolve_sums(
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
        }
    }
}

/// What a till's payment lines take away from a total's doubt when they agree with it,
/// and leave of its confidence when they do not: they are printed from the same sum,
/// so agreement is independent evidence, and disagreement means one was misread or
/// the wrong total was chosen.
const PAID_AGREES: f64 = 0.25;
const PAID_DISAGREES: f64 = 0.5;

/// The total against what was paid ([`tender::paid`]): a total candidate with the paid
/// amount wins (or a line labelled like a total that prints it, though its words were
/// excluded), with the agreement among its reasons; a total that disagrees loses
/// confidence, with the reason.
fn confirm_total_by_payment(
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
                reasons[ti] = choice_reasons(spec, &candidates[ti], chosen[ti].as_ref(), false);
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
fn derive_missing_sums(doctype: &DocType, fields: &mut IndexedFields) {
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

#[cfg(test)]
pub(crate) mod tests;

/// A letter that OCR confuses with a digit (O/0, I/l/1, S/5, B/8) standing next to a digit.
fn ambiguous_glyphs(id: &str) -> bool {
    let chars: Vec<char> = id.chars().collect();
    chars.iter().enumerate().any(|(i, c)| {
        matches!(c, 'O' | 'o' | 'I' | 'l' | 'S' | 'B' | 'Z')
            && (i > 0 && chars[i - 1].is_ascii_digit()
                || chars.get(i + 1).is_some_and(|n| n.is_ascii_digit()))
    })
}
