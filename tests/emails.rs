//! Emails dropped in the inbox, through the real binary: each attachment that is a
//! document becomes a document of its own, linked to the email; logos are left out;
//! forwarded messages are opened; a body-only email is read as its text or quarantined.

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;

fn b64(data: &[u8]) -> String {
    // RFC 2045 base64 in 76-character lines, without a crate for a test helper.
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out.as_bytes()
        .chunks(76)
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect::<Vec<_>>()
        .join("\r\n")
}

fn png(w: u32, h: u32, shade: u8) -> Vec<u8> {
    let img = image::GrayImage::from_fn(w, h, |x, y| {
        image::Luma([shade.wrapping_add((x ^ y) as u8 % 7)])
    });
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples/einvoices")
            .join(name),
    )
    .unwrap()
}

/// An invoice email as a supplier's mail program writes it: a text body, a logo shown
/// inline, the invoice PDF (its name in RFC 2231 UTF-8), and a forwarded message that
/// carries a UBL e-invoice.
fn supplier_email(invoice_pdf: &[u8], ubl: &[u8]) -> String {
    let forwarded = format!(
        "From: Fjordside Bogholderi <bogholderi@fjordside.dk>\r\nTo: ap@example.com\r\n\
         Subject: Faktura 2024-118\r\nDate: Thu, 14 Mar 2024 09:00:00 +0100\r\n\
         Message-ID: <inner-1@fjordside.dk>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"inner\"\r\n\r\n\
         --inner\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSe vedhæftede.\r\n\
         --inner\r\nContent-Type: application/xml; name=\"peppol.xml\"\r\n\
         Content-Disposition: attachment; filename=\"peppol.xml\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--inner--\r\n",
        b64(ubl)
    );
    format!(
        "Return-Path: <billing@nordlys.dk>\r\n\
         From: =?UTF-8?Q?Nordlys_Kontorartikler_Bogf=C3=B8ring?= <billing@nordlys.dk>\r\n\
         To: ap@example.com\r\nSubject: =?UTF-8?Q?Faktura_og_videresendt_e-faktura?=\r\n\
         Date: Fri, 15 Mar 2024 10:30:00 +0100\r\nMessage-ID: <abc-123@nordlys.dk>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n\
         --outer\r\nContent-Type: multipart/related; boundary=\"rel\"\r\n\r\n\
         --rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
         <p>Kære kunde, hermed faktura.</p><img src=\"cid:logo@nordlys\">\r\n\
         --rel\r\nContent-Type: image/png\r\nContent-ID: <logo@nordlys>\r\n\
         Content-Disposition: inline; filename=\"logo.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{logo}\r\n\
         --rel--\r\n\
         --outer\r\nContent-Type: application/pdf\r\n\
         Content-Disposition: attachment; filename*=UTF-8''Faktura%20%C3%86%C3%98%C3%85-2024-118.pdf\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{pdf}\r\n\
         --outer\r\nContent-Type: message/rfc822\r\n\r\n{forwarded}\r\n\
         --outer--\r\n",
        logo = b64(&png(180, 60, 40)),
        pdf = b64(invoice_pdf),
    )
}

