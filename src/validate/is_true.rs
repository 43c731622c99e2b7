//! Type file checks `kind = "is_true"` (the payroll change's `signed_by_manager`): a
//! yes/no field says yes.
//!
//! # What it checks
//! The field's value is `true` (a ticked box, a signature found), when it was read.
//! The code is the type file's.
//!
//! # Why
//! Some documents are only valid with a statement on them: a payroll change a manager
//! has not signed must not be carried out.
//!
//! # Example
//! `signed` read `false` fails `signed_by_manager` with `signed is no`.
//!
//! # Known failure modes
//! - An absent field is `required_present`'s business: only a read "false" fails here.
//! - "Not signed" is read right; it says nothing about how well it was read, so the
//!   check changes no confidence.

use crate::document::{CheckCode, CheckResult, IndexedFields};

pub fn check(code: &str, field: &str, fields: &IndexedFields) -> Option<CheckResult> {
    // Absent is the required check's business; here only a read "false" fails.
    let v = fields.value(field)?;
    let ok = v == "true";
    Some(CheckResult {
        code: CheckCode::from(code),
        passed: ok,
        fields: vec![field.to_string()],
        message: format!("{field} is {}", if ok { "yes" } else { "no" }),
    })
}
