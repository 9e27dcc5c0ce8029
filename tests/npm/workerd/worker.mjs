// A Worker using the installed package (the `workerd` entry, resolved by the test driver the
// way wrangler would) and its wasm subpath. Routes:
//   GET /health     200 once the Worker is up
//   GET /selftest   JSON { results: [{ name, ok, error? }] }
//   POST /open      body: a fixture sealed elsewhere; JSON { ok, checks, error? }
//   GET /seal       a fixture sealed here, for another runtime to open
//   GET /client-flow  BookingClient against the bizing-server named by the BIZING_API_URL
//                   binding (the config's network service allows only 127.0.0.1): JSON
//                   { results: [{ name, ok, error? }] }, stopping at the first failed step
import * as sdk from "@bizing/booking-sdk";
import wasmSubpath from "@bizing/booking-sdk/bizing_sdk_bg.wasm";

import { openFixture, sealFixture } from "../cross/fixture.mjs";
import { patientFlow, runSteps } from "../shared/patient-flow.mjs";

const { Envelope, ErrorCode, KeyPair, PublicKey, init, isBizingError } = sdk;
const ctx = { tenantId: "tenant-workerd", bookingId: "booking-1", field: "note", schemaVersion: 1 };

function codeOf(fn) {
  try {
    fn();
  } catch (error) {
    if (!isBizingError(error)) throw error;
    return error.code;
  }
  return undefined;
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function selftest() {
  const results = [];
  const run = async (name, fn) => {
    try {
      await fn();
      results.push({ name, ok: true });
    } catch (error) {
      results.push({ name, ok: false, error: String(error?.stack ?? error) });
    }
  };
  await run("before init(): BizingError NotInitialized", () => {
    // Only meaningful on the first request: the isolate keeps the module loaded.
    if (globalThis.__bizingInitialized) return;
    check(codeOf(() => KeyPair.generate()) === ErrorCode.NotInitialized, "no clear error before init()");
  });
  await run("init() once", async () => {
    const first = init();
    check(first === init(), "concurrent init() calls share one promise");
    await first;
    globalThis.__bizingInitialized = true;
  });
  await run("the wasm subpath is a compiled WebAssembly.Module", () => {
    check(wasmSubpath instanceof WebAssembly.Module, `got ${Object.prototype.toString.call(wasmSubpath)}`);
  });
  await run("no IdleTimer outside browsers", () => check(!("IdleTimer" in sdk), "IdleTimer is exported"));
  await run("seal/open text", () => {
    const key = KeyPair.generate();
    const wire = Envelope.seal("Hello from workerd ✓", ctx, [key.publicKey()]).toString();
    check(Envelope.parse(wire).openText(key, ctx) === "Hello from workerd ✓", "text round trip");
  });
  await run("seal/open bytes", () => {
    const key = KeyPair.generate();
    const bytes = Uint8Array.from([0, 1, 2, 254, 255]);
    const opened = Envelope.fromBytes(Envelope.seal(bytes, ctx, [key.publicKey()]).toBytes()).open(key, ctx);
    check(opened.join() === bytes.join(), "bytes round trip");
  });
  await run("keys and errors", () => {
    const key = KeyPair.generate();
    check(PublicKey.fromJwk(key.publicKey().toJwk()).keyId === key.keyId, "JWK round trip");
    check(codeOf(() => PublicKey.fromSec1(new Uint8Array(65))) === ErrorCode.InvalidKey, "all-zero point");
    const sealed = Envelope.seal("x", ctx, [key.publicKey()]);
    check(codeOf(() => sealed.openText(key, { ...ctx, bookingId: "other" })) === ErrorCode.DecryptionFailed, "context");
    check(codeOf(() => Envelope.seal("x", ctx, [{}])) === ErrorCode.InvalidArgument, "plain object recipient");
    check(sealed.openText(key, ctx) === "x", "still works");
  });
  return results;
}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    try {
      if (pathname === "/health") return new Response("ok");
      if (pathname === "/selftest") return Response.json({ results: await selftest() });
      await init();
      if (pathname === "/open" && request.method === "POST") {
        try {
          return Response.json({ ok: true, checks: openFixture(sdk, await request.json()) });
        } catch (error) {
          return Response.json({ ok: false, error: String(error?.stack ?? error) });
        }
      }
      if (pathname === "/seal") return Response.json(sealFixture(sdk, "workerd"));
      if (pathname === "/client-flow") {
        return Response.json({ results: await runSteps(patientFlow(sdk, env.BIZING_API_URL, "workerd")) });
      }
      return new Response("not found", { status: 404 });
    } catch (error) {
      return new Response(String(error?.stack ?? error), { status: 500 });
    }
  },
};