#[test]
fn an_email_becomes_its_documents() {
    let inst = Install::new("");
    let invoice = pdf(vec![PdfPage::Text(invoice_page())], None);
    let ubl = sample("peppol-invoice.xml");
    std::fs::write(
        inst.path("inbox/invoice.eml"),
        supplier_email(&invoice, &ubl),
    )
    .unwrap();
    // A note without attachments, read as its text (the default), and an email that is
    // cut off in its headers' middle: both end in a known state.
    std::fs::write(
        inst.path("inbox/note.eml"),
        "From: kari@example.com\r\nTo: ap@example.com\r\nSubject: Question\r\nDate: Fri, 15 Mar 2024 11:00:00 +0100\r\n\
         Message-ID: <q-1@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Hello, when will invoice 2024-118 be paid?\r\n",
    )
    .unwrap();
    inst.run_to_idle(Duration::from_secs(120));

    let docs = inst.documents();
    let state = |name: &str| {
        docs.iter()
            .find(|d| d.0 == name)
            .unwrap_or_else(|| panic!("{name} not in {docs:?}"))
            .clone()
    };
    let email = state("invoice.eml");
    assert_eq!(email.1, "unpacked", "{email:?}");
    let reason = email.2.unwrap();
    assert!(
        reason.starts_with("email from Nordlys Kontorartikler Bogføring <billing@nordlys.dk>: 2 document(s): Faktura ÆØÅ-2024-118.pdf, peppol.xml"),
        "{reason}"
    );
    assert!(
        reason.contains("logo.png"),
        "the logo is named as left out: {reason}"
    );
    assert_eq!(
        docs.len(),
        4,
        "the email, its two documents and the note: {docs:?}"
    );

    // Each attachment is a document linked to the email, carrying its headers.
    let db = inst.db();
    let email_id: String = db
        .query_row(
            "SELECT id FROM documents WHERE name = 'invoice.eml'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let children: Vec<(String, String, String)> = db
        .prepare("SELECT name, state, result FROM documents WHERE parent_id = ?1 ORDER BY seq")
        .unwrap()
        .query_map([&email_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(children.len(), 2);
    let pdf_doc: serde_json::Value = serde_json::from_str(&children[0].2).unwrap();
    assert_eq!(children[0].0, "Faktura ÆØÅ-2024-118.pdf");
    assert_eq!(pdf_doc["source"]["media_type"], "application/pdf");
    assert_eq!(pdf_doc["fields"]["invoice_number"]["value"], "2024-118");
    assert_eq!(pdf_doc["fields"]["total"]["origin"], "text_layer");
    let from = &pdf_doc["source"]["email"];
    assert_eq!(from["document_id"], email_id.as_str());
    assert_eq!(
        from["from"],
        "Nordlys Kontorartikler Bogføring <billing@nordlys.dk>"
    );
    assert_eq!(from["subject"], "Faktura og videresendt e-faktura");
    assert_eq!(from["message_id"], "abc-123@nordlys.dk");
    assert_eq!(from["date"], "2024-03-15T09:30:00Z");

    let xml_doc: serde_json::Value = serde_json::from_str(&children[1].2).unwrap();
    assert_eq!(children[1].0, "peppol.xml");
    assert_eq!(children[1].1, "auto_posted");
    assert_eq!(xml_doc["fields"]["total"]["value"], "1543.13");
    assert_eq!(xml_doc["fields"]["total"]["origin"], "structured");
    assert!(
        xml_doc["source"]["email"]["part"]
            .as_str()
            .unwrap()
            .contains("Faktura 2024-118"),
        "the part names the forwarded message: {}",
        xml_doc["source"]["email"]
    );
    // The posted e-invoice reached the files sink with its email.
    let posted: Vec<serde_json::Value> = inst
        .outbox_files()
        .iter()
        .map(|f| serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap())
        .collect();
    assert!(posted.iter().any(|p| p["source"]["name"] == "peppol.xml"
        && p["source"]["email"]["message_id"] == "abc-123@nordlys.dk"));

    let note = state("note.eml");
    assert_eq!(note.1, "in_review", "{note:?}");
    let note_doc: String = db
        .query_row(
            "SELECT result FROM documents WHERE name = 'note.eml'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let note_doc: serde_json::Value = serde_json::from_str(&note_doc).unwrap();
    assert_eq!(note_doc["source"]["media_type"], "message/rfc822");
    assert_eq!(note_doc["source"]["email"]["part"], "body");

    // The same email again: a duplicate, and its documents are not made twice.
    std::fs::write(inst.path("inbox/again.eml"), supplier_email(&invoice, &ubl)).unwrap();
    inst.run_to_idle(Duration::from_secs(60));
    let docs = inst.documents();
    let again = docs.iter().find(|d| d.0 == "again.eml").unwrap();
    assert_eq!(again.1, "duplicate");
    assert_eq!(docs.len(), 5);
}

#[test]
fn an_email_without_documents_can_be_quarantined() {
    let inst = Install::new("[email]\nwithout_documents = \"quarantine\"\n");
    std::fs::write(
        inst.path("inbox/zip.eml"),
        format!(
            "From: a@example.com\r\nTo: b@example.com\r\nSubject: archive\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee zip\r\n\
             --b\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; filename=\"scans.zip\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
            b64(b"PK\x03\x04not really a zip")
        ),
    )
    .unwrap();
    inst.run_to_idle(Duration::from_secs(60));
    let docs = inst.documents();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].1, "quarantined");
    let reason = docs[0].2.clone().unwrap();
    assert!(
        reason.starts_with(
            "an email from a@example.com with no document attached; left out: scans.zip"
        ),
        "{reason}"
    );
}

#[test]
fn extract_reads_an_email_body_and_names_an_emails_documents() {
    let dir = tempfile::tempdir().unwrap();
    let note = dir.path().join("note.eml");
    std::fs::write(
        &note,
        "From: kari@example.com\r\nTo: ap@example.com\r\nSubject: Invoice INV-2024-0007\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nNordlys Kontorartikler ApS\r\nVestergade 12, 8000 Aarhus C\r\n\r\n\
         INVOICE\r\nInvoice number: INV-2024-0007\r\nInvoice date: 12.03.2024\r\nDue date: 11.04.2024\r\n\r\n\
         Subtotal: 96,00 EUR\r\nVAT 25%: 24,00 EUR\r\nTotal: 120,00 EUR\r\nIBAN: DK50 0040 0440 1162 43\r\n",
    )
    .unwrap();
    let with_pdf = dir.path().join("with-pdf.eml");
    let invoice = pdf(vec![PdfPage::Text(invoice_page())], None);
    std::fs::write(
        &with_pdf,
        supplier_email(&invoice, &sample("peppol-invoice.xml")),
    )
    .unwrap();
    // One line for the note's body, one per document of the email with two (issue 17:
    // it used to be refused, "each becomes a document of its own under `mailroom run`").
    let out = std::process::Command::new(MAILROOM)
        .arg("extract")
        .args([&note, &with_pdf])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let docs = json_lines(&out);
    assert_eq!(docs.len(), 3, "{docs:?}");
    assert_eq!(docs[0]["source"]["media_type"], "message/rfc822");
    assert_eq!(docs[0]["doc_type"]["value"], "invoice", "{}", docs[0]);
    assert_eq!(
        docs[0]["fields"]["invoice_number"]["value"],
        "INV-2024-0007"
    );
    assert_eq!(docs[0]["fields"]["invoice_number"]["origin"], "text_layer");
    assert_eq!(docs[0]["fields"]["total"]["value"], "120.00");
    let (pdf_doc, xml_doc) = (&docs[1], &docs[2]);
    assert_eq!(
        pdf_doc["source"]["name"], "Faktura ÆØÅ-2024-118.pdf",
        "{pdf_doc}"
    );
    assert_eq!(pdf_doc["source"]["media_type"], "application/pdf");
    assert_eq!(
        pdf_doc["fields"]["invoice_number"]["value"], "2024-118",
        "{pdf_doc}"
    );
    assert_eq!(xml_doc["source"]["name"], "peppol.xml", "{xml_doc}");
    assert_eq!(xml_doc["source"]["media_type"], "application/xml");
    for doc in [pdf_doc, xml_doc] {
        let email = &doc["source"]["email"];
        assert_eq!(email["file"], with_pdf.display().to_string(), "{doc}");
        assert_eq!(
            email["from"], "Nordlys Kontorartikler Bogføring <billing@nordlys.dk>",
            "{doc}"
        );
        assert_eq!(email["message_id"], "abc-123@nordlys.dk", "{doc}");
        assert!(email["part"].is_string(), "{doc}");
    }
    assert_eq!(
        pdf_doc["source"]["email"]["document_id"],
        xml_doc["source"]["email"]["document_id"]
    );
}
