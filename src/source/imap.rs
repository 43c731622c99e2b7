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

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, TcpStream, ToSocketAddrs};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use imap::types::Flag;

pub use crate::config::sources::{After, ImapConfig, Security, DEFAULT_BATCH, DEFAULT_FOLDER};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

/// Timeout of the TCP connect and of every read and write on the connection.
pub const TIMEOUT: Duration = Duration::from_secs(30);
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

/// A connected, logged-in session with the configured folder selected.
pub struct Mailbox {
    session: imap::Session<Stream>,
    name: String,
    after: After,
    /// `After::Move` target, encoded for the wire.
    target: Option<String>,
    batch: usize,
    uid_validity: u32,
    has_move: bool,
    has_uidplus: bool,
}

impl fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailbox")
            .field("name", &self.name)
            .field("uid_validity", &self.uid_validity)
            .field("has_move", &self.has_move)
            .field("has_uidplus", &self.has_uidplus)
            .finish_non_exhaustive()
    }
}

impl Mailbox {
    /// Connect (and STARTTLS), log in and SELECT the folder. When `after` moves messages,
    /// the target folder is created if it does not exist yet.
    pub fn connect(cfg: &ImapConfig) -> Result<Mailbox, ImapError> {
        let config_err = |reason: String| ImapError::Config {
            mailbox: cfg.name.clone(),
            reason,
        };
        if cfg.security == Security::Plain && !is_loopback(&cfg.host) {
            return Err(config_err(format!(
                "unencrypted IMAP is only allowed to 127.0.0.1 or localhost, not {}",
                cfg.host
            )));
        }
        if let After::Flag(flag) = &cfg.after {
            check_flag(flag).map_err(config_err)?;
        }
        if let After::Move(target) = &cfg.after {
            if target.is_empty() || target == &cfg.folder {
                return Err(config_err(format!(
                    "the folder to move to ({target:?}) must differ from the folder read ({:?})",
                    cfg.folder
                )));
            }
        }
        let folder = encode_folder(&cfg.folder).map_err(config_err)?;
        let target = match &cfg.after {
            After::Move(t) => Some(encode_folder(t).map_err(config_err)?),
            _ => None,
        };
        // Fail on a bad CA file or host name before touching the network.
        let tls = match cfg.security {
            Security::Plain => None,
            Security::Tls | Security::StartTls => Some(tls_setup(cfg)?),
        };

        let tcp = tcp_connect(cfg)?;
        let client = match (cfg.security, tls) {
            (Security::Tls, Some((config, server_name))) => {
                let mut client = imap::Client::new(tls_handshake(cfg, tcp, config, server_name)?);
                let greeting = client
                    .read_greeting()
                    .map_err(|e| protocol(&cfg.name, "greeting", e))?;
                check_greeting(cfg, &greeting)?;
                client
            }
            (Security::StartTls, Some((config, server_name))) => {
                let tcp = starttls(cfg, tcp)?;
                let mut client = imap::Client::new(tls_handshake(cfg, tcp, config, server_name)?);
                client.greeting_read = true;
                client
            }
            _ => {
                let mut client = imap::Client::new(Stream::Plain(tcp));
                let greeting = client
                    .read_greeting()
                    .map_err(|e| protocol(&cfg.name, "greeting", e))?;
                check_greeting(cfg, &greeting)?;
                client
            }
        };

        let mut session = client
            .login(&cfg.user, &cfg.password)
            .map_err(|(e, _)| login_error(cfg, e))?;

        let caps = session
            .capabilities()
            .map_err(|e| protocol(&cfg.name, "CAPABILITY", e))?;
        let has_move = caps.has_str("MOVE");
        let has_uidplus = caps.has_str("UIDPLUS");
        drop(caps);

        let selected = match session.select(&folder) {
            Ok(selected) => selected,
            Err(imap::Error::No(no)) => {
                return Err(ImapError::FolderMissing {
                    mailbox: cfg.name.clone(),
                    folder: cfg.folder.clone(),
                    reason: no.information,
                })
            }
            // A NO quoting a non-ASCII folder name is beyond the `imap` crate's parser.
            Err(e @ imap::Error::Bye(_)) => {
                return Err(match folder_exists(&mut session, &folder) {
                    Ok(false) => ImapError::FolderMissing {
                        mailbox: cfg.name.clone(),
                        folder: cfg.folder.clone(),
                        reason: "no such folder".into(),
                    },
                    _ => protocol(&cfg.name, "SELECT", e),
                });
            }
            Err(e) => return Err(protocol(&cfg.name, "SELECT", e)),
        };
        let Some(uid_validity) = selected.uid_validity else {
            return Err(ImapError::Protocol {
                mailbox: cfg.name.clone(),
                command: "SELECT".into(),
                reason: "the server sent no UIDVALIDITY".into(),
            });
        };
        if selected.is_read_only {
            return Err(ImapError::FolderMissing {
                mailbox: cfg.name.clone(),
                folder: cfg.folder.clone(),
                reason: "it is read-only for this user".into(),
            });
        }
        if let After::Flag(flag) = &cfg.after {
            if !flag.starts_with('\\')
                && !selected.permanent_flags.contains(&Flag::MayCreate)
                && !selected
                    .permanent_flags
                    .iter()
                    .any(|f| f.to_string().eq_ignore_ascii_case(flag))
            {
                return Err(config_err(format!(
                    "the server does not keep the keyword {flag} in {:?}",
                    cfg.folder
                )));
            }
        }

        let mut mailbox = Mailbox {
            session,
            name: cfg.name.clone(),
            after: cfg.after.clone(),
            target,
            batch: cfg.batch.max(1),
            uid_validity,
            has_move,
            has_uidplus,
        };
        if mailbox.target.is_some() {
            mailbox.ensure_target()?;
        }
        mailbox.drain();
        Ok(mailbox)
    }

