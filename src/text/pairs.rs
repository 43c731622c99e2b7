//! Label–value pairs found on a page without knowing its labels.
//!
//! Extraction knows the labels its type files list; suppliers print others ("Your
//! order ref.", "Leistungsdatum", "Rg.-Nr."). This finds the places where *some* label
//! stands with *some* value, by layout alone, so that a label nobody listed can still be
//! matched to a field by how much it is like that field's labels
//! (`extract::similar`), and so that a `null` the page contradicts can be seen
//! (`validate::null_contradicted`).
//!
//! # Arrangements
//! - **colon**: a key of one to five words ending in a colon, the value after it up to
//!   the end of its segment (or the next segment, when the key ends its own);
//!   several pairs on one row are read one after the other (`Fakturanr.: 118 Dato: 5.3.`).
//! - **beside**: a short segment of words without digits, then, after a column gap on
//!   the same row, a segment that holds a digit (`Leistungsdatum      05.03.2024`).
//! - **above**: a short segment of words without digits with nothing to its right but
//!   other such segments (a row of small labels, or a column header), and the segment
//!   right under it on the next row that overlaps it (`Kundennummer` over `009420`).
//! - **column**: the same under a row of three or more such headings, which is a
//!   table's header: the value is the column's first cell (`Beløb` over `1.234,50`),
//!   not a field of the document.
//!
//! # Known failure modes
//! - A value two rows under its label (an address block under "Rechnungsempfänger") is
//!   not paired; only the row right under the key is looked at.
//! - Item-table rows pair a description with its first number ("Freight  2  40.00"):
//!   such pairs are noise here, and are told from labels only by the key's similarity
//!   to a field's labels downstream.
//! - A key split over two rows is two keys.

use crate::text::layout::{union, LWord, Line};

/// How a key and its value sit on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrangement {
    Colon,
    Beside,
    Above,
    /// Under a heading of a row of three or more headings: a table's column header
    /// over its first cell.
    Column,
}

impl Arrangement {
    pub fn as_str(self) -> &'static str {
        match self {
            Arrangement::Colon => "colon",
            Arrangement::Beside => "beside",
            Arrangement::Above => "above",
            Arrangement::Column => "column",
        }
    }
}

/// One key and the value printed with it.
#[derive(Debug, Clone)]
pub struct KeyValue {
    pub page: u32,
    /// Index of the key's line in the lines given to [`find`].
    pub line: usize,
    pub key: Vec<LWord>,
    pub value: Vec<LWord>,
    pub arrangement: Arrangement,
}

impl KeyValue {
    /// The key's normalised tokens, without empty ones (a lone `:`).
    pub fn key_tokens(&self) -> Vec<String> {
        tokens(&self.key)
    }

    pub fn key_text(&self) -> String {
        text_of(&self.key)
    }

    pub fn value_text(&self) -> String {
        text_of(&self.value)
    }

    /// The pair as printed: `Your order ref.: PO-88812`.
    pub fn text(&self) -> String {
        format!("{} {}", self.key_text(), self.value_text())
    }

    pub fn key_box(&self) -> [u32; 4] {
        union(&self.key)
    }
}

