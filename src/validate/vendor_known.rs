//! Check `vendor_known`: the supplier of an invoice-like document is in master data.
//!
//! # What it checks
//! Only with `vendors.auto_post = "known"`: the vendor stage found no supplier in the
//! vendor book for the document (by VAT id, IBAN or name). Added only then, failed, on
//! `vendor_name`.
//!
//! # Why
//! Some accounts payable departments post no invoice from a supplier they have not
//! set up: a new supplier is a question for a person (and a common fraud).
//!
//! # Example
//! An invoice from a supplier not in the book fails with `the supplier is not in
//! master data, and vendors.auto_post = "known" posts only known suppliers' invoices
//! without a person`.
//!
//! # Known failure modes
//! - A known supplier whose name, VAT id and IBAN were all misread is taken for an
//!   unknown one.
//! - A person who approves has seen the reason: the check does not block approval.

use crate::document::{CheckCode, CheckResult};

pub const CODE: CheckCode = CheckCode::VendorKnown;

/// The failed check for a document whose supplier is not in master data.
pub fn unknown() -> CheckResult {
    CheckResult {
        code: CODE,
        passed: false,
        fields: vec!["vendor_name".into()],
        message: "the supplier is not in master data, and vendors.auto_post = \"known\" \
                  posts only known suppliers' invoices without a person"
            .into(),
    }
}
