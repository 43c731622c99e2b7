//! Sink "csv": one row per posted document, appended to a daily file
//! `{dir}/mailroom-YYYY-MM-DD.csv` (UTC date of delivery), with a header row.
//!
//! Columns are chosen in the configuration: document fields by name (their typed
//! value) and `id`, `received_at`, `posted_at`, `doc_type`, `source_name`. The last
//! column is always `mailroom_key`, the delivery's idempotency key: after a crash
//! between appending a row and recording it, the file is searched for the key and
//! the row is not written twice.
//!
//! Each row is appended with one `write` on a file opened for appending and locked
//! (`flock`) for the duration, then synced: rows from several processes never
//! interleave. The `csv` crate does the quoting.

use std::fs::OpenOptions;
use std::io::{Read, Seek, Write};
use std::path::PathBuf;

use super::{Outcome, Sink};
use crate::store::{Delivery, Store};

pub const KEY_COLUMN: &str = "mailroom_key";

pub struct CsvSink {
    dir: PathBuf,
    columns: Vec<String>,
}

impl CsvSink {
    pub fn new(dir: PathBuf, columns: Vec<String>) -> Result<CsvSink, String> {
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create the CSV sink folder {}: {e}", dir.display()))?;
        Ok(CsvSink { dir, columns })
    }

    pub fn file_for(&self, date: chrono::NaiveDate) -> PathBuf {
        self.dir
            .join(format!("mailroom-{}.csv", date.format("%Y-%m-%d")))
    }

    fn header(&self) -> Vec<String> {
        let mut h = self.columns.clone();
        h.push(KEY_COLUMN.into());
        h
    }

