//! Email (`.eml`) source: every attachment of an email that is a document becomes a
//! document of its own.
//!
//! Pure module: no file or network I/O, no global state. [`looks_like_email`] is the cheap
//! sniff the inbox uses to route a file here; [`parse`] returns the top message's headers,
//! its plain-text body, the documents found anywhere in it, and a list of what was skipped
//! and why.
//!
//! MIME is parsed by `mail-parser` (Stalwart): RFC 2047 encoded words, RFC 2231 parameters
//! (charsets and continuations), charsets, base64 and quoted-printable, nested
//! `message/rfc822`. On top of that this module adds:
//! - uuencode (`Content-Transfer-Encoding: x-uuencode`, or `begin 644 name` blocks in a
//!   plain-text body), which `mail-parser` does not decode;
//! - base64 sent without a `Content-Transfer-Encoding` header, and damaged base64 or
//!   quoted-printable (decoded leniently instead of being given up on);
//! - file names sent as raw 8-bit (ISO-8859-1 / Windows-1252) bytes in a header;
//! - `winmail.dat` (`application/ms-tnef`) through a small bounded TNEF reader (see
//!   `mod tnef` below): the crates.io `tnef` crate (0.1.1) drops attachments that lack
//!   optional attributes (dates), stops at attribute ids it does not know and does not
//!   read `PR_ATTACH_LONG_FILENAME`; `ytnef` binds a C library.
//!
//! A document is recognised from its bytes, never from the declared type (see
//! [`sniff_document`]). A part that was cut off (its closing MIME boundary is missing, as
//! in a truncated file) is never returned as a document.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::io::Cursor;
use std::ops::Range;

pub use crate::config::sources::EmailOptions;

use mail_parser::{
    Address, HeaderName, Message, MessageParser, MessagePart, MimeHeaders, PartType,
};

/// `media_type` of a PDF document.
pub const MEDIA_PDF: &str = "application/pdf";
/// `media_type` of a PNG image.
pub const MEDIA_PNG: &str = "image/png";
/// `media_type` of a JPEG image.
pub const MEDIA_JPEG: &str = "image/jpeg";
/// `media_type` of a TIFF image.
pub const MEDIA_TIFF: &str = "image/tiff";
/// `media_type` of an XML e-invoice (UBL, CII, ...).
pub const MEDIA_XML: &str = "application/xml";

/// How much of the start of a file [`looks_like_email`] reads.
const SNIFF_LIMIT: usize = 64 * 1024;
/// How many header lines [`looks_like_email`] reads at most.
const SNIFF_MAX_LINES: usize = 200;
/// A file name is cut to this many characters (the extension is kept).
const MAX_NAME_CHARS: usize = 200;
/// A subject is cut to this many characters in a `path`.
const MAX_SUBJECT_CHARS: usize = 60;
/// At most this many uuencoded blocks are taken from one text.
const MAX_UU_BLOCKS: usize = 100;

/// A parsed email.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Email {
    /// First address of `From`: `"Name <addr>"`, or `addr` when there is no name.
    pub from: Option<String>,
    /// Every address of every `To` header, formatted like `from`.
    pub to: Vec<String>,
    /// Decoded subject.
    pub subject: Option<String>,
    /// RFC 3339 in UTC (`2024-03-05T09:30:00Z`) when the `Date` header parses; otherwise
    /// the raw header text; `None` when there is no `Date` header.
    pub date: Option<String>,
    /// `Message-ID` without the angle brackets.
    pub message_id: Option<String>,
    /// The documents, in order of appearance; those in nested messages and winmail.dat
    /// files included.
    pub documents: Vec<Attachment>,
    /// Every other part (named or not; plain-text and HTML body parts excepted), with the
    /// reason; also a damaged winmail.dat or a nesting that is too deep.
    pub skipped: Vec<Skipped>,
    /// Plain-text body of the top message (text/plain, else HTML converted to text), with
    /// uuencoded blocks taken out; `None` when empty.
    pub body_text: Option<String>,
}

/// A document found in an email.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Decoded file name: non-ASCII kept, path separators replaced by `_`, control and
    /// bidi-override characters and leading dots removed, at most 200 characters. Never
    /// empty: without a usable name it is `attachment-N.ext` (N = position among the
    /// documents, ext from the sniffed type).
    pub name: String,
    /// Sniffed from the bytes, not the declared type: one of [`MEDIA_PDF`], [`MEDIA_PNG`],
    /// [`MEDIA_JPEG`], [`MEDIA_TIFF`], [`MEDIA_XML`].
    pub media_type: &'static str,
    /// The decoded bytes, exactly as the sender attached them.
    pub data: Vec<u8>,
    /// Shown in the body rather than attached: Content-Disposition `inline`, or its
    /// Content-ID is referenced from the HTML body (for images, see
    /// [`EmailOptions::min_inline_image_pixels`]).
    pub inline: bool,
    /// Where it was in the email, containers first, joined by ` / `: `attachment 2`,
    /// `message 'Fwd: …' / attachment 1` (a nested message, by its subject),
    /// `winmail.dat / scan.pdf` (a winmail.dat, by its file name), `body / scan.pdf` (a
    /// uuencoded block in the body text). `attachment N` counts the non-body parts of that
    /// message from 1 (a nested message counts as one).
    pub path: String,
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("name", &self.name)
            .field("media_type", &self.media_type)
            .field("data", &format_args!("<{} bytes>", self.data.len()))
            .field("inline", &self.inline)
            .field("path", &self.path)
            .finish()
    }
}

/// A part that is not a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Its file name, or `unnamed <type>` when it had none.
    pub name: String,
    /// Why it is not a document, e.g. `logo-sized inline image 120x40`,
    /// `not a document type: application/zip`.
    pub why: String,
    /// Where it was, as [`Attachment::path`].
    pub path: String,
}

/// Why [`parse`] gave up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// The bytes do not start with an RFC 5322 header block.
    #[error("not an email: the file does not start with email header lines (From:, To:, Subject:, Date:, ...)")]
    NotAnEmail,
    /// The header block was seen but the MIME parser could not read the message.
    #[error("email could not be parsed: {0}")]
    Malformed(&'static str),
}

/// Cheap sniff: true when `data` starts (after an optional UTF-8 BOM, white space and an
/// mbox `From ` line) with RFC 5322 header lines, and among those first headers are at
/// least two different ones of From/To/Subject/Date/Message-ID/MIME-Version/Received/
/// Return-Path. Reads at most the first 64 KiB.
pub fn looks_like_email(data: &[u8]) -> bool {
    sniff_headers(data).is_some_and(|s| s.known >= 2)
}

