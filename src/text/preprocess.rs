//! Page normalisation before OCR: grey, a sensible resolution, upright, straight.
//!
//! - Resolution: Tesseract reads best around 300 dpi. A page's resolution is taken
//!   from the file when it records a plausible one, otherwise estimated from its width
//!   assuming an A4/Letter page (8.27 in). 200 dpi scans are upsampled, 600 dpi scans
//!   downsampled: OCR time grows with pixels and gains nothing past ~300 dpi.
//! - Orientation: pages fed at 90/180/270° are detected by the engine (Tesseract OSD)
//!   and turned upright.
//! - Skew: found with Leptonica's projection search on a binarised copy; corrected
//!   when Leptonica is confident and the angle is large enough to matter.
//!
//!   When the file records no plausible resolution (none, or the 72 dpi cameras write)
//!   and the page is not A4-shaped or was cut from a background, the scale comes from
//!   the measured text instead: the median height of character-sized connected
//!   components is brought to what 300 dpi print has ([`char_height`]).
//! - Photographs: a bright sheet on a darker table is cut out ([`paper_rect`]) and the
//!   table left in the corners of its rectangle whitened, before anything else.
//! - Levels: a page whose paper level varies (shadow, lighting gradient) or whose ink is
//!   faded is background-normalised and stretched ([`levels`]); even, contrasty pages
//!   (every clean invoice) are left exactly as they were.
//! - Orientation: pages fed at 90/180/270° are detected by the engine (Tesseract OSD)
//!   and turned upright.
//! - Skew: found with Leptonica's projection search on a binarised copy; corrected
//!   when Leptonica is confident and the angle is large enough to matter (photographs:
//!   searched over ±12° rather than ±7°).
//!
//! Every decision is recorded in the [`Transform`] so [`apply`] rebuilds the same image.
//!
//! Known failure modes: a small receipt scanned on a full A4 bed is taken as A4 (width
//! estimate); OSD needs a few lines of text and leaves sparse pages as they are; a sheet
//! on a table as bright as the paper is not found (no crop; the text-size scale still
//! applies); keystone (perspective) is not corrected, so long photographed receipts
//! keep a slant at one end; a page of mostly large type (a poster) is scaled down.

use super::{OcrEngine, Pix, Transform};

#[derive(Debug, Clone)]
pub struct Options {
    pub target_dpi: u32,
    pub detect_orientation: bool,
    pub deskew: bool,
}

impl From<&crate::config::OcrConfig> for Options {
    fn from(c: &crate::config::OcrConfig) -> Self {
        Options {
            target_dpi: c.target_dpi,
            detect_orientation: c.detect_orientation,
            deskew: c.deskew,
        }
    }
}

/// A4 width in inches; a Letter page (8.5 in) is within the tolerance below.
const PAGE_WIDTH_IN: f32 = 8.27;
/// Skews smaller than this do not hurt Tesseract.
const MIN_DESKEW_DEG: f32 = 0.2;
/// Leptonica's own threshold for trusting a skew measurement.
const MIN_SKEW_CONF: f32 = 3.0;

/// The resolution the file records, when it is a plausible one: 72 dpi is what cameras
/// and many tools write when they know nothing, so it counts as unknown.
pub fn recorded_dpi(pix: &Pix) -> Option<u32> {
    let recorded = pix.x_resolution();
    ((100..=2400).contains(&recorded) && recorded != 72).then_some(recorded)
}

pub fn estimate_dpi(pix: &Pix) -> u32 {
    if let Some(recorded) = recorded_dpi(pix) {
        return recorded;
    }
    let portrait_width = pix.width().min(pix.height()) as f32;
    (portrait_width / PAGE_WIDTH_IN).round().max(1.0) as u32
}

/// Whether a page of this size could be an A4 or Letter sheet (height/width 1.29–1.41,
/// either way up), so that its width says its resolution.
fn page_shaped(w: u32, h: u32) -> bool {
    let r = w.max(h) as f32 / w.min(h).max(1) as f32;
    (1.22..=1.5).contains(&r)
}

/// Median character height (as [`char_height`] measures it, about the cap height) to
/// scale text of unknown resolution to: 26 px, the cap height of 9–10 pt print at
/// 300 dpi. Photographed receipts measure 14–17 px and are doubled, near enough.
const CHAR_HEIGHT_300: f32 = 26.0;

/// Side of the blocks [`paper_rect`] averages, as a share of the longer side.
const PAPER_BLOCKS: u32 = 120;

