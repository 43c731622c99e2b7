//! Liveness and readiness probes, without a session or token.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::web::blocking;
use crate::web::AppState;

/// Liveness, without a session or token: the process answers.
pub(super) async fn healthz() -> &'static str {
    "ok\n"
}

/// Readiness, without a session or token: the ledger answers a query (503 when not).
pub(super) async fn readyz(State(st): State<AppState>) -> Response {
    match blocking(move || Ok(st.store.counts()?)).await {
        Ok(_) => "ready\n".into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: the ledger does not answer: {}\n", e.message),
        )
            .into_response(),
    }
}
