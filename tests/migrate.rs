//! `mailroom migrate --to postgres://… --blobs …` (issue 15, point 6), end to end with
//! the real binary: a SQLite installation that read a few documents (three e-invoices
//! and a scan), one approved with a correction, one corrected and still in review, a
//! vendor record, a user and an API token, is copied into a throw-away PostgreSQL
//! (`scripts/pg-server`, through `mailroom::testing::postgres`) and, blobs included,
//! into a real S3 server (s3s-fs, `scripts/s3-server`). On the new configuration
//! `status --json`, the API's document list and details and an original's download
//! answer as before; the ledger goes on (new ids after the copied ones); a second
//! migrate into the now non-empty target is refused, as is one while `mailroom run`
//! holds the SQLite ledger. A migrate that fails half-way commits nothing.
//!
//! These start their own PostgreSQL: they are not part of the PostgreSQL pass.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::s3::S3Server;
use common::web::{call, call_raw, start, token};
use common::*;
use serde_json::{json, Value};

fn sample(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(rel)
}

/// Every document through the API, page by page.
fn all_documents(base: &str, tok: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = "0".to_string();
    loop {
        let url = format!("{base}/api/v1/documents?limit=2&cursor={cursor}");
        let (status, page) = call("GET", &url, Some(tok), None);
        assert_eq!(status, 200, "{page}");
        out.extend(page["items"].as_array().unwrap().iter().cloned());
        cursor = page["next_cursor"].as_str().unwrap().to_string();
        if !page["has_more"].as_bool().unwrap() {
            return out;
        }
    }
}

/// What the API and `status` say about the ledger: the list, each document's detail
/// (document, history, corrections, deliveries) and every original's bytes.
struct Seen {
    list: Vec<Value>,
    details: Vec<Value>,
    originals: Vec<Vec<u8>>,
    status: Value,
}

fn look(inst: &Install, tok: &str) -> Seen {
    let srv = start(inst, &["serve"], "serve-look.log");
    let base = &srv.base;
    let list = all_documents(base, tok);
    let mut details = Vec::new();
    let mut originals = Vec::new();
    for d in &list {
        let id = d["id"].as_str().unwrap();
        let (s, detail) = call(
            "GET",
            &format!("{base}/api/v1/documents/{id}"),
            Some(tok),
            None,
        );
        assert_eq!(s, 200, "{detail}");
        details.push(detail);
        let (s, bytes, _) = call_raw(
            "GET",
            &format!("{base}/api/v1/documents/{id}/original"),
            Some(tok),
            None,
        );
        assert_eq!(s, 200);
        originals.push(bytes);
    }
    drop(srv);
    let out = inst.ok(&["status", "--json"]);
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    Seen {
        list,
        details,
        originals,
        status,
    }
}

/// `status --json` without the one figure that moves with the clock.
fn steady(status: &Value) -> Value {
    let mut s = status.clone();
    s.as_object_mut()
        .unwrap()
        .remove("oldest_in_review_seconds");
    s
}

fn migrate(inst: &Install, args: &[&str]) -> std::process::Output {
    let mut c = inst.command(&["migrate"]);
    c.args(args);
    c.output().unwrap()
}

