//! An IMAP mailbox end to end: a real Dovecot on 127.0.0.1 (scripts/imap-server), the
//! real binary killed in the middle of reading and started again. Every message becomes
//! a document exactly once, and is moved on the server only once it is in the ledger.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;

struct Dovecot {
    dir: tempfile::TempDir,
    imap_port: u16,
    imaps_port: u16,
    ca: PathBuf,
}

/// An installation whose config reads the test server's mailbox "ap" over TLS as the
/// user `mailroom` (password from a file), with `rest` (TOML lines) added to it.
fn mailbox_install(server: &Dovecot, rest: &str) -> Install {
    mailbox_install_with(server, "", rest)
}

/// [`mailbox_install`] with `config` (TOML) in the configuration before the mailbox.
fn mailbox_install_with(server: &Dovecot, config: &str, rest: &str) -> Install {
    let inst = Install::new(config);
    std::fs::write(inst.path("imap-password"), "secret\n").unwrap();
    let config = std::fs::read_to_string(inst.config()).unwrap()
        + &format!(
            "\n[[mailboxes]]\nname = \"ap\"\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"tls\"\nuser = \"mailroom\"\n\
             password_file = \"{}\"\nca_file = \"{}\"\n{rest}",
            server.imaps_port,
            inst.path("imap-password").display(),
            server.ca.display()
        );
    std::fs::write(inst.config(), config).unwrap();
    inst
}

impl Dovecot {
    fn start() -> Dovecot {
        // Short path: Dovecot's sockets live under it.
        let dir = tempfile::Builder::new()
            .prefix("mr-imap-")
            .tempdir_in("/tmp")
            .unwrap();
        let keys = start_service(
            "imap-server",
            dir.path(),
            &[],
            "IMAP_PORT",
            "Dovecot comes from scripts/install-deps --test",
        );
        let get = |k: &str| keys[k].clone();
        Dovecot {
            imap_port: get("IMAP_PORT").parse().unwrap(),
            imaps_port: get("IMAPS_PORT").parse().unwrap(),
            ca: PathBuf::from(get("CA")),
            dir,
        }
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        stop_service("imap-server", self.dir.path());
    }
}

/// A bare IMAP session on the plain loopback port, to put mail in and look at folders.
struct Raw {
    out: TcpStream,
    input: BufReader<TcpStream>,
    tag: u32,
}

impl Raw {
    fn login(port: u16) -> Raw {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut raw = Raw {
            input: BufReader::new(s.try_clone().unwrap()),
            out: s,
            tag: 0,
        };
        raw.line();
        raw.cmd("LOGIN mailroom secret");
        raw
    }

    fn line(&mut self) -> String {
        let mut l = String::new();
        self.input.read_line(&mut l).unwrap();
        l
    }

    /// Send a command; returns its untagged lines, insisting on OK.
    fn cmd(&mut self, c: &str) -> String {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        write!(self.out, "{tag} {c}\r\n").unwrap();
        self.until(&tag)
    }

    fn until(&mut self, tag: &str) -> String {
        let mut all = String::new();
        loop {
            let l = self.line();
            assert!(!l.is_empty(), "connection closed");
            if let Some(rest) = l.strip_prefix(&format!("{tag} ")) {
                assert!(rest.starts_with("OK"), "{tag}: {rest} after {all}");
                return all;
            }
            all.push_str(&l);
        }
    }

    fn append(&mut self, folder: &str, msg: &[u8]) {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        write!(self.out, "{tag} APPEND {folder} {{{}}}\r\n", msg.len()).unwrap();
        let go = self.line();
        assert!(go.starts_with('+'), "{go}");
        self.out.write_all(msg).unwrap();
        self.out.write_all(b"\r\n").unwrap();
        self.until(&tag);
    }

    /// How many messages `folder` holds (0 when it does not exist).
    fn count(&mut self, folder: &str) -> usize {
        let list = self.cmd(&format!("LIST \"\" \"{folder}\""));
        if list.is_empty() {
            return 0;
        }
        let status = self.cmd(&format!("STATUS {folder} (MESSAGES)"));
        status
            .split("MESSAGES ")
            .nth(1)
            .and_then(|r| r.trim_end().trim_end_matches(')').parse().ok())
            .unwrap()
    }
}

