//! PDFs through the real binary, poppler and Tesseract: text layers (drawn with the
//! `'` and `"` operators too), scanner PDFs with JPEG, CCITT G4 and Flate pages, mixed
//! PDFs, and the files that must end quarantined with a reason (encrypted, truncated,
//! no pages, too many pages, a decompression bomb, OCR over its time limit).

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::*;
use mailroom::text::Pix;

fn assert_invoice_fields(doc: &serde_json::Value, origin: &str) {
    for (field, value) in [
        ("vendor_name", "Nordlys Kontorartikler ApS"),
        ("customer_name", "Fjordside Tømrer A/S"),
        ("invoice_number", "2024-118"),
        ("invoice_date", "2024-03-14"),
        ("due_date", "2024-04-13"),
        ("total", "1543.13"),
        ("iban", "DK5000400440116243"),
    ] {
        let f = &doc["fields"][field];
        assert_eq!(f["value"], value, "{field}: {f}");
        assert_eq!(f["origin"], origin, "{field}: {f}");
    }
}

#[test]
fn a_born_digital_pdf_is_read_from_its_text_layer() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("invoice.pdf");
    std::fs::write(&file, pdf(vec![PdfPage::Text(invoice_page())], None)).unwrap();
    let docs = extract(&[&file], None);
    let doc = &docs[0];
    assert_eq!(doc["source"]["media_type"], "application/pdf");
    assert_eq!(doc["text_origin"], "text_layer");
    assert_eq!(doc["doc_type"]["value"], "invoice");
    // Vendor address, customer and IBAN were drawn with `'` and `"`.
    assert_invoice_fields(doc, "text_layer");
    let vendor = &doc["fields"]["vendor_name"];
    assert_eq!(vendor["page"], 1);
    // Boxes are in pixels of the page at 300 dpi: the letterhead starts 36 pt from the
    // left (150 px) and its baseline is about 47 pt (196 px) from the top.
    let bbox: Vec<u64> = serde_json::from_value(vendor["bbox"].clone()).unwrap();
    assert!((145..=155).contains(&bbox[0]), "{bbox:?}");
    assert!((140..=200).contains(&bbox[1]), "{bbox:?}");
}

/// Issue 13: a purchase order printed beside a label no type file lists ("Your order
/// ref.") is read, from the text layer and from pixels through real Tesseract, with a
/// reason naming the label it resembles, and held for a person: an unlisted label is
/// weaker evidence than a listed one. Before, the field came out `null`.
#[test]
fn a_value_beside_an_unlisted_label_is_read_and_held() {
    let dir = tempfile::tempdir().unwrap();
    let mut page = invoice_page();
    page.extend(b"BT\n");
    page.extend(at(1400, 580, 10, "Your order ref.:"));
    page.extend(at(1900, 580, 10, "PO-88812"));
    page.extend(b"ET\n");
    let file = dir.path().join("invoice.pdf");
    std::fs::write(&file, pdf(vec![PdfPage::Text(page)], None)).unwrap();
    // The same page as a 300 dpi grey scan.
    let scan = dir.path().join("scan");
    let out = Command::new("pdftoppm")
        .args(["-r", "300", "-gray", "-png", "-singlefile"])
        .arg(&file)
        .arg(&scan)
        .output()
        .expect("pdftoppm (Debian package poppler-utils)");
    assert!(out.status.success(), "{out:?}");
    let scan = dir.path().join("scan.png");
    let docs = extract(&[&file, &scan], None);
    for (doc, origin) in docs.iter().zip(["text_layer", "ocr"]) {
        assert_eq!(doc["text_origin"], origin);
        let po = &doc["fields"]["purchase_order"];
        assert_eq!(po["value"], "PO-88812", "{origin}: {po}");
        let why = po["reasons"][0].as_str().unwrap_or_default();
        assert!(
            why.contains("Your order ref.") && why.contains("a label like \"order no\""),
            "{origin}: {po}"
        );
        assert_eq!(
            doc["decision"]["route"], "review",
            "{origin}: {}",
            doc["decision"]
        );
        // The listed labels still read the rest.
        assert_eq!(
            doc["fields"]["invoice_number"]["value"], "2024-118",
            "{origin}"
        );
        assert_eq!(doc["fields"]["total"]["value"], "1543.13", "{origin}");
    }
}

