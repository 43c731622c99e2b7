//! Source "folder": finds files in the inbox and decides when each is completely written.
//!
//! Three ways of noticing a file, because each alone misses some: native events
//! (inotify; immediate), a polling watcher (for SMB/NFS shares, where events never
//! fire; `watch.mode = "poll"`), and a periodic full rescan that catches anything an
//! event missed (and finds files already there at start-up). A file is handed on only
//! once its size and mtime have not changed for `watch.stable_ms`; partial names
//! (`*.part`, `~*`, dot files) are never taken.

pub mod email;
pub mod imap;
pub mod mailbox;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use notify::Watcher;

use crate::config::{WatchConfig, WatchMode};

/// Start the watcher of `inbox`; every path it reports is sent on `tx`. Keep the returned
/// value alive for as long as events are wanted.
pub fn watch(
    inbox: &Path,
    cfg: &WatchConfig,
    tx: tokio::sync::mpsc::UnboundedSender<PathBuf>,
) -> notify::Result<Box<dyn Watcher + Send>> {
    let handler = move |res: notify::Result<notify::Event>| {
        if let Ok(ev) = res {
            for p in ev.paths {
                let _ = tx.send(p);
            }
        }
    };
    let mut w: Box<dyn Watcher + Send> = match cfg.mode {
        WatchMode::Native => Box::new(notify::RecommendedWatcher::new(
            handler,
            notify::Config::default(),
        )?),
        WatchMode::Poll => Box::new(notify::PollWatcher::new(
            handler,
            notify::Config::default().with_poll_interval(cfg.poll_interval),
        )?),
    };
    for dir in watched_dirs(inbox, cfg) {
        w.watch(&dir, notify::RecursiveMode::NonRecursive)?;
    }
    Ok(w)
}

/// The inbox and its typed subfolders (`watch.folder_types`), the folders files are
/// taken from. The subfolders are created if missing.
pub fn watched_dirs(inbox: &Path, cfg: &WatchConfig) -> Vec<PathBuf> {
    let mut dirs = vec![inbox.to_path_buf()];
    for (folder, _) in &cfg.folder_types {
        let dir = inbox.join(folder);
        if let Err(e) = std::fs::create_dir_all(&dir) {
            tracing::warn!(folder = %dir.display(), error = %e, "cannot create an inbox subfolder");
        }
        dirs.push(dir);
    }
    dirs
}

/// How a file in the inbox is named in the ledger: its path below the inbox
/// (`invoices/scan.pdf` for a typed subfolder), so the folder stays known.
pub fn inbox_name(inbox: &Path, file: &Path) -> String {
    file.strip_prefix(inbox)
        .ok()
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| {
            file.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
}

pub fn ignored(path: &Path, patterns: &[regex::Regex]) -> bool {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy()) else {
        return true;
    };
    patterns.iter().any(|p| p.is_match(&name))
}

/// Every regular, non-ignored file directly in `dirs` (the inbox and its typed
/// subfolders), oldest name first. A missing subfolder holds nothing.
pub fn scan(dirs: &[PathBuf], patterns: &[regex::Regex]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if i > 0 && e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        out.extend(
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| e.path())
                .filter(|p| !ignored(p, patterns)),
        );
    }
    out.sort();
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Seen {
    size: u64,
    mtime: Option<SystemTime>,
    since: Instant,
}

/// Tracks candidate files until they stop changing.
#[derive(Debug, Default)]
pub struct Stability {
    pending: HashMap<PathBuf, Seen>,
}

impl Stability {
    /// Note that `path` exists (or changed). Unknown or vanished files are ignored.
    pub fn observe(&mut self, path: PathBuf, now: Instant) {
        let Ok(meta) = std::fs::metadata(&path) else {
            self.pending.remove(&path);
            return;
        };
        if !meta.is_file() {
            return;
        }
        let seen = Seen {
            size: meta.len(),
            mtime: meta.modified().ok(),
            since: now,
        };
        match self.pending.get_mut(&path) {
            Some(old) if old.size == seen.size && old.mtime == seen.mtime => {}
            Some(old) => *old = seen,
            None => {
                self.pending.insert(path, seen);
            }
        }
    }

