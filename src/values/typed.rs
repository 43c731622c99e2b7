//! Amounts typed by a person, read strictly.
//!
//! [`parse_money`](super::parse_money) reads what OCR found on a page and is forgiving
//! on purpose: `24.675` is 24675 (a thousands group), `2O.5O` is 20.50 (an OCR slip).
//! A person typing a correction is not an OCR engine: there `24.675` may be 24.675 or
//! 24675 (a 1,000× difference), and `2O.5O` is a typo to point out, not to repair
//! behind the typist's back. [`parse_typed_money`] accepts only what reads one way:
//!
//! * digits with no separator (`24675`), or a decimal part of 1–2 digits after the last
//!   `.` or `,` (`24675,00`, `24.68`);
//! * thousands groups of exactly three digits, all with the same separator, which is
//!   not the decimal one: `24.675,00`, `1,234.50`, `1.234.567`, `24 675`, `1'234`;
//! * a single `.` or `,` followed by exactly three digits and nothing else (`24.675`,
//!   `1,234`) is [`TypedMoneyError::Ambiguous`]: the typist writes it another way;
//! * letters that look like digits (`O`, `o`, `l`, `I`, `S`, `B`, `Z`) are
//!   [`TypedMoneyError::LooksLikeDigits`] with the digits they resemble, never fixed;
//! * a leading `-` and a currency (ISO code any case, `kr.`, `€`, …) before or after.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

use super::money::{currency_code, format_money, Money};

/// Why a typed amount was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypedMoneyError {
    /// A single `.`/`,` before exactly three digits: `thousands` if it groups them,
    /// `decimal` if it is the decimal point.
    Ambiguous {
        text: String,
        thousands: Decimal,
        decimal: Decimal,
    },
    /// Letters where digits belong; `digits` is the number with them replaced.
    LooksLikeDigits { text: String, digits: String },
    /// Not an amount at all.
    NotAnAmount { text: String },
}

impl fmt::Display for TypedMoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypedMoneyError::Ambiguous {
                text,
                thousands,
                decimal,
            } => write!(
                f,
                "{text:?} could be {} or {}: type {} (or {}) if you mean the first, \
                 or the amount with two decimals",
                display_amount(*thousands, ' ', ','),
                decimal.normalize().to_string().replace('.', ","),
                plain_comma(*thousands),
                grouped(*thousands),
            ),
            TypedMoneyError::LooksLikeDigits { text, digits } => write!(
                f,
                "{text:?} holds letters where digits belong; did you mean {digits:?}? \
                 Type the digits"
            ),
            TypedMoneyError::NotAnAmount { text } => {
                write!(f, "{text:?} is not an amount (like 1234,50 or 1.234,50)")
            }
        }
    }
}

impl std::error::Error for TypedMoneyError {}

/// `24675.00` as `24.675,00`.
fn grouped(d: Decimal) -> String {
    display_amount(d, '.', ',')
}

/// `24675.00` as `24675,00`.
fn plain_comma(d: Decimal) -> String {
    format_money(d, None).replace('.', ",")
}

/// An amount written with `group` between thousands and `point` before the decimals
/// (always two): `display_amount(24675, ' ', ',')` is `24 675,00`.
pub fn display_amount(amount: Decimal, group: char, point: char) -> String {
    let s = format_money(amount, None);
    let (sign, s) = match s.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", s.as_str()),
    };
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(group);
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(point);
        out.push_str(frac);
    }
    format!("{sign}{out}")
}

/// Letters a typist (or a copy from a scan) puts where a digit belongs.
fn look_alike(c: char) -> Option<char> {
    Some(match c {
        'O' | 'o' | 'D' | 'Q' => '0',
        'l' | 'I' | 'i' | '|' => '1',
        'S' | 's' => '5',
        'B' => '8',
        'Z' | 'z' => '2',
        'G' | 'b' => '6',
        _ => return None,
    })
}