#[test]
fn a_ghostscript_pdf_keeps_every_line() {
    // PostScript printed to PDF by Ghostscript, the way many invoicing systems do.
    let dir = tempfile::tempdir().unwrap();
    let ps = dir.path().join("invoice.ps");
    let mut text = String::from(
        "%!PS\n/Helvetica findfont dup length dict begin {1 index /FID ne {def} {pop pop} ifelse} forall \
         /Encoding ISOLatin1Encoding def currentdict end /HelvL1 exch definefont pop\n\
         /HelvL1 findfont 10 scalefont setfont\n",
    );
    let lines = [
        "Nordlys Kontorartikler ApS",
        "Vestergade 12, 8000 Aarhus C",
        "Invoice",
        "Invoice number: INV-2024-0042",
        "Invoice date: 12.03.2024",
        "Due date: 11.04.2024",
        "Subtotal: 1.000,00 EUR",
        "VAT 25%: 250,00 EUR",
        "Total: 1.250,00 EUR",
        "IBAN: DK50 0040 0440 1162 43",
    ];
    for (i, l) in lines.iter().enumerate() {
        text.push_str(&format!("56 {} moveto ({l}) show\n", 780 - 16 * i));
    }
    text.push_str("showpage\n");
    std::fs::write(&ps, text).unwrap();
    let file = dir.path().join("invoice.pdf");
    let gs = Command::new("gs")
        .args(["-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=pdfwrite"])
        .arg(format!("-sOutputFile={}", file.display()))
        .arg(&ps)
        .output()
        .expect("Ghostscript (Debian package ghostscript; scripts/install-deps --test)");
    assert!(
        gs.status.success(),
        "{}",
        String::from_utf8_lossy(&gs.stderr)
    );
    // The fixture is what it claims: Ghostscript drew the lines after the first with `'`.
    let qdf = dir.path().join("qdf.pdf");
    let q = Command::new("qpdf")
        .args(["--qdf", "--object-streams=disable"])
        .arg(&file)
        .arg(&qdf)
        .output()
        .expect("qpdf (Debian package qpdf; scripts/install-deps --test)");
    assert!(q.status.success(), "{}", String::from_utf8_lossy(&q.stderr));
    let content = String::from_utf8_lossy(&std::fs::read(&qdf).unwrap()).into_owned();
    assert!(
        content.matches(")'").count() >= lines.len() - 2,
        "Ghostscript no longer writes `'`:\n{content}"
    );
    let docs = extract(&[&file], None);
    let doc = &docs[0];
    assert_eq!(doc["text_origin"], "text_layer", "{doc}");
    for (field, value) in [
        ("vendor_name", "Nordlys Kontorartikler ApS"),
        ("invoice_number", "INV-2024-0042"),
        ("invoice_date", "2024-03-12"),
        ("due_date", "2024-04-11"),
        ("subtotal", "1000.00"),
        ("tax_amount", "250.00"),
        ("total", "1250.00"),
        ("iban", "DK5000400440116243"),
    ] {
        assert_eq!(doc["fields"][field]["value"], value, "{field}: {doc}");
    }
}

/// A generated clean invoice scan and its ground truth.
fn scan(dir: &Path, seed: u64) -> (Pix, serde_json::Value) {
    generate(
        dir,
        1,
        seed,
        &["--degradation", "clean", "--language", "da"],
    );
    let png = images(dir).remove(0);
    let img = image::open(&png).unwrap().to_luma8();
    let pix = Pix::from_gray(img.width(), img.height(), img.as_raw()).unwrap();
    (pix, truth_of(&png))
}

fn pdfimages_encodings(file: &Path) -> Vec<String> {
    let out = Command::new("pdfimages")
        .arg("-list")
        .arg(file)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().nth(8).map(String::from))
        .collect()
}

