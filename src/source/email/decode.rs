//! Lenient decoders for what mail-parser leaves to us: uuencode, base64 sent without a
//! `Content-Transfer-Encoding` or damaged, quoted-printable with stray `=`, Windows-1252
//! bytes, percent-escapes.

use std::ops::Range;

use super::bytes::find;

/// At most this many uuencoded blocks are taken from one text.
const MAX_UU_BLOCKS: usize = 100;

pub(super) fn percent_decode(s: &str) -> String {
    // Invalid escapes (`%zz`, a trailing `%`) are kept as written, as before.
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Windows-1252 to UTF-8 (bytes 0x80..0x9F that 1252 leaves undefined map to U+0080..).
pub(super) fn decode_1252(bytes: &[u8]) -> String {
    // WHATWG's table: the five bytes cp1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90,
    // 0x9D) become the C1 controls of the same number, as the hand-written table did.
    encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(bytes)
        .0
        .into_owned()
}

// ---------------------------------------------------------------------------------------
// Transfer encodings mail-parser leaves to us

/// True when `data` is nothing but base64 (letters, digits, `+/=`, white space), at least
/// 16 characters, with some line structure or length that fits.
pub(super) fn looks_like_base64(data: &[u8]) -> bool {
    let mut count = 0usize;
    for &b in data {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' | b'=' => count += 1,
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => return false,
        }
    }
    count >= 16
}

/// Base64 decoder that skips anything outside the alphabet (bad line lengths, stray
/// characters) and restarts after padding (concatenated chunks).
pub(super) fn base64_lenient(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 4 * 3 + 3);
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    for &c in data {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => {
                acc = 0;
                bits = 0;
                continue;
            }
            _ => continue,
        };
        acc = ((acc << 6) | u32::from(v)) & 0x00FF_FFFF;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// Quoted-printable decoder that keeps a stray `=` instead of failing.
