//! Value parsers: turn OCR'd text into normalised typed values (dates, money,
//! currency, IBAN, VAT ids). Pure functions; each returns None when the text is
//! not a value of that type.
//!
//! Conventions shared by every parser in this module:
//!
//! * `parse_*` / `normalize_*` take a field's value candidate (typically a few
//!   OCR words joined by spaces) and return the first/best value in it.
//! * `find_*` scan a longer line and return values left to right, without
//!   overlaps. Byte offsets (`start..end`) always index the text that was passed
//!   in, so `&text[f.start..f.end]` is the exact substring the value came from.
//! * OCR repairs (`O`→`0` and the like) are only ever ASCII→ASCII substitutions
//!   on a private copy of the text, so they never shift byte offsets.
//! * A number glued to letters or chained to other numbers by `-./:` (invoice
//!   numbers such as `INV-2024-0042`, times, IBAN groups, phone numbers written
//!   with dots) is not taken as a date or an amount.

use std::str::FromStr;
use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::{Captures, Regex};
use rust_decimal::{Decimal, RoundingStrategy};

// ---------------------------------------------------------------------------
// Shared types and helpers
// ---------------------------------------------------------------------------

/// Locale hint for ambiguous numeric formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    /// Day first: `05/03/2024` is 5 March (European convention, the default).
    Dmy,
    /// Month first: `03/05/2024` is 5 March (US convention).
    Mdy,
}

/// A date found in text: normalised date and the exact substring (byte range) it came from.
///
/// Used for every kind of value in this module: `value` is the normalised
/// value, `start..end` the byte range of the source text it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found<T> {
    pub value: T,
    pub start: usize,
    pub end: usize,
}

/// Horizontal whitespace allowed between the parts of a value (OCR joins words
/// with single spaces; NBSP and narrow NBSP come from PDFs' text layers).
const HS: &str = r"[ \t\u{A0}\u{202F}]";

fn prev_char(t: &str, pos: usize) -> Option<char> {
    t[..pos].chars().next_back()
}

fn next_char(t: &str, pos: usize) -> Option<char> {
    t[pos..].chars().next()
}

fn char_len_at(t: &str, pos: usize) -> usize {
    next_char(t, pos).map_or(1, char::len_utf8)
}

/// True when a value starting at `pos` is really the tail of a longer token:
/// directly after a letter/digit, or after `-./,'` that itself follows a
/// letter/digit (`INV-2024`, `12.03.2024.5`), or after `:` following a digit
/// (the minutes of `10:30`).
fn glued_before(t: &str, pos: usize) -> bool {
    let mut it = t[..pos].chars().rev();
    match it.next() {
        None => false,
        Some(c) if c.is_alphanumeric() => true,
        Some('.' | ',' | '-' | '/' | '\'' | '–' | '−') => {
            it.next().is_some_and(char::is_alphanumeric)
        }
        Some(':') => it.next().is_some_and(|p| p.is_ascii_digit()),
        Some(_) => false,
    }
}

/// True when a value ending at `pos` continues into a longer token: a
/// letter/digit right after it, `-`/`/` followed by a letter/digit, or `.,:`
/// followed by a digit. A plain trailing comma or period is fine.
fn glued_after(t: &str, pos: usize) -> bool {
    let mut it = t[pos..].chars();
    match it.next() {
        None => false,
        Some(c) if c.is_alphanumeric() => true,
        Some('-' | '/' | '–') => it.next().is_some_and(char::is_alphanumeric),
        Some('.' | ',' | ':' | '\'') => it.next().is_some_and(|n| n.is_ascii_digit()),
        Some(_) => false,
    }
}

