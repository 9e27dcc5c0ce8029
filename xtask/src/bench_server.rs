//! The server half of `cargo xtask bench`: booking creation and a patient's booking list on
//! `bizing-server` at 50 concurrent connections over loopback, measured with wrk (Debian's),
//! next to a trivial axum handler (`bench-trivial`) measured the same way in the same run.
//! The contenders alternate for a few rounds and the medians are reported, since these
//! machines are noisy. Nothing here asserts on speed.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::cmd::{Cmd, Failure};
use crate::setup;

const CONNECTIONS: u32 = 50;
const THREADS: u32 = 2;
const SECONDS: u32 = 5;
const ROUNDS: usize = 3;
/// Free slots prepared for the creation runs: more than this machine books in all rounds.
const SLOTS: u32 = 60_000;
/// Bookings of the patient whose list is fetched.
const LISTED: u32 = 20;

/// A child process killed when dropped, so no server outlives a failed run.
pub(crate) struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `program args` and waits for its `listening on http://ADDR` line; returns the
/// process and the base URL.
pub(crate) fn start(program: &Path, args: &[&str], dir: &Path) -> Result<(Running, String), Failure> {
    let name = program.file_name().map_or_else(|| program.display().to_string(), |n| n.to_string_lossy().into_owned());
    let child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| Failure::new(format!("cannot start {name}: {e}"), "see the build output above"))?;
    let mut running = Running(child);
    let stdout = running.0.stdout.take().ok_or_else(|| Failure::new("no stdout", "this is a bug in xtask"))?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(at) = line.find("listening on http://") {
                let _ = tx.send(line[at + "listening on ".len()..].trim().to_owned());
            }
        }
    });
    let url = rx.recv_timeout(Duration::from_secs(60)).map_err(|_| {
        Failure::new(format!("{name} printed no `listening on` line within 60 s"), "run it by hand to see why")
    })?;
    Ok((running, url))
}

/// One wrk run; the JSON its script's `done` prints.
fn wrk(root: &Path, script: &str, url: &str, data: &Path, script_args: &[&str]) -> Result<Value, Failure> {
    let wrk_dir = root.join("bench").join("wrk");
    let stdout = Cmd::new(root, "wrk")
        .args([
            format!("--threads={THREADS}"),
            format!("--connections={CONNECTIONS}"),
            format!("--duration={SECONDS}s"),
            "--timeout=10s".to_owned(),
            format!("--script={}", wrk_dir.join(script).display()),
            url.to_owned(),
        ])
        .args(if script_args.is_empty() { Vec::new() } else { [&["--"][..], script_args].concat() })
        .env("BENCH_WRK_DIR", wrk_dir.display().to_string())
        .env("BENCH_DATA", data.display().to_string())
        .hint("wrk failed; see its output above")
        .output()?;
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("BENCH_RESULT "))
        .ok_or_else(|| Failure::new(format!("{script} printed no BENCH_RESULT line"), "run wrk with it by hand"))?;
    let mut result: Value = serde_json::from_str(line)
        .map_err(|e| Failure::new(format!("{script}: bad BENCH_RESULT ({e}): {line}"), "this is a bug in bench/wrk"))?;
    let requests = result["requests"].as_f64().unwrap_or(0.0);
    let seconds = result["duration_us"].as_f64().unwrap_or(0.0) / 1e6;
    result["rps"] = json!(if seconds > 0.0 { requests / seconds } else { 0.0 });
    Ok(result)
}

