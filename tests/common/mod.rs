//! Shared helpers for the integration tests: a temporary mailroom installation
//! (config, inbox, var) and the real binaries.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const MAILROOM: &str = env!("CARGO_BIN_EXE_mailroom");
pub const SAMPLES: &str = env!("CARGO_BIN_EXE_mailroom-samples");

pub struct Install {
    pub dir: tempfile::TempDir,
}

impl Install {
    /// A fresh installation with `extra` appended to its config.
    pub fn new(extra: &str) -> Install {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let doctypes = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/doctypes");
        let config = format!(
            r#"[paths]
inbox = "{root}/inbox"
var_dir = "{root}/var"
archive = "{root}/var/archive"
doctypes = "{doctypes}"

[web]
listen = "127.0.0.1:0"

[watch]
rescan_interval_secs = 1
{stable}{extra}
"#,
            stable = if extra.contains("stable_ms") {
                ""
            } else {
                "stable_ms = 300\n"
            },
            root = root.display(),
            doctypes = doctypes.display(),
        );
        std::fs::write(root.join("mailroom.toml"), config).unwrap();
        std::fs::create_dir_all(root.join("inbox")).unwrap();
        Install { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn config(&self) -> PathBuf {
        self.path("mailroom.toml")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(MAILROOM);
        c.arg("--config").arg(self.config()).args(args);
        c.env("MAILROOM_LOG", "info");
        c
    }

    /// Run a mailroom command to completion and insist that it succeeded.
    pub fn ok(&self, args: &[&str]) -> Output {
        let out = self.command(args).output().unwrap();
        assert!(
            out.status.success(),
            "mailroom {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// `mailroom run` in the background, logging to `var/run-N.log`.
    pub fn spawn_run(&self, args: &[&str], log_name: &str) -> Child {
        std::fs::create_dir_all(self.path("var")).unwrap();
        let log = std::fs::File::create(self.path(&format!("var/{log_name}"))).unwrap();
        let mut c = self.command(&["run"]);
        c.args(args).stdout(Stdio::null()).stderr(log);
        c.spawn().unwrap()
    }

    pub fn run_to_idle(&self, timeout: Duration) -> Output {
        let mut child = self.spawn_run(&["--exit-when-idle"], "idle.log");
        let start = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                let log = std::fs::read_to_string(self.path("var/idle.log")).unwrap_or_default();
                assert!(status.success(), "mailroom run failed: {status}\n{log}");
                return Output {
                    status,
                    stdout: Vec::new(),
                    stderr: log.into_bytes(),
                };
            }
            if start.elapsed() > timeout {
                let _ = child.kill();
                let log = std::fs::read_to_string(self.path("var/idle.log")).unwrap_or_default();
                panic!("mailroom run did not finish within {timeout:?}\n{log}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Copy `files` into the inbox under their own names.
    pub fn fill_inbox(&self, files: &[PathBuf]) {
        for f in files {
            std::fs::copy(f, self.path("inbox").join(f.file_name().unwrap())).unwrap();
        }
    }

    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.path("var/mailroom.sqlite3")).unwrap()
    }

    /// (name, state, reason, duplicate_of) of every document, in ingest order.
    pub fn documents(&self) -> Vec<(String, String, Option<String>, Option<String>)> {
        let db = self.db();
        let mut st = db
            .prepare("SELECT name, state, reason, duplicate_of FROM documents ORDER BY seq")
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
    }

    pub fn outbox_files(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.path("var/outbox"))
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        v.retain(|p| p.extension().is_some_and(|e| e == "json"));
        v.sort();
        v
    }
}

/// Generate `count` synthetic invoices with ground truth into `dir`.
pub fn generate(dir: &Path, count: u32, seed: u64, extra: &[&str]) {
    let out = Command::new(SAMPLES)
        .arg("--out")
        .arg(dir)
        .args(["--count", &count.to_string(), "--seed", &seed.to_string()])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "generator failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Image files (not truth files) in `dir`, sorted.
pub fn images(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| !p.to_string_lossy().ends_with(".json"))
        .collect();
    v.sort();
    v
}

/// The generator's ground truth for `image` (its `NAME.truth.json` beside it).
pub fn truth_of(image: &Path) -> serde_json::Value {
    let stem = image.file_stem().unwrap().to_string_lossy();
    let path = image.with_file_name(format!("{stem}.truth.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `mailroom extract` output: one JSON document per line.
pub fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    std::str::from_utf8(&out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub const FINAL_STATES: &[&str] = &[
    "auto_posted",
    "in_review",
    "quarantined",
    "duplicate",
    "posted",
    "rejected",
];

pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// A one-page PDF, with `xml` embedded as `name` the way PDF/A-3 e-invoices carry it
/// (an `/EmbeddedFiles` name tree entry and the catalogue's `/AF`), or with nothing
/// embedded when `name` is `None`.
pub fn pdf_with_attachment(name: Option<&str>, xml: &[u8]) -> Vec<u8> {
    use lopdf::{dictionary, Document, Object, Stream};
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1 },
        ),
    );
    let mut catalog = dictionary! { "Type" => "Catalog", "Pages" => pages_id };
    if let Some(name) = name {
        let mut stream = Stream::new(
            dictionary! { "Type" => "EmbeddedFile", "Subtype" => "text/xml" },
            xml.to_vec(),
        );
        stream.compress().unwrap();
        let file_id = doc.add_object(stream);
        let spec_id = doc.add_object(dictionary! {
            "Type" => "Filespec",
            "F" => Object::string_literal(name),
            "UF" => Object::string_literal(name),
            "EF" => dictionary! { "F" => file_id },
            "AFRelationship" => "Alternative",
        });
        catalog.set(
            "Names",
            dictionary! { "EmbeddedFiles" => dictionary! { "Names" => vec![Object::string_literal(name), spec_id.into()] } },
        );
        catalog.set("AF", vec![Object::from(spec_id)]);
    }
    let catalog_id = doc.add_object(catalog);
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}
