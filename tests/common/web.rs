//! The web server of an installation, and HTTP calls to it.

use std::process::Child;
use std::time::Duration;

use serde_json::Value;

use super::{wait_until, Install};

/// A running web server on an installation, killed on drop.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `mailroom <args>` and wait for the address it writes to var/web.addr.
pub fn start(inst: &Install, args: &[&str], log: &str) -> Server {
    let addr_file = inst.path("var/web.addr");
    let _ = std::fs::remove_file(&addr_file);
    std::fs::create_dir_all(inst.path("var")).unwrap();
    let logf = std::fs::File::create(inst.path(&format!("var/{log}"))).unwrap();
    let child = inst
        .command(args)
        .stdout(std::process::Stdio::null())
        .stderr(logf)
        .spawn()
        .unwrap();
    assert!(
        wait_until(Duration::from_secs(30), || addr_file.exists()),
        "the server did not start: {}",
        std::fs::read_to_string(inst.path(&format!("var/{log}"))).unwrap_or_default()
    );
    let addr = std::fs::read_to_string(&addr_file).unwrap();
    Server {
        child,
        base: format!("http://{addr}"),
    }
}

/// One request; returns the status and the body as JSON (or `Value::Null`).
pub fn call(method: &str, url: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let (status, bytes, _) = call_raw(method, url, token, body);
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

pub fn call_raw(
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Vec<u8>, String) {
    let mut req = ureq::request(method, url);
    if let Some(t) = token {
        req = req.set("Authorization", &format!("Bearer {t}"));
    }
    let res = match body {
        Some(b) => req
            .set("Content-Type", "application/json")
            .send_string(&b.to_string()),
        None => req.call(),
    };
    let resp = match res {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let status = resp.status();
    let ctype = resp.content_type().to_string();
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut resp.into_reader(), &mut bytes).unwrap();
    (status, bytes, ctype)
}

pub fn token(inst: &Install, name: &str, scope: &str) -> String {
    let out = inst.ok(&["token", "create", name, "--scope", scope]);
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// POST a text body (a CSV file) with its content type; the status and the JSON answer.
pub fn post_text(url: &str, token: &str, content_type: &str, body: &str) -> (u16, Value) {
    let res = ureq::post(url)
        .set("Authorization", &format!("Bearer {token}"))
        .set("Content-Type", content_type)
        .send_string(body);
    let resp = match res {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("POST {url}: {e}"),
    };
    let status = resp.status();
    let text = resp.into_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}
