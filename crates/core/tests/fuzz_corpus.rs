//! Replays the saved cargo-fuzz corpus (`fuzz/corpus/<target>/`) through the same checks the
//! fuzz targets run, so every input that once mattered is re-tested on stable Rust.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point
#![cfg(not(target_arch = "wasm32"))]

#[path = "../fuzz/fuzz_targets/checks.rs"]
#[allow(dead_code, unreachable_pub)]
mod checks;

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{} failed on {}", target, path.display());
        n += 1;
    }
    assert!(n >= 10, "the {target} corpus has only {n} entries");
}

#[test]
fn envelope_parse_corpus() {
    replay("envelope_parse", checks::envelope);
}

#[test]
fn access_log_parse_corpus() {
    replay("access_log_parse", checks::access_log);
}

#[test]
fn text_inputs_corpus() {
    replay("text_inputs", checks::text);
}

#[test]
fn public_key_import_corpus() {
    replay("public_key_import", checks::public_key);
}
