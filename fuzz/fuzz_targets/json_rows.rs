//! `cargo +nightly fuzz run json_rows`: see fuzz/README.md and `checks::json_rows`.

#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::json_rows(data));
