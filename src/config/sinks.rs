//! `[[sinks]]`: where posted documents (and, for webhooks, other events) are delivered.
//!
//! Each sink gets its own delivery row per event in the posting transaction and its
//! own dispatcher, so a webhook that is down never holds up the files sink.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::{invalid, ConfigError};

/// The events a sink can subscribe to.
pub const EVENTS: &[&str] = &[
    "document.posted",
    "document.needs_review",
    "document.quarantined",
];
pub const POSTED: &str = "document.posted";
pub const NEEDS_REVIEW: &str = "document.needs_review";
pub const QUARANTINED: &str = "document.quarantined";

/// The names of the sinks that subscribe to `event`.
pub fn subscribers(cfg: &super::Config, event: &str) -> Vec<String> {
    cfg.sinks
        .iter()
        .filter(|s| s.events.iter().any(|e| e == event))
        .map(|s| s.name.clone())
        .collect()
}

pub(super) mod raw {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Sink {
        pub name: String,
        pub kind: String,
        #[serde(default)]
        pub events: Option<Vec<String>>,
        // files, csv
        pub dir: Option<PathBuf>,
        // files
        #[serde(default)]
        pub include_original: bool,
        // csv
        pub columns: Option<Vec<String>>,
        // webhook
        pub url: Option<String>,
        pub secret: Option<String>,
        pub secret_env: Option<String>,
        pub connect_timeout_ms: Option<u64>,
        pub timeout_ms: Option<u64>,
        // retries (every kind)
        pub max_attempts: Option<u32>,
        pub max_age_hours: Option<f64>,
        pub retry_initial_ms: Option<u64>,
        pub retry_max_ms: Option<u64>,
    }
}

#[derive(Debug, Clone)]
pub struct SinkConfig {
    /// Unique; recorded in every delivery row, so renaming a sink starts it afresh.
    pub name: String,
    pub events: Vec<String>,
    pub kind: SinkKind,
    pub retry: RetryPolicy,
}

#[derive(Debug, Clone)]
pub enum SinkKind {
    Files {
        dir: PathBuf,
        include_original: bool,
    },
    Csv {
        dir: PathBuf,
        columns: Vec<String>,
    },
    Webhook {
        url: String,
        secret: Secret,
        connect_timeout: Duration,
        timeout: Duration,
    },
}

/// Where a webhook's shared secret comes from. Read when the service starts, so a
/// secret never has to sit in the configuration file.
#[derive(Debug, Clone)]
pub enum Secret {
    Inline(String),
    Env(String),
}

impl Secret {
    pub fn resolve(&self) -> Result<String, String> {
        match self {
            Secret::Inline(s) => Ok(s.clone()),
            Secret::Env(var) => match std::env::var(var) {
                Ok(s) if !s.is_empty() => Ok(s),
                _ => Err(format!("environment variable {var} is not set")),
            },
        }
    }
}

/// Capped exponential backoff with jitter; a delivery is `dead` after `max_attempts`
/// attempts or once `max_age` has passed since its first attempt.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub max_age: Duration,
    pub initial: Duration,
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 15,
            max_age: Duration::from_secs(48 * 3600),
            initial: Duration::from_secs(1),
            max: Duration::from_secs(600),
        }
    }
}

/// The columns of a CSV sink when the configuration names none.
pub const DEFAULT_CSV_COLUMNS: &[&str] = &[
    "id",
    "received_at",
    "doc_type",
    "vendor_name",
    "vendor_vat_id",
    "invoice_number",
    "invoice_date",
    "due_date",
    "currency",
    "subtotal",
    "tax_amount",
    "total",
    "iban",
];

/// The sinks when the configuration lists none: the files outbox under `var_dir`.
pub fn default_sinks(var_dir: &Path) -> Vec<SinkConfig> {
    vec![SinkConfig {
        name: "outbox".into(),
        events: vec![POSTED.into()],
        kind: SinkKind::Files {
            dir: var_dir.join("outbox"),
            include_original: false,
        },
        retry: RetryPolicy::default(),
    }]
}

