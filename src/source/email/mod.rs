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
//!   `tnef`): the crates.io `tnef` crate (0.1.1) drops attachments that lack
//!   optional attributes (dates), stops at attribute ids it does not know and does not
//!   read `PR_ATTACH_LONG_FILENAME`; `ytnef` binds a C library.
//!
//! A document is recognised from its bytes, never from the declared type (see
//! [`sniff_document`]). A part that was cut off (its closing MIME boundary is missing, as
//! in a truncated file) is never returned as a document.
//!
//! The flow, one file per job:
//! - `sniff`: [`looks_like_email`] routes a file here from its first header lines;
//!   [`sniff_document`] tells a document from its bytes.
//! - [`parse`] runs mail-parser under the panic guard (`walk::parse_mime`), takes the top
//!   message's headers and body text (`headers`), then walks the parts (`walk`): nested
//!   messages, truncated parts, inline logos, and what becomes a document or is skipped.
//! - `decode`: the lenient decoders (uuencode, base64 without a header or damaged,
//!   quoted-printable, Windows-1252, percent-escapes).
//! - `names`: attachment file names, decoded and cleaned.
//! - `tnef`: the winmail.dat reader.
//!
//! `types` holds what [`parse`] returns, `bytes` two byte-search helpers, `tests` the
//! builders of test emails and the tests of the whole parse; each file's own tests sit
//! beside its code.

mod bytes;
mod decode;
mod headers;
mod names;
mod sniff;
#[cfg(test)]
mod tests;
mod tnef;
mod types;
mod walk;

pub use crate::config::sources::EmailOptions;
pub use sniff::sniff_document;
pub use types::{
    Attachment, Email, EmailError, Skipped, MEDIA_JPEG, MEDIA_PDF, MEDIA_PNG, MEDIA_TIFF, MEDIA_XML,
};

pub use crate::document::input::looks_like_email;
use crate::document::input::sniff_headers;
use headers::{addresses, body_text, date_of};
use walk::{drop_flat, parse_mime, Walker};

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