/// The bright sheet in a photograph: blocks are averaged, split into bright and dark
/// by Otsu's threshold, and the largest 4-connected bright region is the paper. Its
/// bounding rectangle `[x0, y0, x1, y1]`, one block wider, is returned only when there
/// is a clearly darker background all round it (most of the image border is dark) and
/// the sheet is a real part of the image; `None` for scans, where paper fills the frame.
pub fn paper_rect(gray: &[u8], w: u32, h: u32) -> Option<[u32; 4]> {
    let b = (w.max(h) / PAPER_BLOCKS).max(2);
    let (bw, bh) = (w / b, h / b);
    if bw < 8 || bh < 8 {
        return None;
    }
    let mut means = vec![0u8; (bw * bh) as usize];
    for by in 0..bh {
        for bx in 0..bw {
            let mut sum = 0u32;
            for y in by * b..(by + 1) * b {
                let row = &gray[(y * w + bx * b) as usize..(y * w + (bx + 1) * b) as usize];
                sum += row.iter().map(|&v| v as u32).sum::<u32>();
            }
            means[(by * bw + bx) as usize] = (sum / (b * b)) as u8;
        }
    }
    let t = otsu(&means);
    let bright: Vec<bool> = means.iter().map(|&m| m > t).collect();
    let (mut dark_sum, mut dark_n, mut light_sum, mut light_n) = (0u64, 0u64, 0u64, 0u64);
    for (&m, &l) in means.iter().zip(&bright) {
        if l {
            light_sum += m as u64;
            light_n += 1;
        } else {
            dark_sum += m as u64;
            dark_n += 1;
        }
    }
    if dark_n == 0 || light_n == 0 || light_sum / light_n < dark_sum / dark_n + 40 {
        return None;
    }
    // The border must be background: a scan's margins are paper.
    let border: Vec<usize> = (0..bw)
        .flat_map(|x| [x, (bh - 1) * bw + x])
        .chain((0..bh).flat_map(|y| [y * bw, y * bw + bw - 1]))
        .map(|i| i as usize)
        .collect();
    let dark_border = border.iter().filter(|&&i| !bright[i]).count();
    if dark_border * 10 < border.len() * 7 {
        return None;
    }
    // Largest 4-connected bright region.
    let mut seen = vec![false; bright.len()];
    let mut best: Option<(usize, [u32; 4])> = None;
    for start in 0..bright.len() {
        if !bright[start] || seen[start] {
            continue;
        }
        let (mut n, mut bb) = (0usize, [u32::MAX, u32::MAX, 0, 0]);
        let mut stack = vec![start];
        seen[start] = true;
        while let Some(i) = stack.pop() {
            n += 1;
            let (x, y) = (i as u32 % bw, i as u32 / bw);
            bb = [
                bb[0].min(x),
                bb[1].min(y),
                bb[2].max(x + 1),
                bb[3].max(y + 1),
            ];
            let mut push = |j: usize| {
                if bright[j] && !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            };
            if x > 0 {
                push(i - 1)
            }
            if x + 1 < bw {
                push(i + 1)
            }
            if y > 0 {
                push(i - bw as usize)
            }
            if y + 1 < bh {
                push(i + bw as usize)
            }
        }
        if best.is_none_or(|(m, _)| n > m) {
            best = Some((n, bb));
        }
    }
    let (n, bb) = best?;
    if n * 20 < bright.len() {
        return None;
    }
    Some([
        bb[0].saturating_sub(1) * b,
        bb[1].saturating_sub(1) * b,
        ((bb[2] + 1) * b).min(w),
        ((bb[3] + 1) * b).min(h),
    ])
}

/// Otsu's threshold of a set of grey levels: values above it are the bright class.
fn otsu(values: &[u8]) -> u8 {
    let mut hist = [0u64; 256];
    for &v in values {
        hist[v as usize] += 1;
    }
    let total = values.len() as f64;
    let sum_all: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &c)| i as f64 * c as f64)
        .sum();
    let (mut w0, mut sum0, mut best, mut best_t) = (0.0, 0.0, -1.0, 0u8);
    for (t, &c) in hist.iter().enumerate() {
        w0 += c as f64;
        sum0 += t as f64 * c as f64;
        let w1 = total - w0;
        if w0 == 0.0 || w1 == 0.0 {
            continue;
        }
        let (m0, m1) = (sum0 / w0, (sum_all - sum0) / w1);
        let between = w0 * w1 * (m0 - m1) * (m0 - m1);
        if between > best {
            best = between;
            best_t = t as u8;
        }
    }
    best_t
}

