//! Money: amounts in either decimal convention with their currency, and ISO 4217
//! codes from the symbols and words printed beside them.

use std::str::FromStr;
use std::sync::LazyLock;

use regex::Regex;
use rust_decimal::{Decimal, RoundingStrategy};

use super::scan::{glued_after, glued_before, next_char, overlaps, prev_char, HS};
use super::Found;
use super::{find_dates, find_iban, DateOrder};

/// An amount with its currency, if one was written next to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    pub amount: Decimal,
    pub currency: Option<&'static str>,
}

/// ISO 4217 codes recognised in text (upper case only there, so the Danish
/// word "nok" is not a currency) and by [`currency_code`] (any case).
const ISO_CODES: &[&str] = &[
    "DKK", "EUR", "SEK", "NOK", "GBP", "USD", "CHF", "JPY", "ISK", "KRW", "PLN", "CZK", "HUF",
    "RON", "BGN", "CAD", "AUD", "NZD", "CNY", "INR", "ZAR", "TRY", "HKD", "SGD", "MXN", "BRL",
];

/// Currency words and symbols other than ISO codes, lower case.
const CURRENCY_ALIASES: &[(&str, &str)] = &[
    ("€", "EUR"),
    ("euro", "EUR"),
    ("euros", "EUR"),
    // Danish-first product: a bare "kr." is Danish kroner, not SEK/NOK.
    ("kr", "DKK"),
    ("kr.", "DKK"),
    ("kroner", "DKK"),
    ("dkr", "DKK"),
    ("dkr.", "DKK"),
    ("skr", "SEK"),
    ("skr.", "SEK"),
    ("nkr", "NOK"),
    ("nkr.", "NOK"),
    ("£", "GBP"),
    ("$", "USD"),
    ("us$", "USD"),
    ("c$", "CAD"),
    ("a$", "AUD"),
    ("fr.", "CHF"),
    ("sfr", "CHF"),
    ("sfr.", "CHF"),
    ("¥", "JPY"),
    ("yen", "JPY"),
    ("₩", "KRW"),
];

/// Currency tokens recognised next to an amount in running text.
fn currency_pattern() -> String {
    format!(
        r"(?:US\$|C\$|A\$|€|£|\$|¥|₩|(?i:kroner)|(?i:dkr|skr|nkr|sfr|kr)\.?|Fr\.|{})",
        ISO_CODES.join("|")
    )
}

/// The number itself: grouped thousands (`1.234.567`, `1 234`, `1'234`) or a
/// plain digit run, then an optional 1–2 digit decimal part or a `,-`/`.-`.
static RE_AMOUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:[0-9]{1,3}(?:[.,'’\u{A0}\u{202F} ][0-9]{3})+|[0-9]+)(?:[.,][0-9]{1,2}|, [0-9]{2}|[.,]-)?")
        .expect("valid regex")
});

/// What may stand right before an amount: `(`, a sign, a currency, a sign.
/// Groups: 1 open paren, 2 sign before currency, 3 currency, 4 sign.
static RE_MONEY_LEFT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?:(\(){HS}?)?([-−–])?(?:({cur}){HS}{{0,2}})?([-−–])?\z",
        cur = currency_pattern()
    ))
    .expect("valid regex")
});

static RE_MONEY_RIGHT_CUR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"\A{HS}{{0,2}}({cur})", cur = currency_pattern())).expect("valid regex")
});

static RE_PERCENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"\A{HS}{{0,2}}(?:%|‰)")).expect("valid regex"));

static RE_CLOSE_PAREN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"\A{HS}?\)")).expect("valid regex"));