/// Parse an email. Errors when `data` is not an email (see [`looks_like_email`]; here one
/// known header, or `Content-Type`, is enough). Damaged or truncated emails give what can
/// be read; a part that was cut off is listed in `skipped`, never returned as a document.
pub fn parse(data: &[u8], opts: &EmailOptions) -> Result<Email, EmailError> {
    let sniff = sniff_headers(data).ok_or(EmailError::NotAnEmail)?;
    if sniff.known == 0 && !sniff.content_type {
        return Err(EmailError::NotAnEmail);
    }
    let raw = data.get(sniff.start..).unwrap_or_default();
    let msg = parse_mime(raw).map_err(|_panic| {
        EmailError::Malformed("the MIME parser failed on this input (see the log)")
    })?;
    let msg = msg.ok_or(EmailError::Malformed("no header block found"))?;

    let mut walker = Walker {
        opts,
        documents: Vec::new(),
        skipped: Vec::new(),
    };
    walker.walk_message(&msg, "", 0);

    let email = Email {
        from: msg.from().and_then(|a| addresses(a).into_iter().next()),
        to: msg.all_to().flat_map(addresses).collect(),
        subject: msg
            .subject()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        date: date_of(&msg),
        message_id: msg
            .message_id()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        documents: walker.documents,
        skipped: walker.skipped,
        body_text: body_text(&msg),
    };
    drop_flat(msg);
    Ok(email)
}

/// Run mail-parser. Its release build never panics, but its debug build has
/// `debug_assert!`s that fire on some damaged multiparts (found by the mutation test), so
/// a panic is caught here ([`crate::guard`]) and reported as an error instead of taking
/// the caller down. `Err(message)` = it panicked, `Ok(None)` = no headers.
fn parse_mime(raw: &[u8]) -> Result<Option<Message<'_>>, String> {
    crate::guard::guard(|| MessageParser::default().parse(raw))
}

/// Drop a parsed message without recursion: mail-parser nests one `Message` per attached
/// message, and dropping ~100k levels of them (a 3 MB hostile file) the usual way overflows
/// the stack.
fn drop_flat(msg: Message<'_>) {
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

struct HeaderSniff {
    /// Where the header block starts (after BOM, white space and an mbox `From ` line).
    start: usize,
    /// How many different known headers were seen.
    known: u32,
    /// Whether a Content-Type header was seen.
    content_type: bool,
}

fn sniff_headers(data: &[u8]) -> Option<HeaderSniff> {
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

// ---------------------------------------------------------------------------------------
// Top-level headers and body

fn addresses(a: &Address<'_>) -> Vec<String> {
    let list: Vec<_> = match a {
        Address::List(list) => list.iter().collect(),
        Address::Group(groups) => groups.iter().flat_map(|g| g.addresses.iter()).collect(),
    };
    list.into_iter()
        .filter_map(|addr| {
            let name = addr
                .name
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty());
            let mail = addr
                .address
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty());
            match (name, mail) {
                (Some(n), Some(m)) if n != m => Some(format!("{n} <{m}>")),
                (_, Some(m)) => Some(m.to_string()),
                (Some(n), None) => Some(n.to_string()),
                (None, None) => None,
            }
        })
        .collect()
}

