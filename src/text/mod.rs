//! Stage "text": a stored blob becomes pages of words.
//!
//! Input: the bytes of a document and its media type. Output: [`Page`]s whose words
//! keep their text, confidence, page and box. Images are decoded ([`decode`]),
//! normalised for OCR ([`preprocess`]: resolution, orientation, skew) and read by an
//! [`OcrEngine`] — Tesseract in production ([`tesseract`]), a fake in unit tests.

pub mod decode;
pub mod layout;
pub mod marks;
pub mod pairs;
pub mod pdf;
pub mod pix;
pub mod preprocess;
pub mod qr;
pub mod tesseract;
pub mod tool;
pub mod tsv;

use serde::{Deserialize, Serialize};

pub use crate::document::input::MediaType;
use crate::document::{BBox, Origin};
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
    /// QR codes found on the page image: their text and box `[x0, y0, x1, y1]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<Code>,
    /// Checkboxes and frames (signature boxes) found on the page image.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marks: Vec<marks::Mark>,
}

/// A machine-readable code on a page (a payment QR code).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Code {
    pub payload: String,
    pub bbox: BBox,
}

/// The checkboxes and frames on a normalised page image.
pub fn find_marks(image: &Pix, t: &Transform) -> Vec<marks::Mark> {
    image
        .gray_bytes()
        .map_or_else(Vec::new, |gray| marks_in(&gray, image, t))
}

fn marks_in(gray: &[u8], image: &Pix, t: &Transform) -> Vec<marks::Mark> {
    let dpi = (t.source_dpi as f32 * t.scale).round().clamp(100.0, 600.0) as u32;
    marks::find(gray, image.width(), image.height(), dpi)
}

/// The QR codes on a normalised page image.
pub fn find_codes(image: &Pix) -> Vec<Code> {
    image
        .gray_bytes()
        .map_or_else(Vec::new, |gray| codes_in(&gray, image))
}

fn codes_in(gray: &[u8], image: &Pix) -> Vec<Code> {
    qr::decode(gray, image.width(), image.height())
        .into_iter()
        .map(|c| Code {
            payload: c.payload,
            bbox: [
                c.bbox[0],
                c.bbox[1],
                c.bbox[0] + c.bbox[2],
                c.bbox[1] + c.bbox[3],
            ],
        })
        .collect()
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
    /// PDF pages: the resolution the page was rendered at, or 0 when its embedded image
    /// was taken out as stored (image files: always 0).
    #[serde(default)]
    pub render_dpi: u32,
    /// Photographs: the paper's rectangle `[x0, y0, x1, y1]` in the raw image, cut out
    /// (and the table around it whitened) before scaling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crop: Option<[u32; 4]>,
    /// Uneven or faded pages: background normalised and contrast stretched from this
    /// ink level `[ink, paper]` (after scaling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub levels: Option<[u8; 2]>,
}

#[derive(Debug, thiserror::Error)]
pub enum TextError {
    #[error("unsupported file type ({0})")]
    Unsupported(String),
    #[error("unreadable image: {0}")]
    Corrupt(String),
    #[error("file is {size} bytes, above the limit of {limit} (limits.max_file_mb)")]
    TooLarge { size: u64, limit: u64 },
    #[error("page {page} is {pixels} pixels, above the limit of {limit} (limits.max_megapixels)")]
    PageTooLarge { page: u32, pixels: u64, limit: u64 },
    #[error("document has more than {limit} pages (limits.max_pages)")]
    TooManyPages { limit: u32 },
    #[error("OCR of page {page} took longer than {} s (limits.max_ocr_secs_per_page)", limit.as_secs_f64())]
    OcrTimeout {
        page: u32,
        limit: std::time::Duration,
    },
    /// `tried` configured passwords (`[pdf]`) did not open it; none are named.
    #[error("{}", encrypted_message(*tried))]
    Encrypted { tried: usize },
    #[error("{0}")]
    Pdf(String),
    #[error("document has no pages")]
    NoPages,
    #[error("OCR failed on page {page}: {message}")]
    Ocr { page: u32, message: String },
    #[error("cannot start the OCR engine: {0}")]
    EngineInit(String),
}

fn encrypted_message(tried: usize) -> String {
    match tried {
        0 => "an encrypted PDF that needs a password (none is configured)".into(),
        1 => "an encrypted PDF that the configured password (pdf.passwords) does not open".into(),
        n => format!(
            "an encrypted PDF that none of the {n} configured passwords (pdf.passwords) opens"
        ),
    }
}

/// Reads one normalised page image.
pub trait OcrEngine {
    /// A new page begins: the engine's time limit per page counts from here, over the
    /// page pass and every second read until the next call.
    fn start_page(&mut self) {}
    fn recognize(&mut self, image: &Pix, page: u32) -> Result<Vec<Word>, TextError>;
    /// Read a small image (a strip cut from a page) as sparse text, without the
    /// page-wide layout analysis. For second looks at regions the page-wide pass left
    /// out; engines that cannot do it return nothing.
    fn recognize_strip(&mut self, _image: &Pix, _page: u32) -> Result<Vec<Word>, TextError> {
        Ok(Vec::new())
    }
    /// Read a small image holding one line of text. Engines that cannot return nothing.
    fn recognize_line(&mut self, _image: &Pix, _page: u32) -> Result<Vec<Word>, TextError> {
        Ok(Vec::new())
    }
    /// Read a small image holding one line of a name or an address with the model that
    /// knows the accents of every Latin-script language (`ocr.accents`). Engines
    /// without one return nothing.
    fn recognize_line_accented(
        &mut self,
        _image: &Pix,
        _page: u32,
    ) -> Result<Vec<Word>, TextError> {
        Ok(Vec::new())
    }
    /// Clockwise quarter turns that would make the page upright, with the engine's
    /// confidence in them (Tesseract OSD's scale: 2 is a guess, 15 is sure), when the
    /// engine can tell.
    fn detect_orientation(&mut self, _image: &Pix) -> Option<(u32, f32)> {
        None
    }
}

/// Dark pixels above which a strip is taken to hold print, not scanner noise.
const INK_FRACTION: f32 = 0.002;

/// Tesseract's page layout analysis sometimes takes a bold letterhead for a picture
/// and leaves it out, and the letterhead is where the vendor's name is. When the
/// strip above the first word read holds print, it is read again as one block.
/// Returns the words found there, with line ids apart from the page pass's.
fn reread_top(
    engine: &mut dyn OcrEngine,
    image: &Pix,
    words: &[Word],
    page: u32,
) -> Result<Vec<Word>, TextError> {
    let Some(top) = words
        .iter()
        .filter(|w| w.conf >= 0.5 && w.height() >= 8)
        .map(|w| w.bbox[1])
        .min()
    else {
        return Ok(Vec::new());
    };
    // The strip must be tall enough for a line of print above the first one read.
    let strip = [0, 0, image.width(), top.saturating_sub(4)];
    if strip[3] < image.height() / 30 || image.dark_fraction(strip) < INK_FRACTION {
        return Ok(Vec::new());
    }
    // Read from a copy of the strip: Tesseract given the whole page with a rectangle
    // set garbles the very letterheads it left out (measured on generated pages).
    let crop = image
        .clip(strip)
        .map_err(|message| TextError::Ocr { page, message })?;
    let mut extra = engine.recognize_strip(&crop, page)?;
    extra.retain(|w| w.bbox[3] <= top);
    for w in &mut extra {
        w.line += REREAD_LINE_BASE;
    }
    Ok(extra)
}

