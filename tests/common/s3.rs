//! A throw-away S3-compatible server for the tests that put blobs in a bucket:
//! s3s-fs, started by `scripts/s3-server` on a free port with a data folder of its own
//! (installed by `scripts/install-deps --test`), stopped on drop.

use std::path::PathBuf;

use object_store::{ObjectStore, ObjectStoreExt};
use sha2::{Digest, Sha256};

use super::Install;

/// The keys `scripts/s3-server` starts s3s-fs with.
pub const ACCESS_KEY: &str = "mailroom-test";
pub const SECRET_KEY: &str = "mailroom-test-secret";

pub struct S3Server {
    dir: tempfile::TempDir,
    pub endpoint: String,
    pub port: String,
}

impl S3Server {
    /// A server with the bucket `mailroom`, empty.
    pub fn start() -> S3Server {
        let dir = tempfile::Builder::new().prefix("mr-s3-").tempdir().unwrap();
        let mut s = S3Server {
            dir,
            endpoint: String::new(),
            port: String::new(),
        };
        s.up(None);
        s
    }

    /// Start (again, on `port` when given) on the same data.
    pub fn up(&mut self, port: Option<&str>) {
        let env: Vec<(&str, &str)> = port.map(|p| ("S3_PORT", p)).into_iter().collect();
        let keys = super::start_service(
            "s3-server",
            self.dir.path(),
            &env,
            "S3_ENDPOINT",
            "s3s-fs comes from scripts/install-deps --test",
        );
        self.endpoint = keys["S3_ENDPOINT"].clone();
        self.port = self.endpoint.rsplit(':').next().unwrap().to_string();
    }

    pub fn down(&self) {
        assert!(super::stop_service("s3-server", self.dir.path()));
    }

    /// A client of the bucket `mailroom`, as any S3 tool would be.
    pub fn client(&self) -> object_store::aws::AmazonS3 {
        object_store::aws::AmazonS3Builder::new()
            .with_bucket_name("mailroom")
            .with_region("us-east-1")
            .with_endpoint(&self.endpoint)
            .with_allow_http(true)
            .with_access_key_id(ACCESS_KEY)
            .with_secret_access_key(SECRET_KEY)
            .build()
            .unwrap()
    }

    /// An AWS credentials file with the server's keys, written in `inst`.
    pub fn credentials_file(&self, inst: &Install) -> PathBuf {
        let creds = inst.path("aws-credentials");
        std::fs::write(
            &creds,
            format!(
                "[default]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"
            ),
        )
        .unwrap();
        creds
    }

    /// The `[blobs]` section that puts `inst`'s blobs in `s3://mailroom/<prefix>`,
    /// replacing any it had, with the keys in a credentials file.
    pub fn use_for_blobs(&self, inst: &Install, prefix: &str) {
        let creds = self.credentials_file(inst);
        let config = std::fs::read_to_string(inst.config()).unwrap();
        let config = match config.find("\n[blobs]") {
            Some(i) => config[..i].to_string(),
            None => config,
        };
        std::fs::write(
            inst.config(),
            format!(
                "{config}\n[blobs]\nurl = \"s3://mailroom/{prefix}\"\nendpoint = \"{}\"\ncredentials_file = \"{}\"\n",
                self.endpoint,
                creds.display()
            ),
        )
        .unwrap();
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        super::stop_service("s3-server", self.dir.path());
    }
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Every object under `prefix/` (two levels: `ab/abcdef….bin`), by key.
pub fn objects(client: &object_store::aws::AmazonS3, prefix: &str) -> Vec<String> {
    rt().block_on(async {
        let mut keys = Vec::new();
        let top = client
            .list_with_delimiter(Some(&prefix.into()))
            .await
            .unwrap();
        assert!(top.objects.is_empty(), "objects directly under {prefix}/");
        for dir in top.common_prefixes {
            let level = client.list_with_delimiter(Some(&dir)).await.unwrap();
            keys.extend(level.objects.into_iter().map(|o| o.location.to_string()));
        }
        keys.sort();
        keys
    })
}

pub fn get(client: &object_store::aws::AmazonS3, key: &str) -> Vec<u8> {
    rt().block_on(async {
        client
            .get(&key.into())
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .to_vec()
    })
}

pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
