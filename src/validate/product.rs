//! Type file checks `kind = "product"` (the payroll change's `hours_times_rate`):
//! factors multiply to a total.
//!
//! # What it checks
//! The product of the `factors` fields against the `total` field, within the check's
//! `tolerance`, when every one holds a number. The code is the type file's.
//!
//! # Why
//! Hours × rate = gross is printed from one calculation, like a sum: agreement is
//! strong evidence each number was read right (it raises their confidence as a sum
//! does), disagreement sends the form to a person.
//!
//! # Example
//! `hours` 37.5 × `hourly_rate` 245.00 against `gross_amount` 9187.60 fails with
//! `hours 37.5 × hourly_rate 245.00 = 9187.5 does not match gross_amount 9187.60
//! (tolerance 0.01)`.
//!
//! # Known failure modes
//! - A product that overflows a decimal skips the check.
//! - A missing factor skips the check; `required_present` speaks for it.

use rust_decimal::Decimal;

use crate::document::{CheckCode, CheckResult, IndexedFields};

pub fn check(
    code: &str,
    factors: &[String],
    total: &str,
    tolerance: Decimal,
    fields: &IndexedFields,
) -> Option<CheckResult> {
    let (t, fs, names) = super::operands(fields, factors, total)?;
    let product = fs
        .iter()
        .try_fold(Decimal::ONE, |acc, f| acc.checked_mul(*f))?;
    let ok = (product - t).abs() <= tolerance;
    let shown: Vec<String> = factors
        .iter()
        .zip(&fs)
        .map(|(n, v)| format!("{n} {v}"))
        .collect();
    Some(CheckResult {
        code: CheckCode::from(code),
        passed: ok,
        fields: names,
        message: format!(
            "{} = {} {} {total} {t} (tolerance {tolerance})",
            shown.join(" × "),
            product.round_dp(4).normalize(),
            if ok { "matches" } else { "does not match" },
        ),
    })
}
