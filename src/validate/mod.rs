//! Stage "validate": checks on the extracted fields, and the confidence they earn.
//!
//! Pure. Per-kind checks (IBAN mod-97, VAT id formats and the Danish CVR mod-11,
//! dates in a plausible range, required fields present) and the type file's checks
//! (sums within a tolerance, date order). A passed checksum or sum is strong evidence
//! that OCR read the digits right, so it raises the fields' confidence; a failed one
//! lowers them below any threshold, so a person looks.

pub mod duplicate;
pub mod null_contradicted;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::config::doctype::{CheckSpec, FieldKind};
use crate::config::DocType;
use crate::document::{CheckResult, IndexedFields};
use crate::values;

/// Dates outside this window are more likely misread than real.
/// A text value that a spreadsheet would run as a formula (`=HYPERLINK(…)`, `+1+1`,
/// `@SUM(…)`, a leading tab or carriage return) or that holds HTML or a script URL:
/// an e-invoice's data or a crafted scan, never what a supplier prints. Numbers,
/// dates and amounts are parsed values, not text, and are not judged.
fn markup(kind: FieldKind, value: &str) -> bool {
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

const EARLIEST: (i32, u32, u32) = (2000, 1, 1);
const LATEST_YEARS_AHEAD: i32 = 2;

pub fn validate(fields: &IndexedFields, doctype: &DocType, today: NaiveDate) -> Vec<CheckResult> {
    let mut out = Vec::new();
    let check = |code: &str, passed: bool, fields: &[&str], message: String| CheckResult {
        code: code.into(),
        passed,
        fields: fields.iter().map(|s| s.to_string()).collect(),
        message,
    };
    let missing: Vec<&str> = doctype
        .fields
        .iter()
        .filter(|f| f.required && fields.get(&f.name).is_none())
        .map(|f| f.name.as_str())
        .collect();
    out.push(check(
        "required_present",
        missing.is_empty(),
        &missing,
        if missing.is_empty() {
            "all required fields present".into()
        } else {
            format!("missing: {}", missing.join(", "))
        },
    ));
    let marked: Vec<&str> = doctype
        .fields
        .iter()
        .filter(|f| fields.value(&f.name).is_some_and(|v| markup(f.kind, v)))
        .map(|f| f.name.as_str())
        .collect();
    // Only when a field holds some: a clean document's checks stay as they were.
    if !marked.is_empty() {
        out.push(check(
            "markup_in_field",
            false,
            &marked,
            format!(
                "{} looks like a spreadsheet formula or markup, not a value printed on paper",
                marked.join(", ")
            ),
        ));
    }
    let earliest = NaiveDate::from_ymd_opt(EARLIEST.0, EARLIEST.1, EARLIEST.2).unwrap();
    let latest = today
        .checked_add_months(chrono::Months::new(12 * LATEST_YEARS_AHEAD as u32))
        .unwrap_or(today);
    for spec in &doctype.fields {
        let Some(value) = fields.value(&spec.name) else {
            continue;
        };
        let name = spec.name.as_str();
        match spec.kind {
            FieldKind::Iban => {
                let ok = values::iban_is_valid(value);
                out.push(check(
                    "iban_checksum",
                    ok,
                    &[name],
                    format!(
                        "{name} {value} {} the mod-97 check",
                        if ok { "passes" } else { "fails" }
                    ),
                ));
            }
            FieldKind::VatId => {
                let ok = values::vat_id_format_ok(value);
                let msg = if value.starts_with("DK") {
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
                out.push(check("vat_id_format", ok, &[name], msg));
            }
            FieldKind::Date => {
                let ok = NaiveDate::parse_from_str(value, "%Y-%m-%d")
                    .is_ok_and(|d| d >= earliest && d <= latest);
                out.push(check(
                    "date_plausible",
                    ok,
                    &[name],
                    // No absolute "latest" date in the message: it would change daily.
                    format!(
                        "{name} {value} {} after {earliest} and at most {LATEST_YEARS_AHEAD} years ahead",
                        if ok { "is" } else { "is not" }
                    ),
                ));
            }
            _ => {}
        }
        // Identifiers are only read, or typed, when they match: no check needed.
        if let (Some(p), false) = (&spec.pattern, spec.kind == FieldKind::Identifier) {
            let ok = p.is_match(value);
            out.push(check(
                "format",
                ok,
                &[name],
                format!(
                    "{name} {value} {} the type's pattern {}",
                    if ok { "matches" } else { "does not match" },
                    p.as_str()
                ),
            ));
        }
    }
    // The total and the operands of an arithmetic check, when every one is a number;
    // with the field names the check is about (operands, then the total).
    let operands = |ops: &[String], total: &str| -> Option<(Decimal, Vec<Decimal>, Vec<String>)> {
        let amount = |n: &str| fields.value(n).and_then(|v| v.parse::<Decimal>().ok());
        let t = amount(total)?;
        let vs = ops.iter().map(|p| amount(p)).collect::<Option<Vec<_>>>()?;
        let names = ops.iter().cloned().chain([total.to_string()]).collect();
        Some((t, vs, names))
    };
    for spec in &doctype.checks {
        match spec {
            CheckSpec::Sum {
                code,
                parts,
                total,
                tolerance,
            } => {
                let Some((t, ps, names)) = operands(parts, total) else {
                    continue;
                };
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                let sum: Decimal = ps.iter().sum();
                let ok = (sum - t).abs() <= *tolerance;
                out.push(check(
                    code,
                    ok,
                    &names,
                    format!("{} = {sum}, {total} = {t}", parts.join(" + ")),
                ));
            }
            CheckSpec::DateOrder {
                code,
                earlier,
                later,
                strict,
            } => {
                let date = |n: &str| {
                    fields
                        .value(n)
                        .and_then(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
                };
                let (Some(a), Some(b)) = (date(earlier), date(later)) else {
                    continue;
                };
                let ok = if *strict { a < b } else { a <= b };
                let relation = match (ok, *strict) {
                    (true, true) => "is before",
                    (true, false) => "is not after",
                    (false, true) => "is not before",
                    (false, false) => "is after",
                };
                out.push(check(
                    code,
                    ok,
                    &[earlier, later],
                    format!("{earlier} {a} {relation} {later} {b}"),
                ));
            }
            CheckSpec::IsTrue { code, field } => {
                // Absent is the required check's business; here only a read "false" fails.
                let Some(v) = fields.value(field) else {
                    continue;
                };
                let ok = v == "true";
                out.push(check(
                    code,
                    ok,
                    &[field],
                    format!("{field} is {}", if ok { "yes" } else { "no" }),
                ));
            }
            CheckSpec::Product {
                code,
                factors,
                total,
                tolerance,
            } => {
                let Some((t, fs, names)) = operands(factors, total) else {
                    continue;
                };
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                let Some(product) = fs
                    .iter()
                    .try_fold(Decimal::ONE, |acc, f| acc.checked_mul(*f))
                else {
                    continue;
                };
                let ok = (product - t).abs() <= *tolerance;
                let shown: Vec<String> = factors
                    .iter()
                    .zip(&fs)
                    .map(|(n, v)| format!("{n} {v}"))
                    .collect();
                out.push(check(
                    code,
                    ok,
                    &names,
                    format!(
                        "{} = {} {} {total} {t} (tolerance {tolerance})",
                        shown.join(" × "),
                        product.round_dp(4).normalize(),
                        if ok { "matches" } else { "does not match" },
                    ),
                ));
            }
        }
    }
    out
}

/// Confidence earned or lost by checks. Derived values keep theirs: arithmetic that
/// made them up cannot also vouch for them.
/// Only checksums and sums vouch for the digits; a date order that holds says little
/// about whether each date was read right, so it only costs when it fails.
pub fn apply_to_confidence(fields: &mut IndexedFields, checks: &[CheckResult], doctype: &DocType) {
    let is_sum = |code: &str| {
        doctype.checks.iter().any(|c| match c {
            CheckSpec::Sum { code: k, .. } | CheckSpec::Product { code: k, .. } => k == code,
            CheckSpec::DateOrder { .. } | CheckSpec::IsTrue { .. } => false,
        })
    };
    // "Not signed" is read right; it says nothing about how well it was read.
    let is_statement = |code: &str| {
        doctype
            .checks
            .iter()
            .any(|c| matches!(c, CheckSpec::IsTrue { code: k, .. } if k == code))
    };
    for c in checks {
        if is_statement(&c.code) {
            continue;
        }
        let boost = match c.code.as_str() {
            "iban_checksum" => 0.99,
            "vat_id_format" => 0.97,
            "required_present" => continue,
            code if is_sum(code) => 0.985,
            _ => 0.0,
        };
        for name in &c.fields {
            if let Some(f) = fields.get_mut(name) {
                if f.origin == crate::document::Origin::Derived {
                    continue;
                }
                f.confidence = if c.passed {
                    f.confidence.max(boost)
                } else {
                    (f.confidence * 0.6).min(0.5)
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Field, Origin};

    pub(super) fn invoice() -> DocType {
        crate::config::doctype::builtin()
            .unwrap()
            .into_iter()
            .find(|d| d.name == "invoice")
            .unwrap()
    }

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

    fn outcome(checks: &[CheckResult], code: &str) -> Vec<bool> {
        checks
            .iter()
            .filter(|c| c.code == code)
            .map(|c| c.passed)
            .collect()
    }

    #[test]
    fn formulas_and_markup_in_text_fields_are_a_reason_for_review() {
        let checks = |pairs: &[(&str, &str)]| validate(&fields(pairs), &invoice(), today());
        let c = checks(&[
            ("vendor_name", "=HYPERLINK(\"http://x\",\"Nordlys\")"),
            ("customer_name", "<img src=x onerror=alert(1)>"),
            ("invoice_number", "-2024-118"),
            ("total", "-12.50"),
        ]);
        let m = c.iter().find(|c| c.code == "markup_in_field").unwrap();
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
            assert!(c.iter().any(|c| c.code == "markup_in_field"), "{bad:?}");
        }
        // Ordinary names, a negative amount and an identifier with a leading dash pass,
        // and no check is added to a clean document.
        let c = checks(&[
            ("vendor_name", "Nordlys Kontorartikler A/S"),
            ("invoice_number", "2024-118"),
            ("payment_reference", "+71<000000012345678+12345678<"),
            ("customer_name", "+45 20 30 40 50"),
        ]);
        assert!(!c.iter().any(|c| c.code == "markup_in_field"), "{c:?}");
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
        let checks = validate(&f, &invoice(), today());
        assert_eq!(outcome(&checks, "required_present"), [true]);
        assert_eq!(outcome(&checks, "iban_checksum"), [true]);
        assert_eq!(
            outcome(&checks, "vat_id_format"),
            [false],
            "CVR mod-11 fails"
        );
        // Within a cent.
        assert_eq!(outcome(&checks, "totals_add_up"), [true]);
        assert_eq!(outcome(&checks, "due_after_issue"), [false]);
        assert_eq!(outcome(&checks, "date_plausible"), [true, true]);
    }

    #[test]
    fn a_vat_id_starting_with_a_multibyte_character_fails_its_check_without_panicking() {
        // A reviewer's correction is checked as typed: "€" is three bytes, and the
        // message once sliced the first two bytes of the value.
        for v in ["€12345678", "Ø1", "é"] {
            let f = fields(&[("vendor_vat_id", v)]);
            let checks = validate(&f, &invoice(), today());
            assert_eq!(outcome(&checks, "vat_id_format"), [false], "{v}");
            let msg = &checks
                .iter()
                .find(|c| c.code == "vat_id_format")
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
        let checks = validate(&f, &invoice(), today());
        let req = checks
            .iter()
            .find(|c| c.code == "required_present")
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
        assert_eq!(outcome(&checks, "date_plausible"), [false]);
        assert_eq!(outcome(&checks, "iban_checksum"), [false]);
    }

    #[test]
    fn passed_sums_raise_and_failed_checks_lower_confidence() {
        let mut f = fields(&[
            ("subtotal", "100.00"),
            ("tax_amount", "25.00"),
            ("total", "125.00"),
            ("iban", "DK5000400440116244"),
        ]);
        let dt = invoice();
        let checks = validate(&f, &dt, today());
        apply_to_confidence(&mut f, &checks, &dt);
        assert_eq!(f.get("total").unwrap().confidence, 0.985);
        assert!(f.get("iban").unwrap().confidence <= 0.5);
    }
}