    /// UIDVALIDITY of the selected folder.
    pub fn uid_validity(&self) -> u32 {
        self.uid_validity
    }

    /// UIDs above `after_uid`, ascending, at most `batch` of them.
    pub fn new_messages(&mut self, after_uid: u32) -> Result<Vec<u32>, ImapError> {
        let Some(first) = after_uid.checked_add(1) else {
            return Ok(Vec::new());
        };
        let found = self
            .session
            .uid_search(format!("UID {first}:*"))
            .map_err(|e| self.err("UID SEARCH", e))?;
        // "N:*" always matches the highest UID, even when it is below N.
        let mut uids: Vec<u32> = found.into_iter().filter(|&u| u > after_uid).collect();
        uids.sort_unstable();
        uids.truncate(self.batch);
        self.drain();
        Ok(uids)
    }

    /// The whole message, byte for byte as the server holds it. Does not set `\Seen`.
    pub fn fetch(&mut self, uid: u32) -> Result<Vec<u8>, ImapError> {
        let fetches = self
            .session
            .uid_fetch(uid.to_string(), "(UID BODY.PEEK[])")
            .map_err(|e| self.err("UID FETCH", e))?;
        let body = fetches
            .iter()
            .find(|f| f.uid == Some(uid))
            .and_then(|f| f.body())
            .map(<[u8]>::to_vec);
        drop(fetches);
        self.drain();
        body.ok_or_else(|| ImapError::Gone {
            mailbox: self.name.clone(),
            uid,
        })
    }

    /// Carry out the configured [`After`] action on one message. A UID that is no longer
    /// in the folder is not an error.
    pub fn act(&mut self, uid: u32) -> Result<(), ImapError> {
        let set = uid.to_string();
        let result = match self.after.clone() {
            After::Move(_) => self.move_message(&set),
            After::Flag(flag) => self.store(&set, &flag),
            After::Delete => self
                .store(&set, "\\Deleted")
                .and_then(|()| self.expunge(&set)),
        };
        self.drain();
        result
    }

    /// Log out politely; errors are of no interest any more.
    pub fn logout(mut self) {
        let _ = self.session.logout();
    }

