//! Values typed by a person (review UI) or posted by a system (API) for a field,
//! normalised with the same parsers as extracted values, or refused with a reason.

use crate::config::{FieldKind, FieldSpec};
use crate::values::{self, DateOrder};

/// The normalised value of `text` for `spec`; `Ok(None)` clears the field.
pub fn normalize(spec: &FieldSpec, text: &str) -> Result<Option<String>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    // A typed value must be the value and nothing else: "5. marts 2024 ca." is no date.
    let whole = |start: usize, end: usize| start == 0 && end == t.len();
    let value = match spec.kind {
        FieldKind::Date => {
            if let Ok(d) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
                d.format("%Y-%m-%d").to_string()
            } else {
                match values::parse_date(t, DateOrder::Dmy) {
                    Some(f) if whole(f.start, f.end) => f.value.format("%Y-%m-%d").to_string(),
                    _ => {
                        return Err(format!(
                            "{t:?} is not a date (like 2024-03-14 or 14.03.2024)"
                        ))
                    }
                }
            }
        }
        FieldKind::Money => match values::parse_money(t) {
            Some(f) if whole(f.start, f.end) => values::format_money(f.value.amount, None),
            _ => return Err(format!("{t:?} is not an amount (like 1234.50 or 1.234,50)")),
        },
        FieldKind::Currency => match values::currency_code(t) {
            Some(code) => code.to_string(),
            None => {
                return Err(format!(
                    "{t:?} is not a currency (an ISO code like DKK or EUR)"
                ))
            }
        },
        FieldKind::Iban => match values::normalize_iban(t) {
            Some(iban) if values::iban_is_valid(&iban) => iban,
            _ => {
                return Err(format!(
                    "{t:?} is not a valid IBAN (the mod-97 check fails)"
                ))
            }
        },
        FieldKind::Bic => match values::normalize_bic(t) {
            Some(bic) => bic,
            None => return Err(format!("{t:?} is not a BIC (8 or 11 letters and digits)")),
        },
        FieldKind::VatId => match values::normalize_vat_id(t, None) {
            Some(v) if values::vat_id_format_ok(&v) => v,
            _ => {
                return Err(format!(
                    "{t:?} is not a VAT id (country prefix and number, like DK12345678)"
                ))
            }
        },
        FieldKind::Identifier => {
            if let Some(p) = &spec.pattern {
                if !p.is_match(t) {
                    return Err(format!("{t:?} does not match the pattern {}", p.as_str()));
                }
            }
            t.to_string()
        }
        FieldKind::Text | FieldKind::PartyName | FieldKind::PartyAddress => {
            let v = t.split_whitespace().collect::<Vec<_>>().join(" ");
            if let Some(p) = &spec.pattern {
                if !p.is_match(&v) {
                    return Err(format!("{v:?} does not match the pattern {}", p.as_str()));
                }
            }
            v
        }
        FieldKind::Number | FieldKind::Integer => {
            let integer = spec.kind == FieldKind::Integer;
            match values::find_number(t, integer) {
                Some(f) if whole(f.start, f.end) => f.value.to_string(),
                _ if integer => return Err(format!("{t:?} is not a whole number")),
                _ => return Err(format!("{t:?} is not a number (like 37.5 or 37,5)")),
            }
        }
        FieldKind::Checkbox | FieldKind::Signature => match values::parse_bool(t) {
            Some(b) => b.to_string(),
            None => return Err(format!("{t:?} is not yes or no (true/false)")),
        },
        FieldKind::Choice => {
            let norm = crate::config::doctype::label_tokens(t);
            match spec.options.iter().find(|o| {
                o.value.eq_ignore_ascii_case(t) || o.labels.iter().any(|(_, l)| *l == norm)
            }) {
                Some(o) => o.value.clone(),
                None => {
                    let values: Vec<&str> = spec.options.iter().map(|o| o.value.as_str()).collect();
                    return Err(format!("{t:?} is not one of {}", values.join(", ")));
                }
            }
        }
    };
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str) -> FieldSpec {
        crate::config::doctype::builtin()
            .unwrap()
            .into_iter()
            .find(|d| d.name == "invoice")
            .unwrap()
            .fields
            .into_iter()
            .find(|f| f.name == name)
            .unwrap()
    }

    #[test]
    fn typed_values_are_normalised_like_extracted_ones() {
        assert_eq!(
            normalize(&spec("invoice_date"), "14. marts 2024"),
            Ok(Some("2024-03-14".into()))
        );
        assert_eq!(
            normalize(&spec("invoice_date"), "2024-03-14"),
            Ok(Some("2024-03-14".into()))
        );
        assert_eq!(
            normalize(&spec("total"), "1.234,50"),
            Ok(Some("1234.50".into()))
        );
        assert_eq!(normalize(&spec("currency"), "kr."), Ok(Some("DKK".into())));
        assert_eq!(
            normalize(&spec("iban"), "DK50 0040 0440 1162 43"),
            Ok(Some("DK5000400440116243".into()))
        );
        assert_eq!(
            normalize(&spec("vendor_name"), "  Krüger   GmbH "),
            Ok(Some("Krüger GmbH".into()))
        );
        assert_eq!(normalize(&spec("total"), " "), Ok(None));
    }

    #[test]
    fn bad_values_are_refused_with_a_reason() {
        assert!(normalize(&spec("invoice_date"), "31.02.2024")
            .unwrap_err()
            .contains("not a date"));
        assert!(normalize(&spec("invoice_date"), "5 marts 2024 ca.").is_err());
        assert!(normalize(&spec("total"), "twelve")
            .unwrap_err()
            .contains("not an amount"));
        assert!(normalize(&spec("iban"), "DK50 0040 0440 1162 44")
            .unwrap_err()
            .contains("mod-97"));
        assert!(normalize(&spec("vendor_vat_id"), "XX123").is_err());
    }
}
