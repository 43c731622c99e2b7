//! The session against a real Dovecot of our own (`scripts/imap-server`): TLS, STARTTLS
//! and plain connections, login errors, search, fetch and every `after` action.

use super::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A Dovecot of our own, started by `scripts/imap-server` in a temporary directory and
/// stopped on drop.
pub(in crate::source) struct Server {
    script: PathBuf,
    dir: tempfile::TempDir,
    imap_port: u16,
    imaps_port: u16,
    ca: PathBuf,
}

fn script() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/imap-server");
    if here.is_file() {
        return here;
    }
    match std::env::var_os("MAILROOM_IMAP_SCRIPT") {
        Some(p) => PathBuf::from(p),
        None => panic!(
            "{} not found and MAILROOM_IMAP_SCRIPT not set",
            here.display()
        ),
    }
}

impl Server {
    pub(in crate::source) fn start() -> Server {
        // Short path: Dovecot's unix sockets live under it.
        let dir = tempfile::Builder::new()
            .prefix("mr-imap-")
            .tempdir_in("/tmp")
            .expect("temporary directory");
        let script = script();
        let (imap_port, imaps_port, ca) = run_start(&script, dir.path());
        Server {
            script,
            dir,
            imap_port,
            imaps_port,
            ca,
        }
    }

    /// Stop and start again on the same storage (the ports change).
    fn restart(&mut self) {
        self.stop();
        let (imap_port, imaps_port, ca) = run_start(&self.script, self.dir.path());
        self.imap_port = imap_port;
        self.imaps_port = imaps_port;
        self.ca = ca;
    }

    fn stop(&self) {
        let _ = Command::new("bash")
            .arg(&self.script)
            .arg("stop")
            .arg(self.dir.path())
            .status();
    }

