//! `/api/v1`: documents, their originals, corrections and decisions, deliveries, and
//! a changes feed. JSON in and out; errors are `{"error": {"code", "message"}}` with
//! a stable `code`. Every route needs a bearer token (`mailroom token create`);
//! `read` tokens may only read.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::{header, request::Parts, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, MethodRouter};
use axum::Json;
use serde_json::{json, Value};

use super::search::Search;
use super::{blocking, original_response, page_png, png_response, reviewable, ApiError, AppState};
use crate::store::tokens::{Scope, Token};
use crate::store::{DocumentRow, State as DocState};

/// The OpenAPI 3 description, kept in the repository and served as is.
pub const OPENAPI: &str = include_str!("../../docs/openapi.json");

/// Every route: method, path (OpenAPI syntax), handler. The router is built from
/// this table and a test holds it against `docs/openapi.json`.
pub fn routes() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    vec![
        (Method::GET, "/api/v1/openapi.json", get(openapi)),
        (Method::GET, "/api/v1/documents", get(list_documents)),
        (Method::POST, "/api/v1/documents", post(upload_document)),
        (Method::GET, "/api/v1/documents/{id}", get(get_document)),
        (
            Method::GET,
            "/api/v1/documents/{id}/original",
            get(original),
        ),
        (
            Method::GET,
            "/api/v1/documents/{id}/pages/{n}",
            get(page_image),
        ),
        (
            Method::POST,
            "/api/v1/documents/{id}/corrections",
            post(correct),
        ),
        (
            Method::POST,
            "/api/v1/documents/{id}/approve",
            post(approve),
        ),
        (Method::POST, "/api/v1/documents/{id}/reject", post(reject)),
        (Method::GET, "/api/v1/events", get(events)),
        (Method::GET, "/api/v1/deliveries", get(list_deliveries)),
        (
            Method::POST,
            "/api/v1/deliveries/{id}/retry",
            post(retry_delivery),
        ),
        (Method::GET, "/api/v1/metrics", get(metrics)),
        (Method::GET, "/metrics", get(super::metrics::scrape)),
        (Method::GET, "/api/v1/vendors", get(list_vendors)),
        (Method::POST, "/api/v1/vendors", post(import_vendors)),
        (Method::GET, "/api/v1/vendors/{id}", get(get_vendor)),
        (
            Method::DELETE,
            "/api/v1/vendors/{id}",
            delete(remove_vendor),
        ),
        (
            Method::DELETE,
            "/api/v1/vendors/{id}/learned",
            delete(reset_vendor),
        ),
    ]
}

/// The Prometheus metrics with an API token (read scope), as every API route; the
/// same body as `/metrics` ([`super::metrics`]), which Prometheus scrapes without one.
async fn metrics(_auth: Auth, State(st): State<AppState>) -> Result<Response, ApiError> {
    super::metrics::exposition(st).await
}

fn vendor_id(id: &str) -> Result<i64, ApiError> {
    id.parse().map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no vendor {id}"),
        )
    })
}

fn no_vendor(id: i64) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no vendor {id}"),
    )
}

async fn list_vendors(_auth: Auth, State(st): State<AppState>) -> Result<Json<Value>, ApiError> {
    let list = blocking(move || Ok(st.store.vendors()?)).await?;
    Ok(Json(json!({ "vendors": list })))
}

async fn get_vendor(
    _auth: Auth,
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = vendor_id(&id)?;
    let v = blocking(move || st.store.vendor(id)?.ok_or_else(|| no_vendor(id))).await?;
    Ok(Json(json!(v)))
}

/// Master data as the CSV `mailroom vendors import` reads; all or nothing.
async fn import_vendors(
    auth: Auth,
    State(st): State<AppState>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    auth.require(Scope::Write)?;
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::bad_request("the body is a UTF-8 CSV file"))?;
    let list = crate::vendor::import::parse(&text).map_err(|errors| ApiError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: "invalid_vendors",
        message: "some lines were refused; nothing was imported".into(),
        details: Some(json!(errors)),
    })?;
    let done = blocking(move || Ok(st.store.import_vendors(&list)?)).await?;
    Ok(Json(json!(done)))
}

