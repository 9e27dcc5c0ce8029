//! `cargo xtask bench`: seal/open timings natively and as wasm in Node, against @hpke/core
//! and a pure-JS build (`bench_envelope`), and the wasm size;
//! the server under load (`bench_server`); the portal's first-load size and sign-in time in
//! headless Chromium (`bench_portal`); the widget's sizes and insertion-to-ready time
//! (`bench_widget`); 1,000 notes opened in headless Chromium through the npm package
//! (`bench_bulk`); access-log proof verification and TOTP, natively, in Node and next to
//! otplib (`bench_log`); the goals in one table (`bench_goals`). Prints tables and writes
//! `target/bench/report.json`.
//! Not a test: nothing here asserts on time or size, so a slow machine never fails a build.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Value, json};

use crate::cmd::{Cmd, Failure};
use crate::setup;

const WARMUP: u32 = 50;
const SAMPLES: u32 = 300;
const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Pinned so sizes stay comparable between runs; only ever installed under target/bench.
const BINARYEN: &str = "binaryen@132";
/// Features rustc enables by default for wasm32-unknown-unknown; wasm-opt must accept
/// them, and wasm-bindgen's output no longer says which are used.
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// The two wasm builds compared: what we ship (size first) and plain speed-first release.
const WASM_PROFILES: &[(&str, &str)] = &[("wasm-release", "--profile=wasm-release"), ("release", "--release")];

pub(crate) fn main(root: &Path, args: &[String]) -> ExitCode {
    let parts = match args {
        [] => Parts { envelope: true, server: true, portal: true, widget: true, bulk: true, log: true },
        [flag, only] if flag == "--only" => match only.as_str() {
            "envelope" => Parts { envelope: true, ..Parts::NONE },
            "server" => Parts { server: true, ..Parts::NONE },
            "portal" => Parts { portal: true, ..Parts::NONE },
            "widget" => Parts { widget: true, ..Parts::NONE },
            "bulk" => Parts { bulk: true, ..Parts::NONE },
            "log" => Parts { log: true, ..Parts::NONE },
            _ => return usage(args),
        },
        _ => return usage(args),
    };
    match run(root, parts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            println!("FAIL bench: {}", failure.what());
            println!("     what to do: {}", failure.hint());
            ExitCode::FAILURE
        }
    }
}

/// Which parts of the benchmark to run.
#[derive(Debug, Clone, Copy)]
struct Parts {
    envelope: bool,
    server: bool,
    portal: bool,
    widget: bool,
    bulk: bool,
    log: bool,
}

impl Parts {
    const NONE: Self = Self { envelope: false, server: false, portal: false, widget: false, bulk: false, log: false };
}

fn usage(args: &[String]) -> ExitCode {
    eprintln!(
        "xtask bench: expected no options or `--only envelope|server|portal|widget|bulk|log`, not `{}`",
        args.join(" ")
    );
    ExitCode::from(2)
}

fn run(root: &Path, parts: Parts) -> Result<(), Failure> {
    let target_dir = target_dir(root)?;
    let out = target_dir.join("bench");
    create_dir(&out)?;
    let mut report = json!({});
    if parts.envelope {
        report = envelope_bench(root, &target_dir, &out)?;
    }
    if parts.server {
        println!("==> server (wrk over loopback)");
        report["server"] = crate::bench_server::run(root, &out)?;
    }
    if parts.portal {
        println!("==> portal (first-load size; sign-in in headless Chromium)");
        report["portal"] = crate::bench_portal::run(root, &out)?;
    }
    if parts.widget {
        println!("==> widget (loader and first-load sizes; insertion to ready in headless Chromium)");
        report["widget"] = crate::bench_widget::run(root, &out)?;
    }
    if parts.bulk {
        println!("==> bulk (1,000 notes opened in headless Chromium through the npm package)");
        report["bulk"] = crate::bench_bulk::run(root, &out)?;
    }
    if parts.log {
        println!("==> log (access-log proofs natively, as wasm and through the npm package; TOTP vs otplib)");
        report["log"] = crate::bench_log::run(root, &out)?;
    }
    println!();
    if parts.envelope {
        print_table(&report);
        crate::bench_envelope::print(&report["compare"]);
    }
    if parts.server {
        crate::bench_server::print(&report["server"]);
    }
    if parts.portal {
        crate::bench_portal::print(&report["portal"]);
    }
    if parts.widget {
        crate::bench_widget::print(&report["widget"]);
    }
    if parts.bulk {
        crate::bench_bulk::print(&report["bulk"]);
    }
    if parts.log {
        crate::bench_log::print(&report["log"]);
    }
    crate::bench_goals::print(&report);
    report["goals"] = crate::bench_goals::summary(&report);
    let path = out.join("report.json");
    let text = serde_json::to_string_pretty(&report)
        .map_err(|e| Failure::new(format!("cannot encode the report: {e}"), "this is a bug in xtask"))?;
    write(&path, &(text + "\n"))?;
    println!("\nwrote {}", relative(root, &path));
    Ok(())
}

