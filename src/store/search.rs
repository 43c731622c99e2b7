//! Search and browse every document (any state), for the review UI's search page and
//! `GET /api/v1/documents`: the filters on the ledger's own columns, and a rough text
//! match on the stored typed document that the caller narrows down.
//!
//! Plain SQL on purpose (`LIKE … ESCAPE`, `lower`, comparisons on columns): the same
//! statement runs on PostgreSQL. What needs the typed document's structure (a field's
//! value, the total as a number, the document's date) is judged by the caller on the
//! rows this returns, so no JSON function is needed here.

use rusqlite::types::Value as SqlValue;

use super::{row_to_doc, DocumentRow, State, Store, StoreError};

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
            cond(&mut sql, c, SqlValue::Integer(a));
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
        args.push(SqlValue::Integer(limit as i64));
        sql.push_str(&format!(
            " ORDER BY seq {} LIMIT ?{}",
            if scan.newest_first { "DESC" } else { "ASC" },
            args.len()
        ));
        self.with(|c| {
            let mut st = c.prepare_cached(&sql)?;
            let rows = st
                .query_map(rusqlite::params_from_iter(args.iter()), row_to_doc)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_with(dir: &std::path::Path, names: &[&str]) -> (Store, Vec<String>) {
        let s = Store::open(&dir.join("db.sqlite3"), &dir.join("blobs")).unwrap();
        let mut ids = Vec::new();
        for n in names {
            let f = dir.join(n);
            std::fs::write(&f, n.as_bytes()).unwrap();
            ids.push(s.ingest(&f).unwrap().id().to_string());
        }
        (s, ids)
    }

    #[test]
    fn pages_both_ways_without_skipping_or_repeating() {
        let dir = tempfile::tempdir().unwrap();
        let (s, ids) = store_with(dir.path(), &["a.png", "b.png", "c.png", "d.png", "e.png"]);
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

    #[test]
    fn rough_terms_take_like_wildcards_literally() {
        let dir = tempfile::tempdir().unwrap();
        let (s, ids) = store_with(dir.path(), &["inv_100%.png", "inv-100x.png"]);
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
}