async fn remove_vendor(
    auth: Auth,
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    auth.require(Scope::Write)?;
    let id = vendor_id(&id)?;
    match blocking(move || Ok(st.store.delete_vendor(id)?)).await? {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(no_vendor(id)),
    }
}

/// Forget what approvals taught about a vendor; the record stays.
async fn reset_vendor(
    auth: Auth,
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    auth.require(Scope::Write)?;
    let id = vendor_id(&id)?;
    let v = blocking(move || {
        if !st.store.reset_learning(id)? {
            return Err(no_vendor(id));
        }
        st.store.vendor(id)?.ok_or_else(|| no_vendor(id))
    })
    .await?;
    Ok(Json(json!(v)))
}

/// The caller, from `Authorization: Bearer <token>`.
pub struct Auth(pub Token);

impl Auth {
    fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.0.scope >= scope {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                format!(
                    "token {:?} has scope {}; this needs {}",
                    self.0.name,
                    self.0.scope.as_str(),
                    scope.as_str()
                ),
            ))
        }
    }
    fn actor(&self) -> String {
        format!("api:{}", self.0.name)
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Auth, ApiError> {
        authenticate(&parts.headers, state).await
    }
}

/// The API token `headers` carry as `Authorization: Bearer <token>`, if it is known and
/// not revoked.
pub(super) async fn authenticate(
    headers: &axum::http::HeaderMap,
    state: &AppState,
) -> Result<Auth, ApiError> {
    let secret = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|s| s.trim().to_string())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a bearer token is required",
            )
        })?;
    let store = state.store.clone();
    let token = blocking(move || Ok(store.authenticate(&secret)?)).await?;
    token.map(Auth).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "unknown or revoked token",
        )
    })
}

/// The API's description is public: a client reads it before it has a token.
async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

const MAX_LIMIT: usize = 500;

fn limit(q: &HashMap<String, String>, default: usize) -> Result<usize, ApiError> {
    match q.get("limit") {
        None => Ok(default),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(ApiError::bad_request(format!(
                "limit must be 1..={MAX_LIMIT}"
            ))),
        },
    }
}

fn cursor(q: &HashMap<String, String>, key: &str) -> Result<i64, ApiError> {
    match q.get(key) {
        None => Ok(0),
        Some(v) => v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            ApiError::bad_request(format!("{key} must be a cursor this API returned"))
        }),
    }
}

fn document_json(row: &DocumentRow) -> Option<Value> {
    row.result
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok())
}

fn summary(row: &DocumentRow) -> Value {
    let doc = document_json(row);
    let field = |path: &[&str]| {
        let mut v = doc.as_ref()?;
        for p in path {
            v = v.get(p)?;
        }
        v.as_str().map(String::from)
    };
    json!({
        "id": row.id,
        "name": row.name,
        "state": row.state.as_str(),
        "reason": row.reason,
        "doc_type": field(&["doc_type", "value"]),
        "vendor_name": field(&["fields", "vendor_name", "value"]),
        "invoice_number": field(&["fields", "invoice_number", "value"]),
        "total": field(&["fields", "total", "value"]),
        "currency": field(&["fields", "currency", "value"]),
        "received_at": row.received_at,
        "posted_at": row.posted_at,
        "duplicate_of": row.duplicate_of,
        "parent_id": row.parent_id,
    })
}

/// Another document of the same container, as a link: id, name and state.
fn link(row: &DocumentRow) -> Value {
    json!({"id": row.id, "name": row.name, "state": row.state.as_str()})
}

/// Every document, in any state, with the filters of [`super::search`]: text in any
/// field, type, state, the document's date and total, when it arrived and was posted.
async fn list_documents(
    auth: Auth,
    State(st): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    auth.require(Scope::Read)?;
    let search = Search::from_query(&q).map_err(ApiError::bad_request)?;
    let (after, limit) = (cursor(&q, "cursor")?, limit(&q, 50)?);
    let found = blocking(move || Ok(search.run(&st.store, &st.cfg, after, limit)?)).await?;
    Ok(Json(json!({
        "items": found.rows.iter().map(summary).collect::<Vec<_>>(),
        "next_cursor": found.next.to_string(),
        "has_more": found.has_more,
    })))
}

