//! Content-addressed blob store: every original kept under its sha256, in a folder
//! (`blobs/ab/abcdef….bin`, the default) or in S3-compatible object storage
//! (`s3://bucket/prefix/ab/abcdef….bin`, `[blobs] url`).
//!
//! Folder: a blob is written to a temporary file, fsynced, renamed into place and the
//! folder fsynced. Object storage: a PUT that the server acknowledged. Either way, after
//! `put_file`/`put_bytes` return the bytes are durable, so the ledger row naming them
//! may commit. Writing a blob that exists is a no-op (same name, same bytes).
//!
//! Every read is checked against the name: bytes that do not hash to their sha256 (a
//! damaged disk, an object overwritten behind our back) are an `InvalidData` error that
//! names the blob, never bytes handed on. Nothing needs a blob as a local file: the
//! pipeline, the review UI and the sinks read bytes (the PDF tools get a scratch copy
//! from `text::pdf`), so object storage needs no local cache.
//!
//! The S3 client (object_store) is asynchronous; the store is called from plain
//! threads and from the web's blocking pool, so each blob store has a small runtime of
//! its own and callers wait on a channel (never `block_on`, which panics inside another
//! runtime).

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use object_store::{ObjectStore, ObjectStoreExt};
use sha2::{Digest, Sha256};

use crate::config::blobs::{BlobLocation, S3Location};

/// Uploads above this go in parts of this size (S3's minimum part is 5 MiB).
const PART_BYTES: usize = 8 * 1024 * 1024;

pub struct BlobStore {
    backend: Backend,
}

enum Backend {
    Folder { root: PathBuf },
    Object(ObjectBackend),
}

struct ObjectBackend {
    store: Arc<dyn ObjectStore>,
    bucket: String,
    prefix: String,
    /// `s3://bucket/prefix`, for messages.
    shown: String,
    /// Shut down in the background on drop: the last `Store` may be dropped on an
    /// async thread, where dropping a runtime the usual way panics.
    rt: Option<tokio::runtime::Runtime>,
}

impl Drop for ObjectBackend {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

fn damaged(shown: &str, sha256: &str, got: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("blob {sha256} in {shown} is damaged: its bytes hash to {got}; the ledger's copy cannot be trusted"),
    )
}

fn check_name(sha256: &str) -> std::io::Result<()> {
    if sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{sha256:?} is not a sha256"),
        ))
    }
}

impl BlobStore {
    /// The folder `root` (created when absent).
    pub fn open(root: &Path) -> std::io::Result<BlobStore> {
        let tmp = root.join("tmp");
        std::fs::create_dir_all(&tmp).map_err(|e| {
            std::io::Error::new(e.kind(), format!("cannot create {}: {e}", tmp.display()))
        })?;
        Ok(BlobStore {
            backend: Backend::Folder {
                root: root.to_path_buf(),
            },
        })
    }

    /// The configured location. Object storage is reached once here, so that a server
    /// that is down, a missing bucket or refused keys stop the start with a message
    /// instead of failing the first ingest.
    pub fn open_location(location: &BlobLocation) -> std::io::Result<BlobStore> {
        match location {
            BlobLocation::Folder(root) => BlobStore::open(root),
            BlobLocation::S3(s3) => Ok(BlobStore {
                backend: Backend::Object(ObjectBackend::open(s3)?),
            }),
        }
    }

    /// Where the folder backend keeps `sha256`; `None` for object storage (read the
    /// bytes with [`BlobStore::read`]).
    pub fn path(&self, sha256: &str) -> Option<PathBuf> {
        match &self.backend {
            Backend::Folder { root } => Some(folder_path(root, sha256)),
            Backend::Object(_) => None,
        }
    }

