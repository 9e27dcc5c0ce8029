// The browser half of `cargo xtask bench --only portal`: Debian's headless Chromium (through
// the playwright-core that tests/portal pins) against a running bizing-server that serves the
// built portal and holds patients made by `bench-portal-setup`, each with the same number of
// bookings whose notes are sealed to the clinic and to that patient.
//
// One round per patient, each in a fresh browser context (an empty HTTP cache: a new device):
//   1. open `/portal/#/bookings`; the portal keeps keys in memory only, so a signed-out page
//      shows the sign-in form: time from navigation start to that form in the page;
//   2. password: from the form's submit to the code field (Argon2id with the production
//      profile in the page, pre-login and login, the private key unwrapped);
//   3. second factor: from the code form's submit to the first booking card, and to the
//      bookings page being interactive with every note opened: the first animation frame in
//      which all `.note-text` elements are there and the notes' progress bar is gone.
// Every time is `performance.now()` in the page (one document throughout: the portal routes
// in the URL's fragment), taken by a script Playwright injects before the portal's own, so
// the figures exclude the test driver's typing and round trips.
//
// Also reports what Chromium fetched for the portal's files (Resource Timing sizes and the
// Content-Encoding of each response), to cross-check the sizes measured from the built files.
//
// Usage: node bench/portal/portal.mjs --url http://127.0.0.1:PORT --data portal-data.json
//        [--rounds N]
// Progress goes to stderr; the result is one JSON line on stdout.

import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";

const { chromium } = await import(new URL("../../tests/portal/node_modules/playwright-core/index.mjs", import.meta.url)).catch(
  (error) => {
    throw new Error(`playwright-core is not installed in tests/portal (run \`cargo xtask test --only setup\`): ${error.message}`);
  },
);

/** What one step may take before the round fails (a slow machine, not a hang, is the risk). */
const STEP_TIMEOUT_MS = 120_000;

