//! The ledger: a content-addressed blob store and the SQLite database of documents,
//! their states and every transition.
//!
//! Durability contract: a source may move or delete an input only after [`Store::ingest`]
//! returned, i.e. after the bytes were fsynced under their sha256 and the document row
//! was committed. Every state change is one transaction that also records the
//! transition (time, from, to, reason). A document in `processing` when the process
//! died is put back to `received` at start-up ([`Store::recover`]).

/// `SELECT <every column row_to_doc reads> FROM documents <rest>`, as one literal: the
/// column list lives here once, beside [`row_to_doc`]'s order.
macro_rules! select_documents {
    ($rest:literal) => {
        concat!(
            "SELECT seq, id, name, sha256, size, state, reason, duplicate_of, received_at, updated_at, result, posted_at, parent_id, source_meta FROM documents ",
            $rest
        )
    };
}

pub mod backup;
pub mod blobs;
mod connections;
pub mod db;
pub mod figures;
pub mod lock;
pub mod mail;
mod migrate;
pub mod outbox;
pub mod review;
pub mod search;
pub mod tokens;
pub mod transfer;
pub mod unpack;
pub mod users;
pub mod vendors;

use std::path::Path;
use std::sync::Mutex;

use connections::Connections;

use db::{params, Conn, Exec, OptionalExtension, Row, Tx};

pub use blobs::BlobStore;
pub use outbox::{AttemptRecord, Delivery, Notice};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// `path`: the SQLite file, or the PostgreSQL URL without its password.
    #[error("database {path}: {source}")]
    Db { path: String, source: db::DbError },
    #[error("blob store: {0}")]
    Blob(#[from] std::io::Error),
    #[error("document {0} not found")]
    NotFound(String),
    #[error("document {id} is {state}")]
    Conflict { id: String, state: String },
    #[error("{0}")]
    Invalid(String),
}

/// The states of the architecture brief.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Received,
    Processing,
    AutoPosted,
    InReview,
    Quarantined,
    Duplicate,
    Posted,
    Rejected,
    /// An email whose attachments became documents of their own (its final state).
    Unpacked,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Received => "received",
            State::Processing => "processing",
            State::AutoPosted => "auto_posted",
            State::InReview => "in_review",
            State::Quarantined => "quarantined",
            State::Duplicate => "duplicate",
            State::Posted => "posted",
            State::Rejected => "rejected",
            State::Unpacked => "unpacked",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        Some(match s {
            "received" => State::Received,
            "processing" => State::Processing,
            "auto_posted" => State::AutoPosted,
            "in_review" => State::InReview,
            "quarantined" => State::Quarantined,
            "duplicate" => State::Duplicate,
            "posted" => State::Posted,
            "rejected" => State::Rejected,
            "unpacked" => State::Unpacked,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub struct DocumentRow {
    pub seq: i64,
    pub id: String,
    pub name: String,
    pub sha256: String,
    pub size: u64,
    pub state: State,
    pub reason: Option<String>,
    pub duplicate_of: Option<String>,
    pub received_at: String,
    pub updated_at: String,
    pub result: Option<String>,
    pub posted_at: Option<String>,
    /// The email this document was an attachment of.
    pub parent_id: Option<String>,
    /// Where it came from beyond the file (JSON; for attachments the email's sender,
    /// subject, date and message id), copied into the typed document's `source`.
    pub source_meta: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Transition {
    pub from: Option<String>,
    pub to: String,
    pub at: String,
    pub reason: String,
    /// Who: `None` for mailroom itself.
    pub actor: Option<String>,
}

/// What ingest did with a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingested {
    New {
        id: String,
    },
    Duplicate {
        id: String,
        of: String,
    },
    /// The same inbox file was ingested before a crash kept it from being moved.
    Resumed {
        id: String,
    },
}

impl Ingested {
    pub fn id(&self) -> &str {
        match self {
            Ingested::New { id } | Ingested::Duplicate { id, .. } | Ingested::Resumed { id } => id,
        }
    }
}

pub struct Store {
    db: Connections,
    /// Where the ledger is, for messages: the SQLite file or the redacted URL.
    path: String,
    backend: db::Backend,
    /// This process among those on the ledger (host, pid and a random part), for
    /// the claims it holds on PostgreSQL.
    worker: String,
    /// How long a claim lives unless renewed ([`Store::renew_claims`]), in ms.
    lease_ms: i64,
    pub blobs: BlobStore,
}

/// How long a claim on PostgreSQL lives unless its holder renews it: a dead worker's
/// documents and sinks are taken over this long after its last renewal.
/// `MAILROOM_LEASE_MS` overrides it (tests that kill a worker).
pub const LEASE_MS: i64 = 30_000;

fn worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into());
    let tag = ulid::Ulid::new().to_string();
    format!("{host}:{}:{}", std::process::id(), &tag[tag.len() - 6..])
}