/// A file for the inbox's intake (`?name=`, the bytes as the body): the document it
/// became, `received` (read by the workers next) or a `duplicate` of the document with
/// the same bytes. Write scope; at most `limits.max_file_mb`.
async fn upload_document(
    auth: Auth,
    State(st): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    headers: axum::http::HeaderMap,
    mut body: axum::body::Body,
) -> Result<Response, ApiError> {
    let name = auth.require(Scope::Write).and_then(|()| {
        if let Some(k) = q.keys().find(|k| k.as_str() != "name") {
            return Err(ApiError::bad_request(format!(
                "unknown parameter {k:?} (an upload takes only name)"
            )));
        }
        super::upload::upload_name(q.get("name").map(String::as_str))
    });
    let name = match name {
        Ok(n) => n,
        Err(e) => {
            // Refused before a byte is stored; read the rest so the client hears why.
            super::upload::discard(&mut body).await;
            return Err(e);
        }
    };
    let ingested = super::upload::take_upload(&st, name, &headers, body, &auth.actor()).await?;
    let id = ingested.id().to_string();
    let v = blocking(move || detail(&st, &id)).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

fn detail(st: &AppState, id: &str) -> Result<Value, ApiError> {
    let row = st.store.get(id)?;
    let mut v = summary(&row);
    v["sha256"] = json!(row.sha256);
    v["size"] = json!(row.size);
    v["document"] = document_json(&row).unwrap_or(Value::Null);
    v["history"] = json!(st.store.transitions(id)?);
    v["deliveries"] = json!(st.store.deliveries_of(id)?);
    v["corrections"] = json!(st.store.corrections(id)?);
    v["pages"] = json!(st.store.pages(id)?);
    // Where it came from, as the ledger recorded it at intake: there before the
    // document is read, and for documents never read (quarantined, duplicates).
    v["source"] = json!(crate::document::SourceMeta::from_ledger(
        row.source_meta.as_deref()
    ));
    // An email's documents; a document from an email, the others from that email.
    v["children"] = json!(st.store.children(id)?.iter().map(link).collect::<Vec<_>>());
    v["siblings"] = match &row.parent_id {
        Some(parent) => json!(st
            .store
            .children(parent)?
            .iter()
            .filter(|r| r.id != row.id)
            .map(link)
            .collect::<Vec<_>>()),
        None => json!([]),
    };
    Ok(v)
}

async fn get_document(
    auth: Auth,
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    auth.require(Scope::Read)?;
    Ok(Json(blocking(move || detail(&st, &id)).await?))
}

async fn original(
    auth: Auth,
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    auth.require(Scope::Read)?;
    original_response(st, id).await
}

/// A page as OCR read it (upright, deskewed, about 300 dpi), as PNG: the image the
/// fields' boxes refer to.
async fn page_image(
    auth: Auth,
    State(st): State<AppState>,
    Path((id, n)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    auth.require(Scope::Read)?;
    // Parsed here, so that "abc" gets the JSON error every other answer has.
    let n: u32 = n
        .parse()
        .map_err(|_| ApiError::bad_request(format!("page {n:?} is not a page number (1, 2, …)")))?;
    let png = blocking(move || page_png(&st, &id, n)).await?;
    Ok(png_response(png))
}

fn body_json(body: &Bytes) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("body is not JSON: {e}")))
}

