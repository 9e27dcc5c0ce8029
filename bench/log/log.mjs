// Node half of `cargo xtask bench --only log`, through the built npm package (pkg/, as
// `cargo xtask build` leaves it):
//
// - the access log: the page `bench-log` wrote (10,000 events with inclusion proofs in a
//   1,000,000-leaf tree, and the consistency proof from 500,000 leaves) verified the way a
//   patient's portal does it, `new AccessLogVerifier(logKey, trustedHead).verify(page)`,
//   with the page as `response.json()` would hand it over (the parse is not timed); next to
//   it, in alternation, the same proofs bare (`proofs.bin`: leaf hashes, indices and proof
//   hashes as bytes) through bizing-bench-log's `verifyProofs` in each wasm build given, the
//   floor under any JS API for the proofs;
// - TOTP verifications per second: `Totp.verify(secret, code, time)` next to otplib's
//   `verifySync` (its default pure-JS crypto, and node:crypto through its plugin) over the
//   same secret, code, time and window (the previous and the current step), alternating.
//
// Every round also hands each verifier one tampered proof (an inclusion proof in even rounds,
// the consistency proof in odd ones) and each TOTP contender a wrong code, which must be
// refused, so a verifier that checks nothing cannot pass for a fast one.
//
// Prints one JSON object on stdout. Not a test: it never asserts on time.
//
// Usage: node log.mjs --proofs DIR [--rounds N] [--bare LABEL=MODULE.js ...] --totp-secret S
//                     --totp-time T --totp-code C --totp-wrong W [--totp-batch N] [--totp-rounds N]

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

import { NodeCryptoPlugin } from "@otplib/plugin-crypto-node";
import { generateSync, verifySync } from "otplib";

import { AccessLogVerifier, ErrorCode, Totp, init, isBizingError } from "../../pkg/node.js";

const opts = { rounds: 9, "totp-batch": 5000, "totp-rounds": 9 };
const bareModules = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  if (!argv[i].startsWith("--") || argv[i + 1] === undefined) throw new Error(`bad argument ${argv[i]}`);
  if (argv[i] === "--bare") {
    const [label, path] = argv[i + 1].split("=");
    if (!path) throw new Error("--bare takes LABEL=MODULE.js");
    bareModules.push({ label, path });
  } else {
    opts[argv[i].slice(2)] = argv[i + 1];
  }
}
for (const name of ["rounds", "totp-batch", "totp-rounds", "totp-time"]) {
  opts[name] = Number(opts[name]);
  if (!Number.isInteger(opts[name]) || opts[name] < 1) throw new Error(`--${name} must be a positive integer`);
}
for (const name of ["proofs", "totp-secret", "totp-code", "totp-wrong"]) {
  if (typeof opts[name] !== "string") throw new Error(`--${name} is required`);
}

function summary(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  const round = (x) => Math.round(x * 1000) / 1000;
  return { median: round(median), min: round(s[0]), p90: round(s[Math.ceil(n * 0.9) - 1]) };
}

/** Changes the first hex digit of `list[0]`; returns a function that undoes it. */
function tamper(list) {
  const original = list[0];
  list[0] = (original[0] === "0" ? "1" : "0") + original.slice(1);
  return () => {
    list[0] = original;
  };
}

function mustRefuseAsTampered(what, run) {
  try {
    run();
  } catch (error) {
    if (isBizingError(error) && error.code === ErrorCode.LogTampered) return error;
    throw new Error(`${what}: refused, but not as tampering: ${error}`);
  }
  throw new Error(`${what}: verified`);
}

await init();

// The access log.
const fixture = JSON.parse(readFileSync(join(opts.proofs, "proofs.json"), "utf8"));
const { logKey, trustedHead, page, leaves } = fixture;
const blob = new Uint8Array(readFileSync(join(opts.proofs, "proofs.bin")));
// Where bizing_bench_log::CONSISTENCY_OFFSET says the first consistency hash starts; the
// last byte is the last inclusion proof's last hash.
const CONSISTENCY_OFFSET = 8 + 8 + 8 + 32 + 32 + 4;
const require = createRequire(import.meta.url);

