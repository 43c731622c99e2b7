//! Check `vat_id_format`: a VAT id matches its country's format.
//!
//! # What it checks
//! Every field of kind `vat_id` that holds a value: the country prefix and the shape
//! of the number for that country ([`crate::values::vat_id_format_ok`]); a Danish id
//! (`DK` and a CVR number) must also pass the CVR mod-11 check.
//!
//! # Why
//! The VAT id identifies the supplier (it is how master data finds it) and goes on the
//! tax return. A shape that fits is good evidence the characters were read right (it
//! raises the field's confidence to 0.97, see [`super::apply_to_confidence`]); one that
//! does not is a misreading or no VAT id.
//!
//! # Example
//! `vendor_vat_id` `DE848237303` passes with `vendor_vat_id DE848237303 matches the DE
//! VAT id format`; `DK12345675` fails the CVR mod-11 check.
//!
//! # Known failure modes
//! - Only the Danish CVR has a checksum here; other countries' ids are checked by
//!   shape, so a misread digit in a German id passes.
//! - A reviewer's correction is checked as typed; the message names the first two
//!   characters (not bytes), so `€1234` fails without a panic.

use crate::document::{CheckCode, CheckResult};
use crate::values;

pub const CODE: CheckCode = CheckCode::VatIdFormat;

pub fn check(name: &str, value: &str) -> CheckResult {
    let ok = values::vat_id_format_ok(value);
    let message = if value.starts_with("DK") {
        format!(
            "{name} {value} {} the CVR mod-11 check",
            if ok { "passes" } else { "fails" }
        )
    } else {
        format!(
            "{name} {value} {} the {} VAT id format",
            if ok { "matches" } else { "does not match" },
            // Characters, not bytes: a corrected value may start with "€".
            value.chars().take(2).collect::<String>()
        )
    };
    CheckResult {
        code: CODE,
        passed: ok,
        fields: vec![name.to_string()],
        message,
    }
}
