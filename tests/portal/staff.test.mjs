// The staff console end to end, and the patient's privacy preferences: headless Chromium
// against a real bizing-server --demo serving the built portal. The demo clinic's
// receptionist, provider and admin sign in through the page with TOTP codes computed here.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
  TENANT,
  apiRegister,
  apiSignIn,
  bookWithNote,
  checkA11y,
  freshCode,
  goToDay,
  launch,
  newPage,
  screenshot,
  sdk,
  signInStaff as signInStaffAt,
  sqlite,
  chunkFetches,
  staffCode,
  startServer,
} from "./harness.mjs";

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

async function openPortal() {
  const context = await browser.newContext();
  const page = await newPage(context);
  await page.goto(`${server.url}/portal/`);
  await heading(page).waitFor();
  return { context, page };
}

const codeFor = (role) => staffCode(server, role);
const signInStaff = (page, role) => signInStaffAt(page, server, role);

/** Signs a patient in through the page with a recovery code. */
async function signInPatient(page, { email, password }, recoveryCode) {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.locator("#signin-code").waitFor({ timeout: 30_000 });
  await page.getByRole("button", { name: "Use a recovery code instead" }).click();
  await page.locator("#signin-code").fill(recoveryCode);
  await page.getByRole("button", { name: "Sign in" }).click();
  await heading(page).filter({ hasText: /My bookings|Notice of Privacy Practices/ }).waitFor({ timeout: 30_000 });
}

/** Moves a booking to start `seconds` from now (the free slots may be any time ahead). */
function startIn(bookingId, seconds) {
  const changed = sqlite(
    server.dbPath,
    `UPDATE bookings SET start_at = CAST(strftime('%s','now') AS INTEGER) + ${seconds}, end_at = CAST(strftime('%s','now') AS INTEGER) + ${seconds + 1800} WHERE id = '${bookingId}'; SELECT changes();`,
  );
  assert.equal(changed.trim(), "1");
}

/** Every response body a page receives, as text (for what must never reach it). */
function recordResponses(page) {
  const bodies = [];
  page.on("response", async (response) => {
    try {
      bodies.push({ url: response.url(), body: await response.text() });
    } catch {
      // Redirects and aborted requests have no body.
    }
  });
  return bodies;
}

const NOTE = "Recurring migraines; the new medication makes me dizzy.";

/**
 * Does `act`; if the page asks for a fresh second factor first, confirms with the admin's
 * next TOTP code, then `prepare`s and does `act` again. Waits for `done`.
 */
async function withStepUp(page, act, done, prepare = async () => {}) {
  await act();
  const askedFor = page.getByRole("heading", { name: "Confirm it is you" });
  const outcome = await Promise.race([
    done().then(() => "done", () => "not yet"),
    askedFor.waitFor({ timeout: 30_000 }).then(() => "step-up", () => "not yet"),
  ]);
  if (outcome === "step-up") {
    await page.locator("#step-up-code").fill(await codeFor("admin"));
    await page.getByRole("button", { name: "Confirm", exact: true }).click();
    await page.getByText("Confirmed for 5 minutes").waitFor({ timeout: 15_000 });
    await prepare();
    await act();
  }
  await done();
}