/// Line ids of re-read words start here, clear of Tesseract's block numbering.
const REREAD_LINE_BASE: u32 = 4_000_000_000 / 2;

/// At most this many gaps of a page are read again.
const MAX_GAP_READS: usize = 40;

/// Tesseract's page pass drops lone short words far from the rest of their row: the
/// quantity "2" in an invoice's Qty column, the amount right of "SUBTOTAL" on a till
/// receipt. For each line read, the stretches of its row (from the page's left text
/// margin to the paper's edge) that no word covers but that hold print are read again as one line.
/// Returns the words found there, with line ids apart from the page pass's.
fn reread_gaps(
    engine: &mut dyn OcrEngine,
    image: &Pix,
    words: &[Word],
    page: u32,
) -> Result<Vec<Word>, TextError> {
    let readable =
        |w: &&Word| w.conf >= 0.5 && w.height() >= 8 && w.text.chars().any(char::is_alphanumeric);
    let good: Vec<&Word> = words.iter().filter(readable).collect();
    let Some(left) = good.iter().map(|w| w.bbox[0]).min() else {
        return Ok(Vec::new());
    };
    // To the paper's edge, not the right end of what was read: when the page pass
    // missed a whole column of amounts, that is left of them.
    let right = image.width();
    // Where print is looked for: the page without what was read already. A row's band
    // often takes in the descenders or ascenders of the rows above and below it, and
    // a thin row (a logo's small print) many of them across the page: all read, and
    // worth no second read (measured on a clean A4 invoice: every gap read of the
    // page was such print or a frame around it, 1.6 G instructions for no word kept).
    let mut unread = image
        .copy()
        .map_err(|message| TextError::Ocr { page, message })?;
    unread
        .whiten(words.iter().map(|w| w.bbox))
        .map_err(|message| TextError::Ocr { page, message })?;
    let mut rows: std::collections::BTreeMap<u32, Vec<&Word>> = Default::default();
    for w in &good {
        rows.entry(w.line).or_default().push(w);
    }
    let mut extra: Vec<Word> = Vec::new();
    let mut reads = 0;
    let mut tried = std::collections::HashSet::new();
    for row in rows.values() {
        let mut hs: Vec<u32> = row.iter().map(|w| w.height()).collect();
        hs.sort_unstable();
        let h = hs[hs.len() / 2].max(8);
        let top = row.iter().map(|w| w.bbox[1]).min().unwrap_or(0);
        let bottom = row.iter().map(|w| w.bbox[3]).max().unwrap_or(0);
        let shares_row = |b: BBox| {
            let overlap = b[3].min(bottom).saturating_sub(b[1].max(top));
            overlap * 2 >= b[3].saturating_sub(b[1]).min(bottom - top)
        };
        let mut covered: Vec<(u32, u32)> = words
            .iter()
            .chain(&extra)
            .filter(|w| shares_row(w.bbox))
            .map(|w| (w.bbox[0], w.bbox[2]))
            .collect();
        covered.sort_unstable();
        let mut free = Vec::new();
        let mut x = left;
        for (a, b) in covered {
            if a > x {
                free.push((x, a));
            }
            x = x.max(b);
        }
        if right > x {
            free.push((x, right));
        }
        let band = [
            top.saturating_sub(h / 4),
            (bottom + h / 4).min(image.height()),
        ];
        for (a, b) in free {
            // Ordinary word spacing is well under a character height.
            if b.saturating_sub(a) < 2 * h || reads >= MAX_GAP_READS {
                continue;
            }
            let Some((x0, x1)) = ink_extent(&unread, [a + h / 2, band[0], b - h / 2, band[1]], h)
            else {
                continue;
            };
            // Only the row's own band: a margin reaching into the rows above and below
            // makes the read take their print too.
            let rect = [
                x0.saturating_sub(h).max(a),
                band[0],
                (x1 + h).min(b),
                band[1],
            ];
            // A table's ruling reads as "|" or "—" and nothing else: not worth a read.
            // Nor is a stretch already read for a row sharing this band.
            if only_ruling(image, &unread, rect, h) || !tried.insert(rect) {
                continue;
            }
            let crop = image
                .clip(rect)
                .map_err(|message| TextError::Ocr { page, message })?;
            reads += 1;
            let found = engine.recognize_line(&crop, page)?;
            tracing::trace!(page, gap = ?rect, read = ?found.iter().map(|w| (&w.text, w.conf)).collect::<Vec<_>>(), "gap reread");
            for mut w in found {
                w.bbox = [
                    w.bbox[0] + rect[0],
                    w.bbox[1] + rect[1],
                    w.bbox[2] + rect[0],
                    w.bbox[3] + rect[1],
                ];
                let clashes = words
                    .iter()
                    .chain(&extra)
                    .any(|o| intersection(o.bbox, w.bbox) > 0.0);
                if w.conf >= 0.6 && w.text.chars().any(char::is_alphanumeric) && !clashes {
                    w.line = REREAD_LINE_BASE + 1 + reads as u32;
                    unread
                        .whiten([w.bbox])
                        .map_err(|message| TextError::Ocr { page, message })?;
                    extra.push(w);
                }
            }
        }
    }
    tracing::debug!(page, reads, kept = extra.len(), "gap reads");
    Ok(extra)
}

/// Whether the ink in `rect`, a stretch of a row `h` pixels high, is only ruling: the
/// columns of a vertical line that runs on through the rows above and below (a table's
/// or a frame's side), and rows inked across the whole stretch (a horizontal rule), on
/// `image`. What is left besides them on `unread` (the page without the words read) is
/// less than a thin digit's worth of ink.
fn only_ruling(image: &Pix, unread: &Pix, rect: [u32; 4], h: u32) -> bool {
    let [x0, y0, x1, y1] = rect;
    let (above, below) = (y0.saturating_sub(h / 2), (y1 + h / 2).min(image.height()));
    let ruled_column = |x: u32| image.dark_fraction([x, above, x + 1, below]) >= 0.9;
    let ruled_row = |y: u32| image.dark_fraction([x0, y, x1, y + 1]) >= 0.9;
    let columns: Vec<u32> = (x0..x1).filter(|&x| ruled_column(x)).collect();
    let rows: Vec<u32> = (y0..y1).filter(|&y| ruled_row(y)).collect();
    if columns.is_empty() && rows.is_empty() {
        return false;
    }
    // Dark pixels off the ruling (and off the pixel either side of it, where a line's
    // edge is grey), counted a column at a time.
    let near = |set: &[u32], v: u32| set.iter().any(|&r| r.abs_diff(v) <= 2);
    let mut left = 0.0;
    for x in (x0..x1).filter(|&x| !near(&columns, x)) {
        for (lo, hi) in spans(y0, y1, &rows) {
            left += unread.dark_fraction([x, lo, x + 1, hi]) * (hi - lo) as f32;
        }
    }
    left < (h * h) as f32 / 16.0
}

