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

/// The ranker's training command, on a small generated set with the real OCR, so that
/// it cannot rot: it learns weights for the kinds the documents offer enough right and
/// wrong candidates of, the same cases give the same model (the second run reads its
/// pages from the cache, not from Tesseract), and a configuration naming the model
/// reads with it (the ranking itself is tested in `extract::tests`).
#[test]
fn the_ranker_is_trained_by_its_command_and_then_ranks() {
    let inst = Install::new("");
    let docs = inst.path("train");
    generate(
        &docs,
        12,
        1315,
        &["--variety", "wide", "--degradation", "clean"],
    );
    let cache = inst.path("cache");
    let model = inst.path("ranker.json");
    let train = |out: &std::path::Path| {
        let o = inst.ok(&[
            "train-ranker",
            docs.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--pages-cache",
            cache.to_str().unwrap(),
            // A dozen clean pages give a few wrong candidates per kind (two of the
            // text fields' since names keep their accents, `ocr.accents`); the shipped
            // model asks for 10 of each from 320 documents.
            "--min-each",
            "2",
        ]);
        String::from_utf8(o.stdout).unwrap()
    };
    let summary = train(&model);
    eprintln!("{summary}");
    // One folder for the OCR settings in use, one page file per document in it.
    let settings: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(settings.len(), 1, "{settings:?}");
    let cached = std::fs::read_dir(&settings[0]).unwrap().count();
    assert_eq!(cached, 12, "one page file per document");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&model).unwrap()).unwrap();
    assert!(
        json["origin"]
            .as_str()
            .unwrap()
            .starts_with("mailroom train-ranker"),
        "{json}"
    );
    let kinds = json["kinds"].as_object().unwrap();
    assert!(
        kinds.contains_key("text") || kinds.contains_key("party_name"),
        "{summary}"
    );
    // Amounts are chosen by the sum checks, not by the model.
    assert!(!kinds.contains_key("money"), "{summary}");
    let features = json["features"].as_array().unwrap().len();
    for (kind, w) in kinds {
        assert_eq!(w.as_array().unwrap().len(), features + 1, "{kind}");
    }
    let again = inst.path("again.json");
    train(&again);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&std::fs::read(&again).unwrap()).unwrap()
            ["kinds"],
        json["kinds"],
        "the same cases give the same weights"
    );

    // Ranked by the model: a configuration naming it.
    let config = std::fs::read_to_string(inst.path("mailroom.toml"))
        .unwrap()
        .replace(
            "[paths]\n",
            &format!("[paths]\nranker = {:?}\n", model.display().to_string()),
        );
    std::fs::write(inst.path("mailroom.toml"), config).unwrap();
    let files: Vec<String> = common::images(&docs)
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let mut args = vec!["extract"];
    args.extend(files.iter().map(String::as_str));
    let out = String::from_utf8(inst.ok(&args).stdout).unwrap();
    assert_eq!(out.lines().count(), 12);
    for line in out.lines() {
        let doc: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(doc["fields"].is_object(), "{line}");
    }
    // A model file that is not one is refused, naming the file, not ignored.
    std::fs::write(&model, "not a model").unwrap();
    let bad = inst.command(&args).output().unwrap();
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("ranker.json"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}
