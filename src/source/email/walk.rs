//! The MIME walk: every leaf part of the message, of nested messages and of winmail.dat
//! files becomes a document or a skipped entry with its reason; mail-parser is run here
//! under the panic guard, and its nested messages are dropped without recursion.

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::Cursor;

use mail_parser::{Message, MessageParser, MessagePart, MimeHeaders, PartType};

use super::bytes::{find, find_ci};
use super::decode::{
    base64_lenient, find_uu_blocks, looks_like_base64, percent_decode, qp_lenient, UuBlock,
};
use super::headers::{body_ids, is_body};
use super::names::{clean_name, part_name};
use super::sniff::sniff_document;
use super::tnef;
use super::{
    looks_like_email, Attachment, EmailOptions, Skipped, MEDIA_JPEG, MEDIA_PDF, MEDIA_PNG,
    MEDIA_TIFF,
};
use crate::document::input::other_type;

/// A subject is cut to this many characters in a `path`.
const MAX_SUBJECT_CHARS: usize = 60;

/// Run mail-parser. Its release build never panics, but its debug build has
/// `debug_assert!`s that fire on some damaged multiparts (found by the mutation test), so
/// a panic is caught here ([`crate::guard`]) and reported as an error instead of taking
/// the caller down. `Err(message)` = it panicked, `Ok(None)` = no headers.
pub(super) fn parse_mime(raw: &[u8]) -> Result<Option<Message<'_>>, String> {
    crate::guard::guard(|| MessageParser::default().parse(raw))
}

