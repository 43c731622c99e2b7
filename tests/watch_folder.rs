//! `mailroom run` on a watched folder, with the real binary, Tesseract and SQLite:
//! files present at start-up, duplicates, corrupt and unsupported input, partial
//! writes, native and polling watchers.

mod common;

use std::io::Write;
use std::time::Duration;

use common::*;

#[test]
fn every_input_ends_in_one_known_state() {
    let inst = Install::new("[workers]\ncount = 2\n");
    let gen = inst.path("gen");
    generate(&gen, 3, 7, &["--degradation", "clean"]);
    let imgs = images(&gen);
    inst.fill_inbox(&imgs);
    // The same bytes under another name: a duplicate, not a second document to post.
    std::fs::copy(&imgs[0], inst.path("inbox/copy-of-first.png")).unwrap();
    // Half a PNG: unreadable, must be quarantined with a reason, not crash the service.
    let png = std::fs::read(&imgs[1]).unwrap();
    std::fs::write(inst.path("inbox/broken.png"), &png[..png.len() / 3]).unwrap();
    std::fs::write(inst.path("inbox/notes.txt"), b"just some words").unwrap();
    // A scanner's partial upload is never taken.
    std::fs::write(inst.path("inbox/scan-0001.png.part"), &png[..100]).unwrap();

    inst.run_to_idle(Duration::from_secs(180));

    let docs = inst.documents();
    assert_eq!(docs.len(), 6, "{docs:#?}");
    for (name, state, reason, _) in &docs {
        assert!(FINAL_STATES.contains(&state.as_str()), "{name} is {state}");
        assert!(
            reason.as_deref().is_some_and(|r| !r.is_empty()),
            "{name} has no reason"
        );
    }
    let by_name = |n: &str| {
        docs.iter()
            .find(|d| d.0 == n)
            .unwrap_or_else(|| panic!("{n} missing: {docs:#?}"))
    };
    // Whichever of the two identical files came first is the document; the other is
    // its duplicate and is not processed again.
    let first_name = imgs[0].file_name().unwrap().to_string_lossy().to_string();
    let pair = [by_name(&first_name), by_name("copy-of-first.png")];
    let dups: Vec<_> = pair.iter().filter(|d| d.1 == "duplicate").collect();
    assert_eq!(dups.len(), 1, "{pair:#?}");
    let original = pair.iter().find(|d| d.1 != "duplicate").unwrap();
    let original_id: String = inst
        .db()
        .query_row(
            "SELECT id FROM documents WHERE name = ?1",
            [&original.0],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(dups[0].3.as_deref(), Some(original_id.as_str()));
    let broken = by_name("broken.png");
    assert_eq!(broken.1, "quarantined");
    assert!(
        broken.2.as_deref().unwrap().starts_with("unreadable image"),
        "{broken:?}"
    );
    let notes = by_name("notes.txt");
    assert_eq!(notes.1, "quarantined");
    assert!(
        notes
            .2
            .as_deref()
            .unwrap()
            .starts_with("unsupported file type"),
        "{notes:?}"
    );

    // Posted documents are in the outbox exactly once; the inbox keeps only the partial file.
    let posted = docs.iter().filter(|d| d.1 == "auto_posted").count();
    assert_eq!(inst.outbox_files().len(), posted);
    let left: Vec<String> = std::fs::read_dir(inst.path("inbox"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, vec!["scan-0001.png.part".to_string()]);
    assert_eq!(
        std::fs::read_dir(inst.path("var/archive")).unwrap().count(),
        6
    );

    // The clean invoices were read, and the CLI shows what waits for review.
    let out = inst
        .command(&["review", "list", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let in_review = docs.iter().filter(|d| d.1 == "in_review").count();
    assert_eq!(listed.as_array().unwrap().len(), in_review);
    assert!(posted + in_review == 3, "{docs:#?}");
}

fn watches_while_running(mode: &str) {
    // A generous stability window: a loaded CI machine may pause this writer.
    let inst = Install::new(&format!(
        "mode = \"{mode}\"\npoll_interval_ms = 200\nstable_ms = 1500\n"
    ));
    let gen = inst.path("gen");
    generate(&gen, 1, 11, &["--degradation", "clean"]);
    let img = &images(&gen)[0];
    let bytes = std::fs::read(img).unwrap();
    let mut child = inst.spawn_run(&[], "run.log");
    std::thread::sleep(Duration::from_millis(800));

    // Write the file in pieces with pauses well under watch.stable_ms (1500 ms).
    let dest = inst.path("inbox/slow-scanner.png");
    let mut f = std::fs::File::create(&dest).unwrap();
    for chunk in bytes.chunks(bytes.len() / 8 + 1) {
        f.write_all(chunk).unwrap();
        f.flush().unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let rows = if inst.path("var/mailroom.sqlite3").exists() {
            inst.documents().len()
        } else {
            0
        };
        assert_eq!(rows, 0, "took a file that was still being written");
    }
    drop(f);
    let done = wait_until(Duration::from_secs(90), || {
        inst.documents()
            .iter()
            .any(|d| FINAL_STATES.contains(&d.1.as_str()))
    });
    let _ = child.kill();
    let _ = child.wait();
    let log = std::fs::read_to_string(inst.path("var/run.log")).unwrap_or_default();
    assert!(done, "not processed:\n{log}");
    let docs = inst.documents();
    assert_eq!(docs.len(), 1);
    assert_ne!(docs[0].1, "quarantined", "{docs:?}\n{log}");
    let sha: String = inst
        .db()
        .query_row("SELECT sha256 FROM documents", [], |r| r.get(0))
        .unwrap();
    use sha2::Digest;
    assert_eq!(sha, hex::encode(sha2::Sha256::digest(&bytes)));
}

#[test]
fn native_events_wait_for_a_complete_file() {
    watches_while_running("native");
}

#[test]
fn polling_watcher_for_network_shares() {
    watches_while_running("poll");
}

fn blank_png(w: u32, h: u32) -> Vec<u8> {
    let img = image::GrayImage::from_pixel(w, h, image::Luma([255]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

#[test]
fn typed_subfolders_and_files_renamed_into_place() {
    let inst = Install::new(
        "folder_types = { invoices = \"invoice\" }\nmode = \"poll\"\npoll_interval_ms = 200\n",
    );
    let gen = inst.path("gen");
    generate(&gen, 1, 11, &["--degradation", "clean"]);
    let invoice = std::fs::read(&images(&gen)[0]).unwrap();
    let mut run = inst.spawn_run(&[], "run.log");
    // The service creates the typed subfolder; a scanner then writes into it, and
    // into the inbox under a temporary name that it renames when done.
    assert!(wait_until(Duration::from_secs(30), || inst
        .path("inbox/invoices")
        .is_dir()));
    std::fs::write(inst.path("inbox/invoices/page.png"), blank_png(1240, 1754)).unwrap();
    std::fs::create_dir_all(inst.path("inbox/elsewhere")).unwrap();
    std::fs::write(inst.path("inbox/elsewhere/left.png"), blank_png(600, 800)).unwrap();
    let part = inst.path("inbox/scan-0042.png.part");
    let mut f = std::fs::File::create(&part).unwrap();
    f.write_all(&invoice[..invoice.len() / 2]).unwrap();
    std::thread::sleep(Duration::from_millis(700));
    f.write_all(&invoice[invoice.len() / 2..]).unwrap();
    drop(f);
    std::fs::rename(&part, inst.path("inbox/scan-0042.png")).unwrap();
    assert!(wait_until(Duration::from_secs(120), || {
        inst.documents()
            .iter()
            .filter(|d| FINAL_STATES.contains(&d.1.as_str()))
            .count()
            == 2
    }));
    // Settle: nothing else may arrive (a rename seen twice, the untyped subfolder).
    std::thread::sleep(Duration::from_secs(2));
    run.kill().unwrap();
    run.wait().unwrap();
    let docs = inst.documents();
    let names: Vec<&str> = docs.iter().map(|d| d.0.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, ["invoices/page.png", "scan-0042.png"], "{docs:?}");
    assert!(
        inst.path("inbox/elsewhere/left.png").exists(),
        "other folders are left alone"
    );
    // A blank page would be "unknown"; in invoices/ it is an invoice (missing its fields).
    let typed: String = inst
        .db()
        .query_row(
            "SELECT result FROM documents WHERE name = 'invoices/page.png'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let typed: serde_json::Value = serde_json::from_str(&typed).unwrap();
    assert_eq!(typed["doc_type"]["value"], "invoice");
    assert_eq!(
        typed["doc_type"]["reasons"][0],
        "dropped in the inbox folder invoices/, which watch.folder_types gives the type invoice"
    );
    assert_eq!(typed["decision"]["route"], "review");
}
