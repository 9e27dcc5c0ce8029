// The comparison half of `cargo xtask bench --only envelope`: seals and opens a note to two
// recipients (padding on, as the SDK does by default) with
//   - ours: the npm package as `cargo xtask build` leaves it in pkg/ (what we ship), called
//     the way an application calls it: Envelope.seal(...).toBytes() and
//     Envelope.fromBytes(...).open(...);
//   - @hpke/core on WebCrypto (contender-hpke.mjs);
//   - pure JavaScript on @noble/curves, @noble/hashes and @noble/ciphers (contender-noble.mjs);
// all producing and reading the same bze1 envelopes. Before timing, every JavaScript
// contender's envelopes must open with our package and ours with it, and tampered or
// misplaced envelopes must fail, so a contender that skips work stops the run.
//
// In each round every contender seals then opens once, in an order that rotates from round to
// round, so drift over the run (JIT tiers, GC, other load) is spread evenly. Prints one JSON
// object on stdout. Not a test: it never asserts on time.
//
// Usage: node compare.mjs --size BYTES:WARMUP:SAMPLES [--size ...]

import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

import { Envelope, KeyPair, PublicKey, init } from "../../pkg/node.js";
import * as hpke from "./contender-hpke.mjs";
import * as noble from "./contender-noble.mjs";

function parseArgs(argv) {
  const sizes = [];
  for (let i = 0; i < argv.length; i++) {
    const spec = argv[i] === "--size" ? argv[++i] : undefined;
    const parts = spec?.split(":").map(Number) ?? [];
    if (parts.length !== 3 || !parts.every((n) => Number.isInteger(n) && n >= 0) || parts[0] < 1 || parts[2] < 1) {
      throw new Error("usage: node compare.mjs --size BYTES:WARMUP:SAMPLES [--size ...]");
    }
    sizes.push({ noteBytes: parts[0], warmup: parts[1], samples: parts[2] });
  }
  if (sizes.length === 0) throw new Error("usage: node compare.mjs --size BYTES:WARMUP:SAMPLES [--size ...]");
  return sizes;
}

// Median, fastest run, and nearest-rank 90th percentile, like bizing_bench::Summary.
function summary(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  const round = (x) => Math.round(x * 1000) / 1000;
  return { median: round(median), min: round(s[0]), p90: round(s[Math.ceil(n * 0.9) - 1]) };
}

/** The note of `length` bytes every contender seals: bizing_bench::note_of_len's bytes. */
function sampleNote(length) {
  const alphabet = new TextEncoder().encode("abcdefghijklmnopqrstuvwxyz0123456789 ");
  return new Uint8Array(length).map((_, i) => alphabet[i % alphabet.length]);
}

const same = (a, b) => a.length === b.length && Buffer.compare(a, b) === 0;

function fail(what) {
  throw new Error(`envelope comparison: ${what}; no timings taken`);
}

/** Ours: the npm package, with two key pairs of its own. */
function ours() {
  const clinic = KeyPair.generate();
  const patient = KeyPair.generate();
  return {
    name: "ours",
    label: "@bizing/booking-sdk (npm package, wasm)",
    clinic,
    recipients: [clinic.publicKey(), patient.publicKey()],
    opener: clinic,
    seal(note, ctx, recipients) {
      const envelope = Envelope.seal(note, ctx, recipients);
      const bytes = envelope.toBytes();
      envelope.free();
      return bytes;
    },
    open(bytes, ctx, opener) {
      const envelope = Envelope.fromBytes(bytes);
      try {
        return envelope.open(opener, ctx);
      } finally {
        envelope.free();
      }
    },
  };
}

/** A JavaScript contender module with two key pairs of its own. */
async function javascript(module, label) {
  const clinic = await module.generateKey();
  const patient = await module.generateKey();
  return {
    name: module.name,
    label,
    module,
    clinic,
    patient,
    recipients: [clinic.recipient, patient.recipient],
    opener: clinic.opener,
    seal: module.seal,
    open: module.open,
  };
}

async function rejects(attempt, what) {
  try {
    await attempt();
  } catch {
    return;
  }
  fail(what);
}

/**
 * Cross-checks a JavaScript contender against our package for `note`: each opens the
 * other's envelopes; envelopes have the same length as ours; tampering, a wrong context and a
 * stranger's key are refused. Throws on any mismatch.
 */