/// Drop a parsed message without recursion: mail-parser nests one `Message` per attached
/// message, and dropping ~100k levels of them (a 3 MB hostile file) the usual way overflows
/// the stack.
pub(super) fn drop_flat(msg: Message<'_>) {
    let mut stack = vec![msg];
    while let Some(mut m) = stack.pop() {
        for p in &mut m.parts {
            if matches!(p.body, PartType::Message(_)) {
                if let PartType::Message(inner) = std::mem::take(&mut p.body) {
                    stack.push(inner);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Walking the parts

pub(super) struct Walker<'o> {
    pub(super) opts: &'o EmailOptions,
    pub(super) documents: Vec<Attachment>,
    pub(super) skipped: Vec<Skipped>,
}

/// One candidate file.
struct Blob<'a> {
    /// Cleaned file name, if it had one.
    name: Option<String>,
    /// Declared type, lower case (`""` when unknown).
    declared: String,
    data: Cow<'a, [u8]>,
    inline: bool,
    /// Path of the container, ending in `" / "` (empty at the top).
    prefix: String,
    /// Its own place in the container (`attachment 2`, `scan.pdf`).
    label: String,
}

impl Walker<'_> {
    fn skip(&mut self, name: String, why: String, path: String) {
        self.skipped.push(Skipped { name, why, path });
    }

    pub(super) fn walk_message(&mut self, msg: &Message<'_>, prefix: &str, depth: u32) {
        let cids = referenced_cids(msg);
        let bounds = parent_boundaries(msg);
        let body_ids = body_ids(msg);
        let mut n = 0usize;
        for (i, part) in msg.parts.iter().enumerate() {
            let Ok(id) = u32::try_from(i) else { break };
            if matches!(part.body, PartType::Multipart(_)) {
                continue;
            }
            if is_body(part, id, &body_ids) {
                if let PartType::Text(t) = &part.body {
                    let body_prefix = format!("{prefix}body / ");
                    for block in find_uu_blocks(t.as_bytes()) {
                        let label =
                            clean_name(&block.name).unwrap_or_else(|| "uuencoded file".to_string());
                        self.uu_blob(
                            block,
                            None,
                            String::new(),
                            false,
                            &body_prefix,
                            label,
                            depth,
                        );
                    }
                }
                continue;
            }
            n += 1;
            let label = format!("attachment {n}");
            let declared = declared_type(part);
            let name = part_name(msg, part);
            let shown = name.clone().unwrap_or_else(|| unnamed(&declared));
            let path = format!("{prefix}{label}");

            if let PartType::Message(nested) = &part.body {
                self.enter_message(nested, prefix, depth, shown, path);
                continue;
            }
            if truncated(msg, id, part, &bounds) {
                self.skip(
                    shown,
                    "truncated: the part's closing MIME boundary is missing".into(),
                    path,
                );
                continue;
            }
            let inline = part.content_disposition().is_some_and(|d| d.is_inline())
                || part
                    .content_id()
                    .is_some_and(|c| cids.contains(&normalize_cid(c)));
            let cte = part
                .content_transfer_encoding()
                .map(|s| s.trim().to_ascii_lowercase())
                .unwrap_or_default();
            let data = part_bytes(msg, part, &cte);

            if matches!(cte.as_str(), "x-uuencode" | "uuencode" | "x-uue" | "uue")
                || (data.starts_with(b"begin ") && sniff_document(&data).is_none())
            {
                if let Some(block) = find_uu_blocks(&data).into_iter().next() {
                    self.uu_blob(block, name, declared, inline, prefix, label, depth);
                    continue;
                }
            }
            let data = match data {
                d if sniff_document(&d).is_none()
                    && matches!(cte.as_str(), "" | "7bit" | "8bit" | "binary")
                    && looks_like_base64(&d) =>
                {
                    let decoded = base64_lenient(&d);
                    if sniff_document(&decoded).is_some() {
                        Cow::Owned(decoded)
                    } else {
                        d
                    }
                }
                d => d,
            };
            self.handle_blob(
                Blob {
                    name,
                    declared,
                    data,
                    inline,
                    prefix: prefix.to_string(),
                    label,
                },
                depth,
            );
        }
    }

    /// A uuencoded file, found in a part or in body text.
    #[allow(clippy::too_many_arguments)]
    fn uu_blob(
        &mut self,
        block: UuBlock,
        name: Option<String>,
        declared: String,
        inline: bool,
        prefix: &str,
        label: String,
        depth: u32,
    ) {
        let name = name.or_else(|| clean_name(&block.name));
        if !block.complete {
            let shown = name.unwrap_or_else(|| unnamed(&declared));
            self.skip(
                shown,
                "truncated uuencoded data (no `end` line)".into(),
                format!("{prefix}{label}"),
            );
            return;
        }
        self.handle_blob(
            Blob {
                name,
                declared,
                data: Cow::Owned(block.data),
                inline,
                prefix: prefix.to_string(),
                label,
            },
            depth,
        );
    }

    fn enter_message(
        &mut self,
        nested: &Message<'_>,
        prefix: &str,
        depth: u32,
        shown: String,
        path: String,
    ) {
        if depth >= self.opts.max_depth {
            self.skip(
                shown,
                format!(
                    "attached message nested too deep (max depth {})",
                    self.opts.max_depth
                ),
                path,
            );
            return;
        }
        let subject: String = nested.subject().unwrap_or("").trim().to_string();
        let label = if subject.is_empty() {
            "message (no subject)".to_string()
        } else {
            let mut s: String = subject.chars().take(MAX_SUBJECT_CHARS).collect();
            if s.len() < subject.len() {
                s.push('…');
            }
            format!("message '{s}'")
        };
        let prefix = format!("{prefix}{label} / ");
        self.walk_message(nested, &prefix, depth + 1);
    }

    fn handle_blob(&mut self, b: Blob<'_>, depth: u32) {
        let path = format!("{}{}", b.prefix, b.label);
        let shown = b.name.clone().unwrap_or_else(|| unnamed(&b.declared));
        if b.data.is_empty() {
            self.skip(shown, "empty attachment".into(), path);
            return;
        }
        if let Some(media) = sniff_document(&b.data) {
            if b.inline && media.starts_with("image/") {
                match image_dimensions(&b.data) {
                    Ok((w, h))
                        if u64::from(w) * u64::from(h) < self.opts.min_inline_image_pixels =>
                    {
                        self.skip(shown, format!("logo-sized inline image {w}x{h}"), path);
                        return;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        self.skip(
                            shown,
                            format!("inline image with an unreadable header: {e}"),
                            path,
                        );
                        return;
                    }
                }
            }
            let name = b.name.unwrap_or_else(|| {
                format!(
                    "attachment-{}.{}",
                    self.documents.len() + 1,
                    extension(media)
                )
            });
            self.documents.push(Attachment {
                name,
                media_type: media,
                data: b.data.into_owned(),
                inline: b.inline,
                path,
            });
            return;
        }

        let lower_name = b.name.as_deref().unwrap_or("").to_lowercase();
        if b.data.starts_with(&tnef::SIGNATURE)
            || matches!(
                b.declared.as_str(),
                "application/ms-tnef" | "application/vnd.ms-tnef"
            )
            || lower_name == "winmail.dat"
        {
            if depth >= self.opts.max_depth {
                self.skip(
                    shown,
                    format!(
                        "winmail.dat nested too deep (max depth {})",
                        self.opts.max_depth
                    ),
                    path,
                );
                return;
            }
            let prefix = format!(
                "{}{} / ",
                b.prefix,
                b.name.as_deref().unwrap_or("winmail.dat")
            );
            self.walk_tnef(&b.data, &prefix, depth + 1, shown, path);
            return;
        }

        let octet = matches!(b.declared.as_str(), "" | "application/octet-stream");
        if matches!(b.declared.as_str(), "message/rfc822" | "message/global")
            || lower_name.ends_with(".eml")
            || (octet && looks_like_email(&b.data))
        {
            match parse_mime(&b.data) {
                Ok(Some(nested)) if !nested.parts.is_empty() => {
                    self.enter_message(&nested, &b.prefix, depth, shown, path);
                    drop_flat(nested);
                }
                _ => self.skip(shown, "attached message could not be parsed".into(), path),
            }
            return;
        }

        let why = not_document_reason(&b.declared, &b.data);
        self.skip(shown, why, path);
    }

    fn walk_tnef(&mut self, data: &[u8], prefix: &str, depth: u32, shown: String, path: String) {
        let parsed = tnef::read(data);
        if parsed.files.is_empty() {
            let why = match parsed.error {
                Some(e) => format!("unreadable winmail.dat: {e}"),
                None => "winmail.dat without attachments".to_string(),
            };
            self.skip(shown, why, path);
            return;
        }
        let count = parsed.files.len();
        for (i, f) in parsed.files.into_iter().enumerate() {
            let name = f.name.as_deref().and_then(clean_name);
            let label = name
                .clone()
                .unwrap_or_else(|| format!("attachment {}", i + 1));
            match f.content {
                tnef::Content::Data(d) => self.handle_blob(
                    Blob {
                        name,
                        declared: f.mime.unwrap_or_default().to_ascii_lowercase(),
                        data: Cow::Borrowed(d),
                        inline: f.inline,
                        prefix: prefix.to_string(),
                        label,
                    },
                    depth,
                ),
                tnef::Content::Embedded(d) => {
                    let inner_path = format!("{prefix}{label}");
                    let inner_shown = name.unwrap_or_else(|| "embedded message".to_string());
                    if depth >= self.opts.max_depth {
                        self.skip(
                            inner_shown,
                            format!(
                                "embedded message nested too deep (max depth {})",
                                self.opts.max_depth
                            ),
                            inner_path,
                        );
                    } else {
                        let inner_prefix = format!("{prefix}{label} / ");
                        self.walk_tnef(d, &inner_prefix, depth + 1, inner_shown, inner_path);
                    }
                }
                tnef::Content::None => self.skip(
                    name.unwrap_or_else(|| "unnamed".to_string()),
                    "winmail.dat entry without data".into(),
                    format!("{prefix}{label}"),
                ),
            }
        }
        if let Some(e) = parsed.error {
            self.skip(
                shown,
                format!("winmail.dat damaged after {count} entries: {e}"),
                path,
            );
        }
    }
}

/// `type/subtype` in lower case; `""` without a Content-Type.
fn declared_type(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
            None => ct.ctype().to_ascii_lowercase(),
        },
        None => String::new(),
    }
}

