//! Check `date_plausible`: a date lies in a window where real documents' dates lie.
//!
//! # What it checks
//! Every field of kind `date` that holds a value: it is a `YYYY-MM-DD` date, on or
//! after 1 January 2000 and at most two years after today.
//!
//! # Why
//! Dates outside this window are more likely misread (`2024` read as `2084`, a day and
//! month swapped into another century) than real, and a due date decades ahead would
//! never be paid.
//!
//! # Example
//! `invoice_date` `1987-01-01` fails with `invoice_date 1987-01-01 is not after
//! 2000-01-01 and at most 2 years ahead`.
//!
//! # Known failure modes
//! - A misread date inside the window passes (`2024-03-14` read as `2024-03-11`).
//! - Genuinely old dates (an account opened in 1998 on a bank confirmation) fail and
//!   go to a person.
//! - The message names no absolute latest date: it would change daily and break the
//!   snapshots.

use chrono::NaiveDate;

use crate::document::{CheckCode, CheckResult};

pub const CODE: CheckCode = CheckCode::DatePlausible;

/// Dates outside this window are more likely misread than real.
const EARLIEST: (i32, u32, u32) = (2000, 1, 1);
const LATEST_YEARS_AHEAD: i32 = 2;

pub fn check(name: &str, value: &str, today: NaiveDate) -> CheckResult {
    let earliest = NaiveDate::from_ymd_opt(EARLIEST.0, EARLIEST.1, EARLIEST.2).unwrap();
    let latest = today
        .checked_add_months(chrono::Months::new(12 * LATEST_YEARS_AHEAD as u32))
        .unwrap_or(today);
    let ok =
        NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok_and(|d| d >= earliest && d <= latest);
    CheckResult {
        code: CODE,
        passed: ok,
        fields: vec![name.to_string()],
        // No absolute "latest" date in the message: it would change daily.
        message: format!(
            "{name} {value} {} after {earliest} and at most {LATEST_YEARS_AHEAD} years ahead",
            if ok { "is" } else { "is not" }
        ),
    }
}
