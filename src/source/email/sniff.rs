//! Sniffing: is a file an email ([`looks_like_email`], from its first header lines), and
//! is a part a document ([`sniff_document`], from its bytes, never from the declared
//! type).

use super::bytes::find;
use super::tnef;
use super::{looks_like_email, MEDIA_XML};

/// How much of the start of a file [`looks_like_email`] reads.
const SNIFF_LIMIT: usize = 64 * 1024;
/// How many header lines [`looks_like_email`] reads at most.
const SNIFF_MAX_LINES: usize = 200;

/// The document type of `data`, from its bytes: PDF (`%PDF` within the first 1024 bytes),
/// PNG, JPEG, TIFF (`II*\0` / `MM\0*`), or XML (after an optional BOM and white space it
/// starts with `<`, is not HTML, and the first 4 KiB contain `Invoice`,
/// `CrossIndustryInvoice` or `CreditNote`). `None` for anything else.
///
/// Containers are never documents, even when a PDF sits in their first KiB: winmail.dat,
/// zip/gzip/rar/7z, OLE files, emails.
pub fn sniff_document(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(&tnef::SIGNATURE) || sniff_other(data).is_some() || looks_like_email(data) {
        return None;
    }
    // PDF, PNG, JPEG, TIFF, WebP, BMP: the same sniffing as files dropped in the inbox.
    if let Some(media) = crate::text::MediaType::sniff(data) {
        return Some(media.mime());
    }
    let text = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    let text = text.get(start..).unwrap_or_default();
    if text.first() == Some(&b'<') {
        let lead: Vec<u8> = text.iter().take(14).map(u8::to_ascii_lowercase).collect();
        let html = lead.starts_with(b"<html") || lead.starts_with(b"<!doctype html");
        let window = data.get(..4096).unwrap_or(data);
        if !html && (find(window, b"Invoice").is_some() || find(window, b"CreditNote").is_some()) {
            return Some(MEDIA_XML);
        }
    }
    None
}

// ---------------------------------------------------------------------------------------
// Header sniffing

pub(super) struct HeaderSniff {
    /// Where the header block starts (after BOM, white space and an mbox `From ` line).
    pub(super) start: usize,
    /// How many different known headers were seen.
    pub(super) known: u32,
    /// Whether a Content-Type header was seen.
    pub(super) content_type: bool,
}

pub(super) fn sniff_headers(data: &[u8]) -> Option<HeaderSniff> {
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
pub(super) fn sniff_other(data: &[u8]) -> Option<&'static str> {
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
    use super::super::tests::*;
    use super::*;
    use crate::source::email::{MEDIA_JPEG, MEDIA_PDF, MEDIA_PNG, MEDIA_TIFF};

    #[test]
    fn looks_like_email_cases() {
        let (raw, _) = rich_email();
        assert!(looks_like_email(&raw));
        assert!(looks_like_email(
            b"\xEF\xBB\xBF\r\n  From: a@b.c\r\nTo: d@e.f\r\n\r\nhi"
        ));
        assert!(looks_like_email(
            b"From someone@example.com Tue Mar  5 10:30:00 2024\nReturn-Path: <a@b.c>\nReceived: from x\n\tby y\nSubject: s\n\nbody"
        ));
        assert!(looks_like_email(b" \n From: a@b.c\nTo: d@e.f\n"));
        assert!(looks_like_email(
            b"X-Mailer: foo\nMessage-ID: <1@x>\nMIME-Version: 1.0\n"
        ));
        for no in [
            &pdf("x")[..],
            &png(4, 4),
            b"\xFF\xD8\xFF\xE0\0\x10JFIF",
            b"II*\0\x08\0\0\0",
            b"MM\0*\0\0\0\x08",
            b"<?xml version=\"1.0\"?>\n<Invoice>From: x</Invoice>",
            b"Notes from the meeting\nFrom: nobody\nTo: do\n",
            b"Subject: only one known header\n\nbody",
            b"Todo: buy milk\nTo: remember\n",
            b"",
        ] {
            assert!(!looks_like_email(no), "{:?}", String::from_utf8_lossy(no));
        }
    }

    #[test]
    fn sniff_document_cases() {
        assert_eq!(sniff_document(&pdf("x")), Some(MEDIA_PDF));
        let mut junk_then_pdf = vec![b'x'; 1000];
        junk_then_pdf.extend_from_slice(b"%PDF-1.5");
        assert_eq!(sniff_document(&junk_then_pdf), Some(MEDIA_PDF));
        junk_then_pdf.splice(0..0, [b'y'; 30]);
        assert_eq!(sniff_document(&junk_then_pdf), None);
        assert_eq!(sniff_document(&png(2, 2)), Some(MEDIA_PNG));
        assert_eq!(sniff_document(b"\xFF\xD8\xFF\xDB"), Some(MEDIA_JPEG));
        assert_eq!(sniff_document(b"II*\0rest"), Some(MEDIA_TIFF));
        assert_eq!(sniff_document(b"MM\0*rest"), Some(MEDIA_TIFF));
        assert_eq!(
            sniff_document(b"\xEF\xBB\xBF \n<rsm:CrossIndustryInvoice/>"),
            Some(MEDIA_XML)
        );
        assert_eq!(sniff_document(b"<CreditNote/>"), Some(MEDIA_XML));
        assert_eq!(sniff_document(b"<?xml version=\"1.0\"?><note/>"), None);
        assert_eq!(sniff_document(b"<!DOCTYPE html><p>Invoice</p>"), None);
        assert_eq!(sniff_document(b"Invoice <b>"), None);
        assert_eq!(sniff_document(&zip()), None);
    }
}
