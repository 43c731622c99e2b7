//! The figures a supervisor asks for (`mailroom status`): throughput today, automation
//! rate, the review queue and its oldest document, work in flight, dead deliveries.
//!
//! States, queue ages and deliveries come from [`Store::metrics`] and
//! [`Store::delivery_counts`] (the same figures `/api/v1/metrics` serves); only the
//! throughput is read here, from the transitions.

use std::collections::BTreeMap;

use super::db::{params, Exec};

use super::{Store, StoreError};

/// Documents the pipeline finished (read and decided: auto-posted, sent to review or
/// quarantined), their pages, and how many of them were posted without a person.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Throughput {
    pub documents: i64,
    pub pages: i64,
    pub auto_posted: i64,
    /// auto_posted / documents; `None` before the first finished document.
    pub automation_rate: Option<f64>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Figures {
    /// Start of "today" (UTC, as the ledger's times).
    pub today_since: String,
    pub today: Throughput,
    pub all_time: Throughput,
    /// Documents per state.
    pub states: BTreeMap<String, i64>,
    /// Documents waiting for a person.
    pub review_queue: i64,
    pub oldest_in_review_seconds: Option<f64>,
    /// Received, not yet picked up by a worker.
    pub waiting: i64,
    pub processing: i64,
    /// Deliveries given up, per sink (every sink with a delivery, 0 included).
    pub dead_deliveries: BTreeMap<String, i64>,
}

impl Store {
    /// Throughput of the documents whose pipeline outcome was recorded at or after
    /// `since` (an RFC 3339 UTC time as the ledger writes them).
    pub fn throughput(&self, since: &str) -> Result<Throughput, StoreError> {
        let (documents, pages, auto_posted) = self.with(|c| {
            c.query_row(
                // Portable: CASE for SQLite's MAX over a comparison, CAST for the
                // JSON number and for PostgreSQL's numeric SUM, a named subquery.
                "SELECT COUNT(*), CAST(COALESCE(SUM(pages), 0) AS BIGINT),
                        CAST(COALESCE(SUM(auto), 0) AS BIGINT) FROM (
                    SELECT MAX(CASE WHEN t.to_state = 'auto_posted' THEN 1 ELSE 0 END) AS auto,
                           COALESCE(CAST(json_extract(d.result, '$.source.pages') AS BIGINT), 0) AS pages
                    FROM transitions t JOIN documents d ON d.id = t.document_id
                    WHERE t.from_state = 'processing'
                      AND t.to_state IN ('auto_posted', 'in_review', 'quarantined')
                      AND t.at >= ?1
                    GROUP BY t.document_id, d.result) AS per_document",
                params![since],
                |r| {
                    Ok((
                        r.get::<i64>(0)?,
                        r.get::<i64>(1)?,
                        r.get::<i64>(2)?,
                    ))
                },
            )
        })?;
        Ok(Throughput {
            documents,
            pages,
            auto_posted,
            automation_rate: (documents > 0).then(|| auto_posted as f64 / documents as f64),
        })
    }

    /// The supervisor's figures, "today" starting at `today_since`.
    pub fn figures(&self, today_since: &str) -> Result<Figures, StoreError> {
        let (counts, ages) = self.metrics()?;
        let mut states = BTreeMap::new();
        for (_, state, n) in counts {
            *states.entry(state).or_insert(0) += n;
        }
        let mut dead_deliveries = BTreeMap::new();
        for (sink, state, n) in self.delivery_counts()? {
            *dead_deliveries.entry(sink).or_insert(0) += if state == "dead" { n } else { 0 };
        }
        let n = |s: &str| states.get(s).copied().unwrap_or(0);
        Ok(Figures {
            today_since: today_since.to_string(),
            today: self.throughput(today_since)?,
            all_time: self.throughput("")?,
            review_queue: n("in_review"),
            oldest_in_review_seconds: ages.iter().find(|(s, _)| s == "in_review").map(|(_, a)| *a),
            waiting: n("received"),
            processing: n("processing"),
            states,
            dead_deliveries,
        })
    }
}

/// Midnight UTC of today, as the ledger writes times.
pub fn today_utc() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT00:00:00.000Z")
        .to_string()
}

/// An age as `mailroom status` and the admin status page say it: `3d 4h`, `2h 5m`,
/// `4m 10s`, `12s`.
pub fn age(seconds: f64) -> String {
    let s = seconds.max(0.0) as u64;
    let (d, h, m) = (s / 86400, s / 3600 % 24, s / 60 % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {}s", s % 60),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod age_tests {
    #[test]
    fn ages_read_as_mailroom_status_says_them() {
        assert_eq!(super::age(12.4), "12s");
        assert_eq!(super::age(250.0), "4m 10s");
        assert_eq!(super::age(7500.0), "2h 5m");
        assert_eq!(super::age(273600.0), "3d 4h");
    }
}