    /// `var/blobs` or `s3://bucket/prefix`, for messages.
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Folder { root } => root.display().to_string(),
            Backend::Object(o) => o.shown.clone(),
        }
    }

    /// Copy `src` in while hashing it (never the whole file in memory). Returns (sha256, size).
    pub fn put_file(&self, src: &Path) -> std::io::Result<(String, u64)> {
        match &self.backend {
            Backend::Folder { root } => folder_put_file(root, src),
            Backend::Object(o) => o.put_file(src),
        }
    }

    /// Store bytes already in memory (an email's attachment). Returns (sha256, size).
    pub fn put_bytes(&self, data: &[u8]) -> std::io::Result<(String, u64)> {
        let sha = hex::encode(Sha256::digest(data));
        match &self.backend {
            Backend::Folder { root } => {
                let dest = folder_path(root, &sha);
                if !dest.exists() {
                    std::fs::create_dir_all(dest.parent().unwrap())?;
                    write_atomic(&dest, data)?;
                }
            }
            Backend::Object(o) => o.put_bytes(&sha, data.to_vec())?,
        }
        Ok((sha, data.len() as u64))
    }

    /// The bytes of `sha256`, checked against it.
    pub fn read(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        check_name(sha256)?;
        let data = match &self.backend {
            Backend::Folder { root } => std::fs::read(folder_path(root, sha256))?,
            Backend::Object(o) => o.read(sha256)?,
        };
        let got = hex::encode(Sha256::digest(&data));
        if got != sha256 {
            return Err(damaged(&self.describe(), sha256, &got));
        }
        Ok(data)
    }
}

fn folder_path(root: &Path, sha256: &str) -> PathBuf {
    root.join(&sha256[..2]).join(format!("{sha256}.bin"))
}

fn folder_put_file(root: &Path, src: &Path) -> std::io::Result<(String, u64)> {
    let mut input = File::open(src)?;
    let tmp = root.join("tmp").join(format!("{}.part", ulid::Ulid::new()));
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
        let dest = folder_path(root, &sha);
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

/// sha256 and size of a file, read once in blocks.
fn hash_file(src: &Path) -> std::io::Result<(String, u64)> {
    let mut input = File::open(src)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), size))
}

impl ObjectBackend {
    fn open(s3: &S3Location) -> std::io::Result<ObjectBackend> {
        let shown = s3.url();
        let other = |m: String| std::io::Error::other(m);
        let creds = s3.credentials.as_ref().ok_or_else(|| {
            other(format!(
                "{shown}: no credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)"
            ))
        })?;
        let mut builder = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(&s3.bucket)
            .with_region(&s3.region)
            .with_access_key_id(&creds.access_key_id)
            .with_secret_access_key(&creds.secret_access_key)
            .with_virtual_hosted_style_request(!s3.path_style)
            // A few quick retries: a server that is down is reported within seconds,
            // and the caller (ingest, a worker, a dispatcher) retries later anyway.
            .with_retry(object_store::RetryConfig {
                backoff: object_store::BackoffConfig::default(),
                max_retries: 3,
                retry_timeout: std::time::Duration::from_secs(20),
            })
            .with_client_options(
                object_store::ClientOptions::new()
                    .with_connect_timeout(std::time::Duration::from_secs(5))
                    .with_timeout(std::time::Duration::from_secs(120)),
            );
        if let Some(token) = &creds.session_token {
            builder = builder.with_token(token);
        }
        if let Some(endpoint) = &s3.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        let store = builder
            .build()
            .map_err(|e| other(format!("{shown}: {e}")))?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("blobs")
            .enable_all()
            .build()?;
        let backend = ObjectBackend {
            store: Arc::new(store),
            bucket: s3.bucket.clone(),
            prefix: s3.prefix.clone(),
            shown,
            rt: Some(rt),
        };
        // Reach the bucket: a listing of (at most) the prefix's first level.
        let store = backend.store.clone();
        let prefix = backend.prefix_path();
        let at = s3.endpoint.as_deref().unwrap_or("AWS");
        backend
            .wait(async move { store.list_with_delimiter(Some(&prefix)).await.map(|_| ()) })
            .map_err(|e| {
                other(format!(
                    "cannot reach the blob store {} at {at}: {e}",
                    backend.shown
                ))
            })?;
        Ok(backend)
    }

    fn prefix_path(&self) -> object_store::path::Path {
        object_store::path::Path::from(self.prefix.as_str())
    }

    fn key(&self, sha256: &str) -> object_store::path::Path {
        let name = format!("{}/{sha256}.bin", &sha256[..2]);
        if self.prefix.is_empty() {
            object_store::path::Path::from(name)
        } else {
            object_store::path::Path::from(format!("{}/{name}", self.prefix))
        }
    }