/// OCR repairs for amounts: `O`/`o`→`0` inside a number-ish token (digits,
/// `.,'`) when the token's only letters are O's or the O touches a digit;
/// `S`→`5` only between two digits. ASCII for ASCII, offsets unchanged.
fn fix_money_ocr(text: &str) -> String {
    let is_tok = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b',' | b'\'');
    let mut b = text.as_bytes().to_vec();
    let mut i = 0;
    while i < b.len() {
        if !is_tok(b[i]) {
            i += 1;
            continue;
        }
        let s = i;
        while i < b.len() && is_tok(b[i]) {
            i += 1;
        }
        if !b[s..i].iter().any(u8::is_ascii_digit) {
            continue;
        }
        let all_o = b[s..i]
            .iter()
            .all(|c| !c.is_ascii_alphabetic() || matches!(c, b'O' | b'o'));
        loop {
            let mut changed = false;
            for k in s..i {
                let prev_digit = k > s && b[k - 1].is_ascii_digit();
                let next_digit = k + 1 < i && b[k + 1].is_ascii_digit();
                let repl = match b[k] {
                    b'O' | b'o' if all_o || prev_digit || next_digit => b'0',
                    b'S' if prev_digit && next_digit => b'5',
                    _ => continue,
                };
                b[k] = repl;
                changed = true;
            }
            if !changed {
                break;
            }
        }
    }
    String::from_utf8(b).expect("ASCII-for-ASCII substitutions keep UTF-8 valid")
}

/// Reads the number matched by [`RE_AMOUNT`]. Returns the amount (scale 2) and
/// whether a decimal part (or `,-`) was written.
fn interpret_amount(core: &str) -> Option<(Decimal, bool)> {
    let (body, dash) = match core.strip_suffix(",-").or_else(|| core.strip_suffix(".-")) {
        Some(b) => (b, true),
        None => (core, false),
    };
    // OCR's space after a decimal comma (`1204, 22`): the regex takes it only before
    // exactly two last digits.
    let closed;
    let body = match body.rfind(", ") {
        Some(i) if body.len() - i == 4 => {
            closed = format!("{},{}", &body[..i], &body[i + 2..]);
            closed.as_str()
        }
        _ => body,
    };
    // The last `.`/`,` followed by exactly 1–2 digits at the end is the
    // decimal separator; every other separator groups thousands (the regex
    // guarantees 3-digit groups, so `1.234` is 1234).
    let last_sep = body.char_indices().rfind(|(_, c)| !c.is_ascii_digit());
    let (int_part, frac) = match last_sep {
        Some((i, '.' | ',')) if (1..=2).contains(&(body.len() - i - 1)) => {
            (&body[..i], &body[i + 1..])
        }
        _ => (body, ""),
    };
    let mut thousands: Option<char> = None;
    let mut digits = String::with_capacity(int_part.len());
    for ch in int_part.chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
            continue;
        }
        let kind = match ch {
            '’' => '\'',
            '\u{A0}' | '\u{202F}' => ' ',
            other => other,
        };
        // Mixed grouping (`1.234,567`) is not a number.
        if thousands.is_some_and(|t| t != kind) {
            return None;
        }
        thousands = Some(kind);
    }
    // Zero-padded runs (`0040`) are account numbers, not amounts.
    if digits.len() > 1 && digits.starts_with('0') {
        return None;
    }
    let text = if frac.is_empty() {
        digits
    } else {
        format!("{digits}.{frac}")
    };
    let mut amount = Decimal::from_str(&text).ok()?.round_dp(2);
    amount.rescale(2);
    Some((amount, dash || !frac.is_empty()))
}

struct LeftCtx {
    /// Start of the whole money expression (paren, sign or currency).
    start: usize,
    /// Start without a leading `(` (used when no `)` closes it).
    inner_start: usize,
    open: bool,
    negative: bool,
    currency: Option<&'static str>,
}