/// Runs `re` over `text`, handing each match to `accept`. A rejected match is
/// retried one character further on, so a bad candidate cannot hide a good one
/// that overlaps it.
fn scan(re: &Regex, text: &str, mut accept: impl FnMut(&Captures<'_>) -> bool) {
    let mut pos = 0;
    while pos <= text.len() {
        let Some(caps) = re.captures_at(text, pos) else {
            break;
        };
        let m = caps.get(0).expect("group 0 always participates");
        pos = if accept(&caps) && m.end() > m.start() {
            m.end()
        } else {
            m.start() + char_len_at(text, m.start())
        };
    }
}

fn overlaps(spans: &[(usize, usize)], s: usize, e: usize) -> bool {
    spans.iter().any(|&(a, b)| s < b && a < e)
}

// ---------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------

/// Month names (lower case) in English, Danish and German, full and
/// abbreviated. Duplicates across languages are harmless.
const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("januar", 1),
    ("jänner", 1),
    ("jan", 1),
    ("jän", 1),
    ("february", 2),
    ("februar", 2),
    ("feb", 2),
    ("march", 3),
    ("marts", 3),
    ("märz", 3),
    ("maerz", 3),
    // OCR drops the umlaut.
    ("marz", 3),
    ("mrz", 3),
    ("mär", 3),
    ("mar", 3),
    ("april", 4),
    ("apr", 4),
    ("may", 5),
    ("maj", 5),
    ("mai", 5),
    ("june", 6),
    ("juni", 6),
    ("jun", 6),
    ("july", 7),
    ("juli", 7),
    ("jul", 7),
    ("august", 8),
    ("aug", 8),
    ("september", 9),
    ("sept", 9),
    ("sep", 9),
    ("october", 10),
    ("oktober", 10),
    ("oct", 10),
    ("okt", 10),
    ("november", 11),
    ("nov", 11),
    ("december", 12),
    ("dezember", 12),
    ("dec", 12),
    ("dez", 12),
];

/// Regex alternation of all month names, longest first so that `marts` wins
/// over `mar`.
fn month_alternation() -> String {
    let mut names: Vec<&str> = MONTHS.iter().map(|&(n, _)| n).collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
    names.dedup();
    names
        .iter()
        .map(|n| regex::escape(n))
        .collect::<Vec<_>>()
        .join("|")
}

fn month_number(name: &str) -> Option<u32> {
    let lower = name.to_lowercase();
    MONTHS.iter().find(|&&(n, _)| n == lower).map(|&(_, m)| m)
}

/// `YYYY-MM-DD` (also with `/` or `.`); never reordered.
static RE_DATE_ISO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"([0-9]{{4}}){HS}?([-./]){HS}?([0-9]{{1,2}}){HS}?([-./]){HS}?([0-9]{{1,2}})"
    ))
    .expect("valid regex")
});

/// `DD.MM.YYYY`, `MM/DD/YY` and friends (order decided by [`DateOrder`]).
static RE_DATE_NUM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"([0-9]{{1,2}}){HS}?([-./]){HS}?([0-9]{{1,2}}){HS}?([-./]){HS}?([0-9]{{4}}|[0-9]{{2}})"
    ))
    .expect("valid regex")
});

/// `5 March 2024`, `14. marts 2024`, `5th March, 2024`, `05-Mar-24`.
static RE_DATE_DMY_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)([0-9]{{1,2}})(?:st|nd|rd|th)?\.?(?:{HS}{{0,2}}|{HS}?[-/]{HS}?)({m})\b\.?(,?{HS}{{0,2}}|{HS}?[-/]{HS}?)([0-9]{{4}}|[0-9]{{2}})",
        m = month_alternation()
    ))
    .expect("valid regex")
});

/// `March 5, 2024`, `Mar 5 2024`, `Oct. 1, 2024`.
static RE_DATE_MDY_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)({m})\b\.?{HS}{{0,2}}([0-9]{{1,2}})(?:st|nd|rd|th)?\b\.?(?:,{HS}{{0,2}}|{HS}{{1,2}})([0-9]{{4}})",
        m = month_alternation()
    ))
    .expect("valid regex")
});

/// Replaces `O`/`o` by `0` and `I`/`l` by `1` inside alphanumeric tokens that
/// are digits apart from those look-alikes (`O5.03.2O24`). ASCII for ASCII, so
/// offsets are unchanged.
fn fix_date_ocr(text: &str) -> String {
    let mut b = text.as_bytes().to_vec();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let s = i;
        while i < b.len() && b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let tok = &b[s..i];
        let has_digit = tok.iter().any(u8::is_ascii_digit);
        let fixable = tok
            .iter()
            .all(|c| c.is_ascii_digit() || matches!(c, b'O' | b'o' | b'I' | b'l'));
        if has_digit && fixable {
            for c in &mut b[s..i] {
                *c = match *c {
                    b'O' | b'o' => b'0',
                    b'I' | b'l' => b'1',
                    other => other,
                };
            }
        }
    }
    String::from_utf8(b).expect("ASCII-for-ASCII substitutions keep UTF-8 valid")
}

