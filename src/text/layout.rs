//! Page geometry for the extractor: words grouped into visual lines, lines into
//! segments (runs of words separated by wide gaps, i.e. table columns), and label
//! matches on those lines.
//!
//! Tesseract's own block/line numbering splits a "label ......... value" row into two
//! blocks when the gap is wide, so lines are rebuilt here from word boxes alone.

use crate::config::doctype::normalize_token;
use crate::text::{Page, Word};

#[derive(Debug, Clone)]
pub struct LWord {
    pub text: String,
    /// `normalize_token(text)`.
    pub norm: String,
    pub conf: f32,
    pub bbox: [u32; 4],
}

#[derive(Debug, Clone)]
pub struct Line {
    pub page: u32,
    pub words: Vec<LWord>,
    /// Median word height: the unit for "near" and "far".
    pub height: f32,
    /// Index of the segment each word belongs to.
    pub segment: Vec<usize>,
}

impl Line {
    pub fn top(&self) -> u32 {
        self.words.iter().map(|w| w.bbox[1]).min().unwrap_or(0)
    }
    pub fn bottom(&self) -> u32 {
        self.words.iter().map(|w| w.bbox[3]).max().unwrap_or(0)
    }
    /// The line's segments (runs of words between wide gaps), left to right.
    pub fn segments(&self) -> Vec<Vec<LWord>> {
        let n = self.segment.last().copied().unwrap_or(0) + 1;
        let mut out = vec![Vec::new(); n];
        for (w, s) in self.words.iter().zip(&self.segment) {
            out[*s].push(w.clone());
        }
        out
    }

