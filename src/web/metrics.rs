//! Prometheus metrics: `GET /metrics` (as Prometheus scrapes: no token unless
//! `[web] metrics_auth = "token"`) and `GET /api/v1/metrics` (an API token, as every
//! API route), one body in the text exposition format 0.0.4.
//!
//! What a supervisor watches: documents by type and state, the age of the oldest
//! document waiting in each waiting state, pages and documents read and auto-posted
//! (counters, from the ledger, so they survive a restart: Prometheus computes rates
//! from counters, `rate(mailroom_pages_read_total[5m])`), pages per second over the
//! last five minutes and the automation rate (gauges, for people reading the page
//! without PromQL), OCR seconds per page (a histogram kept by the running process, see
//! [`PageTimes`]), deliveries by sink and state, and dead deliveries per sink.
//!
//! Only counts, ages and the names of states, types and sinks (all from the config):
//! no document's content, name or id, and no secret.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{blocking, ApiError, AppState};
use crate::store::figures::Throughput;

/// The window `mailroom_pages_per_second` is taken over.
pub const RATE_WINDOW_SECS: i64 = 300;

/// Upper bounds (seconds) of the OCR-seconds-per-page histogram's buckets: a clean
/// page at 300 dpi takes one to a few seconds, a poor scan with second reads tens.
pub const PAGE_SECONDS_BUCKETS: [f64; 10] = [0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 15.0, 30.0, 60.0];

