//! Folder names in IMAP's modified UTF-7, so that `Arkiv/Færdig` works.

/// Folder name in IMAP's modified UTF-7 (RFC 3501 section 5.1.3).
pub(super) fn encode_folder(name: &str) -> Result<String, String> {
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

#[cfg(test)]
mod tests {
    use super::super::session::check_flag;
    use super::super::transport::is_loopback;
    use super::*;

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
