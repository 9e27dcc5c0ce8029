//! The envelope comparison of `cargo xtask bench --only envelope`: sealing and opening a
//! bze1 envelope to two recipients (64 B, 1 KiB and 64 KiB notes) with our npm package in
//! Node, with `@hpke/core` on WebCrypto, with pure JavaScript on `@noble/*`
//! (`bench/node/compare.mjs`, all in one Node process, alternating), and natively
//! (`bench-native`). Reports each figure, its ratio to ours (the npm package in Node), and
//! the goals for the 1 KiB note as met or missed. Nothing here asserts on time.

use std::path::Path;

use serde_json::{Value, json};

use crate::cmd::{Cmd, Failure};
use crate::setup;

/// The npm project holding the JavaScript contenders' pinned dependencies.
const NODE_DIR: &str = "bench/node";

/// Note sizes timed, each with its warm-up rounds and samples. The 64 KiB note gets fewer
/// samples: a round of all contenders takes several times as long there.
pub(crate) const SIZES: &[Size] = &[
    Size { note_bytes: 64, warmup: 50, samples: 300 },
    Size { note_bytes: 1024, warmup: 50, samples: 300 },
    Size { note_bytes: 65536, warmup: 20, samples: 150 },
];

/// The note the goals are stated for.
const GOAL_NOTE_BYTES: u64 = 1024;

/// The goals: ours at least `factor` times as fast as `contender` at `op`.
const GOALS: &[(&str, &str, f64)] =
    &[("seal", "@hpke/core", 1.5), ("open", "@hpke/core", 2.5), ("seal", "noble", 3.0), ("open", "noble", 3.0)];

/// One note size with its warm-up rounds and timed samples.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Size {
    pub(crate) note_bytes: usize,
    pub(crate) warmup: u32,
    pub(crate) samples: u32,
}

/// `--size BYTES:WARMUP:SAMPLES` for each of [`SIZES`], as both drivers take them.
pub(crate) fn size_args() -> Vec<String> {
    SIZES.iter().flat_map(|s| ["--size".to_owned(), format!("{}:{}:{}", s.note_bytes, s.warmup, s.samples)]).collect()
}

/// Runs `bench/node/compare.mjs` (pkg/ must be built); returns its JSON.
pub(crate) fn run_node(root: &Path) -> Result<Value, Failure> {
    setup::npm_dir(root, NODE_DIR)?;
    Cmd::new(root, "node")
        .arg(root.join(NODE_DIR).join("compare.mjs"))
        .args(size_args())
        .hint("see the Node error above; `cargo xtask build` must have built pkg/, and a failed cross-check means a contender's envelopes do not match ours")
        .output()
        .and_then(|stdout| crate::bench::parse_json(&stdout, "bench/node/compare.mjs"))
}

/// The entry for `note_bytes` in a driver's `sizes` list.
pub(crate) fn size_entry(json: &Value, note_bytes: u64) -> &Value {
    json["sizes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["note_bytes"].as_u64() == Some(note_bytes))
        .unwrap_or(&Value::Null)
}

/// The report's `compare` part: per size, every contender's medians and ratios to ours.
pub(crate) fn report(native: &Value, compare: &Value) -> Value {
    let mut sizes = Vec::new();
    for size in compare["sizes"].as_array().into_iter().flatten() {
        let mut rows: Vec<Value> = size["contenders"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                json!({
                    "contender": c["contender"],
                    "label": c["label"],
                    "warmup": size["warmup"],
                    "samples": size["samples"],
                    "envelope_bytes": c["envelope_bytes"],
                    "seal_us": c["seal_us"],
                    "open_us": c["open_us"],
                })
            })
            .collect();
        let n = native_entry(native, size["note_bytes"].as_u64());
        if !n.is_null() {
            rows.push(json!({
                "contender": "native",
                "label": "bizing-core, native release build (bench-native)",
                "warmup": n["warmup"],
                "samples": n["samples"],
                "envelope_bytes": n["envelope_bytes"],
                "seal_us": n["seal_us"],
                "open_us": n["open_us"],
            }));
        }
        let ours = rows.iter().find(|r| r["contender"] == "ours").cloned().unwrap_or(Value::Null);
        for row in &mut rows {
            for op in ["seal", "open"] {
                row[format!("{op}_ratio")] = ratio(&row[format!("{op}_us")], &ours[format!("{op}_us")]);
            }
        }
        sizes.push(json!({ "note_bytes": size["note_bytes"], "contenders": rows }));
    }
    let goals: Vec<Value> = GOALS
        .iter()
        .map(|&(op, contender, wanted)| {
            let factor = sizes
                .iter()
                .find(|s| s["note_bytes"].as_u64() == Some(GOAL_NOTE_BYTES))
                .and_then(|s| s["contenders"].as_array())
                .and_then(|rows| rows.iter().find(|r| r["contender"] == contender))
                .and_then(|r| r[format!("{op}_ratio")].as_f64());
            json!({
                "goal": format!("{op} of a 1 KiB note to 2 recipients at least {wanted}x as fast as {contender}"),
                "op": op,
                "contender": contender,
                "wanted": wanted,
                "factor": factor,
                "met": factor.map(|f| f >= wanted),
            })
        })
        .collect();
    json!({
        "what": "seal (fresh data key and message id, HPKE wrap to each recipient, derivations, commitment, \
                 PADME padding, AES-256-GCM, serialise) and open (parse, find the recipient, HPKE unwrap, \
                 commitment check, decrypt, unpad) of one bze1 envelope to 2 recipients, padding on",
        "ours": "the npm package (pkg/, as `cargo xtask build` leaves it) in Node",
        "ratio": "contender's median / ours; above 1: ours is faster by that factor",
        "method": "one Node process; in each round every contender seals then opens once, the order rotating \
                   round by round; every JavaScript contender's envelopes are opened by ours and ours by it \
                   (and tampered ones refused) before timing",
        "recipients": 2,
        "node": compare["node"],
        "versions": compare["versions"],
        "sizes": sizes,
        "goals": goals,
    })
}

