// npm-package half of `cargo xtask bench`: times seal and open of the same 1 KiB note to two
// recipients through the built package (pkg/, as `cargo xtask build` leaves it), the way an
// application calls it: Envelope.seal(...).toBytes() and Envelope.fromBytes(...).open(...).
// Prints one JSON object on stdout. Not a test: it never asserts on time.
//
// Usage: node bench-npm.mjs [--warmup N] [--samples N]

import { performance } from "node:perf_hooks";
import { isDeepStrictEqual } from "node:util";

import { Envelope, KeyPair, init } from "../../pkg/node.js";

const opts = { warmup: 50, samples: 300 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const value = Number(argv[i + 1]);
  if (!["--warmup", "--samples"].includes(argv[i]) || !Number.isInteger(value) || value < 0) {
    throw new Error("usage: node bench-npm.mjs [--warmup N] [--samples N]");
  }
  opts[argv[i].slice(2)] = value;
}

function summary(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  const round = (x) => Math.round(x * 1000) / 1000;
  return { median: round(median), min: round(s[0]), p90: round(s[Math.ceil(n * 0.9) - 1]) };
}

await init();
const clinic = KeyPair.generate();
const patient = KeyPair.generate();
const recipients = [clinic.publicKey(), patient.publicKey()];
const ctx = { tenantId: "clinic-1", bookingId: "booking-1", field: "note", schemaVersion: 1 };
// The same 1 KiB note as bizing_bench::sample_note.
const alphabet = new TextEncoder().encode("abcdefghijklmnopqrstuvwxyz0123456789 ");
const note = new Uint8Array(1024).map((_, i) => alphabet[i % alphabet.length]);
const seal = [];
const open = [];
let envelopeBytes = 0;
for (let round = 0; round < opts.warmup + opts.samples; round++) {
  const t0 = performance.now();
  const bytes = Envelope.seal(note, ctx, recipients).toBytes();
  const t1 = performance.now();
  const opened = Envelope.fromBytes(bytes).open(clinic, ctx);
  const t2 = performance.now();
  if (!isDeepStrictEqual(opened, note)) throw new Error("open returned a different note than was sealed");
  envelopeBytes = bytes.length;
  if (round >= opts.warmup) {
    seal.push((t1 - t0) * 1000);
    open.push((t2 - t1) * 1000);
  }
}
console.log(
  JSON.stringify({
    label: "npm package",
    note_bytes: note.length,
    envelope_bytes: envelopeBytes,
    seal_us: summary(seal),
    open_us: summary(open),
  }),
);
