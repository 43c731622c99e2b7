//! Source "imap": fetches new mail from an IMAP mailbox.
//!
//! Blocking on purpose: the intake loop runs each mailbox on a plain thread. One
//! [`Mailbox`] is one logged-in session with the configured folder selected. The caller's
//! cycle is: [`Mailbox::new_messages`] after the last UID it stored, [`Mailbox::fetch`]
//! each (`BODY.PEEK[]`, so fetching never marks a message read), store it durably in the
//! ledger, and only then [`Mailbox::act`] on it (move, flag or delete on the server).
//! The ledger keys its position by (mailbox name, folder, [`Mailbox::uid_validity`], UID):
//! when UIDVALIDITY changes, the UIDs it holds mean nothing any more and the folder must be
//! read again from UID 0 (the ledger's content hashes then catch what it already has).
//!
//! `act` is idempotent: acting again on a UID that was already moved or deleted is a no-op
//! on the server, so a restart between "stored" and "acted" may simply act again.
//!
//! Transport: TLS through rustls (the same rustls, with ring, that `ureq` already brings),
//! trusting the system's roots plus an optional extra CA file; STARTTLS is negotiated here
//! before the session is handed to the `imap` crate; plain text only to the loopback.
//! Every connect, read and write times out after [`TIMEOUT`].
//!
//! Folder names are given as UTF-8 with the server's hierarchy separator (usually `/` or
//! `.`) and sent in IMAP's modified UTF-7, so `Arkiv/Færdig` works.
//!
//! One file per job: `session` the logged-in [`Mailbox`] and its commands, `transport`
//! the TCP connection, TLS and STARTTLS, `utf7` folder names in modified UTF-7, `error`
//! [`ImapError`] and how the `imap` crate's errors are worded; `tests` runs the session
//! against a real Dovecot (`scripts/imap-server`).

mod error;
mod session;
#[cfg(test)]
pub(super) mod tests;
mod transport;
mod utf7;

pub use crate::config::sources::{After, ImapConfig, Security, DEFAULT_BATCH, DEFAULT_FOLDER};
pub use error::ImapError;
pub use session::Mailbox;
pub use transport::TIMEOUT;
