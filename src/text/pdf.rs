//! PDF pages, read by poppler's command-line tools, each run as an isolated child
//! ([`super::tool`]): a hostile PDF can crash, hang or balloon a tool, never the service.
//!
//! Page by page:
//! - a page with a usable text layer is read from it (`pdftotext -bbox-layout`): words
//!   with their boxes, scaled to the pixels of a page rendered at the OCR resolution, so
//!   the label-anchored extractor works on them unchanged (`origin: "text_layer"`);
//!   when it carries a picture, it is also rendered to look for payment QR codes;
//! - a scanner's page (one image covering the page, no text) is OCRed from that image
//!   taken out as it is stored (`pdfimages`: JPEG as is, CCITT G4, JBIG2 and Flate
//!   decoded losslessly) at its own resolution;
//! - any other page without text is rendered (`pdftoppm`) at the OCR resolution.
//!
//! Why poppler and not a Rust crate: measured on the shared corpus and on generated
//! files (see the README, "PDFs"), `pdf-extract` drops text drawn with the `'` and `"`
//! operators and panics on corrupt files, and no Rust crate renders as completely;
//! poppler reads all of them, and a separate process can be killed and capped.

use std::ffi::OsStr;
use std::path::PathBuf;

use super::tool::{self, ToolError, ToolLimits};
use super::{decode, preprocess, MediaType, OcrEngine, Page, Pix, TextError, Word};
use crate::config::Limits;
use crate::document::Origin;

fn tool_limits(limits: &Limits) -> ToolLimits {
    ToolLimits {
        timeout: limits.pdf_tool_timeout,
        memory_bytes: limits.pdf_tool_memory_bytes,
        // The largest page image allowed, as RGB, plus room for text and headers.
        file_bytes: limits.max_pixels.saturating_mul(3) + (64 << 20),
    }
}

impl From<ToolError> for TextError {
    fn from(e: ToolError) -> Self {
        TextError::Pdf(e.to_string())
    }
}

/// The document's bytes in a private temporary file, for the tools to read.
struct PdfFile {
    dir: tempfile::TempDir,
    path: PathBuf,
    /// The configured password that opened it, when it needed one ([`info`] finds it).
    password: Option<String>,
}

impl PdfFile {
    fn new(data: &[u8]) -> Result<PdfFile, TextError> {
        let io = |e: std::io::Error| TextError::Pdf(format!("cannot write a temporary file: {e}"));
        let dir = tempfile::Builder::new()
            .prefix("mailroom-pdf-")
            .tempdir()
            .map_err(io)?;
        let path = dir.path().join("in.pdf");
        std::fs::write(&path, data).map_err(io)?;
        Ok(PdfFile {
            dir,
            path,
            password: None,
        })
    }

