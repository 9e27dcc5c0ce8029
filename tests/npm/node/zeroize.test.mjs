// Zeroizing private keys: one at a time, and all at once (what logout and idle time-out do).
import assert from "node:assert/strict";
import { before, test } from "node:test";

import { ClinicKey, ClinicKeyring, Envelope, ErrorCode, KeyPair, PasswordKeys, init, zeroizeKeys } from "@bizing/booking-sdk";

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

test("zeroizeKeys() wipes a ClinicKeyring too, counting each version it held", () => {
  zeroizeKeys();
  const staff = KeyPair.generate();
  const v1 = ClinicKey.create();
  const v2 = v1.rotate();
  const copy = (clinic, current) => ({
    version: clinic.version,
    keyId: clinic.keyId,
    publicKey: Buffer.from(clinic.publicKey().toSec1()).toString("base64url"),
    wrappedKey: clinic.wrapFor(staff.publicKey()),
    current,
  });
  const keyring = ClinicKeyring.unlock({ keys: [copy(v1, false), copy(v2, true)] }, staff);
  assert.deepEqual(keyring.versions(), [1, 2]);
  assert.equal(keyring.currentVersion, 2);
  const sealed = Envelope.seal("kept in the keyring", ctx, [v1.publicKey()]).toString();
  assert.equal(keyring.openNote(sealed, ctx), "kept in the keyring");

  // The staff key, both clinic keys, and the keyring's two unwrapped versions.
  assert.equal(zeroizeKeys(), 5);
  assert.equal(keyring.isZeroized, true);
  throwsCode(() => keyring.openNote(sealed, ctx), ErrorCode.KeyZeroized);
  throwsCode(() => keyring.versions(), ErrorCode.KeyZeroized);
  keyring.zeroize(); // again is fine
  stillWorks();
});
