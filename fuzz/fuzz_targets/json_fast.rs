//! `cargo +nightly fuzz run json_fast`: see fuzz/README.md and `checks::json_fast`.

#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::json_fast(data));