fn lease_ms() -> i64 {
    std::env::var("MAILROOM_LEASE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|ms: &i64| *ms > 0)
        .unwrap_or(LEASE_MS)
}

/// Documents as (type, state, count) and the oldest waiting per state as (state, seconds).
pub type Gauges = (Vec<(String, String, i64)>, Vec<(String, f64)>);

pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Create the folder the ledger file lives in.
fn ledger_folder(db_path: &Path) -> Result<(), StoreError> {
    match db_path.parent() {
        Some(dir) => create_folder(dir),
        None => Ok(()),
    }
}

fn create_folder(dir: &Path) -> Result<(), StoreError> {
    // "File exists" alone does not say which: a var_dir that is a file.
    std::fs::create_dir_all(dir).map_err(|e| {
        StoreError::Invalid(format!("cannot create the folder {}: {e}", dir.display()))
    })
}

impl Store {
    /// The ledger at `db_path` with its blobs in the folder `blob_dir`.
    pub fn open(db_path: &Path, blob_dir: &Path) -> Result<Store, StoreError> {
        Store::open_with(db_path, BlobStore::open(blob_dir)?)
    }

    /// The configured ledger (`[database]`) and blob store (`[blobs]`).
    pub fn open_config(cfg: &crate::config::Config) -> Result<Store, StoreError> {
        use crate::config::database::Database;
        // The ledger's folder (on PostgreSQL var_dir, which still holds the default
        // blob folder) first: a var_dir that is a file must be named as such, not as
        // its blobs/tmp.
        match &cfg.database {
            Database::Sqlite(_) | Database::InVarDir => ledger_folder(&cfg.db_path())?,
            Database::Postgres(_) => create_folder(&cfg.var_dir)?,
        }
        // The message alone: as `Blob` it would print twice in an error chain.
        let blobs =
            BlobStore::open_location(&cfg.blobs).map_err(|e| StoreError::Invalid(e.to_string()))?;
        match &cfg.database {
            Database::Sqlite(_) | Database::InVarDir => Store::open_with(&cfg.db_path(), blobs),
            Database::Postgres(url) => {
                Store::open_postgres_with(url, blobs, cfg.database_connections)
            }
        }
    }

    pub fn open_with(db_path: &Path, blobs: BlobStore) -> Result<Store, StoreError> {
        let err = |source: rusqlite::Error| StoreError::Db {
            path: db_path.display().to_string(),
            source: source.into(),
        };
        ledger_folder(db_path)?;
        let mut conn = rusqlite::Connection::open(db_path).map_err(err)?;
        // WAL + FULL: a committed transaction survives power loss, readers never block.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(err)?;
        migrate::sqlite(&mut conn).map_err(|source| StoreError::Db {
            path: db_path.display().to_string(),
            source,
        })?;
        let mut conn = Conn::Sqlite(conn);
        search::index_missing(&mut conn).map_err(|source| StoreError::Db {
            path: db_path.display().to_string(),
            source,
        })?;
        Ok(Store {
            db: Connections::One(Mutex::new(conn)),
            path: db_path.display().to_string(),
            backend: db::Backend::Sqlite,
            worker: worker_name(),
            lease_ms: lease_ms(),
            blobs,
        })
    }

    /// The ledger on the PostgreSQL server `url` names, its schema brought up to date,
    /// through one connection.
    pub fn open_postgres(
        url: &crate::config::database::PostgresUrl,
        blobs: BlobStore,
    ) -> Result<Store, StoreError> {
        Store::open_postgres_with(url, blobs, 1)
    }

    /// [`Store::open_postgres`] with up to `connections` connections, used at once by
    /// the callers of this process ([`connections`]).
    pub fn open_postgres_with(
        url: &crate::config::database::PostgresUrl,
        blobs: BlobStore,
        connections: u32,
    ) -> Result<Store, StoreError> {
        let shown = url.to_string();
        let mut conn = migrate::postgres(url)?;
        search::index_missing(&mut conn).map_err(|source| StoreError::Db {
            path: shown.clone(),
            source,
        })?;
        Ok(Store {
            db: Connections::new(conn, url, connections)?,
            path: shown,
            backend: db::Backend::Postgres,
            worker: worker_name(),
            lease_ms: lease_ms(),
            blobs,
        })
    }

    /// This process's name in the claims it holds.
    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// Keep this process's claims alive: its documents in `processing` and the sinks
    /// it sends for. Called well within [`LEASE_MS`] by a thread of the run; when the
    /// process dies the renewals stop and the others take its work over.
    pub fn renew_claims(&self) -> Result<(), StoreError> {
        if self.backend == db::Backend::Sqlite {
            return Ok(());
        }
        let until = outbox::now_ms() + self.lease_ms;
        self.with(|c| {
            c.execute(
                "UPDATE documents SET lease_until = ?2 WHERE claimed_by = ?1 AND state = 'processing'",
                params![self.worker, until],
            )?;
            c.execute(
                "UPDATE sink_leases SET lease_until = ?2 WHERE holder = ?1",
                params![self.worker, until],
            )?;
            Ok(())
        })
    }

    /// Give up this process's sink leases at a clean exit, so that another run's
    /// dispatcher takes the sinks over at once rather than when the leases run out.
    pub fn release_claims(&self) -> Result<(), StoreError> {
        if self.backend == db::Backend::Sqlite {
            return Ok(());
        }
        self.with(|c| {
            c.execute(
                "DELETE FROM sink_leases WHERE holder = ?1",
                params![self.worker],
            )
        })?;
        Ok(())
    }

    /// Claims live `ms` unless renewed (tests; a run uses [`LEASE_MS`]).
    pub fn set_lease_ms(&mut self, ms: i64) {
        self.lease_ms = ms.max(1);
    }

    /// How often [`Store::renew_claims`] must run.
    pub fn renew_every(&self) -> std::time::Duration {
        std::time::Duration::from_millis((self.lease_ms / 3).max(1) as u64)
    }

    /// Which engine keeps this ledger.
    pub fn backend(&self) -> db::Backend {
        self.backend
    }

    fn with<T: Send>(
        &self,
        f: impl FnOnce(&mut Conn) -> db::Result<T> + Send,
    ) -> Result<T, StoreError> {
        self.db.run(f).map_err(|source| StoreError::Db {
            path: self.path.clone(),
            source,
        })
    }

    /// [`Store::with`] on the connection that keeps this process's session-level
    /// locks ([`connections`]).
    fn with_home<T: Send>(
        &self,
        f: impl FnOnce(&mut Conn) -> db::Result<T> + Send,
    ) -> Result<T, StoreError> {
        self.db.run_home(f).map_err(|source| StoreError::Db {
            path: self.path.clone(),
            source,
        })
    }

    /// Copy `file` into the blob store and record it. Returns only when both are durable.
    pub fn ingest(&self, file: &Path) -> Result<Ingested, StoreError> {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.ingest_as(file, &name)
    }

    /// [`Store::ingest`] under another name (its path below the inbox).
    pub fn ingest_as(&self, file: &Path, name: &str) -> Result<Ingested, StoreError> {
        self.ingest_with(file, name, None)
    }

    /// [`Store::ingest_as`], recording `source_meta` (JSON, [`DocumentRow::source_meta`])
    /// with the document: an upload records who uploaded it.
    pub fn ingest_with(
        &self,
        file: &Path,
        name: &str,
        source_meta: Option<&str>,
    ) -> Result<Ingested, StoreError> {
        let (sha, size) = self.blobs.put_file(file)?;
        let name = name.to_string();
        // One ingest at a time across processes (the writers' lock): two runs watching
        // one inbox (a shared filesystem) both read a file; the second then finds the
        // first's document instead of adding its own.
        let ingested = self.with(|c| {
            let mut tx = c.immediate()?;
            // Same bytes under the same name, never moved out of the inbox: our own
            // earlier ingest that crashed before the move, or another run's still
            // moving it. Not a duplicate.
            let resumed: Option<String> = tx
                .query_row(
                    "SELECT id FROM documents WHERE sha256 = ?1 AND name = ?2 AND intake_done = 0 ORDER BY seq LIMIT 1",
                    params![sha, name],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(id) = resumed {
                return Ok(Some(Ingested::Resumed { id }));
            }
            // Gone since it was read: another run took it in and moved it out (its
            // intake is done), so it is that run's document, not a duplicate.
            if !file.exists() {
                return Ok(None);
            }
            let ingested = insert_document(
                &mut tx,
                &NewDocument {
                    name: &name,
                    sha256: &sha,
                    size,
                    intake_done: false,
                    parent_id: None,
                    source_meta,
                    reason: &format!("ingested from {name}"),
                },
            )?;
            tx.commit()?;
            Ok(Some(ingested))
        })?;
        ingested.ok_or_else(|| {
            StoreError::Blob(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{} was taken in by another run", file.display()),
            ))
        })
    }

    /// The inbox file of `id` was moved or deleted.
    pub fn intake_done(&self, id: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE documents SET intake_done = 1 WHERE id = ?1",
                params![id],
            )
        })?;
        Ok(())
    }

    /// Put documents left in `processing` by a crash back in the queue.
    ///
    /// A document already picked up `max_attempts` times was interrupted every time (a
    /// file that crashes or hangs the process would otherwise be taken first again on
    /// every restart, for ever): it is left in `processing` and returned, for the
    /// caller to quarantine with the reason and its notices.
    pub fn recover(&self, max_attempts: i64) -> Result<(usize, Vec<(String, i64)>), StoreError> {
        // On PostgreSQL other live processes hold documents in `processing` too: only
        // those whose holder stopped renewing its lease are taken back.
        let now_ms = outbox::now_ms();
        let rows: Vec<(String, i64)> = self.with(|c| {
            let rows = c.query_map(
                "SELECT id, attempts FROM documents WHERE state = 'processing'
                   AND (?1 = 0 OR lease_until IS NULL OR lease_until < ?2)",
                params![self.backend == db::Backend::Postgres, now_ms],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok(rows)
        })?;
        let (mut resumed, mut spent) = (0, Vec::new());
        for (id, n) in rows {
            // Taken over in one transaction that checks the lease again: of two
            // processes recovering at once, one gets each document.
            let reason = format!(
                "resumed after restart (attempt {} of {max_attempts})",
                n + 1
            );
            let until = now_ms + self.lease_ms;
            let ours = self.with(|c| {
                let mut tx = c.immediate()?;
                let taken = tx.execute(
                    "UPDATE documents SET claimed_by = ?2, lease_until = ?3
                     WHERE id = ?1 AND state = 'processing'
                       AND (?4 = 0 OR lease_until IS NULL OR lease_until < ?5)",
                    params![
                        id,
                        self.worker,
                        until,
                        self.backend == db::Backend::Postgres,
                        now_ms
                    ],
                )? == 1;
                if taken && n < max_attempts {
                    let r = apply(
                        &mut tx,
                        &Change {
                            id: &id,
                            expect: Some(State::Processing),
                            to: State::Received,
                            reason: &reason,
                            result: None,
                            notice: None,
                            actor: None,
                        },
                    )?;
                    if r.is_err() {
                        return Ok(false);
                    }
                }
                tx.commit()?;
                Ok(taken)
            })?;
            match (ours, n >= max_attempts) {
                (false, _) => {}
                (true, false) => resumed += 1,
                // Held by this process now, for the caller to quarantine.
                (true, true) => spent.push((id, n)),
            }
        }
        Ok((resumed, spent))
    }

    /// Move `id` to `to`, recording why. `result` (the typed document JSON) is stored when
    /// given. `notice` adds pending deliveries to the outbox in the same transaction: a
    /// posted document can never lack its deliveries.
    pub fn transition(
        &self,
        id: &str,
        to: State,
        reason: &str,
        result: Option<&str>,
        notice: Option<&Notice<'_>>,
    ) -> Result<(), StoreError> {
        self.change(&Change {
            id,
            expect: None,
            to,
            reason,
            result,
            notice,
            actor: None,
        })
    }

    /// The first document other than `id`, posted, auto-posted or in review, that
    /// prints `number` as its invoice number or `total` as its total and that `same`
    /// (given its typed result) says is the same invoice: its id, its state, and what
    /// `same` said. With a `change`, the search and the change are one immediate
    /// transaction, and the change is made only when nothing is found: two copies of an
    /// invoice read at once cannot both be posted.
    pub(crate) fn change_unless_same(
        &self,
        id: &str,
        number: Option<&str>,
        total: Option<&str>,
        same: &(dyn Fn(&str) -> Option<String> + Sync),
        change: Option<&Change<'_>>,
    ) -> Result<Option<(String, String, String)>, StoreError> {
        self.with(|c| {
            let mut tx = c.immediate()?;
            let found = {
                let rows = tx.query_map(
                    "SELECT id, state, result FROM documents
                     WHERE id != ?1 AND state IN ('auto_posted', 'posted', 'in_review')
                       AND result IS NOT NULL
                       AND (json_extract(result, '$.fields.invoice_number.value') = ?2
                            OR json_extract(result, '$.fields.total.value') = ?3)
                     ORDER BY seq",
                    params![id, number, total],
                    |r| {
                        Ok((
                            r.get::<String>(0)?,
                            r.get::<String>(1)?,
                            r.get::<String>(2)?,
                        ))
                    },
                )?;
                let mut found = None;
                for (other, state, result) in rows {
                    if let Some(by) = same(&result) {
                        found = Some((other, state, by));
                        break;
                    }
                }
                found
            };
            if found.is_some() {
                return Ok(Ok(found));
            }
            let r = match change {
                Some(ch) => apply(&mut tx, ch)?.map(|()| None),
                None => Ok(None),
            };
            tx.commit()?;
            Ok(r)
        })?
    }

    /// Apply one [`Change`] in its own immediate transaction.
    pub(crate) fn change(&self, change: &Change<'_>) -> Result<(), StoreError> {
        self.with(|c| {
            let mut tx = c.immediate()?;
            let r = apply(&mut tx, change)?;
            tx.commit()?;
            Ok(r)
        })?
    }

    /// Claim the oldest `received` document by moving it to `processing`. Selecting
    /// and moving are one transaction: two workers (or two processes on one ledger)
    /// never claim the same document. On SQLite the transaction is immediate (one
    /// writer at a time); on PostgreSQL the row is locked `FOR UPDATE SKIP LOCKED`, so
    /// claims of many processes go on side by side, each taking the next free row, and
    /// the claim carries this process's name and a lease ([`Store::renew_claims`]).
    pub fn claim_next(&self) -> Result<Option<DocumentRow>, StoreError> {
        let until = outbox::now_ms() + self.lease_ms;
        self.with(|c| {
            let (mut tx, select) = match c.backend() {
                db::Backend::Sqlite => (
                    c.immediate()?,
                    select_documents!("WHERE state = 'received' ORDER BY seq LIMIT 1"),
                ),
                db::Backend::Postgres => (
                    c.transaction()?,
                    select_documents!(
                        "WHERE state = 'received' ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED"
                    ),
                ),
            };
            let row = tx.query_row(select, params![], row_to_doc).optional()?;
            if let Some(r) = &row {
                let (at, reason) = (now(), "picked up by a worker");
                tx.execute(
                    "UPDATE documents SET state = 'processing', reason = ?2, updated_at = ?3,
                         attempts = attempts + 1, claimed_by = ?4, lease_until = ?5
                     WHERE id = ?1",
                    params![r.id, reason, at, self.worker, until],
                )?;
                tx.execute(
                    "INSERT INTO transitions (document_id, from_state, to_state, at, reason) VALUES (?1, 'received', 'processing', ?2, ?3)",
                    params![r.id, at, reason],
                )?;
            }
            tx.commit()?;
            Ok(row)
        })
    }

    pub fn get(&self, id: &str) -> Result<DocumentRow, StoreError> {
        self.with(|c| {
            c.query_row(select_documents!("WHERE id = ?1"), params![id], row_to_doc)
                .optional()
        })?
        .ok_or_else(|| StoreError::NotFound(id.to_string()))
    }

    pub fn list(&self, state: Option<State>) -> Result<Vec<DocumentRow>, StoreError> {
        self.with(|c| {
            let rows = c.query_map(
                select_documents!("WHERE ?1 IS NULL OR state = ?1 ORDER BY seq"),
                params![state.map(State::as_str)],
                row_to_doc,
            )?;
            Ok(rows)
        })
    }

    pub fn transitions(&self, id: &str) -> Result<Vec<Transition>, StoreError> {
        self.with(|c| {
            let rows = c.query_map("SELECT from_state, to_state, at, reason, actor FROM transitions WHERE document_id = ?1 ORDER BY id", params![id], |r| {
                    Ok(Transition {
                        from: r.get(0)?,
                        to: r.get(1)?,
                        at: r.get(2)?,
                        reason: r.get(3)?,
                        actor: r.get(4)?,
                    })
                })?;
            Ok(rows)
        })
    }

    /// Counts per state.
    pub fn counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        self.with(|c| {
            let rows = c.query_map(
                "SELECT state, COUNT(*) FROM documents GROUP BY state ORDER BY state",
                params![],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok(rows)
        })
    }

    /// Is there work left: documents waiting or being processed, or deliveries pending.
    /// Documents per type and state, and the age in seconds of the oldest document
    /// waiting (received, processing or in review) in each of those states.
    pub fn metrics(&self) -> Result<Gauges, StoreError> {
        self.with(|c| {
            let counts = c.query_map(
                "SELECT COALESCE(doc_type, ''), state, COUNT(*) FROM documents
                 GROUP BY 1, 2 ORDER BY 1, 2",
                params![],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            let age = match c.backend() {
                db::Backend::Sqlite => "(julianday('now') - julianday(MIN(received_at))) * 86400.0",
                db::Backend::Postgres => {
                    "EXTRACT(EPOCH FROM now() - MIN(received_at)::timestamptz)::float8"
                }
            };
            let ages = c.query_map(
                &format!(
                    "SELECT state, {age}
                     FROM documents WHERE state IN ('received', 'processing', 'in_review')
                     GROUP BY state ORDER BY state"
                ),
                params![],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok((counts, ages))
        })
    }

    pub fn busy(&self) -> Result<bool, StoreError> {
        let (documents, deliveries) = self.work_left()?;
        Ok(documents || deliveries)
    }

    /// (documents waiting or being read, deliveries pending): what is left for the
    /// workers and for the dispatchers.
    pub fn work_left(&self) -> Result<(bool, bool), StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT EXISTS(SELECT 1 FROM documents WHERE state IN ('received', 'processing')),
                     EXISTS(SELECT 1 FROM outbox WHERE state = 'pending')",
                params![],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
    }
}

/// One state change, applied inside a caller's transaction by [`apply`].
pub(crate) struct Change<'a> {
    pub id: &'a str,
    /// Refuse the change unless the document is in this state (a person approving a
    /// document someone else already posted).
    pub expect: Option<State>,
    pub to: State,
    pub reason: &'a str,
    pub result: Option<&'a str>,
    pub notice: Option<&'a Notice<'a>>,
    /// Who made the change: `None` for mailroom itself, else a user or API token.
    pub actor: Option<&'a str>,
}