    fn move_message(&mut self, set: &str) -> Result<(), ImapError> {
        let target = self.target.clone().unwrap_or_default();
        let mut created = false;
        loop {
            let result = if self.has_move {
                self.session
                    .uid_mv(set, &target)
                    .map_err(|e| (e, "UID MOVE"))
            } else {
                self.session
                    .run_command_and_check_ok(format!("UID COPY {set} {}", quote(&target)))
                    .map_err(|e| (e, "UID COPY"))
            };
            match result {
                Ok(()) => break,
                // NO [TRYCREATE]: the target went away since connect; create it and retry
                // once. Checked with LIST rather than by the response code, which the
                // `imap` crate cannot parse when the server quotes a non-ASCII name in it.
                Err((e @ (imap::Error::No(_) | imap::Error::Bye(_)), command)) if !created => {
                    match folder_exists(&mut self.session, &target) {
                        Ok(false) => {
                            self.create_target()?;
                            created = true;
                        }
                        _ => return Err(self.err(command, e)),
                    }
                }
                Err((e, command)) => return Err(self.err(command, e)),
            }
        }
        if !self.has_move {
            self.store(set, "\\Deleted")?;
            self.expunge(set)?;
        }
        Ok(())
    }

    fn store(&mut self, set: &str, flag: &str) -> Result<(), ImapError> {
        self.session
            .uid_store(set, format!("+FLAGS.SILENT ({flag})"))
            .map(drop)
            .map_err(|e| self.err("UID STORE", e))
    }

    /// Expunge just `set` with UIDPLUS; without it, EXPUNGE also removes whatever else in
    /// the folder is marked `\Deleted`.
    fn expunge(&mut self, set: &str) -> Result<(), ImapError> {
        let result = if self.has_uidplus {
            self.session.uid_expunge(set)
        } else {
            self.session.expunge()
        };
        result.map(drop).map_err(|e| self.err("EXPUNGE", e))
    }

    fn ensure_target(&mut self) -> Result<(), ImapError> {
        let target = self.target.clone().unwrap_or_default();
        let exists = folder_exists(&mut self.session, &target).map_err(|e| self.err("LIST", e))?;
        if !exists {
            self.create_target()?;
        }
        Ok(())
    }

    fn create_target(&mut self) -> Result<(), ImapError> {
        let target = self.target.clone().unwrap_or_default();
        self.session
            .create(&target)
            .map_err(|e| self.err("CREATE", e))?;
        // So that mail clients showing only subscribed folders show it.
        let _ = self.session.subscribe(&target);
        Ok(())
    }

    /// Untagged responses the server sent on its own accord (EXISTS, EXPUNGE, flag
    /// changes) are of no use here; drop them so that they do not pile up.
    fn drain(&mut self) {
        let _ = self.session.take_all_unsolicited().count();
    }

    fn err(&self, command: &str, e: imap::Error) -> ImapError {
        protocol(&self.name, command, e)
    }
}

/// Whether the folder (wire name) exists and can be selected.
fn folder_exists(session: &mut imap::Session<Stream>, folder: &str) -> imap::Result<bool> {
    let names = session.list(Some(""), Some(&quote(folder)))?;
    Ok(names.iter().any(|n| {
        !n.attributes()
            .iter()
            .any(|a| matches!(a, imap_proto::NameAttribute::NoSelect))
    }))
}

