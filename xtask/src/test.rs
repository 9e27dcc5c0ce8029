//! `cargo xtask test`: every check CI runs, as named stages, stopping at the first failure.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use crate::cmd::{Cmd, Failure};
use crate::{build, setup};

struct Stage {
    name: &'static str,
    run: fn(&Path) -> Result<(), Failure>,
}

/// In order: cheap checks first, so a formatting slip fails in seconds, not after the
/// browser tests.
const STAGES: &[Stage] = &[
    Stage { name: "setup", run: setup::run },
    Stage { name: "fmt", run: fmt },
    Stage { name: "clippy", run: clippy },
    Stage { name: "doc", run: doc },
    Stage { name: "test", run: test },
    Stage { name: "wasm-node", run: wasm_node },
    Stage { name: "wasm-browser", run: wasm_browser },
    Stage { name: "npm-package", run: npm_package },
    Stage { name: "browser", run: browser },
    Stage { name: "portal", run: portal },
    Stage { name: "widget", run: widget },
    Stage { name: "interop", run: interop },
];

const INTEROP_DIR: &str = "tests/interop";
const BROWSER_DIR: &str = "tests/browser";
const PORTAL_DIR: &str = "tests/portal";
/// The widget's end-to-end tests (they share tests/portal's harness and npm packages).
const WIDGET_DIR: &str = "tests/widget";
const NPM_PACKAGE_TESTS: &str = "tests/npm/run.mjs";

pub(crate) fn main(root: &Path, args: &[String]) -> ExitCode {
    let selected = match select(args) {
        Ok(selected) => selected,
        Err(message) => {
            let names: Vec<&str> = STAGES.iter().map(|s| s.name).collect();
            eprintln!(
                "xtask test: {message}\nusage: cargo xtask test [--only STAGE[,STAGE...]]\n\
                 stages: {}",
                names.join(" ")
            );
            return ExitCode::from(2);
        }
    };
    let mut passed = 0;
    for (i, stage) in selected.iter().enumerate() {
        println!("==> {}", stage.name);
        let start = Instant::now();
        match (stage.run)(root) {
            Ok(()) => {
                passed += 1;
                println!("ok   {} ({:.1} s)", stage.name, start.elapsed().as_secs_f64());
            }
            Err(failure) => {
                println!("FAIL {}: {}", stage.name, failure.what());
                println!("     what to do: {}", failure.hint());
                println!("     rerun just this stage: cargo xtask test --only {}", stage.name);
                let not_run: Vec<&str> = selected.iter().skip(i + 1).map(|s| s.name).collect();
                if !not_run.is_empty() {
                    println!("     not run: {}", not_run.join(", "));
                }
                println!("xtask: {passed} passed, 1 failed");
                return ExitCode::FAILURE;
            }
        }
    }
    println!("xtask: {passed} passed, 0 failed");
    ExitCode::SUCCESS
}

/// The stages to run, in pipeline order: all of them, or those named by `--only`.
fn select(args: &[String]) -> Result<Vec<&'static Stage>, String> {
    let mut only: Vec<String> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let list = if let Some(list) = arg.strip_prefix("--only=") {
            list.to_owned()
        } else if arg == "--only" {
            args.next().ok_or("--only needs a stage name")?.clone()
        } else {
            return Err(format!("unknown argument `{arg}`"));
        };
        only.extend(list.split(',').filter(|s| !s.is_empty()).map(str::to_owned));
    }
    if let Some(unknown) = only.iter().find(|name| !STAGES.iter().any(|s| s.name == *name)) {
        return Err(format!("no stage named `{unknown}`"));
    }
    Ok(STAGES.iter().filter(|stage| only.is_empty() || only.iter().any(|name| name == stage.name)).collect())
}

fn fmt(root: &Path) -> Result<(), Failure> {
    Cmd::cargo(root).args(["fmt", "--all", "--check"]).hint("run `cargo fmt --all` and commit the result").run()
}

