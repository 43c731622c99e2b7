//! `mailroom run`: the folder source, the ledger, the OCR workers and the files sink,
//! wired together.
//!
//! Workers are plain threads, each owning one Tesseract engine for its whole life. They
//! take work from the ledger (the oldest `received` document), not from an in-memory
//! queue: 10,000 files dropped at once wait as rows and blobs on disk, and memory stays
//! flat. The tokio side watches the folder and ingests.
//!
//! A run does every part ([`Role`]) unless `--only` names some: on a PostgreSQL ledger
//! one machine can take files in and serve the web while others read and deliver,
//! since every part that takes work takes it from the ledger with a lease.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::config::sinks::{subscribers, NEEDS_REVIEW, POSTED, QUARANTINED};
use crate::config::{AfterIngest, Config};
use crate::document::input::{Input, Kind};
use crate::document::{Route, SourceMeta};
use crate::doorbell::Doorbell;
use crate::sink::Dispatchers;
use crate::source::mailbox::MailPosition;
use crate::store::review::{PageInfo, PageWord};
use crate::store::{DocumentRow, Ingested, Notice, State, Store, StoreError};
use crate::{pipeline, source};

/// Files ingested per watcher tick (200 ms).
const INTAKE_BATCH: usize = 32;

pub struct Options {
    /// Exit once the inbox is empty and every document reached a final state.
    pub exit_when_idle: bool,
    /// The parts this run does.
    pub roles: Roles,
}

/// One part of `mailroom run`, as `--only` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// The inbox folder and the IMAP mailboxes: files and messages into the ledger.
    Intake,
    /// The OCR workers: claim received documents, read them, decide, take back the
    /// documents of a run that died.
    Workers,
    /// The sinks' dispatchers: send the outbox's deliveries.
    Dispatch,
    /// The review UI and the REST API on `[web]`'s port.
    Web,
}

/// The parts one run does: every one by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Roles {
    pub intake: bool,
    pub workers: bool,
    pub dispatch: bool,
    pub web: bool,
}

impl Default for Roles {
    fn default() -> Roles {
        Roles::all()
    }
}

impl Roles {
    pub fn all() -> Roles {
        Roles {
            intake: true,
            workers: true,
            dispatch: true,
            web: true,
        }
    }

    /// The roles `--only` names; all of them when it names none.
    pub fn only(names: &[Role]) -> Roles {
        if names.is_empty() {
            return Roles::all();
        }
        let has = |r| names.contains(&r);
        Roles {
            intake: has(Role::Intake),
            workers: has(Role::Workers),
            dispatch: has(Role::Dispatch),
            web: has(Role::Web),
        }
    }

