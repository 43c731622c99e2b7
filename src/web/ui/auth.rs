//! Who is signed in: session cookies, sign-in and sign-out, the CSRF token, the
//! per-name limit on failed sign-ins.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{FromRequestParts, State};
use axum::http::{header, request::Parts, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde_json::json;

use super::render::{message, render};
use crate::store::users::{Role, Session};
use crate::web::blocking;
use crate::web::AppState;

const SESSION_COOKIE: &str = "mailroom_session";
const LOGIN_CSRF_COOKIE: &str = "mailroom_login_csrf";
const SESSION_TTL_MS: i64 = 12 * 3600 * 1000;

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
    pub(super) fn csrf_ok(&self, token: Option<&str>) -> Result<(), Response> {
        if token.is_some_and(|t| same(t, &self.0.csrf)) {
            Ok(())
        } else {
            Err((StatusCode::FORBIDDEN, "missing or wrong CSRF token").into_response())
        }
    }
    pub(super) fn admin(&self) -> Result<(), Response> {
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
    pub(super) fn actor(&self) -> String {
        self.0.user.name.clone()
    }
}

/// Failed sign-ins per name: after [`MAX_FAILURES`] within [`FAILURE_WINDOW`],
/// further attempts are refused until the window has passed. Counted in the ledger
/// (`Store::admit_sign_in`), before the (slow) hash and in one writing transaction, so
/// the limit holds for parallel guesses and across every `mailroom serve` on it.
const MAX_FAILURES: u32 = 5;
const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);

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

pub(super) async fn login_page() -> Response {
    login_form(None, StatusCode::OK)
}

pub(super) async fn login(
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
    let store = st.store.clone();
    let n = name.clone();
    let secret = tokio::task::spawn_blocking(move || {
        let window = FAILURE_WINDOW.as_millis() as i64;
        if !store.admit_sign_in(&n, MAX_FAILURES, window)? {
            return Ok(Err(()));
        }
        let secret = store.sign_in(&n, &password, SESSION_TTL_MS)?;
        if secret.is_some() {
            store.forgive_sign_ins(&n)?;
        }
        Ok::<_, crate::store::StoreError>(Ok(secret))
    })
    .await;
    match secret {
        Ok(Ok(Err(()))) => login_form(
            Some("Too many failed attempts for this name; wait 15 minutes."),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Ok(Ok(Ok(Some(secret)))) => {
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
        Ok(Ok(Ok(None))) => {
            // Already counted by admit_sign_in().
            login_form(Some("Wrong name or password."), StatusCode::UNAUTHORIZED)
        }
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "sign-in failed").into_response(),
    }
}

pub(super) async fn logout(
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
