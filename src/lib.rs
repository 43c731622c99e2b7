//! mailroom: scanned paperwork in, typed and validated documents out.
//!
//! Data flows one way: [`source`] → [`store`] → [`text`] → [`classify`] → [`extract`]
//! → [`validate`] → [`route`] → [`sink`] (or review). Each stage owns one module; the
//! middle stages are pure functions of their inputs and the [`config`]. Only
//! [`pipeline`] (one document), [`service`] (`mailroom run`) and [`pool`] (one-shot
//! commands) know more than one stage.

pub mod calibrate;
pub mod classify;
pub mod config;
pub mod document;
pub mod doorbell;
pub mod einvoice;
pub mod eval;
pub mod extract;
pub mod pipeline;
pub mod pool;
pub mod route;
pub mod service;
pub mod sink;
pub mod source;
pub mod store;
pub mod text;
pub mod validate;
pub mod web;
