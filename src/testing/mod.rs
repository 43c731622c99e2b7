//! Test support in one place: what unit tests, integration tests and benches share
//! instead of each keeping its own copy.
//!
//! - [`ScriptedEngine`]: one fake OCR engine that answers from a script (no words,
//!   fixed words, second looks, an orientation guess), for tests of the stages around
//!   OCR without Tesseract;
//! - [`pages`]: pages of words built by hand (`page(rows)`, a clean Danish invoice, an
//!   invoice/receipt tie), pages of words copied from real scans (`scanned`) and a
//!   plain grey PNG;
//! - [`marks`]: the renderer of synthetic checkboxes, signature frames and busy pages
//!   that `text::marks`' tests score the detector on;
//! - [`postgres`]: a throw-away PostgreSQL cluster per test binary, a database per test;
//! - [`Config::defaults`] and [`builtin_type`]: the embedded default configuration and one of
//!   its built-in document types.
//!
//! Compiled for unit tests (`cfg(test)`) and, for integration tests and benches, behind
//! the `testing` feature, which the package's dev-dependency on itself turns on: a
//! plain `cargo build` or `cargo build --release` leaves it out, and `cargo test` /
//! `cargo bench` need no flag. (`required-features` on each test target was the other
//! way; it makes `cargo test` without `--features testing` silently skip those targets.)
//! Production code never uses it (`tests/architecture.rs` ranks it with the wiring,
//! which no stage may import).

mod engine;
pub mod marks;
pub mod pages;
pub mod postgres;

use crate::config::{Config, DocType};
pub use engine::ScriptedEngine;
pub use pages::{danish_invoice, page, plain_png, scanned, tie_page};

impl Config {
    /// The embedded defaults, as `mailroom` runs without a `mailroom.toml`.
    pub fn defaults() -> Config {
        Config::load(std::path::Path::new("/nonexistent"), false)
            .expect("the embedded default configuration loads")
    }
}

/// The built-in document type `name` (`invoice`, `receipt`, `payroll_change`, …).
pub fn builtin_type(name: &str) -> DocType {
    crate::config::doctype::builtin()
        .expect("the built-in document types load")
        .into_iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("no built-in document type {name:?}"))
}
