//! Dates: `05.03.2024`, `2024-03-05`, `14. marts 2024`, `March 5, 2024` and their
//! OCR'd look-alikes, as [`NaiveDate`]s with the span they were read from.

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::{Captures, Regex};

use super::scan::{glued_after, glued_before, scan, HS};
use super::Found;

/// Locale hint for ambiguous numeric formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    /// Day first: `05/03/2024` is 5 March (European convention, the default).
    Dmy,
    /// Month first: `03/05/2024` is 5 March (US convention).
    Mdy,
}

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

/// Month names of the other languages a Nordic or German back office receives
/// (Swedish, Norwegian, Finnish, Dutch, French, Italian, Spanish, Polish), as the
/// Unicode CLDR gives them: wide and abbreviated, in the form a date uses (the
/// Finnish partitive "elokuuta", the Polish genitive "września") and the form
/// standing alone, and spelt without diacritics as OCR often reads them. Only
/// day-first dates use them (`10. elokuuta 2024`, `3 de noviembre de 2025`): a
/// name first is English usage.
const MONTHS_DAY_FIRST: &[(&str, u32)] = &[
    // sv
    ("januari", 1),
    ("februari", 2),
    ("mars", 3),
    ("augusti", 8),
    // nb
    ("desember", 12),
    ("des", 12),
    // fi
    ("tammikuuta", 1),
    ("tammikuu", 1),
    ("tammik", 1),
    ("helmikuuta", 2),
    ("helmikuu", 2),
    ("helmik", 2),
    ("maaliskuuta", 3),
    ("maaliskuu", 3),
    ("maalisk", 3),
    ("huhtikuuta", 4),
    ("huhtikuu", 4),
    ("huhtik", 4),
    ("toukokuuta", 5),
    ("toukokuu", 5),
    ("toukok", 5),
    ("kesäkuuta", 6),
    ("kesakuuta", 6),
    ("kesäkuu", 6),
    ("kesakuu", 6),
    ("kesäk", 6),
    ("heinäkuuta", 7),
    ("heinakuuta", 7),
    ("heinäkuu", 7),
    ("heinakuu", 7),
    ("heinäk", 7),
    ("elokuuta", 8),
    ("elokuu", 8),
    ("elok", 8),
    ("syyskuuta", 9),
    ("syyskuu", 9),
    ("syysk", 9),
    ("lokakuuta", 10),
    ("lokakuu", 10),
    ("lokak", 10),
    ("marraskuuta", 11),
    ("marraskuu", 11),
    ("marrask", 11),
    ("joulukuuta", 12),
    ("joulukuu", 12),
    ("jouluk", 12),
    // nl
    ("maart", 3),
    ("mrt", 3),
    ("mei", 5),
    ("augustus", 8),
    // fr
    ("janvier", 1),
    ("janv", 1),
    ("février", 2),
    ("fevrier", 2),
    ("févr", 2),
    ("fevr", 2),
    ("avril", 4),
    ("avr", 4),
    ("juin", 6),
    ("juillet", 7),
    ("juil", 7),
    ("août", 8),
    ("aout", 8),
    ("septembre", 9),
    ("octobre", 10),
    ("novembre", 11),
    ("décembre", 12),
    ("decembre", 12),
    ("déc", 12),
    // it
    ("gennaio", 1),
    ("gen", 1),
    ("febbraio", 2),
    ("marzo", 3),
    ("aprile", 4),
    ("maggio", 5),
    ("mag", 5),
    ("giugno", 6),
    ("giu", 6),
    ("luglio", 7),
    ("lug", 7),
    ("agosto", 8),
    ("ago", 8),
    ("settembre", 9),
    ("set", 9),
    ("ottobre", 10),
    ("ott", 10),
    ("dicembre", 12),
    ("dic", 12),
    // es
    ("enero", 1),
    ("ene", 1),
    ("febrero", 2),
    ("abril", 4),
    ("abr", 4),
    ("mayo", 5),
    ("junio", 6),
    ("julio", 7),
    ("septiembre", 9),
    ("setiembre", 9),
    ("octubre", 10),
    ("noviembre", 11),
    ("diciembre", 12),
    // pl
    ("stycznia", 1),
    ("styczeń", 1),
    ("styczen", 1),
    ("sty", 1),
    ("lutego", 2),
    ("luty", 2),
    ("lut", 2),
    ("marca", 3),
    ("marzec", 3),
    ("kwietnia", 4),
    ("kwiecień", 4),
    ("kwiecien", 4),
    ("kwi", 4),
    ("maja", 5),
    ("czerwca", 6),
    ("czerwiec", 6),
    ("cze", 6),
    ("lipca", 7),
    ("lipiec", 7),
    ("lip", 7),
    ("sierpnia", 8),
    ("sierpień", 8),
    ("sierpien", 8),
    ("sie", 8),
    ("września", 9),
    ("wrzesnia", 9),
    ("wrzesień", 9),
    ("wrzesien", 9),
    ("wrz", 9),
    ("października", 10),
    ("pazdziernika", 10),
    ("październik", 10),
    ("pazdziernik", 10),
    ("paź", 10),
    ("listopada", 11),
    ("listopad", 11),
    ("lis", 11),
    ("grudnia", 12),
    ("grudzień", 12),
    ("grudzien", 12),
    ("gru", 12),
];

