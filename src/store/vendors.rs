//! Vendor master data and what approvals taught, in the ledger: shared by every worker,
//! backed up with it.
//!
//! One row per supplier: the record as JSON (`record`, without what was learned), the
//! VAT id in a column of its own (a re-import updates by it), and what approvals
//! taught (`learned`, JSON), which `reset` empties without touching the record.
//! Beside them, `lessons`: what each approval taught, so that undoing it takes back
//! exactly that ([`untaught`]).

use super::db::{self, params, Exec, OptionalExtension, Tx};

use super::{apply, now, Change, Store, StoreError};
use crate::document::vendor::{Learned, Lesson, Vendor};

/// What an import did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Imported {
    pub added: usize,
    pub updated: usize,
}

fn to_vendor(id: i64, record: &str, learned: &str) -> db::Result<Vendor> {
    let bad = |e: serde_json::Error| db::DbError::Type(1, e.to_string());
    let mut v: Vendor = serde_json::from_str(record).map_err(bad)?;
    v.id = id;
    v.learned = serde_json::from_str(learned).map_err(bad)?;
    Ok(v)
}

fn record_json(v: &Vendor) -> String {
    let bare = Vendor {
        id: 0,
        learned: Learned::default(),
        ..v.clone()
    };
    let mut json = serde_json::to_value(bare).unwrap_or_default();
    if let Some(o) = json.as_object_mut() {
        o.remove("id");
        o.remove("learned");
    }
    json.to_string()
}

/// Insert `v`, or update the row `v.id` names (record and learned).
fn save(tx: &mut Tx<'_>, v: &Vendor) -> db::Result<i64> {
    let learned = serde_json::to_string(&v.learned).unwrap_or_default();
    let at = now();
    if v.id == 0 {
        tx.query_row(
            "INSERT INTO vendors (name, vat_id, record, learned, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING id",
            params![v.name, v.vat_id, record_json(v), learned, at],
            |r| r.get(0),
        )
    } else {
        tx.execute(
            "UPDATE vendors SET name = ?2, vat_id = ?3, record = ?4, learned = ?5, updated_at = ?6
             WHERE id = ?1",
            params![v.id, v.name, v.vat_id, record_json(v), learned, at],
        )?;
        Ok(v.id)
    }
}

/// The vendor `id` as the ledger holds it now, read inside `tx`.
fn current(tx: &mut Tx<'_>, id: i64) -> db::Result<Option<Vendor>> {
    tx.query_row(
        "SELECT id, record, learned FROM vendors WHERE id = ?1",
        params![id],
        |r| to_vendor(r.get(0)?, &r.get::<String>(1)?, &r.get::<String>(2)?),
    )
    .optional()
}

/// Keep what an approval of `document_id` (its posting: transition `revision`) taught,
/// inside the approval's transaction: its counts are added to the book's counts as
/// they are now (not as they were when the lesson was worked out, so two approvals of
/// one supplier at once both count), a record approvals made gets the parts the
/// approval filled in where it still lacks them, and a new supplier's record is made
/// (or, when another approval made it meanwhile, the one with its VAT id is taught).
/// The lesson is kept in `lessons` for [`untaught`].
fn teach(tx: &mut Tx<'_>, document_id: &str, revision: i64, lesson: &Lesson) -> db::Result<()> {
    let mut id = lesson.vendor.id;
    if id == 0 {
        if let Some(vat) = &lesson.vendor.vat_id {
            id = tx
                .query_row(
                    "SELECT id FROM vendors WHERE vat_id = ?1",
                    params![vat],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0);
        }
    }
    let mut filled = lesson.filled.clone();
    let created = id == 0;
    let vendor_id = if created {
        let new = Vendor {
            learned: lesson.taught.clone(),
            ..lesson.vendor.clone()
        };
        save(tx, &new)?
    } else {
        let Some(mut v) = current(tx, id)? else {
            // Deleted since the lesson was worked out: nothing to teach.
            return Ok(());
        };
        v.learned.add(&lesson.taught);
        filled.retain(|part, value| match v.fillable(part) {
            Some(slot) if slot.is_none() => {
                *slot = Some(value.clone());
                true
            }
            _ => false,
        });
        save(tx, &v)?
    };
    tx.execute(
        "INSERT INTO lessons (document_id, revision, vendor_id, created, filled, taught)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            document_id,
            revision,
            vendor_id,
            created as i64,
            serde_json::to_string(&filled).unwrap_or_default(),
            serde_json::to_string(&lesson.taught).unwrap_or_default()
        ],
    )?;
    Ok(())
}