    /// Run `fut` on this store's runtime and wait for it from any thread.
    fn wait<T: Send + 'static>(
        &self,
        fut: impl std::future::Future<Output = T> + Send + 'static,
    ) -> T {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let rt = self
            .rt
            .as_ref()
            .expect("the blob runtime lives as long as the store");
        rt.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().expect("the blob runtime finished the request")
    }

    fn io_error(
        &self,
        what: &str,
        key: &object_store::path::Path,
        e: object_store::Error,
    ) -> std::io::Error {
        let kind = match e {
            object_store::Error::NotFound { .. } => std::io::ErrorKind::NotFound,
            _ => std::io::ErrorKind::Other,
        };
        std::io::Error::new(kind, format!("{what} s3://{}/{key}: {e}", self.bucket))
    }

    /// Whether `key` exists (a HEAD request).
    fn exists(&self, key: &object_store::path::Path) -> std::io::Result<bool> {
        let store = self.store.clone();
        let k = key.clone();
        match self.wait(async move { store.head(&k).await }) {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(self.io_error("cannot look up", key, e)),
        }
    }

    fn put_bytes(&self, sha256: &str, data: Vec<u8>) -> std::io::Result<()> {
        let key = self.key(sha256);
        if self.exists(&key)? {
            return Ok(());
        }
        let store = self.store.clone();
        let k = key.clone();
        self.wait(async move { store.put(&k, data.into()).await })
            .map_err(|e| self.io_error("cannot write", &key, e))?;
        Ok(())
    }

    /// Hash the file, then upload it (in parts above [`PART_BYTES`]), hashing again on
    /// the way: a file that changed between the two reads is refused, not stored under
    /// a name its bytes do not have.
    fn put_file(&self, src: &Path) -> std::io::Result<(String, u64)> {
        let (sha, size) = hash_file(src)?;
        let key = self.key(&sha);
        if self.exists(&key)? {
            return Ok((sha, size));
        }
        let changed = || {
            std::io::Error::other(format!(
                "{} changed while it was being stored; it is stored on the next try",
                src.display()
            ))
        };
        let mut input = File::open(src)?;
        let mut hasher = Sha256::new();
        if size <= PART_BYTES as u64 {
            let mut data = Vec::with_capacity(size as usize);
            input.read_to_end(&mut data)?;
            hasher.update(&data);
            if hex::encode(hasher.finalize()) != sha {
                return Err(changed());
            }
            self.put_bytes(&sha, data)?;
            return Ok((sha, size));
        }
        let store = self.store.clone();
        let k = key.clone();
        let upload = self
            .wait(async move { store.put_multipart(&k).await })
            .map_err(|e| self.io_error("cannot start writing", &key, e))?;
        let mut writer = Some(object_store::WriteMultipart::new_with_chunk_size(
            upload, PART_BYTES,
        ));
        let result = (|| {
            loop {
                let mut part = Vec::with_capacity(PART_BYTES);
                (&mut input)
                    .take(PART_BYTES as u64)
                    .read_to_end(&mut part)?;
                if part.is_empty() {
                    break;
                }
                hasher.update(&part);
                // Parts are sent by tasks on the blob runtime, so the writer is only
                // touched there; at most two parts are in flight (memory stays bounded).
                let mut w = writer.take().expect("writer is put back after each part");
                let w = self.wait(async move {
                    w.put(part.into());
                    w.wait_for_capacity(2).await.map(|()| w)
                });
                writer = Some(w.map_err(|e| self.io_error("cannot write", &key, e))?);
            }
            if hex::encode(hasher.clone().finalize()) != sha {
                return Err(changed());
            }
            let w = writer.take().expect("writer is there until finished");
            self.wait(async move { w.finish().await })
                .map_err(|e| self.io_error("cannot finish writing", &key, e))?;
            Ok(())
        })();
        if result.is_err() {
            if let Some(w) = writer.take() {
                let _ = self.wait(async move { w.abort().await });
            }
        }
        result.map(|()| (sha, size))
    }

    fn read(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        let key = self.key(sha256);
        let store = self.store.clone();
        let k = key.clone();
        let bytes = self
            .wait(async move { store.get(&k).await?.bytes().await })
            .map_err(|e| self.io_error("cannot read", &key, e))?;
        Ok(bytes.to_vec())
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

    #[test]
    fn a_damaged_blob_is_an_error_never_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(&dir.path().join("blobs")).unwrap();
        let (sha, _) = store.put_bytes(b"the original").unwrap();
        std::fs::write(store.path(&sha).unwrap(), b"the original, changed").unwrap();
        let err = store.read(&sha).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        assert!(
            err.to_string().contains(&format!("blob {sha} in "))
                && err.to_string().contains("is damaged"),
            "{err}"
        );
        // A name that is not a sha256 is refused, not sliced.
        assert_eq!(
            store.read("ab").unwrap_err().kind(),
            std::io::ErrorKind::InvalidInput
        );
    }
}