/// The paper's rectangle cut out of `pix`, with what lies outside the sheet in it (the
/// table in the corners of a turned receipt) painted white: pixels clearly darker than
/// the paper that connect to the rectangle's edge through such pixels, never print on
/// the sheet, which paper surrounds.
fn cut_paper(pix: &Pix, rect: [u32; 4]) -> Result<Pix, String> {
    let crop = pix.clip(rect)?;
    let (w, h) = (crop.width(), crop.height());
    let mut gray = crop.gray_bytes().ok_or("paper crop is not 8-bit")?;
    // Paper level: the 90th percentile; "table" is darker than 75 % of it.
    let mut sorted = gray.clone();
    let k = sorted.len() * 9 / 10;
    let paper = *sorted.select_nth_unstable(k).1 as u32;
    let dark = |v: u8| (v as u32) * 4 < paper * 3;
    let mut outside = vec![false; gray.len()];
    let mut stack: Vec<usize> = Vec::new();
    for x in 0..w {
        stack.extend([x as usize, ((h - 1) * w + x) as usize]);
    }
    for y in 0..h {
        stack.extend([(y * w) as usize, (y * w + w - 1) as usize]);
    }
    while let Some(i) = stack.pop() {
        if outside[i] || !dark(gray[i]) {
            continue;
        }
        outside[i] = true;
        let (x, y) = (i as u32 % w, i as u32 / w);
        if x > 0 {
            stack.push(i - 1)
        }
        if x + 1 < w {
            stack.push(i + 1)
        }
        if y > 0 {
            stack.push(i - w as usize)
        }
        if y + 1 < h {
            stack.push(i + w as usize)
        }
    }
    for (v, o) in gray.iter_mut().zip(&outside) {
        if *o {
            *v = paper as u8;
        }
    }
    let mut out = Pix::from_gray(w, h, &gray)?;
    out.set_resolution(pix.x_resolution());
    Ok(out)
}

/// Local paper level per `tile`×`tile` tile: its 90th percentile grey. Counted in a
/// histogram per tile (one pass over the pixels, no sort): the same level a sort would
/// give, for a fraction of the instructions on every page read.
fn tile_levels(gray: &[u8], w: u32, h: u32, tile: u32) -> Vec<(u32, u32, u8)> {
    let tiles_w = w.div_ceil(tile) as usize;
    let mut out = Vec::with_capacity(tiles_w * h.div_ceil(tile) as usize);
    let mut hist = vec![[0u32; 256]; tiles_w];
    for ty in 0..h.div_ceil(tile) {
        hist.iter_mut().for_each(|t| *t = [0; 256]);
        for y in ty * tile..((ty + 1) * tile).min(h) {
            let row = &gray[(y * w) as usize..((y + 1) * w) as usize];
            for (t, part) in hist.iter_mut().zip(row.chunks(tile as usize)) {
                for &v in part {
                    t[v as usize] += 1;
                }
            }
        }
        let rows = ((ty + 1) * tile).min(h) - ty * tile;
        for (tx, t) in hist.iter().enumerate() {
            let cols = ((tx as u32 + 1) * tile).min(w) - tx as u32 * tile;
            let k = (rows * cols) as usize * 9 / 10;
            out.push((tx as u32, ty, nth_smallest(t, k)));
        }
    }
    out
}

/// The value at index `k` of the sorted values counted in `hist` (as
/// `select_nth_unstable(k)` would find it).
fn nth_smallest(hist: &[u32; 256], k: usize) -> u8 {
    let mut seen = 0usize;
    for (v, &n) in hist.iter().enumerate() {
        seen += n as usize;
        if seen > k {
            return v as u8;
        }
    }
    255
}