    /// A poppler tool's arguments: the password that opened the file, if any, then
    /// `args`. The password goes as both owner and user password: poppler tries it as
    /// the owner's first (which also lifts copy restrictions), then as the user's.
    fn args<'a>(&'a self, args: &[&'a OsStr]) -> Vec<&'a OsStr> {
        let mut out: Vec<&OsStr> = Vec::with_capacity(args.len() + 4);
        if let Some(pw) = &self.password {
            let pw = OsStr::new(pw);
            out.extend([OsStr::new("-opw"), pw, OsStr::new("-upw"), pw]);
        }
        out.extend_from_slice(args);
        out
    }

    fn out(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// What `pdfinfo` tells: the page count and each page's size as displayed (points).
#[derive(Debug, Clone, PartialEq)]
pub struct PdfInfo {
    pub pages: u32,
    pub sizes: Vec<(f64, f64)>,
}

/// Open the file with `pdfinfo`: without a password, and when it needs one, with each
/// configured password in turn; the one that opens it stays with `file` for every
/// later tool run. A PDF none opens is [`TextError::Encrypted`] (passwords unnamed).
fn info(file: &mut PdfFile, limits: &Limits) -> Result<PdfInfo, TextError> {
    file.password = None;
    match run_info(file, limits) {
        Err(TextError::Encrypted { .. }) => {}
        Err(TextError::Pdf(e)) if e.contains("trailer dictionary") => {
            // poppler rebuilds a lost cross-reference table by scanning the objects,
            // but only when it also finds a trailer naming the catalog; a table kept
            // as a stream (PDF 1.5+) that is cut off takes the trailer with it.
            let data = std::fs::read(&file.path)
                .map_err(|io| TextError::Pdf(format!("cannot read a temporary file: {io}")))?;
            let Some(repaired) = with_trailer(&data) else {
                return Err(TextError::Pdf(e));
            };
            std::fs::write(&file.path, repaired)
                .map_err(|io| TextError::Pdf(format!("cannot write a temporary file: {io}")))?;
            tracing::info!("a PDF without its cross-reference table was repaired");
            return run_info(file, limits).map_err(|_| TextError::Pdf(e));
        }
        other => return other,
    }
    for (n, password) in limits.pdf_passwords.iter().enumerate() {
        file.password = Some(password.to_string());
        match run_info(file, limits) {
            Ok(info) => {
                tracing::debug!(
                    password = n + 1,
                    "an encrypted PDF opened with a configured password"
                );
                return Ok(info);
            }
            Err(TextError::Encrypted { .. }) => continue,
            Err(e) => {
                file.password = None;
                return Err(e);
            }
        }
    }
    file.password = None;
    Err(TextError::Encrypted {
        tried: limits.pdf_passwords.len(),
    })
}

/// `data` with a trailer naming its catalog appended (the last `N G obj` whose
/// dictionary is `/Type /Catalog`), for poppler to rebuild the table from; `None`
/// when no catalog is found as a plain object.
fn with_trailer(data: &[u8]) -> Option<Vec<u8>> {
    let text = String::from_utf8_lossy(data);
    let catalog = regex::Regex::new(r"(\d+)\s+(\d+)\s+obj\s*<<(?:[^>]|>[^>])*?/Type\s*/Catalog\b")
        .expect("a valid pattern");
    let c = catalog.captures_iter(&text).last()?;
    let mut out = data.to_vec();
    out.extend_from_slice(
        format!("\ntrailer\n<</Root {} {} R>>\n%%EOF\n", &c[1], &c[2]).as_bytes(),
    );
    Some(out)
}

fn run_info(file: &PdfFile, limits: &Limits) -> Result<PdfInfo, TextError> {
    // Sizes of the pages that will be read, one past the limit at most.
    let last = (limits.max_pages + 1).to_string();
    let args = file.args(&[
        "-f".as_ref(),
        "1".as_ref(),
        "-l".as_ref(),
        last.as_ref(),
        file.path.as_os_str(),
    ]);
    let out = match tool::run("pdfinfo", &args, &tool_limits(limits)) {
        Ok(out) => out,
        Err(ToolError::Failed { stderr, .. }) if stderr.contains("Incorrect password") => {
            return Err(TextError::Encrypted { tried: 0 })
        }
        // An empty page tree: "the first page (1) can not be after the last page (0)".
        Err(ToolError::Failed { stderr, .. }) if stderr.contains("last page (0)") => {
            return Err(TextError::NoPages)
        }
        Err(ToolError::Failed { stderr, .. }) => {
            return Err(TextError::Pdf(format!("not a readable PDF: {stderr}")))
        }
        Err(e) => return Err(e.into()),
    };
    parse_info(&String::from_utf8_lossy(&out.stdout))
}

fn parse_info(text: &str) -> Result<PdfInfo, TextError> {
    let mut pages = None;
    let mut sizes: Vec<(f64, f64)> = Vec::new();
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("Pages:") {
            pages = v.trim().parse::<u32>().ok();
        } else if let Some(rest) = line.strip_prefix("Page ") {
            // "Page    1 size: 595.276 x 841.89 pts (A4)" / "Page    1 rot:  90"
            let rest = rest.trim_start();
            let Some((_, what)) = rest.split_once(' ') else {
                continue;
            };
            let what = what.trim_start();
            if let Some(size) = what.strip_prefix("size:") {
                let mut it = size.split_whitespace();
                let w = it.next().and_then(|v| v.parse::<f64>().ok());
                let h = it.nth(1).and_then(|v| v.parse::<f64>().ok());
                if let (Some(w), Some(h)) = (w, h) {
                    sizes.push((w, h));
                }
            } else if let Some(rot) = what.strip_prefix("rot:") {
                let quarter = rot.trim().parse::<i64>().unwrap_or(0).rem_euclid(360) / 90;
                if quarter % 2 == 1 {
                    if let Some(s) = sizes.last_mut() {
                        *s = (s.1, s.0);
                    }
                }
            }
        }
    }
    let pages = pages.ok_or_else(|| TextError::Corrupt("pdfinfo reported no page count".into()))?;
    Ok(PdfInfo { pages, sizes })
}

/// No embedded invoice is larger than this.
const MAX_EMBEDDED: u64 = 50 * 1024 * 1024;

/// The embedded file `choose` picks from the names of a PDF's embedded files
/// (`pdfdetach`), with its name: `None` when the PDF embeds none it wants.
pub fn embedded_file(
    data: &[u8],
    limits: &Limits,
    choose: impl Fn(&[String]) -> Option<usize>,
) -> Result<Option<(String, Vec<u8>)>, TextError> {
    let mut file = PdfFile::new(data)?;
    // Opened as its pages will be: with the configured password it needs, if any.
    info(&mut file, limits)?;
    let failed = |e: ToolError| match e {
        ToolError::Failed { stderr, .. } => TextError::Pdf(format!("not a readable PDF: {stderr}")),
        e => e.into(),
    };
    let args = file.args(&[
        "-enc".as_ref(),
        "UTF-8".as_ref(),
        "-list".as_ref(),
        file.path.as_os_str(),
    ]);
    let out = tool::run("pdfdetach", &args, &tool_limits(limits)).map_err(failed)?;
    // "2 embedded files" then "1: factur-x.xml", ...
    let names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(": ").map(|(_, n)| n.to_string()))
        .collect();
    let Some(i) = choose(&names) else {
        return Ok(None);
    };
    let n = (i + 1).to_string();
    let dest = file.out("embedded");
    let args = file.args(&[
        "-save".as_ref(),
        n.as_ref(),
        "-o".as_ref(),
        dest.as_os_str(),
        file.path.as_os_str(),
    ]);
    tool::run("pdfdetach", &args, &tool_limits(limits)).map_err(failed)?;
    let size = std::fs::metadata(&dest).map(|m| m.len()).unwrap_or(0);
    if size > MAX_EMBEDDED {
        return Err(TextError::Pdf(format!(
            "the embedded {} is {size} bytes, more than any invoice",
            names[i]
        )));
    }
    let bytes = std::fs::read(&dest)
        .map_err(|e| TextError::Pdf(format!("pdfdetach wrote nothing: {e}")))?;
    Ok(Some((names[i].clone(), bytes)))
}

/// One word of a page's text layer, in points from the page's top left.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerWord {
    pub text: String,
    pub bbox: [f64; 4],
    /// 1-based line number within the page, in pdftotext's reading order.
    pub line: u32,
}

