//! Several `mailroom run` on one PostgreSQL ledger and one S3 bucket (issue 15, points
//! 3 and 4), each doing only some parts (`--only`): one takes files in and serves the
//! web, two read and deliver to two webhook sinks of a real receiver. 200 documents
//! (e-invoices, each with a number of its own, and a few scans). The intake claims
//! nothing; the second worker process, started while the first holds a document,
//! leaves that document alone; the first, holding documents and both sinks, is
//! SIGKILLed mid-work. Then every input is in exactly one final state, decided once;
//! only the killed process's documents were taken back, after it died; every posted
//! document reached each sink under one Idempotency-Key (a delivery in flight at the
//! kill may be sent again under its key, never under another); every blob the ledger
//! names reads back from the bucket with its sha256.
//!
//! The cluster is a throw-away one of this test binary (`scripts/pg-server`, through
//! `mailroom::testing::postgres`), the bucket a throw-away s3s-fs
//! (`scripts/s3-server`); the leases are shortened with `MAILROOM_LEASE_MS`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::s3::{get, sha256, S3Server};
use common::web::{call, call_raw, start, token};
use common::*;

/// How long a claim lives in this test: short, so that the survivor takes the dead
/// process's work over within seconds.
const LEASE_MS: u64 = 1500;

/// A webhook receiver that answers 200 to everything and records each request's path
/// and `Idempotency-Key`. It takes its time (40 ms a request, one at a time), as an ERP
/// does: deliveries back up in the outbox, so that a dispatcher that ignored the sink's
/// lease would send what another is sending.
struct Receiver {
    url: String,
    keys: Arc<Mutex<Vec<(String, String)>>>,
}

impl Receiver {
    fn start() -> Receiver {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let url = format!("http://{}", server.server_addr().to_ip().unwrap());
        let keys: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
        let k = keys.clone();
        std::thread::spawn(move || {
            for mut req in server.incoming_requests() {
                let key = req
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv("Idempotency-Key"))
                    .map(|h| h.value.as_str().to_string())
                    .unwrap_or_default();
                let mut body = String::new();
                let _ = std::io::Read::read_to_string(req.as_reader(), &mut body);
                k.lock().unwrap().push((req.url().to_string(), key));
                std::thread::sleep(Duration::from_millis(40));
                let _ = req.respond(tiny_http::Response::from_string("ok"));
            }
        });
        Receiver { url, keys }
    }

    /// The keys received on `path`, in the order they came.
    fn keys(&self, path: &str) -> Vec<String> {
        let keys = self.keys.lock().unwrap();
        keys.iter()
            .filter(|(p, _)| p == path)
            .map(|(_, k)| k.clone())
            .collect()
    }
}

/// The ledger as the test reads it, straight from PostgreSQL.
struct Ledger(postgres::Client);

impl Ledger {
    fn connect(url: &str) -> Ledger {
        Ledger(postgres::Client::connect(url, postgres::NoTls).unwrap())
    }

