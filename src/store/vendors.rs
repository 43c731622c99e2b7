//! Vendor master data and what approvals taught, in the ledger: shared by every worker,
//! backed up with it.
//!
//! One row per supplier: the record as JSON (`record`, without what was learned), the
//! VAT id in a column of its own (a re-import updates by it), and what approvals
//! taught (`learned`, JSON), which `reset` empties without touching the record.

use super::db::{self, params, Exec, OptionalExtension, Tx};

use super::{apply, now, Change, Store, StoreError};
use crate::document::vendor::{Learned, Vendor};

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

    /// Forget what approvals taught about vendor `id`; its record stays.
    pub fn reset_learning(&self, id: i64) -> Result<bool, StoreError> {
        let n = self.with(|c| {
            c.execute(
                "UPDATE vendors SET learned = '{\"documents\":0}', updated_at = ?2 WHERE id = ?1",
                params![id, now()],
            )
        })?;
        Ok(n == 1)
    }

    /// Remove vendor `id` and what was learned about it.
    pub fn delete_vendor(&self, id: i64) -> Result<bool, StoreError> {
        let n = self.with(|c| c.execute("DELETE FROM vendors WHERE id = ?1", params![id]))?;
        Ok(n == 1)
    }

    /// A person's decision together with what it taught (the vendor record made or
    /// updated by an approval): one transaction, so only a decision that happened
    /// teaches, and it teaches once.
    pub(crate) fn change_and_learn(
        &self,
        change: &Change<'_>,
        taught: Option<&Vendor>,
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
        taught: Option<&Vendor>,
        also: impl FnOnce(&mut Tx<'_>) -> db::Result<()> + Send,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            let mut tx = c.immediate()?;
            let r = apply(&mut tx, change)?;
            if r.is_ok() {
                if let Some(v) = taught {
                    save(&mut tx, v)?;
                }
                also(&mut tx)?;
            }
            tx.commit()?;
            Ok(r)
        })?
    }
}
