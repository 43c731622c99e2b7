//! `mailroom-samples --variety wide` read end to end: the real generator binary writes
//! clean invoices and receipts in languages and layouts mailroom was not built on, the
//! real `mailroom extract --words` reads them with Tesseract, and the truth values must
//! be in what was read. This tests the generator (a value drawn over another, clipped
//! off the page or too small to read fails it), not the extraction, whose accuracy on
//! these documents is what issue 13 is about.

mod common;

use common::{generate, Install};

/// Letters and digits only, lower case: "€ 1.234,56" and "1234.56" both become "123456".
fn compact(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// (values found, values checked, misses) over the documents in `dir`.
fn found_in_ocr(
    inst: &Install,
    dir: &std::path::Path,
    fields: &[&str],
) -> (usize, usize, Vec<String>) {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.to_string_lossy().ends_with(".json"))
        .collect();
    files.sort();
    let mut args = vec!["extract", "--words"];
    let names: Vec<String> = files
        .iter()
        .map(|f| f.to_string_lossy().into_owned())
        .collect();
    args.extend(names.iter().map(String::as_str));
    let out = inst.ok(&args);
    let (mut found, mut checked, mut misses) = (0, 0, vec![]);
    for (line, file) in String::from_utf8(out.stdout).unwrap().lines().zip(&files) {
        let doc: serde_json::Value = serde_json::from_str(line).unwrap();
        let text: String = doc["pages"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["words"].as_array().unwrap().iter())
            .map(|w| compact(w["text"].as_str().unwrap()))
            .collect();
        let truth_path = file.with_extension("truth.json");
        let truth: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&truth_path).unwrap()).unwrap();
        assert_eq!(truth["variety"], "wide");
        for field in fields {
            let Some(value) = truth["fields"][field].as_str() else {
                continue;
            };
            checked += 1;
            let want = compact(value);
            // A Danish CVR is printed without its "dk" as often as with it.
            let alt = want.strip_prefix("dk").unwrap_or(&want);
            if text.contains(&want) || text.contains(alt) {
                found += 1;
            } else {
                misses.push(format!("{}: {field} {value:?}", file.display()));
            }
        }
    }
    (found, checked, misses)
}

/// Floor: 90 % of the values. Measured 2026-12-06 on these seeds: 50 of 51 invoice
/// values (one IBAN misread by one character) and 12 of 12 receipt values. Each value
/// is about 2 % of the invoice share, so the floor allows a few OCR slips, but not one
/// field missing from every document: with the buyer's name left undrawn the share
/// falls to 44 of 51 (86 %) and the test fails (checked).
#[test]
fn wide_documents_print_their_truth_legibly() {
    let inst = Install::new("");
    let inv = inst.path("inv");
    // Two languages the OCR has models for and two it has not, over several layouts.
    generate(
        &inv,
        6,
        1313,
        &["--variety", "wide", "--degradation", "clean"],
    );
    let (found, checked, misses) = found_in_ocr(
        &inst,
        &inv,
        &[
            "invoice_number",
            "vendor_vat_id",
            "customer_name",
            "purchase_order",
            "subtotal",
            "tax_amount",
            "total",
            "iban",
            "bic",
        ],
    );
    let share = found as f64 / checked as f64;
    eprintln!("invoices: {found} of {checked} truth values read; missed {misses:#?}");
    assert!(checked >= 40, "only {checked} values checked");
    assert!(share >= 0.9, "{found} of {checked} read: {misses:#?}");

    let rcp = inst.path("rcp");
    generate(
        &rcp,
        6,
        1314,
        &[
            "--variety",
            "wide",
            "--kind",
            "receipt",
            "--degradation",
            "clean",
        ],
    );
    let (found, checked, misses) = found_in_ocr(&inst, &rcp, &["total", "tax_amount"]);
    eprintln!("receipts: {found} of {checked} truth values read; missed {misses:#?}");
    assert!(checked >= 12);
    assert!(
        found as f64 / checked as f64 >= 0.9,
        "{found} of {checked} read: {misses:#?}"
    );
}
