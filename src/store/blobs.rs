//! Content-addressed blob store: `blobs/ab/abcdef….bin` under the file's sha256.
//!
//! A blob is written to a temporary file, fsynced, renamed into place and the folder
//! fsynced: after `put_file` returns the bytes survive a crash or power loss. Writing a
//! blob that exists is a no-op (same name, same bytes).

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub struct BlobStore {
    root: PathBuf,
}

impl BlobStore {
    pub fn open(root: &Path) -> std::io::Result<BlobStore> {
        let tmp = root.join("tmp");
        std::fs::create_dir_all(&tmp).map_err(|e| {
            std::io::Error::new(e.kind(), format!("cannot create {}: {e}", tmp.display()))
        })?;
        Ok(BlobStore {
            root: root.to_path_buf(),
        })
    }

    pub fn path(&self, sha256: &str) -> PathBuf {
        self.root.join(&sha256[..2]).join(format!("{sha256}.bin"))
    }

    /// Copy `src` in while hashing it (never the whole file in memory). Returns (sha256, size).
    pub fn put_file(&self, src: &Path) -> std::io::Result<(String, u64)> {
        let mut input = File::open(src)?;
        let tmp = self
            .root
            .join("tmp")
            .join(format!("{}.part", ulid::Ulid::new()));
        let result = (|| {
            let mut out = File::create(&tmp)?;
            let mut hasher = Sha256::new();
            let mut buf = vec![0u8; 256 * 1024];
            let mut size = 0u64;
            loop {
                let n = input.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                out.write_all(&buf[..n])?;
                size += n as u64;
            }
            out.sync_all()?;
            let sha = hex::encode(hasher.finalize());
            let dest = self.path(&sha);
            let dir = dest.parent().unwrap();
            std::fs::create_dir_all(dir)?;
            if dest.exists() {
                std::fs::remove_file(&tmp)?;
            } else {
                std::fs::rename(&tmp, &dest)?;
                File::open(dir)?.sync_all()?;
            }
            Ok((sha, size))
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    /// Store bytes already in memory (an email's attachment). Returns (sha256, size).
    pub fn put_bytes(&self, data: &[u8]) -> std::io::Result<(String, u64)> {
        let sha = hex::encode(Sha256::digest(data));
        let dest = self.path(&sha);
        if !dest.exists() {
            std::fs::create_dir_all(dest.parent().unwrap())?;
            write_atomic(&dest, data)?;
        }
        Ok((sha, data.len() as u64))
    }

    pub fn read(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        std::fs::read(self.path(sha256))
    }
}

/// Write `bytes` to `dest` atomically: temp file beside it, fsync, rename, fsync folder.
pub fn write_atomic(dest: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        dest.file_name().unwrap_or_default().to_string_lossy(),
        ulid::Ulid::new()
    ));
    let mut f = File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, dest)?;
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_under_sha256_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(&dir.path().join("blobs")).unwrap();
        let src = dir.path().join("in.bin");
        std::fs::write(&src, b"hello").unwrap();
        let (sha, size) = store.put_file(&src).unwrap();
        assert_eq!(
            sha,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(size, 5);
        assert_eq!(store.read(&sha).unwrap(), b"hello");
        assert_eq!(store.put_file(&src).unwrap().0, sha);
        // No temp files left behind.
        assert_eq!(
            std::fs::read_dir(dir.path().join("blobs/tmp"))
                .unwrap()
                .count(),
            0
        );
    }
}
