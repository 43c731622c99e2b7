//! The logged-in session: [`Mailbox`] and its commands (search, fetch, move, flag,
//! delete), with the checks of what the configuration asks of the server.

use std::fmt;

use imap::types::Flag;

use super::error::{login_error, protocol, ImapError};
use super::transport::{
    check_greeting, is_loopback, starttls, tcp_connect, tls_handshake, tls_setup, Stream,
};
use super::utf7::encode_folder;
use super::{After, ImapConfig, Security};

/// A connected, logged-in session with the configured folder selected.
pub struct Mailbox {
    pub(super) session: imap::Session<Stream>,
    name: String,
    after: After,
    /// `After::Move` target, encoded for the wire.
    pub(super) target: Option<String>,
    batch: usize,
    uid_validity: u32,
    pub(super) has_move: bool,
    pub(super) has_uidplus: bool,
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

/// A flag to set: one of the settable system flags or a keyword atom.
pub(super) fn check_flag(flag: &str) -> Result<(), String> {
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
