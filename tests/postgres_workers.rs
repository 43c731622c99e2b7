//! Several `mailroom run` on one PostgreSQL ledger (issue 15, points 3 and 4): two
//! processes with a shared blob folder and a real webhook receiver, one of them
//! SIGKILLed while it holds a document. Every input ends in exactly one final state,
//! every posted document reaches the receiver once, and the survivor finishes the dead
//! process's documents once their lease has run out.
//!
//! The cluster is a throw-away one of this test binary (`scripts/pg-server`, through
//! `mailroom::testing::postgres`); the leases are shortened with `MAILROOM_LEASE_MS`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

/// How long a claim lives in this test: short, so that the survivor takes the dead
/// process's work over within seconds.
const LEASE_MS: u64 = 1500;

/// A webhook receiver that answers 200 to everything and records each request's
/// `Idempotency-Key`.
struct Receiver {
    url: String,
    keys: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    fn start() -> Receiver {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", server.server_addr().to_ip().unwrap());
        let keys: Arc<Mutex<Vec<String>>> = Arc::default();
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
                k.lock().unwrap().push(key);
                let _ = req.respond(tiny_http::Response::from_string("ok"));
            }
        });
        Receiver { url, keys }
    }

    fn keys(&self) -> Vec<String> {
        self.keys.lock().unwrap().clone()
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
}

/// An installation of its own (config, inbox, var) on the shared ledger and blobs.
fn install(db: &str, blobs: &Path, hook: &str, workers: u32) -> Install {
    Install::new(&format!(
        r#"
[workers]
count = {workers}

[database]
url = "{db}"

[blobs]
url = "{blobs}"

[[sinks]]
name = "erp"
kind = "webhook"
url = "{hook}"
secret = "multi-process-secret"
events = ["document.posted"]
retry_initial_ms = 100
retry_max_ms = 400
"#,
        blobs = blobs.display()
    ))
}

