//! Check `embedded_einvoice_refused`: a PDF carried an e-invoice (ZUGFeRD, Factur-X,
//! XRechnung) that could not be used, so its pages were read instead.
//!
//! # What it checks
//! Nothing of the fields: it records that the XML embedded in the PDF was refused
//! (unparseable, not an invoice, over a limit) and why. Always failed; it names no
//! field.
//!
//! # Why
//! The embedded XML is the invoice's own data and is trusted over the pages. When it
//! is refused, the document is still read (from its pages), but a person should know
//! that the exact data was there and why it was not used: a broken export at the
//! supplier, or a PDF whose XML was tampered with.
//!
//! # Example
//! `the PDF's embedded factur-x.xml was refused: corrupt input: XML: unexpected end of
//! stream`.
//!
//! # Known failure modes
//! - The check names no field, so it does not block approval; the page reading is
//!   judged by its own checks.

use crate::document::{CheckCode, CheckResult};

pub const CODE: CheckCode = CheckCode::EmbeddedEinvoiceRefused;

/// The failed check, `why` saying which file and what was wrong with it.
pub fn check(why: &str) -> CheckResult {
    CheckResult {
        code: CODE,
        passed: false,
        fields: Vec::new(),
        message: why.to_string(),
    }
}
