//! The HTTP side: the review UI (`ui`, pages for people) and the REST API under
//! `/api/v1` (`api`, JSON for systems), on one axum router.
//!
//! Served by `mailroom run` next to the workers, or alone by `mailroom serve`, on
//! `web.listen` (localhost by default). Handlers are thin: they authenticate, call the
//! store (on the blocking pool: SQLite calls block) and the pure pipeline functions
//! (corrections are normalised and checked exactly as extraction does), and answer
//! JSON. [`router`] builds the one router from the UI's routes and the API's table
//! ([`api::routes`]), which a test compares with the OpenAPI description in
//! `docs/openapi.json`. What both sides' handlers need lives in `shared`, so `ui` and
//! `api` never import each other.

pub mod api;
pub mod metrics;
mod search;
mod shared;
#[cfg(test)]
mod tests;
mod typed;
pub mod ui;
mod upload;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::Router;

use crate::config::Config;
use crate::store::Store;
pub use shared::ApiError;
pub(crate) use shared::{blocking, original_response, page_png, png_response, reviewable};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub cfg: Arc<Config>,
    /// Called after a change that wrote deliveries (wakes the sink dispatchers in
    /// `mailroom run`; `mailroom serve` leaves delivery to the running service).
    pub on_deliveries: Arc<dyn Fn() + Send + Sync>,
    /// OCR seconds per page, recorded by this process's workers (`mailroom run`).
    pub page_times: Arc<metrics::PageTimes>,
}

impl AppState {
    pub fn new(
        store: Arc<Store>,
        cfg: Arc<Config>,
        on_deliveries: Arc<dyn Fn() + Send + Sync>,
    ) -> Self {
        AppState {
            store,
            cfg,
            on_deliveries,
            page_times: Arc::default(),
        }
    }
}

/// Post a document a person approved: `posted`, with one delivery per sink that
/// subscribes to `document.posted`, in one transaction; exactly once (a second
/// approval finds it no longer in review). The API and the UI both approve through here.
/// The same transaction keeps what the approval taught: the supplier's vendor record,
/// made on its first approved document, and where its fields sat
/// ([`crate::vendor::taught`]). Only approvals teach.
///
/// With a `hold` (the review UI's undo window), the posting's deliveries wait that long
/// in the same transaction, so nothing leaves while the approval can be undone
/// ([`crate::store::Store::undo_posting`]).
pub(crate) fn post_reviewed(
    st: &AppState,
    id: &str,
    payload: &str,
    actor: &str,
    hold: std::time::Duration,
) -> Result<(), crate::store::StoreError> {
    let notice = crate::store::Notice {
        event: crate::config::sinks::POSTED,
        sinks: crate::config::sinks::subscribers(&st.cfg, crate::config::sinks::POSTED),
        payload,
    };
    // What the approval teaches. A lesson that cannot be worked out (pages or the book
    // unreadable) is lost with a warning; it never keeps the approval from posting.
    let lesson = || -> Result<Option<crate::document::vendor::Lesson>, String> {
        let doc: crate::document::TypedDocument =
            serde_json::from_str(payload).map_err(|e| e.to_string())?;
        let Some(dt) = st.cfg.doctype(&doc.doc_type.value) else {
            return Ok(None);
        };
        let pages = st.store.read_pages(id).map_err(|e| e.to_string())?;
        let book = st.store.vendors().map_err(|e| e.to_string())?;
        Ok(crate::vendor::taught(&doc, &pages, dt, &book))
    };
    let taught = lesson().unwrap_or_else(|e| {
        tracing::warn!(document_id = %id, error = %e, "approved without learning from it");
        None
    });
    let reason = format!("approved by {actor}");
    let change = crate::store::Change {
        id,
        expect: Some(crate::store::State::InReview),
        to: crate::store::State::Posted,
        reason: &reason,
        result: None,
        notice: Some(&notice),
        actor: Some(actor),
    };
    if hold.is_zero() {
        st.store.change_and_learn(&change, taught.as_ref())
    } else {
        let until = crate::store::outbox::now_ms() + hold.as_millis() as i64;
        st.store.post_held(&change, taught.as_ref(), until)
    }
}

/// Bind `web.listen` now (a port in use is a start-up error, not a log line later)
/// and write the bound address to `var/web.addr` for scripts and tests.
pub fn bind(cfg: &Config) -> anyhow::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(&cfg.web.listen)
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", cfg.web.listen))?;
    listener.set_nonblocking(true)?;
    let addr: SocketAddr = listener.local_addr()?;
    std::fs::create_dir_all(&cfg.var_dir)?;
    crate::store::blobs::write_atomic(&cfg.var_dir.join("web.addr"), addr.to_string().as_bytes())?;
    tracing::info!(%addr, "web API listening on http://{addr}/api/v1/");
    Ok(listener)
}

/// Serve until `shutdown` resolves.
pub async fn serve(
    listener: std::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::from_std(listener)?;
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

/// The one router: the review UI's routes, then the API's table, with JSON answers for
/// unknown routes and methods.
pub fn router(state: AppState) -> Router {
    let mut r = ui::routes();
    for (_, path, handler) in api::routes() {
        r = r.route(path, handler);
    }
    r.fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no_such_route", "no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not take that method",
            )
        })
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// What every answer tells the browser: no framing (clickjacking), no sniffing a type
/// other than the one declared, scripts and images from this origin only (inline
/// styles stay: the page boxes are placed with them), no referrer leaving the site.
async fn security_headers(mut r: axum::response::Response) -> axum::response::Response {
    use axum::http::{header, HeaderValue};
    let h = r.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    r
}
