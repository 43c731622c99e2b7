//! The sources' settings as typed values: what `[email]` and `[[mailboxes]]` resolve to.
//! The sources (`source::email`, `source::imap`) take them; config owns them, so that
//! reading the configuration does not depend on the sources.

use std::fmt;
use std::path::PathBuf;

/// Options of the email source's parser (`source::email::parse`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmailOptions {
    /// Inline images (Content-Disposition `inline`, or referenced by Content-ID from the
    /// HTML body, i.e. pictures in the body; in a winmail.dat: hidden attachments or ones
    /// with a content id) count as documents only when width*height >= this (logos and
    /// signature images are small). Images sent as real attachments always count.
    /// Default 250_000.
    pub min_inline_image_pixels: u64,
    /// Max nesting depth of message/rfc822 and winmail.dat: 0 = look into none of them,
    /// 1 = those attached to the top message, and so on. Default 5.
    pub max_depth: u32,
}

impl Default for EmailOptions {
    fn default() -> Self {
        EmailOptions {
            min_inline_image_pixels: 250_000,
            max_depth: 5,
        }
    }
}

/// Default for [`ImapConfig::batch`].
pub const DEFAULT_BATCH: usize = 20;
/// Default for [`ImapConfig::folder`].
pub const DEFAULT_FOLDER: &str = "INBOX";
/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte ("IMAPS", port 993).
    Tls,
    /// Plain connection upgraded with STARTTLS before login (port 143).
    StartTls,
    /// No encryption at all: only allowed to 127.0.0.1, ::1 or localhost.
    Plain,
}

impl Security {
    /// The usual port for this kind of connection.
    pub fn default_port(self) -> u16 {
        match self {
            Security::Tls => 993,
            Security::StartTls | Security::Plain => 143,
        }
    }
}

/// What to do with a message on the server once it is stored in the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum After {
    /// Move it to this folder (created when missing).
    Move(String),
    /// Set this flag: a keyword like `$Mailroom` or a system flag like `\Seen`.
    Flag(String),
    /// Delete and expunge it.
    Delete,
}

/// One configured IMAP mailbox.
#[derive(Clone)]
pub struct ImapConfig {
    /// Name of this mailbox in mailroom's configuration (used in messages and the ledger).
    pub name: String,
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub user: String,
    /// Already resolved by the caller (from the environment or a file). Never printed.
    pub password: String,
    /// Folder to read, [`DEFAULT_FOLDER`] by default.
    pub folder: String,
    pub after: After,
    /// An extra trusted root certificate (PEM), for servers with a self-signed certificate.
    pub ca_file: Option<PathBuf>,
    /// At most this many UIDs per `Mailbox::new_messages`, [`DEFAULT_BATCH`] by default.
    pub batch: usize,
}

impl fmt::Debug for ImapConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapConfig")
            .field("name", &self.name)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("folder", &self.folder)
            .field("after", &self.after)
            .field("ca_file", &self.ca_file)
            .field("batch", &self.batch)
            .finish()
    }
}
