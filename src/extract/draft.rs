//! `mailroom form draft SAMPLE…`: a starting type file for a fixed form, written from
//! the words and boxes read on sample scans, so nobody writes coordinates by hand.
//!
//! Pure: a function of the samples' pages. The first sample is the reference whose
//! pixel coordinates the file uses. With several samples of the same form, text
//! printed on all of them is the form and the rest is filled-in values, which makes
//! anchors and zones much better; with one sample, captions are guessed from their
//! shape (`Label:`, `1 Label`, a caption in the corner of a ruled box).

use std::fmt::Write;

use crate::config::doctype::label_tokens;
use crate::text::marks::MarkKind;
use crate::text::Page;

use crate::text::layout::{self, LWord, Line};
use crate::values;

/// A line (or a run of it between wide gaps) of printed text.
#[derive(Debug, Clone)]
struct Run {
    words: Vec<LWord>,
    text: String,
    norm: String,
    bbox: [u32; 4],
    line: usize,
}

fn runs(lines: &[Line]) -> Vec<Run> {
    let mut out = Vec::new();
    for (li, line) in lines.iter().enumerate() {
        for words in line.segments() {
            if words.is_empty() {
                continue;
            }
            let text = words
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            out.push(Run {
                norm: label_tokens(&text).join(" "),
                bbox: layout::union(&words),
                text,
                words,
                line: li,
            });
        }
    }
    out
}

fn snake(text: &str) -> String {
    let toks: Vec<String> = label_tokens(text)
        .into_iter()
        .filter(|t| !t.chars().all(|c| c.is_ascii_digit()))
        .take(4)
        .map(|t| {
            t.chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect::<String>()
        })
        .collect();
    let s = toks.join("_");
    let s = s.trim_matches('_').to_string();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("field_{s}")
    } else {
        s
    }
}

/// A kind that fits the value text.
fn guess_kind(value: &str) -> &'static str {
    if values::find_iban(value).is_some_and(|f| values::iban_is_valid(&f.value)) {
        "iban"
    } else if values::parse_date(value, values::DateOrder::Dmy).is_some() {
        "date"
    } else if values::find_money(value)
        .iter()
        .any(|m| value[m.start..m.end].contains([',', '.']))
    {
        "money"
    } else if values::normalize_bic(value.trim()).is_some() && !value.contains(' ') {
        "bic"
    } else if values::find_number(value, false)
        .is_some_and(|f| f.start == 0 && f.end == value.len())
    {
        "number"
    } else {
        "text"
    }
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

fn pad(b: [u32; 4], x: u32, y: u32, page: &Page) -> [u32; 4] {
    [
        b[0].saturating_sub(x),
        b[1].saturating_sub(y),
        (b[2] + x).min(page.width),
        (b[3] + y).min(page.height),
    ]
}