#[test]
fn a_sqlite_installation_moves_to_postgres_and_s3_and_answers_as_before() {
    // Unknown suppliers wait for a person: the e-invoices and the scan are in review,
    // except the one whose supplier is on file.
    let inst = Install::sqlite("[vendors]\nauto_post = \"known\"\n");
    for f in [
        "einvoices/peppol-invoice.xml",
        "einvoices/facturx-invoice.xml",
        "einvoices/oioubl-creditnote.xml",
        "invoices/inv-100-0089-letterhead.png",
    ] {
        inst.fill_inbox(&[sample(f)]);
    }
    inst.run_to_idle(Duration::from_secs(180));
    std::fs::write(
        inst.path("vendors.csv"),
        "name,vat_id\nNordlys Kontorartikler ApS,DK13585628\n",
    )
    .unwrap();
    inst.ok(&[
        "vendors",
        "import",
        inst.path("vendors.csv").to_str().unwrap(),
    ]);
    let writer = token(&inst, "erp", "write");

    // One approved with a correction, one corrected and still waiting.
    {
        let srv = start(&inst, &["serve"], "serve-work.log");
        let base = &srv.base;
        // An e-invoice whose figures add up first: it can be approved as read.
        let mut review: Vec<Value> = all_documents(base, &writer)
            .into_iter()
            .filter(|d| d["state"] == "in_review")
            .collect();
        review.sort_by_key(|d| {
            (
                d["reason"].as_str().unwrap_or("").contains("totals_add_up"),
                !d["name"].as_str().unwrap().ends_with(".xml"),
            )
        });
        assert!(review.len() >= 2, "{review:?}");
        for (i, d) in review.iter().take(2).enumerate() {
            let id = d["id"].as_str().unwrap();
            let (s, e) = call(
                "POST",
                &format!("{base}/api/v1/documents/{id}/corrections"),
                Some(&writer),
                Some(json!({"fields": {"purchase_order": format!("PO-{i}7")}})),
            );
            assert_eq!(s, 200, "{e}");
            if i == 0 {
                let (s, e) = call(
                    "POST",
                    &format!("{base}/api/v1/documents/{id}/approve"),
                    Some(&writer),
                    None,
                );
                assert_eq!(s, 200, "{e}");
            }
        }
    }
    // The approval's delivery is sent by a run (the files sink's outbox folder).
    inst.run_to_idle(Duration::from_secs(60));
    let before = look(&inst, &writer);
    assert_eq!(before.list.len(), 4);
    let states: Vec<&str> = before
        .list
        .iter()
        .map(|d| d["state"].as_str().unwrap())
        .collect();
    assert!(states.contains(&"posted"), "{states:?}");
    assert!(
        before
            .details
            .iter()
            .filter(|d| !d["corrections"].as_array().unwrap().is_empty())
            .count()
            == 2,
        "two documents carry a correction"
    );
    assert!(
        before
            .details
            .iter()
            .any(|d| d["deliveries"][0]["state"] == "delivered"),
        "the approved document was delivered"
    );

    let pg = mailroom::testing::postgres::fresh_database();
    let url = pg.secret().to_string();
    let s3 = S3Server::start();
    let creds = s3.credentials_file(&inst);
    let blob_args = [
        "--blobs",
        "s3://mailroom/moved",
        "--blobs-endpoint",
        &s3.endpoint,
        "--blobs-credentials-file",
        creds.to_str().unwrap(),
    ];

    // Not while a run works on the SQLite ledger.
    let mut run = inst.spawn_run(&[], "run-beside.log");
    assert!(
        wait_until(Duration::from_secs(30), || std::fs::read_to_string(
            inst.path("var/mailroom.lock")
        )
        .is_ok_and(|pid| pid.trim() == run.id().to_string())),
        "the run did not take its lock"
    );
    let out = migrate(&inst, &[&["--to", url.as_str()][..], &blob_args].concat());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("needs the SQLite ledger to itself") && err.contains("another `mailroom run`"),
        "{err}"
    );
    run.kill().unwrap();
    run.wait().unwrap();

    // The copy. The password-free URL goes through the environment, as a real one would.
    let out = {
        let mut c = inst.command(&["migrate", "--to", "env:NEW_LEDGER"]);
        c.args(blob_args).env("NEW_LEDGER", &url);
        c.output().unwrap()
    };
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = |table: &str| -> u64 {
        said.lines()
            .find_map(|l| {
                let mut w = l.split_whitespace();
                (w.next() == Some(table)).then(|| w.next().unwrap().parse().unwrap())
            })
            .unwrap_or_else(|| panic!("no line for {table}: {said}"))
    };
    assert_eq!(rows("documents"), 4, "{said}");
    assert_eq!(rows("corrections"), 2, "{said}");
    assert_eq!(rows("vendors"), 1, "{said}");
    assert_eq!(rows("api_tokens"), 1, "{said}");
    assert!(rows("transitions") >= 9, "{said}");
    assert!(rows("outbox") >= 1, "{said}");
    let total: u64 = before.originals.iter().map(|o| o.len() as u64).sum();
    assert!(
        said.contains(&format!(
            "4 file(s), {total} bytes, copied into s3://mailroom/moved"
        )),
        "{said}"
    );

    // The new configuration: the ledger on PostgreSQL, the files in the bucket. The
    // old blob folder goes away, so every byte served below comes from the bucket.
    let config = std::fs::read_to_string(inst.config()).unwrap();
    std::fs::write(
        inst.config(),
        format!(
            "{config}\n[database]\nurl = \"{url}\"\n\n[blobs]\nurl = \"s3://mailroom/moved\"\nendpoint = \"{}\"\ncredentials_file = \"{}\"\n",
            s3.endpoint,
            creds.display()
        ),
    )
    .unwrap();
    std::fs::rename(inst.path("var/blobs"), inst.path("old-blobs")).unwrap();
    let after = look(&inst, &writer);
    assert_eq!(after.list, before.list);
    assert_eq!(after.details, before.details);
    assert!(
        after.originals == before.originals,
        "same bytes from the bucket"
    );
    assert_eq!(steady(&after.status), steady(&before.status));

    // The ledger goes on where the copy ended: a new document and its transitions take
    // ids after the copied ones (identity sequences moved past them).
    std::fs::copy(
        sample("einvoices/peppol-invoice.xml"),
        inst.path("inbox/again.xml"),
    )
    .unwrap();
    let log =
        String::from_utf8_lossy(&inst.run_to_idle(Duration::from_secs(60)).stderr).into_owned();
    // Not by retrying past the copied ids: every insert succeeds the first time.
    assert!(!log.contains("ERROR") && !log.contains("WARN"), "{log}");
    let srv = start(&inst, &["serve"], "serve-after.log");
    let docs = all_documents(&srv.base, &writer);
    drop(srv);
    assert_eq!(docs.len(), 5, "{docs:?}");
    assert_eq!(docs.last().unwrap()["name"], "again.xml");
    assert_eq!(docs.last().unwrap()["state"], "duplicate");

    // Into a ledger that holds documents: refused, nothing changed.
    // The SQLite installation as it was: the configuration without the new sections.
    std::fs::write(inst.path("sqlite.toml"), &config).unwrap();
    std::fs::rename(inst.path("old-blobs"), inst.path("var/blobs")).unwrap();
    let mut second = Command::new(MAILROOM);
    second
        .arg("--config")
        .arg(inst.path("sqlite.toml"))
        .args(["migrate", "--to", &url]);
    let out = second.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("is not empty (")
            && err.contains("documents: 5")
            && err.contains("nothing was copied"),
        "{err}"
    );
}

