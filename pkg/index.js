// Browsers and bundlers (the `browser` and `default` conditions): the wasm is fetched from
// next to this file. Bundlers that understand `new URL(..., import.meta.url)` (Vite, webpack,
// Parcel, Rollup with a plugin) copy it into the build; the server must send it as
// `application/wasm` for streaming compilation.

import glueInit, { IdleTimer as GlueIdleTimer } from "./dist/bizing_sdk.js";
import { setWorkerWasm } from "./lib/open-notes.js";
import { createInit, ensureReady } from "./lib/runtime.js";

export * from "./lib/api.js";
export { openNotes } from "./lib/open-notes.js";

/**
 * Fetches and compiles the wasm (streaming when the server says `application/wasm`, as
 * wasm-bindgen's own loader does). The compiled module is kept for `openNotes`, whose
 * workers instantiate it without fetching or compiling it again.
 */
async function compile(url) {
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`failed to fetch Wasm: ${response.status} ${response.statusText} fetching '${response.url}'`);
  }
  if (typeof WebAssembly.compileStreaming === "function") {
    try {
      return await WebAssembly.compileStreaming(response);
    } catch (error) {
      if (response.headers.get("Content-Type") === "application/wasm") throw error;
      console.warn("`WebAssembly.compileStreaming` failed: the server does not send the wasm as `application/wasm`; compiling it the slower way.", error);
    }
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

/** Loads the wasm module once; await it before any other call. */
export const init = createInit(async () => {
  const module = await compile(new URL("./dist/bizing_sdk_bg.wasm", import.meta.url));
  await glueInit({ module_or_path: module });
  setWorkerWasm(module);
});

/** Browser only: signs the session out after inactivity, across tabs. */
export class IdleTimer extends GlueIdleTimer {
  constructor(options) {
    ensureReady();
    super(options);
  }
}
