//! The typed document: the contract with downstream systems.
//!
//! `mailroom extract` prints it, the sinks deliver it, the API returns it. Field
//! names are snake_case and stable; values are normalised strings (dates `YYYY-MM-DD`,
//! money a decimal string with `.`, IBAN/VAT upper case without spaces). See
//! `docs/ARCHITECTURE.md` for the schema.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub mod check;
pub mod input;
pub mod vendor;

pub use check::CheckCode;

/// A confidence as the document reports it: three decimals, so that outputs compare
/// and snapshot stably.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Bumped whenever a field is renamed or its meaning changes.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypedDocument {
    pub id: String,
    pub schema_version: u32,
    pub source: SourceInfo,
    pub text_origin: Origin,
    pub doc_type: DocTypeGuess,
    /// Every field the document type defines, in the type file's order; `null` when absent.
    pub fields: Fields,
    pub line_items: Vec<LineItem>,
    /// The supplier in master data this document was matched to (invoice-like types).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<vendor::VendorMatch>,
    pub checks: Vec<CheckResult>,
    pub decision: Decision,
}

/// Field name → field (or `null`). A `BTreeMap` would reorder the keys; we keep the
/// order of the document type so the JSON reads like the form.
pub type Fields = IndexedFields;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct IndexedFields(pub Vec<(String, Option<Field>)>);

impl IndexedFields {
    pub fn get(&self, name: &str) -> Option<&Field> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, f)| f.as_ref())
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut Field> {
        self.0
            .iter_mut()
            .find(|(n, _)| n == name)
            .and_then(|(_, f)| f.as_mut())
    }

    pub fn set(&mut self, name: &str, field: Option<Field>) {
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = field,
            None => self.0.push((name.to_string(), field)),
        }
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).map(|f| f.value.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, Option<&Field>)> {
        self.0.iter().map(|(n, f)| (n.as_str(), f.as_ref()))
    }
}

impl Serialize for IndexedFields {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, field) in &self.0 {
            map.serialize_entry(name, field)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for IndexedFields {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = IndexedFields;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map of field name to field or null")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = a.next_entry::<String, Option<Field>>()? {
                    out.push((k, v));
                }
                Ok(IndexedFields(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceInfo {
    pub name: String,
    pub sha256: String,
    pub media_type: String,
    pub pages: u32,
    pub received_at: String,
    /// Where it came from beyond the file: the email, the mailbox.
    #[serde(flatten)]
    pub meta: SourceMeta,
}

/// Where a document came from beyond its file, as the ledger keeps it (the documents
/// row's `source_meta`, one JSON object) and as `source` shows it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SourceMeta {
    /// For an email's attachment or body: that email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailSource>,
    /// For a mail fetched over IMAP (and its attachments): where it was on the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<MailboxSource>,
    /// For a file uploaded from the review UI or the API: who uploaded it (the user's
    /// name, or `api:` and the token's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uploaded_by: Option<String>,
}

impl SourceMeta {
    /// The ledger's JSON; an unreadable or absent value is no metadata.
    pub fn from_ledger(json: Option<&str>) -> SourceMeta {
        json.and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default()
    }
}

/// A mail's place on an IMAP server.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MailboxSource {
    /// The mailbox's name in `[[mailboxes]]`.
    pub name: String,
    pub folder: String,
    pub uid_validity: u32,
    pub uid: u32,
}

/// The email a document came in: kept so downstream systems can answer the sender.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EmailSource {
    /// The email's own document id in the ledger.
    pub document_id: String,
    pub from: Option<String>,
    pub subject: Option<String>,
    /// RFC 3339 when the Date header could be read, else as sent.
    pub date: Option<String>,
    pub message_id: Option<String>,
    /// Where in the email the document was ("attachment 2", "winmail.dat / scan.pdf").
    pub part: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Ocr,
    TextLayer,
    Structured,
    Derived,
    Corrected,
    /// Filled from the matched vendor's record: the page lacked or misread it.
    MasterData,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocTypeGuess {
    pub value: String,
    pub confidence: f64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// The classifier's ranking: every type with some evidence, best first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<TypeCandidate>,
    /// The classifier could not settle the type (a tie, a weak winner), so the fields
    /// were read as the best-supported candidate, `value`, and a person confirms it.
    /// Such a document is never posted without review; approving it confirms the type.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub uncertain: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeCandidate {
    pub name: String,
    pub confidence: f64,
}

/// Page-local box in pixels of the normalised page image: `[x0, y0, x1, y1]`.
pub type BBox = [u32; 4];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub value: String,
    pub confidence: f64,
    pub raw: String,
    pub page: u32,
    pub bbox: Option<BBox>,
    pub origin: Origin,
    /// Why this value and not another the page offered (when it offered more than
    /// one), then every change of its confidence after it was read, in order, each
    /// saying what changed it and from what to what ([`Field::set_confidence`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

impl Field {
    /// The one way a field's confidence changes once the field exists: the new value,
    /// and in `reasons` why (`why`, e.g. "raised: iban_checksum passed") with the
    /// confidence before and after. It records whenever it is called, so call it when
    /// evidence speaks, not to restate a confidence (see [`Field::raise_or_lower`]).
    pub fn set_confidence(&mut self, new: f64, why: impl std::fmt::Display) {
        self.reasons.push(format!(
            "{why}: confidence {:.3} → {:.3}",
            self.confidence, new
        ));
        self.confidence = new;
    }

