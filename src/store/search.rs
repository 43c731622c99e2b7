//! Search and browse every document (any state), for the review UI's search page and
//! `GET /api/v1/documents`: the filters on the ledger's own columns, and a rough text
//! match on the stored typed document that the caller narrows down. Also the review
//! UI's undo window: an approval whose deliveries wait ([`Store::post_held`]) and its
//! undoing ([`Store::undo_posting`]).
//!
//! Plain SQL on purpose (`LIKE … ESCAPE`, `lower`, comparisons on columns): the same
//! statement runs on PostgreSQL. What needs the typed document's structure (a field's
//! value, the total as a number, the document's date) is judged by the caller on the
//! rows this returns, so no JSON function is needed here.

use super::db::{params, Exec, OptionalExtension, Value as SqlValue};
use super::outbox::now_ms;
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

/// What the ledger can filter on by itself; every part optional.
#[derive(Debug, Default, Clone)]
pub struct Scan {
    pub state: Option<State>,
    pub doc_type: Option<String>,
    /// Case-insensitive substring of the reason the document is in its state.
    pub reason: Option<String>,
    pub received_after: Option<String>,
    pub received_before: Option<String>,
    pub posted_after: Option<String>,
    pub posted_before: Option<String>,
    pub parent: Option<String>,
    /// Each must occur in the id, the name or the stored typed document, case-insensitively
    /// for ASCII letters: a coarse test (it also matches keys and messages) that keeps
    /// most rows from being read. Only ASCII words without `"` or `\` belong here:
    /// the JSON text escapes those, and `lower` folds only ASCII everywhere.
    pub rough_terms: Vec<String>,
    /// Newest first (`seq` descending) instead of in ingest order.
    pub newest_first: bool,
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
                scan.state.map(|s| SqlValue::Text(s.as_str().into())),
            ),
            (" AND doc_type = ?", text(&scan.doc_type)),
            (" AND received_at >= ?", text(&scan.received_after)),
            (" AND received_at < ?", text(&scan.received_before)),
            (" AND posted_at >= ?", text(&scan.posted_after)),
            (" AND posted_at < ?", text(&scan.posted_before)),
            (" AND parent_id = ?", text(&scan.parent)),
            (
                " AND lower(reason) LIKE ? ESCAPE '\\'",
                scan.reason
                    .as_deref()
                    .map(|r| SqlValue::Text(like_contains(r))),
            ),
        ] {
            if let Some(v) = v {
                cond(&mut sql, c, v);
            }
        }
        for t in &scan.rough_terms {
            let n = args.len() + 1;
            args.push(SqlValue::Text(like_contains(t)));
            sql.push_str(&format!(
                " AND (lower(id) LIKE ?{n} ESCAPE '\\' OR lower(name) LIKE ?{n} ESCAPE '\\' \
                   OR lower(result) LIKE ?{n} ESCAPE '\\')"
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
    use crate::store::test_ledger::{on_both_engines, store, Engine};

    on_both_engines!(
        pages_both_ways_without_skipping_or_repeating,
        rough_terms_take_like_wildcards_literally,
        an_approval_is_held_and_undone_only_while_nothing_has_left,
        an_undone_approval_takes_back_exactly_what_it_taught,
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

    fn rough_terms_take_like_wildcards_literally(e: Engine) {
        let dir = tempfile::tempdir().unwrap();
        let (s, ids) = store_with(e, dir.path(), &["inv_100%.png", "inv-100x.png"]);
        let find = |t: &str| -> Vec<String> {
            let scan = Scan {
                rough_terms: vec![t.into()],
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
            state: Some(State::InReview),
            ..Default::default()
        };
        assert!(s.scan_documents(&scan, None, 10).unwrap().is_empty());
    }

    fn an_approval_is_held_and_undone_only_while_nothing_has_left(e: Engine) {
        use crate::store::Notice;
        let dir = tempfile::tempdir().unwrap();
        let (s, ids) = store_with(e, dir.path(), &["a.png"]);
        let id = &ids[0];
        s.transition(id, State::InReview, "doubtful", Some("{}"), None)
            .unwrap();
        let notice = Notice {
            event: "document.posted",
            sinks: vec!["files".into()],
            payload: "{}",
        };
        let post = |until: i64| {
            let change = Change {
                id,
                expect: Some(State::InReview),
                to: State::Posted,
                reason: "approved by ann",
                result: None,
                notice: Some(&notice),
                actor: Some("ann"),
            };
            s.post_held(&change, None, until).unwrap();
        };
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
        use crate::document::vendor::{Habit, Learned, Lesson, Vendor};
        use crate::store::Notice;
        let dir = tempfile::tempdir().unwrap();
        let (s, ids) = store_with(e, dir.path(), &["a.png", "b.png", "c.png"]);
        for id in &ids {
            s.transition(id, State::InReview, "doubtful", Some("{}"), None)
                .unwrap();
        }
        let notice = Notice {
            event: "document.posted",
            sinks: vec!["files".into()],
            payload: "{}",
        };
        let approve = |id: &str, lesson: &Lesson| {
            let change = Change {
                id,
                expect: Some(State::InReview),
                to: State::Posted,
                reason: "approved by ann",
                result: None,
                notice: Some(&notice),
                actor: Some("ann"),
            };
            s.post_held(&change, Some(lesson), now_ms() + 60_000)
                .unwrap();
        };
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
        made.fields.get_mut("invoice_number").unwrap().shapes =
            [("9999".to_string(), 1)].into();
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
        s.transition(&ids[2], State::InReview, "again", None, None)
            .ok();
        approve(&ids[2], &lesson_c);
        let book = s.vendors().unwrap();
        let fjordside = book.iter().find(|v| v.vat_id.as_deref() == Some("DK76692289"));
        assert_eq!(fjordside.unwrap().learned, lesson_c.taught);
    }
}
