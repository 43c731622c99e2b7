//! Payment QR payloads: the European EPC/SEPA credit-transfer QR ("BCD", EPC069-12
//! versions 001 and 002) and the Swiss QR-bill ("SPC", Swiss Payment Standards 2.x,
//! version 0200).
//!
//! Pure: [`parse`] takes the text a QR decoder read and returns the payment values, or
//! `None` for anything that is not one of these two payloads or breaks its spec (wrong
//! tag, version, coding or identification; a bad IBAN checksum; an amount out of
//! format or range; a Swiss reference that fails its check digit or does not fit the
//! kind of IBAN). A payload that passes is strong evidence: it was machine-written and
//! the QR code's error correction makes a misread practically impossible.
//!
//! Lines may end with `\n` or `\r\n`; fields are trimmed of surrounding spaces; empty
//! trailing lines are ignored. Lengths are counted in characters, not bytes, since the
//! payload arrives already decoded from its character set.
//!
//! Deliberately lenient where real generators differ and nothing is at stake: IBANs
//! may be written with spaces or in lower case; amounts may have zero, one or two
//! decimals (the Swiss spec asks for two); a Swiss amount of 0.00 passes (a
//! notification "not for payment"); EPC's 331-byte total is not checked (it depends
//! on the character set), only each field's length; an EPC structured reference is
//! taken as written (the spec allows, not requires, an ISO 11649 "RF" reference).

use std::str::FromStr;

use rust_decimal::Decimal;

/// Which payment QR standard a payload follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentQrKind {
    /// EPC069-12 SEPA credit transfer ("BCD").
    Epc,
    /// Swiss QR-bill ("SPC").
    SwissQrBill,
}

/// The payment values carried by a payment QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentQr {
    pub kind: PaymentQrKind,
    /// Electronic format: upper case, no spaces; checksum and country format valid.
    pub iban: Option<String>,
    /// Upper case, 8 or 11 characters (EPC only; optional in version 002).
    pub bic: Option<String>,
    /// `None` when the payload leaves the amount open.
    pub amount: Option<Decimal>,
    /// "EUR" for EPC (the scheme is EUR-only); "CHF" or "EUR" for the Swiss QR-bill.
    pub currency: Option<String>,
    pub creditor_name: Option<String>,
    /// EPC: the structured creditor reference (often an ISO 11649 "RF" reference).
    /// Swiss: the QR reference (QRR, 27 digits) or creditor reference (SCOR, "RF…").
    pub reference: Option<String>,
    /// EPC: the unstructured remittance information. Swiss: the unstructured message.
    pub remittance_text: Option<String>,
}

/// Parses an EPC ("BCD") or Swiss QR-bill ("SPC") payload; `None` for anything else
/// or anything malformed.
pub fn parse(payload: &str) -> Option<PaymentQr> {
    let payload = payload.strip_prefix('\u{feff}').unwrap_or(payload);
    let mut lines: Vec<&str> = payload
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l).trim())
        .collect();
    match lines.first().copied() {
        Some("BCD") => {
            trim_trailing_empty(&mut lines, 0);
            parse_epc(&lines)
        }
        Some("SPC") => {
            // 31 elements are mandatory (the last is the "EPD" trailer); only the
            // optional ones after it may be dropped when empty.
            trim_trailing_empty(&mut lines, SWISS_MIN_LINES);
            if payload.chars().count() > SWISS_MAX_CHARS {
                return None;
            }
            parse_swiss(&lines)
        }
        _ => None,
    }
}

fn trim_trailing_empty(lines: &mut Vec<&str>, keep: usize) {
    while lines.len() > keep && lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
}

fn field<'a>(lines: &[&'a str], i: usize) -> &'a str {
    lines.get(i).copied().unwrap_or("")
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

fn max_chars(s: &str, n: usize) -> bool {
    s.chars().count() <= n
}

// ---------------------------------------------------------------------------------
// EPC069-12
// ---------------------------------------------------------------------------------

