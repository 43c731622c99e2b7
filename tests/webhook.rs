//! Webhook deliveries against a real HTTP receiver on 127.0.0.1: retries with backoff
//! and `Retry-After`, signatures, idempotency keys, dead deliveries and their retry,
//! and a SIGKILL between sending and recording.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

const SECRET: &str = "test-secret-0123";

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
struct Seen {
    key: String,
    event: String,
    attempt: u32,
    signed: bool,
    body: String,
    at: Instant,
    answered: u16,
}

/// Called with each request before it is answered.
type Hook = Arc<Mutex<Option<Box<dyn FnMut(&Seen) + Send>>>>;

/// How the receiver answers the n-th request (1-based) carrying one key.
type Policy = dyn Fn(u32) -> (u16, Option<&'static str>) + Send + Sync;

struct Receiver {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Called with each request before it is answered (the kill test uses it).
    hook: Hook,
}

impl Receiver {
    fn start(policy: Box<Policy>) -> Receiver {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let url = format!(
            "http://{}/hooks/mailroom",
            server.server_addr().to_ip().unwrap()
        );
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let hook: Hook = Arc::default();
        let (s, h) = (seen.clone(), hook.clone());
        std::thread::spawn(move || {
            let mut per_key: HashMap<String, u32> = HashMap::new();
            for mut req in server.incoming_requests() {
                let header = |name: &str| {
                    req.headers()
                        .iter()
                        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
                        .map(|h| h.value.as_str().to_string())
                        .unwrap_or_default()
                };
                let (key, event, sig) = (
                    header("Idempotency-Key"),
                    header("Mailroom-Event"),
                    header("Mailroom-Signature"),
                );
                let attempt = header("Mailroom-Attempt").parse().unwrap_or(0);
                let mut body = String::new();
                std::io::Read::read_to_string(req.as_reader(), &mut body).unwrap();
                let now = chrono::Utc::now().timestamp();
                let n = per_key.entry(key.clone()).or_default();
                *n += 1;
                let (status, retry_after) = policy(*n);
                let entry = Seen {
                    key,
                    event,
                    attempt,
                    signed: mailroom::sink::webhook::verify(
                        SECRET,
                        &sig,
                        body.as_bytes(),
                        now,
                        300,
                    ),
                    body,
                    at: Instant::now(),
                    answered: status,
                };
                s.lock().unwrap().push(entry.clone());
                if let Some(f) = h.lock().unwrap().as_mut() {
                    f(&entry);
                }
                let mut resp = tiny_http::Response::from_string(if status == 400 {
                    "unknown vendor"
                } else {
                    "ok"
                })
                .with_status_code(status);
                if let Some(v) = retry_after {
                    resp =
                        resp.with_header(tiny_http::Header::from_bytes("Retry-After", v).unwrap());
                }
                let _ = req.respond(resp);
            }
        });
        Receiver { url, seen, hook }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn webhook_config(url: &str, extra: &str) -> String {
    format!(
        r#"
[[sinks]]
name = "outbox"
kind = "files"
dir = "{{OUTBOX}}"
include_original = true

[[sinks]]
name = "ledger"
kind = "csv"
dir = "{{CSV}}"
columns = ["id", "source_name", "invoice_number", "total", "currency"]

[[sinks]]
name = "erp"
kind = "webhook"
url = "{url}"
secret = "{SECRET}"
events = ["document.posted", "document.needs_review", "document.quarantined"]
retry_initial_ms = 100
retry_max_ms = 400
{extra}
"#
    )
}

/// An installation whose files sink writes where `Install::outbox_files` looks.
fn install(url: &str, extra: &str) -> Install {
    let inst = Install::new("");
    let cfg = std::fs::read_to_string(inst.config()).unwrap()
        + &webhook_config(url, extra)
            .replace("{OUTBOX}", &inst.path("var/outbox").display().to_string())
            .replace("{CSV}", &inst.path("var/csv").display().to_string());
    std::fs::write(inst.config(), cfg).unwrap();
    inst
}

/// Deliveries as `mailroom deliveries list --json` reports them.
fn deliveries(inst: &Install) -> Vec<serde_json::Value> {
    let out = inst.ok(&["deliveries", "list", "--json"]);
    serde_json::from_slice(&out.stdout).unwrap()
}

fn corrupt_files(inst: &Install, n: usize) {
    for i in 0..n {
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        bytes.extend(format!("not an image {i}").bytes());
        std::fs::write(inst.path("inbox").join(format!("broken-{i}.png")), bytes).unwrap();
    }
}

#[test]
fn retries_through_500_and_429_then_every_document_arrives_signed_once_per_key() {
    // Per key: 500, 500, 429 (Retry-After: 1), then 200.
    let rx = Receiver::start(Box::new(|n| match n {
        1 | 2 => (500, None),
        3 => (429, Some("1")),
        _ => (200, None),
    }));
    let inst = install(&rx.url, "");
    let gen = inst.path("gen");
    generate(&gen, 2, 7, &["--degradation", "clean"]);
    // A committed sample that is auto-posted (see its snapshot), so the posted path
    // and the files and CSV sinks are surely exercised.
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples/invoices/inv-100-0089-letterhead.png"),
        gen.join("inv-100-0089-letterhead.png"),
    )
    .unwrap();
    inst.fill_inbox(&images(&gen));
    corrupt_files(&inst, 2);
    inst.run_to_idle(Duration::from_secs(300));

    let docs = inst.documents();
    assert_eq!(docs.len(), 5);
    let rows = deliveries(&inst);
    let webhook: Vec<&serde_json::Value> = rows.iter().filter(|d| d["sink"] == "erp").collect();
    // Every document raised exactly one event (posted, needs review or quarantined).
    assert_eq!(webhook.len(), 5, "{rows:#?}");
    let expected_keys: BTreeSet<String> = webhook
        .iter()
        .map(|d| format!("{}.{}", d["document_id"].as_str().unwrap(), d["revision"]))
        .collect();
    for d in &webhook {
        assert_eq!(d["state"], "delivered", "{d:#?}");
        assert_eq!(d["attempts"], 4, "{d:#?}");
    }

    let seen = rx.seen();
    assert_eq!(seen.len(), 20, "4 attempts for each of 5 deliveries");
    assert!(seen.iter().all(|s| s.signed), "every request verifies");
    let mut by_key: BTreeMap<String, Vec<&Seen>> = BTreeMap::new();
    for s in &seen {
        by_key.entry(s.key.clone()).or_default().push(s);
    }
    assert_eq!(
        by_key.keys().cloned().collect::<BTreeSet<_>>(),
        expected_keys
    );
    for (key, attempts) in &by_key {
        let answers: Vec<u16> = attempts.iter().map(|s| s.answered).collect();
        assert_eq!(answers, [500, 500, 429, 200], "{key}");
        let numbers: Vec<u32> = attempts.iter().map(|s| s.attempt).collect();
        assert_eq!(numbers, [1, 2, 3, 4], "{key}");
        // Resends carry the same body and event.
        assert!(attempts
            .iter()
            .all(|s| s.body == attempts[0].body && s.event == attempts[0].event));
        // Retry-After: 1 was respected (backoff alone would be at most 400 ms).
        let waited = attempts[3].at - attempts[2].at;
        assert!(
            waited >= Duration::from_millis(950),
            "{key}: retried after {waited:?}"
        );
    }

    // The event matches the state each document ended in, and the body is its JSON.
    let states: HashMap<String, String> = docs.iter().map(|d| (d.0.clone(), d.1.clone())).collect();
    for attempts in by_key.values() {
        let body: serde_json::Value = serde_json::from_str(&attempts[0].body).unwrap();
        let name = body["source"]["name"].as_str().unwrap();
        let expected = match states[name].as_str() {
            "auto_posted" => "document.posted",
            "in_review" => "document.needs_review",
            "quarantined" => "document.quarantined",
            other => panic!("{name} ended in {other}"),
        };
        assert_eq!(attempts[0].event, expected, "{name}");
        if expected != "document.quarantined" {
            assert_eq!(body["doc_type"]["value"], "invoice", "{name}");
        } else {
            assert!(
                body["reason"]
                    .as_str()
                    .unwrap()
                    .contains("unreadable image"),
                "{body}"
            );
        }
    }
    // The files sink got the posted ones, each once with its original beside it,
    // independently of the webhook; the CSV sink one row each.
    let posted: Vec<&String> = docs
        .iter()
        .filter(|d| d.1 == "auto_posted")
        .map(|d| &d.0)
        .collect();
    let files = inst.outbox_files();
    assert_eq!(files.len(), posted.len());
    for f in &files {
        let orig = f.with_extension("orig.png");
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        let original = gen.join(doc["source"]["name"].as_str().unwrap());
        assert_eq!(
            std::fs::read(&orig).unwrap(),
            std::fs::read(&original).unwrap()
        );
    }
    let csv: Vec<std::path::PathBuf> = std::fs::read_dir(inst.path("var/csv"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    assert!(!posted.is_empty(), "{docs:?}");
    {
        assert_eq!(csv.len(), 1, "{csv:?}");
        let text = std::fs::read_to_string(&csv[0]).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("id,source_name,invoice_number,total,currency,mailroom_key")
        );
        let rows: Vec<&str> = lines.collect();
        assert_eq!(rows.len(), posted.len(), "{text}");
        for name in posted {
            assert!(
                rows.iter().any(|r| r.contains(name.as_str())),
                "{name} not in {text}"
            );
        }
    }
}

#[test]
fn a_400_is_not_retried_the_delivery_is_dead_and_an_admin_can_retry_it() {
    let answer_400 = Arc::new(Mutex::new(true));
    let a = answer_400.clone();
    let rx = Receiver::start(Box::new(move |_| {
        if *a.lock().unwrap() {
            (400, None)
        } else {
            (204, None)
        }
    }));
    let inst = install(&rx.url, "");
    corrupt_files(&inst, 1);
    inst.run_to_idle(Duration::from_secs(60));

    assert_eq!(rx.seen().len(), 1, "a 400 is not retried");
    let rows = deliveries(&inst);
    assert_eq!(rows.len(), 1);
    let d = &rows[0];
    assert_eq!(d["state"], "dead");
    assert_eq!(d["attempts"], 1);
    assert_eq!(d["last_status"], 400);
    assert_eq!(d["last_response"], "unknown vendor");
    // The document's page shows it too.
    let show = inst.ok(&["review", "show", d["document_id"].as_str().unwrap()]);
    let show = String::from_utf8_lossy(&show.stdout);
    assert!(
        show.contains("erp") && show.contains("dead") && show.contains("HTTP 400"),
        "{show}"
    );

    // The receiver is fixed; an admin retries; the next run delivers it.
    *answer_400.lock().unwrap() = false;
    let out = inst.ok(&["deliveries", "retry", "--all"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("1 "));
    inst.run_to_idle(Duration::from_secs(60));
    let rows = deliveries(&inst);
    assert_eq!(rows[0]["state"], "delivered");
    assert_eq!(rows[0]["last_status"], 204);
    let seen = rx.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].key, seen[1].key, "a retry is the same delivery");
}

#[test]
fn sigkill_between_sending_and_recording_resends_with_the_same_key() {
    let rx = Receiver::start(Box::new(|_| (200, None)));
    let inst = install(&rx.url, "");
    let gen = inst.path("gen");
    generate(&gen, 2, 11, &["--degradation", "clean"]);
    inst.fill_inbox(&images(&gen));
    corrupt_files(&inst, 3);

    // The first request kills mailroom before it can read the answer.
    let mut run = inst.spawn_run(&[], "run-1.log");
    let pid = run.id() as i32;
    let killed = Arc::new(Mutex::new(None::<String>));
    let k = killed.clone();
    *rx.hook.lock().unwrap() = Some(Box::new(move |s: &Seen| {
        let mut k = k.lock().unwrap();
        if k.is_none() {
            // SAFETY: plain kill(2) of our own child.
            unsafe { libc_kill(pid, 9) };
            *k = Some(s.key.clone());
        }
    }));
    let stopped = wait_until(Duration::from_secs(120), || {
        killed.lock().unwrap().is_some()
    });
    assert!(stopped, "no delivery was attempted");
    run.wait().unwrap();
    *rx.hook.lock().unwrap() = None;
    let first_key = killed.lock().unwrap().clone().unwrap();

    inst.run_to_idle(Duration::from_secs(300));
    let rows = deliveries(&inst);
    let webhook: Vec<&serde_json::Value> = rows.iter().filter(|d| d["sink"] == "erp").collect();
    let docs = inst.documents();
    assert_eq!(docs.len(), 5);
    assert_eq!(webhook.len(), 5, "one event per document");
    assert!(
        webhook.iter().all(|d| d["state"] == "delivered"),
        "{rows:#?}"
    );

    // At least once: every key arrived; the killed one twice. Exactly once after
    // deduplication by key.
    let seen = rx.seen();
    let keys: Vec<String> = seen.iter().map(|s| s.key.clone()).collect();
    let unique: BTreeSet<&String> = keys.iter().collect();
    assert_eq!(unique.len(), 5);
    assert_eq!(
        keys.iter().filter(|k| **k == first_key).count(),
        2,
        "{keys:?}"
    );
    assert_eq!(keys.len(), 6);
    // Files: exactly one per posted document.
    let posted = docs.iter().filter(|d| d.1 == "auto_posted").count();
    assert_eq!(inst.outbox_files().len(), posted);
}

extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}
