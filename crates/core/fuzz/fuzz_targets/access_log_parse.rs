//! Hostile bytes into the access-log parsers: checkpoints, tree heads, canonical events.
#![no_main]

#[path = "checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::access_log(data));
