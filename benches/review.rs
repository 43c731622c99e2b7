//! Server-side time to open the next document and to approve it, with a full queue.
//!
//! `cargo bench --bench review [-- N]` (or `scripts/bench review N`): N documents (10,000
//! by default) wait in review; a signed-in reviewer then, 200 times, asks for the next
//! document (`GET /next`, then `GET /documents/{id}`: the lease, the fields, the page
//! words) and approves it with one corrected field (`POST .../approve`: parse, checks,
//! audit, posting with its delivery). Requests go through the real router in-process
//! (tower `oneshot`), so the figures are the server's, without a network.
//! Then (issue 18) the same ledger is served on a real socket (`web::serve`) and the
//! queue page and searches of every document (`GET /search?...`: a text in a field, a
//! state, and the worst cases: a free text, vendor, total or date range that nothing
//! or everything matches) are timed over HTTP, 20 times each.
//! Under `cargo test --all-targets` it runs with N = 60 and 20 requests as a smoke test.
//! `-- N postgres` keeps the ledger on PostgreSQL instead of SQLite: a throw-away
//! cluster (`scripts/pg-server`, durable defaults unless `FAST=1`), the queue filled by
//! four connections at once. `NO_SEARCH=1` stops before the searches over HTTP.
//! `REVIEWERS=R` (issue 15): R reviewers at once over HTTP, each 25 times opening the
//! queue page, the next document and approving it, first through one connection to the
//! ledger (a mutex), then (PostgreSQL) through a pool of `POOL` (default R) connections
//! on the same ledger, in the same run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use mailroom::config::Config;
use mailroom::document::SourceInfo;
use mailroom::store::review::PageInfo;
use mailroom::store::users::Role;
use mailroom::store::{State, Store};
use mailroom::text::Page;
use tower::ServiceExt;

/// A Danish invoice page whose total does not add up (so it waits for review), built
/// by the page builder the unit tests use; invoice number `number`.
fn page(number: &str) -> Page {
    let rows: &[(u32, &[(u32, &str)])] = &[
        (
            150,
            &[(150, "Nordlys Kontorartikler ApS"), (1500, "FAKTURA")],
        ),
        (210, &[(150, "Vestergade 12, 8000 Aarhus C")]),
        (
            400,
            &[(150, "Modtager:"), (1400, "Fakturanr.:"), (1900, number)],
        ),
        (
            460,
            &[
                (150, "Fjordside Tømrer A/S"),
                (1400, "Fakturadato:"),
                (1900, "14. marts 2024"),
            ],
        ),
        (520, &[(1400, "Forfaldsdato:"), (1900, "13.04.2024")]),
        (900, &[(1400, "Subtotal"), (1900, "1.234,50 kr.")]),
        (960, &[(1400, "Moms 25%"), (1900, "308,63 kr.")]),
        (1020, &[(1400, "I alt"), (1900, "1.643,13 kr.")]),
        (
            3200,
            &[(150, "IBAN DK50 0040 0440 1162 43"), (1200, "CVR 13585628")],
        ),
    ];
    mailroom::testing::page(rows)
}

/// One document into review as the pipeline would put it there: ingested, claimed,
/// analysed from its page, the page's words saved.
fn queue_one(store: &Store, cfg: &Config, inbox: &std::path::Path, i: usize) {
    let today = chrono::NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
    let p = page(&format!("2024-{i}"));
    let record = PageInfo::of(&p);
    let f = inbox.join(format!("scan-{i}.png"));
    std::fs::write(&f, format!("scan {i}")).unwrap();
    store.ingest(&f).unwrap();
    std::fs::remove_file(&f).unwrap();
    // The oldest waiting, which with several fillers need not be this one; a row
    // another filler is claiming is skipped (SKIP LOCKED), so ask again.
    let row = (0..1000)
        .find_map(|_| {
            let row = store.claim_next().unwrap();
            if row.is_none() {
                std::thread::sleep(Duration::from_millis(1));
            }
            row
        })
        .expect("a document to claim");
    let source = SourceInfo {
        name: row.name.clone(),
        sha256: String::new(),
        media_type: "image/png".into(),
        pages: 1,
        received_at: mailroom::store::now(),
        meta: Default::default(),
    };
    let doc = mailroom::pipeline::analyse(
        row.id.clone(),
        source,
        std::slice::from_ref(&p),
        cfg,
        today,
        &[],
    );
    assert_eq!(doc.decision.route, mailroom::document::Route::Review);
    store
        .save_pages(&row.id, std::slice::from_ref(&record))
        .unwrap();
    let json = serde_json::to_string(&doc).unwrap();
    store
        .transition(&row.id, State::InReview, "bench", Some(&json), None)
        .unwrap();
}