/// Corrections to a document in review: `fields` (name → value as typed) and/or
/// `line_items` (the rows, as the review page's grid sends them), all or nothing. The
/// fields are applied first, so the rows are judged (`line_items_sum`) against the
/// corrected totals, exactly as the review page does.
async fn correct(
    auth: Auth,
    State(st): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    auth.require(Scope::Write)?;
    let body = body_json(&body)?;
    let usage = "expected {\"fields\": {\"name\": \"value\", …}} (null or \"\" clears a field) \
                 and/or {\"line_items\": [{\"description\", \"quantity\", \"unit_price\", \"amount\"}, …]}";
    let Some(obj) = body.as_object() else {
        return Err(ApiError::bad_request(usage));
    };
    if let Some(k) = obj
        .keys()
        .find(|k| !["fields", "line_items"].contains(&k.as_str()))
    {
        return Err(ApiError::bad_request(format!("unknown key {k:?}: {usage}")));
    }
    let fields = match obj.get("fields") {
        None => None,
        Some(f) => Some(f.as_object().ok_or_else(|| ApiError::bad_request(usage))?),
    };
    let items = obj.get("line_items").cloned();
    if fields.is_none() && items.is_none() {
        return Err(ApiError::bad_request(usage));
    }
    let mut edits = Vec::new();
    for (name, v) in fields.into_iter().flatten() {
        let text = match v {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return Err(ApiError::bad_request(format!("{name}: values are strings"))),
        };
        edits.push((name.clone(), text));
    }
    let actor = auth.actor();
    let v = blocking(move || {
        let (doc, dt) = reviewable(&st, &id)?;
        let today = crate::document::input::Now::current();
        // A typed amount that reads two ways (`1.234`) is refused, not guessed.
        let refused = crate::web::typed::strict_refusals(&doc, &dt, &edits);
        let corrected = if refused.is_empty() {
            crate::pipeline::apply_corrections(&doc, &dt, &edits, &actor, today)
        } else {
            Err(refused)
        };
        // The rows, read as strictly as the fields and judged against the corrected
        // totals; refused cells are reported with the refused fields.
        let corrected = match (corrected, &items) {
            (Ok((fixed, mut changes)), Some(rows)) => crate::web::typed::apply_typed_items(
                &fixed, &dt, rows, &actor, today,
            )
            .map(|(fixed, more)| {
                changes.extend(more);
                (fixed, changes)
            }),
            (Err(mut errs), Some(rows)) => {
                if let Err(more) =
                    crate::web::typed::apply_typed_items(&doc, &dt, rows, &actor, today)
                {
                    errs.extend(more);
                }
                Err(errs)
            }
            (corrected, None) => corrected,
        };
        let (fixed, changes) = corrected.map_err(|errs| {
            let details: serde_json::Map<String, Value> = errs
                .into_iter()
                .map(|(f, m)| (f, Value::String(m)))
                .collect();
            ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid_value",
                message: "some values were refused; nothing was changed".into(),
                details: Some(Value::Object(details)),
            }
        })?;
        if !changes.is_empty() {
            let json =
                serde_json::to_string(&fixed).map_err(|e| ApiError::bad_request(e.to_string()))?;
            st.store.correct(&id, &json, &changes)?;
        }
        detail(&st, &id)
    })
    .await?;
    Ok(Json(v))
}

async fn approve(
    auth: Auth,
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    auth.require(Scope::Write)?;
    let actor = auth.actor();
    let on_deliveries = st.on_deliveries.clone();
    let v = blocking(move || {
        let (mut doc, _) = reviewable(&st, &id)?;
        crate::pipeline::confirm_type(&mut doc, &actor);
        let failed: Vec<String> = doc
            .checks
            .iter()
            .filter(|c| c.blocks_approval())
            .map(|c| format!("{}: {}", c.code, c.message))
            .collect();
        if !failed.is_empty() {
            return Err(ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "checks_failed",
                message: "correct the document until its checks pass, or reject it".into(),
                details: Some(json!(failed)),
            });
        }
        let payload =
            serde_json::to_string(&doc).map_err(|e| ApiError::bad_request(e.to_string()))?;
        // A system approving has no undo: its deliveries go at once.
        super::post_reviewed(&st, &id, &payload, &actor, std::time::Duration::ZERO)?;
        detail(&st, &id)
    })
    .await?;
    on_deliveries();
    Ok(Json(v))
}

