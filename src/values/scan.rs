//! What every value parser shares: where a value may start and end in a line of
//! OCR'd text, and a regex scan that lets a rejected match uncover the next one.

use regex::{Captures, Regex};

/// Horizontal whitespace allowed between the parts of a value (OCR joins words
/// with single spaces; NBSP and narrow NBSP come from PDFs' text layers).
pub(super) const HS: &str = r"[ \t\u{A0}\u{202F}]";

pub(super) fn prev_char(t: &str, pos: usize) -> Option<char> {
    t[..pos].chars().next_back()
}

pub(super) fn next_char(t: &str, pos: usize) -> Option<char> {
    t[pos..].chars().next()
}

pub(super) fn char_len_at(t: &str, pos: usize) -> usize {
    next_char(t, pos).map_or(1, char::len_utf8)
}

/// True when a value starting at `pos` is really the tail of a longer token:
/// directly after a letter/digit, or after `-./,'` that itself follows a
/// letter/digit (`INV-2024`, `12.03.2024.5`), or after `:` following a digit
/// (the minutes of `10:30`).
pub(super) fn glued_before(t: &str, pos: usize) -> bool {
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
pub(super) fn glued_after(t: &str, pos: usize) -> bool {
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
pub(super) fn scan(re: &Regex, text: &str, mut accept: impl FnMut(&Captures<'_>) -> bool) {
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

pub(super) fn overlaps(spans: &[(usize, usize)], s: usize, e: usize) -> bool {
    spans.iter().any(|&(a, b)| s < b && a < e)
}
