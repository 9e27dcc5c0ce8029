// The browser half of `cargo xtask bench --only widget`: Debian's headless Chromium (through
// the playwright-core that tests/portal pins) opens a clinic page on its own origin (served
// by web/widget/demo/serve.mjs under the strict CSP the docs give) that inserts one inline
// <bizing-booking> from a running bizing-server --demo on another site. Each round is a fresh
// browser context (an empty HTTP cache: a first visit).
//
// Usage: node bench/widget/widget.mjs --url http://127.0.0.1:PORT --db DB --loader LOADER_JS
//        [--rounds N]
// The clinic page's origin is added to the demo clinic's allowed origins with the sqlite3
// CLI. Progress goes to stderr; the result is one JSON line on stdout.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

import { startHostSite } from "../../web/widget/demo/serve.mjs";

const { chromium } = await import(new URL("../../tests/portal/node_modules/playwright-core/index.mjs", import.meta.url)).catch(
  (error) => {
    throw new Error(`playwright-core is not installed in tests/portal (run \`cargo xtask test --only setup\`): ${error.message}`);
  },
);

function parseArgs(argv) {
  const args = { rounds: 7 };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${name} needs a value`);
    if (name === "--url") args.url = value;
    else if (name === "--db") args.db = value;
    else if (name === "--loader") args.loader = value;
    else if (name === "--rounds") args.rounds = Number(value);
    else throw new Error(`unknown argument ${name}`);
  }
  if (!args.url || !args.db || !args.loader || !(args.rounds >= 1)) {
    throw new Error("usage: node widget.mjs --url URL --db DB --loader LOADER_JS [--rounds N]");
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
// Another site than the page's 127.0.0.1, as on a real clinic's website.
const booking = args.url.replace("127.0.0.1", "localhost");
const site = await startHostSite({
  dirs: [fileURLToPath(new URL("./site/", import.meta.url))],
  bookingOrigin: booking,
  loaderFile: args.loader,
});
execFileSync("sqlite3", ["-cmd", ".timeout 5000", args.db, `UPDATE tenants SET allowed_origins = '["${site.origin}"]' WHERE id = 'demo-clinic';`]);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions"],
});
const rounds = [];
try {
  for (let round = 0; round < args.rounds; round++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const fetched = [];
    page.on("response", (response) => {
      if (response.url().startsWith(`${booking}/widget/`)) fetched.push({ url: response.url().slice(booking.length), encoding: response.headers()["content-encoding"] ?? null });
    });
    await page.goto(`${site.origin}/`);
    await page.waitForFunction(() => window.benchResult, null, { timeout: 120_000 });
    const result = await page.evaluate(() => window.benchResult);
    if (result.failed) throw new Error(`the widget failed: ${result.failed}`);
    rounds.push({ ...result, fetched });
    process.stderr.write(`     round ${round + 1}: insertion to ready ${result.insertion_to_ready_ms.toFixed(0)} ms\n`);
    await context.close();
  }
} finally {
  await browser.close();
  await site.close();
}
console.log(JSON.stringify({ rounds, chromium: browser.version(), node: process.version }));
