// Shared by the portal tests: a real bizing-server (--demo, --static with the built portal, a
// fresh SQLite database in a temp dir, a free port), Debian's headless Chromium through
// playwright-core, TOTP codes from an independent implementation (otpauth), axe-core, the
// repository's built npm package for what the tests do "through the API" (book with a
// sealed note), and the sqlite3 CLI to tamper with the database.
//
// `cargo xtask test --only portal` builds everything first and sets:
//   BIZING_SERVER    the bizing-server binary
//   BIZING_WEB_ROOT  the built web root (holds portal/)
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import AxeBuilder from "@axe-core/playwright";
import * as OTPAuth from "otpauth";
import { chromium } from "playwright-core";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const TENANT = "demo-clinic";

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The demo accounts bizing-server --demo prints, by role. */
function parseAccounts(output) {
  const accounts = {};
  const line = /^\s+(\w+)\s+(\S+@\S+)\s+password: (.+?)\s+TOTP secret: (\S+)\s+recovery code: (\S+)\s*$/;
  for (const text of output.split("\n")) {
    const m = line.exec(text);
    if (m) accounts[m[1]] = { email: m[2], password: m[3].trim(), totpSecret: m[4], recoveryCode: m[5] };
  }
  return accounts;
}

/**
 * Starts bizing-server --demo with the built portal on a free port and a fresh database.
 * Returns { url, dbPath, accounts, log(), stop() }.
 */
export async function startServer() {
  const binary = process.env.BIZING_SERVER;
  assert.ok(binary, "BIZING_SERVER must name the bizing-server binary (cargo xtask test --only portal sets it)");
  const webRoot = process.env.BIZING_WEB_ROOT ?? join(ROOT, "target", "web");
  const dir = await mkdtemp(join(tmpdir(), "bizing-portal-"));
  const port = await freePort();
  const dbPath = join(dir, "db.sqlite");
  const args = [
    "--listen", `127.0.0.1:${port}`,
    "--database", `sqlite://${dbPath}`,
    "--master-key-file", join(dir, "master.key"),
    "--static", webRoot,
    "--demo",
    // Every test signs in from 127.0.0.1; the limits stay on, just out of the tests' way.
    "--rate-limits", "2000,2000,100",
  ];
  const child = spawn(binary, args, { cwd: dir, env: { ...process.env, RUST_LOG: "warn" }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let exited = null;
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bizing-server did not start within 60 s:\n${output}`)), 60_000);
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
      output += chunk;
      if (/listening on http:\/\//.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk) => (output += chunk));
    child.on("close", (code) => {
      exited = code;
      clearTimeout(timer);
      reject(new Error(`bizing-server exited with ${code}:\n${output}`));
    });
  });
  const accounts = parseAccounts(output);
  assert.ok(accounts.admin && accounts.patient, `the demo accounts were printed:\n${output}`);
  return {
    url: `http://127.0.0.1:${port}`,
    dbPath,
    accounts,
    log: () => output,
    async stop() {
      if (exited === null) {
        child.kill("SIGINT");
        await new Promise((resolve) => child.once("close", resolve));
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium, headless, kept off the network. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
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
}

/** The current TOTP code for a base32 secret (RFC 6238 defaults: SHA-1, 6 digits, 30 s). */
export function totpCode(secret, at = Date.now()) {
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret.replace(/\s+/g, "")), algorithm: "SHA1", digits: 6, period: 30 });
  return totp.generate({ timestamp: at });
}

/**
 * A fresh TOTP code for a secret whose current step may already be used: waits for the next
 * 30-second step when `usedStep` is the current one (the server accepts each step once).
 */
export async function freshCode(secret, usedStep) {
  let step = Math.floor(Date.now() / 30_000);
  if (usedStep !== undefined && step <= usedStep) {
    await new Promise((resolve) => setTimeout(resolve, (usedStep + 1) * 30_000 - Date.now() + 200));
    step = Math.floor(Date.now() / 30_000);
  }
  return { code: totpCode(secret), step };
}

/** A TOTP code for one of `server`'s demo accounts that the server has not accepted yet. */
export async function staffCode(server, role) {
  server.usedSteps ??= {};
  const { code, step } = await freshCode(server.accounts[role].totpSecret, server.usedSteps[role]);
  server.usedSteps[role] = step;
  return code;
}

/** Signs one of `server`'s demo staff accounts in through the portal page; waits for the schedule. */
export async function signInStaff(page, server, role) {
  const account = server.accounts[role];
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.locator("#signin-code").waitFor({ timeout: 30_000 });
  await page.locator("#signin-code").fill(await staffCode(server, role));
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("h1#page-title").filter({ hasText: /schedule/ }).waitFor({ timeout: 30_000 });
}

/** Shows the clinic-local day `date` (YYYY-MM-DD, or an RFC 3339 time) in the staff schedule. */
export async function goToDay(page, date) {
  await page.getByLabel("Go to date").fill(date.slice(0, 10));
  await page.locator(".schedule, .empty").first().waitFor({ timeout: 30_000 });
}

/** axe-core on the page as it is now: no serious or critical violations. */
export async function checkA11y(page, where) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
    [],
    `accessibility violations on ${where}`,
  );
}

