//! [`ImapError`] and the wording of the `imap` crate's errors in it.

use std::io;

use super::{ImapConfig, TIMEOUT};

/// The text of the BYE error that the `imap` crate makes up for a line it cannot parse.
const UNPARSED: &str = "no explanation given";

/// Everything that can go wrong with an IMAP mailbox. Each message starts with the
/// mailbox's configured name; none contains the password.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("imap {mailbox}: invalid configuration: {reason}")]
    Config { mailbox: String, reason: String },
    #[error("imap {mailbox}: cannot connect to {host}:{port}: {reason}")]
    Connect {
        mailbox: String,
        host: String,
        port: u16,
        reason: String,
    },
    #[error("imap {mailbox}: TLS with {host} failed: {reason}")]
    Tls {
        mailbox: String,
        host: String,
        reason: String,
    },
    #[error("imap {mailbox}: login as {user:?} failed: {reason}")]
    Login {
        mailbox: String,
        user: String,
        reason: String,
    },
    #[error("imap {mailbox}: folder {folder:?} cannot be opened: {reason}")]
    FolderMissing {
        mailbox: String,
        folder: String,
        reason: String,
    },
    /// The message went away (another client moved or deleted it) before it was fetched.
    #[error("imap {mailbox}: message UID {uid} is no longer in the folder")]
    Gone { mailbox: String, uid: u32 },
    /// A command failed, the server hung up or did not answer within [`TIMEOUT`].
    #[error("imap {mailbox}: {command}: {reason}")]
    Protocol {
        mailbox: String,
        command: String,
        reason: String,
    },
}

pub(super) fn protocol(mailbox: &str, command: &str, e: imap::Error) -> ImapError {
    let reason = match e {
        imap::Error::Io(io) => io_reason(&io),
        imap::Error::ConnectionLost => "the server closed the connection".into(),
        imap::Error::No(no) => format!("server said NO: {}", no.information),
        imap::Error::Bad(bad) => format!("server said BAD: {}", bad.information),
        // What the `imap` crate reports for a response line it cannot parse.
        imap::Error::Bye(bye) if bye.code.is_none() && bye.information == UNPARSED => {
            "the server's answer could not be parsed".into()
        }
        imap::Error::Bye(bye) => format!("server hung up: {}", bye.information),
        e => e.to_string(),
    };
    ImapError::Protocol {
        mailbox: mailbox.into(),
        command: command.into(),
        reason,
    }
}

pub(super) fn login_error(cfg: &ImapConfig, e: imap::Error) -> ImapError {
    let reason = match e {
        imap::Error::No(no) => no.information,
        imap::Error::Bad(bad) => format!("the server rejected LOGIN: {}", bad.information),
        imap::Error::Validate(_) => "the user name or password contains a line break".into(),
        e @ (imap::Error::Io(_) | imap::Error::ConnectionLost | imap::Error::Bye(_)) => {
            return protocol(&cfg.name, "LOGIN", e);
        }
        e => e.to_string(),
    };
    // Servers do not echo the password, but make sure it never reaches a log.
    let reason = if cfg.password.is_empty() {
        reason
    } else {
        reason.replace(&cfg.password, "***")
    };
    ImapError::Login {
        mailbox: cfg.name.clone(),
        user: cfg.user.clone(),
        reason,
    }
}

pub(super) fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            format!("no answer within {} s", TIMEOUT.as_secs())
        }
        io::ErrorKind::UnexpectedEof => "the server closed the connection".into(),
        _ => e.to_string(),
    }
}
