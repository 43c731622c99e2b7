//! A document's bytes as the wiring hands them to the middle stages: what they are,
//! told once from their first bytes ([`Kind::sniff`]), with the facts the store
//! recorded about them (name, sha256, when received).
//!
//! The one place that knows magic bytes and header lines: PDF, PNG, JPEG, TIFF, WebP and
//! BMP ([`MediaType::sniff`]), e-invoice XML ([`looks_like_xml`]), emails
//! ([`looks_like_email`]), and the common types that are no document
//! ([`other_type`]). Extensions lie and scanners name files oddly, so a file's name is
//! never asked.

/// One document's bytes and what is known of them before any stage reads them.
#[derive(Debug, Clone)]
pub struct Input {
    /// The ledger's id of the document (a fresh ULID for the one-shot commands).
    pub id: String,
    /// The file's name as received (relative to the inbox, or the attachment's name).
    pub name: String,
    /// When it was received (RFC 3339).
    pub received_at: String,
    /// The bytes' sha256 as the store recorded it (the one-shot commands hash a file
    /// once when they read it): the middle hashes nothing.
    pub sha256: String,
    /// What the bytes are, sniffed once when the input was made.
    pub kind: Kind,
    pub data: Vec<u8>,
}

impl Input {
    /// The input for `data`, sniffed here and nowhere after.
    pub fn new(
        id: String,
        name: String,
        received_at: String,
        sha256: String,
        data: Vec<u8>,
    ) -> Input {
        Input {
            kind: Kind::sniff(&data),
            id,
            name,
            received_at,
            sha256,
            data,
        }
    }

    /// The document's `source` as read: `media_type` and `pages` are what the reading
    /// found; the rest is what the store recorded.
    pub fn source(&self, media_type: &str, pages: u32) -> super::SourceInfo {
        super::SourceInfo {
            name: self.name.clone(),
            sha256: self.sha256.clone(),
            media_type: media_type.into(),
            pages,
            received_at: self.received_at.clone(),
            meta: Default::default(),
        }
    }
}

/// The moment the wiring reads or corrects a document at, handed to the middle so that
/// the middle reads no clock: the date the checks judge by (a due date in the past, an
/// invoice date in the future) and the time a correction is recorded at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now(pub chrono::DateTime<chrono::Utc>);

impl Now {
    /// The clock, read by the wiring (or the web, for a person's corrections).
    pub fn current() -> Now {
        Now(chrono::Utc::now())
    }

    pub fn today(self) -> chrono::NaiveDate {
        self.0.date_naive()
    }

    /// As the ledger writes times: RFC 3339 with milliseconds, in UTC (`…Z`).
    pub fn rfc3339(self) -> String {
        self.0.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }
}

/// What a document's bytes are, which decides the way they take through the middle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A structured e-invoice (UBL, CII): read as data, never OCR'd.
    EInvoiceXml,
    /// An email: its attachments become documents of their own.
    Email,
    /// A PDF or an image: its pages are read.
    Media(MediaType),
    /// None of these ([`describe_unknown`] says what it looks like).
    Unknown,
}

impl Kind {
    /// XML first (it starts with `<`), then an email's header lines, then the magic
    /// bytes of PDFs and images.
    pub fn sniff(data: &[u8]) -> Kind {
        if looks_like_xml(data) {
            Kind::EInvoiceXml
        } else if looks_like_email(data) {
            Kind::Email
        } else if let Some(media) = MediaType::sniff(data) {
            Kind::Media(media)
        } else {
            Kind::Unknown
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    Png,
    Jpeg,
    Tiff,
    /// Phone apps and web downloads (lossy or lossless).
    WebP,
    /// Old scanner software and Windows screenshots.
    Bmp,
    /// Read by [`super::pdf`], page by page, not decoded here.
    Pdf,
}

impl MediaType {
    /// Recognise a file by its first bytes (extensions lie; scanners name files oddly).
    pub fn sniff(data: &[u8]) -> Option<MediaType> {
        if data.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(MediaType::Png)
        } else if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(MediaType::Jpeg)
        } else if data.starts_with(b"II*\0") || data.starts_with(b"MM\0*") {
            Some(MediaType::Tiff)
        } else if data.len() >= 12 && data.starts_with(b"RIFF") && &data[8..12] == b"WEBP" {
            Some(MediaType::WebP)
        } else if data.len() >= 26 && data.starts_with(b"BM") && bmp_header_ok(data) {
            Some(MediaType::Bmp)
        } else if looks_like_pdf(data) {
            Some(MediaType::Pdf)
        } else {
            None
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Png => "image/png",
            MediaType::Jpeg => "image/jpeg",
            MediaType::Tiff => "image/tiff",
            MediaType::WebP => "image/webp",
            MediaType::Bmp => "image/bmp",
            MediaType::Pdf => "application/pdf",
        }
    }
}

