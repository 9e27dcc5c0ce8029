//! Native half of `cargo xtask bench`: times seal and open of the 1 KiB note to two
//! recipients and prints one JSON object on stdout for xtask to parse.
//!
//! Usage: `bench-native [--warmup N] [--samples N]`. Build with `--release`; a debug build
//! measures the wrong thing.

use std::process::ExitCode;
use std::time::Instant;

use bizing_bench::{Fixture, Summary, sample_note};

const DEFAULT_WARMUP: usize = 50;
const DEFAULT_SAMPLES: usize = 300;

fn main() -> ExitCode {
    match run() {
        Ok(json) => {
            #[allow(clippy::print_stdout, reason = "the JSON result on stdout is this binary's output")]
            {
                println!("{json}");
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("bench-native: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<String, String> {
    let (warmup, samples) = parse_args(std::env::args().skip(1))?;
    let fixture = Fixture::new().map_err(|e| format!("key generation failed: {e}"))?;
    let note = sample_note();

    let mut seal_us = Vec::with_capacity(samples);
    let mut open_us = Vec::with_capacity(samples);
    let mut envelope_len = 0;
    // Seal and open alternate within each round, so drift (thermal, other load) hits both.
    for round in 0..warmup + samples {
        let start = Instant::now();
        let envelope = fixture.seal(&note).map_err(|e| format!("seal failed: {e}"))?;
        let sealed = start.elapsed();

        let start = Instant::now();
        let opened = fixture.open(&envelope).map_err(|e| format!("open failed: {e}"))?;
        let open = start.elapsed();

        // A benchmark of a broken round trip would be worse than none.
        if opened != note {
            return Err("open returned a different note than was sealed".into());
        }
        envelope_len = envelope.len();
        if round >= warmup {
            seal_us.push(sealed.as_secs_f64() * 1e6);
            open_us.push(open.as_secs_f64() * 1e6);
        }
    }
    let seal = Summary::of(&mut seal_us).ok_or("no samples")?;
    let open = Summary::of(&mut open_us).ok_or("no samples")?;
    Ok(format!(
        r#"{{"samples":{samples},"warmup":{warmup},"note_bytes":{},"envelope_bytes":{envelope_len},"seal_us":{},"open_us":{}}}"#,
        note.len(),
        seal.to_json(),
        open.to_json()
    ))
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<(usize, usize), String> {
    let (mut warmup, mut samples) = (DEFAULT_WARMUP, DEFAULT_SAMPLES);
    while let Some(flag) = args.next() {
        let slot = match flag.as_str() {
            "--warmup" => &mut warmup,
            "--samples" => &mut samples,
            _ => return Err(format!("unknown argument `{flag}`; expected --warmup N or --samples N")),
        };
        let value = args.next().ok_or_else(|| format!("{flag} needs a number"))?;
        *slot = value.parse().map_err(|_| format!("{flag}: `{value}` is not a number"))?;
    }
    if samples == 0 {
        return Err("--samples must be at least 1".into());
    }
    Ok((warmup, samples))
}