fn protocol(mailbox: &str, command: &str, e: imap::Error) -> ImapError {
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

fn login_error(cfg: &ImapConfig, e: imap::Error) -> ImapError {
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

fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            format!("no answer within {} s", TIMEOUT.as_secs())
        }
        io::ErrorKind::UnexpectedEof => "the server closed the connection".into(),
        _ => e.to_string(),
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn check_greeting(cfg: &ImapConfig, greeting: &[u8]) -> Result<(), ImapError> {
    if greeting.len() >= 4 && greeting[..4].eq_ignore_ascii_case(b"* OK") {
        return Ok(());
    }
    Err(ImapError::Protocol {
        mailbox: cfg.name.clone(),
        command: "greeting".into(),
        reason: format!(
            "expected \"* OK\", got {:?}",
            String::from_utf8_lossy(greeting).trim_end()
        ),
    })
}

/// A flag to set: one of the settable system flags or a keyword atom.
fn check_flag(flag: &str) -> Result<(), String> {
    const SYSTEM: [&str; 5] = ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"];
    if flag.starts_with('\\') {
        if SYSTEM.iter().any(|s| s.eq_ignore_ascii_case(flag)) {
            return Ok(());
        }
        return Err(format!(
            "{flag:?} is not a flag that can be set (use one of {} or a keyword like $Mailroom)",
            SYSTEM.join(" ")
        ));
    }
    let atom = |c: char| c.is_ascii_graphic() && !"(){%*\"\\]".contains(c);
    if flag.is_empty() || !flag.chars().all(atom) {
        return Err(format!(
            "{flag:?} is not a valid IMAP keyword (letters, digits, $ and the like, no spaces)"
        ));
    }
    Ok(())
}

/// IMAP quoted string.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Folder name in IMAP's modified UTF-7 (RFC 3501 section 5.1.3).
fn encode_folder(name: &str) -> Result<String, String> {
    if name.is_empty() {
        return Err("a folder name is empty".into());
    }
    if name.contains(['\r', '\n', '\0']) {
        return Err(format!("folder name {name:?} contains a control character"));
    }
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
    fn flush(out: &mut String, run: &mut Vec<u16>) {
        if run.is_empty() {
            return;
        }
        let bytes: Vec<u8> = run.iter().flat_map(|u| u.to_be_bytes()).collect();
        out.push('&');
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                chunk.get(1).copied().unwrap_or(0),
                chunk.get(2).copied().unwrap_or(0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            let chars = chunk.len() + 1;
            for i in 0..chars {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out.push('-');
        run.clear();
    }
    let mut out = String::with_capacity(name.len());
    let mut run: Vec<u16> = Vec::new();
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut out, &mut run);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            run.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut out, &mut run);
    Ok(out)
}

fn tcp_connect(cfg: &ImapConfig) -> Result<TcpStream, ImapError> {
    let fail = |reason: String| ImapError::Connect {
        mailbox: cfg.name.clone(),
        host: cfg.host.clone(),
        port: cfg.port,
        reason,
    };
    let host = cfg.host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<_> = (host, cfg.port)
        .to_socket_addrs()
        .map_err(|e| fail(format!("cannot resolve the host: {e}")))?
        .collect();
    let mut last = None;
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, TIMEOUT) {
            Ok(tcp) => {
                let setup = tcp
                    .set_read_timeout(Some(TIMEOUT))
                    .and_then(|()| tcp.set_write_timeout(Some(TIMEOUT)))
                    .and_then(|()| tcp.set_nodelay(true));
                return match setup {
                    Ok(()) => Ok(tcp),
                    Err(e) => Err(fail(e.to_string())),
                };
            }
            Err(e) => last = Some(e),
        }
    }
    Err(fail(match last {
        Some(e) => io_reason(&e),
        None => "the host name has no address".into(),
    }))
}

fn tls_setup(
    cfg: &ImapConfig,
) -> Result<(Arc<rustls::ClientConfig>, ServerName<'static>), ImapError> {
    let tls_err = |reason: String| ImapError::Tls {
        mailbox: cfg.name.clone(),
        host: cfg.host.clone(),
        reason,
    };
    let config_err = |reason: String| ImapError::Config {
        mailbox: cfg.name.clone(),
        reason,
    };
    let host = cfg.host.trim_start_matches('[').trim_end_matches(']');
    let server_name = ServerName::try_from(host.to_string())
        .map_err(|_| config_err(format!("{:?} is not a valid host name", cfg.host)))?;

    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(native_roots().iter().cloned());
    if let Some(path) = &cfg.ca_file {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .and_then(|certs| certs.collect())
            .map_err(|e| config_err(format!("cannot read ca_file {}: {e}", path.display())))?;
        if certs.is_empty() {
            return Err(config_err(format!(
                "ca_file {} holds no PEM certificate",
                path.display()
            )));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| {
                config_err(format!(
                    "ca_file {}: unusable certificate: {e}",
                    path.display()
                ))
            })?;
        }
    }
    if roots.is_empty() {
        return Err(tls_err(
            "no trusted root certificates (install ca-certificates or set ca_file)".into(),
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok((Arc::new(config), server_name))
}

/// The system's trusted roots, read once per process.
fn native_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().unwrap_or_default())
}