/// The type file text. `samples` are the pages of each sample; the first page of the
/// first sample is the reference.
pub fn draft(name: &str, source: &str, samples: &[Vec<Page>]) -> String {
    let mut out = String::new();
    let Some(page) = samples.first().and_then(|s| s.first()) else {
        return "# no pages were read from the sample\n".into();
    };
    let lines = layout::lines(page);
    let all = runs(&lines);
    let others: Vec<Vec<Line>> = samples
        .iter()
        .skip(1)
        .filter_map(|s| s.first())
        .map(layout::lines)
        .collect();
    // Printed on every sample (allowing a misread letter): the form itself. With one
    // sample, everything might be.
    let printed = |r: &Run| {
        let toks = label_tokens(&r.text);
        others
            .iter()
            .all(|o| !layout::find_phrase(o, &toks).is_empty())
    };
    let unique = |r: &Run| all.iter().filter(|x| x.norm == r.norm).count() == 1;
    let h_med = {
        let mut hs: Vec<u32> = all.iter().map(|r| r.bbox[3] - r.bbox[1]).collect();
        hs.sort_unstable();
        hs.get(hs.len() / 2).copied().unwrap_or(30).max(1)
    };

    // Anchors: distinctive printed lines far apart (top, bottom, and the farthest
    // from both), so shift, scale and turn can all be measured.
    let good: Vec<&Run> = all
        .iter()
        .filter(|r| printed(r) && unique(r))
        .filter(|r| r.norm.len() >= 6 && r.words.len() >= 2)
        .filter(|r| r.words.iter().map(|w| w.conf).fold(1.0, f32::min) >= 0.8)
        .filter(|r| {
            let letters = r.text.chars().filter(|c| c.is_alphabetic()).count();
            letters * 2 > r.text.chars().count()
        })
        .collect();
    let mut anchors: Vec<&Run> = Vec::new();
    if let Some(top) = good
        .iter()
        .min_by_key(|r| (r.bbox[1], std::cmp::Reverse(r.bbox[3] - r.bbox[1])))
    {
        anchors.push(top);
    }
    if let Some(bottom) = good.iter().max_by_key(|r| r.bbox[3]) {
        if !anchors.iter().any(|a| std::ptr::eq(*a, *bottom)) {
            anchors.push(bottom);
        }
    }
    let centre = |r: &Run| {
        (
            (r.bbox[0] + r.bbox[2]) as f64 / 2.0,
            (r.bbox[1] + r.bbox[3]) as f64 / 2.0,
        )
    };
    if let Some(third) = good
        .iter()
        .filter(|r| !anchors.iter().any(|a| std::ptr::eq(*a, **r)))
        .max_by(|a, b| {
            // The widest triangle with the first two: it measures turn and scale best.
            let d = |r: &Run| {
                let (p, q, c) = (
                    centre(anchors[0]),
                    centre(anchors[anchors.len() - 1]),
                    centre(r),
                );
                ((q.0 - p.0) * (c.1 - p.1) - (c.0 - p.0) * (q.1 - p.1)).abs()
            };
            d(a).total_cmp(&d(b))
        })
    {
        anchors.push(third);
    }

    let _ = writeln!(out, "# Drafted by `mailroom form draft` from {source}.");
    let _ = writeln!(
        out,
        "# Coordinates are pixels of the reference page ({} x {}, normalised to 300 dpi).",
        page.width, page.height
    );
    let _ = writeln!(
        out,
        "# Check every anchor is printed on every copy of the form (not a filled-in"
    );
    let _ = writeln!(
        out,
        "# value), rename the fields, fix their kinds, and delete what you do not need."
    );
    if samples.len() < 2 {
        let _ = writeln!(
            out,
            "# Drafted from one sample: give several filled copies to tell form from values."
        );
    }
    let _ = writeln!(out, "name = {}", quoted(name));
    let _ = writeln!(
        out,
        "description = {}",
        quoted(&format!("Fixed form drafted from {source}"))
    );
    let _ = writeln!(out, "threshold = 0.90\n");
    let _ = writeln!(out, "[classify]\nmin_confidence = 0.6");
    let _ = writeln!(
        out,
        "# The anchors below count as cues too (form.anchor_weight each)."
    );
    let _ = writeln!(out, "cues = []\n");
    let _ = writeln!(out, "[form]\nanchors = [");
    for a in &anchors {
        let _ = writeln!(
            out,
            "  {{ text = {}, box = {:?} }},",
            quoted(&a.text),
            a.bbox
        );
    }
    let _ = writeln!(out, "]\n");

    // Fields: a caption and the value beside or under it; boxes.
    let caption_like = |r: &Run| {
        let first_num = r.words.len() >= 2
            && r.words[0]
                .text
                .trim_end_matches('.')
                .chars()
                .all(|c| c.is_ascii_digit());
        (r.text.ends_with(':') || first_num)
            && r.text.chars().filter(|c| c.is_alphabetic()).count() >= 3
    };
    let captions: Vec<&Run> = all
        .iter()
        .filter(|r| printed(r) && caption_like(r) && !anchors.iter().any(|a| std::ptr::eq(*a, *r)))
        .collect();
    let is_caption = |r: &Run| captions.iter().any(|c| std::ptr::eq(*c, r));
    let mut used_names: Vec<String> = Vec::new();
    let mut name_for = |base: String| {
        let mut n = base.clone();
        let mut i = 2;
        while used_names.contains(&n) {
            n = format!("{base}_{i}");
            i += 1;
        }
        used_names.push(n.clone());
        n
    };
    for cap in &captions {
        // Right of it on the same line, else the next run below in its column.
        let right = all.iter().find(|r| {
            r.line == cap.line
                && r.bbox[0] > cap.bbox[2]
                && !is_caption(r)
                && (others.is_empty() || !printed(r))
        });
        let below = || {
            all.iter()
                .filter(|r| {
                    r.bbox[1] > cap.bbox[1]
                        && r.bbox[1] < cap.bbox[3] + 3 * h_med
                        && r.bbox[0] < cap.bbox[2] + h_med
                        && r.bbox[2] > cap.bbox[0].saturating_sub(h_med)
                        && !is_caption(r)
                        && (others.is_empty() || !printed(r))
                })
                .min_by_key(|r| r.bbox[1])
        };
        let Some(value) = right.or_else(below) else {
            continue;
        };
        let field = name_for(snake(cap.text.trim_end_matches(':')));
        // Values vary in length: the zone reaches to the frame around it, or well right.
        let frame = page.marks.iter().find(|m| {
            m.kind == MarkKind::Frame
                && m.bbox[0] <= value.bbox[0]
                && m.bbox[2] >= value.bbox[2]
                && m.bbox[1] <= value.bbox[1]
                && m.bbox[3] >= value.bbox[3]
        });
        let zone = match frame {
            Some(f) => [
                f.bbox[0] + 4,
                value.bbox[1].saturating_sub(h_med / 2).max(cap.bbox[3]),
                f.bbox[2] - 4,
                f.bbox[3] - 4,
            ],
            None => {
                let b = pad(value.bbox, h_med, h_med / 2, page);
                [b[0], b[1], (b[2] + 8 * h_med).min(page.width), b[3]]
            }
        };
        let _ = writeln!(
            out,
            "# caption {} at {:?}; read on the sample: {}",
            quoted(&cap.text),
            cap.bbox,
            quoted(&value.text)
        );
        let _ = writeln!(
            out,
            "[[fields]]\nname = {}\nkind = {}\nzone = {:?}\n",
            quoted(&field),
            quoted(guess_kind(&value.text)),
            zone
        );
    }
    for m in &page.marks {
        // The words right of the box on its row (OCR may read the box itself as a letter).
        let cy = (m.bbox[1] + m.bbox[3]) / 2;
        let right_words: Vec<&LWord> = lines
            .iter()
            .filter(|l| l.top() <= cy && l.bottom() >= cy)
            .flat_map(|l| l.words.iter())
            .filter(|w| {
                w.bbox[0] >= m.bbox[2].saturating_sub(4) && w.bbox[0] <= m.bbox[2] + 30 * h_med
            })
            .take(6)
            .collect();
        let right_text = right_words
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let text_right = (!right_words.is_empty()).then(|| Run {
            words: right_words.iter().map(|w| (*w).clone()).collect(),
            norm: label_tokens(&right_text).join(" "),
            bbox: [m.bbox[2], m.bbox[1], m.bbox[2], m.bbox[3]],
            text: right_text,
            line: 0,
        });
        let inside = all
            .iter()
            .filter(|r| {
                r.bbox[0] >= m.bbox[0]
                    && r.bbox[2] <= m.bbox[2]
                    && r.bbox[1] >= m.bbox[1]
                    && r.bbox[3] <= m.bbox[3]
            })
            .min_by_key(|r| r.bbox[1]);
        let (kind, label) = match m.kind {
            MarkKind::Checkbox => ("checkbox", text_right.as_ref()),
            MarkKind::Frame => {
                let sig = |r: &&Run| {
                    ["signature", "signed", "underskrift", "unterschrift", "sign"]
                        .iter()
                        .any(|k| r.norm.contains(k))
                };
                let near = all
                    .iter()
                    .filter(|r| {
                        r.bbox[3] + 2 * h_med >= m.bbox[1]
                            && r.bbox[1] <= m.bbox[3] + 2 * h_med
                            && r.bbox[0] < m.bbox[2]
                            && r.bbox[2] > m.bbox[0]
                    })
                    .find(sig);
                match inside.filter(sig).or(near) {
                    Some(r) => ("signature", Some(r)),
                    None => continue,
                }
            }
        };
        let base = label.map_or_else(|| kind.to_string(), |r| snake(&r.text));
        let field = name_for(base);
        let _ = writeln!(
            out,
            "# {kind} at {:?}{} (on the sample: {:?})",
            m.bbox,
            label.map_or(String::new(), |r| format!(" beside {}", quoted(&r.text))),
            m.state
        );
        let _ = writeln!(
            out,
            "[[fields]]\nname = {}\nkind = {}\nzone = {:?}\n",
            quoted(&field),
            quoted(kind),
            pad(m.bbox, 12, 12, page)
        );
    }
    let _ = writeln!(
        out,
        "# Every line read on the reference sample (text, box, lowest word confidence):"
    );
    for r in &all {
        let conf = r.words.iter().map(|w| w.conf).fold(1.0, f32::min);
        let _ = writeln!(out, "#   {:<48} {:?} {:.2}", quoted(&r.text), r.bbox, conf);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_kinds_are_guessed() {
        assert_eq!(snake("1 Account holder"), "account_holder");
        assert_eq!(snake("Date account opened:"), "date_account_opened");
        assert_eq!(guess_kind("DK50 0040 0440 1162 43"), "iban");
        assert_eq!(guess_kind("14.03.2024"), "date");
        assert_eq!(guess_kind("12,345.67"), "money");
        assert_eq!(guess_kind("Acme Holding ApS"), "text");
    }
}
