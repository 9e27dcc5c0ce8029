//! `cargo xtask`: the project's one entry point for setup, the npm package build, tests,
//! benchmarks and the demo.
//!
//! Plain std plus `serde_json` (and `flate2` for the benchmark's gzip sizes), so it builds in
//! seconds on a fresh machine and every step is a command printed before it runs, which a
//! developer can copy and run alone.

// Printing progress and results is what this program is for.
#![allow(clippy::print_stdout, reason = "xtask is a CLI; stdout is its interface")]

mod bench;
mod bench_bulk;
mod bench_envelope;
mod bench_goals;
mod bench_log;
mod bench_portal;
mod bench_server;
mod bench_widget;
mod build;
mod cmd;
mod setup;
mod test;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  build                            build the npm package @bizing/booking-sdk into pkg/dist
                                   (wasm, wasm-bindgen glue and types, wasm-opt -Oz)
  build-portal                     build the patient portal into target/web/portal (wasm,
                                   wasm-opt -Oz, content-hashed names, index.html)
  build-widget                     build the booking widget into target/web/widget/v1 (the
                                   loader, with its SRI hash printed, and the frame's app)
  test [--only STAGE[,STAGE...]]   run every check CI runs, in order (CI runs exactly this);
                                   stages: setup fmt clippy doc test wasm-node wasm-browser
                                   npm-package browser portal widget interop
  bench [--only envelope|server|portal|widget|bulk|log]
                                   time seal/open natively and as wasm in Node (64 B, 1 KiB
                                   and 64 KiB notes; the npm package against @hpke/core and
                                   a pure-JS noble build), measure the wasm size, load the server with wrk (booking create and
                                   list vs a trivial axum handler), and measure the portal's
                                   gzipped first load (goal: 300 KB) and its sign-in to an
                                   interactive bookings page with 200 notes in headless
                                   Chromium, and the widget's loader and first-load sizes
                                   and insertion-to-ready time, and 1,000 notes opened in
                                   Chromium through the npm package (in a loop and in a pool
                                   of workers), and verify 10,000 access-log proofs (goal:
                                   100 ms in Node) and TOTP codes (vs otplib); prints every
                                   goal met or missed; writes target/bench/report.json
  demo                             build the portal and the widget, start the reference
                                   server with a demo clinic on http://localhost:8080 (portal
                                   at /portal/) and the clinic's own website embedding the
                                   widget on http://127.0.0.1:8081, and print the demo accounts
  help                             this text
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    match args.first().map(String::as_str) {
        Some("test") => test::main(&root, args.get(1..).unwrap_or_default()),
        Some("build") if args.len() == 1 => build::main(&root),
        Some("build-portal") if args.len() == 1 => build::portal_main(&root),
        Some("build-widget") if args.len() == 1 => build::widget_main(&root),
        Some("bench") => bench::main(&root, args.get(1..).unwrap_or_default()),
        Some("demo") if args.len() == 1 => demo(&root),
        None | Some("help" | "--help" | "-h") => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(_) => {
            eprintln!("xtask: unknown command or arguments `{}`\n\n{USAGE}", args.join(" "));
            ExitCode::from(2)
        }
    }
}

/// The workspace root: xtask lives one level below it, wherever the checkout is.
/// Where the demo's booking server is reached. Not 127.0.0.1, the demo site's host: a
/// different site, so the widget is framed cross-site as on a real clinic's website.
const DEMO_BOOKING_ORIGIN: &str = "http://localhost:8080";

fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// Builds the portal and the widget, starts the demo clinic's own website (a second origin,
/// so the widget runs cross-site as it does in production), then builds and starts the
/// reference server with the demo clinic (data kept in `target/demo/`, so accounts survive
/// restarts), serving the portal at `/portal/` and the widget at `/widget/v1/`.
fn demo(root: &Path) -> ExitCode {
    let fail = |failure: &cmd::Failure| {
        println!("FAIL demo: {}", failure.what());
        println!("     what to do: {}", failure.hint());
        ExitCode::FAILURE
    };
    let dir = root.join("target").join("demo");
    if let Err(e) = std::fs::create_dir_all(&dir) {
        println!("FAIL demo: cannot create {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    println!("==> demo: building the patient portal and the booking widget");
    let web_root = match build::portal(root).and_then(|_| build::widget(root)) {
        Ok(built) => built.web_root,
        Err(failure) => return fail(&failure),
    };
    let loader = web_root.join("widget").join(build::WIDGET_VERSION_DIR).join("loader.js");
    // The clinic's site: Node serves web/widget/demo/site under a strict CSP. It is a child
    // of this process; Ctrl-C stops it with the server.
    let site = std::process::Command::new("node")
        .current_dir(root)
        .arg("web/widget/demo/serve.mjs")
        .arg(DEMO_BOOKING_ORIGIN)
        .arg(&loader)
        .args(["8081", "127.0.0.1"])
        .spawn();
    let mut site = match site {
        Ok(child) => child,
        Err(e) => {
            return fail(&cmd::Failure::new(
                format!("cannot start node for the demo site: {e}"),
                "install Node.js 20+",
            ));
        }
    };
    println!("==> demo: building and starting the reference server (Ctrl-C stops it)");
    println!("     the patient portal: {DEMO_BOOKING_ORIGIN}/portal/");
    let database = format!("sqlite://{}", dir.join("bizing.db").display());
    let key = dir.join("master.key");
    let result = cmd::Cmd::cargo(root)
        .args([
            "run",
            "--release",
            "--locked",
            "-p",
            "bizing-server",
            "--",
            "--demo",
            "--demo-notice",
            "--listen",
            "127.0.0.1:8080",
        ])
        .args(["--database", &database])
        .arg("--master-key-file")
        .arg(&key)
        .arg("--static")
        .arg(&web_root)
        .hint("see the error above; is port 8080 already in use?")
        .run();
    let _ = site.kill();
    let _ = site.wait();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            println!("FAIL demo: {}", failure.what());
            println!("     what to do: {}", failure.hint());
            ExitCode::FAILURE
        }
    }
}