/// Seal/open natively, as wasm in Node and through the npm package, and the wasm sizes.
fn envelope_bench(root: &Path, target_dir: &Path, out: &Path) -> Result<Value, Failure> {
    println!("==> setup");
    setup::wasm_target(root)?;
    setup::wasm_bindgen_cli(root)?;

    println!("==> native (release)");
    let native = Cmd::cargo(root)
        .args(["run", "--release", "--locked", "-p", "bizing-bench", "--bin", "bench-native", "--"])
        .args(crate::bench_envelope::size_args())
        .hint("see the error above; `cargo run --release -p bizing-bench --bin bench-native` runs it alone")
        .output()
        .and_then(|stdout| parse_json(&stdout, "bench-native"))?;

    println!("==> wasm builds");
    let mut node_modules = Vec::new();
    for (profile, flag) in WASM_PROFILES {
        Cmd::cargo(root)
            .args(["build", "--locked", "-p", "bizing-bench", "--lib", "--target", WASM_TARGET, flag])
            .args(crate::build::remap_config())
            .hint("see the compiler errors above")
            .run()?;
        let wasm = wasm_artifact(target_dir, profile);
        let dir = out.join(format!("node-{profile}"));
        wasm_bindgen(root, "nodejs", &wasm, &dir)?;
        // wasm-bindgen's nodejs output is CommonJS; say so, whatever package.json is above.
        write(&dir.join("package.json"), "{\"type\": \"commonjs\"}\n")?;
        node_modules.push(format!("{profile}={}", dir.join("bizing_bench.js").display()));
    }

    println!("==> wasm in Node");
    let node = Cmd::new(root, "node")
        .arg(root.join("bench").join("node").join("bench.mjs"))
        .args(["--warmup", &WARMUP.to_string(), "--samples", &SAMPLES.to_string()])
        .args(&node_modules)
        .hint("see the Node error above; Node.js 20+ is needed")
        .output()
        .and_then(|stdout| parse_json(&stdout, "bench/node/bench.mjs"))?;

    println!("==> npm package in Node against @hpke/core and noble");
    crate::build::run(root)?;
    let compare = crate::bench_envelope::run_node(root)?;

    println!("==> size");
    let web_dir = out.join("web-wasm-release");
    wasm_bindgen(root, "web", &wasm_artifact(target_dir, "wasm-release"), &web_dir)?;
    let bindgen_wasm = web_dir.join("bizing_bench_bg.wasm");
    let dist = root.join("pkg").join("dist");
    let mut files = vec![
        format!("bindgen={}", bindgen_wasm.display()),
        format!("package_wasm={}", dist.join("bizing_sdk_bg.wasm").display()),
        format!("package_js={}", dist.join("bizing_sdk.js").display()),
    ];
    let wasm_opt = match wasm_opt(root, out, &bindgen_wasm) {
        Ok(optimised) => {
            files.push(format!("wasm_opt={}", optimised.display()));
            Ok(BINARYEN)
        }
        Err(failure) => {
            println!("     wasm-opt unavailable, size reported without it: {}", failure.what());
            Err(failure.what().to_owned())
        }
    };
    let sizes = Cmd::new(root, "node")
        .arg(root.join("bench").join("node").join("size.mjs"))
        .args(&files)
        .hint("see the Node error above")
        .output()
        .and_then(|stdout| parse_json(&stdout, "bench/node/size.mjs"))?;

    Ok(report(root, &native, &node, &compare, &sizes, wasm_opt))
}

