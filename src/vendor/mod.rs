//! Stage "vendor": which supplier a document is from, what master data says about its
//! fields, and what that supplier's approved documents taught.
//!
//! # What it does
//! [`resolve`] finds the supplier in the vendor book: by the VAT id (or CVR number)
//! read, by the IBAN read, by either printed anywhere on the page, or by name (diacritics,
//! case, punctuation and legal form aside, with aliases, allowing a letter or two of
//! misreading). [`apply`] then, for an invoice-like type:
//! - lets a read value that agrees with the record take its confidence from that
//!   agreement, and fills a field the page lacks or misreads (the letterhead name) from
//!   the record with `origin: "master_data"`;
//! - adds the checks accounts payable relies on: `iban_on_file` (the invoice's IBAN is
//!   not one on file for its vendor) and, when `vendors.auto_post = "known"`,
//!   `vendor_known`;
//! - hands the fields to [`learn::agree`], which compares each value's label and shape
//!   with what the supplier's approved documents showed, and adds
//!   `usual_field_missing` for a field every approval had (two at least) that is
//!   empty here.
//!
//! [`usual_type`] settles the type of a document the classifier could not type when its
//! page names a supplier on file by VAT id or IBAN: the type its approvals had, or,
//! with none yet, the best of the types a supplier sends that the cues named.
//!
//! Every confidence it changes carries its reason in the field's `reasons`.
//!
//! # Why
//! A mailroom sees the same suppliers again and again. The capture suites look each
//! one up by VAT id or IBAN and learn its layout from corrected documents; a changed
//! bank account is the most common invoice fraud, so an IBAN that is not on file always
//! goes to a person.
//!
//! # Known failure modes
//! - Two suppliers with the same name and neither VAT id nor IBAN read are told apart
//!   by nothing: the first in the book is taken.
//! - Receipts and forms are not matched: their merchants are not vendors in master data.
//!
//! Pure: the vendor book is an input (the wiring reads it from the ledger).

pub mod import;
pub mod learn;

use unicode_normalization::UnicodeNormalization;

use crate::config::{DocType, VendorAutoPost as AutoPost};
use crate::document::vendor::{Lesson, Vendor, VendorMatch};
use crate::document::{CheckResult, Field, IndexedFields, Origin};
use crate::text::layout::{self, Line};
use crate::text::Page;
use crate::{validate, values};

/// What a vendor's record says is worth this much when the supplier was found by a
/// checksum-valid VAT id or IBAN: the record itself may be out of date.
const BY_KEY: f64 = 0.99;
/// … and this much when it was found by its name alone.
const BY_NAME: f64 = 0.9;
/// Names at least this similar (normalised Levenshtein on the folded names) are one.
pub(crate) const SAME_NAME: f64 = 0.88;

/// The fields a vendor's record speaks for, with what it says.
fn from_record(v: &Vendor) -> [(&'static str, Option<String>); 6] {
    [
        ("vendor_name", Some(v.name.clone())),
        ("vendor_vat_id", v.vat_id.clone()),
        ("vendor_address", v.address.clone()),
        ("iban", v.ibans.first().cloned()),
        ("bic", v.bic.clone()),
        ("currency", v.currency.clone()),
    ]
}

/// A name folded for comparison: diacritics and case dropped (`Østerlund` →
/// `osterlund`), letters and digits only, the legal form at the end removed.
pub fn fold_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.nfkd() {
        match c {
            'ø' | 'Ø' => out.push('o'),
            'æ' | 'Æ' => out.push_str("ae"),
            'ß' => out.push_str("ss"),
            'đ' | 'Đ' => out.push('d'),
            'ł' | 'Ł' => out.push('l'),
            c if c.is_alphanumeric() || c.is_whitespace() => out.extend(c.to_lowercase()),
            // "A/S", "I/S", "Co.": one word.
            '/' | '.' | '\'' => {}
            _ => out.push(' '),
        }
    }
    let mut words: Vec<&str> = out.split_whitespace().collect();
    const FORMS: &[&str] = &[
        "as", "aps", "gmbh", "ag", "kg", "ohg", "co", "ltd", "limited", "plc", "llc", "inc", "ab",
        "oy", "bv", "nv", "sa", "sarl", "srl", "spa", "sp", "zoo", "ek", "ug", "is", "ivs", "corp",
        "company", "und",
    ];
    while words.len() > 1 && words.last().is_some_and(|w| FORMS.contains(w)) {
        words.pop();
    }
    words.concat()
}

