//! Where originals live (`[blobs] url`): S3-compatible object storage, end to end: the
//! real binary against a real S3 server (s3s-fs, started by scripts/s3-server on a free
//! port with a throw-away data folder, installed by `scripts/install-deps --test`).
//! The bucket is inspected and tampered with through the S3 API (object_store), not
//! through the server's folder.
//! A `file://` URL (a shared folder) is checked here too.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::s3::{get, objects, rt, sha256, S3Server};
use common::web::{call, call_raw, start, token};
use common::*;
use object_store::ObjectStoreExt;

/// An installation whose blobs go to `s3://mailroom/<prefix>` on `server`, with the keys
/// in an AWS credentials file.
fn s3_install(server: &S3Server, prefix: &str) -> Install {
    let inst = Install::new("");
    server.use_for_blobs(&inst, prefix);
    inst
}

fn scan() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/invoices/inv-100-0089-letterhead.png")
}

fn einvoice() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/einvoices/peppol-invoice.xml")
}

fn ledger_blobs(inst: &Install) -> Vec<(String, String)> {
    let db = inst.db();
    let mut st = db
        .prepare("SELECT id, sha256 FROM documents ORDER BY seq")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_scan_and_an_e_invoice_live_in_the_bucket_and_are_served_from_it() {
    let server = S3Server::start();
    let inst = s3_install(&server, "prod/blobs");
    inst.fill_inbox(&[scan(), einvoice()]);
    inst.run_to_idle(Duration::from_secs(240));

    let docs = inst.documents();
    assert_eq!(docs.len(), 2, "{docs:?}");
    for (name, state, reason, _) in &docs {
        assert!(
            ["auto_posted", "in_review"].contains(&state.as_str()),
            "{name} ended {state}: {reason:?}"
        );
    }
    // Every blob the ledger names is in the bucket under its sha256, and nothing else;
    // no local blob folder was made.
    let client = server.client();
    let rows = ledger_blobs(&inst);
    let mut expected: Vec<String> = rows
        .iter()
        .map(|(_, sha)| format!("prod/blobs/{}/{sha}.bin", &sha[..2]))
        .collect();
    expected.sort();
    expected.dedup();
    assert_eq!(objects(&client, "prod/blobs"), expected);
    for key in &expected {
        let sha = key.rsplit('/').next().unwrap().trim_end_matches(".bin");
        assert_eq!(sha256(&get(&client, key)), sha);
    }
    assert!(
        !inst.path("var/blobs").exists(),
        "a local blob folder was made"
    );
    assert!(std::fs::read_dir(inst.path("inbox"))
        .unwrap()
        .next()
        .is_none());

    // The API serves the original from the bucket.
    let reader = token(&inst, "reader", "read");
    let web = start(&inst, &["serve"], "serve.log");
    let scan_id = &rows[docs.iter().position(|d| d.0.ends_with(".png")).unwrap()].0;
    let url = format!("{}/api/v1/documents/{scan_id}/original", web.base);
    let (s, bytes, ctype) = call_raw("GET", &url, Some(&reader), None);
    assert_eq!((s, ctype.as_str()), (200, "image/png"));
    assert_eq!(bytes, std::fs::read(scan()).unwrap());
    // Its page image is rebuilt from the object.
    let (s, png, ctype) = call_raw(
        "GET",
        &format!("{}/api/v1/documents/{scan_id}/pages/1", web.base),
        Some(&reader),
        None,
    );
    assert_eq!((s, ctype.as_str()), (200, "image/png"));
    assert!(png.starts_with(b"\x89PNG"));

    // An object overwritten behind mailroom's back is refused, never served.
    let scan_sha = sha256(&bytes);
    let key = format!("prod/blobs/{}/{scan_sha}.bin", &scan_sha[..2]);
    rt().block_on(async {
        client
            .put(
                &key.as_str().into(),
                b"\x89PNG\r\n\x1a\nnot the scan".to_vec().into(),
            )
            .await
            .unwrap();
    });
    let (s, bytes, _) = call_raw("GET", &url, Some(&reader), None);
    assert_eq!(s, 500);
    assert!(!bytes.windows(12).any(|w| w == b"not the scan"));
    let log = std::fs::read_to_string(inst.path("var/serve.log")).unwrap();
    assert!(
        log.contains(&format!(
            "blob {scan_sha} in s3://mailroom/prod/blobs is damaged"
        )),
        "{log}"
    );
    // The e-invoice's untouched object is still served.
    let xml_id = &rows[docs.iter().position(|d| d.0.ends_with(".xml")).unwrap()].0;
    let (s, _) = call(
        "GET",
        &format!("{}/api/v1/documents/{xml_id}", web.base),
        Some(&reader),
        None,
    );
    assert_eq!(s, 200);
    let (s, bytes, _) = call_raw(
        "GET",
        &format!("{}/api/v1/documents/{xml_id}/original", web.base),
        Some(&reader),
        None,
    );
    assert_eq!((s, bytes), (200, std::fs::read(einvoice()).unwrap()));
}

#[test]
fn a_server_that_is_down_stops_the_start_and_the_input_waits() {
    let mut server = S3Server::start();
    let inst = s3_install(&server, "mr");
    server.down();
    inst.fill_inbox(&[einvoice()]);

    let started = std::time::Instant::now();
    let out = inst.command(&["run", "--exit-when-idle"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "cannot reach the blob store s3://mailroom/mr at {}",
            server.endpoint
        )),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("cannot reach").count(),
        1,
        "said once: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(inst.path("inbox/peppol-invoice.xml").exists());

    // The server back (same port, same bucket): the waiting file goes in.
    server.up(Some(&server.port.clone()));
    inst.run_to_idle(Duration::from_secs(120));
    let docs = inst.documents();
    assert_eq!(docs.len(), 1, "{docs:?}");
    assert!(!inst.path("inbox/peppol-invoice.xml").exists());
    assert_eq!(objects(&server.client(), "mr").len(), 1);
}

#[test]
fn a_server_that_goes_away_while_running_leaves_the_file_in_the_inbox_until_it_is_back() {
    let mut server = S3Server::start();
    let inst = s3_install(&server, "mr");
    let mut run = inst.spawn_run(&[], "run.log");
    let log = || std::fs::read_to_string(inst.path("var/run.log")).unwrap_or_default();
    assert!(
        wait_until(Duration::from_secs(30), || inst.try_documents().is_some()),
        "{}",
        log()
    );
    server.down();
    inst.fill_inbox(&[einvoice()]);
    assert!(
        wait_until(Duration::from_secs(90), || log().contains("ingest failed")),
        "{}",
        log()
    );
    assert!(inst.path("inbox/peppol-invoice.xml").exists());
    assert_eq!(inst.documents().len(), 0);

    server.up(Some(&server.port.clone()));
    let done = wait_until(Duration::from_secs(90), || {
        inst.documents()
            .iter()
            .any(|d| d.1 == "auto_posted" || d.1 == "in_review")
    });
    let _ = run.kill();
    let _ = run.wait();
    assert!(done, "{}", log());
    assert!(!inst.path("inbox/peppol-invoice.xml").exists());
    assert_eq!(inst.documents().len(), 1);
}

#[test]
fn backup_copies_the_objects_and_restore_puts_them_back() {
    let server = S3Server::start();
    let inst = s3_install(&server, "live");
    inst.fill_inbox(&[einvoice()]);
    inst.run_to_idle(Duration::from_secs(120));
    let sha = ledger_blobs(&inst)[0].1.clone();

    let backup = inst.path("backup");
    let out = inst.ok(&["backup", backup.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("backed up 1 document(s) and 1 file(s)"));
    let copied = backup.join(format!("blobs/{}/{sha}.bin", &sha[..2]));
    assert_eq!(
        std::fs::read(&copied).unwrap(),
        std::fs::read(einvoice()).unwrap()
    );

    // Into a new installation whose blobs go under another prefix.
    let fresh = s3_install(&server, "restored");
    fresh.ok(&["restore", backup.to_str().unwrap()]);
    let client = server.client();
    let key = format!("restored/{}/{sha}.bin", &sha[..2]);
    assert_eq!(objects(&client, "restored"), vec![key.clone()]);
    assert_eq!(get(&client, &key), std::fs::read(einvoice()).unwrap());
    assert_eq!(fresh.documents().len(), 1);

    // A damaged object is not backed up as if it were the original.
    let live_key = format!("live/{}/{sha}.bin", &sha[..2]);
    rt().block_on(async {
        client
            .put(&live_key.as_str().into(), b"tampered".to_vec().into())
            .await
            .unwrap();
    });
    let out = inst
        .command(&["backup", inst.path("backup2").to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!("blob {sha} in s3://mailroom/live is damaged")),
        "{stderr}"
    );
}

#[test]
fn s3_settings_are_checked_at_start() {
    let inst = Install::new("");
    let config = std::fs::read_to_string(inst.config()).unwrap();
    let run = |blobs: &str| {
        std::fs::write(inst.config(), format!("{config}\n[blobs]\n{blobs}\n")).unwrap();
        let out = inst
            .command(&["status"])
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{blobs}: {out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let e = run("url = \"s3://mailroom/p\"\nendpoint = \"http://127.0.0.1:9\"");
    assert!(
        e.contains("key `blobs.url`: an s3:// blob store needs credentials"),
        "{e}"
    );
    let e = run("url = \"s3:///p\"");
    assert!(
        e.contains("key `blobs.url`: \"s3:///p\" names no bucket"),
        "{e}"
    );
    let e = run("url = \"ftp://host/p\"");
    assert!(e.contains("the scheme \"ftp\" is not supported"), "{e}");
    let e = run("region = \"eu-west-1\"");
    assert!(
        e.contains("key `blobs.region`: applies only to an s3://"),
        "{e}"
    );
    let e = run("url = \"s3://mailroom/p\"\ncredentials_file = \"/nonexistent/creds\"");
    assert!(
        e.contains("key `blobs.credentials_file`: cannot read /nonexistent/creds"),
        "{e}"
    );
}

#[test]
fn a_large_file_goes_up_in_parts_and_comes_back_whole() {
    let server = S3Server::start();
    let inst = s3_install(&server, "big");
    // 20 MiB that do not compress or repeat: three parts of 8, 8 and 4 MiB.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let data: Vec<u8> = (0..20 * 1024 * 1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    std::fs::write(inst.path("inbox/big.bin"), &data).unwrap();
    inst.run_to_idle(Duration::from_secs(120));
    let docs = inst.documents();
    assert_eq!(docs.len(), 1, "{docs:?}");
    let sha = sha256(&data);
    let client = server.client();
    let key = format!("big/{}/{sha}.bin", &sha[..2]);
    assert_eq!(objects(&client, "big"), vec![key.clone()]);
    assert!(get(&client, &key) == data, "the object is not the file");
    // And the API reads it back whole (checked against its sha256 on the way).
    let reader = token(&inst, "reader", "read");
    let web = start(&inst, &["serve"], "serve.log");
    let id = &ledger_blobs(&inst)[0].0;
    let (s, bytes, _) = call_raw(
        "GET",
        &format!("{}/api/v1/documents/{id}/original", web.base),
        Some(&reader),
        None,
    );
    assert_eq!(s, 200);
    assert!(bytes == data, "the served original is not the file");
}

#[test]
fn keys_come_from_the_environment_and_wrong_ones_stop_the_start() {
    let server = S3Server::start();
    let inst = Install::new("");
    let config = std::fs::read_to_string(inst.config()).unwrap();
    std::fs::write(
        inst.config(),
        format!(
            "{config}\n[blobs]\nurl = \"s3://mailroom/env\"\nendpoint = \"{}\"\n",
            server.endpoint
        ),
    )
    .unwrap();
    inst.fill_inbox(&[einvoice()]);
    let run = |secret: &str| {
        inst.command(&["run", "--exit-when-idle"])
            .env("AWS_ACCESS_KEY_ID", "mailroom-test")
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env_remove("AWS_SESSION_TOKEN")
            .output()
            .unwrap()
    };
    let out = run("not-the-secret");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot reach the blob store s3://mailroom/env"),
        "{stderr}"
    );
    assert!(!stderr.contains("not-the-secret"), "{stderr}");
    assert!(inst.path("inbox/peppol-invoice.xml").exists());

    let out = run("mailroom-test-secret");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(inst.documents().len(), 1);
    assert_eq!(objects(&server.client(), "env").len(), 1);
}

#[test]
fn a_file_url_puts_the_blobs_in_that_folder() {
    let inst = Install::new("");
    let shared = inst.path("shared blobs");
    let config = std::fs::read_to_string(inst.config()).unwrap();
    let url = format!("file://{}", shared.display()).replace(' ', "%20");
    std::fs::write(
        inst.config(),
        format!("{config}\n[blobs]\nurl = \"{url}\"\n"),
    )
    .unwrap();
    inst.fill_inbox(&[einvoice()]);
    inst.run_to_idle(Duration::from_secs(120));
    let sha = ledger_blobs(&inst)[0].1.clone();
    assert_eq!(
        std::fs::read(shared.join(&sha[..2]).join(format!("{sha}.bin"))).unwrap(),
        std::fs::read(einvoice()).unwrap()
    );
    assert!(!inst.path("var/blobs").exists());
}
