//! Configuration: `config/mailroom.toml` and the document types under `config/doctypes/`.
//!
//! Two phases, as in Vector and ripgrep: serde structs that mirror the file (`raw`),
//! then a pure validation into the [`Config`] the stages use. Every error names the file,
//! the key and what is wrong. A missing main config file means "embedded defaults".

pub mod blobs;
pub mod database;
pub mod doctype;
pub mod mailboxes;
pub mod sinks;
pub mod sources;

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use doctype::{DocType, FieldKind, FieldSpec};
pub use sinks::{RetryPolicy, SinkConfig, SinkKind};

/// The default configuration file, embedded so `mailroom` runs anywhere.
pub const DEFAULT_CONFIG_TOML: &str = include_str!("../../config/mailroom.toml");
/// Where the document types and the calibration table are looked for when the config
/// does not name them (the built-ins are used when these do not exist).
const DEFAULT_DOCTYPES: &str = "config/doctypes";
const DEFAULT_CALIBRATION: &str = "models/calibration.json";
const DEFAULT_RANKER: &str = "models/ranker.json";

/// The shipped confidence calibration, used when `paths.calibration` is not named and
/// the default file does not exist.
pub const BUILTIN_CALIBRATION: &str = include_str!("../../models/calibration.json");
/// The shipped ranking model, used when `paths.ranker` is not named and the default
/// file does not exist.
pub const BUILTIN_RANKER: &str = include_str!("../../models/ranker.json");
/// The built-in document types, used when the doctypes folder does not exist.
pub const BUILTIN_DOCTYPES: &[(&str, &str)] = &[
    (
        "bank_confirmation.toml",
        include_str!("../../config/doctypes/bank_confirmation.toml"),
    ),
    (
        "invoice.toml",
        include_str!("../../config/doctypes/invoice.toml"),
    ),
    (
        "payroll_change.toml",
        include_str!("../../config/doctypes/payroll_change.toml"),
    ),
    (
        "receipt.toml",
        include_str!("../../config/doctypes/receipt.toml"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: key `{key}`: {message}")]
    Invalid {
        path: PathBuf,
        key: String,
        message: String,
    },
}

mod raw {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct File {
        #[serde(default)]
        pub paths: Paths,
        #[serde(default)]
        pub watch: Watch,
        #[serde(default)]
        pub ocr: Ocr,
        #[serde(default)]
        pub workers: Workers,
        #[serde(default)]
        pub limits: Limits,
        #[serde(default)]
        pub sinks: Vec<super::sinks::raw::Sink>,
        #[serde(default)]
        pub web: Web,
        #[serde(default)]
        pub email: Email,
        #[serde(default)]
        pub mailboxes: Vec<super::mailboxes::raw::Mailbox>,
        #[serde(default)]
        pub pdf: Pdf,
        #[serde(default)]
        pub vendors: Vendors,
        #[serde(default)]
        pub blobs: super::blobs::raw::Blobs,
        #[serde(default)]
        pub database: super::database::raw::Database,
    }

    #[derive(Debug, Deserialize, Default)]
    #[serde(deny_unknown_fields, default)]
    pub struct Vendors {
        pub auto_post: super::VendorAutoPost,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    pub struct Pdf {
        pub embedded_einvoice: bool,
        pub passwords: Vec<String>,
        pub passwords_file: Option<PathBuf>,
        pub passwords_env: Option<String>,
    }
    impl Default for Pdf {
        fn default() -> Self {
            Pdf {
                embedded_einvoice: true,
                passwords: Vec::new(),
                passwords_file: None,
                passwords_env: None,
            }
        }
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    pub struct Email {
        pub min_inline_image_pixels: u64,
        pub max_depth: u32,
        pub without_documents: String,
    }
    impl Default for Email {
        fn default() -> Self {
            Email {
                min_inline_image_pixels: 250_000,
                max_depth: 5,
                without_documents: "body".into(),
            }
        }
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    pub struct Web {
        pub enabled: bool,
        pub listen: String,
        pub undo_secs: u64,
        pub metrics_auth: String,
    }
    impl Default for Web {
        fn default() -> Self {
            Web {
                enabled: true,
                listen: "127.0.0.1:8080".into(),
                undo_secs: 30,
                metrics_auth: "none".into(),
            }
        }
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    pub struct Paths {
        pub inbox: PathBuf,
        pub var_dir: PathBuf,
        pub archive: PathBuf,
        pub after_ingest: String,
        /// `None` when the file does not name it: the default path, or the built-ins.
        pub doctypes: Option<PathBuf>,
        /// `None` when the file does not name it: the default path, or the shipped table.
        pub calibration: Option<PathBuf>,
        /// `None` when the file does not name it: the default path, or the shipped model.
        pub ranker: Option<PathBuf>,
    }
    impl Default for Paths {
        fn default() -> Self {
            Paths {
                inbox: "inbox".into(),
                var_dir: "var".into(),
                archive: "var/archive".into(),
                after_ingest: "archive".into(),
                doctypes: None,
                calibration: None,
                ranker: None,
            }
        }
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    pub struct Watch {
        pub mode: String,
        pub poll_interval_ms: u64,
        pub rescan_interval_secs: u64,
        pub stable_ms: u64,
        pub ignore: Vec<String>,
        pub folder_types: std::collections::BTreeMap<String, String>,
    }
    impl Default for Watch {
        fn default() -> Self {
            Watch {
                mode: "native".into(),
                poll_interval_ms: 1000,
                rescan_interval_secs: 30,
                stable_ms: 1000,
                ignore: vec!["*.part".into(), "*.tmp".into(), "~*".into(), ".*".into()],
                folder_types: Default::default(),
            }
        }
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    pub struct Ocr {
        pub languages: String,
        pub accents: String,
        pub tessdata_dir: Option<PathBuf>,
        pub target_dpi: u32,
        pub page_segmentation_mode: u32,
        pub detect_orientation: bool,
        pub deskew: bool,
    }
    impl Default for Ocr {
        fn default() -> Self {
            Ocr {
                languages: "deu+dan+eng".into(),
                accents: "Latin".into(),
                tessdata_dir: None,
                target_dpi: 300,
                page_segmentation_mode: 3,
                detect_orientation: true,
                deskew: true,
            }
        }
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    pub struct Workers {
        pub count: usize,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    pub struct Limits {
        pub max_file_mb: u64,
        pub max_pages: u32,
        pub max_megapixels: u64,
        pub max_ocr_secs_per_page: f64,
        pub pdf_tool_timeout_secs: u64,
        pub pdf_tool_memory_mb: u64,
    }
    impl Default for Limits {
        fn default() -> Self {
            Limits {
                max_file_mb: 200,
                max_pages: 50,
                max_megapixels: 200,
                max_ocr_secs_per_page: 120.0,
                pdf_tool_timeout_secs: 60,
                pdf_tool_memory_mb: 2048,
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchMode {
    /// inotify & co.: immediate, but silent on SMB/NFS shares.
    Native,
    /// Stat the folder every `poll_interval`: works on every file system.
    Poll,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterIngest {
    Archive,
    Delete,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub source_path: Option<PathBuf>,
    pub inbox: PathBuf,
    pub var_dir: PathBuf,
    pub archive: PathBuf,
    pub after_ingest: AfterIngest,
    pub watch: WatchConfig,
    pub ocr: OcrConfig,
    pub workers: usize,
    pub limits: Limits,
    pub doctypes: Vec<DocType>,
    pub calibration: crate::calibrate::Calibration,
    /// The learned ranking of each field's candidates (`models/ranker.json`).
    pub ranker: crate::extract::rank::Ranker,
    pub sinks: Vec<SinkConfig>,
    pub web: WebConfig,
    pub email: EmailConfig,
    pub mailboxes: Vec<mailboxes::MailboxConfig>,
    /// Read a PDF's embedded e-invoice XML instead of its pages (`[pdf]`).
    pub pdf_embedded_einvoice: bool,
    /// Whose invoices may be posted without a person (`[vendors] auto_post`).
    pub vendor_auto_post: VendorAutoPost,
    /// Where originals are kept (`[blobs]`): `var_dir/blobs` unless configured.
    pub blobs: blobs::BlobLocation,
    /// Where the ledger is (`[database]`, or `MAILROOM_DATABASE_URL`): the SQLite file
    /// `var_dir/mailroom.sqlite3` unless configured.
    pub database: database::Database,
    /// A process's connections to a PostgreSQL ledger (`[database] connections`).
    pub database_connections: u32,
}

/// `[vendors] auto_post`: whose invoices may be posted without a person.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VendorAutoPost {
    /// Any supplier's, when everything else allows it.
    #[default]
    Any,
    /// Only a supplier's in master data (imported, or made by an approval).
    Known,
}

#[derive(Debug, Clone)]
pub struct EmailConfig {
    pub options: sources::EmailOptions,
    /// An email with no document among its attachments is read as one document of its
    /// body text (`true`), or quarantined (`false`).
    pub body_without_documents: bool,
}

#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Serve the API from `mailroom run` (`mailroom serve` always does).
    pub enabled: bool,
    pub listen: String,
    /// After a person approves in the review UI, how long they may undo it; the
    /// document's deliveries wait that long (zero: no undo, delivered at once).
    pub undo: std::time::Duration,
    /// `/metrics` asks for an API token (`metrics_auth = "token"`); by default it
    /// answers without one, as Prometheus scrapes, since it holds counts only.
    pub metrics_need_token: bool,
}

#[derive(Debug, Clone)]
pub struct WatchConfig {
    pub mode: WatchMode,
    pub poll_interval: std::time::Duration,
    pub rescan_interval: std::time::Duration,
    pub stable_for: std::time::Duration,
    pub ignore: Vec<regex::Regex>,
    /// Inbox subfolders whose files are of a known type: (folder name, document type).
    pub folder_types: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct OcrConfig {
    pub languages: String,
    /// The model names and addresses are read again with, for the accents the page
    /// pass's languages lack (`Latin`: every Latin-script letter); empty: none.
    pub accents: String,
    pub tessdata_dir: Option<PathBuf>,
    pub target_dpi: u32,
    pub page_segmentation_mode: u32,
    pub detect_orientation: bool,
    pub deskew: bool,
}

#[derive(Debug, Clone)]
pub struct Limits {
    pub max_file_bytes: u64,
    pub max_pages: u32,
    pub max_pixels: u64,
    /// Tesseract stops reading a page after this long; the document is quarantined.
    pub ocr_page_timeout: std::time::Duration,
    /// Each PDF tool run (poppler's pdfinfo, pdftotext, pdfimages, pdftoppm) is killed
    /// after this long, and cannot map more than this much memory.
    pub pdf_tool_timeout: std::time::Duration,
    pub pdf_tool_memory_bytes: u64,
    /// Passwords to open encrypted PDFs with (`[pdf]`). They travel with the limits
    /// because the limits reach every poppler run for a file (reading its pages, looking
    /// for an embedded e-invoice, rebuilding a page image for the review UI), so no
    /// path can forget them.
    pub pdf_passwords: PdfPasswords,
}

/// The passwords `[pdf]` gives for encrypted PDFs: `passwords`, then the lines of
/// `passwords_file`, then those of the variable `passwords_env`. Shown nowhere: its
/// `Debug` prints only how many there are.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PdfPasswords(std::sync::Arc<[String]>);

impl PdfPasswords {
    pub fn new(passwords: Vec<String>) -> PdfPasswords {
        PdfPasswords(passwords.into())
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl std::fmt::Debug for PdfPasswords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PdfPasswords({} configured)", self.0.len())
    }
}

/// Passwords one per line, as `pdf.passwords_file` and `pdf.passwords_env` hold them:
/// a line is taken exactly as written (spaces are part of it), only its line ending
/// removed; empty lines are skipped.
pub fn password_lines(text: &str) -> Vec<String> {
    text.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// A password a poppler tool can be given on its command line, or why not (the
/// message never quotes it).
fn check_password(p: &str) -> Result<(), &'static str> {
    if p.is_empty() {
        Err("an empty password opens nothing a reader could not open without one")
    } else if p.contains('\0') {
        Err("a password cannot contain a NUL character")
    } else {
        Ok(())
    }
}

impl Default for Limits {
    fn default() -> Self {
        let file = raw::Limits::default();
        Limits {
            max_file_bytes: file.max_file_mb * 1024 * 1024,
            max_pages: file.max_pages,
            max_pixels: file.max_megapixels * 1_000_000,
            ocr_page_timeout: std::time::Duration::from_secs_f64(file.max_ocr_secs_per_page),
            pdf_tool_timeout: std::time::Duration::from_secs(file.pdf_tool_timeout_secs),
            pdf_tool_memory_bytes: file.pdf_tool_memory_mb * 1024 * 1024,
            pdf_passwords: PdfPasswords::default(),
        }
    }
}

impl Config {
    /// Load `path`; when it does not exist and `required` is false, use the embedded
    /// defaults (the README's quick start works from any folder).
    pub fn load(path: &Path, required: bool) -> Result<Config, ConfigError> {
        let (text, source_path) = match std::fs::read_to_string(path) {
            Ok(t) => (t, Some(path.to_path_buf())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                (DEFAULT_CONFIG_TOML.to_string(), None)
            }
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let shown = source_path
            .clone()
            .unwrap_or_else(|| PathBuf::from("<embedded mailroom.toml>"));
        let file: raw::File = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        // A folder or table that a config file names must be there: falling back to the
        // built-ins would run with types or a calibration nobody chose. Only the
        // defaults (not named, or the embedded config) fall back.
        let named =
            |key: &str, value: &Option<PathBuf>, default: &str| -> Result<PathBuf, ConfigError> {
                let Some(p) = value else {
                    return Ok(PathBuf::from(default));
                };
                if source_path.is_some() && !p.exists() {
                    return Err(invalid(
                        &shown,
                        key,
                        format!("{} does not exist", p.display()),
                    ));
                }
                Ok(p.clone())
            };
        let doctypes_dir = named("paths.doctypes", &file.paths.doctypes, DEFAULT_DOCTYPES)?;
        let calibration_file = named(
            "paths.calibration",
            &file.paths.calibration,
            DEFAULT_CALIBRATION,
        )?;
        let ranker_file = named("paths.ranker", &file.paths.ranker, DEFAULT_RANKER)?;
        let doctypes = doctype::load_dir(&doctypes_dir)?;
        let calibration = load_model(&calibration_file, BUILTIN_CALIBRATION)?;
        let ranker = load_model(&ranker_file, BUILTIN_RANKER)?;
        let extra_passwords = read_passwords(&file.pdf, &shown)?;
        let s3_credentials = match blobs::parse(&file.blobs, &file.paths.var_dir, &shown)? {
            blobs::BlobLocation::S3(_) => Some(blobs::credentials(&file.blobs, &shown)?),
            blobs::BlobLocation::Folder(_) => None,
        };
        let database_env = std::env::var(database::ENV)
            .ok()
            .filter(|u| !u.trim().is_empty());
        let mut cfg = validate(file, &shown, doctypes)?;
        if let Some(url) = database_env {
            cfg.database = database::parse(Some(&url), &shown, database::ENV)?;
        }
        if let blobs::BlobLocation::S3(s3) = &mut cfg.blobs {
            s3.credentials = s3_credentials;
        }
        if !extra_passwords.is_empty() {
            let mut all: Vec<String> = cfg.limits.pdf_passwords.iter().map(String::from).collect();
            all.extend(extra_passwords);
            cfg.limits.pdf_passwords = PdfPasswords::new(all);
        }
        cfg.calibration = calibration;
        cfg.ranker = ranker;
        cfg.source_path = source_path;
        Ok(cfg)
    }

    pub fn doctype(&self, name: &str) -> Option<&DocType> {
        self.doctypes.iter().find(|d| d.name == name)
    }

    /// The SQLite ledger file: the one `[database]` names, else the default in
    /// `var_dir` (where `backup` and `restore` work; they refuse a PostgreSQL ledger).
    pub fn db_path(&self) -> PathBuf {
        match self.ledger() {
            database::Database::Sqlite(p) => p,
            _ => self.var_dir.join("mailroom.sqlite3"),
        }
    }

    /// Where the ledger is, the default resolved against `var_dir` as it is now (a
    /// var_dir set after the config was made moves the default ledger with it).
    pub fn ledger(&self) -> database::Database {
        match &self.database {
            database::Database::InVarDir => {
                database::Database::Sqlite(self.var_dir.join("mailroom.sqlite3"))
            }
            d => d.clone(),
        }
    }

    /// The default blob folder; [`Config::blobs`] says where blobs really are.
    pub fn blob_dir(&self) -> PathBuf {
        self.var_dir.join("blobs")
    }
}

/// The PDF passwords kept outside the main file: the lines of `pdf.passwords_file`,
/// then those of `pdf.passwords_env`. Errors name the key and the file or variable,
/// never a password.
fn read_passwords(pdf: &raw::Pdf, path: &Path) -> Result<Vec<String>, ConfigError> {
    let mut out = Vec::new();
    if let Some(file) = &pdf.passwords_file {
        let key = "pdf.passwords_file";
        let text = std::fs::read_to_string(file)
            .map_err(|e| invalid(path, key, format!("cannot read {}: {e}", file.display())))?;
        for (n, p) in password_lines(&text).into_iter().enumerate() {
            check_password(&p).map_err(|m| {
                invalid(
                    path,
                    key,
                    format!("{}, password {}: {m}", file.display(), n + 1),
                )
            })?;
            out.push(p);
        }
    }
    if let Some(var) = &pdf.passwords_env {
        let text = std::env::var(var).map_err(|_| {
            invalid(
                path,
                "pdf.passwords_env",
                format!("the environment variable {var} is not set (or not UTF-8)"),
            )
        })?;
        out.extend(password_lines(&text));
    }
    Ok(out)
}

pub(crate) fn invalid(path: &Path, key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        path: path.to_path_buf(),
        key: key.to_string(),
        message: message.into(),
    }
}

/// Pure: no file system, no environment (the worker default uses the core count,
/// which the caller may override).
fn validate(file: raw::File, path: &Path, doctypes: Vec<DocType>) -> Result<Config, ConfigError> {
    let after_ingest = match file.paths.after_ingest.as_str() {
        "archive" => AfterIngest::Archive,
        "delete" => AfterIngest::Delete,
        other => {
            return Err(invalid(
                path,
                "paths.after_ingest",
                format!("must be \"archive\" or \"delete\", not {other:?}"),
            ))
        }
    };
    let mode = match file.watch.mode.as_str() {
        "native" => WatchMode::Native,
        "poll" => WatchMode::Poll,
        other => {
            return Err(invalid(
                path,
                "watch.mode",
                format!("must be \"native\" or \"poll\", not {other:?}"),
            ))
        }
    };
    if file.watch.poll_interval_ms == 0 {
        return Err(invalid(path, "watch.poll_interval_ms", "must be above 0"));
    }
    let ignore = file
        .watch
        .ignore
        .iter()
        .map(|g| glob_to_regex(g))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|m| invalid(path, "watch.ignore", m))?;
    if file.ocr.languages.trim().is_empty()
        || !file
            .ocr
            .languages
            .split('+')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    {
        return Err(invalid(
            path,
            "ocr.languages",
            "must be Tesseract language codes joined by '+', like \"eng+dan+deu\"",
        ));
    }
    if !file
        .ocr
        .accents
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '+')
    {
        return Err(invalid(
            path,
            "ocr.accents",
            "must be a Tesseract model name like \"Latin\", or empty for none",
        ));
    }
    if !(70..=1200).contains(&file.ocr.target_dpi) {
        return Err(invalid(
            path,
            "ocr.target_dpi",
            "must be between 70 and 1200",
        ));
    }
    if file.ocr.page_segmentation_mode > 13 {
        return Err(invalid(
            path,
            "ocr.page_segmentation_mode",
            "must be 0..=13",
        ));
    }
    let l = &file.limits;
    if [
        l.max_pages as u64,
        l.max_file_mb,
        l.max_megapixels,
        l.pdf_tool_timeout_secs,
        l.pdf_tool_memory_mb,
    ]
    .contains(&0)
        || !(l.max_ocr_secs_per_page > 0.0 && l.max_ocr_secs_per_page.is_finite())
    {
        return Err(invalid(path, "limits", "limits must be above 0"));
    }
    if doctypes.is_empty() {
        return Err(invalid(path, "paths.doctypes", "no document types found"));
    }
    for (i, p) in file.pdf.passwords.iter().enumerate() {
        check_password(p)
            .map_err(|m| invalid(path, "pdf.passwords", format!("entry {}: {m}", i + 1)))?;
    }
    let sinks = sinks::validate(file.sinks, path, &file.paths.var_dir)?;
    if file.web.listen.parse::<std::net::SocketAddr>().is_err() {
        return Err(invalid(
            path,
            "web.listen",
            format!(
                "must be an address and port like \"127.0.0.1:8080\", not {:?}",
                file.web.listen
            ),
        ));
    }
    let metrics_need_token = match file.web.metrics_auth.as_str() {
        "none" => false,
        "token" => true,
        other => {
            return Err(invalid(
                path,
                "web.metrics_auth",
                format!("must be \"none\" or \"token\", not {other:?}"),
            ))
        }
    };
    let body_without_documents = match file.email.without_documents.as_str() {
        "body" => true,
        "quarantine" => false,
        other => {
            return Err(invalid(
                path,
                "email.without_documents",
                format!("must be \"body\" or \"quarantine\", not {other:?}"),
            ))
        }
    };
    let mailboxes = mailboxes::validate(file.mailboxes, path)?;
    let blobs = blobs::parse(&file.blobs, &file.paths.var_dir, path)?;
    let database = database::parse(file.database.url.as_deref(), path, "database.url")?;
    let database_connections = database::connections(file.database.connections, path)?;
    let mut folder_types = Vec::new();
    for (folder, doctype) in &file.watch.folder_types {
        let plain = !folder.is_empty() && !folder.starts_with('.') && !folder.contains(['/', '\\']);
        if !plain {
            return Err(invalid(
                path,
                "watch.folder_types",
                format!("{folder:?} must be the name of a folder directly in the inbox"),
            ));
        }
        if !doctypes.iter().any(|d| &d.name == doctype) {
            return Err(invalid(
                path,
                "watch.folder_types",
                format!(
                    "{folder:?} names the type {doctype:?}, which config/doctypes does not define"
                ),
            ));
        }
        folder_types.push((folder.clone(), doctype.clone()));
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let workers = if file.workers.count == 0 {
        cores
    } else {
        file.workers.count
    };
    Ok(Config {
        source_path: None,
        // Made absolute at start: the file watcher reports absolute paths, and a
        // relative inbox compared with them missed every event, leaving each dropped
        // file to the next rescan (19-30 s instead of about one).
        inbox: std::path::absolute(&file.paths.inbox).unwrap_or(file.paths.inbox),
        var_dir: file.paths.var_dir,
        archive: file.paths.archive,
        after_ingest,
        watch: WatchConfig {
            mode,
            poll_interval: std::time::Duration::from_millis(file.watch.poll_interval_ms),
            rescan_interval: std::time::Duration::from_secs(file.watch.rescan_interval_secs.max(1)),
            stable_for: std::time::Duration::from_millis(file.watch.stable_ms),
            ignore,
            folder_types,
        },
        ocr: OcrConfig {
            languages: file.ocr.languages,
            accents: file.ocr.accents,
            tessdata_dir: file.ocr.tessdata_dir,
            target_dpi: file.ocr.target_dpi,
            page_segmentation_mode: file.ocr.page_segmentation_mode,
            detect_orientation: file.ocr.detect_orientation,
            deskew: file.ocr.deskew,
        },
        workers,
        limits: Limits {
            max_file_bytes: file.limits.max_file_mb * 1024 * 1024,
            max_pages: file.limits.max_pages,
            max_pixels: file.limits.max_megapixels * 1_000_000,
            ocr_page_timeout: std::time::Duration::from_secs_f64(file.limits.max_ocr_secs_per_page),
            pdf_tool_timeout: std::time::Duration::from_secs(file.limits.pdf_tool_timeout_secs),
            pdf_tool_memory_bytes: file.limits.pdf_tool_memory_mb * 1024 * 1024,
            pdf_passwords: PdfPasswords::new(file.pdf.passwords),
        },
        doctypes,
        calibration: Default::default(),
        ranker: Default::default(),
        sinks,
        web: WebConfig {
            enabled: file.web.enabled,
            listen: file.web.listen,
            undo: std::time::Duration::from_secs(file.web.undo_secs),
            metrics_need_token,
        },
        email: EmailConfig {
            options: sources::EmailOptions {
                min_inline_image_pixels: file.email.min_inline_image_pixels,
                max_depth: file.email.max_depth,
            },
            body_without_documents,
        },
        mailboxes,
        pdf_embedded_einvoice: file.pdf.embedded_einvoice,
        vendor_auto_post: file.vendors.auto_post,
        blobs,
        database,
        database_connections,
    })
}

/// A fitted model (the calibration table, the ranker); the built-in one when the file
/// does not exist.
fn load_model<T: serde::de::DeserializeOwned>(
    path: &Path,
    builtin: &str,
) -> Result<T, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => builtin.to_string(),
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    serde_json::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// `*.part` → `^.*\.part$`: the ignore patterns are simple globs on the file name.
fn glob_to_regex(glob: &str) -> Result<regex::Regex, String> {
    let mut re = String::from("^");
    for c in glob.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re).map_err(|e| format!("bad pattern {glob:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_defaults_validate() {
        let cfg = Config::load(Path::new("/nonexistent/mailroom.toml"), false).unwrap();
        // Relative to where mailroom runs, made absolute at start.
        assert_eq!(cfg.inbox, std::env::current_dir().unwrap().join("inbox"));
        assert_eq!(cfg.ocr.languages, "deu+dan+eng");
        assert!(cfg.doctype("invoice").is_some());
        assert!(cfg.workers >= 1);
    }

    #[test]
    fn errors_name_the_key() {
        let file: raw::File = toml::from_str("[watch]\nmode = \"sometimes\"\n").unwrap();
        let err = validate(file, Path::new("x.toml"), doctype::builtin().unwrap()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.toml: key `watch.mode`: must be \"native\" or \"poll\", not \"sometimes\""
        );
        let file: raw::File = toml::from_str("[web]\nmetrics_auth = \"bearer\"\n").unwrap();
        let err = validate(file, Path::new("x.toml"), doctype::builtin().unwrap()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.toml: key `web.metrics_auth`: must be \"none\" or \"token\", not \"bearer\""
        );
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = toml::from_str::<raw::File>("[paths]\ninbx = \"x\"\n").unwrap_err();
        assert!(err.to_string().contains("unknown field `inbx`"), "{err}");
    }

    #[test]
    fn pdf_passwords_come_from_the_file_a_passwords_file_and_a_variable() {
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("pdf-passwords");
        std::fs::write(&list, "pw from file 1\r\n\npw-from-file-2\n").unwrap();
        let var = "MAILROOM_TEST_PDF_PASSWORDS_OK";
        std::env::set_var(var, "pw-from-env");
        let config = dir.path().join("mailroom.toml");
        std::fs::write(
            &config,
            format!(
                "[pdf]\npasswords = [\"pw-in-config\"]\npasswords_file = \"{}\"\npasswords_env = \"{var}\"\n",
                list.display()
            ),
        )
        .unwrap();
        let cfg = Config::load(&config, true).unwrap();
        let got: Vec<&str> = cfg.limits.pdf_passwords.iter().collect();
        assert_eq!(
            got,
            [
                "pw-in-config",
                "pw from file 1",
                "pw-from-file-2",
                "pw-from-env"
            ]
        );
        // Shown nowhere, not even in a debug print of the whole configuration.
        let shown = format!("{cfg:?}");
        assert!(shown.contains("PdfPasswords(4 configured)"), "{shown}");
        for p in got {
            assert!(!shown.contains(p), "{p} in {shown}");
        }
        // The embedded defaults have none.
        let defaults = Config::load(Path::new("/nonexistent/mailroom.toml"), false).unwrap();
        assert!(defaults.limits.pdf_passwords.is_empty());
    }

    #[test]
    fn pdf_password_errors_name_the_key_not_the_password() {
        let dir = tempfile::tempdir().unwrap();
        let load = |pdf: &str| {
            let config = dir.path().join("mailroom.toml");
            std::fs::write(&config, format!("[pdf]\n{pdf}\n")).unwrap();
            Config::load(&config, true).unwrap_err().to_string()
        };
        let e = load("passwords_file = \"/nonexistent/pdf-passwords\"");
        assert!(
            e.contains("key `pdf.passwords_file`: cannot read /nonexistent/pdf-passwords"),
            "{e}"
        );
        let e = load("passwords_env = \"MAILROOM_TEST_PDF_PASSWORDS_UNSET\"");
        assert!(
            e.contains("key `pdf.passwords_env`: the environment variable MAILROOM_TEST_PDF_PASSWORDS_UNSET is not set"),
            "{e}"
        );
        let e = load("passwords = [\"good-one\", \"\"]");
        assert!(
            e.contains("key `pdf.passwords`: entry 2: an empty password"),
            "{e}"
        );
        let nul = dir.path().join("nul");
        std::fs::write(&nul, "s3cret\nbad\0s3cret\n").unwrap();
        let e = load(&format!("passwords_file = \"{}\"", nul.display()));
        assert!(e.contains("key `pdf.passwords_file`"), "{e}");
        assert!(
            e.contains("password 2: a password cannot contain a NUL"),
            "{e}"
        );
        assert!(!e.contains("s3cret"), "{e}");
        let e = load("password = [\"typo\"]");
        assert!(e.contains("unknown field `password`"), "{e}");
    }

    #[test]
    fn a_doctypes_folder_or_calibration_the_config_names_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("mailroom.toml");
        let load = |paths: &str| {
            std::fs::write(&config, format!("[paths]\n{paths}\n")).unwrap();
            Config::load(&config, true)
        };
        let missing = dir.path().join("no-doctypes");
        let e = load(&format!("doctypes = {:?}", missing.display().to_string()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("key `paths.doctypes`"), "{e}");
        assert!(e.contains(&missing.display().to_string()), "{e}");
        assert!(e.contains(&config.display().to_string()), "{e}");
        let table = dir.path().join("no-calibration.json");
        let e = load(&format!("calibration = {:?}", table.display().to_string()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("key `paths.calibration`"), "{e}");
        assert!(e.contains(&table.display().to_string()), "{e}");
        // Named and there: used.
        let types = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/doctypes");
        let cfg = load(&format!("doctypes = {:?}", types.display().to_string())).unwrap();
        assert!(cfg.doctype("invoice").is_some());
        // Not named: the default paths. The embedded config names them but is never
        // refused for them, so the quick start runs from any folder on the built-ins.
        assert!(load("").unwrap().doctype("invoice").is_some());
        let embedded = Config::load(Path::new("/nonexistent/mailroom.toml"), false).unwrap();
        assert!(embedded.doctype("invoice").is_some());
    }

    #[test]
    fn password_lines_are_taken_as_written() {
        assert_eq!(
            password_lines(" lead\r\ntrail \n\n\r\nlast"),
            [" lead", "trail ", "last"]
        );
        assert!(password_lines("").is_empty());
    }

    #[test]
    fn ignore_globs() {
        let re = glob_to_regex("*.part").unwrap();
        assert!(re.is_match("scan.pdf.part"));
        assert!(!re.is_match("scan.pdf"));
        assert!(glob_to_regex("~*").unwrap().is_match("~lock.png"));
    }
}
