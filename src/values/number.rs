//! Plain numbers (hours, quantities, percentages) in either decimal convention, and
//! the yes/no a person types for a box.

use std::sync::LazyLock;

use regex::Regex;
use rust_decimal::Decimal;

use super::Found;

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
mod tests {
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
