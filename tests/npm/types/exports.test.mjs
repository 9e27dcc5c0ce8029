// The declared export lists match the wasm-bindgen glue's: every API export of the glue is
// declared by index.d.ts (browser) and, IdleTimer and openNotes aside, by server.d.ts (Node.js, Deno,
// workerd), and nothing else is, besides the package's own additions. Read with the
// TypeScript compiler API (BIZING_TYPESCRIPT: path to the `typescript` module).
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const ts = require(process.env.BIZING_TYPESCRIPT);
const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "node_modules", "@bizing", "booking-sdk");

const BROWSER_ONLY = ["IdleTimer", "IdleTimerOptions", "OpenNotesItem", "OpenNotesOptions", "openNotes"];
/** Declared by the package itself, not by the glue. */
const OWN = ["BizingError", "init", "isBizingError", "OpenNotesItem", "OpenNotesOptions", "openNotes"];

function exportsOf(files) {
  const program = ts.createProgram(
    files.map((f) => path.join(pkg, f)),
    { noEmit: true, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, lib: ["lib.es2022.d.ts", "lib.esnext.disposable.d.ts"], types: [] },
  );
  const checker = program.getTypeChecker();
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  return Object.fromEntries(
    files.map((f) => {
      const source = program.getSourceFile(path.join(pkg, f));
      const symbol = checker.getSymbolAtLocation(source);
      return [f, { names: checker.getExportsOfModule(symbol).map((s) => s.name).sort(), diagnostics }];
    }),
  );
}

const declared = exportsOf(["dist/bizing_sdk.d.ts", "index.d.ts", "server.d.ts"]);
const glue = declared["dist/bizing_sdk.d.ts"].names;

test("the declarations type-check on their own (no DOM library)", () => {
  assert.deepEqual(declared["server.d.ts"].diagnostics, []);
});

test("index.d.ts declares every glue export, plus init and the error helpers", () => {
  assert.deepEqual(declared["index.d.ts"].names, [...glue, ...OWN].sort());
});

test("server.d.ts declares the same minus IdleTimer and openNotes", () => {
  const expected = [...glue, ...OWN].filter((name) => !BROWSER_ONLY.includes(name)).sort();
  assert.deepEqual(declared["server.d.ts"].names, expected);
});