    fn names(&self) -> String {
        [
            (self.intake, "intake"),
            (self.workers, "workers"),
            (self.dispatch, "dispatch"),
            (self.web, "web"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join(",")
    }

    /// Is anything left in the ledger for these parts: documents for the workers,
    /// deliveries for the dispatchers (`--exit-when-idle`; an intake's own work is
    /// its inbox, which the caller looks at).
    fn work_left(&self, store: &Store) -> Result<bool, StoreError> {
        let (documents, deliveries) = store.work_left()?;
        Ok(self.workers && documents || self.dispatch && deliveries)
    }

    /// Refuse a choice of parts that cannot work on this configuration, before
    /// anything is opened.
    pub fn check(&self, cfg: &Config) -> Result<(), String> {
        if *self == Roles::all() {
            return Ok(());
        }
        let only = self.names();
        if !matches!(cfg.ledger(), crate::config::database::Database::Postgres(_)) {
            // One run holds a SQLite ledger (the lock in var), so the parts left out
            // could run nowhere; and a SQLite run takes back every document left in
            // `processing` at start, which is only right when no other run reads.
            return Err(format!(
                "--only {only} needs a PostgreSQL ledger ([database] url): a SQLite ledger is held by one \
                 `mailroom run`, which must then do every part (run it without --only; \
                 `mailroom serve` may answer beside it)"
            ));
        }
        if self.web && !cfg.web.enabled {
            return Err(format!(
                "--only {only} names web, but [web] enabled = false in the configuration"
            ));
        }
        if self.dispatch && cfg.sinks.is_empty() {
            return Err(format!(
                "--only {only} names dispatch, but no [[sinks]] are configured: there is nothing to deliver"
            ));
        }
        Ok(())
    }
}

pub fn run(cfg: Config, opts: Options) -> anyhow::Result<()> {
    let roles = opts.roles;
    roles.check(&cfg).map_err(anyhow::Error::msg)?;
    // Before anything is recovered, claimed or bound: a second run on the same ledger
    // is refused here, with the first run's documents untouched.
    // On SQLite the lock is a file beside the ledger. On PostgreSQL any number of runs
    // share the ledger: documents and sinks are claimed with leases that this run
    // renews (below) and that others take over once it is gone.
    let _lock = match &cfg.ledger() {
        crate::config::database::Database::Sqlite(db) => {
            Some(crate::store::lock::RunLock::acquire(
                db.parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(&cfg.var_dir),
            )?)
        }
        // PostgreSQL (ledger() resolves the default to a file).
        _ => None,
    };
    // The port next, so that a port in use is refused before any work starts.
    let listener = if roles.web && cfg.web.enabled {
        Some(crate::web::bind(&cfg)?)
    } else {
        None
    };
    if roles.intake {
        std::fs::create_dir_all(&cfg.inbox)
            .with_context(|| format!("creating inbox {}", cfg.inbox.display()))?;
    }
    let store = Arc::new(Store::open_config(&cfg)?);
    if roles != Roles::all() {
        tracing::info!(roles = %roles.names(), "running only these parts");
    }
    // Taking documents back is the workers' part: a run without workers claims
    // nothing, not even another run's abandoned work. On PostgreSQL only documents
    // whose lease ran out are taken back, so a worker that starts beside live ones
    // leaves their documents alone.
    if roles.workers {
        let (resumed, spent) = store.recover(MAX_ATTEMPTS)?;
        if resumed > 0 {
            tracing::info!(
                count = resumed,
                "resumed documents left in processing by a previous run"
            );
        }
        for (id, attempts) in spent {
            let reason = interrupted(attempts);
            tracing::error!(document_id = %id, reason = %reason, "quarantined");
            quarantine(&cfg, &store, &store.get(&id)?, &reason)?;
        }
    }
    let cfg = Arc::new(cfg);
    let stop = Arc::new(AtomicBool::new(false));
    let claims = if roles.workers || roles.dispatch {
        keep_claims(&cfg, &store, &stop, roles.workers)?
    } else {
        None
    };
    // Deliveries left pending by a previous run go out as soon as the sinks start.
    let sinks: &[crate::config::sinks::SinkConfig] = if roles.dispatch { &cfg.sinks } else { &[] };
    let dispatchers = Arc::new(Dispatchers::start(&store, sinks, &stop)?);
    let bell = Arc::new(Doorbell::default());
    let busy_workers = Arc::new(AtomicUsize::new(0));

    // Start every engine before taking any work: a missing language pack is an error
    // at start-up, not a quarantine of every document.
    let page_times = Arc::new(crate::web::metrics::PageTimes::default());
    let engines = pipeline::engines(&cfg, if roles.workers { cfg.workers } else { 0 })?;
    let mut handles = Vec::new();
    for (n, mut engine) in engines.into_iter().enumerate() {
        let (cfg, store, stop, bell, busy, dispatchers, times) = (
            cfg.clone(),
            store.clone(),
            stop.clone(),
            bell.clone(),
            busy_workers.clone(),
            dispatchers.clone(),
            page_times.clone(),
        );
        handles.push(
            std::thread::Builder::new()
                .name(format!("ocr-{n}"))
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        busy.fetch_add(1, Ordering::SeqCst);
                        let claimed = store.claim_next();
                        let worked = match claimed {
                            Ok(Some(row)) => {
                                if let Err(e) = process(&cfg, &store, &mut engine, &row, &times) {
                                    tracing::error!(document_id = %row.id, error = %e, "cannot record result");
                                }
                                dispatchers.ring();
                                true
                            }
                            Ok(None) => false,
                            Err(e) => {
                                tracing::error!(error = %e, "cannot claim work");
                                false
                            }
                        };
                        busy.fetch_sub(1, Ordering::SeqCst);
                        if !worked {
                            bell.wait(Duration::from_millis(500));
                        }
                    }
                })?,
        );
    }

    // Mailboxes: one reader thread each, feeding the same ledger as the inbox.
    let mut readers = Vec::new();
    for m in cfg.mailboxes.iter().filter(|_| roles.intake) {
        let imap = m.resolve()?;
        let ledger = Arc::new(MailLedger {
            store: store.clone(),
            bell: bell.clone(),
        });
        readers.push(source::mailbox::start(
            imap,
            m.poll_interval,
            ledger,
            stop.clone(),
        )?);
    }
    let mail_caught_up: Vec<Arc<AtomicBool>> =
        readers.iter().map(|r| r.caught_up.clone()).collect();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let (quit_web, web_quit) = tokio::sync::oneshot::channel::<()>();
    let web = if let Some(listener) = listener {
        let d = dispatchers.clone();
        let mut state =
            crate::web::AppState::new(store.clone(), cfg.clone(), Arc::new(move || d.ring()));
        state.page_times = page_times.clone();
        Some(rt.spawn(crate::web::serve(listener, state, async move {
            let _ = web_quit.await;
        })))
    } else {
        None
    };
    let result = if roles.intake {
        rt.block_on(watch_loop(
            cfg.clone(),
            store.clone(),
            bell.clone(),
            busy_workers.clone(),
            mail_caught_up,
            opts,
        ))
    } else {
        rt.block_on(wait_loop(store.clone(), busy_workers.clone(), opts))
    };
    let _ = quit_web.send(());
    if let Some(w) = web {
        if let Ok(Err(e)) = rt.block_on(w) {
            tracing::error!(error = %e, "web server failed");
        }
    }
    stop.store(true, Ordering::Relaxed);
    bell.ring();
    for h in handles {
        let _ = h.join();
    }
    for r in readers {
        let _ = r.handle.join();
    }
    if let Some(c) = claims {
        let _ = c.join();
    }
    if let Ok(d) = Arc::try_unwrap(dispatchers) {
        d.join();
    }
    if let Err(e) = store.release_claims() {
        tracing::warn!(error = %e, "cannot release this run's sink leases; others wait for them to run out");
    }
    result
}

