//! An EPC (SEPA) payment QR code printed on a generated invoice scan, through the real
//! binary: read as strong evidence when it agrees with the page, and a check failure
//! that sends the invoice to a person when it does not.

mod common;

use std::path::Path;

use common::*;

/// `page` with an EPC QR code for `payload` drawn in its lower right corner (5 px
/// modules, a 2.4 cm code at 300 dpi, as invoices print them).
fn with_qr(page: &Path, payload: &str, out: &Path) {
    let mut img = image::open(page).unwrap().to_luma8();
    let code = qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M)
        .unwrap();
    let n = code.width() as u32;
    let colors = code.to_colors();
    let module = 5;
    let (x0, y0) = (
        img.width() - (n + 8) * module - 100,
        img.height() - (n + 8) * module - 250,
    );
    for y in 0..(n + 8) * module {
        for x in 0..(n + 8) * module {
            let (mx, my) = (x / module, y / module);
            let dark = mx >= 4
                && my >= 4
                && mx < n + 4
                && my < n + 4
                && colors[((my - 4) * n + (mx - 4)) as usize] == qrcode::Color::Dark;
            img.put_pixel(x0 + x, y0 + y, image::Luma([if dark { 0 } else { 255 }]));
        }
    }
    img.save(out).unwrap();
}

fn epc(iban: &str, bic: &str, amount: &str, name: &str) -> String {
    format!("BCD\n002\n1\nSCT\n{bic}\n{name}\n{iban}\nEUR{amount}\n\n\nInvoice\n")
}

#[test]
fn a_payment_qr_code_is_evidence_and_a_conflict_goes_to_review() {
    let dir = tempfile::tempdir().unwrap();
    let gen = dir.path().join("gen");
    generate(&gen, 1, 43, &["--degradation", "clean", "--language", "de"]);
    let png = images(&gen).remove(0);
    let truth = truth_of(&png);
    let f = |k: &str| truth["fields"][k].as_str().unwrap().to_string();
    assert_eq!(f("currency"), "EUR", "EPC codes are for euro invoices");

    let agrees = dir.path().join("agrees.png");
    with_qr(
        &png,
        &epc(&f("iban"), &f("bic"), &f("total"), &f("vendor_name")),
        &agrees,
    );
    // The same invoice with a code asking for 10 euro more.
    let more = format!("{:.2}", f("total").parse::<f64>().unwrap() + 10.0);
    let differs = dir.path().join("differs.png");
    with_qr(
        &png,
        &epc(&f("iban"), &f("bic"), &more, &f("vendor_name")),
        &differs,
    );

    let docs = extract(&[&agrees, &differs], None);

    let ok = &docs[0];
    for field in ["iban", "bic", "total", "currency"] {
        let v = &ok["fields"][field];
        assert_eq!(v["value"], truth["fields"][field], "{field}: {v}");
        assert_eq!(v["origin"], "structured", "{field}: {v}");
        assert_eq!(v["confidence"], 1.0, "{field}: {v}");
    }
    let check = find_check(ok, "payment_qr_agrees");
    assert_eq!(check["passed"], true, "{check}");

    let bad = &docs[1];
    assert_eq!(bad["decision"]["route"], "review");
    let check = find_check(bad, "payment_qr_agrees");
    assert_eq!(check["passed"], false);
    assert_eq!(check["fields"], serde_json::json!(["total"]));
    assert_eq!(
        check["message"],
        format!(
            "the EPC payment QR code on page 1 says total {more} (the page says {})",
            f("total")
        )
    );
    // What the page says is kept; the IBAN the code confirms is still structured.
    assert_eq!(bad["fields"]["total"]["value"], truth["fields"]["total"]);
    assert_eq!(bad["fields"]["iban"]["origin"], "structured");
}

/// An 8-bit grey QR code for `payload` with its 4-module quiet zone, `module` px a
/// module: (pixels, side).
fn qr_pixels(payload: &str, module: u32) -> (Vec<u8>, u32) {
    let code = qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M)
        .unwrap();
    let n = code.width() as u32;
    let colors = code.to_colors();
    let side = (n + 8) * module;
    let mut px = vec![255u8; (side * side) as usize];
    for y in 0..side {
        for x in 0..side {
            let (mx, my) = (x / module, y / module);
            if mx >= 4
                && my >= 4
                && mx < n + 4
                && my < n + 4
                && colors[((my - 4) * n + (mx - 4)) as usize] == qrcode::Color::Dark
            {
                px[(y * side + x) as usize] = 0;
            }
        }
    }
    (px, side)
}

/// Where the code goes on the page, `[x, y, w, h]` in points from the bottom left: a
/// 3.9 cm square, lower right.
const QR_PLACE: [f64; 4] = [400.0, 100.0, 110.0, 110.0];