#[test]
fn a_scanner_pdf_is_read_from_its_jpeg_g4_and_flate_pages() {
    let dir = tempfile::tempdir().unwrap();
    let (page, truth) = scan(&dir.path().join("gen"), 31);
    let pages = [
        page.to_gray8().unwrap(),
        page.to_binary(160).unwrap(),
        page.to_2bpp().unwrap(),
    ];
    let file = dir.path().join("scan.pdf");
    std::fs::write(&file, Pix::image_pdf(&pages, 300).unwrap()).unwrap();
    assert_eq!(pdfimages_encodings(&file), ["jpeg", "ccitt", "image"]);
    let docs = extract(&[&file], None);
    let doc = &docs[0];
    assert_eq!(doc["source"]["pages"], 3, "{doc}");
    assert_eq!(doc["text_origin"], "ocr");
    for field in ["invoice_number", "invoice_date", "total", "iban"] {
        assert_eq!(
            doc["fields"][field]["value"], truth["fields"][field],
            "{field}: {}",
            doc["fields"][field]
        );
        assert_eq!(doc["fields"][field]["origin"], "ocr");
    }

    // Each page alone reads the same invoice: G4 (1-bit) and Flate (2-bit) too.
    for (n, p) in pages.iter().enumerate() {
        let one = dir.path().join(format!("page-{n}.pdf"));
        std::fs::write(&one, Pix::image_pdf(std::slice::from_ref(p), 300).unwrap()).unwrap();
        let d = &extract(&[&one], None)[0];
        assert_eq!(
            d["fields"]["invoice_number"]["value"], truth["fields"]["invoice_number"],
            "page {n}: {d}"
        );
        assert_eq!(
            d["fields"]["total"]["value"], truth["fields"]["total"],
            "page {n}: {d}"
        );
    }
}

#[test]
fn a_mixed_pdf_is_read_page_by_page() {
    let dir = tempfile::tempdir().unwrap();
    let (page, truth) = scan(&dir.path().join("gen"), 32);
    let gray = page.gray_bytes().unwrap();
    let img = image::GrayImage::from_raw(page.width(), page.height(), gray).unwrap();
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&img)
        .unwrap();
    // Page 1: a covering letter with a text layer; page 2: the scanned invoice.
    let mut letter = b"BT\n".to_vec();
    letter.extend(at(
        150,
        300,
        11,
        "Dear accounts team, please find our invoice attached.",
    ));
    letter.extend(at(150, 360, 11, "Kind regards, the sender"));
    letter.extend(b"ET\n");
    let file = dir.path().join("mixed.pdf");
    std::fs::write(
        &file,
        pdf(
            vec![
                PdfPage::Text(letter),
                PdfPage::Jpeg {
                    data: jpeg,
                    width: page.width(),
                    height: page.height(),
                    dpi: 300,
                },
            ],
            None,
        ),
    )
    .unwrap();

    // Through the service, so the pages are recorded.
    let inst = Install::new("");
    std::fs::copy(&file, inst.path("inbox/mixed.pdf")).unwrap();
    inst.run_to_idle(Duration::from_secs(120));
    let db = inst.db();
    let origins: Vec<(u32, String)> = db
        .prepare("SELECT number, origin FROM pages ORDER BY number")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        origins,
        [(1, "text_layer".to_string()), (2, "ocr".to_string())]
    );
    let result: String = db
        .query_row("SELECT result FROM documents", [], |r| r.get(0))
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&result).unwrap();
    for field in ["invoice_number", "total"] {
        assert_eq!(
            doc["fields"][field]["value"], truth["fields"][field],
            "{field}"
        );
        assert_eq!(doc["fields"][field]["page"], 2, "{field}");
        assert_eq!(doc["fields"][field]["origin"], "ocr", "{field}");
    }

    // The review UI's page images are rebuilt from the original: the letter rendered,
    // the scan taken out again, each the size its words' boxes refer to.
    let data = std::fs::read(&file).unwrap();
    let limits = mailroom::config::Limits::default();
    let media = mailroom::text::MediaType::sniff(&data).unwrap();
    let info: Vec<(u32, u32, String)> = db
        .prepare("SELECT width, height, transform FROM pages ORDER BY number")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (n, (w, h, t)) in info.iter().enumerate() {
        let t: mailroom::text::Transform = serde_json::from_str(t).unwrap();
        let pix = mailroom::text::render_page(&data, media, n as u32 + 1, &t, &limits).unwrap();
        assert_eq!((pix.width(), pix.height()), (*w, *h), "page {}", n + 1);
    }
}