pub(super) fn qp_lenient(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0usize;
    while let Some(&c) = data.get(i) {
        if c == b'=' {
            if let (Some(h), Some(l)) = (
                data.get(i + 1).and_then(|&c| hex_val(c)),
                data.get(i + 2).and_then(|&c| hex_val(c)),
            ) {
                out.push((h << 4) | l);
                i += 3;
                continue;
            }
            let mut j = i + 1;
            while matches!(data.get(j), Some(b' ' | b'\t')) {
                j += 1;
            }
            if data.get(j) == Some(&b'\r') {
                j += 1;
            }
            if data.get(j) == Some(&b'\n') {
                i = j + 1;
                continue;
            }
            if j >= data.len() {
                break;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// A uuencoded file.
pub(super) struct UuBlock {
    /// Name on the `begin` line (raw, not cleaned).
    pub(super) name: String,
    pub(super) data: Vec<u8>,
    /// Bytes of the whole block (from `begin` to after `end`) in the text it was found in.
    pub(super) range: Range<usize>,
    /// Whether the `end` line was seen.
    pub(super) complete: bool,
}

/// Every `begin <mode> <name>` ... `end` block in `text`.
pub(super) fn find_uu_blocks(text: &[u8]) -> Vec<UuBlock> {
    let mut out = Vec::new();
    if find(text, b"begin ").is_none() {
        return out;
    }
    let next_line = |pos: usize| -> (usize, &[u8]) {
        let end = text
            .get(pos..)
            .and_then(|r| r.iter().position(|&b| b == b'\n'))
            .map_or(text.len(), |i| pos + i);
        let line = text.get(pos..end).unwrap_or_default();
        (
            end.saturating_add(1).min(text.len()),
            line.strip_suffix(b"\r").unwrap_or(line),
        )
    };
    let mut pos = 0usize;
    while pos < text.len() && out.len() < MAX_UU_BLOCKS {
        let (after, line) = next_line(pos);
        let Some(name) = uu_begin(line) else {
            pos = after;
            continue;
        };
        let start = pos;
        let mut data = Vec::new();
        let mut complete = false;
        let mut p = after;
        while p < text.len() {
            let (after, line) = next_line(p);
            p = after;
            let trimmed = trim_ascii_end(line);
            if trimmed == b"end" {
                complete = true;
                break;
            }
            if trimmed.is_empty() {
                continue;
            }
            if !decode_uu_line(line, &mut data) {
                break;
            }
        }
        out.push(UuBlock {
            name,
            data,
            range: start..p,
            complete,
        });
        pos = p;
    }
    out
}

fn trim_ascii_end(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., last] = s {
        if last.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    s
}

/// The file name of a `begin 644 name` line.
fn uu_begin(line: &[u8]) -> Option<String> {
    let rest = line.strip_prefix(b"begin ")?;
    let digits = rest
        .iter()
        .take_while(|b| (b'0'..=b'7').contains(*b))
        .count();
    if !(3..=4).contains(&digits) || rest.get(digits) != Some(&b' ') {
        return None;
    }
    let name = trim_ascii_end(rest.get(digits + 1..)?);
    if name.is_empty() {
        return None;
    }
    Some(match std::str::from_utf8(name) {
        Ok(s) => s.to_string(),
        Err(_) => decode_1252(name),
    })
}

/// Decode one uuencoded line into `out`; false when it is not uuencode.
fn decode_uu_line(line: &[u8], out: &mut Vec<u8>) -> bool {
    let Some((&len_ch, chars)) = line.split_first() else {
        return true;
    };
    if !(0x20..=0x60).contains(&len_ch) {
        return false;
    }
    let n = usize::from((len_ch - 0x20) & 0x3F);
    let mut produced = 0usize;
    for chunk in chars.chunks(4) {
        if produced >= n {
            break;
        }
        let mut v = [0u8; 4];
        for (slot, &c) in v.iter_mut().zip(chunk) {
            if !(0x20..=0x60).contains(&c) {
                return false;
            }
            *slot = (c - 0x20) & 0x3F;
        }
        let bytes = [
            (v[0] << 2) | (v[1] >> 4),
            (v[1] << 4) | (v[2] >> 2),
            (v[2] << 6) | v[3],
        ];
        for b in bytes {
            if produced < n {
                out.push(b);
                produced += 1;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;
    use super::*;

    #[test]
    fn quoted_printable_and_uuencoded_attachments() {
        let qp_pdf = pdf("quoted-printable");
        let uu_pdf = pdf("uuencoded part");
        let body_pdf = pdf("uuencoded in body");
        let raw = top(
            "Encodings",
            &multipart(
                "mixed",
                "enc",
                &[
                    text_part(&format!(
                        "Here is the scan:\n\n{}\nregards",
                        uuencode("body scan.pdf", &body_pdf)
                    )),
                    format!(
                        "Content-Type: application/pdf; name=\"qp.pdf\"\n\
                         Content-Transfer-Encoding: quoted-printable\n\n{}",
                        qp(&qp_pdf)
                    ),
                    format!(
                        "Content-Type: application/octet-stream\n\
                         Content-Transfer-Encoding: x-uuencode\n\n{}",
                        uuencode("uu.pdf", &uu_pdf).trim_end()
                    ),
                ],
            ),
        );
        let e = parse_ok(&raw);
        let got: Vec<_> = e
            .documents
            .iter()
            .map(|d| (d.name.as_str(), d.path.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("body scan.pdf", "body / body scan.pdf"),
                ("qp.pdf", "attachment 1"),
                ("uu.pdf", "attachment 2"),
            ],
            "{:?}",
            e.skipped
        );
        assert_eq!(e.documents[0].data, body_pdf);
        assert_eq!(e.documents[1].data, qp_pdf);
        assert_eq!(e.documents[2].data, uu_pdf);
        assert_eq!(
            e.body_text.as_deref(),
            Some("Here is the scan:\r\n\r\n\r\nregards")
        );
    }

    #[test]
    fn base64_without_transfer_encoding_header_and_damaged_base64() {
        let p = pdf("no cte");
        let mut damaged = b64(&p, 60);
        damaged.insert_str(10, "!!");
        let raw = top(
            "cte",
            &multipart(
                "mixed",
                "c",
                &[
                    format!("Content-Type: application/pdf; name=\"a.pdf\"\n\n{}", b64(&p, 64)),
                    format!(
                        "Content-Type: application/pdf; name=\"b.pdf\"\nContent-Transfer-Encoding: base64\n\n{damaged}"
                    ),
                ],
            ),
        );
        let e = parse_ok(&raw);
        let names: Vec<_> = e.documents.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["a.pdf", "b.pdf"], "{:?}", e.skipped);
        assert!(e.documents.iter().all(|d| d.data == p));
    }

    #[test]
    fn cp1252_and_percent_decoding_keep_their_old_results() {
        // Every high byte as the old hand-written table gave it.
        let high: String = (0x80u8..=0x9F).map(|b| decode_1252(&[b])).collect();
        assert_eq!(
            high,
            "€\u{81}‚ƒ„…†‡ˆ‰Š‹Œ\u{8D}Ž\u{8F}\u{90}‘’“”•–—˜™š›œ\u{9D}žŸ"
        );
        assert_eq!(decode_1252(b"Fl\xf8debakke \xe6\xe5"), "Flødebakke æå");
        assert_eq!(decode_1252(&[0xAD]), "\u{AD}");
        assert_eq!(percent_decode("a%20b%C3%B8"), "a bø");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("plain"), "plain");
    }
}
