// The page of `cargo xtask bench --only bulk` (driven by bench/bulk/bulk.mjs): loads the
// package's browser entry as its package.json names it, then, when asked, opens a patient's
// history of notes the way an application would: sequentially on the main thread
// (`Envelope.parse(...).openText(...)` in a loop), or with `openNotes` in a pool of workers.
// Each run checks every note against the text that was sealed; a mismatch fails the run.
let sdk;
let key;
let history;

/**
 * Watches the main thread from now on: a timer chain notes when it gets a turn. `stop()`
 * gives the longest the page went without one (ms): how long it could not answer input.
 */
function watchMainThread() {
  let last = performance.now();
  let longest = 0;
  let timer;
  const tick = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    timer = setTimeout(tick, 0);
  };
  timer = setTimeout(tick, 0);
  return {
    stop() {
      clearTimeout(timer);
      return Math.max(longest, performance.now() - last);
    },
  };
}

const noteContext = (booking) => ({ tenantId: booking.tenantId, bookingId: booking.id, field: "note", schemaVersion: 1 });

function check(texts) {
  for (let i = 0; i < history.expected.length; i++) {
    if (texts[i] !== history.expected[i]) throw new Error(`note ${i} opened to ${String(texts[i]).slice(0, 60)}`);
  }
}

window.bulk = {
  /** Keeps the history and unwraps the patient's key, as the portal does after sign-in. */
  prepare(data) {
    history = data;
    key = sdk.KeyPair.unwrapWithRecoveryCode(data.wrappedKey, data.recoveryCode);
    return { hardwareConcurrency: navigator.hardwareConcurrency, notes: data.bookings.length };
  },
  /** Every note opened on the main thread, one after another; milliseconds. */
  sequential() {
    const watch = watchMainThread();
    const start = performance.now();
    const texts = new Array(history.bookings.length);
    for (let i = 0; i < history.bookings.length; i++) {
      const booking = history.bookings[i];
      const envelope = sdk.Envelope.parse(booking.note);
      texts[i] = envelope.openText(key, noteContext(booking));
      envelope.free();
    }
    check(texts);
    const ms = performance.now() - start;
    return { ms, longest_block_ms: watch.stop() };
  },
  /** Every note opened with `openNotes` in `workers` workers; milliseconds. */
  async pool(workers) {
    const watch = watchMainThread();
    const start = performance.now();
    const notes = history.bookings.map((booking) => ({ sealed: booking.note, context: noteContext(booking) }));
    const texts = await sdk.openNotes(key, notes, { workers });
    check(texts);
    const ms = performance.now() - start;
    const longest = watch.stop();
    // The pool's fixed cost: starting the workers (wasm instantiated, the key handed over)
    // and one note each.
    const small = performance.now();
    const few = notes.slice(0, workers);
    const opened = await sdk.openNotes(key, few, { workers });
    if (opened.some((t, i) => t !== history.expected[i])) throw new Error("the small run opened something else");
    return { ms, longest_block_ms: longest, startup_ms: performance.now() - small };
  },
  /**
   * For reference, not a contender: the step that dominates opening a note, one P-256 ECDH
   * (the HPKE decapsulation's), done `count` times by the browser's native WebCrypto
   * (`importKey` of the peer's public key, then `deriveBits`), awaited one after another.
   * No parsing, HKDF or AES-GCM: a lower bound for an open built on WebCrypto.
   */
  async webcryptoEcdh(count) {
    const subtle = crypto.subtle;
    const algorithm = { name: "ECDH", namedCurve: "P-256" };
    const mine = await subtle.generateKey(algorithm, false, ["deriveBits"]);
    const peers = [];
    for (let i = 0; i < count; i++) {
      const peer = await subtle.generateKey(algorithm, true, ["deriveBits"]);
      peers.push(await subtle.exportKey("raw", peer.publicKey));
    }
    const start = performance.now();
    for (const raw of peers) {
      const publicKey = await subtle.importKey("raw", raw, algorithm, false, []);
      await subtle.deriveBits({ name: "ECDH", public: publicKey }, mine.privateKey, 256);
    }
    return { ms: performance.now() - start };
  },
};

try {
  const manifest = await (await fetch("/pkg/package.json")).json();
  const dot = manifest.exports["."];
  const entry = typeof dot === "string" ? dot : (dot.browser?.default ?? dot.browser ?? dot.default);
  sdk = await import(new URL(entry, new URL("/pkg/", location.href)).href);
  await sdk.init();
  window.bulkReady = true;
} catch (error) {
  window.bulkError = String(error?.stack ?? error);
}
