//! The widget half of `cargo xtask bench`: the sizes a clinic's visitors download (the
//! loader on every page that embeds the widget; the frame's first load when a widget is
//! shown), next to the goals (loader at most 5 KB gzipped, widget at most 150 KB), and the
//! time from a `<bizing-booking>` element's insertion into a page to its `ready` event, in
//! headless Chromium, the page and the booking server on different sites. Nothing here
//! asserts on size or time; the figures are printed and reported.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::bench_portal::Scratch;
use crate::bench_server::{median, release_executables, start};
use crate::build::{LOADER_BUDGET_GZIP, WIDGET_BUDGET_GZIP};
use crate::cmd::{Cmd, Failure};
use crate::{build, setup};

const ROUNDS: usize = 7;
const WIDGET_SCRIPT: &str = "bench/widget/widget.mjs";
const PORTAL_TESTS_DIR: &str = "tests/portal";
const CHROMIUM: &str = "/usr/bin/chromium";

/// Raw, gzip (level 9) and brotli (quality 11) sizes of built files, from the siblings the
/// build writes (`NAME.gz`, `NAME.br`: what the server sends).
fn sizes(files: &[PathBuf]) -> Result<Value, Failure> {
    let len = |path: PathBuf| {
        std::fs::metadata(&path)
            .map(|m| m.len())
            .map_err(|e| Failure::new(format!("cannot read {}: {e}", path.display()), "run `cargo xtask build-widget`"))
    };
    let mut total = (0, 0, 0);
    let mut list = Vec::new();
    for file in files {
        let sibling = |ext: &str| {
            let mut name = file.as_os_str().to_owned();
            name.push(ext);
            PathBuf::from(name)
        };
        let (raw, gzip, brotli) = (len(file.clone())?, len(sibling(".gz"))?, len(sibling(".br"))?);
        total = (total.0 + raw, total.1 + gzip, total.2 + brotli);
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        list.push(json!({ "file": name, "raw": raw, "gzip": gzip, "brotli": brotli }));
    }
    Ok(json!({ "files": list, "total": { "raw": total.0, "gzip": total.1, "brotli": total.2 } }))
}

/// Runs the widget benchmark; returns its part of the report.
pub(crate) fn run(root: &Path, out: &Path) -> Result<Value, Failure> {
    setup::debian_packages(root, &[(CHROMIUM, "chromium"), ("/usr/bin/sqlite3", "sqlite3")])?;
    setup::npm_dir(root, PORTAL_TESTS_DIR)?;

    println!("==> widget: build");
    let built = build::widget(root)?;
    let loader = sizes(std::slice::from_ref(&built.loader))?;
    let first_load = sizes(&built.first_load)?;
    let seal_module = sizes(&built.seal_module)?;
    let later_steps = sizes(&built.later_steps)?;

    let [server_bin] = release_executables(root, &["bizing-server"], ["bizing-server"])?;
    let scratch = Scratch(out.join("widget"));
    let dir = &scratch.0;
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::new(format!("cannot create {}: {e}", dir.display()), "check permissions on target/"))?;
    let db = dir.join("bench.db");
    let database = format!("sqlite://{}", db.display());
    let key = dir.join("master.key").display().to_string();
    let web_root = built.web_root.display().to_string();
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--database",
        &database,
        "--master-key-file",
        &key,
        "--static",
        &web_root,
        "--demo",
    ];
    let (server, url) = start(&server_bin, &args, dir)?;
    println!("==> widget: headless Chromium, {ROUNDS} cold page loads");
    let browser = Cmd::new(root, "node")
        .arg(root.join(WIDGET_SCRIPT))
        .args(["--url", &url, "--db"])
        .arg(&db)
        .arg("--loader")
        .arg(&built.loader)
        .args(["--rounds", &ROUNDS.to_string()])
        .hint(format!(
            "see the error above; `{WIDGET_SCRIPT}` drives {CHROMIUM} with playwright-core from {PORTAL_TESTS_DIR} \
             (`cargo xtask test --only setup` installs both); `cargo xtask test --only widget` checks the widget itself"
        ))
        .output()
        .and_then(|stdout| crate::bench::parse_json(&stdout, WIDGET_SCRIPT))?;
    drop(server);

    let rounds = browser["rounds"].as_array().cloned().unwrap_or_default();
    let mut ready: Vec<f64> = rounds.iter().filter_map(|r| r["insertion_to_ready_ms"].as_f64()).collect();
    let mut defined: Vec<f64> = rounds.iter().filter_map(|r| r["loader_defined_ms"].as_f64()).collect();
    Ok(json!({
        "loader": { "sizes": loader, "goal_gzip_bytes": LOADER_BUDGET_GZIP, "built_gzip": built.loader_gz, "integrity": built.loader_sri },
        "first_load": {
            "what": "frame.html and the files it names (stylesheet, start script, wasm-bindgen glue, the split's link \
                     module, wasm)",
            "sizes": first_load,
            "goal_gzip_bytes": WIDGET_BUDGET_GZIP,
            "built_gzip": built.first_load_gz,
        },
        "later_steps": {
            "what": "the chunk of the steps after the time (web/widget/src/later.rs), fetched in the background at \
                     the time step, not in the first load",
            "sizes": later_steps,
        },
        "seal_module": {
            "what": "the sealing module (web/widget-seal: glue and wasm), fetched at the note step, not in the first load",
            "sizes": seal_module,
        },
        "ready": {
            "what": "headless Chromium, a fresh context per round (empty HTTP cache); the clinic page on 127.0.0.1, \
                     the booking server on localhost; performance.now() in the page from inserting an inline \
                     <bizing-booking> to its `ready` event (frame loaded, wasm started, services and providers \
                     fetched, first step drawn); the loader itself is loaded before (async script)",
            "rounds": rounds.len(),
            "insertion_to_ready_ms": { "median": median(&mut ready), "min": ready.first(), "max": ready.last() },
            "loader_defined_ms": { "median": median(&mut defined) },
            "runs": rounds,
        },
        "environment": { "chromium": browser["chromium"], "node": browser["node"] },
    }))
}

