//! Check `iban_on_file`: the invoice's IBAN is an account on file for its supplier.
//!
//! # What it checks
//! When the vendor stage matched the document to a supplier with IBANs on file, and an
//! IBAN was read: it is one of them. Passed or failed, on `iban`.
//!
//! # Why
//! A changed bank account is the most common invoice fraud: an IBAN that is not on
//! file is confirmed with the supplier before paying, and never overwritten by master
//! data.
//!
//! # Example
//! `DK5000400440116243 is not an account on file for Nordlys A/S (on file:
//! DK9520000123456789): a changed bank account is confirmed with the supplier before
//! paying`.
//!
//! # Known failure modes
//! - A supplier without IBANs on file is not checked.
//! - Approving the invoice is not approving the account: the IBANs on file do not
//!   change by an approval. A person who approves has seen the reason, so the check
//!   does not block approval.

use crate::document::vendor::Vendor;
use crate::document::{CheckCode, CheckResult};

pub const CODE: CheckCode = CheckCode::IbanOnFile;

/// The check of `iban` against `vendor`'s accounts; `None` when none is on file.
pub fn check(iban: &str, vendor: &Vendor) -> Option<CheckResult> {
    if vendor.ibans.is_empty() {
        return None;
    }
    let on_file = vendor.ibans.iter().any(|i| i == iban);
    Some(CheckResult {
        code: CODE,
        passed: on_file,
        fields: vec!["iban".into()],
        message: if on_file {
            format!("{iban} is on file for {}", vendor.name)
        } else {
            format!(
                "{iban} is not an account on file for {} (on file: {}): a changed \
                 bank account is confirmed with the supplier before paying",
                vendor.name,
                vendor.ibans.join(", ")
            )
        },
    })
}
