// Browsers and bundlers (the `browser` and `default` conditions): the wasm is fetched from
// next to this file. Bundlers that understand `new URL(..., import.meta.url)` (Vite, webpack,
// Parcel, Rollup with a plugin) copy it into the build; the server must send it as
// `application/wasm` for streaming compilation.

import glueInit, { IdleTimer as GlueIdleTimer } from "./dist/bizing_sdk.js";
import { createInit, ensureReady } from "./lib/runtime.js";

export * from "./lib/api.js";

/** Loads the wasm module once; await it before any other call. */
export const init = createInit(() =>
  glueInit({ module_or_path: new URL("./dist/bizing_sdk_bg.wasm", import.meta.url) }),
);

/** Browser only: signs the session out after inactivity, across tabs. */
export class IdleTimer extends GlueIdleTimer {
  constructor(options) {
    ensureReady();
    super(options);
  }
}