fn clippy(root: &Path) -> Result<(), Failure> {
    let hint = "fix the lints above (warnings are errors here); \
                `#[allow]` only with a reason comment";
    Cmd::cargo(root)
        .args(["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"])
        .hint(hint)
        .run()?;
    // The wasm32 build compiles different cfg branches (getrandom backend, wasm-bindgen
    // exports), which the host run above never sees.
    Cmd::cargo(root)
        .args(["clippy", "-p", "bizing-core", "-p", "bizing-bench", "-p", "bizing-bench-log", "-p", "bizing-sdk"])
        .args(["--target", "wasm32-unknown-unknown", "--lib", "--locked", "--", "-D", "warnings"])
        .hint(hint)
        .run()?;
    // The SDK as the web apps build it, without its `js` feature: a JavaScript item missing
    // its `#[cfg(feature = "js")]` fails here (the workspace runs above unify the feature on).
    Cmd::cargo(root)
        .args([
            "clippy",
            "-p",
            "bizing-sdk",
            "-p",
            "bizing-portal",
            "-p",
            "bizing-portal-qr",
            "-p",
            "bizing-widget",
            "-p",
            "bizing-widget-seal",
        ])
        .arg("--no-default-features")
        .args(["--target", "wasm32-unknown-unknown", "--locked", "--", "-D", "warnings"])
        .hint(hint)
        .run()
}

fn doc(root: &Path) -> Result<(), Failure> {
    Cmd::cargo(root)
        .args(["doc", "--workspace", "--no-deps", "--locked"])
        .env("RUSTDOCFLAGS", "-Dwarnings")
        .hint("fix the rustdoc warnings above (broken intra-doc links, missing docs, bad code blocks)")
        .run()
}

fn test(root: &Path) -> Result<(), Failure> {
    Cmd::cargo(root)
        .args(["test", "--workspace", "--locked"])
        .hint(
            "see the failing tests above (search for `FAILED` and `panicked`); rerun one with \
             `cargo test -p <crate> <test name>`",
        )
        .run()
}

/// The core's tests compiled to wasm32, as the test runner runs them: in Node by default.
fn wasm_test(root: &Path) -> Cmd {
    Cmd::cargo(root).args([
        "test",
        "-p",
        "bizing-core",
        "--target",
        "wasm32-unknown-unknown",
        "--lib",
        "--tests",
        "--locked",
    ])
}

fn wasm_node(root: &Path) -> Result<(), Failure> {
    wasm_test(root)
        // A browser setting left in the developer's shell would silently skip Node.
        .env_remove("WASM_BINDGEN_USE_BROWSER")
        .hint(
            "see the failing tests above; they passed natively, so suspect wasm32 differences \
             (no std::time, no threads, getrandom backend, usize = 32 bits)",
        )
        .run()
}

fn wasm_browser(root: &Path) -> Result<(), Failure> {
    let webdriver_json = root.join("crates").join("core").join("webdriver.json");
    wasm_test(root)
        .env("WASM_BINDGEN_USE_BROWSER", "1")
        .env("CHROMEDRIVER", setup::CHROMEDRIVER)
        .env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", webdriver_json.to_string_lossy())
        .hint(
            "see the output above; if Chromium failed to start, check that `chromium --version` \
             and `chromedriver --version` match and that crates/core/webdriver.json keeps the \
             headless flags",
        )
        .run()
}

/// Builds pkg/ (`cargo xtask build`), then tests the packed and installed package in Node.js,
/// Deno, workerd and Chromium, across runtimes, and with tsc (tests/npm/run.mjs); its
/// `BookingClient` runs against a real `bizing-server --demo`, which run.mjs builds and starts.
fn npm_package(root: &Path) -> Result<(), Failure> {
    build::run(root)?;
    Cmd::new(root, "node")
        .arg(NPM_PACKAGE_TESTS)
        .hint(format!(
            "see the failing step above (its runner's output follows it); rerun with \
             `node {NPM_PACKAGE_TESTS}` (BIZING_NPM_VERBOSE=1 shows everything, BIZING_NPM_KEEP=1 \
             keeps the temp project); if a tool is missing, run `cargo xtask test --only setup`"
        ))
        .run()
}

/// The package's browser behaviour (the IdleTimer with real DOM events, across tabs;
/// `openNotes` in a pool of workers) in headless Chromium, against `pkg/` as built.
fn browser(root: &Path) -> Result<(), Failure> {
    build::run(root)?;
    Cmd::new(root, "node")
        .in_dir(root, BROWSER_DIR)
        .args(["--test", "--test-reporter=spec"])
        .hint(format!(
            "see the failing cases above (marked ✖); if playwright-core is missing, run \
             `cargo xtask test --only setup`; Chromium must be at /usr/bin/chromium ({BROWSER_DIR})"
        ))
        .run()
}

