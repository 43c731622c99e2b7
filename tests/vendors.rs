//! Vendor master data, the accounts-payable controls and learning from approvals, end
//! to end: the real binary, real Tesseract, the ledger, the API over real HTTP.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::web::*;
use common::*;
use serde_json::{json, Value};

/// The typed result of the ledger document named `name`.
fn result_of(inst: &Install, name: &str) -> (String, String, Value) {
    let (id, state, result): (String, String, String) = inst
        .db()
        .query_row(
            "SELECT id, state, result FROM documents WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    (id, state, serde_json::from_str(&result).unwrap())
}

/// A supplier stream of one supplier: `count` of its invoices, clean scans.
fn one_supplier(dir: &Path, count: u32, seed: u64) -> Vec<PathBuf> {
    generate(
        dir,
        count,
        seed,
        &[
            "--suppliers",
            "1",
            "--degradation",
            "clean",
            "--language",
            "da",
        ],
    );
    // Beside them: their truth and vendors.csv.
    images(dir)
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "png"))
        .collect()
}

/// The fields to correct so that `doc` says what `truth` says (values as the generator
/// normalises them; the API's parsers read them the same way).
fn corrections(doc: &Value, truth: &Value) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    for (name, want) in truth["fields"].as_object().unwrap() {
        let got = &doc["fields"][name]["value"];
        let same = match (got.as_str(), want.as_str()) {
            (Some(g), Some(w)) => g == w,
            (None, None) => true,
            _ => false,
        };
        if !same {
            out.insert(name.clone(), want.clone());
        }
    }
    out
}

#[test]
fn an_approval_teaches_the_next_invoice_of_the_same_supplier() {
    // Only known suppliers post: the first invoice of a new one always waits for a person.
    let inst = Install::new("[vendors]\nauto_post = \"known\"\n");
    let gen = inst.path("gen");
    let files = one_supplier(&gen, 3, 41);
    let writer = {
        let out = inst.ok(&["token", "create", "erp", "--scope", "write"]);
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };

    // The supplier's first invoice: nobody knows it, so a person looks.
    inst.fill_inbox(&files[..1]);
    inst.run_to_idle(Duration::from_secs(300));
    let first = files[0].file_name().unwrap().to_string_lossy().to_string();
    let (id, state, doc) = result_of(&inst, &first);
    assert_eq!(state, "in_review", "{doc}");
    assert!(
        doc.get("vendor").is_none(),
        "no vendor known yet: {}",
        doc["vendor"]
    );
    assert_eq!(find_check(&doc, "vendor_known")["passed"], false);

    // Corrected to the truth and approved through the API.
    let srv = start(&inst, &["serve"], "serve.log");
    let base = &srv.base;
    let fix = corrections(&doc, &truth_of(&files[0]));
    if !fix.is_empty() {
        let (s, body) = call(
            "POST",
            &format!("{base}/api/v1/documents/{id}/corrections"),
            Some(&writer),
            Some(json!({ "fields": fix })),
        );
        assert_eq!(s, 200, "{body}");
    }
    let (s, body) = call(
        "POST",
        &format!("{base}/api/v1/documents/{id}/approve"),
        Some(&writer),
        None,
    );
    assert_eq!(s, 200, "{body}");
    // The approval made the supplier a vendor record and taught it.
    let (s, list) = call(
        "GET",
        &format!("{base}/api/v1/vendors"),
        Some(&writer),
        None,
    );
    assert_eq!(s, 200);
    let vendors = list["vendors"].as_array().unwrap();
    assert_eq!(vendors.len(), 1, "{list}");
    let truth = truth_of(&files[0]);
    assert_eq!(vendors[0]["name"], truth["fields"]["vendor_name"]);
    assert_eq!(vendors[0]["source"], "approval");
    assert_eq!(vendors[0]["learned"]["documents"], 1);
    assert!(
        vendors[0]["learned"]["fields"]["invoice_number"]["found"] == 1,
        "{list}"
    );
    let vendor_id = vendors[0]["id"].as_i64().unwrap();
    drop(srv);

    // The next two invoices of that supplier are read with what the approval taught.
    inst.fill_inbox(&files[1..]);
    inst.run_to_idle(Duration::from_secs(300));
    for f in &files[1..] {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let (_, _, doc) = result_of(&inst, &name);
        let truth = truth_of(f);
        assert_eq!(doc["vendor"]["id"], vendor_id, "{name}: {}", doc["vendor"]);
        assert_eq!(doc["vendor"]["learned_from"], 1);
        assert_eq!(
            doc["fields"]["vendor_name"]["value"],
            truth["fields"]["vendor_name"]
        );
        let taught: Vec<&str> = doc["fields"]
            .as_object()
            .unwrap()
            .values()
            .filter_map(|f| f["reasons"].as_array())
            .flatten()
            .filter_map(Value::as_str)
            .filter(|r| r.contains("approved document"))
            .collect();
        assert!(
            !taught.is_empty(),
            "{name}: nothing learned was used: {doc}"
        );
        let reasons = doc["decision"]["reasons"].as_array().unwrap();
        // Better than the same page read without what the approval taught: the chance
        // that every field is right is higher, and nothing more holds it.
        let learned = &extract(&[f.as_path()], Some(&inst.config()))[0];
        let fresh = Install::new("");
        let unlearned = &extract(&[f.as_path()], Some(&fresh.config()))[0];
        let all_right = |d: &Value| -> f64 {
            d["fields"]
                .as_object()
                .unwrap()
                .values()
                .filter_map(|f| f["confidence"].as_f64())
                .product()
        };
        assert!(
            all_right(learned) > all_right(unlearned),
            "{name}: {} with learning, {} without",
            all_right(learned),
            all_right(unlearned)
        );
        let n = |d: &Value| d["decision"]["reasons"].as_array().unwrap().len();
        assert!(
            n(learned) <= n(unlearned),
            "{name}: {learned} vs {unlearned}"
        );
        assert_eq!(
            learned["fields"], doc["fields"],
            "extract reads the ledger's vendors too"
        );
        assert!(
            reasons.iter().all(|r| {
                let r = r.as_str().unwrap();
                !r.starts_with("vendor_name") && !r.contains("vendor_known")
            }),
            "{name}: {reasons:?}"
        );
    }

    // Prometheus metrics: every document counted once, the vendor and its lesson.
    let srv = start(&inst, &["serve"], "serve2.log");
    let (s, body, ctype) = call_raw(
        "GET",
        &format!("{}/api/v1/metrics", srv.base),
        Some(&writer),
        None,
    );
    assert_eq!(s, 200);
    assert!(ctype.starts_with("text/plain"), "{ctype}");
    let text = String::from_utf8(body).unwrap();
    let mut documents = 0.0;
    let mut learned = None;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (name, value) = line.rsplit_once(' ').expect("name value");
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("{line}"));
        if name.starts_with("mailroom_documents{") {
            documents += value;
        }
        if name == "mailroom_vendor_approvals_learned" {
            learned = Some(value);
        }
    }
    assert_eq!(documents, files.len() as f64, "{text}");
    assert_eq!(learned, Some(1.0), "{text}");
    assert!(text.contains("mailroom_vendors 1\n"), "{text}");

    // What was learned can be forgotten; the record stays.
    let (s, v) = call(
        "DELETE",
        &format!("{}/api/v1/vendors/{vendor_id}/learned", srv.base),
        Some(&writer),
        None,
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["learned"]["documents"], 0);
    assert_eq!(v["name"], truth["fields"]["vendor_name"]);
}

