//! Check `value_unreadable`: a field's label is clearly on the page, but no value could
//! be read beside or below it.
//!
//! # What it checks
//! The fields extraction names as unread ([`crate::extract::Extraction::unread`]: a
//! label matched exactly, at least four letters long, or a form zone that holds print)
//! that are still `null` after the payment code, master data and approvals had their
//! say. One failed check per such field.
//!
//! # Why
//! `null` is posted as "the page has no such value". When the page prints the label,
//! the value is there and was not read (a stamp over it, handwriting, a smudge): a
//! person must read it, not the downstream system assume it absent.
//!
//! # Example
//! An invoice printing `Due date:` with a coffee stain where the date was fails with
//! `a due_date label is on the page but no value could be read beside or below it`.
//!
//! # Known failure modes
//! - A label printed with nothing after it on purpose (`Purchase order: ` left blank)
//!   is sent to review.
//! - Labels shorter than four letters (`Nr.`) are too common to count.

use crate::document::{CheckCode, CheckResult, IndexedFields};

pub const CODE: CheckCode = CheckCode::ValueUnreadable;

/// One failed check for each of `unread` that `fields` still lacks.
pub fn check(unread: &[String], fields: &IndexedFields) -> Vec<CheckResult> {
    unread
        .iter()
        .filter(|n| fields.get(n).is_none())
        .map(|name| CheckResult {
            code: CODE,
            passed: false,
            fields: vec![name.clone()],
            message: format!(
                "a {name} label is on the page but no value could be read beside or below it"
            ),
        })
        .collect()
}
