//! Search and browse every document, whatever its state: the filters of
//! `GET /api/v1/documents` and of the review UI's search page, read from one set of
//! query parameters, and the search itself.
//!
//! The ledger filters on its own columns and on each document's search keys
//! ([`crate::store::search`]: its texts, vendor, total and dates, kept beside it), so
//! the rows it returns nearly all match; what the keys only approximate (the total as
//! an exact amount, the document's own date among its dates) is judged here on those
//! rows, a batch at a time, until a page is full. A filter nobody
//! knows is refused, never ignored: `?invoice_number=…` answering every document
//! would look like a match.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::Value;

use crate::config::{Config, FieldKind};
use crate::store::review::DocumentFilter;
use crate::store::search::Scan;
use crate::store::{DocumentRow, State as DocState, Store, StoreError};

/// Every query parameter the search takes (`cursor` and `limit` page it).
pub(crate) const FILTERS: &[&str] = &[
    "q",
    "state",
    "type",
    "vendor",
    "date_from",
    "date_to",
    "amount_min",
    "amount_max",
    "received_after",
    "received_before",
    "posted_after",
    "posted_before",
    "reason",
    "parent",
    "order",
    "cursor",
    "limit",
];

/// A search, read from the query parameters.
#[derive(Debug, Default, Clone)]
pub(crate) struct Search {
    /// What the ledger compares: the words, the vendor and the date range (the
    /// document's date: its type's first date field, inclusive, `YYYY-MM-DD`) among
    /// them; the ledger's keys decide words and vendor exactly, dates and amounts
    /// coarsely ([`Search::keeps`] then decides).
    scan: Scan,
    /// The document's total, inclusive, exact (the ledger compares it coarsely).
    amount_min: Option<Decimal>,
    amount_max: Option<Decimal>,
}

/// One page of a search.
pub(crate) struct Found {
    pub rows: Vec<DocumentRow>,
    /// Where the next page starts (the last document looked at), or the page's start.
    pub next: i64,
    pub has_more: bool,
}

/// A parameter given and not blank.
fn given<'a>(q: &'a HashMap<String, String>, key: &str) -> Option<&'a str> {
    q.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// `2026-11-28` or an RFC 3339 time, as the ledger's UTC timestamps compare.
pub(crate) fn time_param(q: &HashMap<String, String>, key: &str) -> Result<Option<String>, String> {
    let Some(v) = given(q, key) else {
        return Ok(None);
    };
    if let Ok(d) = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        return Ok(Some(d.format("%Y-%m-%d").to_string()));
    }
    chrono::DateTime::parse_from_rfc3339(v)
        .map(|t| {
            Some(
                t.with_timezone(&chrono::Utc)
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            )
        })
        .map_err(|_| format!("{key} must be a date (2026-11-28) or an RFC 3339 time"))
}

fn date_param(q: &HashMap<String, String>, key: &str) -> Result<Option<String>, String> {
    given(q, key)
        .map(|v| {
            chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map(|d| d.format("%Y-%m-%d").to_string())
                .map_err(|_| format!("{key} must be a date such as 2026-11-28, not {v:?}"))
        })
        .transpose()
}

/// An amount as a person types it, read strictly (`1.234` is refused as ambiguous).
fn amount_param(q: &HashMap<String, String>, key: &str) -> Result<Option<Decimal>, String> {
    given(q, key)
        .map(|v| {
            crate::values::parse_typed_money(v)
                .map(|m| m.amount)
                .map_err(|e| format!("{key}: {e}"))
        })
        .transpose()
}

/// An amount as a coarse bound for the ledger (a number): a cent wider, so rounding
/// never keeps out a document the exact check would keep.
fn coarse(amount: Option<Decimal>, by: f64) -> Option<f64> {
    use rust_decimal::prelude::ToPrimitive;
    amount.and_then(|a| a.to_f64()).map(|a| a + by)
}

