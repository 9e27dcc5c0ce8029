// A patient's whole journey through the INSTALLED package's BookingClient, against a real
// bizing-server started with --demo by run.mjs (BIZING_API_URL): register, enroll TOTP, book
// with a note sealed to the clinic key, read it back and open it, reschedule, cancel, read
// the access log, sign out. Plus the problems a client must tell apart: wrong password,
// replayed TOTP code, no session.
//
// The tests run in order and share the account made by the first one.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import { AccessLogVerifier, BookingClient, Envelope, ErrorCode, PublicKey, Totp, init } from "@bizing/booking-sdk";

const BASE = process.env.BIZING_API_URL;
const TENANT = "demo-clinic";
const PASSWORD = "correct horse battery staple";
const NOTE = "Left knee pain since March; ibuprofen helps a little.";

const now = () => Math.floor(Date.now() / 1000);

/** Asserts that `promise` rejects with the API problem `urn:bizing:problem:<slug>`. */
async function rejectsWithProblem(promise, slug, status) {
  await assert.rejects(promise, (error) => {
    assert.equal(error.name, "BizingError", String(error));
    assert.equal(ErrorCode[error.code], "Api", `expected an Api error, got ${ErrorCode[error.code]}: ${error.message}`);
    assert.equal(error.problemType, `urn:bizing:problem:${slug}`, error.message);
    assert.equal(typeof error.title, "string");
    if (status !== undefined) assert.equal(error.status, status);
    return true;
  });
}

const state = {};

before(async () => {
  assert.ok(BASE, "BIZING_API_URL must name the server (run.mjs sets it)");
  await init();
  state.email = `patient-${BookingClient.newBookingId().toLowerCase()}@example.test`;
  state.client = new BookingClient({ baseUrl: BASE });
});

test("register: keys made locally, ten recovery codes, then TOTP enrollment", async () => {
  const { client, email } = state;
  const registered = await client.register({
    tenantId: TENANT,
    email,
    name: "Pat Example",
    password: PASSWORD,
    kdfProfile: "insecure-fast-for-tests",
  });
  assert.equal(registered.next, "enroll-totp");
  assert.equal(registered.recoveryCodes.length, 10);
  for (const code of registered.recoveryCodes) assert.match(code, /^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/);
  assert.match(registered.keyPair.keyId, /^v1\./);
  state.keyPair = registered.keyPair;
  state.recoveryCodes = registered.recoveryCodes;
  // The session exists, but not yet its second factor.
  await rejectsWithProblem(client.me(), "mfa-required", 401);
});

