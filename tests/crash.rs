//! Kill the real binary (SIGKILL) mid-batch, restart it, and check the durability
//! contract: every input ends in exactly one final state, none is lost, none is
//! recorded twice, and every posted document was written to the outbox exactly once.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;

#[test]
fn sigkill_mid_batch_loses_nothing_and_posts_nothing_twice() {
    let inst = Install::new("[workers]\ncount = 2\n");
    let gen = inst.path("gen");
    generate(&gen, 10, 23, &["--degradation", "clean"]);
    let imgs = images(&gen);
    let names: Vec<String> = imgs
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    inst.fill_inbox(&imgs);

    // 1: kill while intake and the first pages are under way.
    let mut run = inst.spawn_run(&[], "run-1.log");
    let started = wait_until(Duration::from_secs(60), || {
        inst.path("var/mailroom.sqlite3").exists()
            && inst.try_documents().is_some_and(|d| !d.is_empty())
    });
    assert!(started, "nothing ingested");
    std::thread::sleep(Duration::from_millis(700));
    run.kill().unwrap();
    run.wait().unwrap();

    // 2: kill right after the first document was posted.
    let mut run = inst.spawn_run(&[], "run-2.log");
    let posted = wait_until(Duration::from_secs(120), || !inst.outbox_files().is_empty());
    run.kill().unwrap();
    run.wait().unwrap();
    assert!(posted, "nothing posted before the second kill");
    let mid = inst.documents();
    assert!(
        mid.iter().any(|d| !FINAL_STATES.contains(&d.1.as_str()))
            || inst.path("inbox").read_dir().unwrap().count() > 0,
        "the batch was already finished at the second kill; the test would prove nothing: {mid:#?}"
    );

    // 3: run to the end.
    inst.run_to_idle(Duration::from_secs(300));

    let docs = inst.documents();
    let mut per_name: HashMap<&str, usize> = HashMap::new();
    for d in &docs {
        *per_name.entry(d.0.as_str()).or_default() += 1;
        assert!(
            FINAL_STATES.contains(&d.1.as_str()),
            "{} ended in {}",
            d.0,
            d.1
        );
        assert_ne!(
            d.1, "duplicate",
            "a resumed intake was taken for a duplicate: {d:?}"
        );
    }
    for n in &names {
        assert_eq!(
            per_name.get(n.as_str()),
            Some(&1),
            "{n} recorded {:?} times",
            per_name.get(n.as_str())
        );
    }
    assert_eq!(docs.len(), names.len());

    // Each auto-posted document has exactly one outbox file, and no other file exists.
    let db = inst.db();
    let mut st = db
        .prepare("SELECT seq, id FROM documents WHERE state = 'auto_posted'")
        .unwrap();
    let posted: Vec<(i64, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let files = inst.outbox_files();
    assert_eq!(files.len(), posted.len(), "{files:?}");
    for (seq, id) in &posted {
        let expected = inst.path("var/outbox").join(format!("{seq:08}-{id}.json"));
        assert!(files.contains(&expected), "{expected:?} missing");
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&expected).unwrap()).unwrap();
        assert_eq!(doc["id"], serde_json::json!(id));
    }
    // No delivery left pending, no leftover temp files.
    let pending: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM outbox WHERE state != 'delivered'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(pending, 0);
    let stray: Vec<_> = std::fs::read_dir(inst.path("var/outbox"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
    // No document was decided twice (two workers claiming the same document).
    let twice: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM (SELECT document_id FROM transitions
               WHERE to_state IN ('auto_posted', 'in_review', 'quarantined', 'posted', 'rejected')
               GROUP BY document_id HAVING COUNT(*) > 1)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(twice, 0, "a document reached a final state twice");
    // Some documents were resumed after a kill, and that is on record.
    let resumed: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM transitions WHERE reason LIKE 'resumed after restart%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let logs = format!(
        "{}{}",
        std::fs::read_to_string(inst.path("var/run-1.log")).unwrap_or_default(),
        std::fs::read_to_string(inst.path("var/run-2.log")).unwrap_or_default()
    );
    assert!(
        resumed >= 1,
        "no document was mid-processing at a kill; logs:\n{logs}"
    );
}
