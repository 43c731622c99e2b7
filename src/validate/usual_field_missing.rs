//! Check `usual_field_missing`: a field every approved document of the supplier had is
//! empty on this one.
//!
//! # What it checks
//! When the vendor stage matched the document to a supplier two or more of whose
//! documents a person approved, every one of them with the field's value found on the
//! page, and the field (an identifier: an order number, an invoice number) was read as
//! nothing here, nor found beside the label the approvals showed, while the page prints
//! a value of a shape the approvals showed that no field took: failed, on those fields.
//! Added only then.
//!
//! # Why
//! A supplier prints its invoices from one template: an order number every approved
//! invoice had and this one lacks was most likely not read (its label garbled by dotted
//! leaders, a value run into a neighbour), and an optional field posted as none is as
//! wrong as a misread one. A person looks at the page.
//!
//! # Example
//! `read as nothing, but the approved documents of Dupont Imprimerie SAS all had it:
//! purchase_order (all 4; the page prints "4500032300", of their shape, which no field
//! took): a person checks the page`.
//!
//! # Known failure modes
//! - An invoice that truly lacks the field (no order this time) is held: approving it
//!   answers the question, so the check does not block approval.
//! - A supplier whose approvals only sometimes had the field is not checked for it.
//! - Only identifiers are checked: a date or an amount of the approvals' shape is on
//!   most pages, whether the field is there or not.
//! - A value of the shape that is something else (a customer number shaped like the
//!   buyer's order numbers) holds an invoice that truly lacks the field.

use crate::document::{CheckCode, CheckResult};

pub const CODE: CheckCode = CheckCode::UsualFieldMissing;

/// The failed check for `missing` fields, each with the number of approved documents of
/// `supplier` that had it and the value of its shape the page prints; `None` when none
/// is missing.
pub fn check(missing: &[(String, u32, String)], supplier: &str) -> Option<CheckResult> {
    if missing.is_empty() {
        return None;
    }
    let what = missing
        .iter()
        .map(|(f, n, printed)| {
            format!(
                "{f} (all {n}; the page prints {printed:?}, of their shape, which no field took)"
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    Some(CheckResult {
        code: CODE,
        passed: false,
        fields: missing.iter().map(|(f, _, _)| f.clone()).collect(),
        message: format!(
            "read as nothing, but the approved documents of {supplier} all had it: {what}: \
             a person checks the page"
        ),
    })
}
