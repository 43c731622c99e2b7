//! Check `lines_add_up`: an e-invoice's lines add up to its line total.
//!
//! # What it checks
//! In a structured invoice (UBL, CII), the sum of every line's net amount against the
//! document's line total (BT-106), within a cent, when every line has an amount and
//! the line total is given.
//!
//! # Why
//! An e-invoice's values are exact, but the software that wrote it may not be: lines
//! that do not add up are a broken export or an edited file, and go to a person.
//!
//! # Example
//! `3 lines sum to 1234.50, line total 1243.50` fails.
//!
//! # Known failure modes
//! - Allowances and charges at document level are not part of this sum (they are in
//!   the totals, see `structured_totals_add_up`).

use rust_decimal::Decimal;

use crate::document::{CheckCode, CheckResult};
use crate::einvoice::EInvoice;

pub const CODE: CheckCode = CheckCode::LinesAddUp;

/// The fields an e-invoice's arithmetic is about.
pub(crate) fn totals() -> Vec<String> {
    vec!["subtotal".into(), "tax_amount".into(), "total".into()]
}

pub fn check(inv: &EInvoice) -> Option<CheckResult> {
    let cent = Decimal::new(1, 2);
    let total = inv.line_total?;
    let amounts: Vec<Decimal> = inv.lines.iter().filter_map(|l| l.amount).collect();
    if amounts.len() != inv.lines.len() || amounts.is_empty() {
        return None;
    }
    let sum: Decimal = amounts.iter().sum();
    Some(CheckResult {
        code: CODE,
        passed: (sum - total).abs() <= cent,
        fields: totals(),
        message: format!("{} lines sum to {sum}, line total {total}", amounts.len()),
    })
}
