// Zeroizing private keys: one at a time, and all at once (what logout and idle time-out do).
import assert from "node:assert/strict";
import { before, test } from "node:test";

import { ClinicKey, Envelope, ErrorCode, KeyPair, PasswordKeys, init, zeroizeKeys } from "@bizing/booking-sdk";

import { ctx, stillWorks, throwsCode } from "./helpers.mjs";

before(() => init());

test("zeroize() wipes one key; every later use throws KeyZeroized", () => {
  const key = KeyPair.generate();
  const other = KeyPair.generate();
  const sealed = Envelope.seal("gone", ctx, [key.publicKey(), other.publicKey()]);
  key.zeroize();
  assert.equal(key.isZeroized, true);
  assert.equal(other.isZeroized, false);
  throwsCode(() => sealed.openText(key, ctx), ErrorCode.KeyZeroized);
  throwsCode(() => sealed.open(key, ctx), ErrorCode.KeyZeroized);
  throwsCode(() => key.keyId, ErrorCode.KeyZeroized);
  throwsCode(() => key.publicKey(), ErrorCode.KeyZeroized);
  throwsCode(() => key.wrapTo(other.publicKey()), ErrorCode.KeyZeroized);
  throwsCode(() => sealed.rewrap(key, ctx, {}), ErrorCode.KeyZeroized);
  assert.equal(sealed.openText(other, ctx), "gone");
  key.zeroize(); // twice is fine
});

test("zeroizeKeys() wipes every live key, clinic keys and unwrapped keys included", () => {
  zeroizeKeys();
  const a = KeyPair.generate();
  const b = KeyPair.generate();
  const clinic = ClinicKey.create();
  const params = PasswordKeys.generateKdfParams("insecure-fast-for-tests");
  const keys = PasswordKeys.derive("pw pw pw", params);
  const wrapped = a.wrapWithPassword(keys);
  const unwrapped = KeyPair.unwrapWithPassword(wrapped, keys);
  const sealed = Envelope.seal("all gone", ctx, [a.publicKey(), clinic.publicKey()]);

  assert.equal(zeroizeKeys(), 4);
  for (const key of [a, b, unwrapped, clinic.keyPair()]) {
    assert.equal(key.isZeroized, true);
    throwsCode(() => sealed.openText(key, ctx), ErrorCode.KeyZeroized);
    throwsCode(() => key.wrapWithPassword(keys), ErrorCode.KeyZeroized);
  }
  throwsCode(() => clinic.keyId, ErrorCode.KeyZeroized);
  throwsCode(() => clinic.wrapFor(KeyPair.generate().publicKey()), ErrorCode.KeyZeroized);
  assert.equal(zeroizeKeys(), 1, "only the key generated since");

  // The wrapped copy survives, and new keys work.
  assert.equal(KeyPair.unwrapWithPassword(wrapped, keys).keyId, sealed.recipients[0]);
  stillWorks();
});
