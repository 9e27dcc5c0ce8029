// Cloudflare Workers and workerd (the `workerd` condition): the wasm is a module of its own,
// compiled by the runtime when the Worker is deployed (wrangler uploads it as such), then
// instantiated synchronously: Workers forbid compiling wasm from bytes at run time.

import wasmModule from "./dist/bizing_sdk_bg.wasm";
import { initSync } from "./dist/bizing_sdk.js";
import { createInit } from "./lib/runtime.js";

export * from "./lib/api.js";

/** Instantiates the wasm module once; await it before any other call. */
export const init = createInit(() => initSync({ module: wasmModule }));
