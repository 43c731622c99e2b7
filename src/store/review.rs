//! What people (and systems acting for them) do to documents: corrections with their
//! audit trail, approve and reject, and the queries the API and review UI list with.

use super::db::{self, params, Exec, OptionalExtension};

use super::{now, row_to_doc, Change, DocumentRow, Notice, State, Store, StoreError};

/// A page as read: its size after normalisation and how it got there.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PageInfo {
    pub number: u32,
    pub width: u32,
    pub height: u32,
    pub transform: crate::text::Transform,
    /// Where the words came from: `ocr` or the PDF's `text_layer`.
    pub origin: crate::document::Origin,
    /// Checkboxes and signature boxes found on the page image.
    #[serde(default)]
    pub marks: Vec<crate::text::marks::Mark>,
    /// QR codes found on the page image (payment evidence when it is read again).
    #[serde(default)]
    pub codes: Vec<crate::text::Code>,
}

impl PageInfo {
    /// What the ledger keeps of a page read: its geometry and its words.
    pub fn of(page: &crate::text::Page) -> (PageInfo, Vec<PageWord>) {
        let info = PageInfo {
            number: page.number,
            width: page.width,
            height: page.height,
            transform: page.transform,
            origin: page.origin,
            marks: page.marks.clone(),
            codes: page.codes.clone(),
        };
        let words = page
            .words
            .iter()
            .map(|w| {
                (
                    w.text.clone(),
                    w.conf,
                    w.bbox[0],
                    w.bbox[1],
                    w.bbox[2],
                    w.bbox[3],
                )
            })
            .collect();
        (info, words)
    }
}

/// One word as the review page shows it: `[text, confidence, x0, y0, x1, y1]`
/// (compact: a page has hundreds).
pub type PageWord = (String, f32, u32, u32, u32, u32);

/// One field changed by a person.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Correction {
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub old_raw: Option<String>,
    pub old_confidence: Option<f64>,
    pub old_page: Option<u32>,
    pub old_bbox: Option<[u32; 4]>,
    pub old_origin: Option<String>,
    pub actor: String,
    pub at: String,
}

/// Filters for listing documents; every one optional.
#[derive(Debug, Default, Clone)]
pub struct DocumentFilter {
    pub state: Option<State>,
    pub doc_type: Option<String>,
    /// Case-insensitive substring of the sender's name (a supplier's or a
    /// merchant's: `document::PARTY_FIELDS`).
    pub vendor: Option<String>,
    /// Case-insensitive substring of the reason the document is in its state.
    pub reason: Option<String>,
    pub received_after: Option<String>,
    pub received_before: Option<String>,
    pub posted_after: Option<String>,
    pub posted_before: Option<String>,
    /// Only the documents unpacked from this one (an email's attachments).
    pub parent: Option<String>,
}

/// One entry of the changes feed: a document reached a state someone subscribes to.
#[derive(Debug, Clone)]
pub struct FeedEntry {
    /// The transition's id: strictly increasing in commit order (SQLite has one writer).
    pub cursor: i64,
    pub document_id: String,
    pub state: State,
    pub at: String,
    pub reason: String,
    pub result: Option<String>,
}