/// How alike two names are, 0 to 1, folded.
pub fn name_similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (fold_name(a), fold_name(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    strsim::normalized_levenshtein(&a, &b)
}

/// The page's text with spaces and separators removed, upper case: where a VAT id or
/// IBAN printed in groups ("DK 12 34 56 78") is found whole.
fn squashed_text(pages: &[Page]) -> String {
    pages
        .iter()
        .flat_map(|p| p.words.iter())
        .flat_map(|w| w.text.chars())
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

/// Whether the VAT id `id` is printed in `text` (the page's [`squashed_text`]), with or
/// without its country prefix (a CVR number printed bare).
fn vat_printed(text: &str, id: &str) -> bool {
    id.len() >= 10 && text.contains(&id.chars().skip(2).collect::<String>())
}

/// The supplier `fields` (read from `pages`) are from, and how it was found. With the
/// page's `lines`, a supplier none of whose keys or name was read is also looked for by
/// its name printed on the page ([`printed_name`]).
pub fn resolve<'a>(
    fields: &IndexedFields,
    pages: &[Page],
    lines: Option<&[Line]>,
    book: &'a [Vendor],
) -> Option<(&'a Vendor, &'static str)> {
    if book.is_empty() {
        return None;
    }
    let vat = fields.value("vendor_vat_id");
    if let Some(v) = vat.and_then(|vat| book.iter().find(|v| v.vat_id.as_deref() == Some(vat))) {
        return Some((v, "vat_id"));
    }
    if let Some(iban) = fields.value("iban") {
        if let Some(v) = book.iter().find(|v| v.ibans.iter().any(|i| i == iban)) {
            return Some((v, "iban"));
        }
    }
    // A VAT id or IBAN the extraction did not take (a footer it did not read as one,
    // a CVR number without its country) is still the supplier's, when printed whole.
    let text = squashed_text(pages);
    for v in book {
        let vat_on_page = v.vat_id.as_deref().is_some_and(|id| vat_printed(&text, id));
        // Another VAT id read for the supplier is another supplier.
        if vat_on_page && vat.is_none_or(|read| !values::vat_id_format_ok(read)) {
            return Some((v, "vat_id"));
        }
        if v.ibans.iter().any(|i| text.contains(i.as_str())) {
            return Some((v, "iban"));
        }
    }
    // A supplier whose VAT id is on record and differs from the one read is not this one.
    let other_vat = |v: &Vendor| {
        vat.zip(v.vat_id.as_deref())
            .is_some_and(|(read, known)| read != known && values::vat_id_format_ok(read))
    };
    let by_name = fields.value("vendor_name").and_then(|name| {
        book.iter()
            .filter(|v| !other_vat(v))
            .map(|v| {
                let best = std::iter::once(&v.name)
                    .chain(&v.aliases)
                    .map(|n| name_similarity(n, name))
                    .fold(0.0, f64::max);
                (v, best)
            })
            .filter(|(_, s)| *s >= SAME_NAME)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(v, _)| (v, "name"))
    });
    // No name read (a letterhead that is a logo, the name only in the footer): the one
    // supplier whose name is printed on the page.
    by_name.or_else(|| {
        let lines = lines.filter(|_| fields.value("vendor_name").is_none())?;
        printed_name(fields, lines, book)
            .filter(|(v, _)| !other_vat(v))
            .map(|(v, _)| (v, "name"))
    })
}

/// The lines of `pages`, laid out only when `wanted`.
fn lines_if(wanted: bool, pages: &[Page]) -> Vec<Line> {
    if wanted {
        pages.iter().flat_map(layout::lines).collect()
    } else {
        Vec::new()
    }
}

