// The patient portal end to end: headless Chromium against a real bizing-server --demo
// serving the built portal. The tests run in order on one server; each registers the
// patients it needs, so each can be run alone (`node --test --test-name-pattern=...`).
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, test } from "node:test";

import {
  bookWithNote,
  checkA11y,
  freshCode,
  launch,
  newPage,
  screenshot,
  sqlite,
  chunkFetches,
  startServer,
  totpCode,
} from "./harness.mjs";

const NOTE = "Left knee pain since March; ibuprofen helps a little.";
const NPP_TEXT =
  "NOTICE OF PRIVACY PRACTICES\n\nThis notice describes how medical information about you may be used and disclosed, and how you can get access to this information.\n\nYou may ask us to correct your record, and you may ask who has seen it.";

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const heading = (page) => page.locator("h1#page-title");

/** Opens the portal in a new browser context (a new "device"). */
async function openPortal(query = "") {
  const context = await browser.newContext();
  const page = await newPage(context);
  await page.goto(`${server.url}/portal/${query}`);
  await heading(page).waitFor();
  return { context, page };
}

/** Signs in through the page: password, then a TOTP code or a recovery code. */
async function signIn(page, { email, password }, second) {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.locator("#signin-code").waitFor({ timeout: 30_000 });
  if (second.recoveryCode) {
    await page.getByRole("button", { name: "Use a recovery code instead" }).click();
    await page.locator("#signin-code").fill(second.recoveryCode);
  } else {
    await page.locator("#signin-code").fill(second.code);
  }
  await page.getByRole("button", { name: "Sign in" }).click();
}

let nppPublished = false;
// The last TOTP step the admin used: the server accepts each step once.
let adminStep;

/** A TOTP code for the demo admin that the server has not seen yet. */
async function adminCode() {
  const { code, step } = await freshCode(server.accounts.admin.totpSecret, adminStep);
  adminStep = step;
  return code;
}

/** The admin publishes the clinic's notice through the API, from a page signed in as admin. */
async function publishNpp() {
  if (nppPublished) return;
  const { context, page } = await openPortal();
  await signIn(page, server.accounts.admin, { code: await adminCode() });
  await heading(page).filter({ hasText: "Clinic schedule" }).waitFor({ timeout: 30_000 });
  const status = await page.evaluate(async (text) => {
    const response = await fetch("/api/npp", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text }),
    });
    return response.status;
  }, NPP_TEXT);
  assert.equal(status, 201, "the admin published the notice");
  await page.getByRole("button", { name: "Sign out" }).click();
  await context.close();
  nppPublished = true;
}

/**
 * Registers a new patient through the page, up to the notice (acknowledged unless told
 * otherwise). Returns what the patient saw: email, password, secret, codes.
 */
