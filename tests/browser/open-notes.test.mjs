// openNotes in a real browser: a pool of module workers under the SDK's documented CSP
// (pkg/ as built), opening a history in order with per-note errors, handing the key over
// only wrapped, reusing the page's compiled wasm, and stopping when the key is zeroized.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, openSdkPage } from "./harness.mjs";

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/**
 * In the page: `window.key` and `window.notes`, `count` notes sealed to a clinic key and
 * `key` under their bookings' contexts (as the portal's are), texts in `window.texts`.
 */
async function seal(page, count) {
  await page.evaluate((count) => {
    const { BookingClient, Envelope, KeyPair } = window.sdk;
    const clinic = KeyPair.generate();
    window.key = KeyPair.generate();
    window.notes = [];
    window.texts = [];
    for (let i = 0; i < count; i++) {
      const context = { tenantId: "clinic-1", bookingId: BookingClient.newBookingId(), field: "note", schemaVersion: 1 };
      const text = `Note ${i}: knee pain since March, ${"é✓".repeat(i % 5)} worse on stairs.`;
      window.notes.push({ sealed: Envelope.seal(text, context, [clinic.publicKey(), window.key.publicKey()]).toString(), context });
      window.texts.push(text);
    }
  }, count);
}

/** Records every message the page posts to a worker in `window.posted`. */
async function recordPosts(page) {
  await page.evaluate(() => {
    window.posted = [];
    const post = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (message, ...rest) {
      window.posted.push(message);
      return post.call(this, message, ...rest);
    };
  });
}

