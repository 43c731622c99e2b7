//! Check `null_contradicted`: a field came out empty, but the page prints a
//! `key: value` pair that nobody claimed, whose key looks like one of that field's
//! labels and whose value is of that field's kind.
//!
//! # What it checks
//! For each field the type extracts that is `null` (and that no `value_unreadable` check
//! already names), every label–value pair on the page (`text::pairs`: a key ending in a
//! colon, a short label beside a value across a column gap, or a label over its value;
//! not a table's column heading over its first cell) whose value does not overlap a
//! field that was read. The pair contradicts the `null` when its key is like one of the
//! field's labels (below) and its value parses as the field's kind (a date, an amount,
//! an identifier that fits the field's pattern, an IBAN, a VAT id, a currency).
//!
//! A key is like a label when, after dropping words that say nothing of the field
//! (`your`, `our`, `no`, `nr`, `number`, `#`, `ihre`, `jeres`, …), the label's remaining
//! words all appear in the key, or the key's all appear in the label; two words match
//! when `extract::similar::word_similarity` finds them alike: equal, a common prefix of
//! at least four letters covering three quarters of the shorter (`ref`/`reference` is
//! too short to guess; `bestellnr` and `bestellnummer` match), the end of a compound,
//! or a letter or two apart in a long word.
//!
//! A key is also like a field when it holds one of the field's `hints` from the type
//! file, word for word with the possessive ("Your reference", "Vs. riferimento": the
//! buyer's reference, mostly its order number). Hints are never read from, so only a
//! person sees what they hold.
//!
//! A key OCR could not read at all (every word below 0.4; a decorative font, a stamp
//! over it) may be any field's label: its value, without the words it could not read
//! either, contradicts an empty identifier or date field of its kind.
//!
//! A row of headings over a single row of values that starts with a number is a
//! key/value grid (`text::pairs`), so its pairs are judged; a table's are not.
//!
//! # Why
//! `null` is posted as "the page has no such value". A label list never covers every
//! supplier's wording: both wrong auto-posts of the first-sight test were invoices whose
//! purchase order was printed beside a label nobody listed ("Your order ref.") and came
//! out `null`. A person must look at such a document; posting it says something false.
//!
//! # Example
//! `Your order ref.: PO-88812` on an invoice whose `purchase_order` is `null`: the
//! label "order no" leaves "order", which the key holds, and `PO-88812` fits the
//! field's pattern, so the check fails with
//! `purchase_order is empty but the page says "Your order ref.: PO-88812"`.
//!
//! # Known failure modes
//! - A label run into its value with a single space, no colon and no column gap ("Your
//!   order ref. ORD-5123"), is judged only for identifiers and dates: the words before
//!   the row's first word holding a digit are taken as its key. A money value run into
//!   its words is mostly an item row's or a payment term's, and is not judged.
//! - Names, addresses and free text are not judged (any text would fit them).
//! - A key whose words belong to the labels of two fields ("Order date": the purchase
//!   order's "order", the invoice date's "date") is taken for neither. A key that
//!   shares a distinctive word with one field's label but means something else can send
//!   a document to review needlessly; that errs towards a person, never towards a post.
//! - A person who approves has seen the reason: the check does not block approval.

use crate::config::{DocType, FieldKind, FieldSpec};
use crate::document::{CheckCode, CheckResult, IndexedFields};
use crate::extract::similar::{distinctive, word_similarity};
use crate::text::layout::{LWord, Line};
use crate::text::pairs::{self, Arrangement};
use crate::values::{self, DateOrder};

pub const CODE: CheckCode = CheckCode::NullContradicted;

/// Two words are one when `extract::similar` finds them that alike: equal, one a
/// long prefix of the other, the end of a compound, or a letter or two apart.
fn same_word(a: &str, b: &str) -> bool {
    word_similarity(a, b) >= 0.85
}