pub(super) fn validate(
    sinks: Vec<raw::Sink>,
    path: &Path,
    var_dir: &Path,
) -> Result<Vec<SinkConfig>, ConfigError> {
    if sinks.is_empty() {
        return Ok(default_sinks(var_dir));
    }
    let mut out: Vec<SinkConfig> = Vec::new();
    for (i, s) in sinks.into_iter().enumerate() {
        let key = |k: &str| format!("sinks[{i}].{k}");
        if s.name.is_empty()
            || !s
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(invalid(
                path,
                &key("name"),
                "must be letters, digits, '-' or '_'",
            ));
        }
        if out.iter().any(|o| o.name == s.name) {
            return Err(invalid(
                path,
                &key("name"),
                format!("{:?} is used twice", s.name),
            ));
        }
        let events = s.events.clone().unwrap_or_else(|| vec![POSTED.into()]);
        if events.is_empty() {
            return Err(invalid(
                path,
                &key("events"),
                "must name at least one event",
            ));
        }
        if let Some(e) = events.iter().find(|e| !EVENTS.contains(&e.as_str())) {
            return Err(invalid(
                path,
                &key("events"),
                format!("unknown event {e:?}; known: {}", EVENTS.join(", ")),
            ));
        }
        let only_posted = |kind: &str| -> Result<(), ConfigError> {
            if events.iter().any(|e| e != POSTED) {
                return Err(invalid(
                    path,
                    &key("events"),
                    format!("a {kind} sink receives only \"{POSTED}\""),
                ));
            }
            Ok(())
        };
        let unused = |name: &str, set: bool| -> Result<(), ConfigError> {
            if set {
                Err(invalid(
                    path,
                    &key(name),
                    format!("does not apply to a {:?} sink", s.kind),
                ))
            } else {
                Ok(())
            }
        };
        let kind = match s.kind.as_str() {
            "files" => {
                only_posted("files")?;
                unused("url", s.url.is_some())?;
                unused("columns", s.columns.is_some())?;
                SinkKind::Files {
                    dir: s
                        .dir
                        .clone()
                        .ok_or_else(|| invalid(path, &key("dir"), "is required"))?,
                    include_original: s.include_original,
                }
            }
            "csv" => {
                only_posted("csv")?;
                unused("url", s.url.is_some())?;
                unused("include_original", s.include_original)?;
                let columns = s
                    .columns
                    .clone()
                    .unwrap_or_else(|| DEFAULT_CSV_COLUMNS.iter().map(|c| c.to_string()).collect());
                if columns.is_empty() {
                    return Err(invalid(
                        path,
                        &key("columns"),
                        "must name at least one column",
                    ));
                }
                SinkKind::Csv {
                    dir: s
                        .dir
                        .clone()
                        .ok_or_else(|| invalid(path, &key("dir"), "is required"))?,
                    columns,
                }
            }
            "webhook" => {
                unused("dir", s.dir.is_some())?;
                unused("columns", s.columns.is_some())?;
                unused("include_original", s.include_original)?;
                let url = s
                    .url
                    .clone()
                    .ok_or_else(|| invalid(path, &key("url"), "is required"))?;
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(invalid(
                        path,
                        &key("url"),
                        "must be an http:// or https:// URL",
                    ));
                }
                let secret = match (&s.secret, &s.secret_env) {
                    (Some(v), None) if !v.is_empty() => Secret::Inline(v.clone()),
                    (None, Some(var)) if !var.is_empty() => Secret::Env(var.clone()),
                    _ => {
                        return Err(invalid(
                            path,
                            &key("secret"),
                            "set exactly one of `secret` and `secret_env` (the shared secret that signs every request)",
                        ))
                    }
                };
                SinkKind::Webhook {
                    url,
                    secret,
                    connect_timeout: Duration::from_millis(s.connect_timeout_ms.unwrap_or(5_000)),
                    timeout: Duration::from_millis(s.timeout_ms.unwrap_or(30_000)),
                }
            }
            other => {
                return Err(invalid(
                    path,
                    &key("kind"),
                    format!("must be \"files\", \"csv\" or \"webhook\", not {other:?}"),
                ))
            }
        };
        let d = RetryPolicy::default();
        let retry = RetryPolicy {
            max_attempts: s.max_attempts.unwrap_or(d.max_attempts),
            max_age: s
                .max_age_hours
                .map_or(d.max_age, |h| Duration::from_secs_f64(h.max(0.0) * 3600.0)),
            initial: s.retry_initial_ms.map_or(d.initial, Duration::from_millis),
            max: s.retry_max_ms.map_or(d.max, Duration::from_millis),
        };
        if retry.max_attempts == 0 {
            return Err(invalid(path, &key("max_attempts"), "must be above 0"));
        }
        if retry.initial.is_zero() || retry.max < retry.initial {
            return Err(invalid(
                path,
                &key("retry_initial_ms"),
                "must be above 0 and at most retry_max_ms",
            ));
        }
        out.push(SinkConfig {
            name: s.name,
            events,
            kind,
            retry,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml: &str) -> Result<Vec<SinkConfig>, ConfigError> {
        #[derive(Deserialize)]
        struct F {
            sinks: Vec<raw::Sink>,
        }
        let f: F = toml::from_str(toml).unwrap();
        validate(f.sinks, Path::new("x.toml"), Path::new("var"))
    }

    #[test]
    fn no_sinks_means_the_files_outbox() {
        let s = validate(Vec::new(), Path::new("x.toml"), Path::new("/srv/var")).unwrap();
        assert_eq!(s.len(), 1);
        assert!(
            matches!(&s[0].kind, SinkKind::Files { dir, .. } if dir == Path::new("/srv/var/outbox"))
        );
    }

    #[test]
    fn a_webhook_needs_a_secret_and_a_url() {
        let err = parse("[[sinks]]\nname = \"erp\"\nkind = \"webhook\"\nurl = \"http://x\"\n")
            .unwrap_err();
        assert!(err.to_string().contains("sinks[0].secret"), "{err}");
        let err =
            parse("[[sinks]]\nname = \"erp\"\nkind = \"webhook\"\nsecret = \"s\"\n").unwrap_err();
        assert!(
            err.to_string().contains("`sinks[0].url`: is required"),
            "{err}"
        );
        let ok = parse(
            "[[sinks]]\nname = \"erp\"\nkind = \"webhook\"\nurl = \"http://x\"\nsecret_env = \"S\"\nevents = [\"document.quarantined\"]\nmax_attempts = 3\n",
        )
        .unwrap();
        assert_eq!(ok[0].retry.max_attempts, 3);
        assert_eq!(ok[0].events, vec!["document.quarantined"]);
    }

    #[test]
    fn files_and_csv_sinks_take_only_posted_documents() {
        let err = parse("[[sinks]]\nname = \"o\"\nkind = \"files\"\ndir = \"o\"\nevents = [\"document.needs_review\"]\n")
            .unwrap_err();
        assert!(err.to_string().contains("receives only"), "{err}");
        let err = parse("[[sinks]]\nname = \"o\"\nkind = \"files\"\ndir = \"o\"\n[[sinks]]\nname = \"o\"\nkind = \"csv\"\ndir = \"c\"\n")
            .unwrap_err();
        assert!(err.to_string().contains("used twice"), "{err}");
        let err = parse("[[sinks]]\nname = \"o\"\nkind = \"ftp\"\n").unwrap_err();
        assert!(err.to_string().contains("sinks[0].kind"), "{err}");
    }
}
