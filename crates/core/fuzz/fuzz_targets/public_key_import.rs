//! Hostile bytes into every key import: SEC1, JWK, key ids, wrapped keys, verifying keys.
#![no_main]

#[path = "checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::public_key(data));
