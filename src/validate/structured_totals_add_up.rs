//! Check `structured_totals_add_up`: an e-invoice's totals add up.
//!
//! # What it checks
//! In a structured invoice (UBL, CII): the total without VAT (BT-109) plus the VAT
//! (BT-110) is the total with VAT (BT-112), within a cent, when all three are given.
//!
//! # Why
//! The scan's `totals_add_up` cannot fail on an e-invoice's exact values the way it
//! fails on a misreading; this one catches an e-invoice whose own totals disagree (a
//! broken export, an edited file), which is sent to a person rather than paid.
//!
//! # Example
//! `100.00 + 25.00 = 125.00, total 125.10` fails.
//!
//! # Known failure modes
//! - Rounding rules of some countries allow more than a cent between the sum and the
//!   total; such invoices go to review.

use rust_decimal::Decimal;

use crate::document::{CheckCode, CheckResult};
use crate::einvoice::EInvoice;

pub const CODE: CheckCode = CheckCode::StructuredTotalsAddUp;

pub fn check(inv: &EInvoice) -> Option<CheckResult> {
    let cent = Decimal::new(1, 2);
    let (basis, tax, grand) = (inv.tax_basis_total?, inv.tax_total?, inv.grand_total?);
    Some(CheckResult {
        code: CODE,
        passed: (basis + tax - grand).abs() <= cent,
        fields: super::lines_add_up::totals(),
        message: format!("{basis} + {tax} = {}, total {grand}", basis + tax),
    })
}
