//! The IMAP intake: one thread per configured mailbox, polling its folder.
//!
//! Each round: act on messages the ledger holds but the server was not yet told about
//! (a crash between the two), then fetch what is new since the highest UID recorded
//! under the folder's UIDVALIDITY, record each message with its document in one
//! transaction, and only then act on it at the server. A message that cannot be
//! fetched or recorded is not acted on, so it is tried again next round.
//!
//! The reader does not write to the store itself: it hands each message and its
//! position to a [`Ledger`], which the wiring (`service.rs`) implements with the store,
//! as it does for the files of the inbox.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::imap::{ImapConfig, ImapError, Mailbox};

/// One message's place on a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailPosition {
    pub mailbox: String,
    pub folder: String,
    pub uid_validity: u32,
    pub uid: u32,
}

impl MailPosition {
    /// The name the message's document gets in the ledger.
    pub fn file_name(&self) -> String {
        format!("{}-{}-{}.eml", self.mailbox, self.uid_validity, self.uid)
    }
}

/// Where a mailbox reader keeps its messages and its place: the ledger, given by the
/// wiring. The reader tells the server about a message only after [`Ledger::record`]
/// returned, so `record` must return only once the message is durable.
pub trait Ledger: Send + Sync + 'static {
    type Error: std::error::Error + Send + Sync + 'static;

    /// UIDs recorded but not yet acted on, and the highest UID recorded, for one folder
    /// under one UIDVALIDITY.
    fn position(
        &self,
        mailbox: &str,
        folder: &str,
        uid_validity: u32,
    ) -> Result<(Vec<u32>, u32), Self::Error>;

    /// Record a fetched message as a document together with its position, durably (one
    /// transaction). Recording the same position twice keeps the first.
    fn record(&self, at: &MailPosition, data: &[u8]) -> Result<(), Self::Error>;

    /// The server has acted on the message at `at`.
    fn acted(&self, at: &MailPosition) -> Result<(), Self::Error>;
}

/// A running mailbox reader.
pub struct Reader {
    /// Set once a round found nothing left to fetch or act on; cleared while working.
    pub caught_up: Arc<AtomicBool>,
    pub handle: std::thread::JoinHandle<()>,
}