/// The stretches of `lo..hi` that keep clear of the `ruled` rows (and two pixels round them).
fn spans(lo: u32, hi: u32, ruled: &[u32]) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let mut start = lo;
    for y in lo..hi {
        if ruled.iter().any(|&r| r.abs_diff(y) <= 2) {
            if y > start {
                out.push((start, y));
            }
            start = y + 1;
        }
    }
    if hi > start {
        out.push((start, hi));
    }
    out
}

/// The horizontal extent of the print in `rect`: columns a quarter character wide
/// with more than a speck of dark in them, when two neighbouring ones are inked.
fn ink_extent(image: &Pix, rect: [u32; 4], h: u32) -> Option<(u32, u32)> {
    let step = (h / 4).max(2);
    let mut inked: Vec<u32> = Vec::new();
    let mut x = rect[0];
    while x + step <= rect[2] {
        if image.dark_fraction([x, rect[1], x + step, rect[3]]) >= 0.06 {
            inked.push(x);
        }
        x += step;
    }
    let paired = inked.windows(2).any(|p| p[1] == p[0] + step);
    paired.then(|| (inked[0], inked[inked.len() - 1] + step))
}

/// Normalised page images kept after OCR for second reads, at most this many
/// (the first pages, where an invoice's fields are): 9 MB each at 300 dpi A4.
pub const KEPT_IMAGES: usize = 3;

/// Normalise one raw page image and read it: the page and the image OCR read.
/// `kept`: the image is kept for second reads, and its checkboxes and frames, and the
/// row gaps' second reads, wait until a first analysis says they are wanted
/// ([`find_kept_marks`], [`read_kept_gaps`]); on a page whose image is not kept they
/// are done now.
pub(crate) fn ocr_page(
    engine: &mut dyn OcrEngine,
    raw: Pix,
    number: u32,
    opts: &preprocess::Options,
    kept: bool,
) -> Result<(Page, Pix), TextError> {
    engine.start_page();
    let clock = std::time::Instant::now();
    let ms = |since: std::time::Instant| since.elapsed().as_millis() as u64;
    let corrupt = |m: String| TextError::Corrupt(format!("page {number}: {m}"));
    let (prepared, prepared_t) = preprocess::prepare(raw, opts).map_err(corrupt)?;
    let (mut image, mut transform) =
        preprocess::straighten(&prepared, prepared_t, 0, opts).map_err(corrupt)?;
    let normalise_ms = ms(clock);
    let step = std::time::Instant::now();
    let mut words = engine.recognize(&image, number)?;
    // Orientation is asked only of a page whose first read is doubtful: a page read
    // well as it lies is upright, and OSD (Tesseract's legacy classifier over the
    // whole page) costs a sizeable share of a page pass. A page OSD would turn is read
    // turned as well, and the better of the two reads is kept.
    if opts.detect_orientation && !preprocess::reads_upright(&words) {
        if let Some((q, conf)) = preprocess::detect_orientation(&mut *engine, &prepared) {
            if q % 4 != 0 {
                let (turned, turned_t) =
                    preprocess::straighten(&prepared, prepared_t, q, opts).map_err(corrupt)?;
                let turned_words = engine.recognize(&turned, number)?;
                let (a, b) = (
                    preprocess::well_read(&turned_words),
                    preprocess::well_read(&words),
                );
                tracing::debug!(
                    page = number,
                    q,
                    conf,
                    turned = a,
                    upright = b,
                    "orientation tried by reading"
                );
                if a > b {
                    (image, transform, words) = (turned, turned_t, turned_words);
                }
            }
        }
    }
    drop(prepared);
    let pass_ms = ms(step);
    let step = std::time::Instant::now();
    let top = reread_top(engine, &image, &words, number)?;
    let top_ms = ms(step);
    words.extend(top);
    let step = std::time::Instant::now();
    let gaps = if kept {
        Vec::new()
    } else {
        reread_gaps(engine, &image, &words, number)?
    };
    let gaps_ms = ms(step);
    let gap_words = gaps.len();
    words.extend(gaps);
    let step = std::time::Instant::now();
    // One grey copy of the page for both searches.
    let (codes, marks) = match image.gray_bytes() {
        Some(gray) if kept => (codes_in(&gray, &image), Vec::new()),
        Some(gray) => (codes_in(&gray, &image), marks_in(&gray, &image, &transform)),
        None => Default::default(),
    };
    let codes_marks_ms = ms(step);
    tracing::debug!(
        page = number,
        normalise_ms,
        pass_ms,
        top_ms,
        gaps_ms,
        gap_words,
        codes_marks_ms,
        total_ms = ms(clock),
        "page read"
    );
    let page = Page {
        number,
        width: image.width(),
        height: image.height(),
        words,
        origin: Origin::Ocr,
        transform,
        codes,
        marks,
    };
    Ok((page, image))
}

/// The checkboxes and frames on the pages whose images were kept ([`ocr_page`] leaves
/// them to this): the search costs about a twentieth of a page's reading, and most
/// documents' types read no marks. Returns whether any was found.
pub fn find_kept_marks(images: &[Option<Pix>], pages: &mut [Page]) -> bool {
    let mut found = false;
    for (image, page) in images.iter().zip(pages.iter_mut()) {
        if let (Some(image), Origin::Ocr) = (image, page.origin) {
            page.marks = find_marks(image, &page.transform);
            found |= !page.marks.is_empty();
        }
    }
    found
}

/// The row gaps' second reads ([`reread_gaps`]) on the pages whose images were kept,
/// which [`ocr_page`] leaves to this: on a clean page whose fields were all read they
/// change nothing, and each read costs a few percent of the page pass. The reads share
/// the time limit of the last page read, as the doubtful values' second reads do.
/// Returns how many words they added.
pub fn read_kept_gaps(
    engine: &mut dyn OcrEngine,
    images: &[Option<Pix>],
    pages: &mut [Page],
) -> Result<usize, TextError> {
    let mut added = 0;
    for (image, page) in images.iter().zip(pages.iter_mut()) {
        if let (Some(image), Origin::Ocr) = (image, page.origin) {
            let gaps = reread_gaps(engine, image, &page.words, page.number)?;
            added += gaps.len();
            page.words.extend(gaps);
        }
    }
    Ok(added)
}

