//! The HTTP side: the REST API under `/api/v1` (the review web UI will join it).
//!
//! Served by `mailroom run` next to the workers, or alone by `mailroom serve`, on
//! `web.listen` (localhost by default). Handlers are thin: they authenticate, call the
//! store (on the blocking pool: SQLite calls block) and the pure pipeline functions
//! (corrections are normalised and checked exactly as extraction does), and answer
//! JSON. The routes are one table ([`api::routes`]) that builds the router and that
//! a test compares with the OpenAPI description in `docs/openapi.json`.

pub mod api;

use std::net::SocketAddr;
use std::sync::Arc;

use crate::config::Config;
use crate::store::Store;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub cfg: Arc<Config>,
    /// Called after a change that wrote deliveries (wakes the sink dispatchers in
    /// `mailroom run`; `mailroom serve` leaves delivery to the running service).
    pub on_deliveries: Arc<dyn Fn() + Send + Sync>,
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
    axum::serve(listener, api::router(state))
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}