/// Start reading `cfg` until `stop` is set; each message goes to `ledger`.
pub fn start<L: Ledger>(
    cfg: ImapConfig,
    poll: Duration,
    ledger: Arc<L>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<Reader> {
    let caught_up = Arc::new(AtomicBool::new(false));
    let flag = caught_up.clone();
    let handle = std::thread::Builder::new()
        .name(format!("imap-{}", cfg.name))
        .spawn(move || run(&cfg, poll, &*ledger, &stop, &flag))?;
    Ok(Reader { caught_up, handle })
}

fn run<L: Ledger>(
    cfg: &ImapConfig,
    poll: Duration,
    ledger: &L,
    stop: &AtomicBool,
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
            match round(cfg, &mut mailbox, ledger) {
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
fn round<L: Ledger>(cfg: &ImapConfig, mailbox: &mut Mailbox, ledger: &L) -> anyhow::Result<usize> {
    let uid_validity = mailbox.uid_validity();
    let at = |uid: u32| MailPosition {
        mailbox: cfg.name.clone(),
        folder: cfg.folder.clone(),
        uid_validity,
        uid,
    };
    let (unacted, last) = ledger.position(&cfg.name, &cfg.folder, uid_validity)?;
    for &uid in &unacted {
        mailbox.act(uid)?;
        ledger.acted(&at(uid))?;
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
        ledger.record(&pos, &data)?;
        // Only now, with the message durable in the ledger, tell the server.
        mailbox.act(uid)?;
        ledger.acted(&pos)?;
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::config::sources::{After, Security};
    use crate::source::imap::tests::{all_uids, append, connect, message, Server};

    /// A ledger in memory that writes down every call, and refuses to record one UID
    /// when told to.
    #[derive(Default)]
    struct Notebook {
        calls: Mutex<Vec<String>>,
        /// (UIDVALIDITY, UID, acted) of every recorded message.
        kept: Mutex<Vec<(u32, u32, bool)>>,
        refuse: Mutex<Option<u32>>,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("the ledger refused UID {0}")]
    struct Refused(u32);

    impl Ledger for Notebook {
        type Error = Refused;

        fn position(
            &self,
            _mailbox: &str,
            _folder: &str,
            uid_validity: u32,
        ) -> Result<(Vec<u32>, u32), Refused> {
            self.calls.lock().unwrap().push("position".into());
            let kept = self.kept.lock().unwrap();
            let here = kept.iter().filter(|k| k.0 == uid_validity);
            let unacted = here.clone().filter(|k| !k.2).map(|k| k.1).collect();
            Ok((unacted, here.map(|k| k.1).max().unwrap_or(0)))
        }

        fn record(&self, at: &MailPosition, data: &[u8]) -> Result<(), Refused> {
            assert!(!data.is_empty());
            if *self.refuse.lock().unwrap() == Some(at.uid) {
                self.calls
                    .lock()
                    .unwrap()
                    .push(format!("refused {}", at.uid));
                return Err(Refused(at.uid));
            }
            self.calls
                .lock()
                .unwrap()
                .push(format!("record {}", at.uid));
            self.kept
                .lock()
                .unwrap()
                .push((at.uid_validity, at.uid, false));
            Ok(())
        }

        fn acted(&self, at: &MailPosition) -> Result<(), Refused> {
            self.calls.lock().unwrap().push(format!("acted {}", at.uid));
            for k in self.kept.lock().unwrap().iter_mut() {
                if (k.0, k.1) == (at.uid_validity, at.uid) {
                    k.2 = true;
                }
            }
            Ok(())
        }
    }

    fn calls(book: &Notebook) -> Vec<String> {
        std::mem::take(&mut *book.calls.lock().unwrap())
    }

    #[test]
    fn the_server_is_told_only_after_the_ledger_kept_the_message() {
        let server = Server::start();
        let mut cfg = server.config(Security::Tls);
        cfg.after = After::Move("Done".into());
        let mut mb = connect(&cfg);
        let u1 = append(&mut mb, "INBOX", &message(1));
        let u2 = append(&mut mb, "INBOX", &message(2));
        let book = Notebook::default();

        // The ledger refuses the second message: it stays on the server, untouched.
        *book.refuse.lock().unwrap() = Some(u2);
        let err = round(&cfg, &mut mb, &book).unwrap_err();
        assert_eq!(err.to_string(), format!("the ledger refused UID {u2}"));
        assert_eq!(
            calls(&book),
            [
                "position".to_string(),
                format!("record {u1}"),
                format!("acted {u1}"),
                format!("refused {u2}"),
            ]
        );
        assert_eq!(all_uids(&mut mb), [u2]);

        // Next round it is taken, and only then moved.
        *book.refuse.lock().unwrap() = None;
        assert_eq!(round(&cfg, &mut mb, &book).unwrap(), 1);
        assert_eq!(
            calls(&book),
            [
                "position".to_string(),
                format!("record {u2}"),
                format!("acted {u2}")
            ]
        );
        assert!(all_uids(&mut mb).is_empty());

        // A crash between "recorded" and "acted": the next round acts on the message
        // without fetching or recording it again.
        let u3 = append(&mut mb, "INBOX", &message(3));
        book.kept
            .lock()
            .unwrap()
            .push((mb.uid_validity(), u3, false));
        assert_eq!(round(&cfg, &mut mb, &book).unwrap(), 1);
        assert_eq!(
            calls(&book),
            ["position".to_string(), format!("acted {u3}")]
        );
        assert!(all_uids(&mut mb).is_empty());
        mb.logout();
    }
}
