//! Sinks: where posted documents (and other events) go, each behind its own dispatcher.
//!
//! The store's outbox holds one row per sink and event, written in the transaction
//! that changed the document's state. One dispatcher thread per sink takes the rows
//! that are due, records that an attempt starts, hands the row to its [`Sink`] and
//! records the [`Outcome`]: delivered, try again later (capped exponential backoff
//! with jitter, or the receiver's `Retry-After`), or dead. Sinks are independent: a
//! webhook that is down backs off on its own thread while files keep being written.

pub mod csv;
pub mod files;
pub mod webhook;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;

use crate::config::{RetryPolicy, SinkConfig, SinkKind};
use crate::doorbell::Doorbell;
use crate::store::outbox::now_ms;
use crate::store::{AttemptRecord, Delivery, Store, StoreError};

/// How one attempt went.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Delivered {
        status: Option<u16>,
        response: Option<String>,
    },
    /// Worth trying again: network errors, timeouts, 429, 5xx, a full disk.
    Retry {
        error: String,
        status: Option<u16>,
        response: Option<String>,
        /// The receiver asked to wait this long (`Retry-After`).
        after: Option<Duration>,
    },
    /// Trying again cannot help (a 4xx other than 408/429): dead at once.
    Reject {
        error: String,
        status: Option<u16>,
        response: Option<String>,
    },
}

/// Delivers one outbox row. `delivery.attempts` counts this attempt; above 1, an
/// earlier attempt may have gone through before a crash kept it from being recorded.
pub trait Sink: Send {
    fn deliver(&mut self, delivery: &Delivery, store: &Store) -> Outcome;
}

/// A `Retry-After` longer than this is taken as this (the age limit still applies).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// When to try again after failed attempt number `attempts` (1-based), in unix ms,
/// or `None` when the policy gives up. `jitter` in 0..1: the delay is drawn from the
/// upper half of the capped exponential step ("equal jitter"), so retries of many
/// deliveries spread out but never come sooner than half the step.
pub fn next_attempt(
    policy: &RetryPolicy,
    attempts: u32,
    window_start: i64,
    now: i64,
    after: Option<Duration>,
    jitter: f64,
) -> Option<i64> {
    if attempts >= policy.max_attempts {
        return None;
    }
    let exp = attempts.saturating_sub(1).min(30);
    let step = (policy.initial.as_millis() as f64 * 2f64.powi(exp as i32))
        .min(policy.max.as_millis() as f64);
    let mut delay = step / 2.0 + step / 2.0 * jitter.clamp(0.0, 1.0);
    if let Some(a) = after {
        delay = delay.max(a.min(MAX_RETRY_AFTER).as_millis() as f64);
    }
    let at = now + delay.round() as i64;
    (at - window_start <= policy.max_age.as_millis() as i64).then_some(at)
}

/// Build the sink a configuration entry describes. Fails when a webhook secret is
/// missing from the environment: better at start-up than on the first delivery.
pub fn build(cfg: &SinkConfig) -> Result<Box<dyn Sink>, String> {
    Ok(match &cfg.kind {
        SinkKind::Files {
            dir,
            include_original,
        } => Box::new(files::FilesSink::new(dir.clone(), *include_original)?),
        SinkKind::Csv { dir, columns } => {
            Box::new(csv::CsvSink::new(dir.clone(), columns.clone())?)
        }
        SinkKind::Webhook {
            url,
            secret,
            connect_timeout,
            timeout,
        } => Box::new(webhook::WebhookSink::new(
            url.clone(),
            secret
                .resolve()
                .map_err(|e| format!("sink {:?}: {e}", cfg.name))?,
            *connect_timeout,
            *timeout,
        )),
    })
}

