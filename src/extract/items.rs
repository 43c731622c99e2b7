//! Line items: the rows of goods or services above a document's totals.
//!
//! Pure, over the page's rebuilt lines. The item list is the run of lines directly
//! above the first line that carries a totals label (`SUBTOTAL`, `TOTAL`, `I alt`):
//! walking up from it, every line must be an item row, or part of one, until a line
//! that is not (a column header, the date and till line, a rule above items). The
//! printed shapes it reads:
//!
//! ```text
//! COFFEE LATTE                3.39      description, amount
//! 3 x HAM SANDWICH           11.70      quantity prefix
//! BLÅBÆRMUFFIN               54,00      amount, then quantity and unit price below
//!   3 x 18,00
//! PASTA 500 G                           description, then quantity, unit and amount
//!   2 @ 16,00                32,00
//! Printerservice   2   818,00   1.636,00   invoice columns: quantity, unit price
//! ```
//!
//! Whether the rows were read right is for the caller to judge against the printed
//! totals ([`sum`]): OCR that drops a row or misreads an amount shows there.

use std::sync::LazyLock;

use regex::Regex;
use rust_decimal::Decimal;

use crate::text::layout::{LWord, Line};
use crate::values;

/// One item as read, before it is judged.
#[derive(Debug, Clone)]
pub struct Item {
    pub description: String,
    pub quantity: Option<Decimal>,
    pub unit_price: Option<Decimal>,
    pub amount: Decimal,
    /// The words it was read from (description, quantity, prices).
    pub words: Vec<LWord>,
}

impl Item {
    /// Quantity × unit price = amount, when both are printed.
    pub fn multiplies(&self) -> Option<bool> {
        let (q, u) = (self.quantity?, self.unit_price?);
        Some(((q * u).round_dp(2) - self.amount).abs() <= Decimal::new(1, 2))
    }
}

/// What one line is, for the item list.
#[derive(Debug, Clone)]
enum Row {
    /// Text and an amount at the right: an item on one line.
    Item(Item),
    /// "3 x 18,00" alone: quantity and unit price of the item above.
    QtyUnit(Decimal, Decimal, Vec<LWord>),
    /// "2 @ 16,00   32,00": quantity, unit price and amount of the text above.
    QtyUnitAmount(Decimal, Decimal, Decimal, Vec<LWord>),
    /// Text without an amount: a description when a `QtyUnitAmount` follows.
    Text(Vec<LWord>),
    /// "=====" or "-----": skipped below the items, ends them above.
    Rule,
    Other,
}

/// "3 x 18,00", "2 @ 9.50", "4x35,95"; "2 9.50" too, since the layout drops a lone "@"
/// as a speck.
static QTY_UNIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{1,4})(?:\s*[xX×@*:]+\s*|\s+)(-?\d[\d.,']*\d)$").expect("valid regex")
});
/// "3 x HAM SANDWICH".
static QTY_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{1,4})\s*[xX×]\s+(.*\p{L}.*)$").expect("valid regex"));

fn join(words: &[LWord]) -> String {
    words
        .iter()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn letters(s: &str) -> usize {
    s.chars().filter(|c| c.is_alphabetic()).count()
}

/// An amount with its minor unit ("1.636,00", "3.39", "-5,00"), the whole token.
fn money_token(text: &str) -> Option<Decimal> {
    // Quotes, degree signs and bars are OCR's reading of table shading and rules.
    let t = text
        .trim_end_matches(['*', ':', '€', '"', '”', '|'])
        .trim_start_matches(['£', '$', '€', '¥', '"', '“', '”', '„', '°', '~', '|']);
    if !t.chars().any(|c| c.is_ascii_digit())
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-' | '\''))
    {
        return None;
    }
    let minor = t.len() >= 3 && {
        let b = t.as_bytes();
        let sep = b[t.len() - 3];
        (sep == b'.' || sep == b',') && b[t.len() - 2..].iter().all(u8::is_ascii_digit)
    };
    if !minor {
        return None;
    }
    let found = values::parse_money(t)?;
    (found.start == 0 && found.end >= t.len()).then_some(found.value.amount)
}

