// Node.js (the `node` condition; also Bun): the wasm is read from the installed package.

import { readFile } from "node:fs/promises";

import glueInit from "./dist/bizing_sdk.js";
import { createInit } from "./lib/runtime.js";

export * from "./lib/api.js";

/** Loads the wasm module once; await it before any other call. */
export const init = createInit(async () =>
  glueInit({ module_or_path: await readFile(new URL("./dist/bizing_sdk_bg.wasm", import.meta.url)) }),
);