/// Parses an amount a person typed; see the module doc for what is accepted.
pub fn parse_typed_money(text: &str) -> Result<Money, TypedMoneyError> {
    let t = text.trim();
    let not = || TypedMoneyError::NotAnAmount {
        text: t.to_string(),
    };
    let (currency, core) = split_currency(t);
    let core = core.trim();
    let (negative, core) = match core.strip_prefix('-').or_else(|| core.strip_prefix('−')) {
        Some(rest) => (true, rest.trim_start()),
        None => (false, core),
    };
    if core.is_empty() {
        return Err(not());
    }
    if core.chars().any(|c| look_alike(c).is_some()) {
        let digits: String = core.chars().map(|c| look_alike(c).unwrap_or(c)).collect();
        // Only when the letters are all that stands between the text and an amount.
        return match amount(&digits) {
            Ok(_) | Err(Shape::Ambiguous(..)) => Err(TypedMoneyError::LooksLikeDigits {
                text: t.to_string(),
                digits: format!("{}{digits}", if negative { "-" } else { "" }),
            }),
            Err(Shape::Bad) => Err(not()),
        };
    }
    let sign = |d: Decimal| if negative { -d } else { d };
    match amount(core) {
        Ok(a) => Ok(Money {
            amount: sign(a),
            currency,
        }),
        Err(Shape::Ambiguous(thousands, decimal)) => Err(TypedMoneyError::Ambiguous {
            text: t.to_string(),
            thousands: sign(thousands),
            decimal: sign(decimal),
        }),
        Err(Shape::Bad) => Err(not()),
    }
}

/// A currency before or after the number (`DKK 24 675,00`, `24.675,00 kr.`, `€12`).
fn split_currency(t: &str) -> (Option<&'static str>, &str) {
    // A word of its own at either end.
    if let Some((rest, last)) = t.rsplit_once(char::is_whitespace) {
        if let Some(code) = currency_code(last) {
            return (Some(code), rest);
        }
    }
    if let Some((first, rest)) = t.split_once(char::is_whitespace) {
        if let Some(code) = currency_code(first) {
            return (Some(code), rest);
        }
    }
    // A symbol glued on (`€12`, `12€`, `12kr.`).
    if let Some(i) = t.find(|c: char| c.is_ascii_digit() || c == '-' || c == '−') {
        let (head, rest) = t.split_at(i);
        if !head.is_empty() {
            if let Some(code) = currency_code(head) {
                return (Some(code), rest);
            }
        }
    }
    if let Some(i) = t.rfind(|c: char| c.is_ascii_digit()) {
        let (rest, tail) = t.split_at(i + 1);
        if !tail.is_empty() {
            if let Some(code) = currency_code(tail) {
                return (Some(code), rest);
            }
        }
    }
    (None, t)
}

enum Shape {
    Ambiguous(Decimal, Decimal),
    Bad,
}