/// The one supplier of `book` whose name (or an alias), folded, is a run of words in a
/// segment of the page, with that run (its text, page, box and lowest OCR confidence);
/// `None` when none is printed, or more than one. A run that is the customer's name read
/// is passed over: a supplier's name in the address block is the buyer's.
fn printed_name<'a>(
    fields: &IndexedFields,
    lines: &[Line],
    book: &'a [Vendor],
) -> Option<(&'a Vendor, Field)> {
    let mut names: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, v) in book.iter().enumerate() {
        for n in std::iter::once(&v.name).chain(&v.aliases) {
            let folded = fold_name(n);
            if !folded.is_empty() {
                names.insert(folded, i);
            }
        }
    }
    let customer = fields.value("customer_name").map(fold_name);
    let mut found: Option<(usize, Field)> = None;
    for line in lines {
        for seg in line.segments() {
            for from in 0..seg.len() {
                for to in (from + 1..=(from + 8).min(seg.len())).rev() {
                    let run = &seg[from..to];
                    let text = run
                        .iter()
                        .map(|w| w.text.as_str())
                        .collect::<Vec<_>>()
                        .join(" ");
                    let folded = fold_name(&text);
                    if customer.as_deref() == Some(folded.as_str()) {
                        continue;
                    }
                    let Some(&i) = names.get(&folded) else {
                        continue;
                    };
                    match &found {
                        Some((j, _)) if *j != i => return None,
                        Some(_) => {}
                        None => {
                            let ocr = run.iter().map(|w| w.conf as f64).fold(1.0, f64::min);
                            found = Some((
                                i,
                                Field {
                                    value: book[i].name.clone(),
                                    confidence: ocr,
                                    raw: text,
                                    page: line.page,
                                    bbox: Some(layout::union(run)),
                                    origin: Origin::Ocr,
                                    reasons: Vec::new(),
                                },
                            ));
                        }
                    }
                }
            }
        }
    }
    found.map(|(i, f)| (&book[i], f))
}

/// Whether values agree: names folded, identifiers exactly.
fn agrees(field: &str, read: &str, known: &str) -> bool {
    match field {
        "vendor_name" => name_similarity(read, known) >= SAME_NAME,
        "vendor_address" => fold_name(read) == fold_name(known),
        _ => read == known,
    }
}