/// True when every word of `part` matches some word of `whole`.
fn covered(part: &[&str], whole: &[&str]) -> bool {
    !part.is_empty() && part.iter().all(|p| whole.iter().any(|w| same_word(p, w)))
}

fn in_labels(word: &str, spec: &FieldSpec) -> bool {
    spec.labels
        .iter()
        .any(|(_, label)| label.iter().any(|t| same_word(word, t)))
}

/// Is `key` like one of `spec`'s labels, and about no other field? A key word that
/// belongs to another field's labels and not to this one's ("order" in "Order date")
/// says the key is about something else.
fn key_like_label(key: &[&str], spec: &FieldSpec, doctype: &DocType) -> bool {
    let like = spec.labels.iter().any(|(_, label)| {
        let label = distinctive(label);
        covered(&label, key) || covered(key, &label)
    });
    like && !about_another_field(key, spec, doctype)
}

/// Does a word of `key` belong to another field's labels and not to `spec`'s labels
/// or hints ("order" in "Order date")? Then the key is about that other field.
fn about_another_field(key: &[&str], spec: &FieldSpec, doctype: &DocType) -> bool {
    let hinted = |w: &str| {
        spec.hints
            .iter()
            .any(|(_, h)| h.iter().any(|t| same_word(w, t)))
    };
    key.iter().any(|w| {
        !in_labels(w, spec)
            && !hinted(w)
            && doctype
                .fields
                .iter()
                .any(|other| other.name != spec.name && in_labels(w, other))
    })
}

/// Is `key` one of `spec`'s hints ("your reference" for a purchase order)? Every word
/// of the hint must be in the key, the possessive too: a bare "Reference" is a payment
/// reference as often as the buyer's. As for labels, a key word of another field's
/// labels says the key is about that field.
fn key_like_hint(key: &[String], spec: &FieldSpec, doctype: &DocType) -> bool {
    let key: Vec<&str> = key.iter().map(String::as_str).collect();
    let like = spec.hints.iter().any(|(_, hint)| {
        // Word for word: a compound's end or a shared stem is not enough here, or
        // "køberreference" would be like a bare "Reference".
        hint.iter().all(|h| {
            key.iter()
                .any(|k| k == h || (h.chars().count() >= 5 && strsim::levenshtein(k, h) <= 1))
        })
    });
    like && !about_another_field(&key, spec, doctype)
}

/// Does `value` hold a value of the field's kind? `None`: the kind is not judged.
fn of_kind(value: &str, spec: &FieldSpec) -> Option<bool> {
    let is_date = values::parse_date(value, DateOrder::Dmy).is_some();
    Some(match spec.kind {
        FieldKind::Date => is_date,
        FieldKind::Money => values::parse_money(value).is_some(),
        FieldKind::Iban => values::find_iban(value).is_some(),
        FieldKind::VatId => values::find_vat_id(value, None).is_some(),
        FieldKind::Currency => value
            .split_whitespace()
            .any(|t| values::currency_code(t).is_some()),
        FieldKind::Identifier => {
            let first = value
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_end_matches([',', ';', '.']);
            // An amount with its cents (`658, 81`, `1.234,00`) is no identifier.
            !is_date
                && !values::first_has_cents(value)
                && first.chars().any(|c| c.is_ascii_digit())
                && spec.pattern.as_ref().is_none_or(|p| p.is_match(first))
        }
        _ => return None,
    })
}

/// The value behind a key OCR could not read at all (every word below [`UNREADABLE`]),
/// without the words it could not read either (a dotted leader read as letters): any
/// field's label may be behind such a key.
fn behind_unreadable_key(key: &[LWord], value: &[LWord]) -> Option<String> {
    if key.is_empty() || key.iter().any(|w| w.conf >= UNREADABLE) {
        return None;
    }
    let value: Vec<&str> = value
        .iter()
        .filter(|w| w.conf >= UNREADABLE)
        .map(|w| w.text.as_str())
        .collect();
    (!value.is_empty()).then(|| value.join(" "))
}

