// The installed package under Deno: resolved from node_modules through the `deno` export
// condition (deno.json sets "nodeModulesDir": "manual"), type-checked by `deno test`.
import * as sdk from "@bizing/booking-sdk";
import { Envelope, ErrorCode, init, isBizingError, KeyPair, PasswordKeys, PublicKey } from "@bizing/booking-sdk";

import { openFixture, sealFixture } from "../cross/fixture.mjs";

const ctx = { tenantId: "tenant-deno", bookingId: "booking-1", field: "note", schemaVersion: 1 };

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (error) {
    assert(isBizingError(error), `expected a BizingError, got ${error}`);
    return error.code;
  }
  return undefined;
}

Deno.test("calls before init() throw a BizingError asking for init()", () => {
  assert(codeOf(() => KeyPair.generate()) === ErrorCode.NotInitialized, "KeyPair.generate before init");
});

Deno.test("init() loads once (the deno entry reads the wasm with Deno.readFile)", async () => {
  const first = init();
  assert(first === init(), "concurrent init() calls share one promise");
  await first;
  await init();
});

Deno.test("the deno entry exports the API without the browser-only IdleTimer", () => {
  assert(!("IdleTimer" in sdk), "IdleTimer is exported");
  for (const name of ["Envelope", "KeyPair", "PublicKey", "ClinicKey", "PasswordKeys", "RecoveryCodes", "Totp", "Npp", "scanPhi", "zeroizeKeys", "ErrorCode"]) {
    assert(name in sdk, `${name} is missing`);
  }
});

Deno.test("seal and open text and bytes", async () => {
  await init();
  const key = KeyPair.generate();
  const wire = Envelope.seal("Hallo aus Deno ✓", ctx, [key.publicKey()]).toString();
  assert(Envelope.parse(wire).openText(key, ctx) === "Hallo aus Deno ✓", "text round trip");
  const bytes = Uint8Array.from([0, 1, 2, 254, 255]);
  const opened = Envelope.fromBytes(Envelope.seal(bytes, ctx, [key.publicKey()]).toBytes()).open(key, ctx);
  assert(opened.join() === bytes.join(), "bytes round trip");
});

Deno.test("keys: JWK and SEC1 import, invalid points rejected", async () => {
  await init();
  const key = KeyPair.generate();
  assert(PublicKey.fromJwk(key.publicKey().toJwk()).keyId === key.keyId, "JWK round trip");
  assert(PublicKey.fromSec1(key.publicKey().toSec1()).keyId === key.keyId, "SEC1 round trip");
  assert(codeOf(() => PublicKey.fromSec1(new Uint8Array(65))) === ErrorCode.InvalidKey, "all-zero point");
});

Deno.test("errors carry codes, and the module keeps working", async () => {
  await init();
  const key = KeyPair.generate();
  const sealed = Envelope.seal("x", ctx, [key.publicKey()]);
  assert(codeOf(() => sealed.openText(key, { ...ctx, field: "other" })) === ErrorCode.DecryptionFailed, "context");
  assert(codeOf(() => Envelope.parse("bze1.AAAA")) === ErrorCode.Malformed, "garbage");
  // @ts-expect-error: a plain object is not a PublicKey
  assert(codeOf(() => Envelope.seal("x", ctx, [{}])) === ErrorCode.InvalidArgument, "plain object recipient");
  // @ts-expect-error: a plain object is not a KeyPair
  assert(codeOf(() => sealed.openText({}, ctx)) === ErrorCode.InvalidArgument, "plain object key");
  assert(sealed.openText(key, ctx) === "x", "still works");
  const params = PasswordKeys.generateKdfParams("insecure-fast-for-tests");
  const keys = PasswordKeys.derive("pw pw pw", params);
  assert(KeyPair.unwrapWithPassword(key.wrapWithPassword(keys), keys).keyId === key.keyId, "password wrap");
});

Deno.test("cross-runtime: opens what Node.js sealed, seals for Node.js", async () => {
  await init();
  const dir = Deno.env.get("BIZING_FIXTURES");
  assert(dir, "BIZING_FIXTURES is not set");
  const fromNode = JSON.parse(await Deno.readTextFile(`${dir}/node.json`));
  assert(openFixture(sdk, fromNode) > 0, "no checks made");
  await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify(sealFixture(sdk, "Deno"), null, 2));
});
