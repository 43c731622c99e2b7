//! Check `format`: a value matches the pattern its document type gives it.
//!
//! # What it checks
//! Every field with a `pattern` in its type file that holds a value, except
//! identifiers: the pattern (a regular expression) matches the value.
//!
//! # Why
//! A type file knows its own identifiers' and codes' shapes (an employee id `E` and
//! five digits, a cost centre `CC-` and four); a value of another shape was misread or
//! is another value.
//!
//! # Example
//! `employee_id` `EO4217` against `^E\d{5}$` fails with `employee_id EO4217 does not
//! match the type's pattern ^E\d{5}$`.
//!
//! # Known failure modes
//! - Identifiers are only read, or typed, when they match: they get no check.
//! - A pattern says nothing about whether a matching value is the right one.

use crate::config::doctype::{FieldKind, FieldSpec};
use crate::document::{CheckCode, CheckResult};

pub const CODE: CheckCode = CheckCode::Format;

/// The check for `value` of `spec`, when the spec has a pattern and is no identifier.
pub fn check(spec: &FieldSpec, value: &str) -> Option<CheckResult> {
    // Identifiers are only read, or typed, when they match: no check needed.
    let p = spec
        .pattern
        .as_ref()
        .filter(|_| spec.kind != FieldKind::Identifier)?;
    let name = &spec.name;
    let ok = p.is_match(value);
    Some(CheckResult {
        code: CODE,
        passed: ok,
        fields: vec![name.clone()],
        message: format!(
            "{name} {value} {} the type's pattern {}",
            if ok { "matches" } else { "does not match" },
            p.as_str()
        ),
    })
}
