//! What a person types, read strictly before it reaches the pipeline's parsers.
//!
//! The pipeline normalises a correction with the parsers that read pages, which are
//! forgiving on purpose (`24.675` is 24675, `2O.5O` is 20.50). A typed amount is read
//! with [`values::parse_typed_money`] first: an ambiguous `24.675` or letters where
//! digits belong are refused with a message saying how to type it, so a typo never
//! posts an amount 1,000× too large. Every door a correction comes in by (the review
//! page's live check and approval, the API's corrections) goes through
//! [`strict_refusals`]. A value left as it was (the stored, normalised value) is not
//! read again: it was never typed. Numbers (hours, quantities) are read the same way
//! ([`typed_number`]).

use serde_json::{json, Value};

use crate::config::{DocType, FieldKind};
use crate::document::TypedDocument;
use crate::values;

/// The edits a strict reading refuses, with why (field, message).
pub(crate) fn strict_refusals(
    doc: &TypedDocument,
    dt: &DocType,
    edits: &[(String, String)],
) -> Vec<(String, String)> {
    edits
        .iter()
        .filter_map(|(name, text)| strict_error(doc, dt, name, text).map(|e| (name.clone(), e)))
        .collect()
}

fn strict_error(doc: &TypedDocument, dt: &DocType, name: &str, text: &str) -> Option<String> {
    let spec = dt.fields.iter().find(|f| f.name == name)?;
    let t = text.trim();
    let stored = doc.fields.get(name).map(|f| f.value.as_str());
    if t.is_empty() || stored == Some(t) {
        return None;
    }
    match spec.kind {
        FieldKind::Money => values::parse_typed_money(t).err().map(|e| e.to_string()),
        FieldKind::Number => typed_number(t, false).err(),
        FieldKind::Integer => typed_number(t, true).err(),
        _ => None,
    }
}

/// A number a person typed (hours, a quantity), read as strictly as an amount: a
/// single `.` or `,` before exactly three digits (`37.125`, `1,500`) reads two ways
/// and is refused with how to type either; letters that look like digits (`3O`) are
/// pointed out, never made digits; a currency does not belong. Four or more decimals
/// after a single separator (`0.1250`) read one way. What passes reads the same to the
/// pipeline's forgiving parser ([`values::find_number`]), which makes the posted value.
pub(crate) fn typed_number(t: &str, integer: bool) -> Result<rust_decimal::Decimal, String> {
    let what = if integer {
        "a whole number (like 160)"
    } else {
        "a number (like 37.5 or 37,5)"
    };
    // `12.3456`: more decimals than an amount has, and no thousands group.
    if let Some((int, frac)) = t.split_once(['.', ',']) {
        let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        let int = int.strip_prefix('-').unwrap_or(int);
        if digits(int) && digits(frac) && frac.len() >= 4 && !integer {
            return t
                .replace(',', ".")
                .parse()
                .map_err(|_| format!("{t:?} is not {what}"));
        }
    }
    let n = match values::parse_typed_money(t) {
        Ok(m) if m.currency.is_some() => {
            return Err(format!(
                "{t:?} is {what}, not an amount: leave out the currency"
            ))
        }
        Ok(m) => m.amount,
        Err(values::TypedMoneyError::Ambiguous {
            thousands, decimal, ..
        }) => {
            let thousands = thousands.normalize();
            let one_way = if integer {
                format!("type {thousands} if you mean that")
            } else {
                format!(
                    "type {thousands} (no separator) for the first, or {}0 for the second",
                    t.trim()
                )
            };
            return Err(format!(
                "{t:?} could be {thousands} or {}: {one_way}",
                decimal.normalize()
            ));
        }
        Err(e @ values::TypedMoneyError::LooksLikeDigits { .. }) => return Err(e.to_string()),
        Err(values::TypedMoneyError::NotAnAmount { .. }) => {
            return Err(format!("{t:?} is not {what}"))
        }
    };
    if integer && !n.fract().is_zero() {
        return Err(format!("{t:?} is not {what}"));
    }
    Ok(n)
}

/// The cells of a line item, in the order the grid shows them.
pub(crate) const ITEM_CELLS: [&str; 5] = [
    "description",
    "quantity",
    "unit_price",
    "amount",
    "vat_rate",
];

