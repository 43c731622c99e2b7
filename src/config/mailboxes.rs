//! `[[mailboxes]]`: IMAP folders mailroom reads mail from.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::sources::{After, ImapConfig, Security};
use super::{invalid, ConfigError};

pub(super) mod raw {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Mailbox {
        pub name: String,
        pub host: String,
        pub port: Option<u16>,
        #[serde(default = "tls")]
        pub security: String,
        pub user: String,
        pub password_env: Option<String>,
        pub password_file: Option<PathBuf>,
        #[serde(default = "inbox")]
        pub folder: String,
        #[serde(default = "move_")]
        pub after: String,
        #[serde(default = "processed")]
        pub move_to: String,
        #[serde(default = "flag")]
        pub flag: String,
        pub ca_file: Option<PathBuf>,
        #[serde(default = "sixty")]
        pub poll_interval_secs: u64,
        #[serde(default = "twenty")]
        pub batch: usize,
    }
    fn tls() -> String {
        "tls".into()
    }
    fn inbox() -> String {
        "INBOX".into()
    }
    fn move_() -> String {
        "move".into()
    }
    fn processed() -> String {
        "Processed".into()
    }
    fn flag() -> String {
        "$Mailroom".into()
    }
    fn sixty() -> u64 {
        60
    }
    fn twenty() -> usize {
        20
    }
}

/// Where a mailbox's password comes from; read when the service starts, so commands
/// that never connect do not need it.
#[derive(Debug, Clone)]
pub enum Password {
    Env(String),
    File(PathBuf),
}

#[derive(Debug, Clone)]
pub struct MailboxConfig {
    /// The connection, with an empty password until [`MailboxConfig::resolve`].
    pub imap: ImapConfig,
    pub password: Password,
    pub poll_interval: Duration,
}

impl MailboxConfig {
    /// The connection settings with the password read from its source.
    pub fn resolve(&self) -> anyhow::Result<ImapConfig> {
        let password = match &self.password {
            Password::Env(var) => std::env::var(var).map_err(|_| {
                anyhow::anyhow!(
                    "mailbox {}: the environment variable {var} (password_env) is not set",
                    self.imap.name
                )
            })?,
            Password::File(path) => std::fs::read_to_string(path)
                .map_err(|e| {
                    anyhow::anyhow!(
                        "mailbox {}: cannot read password_file {}: {e}",
                        self.imap.name,
                        path.display()
                    )
                })?
                .trim_end_matches(['\r', '\n'])
                .to_string(),
        };
        Ok(ImapConfig {
            password,
            ..self.imap.clone()
        })
    }
}

pub(super) fn validate(
    raw: Vec<raw::Mailbox>,
    path: &Path,
) -> Result<Vec<MailboxConfig>, ConfigError> {
    let mut out: Vec<MailboxConfig> = Vec::new();
    for m in raw {
        let key = |k: &str| format!("mailboxes.{}.{k}", m.name);
        if m.name.is_empty() || out.iter().any(|o| o.imap.name == m.name) {
            return Err(invalid(
                path,
                "mailboxes.name",
                "every mailbox needs a unique name",
            ));
        }
        let security = match m.security.as_str() {
            "tls" => Security::Tls,
            "starttls" => Security::StartTls,
            "plain" => Security::Plain,
            other => {
                return Err(invalid(
                    path,
                    &key("security"),
                    format!("must be \"tls\", \"starttls\" or \"plain\", not {other:?}"),
                ))
            }
        };
        let after = match m.after.as_str() {
            "move" => After::Move(m.move_to.clone()),
            "flag" => After::Flag(m.flag.clone()),
            "delete" => After::Delete,
            other => {
                return Err(invalid(
                    path,
                    &key("after"),
                    format!("must be \"move\", \"flag\" or \"delete\", not {other:?}"),
                ))
            }
        };
        let password = match (&m.password_env, &m.password_file) {
            (Some(var), None) => Password::Env(var.clone()),
            (None, Some(file)) => Password::File(file.clone()),
            _ => {
                return Err(invalid(
                    path,
                    &key("password_env"),
                    "give exactly one of password_env and password_file",
                ))
            }
        };
        if m.batch == 0 || m.poll_interval_secs == 0 {
            return Err(invalid(
                path,
                &key("batch"),
                "batch and poll_interval_secs must be above 0",
            ));
        }
        out.push(MailboxConfig {
            imap: ImapConfig {
                name: m.name.clone(),
                port: m.port.unwrap_or(security.default_port()),
                host: m.host,
                security,
                user: m.user,
                password: String::new(),
                folder: m.folder,
                after,
                ca_file: m.ca_file,
                batch: m.batch,
            },
            password,
            poll_interval: Duration::from_secs(m.poll_interval_secs),
        });
    }
    Ok(out)
}
