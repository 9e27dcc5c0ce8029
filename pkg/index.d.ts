// Types of the browser (and default) entry point: the whole API, including IdleTimer and
// openNotes.

export * from "./server.js";
export { IdleTimer } from "./dist/bizing_sdk.js";
export type { IdleTimerOptions } from "./dist/bizing_sdk.js";

import type { EnvelopeContext, KeyPair } from "./dist/bizing_sdk.js";
import type { BizingError } from "./server.js";

/** One envelope for `openNotes`: its `bze1.` text and the context it was sealed under. */
export interface OpenNotesItem {
  sealed: string;
  context: EnvelopeContext;
}

/** Options of `openNotes`. */
export interface OpenNotesOptions {
  /**
   * How many workers to start, 1 to 16 (never more than there are notes). Default:
   * `navigator.hardwareConcurrency`, at most 16.
   */
  workers?: number;
}

/**
 * Browser only: opens many envelopes with `keyPair` in a pool of web workers, so a long
 * history neither blocks the page nor waits for one core. Resolves with one entry per note,
 * in order: its text, or the `BizingError` opening it gave (e.g. `DecryptionFailed`,
 * `Malformed`), as `Envelope.parse(sealed).openText(keyPair, context)` would have thrown.
 *
 * Each worker instantiates the wasm `init()` already compiled (nothing is fetched again),
 * generates a key pair of its own, and receives `keyPair` wrapped to it (`wrapTo`): the
 * private key is never posted in the clear. When the call ends, every worker zeroizes its
 * keys and ends, so keys live in the workers only during the call. If `keyPair` is zeroized
 * meanwhile (`zeroizeKeys()`, logout, idle timeout), the call stops at the next chunk of
 * notes and rejects with `KeyZeroized`.
 *
 * Rejects with `InvalidArgument` for bad arguments (before starting any worker),
 * `KeyZeroized` for a zeroized key, and `Unsupported` when no worker can be started or a
 * worker fails (e.g. a Content Security Policy without `'self'` for workers).
 */
export function openNotes(
  keyPair: KeyPair,
  notes: readonly OpenNotesItem[],
  options?: OpenNotesOptions,
): Promise<Array<string | BizingError>>;