async function crossCheck(us, them, note, ctx) {
  const n = them.name;
  // Them sealing to our clinic key and their own patient key: we open it, and so do they.
  const ourClinic = await them.module.recipientFromSec1(us.clinic.publicKey().toSec1());
  const theirs = await them.seal(note, ctx, [ourClinic, them.recipients[1]]);
  const parsed = Envelope.fromBytes(theirs);
  const recipients = parsed.recipients;
  parsed.free();
  if (recipients.length !== 2 || recipients[0] !== us.clinic.keyId) fail(`${n}'s recipient table is not what ours reads`);
  const openedByUs = us.open(theirs, ctx, us.clinic);
  if (!same(openedByUs, note)) fail(`our package opened ${n}'s envelope to different bytes`);
  if (!same(await them.open(theirs, ctx, them.patient.opener), note)) fail(`${n} did not open its second entry`);
  // Their own two-recipient envelope, opened by their clinic key, like the timed loop.
  const own = await them.seal(note, ctx, them.recipients);
  if (!same(await them.open(own, ctx, them.opener), note)) fail(`${n} did not open its own envelope`);
  // Us sealing to our clinic key and their clinic key: they open it.
  const theirClinic = PublicKey.fromSec1(them.clinic.sec1);
  const ourEnvelope = us.seal(note, ctx, [us.clinic.publicKey(), theirClinic]);
  if (theirs.length !== ourEnvelope.length) fail(`${n}'s envelope is ${theirs.length} bytes, ours ${ourEnvelope.length}`);
  const openedByThem = await them.open(ourEnvelope, ctx, them.opener);
  if (!same(openedByThem, note)) fail(`${n} opened our envelope to different bytes`);
  // Fresh randomness per seal: message id, ephemeral keys and content all differ.
  const again = await them.seal(note, ctx, them.recipients);
  const differs = (from, to) => !same(own.subarray(from, to), again.subarray(from, to));
  if (!differs(7, 39) || !differs(60, 125) || !differs(own.length - 16, own.length)) {
    fail(`${n} sealed the same message id, ephemeral key or content twice`);
  }
  // Tampering our envelope in the other recipient's entry (entry 0, not theirs) must fail
  // the commitment; in the content, the AEAD; and a wrong context, everything.
  const entryTampered = ourEnvelope.slice();
  entryTampered[40 + 20 + 30] ^= 1;
  await rejects(() => them.open(entryTampered, ctx, them.opener), `${n} opened an envelope with another recipient's entry changed (no commitment check)`);
  const contentTampered = ourEnvelope.slice();
  contentTampered[contentTampered.length - 20] ^= 1;
  await rejects(() => them.open(contentTampered, ctx, them.opener), `${n} opened an envelope with its content changed`);
  await rejects(() => them.open(ourEnvelope, { ...ctx, bookingId: "elsewhere" }, them.opener), `${n} opened an envelope under another context`);
  const stranger = await them.module.generateKey();
  await rejects(() => them.open(own, ctx, stranger.opener), `${n} opened an envelope with a key it was not sealed to`);
  // And we refuse their envelope under another context (their commitment and AAD bind it).
  await rejects(() => us.open(theirs, { ...ctx, field: "other" }, us.clinic), `our package opened ${n}'s envelope under another context`);
}

function version(pkg) {
  const path = new URL(`./node_modules/${pkg}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(path, "utf8")).version;
}

const sizes = parseArgs(process.argv.slice(2));
await init();
const ctx = { tenantId: "bench-clinic", bookingId: "bench-booking", field: "note", schemaVersion: 1 };
const us = ours();
const contenders = [
  us,
  await javascript(hpke, "@hpke/core + WebCrypto"),
  await javascript(noble, "@noble/curves + @noble/ciphers + @noble/hashes (pure JS)"),
];

// Every check for every size before any timing.
for (const { noteBytes } of sizes) {
  const note = sampleNote(noteBytes);
  for (const them of contenders.slice(1)) await crossCheck(us, them, note, ctx);
}

const results = [];
for (const { noteBytes, warmup, samples } of sizes) {
  const note = sampleNote(noteBytes);
  const timings = contenders.map(() => ({ seal: [], open: [], envelopeBytes: 0 }));
  for (let round = 0; round < warmup + samples; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const i = (round + k) % contenders.length;
      const c = contenders[i];
      const t0 = performance.now();
      let bytes = c.seal(note, ctx, c.recipients);
      if (bytes instanceof Promise) bytes = await bytes;
      const t1 = performance.now();
      let opened = c.open(bytes, ctx, c.opener);
      if (opened instanceof Promise) opened = await opened;
      const t2 = performance.now();
      if (!same(opened, note)) throw new Error(`${c.name}: open returned a different note than was sealed`);
      timings[i].envelopeBytes = bytes.length;
      if (round >= warmup) {
        timings[i].seal.push((t1 - t0) * 1000);
        timings[i].open.push((t2 - t1) * 1000);
      }
    }
  }
  results.push({
    note_bytes: noteBytes,
    warmup,
    samples,
    contenders: contenders.map((c, i) => ({
      contender: c.name,
      label: c.label,
      envelope_bytes: timings[i].envelopeBytes,
      seal_us: summary(timings[i].seal),
      open_us: summary(timings[i].open),
    })),
  });
}

console.log(
  JSON.stringify({
    node: process.version,
    versions: Object.fromEntries(
      ["@hpke/core", "@noble/curves", "@noble/ciphers", "@noble/hashes"].map((p) => [p, version(p)]),
    ),
    cross_checked: true,
    sizes: results,
  }),
);
