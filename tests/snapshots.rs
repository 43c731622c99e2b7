//! Snapshot tests: `mailroom extract` (real Tesseract) on the committed samples in
//! `samples/invoices/`, rendered as readable text. Review changes with
//! `cargo insta review`; a change in a value is a change in behaviour.

mod common;

use std::fmt::Write;
use std::path::Path;

use common::*;

fn render(doc: &serde_json::Value) -> String {
    let mut s = String::new();
    writeln!(
        s,
        "doc_type: {} ({})",
        doc["doc_type"]["value"], doc["doc_type"]["confidence"]
    )
    .unwrap();
    for (name, f) in doc["fields"].as_object().unwrap() {
        if f.is_null() {
            writeln!(s, "{name}: null").unwrap();
        } else {
            writeln!(
                s,
                "{name}: {} conf={:.2} origin={} raw={} page={} bbox={}",
                f["value"],
                f["confidence"].as_f64().unwrap(),
                f["origin"].as_str().unwrap(),
                f["raw"],
                f["page"],
                f["bbox"]
            )
            .unwrap();
        }
    }
    for it in doc["line_items"].as_array().unwrap() {
        writeln!(
            s,
            "item: {} qty={} unit={} amount={} conf={:.2}",
            it["description"],
            it["quantity"],
            it["unit_price"],
            it["amount"],
            it["confidence"].as_f64().unwrap()
        )
        .unwrap();
    }
    for c in doc["checks"].as_array().unwrap() {
        writeln!(
            s,
            "check {}: {} ({})",
            c["code"].as_str().unwrap(),
            c["passed"],
            c["message"].as_str().unwrap()
        )
        .unwrap();
    }
    writeln!(s, "route: {}", doc["decision"]["route"]).unwrap();
    for r in doc["decision"]["reasons"].as_array().unwrap() {
        writeln!(s, "  reason: {}", r.as_str().unwrap()).unwrap();
    }
    s
}

#[test]
fn committed_samples() {
    snapshot_folder("samples/invoices");
}

/// Payroll change requests: ticked, crossed and filled boxes, signed and unsigned.
#[test]
fn committed_payroll_forms() {
    snapshot_folder("samples/payroll");
}

/// Till receipts: shadowed, faded, photographed on a table, and a plain light scan.
#[test]
fn committed_receipts() {
    snapshot_folder("samples/receipts");
}

/// The worked fixed form (NSB-112): the reference samples and a placed, heavy scan.
#[test]
fn committed_fixed_forms() {
    snapshot_folder("samples/forms");
}

fn snapshot_folder(folder: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let files: Vec<_> = images(&dir);
    assert!(files.len() >= 3, "{folder} has too few samples");
    let out = std::process::Command::new(MAILROOM)
        .arg("--config")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/mailroom.toml"))
        .arg("extract")
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let docs = json_lines(&out);
    assert_eq!(docs.len(), files.len());
    for (file, doc) in files.iter().zip(&docs) {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        // Output in argument order.
        assert_eq!(doc["source"]["name"], serde_json::json!(name));
        insta::assert_snapshot!(name.replace('.', "_"), render(doc));
    }
}

/// Tesseract's page layout analysis leaves this sample's bold letterhead out
/// altogether (`tesseract inv-100-0089-letterhead.png - --psm 3` starts at the street
/// address); the strip above the first word is read again, and the vendor found.
#[test]
fn a_letterhead_the_page_pass_drops_is_read_again() {
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/invoices/inv-100-0089-letterhead.png");
    let out = std::process::Command::new(MAILROOM)
        .arg("--config")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/mailroom.toml"))
        .args(["extract", "--words"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = &json_lines(&out)[0];
    let truth = truth_of(&file);
    assert_eq!(
        doc["fields"]["vendor_name"]["value"],
        truth["fields"]["vendor_name"]
    );
    // The name came from the second read (its own line ids), not from the footer.
    let words = doc["pages"][0]["words"].as_array().unwrap();
    let lyngholm = words
        .iter()
        .find(|w| w["text"] == "Lyngholm" && w["bbox"][1].as_u64().unwrap() < 400)
        .expect("letterhead word");
    assert!(
        lyngholm["line"].as_u64().unwrap() >= 2_000_000_000,
        "{lyngholm}"
    );
}