    /// [`Field::set_confidence`] when `new` differs from the confidence the field has:
    /// for rules applied to every field (checks, calibration) that often leave it as
    /// it is.
    pub fn raise_or_lower(&mut self, new: f64, why: impl std::fmt::Display) {
        if new != self.confidence {
            self.set_confidence(new, why);
        }
    }

    /// The confidence as the document reports it ([`round3`]): a matter of printing,
    /// not of evidence, so it records no reason.
    pub fn round_confidence(&mut self) {
        self.confidence = round3(self.confidence);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineItem {
    pub description: String,
    pub quantity: Option<String>,
    pub unit_price: Option<String>,
    pub amount: Option<String>,
    /// The row's VAT rate in percent, a decimal string (`"25"`, `"12.5"`), where the
    /// document states it per row (structured e-invoices) or a person typed it; `null`
    /// for rows read from a page. Documents stored before it was kept read as `null`.
    #[serde(default)]
    pub vat_rate: Option<String>,
    pub confidence: f64,
    /// Where the row was read (scans and text layers; not structured invoices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bbox: Option<BBox>,
}

/// The fields that name a document's sender (an invoice's supplier, a receipt's
/// merchant), in the order to ask them: the queue's vendor column, the search's vendor
/// key and "the same sender's other documents" all read them.
pub const PARTY_FIELDS: &[&str] = &["vendor_name", "merchant_name"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub code: CheckCode,
    pub passed: bool,
    pub fields: Vec<String>,
    pub message: String,
}

impl CheckResult {
    /// Whether a person may not approve the document while this check fails. Checks on
    /// fields block until the fields are corrected; `line_items_sum` does not, since
    /// a person may correct the items in review or leave them (a discount row the rows do
    /// not show): approving vouches for the fields, and the failed
    /// check travels with the document, its items at the halved confidence they have.
    pub fn blocks_approval(&self) -> bool {
        // A null the page seems to contradict, an invoice that looks like one already
        // seen, and markup in a value are questions for the person, who has seen the
        // reason and may find the field truly empty, the invoice new, the name
        // really spelled so, or the value right in print OCR read two ways: approving
        // answers them.
        !self.passed
            && !matches!(
                self.code,
                CheckCode::NullContradicted
                    | CheckCode::DuplicateInvoice
                    | CheckCode::MarkupInField
                    | CheckCode::IbanOnFile
                    | CheckCode::VendorKnown
                    | CheckCode::UsualFieldMissing
                    | CheckCode::ReadTwice
            )
            && self.fields.iter().any(|f| f != "line_items")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    AutoPost,
    Review,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub route: Route,
    pub reasons: Vec<String>,
}

/// Ground truth beside a sample (`NAME.truth.json`), as the generator writes it.
#[derive(Debug, Clone, Deserialize)]
pub struct Truth {
    pub doc_type: String,
    #[serde(default)]
    pub degradation: Option<String>,
    #[serde(default)]
    pub layout: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    pub fields: BTreeMap<String, Option<String>>,
    /// The item rows printed, when the generator knows them.
    #[serde(default)]
    pub line_items: Vec<TruthItem>,
    /// In a supplier stream (`mailroom-samples --suppliers`): the supplier, and which
    /// of its documents this is (1 for the first).
    #[serde(default)]
    pub supplier: Option<String>,
    #[serde(default)]
    pub supplier_doc: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TruthItem {
    pub description: String,
    pub quantity: Option<String>,
    pub unit_price: Option<String>,
    pub amount: Option<String>,
}

impl TruthItem {
    /// Whether `read` is this row: the same description (case and spacing aside),
    /// amount, unit price and quantity (an unprinted quantity is 1).
    pub fn matches(&self, read: &LineItem) -> bool {
        let text = |s: &str| {
            s.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        };
        let qty = |q: Option<&str>| q.unwrap_or("1").to_string();
        text(&self.description) == text(&read.description)
            && self.amount == read.amount
            && self.unit_price == read.unit_price
            && qty(self.quantity.as_deref()) == qty(read.quantity.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row stored before rows kept their VAT rate reads as having none; a row
    /// always writes the key, `null` when it has no rate.
    #[test]
    fn a_line_item_stored_without_a_vat_rate_reads() {
        let old = r#"{"description": "Toner sort", "quantity": "2", "unit_price": "49.00",
                      "amount": "98.00", "confidence": 0.9, "page": 1, "bbox": [1, 2, 3, 4]}"#;
        let item: LineItem = serde_json::from_str(old).unwrap();
        assert_eq!(item.vat_rate, None);
        assert_eq!(item.amount.as_deref(), Some("98.00"));
        let again = serde_json::to_value(&item).unwrap();
        assert!(again["vat_rate"].is_null() && again.get("vat_rate").is_some());
    }

    #[test]
    fn a_confidence_change_leaves_its_reason_and_a_non_change_none() {
        let mut f = Field {
            value: "DK5000400440116243".into(),
            confidence: 0.93,
            raw: "DK50 0040 0440 1162 43".into(),
            page: 1,
            bbox: None,
            origin: Origin::Ocr,
            reasons: Vec::new(),
        };
        f.raise_or_lower(0.99, "raised: iban_checksum passed");
        f.raise_or_lower(0.99, "raised: payment_qr_agrees passed");
        f.set_confidence(0.495, "differs from master data, halved");
        assert_eq!(f.confidence, 0.495);
        assert_eq!(
            f.reasons,
            [
                "raised: iban_checksum passed: confidence 0.930 → 0.990",
                "differs from master data, halved: confidence 0.990 → 0.495"
            ]
        );
        f.confidence = 0.12345;
        f.round_confidence();
        assert_eq!((f.confidence, f.reasons.len()), (0.123, 2));
    }
}
