//! The review UI: server-rendered pages (minijinja templates in `templates/`) with a
//! little JavaScript (`static/`) for boxes, zoom, word picking and the keyboard.
//!
//! Sessions are cookies (`HttpOnly`, `SameSite=Strict`) holding a random secret whose
//! hash is in the ledger; every form post carries the session's CSRF token (JSON
//! calls send it as `X-CSRF-Token`); sign-in is rate-limited per name. Opening a
//! document takes a lease on it, renewed while the page is open, so two reviewers
//! never work on the same one. Corrections, approvals and rejections go through the
//! same functions as the API: one set of rules, one audit trail.
//!
//! One file per job: `auth` (sessions, sign-in, CSRF, the sign-in limit), `queue`
//! (the list waiting for review and the next document), `browse` (search every
//! document), `upload` (a file from the browser into the inbox's intake), `document`
//! (one document's page, validation as you type, page images), `decisions` (lease,
//! approve, settle the type, reject, skip), `admin` (quarantine, duplicates, the vendor
//! book, the status figures), `health` (probes) and `render` (templates, messages,
//! static files). Handlers shared with the API live in `web` itself (`web::shared`,
//! `web::post_reviewed`, `web::search`, `web::upload`), never in `api`.

mod admin;
mod auth;
mod browse;
mod decisions;
mod document;
mod health;
mod queue;
mod render;
mod upload;
mod words;

use axum::routing::{get, post};
use axum::Router;

use super::AppState;
use admin::{
    admin_discard, admin_retry, duplicates, import_vendors, quarantine, reset_vendor, status_page,
    vendors,
};
pub use auth::SignedIn;
use auth::{login, login_page, logout};
use browse::search_page;
pub use decisions::LEASE_MS;
use decisions::{approve, reject, release, renew_lease, set_type, skip, undo};
use document::{check, document_page, original, page_image};
use health::{healthz, readyz};
#[cfg(test)]
pub(crate) use queue::tests_support;
use queue::{next, queue};
use render::static_file;
use upload::{status, upload};

/// Every page, form post and JSON call of the review UI (the API's table is added by
/// [`crate::web::router`]).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/", get(queue))
        .route("/next", get(next))
        .route("/search", get(search_page))
        .route("/upload", post(upload))
        .route("/documents/{id}/status", get(status))
        .route("/documents/{id}", get(document_page))
        .route("/documents/{id}/check", post(check))
        .route("/documents/{id}/lease", post(renew_lease))
        .route("/documents/{id}/release", post(release))
        .route("/documents/{id}/approve", post(approve))
        .route("/documents/{id}/type", post(set_type))
        .route("/documents/{id}/reject", post(reject))
        .route("/documents/{id}/skip", post(skip))
        .route("/documents/{id}/undo", post(undo))
        .route("/ui/documents/{id}/pages/{n}", get(page_image))
        .route("/ui/documents/{id}/original", get(original))
        .route("/ui/static/{file}", get(static_file))
        .route("/admin/status", get(status_page))
        .route("/admin/quarantine", get(quarantine))
        .route("/admin/duplicates", get(duplicates))
        .route("/admin/vendors", get(vendors))
        .route("/admin/vendors/import", post(import_vendors))
        .route("/admin/vendors/{id}/reset", post(reset_vendor))
        .route("/admin/documents/{id}/retry", post(admin_retry))
        .route("/admin/documents/{id}/discard", post(admin_discard))
}