fn date_of(msg: &Message<'_>) -> Option<String> {
    if let Some(d) = msg.date().filter(|d| d.is_valid()) {
        if let Some(utc) = chrono::DateTime::from_timestamp(d.to_timestamp(), 0) {
            return Some(utc.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        }
    }
    msg.header_raw(HeaderName::Date)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn body_text(msg: &Message<'_>) -> Option<String> {
    let body_ids = body_ids(msg);
    let mut ids: Vec<u32> = msg.text_body.clone();
    if ids.is_empty() {
        ids = msg.html_body.clone();
    }
    let mut texts = Vec::new();
    for id in ids {
        let Some(part) = msg.parts.get(id as usize) else {
            continue;
        };
        if !is_body(part, id, &body_ids) {
            continue;
        }
        let text = match &part.body {
            PartType::Text(t) => {
                let blocks = find_uu_blocks(t.as_bytes());
                if blocks.is_empty() {
                    t.to_string()
                } else {
                    remove_ranges(t, blocks.iter().map(|b| b.range.clone()))
                }
            }
            PartType::Html(h) => mail_parser::decoders::html::html_to_text(h),
            _ => continue,
        };
        let text = text.trim();
        if !text.is_empty() {
            texts.push(text.to_string());
        }
    }
    if texts.is_empty() {
        None
    } else {
        Some(texts.join("\n\n"))
    }
}

fn remove_ranges(text: &str, ranges: impl Iterator<Item = Range<usize>>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0usize;
    for r in ranges {
        // Ranges start and end at line boundaries (ASCII '\n'), so they are char boundaries.
        if let Some(keep) = text.get(at..r.start) {
            out.push_str(keep);
        }
        at = r.end.max(at);
    }
    if let Some(rest) = text.get(at..) {
        out.push_str(rest);
    }
    out
}

/// Ids of the parts mail-parser counts as the message's text (plain or HTML).
fn body_ids(msg: &Message<'_>) -> HashSet<u32> {
    msg.text_body
        .iter()
        .chain(msg.html_body.iter())
        .copied()
        .collect()
}

/// A text part that is body text: text/plain or text/html, in the body list, without a
/// file name and not marked as an attachment.
fn is_body(part: &MessagePart<'_>, id: u32, body_ids: &HashSet<u32>) -> bool {
    matches!(part.body, PartType::Text(_) | PartType::Html(_))
        && body_ids.contains(&id)
        && part.attachment_name().is_none_or(|n| n.trim().is_empty())
        && !part
            .content_disposition()
            .is_some_and(|d| d.is_attachment())
}

// ---------------------------------------------------------------------------------------
// Walking the parts

struct Walker<'o> {
    opts: &'o EmailOptions,
    documents: Vec<Attachment>,
    skipped: Vec<Skipped>,
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

    fn walk_message(&mut self, msg: &Message<'_>, prefix: &str, depth: u32) {
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
        sniff_other(data).unwrap_or("application/octet-stream")
    } else {
        declared
    };
    format!("not a document type: {shown}")
}

/// A few common non-document types, for the reason given when one is skipped.
fn sniff_other(data: &[u8]) -> Option<&'static str> {
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

fn percent_decode(s: &str) -> String {
    // Invalid escapes (`%zz`, a trailing `%`) are kept as written, as before.
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

// ---------------------------------------------------------------------------------------
// File names

/// The part's file name (Content-Disposition `filename`, else Content-Type `name`),
/// decoded and cleaned.
fn part_name(msg: &Message<'_>, part: &MessagePart<'_>) -> Option<String> {
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
fn clean_name(raw: &str) -> Option<String> {
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

/// Windows-1252 to UTF-8 (bytes 0x80..0x9F that 1252 leaves undefined map to U+0080..).
fn decode_1252(bytes: &[u8]) -> String {
    // WHATWG's table: the five bytes cp1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90,
    // 0x9D) become the C1 controls of the same number, as the hand-written table did.
    encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(bytes)
        .0
        .into_owned()
}

// ---------------------------------------------------------------------------------------
// Transfer encodings mail-parser leaves to us

/// True when `data` is nothing but base64 (letters, digits, `+/=`, white space), at least
/// 16 characters, with some line structure or length that fits.
fn looks_like_base64(data: &[u8]) -> bool {
    let mut count = 0usize;
    for &b in data {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' | b'=' => count += 1,
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => return false,
        }
    }
    count >= 16
}

/// Base64 decoder that skips anything outside the alphabet (bad line lengths, stray
/// characters) and restarts after padding (concatenated chunks).
fn base64_lenient(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 4 * 3 + 3);
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    for &c in data {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => {
                acc = 0;
                bits = 0;
                continue;
            }
            _ => continue,
        };
        acc = ((acc << 6) | u32::from(v)) & 0x00FF_FFFF;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// Quoted-printable decoder that keeps a stray `=` instead of failing.
fn qp_lenient(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0usize;
    while let Some(&c) = data.get(i) {
        if c == b'=' {
            if let (Some(h), Some(l)) = (
                data.get(i + 1).and_then(|&c| hex_val(c)),
                data.get(i + 2).and_then(|&c| hex_val(c)),
            ) {
                out.push((h << 4) | l);
                i += 3;
                continue;
            }
            let mut j = i + 1;
            while matches!(data.get(j), Some(b' ' | b'\t')) {
                j += 1;
            }
            if data.get(j) == Some(&b'\r') {
                j += 1;
            }
            if data.get(j) == Some(&b'\n') {
                i = j + 1;
                continue;
            }
            if j >= data.len() {
                break;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// A uuencoded file.
struct UuBlock {
    /// Name on the `begin` line (raw, not cleaned).
    name: String,
    data: Vec<u8>,
    /// Bytes of the whole block (from `begin` to after `end`) in the text it was found in.
    range: Range<usize>,
    /// Whether the `end` line was seen.
    complete: bool,
}

/// Every `begin <mode> <name>` ... `end` block in `text`.
fn find_uu_blocks(text: &[u8]) -> Vec<UuBlock> {
    let mut out = Vec::new();
    if find(text, b"begin ").is_none() {
        return out;
    }
    let next_line = |pos: usize| -> (usize, &[u8]) {
        let end = text
            .get(pos..)
            .and_then(|r| r.iter().position(|&b| b == b'\n'))
            .map_or(text.len(), |i| pos + i);
        let line = text.get(pos..end).unwrap_or_default();
        (
            end.saturating_add(1).min(text.len()),
            line.strip_suffix(b"\r").unwrap_or(line),
        )
    };
    let mut pos = 0usize;
    while pos < text.len() && out.len() < MAX_UU_BLOCKS {
        let (after, line) = next_line(pos);
        let Some(name) = uu_begin(line) else {
            pos = after;
            continue;
        };
        let start = pos;
        let mut data = Vec::new();
        let mut complete = false;
        let mut p = after;
        while p < text.len() {
            let (after, line) = next_line(p);
            p = after;
            let trimmed = trim_ascii_end(line);
            if trimmed == b"end" {
                complete = true;
                break;
            }
            if trimmed.is_empty() {
                continue;
            }
            if !decode_uu_line(line, &mut data) {
                break;
            }
        }
        out.push(UuBlock {
            name,
            data,
            range: start..p,
            complete,
        });
        pos = p;
    }
    out
}

fn trim_ascii_end(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., last] = s {
        if last.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    s
}

/// The file name of a `begin 644 name` line.
fn uu_begin(line: &[u8]) -> Option<String> {
    let rest = line.strip_prefix(b"begin ")?;
    let digits = rest
        .iter()
        .take_while(|b| (b'0'..=b'7').contains(b))
        .count();
    if !(3..=4).contains(&digits) || rest.get(digits) != Some(&b' ') {
        return None;
    }
    let name = trim_ascii_end(rest.get(digits + 1..)?);
    if name.is_empty() {
        return None;
    }
    Some(match std::str::from_utf8(name) {
        Ok(s) => s.to_string(),
        Err(_) => decode_1252(name),
    })
}

/// Decode one uuencoded line into `out`; false when it is not uuencode.
fn decode_uu_line(line: &[u8], out: &mut Vec<u8>) -> bool {
    let Some((&len_ch, chars)) = line.split_first() else {
        return true;
    };
    if !(0x20..=0x60).contains(&len_ch) {
        return false;
    }
    let n = usize::from((len_ch - 0x20) & 0x3F);
    let mut produced = 0usize;
    for chunk in chars.chunks(4) {
        if produced >= n {
            break;
        }
        let mut v = [0u8; 4];
        for (slot, &c) in v.iter_mut().zip(chunk) {
            if !(0x20..=0x60).contains(&c) {
                return false;
            }
            *slot = (c - 0x20) & 0x3F;
        }
        let bytes = [
            (v[0] << 2) | (v[1] >> 4),
            (v[1] << 4) | (v[2] >> 2),
            (v[2] << 6) | v[3],
        ];
        for b in bytes {
            if produced < n {
                out.push(b);
                produced += 1;
            }
        }
    }
    true
}

// ---------------------------------------------------------------------------------------
// Byte search helpers

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

// ---------------------------------------------------------------------------------------
// TNEF (winmail.dat)

/// A small, bounded TNEF reader: the attachments of a winmail.dat with their names.
///
/// Stream: signature `78 9F 3E 22`, a 16-bit key, then attributes: level (1 message,
/// 2 attachment), id (u32, LE), length (u32), data, checksum (u16: sum of the data bytes).
/// `attAttachRendData` starts an attachment; `attAttachTitle` (0x00018010) names it,
/// `attAttachData` (0x0006800F) holds its bytes, `attAttachment` (0x00069005) holds its
/// MAPI properties, where `PR_ATTACH_LONG_FILENAME` (0x3707) is the best name and
/// `PR_ATTACH_DATA_OBJ` (0x3701) may hold the data or an embedded message. All reads are
/// checked; garbage ends the reading with an error, never a panic.
mod tnef {
    pub(super) const SIGNATURE: [u8; 4] = [0x78, 0x9F, 0x3E, 0x22];

    const LVL_MESSAGE: u8 = 1;
    const LVL_ATTACHMENT: u8 = 2;
    const ATT_OEM_CODEPAGE: u16 = 0x9007;
    const ATT_ATTACH_REND_DATA: u16 = 0x9002;
    const ATT_ATTACH_TITLE: u16 = 0x8010;
    const ATT_ATTACH_DATA: u16 = 0x800F;
    const ATT_ATTACHMENT: u16 = 0x9005;
    const ATT_ATTACH_TRANSPORT_FILENAME: u16 = 0x9001;

    const PR_DISPLAY_NAME: u16 = 0x3001;
    const PR_ATTACH_DATA_OBJ: u16 = 0x3701;
    const PR_ATTACH_FILENAME: u16 = 0x3704;
    const PR_ATTACH_METHOD: u16 = 0x3705;
    const PR_ATTACH_LONG_FILENAME: u16 = 0x3707;
    const PR_ATTACH_MIME_TAG: u16 = 0x370E;
    const PR_ATTACH_CONTENT_ID: u16 = 0x3712;
    const PR_ATTACHMENT_HIDDEN: u16 = 0x7FFE;

    const PT_STRING8: u16 = 0x001E;
    const PT_UNICODE: u16 = 0x001F;
    const PT_BINARY: u16 = 0x0102;
    const PT_OBJECT: u16 = 0x000D;
    const MV_FLAG: u16 = 0x1000;
    const ATTACH_EMBEDDED_MSG: u32 = 5;

    /// At most this many attributes / MAPI properties are read.
    const MAX_ATTRIBUTES: usize = 100_000;

    pub(super) enum Content<'a> {
        Data(&'a [u8]),
        /// A TNEF stream of an embedded message.
        Embedded(&'a [u8]),
        None,
    }

    pub(super) struct File<'a> {
        pub name: Option<String>,
        pub mime: Option<String>,
        pub inline: bool,
        pub content: Content<'a>,
    }

    pub(super) struct Parsed<'a> {
        pub files: Vec<File<'a>>,
        /// Why reading stopped early.
        pub error: Option<&'static str>,
    }

    #[derive(Default)]
    struct Raw<'a> {
        title: Option<String>,
        transport_name: Option<String>,
        data: Option<&'a [u8]>,
        props: Props<'a>,
    }

    #[derive(Default)]
    struct Props<'a> {
        long_name: Option<String>,
        short_name: Option<String>,
        display_name: Option<String>,
        mime: Option<String>,
        data_obj: Option<&'a [u8]>,
        data_obj_is_object: bool,
        method: Option<u32>,
        hidden: bool,
        content_id: bool,
    }

    impl<'a> Raw<'a> {
        fn finish(self) -> File<'a> {
            let p = self.props;
            let name = [
                p.long_name,
                self.title,
                p.display_name,
                p.short_name,
                self.transport_name,
            ]
            .into_iter()
            .flatten()
            .find(|n| !n.trim().is_empty());
            let embedded = p.data_obj.and_then(|d| {
                // PT_OBJECT values start with a 16-byte interface id.
                let body = if p.data_obj_is_object {
                    d.get(16..)?
                } else {
                    d
                };
                (p.method == Some(ATTACH_EMBEDDED_MSG) || body.starts_with(&SIGNATURE))
                    .then_some(body)
                    .filter(|b| b.starts_with(&SIGNATURE))
            });
            let content = match (self.data, embedded, p.data_obj) {
                (_, Some(e), _) => Content::Embedded(e),
                (Some(d), None, _) => Content::Data(d),
                (None, None, Some(d)) if !p.data_obj_is_object => Content::Data(d),
                _ => Content::None,
            };
            File {
                name,
                mime: p.mime,
                inline: p.hidden || p.content_id,
                content,
            }
        }
    }

    struct Reader<'a> {
        buf: &'a [u8],
        pos: usize,
    }

    impl<'a> Reader<'a> {
        fn new(buf: &'a [u8]) -> Self {
            Reader { buf, pos: 0 }
        }
        fn is_empty(&self) -> bool {
            self.pos >= self.buf.len()
        }
        fn remaining(&self) -> usize {
            self.buf.len().saturating_sub(self.pos)
        }
        fn take(&mut self, n: usize) -> Option<&'a [u8]> {
            let end = self.pos.checked_add(n)?;
            let s = self.buf.get(self.pos..end)?;
            self.pos = end;
            Some(s)
        }
        /// Skip up to `n` bytes (padding may be missing at the very end).
        fn skip_lenient(&mut self, n: usize) {
            self.pos = self.pos.saturating_add(n).min(self.buf.len());
        }
        fn u8(&mut self) -> Option<u8> {
            self.take(1).map(|b| b[0])
        }
        fn u16(&mut self) -> Option<u16> {
            self.take(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
        }
        fn u32(&mut self) -> Option<u32> {
            self.take(4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        }
    }

    fn checksum(data: &[u8]) -> u16 {
        data.iter().fold(0u16, |s, &b| s.wrapping_add(u16::from(b)))
    }

    /// Read the attachments of a TNEF stream; stops at the first damage and says why.
    pub(super) fn read(data: &[u8]) -> Parsed<'_> {
        let mut files = Vec::new();
        let mut r = Reader::new(data);
        if r.take(4) != Some(&SIGNATURE[..]) {
            return Parsed {
                files,
                error: Some("no TNEF signature"),
            };
        }
        if r.u16().is_none() {
            return Parsed {
                files,
                error: Some("truncated header"),
            };
        }
        let mut utf8_strings = false;
        let mut cur: Option<Raw<'_>> = None;
        let mut error = None;
        let mut n = 0usize;
        while !r.is_empty() {
            n += 1;
            if n > MAX_ATTRIBUTES {
                error = Some("too many attributes");
                break;
            }
            let (Some(level), Some(id), Some(len)) = (r.u8(), r.u32(), r.u32()) else {
                error = Some("truncated attribute");
                break;
            };
            let Some(body) = usize::try_from(len).ok().and_then(|l| r.take(l)) else {
                error = Some("truncated attribute");
                break;
            };
            let Some(sum) = r.u16() else {
                error = Some("truncated attribute");
                break;
            };
            if sum != checksum(body) {
                error = Some("attribute checksum mismatch");
                break;
            }
            let attr = (id & 0xFFFF) as u16;
            match level {
                LVL_MESSAGE if attr == ATT_OEM_CODEPAGE => {
                    utf8_strings = body.get(..4) == Some(&65001u32.to_le_bytes()[..]);
                }
                LVL_ATTACHMENT => match attr {
                    ATT_ATTACH_REND_DATA => {
                        if let Some(done) = cur.take() {
                            files.push(done.finish());
                        }
                        cur = Some(Raw::default());
                    }
                    ATT_ATTACH_TITLE => {
                        cur.get_or_insert_with(Raw::default).title =
                            Some(string8(body, utf8_strings));
                    }
                    ATT_ATTACH_TRANSPORT_FILENAME => {
                        cur.get_or_insert_with(Raw::default).transport_name =
                            Some(string8(body, utf8_strings));
                    }
                    ATT_ATTACH_DATA => {
                        cur.get_or_insert_with(Raw::default).data = Some(body);
                    }
                    ATT_ATTACHMENT => {
                        let raw = cur.get_or_insert_with(Raw::default);
                        read_props(body, utf8_strings, &mut raw.props);
                    }
                    _ => {}
                },
                _ => {}
            }
        }
        if let Some(done) = cur.take() {
            files.push(done.finish());
        }
        Parsed { files, error }
    }

    /// An 8-bit string: UTF-8 when the code page says so or when it is valid UTF-8,
    /// Windows-1252 otherwise; cut at the first NUL.
    fn string8(b: &[u8], utf8: bool) -> String {
        let b = b.split(|&c| c == 0).next().unwrap_or_default();
        match std::str::from_utf8(b) {
            Ok(s) => s.to_string(),
            Err(_) if utf8 => String::from_utf8_lossy(b).into_owned(),
            Err(_) => super::decode_1252(b),
        }
    }

    fn unicode(b: &[u8]) -> String {
        let units = b
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .take_while(|&u| u != 0);
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect()
    }

    fn fixed_size(ptype: u16) -> Option<usize> {
        Some(match ptype {
            0x0000 | 0x0001 => 0,          // unspecified, null
            0x0002 | 0x000B => 2,          // i16, boolean (padded to 4)
            0x0003 | 0x0004 | 0x000A => 4, // i32, float, error
            0x0005..=0x0007 | 0x0014 | 0x0040 => 8,
            0x0048 => 16, // clsid
            _ => return None,
        })
    }

    fn padded(n: usize) -> Option<usize> {
        Some(n.checked_add(3)? & !3)
    }

    /// Read a MAPI property list (attAttachment) into `out`; stops quietly at anything it
    /// does not understand, keeping what it read.
    fn read_props<'a>(body: &'a [u8], utf8: bool, out: &mut Props<'a>) {
        let _ = read_props_inner(body, utf8, out);
    }

    fn read_props_inner<'a>(body: &'a [u8], utf8: bool, out: &mut Props<'a>) -> Option<()> {
        let mut r = Reader::new(body);
        let count = usize::try_from(r.u32()?).ok()?.min(MAX_ATTRIBUTES);
        for _ in 0..count {
            let ptype = r.u16()?;
            let pid = r.u16()?;
            if pid >= 0x8000 {
                // Named property: GUID, kind, then an id or a name.
                r.take(16)?;
                match r.u32()? {
                    0 => {
                        r.u32()?;
                    }
                    1 => {
                        let len = usize::try_from(r.u32()?).ok()?;
                        r.take(len)?;
                        r.skip_lenient(padded(len)? - len);
                    }
                    _ => return None,
                }
            }
            let multi = ptype & MV_FLAG != 0;
            let base = ptype & !MV_FLAG;
            let variable = matches!(base, PT_STRING8 | PT_UNICODE | PT_BINARY | PT_OBJECT);
            let fixed = fixed_size(base);
            if !variable && fixed.is_none() {
                return None;
            }
            let values = if multi || variable {
                usize::try_from(r.u32()?).ok()?
            } else {
                1
            };
            // Every value takes at least 4 bytes (a length or a padded fixed value).
            if values > r.remaining() / 4 + 1 {
                return None;
            }
            for i in 0..values {
                let value = if let Some(size) = fixed {
                    let v = r.take(size)?;
                    r.skip_lenient(padded(size)? - size);
                    v
                } else {
                    let len = usize::try_from(r.u32()?).ok()?;
                    let v = r.take(len)?;
                    r.skip_lenient(padded(len)? - len);
                    v
                };
                if i > 0 || multi {
                    continue;
                }
                let text = || match base {
                    PT_UNICODE => Some(unicode(value)),
                    PT_STRING8 => Some(string8(value, utf8)),
                    _ => None,
                };
                match pid {
                    PR_ATTACH_LONG_FILENAME => out.long_name = text(),
                    PR_ATTACH_FILENAME => out.short_name = text(),
                    PR_DISPLAY_NAME => out.display_name = text(),
                    PR_ATTACH_MIME_TAG => out.mime = text(),
                    PR_ATTACH_CONTENT_ID => out.content_id = text().is_some_and(|s| !s.is_empty()),
                    PR_ATTACH_DATA_OBJ if matches!(base, PT_BINARY | PT_OBJECT) => {
                        out.data_obj = Some(value);
                        out.data_obj_is_object = base == PT_OBJECT;
                    }
                    PR_ATTACH_METHOD if base == 0x0003 => {
                        out.method = value
                            .get(..4)
                            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
                    }
                    PR_ATTACHMENT_HIDDEN if base == 0x000B => {
                        out.hidden = value.iter().any(|&b| b != 0);
                    }
                    _ => {}
                }
            }
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ---- builders -------------------------------------------------------------------

    fn crlf(s: &str) -> Vec<u8> {
        s.replace("\r\n", "\n").replace('\n', "\r\n").into_bytes()
    }

    fn b64(data: &[u8], line: usize) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut flat = String::new();
        for c in data.chunks(3) {
            let n = (u32::from(c[0]) << 16)
                | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
                | u32::from(*c.get(2).unwrap_or(&0));
            for i in 0..4 {
                if i <= c.len() {
                    flat.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    flat.push('=');
                }
            }
        }
        let chars: Vec<char> = flat.chars().collect();
        chars
            .chunks(line)
            .map(|l| l.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Quoted-printable with soft line breaks; every byte outside printable ASCII (and `=`)
    /// is escaped.
    fn qp(data: &[u8]) -> String {
        let mut out = String::new();
        let mut col = 0;
        for &b in data {
            let piece = if (33..=126).contains(&b) && b != b'=' {
                (b as char).to_string()
            } else {
                format!("={b:02X}")
            };
            if col + piece.len() > 72 {
                out.push_str("=\n");
                col = 0;
            }
            col += piece.len();
            out.push_str(&piece);
        }
        out
    }

    fn uuencode(name: &str, data: &[u8]) -> String {
        let enc = |v: u8| if v == 0 { '`' } else { (v + 0x20) as char };
        let mut out = format!("begin 644 {name}\n");
        for line in data.chunks(45) {
            out.push(enc(line.len() as u8));
            for c in line.chunks(3) {
                let (a, b, cc) = (c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0));
                out.push(enc(a >> 2));
                out.push(enc(((a << 4) | (b >> 4)) & 63));
                out.push(enc(((b << 2) | (cc >> 6)) & 63));
                out.push(enc(cc & 63));
            }
            out.push('\n');
        }
        out.push_str("`\nend\n");
        out
    }

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 99]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        out.into_inner()
    }

    /// A small "PDF" with every byte value in it, so decoding errors show.
    fn pdf(tag: &str) -> Vec<u8> {
        let mut v = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
        v.extend(0u8..=255);
        v.extend_from_slice(format!("\n({tag})\n%%EOF\n").as_bytes());
        v
    }

    fn zip() -> Vec<u8> {
        let mut v = b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec();
        v.extend_from_slice(&[0x55; 40]);
        v
    }

    const HEAD: &str = "From: \"Ann Example\" <ann@example.com>\n\
        To: Bob <bob@example.org>, carol@example.net\n\
        Date: Tue, 5 Mar 2024 10:30:00 +0100\n\
        Message-ID: <abc123@example.com>\n\
        MIME-Version: 1.0\n";

    /// Headers, then `Subject`, then `rest` (which begins with the top Content-Type).
    fn top(subject: &str, rest: &str) -> Vec<u8> {
        crlf(&format!("{HEAD}Subject: {subject}\n{rest}"))
    }

    fn multipart(kind: &str, boundary: &str, parts: &[String]) -> String {
        let mut s = format!(
            "Content-Type: multipart/{kind}; boundary=\"{boundary}\"\n\nThis is a MIME message.\n"
        );
        for p in parts {
            s.push_str(&format!("--{boundary}\n{p}\n"));
        }
        s.push_str(&format!("--{boundary}--\n"));
        s
    }

    fn text_part(text: &str) -> String {
        format!("Content-Type: text/plain; charset=utf-8\n\n{text}")
    }

    fn b64_part(ctype: &str, disposition: &str, data: &[u8]) -> String {
        format!(
            "Content-Type: {ctype}\nContent-Transfer-Encoding: base64\n{disposition}\n\n{}",
            b64(data, 76)
        )
    }

    fn parse_ok(data: &[u8]) -> Email {
        parse(data, &EmailOptions::default()).expect("parses")
    }

    fn skipped_why<'e>(e: &'e Email, name: &str) -> &'e str {
        &e.skipped
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("{name} not skipped: {:?}", e.skipped))
            .why
    }

    // TNEF
    fn tnef_attr(level: u8, id: u32, data: &[u8]) -> Vec<u8> {
        let mut v = vec![level];
        v.extend_from_slice(&id.to_le_bytes());
        v.extend_from_slice(&(data.len() as u32).to_le_bytes());
        v.extend_from_slice(data);
        let sum = data.iter().fold(0u16, |s, &b| s.wrapping_add(u16::from(b)));
        v.extend_from_slice(&sum.to_le_bytes());
        v
    }

    fn pad4(v: &mut Vec<u8>) {
        while !v.len().is_multiple_of(4) {
            v.push(0);
        }
    }

    /// A MAPI property list: a named long property, PR_ATTACH_METHOD, and optionally
    /// PR_ATTACH_LONG_FILENAME (PT_UNICODE) and PR_ATTACH_DATA_OBJ (PT_OBJECT).
    fn mapi_props(long_name: Option<&str>, method: u32, object: Option<&[u8]>) -> Vec<u8> {
        let mut props: Vec<Vec<u8>> = Vec::new();
        // named property (PT_LONG, id 0x8005): GUID, kind 0, id, value
        let mut p = vec![0x03, 0x00, 0x05, 0x80];
        p.extend_from_slice(&[0xAB; 16]);
        p.extend_from_slice(&0u32.to_le_bytes());
        p.extend_from_slice(&0x1234u32.to_le_bytes());
        p.extend_from_slice(&7u32.to_le_bytes());
        props.push(p);
        // PR_ATTACH_METHOD
        let mut p = vec![0x03, 0x00, 0x05, 0x37];
        p.extend_from_slice(&method.to_le_bytes());
        props.push(p);
        if let Some(name) = long_name {
            let mut p = vec![0x1F, 0x00, 0x07, 0x37];
            let mut s: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
            s.extend_from_slice(&[0, 0]);
            p.extend_from_slice(&1u32.to_le_bytes());
            p.extend_from_slice(&(s.len() as u32).to_le_bytes());
            p.extend_from_slice(&s);
            pad4(&mut p);
            props.push(p);
        }
        if let Some(obj) = object {
            let mut p = vec![0x0D, 0x00, 0x01, 0x37];
            p.extend_from_slice(&1u32.to_le_bytes());
            p.extend_from_slice(&((obj.len() + 16) as u32).to_le_bytes());
            p.extend_from_slice(&[
                0x07, 0x03, 0x02, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46,
            ]);
            p.extend_from_slice(obj);
            pad4(&mut p);
            props.push(p);
        }
        let mut v = (props.len() as u32).to_le_bytes().to_vec();
        for p in props {
            v.extend(p);
        }
        v
    }

    struct TnefEntry<'a> {
        title: &'a str,
        long_name: Option<&'a str>,
        data: Option<&'a [u8]>,
        embedded: Option<&'a [u8]>,
    }

    fn tnef(entries: &[TnefEntry<'_>]) -> Vec<u8> {
        let mut v = vec![0x78, 0x9F, 0x3E, 0x22, 0x01, 0x00];
        v.extend(tnef_attr(1, 0x0008_9006, &[0, 0, 1, 0]));
        let mut cp = 1252u32.to_le_bytes().to_vec();
        cp.extend_from_slice(&[0; 4]);
        v.extend(tnef_attr(1, 0x0006_9007, &cp));
        v.extend(tnef_attr(1, 0x0007_8008, b"IPM.Microsoft Mail.Note\0"));
        for e in entries {
            v.extend(tnef_attr(
                2,
                0x0006_9002,
                &[1, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0],
            ));
            let mut title = e.title.as_bytes().to_vec();
            title.push(0);
            v.extend(tnef_attr(2, 0x0001_8010, &title));
            if let Some(d) = e.data {
                v.extend(tnef_attr(2, 0x0006_800F, d));
            }
            let method = if e.embedded.is_some() { 5 } else { 1 };
            v.extend(tnef_attr(
                2,
                0x0006_9005,
                &mapi_props(e.long_name, method, e.embedded),
            ));
        }
        v
    }

    // ---- tests ----------------------------------------------------------------------

    #[test]
    fn pdf_and_png_attachments_with_headers_and_body() {
        let the_pdf = pdf("invoice 42");
        let the_png = png(30, 20);
        let raw = top(
            "Invoice 42",
            &multipart(
                "mixed",
                "b1",
                &[
                    text_part("Hello Bob,\nplease find the invoice attached."),
                    b64_part(
                        "application/pdf; name=\"invoice-42.pdf\"",
                        "Content-Disposition: attachment; filename=\"invoice-42.pdf\"",
                        &the_pdf,
                    ),
                    // base64 with odd line lengths and a declared type that is wrong
                    format!(
                        "Content-Type: application/octet-stream; name=\"scan.png\"\n\
                         Content-Transfer-Encoding: base64\n\
                         Content-Disposition: attachment; filename=\"scan.png\"\n\n{}",
                        b64(&the_png, 37)
                    ),
                ],
            ),
        );
        assert!(looks_like_email(&raw));
        let e = parse_ok(&raw);
        assert_eq!(e.from.as_deref(), Some("Ann Example <ann@example.com>"));
        assert_eq!(e.to, vec!["Bob <bob@example.org>", "carol@example.net"]);
        assert_eq!(e.subject.as_deref(), Some("Invoice 42"));
        assert_eq!(e.date.as_deref(), Some("2024-03-05T09:30:00Z"));
        assert_eq!(e.message_id.as_deref(), Some("abc123@example.com"));
        assert_eq!(
            e.body_text.as_deref(),
            Some("Hello Bob,\r\nplease find the invoice attached.")
        );
        assert_eq!(e.documents.len(), 2, "{:?}", e.documents);
        let (a, b) = (&e.documents[0], &e.documents[1]);
        assert_eq!(
            (a.name.as_str(), a.media_type, a.path.as_str(), a.inline),
            ("invoice-42.pdf", MEDIA_PDF, "attachment 1", false)
        );
        assert_eq!(a.data, the_pdf);
        assert_eq!(
            (b.name.as_str(), b.media_type, b.path.as_str(), b.inline),
            ("scan.png", MEDIA_PNG, "attachment 2", false)
        );
        assert_eq!(b.data, the_png);
        assert!(e.skipped.is_empty(), "{:?}", e.skipped);
    }

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

    fn forwarded(subject: &str, inner_pdf: &[u8]) -> String {
        let inner = format!(
            "From: Dora <dora@example.com>\nTo: ann@example.com\nSubject: {subject}\n\
             Date: Mon, 4 Mar 2024 08:00:00 +0000\nMIME-Version: 1.0\n{}",
            multipart(
                "mixed",
                "inner",
                &[
                    text_part("the original"),
                    b64_part(
                        "application/pdf",
                        "Content-Disposition: attachment; filename=\"original.pdf\"",
                        inner_pdf,
                    ),
                ],
            )
        );
        inner
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
    fn winmail_dat_with_pdf() {
        let the_pdf = pdf("from outlook");
        let inner_pdf = pdf("embedded");
        let notes = b"just some notes".to_vec();
        let embedded = tnef(&[TnefEntry {
            title: "INNER~1.PDF",
            long_name: Some("inner.pdf"),
            data: Some(&inner_pdf),
            embedded: None,
        }]);
        let winmail = tnef(&[
            TnefEntry {
                title: "SCAN~1.PDF",
                long_name: Some("Scan ÆØÅ 2024.pdf"),
                data: Some(&the_pdf),
                embedded: None,
            },
            TnefEntry {
                title: "notes.txt",
                long_name: None,
                data: Some(&notes),
                embedded: None,
            },
            TnefEntry {
                title: "Forwarded note",
                long_name: None,
                data: None,
                embedded: Some(&embedded),
            },
        ]);
        let raw = top(
            "Outlook",
            &multipart(
                "mixed",
                "w",
                &[
                    text_part("rich text lost"),
                    b64_part(
                        "application/ms-tnef; name=\"winmail.dat\"",
                        "Content-Disposition: attachment; filename=\"winmail.dat\"",
                        &winmail,
                    ),
                ],
            ),
        );
        let e = parse_ok(&raw);
        let got: Vec<_> = e
            .documents
            .iter()
            .map(|d| (d.name.as_str(), d.media_type, d.path.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "Scan ÆØÅ 2024.pdf",
                    MEDIA_PDF,
                    "winmail.dat / Scan ÆØÅ 2024.pdf"
                ),
                (
                    "inner.pdf",
                    MEDIA_PDF,
                    "winmail.dat / Forwarded note / inner.pdf"
                ),
            ],
            "{:?}",
            e.skipped
        );
        assert_eq!(e.documents[0].data, the_pdf);
        assert_eq!(e.documents[1].data, inner_pdf);
        assert_eq!(
            skipped_why(&e, "notes.txt"),
            "not a document type: application/octet-stream"
        );
        assert_eq!(e.skipped[0].path, "winmail.dat / notes.txt");

        // Without a long file name, attAttachTitle names it.
        let short = tnef(&[TnefEntry {
            title: "Rechnung.pdf",
            long_name: None,
            data: Some(&the_pdf),
            embedded: None,
        }]);
        let raw = top(
            "Outlook",
            &multipart(
                "mixed",
                "w",
                &[b64_part("application/vnd.ms-tnef", "", &short)],
            ),
        );
        let e = parse_ok(&raw);
        assert_eq!(e.documents.len(), 1);
        assert_eq!(e.documents[0].name, "Rechnung.pdf");
        assert_eq!(e.documents[0].path, "winmail.dat / Rechnung.pdf");
        assert_eq!(e.documents[0].data, the_pdf);
    }

    #[test]
    fn damaged_winmail_dat_is_reported_not_panicking() {
        let the_pdf = pdf("x");
        let good = tnef(&[
            TnefEntry {
                title: "a.pdf",
                long_name: None,
                data: Some(&the_pdf),
                embedded: None,
            },
            TnefEntry {
                title: "b.pdf",
                long_name: None,
                data: Some(&the_pdf),
                embedded: None,
            },
        ]);
        // Break the checksum of the last attribute (b.pdf's MAPI properties).
        let mut bad = good.clone();
        let n = bad.len();
        bad[n - 1] ^= 0xFF;
        let raw = top(
            "x",
            &multipart("mixed", "w", &[b64_part("application/ms-tnef", "", &bad)]),
        );
        let e = parse_ok(&raw);
        let names: Vec<_> = e.documents.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["a.pdf", "b.pdf"]);
        assert_eq!(
            skipped_why(&e, "unnamed application/ms-tnef"),
            "winmail.dat damaged after 2 entries: attribute checksum mismatch"
        );
        // Every prefix and byte flip of a TNEF stream reads without panicking.
        for cut in 0..good.len() {
            let _ = tnef::read(&good[..cut]);
        }
        for i in 0..good.len() {
            let mut m = good.clone();
            m[i] = m[i].wrapping_add(0x41);
            let _ = tnef::read(&m);
        }
        let garbage = [
            0x78, 0x9F, 0x3E, 0x22, 0, 0, 2, 5, 0x90, 6, 0, 0xFF, 0xFF, 0xFF, 0xFF,
        ];
        assert!(tnef::read(&garbage).error.is_some());
    }

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
    fn quoted_printable_and_uuencoded_attachments() {
        let qp_pdf = pdf("quoted-printable");
        let uu_pdf = pdf("uuencoded part");
        let body_pdf = pdf("uuencoded in body");
        let raw = top(
            "Encodings",
            &multipart(
                "mixed",
                "enc",
                &[
                    text_part(&format!(
                        "Here is the scan:\n\n{}\nregards",
                        uuencode("body scan.pdf", &body_pdf)
                    )),
                    format!(
                        "Content-Type: application/pdf; name=\"qp.pdf\"\n\
                         Content-Transfer-Encoding: quoted-printable\n\n{}",
                        qp(&qp_pdf)
                    ),
                    format!(
                        "Content-Type: application/octet-stream\n\
                         Content-Transfer-Encoding: x-uuencode\n\n{}",
                        uuencode("uu.pdf", &uu_pdf).trim_end()
                    ),
                ],
            ),
        );
        let e = parse_ok(&raw);
        let got: Vec<_> = e
            .documents
            .iter()
            .map(|d| (d.name.as_str(), d.path.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("body scan.pdf", "body / body scan.pdf"),
                ("qp.pdf", "attachment 1"),
                ("uu.pdf", "attachment 2"),
            ],
            "{:?}",
            e.skipped
        );
        assert_eq!(e.documents[0].data, body_pdf);
        assert_eq!(e.documents[1].data, qp_pdf);
        assert_eq!(e.documents[2].data, uu_pdf);
        assert_eq!(
            e.body_text.as_deref(),
            Some("Here is the scan:\r\n\r\n\r\nregards")
        );
    }

    #[test]
    fn base64_without_transfer_encoding_header_and_damaged_base64() {
        let p = pdf("no cte");
        let mut damaged = b64(&p, 60);
        damaged.insert_str(10, "!!");
        let raw = top(
            "cte",
            &multipart(
                "mixed",
                "c",
                &[
                    format!("Content-Type: application/pdf; name=\"a.pdf\"\n\n{}", b64(&p, 64)),
                    format!(
                        "Content-Type: application/pdf; name=\"b.pdf\"\nContent-Transfer-Encoding: base64\n\n{damaged}"
                    ),
                ],
            ),
        );
        let e = parse_ok(&raw);
        let names: Vec<_> = e.documents.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["a.pdf", "b.pdf"], "{:?}", e.skipped);
        assert!(e.documents.iter().all(|d| d.data == p));
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
    fn body_only_emails() {
        let raw = crlf(&format!(
            "{HEAD}Subject: =?UTF-8?B?SGFsbMO4IHZlbm5lcg==?=\nContent-Type: text/plain; charset=utf-8\n\nJust a note.\nNo documents here.\n"
        ));
        let e = parse_ok(&raw);
        assert_eq!(e.subject.as_deref(), Some("Hallø venner"));
        assert!(e.documents.is_empty());
        assert!(e.skipped.is_empty());
        assert_eq!(
            e.body_text.as_deref(),
            Some("Just a note.\r\nNo documents here.")
        );

        let raw = crlf(&format!(
            "{HEAD}Subject: html\nContent-Type: text/html; charset=utf-8\n\n<html><head><style>p{{}}</style></head><body><p>Hello <b>world</b></p></body></html>\n"
        ));
        let e = parse_ok(&raw);
        assert!(e.documents.is_empty());
        assert_eq!(e.body_text.as_deref(), Some("Hello world"));

        // plain text wins over its HTML alternative
        let raw = top(
            "alt",
            &multipart(
                "alternative",
                "alt",
                &[
                    text_part("plain version"),
                    "Content-Type: text/html\n\n<p>html version</p>".to_string(),
                ],
            ),
        );
        assert_eq!(parse_ok(&raw).body_text.as_deref(), Some("plain version"));
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

    /// An email with a bit of everything, for the truncation and mutation tests.
    fn rich_email() -> (Vec<u8>, Vec<Vec<u8>>) {
        let docs = vec![
            pdf("one"),
            png(40, 30),
            pdf("inner"),
            pdf("tnef"),
            pdf("qp"),
            pdf("uu"),
        ];
        let winmail = tnef(&[TnefEntry {
            title: "t.pdf",
            long_name: Some("tnef.pdf"),
            data: Some(&docs[3]),
            embedded: None,
        }]);
        let raw = top(
            "Rich",
            &multipart(
                "mixed",
                "rich",
                &[
                    multipart(
                        "alternative",
                        "alt",
                        &[text_part("plain"), "Content-Type: text/html\n\n<p>html</p>".into()],
                    )
                    .trim_end()
                    .to_string(),
                    b64_part("application/pdf", "Content-Disposition: attachment; filename=\"one.pdf\"", &docs[0]),
                    b64_part("image/png", "Content-Disposition: attachment; filename=\"img.png\"", &docs[1]),
                    format!("Content-Type: message/rfc822\n\n{}", forwarded("inner", &docs[2]).trim_end()),
                    b64_part("application/ms-tnef", "", &winmail),
                    format!(
                        "Content-Type: application/pdf; name=\"qp.pdf\"\nContent-Transfer-Encoding: quoted-printable\n\n{}",
                        qp(&docs[4])
                    ),
                    format!(
                        "Content-Type: application/pdf\nContent-Transfer-Encoding: x-uuencode\n\n{}",
                        uuencode("uu.pdf", &docs[5]).trim_end()
                    ),
                    b64_part("application/zip", "Content-Disposition: attachment; filename=\"z.zip\"", &zip()),
                ],
            ),
        );
        (raw, docs)
    }

    #[test]
    fn rich_email_finds_everything() {
        let (raw, docs) = rich_email();
        let e = parse_ok(&raw);
        let got: Vec<_> = e
            .documents
            .iter()
            .map(|d| (d.name.as_str(), d.path.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("one.pdf", "attachment 1"),
                ("img.png", "attachment 2"),
                ("original.pdf", "message 'inner' / attachment 1"),
                ("tnef.pdf", "winmail.dat / tnef.pdf"),
                ("qp.pdf", "attachment 5"),
                ("uu.pdf", "attachment 6"),
            ]
        );
        for (d, want) in e.documents.iter().zip(&docs) {
            assert_eq!(&d.data, want, "{}", d.name);
        }
        assert_eq!(e.body_text.as_deref(), Some("plain"));
        assert_eq!(
            skipped_why(&e, "z.zip"),
            "not a document type: application/zip"
        );
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

    #[test]
    fn garbage_is_an_error_or_empty() {
        let opts = EmailOptions::default();
        for bad in [
            &b""[..],
            b"\0\0\0\0",
            b"%PDF-1.7\n1 0 obj",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
            b"<?xml version=\"1.0\"?><Invoice/>",
            b"Meeting notes\nbuy milk\n",
            b"   \n\n  ",
        ] {
            assert_eq!(parse(bad, &opts), Err(EmailError::NotAnEmail), "{bad:?}");
        }
        // Headers and nothing else.
        let e = parse_ok(b"From: a@b.c\r\nSubject: hi\r\n");
        assert!(e.documents.is_empty());
        assert_eq!(e.subject.as_deref(), Some("hi"));
        // A bad date keeps the raw text.
        let e = parse_ok(b"From: a@b.c\r\nDate: sometime soon\r\n\r\nx");
        assert_eq!(e.date.as_deref(), Some("sometime soon"));
        // A broken multipart: no boundary ever appears.
        let e = parse_ok(
            b"From: a@b.c\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n\xff\xfe garbage",
        );
        assert!(e.documents.is_empty());
        assert_eq!(
            EmailError::NotAnEmail.to_string(),
            "not an email: the file does not start with email header lines (From:, To:, Subject:, Date:, ...)"
        );
    }

    #[test]
    fn cp1252_and_percent_decoding_keep_their_old_results() {
        // Every high byte as the old hand-written table gave it.
        let high: String = (0x80u8..=0x9F).map(|b| decode_1252(&[b])).collect();
        assert_eq!(
            high,
            "€\u{81}‚ƒ„…†‡ˆ‰Š‹Œ\u{8D}Ž\u{8F}\u{90}‘’“”•–—˜™š›œ\u{9D}žŸ"
        );
        assert_eq!(decode_1252(b"Fl\xf8debakke \xe6\xe5"), "Flødebakke æå");
        assert_eq!(decode_1252(&[0xAD]), "\u{AD}");
        assert_eq!(percent_decode("a%20b%C3%B8"), "a bø");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("plain"), "plain");
    }

    #[test]
    fn mail_parser_debug_assertion_input_reads_as_production_reads_it() {
        // Found by the mutation test (minimised): mail-parser's debug build hits a
        // `debug_assert!(false)` on it; its release build parses it. Tests build
        // mail-parser without debug assertions (Cargo.toml), as production does, so this
        // pins what production makes of it: an email with nothing to take, each nested
        // message skipped with its reason. The guard itself is tested in crate::guard.
        let raw =
            b"From: a@b.c\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=rich\r\n\r\n\
            --richContent-Type:message/rfc822\n\nContent-Type:message/rfc822\n\n\n--rich--";
        let e = parse(raw, &EmailOptions::default()).expect("read as production reads it");
        assert!(e.documents.is_empty(), "{:?}", e.documents.len());
        assert_eq!(e.subject.as_deref(), Some("s"));
    }

    #[test]
    fn random_mutations_never_panic() {
        let (raw, _) = rich_email();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut rnd = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n.max(1) as u64) as usize
        };
        let opts = EmailOptions::default();
        for _ in 0..1500 {
            let mut m = raw.clone();
            for _ in 0..1 + rnd(8) {
                let at = rnd(m.len());
                match rnd(6) {
                    0 => m[at] = rnd(256) as u8,
                    1 => m.insert(at, [b'\n', b'-', b'=', b':', 0x78, b'<'][rnd(6)]),
                    2 => {
                        let end = (at + rnd(200)).min(m.len());
                        m.drain(at..end);
                    }
                    3 => {
                        let end = (at + rnd(300)).min(m.len());
                        let chunk = m[at..end].to_vec();
                        let to = rnd(m.len());
                        m.splice(to..to, chunk);
                    }
                    4 => m.truncate(at),
                    _ => m[at] ^= 0x20,
                }
                if m.is_empty() {
                    break;
                }
            }
            if let Ok(e) = parse(&m, &opts) {
                for d in &e.documents {
                    assert_eq!(sniff_document(&d.data), Some(d.media_type));
                    assert!(!d.name.is_empty());
                }
            }
        }
    }

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