fn unnamed(declared: &str) -> String {
    if declared.is_empty() {
        "unnamed part".to_string()
    } else {
        format!("unnamed {declared}")
    }
}

fn extension(media: &str) -> &'static str {
    match media {
        MEDIA_PDF => "pdf",
        MEDIA_PNG => "png",
        MEDIA_JPEG => "jpg",
        MEDIA_TIFF => "tif",
        "image/webp" => "webp",
        "image/bmp" => "bmp",
        _ => "xml",
    }
}

fn not_document_reason(declared: &str, data: &[u8]) -> String {
    const DOC_TYPES: [&str; 7] = [
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/jpg",
        "image/tiff",
        "application/xml",
        "text/xml",
    ];
    if DOC_TYPES.contains(&declared) {
        return format!("declared {declared}, but the content is not a recognised document");
    }
    let shown = if matches!(declared, "" | "application/octet-stream") {
        other_type(data).unwrap_or("application/octet-stream")
    } else {
        declared
    };
    format!("not a document type: {shown}")
}

fn image_dimensions(data: &[u8]) -> Result<(u32, u32), String> {
    image::ImageReader::new(Cursor::new(data))
        .with_guessed_format()
        .map_err(|e| e.to_string())?
        .into_dimensions()
        .map_err(|e| e.to_string())
}