/// Looks left of an amount starting at `s` (but not before `lo`, the end of
/// the previous amount). `None` when the amount is glued to a longer token.
fn money_left(fixed: &str, lo: usize, s: usize) -> Option<LeftCtx> {
    if let Some(c) = RE_MONEY_LEFT.captures(&fixed[lo..s]) {
        let m = c.get(0).expect("group 0");
        if !m.is_empty() {
            let start = lo + m.start();
            let currency = c.get(3).and_then(|g| currency_code(g.as_str()));
            let cur_ok = c.get(3).is_none() || currency.is_some();
            if cur_ok && !glued_before(fixed, start) {
                let inner_start = [2, 3, 4]
                    .iter()
                    .filter_map(|&i| c.get(i))
                    .map(|g| lo + g.start())
                    .min()
                    .unwrap_or(s);
                return Some(LeftCtx {
                    start,
                    inner_start,
                    open: c.get(1).is_some(),
                    negative: c.get(2).is_some() || c.get(4).is_some(),
                    currency,
                });
            }
        }
    }
    // Nothing usable on the left: the bare number must stand on its own
    // (`.50` is not 50, `#12345` is an id).
    if glued_before(fixed, s) || matches!(prev_char(fixed, s), Some('.' | ',' | '#')) {
        return None;
    }
    Some(LeftCtx {
        start: s,
        inner_start: s,
        open: false,
        negative: false,
        currency: None,
    })
}

/// Evaluates the amount `fixed[s..e]` with its surroundings.
fn money_at(fixed: &str, lo: usize, s: usize, e: usize) -> Option<(Found<Money>, bool)> {
    if RE_PERCENT.is_match(&fixed[e..]) {
        return None;
    }
    let (mut amount, has_decimals) = interpret_amount(&fixed[s..e])?;
    let left = money_left(fixed, lo, s)?;
    let mut negative = left.negative;
    let mut start = left.start;
    let mut end = e;

    // Trailing minus (`12.50-`), only when attached and not a range `12-15`.
    if let Some(c @ ('-' | '−')) = next_char(fixed, e) {
        let after = e + c.len_utf8();
        if !fixed[s..e].ends_with('-')
            && !next_char(fixed, after).is_some_and(char::is_alphanumeric)
        {
            negative = true;
            end = after;
        }
    }
    if left.open {
        match RE_CLOSE_PAREN.find(&fixed[end..]) {
            Some(m) => {
                negative = true;
                end += m.end();
            }
            None => start = left.inner_start,
        }
    }
    let mut currency = left.currency;
    if currency.is_none() {
        if let Some(c) = RE_MONEY_RIGHT_CUR.captures(&fixed[end..]) {
            let g = c.get(1).expect("group 1");
            let cur_end = end + g.end();
            let ends_in_letter = g.as_str().chars().last().is_some_and(char::is_alphanumeric);
            let glued =
                ends_in_letter && next_char(fixed, cur_end).is_some_and(char::is_alphanumeric);
            if !glued {
                if let Some(code) = currency_code(g.as_str()) {
                    currency = Some(code);
                    end = cur_end;
                }
            }
        }
    }
    if glued_after(fixed, end) {
        return None;
    }
    if negative {
        amount.set_sign_negative(true);
    }
    if amount.is_zero() {
        amount.set_sign_positive(true);
    }
    Some((
        Found {
            value: Money { amount, currency },
            start,
            end,
        },
        has_decimals,
    ))
}

fn find_money_detailed(text: &str) -> Vec<(Found<Money>, bool)> {
    let fixed = fix_money_ocr(text);
    let mut excluded: Vec<(usize, usize)> = Vec::new();
    for order in [DateOrder::Dmy, DateOrder::Mdy] {
        excluded.extend(find_dates(text, order).iter().map(|f| (f.start, f.end)));
    }
    if let Some(f) = find_iban(text) {
        excluded.push((f.start, f.end));
    }

    let mut out = Vec::new();
    let mut pos = 0;
    let mut last_end = 0;
    while pos < fixed.len() {
        let Some(m) = RE_AMOUNT.find_at(&fixed, pos) else {
            break;
        };
        let s = m.start();
        let mut e = m.end();
        // A space only groups thousands when exactly 3 digits follow: give back
        // space groups until the number no longer runs into more digits
        // (`1 2345` is 1 and 2345, not 12345).
        while next_char(&fixed, e).is_some_and(|c| c.is_ascii_digit()) {
            match fixed[s..e].rfind([' ', '\u{A0}', '\u{202F}']) {
                // Not `1204, 225`'s comma either: 1204 and 225.
                Some(i) => e = s + fixed[s..s + i].trim_end_matches(',').len(),
                None => break,
            }
        }
        pos = e;
        if overlaps(&excluded, s, e) {
            continue;
        }
        if let Some((found, dec)) = money_at(&fixed, last_end, s, e) {
            pos = found.end.max(e);
            last_end = found.end;
            out.push((found, dec));
        }
    }
    out
}

