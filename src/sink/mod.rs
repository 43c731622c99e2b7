//! Sink "files": each posted document as one JSON file in the outbox folder.
//!
//! Files are named `{seq:08}-{id}.json` (seq = ingest order) so a downstream poller can
//! take them in order, and written atomically (temp + fsync + rename), so a reader
//! never sees half a file. Delivery is driven by the `deliveries` rows the store writes
//! in the posting transaction: a crash between writing the file and recording it
//! finds the file already there on restart and does not write it again.

use std::path::{Path, PathBuf};

use crate::store::{blobs::write_atomic, Store, StoreError};

pub const FILES_SINK: &str = "files";

pub fn file_name(seq: i64, id: &str) -> String {
    format!("{seq:08}-{id}.json")
}

/// Deliver every pending document to the outbox; returns how many were written.
pub fn deliver_pending(store: &Store, outbox: &Path) -> Result<usize, StoreError> {
    let mut written = 0;
    for (seq, id, json) in store.pending_deliveries(FILES_SINK)? {
        let dest: PathBuf = outbox.join(file_name(seq, &id));
        if !dest.exists() {
            if let Err(e) = write_atomic(&dest, format!("{json}\n").as_bytes()) {
                tracing::warn!(document_id = %id, error = %e, "outbox write failed; will retry");
                store.delivery_failed(&id, FILES_SINK, &e.to_string())?;
                continue;
            }
            written += 1;
        }
        store.delivery_done(&id, FILES_SINK)?;
    }
    Ok(written)
}