/// Years outside 1900..=2099 are rejected: on invoices they are OCR noise.
fn mk_date(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    if !(1900..=2099).contains(&year) {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

fn parse_year(s: &str) -> Option<i32> {
    let y: i32 = s.parse().ok()?;
    Some(if s.len() == 2 { 2000 + y } else { y })
}

fn iso_date(c: &Captures<'_>) -> Option<NaiveDate> {
    if c[2] != c[4] {
        return None;
    }
    mk_date(c[1].parse().ok()?, c[3].parse().ok()?, c[5].parse().ok()?)
}

fn numeric_date(c: &Captures<'_>, order: DateOrder) -> Option<NaiveDate> {
    if c[2] != c[4] {
        return None;
    }
    let a: u32 = c[1].parse().ok()?;
    let b: u32 = c[3].parse().ok()?;
    let y = parse_year(&c[5])?;
    let (day, month) = match order {
        DateOrder::Dmy => (a, b),
        DateOrder::Mdy => (b, a),
    };
    // The other reading is only used when the preferred one is impossible
    // (`13/05/2024` under Mdy can only be 13 May).
    mk_date(y, month, day).or_else(|| mk_date(y, day, month))
}

fn dmy_text_date(c: &Captures<'_>) -> Option<NaiveDate> {
    // Two-digit years only in the compact `05-Mar-24` form.
    if c[4].len() == 2 && !c[3].contains(['-', '/']) {
        return None;
    }
    mk_date(parse_year(&c[4])?, month_number(&c[2])?, c[1].parse().ok()?)
}

fn mdy_text_date(c: &Captures<'_>) -> Option<NaiveDate> {
    mk_date(c[3].parse().ok()?, month_number(&c[1])?, c[2].parse().ok()?)
}

type DateReader<'a> = dyn Fn(&Captures<'_>) -> Option<NaiveDate> + 'a;

fn date_candidates(fixed: &str, order: DateOrder) -> Vec<(usize, usize, NaiveDate)> {
    let mut out = Vec::new();
    let readers: [(&Regex, &DateReader); 4] = [
        (&RE_DATE_ISO, &iso_date),
        (&RE_DATE_NUM, &|c| numeric_date(c, order)),
        (&RE_DATE_DMY_TEXT, &dmy_text_date),
        (&RE_DATE_MDY_TEXT, &mdy_text_date),
    ];
    for (re, read) in readers {
        scan(re, fixed, |c| {
            let m = c.get(0).expect("group 0");
            if glued_before(fixed, m.start()) || glued_after(fixed, m.end()) {
                return false;
            }
            match read(c) {
                Some(d) => {
                    out.push((m.start(), m.end(), d));
                    true
                }
                None => false,
            }
        });
    }
    out
}

/// Parses the first date in `text` (a field's value candidate).
///
/// Accepts ISO `2024-03-05` (never reordered); numeric `05.03.2024`,
/// `5.3.2024`, `05-03-2024`, `05/03/2024`, `5.3.24` (day-month-year unless
/// `order` is [`DateOrder::Mdy`]; two-digit years mean 20xx); and dates with
/// English, Danish or German month names, full or abbreviated, any case, with
/// optional dots and ordinal suffixes (`March 5, 2024`, `5th March 2024`,
/// `14. marts 2024`, `5. März 2024`, `Oct. 1, 2024`, `05-Mar-24`). Tolerates
/// `O`/`I`/`l` for `0`/`1` inside digit tokens, one stray space around
/// separators and a trailing comma or period.
///
/// Known failure modes:
/// * If the preferred order gives an impossible date but the other order does
///   not (`13/05/2024` with `Mdy`), the other reading is returned.
/// * Impossible calendar dates (`31.02.2024`), years outside 1900–2099 and
///   dates without a year (`5 March`) give `None`.
/// * A date chained into a longer token (`12.03.2024.5`, `INV-2024-0042`,
///   `Nr.05.03.2024`) is rejected, even when a person would read it.
/// * Two-digit years are always 2000–2099.
/// * Compact forms without separators (`20240305`) are not recognised.
pub fn parse_date(text: &str, order: DateOrder) -> Option<Found<NaiveDate>> {
    find_dates(text, order).into_iter().next()
}

/// Finds every date in a line, left to right, non-overlapping.
///
/// Accepts the same formats as [`parse_date`] and shares its failure modes;
/// when two readings overlap the one that starts first (then the longer one)
/// wins.
pub fn find_dates(text: &str, order: DateOrder) -> Vec<Found<NaiveDate>> {
    let fixed = fix_date_ocr(text);
    let mut cands = date_candidates(&fixed, order);
    cands.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut out: Vec<Found<NaiveDate>> = Vec::new();
    let mut last_end = 0;
    for (start, end, value) in cands {
        if start >= last_end {
            out.push(Found { value, start, end });
            last_end = end;
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Money
// ---------------------------------------------------------------------------

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
    Regex::new(r"(?:[0-9]{1,3}(?:[.,'’\u{A0}\u{202F} ][0-9]{3})+|[0-9]+)(?:[.,][0-9]{1,2}|[.,]-)?")
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
                Some(i) => e = s + i,
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

// ---------------------------------------------------------------------------
// IBAN / BIC
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// VAT ids
// ---------------------------------------------------------------------------

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
            let v = format!("{cc}{}", &up[2..]);
            if vat_shape_ok(&v) {
                return Some(v);
            }
        }
    }
    let cc = vat_country(country?)?;
    let v = format!("{cc}{up}");
    vat_shape_ok(&v).then_some(v)
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

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn date(text: &str) -> Option<NaiveDate> {
        parse_date(text, DateOrder::Dmy).map(|f| f.value)
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

    // ---- dates -----------------------------------------------------------

    #[test]
    fn date_numeric_formats() {
        let d = ymd(2024, 3, 5);
        for t in [
            "2024-03-05",
            "05.03.2024",
            "5.3.2024",
            "05-03-2024",
            "05/03/2024",
            "5.3.24",
            "05.03.24",
        ] {
            assert_eq!(date(t), Some(d), "{t}");
        }
    }

    #[test]
    fn date_order_hint() {
        assert_eq!(
            parse_date("05/03/2024", DateOrder::Dmy).unwrap().value,
            ymd(2024, 3, 5)
        );
        assert_eq!(
            parse_date("05/03/2024", DateOrder::Mdy).unwrap().value,
            ymd(2024, 5, 3)
        );
        assert_eq!(
            parse_date("03/05/2024", DateOrder::Mdy).unwrap().value,
            ymd(2024, 3, 5)
        );
        assert_eq!(
            parse_date("03-05-2024", DateOrder::Mdy).unwrap().value,
            ymd(2024, 3, 5)
        );
        // ISO is never reordered.
        assert_eq!(
            parse_date("2024-03-05", DateOrder::Mdy).unwrap().value,
            ymd(2024, 3, 5)
        );
        assert_eq!(
            parse_date("2024-03-05", DateOrder::Dmy).unwrap().value,
            ymd(2024, 3, 5)
        );
        // Only the other reading is possible.
        assert_eq!(
            parse_date("13/05/2024", DateOrder::Mdy).unwrap().value,
            ymd(2024, 5, 13)
        );
        assert_eq!(
            parse_date("05/13/2024", DateOrder::Dmy).unwrap().value,
            ymd(2024, 5, 13)
        );
    }

    #[test]
    fn date_month_names() {
        let cases = [
            ("March 5, 2024", ymd(2024, 3, 5)),
            ("Mar 5 2024", ymd(2024, 3, 5)),
            ("5 March 2024", ymd(2024, 3, 5)),
            ("5th March 2024", ymd(2024, 3, 5)),
            ("14. marts 2024", ymd(2024, 3, 14)),
            ("14. mar. 2024", ymd(2024, 3, 14)),
            ("5. März 2024", ymd(2024, 3, 5)),
            ("5. Maerz 2024", ymd(2024, 3, 5)),
            ("5 Mrz 2024", ymd(2024, 3, 5)),
            ("1. maj 2024", ymd(2024, 5, 1)),
            ("3. Mai 2024", ymd(2024, 5, 3)),
            ("Oct. 1, 2024", ymd(2024, 10, 1)),
            ("1. okt. 2024", ymd(2024, 10, 1)),
            ("1. Okt. 2024", ymd(2024, 10, 1)),
            ("24. Dezember 2024", ymd(2024, 12, 24)),
            ("24. december 2024", ymd(2024, 12, 24)),
            ("December 24, 2024", ymd(2024, 12, 24)),
            ("MARCH 5, 2024", ymd(2024, 3, 5)),
            ("5. MÄRZ 2024", ymd(2024, 3, 5)),
            ("5 Sept 2024", ymd(2024, 9, 5)),
            ("Sept. 5, 2024", ymd(2024, 9, 5)),
            ("2nd Feb 2024", ymd(2024, 2, 2)),
            ("March 3rd, 2024", ymd(2024, 3, 3)),
            ("05-Mar-24", ymd(2024, 3, 5)),
            ("5. juni 2024", ymd(2024, 6, 5)),
            ("5 Jänner 2024", ymd(2024, 1, 5)),
            ("5 Mär 2024", ymd(2024, 3, 5)),
            ("31 Dez 2024", ymd(2024, 12, 31)),
        ];
        for (t, d) in cases {
            assert_eq!(date(t), Some(d), "{t}");
            // The order hint does not affect month-name dates.
            assert_eq!(
                parse_date(t, DateOrder::Mdy).map(|f| f.value),
                Some(d),
                "{t} (Mdy)"
            );
        }
    }

    #[test]
    fn date_ocr_noise() {
        let d = ymd(2024, 3, 5);
        for t in [
            "O5.03.2O24",
            "05. 03. 2024",
            "05 .03 .2024",
            "05.03.2024,",
            "05.03.2024.",
            "O5.O3.2024",
            "5.3.2O24",
        ] {
            assert_eq!(date(t), Some(d), "{t}");
        }
        assert_eq!(date("l5.03.2024"), Some(ymd(2024, 3, 15)));
        assert_eq!(date("15.03.2Ol4"), Some(ymd(2014, 3, 15)));
        let f = parse_date("05.03.2024.", DateOrder::Dmy).unwrap();
        assert_eq!((f.start, f.end), (0, 10));
    }

    #[test]
    fn date_rejects() {
        for t in [
            "",
            "hello",
            "31.02.2024",
            "30.02.2024",
            "32.01.2024",
            "00.01.2024",
            "05.00.2024",
            "12.03.2024.5",
            "INV-2024-0042",
            "5 March",
            "March 2024",
            "12345",
            "20240305",
            "2024-13-01",
            "2024-02-30",
            "05.03-2024",
            "05.03.1850",
            "5.3.2",
            "+45 12 34 56 78",
            "DK5000400440116243",
            "Nr.05.03.2024",
            "12:30",
            "v1.2.3",
            "1.234,56",
        ] {
            assert_eq!(date(t), None, "{t:?}");
        }
    }

    #[test]
    fn date_spans_and_find() {
        let t = "Fakturadato: 05.03.2024 Forfald: 19. marts 2024, side 1";
        let found = find_dates(t, DateOrder::Dmy);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].value, ymd(2024, 3, 5));
        assert_eq!(&t[found[0].start..found[0].end], "05.03.2024");
        assert_eq!(found[1].value, ymd(2024, 3, 19));
        assert_eq!(&t[found[1].start..found[1].end], "19. marts 2024");

        let t = "Dato: 5. März 2024";
        let f = parse_date(t, DateOrder::Dmy).unwrap();
        assert_eq!(&t[f.start..f.end], "5. März 2024");

        let t = "Invoice INV-2024-0042 dated March 5, 2024 due 2024-04-04";
        let found = find_dates(t, DateOrder::Mdy);
        let values: Vec<_> = found.iter().map(|f| f.value).collect();
        assert_eq!(values, vec![ymd(2024, 3, 5), ymd(2024, 4, 4)]);
        assert_eq!(&t[found[0].start..found[0].end], "March 5, 2024");

        assert!(find_dates("Ordre 12345 Antal 3", DateOrder::Dmy).is_empty());
        // Leftover O in the source maps to the original offsets.
        let t = "Dato O5.03.2O24";
        let f = parse_date(t, DateOrder::Dmy).unwrap();
        assert_eq!(&t[f.start..f.end], "O5.03.2O24");
    }

    #[test]
    fn date_round_trip() {
        let mut d = ymd(2023, 12, 25);
        let end = ymd(2025, 1, 10);
        let names = [
            "januar",
            "februar",
            "marts",
            "april",
            "maj",
            "juni",
            "juli",
            "august",
            "september",
            "oktober",
            "november",
            "december",
        ];
        use chrono::Datelike;
        while d <= end {
            for (s, order) in [
                (d.format("%d.%m.%Y").to_string(), DateOrder::Dmy),
                (d.format("%-d.%-m.%y").to_string(), DateOrder::Dmy),
                (d.format("%m/%d/%Y").to_string(), DateOrder::Mdy),
                (d.format("%Y-%m-%d").to_string(), DateOrder::Mdy),
                (d.format("%B %-d, %Y").to_string(), DateOrder::Dmy),
                (d.format("%-d %b %Y").to_string(), DateOrder::Dmy),
                (
                    format!("{}. {} {}", d.day(), names[d.month0() as usize], d.year()),
                    DateOrder::Dmy,
                ),
            ] {
                assert_eq!(parse_date(&s, order).map(|f| f.value), Some(d), "{s}");
            }
            d = d.succ_opt().unwrap();
        }
    }

    // ---- money -----------------------------------------------------------

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

    // ---- IBAN / BIC --------------------------------------------------------

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

    // ---- VAT ---------------------------------------------------------------

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

/// The first plain number in `text` ("37,5", "37.50", "160", "1.234,5"), as a decimal
/// with trailing zeros dropped. A lone separator is the decimal one; with two kinds,
/// the last is. `integer` accepts whole numbers only.
pub fn find_number(text: &str, integer: bool) -> Option<Found<Decimal>> {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?:^|[^\d.,\-])(-?\d{1,3}(?:[.,' ]\d{3})+(?:[.,]\d+)?|-?\d+(?:[.,]\d+)?)(?:$|[^\d])",
        )
        .expect("valid regex")
    });
    let m = RE.captures(text)?.get(1)?;
    let raw = m.as_str();
    let seps: Vec<(usize, char)> = raw
        .char_indices()
        .filter(|(_, c)| matches!(c, '.' | ',' | '\'' | ' '))
        .collect();
    let mut digits = String::with_capacity(raw.len());
    let decimal_at = match seps.as_slice() {
        [] => None,
        // "37,5" or "1.234": one separator followed by exactly three digits is a
        // thousands separator only when it cannot be a decimal (an integer field).
        [(i, c)] => {
            let after = raw.len() - i - 1;
            (!(matches!(c, '\'' | ' ') || integer && after == 3)).then_some(*i)
        }
        many => {
            let (last_i, last_c) = *many.last().unwrap();
            let first_c = many[0].1;
            (last_c != first_c && matches!(last_c, '.' | ',')).then_some(last_i)
        }
    };
    for (i, c) in raw.char_indices() {
        if Some(i) == decimal_at {
            digits.push('.');
        } else if c.is_ascii_digit() || c == '-' {
            digits.push(c);
        }
    }
    let value: Decimal = digits.parse().ok()?;
    if integer && value.fract() != Decimal::ZERO {
        return None;
    }
    Some(Found {
        value: value.normalize(),
        start: m.start(),
        end: m.end(),
    })
}

