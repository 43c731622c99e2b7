//! Shared helpers for the integration tests: a temporary mailroom installation
//! (config, inbox, var) and the real binaries.

#![allow(dead_code)]

pub mod s3;
pub mod web;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const MAILROOM: &str = env!("CARGO_BIN_EXE_mailroom");
pub const SAMPLES: &str = env!("CARGO_BIN_EXE_mailroom-samples");

/// A ledger row as the tests look at it: name, state, reason, duplicate of.
pub type DocumentRow = (String, String, Option<String>, Option<String>);

pub struct Install {
    pub dir: tempfile::TempDir,
    /// The PostgreSQL ledger's URL when the suite runs on PostgreSQL
    /// ([`test_database`]); `None`: the SQLite file in `var`.
    pub database: Option<String>,
}

/// `MAILROOM_TEST_DATABASE=postgres` (`scripts/test`): the integration tests that
/// build an [`Install`] run their binaries on a database of their own in this test
/// binary's throw-away PostgreSQL cluster instead of the SQLite file in `var`.
pub fn on_postgres() -> bool {
    std::env::var("MAILROOM_TEST_DATABASE").is_ok_and(|v| v == "postgres")
}

/// A fresh PostgreSQL database for an installation, when the suite runs on it.
pub fn test_database() -> Option<String> {
    on_postgres().then(|| {
        mailroom::testing::postgres::fresh_database()
            .secret()
            .to_string()
    })
}

/// One value bound to a query of [`Install::sql`] / [`Install::query`].
pub enum Arg<'a> {
    Text(&'a str),
    Int(i64),
}

/// A ledger value read back by [`Install::query`]: text, or an integer as text.
pub type Cell = Option<String>;

impl Install {
    /// A fresh installation with `extra` appended to its config (a line setting
    /// `undo_secs` goes into its `[web]` table).
    pub fn new(extra: &str) -> Install {
        Install::build(extra, test_database())
    }

    /// [`Install::new`] on the SQLite file in `var` whatever the suite runs on: for
    /// what only SQLite does (one run per ledger, the file itself).
    pub fn sqlite(extra: &str) -> Install {
        Install::build(extra, None)
    }