/// The unsigned number itself.
fn amount(s: &str) -> Result<Decimal, Shape> {
    let is_sep = |c: char| matches!(c, '.' | ',' | ' ' | '\'' | '’' | '\u{A0}' | '\u{202F}');
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit() || is_sep(c)) {
        return Err(Shape::Bad);
    }
    // Runs of digits and the separators between them.
    let mut groups: Vec<&str> = Vec::new();
    let mut seps: Vec<char> = Vec::new();
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if is_sep(c) {
            groups.push(&s[start..i]);
            seps.push(c);
            start = i + c.len_utf8();
        }
    }
    groups.push(&s[start..]);
    if groups.iter().any(|g| g.is_empty()) {
        return Err(Shape::Bad);
    }
    let dec = |int: &str, frac: &str| {
        Decimal::from_str(&format!(
            "{int}.{}",
            if frac.is_empty() { "0" } else { frac }
        ))
        .map_err(|_| Shape::Bad)
    };
    // The decimal part: 1–2 digits after a last `.` or `,`.
    let (int_groups, int_seps, frac) = match (groups.last(), seps.last()) {
        (Some(last), Some(&p)) if matches!(p, '.' | ',') && last.len() <= 2 => (
            &groups[..groups.len() - 1],
            &seps[..seps.len() - 1],
            Some((*last, p)),
        ),
        _ => (&groups[..], &seps[..], None),
    };
    // The integer part: plain digits, or groups of three after a first of 1–3.
    if !int_seps.is_empty() {
        let g = int_seps[0];
        let well_grouped = int_seps.iter().all(|&c| c == g)
            && frac.is_none_or(|(_, p)| p != g)
            && int_groups[0].len() <= 3
            && int_groups[1..].iter().all(|x| x.len() == 3);
        if !well_grouped {
            return Err(Shape::Bad);
        }
        if frac.is_none() && int_seps.len() == 1 && matches!(g, '.' | ',') {
            let thousands = dec(&int_groups.concat(), "")?;
            let decimal = dec(int_groups[0], int_groups[1])?;
            return Err(Shape::Ambiguous(thousands, decimal));
        }
    }
    dec(&int_groups.concat(), frac.map_or("", |(f, _)| f))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> String {
        parse_typed_money(text)
            .map(|m| format!("{} {:?}", format_money(m.amount, None), m.currency))
            .unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn amounts_that_read_one_way_are_taken() {
        assert_eq!(ok("24675"), "24675.00 None");
        assert_eq!(ok("24675,00"), "24675.00 None");
        assert_eq!(ok("24.675,00"), "24675.00 None");
        assert_eq!(ok("24 675,00 DKK"), "24675.00 Some(\"DKK\")");
        assert_eq!(ok("1,234.50"), "1234.50 None");
        assert_eq!(ok("1.234.567"), "1234567.00 None");
        assert_eq!(ok("1'234"), "1234.00 None");
        assert_eq!(ok("24.68"), "24.68 None");
        assert_eq!(ok("0,5"), "0.50 None");
        assert_eq!(ok("-12,50"), "-12.50 None");
        assert_eq!(ok("kr. 99,95"), "99.95 Some(\"DKK\")");
        assert_eq!(ok("€12"), "12.00 Some(\"EUR\")");
        assert_eq!(ok(" 3.018.103,13 "), "3018103.13 None");
    }

    #[test]
    fn a_single_separator_before_three_digits_is_ambiguous() {
        for text in ["24.675", "1.234", "1,234", "24,675 DKK", "-1.234"] {
            let e = parse_typed_money(text).unwrap_err();
            assert!(
                matches!(e, TypedMoneyError::Ambiguous { .. }),
                "{text}: {e:?}"
            );
        }
        let e = parse_typed_money("24.675").unwrap_err().to_string();
        assert!(e.contains("could be 24 675,00 or 24,675"), "{e}");
        assert!(e.contains("type 24675,00 (or 24.675,00)"), "{e}");
    }

    #[test]
    fn letters_that_look_like_digits_are_pointed_out_not_fixed() {
        for (text, digits) in [
            ("2O.5O", "20.50"),
            ("3.O18.103,13", "3.018.103,13"),
            ("l2,50", "12,50"),
            ("S0", "50"),
            ("2O.5O DKK", "20.50"),
        ] {
            assert_eq!(
                parse_typed_money(text),
                Err(TypedMoneyError::LooksLikeDigits {
                    text: text.into(),
                    digits: digits.into()
                }),
                "{text}"
            );
        }
    }

    #[test]
    fn what_is_no_amount_is_refused() {
        for text in [
            "",
            "abc",
            "1.2.3",
            "12,50,00",
            "1.234,567",
            "12.34.56",
            "1 2 3",
            "12..5",
        ] {
            assert!(
                matches!(
                    parse_typed_money(text),
                    Err(TypedMoneyError::NotAnAmount { .. })
                ),
                "{text}: {:?}",
                parse_typed_money(text)
            );
        }
    }

    #[test]
    fn amounts_are_shown_grouped() {
        assert_eq!(
            display_amount(Decimal::new(2467500, 2), ' ', ','),
            "24 675,00"
        );
        assert_eq!(display_amount(Decimal::new(-123, 2), ' ', ','), "-1,23");
        assert_eq!(
            display_amount(Decimal::new(100000000, 2), '.', ','),
            "1.000.000,00"
        );
    }
}
