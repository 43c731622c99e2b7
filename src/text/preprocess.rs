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
//! Known failure modes: a small receipt scanned on a full A4 bed is taken as A4 (width
//! estimate); OSD needs a few lines of text and leaves sparse pages as they are.

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

pub fn estimate_dpi(pix: &Pix) -> u32 {
    let recorded = pix.x_resolution();
    if (100..=2400).contains(&recorded) && recorded != 72 {
        // 72 dpi is what many tools write when they know nothing.
        return recorded;
    }
    let portrait_width = pix.width().min(pix.height()) as f32;
    (portrait_width / PAGE_WIDTH_IN).round().max(1.0) as u32
}

/// Redo a recorded normalisation on the raw page: the same image OCR read, so the
/// boxes found on it line up (the review UI draws them on this). No engine needed.
pub fn apply(raw: Pix, t: &Transform) -> Result<Pix, String> {
    let mut pix = if raw.depth() == 8 {
        raw
    } else {
        raw.to_gray8()?
    };
    if t.scale != 1.0 {
        pix = pix.scale(t.scale)?;
    }
    if !t.quarter_turns.is_multiple_of(4) {
        pix = pix.rotate_orth(t.quarter_turns % 4)?;
    }
    if t.deskew_deg != 0.0 {
        pix = pix.rotate(t.deskew_deg)?;
    }
    Ok(pix)
}

pub fn normalise(
    raw: Pix,
    opts: &Options,
    engine: &mut dyn OcrEngine,
) -> Result<(Pix, Transform), String> {
    let mut t = Transform {
        source_dpi: estimate_dpi(&raw),
        scale: 1.0,
        quarter_turns: 0,
        deskew_deg: 0.0,
        render_dpi: 0,
    };
    let mut pix = if raw.depth() == 8 {
        raw
    } else {
        raw.to_gray8()?
    };

    let scale = opts.target_dpi as f32 / t.source_dpi as f32;
    // Within 15 % of the target the resampling blur costs more than it gains.
    if !(0.85..=1.15).contains(&scale) {
        let scale = scale.clamp(0.1, 3.0);
        pix = pix.scale(scale)?;
        t.scale = scale;
    }

    if opts.detect_orientation {
        if let Some(q) = engine.detect_orientation(&pix) {
            if q % 4 != 0 {
                pix = pix.rotate_orth(q % 4)?;
                t.quarter_turns = q % 4;
            }
        }
    }

    if opts.deskew {
        if let Some((angle, conf)) = pix.find_skew() {
            if angle.abs() >= MIN_DESKEW_DEG && conf >= MIN_SKEW_CONF {
                pix = pix.rotate(angle)?;
                t.deskew_deg = angle;
            }
        }
    }
    Ok((pix, t))
}