/// `mailroom serve`: the web API alone, on the ledger a `mailroom run` works on.
/// Deliveries that approvals write are sent by that running service.
pub fn serve(cfg: Config) -> anyhow::Result<()> {
    let store = Arc::new(Store::open_config(&cfg)?);
    let cfg = Arc::new(cfg);
    let listener = crate::web::bind(&cfg)?;
    let state = crate::web::AppState::new(store, cfg, Arc::new(|| {}));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(crate::web::serve(listener, state, async {
        let signal = shutdown_signal().await;
        tracing::info!(%signal, "stopping");
    }))
}

/// Ctrl-C, or SIGTERM (what systemd, Docker and Kubernetes send to stop a service):
/// which one came.
pub async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "interrupt",
                _ = term.recv() => "terminate",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "interrupt"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "interrupt"
    }
}

async fn watch_loop(
    cfg: Arc<Config>,
    store: Arc<Store>,
    bell: Arc<Doorbell>,
    busy_workers: Arc<AtomicUsize>,
    mail_caught_up: Vec<Arc<AtomicBool>>,
    opts: Options,
) -> anyhow::Result<()> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _watcher = source::watch(&cfg.inbox, &cfg.watch, tx)
        .with_context(|| format!("watching {}", cfg.inbox.display()))?;
    let mut stability = source::Stability::default();
    let dirs = source::watched_dirs(&cfg.inbox, &cfg.watch);
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let mut rescan = tokio::time::interval(cfg.watch.rescan_interval);
    let config = cfg
        .source_path
        .as_ref()
        .map_or("embedded defaults".to_string(), |p| p.display().to_string());
    tracing::info!(inbox = %cfg.inbox.display(), workers = cfg.workers, %config, "watching");
    // Listened for once, for the whole loop: a signal between two turns is not lost.
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            signal = &mut shutdown => {
                tracing::info!(%signal, "stopping: no new work; documents being read are finished");
                return Ok(());
            }
            Some(path) = rx.recv() => {
                let watched = path.parent().is_some_and(|p| dirs.iter().any(|d| d == p));
                if watched && !source::ignored(&path, &cfg.watch.ignore) {
                    stability.observe(path, Instant::now());
                }
            }
            _ = rescan.tick() => {
                match source::scan(&dirs, &cfg.watch.ignore) {
                    Ok(paths) => for p in paths { stability.observe(p, Instant::now()) },
                    Err(e) => tracing::warn!(error = %e, "inbox rescan failed"),
                }
            }
            _ = tick.tick() => {
                // A bounded batch per tick: a flood of files must not keep the loop from
                // noticing ctrl-c or new events.
                let ready = stability.ready(Instant::now(), cfg.watch.stable_for, INTAKE_BATCH);
                for path in ready {
                    let (cfg, store, file) = (cfg.clone(), store.clone(), path.clone());
                    let res = tokio::task::spawn_blocking(move || intake(&cfg, &store, &file)).await?;
                    match res {
                        // Another run watching the same (shared) inbox took it in.
                        Err(e) if !path.exists() => {
                            tracing::info!(file = %path.display(), reason = %e, "left the inbox while being taken in (another run took it)")
                        }
                        Err(e) => tracing::warn!(error = %e, "ingest failed; the file stays in the inbox and is retried"),
                        Ok(()) => {}
                    }
                    bell.ring();
                }
                let mail_idle = mail_caught_up.iter().all(|c| c.load(Ordering::SeqCst));
                if opts.exit_when_idle && mail_idle && stability.is_empty() && busy_workers.load(Ordering::SeqCst) == 0 {
                    let inbox_empty = source::scan(&dirs, &cfg.watch.ignore).map(|p| p.is_empty()).unwrap_or(false);
                    if inbox_empty && !opts.roles.work_left(&store)? {
                        return Ok(());
                    }
                    if !inbox_empty {
                        // Files may predate the watcher; make sure they are tracked.
                        for p in source::scan(&dirs, &cfg.watch.ignore)? { stability.observe(p, Instant::now()) }
                    }
                }
            }
        }
    }
}

