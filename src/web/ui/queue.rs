//! The review queue: the list of documents waiting, its filters, and the next one to open.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{json, Value};

use super::auth::SignedIn;
use super::render::{api_err, render};
use super::words::{field_label, plain_reason, Lang};
use crate::store::review::DocumentFilter;
use crate::store::State as DocState;
use crate::web::blocking;
use crate::web::AppState;

const PAGE_SIZE: usize = 50;

fn filter_from(q: &HashMap<String, String>) -> DocumentFilter {
    let nonempty = |k: &str| {
        q.get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    DocumentFilter {
        state: Some(DocState::InReview),
        doc_type: nonempty("type"),
        vendor: nonempty("vendor"),
        reason: nonempty("reason"),
        ..Default::default()
    }
}

pub(super) fn query_string(q: &HashMap<String, String>, keys: &[&str]) -> String {
    let parts: Vec<String> = keys
        .iter()
        .filter_map(|k| {
            q.get(*k)
                .filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", urlencode(v)))
        })
        .collect();
    parts.join("&")
}

/// Everything but RFC 3986's unreserved characters is escaped, as a query value needs.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, QUERY_VALUE).to_string()
}

/// How many of a document's fields the decision names.
fn attention(doc: &Value) -> usize {
    let reasons: Vec<&str> = doc["decision"]["reasons"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    doc["fields"]
        .as_object()
        .map(|fields| {
            fields
                .keys()
                .filter(|name| reasons.iter().any(|r| r.contains(name.as_str())))
                .count()
        })
        .unwrap_or(0)
}

/// The reasons a document waits, in plain words (the pipeline's own in the title).
fn plain(cfg: &crate::config::Config, doc: &Value, reason: Option<&str>, lang: &str) -> String {
    let dt = doc["doc_type"]["value"]
        .as_str()
        .and_then(|t| cfg.doctype(t));
    let label = |f: &str| field_label(dt, f, lang);
    reason
        .unwrap_or("")
        .split("; ")
        .filter(|r| !r.is_empty())
        .map(|r| plain_reason(r, &label))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whom a document is from, for the queue's vendor column: the vendor, a receipt's
/// merchant, else the first party its type reads (a form's account holder, employee).
fn party(cfg: &crate::config::Config, doc: &Value) -> Value {
    let fields = &doc["fields"];
    let dt = doc["doc_type"]["value"]
        .as_str()
        .and_then(|t| cfg.doctype(t));
    crate::document::PARTY_FIELDS
        .iter()
        .copied()
        .find_map(|n| fields[n]["value"].as_str())
        .or_else(|| {
            dt?.fields
                .iter()
                .filter(|f| f.kind == crate::config::FieldKind::PartyName)
                .find_map(|f| fields[f.name.as_str()]["value"].as_str())
        })
        .map_or(Value::Null, |v| json!(v))
}

/// One document's row in a list (the queue, the search page): its typed document,
/// parsed once for `more`, and what every list shows (id, name, state, arrival,
/// type, whom it is from), with what `more` adds for that list.
pub(super) fn list_row(
    cfg: &crate::config::Config,
    r: &crate::store::DocumentRow,
    more: impl FnOnce(&Value) -> Value,
) -> Value {
    let doc: Value = r
        .result
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or(Value::Null);
    let mut row = json!({
        "id": r.id, "name": r.name, "state": r.state.as_str(), "received_at": r.received_at,
        "doc_type": doc["doc_type"]["value"], "party": party(cfg, &doc),
    });
    if let (Some(row), Value::Object(extra)) = (row.as_object_mut(), more(&doc)) {
        row.extend(extra);
    }
    row
}

pub(super) async fn queue(
    s: SignedIn,
    State(st): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    Lang(lang): Lang,
) -> Result<Response, Response> {
    let filter = filter_from(&q);
    let cfg = st.cfg.clone();
    let after: i64 = q.get("after").and_then(|v| v.parse().ok()).unwrap_or(0);
    let (rows, total, types, leases) = blocking(move || {
        let rows = st.store.find_documents(&filter, after, PAGE_SIZE)?;
        let (total, types) = st.store.review_counts()?;
        Ok((rows, total, types, st.store.leases()?))
    })
    .await
    .map_err(api_err)?;
    let me = &s.0.user.name;
    let items: Vec<Value> = rows
        .iter()
        .map(|r| {
            let leased_by = leases
                .iter()
                .find(|(d, by)| d == &r.id && by != me)
                .map(|(_, by)| by.clone());
            list_row(&cfg, r, |doc| {
                json!({
                    "reason": plain(&cfg, doc, r.reason.as_deref(), lang),
                    "reason_raw": r.reason, "attention": attention(doc), "leased_by": leased_by,
                })
            })
        })
        .collect();
    let filters = query_string(&q, &["type", "reason", "vendor"]);
    let more = (rows.len() == PAGE_SIZE).then(|| {
        let last = rows.last().map_or(0, |r| r.seq);
        if filters.is_empty() {
            format!("after={last}")
        } else {
            format!("{filters}&after={last}")
        }
    });
    Ok(render(
        "queue.html",
        json!({
            "user": s.0.user, "csrf": s.0.csrf, "items": items, "total": total,
            "type_counts": types.iter().map(|(t, n)| json!([t, n, format!("type={}", urlencode(t))])).collect::<Vec<_>>(),
            "filter": {"type": q.get("type"), "reason": q.get("reason"), "vendor": q.get("vendor")},
            "filter_query": if filters.is_empty() { String::new() } else { format!("?{filters}") },
            "more": more,
            "max_upload_bytes": cfg.limits.max_file_bytes,
            "max_upload_mb": cfg.limits.max_file_bytes / (1024 * 1024),
        }),
    ))
}

/// The oldest document in review (after `after`, wrapping around) that nobody else
/// holds.
pub(super) async fn next(
    s: SignedIn,
    State(st): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, Response> {
    let filter = filter_from(&q);
    let after: i64 = q.get("after").and_then(|v| v.parse().ok()).unwrap_or(0);
    let me = s.0.user.name.clone();
    // Just approved: the confirmation with its undo goes on to the next page.
    let posted = q.get("posted").cloned();
    let undo = match posted.clone() {
        Some(p) => {
            let st = st.clone();
            blocking(move || undo_offer(&st, &p))
                .await
                .map_err(api_err)?
        }
        None => Value::Null,
    };
    let found = blocking(move || {
        let held: Vec<String> = st
            .store
            .leases()?
            .into_iter()
            .filter(|(_, by)| *by != me)
            .map(|(d, _)| d)
            .collect();
        for start in [after, 0] {
            let mut cursor = start;
            loop {
                let rows = st.store.find_documents(&filter, cursor, 200)?;
                if let Some(r) = rows.iter().find(|r| !held.contains(&r.id)) {
                    return Ok(Some(r.id.clone()));
                }
                match rows.last() {
                    Some(r) if rows.len() == 200 => cursor = r.seq,
                    _ => break,
                }
            }
        }
        Ok(None)
    })
    .await
    .map_err(api_err)?;
    Ok(match (found, posted) {
        (Some(id), Some(p)) if !undo.is_null() => {
            Redirect::to(&format!("/documents/{id}?posted={}", urlencode(&p))).into_response()
        }
        (Some(id), _) => Redirect::to(&format!("/documents/{id}")).into_response(),
        (None, _) => render(
            "message.html",
            json!({"user": s.0.user, "csrf": s.0.csrf, "title": "All done",
                   "text": "Nothing else waits for review.", "undo": undo}),
        ),
    })
}

/// "Posted — undo" for a document just approved, while its window is open: its id,
/// name and the milliseconds left (`null` when it cannot be undone any more).
pub(super) fn undo_offer(st: &AppState, id: &str) -> Result<Value, crate::web::ApiError> {
    let Some(until) = st.store.undo_until(id)? else {
        return Ok(Value::Null);
    };
    let row = st.store.get(id)?;
    let left = until - crate::store::outbox::now_ms();
    Ok(json!({"id": row.id, "name": row.name, "left_ms": left}))
}

#[cfg(test)]
pub(crate) mod tests_support {
    pub fn urlencode(s: &str) -> String {
        super::urlencode(s)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_values_escape_all_but_the_unreserved_characters() {
        // As the hand-written encoder did: UTF-8 bytes, upper-case hex, space as %20.
        assert_eq!(
            super::urlencode("Ørsted A/S & co-op_1.5~x"),
            "%C3%98rsted%20A%2FS%20%26%20co-op_1.5~x"
        );
    }
}
