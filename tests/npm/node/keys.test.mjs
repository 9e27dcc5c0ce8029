// Keys through the installed package: generation, SEC1 and JWK import/export, versions,
// and rejection of invalid keys.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import { ClinicKey, Envelope, ErrorCode, KeyPair, PublicKey, init } from "@bizing/booking-sdk";

import { ctx, stillWorks, throwsCode } from "./helpers.mjs";

before(() => init());

test("generate: version-1 key ids, distinct keys", () => {
  const a = KeyPair.generate();
  const b = KeyPair.generate();
  assert.match(a.keyId, /^v1\.[A-Za-z0-9_-]{22}$/);
  assert.notEqual(a.keyId, b.keyId);
  assert.equal(a.publicKey().keyId, a.keyId);
  assert.equal(a.isZeroized, false);
});

test("SEC1: 65-byte uncompressed export, import of both forms", () => {
  const key = KeyPair.generate();
  const sec1 = key.publicKey().toSec1();
  assert.ok(sec1 instanceof Uint8Array);
  assert.equal(sec1.length, 65);
  assert.equal(sec1[0], 0x04);
  assert.equal(PublicKey.fromSec1(sec1).keyId, key.keyId);
  // Compressed: 0x02/0x03 by the parity of y, then x.
  const compressed = new Uint8Array(33);
  compressed[0] = 0x02 | (sec1[64] & 1);
  compressed.set(sec1.subarray(1, 33), 1);
  const imported = PublicKey.fromSec1(compressed);
  assert.equal(imported.keyId, key.keyId);
  assert.deepEqual(imported.toSec1(), sec1);
  // Sealing to an imported key works with the original key pair.
  assert.equal(Envelope.seal("sec1", ctx, [imported]).openText(key, ctx), "sec1");
});

test("invalid SEC1 points throw InvalidKey and the module keeps working", () => {
  const valid = KeyPair.generate().publicKey().toSec1();
  const offCurve = valid.slice();
  offCurve[64] ^= 0x01;
  const cases = {
    "off the curve": offCurve,
    "all zero": new Uint8Array(65),
    "the point at infinity": Uint8Array.of(0x00),
    "truncated": valid.subarray(0, 64),
    "too long": Uint8Array.from([...valid, 0]),
    "empty": new Uint8Array(0),
    "bad prefix": Uint8Array.from([0x05, ...valid.subarray(1)]),
    "x not on the curve (compressed)": Uint8Array.from([0x02, ...new Uint8Array(32).fill(0xff)]),
  };
  for (const [name, bytes] of Object.entries(cases)) {
    throwsCode(() => PublicKey.fromSec1(bytes), ErrorCode.InvalidKey, name);
    stillWorks();
  }
});

test("JWK: export has kty, crv, x, y, kid; import from object and string", () => {
  const key = KeyPair.generate().withVersion(4);
  const jwk = key.publicKey().toJwk();
  assert.equal(jwk.kty, "EC");
  assert.equal(jwk.crv, "P-256");
  assert.match(jwk.x, /^[A-Za-z0-9_-]{43}$/);
  assert.match(jwk.y, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(jwk.kid, key.keyId);
  assert.equal(PublicKey.fromJwk(jwk).keyId, key.keyId);
  assert.equal(PublicKey.fromJwk(JSON.stringify(jwk)).keyId, key.keyId);
  assert.deepEqual(PublicKey.fromJwk(jwk).toSec1(), key.publicKey().toSec1());
});

test("bad JWKs, and values that are no JWK at all, throw InvalidKey; the module keeps working", () => {
  const jwk = KeyPair.generate().publicKey().toJwk();
  const flip = (b64) => (b64[0] === "A" ? "B" : "A") + b64.slice(1);
  const invalidKey = {
    "not JSON": "{kty: EC",
    "empty object": {},
    "RSA": { ...jwk, kty: "RSA" },
    "P-384": { ...jwk, crv: "P-384" },
    "missing y": { kty: jwk.kty, crv: jwk.crv, x: jwk.x },
    "y off the curve": { ...jwk, y: flip(jwk.y) },
    "x not base64url": { ...jwk, x: "!!!" + jwk.x.slice(3) },
    "x too short": { ...jwk, x: jwk.x.slice(0, 40) },
    "private key included": { ...jwk, d: jwk.x },
    "another key's kid": { ...jwk, kid: KeyPair.generate().keyId },
    "x a number": { ...jwk, x: 42 },
    "an array": [jwk],
    "a number": 42,
    "a boolean": true,
    "null": null,
    "undefined": undefined,
  };
  for (const [name, value] of Object.entries(invalidKey)) {
    throwsCode(() => PublicKey.fromJwk(value), ErrorCode.InvalidKey, name);
    stillWorks();
  }
});

test("versions: withVersion relabels, version 0 is InvalidKey", () => {
  const key = KeyPair.generate();
  const v7 = key.withVersion(7);
  assert.match(v7.keyId, /^v7\./);
  assert.equal(v7.keyId.slice(3), key.keyId.slice(3));
  assert.equal(key.publicKey().withVersion(7).keyId, v7.keyId);
  throwsCode(() => key.withVersion(0), ErrorCode.InvalidKey);
  throwsCode(() => key.publicKey().withVersion(0), ErrorCode.InvalidKey);
  // Any other kid is not ours to check.
  assert.equal(PublicKey.fromJwk({ ...key.publicKey().toJwk(), kid: "2024-signing" }).keyId, key.withVersion(1).keyId);
  // A key opens envelopes sealed to its own version only.
  const sealed = Envelope.seal("v7", ctx, [v7.publicKey()]);
  assert.equal(sealed.openText(v7, ctx), "v7");
  throwsCode(() => sealed.openText(key, ctx), ErrorCode.NotARecipient);
});

test("clinic keys: create, rotate, wrap for staff, unwrap by staff", () => {
  const clinic = ClinicKey.create();
  assert.equal(clinic.version, 1);
  assert.match(clinic.keyId, /^v1\./);
  assert.equal(clinic.publicKey().keyId, clinic.keyId);
  const next = clinic.rotate();
  assert.equal(next.version, 2);
  assert.match(next.keyId, /^v2\./);
  assert.notEqual(next.keyId.slice(3), clinic.keyId.slice(3));

  const staff = KeyPair.generate();
  const wrapped = clinic.wrapFor(staff.publicKey());
  assert.equal(typeof wrapped, "string");
  const unwrapped = ClinicKey.unwrap(wrapped, staff);
  assert.equal(unwrapped.keyId, clinic.keyId);
  assert.equal(unwrapped.version, 1);
  const note = Envelope.seal("for the clinic", ctx, [clinic.publicKey()]);
  assert.equal(note.openText(unwrapped.keyPair(), ctx), "for the clinic");
  throwsCode(() => ClinicKey.unwrap(wrapped, KeyPair.generate()), ErrorCode.DecryptionFailed);
});