/// The decoded bytes of a leaf part. Text parts are taken from the raw part again (mail-parser
/// converts them to UTF-8, which would change an XML file's bytes); damaged base64 and
/// quoted-printable are decoded leniently.
fn part_bytes<'a>(msg: &'a Message<'_>, part: &'a MessagePart<'_>, cte: &str) -> Cow<'a, [u8]> {
    let raw = msg
        .raw_message
        .get(part.offset_body as usize..part.offset_end as usize);
    let is_text = matches!(part.body, PartType::Text(_) | PartType::Html(_));
    if let (true, Some(raw)) = (is_text || part.is_encoding_problem, raw) {
        return match cte {
            "base64" => Cow::Owned(base64_lenient(raw)),
            "quoted-printable" => Cow::Owned(qp_lenient(raw)),
            _ => Cow::Borrowed(raw),
        };
    }
    Cow::Borrowed(part.contents())
}

/// For each part, the boundary of the multipart that holds it.
fn parent_boundaries<'m>(msg: &'m Message<'_>) -> Vec<Option<&'m str>> {
    let mut out = vec![None; msg.parts.len()];
    for p in &msg.parts {
        if let PartType::Multipart(children) = &p.body {
            let b = p.content_type().and_then(|c| c.attribute("boundary"));
            for &c in children {
                if let Some(slot) = out.get_mut(c as usize) {
                    *slot = b;
                }
            }
        }
    }
    out
}

/// True when the part sits in a multipart but its closing boundary never comes (the file
/// was cut off inside it).
fn truncated(msg: &Message<'_>, id: u32, part: &MessagePart<'_>, bounds: &[Option<&str>]) -> bool {
    let Some(Some(boundary)) = bounds.get(id as usize) else {
        return false;
    };
    let end = part.offset_end as usize;
    let Some(after) = msg.raw_message.get(end..) else {
        return true;
    };
    let window = after.get(..1024 + boundary.len()).unwrap_or(after);
    let mut delim = b"--".to_vec();
    delim.extend_from_slice(boundary.as_bytes());
    find(window, &delim).is_none()
}

/// Content ids referenced (`cid:...`) from the HTML parts of the message, lower case.
fn referenced_cids(msg: &Message<'_>) -> HashSet<String> {
    let mut out = HashSet::new();
    for p in &msg.parts {
        if let PartType::Html(h) = &p.body {
            let bytes = h.as_bytes();
            let mut at = 0usize;
            while let Some(i) = bytes.get(at..).and_then(|rest| find_ci(rest, b"cid:")) {
                let start = at + i + 4;
                let len = bytes
                    .get(start..)
                    .unwrap_or_default()
                    .iter()
                    .position(|&c| {
                        matches!(c, b'"' | b'\'' | b')' | b'>' | b'<') || c.is_ascii_whitespace()
                    })
                    .unwrap_or(bytes.len() - start);
                if let Some(id) = h.get(start..start + len) {
                    out.insert(normalize_cid(&percent_decode(id)));
                }
                at = start;
            }
        }
    }
    out
}