/// The text layer of pages 1..=`pages`, one list of words per page. `None` when the
/// PDF forbids copying its text (pdftotext honours that); its pages are then OCRed.
fn text_layer(
    file: &PdfFile,
    pages: u32,
    limits: &Limits,
) -> Result<Option<Vec<Vec<LayerWord>>>, TextError> {
    let out = file.out("text.html");
    let last = pages.to_string();
    let args = file.args(&[
        "-bbox-layout".as_ref(),
        "-f".as_ref(),
        "1".as_ref(),
        "-l".as_ref(),
        last.as_ref(),
        file.path.as_os_str(),
        out.as_os_str(),
    ]);
    match tool::run("pdftotext", &args, &tool_limits(limits)) {
        Ok(_) => {}
        Err(ToolError::Failed { stderr, .. }) if stderr.contains("not allowed") => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let html = std::fs::read_to_string(&out)
        .map_err(|e| TextError::Pdf(format!("pdftotext wrote no output: {e}")))?;
    parse_bbox_layout(&html).map(Some)
}

fn parse_bbox_layout(html: &str) -> Result<Vec<Vec<LayerWord>>, TextError> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(html, opts)
        .map_err(|e| TextError::Pdf(format!("pdftotext output cannot be read: {e}")))?;
    let num = |n: &roxmltree::Node, a: &str| n.attribute(a).and_then(|v| v.parse::<f64>().ok());
    let mut pages = Vec::new();
    for page in doc.descendants().filter(|n| n.has_tag_name("page")) {
        let mut words = Vec::new();
        let lines = page.descendants().filter(|n| n.has_tag_name("line"));
        for (i, line) in lines.enumerate() {
            let line_no = i as u32 + 1;
            for w in line.children().filter(|n| n.has_tag_name("word")) {
                let text = super::plain_text(w.text().unwrap_or("").trim());
                let (Some(x0), Some(y0), Some(x1), Some(y1)) = (
                    num(&w, "xMin"),
                    num(&w, "yMin"),
                    num(&w, "xMax"),
                    num(&w, "yMax"),
                ) else {
                    continue;
                };
                if !text.is_empty() {
                    words.push(LayerWord {
                        text,
                        bbox: [x0, y0, x1, y1],
                        line: line_no,
                    });
                }
            }
        }
        pages.push(words);
    }
    Ok(pages)
}

