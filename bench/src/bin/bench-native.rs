//! Native half of `cargo xtask bench`: times seal and open of a note to two recipients, for
//! each note size asked for, and prints one JSON object on stdout for xtask to parse.
//!
//! Usage: `bench-native [--size BYTES:WARMUP:SAMPLES]...` (default: the 1 KiB note, 50
//! warm-up rounds, 300 samples). Build with `--release`; a debug build measures the wrong
//! thing.

use std::process::ExitCode;
use std::time::Instant;

use bizing_bench::{Fixture, NOTE_LEN, Summary, note_of_len};

const DEFAULT_WARMUP: usize = 50;
const DEFAULT_SAMPLES: usize = 300;

/// One note size to time, with its warm-up rounds and samples.
#[derive(Debug, Clone, Copy)]
struct Size {
    note_bytes: usize,
    warmup: usize,
    samples: usize,
}

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
    let sizes = parse_args(std::env::args().skip(1))?;
    let fixture = Fixture::new().map_err(|e| format!("key generation failed: {e}"))?;
    let results = sizes.iter().map(|size| time(&fixture, *size)).collect::<Result<Vec<_>, _>>()?;
    Ok(format!(r#"{{"sizes":[{}]}}"#, results.join(",")))
}

/// Times `size.samples` rounds of seal then open after `size.warmup` rounds; one JSON object.
fn time(fixture: &Fixture, size: Size) -> Result<String, String> {
    let note = note_of_len(size.note_bytes);
    let mut seal_us = Vec::with_capacity(size.samples);
    let mut open_us = Vec::with_capacity(size.samples);
    let mut envelope_len = 0;
    // Seal and open alternate within each round, so drift (thermal, other load) hits both.
    for round in 0..size.warmup + size.samples {
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
        if round >= size.warmup {
            seal_us.push(sealed.as_secs_f64() * 1e6);
            open_us.push(open.as_secs_f64() * 1e6);
        }
    }
    let seal = Summary::of(&mut seal_us).ok_or("no samples")?;
    let open = Summary::of(&mut open_us).ok_or("no samples")?;
    Ok(format!(
        r#"{{"note_bytes":{},"warmup":{},"samples":{},"envelope_bytes":{envelope_len},"seal_us":{},"open_us":{}}}"#,
        size.note_bytes,
        size.warmup,
        size.samples,
        seal.to_json(),
        open.to_json()
    ))
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Vec<Size>, String> {
    let mut sizes = Vec::new();
    while let Some(flag) = args.next() {
        if flag != "--size" {
            return Err(format!("unknown argument `{flag}`; expected --size BYTES:WARMUP:SAMPLES"));
        }
        let spec = args.next().ok_or("--size needs BYTES:WARMUP:SAMPLES")?;
        let numbers = spec.split(':').map(str::parse::<usize>).collect::<Result<Vec<_>, _>>();
        let size = match numbers.as_deref() {
            Ok(&[note_bytes, warmup, samples]) if note_bytes > 0 && samples > 0 => Size { note_bytes, warmup, samples },
            _ => return Err(format!("--size `{spec}`: expected BYTES:WARMUP:SAMPLES, BYTES and SAMPLES above 0")),
        };
        sizes.push(size);
    }
    if sizes.is_empty() {
        sizes.push(Size { note_bytes: NOTE_LEN, warmup: DEFAULT_WARMUP, samples: DEFAULT_SAMPLES });
    }
    Ok(sizes)
}
