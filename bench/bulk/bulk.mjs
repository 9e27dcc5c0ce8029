// The browser half of `cargo xtask bench --only bulk`: a patient's long history of booking
// notes opened in Debian's headless Chromium through the package's browser entry, as the
// portal opens them after sign-in. The notes (bench/bulk/notes.mjs) are sealed in Node with
// the built package to the clinic's key and the patient's, under each booking's note
// context; the page (bench/bulk/site/) gets them with the patient's key wrapped, unwraps it,
// and opens every note with it, checking each against the text that was sealed:
//
// - sequential: `Envelope.parse(note).openText(key, context)` in a loop on the main thread,
//   what a developer gets by calling the package in a loop;
// - pool: `openNotes(key, notes, { workers })`, the package's pool of web workers (by
//   default navigator.hardwareConcurrency of them), its start-up included;
// - webcrypto-ecdh, a reference rather than a contender: the same number of P-256 ECDHs (the
//   step that dominates an open) done by the browser's native WebCrypto.
//
// pkg/ and the page are served by tests/browser's static server (the SDK's documented CSP)
// and Chromium is launched by tests/browser's harness (its flags and playwright-core). Each
// measurement is a fresh browser context and page; the contenders take turns within a round
// and rotate their order every round.
//
// Usage: node bench/bulk/bulk.mjs [--notes N] [--rounds N] [--workers N]
// Progress goes to stderr; the result is one JSON line on stdout.
import { loadavg } from "node:os";

import { history } from "./notes.mjs";
import { launch, startServer } from "../../tests/browser/harness.mjs";

function parseArgs(argv) {
  const args = { notes: 1000, rounds: 7, workers: undefined };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], Number(argv[i + 1])];
    if (!["--notes", "--rounds", "--workers"].includes(name) || !Number.isInteger(value) || value < 1) {
      throw new Error("usage: node bulk.mjs [--notes N] [--rounds N] [--workers N]");
    }
    args[name.slice(2)] = value;
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
process.stderr.write(`     sealing ${args.notes} notes in Node\n`);
const data = await history(args.notes);
const utf8 = new TextEncoder();
const noteBytes = data.expected.map((t) => utf8.encode(t).length);
const envelopeChars = data.bookings.map((b) => b.note.length);
const stats = (xs) => ({ min: Math.min(...xs), max: Math.max(...xs), mean: Math.round(xs.reduce((a, b) => a + b, 0) / xs.length) });

const server = await startServer({ serve: ["bench/bulk/site/"] });
const browser = await launch();

/** One measurement in a fresh context and page: `run(arg)` is evaluated in the page. */
async function measure(run, arg) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e));
    await page.goto(`${server.origin}/bench/bulk/site/index.html`);
    await page.waitForFunction(() => window.bulkReady || window.bulkError, null, { timeout: 60_000 });
    const failed = await page.evaluate(() => window.bulkError ?? null);
    if (failed) throw new Error(`the package did not load: ${failed}`);
    const info = await page.evaluate((d) => window.bulk.prepare(d), data);
    const result = await page.evaluate(run, arg);
    if (errors.length) throw errors[0];
    return { ...result, hardware_concurrency: info.hardwareConcurrency };
  } finally {
    await context.close();
  }
}

// The pool's size: as asked, else what the page reports (the package's own default).
let workers = args.workers;
let cores;
const contenders = {
  sequential: () => measure(() => window.bulk.sequential()),
  pool: () => measure((n) => window.bulk.pool(n), workers),
  "webcrypto-ecdh": () => measure((n) => window.bulk.webcryptoEcdh(n), args.notes),
};
const names = Object.keys(contenders);
const runs = Object.fromEntries(names.map((name) => [name, []]));
const load = [];
try {
  if (workers === undefined) {
    cores = (await measure(() => ({ ms: 0 }))).hardware_concurrency;
    workers = cores;
  }
  for (let round = 0; round < args.rounds; round++) {
    load.push(loadavg()[0]);
    const order = names.map((_, i) => names[(i + round) % names.length]);
    for (const name of order) {
      const result = await contenders[name]();
      cores = result.hardware_concurrency;
      delete result.hardware_concurrency;
      runs[name].push(result);
    }
    const last = (name) => runs[name][runs[name].length - 1];
    process.stderr.write(
      `     round ${round + 1}: sequential ${last("sequential").ms.toFixed(0)} ms, ${workers} workers ` +
        `${last("pool").ms.toFixed(0)} ms (start-up ${last("pool").startup_ms.toFixed(0)} ms), ` +
        `WebCrypto ECDH alone ${last("webcrypto-ecdh").ms.toFixed(0)} ms; load average ${load[round].toFixed(1)}\n`,
    );
  }
  load.push(loadavg()[0]);
} finally {
  await browser.close();
  await server.close();
}

console.log(
  JSON.stringify({
    notes: args.notes,
    rounds: args.rounds,
    workers,
    hardware_concurrency: cores,
    note_bytes: stats(noteBytes),
    envelope_chars: stats(envelopeChars),
    runs,
    load_average_1m: load,
    chromium: browser.version(),
    node: process.version,
  }),
);
