// Shared by the Node.js tests of the installed package.
import assert from "node:assert/strict";

import { Envelope, ErrorCode, KeyPair } from "@bizing/booking-sdk";

export const ctx = Object.freeze({ tenantId: "tenant-1", bookingId: "booking-1", field: "note", schemaVersion: 1 });

/** Asserts that `fn` throws a BizingError with `code` (an ErrorCode value). */
export function throwsCode(fn, code, label = "") {
  const at = label ? `${label}: ` : "";
  let error;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  assert.ok(error !== undefined, `${at}expected a BizingError ${ErrorCode[code]}, but nothing was thrown`);
  assert.ok(error instanceof Error, `${at}expected an Error, got ${error}`);
  assert.equal(
    error.name,
    "BizingError",
    `${at}expected a BizingError ${ErrorCode[code]}, got ${error.name}: ${error.message}`,
  );
  assert.equal(
    ErrorCode[error.code],
    ErrorCode[code],
    `${at}expected code ${ErrorCode[code]}, got ${ErrorCode[error.code] ?? error.code}: ${error.message}`,
  );
  return error;
}

/** A full seal/open round trip with fresh keys: the module still works. */
export function stillWorks() {
  const key = KeyPair.generate();
  const wire = Envelope.seal("still working", ctx, [key.publicKey()]).toString();
  assert.equal(Envelope.parse(wire).openText(key, ctx), "still working");
}