/// A quantity column: a whole number ("2", "12") or a decimal one ("1,5", "37.50").
fn number_token(text: &str) -> Option<Decimal> {
    if !text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | ','))
    {
        return None;
    }
    let found = values::find_number(text, false)?;
    (found.start == 0 && found.end == text.len()).then_some(found.value)
}

/// A number in a column of an item row: its value, and whether it was printed with
/// a minor unit (`818,00`: a price) or not (`2`: a count).
#[derive(Debug, Clone, Copy)]
struct Number {
    value: Decimal,
    money: bool,
}

fn column_number(text: &str) -> Option<Number> {
    money_token(text)
        .map(|value| Number { value, money: true })
        .or_else(|| {
            number_token(text).map(|value| Number {
                value,
                money: false,
            })
        })
}

/// A VAT rate printed in its own column of an item row: "25%", "25,5 %", "7%".
fn is_rate(text: &str) -> bool {
    static RATE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\d{1,2}(?:[.,]\d{1,2})?\s?%$").expect("valid regex"));
    RATE.is_match(text)
}

/// A word of up to three letters, standing apart: a unit of measure or a speck of
/// shading read as letters.
fn is_short_word(text: &str) -> bool {
    let t = text.trim_end_matches('.');
    (1..=3).contains(&t.chars().count()) && t.chars().all(char::is_alphabetic)
}

fn times(q: Decimal, u: Decimal, amount: Decimal) -> bool {
    ((q * u).round_dp(2) - amount).abs() <= Decimal::new(1, 2)
}

/// The quantity and unit price among a row's column numbers whose product is the
/// row's amount, in whatever order the layout prints them: the unit price is the one
/// with a minor unit when only one has it, else the later one. The numbers right of
/// the description are preferred to those left of it (a position number).
fn multiplied(
    leading: &[Number],
    trailing: &[Number],
    amount: Decimal,
) -> Option<(Option<Decimal>, Option<Decimal>)> {
    let all: Vec<(usize, Number)> = leading
        .iter()
        .chain(trailing)
        .copied()
        .enumerate()
        .collect();
    let mut best: Option<((usize, usize), (usize, usize))> = None;
    for &(i, a) in &all {
        for &(j, b) in &all {
            if i >= j || !times(a.value, b.value, amount) || a.value.is_zero() {
                continue;
            }
            // (quantity, unit price): the priced one is the unit price.
            let (q, u) = match (a.money, b.money) {
                (true, false) => (j, i),
                _ => (i, j),
            };
            // Rank: both right of the description first, then the nearer the amount.
            let right = usize::from(i >= leading.len()) + usize::from(j >= leading.len());
            let rank = (right, i + j);
            if best.is_none_or(|(r, _)| rank > r) {
                best = Some((rank, (q, u)));
            }
        }
    }
    let (_, (q, u)) = best?;
    Some((Some(all[q].1.value), Some(all[u].1.value)))
}

/// Without a product that gives the amount: up to two numbers right of the
/// description are the quantity and the unit price in that order (one priced number
/// alone is the unit price); a leading number is the quantity when it multiplies out
/// with that unit price, else a position.
fn printed_order(
    leading: &[Number],
    trailing: &[Number],
    amount: Decimal,
) -> (Option<Decimal>, Option<Decimal>) {
    let last_two = &trailing[trailing.len().saturating_sub(2)..];
    let (quantity, unit_price) = match last_two {
        [q, u] => (Some(q.value), Some(u.value)),
        [u] if u.money => (None, Some(u.value)),
        [q] => (Some(q.value), None),
        _ => (None, None),
    };
    match (quantity, unit_price, leading.last()) {
        (None, Some(u), Some(n)) if times(n.value, u, amount) => (Some(n.value), Some(u)),
        _ => (quantity, unit_price),
    }
}

