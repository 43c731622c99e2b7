//! API tokens: one per integration, shown once, stored as a SHA-256 hash.
//!
//! Tokens are 32 random bytes, so a plain SHA-256 is enough to store them (a slow
//! password hash protects low-entropy secrets; these are not guessable). Lookup is by
//! hash; revoked tokens stay on record.

use super::db::{self, params, Exec, OptionalExtension, Row};
use rand::RngCore;
use sha2::Digest;

use super::{now, Store, StoreError};

/// What a token may do. `Write` includes everything `Read` may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Read,
    Write,
}

impl Scope {
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "read" => Some(Scope::Read),
            "write" => Some(Scope::Write),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Token {
    pub id: i64,
    pub name: String,
    pub scope: Scope,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// Tokens start with this, so they are easy to spot in logs and secret scanners.
pub const PREFIX: &str = "mr_";

fn hash(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

impl Store {
    /// Create a token named `name`; returns the secret, which is not stored.
    pub fn create_token(&self, name: &str, scope: Scope) -> Result<String, StoreError> {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let secret = format!("{PREFIX}{}", hex::encode(bytes));
        self.with(|c| {
            c.execute(
                "INSERT INTO api_tokens (name, scope, hash, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![name, scope.as_str(), hash(&secret), now()],
            )
        })?;
        Ok(secret)
    }

    /// The live token with this secret, if any; notes when it was last used.
    pub fn authenticate(&self, secret: &str) -> Result<Option<Token>, StoreError> {
        let h = hash(secret);
        self.with(|c| {
            let t = c
                .query_row(
                    "SELECT id, name, scope, created_at, last_used_at, revoked_at FROM api_tokens
                     WHERE hash = ?1 AND revoked_at IS NULL",
                    params![h],
                    row_to_token,
                )
                .optional()?;
            if let Some(t) = &t {
                c.execute(
                    "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1",
                    params![t.id, now()],
                )?;
            }
            Ok(t)
        })
    }

    /// Revoke the token named `name`; false when there is no live one.
    pub fn revoke_token(&self, name: &str) -> Result<bool, StoreError> {
        let n = self.with(|c| {
            c.execute(
                "UPDATE api_tokens SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL",
                params![name, now()],
            )
        })?;
        Ok(n > 0)
    }

    pub fn tokens(&self) -> Result<Vec<Token>, StoreError> {
        self.with(|c| {
            let rows = c.query_map("SELECT id, name, scope, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY id", params![], row_to_token)?;
            Ok(rows)
        })
    }
}

fn row_to_token(r: &Row<'_, '_>) -> db::Result<Token> {
    let scope: String = r.get(2)?;
    Ok(Token {
        id: r.get(0)?,
        name: r.get(1)?,
        scope: Scope::parse(&scope).unwrap_or(Scope::Read),
        created_at: r.get(3)?,
        last_used_at: r.get(4)?,
        revoked_at: r.get(5)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_ledger::{on_both_engines, store, Engine};

    on_both_engines!(a_token_authenticates_until_revoked_and_only_its_hash_is_kept);

    fn a_token_authenticates_until_revoked_and_only_its_hash_is_kept(e: Engine) {
        let dir = tempfile::tempdir().unwrap();
        let s = store(e, dir.path());
        let secret = s.create_token("erp", Scope::Write).unwrap();
        assert!(secret.starts_with(PREFIX) && secret.len() == PREFIX.len() + 64);
        let t = s.authenticate(&secret).unwrap().unwrap();
        assert_eq!((t.name.as_str(), t.scope), ("erp", Scope::Write));
        assert!(s.authenticate("mr_wrong").unwrap().is_none());
        let stored: String = s
            .with(|c| c.query_row("SELECT hash FROM api_tokens", params![], |r| r.get(0)))
            .unwrap();
        assert_ne!(stored, secret);
        assert!(
            s.create_token("erp", Scope::Read).is_err(),
            "names are unique"
        );
        assert!(s.revoke_token("erp").unwrap());
        assert!(s.authenticate(&secret).unwrap().is_none());
        assert!(!s.revoke_token("erp").unwrap());
    }
}
