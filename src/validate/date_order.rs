//! Type file checks `kind = "date_order"` (the invoice's `due_after_issue`): one date
//! is not after (or, `strict`, is before) another.
//!
//! # What it checks
//! The `earlier` field's date against the `later` field's, when both hold dates. The
//! code is the type file's.
//!
//! # Why
//! An invoice is due after it is issued, a pay period runs forward: dates the other way
//! round were misread (day and month swapped) or taken from the wrong label.
//!
//! # Example
//! `invoice_date` 2024-03-14 and `due_date` 2024-03-01 fail `due_after_issue` with
//! `invoice_date 2024-03-14 is after due_date 2024-03-01`.
//!
//! # Known failure modes
//! - A date order that holds says little about whether each date was read right: it
//!   only lowers confidence when it fails, never raises it.
//! - A missing date skips the check.

use chrono::NaiveDate;

use crate::document::{CheckCode, CheckResult, IndexedFields};

pub fn check(
    code: &str,
    earlier: &str,
    later: &str,
    strict: bool,
    fields: &IndexedFields,
) -> Option<CheckResult> {
    let date = |n: &str| {
        fields
            .value(n)
            .and_then(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
    };
    let (a, b) = (date(earlier)?, date(later)?);
    let ok = if strict { a < b } else { a <= b };
    let relation = match (ok, strict) {
        (true, true) => "is before",
        (true, false) => "is not after",
        (false, true) => "is not before",
        (false, false) => "is after",
    };
    Some(CheckResult {
        code: CheckCode::from(code),
        passed: ok,
        fields: vec![earlier.to_string(), later.to_string()],
        message: format!("{earlier} {a} {relation} {later} {b}"),
    })
}