/// Whether a page's text layer is worth reading instead of the image: a few real words,
/// and hardly any characters a broken font mapping leaves (U+FFFD, controls, private use).
pub fn usable(words: &[LayerWord]) -> bool {
    let real = words
        .iter()
        .filter(|w| w.text.chars().filter(|c| c.is_alphanumeric()).count() >= 2)
        .count();
    let (mut bad, mut all) = (0usize, 0usize);
    for c in words.iter().flat_map(|w| w.text.chars()) {
        all += 1;
        if c == '\u{FFFD}' || c.is_control() || ('\u{E000}'..='\u{F8FF}').contains(&c) {
            bad += 1;
        }
    }
    real >= 3 && bad * 10 <= all
}

/// An image placed on a page, from `pdfimages -list`.
#[derive(Debug, Clone, PartialEq)]
struct ImageRow {
    page: u32,
    kind: String,
    width: u32,
    height: u32,
    x_ppi: u32,
    y_ppi: u32,
}

/// The images placed on pages `first..=last`.
fn image_list(
    file: &PdfFile,
    first: u32,
    last: u32,
    limits: &Limits,
) -> Result<Vec<ImageRow>, TextError> {
    let (f, l) = (first.to_string(), last.to_string());
    let args = file.args(&[
        "-list".as_ref(),
        "-f".as_ref(),
        f.as_ref(),
        "-l".as_ref(),
        l.as_ref(),
        file.path.as_os_str(),
    ]);
    let out = tool::run("pdfimages", &args, &tool_limits(limits))?;
    Ok(parse_image_list(&String::from_utf8_lossy(&out.stdout)))
}

fn parse_image_list(text: &str) -> Vec<ImageRow> {
    // page num type width height color comp bpc enc interp object ID x-ppi y-ppi size ratio
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() < 14 {
                return None;
            }
            Some(ImageRow {
                page: f[0].parse().ok()?,
                kind: f[2].to_string(),
                width: f[3].parse().ok()?,
                height: f[4].parse().ok()?,
                x_ppi: f[12].parse().ok()?,
                y_ppi: f[13].parse().ok()?,
            })
        })
        .collect()
}

/// How a page's image is obtained; recorded so the review UI can rebuild it exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageImage {
    /// The page's one image, taken out as stored.
    Embedded,
    /// The page rendered at this resolution.
    Rendered { dpi: u32 },
}

/// A scanner's page: exactly one image, at a plausible scan resolution, covering most
/// of the page (either way round: the page may carry a /Rotate).
fn scanner_image(rows: &[ImageRow], page: u32, size: Option<(f64, f64)>) -> Option<&ImageRow> {
    let mut images = rows.iter().filter(|r| r.page == page && r.kind == "image");
    let img = images.next()?;
    if images.next().is_some() || img.x_ppi < 100 || img.y_ppi < 100 {
        return None;
    }
    let (pw, ph) = size?;
    let (iw, ih) = (
        img.width as f64 / img.x_ppi as f64 * 72.0,
        img.height as f64 / img.y_ppi as f64 * 72.0,
    );
    let covers = |a: f64, b: f64| iw >= 0.75 * a && ih >= 0.75 * b;
    (covers(pw, ph) || covers(ph, pw)).then_some(img)
}

