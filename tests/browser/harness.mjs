// Shared by the browser tests: a static server for the built package and a headless
// Debian Chromium driven by playwright-core.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, normalize, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
};
/** Only these trees are served. */
const SERVED = ["pkg/", "tests/browser/pages/"];

/**
 * Serves the repository's `pkg/` and test pages on 127.0.0.1 at a free port, and the
 * directories in `serve` too (repository-relative, ending in `/`; the benchmarks' pages).
 */
export async function startServer({ serve = [] } = {}) {
  const served = [...SERVED, ...serve];
  const server = createServer(async (req, res) => {
    if (req.url === "/favicon.ico") {
      res.writeHead(204).end();
      return;
    }
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname)).replace(/^\/+/, "");
    if (!served.some((prefix) => path.startsWith(prefix)) || path.includes("..")) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(join(ROOT, path));
      res.writeHead(200, {
        "content-type": TYPES[extname(path)] ?? "application/octet-stream",
        "cache-control": "no-store",
        // The SDK's documented CSP: wasm needs 'wasm-unsafe-eval', nothing inline.
        "content-security-policy": "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'",
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}

/** Debian's Chromium, headless, kept off the network. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-default-apps",
      "--disable-extensions",
    ],
  });
}

/** Opens the SDK test page, waits for `init()`, and fails on any page error. */
export async function openSdkPage(context, origin) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(new Error(m.text()));
  });
  await page.goto(`${origin}/tests/browser/pages/sdk.html`);
  await page.waitForFunction(() => window.sdkReady === true || window.sdkError, null, { timeout: 20_000 });
  const failed = await page.evaluate(() => window.sdkError ?? null);
  if (failed) throw new Error(`the SDK did not load: ${failed}`);
  page.errors = errors;
  return page;
}
