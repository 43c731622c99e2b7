//! Check `markup_in_field`: a text value looks like a spreadsheet formula or markup.
//!
//! # What it checks
//! Every text-like field (text, party name, party address, identifier) whose value
//! starts as a spreadsheet formula would (`=`, `@`, a tab or carriage return, or `+`/`-`
//! not followed by a digit) or holds an HTML tag or a `javascript:` URL. Numbers, dates
//! and amounts are parsed values, not text, and are not judged. The check is added only
//! when some field holds such a value, failed, naming the fields: a clean document's
//! checks stay as they were.
//!
//! # Why
//! The document travels on to spreadsheets (the CSV sink) and web pages (the review
//! UI, downstream systems). An e-invoice's data or a crafted scan can carry
//! `=HYPERLINK(…)` or `<img onerror=…>`; no supplier prints that on paper, so a person
//! looks before it is posted.
//!
//! # Example
//! `vendor_name` `=HYPERLINK("http://x","Nordlys")` fails with `vendor_name looks like
//! a spreadsheet formula or markup, not a value printed on paper`.
//!
//! # Known failure modes
//! - A name that truly starts with `-` and a letter is sent to review needlessly; a
//!   person who approves has seen the reason, so the check does not block approval.
//! - A phone number or payment line (`+45 …`, `+71<000…<`) passes: a sign before a
//!   digit is not a formula, and `<` before a digit is no tag.

use crate::config::doctype::FieldKind;
use crate::config::DocType;
use crate::document::{CheckCode, CheckResult, IndexedFields};

pub const CODE: CheckCode = CheckCode::MarkupInField;

/// Whether `value`, of a field of `kind`, looks like a formula or markup.
pub fn markup(kind: FieldKind, value: &str) -> bool {
    if !matches!(
        kind,
        FieldKind::Text | FieldKind::PartyName | FieldKind::PartyAddress | FieldKind::Identifier
    ) {
        return false;
    }
    let lower = value.to_lowercase();
    // A sign before a digit is a phone number or a payment line ("+71<0000…", the
    // Danish FIK), not a formula.
    let signed =
        |c: char| value.starts_with(c) && !value[1..].starts_with(|c: char| c.is_ascii_digit());
    // A tag opens with a letter, '/' or '!' after '<': "+71<000…<" is no tag.
    let tag = value.match_indices('<').any(|(i, _)| {
        value[i + 1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!')
    });
    value.starts_with(['=', '@', '\t', '\r'])
        || signed('+')
        || signed('-')
        || lower.contains("javascript:")
        || tag
}

/// The failed check, when some field holds markup; `None` otherwise.
pub fn check(fields: &IndexedFields, doctype: &DocType) -> Option<CheckResult> {
    let marked: Vec<String> = doctype
        .fields
        .iter()
        .filter(|f| fields.value(&f.name).is_some_and(|v| markup(f.kind, v)))
        .map(|f| f.name.clone())
        .collect();
    (!marked.is_empty()).then(|| CheckResult {
        code: CODE,
        passed: false,
        message: format!(
            "{} looks like a spreadsheet formula or markup, not a value printed on paper",
            marked.join(", ")
        ),
        fields: marked,
    })
}
