//! One document's page: its fields (those that need a look first), pages and words,
//! history and corrections; validation as you type; the page images and the original.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::auth::SignedIn;
use super::decisions::LEASE_MS;
use super::render::{api_err, message, render};
use super::words::{date_could_be, field_label, plain_reason, Lang};
use crate::document::{Origin, TypedDocument};
use crate::store::users::Lease;
use crate::store::State as DocState;
use crate::web::{blocking, page_png, png_response, reviewable, AppState};

/// Where a value came from, for a field the page cannot point at (no box), or came
/// from elsewhere than the page's words.
fn origin_text(origin: Origin, boxed: bool) -> Option<&'static str> {
    Some(match origin {
        Origin::MasterData => "from master data: the vendor book's record, not the page",
        Origin::Derived => "derived: worked out from other fields, not read",
        Origin::Structured => "from the structured e-invoice (XML) attached to the document",
        Origin::Corrected => "typed by a person in review",
        Origin::Ocr | Origin::TextLayer if boxed => return None,
        Origin::Ocr | Origin::TextLayer => "read from the page, but its place was not kept",
    })
}

/// The fields as the page shows them: those that need a look first.
fn field_rows(doc: &TypedDocument, dt: Option<&crate::config::DocType>, lang: &str) -> Vec<Value> {
    let label = |f: &str| field_label(dt, f, lang);
    let mut rows: Vec<(bool, usize, Value)> = Vec::new();
    for (i, (name, f)) in doc.fields.0.iter().enumerate() {
        let spec = dt.and_then(|d| d.fields.iter().find(|s| &s.name == name));
        if spec.is_some_and(|s| !s.extract) && f.is_none() {
            continue;
        }
        let threshold = spec.map_or(0.9, |s| s.threshold);
        let mut why: Vec<String> = doc
            .decision
            .reasons
            .iter()
            .filter(|r| r.contains(name.as_str()))
            .map(|r| plain_reason(r, &label))
            .collect();
        let could_be = f.as_ref().and_then(|f| {
            let is_date = spec.is_some_and(|s| s.kind == crate::config::FieldKind::Date);
            is_date.then(|| date_could_be(&f.raw, &f.value)).flatten()
        });
        let doubtful_date = could_be.is_some();
        why.extend(could_be);
        let level = match f {
            _ if !why.is_empty() && f.as_ref().is_none_or(|f| f.confidence < 0.5) => "bad",
            Some(f) if f.confidence < threshold || !why.is_empty() || doubtful_date => "low",
            _ => "ok",
        };
        let v = json!({
            "name": name,
            "label": label(name),
            "value": f.as_ref().map_or("", |f| f.value.as_str()),
            "raw": f.as_ref().map(|f| f.raw.clone()),
            "confidence_text": f.as_ref().map_or("not found".to_string(), |f| format!("{:.0} %", f.confidence * 100.0)),
            "level": level,
            "why": why.join("; "),
            "choice": f.as_ref().map_or(String::new(), |f| f.reasons.join("; ")),
            "page": f.as_ref().map(|f| f.page),
            "bbox": f.as_ref().and_then(|f| f.bbox),
            "origin": f.as_ref().map(|f| origin_text(f.origin, f.bbox.is_some())),
            // A ticked box or a signature is a yes/no: a toggle, not a text box.
            "toggle": spec.and_then(|s| match s.kind {
                crate::config::FieldKind::Checkbox => Some(["ticked", "not ticked"]),
                crate::config::FieldKind::Signature => Some(["signed", "not signed"]),
                _ => None,
            }),
        });
        rows.push((level == "ok", i, v));
    }
    rows.sort_by_key(|(ok, i, _)| (*ok, *i));
    rows.into_iter().map(|(_, _, v)| v).collect()
}

pub(super) async fn document_page(
    s: SignedIn,
    State(st): State<AppState>,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
    lang: Lang,
) -> Result<Response, Response> {
    // The document approved just before this one: "posted — undo" above this page.
    let undo = match q.get("posted").cloned() {
        Some(p) => {
            let st = st.clone();
            blocking(move || super::queue::undo_offer(&st, &p))
                .await
                .map_err(api_err)?
        }
        None => Value::Null,
    };
    render_document(&s, &st, &id, None, lang, undo).await
}