/// Service tag, version, character set, identification, BIC, name, IBAN, amount,
/// purpose, structured reference, unstructured text, information to the payer.
const EPC_MAX_LINES: usize = 12;
/// Up to and including the IBAN, everything is mandatory.
const EPC_MIN_LINES: usize = 7;

fn parse_epc(lines: &[&str]) -> Option<PaymentQr> {
    if lines.len() < EPC_MIN_LINES || lines.len() > EPC_MAX_LINES {
        return None;
    }
    let version = field(lines, 1);
    if version != "001" && version != "002" {
        return None;
    }
    // 1 UTF-8, 2 ISO 8859-1, 3 ISO 8859-2, 4 ISO 8859-4, 5 ISO 8859-5, 6 ISO 8859-7,
    // 7 ISO 8859-10, 8 ISO 8859-15.
    if !matches!(
        field(lines, 2),
        "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8"
    ) {
        return None;
    }
    if field(lines, 3) != "SCT" {
        return None;
    }
    let bic = match field(lines, 4) {
        "" if version == "001" => return None,
        "" => None,
        b => Some(parse_bic(b)?),
    };
    let name = field(lines, 5);
    if name.is_empty() || !max_chars(name, 70) {
        return None;
    }
    let iban = parse_iban(field(lines, 6))?;
    let amount = match field(lines, 7) {
        "" => None,
        a => Some(parse_epc_amount(a)?),
    };
    let purpose = field(lines, 8);
    if !max_chars(purpose, 4) || !purpose.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let reference = field(lines, 9);
    let text = field(lines, 10);
    let info = field(lines, 11);
    if !max_chars(reference, 35) || !max_chars(text, 140) || !max_chars(info, 70) {
        return None;
    }
    // Structured or unstructured remittance information, never both.
    if !reference.is_empty() && !text.is_empty() {
        return None;
    }
    Some(PaymentQr {
        kind: PaymentQrKind::Epc,
        iban: Some(iban),
        bic,
        amount,
        currency: Some("EUR".to_string()),
        creditor_name: Some(name.to_string()),
        reference: non_empty(reference),
        remittance_text: non_empty(text),
    })
}

/// BIC (ISO 9362): 4 letters institution, 2 letters country, 2 alphanumerics
/// location, optionally 3 alphanumerics branch.
fn parse_bic(s: &str) -> Option<String> {
    let b = s.to_ascii_uppercase();
    let bytes = b.as_bytes();
    if bytes.len() != 8 && bytes.len() != 11 {
        return None;
    }
    let ok = bytes[..6].iter().all(u8::is_ascii_uppercase)
        && bytes[6..].iter().all(u8::is_ascii_alphanumeric);
    ok.then_some(b)
}

/// "EUR" followed by 0.01 ..= 999999999.99 with at most two decimals and a '.'.
fn parse_epc_amount(s: &str) -> Option<Decimal> {
    let a = parse_plain_amount(s.strip_prefix("EUR")?)?;
    (a >= Decimal::new(1, 2)).then_some(a)
}

/// Digits (at most 9), optionally '.' and one or two digits; at most 999999999.99.
fn parse_plain_amount(s: &str) -> Option<Decimal> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    if int.is_empty() || int.len() > 9 || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Some(f) = frac {
        if f.is_empty() || f.len() > 2 || !f.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    Decimal::from_str(s).ok()
}

/// Normalises (spaces removed, upper case) and validates with the `iban_validate`
/// crate: checksum (mod 97), length and BBAN format of the country.
fn parse_iban(s: &str) -> Option<String> {
    use iban::IbanLike;
    let compact: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if compact.is_empty() || compact.len() > 34 {
        return None;
    }
    compact
        .parse::<iban::Iban>()
        .ok()
        .map(|i| i.electronic_str().to_string())
}

// ---------------------------------------------------------------------------------
// Swiss QR-bill
// ---------------------------------------------------------------------------------

