//! What [`parse`](super::parse) returns: the email, its documents, what was skipped and
//! why, and the error when it gives up.

use std::fmt;

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
    /// [`EmailOptions::min_inline_image_pixels`](super::EmailOptions::min_inline_image_pixels)).
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

/// Why [`parse`](super::parse) gave up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// The bytes do not start with an RFC 5322 header block.
    #[error("not an email: the file does not start with email header lines (From:, To:, Subject:, Date:, ...)")]
    NotAnEmail,
    /// The header block was seen but the MIME parser could not read the message.
    #[error("email could not be parsed: {0}")]
    Malformed(&'static str),
}