/// The raw image of page `page` (1-based), taken out or rendered as `how` says.
fn page_image(
    file: &PdfFile,
    page: u32,
    how: PageImage,
    size: Option<(f64, f64)>,
    limits: &Limits,
) -> Result<Pix, TextError> {
    let p = page.to_string();
    let prefix = file.out(&format!("p{page}"));
    let dpi_known = match how {
        PageImage::Embedded => {
            // JPEG as stored; anything else decoded to PBM/PGM/PPM (poppler's PNG
            // writer is 10-25 times slower than its decoding, measured).
            let args = file.args(&[
                "-f".as_ref(),
                p.as_ref(),
                "-l".as_ref(),
                p.as_ref(),
                "-j".as_ref(),
                "-p".as_ref(),
                file.path.as_os_str(),
                prefix.as_os_str(),
            ]);
            tool::run("pdfimages", &args, &tool_limits(limits))?;
            None
        }
        PageImage::Rendered { dpi } => {
            if let Some((w, h)) = size {
                let px = |pt: f64| (pt * dpi as f64 / 72.0).ceil() as u64;
                let pixels = px(w) * px(h);
                if pixels > limits.max_pixels {
                    return Err(TextError::PageTooLarge {
                        page,
                        pixels,
                        limit: limits.max_pixels,
                    });
                }
            }
            let r = dpi.to_string();
            // PGM, not PNG: see above.
            let args = file.args(&[
                "-r".as_ref(),
                r.as_ref(),
                "-gray".as_ref(),
                "-singlefile".as_ref(),
                "-f".as_ref(),
                p.as_ref(),
                "-l".as_ref(),
                p.as_ref(),
                file.path.as_os_str(),
                prefix.as_os_str(),
            ]);
            tool::run("pdftoppm", &args, &tool_limits(limits))?;
            Some(dpi)
        }
    };
    // pdfimages names its output {prefix}-{page:03}-{n:03}.{ext}; pdftoppm {prefix}.pgm.
    let name = format!("p{page}");
    let written = std::fs::read_dir(file.dir.path())
        .map_err(|e| TextError::Pdf(e.to_string()))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n == format!("{name}.pgm") || n.starts_with(&format!("{name}-")))
        })
        .min()
        .ok_or_else(|| TextError::Pdf(format!("page {page}: no image was written")))?;
    let data = std::fs::read(&written).map_err(|e| TextError::Pdf(e.to_string()))?;
    let _ = std::fs::remove_file(&written);
    let mut pix = if data.starts_with(b"P4") || data.starts_with(b"P5") || data.starts_with(b"P6") {
        pnm(&data, page, limits)?
    } else {
        let media = MediaType::sniff(&data).ok_or_else(|| {
            TextError::Corrupt(format!("page {page}: an image of an unknown kind"))
        })?;
        decode_one(&data, media, page, limits)?
    };
    if let Some(dpi) = dpi_known {
        pix.set_resolution(dpi);
    }
    Ok(pix)
}

/// A PBM/PGM/PPM page as 8-bit grey, its size checked before its pixels are read.
fn pnm(data: &[u8], page: u32, limits: &Limits) -> Result<Pix, TextError> {
    use image::ImageDecoder;
    let corrupt = |e: image::ImageError| TextError::Corrupt(format!("page {page}: {e}"));
    let dec = image::codecs::pnm::PnmDecoder::new(std::io::Cursor::new(data)).map_err(corrupt)?;
    let (w, h) = dec.dimensions();
    let pixels = w as u64 * h as u64;
    if pixels > limits.max_pixels {
        return Err(TextError::PageTooLarge {
            page,
            pixels,
            limit: limits.max_pixels,
        });
    }
    let img = image::DynamicImage::from_decoder(dec).map_err(corrupt)?;
    super::decode::to_pix(img).map_err(TextError::Corrupt)
}

fn decode_one(data: &[u8], media: MediaType, page: u32, limits: &Limits) -> Result<Pix, TextError> {
    decode::pages(data, media, limits)?
        .next_page()
        .map_err(|e| match e {
            TextError::PageTooLarge { pixels, limit, .. } => TextError::PageTooLarge {
                page,
                pixels,
                limit,
            },
            other => other,
        })?
        .ok_or(TextError::NoPages)
}