#[test]
fn a_migrate_that_fails_half_way_leaves_the_target_empty() {
    let inst = Install::sqlite("");
    for f in [
        "einvoices/peppol-invoice.xml",
        "einvoices/facturx-invoice.xml",
    ] {
        inst.fill_inbox(&[sample(f)]);
    }
    inst.run_to_idle(Duration::from_secs(60));
    // One original lost from the blob folder: the copy stops at it.
    let db = inst.db();
    let sha: String = db
        .query_row(
            "SELECT sha256 FROM documents ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    drop(db);
    let blob = inst.path(&format!("var/blobs/{}/{sha}.bin", &sha[..2]));
    std::fs::rename(&blob, inst.path("lost.bin")).unwrap();

    let pg = mailroom::testing::postgres::fresh_database();
    let url = pg.secret().to_string();
    let target = inst.path("target-blobs");
    let out = migrate(&inst, &["--to", &url, "--blobs", target.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains(&sha) && err.contains("missing"), "{err}");
    let count = |table: &str| -> i64 {
        let url = url.clone();
        let table = table.to_string();
        std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            c.query_one(&format!("SELECT COUNT(*) FROM {table}"), &[])
                .unwrap()
                .get::<_, i64>(0)
        })
        .join()
        .unwrap()
    };
    assert_eq!(count("documents"), 0);
    assert_eq!(count("transitions"), 0);

    // Found again: the same command completes, into the same target.
    std::fs::rename(inst.path("lost.bin"), &blob).unwrap();
    let out = migrate(&inst, &["--to", &url, "--blobs", target.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count("documents"), 2);
}

/// A one-shot command's stderr is for what went wrong: refinery's "no migrations to
/// apply" and PostgreSQL's NOTICEs, printed by every command that opens the ledger,
/// are below the default level (`MAILROOM_LOG` or `RUST_LOG` still show them).
#[test]
fn status_prints_no_library_chatter_on_either_engine() {
    let pg = mailroom::testing::postgres::fresh_database();
    for extra in [
        String::new(),
        format!("[database]\nurl = \"{}\"\n", pg.secret()),
    ] {
        let inst = Install::sqlite(&extra);
        inst.ok(&["token", "create", "x", "--scope", "read"]);
        let out = Command::new(MAILROOM)
            .arg("--config")
            .arg(inst.config())
            .arg("status")
            .env_remove("MAILROOM_LOG")
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{extra}");
        let out = Command::new(MAILROOM)
            .arg("--config")
            .arg(inst.config())
            .arg("status")
            .env_remove("MAILROOM_LOG")
            .env("RUST_LOG", "info")
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("refinery"),
            "RUST_LOG asks for them"
        );
    }
}
