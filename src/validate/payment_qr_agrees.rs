//! Check `payment_qr_agrees`: a payment QR code on the page agrees with what the page
//! prints.
//!
//! # What it checks
//! The values an EPC payment QR code (the "GiroCode") or a Swiss QR-bill carries (IBAN,
//! BIC, amount, currency, reference, beneficiary), against the fields read from the
//! page ([`crate::extract::payment_qr::apply`] compares them). Passed, naming the
//! fields the code gave or confirmed, when none differs; failed with both values for
//! each field that does.
//!
//! # Why
//! The code is machine-read and checksummed: a value the page agrees with was read
//! right, and a value the page lacks can be taken from it. When they differ one of them
//! is wrong, and which one the bank would pay is the code's: a person compares.
//!
//! # Example
//! A code saying 1543.13 on an invoice whose total reads 1643.13 fails with `the EPC
//! payment QR code on page 1 says total 1543.13 (the page says 1643.13)`.
//!
//! # Known failure modes
//! - Only the first payment code on the document is read.
//! - A code whose fields the document type lacks confirms nothing.

use crate::document::{CheckCode, CheckResult};
use crate::extract::payment_qr::QrAgreement;

pub const CODE: CheckCode = CheckCode::PaymentQrAgrees;

pub fn check(qr: &QrAgreement) -> CheckResult {
    let (kind, page) = (qr.kind, qr.page);
    if qr.conflicts.is_empty() {
        CheckResult {
            code: CODE,
            passed: true,
            message: format!("the {kind} on page {page} gives {}", qr.agree.join(", ")),
            fields: qr.agree.clone(),
        }
    } else {
        CheckResult {
            code: CODE,
            passed: false,
            message: format!(
                "the {kind} on page {page} says {}",
                qr.conflicts
                    .iter()
                    .map(|c| c.1.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            fields: qr.conflicts.iter().map(|c| c.0.clone()).collect(),
        }
    }
}