/// Read every page of a PDF: the text layer where it is usable, OCR elsewhere. Returns
/// the pages and, for the first [`super::KEPT_IMAGES`] pages, the normalised images
/// OCR read (`None` for text-layer pages).
pub fn read_pdf_document(
    engine: &mut dyn OcrEngine,
    data: &[u8],
    opts: &preprocess::Options,
    limits: &Limits,
) -> Result<(Vec<Page>, Vec<Option<Pix>>), TextError> {
    if data.len() as u64 > limits.max_file_bytes {
        return Err(TextError::TooLarge {
            size: data.len() as u64,
            limit: limits.max_file_bytes,
        });
    }
    let mut file = PdfFile::new(data)?;
    let info = info(&mut file, limits)?;
    if info.pages == 0 {
        return Err(TextError::NoPages);
    }
    if info.pages > limits.max_pages {
        return Err(TextError::TooManyPages {
            limit: limits.max_pages,
        });
    }
    let layer = text_layer(&file, info.pages, limits)?.unwrap_or_default();
    let dpi = opts.target_dpi;
    let mut pages = Vec::new();
    let mut images = Vec::new();
    let mut layer_images: Option<Vec<ImageRow>> = None;
    for number in 1..=info.pages {
        let size = info.sizes.get(number as usize - 1).copied();
        let words = layer.get(number as usize - 1).map_or(&[][..], |w| &w[..]);
        if usable(words) {
            let mut page = text_layer_page(number, words, size, dpi);
            // Listed once for all pages, when the first text-layer page comes.
            let rows = layer_images.get_or_insert_with(|| {
                image_list(&file, 1, info.pages, limits).unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "the images of a PDF's text-layer pages cannot be listed; QR codes are not looked for there");
                    Vec::new()
                })
            });
            if may_hold_code(rows, number) {
                match layer_codes(&file, &page, size, limits) {
                    Ok(codes) => page.codes = codes,
                    Err(e) => {
                        tracing::warn!(page = number, error = %e, "a text-layer page with an image could not be rendered to look for QR codes; read from its text layer without them")
                    }
                }
            }
            pages.push(page);
            if images.len() < super::KEPT_IMAGES {
                images.push(None);
            }
            continue;
        }
        let rows = image_list(&file, number, number, limits)?;
        let scan = scanner_image(&rows, number, size);
        let how = match scan {
            Some(img) if img.width as u64 * img.height as u64 > limits.max_pixels => {
                return Err(TextError::PageTooLarge {
                    page: number,
                    pixels: img.width as u64 * img.height as u64,
                    limit: limits.max_pixels,
                })
            }
            Some(_) => PageImage::Embedded,
            None => PageImage::Rendered { dpi },
        };
        let mut raw = page_image(&file, number, how, size, limits)?;
        if let (PageImage::Embedded, Some(img)) = (how, scan) {
            raw.set_resolution(img.x_ppi);
        }
        let kept = images.len() < super::KEPT_IMAGES;
        let (mut page, image) = super::ocr_page(engine, raw, number, opts, kept)?;
        page.transform.render_dpi = match how {
            PageImage::Embedded => 0,
            PageImage::Rendered { dpi } => dpi,
        };
        pages.push(page);
        if kept {
            images.push(Some(image));
        }
    }
    Ok((pages, images))
}

/// Resolution a text-layer page holding an image is rendered at to look for QR codes:
/// a payment code printed 2-3 cm wide has modules of 3-5 px there, which the decoder
/// reads, at less than half the pixels (and time) of 300 dpi.
const QR_DPI: u32 = 200;

/// Whether page `page` has an image that could be a QR code (21 modules at least):
/// only such text-layer pages are rendered, so a page of text alone costs nothing.
fn may_hold_code(rows: &[ImageRow], page: u32) -> bool {
    rows.iter().any(|r| {
        r.page == page
            && (r.kind == "image" || r.kind == "stencil")
            && r.width >= 21
            && r.height >= 21
    })
}

/// The QR codes on a text-layer page, found on the page rendered at [`QR_DPI`], with
/// their boxes in the page's pixel space (that of its text-layer words).
fn layer_codes(
    file: &PdfFile,
    page: &Page,
    size: Option<(f64, f64)>,
    limits: &Limits,
) -> Result<Vec<super::Code>, TextError> {
    let pix = page_image(
        file,
        page.number,
        PageImage::Rendered { dpi: QR_DPI },
        size,
        limits,
    )?;
    let k = page.transform.render_dpi as f64 / QR_DPI as f64;
    Ok(super::find_codes(&pix)
        .into_iter()
        .map(|c| super::Code {
            bbox: scale_box(c.bbox, k, page.width, page.height),
            payload: c.payload,
        })
        .collect())
}

