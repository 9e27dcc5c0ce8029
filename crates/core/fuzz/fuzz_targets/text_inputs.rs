//! Hostile text into every text parser: otpauth URIs, the PHI scanner, KDF parameters,
//! recovery codes, NPP hashes.
#![no_main]

#[path = "checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::text(data));