/// The words as printed, one space apart.
pub fn text_of(words: &[LWord]) -> String {
    words
        .iter()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Longest key, in words.
const MAX_KEY_WORDS: usize = 5;
/// Longest key of a pair found by layout alone (no colon), in words.
const MAX_BARE_KEY_WORDS: usize = 4;
/// Longest value of a `beside` pair, in words.
const MAX_VALUE_WORDS: usize = 8;

/// The normalised tokens of `words` (as a key's, for label matching), empty ones left out.
pub fn tokens(words: &[LWord]) -> Vec<String> {
    words
        .iter()
        .map(|w| w.norm.clone())
        .filter(|t| !t.is_empty())
        .collect()
}

/// Every pair on the lines, in reading order.
pub fn find(lines: &[Line]) -> Vec<KeyValue> {
    let mut out = Vec::new();
    for (li, line) in lines.iter().enumerate() {
        let segments = segment_ranges(line);
        let mut taken = vec![false; line.words.len()];
        colon_pairs(lines, li, &segments, &mut taken, &mut out);
        // Three or more headings over a row of values: a table's columns, unless the
        // row is alone and starts with a number (a key/value grid in the header:
        // "Customer no. | Your reference | Date" over "C-20417 | 4500071236 | 16/11").
        let header_row = segments.len() >= 3
            && segments.iter().all(|&(s, e)| label_like(&line.words[s..e]))
            && (more_rows_below(lines, li + 1, line.height)
                || lines.get(li + 1).is_none_or(|values| {
                    segment_ranges(values)
                        .first()
                        .is_none_or(|&(s, e)| !has_digit(&values.words[s..e]))
                }));
        for (si, &(s, e)) in segments.iter().enumerate() {
            if taken[s..e].iter().any(|t| *t) || !label_like(&line.words[s..e]) {
                continue;
            }
            match segments.get(si + 1) {
                Some(&(vs, ve))
                    if !taken[vs..ve].iter().any(|t| *t) && !label_like(&line.words[vs..ve]) =>
                {
                    let value = &line.words[vs..ve];
                    if value.len() <= MAX_VALUE_WORDS && has_digit(value) {
                        out.push(KeyValue {
                            page: line.page,
                            line: li,
                            key: line.words[s..e].to_vec(),
                            value: value.to_vec(),
                            arrangement: Arrangement::Beside,
                        });
                    }
                }
                _ => {
                    if let Some(value) = under(lines, li, union(&line.words[s..e])) {
                        out.push(KeyValue {
                            page: line.page,
                            line: li,
                            key: line.words[s..e].to_vec(),
                            value,
                            arrangement: if header_row {
                                Arrangement::Column
                            } else {
                                Arrangement::Above
                            },
                        });
                    }
                }
            }
        }
    }
    headings_over_values(lines, &mut out);
    out
}

/// A row of headings over one row of values, cut by the values' columns: headings
/// printed close together ("ACCOUNT NO. YOUR ORDER REF.") are one segment of their row,
/// but the values under them are apart, and each value takes the heading words over its
/// own column. A row of headings over several rows of values is a table: `Column`.
fn headings_over_values(lines: &[Line], out: &mut Vec<KeyValue>) {
    for li in 0..lines.len().saturating_sub(1) {
        let (heads, values) = (&lines[li], &lines[li + 1]);
        let h = heads.height;
        if values.page != heads.page
            || values.top() as f32 > heads.bottom() as f32 + 1.5 * h
            || heads.words.len() < 2
            || has_digit(&heads.words)
        {
            continue;
        }
        let segs = segment_ranges(values);
        if segs.len() < 2 {
            continue;
        }
        let table = more_rows_below(lines, li + 1, h);
        for (i, &(s, e)) in segs.iter().enumerate() {
            let value = &values.words[s..e];
            if !has_digit(value) || value.len() > MAX_VALUE_WORDS {
                continue;
            }
            // Headings start where their column starts: a word belongs to the value
            // whose left edge is the last one at or before the word's (with half a
            // line's slack).
            let start_of = |j: usize| values.words[segs[j].0].bbox[0] as f32 - 0.5 * h;
            let from = if i == 0 {
                start_of(0) - 2.5 * h
            } else {
                start_of(i)
            };
            let to = if i + 1 < segs.len() {
                start_of(i + 1)
            } else {
                f32::INFINITY
            };
            let key: Vec<LWord> = heads
                .words
                .iter()
                .filter(|w| (from..to).contains(&(w.bbox[0] as f32)))
                .cloned()
                .collect();
            if key.is_empty()
                || key.len() > MAX_KEY_WORDS
                || !key
                    .iter()
                    .any(|w| w.text.chars().filter(|c| c.is_alphabetic()).count() >= 2)
            {
                continue;
            }
            let seen = out.iter().any(|p| {
                p.page == values.page && p.value.first().map(|w| w.bbox) == Some(value[0].bbox)
            });
            if !seen {
                out.push(KeyValue {
                    page: heads.page,
                    line: li,
                    key,
                    value: value.to_vec(),
                    arrangement: if table {
                        Arrangement::Column
                    } else {
                        Arrangement::Above
                    },
                });
            }
        }
    }
}

/// Is the row after the values row `vi` another row of values (two cells or more with
/// digits, within a line and a half of height `h`)? Then the heading heads a table.
fn more_rows_below(lines: &[Line], vi: usize, h: f32) -> bool {
    let (Some(values), Some(next)) = (lines.get(vi), lines.get(vi + 1)) else {
        return false;
    };
    next.page == values.page
        && next.top() as f32 <= values.bottom() as f32 + 1.5 * h
        && segment_ranges(next)
            .iter()
            .filter(|&&(s, e)| has_digit(&next.words[s..e]))
            .count()
            >= 2
}

/// `[start, end)` word ranges of a line's segments, left to right.
fn segment_ranges(line: &Line) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (i, s) in line.segment.iter().enumerate() {
        match out.last_mut() {
            Some(r) if line.segment[r.0] == *s => r.1 = i + 1,
            _ => out.push((i, i + 1)),
        }
    }
    out
}