test("opens a history in workers, in order, with each unreadable note's error in its place", async () => {
  const context = await browser.newContext();
  const page = await openSdkPage(context, server.origin);
  await seal(page, 120);
  await recordPosts(page);
  const outcome = await page.evaluate(async () => {
    const { Envelope, ErrorCode, KeyPair, isBizingError, openNotes } = window.sdk;
    const notes = window.notes.slice();
    const texts = window.texts.slice();
    // A note under another booking's context, one sealed to someone else, and garbage.
    notes[7] = { ...notes[7], context: { ...notes[7].context, bookingId: "another" } };
    const stranger = KeyPair.generate();
    notes[20] = { sealed: Envelope.seal("not yours", notes[20].context, [stranger.publicKey()]).toString(), context: notes[20].context };
    notes[33] = { sealed: "bze1.AAAA", context: notes[33].context };
    const expected = texts.map((t) => t);
    expected[7] = ErrorCode.DecryptionFailed;
    expected[20] = ErrorCode.NotARecipient;
    expected[33] = ErrorCode.Malformed;
    const got = (await openNotes(window.key, notes, { workers: 3 })).map((r) => (isBizingError(r) ? r.code : r));
    const byDefault = await openNotes(window.key, window.notes.slice(0, 10));
    return {
      mismatches: got.flatMap((r, i) => (r === expected[i] ? [] : [`${i}: ${r} (expected ${expected[i]})`])),
      length: got.length,
      byDefault: byDefault.every((t, i) => t === texts[i]) && byDefault.length === 10,
      stillUsable: Envelope.parse(window.notes[0].sealed).openText(window.key, window.notes[0].context) === texts[0],
      types: [...new Set(window.posted.map((m) => m.type))].sort(),
    };
  });
  assert.deepEqual(outcome.mismatches, []);
  assert.equal(outcome.length, 120);
  assert.equal(outcome.byDefault, true, "the default pool (navigator.hardwareConcurrency workers) opens them too");
  assert.equal(outcome.stillUsable, true, "the caller's key is untouched");
  assert.deepEqual(outcome.types, ["close", "init", "key", "open"]);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("the key reaches each worker only wrapped, and the page's compiled wasm is reused", async () => {
  const context = await browser.newContext();
  const page = await openSdkPage(context, server.origin);
  await seal(page, 12);
  await recordPosts(page);
  const outcome = await page.evaluate(async () => {
    const { KeyPair, isBizingError, openNotes } = window.sdk;
    const opened = await openNotes(window.key, window.notes, { workers: 2 });
    const keys = window.posted.filter((m) => m.type === "key").map((m) => m.wrapped);
    // The wrapped copies are HPKE to the workers' own keys: the caller's key cannot open them.
    let unwrapsWithCaller = false;
    try {
      KeyPair.unwrapWithKey(keys[0], window.key);
      unwrapsWithCaller = true;
    } catch (error) {
      if (!isBizingError(error)) throw error;
    }
    const inits = window.posted.filter((m) => m.type === "init");
    return {
      opened: opened.every((t, i) => t === window.texts[i]),
      keys: keys.map((k) => typeof k === "string" && k.startsWith("bzk1.")),
      distinct: new Set(keys).size === keys.length,
      unwrapsWithCaller,
      sharedModule: inits.every((m) => m.wasm instanceof WebAssembly.Module),
      wasmFetches: performance.getEntriesByType("resource").filter((e) => e.name.endsWith(".wasm")).length,
    };
  });
  assert.equal(outcome.opened, true);
  // A worker that is not ready before the others have opened everything never gets the key.
  assert.ok(outcome.keys.length >= 1 && outcome.keys.length <= 2, `${outcome.keys.length} keys handed over`);
  assert.ok(outcome.keys.every(Boolean), "every key handed over is wrapped (bzk1.)");
  assert.equal(outcome.distinct, true, "each worker has its own wrapping key");
  assert.equal(outcome.unwrapsWithCaller, false);
  assert.equal(outcome.sharedModule, true, "the workers get the compiled module, not a URL to fetch");
  assert.equal(outcome.wasmFetches, 1, "the wasm is fetched once, by init()");
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("bad arguments, a zeroized key, and a key zeroized during the call", async () => {
  const context = await browser.newContext();
  const page = await openSdkPage(context, server.origin);
  await seal(page, 100);
  const outcome = await page.evaluate(async () => {
    const { ErrorCode, KeyPair, isBizingError, openNotes, zeroizeKeys } = window.sdk;
    const code = async (promise) => {
      try {
        await promise;
        return "resolved";
      } catch (error) {
        return isBizingError(error) ? ErrorCode[error.code] : String(error);
      }
    };
    const note = window.notes[0];
    const results = {
      notAKey: await code(openNotes({}, [note])),
      notAnArray: await code(openNotes(window.key, "bze1.AAAA")),
      badNote: await code(openNotes(window.key, [{ sealed: 42, context: note.context }])),
      noContext: await code(openNotes(window.key, [{ sealed: note.sealed }])),
      noWorkers: await code(openNotes(window.key, [note], { workers: 0 })),
      tooManyWorkers: await code(openNotes(window.key, [note], { workers: 17 })),
      fractionalWorkers: await code(openNotes(window.key, [note], { workers: 1.5 })),
      // A context postMessage cannot copy to a worker.
      uncopyable: await code(openNotes(window.key, [{ sealed: note.sealed, context: { ...note.context, f() {} } }])),
      empty: (await openNotes(window.key, [])).length,
    };
    const gone = KeyPair.generate();
    gone.zeroize();
    results.zeroized = await code(openNotes(gone, [note]));
    // Copies of the key (`withVersion(1)`: the same key, its own handle) for the rest.
    // Zeroized once the first chunk is on its way: the call stops at that chunk's result.
    const during = window.key.withVersion(1);
    const post = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (message, ...rest) {
      if (message.type === "open") queueMicrotask(() => during.zeroize());
      return post.call(this, message, ...rest);
    };
    results.zeroizedDuring = await code(openNotes(during, window.notes, { workers: 1 }));
    Worker.prototype.postMessage = post;
    results.originalStillWorks = (await openNotes(window.key, window.notes.slice(0, 2)))[1] === window.texts[1];
    // zeroizeKeys() (what logout and the idle timeout do) before any worker is ready.
    const early = openNotes(window.key.withVersion(1), window.notes, { workers: 2 });
    zeroizeKeys();
    results.zeroizeKeysBeforeHandOver = await code(early);
    return results;
  });
  assert.deepEqual(outcome, {
    notAKey: "InvalidArgument",
    notAnArray: "InvalidArgument",
    badNote: "InvalidArgument",
    noContext: "InvalidArgument",
    noWorkers: "InvalidArgument",
    tooManyWorkers: "InvalidArgument",
    fractionalWorkers: "InvalidArgument",
    uncopyable: "InvalidArgument",
    empty: 0,
    zeroized: "KeyZeroized",
    zeroizedDuring: "KeyZeroized",
    originalStillWorks: true,
    zeroizeKeysBeforeHandOver: "KeyZeroized",
  });
  assert.deepEqual(page.errors, []);
  await context.close();
});