/// A box scaled by `k`, kept within a `width` x `height` page.
fn scale_box(b: crate::document::BBox, k: f64, width: u32, height: u32) -> crate::document::BBox {
    let s = |v: u32, max: u32| ((v as f64 * k).round() as u32).min(max);
    [
        s(b[0], width),
        s(b[1], height),
        s(b[2], width),
        s(b[3], height),
    ]
}

/// A text-layer page in the pixel space of the page rendered at `dpi`.
fn text_layer_page(number: u32, words: &[LayerWord], size: Option<(f64, f64)>, dpi: u32) -> Page {
    let k = dpi as f64 / 72.0;
    let px = |v: f64| (v.max(0.0) * k).round() as u32;
    let (w, h) = size.unwrap_or((595.0, 842.0));
    Page {
        number,
        // The size pdftoppm renders the page at, so boxes fit the review UI's image.
        width: (w * k).ceil() as u32,
        height: (h * k).ceil() as u32,
        words: words
            .iter()
            .map(|lw| Word {
                text: lw.text.clone(),
                conf: 1.0,
                bbox: [
                    px(lw.bbox[0]),
                    px(lw.bbox[1]),
                    px(lw.bbox[2]),
                    px(lw.bbox[3]),
                ],
                line: lw.line,
            })
            .collect(),
        origin: Origin::TextLayer,
        transform: super::Transform {
            source_dpi: dpi,
            scale: 1.0,
            quarter_turns: 0,
            deskew_deg: 0.0,
            render_dpi: dpi,
            ..Default::default()
        },
        codes: Vec::new(),
        marks: Vec::new(),
    }
}

