//! What a person types, read strictly before it reaches the pipeline's parsers.
//!
//! The pipeline normalises a correction with the parsers that read pages, which are
//! forgiving on purpose (`24.675` is 24675, `2O.5O` is 20.50). A typed amount is read
//! with [`values::parse_typed_money`] first: an ambiguous `24.675` or letters where
//! digits belong are refused with a message saying how to type it, so a typo never
//! posts an amount 1,000× too large. Every door a correction comes in by (the review
//! page's live check and approval, the API's corrections) goes through
//! [`strict_refusals`]. A value left as it was (the stored, normalised value) is not
//! read again: it was never typed.

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
    if spec.kind != FieldKind::Money || t.is_empty() || stored == Some(t) {
        return None;
    }
    values::parse_typed_money(t).err().map(|e| e.to_string())
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