/// Where cargo puts build output (honours CARGO_TARGET_DIR and `build.target-dir`).
fn target_dir(root: &Path) -> Result<PathBuf, Failure> {
    let metadata = Cmd::cargo(root)
        .args(["metadata", "--format-version=1", "--no-deps", "--locked"])
        .hint("see cargo's error above")
        .output()
        .and_then(|stdout| parse_json(&stdout, "cargo metadata"))?;
    metadata
        .get("target_directory")
        .and_then(Value::as_str)
        .map(PathBuf::from)
        .ok_or_else(|| Failure::new("cargo metadata names no target_directory", "this is a bug in xtask"))
}

fn wasm_artifact(target_dir: &Path, profile: &str) -> PathBuf {
    target_dir.join(WASM_TARGET).join(profile).join("bizing_bench.wasm")
}

fn wasm_bindgen(root: &Path, target: &str, wasm: &Path, out_dir: &Path) -> Result<(), Failure> {
    Cmd::new(root, "wasm-bindgen")
        .args(["--target", target, "--out-dir"])
        .arg(out_dir)
        .arg(wasm)
        .hint("run `cargo xtask test --only setup` to install the wasm-bindgen CLI matching Cargo.lock")
        .run()
}

/// Optimises `wasm` with binaryen's `wasm-opt -Oz`, from npm under `out/tools` (no system
/// install needed); returns the optimised file.
fn wasm_opt(root: &Path, out: &Path, wasm: &Path) -> Result<PathBuf, Failure> {
    let tools = out.join("tools");
    let installed = std::fs::read_to_string(tools.join("node_modules/binaryen/package.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .and_then(|json| json.get("version").and_then(Value::as_str).map(str::to_owned));
    let wanted_major = BINARYEN.rsplit('@').next().unwrap_or_default();
    if installed.as_deref().and_then(|v| v.split('.').next()) != Some(wanted_major) {
        create_dir(&tools)?;
        // A package.json of its own stops npm from walking up and installing elsewhere.
        write(&tools.join("package.json"), "{\"private\": true}\n")?;
        Cmd::new(root, "npm")
            .in_dir(root, &relative(root, &tools))
            .args(["install", "--no-save", "--no-audit", "--no-fund", BINARYEN])
            .run()?;
    }
    let optimised = wasm.with_extension("opt.wasm");
    Cmd::new(root, &tools.join("node_modules/.bin/wasm-opt").to_string_lossy())
        .arg("-Oz")
        .args(WASM_FEATURES.iter().copied())
        .arg(wasm)
        .arg("-o")
        .arg(&optimised)
        .run()?;
    Ok(optimised)
}

fn report(
    root: &Path,
    native: &Value,
    node: &Value,
    compare: &Value,
    sizes: &Value,
    wasm_opt: Result<&str, String>,
) -> Value {
    // The table below (and the wasm builds in Node) are for the 1 KiB note; bench_envelope
    // reports every size.
    let note_bytes = 1024;
    let native_1k = crate::bench_envelope::size_entry(native, note_bytes);
    let npm = crate::bench_envelope::size_entry(compare, note_bytes)["contenders"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["contender"] == "ours"))
        .unwrap_or(&Value::Null);
    let mut timings = vec![json!({
        "contender": "native",
        "profile": "release",
        "envelope_bytes": native_1k["envelope_bytes"],
        "seal_us": native_1k["seal_us"],
        "open_us": native_1k["open_us"],
    })];
    for c in node["contenders"].as_array().into_iter().flatten() {
        timings.push(json!({
            "contender": "wasm-node",
            "profile": c["label"],
            "envelope_bytes": c["envelope_bytes"],
            "seal_us": c["seal_us"],
            "open_us": c["open_us"],
        }));
    }
    timings.push(json!({
        "contender": "npm-node",
        "profile": "pkg",
        "envelope_bytes": npm["envelope_bytes"],
        "seal_us": npm["seal_us"],
        "open_us": npm["open_us"],
    }));
    let probe = |program: &str, args: &[&str]| {
        Cmd::new(root, program).args(args.iter().copied()).probe().map(|s| s.trim().to_owned())
    };
    json!({
        "what": "seal (incl. serialise) and open (incl. parse) of one note to 2 recipients, padding on",
        "note_bytes": note_bytes,
        "recipients": 2,
        "warmup": WARMUP,
        "samples": SAMPLES,
        "timings": timings,
        "compare": crate::bench_envelope::report(native, compare),
        "size_bytes": {
            "artifact": "bizing-bench wasm (profile wasm-release) after wasm-bindgen --target web",
            "wasm_bindgen": sizes["bindgen"],
            "wasm_opt_oz": sizes.get("wasm_opt").cloned().unwrap_or(Value::Null),
            "wasm_opt": match &wasm_opt {
                Ok(tool) => json!({ "tool": tool, "args": ["-Oz"] }),
                Err(reason) => json!({ "unavailable": reason }),
            },
            "compression": "gzip level 9; brotli quality 11 (node:zlib)",
        },
        "package_bytes": {
            "artifact": "@bizing/booking-sdk as built by cargo xtask build (pkg/dist, after wasm-opt -Oz)",
            "wasm": sizes["package_wasm"],
            "js_glue": sizes["package_js"],
            "gzip_total": sizes["package_wasm"]["gzip"].as_u64().zip(sizes["package_js"]["gzip"].as_u64()).map(|(a, b)| a + b),
        },
        "environment": {
            "rustc": probe("rustc", &["--version"]),
            "node": node["node"],
            "os": std::env::consts::OS,
            "arch": std::env::consts::ARCH,
            "commit": probe("git", &["rev-parse", "--short", "HEAD"]),
        },
    })
}

fn print_table(report: &Value) {
    println!(
        "Envelope seal/open, {} B note to {} recipients: median of {} runs after {} warm-up (µs)",
        report["note_bytes"], report["recipients"], report["samples"], report["warmup"]
    );
    println!("{:<26} {:>10} {:>10} {:>10} {:>10} {:>9}", "contender", "seal", "seal p90", "open", "open p90", "env B");
    for t in report["timings"].as_array().into_iter().flatten() {
        let name = format!("{} ({})", t["contender"].as_str().unwrap_or("?"), t["profile"].as_str().unwrap_or("?"));
        println!(
            "{:<26} {:>10} {:>10} {:>10} {:>10} {:>9}",
            name,
            num(&t["seal_us"]["median"]),
            num(&t["seal_us"]["p90"]),
            num(&t["open_us"]["median"]),
            num(&t["open_us"]["p90"]),
            t["envelope_bytes"].to_string(),
        );
    }
    let size = &report["size_bytes"];
    println!("\nWasm size, {} (bytes)", size["artifact"].as_str().unwrap_or("?"));
    println!("{:<26} {:>10} {:>10} {:>10}", "artifact", "raw", "gzip -9", "brotli");
    let row = |name: &str, s: &Value| {
        println!(
            "{:<26} {:>10} {:>10} {:>10}",
            name,
            s["raw"].to_string(),
            s["gzip"].to_string(),
            s["brotli"].to_string()
        );
    };
    row("wasm-bindgen output", &size["wasm_bindgen"]);
    match &size["wasm_opt"]["unavailable"] {
        Value::String(reason) => println!("{:<26} not measured: wasm-opt unavailable ({reason})", "after wasm-opt -Oz"),
        _ => row("after wasm-opt -Oz", &size["wasm_opt_oz"]),
    }
    let package = &report["package_bytes"];
    println!("\nnpm package, {} (bytes)", package["artifact"].as_str().unwrap_or("?"));
    println!("{:<26} {:>10} {:>10} {:>10}", "file", "raw", "gzip -9", "brotli");
    row("bizing_sdk_bg.wasm", &package["wasm"]);
    row("bizing_sdk.js (glue)", &package["js_glue"]);
    println!("{:<26} {:>10} {:>10}", "wasm + glue", "", package["gzip_total"].to_string());
}

fn num(value: &Value) -> String {
    value.as_f64().map_or_else(|| "?".to_owned(), |v| format!("{v:.1}"))
}

pub(crate) fn parse_json(stdout: &str, source: &str) -> Result<Value, Failure> {
    // The JSON is the last line: anything before it is incidental output.
    let line = stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default();
    serde_json::from_str(line).map_err(|e| {
        Failure::new(format!("{source} printed no JSON result ({e}): {line}"), "run it alone to see what it printed")
    })
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).display().to_string()
}

fn create_dir(dir: &Path) -> Result<(), Failure> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::new(format!("cannot create {}: {e}", dir.display()), "check permissions on target/"))
}

fn write(path: &Path, text: &str) -> Result<(), Failure> {
    std::fs::write(path, text)
        .map_err(|e| Failure::new(format!("cannot write {}: {e}", path.display()), "check permissions on target/"))
}