/// Median height in pixels of the character-sized connected components of ink (pixels
/// darker than 65 % of their tile's paper level), 8-connected. `None` with fewer than
/// 40 such components: too little text to measure.
pub fn char_height(gray: &[u8], w: u32, h: u32) -> Option<f32> {
    const TILE: u32 = 32;
    let levels = tile_levels(gray, w, h, TILE);
    let tiles_w = w.div_ceil(TILE);
    let ink: Vec<bool> = (0..gray.len())
        .map(|i| {
            let (x, y) = (i as u32 % w, i as u32 / w);
            let bg = levels[((y / TILE) * tiles_w + x / TILE) as usize].2 as u32;
            (gray[i] as u32) * 100 < bg * 65
        })
        .collect();
    // Union-find labelling.
    let mut parent: Vec<u32> = (0..gray.len() as u32).collect();
    fn find(p: &mut [u32], mut i: u32) -> u32 {
        while p[i as usize] != i {
            p[i as usize] = p[p[i as usize] as usize];
            i = p[i as usize];
        }
        i
    }
    for y in 0..h {
        for x in 0..w {
            let i = (y * w + x) as usize;
            if !ink[i] {
                continue;
            }
            let mut join = |j: usize| {
                if ink[j] {
                    let (a, b) = (find(&mut parent, i as u32), find(&mut parent, j as u32));
                    if a != b {
                        parent[a.max(b) as usize] = a.min(b);
                    }
                }
            };
            if x > 0 {
                join(i - 1)
            }
            if y > 0 {
                join(i - w as usize);
                if x > 0 {
                    join(i - w as usize - 1)
                }
                if x + 1 < w {
                    join(i - w as usize + 1)
                }
            }
        }
    }
    let mut boxes: std::collections::HashMap<u32, [u32; 5]> = Default::default();
    for y in 0..h {
        for x in 0..w {
            let i = (y * w + x) as usize;
            if ink[i] {
                let r = find(&mut parent, i as u32);
                let b = boxes.entry(r).or_insert([x, y, x, y, 0]);
                *b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y), b[4] + 1];
            }
        }
    }
    let mut heights: Vec<u32> = boxes
        .values()
        .filter_map(|b| {
            let (bw, bh) = (b[2] - b[0] + 1, b[3] - b[1] + 1);
            (bh >= 5 && bh <= h / 8 && bw <= 2 * bh && b[4] >= 8).then_some(bh)
        })
        .collect();
    if heights.len() < 40 {
        return None;
    }
    let mid = heights.len() / 2;
    Some(*heights.select_nth_unstable(mid).1 as f32)
}

/// Paper unevenness (grey levels between the 10th and 90th percentile tile) above which
/// the background is normalised: a shadow or a lighting gradient.
const UNEVEN: u8 = 40;
/// Ink this close to the paper is faded.
const FADED: u8 = 110;

/// Whether the page needs its levels corrected, and if so the `[ink, paper]` grey
/// levels to stretch to black and white after background normalisation (which puts
/// paper at 200). Measured on 64 px tiles: their paper levels (uneven when they spread
/// by more than [`UNEVEN`]) and the ink (the 5th percentile of pixels clearly darker
/// than their paper; faded when within [`FADED`] of the paper). `None` for an even,
/// contrasty page, which is left untouched.
pub fn levels(gray: &[u8], w: u32, h: u32) -> Option<[u8; 2]> {
    const TILE: u32 = 64;
    let tiles = tile_levels(gray, w, h, TILE);
    let mut lv: Vec<u8> = tiles.iter().map(|t| t.2).collect();
    if lv.len() < 8 {
        return None;
    }
    lv.sort_unstable();
    let (p10, p50, p90) = (lv[lv.len() / 10], lv[lv.len() / 2], lv[lv.len() * 9 / 10]);
    let uneven = p90.saturating_sub(p10) > UNEVEN;
    let tiles_w = w.div_ceil(TILE);
    // Ink relative to its own tile's paper, as it will be after normalisation (to 200).
    // Row by row, without a division per pixel to find its tile.
    // Counted in a histogram: the 5th percentile without keeping the pixels.
    let mut ink = [0u32; 256];
    for (y, row) in gray.chunks_exact(w as usize).enumerate() {
        let row_tiles = &tiles[(y as u32 / TILE * tiles_w) as usize..];
        for (part, t) in row.chunks(TILE as usize).zip(row_tiles) {
            let bg = t.2.max(1) as u32;
            for &v in part {
                if (v as u32) * 100 < bg * 80 {
                    ink[((v as u32 * 200) / bg).min(255) as usize] += 1;
                }
            }
        }
    }
    let inked = ink.iter().map(|&n| n as usize).sum::<usize>();
    if inked < 100 {
        return None;
    }
    let ink_level = nth_smallest(&ink, inked / 20);
    // Faded: on the page as it is, ink within FADED of the paper.
    let faded = ink_level as u32 * p50 as u32 / 200 + FADED as u32 > p50 as u32;
    (uneven || faded).then(|| [ink_level.min(150), 190])
}

