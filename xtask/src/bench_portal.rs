//! The portal half of `cargo xtask bench`: what a patient's browser downloads on a first load
//! of the built portal, next to the goal (at most 300 KB gzipped), and how long headless
//! Chromium takes from signing in to an interactive bookings page whose 200 notes it has to
//! open. Nothing here asserts on size or time; the figures are printed and reported.
//!
//! Size is measured from the built files (`index.html` and every file it and its scripts
//! name) and cross-checked with what Chromium actually fetched from `bizing-server`. Time is
//! measured by `bench/portal/portal.mjs` in the page itself, against patients that
//! `bench-portal-setup` (bench/portal) makes through the real API.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::bench_server::{median, release_executables, start};
use crate::cmd::{Cmd, Failure};
use crate::{build, setup};

/// The goal for the first load: at most 300 KB gzipped, in decimal bytes.
const GOAL_GZIP_BYTES: u64 = 300_000;
/// Browser rounds, one patient each (a fresh context: a cold HTTP cache every time).
const ROUNDS: usize = 5;
/// Bookings of each patient, every one with a note sealed to the clinic and the patient.
const BOOKINGS: usize = 200;
const PORTAL_SCRIPT: &str = "bench/portal/portal.mjs";
const PORTAL_TESTS_DIR: &str = "tests/portal";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A directory removed when dropped, so a failed run leaves no database behind.
pub(crate) struct Scratch(pub(crate) PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the portal benchmark; returns its part of the report.
pub(crate) fn run(root: &Path, out: &Path) -> Result<Value, Failure> {
    setup::debian_packages(root, &[(CHROMIUM, "chromium")])?;
    // playwright-core, pinned by the portal tests (skipped when already installed).
    setup::npm_dir(root, PORTAL_TESTS_DIR)?;

    println!("==> portal: build");
    let web_root = build::portal(root)?;
    let portal_dir = web_root.join("portal");
    let names = first_load(&portal_dir)?;
    let sizes = file_sizes(root, &portal_dir, &names)?;

    let [server_bin, setup_bin] =
        release_executables(root, &["bizing-server", "bizing-bench-portal"], ["bizing-server", "bench-portal-setup"])?;
    let scratch = Scratch(out.join("portal"));
    let dir = &scratch.0;
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::new(format!("cannot create {}: {e}", dir.display()), "check permissions on target/"))?;

    println!(
        "==> portal: {ROUNDS} patients with {BOOKINGS} bookings each (notes sealed to the clinic and the patient)"
    );
    let database = format!("sqlite://{}", dir.join("bench.db").display());
    let key = dir.join("master.key").display().to_string();
    let data = dir.join("portal-data.json");
    let prepared = Cmd::new(root, &setup_bin.display().to_string())
        .args(["--database", &database, "--master-key-file", &key, "--out"])
        .arg(&data)
        .args(["--patients", &ROUNDS.to_string(), "--bookings", &BOOKINGS.to_string()])
        .hint("see the set-up error above")
        .output()?;
    let seeded = crate::bench::parse_json(&prepared, "bench-portal-setup")?;

    println!("==> portal: headless Chromium, {ROUNDS} cold sign-ins");
    let web_root_text = web_root.display().to_string();
    // The limits stay on, raised out of the way of several sign-ins from one address.
    let server_args = [
        "--listen",
        "127.0.0.1:0",
        "--database",
        &database,
        "--master-key-file",
        &key,
        "--static",
        &web_root_text,
        "--rate-limits",
        "2000,2000,100",
    ];
    let (server, url) = start(&server_bin, &server_args, dir)?;
    let browser = Cmd::new(root, "node")
        .arg(root.join(PORTAL_SCRIPT))
        .args(["--url", &url, "--data"])
        .arg(&data)
        .args(["--rounds", &ROUNDS.to_string()])
        .hint(format!(
            "see the error above; `{PORTAL_SCRIPT}` drives {CHROMIUM} with playwright-core from {PORTAL_TESTS_DIR} \
             (`cargo xtask test --only setup` installs both); `cargo xtask test --only portal` checks the portal itself"
        ))
        .output()
        .and_then(|stdout| crate::bench::parse_json(&stdout, PORTAL_SCRIPT))?;
    drop(server);

    Ok(report(root, &names, &sizes, &seeded, &browser))
}

