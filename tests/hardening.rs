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
    // One run per ledger is SQLite's rule; on PostgreSQL several share the work
    // (tests/postgres_workers.rs).
    let inst = Install::sqlite("[workers]\ncount = 1\n");
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
            "SELECT COUNT(*) FROM transitions WHERE reason LIKE 'resumed after restart%'",
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
/// everywhere and removed; an unknown name is an error, not silence. The sessions are
/// real ones, signed in over HTTP against `mailroom serve` (two browsers), and each
/// command is shown to end them: the cookie that opened the queue a moment before is
/// sent back to the sign-in page after it.
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
    let srv = common::web::start(&inst, &["serve"], "serve.log");
    let base = &srv.base;

    let (laptop, phone) = (
        sign_in(base, "ann", "ann password 1"),
        sign_in(base, "ann", "ann password 1"),
    );
    assert!(signed_in(base, &laptop) && signed_in(base, &phone));
    let out = inst.ok(&["user", "logout", "ann"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "ended 2 session(s) of ann"
    );
    assert!(
        !signed_in(base, &laptop),
        "the laptop's session outlived logout"
    );
    assert!(
        !signed_in(base, &phone),
        "the phone's session outlived logout"
    );
    // The user stays: a new sign-in works.
    let again = sign_in(base, "ann", "ann password 1");
    assert!(signed_in(base, &again));

    let out = inst.ok(&["user", "remove", "ann"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "removed ann");
    assert!(!signed_in(base, &again), "the session outlived its user");
    assert_eq!(
        try_sign_in(base, "ann", "ann password 1").0,
        401,
        "a removed user signs in"
    );
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

/// An HTTP client that shows redirects instead of following them.
fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().redirects(0).build()
}

/// The value of the cookie `name` among a response's `Set-Cookie` headers.
fn set_cookie(r: &ureq::Response, name: &str) -> Option<String> {
    r.all("set-cookie").into_iter().find_map(|c| {
        let (pair, _) = c.split_once(';').unwrap_or((c, ""));
        let (n, v) = pair.split_once('=')?;
        (n == name).then(|| v.to_string())
    })
}

/// Sign in through the login form as a browser does (its CSRF cookie and field):
/// the status, and the session cookie when one was given.
fn try_sign_in(base: &str, name: &str, password: &str) -> (u16, Option<String>) {
    let form = agent().get(&format!("{base}/login")).call().unwrap();
    let csrf_cookie = set_cookie(&form, "mailroom_login_csrf").expect("a login CSRF cookie");
    let html = form.into_string().unwrap();
    let field = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form's CSRF field")
        .to_string();
    let answer = match agent()
        .post(&format!("{base}/login"))
        .set("Cookie", &format!("mailroom_login_csrf={csrf_cookie}"))
        .send_form(&[("csrf", &field), ("name", name), ("password", password)])
    {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("POST /login: {e}"),
    };
    (answer.status(), set_cookie(&answer, "mailroom_session"))
}

fn sign_in(base: &str, name: &str, password: &str) -> String {
    let (status, session) = try_sign_in(base, name, password);
    assert_eq!(status, 303, "sign-in of {name}");
    format!("mailroom_session={}", session.expect("a session cookie"))
}

/// Does this session cookie open the review queue (rather than the sign-in page)?
fn signed_in(base: &str, cookie: &str) -> bool {
    let r = agent()
        .get(&format!("{base}/"))
        .set("Cookie", cookie)
        .call()
        .unwrap();
    match r.status() {
        200 => true,
        303 | 302 | 307 => {
            assert_eq!(r.header("location"), Some("/login"));
            false
        }
        s => panic!("GET / answered {s}"),
    }
}

/// The shipped config names the inbox relative to where mailroom runs. The watcher's
/// events name files by absolute path, and were compared with the relative one: every
/// dropped file waited for the next rescan. With rescans an hour apart, a file dropped
/// while mailroom runs is taken within seconds only if its event is heard.
#[test]
fn a_relative_inbox_hears_its_files_without_waiting_for_a_rescan() {
    // The config is written whole below, ledger in var: on SQLite whatever the suite.
    let inst = Install::sqlite("");
    let doctypes = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/doctypes");
    std::fs::write(
        inst.config(),
        format!(
            "[paths]\ninbox = \"inbox\"\nvar_dir = \"var\"\narchive = \"var/archive\"\ndoctypes = \"{}\"\n\n\
             [web]\nlisten = \"127.0.0.1:0\"\n\n[watch]\nmode = \"native\"\nrescan_interval_secs = 3600\nstable_ms = 300\n",
            doctypes.display()
        ),
    )
    .unwrap();
    std::fs::create_dir_all(inst.path("var")).unwrap();
    let log = std::fs::File::create(inst.path("var/run.log")).unwrap();
    let mut child = std::process::Command::new(MAILROOM)
        .current_dir(inst.path(""))
        .args(["--config", "mailroom.toml", "run"])
        .env("MAILROOM_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let watching = wait_until(Duration::from_secs(30), || {
        std::fs::read_to_string(inst.path("var/run.log")).is_ok_and(|l| l.contains("watching"))
    });
    assert!(watching, "mailroom never started watching");
    // The startup scan is behind us; only the event can bring this file in.
    std::thread::sleep(Duration::from_millis(500));
    std::fs::write(inst.path("inbox/late.txt"), b"not a document").unwrap();
    let taken = wait_until(Duration::from_secs(15), || {
        inst.try_documents()
            .is_some_and(|d| d.iter().any(|d| d.0 == "late.txt"))
    });
    let _ = child.kill();
    let _ = child.wait();
    let log = std::fs::read_to_string(inst.path("var/run.log")).unwrap_or_default();
    assert!(
        taken,
        "a file dropped in the relative inbox was not taken in 15 s\n{log}"
    );
}

