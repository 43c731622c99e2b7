//! The review UI: server-rendered pages (minijinja templates in `templates/`) with a
//! little JavaScript (`static/`) for boxes, zoom, word picking and the keyboard.
//!
//! Sessions are cookies (`HttpOnly`, `SameSite=Strict`) holding a random secret whose
//! hash is in the ledger; every form post carries the session's CSRF token (JSON
//! calls send it as `X-CSRF-Token`); sign-in is rate-limited per name. Opening a
//! document takes a lease on it, renewed while the page is open, so two reviewers
//! never work on the same one. Corrections, approvals and rejections go through the
//! same functions as the API: one set of rules, one audit trail.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::{header, request::Parts, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde_json::{json, Value};

use super::AppState;
use super::{blocking, page_png, png_response, reviewable, ApiError};
use crate::document::TypedDocument;
use crate::store::review::DocumentFilter;
use crate::store::users::{Lease, Role, Session};
use crate::store::State as DocState;

const SESSION_COOKIE: &str = "mailroom_session";
const LOGIN_CSRF_COOKIE: &str = "mailroom_login_csrf";
const SESSION_TTL_MS: i64 = 12 * 3600 * 1000;
/// How long opening a document holds it; the page renews it every minute.
pub const LEASE_MS: i64 = 5 * 60 * 1000;
const PAGE_SIZE: usize = 50;

static TEMPLATES: LazyLock<minijinja::Environment<'static>> = LazyLock::new(|| {
    let mut env = minijinja::Environment::new();
    for (name, src) in [
        ("base.html", include_str!("templates/base.html")),
        ("login.html", include_str!("templates/login.html")),
        ("queue.html", include_str!("templates/queue.html")),
        ("document.html", include_str!("templates/document.html")),
        ("message.html", include_str!("templates/message.html")),
        ("admin.html", include_str!("templates/admin.html")),
        ("vendors.html", include_str!("templates/vendors.html")),
    ] {
        env.add_template(name, src).expect("templates parse");
    }
    env
});

