//! VAT ids: the EU countries' shapes (and GB, NO, CH), a labelled bare number
//! given the country, and the Danish CVR's mod-11.

use std::sync::LazyLock;

use regex::Regex;

use super::{find_iban, Found};

/// Per-country VAT id shapes (after the 2-letter prefix), EU + GB/XI, NO, CH.
const VAT_FORMATS: &[(&str, &str)] = &[
    ("AT", r"U[0-9]{8}"),
    ("BE", r"[01][0-9]{9}"),
    ("BG", r"[0-9]{9,10}"),
    ("CY", r"[0-9]{8}[A-Z]"),
    ("CZ", r"[0-9]{8,10}"),
    ("DE", r"[0-9]{9}"),
    ("DK", r"[0-9]{8}"),
    ("EE", r"[0-9]{9}"),
    ("EL", r"[0-9]{9}"),
    ("ES", r"[A-Z0-9][0-9]{7}[A-Z0-9]"),
    ("FI", r"[0-9]{8}"),
    ("FR", r"[0-9A-HJ-NP-Z]{2}[0-9]{9}"),
    ("HR", r"[0-9]{11}"),
    ("HU", r"[0-9]{8}"),
    ("IE", r"[0-9]{7}[A-W][A-IW]?|[0-9][A-Z+*][0-9]{5}[A-W]"),
    ("IT", r"[0-9]{11}"),
    ("LT", r"[0-9]{9}|[0-9]{12}"),
    ("LU", r"[0-9]{8}"),
    ("LV", r"[0-9]{11}"),
    ("MT", r"[0-9]{8}"),
    ("NL", r"[0-9]{9}B[0-9]{2}"),
    ("PL", r"[0-9]{10}"),
    ("PT", r"[0-9]{9}"),
    ("RO", r"[0-9]{2,10}"),
    ("SE", r"[0-9]{10}01"),
    ("SI", r"[0-9]{8}"),
    ("SK", r"[0-9]{10}"),
    ("GB", r"[0-9]{9}|[0-9]{12}|GD[0-9]{3}|HA[0-9]{3}"),
    ("XI", r"[0-9]{9}|[0-9]{12}|GD[0-9]{3}|HA[0-9]{3}"),
    ("NO", r"[0-9]{9}(?:MVA)?"),
    ("CH", r"E[0-9]{9}(?:MWST|TVA|IVA)?"),
];

static VAT_RES: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    VAT_FORMATS
        .iter()
        .map(|&(cc, body)| {
            (
                cc,
                Regex::new(&format!(r"\A(?:{body})\z")).expect("valid regex"),
            )
        })
        .collect()
});

/// VAT labels. `dk`: Danish labels (imply DK), `de`: German USt-IdNr. (implies
/// DE), `gen`: labels that say nothing about the country. `suf` is the
/// "No"/"Nr" part, kept apart because it may really be the `NO` prefix.
const VAT_LABEL: &str = r"(?:(?P<dk>cvr|se[ \t.-]*(?:nummer|nr)|moms[ \t.-]*(?:reg(?:istrerings)?[ \t.-]*)?(?:nummer|nr|no))|(?P<de>u\.?[ \t]?st\.?[ \t.-]*id(?:ent)?)|(?P<gen>vat|tva|btw|iva|mva|mwst|uid|tax|moms))(?:[ \t.-]*(?:identification|registration|reg)\.?)?(?P<suf>[ \t.-]*(?:(?:number|nummer|num|nr|no|id)\.?|\#))?[ \t:#.-]*";

static RE_VAT_LABEL_ANCHORED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?i)\A\s*{VAT_LABEL}")).expect("valid regex"));

static RE_VAT_LABEL_FIND: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?i)\b{VAT_LABEL}")).expect("valid regex"));

static RE_VAT_PREFIX_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[A-Z]{2}").expect("valid regex"));

static RE_VAT_BARE_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[0-9]").expect("valid regex"));

static RE_VAT_CHUNK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\A[A-Za-z0-9]+(?:[ .\-/][A-Za-z0-9]+){0,7}").expect("valid regex")
});

fn vat_country(cc: &str) -> Option<&'static str> {
    let cc = if cc == "GR" { "EL" } else { cc };
    VAT_FORMATS.iter().find(|&&(c, _)| c == cc).map(|&(c, _)| c)
}

/// Shape check only (no checksum).
fn vat_shape_ok(vat: &str) -> bool {
    if vat.len() < 3 || !vat.is_char_boundary(2) {
        return false;
    }
    let (cc, body) = vat.split_at(2);
    VAT_RES.iter().any(|(c, re)| *c == cc && re.is_match(body))
}

