//! A small, bounded TNEF reader: the attachments of a winmail.dat with their names.
//!
//! Stream: signature `78 9F 3E 22`, a 16-bit key, then attributes: level (1 message,
//! 2 attachment), id (u32, LE), length (u32), data, checksum (u16: sum of the data bytes).
//! `attAttachRendData` starts an attachment; `attAttachTitle` (0x00018010) names it,
//! `attAttachData` (0x0006800F) holds its bytes, `attAttachment` (0x00069005) holds its
//! MAPI properties, where `PR_ATTACH_LONG_FILENAME` (0x3707) is the best name and
//! `PR_ATTACH_DATA_OBJ` (0x3701) may hold the data or an embedded message. All reads are
//! checked; garbage ends the reading with an error, never a panic.

pub(super) const SIGNATURE: [u8; 4] = [0x78, 0x9F, 0x3E, 0x22];

const LVL_MESSAGE: u8 = 1;
const LVL_ATTACHMENT: u8 = 2;
const ATT_OEM_CODEPAGE: u16 = 0x9007;
const ATT_ATTACH_REND_DATA: u16 = 0x9002;
const ATT_ATTACH_TITLE: u16 = 0x8010;
const ATT_ATTACH_DATA: u16 = 0x800F;
const ATT_ATTACHMENT: u16 = 0x9005;
const ATT_ATTACH_TRANSPORT_FILENAME: u16 = 0x9001;

const PR_DISPLAY_NAME: u16 = 0x3001;
const PR_ATTACH_DATA_OBJ: u16 = 0x3701;
const PR_ATTACH_FILENAME: u16 = 0x3704;
const PR_ATTACH_METHOD: u16 = 0x3705;
const PR_ATTACH_LONG_FILENAME: u16 = 0x3707;
const PR_ATTACH_MIME_TAG: u16 = 0x370E;
const PR_ATTACH_CONTENT_ID: u16 = 0x3712;
const PR_ATTACHMENT_HIDDEN: u16 = 0x7FFE;

const PT_STRING8: u16 = 0x001E;
const PT_UNICODE: u16 = 0x001F;
const PT_BINARY: u16 = 0x0102;
const PT_OBJECT: u16 = 0x000D;
const MV_FLAG: u16 = 0x1000;
const ATTACH_EMBEDDED_MSG: u32 = 5;

/// At most this many attributes / MAPI properties are read.
const MAX_ATTRIBUTES: usize = 100_000;

pub(super) enum Content<'a> {
    Data(&'a [u8]),
    /// A TNEF stream of an embedded message.
    Embedded(&'a [u8]),
    None,
}

pub(super) struct File<'a> {
    pub name: Option<String>,
    pub mime: Option<String>,
    pub inline: bool,
    pub content: Content<'a>,
}

pub(super) struct Parsed<'a> {
    pub files: Vec<File<'a>>,
    /// Why reading stopped early.
    pub error: Option<&'static str>,
}

#[derive(Default)]
struct Raw<'a> {
    title: Option<String>,
    transport_name: Option<String>,
    data: Option<&'a [u8]>,
    props: Props<'a>,
}

#[derive(Default)]
struct Props<'a> {
    long_name: Option<String>,
    short_name: Option<String>,
    display_name: Option<String>,
    mime: Option<String>,
    data_obj: Option<&'a [u8]>,
    data_obj_is_object: bool,
    method: Option<u32>,
    hidden: bool,
    content_id: bool,
}

