//! What a reviewer decides on a document: the lease while it is open, approve (with
//! corrections), settle its type, reject, skip.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use serde_json::json;

use super::auth::SignedIn;
use super::document::{edits_from_form, render_document};
use super::render::{api_err, message};
use super::words::Lang;
use crate::document::TypedDocument;
use crate::store::users::Lease;
use crate::store::State as DocState;
use crate::web::{blocking, reviewable, ApiError, AppState};

/// How long opening a document holds it; the page renews it every minute.
pub const LEASE_MS: i64 = 5 * 60 * 1000;

pub(super) async fn renew_lease(
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

pub(super) async fn release(
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

pub(super) async fn approve(
    s: SignedIn,
    State(st): State<AppState>,
    Path(id): Path<String>,
    lang: Lang,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, Response> {
    s.csrf_ok(f.get("csrf").map(String::as_str))?;
    let edits = edits_from_form(&f);
    let items = match f.get("items").map(|t| t.trim()).filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => match serde_json::from_str::<serde_json::Value>(t) {
            Ok(v) => Some(v),
            Err(_) => {
                let msg = "Not approved: the line items sent are not readable; reload the page.";
                return refused(&s, &st, &id, msg.into(), lang).await;
            }
        },
    };
    let actor = s.actor();
    let (st2, id2) = (st.clone(), id.clone());
    let outcome = blocking(move || {
        let row = st2.store.get(&id2)?;
        if let Lease::Held { by, .. } = st2.store.lease(&id2, &actor, LEASE_MS)? {
            return Ok(Err(format!("{by} is working on this document.")));
        }
        let (doc, dt) = reviewable(&st2, &id2)?;
        // A typed amount that reads two ways is never posted as one of them.
        let refused = crate::web::typed::strict_refusals(&doc, &dt, &edits);
        if !refused.is_empty() {
            let text: Vec<String> = refused.iter().map(|(f, m)| format!("{f}: {m}")).collect();
            return Ok(Err(format!("Not approved: {}", text.join("; "))));
        }
        let today = crate::document::input::Now::current();
        let not_approved = |errs: Vec<(String, String)>| {
            let text: Vec<String> = errs.iter().map(|(f, m)| format!("{f}: {m}")).collect();
            format!("Not approved: {}", text.join("; "))
        };
        let (mut fixed, mut changes) =
            match crate::pipeline::apply_corrections(&doc, &dt, &edits, &actor, today) {
                Ok(r) => r,
                Err(errs) => return Ok(Err(not_approved(errs))),
            };
        // The line items as the grid left them (sent only when the reviewer changed
        // them), judged against the corrected totals.
        if let Some(items) = items {
            match crate::web::typed::apply_typed_items(&fixed, &dt, &items, &actor, today) {
                Ok((with_items, more)) => {
                    fixed = with_items;
                    changes.extend(more);
                }
                Err(errs) => return Ok(Err(not_approved(errs))),
            }
        }
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
        crate::web::post_reviewed(&st2, &id2, &json, &actor, st2.cfg.web.undo)?;
        st2.store.release(&id2, &actor)?;
        Ok(Ok(row.seq))
    })
    .await;
    match outcome {
        Ok(Ok(seq)) => {
            (st.on_deliveries)();
            // The next document, with "posted — undo" while the window is open.
            if st.cfg.web.undo.is_zero() {
                Ok(after_decision(seq))
            } else {
                Ok(Redirect::to(&format!("/next?after={seq}&posted={id}")).into_response())
            }
        }
        Ok(Err(msg)) => refused(&s, &st, &id, msg, lang).await,
        Err(e) => Ok(failed(&s, e)),
    }
}

/// An action refused with a reason: the document again, with the reason (422).
async fn refused(
    s: &SignedIn,
    st: &AppState,
    id: &str,
    msg: String,
    lang: Lang,
) -> Result<Response, Response> {
    let mut r = render_document(s, st, id, Some(msg), lang, serde_json::Value::Null).await?;
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
pub(super) async fn set_type(
    s: SignedIn,
    State(st): State<AppState>,
    Path(id): Path<String>,
    lang: Lang,
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
        let Some(reads_marks) = st2.cfg.doctype(&name).map(|dt| dt.reads_marks()) else {
            return Ok(Err(format!("There is no document type {name:?}.")));
        };
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
        let mut pages = st2.store.read_pages(&id2)?;
        // A document read as a type without checkboxes or frames was stored without
        // them (`pipeline::reads_marks`): a type that reads them has them looked for
        // on the original now.
        let marked =
            reads_marks && crate::web::shared::find_marks_again(&st2, &row.sha256, &mut pages)?;
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
        let marks: Vec<(u32, &[crate::text::marks::Mark])> = if marked {
            pages.iter().map(|p| (p.number, &p.marks[..])).collect()
        } else {
            Vec::new()
        };
        st2.store
            .correct_with_marks(&id2, &json, &[change], &marks)?;
        Ok(Ok(()))
    })
    .await;
    match outcome {
        Ok(Ok(())) => Ok(Redirect::to(&format!("/documents/{id}")).into_response()),
        Ok(Err(msg)) => refused(&s, &st, &id, msg, lang).await,
        Err(e) => Ok(failed(&s, e)),
    }
}

pub(super) async fn reject(
    s: SignedIn,
    State(st): State<AppState>,
    Path(id): Path<String>,
    lang: Lang,
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
        Ok(Err(msg)) => refused(&s, &st, &id, msg, lang).await,
        Err(e) if e.status_code() == StatusCode::CONFLICT => Ok(already_decided(&s)),
        Err(e) => Err(api_err(e)),
    }
}

/// Undo an approval while its window is open: the document back in review, its
/// deliveries withdrawn, nothing delivered (`Store::undo_posting`); refused, with why,
/// once a delivery has started or the window has passed.
pub(super) async fn undo(
    s: SignedIn,
    State(st): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, Response> {
    s.csrf_ok(f.get("csrf").map(String::as_str))?;
    let actor = s.actor();
    let id2 = id.clone();
    // The undo's own error is the answer's subject, so it comes back inside the Ok.
    let r = blocking(move || Ok(st.store.undo_posting(&id2, &actor)))
        .await
        .map_err(api_err)?;
    use crate::store::search::UndoError;
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/documents/{id}")).into_response()),
        Err(UndoError::Store(e)) => Err(api_err(e.into())),
        Err(e @ (UndoError::TooLate(_) | UndoError::NotPosted(_))) => Ok(message(
            StatusCode::CONFLICT,
            &s.0,
            "Too late to undo",
            &format!("The approval stands: {e}."),
        )),
    }
}

pub(super) async fn skip(
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