/// The checkboxes and frames of a stored document's first pages, looked for on its
/// original (`data`): the pages [`find_kept_marks`] would have searched when the type
/// it was read as had no mark field. Each page's image is rebuilt from its recorded
/// transform ([`render_page`]), so the marks' boxes are where the words' are. Pages
/// read from a text layer, and documents where a kept page has marks already (the
/// search ran), are left as they are. Returns whether any mark was found.
pub fn find_marks_again(
    data: &[u8],
    media: MediaType,
    pages: &mut [Page],
    limits: &crate::config::Limits,
) -> Result<bool, TextError> {
    let kept = pages.len().min(KEPT_IMAGES);
    if pages[..kept].iter().any(|p| !p.marks.is_empty()) {
        return Ok(false);
    }
    let mut found = false;
    for page in pages[..kept].iter_mut() {
        if page.origin == Origin::Ocr {
            let image = render_page(data, media, page.number, &page.transform, limits)?;
            page.marks = find_marks(&image, &page.transform);
            found |= !page.marks.is_empty();
        }
    }
    Ok(found)
}

/// Decode, normalise and read every page of an image document. Returns the pages and
/// the normalised images of the first [`KEPT_IMAGES`] of them.
pub fn read_image_document(
    engine: &mut dyn OcrEngine,
    data: &[u8],
    media: MediaType,
    opts: &preprocess::Options,
    limits: &crate::config::Limits,
) -> Result<(Vec<Page>, Vec<Option<Pix>>), TextError> {
    if media == MediaType::Pdf {
        return pdf::read_pdf_document(engine, data, opts, limits);
    }
    let mut pages = Vec::new();
    let mut images = Vec::new();
    let mut iter = decode::pages(data, media, limits)?;
    while let Some(raw) = iter.next_page()? {
        let number = pages.len() as u32 + 1;
        let kept = images.len() < KEPT_IMAGES;
        let (page, image) = ocr_page(engine, raw, number, opts, kept)?;
        pages.push(page);
        if kept {
            images.push(Some(image));
        }
    }
    if pages.is_empty() {
        return Err(TextError::NoPages);
    }
    Ok((pages, images))
}

/// Text that came as text (a PDF's text layer, an email's body) as a reader sees it:
/// the minus sign and dashes for a hyphen (PostScript's ISOLatin1Encoding puts `minus` where ASCII has
/// `-`, so "INV-2024" comes out of Ghostscript as "INV−2024"), ligatures spelled out,
/// no-break and thin spaces as spaces.
pub fn plain_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{00AD}' | '\u{FE63}' | '\u{FF0D}' => {
                out.push('-')
            }
            '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' => out.push(' '),
            '\u{FB00}' => out.push_str("ff"),
            '\u{FB01}' => out.push_str("fi"),
            '\u{FB02}' => out.push_str("fl"),
            '\u{FB03}' => out.push_str("ffi"),
            '\u{FB04}' => out.push_str("ffl"),
            '\u{2018}' | '\u{2019}' => out.push('\''),
            c => out.push(c),
        }
    }
    out
}

/// Text that came as text (an email's body) laid out as one page of words, so the
/// label-anchored extractor reads it like a page: one line of text per 60 px line, each
/// character 25 px wide, as a 10 pt monospace page at 300 dpi would be.
pub fn text_page(text: &str) -> Page {
    const LINE: u32 = 60;
    const CHAR: u32 = 25;
    const MARGIN: u32 = 150;
    let mut words = Vec::new();
    let mut lines = 0u32;
    for (n, line) in text.lines().enumerate() {
        lines = n as u32 + 1;
        let y = MARGIN + n as u32 * LINE;
        let mut col = 0u32;
        for piece in line.split_inclusive(char::is_whitespace) {
            let word = plain_text(piece.trim());
            let word = word.as_str();
            let len = piece.chars().count() as u32;
            if !word.is_empty() {
                let x = MARGIN + col * CHAR;
                words.push(Word {
                    text: word.to_string(),
                    conf: 1.0,
                    bbox: [
                        x,
                        y,
                        x + word.chars().count() as u32 * CHAR,
                        y + LINE * 2 / 3,
                    ],
                    line: n as u32 + 1,
                });
            }
            col += len;
        }
    }
    Page {
        number: 1,
        width: 2480,
        height: (2 * MARGIN + lines * LINE).max(3508),
        words,
        origin: Origin::TextLayer,
        transform: Transform::default(),
        codes: Vec::new(),
        marks: Vec::new(),
    }
}

/// The normalised image of page `number` (1-based), rebuilt from the original bytes
/// and the transform recorded when it was read: the image the field boxes refer to.
pub fn render_page(
    data: &[u8],
    media: MediaType,
    number: u32,
    transform: &Transform,
    limits: &crate::config::Limits,
) -> Result<Pix, TextError> {
    if media == MediaType::Pdf {
        let raw = pdf::raw_page(data, number, transform.render_dpi, limits)?;
        return preprocess::apply(raw, transform).map_err(TextError::Corrupt);
    }
    let mut iter = decode::pages(data, media, limits)?;
    let mut raw = None;
    for _ in 0..number.max(1) {
        raw = iter.next_page()?;
        if raw.is_none() {
            break;
        }
    }
    let raw = raw.ok_or(TextError::NoPages)?;
    preprocess::apply(raw, transform).map_err(TextError::Corrupt)
}

/// A second look at the words inside `bbox` (one value on one line): the region is
/// cut out with a margin and read as a single line, without the page around it. Where
/// both reads agree on a word, it is wrong only if both erred the same way, so its
/// doubt becomes the product of the two doubts; where they disagree, its confidence
/// becomes the chance that the second read is the wrong one. The reads are not truly
/// independent (a dropped diacritic is often dropped twice); calibration, fitted on
/// documents read this way, turns these scores into probabilities.
/// Words the second read did not cover keep their confidence. Returns how many words
/// were looked at again.
pub fn reread(
    engine: &mut dyn OcrEngine,
    image: &Pix,
    page: &mut Page,
    bbox: BBox,
) -> Result<usize, TextError> {
    let second = read_line_again(image, page.number, bbox, |crop| {
        engine.recognize_line(crop, page.number)
    })?;
    let mut looked = 0;
    for w in page.words.iter_mut().filter(|w| inside(w.bbox, bbox)) {
        let Some(other) = second
            .iter()
            .filter(|o| overlap(w.bbox, o.bbox) >= 0.5)
            .max_by(|a, b| overlap(w.bbox, a.bbox).total_cmp(&overlap(w.bbox, b.bbox)))
        else {
            continue;
        };
        looked += 1;
        tracing::trace!(first = %w.text, first_conf = w.conf, second = %other.text, second_conf = other.conf, "reread");
        let (a, b) = (w.conf, other.conf);
        w.conf = if same_text(&w.text, &other.text) {
            1.0 - (1.0 - a) * (1.0 - b)
        } else {
            // One of the two is wrong: how likely it is the second, taking the reads
            // as independent and each as right with its own confidence.
            a * (1.0 - b) / (a * (1.0 - b) + (1.0 - a) * b).max(f32::EPSILON)
        };
    }
    Ok(looked)
}