fn render(name: &str, ctx: Value) -> Response {
    match TEMPLATES.get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, template = name, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

fn message(status: StatusCode, s: &Session, title: &str, text: &str) -> Response {
    let mut r = render(
        "message.html",
        json!({"user": s.user, "csrf": s.csrf, "title": title, "text": text}),
    );
    *r.status_mut() = status;
    r
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/", get(queue))
        .route("/next", get(next))
        .route("/documents/{id}", get(document_page))
        .route("/documents/{id}/check", post(check))
        .route("/documents/{id}/lease", post(renew_lease))
        .route("/documents/{id}/release", post(release))
        .route("/documents/{id}/approve", post(approve))
        .route("/documents/{id}/type", post(set_type))
        .route("/documents/{id}/reject", post(reject))
        .route("/documents/{id}/skip", post(skip))
        .route("/ui/documents/{id}/pages/{n}", get(page_image))
        .route("/ui/documents/{id}/original", get(original))
        .route("/ui/static/{file}", get(static_file))
        .route("/admin/quarantine", get(quarantine))
        .route("/admin/duplicates", get(duplicates))
        .route("/admin/vendors", get(vendors))
        .route("/admin/vendors/import", post(import_vendors))
        .route("/admin/vendors/{id}/reset", post(reset_vendor))
        .route("/admin/documents/{id}/retry", post(admin_retry))
        .route("/admin/documents/{id}/discard", post(admin_discard))
}

async fn static_file(Path(file): Path<String>) -> Response {
    let (body, ctype) = match file.as_str() {
        "app.css" => (include_str!("static/app.css"), "text/css"),
        "document.js" => (include_str!("static/document.js"), "text/javascript"),
        "queue.js" => (include_str!("static/queue.js"), "text/javascript"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, ctype),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// Token comparison that takes as long for a near miss as for a far one: a CSRF token
/// is not guessed byte by byte.
fn same(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// A signed-in user. Pages without one redirect to the sign-in page; images and JSON
/// calls get 401.
pub struct SignedIn(pub Session);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<SignedIn, Response> {
        let page = parts.method == axum::http::Method::GET && !parts.uri.path().starts_with("/ui/");
        let deny = || {
            if page {
                Redirect::to("/login").into_response()
            } else {
                (StatusCode::UNAUTHORIZED, "sign in first").into_response()
            }
        };
        let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(deny());
        };
        let store = st.store.clone();
        match tokio::task::spawn_blocking(move || store.session(&secret)).await {
            Ok(Ok(Some(s))) => Ok(SignedIn(s)),
            _ => Err(deny()),
        }
    }
}

// The checks fail with the very Response the handler returns.
#[allow(clippy::result_large_err)]
impl SignedIn {
    fn csrf_ok(&self, token: Option<&str>) -> Result<(), Response> {
        if token.is_some_and(|t| same(t, &self.0.csrf)) {
            Ok(())
        } else {
            Err((StatusCode::FORBIDDEN, "missing or wrong CSRF token").into_response())
        }
    }
    fn admin(&self) -> Result<(), Response> {
        if self.0.user.role == Role::Admin {
            Ok(())
        } else {
            Err(message(
                StatusCode::FORBIDDEN,
                &self.0,
                "Admins only",
                "This page is for admins.",
            ))
        }
    }
    fn actor(&self) -> String {
        self.0.user.name.clone()
    }
}

/// Failed sign-ins per name: after [`MAX_FAILURES`] within [`FAILURE_WINDOW`],
/// further attempts are refused until the window has passed.
#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

const MAX_FAILURES: u32 = 5;
const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);

impl LoginLimiter {
    /// Counts an attempt for `name` before its password is checked, in one step under
    /// the lock: `false` when the name already has [`MAX_FAILURES`] attempts in the
    /// window. Checking first and counting after the (slow) hash let fifty parallel
    /// guesses all pass the check before the first failure was counted.
    fn admit(&self, name: &str) -> bool {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let e = map
            .entry(name.to_lowercase())
            .or_insert((0, Instant::now()));
        if e.1.elapsed() >= FAILURE_WINDOW {
            *e = (0, Instant::now());
        }
        if e.0 >= MAX_FAILURES {
            return false;
        }
        e.0 += 1;
        true
    }
    /// The right password: the attempts counted against `name` are forgiven.
    fn succeeded(&self, name: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&name.to_lowercase());
    }
}