/// The files a first load of the portal fetches, in the order the browser finds them:
/// `index.html`, then every existing file that it (as `/portal/NAME`) or a script (as
/// `./NAME`, relative to the script) names, except what a script loads on demand (a
/// dynamic `import(...)` or a `fetch(...)` and what its top-level statement names, such as
/// the QR module, or the chunks of the split-off pages that the split's link module fetches).
/// Names are relative to `dir`.
fn first_load(dir: &Path) -> Result<Vec<String>, Failure> {
    let mut files = vec!["index.html".to_owned()];
    let mut next = 0;
    while let Some(name) = files.get(next).cloned() {
        next += 1;
        if !(name.ends_with(".html") || name.ends_with(".js")) {
            continue;
        }
        let path = dir.join(&name);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Failure::new(format!("cannot read {}: {e}", path.display()), "run `cargo xtask build-portal` alone")
        })?;
        let text = if name.ends_with(".js") { without_dynamic_imports(&text) } else { text };
        let base = name.rsplit_once('/').map_or("", |(parent, _)| parent);
        for reference in quoted(&text) {
            let named = if let Some(rest) = reference.strip_prefix("/portal/") {
                rest.to_owned()
            } else if let Some(rest) = reference.strip_prefix("./") {
                if base.is_empty() { rest.to_owned() } else { format!("{base}/{rest}") }
            } else {
                continue;
            };
            if !named.contains("..") && !files.contains(&named) && dir.join(&named).is_file() {
                files.push(named);
            }
        }
    }
    if files.len() < 2 {
        return Err(Failure::new(
            format!("{} names none of the built files", dir.join("index.html").display()),
            "web/portal/static/index.html should link the stylesheet and the start script as /portal/NAME",
        ));
    }
    Ok(files)
}

/// `script` without its on-demand loads: from each `import(` or `fetch(` to the end of the
/// top-level statement holding it (the next line that starts in the first column).
fn without_dynamic_imports(script: &str) -> String {
    let mut kept = String::with_capacity(script.len());
    let mut rest = script;
    while let Some(at) = ["import(", "fetch("].iter().filter_map(|call| rest.find(call)).min() {
        kept.push_str(&rest[..at]);
        let after = &rest[at..];
        let end = after
            .match_indices('\n')
            .map(|(i, _)| i + 1)
            .find(|&i| after[i..].chars().next().is_some_and(|c| !c.is_whitespace()))
            .unwrap_or(after.len());
        rest = &after[end..];
    }
    kept.push_str(rest);
    kept
}

/// The contents of every one-line string literal in `text`, in double or single quotes.
fn quoted(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find(['"', '\'']) {
        let quote = &rest[open..=open];
        let after = &rest[open + 1..];
        match after.find(quote) {
            Some(close) if !after[..close].contains('\n') => {
                found.push(&after[..close]);
                rest = &after[close + 1..];
            }
            _ => rest = after,
        }
    }
    found
}

/// Raw, gzip and brotli sizes of one file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Size {
    raw: u64,
    gzip: u64,
    brotli: u64,
}

/// Each file's raw size, gzip at level 9 (flate2 with zlib-rs: the deflate `gzip -9` runs),
/// and brotli at quality 11 (Node's zlib, as the envelope sizes in this report).
fn file_sizes(root: &Path, dir: &Path, names: &[String]) -> Result<Vec<Size>, Failure> {
    let brotli = Cmd::new(root, "node")
        .arg(root.join("bench").join("node").join("size.mjs"))
        .args(names.iter().map(|name| format!("{name}={}", dir.join(name).display())))
        .hint("see the Node error above; Node.js 20+ is needed")
        .output()
        .and_then(|stdout| crate::bench::parse_json(&stdout, "bench/node/size.mjs"))?;
    names
        .iter()
        .map(|name| {
            let path = dir.join(name);
            let bytes = std::fs::read(&path).map_err(|e| {
                Failure::new(format!("cannot read {}: {e}", path.display()), "run `cargo xtask build-portal`")
            })?;
            Ok(Size {
                raw: bytes.len() as u64,
                gzip: gzip_len(&bytes)?,
                brotli: brotli[name.as_str()]["brotli"].as_u64().unwrap_or_default(),
            })
        })
        .collect()
}