/// A run without intake: nothing to watch, only the signal to stop, or with
/// `--exit-when-idle` a ledger with nothing left to read or deliver.
async fn wait_loop(
    store: Arc<Store>,
    busy_workers: Arc<AtomicUsize>,
    opts: Options,
) -> anyhow::Result<()> {
    tracing::info!(roles = %opts.roles.names(), "running");
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            signal = &mut shutdown => {
                tracing::info!(%signal, "stopping: no new work; documents being read are finished");
                return Ok(());
            }
            _ = tick.tick() => {
                if opts.exit_when_idle && busy_workers.load(Ordering::SeqCst) == 0 {
                    let (s, roles) = (store.clone(), opts.roles);
                    if !tokio::task::spawn_blocking(move || roles.work_left(&s)).await?? {
                        return Ok(());
                    }
                }
            }
        }
    }
}

/// Ledger first, then move: the inbox file leaves only once it is durable.
fn intake(cfg: &Config, store: &Store, path: &PathBuf) -> anyhow::Result<()> {
    let ingested = store.ingest_as(path, &source::inbox_name(&cfg.inbox, path))?;
    match &ingested {
        Ingested::New { id } => {
            tracing::info!(document_id = %id, file = %path.display(), "received")
        }
        Ingested::Duplicate { id, of } => {
            tracing::info!(document_id = %id, duplicate_of = %of, "duplicate")
        }
        Ingested::Resumed { id } => {
            tracing::info!(document_id = %id, "completing an interrupted intake")
        }
    }
    match cfg.after_ingest {
        AfterIngest::Archive => {
            source::archive(path, &cfg.archive, ingested.id())?;
        }
        AfterIngest::Delete => std::fs::remove_file(path)?,
    }
    store.intake_done(ingested.id())?;
    Ok(())
}