/// Names each empty identifier or date field of `value`'s kind, found behind a key
/// that could not be read. Amounts beside garbled words are mostly a table's rows.
fn judge_unreadable(
    value: &str,
    key: &[String],
    empty: &[&FieldSpec],
    named: &mut Vec<String>,
    seen: &mut Vec<String>,
) {
    for spec in empty
        .iter()
        .filter(|s| matches!(s.kind, FieldKind::Identifier | FieldKind::Date))
    {
        if !named.contains(&spec.name) && of_kind(value, spec) == Some(true) {
            named.push(spec.name.clone());
            seen.push(format!(
                "{} is empty, and the page has {value:?} beside a label that could not be \
                 read ({:?})",
                spec.name,
                key.join(" ")
            ));
        }
    }
}

/// What a row of the page says: a key's normalised tokens, its value and the words as
/// printed. `run_in`: the key ran into its value with neither a colon nor a gap.
struct Said {
    tokens: Vec<String>,
    value: String,
    text: String,
    run_in: bool,
}

/// Names each empty field whose label `said`'s key is like and whose kind its value
/// holds, with the words as printed.
fn judge(
    said: &Said,
    empty: &[&FieldSpec],
    doctype: &DocType,
    named: &mut Vec<String>,
    seen: &mut Vec<String>,
) {
    let key = distinctive(&said.tokens);
    if key.is_empty() {
        return;
    }
    for spec in empty {
        // Run into its label, an amount is mostly an item row's: identifiers and dates
        // only.
        let judged = !said.run_in || matches!(spec.kind, FieldKind::Identifier | FieldKind::Date);
        if named.contains(&spec.name) || !judged {
            continue;
        }
        let like =
            key_like_label(&key, spec, doctype) || key_like_hint(&said.tokens, spec, doctype);
        if like && of_kind(&said.value, spec) == Some(true) {
            named.push(spec.name.clone());
            seen.push(format!(
                "{} is empty but the page says {:?}",
                spec.name, said.text
            ));
        }
    }
}

/// Below this OCR confidence a word is taken as unread (Tesseract gives 0 to a word it
/// had to guess).
const UNREADABLE: f32 = 0.4;

fn overlaps(a: [u32; 4], b: [u32; 4]) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

