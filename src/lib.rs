//! mailroom: scanned paperwork in, typed and validated documents out.
//!
//! Data flows one way: [`source`] → [`store`] → [`text`] → [`classify`] → [`extract`]
//! → [`validate`] → [`calibrate`] → [`vendor`] → [`route`] → [`sink`] (or review in
//! [`web`]). Each stage owns one module. The middle stages read no calendar clock
//! (only the timers of the OCR and PDF tools' time limits), no database and no
//! environment: they are given the input as the store recorded it
//! ([`document::input::Input`], sniffed once), the date to judge by and the
//! [`config`]. [`text`] runs the OCR engine and, for PDFs, the poppler tools on scratch
//! copies; everything after it is a pure function of its inputs. [`values`] and
//! [`document`] are shared pure code that belongs to no stage. [`pipeline`] (one
//! document), [`service`] (`mailroom run`), [`pool`] (one-shot commands) and [`eval`]
//! are the wiring. A stage may use the stages upstream of it, never one downstream of
//! it nor the wiring: `tests/architecture.rs` checks this and lists the imports that
//! still go against the flow.

pub mod calibrate;
pub mod classify;
pub mod config;
pub mod document;
pub mod doorbell;
pub mod einvoice;
pub mod eval;
pub mod extract;
pub mod guard;
pub mod pipeline;
pub mod pool;
pub mod route;
pub mod service;
pub mod sink;
pub mod source;
pub mod store;
pub mod text;
// Fakes, page builders and renderers for tests and benches (see its header).
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod validate;
pub mod values;
pub mod vendor;
pub mod web;
