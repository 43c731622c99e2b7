//! Stage "validate": checks on the extracted fields, and the confidence they earn.
//!
//! Pure. Every check a document can carry is one rule in a file of its own here, each
//! with the same headings (what it checks, why, an example, known failure modes) and
//! each with its [`CheckCode`]:
//!
//! - on the fields, by kind: [`required_present`], [`markup_in_field`],
//!   [`iban_checksum`], [`vat_id_format`], [`date_plausible`], [`format`];
//! - the type file's own checks: [`sum`], [`product`], [`date_order`], [`is_true`];
//! - on what extraction saw: [`line_items_sum`], [`payment_qr_agrees`],
//!   [`value_unreadable`], [`null_contradicted`], [`read_twice`];
//! - on an e-invoice's own arithmetic: [`lines_add_up`], [`structured_totals_add_up`],
//!   and a PDF's refused one: [`embedded_einvoice_refused`];
//! - on master data and the ledger: [`vendor_known`], [`iban_on_file`],
//!   [`usual_field_missing`] (the vendor stage calls them), [`duplicate`] (the wiring calls it with the ledger's answer).
//!
//! [`validate`] runs the field and type file rules; the stages that see what the others
//! need (extraction's items and unread labels, the payment code, master data, the
//! ledger) call their rules' functions with it. A passed checksum or sum is strong
//! evidence that OCR read the digits right, so it raises the fields' confidence; a
//! failed one lowers them below any threshold, so a person looks
//! ([`apply_to_confidence`]).

pub mod date_order;
pub mod date_plausible;
pub mod duplicate;
pub mod embedded_einvoice_refused;
pub mod format;
pub mod iban_checksum;
pub mod iban_on_file;
pub mod is_true;
pub mod line_items_sum;
pub mod lines_add_up;
pub mod markup_in_field;
pub mod null_contradicted;
pub mod payment_qr_agrees;
pub mod product;
pub mod read_twice;
pub mod required_present;
pub mod structured_totals_add_up;
pub mod sum;
pub mod usual_field_missing;
pub mod value_unreadable;
pub mod vat_id_format;
pub mod vendor_known;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::config::doctype::{CheckSpec, FieldKind};
use crate::config::DocType;
use crate::document::{CheckCode, CheckResult, IndexedFields};

/// The checks on `fields` that need nothing but the fields, the type and the date: the
/// rules on each field's kind and the type file's own checks, in the order the output
/// has always listed them.
pub fn validate(fields: &IndexedFields, doctype: &DocType, today: NaiveDate) -> Vec<CheckResult> {
    let mut out = vec![required_present::check(fields, doctype)];
    // Only when a field holds some: a clean document's checks stay as they were.
    out.extend(markup_in_field::check(fields, doctype));
    for spec in &doctype.fields {
        let Some(value) = fields.value(&spec.name) else {
            continue;
        };
        let name = spec.name.as_str();
        match spec.kind {
            FieldKind::Iban => out.push(iban_checksum::check(name, value)),
            FieldKind::VatId => out.push(vat_id_format::check(name, value)),
            FieldKind::Date => out.push(date_plausible::check(name, value, today)),
            _ => {}
        }
        out.extend(format::check(spec, value));
    }
    for spec in &doctype.checks {
        out.extend(match spec {
            CheckSpec::Sum {
                code,
                parts,
                total,
                tolerance,
            } => sum::check(code, parts, total, *tolerance, fields),
            CheckSpec::DateOrder {
                code,
                earlier,
                later,
                strict,
            } => date_order::check(code, earlier, later, *strict, fields),
            CheckSpec::IsTrue { code, field } => is_true::check(code, field, fields),
            CheckSpec::Product {
                code,
                factors,
                total,
                tolerance,
            } => product::check(code, factors, total, *tolerance, fields),
        });
    }
    out
}

/// An e-invoice's own arithmetic: its lines against its line total, its totals against
/// each other (each when the invoice gives what it needs).
pub fn einvoice_arithmetic(inv: &crate::einvoice::EInvoice) -> Vec<CheckResult> {
    lines_add_up::check(inv)
        .into_iter()
        .chain(structured_totals_add_up::check(inv))
        .collect()
}