/// Mail n: a UBL e-invoice attached (invoice number 9000+n, issued on its own day, so
/// that no two are the same invoice), read without OCR.
fn mail(n: usize) -> Vec<u8> {
    let ubl = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/einvoices/peppol-invoice.xml"),
    )
    .unwrap()
    .replacen(
        "<cbc:ID>2024-118</cbc:ID>",
        &format!("<cbc:ID>{}</cbc:ID>", 9000 + n),
        1,
    )
    .replacen(
        "<cbc:IssueDate>2024-03-14</cbc:IssueDate>",
        &format!(
            "<cbc:IssueDate>2024-{:02}-{:02}</cbc:IssueDate>",
            1 + (n - 1) / 28,
            1 + (n - 1) % 28
        ),
        1,
    );
    assert!(ubl.contains(&format!("<cbc:ID>{}</cbc:ID>", 9000 + n)));
    format!(
        "From: Nordlys <billing@nordlys.dk>\r\nTo: ap@example.com\r\nSubject: Invoice {n}\r\n\
         Date: Fri, 15 Mar 2024 10:30:00 +0100\r\nMessage-ID: <mail-{n}@nordlys.dk>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nInvoice attached.\r\n\
         --b\r\nContent-Type: application/xml\r\nContent-Disposition: attachment; filename=\"invoice-{n}.xml\"\r\n\r\n{ubl}\r\n--b--\r\n"
    )
    .into_bytes()
}

