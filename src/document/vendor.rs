//! A supplier as mailroom knows it: master data (imported, or made by the first
//! approval of its documents) and what approvals of its documents have shown.
//!
//! Shared: the store keeps these, the vendor stage reads and teaches them, the review
//! UI and the API show them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One supplier's record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Vendor {
    /// The ledger's id (0 before it is stored).
    #[serde(default)]
    pub id: i64,
    /// The name as the supplier spells it.
    pub name: String,
    /// Upper case, no spaces (`DK12345678`).
    pub vat_id: Option<String>,
    /// Every IBAN on file, upper case, no spaces.
    #[serde(default)]
    pub ibans: Vec<String>,
    pub bic: Option<String>,
    pub currency: Option<String>,
    pub address: Option<String>,
    /// Other names the supplier is known by (trading names, how scans misread it).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Where the record came from: `import` or `approval`.
    #[serde(default)]
    pub source: String,
    /// What approved documents of this supplier showed.
    #[serde(default)]
    pub learned: Learned,
}

/// What the approved documents of one supplier showed, per field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Learned {
    /// How many approved documents taught this.
    pub documents: u32,
    #[serde(default)]
    pub fields: BTreeMap<String, Habit>,
    /// The types its approved documents had → how many (a person confirmed each).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub types: BTreeMap<String, u32>,
}

/// Where one field's value sat on a supplier's approved documents and what it looked like.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Habit {
    /// The label printed beside (or above) the value, normalised → on how many documents.
    #[serde(default)]
    pub labels: BTreeMap<String, u32>,
    /// The value's shape (`A-9999`: letters `A`, digits `9`, the rest as printed) → count.
    #[serde(default)]
    pub shapes: BTreeMap<String, u32>,
    /// Documents on which the value was found on the page.
    pub found: u32,
    /// For names and free text: the values approved, as spelled → count (a supplier
    /// bills the same few customers).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, u32>,
}

impl Habit {
    /// The label seen most often, with its count.
    pub fn label(&self) -> Option<(&str, u32)> {
        self.labels
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(l, n)| (l.as_str(), *n))
    }
}

/// The supplier a document was matched to, as the document names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VendorMatch {
    /// The vendor record's id.
    pub id: i64,
    pub name: String,
    /// `vat_id`, `iban` or `name`.
    pub matched_by: String,
    /// How many approved documents of this supplier mailroom has learned from.
    pub learned_from: u32,
}
