//! `cargo +nightly fuzz run policy`: see fuzz/README.md and `checks::policy`.

#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::policy(data));