/// Take back, inside an undo's transaction, what the posting `revision` of
/// `document_id` taught ([`teach`]): its counts (never below zero: what other
/// approvals taught stays), the record parts it filled in that still hold its values,
/// and the record itself when the approval made it and nothing else has taught it or
/// replaced it (an import) since.
pub(super) fn untaught(tx: &mut Tx<'_>, document_id: &str, revision: i64) -> db::Result<()> {
    let lesson: Option<(i64, i64, String, String)> = tx
        .query_row(
            "SELECT vendor_id, created, filled, taught FROM lessons
             WHERE document_id = ?1 AND revision = ?2",
            params![document_id, revision],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((vendor_id, created, filled, taught)) = lesson else {
        return Ok(());
    };
    let bad = |e: serde_json::Error| db::DbError::Type(1, e.to_string());
    let filled: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&filled).map_err(bad)?;
    let taught: Learned = serde_json::from_str(&taught).map_err(bad)?;
    tx.execute(
        "DELETE FROM lessons WHERE document_id = ?1 AND revision = ?2",
        params![document_id, revision],
    )?;
    let Some(mut v) = current(tx, vendor_id)? else {
        return Ok(());
    };
    v.learned.take_back(&taught);
    let ours = v.source == "approval";
    // Another approval's lesson still standing keeps the record, whatever its counts
    // say (a reset sets them to zero).
    let taught_by_others: i64 = tx.query_row(
        "SELECT COUNT(*) FROM lessons WHERE vendor_id = ?1",
        params![vendor_id],
        |r| r.get(0),
    )?;
    if created == 1 && ours && v.learned.documents == 0 && taught_by_others == 0 {
        tx.execute("DELETE FROM vendors WHERE id = ?1", params![vendor_id])?;
        return Ok(());
    }
    for (part, value) in &filled {
        if let Some(slot) = v
            .fillable(part)
            .filter(|s| ours && s.as_ref() == Some(value))
        {
            *slot = None;
        }
    }
    save(tx, &v)?;
    Ok(())
}

impl Store {
    /// Every vendor, by name.
    pub fn vendors(&self) -> Result<Vec<Vendor>, StoreError> {
        self.with(|c| {
            // lower(): SQLite's NOCASE, which PostgreSQL does not have.
            c.query_map(
                "SELECT id, record, learned FROM vendors ORDER BY lower(name), id",
                params![],
                |r| to_vendor(r.get(0)?, &r.get::<String>(1)?, &r.get::<String>(2)?),
            )
        })
    }

    /// One vendor by id.
    pub fn vendor(&self, id: i64) -> Result<Option<Vendor>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT id, record, learned FROM vendors WHERE id = ?1",
                params![id],
                |r| to_vendor(r.get(0)?, &r.get::<String>(1)?, &r.get::<String>(2)?),
            )
            .optional()
        })
    }

    /// Import master data in one transaction: a vendor whose VAT id (else one of whose
    /// IBANs) is on file updates that record, keeping what was learned; the others are
    /// added. All or nothing.
    pub fn import_vendors(&self, vendors: &[Vendor]) -> Result<Imported, StoreError> {
        let known = self.vendors()?;
        self.with(|c| {
            let mut tx = c.immediate()?;
            let mut done = Imported::default();
            for v in vendors {
                let same = known.iter().find(|k| match (&k.vat_id, &v.vat_id) {
                    (Some(a), Some(b)) => a == b,
                    (_, None) => v.ibans.iter().any(|i| k.ibans.contains(i)),
                    _ => false,
                });
                let row = match same {
                    Some(k) => {
                        done.updated += 1;
                        Vendor {
                            id: k.id,
                            learned: k.learned.clone(),
                            ..v.clone()
                        }
                    }
                    None => {
                        done.added += 1;
                        v.clone()
                    }
                };
                save(&mut tx, &row)?;
            }
            tx.commit()?;
            Ok(done)
        })
    }

    /// Forget what approvals taught about vendor `id`; its record stays. (A writer's
    /// transaction, as every change to the book: an approval teaching at the same
    /// moment adds to the book as it is, never to a copy read before.)
    pub fn reset_learning(&self, id: i64) -> Result<bool, StoreError> {
        let n = self.with(|c| {
            let mut tx = c.immediate()?;
            let n = tx.execute(
                "UPDATE vendors SET learned = '{\"documents\":0}', updated_at = ?2 WHERE id = ?1",
                params![id, now()],
            )?;
            // Nothing is left for an undo to take back.
            tx.execute("DELETE FROM lessons WHERE vendor_id = ?1", params![id])?;
            tx.commit()?;
            Ok(n)
        })?;
        Ok(n == 1)
    }

    /// Remove vendor `id` and what was learned about it.
    pub fn delete_vendor(&self, id: i64) -> Result<bool, StoreError> {
        let n = self.with(|c| {
            let mut tx = c.immediate()?;
            let n = tx.execute("DELETE FROM vendors WHERE id = ?1", params![id])?;
            tx.execute("DELETE FROM lessons WHERE vendor_id = ?1", params![id])?;
            tx.commit()?;
            Ok(n)
        })?;
        Ok(n == 1)
    }

    /// A person's decision together with what it taught (the vendor record made or
    /// updated by an approval): one transaction, so only a decision that happened
    /// teaches, and it teaches once.
    pub(crate) fn change_and_learn(
        &self,
        change: &Change<'_>,
        taught: Option<&Lesson>,
    ) -> Result<(), StoreError> {
        self.decide_and_learn(change, taught, |_| Ok(()))
    }

    /// `change` and what it `taught` in one immediate transaction, then `also` (in
    /// the same transaction) when the change was made: the one shape of a person's
    /// decision, plain ([`Store::change_and_learn`]) or with its deliveries held
    /// ([`Store::post_held`]).
    pub(super) fn decide_and_learn(
        &self,
        change: &Change<'_>,
        taught: Option<&Lesson>,
        also: impl FnOnce(&mut Tx<'_>) -> db::Result<()> + Send,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            let mut tx = c.immediate()?;
            let r = apply(&mut tx, change)?;
            if r.is_ok() {
                if let Some(lesson) = taught {
                    let revision: i64 = tx.query_row(
                        "SELECT MAX(id) FROM transitions WHERE document_id = ?1",
                        params![change.id],
                        |r| r.get(0),
                    )?;
                    teach(&mut tx, change.id, revision, lesson)?;
                }
                also(&mut tx)?;
            }
            tx.commit()?;
            Ok(r)
        })?
    }
}