/// Reads an id with no label: `DK 12 34 56 78`, `12345678` + country.
fn vat_body(s: &str, country: Option<&str>) -> Option<String> {
    let s = s.trim().trim_end_matches([',', ';', ':', '.', ')']);
    let compact: String = s
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '.' | '-' | '/')))
        .collect();
    if compact.is_empty() || !compact.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let up = compact.to_ascii_uppercase();
    if up.len() > 2 && up.as_bytes()[..2].iter().all(u8::is_ascii_alphabetic) {
        if let Some(cc) = vat_country(&up[..2]) {
            if let Some(v) = shaped(cc, &up[2..]) {
                return Some(v);
            }
        }
    }
    let cc = vat_country(country?)?;
    shaped(cc, &up)
}

/// `cc` + `body` if that has the country's shape, else the body with up to two
/// letters OCR reads for digits (`O`→`0`, `I`/`L`→`1`) repaired where they
/// stand among digits: "NLO80719028B01" is NL080719028B01.
///
/// Known failure modes: a repaired id is only as right as the guess; the
/// caller sees the repair because the printed text no longer spells the value.
fn shaped(cc: &str, body: &str) -> Option<String> {
    let v = format!("{cc}{body}");
    if vat_shape_ok(&v) {
        return Some(v);
    }
    let b = body.as_bytes();
    let digit_at = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let mut repaired = 0;
    let fixed: String = b
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let among_digits = (i > 0 && digit_at(i - 1)) || digit_at(i + 1);
            match c {
                b'O' | b'I' | b'L' if among_digits => {
                    repaired += 1;
                    if c == b'O' {
                        '0'
                    } else {
                        '1'
                    }
                }
                _ => char::from(c),
            }
        })
        .collect();
    let v = format!("{cc}{fixed}");
    (repaired > 0 && repaired <= 2 && vat_shape_ok(&v)).then_some(v)
}

fn leading_sep_len(s: &str) -> usize {
    s.len() - s.trim_start_matches([' ', '\t', '.', '-', '\u{A0}']).len()
}

/// Normalised VAT id plus the byte offset in `text` where the id (after any
/// label) begins.
fn normalize_vat_inner(text: &str, default_country: Option<&str>) -> Option<(String, usize)> {
    let default = default_country.map(|c| c.trim().to_ascii_uppercase());
    if let Some(c) = RE_VAT_LABEL_ANCHORED.captures(text) {
        let hint = if c.name("dk").is_some() {
            Some("DK".to_string())
        } else if c.name("de").is_some() {
            Some("DE".to_string())
        } else {
            default.clone()
        };
        let m = c.get(0).expect("group 0");
        if let Some(v) = vat_body(&text[m.end()..], hint.as_deref()) {
            return Some((v, m.end()));
        }
        // "VAT NO 123456789 MVA": the "NO" was the country, not "number".
        if let Some(suf) = c.name("suf") {
            if let Some(v) = vat_body(&text[suf.start()..], hint.as_deref()) {
                return Some((v, suf.start() + leading_sep_len(&text[suf.start()..])));
            }
        }
    }
    let v = vat_body(text, default.as_deref())?;
    Some((v, text.len() - text.trim_start().len()))
}

/// Normalises a VAT id to prefix + body without separators (`DK12345678`).
///
/// Accepts ids with or without spaces, dots and dashes (`DK 12 34 56 78`,
/// `GB 123 4567 89`, `CHE-123.456.789 MWST`), any case, optionally after a
/// label: `CVR`, `CVR-nr.`, `SE-nr.`, `Momsnr.` (imply DK), `USt-IdNr.` (implies
/// DE), `VAT No`, `VAT Reg. No.`, `TVA`, `BTW`, `MwSt-Nr.`... An explicit
/// country prefix always wins; otherwise the label's country, then
/// `default_country`, is prepended. `GR` is written as `EL`.
///
/// Only the per-country *shape* is checked here, not the DK mod-11 checksum
/// (use [`vat_id_format_ok`] for that): OCR'd ids with one wrong digit are
/// still worth returning for review.
///
/// Known failure modes: ids of countries outside the EU/GB/NO/CH table give
/// `None`; a Danish "SE-nr." is read as DK, not Sweden; the whole text must be
/// the id (plus label and trailing punctuation) — use [`find_vat_id`] for lines.
pub fn normalize_vat_id(text: &str, default_country: Option<&str>) -> Option<String> {
    normalize_vat_inner(text, default_country).map(|(v, _)| v)
}

