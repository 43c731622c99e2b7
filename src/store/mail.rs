//! Where each IMAP mailbox stands: which of its messages are in the ledger, and which
//! of those were acted on at the server (moved, flagged, deleted).
//!
//! A message is recorded with its document in one transaction, and acted on only
//! after that commit. A crash between the two leaves a recorded, unacted message: the
//! next start acts on it without fetching it again. Positions are keyed by UIDVALIDITY:
//! when the server renumbers a folder, reading starts again from the first UID and
//! content hashes mark what the ledger already has as duplicates.

use super::db::{self, params, Exec, OptionalExtension};

use super::{insert_document, Ingested, NewDocument, Store, StoreError};
use crate::source::mailbox::MailPosition;

impl Store {
    /// Whether this process may read `mailbox`: on PostgreSQL, where several runs share
    /// the ledger, one reader per mailbox at a time, by a session advisory lock that
    /// this process keeps (taking it again is free) until it ends, however it ends.
    /// Always on SQLite, where one run holds the ledger.
    pub fn hold_mailbox(&self, mailbox: &str) -> Result<bool, StoreError> {
        if self.backend() == db::Backend::Sqlite {
            return Ok(true);
        }
        let key = format!("mailroom mailbox {mailbox}");
        // On the home connection: a pooled one would take the lock in a session of
        // its own, which another connection of this process could not take again.
        self.with_home(|c| {
            c.query_row(
                "SELECT pg_try_advisory_lock(hashtext(?1))",
                params![key],
                |r| r.get(0),
            )
        })
    }

    /// Record a fetched message as a document and its position, durably, together.
    /// Recording the same position twice returns the document recorded first.
    pub fn record_mail(&self, at: &MailPosition, data: &[u8]) -> Result<Ingested, StoreError> {
        let (sha, size) = self.blobs.put_bytes(data)?;
        let meta = crate::document::SourceMeta {
            mailbox: Some(crate::document::MailboxSource {
                name: at.mailbox.clone(),
                folder: at.folder.clone(),
                uid_validity: at.uid_validity,
                uid: at.uid,
            }),
            ..Default::default()
        };
        let meta = serde_json::to_string(&meta).expect("source metadata serialises");
        self.with(|c| {
            let mut tx = c.immediate()?;
            let known: Option<String> = tx
                .query_row(
                    "SELECT document_id FROM mail_seen WHERE mailbox = ?1 AND folder = ?2 AND uid_validity = ?3 AND uid = ?4",
                    params![at.mailbox, at.folder, at.uid_validity, at.uid],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(id) = known {
                return Ok(Ingested::Resumed { id });
            }
            let ingested = insert_document(
                &mut tx,
                &NewDocument {
                    name: &at.file_name(),
                    sha256: &sha,
                    size,
                    intake_done: true,
                    parent_id: None,
                    source_meta: Some(&meta),
                    reason: &format!(
                        "fetched from imap {} folder {} (uid {})",
                        at.mailbox, at.folder, at.uid
                    ),
                },
            )?;
            tx.execute(
                "INSERT INTO mail_seen (mailbox, folder, uid_validity, uid, document_id) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![at.mailbox, at.folder, at.uid_validity, at.uid, ingested.id()],
            )?;
            tx.commit()?;
            Ok(ingested)
        })
    }

    /// The server has acted on the message at `at`.
    pub fn mail_acted(&self, at: &MailPosition) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE mail_seen SET acted_at = ?5 WHERE mailbox = ?1 AND folder = ?2 AND uid_validity = ?3 AND uid = ?4",
                params![at.mailbox, at.folder, at.uid_validity, at.uid, super::now()],
            )
        })?;
        Ok(())
    }

    /// UIDs recorded but not yet acted on, and the highest UID recorded, for one folder
    /// under one UIDVALIDITY.
    pub fn mail_position(
        &self,
        mailbox: &str,
        folder: &str,
        uid_validity: u32,
    ) -> Result<(Vec<u32>, u32), StoreError> {
        self.with(|c| {
            let unacted: Vec<u32> = c.query_map("SELECT uid FROM mail_seen WHERE mailbox = ?1 AND folder = ?2 AND uid_validity = ?3 AND acted_at IS NULL ORDER BY uid", params![mailbox, folder, uid_validity], |r| r.get(0))?;
            let last: Option<u32> = c.query_row(
                "SELECT MAX(uid) FROM mail_seen WHERE mailbox = ?1 AND folder = ?2 AND uid_validity = ?3",
                params![mailbox, folder, uid_validity],
                |r| r.get(0),
            )?;
            Ok((unacted, last.unwrap_or(0)))
        })
    }
}