#[test]
fn bad_pdfs_end_quarantined_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (page, _) = scan(&dir.path().join("gen"), 33);
    let good = pdf(vec![PdfPage::Text(invoice_page())], None);
    let inst = Install::new("[limits]\nmax_pages = 2\n");
    let inbox = inst.path("inbox");

    // Encrypted with a user password (qpdf, AES-256) and with only an owner password,
    // which any reader may open.
    let plain = dir.path().join("plain.pdf");
    std::fs::write(&plain, &good).unwrap();
    for (name, user) in [("locked.pdf", "secret"), ("owner-only.pdf", "")] {
        let out = Command::new("qpdf")
            .args(["--encrypt", user, "owner-pw", "256", "--"])
            .arg(&plain)
            .arg(inbox.join(name))
            .output()
            .expect("qpdf (Debian package qpdf; scripts/install-deps --test)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Cut off after its first object.
    std::fs::write(inbox.join("truncated.pdf"), &good[..good.len().min(120)]).unwrap();
    // A catalogue whose page tree is empty.
    std::fs::write(
        inbox.join("no-pages.pdf"),
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
    )
    .unwrap();
    // Three pages where the limit is two.
    let gray = page.to_gray8().unwrap();
    let three = [
        gray.to_binary(160).unwrap(),
        gray.to_binary(160).unwrap(),
        gray.to_binary(160).unwrap(),
    ];
    std::fs::write(
        inbox.join("three-pages.pdf"),
        Pix::image_pdf(&three, 300).unwrap(),
    )
    .unwrap();
    // A decompression bomb: one 1-bit page of 35000 x 35000 pixels, 150 MB unpacked,
    // a few hundred KB as stored.
    let side = 35_000u32;
    std::fs::write(
        inbox.join("bomb.pdf"),
        pdf(
            vec![PdfPage::Raw {
                data: vec![0xFF; (side as usize / 8) * side as usize],
                width: side,
                height: side,
                bits: 1,
                dpi: 300,
            }],
            None,
        ),
    )
    .unwrap();
    inst.run_to_idle(Duration::from_secs(180));
    let docs = inst.documents();
    let end = |name: &str| {
        let d = docs
            .iter()
            .find(|d| d.0 == name)
            .unwrap_or_else(|| panic!("{name}: {docs:?}"));
        (d.1.clone(), d.2.clone().unwrap_or_default())
    };
    let (state, reason) = end("locked.pdf");
    assert_eq!(state, "quarantined");
    assert_eq!(
        reason,
        "an encrypted PDF that needs a password (none is configured)"
    );
    let (state, reason) = end("owner-only.pdf");
    assert!(
        state == "auto_posted" || state == "in_review",
        "{state}: {reason}"
    );
    let (state, reason) = end("truncated.pdf");
    assert_eq!(state, "quarantined");
    assert!(reason.starts_with("not a readable PDF"), "{reason}");
    let (state, reason) = end("no-pages.pdf");
    assert_eq!(state, "quarantined");
    assert_eq!(reason, "document has no pages", "{reason}");
    let (state, reason) = end("three-pages.pdf");
    assert_eq!(state, "quarantined");
    assert_eq!(reason, "document has more than 2 pages (limits.max_pages)");
    let (state, reason) = end("bomb.pdf");
    assert_eq!(state, "quarantined");
    assert_eq!(
        reason,
        "page 1 is 1225000000 pixels, above the limit of 200000000 (limits.max_megapixels)"
    );
}

#[test]
fn ocr_over_its_time_limit_is_quarantined() {
    let dir = tempfile::tempdir().unwrap();
    let (page, _) = scan(&dir.path().join("gen"), 34);
    let inst = Install::new("[limits]\nmax_ocr_secs_per_page = 0.05\n");
    std::fs::write(
        inst.path("inbox/slow.pdf"),
        Pix::image_pdf(&[page.to_gray8().unwrap()], 300).unwrap(),
    )
    .unwrap();
    inst.run_to_idle(Duration::from_secs(120));
    let docs = inst.documents();
    assert_eq!(docs[0].1, "quarantined");
    assert_eq!(
        docs[0].2.as_deref(),
        Some("OCR of page 1 took longer than 0.05 s (limits.max_ocr_secs_per_page)")
    );
}

/// `qpdf --encrypt USER OWNER 256` of `plain` into `out`.
fn encrypt(plain: &[u8], user: &str, owner: &str, out: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("plain.pdf");
    std::fs::write(&src, plain).unwrap();
    let q = Command::new("qpdf")
        .args(["--encrypt", user, owner, "256", "--"])
        .arg(&src)
        .arg(out)
        .output()
        .expect("qpdf (Debian package qpdf; scripts/install-deps --test)");
    assert!(q.status.success(), "{}", String::from_utf8_lossy(&q.stderr));
}

#[test]
fn encrypted_pdfs_open_with_a_configured_password() {
    let secrets = tempfile::tempdir().unwrap();
    let list = secrets.path().join("pdf-passwords");
    std::fs::write(&list, "user-pw of A\n").unwrap();
    let inst = Install::new(&format!(
        "[pdf]\npasswords = [\"not-this-one\", \"owner-pw-B\"]\npasswords_file = \"{}\"\n",
        list.display()
    ));
    let inbox = inst.path("inbox");
    let page = pdf(vec![PdfPage::Text(invoice_page())], None);
    // Opened by its user password (from the passwords file), by its owner password
    // (inline), by none of them; and a PDF/A-3 e-invoice whose embedded XML is
    // behind the user password.
    encrypt(
        &page,
        "user-pw of A",
        "owner-pw-A",
        &inbox.join("a-user.pdf"),
    );
    encrypt(&page, "user-pw-B", "owner-pw-B", &inbox.join("b-owner.pdf"));
    encrypt(
        &page,
        "user-pw-C",
        "owner-pw-C",
        &inbox.join("c-unknown.pdf"),
    );
    let xml = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/einvoices/peppol-invoice.xml"),
    )
    .unwrap();
    encrypt(
        &pdf_with_attachment(Some("factur-x.xml"), &xml),
        "user-pw of A",
        "owner-pw-D",
        &inbox.join("d-facturx.pdf"),
    );
    let b_data = std::fs::read(inbox.join("b-owner.pdf")).unwrap();
    let run = inst.run_to_idle(Duration::from_secs(180));
    let log = String::from_utf8_lossy(&run.stderr).into_owned();

    let db = inst.db();
    let result = |name: &str| -> (String, Option<String>, serde_json::Value) {
        db.query_row(
            "SELECT state, reason, result FROM documents WHERE name = ?1",
            [name],
            |r| {
                let result: Option<String> = r.get(2)?;
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    result.map_or(serde_json::Value::Null, |j| {
                        serde_json::from_str(&j).unwrap()
                    }),
                ))
            },
        )
        .unwrap_or_else(|e| panic!("{name}: {e}; {:?}", inst.documents()))
    };
    for name in ["a-user.pdf", "b-owner.pdf"] {
        let (state, reason, doc) = result(name);
        assert!(
            state == "auto_posted" || state == "in_review",
            "{name}: {state}: {reason:?}"
        );
        assert_eq!(doc["text_origin"], "text_layer", "{name}: {doc}");
        assert_invoice_fields(&doc, "text_layer");
    }
    let (state, reason, _) = result("c-unknown.pdf");
    assert_eq!(state, "quarantined");
    assert_eq!(
        reason.as_deref(),
        Some("an encrypted PDF that none of the 3 configured passwords (pdf.passwords) opens")
    );
    let (state, reason, doc) = result("d-facturx.pdf");
    assert!(
        state == "auto_posted" || state == "in_review",
        "{state}: {reason:?}"
    );
    assert_eq!(doc["text_origin"], "structured", "{doc}");
    assert_eq!(doc["fields"]["total"]["value"], "1543.13", "{doc}");
    assert_eq!(doc["fields"]["total"]["origin"], "structured", "{doc}");

    // The review UI's page images open the file the same way; without the passwords
    // they cannot.
    let data = b_data;
    let cfg = mailroom::config::Config::load(&inst.config(), true).unwrap();
    let (w, h, t): (u32, u32, String) = db
        .query_row(
            "SELECT p.width, p.height, p.transform FROM pages p JOIN documents d ON d.id = p.document_id WHERE d.name = 'b-owner.pdf'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let t: mailroom::text::Transform = serde_json::from_str(&t).unwrap();
    let media = mailroom::text::MediaType::sniff(&data).unwrap();
    let pix = mailroom::text::render_page(&data, media, 1, &t, &cfg.limits).unwrap();
    assert_eq!((pix.width(), pix.height()), (w, h));
    let e = match mailroom::text::render_page(&data, media, 1, &t, &Default::default()) {
        Ok(_) => panic!("an encrypted page was rendered without its password"),
        Err(e) => e,
    };
    assert_eq!(
        e.to_string(),
        "an encrypted PDF that needs a password (none is configured)"
    );

    // No password reaches the log or a reason.
    let reasons: Vec<String> = inst.documents().into_iter().filter_map(|d| d.2).collect();
    for secret in ["not-this-one", "owner-pw", "user-pw"] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
        assert!(
            !reasons.iter().any(|r| r.contains(secret)),
            "{secret} in {reasons:?}"
        );
    }
}