pub(crate) fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Builds `packages` with the release profile and returns the executables named `names`, in
/// that order. The bench set-up crates share bizing-server's dependencies and features, so
/// building either next to the server reuses the same artifacts.
pub(crate) fn release_executables<const N: usize>(
    root: &Path,
    packages: &[&str],
    names: [&str; N],
) -> Result<[PathBuf; N], Failure> {
    let stdout = Cmd::cargo(root)
        .args(["build", "--release", "--locked", "--message-format=json-render-diagnostics"])
        .args(packages.iter().flat_map(|p| ["-p", p]))
        .hint("see the compiler errors above")
        .output()?;
    let messages: Vec<Value> = stdout.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).collect();
    let executables = names
        .iter()
        .map(|name| {
            messages
                .iter()
                .find(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == *name)
                .and_then(|m| m["executable"].as_str().map(PathBuf::from))
                .ok_or_else(|| Failure::new(format!("cargo built no {name} executable"), "this is a bug in xtask"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    executables.try_into().map_err(|_| Failure::new("cargo named the wrong executables", "this is a bug in xtask"))
}

/// Runs the server benchmark; returns its part of the report.
pub(crate) fn run(root: &Path, out: &Path) -> Result<Value, Failure> {
    setup::debian_packages(root, &[("/usr/bin/wrk", "wrk")])?;
    let [server_bin, setup_bin, trivial_bin] = release_executables(
        root,
        &["bizing-server", "bizing-bench-server"],
        ["bizing-server", "bench-server-setup", "bench-trivial"],
    )?;

    let dir = out.join("server");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure::new(format!("cannot create {}: {e}", dir.display()), "check permissions on target/"))?;
    let database = format!("sqlite://{}", dir.join("bench.db").display());
    let key = dir.join("master.key").display().to_string();
    let prepared = Cmd::new(root, &setup_bin.display().to_string())
        .args(["--database", &database, "--master-key-file", &key, "--out"])
        .arg(&dir)
        .args(["--slots", &SLOTS.to_string(), "--listed", &LISTED.to_string()])
        .hint("see the set-up error above")
        .output()?;
    println!("     data: {}", prepared.trim());
    let data = dir.join("bench-data.lua");

    // The rate limits stay on (their bookkeeping is part of every request), set high enough
    // that the load is not refused.
    let unlimited = "1000000000,1000000000,1000000000";
    let server_args = ["--listen", "127.0.0.1:0", "--database", &database, "--master-key-file", &key];
    let (_server, server_url) = start(&server_bin, &[&server_args[..], &["--rate-limits", unlimited]].concat(), &dir)?;
    let (_trivial, trivial_url) = start(&trivial_bin, &["127.0.0.1:0"], &dir)?;

    let threads = THREADS.to_string();
    let mut runs: Vec<(&str, Vec<Value>)> = vec![("trivial", Vec::new()), ("create", Vec::new()), ("list", Vec::new())];
    let rounds = ROUNDS.to_string();
    for round in 1..=ROUNDS {
        let round_arg = round.to_string();
        for (name, results) in &mut runs {
            let result = match *name {
                "trivial" => wrk(root, "trivial.lua", &format!("{trivial_url}/trivial"), &data, &[])?,
                "create" => wrk(root, "create-booking.lua", &server_url, &data, &[&threads, &round_arg, &rounds])?,
                _ => wrk(root, "list-bookings.lua", &format!("{server_url}/api/bookings"), &data, &[])?,
            };
            println!(
                "     round {round} {name:<8} {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  non-2xx {}",
                result["rps"].as_f64().unwrap_or(0.0),
                result["p50_us"].as_f64().unwrap_or(0.0) / 1000.0,
                result["p99_us"].as_f64().unwrap_or(0.0) / 1000.0,
                result["non_2xx"]
            );
            results.push(result);
        }
    }
    let summary = |results: &[Value]| {
        let pick = |key: &str| median(&mut results.iter().filter_map(|r| r[key].as_f64()).collect::<Vec<_>>());
        json!({
            "rps": pick("rps"),
            "p50_ms": pick("p50_us") / 1000.0,
            "p99_ms": pick("p99_us") / 1000.0,
            "non_2xx": results.iter().filter_map(|r| r["non_2xx"].as_u64()).sum::<u64>(),
            "socket_errors": results.iter().filter_map(|r| r["socket_errors"].as_u64()).sum::<u64>(),
            "runs": results,
        })
    };
    let mut report = json!({
        "what": format!(
            "wrk, {CONNECTIONS} connections, {THREADS} threads, {SECONDS} s per run, {ROUNDS} rounds alternating \
             (medians); bizing-server (release, SQLite WAL, rate limits on but raised); bookings created with a \
             1 KiB sealed note; the listing patient has {LISTED} bookings"
        ),
        "connections": CONNECTIONS,
    });
    for (name, results) in &runs {
        report[*name] = summary(results);
    }
    let trivial = report["trivial"]["rps"].as_f64().unwrap_or(f64::NAN);
    for name in ["create", "list"] {
        report[name]["ratio_to_trivial"] = json!(report[name]["rps"].as_f64().unwrap_or(f64::NAN) / trivial);
    }
    Ok(report)
}

/// The server table.
pub(crate) fn print(report: &Value) {
    println!("\nServer over loopback, {} (median of the rounds)", report["what"].as_str().unwrap_or("?"));
    println!(
        "{:<28} {:>10} {:>9} {:>9} {:>11} {:>8}",
        "endpoint", "req/s", "p50 ms", "p99 ms", "of trivial", "non-2xx"
    );
    for (name, label) in
        [("trivial", "trivial axum handler"), ("create", "POST /api/bookings"), ("list", "GET /api/bookings")]
    {
        let r = &report[name];
        let ratio = r["ratio_to_trivial"].as_f64().map_or_else(|| "-".to_owned(), |v| format!("{:.1}%", v * 100.0));
        println!(
            "{:<28} {:>10.0} {:>9.2} {:>9.2} {:>11} {:>8}",
            label,
            r["rps"].as_f64().unwrap_or(f64::NAN),
            r["p50_ms"].as_f64().unwrap_or(f64::NAN),
            r["p99_ms"].as_f64().unwrap_or(f64::NAN),
            ratio,
            r["non_2xx"]
        );
    }
}