async fn reject(
    auth: Auth,
    State(st): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    auth.require(Scope::Write)?;
    let body = body_json(&body)?;
    let reason = body
        .get("reason")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| ApiError::bad_request("a rejection needs {\"reason\": \"…\"}"))?
        .to_string();
    let actor = auth.actor();
    let v = blocking(move || {
        st.store.decide(
            &id,
            DocState::Rejected,
            &format!("rejected by {actor}: {reason}"),
            &actor,
            None,
        )?;
        detail(&st, &id)
    })
    .await?;
    Ok(Json(v))
}

/// The events a feed entry can be, and the states that raise them.
const FEED_EVENTS: &[(&str, &[DocState])] = &[
    ("document.posted", &[DocState::AutoPosted, DocState::Posted]),
    ("document.needs_review", &[DocState::InReview]),
    ("document.quarantined", &[DocState::Quarantined]),
    ("document.rejected", &[DocState::Rejected]),
];

async fn events(
    auth: Auth,
    State(st): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    auth.require(Scope::Read)?;
    let wanted = q.get("events").map_or("document.posted", String::as_str);
    let mut states = Vec::new();
    for name in wanted.split(',').map(str::trim) {
        let (_, s) = FEED_EVENTS
            .iter()
            .find(|(e, _)| *e == name)
            .ok_or_else(|| ApiError::bad_request(format!("unknown event {name:?}")))?;
        states.extend_from_slice(s);
    }
    let (after, limit) = (cursor(&q, "after")?, limit(&q, 100)?);
    let entries = blocking(move || Ok(st.store.feed(&states, after, limit)?)).await?;
    let items: Vec<Value> = entries
        .iter()
        .map(|e| {
            let event = FEED_EVENTS
                .iter()
                .find(|(_, s)| s.contains(&e.state))
                .map_or("", |(n, _)| *n);
            let posted = event == "document.posted";
            json!({
                "cursor": e.cursor.to_string(),
                "event": event,
                "document_id": e.document_id,
                "at": e.at,
                "reason": e.reason,
                "document": if posted {
                    e.result.as_deref().and_then(|j| serde_json::from_str::<Value>(j).ok())
                } else {
                    None
                },
            })
        })
        .collect();
    let next = entries.last().map_or(after, |e| e.cursor);
    Ok(Json(
        json!({"items": items, "next_cursor": next.to_string(), "has_more": entries.len() == limit}),
    ))
}

async fn list_deliveries(
    auth: Auth,
    State(st): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    auth.require(Scope::Read)?;
    let state = q.get("state").cloned();
    if let Some(s) = &state {
        if !["pending", "delivered", "dead"].contains(&s.as_str()) {
            return Err(ApiError::bad_request(
                "state must be pending, delivered or dead",
            ));
        }
    }
    let limit = limit(&q, 100)?;
    let rows = blocking(move || Ok(st.store.deliveries(state.as_deref(), limit)?)).await?;
    Ok(Json(json!({ "items": rows })))
}

async fn retry_delivery(
    auth: Auth,
    State(st): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    auth.require(Scope::Write)?;
    let on_deliveries = st.on_deliveries.clone();
    let d = blocking(move || {
        let d = st.store.delivery(id)?.ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no delivery {id}"),
            )
        })?;
        if d.state != "dead" {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("delivery {id} is {}, not dead", d.state),
            ));
        }
        st.store.retry_dead(Some(id))?;
        Ok(st.store.delivery(id)?)
    })
    .await?;
    on_deliveries();
    Ok(Json(json!(d)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The routes the router serves and the paths the OpenAPI description documents
    /// are the same set of (method, path).
    #[test]
    fn routes_and_openapi_agree() {
        let spec: Value = serde_json::from_str(OPENAPI).unwrap();
        assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
        let mut documented: Vec<(String, String)> = Vec::new();
        for (path, ops) in spec["paths"].as_object().unwrap() {
            for method in ops.as_object().unwrap().keys() {
                if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                    documented.push((method.to_uppercase(), path.clone()));
                }
            }
        }
        let mut served: Vec<(String, String)> = routes()
            .into_iter()
            .map(|(m, p, _)| (m.to_string(), p.to_string()))
            .collect();
        documented.sort();
        served.sort();
        assert_eq!(served, documented);
    }
}