fn native_entry(native: &Value, note_bytes: Option<u64>) -> &Value {
    match note_bytes {
        Some(n) => size_entry(native, n),
        None => &Value::Null,
    }
}

fn ratio(contender: &Value, ours: &Value) -> Value {
    match (contender["median"].as_f64(), ours["median"].as_f64()) {
        (Some(c), Some(o)) if o > 0.0 => json!((c / o * 1000.0).round() / 1000.0),
        _ => Value::Null,
    }
}

/// Prints the comparison table and the goal lines.
pub(crate) fn print(report: &Value) {
    println!(
        "\nEnvelope seal/open against the alternatives, 2 recipients, padding on (µs; ×ours = contender / ours, \
         ours = npm package in Node)"
    );
    println!(
        "{:<9} {:<26} {:>7} {:>10} {:>10} {:>8} {:>10} {:>10} {:>8}",
        "note", "contender", "samples", "seal", "seal p90", "×ours", "open", "open p90", "×ours"
    );
    for size in report["sizes"].as_array().into_iter().flatten() {
        let note = match size["note_bytes"].as_u64() {
            Some(b) if b >= 1024 && b % 1024 == 0 => format!("{} KiB", b / 1024),
            Some(b) => format!("{b} B"),
            None => "?".to_owned(),
        };
        for (i, c) in size["contenders"].as_array().into_iter().flatten().enumerate() {
            println!(
                "{:<9} {:<26} {:>7} {:>10} {:>10} {:>8} {:>10} {:>10} {:>8}",
                if i == 0 { note.as_str() } else { "" },
                short_name(c["contender"].as_str().unwrap_or("?")),
                c["samples"].to_string(),
                num(&c["seal_us"]["median"]),
                num(&c["seal_us"]["p90"]),
                times(&c["seal_ratio"]),
                num(&c["open_us"]["median"]),
                num(&c["open_us"]["p90"]),
                times(&c["open_ratio"]),
            );
        }
    }
    println!("Goals, 1 KiB note to 2 recipients (ours = npm package in Node):");
    for g in report["goals"].as_array().into_iter().flatten() {
        let verdict = match g["met"].as_bool() {
            Some(true) => "met",
            Some(false) => "missed",
            None => "not measured",
        };
        println!(
            "  {} at least {}x as fast as {}: {} ({})",
            g["op"].as_str().unwrap_or("?"),
            g["wanted"],
            short_name(g["contender"].as_str().unwrap_or("?")),
            times(&g["factor"]),
            verdict
        );
    }
}

fn short_name(contender: &str) -> &str {
    match contender {
        "ours" => "ours (npm package, wasm)",
        "@hpke/core" => "@hpke/core + WebCrypto",
        "noble" => "noble (pure JS)",
        "native" => "native (release)",
        other => other,
    }
}

fn num(value: &Value) -> String {
    value.as_f64().map_or_else(|| "?".to_owned(), |v| format!("{v:.1}"))
}

fn times(value: &Value) -> String {
    value.as_f64().map_or_else(|| "?".to_owned(), |v| format!("{v:.2}x"))
}
