//! Fixed forms and printed boxes.
//!
//! A fixed form's type file names anchor texts and where they sit on a reference
//! sample; the anchors found on a page give the similarity transform (shift, scale,
//! rotation) from the reference onto the page, and each field's `zone` is mapped
//! through it, so shifted, scaled or slightly turned scans still line up. Fields read
//! from boxes (checkbox, signature, choice) take the box in their zone, or the box
//! beside their label (a checkbox left or right of its text, a signature box under,
//! over or right of its caption).
//!
//! Known failure modes: a form with one anchor found is placed by shift and scale only
//! (no rotation); a box the detector missed leaves its field unread.

use crate::config::doctype::{FieldKind, FieldSpec, FormSpec};
use crate::text::marks::{Mark, MarkKind};
use crate::text::{area, intersection, Page};

use crate::text::layout::{find_phrase, union, LWord, Line};

/// Reference-sample pixels → page pixels: `x' = a·x − b·y + tx`, `y' = b·x + a·y + ty`.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    pub page: u32,
    a: f64,
    b: f64,
    tx: f64,
    ty: f64,
    /// Anchors found (their texts).
    pub found: Vec<String>,
    /// 0..1: how well the anchors agree with one transform (and how many were found).
    pub quality: f64,
}

impl Placement {
    pub fn map(&self, x: f64, y: f64) -> (f64, f64) {
        (
            self.a * x - self.b * y + self.tx,
            self.b * x + self.a * y + self.ty,
        )
    }

    /// The page box covering a reference box.
    pub fn map_box(&self, z: [f64; 4]) -> [u32; 4] {
        let corners = [
            self.map(z[0], z[1]),
            self.map(z[2], z[1]),
            self.map(z[0], z[3]),
            self.map(z[2], z[3]),
        ];
        let min = |f: fn(&(f64, f64)) -> f64| corners.iter().map(f).fold(f64::MAX, f64::min);
        let max = |f: fn(&(f64, f64)) -> f64| corners.iter().map(f).fold(f64::MIN, f64::max);
        [
            min(|c| c.0).max(0.0) as u32,
            min(|c| c.1).max(0.0) as u32,
            max(|c| c.0).max(0.0) as u32,
            max(|c| c.1).max(0.0) as u32,
        ]
    }

    pub fn scale(&self) -> f64 {
        self.a.hypot(self.b)
    }

    pub fn rotation_deg(&self) -> f64 {
        self.b.atan2(self.a).to_degrees()
    }
}

fn centre(b: [f64; 4]) -> (f64, f64) {
    ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0)
}

/// Where the form sits on the pages: the page with the most anchors found.
pub fn place(lines: &[Line], form: &FormSpec) -> Option<Placement> {
    let mut best: Option<Placement> = None;
    let mut pages: Vec<u32> = lines.iter().map(|l| l.page).collect();
    pages.dedup();
    for page in pages {
        // (reference box, page box, text) of each anchor found on this page.
        let mut pairs: Vec<([f64; 4], [f64; 4], String)> = Vec::new();
        for anchor in &form.anchors {
            let hit = find_phrase(lines, &anchor.tokens)
                .into_iter()
                .find(|(li, ..)| lines[*li].page == page);
            if let Some((li, s, e, _)) = hit {
                let b = union(&lines[li].words[s..e]);
                pairs.push((anchor.bbox, b.map(f64::from), anchor.text.clone()));
            }
        }
        let p = match pairs.len() {
            0 => continue,
            1 => {
                let (r, q, _) = &pairs[0];
                let s = (q[2] - q[0]) / (r[2] - r[0]).max(1.0);
                let (rc, qc) = (centre(*r), centre(*q));
                Placement {
                    page,
                    a: s,
                    b: 0.0,
                    tx: qc.0 - s * rc.0,
                    ty: qc.1 - s * rc.1,
                    found: vec![pairs[0].2.clone()],
                    quality: 0.9,
                }
            }
            _ => fit(page, &pairs),
        };
        if best
            .as_ref()
            .is_none_or(|b| (p.found.len(), p.quality) > (b.found.len(), b.quality))
        {
            best = Some(p);
        }
    }
    best
}