/// The amount at the right end of the line and the words before it. A trailing
/// currency code, a one-letter tax class or a VAT rate ("2.99 A", "1.636,00 DKK",
/// "423,32 22%") may follow it.
fn split_amount(line: &Line) -> Option<(Decimal, usize)> {
    let n = line.words.len();
    let tail = |t: &str| {
        values::currency_code(t).is_some() && letters(t) >= 2
            || t.chars().count() == 1 && t.chars().all(char::is_alphabetic)
            || is_rate(t)
    };
    let end = match line.words.last() {
        Some(w) if n >= 2 && tail(&w.text) => n - 1,
        _ => n,
    };
    let amount = money_token(&line.words.get(end.checked_sub(1)?)?.text)?;
    Some((amount, end - 1))
}

/// "9 732,00" is one amount printed with a space between thousands: a group of one to
/// three digits glued (same column) to a group of three digits is joined. So is an
/// amount OCR split after its decimal separator ("388, 00").
fn join_thousands(line: &Line) -> Line {
    static GROUP: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\d{3}(?:[.,]\d{2})?$").expect("valid regex"));
    static LEAD: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^-?\d{1,3}$").expect("valid regex"));
    static BEFORE_CENTS: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^-?\d[\d.,']*[.,]$").expect("valid regex"));
    static CENTS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\d{2}$").expect("valid regex"));
    let joins = |a: &str, b: &str| {
        LEAD.is_match(a) && GROUP.is_match(b) || BEFORE_CENTS.is_match(a) && CENTS.is_match(b)
    };
    let mut out = Line {
        words: Vec::with_capacity(line.words.len()),
        segment: Vec::with_capacity(line.words.len()),
        ..line.clone()
    };
    for (w, &seg) in line.words.iter().zip(&line.segment) {
        out.words.push(w.clone());
        out.segment.push(seg);
        // "1 164, 00": the cents join first, then the thousands.
        while let [.., p, w] = out.words.as_slice() {
            let n = out.segment.len();
            if out.segment[n - 2] != out.segment[n - 1] || !joins(&p.text, &w.text) {
                break;
            }
            let w = out.words.pop().expect("two words");
            out.segment.pop();
            let p = out.words.last_mut().expect("two words");
            p.text.push_str(&w.text);
            p.norm = crate::config::doctype::normalize_token(&p.text);
            p.bbox = [
                p.bbox[0],
                p.bbox[1].min(w.bbox[1]),
                w.bbox[2],
                p.bbox[3].max(w.bbox[3]),
            ];
            p.conf = p.conf.min(w.conf);
        }
    }
    out
}

/// The line without specks: words with no letter or digit ("|", "~", "-"), which
/// OCR reads from table rules and shading between the columns.
fn without_specks(line: &Line) -> Line {
    let keep: Vec<bool> = line
        .words
        .iter()
        .map(|w| w.text.chars().any(char::is_alphanumeric))
        .collect();
    fn pick<T: Clone>(v: &[T], keep: &[bool]) -> Vec<T> {
        v.iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|(x, _)| x.clone())
            .collect()
    }
    Line {
        words: pick(&line.words, &keep),
        segment: pick(&line.segment, &keep),
        ..line.clone()
    }
}