/// Redo a recorded normalisation on the raw page: the same image OCR read, so the
/// boxes found on it line up (the review UI draws them on this). No engine needed.
pub fn apply(raw: Pix, t: &Transform) -> Result<Pix, String> {
    let mut pix = if raw.depth() == 8 {
        raw
    } else {
        raw.to_gray8()?
    };
    if let Some(rect) = t.crop {
        pix = cut_paper(&pix, rect)?;
    }
    if t.scale != 1.0 {
        pix = pix.scale(t.scale)?;
    }
    if let Some([ink, paper]) = t.levels {
        pix = pix.background_norm()?.stretch(ink, paper)?;
    }
    if !t.quarter_turns.is_multiple_of(4) {
        pix = pix.rotate_orth(t.quarter_turns % 4)?;
    }
    if t.deskew_deg != 0.0 {
        pix = pix.rotate(t.deskew_deg)?;
    }
    Ok(pix)
}

/// OSD confidence from which a turn is taken on OSD's word alone. Below it, OSD
/// wrongly turns about one upright till receipt in twelve (measured on real
/// receipts: wrong half turns at 0.2–6.3), so the turn is tried by reading.
const SURE_ORIENTATION: f32 = 10.0;

/// Whether `turned` reads better than `upright`: the middle third of each (where a
/// page's body is) is read as sparse text, and the one with more well-read words of
/// three or more letters wins; a tie keeps the page as it was.
fn reads_better(engine: &mut dyn OcrEngine, turned: &Pix, upright: &Pix) -> Result<bool, String> {
    let mut score = |p: &Pix| -> Result<usize, String> {
        let (w, h) = (p.width(), p.height());
        let band = p.clip([0, h / 3, w, 2 * h / 3])?;
        let words = engine
            .recognize_strip(&band, 0)
            .map_err(|e| e.to_string())?;
        Ok(words.iter().filter(|w| confident_word(w)).count())
    };
    let (a, b) = (score(turned)?, score(upright)?);
    tracing::debug!(turned = a, upright = b, "orientation tried by reading");
    Ok(a > b)
}

/// Normalise a page in one go: [`prepare`], the orientation OSD finds (a doubtful
/// answer tried by reading, [`reads_better`]), then [`straighten`]. The page reader
/// ([`super::ocr_page`]) runs the same steps but asks OSD only when its first read of
/// the page is doubtful.
pub fn normalise(
    raw: Pix,
    opts: &Options,
    engine: &mut dyn OcrEngine,
) -> Result<(Pix, Transform), String> {
    let (pix, t) = prepare(raw, opts)?;
    let mut turns = 0;
    if opts.detect_orientation {
        if let Some((q, conf)) = detect_orientation(engine, &pix) {
            if q % 4 != 0 {
                let turned = pix.rotate_orth(q % 4)?;
                if conf >= SURE_ORIENTATION || reads_better(engine, &turned, &pix)? {
                    turns = q % 4;
                } else {
                    tracing::debug!(q, conf, "orientation guess not borne out by reading");
                }
            }
        }
    }
    straighten(&pix, t, turns, opts)
}

/// OSD's answer for a prepared page, timed in the debug log.
pub fn detect_orientation(engine: &mut dyn OcrEngine, pix: &Pix) -> Option<(u32, f32)> {
    let clock = std::time::Instant::now();
    let osd = engine.detect_orientation(pix);
    tracing::debug!(
        osd_ms = clock.elapsed().as_millis() as u64,
        ?osd,
        "orientation"
    );
    osd
}

/// The steps before orientation: grey, the sheet cut from a photograph, the
/// resolution brought to the target, levels corrected. Returns the image and the
/// [`Transform`] so far (no turn, no deskew).
pub fn prepare(raw: Pix, opts: &Options) -> Result<(Pix, Transform), String> {
    let mut t = Transform {
        source_dpi: estimate_dpi(&raw),
        scale: 1.0,
        quarter_turns: 0,
        deskew_deg: 0.0,
        render_dpi: 0,
        crop: None,
        levels: None,
    };
    let known = recorded_dpi(&raw).is_some();
    let mut pix = if raw.depth() == 8 {
        raw
    } else {
        raw.to_gray8()?
    };

    if !known {
        let gray = pix.gray_bytes().ok_or("page is not 8-bit")?;
        if let Some(rect) = paper_rect(&gray, pix.width(), pix.height()) {
            pix = cut_paper(&pix, rect)?;
            t.crop = Some(rect);
        }
        if t.crop.is_some() || !page_shaped(pix.width(), pix.height()) {
            let gray = pix.gray_bytes().ok_or("page is not 8-bit")?;
            let measured = char_height(&gray, pix.width(), pix.height());
            tracing::debug!(crop = ?t.crop, char_height = ?measured, "resolution unknown");
            if let Some(ch) = measured {
                t.source_dpi = (300.0 * ch / CHAR_HEIGHT_300).round().max(1.0) as u32;
            }
        }
    }

    let scale = opts.target_dpi as f32 / t.source_dpi as f32;
    // Within 15 % of the target the resampling blur costs more than it gains.
    if !(0.85..=1.15).contains(&scale) {
        let scale = scale.clamp(0.1, 3.0);
        pix = pix.scale(scale)?;
        t.scale = scale;
    }

    if pix.depth() == 8 {
        let gray = pix.gray_bytes().ok_or("page is not 8-bit")?;
        let lv = levels(&gray, pix.width(), pix.height());
        tracing::debug!(levels = ?lv, "levels");
        if let Some(lv) = lv {
            pix = pix.background_norm()?.stretch(lv[0], lv[1])?;
            t.levels = Some(lv);
        }
    }
    Ok((pix, t))
}

