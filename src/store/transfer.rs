//! `mailroom migrate --to postgres://… [--blobs …]`: moving a SQLite ledger and its blob
//! folder up to PostgreSQL (and object storage), issue 15 point 6.
//!
//! All or nothing on the ledger's side: every table is copied inside one PostgreSQL
//! transaction that also holds the writers' advisory lock, its row counts compared with
//! the source's before the commit; any failure rolls it back and leaves the target
//! empty. Ids are copied as they are and each identity sequence is moved past the
//! highest one, so the changes feed's cursor, API ids and links keep their meaning.
//!
//! Blobs are copied (or, without `--blobs`, only checked where they are) *before* the
//! ledger commits, each re-hashed against its name, so every row that names a blob
//! commits after that blob is durable in the target, as ingest does. A failed migrate
//! may leave blobs in the target store; they are content-addressed, so a second run
//! writes the same names again and nothing is mixed up.
//!
//! The source is read in one read transaction, a consistent snapshot; the SQLite run
//! lock is held throughout, so a `mailroom run` can neither be working on the ledger
//! nor start while it is copied. (`mailroom serve` beside it takes no lock: stop it
//! too, or approvals made meanwhile stay in the SQLite file only.)
//!
//! Tables and columns are read from the SQLite file itself (without the generated
//! ones, which PostgreSQL computes), in an order that puts a referenced table before the
//! tables that refer to it, so a table added by a later migration is copied too; a
//! column the target lacks is an error, never dropped silently.

use std::collections::BTreeSet;

use anyhow::{bail, ensure, Context};

use super::blobs::BlobStore;
use super::db::{params, Conn, Exec, Value};
use super::lock::RunLock;
use crate::config::blobs::BlobLocation;
use crate::config::database::{Database, PostgresUrl};
use crate::config::Config;

/// Rows per INSERT: a few hundred keeps a statement well under PostgreSQL's 65,535
/// parameters for any of the ledger's tables and the round trips few.
const BATCH_ROWS: usize = 200;

/// What a migrate did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    /// The target, without its password.
    pub to: String,
    /// Rows per table, in copy order.
    pub tables: Vec<(String, u64)>,
    /// Distinct blobs the ledger names.
    pub blobs: usize,
    pub blob_bytes: u64,
    /// Where the blobs are now (`s3://…` or a folder).
    pub blobs_at: String,
    /// Whether they were copied (`--blobs`) or only checked where they are.
    pub blobs_copied: bool,
}

impl Report {
    /// The lines `mailroom migrate` prints.
    pub fn render(&self) -> String {
        let mut out = format!("copied the ledger into {}:\n", self.to);
        let width = self.tables.iter().map(|(t, _)| t.len()).max().unwrap_or(0);
        for (table, rows) in &self.tables {
            out.push_str(&format!("  {table:<width$}  {rows:>8} row(s)\n"));
        }
        let verb = if self.blobs_copied {
            "copied into"
        } else {
            "checked in"
        };
        out.push_str(&format!(
            "{} file(s), {} bytes, {verb} {}, each checked against its sha256\n",
            self.blobs, self.blob_bytes, self.blobs_at
        ));
        out.push_str("row counts checked in the target before the commit\n");
        out
    }
}