/// Parses the best amount in `text` (a field's value candidate).
///
/// Accepts `1,234.56`, `1.234,56`, `1 234,56`, `1'234.56`, `1234.56`,
/// `1234,56`, `1234`, `1.234,-`; negatives as `-12.50`, `12.50-` or
/// `(12.50)`; a currency before or after as an ISO code (`EUR`, `DKK`, ...) or
/// symbol (`€`, `£`, `$`, `kr.`, `Fr.`). The last `.`/`,` followed by exactly
/// 1–2 digits is the decimal separator; a single separator followed by 3
/// digits groups thousands (`1.234` = 1234). The amount always has scale 2.
/// "Best" = the first amount with a currency, else the first with a decimal
/// part, else the first.
///
/// Known failure modes:
/// * `kr`/`kr.` is always read as DKK (the product is Danish-first); SEK and
///   NOK need their ISO codes (or `skr`/`nkr`).
/// * Space-grouped thousands are ambiguous with two adjacent numbers:
///   `2 500,00` is 2500.00 even if it was "2 pcs, 500,00".
/// * `1.234` is always 1234, never 1.234 (3-decimal amounts are not read).
/// * Percentages, dates, IBAN groups, zero-padded numbers (`0042`), `#`-ids and numbers
///   glued to letters or chained with `-./:` (`INV-2024-0042`, `10:30`) are
///   not amounts; a sign separated from the number by a space is ignored.
/// * ISO codes are only recognised in upper case inside text.
pub fn parse_money(text: &str) -> Option<Found<Money>> {
    let mut best: Option<((bool, bool), Found<Money>)> = None;
    for (found, has_decimals) in find_money_detailed(text) {
        let key = (found.value.currency.is_some(), has_decimals);
        if best.as_ref().is_none_or(|(k, _)| key > *k) {
            best = Some((key, found));
        }
    }
    best.map(|(_, f)| f)
}

/// Finds every amount in a line, left to right, non-overlapping.
///
/// Same formats and failure modes as [`parse_money`]; bare numbers are
/// amounts too (with `currency: None`), so callers decide from labels and
/// currency which ones matter. `find_money("Moms 25% 308,63 kr.")` gives only
/// 308.63 DKK. When a currency token sits between two amounts it goes to the
/// one on its left.
pub fn find_money(text: &str) -> Vec<Found<Money>> {
    find_money_detailed(text)
        .into_iter()
        .map(|(f, _)| f)
        .collect()
}

/// Does the first amount in `text` have its decimal part written (`658, 81`,
/// `1.234,00`, `1.234,-`)? An identifier is a bare number; an amount with cents is not
/// one.
pub fn first_has_cents(text: &str) -> bool {
    find_money_detailed(text)
        .first()
        .is_some_and(|(_, cents)| *cents)
}

/// Maps a currency token to its ISO 4217 code.
///
/// Accepts ISO codes in any case (`eur`, `DKK`), symbols (`€`, `£`, `$`,
/// `US$`, `¥`) and words (`kr.`, `kroner`, `Fr.`, `euro`); surrounding
/// whitespace is ignored.
///
/// Known failure modes: `kr`/`kr.` is always DKK and `$` always USD; codes not
/// in the built-in list (mostly non-European currencies) give `None`.
pub fn currency_code(token: &str) -> Option<&'static str> {
    let t = token.trim();
    if t.is_empty() {
        return None;
    }
    let upper = t.to_uppercase();
    if let Some(code) = ISO_CODES.iter().find(|&&c| c == upper) {
        return Some(code);
    }
    let lower = t.to_lowercase();
    CURRENCY_ALIASES
        .iter()
        .find(|&&(a, _)| a == lower)
        .map(|&(_, code)| code)
}

