//! People who work the review queue: users with argon2-hashed passwords, their
//! sign-in sessions, and the leases that keep two reviewers off one document.

use super::db::{self, params, Exec, OptionalExtension, Row};
use rand::RngCore;
use sha2::Digest;

use super::{now, Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Reviewer,
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "reviewer" => Some(Role::Reviewer),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
}

/// A signed-in user and the session's CSRF token.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf: String,
}

/// Who holds a document.
#[derive(Debug, Clone, PartialEq)]
pub enum Lease {
    /// You have it until this time (unix ms).
    Yours(i64),
    /// Someone else has it.
    Held { by: String, until: i64 },
}

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

fn sha(s: &str) -> String {
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

/// An argon2id hash (PHC string) of `password`.
pub fn hash_password(password: &str) -> Result<String, String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

fn password_ok(password: &str, phc: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(phc)
        .map(|h| {
            argon2::Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A dummy hash to verify against when the user does not exist, so a wrong name
/// takes as long as a wrong password.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password("not a password").unwrap_or_default());

fn row_to_user(r: &Row<'_, '_>) -> db::Result<User> {
    let role: String = r.get(2)?;
    Ok(User {
        id: r.get(0)?,
        name: r.get(1)?,
        role: Role::parse(&role).unwrap_or(Role::Reviewer),
    })
}

impl Store {
    /// Add a user, or set the password and role of an existing one. An existing user's
    /// sessions end in the same transaction: a changed password (a leaked one, a person
    /// who left) or a changed role must not live on in a browser that signed in before.
    pub fn set_user(&self, name: &str, role: Role, password: &str) -> Result<(), StoreError> {
        let hash = hash_password(password).map_err(|e| StoreError::Invalid(e.to_string()))?;
        self.with(|c| {
            let mut tx = c.immediate()?;
            tx.execute(
                "INSERT INTO users (name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(name) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash",
                params![name, role.as_str(), hash, now()],
            )?;
            tx.execute(
                "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?1)",
                params![name],
            )?;
            tx.commit()
        })?;
        Ok(())
    }

    /// End every session of `name`; how many there were. `None` when there is no such user.
    pub fn end_sessions(&self, name: &str) -> Result<Option<usize>, StoreError> {
        self.with(|c| {
            let id: Option<i64> = c
                .query_row("SELECT id FROM users WHERE name = ?1", params![name], |r| {
                    r.get(0)
                })
                .optional()?;
            let Some(id) = id else { return Ok(None) };
            let n = c.execute("DELETE FROM sessions WHERE user_id = ?1", params![id])?;
            Ok(Some(n))
        })
    }

    /// Remove `name`: its sessions and leases end with it. The history keeps the name
    /// as the actor of what the person did. `false` when there is no such user.
    pub fn remove_user(&self, name: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            let mut tx = c.immediate()?;
            tx.execute(
                "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?1)",
                params![name],
            )?;
            tx.execute("DELETE FROM leases WHERE user_name = ?1", params![name])?;
            let n = tx.execute("DELETE FROM users WHERE name = ?1", params![name])?;
            tx.commit()?;
            Ok(n > 0)
        })
    }

    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        self.with(|c| {
            let rows = c.query_map(
                "SELECT id, name, role FROM users ORDER BY name",
                params![],
                row_to_user,
            )?;
            Ok(rows)
        })
    }

    /// Check a name and password; on success start a session lasting `ttl_ms` and
    /// return its cookie secret.
    pub fn sign_in(
        &self,
        name: &str,
        password: &str,
        ttl_ms: i64,
    ) -> Result<Option<String>, StoreError> {
        let found: Option<(i64, String)> = self.with(|c| {
            c.query_row(
                "SELECT id, password_hash FROM users WHERE name = ?1",
                params![name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
        })?;
        let ok = match &found {
            Some((_, phc)) => password_ok(password, phc),
            None => {
                let _ = password_ok(password, &DUMMY_HASH);
                false
            }
        };
        let (Some((user_id, _)), true) = (found, ok) else {
            return Ok(None);
        };
        let secret = random_hex(32);
        let expires = super::outbox::now_ms() + ttl_ms;
        self.with(|c| {
            c.execute(
                "INSERT INTO sessions (hash, user_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![sha(&secret), user_id, random_hex(32), now(), expires],
            )
        })?;
        Ok(Some(secret))
    }

    /// Counts a sign-in attempt for `name` before its password is checked, in one
    /// writing transaction (SQLite's `BEGIN IMMEDIATE`, PostgreSQL's writers' lock), so
    /// that parallel attempts through any number of processes on the ledger cannot all
    /// pass the check before the first is counted: `false` when the name already has
    /// `max` attempts counted within `window_ms`. Names are compared lower-cased; counts
    /// older than the window are dropped on the way.
    pub fn admit_sign_in(&self, name: &str, max: u32, window_ms: i64) -> Result<bool, StoreError> {
        let key = name.to_lowercase();
        let now = super::outbox::now_ms();
        let stale = now - window_ms;
        self.with(|c| {
            let mut tx = c.immediate()?;
            tx.execute(
                "DELETE FROM sign_in_failures WHERE window_start <= ?1",
                params![stale],
            )?;
            let counted: Option<i64> = tx
                .query_row(
                    "SELECT failures FROM sign_in_failures WHERE name = ?1",
                    params![key],
                    |r| r.get(0),
                )
                .optional()?;
            let admitted = match counted {
                Some(n) if n >= i64::from(max) => false,
                Some(_) => {
                    tx.execute(
                        "UPDATE sign_in_failures SET failures = failures + 1 WHERE name = ?1",
                        params![key],
                    )?;
                    true
                }
                None => {
                    tx.execute(
                        "INSERT INTO sign_in_failures (name, failures, window_start) VALUES (?1, 1, ?2)",
                        params![key, now],
                    )?;
                    true
                }
            };
            tx.commit()?;
            Ok(admitted)
        })
    }

    /// The right password: the attempts counted against `name` are forgiven.
    pub fn forgive_sign_ins(&self, name: &str) -> Result<(), StoreError> {
        let key = name.to_lowercase();
        self.with(|c| c.execute("DELETE FROM sign_in_failures WHERE name = ?1", params![key]))?;
        Ok(())
    }

    /// The live session with this cookie secret.
    pub fn session(&self, secret: &str) -> Result<Option<Session>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT u.id, u.name, u.role, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.hash = ?1 AND s.expires_at > ?2",
                params![sha(secret), super::outbox::now_ms()],
                |r| {
                    Ok(Session {
                        user: row_to_user(r)?,
                        csrf: r.get(3)?,
                    })
                },
            )
            .optional()
        })
    }

    pub fn sign_out(&self, secret: &str) -> Result<(), StoreError> {
        self.with(|c| c.execute("DELETE FROM sessions WHERE hash = ?1", params![sha(secret)]))?;
        Ok(())
    }

    /// Take or renew the lease on a document for `user` for `ttl_ms`, unless someone
    /// else holds a live one.
    pub fn lease(&self, document_id: &str, user: &str, ttl_ms: i64) -> Result<Lease, StoreError> {
        let now = super::outbox::now_ms();
        self.with(|c| {
            let mut tx = c.immediate()?;
            let held: Option<(String, i64)> = tx
                .query_row(
                    "SELECT user_name, expires_at FROM leases WHERE document_id = ?1",
                    params![document_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((by, until)) = held {
                if by != user && until > now {
                    return Ok(Lease::Held { by, until });
                }
            }
            tx.execute(
                "INSERT INTO leases (document_id, user_name, expires_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(document_id) DO UPDATE SET user_name = excluded.user_name, expires_at = excluded.expires_at",
                params![document_id, user, now + ttl_ms],
            )?;
            tx.commit()?;
            Ok(Lease::Yours(now + ttl_ms))
        })
    }

    /// Give a document back (leaving its page, skipping it, deciding it).
    pub fn release(&self, document_id: &str, user: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "DELETE FROM leases WHERE document_id = ?1 AND user_name = ?2",
                params![document_id, user],
            )
        })?;
        Ok(())
    }

    /// Who holds live leases, by document.
    pub fn leases(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.with(|c| {
            let rows = c.query_map(
                "SELECT document_id, user_name FROM leases WHERE expires_at > ?1",
                params![super::outbox::now_ms()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok(rows)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_ledger::{on_both_engines, store, Engine, Ledger};

    on_both_engines!(
        passwords_sessions_and_leases,
        sign_in_attempts_are_counted_per_name
    );

    fn passwords_sessions_and_leases(e: Engine) {
        let dir = tempfile::tempdir().unwrap();
        let s = store(e, dir.path());
        s.set_user("ann", Role::Reviewer, "correct horse").unwrap();
        let stored: String = s
            .with(|c| c.query_row("SELECT password_hash FROM users", params![], |r| r.get(0)))
            .unwrap();
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(s.sign_in("ann", "wrong", 60_000).unwrap().is_none());
        assert!(s.sign_in("bob", "correct horse", 60_000).unwrap().is_none());
        let secret = s.sign_in("ann", "correct horse", 60_000).unwrap().unwrap();
        let session = s.session(&secret).unwrap().unwrap();
        assert_eq!(
            (session.user.name.as_str(), session.user.role),
            ("ann", Role::Reviewer)
        );
        assert_eq!(session.csrf.len(), 64);
        s.sign_out(&secret).unwrap();
        assert!(s.session(&secret).unwrap().is_none());
        let expired = s.sign_in("ann", "correct horse", -1).unwrap().unwrap();
        assert!(s.session(&expired).unwrap().is_none());

        // A new password ends the sessions signed in with the old one (issue 17).
        s.set_user("bob", Role::Reviewer, "bob's own").unwrap();
        let before = s.sign_in("ann", "correct horse", 60_000).unwrap().unwrap();
        let bobs = s.sign_in("bob", "bob's own", 60_000).unwrap().unwrap();
        s.set_user("ann", Role::Reviewer, "battery staple").unwrap();
        assert!(
            s.session(&before).unwrap().is_none(),
            "old session lives on"
        );
        assert!(
            s.session(&bobs).unwrap().is_some(),
            "another user's session ended"
        );
        // Ending all of a user's sessions, and removing a user.
        let again = s.sign_in("ann", "battery staple", 60_000).unwrap().unwrap();
        assert_eq!(s.end_sessions("ann").unwrap(), Some(1));
        assert!(s.session(&again).unwrap().is_none());
        assert_eq!(s.end_sessions("nobody").unwrap(), None);
        assert!(s.remove_user("bob").unwrap());
        assert!(s.session(&bobs).unwrap().is_none());
        assert!(s.sign_in("bob", "bob's own", 60_000).unwrap().is_none());
        assert!(!s.remove_user("bob").unwrap());
        s.set_user("bob", Role::Reviewer, "bob password").unwrap();

        let f = dir.path().join("a.png");
        std::fs::write(&f, b"x").unwrap();
        let id = s.ingest(&f).unwrap().id().to_string();
        assert!(matches!(
            s.lease(&id, "ann", 60_000).unwrap(),
            Lease::Yours(_)
        ));
        assert!(
            matches!(s.lease(&id, "ann", 60_000).unwrap(), Lease::Yours(_)),
            "renewed"
        );
        assert!(
            matches!(s.lease(&id, "bob", 60_000).unwrap(), Lease::Held { by, .. } if by == "ann")
        );
        s.release(&id, "ann").unwrap();
        assert!(matches!(s.lease(&id, "bob", -1).unwrap(), Lease::Yours(_)));
        // Bob's lease expired at once: Ann can take it.
        assert!(matches!(
            s.lease(&id, "ann", 60_000).unwrap(),
            Lease::Yours(_)
        ));
    }

    fn sign_in_attempts_are_counted_per_name(e: Engine) {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::new(e, dir.path());
        let s = ledger.open();
        for _ in 0..3 {
            assert!(s.admit_sign_in("Ann", 3, 60_000).unwrap());
        }
        assert!(!s.admit_sign_in("ann", 3, 60_000).unwrap(), "any case");
        assert!(s.admit_sign_in("bob", 3, 60_000).unwrap(), "per name");
        // A second process on the same ledger sees the same count.
        let other = ledger.open();
        assert!(!other.admit_sign_in("ANN", 3, 60_000).unwrap());
        s.forgive_sign_ins("ann").unwrap();
        assert!(other.admit_sign_in("ann", 3, 60_000).unwrap());
        // Counts older than the window are forgotten.
        for _ in 0..3 {
            s.admit_sign_in("cy", 3, 60_000).unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert!(s.admit_sign_in("cy", 3, 1).unwrap());
    }
}
