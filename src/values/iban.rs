//! IBANs (mod-97, with OCR repairs of the check digits) and BICs.

use std::sync::LazyLock;

use regex::Regex;

use super::scan::prev_char;
use super::Found;

/// Normalises an IBAN to its electronic form (`DK5000400440116243`).
///
/// Accepts the IBAN with any spaces, dashes or dots, any case, optionally
/// prefixed by `IBAN` / `IBAN:`. If the text is not valid as is, the check
/// digits (positions 3–4) are repaired for common OCR confusions (`O`→`0`,
/// `I`/`l`→`1`, `S`→`5`, `B`→`8`) and tried again.
///
/// Known failure modes: OCR errors in the country code or the BBAN are not
/// repaired (the checksum then fails and the result is `None`); any other
/// character (`:`, `/`, letters after the IBAN) makes the whole text invalid.
pub fn normalize_iban(text: &str) -> Option<String> {
    let mut s: String = text
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '-' | '.')))
        .collect::<String>()
        .to_uppercase();
    if let Some(rest) = s.strip_prefix("IBAN") {
        s = rest.trim_start_matches(':').to_string();
    }
    if !(5..=34).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    if let Some(v) = parse_iban(&s) {
        return Some(v);
    }
    let mut b = s.into_bytes();
    for c in &mut b[2..4] {
        *c = match *c {
            b'O' => b'0',
            b'I' | b'L' => b'1',
            b'S' => b'5',
            b'B' => b'8',
            other => other,
        };
    }
    parse_iban(std::str::from_utf8(&b).ok()?)
}

/// Validation is delegated to the `iban_validate` crate: it is well kept and
/// knows every registry country's IBAN length and BBAN format, on top of the
/// mod-97 checksum that a hand-written check would be limited to.
fn parse_iban(s: &str) -> Option<String> {
    use iban::IbanLike;
    s.parse::<iban::Iban>()
        .ok()
        .map(|i| i.electronic_str().to_string())
}

/// Finds the longest IBAN in a line.
///
/// Scans for runs of letters/digits separated by single spaces or dashes,
/// starting at a word that begins with a 2-letter country code, and keeps the
/// longest run that (spaces removed, check digits OCR-repaired as in
/// [`normalize_iban`]) is a valid IBAN. `start..end` covers the IBAN as
/// written, spaces included.
///
/// Known failure modes: an IBAN broken by a double space, a line break or
/// another character, or whose country code is split from its check digits,
/// is not found; an IBAN written directly against other letters/digits is not
/// found.
pub fn find_iban(text: &str) -> Option<Found<String>> {
    let b = text.as_bytes();
    let check_digit_like =
        |c: u8| c.is_ascii_digit() || matches!(c, b'O' | b'o' | b'I' | b'l' | b'S' | b'B');
    let mut best: Option<(usize, Found<String>)> = None;
    for i in 0..b.len().saturating_sub(3) {
        let starts_here = b[i].is_ascii_alphabetic()
            && b[i + 1].is_ascii_alphabetic()
            && check_digit_like(b[i + 2])
            && check_digit_like(b[i + 3])
            && text.is_char_boundary(i)
            && !prev_char(text, i).is_some_and(char::is_alphanumeric);
        if !starts_here {
            continue;
        }
        let (mut j, mut count) = (i, 0usize);
        while j < b.len() {
            if b[j].is_ascii_alphanumeric() {
                count += 1;
                j += 1;
                if count > 34 {
                    break;
                }
                let at_token_end = j == b.len() || !b[j].is_ascii_alphanumeric();
                if count >= 15 && at_token_end && best.as_ref().is_none_or(|(n, _)| count > *n) {
                    if let Some(value) = normalize_iban(&text[i..j]) {
                        best = Some((
                            count,
                            Found {
                                value,
                                start: i,
                                end: j,
                            },
                        ));
                    }
                }
            } else if matches!(b[j], b' ' | b'-')
                && j + 1 < b.len()
                && b[j + 1].is_ascii_alphanumeric()
            {
                j += 1;
            } else {
                break;
            }
        }
    }
    best.map(|(_, f)| f)
}

/// Whether `iban` is a valid IBAN (country, length, BBAN format, mod-97).
///
/// Accepts the electronic form or the printed form; whitespace is ignored.
/// Does no other normalisation: lower-case country codes, dashes or OCR
/// confusions make it `false` (use [`normalize_iban`] first).
pub fn iban_is_valid(iban: &str) -> bool {
    let compact: String = iban.chars().filter(|c| !c.is_whitespace()).collect();
    parse_iban(&compact).is_some()
}

static RE_BIC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\A[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?\z").expect("valid regex"));

static RE_BIC_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\A\s*(?:swift|bic)(?:\s*[/-]?\s*(?:bic|swift|code))?\s*[:.]?\s*")
        .expect("valid regex")
});