/// The mailbox readers' ledger: a message and its position go into the store in one
/// transaction (the reader tells the server only after that), and each new document
/// wakes the workers.
struct MailLedger {
    store: Arc<Store>,
    bell: Arc<Doorbell>,
}

impl source::mailbox::Ledger for MailLedger {
    type Error = StoreError;

    fn position(
        &self,
        mailbox: &str,
        folder: &str,
        uid_validity: u32,
    ) -> Result<(Vec<u32>, u32), StoreError> {
        // Each pass starts here: a mailbox another run reads is left to it.
        if !self.store.hold_mailbox(mailbox)? {
            return Err(StoreError::Invalid(format!(
                "mailbox {mailbox} is read by another mailroom run on this ledger; this one waits"
            )));
        }
        self.store.mail_position(mailbox, folder, uid_validity)
    }

    fn record(&self, at: &MailPosition, data: &[u8]) -> Result<(), StoreError> {
        let uid = at.uid;
        match self.store.record_mail(at, data)? {
            Ingested::New { id } | Ingested::Resumed { id } => {
                tracing::info!(document_id = %id, mailbox = %at.mailbox, uid, "received")
            }
            Ingested::Duplicate { id, of } => {
                tracing::info!(document_id = %id, duplicate_of = %of, mailbox = %at.mailbox, uid, "duplicate")
            }
        }
        self.bell.ring();
        Ok(())
    }

    fn acted(&self, at: &MailPosition) -> Result<(), StoreError> {
        self.store.mail_acted(at)
    }
}

/// How many times a document may be picked up and interrupted (the process killed,
/// crashed or stopped mid-read) before it is quarantined instead of taken again.
const MAX_ATTEMPTS: i64 = 3;

/// Why a document picked up `attempts` times without an end is set aside.
fn interrupted(attempts: i64) -> String {
    format!(
        "interrupted {attempts} times while being read (the process stopped or crashed each time); \
         set aside so that it cannot stop the queue again"
    )
}

/// Quarantine with a reason, telling the sinks that subscribe to quarantines.
fn quarantine(cfg: &Config, store: &Store, row: &DocumentRow, reason: &str) -> anyhow::Result<()> {
    let payload = serde_json::json!({
        "event": QUARANTINED,
        "id": row.id,
        "source": { "name": row.name, "sha256": row.sha256, "received_at": row.received_at },
        "state": State::Quarantined.as_str(),
        "reason": reason,
    })
    .to_string();
    let notice = Notice {
        event: QUARANTINED,
        sinks: subscribers(cfg, QUARANTINED),
        payload: &payload,
    };
    store.transition(&row.id, State::Quarantined, reason, None, Some(&notice))?;
    Ok(())
}

