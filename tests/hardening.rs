//! Faults found by trying mailroom as an attacker and as an operator would (issue 17),
//! each reproduced with the real binary.

mod common;

use std::time::Duration;

use common::*;

/// A second `mailroom run` on the same `var` directory (with its own port: the test
/// config listens on port 0) is refused before it recovers anything: the first run's
/// document in flight is not reset to `received` behind its back.
#[test]
fn a_second_run_on_the_same_ledger_is_refused_and_resets_nothing() {
    let inst = Install::new("[workers]\ncount = 1\n");
    let gen = inst.path("gen");
    generate(&gen, 3, 71, &["--degradation", "clean"]);
    inst.fill_inbox(&images(&gen));

    let mut first = inst.spawn_run(&[], "run-1.log");
    let busy = wait_until(Duration::from_secs(120), || {
        inst.try_documents()
            .is_some_and(|d| d.iter().any(|d| d.1 == "processing"))
    });
    assert!(busy, "the first run never started a document");

    let mut second = inst.spawn_run(&[], "run-2.log");
    let ended = wait_until(Duration::from_secs(30), || {
        second.try_wait().unwrap().is_some()
    });
    if !ended {
        second.kill().unwrap();
    }
    let status = second.wait().unwrap();
    let log = std::fs::read_to_string(inst.path("var/run-2.log")).unwrap();
    assert!(
        ended && !status.success(),
        "the second run was not refused: {log}"
    );
    assert!(!log.contains('\u{1b}'), "colour codes in a log file: {log}");
    assert!(
        log.contains("already working on the ledger")
            && log.contains(&inst.path("var").display().to_string()),
        "the refusal does not say why and where: {log}"
    );

    let resumed: i64 = inst
        .db()
        .query_row(
            "SELECT COUNT(*) FROM transitions WHERE reason = 'resumed after restart'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(resumed, 0, "the refused run reset the first run's work");
    assert!(first.try_wait().unwrap().is_none(), "the first run stopped");
    first.kill().unwrap();
    first.wait().unwrap();

    // With the first run gone, its lock goes with it, even after SIGKILL.
    inst.run_to_idle(Duration::from_secs(300));
    for d in inst.documents() {
        assert!(FINAL_STATES.contains(&d.1.as_str()), "{d:?}");
    }
}

/// `user logout` and `user remove` (issue 17): a person who leaves can be signed out
/// everywhere and removed; an unknown name is an error, not silence.
#[test]
fn users_can_be_signed_out_everywhere_and_removed() {
    use std::io::Write;
    let inst = Install::new("");
    let mut add = inst
        .command(&["user", "add", "ann", "--role", "reviewer"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(b"ann password 1\n")
        .unwrap();
    assert!(add.wait().unwrap().success());

    let out = inst.ok(&["user", "logout", "ann"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "ended 0 session(s) of ann"
    );
    let out = inst.ok(&["user", "remove", "ann"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "removed ann");
    let list = inst.ok(&["user", "list"]);
    assert!(!String::from_utf8_lossy(&list.stdout).contains("ann"));
    for cmd in ["remove", "logout"] {
        let out = inst.command(&["user", cmd, "ann"]).output().unwrap();
        assert!(!out.status.success(), "user {cmd} of nobody succeeded");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("no user \"ann\""),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