/// Header (3), account (1), creditor (7), ultimate creditor (7), amount and currency
/// (2), ultimate debtor (7), reference type and reference (2), message and trailer (2).
const SWISS_MIN_LINES: usize = 31;
/// Plus billing information and up to two alternative procedures.
const SWISS_MAX_LINES: usize = 34;
const SWISS_MAX_CHARS: usize = 997;

const SW_IBAN: usize = 3;
const SW_CREDITOR: usize = 4;
const SW_ULTIMATE_CREDITOR: usize = 11;
const SW_AMOUNT: usize = 18;
const SW_CURRENCY: usize = 19;
const SW_DEBTOR: usize = 20;
const SW_REF_TYPE: usize = 27;
const SW_REF: usize = 28;
const SW_MESSAGE: usize = 29;
const SW_TRAILER: usize = 30;
const SW_BILLING: usize = 31;

fn parse_swiss(lines: &[&str]) -> Option<PaymentQr> {
    if lines.len() < SWISS_MIN_LINES || lines.len() > SWISS_MAX_LINES {
        return None;
    }
    if field(lines, 1) != "0200" || field(lines, 2) != "1" {
        return None;
    }
    let iban = parse_iban(field(lines, SW_IBAN))?;
    if !iban.starts_with("CH") && !iban.starts_with("LI") {
        return None;
    }
    let creditor = &lines[SW_CREDITOR..SW_CREDITOR + 7];
    if !valid_address(creditor) {
        return None;
    }
    // The ultimate creditor is reserved for future use and must stay empty.
    if lines[SW_ULTIMATE_CREDITOR..SW_ULTIMATE_CREDITOR + 7]
        .iter()
        .any(|l| !l.is_empty())
    {
        return None;
    }
    let amount = match field(lines, SW_AMOUNT) {
        "" => None,
        a if a.len() <= 12 => Some(parse_plain_amount(a)?),
        _ => return None,
    };
    let currency = field(lines, SW_CURRENCY);
    if currency != "CHF" && currency != "EUR" {
        return None;
    }
    let debtor = &lines[SW_DEBTOR..SW_DEBTOR + 7];
    if debtor.iter().any(|l| !l.is_empty()) && !valid_address(debtor) {
        return None;
    }
    let reference = field(lines, SW_REF);
    let qr_iban = is_qr_iban(&iban);
    match field(lines, SW_REF_TYPE) {
        "QRR" if qr_iban && valid_qr_reference(reference) => {}
        "SCOR" if !qr_iban && valid_creditor_reference(reference) => {}
        "NON" if !qr_iban && reference.is_empty() => {}
        _ => return None,
    }
    let message = field(lines, SW_MESSAGE);
    if field(lines, SW_TRAILER) != "EPD" {
        return None;
    }
    let billing = field(lines, SW_BILLING);
    if message.chars().count() + billing.chars().count() > 140 {
        return None;
    }
    if lines.len() > SW_BILLING + 1 && lines[SW_BILLING + 1..].iter().any(|l| !max_chars(l, 100)) {
        return None;
    }
    Some(PaymentQr {
        kind: PaymentQrKind::SwissQrBill,
        iban: Some(iban),
        bic: None,
        amount,
        currency: Some(currency.to_string()),
        creditor_name: Some(creditor[1].to_string()),
        reference: non_empty(reference),
        remittance_text: non_empty(message),
    })
}

/// Address type "S" (structured: street, building number, postal code, town) or "K"
/// (combined: two address lines, postal code and town empty), then the country.
fn valid_address(a: &[&str]) -> bool {
    let [kind, name, line1, line2, postcode, town, country] = a else {
        return false;
    };
    let common = !name.is_empty()
        && max_chars(name, 70)
        && max_chars(line1, 70)
        && country.len() == 2
        && country.bytes().all(|b| b.is_ascii_uppercase());
    common
        && match *kind {
            "S" => {
                max_chars(line2, 16)
                    && !postcode.is_empty()
                    && max_chars(postcode, 16)
                    && !town.is_empty()
                    && max_chars(town, 35)
            }
            "K" => {
                !line2.is_empty() && max_chars(line2, 70) && postcode.is_empty() && town.is_empty()
            }
            _ => false,
        }
}

