//! PostgreSQL for tests: one throw-away cluster per test binary (`scripts/pg-server`,
//! started on first use and stopped when the binary exits, however it exits), and a
//! fresh database per test, so tests run in parallel without seeing each other.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use crate::config::database::PostgresUrl;

struct Cluster {
    /// `postgresql:///postgres?host=DIR&port=N&user=postgres`.
    url: String,
    _dir: PathBuf,
}

fn start() -> Result<Cluster, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pg-server");
    // Kept after this process (the script's watcher removes it once we are gone).
    let dir = tempfile::Builder::new()
        .prefix("mr-pg-")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    let out = std::process::Command::new("bash")
        .arg(&script)
        .arg("start")
        .arg(&dir)
        .arg(std::process::id().to_string())
        .output()
        .map_err(|e| format!("{}: {e}", script.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let url = stdout
        .lines()
        .find_map(|l| l.strip_prefix("PG_URL="))
        .filter(|_| out.status.success())
        .ok_or_else(|| {
            format!(
                "scripts/pg-server start failed (PostgreSQL comes from scripts/install-deps --test): {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
    Ok(Cluster {
        url: url.to_string(),
        _dir: dir,
    })
}

fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
    match CLUSTER.get_or_init(start) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    }
}

/// The URL of a new, empty database in this binary's cluster.
pub fn fresh_database() -> PostgresUrl {
    static N: AtomicUsize = AtomicUsize::new(0);
    let admin = cluster().url.clone();
    let name = format!("t{}", N.fetch_add(1, Ordering::Relaxed));
    let create = name.clone();
    // The client blocks on a runtime of its own: not on a test's async thread.
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&admin, postgres::NoTls)
            .unwrap_or_else(|e| panic!("connecting to the test cluster {admin}: {e}"));
        c.batch_execute(&format!("CREATE DATABASE {create}"))
            .unwrap_or_else(|e| panic!("CREATE DATABASE {create}: {e}"));
    })
    .join()
    .unwrap_or_else(|p| std::panic::resume_unwind(p));
    PostgresUrl::new(
        cluster()
            .url
            .replacen("/postgres?", &format!("/{name}?"), 1),
    )
}
