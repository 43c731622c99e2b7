//! What the review UI's and the API's handlers share: the JSON error type, running
//! store work off the async threads, the original and page images, and loading a
//! document in review with its type. Neither `ui` nor `api` imports the other.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::AppState;
use crate::document::TypedDocument;
use crate::store::{State as DocState, StoreError};

/// An error as the API reports it.
#[derive(Debug)]
pub struct ApiError {
    pub(super) status: StatusCode,
    pub(super) code: &'static str,
    pub(super) message: String,
    pub(super) details: Option<Value>,
}

impl ApiError {
    pub(crate) fn new(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            details: None,
        }
    }
    pub(crate) fn status_code(&self) -> StatusCode {
        self.status
    }
    pub(crate) fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(d) = self.details {
            error["details"] = d;
        }
        let mut resp = (self.status, Json(json!({ "error": error }))).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound(id) => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no document {id}"),
            ),
            StoreError::Conflict { id, state } => ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("document {id} is {state}, not in review"),
            ),
            e => {
                tracing::error!(error = %e, "API store error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error",
                )
            }
        }
    }
}

/// Run blocking store work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
}

/// The original bytes with their sniffed type, as a download.
pub(crate) async fn original_response(st: AppState, id: String) -> Result<Response, ApiError> {
    let (row, bytes) = blocking(move || {
        let row = st.store.get(&id)?;
        let bytes = st.store.blobs.read(&row.sha256).map_err(StoreError::from)?;
        Ok((row, bytes))
    })
    .await?;
    let mime =
        crate::text::MediaType::sniff(&bytes).map_or("application/octet-stream", |m| m.mime());
    let name: String = row
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (
                header::CACHE_CONTROL,
                "private, max-age=31536000, immutable".to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// A page image, rendered once from the original and cached under `var/pages/`.
pub(crate) fn page_png(st: &AppState, id: &str, n: u32) -> Result<Vec<u8>, ApiError> {
    let row = st.store.get(id)?;
    let info = st
        .store
        .pages(id)?
        .into_iter()
        .find(|p| p.number == n)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "no_page",
                format!("document {id} has no page {n}"),
            )
        })?;
    let cached = st.cfg.var_dir.join("pages").join(format!("{id}-{n}.png"));
    if let Ok(bytes) = std::fs::read(&cached) {
        return Ok(bytes);
    }
    let internal = |e: String| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e);
    let (data, media) = original(st, &row.sha256)?;
    let pix = crate::text::render_page(&data, media, n, &info.transform, &st.cfg.limits)
        .map_err(|e| internal(e.to_string()))?;
    let png = pix.to_png().map_err(internal)?;
    std::fs::create_dir_all(cached.parent().unwrap_or(&st.cfg.var_dir))
        .map_err(|e| internal(e.to_string()))?;
    crate::store::blobs::write_atomic(&cached, &png).map_err(|e| internal(e.to_string()))?;
    Ok(png)
}

/// The checkboxes and frames of a stored document's first pages, looked for on its
/// original in the blob store (`text::find_marks_again`). Returns whether any was
/// found.
pub(crate) fn find_marks_again(
    st: &AppState,
    sha256: &str,
    pages: &mut [crate::text::Page],
) -> Result<bool, ApiError> {
    let (data, media) = original(st, sha256)?;
    crate::text::find_marks_again(&data, media, pages, &st.cfg.limits)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))
}

/// A document's original bytes from the blob store, and the kind of page they hold.
fn original(
    st: &AppState,
    sha256: &str,
) -> Result<(Vec<u8>, crate::document::input::MediaType), ApiError> {
    let data = st.store.blobs.read(sha256).map_err(StoreError::from)?;
    let media = crate::document::input::MediaType::sniff(&data).ok_or_else(|| {
        let what = crate::document::input::describe_unknown(&data);
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            crate::text::TextError::Unsupported(what).to_string(),
        )
    })?;
    Ok((data, media))
}

/// PNG bytes with their type; a page image never changes for a document.
pub(crate) fn png_response(png: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/png"),
            (
                header::CACHE_CONTROL,
                "private, max-age=31536000, immutable",
            ),
        ],
        png,
    )
        .into_response()
}

/// The typed document of a document in review, and its type's definition.
pub(crate) fn reviewable(
    st: &AppState,
    id: &str,
) -> Result<(TypedDocument, crate::config::DocType), ApiError> {
    let row = st.store.get(id)?;
    if row.state != DocState::InReview {
        return Err(StoreError::Conflict {
            id: id.into(),
            state: row.state.as_str().into(),
        }
        .into());
    }
    let doc: TypedDocument = row
        .result
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::CONFLICT,
                "no_document",
                "the document has no typed result",
            )
        })?;
    let dt = st
        .cfg
        .doctype(&doc.doc_type.value)
        .cloned()
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_type",
                format!("document type {:?} is not configured", doc.doc_type.value),
            )
        })?;
    Ok((doc, dt))
}