/// Seconds the workers of this process spent reading each page by OCR: the reading of
/// a document whose every page was read by OCR (decoding, normalising, Tesseract's
/// passes and second reads, and the analysis after, which takes milliseconds), shared
/// evenly among its pages. Documents with a PDF text layer or read from structured XML
/// are left out: they are not OCR.
///
/// Kept in memory, not in the ledger (the ledger's pages table has no place for it, and
/// its schema stays as it is): it starts empty with each `mailroom run`, as a
/// Prometheus histogram may, and `mailroom serve`, which reads nothing, reports it empty.
#[derive(Debug, Default)]
pub struct PageTimes {
    /// Pages at or under each bound of [`PAGE_SECONDS_BUCKETS`] (not cumulative here).
    buckets: [AtomicU64; PAGE_SECONDS_BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl PageTimes {
    /// A document of `pages` OCR'd pages took `seconds` to read.
    pub fn observe_document(&self, seconds: f64, pages: usize) {
        if pages == 0 || !seconds.is_finite() || seconds < 0.0 {
            return;
        }
        let each = seconds / pages as f64;
        if let Some(i) = PAGE_SECONDS_BUCKETS.iter().position(|&b| each <= b) {
            self.buckets[i].fetch_add(pages as u64, Ordering::Relaxed);
        }
        self.count.fetch_add(pages as u64, Ordering::Relaxed);
        self.sum_micros
            .fetch_add((seconds * 1e6).round() as u64, Ordering::Relaxed);
    }

    /// (cumulative count per bound, count, sum in seconds).
    fn snapshot(&self) -> (Vec<u64>, u64, f64) {
        let mut running = 0;
        let cumulative = self
            .buckets
            .iter()
            .map(|b| {
                running += b.load(Ordering::Relaxed);
                running
            })
            .collect();
        (
            cumulative,
            self.count.load(Ordering::Relaxed),
            self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6,
        )
    }
}

/// `GET /metrics`: open, or with any API token when `metrics_auth = "token"`.
pub(super) async fn scrape(
    headers: HeaderMap,
    State(st): State<AppState>,
) -> Result<Response, ApiError> {
    if st.cfg.web.metrics_need_token {
        super::api::authenticate(&headers, &st).await?;
    }
    exposition(st).await
}

/// The figures, read from the ledger on the blocking pool, as Prometheus text.
pub(super) async fn exposition(st: AppState) -> Result<Response, ApiError> {
    let times = st.page_times.snapshot();
    let ledger = blocking(move || {
        let now = chrono::Utc::now();
        let stamp = |t: chrono::DateTime<chrono::Utc>| {
            t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        };
        let window = stamp(now - chrono::Duration::seconds(RATE_WINDOW_SECS));
        let (counts, ages) = st.store.metrics()?;
        Ok(Ledger {
            counts,
            ages,
            deliveries: st.store.delivery_counts()?,
            all_time: st.store.throughput("")?,
            today: st.store.throughput(&crate::store::figures::today_utc())?,
            window: st.store.throughput(&window)?,
            vendors: st.store.vendors()?,
        })
    })
    .await?;
    Ok((
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        render(&ledger, &times),
    )
        .into_response())
}

/// What the ledger says at one scrape.
struct Ledger {
    counts: Vec<(String, String, i64)>,
    ages: Vec<(String, f64)>,
    deliveries: Vec<(String, String, i64)>,
    all_time: Throughput,
    today: Throughput,
    window: Throughput,
    vendors: Vec<crate::document::vendor::Vendor>,
}

/// A label value as the exposition format escapes it.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// One metric family's `# HELP` and `# TYPE` lines.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn render(l: &Ledger, (buckets, count, sum): &(Vec<u64>, u64, f64)) -> String {
    let mut out = String::new();
    family(
        &mut out,
        "mailroom_documents",
        "gauge",
        "Documents in the ledger by type and state.",
    );
    for (t, state, n) in &l.counts {
        let _ = writeln!(
            out,
            "mailroom_documents{{type=\"{}\",state=\"{}\"}} {n}",
            label(t),
            label(state)
        );
    }
    family(
        &mut out,
        "mailroom_oldest_waiting_seconds",
        "gauge",
        "Age of the oldest document waiting in a state (received: not yet read; in_review: waiting for a person).",
    );
    for (state, age) in &l.ages {
        let _ = writeln!(
            out,
            "mailroom_oldest_waiting_seconds{{state=\"{}\"}} {age:.0}",
            label(state)
        );
    }
    family(
        &mut out,
        "mailroom_documents_read_total",
        "counter",
        "Documents the workers finished reading (auto-posted, sent to review or quarantined), each counted once.",
    );
    let _ = writeln!(
        out,
        "mailroom_documents_read_total {}",
        l.all_time.documents
    );
    family(
        &mut out,
        "mailroom_pages_read_total",
        "counter",
        "Pages of the documents the workers finished reading.",
    );
    let _ = writeln!(out, "mailroom_pages_read_total {}", l.all_time.pages);
    family(
        &mut out,
        "mailroom_documents_auto_posted_total",
        "counter",
        "Documents posted without a person.",
    );
    let _ = writeln!(
        out,
        "mailroom_documents_auto_posted_total {}",
        l.all_time.auto_posted
    );
    family(
        &mut out,
        "mailroom_pages_per_second",
        "gauge",
        "Pages read per second over the last window (rate(mailroom_pages_read_total[5m]) says the same from the counter).",
    );
    let _ = writeln!(
        out,
        "mailroom_pages_per_second{{window=\"{}s\"}} {}",
        RATE_WINDOW_SECS,
        l.window.pages as f64 / RATE_WINDOW_SECS as f64
    );
    family(
        &mut out,
        "mailroom_automation_rate",
        "gauge",
        "Share of the documents read that were posted without a person (today: since midnight UTC); absent before the first.",
    );
    for (period, t) in [("today", &l.today), ("all_time", &l.all_time)] {
        if let Some(rate) = t.automation_rate {
            let _ = writeln!(
                out,
                "mailroom_automation_rate{{period=\"{period}\"}} {rate}"
            );
        }
    }
    family(
        &mut out,
        "mailroom_ocr_seconds_per_page",
        "histogram",
        "Seconds spent reading a page by OCR, since this process started (mailroom serve reads nothing).",
    );
    for (bound, n) in PAGE_SECONDS_BUCKETS.iter().zip(buckets) {
        let _ = writeln!(
            out,
            "mailroom_ocr_seconds_per_page_bucket{{le=\"{bound}\"}} {n}"
        );
    }
    let _ = writeln!(
        out,
        "mailroom_ocr_seconds_per_page_bucket{{le=\"+Inf\"}} {count}"
    );
    let _ = writeln!(out, "mailroom_ocr_seconds_per_page_sum {sum}");
    let _ = writeln!(out, "mailroom_ocr_seconds_per_page_count {count}");
    family(
        &mut out,
        "mailroom_deliveries",
        "gauge",
        "Deliveries by sink and state (pending includes failed and retrying; dead: given up).",
    );
    for (sink, state, n) in &l.deliveries {
        let _ = writeln!(
            out,
            "mailroom_deliveries{{sink=\"{}\",state=\"{}\"}} {n}",
            label(sink),
            label(state)
        );
    }
    family(
        &mut out,
        "mailroom_deliveries_dead",
        "gauge",
        "Deliveries given up, per sink that has any delivery (0 included): alert on > 0.",
    );
    let mut dead = std::collections::BTreeMap::new();
    for (sink, state, n) in &l.deliveries {
        *dead.entry(sink).or_insert(0) += if state == "dead" { *n } else { 0 };
    }
    for (sink, n) in dead {
        let _ = writeln!(
            out,
            "mailroom_deliveries_dead{{sink=\"{}\"}} {n}",
            label(sink)
        );
    }
    let learned: u32 = l.vendors.iter().map(|v| v.learned.documents).sum();
    family(
        &mut out,
        "mailroom_vendors",
        "gauge",
        "Vendors in master data.",
    );
    let _ = writeln!(out, "mailroom_vendors {}", l.vendors.len());
    family(
        &mut out,
        "mailroom_vendor_approvals_learned",
        "gauge",
        "Approved documents the vendors learned from.",
    );
    let _ = writeln!(out, "mailroom_vendor_approvals_learned {learned}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_fall_in_their_buckets_and_the_buckets_add_up() {
        let t = PageTimes::default();
        t.observe_document(3.0, 2); // two pages of 1.5 s
        t.observe_document(0.1, 1);
        t.observe_document(100.0, 1); // above every bound: +Inf only
        t.observe_document(5.0, 0); // no OCR'd page: nothing
        let (cumulative, count, sum) = t.snapshot();
        assert_eq!(count, 4);
        assert!((sum - 103.1).abs() < 1e-6, "{sum}");
        let at = |bound: f64| {
            cumulative[PAGE_SECONDS_BUCKETS
                .iter()
                .position(|&b| b == bound)
                .unwrap()]
        };
        assert_eq!((at(0.25), at(1.0), at(2.0), at(60.0)), (1, 1, 3, 3));
    }
}
