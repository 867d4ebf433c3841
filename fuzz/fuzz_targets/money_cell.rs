//! `cargo +nightly fuzz run money_cell`: see fuzz/README.md and `checks::money_cell`.

#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::money_cell(data));
