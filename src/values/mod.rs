//! Values shared by every stage: turn OCR'd text into normalised typed values (dates, money,
//! currency, IBAN, VAT ids). Pure functions; each returns None when the text is
//! not a value of that type.
//!
//! Conventions shared by every parser in this module:
//!
//! * `parse_*` / `normalize_*` take a field's value candidate (typically a few
//!   OCR words joined by spaces) and return the first/best value in it.
//! * `find_*` scan a longer line and return values left to right, without
//!   overlaps. Byte offsets (`start..end`) always index the text that was passed
//!   in, so `&text[f.start..f.end]` is the exact substring the value came from.
//! * OCR repairs (`O`→`0` and the like) are only ever ASCII→ASCII substitutions
//!   on a private copy of the text, so they never shift byte offsets.
//! * A number glued to letters or chained to other numbers by `-./:` (invoice
//!   numbers such as `INV-2024-0042`, times, IBAN groups, phone numbers written
//!   with dots) is not taken as a date or an amount.

pub mod date;
pub mod iban;
pub mod money;
pub mod number;
mod scan;
pub mod typed;
pub mod vat;

pub use date::{find_dates, order_shown, parse_date, DateOrder};
pub use iban::{find_iban, iban_is_valid, normalize_bic, normalize_iban};
pub use money::{currency_code, find_money, first_has_cents, format_money, parse_money, Money};
pub use number::{find_number, parse_bool};
pub use typed::{display_amount, parse_typed_money, TypedMoneyError};
pub use vat::{cvr_mod11_ok, find_vat_id, normalize_vat_id, vat_id_format_ok};

/// A value found in text: the normalised value and the exact substring (byte range) it came from.
///
/// Used for every kind of value in this folder: `value` is the normalised
/// value, `start..end` the byte range of the source text it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found<T> {
    pub value: T,
    pub start: usize,
    pub end: usize,
}
