// `openNotes`: opens many envelopes in a pool of dedicated module workers (browser entry
// only). See the README's "Opening a long history" and index.d.ts.
//
// Each worker instantiates the package's wasm, generates a key pair of its own and sends its
// public key; the caller's key pair is wrapped to it (`KeyPair.wrapTo`, HPKE), so the private
// key crosses postMessage only wrapped. Work goes out in chunks, a few in flight per worker.
// When the call ends, for whatever reason, every worker zeroizes its keys and ends.

import { ErrorCode, KeyPair, PublicKey } from "../dist/bizing_sdk.js";
import { bizingError, ensureReady } from "./runtime.js";

const MAX_WORKERS = 16;
/** Chunks in flight per worker: one being opened, one waiting, so a worker never idles. */
const IN_FLIGHT = 2;
/** The largest chunk: chunks shrink as the work runs out, so the workers finish together. */
const MAX_CHUNK = 64;

let wasmSource;

/** What the workers instantiate: set by the entry point's `init()`. */
export function setWorkerWasm(source) {
  wasmSource = source;
}

function isContext(value) {
  return value !== null && typeof value === "object";
}

function defaultWorkers() {
  const cores = typeof navigator === "object" ? navigator.hardwareConcurrency : undefined;
  return Number.isInteger(cores) && cores > 0 ? Math.min(cores, MAX_WORKERS) : 2;
}

/**
 * Opens `notes` ({ sealed, context }) with `keyPair` in `options.workers` workers; resolves
 * with one entry per note, in order: its text, or the BizingError opening it threw.
 */
export async function openNotes(keyPair, notes, options = {}) {
  ensureReady();
  if (!(keyPair instanceof KeyPair)) throw bizingError(ErrorCode.InvalidArgument, "expected a KeyPair");
  if (!Array.isArray(notes)) throw bizingError(ErrorCode.InvalidArgument, "notes must be an array");
  for (const [i, note] of notes.entries()) {
    if (!isContext(note) || typeof note.sealed !== "string" || !isContext(note.context)) {
      throw bizingError(ErrorCode.InvalidArgument, `notes[${i}] must be { sealed: string, context: EnvelopeContext }`);
    }
  }
  const wanted = options.workers ?? defaultWorkers();
  if (!Number.isInteger(wanted) || wanted < 1 || wanted > MAX_WORKERS) {
    throw bizingError(ErrorCode.InvalidArgument, `workers must be a whole number from 1 to ${MAX_WORKERS}`);
  }
  if (typeof Worker !== "function") {
    throw bizingError(ErrorCode.Unsupported, "openNotes needs Web Workers (a browser)");
  }
  if (keyPair.isZeroized) throw bizingError(ErrorCode.KeyZeroized, "this key was zeroized (logout or idle timeout) and cannot be used");
  const results = new Array(notes.length);
  if (notes.length === 0) return results;

  const count = Math.min(wanted, notes.length);
  let next = 0; // the first note not yet sent
  let done = 0;
  const workers = [];

  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error) => {
      if (settled) return;
      settled = true;
      for (const worker of workers) {
        // A worker that failed has ended itself; the others zeroize their keys, then end.
        worker.postMessage({ type: "close" });
        worker.onmessage = worker.onerror = worker.onmessageerror = null;
      }
      if (error) reject(error);
      else resolve(results);
    };
    const send = (worker) => {
      if (next >= notes.length) return;
      const start = next;
      const size = Math.min(MAX_CHUNK, Math.ceil((notes.length - next) / (count * 4)));
      next = Math.min(notes.length, next + size);
      try {
        worker.postMessage({ type: "open", start, notes: notes.slice(start, next) });
      } catch (error) {
        // A context that cannot be copied to a worker (a function, a Proxy, ...).
        throw bizingError(ErrorCode.InvalidArgument, `notes[${start}..${next}] cannot be sent to a worker: ${error?.message ?? error}`);
      }
    };
    for (let i = 0; i < count; i++) {
      let worker;
      try {
        worker = new Worker(new URL("./open-worker.js", import.meta.url), { type: "module", name: "bizing-open-notes" });
      } catch (error) {
        finish(bizingError(ErrorCode.Unsupported, `cannot start a worker: ${error?.message ?? error}`));
        return;
      }
      workers.push(worker);
      worker.onerror = (event) => {
        event.preventDefault?.();
        finish(bizingError(ErrorCode.Unsupported, `a worker failed: ${event.message ?? "error"}`));
      };
      worker.onmessageerror = () => finish(bizingError(ErrorCode.Unsupported, "a worker's message could not be read"));
      worker.onmessage = ({ data }) => {
        if (settled) return;
        try {
          if (data.type === "ready") {
            const wrapped = keyPair.wrapTo(PublicKey.fromSec1(data.publicKey));
            worker.postMessage({ type: "key", wrapped });
            for (let k = 0; k < IN_FLIGHT; k++) send(worker);
          } else if (data.type === "opened") {
            for (const [k, r] of data.results.entries()) {
              results[data.start + k] = "text" in r ? r.text : bizingError(r.error.code || ErrorCode.Unsupported, r.error.message);
            }
            done += data.results.length;
            // A key zeroized in the page meanwhile (logout, idle timeout) ends the call.
            if (keyPair.isZeroized) throw bizingError(ErrorCode.KeyZeroized, "the key was zeroized while notes were being opened");
            if (done === notes.length) finish();
            else send(worker);
          } else if (data.type === "failed") {
            throw bizingError(data.error.code || ErrorCode.Unsupported, data.error.message);
          }
        } catch (error) {
          finish(error);
        }
      };
      worker.postMessage({ type: "init", wasm: wasmSource });
    }
  });
}
