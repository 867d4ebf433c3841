//! Synthetic TeamUp "instructed sessions" exports for benchmarking sessionpay.
//!
//! Everything is deterministic by seed: the same `--seed` and `--sessions` give byte-identical
//! exports, rates.toml and expected payroll. Money is integer minor units and `rust_decimal`,
//! never floats. See `benches/README.md`.

pub mod gen;
pub mod model;
pub mod out;
pub mod pay;
pub mod rng;
pub mod text;
pub mod truth;

pub use gen::{Generator, Session, World};
pub use out::{Format, Sink};