/// Turn a prepared page `turns` quarter turns clockwise and remove its skew: the
/// image OCR reads, and the [`Transform`] that rebuilds it ([`apply`]).
pub fn straighten(
    prepared: &Pix,
    mut t: Transform,
    turns: u32,
    opts: &Options,
) -> Result<(Pix, Transform), String> {
    let turned = match turns % 4 {
        0 => None,
        q => Some(prepared.rotate_orth(q)?),
    };
    t.quarter_turns = turns % 4;
    let upright = turned.as_ref().unwrap_or(prepared);
    if opts.deskew {
        // A photographed sheet may be turned further than a scanner would skew it.
        let skew = if t.crop.is_some() {
            upright.find_skew_within(12.0)
        } else {
            upright.find_skew()
        };
        if let Some((angle, conf)) = skew {
            if angle.abs() >= MIN_DESKEW_DEG && conf >= MIN_SKEW_CONF {
                t.deskew_deg = angle;
                return Ok((upright.rotate(angle)?, t));
            }
        }
    }
    Ok((turned.map_or_else(|| prepared.copy(), Ok)?, t))
}

/// How well a read went, for choosing between two readings of one page: its words
/// of three or more letters or digits read with confidence 0.8 or more, lying across
/// the page. (Tesseract reads a column of sideways print as vertical text, well, but
/// its words then stand taller than wide.)
pub fn well_read(words: &[super::Word]) -> usize {
    words
        .iter()
        .filter(|w| confident_word(w) && w.bbox[2].saturating_sub(w.bbox[0]) > w.height())
        .count()
}

/// A word of three or more letters or digits.
fn long_word(w: &super::Word) -> bool {
    w.text.chars().filter(|c| c.is_alphanumeric()).count() >= 3
}

/// A word of three or more letters or digits read with confidence 0.8 or more.
fn confident_word(w: &super::Word) -> bool {
    w.conf >= 0.8 && long_word(w)
}

/// Well-read words from which a page pass is taken as upright without asking OSD.
const UPRIGHT_WORDS: usize = 12;
/// ... when they are at least this share of the words of three or more characters.
const UPRIGHT_SHARE: f32 = 0.6;