/// Work off one sink's outbox until `stop` is set. Wakes when `bell` rings (new
/// deliveries) or when the next retry is due, and at least once a second (an admin
/// may have retried dead deliveries from another process).
pub fn dispatch(
    store: Arc<Store>,
    cfg: SinkConfig,
    mut sink: Box<dyn Sink>,
    bell: Arc<Doorbell>,
    stop: Arc<AtomicBool>,
) {
    while !stop.load(Ordering::Relaxed) {
        match store.due_deliveries(&cfg.name, 64) {
            Ok(due) if !due.is_empty() => {
                for d in due {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    if let Err(e) = attempt(&store, &cfg, sink.as_mut(), d) {
                        tracing::error!(sink = %cfg.name, error = %e, "cannot record a delivery");
                        std::thread::sleep(Duration::from_secs(1));
                    }
                }
            }
            Ok(_) => {
                let wait = match store.next_due(&cfg.name) {
                    Ok(Some(at)) => (at - now_ms()).clamp(0, 1000) as u64,
                    _ => 1000,
                };
                bell.wait(Duration::from_millis(wait));
            }
            Err(e) => {
                tracing::error!(sink = %cfg.name, error = %e, "cannot read the outbox");
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
}

/// One attempt at one delivery, recorded before and after.
pub fn attempt(
    store: &Store,
    cfg: &SinkConfig,
    sink: &mut dyn Sink,
    mut d: Delivery,
) -> Result<Outcome, StoreError> {
    store.delivery_started(d.id)?;
    d.attempts += 1;
    let outcome =
        crate::guard::guard(|| sink.deliver(&d, store)).unwrap_or_else(|panic| Outcome::Retry {
            error: format!("internal error in the sink: {panic}"),
            status: None,
            response: None,
            after: None,
        });
    match &outcome {
        Outcome::Delivered { status, response } => {
            store.delivery_succeeded(d.id, *status, response.as_deref())?;
            tracing::info!(sink = %cfg.name, document_id = %d.document_id, event = %d.event, attempts = d.attempts, "delivered");
        }
        Outcome::Retry {
            error,
            status,
            response,
            after,
        } => {
            let jitter = rand::thread_rng().gen::<f64>();
            let next = next_attempt(
                &cfg.retry,
                d.attempts,
                d.window_start,
                now_ms(),
                *after,
                jitter,
            );
            let rec = AttemptRecord {
                error,
                status: *status,
                response: response.as_deref(),
            };
            store.delivery_failed(d.id, next, &rec)?;
            match next {
                Some(at) => {
                    tracing::warn!(sink = %cfg.name, document_id = %d.document_id, attempts = d.attempts, error = %error, retry_in_ms = at - now_ms(), "delivery failed; will retry")
                }
                None => {
                    tracing::error!(sink = %cfg.name, document_id = %d.document_id, attempts = d.attempts, error = %error, "delivery dead after its last attempt")
                }
            }
        }
        Outcome::Reject {
            error,
            status,
            response,
        } => {
            let rec = AttemptRecord {
                error,
                status: *status,
                response: response.as_deref(),
            };
            store.delivery_failed(d.id, None, &rec)?;
            tracing::error!(sink = %cfg.name, document_id = %d.document_id, error = %error, "delivery rejected; dead");
        }
    }
    Ok(outcome)
}

/// The running dispatchers, one thread and one doorbell per sink.
pub struct Dispatchers {
    handles: Vec<std::thread::JoinHandle<()>>,
    bells: Vec<Arc<Doorbell>>,
}

impl Dispatchers {
    /// Build every configured sink, then start one dispatcher thread per sink.
    pub fn start(
        store: &Arc<Store>,
        sinks: &[SinkConfig],
        stop: &Arc<AtomicBool>,
    ) -> anyhow::Result<Dispatchers> {
        let mut built = Vec::new();
        for cfg in sinks {
            built.push((cfg.clone(), build(cfg).map_err(anyhow::Error::msg)?));
        }
        let mut d = Dispatchers {
            handles: Vec::new(),
            bells: Vec::new(),
        };
        for (cfg, sink) in built {
            let bell = Arc::new(Doorbell::default());
            let (store, b, stop) = (store.clone(), bell.clone(), stop.clone());
            d.handles.push(
                std::thread::Builder::new()
                    .name(format!("sink-{}", cfg.name))
                    .spawn(move || dispatch(store, cfg, sink, b, stop))?,
            );
            d.bells.push(bell);
        }
        Ok(d)
    }

    /// New deliveries are in the outbox.
    pub fn ring(&self) {
        self.bells.iter().for_each(|b| b.ring());
    }

    /// Wait for every dispatcher to finish (after `stop` was set).
    pub fn join(self) {
        self.ring();
        for h in self.handles {
            let _ = h.join();
        }
    }
}

/// `s` cut to at most `max` bytes on a character boundary (responses kept for admins).
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            max_age: Duration::from_secs(60),
            initial: Duration::from_millis(1000),
            max: Duration::from_millis(4000),
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half() {
        let p = policy();
        // attempt 1: step 1000 → 500..1000
        assert_eq!(next_attempt(&p, 1, 0, 0, None, 0.0), Some(500));
        assert_eq!(next_attempt(&p, 1, 0, 0, None, 1.0), Some(1000));
        // attempt 3: step 4000 → 2000..4000; attempt 4 is capped at the same step.
        assert_eq!(next_attempt(&p, 3, 0, 0, None, 1.0), Some(4000));
        assert_eq!(next_attempt(&p, 4, 0, 0, None, 1.0), Some(4000));
        assert_eq!(next_attempt(&p, 4, 0, 0, None, 0.0), Some(2000));
    }

    #[test]
    fn retry_after_is_respected_and_limits_end_the_retries() {
        let p = policy();
        assert_eq!(
            next_attempt(&p, 1, 0, 0, Some(Duration::from_secs(7)), 0.0),
            Some(7000)
        );
        // Out of attempts.
        assert_eq!(next_attempt(&p, 5, 0, 0, None, 0.0), None);
        // Out of time: the next try would fall after the 60 s window.
        assert_eq!(next_attempt(&p, 2, 0, 59_500, None, 0.0), None);
        assert!(next_attempt(&p, 2, 0, 50_000, None, 0.0).is_some());
    }

    #[test]
    fn truncate_keeps_characters_whole() {
        assert_eq!(truncate("abc", 10), "abc");
        assert_eq!(truncate("æøå", 3), "æ…");
    }
}