/// Finds the first VAT id in a line.
///
/// Candidates start at a VAT label (see [`normalize_vat_id`]) or at a word
/// beginning with two upper-case letters (a country prefix); from each, the
/// longest run of alphanumeric groups (joined by single spaces, dots, dashes or
/// slashes) that normalises is taken. Only if none does and `default_country`
/// is given, a bare number at a word start is tried with that country
/// (`12 34 56 78` → `DK12345678`). `start..end` covers the id without its
/// label.
///
/// Known failure modes: with a default country any well-shaped bare number
/// qualifies (a Danish 8-digit phone number reads as a CVR), so pass one only
/// for text known to follow a VAT label; without one an unlabelled id lacking
/// its prefix is never found. Text inside an IBAN is skipped; like
/// [`normalize_vat_id`], checksums are not enforced.
pub fn find_vat_id(text: &str, default_country: Option<&str>) -> Option<Found<String>> {
    let iban = find_iban(text).map(|f| (f.start, f.end));
    // Tries the id whose characters begin at `chunk_start`, normalising from
    // `from` (a label start, or `chunk_start` itself); longest run first.
    let try_at = |from: usize, chunk_start: usize| -> Option<Found<String>> {
        let chunk = RE_VAT_CHUNK.find(&text[chunk_start..])?.as_str();
        let mut ends: Vec<usize> = chunk
            .char_indices()
            .filter(|&(_, c)| matches!(c, ' ' | '.' | '-' | '/'))
            .map(|(i, _)| i)
            .collect();
        ends.push(chunk.len());
        ends.iter().rev().find_map(|&end| {
            let abs_end = chunk_start + end;
            let (value, off) = normalize_vat_inner(&text[from..abs_end], default_country)?;
            let start = from + off;
            let in_iban = iban.is_some_and(|(a, b)| start < b && a < abs_end);
            (!in_iban).then_some(Found {
                value,
                start,
                end: abs_end,
            })
        })
    };
    let mut cands: Vec<(usize, usize)> = RE_VAT_LABEL_FIND
        .find_iter(text)
        .map(|m| (m.start(), m.end()))
        .collect();
    cands.extend(
        RE_VAT_PREFIX_START
            .find_iter(text)
            .map(|m| (m.start(), m.start())),
    );
    cands.sort_unstable();
    cands.dedup();
    if let Some(found) = cands
        .into_iter()
        .find_map(|(from, chunk)| try_at(from, chunk))
    {
        return Some(found);
    }
    // A bare number only with a default country (the caller knows the value
    // region belongs to a VAT label), and only when nothing labelled or
    // prefixed was found.
    default_country?;
    RE_VAT_BARE_START
        .find_iter(text)
        .find_map(|m| try_at(m.start(), m.start()))
}

/// Whether `vat` is a well-formed VAT id for its country prefix.
///
/// Expects the normalised form (upper case, no separators, as returned by
/// [`normalize_vat_id`]). Checks the per-country format table (EU member
/// states with `EL` for Greece, `GB`/`XI`, `NO`, `CH`); for `DK` the body must
/// also pass [`cvr_mod11_ok`].
///
/// Known failure modes: besides DK no national checksum is verified, so a
/// well-shaped id with a wrong digit passes; `GR…` and unnormalised input are
/// `false`.
pub fn vat_id_format_ok(vat: &str) -> bool {
    vat_shape_ok(vat) && vat.strip_prefix("DK").is_none_or(cvr_mod11_ok)
}