/// On PostgreSQL: renew this run's claims (documents and sinks) well within their
/// lease, and, when this run has workers (`take_back`), take back the documents of
/// runs that stopped renewing theirs (a worker killed mid-document), quarantining
/// those interrupted too often, as a start-up does. Nothing on SQLite, where one run
/// holds the ledger and recovers at start.
fn keep_claims(
    cfg: &Arc<Config>,
    store: &Arc<Store>,
    stop: &Arc<AtomicBool>,
    take_back: bool,
) -> anyhow::Result<Option<std::thread::JoinHandle<()>>> {
    if store.backend() == crate::store::db::Backend::Sqlite {
        return Ok(None);
    }
    let (cfg, store, stop) = (cfg.clone(), store.clone(), stop.clone());
    let every = store.renew_every();
    Ok(Some(std::thread::Builder::new().name("claims".into()).spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            if let Err(e) = store.renew_claims() {
                tracing::error!(error = %e, "cannot renew this run's claims");
            }
            let recovered = if take_back {
                store.recover(MAX_ATTEMPTS)
            } else {
                Ok((0, Vec::new()))
            };
            match recovered {
                Ok((resumed, spent)) => {
                    if resumed > 0 {
                        tracing::info!(count = resumed, "took back documents of a run that stopped");
                    }
                    for (id, attempts) in spent {
                        let reason = interrupted(attempts);
                        let r = store.get(&id).map_err(anyhow::Error::from).and_then(|row| quarantine(&cfg, &store, &row, &reason));
                        if let Err(e) = r {
                            tracing::error!(document_id = %id, error = %e, "cannot quarantine");
                        }
                    }
                }
                Err(e) => tracing::error!(error = %e, "cannot look for abandoned documents"),
            }
            let t = std::time::Instant::now();
            while t.elapsed() < every && !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100).min(every));
            }
        }
    })?))
}

/// Read, analyse and record one document; every outcome ends in a final state.
fn process(
    cfg: &Config,
    store: &Store,
    engine: &mut dyn crate::text::OcrEngine,
    row: &DocumentRow,
    times: &crate::web::metrics::PageTimes,
) -> anyhow::Result<()> {
    if row.size > cfg.limits.max_file_bytes {
        let reason = format!(
            "file is {} bytes, above the limit of {} (limits.max_file_mb)",
            row.size, cfg.limits.max_file_bytes
        );
        return quarantine(cfg, store, row, &reason);
    }
    // The bytes with what the ledger recorded of them, sniffed once here.
    let input = match store.blobs.read(&row.sha256) {
        Ok(data) => Input::new(
            row.id.clone(),
            row.name.clone(),
            row.received_at.clone(),
            row.sha256.clone(),
            data,
        ),
        Err(e) => {
            // Retrying cannot bring the bytes back: a person must look.
            let reason =
                format!("stored bytes cannot be read ({e}); the original is in the archive");
            tracing::error!(document_id = %row.id, reason = %reason, "quarantined");
            return quarantine(cfg, store, row, &reason);
        }
    };
    // Master data and what approvals taught, as they are now: read per document, so
    // an approval or an import counts from the next document on, in every worker.
    let book = store.vendors()?;
    // The date the checks judge by (a due date passed, an invoice date ahead).
    let today = chrono::Utc::now().date_naive();
    if input.kind == Kind::Email {
        return unpack_email(cfg, store, row, &input, &book, today);
    }
    // Every stage runs under the panic guard: a bug on one document quarantines that
    // document instead of killing the worker and leaving it in `processing`.
    let started = Instant::now();
    let outcome = pipeline::guard(|| pipeline::read_and_analyse(engine, &input, cfg, &book, today));
    let mut doc = match outcome {
        Ok(Ok((doc, pages))) => {
            // OCR seconds per page for `/metrics`: documents read by OCR throughout.
            if pages
                .iter()
                .all(|p| p.origin == crate::document::Origin::Ocr)
            {
                times.observe_document(started.elapsed().as_secs_f64(), pages.len());
            }
            let info: Vec<(PageInfo, Vec<PageWord>)> = pages.iter().map(PageInfo::of).collect();
            store.save_pages(&row.id, &info)?;
            doc
        }
        Ok(Err(e)) => {
            tracing::warn!(document_id = %row.id, reason = %e, "quarantined");
            return quarantine(cfg, store, row, &e.to_string());
        }
        Err(panic) => {
            let reason = format!("internal error while reading the file: {panic}");
            tracing::error!(document_id = %row.id, reason = %reason, "quarantined");
            return quarantine(cfg, store, row, &reason);
        }
    };
    // An attachment carries the email (and mailbox) it came in.
    doc.source.meta = SourceMeta::from_ledger(row.source_meta.as_deref());
    record(cfg, store, row, &doc)
}

