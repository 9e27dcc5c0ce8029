// The booking widget's calls through the INSTALLED package's BookingClient, against the real
// bizing-server --demo that run.mjs starts (BIZING_API_URL; the demo accounts it printed in
// BIZING_DEMO_ACCOUNTS): a guest (no account) books with a note sealed to the clinic key
// alone and the demo admin sees how to reach them; a patient's portal client makes a widget
// session whose token a second client (the widget's) sends as a bearer token, to book, keep
// the session alive and read its time left, but never to step up; a bearer logout ends the
// widget session alone, the portal's logout ends the rest.
//
// The tests run in order and share what the earlier ones made.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import { BookingClient, Envelope, ErrorCode, KeyPair, PublicKey, Totp, init } from "@bizing/booking-sdk";

const BASE = process.env.BIZING_API_URL;
const TENANT = "demo-clinic";
const PASSWORD = "correct horse battery staple";
const NOTICE = "NOTICE OF PRIVACY PRACTICES\nHow the demo clinic uses and discloses your information.";

const now = () => Math.floor(Date.now() / 1000);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const noteContext = (bookingId) => ({ tenantId: TENANT, bookingId, field: "note", schemaVersion: 1 });

/** Asserts that `promise` rejects with the API problem `urn:bizing:problem:<slug>`. */
async function rejectsWithProblem(promise, slug, status) {
  await assert.rejects(promise, (error) => {
    assert.equal(ErrorCode[error.code], "Api", `expected an Api error, got ${ErrorCode[error.code]}: ${error.message}`);
    assert.equal(error.problemType, `urn:bizing:problem:${slug}`, error.message);
    if (status !== undefined) assert.equal(error.status, status);
    return true;
  });
}

/** A TOTP code for `secret`; a step already used by this account is refused, so then the next one. */
async function withFreshCode(secret, send) {
  try {
    return await send(Totp.code(secret, now()));
  } catch (error) {
    if (error.problemType !== "urn:bizing:problem:code-already-used") throw error;
    await sleep((30 - (now() % 30) + 1) * 1000);
    return send(Totp.code(secret, now()));
  }
}

const s = {};

before(async () => {
  assert.ok(BASE, "BIZING_API_URL must name the server (run.mjs sets it)");
  assert.ok(process.env.BIZING_DEMO_ACCOUNTS, "BIZING_DEMO_ACCOUNTS must hold the demo accounts (run.mjs sets it)");
  await init();
  const accounts = JSON.parse(process.env.BIZING_DEMO_ACCOUNTS);
  s.admin = new BookingClient({ baseUrl: BASE });
  await s.admin.login({ tenantId: TENANT, email: accounts.admin.email, password: accounts.admin.password });
  await withFreshCode(accounts.admin.totpSecret, (code) => s.admin.verifyMfa({ code }));
  // Guests acknowledge the clinic's current notice; publish one if no other flow did.
  try {
    s.notice = await s.admin.clinicNpp(TENANT);
  } catch (error) {
    if (error.problemType !== "urn:bizing:problem:not-found") throw error;
    s.notice = await s.admin.publishNpp({ text: NOTICE });
  }
  s.clinicKey = PublicKey.fromJwk((await s.admin.clinicKey(TENANT)).jwk);
  const [service] = (await s.admin.services(TENANT)).services;
  const { slots } = await s.admin.slots(TENANT, { service: service.id, days: 14 });
  assert.ok(slots.length >= 6, "enough free slots");
  // Slots from the middle, clear of the other flows, which take the first and the last ones.
  const middle = Math.floor(slots.length / 2);
  s.slots = [slots[middle], slots[middle + 1]];
  s.service = service;
});

