// A patient's privacy preferences and the front-desk calls through the INSTALLED package's
// BookingClient, against the real bizing-server started with --demo by run.mjs
// (BIZING_API_URL): the confidential contact set, read and cleared; a booking listed by a
// range of clinic-local days; check-in refused to the patient; a restriction request sealed
// to the clinic key and the patient, refused when sealed to the wrong keys, listed, and
// withdrawn; and the access log naming each of them.
//
// The tests run in order and share the account made by the first one.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { BookingClient, Envelope, ErrorCode, KeyPair, PublicKey, Totp, init } from "@bizing/booking-sdk";

const BASE = process.env.BIZING_API_URL;
const TENANT = "demo-clinic";
const PASSWORD = "correct horse battery staple";

const now = () => Math.floor(Date.now() / 1000);

/** Asserts that `promise` rejects with the API problem `urn:bizing:problem:<slug>`. */
async function rejectsWithProblem(promise, slug, status) {
  await assert.rejects(promise, (error) => {
    assert.equal(error.name, "BizingError", String(error));
    assert.equal(ErrorCode[error.code], "Api", `expected an Api error, got ${ErrorCode[error.code]}: ${error.message}`);
    assert.equal(error.problemType, `urn:bizing:problem:${slug}`, error.message);
    if (status !== undefined) assert.equal(error.status, status);
    return true;
  });
}

/** The day after `date` (YYYY-MM-DD). */
const nextDay = (date) => new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

const state = {};

/** Runs a sensitive call; when the server wants a fresh second factor, gives a recovery code and retries. */
async function sensitive(call) {
  try {
    return await call();
  } catch (error) {
    if (error?.problemType !== "urn:bizing:problem:step-up-required") throw error;
    await state.client.stepUp({ recoveryCode: state.recoveryCodes.shift() });
    return call();
  }
}

before(async () => {
  assert.ok(BASE, "BIZING_API_URL must name the server (run.mjs sets it)");
  await init();
  state.client = new BookingClient({ baseUrl: BASE });
  const email = `prefs-${BookingClient.newBookingId().toLowerCase()}@example.test`;
  const registered = await state.client.register({
    tenantId: TENANT,
    email,
    name: "Pria Private",
    password: PASSWORD,
    kdfProfile: "insecure-fast-for-tests",
  });
  state.keyPair = registered.keyPair;
  state.recoveryCodes = [...registered.recoveryCodes];
  const { secret } = await state.client.enrollTotp();
  await state.client.confirmTotp(Totp.code(secret, now()));
  state.me = await state.client.me();
  const status = await state.client.nppStatus();
  if (status.needsAcknowledgment) {
    await state.client.acknowledgeNpp({ versionHash: status.currentHash, channel: "portal" });
  }
});

after(async () => {
  await state.client?.logout();
});

test("the confidential contact: set (trimmed), read back, never on the patient's own bookings", async () => {
  const { client } = state;
  assert.deepEqual(await client.preferences(), { restrictions: [] });
  const stored = await sensitive(() =>
    client.setConfidentialContact({ method: "phone", value: " +1 555 0199 (work) ", instructions: "No voicemail." }),
  );
  assert.equal(stored.method, "phone");
  assert.equal(stored.value, "+1 555 0199 (work)");
  assert.equal(stored.instructions, "No voicemail.");
  assert.match(stored.updatedAt, /Z$/);
  assert.deepEqual((await client.preferences()).confidentialContact, stored);
  await rejectsWithProblem(
    sensitive(() => client.setConfidentialContact({ method: "email", value: "not an address" })),
    "invalid-contact",
    400,
  );
  await rejectsWithProblem(
    sensitive(() => client.setConfidentialContact({ method: "fax", value: "555 0100" })),
    "invalid-body",
    400,
  );
  assert.deepEqual((await client.preferences()).confidentialContact, stored, "a refused change changes nothing");
});