/// Match the document to a vendor and let the record speak for its fields; see the
/// module documentation. Returns the match and the checks it adds.
pub fn apply(
    fields: &mut IndexedFields,
    pages: &[Page],
    dt: &DocType,
    book: &[Vendor],
    policy: AutoPost,
) -> (Option<VendorMatch>, Vec<CheckResult>) {
    let has = |name: &str| dt.fields.iter().any(|f| f.name == name);
    if !has("vendor_name") {
        return (None, Vec::new());
    }
    let mut checks = Vec::new();
    // The page's lines, once, and only when something will read them: what the book
    // learned (not on the first-sight path, where it has taught nothing), or the
    // supplier's name printed on a page where none was read.
    let lines = lines_if(
        !book.is_empty()
            && (fields.value("vendor_name").is_none()
                || book.iter().any(|v| v.learned.documents > 0)),
        pages,
    );
    let resolved = resolve(fields, pages, Some(&lines), book);
    // Who the invoice is addressed to, from every supplier's approvals, unless this
    // supplier's own approvals say (then `learn::agree` does).
    for name in learn::OURS.iter().filter(|n| has(n)) {
        let own = resolved
            .and_then(|(v, _)| v.learned.fields.get(*name))
            .is_some_and(|h| !h.values.is_empty());
        if !own {
            let pooled = learn::pooled(book, name);
            learn::names(fields, &lines, name, &pooled, "any supplier");
        }
    }
    let Some((vendor, by)) = resolved else {
        if policy == AutoPost::Known {
            checks.push(validate::vendor_known::unknown());
        }
        return (None, checks);
    };
    let strength = if by == "name" { BY_NAME } else { BY_KEY };
    let how = match by {
        "vat_id" => "found by VAT id",
        "iban" => "found by IBAN",
        _ => "found by name",
    };
    for (name, known) in from_record(vendor) {
        let Some(known) = known else { continue };
        if !has(name) {
            continue;
        }
        // The IBAN is a payment instruction: one on the page that differs is a
        // question for a person (`iban_on_file`), never overwritten.
        match fields.get_mut(name) {
            // An e-invoice's own data is exact; only its IBAN is checked below.
            Some(f) if f.origin == Origin::Structured => {}
            Some(f) if agrees(name, &f.value, &known) => {
                // Found by the very name read: the approvals that showed this name
                // vouch for it, as for a name printed where none was read (below).
                let n = vendor.learned.documents;
                let (strength, approved) = if by == "name" && name == "vendor_name" && n > 0 {
                    let c = learn::approved_name(f.confidence, n);
                    (c.max(strength), format!(", approved on {n} document(s)"))
                } else {
                    (strength, String::new())
                };
                if f.confidence < strength && f.origin != Origin::Structured {
                    f.set_confidence(
                        strength,
                        format_args!(
                            "agrees with master data of {} ({how}{approved})",
                            vendor.name
                        ),
                    );
                }
                if f.value != known {
                    // The record's spelling: "Osterlund" read, "Østerlund" on file.
                    f.reasons
                        .push(format!("spelled as on file, read {:?}", f.value));
                    f.value = known;
                    f.origin = Origin::MasterData;
                }
            }
            Some(_) if name == "iban" || by == "name" => {}
            Some(f) if name == "vendor_name" || name == "vendor_address" => {
                // Found by a key, the record knows the supplier's name better than a
                // letterhead read by OCR.
                let read = std::mem::replace(&mut f.value, known);
                f.set_confidence(
                    strength,
                    format_args!(
                        "read {read:?}, but master data of the supplier {how} says otherwise"
                    ),
                );
                f.origin = Origin::MasterData;
            }
            // Another VAT id read, where the one on file is printed on the page too: the
            // reading took another number of the VAT id's shape (the customer's, an
            // invoice number "FI-2026-3088"); the supplier's own is the one on file.
            Some(f) if name == "vendor_vat_id" && vat_printed(&squashed_text(pages), &known) => {
                let read = std::mem::replace(&mut f.value, known);
                f.set_confidence(
                    strength,
                    format_args!(
                        "read {read:?}, but the VAT id on file for {} ({how}) is printed \
                         on the page too",
                        vendor.name
                    ),
                );
                f.origin = Origin::MasterData;
            }
            Some(f) => {
                f.set_confidence(
                    f.confidence / 2.0,
                    format_args!(
                        "differs from master data of {} ({how}: {known}), halved",
                        vendor.name
                    ),
                );
            }
            // Found by its name printed on the page (none read): the name is read
            // there, as sure as a name approvals showed printed on a page
            // (`learn::names`), or as a name that agrees with master data.
            None if by == "name" && name == "vendor_name" => {
                let Some((_, mut f)) = printed_name(fields, &lines, book) else {
                    continue;
                };
                let n = vendor.learned.documents;
                let ocr = f.confidence;
                f.confidence = if n > 0 {
                    learn::approved_name(ocr, n)
                } else {
                    BY_NAME
                };
                f.reasons.push(format!(
                    "not read as the supplier's name; {:?}, the name of {} (on file, and on \
                     {n} approved document(s)), is printed here: confidence {:.3}",
                    f.raw, vendor.name, f.confidence
                ));
                fields.set(name, Some(f));
            }
            None if by != "name" || name != "vendor_name" => {
                fields.set(
                    name,
                    Some(Field {
                        value: known.clone(),
                        confidence: strength,
                        raw: String::new(),
                        page: 0,
                        bbox: None,
                        origin: Origin::MasterData,
                        reasons: vec![format!(
                            "not read on the page; from master data of {} ({how})",
                            vendor.name
                        )],
                    }),
                );
            }
            None => {}
        }
    }
    if let Some(iban) = fields.value("iban") {
        checks.extend(validate::iban_on_file::check(iban, vendor));
    }
    let missing = learn::agree(fields, &lines, dt, vendor, book);
    checks.extend(validate::usual_field_missing::check(&missing, &vendor.name));
    let matched = VendorMatch {
        id: vendor.id,
        name: vendor.name.clone(),
        matched_by: by.into(),
        learned_from: vendor.learned.documents,
    };
    (Some(matched), checks)
}

