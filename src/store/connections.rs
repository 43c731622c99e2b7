//! The connections of a process to a PostgreSQL ledger.
//!
//! With `[database] connections = 1` a process has one connection, behind a mutex: one
//! caller at a time, as on SQLite (which keeps one writer and stays so). With more, the
//! callers of a process that work at once (the web's requests, the workers, the
//! dispatchers) each take a connection of a pool kept by `r2d2` (the pool of
//! rust-postgres's author: it hands a connection to one caller at a time, waits when
//! all are out, opens them lazily and replaces a broken one). One connection, the
//! *home*, stays outside the pool for what lives in a session rather than a
//! transaction: the advisory lock of the mailboxes a process reads
//! ([`Store::hold_mailbox`](super::Store::hold_mailbox)), which another connection of
//! the same process could not take again.

use std::sync::Mutex;
use std::time::Duration;

use super::db::{Conn, DbError, Exec, PgCache, PgConn};
use super::StoreError;
use crate::config::database::PostgresUrl;

/// How long a caller waits for a connection when all are out.
const WAIT: Duration = Duration::from_secs(30);

/// Where a process's queries go.
pub(super) enum Connections {
    /// One connection: SQLite, or PostgreSQL with `connections = 1`.
    One(Mutex<Conn>),
    /// PostgreSQL: the home connection and a pool of the others.
    Pool {
        home: Mutex<Conn>,
        pool: r2d2::Pool<Manager>,
    },
}

impl Connections {
    /// `home` and, when `size` > 1, a pool of `size` - 1 more connections to `url`.
    pub(super) fn new(home: Conn, url: &PostgresUrl, size: u32) -> Result<Connections, StoreError> {
        if size <= 1 {
            return Ok(Connections::One(Mutex::new(home)));
        }
        let pool = r2d2::Pool::builder()
            .max_size(size - 1)
            // Opened when first needed: a CLI command that opens the ledger for one
            // query opens no pool.
            .min_idle(Some(0))
            .connection_timeout(WAIT)
            // A closed connection is seen by `has_broken`; no round trip per checkout.
            .test_on_check_out(false)
            .build_unchecked(Manager { url: url.clone() });
        Ok(Connections::Pool {
            home: Mutex::new(home),
            pool,
        })
    }

    /// Run `f` on a connection of this process's (waiting for one to come free).
    pub(super) fn run<T: Send>(
        &self,
        f: impl FnOnce(&mut Conn) -> super::db::Result<T> + Send,
    ) -> super::db::Result<T> {
        match self {
            Connections::One(c) => lock(c).run(f),
            Connections::Pool { pool, .. } => {
                let mut conn = pool.get().map_err(|e| DbError::Pool(e.to_string()))?;
                conn.run(f)
            }
        }
    }

    /// Run `f` on the home connection: what a session holds (an advisory lock) stays
    /// with this process's one session.
    pub(super) fn run_home<T: Send>(
        &self,
        f: impl FnOnce(&mut Conn) -> super::db::Result<T> + Send,
    ) -> super::db::Result<T> {
        match self {
            Connections::One(c) | Connections::Pool { home: c, .. } => lock(c).run(f),
        }
    }
}

fn lock(c: &Mutex<Conn>) -> std::sync::MutexGuard<'_, Conn> {
    c.lock().unwrap_or_else(|p| p.into_inner())
}

/// Opens the pool's connections (on r2d2's own threads, never on an async one, where
/// the blocking client may not run).
pub(super) struct Manager {
    url: PostgresUrl,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = StoreError;

    fn connect(&self) -> Result<Conn, StoreError> {
        let client = super::migrate::connect(&self.url)?;
        Ok(Conn::Pg(Box::new(PgConn::new(client, PgCache::default()))))
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), StoreError> {
        conn.execute_batch("SELECT 1")
            .map_err(|source| StoreError::Db {
                path: self.url.to_string(),
                source,
            })
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.is_closed()
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::super::{BlobStore, Store};
    use crate::store::db::Exec;

    fn store(connections: u32, dir: &std::path::Path) -> Store {
        let url = crate::testing::postgres::fresh_database();
        Store::open_postgres_with(
            &url,
            BlobStore::open(&dir.join("blobs")).unwrap(),
            connections,
        )
        .unwrap()
    }

    /// A query while another caller's runs for 0.8 s: how long it waited.
    fn beside_a_slow_query(s: &Store) -> Duration {
        std::thread::scope(|scope| {
            scope.spawn(|| s.with(|c| c.execute_batch("SELECT pg_sleep(0.8)")).unwrap());
            std::thread::sleep(Duration::from_millis(200));
            let t = Instant::now();
            s.with(|c| c.execute_batch("SELECT 1")).unwrap();
            t.elapsed()
        })
    }

    /// With a pool, a caller does not wait for another's query; with one connection it
    /// does (that is the mutex the pool replaces).
    #[test]
    fn callers_of_a_pool_do_not_wait_for_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let waited = beside_a_slow_query(&store(3, dir.path()));
        assert!(waited < Duration::from_millis(400), "waited {waited:?}");
        let waited = beside_a_slow_query(&store(1, dir.path()));
        assert!(waited >= Duration::from_millis(400), "waited {waited:?}");
    }

    /// The mailbox lock lives in the home connection's session: the process takes it
    /// again while its pooled connections are busy elsewhere, and another process
    /// (another store) cannot take it.
    #[test]
    fn a_mailbox_lock_stays_with_the_process_whatever_connection_is_free() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::testing::postgres::fresh_database();
        let open = || {
            Store::open_postgres_with(&url, BlobStore::open(&dir.path().join("blobs")).unwrap(), 4)
                .unwrap()
        };
        let (one, other) = (open(), open());
        assert!(one.hold_mailbox("ap").unwrap());
        std::thread::scope(|scope| {
            // The connection that was free is now busy: a pooled lock would be asked
            // for on another connection, a session of its own, and refused.
            scope.spawn(|| {
                one.with(|c| c.execute_batch("SELECT pg_sleep(0.6)"))
                    .unwrap()
            });
            std::thread::sleep(Duration::from_millis(200));
            assert!(
                one.hold_mailbox("ap").unwrap(),
                "the holder lost its mailbox"
            );
        });
        assert!(
            !other.hold_mailbox("ap").unwrap(),
            "two readers of one mailbox"
        );
    }
}