/// Apply `change` in `tx`: the document row, its transition and its deliveries.
/// The outer `Result` is the database's; the inner one the document's (not found, or
/// not in the expected state).
pub(crate) fn apply(tx: &mut Tx<'_>, change: &Change<'_>) -> db::Result<Result<(), StoreError>> {
    let id = change.id;
    let from: Option<String> = tx
        .query_row(
            "SELECT state FROM documents WHERE id = ?1",
            params![id],
            |r| r.get(0),
        )
        .optional()?;
    let Some(from) = from else {
        return Ok(Err(StoreError::NotFound(id.to_string())));
    };
    if let Some(expect) = change.expect {
        if from != expect.as_str() {
            return Ok(Err(StoreError::Conflict {
                id: id.to_string(),
                state: from,
            }));
        }
    }
    let at = now();
    let posted = matches!(change.to, State::AutoPosted | State::Posted);
    tx.execute(
        "UPDATE documents SET state = ?2, reason = ?3, updated_at = ?4, result = COALESCE(?5, result),
             posted_at = CASE WHEN ?6 THEN ?4 ELSE posted_at END
         WHERE id = ?1",
        params![id, change.to.as_str(), change.reason, at, change.result, posted],
    )?;
    let revision: i64 = tx.query_row(
        "INSERT INTO transitions (document_id, from_state, to_state, at, reason, actor) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
        params![id, from, change.to.as_str(), at, change.reason, change.actor],
        |r| r.get(0),
    )?;
    if let Some(n) = change.notice {
        outbox::enqueue(tx, id, revision, n, &at)?;
    }
    if change.result.is_some() {
        search::index_document(tx, id, change.result)?;
    }
    Ok(Ok(()))
}

