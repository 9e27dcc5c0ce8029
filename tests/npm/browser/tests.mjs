// The browser entry in Chromium, loaded through an import map the test driver writes (from
// the package's `browser` export condition). Results go to globalThis.RESULTS.
import * as sdk from "@bizing/booking-sdk";

import { openFixture, sealFixture } from "../cross/fixture.mjs";

const { BookingClient, Envelope, ErrorCode, IdleTimer, KeyPair, PublicKey, init, isBizingError, zeroizeKeys } = sdk;
const ctx = { tenantId: "tenant-browser", bookingId: "booking-1", field: "note", schemaVersion: 1 };

function codeOf(fn) {
  try {
    fn();
  } catch (error) {
    if (!isBizingError(error)) throw error;
    return error.code;
  }
  return undefined;
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const results = [];
async function run(name, fn) {
  try {
    await fn();
    results.push({ name, ok: true });
  } catch (error) {
    results.push({ name, ok: false, error: String(error?.stack ?? error) });
  }
}

let sealed;
await run("before init(): BizingError NotInitialized, IdleTimer included", () => {
  check(codeOf(() => KeyPair.generate()) === ErrorCode.NotInitialized, "KeyPair.generate");
  check(codeOf(() => new IdleTimer({ onTimeout() {} })) === ErrorCode.NotInitialized, "new IdleTimer");
});
await run("init() fetches the wasm once", async () => {
  const first = init();
  check(first === init(), "concurrent init() calls share one promise");
  await first;
  const fetched = performance.getEntriesByType("resource").filter((e) => e.name.endsWith(".wasm"));
  check(fetched.length === 1, `fetched the wasm ${fetched.length} times`);
});
await run("seal/open text and bytes", () => {
  const key = KeyPair.generate();
  const wire = Envelope.seal("Bonjour du navigateur ✓", ctx, [key.publicKey()]).toString();
  check(Envelope.parse(wire).openText(key, ctx) === "Bonjour du navigateur ✓", "text round trip");
  const bytes = Uint8Array.from([0, 1, 2, 254, 255]);
  const opened = Envelope.fromBytes(Envelope.seal(bytes, ctx, [key.publicKey()]).toBytes()).open(key, ctx);
  check(opened.join() === bytes.join(), "bytes round trip");
});
await run("errors carry codes, and the module keeps working", () => {
  const key = KeyPair.generate();
  check(codeOf(() => PublicKey.fromSec1(new Uint8Array(65))) === ErrorCode.InvalidKey, "all-zero point");
  check(codeOf(() => Envelope.seal("x", ctx, [{}])) === ErrorCode.InvalidArgument, "plain object recipient");
  check(codeOf(() => Envelope.parse("bze1.AAAA")) === ErrorCode.Malformed, "garbage");
  check(Envelope.seal("x", ctx, [key.publicKey()]).openText(key, ctx) === "x", "still works");
});
await run("IdleTimer runs in a page, and logout zeroizes keys", () => {
  const key = KeyPair.generate();
  let reason;
  const timer = new IdleTimer({ timeoutMs: 60_000, warnBeforeMs: 10_000, onTimeout: (r) => (reason = r) });
  check(typeof timer.deadlineMs === "number" && timer.deadlineMs > Date.now(), `deadline ${timer.deadlineMs}`);
  timer.extend();
  timer.logout();
  check(key.isZeroized, "logout left the key in memory");
  check(reason === undefined || reason === "logout", `onTimeout(${reason})`);
  timer.free();
  zeroizeKeys();
});
await run("cross-runtime: opens what Node.js sealed, seals for Node.js", () => {
  check(openFixture(sdk, globalThis.NODE_FIXTURE) > 0, "no checks made");
  sealed = sealFixture(sdk, "browser");
});
await run("BookingClient in a page: the page's origin, the browser's cookies", async () => {
  // "" is the page's own origin (allowed only in a browser); the static test server has no
  // API, so its 404 (not a problem document) comes back as an Api error with about:blank.
  const client = new BookingClient({ baseUrl: "", credentials: "same-origin" });
  let error;
  try {
    await client.me();
  } catch (e) {
    error = e;
  }
  check(isBizingError(error) && error.code === ErrorCode.Api, `expected an Api error, got ${error}`);
  check(error.status === 404 && error.problemType === "about:blank", `${error.status} ${error.problemType}`);
  check(codeOf(() => new BookingClient({ baseUrl: "ftp://x" })) === ErrorCode.InvalidArgument, "ftp:// accepted");
  client.free();
});
await run("openNotes opens notes in workers from the installed package", async () => {
  const key = KeyPair.generate();
  const notes = ["first", "deuxième ✓", "third"].map((text, i) => {
    const context = { ...ctx, bookingId: `booking-${i}` };
    return { sealed: Envelope.seal(text, context, [key.publicKey()]).toString(), context };
  });
  notes.push({ sealed: notes[0].sealed, context: notes[1].context });
  const opened = await sdk.openNotes(key, notes, { workers: 2 });
  check(opened.slice(0, 3).join("|") === "first|deuxième ✓|third", `opened ${opened.slice(0, 3).join("|")}`);
  check(isBizingError(opened[3]) && opened[3].code === ErrorCode.DecryptionFailed, `wrong context gave ${opened[3]}`);
  const workers = performance.getEntriesByType("resource").filter((e) => e.name.endsWith("/lib/open-worker.js"));
  check(workers.length >= 1, "the worker script was not loaded from the package");
  const wasm = performance.getEntriesByType("resource").filter((e) => e.name.endsWith(".wasm"));
  check(wasm.length === 1, `fetched the wasm ${wasm.length} times`);
  key.zeroize();
});

globalThis.RESULTS = { results, sealed };
