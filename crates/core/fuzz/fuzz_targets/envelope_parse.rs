//! Hostile bytes into every envelope entry point: binary parse, text parse, open, rewrap.
#![no_main]

#[path = "checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::envelope(data));