async function registerPatient(page, { name = "Pat Example", acknowledge = true, a11y = false } = {}) {
  const email = `patient-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.test`;
  const password = "correct horse battery staple";
  await page.getByRole("link", { name: "Create an account" }).click();
  await heading(page).filter({ hasText: "Create your account" }).waitFor();
  if (a11y) await checkA11y(page, "register: details");
  await page.getByLabel("Full name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("Password again").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  // Argon2id runs in the page; the enrollment step follows.
  const secretText = page.locator("#totp-secret");
  await secretText.waitFor({ timeout: 60_000 });
  await assert.doesNotReject(page.locator("img.qr").waitFor());
  if (a11y) await checkA11y(page, "register: authenticator");
  const secret = (await secretText.textContent()).replace(/\s+/g, "");
  assert.match(secret, /^[A-Z2-7]{32}$/, "a 160-bit base32 secret is shown");
  await page.getByLabel("6-digit code from the app").fill(totpCode(secret));
  const usedStep = Math.floor(Date.now() / 30_000);
  await page.getByRole("button", { name: "Confirm" }).click();
  const codeItems = page.locator(".recovery-codes code");
  await codeItems.first().waitFor();
  const codes = await codeItems.allTextContents();
  assert.equal(codes.length, 10, "ten recovery codes are shown");
  if (a11y) await checkA11y(page, "register: recovery codes");
  await page.getByLabel("I have saved my recovery codes").check();
  await page.getByRole("button", { name: "Continue" }).click();
  await heading(page).filter({ hasText: "Notice of Privacy Practices" }).waitFor();
  if (acknowledge) {
    await page.getByLabel("I have read the Notice of Privacy Practices").check();
    await page.getByRole("button", { name: "Acknowledge and continue" }).click();
    await heading(page).filter({ hasText: "My bookings" }).waitFor();
  }
  return { email, password, secret, codes, usedStep };
}

/** Whether the server still knows this page's session. */
const apiStatus = (page) => page.evaluate(async () => (await fetch("/api/me")).status);

test("patient journey: register with MFA, acknowledge the notice, read a decrypted note and a verified access log, sign out, sign in with a recovery code", async () => {
  await publishNpp();
  const { context, page } = await openPortal();
  await checkA11y(page, "sign in");
  await screenshot(page, "sign-in");

  // Registration: the download offers the codes as a file made in the page.
  const email = `journey-${Date.now()}@example.test`;
  const password = "correct horse battery staple";
  await page.getByRole("link", { name: "Create an account" }).click();
  await checkA11y(page, "register: details");
  await page.getByLabel("Full name").fill("Jordan Journey");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("Password again").fill("not the same password");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("alert").filter({ hasText: "not the same" }).waitFor();
  await page.getByLabel("Password again").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.locator("#totp-secret").waitFor({ timeout: 60_000 });
  await checkA11y(page, "register: authenticator");
  await screenshot(page, "register-authenticator");
  const secret = (await page.locator("#totp-secret").textContent()).replace(/\s+/g, "");
  await page.getByLabel("6-digit code from the app").fill(totpCode(secret, Date.now() - 120_000));
  await page.getByRole("button", { name: "Confirm" }).click();
  await page.getByRole("alert").filter({ hasText: "not right" }).waitFor();
  await page.getByLabel("6-digit code from the app").fill(totpCode(secret));
  await page.getByRole("button", { name: "Confirm" }).click();
  await page.locator(".recovery-codes code").first().waitFor();
  const codes = await page.locator(".recovery-codes code").allTextContents();
  assert.equal(codes.length, 10);
  await checkA11y(page, "register: recovery codes");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download as a text file" }).click(),
  ]);
  const file = await readFile(await download.path(), "utf8");
  for (const code of codes) assert.ok(file.includes(code), "the download holds every code");
  const next = page.getByRole("button", { name: "Continue" });
  assert.equal(await next.isDisabled(), true, "continuing needs the codes saved");
  await page.getByLabel("I have saved my recovery codes").check();
  await next.click();

  // The notice gates everything else.
  await heading(page).filter({ hasText: "Notice of Privacy Practices" }).waitFor();
  await page.getByText("how medical information about you may be used").waitFor();
  await checkA11y(page, "notice");
  await screenshot(page, "notice");
  await page.evaluate(() => (location.hash = "#/bookings"));
  await page.waitForTimeout(200);
  assert.equal(await heading(page).textContent(), "Notice of Privacy Practices", "no way around the notice");
  await page.getByLabel("I have read the Notice of Privacy Practices").check();
  await page.getByRole("button", { name: "Acknowledge and continue" }).click();
  await heading(page).filter({ hasText: "My bookings" }).waitFor();
  await page.getByText("You have no upcoming bookings.").waitFor();

  // A booking made through the API (the package in Node, signed in with a recovery code),
  // its note sealed to the clinic and to the patient: the page opens it.
  const { booking } = await bookWithNote(server.url, { email, password, recoveryCode: codes[0] }, NOTE);
  // Signing up and the bookings page came with the first load: no chunk fetched so far.
  assert.deepEqual(chunkFetches(page), [], "no chunk before a page split off the first load");
  await page.getByRole("link", { name: "Who accessed my records" }).click();
  await page.locator("[data-verdict]").waitFor({ timeout: 30_000 });
  assert.equal(chunkFetches(page, "access-log").length, 1, "the access log's chunk, fetched with its page");
  await page.getByRole("link", { name: "My bookings" }).click();
  await page.locator(".note-text").filter({ hasText: NOTE }).waitFor({ timeout: 30_000 });
  const card = page.locator(".booking").filter({ hasText: NOTE });
  await card.getByText(booking.serviceName).waitFor();
  await card.getByText(booking.providerName).waitFor();
  await card.getByText("clinic time, America/New_York").waitFor();
  await checkA11y(page, "bookings");
  await screenshot(page, "bookings");
  // A 360 px wide phone: nothing wider than the screen.
  await page.setViewportSize({ width: 360, height: 740 });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), "no horizontal scrolling at 360 px");
  await page.setViewportSize({ width: 1280, height: 720 });

  // Who accessed my records: verified in the page, the head kept (and nothing else).
  await page.getByRole("link", { name: "Who accessed my records" }).click();
  const verdict = page.locator("[data-verdict]");
  await verdict.waitFor({ timeout: 30_000 });
  assert.equal(await verdict.getAttribute("data-verdict"), "verified", await verdict.textContent());
  await page.locator(".access-events li").filter({ hasText: "your booking note" }).first().waitFor();
  assert.equal(chunkFetches(page, "access-log").length, 1, "a chunk is fetched once per page load");
  await checkA11y(page, "access log");
  const stored = await page.evaluate(() => ({
    local: Object.fromEntries(Object.entries(localStorage)),
    session: sessionStorage.length,
    cookies: document.cookie,
    url: location.href,
  }));
  assert.deepEqual(Object.keys(stored.local).sort(), [
    "bizing-portal.access-log-head.demo-clinic",
    "bizing-portal.access-log-key.demo-clinic",
  ]);
  assert.match(stored.local["bizing-portal.access-log-key.demo-clinic"], / [A-Za-z0-9_-]{87}$/, "the pinned log key");
  assert.match(stored.local["bizing-portal.access-log-head.demo-clinic"], /^bzh1\.\d+\.[A-Za-z0-9_-]{43}$/);
  assert.equal(stored.session, 0, "nothing in sessionStorage");
  assert.equal(stored.cookies, "", "the session cookie is not readable by script");
  for (const secretThing of [email, NOTE, password, secret, ...codes]) {
    assert.ok(!stored.url.includes(secretThing), "nothing about the patient in the URL");
    assert.ok(!page.consoleText.some((line) => line.includes(secretThing)), "nothing about the patient in the console");
  }

  // Sign out: the server session ends and the page is back at sign-in.
  await page.getByRole("button", { name: "Sign out" }).click();
  await heading(page).filter({ hasText: "Sign in" }).waitFor();
  await page.getByText("You signed out.").waitFor();
  assert.equal(await page.locator(".note-text").count(), 0, "the note is gone from the page");
  assert.equal(await apiStatus(page), 401, "the server session is over");

  // Sign in with a recovery code: the one used by the API sign-in is spent; another works.
  await signIn(page, { email, password }, { recoveryCode: codes[0] });
  await page.getByRole("alert").filter({ hasText: "not right" }).waitFor();
  await page.locator("#signin-code").fill(codes[1]);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator(".note-text").filter({ hasText: NOTE }).waitFor({ timeout: 30_000 });
  assert.deepEqual(page.errors, [], "no page errors");
  // The staff console is a chunk of its own: a patient's whole session never fetches it.
  assert.deepEqual(chunkFetches(page, "staff-console"), [], "a patient never downloads the staff console");
  await context.close();
});