/// Regex alternation of the month names, longest first so that `marts` wins
/// over `mar`.
fn month_alternation(day_first: bool) -> String {
    let extra = if day_first { MONTHS_DAY_FIRST } else { &[] };
    let mut names: Vec<&str> = MONTHS.iter().chain(extra).map(|&(n, _)| n).collect();
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
    MONTHS
        .iter()
        .chain(MONTHS_DAY_FIRST)
        .find(|&&(n, _)| n == lower)
        .map(|&(_, m)| m)
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

/// `5 March 2024`, `14. marts 2024`, `5th March, 2024`, `05-Mar-24`,
/// `1er mars 2024`, `3 de noviembre de 2025`; a comma after the month as OCR often
/// reads it (`16 novembre: 2024`, a colon or semicolon).
static RE_DATE_DMY_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)([0-9]{{1,2}})(?:st|nd|rd|th|er)?\.?(?:{HS}{{0,2}}|{HS}?[-/]{HS}?|{HS}de{HS})({m})\b\.?([,:;]?{HS}{{0,2}}|{HS}?[-/]{HS}?|{HS}de{HS})([0-9]{{4}}|[0-9]{{2}})",
        m = month_alternation(true)
    ))
    .expect("valid regex")
});

/// `March 5, 2024`, `Mar 5 2024`, `Oct. 1, 2024`.
static RE_DATE_MDY_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)({m})\b\.?{HS}{{0,2}}([0-9]{{1,2}})(?:st|nd|rd|th)?\b\.?(?:,{HS}{{0,2}}|{HS}{{1,2}})([0-9]{{4}})",
        m = month_alternation(false)
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

/// The order the page's own numeric dates show, when one of them can only be read
/// one way (`25/03/2024` is day first, `03/25/2024` month first) and none the other.
pub fn order_shown(text: &str) -> Option<DateOrder> {
    let (mut dmy, mut mdy) = (false, false);
    for c in RE_DATE_NUM.captures_iter(&fix_date_ocr(text)) {
        // "11.14.00" is a time of day, not a date.
        if c[2] != c[4] || &c[2] == "." && c[5].len() == 2 {
            continue;
        }
        let (Ok(a), Ok(b)) = (c[1].parse::<u32>(), c[3].parse::<u32>()) else {
            continue;
        };
        dmy |= a > 12 && a <= 31 && b <= 12;
        mdy |= b > 12 && b <= 31 && a <= 12;
    }
    match (dmy, mdy) {
        (true, false) => Some(DateOrder::Dmy),
        (false, true) => Some(DateOrder::Mdy),
        _ => None,
    }
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
/// `14. marts 2024`, `5. März 2024`, `Oct. 1, 2024`, `05-Mar-24`), and day-first
/// dates with Swedish, Norwegian, Finnish, Dutch, French, Italian, Spanish or
/// Polish month names (`10. elokuuta 2024`, `5 maja 2026`, `1er mars 2024`,
/// `3 de noviembre de 2025`). Tolerates
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn date(text: &str) -> Option<NaiveDate> {
        parse_date(text, DateOrder::Dmy).map(|f| f.value)
    }

    #[test]
    fn a_page_shows_its_date_order_when_one_date_reads_only_one_way() {
        assert_eq!(
            order_shown("Date 25/03/2024\nDue 04/05/2024"),
            Some(DateOrder::Dmy)
        );
        assert_eq!(order_shown("Date 03/25/2024"), Some(DateOrder::Mdy));
        // Both ways, or neither: no evidence.
        assert_eq!(order_shown("04/05/2024"), None);
        assert_eq!(order_shown("25/03/2024 03/25/2024"), None);
        // A time with dots is not a date.
        assert_eq!(order_shown("11.14.00 04/05/2024"), None);
    }

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
            ("16 novembre: 2024", ymd(2024, 11, 16)),
            ("16 novembre; 2024", ymd(2024, 11, 16)),
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
    fn day_first_dates_with_the_month_named_in_eight_more_languages() {
        let cases = [
            ("5 mars 2024", ymd(2024, 3, 5)),
            ("17 augusti 2023", ymd(2023, 8, 17)),
            ("24. desember 2024", ymd(2024, 12, 24)),
            ("10. elokuuta 2024", ymd(2024, 8, 10)),
            ("30. kesakuuta 2024", ymd(2024, 6, 30)),
            ("3 maart 2025", ymd(2025, 3, 3)),
            ("12 mei 2025", ymd(2025, 5, 12)),
            ("6 octobre 2024", ymd(2024, 10, 6)),
            ("1er février 2024", ymd(2024, 2, 1)),
            ("15 aout 2024", ymd(2024, 8, 15)),
            ("24 febbraio 2025", ymd(2025, 2, 24)),
            ("10 marzo 2025", ymd(2025, 3, 10)),
            ("3 de noviembre de 2025", ymd(2025, 11, 3)),
            ("17 septiembre 2023", ymd(2023, 9, 17)),
            ("5 maja 2026", ymd(2026, 5, 5)),
            ("19 czerwca 2026", ymd(2026, 6, 19)),
            ("17 wrzesnia 2023", ymd(2023, 9, 17)),
            ("2 października 2023", ymd(2023, 10, 2)),
        ];
        for (t, d) in cases {
            assert_eq!(date(t), Some(d), "{t}");
        }
        // Month first is English usage; these short names are words too.
        assert_eq!(date("Sie 5 2024"), None);
        assert_eq!(date("gen 12 2024"), None);
        // A date inside a sentence is still found where it stands.
        let t = "Data scadenza: 10 marzo 2025";
        let f = parse_date(t, DateOrder::Dmy).unwrap();
        assert_eq!(&t[f.start..f.end], "10 marzo 2025");
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
}
