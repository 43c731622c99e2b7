//! Structured e-invoices through the real binary: exact fields with
//! `origin: "structured"`, line items, credit notes, the invoice's own arithmetic,
//! and XML that is not an invoice quarantined with a reason.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples/einvoices")
        .join(name)
}

#[test]
fn e_invoices_are_read_exactly_and_checked() {
    let docs = extract(
        &[
            &sample("peppol-invoice.xml"),
            &sample("oioubl-creditnote.xml"),
            &sample("facturx-invoice.xml"),
        ],
        None,
    );
    assert!(docs.iter().all(|d| d.get("error").is_none()), "{docs:?}");

    let peppol = &docs[0];
    assert_eq!(peppol["text_origin"], "structured");
    assert_eq!(peppol["source"]["media_type"], "application/xml");
    for (field, value) in [
        ("vendor_name", "Nordlys Kontorartikler ApS"),
        ("vendor_vat_id", "DK13585628"),
        ("customer_name", "Fjordside Tømrer A/S"),
        ("invoice_number", "2024-118"),
        ("invoice_date", "2024-03-14"),
        ("due_date", "2024-04-13"),
        ("currency", "DKK"),
        ("subtotal", "1234.50"),
        ("tax_amount", "308.63"),
        ("total", "1543.13"),
        ("iban", "DK5000400440116243"),
    ] {
        let f = &peppol["fields"][field];
        assert_eq!(f["value"], value, "{field}");
        assert_eq!(f["origin"], "structured", "{field}");
        assert_eq!(f["confidence"], 1.0, "{field}");
    }
    assert_eq!(peppol["line_items"].as_array().unwrap().len(), 2);
    assert_eq!(peppol["line_items"][1]["amount"], "739.50");
    // Each row's VAT rate as its XML states it, a decimal percentage string.
    assert_eq!(peppol["line_items"][1]["vat_rate"], "25");
    assert_eq!(
        peppol["decision"]["route"], "auto_post",
        "{}",
        peppol["decision"]
    );

    let credit = &docs[1];
    let reasons = credit["doc_type"]["reasons"].to_string();
    assert!(reasons.contains("credit note (type code 381)"), "{reasons}");
    assert_eq!(credit["fields"]["vendor_vat_id"]["value"], "DK13585628");
    // A line that states no rate has null, not a guess.
    assert!(credit["line_items"][0]["vat_rate"].is_null(), "{credit}");
    assert!(credit["line_items"][0]
        .as_object()
        .unwrap()
        .contains_key("vat_rate"));

    // Its totals are off by 10 cents: an exact reading of a wrong invoice goes to review.
    let facturx = &docs[2];
    assert_eq!(facturx["fields"]["tax_amount"]["value"], "18.92");
    assert_eq!(facturx["line_items"][0]["vat_rate"], "19");
    assert_eq!(facturx["decision"]["route"], "review");
    let reasons = facturx["decision"]["reasons"].to_string();
    assert!(reasons.contains("structured_totals_add_up"), "{reasons}");
}

#[test]
fn dropped_xml_is_posted_or_quarantined_with_a_reason() {
    let inst = Install::new("");
    std::fs::copy(sample("peppol-invoice.xml"), inst.path("inbox/peppol.xml")).unwrap();
    // PDF/A-3 style: the Factur-X XML embedded in a PDF; a PDF with nothing embedded;
    // something that only starts like a PDF.
    let xml = std::fs::read(sample("peppol-invoice.xml")).unwrap();
    std::fs::write(
        inst.path("inbox/facturx.pdf"),
        pdf_with_attachment(Some("factur-x.xml"), &xml),
    )
    .unwrap();
    std::fs::write(inst.path("inbox/plain.pdf"), pdf_with_attachment(None, b"")).unwrap();
    std::fs::write(
        inst.path("inbox/torn.pdf"),
        b"%PDF-1.7\n1 0 obj << /Type /Cat",
    )
    .unwrap();
    std::fs::write(
        inst.path("inbox/feed.xml"),
        "<?xml version=\"1.0\"?><rss><channel/></rss>",
    )
    .unwrap();
    std::fs::write(
        inst.path("inbox/broken.xml"),
        "<?xml version=\"1.0\"?><Invoice><ID>1</Invoice>",
    )
    .unwrap();
    inst.run_to_idle(Duration::from_secs(60));
    let docs = inst.documents();
    let state = |name: &str| docs.iter().find(|d| d.0 == name).unwrap().clone();
    // The XML and the PDF carry the same invoice: the first read is posted, the other
    // held for review naming it, never posted twice.
    let (xml, pdf) = (state("peppol.xml"), state("facturx.pdf"));
    let (posted, held) = if xml.1 == "auto_posted" {
        (xml, pdf)
    } else {
        (pdf, xml)
    };
    assert_eq!(posted.1, "auto_posted", "{posted:?}");
    assert_eq!(held.1, "in_review", "{held:?}");
    let why = held.2.unwrap();
    assert!(
        why.contains("check duplicate_invoice failed: the same invoice (vendor DK")
            && why.contains("number 2024-118")
            && why.contains("(auto_posted)"),
        "{why}"
    );
    let feed = state("feed.xml");
    assert_eq!(feed.1, "quarantined");
    assert!(feed.2.unwrap().contains("not an e-invoice"));
    let broken = state("broken.xml");
    assert_eq!(broken.1, "quarantined");
    assert!(broken.2.unwrap().contains("XML"), "a clear reason");
    // Without an e-invoice inside, the PDF's (blank) page is read the visual way.
    let plain = state("plain.pdf");
    assert_eq!(plain.1, "in_review");
    assert!(plain.2.unwrap().contains("document type is unknown"));
    let torn = state("torn.pdf");
    assert_eq!(torn.1, "quarantined");
    assert!(torn.2.unwrap().contains("not a readable PDF"));
    let files = inst.outbox_files();
    assert_eq!(files.len(), 1, "one invoice, posted once");
    for f in files {
        let posted: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        assert_eq!(posted["fields"]["total"]["value"], "1543.13");
        assert_eq!(posted["fields"]["total"]["origin"], "structured");
        assert_eq!(posted["line_items"].as_array().unwrap().len(), 2);
        if posted["source"]["media_type"] == "application/pdf" {
            let reasons = posted["doc_type"]["reasons"].to_string();
            assert!(reasons.contains("embedded factur-x.xml"), "{reasons}");
        }
    }
}

/// An e-invoice carries whatever its sender typed: a vendor named like a spreadsheet
/// formula was auto-posted (and written to the CSV sink) before. It is held for a
/// person now, with the reason.
#[test]
fn an_e_invoice_whose_vendor_is_a_formula_is_held_for_review() {
    let inst = Install::new("");
    let xml = std::fs::read_to_string(sample("peppol-invoice.xml"))
        .unwrap()
        .replacen(
            "<cbc:RegistrationName>Nordlys Kontorartikler ApS</cbc:RegistrationName>",
            "<cbc:RegistrationName>=HYPERLINK(\"http://evil.example\",\"Nordlys\")</cbc:RegistrationName>",
            1,
        );
    assert!(xml.contains("HYPERLINK"));
    std::fs::write(inst.path("inbox/formula.xml"), xml).unwrap();
    inst.run_to_idle(Duration::from_secs(60));
    let docs = inst.documents();
    assert_eq!(docs[0].1, "in_review", "{docs:?}");
    let why = docs[0].2.as_deref().unwrap();
    assert!(
        why.contains("check markup_in_field failed: vendor_name looks like a spreadsheet formula"),
        "{why}"
    );
    assert!(inst.outbox_files().is_empty(), "nothing posted");
}