fn colon_pairs(
    lines: &[Line],
    li: usize,
    segments: &[(usize, usize)],
    taken: &mut [bool],
    out: &mut Vec<KeyValue>,
) {
    let line = &lines[li];
    for &(s, e) in segments {
        let mut start = s;
        let mut i = s;
        while i < e {
            let w = &line.words[i];
            if !is_key_end(w) || i + 1 - start > MAX_KEY_WORDS {
                i += 1;
                continue;
            }
            let key = &line.words[start..=i];
            if !key.iter().any(|w| w.text.chars().any(char::is_alphabetic)) {
                i += 1;
                continue;
            }
            // The value: the rest of the segment up to the next key, else the next
            // segment on the row, else the segment under the key.
            let (value, end): (Vec<LWord>, usize) = if i + 1 < e {
                let mut end = i + 1;
                while end < e && !(end > i + 1 && next_key_starts(line, end, e)) {
                    end += 1;
                }
                (line.words[i + 1..end].to_vec(), end)
            } else if let Some(&(vs, ve)) = segments.iter().find(|r| r.0 == e) {
                let mut end = vs;
                while end < ve && !(end > vs && next_key_starts(line, end, ve)) {
                    end += 1;
                }
                taken[vs..end].iter_mut().for_each(|t| *t = true);
                (line.words[vs..end].to_vec(), e)
            } else {
                match under(lines, li, union(key)) {
                    Some(v) => (v, e),
                    None => (Vec::new(), e),
                }
            };
            taken[start..end.min(e)].iter_mut().for_each(|t| *t = true);
            if !value.is_empty() {
                out.push(KeyValue {
                    page: line.page,
                    line: li,
                    key: key.to_vec(),
                    value,
                    arrangement: Arrangement::Colon,
                });
            }
            start = end.min(e);
            i = start;
        }
    }
}

/// A word that ends a key: `ref.:`, `Dato:`, or a lone `:` after the key's words.
fn is_key_end(w: &LWord) -> bool {
    w.text.ends_with(':') && !w.text.ends_with("::")
}

/// Does a new `key:` start at word `at` (a key end within the next few words, the words
/// before it being letters)?
fn next_key_starts(line: &Line, at: usize, end: usize) -> bool {
    (at..end.min(at + MAX_KEY_WORDS))
        .find(|&j| is_key_end(&line.words[j]))
        .is_some_and(|j| {
            line.words[at..=j]
                .iter()
                .all(|w| !w.text.chars().any(|c| c.is_ascii_digit()))
        })
}

/// Words that may be a key: one to four, with letters and no digits, not a sentence.
fn label_like(words: &[LWord]) -> bool {
    !words.is_empty()
        && words.len() <= MAX_BARE_KEY_WORDS
        && words
            .iter()
            .any(|w| w.text.chars().filter(|c| c.is_alphabetic()).count() >= 2)
        && !has_digit(words)
        && !words
            .last()
            .is_some_and(|w| w.text.ends_with(['.', '!', '?']) && words.len() > 2)
}

fn has_digit(words: &[LWord]) -> bool {
    words
        .iter()
        .any(|w| w.text.chars().any(|c| c.is_ascii_digit()))
}