/**
 * A page that fails its test on any uncaught error, and that records console output so the
 * tests can check that nothing secret is printed.
 */
export async function newPage(context) {
  const page = await context.newPage();
  page.errors = [];
  page.consoleText = [];
  page.requested = [];
  page.on("pageerror", (e) => page.errors.push(e));
  page.on("console", (m) => page.consoleText.push(m.text()));
  page.on("request", (r) => page.requested.push(r.url()));
  return page;
}

/** A wasm file of the built portal under a hashed name: `<stem>-<16 hex digits>.wasm`. */
const HASHED_WASM = /^([a-z0-9-]+?)-[0-9a-f]{16}\.wasm$/;

/**
 * The requests `page` made for the portal's chunk `stem` (`staff-console`, `access-log`,
 * `preferences`: the pages split off the first load), or for any chunk when `stem` is
 * omitted (every hashed wasm but the main module's and the QR module's). Fails if the built
 * portal has no chunk `stem`, so that a renamed chunk cannot make "never fetched" pass
 * unnoticed.
 */
export function chunkFetches(page, stem) {
  const webRoot = process.env.BIZING_WEB_ROOT ?? join(ROOT, "target", "web");
  const stems = readdirSync(join(webRoot, "portal")).map((name) => HASHED_WASM.exec(name)?.[1]);
  if (stem !== undefined) {
    assert.equal(stems.filter((s) => s === stem).length, 1, `one ${stem} chunk in the built portal`);
  }
  return page.requested.filter((url) => {
    const { pathname } = new URL(url);
    const found = pathname.startsWith("/portal/") && HASHED_WASM.exec(pathname.slice("/portal/".length))?.[1];
    return found && (stem === undefined ? found !== "portal" && found !== "qr" : found === stem);
  });
}

/** Runs SQL against the server's database with the sqlite3 CLI. */
export function sqlite(dbPath, sql) {
  return execFileSync("sqlite3", ["-cmd", ".timeout 5000", dbPath, sql], { encoding: "utf8" });
}

/** The repository's built npm package (pkg/, built by `cargo xtask build`), initialised. */
export async function sdk() {
  const module = await import(new URL("../../pkg/node.js", import.meta.url));
  await module.init();
  return module;
}

/** Signs in through the package's BookingClient in Node (password, then a TOTP or recovery code). */
export async function apiSignIn(url, { email, password, totpSecret, recoveryCode }) {
  const { BookingClient } = await sdk();
  const client = new BookingClient({ baseUrl: url });
  const { keyPair } = await client.login({ tenantId: TENANT, email, password });
  if (recoveryCode) {
    await client.verifyMfa({ recoveryCode });
  } else {
    // The demo accounts' current step may have been used by another test: retry on the next.
    try {
      await client.verifyMfa({ code: totpCode(totpSecret) });
    } catch (error) {
      if (!/code-already-used/.test(error.problemType ?? "")) throw error;
      const { code } = await freshCode(totpSecret, Math.floor(Date.now() / 30_000));
      await client.verifyMfa({ code });
    }
  }
  return { client, keyPair };
}

/** Books the first free slot with a note sealed to the clinic key and the patient's key. */
export async function bookWithNote(url, patient, note) {
  const { BookingClient, Envelope, PublicKey } = await sdk();
  const { client, keyPair } = await apiSignIn(url, patient);
  const { services } = await client.services(TENANT);
  const { providers } = await client.providers(TENANT);
  const slots = await client.slots(TENANT, { service: services[0].id, provider: providers[0].id, days: 14 });
  const clinicKey = await client.clinicKey(TENANT);
  const id = BookingClient.newBookingId();
  const ctx = { tenantId: TENANT, bookingId: id, field: "note", schemaVersion: 1 };
  const sealed = Envelope.seal(note, ctx, [PublicKey.fromJwk(clinicKey.jwk), keyPair.publicKey()]).toString();
  const booking = await client.createBooking({ id, providerId: providers[0].id, serviceId: services[0].id, start: slots.slots[0].start, note: sealed });
  await client.logout();
  return { booking, provider: providers[0], service: services[0] };
}

/**
 * Registers a patient through the package in Node (fast test KDF profile), with TOTP
 * enrolled. Returns { email, password, totpSecret, codes } for later sign-ins.
 */
export async function apiRegister(url, name) {
  const { BookingClient, Totp } = await sdk();
  const client = new BookingClient({ baseUrl: url });
  const email = `patient-${BookingClient.newBookingId().toLowerCase()}@example.test`;
  const password = "correct horse battery staple";
  const registered = await client.register({ tenantId: TENANT, email, name, password, kdfProfile: "insecure-fast-for-tests" });
  const { secret } = await client.enrollTotp();
  await client.confirmTotp(Totp.code(secret, Math.floor(Date.now() / 1000)));
  await client.logout();
  return { email, password, totpSecret: secret, codes: [...registered.recoveryCodes] };
}

/** Where the tests leave screenshots of the main pages (copied to docs/screenshots/). */
export const SCREENSHOTS = join(ROOT, "target", "screenshots");

/** A full-page screenshot of the page as it is, as `<name>.png` under SCREENSHOTS. */
export async function screenshot(page, name) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true, animations: "disabled" });
}