/// "BM" starts many text files: a bitmap also names its own size and a pixel offset
/// inside it.
fn bmp_header_ok(data: &[u8]) -> bool {
    let le32 = |at: usize| u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]);
    let (size, offset, header) = (le32(2), le32(10), le32(14));
    (size == 0 || size as usize <= data.len() + 16)
        && (14..=data.len() as u32).contains(&offset)
        && matches!(header, 12 | 40 | 52 | 56 | 64 | 108 | 124)
}

/// A short human description of what a file that is not a supported type looks like.
pub fn describe_unknown(data: &[u8]) -> String {
    if data.is_empty() {
        return "empty file".into();
    }
    let head: String = data
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ");
    format!("not PDF, PNG, JPEG, TIFF, WebP, BMP, XML or email; starts with {head}")
}

/// `%PDF-` within the first KiB (some generators put junk before it).
pub fn looks_like_pdf(data: &[u8]) -> bool {
    data.len() >= 5
        && data[..data.len().min(1024)]
            .windows(5)
            .any(|w| w == b"%PDF-")
}

/// Whether `data` looks like XML (so the text stage hands it here, not to OCR).
pub fn looks_like_xml(data: &[u8]) -> bool {
    let d = data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data);
    let start = d
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(d.len());
    d[start..].starts_with(b"<?xml")
        || d[start..].starts_with(b"<")
            && d[start..].get(1).is_some_and(|b| b.is_ascii_alphabetic())
}

/// How much of the start of a file [`looks_like_email`] reads.
const SNIFF_LIMIT: usize = 64 * 1024;
/// How many header lines [`looks_like_email`] reads at most.
const SNIFF_MAX_LINES: usize = 200;

/// Whether `data` is an email: true when `data` starts (after an optional UTF-8 BOM, white space and an
/// mbox `From ` line) with RFC 5322 header lines, and among those first headers are at
/// least two different ones of From/To/Subject/Date/Message-ID/MIME-Version/Received/
/// Return-Path. Reads at most the first 64 KiB.
pub fn looks_like_email(data: &[u8]) -> bool {
    sniff_headers(data).is_some_and(|s| s.known >= 2)
}

pub struct HeaderSniff {
    /// Where the header block starts (after BOM, white space and an mbox `From ` line).
    pub start: usize,
    /// How many different known headers were seen.
    pub known: u32,
    /// Whether a Content-Type header was seen.
    pub content_type: bool,
}

pub fn sniff_headers(data: &[u8]) -> Option<HeaderSniff> {
    let window = data.get(..SNIFF_LIMIT).unwrap_or(data);
    let mut start = 0usize;
    if window.starts_with(b"\xEF\xBB\xBF") {
        start = 3;
    }
    while window.get(start).is_some_and(|b| b.is_ascii_whitespace()) {
        start += 1;
    }
    let rest = window.get(start..)?;
    if rest.starts_with(b"From ") {
        let nl = rest.iter().position(|&b| b == b'\n')?;
        start = start.checked_add(nl)?.checked_add(1)?;
    }
    let block = window.get(start..)?;

    const KNOWN: [&[u8]; 8] = [
        b"from",
        b"to",
        b"subject",
        b"date",
        b"message-id",
        b"mime-version",
        b"received",
        b"return-path",
    ];
    let mut seen = 0u32;
    let mut content_type = false;
    let mut first = true;
    for line in block.split(|&b| b == b'\n').take(SNIFF_MAX_LINES) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if first {
                return None;
            }
            continue;
        }
        let name = match line.iter().position(|&b| b == b':') {
            Some(colon) => &line[..colon],
            None => &[][..],
        };
        let valid =
            !name.is_empty() && name.len() <= 76 && name.iter().all(|b| (33..=126).contains(b));
        if !valid {
            if first {
                return None;
            }
            break;
        }
        first = false;
        if let Some(i) = KNOWN.iter().position(|k| k.eq_ignore_ascii_case(name)) {
            seen |= 1 << i;
        }
        if name.eq_ignore_ascii_case(b"content-type") {
            content_type = true;
        }
    }
    if first {
        return None;
    }
    Some(HeaderSniff {
        start,
        known: seen.count_ones(),
        content_type,
    })
}