/// Normalises a BIC/SWIFT code: 8 or 11 characters `AAAABBCC(DDD)`, upper case.
///
/// Accepts any case and inner spaces (`ndea dk kk`), optionally after a
/// `BIC:` / `SWIFT:` / `SWIFT/BIC` label.
///
/// Known failure modes: only the shape is checked (4+2 letters, 2 or 5
/// alphanumerics), not whether the country or bank exists; OCR digit/letter
/// confusions are not repaired.
pub fn normalize_bic(text: &str) -> Option<String> {
    let compact = |t: &str| {
        t.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase()
    };
    // Label first: "BIC NDEADKKK" compacts to an 11-char BIC-shaped string.
    if let Some(m) = RE_BIC_LABEL.find(text) {
        let c = compact(&text[m.end()..]);
        if RE_BIC.is_match(&c) {
            return Some(c);
        }
    }
    let c = compact(text);
    RE_BIC.is_match(&c).then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iban_normalize() {
        assert_eq!(
            normalize_iban("DK50 0040 0440 1162 43").as_deref(),
            Some("DK5000400440116243")
        );
        assert_eq!(
            normalize_iban("dk50-0040-0440-1162-43").as_deref(),
            Some("DK5000400440116243")
        );
        assert_eq!(
            normalize_iban("IBAN: DK50 0040 0440 1162 43").as_deref(),
            Some("DK5000400440116243")
        );
        assert_eq!(
            normalize_iban("DE44 5001 0517 5407 3249 31").as_deref(),
            Some("DE44500105175407324931")
        );
        assert_eq!(
            normalize_iban("GB82 WEST 1234 5698 7654 32").as_deref(),
            Some("GB82WEST12345698765432")
        );
        // OCR repairs in the check digits.
        assert_eq!(
            normalize_iban("DK5O 0040 0440 1162 43").as_deref(),
            Some("DK5000400440116243")
        );
        assert_eq!(
            normalize_iban("DKS0 0040 0440 1162 43").as_deref(),
            Some("DK5000400440116243")
        );
        assert_eq!(normalize_iban("DE4l 5001 0517 5407 3249 31"), None);
        assert_eq!(
            normalize_iban("GBB2 WEST 1234 5698 7654 32").as_deref(),
            Some("GB82WEST12345698765432")
        );
        assert_eq!(normalize_iban("DE44 5OO1 0517 5407 3249 31"), None); // BBAN not repaired
        for bad in [
            "",
            "DK50",
            "DK50 0040 0440 1162 44",
            "DK50 0040 0440 1162 4",
            "XX50 0040 0440 1162 43",
            "DK50:0040",
            "hello world",
        ] {
            assert_eq!(normalize_iban(bad), None, "{bad:?}");
        }
        // Idempotent.
        let n = normalize_iban("de44 5001 0517 5407 3249 31").unwrap();
        assert_eq!(normalize_iban(&n).as_deref(), Some(n.as_str()));
        assert!(iban_is_valid(&n));
    }

    #[test]
    fn iban_validity() {
        assert!(iban_is_valid("DK5000400440116243"));
        assert!(iban_is_valid("DK50 0040 0440 1162 43"));
        assert!(iban_is_valid("GB82WEST12345698765432"));
        assert!(!iban_is_valid("DK5000400440116244"));
        assert!(!iban_is_valid("dk5000400440116243"));
        assert!(!iban_is_valid("DK500040044011624"));
        assert!(!iban_is_valid(""));
    }

    #[test]
    fn iban_find() {
        let t = "IBAN: DK50 0040 0440 1162 43  BIC: NDEADKKK";
        let f = find_iban(t).unwrap();
        assert_eq!(f.value, "DK5000400440116243");
        assert_eq!(&t[f.start..f.end], "DK50 0040 0440 1162 43");
        assert_eq!((f.start, f.end), (6, 28));

        let t = "Bank DE44 5001 0517 5407 3249 31 BIC DEUTDEFF";
        let f = find_iban(t).unwrap();
        assert_eq!(f.value, "DE44500105175407324931");
        assert_eq!(&t[f.start..f.end], "DE44 5001 0517 5407 3249 31");

        let t = "Konto:DK5000400440116243.";
        assert_eq!(find_iban(t).unwrap().value, "DK5000400440116243");
        let t = "IBAN DK5O 0040 0440 1162 43";
        assert_eq!(find_iban(t).unwrap().value, "DK5000400440116243");

        assert_eq!(find_iban("DK50 0040 0440 1162 44"), None);
        assert_eq!(find_iban("no iban here 12345"), None);
        assert_eq!(find_iban("XDK5000400440116243"), None);
        assert_eq!(find_iban(""), None);
    }

    #[test]
    fn bic() {
        assert_eq!(normalize_bic("NDEADKKK").as_deref(), Some("NDEADKKK"));
        assert_eq!(normalize_bic("ndeadkkk").as_deref(), Some("NDEADKKK"));
        assert_eq!(
            normalize_bic("DEUT DE FF 500").as_deref(),
            Some("DEUTDEFF500")
        );
        assert_eq!(normalize_bic("BIC: NDEADKKK").as_deref(), Some("NDEADKKK"));
        assert_eq!(normalize_bic("BIC NDEADKKK").as_deref(), Some("NDEADKKK"));
        assert_eq!(
            normalize_bic("SWIFT/BIC: DABADKKKXXX").as_deref(),
            Some("DABADKKKXXX")
        );
        for bad in [
            "",
            "NDEADKK",
            "NDEADKKKX",
            "1DEADKKK",
            "NDEA1KKK",
            "NDEADKKK123X",
            "NDEA-DKKK",
        ] {
            assert_eq!(normalize_bic(bad), None, "{bad:?}");
        }
        let n = normalize_bic("deut de ff").unwrap();
        assert_eq!(normalize_bic(&n), Some(n.clone()));
    }
}
