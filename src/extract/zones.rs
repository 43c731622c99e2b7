//! A fixed form's fields: the words (or the box) in each field's zone, once the
//! form's printed anchors place the zones on the page.

use crate::config::doctype::{FieldKind, FieldSpec};
use crate::text::layout::LWord;
use crate::text::Page;
use crate::values::{self, DateOrder};

use super::candidates::{box_candidate, candidate, joined, parse_region, Candidate};
use super::form;
use super::letterhead::clean_name;
use super::Reading;

/// Candidates from the zones of a fixed form, when the form is placed on the page;
/// returns the zone fields whose box holds print but no value could be read from it.
pub(super) fn zone_candidates(r: &Reading, candidates: &mut [Vec<Candidate>]) -> Vec<String> {
    let (pages, lines, doctype, order) = (r.pages, r.lines, r.doctype, r.order);
    // Zone fields whose box holds print but no value could be read from it.
    let mut unread_zones: Vec<String> = Vec::new();
    if let Some(placement) = doctype.form.as_ref().and_then(|f| form::place(lines, f)) {
        for (i, spec) in doctype.fields.iter().enumerate() {
            if let (Some(zone), true) = (spec.zone, spec.extract) {
                let page_box = placement.map_box(zone);
                let words = if spec.kind.is_mark() {
                    Vec::new()
                } else {
                    form::words_in_zone(lines, placement.page, page_box)
                };
                let c = if spec.kind == FieldKind::Choice {
                    // The options printed in the zone, and the marked box beside one.
                    let zone_lines = form::lines_in_zone(lines, placement.page, page_box);
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
                    c.origin = r.origin_of(c.page);
                    c.found = super::candidates::Found::Zone;
                    c
                }));
            }
        }
    }
    unread_zones
}

/// A fixed form's field: the words (or the box) in its zone, mapped onto the page.
/// `words` are the zone's words (none for box kinds, which take the box in the zone).
pub(super) fn zone_candidate(
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