/// A document about to enter the ledger.
pub(crate) struct NewDocument<'a> {
    pub name: &'a str,
    pub sha256: &'a str,
    pub size: u64,
    /// Whether there is no inbox file left to move (attachments, mail).
    pub intake_done: bool,
    pub parent_id: Option<&'a str>,
    pub source_meta: Option<&'a str>,
    /// The reason recorded when it is new (a duplicate says what it duplicates).
    pub reason: &'a str,
}

/// Insert a document in `tx`: `received`, or a `duplicate` of the first document
/// with the same bytes.
pub(crate) fn insert_document(tx: &mut Tx<'_>, d: &NewDocument<'_>) -> db::Result<Ingested> {
    let first: Option<String> = tx
        .query_row(
            "SELECT id FROM documents WHERE sha256 = ?1 AND state != 'duplicate' ORDER BY seq LIMIT 1",
            params![d.sha256],
            |r| r.get(0),
        )
        .optional()?;
    let id = ulid::Ulid::new().to_string();
    let at = now();
    let (state, reason) = match &first {
        Some(of) => (
            State::Duplicate,
            format!("same bytes (sha256 {}) as {of}", d.sha256),
        ),
        None => (State::Received, d.reason.to_string()),
    };
    tx.execute(
        "INSERT INTO documents (id, name, sha256, size, state, reason, duplicate_of, intake_done, received_at, updated_at, parent_id, source_meta)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11)",
        params![
            id,
            d.name,
            d.sha256,
            d.size as i64,
            state.as_str(),
            reason,
            first,
            d.intake_done,
            at,
            d.parent_id,
            d.source_meta
        ],
    )?;
    tx.execute(
        "INSERT INTO transitions (document_id, from_state, to_state, at, reason) VALUES (?1, NULL, ?2, ?3, ?4)",
        params![id, state.as_str(), at, reason],
    )?;
    search::index_new(tx, &id, d.name)?;
    Ok(match first {
        Some(of) => Ingested::Duplicate { id, of },
        None => Ingested::New { id },
    })
}