/// A few common non-document types, for the reason given when one is skipped.
pub fn other_type(data: &[u8]) -> Option<&'static str> {
    let table: [(&[u8], &str); 10] = [
        (b"PK\x03\x04", "application/zip"),
        (b"\x1f\x8b", "application/gzip"),
        (b"Rar!", "application/vnd.rar"),
        (b"7z\xBC\xAF", "application/x-7z-compressed"),
        (b"\xD0\xCF\x11\xE0", "application/x-ole-storage"),
        (b"GIF8", "image/gif"),
        (b"BM", "image/bmp"),
        (b"BEGIN:VCARD", "text/vcard"),
        (b"BEGIN:VCALENDAR", "text/calendar"),
        (b"{\\rtf", "application/rtf"),
    ];
    if data.starts_with(b"RIFF") && data.get(8..12) == Some(b"WEBP") {
        return Some("image/webp");
    }
    table
        .iter()
        .find(|(magic, _)| data.starts_with(magic))
        .map(|(_, t)| *t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::GrayImage::from_pixel(w, h, image::Luma([200]));
        let mut out = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn sniffs_by_content() {
        assert_eq!(MediaType::sniff(&png(2, 2)), Some(MediaType::Png));
        assert_eq!(MediaType::sniff(b"II*\0rest"), Some(MediaType::Tiff));
        assert_eq!(MediaType::sniff(b"%PDF-1.7\n"), Some(MediaType::Pdf));
        assert_eq!(MediaType::sniff(b"GIF89a.."), None);
        assert_eq!(
            MediaType::sniff(b"RIFF\x10\0\0\0WEBPVP8L"),
            Some(MediaType::WebP)
        );
        assert_eq!(MediaType::sniff(b"RIFF\x10\0\0\0WAVEfmt "), None);
        // A text file that starts "BM" is no bitmap: the header must hold together.
        assert_eq!(
            MediaType::sniff(b"BMW of North America invoice 2024-118"),
            None
        );
        let mut bmp = b"BM".to_vec();
        bmp.extend(70u32.to_le_bytes()); // file size
        bmp.extend([0; 4]);
        bmp.extend(54u32.to_le_bytes()); // pixel offset
        bmp.extend(40u32.to_le_bytes()); // BITMAPINFOHEADER
        bmp.resize(70, 0);
        assert_eq!(MediaType::sniff(&bmp), Some(MediaType::Bmp));
        assert_eq!(
            describe_unknown(b"GIF89a"),
            "not PDF, PNG, JPEG, TIFF, WebP, BMP, XML or email; starts with 47 49 46 38 39 61"
        );
    }

    #[test]
    fn the_kind_decides_the_way() {
        let xml = b"\xef\xbb\xbf <?xml version=\"1.0\"?><Invoice/>";
        assert_eq!(Kind::sniff(xml), Kind::EInvoiceXml);
        let mail = b"From: a@b.c\r\nTo: d@e.f\r\nSubject: invoice\r\n\r\nhi";
        assert_eq!(Kind::sniff(mail), Kind::Email);
        assert_eq!(Kind::sniff(&png(2, 2)), Kind::Media(MediaType::Png));
        assert_eq!(Kind::sniff(b"%PDF-1.7\n"), Kind::Media(MediaType::Pdf));
        assert_eq!(Kind::sniff(b"GIF89a.."), Kind::Unknown);
        let input = Input::new(
            "01X".into(),
            "a.png".into(),
            "2026-01-01T00:00:00Z".into(),
            "ab".into(),
            png(2, 2),
        );
        assert_eq!(input.kind, Kind::Media(MediaType::Png));
        let source = input.source("image/png", 1);
        assert_eq!((source.sha256.as_str(), source.pages), ("ab", 1));
    }
}
