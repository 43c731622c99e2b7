//! Check `required_present`: every field the document type marks `required` was read.
//!
//! # What it checks
//! The fields of the type with `required = true` that are `null` after extraction
//! (and after master data and approvals filled in what they could). One check per
//! document: passed with none missing, failed naming each missing field.
//!
//! # Why
//! A document without its required values (an invoice without a total, a receipt
//! without a date) cannot be posted: a person fills them in or rejects the document.
//!
//! # Example
//! A receipt whose date was not found fails with `missing: date`.
//!
//! # Known failure modes
//! - A value read wrong is present: this check says nothing about whether it is right.
//! - It raises and lowers no confidence (`required_present` is skipped by
//!   [`super::apply_to_confidence`]): presence is no evidence of a good reading.

use crate::config::DocType;
use crate::document::{CheckCode, CheckResult, IndexedFields};

pub const CODE: CheckCode = CheckCode::RequiredPresent;

pub fn check(fields: &IndexedFields, doctype: &DocType) -> CheckResult {
    let missing: Vec<String> = doctype
        .fields
        .iter()
        .filter(|f| f.required && fields.get(&f.name).is_none())
        .map(|f| f.name.clone())
        .collect();
    CheckResult {
        code: CODE,
        passed: missing.is_empty(),
        message: if missing.is_empty() {
            "all required fields present".into()
        } else {
            format!("missing: {}", missing.join(", "))
        },
        fields: missing,
    }
}
