//! The one place the stages meet: bytes → pages → classify → extract → validate → route.
//!
//! Everything here but [`read_pages`] is a pure function of its inputs; the stages do
//! not know about each other, only this module does.

use chrono::NaiveDate;

use crate::config::Config;
use crate::document::{IndexedFields, Origin, SourceInfo, TypedDocument, SCHEMA_VERSION};
use crate::text::{self, MediaType, OcrEngine, Page, TextError};
use crate::{classify, extract, route, validate};

/// The text stage for one document: sniff, decode, normalise and OCR every page.
pub fn read_pages(
    engine: &mut dyn OcrEngine,
    data: &[u8],
    cfg: &Config,
) -> Result<(MediaType, Vec<Page>), TextError> {
    let media = MediaType::sniff(data)
        .ok_or_else(|| TextError::Unsupported(text::decode::describe_unknown(data)))?;
    let opts = text::preprocess::Options::from(&cfg.ocr);
    let pages = text::read_image_document(engine, data, media, &opts, &cfg.limits)?;
    Ok((media, pages))
}

/// Classify, extract, validate and route already-read pages.
pub fn analyse(
    id: String,
    source: SourceInfo,
    pages: &[Page],
    cfg: &Config,
    today: NaiveDate,
) -> TypedDocument {
    let ranked = classify::rank(pages, &cfg.doctypes);
    let doc_type = classify::decide(&ranked, &cfg.doctypes);
    let doctype = cfg.doctype(&doc_type.value);
    let (mut fields, checks) = match doctype {
        Some(dt) => {
            let ex = extract::extract(pages, dt);
            let mut fields = ex.fields;
            let checks = validate::validate(&fields, dt, today);
            validate::apply_to_confidence(&mut fields, &checks, dt);
            (fields, checks)
        }
        None => (IndexedFields::default(), Vec::new()),
    };
    for (_, f) in fields.0.iter_mut() {
        if let Some(f) = f {
            f.confidence = extract::round3(f.confidence);
        }
    }
    let decision = route::route(&doc_type, doctype, &fields, &checks);
    TypedDocument {
        id,
        schema_version: SCHEMA_VERSION,
        source,
        text_origin: pages.first().map_or(Origin::Ocr, |p| p.origin),
        doc_type,
        fields,
        line_items: Vec::new(),
        checks,
        decision,
    }
}

pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

/// Start one OCR engine as configured (one per worker thread).
pub fn engine(cfg: &Config) -> Result<text::tesseract::Tesseract, TextError> {
    text::tesseract::Tesseract::new(
        cfg.ocr.tessdata_dir.as_deref(),
        &cfg.ocr.languages,
        cfg.ocr.page_segmentation_mode,
        cfg.ocr.target_dpi,
        cfg.ocr.detect_orientation,
    )
}

/// Run `f` and turn a panic into an error message, so one bad document cannot take a
/// worker (or the service) down.
pub fn guard<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|p| {
        p.downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into())
    })
}
