//! The outbox: one delivery row per sink and event, written in the transaction that
//! changes the document's state, then worked off by the sink dispatchers.
//!
//! A dispatcher records each attempt *before* it sends ([`Store::delivery_started`]),
//! so after a crash a pending row with attempts > 0 says "this may have gone out
//! already"; sinks that can look (a file that exists, a CSV row with the key) do, and
//! webhooks resend with the same `Idempotency-Key`. Nothing is lost: a row leaves
//! `pending` only when a send succeeded or the retry policy gave up (`dead`, kept
//! with the last response for an admin to retry).

use super::db::{self, params, Exec, OptionalExtension, Row, Tx};

use super::{now, Store, StoreError};

/// Deliveries to create with a state change: one per sink, all for one event.
pub struct Notice<'a> {
    pub event: &'a str,
    pub sinks: Vec<String>,
    pub payload: &'a str,
}

/// One row of the outbox, as a dispatcher or an admin sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Delivery {
    pub id: i64,
    pub document_id: String,
    /// The document's ingest order (files are named by it).
    pub seq: i64,
    pub sink: String,
    pub event: String,
    pub revision: i64,
    #[serde(skip)]
    pub payload: String,
    pub state: String,
    /// Attempts started so far, including one in progress.
    pub attempts: u32,
    pub next_attempt_at: i64,
    pub window_start: i64,
    pub created_at: String,
    pub updated_at: String,
    pub delivered_at: Option<String>,
    pub last_error: Option<String>,
    pub last_status: Option<u16>,
    pub last_response: Option<String>,
}

impl Delivery {
    /// What a receiver deduplicates on: the same for every resend of this delivery.
    pub fn idempotency_key(&self) -> String {
        format!("{}.{}", self.document_id, self.revision)
    }
}

/// How an attempt ended, as recorded.
pub struct AttemptRecord<'a> {
    pub error: &'a str,
    pub status: Option<u16>,
    pub response: Option<&'a str>,
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

const COLUMNS: &str =
    "o.id, o.document_id, d.seq, o.sink, o.event, o.revision, o.payload, o.state, o.attempts,
     o.next_attempt_at, o.window_start, o.created_at, o.updated_at, o.delivered_at, o.last_error,
     o.last_status, o.last_response";

fn row_to_delivery(r: &Row<'_, '_>) -> db::Result<Delivery> {
    Ok(Delivery {
        id: r.get(0)?,
        document_id: r.get(1)?,
        seq: r.get(2)?,
        sink: r.get(3)?,
        event: r.get(4)?,
        revision: r.get(5)?,
        payload: r.get(6)?,
        state: r.get(7)?,
        attempts: r.get::<i64>(8)?.max(0) as u32,
        next_attempt_at: r.get(9)?,
        window_start: r.get(10)?,
        created_at: r.get(11)?,
        updated_at: r.get(12)?,
        delivered_at: r.get(13)?,
        last_error: r.get(14)?,
        last_status: r.get::<Option<i64>>(15)?.map(|s| s as u16),
        last_response: r.get(16)?,
    })
}

/// Inside the state-change transaction: one pending row per sink.
pub(super) fn enqueue(
    tx: &mut Tx<'_>,
    document_id: &str,
    revision: i64,
    notice: &Notice<'_>,
    at: &str,
) -> db::Result<()> {
    let t = now_ms();
    for sink in &notice.sinks {
        tx.execute(
            "INSERT INTO outbox (document_id, sink, event, revision, payload, state,
                 next_attempt_at, window_start, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?6, ?7, ?7)
             ON CONFLICT DO NOTHING",
            params![
                document_id,
                sink,
                notice.event,
                revision,
                notice.payload,
                t,
                at
            ],
        )?;
    }
    Ok(())
}

impl Store {
    /// Pending deliveries of `sink` whose time has come, oldest first.
    ///
    /// On PostgreSQL, where several processes dispatch, only the holder of the sink's
    /// lease gets any: one process sends a sink's deliveries at a time, so no delivery
    /// is sent by two at once and the files sink writes in ingest order. The lease is
    /// taken here when free or expired and kept by [`Store::renew_claims`]; when its
    /// holder dies another process's dispatcher takes it over once it runs out.
    pub fn due_deliveries(&self, sink: &str, limit: usize) -> Result<Vec<Delivery>, StoreError> {
        let now = now_ms();
        let until = now + self.lease_ms;
        self.with(|c| {
            if c.backend() == db::Backend::Postgres {
                let held = c.execute(
                    "INSERT INTO sink_leases (sink, holder, lease_until) VALUES (?1, ?2, ?3)
                     ON CONFLICT (sink) DO UPDATE
                       SET holder = excluded.holder, lease_until = excluded.lease_until
                       WHERE sink_leases.holder = excluded.holder OR sink_leases.lease_until < ?4",
                    params![sink, self.worker, until, now],
                )?;
                if held == 0 {
                    return Ok(Vec::new());
                }
            }
            let rows = c.query_map(
                &format!(
                    "SELECT {COLUMNS} FROM outbox o JOIN documents d ON d.id = o.document_id
                 WHERE o.sink = ?1 AND o.state = 'pending' AND o.next_attempt_at <= ?2
                 ORDER BY o.next_attempt_at, o.id LIMIT ?3"
                ),
                params![sink, now_ms(), limit as i64],
                row_to_delivery,
            )?;
            Ok(rows)
        })
    }

