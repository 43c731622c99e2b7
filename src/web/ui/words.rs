//! Plain words for the review page: field labels in the reviewer's language, and the
//! pipeline's reasons (written for engineers: "customer_name confidence 0.742 below
//! 0.9") said as what looks wrong and what to look at.
//!
//! The language is the first of Danish, German and English in the browser's
//! `Accept-Language`: a clerk's browser already says it, it needs no setting to keep
//! (and no column in the users table), and a shared workstation follows its profile.
//!
//! A field's label: the built-in title for the fields of the shipped types (the type
//! files' labels are synonyms to find values by, lower case and abbreviated: "cvr",
//! "vat no"), else the first label the type file gives in that language, else in
//! English, else the field's id in words.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderMap;

use crate::config::DocType;
use crate::web::AppState;

/// The reviewer's language, from the request's `Accept-Language`.
#[derive(Clone, Copy)]
pub(super) struct Lang(pub &'static str);

impl FromRequestParts<AppState> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _st: &AppState,
    ) -> Result<Lang, Self::Rejection> {
        Ok(Lang(language(&parts.headers)))
    }
}

/// The reviewer's language: `da`, `de` or `en`.
pub(super) fn language(headers: &HeaderMap) -> &'static str {
    let Some(accept) = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    else {
        return "en";
    };
    let mut ranked: Vec<(f32, usize, &'static str)> = Vec::new();
    for (i, part) in accept.split(',').enumerate() {
        let mut bits = part.split(';');
        let tag = bits.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = bits
            .find_map(|b| {
                b.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or("");
        let lang = match primary {
            "da" => "da",
            "de" => "de",
            "en" => "en",
            // Norwegian and Swedish readers read Danish more easily than English.
            "nb" | "no" | "nn" | "sv" => "da",
            _ => continue,
        };
        if q > 0.0 {
            ranked.push((q, i, lang));
        }
    }
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked.first().map_or("en", |r| r.2)
}

/// Titles of the shipped types' fields: (id, English, Danish, German).
const TITLES: &[(&str, &str, &str, &str)] = &[
    ("vendor_name", "Vendor", "Leverandør", "Lieferant"),
    (
        "vendor_vat_id",
        "Vendor VAT id",
        "Leverandørens CVR/moms-nr.",
        "USt-IdNr. des Lieferanten",
    ),
    (
        "vendor_address",
        "Vendor address",
        "Leverandørens adresse",
        "Adresse des Lieferanten",
    ),
    ("customer_name", "Customer", "Kunde", "Kunde"),
    (
        "invoice_number",
        "Invoice number",
        "Fakturanummer",
        "Rechnungsnummer",
    ),
    (
        "invoice_date",
        "Invoice date",
        "Fakturadato",
        "Rechnungsdatum",
    ),
    ("due_date", "Due date", "Forfaldsdato", "Fälligkeitsdatum"),
    (
        "purchase_order",
        "Purchase order",
        "Ordrenummer",
        "Bestellnummer",
    ),
    ("currency", "Currency", "Valuta", "Währung"),
    (
        "subtotal",
        "Subtotal (excl. VAT)",
        "Subtotal (ekskl. moms)",
        "Zwischensumme (netto)",
    ),
    ("tax_amount", "VAT", "Moms", "MwSt."),
    ("total", "Total", "I alt", "Gesamtbetrag"),
    ("iban", "IBAN", "IBAN", "IBAN"),
    ("bic", "BIC", "BIC", "BIC"),
    (
        "payment_reference",
        "Payment reference",
        "Betalingsreference",
        "Zahlungsreferenz",
    ),
    ("merchant_name", "Merchant", "Forretning", "Händler"),
    (
        "merchant_address",
        "Merchant address",
        "Forretningens adresse",
        "Adresse des Händlers",
    ),
    ("date", "Date", "Dato", "Datum"),
    (
        "account_holder",
        "Account holder",
        "Kontohaver",
        "Kontoinhaber",
    ),
    ("opened_date", "Opened on", "Oprettet den", "Eröffnet am"),
    ("balance", "Balance", "Saldo", "Saldo"),
    (
        "confirmation_date",
        "Confirmed on",
        "Bekræftet den",
        "Bestätigt am",
    ),
    (
        "sole_holder",
        "Sole holder",
        "Eneste kontohaver",
        "Alleiniger Inhaber",
    ),
    ("signed", "Signed", "Underskrevet", "Unterschrieben"),
    ("employee_name", "Employee", "Medarbejder", "Mitarbeiter"),
];

/// The label of field `name` in `lang`.
pub(super) fn field_label(dt: Option<&DocType>, name: &str, lang: &str) -> String {
    if let Some((_, en, da, de)) = TITLES.iter().find(|t| t.0 == name) {
        return match lang {
            "da" => da,
            "de" => de,
            _ => en,
        }
        .to_string();
    }
    let spec = dt.and_then(|d| d.fields.iter().find(|f| f.name == name));
    let from_file = |l: &str| {
        spec.and_then(|s| s.labels.iter().find(|(lg, _)| lg == l))
            .map(|(_, tokens)| tokens.join(" "))
    };
    let words = from_file(lang)
        .or_else(|| from_file("en"))
        .unwrap_or_else(|| name.replace('_', " "));
    let mut c = words.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => name.to_string(),
    }
}

/// A reason from the pipeline said plainly; `label` names a field. Reasons this
/// does not know are kept as they are.
pub(super) fn plain_reason(reason: &str, label: &dyn Fn(&str) -> String) -> String {
    let labels = |list: &str| {
        list.split(',')
            .map(|f| label(f.trim()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(rest) = reason.strip_prefix("check ") {
        if let Some((code, detail)) = rest.split_once(" failed: ") {
            return match code {
                "totals_add_up" | "structured_totals_add_up" => {
                    format!("the total does not equal subtotal + VAT ({detail})")
                }
                "required_present" => match detail.strip_prefix("missing: ") {
                    Some(list) => format!("not found on the page: {}", labels(list)),
                    None => format!("a required value is missing ({detail})"),
                },
                "line_items_sum" | "lines_add_up" => format!(
                    "the line items read do not add up to an amount printed on the page ({detail})"
                ),
                "value_unreadable" => {
                    let field = detail
                        .strip_prefix("a ")
                        .and_then(|d| d.split_once(" label is on the page"))
                        .map(|(f, _)| label(f));
                    match field {
                        Some(f) => format!(
                            "the page prints a label for {f}, but the value beside it could not be read"
                        ),
                        None => format!("a value on the page could not be read ({detail})"),
                    }
                }
                "iban_checksum" => format!(
                    "the IBAN fails its check digits: a character is probably misread ({detail})"
                ),
                "vat_id_format" => {
                    format!("the VAT id does not have its country's format ({detail})")
                }
                "date_plausible" => {
                    format!("a date is too old or too far ahead to be right ({detail})")
                }
                "due_after_issue" => format!("the due date is before the invoice date ({detail})"),
                "duplicate_invoice" => {
                    format!("this looks like an invoice already received ({detail})")
                }
                "vendor_known" => format!("the vendor is not in the vendor book ({detail})"),
                "iban_on_file" => {
                    format!("the IBAN is not the one on file for this vendor ({detail})")
                }
                "usual_field_missing" => format!(
                    "a value came out empty that this vendor's approved invoices all had ({detail})"
                ),
                "read_twice" => {
                    format!("OCR read the print of a value two ways; look at the scan ({detail})")
                }
                "null_contradicted" => {
                    format!("a value came out empty, but the page seems to print it ({detail})")
                }
                "payment_qr_agrees" => {
                    format!("the payment QR code does not agree with the page ({detail})")
                }
                "markup_in_field" => {
                    format!("a value looks like a formula or markup, not text ({detail})")
                }
                "embedded_einvoice_refused" => {
                    format!("the e-invoice inside the PDF could not be used ({detail})")
                }
                _ => detail.to_string(),
            };
        }
    }
    if let Some((field, rest)) = reason.split_once(" confidence ") {
        if let Some((c, _)) = rest.split_once(" below ") {
            if let Ok(c) = c.parse::<f64>() {
                return format!(
                    "the value read for {} is doubtful (confidence {c:.2}); check it against the page",
                    label(field)
                );
            }
        }
    }
    if let Some(field) = reason.strip_suffix(" was derived, not read") {
        return format!(
            "{} was worked out from other fields, not read: check it",
            label(field)
        );
    }
    if let Some(rest) = reason.strip_prefix("document type is ") {
        if let Some(c) = rest.strip_prefix("unknown (") {
            return format!(
                "what kind of document this is could not be told (best guess only {}): choose its type",
                c.trim_end_matches(')')
            );
        }
        if let Some((t, c)) = rest.split_once(" is uncertain (") {
            return format!(
                "this may not be a {t} (only {} sure): confirm the type or choose another",
                c.split(')').next().unwrap_or("")
            );
        }
    }
    reason.to_string()
}

/// For a date read from digits whose day and month could be swapped (`07/03/2026`),
/// the two days it could be, the one read first.
pub(super) fn date_could_be(raw: &str, value: &str) -> Option<String> {
    let read = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()?;
    let parts: Vec<&str> = raw.trim().split(['.', '/', '-']).map(str::trim).collect();
    if parts.len() != 3
        || !parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let (a, b) = (parts[0].parse::<u32>().ok()?, parts[1].parse::<u32>().ok()?);
    if a == b || a > 12 || b > 12 {
        return None;
    }
    use chrono::Datelike;
    let other = read
        .with_day(read.month())
        .and_then(|d| d.with_month(read.day()))?;
    let say = |d: chrono::NaiveDate| d.format("%-d %B %Y").to_string();
    Some(format!(
        "this date could be {} or {} (read as the first)",
        say(read),
        say(other)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(axum::http::header::ACCEPT_LANGUAGE, v.parse().unwrap());
        h
    }

    #[test]
    fn the_language_is_the_browsers_first_known_one() {
        assert_eq!(language(&headers("da-DK,da;q=0.9,en;q=0.8")), "da");
        assert_eq!(language(&headers("fr-FR,de;q=0.5,en;q=0.7")), "en");
        assert_eq!(language(&headers("de-AT")), "de");
        assert_eq!(language(&headers("fr")), "en");
        assert_eq!(language(&HeaderMap::new()), "en");
    }

    #[test]
    fn reasons_say_what_is_wrong() {
        let label = |f: &str| field_label(None, f, "en");
        assert_eq!(
            plain_reason("customer_name confidence 0.742 below 0.9", &label),
            "the value read for Customer is doubtful (confidence 0.74); check it against the page"
        );
        assert_eq!(
            plain_reason(
                "check required_present failed: missing: date, currency, total",
                &label
            ),
            "not found on the page: Date, Currency, Total"
        );
        assert!(plain_reason(
            "check totals_add_up failed: subtotal + tax_amount = 1324.73, total = 1234.00",
            &label
        )
        .starts_with("the total does not equal subtotal + VAT"));
        assert_eq!(
            plain_reason("check value_unreadable failed: a tax_amount label is on the page but no value could be read beside or below it", &label),
            "the page prints a label for VAT, but the value beside it could not be read"
        );
        assert_eq!(plain_reason("something new", &label), "something new");
    }

    #[test]
    fn a_date_whose_day_and_month_could_swap_says_so() {
        assert_eq!(
            date_could_be("07/03/2026", "2026-03-07").as_deref(),
            Some("this date could be 7 March 2026 or 3 July 2026 (read as the first)")
        );
        assert_eq!(date_could_be("24.01.2025", "2025-01-24"), None);
        assert_eq!(date_could_be("14. marts 2024", "2024-03-14"), None);
    }

    #[test]
    fn labels_come_in_the_readers_language() {
        assert_eq!(field_label(None, "invoice_number", "da"), "Fakturanummer");
        assert_eq!(field_label(None, "due_date", "de"), "Fälligkeitsdatum");
        assert_eq!(field_label(None, "some_new_field", "da"), "Some new field");
    }
}
