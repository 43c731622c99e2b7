//! Type file checks `kind = "sum"` (the invoice's `totals_add_up`): parts add up to a
//! total.
//!
//! # What it checks
//! The sum of the `parts` fields against the `total` field, within the check's
//! `tolerance`, when every one of them holds a number. The code is the type file's.
//!
//! # Why
//! The subtotal, tax and total are printed from one calculation: when the read values
//! add up, each was almost certainly read right (a passed sum raises their confidence
//! to 0.985, see [`super::apply_to_confidence`]); when they do not, one was misread or
//! the wrong amount was taken, and a person looks.
//!
//! # Example
//! `subtotal` 100.00 + `tax_amount` 25.00 against `total` 125.00 passes with
//! `subtotal + tax_amount = 125.00, total = 125.00`.
//!
//! # Known failure modes
//! - Two misreadings that cancel out pass.
//! - A missing operand skips the check (extraction may have derived it, with a
//!   confidence that sends the document to review anyway).

use rust_decimal::Decimal;

use crate::document::{CheckCode, CheckResult, IndexedFields};

pub fn check(
    code: &str,
    parts: &[String],
    total: &str,
    tolerance: Decimal,
    fields: &IndexedFields,
) -> Option<CheckResult> {
    let (t, ps, names) = super::operands(fields, parts, total)?;
    let sum: Decimal = ps.iter().sum();
    let ok = (sum - t).abs() <= tolerance;
    Some(CheckResult {
        code: CheckCode::from(code),
        passed: ok,
        fields: names,
        message: format!("{} = {sum}, {total} = {t}", parts.join(" + ")),
    })
}
