//! The codes of the checks a document carries, one enum for every stage that adds a
//! check and every place that asks about one.
//!
//! In the JSON output and in the ledger a code is the snake_case string it has always
//! been (`"iban_checksum"`); the enum only changes how the code reads it. The checks a
//! document type file defines (`[[checks]] code = "totals_add_up"`) are named by that
//! file, so they are [`CheckCode::Other`], as is any code this build does not know (a
//! ledger row written by another version): reading old rows never fails on a code.

use serde::{Deserialize, Serialize};

/// Declares the built-in codes once: each variant with its documentation and the
/// string the output and the ledger spell it with. `BUILT_IN` and `as_str` follow from
/// the one list, so a new code cannot be added to one and forgotten in the other.
macro_rules! check_codes {
    ($($(#[$doc:meta])* $name:ident => $code:literal,)*) => {
        /// A check's code. Serialized as its string; see the module documentation.
        #[derive(Debug, Clone, Serialize, Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum CheckCode {
            $($(#[$doc])* $name,)*
            /// A check a document type file defines, or a code this build does not know.
            Other(String),
        }

        impl CheckCode {
            /// Every code this build defines itself, for round trips and listings.
            pub const BUILT_IN: [CheckCode; [$($code),*].len()] = [$(CheckCode::$name),*];

            /// The code as the output and the ledger spell it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(CheckCode::$name => $code,)*
                    CheckCode::Other(s) => s,
                }
            }
        }
    };
}

check_codes! {
    /// Every field the type marks `required` was read (`validate::required_present`).
    RequiredPresent => "required_present",
    /// A text value looks like a spreadsheet formula or markup (`validate::markup_in_field`).
    MarkupInField => "markup_in_field",
    /// An IBAN passes mod-97 (`validate::iban_checksum`).
    IbanChecksum => "iban_checksum",
    /// A VAT id matches its country's format (`validate::vat_id_format`).
    VatIdFormat => "vat_id_format",
    /// A date lies in a plausible window (`validate::date_plausible`).
    DatePlausible => "date_plausible",
    /// A value matches the pattern its type file gives it (`validate::format`).
    Format => "format",
    /// The line items add up to a printed amount (`validate::line_items_sum`).
    LineItemsSum => "line_items_sum",
    /// A payment QR code agrees with the page (`validate::payment_qr_agrees`).
    PaymentQrAgrees => "payment_qr_agrees",
    /// A label is on the page but its value could not be read (`validate::value_unreadable`).
    ValueUnreadable => "value_unreadable",
    /// A field came out empty but the page seems to print it (`validate::null_contradicted`).
    NullContradicted => "null_contradicted",
    /// The same invoice as one already seen (`validate::duplicate`).
    DuplicateInvoice => "duplicate_invoice",
    /// A PDF's embedded e-invoice was refused (`validate::embedded_einvoice_refused`).
    EmbeddedEinvoiceRefused => "embedded_einvoice_refused",
    /// The supplier is in master data (`validate::vendor_known`).
    VendorKnown => "vendor_known",
    /// The invoice's IBAN is on file for its supplier (`validate::iban_on_file`).
    IbanOnFile => "iban_on_file",
    /// A field every approved document of the supplier had is empty
    /// (`validate::usual_field_missing`).
    UsualFieldMissing => "usual_field_missing",
    /// OCR read the print of a field's value twice, as two lines over the same place
    /// (`validate::read_twice`).
    ReadTwice => "read_twice",
    /// An e-invoice's lines add up to its line total (`validate::lines_add_up`).
    LinesAddUp => "lines_add_up",
    /// An e-invoice's totals add up (`validate::structured_totals_add_up`).
    StructuredTotalsAddUp => "structured_totals_add_up",
}

use CheckCode::*;

/// A built-in code's string is that code, never `Other`: a type file's check named
/// like a built-in one is that one, as it was when codes were strings.
impl From<&str> for CheckCode {
    fn from(s: &str) -> CheckCode {
        CheckCode::BUILT_IN
            .iter()
            .find(|c| c.as_str() == s)
            .cloned()
            .unwrap_or_else(|| Other(s.to_string()))
    }
}

impl From<String> for CheckCode {
    fn from(s: String) -> CheckCode {
        match CheckCode::from(s.as_str()) {
            Other(_) => Other(s),
            known => known,
        }
    }
}

impl From<CheckCode> for String {
    fn from(c: CheckCode) -> String {
        match c {
            Other(s) => s,
            known => known.as_str().to_string(),
        }
    }
}

/// Codes are equal when they are spelled the same, so a hand-made `Other("format")`
/// is `Format`.
impl PartialEq for CheckCode {
    fn eq(&self, other: &CheckCode) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for CheckCode {}

impl std::hash::Hash for CheckCode {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.as_str().hash(h)
    }
}

impl std::fmt::Display for CheckCode {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The strings the output and the ledger held before the enum, written out.
    const OLD: [(&str, CheckCode); 18] = [
        ("required_present", RequiredPresent),
        ("markup_in_field", MarkupInField),
        ("iban_checksum", IbanChecksum),
        ("vat_id_format", VatIdFormat),
        ("date_plausible", DatePlausible),
        ("format", Format),
        ("line_items_sum", LineItemsSum),
        ("payment_qr_agrees", PaymentQrAgrees),
        ("value_unreadable", ValueUnreadable),
        ("null_contradicted", NullContradicted),
        ("duplicate_invoice", DuplicateInvoice),
        ("embedded_einvoice_refused", EmbeddedEinvoiceRefused),
        ("vendor_known", VendorKnown),
        ("iban_on_file", IbanOnFile),
        ("lines_add_up", LinesAddUp),
        ("structured_totals_add_up", StructuredTotalsAddUp),
        // Since the enum: its own string too.
        ("usual_field_missing", UsualFieldMissing),
        ("read_twice", ReadTwice),
    ];

    #[test]
    fn every_code_serializes_to_its_old_string_and_back() {
        for (old, code) in OLD {
            assert_eq!(serde_json::to_value(&code).unwrap(), old);
            let back: CheckCode = serde_json::from_value(serde_json::json!(old)).unwrap();
            assert!(back == code && !matches!(back, Other(_)), "{old}");
            assert_eq!(code.to_string(), old);
        }
        // Every built-in code is in the table above, each once.
        assert_eq!(CheckCode::BUILT_IN.len(), OLD.len());
        for code in CheckCode::BUILT_IN {
            assert_eq!(OLD.iter().filter(|(_, c)| *c == code).count(), 1, "{code}");
        }
    }

    #[test]
    fn a_type_files_code_and_an_unknown_one_read_back_as_other() {
        for s in ["totals_add_up", "a_check_from_a_later_version"] {
            let c: CheckCode = serde_json::from_value(serde_json::json!(s)).unwrap();
            assert!(matches!(&c, Other(o) if o == s), "{c:?}");
            assert_eq!(serde_json::to_value(&c).unwrap(), s);
        }
        // Spelled like a built-in code, it is that code.
        assert_eq!(CheckCode::from("format".to_string()), Format);
        assert_eq!(Other("format".into()), Format);
    }

    #[test]
    fn an_old_ledger_row_with_an_unknown_code_still_reads() {
        let row = r#"{"code":"retired_check","passed":false,"fields":["total"],"message":"m"}"#;
        let c: crate::document::CheckResult = serde_json::from_str(row).unwrap();
        assert_eq!(c.code, Other("retired_check".into()));
        // As when codes were strings: a failed check on a field that is none of the
        // questions for a person blocks approval.
        assert!(c.blocks_approval());
        assert_eq!(serde_json::to_string(&c).unwrap(), row);
    }
}