/// A born-digital euro invoice (a text layer) with an EPC code for `payload` as an
/// embedded image.
fn text_invoice_with_qr(payload: &str) -> Vec<u8> {
    let mut text = b"BT\n".to_vec();
    for (i, (size, line)) in [
        (14, "Nordlys Kontorartikler ApS"),
        (11, "Vestergade 12, 8000 Aarhus C"),
        (14, "INVOICE"),
        (11, "Invoice number: INV-2024-0042"),
        (11, "Invoice date: 12.03.2024"),
        (11, "Due date: 11.04.2024"),
        (11, "Subtotal: 1.000,00 EUR"),
        (11, "VAT 25%: 250,00 EUR"),
        (11, "Total: 1.250,00 EUR"),
        (11, "IBAN: DK50 0040 0440 1162 43"),
    ]
    .into_iter()
    .enumerate()
    {
        text.extend(at(150, 200 + 70 * i as u32, size, line));
    }
    text.extend(b"ET\n");
    let (data, side) = qr_pixels(payload, 4);
    pdf(
        vec![PdfPage::TextAndImage {
            text,
            data,
            width: side,
            height: side,
            place: QR_PLACE,
        }],
        None,
    )
}

#[test]
fn a_payment_qr_image_on_a_text_layer_page_is_read_too() {
    let dir = tempfile::tempdir().unwrap();
    let agrees = dir.path().join("agrees.pdf");
    let differs = dir.path().join("differs.pdf");
    let (iban, bic, name) = (
        "DK5000400440116243",
        "NDEADKKK",
        "Nordlys Kontorartikler ApS",
    );
    std::fs::write(
        &agrees,
        text_invoice_with_qr(&epc(iban, bic, "1250.00", name)),
    )
    .unwrap();
    std::fs::write(
        &differs,
        text_invoice_with_qr(&epc(iban, bic, "1260.00", name)),
    )
    .unwrap();

    let docs = extract(&[&agrees, &differs], None);

    let ok = &docs[0];
    assert_eq!(ok["text_origin"], "text_layer", "{ok}");
    assert_eq!(
        ok["fields"]["invoice_number"]["origin"], "text_layer",
        "{ok}"
    );
    for (field, value) in [
        ("iban", iban),
        ("total", "1250.00"),
        ("currency", "EUR"),
        ("bic", bic),
    ] {
        let v = &ok["fields"][field];
        assert_eq!(v["value"], value, "{field}: {v}");
        assert_eq!(v["origin"], "structured", "{field}: {v}");
        assert_eq!(v["confidence"], 1.0, "{field}: {v}");
    }
    let check = find_check(ok, "payment_qr_agrees");
    assert_eq!(check["passed"], true, "{check}");
    // The BIC is only in the code: its box is the code's, in the 300 dpi pixels of
    // the page's words, inside the square where the image was placed.
    let px = |pt: f64| pt * 300.0 / 72.0;
    let [x, y, w, h] = QR_PLACE;
    let (left, right) = (px(x), px(x + w));
    let (top, bottom) = (px(842.0 - y - h), px(842.0 - y));
    let bbox: Vec<f64> = serde_json::from_value(ok["fields"]["bic"]["bbox"].clone()).unwrap();
    assert!(
        bbox[0] >= left - 2.0
            && bbox[2] <= right + 2.0
            && bbox[1] >= top - 2.0
            && bbox[3] <= bottom + 2.0,
        "{bbox:?} outside [{left}, {top}, {right}, {bottom}]"
    );
    assert!(bbox[2] - bbox[0] > 0.7 * (right - left), "{bbox:?}");
    assert!(bbox[3] - bbox[1] > 0.7 * (bottom - top), "{bbox:?}");

    // A code asking for 10 euro more fails the same check as on a scanned page.
    let bad = &docs[1];
    assert_eq!(bad["decision"]["route"], "review");
    let check = find_check(bad, "payment_qr_agrees");
    assert_eq!(check["passed"], false);
    assert_eq!(check["fields"], serde_json::json!(["total"]));
    assert_eq!(
        check["message"],
        "the EPC payment QR code on page 1 says total 1260.00 (the page says 1250.00)"
    );
    assert_eq!(bad["fields"]["total"]["value"], "1250.00");
    assert_eq!(bad["fields"]["total"]["origin"], "text_layer");
    assert_eq!(bad["fields"]["iban"]["origin"], "structured");

    // When the extra render fails (here: over the pixel limit, which a text layer
    // never meets), the page is still read from its text layer, without the code.
    let small = Install::new("[limits]\nmax_megapixels = 1\n");
    let doc = &extract(&[&agrees], Some(&small.config()))[0];
    assert_eq!(doc["text_origin"], "text_layer", "{doc}");
    assert_eq!(doc["fields"]["total"]["value"], "1250.00", "{doc}");
    assert_eq!(doc["fields"]["total"]["origin"], "text_layer", "{doc}");
    assert!(doc["fields"]["bic"].is_null(), "{doc}");
    assert!(
        !doc["checks"].to_string().contains("payment_qr_agrees"),
        "{doc}"
    );
}
