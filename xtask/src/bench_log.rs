//! The access-log and TOTP half of `cargo xtask bench` (`--only log`).
//!
//! Access log: `bench-log` (bench/log, native, release) builds a 1,000,000-leaf RFC 9162 tree,
//! writes a patient's page of 10,000 events with inclusion proofs plus the consistency proof
//! from 500,000 leaves (`proofs.json`), and the same proofs bare (`proofs.bin`), then times
//! their verification natively. `bench/log/log.mjs` verifies the page through the npm package
//! (`AccessLogVerifier.verify`, the public path) and the bare proofs through
//! bizing-bench-log's wasm builds (the floor under any JS API), alternating. Every round also
//! hands every verifier a tampered proof that must be refused. The goal reported against:
//! 10,000 inclusion proofs verified in under 100 ms in Node.
//!
//! TOTP: verifications per second natively, through the npm package, and with otplib
//! (pinned in bench/log/package.json) over the same secret, code, time and window.
//!
//! Not a test: nothing here asserts on time.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::bench::parse_json;
use crate::cmd::{Cmd, Failure};
use crate::setup;

/// The npm project holding the driver and the JS contender (otplib).
const LOG_DIR: &str = "bench/log";
const ROUNDS: u32 = 7;
const NATIVE_ROUNDS: u32 = 9;
const TOTP_ROUNDS: u32 = 9;
const NATIVE_TOTP_BATCH: u32 = 20_000;
const NODE_TOTP_BATCH: u32 = 4_000;
/// The goal for the access log in Node.
const GOAL_MS: f64 = 100.0;
const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// The bare proofs' wasm builds: the shipped size-first profile and plain speed-first release.
const WASM_PROFILES: &[(&str, &str)] = &[("wasm-release", "--profile=wasm-release"), ("release", "--release")];

/// Runs the access-log and TOTP benchmark; returns its part of the report (`access_log`
/// and `totp`).
pub(crate) fn run(root: &Path, out: &Path) -> Result<Value, Failure> {
    setup::wasm_target(root)?;
    setup::wasm_bindgen_cli(root)?;
    setup::npm_dir(root, LOG_DIR)?;
    let dir = out.join("log");
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure::new(format!("cannot create {}: {e}", dir.display()), "check permissions on target/"))?;

    println!("     native (release): tree, proofs, verification, TOTP");
    let [bench_log] = crate::bench_server::release_executables(root, &["bizing-bench-log"], ["bench-log"])?;
    let native = Cmd::new(root, &bench_log.display().to_string())
        .arg("--out")
        .arg(&dir)
        .args(["--rounds", &NATIVE_ROUNDS.to_string(), "--totp-rounds", &TOTP_ROUNDS.to_string()])
        .args(["--totp-batch", &NATIVE_TOTP_BATCH.to_string()])
        .hint(
            "see the error above; `cargo run --release -p bizing-bench-log --bin bench-log -- --out DIR` runs it alone",
        )
        .output()
        .and_then(|stdout| parse_json(&stdout, "bench-log"))?;

    println!("     wasm builds of the bare proofs");
    let mut bare = Vec::new();
    for (profile, flag) in WASM_PROFILES {
        let wasm = wasm_artifact(root, flag)?;
        let module_dir = dir.join(format!("wasm-{profile}"));
        Cmd::new(root, "wasm-bindgen")
            .args(["--target", "nodejs", "--out-dir"])
            .arg(&module_dir)
            .arg(&wasm)
            .hint("run `cargo xtask test --only setup` to install the wasm-bindgen CLI matching Cargo.lock")
            .run()?;
        // wasm-bindgen's nodejs output is CommonJS; say so, whatever package.json is above.
        std::fs::write(module_dir.join("package.json"), "{\"type\": \"commonjs\"}\n").map_err(|e| {
            Failure::new(format!("cannot write in {}: {e}", module_dir.display()), "check permissions on target/")
        })?;
        bare.push(format!("{profile}={}", module_dir.join("bizing_bench_log.js").display()));
    }

    println!("     npm package");
    crate::build::run(root)?;

    println!("     Node: the page through the npm package, the bare proofs as wasm, TOTP against otplib");
    let totp = &native["totp"];
    let node = Cmd::new(root, "node")
        .arg(root.join(LOG_DIR).join("log.mjs"))
        .arg("--proofs")
        .arg(&dir)
        .args(["--rounds", &ROUNDS.to_string()])
        .args(bare.iter().flat_map(|b| ["--bare", b.as_str()]))
        .args(["--totp-secret", totp["secret"].as_str().unwrap_or_default()])
        .args(["--totp-time", &totp["time"].to_string()])
        .args(["--totp-code", totp["code"].as_str().unwrap_or_default()])
        .args(["--totp-wrong", totp["wrong_code"].as_str().unwrap_or_default()])
        .args(["--totp-rounds", &TOTP_ROUNDS.to_string(), "--totp-batch", &NODE_TOTP_BATCH.to_string()])
        .hint("see the Node error above; `cargo xtask build` must have built pkg/")
        .output()
        .and_then(|stdout| parse_json(&stdout, "bench/log/log.mjs"))?;

    Ok(report(&native, &node))
}