const pageContender = {
  contender: "npm package",
  path: "page: AccessLogVerifier.verify(page)",
  kind: "page",
  run() {
    const verifier = new AccessLogVerifier(logKey, trustedHead);
    try {
      const verified = verifier.verify(page);
      if (verified.size !== leaves || verified.trustedHead === trustedHead) {
        throw new Error(`the page verified to an unexpected head: ${JSON.stringify(verified)}`);
      }
    } finally {
      verifier.free();
    }
  },
  tampered(round) {
    const victim = (round * 7919) % page.events.length;
    const list = round % 2 === 0 ? page.events[victim].inclusionProof : page.consistencyProof;
    const undo = tamper(list);
    try {
      const error = mustRefuseAsTampered("a page with a tampered proof", () => this.run());
      if (round % 2 === 0 && error.eventIndex !== victim) {
        throw new Error(`the wrong event was blamed: ${error.eventIndex}, not ${victim}`);
      }
    } finally {
      undo();
    }
  },
};
const contenders = [pageContender];
for (const { label, path } of bareModules) {
  const { verifyProofs } = require(path);
  contenders.push({
    contender: `wasm (${label})`,
    path: "bare: verifyProofs(bytes)",
    kind: "bare",
    run() {
      const count = verifyProofs(blob);
      if (count !== page.events.length) throw new Error(`${count} bare proofs verified`);
    },
    tampered(round) {
      const bad = blob.slice();
      bad[round % 2 === 0 ? bad.length - 1 : CONSISTENCY_OFFSET] ^= 1;
      let refused = false;
      try {
        verifyProofs(bad);
      } catch {
        refused = true;
      }
      if (!refused) throw new Error(`${this.contender}: a tampered proof verified`);
    },
  });
}
const logMs = contenders.map(() => []);
let refused = 0;
for (let round = 0; round <= opts.rounds; round++) {
  // Rotate who goes first, so no contender always runs on a warmer (or colder) machine.
  for (let k = 0; k < contenders.length; k++) {
    const i = (round + k) % contenders.length;
    const t0 = performance.now();
    contenders[i].run();
    const t1 = performance.now();
    contenders[i].tampered(round);
    refused += 1;
    if (round > 0) logMs[i].push(t1 - t0);
  }
}

// TOTP.
const secret = opts["totp-secret"];
const code = opts["totp-code"];
const wrong = opts["totp-wrong"];
const time = opts["totp-time"];
const step = Math.floor(time / 30);
const nodeCrypto = new NodeCryptoPlugin();
// The previous and the current step, as Window::DEFAULT: otplib's tolerance is in seconds.
const window = [30, 0];
const totpContenders = [
  { name: "npm package", verify: (token) => Totp.verify(secret, token, time) === step },
  {
    name: "otplib (noble)",
    verify: (token) => {
      const r = verifySync({ secret, token, epoch: time, epochTolerance: window });
      return r.valid && r.timeStep === step;
    },
  },
  {
    name: "otplib (node:crypto)",
    verify: (token) => {
      const r = verifySync({ secret, token, epoch: time, epochTolerance: window, crypto: nodeCrypto });
      return r.valid && r.timeStep === step;
    },
  },
];
// All three must agree on the code before anything is timed.
for (const [name, token] of [
  ["npm package", Totp.code(secret, time)],
  ["otplib", generateSync({ secret, epoch: time })],
]) {
  if (token !== code) throw new Error(`${name} computes ${token} where bench-log computed ${code}`);
}
const perSecond = totpContenders.map(() => []);
for (let round = 0; round <= opts["totp-rounds"]; round++) {
  // Rotate who goes first, so no contender always runs on a warmer (or colder) machine.
  for (let k = 0; k < totpContenders.length; k++) {
    const i = (round + k) % totpContenders.length;
    const c = totpContenders[i];
    let accepted = 0;
    const t0 = performance.now();
    for (let n = 0; n < opts["totp-batch"]; n++) if (c.verify(code)) accepted++;
    const t1 = performance.now();
    if (accepted !== opts["totp-batch"]) throw new Error(`${c.name}: a valid code was refused`);
    if (c.verify(wrong)) throw new Error(`${c.name}: a wrong code was accepted`);
    if (round > 0) perSecond[i].push(opts["totp-batch"] / ((t1 - t0) / 1000));
  }
}

console.log(
  JSON.stringify({
    node: process.version,
    log: {
      rounds: opts.rounds,
      events: page.events.length,
      contenders: contenders.map((c, i) => ({ contender: c.contender, path: c.path, kind: c.kind, ms: summary(logMs[i]) })),
      tampered_refused: refused,
    },
    totp: {
      batch: opts["totp-batch"],
      rounds: opts["totp-rounds"],
      contenders: totpContenders.map((c, i) => ({ name: c.name, verify_per_s: summary(perSecond[i]) })),
    },
  }),
);