test("enroll TOTP and confirm it with a code: signed in", async () => {
  const { client } = state;
  const { secret, uri } = await client.enrollTotp();
  assert.match(secret, /^[A-Z2-7]+$/);
  assert.match(uri, /^otpauth:\/\/totp\//);
  state.secret = secret;
  state.usedCode = Totp.code(secret, now());
  await client.confirmTotp(state.usedCode);
});

test("me: the account, with the public key registered from this client", async () => {
  const me = await state.client.me();
  assert.equal(me.role, "patient");
  assert.equal(me.tenantId, TENANT);
  assert.equal(me.email, state.email);
  assert.equal(me.name, "Pat Example");
  assert.equal(me.recoveryCodesLeft, 10);
  assert.equal(me.publicKey, Buffer.from(state.keyPair.publicKey().toSec1()).toString("base64url"));
  state.me = me;
});

test("a replayed TOTP code is refused as code-already-used; a recovery code works", async () => {
  const other = new BookingClient({ baseUrl: BASE });
  const signedIn = await other.login({ tenantId: TENANT, email: state.email, password: PASSWORD });
  assert.equal(signedIn.next, "verify-mfa");
  // The same key pair, unwrapped from the server's copy with the password.
  assert.equal(signedIn.keyPair.keyId, state.keyPair.keyId);
  await rejectsWithProblem(other.verifyMfa({ code: state.usedCode }), "code-already-used", 401);
  await other.verifyMfa({ recoveryCode: state.recoveryCodes[0] });
  assert.equal((await other.me()).recoveryCodesLeft, 9);
  // A fresh second factor before a sensitive action; a used code cannot serve twice.
  await other.stepUp({ recoveryCode: state.recoveryCodes[1] });
  await rejectsWithProblem(other.stepUp({ recoveryCode: state.recoveryCodes[1] }), "wrong-code", 401);
  assert.equal((await other.me()).recoveryCodesLeft, 8);
  await other.logout();
  assert.equal(signedIn.keyPair.isZeroized, true, "logout zeroizes the keys this client unwrapped");
  assert.equal(state.keyPair.isZeroized, false, "and only those");
});

test("a wrong password is refused as wrong-credentials", async () => {
  const other = new BookingClient({ baseUrl: BASE });
  await rejectsWithProblem(
    other.login({ tenantId: TENANT, email: state.email, password: `${PASSWORD}!` }),
    "wrong-credentials",
    401,
  );
  // No session came of it.
  await rejectsWithProblem(other.me(), "not-signed-in", 401);
});

test("the Notice of Privacy Practices: acknowledged if the clinic has one", async () => {
  const { client } = state;
  const status = await client.nppStatus();
  assert.equal(typeof status.needsAcknowledgment, "boolean");
  if (status.currentHash === null) {
    assert.equal(status.needsAcknowledgment, false);
    await rejectsWithProblem(client.clinicNpp(TENANT), "not-found", 404);
    return;
  }
  const notice = await client.clinicNpp(TENANT);
  assert.equal(notice.hash, status.currentHash);
  await client.acknowledgeNpp({ versionHash: notice.hash, channel: "portal" });
  const after = await client.nppStatus();
  assert.equal(after.needsAcknowledgment, false);
  assert.equal(after.lastAcknowledgment?.versionHash, notice.hash);
});

test("services, providers and free slots of the demo clinic", async () => {
  const { client } = state;
  const { services } = await client.services(TENANT);
  const { providers } = await client.providers(TENANT);
  assert.ok(services.length > 0 && providers.length > 0);
  const [service] = services;
  const [provider] = providers;
  assert.equal(typeof service.durationMinutes, "number");
  const slots = await client.slots(TENANT, { service: service.id, provider: provider.id, days: 14 });
  assert.equal(slots.serviceId, service.id);
  assert.equal(slots.timeZone, "America/New_York");
  assert.ok(slots.slots.length >= 2, "two weeks of a weekday schedule has slots");
  for (const slot of slots.slots) assert.equal(slot.providerId, provider.id);
  Object.assign(state, { service, provider, slots: slots.slots });
});

test("book with a note sealed to the clinic key and the patient; read it back and open it", async () => {
  const { client, keyPair, service, provider, slots } = state;
  const clinicKey = await client.clinicKey(TENANT);
  const clinicPk = PublicKey.fromJwk(clinicKey.jwk);
  assert.equal(clinicPk.keyId, clinicKey.keyId);
  const id = BookingClient.newBookingId();
  assert.match(id, /^[A-Za-z0-9_-]{22}$/);
  const ctx = { tenantId: TENANT, bookingId: id, field: "note", schemaVersion: 1 };
  const note = Envelope.seal(NOTE, ctx, [clinicPk, keyPair.publicKey()]).toString();
  const booking = await client.createBooking({ id, providerId: provider.id, serviceId: service.id, start: slots[0].start, note });
  assert.equal(booking.id, id);
  assert.equal(booking.status, "active");
  assert.equal(booking.patientId, state.me.userId);
  assert.equal(booking.note, note);
  assert.equal(booking.start, slots[0].start);

  const { bookings } = await client.bookings();
  const listed = bookings.find((b) => b.id === id);
  assert.ok(listed, "the new booking is listed");
  assert.equal(Envelope.parse(listed.note).openText(keyPair, ctx), NOTE);
  const one = await client.booking(id);
  assert.equal(Envelope.parse(one.note).openText(keyPair, ctx), NOTE);
  assert.equal("patientName" in one, false, "a patient's view has no staff-only fields");
  state.bookingId = id;
});

test("reschedule, a taken slot, cancel", async () => {
  const { client, bookingId, service, provider, slots } = state;
  const moved = await client.rescheduleBooking(bookingId, { start: slots[1].start });
  assert.equal(moved.start, slots[1].start);
  await rejectsWithProblem(
    client.createBooking({ providerId: provider.id, serviceId: service.id, start: slots[1].start }),
    "slot-taken",
    409,
  );
  const cancelled = await client.cancelBooking(bookingId);
  assert.equal(cancelled.status, "cancelled");
  await rejectsWithProblem(client.cancelBooking(bookingId), "booking-cancelled", 409);
  await rejectsWithProblem(client.booking("AAAAAAAAAAAAAAAAAAAAAA"), "not-found", 404);
});

test("the access log holds this patient's events, under a checkpoint of the clinic's log", async () => {
  const { client, bookingId, me } = state;
  const logKey = await client.logKey(TENANT);
  assert.equal(typeof logKey.publicKey, "string");
  const page = await client.accessLog();
  // A C2SP signed note: origin, tree size, root hash, blank line, signatures.
  const [origin, size] = page.checkpoint.split("\n");
  assert.equal(origin, logKey.origin);
  assert.match(size, /^\d+$/);
  assert.ok(page.events.length > 0);
  for (const { event, inclusionProof, leafIndex, salt } of page.events) {
    assert.equal(event.patientId, me.userId);
    assert.equal(event.tenantId, TENANT);
    assert.ok(Array.isArray(inclusionProof));
    assert.ok(leafIndex < Number(size));
    assert.match(salt, /^[0-9a-f]{64}$/);
  }
  const onBooking = page.events.filter(({ event }) => event.resource.id === bookingId).map(({ event }) => event.action);
  for (const action of ["create", "view", "update", "cancel"]) {
    assert.ok(onBooking.includes(action), `a ${action} event for the booking (got ${onBooking.join(", ")})`);
  }
  // The page verifies against the pinned key; the verifier now trusts that checkpoint.
  const verifier = new AccessLogVerifier(logKey);
  const verified = verifier.verify(page);
  assert.equal(verified.size, Number(size));
  assert.equal(verified.origin, logKey.origin);
  assert.equal(verifier.trustedHead, verified.trustedHead);
  assert.match(verified.trustedHead, /^bzh1\.\d+\./);
  // Later pages prove consistency from the size already seen, and verify from the stored head.
  await client.me();
  const next = await client.accessLog({ since: Number(size) });
  assert.ok(Array.isArray(next.consistencyProof));
  const resumed = new AccessLogVerifier(logKey, verified.trustedHead);
  assert.ok(resumed.verify(next).size >= Number(size));
  await rejectsWithProblem(client.accessLog({ since: Number(size) + 1_000_000 }), "invalid-query", 400);
  state.logKey = logKey;
  state.page = page;
});

test("a tampered access log is detected, and the trusted head stays put", () => {
  const { logKey, page } = state;
  const rejectsWith = (mutate, code, why) => {
    const copy = structuredClone(page);
    mutate(copy);
    const verifier = new AccessLogVerifier(logKey);
    const before = verifier.trustedHead;
    assert.throws(
      () => verifier.verify(copy),
      (error) => error.name === "BizingError" && ErrorCode[error.code] === code,
      why,
    );
    assert.equal(verifier.trustedHead, before, why);
  };
  const flipHex = (h) => (h[0] === "0" ? "1" : "0") + h.slice(1);
  rejectsWith((p) => (p.events[0].event.actor.displayName += "x"), "LogTampered", "an altered event");
  rejectsWith((p) => (p.events[0].event.at += 1), "LogTampered", "an altered time");
  rejectsWith((p) => (p.events[0].salt = flipHex(p.events[0].salt)), "LogTampered", "an altered salt");
  rejectsWith(
    (p) => (p.checkpoint = p.checkpoint.replace(/\n(\d+)\n/, (_, n) => `\n${Number(n) + 1}\n`)),
    "LogTampered",
    "a checkpoint with a forged size",
  );
  rejectsWith((p) => (p.events[0].salt = "not hex"), "Malformed", "a malformed salt");
  rejectsWith((p) => (p.events[0].event.action = 7), "InvalidArgument", "a non-string action");
  // Another key pinned: the checkpoint is not signed by it.
  const other = { ...logKey, keyName: `${logKey.keyName}-other` };
  assert.throws(() => new AccessLogVerifier(other).verify(page), (e) => ErrorCode[e.code] === "InvalidKey");
  assert.throws(() => new AccessLogVerifier(logKey, "bzh1.x"), (e) => ErrorCode[e.code] === "InvalidArgument");
  assert.throws(() => new AccessLogVerifier({ ...logKey, publicKey: "AAAA" }), (e) => ErrorCode[e.code] === "InvalidKey");
});

test("logout: the key is zeroized, the cookie forgotten, the session gone", async () => {
  const { client, keyPair } = state;
  await client.logout();
  assert.equal(keyPair.isZeroized, true);
  // The client no longer sends a cookie at all, so the server says "not signed in" (a client
  // that kept the old cookie would hear "session-expired": the server deleted the session).
  await rejectsWithProblem(client.me(), "not-signed-in", 401);
  // Logging out again is harmless.
  await client.logout();
});