test("receptionist: the schedule by day and week with names and check-in; no note reaches the page or the network", async () => {
  const patient = await apiRegister(server.url, "Riley Schedule");
  const { booking } = await bookWithNote(server.url, { ...patient, recoveryCode: patient.codes[0] }, NOTE);
  const later = await bookWithNote(server.url, { ...patient, recoveryCode: patient.codes[1] }, "Second visit.");
  // Check-in opens 24 hours before the start: one booking in an hour, one in three days.
  startIn(booking.id, 3600);
  startIn(later.booking.id, 3 * 86_400);
  const { client } = await apiSignIn(server.url, { ...patient, recoveryCode: patient.codes[2] });
  const soon = await client.booking(booking.id);
  const notYet = await client.booking(later.booking.id);
  await client.logout();

  const { context, page } = await openPortal();
  const bodies = recordResponses(page);
  // The sign-in page (a patient's first load too) has not fetched the staff console's chunk.
  assert.deepEqual(chunkFetches(page, "staff-console"), [], "no staff console before a staff sign-in");
  await signInStaff(page, "receptionist");
  assert.equal(await heading(page).textContent(), "Clinic schedule");
  assert.equal(chunkFetches(page, "staff-console").length, 1, "the staff console's chunk, fetched once the receptionist is in");
  await goToDay(page, soon.start);
  const row = page.locator(`li.schedule-row[data-booking="${booking.id}"]`);
  await row.waitFor({ timeout: 30_000 });
  await row.getByText("Riley Schedule").waitFor();
  await row.getByText(soon.serviceName).waitFor();
  await page.locator(".schedule-provider", { hasText: soon.providerName }).first().waitFor();
  assert.equal(await page.getByRole("button", { name: "Open note" }).count(), 0, "no way to open a note");
  await checkA11y(page, "schedule (receptionist)");
  await screenshot(page, "staff-schedule");

  // Check-in: open an hour before the start; the row shows it.
  await row.getByRole("button", { name: "Check in" }).click();
  await row.getByText(/^Checked in \d\d:\d\d$/).waitFor({ timeout: 15_000 });
  assert.equal(await row.getAttribute("data-status"), "checked-in");
  // A booking days ahead cannot be checked in yet: said inline.
  await goToDay(page, notYet.start);
  const laterRow = page.locator(`li.schedule-row[data-booking="${later.booking.id}"]`);
  await laterRow.getByRole("button", { name: "Check in" }).click();
  await laterRow.getByRole("alert").filter({ hasText: /\S/ }).waitFor({ timeout: 15_000 });
  assert.equal(await laterRow.getAttribute("data-status"), "active");

  // The week view lists the same bookings.
  await page.getByRole("button", { name: "Week" }).click();
  await page.locator(`li.schedule-row[data-booking="${later.booking.id}"]`).waitFor({ timeout: 30_000 });
  await checkA11y(page, "schedule, week (receptionist)");
  const size = page.viewportSize();
  await page.setViewportSize({ width: 360, height: 740 });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), "no horizontal scrolling at 360 px");
  await page.setViewportSize(size);

  // Neither the page nor any response ever held the note, or even its sealed envelope.
  assert.ok(!(await page.content()).includes(NOTE));
  assert.ok(bodies.length > 3, "responses were recorded");
  for (const { url, body } of bodies) {
    assert.ok(!body.includes(NOTE), `the note reached the receptionist in ${url}`);
    assert.ok(!body.includes("bze1."), `a sealed note reached the receptionist in ${url}`);
  }
  // Nor can the receptionist fetch a clinic key.
  assert.equal(await page.evaluate(async () => (await fetch("/api/clinic-keys/mine")).status), 403);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("provider: opens a patient's note through the clinic key; the patient then sees that access, verified", async () => {
  const patient = await apiRegister(server.url, "Pat Provider-View");
  const { booking } = await bookWithNote(server.url, { ...patient, recoveryCode: patient.codes[0] }, NOTE);

  const { context, page } = await openPortal();
  await signInStaff(page, "provider");
  assert.equal(await heading(page).textContent(), "My schedule");
  await goToDay(page, booking.start);
  const row = page.locator(`li.schedule-row[data-booking="${booking.id}"]`);
  await row.waitFor({ timeout: 30_000 });
  assert.equal(await row.locator(".note-text").count(), 0, "notes stay closed until asked for");
  await row.getByRole("button", { name: "Open note" }).click();
  await row.locator(".note-text", { hasText: NOTE }).waitFor({ timeout: 30_000 });
  await checkA11y(page, "schedule with an opened note (provider)");
  await screenshot(page, "provider-note");
  assert.ok(!page.consoleText.some((line) => line.includes(NOTE)), "the note is not logged to the console");
  await page.getByRole("button", { name: "Sign out" }).click();
  await heading(page).filter({ hasText: "Sign in" }).waitFor();
  assert.equal(await page.getByText(NOTE).count(), 0, "the note is gone from the page");
  await context.close();

  // The patient's access log names the provider's reading, and verifies.
  const mine = await openPortal();
  await signInPatient(mine.page, patient, patient.codes[1]);
  await mine.page.getByRole("link", { name: "Who accessed my records" }).click();
  const verdict = mine.page.locator("[data-verdict]");
  await verdict.waitFor({ timeout: 30_000 });
  assert.equal(await verdict.getAttribute("data-verdict"), "verified", await verdict.textContent());
  await mine.page
    .locator(".access-events li")
    .filter({ hasText: "Dr. Dana Rivera (provider)" })
    .filter({ hasText: "your booking note" })
    .first()
    .waitFor();
  await screenshot(mine.page, "access-log");
  await mine.context.close();
});

