//! The server half of `cargo xtask bench`: booking creation and a patient's booking list on
//! `bizing-server` at 50 concurrent connections over loopback, measured with wrk (Debian's),
//! next to a trivial axum handler (`bench-trivial`) measured the same way in the same run.
//! Each is measured on two databases, served by two servers at once: the demo clinic alone
//! (the "empty" state), and the demo clinic after 100,000 bookings made through the API
//! (`bench-server-seed`, cached under `target/bench/server-seed/`). The contenders alternate
//! for a few rounds and the medians are reported, since these machines are noisy. Nothing
//! here asserts on speed.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::cmd::{Cmd, Failure};
use crate::setup;

const CONNECTIONS: u32 = 50;
const THREADS: u32 = 2;
const SECONDS: u32 = 5;
const ROUNDS: usize = 3;
/// Free slots prepared for the creation runs: more than this machine books in all rounds.
const SLOTS: u32 = 200_000;
/// Bookings of the patient whose list is fetched.
const LISTED: u32 = 20;
/// Bookings already in the large state's database.
const SEEDED: u32 = 100_000;
/// A seeded database older than this is made again: its upcoming bookings would have passed.
const SEED_MAX_AGE_SECS: u64 = 7 * 24 * 60 * 60;
/// The goals of the issue, reported against (never asserted): booking creation at least this
/// fraction of the trivial handler's requests a second, and a p99 under this many ms.
const GOAL_CREATE_RATIO: f64 = 0.30;
const GOAL_P99_MS: f64 = 25.0;

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

/// One database the booking endpoints are measured on.
struct State {
    /// Its key in the report.
    key: &'static str,
    /// What it holds, for the report.
    what: String,
    /// Its server's base URL.
    url: String,
    /// Its `bench-data.lua`.
    data: PathBuf,
    /// How it was made (the seeding), for the report.
    seed: Value,
}