/// Least-squares similarity transform through the anchors' centres.
fn fit(page: u32, pairs: &[([f64; 4], [f64; 4], String)]) -> Placement {
    let n = pairs.len() as f64;
    let (mut rx, mut ry, mut qx, mut qy) = (0.0, 0.0, 0.0, 0.0);
    for (r, q, _) in pairs {
        let (a, b) = (centre(*r), centre(*q));
        rx += a.0 / n;
        ry += a.1 / n;
        qx += b.0 / n;
        qy += b.1 / n;
    }
    let (mut num_a, mut num_b, mut den) = (0.0, 0.0, 0.0);
    for (r, q, _) in pairs {
        let (a, b) = (centre(*r), centre(*q));
        let (px, py, sx, sy) = (a.0 - rx, a.1 - ry, b.0 - qx, b.1 - qy);
        num_a += px * sx + py * sy;
        num_b += px * sy - py * sx;
        den += px * px + py * py;
    }
    let (a, b) = if den > 0.0 {
        (num_a / den, num_b / den)
    } else {
        (1.0, 0.0)
    };
    let mut p = Placement {
        page,
        a,
        b,
        tx: qx - (a * rx - b * ry),
        ty: qy - (b * rx + a * ry),
        found: pairs.iter().map(|x| x.2.clone()).collect(),
        quality: 1.0,
    };
    // Anchors that disagree with one transform (a misread, the wrong form): the worst
    // residual against the anchors' own heights.
    let worst = pairs
        .iter()
        .map(|(r, q, _)| {
            let (mx, my) = p.map(centre(*r).0, centre(*r).1);
            let (cx, cy) = centre(*q);
            (mx - cx).hypot(my - cy) / (q[3] - q[1]).max(1.0)
        })
        .fold(0.0, f64::max);
    let scale_ok = (0.5..=2.0).contains(&p.scale()) && p.rotation_deg().abs() <= 10.0;
    p.quality = if !scale_ok {
        0.3
    } else if worst <= 1.0 {
        1.0
    } else {
        (1.0 / worst).max(0.3)
    };
    p
}

/// The words of `page` whose centre lies in `zone`, line by line.
pub fn words_in_zone(lines: &[Line], page: u32, zone: [u32; 4]) -> Vec<LWord> {
    lines_in_zone(lines, page, zone)
        .into_iter()
        .flat_map(|l| l.words)
        .collect()
}

/// The page's lines cut to the words whose centre lies inside `zone` (a fixed form's
/// field area); lines with none left are dropped.
pub fn lines_in_zone(lines: &[Line], page: u32, zone: [u32; 4]) -> Vec<Line> {
    let inside = |w: &LWord| {
        let cx = (w.bbox[0] + w.bbox[2]) / 2;
        let cy = (w.bbox[1] + w.bbox[3]) / 2;
        cx >= zone[0] && cx < zone[2] && cy >= zone[1] && cy < zone[3]
    };
    lines
        .iter()
        .filter(|l| l.page == page)
        .filter_map(|l| {
            let (words, segment): (Vec<LWord>, Vec<usize>) = l
                .words
                .iter()
                .zip(&l.segment)
                .filter(|(w, _)| inside(w))
                .map(|(w, s)| (w.clone(), *s))
                .unzip();
            (!words.is_empty()).then(|| Line {
                words,
                segment,
                ..l.clone()
            })
        })
        .collect()
}

/// A field read from a box: its value, confidence and the box.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxValue {
    pub value: String,
    /// What the box holds: "ticked", "empty", "signed", …
    pub raw: String,
    pub confidence: f64,
    pub page: u32,
    pub bbox: [u32; 4],
}

fn wanted(kind: FieldKind) -> MarkKind {
    if kind == FieldKind::Signature {
        MarkKind::Frame
    } else {
        MarkKind::Checkbox
    }
}

fn yes_no(m: &Mark, page: u32, factor: f64) -> BoxValue {
    BoxValue {
        value: m.state.is_marked().to_string(),
        raw: m.state.as_str().into(),
        confidence: m.confidence as f64 * factor,
        page,
        bbox: m.bbox,
    }
}