fn normalize_cid(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;
    use super::super::*;
    use super::*;

    #[test]
    fn small_inline_logo_skipped_large_inline_photo_and_attached_small_image_kept() {
        let logo = png(120, 40);
        let photo = jpeg(600, 500);
        let tiny_attached = png(50, 50);
        let html = "<html><body><img src=\"cid:logo@x\"><p>Our photo:</p>\
                    <img src=\"cid:photo@x\"></body></html>";
        let related = multipart(
            "related",
            "rel",
            &[
                format!("Content-Type: text/html; charset=utf-8\n\n{html}"),
                format!(
                    "Content-Type: image/png; name=\"logo.png\"\nContent-ID: <logo@x>\n\
                     Content-Transfer-Encoding: base64\n\n{}",
                    b64(&logo, 76)
                ),
                format!(
                    "Content-Type: image/jpeg\nContent-ID: <photo@x>\n\
                     Content-Disposition: inline; filename=\"photo.jpg\"\n\
                     Content-Transfer-Encoding: base64\n\n{}",
                    b64(&photo, 76)
                ),
            ],
        );
        let raw = top(
            "Pictures",
            &multipart(
                "mixed",
                "mix",
                &[
                    related.trim_end().to_string(),
                    b64_part(
                        "image/png",
                        "Content-Disposition: attachment; filename=\"stamp.png\"",
                        &tiny_attached,
                    ),
                ],
            ),
        );
        let e = parse_ok(&raw);
        let names: Vec<_> = e.documents.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["photo.jpg", "stamp.png"], "{:?}", e.skipped);
        assert_eq!(e.documents[0].media_type, MEDIA_JPEG);
        assert_eq!(e.documents[0].path, "attachment 2");
        assert_eq!(e.documents[0].data, photo);
        assert!(e.documents[0].inline);
        assert_eq!(e.documents[1].data, tiny_attached);
        assert!(!e.documents[1].inline);
        assert_eq!(
            skipped_why(&e, "logo.png"),
            "logo-sized inline image 120x40"
        );
        assert_eq!(e.body_text.as_deref(), Some("Our photo:"));

        // A lower threshold keeps the logo too.
        let opts = EmailOptions {
            min_inline_image_pixels: 4_000,
            ..EmailOptions::default()
        };
        let e = parse(&raw, &opts).unwrap();
        assert_eq!(e.documents.len(), 3);
        assert_eq!(e.documents[0].name, "logo.png");
        assert_eq!(e.documents[0].data, logo);
    }

    #[test]
    fn inline_pdf_and_tiff_count() {
        // Apple Mail sends attachments as `inline`; the size rule is for images only.
        let p = pdf("inline");
        let tif = {
            let img = image::RgbImage::from_fn(700, 400, |x, _| image::Rgb([x as u8, 0, 0]));
            let mut out = Cursor::new(Vec::new());
            img.write_to(&mut out, image::ImageFormat::Tiff).unwrap();
            out.into_inner()
        };
        let raw = top(
            "inline",
            &multipart(
                "mixed",
                "i",
                &[
                    text_part("scan attached"),
                    b64_part(
                        "application/pdf",
                        "Content-Disposition: inline; filename=\"scan.pdf\"",
                        &p,
                    ),
                    b64_part(
                        "image/tiff",
                        "Content-Disposition: inline; filename=\"fax.tif\"",
                        &tif,
                    ),
                ],
            ),
        );
        let e = parse_ok(&raw);
        let got: Vec<_> = e
            .documents
            .iter()
            .map(|d| (d.name.as_str(), d.media_type, d.inline))
            .collect();
        assert_eq!(
            got,
            [("scan.pdf", MEDIA_PDF, true), ("fax.tif", MEDIA_TIFF, true)]
        );
        assert_eq!(e.documents[0].data, p);
        assert_eq!(e.documents[1].data, tif);
    }

    #[test]
    fn inline_image_with_unreadable_header_skipped_but_attached_one_kept() {
        let broken_png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        let raw = top(
            "Broken",
            &multipart(
                "mixed",
                "b",
                &[
                    b64_part(
                        "image/png",
                        "Content-Disposition: inline; filename=\"a.png\"",
                        &broken_png,
                    ),
                    b64_part(
                        "image/png",
                        "Content-Disposition: attachment; filename=\"b.png\"",
                        &broken_png,
                    ),
                ],
            ),
        );
        let e = parse_ok(&raw);
        assert!(skipped_why(&e, "a.png").starts_with("inline image with an unreadable header"));
        assert_eq!(e.documents.len(), 1);
        assert_eq!(e.documents[0].name, "b.png");
        assert_eq!(e.documents[0].data, broken_png);
    }

    #[test]
    fn nested_message_rfc822_documents_included() {
        let inner_pdf = pdf("inner");
        let outer_pdf = pdf("outer");
        let inner = forwarded("Rechnung 7", &inner_pdf);
        let raw = top(
            "Fwd: Rechnung 7",
            &multipart(
                "mixed",
                "outer",
                &[
                    text_part("see below"),
                    format!("Content-Type: message/rfc822\n\n{}", inner.trim_end()),
                    b64_part(
                        "application/pdf",
                        "Content-Disposition: attachment; filename=\"outer.pdf\"",
                        &outer_pdf,
                    ),
                ],
            ),
        );
        let e = parse_ok(&raw);
        assert_eq!(e.subject.as_deref(), Some("Fwd: Rechnung 7"));
        assert_eq!(e.from.as_deref(), Some("Ann Example <ann@example.com>"));
        assert_eq!(e.body_text.as_deref(), Some("see below"));
        assert_eq!(e.documents.len(), 2, "{:?} {:?}", e.documents, e.skipped);
        assert_eq!(e.documents[0].name, "original.pdf");
        assert_eq!(e.documents[0].path, "message 'Rechnung 7' / attachment 1");
        assert_eq!(e.documents[0].data, inner_pdf);
        assert_eq!(e.documents[1].name, "outer.pdf");
        assert_eq!(e.documents[1].path, "attachment 2");
        assert_eq!(e.documents[1].data, outer_pdf);

        // The same message base64-encoded, and as an octet-stream .eml file.
        let raw = top(
            "Fwd: twice",
            &multipart(
                "mixed",
                "outer",
                &[
                    b64_part("message/rfc822", "", inner.as_bytes()),
                    b64_part(
                        "application/octet-stream; name=\"fw.eml\"",
                        "",
                        forwarded("Second", &outer_pdf).as_bytes(),
                    ),
                ],
            ),
        );
        let e = parse_ok(&raw);
        let got: Vec<_> = e
            .documents
            .iter()
            .map(|d| (d.path.as_str(), d.data == inner_pdf, d.data == outer_pdf))
            .collect();
        assert_eq!(
            got,
            [
                ("message 'Rechnung 7' / attachment 1", true, false),
                ("message 'Second' / attachment 1", false, true)
            ],
            "{:?}",
            e.skipped
        );
    }

    #[test]
    fn nesting_deeper_than_max_depth_is_skipped() {
        let the_pdf = pdf("deep");
        // message in message in message, the PDF in the innermost
        let mut msg = forwarded("level 3", &the_pdf);
        for level in [2, 1] {
            msg = format!(
                "From: x@example.com\nSubject: level {level}\n{}",
                multipart(
                    "mixed",
                    &format!("l{level}"),
                    &[format!(
                        "Content-Type: message/rfc822\n\n{}",
                        msg.trim_end()
                    )]
                )
            );
        }
        let raw = top(
            "top",
            &multipart(
                "mixed",
                "l0",
                &[format!(
                    "Content-Type: message/rfc822\n\n{}",
                    msg.trim_end()
                )],
            ),
        );
        let e = parse_ok(&raw);
        assert_eq!(e.documents.len(), 1);
        assert_eq!(
            e.documents[0].path,
            "message 'level 1' / message 'level 2' / message 'level 3' / attachment 1"
        );
        let opts = EmailOptions {
            max_depth: 2,
            ..EmailOptions::default()
        };
        let e = parse(&raw, &opts).unwrap();
        assert!(e.documents.is_empty());
        assert_eq!(e.skipped.len(), 1);
        assert_eq!(
            e.skipped[0].why,
            "attached message nested too deep (max depth 2)"
        );
        assert_eq!(
            e.skipped[0].path,
            "message 'level 1' / message 'level 2' / attachment 1"
        );
    }

    #[test]
    fn thousands_of_nested_messages_do_not_overflow() {
        let mut s = String::from(HEAD);
        // 100k levels (3 MB): mail-parser's own types would overflow the stack on drop.
        for _ in 0..100_000 {
            s.push_str("Content-Type: message/rfc822\n\n");
        }
        s.push_str(
            "Subject: bottom\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n",
        );
        s.push_str(&b64(&pdf("bottom"), 76));
        let raw = crlf(&s);
        // Run on a thread with a small stack to be sure nothing recurses without bound.
        let res = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || parse(&raw, &EmailOptions::default()))
            .unwrap()
            .join()
            .expect("no stack overflow");
        let e = res.unwrap();
        assert!(e.documents.is_empty());
        assert!(
            e.skipped[0].why.contains("nested too deep"),
            "{:?}",
            e.skipped
        );
    }

    #[test]
    fn xml_invoice_bytes_kept_exactly() {
        let xml = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\"><cbc:Note>M\u{fc}ller</cbc:Note></Invoice>";
        // ISO-8859-1 bytes
        let latin1: Vec<u8> = xml.chars().map(|c| c as u32 as u8).collect();
        let raw = top(
            "XRechnung",
            &multipart(
                "mixed",
                "x",
                &[
                    format!(
                        "Content-Type: text/xml; charset=iso-8859-1; name=\"invoice.xml\"\n\
                         Content-Transfer-Encoding: quoted-printable\n\n{}",
                        qp(&latin1)
                    ),
                    b64_part(
                        "application/xml",
                        "Content-Disposition: attachment; filename=\"ubl.xml\"",
                        xml.as_bytes(),
                    ),
                    b64_part(
                        "text/html",
                        "Content-Disposition: attachment; filename=\"page.html\"",
                        b"<html><body>Invoice</body></html>",
                    ),
                ],
            ),
        );
        let e = parse_ok(&raw);
        assert_eq!(e.documents.len(), 2, "{:?}", e.skipped);
        assert_eq!(e.documents[0].name, "invoice.xml");
        assert_eq!(e.documents[0].media_type, MEDIA_XML);
        assert_eq!(e.documents[0].data, latin1);
        assert_eq!(e.documents[1].name, "ubl.xml");
        assert_eq!(e.documents[1].data, xml.as_bytes());
        assert_eq!(
            skipped_why(&e, "page.html"),
            "not a document type: text/html"
        );
    }

    #[test]
    fn zip_and_other_non_documents_skipped_with_reason() {
        let raw = top(
            "zip",
            &multipart(
                "mixed",
                "z",
                &[
                    b64_part("application/zip", "Content-Disposition: attachment; filename=\"archive.zip\"", &zip()),
                    b64_part("application/octet-stream", "Content-Disposition: attachment; filename=\"data.bin\"", &zip()),
                    b64_part("application/pdf", "Content-Disposition: attachment; filename=\"fake.pdf\"", b"not really a pdf"),
                    "Content-Type: text/calendar; name=\"invite.ics\"\n\nBEGIN:VCALENDAR\nEND:VCALENDAR".to_string(),
                    b64_part("application/pdf", "Content-Disposition: attachment; filename=\"empty.pdf\"", b""),
                ],
            ),
        );
        let e = parse_ok(&raw);
        assert!(e.documents.is_empty(), "{:?}", e.documents);
        assert_eq!(
            skipped_why(&e, "archive.zip"),
            "not a document type: application/zip"
        );
        assert_eq!(
            skipped_why(&e, "data.bin"),
            "not a document type: application/zip"
        );
        assert_eq!(
            skipped_why(&e, "fake.pdf"),
            "declared application/pdf, but the content is not a recognised document"
        );
        assert_eq!(
            skipped_why(&e, "invite.ics"),
            "not a document type: text/calendar"
        );
        assert_eq!(skipped_why(&e, "empty.pdf"), "empty attachment");
        assert_eq!(e.skipped[0].path, "attachment 1");
    }

    #[test]
    fn truncated_email_never_yields_partial_documents() {
        let (raw, docs) = rich_email();
        let mut complete_seen = 0;
        for cut in (0..raw.len())
            .step_by(97)
            .chain([raw.len() - 1, raw.len() - 10])
        {
            match parse(&raw[..cut], &EmailOptions::default()) {
                Err(_) => {}
                Ok(e) => {
                    for d in &e.documents {
                        assert!(docs.contains(&d.data), "cut {cut}: partial {:?}", d);
                    }
                    complete_seen = complete_seen.max(e.documents.len());
                }
            }
        }
        // Cuts after the last document still give all of them.
        assert_eq!(complete_seen, docs.len());
        // Cut in the middle of the first PDF's base64: nothing, and the reason says so.
        let cut = find(&raw, b"filename=\"one.pdf\"").unwrap() + 200;
        let e = parse_ok(&raw[..cut]);
        assert!(e.documents.is_empty());
        assert_eq!(
            skipped_why(&e, "one.pdf"),
            "truncated: the part's closing MIME boundary is missing"
        );
    }
}