impl<'a> Raw<'a> {
    fn finish(self) -> File<'a> {
        let p = self.props;
        let name = [
            p.long_name,
            self.title,
            p.display_name,
            p.short_name,
            self.transport_name,
        ]
        .into_iter()
        .flatten()
        .find(|n| !n.trim().is_empty());
        let embedded = p.data_obj.and_then(|d| {
            // PT_OBJECT values start with a 16-byte interface id.
            let body = if p.data_obj_is_object {
                d.get(16..)?
            } else {
                d
            };
            (p.method == Some(ATTACH_EMBEDDED_MSG) || body.starts_with(&SIGNATURE))
                .then_some(body)
                .filter(|b| b.starts_with(&SIGNATURE))
        });
        let content = match (self.data, embedded, p.data_obj) {
            (_, Some(e), _) => Content::Embedded(e),
            (Some(d), None, _) => Content::Data(d),
            (None, None, Some(d)) if !p.data_obj_is_object => Content::Data(d),
            _ => Content::None,
        };
        File {
            name,
            mime: p.mime,
            inline: p.hidden || p.content_id,
            content,
        }
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }
    fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }
    fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
    /// Skip up to `n` bytes (padding may be missing at the very end).
    fn skip_lenient(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n).min(self.buf.len());
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

fn checksum(data: &[u8]) -> u16 {
    data.iter().fold(0u16, |s, &b| s.wrapping_add(u16::from(b)))
}

/// Read the attachments of a TNEF stream; stops at the first damage and says why.
pub(super) fn read(data: &[u8]) -> Parsed<'_> {
    let mut files = Vec::new();
    let mut r = Reader::new(data);
    if r.take(4) != Some(&SIGNATURE[..]) {
        return Parsed {
            files,
            error: Some("no TNEF signature"),
        };
    }
    if r.u16().is_none() {
        return Parsed {
            files,
            error: Some("truncated header"),
        };
    }
    let mut utf8_strings = false;
    let mut cur: Option<Raw<'_>> = None;
    let mut error = None;
    let mut n = 0usize;
    while !r.is_empty() {
        n += 1;
        if n > MAX_ATTRIBUTES {
            error = Some("too many attributes");
            break;
        }
        let (Some(level), Some(id), Some(len)) = (r.u8(), r.u32(), r.u32()) else {
            error = Some("truncated attribute");
            break;
        };
        let Some(body) = usize::try_from(len).ok().and_then(|l| r.take(l)) else {
            error = Some("truncated attribute");
            break;
        };
        let Some(sum) = r.u16() else {
            error = Some("truncated attribute");
            break;
        };
        if sum != checksum(body) {
            error = Some("attribute checksum mismatch");
            break;
        }
        let attr = (id & 0xFFFF) as u16;
        match level {
            LVL_MESSAGE if attr == ATT_OEM_CODEPAGE => {
                utf8_strings = body.get(..4) == Some(&65001u32.to_le_bytes()[..]);
            }
            LVL_ATTACHMENT => match attr {
                ATT_ATTACH_REND_DATA => {
                    if let Some(done) = cur.take() {
                        files.push(done.finish());
                    }
                    cur = Some(Raw::default());
                }
                ATT_ATTACH_TITLE => {
                    cur.get_or_insert_with(Raw::default).title = Some(string8(body, utf8_strings));
                }
                ATT_ATTACH_TRANSPORT_FILENAME => {
                    cur.get_or_insert_with(Raw::default).transport_name =
                        Some(string8(body, utf8_strings));
                }
                ATT_ATTACH_DATA => {
                    cur.get_or_insert_with(Raw::default).data = Some(body);
                }
                ATT_ATTACHMENT => {
                    let raw = cur.get_or_insert_with(Raw::default);
                    read_props(body, utf8_strings, &mut raw.props);
                }
                _ => {}
            },
            _ => {}
        }
    }
    if let Some(done) = cur.take() {
        files.push(done.finish());
    }
    Parsed { files, error }
}

/// An 8-bit string: UTF-8 when the code page says so or when it is valid UTF-8,
/// Windows-1252 otherwise; cut at the first NUL.
fn string8(b: &[u8], utf8: bool) -> String {
    let b = b.split(|&c| c == 0).next().unwrap_or_default();
    match std::str::from_utf8(b) {
        Ok(s) => s.to_string(),
        Err(_) if utf8 => String::from_utf8_lossy(b).into_owned(),
        Err(_) => super::decode::decode_1252(b),
    }
}

fn unicode(b: &[u8]) -> String {
    let units = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0);
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

