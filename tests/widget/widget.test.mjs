// The booking widget end to end: a clinic's page on one origin (web/widget/demo/serve.mjs,
// strict CSP with Trusted Types) embeds the widget from bizing-server --demo on another
// site (localhost vs 127.0.0.1), in headless Chromium. Shares tests/portal's harness.
//
// `cargo xtask test --only widget` builds everything first and sets BIZING_SERVER and
// BIZING_WEB_ROOT, as for the portal tests.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { startHostSite } from "../../web/widget/demo/serve.mjs";
import {
  TENANT,
  apiRegister,
  checkA11y,
  goToDay,
  launch,
  newPage,
  screenshot,
  signInStaff,
  sqlite,
  startServer,
} from "../portal/harness.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SITE = fileURLToPath(new URL("./site/", import.meta.url));
// The demo clinic's website (`cargo xtask demo`), served after the test pages.
const DEMO_SITE = fileURLToPath(new URL("../../web/widget/demo/site/", import.meta.url));

let server;
let booking; // the booking server's origin, as the browser reaches it
let site; // the clinic's page
let browser;

before(async () => {
  server = await startServer();
  // Another site than the clinic page's 127.0.0.1: the widget runs cross-site, as in production.
  booking = server.url.replace("127.0.0.1", "localhost");
  const webRoot = process.env.BIZING_WEB_ROOT ?? join(ROOT, "target", "web");
  const loaderFile = join(webRoot, "widget", "v1", "loader.js");
  site = await startHostSite({ dirs: [SITE], bookingOrigin: booking, loaderFile });
  // The same server under another name: a site the clinic does not allow, or a rogue frame.
  const rogue = `http://localhost:${site.port}`;
  await site.close();
  site = await startHostSite({
    dirs: [SITE, DEMO_SITE],
    bookingOrigin: booking,
    loaderFile,
    port: site.port,
    vars: { ROGUE_ORIGIN: rogue },
    frameSrc: [rogue],
    // The rogue page (served on the other name) is framed by the clinic page.
    frameAncestors: `http://127.0.0.1:${site.port}`,
  });
  site.rogue = rogue;
  // The demo clinic lets exactly the clinic page's origin frame its widget.
  sqlite(server.dbPath, `UPDATE tenants SET allowed_origins = '["${site.origin}"]' WHERE id = '${TENANT}';`);
  browser = await launch();
  await publishNotice();
});

const NPP_TEXT = "NOTICE OF PRIVACY PRACTICES\n\nHow the clinic may use and share your health information, and your rights.";

/** The demo clinic's admin publishes its notice (the widget asks every guest to acknowledge it). */
async function publishNotice() {
  const context = await browser.newContext();
  const page = await newPage(context);
  await page.goto(`${booking}/portal/`);
  await signInStaff(page, server, "admin");
  const status = await page.evaluate(async (text) => {
    const response = await fetch("/api/npp", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text }) });
    return response.status;
  }, NPP_TEXT);
  assert.equal(status, 201, "the admin published the notice");
  await context.close();
}

after(async () => {
  await browser?.close();
  await site?.close();
  await server?.stop();
});

/** A fresh browser context that records every URL it requests, frames included. */
async function openHost(path) {
  const context = await browser.newContext();
  const requested = [];
  context.on("request", (request) => requested.push(request.url()));
  const page = await newPage(context);
  await page.goto(`${site.origin}/${path}`);
  return { context, page, requested };
}

/** The n-th frame of a page whose URL starts with `prefix`, once it is there. */
async function frameAt(page, prefix, n = 0) {
  for (let i = 0; i < 150; i++) {
    const frames = page.frames().filter((f) => f.url().startsWith(prefix));
    if (frames[n]) return frames[n];
    await page.waitForTimeout(100);
  }
  throw new Error(`no frame at ${prefix} appeared`);
}

/** The n-th widget frame of a page. */
const widgetFrame = (page, n = 0) => frameAt(page, `${booking}/widget/v1/frame.html`, n);

/** The page's recorded widget events of `type`, once at least `count` arrived. */
async function events(page, type, count = 1) {
  await page.waitForFunction(([t, c]) => window.widgetEvents.filter((e) => e.type === t).length >= c, [type, count], {
    timeout: 30_000,
  });
  return page.evaluate((t) => window.widgetEvents.filter((e) => e.type === t), type);
}

const heading = (frame) => frame.locator("h2#step-title");

/**
 * Waits until an inline widget frame has taken its content's height. The frame reports its
 * height and the loader resizes the iframe a message later; until then the frame scrolls,
 * and a click aimed at an element can land where it was a moment before. Popups, dialogs and
 * a page's own iframes have a fixed height, so there is nothing to wait for.
 */
async function settled(frame) {
  if (typeof frame.parentFrame !== "function" || !frame.parentFrame()) return; // a popup page
  const element = await frame.frameElement();
  for (let i = 0; i < 200; i++) {
    const [content, box] = await Promise.all([
      frame.evaluate(() => Math.ceil(document.documentElement.getBoundingClientRect().height)),
      element.evaluate((e) => ({
        height: e.getBoundingClientRect().height,
        // The loader's frames live in its element's shadow root; a page's own iframe keeps its size.
        sized: e.getRootNode() instanceof ShadowRoot && e.closest("dialog") === null,
      })),
    ]);
    if (!box.sized || Math.abs(box.height - Math.min(Math.max(content, 120), 10000)) < 1) return;
    await frame.page().waitForTimeout(50);
  }
  throw new Error("the widget frame never took its content's height");
}

