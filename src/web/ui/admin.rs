//! Admin pages: quarantine and duplicates (retry, discard), the vendor book (import,
//! reset what approvals taught) and the status figures.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde_json::{json, Value};

use super::auth::SignedIn;
use super::render::{api_err, render};
use crate::store::review::DocumentFilter;
use crate::store::State as DocState;
use crate::web::blocking;
use crate::web::AppState;

async fn admin_list(
    s: SignedIn,
    st: AppState,
    state: DocState,
    title: &str,
) -> Result<Response, Response> {
    s.admin()?;
    let rows = blocking(move || {
        let filter = DocumentFilter {
            state: Some(state),
            ..Default::default()
        };
        Ok(st.store.find_documents(&filter, 0, 1000)?)
    })
    .await
    .map_err(api_err)?;
    let items: Vec<Value> = rows
        .iter()
        .map(|r| json!({"id": r.id, "name": r.name, "received_at": r.received_at, "reason": r.reason, "duplicate_of": r.duplicate_of}))
        .collect();
    Ok(render(
        "admin.html",
        json!({"user": s.0.user, "csrf": s.0.csrf, "title": title, "items": items, "duplicates": state == DocState::Duplicate}),
    ))
}

pub(super) async fn quarantine(
    s: SignedIn,
    State(st): State<AppState>,
) -> Result<Response, Response> {
    admin_list(s, st, DocState::Quarantined, "Quarantine").await
}

pub(super) async fn duplicates(
    s: SignedIn,
    State(st): State<AppState>,
) -> Result<Response, Response> {
    admin_list(s, st, DocState::Duplicate, "Duplicates").await
}

pub(super) async fn admin_retry(
    s: SignedIn,
    State(st): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, Response> {
    quarantine_action(s, st, id, f, |store, id, actor| store.requeue(id, actor)).await
}

pub(super) async fn admin_discard(
    s: SignedIn,
    State(st): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, Response> {
    quarantine_action(s, st, id, f, |store, id, actor| store.discard(id, actor)).await
}

/// An administrator's decision on a quarantined document (`requeue` or `discard`),
/// checked for the role and the form's token, then back to the quarantine list.
async fn quarantine_action<T: Send + 'static>(
    s: SignedIn,
    st: AppState,
    id: String,
    f: HashMap<String, String>,
    act: impl FnOnce(&crate::store::Store, &str, &str) -> Result<T, crate::store::StoreError>
        + Send
        + 'static,
) -> Result<Response, Response> {
    s.admin()?;
    s.csrf_ok(f.get("csrf").map(String::as_str))?;
    let actor = s.actor();
    blocking(move || Ok(act(&st.store, &id, &actor)?))
        .await
        .map_err(api_err)?;
    Ok(Redirect::to("/admin/quarantine").into_response())
}

/// The vendor book: master data, what approvals taught per supplier, import and reset.
async fn vendors_page(
    s: &SignedIn,
    st: AppState,
    notice: Option<String>,
    errors: Vec<String>,
    csv: String,
) -> Result<Response, Response> {
    s.admin()?;
    let list = blocking(move || Ok(st.store.vendors()?))
        .await
        .map_err(api_err)?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = render(
        "vendors.html",
        json!({"user": s.0.user, "csrf": s.0.csrf, "vendors": list, "notice": notice,
               "errors": errors, "csv": csv}),
    );
    *r.status_mut() = status;
    Ok(r)
}

pub(super) async fn vendors(s: SignedIn, State(st): State<AppState>) -> Result<Response, Response> {
    vendors_page(&s, st, None, Vec::new(), String::new()).await
}

pub(super) async fn import_vendors(
    s: SignedIn,
    State(st): State<AppState>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, Response> {
    s.admin()?;
    s.csrf_ok(f.get("csrf").map(String::as_str))?;
    let csv = f.get("csv").cloned().unwrap_or_default();
    match crate::vendor::import::parse(&csv) {
        Err(errors) => vendors_page(&s, st, None, errors, csv).await,
        Ok(list) => {
            let st2 = st.clone();
            let done = blocking(move || Ok(st2.store.import_vendors(&list)?))
                .await
                .map_err(api_err)?;
            let notice = format!(
                "Imported: {} vendor(s) added, {} updated.",
                done.added, done.updated
            );
            vendors_page(&s, st, Some(notice), Vec::new(), String::new()).await
        }
    }
}

pub(super) async fn reset_vendor(
    s: SignedIn,
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, Response> {
    s.admin()?;
    s.csrf_ok(f.get("csrf").map(String::as_str))?;
    blocking(move || Ok(st.store.reset_learning(id)?))
        .await
        .map_err(api_err)?;
    Ok(Redirect::to(&format!("/admin/vendors#vendor-{id}")).into_response())
}

/// The supervisor's figures (`mailroom status`, issue 17): today's throughput, the
/// automation rate, the review queue with its oldest document, work in flight, dead
/// deliveries per sink, documents per state.
pub(super) async fn status_page(
    s: SignedIn,
    State(st): State<AppState>,
) -> Result<Response, Response> {
    s.admin()?;
    let (f, oldest) = blocking(move || {
        let f = st.store.figures(&crate::store::figures::today_utc())?;
        let scan = crate::store::search::Scan {
            filter: DocumentFilter {
                state: Some(DocState::InReview),
                ..Default::default()
            },
            ..Default::default()
        };
        let oldest = st.store.scan_documents(&scan, None, 1)?.into_iter().next();
        Ok((f, oldest))
    })
    .await
    .map_err(api_err)?;
    let rate = |t: &crate::store::figures::Throughput| match t.automation_rate {
        Some(r) => format!("{:.1} % ({} of {})", r * 100.0, t.auto_posted, t.documents),
        None => "– (nothing finished)".into(),
    };
    let dead: Vec<Value> = f
        .dead_deliveries
        .iter()
        .map(|(sink, n)| json!({"sink": sink, "dead": n}))
        .collect();
    Ok(render(
        "status.html",
        json!({
            "user": s.0.user, "csrf": s.0.csrf, "f": f,
            "today_rate": rate(&f.today), "all_time_rate": rate(&f.all_time),
            "oldest_age": f.oldest_in_review_seconds.map(crate::store::figures::age),
            "oldest": oldest.map(|r| json!({"id": r.id, "name": r.name, "received_at": r.received_at})),
            "dead": dead, "dead_total": f.dead_deliveries.values().sum::<i64>(),
        }),
    ))
}
