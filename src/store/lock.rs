//! One `mailroom run` per ledger.
//!
//! A run recovers what a previous run left in `processing`, claims work and sends
//! deliveries; a second run on the same `var` directory would reset the first one's
//! documents in flight and send their deliveries twice. So `run` takes an exclusive
//! lock on `var/mailroom.lock` before it touches the ledger, and holds it for its whole
//! life. The lock is the kernel's (`flock`), so it goes with the process however that
//! ends, SIGKILL included, and a stale file never blocks a start. The file holds the
//! holder's pid, for the message a refused start prints. `mailroom serve` (the web
//! side alone) and the one-shot commands do not take it.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// Held for as long as the run lives; dropping it (or the process ending) releases it.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
    pub path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another `mailroom run`{holder} is already working on the ledger in {dir}: stop it \
         first (for the review UI alone beside it, use `mailroom serve`)"
    )]
    Held { dir: PathBuf, holder: String },
    #[error("cannot lock {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl RunLock {
    /// Takes the lock of `var_dir`, creating the folder if needed, or says who holds it.
    pub fn acquire(var_dir: &Path) -> Result<RunLock, LockError> {
        let path = var_dir.join("mailroom.lock");
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(var_dir).map_err(|source| LockError::Io {
            path: var_dir.to_path_buf(),
            source,
        })?;
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        // SAFETY: flock on a file descriptor this function owns; no memory is shared.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let pid = pid.trim();
                return Err(LockError::Held {
                    dir: var_dir.to_path_buf(),
                    holder: if pid.is_empty() {
                        String::new()
                    } else {
                        format!(" (pid {pid})")
                    },
                });
            }
            return Err(io(err));
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        write!(file, "{}", std::process::id()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(RunLock { _file: file, path })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let var = dir.path().join("var");
        let first = RunLock::acquire(&var).unwrap();
        // flock conflicts between open files even within one process.
        let err = RunLock::acquire(&var).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, LockError::Held { .. }), "{msg}");
        assert!(msg.contains(&var.display().to_string()), "{msg}");
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        drop(first);
        RunLock::acquire(&var).expect("free again once the holder is gone");
    }

    #[test]
    fn a_var_dir_that_is_a_file_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let var = dir.path().join("var");
        std::fs::write(&var, "not a folder").unwrap();
        let msg = RunLock::acquire(&var).unwrap_err().to_string();
        assert!(msg.contains(&var.display().to_string()), "{msg}");
    }
}