/// Bytes of `bytes` gzipped at level 9.
fn gzip_len(bytes: &[u8]) -> Result<u64, Failure> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .map(|gz| gz.len() as u64)
        .map_err(|e| Failure::new(format!("gzip failed: {e}"), "this is a bug in xtask"))
}

fn stats(values: &[f64]) -> Value {
    let mut sorted = values.to_vec();
    let median = median(&mut sorted);
    json!({
        "median": median,
        "min": sorted.first().copied().unwrap_or(f64::NAN),
        "max": sorted.last().copied().unwrap_or(f64::NAN),
    })
}

fn report(root: &Path, names: &[String], sizes: &[Size], seeded: &Value, browser: &Value) -> Value {
    let total = sizes.iter().fold(Size::default(), |t, s| Size {
        raw: t.raw + s.raw,
        gzip: t.gzip + s.gzip,
        brotli: t.brotli + s.brotli,
    });
    let files: Vec<Value> = names
        .iter()
        .zip(sizes)
        .map(|(name, s)| json!({ "file": name, "raw": s.raw, "gzip": s.gzip, "brotli": s.brotli }))
        .collect();

    let rounds = browser["rounds"].as_array().cloned().unwrap_or_default();
    // What Chromium fetched of the portal in the first round (every round starts cold).
    let fetched = rounds.first().and_then(|r| r["files"].as_array()).cloned().unwrap_or_default();
    let fetched_names: Vec<String> = fetched
        .iter()
        .filter_map(|f| f["path"].as_str())
        .map(|p| p.strip_prefix("/portal/").unwrap_or(p))
        .map(|p| if p.is_empty() { "index.html".to_owned() } else { p.to_owned() })
        .collect();
    let sum = |key: &str| fetched.iter().filter_map(|f| f[key].as_u64()).sum::<u64>();
    let encodings: Vec<&str> = fetched.iter().filter_map(|f| f["content_encoding"].as_str()).collect();
    let same_every_round = rounds.iter().all(|r| r["files"].as_array().map(Vec::len) == Some(fetched.len()));

    let pick = |key: &str| stats(&rounds.iter().filter_map(|r| r[key].as_f64()).collect::<Vec<_>>());
    let probe = |program: &str, args: &[&str]| {
        Cmd::new(root, program).args(args.iter().copied()).probe().map(|s| s.trim().to_owned())
    };
    #[allow(clippy::cast_precision_loss, reason = "sizes are far below 2^52 bytes")]
    let of_goal = total.gzip as f64 / GOAL_GZIP_BYTES as f64;
    json!({
        "first_load": {
            "what": "index.html and every file it and its scripts name (stylesheet, start script, \
                     wasm-bindgen glue, wasm), as built by `cargo xtask build-portal`",
            "files": files,
            "total": { "raw": total.raw, "gzip": total.gzip, "brotli": total.brotli },
            "goal_gzip_bytes": GOAL_GZIP_BYTES,
            "gzip_of_goal": of_goal,
            "compression": "gzip level 9 (flate2, zlib-rs backend); brotli quality 11 (node:zlib)",
            "browser": {
                "what": "Resource Timing sizes of what Chromium fetched under /portal/ in a cold context",
                "files": fetched,
                "encoded_body_bytes": sum("encoded_body_bytes"),
                "decoded_body_bytes": sum("decoded_body_bytes"),
                "transfer_bytes": sum("transfer_bytes"),
                "content_encodings": encodings,
                "compressed_by_server": !encodings.is_empty(),
                "not_in_built_list": fetched_names.iter().filter(|n| !names.contains(n)).collect::<Vec<_>>(),
                "not_fetched": names.iter().filter(|n| !fetched_names.contains(n)).collect::<Vec<_>>(),
                "same_every_round": same_every_round,
            },
        },
        "sign_in": {
            "what": format!(
                "headless Chromium, one cold context per round (empty HTTP cache), one patient per round with \
                 {BOOKINGS} bookings whose notes are sealed to the clinic key and the patient's key; times are \
                 performance.now() in the page: navigation to the sign-in form, password submit to the code \
                 field (Argon2id, production profile), code submit to the first booking card and to the first \
                 frame with every note open and the progress bar gone; machine total = the three intervals, \
                 without the time spent typing"
            ),
            "rounds": rounds.len(),
            "bookings": BOOKINGS,
            "seeded": seeded,
            "load_to_form_ms": pick("load_to_form_ms"),
            "password_ms": pick("password_ms"),
            "second_factor_to_first_booking_ms": pick("second_factor_to_first_booking_ms"),
            "second_factor_to_interactive_ms": pick("second_factor_to_interactive_ms"),
            "machine_total_ms": pick("machine_total_ms"),
            "runs": rounds.iter().map(|r| {
                let mut r = r.clone();
                if let Some(o) = r.as_object_mut() {
                    o.remove("files");
                }
                r
            }).collect::<Vec<_>>(),
        },
        "environment": {
            "cpus": std::thread::available_parallelism().map(usize::from).ok(),
            "cpu_model": cpu_model(),
            "chromium": browser["chromium"],
            "node": browser["node"],
            "rustc": probe("rustc", &["--version"]),
            "commit": probe("git", &["rev-parse", "--short", "HEAD"]),
        },
    })
}

