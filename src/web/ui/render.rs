//! Templates and the answers built from them: pages, messages, static files, errors.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{json, Value};

use crate::store::users::Session;
use crate::web::ApiError;

static TEMPLATES: LazyLock<minijinja::Environment<'static>> = LazyLock::new(|| {
    let mut env = minijinja::Environment::new();
    for (name, src) in [
        ("base.html", include_str!("../templates/base.html")),
        ("login.html", include_str!("../templates/login.html")),
        ("queue.html", include_str!("../templates/queue.html")),
        ("document.html", include_str!("../templates/document.html")),
        ("message.html", include_str!("../templates/message.html")),
        ("admin.html", include_str!("../templates/admin.html")),
        ("vendors.html", include_str!("../templates/vendors.html")),
        ("search.html", include_str!("../templates/search.html")),
        ("status.html", include_str!("../templates/status.html")),
    ] {
        env.add_template(name, src).expect("templates parse");
    }
    env
});

pub(super) fn render(name: &str, ctx: Value) -> Response {
    match TEMPLATES.get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, template = name, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

pub(super) fn message(status: StatusCode, s: &Session, title: &str, text: &str) -> Response {
    let mut r = render(
        "message.html",
        json!({"user": s.user, "csrf": s.csrf, "title": title, "text": text}),
    );
    *r.status_mut() = status;
    r
}

pub(super) async fn static_file(Path(file): Path<String>) -> Response {
    let (body, ctype) = match file.as_str() {
        "app.css" => (include_str!("../static/app.css"), "text/css"),
        "document.js" => (include_str!("../static/document.js"), "text/javascript"),
        "queue.js" => (include_str!("../static/queue.js"), "text/javascript"),
        "search.js" => (include_str!("../static/search.js"), "text/javascript"),
        "undo.js" => (include_str!("../static/undo.js"), "text/javascript"),
        "time.js" => (include_str!("../static/time.js"), "text/javascript"),
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

pub(super) fn api_err(e: ApiError) -> Response {
    e.into_response()
}