/// The typed document's final state: posted, or in review with its reasons. An
/// invoice that is the same as one already posted or in review
/// ([`validate::duplicate`](crate::validate::duplicate)) is held for review naming it,
/// never posted twice: the search and the post are one transaction.
fn record(
    cfg: &Config,
    store: &Store,
    row: &DocumentRow,
    doc: &crate::document::TypedDocument,
) -> anyhow::Result<()> {
    use crate::validate::duplicate;
    let dt = cfg.doctype(&doc.doc_type.value);
    // Only types that number their documents: two coffees on one day are two receipts.
    let key = dt
        .filter(|dt| dt.fields.iter().any(|f| f.name == "invoice_number"))
        .and_then(|_| duplicate::Key::of(&doc.fields));
    let same = |json: &str| {
        let key = key.as_ref()?;
        duplicate::Key::of_json(json).and_then(|other| key.same(&other))
    };
    let (number, total) = key
        .as_ref()
        .map_or((None, None), |k| (k.number.as_deref(), k.total.as_deref()));
    let json = serde_json::to_string(doc)?;
    let mut held: Option<(String, String, String)> = None;
    if doc.decision.route == Route::AutoPost {
        let notice = Notice {
            event: POSTED,
            sinks: subscribers(cfg, POSTED),
            payload: &json,
        };
        let change = crate::store::Change {
            id: &row.id,
            expect: None,
            to: State::AutoPosted,
            reason: "all checks passed and every field above its threshold",
            result: Some(&json),
            notice: Some(&notice),
            actor: None,
        };
        held = if key.is_some() {
            store.change_unless_same(&row.id, number, total, &same, Some(&change))?
        } else {
            store.change(&change)?;
            None
        };
        if held.is_none() {
            tracing::info!(document_id = %row.id, "auto-posted");
            return Ok(());
        }
    } else if key.is_some() {
        held = store.change_unless_same(&row.id, number, total, &same, None)?;
    }
    let mut doc = doc.clone();
    if let Some((earlier, state, by)) = &held {
        doc.checks.push(duplicate::check(by, earlier, state));
        doc.decision = crate::route::route(&doc.doc_type, dt, &doc.fields, &doc.checks);
        tracing::warn!(document_id = %row.id, earlier = %earlier, "the same invoice as an earlier document");
    }
    let json = serde_json::to_string(&doc)?;
    let reason = doc.decision.reasons.join("; ");
    let notice = Notice {
        event: NEEDS_REVIEW,
        sinks: subscribers(cfg, NEEDS_REVIEW),
        payload: &json,
    };
    store.transition(
        &row.id,
        State::InReview,
        &reason,
        Some(&json),
        Some(&notice),
    )?;
    tracing::info!(document_id = %row.id, reasons = %reason, "in review");
    Ok(())
}