/// The CPU's model name (Linux); `None` elsewhere.
fn cpu_model() -> Option<String> {
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    text.lines()
        .find(|line| line.starts_with("model name"))
        .and_then(|line| line.split_once(':'))
        .map(|(_, model)| model.trim().to_owned())
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The portal tables.
pub(crate) fn print(report: &Value) {
    let load = &report["first_load"];
    let bytes = |v: &Value| v.as_u64().map_or_else(|| "?".to_owned(), thousands);
    println!(
        "\nPortal first load: index.html and the files it names (bytes); goal: at most {} B gzipped",
        thousands(GOAL_GZIP_BYTES)
    );
    println!("{:<34} {:>11} {:>10} {:>10}", "file", "raw", "gzip -9", "brotli");
    for f in load["files"].as_array().into_iter().flatten() {
        println!(
            "{:<34} {:>11} {:>10} {:>10}",
            f["file"].as_str().unwrap_or("?"),
            bytes(&f["raw"]),
            bytes(&f["gzip"]),
            bytes(&f["brotli"])
        );
    }
    let total = &load["total"];
    println!(
        "{:<34} {:>11} {:>10} {:>10}",
        "total",
        bytes(&total["raw"]),
        bytes(&total["gzip"]),
        bytes(&total["brotli"])
    );
    let of_goal = load["gzip_of_goal"].as_f64().unwrap_or(f64::NAN);
    let gzip = total["gzip"].as_u64().unwrap_or_default();
    let verdict = if gzip <= GOAL_GZIP_BYTES {
        format!("within the goal by {} B", thousands(GOAL_GZIP_BYTES - gzip))
    } else {
        format!("over the goal by {} B", thousands(gzip - GOAL_GZIP_BYTES))
    };
    println!(
        "gzip total {} B = {:.1}% of the {} B goal: {verdict}",
        thousands(gzip),
        of_goal * 100.0,
        thousands(GOAL_GZIP_BYTES)
    );
    let browser = &load["browser"];
    let encoding = if browser["compressed_by_server"].as_bool() == Some(true) {
        format!("Content-Encoding {}", browser["content_encodings"])
    } else {
        "no Content-Encoding: bizing-server sends them uncompressed, so this is the raw size".to_owned()
    };
    let same = if browser["encoded_body_bytes"] == total["gzip"] {
        ", exactly the gzip total above"
    } else if browser["encoded_body_bytes"] == total["raw"] {
        ", the built files' raw total"
    } else {
        ""
    };
    println!(
        "Chromium fetched {} files under /portal/: {} B of bodies on the wire{same} ({} B with headers); {encoding}",
        browser["files"].as_array().map_or(0, Vec::len),
        bytes(&browser["encoded_body_bytes"]),
        bytes(&browser["transfer_bytes"]),
    );
    for (key, what) in
        [("not_in_built_list", "fetched but not counted above"), ("not_fetched", "counted but not fetched")]
    {
        if let Some(list) = browser[key].as_array().filter(|l| !l.is_empty()) {
            println!("WARNING: {what}: {}", Value::Array(list.clone()));
        }
    }

    let sign_in = &report["sign_in"];
    println!(
        "\nPortal sign-in to an interactive bookings page ({} bookings, notes opened in the page), {} cold rounds \
         in headless Chromium (ms)",
        sign_in["bookings"], sign_in["rounds"]
    );
    println!("{:<46} {:>9} {:>9} {:>9}", "interval", "median", "min", "max");
    for (key, label) in [
        ("load_to_form_ms", "navigation → sign-in form"),
        ("password_ms", "password submit → code field (Argon2id)"),
        ("second_factor_to_first_booking_ms", "code submit → first booking card"),
        ("second_factor_to_interactive_ms", "code submit → every note open, interactive"),
        ("machine_total_ms", "machine time, navigation → interactive"),
    ] {
        let s = &sign_in[key];
        let ms = |v: &Value| v.as_f64().map_or_else(|| "?".to_owned(), |v| format!("{v:.0}"));
        println!("{label:<46} {:>9} {:>9} {:>9}", ms(&s["median"]), ms(&s["min"]), ms(&s["max"]));
    }
    let env = &report["environment"];
    println!(
        "on {} CPUs ({}), Chromium {}",
        env["cpus"],
        env["cpu_model"].as_str().unwrap_or("unknown CPU"),
        env["chromium"].as_str().unwrap_or("?")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_a_first_load_fetches() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-portal-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("snippets/x")).unwrap();
        let files = [
            (
                "index.html",
                "<link rel=\"stylesheet\" href=\"/portal/portal-1.css\">\n\
                 <script type=\"module\" src=\"/portal/start-2.js\"></script><a href=\"/elsewhere\">",
            ),
            ("portal-1.css", "body { color: red }"),
            (
                "start-2.js",
                "import init from \"./portal-3.js\";\nlet qr;\nglobalThis.q = () =>\n  (qr ??= import(\"./qr-6.js\")\n    \
                 .then((m) => m.default(new URL(\"./qr-7.wasm\", import.meta.url))));\n\n\
                 init(new URL('./portal-4.wasm', import.meta.url));",
            ),
            (
                "portal-3.js",
                "import { f } from './snippets/x/inline0.js'; const s = \"./missing.js\";\n\
                 import * as import1 from \"./split-8.js\"\n",
            ),
            ("portal-4.wasm", "\0asm"),
            ("snippets/x/inline0.js", "export function f() { return \"./portal-1.css\"; }"),
            ("unrelated-5.js", ""),
            ("qr-6.js", ""),
            ("qr-7.wasm", "\0asm"),
            (
                "split-8.js",
                "import { initSync } from \"./portal-3.js\";\n\
                 export const load = wrap(makeLoad(() => {\n    const src = fetch(new URL(\"./staff-9.wasm\", \
                 import.meta.url));\n    return async (imports) => instantiate(src, imports);\n}\n, []));\n",
            ),
            ("staff-9.wasm", "\0asm"),
        ];
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        assert_eq!(
            first_load(&dir).unwrap(),
            [
                "index.html",
                "portal-1.css",
                "start-2.js",
                "portal-3.js",
                "portal-4.wasm",
                "snippets/x/inline0.js",
                "split-8.js"
            ]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn quoted_strings_stop_at_line_ends() {
        assert_eq!(quoted("a \"b\" 'c' \"d\ne\" 'f'"), ["b", "c", "f"]);
    }

    #[test]
    fn gzip_is_smaller_for_repetitive_input_and_thousands_are_grouped() {
        assert!(gzip_len(&[b'a'; 10_000]).unwrap() < 100);
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(300_000), "300,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