/// A SQLite table to copy: its name, the columns written (generated ones left out)
/// and its rows in the snapshot.
struct Table {
    name: String,
    columns: Vec<String>,
    rows: u64,
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Copy the configured SQLite ledger into the empty PostgreSQL ledger at `to`, and its
/// blobs into `blobs_to` (none: they stay where `[blobs]` says and are only checked).
pub fn to_postgres(
    cfg: &Config,
    to: &PostgresUrl,
    blobs_to: Option<&BlobLocation>,
) -> anyhow::Result<Report> {
    let db = match cfg.ledger() {
        Database::Sqlite(p) => p,
        Database::Postgres(url) => bail!(
            "the configured ledger is already on PostgreSQL ({url}); `mailroom migrate` copies \
             a SQLite ledger (use pg_dump/pg_restore between PostgreSQL servers)"
        ),
        Database::InVarDir => unreachable!("ledger() resolves the default"),
    };
    ensure!(
        db.exists(),
        "no ledger at {} (has `mailroom run` been started here?)",
        db.display()
    );
    // The lock `mailroom run` takes, held until the copy is done.
    let ledger_dir = db
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(&cfg.var_dir);
    let _lock = RunLock::acquire(ledger_dir)
        .context("`mailroom migrate` needs the SQLite ledger to itself")?;

    let from_blobs = BlobStore::open_location(&cfg.blobs)
        .with_context(|| format!("opening the blob store {}", describe(&cfg.blobs)))?;
    let mut source =
        rusqlite::Connection::open(&db).with_context(|| format!("cannot open {}", db.display()))?;
    source.busy_timeout(std::time::Duration::from_secs(30))?;
    // This version's schema, as any command would bring it: both sides then have the
    // same tables.
    super::migrate::sqlite(&mut source).with_context(|| format!("migrating {}", db.display()))?;
    // One read transaction: a consistent snapshot of every table.
    let snapshot = source.transaction_with_behavior(rusqlite::TransactionBehavior::Deferred)?;
    let tables = source_tables(&snapshot).with_context(|| format!("reading {}", db.display()))?;
    let shas = blob_names(&snapshot)?;

    let mut target = super::migrate::postgres(to)?;
    // Before any blob is copied: a target already in use is refused with nothing done.
    let used = nonempty_tables(&mut target)?;
    ensure!(used.is_empty(), "{}", not_empty(to, &used));
    check_columns(&mut target, &tables, to)?;

    // Blobs first: a row may only commit once the blob it names is durable.
    let (blob_bytes, blobs_at, copied) = match blobs_to {
        Some(location) => {
            let dest = BlobStore::open_location(location)
                .with_context(|| format!("opening the target blob store {}", describe(location)))?;
            let mut bytes = 0;
            for sha in &shas {
                bytes += super::backup::copy_blob(&from_blobs, &dest, sha)?;
                // Read back from the target: what a worker will read there.
                dest.read(sha).with_context(|| {
                    format!(
                        "blob {sha} copied into {} reads back wrong",
                        dest.describe()
                    )
                })?;
            }
            (bytes, dest.describe(), true)
        }
        None => {
            let mut bytes = 0;
            for sha in &shas {
                bytes += from_blobs
                    .read(sha)
                    .with_context(|| format!("blob {sha} in {}", from_blobs.describe()))?
                    .len() as u64;
            }
            (bytes, from_blobs.describe(), false)
        }
    };

    copy_rows(&snapshot, &mut target, &tables, to)?;
    drop(snapshot);
    Ok(Report {
        to: to.to_string(),
        tables: tables.into_iter().map(|t| (t.name, t.rows)).collect(),
        blobs: shas.len(),
        blob_bytes,
        blobs_at,
        blobs_copied: copied,
    })
}

fn describe(location: &BlobLocation) -> String {
    match location {
        BlobLocation::Folder(p) => p.display().to_string(),
        BlobLocation::S3(s3) => s3.url(),
    }
}

fn not_empty(to: &PostgresUrl, used: &[(String, i64)]) -> String {
    let list: Vec<String> = used.iter().map(|(t, n)| format!("{t}: {n}")).collect();
    format!(
        "the PostgreSQL ledger at {to} is not empty ({}): `mailroom migrate` copies only \
         into a new, empty database, never merges two ledgers; nothing was copied",
        list.join(", ")
    )
}

/// The snapshot's tables in copy order: each after the tables its foreign keys name.
fn source_tables(c: &rusqlite::Connection) -> anyhow::Result<Vec<Table>> {
    let mut st = c.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> 'refinery_schema_history' ORDER BY name",
    )?;
    let names: Vec<String> = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    let mut pending: Vec<(String, BTreeSet<String>)> = Vec::new();
    for name in &names {
        let mut st = c.prepare("SELECT \"table\" FROM pragma_foreign_key_list(?1)")?;
        let refs: BTreeSet<String> = st
            .query_map([name], |r| r.get::<_, String>(0))?
            .collect::<Result<BTreeSet<_>, _>>()?
            .into_iter()
            .filter(|t| t != name)
            .collect();
        pending.push((name.clone(), refs));
    }
    let mut ordered: Vec<String> = Vec::new();
    while !pending.is_empty() {
        let ready = pending.iter().position(|(_, refs)| {
            refs.iter()
                .all(|r| ordered.contains(r) || !names.contains(r))
        });
        let Some(i) = ready else {
            bail!(
                "the ledger's tables refer to each other in a circle: {:?}",
                pending.iter().map(|(n, _)| n).collect::<Vec<_>>()
            );
        };
        ordered.push(pending.remove(i).0);
    }
    let mut tables = Vec::new();
    for name in ordered {
        // hidden: 0 a column, 1 a virtual table's hidden one, 2 and 3 generated ones.
        let mut st =
            c.prepare("SELECT name FROM pragma_table_xinfo(?1) WHERE hidden = 0 ORDER BY cid")?;
        let columns: Vec<String> = st
            .query_map([&name], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let rows: i64 = c.query_row(
            &format!("SELECT COUNT(*) FROM {}", quoted(&name)),
            [],
            |r| r.get(0),
        )?;
        tables.push(Table {
            name,
            columns,
            rows: rows as u64,
        });
    }
    Ok(tables)
}

/// The distinct blobs the snapshot's documents name, checked to be sha256 names.
fn blob_names(c: &rusqlite::Connection) -> anyhow::Result<Vec<String>> {
    let mut st = c.prepare("SELECT DISTINCT sha256 FROM documents ORDER BY sha256")?;
    let shas: Vec<String> = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    for sha in &shas {
        ensure!(
            sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
            "the ledger names a blob {sha:?} that is not a sha256"
        );
    }
    Ok(shas)
}

/// The target's ledger tables that hold rows, with their counts.
fn nonempty_tables(c: &mut Conn) -> anyhow::Result<Vec<(String, i64)>> {
    let names: Vec<String> = c.query_map(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
         AND table_name <> 'refinery_schema_history' ORDER BY table_name",
        params![],
        |r| r.get(0),
    )?;
    let mut used = Vec::new();
    for name in names {
        let n: i64 = c.query_row(
            &format!("SELECT COUNT(*) FROM {}", quoted(&name)),
            params![],
            |r| r.get(0),
        )?;
        if n > 0 {
            used.push((name, n));
        }
    }
    Ok(used)
}

/// The columns of a target table that can be written (not generated).
fn target_columns(c: &mut impl Exec, table: &str) -> anyhow::Result<BTreeSet<String>> {
    Ok(c.query_map(
        "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = ?1 AND is_generated = 'NEVER'",
        params![table],
        |r| r.get::<String>(0),
    )?
    .into_iter()
    .collect())
}

fn check_columns(c: &mut Conn, tables: &[Table], to: &PostgresUrl) -> anyhow::Result<()> {
    for t in tables {
        let have = target_columns(c, &t.name)?;
        ensure!(
            !have.is_empty(),
            "the PostgreSQL ledger at {to} has no table {:?}, which the SQLite ledger has: \
             is it another mailroom version's schema?",
            t.name
        );
        let missing: Vec<&String> = t.columns.iter().filter(|c| !have.contains(*c)).collect();
        ensure!(
            missing.is_empty(),
            "the PostgreSQL ledger at {to} lacks the column(s) {missing:?} of table {:?}; \
             nothing was copied",
            t.name
        );
    }
    Ok(())
}

fn value_of(v: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

/// Every table's rows into the target in one transaction, identity sequences moved
/// past the copied ids, counts compared before the commit.
fn copy_rows(
    source: &rusqlite::Connection,
    target: &mut Conn,
    tables: &[Table],
    to: &PostgresUrl,
) -> anyhow::Result<()> {
    let mut tx = target.immediate()?;
    // Again inside the lock: nothing wrote in between.
    let used = {
        let mut found = Vec::new();
        for t in tables {
            let n: i64 = tx.query_row(
                &format!("SELECT COUNT(*) FROM {}", quoted(&t.name)),
                params![],
                |r| r.get(0),
            )?;
            if n > 0 {
                found.push((t.name.clone(), n));
            }
        }
        found
    };
    ensure!(used.is_empty(), "{}", not_empty(to, &used));
    for t in tables {
        let cols: Vec<String> = t.columns.iter().map(|c| quoted(c)).collect();
        let select = format!(
            "SELECT {} FROM {} ORDER BY rowid",
            cols.join(", "),
            quoted(&t.name)
        );
        // A WITHOUT ROWID table has none; none of the ledger's is, but say it plainly.
        let mut st = source
            .prepare(&select)
            .or_else(|_| source.prepare(&select.replace(" ORDER BY rowid", "")))
            .with_context(|| format!("reading table {}", t.name))?;
        let mut rows = st.query([])?;
        let mut batch: Vec<Value> = Vec::with_capacity(BATCH_ROWS * cols.len());
        let mut copied = 0u64;
        loop {
            let row = rows.next()?;
            if let Some(r) = row {
                for i in 0..cols.len() {
                    batch.push(value_of(r.get_ref(i)?));
                }
            }
            let full = batch.len() == BATCH_ROWS * cols.len();
            if (full || row.is_none()) && !batch.is_empty() {
                let n = batch.len() / cols.len();
                insert(&mut tx, &t.name, &cols, &batch, n)
                    .with_context(|| format!("copying table {} into {to}", t.name))?;
                copied += n as u64;
                batch.clear();
            }
            if row.is_none() {
                break;
            }
        }
        ensure!(
            copied == t.rows,
            "table {}: read {copied} row(s), the snapshot counted {}",
            t.name,
            t.rows
        );
        // Identity columns go on after the highest id copied.
        let identities: Vec<String> = tx.query_map(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = ?1 AND is_identity = 'YES'",
            params![t.name],
            |r| r.get(0),
        )?;
        for col in identities {
            tx.query_row(
                &format!(
                    "SELECT setval(pg_get_serial_sequence(?1, ?2), \
                     COALESCE((SELECT MAX({c}) FROM {t}), 1), \
                     (SELECT MAX({c}) FROM {t}) IS NOT NULL)::bigint",
                    c = quoted(&col),
                    t = quoted(&t.name)
                ),
                params![t.name, col],
                |_| Ok(()),
            )?;
        }
        let n: i64 = tx.query_row(
            &format!("SELECT COUNT(*) FROM {}", quoted(&t.name)),
            params![],
            |r| r.get(0),
        )?;
        ensure!(
            n as u64 == t.rows,
            "table {}: the target counts {n} row(s) after the copy, the SQLite ledger {}; \
             nothing was committed",
            t.name,
            t.rows
        );
    }
    tx.commit()
        .with_context(|| format!("committing the copy into {to}"))?;
    Ok(())
}

fn insert(
    tx: &mut super::db::Tx<'_>,
    table: &str,
    cols: &[String],
    values: &[Value],
    rows: usize,
) -> anyhow::Result<()> {
    let width = cols.len();
    let tuples: Vec<String> = (0..rows)
        .map(|r| {
            let ps: Vec<String> = (1..=width).map(|i| format!("?{}", r * width + i)).collect();
            format!("({})", ps.join(", "))
        })
        .collect();
    let sql = format!(
        "INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE VALUES {}",
        quoted(table),
        cols.join(", "),
        tuples.join(", ")
    );
    let refs: Vec<&dyn super::db::Param> =
        values.iter().map(|v| v as &dyn super::db::Param).collect();
    tx.execute(&sql, &refs)?;
    Ok(())
}