/// The raw image of page `number` as it was taken when the document was read: the
/// embedded image (`render_dpi` 0) or the page rendered at `render_dpi`.
pub fn raw_page(
    data: &[u8],
    number: u32,
    render_dpi: u32,
    limits: &Limits,
) -> Result<Pix, TextError> {
    let mut file = PdfFile::new(data)?;
    let info = info(&mut file, limits)?;
    if number == 0 || number > info.pages {
        return Err(TextError::NoPages);
    }
    let size = info.sizes.get(number as usize - 1).copied();
    let how = if render_dpi == 0 {
        PageImage::Embedded
    } else {
        PageImage::Rendered { dpi: render_dpi }
    };
    page_image(&file, number, how, size, limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trailer_names_the_catalog() {
        let pdf = b"%PDF-1.7\n1 0 obj\n<</Type/Pages/Kids[4 0 R]>>\nendobj\n5 0 obj\n<</Type /Catalog/Pages 1 0 R>>\nendobj\n";
        let out = with_trailer(pdf).unwrap();
        assert!(out.ends_with(b"\ntrailer\n<</Root 5 0 R>>\n%%EOF\n"));
        assert!(with_trailer(b"%PDF-1.7\n1 0 obj\n<</Type/Pages>>\nendobj\n").is_none());
    }

    #[test]
    fn pdfinfo_output_is_read_with_rotated_pages_turned() {
        let text =
            "Producer:        GPL Ghostscript 9.19\nPages:           2\nEncrypted:       no\n\
            Page    1 size:  612 x 792 pts (letter)\nPage    1 rot:   0\n\
            Page    2 size:  612 x 792 pts (letter)\nPage    2 rot:   90\nFile size: 1 bytes\n";
        let info = parse_info(text).unwrap();
        assert_eq!(info.pages, 2);
        assert_eq!(info.sizes, vec![(612.0, 792.0), (792.0, 612.0)]);
        assert!(parse_info("Title: x\n").is_err());
    }

    #[test]
    fn bbox_layout_gives_words_with_boxes_and_lines() {
        let html = r#"<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd"><html xmlns="http://www.w3.org/1999/xhtml">
<head><title></title></head><body><doc>
  <page width="595.000000" height="842.000000"><flow><block xMin="1" yMin="1" xMax="2" yMax="2">
    <line xMin="57" yMin="16" xMax="206" yMax="23">
      <word xMin="57.000000" yMin="16.750000" xMax="115.723000" yMax="23.750000">Rechnung</word>
      <word xMin="117.3" yMin="16.75" xMax="125.4" yMax="23.75">f&#252;r</word>
    </line>
    <line xMin="57" yMin="30" xMax="206" yMax="40"><word xMin="57" yMin="30" xMax="80" yMax="40">A&amp;B</word></line>
  </block></flow></page>
  <page width="595.000000" height="842.000000"></page>
</doc></body></html>"#;
        let pages = parse_bbox_layout(html).unwrap();
        assert_eq!(pages.len(), 2);
        assert_eq!(pages[0].len(), 3);
        assert_eq!(pages[0][1].text, "für");
        assert_eq!(pages[0][2].text, "A&B");
        assert_eq!(pages[0][2].line, 2);
        assert_eq!(pages[0][0].bbox, [57.0, 16.75, 115.723, 23.75]);
        assert!(pages[1].is_empty());
        let page = text_layer_page(1, &pages[0], Some((595.0, 842.0)), 300);
        assert_eq!((page.width, page.height), (2480, 3509));
        assert_eq!(page.words[0].bbox, [238, 70, 482, 99]);
        assert_eq!(page.origin, Origin::TextLayer);
    }

    #[test]
    fn a_text_layer_of_garbage_is_not_used() {
        let w = |t: &str| LayerWord {
            text: t.into(),
            bbox: [0.0; 4],
            line: 1,
        };
        assert!(usable(&[w("Invoice"), w("No."), w("INV-1"), w("Total")]));
        assert!(!usable(&[w("Invoice"), w("1")]), "too few words");
        let broken: Vec<LayerWord> = (0..10).map(|_| w("\u{FFFD}\u{FFFD}ab")).collect();
        assert!(!usable(&broken));
    }

    #[test]
    fn only_text_layer_pages_with_a_picture_are_searched_for_codes() {
        let list = "page   num  type   width height color comp bpc  enc interp  object ID x-ppi y-ppi size ratio\n\
            --------------------------------------------------------------------------------------------\n\
               1     0 image       1     1  gray    1   8  image  no         7  0    72    72   1B 100%\n\
               2     1 image     164   164  gray    1   8  image  no        12  0   118   118  3K 10%\n\
               3     2 stencil   45    45   -       1   1  image  no        20  0   50    50   300B 10%\n\
               3     3 smask    300   300  gray    1   8  image  no        21  0   72    72   1K 1%\n";
        let rows = parse_image_list(list);
        assert!(!may_hold_code(&rows, 1), "a 1x1 spacer");
        assert!(may_hold_code(&rows, 2));
        assert!(may_hold_code(&rows, 3), "a QR code drawn as an image mask");
        assert!(!may_hold_code(&rows, 4), "no image at all");
        // A code found at 200 dpi, in the 300 dpi pixels of the page's words.
        assert_eq!(
            scale_box([100, 200, 300, 400], 1.5, 2480, 3509),
            [150, 300, 450, 600]
        );
        assert_eq!(
            scale_box([1600, 2300, 1653, 2339], 1.5, 2480, 3509),
            [2400, 3450, 2480, 3509]
        );
    }

    #[test]
    fn a_scanner_page_is_one_image_covering_the_page() {
        let list = "page   num  type   width height color comp bpc  enc interp  object ID x-ppi y-ppi size ratio\n\
            --------------------------------------------------------------------------------------------\n\
               1     0 image    2550  3300  gray    1   1  ccitt  no         7  0   300   300  100K 9.8%\n\
               2     1 image     958   400  rgb     3   8  image  no        62  0    96    96 45.1K 4.0%\n\
               3     2 image    1258  1253  rgb     3   8  image  yes       43  0   147   147  256K 5.5%\n\
               3     3 smask    1258  1253  gray    1   8  image  yes       43  0   147   147 6897B 0.4%\n";
        let rows = parse_image_list(list);
        assert_eq!(rows.len(), 4);
        let letter = Some((612.0, 792.0));
        assert_eq!(scanner_image(&rows, 1, letter).map(|r| r.width), Some(2550));
        // Landscape page of a portrait scan (a /Rotate 90 page) still counts.
        assert!(scanner_image(&rows, 1, Some((792.0, 612.0))).is_some());
        assert!(scanner_image(&rows, 2, letter).is_none(), "a small picture");
        assert!(
            scanner_image(&rows, 3, Some((612.0, 612.0))).is_some(),
            "the mask is not a second image"
        );
        assert!(scanner_image(&rows, 4, letter).is_none());
    }
}