/// The total and the operands of an arithmetic check, when every one is a number; with
/// the field names the check is about (operands, then the total).
fn operands(
    fields: &IndexedFields,
    ops: &[String],
    total: &str,
) -> Option<(Decimal, Vec<Decimal>, Vec<String>)> {
    let amount = |n: &str| fields.value(n).and_then(|v| v.parse::<Decimal>().ok());
    let t = amount(total)?;
    let vs = ops.iter().map(|p| amount(p)).collect::<Option<Vec<_>>>()?;
    let names = ops.iter().cloned().chain([total.to_string()]).collect();
    Some((t, vs, names))
}

/// Confidence earned or lost by checks. Derived values keep theirs: arithmetic that
/// made them up cannot also vouch for them.
/// Only checksums and sums vouch for the digits; a date order that holds says little
/// about whether each date was read right, so it only costs when it fails.
pub fn apply_to_confidence(fields: &mut IndexedFields, checks: &[CheckResult], doctype: &DocType) {
    let is_sum = |code: &CheckCode| {
        doctype.checks.iter().any(|c| match c {
            CheckSpec::Sum { code: k, .. } | CheckSpec::Product { code: k, .. } => {
                k == code.as_str()
            }
            CheckSpec::DateOrder { .. } | CheckSpec::IsTrue { .. } => false,
        })
    };
    // "Not signed" is read right; it says nothing about how well it was read.
    let is_statement = |code: &CheckCode| {
        doctype
            .checks
            .iter()
            .any(|c| matches!(c, CheckSpec::IsTrue { code: k, .. } if k == code.as_str()))
    };
    for c in checks {
        if is_statement(&c.code) {
            continue;
        }
        let boost = match &c.code {
            CheckCode::IbanChecksum => 0.99,
            CheckCode::VatIdFormat => 0.97,
            CheckCode::RequiredPresent => continue,
            code if is_sum(code) => 0.985,
            _ => 0.0,
        };
        for name in &c.fields {
            if let Some(f) = fields.get_mut(name) {
                if f.origin == crate::document::Origin::Derived {
                    continue;
                }
                if c.passed {
                    f.raise_or_lower(
                        f.confidence.max(boost),
                        format_args!("raised: {} passed", c.code),
                    );
                } else {
                    f.raise_or_lower(
                        (f.confidence * 0.6).min(0.5),
                        format_args!("lowered: {} failed", c.code),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Field, Origin};
    use crate::testing::builtin_type;

    fn field(v: &str, conf: f64) -> Option<Field> {
        Some(Field {
            value: v.into(),
            confidence: conf,
            raw: v.into(),
            page: 1,
            bbox: None,
            origin: Origin::Ocr,
            reasons: Vec::new(),
        })
    }

    fn fields(pairs: &[(&str, &str)]) -> IndexedFields {
        let mut f = IndexedFields::default();
        for (n, v) in pairs {
            f.set(n, field(v, 0.8));
        }
        f
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 6, 1).unwrap()
    }

    fn outcome(checks: &[CheckResult], code: impl Into<CheckCode>) -> Vec<bool> {
        let code = code.into();
        checks
            .iter()
            .filter(|c| c.code == code)
            .map(|c| c.passed)
            .collect()
    }

    #[test]
    fn formulas_and_markup_in_text_fields_are_a_reason_for_review() {
        let checks =
            |pairs: &[(&str, &str)]| validate(&fields(pairs), &builtin_type("invoice"), today());
        let c = checks(&[
            ("vendor_name", "=HYPERLINK(\"http://x\",\"Nordlys\")"),
            ("customer_name", "<img src=x onerror=alert(1)>"),
            ("invoice_number", "-2024-118"),
            ("total", "-12.50"),
        ]);
        let m = c
            .iter()
            .find(|c| c.code == CheckCode::MarkupInField)
            .unwrap();
        assert!(!m.passed);
        assert_eq!(m.fields, ["vendor_name", "customer_name"]);
        assert!(!m.blocks_approval(), "a person may approve what they saw");
        for bad in [
            "+SUM(A1)",
            "</b>",
            "@SUM(A1)",
            "\tNordlys",
            "javascript:alert(1)",
            "-Nordlys",
        ] {
            let c = checks(&[("vendor_name", bad)]);
            assert!(
                c.iter().any(|c| c.code == CheckCode::MarkupInField),
                "{bad:?}"
            );
        }
        // Ordinary names, a negative amount and an identifier with a leading dash pass,
        // and no check is added to a clean document.
        let c = checks(&[
            ("vendor_name", "Nordlys Kontorartikler A/S"),
            ("invoice_number", "2024-118"),
            ("payment_reference", "+71<000000012345678+12345678<"),
            ("customer_name", "+45 20 30 40 50"),
        ]);
        assert!(
            !c.iter().any(|c| c.code == CheckCode::MarkupInField),
            "{c:?}"
        );
    }

    #[test]
    fn checksums_sums_and_dates() {
        let f = fields(&[
            ("invoice_number", "1"),
            ("invoice_date", "2024-03-14"),
            ("due_date", "2024-03-01"),
            ("currency", "DKK"),
            ("subtotal", "100.00"),
            ("tax_amount", "25.00"),
            ("total", "125.01"),
            ("iban", "DK5000400440116243"),
            ("vendor_vat_id", "DK12345675"),
            ("vendor_name", "X ApS"),
            ("customer_name", "Y A/S"),
        ]);
        let checks = validate(&f, &builtin_type("invoice"), today());
        assert_eq!(outcome(&checks, CheckCode::RequiredPresent), [true]);
        assert_eq!(outcome(&checks, CheckCode::IbanChecksum), [true]);
        assert_eq!(
            outcome(&checks, CheckCode::VatIdFormat),
            [false],
            "CVR mod-11 fails"
        );
        // Within a cent.
        assert_eq!(outcome(&checks, "totals_add_up"), [true]);
        assert_eq!(outcome(&checks, "due_after_issue"), [false]);
        assert_eq!(outcome(&checks, CheckCode::DatePlausible), [true, true]);
    }

    #[test]
    fn a_vat_id_starting_with_a_multibyte_character_fails_its_check_without_panicking() {
        // A reviewer's correction is checked as typed: "€" is three bytes, and the
        // message once sliced the first two bytes of the value.
        for v in ["€12345678", "Ø1", "é"] {
            let f = fields(&[("vendor_vat_id", v)]);
            let checks = validate(&f, &builtin_type("invoice"), today());
            assert_eq!(outcome(&checks, CheckCode::VatIdFormat), [false], "{v}");
            let msg = &checks
                .iter()
                .find(|c| c.code == CheckCode::VatIdFormat)
                .unwrap()
                .message;
            let prefix: String = v.chars().take(2).collect();
            assert!(
                msg.contains(&format!("the {prefix} VAT id format")),
                "{msg}"
            );
        }
    }

    #[test]
    fn missing_required_and_implausible_dates() {
        let f = fields(&[
            ("invoice_date", "1987-01-01"),
            ("iban", "DK5000400440116244"),
        ]);
        let checks = validate(&f, &builtin_type("invoice"), today());
        let req = checks
            .iter()
            .find(|c| c.code == CheckCode::RequiredPresent)
            .unwrap();
        assert!(!req.passed);
        assert_eq!(
            req.fields,
            [
                "vendor_name",
                "customer_name",
                "invoice_number",
                "currency",
                "total"
            ]
        );
        assert_eq!(outcome(&checks, CheckCode::DatePlausible), [false]);
        assert_eq!(outcome(&checks, CheckCode::IbanChecksum), [false]);
    }

    #[test]
    fn passed_sums_raise_and_failed_checks_lower_confidence() {
        let mut f = fields(&[
            ("subtotal", "100.00"),
            ("tax_amount", "25.00"),
            ("total", "125.00"),
            ("iban", "DK5000400440116244"),
        ]);
        let dt = builtin_type("invoice");
        let checks = validate(&f, &dt, today());
        apply_to_confidence(&mut f, &checks, &dt);
        assert_eq!(f.get("total").unwrap().confidence, 0.985);
        assert!(f.get("iban").unwrap().confidence <= 0.5);
    }
}