fn row(line: &Line) -> Row {
    let text = join(&line.words);
    let alnum = text.chars().filter(|c| c.is_alphanumeric()).count();
    if alnum * 3 < text.chars().count() {
        return Row::Rule;
    }
    let line = &join_thousands(&without_specks(line));
    let text = join(&line.words);
    if let Some(c) = QTY_UNIT.captures(&text) {
        if let (Ok(q), Some(u)) = (c[1].parse::<Decimal>(), money_token(&c[2])) {
            return Row::QtyUnit(q, u, line.words.clone());
        }
    }
    let Some((amount, left_end)) = split_amount(line) else {
        return if letters(&text) >= 2 {
            Row::Text(line.words.clone())
        } else {
            Row::Other
        };
    };
    let left = &line.words[..left_end];
    let left_text = join(left);
    if let Some(c) = QTY_UNIT.captures(&left_text) {
        if let (Ok(q), Some(u)) = (c[1].parse::<Decimal>(), money_token(&c[2])) {
            return Row::QtyUnitAmount(q, u, amount, line.words.clone());
        }
    }
    if letters(&left_text) < 2 {
        return Row::Other;
    }
    if let Some(c) = QTY_PREFIX.captures(&left_text) {
        if let Ok(q) = c[1].parse::<Decimal>() {
            return Row::Item(Item {
                description: c[2].trim().to_string(),
                quantity: Some(q),
                unit_price: None,
                amount,
                words: line.words.clone(),
            });
        }
    }
    // Invoice columns: numbers in columns of their own left and right of the
    // description (a position, the quantity, the unit price), and VAT rates ("25%"),
    // which are no part of the description. A column starts after a wide gap: a number right of the description is apart
    // from the word before it, one left of it from the word after it.
    let apart_before = |i: usize| i > 0 && line.segment[i] != line.segment[i - 1];
    let apart_after = |i: usize| i + 1 < left.len() && line.segment[i] != line.segment[i + 1];
    let mut desc_end = left.len();
    let mut trailing: Vec<Number> = Vec::new();
    let mut i = left.len();
    while i > 1 && trailing.len() < 3 {
        i -= 1;
        let w = &left[i].text;
        if is_rate(w) {
            desc_end = i;
            continue;
        }
        match column_number(w) {
            Some(n) if apart_before(i) => {
                trailing.push(n);
                desc_end = i;
            }
            // A unit column ("stk", "h") or shading read as letters ("ee"): passed
            // over, and no part of the description when a number is found left of it.
            None if apart_before(i) && is_short_word(w) => {}
            _ => break,
        }
    }
    trailing.reverse();
    let mut desc_start = 0;
    let mut leading: Vec<Number> = Vec::new();
    while desc_start + 1 < desc_end && leading.len() < 2 && apart_after(desc_start) {
        let t = left[desc_start].text.trim_end_matches('.');
        match t.len() <= 4 {
            true => match column_number(t) {
                Some(n) => leading.push(n),
                None => break,
            },
            false => break,
        }
        desc_start += 1;
    }
    let description = join(&left[desc_start..desc_end]);
    if letters(&description) < 2 {
        return Row::Other;
    }
    let (quantity, unit_price) = match multiplied(&leading, &trailing, amount) {
        Some(found) => found,
        None => printed_order(&leading, &trailing, amount),
    };
    Row::Item(Item {
        description,
        quantity,
        unit_price,
        amount,
        words: line.words.clone(),
    })
}

/// The items printed directly above `lines[end]` (a totals line), top to bottom, up
/// to a line `is_totals` names (a tax or subtotal line is never an item). Empty when
/// the line above is no item.
pub fn above(lines: &[Line], end: usize, is_totals: impl Fn(usize) -> bool) -> Vec<Item> {
    let page = lines[end].page;
    let mut rows: Vec<Row> = Vec::new();
    let mut i = end;
    while i > 0 {
        i -= 1;
        if lines[i].page != page || is_totals(i) {
            break;
        }
        let r = row(&lines[i]);
        match &r {
            Row::Rule if rows.is_empty() => continue,
            Row::Item(_) | Row::QtyUnit(..) | Row::QtyUnitAmount(..) => rows.push(r),
            // A description belongs to the quantity line under it; anything else
            // (a column header, "Bon 47525 Kasse 8") is above the items.
            Row::Text(_) if matches!(rows.last(), Some(Row::QtyUnitAmount(..))) => rows.push(r),
            _ => break,
        }
    }
    rows.reverse();
    let mut items: Vec<Item> = Vec::new();
    let mut pending: Option<Vec<LWord>> = None;
    for r in rows {
        match r {
            Row::Item(it) => items.push(it),
            Row::Text(words) => pending = Some(words),
            Row::QtyUnitAmount(q, u, amount, words) => match pending.take() {
                Some(mut desc) => {
                    let description = join(&desc);
                    desc.extend(words);
                    items.push(Item {
                        description,
                        quantity: Some(q),
                        unit_price: Some(u),
                        amount,
                        words: desc,
                    });
                }
                // The description was above the page's first line: not an item read.
                None => continue,
            },
            Row::QtyUnit(q, u, words) => {
                if let Some(it) = items.last_mut() {
                    if it.quantity.is_none() || it.quantity == Some(q) {
                        it.quantity = Some(q);
                        it.unit_price = Some(u);
                        it.words.extend(words);
                    }
                }
            }
            Row::Rule | Row::Other => {}
        }
    }
    items
}