/// A QR-IBAN has an institution id (positions 5–9) in 30000..=31999.
fn is_qr_iban(iban: &str) -> bool {
    iban.get(4..9)
        .and_then(|s| s.parse::<u32>().ok())
        .is_some_and(|iid| (30000..=31999).contains(&iid))
}

/// QR reference: 27 digits, the last a modulo-10 recursive check digit.
fn valid_qr_reference(r: &str) -> bool {
    r.len() == 27 && r.bytes().all(|b| b.is_ascii_digit()) && {
        const TABLE: [usize; 10] = [0, 9, 4, 6, 8, 2, 7, 1, 3, 5];
        let carry = r.bytes().take(26).fold(0usize, |carry, b| {
            TABLE[(carry + usize::from(b - b'0')) % 10]
        });
        (10 - carry) % 10 == usize::from(r.as_bytes()[26] - b'0')
    }
}

/// ISO 11649 creditor reference: "RF", two check digits, 1 to 21 alphanumerics; the
/// whole (first four characters moved to the end, letters as 10..35) is 1 mod 97.
fn valid_creditor_reference(r: &str) -> bool {
    let b = r.as_bytes();
    if b.len() < 5 || b.len() > 25 || !r.starts_with("RF") {
        return false;
    }
    if !b[2..4].iter().all(u8::is_ascii_digit) || !b[4..].iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let mut rem = 0u32;
    for &c in b[4..].iter().chain(&b[..4]) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            _ => u32::from(c.to_ascii_uppercase() - b'A') + 10,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// The invoice fields a payment QR code carries, as the extractor writes them.
fn qr_values(qr: &PaymentQr) -> Vec<(&'static str, String)> {
    let mut v = Vec::new();
    if let Some(iban) = &qr.iban {
        v.push(("iban", iban.clone()));
    }
    if let Some(bic) = &qr.bic {
        v.push(("bic", bic.to_uppercase()));
    }
    if let Some(amount) = qr.amount {
        v.push((
            "total",
            crate::values::format_money(amount, qr.currency.as_deref()),
        ));
    }
    if let Some(currency) = &qr.currency {
        v.push(("currency", currency.clone()));
    }
    if let Some(reference) = &qr.reference {
        v.push(("payment_reference", reference.clone()));
    }
    v
}

/// Whether a value read on the page and one from the code say the same.
fn same(field: &str, page: &str, code: &str) -> bool {
    let squash = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase()
    };
    match field {
        "total" => match (Decimal::from_str(page), Decimal::from_str(code)) {
            (Ok(a), Ok(b)) => a == b,
            _ => squash(page) == squash(code),
        },
        _ => squash(page) == squash(code),
    }
}

/// What a payment QR code said about the fields: which it gave or confirmed, and which
/// the page contradicts. `validate::payment_qr_agrees` words it as a check.
#[derive(Debug, Clone, PartialEq)]
pub struct QrAgreement {
    /// "EPC payment QR code", "Swiss QR-bill code".
    pub kind: &'static str,
    pub page: u32,
    /// Fields the code gave (the page lacked them) or confirmed.
    pub agree: Vec<String>,
    /// Fields the page contradicts, each with the code's value and the page's.
    pub conflicts: Vec<(String, String)>,
}