test("sign-in problems are explained inline: wrong password, wrong or reused code, locked account", async () => {
  const { patient, receptionist } = server.accounts;
  const { context, page } = await openPortal();

  await page.getByLabel("Email").fill(patient.email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("alert").filter({ hasText: "do not match" }).waitFor({ timeout: 30_000 });
  await checkA11y(page, "sign in with an error");

  // A code accepted once is refused the second time (the server accepts each step once).
  const code = totpCode(patient.totpSecret);
  await signIn(page, patient, { code });
  await heading(page).filter({ hasText: /Notice of Privacy Practices|My bookings/ }).waitFor({ timeout: 30_000 });
  await page.getByRole("button", { name: "Sign out" }).click();
  await heading(page).filter({ hasText: "Sign in" }).waitFor();
  await signIn(page, patient, { code: code === "000000" ? "111111" : "000000" });
  await page.getByRole("alert").filter({ hasText: "not right" }).waitFor();
  await page.locator("#signin-code").fill(code);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").filter({ hasText: "already used" }).waitFor();
  await context.close();

  // Five failures lock the account; the page says so and what to do.
  const second = await openPortal();
  let locked = false;
  for (let attempt = 0; attempt < 7 && !locked; attempt++) {
    await second.page.getByLabel("Email").fill(receptionist.email);
    await second.page.getByLabel("Password").fill(`wrong password ${attempt}`);
    await second.page.getByRole("button", { name: "Continue" }).click();
    // The page clears the previous message when the form is sent (Argon2id then takes a
    // while), and shows the new answer.
    await second.page.waitForFunction(() => document.querySelector("p.error")?.textContent === "");
    const alert = second.page.getByRole("alert").filter({ hasText: /do not match|locked/ });
    await alert.waitFor({ timeout: 30_000 });
    locked = /locked/.test(await alert.textContent());
  }
  assert.ok(locked, "the account locks after repeated failures, and the page says so");
  await second.context.close();
});

test("tampering with the access log in the database makes the page show verification failure", async () => {
  await publishNpp();
  // Another patient's entries, earlier in the clinic's log.
  const other = await openPortal();
  await registerPatient(other.page, { name: "Other Patient" });
  await other.context.close();

  const { context, page } = await openPortal();
  await registerPatient(page, { name: "Tess Tamper" });
  await page.getByRole("link", { name: "Who accessed my records" }).click();
  const verdict = page.locator("[data-verdict]");
  await verdict.waitFor({ timeout: 30_000 });
  assert.equal(await verdict.getAttribute("data-verdict"), "verified");
  const me = await page.evaluate(async () => (await fetch("/api/me")).json());

  // Rewrite an earlier leaf of someone else: the server still signs whatever it has, but the
  // new tree is not an extension of the one this browser verified.
  const changed = sqlite(
    server.dbPath,
    `UPDATE access_log SET leaf_hash = randomblob(32) WHERE leaf_index = (SELECT MIN(leaf_index) FROM access_log WHERE patient_id != '${me.userId.replace(/'/g, "''")}'); SELECT changes();`,
  );
  assert.equal(changed.trim(), "1", "one leaf rewritten");

  await page.getByRole("link", { name: "My bookings" }).click();
  await heading(page).filter({ hasText: "My bookings" }).waitFor();
  await page.getByRole("link", { name: "Who accessed my records" }).click();
  const alarm = page.locator("[data-verdict=failed]");
  await alarm.waitFor({ timeout: 30_000 });
  assert.match(await alarm.textContent(), /failed verification/);
  assert.equal(await page.locator(".access-events").count(), 0, "no unverified events are listed");
  await checkA11y(page, "access log, failed");
  await context.close();
});

test("idle timeout (shortened for the test): the warning takes focus, stay signed in works, then the page is wiped and the server session ended", async () => {
  await publishNpp();
  // ?idle= can only shorten the timeout: 8 s here, warned 4 s before.
  const { context, page } = await openPortal("?idle=8000");
  const { email, password, codes } = await registerPatient(page, { name: "Ida Idle" });
  await bookWithNote(server.url, { email, password, recoveryCode: codes[0] }, NOTE);
  await page.getByRole("link", { name: "Who accessed my records" }).click();
  await page.getByRole("link", { name: "My bookings" }).click();
  await page.locator(".note-text").filter({ hasText: NOTE }).waitFor({ timeout: 30_000 });

  const dialog = page.getByRole("alertdialog");
  await dialog.waitFor({ timeout: 15_000 });
  await page.waitForFunction(() => document.activeElement?.id === "idle-stay");
  assert.match(await dialog.textContent(), /signed out in \d+:\d\d/);
  await checkA11y(page, "idle warning");
  await page.keyboard.press("Enter"); // "Stay signed in" has focus
  await dialog.waitFor({ state: "hidden" });
  assert.equal(await apiStatus(page), 200, "still signed in");

  // No activity now: the warning, then the time-out.
  await dialog.waitFor({ timeout: 15_000 });
  await page.getByText("not used for a while").waitFor({ timeout: 15_000 });
  await heading(page).filter({ hasText: "Sign in" }).waitFor();
  assert.equal(await page.locator(".note-text").count(), 0, "the note is gone from the page");
  assert.equal(await page.getByText(NOTE).count(), 0);
  await page.waitForFunction(async () => (await fetch("/api/me")).status === 401, null, { timeout: 10_000 });
  await checkA11y(page, "signed out after the idle timeout");
  await context.close();
});

test("signing out in one tab signs out the other tabs of the portal", async () => {
  await publishNpp();
  const { context, page } = await openPortal();
  const patient = await registerPatient(page, { name: "Tab Two" });
  // A second tab of the same browser, signed in too (its own keys, in its own page).
  const other = await newPage(context);
  await other.goto(`${server.url}/portal/`);
  await heading(other).waitFor();
  await signIn(other, patient, { recoveryCode: patient.codes[0] });
  await heading(other).filter({ hasText: "My bookings" }).waitFor({ timeout: 30_000 });

  await other.getByRole("button", { name: "Sign out" }).click();
  await heading(other).filter({ hasText: "Sign in" }).waitFor();
  await page.getByText("signed out in another tab").waitFor({ timeout: 10_000 });
  await heading(page).filter({ hasText: "Sign in" }).waitFor();
  assert.equal(await apiStatus(page), 401, "the server session is over");
  await context.close();
});

test("activity in one tab keeps the other tabs signed in (the idle timers share activity)", async () => {
  await publishNpp();
  // 8 s timeout, warned 4 s before: a quiet tab alone would be warned within 4 s.
  const { context, page } = await openPortal("?idle=8000");
  const patient = await registerPatient(page, { name: "Active Elsewhere" });
  const quiet = await newPage(context);
  await quiet.goto(`${server.url}/portal/?idle=8000`);
  await heading(quiet).waitFor();
  await signIn(quiet, patient, { recoveryCode: patient.codes[0] });
  await heading(quiet).filter({ hasText: "My bookings" }).waitFor({ timeout: 30_000 });
  // Twelve seconds of typing in the first tab only, while the quiet tab watches.
  for (let i = 0; i < 12; i++) {
    await page.bringToFront();
    await page.keyboard.press("Shift");
    await page.waitForTimeout(1_000);
    assert.equal(await quiet.getByRole("alertdialog").count(), 0, `the quiet tab was not warned (after ${i + 1} s)`);
  }
  assert.equal(await heading(quiet).textContent(), "My bookings", "the quiet tab is still signed in");
  // Asked without counting as activity: a request the portal did not make (such as /api/me
  // from the test) is use of the session elsewhere, which at its warning the portal takes
  // for the patient being in the booking widget, extending itself once. On a busy machine
  // the test's own calls took longer than the portal's 5 s margin and did just that.
  assert.equal(await quiet.evaluate(async () => (await fetch("/api/auth/session")).status), 200);
  // Then nobody is active: both are warned and signed out.
  await quiet.getByText("not used for a while").waitFor({ timeout: 20_000 });
  await context.close();
});

/** `Fri 20 Nov 2026`: the date of an RFC 3339 UTC time, as the portal shows due dates. */
function utcDay(rfc3339) {
  const d = new Date(rfc3339);
  const weekday = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][d.getUTCDay()];
  const month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][d.getUTCMonth()];
  return `${weekday} ${d.getUTCDate()} ${month} ${d.getUTCFullYear()}`;
}

