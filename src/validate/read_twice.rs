//! Check `read_twice`: OCR gave two readings of the print a field's value was read from.
//!
//! # What it checks
//! Each field read by OCR, against the words of its page: a word of the value whose box
//! a word of another text line covers for the most part (a third of the smaller box or
//! more). One failed check per such field, naming the other reading.
//!
//! # Why
//! Tesseract reads each line once. When it gives two lines over the same ink, it could
//! not settle where the line is (a smudge, a fold, a faint line under a strong one) and
//! each reading holds part of the print: a degraded scan's "Oakmere Supplies Ltd" came
//! out as "Oak  Supplies Ltd" and, over it, "akmere Supplies U". The value took "Oak",
//! read surely at 0.94, and was posted. Neither reading can vouch for the value; a
//! person looks at the print. On the generator's pages and its held-out layouts (160
//! pages), words of two lines cover each other eight times, each at a misreading.
//!
//! # Example
//! `customer_name "Oak" was read where OCR also read "akmere Supplies U" over the same
//! print`.
//!
//! # Known failure modes
//! - Text printed over text on purpose (a stamp, a watermark) is two readings of two
//!   prints; the field goes to review all the same.
//! - Only the value's own words are looked at: a reading that lost the value's words
//!   altogether, with nothing left over them, is not seen here.

use crate::document::{CheckCode, CheckResult, IndexedFields, Origin};
use crate::text::{area, inside, intersection, Page, Word};

pub const CODE: CheckCode = CheckCode::ReadTwice;

/// The share of the smaller of two words' boxes that the other must cover for the two
/// to be readings of the same print (letters of neighbouring lines touch, a few pixels).
const COVERED: f64 = 1.0 / 3.0;

/// One failed check for each field read by OCR whose words another line's words cover.
pub fn check(pages: &[Page], fields: &IndexedFields) -> Vec<CheckResult> {
    let mut out = Vec::new();
    for (name, f) in fields.0.iter() {
        let Some(f) = f.as_ref().filter(|f| f.origin == Origin::Ocr) else {
            continue;
        };
        let (Some(bbox), Some(page)) = (f.bbox, pages.iter().find(|p| p.number == f.page)) else {
            continue;
        };
        let own: Vec<&Word> = page.words.iter().filter(|w| inside(w.bbox, bbox)).collect();
        let mut other: Vec<&Word> = Vec::new();
        for w in page.words.iter().filter(|w| !inside(w.bbox, bbox)) {
            let covers = |o: &&Word| o.line != w.line && covered(o.bbox, w.bbox) >= COVERED;
            if w.text.chars().any(char::is_alphanumeric) && own.iter().any(covers) {
                other.push(w);
            }
        }
        if other.is_empty() {
            continue;
        }
        // The other line from the value's left edge on, so the reviewer sees what it
        // read there.
        let lines: Vec<u32> = other.iter().map(|w| w.line).collect();
        let reading: Vec<&str> = page
            .words
            .iter()
            .filter(|w| lines.contains(&w.line) && !inside(w.bbox, bbox))
            .filter(|w| w.bbox[2] > bbox[0])
            .map(|w| w.text.as_str())
            .collect();
        out.push(CheckResult {
            code: CODE,
            passed: false,
            fields: vec![name.to_string()],
            message: format!(
                "{name} {:?} was read where OCR also read {:?} over the same print",
                f.value,
                reading.join(" ")
            ),
        });
    }
    out
}

/// How much of the smaller of two boxes the two share.
fn covered(a: [u32; 4], b: [u32; 4]) -> f64 {
    intersection(a, b) / area(a).min(area(b)).max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Field;
    use crate::testing::scanned;

    fn read(name: &str, value: &str, bbox: [u32; 4], origin: Origin) -> IndexedFields {
        let mut f = IndexedFields::default();
        f.set(
            name,
            Some(Field {
                value: value.into(),
                confidence: 0.9,
                raw: value.into(),
                page: 1,
                bbox: Some(bbox),
                origin,
                reasons: Vec::new(),
            }),
        );
        f
    }

    /// The real words of a degraded scan (the generator's mixed set, seed 4242,
    /// inv-4242-0010): "Oakmere Supplies Ltd" under "Bill to", read as two lines over
    /// the same print; the customer's name was posted as "Oak".
    fn bill_to() -> Page {
        scanned(&[
            ("Bill", 0.96, [1301, 337, 1352, 361], 2),
            ("to", 0.96, [1362, 342, 1389, 362], 2),
            ("137", 0.97, [203, 363, 257, 389], 10),
            ("King's", 0.96, [269, 363, 367, 397], 10),
            ("Road", 0.97, [379, 362, 460, 389], 10),
            ("Oak", 0.94, [1302, 393, 1365, 420], 10),
            ("Supplies", 0.81, [1455, 393, 1551, 420], 10),
            ("Ltd", 0.96, [1598, 393, 1650, 420], 10),
            ("London", 0.93, [201, 418, 321, 446], 11),
            ("EC1A", 0.92, [332, 419, 428, 446], 11),
            ("1BB", 0.92, [440, 419, 506, 445], 11),
            ("akmere", 0.82, [1330, 401, 1442, 420], 11),
            ("Supplies", 0.14, [1475, 401, 1586, 428], 11),
            ("U", 0.48, [1621, 398, 1631, 420], 11),
            ("95", 0.96, [1301, 451, 1337, 477], 12),
            ("Mill", 0.96, [1350, 449, 1415, 476], 12),
            ("Road", 0.97, [1427, 449, 1507, 477], 12),
        ])
    }

    #[test]
    fn a_name_read_where_another_line_covers_it_fails() {
        let p = bill_to();
        let f = read("customer_name", "Oak", [1302, 393, 1365, 420], Origin::Ocr);
        let c = check(std::slice::from_ref(&p), &f);
        assert_eq!(c.len(), 1, "{c:?}");
        assert!(!c[0].passed);
        assert_eq!(c[0].fields, ["customer_name"]);
        assert_eq!(
            c[0].message,
            "customer_name \"Oak\" was read where OCR also read \"akmere Supplies U\" over the same print"
        );
        // A person who has looked may approve what the print says.
        assert!(!c[0].blocks_approval());
    }

    #[test]
    fn neighbouring_lines_and_values_not_read_by_ocr_pass() {
        let p = bill_to();
        // The street under the name: its line touches no other line's words.
        let street = read(
            "customer_address",
            "95 Mill Road",
            [1301, 449, 1507, 477],
            Origin::Ocr,
        );
        assert_eq!(check(std::slice::from_ref(&p), &street), []);
        // The vendor's street, left of the doubled name, on a line of its own.
        let left = read(
            "vendor_address",
            "137 King's Road",
            [203, 362, 460, 397],
            Origin::Ocr,
        );
        assert_eq!(check(std::slice::from_ref(&p), &left), []);
        // A value from master data was not read from this print.
        let filed = read(
            "customer_name",
            "Oak",
            [1302, 393, 1365, 420],
            Origin::MasterData,
        );
        assert_eq!(check(std::slice::from_ref(&p), &filed), []);
    }
}
