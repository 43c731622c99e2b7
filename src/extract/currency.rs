//! The document's currency: printed with the total, else with another amount, else
//! the page's most printed one, else guessed from the labels' language; and what the
//! page's currency says about ambiguous dates and bare VAT numbers.

use crate::config::doctype::{FieldKind, FieldSpec};
use crate::config::DocType;
use crate::text::layout::Line;
use crate::values::{self, DateOrder};

use super::candidates::{joined, Candidate};

/// Currency codes/symbols on the pages, most frequent first.
pub(super) fn page_currency_votes(lines: &[Line]) -> Vec<(&'static str, usize)> {
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for w in lines.iter().flat_map(|l| &l.words) {
        let t = w
            .text
            .trim_matches(|c: char| c == ':' || c == ',' || c == ')' || c == '(');
        let code = values::currency_code(t).or_else(|| {
            // "£1,234.56", "1.234,56€": a symbol glued to the amount.
            let first = t.chars().next()?;
            let last = t.chars().last()?;
            values::currency_code(&first.to_string())
                .or_else(|| values::currency_code(&last.to_string()))
        });
        if let Some(code) = code {
            match counts.iter_mut().find(|(c, _)| *c == code) {
                Some(e) => e.1 += 1,
                None => counts.push((code, 1)),
            }
        }
    }
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    counts
}

/// The order of day and month in the page's dates: the page's own dates say it when
/// one can be read only one way; else dollars mean month first, anything else day first.
pub(super) fn date_order(lines: &[Line], page_currency: &[(&'static str, usize)]) -> DateOrder {
    let page_text: String = lines.iter().map(|l| joined(&l.words).0 + "\n").collect();
    values::order_shown(&page_text).unwrap_or(
        if page_currency.first().is_some_and(|(c, _)| *c == "USD") {
            DateOrder::Mdy
        } else {
            DateOrder::Dmy
        },
    )
}

/// The country of the first IBAN printed on the pages.
fn iban_country(lines: &[Line]) -> Option<String> {
    lines.iter().find_map(|l| {
        let f = values::find_iban(&joined(&l.words).0)?;
        Some(f.value[..2].to_string())
    })
}

/// The country a bare VAT number belongs to: the IBAN's country, else the currency's.
pub(super) fn default_vat_country(
    lines: &[Line],
    currency: &[(&'static str, usize)],
) -> Option<String> {
    if let Some(cc) = iban_country(lines) {
        return Some(cc);
    }
    match currency.first()?.0 {
        "DKK" => Some("DK".into()),
        "GBP" => Some("GB".into()),
        _ => None,
    }
}

/// Whose kroner a bare `kr`/`kr.` is: `values` reads it as DKK (the product is
/// Danish-first), but a page paid to a Norwegian or Swedish IBAN, or labelled in
/// Norwegian or Swedish, prints its own kroner so. `None`: nothing says otherwise.
fn kroner(lines: &[Line], language: Option<&str>) -> Option<(&'static str, String)> {
    let from_iban = iban_country(lines);
    let code = |country: &str| match country {
        "NO" => Some("NOK"),
        "SE" => Some("SEK"),
        _ => None,
    };
    match from_iban {
        Some(cc) => code(&cc).map(|c| (c, format!("the IBAN is {cc}'s"))),
        None => match language? {
            "nb" => Some(("NOK", "the labels are Norwegian".into())),
            "sv" => Some(("SEK", "the labels are Swedish".into())),
            _ => None,
        },
    }
}

/// True when `raw` prints kroner only as a bare `kr`/`kr.` (no `DKK`, `dkr`, `kroner`).
fn bare_kroner(raw: &str) -> bool {
    let lower = raw.to_lowercase();
    lower.split(|c: char| !c.is_alphabetic()).any(|w| w == "kr")
        && !lower.contains("dkk")
        && !lower.contains("dkr")
}

pub(super) fn currency_field(
    doctype: &DocType,
    chosen: &[Option<Candidate>],
    page_votes: &[(&'static str, usize)],
    lines: &[Line],
    language: Option<&str>,
) -> Option<Candidate> {
    // Money fields in type order, the required ones (the total) first.
    let mut money: Vec<(usize, &FieldSpec)> = doctype
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.kind == FieldKind::Money)
        .collect();
    money.sort_by_key(|(_, f)| !f.required);
    for (rank, (i, _)) in money.iter().enumerate() {
        if let Some(c) = &chosen[*i] {
            if let Some(code) = c.currency {
                let mut out = c.clone();
                out.value = code.to_string();
                out.score = c.score * if rank == 0 { 1.0 } else { 0.97 };
                if code == "DKK" && bare_kroner(&c.raw) {
                    if let Some((own, why)) = kroner(lines, language) {
                        out.value = own.to_string();
                        out.note = Some(format!("\"kr\" read as {own}: {why}"));
                    }
                }
                return Some(out);
            }
        }
    }
    let (code, n) = page_votes.first()?;
    let total: usize = page_votes.iter().map(|(_, n)| n).sum();
    let anchor = money.iter().find_map(|(i, _)| chosen[*i].as_ref())?;
    let mut out = anchor.clone();
    out.value = code.to_string();
    out.raw = code.to_string();
    // Printed on the page but not beside an amount we used.
    out.score = if *n == total { 0.9 } else { 0.6 };
    Some(out)
}

/// No currency printed anywhere (a Danish till receipt prints bare "99,95"): the
/// labels' language says where the document is from. Only a guess, so a person looks.
pub(super) fn currency_from_language(
    doctype: &DocType,
    chosen: &[Option<Candidate>],
    language: Option<&str>,
) -> Option<Candidate> {
    // The currency of the country where the language is mostly written: a guess,
    // below every threshold, for a page that prints no currency at all.
    let code = match language? {
        "da" => "DKK",
        "sv" => "SEK",
        "nb" => "NOK",
        "pl" => "PLN",
        "de" | "fi" | "nl" | "fr" | "it" | "es" => "EUR",
        _ => return None,
    };
    let anchor = doctype
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.kind == FieldKind::Money && f.required)
        .find_map(|(i, _)| chosen[i].as_ref())?;
    let mut out = anchor.clone();
    out.value = code.to_string();
    out.raw = String::new();
    out.score = 0.7;
    Some(out)
}