/// Runs the server benchmark; returns its part of the report.
pub(crate) fn run(root: &Path, out: &Path) -> Result<Value, Failure> {
    setup::debian_packages(root, &[("/usr/bin/wrk", "wrk")])?;
    let [server_bin, setup_bin, trivial_bin, seed_bin] = release_executables(
        root,
        &["bizing-server", "bizing-bench-server"],
        ["bizing-server", "bench-server-setup", "bench-trivial", "bench-server-seed"],
    )?;

    let dir = out.join("server");
    let _ = std::fs::remove_dir_all(&dir);
    let seeded = seeded_database(root, out, &seed_bin)?;

    // The rate limits stay on (their bookkeeping is part of every request), set high enough
    // that the load is not refused.
    let unlimited = "1000000000,1000000000,1000000000";
    let mut servers = Vec::new();
    let mut states = Vec::new();
    for (key, from) in [("empty", None), ("bookings_100k", Some(&seeded))] {
        let state_dir = dir.join(key);
        create_dir(&state_dir)?;
        let db = state_dir.join("bench.db");
        let key_file = state_dir.join("master.key");
        let mut seed = Value::Null;
        if let Some((cache, info)) = from {
            let copying = Instant::now();
            for name in ["bench.db", "bench.db-wal", "master.key"] {
                let from = cache.join(name);
                if from.exists() {
                    std::fs::copy(&from, state_dir.join(name)).map_err(|e| {
                        Failure::new(format!("cannot copy {}: {e}", from.display()), "check the space left on disk")
                    })?;
                }
            }
            seed = info.clone();
            seed["copy_seconds"] = json!(copying.elapsed().as_secs_f64());
        }
        let database = format!("sqlite://{}", db.display());
        let key_path = key_file.display().to_string();
        let preparing = Instant::now();
        let prepared = Cmd::new(root, &setup_bin.display().to_string())
            .args(["--database", &database, "--master-key-file", &key_path, "--out"])
            .arg(&state_dir)
            .args(["--slots", &SLOTS.to_string(), "--listed", &LISTED.to_string()])
            .hint("see the set-up error above")
            .output()?;
        println!("     {key} data: {} ({:.1} s)", prepared.trim(), preparing.elapsed().as_secs_f64());
        let server_args = ["--listen", "127.0.0.1:0", "--database", &database, "--master-key-file", &key_path];
        let (server, url) =
            start(&server_bin, &[&server_args[..], &["--rate-limits", unlimited]].concat(), &state_dir)?;
        servers.push(server);
        let what = match from {
            None => {
                format!(
                    "the demo clinic (1 provider) with only the listing patient's {LISTED} bookings, and those the \
                     creation runs make"
                )
            }
            Some((_, info)) => format!(
                "the demo clinic after {} bookings made through the API ({} cancelled) by {} patients with {} \
                 providers, {} to {}, then the listing patient's {LISTED} and those the creation runs make",
                info["bookings"],
                info["cancelled"],
                info["patients"],
                info["providers"],
                info["first_day"].as_str().unwrap_or("?"),
                info["last_day"].as_str().unwrap_or("?")
            ),
        };
        states.push(State { key, what, url, data: state_dir.join("bench-data.lua"), seed });
    }
    let (_trivial, trivial_url) = start(&trivial_bin, &["127.0.0.1:0"], &dir)?;

    let threads = THREADS.to_string();
    let rounds = ROUNDS.to_string();
    let mut trivial_runs = Vec::new();
    let mut state_runs: Vec<(Vec<Value>, Vec<Value>)> = states.iter().map(|_| (Vec::new(), Vec::new())).collect();
    let show = |round: usize, name: &str, result: &Value| {
        println!(
            "     round {round} {name:<20} {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  non-2xx {}",
            result["rps"].as_f64().unwrap_or(0.0),
            result["p50_us"].as_f64().unwrap_or(0.0) / 1000.0,
            result["p99_us"].as_f64().unwrap_or(0.0) / 1000.0,
            result["non_2xx"]
        );
    };
    for round in 1..=ROUNDS {
        let round_arg = round.to_string();
        let data = &states[0].data;
        let result = wrk(root, "trivial.lua", &format!("{trivial_url}/trivial"), data, &[])?;
        show(round, "trivial", &result);
        trivial_runs.push(result);
        for (state, (creates, lists)) in states.iter().zip(&mut state_runs) {
            let args = [threads.as_str(), round_arg.as_str(), rounds.as_str()];
            let result = wrk(root, "create-booking.lua", &state.url, &state.data, &args)?;
            show(round, &format!("{} create", state.key), &result);
            creates.push(result);
            let result = wrk(root, "list-bookings.lua", &format!("{}/api/bookings", state.url), &state.data, &[])?;
            show(round, &format!("{} list", state.key), &result);
            lists.push(result);
        }
    }

    let trivial = summary(&trivial_runs, None);
    let trivial_rps = trivial["rps"].as_f64().unwrap_or(f64::NAN);
    let mut report = json!({
        "what": format!(
            "wrk, {CONNECTIONS} connections, {THREADS} threads, {SECONDS} s per run, {ROUNDS} rounds alternating \
             (medians); bizing-server (release, SQLite WAL, rate limits on but raised), one per database, both \
             running; bookings created with a 1 KiB sealed note by one patient, into free slots from tomorrow on; \
             the listing patient has {LISTED} bookings with notes"
        ),
        "connections": CONNECTIONS,
        "goals": { "create_of_trivial_at_least": GOAL_CREATE_RATIO, "p99_ms_under": GOAL_P99_MS },
        "trivial": trivial,
    });
    for (state, (creates, lists)) in states.iter().zip(&state_runs) {
        let create = summary(creates, Some(trivial_rps));
        let goals = json!({
            "create_of_trivial": create["ratio_to_trivial"].as_f64().is_some_and(|r| r >= GOAL_CREATE_RATIO),
            "create_p99": create["p99_ms"].as_f64().is_some_and(|p| p < GOAL_P99_MS),
        });
        let mut entry = json!({
            "what": state.what,
            "create": create,
            "list": summary(lists, Some(trivial_rps)),
            "goals_met": goals,
        });
        if !state.seed.is_null() {
            entry["seed"] = state.seed.clone();
        }
        report[state.key] = entry;
    }
    drop(servers);
    Ok(report)
}

