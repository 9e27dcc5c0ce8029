// Wasm half of `cargo xtask bench`: times seal and open of the 1 KiB note to two recipients
// in Node, for each wasm build given, and prints one JSON object on stdout.
//
// Usage: node bench.mjs [--warmup N] [--samples N] LABEL=path/to/bizing_bench.js ...
// (the `wasm-bindgen --target nodejs` output of the bizing-bench crate). Not a test: it
// never asserts on time, only that every open returns the sealed note.

import { createRequire } from "node:module";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { isDeepStrictEqual } from "node:util";

const require = createRequire(import.meta.url);

function parseArgs(argv) {
  const opts = { warmup: 50, samples: 300, contenders: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--warmup" || arg === "--samples") {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 0) throw new Error(`${arg} needs a whole number`);
      opts[arg.slice(2)] = value;
    } else if (arg.includes("=")) {
      const at = arg.indexOf("=");
      opts.contenders.push({ label: arg.slice(0, at), module: path.resolve(arg.slice(at + 1)) });
    } else {
      throw new Error(`unknown argument ${arg}`);
    }
  }
  if (opts.samples < 1 || opts.contenders.length === 0) {
    throw new Error("usage: node bench.mjs [--warmup N] [--samples N] LABEL=module.js ...");
  }
  return opts;
}

// Median, fastest run, and nearest-rank 90th percentile, like bizing_bench::Summary.
function summary(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  const round = (x) => Math.round(x * 1000) / 1000;
  return { median: round(median), min: round(s[0]), p90: round(s[Math.ceil(n * 0.9) - 1]) };
}

const opts = parseArgs(process.argv.slice(2));
const contenders = opts.contenders.map(({ label, module }) => {
  const wasm = require(module);
  return {
    label,
    bench: new wasm.EnvelopeBench(),
    note: wasm.EnvelopeBench.sampleNote(),
    seal: [],
    open: [],
    envelopeBytes: 0,
  };
});

// Contenders take turns within each round, and the one that goes first rotates, so drift
// over the run (JIT tiers, GC, other load) is spread evenly instead of favouring one.
for (let round = 0; round < opts.warmup + opts.samples; round++) {
  for (let k = 0; k < contenders.length; k++) {
    const c = contenders[(round + k) % contenders.length];
    const t0 = performance.now();
    const envelope = c.bench.seal(c.note);
    const t1 = performance.now();
    const opened = c.bench.open(envelope);
    const t2 = performance.now();
    if (!isDeepStrictEqual(opened, c.note)) {
      throw new Error(`${c.label}: open returned a different note than was sealed`);
    }
    c.envelopeBytes = envelope.length;
    if (round >= opts.warmup) {
      c.seal.push((t1 - t0) * 1000);
      c.open.push((t2 - t1) * 1000);
    }
  }
}

const result = {
  node: process.version,
  warmup: opts.warmup,
  samples: opts.samples,
  contenders: contenders.map((c) => {
    c.bench.free();
    return {
      label: c.label,
      note_bytes: c.note.length,
      envelope_bytes: c.envelopeBytes,
      seal_us: summary(c.seal),
      open_us: summary(c.open),
    };
  }),
};
console.log(JSON.stringify(result));