/// A document that is taken up and interrupted every time (a file that crashes or
/// hangs the process) was taken first again on every restart, without limit. The
/// ledger as a third crash in a row leaves it: the next start sets it aside.
#[test]
fn a_document_interrupted_three_times_is_quarantined_not_taken_again() {
    let inst = Install::new("");
    std::fs::write(inst.path("inbox/note.txt"), b"not a document").unwrap();
    inst.run_to_idle(Duration::from_secs(60));
    inst.sql(
        "UPDATE documents SET state = 'processing', attempts = 3",
        &[],
    );
    inst.run_to_idle(Duration::from_secs(60));
    let docs = inst.documents();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].1, "quarantined", "{docs:?}");
    let why = docs[0].2.as_deref().unwrap();
    assert!(
        why.starts_with("interrupted 3 times while being read"),
        "{why}"
    );
    // Once more, for a document interrupted only twice: resumed and finished.
    inst.sql(
        "UPDATE documents SET state = 'processing', attempts = 2",
        &[],
    );
    inst.run_to_idle(Duration::from_secs(60));
    let docs = inst.documents();
    assert_eq!(docs[0].1, "quarantined", "{docs:?}");
    let why = docs[0].2.as_deref().unwrap();
    assert!(
        !why.starts_with("interrupted"),
        "read again, quarantined for its own reason: {why}"
    );
}

/// Item 9: WebP and BMP scans were refused ("unsupported file type"); they are read
/// like the PNG they were made from.
#[test]
fn webp_and_bmp_scans_are_read_like_the_png() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), 1, 7, &["--degradation", "clean"]);
    let png = images(dir.path())[0].clone();
    let truth = truth_of(&png);
    let rgb = image::DynamicImage::ImageRgb8(image::open(&png).unwrap().to_rgb8());
    let webp = dir.path().join("scan.webp");
    rgb.save(&webp).unwrap();
    let bmp = dir.path().join("scan.bmp");
    rgb.save(&bmp).unwrap();
    let out = extract(&[&png, &webp, &bmp], None);
    for (doc, media) in out[1..].iter().zip(["image/webp", "image/bmp"]) {
        assert_eq!(doc["source"]["media_type"], media, "{doc}");
        for field in ["invoice_number", "total", "invoice_date"] {
            assert_eq!(
                doc["fields"][field]["value"], truth["fields"][field],
                "{media} {field}: {doc}"
            );
        }
    }
}

