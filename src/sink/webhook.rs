//! Sink "webhook": an HTTP POST of the event's JSON, signed, retried until it lands.
//!
//! Headers on every request:
//! - `Idempotency-Key: {document id}.{revision}`: the same on every resend of one
//!   delivery, different for each event; a receiver drops keys it has seen.
//! - `Mailroom-Event: document.posted` (or `document.needs_review`, `document.quarantined`).
//! - `Mailroom-Delivery: {outbox row id}` and `Mailroom-Attempt: {n}`.
//! - `Mailroom-Signature: t={unix seconds},v1={hex HMAC-SHA256(secret, "{t}.{body}")}`.
//!   A receiver recomputes the HMAC over the timestamp, a full stop and the raw body,
//!   compares in constant time, and rejects timestamps too far from its clock
//!   (replays). [`verify`] does exactly that; the README has a Python version.
//!
//! 2xx is delivered. Network errors, timeouts, 408, 429 and 5xx are retried (with the
//! receiver's `Retry-After` respected); any other status (a 4xx, or a redirect, which
//! is not followed) makes the delivery dead at once with the response kept.

use std::io::Read;
use std::time::Duration;

use hmac::{Hmac, Mac};

use super::{truncate, Outcome, Sink};
use crate::store::{Delivery, Store};

type HmacSha256 = Hmac<sha2::Sha256>;

pub const SIGNATURE_HEADER: &str = "Mailroom-Signature";
/// Response bodies kept in the delivery record, at most.
const KEEP_RESPONSE: usize = 2048;

pub struct WebhookSink {
    url: String,
    secret: String,
    agent: ureq::Agent,
}

impl WebhookSink {
    pub fn new(url: String, secret: String, connect_timeout: Duration, timeout: Duration) -> Self {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(connect_timeout)
            .timeout(timeout)
            .redirects(0)
            .user_agent(concat!("mailroom/", env!("CARGO_PKG_VERSION")))
            .build();
        WebhookSink { url, secret, agent }
    }
}

/// `t={timestamp},v1={hex hmac}` for `body` sent at `timestamp` (unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// What a receiver does: check a `Mailroom-Signature` header against the raw body,
/// accepting timestamps within `tolerance_secs` of `now` (unix seconds).
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64, tolerance_secs: i64) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1 = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    if (now - t).abs() > tolerance_secs {
        return false;
    }
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    mac.verify_slice(&v1).is_ok()
}

/// `Retry-After` as seconds or as an HTTP date.
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    // An HTTP date in any of the three forms RFC 9110 makes receivers accept.
    let at: chrono::DateTime<chrono::Utc> = httpdate::parse_http_date(v).ok()?.into();
    let ms = (at - now).num_milliseconds().max(0);
    Some(Duration::from_millis(ms as u64))
}

fn body_of(resp: ureq::Response) -> String {
    let mut buf = Vec::new();
    let _ = resp
        .into_reader()
        .take(KEEP_RESPONSE as u64 + 4)
        .read_to_end(&mut buf);
    truncate(&String::from_utf8_lossy(&buf), KEEP_RESPONSE)
}

impl Sink for WebhookSink {
    fn deliver(&mut self, d: &Delivery, _store: &Store) -> Outcome {
        let ts = chrono::Utc::now().timestamp();
        let result = self
            .agent
            .post(&self.url)
            .set("Content-Type", "application/json")
            .set("Idempotency-Key", &d.idempotency_key())
            .set("Mailroom-Event", &d.event)
            .set("Mailroom-Delivery", &d.id.to_string())
            .set("Mailroom-Attempt", &d.attempts.to_string())
            .set(SIGNATURE_HEADER, &signature(&self.secret, ts, &d.payload))
            .send_string(&d.payload);
        match result {
            Ok(resp) if (200..300).contains(&resp.status()) => {
                let status = resp.status();
                Outcome::Delivered {
                    status: Some(status),
                    response: Some(body_of(resp)),
                }
            }
            Ok(resp) => {
                // With redirects off, a 3xx arrives here: the URL is wrong, not busy.
                let status = resp.status();
                Outcome::Reject {
                    error: format!("HTTP {status} (redirects are not followed)"),
                    status: Some(status),
                    response: Some(body_of(resp)),
                }
            }
            Err(ureq::Error::Status(code, resp)) => {
                let after = resp
                    .header("Retry-After")
                    .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
                let response = Some(body_of(resp));
                let error = format!("HTTP {code}");
                if code == 408 || code == 429 || code >= 500 {
                    Outcome::Retry {
                        error,
                        status: Some(code),
                        response,
                        after,
                    }
                } else {
                    Outcome::Reject {
                        error,
                        status: Some(code),
                        response,
                    }
                }
            }
            Err(ureq::Error::Transport(t)) => Outcome::Retry {
                error: t.to_string(),
                status: None,
                response: None,
                after: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_a_changed_body_or_old_timestamp_does_not() {
        let sig = signature("s3cret", 1_700_000_000, "{\"a\":1}");
        assert!(sig.starts_with("t=1700000000,v1="));
        assert!(verify("s3cret", &sig, b"{\"a\":1}", 1_700_000_010, 300));
        assert!(!verify("s3cret", &sig, b"{\"a\":2}", 1_700_000_010, 300));
        assert!(!verify("other", &sig, b"{\"a\":1}", 1_700_000_010, 300));
        assert!(!verify("s3cret", &sig, b"{\"a\":1}", 1_700_001_000, 300));
        assert!(!verify("s3cret", "v1=00", b"{\"a\":1}", 1_700_000_010, 300));
    }

    #[test]
    fn known_vector() {
        // HMAC-SHA256(key "key", "1.{}") computed independently with Python's hmac module.
        assert_eq!(
            signature("key", 1, "{}"),
            "t=1,v1=1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224"
        );
    }

    #[test]
    fn retry_after_seconds_or_date() {
        let now = chrono::DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_retry_after("soon", now), None);
        // The obsolete forms a receiver must still accept (RFC 9110, 5.6.7).
        let then = chrono::DateTime::parse_from_rfc3339("1994-11-06T08:49:07Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        for v in ["Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"] {
            assert_eq!(
                parse_retry_after(v, then),
                Some(Duration::from_secs(30)),
                "{v}"
            );
        }
    }
}
