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
    let check = ok["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "payment_qr_agrees")
        .expect("a payment QR check");
    assert_eq!(check["passed"], true, "{check}");

    let bad = &docs[1];
    assert_eq!(bad["decision"]["route"], "review");
    let check = bad["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "payment_qr_agrees")
        .expect("a payment QR check");
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