test("a guest books with a note only the clinic can open, and staff see how to reach them", async () => {
  const widget = new BookingClient({ baseUrl: BASE });
  const id = BookingClient.newBookingId();
  const slot = s.slots[0];
  const request = {
    id,
    providerId: slot.providerId,
    serviceId: s.service.id,
    start: slot.start,
    guest: { name: "Gina Guest", email: "gina.guest@example.test", phone: "+1 555 0100" },
    nppVersionHash: s.notice.hash,
  };
  // Sealed to anyone besides the clinic key: refused.
  const someone = KeyPair.generate().publicKey();
  const tooMany = Envelope.seal("Knee pain.", noteContext(id), [s.clinicKey, someone]).toString();
  await rejectsWithProblem(widget.createGuestBooking(TENANT, { ...request, note: tooMany }), "wrong-recipients", 400);
  await rejectsWithProblem(
    widget.createGuestBooking(TENANT, { ...request, guest: { name: "Gina", email: "not an email" } }),
    "invalid-guest",
    400,
  );
  await rejectsWithProblem(widget.createGuestBooking(TENANT, { ...request, nppVersionHash: "00".repeat(32) }), "npp-outdated", 409);

  const note = Envelope.seal("Knee pain after running.", noteContext(id), [s.clinicKey]).toString();
  const booked = await widget.createGuestBooking(TENANT, { ...request, note });
  assert.deepEqual(booked, { id, status: "active" });

  const { bookings } = await s.admin.bookings();
  const seen = bookings.find((b) => b.id === id);
  assert.ok(seen, "the admin sees the guest booking");
  assert.equal(seen.patientName, "Gina Guest");
  assert.deepEqual(seen.guest, { email: "gina.guest@example.test", phone: "+1 555 0100" });
});

test("a widget session: made by the portal, used as a bearer token, alive while the portal is", async () => {
  const portal = new BookingClient({ baseUrl: BASE });
  const email = `widget-${BookingClient.newBookingId().toLowerCase()}@example.test`;
  await portal.register({ tenantId: TENANT, email, name: "Wyn Widget", password: PASSWORD, kdfProfile: "insecure-fast-for-tests" });
  const { secret } = await portal.enrollTotp();
  await portal.confirmTotp(Totp.code(secret, now()));
  s.portal = portal;

  const made = await portal.widgetSession();
  assert.equal(typeof made.token, "string");
  assert.equal(made.idleTimeoutSeconds, 900);
  const widget = new BookingClient({ baseUrl: BASE });
  await rejectsWithProblem(widget.me(), "not-signed-in", 401);
  widget.setSessionToken(made.token);
  assert.equal((await widget.me()).email, email);

  // The widget books as the patient (after acknowledging the notice there).
  await widget.acknowledgeNpp({ versionHash: s.notice.hash, channel: "widget" });
  const slot = s.slots[1];
  const booking = await widget.createBooking({ providerId: slot.providerId, serviceId: s.service.id, start: slot.start });
  assert.equal(booking.status, "active");
  assert.ok((await portal.bookings()).bookings.some((b) => b.id === booking.id), "the portal sees it");

  // Activity and the time left; no second factor from the widget.
  await widget.recordActivity();
  const status = await widget.sessionStatus();
  assert.ok(status.idleRemainingSeconds > 890 && status.idleRemainingSeconds <= 900, JSON.stringify(status));
  assert.ok(status.absoluteRemainingSeconds <= 12 * 3600);
  assert.ok((await portal.sessionStatus()).idleRemainingSeconds > 890);
  await rejectsWithProblem(widget.stepUp({ code: Totp.code(secret, now()) }), "portal-required", 403);
  await rejectsWithProblem(widget.widgetSession(), "portal-required", 403);

  // A bearer logout ends that widget session (and forgets its token) only.
  await widget.logout();
  await rejectsWithProblem(widget.me(), "not-signed-in", 401);
  await portal.me();
  const again = new BookingClient({ baseUrl: BASE });
  again.setSessionToken(made.token);
  await rejectsWithProblem(again.me(), "session-expired", 401);

  // The portal's logout ends its widget sessions.
  const second = new BookingClient({ baseUrl: BASE });
  second.setSessionToken((await portal.widgetSession()).token);
  await second.me();
  await portal.logout();
  await rejectsWithProblem(second.me(), "session-expired", 401);
});