/// Whether a page pass shows the page was upright: enough words read well, and most
/// words of some length among them. Upside-down or sideways print reads as a few short
/// fragments at low confidence, so a page that passes is not asked about again.
pub fn reads_upright(words: &[super::Word]) -> bool {
    let long = words.iter().filter(|w| long_word(w)).count();
    let good = well_read(words);
    good >= UPRIGHT_WORDS && good as f32 >= UPRIGHT_SHARE * long as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ScriptedEngine;
    use crate::text::Word;

    /// `w`×`h` of `paper` grey with rows of `ch`-tall, `ch/2`-wide ink blocks ("letters")
    /// inside `[x0, y0, x1, y1]`, everything else `table`.
    fn page(w: u32, h: u32, sheet: [u32; 4], paper: u8, table: u8, ink: u8, ch: u32) -> Vec<u8> {
        let mut g = vec![table; (w * h) as usize];
        for y in sheet[1]..sheet[3] {
            for x in sheet[0]..sheet[2] {
                g[(y * w + x) as usize] = paper;
            }
        }
        let cw = (ch / 2).max(2);
        let mut y = sheet[1] + ch;
        while y + 2 * ch < sheet[3] {
            let mut x = sheet[0] + ch;
            while x + 2 * cw < sheet[2] {
                for yy in y..y + ch {
                    for xx in x..x + cw {
                        g[(yy * w + xx) as usize] = ink;
                    }
                }
                x += 2 * cw;
            }
            y += 2 * ch;
        }
        g
    }

    /// OSD says "turn it half round" with `conf`; the page's print reads only where
    /// the ink sits on the left of the band (as it does when upright).
    fn doubtful_osd(conf: f32) -> ScriptedEngine {
        ScriptedEngine::new().osd(2, conf).strips_by(|band| {
            let (w, h) = (band.width(), band.height());
            let upright =
                band.dark_fraction([0, 0, w / 2, h]) > band.dark_fraction([w / 2, 0, w, h]);
            let word = |text: &str, conf| Word {
                text: text.into(),
                conf,
                bbox: [0, 0, 10, 10],
                line: 1,
            };
            if upright {
                vec![word("TOTAL", 0.95), word("CASH", 0.9), word("12.50", 0.93)]
            } else {
                vec![word("lVLOl", 0.4), word("HSV", 0.85)]
            }
        })
    }

    #[test]
    fn a_doubtful_half_turn_is_taken_only_when_the_page_reads_better_turned() {
        // Print on the left half only: upright, as a receipt's labels are.
        let (w, h) = (600, 900);
        let g = page(w, h, [0, 0, 300, 900], 240, 240, 20, 12);
        let opts = Options {
            target_dpi: 300,
            detect_orientation: true,
            deskew: false,
        };
        let read = |conf| {
            let mut pix = Pix::from_gray(w, h, &g).unwrap();
            pix.set_resolution(300);
            let mut engine = doubtful_osd(conf);
            let (_, t) = normalise(pix, &opts, &mut engine).unwrap();
            (t.quarter_turns, engine.strips_read())
        };
        // A guess at 3: tried by reading both ways; upright reads better, so it stays.
        assert_eq!(read(3.0), (0, 2));
        // A sure answer is taken without reading.
        assert_eq!(read(12.0), (2, 0));
        // And a doubtful guess on a page that really is upside down is borne out.
        let mut pix = Pix::from_gray(w, h, &g).unwrap().rotate_orth(2).unwrap();
        pix.set_resolution(300);
        let mut engine = doubtful_osd(3.0);
        let (_, t) = normalise(pix, &opts, &mut engine).unwrap();
        assert_eq!(t.quarter_turns, 2);
    }

    #[test]
    fn the_sheet_is_found_on_a_darker_table() {
        let (w, h) = (600, 900);
        let g = page(w, h, [150, 100, 450, 800], 235, 90, 20, 12);
        let r = paper_rect(&g, w, h).expect("a sheet on a table");
        // One block (900 / 120 = 7 px) of margin, never more than two.
        assert!(
            (136..=150).contains(&r[0]) && (86..=100).contains(&r[1]),
            "{r:?}"
        );
        assert!(
            (450..=464).contains(&r[2]) && (800..=814).contains(&r[3]),
            "{r:?}"
        );
        // And what of the table is left inside the cut is painted paper.
        let pix = Pix::from_gray(w, h, &g).unwrap();
        let cut = cut_paper(&pix, r).unwrap();
        assert_eq!(cut.dark_fraction([0, 0, 4, 4]), 0.0);
    }

    #[test]
    fn a_scan_is_not_cropped() {
        // Paper to the edges, dense print: no dark border, so no sheet to cut out.
        let (w, h) = (600, 900);
        let g = page(w, h, [0, 0, 600, 900], 240, 240, 0, 20);
        assert_eq!(paper_rect(&g, w, h), None);
    }

    #[test]
    fn text_size_is_the_median_character_height() {
        let (w, h) = (500, 700);
        let g = page(w, h, [0, 0, 500, 700], 240, 240, 30, 14);
        assert_eq!(char_height(&g, w, h), Some(14.0));
        // Too few characters to measure.
        let g = page(w, h, [0, 0, 120, 120], 240, 240, 30, 14);
        assert_eq!(char_height(&g, w, h), None);
    }

    #[test]
    fn unknown_resolution_is_scaled_by_text_size_known_resolution_is_not() {
        let (w, h) = (500, 1400);
        let g = page(w, h, [0, 0, 500, 1400], 240, 240, 30, 13);
        let opts = Options {
            target_dpi: 300,
            detect_orientation: false,
            deskew: false,
        };
        // 72 dpi (a camera's "unknown"), receipt-shaped: 13 px characters are doubled.
        let mut pix = Pix::from_gray(w, h, &g).unwrap();
        pix.set_resolution(72);
        let (_, t) = normalise(pix, &opts, &mut ScriptedEngine::new()).unwrap();
        assert_eq!(t.source_dpi, 150);
        assert_eq!(t.scale, 2.0);
        // The same page recorded at 300 dpi is read as it is.
        let mut pix = Pix::from_gray(w, h, &g).unwrap();
        pix.set_resolution(300);
        let (out, t) = normalise(pix, &opts, &mut ScriptedEngine::new()).unwrap();
        assert_eq!(
            (t.source_dpi, t.scale, t.crop, t.levels),
            (300, 1.0, None, None)
        );
        assert_eq!(out.gray_bytes().unwrap(), g);
        // An A4-shaped page without a resolution keeps the width estimate (2480 px: 300).
        let (w, h) = (2480 / 4, 3508 / 4);
        let g = page(w, h, [0, 0, w, h], 240, 240, 30, 13);
        let (_, t) = normalise(
            Pix::from_gray(w, h, &g).unwrap(),
            &opts,
            &mut ScriptedEngine::new(),
        )
        .unwrap();
        assert_eq!(t.source_dpi, 75);
    }

    /// The histogram counts give the levels a sort of the pixels gives (the code before
    /// them), on noisy pages whose sides are no multiple of the tile.
    #[test]
    fn levels_counted_in_histograms_are_the_sorted_ones() {
        let sorted_tiles = |g: &[u8], w: u32, h: u32, tile: u32| {
            let mut out = Vec::new();
            for ty in 0..h.div_ceil(tile) {
                for tx in 0..w.div_ceil(tile) {
                    let mut buf = Vec::new();
                    for y in ty * tile..((ty + 1) * tile).min(h) {
                        let row = (y * w) as usize;
                        buf.extend_from_slice(
                            &g[row + (tx * tile) as usize..row + ((tx + 1) * tile).min(w) as usize],
                        );
                    }
                    let k = buf.len() * 9 / 10;
                    out.push((tx, ty, *buf.select_nth_unstable(k).1));
                }
            }
            out
        };
        let sorted_ink = |g: &[u8], w: u32, tiles: &[(u32, u32, u8)]| {
            let tiles_w = w.div_ceil(64);
            let mut ink: Vec<u8> = Vec::new();
            for (i, &v) in g.iter().enumerate() {
                let (x, y) = (i as u32 % w, i as u32 / w);
                let bg = tiles[(y / 64 * tiles_w + x / 64) as usize].2.max(1) as u32;
                if (v as u32) * 100 < bg * 80 {
                    ink.push(((v as u32 * 200) / bg).min(255) as u8);
                }
            }
            let k = ink.len() / 20;
            *ink.select_nth_unstable(k).1
        };
        let mut seed = 7u32;
        let mut noise = move || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (seed >> 16) as u8
        };
        let mut compared = 0;
        for (w, h, paper, ink) in [
            (333, 200, 240, 20),
            (700, 515, 200, 170),
            (130, 129, 90, 60),
        ] {
            let mut g = page(w, h, [0, 0, w, h], paper, paper, ink, 14);
            for v in g.iter_mut() {
                *v = v.saturating_add(noise() % 40).saturating_sub(20);
            }
            for tile in [32, 64] {
                assert_eq!(tile_levels(&g, w, h, tile), sorted_tiles(&g, w, h, tile));
            }
            let tiles = sorted_tiles(&g, w, h, 64);
            let expected = sorted_ink(&g, w, &tiles);
            if let Some([level, _]) = levels(&g, w, h) {
                assert_eq!(level, expected.min(150), "{w}×{h}");
                compared += 1;
            }
        }
        assert!(compared > 0, "no page had its levels corrected");
    }

    #[test]
    fn levels_are_corrected_only_on_uneven_or_faded_pages() {
        let (w, h) = (640, 640);
        // Even paper, black ink: untouched.
        let g = page(w, h, [0, 0, w, h], 240, 240, 20, 14);
        assert_eq!(levels(&g, w, h), None);
        // Faded: ink 190 on 240.
        let g = page(w, h, [0, 0, w, h], 240, 240, 190, 14);
        assert!(levels(&g, w, h).is_some());
        // A shadow over the left half: paper at 130 there.
        let mut g = page(w, h, [0, 0, w, h], 240, 240, 20, 14);
        for (i, v) in g.iter_mut().enumerate() {
            if (i as u32 % w) < w / 2 {
                *v = (*v as u32 * 130 / 240) as u8;
            }
        }
        assert!(levels(&g, w, h).is_some());
    }
}
