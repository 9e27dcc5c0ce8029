// Envelopes through the installed package: seal/open, the wire forms, context binding,
// recipients and rewrap.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import { Envelope, ErrorCode, KeyPair, init } from "@bizing/booking-sdk";

import { ctx, throwsCode } from "./helpers.mjs";

before(() => init());

test("text round trip, through the text and the binary form", () => {
  const key = KeyPair.generate();
  for (const text of ["", "a", "Zoë's note — ✓ 🩺", "x".repeat(100_000)]) {
    const sealed = Envelope.seal(text, ctx, [key.publicKey()]);
    const wire = sealed.toString();
    assert.match(wire, /^bze1\./);
    assert.equal(Envelope.parse(wire).openText(key, ctx), text);
    assert.equal(Envelope.fromBytes(sealed.toBytes()).openText(key, ctx), text);
    assert.equal(Envelope.parse(wire).toString(), wire, "parse/toString is lossless");
  }
});

test("bytes round trip, including every byte value", () => {
  const key = KeyPair.generate();
  const bytes = Uint8Array.from({ length: 1024 }, (_, i) => i % 256);
  const opened = Envelope.parse(Envelope.seal(bytes, ctx, [key.publicKey()]).toString()).open(key, ctx);
  assert.ok(opened instanceof Uint8Array);
  assert.deepEqual(opened, bytes);
  assert.deepEqual(Envelope.seal(new Uint8Array(0), ctx, [key.publicKey()]).open(key, ctx), new Uint8Array(0));
});

test("every recipient opens; anyone else is NotARecipient", () => {
  const keys = Array.from({ length: 16 }, () => KeyPair.generate());
  const sealed = Envelope.seal("to sixteen", ctx, keys.map((k) => k.publicKey()));
  assert.deepEqual(sealed.recipients, keys.map((k) => k.keyId));
  for (const key of keys) assert.equal(sealed.openText(key, ctx), "to sixteen");
  throwsCode(() => sealed.openText(KeyPair.generate(), ctx), ErrorCode.NotARecipient);
});

test("padding: on by default, hides the length; off on request", () => {
  const key = KeyPair.generate();
  const padded = (text) => Envelope.seal(text, ctx, [key.publicKey()]);
  assert.equal(padded("a").isPadded, true);
  // PADME: 1000 and 1010 bytes (plus the length prefix) both round up to 1024.
  assert.equal(padded("x".repeat(1000)).toBytes().length, padded("x".repeat(1010)).toBytes().length);
  const plain = Envelope.seal("a", ctx, [key.publicKey()], { pad: false });
  assert.equal(plain.isPadded, false);
  const plain1010 = Envelope.seal("x".repeat(1010), ctx, [key.publicKey()], { pad: false });
  assert.ok(plain1010.toBytes().length < padded("x".repeat(1010)).toBytes().length);
  assert.equal(plain.openText(key, ctx), "a");
  assert.equal(Envelope.seal("a", ctx, [key.publicKey()], {}).isPadded, true);
});

test("two seals of the same text differ (fresh randomness)", () => {
  const key = KeyPair.generate();
  assert.notEqual(Envelope.seal("same", ctx, [key.publicKey()]).toString(), Envelope.seal("same", ctx, [key.publicKey()]).toString());
});

test("the context is bound: changing any field fails to open with DecryptionFailed", () => {
  const key = KeyPair.generate();
  const sealed = Envelope.seal("bound", ctx, [key.publicKey()]);
  const others = [
    { ...ctx, tenantId: "tenant-2" },
    { ...ctx, bookingId: "booking-2" },
    { ...ctx, field: "correction" },
    { ...ctx, schemaVersion: 2 },
  ];
  for (const other of others) throwsCode(() => sealed.openText(key, other), ErrorCode.DecryptionFailed);
  assert.equal(sealed.openText(key, { ...ctx, extra: "ignored" }), "bound");
});

test("tampering with any part of the envelope is detected", () => {
  const key = KeyPair.generate();
  const bytes = Envelope.seal("tamper", ctx, [key.publicKey()], { pad: false }).toBytes();
  for (let i = 0; i < bytes.length; i += 7) {
    const altered = bytes.slice();
    altered[i] ^= 0x01;
    let error;
    try {
      Envelope.fromBytes(altered).openText(key, ctx);
    } catch (e) {
      error = e;
    }
    assert.ok(error?.name === "BizingError", `byte ${i}: altered envelope opened`);
    assert.ok(
      [ErrorCode.Malformed, ErrorCode.DecryptionFailed, ErrorCode.NotARecipient, ErrorCode.UnsupportedVersion, ErrorCode.InvalidKey].includes(error.code),
      `byte ${i}: code ${ErrorCode[error.code]}`,
    );
  }
});

test("rewrap adds and removes recipients without touching the content", () => {
  const clinic = KeyPair.generate();
  const patient = KeyPair.generate();
  const newcomer = KeyPair.generate();
  const sealed = Envelope.seal("rewrapped", ctx, [clinic.publicKey(), patient.publicKey()]);
  const rewrapped = sealed.rewrap(clinic, ctx, { add: [newcomer.publicKey()], remove: [patient.keyId] });
  assert.deepEqual(rewrapped.recipients.sort(), [clinic.keyId, newcomer.keyId].sort());
  assert.equal(Envelope.parse(rewrapped.toString()).openText(newcomer, ctx), "rewrapped");
  assert.equal(rewrapped.openText(clinic, ctx), "rewrapped");
  throwsCode(() => rewrapped.openText(patient, ctx), ErrorCode.NotARecipient);
  // The original is unchanged.
  assert.equal(sealed.openText(patient, ctx), "rewrapped");
  assert.deepEqual(sealed.rewrap(clinic, ctx, {}).recipients, sealed.recipients);
});

test("rewrap needs a recipient's key and the right context", () => {
  const clinic = KeyPair.generate();
  const sealed = Envelope.seal("x", ctx, [clinic.publicKey()]);
  throwsCode(() => sealed.rewrap(KeyPair.generate(), ctx, { add: [] }), ErrorCode.NotARecipient);
  throwsCode(() => sealed.rewrap(clinic, { ...ctx, field: "other" }, { add: [] }), ErrorCode.DecryptionFailed);
  throwsCode(() => sealed.rewrap(clinic, ctx, { remove: [clinic.keyId] }), ErrorCode.InvalidRecipients);
});

test("recipient limits: none, more than 16 and duplicates are InvalidRecipients", () => {
  const key = KeyPair.generate();
  throwsCode(() => Envelope.seal("x", ctx, []), ErrorCode.InvalidRecipients);
  const seventeen = Array.from({ length: 17 }, () => KeyPair.generate().publicKey());
  throwsCode(() => Envelope.seal("x", ctx, seventeen), ErrorCode.InvalidRecipients);
  throwsCode(() => Envelope.seal("x", ctx, [key.publicKey(), key.publicKey()]), ErrorCode.InvalidRecipients);
});

test("an over-long context is TooLarge", () => {
  const key = KeyPair.generate();
  throwsCode(() => Envelope.seal("x", { ...ctx, tenantId: "t".repeat(100_000) }, [key.publicKey()]), ErrorCode.TooLarge);
});

test("objects can be freed, and `using` disposes them", () => {
  const key = KeyPair.generate();
  const sealed = Envelope.seal("free me", ctx, [key.publicKey()]);
  sealed.free();
  assert.equal(typeof Envelope.prototype[Symbol.dispose], Symbol.dispose ? "function" : "undefined");
});