    /// The row for one delivery, from its typed-document payload.
    pub fn row(&self, d: &Delivery, posted_at: &str) -> Result<Vec<String>, String> {
        let doc: serde_json::Value =
            serde_json::from_str(&d.payload).map_err(|e| format!("payload is not JSON: {e}"))?;
        let text = |v: &serde_json::Value| match v {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let mut row: Vec<String> = self
            .columns
            .iter()
            .map(|c| match c.as_str() {
                "id" => d.document_id.clone(),
                "posted_at" => posted_at.to_string(),
                "received_at" => text(&doc["source"]["received_at"]),
                "source_name" => text(&doc["source"]["name"]),
                "doc_type" => text(&doc["doc_type"]["value"]),
                field => text(&doc["fields"][field]["value"]),
            })
            .map(neutralise)
            .collect();
        row.push(d.idempotency_key());
        Ok(row)
    }

    fn append(&self, d: &Delivery) -> Result<PathBuf, String> {
        let now = chrono::Utc::now();
        let path = self.file_for(now.date_naive());
        let posted_at = now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        file.lock()
            .map_err(|e| format!("{}: lock: {e}", path.display()))?;
        let io = |e: std::io::Error| format!("{}: {e}", path.display());
        let len = file.metadata().map_err(io)?.len();
        // An earlier attempt may have written the row before a crash: look for the key.
        if d.attempts > 1 && len > 0 && contains_key(&mut file, &d.idempotency_key()).map_err(io)? {
            return Ok(path);
        }
        let mut w = ::csv::Writer::from_writer(Vec::new());
        if len == 0 {
            w.write_record(self.header()).map_err(|e| e.to_string())?;
        }
        w.write_record(self.row(d, &posted_at)?)
            .map_err(|e| e.to_string())?;
        let buf = w.into_inner().map_err(|e| e.to_string())?;
        file.write_all(&buf).map_err(io)?;
        file.sync_data().map_err(io)?;
        Ok(path)
    }
}

/// A cell that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`,
/// a tab or a carriage return) is prefixed with `'`, as OWASP advises for CSV exports: a
/// vendor named `=HYPERLINK(…)` on a scanned invoice must not become a live link in
/// accounts payable's spreadsheet. Plain numbers are left alone: a negative amount
/// (`-12.50`, a credit note) is a value mailroom wrote itself, and spreadsheets read
/// it as a number, not a formula.
fn neutralise(cell: String) -> String {
    let plain_number = {
        let digits = cell.strip_prefix('-').unwrap_or(&cell);
        !digits.is_empty()
            && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
            && digits.chars().filter(|&c| c == '.').count() <= 1
            && digits.starts_with(|c: char| c.is_ascii_digit())
    };
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && !plain_number {
        format!("'{cell}")
    } else {
        cell
    }
}

fn contains_key(file: &mut std::fs::File, key: &str) -> std::io::Result<bool> {
    file.rewind()?;
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    let mut r = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    Ok(r.records()
        .filter_map(Result::ok)
        .any(|rec| rec.iter().next_back() == Some(key)))
}

impl Sink for CsvSink {
    fn deliver(&mut self, d: &Delivery, _store: &Store) -> Outcome {
        match self.append(d) {
            Ok(path) => Outcome::Delivered {
                status: None,
                response: Some(path.display().to_string()),
            },
            Err(error) => Outcome::Retry {
                error,
                status: None,
                response: None,
                after: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(n: i64, attempts: u32) -> Delivery {
        Delivery {
            id: n,
            document_id: format!("DOC{n}"),
            seq: n,
            sink: "ledger".into(),
            event: "document.posted".into(),
            revision: 7,
            payload: serde_json::json!({
                "source": {"name": "scan.png", "received_at": "2026-01-01T00:00:00Z"},
                "doc_type": {"value": "invoice"},
                "fields": {
                    "vendor_name": {"value": format!("Krüger, \"Druck\" & Co {n}")},
                    "total": {"value": "1543.13"},
                    "iban": null
                }
            })
            .to_string(),
            state: "pending".into(),
            attempts,
            next_attempt_at: 0,
            window_start: 0,
            created_at: String::new(),
            updated_at: String::new(),
            delivered_at: None,
            last_error: None,
            last_status: None,
            last_response: None,
        }
    }

    fn sink(dir: &std::path::Path) -> CsvSink {
        let cols = ["id", "doc_type", "vendor_name", "total", "iban"];
        CsvSink::new(
            dir.to_path_buf(),
            cols.iter().map(|c| c.to_string()).collect(),
        )
        .unwrap()
    }

    fn records(path: &std::path::Path) -> Vec<Vec<String>> {
        let mut r = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .from_path(path)
            .unwrap();
        r.records()
            .map(|rec| rec.unwrap().iter().map(String::from).collect())
            .collect()
    }

    #[test]
    fn cells_a_spreadsheet_would_run_are_neutralised() {
        for dangerous in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+1+2",
            "-2+3",
            "@SUM(A1)",
            "\tX",
            "\rX",
            "-",
            "=",
        ] {
            assert_eq!(neutralise(dangerous.into()), format!("'{dangerous}"));
        }
        for safe in [
            "-12.50",
            "1234.50",
            "2024-03-14",
            "Acme A/S",
            "",
            "DK12345678",
        ] {
            assert_eq!(neutralise(safe.into()), safe);
        }
    }

    #[test]
    fn header_once_then_quoted_rows_and_no_second_row_after_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let s = sink(dir.path());
        let path = s.append(&delivery(1, 1)).unwrap();
        s.append(&delivery(2, 1)).unwrap();
        // Delivery 2 again, as after a crash between the append and its record.
        s.append(&delivery(2, 2)).unwrap();
        let rows = records(&path);
        assert_eq!(
            rows[0],
            [
                "id",
                "doc_type",
                "vendor_name",
                "total",
                "iban",
                "mailroom_key"
            ]
        );
        assert_eq!(
            rows[1],
            [
                "DOC1",
                "invoice",
                "Krüger, \"Druck\" & Co 1",
                "1543.13",
                "",
                "DOC1.7"
            ]
        );
        assert_eq!(rows.len(), 3, "{rows:?}");
        assert_eq!(
            path.file_name().unwrap().to_string_lossy().len(),
            "mailroom-2026-01-01.csv".len()
        );
    }

    #[test]
    fn several_writers_at_once_never_interleave_rows() {
        let dir = tempfile::tempdir().unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let d = dir.path().to_path_buf();
                std::thread::spawn(move || {
                    let s = sink(&d);
                    for i in 0..50 {
                        s.append(&delivery(t * 1000 + i, 1)).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let file = std::fs::read_dir(dir.path())
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let rows = records(&file);
        assert_eq!(rows.len(), 201, "one header and 200 rows");
        assert!(rows[1..]
            .iter()
            .all(|r| r.len() == 6 && r[5] == format!("{}.7", r[0])));
        let ids: std::collections::BTreeSet<&String> = rows[1..].iter().map(|r| &r[0]).collect();
        assert_eq!(ids.len(), 200);
    }
}
