//! Search and browse every document (posted, in review, rejected, quarantined…): a
//! keyboard-first list with the API's filters (`web::search`), newest first. `/`
//! puts the cursor in the text box, the arrow keys (or j/k) move through the results,
//! Enter opens one.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::auth::SignedIn;
use super::queue::{list_row, query_string};
use super::render::{api_err, render};
use crate::web::search::{document_date, Search, FILTERS};
use crate::web::{blocking, AppState};

const PAGE_SIZE: usize = 50;

/// The states a document can be in, as the state filter offers them.
const STATES: &[&str] = &[
    "posted",
    "auto_posted",
    "in_review",
    "rejected",
    "quarantined",
    "duplicate",
    "received",
    "processing",
    "unpacked",
];

/// The number a clerk knows a document by: an invoice's number, else the first
/// identifier its type reads.
fn number(cfg: &crate::config::Config, doc: &Value) -> Value {
    let fields = &doc["fields"];
    if let Some(n) = fields["invoice_number"]["value"].as_str() {
        return json!(n);
    }
    doc["doc_type"]["value"]
        .as_str()
        .and_then(|t| cfg.doctype(t))
        .and_then(|dt| {
            dt.fields
                .iter()
                .filter(|f| f.kind == crate::config::FieldKind::Identifier)
                .find_map(|f| fields[f.name.as_str()]["value"].as_str())
        })
        .map_or(Value::Null, |n| json!(n))
}

/// A total as the review page shows amounts: `24 675,00 DKK`.
fn amount(doc: &Value) -> Value {
    let fields = &doc["fields"];
    let Some(total) = fields["total"]["value"]
        .as_str()
        .and_then(|t| t.parse::<rust_decimal::Decimal>().ok())
    else {
        return Value::Null;
    };
    let shown = crate::values::display_amount(total, ' ', ',');
    match fields["currency"]["value"].as_str() {
        Some(c) => json!(format!("{shown} {c}")),
        None => json!(shown),
    }
}

/// A document's row as the search lists it: what every list shows, and its number,
/// date and total.
pub(super) fn search_row(cfg: &crate::config::Config, r: &crate::store::DocumentRow) -> Value {
    list_row(cfg, r, |doc| {
        json!({
            "number": number(cfg, doc), "date": document_date(cfg, doc), "total": amount(doc),
        })
    })
}

/// Up to `most` other documents from the supplier (or merchant) `party`, newest first:
/// beside a document in review, what was posted or rejected from the same sender.
pub(super) fn from_the_same(
    st: &AppState,
    party: &str,
    except: &str,
    most: usize,
) -> Result<Vec<Value>, crate::web::ApiError> {
    let scan = crate::store::search::Scan {
        filter: crate::store::review::DocumentFilter {
            vendor: Some(party.to_lowercase()),
            ..Default::default()
        },
        newest_first: true,
        ..Default::default()
    };
    let rows = st.store.scan_documents(&scan, None, most + 1)?;
    Ok(rows
        .iter()
        .filter(|r| r.id != except)
        .take(most)
        .map(|r| search_row(&st.cfg, r))
        .collect())
}

pub(super) async fn search_page(
    s: SignedIn,
    State(st): State<AppState>,
    Query(mut q): Query<HashMap<String, String>>,
) -> Result<Response, Response> {
    // People look for what came lately first.
    q.entry("order".into()).or_insert_with(|| "newest".into());
    let after: i64 = q.get("cursor").and_then(|v| v.parse().ok()).unwrap_or(0);
    let cfg = st.cfg.clone();
    let (found, error) = match Search::from_query(&q) {
        Ok(search) => {
            let found = blocking(move || Ok(search.run(&st.store, &st.cfg, after, PAGE_SIZE)?))
                .await
                .map_err(api_err)?;
            (Some(found), None)
        }
        Err(e) => (None, Some(e)),
    };
    let items: Vec<Value> = found
        .as_ref()
        .map(|f| f.rows.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|r| search_row(&cfg, r))
        .collect();
    let keys: Vec<&str> = FILTERS
        .iter()
        .copied()
        .filter(|k| !["cursor", "limit"].contains(k))
        .collect();
    let filters = query_string(&q, &keys);
    let more = found
        .as_ref()
        .filter(|f| f.has_more)
        .map(|f| format!("{filters}&cursor={}", f.next));
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    let mut r = render(
        "search.html",
        json!({
            "user": s.0.user, "csrf": s.0.csrf, "items": items, "error": error,
            "more": more, "first_page": after == 0, "first": format!("/search?{filters}"),
            "filter": {"q": get("q"), "type": get("type"), "state": get("state"),
                       "date_from": get("date_from"), "date_to": get("date_to"),
                       "amount_min": get("amount_min"), "amount_max": get("amount_max"),
                       "vendor": get("vendor")},
            "types": cfg.doctypes.iter().map(|d| d.name.clone()).collect::<Vec<_>>(),
            "states": STATES,
        }),
    );
    if error.is_some() {
        *r.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(r)
}