    /// (id, name, state, claimed_by) of every document, in ingest order; empty while
    /// the schema is not there yet.
    fn documents(&mut self) -> Vec<(String, String, String, Option<String>)> {
        self.0
            .query(
                "SELECT id, name, state, claimed_by FROM documents ORDER BY seq",
                &[],
            )
            .map(|rows| {
                rows.iter()
                    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The documents `pid`'s run is working on.
    fn processing_by(&mut self, pid: u32) -> Vec<String> {
        self.documents()
            .into_iter()
            .filter(|d| d.2 == "processing" && held_by(d.3.as_deref(), pid))
            .map(|d| d.0)
            .collect()
    }

    /// The sinks whose lease `pid`'s run holds.
    fn sinks_held_by(&mut self, pid: u32) -> Vec<String> {
        self.0
            .query(
                "SELECT sink FROM sink_leases WHERE holder LIKE $1 ORDER BY sink",
                &[&format!("%:{pid}:%")],
            )
            .map(|rows| rows.iter().map(|r| r.get(0)).collect())
            .unwrap_or_default()
    }

    fn count(&mut self, sql: &str) -> i64 {
        self.0
            .query_one(sql, &[])
            .map(|r| r.get(0))
            .unwrap_or_default()
    }
}

/// Does the claim name (`host:pid:tag`) belong to the process `pid`?
fn held_by(claimed_by: Option<&str>, pid: u32) -> bool {
    claimed_by.is_some_and(|w| w.contains(&format!(":{pid}:")))
}

/// An installation of its own (config, inbox, var) on the shared ledger and bucket,
/// posting to two webhook sinks.
fn install(db: &str, s3: &S3Server, hook: &str) -> Install {
    let inst = Install::new(&format!(
        r#"
[workers]
count = 1

[database]
url = "{db}"

[[sinks]]
name = "erp"
kind = "webhook"
url = "{hook}/erp"
secret = "multi-process-secret"
events = ["document.posted"]
retry_initial_ms = 100
retry_max_ms = 400

[[sinks]]
name = "archive"
kind = "webhook"
url = "{hook}/archive"
secret = "multi-process-secret"
events = ["document.posted"]
retry_initial_ms = 100
retry_max_ms = 400
"#
    ));
    s3.use_for_blobs(&inst, "cluster");
    inst
}

/// A child process killed when dropped: a failing assertion leaves no run behind.
struct Reaped(std::process::Child);

impl std::ops::Deref for Reaped {
    type Target = std::process::Child;
    fn deref(&self) -> &std::process::Child {
        &self.0
    }
}

impl std::ops::DerefMut for Reaped {
    fn deref_mut(&mut self) -> &mut std::process::Child {
        &mut self.0
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(inst: &Install, args: &[&str], log: &str) -> Reaped {
    std::fs::create_dir_all(inst.path("var")).unwrap();
    let file = std::fs::File::create(inst.path(&format!("var/{log}"))).unwrap();
    let mut c = inst.command(&["run"]);
    c.args(args)
        .env("MAILROOM_LEASE_MS", LEASE_MS.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(file);
    Reaped(c.spawn().unwrap())
}

fn log(inst: &Install, name: &str) -> String {
    std::fs::read_to_string(inst.path(&format!("var/{name}"))).unwrap_or_default()
}

fn signal(pid: u32, sig: libc::c_int) {
    // SAFETY: kill(2) on a child of this test, which it has not reaped yet.
    assert_eq!(unsafe { libc::kill(pid as libc::pid_t, sig) }, 0);
}

/// SIGTERM, as systemd or Docker stop a service, and the exit that follows.
fn terminate(child: &mut std::process::Child) -> std::process::ExitStatus {
    signal(child.id(), libc::SIGTERM);
    let t = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

const FINAL: &[&str] = &[
    "auto_posted",
    "posted",
    "in_review",
    "quarantined",
    "rejected",
    "duplicate",
];

/// `count` e-invoices made from samples/einvoices, each with an invoice number of its
/// own (the first document ID) and its dates a day earlier than the one before (the
/// same supplier, date and total would be the same invoice, held for review), so that
/// none is a duplicate of another and each is posted.
fn einvoices(dir: &Path, count: usize) -> Vec<PathBuf> {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/einvoices");
    let originals: Vec<(String, String, String)> = images(&samples)
        .iter()
        .map(|p| {
            let xml = std::fs::read_to_string(p).unwrap();
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            // The number: the document's <ram:ID> (CII), else the first <cbc:ID> (UBL).
            let at = match xml.find("<ram:ID>RE-") {
                Some(at) => at + "<ram:ID>".len(),
                None => xml.find("<cbc:ID>").unwrap() + "<cbc:ID>".len(),
            };
            let number = xml[at..at + xml[at..].find('<').unwrap()].to_string();
            (stem, xml, number)
        })
        .collect();
    // An element that holds a date and nothing else: 2024-03-14 (UBL), 20240305 (CII).
    let date = regex::Regex::new(r">(\d{4}-\d{2}-\d{2}|\d{8})<").unwrap();
    std::fs::create_dir_all(dir).unwrap();
    (0..count)
        .map(|i| {
            let (stem, xml, number) = &originals[i % originals.len()];
            let path = dir.join(format!("{stem}-{i:03}.xml"));
            let renumbered = xml.replacen(number.as_str(), &format!("{number}-{i}"), 1);
            let earlier = date.replace_all(&renumbered, |c: &regex::Captures| {
                let text = &c[1];
                let format = if text.len() == 8 {
                    "%Y%m%d"
                } else {
                    "%Y-%m-%d"
                };
                match chrono::NaiveDate::parse_from_str(text, format) {
                    Ok(d) => format!(">{}<", (d - chrono::Days::new(i as u64)).format(format)),
                    Err(_) => c[0].to_string(),
                }
            });
            assert_ne!(&earlier, xml);
            std::fs::write(&path, earlier.as_bytes()).unwrap();
            path
        })
        .collect()
}

#[test]
fn three_runs_with_roles_on_postgres_and_s3_survive_a_sigkill() {
    let url = mailroom::testing::postgres::fresh_database();
    let url = url.secret().to_string();
    let s3 = S3Server::start();
    let hook = Receiver::start();
    let front = install(&url, &s3, &hook.url);
    let (one, two) = (install(&url, &s3, &hook.url), install(&url, &s3, &hook.url));

    // 200 inputs: three scans (seconds of OCR each, so that the killed process holds
    // a document for a while) and 197 e-invoices (fast), all in the front's inbox.
    let shared = tempfile::tempdir().unwrap();
    let gen = shared.path().join("gen");
    generate(&gen, 3, 31, &["--degradation", "clean"]);
    let mut inputs: Vec<PathBuf> = images(&gen);
    inputs.extend(einvoices(&shared.path().join("xml"), 197));
    let names: BTreeSet<String> = inputs
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 200, "{names:?}");
    front.fill_inbox(&inputs);

    // The front: intake and web. It takes every file in and claims none of them.
    let mut web = start(&front, &["run", "--only", "intake,web"], "front.log");
    let front_pid = web.child.id();
    let mut ledger = Ledger::connect(&url);
    let inbox_empty = || front.path("inbox").read_dir().unwrap().next().is_none();
    assert!(
        wait_until(Duration::from_secs(60), || inbox_empty()
            && ledger.documents().len() == 200),
        "the front did not take the inbox in\n{}",
        log(&front, "front.log")
    );
    std::thread::sleep(Duration::from_millis(1000));
    let docs = ledger.documents();
    assert!(
        docs.iter().all(|d| d.2 == "received" && d.3.is_none()),
        "an intake-only run claimed documents: {:?}",
        docs.iter()
            .filter(|d| d.2 != "received")
            .collect::<Vec<_>>()
    );

    // The first worker process; the second joins once the first holds a document, and
    // must leave it alone (its start-up takes back only expired claims).
    let mut first = spawn(&one, &["--only", "workers,dispatch"], "first.log");
    let first_pid = first.id();
    let mut second = None;
    let mut killed_with: Vec<String> = Vec::new();
    let mut sinks_killed: Vec<String> = Vec::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(90) {
        if let Some(status) = first.try_wait().unwrap() {
            panic!(
                "the first stopped by itself: {status:?}\n{}",
                log(&one, "first.log")
            );
        }
        let docs = ledger.documents();
        let held = ledger.processing_by(first_pid);
        if second.is_none() && !held.is_empty() {
            second = Some((
                spawn(&two, &["--only", "workers,dispatch"], "second.log"),
                Instant::now(),
            ));
        }
        // Kill the first mid-work: it holds a document and both sinks, has delivered
        // some (its log says so) while the second has run beside it for a while,
        // deliveries wait, and much is left to read.
        let sinks = ledger.sinks_held_by(first_pid);
        let sent = log(&one, "first.log").matches(" delivered ").count();
        let pending = ledger.count("SELECT COUNT(*) FROM outbox WHERE state = 'pending'");
        let done = docs
            .iter()
            .filter(|d| FINAL.contains(&d.2.as_str()))
            .count();
        if second
            .as_ref()
            .is_some_and(|s| s.1.elapsed() > Duration::from_millis(1500))
            && !held.is_empty()
            && sinks.len() == 2
            && sent >= 10
            && pending > 0
            && done < 180
        {
            // What it holds is read again while it is stopped: between the reads above
            // and the kill it could finish that document and claim the next one.
            signal(first_pid, libc::SIGSTOP);
            let held = ledger.processing_by(first_pid);
            let sinks = ledger.sinks_held_by(first_pid);
            if !held.is_empty() && sinks.len() == 2 {
                killed_with = held;
                sinks_killed = sinks;
                break;
            }
            signal(first_pid, libc::SIGCONT);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    // SIGKILL (std's kill on Unix): no clean exit, its leases are left to run out.
    let finished_at_kill = ledger
        .documents()
        .iter()
        .filter(|d| FINAL.contains(&d.2.as_str()))
        .count();
    let _ = first.kill();
    let _ = first.wait();
    let killed_at = chrono::Utc::now();
    assert!(
        !killed_with.is_empty(),
        "the first never held a document and both sinks while delivering; the test would prove nothing\n{}",
        log(&one, "first.log")
    );
    let mut second = second.unwrap().0;

    // The second finishes everything, the first's documents and deliveries included.
    let settled = wait_until(Duration::from_secs(90), || {
        let docs = ledger.documents();
        docs.iter().all(|d| FINAL.contains(&d.2.as_str()))
            && ledger.count("SELECT COUNT(*) FROM outbox WHERE state != 'delivered'") == 0
    });
    assert!(
        settled,
        "not finished: {:?}\n{}",
        ledger
            .documents()
            .iter()
            .filter(|d| !FINAL.contains(&d.2.as_str()))
            .collect::<Vec<_>>(),
        log(&two, "second.log")
    );

    // The web of the front answers from the shared ledger and bucket.
    let tok = token(&front, "check", "read");
    let (status, list) = call(
        "GET",
        &format!("{}/api/v1/documents?limit=1", web.base),
        Some(&tok),
        None,
    );
    assert_eq!(status, 200, "{list}");
    let id = list["items"][0]["id"].as_str().unwrap();
    let (status, bytes, _) = call_raw(
        "GET",
        &format!("{}/api/v1/documents/{id}/original", web.base),
        Some(&tok),
        None,
    );
    assert_eq!(status, 200);
    let sha: String = ledger
        .0
        .query_one("SELECT sha256 FROM documents WHERE id = $1", &[&id])
        .unwrap()
        .get(0);
    assert_eq!(sha256(&bytes), sha);

    // Both survivors stop cleanly when asked.
    assert!(
        terminate(&mut second).success(),
        "{}",
        log(&two, "second.log")
    );
    assert!(
        terminate(&mut web.child).success(),
        "{}",
        log(&front, "front.log")
    );

    let docs = ledger.documents();
    // Every input exactly once, each in a final state.
    let mut per_name: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &docs {
        *per_name.entry(d.1.as_str()).or_default() += 1;
        assert!(FINAL.contains(&d.2.as_str()), "{} ended in {}", d.1, d.2);
    }
    for n in &names {
        assert_eq!(per_name.get(n.as_str()), Some(&1), "{n}: {docs:?}");
    }
    assert_eq!(docs.len(), names.len(), "{docs:?}");
    // The front never held one.
    assert!(docs.iter().all(|d| !held_by(d.3.as_deref(), front_pid)));

    // No document reached a final state twice (two processes working on one).
    let twice = ledger.count(
        "SELECT COUNT(*) FROM (SELECT document_id FROM transitions
           WHERE to_state IN ('auto_posted', 'in_review', 'quarantined', 'posted', 'rejected')
           GROUP BY document_id HAVING COUNT(*) > 1) t",
    );
    assert_eq!(twice, 0, "a document was decided twice");

    // Only the documents the first held when it died were taken back, by the second,
    // after their lease ran out; the second's start took nothing from the live first.
    let resumed: Vec<(String, String)> = ledger
        .0
        .query(
            "SELECT document_id, at FROM transitions
             WHERE to_state = 'received' AND reason LIKE 'resumed%' ORDER BY id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let resumed_ids: BTreeSet<String> = resumed.iter().map(|r| r.0.clone()).collect();
    assert_eq!(
        resumed_ids,
        killed_with.iter().cloned().collect::<BTreeSet<_>>(),
        "taken back: {resumed:?}"
    );
    assert_eq!(resumed.len(), killed_with.len(), "{resumed:?}");
    for (id, at) in &resumed {
        let at = chrono::DateTime::parse_from_rfc3339(at).unwrap();
        assert!(
            at >= killed_at - chrono::Duration::milliseconds(200),
            "{id} taken back at {at}, before its holder died ({killed_at})"
        );
    }
    let second_pid = second.id();
    for id in &killed_with {
        let d = docs.iter().find(|d| &d.0 == id).unwrap();
        assert!(
            held_by(d.3.as_deref(), second_pid),
            "{id} finished by {:?}",
            d.3
        );
    }

    // Every posted document reached each sink under one key, and nothing else did.
    let posted: BTreeSet<String> = docs
        .iter()
        .filter(|d| d.2 == "auto_posted" || d.2 == "posted")
        .map(|d| d.0.clone())
        .collect();
    // Every invoice among the e-invoices (131 of 197; the credit notes wait for review).
    assert!(posted.len() >= 131, "{} posted: {docs:?}", posted.len());
    assert_eq!(sinks_killed, ["archive", "erp"]);
    for sink in ["/erp", "/archive"] {
        let keys = hook.keys(sink);
        let mut per_doc: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for k in &keys {
            let doc = k.split('.').next().unwrap_or_default().to_string();
            per_doc.entry(doc).or_default().insert(k.clone());
        }
        for id in &posted {
            assert_eq!(
                per_doc.get(id).map(BTreeSet::len),
                Some(1),
                "{sink}: {id} delivered under {:?}",
                per_doc.get(id)
            );
        }
        assert_eq!(
            per_doc.keys().cloned().collect::<BTreeSet<_>>(),
            posted,
            "{sink}: deliveries of documents not posted"
        );
        // One dispatcher sends a sink at a time, one delivery after another: only the
        // delivery in flight when the first was killed may have gone out twice.
        let distinct: usize = per_doc.values().map(BTreeSet::len).sum();
        assert!(
            keys.len() - distinct <= 1,
            "{sink}: {} requests for {distinct} deliveries",
            keys.len()
        );
    }

    println!(
        "killed the first holding {} document(s) and the sinks {sinks_killed:?} with {finished_at_kill} of 200 finished; \
         {} posted; requests erp {}, archive {}",
        killed_with.len(),
        posted.len(),
        hook.keys("/erp").len(),
        hook.keys("/archive").len()
    );

    // Every blob the ledger names is in the bucket and hashes to its name.
    let client = s3.client();
    let shas: Vec<String> = ledger
        .0
        .query("SELECT DISTINCT sha256 FROM documents", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(shas.len(), 200);
    for sha in &shas {
        let bytes = get(&client, &format!("cluster/{}/{sha}.bin", &sha[..2]));
        assert_eq!(&sha256(&bytes), sha);
    }
}

/// `--only` on a SQLite ledger is refused before anything is opened (one run holds that
/// ledger and must do every part), and an unknown part is a usage error naming the
/// four.
#[test]
fn parts_are_refused_on_sqlite_and_unknown_parts_are_named() {
    let inst = Install::sqlite("");
    let out = inst
        .command(&["run", "--only", "workers,dispatch"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--only workers,dispatch needs a PostgreSQL ledger"),
        "{err}"
    );
    assert!(
        !inst.path("var/mailroom.sqlite3").exists(),
        "the refused run opened the ledger"
    );

    let out = inst.command(&["run", "--only", "ocr"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        ["intake", "workers", "dispatch", "web"]
            .iter()
            .all(|r| err.contains(r)),
        "{err}"
    );
}

/// An installation on the PostgreSQL ledger `db` (its blobs in `shared/blobs`, beside
/// the other installations'), with `sinks` (TOML) as its sinks.
fn on_ledger(db: &str, shared: &Path, sinks: &str) -> Install {
    Install::new(&format!(
        "[workers]\ncount = 1\n\n[database]\nurl = \"{db}\"\n\n[blobs]\nurl = \"{}\"\n{sinks}",
        shared.join("blobs").display()
    ))
}

/// The outbox of `sink` as (document seq, state, delivered_at), in ingest order.
fn deliveries(ledger: &mut Ledger, sink: &str) -> Vec<(i64, String, Option<String>)> {
    ledger
        .0
        .query(
            "SELECT d.seq, o.state, o.delivered_at FROM outbox o JOIN documents d ON d.id = o.document_id
             WHERE o.sink = $1 ORDER BY d.seq",
            &[&sink],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

/// Issue 15, point 4: `mailroom run --only web` serves the UI and the API from the
/// shared ledger and does no other part: files in its inbox stay there, a document
/// uploaded through it stays `received` (no claim), and a posting another run made
/// waits in the outbox (no dispatcher, no sink lease).
#[test]
fn a_web_only_run_serves_and_claims_nothing() {
    let url = mailroom::testing::postgres::fresh_database();
    let url = url.secret().to_string();
    let shared = tempfile::tempdir().unwrap();
    let inst = on_ledger(&url, shared.path(), "");
    // The third is a Peppol invoice that is posted when read.
    let files = einvoices(&shared.path().join("xml"), 4);
    inst.fill_inbox(&[files[0].clone(), files[1].clone(), files[3].clone()]);
    let writer = token(&inst, "scanner", "write");

    let mut web = start(&inst, &["run", "--only", "web"], "web.log");
    let upload = std::fs::read(&files[2]).unwrap();
    let (status, doc) = common::web::post_bytes(
        &format!("{}/api/v1/documents?name=uploaded.xml", web.base),
        &writer,
        "application/xml",
        &upload,
    );
    assert_eq!(status, 201, "{doc}");
    let id = doc["id"].as_str().unwrap().to_string();
    let (status, page, _) = call_raw("GET", &format!("{}/login", web.base), None, None);
    assert_eq!(status, 200);
    assert!(
        String::from_utf8_lossy(&page).contains("<form"),
        "the sign-in page"
    );

    // Long enough for an intake (stable after 300 ms, rescans every second) and a
    // worker (polls every 500 ms) to have acted.
    std::thread::sleep(Duration::from_secs(4));
    let mut ledger = Ledger::connect(&url);
    let docs = ledger.documents();
    assert_eq!(
        docs.iter()
            .map(|d| (d.0.as_str(), d.2.as_str(), d.3.as_deref()))
            .collect::<Vec<_>>(),
        [(id.as_str(), "received", None)],
        "{}",
        log(&inst, "web.log")
    );
    assert_eq!(
        std::fs::read_dir(inst.path("inbox")).unwrap().count(),
        3,
        "a web-only run took the inbox in"
    );

    // Another run reads and posts it, without dispatching: the delivery waits, and the
    // web-only run leaves it waiting.
    inst.ok(&["run", "--only", "workers", "--exit-when-idle"]);
    let reader = token(&inst, "reader", "read");
    let (status, seen) = call(
        "GET",
        &format!("{}/api/v1/documents/{id}", web.base),
        Some(&reader),
        None,
    );
    assert_eq!(
        (status, seen["state"].as_str()),
        (200, Some("auto_posted")),
        "{seen}"
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        deliveries(&mut ledger, "outbox")
            .iter()
            .map(|d| d.1.as_str())
            .collect::<Vec<_>>(),
        ["pending"],
        "{}",
        log(&inst, "web.log")
    );
    assert_eq!(ledger.count("SELECT COUNT(*) FROM sink_leases"), 0);
    assert!(inst.outbox_files().is_empty());
    assert!(
        terminate(&mut web.child).success(),
        "{}",
        log(&inst, "web.log")
    );
}

/// Issue 15, point 3: a process that only dispatches (`--only dispatch`) is SIGKILLed
/// while it delivers to a slow webhook and a files sink; a second dispatcher, started
/// while the first was alive, waited for the sinks' leases, finishes what the first
/// left and delivers what is posted after the kill. Each posted document reached each
/// sink once (at most the delivery in flight at the kill went out again, under its
/// Idempotency-Key), and the files sink wrote in ingest order across the two.
#[test]
fn a_dispatcher_killed_while_it_delivers_is_finished_by_another() {
    let url = mailroom::testing::postgres::fresh_database();
    let url = url.secret().to_string();
    let shared = tempfile::tempdir().unwrap();
    let hook = Receiver::start();
    let outbox = shared.path().join("outbox");
    let sinks = format!(
        r#"
[[sinks]]
name = "erp"
kind = "webhook"
url = "{}/erp"
secret = "dispatch-secret"
events = ["document.posted"]
retry_initial_ms = 100
retry_max_ms = 400

[[sinks]]
name = "files"
kind = "files"
dir = "{}"
"#,
        hook.url,
        outbox.display()
    );
    let (front, one, two) = (
        on_ledger(&url, shared.path(), &sinks),
        on_ledger(&url, shared.path(), &sinks),
        on_ledger(&url, shared.path(), &sinks),
    );
    // 90 e-invoices read and posted by a run that does not dispatch: every delivery
    // waits for the dispatchers.
    let invoices = einvoices(&shared.path().join("xml"), 110);
    front.fill_inbox(&invoices[..90]);
    let mut reader = spawn(&front, &["--only", "intake,workers"], "front.log");
    let mut ledger = Ledger::connect(&url);
    let posted = |ledger: &mut Ledger| -> BTreeSet<String> {
        ledger
            .documents()
            .into_iter()
            .filter(|d| d.2 == "auto_posted")
            .map(|d| d.0)
            .collect()
    };
    let all_final = |ledger: &mut Ledger, n: usize| {
        let docs = ledger.documents();
        docs.len() == n && docs.iter().all(|d| FINAL.contains(&d.2.as_str()))
    };
    assert!(
        wait_until(Duration::from_secs(90), || all_final(&mut ledger, 90)),
        "{}",
        log(&front, "front.log")
    );
    let first_posted = posted(&mut ledger).len();
    assert!(first_posted >= 60, "{first_posted} posted");
    assert_eq!(
        ledger.count("SELECT COUNT(*) FROM outbox WHERE state = 'pending'"),
        2 * first_posted as i64
    );

    let mut first = spawn(&one, &["--only", "dispatch"], "first.log");
    let first_pid = first.id();
    let mut second = None;
    let started = Instant::now();
    let mut killed = false;
    while started.elapsed() < Duration::from_secs(60) {
        if let Some(status) = first.try_wait().unwrap() {
            panic!("the first stopped: {status:?}\n{}", log(&one, "first.log"));
        }
        let sinks = ledger.sinks_held_by(first_pid);
        if second.is_none() && sinks.len() == 2 {
            second = Some(spawn(&two, &["--only", "dispatch"], "second.log"));
        }
        let sent = hook.keys("/erp").len();
        let pending =
            ledger.count("SELECT COUNT(*) FROM outbox WHERE sink = 'erp' AND state = 'pending'");
        if second.is_some() && sent >= 15 && pending > 10 {
            // Stopped, then looked at: it still holds both sinks and delivers.
            signal(first_pid, libc::SIGSTOP);
            if ledger.sinks_held_by(first_pid).len() == 2 {
                killed = true;
                break;
            }
            signal(first_pid, libc::SIGCONT);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        killed,
        "the first never held both sinks with deliveries left\n{}",
        log(&one, "first.log")
    );
    let _ = first.kill();
    let _ = first.wait();
    let sent_at_kill = hook.keys("/erp").len();
    let mut second = second.unwrap();
    // The second sent nothing while the first was alive (the sinks' leases).
    assert!(
        !log(&two, "second.log").contains(" delivered "),
        "the second delivered beside the first\n{}",
        log(&two, "second.log")
    );
    // More mail after the kill: the second takes the sinks over and delivers these
    // too, after what the first wrote.
    front.fill_inbox(&invoices[90..]);
    let settled = wait_until(Duration::from_secs(90), || {
        all_final(&mut ledger, 110)
            && ledger.count("SELECT COUNT(*) FROM outbox WHERE state != 'delivered'") == 0
    });
    assert!(
        settled,
        "not delivered\n{}\n{}",
        log(&two, "second.log"),
        log(&front, "front.log")
    );
    assert!(
        terminate(&mut second).success(),
        "{}",
        log(&two, "second.log")
    );
    assert!(
        terminate(&mut reader).success(),
        "{}",
        log(&front, "front.log")
    );
    let posted = posted(&mut ledger);
    assert!(posted.len() > first_posted, "{posted:?}");

    // The webhook: every posted document under one key, at most one resend.
    let keys = hook.keys("/erp");
    let mut per_doc: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for k in &keys {
        let doc = k.split('.').next().unwrap_or_default().to_string();
        per_doc.entry(doc).or_default().insert(k.clone());
    }
    assert_eq!(per_doc.keys().cloned().collect::<BTreeSet<_>>(), posted);
    assert!(per_doc.values().all(|k| k.len() == 1), "{per_doc:?}");
    assert!(
        keys.len() <= posted.len() + 1,
        "{} requests for {} deliveries",
        keys.len(),
        posted.len()
    );
    assert!(
        log(&two, "second.log").matches(" delivered ").count() >= posted.len() - sent_at_kill,
        "the second did not finish the first's work\n{}",
        log(&two, "second.log")
    );

    // The files sink: one file per posted document, written in ingest order.
    let files: Vec<String> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    assert_eq!(files.len(), posted.len(), "{files:?}");
    let written = deliveries(&mut ledger, "files");
    assert_eq!(written.len(), posted.len());
    for pair in written.windows(2) {
        assert!(
            pair[0].2 <= pair[1].2,
            "the files sink wrote seq {} at {:?}, after seq {} at {:?}",
            pair[0].0,
            pair[0].2,
            pair[1].0,
            pair[1].2
        );
    }
}

/// Issue 15, point 3: an inbox on a shared filesystem watched by several machines. Two
/// `mailroom run --only intake` on one PostgreSQL ledger watch the same inbox folder
/// (and archive into the same folder, with their blobs in one shared folder), and 40
/// e-invoices are dropped while both run. Each file is taken once: one document per
/// file (by name and by sha256, none a duplicate), none lost, the inbox empty and each
/// file archived once under its document's id; neither process stopped.
#[test]
fn two_intake_runs_watching_one_inbox_take_each_file_once() {
    let url = mailroom::testing::postgres::fresh_database();
    let url = url.secret().to_string();
    let shared = tempfile::tempdir().unwrap();
    let (inbox, archive) = (shared.path().join("inbox"), shared.path().join("archive"));
    std::fs::create_dir_all(&inbox).unwrap();
    let runs: Vec<Install> = (0..2)
        .map(|_| {
            let inst = on_ledger(&url, shared.path(), "");
            // Both watch and archive into the shared folders instead of their own.
            let config = std::fs::read_to_string(inst.config()).unwrap();
            let root = inst.dir.path().display().to_string();
            let config = config
                .replace(
                    &format!("inbox = \"{root}/inbox\""),
                    &format!("inbox = \"{}\"", inbox.display()),
                )
                .replace(
                    &format!("archive = \"{root}/var/archive\""),
                    &format!("archive = \"{}\"", archive.display()),
                );
            assert!(config.contains(&inbox.display().to_string()), "{config}");
            std::fs::write(inst.config(), config).unwrap();
            inst
        })
        .collect();
    let mut children: Vec<Reaped> = runs
        .iter()
        .enumerate()
        .map(|(i, inst)| spawn(inst, &["--only", "intake"], &format!("intake-{i}.log")))
        .collect();
    let logs = || {
        runs.iter()
            .enumerate()
            .map(|(i, inst)| log(inst, &format!("intake-{i}.log")))
            .collect::<Vec<_>>()
            .join("\n----\n")
    };
    assert!(
        wait_until(Duration::from_secs(15), || runs.iter().enumerate().all(
            |(i, inst)| log(inst, &format!("intake-{i}.log")).contains("watching")
        )),
        "{}",
        logs()
    );
    // Dropped while both watch, at once (both then go through the same names), each
    // appearing whole (a rename).
    let files = einvoices(&shared.path().join("xml"), 40);
    let mut expected = BTreeMap::new();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let part = inbox.join(format!("{name}.part"));
        std::fs::write(&part, &bytes).unwrap();
        std::fs::rename(&part, inbox.join(&name)).unwrap();
        expected.insert(name, sha256(&bytes));
    }
    let mut ledger = Ledger::connect(&url);
    let archived = || std::fs::read_dir(&archive).map_or(0, |d| d.count());
    assert!(
        wait_until(Duration::from_secs(15), || archived() >= 40
            && std::fs::read_dir(&inbox).unwrap().count() == 0),
        "{} archived\n{}",
        archived(),
        logs()
    );
    // A second taker of a file would be a little behind the first.
    std::thread::sleep(Duration::from_secs(1));
    for (i, child) in children.iter_mut().enumerate() {
        assert!(
            child.0.try_wait().unwrap().is_none(),
            "intake {i} stopped\n{}",
            logs()
        );
    }
    let rows = ledger
        .0
        .query(
            "SELECT id, name, sha256, state, intake_done FROM documents ORDER BY seq",
            &[],
        )
        .unwrap();
    let documents: Vec<(String, String, String, String, i64)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    assert_eq!(documents.len(), 40, "{documents:#?}\n{}", logs());
    let by_name: BTreeMap<String, String> = documents
        .iter()
        .map(|(_, name, sha, _, _)| (name.clone(), sha.clone()))
        .collect();
    assert_eq!(by_name, expected, "one document per file, its own bytes");
    let shas: BTreeSet<&String> = documents.iter().map(|d| &d.2).collect();
    assert_eq!(shas.len(), 40);
    for (id, name, _, state, done) in &documents {
        assert_eq!((state.as_str(), *done), ("received", 1), "{id} {name}");
    }
    // Each file archived once, as `<its document's id>-<name>`, with its bytes.
    let mut in_archive: Vec<String> = std::fs::read_dir(&archive)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    in_archive.sort();
    let mut want: Vec<String> = documents
        .iter()
        .map(|(id, name, _, _, _)| format!("{id}-{name}"))
        .collect();
    want.sort();
    assert_eq!(in_archive, want);
    for (id, name, sha, _, _) in &documents {
        let bytes = std::fs::read(archive.join(format!("{id}-{name}"))).unwrap();
        assert_eq!(&sha256(&bytes), sha, "{name}");
    }
    let all = logs();
    assert!(!all.contains("panicked"), "{all}");
    for child in &mut children {
        assert!(terminate(&mut child.0).success(), "{all}");
    }
}
