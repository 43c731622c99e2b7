//! `mailroom backup DIR` and `mailroom restore DIR`.
//!
//! A backup is the ledger as one consistent SQLite snapshot (`VACUUM INTO`, which reads
//! inside one read transaction: a `mailroom run` working beside it is neither stopped
//! nor seen half-way), every blob the snapshot names (copied and checked against its
//! sha256) and `manifest.json` (counts, time, version). Blobs are written and fsynced
//! before the row naming them commits, so every blob the snapshot names exists.
//!
//! A restore goes only into a `var` directory without a ledger, and with no
//! `mailroom run` holding it: it never mixes two ledgers, nor pulls one from under a run.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rusqlite::Connection;

use super::blobs::{write_atomic, BlobStore};
use super::lock::RunLock;

pub const MANIFEST: &str = "manifest.json";
const LEDGER: &str = "mailroom.sqlite3";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    /// Layout of the backup folder; 1 is this one.
    pub format: u32,
    pub mailroom_version: String,
    pub created_at: String,
    /// The ledger file inside the backup folder.
    pub ledger: String,
    pub documents: i64,
    pub blobs: usize,
    pub blob_bytes: u64,
}

/// The documents and the distinct blobs (sha256) a ledger file names.
fn contents(db: &Path) -> anyhow::Result<(i64, Vec<String>)> {
    let conn = Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("cannot open {}", db.display()))?;
    let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    anyhow::ensure!(check == "ok", "{} is damaged: {check}", db.display());
    let documents: i64 = conn.query_row("SELECT COUNT(*) FROM documents", [], |r| r.get(0))?;
    let mut st = conn.prepare("SELECT DISTINCT sha256 FROM documents ORDER BY sha256")?;
    let shas = st
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    for sha in &shas {
        anyhow::ensure!(
            sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
            "{} names a blob {sha:?} that is not a sha256",
            db.display()
        );
    }
    Ok((documents, shas))
}

/// Copy the blob `sha` from `from` into `to`, checking the bytes hash to their name.
/// Folder to folder streams the file; object storage goes through memory (one blob at a
/// time, each at most `limits.max_file_mb` or an attachment of one), checked on read.
pub(super) fn copy_blob(from: &BlobStore, to: &BlobStore, sha: &str) -> anyhow::Result<u64> {
    let (got, size) = match from.path(sha) {
        Some(src) => {
            anyhow::ensure!(src.exists(), "blob {} is missing", src.display());
            let (got, size) = to
                .put_file(&src)
                .with_context(|| format!("cannot copy blob {}", src.display()))?;
            anyhow::ensure!(
                got == sha,
                "blob {} is damaged: its bytes hash to {got}",
                src.display()
            );
            (got, size)
        }
        None => {
            let bytes = from
                .read(sha)
                .with_context(|| format!("cannot copy blob {sha} from {}", from.describe()))?;
            to.put_bytes(&bytes)
                .with_context(|| format!("cannot copy blob {sha} into {}", to.describe()))?
        }
    };
    debug_assert_eq!(got, sha);
    Ok(size)
}

/// Back the ledger at `db` and its blobs in `from` (a folder or object storage) up into
/// the folder `dest` (absent or empty).
pub fn backup(db: &Path, from: &BlobStore, dest: &Path) -> anyhow::Result<Manifest> {
    anyhow::ensure!(
        db.exists(),
        "no ledger at {} (has `mailroom run` been started here?)",
        db.display()
    );
    if dest.exists() {
        let empty = std::fs::read_dir(dest)
            .with_context(|| format!("{} is not a folder", dest.display()))?
            .next()
            .is_none();
        anyhow::ensure!(
            empty,
            "{} is not empty: a backup goes into a new or empty folder",
            dest.display()
        );
    }
    std::fs::create_dir_all(dest).with_context(|| format!("cannot create {}", dest.display()))?;
    let created_at = super::now();

    let part = dest.join(format!("{LEDGER}.part"));
    let live = Connection::open(db).with_context(|| format!("cannot open {}", db.display()))?;
    live.busy_timeout(std::time::Duration::from_secs(30))?;
    live.execute("VACUUM INTO ?1", [part.to_string_lossy()])
        .with_context(|| {
            format!(
                "cannot copy the ledger {} into {}",
                db.display(),
                part.display()
            )
        })?;
    drop(live);
    std::fs::File::open(&part)?.sync_all()?;
    let ledger = dest.join(LEDGER);
    std::fs::rename(&part, &ledger)?;

    let (documents, shas) = contents(&ledger)?;
    let to = BlobStore::open(&dest.join("blobs"))?;
    let mut blob_bytes = 0;
    for sha in &shas {
        blob_bytes += copy_blob(from, &to, sha)?;
    }
    let _ = std::fs::remove_dir(dest.join("blobs/tmp"));
    let manifest = Manifest {
        format: 1,
        mailroom_version: env!("CARGO_PKG_VERSION").into(),
        created_at,
        ledger: LEDGER.into(),
        documents,
        blobs: shas.len(),
        blob_bytes,
    };
    write_atomic(
        &dest.join(MANIFEST),
        (serde_json::to_string_pretty(&manifest)? + "\n").as_bytes(),
    )?;
    Ok(manifest)
}

/// Restore the backup in `src` into `var_dir` (ledger `db`, blobs into `to`, a folder or
/// object storage), which must have no ledger and no `mailroom run` working on it.
pub fn restore(src: &Path, var_dir: &Path, db: &Path, to: &BlobStore) -> anyhow::Result<Manifest> {
    let manifest_path = src.join(MANIFEST);
    let text = std::fs::read_to_string(&manifest_path).with_context(|| {
        format!(
            "{} is not a mailroom backup (no readable {MANIFEST})",
            src.display()
        )
    })?;
    let manifest: Manifest = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a mailroom backup manifest",
            manifest_path.display()
        )
    })?;
    anyhow::ensure!(
        manifest.format == 1,
        "{} has backup format {}; this mailroom reads format 1",
        manifest_path.display(),
        manifest.format
    );
    let backup_ledger = src.join(&manifest.ledger);
    let (documents, shas) = contents(&backup_ledger)?;
    anyhow::ensure!(
        documents == manifest.documents && shas.len() == manifest.blobs,
        "{} holds {documents} documents and {} blobs, its manifest says {} and {}: incomplete backup",
        src.display(),
        shas.len(),
        manifest.documents,
        manifest.blobs
    );

    // Held until the restore is done: a `mailroom run` cannot start on a half-restored
    // ledger, and one running now refuses the restore.
    // The lock `mailroom run` takes: in the ledger's folder (var_dir unless
    // `[database] url` names another SQLite file).
    let ledger_dir = db
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(var_dir);
    let _lock = RunLock::acquire(ledger_dir)?;
    for existing in [db.to_path_buf(), wal_of(db)] {
        anyhow::ensure!(
            !existing.exists(),
            "{} exists: restore goes only into a var directory without a ledger (move it away first)",
            existing.display()
        );
    }

    let from = BlobStore::open(&src.join("blobs"))?;
    for sha in &shas {
        copy_blob(&from, to, sha)?;
    }
    let part = db.with_extension("sqlite3.restoring");
    std::fs::copy(&backup_ledger, &part).with_context(|| {
        format!(
            "cannot copy {} to {}",
            backup_ledger.display(),
            part.display()
        )
    })?;
    std::fs::File::open(&part)?.sync_all()?;
    std::fs::rename(&part, db)?;
    std::fs::File::open(ledger_dir)?.sync_all()?;
    Ok(manifest)
}

fn wal_of(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push("-wal");
    PathBuf::from(s)
}
