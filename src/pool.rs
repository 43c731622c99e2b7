//! A fixed pool of OCR workers for one-shot commands (`extract`, `eval`): each thread
//! owns one engine, files are handed out one at a time, results come back with their
//! index so the caller can print them in argument order.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use crate::config::Config;
use crate::document::input::Input;
use crate::document::TypedDocument;
use crate::pipeline;

/// The typed document and the pages of words it was read from.
pub type Outcome = Result<(TypedDocument, Vec<crate::text::Page>), String>;

/// Read and analyse `files` on `cfg.workers` threads; `on_result` is called on the
/// calling thread for each (index, outcome) as they finish.
pub fn analyse_files(
    cfg: &Config,
    book: &[crate::document::vendor::Vendor],
    files: Vec<PathBuf>,
    mut on_result: impl FnMut(usize, Outcome),
) -> anyhow::Result<()> {
    let files = Arc::new(files);
    let next = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel::<(usize, Outcome)>();
    let workers = cfg.workers.min(files.len()).max(1);
    let cfg = Arc::new(cfg.clone());
    let book = Arc::new(book.to_vec());
    let mut handles = Vec::new();
    for mut engine in pipeline::engines(&cfg, workers)? {
        let (files, next, tx, cfg) = (files.clone(), next.clone(), tx.clone(), cfg.clone());
        let book = book.clone();
        handles.push(std::thread::spawn(move || loop {
            let i = next.fetch_add(1, Ordering::SeqCst);
            let Some(path) = files.get(i) else { break };
            let outcome = pipeline::guard(|| analyse_file(&cfg, &book, &mut engine, path))
                .unwrap_or_else(|panic| Err(format!("internal error: {panic}")));
            if tx.send((i, outcome)).is_err() {
                break;
            }
        }));
    }
    drop(tx);
    for (i, outcome) in rx {
        on_result(i, outcome);
    }
    for h in handles {
        let _ = h.join();
    }
    Ok(())
}

fn analyse_file(
    cfg: &Config,
    book: &[crate::document::vendor::Vendor],
    engine: &mut dyn crate::text::OcrEngine,
    path: &PathBuf,
) -> Outcome {
    let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // The date the checks judge by, read per file: a batch may run past midnight.
    let today = chrono::Utc::now().date_naive();
    pipeline::read_and_analyse(engine, &input(name, data), cfg, book, today)
        .map_err(|e| e.to_string())
}

/// A file read by a one-shot command as the middle's input: a fresh id, received now,
/// hashed once here (`mailroom run` takes these from the ledger instead).
pub fn input(name: String, data: Vec<u8>) -> Input {
    Input::new(
        ulid::Ulid::new().to_string(),
        name,
        crate::store::now(),
        pipeline::sha256_hex(&data),
        data,
    )
}
