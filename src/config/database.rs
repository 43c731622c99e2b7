//! `[database]`: where the ledger is.
//!
//! - no `url`: the SQLite file `var_dir/mailroom.sqlite3`, as always;
//! - `sqlite:PATH` (or `sqlite://PATH`): another SQLite file;
//! - `postgres://user:password@host:port/db` (or `postgresql://`): a PostgreSQL server,
//!   for a ledger shared by several processes or machines.
//!
//! `MAILROOM_DATABASE_URL` wins over the file, so that a password need not be written
//! in it. A URL is only ever shown without its password ([`PostgresUrl`]'s `Display`).
//! [`parse`] is pure; [`Config::load`](super::Config::load) reads the variable.

use std::fmt;
use std::path::{Path, PathBuf};

use super::{invalid, ConfigError};

/// The variable whose value replaces `[database] url`.
pub const ENV: &str = "MAILROOM_DATABASE_URL";

pub(super) mod raw {
    use serde::Deserialize;

    #[derive(Debug, Deserialize, Default)]
    #[serde(deny_unknown_fields, default)]
    pub struct Database {
        pub url: Option<String>,
        pub connections: Option<u32>,
    }
}

/// Which ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// No `url`: `mailroom.sqlite3` in `var_dir`, resolved when used
    /// ([`crate::config::Config::ledger`]) so that it follows `var_dir`.
    InVarDir,
    Sqlite(PathBuf),
    Postgres(PostgresUrl),
}

/// A PostgreSQL URL. `Display` and `Debug` leave out the password.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresUrl(String);

impl PostgresUrl {
    /// Checked when connecting, not here.
    pub fn new(url: impl Into<String>) -> PostgresUrl {
        PostgresUrl(url.into())
    }

    /// The URL as given, password included: for connecting only.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match url::Url::parse(&self.0) {
            Ok(mut u) => {
                if u.password().is_some() {
                    let _ = u.set_password(Some("***"));
                }
                // `?password=` works too (libpq's keyword form).
                let pairs: Vec<(String, String)> = u
                    .query_pairs()
                    .map(|(k, v)| {
                        let v = if k == "password" {
                            "***".into()
                        } else {
                            v.into_owned()
                        };
                        (k.into_owned(), v)
                    })
                    .collect();
                if !pairs.is_empty() {
                    u.query_pairs_mut().clear().extend_pairs(pairs);
                }
                write!(f, "{u}")
            }
            // Such as `postgresql://user:pw@/db?host=/socket` (no host before the path).
            Err(_) => {
                let (scheme, rest) = self.0.split_once("://").unwrap_or(("postgres", ""));
                let rest = match rest.split_once('@') {
                    Some((user, after)) => {
                        let user = user.split(':').next().unwrap_or_default();
                        format!("{user}:***@{after}")
                    }
                    None => rest.to_string(),
                };
                let rest = match rest.find("password=") {
                    Some(i) => {
                        let end = rest[i..].find('&').map_or(rest.len(), |j| i + j);
                        format!("{}password=***{}", &rest[..i], &rest[end..])
                    }
                    None => rest,
                };
                write!(f, "{scheme}://{rest}")
            }
        }
    }
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PostgresUrl({self})")
    }
}

impl Database {
    /// For messages: the file, or the URL without its password.
    pub fn shown(&self) -> String {
        match self {
            Database::InVarDir => "mailroom.sqlite3 in var_dir".into(),
            Database::Sqlite(p) => p.display().to_string(),
            Database::Postgres(u) => u.to_string(),
        }
    }
}

/// Connections of a process to a PostgreSQL ledger unless `[database] connections`
/// says otherwise. (SQLite: always one; `store::connections` says why.)
pub const CONNECTIONS: u32 = 4;

/// `[database] connections`: 1 to 64.
pub fn connections(n: Option<u32>, path: &Path) -> Result<u32, ConfigError> {
    match n {
        None => Ok(CONNECTIONS),
        Some(n @ 1..=64) => Ok(n),
        Some(n) => Err(invalid(
            path,
            "database.connections",
            format!("must be from 1 to 64, not {n}"),
        )),
    }
}

/// The ledger `url` names (from the file or [`ENV`]); none: [`Database::InVarDir`].
/// `key` names where the URL came from, for the error.
pub fn parse(url: Option<&str>, path: &Path, key: &str) -> Result<Database, ConfigError> {
    let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
        return Ok(Database::InVarDir);
    };
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let shown = PostgresUrl(url.to_string());
        url::Url::parse(url)
            .map_err(|e| invalid(path, key, format!("{shown} is not a URL: {e}")))?;
        return Ok(Database::Postgres(shown));
    }
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let file = rest.strip_prefix("//").unwrap_or(rest);
        if file.is_empty() {
            return Err(invalid(
                path,
                key,
                "sqlite: needs the path of the ledger file",
            ));
        }
        return Ok(Database::Sqlite(PathBuf::from(file)));
    }
    let scheme = url.split_once("://").map(|(s, _)| s);
    Err(invalid(
        path,
        key,
        format!(
            "must be postgres://… or sqlite:PATH{}",
            match scheme {
                Some(s) => format!(", not a {s}:// URL"),
                None => String::new(),
            }
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(url: Option<&str>) -> Result<Database, String> {
        parse(url, Path::new("m.toml"), "database.url").map_err(|e| e.to_string())
    }

    #[test]
    fn default_is_the_sqlite_file_under_var_dir() {
        assert_eq!(p(None).unwrap(), Database::InVarDir);
        assert_eq!(
            p(Some("sqlite:/srv/ledger.db")).unwrap(),
            Database::Sqlite(PathBuf::from("/srv/ledger.db"))
        );
    }

    #[test]
    fn a_postgres_url_is_shown_without_its_password() {
        let db = p(Some(
            "postgres://mailroom:s3cret@db.example:5433/ledger?sslmode=disable",
        ))
        .unwrap();
        let shown = db.shown();
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("db.example:5433/ledger"), "{shown}");
        assert!(!format!("{db:?}").contains("s3cret"));
        let db = p(Some("postgresql:///ledger?host=/tmp&password=s3cret")).unwrap();
        assert!(!db.shown().contains("s3cret"), "{}", db.shown());
        // No host before the path: not a URL to the url crate, still redacted.
        let db = PostgresUrl::new("postgresql://ann:s3cret@/ledger?host=/run/pg&password=x2&a=b");
        assert_eq!(
            db.to_string(),
            "postgresql://ann:***@/ledger?host=/run/pg&password=***&a=b"
        );
    }

    #[test]
    fn connections_are_from_one_to_64() {
        let c = |n| connections(n, Path::new("m.toml")).map_err(|e| e.to_string());
        assert_eq!(c(None), Ok(CONNECTIONS));
        assert_eq!(c(Some(1)), Ok(1));
        assert_eq!(c(Some(64)), Ok(64));
        for n in [0, 65] {
            let e = c(Some(n)).unwrap_err();
            assert!(
                e.contains("database.connections") && e.contains("from 1 to 64"),
                "{e}"
            );
        }
    }

    #[test]
    fn other_schemes_are_refused_by_name() {
        let e = p(Some("mysql://x@y/z")).unwrap_err();
        assert!(e.contains("database.url") && e.contains("mysql://"), "{e}");
    }
}