/** A 360 px wide phone: nothing wider than the screen. */
async function assertFitsPhone(page, what) {
  const size = page.viewportSize();
  await page.setViewportSize({ width: 360, height: 740 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  await page.setViewportSize(size);
  assert.ok(width <= 360, `no horizontal scrolling at 360 px with ${what} (${width} px)`);
}

test("my bookings: reschedule to another slot, cancel, request a correction, read the denial, file a statement of disagreement", async () => {
  await publishNpp();
  const { context, page } = await openPortal();
  const patient = await registerPatient(page, { name: "Morgan Manage" });
  const login = (recoveryCode) => ({ email: patient.email, password: patient.password, recoveryCode });
  const SECOND = "Follow-up visit for the knee.";
  const first = await bookWithNote(server.url, login(patient.codes[0]), NOTE);
  const second = await bookWithNote(server.url, login(patient.codes[1]), SECOND);
  assert.notEqual(first.booking.start, second.booking.start);
  const api = (path, init) =>
    page.evaluate(async ({ path, init }) => {
      const response = await fetch(path, init);
      return { status: response.status, body: await response.json() };
    }, { path, init });

  // The page loads the bookings anew when it is shown again.
  await page.getByRole("link", { name: "Who accessed my records" }).click();
  await heading(page).filter({ hasText: "Who accessed my records" }).waitFor();
  await page.getByRole("link", { name: "My bookings" }).click();
  const cardOf = (note) => page.locator("li.booking").filter({ has: page.locator(".note-text", { hasText: note }) });
  const firstCard = cardOf(NOTE);
  const secondCard = cardOf(SECOND);
  await firstCard.waitFor({ timeout: 30_000 });
  await secondCard.waitFor();
  await page.getByText("You have not asked for any corrections.").waitFor();

  // Reschedule: the free times of the same service and provider, in clinic time; the
  // booking's own time and the other booking's are not offered.
  const moveButton = firstCard.getByRole("button", { name: "Reschedule" });
  await moveButton.click();
  const select = firstCard.getByLabel(/New time \(clinic time, America\/New_York\)/);
  await select.waitFor();
  assert.equal(await moveButton.getAttribute("aria-expanded"), "true");
  await page.waitForFunction(() => document.activeElement?.tagName === "SELECT", null, { timeout: 5_000 });
  await checkA11y(page, "bookings: reschedule");
  await assertFitsPhone(page, "the reschedule form");
  const optionValues = () => select.locator("option").evaluateAll((options) => options.map((o) => o.value));
  let offered = await optionValues();
  assert.ok(offered.length >= 3, "free times are offered");
  for (const taken of [first.booking.start, second.booking.start]) {
    assert.ok(!offered.some((start) => Date.parse(start) === Date.parse(taken)), "a taken time is not offered");
  }
  // Meanwhile another device takes the soonest of them: the refusal is explained inline and
  // the free times are listed again, without it.
  const gone = offered[0];
  await select.selectOption(gone);
  const elsewhere = await bookWithNote(server.url, login(patient.codes[3]), "Booked on another device.");
  assert.equal(Date.parse(elsewhere.booking.start), Date.parse(gone), "the other device took the chosen time");
  await firstCard.getByRole("button", { name: "Move booking" }).click();
  await firstCard.getByRole("alert").filter({ hasText: "Someone has just taken that time" }).waitFor();
  await page.waitForFunction((gone) => {
    const options = [...(document.querySelector("li.booking select")?.options ?? [])];
    return options.length > 0 && !options.some((o) => o.value === gone);
  }, gone);
  offered = await optionValues();
  assert.equal((await api(`/api/bookings/${first.booking.id}`)).body.start, first.booking.start, "not moved");
  const target = offered[1];
  await select.selectOption(target);
  const label = (await select.locator(`option[value="${target}"]`).textContent()).trim();
  await firstCard.getByRole("button", { name: "Move booking" }).click();
  await page.getByRole("status").filter({ hasText: "booking is now on" }).waitFor();
  await page.waitForFunction(() => document.activeElement?.id === "bookings-announce");
  await firstCard.locator("time").filter({ hasText: label }).waitFor();
  const moved = await api(`/api/bookings/${first.booking.id}`);
  assert.equal(Date.parse(moved.body.start), Date.parse(target), "the server has the new time");
  assert.equal(moved.body.status, "active");

  // Cancel: asks first; "Keep booking" keeps it; the confirmation works from the keyboard.
  await secondCard.getByRole("button", { name: "Cancel booking" }).click();
  await secondCard.getByText("Cancel this booking?").waitFor();
  await secondCard.getByRole("button", { name: "Keep booking" }).click();
  assert.equal(await secondCard.getByRole("button", { name: "Yes, cancel booking" }).count(), 0);
  assert.equal((await api(`/api/bookings/${second.booking.id}`)).body.status, "active", "not cancelled without confirming");
  await secondCard.getByRole("button", { name: "Cancel booking" }).focus();
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.activeElement?.textContent?.trim() === "Yes, cancel booking");
  await checkA11y(page, "bookings: confirm cancellation");
  await page.keyboard.press("Enter");
  await page.getByRole("status").filter({ hasText: "booking on" }).filter({ hasText: "is cancelled" }).waitFor();
  await page.waitForFunction(() => /is cancelled/.test(document.activeElement?.textContent ?? ""));
  const cancelledCard = page.locator("li.booking.cancelled").filter({ hasText: SECOND });
  await cancelledCard.waitFor();
  await cancelledCard.locator("dd", { hasText: /^Cancelled$/ }).waitFor();
  assert.equal(await cancelledCard.getByRole("button", { name: "Cancel booking" }).count(), 0, "no actions on a cancelled booking");
  assert.equal((await api(`/api/bookings/${second.booking.id}`)).body.status, "cancelled");

  // A correction: sealed in the page, after a fresh second factor.
  const CHANGE = "The note should say the right knee, not the left one.";
  await firstCard.getByRole("button", { name: "Request a correction" }).click();
  await firstCard.getByLabel("What should be corrected?").fill(CHANGE);
  await checkA11y(page, "bookings: request a correction");
  await firstCard.getByRole("button", { name: "Send request" }).click();
  await firstCard.getByRole("alert").filter({ hasText: "Enter the 6-digit code" }).waitFor();
  await firstCard.getByLabel("Code from your authenticator app, or a recovery code").fill(patient.codes[2]);
  await firstCard.getByRole("button", { name: "Send request" }).click();
  await page.getByRole("status").filter({ hasText: "correction request is sent" }).waitFor({ timeout: 30_000 });
  const item = page.locator("li.correction").filter({ hasText: CHANGE });
  await item.waitFor();
  assert.equal(await item.getAttribute("data-status"), "submitted");
  await item.getByText("Submitted: waiting for the clinic's decision").waitFor();
  const listed = (await api("/api/corrections")).body.corrections;
  assert.equal(listed.length, 1);
  const [correction] = listed;
  assert.equal(correction.bookingId, first.booking.id);
  assert.equal(correction.status, "submitted");
  assert.match(correction.change, /^bze1\./, "the change is sealed");
  assert.ok(!correction.change.includes(CHANGE));
  const days = (Date.parse(correction.dueAt) - Date.parse(correction.requestedAt)) / 86_400_000;
  assert.equal(days, 60, "due 60 days after the request");
  assert.equal((await item.locator("time.due").textContent()).trim(), utcDay(correction.dueAt), "the due date is shown");
  assert.match(await item.locator("h3").textContent(), new RegExp(first.service.name));
  await checkA11y(page, "bookings: correction submitted");

  // The demo admin denies it through the API.
  const REASON = "The visit record matches what you told the provider that day.";
  const admin = await openPortal();
  await signIn(admin.page, server.accounts.admin, { code: await adminCode() });
  await heading(admin.page).filter({ hasText: "Clinic schedule" }).waitFor({ timeout: 30_000 });
  const denied = await admin.page.evaluate(
    async ({ id, reason }) => {
      const response = await fetch(`/api/corrections/${id}/deny`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ reason }),
      });
      return { status: response.status, body: await response.json() };
    },
    { id: correction.id, reason: REASON },
  );
  assert.equal(denied.status, 200, JSON.stringify(denied.body));
  assert.equal(denied.body.status, "denied");
  await admin.context.close();

  // The patient reads the reason and files a statement of disagreement, sealed in the page.
  await page.getByRole("link", { name: "Who accessed my records" }).click();
  await heading(page).filter({ hasText: "Who accessed my records" }).waitFor();
  await page.getByRole("link", { name: "My bookings" }).click();
  await item.waitFor({ timeout: 30_000 });
  assert.equal(await item.getAttribute("data-status"), "denied");
  assert.equal((await item.locator(".denial-reason").textContent()).trim(), REASON);
  assert.equal(await item.locator("time.due").count(), 0, "no due date once decided");
  const STATEMENT = "I disagree: I told the provider it was my right knee.";
  await item.getByLabel("Your statement of disagreement").fill(STATEMENT);
  await checkA11y(page, "bookings: correction denied");
  await assertFitsPhone(page, "a denied correction with the disagreement form");
  await item.getByRole("button", { name: "File statement" }).click();
  await item.locator(".statement-text").filter({ hasText: STATEMENT }).waitFor({ timeout: 30_000 });
  assert.equal(await item.getByRole("button", { name: "File statement" }).count(), 0, "a statement is filed once");
  const filed = (await api(`/api/corrections/${correction.id}`)).body;
  assert.match(filed.disagreement, /^bze1\./, "the statement is sealed");
  assert.ok(!filed.disagreement.includes(STATEMENT));
  for (const text of [CHANGE, STATEMENT, SECOND]) {
    assert.ok(!page.consoleText.some((line) => line.includes(text)), "nothing about the patient in the console");
  }
  assert.deepEqual(page.errors, [], "no page errors");
  await context.close();
});
