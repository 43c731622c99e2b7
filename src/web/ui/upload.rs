//! Upload from the browser (the queue page's file field and drop zone): the file is
//! taken in as if it had arrived in the inbox (`web::upload`), and the page follows
//! what became of it through `/documents/{id}/status`.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::auth::SignedIn;
use super::render::api_err;
use crate::store::Ingested;
use crate::web::upload::{discard, take_upload, upload_name};
use crate::web::{blocking, AppState};

/// `POST /upload?name=FILE`, the file as the body, the session's CSRF token in
/// `X-CSRF-Token`: the document it became (or the one it duplicates).
pub(super) async fn upload(
    s: SignedIn,
    State(st): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    mut body: Body,
) -> Result<Response, Response> {
    let csrf = s.csrf_ok(headers.get("x-csrf-token").and_then(|v| v.to_str().ok()));
    let name = upload_name(q.get("name").map(String::as_str));
    let refusal = match (csrf, name) {
        (Ok(()), Ok(name)) => Ok(name),
        (Err(r), _) => Err(r),
        (_, Err(e)) => Err(api_err(e)),
    };
    let name = match refusal {
        Ok(n) => n,
        Err(r) => {
            // Refused before a byte is stored; read the rest so the browser hears why.
            discard(&mut body).await;
            return Err(r);
        }
    };
    let ingested = take_upload(&st, name.clone(), &headers, body, &s.actor())
        .await
        .map_err(api_err)?;
    let (state, of) = match &ingested {
        Ingested::Duplicate { of, .. } => ("duplicate", Some(of.clone())),
        _ => ("received", None),
    };
    Ok(Json(json!({
        "id": ingested.id(), "name": name, "state": state, "duplicate_of": of,
    }))
    .into_response())
}

/// What became of a document: its state, why, and its type once read.
pub(super) async fn status(
    _s: SignedIn,
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    let row = blocking(move || Ok(st.store.get(&id)?))
        .await
        .map_err(api_err)?;
    let doc_type = row
        .result
        .as_deref()
        .and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
        .and_then(|d| d["doc_type"]["value"].as_str().map(String::from));
    Ok(Json(json!({
        "id": row.id, "name": row.name, "state": row.state.as_str(), "reason": row.reason,
        "doc_type": doc_type, "duplicate_of": row.duplicate_of,
    }))
    .into_response())
}