/// Medians of a contender's runs, with every run, and its ratio to the trivial handler.
fn summary(results: &[Value], trivial_rps: Option<f64>) -> Value {
    let pick = |key: &str| median(&mut results.iter().filter_map(|r| r[key].as_f64()).collect::<Vec<_>>());
    let mut summary = json!({
        "rps": pick("rps"),
        "p50_ms": pick("p50_us") / 1000.0,
        "p99_ms": pick("p99_us") / 1000.0,
        "non_2xx": results.iter().filter_map(|r| r["non_2xx"].as_u64()).sum::<u64>(),
        "socket_errors": results.iter().filter_map(|r| r["socket_errors"].as_u64()).sum::<u64>(),
        "runs": results,
    });
    if let Some(trivial) = trivial_rps {
        summary["ratio_to_trivial"] = json!(pick("rps") / trivial);
    }
    summary
}

/// The seeded database (`bench.db`, maybe `bench.db-wal`, and `master.key`) and what
/// `bench-server-seed` said about it. It is kept in `target/bench/server-seed/HASH/`, where
/// HASH covers the server's migrations, the seeder's source and the number of bookings: made
/// again when any of them changes or when it is over a week old, else reused.
fn seeded_database(root: &Path, out: &Path, seed_bin: &Path) -> Result<(PathBuf, Value), Failure> {
    let cache_root = out.join("server-seed");
    let key = seed_key(root)?;
    let cache = cache_root.join(&key);
    let info_path = cache.join("seed.json");
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let cached = std::fs::read_to_string(&info_path).ok().and_then(|t| serde_json::from_str::<Value>(&t).ok());
    if let Some(mut info) = cached {
        let age = now.saturating_sub(info["seeded_at"].as_u64().unwrap_or(0));
        if age <= SEED_MAX_AGE_SECS {
            let shown = cache.strip_prefix(root).unwrap_or(&cache).display();
            println!("     {SEEDED} bookings: cached in {shown} (made {:.1} h ago)", age as f64 / 3600.0);
            info["cached"] = json!(true);
            return Ok((cache, info));
        }
    }
    // Older databases (another hash, or this one aged out) go first: each is a few hundred MB.
    let _ = std::fs::remove_dir_all(&cache_root);
    let building = cache_root.join(format!("{key}.tmp"));
    create_dir(&building)?;
    let shown = cache.strip_prefix(root).unwrap_or(&cache).display();
    println!("     seeding {SEEDED} bookings through the API (once; cached in {shown})");
    let seeding = Instant::now();
    let database = format!("sqlite://{}", building.join("bench.db").display());
    let stdout = Cmd::new(root, &seed_bin.display().to_string())
        .args(["--database", &database, "--master-key-file"])
        .arg(building.join("master.key"))
        .args(["--bookings", &SEEDED.to_string()])
        .hint("see the seeding error above")
        .output()?;
    let mut info = crate::bench::parse_json(&stdout, "bench-server-seed")?;
    info["wall_seconds"] = json!(seeding.elapsed().as_secs_f64());
    info["seeded_at"] = json!(now);
    info["key"] = json!(key);
    std::fs::write(building.join("seed.json"), info.to_string())
        .map_err(|e| Failure::new(format!("cannot write the seed's summary: {e}"), "check permissions on target/"))?;
    std::fs::rename(&building, &cache)
        .map_err(|e| Failure::new(format!("cannot move the seeded database into place: {e}"), "check target/"))?;
    println!("     seeded in {:.0} s: {info}", seeding.elapsed().as_secs_f64());
    info["cached"] = json!(false);
    Ok((cache, info))
}