    pub fn text(&self, from: usize, to: usize) -> String {
        self.words[from..to]
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A page's lines, top to bottom.
pub fn lines(page: &Page) -> Vec<Line> {
    let words: Vec<&Word> = page
        .words
        .iter()
        .filter(|w| w.height() > 0 && !is_speck(&w.text))
        .collect();
    // Tesseract's own lines first: within a block it follows baselines, ascenders
    // and descenders better than any box arithmetic ("Fällig am": "am" sits lower).
    let mut tess_lines: Vec<Vec<&Word>> = Vec::new();
    for w in words {
        match tess_lines
            .iter_mut()
            .find(|l| w.line != 0 && l[0].line == w.line)
        {
            Some(l) => l.push(w),
            None => tess_lines.push(vec![w]),
        }
    }
    let band = |ws: &[&Word]| {
        let top = ws.iter().map(|w| w.bbox[1]).min().unwrap();
        let bottom = ws.iter().map(|w| w.bbox[3]).max().unwrap();
        (top as f32, bottom as f32)
    };
    tess_lines.sort_by(|a, b| {
        let (at, ab) = band(a);
        let (bt, bb) = band(b);
        (at + ab).total_cmp(&(bt + bb))
    });
    // Then lines of different blocks (a label column and a value column) that share a
    // row: their vertical extents overlap by most of the smaller one. Two columns
    // whose lines are offset by half a line overlap less and stay apart.
    let mut rows: Vec<Vec<&Word>> = Vec::new();
    for line in tess_lines {
        let (t, b) = band(&line);
        let joined = rows.iter_mut().rev().take(4).find(|row| {
            let (rt, rb) = band(row);
            let overlap = b.min(rb) - t.max(rt);
            overlap > 0.6 * (b - t).min(rb - rt).max(1.0)
        });
        match joined {
            Some(row) => row.extend(line),
            None => rows.push(line),
        }
    }
    let mut out: Vec<Line> = rows
        .into_iter()
        .map(|mut row| {
            row.sort_by_key(|w| w.bbox[0]);
            let mut hs: Vec<u32> = row.iter().map(|w| w.height()).collect();
            hs.sort_unstable();
            let height = hs[hs.len() / 2].max(1) as f32;
            let mut segment = Vec::with_capacity(row.len());
            let mut seg = 0;
            for (i, w) in row.iter().enumerate() {
                if i > 0 {
                    let gap = w.bbox[0] as f32 - row[i - 1].bbox[2] as f32;
                    // Word spacing is ~0.3–0.6 × x-height; columns are far wider.
                    if gap > 1.6 * height {
                        seg += 1;
                    }
                }
                segment.push(seg);
            }
            Line {
                page: page.number,
                words: row
                    .iter()
                    .map(|w| LWord {
                        text: w.text.clone(),
                        norm: normalize_token(&w.text),
                        conf: w.conf,
                        bbox: w.bbox,
                    })
                    .collect(),
                height,
                segment,
            }
        })
        .collect();
    out.sort_by_key(|l| (l.top() + l.bottom()) / 2);
    out
}

/// Stand-alone punctuation that noise and scanner dust turn into "words" (`:`, `.`,
/// `'`, `„`): they split rows and columns that are really one. Symbols that carry
/// meaning on an invoice (`#`, `%`, `&`, currency signs) are kept.
fn is_speck(text: &str) -> bool {
    !text
        .chars()
        .any(|c| c.is_alphanumeric() || matches!(c, '#' | '%' | '&' | '€' | '£' | '$' | '¥'))
}

/// Union of word boxes.
pub fn union(words: &[LWord]) -> [u32; 4] {
    let mut b = [u32::MAX, u32::MAX, 0, 0];
    for w in words {
        b[0] = b[0].min(w.bbox[0]);
        b[1] = b[1].min(w.bbox[1]);
        b[2] = b[2].max(w.bbox[2]);
        b[3] = b[3].max(w.bbox[3]);
    }
    b
}

/// Levenshtein distance, for labels misread by one or two letters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + (ca != cb) as usize)
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Where a phrase (label tokens) is printed: (line index, first word, end word,
/// match quality) for every place it matches, best first.
pub fn find_phrase(lines: &[Line], phrase: &[String]) -> Vec<(usize, usize, usize, f64)> {
    let mut out = Vec::new();
    if phrase.is_empty() {
        return out;
    }
    for (li, line) in lines.iter().enumerate() {
        for s in 0..line.words.len() {
            let e = s + phrase.len();
            if e > line.words.len() {
                break;
            }
            let q: f64 = phrase
                .iter()
                .zip(&line.words[s..e])
                .map(|(p, w)| token_match(&w.norm, p))
                .product();
            if q > 0.0 {
                out.push((li, s, e, q));
            }
        }
    }
    out.sort_by(|a, b| b.3.total_cmp(&a.3));
    out
}

/// How well an OCR'd token matches a label token: 1.0 exact, 0.9 for one or two
/// misread letters in a long word, 0 otherwise.
pub fn token_match(word: &str, label: &str) -> f64 {
    if word == label {
        return 1.0;
    }
    if close(word, label) {
        return 0.9;
    }
    // OCR drops and swaps diacritics ("Lonendring" for "Lønændring"): compare the
    // letters without them, with the same allowance. Plain ASCII has none to drop
    // (most words of most pages: this is called for every word and label).
    if word.is_ascii() && label.is_ascii() {
        return 0.0;
    }
    let (w, l) = (fold(word), fold(label));
    if (w != word || l != label) && (w == l || close(&w, &l)) {
        0.9
    } else {
        0.0
    }
}

/// One or two misread letters in a long word, not a different word: "fakturanf" is
/// "fakturanr", "faktura" is not.
fn close(word: &str, label: &str) -> bool {
    let n = label.chars().count();
    if word.chars().count().abs_diff(n) > 1 {
        return false;
    }
    let allowed = match n {
        0..=4 => 0,
        5..=10 => 1,
        _ => 2,
    };
    allowed > 0 && letters_apart(word, label) <= allowed && edit_distance(word, label) <= allowed
}

/// How many of one word's ASCII letters the other lacks, the larger way round: no
/// more than their edit distance, and cheap, so most words far from a label are told
/// apart without computing it. (Other characters are left out: fewer counted, still
/// no more than the distance.)
fn letters_apart(a: &str, b: &str) -> usize {
    let mut count = [0i32; 128];
    for c in a.bytes().filter(u8::is_ascii) {
        count[c as usize] += 1;
    }
    for c in b.bytes().filter(u8::is_ascii) {
        count[c as usize] -= 1;
    }
    let (more, fewer) = count.iter().fold((0, 0), |(m, f), &n| {
        (m + n.max(0) as usize, f + (-n).max(0) as usize)
    });
    more.max(fewer)
}

/// Lower-case letters without diacritics: æ → ae, ø → o, ß → ss, é → e.
fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            'æ' => out.push_str("ae"),
            'ø' | 'ö' | 'ó' | 'ò' | 'ô' => out.push('o'),
            'å' | 'ä' | 'á' | 'à' | 'â' => out.push('a'),
            'ü' | 'ú' | 'ù' | 'û' => out.push('u'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'ß' => out.push_str("ss"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Origin;

    fn w(text: &str, x: u32, y: u32) -> Word {
        Word {
            line: 0,
            text: text.into(),
            conf: 0.9,
            bbox: [x, y, x + 20 * text.len() as u32, y + 40],
        }
    }

    /// The letter count that rules most words out first is never more than the edit
    /// distance, so a label one or two letters off is still found.
    #[test]
    fn letters_apart_is_no_more_than_the_edit_distance() {
        let words = [
            "fakturanr",
            "fakturanf",
            "faktura",
            "rechnungsnummer",
            "rechnungsnumer",
            "lønændring",
            "lonendring",
            "invoice#",
            "invoice",
            "ovnicei",
            "datum",
            "date",
            "moms",
            "beløb",
            "ust-idnr.",
            "ust.-id",
            "",
        ];
        for a in words {
            for b in words {
                assert!(letters_apart(a, b) <= edit_distance(a, b), "{a} {b}");
            }
        }
        assert_eq!(letters_apart("ovnicei", "invoice"), 0);
        assert_eq!(letters_apart("faktura", "fakturanr"), 2);
        assert_eq!(token_match("fakturanf", "fakturanr"), 0.9);
        assert_eq!(token_match("Lonendring", "Lønændring"), 0.9);
        assert_eq!(token_match("invoice", "faktura"), 0.0);
    }

    #[test]
    fn rebuilds_lines_and_segments() {
        let page = Page {
            number: 1,
            width: 2480,
            height: 3508,
            origin: Origin::Ocr,
            transform: Default::default(),
            words: vec![
                w("2024-118", 1500, 203),
                w("Fakturanr.:", 100, 200),
                w("Dato:", 100, 300),
                w("14.", 1500, 298),
                w("marts", 1580, 301),
                w("2024", 1700, 300),
            ],
            codes: Vec::new(),
            marks: Vec::new(),
        };
        let ls = lines(&page);
        assert_eq!(ls.len(), 2);
        assert_eq!(ls[0].text(0, 2), "Fakturanr.: 2024-118");
        assert_eq!(ls[0].segment, vec![0, 1]);
        assert_eq!(ls[1].text(1, 4), "14. marts 2024");
        assert_eq!(ls[1].segment, vec![0, 1, 1, 1]);
    }

    #[test]
    fn fuzzy_tokens() {
        assert_eq!(token_match("fakturanr", "fakturanr"), 1.0);
        assert_eq!(token_match("fakturanf", "fakturanr"), 0.9);
        assert_eq!(token_match("dato", "date"), 0.0);
    }
}