/// The items' amounts added up.
pub fn sum(items: &[Item]) -> Decimal {
    items.iter().map(|i| i.amount).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::layout;
    use crate::text::{Page, Word};

    /// A page from text lines: words at a fixed pitch, a wide gap where the text has
    /// three spaces or more, so columns come out as segments.
    fn page(text: &str) -> Vec<Line> {
        let mut words = Vec::new();
        for (n, l) in text.lines().enumerate() {
            let y = 100 + n as u32 * 40;
            let mut col = 0u32;
            for piece in l.split_inclusive(' ') {
                let w = piece.trim();
                if !w.is_empty() {
                    let x = 50 + col * 20;
                    words.push(Word {
                        text: w.to_string(),
                        conf: 0.93,
                        bbox: [x, y, x + w.chars().count() as u32 * 20 - 4, y + 28],
                        line: n as u32 + 1,
                    });
                }
                col += piece.chars().count() as u32;
            }
        }
        let page = Page {
            number: 1,
            width: 2000,
            height: 3000,
            words,
            origin: crate::document::Origin::Ocr,
            transform: Default::default(),
            codes: Vec::new(),
            marks: Vec::new(),
        };
        layout::lines(&page)
    }

    fn end_of(lines: &[Line], label: &str) -> usize {
        lines
            .iter()
            .position(|l| l.words[0].text == label)
            .expect("totals line")
    }

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn receipt_rows_in_every_printed_shape() {
        let lines = page(
            "TORVE KAFFEBAR\n\
             2025-04-07 18:27\n\
             Bon 47525     Kasse 8\n\
             ==========================\n\
             SANDWICH M. SKINKE           31,00\n\
             BLÅBÆRMUFFIN                 54,00\n\
             \x20 3 x 18,00\n\
             3 x KILDEVAND 0,5 L          27,00\n\
             PASTA 500 G\n\
             \x20 2 @ 16,00                  32,00\n\
             BÆREPOSE                     £1,00 A\n\
             ==========================\n\
             SUBTOTAL                    145,00\n\
             TOTAL DKK                   145,00",
        );
        let items = above(&lines, end_of(&lines, "SUBTOTAL"), |_| false);
        let got: Vec<(&str, Option<Decimal>, Option<Decimal>, Decimal)> = items
            .iter()
            .map(|i| (i.description.as_str(), i.quantity, i.unit_price, i.amount))
            .collect();
        assert_eq!(
            got,
            vec![
                ("SANDWICH M. SKINKE", None, None, d("31.00")),
                ("BLÅBÆRMUFFIN", Some(d("3")), Some(d("18.00")), d("54.00")),
                ("KILDEVAND 0,5 L", Some(d("3")), None, d("27.00")),
                ("PASTA 500 G", Some(d("2")), Some(d("16.00")), d("32.00")),
                ("BÆREPOSE", None, None, d("1.00")),
            ]
        );
        assert_eq!(sum(&items), d("145.00"));
        assert_eq!(items[1].multiplies(), Some(true));
        assert_eq!(items[0].multiplies(), None);
    }

    #[test]
    fn invoice_columns_give_quantity_and_unit_price_and_the_header_ends_the_list() {
        let lines = page(
            "Varetekst                    Stk.    Enhedspris       I alt\n\
             1   Printerservice              2        818,00    1 636,00\n\
             Rengøring af kontor, måned      2      2.238,00    4.476,00\n\
             Toner 12                                 99,50       99,50\n\
             Beløb ekskl. moms                                  6.211,50",
        );
        let items = above(&lines, end_of(&lines, "Beløb"), |_| false);
        assert_eq!(items.len(), 3, "{items:?}");
        assert_eq!(items[0].description, "Printerservice");
        assert_eq!(
            (items[0].quantity, items[0].unit_price),
            (Some(d("2")), Some(d("818.00")))
        );
        assert_eq!(items[1].amount, d("4476.00"));
        assert_eq!(items[1].multiplies(), Some(true));
        // A number inside the description is not a column.
        assert_eq!(items[2].description, "Toner 12");
        assert_eq!(items[2].unit_price, Some(d("99.50")));
        assert_eq!(items[2].quantity, None);
    }

    #[test]
    fn a_leading_number_is_the_quantity_when_it_multiplies_out() {
        let lines = page(
            "Qty   Description               Unit       Amount\n\
             3     Toner cartridge          85.00       255.00\n\
             Subtotal                                   255.00",
        );
        let items = above(&lines, end_of(&lines, "Subtotal"), |_| false);
        assert_eq!(items.len(), 1, "{items:?}");
        assert_eq!(items[0].description, "Toner cartridge");
        assert_eq!(items[0].quantity, Some(d("3")));
        assert_eq!(items[0].multiplies(), Some(true));
    }

    fn rows(text: &str, totals: &str) -> Vec<(String, Option<Decimal>, Option<Decimal>, Decimal)> {
        let lines = page(text);
        above(&lines, end_of(&lines, totals), |_| false)
            .into_iter()
            .map(|i| (i.description, i.quantity, i.unit_price, i.amount))
            .collect()
    }

    /// Layouts print the columns in every order, with a position number or a VAT rate
    /// column, and OCR splits an amount after its decimal comma: the quantity and the
    /// unit price are the two numbers whose product is the amount.
    #[test]
    fn the_columns_are_found_by_what_multiplies_out_in_any_order() {
        let item =
            |s: &str, q: &str, u: &str, a: &str| (s.to_string(), Some(d(q)), Some(d(u)), d(a));
        assert_eq!(
            rows(
                "Linje   Antall   Varetekst                 Enhetspris      Beløp\n\
                 1   5   Programvarelisens, årlig      1 743,00     8 715,00\n\
                 3   3.   Skrivebordslampe LED           388, 00     1 164,00\n\
                 Sum eks. mva                                           9 879,00",
                "Sum"
            ),
            vec![
                item("Programvarelisens, årlig", "5", "1743.00", "8715.00"),
                item("Skrivebordslampe LED", "3", "388.00", "1164.00"),
            ]
        );
        assert_eq!(
            rows(
                "Beschreibung                 Einzelpreis   Menge    Betrag\n\
                 Druckerwartung                 77,00     2     154,00\n\
                 Monitor 27 pollici     2     22%     211,66     423,32\n\
                 Limpieza de oficina, mes     524,24     2     21%     1 048,48\n\
                 Kawa ziarnista 1 kg     1     82,90     82,90     8%\n\
                 Summe netto                                        1 708,56",
                "Summe"
            ),
            vec![
                item("Druckerwartung", "2", "77.00", "154.00"),
                item("Monitor 27 pollici", "2", "211.66", "423.32"),
                item("Limpieza de oficina, mes", "2", "524.24", "1048.48"),
                item("Kawa ziarnista 1 kg", "1", "82.90", "82.90"),
            ]
        );
    }

    #[test]
    fn a_tax_line_above_the_total_is_no_item() {
        let lines = page(
            "WATER 0.5L                    0.85\n\
             SUB TOTAL                     52603\n\
             TAX 6%                        $1.57\n\
             TOTAL                        $27.70",
        );
        let tax = end_of(&lines, "TAX");
        let items = above(&lines, end_of(&lines, "TOTAL"), |i| i == tax);
        assert!(items.is_empty(), "{items:?}");
        assert!(above(&lines, tax, |i| i == tax).is_empty());
    }

    #[test]
    fn no_items_when_the_line_above_the_totals_is_none() {
        let lines = page(
            "Fakturanr.   F-82088\n\
             Dato         2026-05-06\n\
             I alt        7.640,00 DKK",
        );
        assert!(above(&lines, end_of(&lines, "I"), |_| false).is_empty());
    }

    #[test]
    fn a_quantity_line_without_its_description_is_not_an_item() {
        let lines = page(
            "2025-04-07 18:27\n\
             \x20 2 @ 16,00                  32,00\n\
             TOTAL                        32,00",
        );
        assert!(above(&lines, end_of(&lines, "TOTAL"), |_| false).is_empty());
    }
}