/// What the seeded database depends on: the migrations (the schema), the seeder and the
/// shared set-up code, and the number of bookings.
fn seed_key(root: &Path) -> Result<String, Failure> {
    let read = |path: &Path| {
        std::fs::read(path)
            .map_err(|e| Failure::new(format!("cannot read {}: {e}", path.display()), "check the checkout"))
    };
    let mut hash = Sha256::new();
    hash.update(SEEDED.to_le_bytes());
    let migrations = root.join("crates/server/migrations");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&migrations)
        .map_err(|e| Failure::new(format!("cannot list {}: {e}", migrations.display()), "check the checkout"))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    files.sort();
    files.push(root.join("bench/server/src/bin/bench-server-seed.rs"));
    files.push(root.join("bench/server/src/lib.rs"));
    for file in files {
        hash.update(file.strip_prefix(root).unwrap_or(&file).to_string_lossy().as_bytes());
        hash.update([0]);
        let bytes = read(&file)?;
        hash.update(u64::try_from(bytes.len()).unwrap_or(u64::MAX).to_le_bytes());
        hash.update(bytes);
    }
    Ok(hash.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect())
}

fn create_dir(dir: &Path) -> Result<(), Failure> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::new(format!("cannot create {}: {e}", dir.display()), "check permissions on target/"))
}

/// The server table.
pub(crate) fn print(report: &Value) {
    println!("\nServer over loopback, {} (median of the rounds)", report["what"].as_str().unwrap_or("?"));
    println!(
        "{:<14} {:<22} {:>10} {:>9} {:>9} {:>11} {:>8}",
        "database", "endpoint", "req/s", "p50 ms", "p99 ms", "of trivial", "non-2xx"
    );
    let row = |state: &str, label: &str, r: &Value| {
        let ratio = r["ratio_to_trivial"].as_f64().map_or_else(|| "-".to_owned(), |v| format!("{:.1}%", v * 100.0));
        println!(
            "{:<14} {:<22} {:>10.0} {:>9.2} {:>9.2} {:>11} {:>8}",
            state,
            label,
            r["rps"].as_f64().unwrap_or(f64::NAN),
            r["p50_ms"].as_f64().unwrap_or(f64::NAN),
            r["p99_ms"].as_f64().unwrap_or(f64::NAN),
            ratio,
            r["non_2xx"]
        );
    };
    row("-", "trivial axum handler", &report["trivial"]);
    for (key, label) in [("empty", "empty"), ("bookings_100k", "100k bookings")] {
        let state = &report[key];
        if state.is_null() {
            continue;
        }
        row(label, "POST /api/bookings", &state["create"]);
        row(label, "GET /api/bookings", &state["list"]);
    }
    for (key, label) in [("empty", "empty"), ("bookings_100k", "100k bookings")] {
        let state = &report[key];
        if state.is_null() {
            continue;
        }
        let met = |goal: &str| if state["goals_met"][goal].as_bool() == Some(true) { "met" } else { "missed" };
        println!(
            "{label}: creation {:.1}% of trivial (goal {:.0}%: {}), p99 {:.1} ms (goal < {GOAL_P99_MS:.0} ms: {})",
            state["create"]["ratio_to_trivial"].as_f64().unwrap_or(f64::NAN) * 100.0,
            GOAL_CREATE_RATIO * 100.0,
            met("create_of_trivial"),
            state["create"]["p99_ms"].as_f64().unwrap_or(f64::NAN),
            met("create_p99"),
        );
    }
    let seed = &report["bookings_100k"]["seed"];
    if !seed.is_null() {
        println!(
            "100k bookings: {} bookings ({} cancelled, {} upcoming), {} patients, {} providers, {} to {}; seeding took \
             {:.0} s{} (sign-ups {:.0} s), copying it {:.1} s",
            seed["bookings"],
            seed["cancelled"],
            seed["upcoming_active"],
            seed["patients"],
            seed["providers"],
            seed["first_day"].as_str().unwrap_or("?"),
            seed["last_day"].as_str().unwrap_or("?"),
            seed["wall_seconds"].as_f64().unwrap_or(f64::NAN),
            if seed["cached"] == true { ", cached from an earlier run" } else { "" },
            seed["sign_up_seconds"].as_f64().unwrap_or(f64::NAN),
            seed["copy_seconds"].as_f64().unwrap_or(f64::NAN),
        );
    }
}
