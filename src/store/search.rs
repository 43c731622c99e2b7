//! Search and browse every document (any state), for the review UI's search page and
//! `GET /api/v1/documents`: the filters on the ledger's own columns and on each
//! document's search keys, which the caller narrows down exactly. Also the review
//! UI's undo window: an approval whose deliveries wait ([`Store::post_held`]) and its
//! undoing ([`Store::undo_posting`]).
//!
//! What a search looks at in the typed documents (their texts, vendor, total, dates)
//! is kept beside them in `document_search`, written with every result ([`keys`]), so
//! a search reads a narrow row per document instead of parsing every typed document:
//! at 10,000 documents a search that matched nothing took 0.7–2.3 s that way (p95
//! 3–12 ms now, `benches/review.rs`). Plain SQL
//! on purpose (`LIKE … ESCAPE`, comparisons on columns): the same statement runs on
//! PostgreSQL. A substring match (`2024-99` finds `INV-2024-9901`) over that narrow
//! table is a few milliseconds at that size (measured on SQLite), so no text index
//! (SQLite FTS5, PostgreSQL `pg_trgm`) is needed yet; see docs/ARCHITECTURE.md.

use super::db::{self, params, Exec, OptionalExtension, Tx, Value as SqlValue};
use super::outbox::now_ms;
use super::review::DocumentFilter;
use super::{apply, row_to_doc, Change, DocumentRow, State, Store, StoreError};
use crate::document::vendor::Lesson;

/// An undo refused at the last moment would race the dispatcher that takes the
/// deliveries when the window ends: the window closes for undoing this much earlier.
pub const UNDO_MARGIN_MS: i64 = 2_000;

/// Why an approval could not be undone.
#[derive(Debug, thiserror::Error)]
pub enum UndoError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("document {0} is not posted")]
    NotPosted(String),
    /// Its undo window has passed, or a delivery has started or gone out.
    #[error("too late: {0}")]
    TooLate(String),
}

/// What the ledger can filter on by itself; every part optional: the queue's filter
/// (its `vendor` compared with the search key, so given lower-cased) and a search's
/// words, amounts and dates.
#[derive(Debug, Default, Clone)]
pub struct Scan {
    pub filter: DocumentFilter,
    /// Each must occur (lower-cased) in one of the document's [`search_texts`].
    pub terms: Vec<String>,
    /// Bounds on the total, inclusive: coarse (a number, not a decimal), so a caller
    /// that needs them exact checks the rows again.
    pub total_min: Option<f64>,
    pub total_max: Option<f64>,
    /// Documents that have a date in their fields on or after `date_from` and one on
    /// or before `date_to` (`YYYY-MM-DD`): the rows the document's own date can
    /// match, which the caller picks out.
    pub date_from: Option<String>,
    pub date_to: Option<String>,
    /// Newest first (`seq` descending) instead of in ingest order.
    pub newest_first: bool,
}

/// The texts a free-text search looks in, lower-cased: the document's id, its file
/// name, every field's value and text as read, and its line items' descriptions.
pub fn search_texts(id: &str, name: &str, doc: &serde_json::Value) -> Vec<String> {
    let mut texts = vec![id.to_lowercase(), name.to_lowercase()];
    if let Some(map) = doc["fields"].as_object() {
        for f in map.values() {
            for k in ["value", "raw"] {
                if let Some(s) = f[k].as_str() {
                    texts.push(s.to_lowercase());
                }
            }
        }
    }
    if let Some(items) = doc["line_items"].as_array() {
        texts.extend(
            items
                .iter()
                .filter_map(|i| i["description"].as_str())
                .map(str::to_lowercase),
        );
    }
    texts
}

/// A document's row in `document_search` (see its migration): what the filters of
/// [`Scan`] compare, so that a search never reads the typed documents of rows that
/// cannot match.
struct Keys {
    /// The document's type (`doc_type.value`), for the review queue's counts and filter.
    doc_type: Option<String>,
    text: String,
    vendor: String,
    total: Option<f64>,
    date_min: Option<String>,
    date_max: Option<String>,
}

