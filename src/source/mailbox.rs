//! The IMAP intake: one thread per configured mailbox, polling its folder.
//!
//! Each round: act on messages the ledger holds but the server was not yet told about
//! (a crash between the two), then fetch what is new since the highest UID recorded
//! under the folder's UIDVALIDITY, record each message with its document in one
//! transaction, and only then act on it at the server. A message that cannot be
//! fetched or recorded is not acted on, so it is tried again next round.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::imap::{ImapConfig, ImapError, Mailbox};
use crate::doorbell::Doorbell;
use crate::store::mail::MailPosition;
use crate::store::{Ingested, Store};

/// A running mailbox reader.
pub struct Reader {
    /// Set once a round found nothing left to fetch or act on; cleared while working.
    pub caught_up: Arc<AtomicBool>,
    pub handle: std::thread::JoinHandle<()>,
}

/// Start reading `cfg` until `stop` is set; each new document rings `bell`.
pub fn start(
    cfg: ImapConfig,
    poll: Duration,
    store: Arc<Store>,
    stop: Arc<AtomicBool>,
    bell: Arc<Doorbell>,
) -> std::io::Result<Reader> {
    let caught_up = Arc::new(AtomicBool::new(false));
    let flag = caught_up.clone();
    let handle = std::thread::Builder::new()
        .name(format!("imap-{}", cfg.name))
        .spawn(move || run(&cfg, poll, &store, &stop, &bell, &flag))?;
    Ok(Reader { caught_up, handle })
}

fn run(
    cfg: &ImapConfig,
    poll: Duration,
    store: &Store,
    stop: &AtomicBool,
    bell: &Doorbell,
    caught_up: &AtomicBool,
) {
    let mut backoff = Duration::from_secs(1);
    while !stop.load(Ordering::Relaxed) {
        let mut mailbox = match Mailbox::connect(cfg) {
            Ok(m) => {
                backoff = Duration::from_secs(1);
                m
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?backoff, "mailbox unreachable");
                sleep(stop, backoff);
                backoff = (backoff * 2).min(poll.max(Duration::from_secs(1)));
                continue;
            }
        };
        tracing::info!(mailbox = %cfg.name, folder = %cfg.folder, uid_validity = mailbox.uid_validity(), "mailbox connected");
        while !stop.load(Ordering::Relaxed) {
            match round(cfg, &mut mailbox, store, bell) {
                Ok(0) => {
                    caught_up.store(true, Ordering::SeqCst);
                    sleep(stop, poll);
                }
                Ok(n) => {
                    caught_up.store(false, Ordering::SeqCst);
                    tracing::debug!(mailbox = %cfg.name, messages = n, "mailbox round");
                }
                Err(e) => {
                    caught_up.store(false, Ordering::SeqCst);
                    tracing::warn!(error = %e, "mailbox round failed; reconnecting");
                    sleep(stop, backoff);
                    break;
                }
            }
        }
        mailbox.logout();
    }
}

/// One round; returns how many messages it fetched or acted on.
fn round(
    cfg: &ImapConfig,
    mailbox: &mut Mailbox,
    store: &Store,
    bell: &Doorbell,
) -> anyhow::Result<usize> {
    let uid_validity = mailbox.uid_validity();
    let at = |uid: u32| MailPosition {
        mailbox: cfg.name.clone(),
        folder: cfg.folder.clone(),
        uid_validity,
        uid,
    };
    let (unacted, last) = store.mail_position(&cfg.name, &cfg.folder, uid_validity)?;
    for &uid in &unacted {
        mailbox.act(uid)?;
        store.mail_acted(&at(uid))?;
    }
    let new = mailbox.new_messages(last)?;
    for &uid in &new {
        let data = match mailbox.fetch(uid) {
            Ok(d) => d,
            // Another client took it away in the meantime: nothing to ingest.
            Err(ImapError::Gone { .. }) => continue,
            Err(e) => return Err(e.into()),
        };
        let pos = at(uid);
        match store.record_mail(&pos, &data)? {
            Ingested::New { id } | Ingested::Resumed { id } => {
                tracing::info!(document_id = %id, mailbox = %cfg.name, uid, "received")
            }
            Ingested::Duplicate { id, of } => {
                tracing::info!(document_id = %id, duplicate_of = %of, mailbox = %cfg.name, uid, "duplicate")
            }
        }
        bell.ring();
        // Only now, with the message durable in the ledger, tell the server.
        mailbox.act(uid)?;
        store.mail_acted(&pos)?;
    }
    Ok(unacted.len() + new.len())
}

/// Sleep up to `d`, waking early when `stop` is set.
fn sleep(stop: &AtomicBool, d: Duration) {
    let step = Duration::from_millis(100);
    let mut left = d;
    while !stop.load(Ordering::Relaxed) && !left.is_zero() {
        let s = left.min(step);
        std::thread::sleep(s);
        left -= s;
    }
}