/// Builds bizing-bench-log's library for wasm with `profile_flag`; returns the .wasm file.
fn wasm_artifact(root: &Path, profile_flag: &str) -> Result<PathBuf, Failure> {
    let stdout = Cmd::cargo(root)
        .args(["build", "--locked", "-p", "bizing-bench-log", "--lib", "--target", WASM_TARGET, profile_flag])
        .args(crate::build::remap_config())
        .arg("--message-format=json-render-diagnostics")
        .hint("see the compiler errors above")
        .output()?;
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "bizing_bench_log")
        .flat_map(|m| m["filenames"].as_array().cloned().unwrap_or_default())
        .filter_map(|f| f.as_str().map(PathBuf::from))
        .find(|f| f.extension().is_some_and(|e| e == "wasm"))
        .ok_or_else(|| Failure::new("cargo built no bizing_bench_log.wasm", "this is a bug in xtask"))
}

fn median(value: &Value) -> f64 {
    value["median"].as_f64().unwrap_or(f64::NAN)
}

fn report(native: &Value, node: &Value) -> Value {
    let log = &native["log"];
    let native_bare = median(&log["bare_ms"]);
    let native_page = median(&log["page_ms"]);
    let mut timings = vec![
        json!({ "contender": "native", "path": "bare: verify_all(proofs.bin)", "kind": "bare",
                "ms": log["bare_ms"], "ratio_to_native": 1.0 }),
        json!({ "contender": "native", "path": "page: AccessLogPage::verify", "kind": "page",
                "ms": log["page_ms"], "ratio_to_native": 1.0 }),
    ];
    for c in node["log"]["contenders"].as_array().into_iter().flatten() {
        let reference = if c["kind"] == "page" { native_page } else { native_bare };
        timings.push(json!({
            "contender": c["contender"],
            "path": c["path"],
            "kind": c["kind"],
            "ms": c["ms"],
            "ratio_to_native": median(&c["ms"]) / reference,
        }));
    }
    let node_median = |kind: &str, contender: &str| {
        node["log"]["contenders"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["kind"] == kind && c["contender"] == contender))
            .map_or(f64::NAN, |c| median(&c["ms"]))
    };
    let page_ms = node_median("page", "npm package");
    let floor_ms = node_median("bare", "wasm (wasm-release)");

    let npm_rate = node["totp"]["contenders"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["name"] == "npm package"))
        .map_or(f64::NAN, |c| median(&c["verify_per_s"]));
    let mut totp = vec![json!({
        "contender": "native (bizing-core)",
        "verify_per_s": native["totp"]["verify_per_s"],
        "ratio_to_npm": median(&native["totp"]["verify_per_s"]) / npm_rate,
    })];
    for c in node["totp"]["contenders"].as_array().into_iter().flatten() {
        totp.push(json!({
            "contender": c["name"],
            "verify_per_s": c["verify_per_s"],
            "ratio_to_npm": median(&c["verify_per_s"]) / npm_rate,
        }));
    }

    json!({
        "access_log": {
            "what": format!(
                "{} inclusion proofs (random leaves) and one consistency proof ({} to {} leaves) in a {}-leaf \
                 RFC 9162 tree; `page` = a patient's access-log page as the portal verifies it (checkpoint \
                 signature, hex, each event's leaf hash, every proof), `bare` = the proofs alone as bytes; \
                 median of the rounds, contenders alternating",
                log["proofs"], log["old_size"], log["leaves"], log["leaves"]
            ),
            "leaves": log["leaves"],
            "proofs": log["proofs"],
            "old_size": log["old_size"],
            "inclusion_hashes_total": log["inclusion_hashes_total"],
            "consistency_hashes": log["consistency_hashes"],
            "page_bytes": log["page_bytes"],
            "bare_bytes": log["bare_bytes"],
            "native_rounds": log["rounds"],
            "node_rounds": node["log"]["rounds"],
            "timings": timings,
            "tampered_refused": log["tampered_refused"].as_u64().unwrap_or(0)
                + node["log"]["tampered_refused"].as_u64().unwrap_or(0),
            "goal": {
                "what": "10,000 inclusion proofs verified in under 100 ms in Node (the npm package's public path)",
                "budget_ms": GOAL_MS,
                "measured_ms": page_ms,
                "met": page_ms < GOAL_MS,
                "bare_wasm_release_ms": floor_ms,
                "bare_met": floor_ms < GOAL_MS,
            },
        },
        "totp": {
            "what": "Totp.verify-style check (base32 secret decoded, HMAC-SHA-1, 6 digits, 30 s, previous and \
                     current step) of a valid code; verifications per second, median of the rounds, Node \
                     contenders alternating",
            "native_batch": native["totp"]["batch"],
            "node_batch": node["totp"]["batch"],
            "rounds": node["totp"]["rounds"],
            "contenders": totp,
        },
        "node": node["node"],
    })
}