pub(super) async fn render_document(
    s: &SignedIn,
    st: &AppState,
    id: &str,
    msg: Option<String>,
    Lang(lang): Lang,
    undo: Value,
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
    // The same sender's other documents, to compare with (issue 18).
    let party = crate::document::PARTY_FIELDS
        .iter()
        .copied()
        .find_map(|n| doc.fields.value(n))
        .map(str::to_string);
    let earlier = match party {
        Some(p) => {
            let (st3, id3) = (st.clone(), row.id.clone());
            blocking(move || super::browse::from_the_same(&st3, &p, &id3, 5))
                .await
                .map_err(api_err)?
        }
        None => Vec::new(),
    };
    let read_only = lease_holder.is_some() || row.state != DocState::InReview;
    let dt = st.cfg.doctype(&doc.doc_type.value);
    let fields = field_rows(&doc, dt, lang);
    let label = |f: &str| field_label(dt, f, lang);
    let reasons: Vec<Value> = doc
        .decision
        .reasons
        .iter()
        .map(|r| json!({"text": plain_reason(r, &label), "raw": r}))
        .collect();
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
                // Who uploaded it, for a file taken from the browser or the API.
                "uploaded_by": crate::document::SourceMeta::from_ledger(row.source_meta.as_deref()).uploaded_by,
                "uncertain": doc.doc_type.uncertain,
                "reasons": reasons, "checks": doc.checks, "line_items": doc.line_items,
                // The type reads line items: they are a grid a reviewer may correct.
                "has_items": dt.is_some_and(|d| d.line_items.is_some()),
                "type_confidence": format!("{:.2}", doc.doc_type.confidence),
                // An uncertain type's first reason says how it was read, the second why.
                "type_reason": doc.doc_type.reasons.iter().take(if doc.doc_type.uncertain { 2 } else { 1 })
                    .cloned().collect::<Vec<_>>().join("; "),
                "candidates": doc.doc_type.candidates.iter().take(4)
                    .map(|c| json!({"name": c.name, "confidence": format!("{:.2}", c.confidence)}))
                    .collect::<Vec<_>>(),
            },
            "types": st.cfg.doctypes.iter().map(|d| json!({"name": d.name, "description": d.description})).collect::<Vec<_>>(),
            "lang": lang,
            "fields": fields, "pages": pages, "history": history, "corrections": corrections,
            "earlier": earlier,
            // Read-only: someone else holds the lease (said in red), or the document is
            // decided (its state is the message; nobody need be working on it).
            "read_only": read_only,
            "lease_holder": lease_holder,
            "message": msg,
            "undo": undo,
        }),
    ))
}

/// The corrections a form or a JSON call carries: `f.NAME` (form) or `fields` (JSON).
pub(super) fn edits_from_form(f: &HashMap<String, String>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = f
        .iter()
        .filter_map(|(k, val)| k.strip_prefix("f.").map(|n| (n.to_string(), val.clone())))
        .collect();
    v.sort();
    v
}

/// Validation as you type: every value through the pipeline's parsers, then the
/// checks on the values that parse. Changes nothing.
pub(super) async fn check(
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
        let mut posted = serde_json::Map::new();
        let mut good = Vec::new();
        let refused: HashMap<String, String> =
            crate::web::typed::strict_refusals(&doc, &dt, &edits)
                .into_iter()
                .collect();
        // The currency the amounts are shown in: as typed on the page, else as read.
        let currency = edits
            .iter()
            .find(|(n, _)| n == "currency")
            .map(|(_, v)| v.clone())
            .or_else(|| doc.fields.get("currency").map(|f| f.value.clone()));
        for (name, value) in edits {
            if let Some(e) = refused.get(&name) {
                errors.insert(name, json!(e));
                continue;
            }
            match dt.fields.iter().find(|f| f.name == name) {
                Some(spec) => match crate::extract::input::normalize(spec, &value) {
                    Ok(v) => {
                        let shown = v.as_deref().map_or(json!(""), |v| {
                            crate::web::typed::preview(&dt, &name, v, currency.as_deref())
                        });
                        posted.insert(name.clone(), shown);
                        good.push((name, value));
                    }
                    Err(e) => {
                        errors.insert(name, json!(e));
                    }
                },
                None => {
                    errors.insert(name, json!("no such field"));
                }
            }
        }
        let today = crate::document::input::Now::current();
        let mut fixed = match crate::pipeline::apply_corrections(&doc, &dt, &good, &actor, today) {
            Ok((fixed, _)) => fixed,
            Err(_) => doc.clone(),
        };
        // The line items in the grid, when the page sends them: read strictly, then
        // judged against the totals as typed above (the grid's live sum check).
        if !body["items"].is_null() {
            match crate::web::typed::apply_typed_items(&fixed, &dt, &body["items"], &actor, today)
            {
                Ok((with_items, _)) => fixed = with_items,
                Err(errs) => {
                    for (cell, e) in errs {
                        errors.insert(cell, json!(e));
                    }
                }
            }
        }
        let items_sum = fixed
            .checks
            .iter()
            .find(|c| c.code == crate::document::CheckCode::LineItemsSum);
        Ok(json!({"errors": errors, "posted": posted, "checks": fixed.checks, "items_sum": items_sum}))
    })
    .await
    .map_err(api_err)?;
    Ok(Json(v).into_response())
}

pub(super) async fn page_image(
    _s: SignedIn,
    State(st): State<AppState>,
    Path((id, n)): Path<(String, u32)>,
) -> Result<Response, Response> {
    let png = blocking(move || page_png(&st, &id, n))
        .await
        .map_err(api_err)?;
    Ok(png_response(png))
}

pub(super) async fn original(
    _s: SignedIn,
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    crate::web::original_response(st, id).await.map_err(api_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_without_a_box_says_where_it_came_from() {
        assert!(origin_text(Origin::MasterData, false)
            .unwrap()
            .contains("master data"));
        assert!(origin_text(Origin::Derived, false)
            .unwrap()
            .contains("derived"));
        assert!(origin_text(Origin::Structured, false)
            .unwrap()
            .contains("structured e-invoice"));
        assert!(origin_text(Origin::Corrected, true)
            .unwrap()
            .contains("typed by a person"));
        assert_eq!(origin_text(Origin::Ocr, true), None);
        assert!(origin_text(Origin::Ocr, false).is_some());
    }
}