/// Danish CVR modulus-11 check: weights 2,7,6,5,4,3,2,1, weighted digit sum
/// divisible by 11.
///
/// Accepts exactly 8 ASCII digits (spaces ignored).
///
/// Known failure modes: a leading `0` is rejected (CVR numbers start at
/// 10000000), which also rejects the trivially "valid" `00000000`.
pub fn cvr_mod11_ok(digits: &str) -> bool {
    const WEIGHTS: [u32; 8] = [2, 7, 6, 5, 4, 3, 2, 1];
    let d: Vec<u8> = digits.bytes().filter(|&b| b != b' ').collect();
    if d.len() != 8 || !d.iter().all(u8::is_ascii_digit) || d[0] == b'0' {
        return false;
    }
    let sum: u32 = d
        .iter()
        .zip(WEIGHTS)
        .map(|(&c, w)| u32::from(c - b'0') * w)
        .sum();
    sum.is_multiple_of(11)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vat_normalize() {
        let cases: [(&str, Option<&str>, &str); 20] = [
            ("DK 12 34 56 78", None, "DK12345678"),
            ("12345678", Some("DK"), "DK12345678"),
            ("12345678", Some("dk"), "DK12345678"),
            ("CVR-nr. 12345678", None, "DK12345678"),
            ("CVR: 12345678", None, "DK12345678"),
            ("CVR nr.: 12 34 56 78", None, "DK12345678"),
            ("SE-nr. 12345678", None, "DK12345678"),
            ("Momsnr. 12345678", None, "DK12345678"),
            ("USt-IdNr.: DE123456789", None, "DE123456789"),
            ("USt-IdNr.: 123456789", None, "DE123456789"),
            ("VAT No: GB123456789", None, "GB123456789"),
            ("GB 123 4567 89", None, "GB123456789"),
            ("ATU12345678", None, "ATU12345678"),
            ("FR12345678901", None, "FR12345678901"),
            ("NL123456789B01", None, "NL123456789B01"),
            ("SE123456789001", None, "SE123456789001"),
            ("BE0123456789", None, "BE0123456789"),
            ("VAT NO 123456789 MVA", None, "NO123456789MVA"),
            ("CHE-123.456.789 MWST", None, "CHE123456789MWST"),
            ("dk12345678", None, "DK12345678"),
        ];
        for (t, dc, want) in cases {
            assert_eq!(
                normalize_vat_id(t, dc).as_deref(),
                Some(want),
                "{t:?} {dc:?}"
            );
            // Round trip: normalising the normalised id is a no-op.
            assert_eq!(
                normalize_vat_id(want, None).as_deref(),
                Some(want),
                "{want}"
            );
        }
        assert_eq!(
            normalize_vat_id("VAT Reg. No.: GB 123 4567 89", None).as_deref(),
            Some("GB123456789")
        );
        assert_eq!(
            normalize_vat_id("ESB12345678", None).as_deref(),
            Some("ESB12345678")
        );
        assert_eq!(
            normalize_vat_id("B12345678", Some("ES")).as_deref(),
            Some("ESB12345678")
        );
        assert_eq!(
            normalize_vat_id("FI12345678", None).as_deref(),
            Some("FI12345678")
        );
        assert_eq!(
            normalize_vat_id("IT12345678901", None).as_deref(),
            Some("IT12345678901")
        );
        assert_eq!(
            normalize_vat_id("PL1234567890", None).as_deref(),
            Some("PL1234567890")
        );
        assert_eq!(
            normalize_vat_id("GR123456789", None).as_deref(),
            Some("EL123456789")
        );
        assert_eq!(
            normalize_vat_id("GBGD123", None).as_deref(),
            Some("GBGD123")
        );
        // Explicit prefix wins over the default.
        assert_eq!(
            normalize_vat_id("DE123456789", Some("DK")).as_deref(),
            Some("DE123456789")
        );
        assert_eq!(
            normalize_vat_id("DK12345678.", None).as_deref(),
            Some("DK12345678")
        );
    }

    #[test]
    fn vat_normalize_rejects() {
        for (t, dc) in [
            ("", None),
            ("hello", None),
            ("12345678", None),
            ("DK1234567", None),
            ("DK123456789", None),
            ("DE12345678", None),
            ("AT12345678", None),
            ("BE2123456789", None),
            ("NL123456789", None),
            ("SE123456789012", None),
            ("XX12345678", None),
            ("1234567", Some("DK")),
            ("12345678", Some("XX")),
            ("DK12345678 extra", None),
            ("VAT No:", None),
            ("CVR: 1234", None),
        ] {
            assert_eq!(normalize_vat_id(t, dc), None, "{t:?} {dc:?}");
        }
    }

    #[test]
    fn vat_format_and_cvr() {
        assert!(cvr_mod11_ok("24256790"));
        assert!(cvr_mod11_ok("2425 6790"));
        assert!(!cvr_mod11_ok("12345678"));
        assert!(!cvr_mod11_ok("24256791"));
        assert!(!cvr_mod11_ok("00000000"));
        assert!(!cvr_mod11_ok("2425679"));
        assert!(!cvr_mod11_ok("242567900"));
        assert!(!cvr_mod11_ok("2425679a"));
        assert!(!cvr_mod11_ok(""));

        assert!(vat_id_format_ok("DK24256790"));
        assert!(!vat_id_format_ok("DK12345678")); // shape ok, mod-11 fails
        for ok in [
            "DE123456789",
            "ATU12345678",
            "BE0123456789",
            "BE1123456789",
            "FR12345678901",
            "FRAB123456789",
            "GB123456789",
            "GB123456789012",
            "GBGD123",
            "GBHA123",
            "NL123456789B01",
            "SE123456789001",
            "FI12345678",
            "ESX1234567X",
            "ES12345678Z",
            "IT12345678901",
            "NO123456789",
            "NO123456789MVA",
            "PL1234567890",
            "CHE123456789",
            "CHE123456789MWST",
            "IE1234567T",
            "IE1234567WA",
            "EL123456789",
        ] {
            assert!(vat_id_format_ok(ok), "{ok}");
        }
        for bad in [
            "",
            "DK",
            "DE12345678",
            "de123456789",
            "DE 123456789",
            "ATU1234567",
            "BE2123456789",
            "FRI1123456789",
            "GB12345678",
            "NL123456789C01",
            "SE123456789002",
            "FI1234567",
            "IT1234567890",
            "NO12345678",
            "PL123456789",
            "GR123456789",
            "US123456789",
            "ÆØ123",
        ] {
            assert!(!vat_id_format_ok(bad), "{bad}");
        }
    }

    #[test]
    fn vat_find() {
        let t = "Leverandør ApS, CVR-nr. 24256790, 2100 København";
        let f = find_vat_id(t, None).unwrap();
        assert_eq!(f.value, "DK24256790");
        assert_eq!(&t[f.start..f.end], "24256790");

        let t = "Musterfirma GmbH USt-IdNr.: DE123456789 Amtsgericht";
        let f = find_vat_id(t, None).unwrap();
        assert_eq!(f.value, "DE123456789");
        assert_eq!(&t[f.start..f.end], "DE123456789");

        let t = "VAT Reg. No.: GB 123 4567 89 Date 05.03.2024";
        let f = find_vat_id(t, None).unwrap();
        assert_eq!(f.value, "GB123456789");
        assert_eq!(&t[f.start..f.end], "GB 123 4567 89");

        let t = "Acme AS Org.nr NO 123456789 MVA";
        let f = find_vat_id(t, None).unwrap();
        assert_eq!(f.value, "NO123456789MVA");
        assert_eq!(&t[f.start..f.end], "NO 123456789 MVA");

        let t = "VAT NO 123456789 MVA";
        let f = find_vat_id(t, None).unwrap();
        assert_eq!(f.value, "NO123456789MVA");
        assert_eq!(&t[f.start..f.end], "NO 123456789 MVA");

        let t = "Firma BV, BTW NL123456789B01.";
        assert_eq!(find_vat_id(t, None).unwrap().value, "NL123456789B01");

        // OCR's O for 0 inside the digits, repaired only where the shape asks
        // for digits (the NL "B" stays).
        let t = "Btw-nr. NLO80719028B01";
        let f = find_vat_id(t, None).unwrap();
        assert_eq!(f.value, "NL080719028B01");
        assert_eq!(&t[f.start..f.end], "NLO80719028B01");
        assert_eq!(
            find_vat_id("USt-IdNr. DE12345678I", None).unwrap().value,
            "DE123456781"
        );
        // Three repairs are a guess too far; words are not ids.
        assert_eq!(find_vat_id("VAT DEOOI456789", None), None);
        assert_eq!(find_vat_id("DEPOT LOLLIPOP", None), None);

        let t = "Moms nr: 12345678";
        assert_eq!(find_vat_id(t, None).unwrap().value, "DK12345678");
        let t = "VAT No: 12345678";
        assert_eq!(find_vat_id(t, None), None);
        assert_eq!(find_vat_id(t, Some("DK")).unwrap().value, "DK12345678");

        // Negative cases.
        assert_eq!(find_vat_id("Moms 25% 308,63 kr.", Some("DK")), None);
        assert_eq!(find_vat_id("Telefon 12345678", None), None);
        // A default country makes bare numbers count (value region of a label).
        let f = find_vat_id("12 34 56 78", Some("DK")).unwrap();
        assert_eq!((f.value.as_str(), f.start, f.end), ("DK12345678", 0, 11));
        assert_eq!(
            find_vat_id("123456789", Some("DE")).unwrap().value,
            "DE123456789"
        );
        assert_eq!(find_vat_id("1234567", Some("DK")), None);
        // Labelled or prefixed ids win over an earlier bare number.
        let f = find_vat_id("12345678 USt-IdNr. DE123456789", Some("DK")).unwrap();
        assert_eq!(f.value, "DE123456789");
        assert_eq!(find_vat_id("IBAN: DK50 0040 0440 1162 43", None), None);
        assert_eq!(find_vat_id("INV-2024-0042 DELIVERY 123456789", None), None);
        assert_eq!(find_vat_id("", None), None);
    }
}
