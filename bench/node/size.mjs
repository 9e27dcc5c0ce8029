// Size half of `cargo xtask bench`: raw, gzip (level 9, as `gzip -9`) and brotli (quality
// 11, as CDNs serve static files) sizes of each file given, as one JSON object on stdout.
//
// Usage: node size.mjs LABEL=path/to/file.wasm ...

import { readFileSync } from "node:fs";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const sizes = {};
for (const arg of process.argv.slice(2)) {
  const at = arg.indexOf("=");
  if (at < 1) throw new Error(`expected LABEL=path, got ${arg}`);
  const bytes = readFileSync(arg.slice(at + 1));
  sizes[arg.slice(0, at)] = {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_GENERIC,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }).length,
  };
}
console.log(JSON.stringify(sizes));