/// Renders an amount as the normalised output string: `.` as decimal
/// separator, no thousands separator, 2 decimals (`"1234.50"`), or 0 decimals
/// for currencies without minor units (JPY, ISK, KRW).
///
/// `currency` may be an ISO code or any token [`currency_code`] knows.
/// Rounding is half away from zero; `-0.00` renders as `"0.00"`.
pub fn format_money(amount: Decimal, currency: Option<&str>) -> String {
    let dp = match currency.and_then(currency_code) {
        Some("JPY" | "ISK" | "KRW") => 0,
        _ => 2,
    };
    let mut a = amount.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    a.rescale(dp);
    if a.is_zero() {
        a.set_sign_positive(true);
    }
    a.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn money(text: &str) -> Option<(String, Option<&'static str>)> {
        parse_money(text).map(|f| (f.value.amount.to_string(), f.value.currency))
    }

    fn all_money(text: &str) -> Vec<(String, Option<&'static str>)> {
        find_money(text)
            .into_iter()
            .map(|f| (f.value.amount.to_string(), f.value.currency))
            .collect()
    }

    #[test]
    fn money_amount_formats() {
        let cases = [
            ("1,234.56", "1234.56"),
            ("1.234,56", "1234.56"),
            ("1 234,56", "1234.56"),
            ("1'234.56", "1234.56"),
            ("1’234.56", "1234.56"),
            ("1\u{A0}234,56", "1234.56"),
            ("1234.56", "1234.56"),
            ("1234,56", "1234.56"),
            ("1234", "1234.00"),
            ("-12.50", "-12.50"),
            ("12.50-", "-12.50"),
            ("(12.50)", "-12.50"),
            ("1.234", "1234.00"),
            ("1,234", "1234.00"),
            ("1.234,-", "1234.00"),
            ("100.-", "100.00"),
            ("1.234.567,89", "1234567.89"),
            ("1,234,567.89", "1234567.89"),
            ("12.5", "12.50"),
            ("0,50", "0.50"),
            ("10 000", "10000.00"),
            ("1.234.56", "1234.56"),
            // OCR's space after a decimal comma.
            ("1204, 22", "1204.22"),
            ("19145, 50", "19145.50"),
        ];
        for (t, want) in cases {
            let (amount, cur) = money(t).unwrap_or_else(|| panic!("{t} not parsed"));
            assert_eq!(amount, want, "{t}");
            assert_eq!(cur, None, "{t}");
        }
        // Always scale 2.
        assert_eq!(parse_money("1234").unwrap().value.amount.scale(), 2);
    }

    #[test]
    fn money_currencies() {
        let cases = [
            ("EUR 1.234,56", "1234.56", "EUR"),
            ("1.234,56 EUR", "1234.56", "EUR"),
            ("DKK 500,00", "500.00", "DKK"),
            ("SEK 99", "99.00", "SEK"),
            ("NOK 1 500,00", "1500.00", "NOK"),
            ("GBP 12.00", "12.00", "GBP"),
            ("USD 1,234.56", "1234.56", "USD"),
            ("CHF 1'234.50", "1234.50", "CHF"),
            ("€ 12,50", "12.50", "EUR"),
            ("€12,50", "12.50", "EUR"),
            ("12,50 €", "12.50", "EUR"),
            ("£1,234.56", "1234.56", "GBP"),
            ("$1,234.56", "1234.56", "USD"),
            ("US$ 10.00", "10.00", "USD"),
            ("308,63 kr.", "308.63", "DKK"),
            ("308,63 kr", "308.63", "DKK"),
            ("Kr. 308,63", "308.63", "DKK"),
            ("kr.308,63", "308.63", "DKK"),
            ("1.234,- kr.", "1234.00", "DKK"),
            ("Fr. 12.50", "12.50", "CHF"),
            ("DKK1.234,56", "1234.56", "DKK"),
            ("1.234,56DKK", "1234.56", "DKK"),
            ("-€12.50", "-12.50", "EUR"),
            ("€-12.50", "-12.50", "EUR"),
            ("EUR -12.50", "-12.50", "EUR"),
            ("(EUR 12.50)", "-12.50", "EUR"),
            ("12.50- EUR", "-12.50", "EUR"),
            ("¥1,234", "1234.00", "JPY"),
            ("500 kroner", "500.00", "DKK"),
        ];
        for (t, want, cur) in cases {
            let (amount, c) = money(t).unwrap_or_else(|| panic!("{t} not parsed"));
            assert_eq!((amount.as_str(), c), (want, Some(cur)), "{t}");
        }
    }

    #[test]
    fn money_ocr_noise() {
        assert_eq!(money("1O0,00"), Some(("100.00".into(), None)));
        assert_eq!(money("1.2O0,OO EUR"), Some(("1200.00".into(), Some("EUR"))));
        assert_eq!(money("1S0,00"), Some(("150.00".into(), None)));
        assert_eq!(money("kr. 1OO"), Some(("100.00".into(), Some("DKK"))));
        // S at the edge is not a digit; the currency SEK is untouched.
        assert_eq!(money("SEK 100"), Some(("100.00".into(), Some("SEK"))));
        assert_eq!(money("NOK 10"), Some(("10.00".into(), Some("NOK"))));
        assert_eq!(money("S00"), None);
        assert_eq!(money("12S"), None);
    }

    #[test]
    fn money_rejects() {
        for t in [
            "",
            "abc",
            "25%",
            "19 %",
            "25,5%",
            "05.03.2024",
            "INV-2024-0042",
            "5 March 2024",
            "10:30",
            "0042",
            "ABC123",
            "123abc",
            "1.2345",
            ".50",
            "#12345",
            "1-100",
            "DK50 0040 0440 1162 43",
        ] {
            assert_eq!(find_money(t), vec![], "{t:?}");
            assert_eq!(parse_money(t), None, "{t:?}");
        }
    }

    #[test]
    fn money_find_in_lines() {
        let t = "Moms 25% 308,63 kr.";
        let found = find_money(t);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].value,
            Money {
                amount: dec("308.63"),
                currency: Some("DKK")
            }
        );
        assert_eq!(&t[found[0].start..found[0].end], "308,63 kr.");

        assert_eq!(
            all_money("Subtotal 1.234,56 EUR Moms 19 % 234,57 EUR Total 1.469,13 EUR"),
            vec![
                ("1234.56".into(), Some("EUR")),
                ("234.57".into(), Some("EUR")),
                ("1469.13".into(), Some("EUR")),
            ]
        );
        assert_eq!(
            all_money("Dato 05.03.2024 Faktura INV-2024-0042 Beløb DKK 1.250,00"),
            vec![("1250.00".into(), Some("DKK"))]
        );
        assert_eq!(
            all_money("2 stk à 125,00"),
            vec![("2.00".into(), None), ("125.00".into(), None)]
        );
        assert_eq!(
            all_money("1 2345"),
            vec![("1.00".into(), None), ("2345.00".into(), None)]
        );
        assert_eq!(
            all_money("100 EUR 200"),
            vec![("100.00".into(), Some("EUR")), ("200.00".into(), None)]
        );
        assert_eq!(
            all_money("Kl. 10:30 pris 99,95 kr"),
            vec![("99.95".into(), Some("DKK"))]
        );
        // A space after a decimal comma joins its two digits, and nothing more.
        assert_eq!(
            all_money("Importe neto: EUR 1204, 22"),
            vec![("1204.22".into(), Some("EUR"))]
        );
        assert_eq!(
            all_money("1204, 225 and 7, 22"),
            vec![
                ("1204.00".into(), None),
                ("225.00".into(), None),
                ("7.22".into(), None)
            ]
        );
        assert_eq!(
            all_money("Pris 10 - 20 kr"),
            vec![("10.00".into(), None), ("20.00".into(), Some("DKK"))]
        );

        let t = "Kreditnota (1.234,56) DKK";
        let f = parse_money(t).unwrap();
        assert_eq!(
            f.value,
            Money {
                amount: dec("-1234.56"),
                currency: Some("DKK")
            }
        );
        assert_eq!(&t[f.start..f.end], "(1.234,56) DKK");

        let t = "Total: EUR 1.234,56.";
        let f = parse_money(t).unwrap();
        assert_eq!(&t[f.start..f.end], "EUR 1.234,56");
    }

    #[test]
    fn money_best_choice() {
        assert_eq!(
            money("2 stk 1.234,56 kr"),
            Some(("1234.56".into(), Some("DKK")))
        );
        assert_eq!(money("2 stk 1.234,56"), Some(("1234.56".into(), None)));
        assert_eq!(money("3 5"), Some(("3.00".into(), None)));
    }

    #[test]
    fn currency_codes() {
        let cases = [
            ("€", "EUR"),
            ("eur", "EUR"),
            ("EUR", "EUR"),
            ("Euro", "EUR"),
            ("kr.", "DKK"),
            ("kr", "DKK"),
            ("Kr.", "DKK"),
            ("DKK", "DKK"),
            ("dkk", "DKK"),
            ("£", "GBP"),
            ("$", "USD"),
            ("US$", "USD"),
            ("Fr.", "CHF"),
            ("CHF", "CHF"),
            (" sek ", "SEK"),
            ("NOK", "NOK"),
            ("¥", "JPY"),
            ("ISK", "ISK"),
        ];
        for (t, c) in cases {
            assert_eq!(currency_code(t), Some(c), "{t}");
        }
        for t in ["", "xyz", "EURO2", "krone", "%", "Fr", "S"] {
            assert_eq!(currency_code(t), None, "{t}");
        }
    }

    #[test]
    fn money_formatting() {
        assert_eq!(format_money(dec("1234.5"), Some("EUR")), "1234.50");
        assert_eq!(format_money(dec("1234.5"), None), "1234.50");
        assert_eq!(format_money(dec("1234"), Some("DKK")), "1234.00");
        assert_eq!(format_money(dec("-12.5"), Some("DKK")), "-12.50");
        assert_eq!(format_money(dec("0.005"), None), "0.01");
        assert_eq!(format_money(dec("-0.001"), None), "0.00");
        assert_eq!(format_money(dec("1234567.891"), Some("USD")), "1234567.89");
        assert_eq!(format_money(dec("1234.5"), Some("JPY")), "1235");
        assert_eq!(format_money(dec("1234.00"), Some("ISK")), "1234");
        assert_eq!(format_money(dec("1234"), Some("krw")), "1234");
        assert_eq!(format_money(dec("1234"), Some("¥")), "1234");
    }

    #[test]
    fn money_round_trip() {
        for t in [
            "1.234,56 EUR",
            "-12.50",
            "(99,95) kr.",
            "1 000 000,00",
            "0,01",
            "USD 1,234.00",
        ] {
            let m = parse_money(t).unwrap().value;
            let s = format_money(m.amount, m.currency);
            let again = parse_money(&s).unwrap().value;
            assert_eq!(again.amount, m.amount, "{t} -> {s}");
        }
    }

    #[test]
    fn glued_amount() {
        let f = parse_money("548,711.48").unwrap();
        assert_eq!(
            (f.start, f.end, f.value.amount.to_string()),
            (0, 10, "548711.48".to_string())
        );
    }
}
