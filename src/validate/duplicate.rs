//! Check `duplicate_invoice`: the same invoice as one already posted or in review.
//!
//! # What it checks
//! Two invoices are the same when they have the same vendor (the same VAT id when both
//! print one, else the same name, case, spacing and punctuation aside) and either the
//! same invoice number, or the same invoice date and the same total. The ledger is
//! searched by the store ([`crate::store::Store::transition_unless_same`]) for documents
//! posted, auto-posted or in review that print the number or the total; this module
//! says which of them are the same invoice, and words the failed check.
//!
//! # Why
//! A posted invoice that comes back (a rescan, a forwarded PDF, the e-invoice of an
//! invoice that also came on paper) has other bytes, so it is a new document, and it
//! reads as confidently as the first: it was auto-posted again, which in accounts
//! payable is paying twice. The search and the post are one transaction, so two copies
//! read at once cannot both post.
//!
//! # Example
//! A JPEG rescan of invoice `2024-118` from VAT id `DK12345678`, posted yesterday as
//! `01J…`, fails with `the same invoice (vendor DK12345678, number 2024-118) as
//! 01J… (posted)` and goes to review.
//!
//! # Known failure modes
//! - A vendor whose name was misread on one copy and has no VAT id is not matched.
//! - Types without an `invoice_number` field (receipts, forms) are not checked: two
//!   coffees on one day at one price are two receipts.
//! - A person who approves has seen the reason: the check does not block approval.

use crate::document::{CheckCode, CheckResult, IndexedFields};

pub const CODE: CheckCode = CheckCode::DuplicateInvoice;

/// What makes an invoice the same as another.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub vat_id: Option<String>,
    /// The vendor's name, lower case, letters and digits only.
    pub name: Option<String>,
    pub number: Option<String>,
    pub date: Option<String>,
    pub total: Option<String>,
}

fn squash(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

impl Key {
    /// The key of an invoice's fields; `None` without a vendor, or without either a
    /// number or a date and a total to compare.
    pub fn of(fields: &IndexedFields) -> Option<Key> {
        let v = |n: &str| fields.value(n).map(str::to_string);
        let key = Key {
            vat_id: v("vendor_vat_id"),
            name: v("vendor_name")
                .map(|n| squash(&n))
                .filter(|n| !n.is_empty()),
            number: v("invoice_number"),
            date: v("invoice_date"),
            total: v("total"),
        };
        let party = key.vat_id.is_some() || key.name.is_some();
        let what = key.number.is_some() || key.date.is_some() && key.total.is_some();
        (party && what).then_some(key)
    }

    /// The key of a typed document as the ledger stores it (JSON).
    pub fn of_json(json: &str) -> Option<Key> {
        let doc: crate::document::TypedDocument = serde_json::from_str(json).ok()?;
        Key::of(&doc.fields)
    }

    fn same_vendor(&self, other: &Key) -> bool {
        match (&self.vat_id, &other.vat_id) {
            (Some(a), Some(b)) => a == b,
            _ => self.name.is_some() && self.name == other.name,
        }
    }

    /// Whether `other` is the same invoice, and by what.
    pub fn same(&self, other: &Key) -> Option<String> {
        if !self.same_vendor(other) {
            return None;
        }
        let vendor = self
            .vat_id
            .as_deref()
            .filter(|_| other.vat_id.is_some())
            .map_or_else(|| "vendor name".to_string(), |v| format!("vendor {v}"));
        if self.number.is_some() && self.number == other.number {
            return Some(format!(
                "{vendor}, number {}",
                self.number.as_deref().unwrap_or_default()
            ));
        }
        if self.date.is_some()
            && self.date == other.date
            && self.total.is_some()
            && self.total == other.total
        {
            return Some(format!(
                "{vendor}, date {}, total {}",
                self.date.as_deref().unwrap_or_default(),
                self.total.as_deref().unwrap_or_default()
            ));
        }
        None
    }
}

/// The failed check naming the earlier document.
pub fn check(by: &str, earlier_id: &str, earlier_state: &str) -> CheckResult {
    CheckResult {
        code: CODE,
        passed: false,
        fields: vec!["invoice_number".into()],
        message: format!("the same invoice ({by}) as {earlier_id} ({earlier_state})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Field, Origin};

    fn fields(pairs: &[(&str, &str)]) -> IndexedFields {
        let mut f = IndexedFields::default();
        for (n, v) in pairs {
            f.set(
                n,
                Some(Field {
                    value: v.to_string(),
                    confidence: 0.99,
                    raw: v.to_string(),
                    page: 1,
                    bbox: None,
                    origin: Origin::Ocr,
                    reasons: Vec::new(),
                }),
            );
        }
        f
    }

    #[test]
    fn the_same_vendor_and_number_or_date_and_total_is_the_same_invoice() {
        let a = Key::of(&fields(&[
            ("vendor_name", "Nordlys Kontorartikler ApS"),
            ("vendor_vat_id", "DK12345678"),
            ("invoice_number", "2024-118"),
            ("invoice_date", "2024-03-14"),
            ("total", "1543.13"),
        ]))
        .unwrap();
        // A rescan that misread the name but kept the VAT id.
        let rescan = Key::of(&fields(&[
            ("vendor_name", "Nordlys Kontorartikler ApS."),
            ("vendor_vat_id", "DK12345678"),
            ("invoice_number", "2024-118"),
        ]))
        .unwrap();
        assert_eq!(
            a.same(&rescan).as_deref(),
            Some("vendor DK12345678, number 2024-118")
        );
        // Without VAT ids, by name; without a number, by date and total.
        let by_name = Key::of(&fields(&[
            ("vendor_name", "NORDLYS KONTORARTIKLER APS"),
            ("invoice_date", "2024-03-14"),
            ("total", "1543.13"),
        ]))
        .unwrap();
        assert_eq!(
            a.same(&by_name).as_deref(),
            Some("vendor name, date 2024-03-14, total 1543.13")
        );
        // Another vendor's invoice 2024-118, and the same vendor's next invoice.
        let other = Key::of(&fields(&[
            ("vendor_vat_id", "DK87654321"),
            ("invoice_number", "2024-118"),
        ]))
        .unwrap();
        assert_eq!(a.same(&other), None);
        let next = Key::of(&fields(&[
            ("vendor_vat_id", "DK12345678"),
            ("invoice_number", "2024-119"),
            ("invoice_date", "2024-03-15"),
            ("total", "1543.13"),
        ]))
        .unwrap();
        assert_eq!(a.same(&next), None);
        // Nothing to compare: no key.
        assert_eq!(Key::of(&fields(&[("invoice_number", "2024-118")])), None);
        // A person who has seen the reason may still approve (a vendor's two invoices
        // of one day and one amount are possible).
        let c = check("vendor name, number 7", "01J", "posted");
        assert!(!c.passed && !c.blocks_approval());
        assert_eq!(
            c.message,
            "the same invoice (vendor name, number 7) as 01J (posted)"
        );
    }
}
