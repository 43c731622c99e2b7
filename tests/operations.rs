//! Operating mailroom (issue 17): backup and restore, through the real binary.

mod common;

use std::time::Duration;

use common::*;
use sha2::{Digest, Sha256};

/// A backup taken while `mailroom run` reads documents, restored into another
/// installation: every document is there, every file under its sha256 and readable,
/// and the restored ledger runs on. A restore never overwrites a ledger, nor one in use.
#[test]
fn a_backup_taken_while_run_works_restores_every_document_and_file() {
    let inst = Install::new("[workers]\ncount = 1\n");
    let gen = inst.path("gen");
    generate(&gen, 8, 47, &["--degradation", "clean"]);
    let files: Vec<_> = images(&gen)
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "png"))
        .collect();
    inst.fill_inbox(&files);

    let mut run = inst.spawn_run(&[], "run.log");
    let started = wait_until(Duration::from_secs(120), || {
        inst.try_documents().is_some_and(|d| {
            d.len() == files.len() && d.iter().any(|d| FINAL_STATES.contains(&d.1.as_str()))
        })
    });
    assert!(started, "the run never finished a document");

    let backup = inst.path("backup");
    let out = inst.ok(&["backup", backup.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        run.try_wait().unwrap().is_none(),
        "the run stopped during the backup"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(backup.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["documents"], files.len(), "{manifest}");
    assert_eq!(manifest["format"], 1, "{manifest}");
    assert!(manifest["created_at"].is_string() && manifest["mailroom_version"].is_string());
    assert!(
        said.contains(&format!("{} document(s)", files.len())),
        "{said}"
    );
    let copy = rusqlite::Connection::open(backup.join("mailroom.sqlite3")).unwrap();
    let unfinished: i64 = copy
        .query_row(
            "SELECT COUNT(*) FROM documents WHERE state IN ('received', 'processing')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        unfinished > 0,
        "the run had finished before the backup: nothing tested"
    );
    drop(copy);

    // A backup goes only into a new or empty folder.
    let again = inst
        .command(&["backup", backup.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));

    // Restoring over the running ledger is refused, and changes nothing.
    let over = inst
        .command(&["restore", backup.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&over.stderr).to_string();
    assert!(
        !over.status.success() && err.contains("already working"),
        "{err}"
    );
    run.kill().unwrap();
    run.wait().unwrap();
    // With the run gone, the ledger is still there: refused with its path.
    let over = inst
        .command(&["restore", backup.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&over.stderr).to_string();
    assert!(
        !over.status.success()
            && err.contains(&inst.path("var/mailroom.sqlite3").display().to_string()),
        "{err}"
    );

    let other = Install::new("[workers]\ncount = 1\n");
    let out = other.ok(&["restore", backup.to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("{} document(s)", files.len())),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let docs = other.documents();
    let names: Vec<&str> = docs.iter().map(|d| d.0.as_str()).collect();
    for f in &files {
        let name = f.file_name().unwrap().to_str().unwrap();
        assert!(names.contains(&name), "{name} not restored: {names:?}");
    }
    let status: serde_json::Value =
        serde_json::from_slice(&other.ok(&["status", "--json"]).stdout).unwrap();
    let total: i64 = status["states"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_i64().unwrap())
        .sum();
    assert_eq!(total, files.len() as i64, "{status}");
    let shas: Vec<String> = {
        let db = other.db();
        let mut st = db.prepare("SELECT sha256 FROM documents").unwrap();
        let v = st
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<Vec<String>, _>>()
            .unwrap();
        v
    };
    for sha in &shas {
        let blob = other.path(&format!("var/blobs/{}/{sha}.bin", &sha[..2]));
        let bytes = std::fs::read(&blob).unwrap_or_else(|e| panic!("{}: {e}", blob.display()));
        assert_eq!(&hex::encode(Sha256::digest(&bytes)), sha);
    }

    // The restored ledger runs on: what was waiting or in flight is read from its files.
    other.run_to_idle(Duration::from_secs(300));
    let docs = other.documents();
    assert_eq!(docs.len(), files.len(), "{docs:?}");
    for d in &docs {
        assert!(FINAL_STATES.contains(&d.1.as_str()), "{d:?}");
    }
}

/// A damaged blob in a backup is named, and the restore writes no ledger.
#[test]
fn a_restore_refuses_a_damaged_file() {
    let inst = Install::new("");
    let gen = inst.path("gen");
    generate(&gen, 1, 5, &["--degradation", "clean"]);
    inst.fill_inbox(&images(&gen));
    inst.run_to_idle(Duration::from_secs(120));
    let backup = inst.path("backup");
    inst.ok(&["backup", backup.to_str().unwrap()]);
    let blob = std::fs::read_dir(backup.join("blobs"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name() != "tmp")
        .flat_map(|d| std::fs::read_dir(d.path()).unwrap())
        .map(|e| e.unwrap().path())
        .next()
        .unwrap();
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[100] ^= 0xff;
    std::fs::write(&blob, bytes).unwrap();

    let other = Install::new("");
    let out = other
        .command(&["restore", backup.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success() && err.contains("damaged"), "{err}");
    assert!(!other.path("var/mailroom.sqlite3").exists());
}