impl Search {
    /// The search the parameters `q` describe; a parameter not in [`FILTERS`] or a
    /// value that does not read is refused with what to write instead.
    pub(crate) fn from_query(q: &HashMap<String, String>) -> Result<Search, String> {
        if let Some(k) = q.keys().find(|k| !FILTERS.contains(&k.as_str())) {
            return Err(format!(
                "unknown filter {k:?} (the filters are {})",
                FILTERS.join(", ")
            ));
        }
        let state = given(q, "state")
            .map(|s| DocState::parse(s).ok_or_else(|| format!("unknown state {s:?}")))
            .transpose()?;
        let newest_first = match given(q, "order") {
            None | Some("oldest") => false,
            Some("newest") => true,
            Some(o) => return Err(format!("order must be oldest or newest, not {o:?}")),
        };
        let terms: Vec<String> = given(q, "q")
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        let vendor = given(q, "vendor").map(str::to_lowercase);
        let date_from = date_param(q, "date_from")?;
        let date_to = date_param(q, "date_to")?;
        let amount_min = amount_param(q, "amount_min")?;
        let amount_max = amount_param(q, "amount_max")?;
        let search = Search {
            scan: Scan {
                filter: DocumentFilter {
                    state,
                    doc_type: given(q, "type").map(String::from),
                    vendor,
                    reason: given(q, "reason").map(String::from),
                    received_after: time_param(q, "received_after")?,
                    received_before: time_param(q, "received_before")?,
                    posted_after: time_param(q, "posted_after")?,
                    posted_before: time_param(q, "posted_before")?,
                    parent: given(q, "parent").map(String::from),
                },
                terms,
                total_min: coarse(amount_min, -0.01),
                total_max: coarse(amount_max, 0.01),
                date_from,
                date_to,
                newest_first,
            },
            amount_min,
            amount_max,
        };
        Ok(search)
    }

    /// Whether the ledger decides alone (no typed document need be read): its text
    /// and vendor keys decide exactly; dates and amounts only coarsely.
    fn ledger_decides(&self) -> bool {
        self.scan.date_from.is_none()
            && self.scan.date_to.is_none()
            && self.amount_min.is_none()
            && self.amount_max.is_none()
    }

    /// Whether a row matches what its typed document tells (every filter on it): the
    /// words and vendor as the ledger's keys do, the date and total exactly where the
    /// ledger compares them coarsely.
    fn keeps(&self, cfg: &Config, row: &DocumentRow) -> bool {
        let doc: Value = row
            .result
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or(Value::Null);
        let fields = &doc["fields"];
        let value = |name: &str| fields[name]["value"].as_str();
        if let Some(v) = &self.scan.filter.vendor {
            let named = crate::document::PARTY_FIELDS
                .iter()
                .copied()
                .filter_map(value)
                .any(|n| n.to_lowercase().contains(v.as_str()));
            if !named {
                return false;
            }
        }
        if self.amount_min.is_some() || self.amount_max.is_some() {
            let Some(total) = value("total").and_then(|t| t.parse::<Decimal>().ok()) else {
                return false;
            };
            if self.amount_min.is_some_and(|m| total < m)
                || self.amount_max.is_some_and(|m| total > m)
            {
                return false;
            }
        }
        let (from, to) = (&self.scan.date_from, &self.scan.date_to);
        if from.is_some() || to.is_some() {
            let Some(date) = document_date(cfg, &doc) else {
                return false;
            };
            if from.as_deref().is_some_and(|d| date.as_str() < d)
                || to.as_deref().is_some_and(|d| date.as_str() > d)
            {
                return false;
            }
        }
        if !self.scan.terms.is_empty() {
            let texts = crate::store::search::search_texts(&row.id, &row.name, &doc);
            if !self
                .scan
                .terms
                .iter()
                .all(|t| texts.iter().any(|s| s.contains(t.as_str())))
            {
                return false;
            }
        }
        true
    }

    /// One page: at most `limit` matching documents after `after` (0: from the start)
    /// in the search's order.
    pub(crate) fn run(
        &self,
        store: &Store,
        cfg: &Config,
        after: i64,
        limit: usize,
    ) -> Result<Found, StoreError> {
        // Rows read per trip to the ledger when the typed documents narrow them down.
        const BATCH: usize = 200;
        let alone = self.ledger_decides();
        let batch = if alone { limit } else { BATCH };
        let mut rows = Vec::new();
        let mut cursor = after;
        loop {
            let got = store.scan_documents(&self.scan, (cursor > 0).then_some(cursor), batch)?;
            let n = got.len();
            for r in got {
                cursor = r.seq;
                if alone || self.keeps(cfg, &r) {
                    rows.push(r);
                    if rows.len() == limit {
                        return Ok(Found {
                            rows,
                            next: cursor,
                            has_more: true,
                        });
                    }
                }
            }
            if n < batch {
                return Ok(Found {
                    rows,
                    next: cursor,
                    has_more: false,
                });
            }
        }
    }
}