    pub(in crate::source) fn config(&self, security: Security) -> ImapConfig {
        ImapConfig {
            name: "test".into(),
            host: "127.0.0.1".into(),
            port: match security {
                Security::Tls => self.imaps_port,
                _ => self.imap_port,
            },
            security,
            user: "mailroom".into(),
            password: "secret".into(),
            folder: DEFAULT_FOLDER.into(),
            after: After::Flag("$Mailroom".into()),
            ca_file: Some(self.ca.clone()),
            batch: DEFAULT_BATCH,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run_start(script: &Path, dir: &Path) -> (u16, u16, PathBuf) {
    let out = Command::new("bash")
        .arg(script)
        .arg("start")
        .arg(dir)
        .output()
        .expect("run scripts/imap-server");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "scripts/imap-server start failed (the IMAP tests need Dovecot: \
         apt-get install dovecot-imapd, or scripts/install-deps --test):\n{}{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .rfind(|l| l.starts_with("IMAP_PORT="))
        .unwrap_or_else(|| panic!("no ports in the output of imap-server: {stdout}"));
    let mut imap_port = None;
    let mut imaps_port = None;
    let mut ca = None;
    for pair in line.split_whitespace() {
        match pair.split_once('=') {
            Some(("IMAP_PORT", p)) => imap_port = p.parse().ok(),
            Some(("IMAPS_PORT", p)) => imaps_port = p.parse().ok(),
            Some(("CA", p)) => ca = Some(PathBuf::from(p)),
            _ => {}
        }
    }
    (
        imap_port.expect("IMAP_PORT"),
        imaps_port.expect("IMAPS_PORT"),
        ca.expect("CA"),
    )
}

pub(in crate::source) fn message(n: usize) -> Vec<u8> {
    format!(
        "From: Leverandør A/S <faktura@example.com>\r\n\
         To: mailroom@example.com\r\n\
         Subject: =?UTF-8?Q?Faktura_nr=2E_{n}?=\r\n\
         Message-ID: <{n}@example.com>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\
         \r\n\
         Beløb: {n}00,00 kr.\r\n\
         Trailing spaces stay   \r\n\
         .\r\n\
         Slut.\r\n"
    )
    .into_bytes()
}

/// Append through the session of `mb`; returns the new UID (UIDPLUS).
pub(in crate::source) fn append(mb: &mut Mailbox, folder: &str, msg: &[u8]) -> u32 {
    let appended = mb.session.append(folder, msg).finish().expect("APPEND");
    match appended.uids.as_deref() {
        Some([imap_proto::UidSetMember::Uid(uid)]) => *uid,
        other => panic!("unexpected APPENDUID {other:?}"),
    }
}

fn flags(mb: &mut Mailbox, uid: u32) -> Vec<String> {
    let fetches = mb
        .session
        .uid_fetch(uid.to_string(), "(UID FLAGS)")
        .expect("FETCH FLAGS");
    let f = fetches
        .iter()
        .find(|f| f.uid == Some(uid))
        .unwrap_or_else(|| panic!("UID {uid} not in the folder"));
    f.flags().iter().map(|f| f.to_string()).collect()
}

pub(in crate::source) fn all_uids(mb: &mut Mailbox) -> Vec<u32> {
    let mut uids: Vec<u32> = mb
        .session
        .uid_search("ALL")
        .expect("SEARCH")
        .into_iter()
        .collect();
    uids.sort_unstable();
    uids
}

pub(in crate::source) fn connect(cfg: &ImapConfig) -> Mailbox {
    Mailbox::connect(cfg).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn tls_starttls_plain_and_login_errors() {
    let server = Server::start();

    let mut mb = connect(&server.config(Security::Tls));
    assert!(mb.uid_validity() > 0);
    assert!(mb.has_move && mb.has_uidplus);
    assert_eq!(mb.new_messages(0).unwrap(), Vec::<u32>::new());
    mb.logout();

    let mb = connect(&server.config(Security::StartTls));
    mb.logout();
    let mb = connect(&server.config(Security::Plain));
    mb.logout();

    for security in [Security::Tls, Security::StartTls] {
        let cfg = ImapConfig {
            password: "wrong-password-42".into(),
            ..server.config(security)
        };
        let err = Mailbox::connect(&cfg).unwrap_err();
        assert!(matches!(err, ImapError::Login { .. }), "{err:?}");
        let text = format!("{err} {err:?} {cfg:?}");
        assert!(!text.contains("wrong-password-42"), "{text}");
        assert!(text.contains("login as \"mailroom\" failed"), "{text}");
    }

    // Without the test CA the self-signed certificate is not trusted.
    for security in [Security::Tls, Security::StartTls] {
        let cfg = ImapConfig {
            ca_file: None,
            ..server.config(security)
        };
        let err = Mailbox::connect(&cfg).unwrap_err();
        assert!(matches!(err, ImapError::Tls { .. }), "{err:?}");
        assert!(err.to_string().contains("certificate"), "{err}");
    }

    let cfg = ImapConfig {
        host: "imap.example.com".into(),
        ..server.config(Security::Plain)
    };
    let err = Mailbox::connect(&cfg).unwrap_err();
    assert!(matches!(err, ImapError::Config { .. }), "{err}");

    let cfg = ImapConfig {
        folder: "Nonexistent".into(),
        ..server.config(Security::Tls)
    };
    let err = Mailbox::connect(&cfg).unwrap_err();
    assert!(matches!(err, ImapError::FolderMissing { .. }), "{err}");

    let cfg = ImapConfig {
        after: After::Flag("bad flag".into()),
        ..server.config(Security::Tls)
    };
    let err = Mailbox::connect(&cfg).unwrap_err();
    assert!(matches!(err, ImapError::Config { .. }), "{err}");

    let cfg = ImapConfig {
        folder: "Mangler/Færdig".into(),
        ..server.config(Security::Tls)
    };
    let err = Mailbox::connect(&cfg).unwrap_err();
    assert!(matches!(err, ImapError::FolderMissing { .. }), "{err}");

    // Nobody listens here any more once the server is gone.
    let cfg = server.config(Security::Plain);
    drop(server);
    let err = Mailbox::connect(&cfg).unwrap_err();
    assert!(matches!(err, ImapError::Connect { .. }), "{err}");
}

#[test]
fn new_messages_after_uid_and_the_star_edge() {
    let server = Server::start();
    let mut mb = connect(&server.config(Security::Tls));
    assert_eq!(mb.new_messages(0).unwrap(), Vec::<u32>::new());
    let uids: Vec<u32> = (1..=3)
        .map(|n| append(&mut mb, "INBOX", &message(n)))
        .collect();
    assert_eq!(mb.new_messages(0).unwrap(), uids);
    assert_eq!(mb.new_messages(uids[0]).unwrap(), &uids[1..]);
    assert_eq!(mb.new_messages(uids[1]).unwrap(), &uids[2..]);
    // "last+1:*" still matches the last UID: must not be reported again.
    assert_eq!(mb.new_messages(uids[2]).unwrap(), Vec::<u32>::new());
    assert_eq!(mb.new_messages(uids[2] + 100).unwrap(), Vec::<u32>::new());
    assert_eq!(mb.new_messages(u32::MAX).unwrap(), Vec::<u32>::new());
    mb.logout();

    let mut mb = connect(&ImapConfig {
        batch: 2,
        ..server.config(Security::StartTls)
    });
    assert_eq!(mb.new_messages(0).unwrap(), &uids[..2]);
    assert_eq!(mb.new_messages(uids[1]).unwrap(), &uids[2..]);
    mb.logout();
}

#[test]
fn fetch_is_exact_and_leaves_unseen() {
    let server = Server::start();
    let mut mb = connect(&server.config(Security::Tls));
    // A larger message with every byte value but NUL, CR and LF, in CRLF lines.
    let mut big = message(7);
    let line: Vec<u8> = (1..=255u8).filter(|b| *b != b'\r' && *b != b'\n').collect();
    for _ in 0..2000 {
        big.extend_from_slice(&line);
        big.extend_from_slice(b"\r\n");
    }
    let small = message(1);
    let u1 = append(&mut mb, "INBOX", &small);
    let u2 = append(&mut mb, "INBOX", &big);
    assert_eq!(mb.fetch(u1).unwrap(), small);
    assert_eq!(mb.fetch(u2).unwrap(), big);
    assert!(!flags(&mut mb, u1).iter().any(|f| f == "\\Seen"));
    assert!(!flags(&mut mb, u2).iter().any(|f| f == "\\Seen"));
    let err = mb.fetch(u2 + 1).unwrap_err();
    assert!(
        matches!(err, ImapError::Gone { uid, .. } if uid == u2 + 1),
        "{err}"
    );
    mb.logout();

    // Still unseen for a fresh session too.
    let mut mb = connect(&server.config(Security::Plain));
    assert!(!flags(&mut mb, u1).iter().any(|f| f == "\\Seen"));
    mb.logout();
}

#[test]
fn act_move_with_and_without_the_move_capability() {
    let server = Server::start();
    let target = "Behandlet/Færdig & klar";
    let cfg = ImapConfig {
        after: After::Move(target.into()),
        ..server.config(Security::Tls)
    };
    let mut mb = connect(&cfg); // creates the target
    let uids: Vec<u32> = (1..=3)
        .map(|n| append(&mut mb, "INBOX", &message(n)))
        .collect();

    mb.act(uids[0]).unwrap();
    mb.has_move = false; // COPY + STORE \Deleted + UID EXPUNGE
    mb.act(uids[1]).unwrap();
    // Acting again on a message that is already gone is harmless.
    mb.act(uids[0]).unwrap();
    assert_eq!(all_uids(&mut mb), vec![uids[2]]);
    assert_eq!(mb.new_messages(0).unwrap(), vec![uids[2]]);
    mb.logout();

    let mut moved = connect(&ImapConfig {
        folder: target.into(),
        after: After::Delete,
        ..server.config(Security::Tls)
    });
    let there = moved.new_messages(0).unwrap();
    assert_eq!(there.len(), 2);
    let bodies: Vec<Vec<u8>> = there.iter().map(|&u| moved.fetch(u).unwrap()).collect();
    assert_eq!(bodies, vec![message(1), message(2)]);
    for &u in &there {
        assert!(!flags(&mut moved, u).iter().any(|f| f == "\\Deleted"));
    }
    moved.logout();

    // A target deleted behind our back is created again (TRYCREATE).
    let mut mb = connect(&cfg);
    let enc = mb.target.clone().unwrap();
    mb.session.delete(&enc).unwrap();
    mb.act(uids[2]).unwrap();
    assert_eq!(all_uids(&mut mb), Vec::<u32>::new());
    mb.logout();
}

#[test]
fn act_flag_keyword_and_seen() {
    let server = Server::start();
    let mut mb = connect(&server.config(Security::Tls));
    let u1 = append(&mut mb, "INBOX", &message(1));
    let u2 = append(&mut mb, "INBOX", &message(2));
    mb.act(u1).unwrap();
    mb.act(u1).unwrap();
    assert!(flags(&mut mb, u1).iter().any(|f| f == "$Mailroom"));
    assert!(!flags(&mut mb, u1).iter().any(|f| f == "\\Seen"));
    assert!(!flags(&mut mb, u2).iter().any(|f| f == "$Mailroom"));
    assert_eq!(all_uids(&mut mb), vec![u1, u2]);
    mb.logout();

    let mut mb = connect(&ImapConfig {
        after: After::Flag("\\Seen".into()),
        ..server.config(Security::StartTls)
    });
    mb.act(u2).unwrap();
    assert!(flags(&mut mb, u2).iter().any(|f| f == "\\Seen"));
    mb.logout();
}

#[test]
fn act_delete_expunges_only_that_message() {
    let server = Server::start();
    let mut mb = connect(&ImapConfig {
        after: After::Delete,
        ..server.config(Security::Tls)
    });
    let uids: Vec<u32> = (1..=3)
        .map(|n| append(&mut mb, "INBOX", &message(n)))
        .collect();
    // Another client marked this one \Deleted without expunging: UID EXPUNGE keeps it.
    mb.session
        .uid_store(uids[2].to_string(), "+FLAGS.SILENT (\\Deleted)")
        .unwrap();
    mb.act(uids[0]).unwrap();
    assert_eq!(all_uids(&mut mb), vec![uids[1], uids[2]]);
    mb.act(uids[0]).unwrap();
    assert_eq!(mb.new_messages(0).unwrap(), vec![uids[1], uids[2]]);
    mb.logout();
}

#[test]
fn uid_validity_is_stable_across_reconnects_and_restarts() {
    let mut server = Server::start();
    let mut mb = connect(&server.config(Security::Tls));
    let validity = mb.uid_validity();
    let u1 = append(&mut mb, "INBOX", &message(1));
    mb.logout();

    let mut mb = connect(&server.config(Security::StartTls));
    assert_eq!(mb.uid_validity(), validity);
    assert_eq!(mb.new_messages(0).unwrap(), vec![u1]);
    mb.logout();

    server.restart();
    let mut mb = connect(&server.config(Security::Tls));
    assert_eq!(mb.uid_validity(), validity);
    // Neither misses nor repeats: nothing after u1 yet, then exactly the new one.
    assert_eq!(mb.new_messages(u1).unwrap(), Vec::<u32>::new());
    let u2 = append(&mut mb, "INBOX", &message(2));
    assert!(u2 > u1);
    assert_eq!(mb.new_messages(u1).unwrap(), vec![u2]);
    mb.logout();
}