/// An email becomes its documents (each a ledger document of its own, linked to it),
/// or its body is read as the document, or it is quarantined with the reason.
fn unpack_email(
    cfg: &Config,
    store: &Store,
    row: &DocumentRow,
    input: &Input,
    book: &[crate::document::vendor::Vendor],
    today: chrono::NaiveDate,
) -> anyhow::Result<()> {
    use pipeline::FromEmail;
    let read = pipeline::guard(|| pipeline::read_email(input, cfg, book, today));
    // A mail from a mailbox passes where it was on to its documents.
    let mailbox = SourceMeta::from_ledger(row.source_meta.as_deref()).mailbox;
    match read {
        Ok(FromEmail::Documents { documents, summary }) => {
            let children: Vec<crate::store::unpack::Child> = documents
                .into_iter()
                .map(|(a, origin)| {
                    let meta = SourceMeta {
                        email: Some(origin),
                        mailbox: mailbox.clone(),
                        uploaded_by: None,
                    };
                    crate::store::unpack::Child {
                        name: a.name,
                        data: a.data,
                        meta: serde_json::to_string(&meta).expect("source metadata serialises"),
                    }
                })
                .collect();
            let made = store.unpack(row, &children, &summary)?;
            tracing::info!(document_id = %row.id, documents = made.len(), "email unpacked");
            Ok(())
        }
        Ok(FromEmail::Body(mut doc, pages)) => {
            let info: Vec<(PageInfo, Vec<PageWord>)> = pages.iter().map(PageInfo::of).collect();
            store.save_pages(&row.id, &info)?;
            doc.source.meta.mailbox = mailbox;
            record(cfg, store, row, &doc)
        }
        Ok(FromEmail::Quarantine(reason)) => {
            tracing::warn!(document_id = %row.id, reason = %reason, "quarantined");
            quarantine(cfg, store, row, &reason)
        }
        Err(panic) => {
            let reason = format!("internal error while reading the email: {panic}");
            tracing::error!(document_id = %row.id, reason = %reason, "quarantined");
            quarantine(cfg, store, row, &reason)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ScriptedEngine;

    #[test]
    fn every_part_runs_by_default_and_parts_need_postgres() {
        use crate::config::database::{Database, PostgresUrl};
        assert_eq!(Roles::only(&[]), Roles::all());
        let mut cfg = Config::defaults();
        assert_eq!(Roles::all().check(&cfg), Ok(()));
        let intake = Roles::only(&[Role::Intake, Role::Web]);
        assert!(!intake.workers && !intake.dispatch);
        let err = intake.check(&cfg).unwrap_err();
        assert!(
            err.starts_with("--only intake,web needs a PostgreSQL ledger"),
            "{err}"
        );
        // Naming every part is the same as naming none, on SQLite too.
        let every = Roles::only(&[Role::Web, Role::Dispatch, Role::Workers, Role::Intake]);
        assert_eq!(every.check(&cfg), Ok(()));

        cfg.database = Database::Postgres(PostgresUrl::new("postgres://db/mailroom"));
        assert_eq!(intake.check(&cfg), Ok(()));
        assert_eq!(Roles::only(&[Role::Workers]).check(&cfg), Ok(()));
        // Dispatch with no sink, web with the web switched off: nothing to do.
        cfg.sinks.clear();
        let err = Roles::only(&[Role::Workers, Role::Dispatch])
            .check(&cfg)
            .unwrap_err();
        assert!(err.contains("no [[sinks]] are configured"), "{err}");
        cfg.web.enabled = false;
        let err = intake.check(&cfg).unwrap_err();
        assert!(err.contains("[web] enabled = false"), "{err}");
    }

    #[test]
    fn lost_blob_is_quarantined_not_left_processing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite3"), &dir.path().join("blobs")).unwrap();
        let file = dir.path().join("scan.png");
        std::fs::write(&file, b"\x89PNG\r\n\x1a\nnot really").unwrap();
        store.ingest(&file).unwrap();
        let row = store.claim_next().unwrap().unwrap();
        std::fs::remove_file(store.blobs.path(&row.sha256).unwrap()).unwrap();
        let cfg = Config::defaults();
        process(
            &cfg,
            &store,
            &mut ScriptedEngine::new(),
            &row,
            &Default::default(),
        )
        .unwrap();
        let after = store.get(&row.id).unwrap();
        assert_eq!(after.state, State::Quarantined);
        assert!(after
            .reason
            .unwrap()
            .starts_with("stored bytes cannot be read"));
    }
}