/// The line in `bbox` cut out with a margin and read by `read`, the words' boxes put
/// back on the page.
fn read_line_again(
    image: &Pix,
    number: u32,
    bbox: BBox,
    read: impl FnOnce(&Pix) -> Result<Vec<Word>, TextError>,
) -> Result<Vec<Word>, TextError> {
    let h = bbox[3].saturating_sub(bbox[1]).max(1);
    let (mx, my) = (h, h / 2 + 4);
    let rect = [
        bbox[0].saturating_sub(mx),
        bbox[1].saturating_sub(my),
        (bbox[2] + mx).min(image.width()),
        (bbox[3] + my).min(image.height()),
    ];
    let crop = image.clip(rect).map_err(|message| TextError::Ocr {
        page: number,
        message,
    })?;
    let mut words = read(&crop)?;
    for w in &mut words {
        w.bbox = [
            w.bbox[0] + rect[0],
            w.bbox[1] + rect[1],
            w.bbox[2] + rect[0],
            w.bbox[3] + rect[1],
        ];
    }
    Ok(words)
}

/// The words of a name or an address inside `bbox` read again, a line at a time, with
/// the model that knows every Latin-script accent ([`OcrEngine::recognize_line_accented`]):
/// the page's languages (Danish, German, English) have no "ó", "ń" or "è", and read
/// "López" as "Lopez" with full confidence. A word the second read spells with the same
/// letters and accents the first lacked, or with other accents read more surely
/// ([`accented_spelling`]), takes the second read's spelling and confidence. Returns
/// how many words changed.
pub fn restore_accents(
    engine: &mut dyn OcrEngine,
    image: &Pix,
    page: &mut Page,
    bbox: BBox,
    written: &str,
) -> Result<usize, TextError> {
    // Each line's box, and whether a word of it has a letter: a word without one ("12",
    // "4-6", "·") has nothing to take an accent, so a line of only such words cannot
    // change, and is not read.
    let mut lines: Vec<(u32, BBox, bool)> = Vec::new();
    for w in page.words.iter().filter(|w| inside(w.bbox, bbox)) {
        let letters = w.text.chars().any(char::is_alphabetic);
        match lines.iter_mut().find(|(l, _, _)| *l == w.line) {
            Some((_, b, any)) => (*b, *any) = (union(*b, w.bbox), *any || letters),
            None => lines.push((w.line, w.bbox, letters)),
        }
    }
    let mut changed = 0;
    for (line, line_box, _) in lines.into_iter().filter(|&(_, _, letters)| letters) {
        let second = read_line_again(image, page.number, line_box, |crop| {
            engine.recognize_line_accented(crop, page.number)
        })?;
        for w in page
            .words
            .iter_mut()
            .filter(|w| w.line == line && inside(w.bbox, bbox))
        {
            // One line read on its own: its words are told apart by where they run
            // along it (a line read alone gets taller boxes).
            let along = |o: &Word| {
                let inter = w.bbox[2]
                    .min(o.bbox[2])
                    .saturating_sub(w.bbox[0].max(o.bbox[0]));
                let span = w.bbox[2].max(o.bbox[2]) - w.bbox[0].min(o.bbox[0]);
                inter as f32 / span.max(1) as f32
            };
            let Some(other) = second
                .iter()
                .filter(|o| along(o) >= 0.5)
                .max_by(|a, b| along(a).total_cmp(&along(b)))
            else {
                continue;
            };
            if let Some(text) = accented_spelling(&w.text, w.conf, &other.text, other.conf, written)
            {
                tracing::trace!(first = %w.text, first_conf = w.conf, second = %text, conf = other.conf, "accents");
                w.text = text;
                w.conf = other.conf;
                changed += 1;
            }
        }
    }
    Ok(changed)
}

/// The second reading of a word, when it is the first's letters with the accents read
/// right: the same letters once accents are set aside, every letter that differs
/// accented in the second read, and either more accented letters than the first
/// ("Lopez" → "López") or as many, other ones, that the first read could not write
/// (`written`: the accented letters of the page's languages, [`letters_written`]:
/// "Sänchez" → "Sánchez") or read more surely ("Bjérkdal" → "Björkdal"). Punctuation
/// around the word is the first read's. "ù" and "ì" are taken only at a word's end.
pub fn accented_spelling(
    first: &str,
    first_conf: f32,
    second: &str,
    conf: f32,
    written: &str,
) -> Option<String> {
    let trim = |s: &str| s.trim_matches(|c: char| !c.is_alphanumeric()).to_string();
    let (a, b) = (trim(first), trim(second));
    let (ca, cb): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a == b || ca.len() != cb.len() || ca.is_empty() {
        return None;
    }
    let accented = |c: char| bare(c) != c;
    for (&x, &y) in ca.iter().zip(&cb) {
        if x != y && !(accented(y) && (bare(x) == bare(y) || accented(x))) {
            return None;
        }
    }
    // "ù" and "ì" end words in every language that writes them (Italian "più",
    // French "où"): inside a word they are a speck the Latin model took for an accent
    // ("Harboùrview").
    let last = cb.len() - 1;
    if cb
        .iter()
        .enumerate()
        .any(|(i, c)| i < last && ca[i] != *c && matches!(c.to_lowercase().next(), Some('ù' | 'ì')))
    {
        return None;
    }
    let (na, nb) = (accents(&a), accents(&b));
    let unwritable = ca
        .iter()
        .zip(&cb)
        .any(|(x, y)| x != y && !y.to_lowercase().all(|l| written.contains(l)));
    (nb > na || (nb == na && (unwritable || conf > first_conf))).then(|| first.replacen(&a, &b, 1))
}

/// The accented letters (lower case) the Tesseract languages `languages` ("deu+dan+eng")
/// write; a language not listed here adds none.
pub fn letters_written(languages: &str) -> String {
    languages
        .split('+')
        .map(|l| match l {
            "dan" | "nor" => "æøåé",
            "deu" => "äöüß",
            "swe" | "fin" | "est" => "åäöšž",
            "fra" => "àâæçéèêëîïôœùûüÿ",
            "spa" => "áéíñóúü",
            "ita" => "àèéìíîòóùú",
            "por" => "áâãàçéêíóôõú",
            "nld" => "áéëïóöü",
            "pol" => "ąćęłńóśźż",
            "ces" | "slk" => "áčďéěíňóřšťúůýž",
            "isl" => "áðéíóúýþæö",
            _ => "",
        })
        .collect()
}