/// The documents in `state`, of the `n` there are.
fn in_state(store: &Store, state: State, n: usize) -> Vec<mailroom::store::DocumentRow> {
    let filter = mailroom::store::review::DocumentFilter {
        state: Some(state),
        ..Default::default()
    };
    // Every document (a usize::MAX would be a negative LIMIT on PostgreSQL).
    store.find_documents(&filter, 0, n).unwrap()
}

/// The web on `store` on a real socket of its own: its base URL, what stops it, and the
/// runtime it runs on (dropped last).
fn serve(
    store: &Arc<Store>,
    cfg: &Arc<Config>,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::runtime::Runtime,
) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = mailroom::web::AppState::new(store.clone(), cfg.clone(), Arc::new(|| {}));
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    server.spawn(mailroom::web::serve(listener, state, async {
        let _ = stopped.await;
    }));
    (base, stop, server)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let n: usize = std::env::args()
        .filter_map(|a| a.parse().ok())
        .next()
        .unwrap_or(if bench { 10_000 } else { 60 });
    let requests = if bench { 200 } else { 20 };

    let postgres = std::env::args().any(|a| a == "postgres");
    if postgres && std::env::var_os("FAST").is_none() {
        std::env::set_var("PG_DURABLE", "1");
    }
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = Config::defaults();
    cfg.var_dir = dir.path().join("var");
    let database = postgres.then(mailroom::testing::postgres::fresh_database);
    let open = || match &database {
        Some(url) => Store::open_postgres(
            url,
            mailroom::store::BlobStore::open(&cfg.blob_dir()).unwrap(),
        )
        .unwrap(),
        None => Store::open(&cfg.db_path(), &cfg.blob_dir()).unwrap(),
    };
    let store = Arc::new(open());
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let t = Instant::now();
    // SQLite has one writer: one filler. PostgreSQL: four, each with a connection.
    let fillers = if postgres { 4 } else { 1 };
    std::thread::scope(|scope| {
        for f in 0..fillers {
            let (cfg, inbox) = (&cfg, &inbox);
            let store = if f == 0 {
                store.clone()
            } else {
                Arc::new(open())
            };
            scope.spawn(move || {
                for i in (f..n).step_by(fillers) {
                    queue_one(&store, cfg, inbox, i);
                }
            });
        }
    });
    println!(
        "{n} documents queued in {:.1} s on {}",
        t.elapsed().as_secs_f64(),
        if postgres { "PostgreSQL" } else { "SQLite" }
    );

    store
        .set_user("ann", Role::Reviewer, "bench password")
        .unwrap();
    let secret = store
        .sign_in("ann", "bench password", 3_600_000)
        .unwrap()
        .unwrap();
    let csrf = store.session(&secret).unwrap().unwrap().csrf;
    let cookie = format!("mailroom_session={secret}");
    let cfg = Arc::new(cfg);
    let state = mailroom::web::AppState::new(store.clone(), cfg.clone(), Arc::new(|| {}));
    let app = mailroom::web::router(state);

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (mut open, mut approve, mut queue) = (Vec::new(), Vec::new(), Vec::new());
    rt.block_on(async {
        for _ in 0..requests {
            let t = Instant::now();
            let req = Request::get("/")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap();
            let resp = app.clone().oneshot(req).await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
            let _ = axum::body::to_bytes(resp.into_body(), 1 << 24)
                .await
                .unwrap();
            queue.push(t.elapsed());

            let t = Instant::now();
            let req = Request::get("/next")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap();
            let resp = app.clone().oneshot(req).await.unwrap();
            assert_eq!(resp.status(), StatusCode::SEE_OTHER);
            let location = resp.headers()[header::LOCATION]
                .to_str()
                .unwrap()
                .to_string();
            let req = Request::get(&location)
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap();
            let resp = app.clone().oneshot(req).await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
            let _ = axum::body::to_bytes(resp.into_body(), 1 << 24)
                .await
                .unwrap();
            open.push(t.elapsed());

            let t = Instant::now();
            let body = format!("csrf={csrf}&f.total=1543.13");
            let req = Request::post(format!("{location}/approve"))
                .header(header::COOKIE, &cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap();
            let resp = app.clone().oneshot(req).await.unwrap();
            assert_eq!(resp.status(), StatusCode::SEE_OTHER, "approve {location}");
            approve.push(t.elapsed());
        }
    });
    let ms = |v: &mut Vec<Duration>| {
        let mut x: Vec<f64> = v.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        x.sort_by(f64::total_cmp);
        (percentile(&x, 0.5), percentile(&x, 0.95))
    };
    let (o50, o95) = ms(&mut open);
    let (a50, a95) = ms(&mut approve);
    let (q50, q95) = ms(&mut queue);
    println!(
        "the queue page (GET /, first 50 of {n}, counts by type): p50 {q50:.1} ms, p95 {q95:.1} ms"
    );
    println!("open the next document (GET /next + GET /documents/{{id}}), {requests} times with {n} in review: p50 {o50:.1} ms, p95 {o95:.1} ms");
    println!("approve with one corrected field (POST /documents/{{id}}/approve), {requests} times: p50 {a50:.1} ms, p95 {a95:.1} ms");
    let posted = in_state(&store, State::Posted, n);
    assert_eq!(posted.len(), requests, "each approval posted one document");

    // REVIEWERS=8: that many reviewers at once over HTTP (issue 15: the web process's
    // connections to the ledger); two in the smoke run.
    let clients = std::env::var("REVIEWERS").ok().and_then(|v| v.parse().ok());
    // Documents posted so far: the approvals above and the reviewers'.
    let mut posted = requests;
    if let Some(clients) = clients.or((!bench).then_some(2)) {
        let rounds = if bench { 25 } else { 2 };
        // The same ledger through one connection (a mutex: one request at a time) and
        // through a pool (PostgreSQL only: SQLite keeps one).
        let mut stores = vec![("one connection".to_string(), store.clone())];
        if let Some(url) = &database {
            let pooled = std::env::var("POOL")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(clients as u32);
            let blobs = mailroom::store::BlobStore::open(&cfg.blob_dir()).unwrap();
            stores.push((
                format!("a pool of {pooled} connections"),
                Arc::new(Store::open_postgres_with(url, blobs, pooled).unwrap()),
            ));
        }
        for (what, store) in stores {
            let t = reviewers(&store, &cfg, n, clients, rounds);
            posted += clients * rounds;
            println!("{clients} reviewers at once over HTTP, {what}, {rounds} documents each: {t}");
        }
    }

    // NO_SEARCH=1: the figures above only (a large queue's searches take minutes).
    if std::env::var_os("NO_SEARCH").is_some() {
        return;
    }
    // Over HTTP: the queue page and searches of every document, on a real socket.
    let (base, stop, _server) = serve(&store, &cfg);
    let agent = ureq::AgentBuilder::new().build();
    let timed = |path: &str, times: usize| -> (f64, f64, String) {
        let mut x = Vec::new();
        let mut body = String::new();
        for _ in 0..times {
            let t = Instant::now();
            let resp = agent
                .get(&format!("{base}{path}"))
                .set("Cookie", &cookie)
                .call()
                .unwrap_or_else(|e| panic!("GET {path}: {e}"));
            body = resp.into_string().unwrap();
            x.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        x.sort_by(f64::total_cmp);
        (percentile(&x, 0.5), percentile(&x, 0.95), body)
    };
    let times = if bench || n >= 1000 { 20 } else { 5 };
    let last = n - 1;
    for (what, path, expect) in [
        ("the queue page", "/".to_string(), None),
        (
            "search by invoice number (one of N)",
            format!("/search?q=2024-{last}"),
            Some(1),
        ),
        (
            "search posted documents",
            "/search?state=posted".to_string(),
            Some(posted.min(50)),
        ),
        (
            "search by a total nothing has (every document read)",
            "/search?amount_min=999999".to_string(),
            Some(0),
        ),
        (
            "search by a total range and text",
            "/search?q=nordlys&amount_min=1000&amount_max=2000".to_string(),
            Some(n.min(50)),
        ),
        (
            "free text that every document has",
            "/search?q=nordlys".to_string(),
            Some(n.min(50)),
        ),
        (
            "free text that nothing has",
            "/search?q=lyngholm".to_string(),
            Some(0),
        ),
        (
            "free text with a non-ASCII letter that nothing has",
            "/search?q=%C3%B8sterlund".to_string(),
            Some(0),
        ),
        (
            "a vendor nothing has",
            "/search?vendor=lyngholm".to_string(),
            Some(0),
        ),
        (
            "a date range nothing is in",
            "/search?date_from=2030-01-01&date_to=2030-12-31".to_string(),
            Some(0),
        ),
    ] {
        let (p50, p95, body) = timed(&path, times);
        if let Some(rows) = expect {
            assert_eq!(
                body.matches("<tr tabindex=\"0\"").count(),
                rows,
                "{what}: {path}"
            );
        }
        println!(
            "over HTTP, {what} (GET {path}) with {n} documents: p50 {p50:.1} ms, p95 {p95:.1} ms"
        );
    }
    let _ = stop.send(());
}

/// `clients` reviewers, each signed in as a user of their own, at once over HTTP on a
/// real socket (`web::serve` on `store`): each, `rounds` times, opens the queue page,
/// asks for the next document in a part of the queue of their own (`/next?after=`:
/// no two reviewers open the same document), opens it and approves it with one
/// corrected field. Returns the p50 and p95 of each request kind and the approvals per
/// second.
fn reviewers(
    store: &Arc<Store>,
    cfg: &Arc<Config>,
    n: usize,
    clients: usize,
    rounds: usize,
) -> String {
    let (base, stop, _server) = serve(store, cfg);
    let seqs = in_state(store, State::InReview, n);
    assert!(seqs.len() >= clients * rounds, "{} in review", seqs.len());
    let sessions: Vec<(String, String, i64)> = (0..clients)
        .map(|k| {
            let user = format!("reviewer{k}-{}", ulid::Ulid::new());
            store
                .set_user(&user, Role::Reviewer, "bench password")
                .unwrap();
            let secret = store
                .sign_in(&user, "bench password", 3_600_000)
                .unwrap()
                .unwrap();
            let csrf = store.session(&secret).unwrap().unwrap().csrf;
            // Just before the k-th part of what waits.
            let from = seqs[k * seqs.len() / clients].seq - 1;
            (format!("mailroom_session={secret}"), csrf, from)
        })
        .collect();
    let t = Instant::now();
    let timings: Vec<[Vec<f64>; 3]> = std::thread::scope(|scope| {
        let handles: Vec<_> = sessions
            .iter()
            .map(|(cookie, csrf, from)| {
                let base = &base;
                scope.spawn(move || {
                    let agent = ureq::AgentBuilder::new().redirects(0).build();
                    let get = |path: &str| {
                        agent
                            .get(&format!("{base}{path}"))
                            .set("Cookie", cookie)
                            .call()
                            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
                    };
                    let mut kinds: [Vec<f64>; 3] = Default::default();
                    for _ in 0..rounds {
                        let t = Instant::now();
                        let page = get("/").into_string().unwrap();
                        assert!(page.contains("<tr"), "the queue page");
                        kinds[0].push(t.elapsed().as_secs_f64() * 1000.0);

                        let t = Instant::now();
                        let next = get(&format!("/next?after={from}"));
                        assert_eq!(next.status(), 303);
                        let location = next.header("Location").unwrap().to_string();
                        let page = get(&location);
                        assert_eq!(page.status(), 200, "{location}");
                        let _ = page.into_string().unwrap();
                        kinds[1].push(t.elapsed().as_secs_f64() * 1000.0);

                        let t = Instant::now();
                        let resp = agent
                            .post(&format!("{base}{location}/approve"))
                            .set("Cookie", cookie)
                            .set("Content-Type", "application/x-www-form-urlencoded")
                            .send_string(&format!("csrf={csrf}&f.total=1543.13"))
                            .unwrap_or_else(|e| panic!("approve {location}: {e}"));
                        assert_eq!(resp.status(), 303, "approve {location}");
                        kinds[2].push(t.elapsed().as_secs_f64() * 1000.0);
                    }
                    kinds
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let wall = t.elapsed().as_secs_f64();
    let _ = stop.send(());
    let figure = |k: usize| {
        let mut x: Vec<f64> = timings.iter().flat_map(|t| t[k].iter().copied()).collect();
        x.sort_by(f64::total_cmp);
        format!(
            "p50 {:.1} ms, p95 {:.1} ms",
            percentile(&x, 0.5),
            percentile(&x, 0.95)
        )
    };
    format!(
        "queue page {}; next + document page {}; approve {}; {:.1} approvals/s",
        figure(0),
        figure(1),
        figure(2),
        (clients * rounds) as f64 / wall
    )
}