/// The type a document whose cues left it uncertain has, when the page names a supplier
/// by its VAT id or IBAN, among the candidates the cues gave, with its confidence and
/// the reason:
/// - every document of that supplier a person approved had one type: that type, with
///   the cues' doubt divided by one more than the approvals (as a place that agrees);
/// - none approved yet (a supplier from master data): a supplier sends documents of a
///   type with a vendor (`vendor_types`, the types whose fields include
///   `vendor_name`), so the others are ruled out; the best of those the cues named,
///   unless another is as likely (closer than the classifier's tie margin), with the
///   cues' doubt halved: the record speaks as one approval would.
pub fn usual_type(
    pages: &[Page],
    book: &[Vendor],
    candidates: &[crate::document::TypeCandidate],
    vendor_types: &[&str],
) -> Option<(String, f64, String)> {
    let (v, by) = resolve(&IndexedFields::default(), pages, None, book)?;
    if by == "name" {
        return None;
    }
    let key = if by == "iban" { "IBAN" } else { "VAT id" };
    if v.learned.types.is_empty() {
        let mut sent = candidates
            .iter()
            .filter(|c| vendor_types.contains(&c.name.as_str()) && c.confidence > 0.0);
        let best = sent.next()?;
        if sent.any(|c| best.confidence - c.confidence < crate::classify::TIE_MARGIN) {
            return None;
        }
        let cues = best.confidence;
        let c = 1.0 - (1.0 - cues) / 2.0;
        let reason = format!(
            "type {}: the page names {} (its {key}), a supplier on file, and of the types \
             a supplier sends ({}) the cues favour {}: confidence {cues:.3} → {c:.3}",
            best.name,
            v.name,
            vendor_types.join(", "),
            best.name
        );
        return Some((best.name.clone(), c, reason));
    }
    let [(name, n)] = v.learned.types.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    let cues = candidates.iter().find(|c| &c.name == name)?.confidence;
    let c = 1.0 - (1.0 - cues) / (*n as f64 + 1.0);
    let reason = format!(
        "type {name}: the page names {} (its {key}), and all {n} of its documents a person \
         approved were of type {name}: confidence {cues:.3} → {c:.3}",
        v.name
    );
    Some((name.clone(), c, reason))
}

/// What an approval of `doc` teaches the book ([`Lesson`]): the matched supplier's
/// record with what the document taught ([`learn::learn`]), or, for a supplier seen
/// for the first time, a new record made of the approved fields (`source:
/// "approval"`). The IBANs on file are never changed by an approval: an account that
/// is not on file is what `iban_on_file` asks a person about, and approving the
/// invoice is not approving the account. `None` for types without a vendor, or
/// without a vendor name.
pub fn taught(
    doc: &crate::document::TypedDocument,
    pages: &[Page],
    dt: &DocType,
    book: &[Vendor],
) -> Option<Lesson> {
    if !dt.fields.iter().any(|f| f.name == "vendor_name") {
        return None;
    }
    let fields = &doc.fields;
    let known = doc
        .vendor
        .as_ref()
        .and_then(|m| book.iter().find(|v| v.id == m.id))
        .or_else(|| {
            let lines = lines_if(fields.value("vendor_name").is_none(), pages);
            resolve(fields, pages, Some(&lines), book).map(|(v, _)| v)
        });
    let value = |n: &str| fields.value(n).map(str::to_string);
    let mut filled = std::collections::BTreeMap::new();
    let mut v = match known {
        Some(v) => {
            let mut v = v.clone();
            if v.source == "approval" {
                // A record approvals made fills in what its first documents lacked.
                for (part, field) in [
                    ("vat_id", "vendor_vat_id"),
                    ("bic", "bic"),
                    ("currency", "currency"),
                    ("address", "vendor_address"),
                ] {
                    let empty = v.fillable(part).filter(|slot| slot.is_none());
                    if let (Some(slot), Some(read)) = (empty, value(field)) {
                        *slot = Some(read.clone());
                        filled.insert(part.to_string(), read);
                    }
                }
            }
            v
        }
        None => Vendor {
            id: 0,
            name: value("vendor_name")?,
            vat_id: value("vendor_vat_id"),
            ibans: value("iban").into_iter().collect(),
            bic: value("bic"),
            currency: value("currency"),
            address: value("vendor_address"),
            aliases: Vec::new(),
            source: "approval".into(),
            learned: Default::default(),
        },
    };
    let mut alone = Vendor::default();
    learn::learn(&mut alone, fields, pages, dt);
    v.learned.add(&alone.learned);
    Some(Lesson {
        vendor: v,
        taught: alone.learned,
        filled,
    })
}

#[cfg(test)]
mod tests;