/** Ticks a radio or checkbox that arrives with a load, once the frame has grown around it. */
async function tick(frame, locator) {
  await locator.waitFor({ timeout: 30_000 });
  await settled(frame);
  await locator.check();
}

/** Books as a guest through the frame with the mouse; returns nothing (the host hears the id). */
async function bookAsGuest(frame, { name, email, phone = "", note, provider = /Dana Rivera/ }) {
  await heading(frame).filter({ hasText: "Choose a service" }).waitFor({ timeout: 30_000 });
  await frame.getByRole("radio").first().check();
  await frame.getByRole("button", { name: "Continue" }).click();
  await heading(frame).filter({ hasText: "Choose a provider" }).waitFor();
  await frame.getByRole("radio", { name: provider }).check();
  await frame.getByRole("button", { name: "Continue" }).click();
  await heading(frame).filter({ hasText: "Choose a time" }).waitFor();
  await tick(frame, frame.getByRole("radio").first());
  await frame.getByRole("button", { name: "Continue" }).click();
  await heading(frame).filter({ hasText: "Your details" }).waitFor();
  await frame.getByLabel("Full name").fill(name);
  await frame.getByLabel("Email").fill(email);
  if (phone) await frame.getByLabel("Phone (optional)").fill(phone);
  await frame.getByRole("button", { name: "Continue" }).click();
  await heading(frame).filter({ hasText: "A note for the clinic" }).waitFor();
  await frame.getByLabel(/Anything the clinic should know/).fill(note);
  await frame.getByRole("button", { name: "Continue" }).click();
  await heading(frame).filter({ hasText: "Notice of Privacy Practices" }).waitFor();
  await tick(frame, frame.getByLabel("I have read the Notice of Privacy Practices"));
  await frame.getByRole("button", { name: "Continue" }).click();
  await heading(frame).filter({ hasText: "Check and book" }).waitFor();
  await frame.getByRole("button", { name: "Book appointment" }).click();
  await heading(frame).filter({ hasText: "You are booked" }).waitFor({ timeout: 30_000 });
}

/** Through the first three steps with their first choices (anyone for the provider), to the details. */
async function toDetails(frame) {
  await tick(frame, frame.getByRole("radio").first());
  await frame.getByRole("button", { name: "Continue" }).click();
  await frame.getByRole("button", { name: "Continue" }).click();
  await tick(frame, frame.getByRole("radio").first());
  await frame.getByRole("button", { name: "Continue" }).click();
  await heading(frame).filter({ hasText: "Your details" }).waitFor();
}

/** The clinic-local date (YYYY-MM-DD) a booking starts on, from the database. */
function clinicDate(bookingId) {
  const start = Number(sqlite(server.dbPath, `SELECT start_at FROM bookings WHERE id = '${bookingId}';`).trim());
  assert.ok(start > 0, `booking ${bookingId} is in the database`);
  return new Intl.DateTimeFormat("en-CA", { timeZone: "America/New_York" }).format(new Date(start * 1000));
}

