//! `cargo +nightly fuzz run ndjson_rows`: see fuzz/README.md and `checks::ndjson_rows`.

#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::ndjson_rows(data));