/// Operations: SIGTERM, what systemd, Docker and Kubernetes send, stops `mailroom run`
/// cleanly mid-work: no new work is taken, the document being read is finished, nothing
/// is left in `processing`, and a restart finishes the rest, nothing lost or doubled.
/// The log is one JSON object per line with `MAILROOM_LOG_FORMAT=json`.
#[test]
fn sigterm_mid_work_loses_nothing_and_logs_are_json() {
    let inst = Install::new("[workers]\ncount = 1\n");
    let gen = inst.path("gen");
    generate(&gen, 10, 31, &["--degradation", "clean"]);
    let files: Vec<_> = images(&gen)
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "png"))
        .collect();
    inst.fill_inbox(&files);
    std::fs::create_dir_all(inst.path("var")).unwrap();
    let log = std::fs::File::create(inst.path("var/term.log")).unwrap();
    let mut child = inst
        .command(&["run"])
        .env("MAILROOM_LOG_FORMAT", "json")
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let finished = |inst: &Install| {
        inst.try_documents()
            .unwrap_or_default()
            .iter()
            .filter(|d| matches!(d.1.as_str(), "auto_posted" | "in_review"))
            .count()
    };
    assert!(
        wait_until(Duration::from_secs(120), || finished(&inst) >= 1),
        "nothing was read"
    );
    // SAFETY: a plain kill(2) of our own child.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let before = finished(&inst);
    let mut status = None;
    assert!(
        wait_until(Duration::from_secs(120), || {
            status = child.try_wait().unwrap();
            status.is_some()
        }),
        "still running after SIGTERM"
    );
    assert!(status.unwrap().success(), "{:?}", status);
    assert!(
        before < files.len(),
        "the signal came after all the work: nothing tested"
    );
    let docs = inst.documents();
    assert!(
        docs.iter().all(|d| d.1 != "processing"),
        "left in processing: {docs:?}"
    );
    let log = std::fs::read_to_string(inst.path("var/term.log")).unwrap();
    for line in log.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(v["level"].is_string() && v["fields"].is_object(), "{line}");
    }
    assert!(
        log.contains("\"signal\":\"terminate\""),
        "the stop names its signal: {log}"
    );

    // The rest is read after a restart: every file exactly once.
    inst.run_to_idle(Duration::from_secs(300));
    let docs = inst.documents();
    assert_eq!(docs.len(), files.len(), "{docs:?}");
    assert!(
        docs.iter()
            .all(|d| matches!(d.1.as_str(), "auto_posted" | "in_review")),
        "{docs:?}"
    );
}

/// Item 9: a PDF whose cross-reference table is missing (cut off with its trailer) or
/// points nowhere is repaired the way other readers do it, and read like the whole file.
#[test]
fn a_pdf_with_a_missing_or_broken_xref_is_read_like_the_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = pdf(vec![PdfPage::Text(invoice_page())], None);
    // lopdf writes the table as a cross-reference stream, the last object.
    let last = |needle: &[u8], before: usize| {
        good[..before]
            .windows(needle.len())
            .rposition(|w| w == needle)
            .unwrap_or_else(|| panic!("no {:?}", String::from_utf8_lossy(needle)))
    };
    let table = last(b"/Type/XRef", good.len());
    let at = last(b"\n6 0 obj", table) + 1;
    let whole = dir.path().join("whole.pdf");
    std::fs::write(&whole, &good).unwrap();
    let cut = dir.path().join("no-xref.pdf");
    std::fs::write(&cut, &good[..at]).unwrap();
    // The table is there, but `startxref` points 7 bytes into the wrong place.
    let start = last(b"startxref\n", good.len()) + "startxref\n".len();
    let offset: usize = String::from_utf8_lossy(&good[start..])
        .lines()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let mut shifted = good[..start].to_vec();
    shifted.extend_from_slice(format!("{}\n%%EOF\n", offset + 7).as_bytes());
    let broken = dir.path().join("broken-xref.pdf");
    std::fs::write(&broken, &shifted).unwrap();

    let out = extract(&[&whole, &cut, &broken], None);
    for doc in &out[1..] {
        assert!(doc["error"].is_null(), "refused: {doc}");
        for field in ["invoice_number", "total", "invoice_date"] {
            assert_eq!(
                doc["fields"][field]["value"], out[0]["fields"][field]["value"],
                "{field}: {doc}"
            );
        }
    }
}