test("a guest books with a note in the inline widget; a provider reads that exact note in the portal; the server never holds it in clear", async () => {
  const NOTE = `Guest note ${Date.now()}: sharp pain in the left shoulder since Tuesday.`;
  const guest = { name: "Morgan Widgetguest", email: `morgan.${Date.now()}@example.test`, phone: "+1 555 010 4477" };
  const { context, page, requested } = await openHost("inline.html");
  await events(page, "ready");
  const frame = await widgetFrame(page);
  await checkA11y(page, "widget, first step (inline)");

  // The PHI detector warns inline about identifiers the clinic does not need.
  await heading(frame).filter({ hasText: "Choose a service" }).waitFor();
  await frame.getByRole("radio").first().check();
  await frame.getByRole("button", { name: "Continue" }).click();
  await frame.getByRole("radio", { name: /Dana Rivera/ }).check();
  await frame.getByRole("button", { name: "Continue" }).click();
  await tick(frame, frame.getByRole("radio").first());
  await checkA11y(page, "widget, times");
  await frame.getByRole("button", { name: "Continue" }).click();
  // Details are checked before they are sent.
  await frame.getByRole("button", { name: "Continue" }).click();
  await frame.getByText("Enter your name.").waitFor();
  assert.equal(await frame.getByLabel("Full name").getAttribute("aria-invalid"), "true");
  await checkA11y(page, "widget, details with errors");
  await frame.getByLabel("Full name").fill(guest.name);
  await frame.getByLabel("Email").fill(guest.email);
  await frame.getByLabel("Phone (optional)").fill(guest.phone);
  await frame.getByRole("button", { name: "Continue" }).click();
  const noteField = frame.getByLabel(/Anything the clinic should know/);
  await noteField.fill("My SSN is 123-45-6789 if you need it.");
  await frame.getByText("it seems to contain an identifier: Social Security number.", { exact: false }).waitFor();
  await checkA11y(page, "widget, note with a PHI warning");
  await screenshot(page, "widget-note-warning");
  await noteField.fill(NOTE);
  assert.equal(await frame.getByText(/seems to contain/).count(), 0, "the warning goes with the identifier");
  await frame.getByText("Only the clinic's providers can read it", { exact: false }).waitFor();
  await frame.getByRole("button", { name: "Continue" }).click();
  await tick(frame, frame.getByLabel("I have read the Notice of Privacy Practices"));
  await checkA11y(page, "widget, notice");
  await frame.getByRole("button", { name: "Continue" }).click();
  await frame.getByText(guest.email).waitFor();
  await frame.getByRole("button", { name: "Book appointment" }).click();
  await heading(frame).filter({ hasText: "You are booked" }).waitFor({ timeout: 30_000 });
  await checkA11y(page, "widget, booked");
  await screenshot(page, "widget-booked");

  // The host page heard the opaque id and the status, and nothing else.
  const [succeeded] = await events(page, "booking-succeeded");
  assert.deepEqual(Object.keys(succeeded.detail).sort(), ["bookingId", "status"]);
  assert.equal(succeeded.detail.status, "active");
  const id = succeeded.detail.bookingId;
  assert.match(id, /^[A-Za-z0-9_-]{16,64}$/);
  assert.deepEqual(await page.evaluate(() => window.cspViolations), []);
  assert.deepEqual(page.errors, []);
  // The form no longer holds the guest's details.
  assert.equal(await frame.getByText(guest.email).count(), 0);
  await context.close();

  // Stored sealed: the note column is an envelope, and nothing in the database file, the
  // URLs asked for or the server's log holds the note or the guest's details in clear.
  assert.match(sqlite(server.dbPath, `SELECT note FROM bookings WHERE id = '${id}';`).trim(), /^bze1\./);
  sqlite(server.dbPath, "PRAGMA wal_checkpoint(TRUNCATE);");
  const db = readFileSync(server.dbPath);
  for (const secret of [NOTE, guest.name, guest.email, guest.phone, "shoulder"]) {
    assert.equal(db.indexOf(Buffer.from(secret)), -1, `the database holds "${secret}" in clear`);
    assert.ok(!server.log().includes(secret), `the server's log holds "${secret}"`);
    assert.ok(!requested.some((url) => decodeURIComponent(url).includes(secret)), `a URL carried "${secret}"`);
  }

  // The demo provider opens that exact note in the portal, with the clinic key.
  const staff = await browser.newContext();
  const portal = await newPage(staff);
  await portal.goto(`${booking}/portal/`);
  await signInStaff(portal, server, "provider");
  await goToDay(portal, clinicDate(id));
  const row = portal.locator(`li.schedule-row[data-booking="${id}"]`);
  await row.waitFor({ timeout: 30_000 });
  await row.getByText(guest.name).waitFor();
  await row.getByRole("button", { name: "Open note" }).click();
  await row.locator(".note-text", { hasText: NOTE }).waitFor({ timeout: 30_000 });
  assert.deepEqual(portal.errors, []);
  await staff.close();
});