/// The access-log and TOTP tables.
pub(crate) fn print(report: &Value) {
    let log = &report["access_log"];
    println!(
        "\nAccess log: {} inclusion proofs + 1 consistency proof, {}-leaf tree (median ms of the rounds)",
        log["proofs"], log["leaves"]
    );
    println!(
        "{:<20} {:<38} {:>9} {:>9} {:>9} {:>9}",
        "contender", "what is verified", "median", "min", "p90", "x native"
    );
    for t in log["timings"].as_array().into_iter().flatten() {
        println!(
            "{:<20} {:<38} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
            t["contender"].as_str().unwrap_or("?"),
            t["path"].as_str().unwrap_or("?"),
            median(&t["ms"]),
            t["ms"]["min"].as_f64().unwrap_or(f64::NAN),
            t["ms"]["p90"].as_f64().unwrap_or(f64::NAN),
            t["ratio_to_native"].as_f64().unwrap_or(f64::NAN),
        );
    }
    let goal = &log["goal"];
    println!(
        "goal: {}: {:.1} ms, {} (the bare proofs in the shipped wasm profile: {:.1} ms, {})",
        goal["what"].as_str().unwrap_or("?"),
        goal["measured_ms"].as_f64().unwrap_or(f64::NAN),
        if goal["met"] == true { "met" } else { "MISSED" },
        goal["bare_wasm_release_ms"].as_f64().unwrap_or(f64::NAN),
        if goal["bare_met"] == true { "within it" } else { "over it too" },
    );
    println!("every verifier refused every tampered proof ({} in all)", log["tampered_refused"]);

    let totp = &report["totp"];
    println!("\nTOTP verification (verifications per second, median of {} rounds)", totp["rounds"]);
    println!("{:<28} {:>12} {:>14}", "contender", "verify/s", "x npm package");
    for c in totp["contenders"].as_array().into_iter().flatten() {
        println!(
            "{:<28} {:>12.0} {:>14.2}",
            c["contender"].as_str().unwrap_or("?"),
            median(&c["verify_per_s"]),
            c["ratio_to_npm"].as_f64().unwrap_or(f64::NAN),
        );
    }
}