fn row_to_doc(r: &Row<'_, '_>) -> db::Result<DocumentRow> {
    let state: String = r.get(5)?;
    Ok(DocumentRow {
        seq: r.get(0)?,
        id: r.get(1)?,
        name: r.get(2)?,
        sha256: r.get(3)?,
        size: r.get::<i64>(4)? as u64,
        state: State::parse(&state).unwrap_or(State::Quarantined),
        reason: r.get(6)?,
        duplicate_of: r.get(7)?,
        received_at: r.get(8)?,
        updated_at: r.get(9)?,
        result: r.get(10)?,
        posted_at: r.get(11)?,
        parent_id: r.get(12)?,
        source_meta: r.get(13)?,
    })
}

/// Store tests on both engines: `Engine` and a ledger opened on it, and
/// `on_both_engines!(name, …)` to run each `fn name(e: Engine)` as `name::sqlite` and
/// `name::postgres` (a database of its own in the test binary's throw-away cluster).
#[cfg(test)]
pub(crate) mod test_ledger {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Engine {
        Sqlite,
        Postgres,
    }

    /// Where a test's ledger is, to open it (again).
    pub struct Ledger {
        dir: std::path::PathBuf,
        pg: Option<crate::config::database::PostgresUrl>,
    }

    impl Ledger {
        pub fn new(e: Engine, dir: &Path) -> Ledger {
            Ledger {
                dir: dir.to_path_buf(),
                pg: (e == Engine::Postgres).then(crate::testing::postgres::fresh_database),
            }
        }

        pub fn open(&self) -> Store {
            let blobs = BlobStore::open(&self.dir.join("blobs")).unwrap();
            match &self.pg {
                None => Store::open_with(&self.dir.join("db.sqlite3"), blobs).unwrap(),
                Some(url) => Store::open_postgres(url, blobs).unwrap(),
            }
        }
    }

    /// A new ledger on `e` in `dir`.
    pub fn store(e: Engine, dir: &Path) -> Store {
        Ledger::new(e, dir).open()
    }

    macro_rules! on_both_engines {
        ($($name:ident),+ $(,)?) => {$(
            mod $name {
                #[test]
                fn sqlite() {
                    super::$name($crate::store::test_ledger::Engine::Sqlite)
                }
                #[test]
                fn postgres() {
                    super::$name($crate::store::test_ledger::Engine::Postgres)
                }
            }
        )+};
    }
    pub(crate) use on_both_engines;
}

#[cfg(test)]
mod tests {
    use super::test_ledger::{on_both_engines, store, Engine, Ledger};
    use super::*;

