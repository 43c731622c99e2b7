//! A container (an email) becomes the documents inside it, in one transaction.
//!
//! The children's bytes go to the blob store first (content-addressed, so writing them
//! again after a crash changes nothing); then one immediate transaction inserts every
//! child row, linked to its parent, and moves the parent to `unpacked`. A crash before
//! the commit leaves the parent in `processing`, and [`Store::recover`] sends it round
//! again: each attachment becomes a document exactly once.

use super::db::{params, Exec};

use super::{
    apply, insert_document, row_to_doc, Change, DocumentRow, Ingested, NewDocument, State, Store,
    StoreError,
};

/// One document found inside a container.
#[derive(Debug, Clone)]
pub struct Child {
    pub name: String,
    pub data: Vec<u8>,
    /// JSON kept as the child's `source_meta` (see [`DocumentRow::source_meta`]).
    pub meta: String,
}

impl Store {
    /// The documents unpacked from `parent` (an email's attachments), in the order
    /// they were recorded; none for a document that is no container.
    pub fn children(&self, parent: &str) -> Result<Vec<DocumentRow>, StoreError> {
        self.with(|c| {
            let rows = c.query_map(
                select_documents!("WHERE parent_id = ?1 ORDER BY seq"),
                params![parent],
                row_to_doc,
            )?;
            Ok(rows)
        })
    }

    /// Record `children` as documents of their own and move `parent` (in `processing`)
    /// to `unpacked` with `reason`. A child whose bytes the ledger already holds is a
    /// duplicate of that document, as for files dropped in the inbox.
    pub fn unpack(
        &self,
        parent: &DocumentRow,
        children: &[Child],
        reason: &str,
    ) -> Result<Vec<Ingested>, StoreError> {
        let mut stored = Vec::new();
        for c in children {
            stored.push(self.blobs.put_bytes(&c.data)?);
        }
        self.with(|conn| {
            let mut tx = conn.immediate()?;
            let mut out = Vec::new();
            for (c, (sha, size)) in children.iter().zip(&stored) {
                out.push(insert_document(
                    &mut tx,
                    &NewDocument {
                        name: &c.name,
                        sha256: sha,
                        size: *size,
                        intake_done: true,
                        parent_id: Some(&parent.id),
                        source_meta: Some(&c.meta),
                        reason: &format!("attachment {} of {}", c.name, parent.id),
                    },
                )?);
            }
            let moved = apply(
                &mut tx,
                &Change {
                    id: &parent.id,
                    expect: Some(State::Processing),
                    to: State::Unpacked,
                    reason,
                    result: None,
                    notice: None,
                    actor: None,
                },
            )?;
            if let Err(e) = moved {
                return Ok(Err(e));
            }
            tx.commit()?;
            Ok(Ok(out))
        })?
    }
}
