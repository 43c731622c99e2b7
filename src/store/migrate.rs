//! The ledger's schema, versioned: refinery applies `migrations/sqlite` or
//! `migrations/postgres` at start and records each in `refinery_schema_history`.
//!
//! A SQLite ledger made before the schema was versioned has no history: its missing
//! columns are added first (as the code did before), so that `V1`, written with
//! `IF NOT EXISTS` throughout, finds it complete and is only recorded.

use postgres::NoTls;

use super::db::{Conn, DbError, PgCache};
use super::{now, StoreError};
use crate::config::database::PostgresUrl;

mod sqlite_migrations {
    refinery::embed_migrations!("src/store/migrations/sqlite");
}
mod postgres_migrations {
    refinery::embed_migrations!("src/store/migrations/postgres");
}

/// Bring a SQLite ledger up to date.
pub(super) fn sqlite(c: &mut rusqlite::Connection) -> Result<(), DbError> {
    let versioned = table_exists(c, "refinery_schema_history")?;
    if !versioned && table_exists(c, "documents")? {
        legacy_columns(c)?;
    }
    let report = sqlite_migrations::migrations::runner().run(c)?;
    log_applied(&report);
    legacy_deliveries(c)?;
    Ok(())
}

/// The session-level advisory lock held while migrating, so that processes starting
/// together on a new database do not both create its tables.
const MIGRATE_LOCK: i64 = 0x6d72_6d69_6772_6174; // "mrmigrat"

/// Connect to PostgreSQL and bring its schema up to date. An unreachable server is
/// named by its URL without the password.
pub(super) fn postgres(url: &PostgresUrl) -> Result<Conn, StoreError> {
    // The client blocks on a runtime of its own, which it may not do on a thread that
    // drives async tasks: connect on a thread of our own.
    let url2 = url.clone();
    let client = std::thread::spawn(move || connect_and_migrate(&url2))
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))?;
    Ok(Conn::Pg(Box::new(super::db::PgConn::new(
        client,
        PgCache::default(),
    ))))
}

/// A connection to the server `url` names, named `mailroom` there, giving up after
/// 10 s unless the URL says otherwise.
pub(super) fn connect(url: &PostgresUrl) -> Result<postgres::Client, StoreError> {
    let mut config: postgres::Config = url.secret().parse().map_err(|e| {
        StoreError::Invalid(format!("database.url {url} is not a PostgreSQL URL: {e}"))
    })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(std::time::Duration::from_secs(10));
    }
    if config.get_application_name().is_none() {
        config.application_name("mailroom");
    }
    config.connect(NoTls).map_err(|e| {
        StoreError::Invalid(format!("cannot reach the PostgreSQL ledger at {url}: {e}"))
    })
}

fn connect_and_migrate(url: &PostgresUrl) -> Result<postgres::Client, StoreError> {
    let mut client = connect(url)?;
    let db = |source: postgres::Error| StoreError::Db {
        path: url.to_string(),
        source: source.into(),
    };
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATE_LOCK])
        .map_err(db)?;
    let run = postgres_migrations::migrations::runner().run(&mut client);
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATE_LOCK])
        .map_err(db)?;
    let report = run.map_err(|e| StoreError::Db {
        path: url.to_string(),
        source: e.into(),
    })?;
    log_applied(&report);
    Ok(client)
}

/// One line per migration applied. refinery's own lines (the version found, "no
/// migrations to apply") are below the default log level: every CLI command opens the
/// ledger, and `mailroom status` printed three of them to stderr each time.
fn log_applied(report: &refinery::Report) {
    for m in report.applied_migrations() {
        tracing::info!(
            version = m.version(),
            name = m.name(),
            "ledger schema migrated"
        );
    }
}

fn table_exists(c: &rusqlite::Connection, name: &str) -> rusqlite::Result<bool> {
    c.query_row(
        "SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
        [name],
        |r| r.get(0),
    )
}

/// Columns added to tables of the first ledgers before the schema was versioned.
fn legacy_columns(c: &rusqlite::Connection) -> rusqlite::Result<()> {
    for (table, column, decl) in [
        ("documents", "posted_at", "TEXT"),
        ("transitions", "actor", "TEXT"),
        ("pages", "words", "TEXT"),
        ("pages", "origin", "TEXT"),
        ("pages", "marks", "TEXT"),
        ("pages", "codes", "TEXT"),
        ("documents", "parent_id", "TEXT"),
        ("documents", "source_meta", "TEXT"),
        ("documents", "attempts", "INTEGER NOT NULL DEFAULT 0"),
        (
            "documents",
            "doc_type",
            "TEXT GENERATED ALWAYS AS (json_extract(result, '$.doc_type.value')) VIRTUAL",
        ),
    ] {
        // A table the ledger does not have yet is made whole by V1.
        if !table_exists(c, table)? {
            continue;
        }
        let exists: bool = c.query_row(
            &format!("SELECT EXISTS(SELECT 1 FROM pragma_table_xinfo('{table}') WHERE name = ?1)"),
            [column],
            |r| r.get(0),
        )?;
        if !exists {
            c.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {decl}"))?;
        }
    }
    Ok(())
}

/// The first ledger's `deliveries` table (files sink only, no events): its rows moved
/// into the outbox, then dropped.
fn legacy_deliveries(c: &rusqlite::Connection) -> rusqlite::Result<()> {
    if !table_exists(c, "deliveries")? {
        return Ok(());
    }
    let at = now();
    c.execute_batch(&format!(
        "BEGIN;
         INSERT OR IGNORE INTO outbox (document_id, sink, event, revision, payload, state, attempts,
                next_attempt_at, window_start, created_at, updated_at, delivered_at, last_error)
           SELECT v.document_id, 'outbox', 'document.posted', 0, COALESCE(d.result, '{{}}'), v.state,
                  v.attempts, 0, 0, v.updated_at, '{at}',
                  CASE WHEN v.state = 'delivered' THEN v.updated_at END, v.last_error
           FROM deliveries v JOIN documents d ON d.id = v.document_id;
         DROP TABLE deliveries;
         COMMIT;"
    ))
}
