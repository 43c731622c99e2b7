//! Stage "text": a stored blob becomes pages of words.
//!
//! Input: the bytes of a document and its media type. Output: [`Page`]s whose words
//! keep their text, confidence, page and box. Images are decoded ([`decode`]),
//! normalised for OCR ([`preprocess`]: resolution, orientation, skew) and read by an
//! [`OcrEngine`] — Tesseract in production ([`tesseract`]), a fake in unit tests.

pub mod decode;
pub mod pix;
pub mod preprocess;
pub mod tesseract;
pub mod tsv;

use serde::{Deserialize, Serialize};

use crate::document::{BBox, Origin};
pub use decode::MediaType;
pub use pix::Pix;

/// One word as read from a page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Word {
    pub text: String,
    /// 0..=1 (Tesseract's 0..100 scaled).
    pub conf: f32,
    /// `[x0, y0, x1, y1]` in pixels of the normalised page.
    pub bbox: BBox,
    /// The OCR engine's line this word belongs to (unique within the page; 0 = unknown).
    #[serde(default)]
    pub line: u32,
}

impl Word {
    pub fn height(&self) -> u32 {
        self.bbox[3].saturating_sub(self.bbox[1])
    }
    pub fn center_y(&self) -> f32 {
        (self.bbox[1] + self.bbox[3]) as f32 / 2.0
    }
}

/// One page of words, plus what preprocessing did to the image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// 1-based.
    pub number: u32,
    pub width: u32,
    pub height: u32,
    pub words: Vec<Word>,
    pub origin: Origin,
    #[serde(default)]
    pub transform: Transform,
}

/// How the page image was normalised before OCR, so boxes can be mapped back.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Transform {
    /// Resolution the page was taken to have before scaling.
    pub source_dpi: u32,
    pub scale: f32,
    /// Clockwise quarter turns applied to make the page upright.
    pub quarter_turns: u32,
    /// Degrees rotated to remove skew.
    pub deskew_deg: f32,
}

#[derive(Debug, thiserror::Error)]
pub enum TextError {
    #[error("unsupported file type ({0})")]
    Unsupported(String),
    #[error("unreadable image: {0}")]
    Corrupt(String),
    #[error("file is {size} bytes, above the limit of {limit}")]
    TooLarge { size: u64, limit: u64 },
    #[error("page {page} is {pixels} pixels, above the limit of {limit}")]
    PageTooLarge { page: u32, pixels: u64, limit: u64 },
    #[error("document has more than {limit} pages")]
    TooManyPages { limit: u32 },
    #[error("document has no pages")]
    NoPages,
    #[error("OCR failed on page {page}: {message}")]
    Ocr { page: u32, message: String },
    #[error("cannot start the OCR engine: {0}")]
    EngineInit(String),
}

/// Reads one normalised page image.
pub trait OcrEngine {
    fn recognize(&mut self, image: &Pix, page: u32) -> Result<Vec<Word>, TextError>;
    /// Clockwise quarter turns that would make the page upright, when the engine can tell.
    fn detect_orientation(&mut self, _image: &Pix) -> Option<u32> {
        None
    }
}

/// Decode, normalise and read every page of an image document.
pub fn read_image_document(
    engine: &mut dyn OcrEngine,
    data: &[u8],
    media: MediaType,
    opts: &preprocess::Options,
    limits: &crate::config::Limits,
) -> Result<Vec<Page>, TextError> {
    let mut pages = Vec::new();
    let mut iter = decode::pages(data, media, limits)?;
    while let Some(raw) = iter.next_page()? {
        let number = pages.len() as u32 + 1;
        let (image, transform) = preprocess::normalise(raw, opts, &mut *engine)
            .map_err(|m| TextError::Corrupt(format!("page {number}: {m}")))?;
        let words = engine.recognize(&image, number)?;
        pages.push(Page {
            number,
            width: image.width(),
            height: image.height(),
            words,
            origin: Origin::Ocr,
            transform,
        });
    }
    if pages.is_empty() {
        return Err(TextError::NoPages);
    }
    Ok(pages)
}
