//! Attachment file names: decoded (raw 8-bit names re-read as Windows-1252) and cleaned.

use mail_parser::{HeaderName, Message, MessagePart, MimeHeaders};

use super::decode::decode_1252;
use super::walk::parse_mime;

/// A file name is cut to this many characters (the extension is kept).
const MAX_NAME_CHARS: usize = 200;

// ---------------------------------------------------------------------------------------
// File names

/// The part's file name (Content-Disposition `filename`, else Content-Type `name`),
/// decoded and cleaned.
pub(super) fn part_name(msg: &Message<'_>, part: &MessagePart<'_>) -> Option<String> {
    let raw = part.attachment_name()?;
    if raw.contains('\u{FFFD}') {
        if let Some(fixed) = reparse_8bit_name(msg, part) {
            return clean_name(&fixed);
        }
    }
    clean_name(raw)
}

/// A name sent as raw 8-bit bytes comes out of mail-parser with U+FFFD in it: read the
/// raw Content-Type / Content-Disposition again as Windows-1252 (a superset of
/// ISO-8859-1) and let mail-parser parse that UTF-8 text.
fn reparse_8bit_name(msg: &Message<'_>, part: &MessagePart<'_>) -> Option<String> {
    let mut synthetic = String::new();
    for h in &part.headers {
        if matches!(
            h.name,
            HeaderName::ContentType | HeaderName::ContentDisposition
        ) {
            let raw = msg
                .raw_message
                .get(h.offset_field as usize..h.offset_end as usize)?;
            let text = decode_1252(raw);
            synthetic.push_str(text.trim_end());
            synthetic.push_str("\r\n");
        }
    }
    synthetic.push_str("\r\n");
    let reparsed = parse_mime(synthetic.as_bytes()).ok()??;
    let name = reparsed.parts.first()?.attachment_name()?;
    (!name.contains('\u{FFFD}')).then(|| name.to_string())
}

/// Clean a file name: keep non-ASCII, replace `/` and `\` by `_`, drop control and
/// bidi-override characters, trim white space and leading dots, cap the length (the
/// extension is kept). `None` when nothing usable is left.
pub(super) fn clean_name(raw: &str) -> Option<String> {
    let mut s: String = raw
        .chars()
        .filter_map(|c| match c {
            '/' | '\\' => Some('_'),
            c if c.is_control() => None,
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => None,
            '\u{FEFF}' => None,
            c => Some(c),
        })
        .collect();
    s = s.trim().trim_start_matches('.').trim().to_string();
    if s.is_empty() || s.chars().all(|c| c == '.' || c == '_') {
        return None;
    }
    if s.chars().count() > MAX_NAME_CHARS {
        let ext: String = match s.rfind('.') {
            Some(dot) if s.len() - dot <= 10 => s[dot..].to_string(),
            _ => String::new(),
        };
        let keep = MAX_NAME_CHARS.saturating_sub(ext.chars().count());
        s = s.chars().take(keep).collect::<String>() + &ext;
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;
    use super::super::*;
    use super::*;

    #[test]
    fn non_ascii_and_odd_file_names() {
        let p = pdf("names");
        let raw8: Vec<u8> = {
            let mut v = crlf(&format!(
                "{HEAD}Subject: names\nContent-Type: multipart/mixed; boundary=\"n\"\n\n"
            ));
            let mut part = |headers: &[u8], body: &str| {
                v.extend_from_slice(b"--n\r\n");
                v.extend_from_slice(headers);
                v.extend_from_slice(b"\r\nContent-Transfer-Encoding: base64\r\n\r\n");
                v.extend_from_slice(&crlf(body));
                v.extend_from_slice(b"\r\n");
            };
            let body = b64(&p, 76);
            // RFC 2231, UTF-8, with continuations
            part(
                b"Content-Type: application/pdf\r\nContent-Disposition: attachment;\r\n filename*0*=UTF-8''Faktura_%C3%86%C3%98;\r\n filename*1*=%C3%85_%C3%BC.pdf",
                &body,
            );
            // RFC 2047 ISO-8859-1 encoded word
            part(
                b"Content-Type: application/pdf;\r\n name=\"=?ISO-8859-1?Q?Rechnung_M=FCller_=E6=F8=E5.pdf?=\"",
                &body,
            );
            // RFC 2231 ISO-8859-1
            part(
                b"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename*=iso-8859-1''Gr%FC%DFe.pdf",
                &body,
            );
            // raw 8-bit ISO-8859-1 bytes, name only in Content-Type
            part(
                b"Content-Type: application/pdf; name=\"K\xF8benhavn \xE9t\xE9.pdf\"",
                &body,
            );
            // path separators and control characters
            part(
                b"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"..\\\\scans/12\t2024.pdf\"",
                &body,
            );
            // no name at all
            part(b"Content-Type: application/pdf", &body);
            v.extend_from_slice(b"--n--\r\n");
            v
        };
        let e = parse_ok(&raw8);
        let names: Vec<_> = e.documents.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Faktura_ÆØÅ_ü.pdf",
                "Rechnung Müller æøå.pdf",
                "Grüße.pdf",
                "København été.pdf",
                "_scans_122024.pdf",
                "attachment-6.pdf",
            ],
            "{:?}",
            e.skipped
        );
        assert!(e
            .documents
            .iter()
            .all(|d| d.data == p && d.media_type == MEDIA_PDF));
    }

    #[test]
    fn clean_name_cases() {
        assert_eq!(clean_name("a/b\\c.pdf").as_deref(), Some("a_b_c.pdf"));
        assert_eq!(clean_name("  ..hidden.pdf ").as_deref(), Some("hidden.pdf"));
        assert_eq!(
            clean_name("evil\u{202E}fdp.exe").as_deref(),
            Some("evilfdp.exe")
        );
        assert_eq!(clean_name("a\r\n\tb.pdf").as_deref(), Some("ab.pdf"));
        assert_eq!(clean_name("../.."), None);
        assert_eq!(clean_name(" \u{7} "), None);
        let long = format!("{}.pdf", "ä".repeat(500));
        let cleaned = clean_name(&long).unwrap();
        assert_eq!(cleaned.chars().count(), MAX_NAME_CHARS);
        assert!(cleaned.ends_with("ää.pdf"));
    }
}