#[test]
fn master_data_imports_whole_or_not_at_all_and_an_iban_not_on_file_is_held() {
    let inst = Install::new("");
    let gen = inst.path("gen");
    let files = one_supplier(&gen, 1, 43);
    let truth = truth_of(&files[0]);
    let f = &truth["fields"];
    let vat = f["vendor_vat_id"].as_str().unwrap();
    let iban = f["iban"].as_str().unwrap();

    // A file with a bad line is refused whole, each bad line named.
    let bad = inst.path("bad.csv");
    std::fs::write(
        &bad,
        format!(
            "name,vat_id,iban\n\"{}\",{vat},{iban}\nOther ApS,DK12345678,\n",
            f["vendor_name"].as_str().unwrap()
        ),
    )
    .unwrap();
    let out = inst
        .command(&["vendors", "import"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 3: \"DK12345678\" is not a valid VAT id"),
        "{err}"
    );
    assert!(err.contains("nothing was imported"), "{err}");
    let list = inst.ok(&["vendors", "list", "--json"]);
    assert_eq!(String::from_utf8_lossy(&list.stdout).trim(), "[]");

    // Through the API: read scope may not import; a bad file is a 422 with its lines.
    let reader = {
        let out = inst.ok(&["token", "create", "bi", "--scope", "read"]);
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let writer = {
        let out = inst.ok(&["token", "create", "erp", "--scope", "write"]);
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let srv = start(&inst, &["serve"], "serve.log");
    let url = format!("{}/api/v1/vendors", srv.base);
    let body = std::fs::read_to_string(&bad).unwrap();
    let (s, e) = post_text(&url, &reader, "text/csv", &body);
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (403, Some("insufficient_scope"))
    );
    let (s, e) = post_text(&url, &writer, "text/csv", "name,vat,iban\nA,B,C\n");
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (422, Some("invalid_vendors")),
        "{e}"
    );
    assert!(e["error"]["details"][0]
        .as_str()
        .unwrap()
        .contains("unknown column \"vat\""));

    // The supplier is known by its VAT id, with another account on file.
    let other = "DK8700400440116256";
    let good = format!(
        "name,vat_id,iban\n\"{}\",{vat},{other}\n",
        f["vendor_name"].as_str().unwrap()
    );
    let (s, done) = post_text(&url, &writer, "text/csv", &good);
    assert_eq!(s, 200, "{done}");
    assert_eq!(done, json!({"added": 1, "updated": 0}));
    // Importing again updates by VAT id.
    let (_, done) = post_text(&url, &writer, "text/csv", &good);
    assert_eq!(done, json!({"added": 0, "updated": 1}));
    drop(srv);

    // The invoice pays into another account than the one on file: held, whatever else.
    inst.fill_inbox(&files);
    inst.run_to_idle(Duration::from_secs(300));
    let name = files[0].file_name().unwrap().to_string_lossy().to_string();
    let (_, state, doc) = result_of(&inst, &name);
    assert_eq!(state, "in_review", "{doc}");
    assert_eq!(doc["vendor"]["matched_by"], "vat_id", "{}", doc["vendor"]);
    assert_eq!(
        doc["fields"]["iban"]["value"], iban,
        "the page's IBAN is kept"
    );
    let check = find_check(&doc, "iban_on_file");
    assert_eq!(check["passed"], false, "{check}");
    assert!(doc["decision"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r.as_str().unwrap().starts_with("check iban_on_file failed")));
    // Export reads back as an import file.
    let export = inst.ok(&["vendors", "export"]);
    let csv = String::from_utf8(export.stdout).unwrap();
    assert!(
        csv.starts_with("name,vat_id,iban,bic,currency,address,aliases\n"),
        "{csv}"
    );
    assert!(csv.contains(other), "{csv}");
}