/// The date a document is of: its type's first date field that has a value (an
/// invoice's date before its due date), else an `invoice_date` or `date`.
pub(crate) fn document_date(cfg: &Config, doc: &Value) -> Option<String> {
    let fields = &doc["fields"];
    let value = |n: &str| fields[n]["value"].as_str().map(String::from);
    let dt = doc["doc_type"]["value"]
        .as_str()
        .and_then(|t| cfg.doctype(t));
    match dt {
        Some(dt) => dt
            .fields
            .iter()
            .filter(|f| f.kind == FieldKind::Date)
            .find_map(|f| value(&f.name)),
        None => value("invoice_date").or_else(|| value("date")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn unknown_filters_and_unreadable_values_are_refused_with_what_to_write() {
        let e = Search::from_query(&q(&[("invoice_number", "7")])).unwrap_err();
        assert!(e.starts_with("unknown filter \"invoice_number\""), "{e}");
        let e = Search::from_query(&q(&[("amount_min", "1.234")])).unwrap_err();
        assert!(e.starts_with("amount_min: \"1.234\" could be"), "{e}");
        let e = Search::from_query(&q(&[("date_to", "7.3.2026")])).unwrap_err();
        assert!(
            e.contains("date_to must be a date such as 2026-11-28"),
            "{e}"
        );
        let e = Search::from_query(&q(&[("state", "lost")])).unwrap_err();
        assert_eq!(e, "unknown state \"lost\"");
        let e = Search::from_query(&q(&[("order", "up")])).unwrap_err();
        assert!(e.starts_with("order must be"), "{e}");
        // Blank fields of a submitted form are no filter at all.
        let s = Search::from_query(&q(&[("q", " "), ("state", ""), ("amount_max", "")])).unwrap();
        assert!(s.ledger_decides() && s.scan.filter.state.is_none());
    }

    #[test]
    fn a_document_matches_on_any_field_its_total_and_its_date() {
        let cfg = Config::defaults();
        let doc = serde_json::json!({
            "doc_type": {"value": "invoice"},
            "fields": {
                "vendor_name": {"value": "Østerlund VVS A/S", "raw": "ØSTERLUND VVS A/S"},
                "invoice_number": {"value": "INV-2024-0042", "raw": "INV-2024-0042"},
                "due_date": {"value": "2026-04-01"},
                "invoice_date": {"value": "2026-03-07"},
                "total": {"value": "1234.50"},
            },
            "line_items": [{"description": "Toner black"}],
        });
        let row = DocumentRow {
            seq: 1,
            id: "01JABC".into(),
            name: "scan-0042.pdf".into(),
            sha256: String::new(),
            size: 1,
            state: DocState::Posted,
            reason: None,
            duplicate_of: None,
            received_at: String::new(),
            updated_at: String::new(),
            result: Some(doc.to_string()),
            posted_at: None,
            parent_id: None,
            source_meta: None,
        };
        let keeps =
            |pairs: &[(&str, &str)]| Search::from_query(&q(pairs)).unwrap().keeps(&cfg, &row);
        assert!(keeps(&[("q", "inv-2024-0042")]));
        assert!(keeps(&[("q", "østerlund toner")]));
        assert!(keeps(&[("q", "scan-0042")]));
        assert!(!keeps(&[("q", "østerlund paper")]));
        assert!(keeps(&[("vendor", "ØSTERLUND")]));
        assert!(!keeps(&[("vendor", "Lyngholm")]));
        assert!(keeps(&[
            ("amount_min", "1.234,50"),
            ("amount_max", "1234.50")
        ]));
        assert!(!keeps(&[("amount_min", "1234.51")]));
        assert!(!keeps(&[("amount_max", "1000")]));
        // The invoice's date, not its due date.
        assert!(keeps(&[
            ("date_from", "2026-03-07"),
            ("date_to", "2026-03-07")
        ]));
        assert!(!keeps(&[("date_from", "2026-03-08")]));
        assert_eq!(document_date(&cfg, &doc).as_deref(), Some("2026-03-07"));
    }
}