/// The segment on the row right under `key_box` that overlaps it the most, when it
/// starts within two and a half line heights.
fn under(lines: &[Line], li: usize, key_box: [u32; 4]) -> Option<Vec<LWord>> {
    let line = &lines[li];
    let next = lines.get(li + 1)?;
    let h = line.height;
    if next.page != line.page || next.top() as f32 > key_box[3] as f32 + 2.5 * h {
        return None;
    }
    let (x0, x1) = (key_box[0] as f32 - h, key_box[2] as f32 + h);
    segment_ranges(next)
        .into_iter()
        .map(|(s, e)| {
            let b = union(&next.words[s..e]);
            let overlap = (b[2] as f32).min(x1) - (b[0] as f32).max(x0);
            (s, e, overlap)
        })
        .filter(|(_, _, o)| *o > 0.0)
        .max_by(|a, b| a.2.total_cmp(&b.2))
        .map(|(s, e, _)| next.words[s..e].to_vec())
        .filter(|v| !v.iter().any(is_key_end) && v.len() <= MAX_VALUE_WORDS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::page;
    use crate::text::layout;

    fn found(rows: &[(u32, &[(u32, &str)])]) -> Vec<(String, String, Arrangement)> {
        find(&layout::lines(&page(rows)))
            .into_iter()
            .map(|p| (p.key_text(), p.value_text(), p.arrangement))
            .collect()
    }

    #[test]
    fn a_key_with_a_colon_takes_the_rest_of_its_segment() {
        assert_eq!(
            found(&[(
                300,
                &[
                    (200, "Your"),
                    (300, "order"),
                    (420, "ref.:"),
                    (560, "PO-88812")
                ]
            )]),
            [(
                "Your order ref.:".into(),
                "PO-88812".into(),
                Arrangement::Colon
            )]
        );
    }

    #[test]
    fn several_colon_pairs_on_one_row_are_read_in_turn() {
        assert_eq!(
            found(&[(300, &[(200, "Fakturanr.: 2024-118 Dato: 05.03.2024")])]),
            [
                ("Fakturanr.:".into(), "2024-118".into(), Arrangement::Colon),
                ("Dato:".into(), "05.03.2024".into(), Arrangement::Colon),
            ]
        );
    }

    #[test]
    fn a_label_and_a_value_across_a_column_gap_are_a_pair() {
        assert_eq!(
            found(&[(300, &[(200, "Leistungsdatum"), (1400, "05.03.2024")])]),
            [(
                "Leistungsdatum".into(),
                "05.03.2024".into(),
                Arrangement::Beside
            )]
        );
    }

    #[test]
    fn a_row_of_labels_pairs_each_with_the_value_under_it() {
        let got = found(&[
            (300, &[(200, "Kundennummer"), (900, "Rechnungsdatum")]),
            (360, &[(200, "009420"), (900, "05.03.2024")]),
        ]);
        assert_eq!(
            got,
            [
                ("Kundennummer".into(), "009420".into(), Arrangement::Above),
                (
                    "Rechnungsdatum".into(),
                    "05.03.2024".into(),
                    Arrangement::Above
                ),
            ]
        );
    }

    #[test]
    fn a_table_header_heads_columns() {
        let got = found(&[
            (
                300,
                &[
                    (150, "Beskrivelse"),
                    (1200, "Antal"),
                    (1600, "Pris"),
                    (2000, "Beløb"),
                ],
            ),
            (
                360,
                &[
                    (150, "Toner"),
                    (1200, "2"),
                    (1600, "617,25"),
                    (2000, "1.234,50"),
                ],
            ),
        ]);
        let heads: Vec<_> = got.iter().filter(|p| p.2 == Arrangement::Column).collect();
        assert_eq!(heads.len(), 4, "{got:?}");
        assert_eq!(heads[3].0, "Beløb");
        assert_eq!(heads[3].1, "1.234,50");
        // The row itself pairs its description with its first number: noise that only
        // a key's likeness to a field's labels tells from a label.
        assert!(got.iter().all(|p| p.2 != Arrangement::Above), "{got:?}");
    }

    #[test]
    fn headings_over_one_row_starting_with_a_number_are_a_key_value_grid() {
        let headings: (u32, &[(u32, &str)]) = (
            300,
            &[
                (200, "Cod. cliente"),
                (700, "Vs. riferimento"),
                (1200, "Data"),
            ],
        );
        let row: (u32, &[(u32, &str)]) = (
            360,
            &[(200, "C-20417"), (700, "4500071236"), (1200, "16/11/2026")],
        );
        let grid = found(&[headings, row]);
        assert!(
            grid.contains(&(
                "Vs. riferimento".into(),
                "4500071236".into(),
                Arrangement::Above
            )),
            "{grid:?}"
        );
        assert!(grid.iter().all(|p| p.2 != Arrangement::Column), "{grid:?}");
        // The same headings over two rows of values head a table.
        let next: (u32, &[(u32, &str)]) = (
            420,
            &[(200, "C-20418"), (700, "4500071237"), (1200, "17/11/2026")],
        );
        let table = found(&[headings, row, next]);
        assert!(
            table
                .iter()
                .any(|p| p.0 == "Vs. riferimento" && p.2 == Arrangement::Column),
            "{table:?}"
        );
    }

    #[test]
    fn headings_printed_close_together_are_cut_by_the_values_columns() {
        // One segment of headings ("ACCOUNT NO. YOUR ORDER REF." run together) over
        // values that stand apart: each value takes the words over its own column.
        let got = found(&[
            (960, &[(1099, "ACCOUNT NO."), (1351, "YOUR ORDER REF.")]),
            (1000, &[(1101, "396120"), (1353, "PO-25592")]),
            (1120, &[(202, "No."), (563, "Product"), (1806, "Rate")]),
        ]);
        assert!(
            got.contains(&(
                "YOUR ORDER REF.".into(),
                "PO-25592".into(),
                Arrangement::Above
            )),
            "{got:?}"
        );
        assert!(
            got.contains(&("ACCOUNT NO.".into(), "396120".into(), Arrangement::Above)),
            "{got:?}"
        );
    }

    #[test]
    fn sentences_and_lone_numbers_are_no_pairs() {
        let got = found(&[
            (300, &[(200, "Thank you for your business, see you soon.")]),
            (600, &[(200, "12345"), (900, "67890")]),
        ]);
        assert!(got.is_empty(), "{got:?}");
    }

    #[test]
    fn a_value_far_below_is_not_taken() {
        let got = found(&[(300, &[(200, "Bemerkungen")]), (700, &[(200, "4711")])]);
        assert!(got.is_empty(), "{got:?}");
    }
}