test("preferences: a confidential contact staff see with the booking, and a restriction request the admin agrees to", async () => {
  const patient = await apiRegister(server.url, "Casey Contact");
  const { booking } = await bookWithNote(server.url, { ...patient, recoveryCode: patient.codes[0] }, "Annual check.");

  const { context, page } = await openPortal();
  await signInPatient(page, patient, patient.codes[1]);
  await page.getByRole("link", { name: "Privacy preferences" }).click();
  await heading(page).filter({ hasText: "Privacy preferences" }).waitFor();
  await page.getByLabel("Contact me by").selectOption("phone");
  await page.getByLabel("Number or address").fill("+1 555 0100 (work)");
  await page.getByLabel("Instructions (optional)").fill("Do not leave a voicemail");
  // Changing it needs a second factor from the last 5 minutes (signing in counts): with the
  // session made older, the page asks for one, inline, and the save then goes through.
  sqlite(server.dbPath, "UPDATE sessions SET step_up_at = step_up_at - 3600 WHERE step_up_at IS NOT NULL;");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("heading", { name: "Confirm it is you" }).waitFor({ timeout: 15_000 });
  await page.waitForFunction(() => document.activeElement?.id === "step-up-code");
  await checkA11y(page, "preferences, step-up asked");
  await page.locator("#step-up-code").fill(patient.codes[3]);
  await page.getByRole("button", { name: "Confirm", exact: true }).click();
  await page.getByText("Confirmed for 5 minutes").waitFor({ timeout: 15_000 });
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("status").filter({ hasText: "Saved" }).waitFor({ timeout: 15_000 });

  const DETAILS = "Do not send the results of my March visit to my insurer; I paid for it myself.";
  await page.getByLabel("Do not tell my health plan about a service I paid for in full myself").check();
  await page.getByLabel("Details").fill(DETAILS);
  await page.getByRole("button", { name: "Send request" }).click();
  const item = page.locator("li.restriction").filter({ hasText: DETAILS });
  await item.waitFor({ timeout: 30_000 });
  await item.getByText("Waiting for the clinic's decision").waitFor();
  await checkA11y(page, "preferences");
  await screenshot(page, "preferences");
  const stored = await page.evaluate(async () => (await (await fetch("/api/preferences")).json()).restrictions);
  assert.equal(stored.length, 1);
  assert.match(stored[0].details, /^bze1\./, "the details are sealed in the page");
  await context.close();

  // The receptionist sees how to contact the patient, next to the booking.
  const desk = await openPortal();
  await signInStaff(desk.page, "receptionist");
  await goToDay(desk.page, booking.start);
  const row = desk.page.locator(`li.schedule-row[data-booking="${booking.id}"]`);
  await row.locator(".contact-preference", { hasText: "Phone: +1 555 0100 (work) (Do not leave a voicemail)" }).waitFor({ timeout: 30_000 });
  await desk.context.close();

  // The admin reads the request (opened with the clinic key) and agrees.
  const admin = await openPortal();
  await signInStaff(admin.page, "admin");
  await admin.page.getByRole("link", { name: "Administration" }).click();
  const request = admin.page.locator("li.restriction").filter({ hasText: DETAILS });
  await request.waitFor({ timeout: 30_000 });
  await request.getByRole("button", { name: "Agree" }).click();
  await request.getByText("Agreed").waitFor({ timeout: 15_000 });
  await admin.context.close();

  const again = await openPortal();
  await signInPatient(again.page, patient, patient.codes[2]);
  await again.page.getByRole("link", { name: "Privacy preferences" }).click();
  await again.page.locator("li.restriction").filter({ hasText: DETAILS }).getByText("Agreed: the clinic follows it").waitFor({ timeout: 30_000 });
  assert.equal(await again.page.getByLabel("Number or address").inputValue(), "+1 555 0100 (work)");
  await again.context.close();

  // None of it is in the server's database in clear.
  const dump = sqlite(server.dbPath, ".dump");
  for (const secret of [DETAILS, "555 0100", "voicemail"]) assert.ok(!dump.includes(secret), `"${secret}" is not stored in clear`);
});

