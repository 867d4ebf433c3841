//! `cargo +nightly fuzz run sniffed`: see fuzz/README.md and `checks::sniffed`.

#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::sniffed(data));
