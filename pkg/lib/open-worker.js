// The worker behind `openNotes` (lib/open-notes.js): one of a pool of dedicated module
// workers that open envelopes with a copy of the caller's key pair. The copy arrives wrapped
// (HPKE) to a key pair generated here, so no private key is ever posted in the clear, and it
// is zeroized when the page says "close" (the worker then ends itself).
//
// Internal: started only by lib/open-notes.js.

import initGlue, { Envelope, KeyPair, zeroizeKeys } from "../dist/bizing_sdk.js";

let loaded = false; // whether the wasm is instantiated (so there may be keys to zeroize)
let holder; // this worker's own key pair: what the caller's key is wrapped to
let key; // the caller's key pair, once unwrapped
let closed = false; // set by "close": no note is opened after it

function failure(error) {
  return { code: typeof error?.code === "number" ? error.code : 0, message: String(error?.message ?? error) };
}

/** Notes opened between turns of the event loop, so a "close" waits for at most this many. */
const NOTES_PER_TURN = 4;

/** Resolves after the messages already queued for this worker (a "close") have run. */
function turn() {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

async function openChunk(start, notes) {
  const results = [];
  for (const [i, { sealed, context }] of notes.entries()) {
    // A "close" that arrived meanwhile (the page's key zeroized, or the call over) runs
    // here, between notes, rather than after the whole chunk.
    if (i > 0 && i % NOTES_PER_TURN === 0) await turn();
    if (closed) return null;
    let envelope;
    try {
      envelope = Envelope.parse(sealed);
      results.push({ text: envelope.openText(key, context) });
    } catch (error) {
      results.push({ error: failure(error) });
    } finally {
      envelope?.free();
    }
  }
  return { type: "opened", start, results };
}

/** Zeroizes every key this worker holds, and ends it. */
function end() {
  closed = true;
  if (loaded) zeroizeKeys();
  self.close();
}

self.onmessage = async ({ data }) => {
  try {
    if (data.type === "init") {
      await initGlue({ module_or_path: data.wasm });
      loaded = true;
      holder = KeyPair.generate();
      self.postMessage({ type: "ready", publicKey: holder.publicKey().toSec1() });
    } else if (data.type === "key") {
      key = KeyPair.unwrapWithKey(data.wrapped, holder);
      holder.zeroize();
    } else if (data.type === "open") {
      const opened = await openChunk(data.start, data.notes);
      if (opened) self.postMessage(opened);
    } else if (data.type === "close") {
      end();
    }
  } catch (error) {
    self.postMessage({ type: "failed", error: failure(error) });
    end();
  }
};
