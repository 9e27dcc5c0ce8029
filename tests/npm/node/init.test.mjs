// Loading: a clear error before init(), one load however often init() is called, and the
// Node entry's export list. Node runs each test file in its own process, so the module is
// really unloaded when this file starts.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as sdk from "@bizing/booking-sdk";

const { ErrorCode, Envelope, KeyPair, PasswordKeys, PublicKey, init, isBizingError } = sdk;

test("every call before init() throws a BizingError saying to await init()", () => {
  const calls = {
    "KeyPair.generate": () => KeyPair.generate(),
    "Envelope.parse": () => Envelope.parse("bze1.x"),
    "PublicKey.fromSec1": () => PublicKey.fromSec1(new Uint8Array(65)),
    "PasswordKeys.generateKdfParams": () => PasswordKeys.generateKdfParams(),
    "RecoveryCodes.generate": () => sdk.RecoveryCodes.generate(),
    zeroizeKeys: () => sdk.zeroizeKeys(),
    scanPhi: () => sdk.scanPhi("text"),
  };
  for (const [name, call] of Object.entries(calls)) {
    assert.throws(
      call,
      (error) => isBizingError(error) && error.code === ErrorCode.NotInitialized && /await init\(\)/.test(error.message),
      name,
    );
  }
});

test("ErrorCode and isBizingError work before init()", () => {
  assert.equal(ErrorCode.DecryptionFailed, 7);
  assert.equal(ErrorCode[7], "DecryptionFailed");
  assert.equal(isBizingError(new Error("plain")), false);
  assert.equal(isBizingError("BizingError"), false);
});

test("init() loads once: concurrent and repeated calls share one load", async () => {
  const first = init();
  const second = init();
  assert.equal(first, second);
  assert.equal(await first, undefined);
  assert.equal(init(), first);
  await init();
  assert.match(KeyPair.generate().keyId, /^v1\./);
});

test("the Node entry exports the whole API except the browser-only IdleTimer", () => {
  assert.deepEqual(Object.keys(sdk).sort(), [
    "AccessLogVerifier",
    "BookingClient",
    "ClinicKey",
    "ClinicKeyring",
    "Envelope",
    "ErrorCode",
    "KeyPair",
    "Npp",
    "PasswordKeys",
    "PublicKey",
    "RecoveryCodes",
    "Totp",
    "init",
    "isBizingError",
    "scanPhi",
    "zeroizeKeys",
  ]);
  assert.equal("IdleTimer" in sdk, false);
});

test("the Node entry exports every export of the wasm-bindgen glue but IdleTimer", async () => {
  // Not reachable through the exports map; imported by path to compare.
  const glue = await import(new URL("../node_modules/@bizing/booking-sdk/dist/bizing_sdk.js", import.meta.url));
  const browserOnly = ["IdleTimer"];
  const internal = ["default", "initSync"];
  const expected = Object.keys(glue).filter((name) => !browserOnly.includes(name) && !internal.includes(name));
  const missing = expected.filter((name) => !(name in sdk));
  assert.deepEqual(missing, [], "add these to pkg/lib/api.js, server.d.ts and the tests");
});

test("the package's wasm subpath and package.json are exported", async () => {
  const { createRequire } = await import("node:module");
  const require = createRequire(import.meta.url);
  assert.match(require.resolve("@bizing/booking-sdk/bizing_sdk_bg.wasm"), /dist[\\/]bizing_sdk_bg\.wasm$/);
  assert.equal(require("@bizing/booking-sdk/package.json").name, "@bizing/booking-sdk");
  assert.throws(() => require.resolve("@bizing/booking-sdk/lib/runtime.js"), { code: "ERR_PACKAGE_PATH_NOT_EXPORTED" });
});
