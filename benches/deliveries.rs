//! Delivery throughput and delay, through the real outbox, dispatchers and sinks.
//!
//! `cargo bench --bench deliveries [-- N]` (or `scripts/bench deliveries N`):
//! 1. N documents are ingested and posted at once (each posting writes one webhook and
//!    one files delivery in its transaction), then the dispatchers start: deliveries
//!    per second for each sink, to a local HTTP receiver and to a folder.
//! 2. 300 documents are posted one every 20 ms while the dispatchers run: the delay
//!    from posting (the outbox row's creation) to delivery, p50 and p95, per sink.
//!
//! Under `cargo test --all-targets` it runs with N = 40 and 20 as a smoke test.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mailroom::config::sinks::Secret;
use mailroom::config::{RetryPolicy, SinkConfig, SinkKind};
use mailroom::sink::Dispatchers;
use mailroom::store::{Notice, State, Store};

fn receiver() -> String {
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let url = format!("http://{}/hook", server.server_addr().to_ip().unwrap());
    for _ in 0..4 {
        let s = server.clone();
        std::thread::spawn(move || {
            for mut req in s.incoming_requests() {
                let mut body = Vec::new();
                let _ = std::io::Read::read_to_end(req.as_reader(), &mut body);
                let _ = req.respond(tiny_http::Response::empty(204));
            }
        });
    }
    url
}

fn sinks(url: &str, dir: &std::path::Path) -> Vec<SinkConfig> {
    vec![
        SinkConfig {
            name: "webhook".into(),
            events: vec!["document.posted".into()],
            kind: SinkKind::Webhook {
                url: url.into(),
                secret: Secret::Inline("bench".into()),
                connect_timeout: Duration::from_secs(5),
                timeout: Duration::from_secs(30),
            },
            retry: RetryPolicy::default(),
        },
        SinkConfig {
            name: "files".into(),
            events: vec!["document.posted".into()],
            kind: SinkKind::Files {
                dir: dir.join("outbox"),
                include_original: false,
            },
            retry: RetryPolicy::default(),
        },
    ]
}

/// Ingest and post `n` documents, one every `pace` if given.
fn post(
    store: &Store,
    dir: &std::path::Path,
    n: usize,
    tag: &str,
    pace: Option<(Duration, &Dispatchers)>,
) {
    let payload = serde_json::json!({
        "id": "x", "schema_version": 1,
        "doc_type": {"value": "invoice", "confidence": 0.97, "reasons": []},
        "fields": {"invoice_number": {"value": "2024-118", "confidence": 0.99}, "total": {"value": "1543.13", "confidence": 0.99}},
        "decision": {"route": "auto_post", "reasons": []}
    })
    .to_string();
    let inbox = dir.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    for i in 0..n {
        let f = inbox.join(format!("{tag}-{i}.png"));
        std::fs::write(&f, format!("{tag} {i}")).unwrap();
        let id = store.ingest(&f).unwrap().id().to_string();
        std::fs::remove_file(&f).unwrap();
        store.claim_next().unwrap();
        let notice = Notice {
            event: "document.posted",
            sinks: vec!["webhook".into(), "files".into()],
            payload: &payload,
        };
        store
            .transition(
                &id,
                State::AutoPosted,
                "bench",
                Some(&payload),
                Some(&notice),
            )
            .unwrap();
        // As `mailroom run` does after each document: wake the dispatchers.
        if let Some((p, d)) = pace {
            d.ring();
            std::thread::sleep(p);
        }
    }
}

fn pending(store: &Store, sink: &str) -> i64 {
    store
        .delivery_counts()
        .unwrap()
        .into_iter()
        .filter(|(s, st, _)| s == sink && st == "pending")
        .map(|(_, _, n)| n)
        .sum()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let n: usize = std::env::args()
        .filter_map(|a| a.parse().ok())
        .next()
        .unwrap_or(if bench { 10_000 } else { 40 });
    let paced = if bench { 300 } else { 20 };

    let dir = tempfile::tempdir().unwrap();
    let store =
        Arc::new(Store::open(&dir.path().join("db.sqlite3"), &dir.path().join("blobs")).unwrap());
    let url = receiver();
    let cfg = sinks(&url, dir.path());

    // 1. A backlog of n posted documents, then the dispatchers.
    let t = Instant::now();
    post(&store, dir.path(), n, "bulk", None);
    let posting = t.elapsed();
    let stop = Arc::new(AtomicBool::new(false));
    let t = Instant::now();
    let dispatchers = Dispatchers::start(&store, &cfg, &stop).unwrap();
    let mut done: [Option<Duration>; 2] = [None, None];
    while done.iter().any(Option::is_none) {
        for (i, s) in ["webhook", "files"].iter().enumerate() {
            if done[i].is_none() && pending(&store, s) == 0 {
                done[i] = Some(t.elapsed());
            }
        }
        std::thread::sleep(Duration::from_millis(5));
        assert!(
            t.elapsed() < Duration::from_secs(3600),
            "deliveries did not finish"
        );
    }
    println!(
        "posted {n} documents in {:.1} s ({:.0}/s)",
        posting.as_secs_f64(),
        n as f64 / posting.as_secs_f64()
    );
    for (i, s) in ["webhook", "files"].iter().enumerate() {
        let d = done[i].unwrap().as_secs_f64();
        println!(
            "{s:<8} {n} deliveries in {d:6.2} s: {:7.0} deliveries/s (both sinks running at once)",
            n as f64 / d
        );
    }

    // 2. Steady posting while the dispatchers run: delay from posting to delivery.
    let before = store
        .deliveries(Some("delivered"), usize::MAX)
        .unwrap()
        .len();
    post(
        &store,
        dir.path(),
        paced,
        "paced",
        Some((Duration::from_millis(20), &dispatchers)),
    );
    while pending(&store, "webhook") + pending(&store, "files") > 0 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let all = store.deliveries(Some("delivered"), usize::MAX).unwrap();
    assert_eq!(all.len(), before + 2 * paced);
    for s in ["webhook", "files"] {
        let mut delays: Vec<f64> = all[before..]
            .iter()
            .filter(|d| d.sink == s)
            .map(|d| {
                let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap();
                (at(d.delivered_at.as_deref().unwrap()) - at(&d.created_at))
                    .num_microseconds()
                    .unwrap() as f64
                    / 1000.0
            })
            .collect();
        delays.sort_by(f64::total_cmp);
        println!(
            "{s:<8} delay from posting to delivery over {paced} documents posted every 20 ms: p50 {:.1} ms, p95 {:.1} ms",
            percentile(&delays, 0.5),
            percentile(&delays, 0.95)
        );
    }
    stop.store(true, Ordering::Relaxed);
    dispatchers.join();
    let files = std::fs::read_dir(dir.path().join("outbox"))
        .unwrap()
        .count();
    assert_eq!(files, n + paced, "one file per document");
}