function parseArgs(argv) {
  const args = { rounds: 5 };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${name} needs a value`);
    if (name === "--url") args.url = value;
    else if (name === "--data") args.data = value;
    else if (name === "--rounds") args.rounds = Number(value);
    else throw new Error(`unknown argument ${name}`);
  }
  if (!args.url || !args.data || !(args.rounds >= 1)) {
    throw new Error("usage: node portal.mjs --url URL --data FILE [--rounds N]");
  }
  return args;
}

/** RFC 4648 base32 (no padding needed). */
function base32Decode(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const bytes = [];
  let [bits, value] = [0, 0];
  for (const c of text.replace(/[\s=]/g, "").toUpperCase()) {
    const index = alphabet.indexOf(c);
    if (index < 0) throw new Error("the TOTP secret is not base32");
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

/** RFC 6238 TOTP with the defaults the server uses: HMAC-SHA-1, 30-second steps, 6 digits. */
function totpCode(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

const log = (message) => process.stderr.write(`     ${message}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Rejects after `ms` with `what` in the message, unless `promise` settles first. */
function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Injected into every document before the portal's scripts: records the form submits and,
 * once a frame, which milestones the page has reached. `window.__bench.done` settles when the
 * bookings page is interactive, or with the text of an error the page shows after the code.
 */
function recorder(bookings) {
  const marks = { submits: [] };
  window.__bench = marks;
  let finish;
  marks.done = new Promise((resolve) => (finish = resolve));
  document.addEventListener(
    "submit",
    (event) => {
      const at = performance.now();
      const code = event.target instanceof Element && event.target.querySelector("#signin-code") !== null;
      marks.submits.push({ code, at });
      if (code && marks.codeSubmit === undefined) marks.codeSubmit = at;
      if (!code && marks.passwordSubmit === undefined) marks.passwordSubmit = at;
    },
    true,
  );
  const frame = () => {
    const at = performance.now();
    if (marks.form === undefined && document.querySelector("#signin-email")) marks.form = at;
    if (marks.codeField === undefined && document.querySelector("#signin-code")) marks.codeField = at;
    if (marks.codeSubmit !== undefined) {
      if (marks.firstBooking === undefined && document.querySelector(".booking")) marks.firstBooking = at;
      const notes = document.querySelectorAll(".note-text").length;
      if (notes >= bookings && !document.querySelector("#notes-progress")) {
        marks.interactive = at;
        marks.notes = notes;
        finish();
        return;
      }
      const alert = [...document.querySelectorAll("[role=alert]")].map((e) => e.textContent.trim()).find(Boolean);
      if (alert) {
        marks.error = alert;
        finish();
        return;
      }
    }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

/** One cold sign-in of `patient` to an interactive bookings page; returns the times and fetches. */
async function round(browser, url, data, patient, number) {
  const context = await browser.newContext();
  try {
    await context.addInitScript(recorder, data.bookings);
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (error) => errors.push(error.message));
    const encodings = new Map();
    page.on("response", (response) => {
      const path = new URL(response.url()).pathname;
      if (path.startsWith("/portal/")) encodings.set(path, response.headers()["content-encoding"] ?? null);
    });

    await page.goto(`${url}/portal/#/bookings`);
    await page.locator("#signin-email").waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.locator("#signin-email").fill(patient.email);
    await page.locator("#signin-password").fill(patient.password);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.locator("#signin-code").waitFor({ timeout: STEP_TIMEOUT_MS });

    // The server took the step of the enrollment code: wait for the next one if need be.
    const used = Math.floor(patient.totpConfirmedAt / 30);
    while (Math.floor(Date.now() / 30_000) <= used) await sleep(250);
    await page.locator("#signin-code").fill(totpCode(patient.totpSecret, Math.floor(Date.now() / 30_000)));
    await page.getByRole("button", { name: "Sign in" }).click();
    await within(STEP_TIMEOUT_MS, `round ${number}: the bookings page with ${data.bookings} notes`, page.evaluate(() => window.__bench.done));

    const marks = await page.evaluate(() => {
      const { done, ...rest } = window.__bench;
      return rest;
    });
    if (marks.error) throw new Error(`round ${number}: the page said: ${marks.error}`);
    if (errors.length > 0) throw new Error(`round ${number}: uncaught errors in the page: ${errors.join("; ")}`);
    const unreadable = await page.locator(".booking .error-inline").count();
    if (unreadable > 0) throw new Error(`round ${number}: ${unreadable} notes could not be opened`);
    const firstNote = await page.locator(".note-text").first().textContent();
    if (firstNote !== data.note) throw new Error(`round ${number}: the first note reads ${JSON.stringify(firstNote)}`);

    const fetched = await page.evaluate(() =>
      [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")].map((e) => ({
        url: e.name,
        transfer: e.transferSize,
        encoded: e.encodedBodySize,
        decoded: e.decodedBodySize,
      })),
    );
    const files = fetched
      .map((e) => ({ ...e, path: new URL(e.url).pathname }))
      .filter((e) => e.path.startsWith("/portal/"))
      .map(({ path, transfer, encoded, decoded }) => ({
        path,
        transfer_bytes: transfer,
        encoded_body_bytes: encoded,
        decoded_body_bytes: decoded,
        content_encoding: encodings.get(path) ?? null,
      }));
    // performance.now() is coarsened to 0.1 ms in a page without cross-origin isolation anyway.
    const ms = (value) => Math.round(value * 10) / 10;
    const [form, password, interactive] = [marks.form, marks.codeField - marks.passwordSubmit, marks.interactive - marks.codeSubmit];
    const result = {
      patient: number,
      notes: marks.notes,
      load_to_form_ms: ms(form),
      password_ms: ms(password),
      second_factor_to_first_booking_ms: ms(marks.firstBooking - marks.codeSubmit),
      second_factor_to_interactive_ms: ms(interactive),
      machine_total_ms: ms(form + password + interactive),
      files,
    };
    log(
      `round ${number}: form ${result.load_to_form_ms.toFixed(0)} ms, password ${result.password_ms.toFixed(0)} ms, ` +
        `code → first booking ${result.second_factor_to_first_booking_ms.toFixed(0)} ms, ` +
        `→ ${marks.notes} notes open ${result.second_factor_to_interactive_ms.toFixed(0)} ms`,
    );
    return result;
  } finally {
    await context.close();
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const data = JSON.parse(readFileSync(args.data, "utf8"));
  if (data.patients.length < args.rounds) {
    throw new Error(`${args.rounds} rounds need as many patients; the data has ${data.patients.length}`);
  }
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    // As tests/portal/harness.mjs: Debian's Chromium, headless, kept off the network.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-default-apps",
      "--disable-extensions",
    ],
  });
  // Ctrl-C or xtask giving up must not leave a browser behind.
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.once(signal, () => browser.close().finally(() => process.exit(130)));
  }
  try {
    const rounds = [];
    for (let i = 0; i < args.rounds; i += 1) {
      rounds.push(await round(browser, args.url, data, data.patients[i], i + 1));
    }
    console.log(JSON.stringify({ chromium: browser.version(), node: process.version, bookings: data.bookings, rounds }));
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  process.stderr.write(`bench/portal/portal.mjs: ${error.stack ?? error}\n`);
  process.exit(1);
});