/// The failed check, when a `null` field is contradicted by the page; `None` otherwise.
/// `unread` are the fields a `value_unreadable` check already names.
pub fn check(
    lines: &[Line],
    fields: &IndexedFields,
    doctype: &DocType,
    unread: &[String],
) -> Option<CheckResult> {
    let empty: Vec<&FieldSpec> = doctype
        .fields
        .iter()
        .filter(|s| s.extract && fields.get(&s.name).is_none() && !unread.contains(&s.name))
        .collect();
    if empty.is_empty() {
        return None;
    }
    let read: Vec<(u32, [u32; 4])> = fields
        .0
        .iter()
        .filter_map(|(_, f)| f.as_ref())
        .filter_map(|f| f.bbox.map(|b| (f.page, b)))
        .collect();
    let mut named = Vec::new();
    let mut seen = Vec::new();
    for pair in pairs::find(lines) {
        if pair.arrangement == Arrangement::Column {
            // A table's first cell under its heading is no field of the document.
            continue;
        }
        let claimed = pair.value.iter().any(|w| {
            read.iter()
                .any(|(page, b)| *page == pair.page && overlaps(w.bbox, *b))
        });
        if claimed {
            continue;
        }
        if let Some(value) = behind_unreadable_key(&pair.key, &pair.value) {
            judge_unreadable(&value, &pair.key_tokens(), &empty, &mut named, &mut seen);
            continue;
        }
        let tokens = pair.key_tokens();
        let key = distinctive(&tokens);
        // A date nothing claimed, beside a key about no other field (a label the
        // vocabulary lacks, or one a dotted leader garbled: "Forfallan... een
        // 2025-11-21"), may be an empty date field's value.
        if let Some(date) = pair
            .value
            .iter()
            .map(|w| w.text.as_str())
            .find(|t| values::parse_date(t, DateOrder::Dmy).is_some())
        {
            for spec in empty.iter().filter(|s| s.kind == FieldKind::Date) {
                if !named.contains(&spec.name) && !about_another_field(&key, spec, doctype) {
                    named.push(spec.name.clone());
                    seen.push(format!(
                        "{} is empty, and the page has the date {date:?} beside {:?}, \
                         which nothing read",
                        spec.name,
                        tokens.join(" ")
                    ));
                }
            }
        }
        let said = Said {
            tokens,
            value: pair.value_text(),
            text: pair.text(),
            run_in: false,
        };
        judge(&said, &empty, doctype, &mut named, &mut seen);
    }
    // A label run into its value without a colon or a column gap ("Your order ref.
    // ORD-5123" in a block of labels over a column of values): in a row, and in each of
    // its segments when it has several, the words before the first one holding a digit,
    // and the rest. The whole row finds a label its value stands apart from that no pair
    // was made of; a segment, a label behind the customer's address on the same row.
    for line in lines {
        let mut runs = line.segments();
        if runs.len() > 1 {
            runs.insert(0, line.words.clone());
        }
        for segment in runs {
            let Some(i) = segment
                .iter()
                .position(|w| w.text.chars().any(|c| c.is_ascii_digit()))
            else {
                continue;
            };
            let claimed = read
                .iter()
                .any(|(page, b)| *page == line.page && overlaps(segment[i].bbox, *b));
            if !(1..=5).contains(&i) || claimed {
                continue;
            }
            let (key, value) = segment.split_at(i);
            let tokens = pairs::tokens(key);
            if let Some(value) = behind_unreadable_key(key, value) {
                judge_unreadable(&value, &tokens, &empty, &mut named, &mut seen);
                continue;
            }
            let said = Said {
                tokens,
                value: pairs::text_of(value),
                text: pairs::text_of(&segment),
                run_in: true,
            };
            judge(&said, &empty, doctype, &mut named, &mut seen);
        }
    }
    (!named.is_empty()).then(|| CheckResult {
        code: CODE,
        passed: false,
        fields: named,
        message: seen.join("; "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Field, Origin};
    use crate::testing::builtin_type;
    use crate::testing::page;
    use crate::text::layout;

    fn lines(rows: &[(u32, &[(u32, &str)])]) -> Vec<Line> {
        layout::lines(&page(rows))
    }

    /// The check on an invoice none of whose fields was read.
    fn on_empty_invoice(l: &[Line]) -> Option<CheckResult> {
        check(l, &IndexedFields::default(), &builtin_type("invoice"), &[])
    }

    /// The case alone on a row.
    fn your_order_ref() -> Vec<Line> {
        lines(&[(
            360,
            &[
                (200, "Your"),
                (300, "order"),
                (420, "ref.:"),
                (560, "PO-88812"),
            ],
        )])
    }

    #[test]
    fn an_unlisted_label_with_a_purchase_order_contradicts_its_null() {
        let l = lines(&[
            (300, &[(200, "Invoice"), (420, "no.:"), (560, "INV-1001")]),
            (
                360,
                &[
                    (200, "Your"),
                    (300, "order"),
                    (420, "ref.:"),
                    (560, "PO-88812"),
                ],
            ),
        ]);
        let c = on_empty_invoice(&l).expect("contradicted");
        assert!(!c.passed);
        assert!(c.fields.contains(&"purchase_order".to_string()), "{c:?}");
        assert!(
            c.message.contains(
                "purchase_order is empty but the page says \"Your order ref.: PO-88812\""
            ),
            "{}",
            c.message
        );
    }

    /// A row whose key OCR could not read (confidence 0), a dotted leader read as a
    /// word it doubts, and `value`.
    fn behind_a_garbled_key(value: &str) -> Vec<Line> {
        let mut l = lines(&[(
            360,
            &[(200, "PHAMSRUMIONO:"), (510, "nennen"), (670, value)],
        )]);
        l[0].words[0].conf = 0.0;
        l[0].words[1].conf = 0.35;
        l
    }

    #[test]
    fn a_value_beside_a_key_ocr_could_not_read_contradicts_an_empty_field_of_its_kind() {
        let c = on_empty_invoice(&behind_a_garbled_key("PO-89848")).expect("contradicted");
        assert!(c.fields.contains(&"purchase_order".to_string()), "{c:?}");
        assert!(
            c.message.contains(
                "purchase_order is empty, and the page has \"PO-89848\" beside a label that \
                 could not be read"
            ),
            "{}",
            c.message
        );
        // Read well, the same key is a label nobody listed: no contradiction.
        let mut read = behind_a_garbled_key("PO-89848");
        read[0].words[0].conf = 0.9;
        assert_eq!(on_empty_invoice(&read), None);
        // An amount with its cents is no order number.
        assert_eq!(on_empty_invoice(&behind_a_garbled_key("658, 81")), None);
    }

    /// Lines of words as a scan gave them: text, confidence, box, Tesseract's line.
    fn scanned(words: &[(&str, f32, [u32; 4], u32)]) -> Vec<Line> {
        layout::lines(&crate::testing::scanned(words))
    }

    /// Rows of a real scan (held-out `gw2424`, inv-2424-0032): the customer's address
    /// on the left, and on the right a due date behind a dotted leader that OCR read as
    /// garbled words at confidence 0, close enough to the date to be one segment.
    fn a_due_date_behind_a_garbled_leader() -> Vec<Line> {
        scanned(&[
            ("Havørn", 0.99, [203, 602, 316, 628], 3),
            ("Kontorrekvisita", 0.99, [332, 601, 574, 627], 3),
            ("ANS", 0.99, [588, 602, 654, 627], 3),
            ("Industriveien", 0.91, [203, 647, 413, 674], 4),
            ("100", 0.97, [429, 648, 487, 674], 4),
            ("Forfallan...", 0.0, [1303, 654, 1399, 680], 4),
            ("een", 0.0, [1420, 675, 2043, 680], 4),
            ("hehe", 0.31, [1911, 644, 2045, 694], 4),
            ("2025-11-21", 0.96, [2071, 654, 2278, 680], 4),
            ("0150", 0.97, [202, 694, 282, 720], 5),
            ("Oslo", 0.96, [296, 694, 365, 720], 5),
        ])
    }

    #[test]
    fn a_date_behind_a_garbled_leader_contradicts_an_empty_date() {
        let l = a_due_date_behind_a_garbled_leader();
        let c = on_empty_invoice(&l).expect("contradicted");
        assert_eq!(c.fields, ["invoice_date", "due_date"], "{}", c.message);
        assert!(
            c.message.contains(
                "due_date is empty, and the page has \"2025-11-21\" beside a label that \
                 could not be read"
            ),
            "{}",
            c.message
        );
        // Words read surely are judged as a label: these are about no field.
        let mut read = l.clone();
        for (w, text) in read[1].words[2..5]
            .iter_mut()
            .zip(["Levert", "til", "kunden"])
        {
            w.conf = 0.95;
            w.text = text.to_string();
            w.norm = text.to_lowercase();
        }
        assert_eq!(on_empty_invoice(&read), None);
    }

    #[test]
    fn a_label_run_into_its_value_contradicts_too() {
        // One segment: no colon, no column gap (a block of labels printed close to
        // their column of values).
        let l = lines(&[(1161, &[(1033, "Your order ref. ORD-5123")])]);
        let c = on_empty_invoice(&l).expect("contradicted");
        assert_eq!(c.fields, ["purchase_order"]);
        assert!(
            c.message
                .contains("purchase_order is empty but the page says \"Your order ref. ORD-5123\""),
            "{}",
            c.message
        );
        // A real scan's block of labels (held-out `gw5151`, inv-5151-0017): each label
        // stands a little apart from its value, and no pair is made of them.
        let block = scanned(&[
            ("Document", 0.95, [1033, 1008, 1177, 1030], 2),
            ("no.", 0.95, [1186, 1014, 1227, 1030], 2),
            ("2378431", 0.97, [1295, 1008, 1407, 1030], 2),
            ("Invoice", 0.97, [1033, 1058, 1134, 1081], 3),
            ("date", 0.97, [1144, 1058, 1203, 1081], 3),
            ("2023-03-18", 0.97, [1295, 1059, 1447, 1081], 3),
            ("Pay", 0.97, [1033, 1110, 1085, 1139], 4),
            ("by", 0.96, [1094, 1109, 1128, 1139], 4),
            ("2023-04-07", 0.96, [1295, 1110, 1447, 1132], 4),
            ("Your", 0.95, [1033, 1161, 1101, 1183], 5),
            ("order", 0.95, [1111, 1160, 1188, 1183], 5),
            ("ref.", 0.78, [1197, 1160, 1242, 1184], 5),
            ("ORD-5123", 0.85, [1295, 1161, 1439, 1183], 5),
        ]);
        let c = on_empty_invoice(&block).expect("contradicted");
        assert!(c.fields.contains(&"purchase_order".to_string()), "{c:?}");
        assert!(
            c.message
                .contains("purchase_order is empty but the page says \"Your order ref. ORD-5123\""),
            "{}",
            c.message
        );
        // An item row or an address line says nothing of the kind.
        for row in [
            "Freight 2 40.00",
            "Manchester M1 2AB",
            "Toner cartridge, black 2 841,00",
        ] {
            assert_eq!(
                on_empty_invoice(&lines(&[(900, &[(200, row)])])),
                None,
                "{row}"
            );
        }
    }

    #[test]
    fn a_date_beside_a_key_about_no_other_field_contradicts_an_empty_date() {
        // A label nobody listed, or one a dotted leader garbled: the date may be the
        // due date the extraction did not find.
        let l = lines(&[(300, &[(200, "Settle"), (330, "by:"), (900, "21.11.2025")])]);
        let c = on_empty_invoice(&l).expect("contradicted");
        assert!(c.fields.contains(&"due_date".to_string()), "{c:?}");
        assert!(
            c.message
                .contains("due_date is empty, and the page has the date \"21.11.2025\" beside"),
            "{}",
            c.message
        );
        // Beside another field's label it is that field's business.
        let l = lines(&[(300, &[(200, "Order"), (330, "no.:"), (900, "21.11.2025")])]);
        assert_eq!(on_empty_invoice(&l), None);
    }

    #[test]
    fn a_label_beside_its_value_without_a_colon_contradicts_too() {
        let l = lines(&[(300, &[(200, "Order confirmed as"), (1400, "PO-88812")])]);
        let c = on_empty_invoice(&l).expect("contradicted");
        assert_eq!(c.fields, ["purchase_order"]);
        assert!(
            c.message.contains("\"Order confirmed as PO-88812\""),
            "{}",
            c.message
        );
    }

    #[test]
    fn a_german_label_variant_is_matched_by_its_stem() {
        let l = lines(&[(
            300,
            &[(200, "Ihre"), (330, "Bestellnr.:"), (560, "4500012345")],
        )]);
        let c = on_empty_invoice(&l).expect("contradicted");
        assert_eq!(c.fields, ["purchase_order"]);
    }

    #[test]
    fn the_word_for_number_in_another_language_says_nothing_of_the_field() {
        // The Italian label "numero ordine" is "ordine" once "numero" is dropped, as
        // "number" is from "order number": a key "Rif. ordine" holds it.
        let l = lines(&[(300, &[(200, "Rif."), (290, "ordine"), (900, "4500025300")])]);
        let c = on_empty_invoice(&l).expect("contradicted");
        assert_eq!(c.fields, ["purchase_order"]);
    }

    #[test]
    fn the_buyers_reference_in_a_header_grid_contradicts_an_empty_order() {
        // One row of headings over one row of values: a key/value grid, not a table.
        let l = lines(&[
            (
                300,
                &[
                    (200, "COD. CLIENTE"),
                    (700, "VS. RIFERIMENTO"),
                    (1200, "DATA"),
                    (1700, "PAGAMENTO"),
                ],
            ),
            (
                360,
                &[
                    (200, "C-20417"),
                    (700, "4500071236"),
                    (1200, "16/11/2026"),
                    (1700, "30 gg"),
                ],
            ),
            (900, &[(200, "Grazie per il vostro ordine")]),
        ]);
        let c = on_empty_invoice(&l).expect("contradicted");
        assert_eq!(c.fields[0], "purchase_order", "{}", c.message);
        assert!(
            c.message.contains("\"VS. RIFERIMENTO 4500071236\""),
            "{}",
            c.message
        );
    }

    #[test]
    fn a_bare_reference_or_a_reference_to_a_person_says_nothing_of_the_order() {
        // Without the possessive a reference is as often the payment's; a reference
        // that is a person's name is no order number.
        for row in [
            &[(200, "Reference:"), (560, "RF18539007547034")][..],
            &[(200, "Your"), (300, "reference:"), (560, "Mette Hansen")][..],
        ] {
            let l = lines(&[(300, row)]);
            let c = on_empty_invoice(&l);
            assert!(c.is_none(), "{c:?}");
        }
        let l = lines(&[(
            300,
            &[(200, "Your"), (300, "reference:"), (560, "PO-77120")],
        )]);
        let c = on_empty_invoice(&l).expect("contradicted");
        assert_eq!(c.fields, ["purchase_order"]);
    }

    #[test]
    fn a_value_that_was_read_claims_its_pair() {
        let l = your_order_ref();
        let mut f = IndexedFields::default();
        // Read, whatever field it went to: its words are claimed.
        f.set(
            "payment_reference",
            Some(Field {
                value: "PO-88812".into(),
                confidence: 0.9,
                raw: "PO-88812".into(),
                page: 1,
                bbox: Some(l[0].words[3].bbox),
                origin: Origin::Ocr,
                reasons: Vec::new(),
            }),
        );
        assert_eq!(check(&l, &f, &builtin_type("invoice"), &[]), None);
    }

    #[test]
    fn pages_with_nothing_of_the_kind_pass() {
        let l = lines(&[
            (
                300,
                &[
                    (200, "Thank"),
                    (330, "you"),
                    (420, "for"),
                    (500, "your"),
                    (600, "order."),
                ],
            ),
            // A date is not a purchase order, whatever its key.
            (360, &[(200, "Order"), (300, "date:"), (420, "05.03.2024")]),
            (420, &[(200, "Our"), (300, "ref.:"), (420, "John")]),
            (480, &[(200, "Phone:"), (420, "+45"), (480, "12345678")]),
        ]);
        assert_eq!(on_empty_invoice(&l), None);
    }

    #[test]
    fn several_pairs_on_one_row_are_read_one_after_the_other() {
        // A row "Fakturanr.: 2024-118 Your order ref.: PO-88812" in one segment once
        // ran the key's start past the colon and underflowed.
        let l = lines(&[(
            300,
            &[(200, "Fakturanr.: 2024-118 Your order ref.: PO-88812")],
        )]);
        let c = on_empty_invoice(&l).expect("contradicted");
        assert!(c.fields.contains(&"purchase_order".to_string()), "{c:?}");
    }

    #[test]
    fn fields_already_named_unreadable_are_left_to_that_check() {
        let l = your_order_ref();
        let unread = vec!["purchase_order".to_string()];
        assert_eq!(
            check(
                &l,
                &IndexedFields::default(),
                &builtin_type("invoice"),
                &unread
            ),
            None
        );
    }
}