fn fixed_size(ptype: u16) -> Option<usize> {
    Some(match ptype {
        0x0000 | 0x0001 => 0,          // unspecified, null
        0x0002 | 0x000B => 2,          // i16, boolean (padded to 4)
        0x0003 | 0x0004 | 0x000A => 4, // i32, float, error
        0x0005..=0x0007 | 0x0014 | 0x0040 => 8,
        0x0048 => 16, // clsid
        _ => return None,
    })
}

fn padded(n: usize) -> Option<usize> {
    Some(n.checked_add(3)? & !3)
}

/// Read a MAPI property list (attAttachment) into `out`; stops quietly at anything it
/// does not understand, keeping what it read.
fn read_props<'a>(body: &'a [u8], utf8: bool, out: &mut Props<'a>) {
    let _ = read_props_inner(body, utf8, out);
}

fn read_props_inner<'a>(body: &'a [u8], utf8: bool, out: &mut Props<'a>) -> Option<()> {
    let mut r = Reader::new(body);
    let count = usize::try_from(r.u32()?).ok()?.min(MAX_ATTRIBUTES);
    for _ in 0..count {
        let ptype = r.u16()?;
        let pid = r.u16()?;
        if pid >= 0x8000 {
            // Named property: GUID, kind, then an id or a name.
            r.take(16)?;
            match r.u32()? {
                0 => {
                    r.u32()?;
                }
                1 => {
                    let len = usize::try_from(r.u32()?).ok()?;
                    r.take(len)?;
                    r.skip_lenient(padded(len)? - len);
                }
                _ => return None,
            }
        }
        let multi = ptype & MV_FLAG != 0;
        let base = ptype & !MV_FLAG;
        let variable = matches!(base, PT_STRING8 | PT_UNICODE | PT_BINARY | PT_OBJECT);
        let fixed = fixed_size(base);
        if !variable && fixed.is_none() {
            return None;
        }
        let values = if multi || variable {
            usize::try_from(r.u32()?).ok()?
        } else {
            1
        };
        // Every value takes at least 4 bytes (a length or a padded fixed value).
        if values > r.remaining() / 4 + 1 {
            return None;
        }
        for i in 0..values {
            let value = if let Some(size) = fixed {
                let v = r.take(size)?;
                r.skip_lenient(padded(size)? - size);
                v
            } else {
                let len = usize::try_from(r.u32()?).ok()?;
                let v = r.take(len)?;
                r.skip_lenient(padded(len)? - len);
                v
            };
            if i > 0 || multi {
                continue;
            }
            let text = || match base {
                PT_UNICODE => Some(unicode(value)),
                PT_STRING8 => Some(string8(value, utf8)),
                _ => None,
            };
            match pid {
                PR_ATTACH_LONG_FILENAME => out.long_name = text(),
                PR_ATTACH_FILENAME => out.short_name = text(),
                PR_DISPLAY_NAME => out.display_name = text(),
                PR_ATTACH_MIME_TAG => out.mime = text(),
                PR_ATTACH_CONTENT_ID => out.content_id = text().is_some_and(|s| !s.is_empty()),
                PR_ATTACH_DATA_OBJ if matches!(base, PT_BINARY | PT_OBJECT) => {
                    out.data_obj = Some(value);
                    out.data_obj_is_object = base == PT_OBJECT;
                }
                PR_ATTACH_METHOD if base == 0x0003 => {
                    out.method = value
                        .get(..4)
                        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
                }
                PR_ATTACHMENT_HIDDEN if base == 0x000B => {
                    out.hidden = value.iter().any(|&b| b != 0);
                }
                _ => {}
            }
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;
    use super::super::*;

    #[test]
    fn winmail_dat_with_pdf() {
        let the_pdf = pdf("from outlook");
        let inner_pdf = pdf("embedded");
        let notes = b"just some notes".to_vec();
        let embedded = tnef(&[TnefEntry {
            title: "INNER~1.PDF",
            long_name: Some("inner.pdf"),
            data: Some(&inner_pdf),
            embedded: None,
        }]);
        let winmail = tnef(&[
            TnefEntry {
                title: "SCAN~1.PDF",
                long_name: Some("Scan ÆØÅ 2024.pdf"),
                data: Some(&the_pdf),
                embedded: None,
            },
            TnefEntry {
                title: "notes.txt",
                long_name: None,
                data: Some(&notes),
                embedded: None,
            },
            TnefEntry {
                title: "Forwarded note",
                long_name: None,
                data: None,
                embedded: Some(&embedded),
            },
        ]);
        let raw = top(
            "Outlook",
            &multipart(
                "mixed",
                "w",
                &[
                    text_part("rich text lost"),
                    b64_part(
                        "application/ms-tnef; name=\"winmail.dat\"",
                        "Content-Disposition: attachment; filename=\"winmail.dat\"",
                        &winmail,
                    ),
                ],
            ),
        );
        let e = parse_ok(&raw);
        let got: Vec<_> = e
            .documents
            .iter()
            .map(|d| (d.name.as_str(), d.media_type, d.path.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "Scan ÆØÅ 2024.pdf",
                    MEDIA_PDF,
                    "winmail.dat / Scan ÆØÅ 2024.pdf"
                ),
                (
                    "inner.pdf",
                    MEDIA_PDF,
                    "winmail.dat / Forwarded note / inner.pdf"
                ),
            ],
            "{:?}",
            e.skipped
        );
        assert_eq!(e.documents[0].data, the_pdf);
        assert_eq!(e.documents[1].data, inner_pdf);
        assert_eq!(
            skipped_why(&e, "notes.txt"),
            "not a document type: application/octet-stream"
        );
        assert_eq!(e.skipped[0].path, "winmail.dat / notes.txt");

        // Without a long file name, attAttachTitle names it.
        let short = tnef(&[TnefEntry {
            title: "Rechnung.pdf",
            long_name: None,
            data: Some(&the_pdf),
            embedded: None,
        }]);
        let raw = top(
            "Outlook",
            &multipart(
                "mixed",
                "w",
                &[b64_part("application/vnd.ms-tnef", "", &short)],
            ),
        );
        let e = parse_ok(&raw);
        assert_eq!(e.documents.len(), 1);
        assert_eq!(e.documents[0].name, "Rechnung.pdf");
        assert_eq!(e.documents[0].path, "winmail.dat / Rechnung.pdf");
        assert_eq!(e.documents[0].data, the_pdf);
    }

    #[test]
    fn damaged_winmail_dat_is_reported_not_panicking() {
        let the_pdf = pdf("x");
        let good = tnef(&[
            TnefEntry {
                title: "a.pdf",
                long_name: None,
                data: Some(&the_pdf),
                embedded: None,
            },
            TnefEntry {
                title: "b.pdf",
                long_name: None,
                data: Some(&the_pdf),
                embedded: None,
            },
        ]);
        // Break the checksum of the last attribute (b.pdf's MAPI properties).
        let mut bad = good.clone();
        let n = bad.len();
        bad[n - 1] ^= 0xFF;
        let raw = top(
            "x",
            &multipart("mixed", "w", &[b64_part("application/ms-tnef", "", &bad)]),
        );
        let e = parse_ok(&raw);
        let names: Vec<_> = e.documents.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["a.pdf", "b.pdf"]);
        assert_eq!(
            skipped_why(&e, "unnamed application/ms-tnef"),
            "winmail.dat damaged after 2 entries: attribute checksum mismatch"
        );
        // Every prefix and byte flip of a TNEF stream reads without panicking.
        for cut in 0..good.len() {
            let _ = tnef::read(&good[..cut]);
        }
        for i in 0..good.len() {
            let mut m = good.clone();
            m[i] = m[i].wrapping_add(0x41);
            let _ = tnef::read(&m);
        }
        let garbage = [
            0x78, 0x9F, 0x3E, 0x22, 0, 0, 2, 5, 0x90, 6, 0, 0xFF, 0xFF, 0xFF, 0xFF,
        ];
        assert!(tnef::read(&garbage).error.is_some());
    }
}
