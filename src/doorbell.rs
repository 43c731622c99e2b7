//! A wake-up call between threads: workers wait on it for new documents, sink
//! dispatchers for new deliveries. Ringing never blocks; a ring with nobody waiting
//! is remembered until the next wait.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

#[derive(Default)]
pub struct Doorbell {
    rung: Mutex<bool>,
    cv: Condvar,
}

impl Doorbell {
    pub fn ring(&self) {
        *self.rung.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.cv.notify_all();
    }

    /// Wait until rung or until `timeout` passes.
    pub fn wait(&self, timeout: Duration) {
        let guard = self.rung.lock().unwrap_or_else(|p| p.into_inner());
        let (mut g, _) = self
            .cv
            .wait_timeout_while(guard, timeout, |r| !*r)
            .unwrap_or_else(|p| p.into_inner());
        *g = false;
    }
}