fn spawn(inst: &Install, args: &[&str], log: &str) -> std::process::Child {
    std::fs::create_dir_all(inst.path("var")).unwrap();
    let file = std::fs::File::create(inst.path(&format!("var/{log}"))).unwrap();
    let mut c = inst.command(&["run"]);
    c.args(args)
        .env("MAILROOM_LEASE_MS", LEASE_MS.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(file);
    c.spawn().unwrap()
}

fn log(inst: &Install, name: &str) -> String {
    std::fs::read_to_string(inst.path(&format!("var/{name}"))).unwrap_or_default()
}

const FINAL: &[&str] = &[
    "auto_posted",
    "posted",
    "in_review",
    "quarantined",
    "rejected",
    "duplicate",
];

#[test]
fn two_runs_on_one_postgres_share_the_work_and_survive_a_sigkill() {
    let url = mailroom::testing::postgres::fresh_database();
    let url = url.secret().to_string();
    let shared = tempfile::tempdir().unwrap();
    let blobs = shared.path().join("blobs");
    let hook = Receiver::start();
    let a = install(&url, &blobs, &hook.url, 2);
    let b = install(&url, &blobs, &hook.url, 2);

    // Inputs: two scans (seconds of OCR each: the process is killed while it reads
    // one) and the structured e-invoices (fast), all in a's inbox; b has none and
    // takes its work from the ledger.
    let gen = shared.path().join("gen");
    generate(&gen, 2, 31, &["--degradation", "clean"]);
    let mut inputs: Vec<PathBuf> = images(&gen);
    let einvoices = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/einvoices");
    inputs.extend(images(&einvoices));
    let names: BTreeSet<String> = inputs
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 5, "{names:?}");
    a.fill_inbox(&inputs);

    let mut ledger = None;
    let mut run_a = spawn(&a, &[], "run-a.log");
    let a_pid = run_a.id();
    let held_by_a = |docs: &[(String, String, String, Option<String>)]| -> Vec<String> {
        docs.iter()
            .filter(|d| {
                d.2 == "processing"
                    && d.3
                        .as_deref()
                        .is_some_and(|w| w.contains(&format!(":{a_pid}:")))
            })
            .map(|d| d.0.clone())
            .collect()
    };
    // b joins once a has started claiming.
    let started = Instant::now();
    let mut run_b = None;
    let mut killed_with: Vec<String> = Vec::new();
    while started.elapsed() < Duration::from_secs(120) {
        if let Some(Ok(status)) = run_a.try_wait().transpose() {
            panic!(
                "run a stopped by itself: {status:?}\n{}",
                log(&a, "run-a.log")
            );
        }
        let l = ledger.get_or_insert_with(|| Ledger::connect(&url));
        let docs = l.documents();
        let held = held_by_a(&docs);
        if run_b.is_none() && !held.is_empty() {
            run_b = Some(spawn(&b, &["--exit-when-idle"], "run-b.log"));
        }
        // Kill a once everything is ingested (its inbox is empty: nothing is left
        // that only a could take in) while it holds a document.
        let inbox_empty = a.path("inbox").read_dir().unwrap().next().is_none();
        if run_b.is_some() && inbox_empty && docs.len() == names.len() && !held.is_empty() {
            killed_with = held;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // SIGKILL (std's kill on Unix): no clean exit, its leases are left to run out.
    let _ = run_a.kill();
    let _ = run_a.wait();
    let killed_at = chrono::Utc::now();
    assert!(
        !killed_with.is_empty(),
        "run a never held a document once all inputs were in; the test would prove nothing\n{}",
        log(&a, "run-a.log")
    );

    // b finishes everything, a's documents included, then exits (idle).
    let mut run_b = run_b.unwrap();
    let t = Instant::now();
    let status = loop {
        if let Some(s) = run_b.try_wait().unwrap() {
            break s;
        }
        if t.elapsed() > Duration::from_secs(240) {
            let _ = run_b.kill();
            panic!("run b did not finish\n{}", log(&b, "run-b.log"));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "run b failed\n{}", log(&b, "run-b.log"));

    let mut l = Ledger::connect(&url);
    let docs = l.documents();
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

    // No document reached a final state twice (two processes working on one).
    let twice: i64 =
        l.0.query_one(
            "SELECT COUNT(*) FROM (SELECT document_id FROM transitions
               WHERE to_state IN ('auto_posted', 'in_review', 'quarantined', 'posted', 'rejected')
               GROUP BY document_id HAVING COUNT(*) > 1) t",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(twice, 0, "a document was decided twice");

    // The documents a held when it died were taken back by b after their lease ran
    // out, and finished.
    for id in &killed_with {
        let resumed: Vec<(String, String)> =
            l.0.query(
                "SELECT at, reason FROM transitions
                 WHERE document_id = $1 AND to_state = 'received' AND reason LIKE 'resumed%'",
                &[id],
            )
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        assert_eq!(resumed.len(), 1, "{id} was not taken back: {resumed:?}");
        let at = chrono::DateTime::parse_from_rfc3339(&resumed[0].0).unwrap();
        assert!(
            at >= killed_at - chrono::Duration::milliseconds(200),
            "{id} taken back at {at}, before its holder died ({killed_at})"
        );
        let holder: Option<String> =
            l.0.query_one("SELECT claimed_by FROM documents WHERE id = $1", &[id])
                .unwrap()
                .get(0);
        assert!(
            holder
                .as_deref()
                .is_some_and(|w| !w.contains(&format!(":{a_pid}:"))),
            "{id} finished by {holder:?}"
        );
    }

    // Every posted document delivered, exactly once, and nothing else.
    let posted: BTreeSet<String> = docs
        .iter()
        .filter(|d| d.2 == "auto_posted" || d.2 == "posted")
        .map(|d| d.0.clone())
        .collect();
    assert!(!posted.is_empty(), "nothing was posted: {docs:?}");
    let keys = hook.keys();
    let mut per_doc: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for k in &keys {
        let doc = k.split('.').next().unwrap_or_default().to_string();
        per_doc.entry(doc).or_default().push(k.clone());
    }
    for id in &posted {
        assert_eq!(
            per_doc.get(id).map(Vec::len),
            Some(1),
            "{id} delivered {:?}",
            per_doc.get(id)
        );
    }
    assert_eq!(
        per_doc.keys().cloned().collect::<BTreeSet<_>>(),
        posted,
        "deliveries of documents not posted: {keys:?}"
    );
    let undelivered: i64 =
        l.0.query_one(
            "SELECT COUNT(*) FROM outbox WHERE state != 'delivered'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(undelivered, 0);

    // Every blob the ledger names is in the shared folder and reads back whole.
    let shas: Vec<String> =
        l.0.query("SELECT DISTINCT sha256 FROM documents", &[])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
    let store = mailroom::store::BlobStore::open(&blobs).unwrap();
    for sha in &shas {
        store
            .read(sha)
            .unwrap_or_else(|e| panic!("blob {sha}: {e}"));
    }
}