fn keys(id: &str, name: &str, result: Option<&str>) -> Keys {
    let doc: serde_json::Value = result
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_default();
    let fields = &doc["fields"];
    let value = |n: &str| fields[n]["value"].as_str();
    let dates: Vec<&str> = fields
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
        .filter_map(|f| f["value"].as_str())
        .filter(|v| chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok() && v.len() == 10)
        .collect();
    Keys {
        doc_type: doc["doc_type"]["value"].as_str().map(str::to_string),
        text: search_texts(id, name, &doc).join("\n"),
        vendor: crate::document::PARTY_FIELDS
            .iter()
            .copied()
            .filter_map(value)
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join("\n"),
        total: value("total").and_then(|t| t.parse().ok()),
        date_min: dates.iter().min().map(|d| d.to_string()),
        date_max: dates.iter().max().map(|d| d.to_string()),
    }
}

/// Write document `id`'s search row from its name and `result` (its typed document
/// as just written), inside the transaction that wrote them.
pub(super) fn index_document(tx: &mut Tx<'_>, id: &str, result: Option<&str>) -> db::Result<()> {
    let name: Option<String> = tx
        .query_row(
            "SELECT name FROM documents WHERE id = ?1",
            params![id],
            |r| r.get(0),
        )
        .optional()?;
    match name {
        Some(name) => write_keys(tx, id, &name, result, Write::Replace),
        None => Ok(()),
    }
}

/// Whether a search row already there is replaced (the document was just written) or
/// kept (it was written after the caller read the document).
#[derive(Clone, Copy)]
enum Write {
    Replace,
    Keep,
}

fn write_keys(
    tx: &mut Tx<'_>,
    id: &str,
    name: &str,
    result: Option<&str>,
    write: Write,
) -> db::Result<()> {
    let k = keys(id, name, result);
    let on_conflict = match write {
        Write::Replace => {
            "DO UPDATE SET text = excluded.text, vendor = excluded.vendor,
             total = excluded.total, date_min = excluded.date_min, date_max = excluded.date_max,
             doc_type = excluded.doc_type"
        }
        Write::Keep => "DO NOTHING",
    };
    tx.execute(
        &format!(
            "INSERT INTO document_search (seq, text, vendor, total, date_min, date_max, doc_type)
             SELECT seq, ?2, ?3, ?4, ?5, ?6, ?7 FROM documents WHERE id = ?1
             ON CONFLICT (seq) {on_conflict}"
        ),
        params![id, k.text, k.vendor, k.total, k.date_min, k.date_max, k.doc_type],
    )?;
    Ok(())
}

/// The search row of a document just ingested (no typed document yet).
pub(super) fn index_new(tx: &mut Tx<'_>, id: &str, name: &str) -> db::Result<()> {
    write_keys(tx, id, name, None, Write::Replace)
}