fn random_token() -> String {
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

fn login_form(error: Option<&str>, status: StatusCode) -> Response {
    let token = random_token();
    let mut r = render("login.html", json!({"login_csrf": token, "error": error}));
    *r.status_mut() = status;
    r.headers_mut().append(
        header::SET_COOKIE,
        format!("{LOGIN_CSRF_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/login")
            .parse()
            .expect("cookie header"),
    );
    r
}

async fn login_page() -> Response {
    login_form(None, StatusCode::OK)
}

async fn login(
    State(st): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    // Login CSRF: the form's token must match the cookie set with the form.
    let cookie_token = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    let form_token = f.get("csrf").cloned().unwrap_or_default();
    if cookie_token.is_empty() || !same(&cookie_token, &form_token) {
        return login_form(
            Some("The form expired; please sign in again."),
            StatusCode::FORBIDDEN,
        );
    }
    let name = f.get("name").cloned().unwrap_or_default();
    let password = f.get("password").cloned().unwrap_or_default();
    if !st.limiter.admit(&name) {
        return login_form(
            Some("Too many failed attempts for this name; wait 15 minutes."),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let store = st.store.clone();
    let n = name.clone();
    let secret =
        tokio::task::spawn_blocking(move || store.sign_in(&n, &password, SESSION_TTL_MS)).await;
    match secret {
        Ok(Ok(Some(secret))) => {
            st.limiter.succeeded(&name);
            let mut r = Redirect::to("/").into_response();
            r.headers_mut().append(
                header::SET_COOKIE,
                format!(
                    "{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
                    SESSION_TTL_MS / 1000
                )
                .parse()
                .expect("cookie header"),
            );
            r
        }
        Ok(Ok(None)) => {
            // Already counted by admit().
            login_form(Some("Wrong name or password."), StatusCode::UNAUTHORIZED)
        }
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "sign-in failed").into_response(),
    }
}

async fn logout(
    s: SignedIn,
    State(st): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, Response> {
    s.csrf_ok(f.get("csrf").map(String::as_str))?;
    if let Some(secret) = cookie(&headers, SESSION_COOKIE) {
        let _ = blocking(move || Ok(st.store.sign_out(&secret)?)).await;
    }
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
            .parse()
            .expect("cookie header"),
    );
    Ok(r)
}

fn api_err(e: ApiError) -> Response {
    e.into_response()
}

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

fn query_string(q: &HashMap<String, String>, keys: &[&str]) -> String {
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

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
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

async fn queue(
    s: SignedIn,
    State(st): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, Response> {
    let filter = filter_from(&q);
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
            let doc: Value = r
                .result
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok())
                .unwrap_or(Value::Null);
            let leased_by = leases
                .iter()
                .find(|(d, by)| d == &r.id && by != me)
                .map(|(_, by)| by.clone());
            json!({
                "id": r.id, "received_at": r.received_at, "doc_type": doc["doc_type"]["value"],
                "vendor": doc["fields"]["vendor_name"]["value"], "reason": r.reason,
                "attention": attention(&doc), "leased_by": leased_by,
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
        }),
    ))
}

/// The oldest document in review (after `after`, wrapping around) that nobody else
/// holds.
async fn next(
    s: SignedIn,
    State(st): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, Response> {
    let filter = filter_from(&q);
    let after: i64 = q.get("after").and_then(|v| v.parse().ok()).unwrap_or(0);
    let me = s.0.user.name.clone();
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
    Ok(match found {
        Some(id) => Redirect::to(&format!("/documents/{id}")).into_response(),
        None => message(
            StatusCode::OK,
            &s.0,
            "All done",
            "Nothing else waits for review.",
        ),
    })
}

/// The fields as the page shows them: those that need a look first.
fn field_rows(doc: &TypedDocument, dt: Option<&crate::config::DocType>) -> Vec<Value> {
    let mut rows: Vec<(bool, usize, Value)> = Vec::new();
    for (i, (name, f)) in doc.fields.0.iter().enumerate() {
        let spec = dt.and_then(|d| d.fields.iter().find(|s| &s.name == name));
        if spec.is_some_and(|s| !s.extract) && f.is_none() {
            continue;
        }
        let threshold = spec.map_or(0.9, |s| s.threshold);
        let why: Vec<String> = doc
            .decision
            .reasons
            .iter()
            .filter(|r| r.contains(name.as_str()))
            .cloned()
            .collect();
        let level = match f {
            _ if !why.is_empty() && f.as_ref().is_none_or(|f| f.confidence < 0.5) => "bad",
            Some(f) if f.confidence < threshold || !why.is_empty() => "low",
            _ => "ok",
        };
        let v = json!({
            "name": name,
            "value": f.as_ref().map_or("", |f| f.value.as_str()),
            "raw": f.as_ref().map(|f| f.raw.clone()),
            "confidence_text": f.as_ref().map_or("not found".to_string(), |f| format!("{:.0} %", f.confidence * 100.0)),
            "level": level,
            "why": why.join("; "),
            "choice": f.as_ref().map_or(String::new(), |f| f.reasons.join("; ")),
            "page": f.as_ref().map(|f| f.page),
            "bbox": f.as_ref().and_then(|f| f.bbox),
        });
        rows.push((level == "ok", i, v));
    }
    rows.sort_by_key(|(ok, i, _)| (*ok, *i));
    rows.into_iter().map(|(_, _, v)| v).collect()
}

async fn document_page(
    s: SignedIn,
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    render_document(&s, &st, &id, None).await
}

async fn render_document(
    s: &SignedIn,
    st: &AppState,
    id: &str,
    msg: Option<String>,
) -> Result<Response, Response> {
    let (st2, id2, user) = (st.clone(), id.to_string(), s.actor());
    let (row, lease, pages, history, corrections) = blocking(move || {
        let row = st2.store.get(&id2)?;
        let lease = if row.state == DocState::InReview {
            Some(st2.store.lease(&id2, &user, LEASE_MS)?)
        } else {
            None
        };
        let mut pages = Vec::new();
        for p in st2.store.pages(&id2)? {
            let words = st2.store.page_words(&id2, p.number)?;
            pages.push(
                json!({"number": p.number, "width": p.width, "height": p.height, "words": words}),
            );
        }
        Ok((
            row,
            lease,
            pages,
            st2.store.transitions(&id2)?,
            st2.store.corrections(&id2)?,
        ))
    })
    .await
    .map_err(api_err)?;
    let Some(doc) = row
        .result
        .as_deref()
        .and_then(|j| serde_json::from_str::<TypedDocument>(j).ok())
    else {
        return Ok(message(
            StatusCode::OK,
            &s.0,
            &row.name,
            &format!("{}: {}", row.state.as_str(), row.reason.unwrap_or_default()),
        ));
    };
    let lease_holder = match lease {
        Some(Lease::Held { by, .. }) => Some(by),
        _ => None,
    };
    // An email's body text has no scan: its words are shown where the page places them.
    let text_only = doc.source.media_type == "message/rfc822";
    let mut pages = pages;
    for p in &mut pages {
        p["text_only"] = json!(text_only);
    }
    let read_only = lease_holder.is_some() || row.state != DocState::InReview;
    let fields = field_rows(&doc, st.cfg.doctype(&doc.doc_type.value));
    let msg = msg.or_else(|| {
        (row.state != DocState::InReview)
            .then(|| format!("This document is {}.", row.state.as_str()))
    });
    Ok(render(
        "document.html",
        json!({
            "user": s.0.user, "csrf": s.0.csrf,
            "doc": {
                "id": row.id, "name": row.name, "state": row.state.as_str(), "doc_type": doc.doc_type.value,
                "uncertain": doc.doc_type.uncertain,
                "reasons": doc.decision.reasons, "checks": doc.checks, "line_items": doc.line_items,
                "type_confidence": format!("{:.2}", doc.doc_type.confidence),
                // An uncertain type's first reason says how it was read, the second why.
                "type_reason": doc.doc_type.reasons.iter().take(if doc.doc_type.uncertain { 2 } else { 1 })
                    .cloned().collect::<Vec<_>>().join("; "),
                "candidates": doc.doc_type.candidates.iter().take(4)
                    .map(|c| json!({"name": c.name, "confidence": format!("{:.2}", c.confidence)}))
                    .collect::<Vec<_>>(),
            },
            "types": st.cfg.doctypes.iter().map(|d| json!({"name": d.name, "description": d.description})).collect::<Vec<_>>(),
            "fields": fields, "pages": pages, "history": history, "corrections": corrections,
            "lease_holder": if read_only { Some(lease_holder.unwrap_or_else(|| "nobody".into())) } else { None },
            "message": msg,
        }),
    ))
}

/// The corrections a form or a JSON call carries: `f.NAME` (form) or `fields` (JSON).
fn edits_from_form(f: &HashMap<String, String>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = f
        .iter()
        .filter_map(|(k, val)| k.strip_prefix("f.").map(|n| (n.to_string(), val.clone())))
        .collect();
    v.sort();
    v
}

/// Validation as you type: every value through the pipeline's parsers, then the
/// checks on the values that parse. Changes nothing.
async fn check(
    s: SignedIn,
    State(st): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<Response, Response> {
    s.csrf_ok(headers.get("x-csrf-token").and_then(|v| v.to_str().ok()))?;
    let edits: Vec<(String, String)> = body["fields"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default();
    let actor = s.actor();
    let v = blocking(move || {
        let (doc, dt) = reviewable(&st, &id)?;
        let mut errors = serde_json::Map::new();
        let mut good = Vec::new();
        for (name, value) in edits {
            match dt.fields.iter().find(|f| f.name == name) {
                Some(spec) => match crate::extract::input::normalize(spec, &value) {
                    Ok(_) => good.push((name, value)),
                    Err(e) => {
                        errors.insert(name, json!(e));
                    }
                },
                None => {
                    errors.insert(name, json!("no such field"));
                }
            }
        }
        let today = chrono::Utc::now().date_naive();
        let checks = match crate::pipeline::apply_corrections(&doc, &dt, &good, &actor, today) {
            Ok((fixed, _)) => fixed.checks,
            Err(_) => doc.checks,
        };
        Ok(json!({"errors": errors, "checks": checks}))
    })
    .await
    .map_err(api_err)?;
    Ok(Json(v).into_response())
}

async fn renew_lease(
    s: SignedIn,
    State(st): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    s.csrf_ok(headers.get("x-csrf-token").and_then(|v| v.to_str().ok()))?;
    let user = s.actor();
    let lease = blocking(move || {
        // An unknown document is a 404, not a lease on nothing (nor a 500).
        st.store.get(&id)?;
        Ok(st.store.lease(&id, &user, LEASE_MS)?)
    })
    .await
    .map_err(api_err)?;
    Ok(Json(match lease {
        Lease::Yours(until) => json!({"held": true, "until": until}),
        Lease::Held { by, until } => json!({"held": false, "by": by, "until": until}),
    })
    .into_response())
}

async fn release(
    s: SignedIn,
    State(st): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, Response> {
    // sendBeacon cannot set headers: the token comes in the query.
    s.csrf_ok(q.get("csrf").map(String::as_str))?;
    let user = s.actor();
    blocking(move || Ok(st.store.release(&id, &user)?))
        .await
        .map_err(api_err)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A decision on a document someone (another tab, another reviewer, the API) has
/// already decided: nothing was posted twice.
fn already_decided(s: &SignedIn) -> Response {
    message(
        StatusCode::CONFLICT,
        &s.0,
        "Already decided",
        "This document was already approved or rejected (another tab or reviewer); nothing was posted twice.",
    )
}

fn after_decision(seq: i64) -> Response {
    Redirect::to(&format!("/next?after={seq}")).into_response()
}

async fn approve(
    s: SignedIn,
    State(st): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, Response> {
    s.csrf_ok(f.get("csrf").map(String::as_str))?;
    let edits = edits_from_form(&f);
    let actor = s.actor();
    let (st2, id2) = (st.clone(), id.clone());
    let outcome = blocking(move || {
        let row = st2.store.get(&id2)?;
        if let Lease::Held { by, .. } = st2.store.lease(&id2, &actor, LEASE_MS)? {
            return Ok(Err(format!("{by} is working on this document.")));
        }
        let (doc, dt) = reviewable(&st2, &id2)?;
        let today = chrono::Utc::now().date_naive();
        let (mut fixed, changes) =
            match crate::pipeline::apply_corrections(&doc, &dt, &edits, &actor, today) {
                Ok(r) => r,
                Err(errs) => {
                    let text: Vec<String> = errs.iter().map(|(f, m)| format!("{f}: {m}")).collect();
                    return Ok(Err(format!("Not approved: {}", text.join("; "))));
                }
            };
        let json = serde_json::to_string(&fixed).map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
        })?;
        if !changes.is_empty() {
            st2.store.correct(&id2, &json, &changes)?;
        }
        crate::pipeline::confirm_type(&mut fixed, &actor);
        let json = serde_json::to_string(&fixed).map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
        })?;
        let failed: Vec<String> = fixed
            .checks
            .iter()
            .filter(|c| c.blocks_approval())
            .map(|c| c.message.clone())
            .collect();
        if !failed.is_empty() {
            return Ok(Err(format!(
                "Not approved, a check fails: {}",
                failed.join("; ")
            )));
        }
        super::post_reviewed(&st2, &id2, &json, &actor)?;
        st2.store.release(&id2, &actor)?;
        Ok(Ok(row.seq))
    })
    .await;
    match outcome {
        Ok(Ok(seq)) => {
            (st.on_deliveries)();
            Ok(after_decision(seq))
        }
        Ok(Err(msg)) => refused(&s, &st, &id, msg).await,
        Err(e) => Ok(failed(&s, e)),
    }
}

/// An action refused with a reason: the document again, with the reason (422).
async fn refused(s: &SignedIn, st: &AppState, id: &str, msg: String) -> Result<Response, Response> {
    let mut r = render_document(s, st, id, Some(msg)).await?;
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(r)
}

/// An action that failed: on a document already decided (another tab, another
/// reviewer) it says so; anything else is an error page.
fn failed(s: &SignedIn, e: ApiError) -> Response {
    if e.status_code() == StatusCode::CONFLICT {
        already_decided(s)
    } else {
        api_err(e)
    }
}

/// A reviewer settles the type the classifier could not (a tie, a weak winner) or got
/// wrong: the pages as read are analysed again as that type, and the document stays in
/// review with the new fields for the reviewer to check and approve.
async fn set_type(
    s: SignedIn,
    State(st): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, Response> {
    s.csrf_ok(f.get("csrf").map(String::as_str))?;
    let name = f.get("type").cloned().unwrap_or_default();
    let actor = s.actor();
    let (st2, id2) = (st.clone(), id.clone());
    let outcome = blocking(move || {
        if let Lease::Held { by, .. } = st2.store.lease(&id2, &actor, LEASE_MS)? {
            return Ok(Err(format!("{by} is working on this document.")));
        }
        if st2.cfg.doctype(&name).is_none() {
            return Ok(Err(format!("There is no document type {name:?}.")));
        }
        let row = st2.store.get(&id2)?;
        if row.state != DocState::InReview {
            return Err(crate::store::StoreError::Conflict {
                id: id2.clone(),
                state: row.state.as_str().into(),
            }
            .into());
        }
        let Some(old) = row
            .result
            .as_deref()
            .and_then(|j| serde_json::from_str::<TypedDocument>(j).ok())
        else {
            return Ok(Err("The document has no typed result to read again.".into()));
        };
        let pages = st2.store.read_pages(&id2)?;
        let mut guess = old.doc_type.clone();
        guess.reasons.insert(
            0,
            format!(
                "set to {name} by {actor} in review (the classifier said {} at {:.2})",
                old.doc_type.value, old.doc_type.confidence
            ),
        );
        guess.value = name.clone();
        guess.confidence = 1.0;
        guess.uncertain = false;
        let today = chrono::Utc::now().date_naive();
        let book = st2.store.vendors()?;
        let doc = crate::pipeline::analyse_as(
            old.id.clone(),
            old.source.clone(),
            &pages,
            &st2.cfg,
            today,
            guess,
            &book,
        );
        let json = serde_json::to_string(&doc).map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
        })?;
        let change = crate::store::review::Correction {
            field: "doc_type".into(),
            old_value: Some(old.doc_type.value.clone()),
            new_value: Some(name),
            old_raw: None,
            old_confidence: Some(old.doc_type.confidence),
            old_page: None,
            old_bbox: None,
            old_origin: None,
            actor: actor.clone(),
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        };
        st2.store.correct(&id2, &json, &[change])?;
        Ok(Ok(()))
    })
    .await;
    match outcome {
        Ok(Ok(())) => Ok(Redirect::to(&format!("/documents/{id}")).into_response()),
        Ok(Err(msg)) => refused(&s, &st, &id, msg).await,
        Err(e) => Ok(failed(&s, e)),
    }
}

async fn reject(
    s: SignedIn,
    State(st): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, Response> {
    s.csrf_ok(f.get("csrf").map(String::as_str))?;
    let reason = f
        .get("reason")
        .map(|r| r.trim().to_string())
        .unwrap_or_default();
    if reason.is_empty() {
        return Ok(message(
            StatusCode::BAD_REQUEST,
            &s.0,
            "A reason is needed",
            "Say why the document is rejected.",
        ));
    }
    let actor = s.actor();
    let (st2, id2) = (st.clone(), id.clone());
    let r = blocking(move || {
        let seq = st2.store.get(&id2)?.seq;
        // As for approving: not while another reviewer is working on it.
        if let Lease::Held { by, .. } = st2.store.lease(&id2, &actor, LEASE_MS)? {
            return Ok(Err(format!("{by} is working on this document.")));
        }
        st2.store.decide(
            &id2,
            DocState::Rejected,
            &format!("rejected by {actor}: {reason}"),
            &actor,
            None,
        )?;
        st2.store.release(&id2, &actor)?;
        Ok(Ok(seq))
    })
    .await;
    match r {
        Ok(Ok(seq)) => Ok(after_decision(seq)),
        Ok(Err(msg)) => refused(&s, &st, &id, msg).await,
        Err(e) if e.status_code() == StatusCode::CONFLICT => Ok(already_decided(&s)),
        Err(e) => Err(api_err(e)),
    }
}

async fn skip(
    s: SignedIn,
    State(st): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, Response> {
    s.csrf_ok(f.get("csrf").map(String::as_str))?;
    let actor = s.actor();
    let seq = blocking(move || {
        st.store.release(&id, &actor)?;
        Ok(st.store.get(&id)?.seq)
    })
    .await
    .map_err(api_err)?;
    Ok(after_decision(seq))
}

async fn page_image(
    _s: SignedIn,
    State(st): State<AppState>,
    Path((id, n)): Path<(String, u32)>,
) -> Result<Response, Response> {
    let png = blocking(move || page_png(&st, &id, n))
        .await
        .map_err(api_err)?;
    Ok(png_response(png))
}

async fn original(
    _s: SignedIn,
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    super::original_response(st, id).await.map_err(api_err)
}

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

async fn quarantine(s: SignedIn, State(st): State<AppState>) -> Result<Response, Response> {
    admin_list(s, st, DocState::Quarantined, "Quarantine").await
}

async fn duplicates(s: SignedIn, State(st): State<AppState>) -> Result<Response, Response> {
    admin_list(s, st, DocState::Duplicate, "Duplicates").await
}

async fn admin_retry(
    s: SignedIn,
    State(st): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, Response> {
    s.admin()?;
    s.csrf_ok(f.get("csrf").map(String::as_str))?;
    let actor = s.actor();
    blocking(move || Ok(st.store.requeue(&id, &actor)?))
        .await
        .map_err(api_err)?;
    Ok(Redirect::to("/admin/quarantine").into_response())
}

async fn admin_discard(
    s: SignedIn,
    State(st): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, Response> {
    s.admin()?;
    s.csrf_ok(f.get("csrf").map(String::as_str))?;
    let actor = s.actor();
    blocking(move || Ok(st.store.discard(&id, &actor)?))
        .await
        .map_err(api_err)?;
    Ok(Redirect::to("/admin/quarantine").into_response())
}

#[cfg(test)]
pub(crate) mod tests_support {
    pub fn urlencode(s: &str) -> String {
        super::urlencode(s)
    }
}

#[cfg(test)]
mod cookie_tests {
    use super::{cookie, same};
    use axum::http::{header, HeaderMap, HeaderValue};

    #[test]
    fn a_cookie_is_found_among_others_and_across_headers() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; mailroom_session=s3cr3t"),
        );
        h.append(
            header::COOKIE,
            HeaderValue::from_static("theme=dark;other=x"),
        );
        assert_eq!(cookie(&h, "mailroom_session").as_deref(), Some("s3cr3t"));
        assert_eq!(cookie(&h, "other").as_deref(), Some("x"));
        assert_eq!(cookie(&h, "session"), None);
    }

    #[test]
    fn tokens_compare_by_every_byte_and_length() {
        assert!(same("abc123", "abc123"));
        assert!(!same("abc123", "abc124"));
        assert!(!same("abc123", "abc12"));
        assert!(!same("", "a"));
    }
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

async fn vendors(s: SignedIn, State(st): State<AppState>) -> Result<Response, Response> {
    vendors_page(&s, st, None, Vec::new(), String::new()).await
}

async fn import_vendors(
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

async fn reset_vendor(
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

/// Liveness, without a session or token: the process answers.
async fn healthz() -> &'static str {
    "ok\n"
}

/// Readiness, without a session or token: the ledger answers a query (503 when not).
async fn readyz(State(st): State<AppState>) -> Response {
    match blocking(move || Ok(st.store.counts()?)).await {
        Ok(_) => "ready\n".into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: the ledger does not answer: {}\n", e.message),
        )
            .into_response(),
    }
}
