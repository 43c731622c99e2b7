//! The connection: TCP with timeouts, TLS through rustls (system roots plus an optional
//! CA file), STARTTLS negotiated on the bare socket, plain text only to the loopback.

use std::io::{self, Read, Write};
use std::net::{IpAddr, TcpStream, ToSocketAddrs};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

use super::error::{io_reason, ImapError};
use super::ImapConfig;

/// Timeout of the TCP connect and of every read and write on the connection.
pub const TIMEOUT: Duration = Duration::from_secs(30);

pub(super) fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

pub(super) fn check_greeting(cfg: &ImapConfig, greeting: &[u8]) -> Result<(), ImapError> {
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

pub(super) fn tcp_connect(cfg: &ImapConfig) -> Result<TcpStream, ImapError> {
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

pub(super) fn tls_setup(
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

pub(super) fn tls_handshake(
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
pub(super) fn starttls(cfg: &ImapConfig, mut tcp: TcpStream) -> Result<TcpStream, ImapError> {
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

pub(super) enum Stream {
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