    fn build(extra: &str, database: Option<String>) -> Install {
        let (web, rest): (Vec<&str>, Vec<&str>) =
            extra.lines().partition(|l| l.starts_with("undo_secs"));
        let (web, extra) = (web.join("\n"), rest.join("\n"));
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // On PostgreSQL unless the test chose its own ledger.
        let database = database.filter(|_| !extra.contains("[database]"));
        let extra = match &database {
            Some(url) => format!("{extra}\n[database]\nurl = \"{url}\"\n"),
            None => extra,
        };
        let doctypes = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/doctypes");
        let config = format!(
            r#"[paths]
inbox = "{root}/inbox"
var_dir = "{root}/var"
archive = "{root}/var/archive"
doctypes = "{doctypes}"

[web]
listen = "127.0.0.1:0"
{web}

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
        Install { dir, database }
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

    /// The SQLite ledger file, for a test that looks at the file itself.
    pub fn db(&self) -> rusqlite::Connection {
        assert!(
            self.database.is_none(),
            "this test reads the SQLite file; use Install::sql/query on PostgreSQL"
        );
        rusqlite::Connection::open(self.path("var/mailroom.sqlite3")).unwrap()
    }

    /// The ledger as the binaries see it (SQLite file or PostgreSQL), opened in the
    /// test for a direct look or a change.
    pub fn store(&self) -> mailroom::store::Store {
        let cfg = mailroom::config::Config::load(&self.config(), true).unwrap();
        mailroom::store::Store::open_config(&cfg).unwrap()
    }

    /// Run `sql` (SQLite's dialect, `?N` placeholders) on the ledger, whichever engine
    /// keeps it; rows changed.
    pub fn sql(&self, sql: &str, args: &[Arg<'_>]) -> usize {
        match &self.database {
            None => {
                let db = self.db();
                let values: Vec<rusqlite::types::Value> = args.iter().map(sqlite_value).collect();
                db.execute(sql, rusqlite::params_from_iter(values)).unwrap()
            }
            Some(url) => {
                let (text, values) = postgres_query(sql, args);
                let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    values.iter().map(|v| v.as_ref()).collect();
                c.execute(&text, &refs)
                    .unwrap_or_else(|e| panic!("{text}: {e}")) as usize
            }
        }
    }

    /// The rows of `sql` on the ledger, each column as text (`None` for NULL).
    pub fn query(&self, sql: &str, args: &[Arg<'_>]) -> Option<Vec<Vec<Cell>>> {
        match &self.database {
            None => {
                let db = self.db();
                let values: Vec<rusqlite::types::Value> = args.iter().map(sqlite_value).collect();
                let mut st = db.prepare(sql).ok()?;
                let n = st.column_count();
                let rows = st
                    .query_map(rusqlite::params_from_iter(values), |r| {
                        (0..n)
                            .map(|i| {
                                Ok(match r.get_ref(i)? {
                                    rusqlite::types::ValueRef::Null => None,
                                    rusqlite::types::ValueRef::Integer(v) => Some(v.to_string()),
                                    rusqlite::types::ValueRef::Real(v) => Some(v.to_string()),
                                    rusqlite::types::ValueRef::Text(t)
                                    | rusqlite::types::ValueRef::Blob(t) => {
                                        Some(String::from_utf8_lossy(t).into_owned())
                                    }
                                })
                            })
                            .collect::<rusqlite::Result<Vec<Cell>>>()
                    })
                    .ok()?
                    .collect::<Result<Vec<_>, _>>()
                    .ok()?;
                Some(rows)
            }
            Some(url) => {
                let (text, values) = postgres_query(sql, args);
                let mut c = postgres::Client::connect(url, postgres::NoTls).ok()?;
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    values.iter().map(|v| v.as_ref()).collect();
                let rows = c.query(&text, &refs).ok()?;
                use mailroom::store::db::Value;
                Some(
                    rows.iter()
                        .map(|r| {
                            (0..r.len())
                                .map(|i| match r.get::<_, Value>(i) {
                                    Value::Null => None,
                                    Value::Int(v) => Some(v.to_string()),
                                    Value::Real(v) => Some(v.to_string()),
                                    Value::Text(t) => Some(t),
                                    Value::Blob(b) => {
                                        Some(String::from_utf8_lossy(&b).into_owned())
                                    }
                                })
                                .collect()
                        })
                        .collect(),
                )
            }
        }
    }

    /// The single integer `sql` selects.
    pub fn count(&self, sql: &str, args: &[Arg<'_>]) -> i64 {
        let rows = self.query(sql, args).expect("the ledger answers");
        rows[0][0].as_deref().unwrap_or("0").parse().unwrap()
    }

    /// (name, state, reason, duplicate_of) of every document, in ingest order.
    pub fn documents(&self) -> Vec<DocumentRow> {
        self.try_documents()
            .expect("the ledger has its documents table")
    }

    /// The documents, or `None` while the ledger is not there yet or its schema is
    /// still being created by a starting `mailroom run`.
    pub fn try_documents(&self) -> Option<Vec<DocumentRow>> {
        if self.database.is_none() && !self.path("var/mailroom.sqlite3").exists() {
            return None;
        }
        let rows = self.query(
            "SELECT name, state, reason, duplicate_of FROM documents ORDER BY seq",
            &[],
        )?;
        Some(
            rows.into_iter()
                .map(|mut r| {
                    let dup = r.pop().flatten();
                    let reason = r.pop().flatten();
                    let state = r.pop().flatten().unwrap_or_default();
                    let name = r.pop().flatten().unwrap_or_default();
                    (name, state, reason, dup)
                })
                .collect(),
        )
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

fn sqlite_value(a: &Arg<'_>) -> rusqlite::types::Value {
    match a {
        Arg::Text(t) => rusqlite::types::Value::Text(t.to_string()),
        Arg::Int(i) => rusqlite::types::Value::Integer(*i),
    }
}

/// `sql` in PostgreSQL's dialect (as the store rewrites its own) and its values.
fn postgres_query(
    sql: &str,
    args: &[Arg<'_>],
) -> (String, Vec<Box<dyn postgres::types::ToSql + Sync>>) {
    let values = args
        .iter()
        .map(|a| -> Box<dyn postgres::types::ToSql + Sync> {
            match a {
                Arg::Text(t) => Box::new(t.to_string()),
                Arg::Int(i) => Box::new(*i),
            }
        })
        .collect();
    (mailroom::store::db::to_postgres(sql), values)
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

/// `mailroom extract` on `files` (with `config` when given): one JSON value per file, in
/// argument order, a typed document or `{"file", "error"}` for a file it refused. Fails
/// the test when a file has no line of output (the command died).
pub fn extract(files: &[&Path], config: Option<&Path>) -> Vec<serde_json::Value> {
    let mut cmd = Command::new(MAILROOM);
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    let out = cmd.arg("extract").args(files).output().unwrap();
    let docs = json_lines(&out);
    assert_eq!(
        docs.len(),
        files.len(),
        "mailroom extract {files:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    docs
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
    pdf(vec![PdfPage::Text(Vec::new())], name.map(|n| (n, xml)))
}

/// One page of a PDF built by [`pdf`].
pub enum PdfPage {
    /// A content stream drawing text in /F1 (Helvetica, WinAnsi); see [`pdf_string`].
    Text(Vec<u8>),
    /// A text page (as [`PdfPage::Text`]) with an 8-bit grey picture of `width` x
    /// `height` pixels (Flate) placed at `place` = `[x, y, w, h]` in points from the
    /// bottom left: a born-digital invoice with its logo or payment QR code.
    TextAndImage {
        text: Vec<u8>,
        data: Vec<u8>,
        width: u32,
        height: u32,
        place: [f64; 4],
    },
    /// A JPEG placed over the whole page at `dpi`, the way a scanner stores a page.
    Jpeg {
        data: Vec<u8>,
        width: u32,
        height: u32,
        dpi: u32,
    },
    /// An 8-bit grey image stored Flate-compressed, `width` x `height` pixels at `dpi`.
    /// A 1-bit image when `bits` is 1 (its rows packed, as `data`).
    Raw {
        data: Vec<u8>,
        width: u32,
        height: u32,
        bits: u8,
        dpi: u32,
    },
}

/// A PDF literal string in WinAnsi encoding (Latin-1 letters kept), escaped.
pub fn pdf_string(s: &str) -> Vec<u8> {
    let mut out = vec![b'('];
    for c in s.chars() {
        let b = if (c as u32) < 256 {
            c as u32 as u8
        } else {
            b'?'
        };
        if matches!(b, b'(' | b')' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b')');
    out
}

/// A PDF of `pages` (A4 text pages; image pages sized by their pixels and dpi), with
/// `attachment` embedded the way PDF/A-3 e-invoices carry their XML.
pub fn pdf(pages: Vec<PdfPage>, attachment: Option<(&str, &[u8])>) -> Vec<u8> {
    use lopdf::{dictionary, Document, Object, Stream};
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let mut kids: Vec<Object> = Vec::new();
    for page in pages {
        let (content, size, resources) = match page {
            PdfPage::Text(ops) => (
                ops,
                (595.0, 842.0),
                dictionary! { "Font" => dictionary! { "F1" => font_id } },
            ),
            PdfPage::TextAndImage {
                text,
                data,
                width,
                height,
                place: [x, y, w, h],
            } => {
                let mut s = Stream::new(
                    dictionary! {
                        "Type" => "XObject", "Subtype" => "Image", "Width" => width as i64,
                        "Height" => height as i64, "ColorSpace" => "DeviceGray",
                        "BitsPerComponent" => 8,
                    },
                    data,
                );
                s.compress().unwrap();
                let image_id = doc.add_object(s);
                let mut ops = text;
                ops.extend(format!("\nq {w:.3} 0 0 {h:.3} {x:.3} {y:.3} cm /Im0 Do Q\n").bytes());
                (
                    ops,
                    (595.0, 842.0),
                    dictionary! {
                        "Font" => dictionary! { "F1" => font_id },
                        "XObject" => dictionary! { "Im0" => image_id },
                    },
                )
            }
            image => {
                let (stream, width, height, dpi) = match image {
                    PdfPage::Jpeg {
                        data,
                        width,
                        height,
                        dpi,
                    } => (
                        Stream::new(
                            dictionary! {
                                "Type" => "XObject", "Subtype" => "Image", "Width" => width as i64,
                                "Height" => height as i64, "ColorSpace" => "DeviceGray",
                                "BitsPerComponent" => 8, "Filter" => "DCTDecode",
                            },
                            data,
                        ),
                        width,
                        height,
                        dpi,
                    ),
                    PdfPage::Raw {
                        data,
                        width,
                        height,
                        bits,
                        dpi,
                    } => {
                        let mut s = Stream::new(
                            dictionary! {
                                "Type" => "XObject", "Subtype" => "Image", "Width" => width as i64,
                                "Height" => height as i64, "ColorSpace" => "DeviceGray",
                                "BitsPerComponent" => bits as i64,
                            },
                            data,
                        );
                        s.compress().unwrap();
                        (s, width, height, dpi)
                    }
                    PdfPage::Text(_) | PdfPage::TextAndImage { .. } => unreachable!(),
                };
                let image_id = doc.add_object(stream);
                let (w, h) = (
                    width as f64 * 72.0 / dpi as f64,
                    height as f64 * 72.0 / dpi as f64,
                );
                (
                    format!("q {w:.3} 0 0 {h:.3} 0 0 cm /Im0 Do Q").into_bytes(),
                    (w, h),
                    dictionary! { "XObject" => dictionary! { "Im0" => image_id } },
                )
            }
        };
        let content_id = doc.add_object(Stream::new(dictionary! {}, content));
        kids.push(
            doc.add_object(dictionary! {
                "Type" => "Page",
                "Parent" => pages_id,
                "MediaBox" => vec![0.into(), 0.into(), Object::Real(size.0 as f32), Object::Real(size.1 as f32)],
                "Resources" => resources,
                "Contents" => content_id,
            })
            .into(),
        );
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let mut catalog = dictionary! { "Type" => "Catalog", "Pages" => pages_id };
    if let Some((name, xml)) = attachment {
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

/// Text at (x, y) in pixels of a 300 dpi A4 page, as `1 0 0 1 x y Tm (text) Tj`.
pub fn at(x: u32, y: u32, size: u32, text: &str) -> Vec<u8> {
    let pt = |px: u32| px as f64 * 72.0 / 300.0;
    let mut v = format!(
        "/F1 {size} Tf 1 0 0 1 {:.2} {:.2} Tm ",
        pt(x),
        842.0 - pt(y) - size as f64 * 0.8
    )
    .into_bytes();
    v.extend(pdf_string(text));
    v.extend(b" Tj\n");
    v
}

/// The clean Danish invoice of the extractor's unit tests, as a born-digital page. The
/// left column is drawn the way Ghostscript writes text, line after line with the `'`
/// (next line, show) and `"` (spacing, next line, show) operators.
pub fn invoice_page() -> Vec<u8> {
    let mut c = b"BT\n/F1 14 Tf 14.4 TL 1 0 0 1 36 795 Tm ".to_vec();
    c.extend(pdf_string("Nordlys Kontorartikler ApS"));
    c.extend(b" Tj\n/F1 10 Tf ");
    c.extend(pdf_string("Vestergade 12, 8000 Aarhus C"));
    c.extend(b" '\n1 0 0 1 36 738 Tm ");
    c.extend(pdf_string("Modtager:"));
    c.extend(b" Tj\n0 0 ");
    c.extend(pdf_string("Fjordside Tømrer A/S"));
    c.extend(b" \"\n");
    for (x, y, size, text) in [
        (1500, 150, 14, "FAKTURA"),
        (1400, 400, 10, "Fakturanr.:"),
        (1900, 400, 10, "2024-118"),
        (1400, 460, 10, "Fakturadato:"),
        (1900, 460, 10, "14. marts 2024"),
        (1400, 520, 10, "Forfaldsdato:"),
        (1900, 520, 10, "13.04.2024"),
        (150, 1000, 10, "Beskrivelse"),
        (1200, 1000, 10, "Antal"),
        (1600, 1000, 10, "Pris"),
        (2000, 1000, 10, "Beløb"),
        (150, 1060, 10, "Toner sort"),
        (1200, 1060, 10, "2"),
        (1600, 1060, 10, "49,00"),
        (2000, 1060, 10, "98,00"),
        (1400, 2400, 10, "Subtotal"),
        (1950, 2400, 10, "1.234,50 kr."),
        (1400, 2460, 10, "Moms 25%"),
        (1950, 2460, 10, "308,63 kr."),
        (1400, 2520, 10, "I alt"),
        (1950, 2520, 10, "1.543,13 kr."),
        (1300, 3200, 10, "CVR-nr. 12345674"),
    ] {
        c.extend(at(x, y, size, text));
    }
    // The footer again line by line with `'`.
    c.extend(b"/F1 10 Tf 12 TL 1 0 0 1 36 70 Tm ");
    c.extend(pdf_string("IBAN: DK50 0040 0440 1162 43"));
    c.extend(b" Tj\n");
    c.extend(pdf_string("Nordlys Kontorartikler ApS · Vestergade 12"));
    c.extend(b" '\nET\n");
    c
}

/// A one-page text PDF of a till slip that also calls itself a tax invoice: invoice and
/// receipt cues alike, so the classifier cannot call it.
pub fn tie_slip_pdf() -> Vec<u8> {
    let mut page = b"BT\n".to_vec();
    for (i, line) in [
        "TAX INVOICE",
        "Receipt",
        "Invoice no A-1001",
        "CASH 20.00",
        "CHANGE 2.50",
        "TOTAL 17.50",
    ]
    .iter()
    .enumerate()
    {
        page.extend(at(150, 200 + 80 * i as u32, 12, line));
    }
    page.extend(b"ET\n");
    pdf(vec![PdfPage::Text(page)], None)
}

/// The check with `code` in a typed document's JSON; panics naming the code when absent.
pub fn find_check<'a>(doc: &'a serde_json::Value, code: &str) -> &'a serde_json::Value {
    doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == code)
        .unwrap_or_else(|| panic!("no {code} check in {doc}"))
}

/// Starts a throw-away service with `scripts/SCRIPT start DIR` (environment `env`
/// added) and returns the `KEY=VALUE` words of the last line of its output that
/// starts with `first_key=`. Fails the test with the script's output, naming where the
/// service comes from (`installed_by`), when the script fails.
pub fn start_service(
    script: &str,
    dir: &Path,
    env: &[(&str, &str)],
    first_key: &str,
    installed_by: &str,
) -> std::collections::HashMap<String, String> {
    let out = Command::new("bash")
        .arg(service_script(script))
        .arg("start")
        .arg(dir)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "scripts/{script} start failed ({installed_by}): {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .rfind(|l| l.starts_with(&format!("{first_key}=")))
        .unwrap_or_else(|| panic!("scripts/{script} start printed no {first_key}=: {stdout}"));
    line.split_whitespace()
        .filter_map(|w| w.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Stops a service [`start_service`] started (`scripts/SCRIPT stop DIR`): whether the
/// script succeeded.
pub fn stop_service(script: &str, dir: &Path) -> bool {
    Command::new("bash")
        .arg(service_script(script))
        .arg("stop")
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success())
}

fn service_script(script: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join(script)
}