/// `s` without accents: "López" → "Lopez".
pub fn unaccented(s: &str) -> String {
    s.chars().map(bare).collect()
}

/// How many of `s`'s letters carry an accent.
pub fn accents(s: &str) -> usize {
    s.chars().filter(|&c| bare(c) != c).count()
}

/// A letter without its accent: "ó" → "o", "Ł" → "L", "ø" → "o"; any other character
/// as it is.
fn bare(c: char) -> char {
    use unicode_normalization::UnicodeNormalization;
    match c {
        'ø' => 'o',
        'Ø' => 'O',
        'ł' => 'l',
        'Ł' => 'L',
        'đ' => 'd',
        'Đ' => 'D',
        c if c.is_ascii() => c,
        c => std::iter::once(c).nfd().next().unwrap_or(c),
    }
}

fn union(a: BBox, b: BBox) -> BBox {
    [
        a[0].min(b[0]),
        a[1].min(b[1]),
        a[2].max(b[2]),
        a[3].max(b[3]),
    ]
}

/// Whether `a` lies within `b` (a word of a value inside the value's box).
pub fn inside(a: BBox, b: BBox) -> bool {
    a[0] >= b[0] && a[1] >= b[1] && a[2] <= b[2] && a[3] <= b[3]
}

/// A box's area in square pixels (0 for an empty or inverted box).
pub fn area(b: BBox) -> f64 {
    b[2].saturating_sub(b[0]) as f64 * b[3].saturating_sub(b[1]) as f64
}

/// The area two boxes share.
pub fn intersection(a: BBox, b: BBox) -> f64 {
    let w = a[2].min(b[2]).saturating_sub(a[0].max(b[0])) as f64;
    let h = a[3].min(b[3]).saturating_sub(a[1].max(b[1])) as f64;
    w * h
}

/// Intersection over union of two boxes.
fn overlap(a: BBox, b: BBox) -> f32 {
    let inter = intersection(a, b);
    let union = area(a) + area(b) - inter;
    if union <= 0.0 {
        0.0
    } else {
        (inter / union) as f32
    }
}

