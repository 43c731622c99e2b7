//! Sink "files": each posted document as one JSON file in a folder.
//!
//! Files are named `{seq:08}-{id}.json` (seq = ingest order) so a downstream poller
//! can take them in order, and written atomically (temp + fsync + rename), so a reader
//! never sees half a file. With `include_original`, the original file is written
//! first, beside it, as `{seq:08}-{id}.orig.{ext}`: when the JSON is there, so is the
//! original. A redelivery after a crash finds the file already there and does not
//! write it again.

use std::path::{Path, PathBuf};

use super::{Outcome, Sink};
use crate::store::{blobs::write_atomic, Delivery, Store};

pub fn file_name(seq: i64, id: &str) -> String {
    format!("{seq:08}-{id}.json")
}

pub struct FilesSink {
    dir: PathBuf,
    include_original: bool,
}

impl FilesSink {
    pub fn new(dir: PathBuf, include_original: bool) -> Result<FilesSink, String> {
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create the files sink folder {}: {e}", dir.display()))?;
        Ok(FilesSink {
            dir,
            include_original,
        })
    }

    fn write_original(&self, d: &Delivery, store: &Store) -> Result<(), String> {
        let row = store.get(&d.document_id).map_err(|e| e.to_string())?;
        let ext = Path::new(&row.name)
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .filter(|e| !e.is_empty() && e.chars().all(|c| c.is_ascii_alphanumeric()))
            .unwrap_or_else(|| "bin".into());
        let dest = self
            .dir
            .join(format!("{:08}-{}.orig.{ext}", d.seq, d.document_id));
        if dest.exists() {
            return Ok(());
        }
        let bytes = store.blobs.read(&row.sha256).map_err(|e| e.to_string())?;
        write_atomic(&dest, &bytes).map_err(|e| format!("{}: {e}", dest.display()))
    }
}

impl Sink for FilesSink {
    fn deliver(&mut self, d: &Delivery, store: &Store) -> Outcome {
        let retry = |error: String| Outcome::Retry {
            error,
            status: None,
            response: None,
            after: None,
        };
        let dest = self.dir.join(file_name(d.seq, &d.document_id));
        if dest.exists() {
            // Written by an attempt that a crash kept from being recorded.
            return Outcome::Delivered {
                status: None,
                response: Some(format!("{} already there", dest.display())),
            };
        }
        if self.include_original {
            if let Err(e) = self.write_original(d, store) {
                return retry(format!("cannot write the original: {e}"));
            }
        }
        match write_atomic(&dest, format!("{}\n", d.payload).as_bytes()) {
            Ok(()) => Outcome::Delivered {
                status: None,
                response: Some(dest.display().to_string()),
            },
            Err(e) => retry(format!("{}: {e}", dest.display())),
        }
    }
}
