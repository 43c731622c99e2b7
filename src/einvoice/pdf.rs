//! The e-invoice inside a PDF/A-3 (Factur-X, ZUGFeRD, XRechnung): an embedded file
//! in the catalogue's `/Names /EmbeddedFiles` tree or its `/AF` array.
//!
//! lopdf reads the PDF (it recovers damaged cross-reference tables); streams are
//! decompressed with a size limit, and name trees are walked to a bounded depth, so
//! a hostile file cannot make this allocate without bound or loop forever. A panic
//! inside the library is caught by the pipeline's guard and quarantines the file.

use lopdf::{Document, Object};

/// Embedded invoice XML names, in order of preference.
const KNOWN: &[&str] = &[
    "factur-x.xml",
    "zugferd-invoice.xml",
    "xrechnung.xml",
    "zugferd_invoice.xml",
];
/// No embedded invoice is larger than this.
const MAX_XML: usize = 50 * 1024 * 1024;
const MAX_DEPTH: usize = 16;

#[derive(Debug, PartialEq)]
pub enum PdfError {
    Unreadable(String),
    Encrypted,
}

impl std::fmt::Display for PdfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PdfError::Unreadable(m) => write!(f, "unreadable PDF: {m}"),
            PdfError::Encrypted => write!(f, "the PDF is encrypted"),
        }
    }
}

pub fn looks_like_pdf(data: &[u8]) -> bool {
    data.len() > 5
        && data[..1024.min(data.len())]
            .windows(5)
            .any(|w| w == b"%PDF-")
}

/// The embedded invoice XML, as (file name, bytes), or `None` when the PDF has none.
pub fn embedded_xml(data: &[u8]) -> Result<Option<(String, Vec<u8>)>, PdfError> {
    let doc = Document::load_mem(data).map_err(|e| PdfError::Unreadable(e.to_string()))?;
    if doc.is_encrypted() {
        return Err(PdfError::Encrypted);
    }
    let catalog = doc
        .catalog()
        .map_err(|e| PdfError::Unreadable(format!("no catalogue: {e}")))?;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    if let Ok(names) = catalog.get_deref(b"Names", &doc) {
        if let Ok(Object::Dictionary(names)) = doc.dereference(names).map(|(_, o)| o) {
            if let Ok(tree) = names.get_deref(b"EmbeddedFiles", &doc) {
                walk(&doc, tree, 0, &mut files);
            }
        }
    }
    if let Ok(Object::Array(af)) = catalog.get_deref(b"AF", &doc) {
        for spec in af {
            if let Some(f) = file_spec(&doc, spec) {
                files.push(f);
            }
        }
    }
    let pick = KNOWN
        .iter()
        .find_map(|k| files.iter().position(|(n, _)| n.eq_ignore_ascii_case(k)))
        .or_else(|| {
            files
                .iter()
                .position(|(n, _)| n.to_lowercase().ends_with(".xml"))
        });
    Ok(pick.map(|i| files.swap_remove(i)))
}

fn walk(doc: &Document, node: &Object, depth: usize, out: &mut Vec<(String, Vec<u8>)>) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok((_, Object::Dictionary(dict))) = doc.dereference(node) else {
        return;
    };
    if let Ok(Object::Array(pairs)) = dict.get_deref(b"Names", doc) {
        for pair in pairs.chunks(2) {
            if let [_, spec] = pair {
                if let Some(f) = file_spec(doc, spec) {
                    out.push(f);
                }
            }
        }
    }
    if let Ok(Object::Array(kids)) = dict.get_deref(b"Kids", doc) {
        for kid in kids {
            walk(doc, kid, depth + 1, out);
        }
    }
}

fn file_spec(doc: &Document, spec: &Object) -> Option<(String, Vec<u8>)> {
    let Ok((_, Object::Dictionary(spec))) = doc.dereference(spec) else {
        return None;
    };
    let name = [b"UF".as_slice(), b"F"]
        .iter()
        .find_map(|k| match spec.get_deref(k, doc) {
            Ok(Object::String(bytes, _)) => Some(pdf_text(bytes)),
            _ => None,
        })?;
    let Ok(Object::Dictionary(ef)) = spec.get_deref(b"EF", doc) else {
        return None;
    };
    let stream = [b"F".as_slice(), b"UF"]
        .iter()
        .find_map(|k| match ef.get_deref(k, doc) {
            Ok(Object::Stream(s)) => Some(s),
            _ => None,
        })?;
    let bytes = if stream.dict.has(b"Filter") {
        stream.decompressed_content_with_limit(MAX_XML).ok()?
    } else {
        stream.content.clone()
    };
    Some((name, bytes))
}

/// A PDF text string: UTF-16BE with a byte order mark, else PDFDocEncoding (Latin-1
/// for the file names that matter here).
fn pdf_text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xfe, 0xff]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    bytes.iter().map(|&b| b as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_names_and_headers() {
        assert_eq!(pdf_text(b"factur-x.xml"), "factur-x.xml");
        assert_eq!(pdf_text(&[0xfe, 0xff, 0, b'a', 0, 0xe6]), "aæ");
        assert!(looks_like_pdf(b"%PDF-1.7\n"));
        assert!(
            looks_like_pdf(b"\x00\x00junk%PDF-1.4\n"),
            "a header after a little junk"
        );
        assert!(!looks_like_pdf(b"<?xml"));
        assert!(matches!(
            embedded_xml(b"%PDF-1.7\nnothing else"),
            Err(PdfError::Unreadable(_))
        ));
    }
}