test("admin: invite a provider who joins in the portal, share the clinic key, remove them and rotate; publish a notice; deny a correction", async () => {
  // A patient with a booking and a correction request (sealed in Node, like the portal does).
  const patient = await apiRegister(server.url, "Drew Correction");
  const { booking } = await bookWithNote(server.url, { ...patient, recoveryCode: patient.codes[0] }, NOTE);
  const CHANGE = "Please record that I am allergic to penicillin.";
  {
    const { BookingClient, Envelope, PublicKey } = await sdk();
    const { client, keyPair } = await apiSignIn(server.url, { ...patient, recoveryCode: patient.codes[1] });
    await client.stepUp({ recoveryCode: patient.codes[2] });
    const clinicKey = await client.clinicKey(TENANT);
    const id = BookingClient.newCorrectionId();
    const context = BookingClient.correctionContext(TENANT, booking.id, id);
    const change = Envelope.seal(CHANGE, context, [PublicKey.fromJwk(clinicKey.jwk), keyPair.publicKey()]).toString();
    await client.createCorrection(booking.id, { id, change });
    await client.logout();
  }

  const { context, page } = await openPortal();
  await signInStaff(page, "admin");
  await page.getByRole("link", { name: "Administration" }).click();
  await heading(page).filter({ hasText: "Clinic administration" }).waitFor();
  await page.locator(".staff-member").first().waitFor({ timeout: 30_000 });
  await checkA11y(page, "administration");

  // Inviting needs a second factor from the last 5 minutes (signing in counts): with the
  // session's made older, the page asks for one, then the invitation is made.
  sqlite(server.dbPath, "UPDATE sessions SET step_up_at = step_up_at - 3600 WHERE step_up_at IS NOT NULL;");
  const email = `new-provider-${Date.now()}@example.test`;
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Role", { exact: true }).selectOption("provider");
  await page.getByLabel("Name patients will see (optional)").fill("Dr. Noor New");
  await page.getByRole("button", { name: "Create invitation" }).click();
  await page.getByRole("heading", { name: "Confirm it is you" }).waitFor({ timeout: 15_000 });
  await page.waitForFunction(() => document.activeElement?.id === "step-up-code");
  await page.locator("#step-up-code").fill(await codeFor("admin"));
  await page.getByRole("button", { name: "Confirm", exact: true }).click();
  await page.getByText("Confirmed for 5 minutes").waitFor({ timeout: 15_000 });
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Name patients will see (optional)").fill("Dr. Noor New");
  await page.getByRole("button", { name: "Create invitation" }).click();
  const token = (await page.locator(".invitation-code").textContent({ timeout: 15_000 })).trim();
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  await page.locator(".invitations li", { hasText: email }).waitFor();
  await screenshot(page, "admin");

  // The new provider joins in their own browser: keys made there, authenticator enrolled.
  const joiner = await openPortal();
  await joiner.page.getByRole("link", { name: "Create an account" }).click();
  await joiner.page.getByRole("link", { name: "join as staff" }).click();
  await heading(joiner.page).filter({ hasText: "Join your clinic's staff" }).waitFor();
  await checkA11y(joiner.page, "join as staff");
  await joiner.page.getByLabel("Invitation code").fill(token);
  await joiner.page.getByLabel("Full name").fill("Noor New");
  await joiner.page.getByLabel("Email").fill(email);
  await joiner.page.getByLabel("Password", { exact: true }).fill("a long provider password");
  await joiner.page.getByLabel("Password again").fill("a long provider password");
  await joiner.page.getByRole("button", { name: "Create account" }).click();
  await joiner.page.locator("#totp-secret").waitFor({ timeout: 60_000 });
  const secret = (await joiner.page.locator("#totp-secret").textContent()).replace(/\s+/g, "");
  const { code } = await freshCode(secret);
  await joiner.page.getByLabel("6-digit code from the app").fill(code);
  await joiner.page.getByRole("button", { name: "Confirm" }).click();
  await joiner.page.getByLabel("I have saved my recovery codes").check();
  await joiner.page.getByRole("button", { name: "Continue" }).click();
  await heading(joiner.page).filter({ hasText: "My schedule" }).waitFor({ timeout: 30_000 });
  const heldBefore = await joiner.page.evaluate(async () => (await (await fetch("/api/clinic-keys/mine")).json()).keys.length);
  assert.equal(heldBefore, 0, "a new provider holds no clinic key until an admin shares it");

  // The admin shares the clinic key with them (wrapped in the admin's page), after showing
  // the page anew.
  await page.getByRole("link", { name: "Schedule" }).click();
  await heading(page).filter({ hasText: "Clinic schedule" }).waitFor();
  await page.getByRole("link", { name: "Administration" }).click();
  await page.getByRole("button", { name: "Share the clinic key with Noor New" }).click({ timeout: 30_000 });
  await page.getByRole("status").filter({ hasText: "Shared 1 key version(s) with Noor New" }).waitFor({ timeout: 30_000 });
  const heldAfter = await joiner.page.evaluate(async () => (await (await fetch("/api/clinic-keys/mine")).json()).keys);
  assert.equal(heldAfter.length, 1);
  assert.ok(heldAfter[0].current);
  await joiner.context.close();

  // Made a receptionist, they may no longer hold the clinic key: the page says to rotate it.
  const member = page.locator(".staff-member", { hasText: email });
  await member.getByLabel("Role of Noor New").selectOption("receptionist");
  await withStepUp(
    page,
    () => member.getByRole("button", { name: "Change role" }).click(),
    () => page.getByRole("alert").filter({ hasText: "Rotate the key" }).waitFor({ timeout: 30_000 }),
    () => member.getByLabel("Role of Noor New").selectOption("receptionist"),
  );
  await member.locator(".hint", { hasText: "Receptionist" }).waitFor({ timeout: 15_000 });

  // Removing them asks for confirmation; rotating makes the new clinic key.
  await member.getByRole("button", { name: "Remove" }).click();
  await withStepUp(
    page,
    () => member.getByRole("button", { name: "Confirm: remove Noor New" }).click(),
    () => page.locator(".staff-member", { hasText: email }).waitFor({ state: "detached", timeout: 30_000 }),
    () => member.getByRole("button", { name: "Remove" }).click(),
  );
  await page.getByRole("alert").filter({ hasText: "Rotate the key" }).waitFor({ timeout: 15_000 });
  await page.getByRole("button", { name: "Rotate the clinic key" }).click();
  await page.getByRole("status").filter({ hasText: "Clinic key version 2 is now current" }).waitFor({ timeout: 60_000 });
  // Moving old notes' keys needs a recent second factor: if the last one is too old, the page
  // asks, and finishes the job after it.
  const finish = page.getByRole("button", { name: "Finish moving old notes to the new key" });
  if (await finish.isVisible()) {
    await page.locator("#step-up-code").fill(await codeFor("admin"));
    await page.getByRole("button", { name: "Confirm", exact: true }).click();
    await page.getByText("Confirmed for 5 minutes").waitFor({ timeout: 15_000 });
    await finish.click();
    await page.getByRole("status").filter({ hasText: "more sealed texts were moved" }).waitFor({ timeout: 60_000 });
  }
  const stale = await page.evaluate(async () => (await (await fetch("/api/notes/stale")).json()));
  assert.equal(stale.currentVersion, 2);
  assert.equal(stale.remaining, 0, "every note and correction text now opens with version 2");
  const current = await page.evaluate(async (t) => (await (await fetch(`/api/clinics/${t}/clinic-key`)).json()).version, TENANT);
  assert.equal(current, 2);

  // Publishing a notice.
  const NOTICE = "NOTICE OF PRIVACY PRACTICES\n\nVersion published from the administration page.";
  await page.getByLabel("The full notice").fill(NOTICE);
  await page.getByRole("button", { name: "Publish this version" }).click();
  await page.getByRole("status").filter({ hasText: "Published" }).waitFor({ timeout: 15_000 });
  const published = await page.evaluate(async (t) => (await (await fetch(`/api/clinics/${t}/npp`)).json()).text, TENANT);
  assert.equal(published, NOTICE);

  // The correction request, opened with the clinic key (version 1; after the rotation the
  // admin's keyring holds both versions), denied with a reason.
  await page.getByRole("link", { name: "Schedule" }).click();
  await heading(page).filter({ hasText: "Clinic schedule" }).waitFor();
  await page.getByRole("link", { name: "Administration" }).click();
  const item = page.locator("li.correction").filter({ hasText: CHANGE });
  await item.waitFor({ timeout: 30_000 });
  const REASON = "Allergies are recorded by your provider at the visit, not in booking notes.";
  await item.getByRole("button", { name: "Deny" }).click();
  await item.getByRole("alert").filter({ hasText: "Write the reason first" }).waitFor();
  await item.getByLabel(/Reason/).fill(REASON);
  await item.getByRole("button", { name: "Deny" }).click();
  const denied = page.locator("li.correction[data-status=denied]").filter({ hasText: CHANGE });
  await denied.getByText(REASON).waitFor({ timeout: 30_000 });
  const decided = await page.evaluate(async () => (await (await fetch("/api/corrections")).json()).corrections);
  assert.equal(decided.find((c) => c.bookingId === booking.id)?.status, "denied");
  await checkA11y(page, "administration after changes");
  assert.deepEqual(page.errors, []);
  await context.close();

  // The demo provider still opens the old note (sealed to version 1, rewrapped to version 2).
  const provider = await openPortal();
  await signInStaff(provider.page, "provider");
  await goToDay(provider.page, booking.start);
  const row = provider.page.locator(`li.schedule-row[data-booking="${booking.id}"]`);
  await row.getByRole("button", { name: "Open note" }).click({ timeout: 30_000 });
  await row.locator(".note-text", { hasText: NOTE }).waitFor({ timeout: 30_000 });
  await provider.context.close();
});

test("staff console: a chunk that fails to load is an alert on the page, and trying again loads it", async () => {
  const { context, page } = await openPortal();
  const chunk = /\/portal\/staff-console-[0-9a-f]{16}\.wasm$/;
  await page.route(chunk, (route) => route.abort("internetdisconnected"));
  const account = server.accounts.receptionist;
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.locator("#signin-code").waitFor({ timeout: 30_000 });
  await page.locator("#signin-code").fill(await codeFor("receptionist"));
  await page.getByRole("button", { name: "Sign in" }).click();
  const alert = page.getByRole("alert").filter({ hasText: "This page could not be loaded" });
  await alert.waitFor({ timeout: 30_000 });
  await checkA11y(page, "staff console that could not be loaded");
  // Nothing aborted: the app still runs, and the next attempt fetches the chunk again.
  await page.unroute(chunk);
  await alert.getByRole("button", { name: "Try again" }).click();
  await heading(page).filter({ hasText: "Clinic schedule" }).waitFor({ timeout: 30_000 });
  assert.equal(chunkFetches(page, "staff-console").length, 2, "the failed fetch, then the one that loaded it");
  assert.deepEqual(page.errors, [], "no page errors");
  await context.close();
});