fn tls_handshake(
    cfg: &ImapConfig,
    mut tcp: TcpStream,
    config: Arc<rustls::ClientConfig>,
    server_name: ServerName<'static>,
) -> Result<Stream, ImapError> {
    let tls_err = |reason: String| ImapError::Tls {
        mailbox: cfg.name.clone(),
        host: cfg.host.clone(),
        reason,
    };
    let mut conn =
        rustls::ClientConnection::new(config, server_name).map_err(|e| tls_err(e.to_string()))?;
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp)
            .map_err(|e| tls_err(io_reason(&e)))?;
    }
    Ok(Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp))))
}

/// Read the greeting and upgrade with STARTTLS, on the bare socket: the `imap` crate only
/// does this with TLS stacks of its own choosing.
fn starttls(cfg: &ImapConfig, mut tcp: TcpStream) -> Result<TcpStream, ImapError> {
    let fail = |command: &str, reason: String| ImapError::Protocol {
        mailbox: cfg.name.clone(),
        command: command.into(),
        reason,
    };
    let greeting = read_line(&mut tcp).map_err(|e| fail("greeting", io_reason(&e)))?;
    check_greeting(cfg, greeting.as_bytes())?;
    tcp.write_all(b"s0 STARTTLS\r\n")
        .map_err(|e| fail("STARTTLS", io_reason(&e)))?;
    loop {
        let line = read_line(&mut tcp).map_err(|e| fail("STARTTLS", io_reason(&e)))?;
        if let Some(status) = line.strip_prefix("s0 ") {
            if status.len() >= 2 && status[..2].eq_ignore_ascii_case("OK") {
                return Ok(tcp);
            }
            return Err(ImapError::Tls {
                mailbox: cfg.name.clone(),
                host: cfg.host.clone(),
                reason: format!("the server refused STARTTLS: {}", line.trim_end()),
            });
        }
    }
}

/// One CRLF-terminated line, read byte by byte so that nothing after it is consumed.
fn read_line(tcp: &mut TcpStream) -> io::Result<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\n") {
        if tcp.read(&mut byte)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        line.push(byte[0]);
        if line.len() > 64 * 1024 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "response line too long",
            ));
        }
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    /// A Dovecot of our own, started by `scripts/imap-server` in a temporary directory and
    /// stopped on drop.
    struct Server {
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
        fn start() -> Server {
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

        fn config(&self, security: Security) -> ImapConfig {
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

    fn message(n: usize) -> Vec<u8> {
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
    fn append(mb: &mut Mailbox, folder: &str, msg: &[u8]) -> u32 {
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

    fn all_uids(mb: &mut Mailbox) -> Vec<u32> {
        let mut uids: Vec<u32> = mb
            .session
            .uid_search("ALL")
            .expect("SEARCH")
            .into_iter()
            .collect();
        uids.sort_unstable();
        uids
    }

    fn connect(cfg: &ImapConfig) -> Mailbox {
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

    #[test]
    fn folder_names_in_modified_utf7() {
        assert_eq!(encode_folder("INBOX").unwrap(), "INBOX");
        assert_eq!(encode_folder("Arkiv/Færdig").unwrap(), "Arkiv/F&AOY-rdig");
        assert_eq!(encode_folder("A & B").unwrap(), "A &- B");
        assert_eq!(encode_folder("日本語").unwrap(), "&ZeVnLIqe-");
        assert_eq!(
            encode_folder("~peter/mail/台北/日本語").unwrap(),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        );
        assert!(encode_folder("").is_err());
        assert!(encode_folder("a\r\nb").is_err());
        assert!(check_flag("$Mailroom").is_ok());
        assert!(check_flag("\\seen").is_ok());
        assert!(check_flag("\\Recent").is_err());
        assert!(check_flag("two words").is_err());
        assert!(is_loopback("localhost") && is_loopback("127.0.0.1") && is_loopback("[::1]"));
        assert!(!is_loopback("imap.example.com"));
    }
}