/// "true"/"false" for what a person types for a box: yes/no, ja/nej, x, 1/0.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "true" | "yes" | "y" | "ja" | "j" | "x" | "1" | "signed" | "ticked" => Some(true),
        "false" | "no" | "n" | "nej" | "nein" | "0" | "" | "empty" | "unsigned" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod number_tests {
    use super::*;

    #[test]
    fn numbers_are_read_in_either_convention() {
        let n = |t: &str| find_number(t, false).map(|f| f.value.to_string());
        assert_eq!(n("Hours: 37,5"), Some("37.5".into()));
        assert_eq!(n("37.50 h"), Some("37.5".into()));
        assert_eq!(n("160"), Some("160".into()));
        assert_eq!(n("1.234,50"), Some("1234.5".into()));
        assert_eq!(n("1,234.5"), Some("1234.5".into()));
        assert_eq!(n("7.25"), Some("7.25".into()));
        assert_eq!(n("no number"), None);
        assert_eq!(
            find_number("1.234", true).map(|f| f.value.to_string()),
            Some("1234".into())
        );
        assert_eq!(find_number("12.5", true), None);
    }
}

#[cfg(test)]
mod glued_tests {
    #[test]
    fn glued_amount() {
        let f = super::parse_money("548,711.48").unwrap();
        assert_eq!(
            (f.start, f.end, f.value.amount.to_string()),
            (0, 10, "548711.48".to_string())
        );
    }
}
