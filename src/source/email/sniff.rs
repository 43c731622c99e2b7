//! Is a part a document ([`sniff_document`], from its bytes, never from the declared
//! type), with the magic bytes and header lines that [`crate::document::input`] knows.

use super::bytes::find;
use super::tnef;
use super::MEDIA_XML;
use crate::document::input::{looks_like_email, other_type, MediaType};

/// The document type of `data`, from its bytes: PDF (`%PDF` within the first 1024 bytes),
/// PNG, JPEG, TIFF (`II*\0` / `MM\0*`), or XML (after an optional BOM and white space it
/// starts with `<`, is not HTML, and the first 4 KiB contain `Invoice`,
/// `CrossIndustryInvoice` or `CreditNote`). `None` for anything else.
///
/// Containers are never documents, even when a PDF sits in their first KiB: winmail.dat,
/// zip/gzip/rar/7z, OLE files, emails.
pub fn sniff_document(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(&tnef::SIGNATURE) || other_type(data).is_some() || looks_like_email(data) {
        return None;
    }
    // PDF, PNG, JPEG, TIFF, WebP, BMP: the same sniffing as files dropped in the inbox.
    if let Some(media) = MediaType::sniff(data) {
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