#[test]
fn a_mailbox_is_read_exactly_once_across_a_crash() {
    let server = Dovecot::start();
    let mut raw = Raw::login(server.imap_port);
    // Enough mail that the kill below lands while the mailbox is being read.
    const MAILS: usize = 30;
    for n in 1..=MAILS {
        raw.append("INBOX", &mail(n));
    }
    let inst = mailbox_install(
        &server,
        "after = \"move\"\nmove_to = \"Processed\"\npoll_interval_secs = 1\nbatch = 1\n",
    );

    // Kill the service as soon as the first mails are in the ledger: some will have been
    // moved on the server, perhaps one recorded but not yet moved.
    let mut run = inst.spawn_run(&[], "first.log");
    let recorded = |inst: &Install| -> i64 {
        inst.db()
            .query_row("SELECT COUNT(*) FROM mail_seen", [], |r| r.get(0))
            .unwrap_or(0)
    };
    let start = std::time::Instant::now();
    while recorded(&inst) < 1 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{}",
            std::fs::read_to_string(inst.path("var/first.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    run.kill().unwrap();
    run.wait().unwrap();
    let before = recorded(&inst);
    assert!(
        before < MAILS as i64,
        "the kill came too late to test a restart ({before} recorded)"
    );

    inst.run_to_idle(Duration::from_secs(120));
    let db = inst.db();
    let seen: Vec<(u32, Option<String>)> = db
        .prepare("SELECT uid, acted_at FROM mail_seen ORDER BY uid")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        seen.iter().map(|s| s.0).collect::<Vec<_>>(),
        (1..=MAILS as u32).collect::<Vec<_>>()
    );
    assert!(
        seen.iter().all(|s| s.1.is_some()),
        "every mail acted on: {seen:?}"
    );
    // Every email unpacked, every invoice posted; nothing twice.
    let docs = inst.documents();
    assert_eq!(docs.len(), 2 * MAILS, "{docs:?}");
    assert_eq!(
        docs.iter().filter(|d| d.1 == "unpacked").count(),
        MAILS,
        "{docs:?}"
    );
    assert_eq!(
        docs.iter().filter(|d| d.1 == "auto_posted").count(),
        MAILS,
        "{docs:?}"
    );
    let mut numbers: Vec<String> = inst
        .outbox_files()
        .iter()
        .map(|f| {
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
            assert_eq!(v["source"]["email"]["from"], "Nordlys <billing@nordlys.dk>");
            // The attachment knows the mail it came in and where that was on the server.
            assert_eq!(v["source"]["mailbox"]["name"], "ap");
            assert_eq!(v["source"]["mailbox"]["folder"], "INBOX");
            assert!(v["source"]["mailbox"]["uid"].as_u64().unwrap() >= 1);
            v["fields"]["invoice_number"]["value"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    numbers.sort();
    let want: Vec<String> = (1..=MAILS).map(|n| (9000 + n).to_string()).collect();
    assert_eq!(numbers, want);
    assert_eq!(raw.count("INBOX"), 0);
    assert_eq!(raw.count("Processed"), MAILS);

    // A mail arriving later is the only one read on the next start.
    raw.append("INBOX", &mail(MAILS + 1));
    inst.run_to_idle(Duration::from_secs(120));
    let docs = inst.documents();
    assert_eq!(docs.len(), 2 * MAILS + 2, "{docs:?}");
    assert_eq!(raw.count("INBOX"), 0);
    assert_eq!(raw.count("Processed"), MAILS + 1);
}

/// The folder's UIDVALIDITY, as STATUS reports it.
fn uid_validity(raw: &mut Raw, folder: &str) -> u32 {
    let status = raw.cmd(&format!("STATUS {folder} (UIDVALIDITY)"));
    status
        .split("UIDVALIDITY ")
        .nth(1)
        .and_then(|r| r.trim_end().trim_end_matches(')').parse().ok())
        .unwrap_or_else(|| panic!("no UIDVALIDITY in {status}"))
}

#[test]
fn a_folder_renumbered_by_the_server_is_read_again_without_doubles() {
    let server = Dovecot::start();
    let mut raw = Raw::login(server.imap_port);
    raw.cmd("CREATE Invoices");
    for n in 1..=3 {
        raw.append("Invoices", &mail(n));
    }
    // Flagged, not moved: the mails stay in the folder, as when the server renumbers
    // a folder whose mails were read but kept.
    let inst = mailbox_install(
        &server,
        "folder = \"Invoices\"\nafter = \"flag\"\npoll_interval_secs = 1\nbatch = 10\n",
    );
    inst.run_to_idle(Duration::from_secs(120));
    let first = inst.documents();
    assert_eq!(first.len(), 6, "{first:?}");
    let emails: Vec<String> = inst
        .db()
        .prepare("SELECT id FROM documents WHERE state = 'unpacked' ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(emails.len(), 3, "{first:?}");
    let old_validity = uid_validity(&mut raw, "Invoices");

    // The folder is deleted and made again (a restore, a migration): the same three
    // mails come back under new UIDs and a new UIDVALIDITY, with two new ones.
    raw.cmd("DELETE Invoices");
    raw.cmd("CREATE Invoices");
    for n in 1..=5 {
        raw.append("Invoices", &mail(n));
    }
    let new_validity = uid_validity(&mut raw, "Invoices");
    assert_ne!(
        new_validity, old_validity,
        "the server kept its UIDVALIDITY"
    );

    inst.run_to_idle(Duration::from_secs(120));
    let db = inst.db();
    // Every mail of the new numbering is recorded and acted on, under its validity.
    let seen: Vec<(u32, u32, bool)> = db
        .prepare("SELECT uid_validity, uid, acted_at IS NOT NULL FROM mail_seen ORDER BY uid_validity, uid")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut want: Vec<(u32, u32, bool)> = (1..=3).map(|u| (old_validity, u, true)).collect();
    want.extend((1..=5).map(|u| (new_validity, u, true)));
    want.sort();
    assert_eq!(seen, want);
    // The three mails read before are duplicates of their first reading (same bytes),
    // never unpacked or posted again; the two new ones are read like any mail.
    let docs = inst.documents();
    assert_eq!(docs.len(), 6 + 3 + 2 * 2, "{docs:?}");
    let duplicates: Vec<&DocumentRow> = docs.iter().filter(|d| d.1 == "duplicate").collect();
    assert_eq!(duplicates.len(), 3, "{docs:?}");
    let mut of: Vec<String> = duplicates.iter().filter_map(|d| d.3.clone()).collect();
    of.sort();
    let mut emails = emails;
    emails.sort();
    assert_eq!(of, emails);
    assert_eq!(
        docs.iter().filter(|d| d.1 == "unpacked").count(),
        5,
        "{docs:?}"
    );
    assert_eq!(
        docs.iter().filter(|d| d.1 == "auto_posted").count(),
        5,
        "{docs:?}"
    );
    // Each invoice reached the outbox exactly once: nothing lost, nothing twice.
    let mut numbers: Vec<String> = inst
        .outbox_files()
        .iter()
        .map(|f| {
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
            v["fields"]["invoice_number"]["value"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    numbers.sort();
    let want: Vec<String> = (1..=5).map(|n| (9000 + n).to_string()).collect();
    assert_eq!(numbers, want);
    // The new ones carry where they were under the new numbering.
    let placed: Vec<(String, u32)> = db
        .prepare("SELECT json_extract(source_meta, '$.mailbox.folder'), json_extract(source_meta, '$.mailbox.uid_validity') FROM documents WHERE state = 'auto_posted' ORDER BY seq DESC LIMIT 2")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        placed,
        [
            ("Invoices".to_string(), new_validity),
            ("Invoices".to_string(), new_validity)
        ]
    );
    assert_eq!(raw.count("Invoices"), 5);
}

/// The lines of `log` that record a mail taken into the ledger.
fn received(log: &str) -> usize {
    log.lines()
        .filter(|l| l.contains("received") && l.contains("mailbox=ap"))
        .count()
}

/// Issue 15, point 3: one IMAP reader per mailbox. Two `mailroom run --only intake` on
/// one PostgreSQL ledger are set to read the same mailbox. The first takes it (a
/// session advisory lock) and every mail once, also the mail that comes while both
/// run; the second waits and takes nothing while the first lives. When the first is
/// SIGKILLed, the second takes the mailbox over and reads what comes after.
#[test]
fn two_intake_runs_on_postgres_read_a_mailbox_one_at_a_time() {
    let server = Dovecot::start();
    let mut raw = Raw::login(server.imap_port);
    let url = mailroom::testing::postgres::fresh_database()
        .secret()
        .to_string();
    let database = format!("[database]\nurl = \"{url}\"\n");
    let mailbox = "after = \"move\"\nmove_to = \"Processed\"\npoll_interval_secs = 1\nbatch = 1\n";
    let (a, b) = (
        mailbox_install_with(&server, &database, mailbox),
        mailbox_install_with(&server, &database, mailbox),
    );
    let mut ledger = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let mut acted = || -> i64 {
        ledger
            .query_one(
                "SELECT COUNT(*) FROM mail_seen WHERE acted_at IS NOT NULL",
                &[],
            )
            .map(|r| r.get(0))
            .unwrap_or(0)
    };
    let log = |inst: &Install, name: &str| {
        std::fs::read_to_string(inst.path(&format!("var/{name}"))).unwrap_or_default()
    };
    for n in 1..=5 {
        raw.append("INBOX", &mail(n));
    }
    let mut first = a.spawn_run(&["--only", "intake"], "a.log");
    assert!(
        wait_until(Duration::from_secs(60), || acted() == 5),
        "{}",
        log(&a, "a.log")
    );
    let mut second = b.spawn_run(&["--only", "intake"], "b.log");
    // Mail while both run, a little apart: both poll every second.
    for n in 6..=15 {
        raw.append("INBOX", &mail(n));
        std::thread::sleep(Duration::from_millis(400));
    }
    assert!(
        wait_until(Duration::from_secs(60), || acted() == 15),
        "{}",
        log(&a, "a.log")
    );
    std::thread::sleep(Duration::from_secs(2));
    let waited = log(&b, "b.log");
    assert_eq!(
        received(&waited),
        0,
        "the second read beside the first:\n{waited}"
    );
    assert!(
        waited.contains("mailbox ap is read by another mailroom run"),
        "{waited}"
    );
    assert_eq!(received(&log(&a, "a.log")), 15, "{}", log(&a, "a.log"));

    // The first dies without letting go; its session ends, and with it the lock.
    first.kill().unwrap();
    first.wait().unwrap();
    for n in 16..=20 {
        raw.append("INBOX", &mail(n));
    }
    assert!(
        wait_until(Duration::from_secs(60), || acted() == 20),
        "{}",
        log(&b, "b.log")
    );
    assert_eq!(received(&log(&b, "b.log")), 5, "{}", log(&b, "b.log"));
    second.kill().unwrap();
    second.wait().unwrap();

    // Every mail once: one document each, at its own UID; none read (intake only).
    let rows = ledger
        .query(
            "SELECT m.uid, d.state FROM mail_seen m JOIN documents d ON d.id = m.document_id ORDER BY m.uid",
            &[],
        )
        .unwrap();
    let seen: Vec<(i64, String)> = rows
        .iter()
        .map(|r| (r.get::<_, i64>(0), r.get(1)))
        .collect();
    assert_eq!(
        seen,
        (1..=20)
            .map(|u| (u, "received".to_string()))
            .collect::<Vec<_>>()
    );
    let documents: i64 = ledger
        .query_one("SELECT COUNT(*) FROM documents", &[])
        .unwrap()
        .get(0);
    assert_eq!(documents, 20);
    assert_eq!(raw.count("INBOX"), 0);
    assert_eq!(raw.count("Processed"), 20);
}
