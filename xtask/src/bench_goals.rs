//! The goals of `cargo xtask bench` in one table: each figure the issue set a goal for,
//! read back from the parts of the report that ran, next to its goal and whether it is met.
//! Nothing here measures anything, and nothing fails when a goal is missed: a benchmark
//! reports, it never asserts.

use serde_json::{Value, json};

/// One goal: what it is, the measured figure, the goal, and which side of it is good.
struct Goal {
    what: String,
    measured: Option<f64>,
    goal: f64,
    unit: &'static str,
    /// `true`: the figure must be at most the goal (sizes, times); `false`: at least (speed-ups).
    at_most: bool,
}

impl Goal {
    fn met(&self) -> Option<bool> {
        self.measured.map(|m| if self.at_most { m <= self.goal } else { m >= self.goal })
    }

    fn to_json(&self) -> Value {
        json!({
            "goal": self.what,
            "measured": self.measured,
            "target": self.goal,
            "unit": self.unit,
            "at_most": self.at_most,
            "met": self.met(),
        })
    }
}

/// The goals whose parts are in `report`, in the order.
fn goals(report: &Value) -> Vec<Goal> {
    let mut goals = Vec::new();
    for g in report["compare"]["goals"].as_array().into_iter().flatten() {
        goals.push(Goal {
            what: g["goal"].as_str().unwrap_or("?").to_owned(),
            measured: g["factor"].as_f64(),
            goal: g["wanted"].as_f64().unwrap_or(f64::NAN),
            unit: "x",
            at_most: false,
        });
    }
    let bulk = &report["bulk"];
    if bulk.is_object() {
        let goal = bulk["goal_ms"].as_f64().unwrap_or(f64::NAN);
        for (key, how) in [("sequential", "in a loop on the main thread"), ("pool", "with openNotes' worker pool")] {
            goals.push(Goal {
                what: format!("1,000 notes opened in headless Chromium, {how}"),
                measured: bulk[key]["ms"]["median"].as_f64(),
                goal,
                unit: "ms",
                at_most: true,
            });
        }
    }
    let log = &report["log"]["access_log"]["goal"];
    if log.is_object() {
        goals.push(Goal {
            what: "10,000 inclusion proofs + 1 consistency proof verified in Node (npm package)".to_owned(),
            measured: log["measured_ms"].as_f64(),
            goal: log["budget_ms"].as_f64().unwrap_or(f64::NAN),
            unit: "ms",
            at_most: true,
        });
    }
    if let Some(gzip) = report["package_bytes"]["gzip_total"].as_f64() {
        goals.push(Goal {
            what: "npm package (wasm + glue), gzipped".to_owned(),
            measured: Some(gzip),
            goal: 100_000.0,
            unit: "B",
            at_most: true,
        });
    }
    let first_load = &report["portal"]["first_load"];
    if first_load.is_object() {
        goals.push(Goal {
            what: "portal first load, gzipped".to_owned(),
            measured: first_load["total"]["gzip"].as_f64(),
            goal: first_load["goal_gzip_bytes"].as_f64().unwrap_or(f64::NAN),
            unit: "B",
            at_most: true,
        });
    }
    let widget = &report["widget"];
    if widget.is_object() {
        goals.push(Goal {
            what: "widget loader, gzipped".to_owned(),
            measured: widget["loader"]["sizes"]["total"]["gzip"].as_f64(),
            goal: widget["loader"]["goal_gzip_bytes"].as_f64().unwrap_or(f64::NAN),
            unit: "B",
            at_most: true,
        });
        goals.push(Goal {
            what: "widget first load, gzipped".to_owned(),
            measured: widget["first_load"]["sizes"]["total"]["gzip"].as_f64(),
            goal: widget["first_load"]["goal_gzip_bytes"].as_f64().unwrap_or(f64::NAN),
            unit: "B",
            at_most: true,
        });
    }
    let server = &report["server"];
    let ratio_goal = server["goals"]["create_of_trivial_at_least"].as_f64().unwrap_or(f64::NAN);
    let p99_goal = server["goals"]["p99_ms_under"].as_f64().unwrap_or(f64::NAN);
    for (key, state) in [("empty", "the demo clinic"), ("bookings_100k", "100,000 bookings")] {
        let entry = &server[key];
        if !entry.is_object() {
            continue;
        }
        goals.push(Goal {
            what: format!("server, {state}: booking creation, share of the trivial handler's req/s"),
            measured: entry["create"]["ratio_to_trivial"].as_f64().map(|r| r * 100.0),
            goal: ratio_goal * 100.0,
            unit: "%",
            at_most: false,
        });
        for (op, name) in [("create", "creation"), ("list", "listing")] {
            goals.push(Goal {
                what: format!("server, {state}: booking {name} p99 at 50 connections"),
                measured: entry[op]["p99_ms"].as_f64(),
                goal: p99_goal,
                unit: "ms",
                at_most: true,
            });
        }
    }
    goals
}

/// The goals as JSON, for the report's `goals` key.
pub(crate) fn summary(report: &Value) -> Value {
    Value::Array(goals(report).iter().map(Goal::to_json).collect())
}

/// Prints the goals table; nothing when no part with a goal ran.
pub(crate) fn print(report: &Value) {
    let goals = goals(report);
    if goals.is_empty() {
        return;
    }
    let figure = |v: f64, unit: &str| match unit {
        "x" => format!("{v:.2}x"),
        "%" => format!("{v:.1}%"),
        "B" => format!("{v:.0} B"),
        _ => format!("{v:.0} {unit}"),
    };
    println!("\nGoals (reported, never asserted)");
    println!("{:<84} {:>10} {:>12}  verdict", "goal", "measured", "goal");
    for g in &goals {
        let measured = g.measured.map_or_else(|| "-".to_owned(), |m| figure(m, g.unit));
        let bound = format!("{} {}", if g.at_most { "<=" } else { ">=" }, figure(g.goal, g.unit));
        let verdict = match g.met() {
            Some(true) => "met",
            Some(false) => "missed",
            None => "not measured",
        };
        println!("{:<84} {measured:>10} {bound:>12}  {verdict}", g.what);
    }
}
