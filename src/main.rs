//! The `mailroom` command line: argument parsing and glue; the work is in the library.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use mailroom::config::Config;
use mailroom::store::{State, Store};

#[derive(Parser)]
#[command(
    name = "mailroom",
    version,
    about = "OCR and document ingestion for back-office paperwork"
)]
struct Cli {
    /// Configuration file. When the default is missing, embedded defaults are used.
    #[arg(long, global = true, default_value = "config/mailroom.toml")]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Watch the inbox, read every document that arrives, post or queue it for review.
    Run {
        /// Exit once the inbox is empty and every document is in a final state
        /// (batch mode, e.g. from cron). With --only, once the parts it runs have
        /// nothing left: intake its inbox, workers the documents, dispatch the
        /// deliveries.
        #[arg(long)]
        exit_when_idle: bool,
        /// Do only these parts, comma-separated: intake (inbox and mailboxes), workers
        /// (OCR), dispatch (sinks), web (UI and API). Every part by default. Needs a
        /// PostgreSQL ledger, where e.g. one `--only intake,web` and any number of
        /// `--only workers,dispatch` share the work.
        #[arg(long, value_enum, value_delimiter = ',', value_name = "ROLES")]
        only: Vec<mailroom::service::Role>,
    },
    /// Read files and print their typed documents as JSON, one line per file, in
    /// argument order. No database.
    Extract {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Add the OCR'd pages (every word with its box and confidence) under "pages".
        #[arg(long)]
        words: bool,
    },
    /// Documents waiting for review.
    Review {
        #[command(subcommand)]
        command: ReviewCommand,
    },
    /// Measure extraction against NAME.truth.json files in DIR.
    Eval {
        dir: PathBuf,
        /// Print the reports as JSON.
        #[arg(long)]
        json: bool,
        /// Analyse without calibration and write a calibration table fitted on DIR to
        /// FILE (then point `paths.calibration` at it, or replace models/calibration.json).
        #[arg(long, value_name = "FILE")]
        fit_calibration: Option<PathBuf>,
        /// DIR is a supplier stream (`mailroom-samples --suppliers`): read it in order,
        /// a simulated reviewer correcting and approving what is held, and report the
        /// automation by the supplier's document number.
        #[arg(long)]
        stream: bool,
        /// With --stream: master data (a `vendors import` CSV) known before the first
        /// document.
        #[arg(long, value_name = "FILE", requires = "stream")]
        vendors: Option<PathBuf>,
        /// Keep the pages of words each file was read into in CACHE (by the OCR
        /// settings and the file's sha256) and read a file again only when they are not
        /// there: for working on what comes after the OCR, whose changes then measure in
        /// seconds.
        #[arg(long, value_name = "CACHE")]
        pages_cache: Option<PathBuf>,
        /// Also list every field read wrong: file, field, what was read, the truth.
        #[arg(long, conflicts_with = "stream")]
        misses: bool,
    },
    /// Train the ranking of field candidates on the NAME.truth.json files in DIR (the
    /// generator's documents: `mailroom-samples`) and write the model to FILE (then
    /// point `paths.ranker` at it, or replace models/ranker.json).
    TrainRanker {
        dir: PathBuf,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// As for `eval`: pages of words kept between runs.
        #[arg(long, value_name = "CACHE")]
        pages_cache: Option<PathBuf>,
        /// The fewest right and the fewest wrong candidates a field kind needs to be
        /// learned; kinds with fewer keep the hand-set score.
        #[arg(long, value_name = "N", default_value_t = 10)]
        min_each: usize,
    },
    /// Serve the web API alone (the documents a `mailroom run` reads).
    Serve,
    /// People who work the review queue.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Vendor master data and what approvals taught: import, list, show, export, reset.
    Vendors {
        #[command(subcommand)]
        command: VendorsCommand,
    },
    /// API tokens for integrations: create, list, revoke.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// What a supervisor asks: documents and pages finished today, automation rate
    /// (today and all time), review queue and its oldest document, documents in
    /// processing, dead deliveries per sink; then documents per state and deliveries
    /// per sink and state.
    Status {
        /// Print the figures as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Fixed forms: draft a document type file from sample scans.
    Form {
        #[command(subcommand)]
        command: FormCommand,
    },
    /// Deliveries to the sinks: list them, retry dead ones.
    Deliveries {
        #[command(subcommand)]
        command: DeliveriesCommand,
    },
    /// Copy the ledger (a consistent snapshot, also while `mailroom run` works) and
    /// every document's file, hash-checked, into DIR (new or empty), with a manifest.
    Backup { dir: PathBuf },
    /// Restore a backup from DIR into the configured var directory, which must have no
    /// ledger and no `mailroom run` working on it.
    Restore { dir: PathBuf },
    /// Copy the configured SQLite ledger (every table, ids kept) into an empty PostgreSQL
    /// database, and its files into --blobs, checking counts and hashes; then set
    /// `[database] url` (and `[blobs] url`) to the new places. Refused while a
    /// `mailroom run` works on the ledger.
    Migrate {
        /// postgres://user:password@host/db, or env:VAR to read it from the variable VAR
        /// (keeping the password off the command line).
        #[arg(long, value_name = "URL")]
        to: String,
        /// Copy the files too: a folder, file:///path or s3://bucket/prefix. Without it
        /// they stay where `[blobs]` says (then a folder every machine mounts) and are
        /// only checked.
        #[arg(long, value_name = "URL")]
        blobs: Option<String>,
        /// For s3://: the server (`[blobs] endpoint`), e.g. http://127.0.0.1:9000.
        #[arg(long, value_name = "URL", requires = "blobs")]
        blobs_endpoint: Option<String>,
        /// For s3://: the region (`[blobs] region`).
        #[arg(long, value_name = "NAME", requires = "blobs")]
        blobs_region: Option<String>,
        /// For s3://: an AWS credentials file; else AWS_ACCESS_KEY_ID and
        /// AWS_SECRET_ACCESS_KEY.
        #[arg(long, value_name = "FILE", requires = "blobs")]
        blobs_credentials_file: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user, or set the password and role of an existing one. The password is
    /// asked for (twice) on a terminal, or read from the first line of stdin.
    Add {
        name: String,
        /// reviewer: works the queue; admin: also quarantine and duplicates.
        #[arg(long, default_value = "reviewer")]
        role: String,
    },
    /// List users.
    List,
    /// End every session of a user (sign them out everywhere).
    Logout { name: String },
    /// Remove a user: their sessions and document leases end; the history keeps their name.
    Remove { name: String },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token and print it (once; only its hash is stored).
    Create {
        name: String,
        /// read: GET only; write: also corrections, approve, reject, retries.
        #[arg(long, default_value = "read")]
        scope: String,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by name; it stops working at once.
    Revoke { name: String },
}

#[derive(Subcommand)]
enum VendorsCommand {
    /// Import master data from a CSV file with a header row: name, vat_id, iban, bic,
    /// currency, address, aliases (any of them, with name and vat_id or iban). A file with
    /// any bad line is refused whole, each bad line named; a vendor whose VAT id (or IBAN)
    /// is on file is updated, keeping what approvals taught.
    Import { file: PathBuf },
    /// Every vendor: id, name, VAT id, IBANs, where it came from, documents learned from.
    List {
        #[arg(long)]
        json: bool,
    },
    /// One vendor with what approvals taught (per field: labels, shapes, documents).
    Show { id: i64 },
    /// Every vendor as a CSV that `vendors import` reads back.
    Export,
    /// Forget what approvals taught about a vendor (its record stays).
    Reset { id: i64 },
    /// Remove a vendor and what was learned about it.
    Remove { id: i64 },
}

#[derive(Subcommand)]
enum DeliveriesCommand {
    /// List deliveries, oldest first.
    List {
        /// Only deliveries in this state: pending, delivered or dead.
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Give dead deliveries a new set of attempts (a running `mailroom run` picks them
    /// up within a second).
    Retry {
        /// The delivery to retry (its number in `deliveries list`).
        id: Option<i64>,
        /// Retry every dead delivery.
        #[arg(long, conflicts_with = "id")]
        all: bool,
    },
}

#[derive(Subcommand)]
enum FormCommand {
    /// Print a starting type file for a fixed form: anchors, fields as zones beside
    /// their captions, checkboxes and signature boxes, and every line read with its box.
    /// The first sample is the reference; more filled copies tell form from values.
    Draft {
        #[arg(required = true)]
        samples: Vec<PathBuf>,
        /// The type's name (snake_case); by default the first sample's file name.
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Subcommand)]
enum ReviewCommand {
    /// List documents in review, oldest first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one document: its typed JSON, the reasons and its history.
    Show { id: String },
}

/// Debian's Tesseract is built with OpenMP, which spins a thread team per page: with
/// our own worker threads on top, a page takes ~5x longer (2.4–2.8 s instead of
/// ~0.46 s measured here). OpenMP reads OMP_THREAD_LIMIT once, when the library loads,
/// before `main` runs, so setting it now is too late: re-execute ourselves with it set.
fn ensure_single_threaded_openmp() {
    use std::os::unix::process::CommandExt;
    if std::env::var_os("OMP_THREAD_LIMIT").is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let err = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env("OMP_THREAD_LIMIT", "1")
        .exec();
    // exec only returns on failure; carry on, slower.
    eprintln!("warning: could not re-execute with OMP_THREAD_LIMIT=1 ({err}); OCR will be slower");
}

fn main() -> ExitCode {
    ensure_single_threaded_openmp();
    // MAILROOM_LOG, else RUST_LOG, else info without the libraries' chatter: refinery's
    // "no migrations to apply" and PostgreSQL's NOTICEs on every command that opens the
    // ledger (the migrations applied are logged by the store itself).
    let filter = || {
        tracing_subscriber::EnvFilter::try_from_env("MAILROOM_LOG")
            .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
            .unwrap_or_else(|_| "info,refinery_core=warn,postgres::config=warn".into())
    };
    // One JSON object per line for log shippers (`MAILROOM_LOG_FORMAT=json`), else text.
    if std::env::var("MAILROOM_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter())
            .with_writer(std::io::stderr)
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter())
            .with_writer(std::io::stderr)
            // Colour codes only for a person at a terminal, not in a log file or journal.
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let explicit = std::env::args().any(|a| a == "--config" || a.starts_with("--config="));
    let cfg = Config::load(&cli.config, explicit)?;
    match cli.command {
        Command::Run {
            exit_when_idle,
            only,
        } => {
            let roles = mailroom::service::Roles::only(&only);
            mailroom::service::run(
                cfg,
                mailroom::service::Options {
                    exit_when_idle,
                    roles,
                },
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Extract { files, words } => extract(&cfg, files, words),
        Command::Review { command } => review(&cfg, command),
        Command::Deliveries { command } => deliveries(&cfg, command),
        Command::Serve => {
            mailroom::service::serve(cfg)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Token { command } => token(&cfg, command),
        Command::Vendors { command } => vendors(&cfg, command),
        Command::User { command } => user(&cfg, command),
        Command::Eval {
            dir,
            stream: true,
            vendors,
            json,
            pages_cache,
            ..
        } => {
            let steps = mailroom::eval::stream::run(
                &cfg,
                &dir,
                vendors.as_deref(),
                pages_cache.as_deref(),
            )?;
            if json {
                println!("{}", serde_json::to_string_pretty(&steps)?);
            } else {
                print!("{}", mailroom::eval::stream::render(&steps));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::TrainRanker {
            dir,
            out,
            pages_cache,
            min_each,
        } => {
            let cases = mailroom::eval::analyse_dir_cached(&cfg, &dir, pages_cache.as_deref())?;
            let origin = format!(
                "mailroom train-ranker {} ({} documents, {})",
                dir.display(),
                cases.len(),
                chrono::Utc::now().format("%Y-%m-%d")
            );
            let (ranker, summary) = mailroom::eval::train_ranker(&cases, &cfg, origin, min_each);
            std::fs::write(&out, serde_json::to_string_pretty(&ranker)? + "\n")?;
            print!("{summary}");
            eprintln!("wrote {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval {
            dir,
            json,
            fit_calibration,
            pages_cache,
            misses,
            ..
        } => {
            let mut cfg = cfg;
            if fit_calibration.is_some() {
                cfg.calibration = Default::default();
            }
            let cases = mailroom::eval::analyse_dir_cached(&cfg, &dir, pages_cache.as_deref())?;
            if let Some(out) = fit_calibration {
                let origin = format!(
                    "mailroom eval {} --fit-calibration ({} documents, {})",
                    dir.display(),
                    cases.len(),
                    chrono::Utc::now().format("%Y-%m-%d")
                );
                let table = mailroom::eval::fit_calibration(&cases, &cfg, origin);
                std::fs::write(&out, serde_json::to_string_pretty(&table)? + "\n")?;
                eprintln!("wrote {}", out.display());
            }
            let reports = mailroom::eval::reports(&cases, &cfg);
            if misses {
                print!("{}", mailroom::eval::misses(&cases, &cfg));
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&reports)?);
            } else {
                print!("{}", mailroom::eval::render(&reports));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Form {
            command: FormCommand::Draft { samples, name },
        } => form_draft(&cfg, samples, name),
        Command::Backup { dir } => {
            sqlite_only(&cfg, "backup")?;
            let blobs = mailroom::store::BlobStore::open_location(&cfg.blobs)?;
            let m = mailroom::store::backup::backup(&cfg.db_path(), &blobs, &dir)?;
            println!(
                "backed up {} document(s) and {} file(s) ({} bytes) into {}",
                m.documents,
                m.blobs,
                m.blob_bytes,
                dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { dir } => {
            sqlite_only(&cfg, "restore")?;
            let blobs = mailroom::store::BlobStore::open_location(&cfg.blobs)?;
            let m = mailroom::store::backup::restore(&dir, &cfg.var_dir, &cfg.db_path(), &blobs)?;
            println!(
                "restored {} document(s) and {} file(s) from {} (backup of {}) into {}",
                m.documents,
                m.blobs,
                dir.display(),
                m.created_at,
                cfg.var_dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Status { json } => status(&cfg, json),
        Command::Migrate {
            to,
            blobs,
            blobs_endpoint,
            blobs_region,
            blobs_credentials_file,
        } => {
            let to = match to.strip_prefix("env:") {
                Some(var) => std::env::var(var)
                    .with_context(|| format!("--to env:{var}: the variable {var} is not set"))?,
                None => to,
            };
            let url = match mailroom::config::database::parse(
                Some(&to),
                std::path::Path::new("the command line"),
                "--to",
            )? {
                mailroom::config::database::Database::Postgres(url) => url,
                _ => anyhow::bail!("--to must be a postgres:// URL (the ledger to copy into)"),
            };
            let blobs_to = blobs
                .map(|b| {
                    mailroom::config::blobs::from_args(
                        &b,
                        blobs_endpoint.as_deref(),
                        blobs_region.as_deref(),
                        blobs_credentials_file.as_deref(),
                    )
                })
                .transpose()?;
            let report = mailroom::store::transfer::to_postgres(&cfg, &url, blobs_to.as_ref())?;
            print!("{}", report.render());
            println!(
                "next: point [database] url (or MAILROOM_DATABASE_URL) at the URL given to --to{}",
                if report.blobs_copied {
                    format!(" and [blobs] url at {}", report.blobs_at)
                } else {
                    String::new()
                }
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn status(cfg: &Config, json: bool) -> anyhow::Result<ExitCode> {
    let store = open_store(cfg)?;
    let f = store.figures(&mailroom::store::figures::today_utc())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&f)?);
        return Ok(ExitCode::SUCCESS);
    }
    let rate = |t: &mailroom::store::figures::Throughput| match t.automation_rate {
        Some(r) => format!("{:.1} % ({} of {})", r * 100.0, t.auto_posted, t.documents),
        None => "- (nothing finished)".into(),
    };
    println!(
        "today (since {}): {} document(s), {} page(s) finished",
        f.today_since, f.today.documents, f.today.pages
    );
    println!("automation today:    {}", rate(&f.today));
    println!("automation all time: {}", rate(&f.all_time));
    let oldest = match f.oldest_in_review_seconds {
        Some(s) => format!(", oldest waiting {}", mailroom::store::figures::age(s)),
        None => String::new(),
    };
    println!("review queue: {}{oldest}", f.review_queue);
    println!("waiting: {}, processing: {}", f.waiting, f.processing);
    if !f.dead_deliveries.is_empty() {
        let dead: Vec<String> = f
            .dead_deliveries
            .iter()
            .map(|(sink, n)| format!("{sink} {n}"))
            .collect();
        println!("dead deliveries: {}", dead.join(", "));
    }
    println!("documents:");
    for (state, n) in &f.states {
        println!("  {state:<12} {n}");
    }
    let deliveries = store.delivery_counts()?;
    if !deliveries.is_empty() {
        println!("deliveries:");
        for (sink, state, n) in deliveries {
            println!("  {sink:<12} {state:<10} {n}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// At most the first `limit` bytes of a file.
fn read_head(path: &std::path::Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut head = Vec::new();
    std::fs::File::open(path)?
        .take(limit)
        .read_to_end(&mut head)?;
    Ok(head)
}

fn extract(cfg: &Config, files: Vec<PathBuf>, with_words: bool) -> anyhow::Result<ExitCode> {
    // The ledger's master data and what approvals taught, when there is a ledger: the
    // same document `mailroom run` would make of these bytes.
    let book = match ledger_exists(cfg) {
        true => open_store(cfg)?.vendors()?,
        false => Vec::new(),
    };
    // An email's attached documents are read one by one, each line naming the email
    // (as `mailroom run` does when it unpacks one); an email without any is read as
    // its body text, like any other file.
    let unpacked = tempfile::Builder::new()
        .prefix("mailroom-extract-")
        .tempdir()
        .context("cannot create a temporary folder")?;
    let mut jobs: Vec<PathBuf> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut from_email: Vec<Option<serde_json::Value>> = Vec::new();
    for file in files {
        // Told from the head of the file, so a batch of scans is not read twice.
        let head = read_head(&file, 64 * 1024).unwrap_or_default();
        let email = (mailroom::document::input::looks_like_email(&head)
            && !mailroom::document::input::looks_like_pdf(&head))
        .then(|| std::fs::read(&file).ok())
        .flatten();
        let documents = email.and_then(|data| {
            let name = file.file_name()?.to_string_lossy().into_owned();
            let input = mailroom::pool::input(name, data);
            let today = chrono::Utc::now().date_naive();
            match mailroom::pipeline::read_email(&input, cfg, &book, today) {
                mailroom::pipeline::FromEmail::Documents { documents, .. } => Some(documents),
                _ => None,
            }
        });
        let Some(documents) = documents else {
            names.push(file.display().to_string());
            jobs.push(file);
            from_email.push(None);
            continue;
        };
        for (n, (attachment, origin)) in documents.into_iter().enumerate() {
            let dir = unpacked.path().join(format!("{}-{n}", jobs.len()));
            std::fs::create_dir_all(&dir)?;
            let path = dir.join(&attachment.name);
            std::fs::write(&path, &attachment.data)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let mut origin = serde_json::to_value(&origin)?;
            origin["file"] = file.display().to_string().into();
            names.push(format!(
                "{} / {}",
                file.display(),
                origin["part"].as_str().unwrap_or("")
            ));
            jobs.push(path);
            from_email.push(Some(origin));
        }
    }
    let files = jobs;
    let n = files.len();
    let mut done: Vec<Option<String>> = vec![None; n];
    let mut next_to_print = 0;
    let mut failed = false;
    let stdout = std::io::stdout();
    // Hidden when stderr is not a terminal; a batch of scans can take minutes.
    let bar = match n {
        0 | 1 => indicatif::ProgressBar::hidden(),
        _ => mailroom::eval::progress(n as u64, "extract"),
    };
    mailroom::pool::analyse_files(cfg, &book, files, |i, outcome| {
        bar.inc(1);
        done[i] = Some(match outcome {
            Ok((doc, pages)) => {
                let mut v = serde_json::to_value(&doc).expect("typed documents serialise");
                if let Some(email) = from_email[i].take() {
                    v["source"]["email"] = email;
                }
                if with_words {
                    v["pages"] = serde_json::to_value(&pages).expect("pages serialise");
                }
                v.to_string()
            }
            Err(e) => {
                failed = true;
                bar.suspend(|| eprintln!("error: {}: {e}", names[i]));
                serde_json::json!({"file": names[i], "error": e}).to_string()
            }
        });
        // Print in argument order as soon as the next one is ready.
        bar.suspend(|| {
            let mut out = stdout.lock();
            while next_to_print < n {
                let Some(line) = done[next_to_print].take() else {
                    break;
                };
                let _ = writeln!(out, "{line}");
                next_to_print += 1;
            }
            let _ = out.flush();
        });
    })?;
    bar.finish_and_clear();
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn form_draft(
    cfg: &Config,
    samples: Vec<PathBuf>,
    name: Option<String>,
) -> anyhow::Result<ExitCode> {
    let source = samples
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let name = name.unwrap_or_else(|| {
        let stem = samples[0]
            .file_stem()
            .map(|s| s.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let s: String = stem
            .chars()
            .map(|c| if c.is_ascii_lowercase() { c } else { '_' })
            .collect();
        let s = s.trim_matches('_').to_string();
        if s.is_empty() {
            "my_form".into()
        } else {
            s
        }
    });
    let n = samples.len();
    let mut pages: Vec<Option<Vec<mailroom::text::Page>>> = vec![None; n];
    let mut failed = None;
    mailroom::pool::analyse_files(cfg, &[], samples.clone(), |i, outcome| match outcome {
        Ok((_, p)) => pages[i] = Some(p),
        Err(e) => failed = Some(format!("{}: {e}", samples[i].display())),
    })?;
    if let Some(e) = failed {
        anyhow::bail!("cannot read {e}");
    }
    let pages: Vec<Vec<mailroom::text::Page>> = pages.into_iter().flatten().collect();
    print!(
        "{}",
        mailroom::extract::draft::draft(&name, &source, &pages)
    );
    Ok(ExitCode::SUCCESS)
}

/// A SQLite ledger file that is there, or a PostgreSQL ledger (its server says).
fn ledger_exists(cfg: &Config) -> bool {
    match &cfg.ledger() {
        mailroom::config::database::Database::Sqlite(db) => db.exists(),
        // PostgreSQL: its server says (the default is resolved to a file by ledger()).
        _ => true,
    }
}

/// `backup` and `restore` copy the SQLite file; a PostgreSQL ledger has its own tools.
fn sqlite_only(cfg: &Config, command: &str) -> anyhow::Result<()> {
    if let mailroom::config::database::Database::Postgres(url) = &cfg.database {
        anyhow::bail!(
            "`mailroom {command}` works on a SQLite ledger only; the ledger is on PostgreSQL \
             ({url}): use pg_dump/pg_restore for it, and copy the blob store beside it"
        );
    }
    Ok(())
}

fn open_store(cfg: &Config) -> anyhow::Result<Store> {
    let db = cfg.db_path();
    anyhow::ensure!(
        ledger_exists(cfg),
        "no database at {} (has `mailroom run` been started here?)",
        db.display()
    );
    Store::open_config(cfg).context("opening the ledger")
}

fn review(cfg: &Config, command: ReviewCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(cfg)?;
    match command {
        ReviewCommand::List { json } => {
            let rows = store.list(Some(State::InReview))?;
            if json {
                let items: Vec<serde_json::Value> = rows
                    .iter()
                    .map(|r| {
                        serde_json::json!({
                            "id": r.id, "name": r.name, "received_at": r.received_at,
                            "reasons": r.reason, "document": r.result.as_deref().and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok()),
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&items)?);
            } else {
                println!("{:<26} {:<24} {:<25} reasons", "id", "received", "file");
                for r in rows {
                    println!(
                        "{:<26} {:<24} {:<25} {}",
                        r.id,
                        r.received_at,
                        r.name,
                        r.reason.unwrap_or_default()
                    );
                }
            }
        }
        ReviewCommand::Show { id } => {
            let row = store.get(&id)?;
            println!("id:        {}", row.id);
            println!(
                "file:      {} ({} bytes, sha256 {})",
                row.name, row.size, row.sha256
            );
            println!("state:     {}", row.state.as_str());
            println!("reason:    {}", row.reason.unwrap_or_default());
            if let Some(of) = row.duplicate_of {
                println!("duplicate of: {of}");
            }
            println!("history:");
            for t in store.transitions(&id)? {
                println!(
                    "  {}  {} -> {}  {}",
                    t.at,
                    t.from.unwrap_or_else(|| "-".into()),
                    t.to,
                    t.reason
                );
            }
            let corrections = store.corrections(&id)?;
            if !corrections.is_empty() {
                println!("corrections:");
                for c in &corrections {
                    println!(
                        "  {}  {}  {}: {:?} -> {:?} (read {:?})",
                        c.at,
                        c.actor,
                        c.field,
                        c.old_value.as_deref().unwrap_or(""),
                        c.new_value.as_deref().unwrap_or(""),
                        c.old_raw.as_deref().unwrap_or("")
                    );
                }
            }
            let deliveries = store.deliveries_of(&id)?;
            if !deliveries.is_empty() {
                println!("deliveries:");
                for d in &deliveries {
                    println!("  {}", delivery_line(d));
                }
            }
            if let Some(json) = row.result {
                let v: serde_json::Value = serde_json::from_str(&json)?;
                println!("document:\n{}", serde_json::to_string_pretty(&v)?);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn delivery_line(d: &mailroom::store::Delivery) -> String {
    let mut line = format!(
        "#{:<6} {:<12} {:<22} {:<9} attempts {}",
        d.id, d.sink, d.event, d.state, d.attempts
    );
    if let Some(at) = &d.delivered_at {
        line.push_str(&format!("  delivered {at}"));
    }
    if d.state != "delivered" {
        if let Some(e) = &d.last_error {
            line.push_str(&format!("  last error: {e}"));
        }
        if let Some(r) = d.last_response.as_deref().filter(|r| !r.is_empty()) {
            line.push_str(&format!("  response: {}", r.replace('\n', " ")));
        }
    }
    line
}

fn user(cfg: &Config, command: UserCommand) -> anyhow::Result<ExitCode> {
    use mailroom::store::users::Role;
    use std::io::IsTerminal;
    let store = Store::open_config(cfg).context("opening the ledger")?;
    match command {
        UserCommand::Add { name, role } => {
            let role = Role::parse(&role)
                .with_context(|| format!("--role must be reviewer or admin, not {role:?}"))?;
            anyhow::ensure!(
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_alphanumeric() || "-_.@".contains(c)),
                "a user name is letters, digits, '-', '_', '.' or '@'"
            );
            let password = if std::io::stdin().is_terminal() {
                let p = rpassword::prompt_password(format!("password for {name}: "))?;
                let again = rpassword::prompt_password("again: ")?;
                anyhow::ensure!(p == again, "the passwords differ");
                p
            } else {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                line.trim_end_matches(['\n', '\r']).to_string()
            };
            anyhow::ensure!(
                password.chars().count() >= 10,
                "a password has at least 10 characters"
            );
            store.set_user(&name, role, &password)?;
            println!("user {name:?} ({}) saved", role.as_str());
        }
        UserCommand::List => {
            for u in store.users()? {
                println!("{:<24} {}", u.name, u.role.as_str());
            }
        }
        UserCommand::Logout { name } => match store.end_sessions(&name)? {
            Some(n) => println!("ended {n} session(s) of {name}"),
            None => anyhow::bail!("no user {name:?}"),
        },
        UserCommand::Remove { name } => {
            anyhow::ensure!(store.remove_user(&name)?, "no user {name:?}");
            println!("removed {name}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn vendors(cfg: &Config, command: VendorsCommand) -> anyhow::Result<ExitCode> {
    // Master data may be imported before the first `mailroom run`.
    let store = Store::open_config(cfg).context("opening the ledger")?;
    let find = |id: i64| -> anyhow::Result<mailroom::document::vendor::Vendor> {
        store
            .vendor(id)?
            .with_context(|| format!("no vendor with id {id} (see `mailroom vendors list`)"))
    };
    match command {
        VendorsCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            match mailroom::vendor::import::parse(&text) {
                Ok(list) => {
                    let done = store.import_vendors(&list)?;
                    eprintln!(
                        "{}: {} vendor(s) added, {} updated",
                        file.display(),
                        done.added,
                        done.updated
                    );
                }
                Err(errors) => {
                    for e in &errors {
                        eprintln!("error: {}: {e}", file.display());
                    }
                    eprintln!("nothing was imported");
                    return Ok(ExitCode::from(1));
                }
            }
        }
        VendorsCommand::List { json } => {
            let list = store.vendors()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
                return Ok(ExitCode::SUCCESS);
            }
            println!(
                "{:>5}  {:<36} {:<14} {:<24} {:<9} learned",
                "id", "name", "vat_id", "iban", "source"
            );
            for v in list {
                println!(
                    "{:>5}  {:<36} {:<14} {:<24} {:<9} {}",
                    v.id,
                    v.name,
                    v.vat_id.as_deref().unwrap_or("-"),
                    v.ibans.first().map_or("-", String::as_str),
                    v.source,
                    v.learned.documents
                );
            }
        }
        VendorsCommand::Show { id } => {
            println!("{}", serde_json::to_string_pretty(&find(id)?)?);
        }
        VendorsCommand::Export => {
            print!("{}", mailroom::vendor::import::write(&store.vendors()?));
        }
        VendorsCommand::Reset { id } => {
            let v = find(id)?;
            store.reset_learning(id)?;
            eprintln!(
                "vendor {id} ({}): forgot what {} approved document(s) taught",
                v.name, v.learned.documents
            );
        }
        VendorsCommand::Remove { id } => {
            let v = find(id)?;
            store.delete_vendor(id)?;
            eprintln!("vendor {id} ({}) removed", v.name);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn token(cfg: &Config, command: TokenCommand) -> anyhow::Result<ExitCode> {
    use mailroom::store::tokens::Scope;
    // Tokens may be created before the first `mailroom run`.
    let store = Store::open_config(cfg).context("opening the ledger")?;
    match command {
        TokenCommand::Create { name, scope } => {
            let scope = Scope::parse(&scope)
                .with_context(|| format!("--scope must be read or write, not {scope:?}"))?;
            anyhow::ensure!(
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
                "a token name is letters, digits, '-', '_' or '.'"
            );
            let secret = store
                .create_token(&name, scope)
                .with_context(|| format!("cannot create token {name:?} (is the name taken?)"))?;
            println!("{secret}");
            eprintln!(
                "token {name:?} ({}) created; it is shown only now",
                scope.as_str()
            );
        }
        TokenCommand::List => {
            println!(
                "{:<20} {:<6} {:<25} {:<25} revoked",
                "name", "scope", "created", "last used"
            );
            for t in store.tokens()? {
                println!(
                    "{:<20} {:<6} {:<25} {:<25} {}",
                    t.name,
                    t.scope.as_str(),
                    t.created_at,
                    t.last_used_at.unwrap_or_else(|| "-".into()),
                    t.revoked_at.unwrap_or_else(|| "-".into())
                );
            }
        }
        TokenCommand::Revoke { name } => {
            anyhow::ensure!(store.revoke_token(&name)?, "no live token named {name:?}");
            println!("token {name:?} revoked");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn deliveries(cfg: &Config, command: DeliveriesCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(cfg)?;
    match command {
        DeliveriesCommand::List { state, limit, json } => {
            if let Some(s) = &state {
                anyhow::ensure!(
                    ["pending", "delivered", "dead"].contains(&s.as_str()),
                    "--state must be pending, delivered or dead, not {s:?}"
                );
            }
            let rows = store.deliveries(state.as_deref(), limit)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for d in &rows {
                    println!("{}  {}", d.document_id, delivery_line(d));
                }
            }
        }
        DeliveriesCommand::Retry { id, all } => {
            anyhow::ensure!(id.is_some() || all, "name a delivery, or pass --all");
            if let Some(id) = id {
                let d = store
                    .delivery(id)?
                    .with_context(|| format!("no delivery #{id}"))?;
                anyhow::ensure!(d.state == "dead", "delivery #{id} is {}, not dead", d.state);
            }
            let n = store.retry_dead(id)?;
            println!("{n} delivery(ies) queued again");
        }
    }
    Ok(ExitCode::SUCCESS)
}