impl Store {
    /// Record how a document's pages were read, with their words (replacing an
    /// earlier reading).
    pub fn save_pages(
        &self,
        id: &str,
        pages: &[(PageInfo, Vec<PageWord>)],
    ) -> Result<(), StoreError> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            tx.execute("DELETE FROM pages WHERE document_id = ?1", params![id])?;
            for (p, words) in pages {
                tx.execute(
                    "INSERT INTO pages (document_id, number, width, height, transform, words, origin, marks, codes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![
                        id,
                        p.number,
                        p.width,
                        p.height,
                        serde_json::to_string(&p.transform).unwrap_or_default(),
                        serde_json::to_string(words).unwrap_or_default(),
                        serde_json::to_value(p.origin).ok().and_then(|v| v.as_str().map(String::from)),
                        (!p.marks.is_empty()).then(|| serde_json::to_string(&p.marks).unwrap_or_default()),
                        (!p.codes.is_empty()).then(|| serde_json::to_string(&p.codes).unwrap_or_default()),
                    ],
                )?;
            }
            tx.commit()
        })
    }

    /// The words read on page `number` of a document.
    pub fn page_words(&self, id: &str, number: u32) -> Result<Vec<PageWord>, StoreError> {
        let json: Option<Option<String>> = self.with(|c| {
            c.query_row(
                "SELECT words FROM pages WHERE document_id = ?1 AND number = ?2",
                params![id, number],
                |r| r.get(0),
            )
            .optional()
        })?;
        Ok(json
            .flatten()
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default())
    }

    pub fn pages(&self, id: &str) -> Result<Vec<PageInfo>, StoreError> {
        self.with(|c| {
            let rows = c.query_map("SELECT number, width, height, transform, origin, marks, codes FROM pages WHERE document_id = ?1 ORDER BY number", params![id], |r| {
                    let t: String = r.get(3)?;
                    let origin: Option<String> = r.get(4)?;
                    let marks: Option<String> = r.get(5)?;
                    let codes: Option<String> = r.get(6)?;
                    Ok(PageInfo {
                        number: r.get(0)?,
                        width: r.get(1)?,
                        height: r.get(2)?,
                        transform: serde_json::from_str(&t).unwrap_or_default(),
                        // Pages recorded before the column existed were all OCRed.
                        origin: origin
                            .and_then(|o| serde_json::from_value(serde_json::Value::String(o)).ok())
                            .unwrap_or(crate::document::Origin::Ocr),
                        marks: marks
                            .and_then(|m| serde_json::from_str(&m).ok())
                            .unwrap_or_default(),
                        codes: codes
                            .and_then(|c| serde_json::from_str(&c).ok())
                            .unwrap_or_default(),
                    })
                })?;
            Ok(rows)
        })
    }

    /// A document's pages as read, rebuilt from the ledger (words without Tesseract's
    /// line numbers: the extractor groups them by their boxes), to read them again as
    /// another type.
    pub fn read_pages(&self, id: &str) -> Result<Vec<crate::text::Page>, StoreError> {
        let mut out = Vec::new();
        for info in self.pages(id)? {
            let words = self
                .page_words(id, info.number)?
                .into_iter()
                .map(|(text, conf, x0, y0, x1, y1)| crate::text::Word {
                    line: 0,
                    text,
                    conf,
                    bbox: [x0, y0, x1, y1],
                })
                .collect();
            out.push(crate::text::Page {
                number: info.number,
                width: info.width,
                height: info.height,
                words,
                origin: info.origin,
                transform: info.transform,
                codes: info.codes,
                marks: info.marks,
            });
        }
        Ok(out)
    }

    /// Replace the typed document of a document in review with a corrected one and
    /// record each changed field, in one transaction. Refused unless in review.
    pub fn correct(
        &self,
        id: &str,
        result: &str,
        changes: &[Correction],
    ) -> Result<(), StoreError> {
        self.correct_with_marks(id, result, changes, &[])
    }

    /// [`Store::correct`], recording in the same transaction the checkboxes and frames
    /// found since on some pages (`(page number, marks)`), which the new result was
    /// read from.
    pub fn correct_with_marks(
        &self,
        id: &str,
        result: &str,
        changes: &[Correction],
        marks: &[(u32, &[crate::text::marks::Mark])],
    ) -> Result<(), StoreError> {
        self.with(|c| {
            let mut tx = c.immediate()?;
            let state: Option<String> = tx
                .query_row("SELECT state FROM documents WHERE id = ?1", params![id], |r| r.get(0))
                .optional()?;
            match state.as_deref() {
                None => return Ok(Err(StoreError::NotFound(id.into()))),
                Some(s) if s != State::InReview.as_str() => {
                    return Ok(Err(StoreError::Conflict {
                        id: id.into(),
                        state: s.into(),
                    }))
                }
                _ => {}
            }
            tx.execute(
                "UPDATE documents SET result = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, result, now()],
            )?;
            super::search::index_document(&mut tx, id, Some(result))?;
            for (number, found) in marks {
                tx.execute(
                    "UPDATE pages SET marks = ?3 WHERE document_id = ?1 AND number = ?2",
                    params![
                        id,
                        number,
                        (!found.is_empty()).then(|| serde_json::to_string(found).unwrap_or_default()),
                    ],
                )?;
            }
            for ch in changes {
                tx.execute(
                    "INSERT INTO corrections (document_id, field, old_value, new_value, old_raw, old_confidence,
                         old_page, old_bbox, old_origin, actor, at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                    params![
                        id,
                        ch.field,
                        ch.old_value,
                        ch.new_value,
                        ch.old_raw,
                        ch.old_confidence,
                        ch.old_page,
                        ch.old_bbox.map(|b| serde_json::to_string(&b).unwrap_or_default()),
                        ch.old_origin,
                        ch.actor,
                        ch.at,
                    ],
                )?;
            }
            tx.commit()?;
            Ok(Ok(()))
        })?
    }

    pub fn corrections(&self, id: &str) -> Result<Vec<Correction>, StoreError> {
        self.with(|c| {
            let rows = c.query_map("SELECT field, old_value, new_value, old_raw, old_confidence, old_page, old_bbox, old_origin, actor, at
                 FROM corrections WHERE document_id = ?1 ORDER BY id", params![id], |r| {
                    Ok(Correction {
                        field: r.get(0)?,
                        old_value: r.get(1)?,
                        new_value: r.get(2)?,
                        old_raw: r.get(3)?,
                        old_confidence: r.get(4)?,
                        old_page: r.get(5)?,
                        old_bbox: r
                            .get::<Option<String>>(6)?
                            .and_then(|b| serde_json::from_str(&b).ok()),
                        old_origin: r.get(7)?,
                        actor: r.get(8)?,
                        at: r.get(9)?,
                    })
                })?;
            Ok(rows)
        })
    }

    /// A person's decision on a document in review: `Posted` (with its deliveries)
    /// or `Rejected`. Exactly once: a second decision finds the document no longer in
    /// review and gets [`StoreError::Conflict`].
    pub fn decide(
        &self,
        id: &str,
        to: State,
        reason: &str,
        actor: &str,
        notice: Option<&Notice<'_>>,
    ) -> Result<(), StoreError> {
        self.change(&Change {
            id,
            expect: Some(State::InReview),
            to,
            reason,
            result: None,
            notice,
            actor: Some(actor),
        })
    }

    /// Documents matching `filter` with `seq` above `after`, in ingest order, at most
    /// `limit`. Keyset pagination on `seq`: documents arriving meanwhile come at the
    /// end, so paging never skips or repeats one.
    pub fn find_documents(
        &self,
        filter: &DocumentFilter,
        after: i64,
        limit: usize,
    ) -> Result<Vec<DocumentRow>, StoreError> {
        self.with(|c| {
            let rows = c.query_map(select_documents!("
                 WHERE seq > ?1
                   AND (?2 IS NULL OR state = ?2)
                   AND (?3 IS NULL OR seq IN (SELECT seq FROM document_search WHERE doc_type = ?3))
                   AND (?4 IS NULL OR seq IN (SELECT seq FROM document_search WHERE instr(vendor, ?4) > 0))
                   AND (?5 IS NULL OR received_at >= ?5)
                   AND (?6 IS NULL OR received_at < ?6)
                   AND (?7 IS NULL OR posted_at >= ?7)
                   AND (?8 IS NULL OR posted_at < ?8)
                   AND (?10 IS NULL OR instr(lower(reason), lower(?10)) > 0)
                   AND (?11 IS NULL OR parent_id = ?11)
                 ORDER BY seq LIMIT ?9"), params![
                        after,
                        filter.state.map(State::as_str),
                        filter.doc_type,
                        // The search keys hold the sender's names lower-cased as Rust
                        // does (SQLite's lower() folds ASCII only).
                        filter.vendor.as_deref().map(str::to_lowercase),
                        filter.received_after,
                        filter.received_before,
                        filter.posted_after,
                        filter.posted_before,
                        limit as i64,
                        filter.reason,
                        filter.parent
                    ],
                    row_to_doc,)?;
            Ok(rows)
        })
    }

    /// Documents in review: how many, and how many of each type. On SQLite the type
    /// comes from the search keys (`document_search`): there `documents.doc_type` is
    /// virtual, and reading it for every document in review parsed each one's typed
    /// JSON. PostgreSQL stores it, and counts it from the (state, doc_type) index.
    pub fn review_counts(&self) -> Result<(i64, Vec<(String, i64)>), StoreError> {
        self.with(|c| {
            let sql = match c.backend() {
                // `+seq`: not by the rowid, one row at a time (which reads each row
                // with its search text), but a scan of the (doc_type, seq) index.
                db::Backend::Sqlite => {
                    "SELECT COALESCE(doc_type, 'unknown'), COUNT(*) FROM document_search
                     WHERE +seq IN (SELECT seq FROM documents WHERE state = 'in_review')
                     GROUP BY doc_type ORDER BY 2 DESC"
                }
                db::Backend::Postgres => {
                    "SELECT COALESCE(doc_type, 'unknown'), COUNT(*) FROM documents
                     WHERE state = 'in_review' GROUP BY doc_type ORDER BY 2 DESC"
                }
            };
            let types: Vec<(String, i64)> =
                c.query_map(sql, params![], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok((types.iter().map(|t| t.1).sum(), types))
        })
    }

    /// An admin sends a quarantined document through the pipeline again.
    pub fn requeue(&self, id: &str, actor: &str) -> Result<(), StoreError> {
        self.admin_move(
            id,
            State::Received,
            &format!("queued again by {actor}"),
            actor,
        )
    }

    /// An admin gives up on a quarantined document (it ends rejected, bytes kept).
    pub fn discard(&self, id: &str, actor: &str) -> Result<(), StoreError> {
        self.admin_move(id, State::Rejected, &format!("discarded by {actor}"), actor)
    }

    fn admin_move(&self, id: &str, to: State, reason: &str, actor: &str) -> Result<(), StoreError> {
        self.change(&Change {
            id,
            expect: Some(State::Quarantined),
            to,
            reason,
            result: None,
            notice: None,
            actor: Some(actor),
        })
    }

    /// Transitions into any of `states` after `cursor`, oldest first, at most `limit`.
    pub fn feed(
        &self,
        states: &[State],
        cursor: i64,
        limit: usize,
    ) -> Result<Vec<FeedEntry>, StoreError> {
        let wanted: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
        let list = serde_json::to_string(&wanted).unwrap_or_else(|_| "[]".into());
        self.with(|c| {
            let states = match c.backend() {
                db::Backend::Sqlite => "SELECT value FROM json_each(?2)",
                db::Backend::Postgres => "SELECT jsonb_array_elements_text(?2::jsonb)",
            };
            let sql = format!(
                "SELECT t.id, t.document_id, t.to_state, t.at, t.reason, d.result
                 FROM transitions t JOIN documents d ON d.id = t.document_id
                 WHERE t.id > ?1 AND t.to_state IN ({states})
                 ORDER BY t.id LIMIT ?3"
            );
            let rows = c.query_map(&sql, params![cursor, list, limit as i64], |r| {
                let state: String = r.get(2)?;
                Ok(FeedEntry {
                    cursor: r.get(0)?,
                    document_id: r.get(1)?,
                    state: State::parse(&state).unwrap_or(State::Quarantined),
                    at: r.get(3)?,
                    reason: r.get(4)?,
                    result: r.get(5)?,
                })
            })?;
            Ok(rows)
        })
    }
}