test("a booking listed by clinic-local days; the patient cannot check themselves in", async () => {
  const { client } = state;
  const { services } = await client.services(TENANT);
  const { providers } = await client.providers(TENANT);
  const service = services[services.length - 1];
  // Far enough ahead, and the last slot of the range, not to meet the other tests' bookings.
  const from = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);
  const { slots } = await client.slots(TENANT, { service: service.id, provider: providers[0].id, from, days: 14 });
  const slot = slots[slots.length - 1];
  const booking = await client.createBooking({ providerId: slot.providerId, serviceId: service.id, start: slot.start });
  assert.equal("confidentialContact" in booking, false, "the patient reads it from preferences, not bookings");
  assert.equal("checkedInAt" in booking, false);

  // A slot's start carries the clinic's offset, so its first ten characters are the clinic-local day.
  const day = slot.start.slice(0, 10);
  const { bookings } = await client.bookingsBetween(day, nextDay(day));
  assert.deepEqual(bookings.map((b) => b.id), [booking.id]);
  assert.deepEqual((await client.bookingsBetween(nextDay(day), nextDay(nextDay(day)))).bookings, []);
  await rejectsWithProblem(client.bookingsBetween(nextDay(day), day), "invalid-range", 400);
  await rejectsWithProblem(client.bookingsBetween(day, "2999-01-01"), "invalid-range", 400);

  await rejectsWithProblem(client.checkIn(booking.id), "forbidden", 403);
  await rejectsWithProblem(client.checkIn("AAAAAAAAAAAAAAAAAAAAAA"), "not-found", 404);
  state.bookingId = booking.id;
});

test("a restriction request: sealed to the clinic and the patient, listed, withdrawn", async () => {
  const { client, keyPair } = state;
  const clinic = PublicKey.fromJwk((await client.clinicKey(TENANT)).jwk);
  const id = BookingClient.newRestrictionId();
  assert.match(id, /^[A-Za-z0-9_-]{22}$/);
  const ctx = BookingClient.restrictionContext(TENANT, id);
  assert.deepEqual(ctx, { tenantId: TENANT, bookingId: id, field: `restriction/${id}`, schemaVersion: 1 });
  const text = "Do not tell my health plan about visits I pay for myself.";

  // Sealed to someone else's key instead of the patient's: refused, nothing stored.
  const stranger = KeyPair.generate().publicKey();
  const wrong = Envelope.seal(text, ctx, [clinic, stranger]).toString();
  await rejectsWithProblem(
    sensitive(() => client.createRestriction({ id, kind: "health-plan", details: wrong })),
    "wrong-recipients",
    400,
  );

  const details = Envelope.seal(text, ctx, [clinic, keyPair.publicKey()]).toString();
  const created = await sensitive(() => client.createRestriction({ id, kind: "health-plan", details }));
  assert.equal(created.id, id);
  assert.equal(created.status, "pending");
  assert.equal(created.kind, "health-plan");
  assert.equal(created.patientId, state.me.userId);
  assert.equal(Envelope.parse(created.details).openText(keyPair, ctx), text);
  await rejectsWithProblem(
    sensitive(() => client.createRestriction({ id, kind: "health-plan", details })),
    "restriction-exists",
    409,
  );

  const { restrictions } = await client.restrictions();
  assert.deepEqual(restrictions.map((r) => r.id), [id]);
  assert.deepEqual((await client.preferences()).restrictions, restrictions);
  await rejectsWithProblem(client.decideRestriction(id, { decision: "agreed" }), "forbidden", 403);

  const withdrawn = await sensitive(() => client.withdrawRestriction(id));
  assert.equal(withdrawn.status, "withdrawn");
  assert.match(withdrawn.withdrawnAt, /Z$/);
  await rejectsWithProblem(sensitive(() => client.withdrawRestriction(id)), "restriction-closed", 409);
  state.restrictionId = id;
});

test("clearing the contact, and the access log names every change", async () => {
  const { client, me, restrictionId, bookingId } = state;
  await sensitive(() => client.clearConfidentialContact());
  assert.deepEqual(await client.preferences(), { restrictions: (await client.restrictions()).restrictions });
  assert.equal((await client.preferences()).confidentialContact, undefined);

  const page = await client.accessLog();
  const of = (kind, id) => page.events.filter(({ event }) => event.resource.kind === kind && event.resource.id === id);
  const contact = of("confidential_contact", me.userId).map(({ event }) => event.action);
  for (const action of ["create", "view", "update"]) assert.ok(contact.includes(action), `${action} in ${contact}`);
  const restriction = of("restriction", restrictionId).map(({ event }) => event.action);
  for (const action of ["create", "view", "update"]) assert.ok(restriction.includes(action), `${action} in ${restriction}`);
  assert.ok(of("booking", bookingId).some(({ event }) => event.action === "view"), "the range listing was a view");
});