/// The line items a person left in the review page's grid, or a system sent to the
/// API's corrections (a JSON array of rows, each `{description, quantity, unit_price,
/// amount, vat_rate}` as typed: strings, numbers or null), read strictly: every number
/// cell as [`typed_number`] reads it (a VAT rate may end in `%`), except a cell left as
/// it was stored for that row. Rows
/// with every cell empty are dropped; a row that is not an object, a cell of another
/// name or a cell that is neither text nor a number is refused, never skipped. Errors
/// name the cell (`line_items.2.amount`).
pub(crate) fn typed_items(
    doc: &TypedDocument,
    rows: &Value,
) -> Result<Vec<crate::pipeline::ItemCorrection>, Vec<(String, String)>> {
    let Some(rows) = rows.as_array() else {
        return Err(vec![(
            "line_items".into(),
            "the line items are a list of rows".into(),
        )]);
    };
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let Some(cells) = row.as_object() else {
            errors.push((
                format!("line_items.{i}"),
                format!("a row is an object with {}", ITEM_CELLS.join(", ")),
            ));
            continue;
        };
        for (k, v) in cells {
            if !ITEM_CELLS.contains(&k.as_str()) {
                errors.push((
                    format!("line_items.{i}.{k}"),
                    format!("no such cell (a row has {})", ITEM_CELLS.join(", ")),
                ));
            } else if !matches!(v, Value::String(_) | Value::Number(_) | Value::Null) {
                errors.push((
                    format!("line_items.{i}.{k}"),
                    "a cell is text, a number or null".into(),
                ));
            }
        }
        let cell = |k: &str| match &row[k] {
            // "25 %" as a rate is 25.
            Value::String(s) if k == "vat_rate" => {
                s.trim().trim_end_matches('%').trim_end().to_string()
            }
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            _ => String::new(),
        };
        let stored = doc.line_items.get(i);
        let description = cell("description");
        let mut number = |k: &str, was: Option<&str>| {
            let t = cell(k);
            if t.is_empty() {
                return None;
            }
            let read = if was == Some(t.as_str()) {
                t.parse().map_err(|_| format!("{t:?} is not a number"))
            } else {
                typed_number(&t, false)
            };
            read.map_err(|e| errors.push((format!("line_items.{i}.{k}"), e)))
                .ok()
        };
        let quantity = number("quantity", stored.and_then(|s| s.quantity.as_deref()));
        let unit_price = number("unit_price", stored.and_then(|s| s.unit_price.as_deref()));
        let amount = number("amount", stored.and_then(|s| s.amount.as_deref()));
        let vat_rate = number("vat_rate", stored.and_then(|s| s.vat_rate.as_deref()));
        if ITEM_CELLS.iter().any(|k| !cell(k).is_empty()) {
            out.push(crate::pipeline::ItemCorrection {
                description,
                quantity,
                unit_price,
                amount,
                vat_rate,
            });
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Line items as a person sent them (`rows`, as [`typed_items`] reads them) applied
/// to `doc`, a document in review whose fields are already corrected: the rows read
/// strictly, then [`crate::pipeline::apply_item_corrections`] (`line_items_sum`
/// judged again against the corrected totals, the document routed again). The review
/// page's live check and approval and the API's corrections all come in here.
pub(crate) fn apply_typed_items(
    doc: &TypedDocument,
    dt: &DocType,
    rows: &Value,
    actor: &str,
    now: crate::document::input::Now,
) -> Result<crate::pipeline::Corrected, Vec<(String, String)>> {
    typed_items(doc, rows)
        .and_then(|rows| crate::pipeline::apply_item_corrections(doc, dt, &rows, actor, now))
}

/// The value a typed text will post, as the reviewer reads it: an amount grouped with
/// its currency (`24 675,00 DKK`), a date as `2026-03-07`, other values normalised.
/// `currency` is the document's currency (as typed on the page, or as read).
pub(crate) fn preview(dt: &DocType, name: &str, normalised: &str, currency: Option<&str>) -> Value {
    let Some(spec) = dt.fields.iter().find(|f| f.name == name) else {
        return Value::Null;
    };
    let shown = match spec.kind {
        FieldKind::Money => match normalised.parse::<rust_decimal::Decimal>() {
            Ok(a) => {
                let amount = values::display_amount(a, ' ', ',');
                match currency.and_then(values::currency_code) {
                    Some(c) => format!("{amount} {c}"),
                    None => amount,
                }
            }
            Err(_) => normalised.to_string(),
        },
        _ => normalised.to_string(),
    };
    json!(shown)
}

#[cfg(test)]
mod tests {
    use super::typed_number;

    fn ok(t: &str, integer: bool) -> String {
        typed_number(t, integer)
            .map(|d| d.normalize().to_string())
            .unwrap_or_else(|e| panic!("{t}: {e}"))
    }

    #[test]
    fn a_typed_number_reads_one_way_or_is_refused() {
        assert_eq!(ok("37,5", false), "37.5");
        assert_eq!(ok("37.50", false), "37.5");
        assert_eq!(ok("160", true), "160");
        assert_eq!(ok("1.234,5", false), "1234.5");
        assert_eq!(ok("1 234", true), "1234");
        assert_eq!(ok("0,1250", false), "0.125");
        assert_eq!(ok("-2,5", false), "-2.5");
        for (t, integer, says) in [
            ("37.125", false, "could be 37125 or 37.125"),
            ("1,500", true, "could be 1500 or 1.5"),
            ("3O", false, "did you mean \"30\""),
            ("37,5 kr", false, "leave out the currency"),
            ("7,5", true, "is not a whole number"),
            ("abc", false, "is not a number"),
            ("0,1250", true, "is not a whole number"),
        ] {
            let e = typed_number(t, integer).unwrap_err();
            assert!(e.contains(says), "{t}: {e}");
        }
    }
}