    on_both_engines!(
        ingest_dedupes_and_resumes,
        a_ledger_opens_again_after_its_columns_were_added,
        pages_come_back_with_their_words_boxes_and_codes,
        concurrent_claims_never_take_the_same_document,
        a_document_interrupted_every_time_is_handed_back_after_its_attempts,
        transitions_are_recorded_and_processing_recovers,
        review_vendors_mail_and_figures_read_back_alike,
    );

    /// `recover` as a restart runs it: after the dead run's leases ran out.
    fn restart(s: &Store) -> (usize, Vec<(String, i64)>) {
        std::thread::sleep(std::time::Duration::from_millis(5));
        s.recover(3).unwrap()
    }

    /// Two processes on one PostgreSQL ledger (two stores, two connections, eight
    /// threads): every document claimed exactly once.
    #[test]
    fn claims_of_two_processes_never_overlap() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::new(Engine::Postgres, dir.path());
        let (a, b) = (
            std::sync::Arc::new(ledger.open()),
            std::sync::Arc::new(ledger.open()),
        );
        assert_ne!(a.worker(), b.worker());
        for i in 0..60 {
            let f = dir.path().join(format!("{i}.png"));
            std::fs::write(&f, format!("doc {i}")).unwrap();
            a.ingest(&f).unwrap();
        }
        let workers: Vec<_> = (0..8)
            .map(|n| {
                let s = if n % 2 == 0 { a.clone() } else { b.clone() };
                std::thread::spawn(move || {
                    let mut mine = Vec::new();
                    while let Some(r) = s.claim_next().unwrap() {
                        mine.push(r.id);
                    }
                    mine
                })
            })
            .collect();
        let mut all: Vec<String> = workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect();
        assert_eq!(all.len(), 60);
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 60, "a document was claimed twice");
    }

    /// A process that stops renewing loses its documents when the lease runs out, not
    /// before; one that renews keeps them.
    #[test]
    fn an_expired_lease_is_taken_over_and_a_renewed_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::new(Engine::Postgres, dir.path());
        let (mut a, b) = (ledger.open(), ledger.open());
        a.set_lease_ms(400);
        for i in 0..2 {
            let f = dir.path().join(format!("{i}.png"));
            std::fs::write(&f, format!("doc {i}")).unwrap();
            a.ingest(&f).unwrap();
        }
        let kept = a.claim_next().unwrap().unwrap();
        let dropped = a.claim_next().unwrap().unwrap();
        assert_eq!(b.recover(3).unwrap(), (0, vec![]), "leases still running");
        std::thread::sleep(std::time::Duration::from_millis(250));
        // `a` renews only one of its claims (the other as if its worker were gone).
        a.with(|c| {
            c.execute(
                "UPDATE documents SET lease_until = ?2 WHERE id = ?1",
                params![kept.id, outbox::now_ms() + 400],
            )
        })
        .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(250));
        assert_eq!(b.recover(3).unwrap(), (1, vec![]));
        assert_eq!(b.get(&kept.id).unwrap().state, State::Processing);
        assert_eq!(b.get(&dropped.id).unwrap().state, State::Received);
        assert_eq!(b.claim_next().unwrap().unwrap().id, dropped.id);
        // The whole process's claims: renewed together.
        std::thread::sleep(std::time::Duration::from_millis(250));
        a.renew_claims().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(250));
        assert_eq!(b.recover(3).unwrap(), (0, vec![]), "renewed in time");
    }

    /// One reader per mailbox among the processes on a PostgreSQL ledger.
    #[test]
    fn a_mailbox_is_read_by_one_process() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::new(Engine::Postgres, dir.path());
        let (a, b) = (ledger.open(), ledger.open());
        assert!(a.hold_mailbox("ap").unwrap());
        assert!(a.hold_mailbox("ap").unwrap(), "again, by its holder");
        assert!(!b.hold_mailbox("ap").unwrap());
        assert!(b.hold_mailbox("sales").unwrap(), "mailboxes apart");
        drop(a);
        // The server releases the lock when the holder's session ends.
        let mut free = false;
        for _ in 0..50 {
            if b.hold_mailbox("ap").unwrap() {
                free = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(free, "released with its holder");
    }

    /// One process sends a sink's deliveries at a time; another takes the sink over
    /// once the holder's lease runs out.
    #[test]
    fn a_sink_is_dispatched_by_one_process_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::new(Engine::Postgres, dir.path());
        let (mut a, b) = (ledger.open(), ledger.open());
        a.set_lease_ms(300);
        let f = dir.path().join("a.png");
        std::fs::write(&f, b"x").unwrap();
        let id = a.ingest(&f).unwrap().id().to_string();
        let notice = Notice {
            event: "document.posted",
            sinks: vec!["files".into(), "erp".into()],
            payload: "{}",
        };
        a.transition(&id, State::AutoPosted, "ok", Some("{}"), Some(&notice))
            .unwrap();
        assert_eq!(a.due_deliveries("files", 10).unwrap().len(), 1);
        assert!(
            b.due_deliveries("files", 10).unwrap().is_empty(),
            "a holds files"
        );
        assert_eq!(b.due_deliveries("erp", 10).unwrap().len(), 1, "sinks apart");
        assert!(
            a.due_deliveries("erp", 10).unwrap().is_empty(),
            "b holds erp"
        );
        std::thread::sleep(std::time::Duration::from_millis(400));
        assert_eq!(
            b.due_deliveries("files", 10).unwrap().len(),
            1,
            "taken over"
        );
        assert!(a.due_deliveries("files", 10).unwrap().is_empty());
    }

    #[test]
    fn an_unreachable_postgres_is_named_without_its_password() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::config::database::PostgresUrl::new(
            "postgresql://mailroom:s3cret@/ledger?host=/nonexistent/socket&port=5999",
        );
        let blobs = BlobStore::open(&dir.path().join("blobs")).unwrap();
        let msg = Store::open_postgres(&url, blobs).err().unwrap().to_string();
        assert!(msg.contains("cannot reach the PostgreSQL ledger"), "{msg}");
        assert!(msg.contains("nonexistent"), "{msg}");
        assert!(!msg.contains("s3cret"), "{msg}");
    }

    /// The queries each module writes, on each engine: filters, the changes feed,
    /// corrections, vendors, mail positions, unpacking and the figures.
    fn review_vendors_mail_and_figures_read_back_alike(e: Engine) {
        use crate::document::vendor::Vendor;
        use crate::source::mailbox::MailPosition;
        let dir = tempfile::tempdir().unwrap();
        let s = store(e, dir.path());
        let since = now();
        let at = MailPosition {
            mailbox: "ap".into(),
            folder: "INBOX".into(),
            uid_validity: 7,
            uid: 42,
        };
        let mail = s.record_mail(&at, b"From: a@b\r\n\r\nhello").unwrap();
        assert_eq!(s.mail_position("ap", "INBOX", 7).unwrap(), (vec![42], 42));
        assert!(matches!(
            s.record_mail(&at, b"x").unwrap(),
            Ingested::Resumed { .. }
        ));
        s.mail_acted(&at).unwrap();
        assert_eq!(s.mail_position("ap", "INBOX", 7).unwrap(), (vec![], 42));
        let email = s.claim_next().unwrap().unwrap();
        assert_eq!(email.id, mail.id());
        let kids = s
            .unpack(
                &email,
                &[unpack::Child {
                    name: "inv.pdf".into(),
                    data: b"%PDF invoice".to_vec(),
                    meta: "{}".into(),
                }],
                "unpacked 1 attachment",
            )
            .unwrap();
        assert_eq!(s.children(&email.id).unwrap()[0].id, kids[0].id());
        let child = s.claim_next().unwrap().unwrap();
        let result = r#"{"doc_type":{"value":"invoice"},"source":{"pages":2},"fields":{"vendor_name":{"value":"Acme Widgets ApS"},"total":{"value":"125.00"}}}"#;
        s.transition(
            &child.id,
            State::InReview,
            "low confidence total",
            Some(result),
            None,
        )
        .unwrap();
        let filter = review::DocumentFilter {
            vendor: Some("WIDGETS".into()),
            doc_type: Some("invoice".into()),
            reason: Some("Confidence".into()),
            parent: Some(email.id.clone()),
            ..Default::default()
        };
        let found = s.find_documents(&filter, 0, 10).unwrap();
        assert_eq!(found.len(), 1, "case-insensitive filters");
        let none = review::DocumentFilter {
            vendor: Some("globex".into()),
            ..Default::default()
        };
        assert!(s.find_documents(&none, 0, 10).unwrap().is_empty());
        assert_eq!(
            s.review_counts().unwrap(),
            (1, vec![("invoice".to_string(), 1)])
        );
        let fix = review::Correction {
            field: "total".into(),
            old_value: Some("125.00".into()),
            new_value: Some("152.00".into()),
            old_raw: None,
            old_confidence: Some(0.5),
            old_page: Some(1),
            old_bbox: Some([1, 2, 3, 4]),
            old_origin: None,
            actor: "ann".into(),
            at: now(),
        };
        s.correct(&child.id, result, std::slice::from_ref(&fix))
            .unwrap();
        let back = s.corrections(&child.id).unwrap();
        assert_eq!(
            (back[0].old_confidence, back[0].old_page, back[0].old_bbox),
            (Some(0.5), Some(1), Some([1, 2, 3, 4]))
        );
        let notice = Notice {
            event: "document.posted",
            sinks: vec!["files".into()],
            payload: "{}",
        };
        s.decide(&child.id, State::Posted, "approved", "ann", Some(&notice))
            .unwrap();
        assert!(matches!(
            s.decide(&child.id, State::Rejected, "again", "bob", None),
            Err(StoreError::Conflict { .. })
        ));
        let feed = s.feed(&[State::Posted, State::Unpacked], 0, 10).unwrap();
        let states: Vec<State> = feed.iter().map(|f| f.state).collect();
        assert_eq!(states, [State::Unpacked, State::Posted]);
        assert_eq!(s.deliveries_of(&child.id).unwrap().len(), 1);
        let t = s.throughput(&since).unwrap();
        assert_eq!((t.documents, t.pages, t.auto_posted), (1, 2, 0));
        let (counts, _ages) = s.metrics().unwrap();
        assert!(
            counts.contains(&("invoice".into(), "posted".into(), 1)),
            "{counts:?}"
        );
        let imported = s
            .import_vendors(&[
                Vendor {
                    name: "beta".into(),
                    vat_id: Some("DK2".into()),
                    ..Default::default()
                },
                Vendor {
                    name: "Alpha".into(),
                    vat_id: Some("DK1".into()),
                    ..Default::default()
                },
            ])
            .unwrap();
        assert_eq!((imported.added, imported.updated), (2, 0));
        let names: Vec<String> = s.vendors().unwrap().into_iter().map(|v| v.name).collect();
        assert_eq!(names, ["Alpha", "beta"], "by name, case folded");
        let alpha = s.vendors().unwrap()[0].id;
        assert_eq!(
            s.vendor(alpha).unwrap().unwrap().vat_id.as_deref(),
            Some("DK1")
        );
        assert!(s.delete_vendor(alpha).unwrap());
    }

    fn ingest_dedupes_and_resumes(e: Engine) {
        let dir = tempfile::tempdir().unwrap();
        let s = store(e, dir.path());
        let a = dir.path().join("a.png");
        std::fs::write(&a, b"same bytes").unwrap();
        let first = s.ingest(&a).unwrap();
        assert!(matches!(first, Ingested::New { .. }));
        // Not moved yet (crash before the move): the same file again is the same document.
        assert_eq!(
            s.ingest(&a).unwrap(),
            Ingested::Resumed {
                id: first.id().into()
            }
        );
        s.intake_done(first.id()).unwrap();
        // Now it is a duplicate of the first.
        let dup = s.ingest(&a).unwrap();
        assert_eq!(
            dup,
            Ingested::Duplicate {
                id: dup.id().into(),
                of: first.id().into()
            }
        );
        assert_eq!(s.get(dup.id()).unwrap().state, State::Duplicate);
    }

    fn a_ledger_opens_again_after_its_columns_were_added(e: Engine) {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::new(e, dir.path());
        let s = ledger.open();
        let f = dir.path().join("a.png");
        std::fs::write(&f, b"x").unwrap();
        let id = s.ingest(&f).unwrap().id().to_string();
        drop(s);
        // Opened again: the migrations already applied are not run twice.
        let s = ledger.open();
        assert_eq!(s.get(&id).unwrap().state, State::Received);
    }

    fn pages_come_back_with_their_words_boxes_and_codes(e: Engine) {
        use crate::text::marks::{Mark, MarkKind, MarkState};
        let dir = tempfile::tempdir().unwrap();
        let s = store(e, dir.path());
        let f = dir.path().join("a.png");
        std::fs::write(&f, b"x").unwrap();
        let id = s.ingest(&f).unwrap().id().to_string();
        let mut page = crate::testing::tie_page();
        page.marks = vec![Mark {
            kind: MarkKind::Checkbox,
            bbox: [10, 20, 60, 70],
            ink: 0.3,
            state: MarkState::Ticked,
            confidence: 0.9,
        }];
        page.codes = vec![crate::text::Code {
            payload: "BCD\n002\n1\nSCT".into(),
            bbox: [100, 100, 300, 300],
        }];
        s.save_pages(&id, &[review::PageInfo::of(&page)]).unwrap();
        let back = s.read_pages(&id).unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].marks, page.marks);
        assert_eq!(back[0].codes, page.codes);
        let words: Vec<(&str, [u32; 4])> = back[0]
            .words
            .iter()
            .map(|w| (w.text.as_str(), w.bbox))
            .collect();
        let expected: Vec<(&str, [u32; 4])> = page
            .words
            .iter()
            .map(|w| (w.text.as_str(), w.bbox))
            .collect();
        assert_eq!(words, expected);
    }

    fn concurrent_claims_never_take_the_same_document(e: Engine) {
        let dir = tempfile::tempdir().unwrap();
        let s = std::sync::Arc::new(store(e, dir.path()));
        for i in 0..40 {
            let f = dir.path().join(format!("{i}.png"));
            std::fs::write(&f, format!("doc {i}")).unwrap();
            s.ingest(&f).unwrap();
        }
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let s = s.clone();
                std::thread::spawn(move || {
                    let mut mine = Vec::new();
                    while let Some(r) = s.claim_next().unwrap() {
                        mine.push(r.id);
                    }
                    mine
                })
            })
            .collect();
        let mut all: Vec<String> = workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect();
        assert_eq!(all.len(), 40);
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 40, "a document was claimed twice");
    }

    fn a_document_interrupted_every_time_is_handed_back_after_its_attempts(e: Engine) {
        let dir = tempfile::tempdir().unwrap();
        // A restart on PostgreSQL finds the claims of the run that died expired.
        let mut s = store(e, dir.path());
        s.set_lease_ms(1);
        let a = dir.path().join("a.png");
        std::fs::write(&a, b"x").unwrap();
        let id = s.ingest(&a).unwrap().id().to_string();
        // Picked up and interrupted twice: resumed each time.
        for _ in 0..2 {
            assert_eq!(s.claim_next().unwrap().unwrap().id, id);
            assert_eq!(restart(&s), (1, vec![]));
        }
        // The third interruption is the last: left for the caller to quarantine.
        assert_eq!(s.claim_next().unwrap().unwrap().id, id);
        assert_eq!(restart(&s), (0, vec![(id.clone(), 3)]));
        assert_eq!(s.get(&id).unwrap().state, State::Processing);
        assert!(s.claim_next().unwrap().is_none(), "not taken again");
    }

    fn transitions_are_recorded_and_processing_recovers(e: Engine) {
        let dir = tempfile::tempdir().unwrap();
        // A restart on PostgreSQL finds the claims of the run that died expired.
        let mut s = store(e, dir.path());
        s.set_lease_ms(1);
        let a = dir.path().join("a.png");
        std::fs::write(&a, b"x").unwrap();
        let id = s.ingest(&a).unwrap().id().to_string();
        let claimed = s.claim_next().unwrap().unwrap();
        assert_eq!(claimed.id, id);
        assert_eq!(s.get(&id).unwrap().state, State::Processing);
        assert_eq!(restart(&s), (1, vec![]));
        assert_eq!(s.get(&id).unwrap().state, State::Received);
        assert_eq!(
            s.get(&id).unwrap().reason.as_deref(),
            Some("resumed after restart (attempt 2 of 3)")
        );
        let notice = Notice {
            event: "document.posted",
            sinks: vec!["files".into(), "erp".into()],
            payload: "{}",
        };
        s.transition(
            &id,
            State::AutoPosted,
            "all checks passed",
            Some("{}"),
            Some(&notice),
        )
        .unwrap();
        let t: Vec<String> = s
            .transitions(&id)
            .unwrap()
            .into_iter()
            .map(|t| t.to)
            .collect();
        assert_eq!(t, ["received", "processing", "received", "auto_posted"]);
        let due = s.due_deliveries("files", 10).unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].idempotency_key(), format!("{id}.4"));
        s.delivery_started(due[0].id).unwrap();
        s.delivery_succeeded(due[0].id, None, None).unwrap();
        assert!(s.due_deliveries("files", 10).unwrap().is_empty());
        // The other sink's delivery is independent and still pending.
        assert!(s.busy().unwrap());
        let erp = s.due_deliveries("erp", 10).unwrap().remove(0);
        s.delivery_started(erp.id).unwrap();
        let rec = AttemptRecord {
            error: "HTTP 400",
            status: Some(400),
            response: Some("bad"),
        };
        s.delivery_failed(erp.id, None, &rec).unwrap();
        assert!(!s.busy().unwrap());
        let dead = s.deliveries(Some("dead"), 10).unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].last_status, Some(400));
        assert_eq!(dead[0].attempts, 1);
        assert_eq!(s.retry_dead(None).unwrap(), 1);
        let again = s.due_deliveries("erp", 10).unwrap();
        assert_eq!((again.len(), again[0].attempts), (1, 0));
    }
}