/// A checkbox or signature field in its zone: the box of that kind covering most of it.
pub fn mark_in_zone(page: &Page, kind: FieldKind, zone: [u32; 4], factor: f64) -> Option<BoxValue> {
    page.marks
        .iter()
        .filter(|m| m.kind == wanted(kind))
        .map(|m| (intersection(m.bbox, zone) / area(m.bbox).max(1.0), m))
        .filter(|(o, _)| *o >= 0.5)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, m)| yes_no(m, page.number, factor))
}

/// The checkbox printed just left (or right) of words at `b`, on their line.
fn box_beside(page: &Page, b: [u32; 4]) -> Option<&Mark> {
    let h = (b[3] - b[1]).max(1) as f64;
    let cy = (b[1] + b[3]) as f64 / 2.0;
    page.marks
        .iter()
        .filter(|m| m.kind == MarkKind::Checkbox)
        .filter(|m| {
            let my = (m.bbox[1] + m.bbox[3]) as f64 / 2.0;
            (my - cy).abs() <= 1.2 * h
        })
        .filter_map(|m| {
            let gap_left = b[0] as f64 - m.bbox[2] as f64;
            let gap_right = m.bbox[0] as f64 - b[2] as f64;
            let gap = if gap_left >= -h / 2.0 && gap_left <= 4.0 * h {
                gap_left
            } else if gap_right >= -h / 2.0 && gap_right <= 2.0 * h {
                // Right of the text counts less: that is usually the next option's box.
                gap_right + 2.0 * h
            } else {
                return None;
            };
            Some((gap, m))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, m)| m)
}

/// The signature box a caption at `b` names: under it, over it, or to its right.
fn frame_near(page: &Page, b: [u32; 4]) -> Option<&Mark> {
    let h = (b[3] - b[1]).max(1) as f64;
    page.marks
        .iter()
        .filter(|m| m.kind == MarkKind::Frame)
        .filter_map(|m| {
            let f = m.bbox.map(f64::from);
            let (x0, x1) = (b[0] as f64, b[2] as f64);
            let columns_meet = f[0] <= x1 + 2.0 * h && f[2] >= x0 - 2.0 * h;
            let below = f[1] - b[3] as f64;
            let above = b[1] as f64 - f[3];
            let right = f[0] - b[2] as f64;
            let rows_meet = f[1] <= b[3] as f64 && f[3] >= b[1] as f64;
            let inside = f[0] <= x0 && f[2] >= x1 && f[1] <= b[1] as f64 && f[3] >= b[3] as f64;
            let d = if inside {
                0.0
            } else if columns_meet && (-h..=4.0 * h).contains(&below) {
                below.max(0.0)
            } else if columns_meet && (-h..=3.0 * h).contains(&above) {
                above.max(0.0) + h
            } else if rows_meet && (-h..=6.0 * h).contains(&right) {
                right.max(0.0) + h
            } else {
                return None;
            };
            Some((d, m))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, m)| m)
}

/// A checkbox or signature field found by its label.
pub fn mark_by_label(
    page: &Page,
    kind: FieldKind,
    label: [u32; 4],
    factor: f64,
) -> Option<BoxValue> {
    let m = if kind == FieldKind::Signature {
        frame_near(page, label)
    } else {
        box_beside(page, label)
    }?;
    Some(yes_no(m, page.number, factor))
}