    /// When the next pending delivery of `sink` is due (unix ms), if any is pending.
    pub fn next_due(&self, sink: &str) -> Result<Option<i64>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT MIN(next_attempt_at) FROM outbox WHERE sink = ?1 AND state = 'pending'",
                params![sink],
                |r| r.get(0),
            )
        })
    }

    /// Record that an attempt is starting, before anything is sent.
    pub fn delivery_started(&self, id: i64) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE outbox SET attempts = attempts + 1, updated_at = ?2 WHERE id = ?1",
                params![id, now()],
            )
        })?;
        Ok(())
    }

    pub fn delivery_succeeded(
        &self,
        id: i64,
        status: Option<u16>,
        response: Option<&str>,
    ) -> Result<(), StoreError> {
        let at = now();
        self.with(|c| {
            c.execute(
                "UPDATE outbox SET state = 'delivered', updated_at = ?2, delivered_at = ?2,
                     last_status = ?3, last_response = ?4, last_error = NULL
                 WHERE id = ?1",
                params![id, at, status, response],
            )
        })?;
        Ok(())
    }

    /// A failed attempt: try again at `next_at` (unix ms), or give up (`None`: dead).
    pub fn delivery_failed(
        &self,
        id: i64,
        next_at: Option<i64>,
        rec: &AttemptRecord<'_>,
    ) -> Result<(), StoreError> {
        let at = now();
        self.with(|c| {
            c.execute(
                "UPDATE outbox SET state = CASE WHEN CAST(?2 AS BIGINT) IS NULL THEN 'dead' ELSE 'pending' END,
                     next_attempt_at = COALESCE(?2, next_attempt_at), updated_at = ?3,
                     last_error = ?4, last_status = ?5, last_response = ?6
                 WHERE id = ?1",
                params![id, next_at, at, rec.error, rec.status, rec.response],
            )
        })?;
        Ok(())
    }

    /// Give dead deliveries (all, or one by id) a new set of attempts, due now.
    pub fn retry_dead(&self, id: Option<i64>) -> Result<usize, StoreError> {
        let t = now_ms();
        self.with(|c| {
            c.execute(
                "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?2,
                     window_start = ?2, updated_at = ?3
                 WHERE state = 'dead' AND (CAST(?1 AS BIGINT) IS NULL OR id = ?1)",
                params![id, t, now()],
            )
        })
    }

    /// Deliveries of one document, in the order they were created.
    pub fn deliveries_of(&self, document_id: &str) -> Result<Vec<Delivery>, StoreError> {
        self.with(|c| {
            let rows = c.query_map(
                &format!(
                    "SELECT {COLUMNS} FROM outbox o JOIN documents d ON d.id = o.document_id
                 WHERE o.document_id = ?1 ORDER BY o.id"
                ),
                params![document_id],
                row_to_delivery,
            )?;
            Ok(rows)
        })
    }

    /// Deliveries in `state` (all when `None`), oldest first, at most `limit`.
    pub fn deliveries(
        &self,
        state: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        self.with(|c| {
            let rows = c.query_map(
                &format!(
                    "SELECT {COLUMNS} FROM outbox o JOIN documents d ON d.id = o.document_id
                 WHERE ?1 IS NULL OR o.state = ?1 ORDER BY o.id LIMIT ?2"
                ),
                params![state, limit as i64],
                row_to_delivery,
            )?;
            Ok(rows)
        })
    }

    /// Counts of deliveries per sink and state.
    pub fn delivery_counts(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        self.with(|c| {
            let rows = c.query_map("SELECT sink, state, COUNT(*) FROM outbox GROUP BY sink, state ORDER BY sink, state", params![], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            Ok(rows)
        })
    }

    /// One delivery by id.
    pub fn delivery(&self, id: i64) -> Result<Option<Delivery>, StoreError> {
        self.with(|c| {
            c.query_row(
                &format!(
                    "SELECT {COLUMNS} FROM outbox o JOIN documents d ON d.id = o.document_id WHERE o.id = ?1"
                ),
                params![id],
                row_to_delivery,
            )
            .optional()
        })
    }
}
