//! Vendor master data from a CSV file (`mailroom vendors import`, `POST /api/v1/vendors`).
//!
//! A header row names the columns, any subset of `name, vat_id, iban, bic, currency,
//! address, aliases` that has `name` and at least one of `vat_id` or `iban`. Several
//! IBANs or aliases in one cell are separated by `;` or `|`. Every row is checked before
//! anything is stored: an unknown column, a missing name, a row with neither VAT id nor
//! IBAN, an IBAN that fails mod-97, a VAT id of no known format (or a CVR number that
//! fails mod-11), a BIC or currency that is none is refused with its line and the
//! reason, and the whole file with it. The `csv` crate reads the file: quoting, embedded
//! commas and newlines, a byte-order mark are its business, not ours.

use crate::document::vendor::Vendor;
use crate::values;

pub const COLUMNS: &[&str] = &[
    "name", "vat_id", "iban", "bic", "currency", "address", "aliases",
];

fn list(cell: &str) -> Vec<String> {
    cell.split([';', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The line a record starts on, counted from its byte offset: the csv crate's own line
/// count comes out one short on CRLF files (what browsers send), because it places the
/// record at the `\n` of the break before it.
fn line_at(text: &str, p: &csv::Position) -> usize {
    let bytes = text.as_bytes();
    let mut at = (p.byte() as usize).min(bytes.len());
    // On CRLF files a record's position is the line break before it.
    while at < bytes.len() && matches!(bytes[at], b'\r' | b'\n') {
        at += 1;
    }
    bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1
}

/// The vendors in `text`, or every line's reason for refusing the file (`line N: …`).
pub fn parse(text: &str) -> Result<Vec<Vendor>, Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.to_lowercase()).collect(),
        Err(e) => return Err(vec![format!("line 1: {e}")]),
    };
    let mut errors = Vec::new();
    for c in &header {
        if !COLUMNS.contains(&c.as_str()) {
            errors.push(format!(
                "line 1: unknown column {c:?} (the columns are {})",
                COLUMNS.join(", ")
            ));
        }
    }
    if !header.iter().any(|c| c == "name") {
        errors.push("line 1: no `name` column".into());
    }
    if !header.iter().any(|c| c == "vat_id" || c == "iban") {
        errors.push(
            "line 1: neither a `vat_id` nor an `iban` column: a vendor is known by one".into(),
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut out = Vec::new();
    let mut seen: Vec<(String, usize)> = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(i + 2, |p| line_at(text, p));
                errors.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let line = row.position().map_or(i + 2, |p| line_at(text, p));
        let cell = |name: &str| {
            header
                .iter()
                .position(|c| c == name)
                .and_then(|k| row.get(k))
                .filter(|v| !v.is_empty())
        };
        let mut bad = |why: String| errors.push(format!("line {line}: {why}"));
        let Some(name) = cell("name") else {
            bad("no name".into());
            continue;
        };
        let vat_id = match cell("vat_id") {
            None => None,
            Some(v) => match values::normalize_vat_id(v, None) {
                Some(n) if values::vat_id_format_ok(&n) => Some(n),
                _ => {
                    bad(format!(
                        "{v:?} is not a valid VAT id (with its country prefix)"
                    ));
                    continue;
                }
            },
        };
        let mut ibans = Vec::new();
        for raw in cell("iban").map(list).unwrap_or_default() {
            match values::normalize_iban(&raw).filter(|i| values::iban_is_valid(i)) {
                Some(i) => ibans.push(i),
                None => bad(format!("{raw:?} is not a valid IBAN (mod-97)")),
            }
        }
        if cell("iban").is_some() && ibans.is_empty() {
            continue;
        }
        if vat_id.is_none() && ibans.is_empty() {
            bad(format!("{name:?} has neither a VAT id nor an IBAN"));
            continue;
        }
        let bic = match cell("bic") {
            None => None,
            Some(b) => match values::normalize_bic(b) {
                Some(b) => Some(b),
                None => {
                    bad(format!("{b:?} is not a BIC"));
                    continue;
                }
            },
        };
        let currency = match cell("currency") {
            None => None,
            Some(c) => match values::currency_code(c).filter(|k| k.len() == 3) {
                Some(k) => Some(k.to_string()),
                None => {
                    bad(format!("{c:?} is not an ISO 4217 currency code"));
                    continue;
                }
            },
        };
        // Two rows for one VAT id would be one vendor updated twice, or a conflict in
        // the ledger: refused here, with both lines.
        if let Some(vat) = &vat_id {
            if let Some(first) = seen.iter().find(|(v, _)| v == vat).map(|(_, l)| *l) {
                errors.push(format!("line {line}: VAT id {vat} is also on line {first}"));
                continue;
            }
            seen.push((vat.clone(), line));
        }
        out.push(Vendor {
            id: 0,
            name: name.to_string(),
            vat_id,
            ibans,
            bic,
            currency,
            address: cell("address").map(str::to_string),
            aliases: cell("aliases").map(list).unwrap_or_default(),
            source: "import".into(),
            learned: Default::default(),
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Vendors as the CSV `parse` reads back.
pub fn write(vendors: &[Vendor]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(COLUMNS);
    for v in vendors {
        let _ = w.write_record([
            v.name.as_str(),
            v.vat_id.as_deref().unwrap_or(""),
            &v.ibans.join(";"),
            v.bic.as_deref().unwrap_or(""),
            v.currency.as_deref().unwrap_or(""),
            v.address.as_deref().unwrap_or(""),
            &v.aliases.join(";"),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
