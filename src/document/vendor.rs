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

/// `from`'s counts added into `into`.
fn add_counts(into: &mut BTreeMap<String, u32>, from: &BTreeMap<String, u32>) {
    for (k, n) in from {
        *into.entry(k.clone()).or_default() += n;
    }
}

/// `from`'s counts taken out of `into`, never below zero; what reaches zero is gone.
fn take_counts(into: &mut BTreeMap<String, u32>, from: &BTreeMap<String, u32>) {
    for (k, n) in from {
        if let Some(have) = into.get_mut(k) {
            *have = have.saturating_sub(*n);
            if *have == 0 {
                into.remove(k);
            }
        }
    }
}

impl Learned {
    /// What `other` taught added to this (an approval's lesson kept in the book).
    pub fn add(&mut self, other: &Learned) {
        self.documents += other.documents;
        add_counts(&mut self.types, &other.types);
        for (name, h) in &other.fields {
            self.fields.entry(name.clone()).or_default().add(h);
        }
    }

    /// What `other` taught taken back (an undone approval), never below zero: a
    /// count another approval added stays, and a field nothing is left of is gone,
    /// so the book reads as if the approval had not happened.
    pub fn take_back(&mut self, other: &Learned) {
        self.documents = self.documents.saturating_sub(other.documents);
        take_counts(&mut self.types, &other.types);
        for (name, h) in &other.fields {
            let Some(mine) = self.fields.get_mut(name) else {
                continue;
            };
            take_counts(&mut mine.labels, &h.labels);
            take_counts(&mut mine.shapes, &h.shapes);
            take_counts(&mut mine.values, &h.values);
            mine.found = mine.found.saturating_sub(h.found);
            if *mine == Habit::default() {
                self.fields.remove(name);
            }
        }
    }
}

/// What one approval taught the vendor book: kept with the posting, so that undoing
/// the approval takes back exactly this and nothing another approval taught.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lesson {
    /// The supplier's record as the approval leaves it (`id` 0: made by this
    /// approval), with everything learned so far, this approval included.
    pub vendor: Vendor,
    /// What this approval alone taught (added to the book's current counts when
    /// stored, so two approvals of one supplier at once both count).
    pub taught: Learned,
    /// Parts of a record approvals made that were empty and this approval filled in
    /// (`vat_id`, `bic`, `currency`, `address`) → the value it put there.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub filled: BTreeMap<String, String>,
}

impl Vendor {
    /// The part of the record an approval may fill in, by name (see [`Lesson::filled`]).
    pub fn fillable(&mut self, part: &str) -> Option<&mut Option<String>> {
        match part {
            "vat_id" => Some(&mut self.vat_id),
            "bic" => Some(&mut self.bic),
            "currency" => Some(&mut self.currency),
            "address" => Some(&mut self.address),
            _ => None,
        }
    }
}

impl Habit {
    /// `other`'s counts added to this (one approval's, or another supplier's when
    /// pooling what every supplier's approvals showed).
    pub fn add(&mut self, other: &Habit) {
        add_counts(&mut self.labels, &other.labels);
        add_counts(&mut self.shapes, &other.shapes);
        add_counts(&mut self.values, &other.values);
        self.found += other.found;
    }

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