test("a hostile script on the host page never sees the note, the name or the contact details", async () => {
  const NOTE = `Hostile-page note ${Date.now()}: ankle swelling after a fall.`;
  const guest = { name: "Casey Hiddenname", email: `casey.${Date.now()}@example.test`, phone: "+1 555 010 9911" };
  const { context, page } = await openHost("hostile.html");
  await events(page, "ready");
  const frame = await widgetFrame(page);
  await bookAsGuest(frame, { ...guest, note: NOTE });
  await events(page, "booking-succeeded");
  await checkA11y(page, "widget, dark theme, booked");
  await page.waitForTimeout(500); // a few more rounds of the script's polling
  const stolen = await page.evaluate(() => window.stolen);
  // The script was there and busy: it saw the port traffic (ready, resize, the booking's id)
  // and was refused the frame's document.
  assert.ok(stolen.some((s) => s.startsWith("port in:") && s.includes("booking-succeeded")), "the script saw the port");
  assert.ok(stolen.some((s) => s.startsWith("frame location: blocked")), "the script tried to reach into the frame");
  for (const secret of [NOTE, "ankle", guest.name, guest.email, guest.phone]) {
    const leak = stolen.find((s) => s.includes(secret));
    assert.equal(leak, undefined, `the host page's script got "${secret}"`);
  }
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("the frame answers only its framing page's handshake; the loader hears only its own port", async () => {
  const { context, page } = await openHost("raw.html");
  const frame = await widgetFrame(page);
  await heading(frame).waitFor({ timeout: 30_000 });
  const rogue = await frameAt(page, `${site.rogue}/rogue.html`);
  await rogue.waitForFunction(() => typeof window.rogueHandshake === "function");

  // Wrong source and origin: another site's frame. Wrong source: the frame itself. Wrong
  // version: the framing page with a message the frame does not know.
  await rogue.evaluate(() => window.rogueHandshake());
  await frame.evaluate(() => {
    const channel = new MessageChannel();
    window.selfAnswers = [];
    channel.port1.onmessage = (event) => window.selfAnswers.push(event.data);
    window.postMessage({ type: "bizing:connect", version: 1 }, "*", [channel.port2]);
  });
  await page.evaluate(() => window.handshake("wrong-version", { payload: { type: "bizing:connect", version: 99 } }));
  await page.evaluate(() => window.handshake("wrong-type", { payload: { type: "connect", version: 1 } }));
  await page.waitForTimeout(1_000);
  // The framing page's proper handshake is answered (the frame was still free to accept it).
  await page.evaluate(() => window.handshake("proper"));
  await page.waitForFunction(() => window.answers.proper.some((m) => m.type === "ready"), null, { timeout: 30_000 });
  // A second handshake, even a proper one, is never answered: the first port is the only one.
  await page.evaluate(() => window.handshake("second"));
  await page.waitForTimeout(1_000);
  assert.deepEqual(await rogue.evaluate(() => window.rogueAnswers), []);
  assert.deepEqual(await frame.evaluate(() => window.selfAnswers), []);
  const answers = await page.evaluate(() => window.answers);
  assert.deepEqual(answers["wrong-version"], []);
  assert.deepEqual(answers["wrong-type"], []);
  assert.deepEqual(answers.second, []);
  await context.close();

  // Towards the host: forged events from another site's frame (or posted to the window) never
  // become the element's events.
  const host = await openHost("two.html");
  await events(host.page, "ready");
  await host.page.evaluate(() => {
    window.postMessage({ type: "booking-succeeded", bookingId: "forged", status: "active" }, "*");
    window.postMessage({ type: "bizing:connect", version: 1 }, "*");
  });
  const frameOfHost = await widgetFrame(host.page);
  await frameOfHost.evaluate(() => parent.postMessage({ type: "booking-succeeded", bookingId: "forged" }, "*"));
  await host.page.waitForTimeout(500);
  const heard = await host.page.evaluate(() => window.widgetEvents.map((e) => e.type));
  assert.ok(!heard.includes("booking-succeeded"), `forged events were dispatched: ${heard}`);
  await host.context.close();
});

test("a site the clinic does not allow cannot frame the widget", async () => {
  const context = await browser.newContext();
  const page = await newPage(context);
  const blocked = [];
  page.on("console", (m) => {
    if (/frame-ancestors/.test(m.text())) blocked.push(m.text());
  });
  await page.goto(`${site.rogue}/elsewhere.html`);
  await page.waitForTimeout(1_500);
  const frame = page.frames().find((f) => f.url().includes("/widget/v1/frame.html"));
  const framed = frame ? await frame.locator("h2#step-title").count().catch(() => 0) : 0;
  assert.equal(framed, 0, "the widget ran in a frame of a site the clinic does not allow");
  assert.ok(blocked.length > 0, "Chromium reports the frame-ancestors refusal");
  await context.close();
});

test("prefill goes over the channel only, never into a URL; the host page runs under its strict CSP without violations", async () => {
  const { context, page, requested } = await openHost("two.html");
  await events(page, "ready");
  const prefill = { name: "Robin Prefilled", email: `robin.${Date.now()}@example.test`, phone: "+1 555 010 2323" };
  await page.evaluate((p) => document.getElementById("popup").prefill(p), prefill);
  await page.getByRole("button", { name: "Book in a dialog" }).click();
  await events(page, "ready", 2);
  const popup = await widgetFrame(page, 1);
  await toDetails(popup);
  assert.equal(await popup.getByLabel("Full name").inputValue(), prefill.name);
  assert.equal(await popup.getByLabel("Email").inputValue(), prefill.email);
  assert.equal(await popup.getByLabel("Phone (optional)").inputValue(), prefill.phone);
  for (const secret of [prefill.name, prefill.email, prefill.phone, "Robin"]) {
    assert.ok(!requested.some((url) => decodeURIComponent(url).includes(secret)), `a URL carried "${secret}"`);
    assert.ok(!site.requests.some((url) => decodeURIComponent(url).includes(secret)), `the host server saw "${secret}"`);
  }
  assert.deepEqual(await page.evaluate(() => window.cspViolations), []);
  const refused = page.consoleText.filter((line) => /Content Security Policy|Refused to/.test(line));
  assert.deepEqual(refused, [], "no CSP refusal in the page or its frames");
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("two widgets on one page, inline and popup: the dialog is modal, closes on Esc and gives focus back", async () => {
  const { context, page } = await openHost("two.html");
  const [ready] = await events(page, "ready");
  assert.equal(ready.id, "inline", "the inline widget loads at once; the popup's only when opened");
  const open = page.getByRole("button", { name: "Book in a dialog" });
  await open.click();
  const dialog = page.getByRole("dialog", { name: "Book an appointment" });
  await dialog.waitFor();
  assert.equal(await dialog.getAttribute("aria-modal"), "true");
  await events(page, "ready", 2);
  const popup = await widgetFrame(page, 1);
  await heading(popup).filter({ hasText: "Choose a service" }).waitFor();
  await checkA11y(page, "widget, popup open");
  await screenshot(page, "widget-popup");

  // Focus stays in the dialog: Tab never reaches the page behind it.
  for (let i = 0; i < 25; i++) {
    await page.keyboard.press("Tab");
    const outside = await page.evaluate(() => ["before", "page-after"].includes(document.activeElement?.id));
    assert.ok(!outside, `Tab ${i + 1} left the dialog`);
  }
  // Esc inside the frame closes the dialog, the page hears `closed`, focus is back on the button.
  await popup.locator("h2#step-title").focus();
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "hidden" });
  await events(page, "closed");
  const focused = await page.evaluate(() => [document.activeElement?.id, document.activeElement?.shadowRoot?.activeElement?.className]);
  assert.deepEqual(focused, ["popup", "open"], "focus is back on the button that opened the dialog");

  // The two widgets are independent: the inline one is still on its first step, and a choice
  // in the popup (re-opened, its state kept) is not one in the inline widget.
  await open.click();
  await popup.getByRole("radio").first().check();
  const inline = await widgetFrame(page, 0);
  assert.equal(await inline.getByRole("radio", { checked: true }).count(), 0);
  await page.getByRole("button", { name: "Close booking" }).click();
  await dialog.waitFor({ state: "hidden" });
  await events(page, "closed", 2);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("a patient signs in through the portal's popup and books with their account; the note is sealed for them too", async () => {
  const NOTE = `Signed-in note ${Date.now()}: follow-up on the blood test.`;
  const patient = await apiRegister(server.url, "Jamie Accountholder");
  const { context, page } = await openHost("inline.html");
  await events(page, "ready");
  const frame = await widgetFrame(page);
  await frame.getByRole("radio").first().check();
  await frame.getByRole("button", { name: "Continue" }).click();
  await frame.getByRole("radio", { name: /Dana Rivera/ }).check();
  await frame.getByRole("button", { name: "Continue" }).click();
  await tick(frame, frame.getByRole("radio").first());
  await frame.getByRole("button", { name: "Continue" }).click();

  // The portal opens in a popup on the booking origin, where the session cookie works.
  const popupOpened = context.waitForEvent("page");
  await frame.getByRole("button", { name: "Sign in to book with it" }).click();
  const popup = await popupOpened;
  await popup.waitForLoadState();
  assert.equal(new URL(popup.url()).origin, booking);
  assert.equal(new URL(popup.url()).hash, "#/widget-link");
  // The notice first (never acknowledged), then back to the link page.
  await signInToLink(popup, patient, patient.codes[0]);
  await popup.getByRole("heading", { name: "Use your account in the booking form" }).waitFor({ timeout: 30_000 });
  await checkA11y(popup, "portal, widget link");
  const closed = popup.waitForEvent("close");
  await popup.getByRole("button", { name: "Use my account" }).click();
  await closed;

  await frame.getByText("Booking as").waitFor({ timeout: 30_000 });
  await frame.getByText("Jamie Accountholder").first().waitFor();
  await frame.getByRole("button", { name: "Continue" }).click();
  await frame.getByLabel(/Anything the clinic should know/).fill(NOTE);
  await frame.getByText("You can read it too, in the patient portal.").waitFor();
  await frame.getByRole("button", { name: "Continue" }).click();
  await tick(frame, frame.getByLabel("I have read the Notice of Privacy Practices"));
  await frame.getByRole("button", { name: "Continue" }).click();
  await frame.getByText("You are booking with your account").waitFor();
  await frame.getByRole("button", { name: "Book appointment" }).click();
  await heading(frame).filter({ hasText: "You are booked" }).waitFor({ timeout: 30_000 });
  const [succeeded] = await events(page, "booking-succeeded");
  const id = succeeded.detail.bookingId;
  // The token never went into a URL, and the host page heard only the id.
  assert.deepEqual(Object.keys(succeeded.detail).sort(), ["bookingId", "status"]);

  // The booking is the patient's: their portal lists it and opens the note with their key.
  const portal = await newPage(context);
  await portal.goto(`${booking}/portal/#/bookings`);
  await signInPatient(portal, patient, patient.codes[1]);
  await portal.getByText(NOTE).waitFor({ timeout: 30_000 });
  // The acknowledgment made in the widget is on record with its channel.
  const channels = sqlite(server.dbPath, "SELECT DISTINCT channel FROM npp_acks;");
  assert.match(channels, /widget/);
  assert.equal(sqlite(server.dbPath, `SELECT count(*) FROM bookings WHERE id = '${id}';`).trim(), "1");
  assert.deepEqual(page.errors, []);
  assert.deepEqual(portal.errors, []);
  await context.close();
});

test("the portal's link page hands a session only to the booking widget that opened it", async () => {
  // The clinic's page (another site) opens the link page itself and the patient signs in
  // there: the page can tell its opener is not the widget, and offers nothing.
  const patient = await apiRegister(server.url, "Sam Notawidget");
  const { context, page } = await openHost("inline.html");
  const popupOpened = context.waitForEvent("page");
  await page.evaluate((url) => window.open(url, "_blank", "popup"), `${booking}/portal/#/widget-link`);
  const popup = await popupOpened;
  await signInToLink(popup, patient, patient.codes[0]);
  await popup.getByText("Open it with the form's").waitFor({ timeout: 30_000 });
  assert.equal(await popup.getByRole("button", { name: "Use my account" }).count(), 0);
  // And nothing reached the page that opened it.
  assert.ok(!(await page.evaluate(() => JSON.stringify(window.widgetEvents))).includes("token"));
  await context.close();
});

test("the demo clinic's website: both widgets load under its CSP, and its prefill button opens the dialog with the details filled in", async () => {
  const { context, page } = await openHost("index.html");
  await page.getByRole("heading", { name: "Book a visit" }).waitFor();
  await page.locator("#events li", { hasText: "inline-widget: ready" }).waitFor({ timeout: 30_000 });
  await checkA11y(page, "demo clinic site");
  await page.getByRole("button", { name: "Fill in my details" }).click();
  await page.getByRole("dialog", { name: "Book an appointment" }).waitFor();
  await page.locator("#events li", { hasText: "popup-widget: ready" }).waitFor({ timeout: 30_000 });
  const popup = await widgetFrame(page, 1);
  await toDetails(popup);
  assert.equal(await popup.getByLabel("Full name").inputValue(), "Jordan Visitor");
  await screenshot(page, "widget-demo-site");
  const refused = page.consoleText.filter((line) => /Content Security Policy|Refused to/.test(line));
  assert.deepEqual(refused, [], "no CSP refusal on the demo site");
  assert.deepEqual(page.errors, []);
  await context.close();
});

/** Signs a patient in through the portal page with a recovery code. */
async function signInPatient(portalPage, patient, code) {
  await portalPage.getByLabel("Email").fill(patient.email);
  await portalPage.getByLabel("Password").fill(patient.password);
  await portalPage.getByRole("button", { name: "Continue" }).click();
  await portalPage.locator("#signin-code").waitFor({ timeout: 30_000 });
  await portalPage.getByRole("button", { name: "Use a recovery code instead" }).click();
  await portalPage.locator("#signin-code").fill(code);
  await portalPage.getByRole("button", { name: "Sign in" }).click();
}

/** Signs a new patient in through the portal popup, acknowledging the notice first. */
async function signInToLink(popup, patient, code) {
  await signInPatient(popup, patient, code);
  await popup.getByLabel("I have read the Notice of Privacy Practices").check({ timeout: 30_000 });
  await popup.getByRole("button", { name: "Acknowledge and continue" }).click();
}

/** Signs a patient in through the portal popup a widget opened, and links the widget. */
async function linkThroughPopup(popup, patient, code) {
  await signInToLink(popup, patient, code);
  const closed = popup.waitForEvent("close");
  await popup.getByRole("button", { name: "Use my account" }).click();
  await closed;
}

test("a signed-in widget signs out after the idle timeout, and its session ends on the server", async () => {
  const patient = await apiRegister(server.url, "Riley Idlewidget");
  const { context, page } = await openHost("idle.html");
  const frame = await widgetFrame(page);
  await toDetails(frame);
  // Earlier tests' widget sessions may still be there: count this one's coming and going.
  const widgetSessions = () => Number(sqlite(server.dbPath, "SELECT count(*) FROM sessions WHERE kind = 'widget';").trim());
  const before = widgetSessions();
  const created = () =>
    Number(sqlite(server.dbPath, "SELECT count(*) FROM security_events WHERE kind = 'widget_session_created';").trim());
  const createdBefore = created();
  const popupOpened = context.waitForEvent("page");
  await frame.getByRole("button", { name: "Sign in to book with it" }).click();
  await linkThroughPopup(await popupOpened, patient, patient.codes[0]);
  // Signed in (the link may land after a first, empty time-out of the short timer).
  await frame.getByText("signed out of the booking form after a while without use", { exact: false }).waitFor({ timeout: 20_000 });
  assert.equal(await frame.getByText("Booking as").count(), 0);
  // The frame ended its widget session on the server.
  assert.equal(created(), createdBefore + 1, "the portal made one widget session");
  for (let i = 0; i < 50 && widgetSessions() !== before; i++) await page.waitForTimeout(100);
  assert.equal(widgetSessions(), before);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("signed in to the portal in another tab, the patient links the widget without signing in again", async () => {
  const patient = await apiRegister(server.url, "Casey Alreadyin");
  const { context, page } = await openHost("inline.html");
  const portal = await newPage(context);
  await portal.goto(`${booking}/portal/#/bookings`);
  await signInToLink(portal, patient, patient.codes[0]);
  await portal.getByRole("heading", { name: "My bookings" }).waitFor({ timeout: 30_000 });
  const browserSessions = () => sqlite(server.dbPath, "SELECT count(*) FROM sessions WHERE kind = 'browser';").trim();
  const before = browserSessions();

  await events(page, "ready");
  const frame = await widgetFrame(page);
  await toDetails(frame);
  const popupOpened = context.waitForEvent("page");
  await frame.getByRole("button", { name: "Sign in to book with it" }).click();
  const popup = await popupOpened;
  // No password, no code: the portal's session is there; the patient only confirms.
  await popup.getByRole("heading", { name: "Use your account in the booking form" }).waitFor({ timeout: 30_000 });
  assert.equal(await popup.getByLabel("Password").count(), 0);
  const closed = popup.waitForEvent("close");
  await popup.getByRole("button", { name: "Use my account" }).click();
  await closed;
  await frame.getByText("Booking as").waitFor({ timeout: 30_000 });
  await frame.getByText("Casey Alreadyin").first().waitFor();
  // The widget hangs off the portal tab's own session: no new sign-in was made.
  assert.equal(browserSessions(), before);
  const parentIsThePortals = sqlite(
    server.dbPath,
    "SELECT count(*) FROM sessions w JOIN sessions p ON p.token_hash = w.parent_token_hash WHERE w.kind = 'widget' AND p.kind = 'browser' AND w.created_at = (SELECT max(created_at) FROM sessions WHERE kind = 'widget');",
  ).trim();
  assert.equal(parentIsThePortals, "1");
  // The portal tab is untouched: still signed in, its notes still readable.
  await portal.getByRole("heading", { name: "My bookings" }).waitFor();
  assert.deepEqual(page.errors, []);
  assert.deepEqual(portal.errors, []);
  await context.close();
});

test("activity in a signed-in widget keeps the patient's portal session alive on the server", async () => {
  const patient = await apiRegister(server.url, "Alex Activewidget");
  const { context, page } = await openHost("activity.html");
  const frame = await widgetFrame(page);
  await toDetails(frame);
  const popupOpened = context.waitForEvent("page");
  await frame.getByRole("button", { name: "Sign in to book with it" }).click();
  await linkThroughPopup(await popupOpened, patient, patient.codes[0]);
  await frame.getByText("Booking as").waitFor({ timeout: 30_000 });
  // The portal session the widget's session hangs off, made to look a minute and a half old.
  const parent = "(SELECT parent_token_hash FROM sessions WHERE kind = 'widget' ORDER BY created_at DESC LIMIT 1)";
  const lastSeen = () => Number(sqlite(server.dbPath, `SELECT last_seen_at FROM sessions WHERE token_hash = ${parent};`).trim());
  sqlite(server.dbPath, `UPDATE sessions SET last_seen_at = last_seen_at - 90 WHERE token_hash = ${parent};`);
  const aged = lastSeen();
  // The patient uses the widget (it reports activity every 5 s with this page's 20 s timeout).
  for (let i = 0; i < 40 && lastSeen() <= aged; i++) {
    await frame.getByRole("button", { name: "Continue" }).focus();
    await page.keyboard.press("Shift");
    await page.waitForTimeout(500);
  }
  assert.ok(lastSeen() > aged, "the widget's activity reached the portal's session on the server");
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("the portal's idle timer stays quiet while the server saw the session used elsewhere, and times out after", async () => {
  const patient = await apiRegister(server.url, "Jordan Twotabs");
  const context = await browser.newContext();
  const portal = await newPage(context);
  // A 20 s timeout, warned at 10 s (the flag can only shorten it).
  await portal.goto(`${booking}/portal/?idle=20000#/bookings`);
  await signInToLink(portal, patient, patient.codes[0]);
  await portal.getByRole("heading", { name: "My bookings" }).waitFor({ timeout: 30_000 });
  const signedInAt = Date.now();
  // What the widget's reports do to the server's record: the session was used 8 s from now
  // (later than anything this page does), as if the patient were in the widget meanwhile.
  sqlite(
    server.dbPath,
    "UPDATE sessions SET last_seen_at = CAST(strftime('%s','now') AS INTEGER) + 8 WHERE kind = 'browser' AND created_at = (SELECT max(created_at) FROM sessions WHERE kind = 'browser');",
  );
  // At the warning (10 s), the page asks the server and extends itself instead of timing out at 20 s.
  await portal.waitForTimeout(Math.max(0, signedInAt + 24_000 - Date.now()));
  assert.equal(await portal.getByRole("heading", { name: "My bookings" }).count(), 1, "still signed in at 24 s");
  // Nothing after that: the next warning finds no newer use, and the page times out.
  await portal.getByRole("heading", { name: "Sign in" }).waitFor({ timeout: 30_000 });
  assert.deepEqual(portal.errors, []);
  await context.close();
});

/** Waits for the step titled `title`, and for the focus on its heading (where the widget
 * puts it, a moment after drawing the step), as a keyboard user would before going on. */
async function atStep(frame, title) {
  await heading(frame).filter({ hasText: title }).waitFor();
  await frame.waitForFunction(() => document.activeElement?.id === "step-title");
}

/** Presses Tab in `frame`'s page until the focused element's text is `name`. */
async function tabTo(page, frame, name) {
  for (let i = 0; i < 40; i++) {
    const text = await frame.evaluate(() => document.activeElement?.textContent?.trim() ?? "");
    if (text === name) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`Tab never reached "${name}"`);
}

test("a guest books with the keyboard alone", async () => {
  const { context, page } = await openHost("inline.html");
  await events(page, "ready");
  const frame = await widgetFrame(page);
  await frame.getByRole("radio").first().waitFor();
  // Into the frame from the page's own link.
  await page.getByRole("link", { name: "A link before the widget" }).focus();
  await page.keyboard.press("Tab");
  // The frame is on another site, so in its own process: focus reaches it a moment after
  // the Tab, and a key pressed before that is lost, as it would be for a person only if
  // they were faster than the browser. Wait for it, as the eye would.
  await frame.waitForFunction(() => document.activeElement?.getAttribute("type") === "radio");
  await page.keyboard.press("Space"); // the first service
  await frame.waitForFunction(() => document.activeElement?.checked === true);
  await tabTo(page, frame, "Continue");
  await page.keyboard.press("Enter");
  await atStep(frame, "Choose a provider");
  await page.keyboard.press("Tab"); // "Anyone", checked
  await page.keyboard.press("ArrowDown"); // the first provider by name
  await tabTo(page, frame, "Continue");
  await page.keyboard.press("Enter");
  await atStep(frame, "Choose a time");
  await frame.getByRole("radio").first().waitFor({ timeout: 30_000 });
  await page.keyboard.press("Tab");
  await page.keyboard.press("Space");
  await tabTo(page, frame, "Continue");
  await page.keyboard.press("Enter");
  await atStep(frame, "Your details");
  await page.keyboard.press("Tab");
  await page.keyboard.type("Kai Keyboard");
  await page.keyboard.press("Tab");
  await page.keyboard.type(`kai.${Date.now()}@example.test`);
  await page.keyboard.press("Enter");
  await atStep(frame, "A note for the clinic");
  await page.keyboard.press("Tab");
  await page.keyboard.type("Booked without a mouse.");
  await tabTo(page, frame, "Continue");
  await page.keyboard.press("Enter");
  await atStep(frame, "Notice of Privacy Practices");
  await frame.getByLabel("I have read the Notice of Privacy Practices").waitFor();
  await page.keyboard.press("Tab"); // the notice's text (scrollable)
  await page.keyboard.press("Tab"); // the checkbox
  await page.keyboard.press("Space");
  await tabTo(page, frame, "Continue");
  await page.keyboard.press("Enter");
  await atStep(frame, "Check and book");
  await tabTo(page, frame, "Book appointment");
  await page.keyboard.press("Enter");
  await heading(frame).filter({ hasText: "You are booked" }).waitFor({ timeout: 30_000 });
  await events(page, "booking-succeeded");
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("after the idle timeout the form is emptied", async () => {
  const { context, page } = await openHost("idle.html");
  const frame = await widgetFrame(page);
  await heading(frame).filter({ hasText: "Choose a service" }).waitFor({ timeout: 30_000 });
  await toDetails(frame);
  await frame.getByLabel("Full name").fill("Idle Person");
  // No activity for longer than the (shortened) timeout.
  await frame.getByText("The form was emptied because it was not used for a while", { exact: false }).waitFor({ timeout: 15_000 });
  await heading(frame).filter({ hasText: "Choose a service" }).waitFor();
  assert.equal(await frame.getByText("Idle Person").count(), 0);
  assert.deepEqual(page.errors, []);
  await context.close();
});

/** The later steps' chunk (split off the frame's first load), as the build names it. */
const LATER_STEPS = /\/widget\/v1\/later-steps-[0-9a-f]{16}\.wasm$/;

test("the later steps are a chunk of their own: not in the first load, fetched at the time step", async () => {
  const { context, page, requested } = await openHost("inline.html");
  await events(page, "ready");
  const frame = await widgetFrame(page);
  await heading(frame).filter({ hasText: "Choose a service" }).waitFor({ timeout: 30_000 });
  await frame.getByRole("radio").first().check();
  await frame.getByRole("button", { name: "Continue" }).click();
  await heading(frame).filter({ hasText: "Choose a provider" }).waitFor();
  const fetched = () => requested.filter((url) => LATER_STEPS.test(new URL(url).pathname));
  assert.deepEqual(fetched(), [], "a visitor who only looks at services and providers never fetches it");
  await frame.getByRole("button", { name: "Continue" }).click();
  await heading(frame).filter({ hasText: "Choose a time" }).waitFor();
  // Fetched in the background while the visitor chooses a time, once.
  for (let i = 0; i < 100 && fetched().length === 0; i++) await page.waitForTimeout(100);
  assert.equal(fetched().length, 1, "the chunk is fetched at the time step");
  await tick(frame, frame.getByRole("radio").first());
  await frame.getByRole("button", { name: "Continue" }).click();
  await atStep(frame, "Your details");
  assert.equal(fetched().length, 1, "and only once");
  assert.deepEqual(await page.evaluate(() => window.cspViolations), []);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("a later step whose chunk cannot be fetched says so, and trying again loads it", async () => {
  const { context, page } = await openHost("inline.html");
  await context.route(LATER_STEPS, (route) => route.abort("internetdisconnected"));
  await events(page, "ready");
  const frame = await widgetFrame(page);
  await heading(frame).filter({ hasText: "Choose a service" }).waitFor({ timeout: 30_000 });
  await toDetails(frame); // the step's heading, over an alert instead of its form
  const alert = frame.getByRole("alert").filter({ hasText: "This step could not be loaded" });
  await alert.waitFor({ timeout: 30_000 });
  await checkA11y(page, "widget, a step that could not be loaded");
  // Nothing aborted: the widget still runs, and the next attempt fetches the chunk again.
  await context.unroute(LATER_STEPS);
  await alert.getByRole("button", { name: "Try again" }).click();
  await frame.getByLabel("Full name").waitFor({ timeout: 30_000 });
  assert.deepEqual(page.errors, []);
  await context.close();
});