    /// Up to `max` files unchanged for at least `stable_for`, oldest name first; they
    /// leave the tracker. The rest stay ready for the next call, so a flood of files is
    /// taken in batches and the caller stays responsive.
    pub fn ready(
        &mut self,
        now: Instant,
        stable_for: std::time::Duration,
        max: usize,
    ) -> Vec<PathBuf> {
        let paths: Vec<PathBuf> = self.pending.keys().cloned().collect();
        for p in &paths {
            // Re-stat: a file still being written by a scanner changes size or mtime.
            self.observe(p.clone(), now);
        }
        let mut ready: Vec<PathBuf> = self
            .pending
            .iter()
            .filter(|(_, s)| now.duration_since(s.since) >= stable_for)
            .map(|(p, _)| p.clone())
            .collect();
        ready.sort();
        ready.truncate(max);
        for p in &ready {
            self.pending.remove(p);
        }
        ready
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

/// Move an ingested file out of the inbox into `dir` as `prefix-name`. Falls back to
/// copy + fsync + delete when the archive is on another file system (an SMB inbox).
pub fn archive(file: &Path, dir: &Path, prefix: &str) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let name = file.file_name().unwrap_or_default().to_string_lossy();
    let dest = dir.join(archive_name(prefix, &name));
    match std::fs::rename(file, &dest) {
        Ok(()) => Ok(dest),
        Err(e) if e.raw_os_error() == Some(18) => {
            // EXDEV: cross-device link.
            std::fs::copy(file, &dest)?;
            std::fs::File::open(&dest)?.sync_all()?;
            std::fs::remove_file(file)?;
            Ok(dest)
        }
        Err(e) => Err(e),
    }
}

/// Longest file name, in bytes, the file systems an archive lives on accept.
const MAX_NAME_BYTES: usize = 255;

/// `prefix-name`, shortened (in the middle of the name's stem, at a character
/// boundary, the extension kept) to fit [`MAX_NAME_BYTES`]: a 255-byte inbox name
/// with the prefix failed ENAMETOOLONG, and was retried forever.
fn archive_name(prefix: &str, name: &str) -> String {
    let full = format!("{prefix}-{name}");
    if full.len() <= MAX_NAME_BYTES {
        return full;
    }
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 && name.len() - i <= 16 => name.split_at(i),
        _ => (name, ""),
    };
    let room = MAX_NAME_BYTES.saturating_sub(prefix.len() + 1 + ext.len() + 1);
    let mut cut = room.min(stem.len());
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{prefix}-{}~{ext}", &stem[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_name_too_long_for_the_archive_is_shortened_and_archived() {
        let dir = tempfile::tempdir().unwrap();
        let inbox = dir.path().join("inbox");
        std::fs::create_dir_all(&inbox).unwrap();
        // 255 bytes: the most a file name may be, with multibyte letters in it.
        let name = format!("{}{}.pdf", "å".repeat(100), "x".repeat(51));
        assert_eq!(name.len(), 255);
        let file = inbox.join(&name);
        std::fs::write(&file, b"%PDF").unwrap();
        let prefix = "01JABCDEFGHJKMNPQRSTVWXYZ0";
        let dest = archive(&file, &dir.path().join("archive"), prefix).unwrap();
        let archived = dest.file_name().unwrap().to_str().unwrap();
        assert!(archived.len() <= 255, "{}", archived.len());
        assert!(archived.starts_with(&format!("{prefix}-åå")), "{archived}");
        assert!(archived.ends_with("~.pdf"), "{archived}");
        assert_eq!(std::fs::read(&dest).unwrap(), b"%PDF");
        assert!(!file.exists());
        // A name that fits is kept as it is.
        assert_eq!(archive_name("01J", "scan.pdf"), "01J-scan.pdf");
    }

    #[test]
    fn a_growing_file_is_not_ready() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("scan.png");
        std::fs::write(&f, b"abc").unwrap();
        let mut s = Stability::default();
        let t0 = Instant::now();
        s.observe(f.clone(), t0);
        std::fs::write(&f, b"abcdef").unwrap();
        // Changed since first seen: the clock restarts at t1.
        let t1 = t0 + Duration::from_millis(600);
        assert!(s.ready(t1, Duration::from_millis(500), 10).is_empty());
        assert_eq!(
            s.ready(
                t1 + Duration::from_millis(500),
                Duration::from_millis(500),
                10
            ),
            vec![f]
        );
        assert!(s.is_empty());
    }

    #[test]
    fn a_flood_is_taken_in_batches() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Stability::default();
        let t0 = Instant::now();
        for i in 0..5 {
            let f = dir.path().join(format!("scan-{i}.png"));
            std::fs::write(&f, b"x").unwrap();
            s.observe(f, t0);
        }
        let later = t0 + Duration::from_secs(1);
        let first = s.ready(later, Duration::from_millis(10), 2);
        assert_eq!(first.len(), 2);
        assert!(first[0].ends_with("scan-0.png"));
        assert_eq!(s.ready(later, Duration::from_millis(10), 2).len(), 2);
        assert_eq!(s.ready(later, Duration::from_millis(10), 2).len(), 1);
        assert!(s.is_empty());
    }

    #[test]
    fn partial_names_are_ignored() {
        let cfg = crate::config::Config::defaults();
        let pats = &cfg.watch.ignore;
        assert!(ignored(Path::new("/in/scan.pdf.part"), pats));
        assert!(ignored(Path::new("/in/.hidden.png"), pats));
        assert!(ignored(Path::new("/in/~lock.png"), pats));
        assert!(!ignored(Path::new("/in/scan.png"), pats));
    }
}