/// Prints the widget's part of the report.
pub(crate) fn print(report: &Value) {
    let n = |v: &Value| v.as_u64().unwrap_or_default();
    let line = |what: &str, sizes: &Value, goal: u64| {
        let total = &sizes["total"];
        let gzip = n(&total["gzip"]);
        let verdict = if gzip <= goal { "within the goal" } else { "over the goal" };
        println!(
            "{what:<28} {:>9} {:>9} {:>9}   goal {goal} B gzip: {verdict} ({:.0}%)",
            n(&total["raw"]),
            gzip,
            n(&total["brotli"]),
            100.0 * gzip as f64 / goal as f64
        );
    };
    println!("\nWidget sizes (bytes)           raw      gzip    brotli");
    line("loader.js", &report["loader"]["sizes"], LOADER_BUDGET_GZIP);
    line("frame, first load", &report["first_load"]["sizes"], WIDGET_BUDGET_GZIP);
    for f in report["first_load"]["sizes"]["files"].as_array().into_iter().flatten() {
        println!(
            "  {:<26} {:>9} {:>9} {:>9}",
            f["file"].as_str().unwrap_or("?"),
            n(&f["raw"]),
            n(&f["gzip"]),
            n(&f["brotli"])
        );
    }
    for (what, key, when) in [
        ("later steps (chunk)", "later_steps", "at the time step"),
        ("sealing module", "seal_module", "at the note step"),
    ] {
        let total = &report[key]["sizes"]["total"];
        println!(
            "{what:<28} {:>9} {:>9} {:>9}   ({when}, not in the first load)",
            n(&total["raw"]),
            n(&total["gzip"]),
            n(&total["brotli"])
        );
    }
    let ready = &report["ready"];
    println!(
        "Widget insertion to `ready`: median {:.0} ms (min {:.0}, max {:.0}) over {} cold loads",
        ready["insertion_to_ready_ms"]["median"].as_f64().unwrap_or(f64::NAN),
        ready["insertion_to_ready_ms"]["min"].as_f64().unwrap_or(f64::NAN),
        ready["insertion_to_ready_ms"]["max"].as_f64().unwrap_or(f64::NAN),
        ready["rounds"]
    );
}