/// Same word, leading and trailing punctuation aside ("Lyngby," and "Lyngby").
fn same_text(a: &str, b: &str) -> bool {
    let trim = |s: &str| s.trim_matches(|c: char| !c.is_alphanumeric()).to_string();
    trim(a) == trim(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ScriptedEngine;

    #[test]
    fn text_as_text_reads_as_plain_characters() {
        assert_eq!(
            plain_text("INV\u{2212}2024\u{2013}7 \u{FB01}le"),
            "INV-2024-7 file"
        );
        // An email body goes through the same reading as a PDF's text layer.
        let page =
            text_page("Invoice number:\u{00A0}INV\u{2212}2024\u{2013}0007\nTotal: 1\u{202F}250,00");
        let words: Vec<&str> = page.words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(
            words,
            [
                "Invoice",
                "number:",
                "INV-2024-0007",
                "Total:",
                "1",
                "250,00"
            ]
        );
        assert_eq!(page.words[2].line, 1);
        assert_eq!(page.words[3].line, 2);
        assert_eq!(page.origin, Origin::TextLayer);
    }

    fn word(text: &str, conf: f32, bbox: BBox) -> Word {
        Word {
            text: text.into(),
            conf,
            bbox,
            line: 1_001_001,
        }
    }

    /// Answers second looks with fixed words; the page-wide pass reads nothing.
    fn second_look(words: Vec<Word>) -> ScriptedEngine {
        ScriptedEngine::new().second_look(words)
    }

    fn white(w: u32, h: u32) -> Vec<u8> {
        vec![255; (w * h) as usize]
    }

    #[test]
    fn a_second_read_that_agrees_raises_confidence_one_that_disagrees_lowers_it() {
        let image = Pix::from_gray(400, 200, &white(400, 200)).unwrap();
        let mut page = Page {
            number: 1,
            width: 400,
            height: 200,
            words: vec![
                word("INV-42", 0.8, [100, 50, 200, 80]),
                word("2024", 0.9, [210, 50, 260, 80]),
                word("elsewhere", 0.5, [10, 150, 80, 170]),
            ],
            origin: Origin::Ocr,
            transform: Transform::default(),
            codes: Vec::new(),
            marks: Vec::new(),
        };
        // The value's box [100,50,260,80] is cut out with a margin of (30, 19): the
        // second read's boxes are relative to [70,31,...].
        let second = vec![
            word("INV-42", 0.9, [30, 19, 130, 49]),
            word("2O24", 0.6, [140, 19, 190, 49]),
        ];
        let looked = reread(
            &mut second_look(second),
            &image,
            &mut page,
            [100, 50, 260, 80],
        )
        .unwrap();
        assert_eq!(looked, 2);
        // Agreement: doubt 0.2 × 0.1.
        assert!(
            (page.words[0].conf - 0.98).abs() < 1e-4,
            "{}",
            page.words[0].conf
        );
        // Disagreement: 0.9·0.4 / (0.9·0.4 + 0.1·0.6).
        assert!(
            (page.words[1].conf - 0.857).abs() < 1e-3,
            "{}",
            page.words[1].conf
        );
        // Words outside the box are not touched.
        assert_eq!(page.words[2].conf, 0.5);
    }

    #[test]
    fn print_above_the_first_word_read_is_read_again() {
        let (w, h) = (600u32, 1000u32);
        let words = vec![word("Invoice", 0.95, [50, 400, 200, 440])];
        let letterhead = vec![word("Lyngholm", 0.9, [50, 100, 300, 140])];

        let mut data = white(w, h);
        for y in 100..140 {
            for x in 50..300 {
                data[(y * w + x) as usize] = 0;
            }
        }
        let inked = Pix::from_gray(w, h, &data).unwrap();
        let extra = reread_top(&mut second_look(letterhead.clone()), &inked, &words, 1).unwrap();
        assert_eq!(extra.len(), 1);
        assert_eq!(extra[0].text, "Lyngholm");
        assert!(extra[0].line > REREAD_LINE_BASE, "line ids stay apart");

        // A blank margin is not read again.
        let blank = Pix::from_gray(w, h, &white(w, h)).unwrap();
        assert!(reread_top(&mut second_look(letterhead), &blank, &words, 1)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_page_is_rendered_again_as_it_was_read() {
        let (w, h) = (300u32, 200u32);
        let mut data = white(w, h);
        for y in 0..10 {
            for x in 0..10 {
                data[(y * w + x) as usize] = 0; // top-left corner dark
            }
        }
        let img = image::GrayImage::from_raw(w, h, data).unwrap();
        let mut png = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let limits = crate::config::Limits {
            max_file_bytes: 1 << 20,
            max_pages: 5,
            max_pixels: 1 << 24,
            ..Default::default()
        };
        // Turned a quarter clockwise and doubled: 400 x 600, the dark corner now top right.
        let t = Transform {
            source_dpi: 150,
            scale: 2.0,
            quarter_turns: 1,
            deskew_deg: 0.0,
            render_dpi: 0,
            ..Default::default()
        };
        let pix = render_page(&png, MediaType::Png, 1, &t, &limits).unwrap();
        assert_eq!((pix.width(), pix.height()), (400, 600));
        assert!(pix.dark_fraction([384, 2, 398, 16]) > 0.9);
        assert_eq!(pix.dark_fraction([0, 0, 20, 20]), 0.0);
        let back = image::load_from_memory(&pix.to_png().unwrap()).unwrap();
        assert_eq!((back.width(), back.height()), (400, 600));
        assert!(matches!(
            render_page(&png, MediaType::Png, 2, &t, &limits),
            Err(TextError::NoPages)
        ));
    }

    #[test]
    fn dark_fraction_counts_dark_pixels_in_a_rectangle() {
        let mut data = white(10, 10);
        data[0] = 0;
        data[11] = 10;
        let pix = Pix::from_gray(10, 10, &data).unwrap();
        assert_eq!(pix.dark_fraction([0, 0, 2, 2]), 0.5);
        assert_eq!(pix.dark_fraction([2, 2, 10, 10]), 0.0);
        let clip = pix.clip([1, 1, 3, 3]).unwrap();
        assert_eq!((clip.width(), clip.height()), (2, 2));
        assert_eq!(clip.dark_fraction([0, 0, 1, 1]), 1.0);
    }

    /// Records the line reads it is asked for (their crops' boxes) and reads nothing.
    #[derive(Default)]
    struct LineReads(Vec<[u32; 2]>);

    impl OcrEngine for LineReads {
        fn recognize(&mut self, _: &Pix, _: u32) -> Result<Vec<Word>, TextError> {
            Ok(Vec::new())
        }
        fn recognize_line(&mut self, image: &Pix, _: u32) -> Result<Vec<Word>, TextError> {
            self.0.push([image.width(), image.height()]);
            Ok(Vec::new())
        }
    }

    #[test]
    fn only_accents_are_taken_from_the_accents_read() {
        let written = letters_written("deu+dan+eng");
        let take = |a: &str, ca: f32, b: &str, cb: f32| accented_spelling(a, ca, b, cb, &written);
        // Accents the first read lacks, whatever the confidences; its punctuation stays.
        assert_eq!(take("Lopez", 0.96, "López", 0.7).as_deref(), Some("López"));
        assert_eq!(
            take("Zielinski,", 0.9, "Zieliński", 0.9).as_deref(),
            Some("Zieliński,")
        );
        assert_eq!(
            take("LEFEVRE", 0.9, "LEFÈVRE", 0.8).as_deref(),
            Some("LEFÈVRE")
        );
        assert_eq!(take("Sahko", 0.9, "Sähkö", 0.8).as_deref(), Some("Sähkö"));
        // Other accents for as many: when the page's languages cannot write the second
        // read's ("ó", "á"), or when it is read more surely.
        assert_eq!(take("Lépez", 0.9, "López", 0.8).as_deref(), Some("López"));
        assert_eq!(
            take("Sänchez", 0.95, "Sánchez", 0.8).as_deref(),
            Some("Sánchez")
        );
        assert_eq!(
            take("Bjérkdal", 0.8, "Björkdal", 0.9).as_deref(),
            Some("Björkdal")
        );
        assert_eq!(take("Bjérkdal", 0.9, "Björkdal", 0.8), None);
        assert_eq!(take("Bøgely", 0.9, "Bögely", 0.8), None);
        // Fewer accents, other letters, another length, or the same: the first stays.
        assert_eq!(take("Rørlegger", 0.9, "Rorlegger", 0.99), None);
        assert_eq!(take("Lopez", 0.9, "Lápez", 0.99), None);
        assert_eq!(take("Lopez", 0.9, "Lopéz.", 0.99).as_deref(), Some("Lopéz"));
        assert_eq!(take("Lopez", 0.9, "Lopezé", 0.99), None);
        assert_eq!(take("Lopez", 0.9, "Lopez", 0.99), None);
        assert_eq!(take("2024", 0.9, "2O24", 0.99), None);
        // Letters that only end words: inside one they are a speck (a degraded English
        // page of the generator's mixed set, seed 4242, inv-4242-0006).
        assert_eq!(take("Harbourview", 0.93, "Harboùrview", 0.81), None);
        assert_eq!(take("Citta", 0.9, "Città", 0.9).as_deref(), Some("Città"));
        assert_eq!(take("piu", 0.9, "più", 0.9).as_deref(), Some("più"));
        assert_eq!(unaccented("Łódź Øst"), "Lodz Ost");
    }

    #[test]
    fn names_take_their_accents_from_the_accents_read_a_line_at_a_time() {
        let image = Pix::from_gray(1000, 300, &white(1000, 300)).unwrap();
        let mut page = Page {
            number: 1,
            width: 1000,
            height: 300,
            words: vec![
                word("Lopez", 0.96, [100, 50, 200, 80]),
                word("Informatica", 0.95, [210, 50, 400, 80]),
                Word {
                    line: 7,
                    ..word("Calle", 0.9, [100, 100, 180, 130])
                },
                word("Lopez", 0.9, [100, 250, 200, 280]),
            ],
            origin: Origin::Ocr,
            transform: Transform::default(),
            codes: Vec::new(),
            marks: Vec::new(),
        };
        // The line [100,50,400,80] is cut out with a margin of (30, 19), and a line
        // read alone gets taller boxes than the page pass gave its words.
        let accented = vec![
            word("López", 0.9, [30, 0, 130, 68]),
            word("Informática", 0.8, [140, 0, 330, 68]),
        ];
        let mut engine = ScriptedEngine::new().accented(accented);
        let changed =
            restore_accents(&mut engine, &image, &mut page, [100, 50, 400, 130], "").unwrap();
        let texts: Vec<(&str, f32)> = page
            .words
            .iter()
            .map(|w| (w.text.as_str(), w.conf))
            .collect();
        // Both lines in the box were read (the second answers the same script, whose
        // words do not lie along "Calle"); the word outside the box is left alone.
        assert_eq!(changed, 2);
        assert_eq!(
            texts,
            [
                ("López", 0.9),
                ("Informática", 0.8),
                ("Calle", 0.9),
                ("Lopez", 0.9)
            ]
        );
        // Without an accents model nothing changes.
        let mut none = ScriptedEngine::new();
        assert_eq!(
            restore_accents(&mut none, &image, &mut page, [100, 250, 200, 280], "").unwrap(),
            0
        );
    }

    /// A line of a name or an address without a letter (a postcode and a house number,
    /// a phone number) has nothing to take an accent, and is not read for one.
    #[test]
    fn lines_without_letters_are_not_read_for_accents() {
        let image = Pix::from_gray(1000, 300, &white(1000, 300)).unwrap();
        let on_line = |line: u32, w: Word| Word { line, ..w };
        let mut page = Page {
            number: 1,
            width: 1000,
            height: 300,
            words: vec![
                on_line(1, word("Lopez", 0.96, [100, 50, 200, 80])),
                on_line(2, word("28013", 0.95, [100, 100, 180, 130])),
                on_line(2, word("12-14,", 0.95, [190, 100, 260, 130])),
                on_line(3, word("+34", 0.95, [100, 150, 150, 180])),
                on_line(3, word("915", 0.95, [160, 150, 220, 180])),
            ],
            origin: Origin::Ocr,
            transform: Transform::default(),
            codes: Vec::new(),
            marks: Vec::new(),
        };
        let mut engine = ScriptedEngine::new().accented(vec![word("López", 0.9, [30, 0, 130, 68])]);
        let changed =
            restore_accents(&mut engine, &image, &mut page, [100, 50, 400, 180], "").unwrap();
        assert_eq!(changed, 1);
        assert_eq!(page.words[0].text, "López");
        // Only the line with letters was read.
        assert_eq!(engine.accented_read(), 1);
    }

    /// A gap in a row is read again only for print no word read covers: not for the
    /// descenders of the row above reaching into a thin row's band, nor for the words of
    /// another row; a lone "2" right of its row's words still is.
    #[test]
    fn gaps_are_read_only_where_print_is_unread() {
        let (w, h) = (1200u32, 400u32);
        let mut g = white(w, h);
        let mut ink = |x0: u32, y0: u32, x1: u32, y1: u32| {
            for y in y0..y1 {
                for x in x0..x1 {
                    g[(y * w + x) as usize] = 0;
                }
            }
        };
        // A word with descenders (its box 100..152 high), strokes every 10 px.
        for x in (100..500).step_by(10) {
            ink(x, 100, x + 4, if x % 40 == 0 { 152 } else { 140 });
        }
        // A logo's small print far right, a thin row whose band takes in the descenders.
        for x in (900..1000).step_by(6) {
            ink(x, 150, x + 2, 165);
        }
        // A Qty row: "Qty" read, the "2" far right of it not.
        ink(100, 300, 200, 340);
        ink(700, 305, 720, 335);
        let image = Pix::from_gray(w, h, &g).unwrap();
        let words = vec![
            word("Rechnungsersteller", 0.9, [100, 100, 500, 152]),
            Word {
                line: 2,
                ..word("Deutschland", 0.9, [900, 150, 1000, 165])
            },
            Word {
                line: 3,
                ..word("Qty", 0.9, [100, 300, 200, 340])
            },
        ];
        let mut engine = LineReads::default();
        reread_gaps(&mut engine, &image, &words, 1).unwrap();
        // One read: the "2" with a margin of a character height each side.
        assert_eq!(engine.0.len(), 1, "{:?}", engine.0);
        assert!(engine.0[0][0] <= 20 + 2 * 40 + 10, "{:?}", engine.0);
    }

    #[test]
    fn ruling_is_told_from_print() {
        // A 400x300 page, rows 40 px high from y = 100 to 140.
        let (w, h) = (400u32, 300u32);
        let mut g = white(w, h);
        let mut ink = |x0: u32, y0: u32, x1: u32, y1: u32| {
            for y in y0..y1 {
                for x in x0..x1 {
                    g[(y * w + x) as usize] = 0;
                }
            }
        };
        // A table's side: 3 px wide, from top to bottom of the page.
        ink(300, 0, 303, 300);
        // A horizontal rule 3 px high across x 20..120.
        ink(20, 120, 120, 123);
        // A lone "1" of a Qty column: 4 px wide, 26 px high, inside the row only.
        ink(200, 107, 204, 133);
        let pix = Pix::from_gray(w, h, &g).unwrap();
        let h = 40;
        assert!(
            only_ruling(&pix, &pix, [280, 100, 320, 140], h),
            "the side of a table"
        );
        assert!(only_ruling(&pix, &pix, [20, 100, 120, 140], h), "a rule");
        assert!(!only_ruling(&pix, &pix, [180, 100, 230, 140], h), "a digit");
        // The digit beside the table's side is still print.
        assert!(!only_ruling(&pix, &pix, [190, 100, 320, 140], h));
    }

    /// Reads print as words only where the page is upright (ink in its top half, as
    /// the test page is drawn); upside down it reads fragments. OSD answers "half turn".
    struct Upright {
        osd_asked: usize,
    }
    impl OcrEngine for Upright {
        fn recognize(&mut self, image: &Pix, _: u32) -> Result<Vec<Word>, TextError> {
            let (w, h) = (image.width(), image.height());
            let upright =
                image.dark_fraction([0, 0, w, h / 2]) > image.dark_fraction([0, h / 2, w, h]);
            Ok((0..20u32)
                .map(|i| {
                    let bbox = [10, 10 + 12 * i, 60, 20 + 12 * i];
                    if upright {
                        word("Rechnung", 0.95, bbox)
                    } else {
                        word("ɐu", 0.3, bbox)
                    }
                })
                .collect())
        }
        fn detect_orientation(&mut self, _: &Pix) -> Option<(u32, f32)> {
            self.osd_asked += 1;
            Some((2, 4.0))
        }
    }

    #[test]
    fn orientation_is_asked_only_when_the_first_read_is_doubtful() {
        let (w, h) = (300u32, 400u32);
        let mut g = white(w, h);
        for y in 20..150 {
            for x in 20..280 {
                if (x / 6 + y / 8) % 2 == 0 {
                    g[(y * w + x) as usize] = 0;
                }
            }
        }
        let opts = preprocess::Options {
            target_dpi: 300,
            detect_orientation: true,
            deskew: false,
        };
        let read = |pix: Pix| {
            let mut pix = pix;
            pix.set_resolution(300);
            let mut engine = Upright { osd_asked: 0 };
            let (page, image) = ocr_page(&mut engine, pix, 1, &opts, false).unwrap();
            (
                engine.osd_asked,
                page.transform.quarter_turns,
                page.words[0].text.clone(),
                image.height(),
            )
        };
        // Upright and read well: OSD is not asked.
        let upright = Pix::from_gray(w, h, &g).unwrap();
        assert_eq!(read(upright), (0, 0, "Rechnung".to_string(), h));
        // Upside down: the first read is doubtful, OSD is asked, the turned page reads
        // better and is kept, with its turn recorded.
        let flipped = Pix::from_gray(w, h, &g).unwrap().rotate_orth(2).unwrap();
        assert_eq!(read(flipped), (1, 2, "Rechnung".to_string(), h));
    }
}
