//! `cargo +nightly fuzz run csv_rows`: see fuzz/README.md and `checks::csv_rows`.

#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::csv_rows(data));
