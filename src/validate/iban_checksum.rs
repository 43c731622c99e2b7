//! Check `iban_checksum`: an IBAN passes the ISO 13616 mod-97 check.
//!
//! # What it checks
//! Every field of kind `iban` that holds a value: its check digits, by mod-97 over the
//! rearranged account number.
//!
//! # Why
//! mod-97 catches every single misread character and nearly every transposition, so a
//! passing IBAN was read right (it raises the field's confidence to 0.99, see
//! [`super::apply_to_confidence`]), and a failing one is no IBAN: paying it would fail
//! or, worse, reach someone else.
//!
//! # Example
//! `iban` `DK5000400440116243` passes with `iban DK5000400440116243 passes the mod-97
//! check`; `DK5000400440116244` fails.
//!
//! # Known failure modes
//! - A valid IBAN that is not the supplier's passes: that is `iban_on_file`'s question.
//! - The country's own length and bank-code rules are not checked beyond mod-97.

use crate::document::{CheckCode, CheckResult};
use crate::values;

pub const CODE: CheckCode = CheckCode::IbanChecksum;

pub fn check(name: &str, value: &str) -> CheckResult {
    let ok = values::iban_is_valid(value);
    CheckResult {
        code: CODE,
        passed: ok,
        fields: vec![name.to_string()],
        message: format!(
            "{name} {value} {} the mod-97 check",
            if ok { "passes" } else { "fails" }
        ),
    }
}