/// A `choice` field: the option whose box is marked. With several marked, the most
/// inked wins at low confidence; with none marked there is no value.
pub fn choice(pages: &[Page], lines: &[Line], spec: &FieldSpec) -> Option<BoxValue> {
    // (option value, its box, the page, the text match quality)
    let mut seen: Vec<(&str, &Mark, u32, f64)> = Vec::new();
    for opt in &spec.options {
        let found = opt.labels.iter().find_map(|(_, toks)| {
            find_phrase(lines, toks)
                .into_iter()
                .find_map(|(li, s, e, q)| {
                    let line = &lines[li];
                    let page = pages.iter().find(|p| p.number == line.page)?;
                    box_beside(page, union(&line.words[s..e])).map(|m| (m, line.page, q))
                })
        });
        if let Some((m, page, q)) = found {
            if !seen.iter().any(|(_, other, ..)| std::ptr::eq(*other, m)) {
                seen.push((&opt.value, m, page, q));
            }
        }
    }
    let marked: Vec<&(&str, &Mark, u32, f64)> = seen
        .iter()
        .filter(|(_, m, ..)| m.state.is_marked())
        .collect();
    let (value, m, page, q) = *marked
        .iter()
        .max_by(|a, b| a.1.ink.total_cmp(&b.1.ink))
        .copied()?;
    // Sure only if this box is surely marked and every other option's box surely empty.
    let others = seen
        .iter()
        .filter(|(v, ..)| *v != value)
        .map(|(_, o, ..)| o.confidence as f64)
        .fold(1.0, f64::min);
    let missing = spec.options.len() - seen.len();
    // The option's text read with a misread letter is still that option among a few.
    let mut confidence = (m.confidence as f64).min(others) * (1.0 - (1.0 - q) / 3.0);
    if marked.len() > 1 {
        confidence = confidence.min(0.3);
    }
    if missing > 0 {
        // An option whose box was not found might be the marked one.
        confidence *= 0.8;
    }
    Some(BoxValue {
        value: value.to_string(),
        raw: m.state.as_str().into(),
        confidence,
        page,
        bbox: m.bbox,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::doctype::AnchorSpec;

    fn anchor(text: &str, b: [f64; 4]) -> AnchorSpec {
        AnchorSpec {
            text: text.into(),
            tokens: crate::config::doctype::label_tokens(text),
            bbox: b,
        }
    }

    #[test]
    fn anchors_give_shift_scale_and_turn() {
        // Reference: two anchors; page: the form shifted by (40, -20), scaled 1.1.
        let form = FormSpec {
            anchors: vec![
                anchor("BANK ACCOUNT CONFIRMATION", [300.0, 200.0, 1500.0, 260.0]),
                anchor("Form NSB-112", [1900.0, 120.0, 2250.0, 160.0]),
                anchor("NSB-112 rev. 2024", [300.0, 3300.0, 800.0, 3340.0]),
            ],
            anchor_weight: 3.0,
        };
        let map = |x: f64, y: f64| ((x * 1.1 + 40.0) as u32, (y * 1.1 - 20.0) as u32);
        let row = |text: &str, b: [f64; 4]| {
            let (x0, y0) = map(b[0], b[1]);
            let (x1, y1) = map(b[2], b[3]);
            let n = text.split(' ').count() as u32;
            let w = (x1 - x0) / n;
            let words: Vec<(u32, String)> = text
                .split(' ')
                .enumerate()
                .map(|(i, t)| (x0 + i as u32 * w, t.to_string()))
                .collect();
            (y0, y1, w, words)
        };
        let rows = [
            row("BANK ACCOUNT CONFIRMATION", form.anchors[0].bbox),
            row("Form NSB-112", form.anchors[1].bbox),
            row("NSB-112 rev. 2024", form.anchors[2].bbox),
        ];
        let mut words = Vec::new();
        for (li, (y0, y1, w, ws)) in rows.iter().enumerate() {
            for (x, t) in ws {
                words.push(crate::text::Word {
                    line: li as u32 + 1,
                    text: t.clone(),
                    conf: 0.95,
                    bbox: [*x, *y0, *x + w - 8, *y1],
                });
            }
        }
        let page = Page {
            number: 1,
            width: 2800,
            height: 3900,
            words,
            origin: crate::document::Origin::Ocr,
            transform: Default::default(),
            codes: Vec::new(),
            marks: Vec::new(),
        };
        let lines = crate::text::layout::lines(&page);
        let p = place(&lines, &form).expect("placed");
        assert_eq!(p.found.len(), 3);
        assert!((p.scale() - 1.1).abs() < 0.03, "scale {}", p.scale());
        assert!(p.rotation_deg().abs() < 1.0);
        let (x, y) = p.map(1000.0, 1000.0);
        assert!(
            (x - 1140.0).abs() < 25.0 && (y - 1080.0).abs() < 25.0,
            "{x} {y}"
        );
    }
}