/// The patient portal end to end: builds the portal (`cargo xtask build-portal`), the npm
/// package (the tests book "through the API" with it from Node) and `bizing-server`, then
/// runs tests/portal in headless Chromium against `bizing-server --demo --static` on a free
/// port with a fresh database (the tests start it). The portal's size is measured by
/// `cargo xtask bench --only portal`, against its goal, not held to it here: sizes and speeds
/// are reported by benchmarks, never asserted by tests.
fn portal(root: &Path) -> Result<(), Failure> {
    let web_root = build::portal(root)?;
    build::run(root)?;
    let server = server_binary(root)?;
    Cmd::new(root, "node")
        .in_dir(root, PORTAL_DIR)
        .args(["--test", "--test-reporter=spec", "--test-concurrency=1"])
        .env("BIZING_SERVER", server)
        .env("BIZING_WEB_ROOT", web_root.to_string_lossy())
        .hint(format!(
            "see the failing cases above (marked ✖); rerun with `cargo xtask test --only portal`; if a \
             module is missing, run `cargo xtask test --only setup` ({PORTAL_DIR})"
        ))
        .run()
}

/// The booking widget end to end: builds the widget (`cargo xtask build-widget`), the portal
/// (a provider reads the booked note there) and `bizing-server`, then runs tests/widget in
/// headless Chromium: the clinic's page on one origin (`web/widget/demo/serve.mjs`, strict
/// CSP), `bizing-server --demo --static` on another.
fn widget(root: &Path) -> Result<(), Failure> {
    build::portal(root)?;
    let built = build::widget(root)?;
    let server = server_binary(root)?;
    Cmd::new(root, "node")
        .in_dir(root, WIDGET_DIR)
        .args(["--test", "--test-reporter=spec", "--test-concurrency=1"])
        .env("BIZING_SERVER", server)
        .env("BIZING_WEB_ROOT", built.web_root.to_string_lossy())
        .hint(format!(
            "see the failing cases above (marked ✖); rerun with `cargo xtask test --only widget`; if a \
             module is missing, run `cargo xtask test --only setup` ({WIDGET_DIR} uses {PORTAL_DIR}'s)"
        ))
        .run()
}

/// Builds `bizing-server` (debug) and returns the path of its executable.
fn server_binary(root: &Path) -> Result<String, Failure> {
    let out = Cmd::cargo(root)
        .args([
            "build",
            "-p",
            "bizing-server",
            "--bin",
            "bizing-server",
            "--locked",
            "--message-format=json-render-diagnostics",
        ])
        .hint("see the compiler errors above")
        .output()?;
    out.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "bizing-server")
        .find_map(|m| m["executable"].as_str().map(str::to_owned))
        .ok_or_else(|| Failure::new("cargo build -p bizing-server named no executable", "this is a bug in xtask"))
}

fn interop(root: &Path) -> Result<(), Failure> {
    if !root.join(INTEROP_DIR).is_dir() {
        return Err(Failure::new(
            format!("{INTEROP_DIR}/ does not exist"),
            "it is part of the repository; update your checkout (git pull)",
        ));
    }
    Cmd::new(root, "node")
        .in_dir(root, INTEROP_DIR)
        .args(["--test", "--test-reporter=spec"])
        .hint(format!(
            "see the failing cases above (marked ✖); if a module is missing, run \
             `cargo xtask test --only setup` to install {INTEROP_DIR}'s npm dependencies"
        ))
        .run()?;
    // The access-log format checked by a verifier written in Python from the document alone.
    setup::python_venv(root)?;
    Cmd::new(root, &root.join(setup::PYTHON_VENV).join("bin").join("python").to_string_lossy())
        .arg(root.join("tests").join("interop-python").join("verify_access_log.py"))
        .hint("see the failed checks above; docs/access-log-format.md and the Rust verifier disagree")
        .run()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(args: &[&str]) -> Result<Vec<&'static str>, String> {
        let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        select(&args).map(|stages| stages.iter().map(|s| s.name).collect())
    }

    #[test]
    fn selects_stages_in_pipeline_order() {
        assert_eq!(names(&[]).unwrap().len(), STAGES.len());
        assert_eq!(names(&["--only", "doc,fmt"]).unwrap(), ["fmt", "doc"]);
        assert_eq!(names(&["--only=test", "--only", "setup"]).unwrap(), ["setup", "test"]);
        assert!(names(&["--only", "lint"]).is_err());
        assert!(names(&["--only"]).is_err());
        assert!(names(&["fmt"]).is_err());
    }
}
