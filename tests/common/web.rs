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
    post_bytes(url, token, content_type, body.as_bytes())
}

/// POST bytes (a file upload) with their content type; the status and the JSON answer.
pub fn post_bytes(url: &str, token: &str, content_type: &str, body: &[u8]) -> (u16, Value) {
    let res = ureq::post(url)
        .set("Authorization", &format!("Bearer {token}"))
        .set("Content-Type", content_type)
        .send_bytes(body);
    let resp = match res {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("POST {url}: {e}"),
    };
    let status = resp.status();
    let text = resp.into_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A Prometheus text exposition (format 0.0.4) read strictly, as a scraper reads it:
/// every sample `name{labels} value`, names and label names of the allowed characters,
/// label values escaped, each family's `# HELP` and `# TYPE` before its samples and
/// its samples together, a counter's name ending in `_total`, a histogram's buckets
/// cumulative up to `+Inf` equal to its `_count`, no series twice. Returns each series
/// (`name{a="x",b="y"}` as written) with its value; panics naming the line otherwise.
pub fn prometheus(text: &str) -> std::collections::BTreeMap<String, f64> {
    use std::collections::{BTreeMap, BTreeSet};
    let name_re = regex::Regex::new(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$").unwrap();
    let sample_re =
        regex::Regex::new(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?[0-9]+)?$").unwrap();
    let label_re =
        regex::Regex::new(r#"^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)""#).unwrap();
    assert!(text.ends_with('\n'), "the exposition ends with a line feed");
    let mut series = BTreeMap::new();
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let mut helped = BTreeSet::new();
    let mut finished: BTreeSet<String> = BTreeSet::new();
    let mut current: Option<String> = None;
    // Per histogram: the buckets' (le, count) in order.
    let mut buckets: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let (kw, name) = (parts.next().unwrap(), parts.next().unwrap_or(""));
            assert!(name_re.is_match(name), "bad metric name: {line}");
            if current.as_deref() != Some(name) {
                if let Some(c) = current.take() {
                    finished.insert(c);
                }
                assert!(!finished.contains(name), "{name} is split: {line}");
                current = Some(name.to_string());
            }
            match kw {
                "HELP" => assert!(helped.insert(name.to_string()), "HELP twice: {line}"),
                "TYPE" => {
                    let kind = parts.next().unwrap_or("");
                    assert!(
                        ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                        "bad type: {line}"
                    );
                    if kind == "counter" {
                        assert!(name.ends_with("_total"), "a counter ends in _total: {line}");
                    }
                    assert!(
                        types.insert(name.to_string(), kind.to_string()).is_none(),
                        "TYPE twice: {line}"
                    );
                }
                _ => panic!("a comment other than HELP or TYPE: {line}"),
            }
            continue;
        }
        assert!(
            !line.is_empty() && !line.starts_with('#'),
            "bad line: {line:?}"
        );
        let c = sample_re
            .captures(line)
            .unwrap_or_else(|| panic!("not a sample: {line}"));
        let name = &c[1];
        let family = current
            .clone()
            .unwrap_or_else(|| panic!("a sample before its TYPE: {line}"));
        let kind = types
            .get(&family)
            .unwrap_or_else(|| panic!("a sample before its TYPE: {line}"));
        let suffix = name.strip_prefix(family.as_str()).unwrap_or_else(|| {
            panic!("{name} is not of the family {family} declared before it: {line}")
        });
        match kind.as_str() {
            "histogram" => assert!(
                ["_bucket", "_sum", "_count"].contains(&suffix),
                "histogram sample {name}: {line}"
            ),
            _ => assert_eq!(suffix, "", "{line}"),
        }
        let mut labels = Vec::new();
        if let Some(body) = c.get(3) {
            let mut rest = body.as_str();
            while !rest.is_empty() {
                let l = label_re
                    .captures(rest)
                    .unwrap_or_else(|| panic!("bad label in {line}"));
                labels.push((l[1].to_string(), l[2].to_string()));
                rest = &rest[l[0].len()..];
                rest = rest.strip_prefix(',').unwrap_or(rest);
            }
            let names: BTreeSet<&String> = labels.iter().map(|(n, _)| n).collect();
            assert_eq!(names.len(), labels.len(), "a label twice: {line}");
        }
        let value: f64 = match &c[4] {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            "NaN" => f64::NAN,
            v => v.parse().unwrap_or_else(|_| panic!("bad value: {line}")),
        };
        if kind == "counter" || suffix == "_bucket" || suffix == "_count" {
            assert!(value >= 0.0, "a count below 0: {line}");
        }
        if suffix == "_bucket" {
            let le = labels
                .iter()
                .find(|(n, _)| n == "le")
                .unwrap_or_else(|| panic!("a bucket without le: {line}"));
            let bound = match le.1.as_str() {
                "+Inf" => f64::INFINITY,
                b => b.parse().unwrap_or_else(|_| panic!("bad le: {line}")),
            };
            buckets
                .entry(family.clone())
                .or_default()
                .push((bound, value));
        }
        let key = format!("{name}{}", c.get(2).map_or("", |m| m.as_str()));
        assert!(
            series.insert(key, value).is_none(),
            "a series twice: {line}"
        );
    }
    for (family, list) in &buckets {
        assert!(
            list.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1),
            "{family}: buckets not cumulative: {list:?}"
        );
        let inf = list.last().unwrap();
        assert_eq!(inf.0, f64::INFINITY, "{family}: no +Inf bucket");
        assert_eq!(
            Some(&inf.1),
            series.get(&format!("{family}_count")),
            "{family}: +Inf bucket and count differ"
        );
    }
    series
}
