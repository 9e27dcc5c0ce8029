// Wrapped private keys through the installed package: password, recovery code, public key.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import { Envelope, ErrorCode, KeyPair, PasswordKeys, RecoveryCodes, init } from "@bizing/booking-sdk";

import { ctx, stillWorks, throwsCode } from "./helpers.mjs";

before(() => init());

const FAST = "insecure-fast-for-tests";

test("KDF parameters: text form with a fresh salt; bad profiles rejected", () => {
  const params = PasswordKeys.generateKdfParams(FAST);
  assert.match(params, /^argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/_-]+$/);
  assert.notEqual(PasswordKeys.generateKdfParams(FAST), params);
  assert.match(PasswordKeys.generateKdfParams(), /^argon2id\$v=19\$m=65536,t=3,p=\d+\$/);
  assert.match(PasswordKeys.generateKdfParams("interactive"), /^argon2id\$/);
  throwsCode(() => PasswordKeys.generateKdfParams("fast"), ErrorCode.InvalidArgument);
});

test("password keys: the auth key is deterministic and depends on password and salt", () => {
  const params = PasswordKeys.generateKdfParams(FAST);
  const auth = PasswordKeys.derive("hunter2 hunter2", params).authKey;
  assert.match(auth, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(PasswordKeys.derive("hunter2 hunter2", params).authKey, auth);
  assert.notEqual(PasswordKeys.derive("hunter3 hunter3", params).authKey, auth);
  assert.notEqual(PasswordKeys.derive("hunter2 hunter2", PasswordKeys.generateKdfParams(FAST)).authKey, auth);
  throwsCode(() => PasswordKeys.derive("", params), ErrorCode.InvalidKdfParams);
  for (const bad of ["", "junk", "argon2id$v=19$m=1,t=1,p=1$c2FsdA", params.replace("argon2id", "argon2i")]) {
    throwsCode(() => PasswordKeys.derive("pw", bad), ErrorCode.InvalidKdfParams, bad);
    stillWorks();
  }
});

test("wrapWithPassword / unwrapWithPassword", () => {
  const params = PasswordKeys.generateKdfParams(FAST);
  const key = KeyPair.generate();
  const wrapped = key.wrapWithPassword(PasswordKeys.derive("open sesame", params));
  assert.match(wrapped, /^bzk1\./);
  const unwrapped = KeyPair.unwrapWithPassword(wrapped, PasswordKeys.derive("open sesame", params));
  assert.equal(unwrapped.keyId, key.keyId);
  const note = Envelope.seal("pw", ctx, [key.publicKey()]);
  assert.equal(note.openText(unwrapped, ctx), "pw");
  throwsCode(() => KeyPair.unwrapWithPassword(wrapped, PasswordKeys.derive("open sesame!", params)), ErrorCode.DecryptionFailed);
  stillWorks();
});

test("recovery codes: wrap and unwrap, typed loosely, wrong and malformed codes", () => {
  const [code, other] = RecoveryCodes.generate(2);
  assert.match(code, /^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/);
  const key = KeyPair.generate();
  const wrapped = key.wrapWithRecoveryCode(code);
  assert.match(wrapped, /^bzk1\./);
  assert.equal(KeyPair.unwrapWithRecoveryCode(wrapped, code).keyId, key.keyId);
  // As typed by a person: lower case, spaces instead of dashes.
  assert.equal(KeyPair.unwrapWithRecoveryCode(wrapped, code.toLowerCase().replaceAll("-", " ")).keyId, key.keyId);
  throwsCode(() => KeyPair.unwrapWithRecoveryCode(wrapped, other), ErrorCode.DecryptionFailed);
  for (const bad of ["", "not a code", "AAAAA-AAAAA-AAAAA", `${code}-AAAAA`, code.slice(0, -1), "!!!!!-!!!!!-!!!!!-!!!!!"]) {
    throwsCode(() => KeyPair.unwrapWithRecoveryCode(wrapped, bad), ErrorCode.InvalidRecoveryCode, bad);
    throwsCode(() => key.wrapWithRecoveryCode(bad), ErrorCode.InvalidRecoveryCode, bad);
    stillWorks();
  }
});

test("wrapTo / unwrapWithKey", () => {
  const key = KeyPair.generate();
  const holder = KeyPair.generate();
  const wrapped = key.wrapTo(holder.publicKey());
  assert.equal(KeyPair.unwrapWithKey(wrapped, holder).keyId, key.keyId);
  throwsCode(() => KeyPair.unwrapWithKey(wrapped, KeyPair.generate()), ErrorCode.DecryptionFailed);
});

test("a wrapped key of one kind is refused by another kind's unwrap", () => {
  const params = PasswordKeys.generateKdfParams(FAST);
  const keys = PasswordKeys.derive("pw pw pw", params);
  const [code] = RecoveryCodes.generate(1);
  const key = KeyPair.generate();
  const byPassword = key.wrapWithPassword(keys);
  throwsCode(() => KeyPair.unwrapWithRecoveryCode(byPassword, code), ErrorCode.InvalidArgument);
  throwsCode(() => KeyPair.unwrapWithKey(byPassword, key), ErrorCode.InvalidArgument);
  throwsCode(() => KeyPair.unwrapWithPassword(key.wrapTo(key.publicKey()), keys), ErrorCode.InvalidArgument);
});

test("malformed wrapped keys throw Malformed or UnsupportedVersion", () => {
  const key = KeyPair.generate();
  const wrapped = key.wrapTo(key.publicKey());
  throwsCode(() => KeyPair.unwrapWithKey("", key), ErrorCode.Malformed);
  throwsCode(() => KeyPair.unwrapWithKey("bzk1.", key), ErrorCode.Malformed);
  throwsCode(() => KeyPair.unwrapWithKey(wrapped.slice(0, -10), key), ErrorCode.Malformed);
  throwsCode(() => KeyPair.unwrapWithKey(`${wrapped}AAAA`, key), ErrorCode.Malformed);
  throwsCode(() => KeyPair.unwrapWithKey(wrapped.replace(/^bzk1/, "bzk9"), key), ErrorCode.Malformed);
  stillWorks();
});