/// Payment QR codes as evidence for the fields they carry. A value the page lacks is
/// taken from the code; a value the page agrees with becomes `origin: "structured"`
/// with confidence 1 (its box on the page kept); a value the page contradicts stays as
/// read, and a failed `payment_qr_agrees` check sends the document to a person with
/// both values. Only fields of `dt` are touched; codes that are no payment QR are
/// ignored. Returns what the code said (`None` without a payment code).
pub fn apply(
    fields: &mut crate::document::IndexedFields,
    pages: &[crate::text::Page],
    dt: &crate::config::DocType,
) -> Option<QrAgreement> {
    use crate::document::{Field, Origin};
    let (page, code, qr) = pages.iter().find_map(|p| {
        p.codes
            .iter()
            .find_map(|c| parse(&c.payload).map(|q| (p.number, c, q)))
    })?;
    let kind = match qr.kind {
        PaymentQrKind::Epc => "EPC payment QR code",
        PaymentQrKind::SwissQrBill => "Swiss QR-bill code",
    };
    let mut agree = Vec::new();
    let mut conflicts = Vec::new();
    for (name, value) in qr_values(&qr) {
        if !dt.fields.iter().any(|f| f.name == name) {
            continue;
        }
        match fields.get_mut(name) {
            None => fields.set(
                name,
                Some(Field {
                    raw: value.clone(),
                    value,
                    confidence: 1.0,
                    page,
                    bbox: Some(code.bbox),
                    origin: Origin::Structured,
                    reasons: Vec::new(),
                }),
            ),
            Some(f) if same(name, &f.value, &value) => {
                f.value = value;
                f.raise_or_lower(
                    1.0,
                    format_args!("raised: agrees with the {kind} on page {page}"),
                );
                f.origin = Origin::Structured;
            }
            Some(f) => {
                conflicts.push((
                    name.to_string(),
                    format!("{name} {value} (the page says {})", f.value),
                ));
                continue;
            }
        }
        agree.push(name.to_string());
    }
    Some(QrAgreement {
        kind,
        page,
        agree,
        conflicts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    // Valid IBANs (IBAN registry examples and SIX's QR-bill examples).
    const DE_IBAN: &str = "DE89370400440532013000";
    const CH_IBAN: &str = "CH9300762011623852957";
    const CH_QR_IBAN: &str = "CH4431999123000889012";
    const LI_IBAN: &str = "LI21088100002324013AA";
    const QRR: &str = "210000000003139471430009017";
    const SCOR: &str = "RF18539007547034";

    fn epc(fields: &[&str]) -> String {
        fields.join("\n")
    }

    #[test]
    fn epc_001_with_bic_amount_and_text() {
        let p = epc(&[
            "BCD",
            "001",
            "1",
            "SCT",
            "COBADEFFXXX",
            "Müller & Söhne GmbH",
            DE_IBAN,
            "EUR12.3",
            "",
            "",
            "Rechnung 2024-117",
        ]);
        let q = parse(&p).unwrap();
        assert_eq!(
            q,
            PaymentQr {
                kind: PaymentQrKind::Epc,
                iban: Some(DE_IBAN.into()),
                bic: Some("COBADEFFXXX".into()),
                amount: Some(dec("12.3")),
                currency: Some("EUR".into()),
                creditor_name: Some("Müller & Söhne GmbH".into()),
                reference: None,
                remittance_text: Some("Rechnung 2024-117".into()),
            }
        );
        assert_eq!(q.amount.unwrap().to_string(), "12.3");
    }

    #[test]
    fn epc_002_without_bic_with_rf_reference_crlf_and_spaced_iban() {
        let p = [
            "BCD",
            "002",
            "2",
            "SCT",
            "",
            "Red Cross Belgium",
            "de89 3704 0044 0532 0130 00",
            "EUR999999999.99",
            "CHAR",
            SCOR,
            "",
            "Thank you",
        ]
        .join("\r\n");
        let q = parse(&p).unwrap();
        assert_eq!(q.kind, PaymentQrKind::Epc);
        assert_eq!(q.iban.as_deref(), Some(DE_IBAN));
        assert_eq!(q.bic, None);
        assert_eq!(q.amount, Some(dec("999999999.99")));
        assert_eq!(q.currency.as_deref(), Some("EUR"));
        assert_eq!(q.creditor_name.as_deref(), Some("Red Cross Belgium"));
        assert_eq!(q.reference.as_deref(), Some(SCOR));
        assert_eq!(q.remittance_text, None);
    }

    #[test]
    fn epc_minimal_lines_no_amount_trailing_newline() {
        let p = epc(&["BCD", "002", "1", "SCT", "", "Anna Berg", DE_IBAN]) + "\n";
        let q = parse(&p).unwrap();
        assert_eq!(q.amount, None);
        assert_eq!(q.reference, None);
        assert_eq!(q.remittance_text, None);
        assert_eq!(q.creditor_name.as_deref(), Some("Anna Berg"));
    }

    fn epc_with(i: usize, v: &str) -> String {
        let mut f = vec![
            "BCD", "002", "1", "SCT", "BPOTBEB1", "Name", DE_IBAN, "EUR1.00", "", "", "text",
        ];
        f[i] = v;
        epc(&f)
    }

    #[test]
    fn epc_rejections() {
        assert!(parse(&epc_with(0, "BCD")).is_some(), "baseline parses");
        // Service tag, version, character set, identification.
        assert!(parse(&epc_with(0, "BCE")).is_none());
        assert!(parse(&epc_with(1, "003")).is_none());
        assert!(parse(&epc_with(1, "1")).is_none());
        assert!(parse(&epc_with(2, "9")).is_none());
        assert!(parse(&epc_with(3, "SCX")).is_none());
        // BIC mandatory in 001, well formed when present.
        let mut v1 = epc_with(4, "");
        v1 = v1.replacen("\n002\n", "\n001\n", 1);
        assert!(parse(&v1).is_none());
        assert!(parse(&epc_with(4, "BPOT1EB1")).is_none());
        assert!(parse(&epc_with(4, "BPOTBEB1X")).is_none());
        // Name mandatory and at most 70 characters.
        assert!(parse(&epc_with(5, "")).is_none());
        assert!(parse(&epc_with(5, &"x".repeat(71))).is_none());
        // IBAN checksum.
        assert!(parse(&epc_with(6, "DE89370400440532013001")).is_none());
        assert!(parse(&epc_with(6, "")).is_none());
        // Amount format, range and currency.
        for bad in [
            "USD1.00",
            "CHF5",
            "EUR",
            "EUR0",
            "EUR0.00",
            "EUR-1",
            "EUR1,00",
            "EUR1.234",
            "EUR1.",
            "EUR.5",
            "EUR 1.00",
            "EUR1000000000",
            "eur1.00",
            "12.30",
        ] {
            assert!(parse(&epc_with(7, bad)).is_none(), "{bad}");
        }
        assert_eq!(
            parse(&epc_with(7, "EUR0.01")).unwrap().amount,
            Some(dec("0.01"))
        );
        // Purpose code, reference length, both kinds of remittance information.
        assert!(parse(&epc_with(8, "TOOLONG")).is_none());
        assert!(parse(&epc_with(9, "RF18539007547034")).is_none(), "both");
        // Too many lines.
        assert!(parse(&(epc_with(0, "BCD") + "\ninfo\nextra")).is_none());
        // Too few lines.
        assert!(parse("BCD\n002\n1\nSCT\n\nName").is_none());
    }

    #[allow(clippy::too_many_arguments)]
    fn swiss(
        iban: &str,
        amount: &str,
        currency: &str,
        ref_type: &str,
        reference: &str,
        message: &str,
        eol: &str,
    ) -> String {
        let mut f = vec!["SPC", "0200", "1", iban];
        f.extend([
            "S",
            "Robert Schneider AG",
            "Rue du Lac",
            "1268",
            "2501",
            "Biel",
            "CH",
        ]);
        f.extend([""; 7]);
        f.extend([amount, currency]);
        f.extend([
            "S",
            "Pia-Maria Rutschmann-Schnyder",
            "Grosse Marktgasse",
            "28",
        ]);
        f.extend(["9400", "Rorschach", "CH"]);
        f.extend([ref_type, reference, message, "EPD"]);
        f.join(eol)
    }

    #[test]
    fn swiss_qrr_with_amount() {
        let p = swiss(
            CH_QR_IBAN,
            "1949.75",
            "CHF",
            "QRR",
            QRR,
            "Order of 15 June",
            "\r\n",
        );
        assert_eq!(
            parse(&p).unwrap(),
            PaymentQr {
                kind: PaymentQrKind::SwissQrBill,
                iban: Some(CH_QR_IBAN.into()),
                bic: None,
                amount: Some(dec("1949.75")),
                currency: Some("CHF".into()),
                creditor_name: Some("Robert Schneider AG".into()),
                reference: Some(QRR.into()),
                remittance_text: Some("Order of 15 June".into()),
            }
        );
    }

    #[test]
    fn swiss_scor_without_amount() {
        let p = swiss(CH_IBAN, "", "EUR", "SCOR", SCOR, "", "\n");
        let q = parse(&p).unwrap();
        assert_eq!(q.kind, PaymentQrKind::SwissQrBill);
        assert_eq!(q.iban.as_deref(), Some(CH_IBAN));
        assert_eq!(q.amount, None);
        assert_eq!(q.currency.as_deref(), Some("EUR"));
        assert_eq!(q.creditor_name.as_deref(), Some("Robert Schneider AG"));
        assert_eq!(q.reference.as_deref(), Some(SCOR));
        assert_eq!(q.remittance_text, None);
    }

    #[test]
    fn swiss_non_combined_address_billing_and_alternative_procedures() {
        let mut f: Vec<String> = swiss(LI_IBAN, "0.50", "CHF", "NON", "", "Danke", "\n")
            .split('\n')
            .map(String::from)
            .collect();
        // Creditor as combined address (type K).
        f[4] = "K".into();
        f[6] = "Lindenstrasse 3".into();
        f[7] = "9490 Vaduz".into();
        f[8] = String::new();
        f[9] = String::new();
        f[10] = "LI".into();
        // Ultimate debtor left empty.
        for l in &mut f[SW_DEBTOR..SW_DEBTOR + 7] {
            l.clear();
        }
        f.push("//S1/10/10201409/11/190512/20/1400.000-53".into());
        f.push("eBill/B/41010560425610173".into());
        let p = f.join("\r\n") + "\r\n";
        let q = parse(&p).unwrap();
        assert_eq!(q.iban.as_deref(), Some(LI_IBAN));
        assert_eq!(q.amount, Some(dec("0.50")));
        assert_eq!(q.reference, None);
        assert_eq!(q.remittance_text.as_deref(), Some("Danke"));
        assert_eq!(q.creditor_name.as_deref(), Some("Robert Schneider AG"));
    }

    #[test]
    fn swiss_rejections() {
        let ok = |p: &str| parse(p).is_some();
        let base = swiss(CH_QR_IBAN, "10.00", "CHF", "QRR", QRR, "", "\n");
        assert!(ok(&base));
        let with = |i: usize, v: &str| {
            let mut f: Vec<&str> = base.split('\n').collect();
            f[i] = v;
            f.join("\n")
        };
        assert!(!ok(&with(0, "SPD")), "service tag");
        assert!(!ok(&with(1, "0100")), "version");
        assert!(!ok(&with(1, "0201")), "version");
        assert!(!ok(&with(2, "2")), "coding type");
        assert!(!ok(&with(3, "CH4431999123000889013")), "IBAN checksum");
        assert!(!ok(&with(3, DE_IBAN)), "IBAN country");
        assert!(!ok(&with(4, "X")), "address type");
        assert!(!ok(&with(5, "")), "creditor name");
        assert!(!ok(&with(8, "")), "postal code of a structured address");
        assert!(!ok(&with(12, "Someone")), "ultimate creditor must be empty");
        for bad in ["1,00", "1.000", "-1", "1e3", "1000000000.00", "CHF10"] {
            assert!(!ok(&with(SW_AMOUNT, bad)), "amount {bad}");
        }
        assert!(
            ok(&with(SW_AMOUNT, "0.00")),
            "zero: a notification, not a payment"
        );
        assert!(ok(&with(SW_AMOUNT, "999999999.99")));
        assert!(!ok(&with(SW_CURRENCY, "USD")), "currency");
        assert!(
            !ok(&with(SW_REF, "210000000003139471430009018")),
            "QRR check digit"
        );
        assert!(!ok(&with(SW_REF_TYPE, "SCOR")), "QR-IBAN needs QRR");
        assert!(!ok(&with(SW_REF_TYPE, "NON")), "QR-IBAN needs QRR");
        assert!(!ok(&with(SW_TRAILER, "EPX")), "trailer");
        assert!(!ok(&with(SW_MESSAGE, &"m".repeat(141))), "message length");
        // A plain IBAN with a QR reference, a bad creditor reference, NON with a value.
        assert!(parse(&swiss(CH_IBAN, "", "CHF", "QRR", QRR, "", "\n")).is_none());
        assert!(parse(&swiss(
            CH_IBAN,
            "",
            "CHF",
            "SCOR",
            "RF18539007547035",
            "",
            "\n"
        ))
        .is_none());
        assert!(parse(&swiss(CH_IBAN, "", "CHF", "NON", "123", "", "\n")).is_none());
        // Missing lines and too many lines.
        let short: Vec<&str> = base.split('\n').take(30).collect();
        assert!(!ok(&short.join("\n")));
        assert!(!ok(&(base.clone() + "\n\nalt1\nalt2\nalt3")));
    }

    #[test]
    fn reference_check_digits() {
        assert!(valid_qr_reference(QRR));
        assert!(valid_qr_reference("000000000000000000000000000"));
        assert!(!valid_qr_reference("21000000000313947143000901"));
        assert!(valid_creditor_reference(SCOR));
        assert!(valid_creditor_reference("RF712348231"));
        assert!(!valid_creditor_reference("RF712348232"));
        assert!(!valid_creditor_reference("RF7"));
        assert!(is_qr_iban(CH_QR_IBAN));
        assert!(!is_qr_iban(CH_IBAN));
    }

    #[test]
    fn not_a_payment_payload() {
        for p in [
            "",
            "\n",
            "https://example.com",
            "BCD",
            "SPC",
            "bcd\n002",
            "\u{feff}",
        ] {
            assert!(parse(p).is_none(), "{p:?}");
        }
    }

    /// xorshift64*: deterministic, dependency-free randomness for the fuzz loop.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    #[test]
    fn never_panics_on_random_input() {
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        let valid = [
            epc_with(0, "BCD"),
            swiss(CH_QR_IBAN, "10.00", "CHF", "QRR", QRR, "", "\r\n"),
        ];
        let alphabet: Vec<char> = "BCDSPC0123456789.\n\r EURCHF-RFé€\u{0}ß/".chars().collect();
        for i in 0..20_000 {
            let text: String = match i % 3 {
                // Random bytes, lossily decoded.
                0 => {
                    let n = (next(&mut s) % 400) as usize;
                    let bytes: Vec<u8> = (0..n).map(|_| next(&mut s) as u8).collect();
                    String::from_utf8_lossy(&bytes).into_owned()
                }
                // Random strings over a payload-like alphabet, with a real header.
                1 => {
                    let n = (next(&mut s) % 300) as usize;
                    let head = if next(&mut s).is_multiple_of(2) {
                        "BCD\n"
                    } else {
                        "SPC\n"
                    };
                    head.chars()
                        .chain((0..n).map(|_| alphabet[next(&mut s) as usize % alphabet.len()]))
                        .collect()
                }
                // Valid payloads with characters replaced or cut short.
                _ => {
                    let mut c: Vec<char> = valid[i % 2].chars().collect();
                    for _ in 0..1 + next(&mut s) % 4 {
                        let at = next(&mut s) as usize % c.len();
                        c[at] = alphabet[next(&mut s) as usize % alphabet.len()];
                    }
                    let cut = next(&mut s) as usize % (c.len() + 1);
                    c[..cut].iter().collect()
                }
            };
            let _ = parse(&text);
        }
    }
}