/// Give every document without a search row one (a ledger from before
/// `document_search`), a batch at a time; on open, so searches never miss them. The
/// documents are read before the transaction that writes their rows: a row another
/// process wrote in between, from a newer result, is kept.
pub(super) fn index_missing(c: &mut super::db::Conn) -> db::Result<usize> {
    let mut done = 0;
    loop {
        let rows: Vec<(String, String, Option<String>)> = c.query_map(
            "SELECT id, name, result FROM documents d
             WHERE NOT EXISTS (SELECT 1 FROM document_search s WHERE s.seq = d.seq)
             ORDER BY seq LIMIT 500",
            params![],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        if rows.is_empty() {
            return Ok(done);
        }
        let mut tx = c.transaction()?;
        for (id, name, result) in &rows {
            write_keys(&mut tx, id, name, result.as_deref(), Write::Keep)?;
        }
        tx.commit()?;
        done += rows.len();
    }
}

/// `%`, `_` and `\` taken literally in a `LIKE … ESCAPE '\'` pattern.
fn like_contains(term: &str) -> String {
    let mut p = String::from("%");
    for c in term.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

impl Store {
    /// At most `limit` documents matching `scan`, after the document with `seq`
    /// `after` in the scan's order (`None`: from the start). Keyset pagination on
    /// `seq`: paging never skips or repeats a document.
    pub fn scan_documents(
        &self,
        scan: &Scan,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<DocumentRow>, StoreError> {
        let mut sql = String::from(select_documents!("WHERE 1 = 1"));
        let mut args: Vec<SqlValue> = Vec::new();
        let mut cond = |sql: &mut String, c: &str, v: SqlValue| {
            args.push(v);
            sql.push_str(&c.replace('?', &format!("?{}", args.len())));
        };
        if let Some(a) = after {
            let c = if scan.newest_first {
                " AND seq < ?"
            } else {
                " AND seq > ?"
            };
            cond(&mut sql, c, SqlValue::Int(a));
        }
        let text = |s: &Option<String>| s.clone().map(SqlValue::Text);
        for (c, v) in [
            (
                " AND state = ?",
                scan.filter.state.map(|s| SqlValue::Text(s.as_str().into())),
            ),
            (" AND doc_type = ?", text(&scan.filter.doc_type)),
            (" AND received_at >= ?", text(&scan.filter.received_after)),
            (" AND received_at < ?", text(&scan.filter.received_before)),
            (" AND posted_at >= ?", text(&scan.filter.posted_after)),
            (" AND posted_at < ?", text(&scan.filter.posted_before)),
            (" AND parent_id = ?", text(&scan.filter.parent)),
            (
                " AND lower(reason) LIKE ? ESCAPE '\\'",
                scan.filter
                    .reason
                    .as_deref()
                    .map(|r| SqlValue::Text(like_contains(r))),
            ),
        ] {
            if let Some(v) = v {
                cond(&mut sql, c, v);
            }
        }
        let mut keyed = String::new();
        for t in &scan.terms {
            cond(
                &mut keyed,
                " AND text LIKE ? ESCAPE '\\'",
                SqlValue::Text(like_contains(t)),
            );
        }
        let real = |v: Option<f64>| v.map(SqlValue::Real);
        for (c, v) in [
            (
                " AND vendor LIKE ? ESCAPE '\\'",
                scan.filter
                    .vendor
                    .as_deref()
                    .map(|v| SqlValue::Text(like_contains(v))),
            ),
            (" AND total >= ?", real(scan.total_min)),
            (" AND total <= ?", real(scan.total_max)),
            (" AND date_max >= ?", text(&scan.date_from)),
            (" AND date_min <= ?", text(&scan.date_to)),
        ] {
            if let Some(v) = v {
                cond(&mut keyed, c, v);
            }
        }
        if !keyed.is_empty() {
            sql.push_str(&format!(
                " AND seq IN (SELECT seq FROM document_search WHERE 1 = 1{keyed})"
            ));
        }
        args.push(SqlValue::Int(limit as i64));
        sql.push_str(&format!(
            " ORDER BY seq {} LIMIT ?{}",
            if scan.newest_first { "DESC" } else { "ASC" },
            args.len()
        ));
        let params: Vec<&dyn super::db::Param> =
            args.iter().map(|a| a as &dyn super::db::Param).collect();
        self.with(|c| c.query_map(&sql, &params, row_to_doc))
    }
}

impl Store {
    /// Post a document a person approved (`change`, with what it `taught`) as
    /// [`Store::change_and_learn`] does, with its deliveries held until `until_ms`
    /// (Unix ms), all in one transaction: no dispatcher can see a delivery of this
    /// posting before its hold, so nothing leaves while it can still be undone.
    pub(crate) fn post_held(
        &self,
        change: &Change<'_>,
        taught: Option<&Lesson>,
        until_ms: i64,
    ) -> Result<(), StoreError> {
        self.decide_and_learn(change, taught, |tx| {
            // The retry window (window_start) starts with the hold, not before it.
            tx.execute(
                "UPDATE outbox SET next_attempt_at = ?2, window_start = ?2
                 WHERE document_id = ?1 AND state = 'pending' AND attempts = 0
                   AND revision = (SELECT MAX(id) FROM transitions WHERE document_id = ?1)",
                params![change.id, until_ms],
            )?;
            Ok(())
        })
    }

    /// Until when (Unix ms) the last posting of `id` may be undone, if it is posted
    /// and none of its deliveries has started.
    pub fn undo_until(&self, id: &str) -> Result<Option<i64>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT MIN(o.next_attempt_at) - ?2, MAX(o.attempts), COUNT(*)
                 FROM documents d JOIN outbox o ON o.document_id = d.id
                 WHERE d.id = ?1 AND d.state = 'posted' AND o.state = 'pending'
                   AND o.revision = (SELECT MAX(id) FROM transitions WHERE document_id = ?1)",
                params![id, UNDO_MARGIN_MS],
                |r| {
                    Ok((
                        r.get::<Option<i64>>(0)?,
                        r.get::<Option<i64>>(1)?,
                        r.get::<i64>(2)?,
                    ))
                },
            )
            .optional()
        })
        .map(|row| match row {
            Some((Some(until), Some(0), n)) if n > 0 && until > now_ms() => Some(until),
            _ => None,
        })
    }

    /// Undo a person's approval: the document goes back to review, the posting's
    /// deliveries are withdrawn and what it taught the vendor book is taken back
    /// (`vendors::untaught`), in one transaction, only while every one of them is
    /// still pending, never started, and its hold more than [`UNDO_MARGIN_MS`] away.
    /// Otherwise nothing changes and [`UndoError::TooLate`] says why.
    pub fn undo_posting(&self, id: &str, actor: &str) -> Result<(), UndoError> {
        let outcome = self.with(|c| {
            let mut tx = c.immediate()?;
            let state: Option<String> = tx
                .query_row(
                    "SELECT state FROM documents WHERE id = ?1",
                    params![id],
                    |r| r.get(0),
                )
                .optional()?;
            match state.as_deref() {
                None => return Ok(Err(UndoError::Store(StoreError::NotFound(id.into())))),
                Some(s) if s != State::Posted.as_str() => {
                    return Ok(Err(UndoError::NotPosted(id.into())))
                }
                _ => {}
            }
            let revision: i64 = tx.query_row(
                "SELECT MAX(id) FROM transitions WHERE document_id = ?1",
                params![id],
                |r| r.get(0),
            )?;
            let rows: Vec<(String, String, i64, i64)> = tx.query_map(
                "SELECT sink, state, attempts, next_attempt_at FROM outbox
                 WHERE document_id = ?1 AND revision = ?2 ORDER BY id",
                params![id, revision],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
            // The time is read inside the transaction, after its write lock is held.
            let now = now_ms();
            if let Some((sink, ..)) = rows.iter().find(|(_, st, n, _)| st != "pending" || *n > 0) {
                return Ok(Err(UndoError::TooLate(format!(
                    "the delivery to {sink} has started or gone out"
                ))));
            }
            if rows.is_empty() || rows.iter().any(|(.., at)| now >= at - UNDO_MARGIN_MS) {
                return Ok(Err(UndoError::TooLate(
                    "the undo window has passed; its deliveries are on their way".into(),
                )));
            }
            tx.execute(
                "DELETE FROM outbox WHERE document_id = ?1 AND revision = ?2",
                params![id, revision],
            )?;
            super::vendors::untaught(&mut tx, id, revision)?;
            let reason = format!("approval undone by {actor}");
            let r = apply(
                &mut tx,
                &Change {
                    id,
                    expect: Some(State::Posted),
                    to: State::InReview,
                    reason: &reason,
                    result: None,
                    notice: None,
                    actor: Some(actor),
                },
            )?;
            if r.is_err() {
                return Ok(r.map_err(UndoError::Store));
            }
            tx.execute(
                "UPDATE documents SET posted_at = NULL WHERE id = ?1",
                params![id],
            )?;
            tx.commit()?;
            Ok(Ok(()))
        });
        outcome.map_err(UndoError::Store)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::vendor::Lesson;
    use crate::store::test_ledger::{on_both_engines, store, Engine};

    on_both_engines!(
        pages_both_ways_without_skipping_or_repeating,
        terms_take_like_wildcards_literally,
        an_approval_is_held_and_undone_only_while_nothing_has_left,
        an_undone_approval_takes_back_exactly_what_it_taught,
        an_undo_after_a_reset_keeps_the_record_another_approval_taught,
        search_keys_follow_every_write_and_older_documents_get_them_on_open,
    );

    fn store_with(e: Engine, dir: &std::path::Path, names: &[&str]) -> (Store, Vec<String>) {
        let s = store(e, dir);
        let mut ids = Vec::new();
        for n in names {
            let f = dir.join(n);
            std::fs::write(&f, n.as_bytes()).unwrap();
            ids.push(s.ingest(&f).unwrap().id().to_string());
        }
        (s, ids)
    }

    /// Ann approves `id` (in review), teaching `lesson`, its delivery to `files` held
    /// until `until` (Unix ms).
    fn approve_held(s: &Store, id: &str, lesson: Option<&Lesson>, until: i64) {
        let notice = crate::store::Notice {
            event: "document.posted",
            sinks: vec!["files".into()],
            payload: "{}",
        };
        let change = Change {
            id,
            expect: Some(State::InReview),
            to: State::Posted,
            reason: "approved by ann",
            result: None,
            notice: Some(&notice),
            actor: Some("ann"),
        };
        s.post_held(&change, lesson, until).unwrap();
    }

    fn pages_both_ways_without_skipping_or_repeating(e: Engine) {
        let dir = tempfile::tempdir().unwrap();
        let (s, ids) = store_with(
            e,
            dir.path(),
            &["a.png", "b.png", "c.png", "d.png", "e.png"],
        );
        for newest_first in [false, true] {
            let scan = Scan {
                newest_first,
                ..Default::default()
            };
            let mut seen = Vec::new();
            let mut after = None;
            loop {
                let rows = s.scan_documents(&scan, after, 2).unwrap();
                if rows.is_empty() {
                    break;
                }
                after = rows.last().map(|r| r.seq);
                seen.extend(rows.into_iter().map(|r| r.id));
            }
            let mut want = ids.clone();
            if newest_first {
                want.reverse();
            }
            assert_eq!(seen, want);
        }
    }

    fn terms_take_like_wildcards_literally(e: Engine) {
        let dir = tempfile::tempdir().unwrap();
        let (s, ids) = store_with(e, dir.path(), &["inv_100%.png", "inv-100x.png"]);
        let find = |t: &str| -> Vec<String> {
            let scan = Scan {
                terms: vec![t.into()],
                ..Default::default()
            };
            s.scan_documents(&scan, None, 10)
                .unwrap()
                .into_iter()
                .map(|r| r.id)
                .collect()
        };
        assert_eq!(find("INV_100%"), vec![ids[0].clone()]);
        assert_eq!(find("inv-100"), vec![ids[1].clone()]);
        assert_eq!(find("inv"), ids);
        let scan = Scan {
            filter: DocumentFilter {
                state: Some(State::InReview),
                ..Default::default()
            },
            ..Default::default()
        };
        assert!(s.scan_documents(&scan, None, 10).unwrap().is_empty());
    }

    fn an_approval_is_held_and_undone_only_while_nothing_has_left(e: Engine) {
        let dir = tempfile::tempdir().unwrap();
        let (s, ids) = store_with(e, dir.path(), &["a.png"]);
        let id = &ids[0];
        s.transition(id, State::InReview, "doubtful", Some("{}"), None)
            .unwrap();
        let post = |until: i64| approve_held(&s, id, None, until);
        // Held for 10 s: nothing is due, and the approval can be undone.
        post(now_ms() + 10_000);
        assert!(s.due_deliveries("files", 10).unwrap().is_empty());
        assert!(s.undo_until(id).unwrap().is_some());
        s.undo_posting(id, "ann").unwrap();
        assert_eq!(s.get(id).unwrap().state, State::InReview);
        assert!(s.get(id).unwrap().posted_at.is_none());
        assert!(s.deliveries_of(id).unwrap().is_empty());
        assert!(matches!(
            s.undo_posting(id, "ann"),
            Err(UndoError::NotPosted(_))
        ));
        // Within the margin before the hold ends: too late, nothing changes.
        s.transition(id, State::InReview, "again", None, None).ok();
        post(now_ms() + UNDO_MARGIN_MS / 2);
        assert!(s.undo_until(id).unwrap().is_none());
        assert!(matches!(
            s.undo_posting(id, "ann"),
            Err(UndoError::TooLate(_))
        ));
        assert_eq!(s.get(id).unwrap().state, State::Posted);
        // A delivery started (the hold passed): too late, and it stays.
        s.transition(id, State::InReview, "again", None, None)
            .unwrap();
        post(now_ms() - 1);
        let due = s.due_deliveries("files", 10).unwrap();
        let d = due
            .iter()
            .filter(|d| &d.document_id == id)
            .max_by_key(|d| d.id)
            .unwrap();
        s.delivery_started(d.id).unwrap();
        let e = s.undo_posting(id, "ann").unwrap_err();
        assert!(e.to_string().contains("has started or gone out"), "{e}");
        assert_eq!(s.get(id).unwrap().state, State::Posted);
    }

    /// Issue 18: undoing an approval takes back what it taught the vendor book and
    /// nothing else: another approval of the same supplier made during the undo window
    /// keeps its lesson, a record part the approval filled in is emptied again, and a
    /// supplier's record that the undone approval made goes with it.
    fn an_undone_approval_takes_back_exactly_what_it_taught(e: Engine) {
        use crate::document::vendor::{Habit, Learned, Vendor};
        let dir = tempfile::tempdir().unwrap();
        let (s, ids) = store_with(e, dir.path(), &["a.png", "b.png", "c.png"]);
        for id in &ids {
            s.transition(id, State::InReview, "doubtful", Some("{}"), None)
                .unwrap();
        }
        let approve =
            |id: &str, lesson: &Lesson| approve_held(&s, id, Some(lesson), now_ms() + 60_000);
        let taught = |label: &str| {
            let mut habit = Habit {
                found: 1,
                ..Default::default()
            };
            habit.labels.insert(label.into(), 1);
            Learned {
                documents: 1,
                fields: [("invoice_number".to_string(), habit)].into(),
                types: [("invoice".to_string(), 1)].into(),
            }
        };
        // A supplier approvals made, with one approval behind it and no BIC yet.
        let mut made = taught("invoice no");
        made.fields.get_mut("invoice_number").unwrap().shapes = [("9999".to_string(), 1)].into();
        s.import_vendors(&[Vendor {
            name: "Nordlys ApS".into(),
            vat_id: Some("DK13585628".into()),
            source: "approval".into(),
            learned: made,
            ..Default::default()
        }])
        .unwrap();
        let before = s.vendors().unwrap();
        let nordlys = before[0].clone();
        // Document a teaches a new label and fills in the BIC; b, approved while a can
        // still be undone, teaches the old label again.
        let lesson_a = Lesson {
            vendor: Vendor {
                bic: Some("DABADKKK".into()),
                ..nordlys.clone()
            },
            taught: taught("fakturanr"),
            filled: [("bic".to_string(), "DABADKKK".to_string())].into(),
        };
        let lesson_b = Lesson {
            vendor: nordlys.clone(),
            taught: taught("invoice no"),
            filled: Default::default(),
        };
        approve(&ids[0], &lesson_a);
        approve(&ids[1], &lesson_b);
        let both = s.vendor(nordlys.id).unwrap().unwrap();
        assert_eq!(both.learned.documents, 3, "both approvals counted");
        assert_eq!(both.bic.as_deref(), Some("DABADKKK"));
        s.undo_posting(&ids[0], "ann").unwrap();
        let mut want = nordlys.learned.clone();
        want.add(&lesson_b.taught);
        let after = s.vendor(nordlys.id).unwrap().unwrap();
        assert_eq!(after.learned, want, "b's lesson stays, a's is gone");
        assert!(!after.learned.fields["invoice_number"]
            .labels
            .contains_key("fakturanr"));
        assert_eq!(after.bic, None, "the BIC a filled in is taken back");
        // A first-time supplier's record, made by the approval of c, goes with its undo.
        let lesson_c = Lesson {
            vendor: Vendor {
                name: "Fjordside Tømrer A/S".into(),
                vat_id: Some("DK76692289".into()),
                ibans: vec!["DK5000400440116243".into()],
                source: "approval".into(),
                learned: taught("nr"),
                ..Default::default()
            },
            taught: taught("nr"),
            filled: Default::default(),
        };
        approve(&ids[2], &lesson_c);
        assert_eq!(s.vendors().unwrap().len(), 2);
        s.undo_posting(&ids[2], "ann").unwrap();
        let book = s.vendors().unwrap();
        assert_eq!(book.len(), 1, "{book:?}");
        assert_eq!(book[0].learned, want);
        // Approved again, it teaches again, once.
        approve(&ids[2], &lesson_c);
        let book = s.vendors().unwrap();
        let fjordside = book
            .iter()
            .find(|v| v.vat_id.as_deref() == Some("DK76692289"));
        assert_eq!(fjordside.unwrap().learned, lesson_c.taught);
    }

    /// A record the first approval made, which a second approval taught too, stays when
    /// the supplier's learning is reset and the first approval is then undone: the
    /// second is still posted.
    fn an_undo_after_a_reset_keeps_the_record_another_approval_taught(e: Engine) {
        use crate::document::vendor::{Learned, Vendor};
        let dir = tempfile::tempdir().unwrap();
        let (s, ids) = store_with(e, dir.path(), &["a.png", "b.png"]);
        for id in &ids {
            s.transition(id, State::InReview, "doubtful", Some("{}"), None)
                .unwrap();
        }
        let once = Learned {
            documents: 1,
            types: [("invoice".to_string(), 1)].into(),
            ..Default::default()
        };
        let made = Vendor {
            name: "Fjordside Tømrer A/S".into(),
            vat_id: Some("DK76692289".into()),
            source: "approval".into(),
            learned: once.clone(),
            ..Default::default()
        };
        let lesson = |vendor: Vendor| Lesson {
            vendor,
            taught: once.clone(),
            filled: Default::default(),
        };
        approve_held(&s, &ids[0], Some(&lesson(made)), now_ms() + 60_000);
        let record = s.vendors().unwrap()[0].clone();
        approve_held(
            &s,
            &ids[1],
            Some(&lesson(record.clone())),
            now_ms() + 60_000,
        );
        assert_eq!(s.vendor(record.id).unwrap().unwrap().learned.documents, 2);
        assert!(s.reset_learning(record.id).unwrap());
        s.undo_posting(&ids[0], "ann").unwrap();
        let book = s.vendors().unwrap();
        assert_eq!(book.len(), 1, "the record b's posting relies on is gone");
        assert_eq!(book[0].learned.documents, 0, "{book:?}");
    }

    /// Issue 18 (search at 10,000 documents): the filters compare `document_search`,
    /// which follows a document's name at ingest and its typed document at every
    /// write (a correction too), folds non-ASCII letters as the exact check does, and
    /// is filled for documents that were in the ledger before it existed.
    fn search_keys_follow_every_write_and_older_documents_get_them_on_open(e: Engine) {
        use crate::store::test_ledger::Ledger;
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::new(e, dir.path());
        let s = ledger.open();
        let mut ids = Vec::new();
        for n in ["scan-a.png", "scan-b.png", "scan-c.png"] {
            let f = dir.path().join(n);
            std::fs::write(&f, n.as_bytes()).unwrap();
            ids.push(s.ingest(&f).unwrap().id().to_string());
        }
        let doc = |vendor: &str, total: &str, date: &str, due: &str| {
            serde_json::json!({
                "doc_type": {"value": "invoice"},
                "fields": {
                    "vendor_name": {"value": vendor, "raw": vendor.to_uppercase()},
                    "invoice_date": {"value": date, "raw": date},
                    "due_date": {"value": due},
                    "total": {"value": total},
                    "purchase_order": null,
                },
                "line_items": [{"description": "Rørbøjning 22 mm"}],
            })
            .to_string()
        };
        let a = doc("Østerlund VVS A/S", "1234.50", "2026-03-07", "2026-04-06");
        let b = doc("Nordlys ApS", "99.00", "2025-01-02", "2025-02-01");
        s.transition(&ids[0], State::InReview, "doubtful", Some(&a), None)
            .unwrap();
        s.transition(&ids[1], State::InReview, "doubtful", Some(&b), None)
            .unwrap();
        let find = |scan: Scan| -> Vec<String> {
            s.scan_documents(&scan, None, 10)
                .unwrap()
                .into_iter()
                .map(|r| r.id)
                .collect()
        };
        let terms = |t: &[&str]| Scan {
            terms: t.iter().map(|t| t.to_string()).collect(),
            ..Default::default()
        };
        let (a_id, b_id, c_id) = (ids[0].clone(), ids[1].clone(), ids[2].clone());
        assert_eq!(find(terms(&["østerlund"])), [a_id.as_str()]);
        assert_eq!(find(terms(&["rørbøjning", "nordlys"])), [b_id.as_str()]);
        // A document without a typed result is found by its name and id.
        assert_eq!(find(terms(&["scan-c"])), [c_id.as_str()]);
        assert_eq!(find(terms(&[&c_id.to_lowercase()])), [c_id.as_str()]);
        assert!(find(terms(&["østerlund", "nordlys"])).is_empty());
        let vendor = Scan {
            filter: DocumentFilter {
                vendor: Some("østerlund vvs".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(find(vendor), [a_id.as_str()]);
        let total = Scan {
            total_min: Some(100.0),
            ..Default::default()
        };
        assert_eq!(find(total), [a_id.as_str()]);
        let dates = Scan {
            date_from: Some("2025-01-15".into()),
            date_to: Some("2025-12-31".into()),
            ..Default::default()
        };
        assert_eq!(find(dates), [b_id.as_str()], "between its dates");
        let dates = Scan {
            date_from: Some("2025-03-01".into()),
            ..Default::default()
        };
        assert_eq!(find(dates), [a_id.as_str()]);
        // A correction is searched for at once; what it replaced no longer is.
        let corrected = doc("Lyngholm A/S", "1234.50", "2026-03-07", "2026-04-06");
        s.correct(&a_id, &corrected, &[]).unwrap();
        assert_eq!(find(terms(&["lyngholm"])), [a_id.as_str()]);
        assert!(find(terms(&["østerlund"])).is_empty());
        // The queue's counts by type and its type filter read the type from the keys,
        // so they follow a document read again as another type.
        let mut as_receipt: serde_json::Value = serde_json::from_str(&b).unwrap();
        as_receipt["doc_type"]["value"] = "receipt".into();
        s.correct(&b_id, &as_receipt.to_string(), &[]).unwrap();
        let counts = |s: &Store| {
            let (total, mut types) = s.review_counts().unwrap();
            types.sort();
            (total, types)
        };
        let by_type = vec![("invoice".to_string(), 1), ("receipt".to_string(), 1)];
        assert_eq!(counts(&s), (2, by_type.clone()));
        let of_type = |s: &Store, t: &str| -> Vec<String> {
            let filter = crate::store::review::DocumentFilter {
                doc_type: Some(t.into()),
                ..Default::default()
            };
            s.find_documents(&filter, 0, 10)
                .unwrap()
                .into_iter()
                .map(|r| r.id)
                .collect()
        };
        assert_eq!(of_type(&s, "receipt"), [b_id.as_str()]);
        assert_eq!(of_type(&s, "invoice"), [a_id.as_str()]);
        // A ledger from before the keys: filled in when it is opened.
        s.with(|c| c.execute("DELETE FROM document_search", params![]))
            .unwrap();
        assert!(find(terms(&["lyngholm"])).is_empty());
        drop(s);
        let s = ledger.open();
        let found: Vec<String> = s
            .scan_documents(&terms(&["scan"]), None, 10)
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(found, ids);
        let scan = terms(&["lyngholm"]);
        assert_eq!(s.scan_documents(&scan, None, 10).unwrap()[0].id, a_id);
        assert_eq!(counts(&s), (2, by_type));
        assert_eq!(of_type(&s, "receipt"), [b_id.as_str()]);
    }
}
