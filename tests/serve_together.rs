//! Several `mailroom serve` behind a load balancer (issue 15 point 4, issue 17): the
//! sign-in limit lives in the ledger, so two processes on one PostgreSQL share it.
//! Fifty sign-ins at once, split across both, the right password among them late:
//! only as many passwords are checked as the limit allows in all, never five per
//! process, and only the right one can open a session. Sessions are in the ledger too:
//! a session opened through one process is honoured by the other.
//!
//! Starts its own PostgreSQL: not part of the PostgreSQL pass.

mod common;

use std::io::Write;

use common::web::{start, Server};
use common::*;

/// The limit the review UI applies (`web::ui::auth::MAX_FAILURES`).
const LIMIT: usize = 5;

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().redirects(0).build()
}

fn set_cookie(r: &ureq::Response, name: &str) -> Option<String> {
    r.all("set-cookie").into_iter().find_map(|c| {
        let (pair, _) = c.split_once(';').unwrap_or((c, ""));
        let (n, v) = pair.split_once('=')?;
        (n == name).then(|| v.to_string())
    })
}

/// Sign in through the login form as a browser does: the status and the session
/// cookie when one was given.
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

fn opens_the_queue(base: &str, session: &str) -> bool {
    let r = agent()
        .get(&format!("{base}/"))
        .set("Cookie", &format!("mailroom_session={session}"))
        .call()
        .unwrap();
    r.status() == 200
}

fn install_on_postgres() -> Install {
    let url = mailroom::testing::postgres::fresh_database();
    let inst = Install::sqlite(&format!("[database]\nurl = \"{}\"\n", url.secret()));
    for (name, password) in [("ann", "ann password 1"), ("bob", "bob password 1")] {
        let mut add = inst
            .command(&["user", "add", name, "--role", "reviewer"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        add.stdin
            .take()
            .unwrap()
            .write_all(format!("{password}\n").as_bytes())
            .unwrap();
        assert!(add.wait().unwrap().success());
    }
    inst
}

#[test]
fn two_serve_processes_share_one_sign_in_limit_and_the_sessions() {
    let inst = install_on_postgres();
    let a: Server = start(&inst, &["serve"], "serve-a.log");
    let b: Server = start(&inst, &["serve"], "serve-b.log");
    let bases = [a.base.clone(), b.base.clone()];
    assert_ne!(bases[0], bases[1]);

    // Sessions: opened through one, honoured by the other.
    let (status, session) = try_sign_in(&bases[0], "bob", "bob password 1");
    assert_eq!(status, 303);
    assert!(opens_the_queue(&bases[1], &session.unwrap()));

    let attempts: Vec<_> = (0..50)
        .map(|i| {
            let base = bases[i % 2].clone();
            std::thread::spawn(move || {
                let password = if i == 40 { "ann password 1" } else { "wrong" };
                (i, try_sign_in(&base, "ann", password))
            })
        })
        .collect();
    let (mut judged, mut right_got_in) = (0, false);
    for t in attempts {
        let (i, (status, session)) = t.join().unwrap();
        match status {
            429 => assert!(session.is_none()),
            401 => judged += 1,
            303 => {
                assert_eq!(i, 40, "a wrong password got a session");
                judged += 1;
                right_got_in = true;
            }
            other => panic!("attempt {i}: {other}"),
        }
    }
    // Per process, each would have checked five.
    assert!(
        judged <= LIMIT,
        "{judged} of 50 attempts across two processes had their password checked"
    );
    if !right_got_in {
        for base in &bases {
            assert_eq!(
                try_sign_in(base, "ann", "ann password 1").0,
                429,
                "the limit did not hold on {base}"
            );
        }
    }
    // Another name is not held up.
    assert_eq!(try_sign_in(&bases[1], "bob", "bob password 1").0, 303);
}
