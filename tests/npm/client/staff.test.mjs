// The staff console's calls through the INSTALLED package's BookingClient, against the real
// bizing-server --demo that run.mjs starts (BIZING_API_URL; the demo accounts it printed in
// BIZING_DEMO_ACCOUNTS). A patient books with a note sealed to the clinic key and asks for
// corrections; the demo admin unlocks the clinic keyring and opens them; a provider joins by
// invitation and is given the clinic keys; that provider is removed and the key rotated (a
// new version for those who stay, stale notes rewrapped, the remaining provider opening old
// and new notes); an NPP is published; corrections are denied, extended and accepted. Plus
// the refusals: sharing with a receptionist, a tampered wrapped key.
//
// The tests run in order and share what the earlier ones made. The demo provider stays
// (the other npm flows book with them); the provider who joins here is the one removed.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import { BookingClient, ClinicKey, ClinicKeyring, Envelope, ErrorCode, PublicKey, Totp, init } from "@bizing/booking-sdk";

const BASE = process.env.BIZING_API_URL;
const TENANT = "demo-clinic";
const PASSWORD = "correct horse battery staple";
const NOTE = "Chest tightness when climbing stairs; worse since January.";
const LATER_NOTE = "Follow-up: tightness gone after the inhaler.";
const CHANGE = "My allergy is to penicillin, not to amoxicillin.";
const SECOND_CHANGE = "The visit date on the record is wrong.";

const now = () => Math.floor(Date.now() / 1000);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Asserts that `promise` rejects with the API problem `urn:bizing:problem:<slug>`. */
async function rejectsWithProblem(promise, slug, status) {
  await assert.rejects(promise, (error) => {
    assert.equal(ErrorCode[error.code], "Api", `expected an Api error, got ${ErrorCode[error.code]}: ${error.message}`);
    assert.equal(error.problemType, `urn:bizing:problem:${slug}`, error.message);
    if (status !== undefined) assert.equal(error.status, status);
    return true;
  });
}

/** Asserts that `fn` throws (or `promise` rejects with) a BizingError of `code`, whose message includes `says`. */
function isCode(code, says) {
  return (error) => {
    assert.equal(error.name, "BizingError", String(error));
    assert.equal(ErrorCode[error.code], code, error.message);
    if (says !== undefined) assert.ok(error.message.includes(says), `"${error.message}" should mention ${says}`);
    return true;
  };
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

/** Signs in a demo account (password, then a TOTP code). */
async function signInDemo(account) {
  const client = new BookingClient({ baseUrl: BASE });
  const { keyPair, next } = await client.login({ tenantId: TENANT, email: account.email, password: account.password });
  assert.equal(next, "verify-mfa");
  await withFreshCode(account.totpSecret, (code) => client.verifyMfa({ code }));
  return { client, keyPair, me: await client.me() };
}

/** Enrolls and confirms TOTP for a just-registered account. */
async function enroll(client) {
  const { secret } = await client.enrollTotp();
  await client.confirmTotp(Totp.code(secret, now()));
  return secret;
}

/** An envelope's text with one base64url character changed `from` the end. */
function flip(text, from) {
  const at = text.length - from;
  const swapped = text[at] === "A" ? "B" : "A";
  return text.slice(0, at) + swapped + text.slice(at + 1);
}

const noteContext = (bookingId) => ({ tenantId: TENANT, bookingId, field: "note", schemaVersion: 1 });
const s = {};

before(async () => {
  assert.ok(BASE, "BIZING_API_URL must name the server (run.mjs sets it)");
  assert.ok(process.env.BIZING_DEMO_ACCOUNTS, "BIZING_DEMO_ACCOUNTS must hold the demo accounts (run.mjs sets it)");
  await init();
  s.accounts = JSON.parse(process.env.BIZING_DEMO_ACCOUNTS);
  s.admin = await signInDemo(s.accounts.admin);
  s.provider = await signInDemo(s.accounts.provider);
  assert.equal(s.admin.me.role, "admin");
  assert.equal(s.provider.me.role, "provider");
});

test("a patient books with the demo provider, the note sealed to the clinic key, and asks for two corrections", async () => {
  const patient = new BookingClient({ baseUrl: BASE });
  const email = `staff-test-patient-${BookingClient.newBookingId().toLowerCase()}@example.test`;
  const { keyPair } = await patient.register({ tenantId: TENANT, email, name: "Pat Staffcase", password: PASSWORD, kdfProfile: "insecure-fast-for-tests" });
  await enroll(patient);
  const status = await patient.nppStatus();
  if (status.needsAcknowledgment) await patient.acknowledgeNpp({ versionHash: status.currentHash, channel: "portal" });

  const { providers } = await s.admin.client.adminProviders();
  const provider = providers.find((p) => p.userId === s.provider.me.userId);
  assert.ok(provider, "the demo provider is bookable");
  const [service] = (await patient.services(TENANT)).services;
  const { slots } = await patient.slots(TENANT, { service: service.id, provider: provider.id, days: 14 });
  assert.ok(slots.length >= 2);
  const clinicKey = await patient.clinicKey(TENANT);
  const clinicPk = PublicKey.fromJwk(clinicKey.jwk);

  // The last free slots, clear of the other flows that take the first ones.
  const id = BookingClient.newBookingId();
  const note = Envelope.seal(NOTE, noteContext(id), [clinicPk, keyPair.publicKey()]).toString();
  const booking = await patient.createBooking({ id, providerId: provider.id, serviceId: service.id, start: slots.at(-1).start, note });
  assert.equal(booking.note, note);

  const corrections = [];
  for (const text of [CHANGE, SECOND_CHANGE]) {
    const correctionId = BookingClient.newCorrectionId();
    const ctx = BookingClient.correctionContext(TENANT, id, correctionId);
    const change = Envelope.seal(text, ctx, [clinicPk, keyPair.publicKey()]).toString();
    corrections.push(await patient.createCorrection(id, { id: correctionId, change }));
  }
  Object.assign(s, { patient, patientKey: keyPair, service, providerId: provider.id, slots, bookingId: id, note, corrections, v1: clinicKey.version });
});

test("the admin unlocks the clinic keyring and opens the patient's note and correction", async () => {
  const { client, keyPair, me } = s.admin;
  const mine = await client.myClinicKeys();
  assert.deepEqual(mine.keys.map((k) => [k.version, k.current]), [[s.v1, true]]);
  const keyring = await client.unlockClinicKeys(keyPair);
  assert.deepEqual(keyring.versions(), [s.v1]);
  assert.equal(keyring.currentVersion, s.v1);
  assert.equal(keyring.openNote(s.note, noteContext(s.bookingId)), NOTE);

  // An admin's view of the clinic's corrections carries the sealed changes.
  const { corrections } = await client.corrections();
  const [first] = s.corrections;
  const listed = corrections.find((c) => c.id === first.id);
  assert.ok(listed, "the admin sees the clinic's correction requests");
  assert.equal(keyring.openNote(listed.change, BookingClient.correctionContext(TENANT, s.bookingId, first.id)), CHANGE);

  // Distinct failures: a version that matches but does not authenticate, and no version at all.
  assert.throws(() => keyring.openNote(s.note, noteContext("AAAAAAAAAAAAAAAAAAAAAA")), isCode("DecryptionFailed", `v${s.v1}`));
  const stranger = ClinicKey.create();
  const foreign = Envelope.seal("x", noteContext(s.bookingId), [stranger.publicKey()]).toString();
  assert.throws(() => keyring.openNote(foreign, noteContext(s.bookingId)), isCode("NotARecipient"));
  assert.throws(() => keyring.openNote("not an envelope", noteContext(s.bookingId)), isCode("Malformed"));

  const { staff } = await client.staffKeys();
  const self = staff.find((m) => m.userId === me.userId);
  assert.equal(self.role, "admin");
  assert.deepEqual(self.clinicKeyVersions, [s.v1]);
  assert.equal(self.keyId, keyPair.keyId);
  const receptionist = staff.find((m) => m.role === "receptionist");
  assert.ok(receptionist, "the demo receptionist is staff");
  assert.deepEqual(receptionist.clinicKeyVersions, [], "a receptionist holds no clinic key");
  Object.assign(s, { adminRing: keyring, receptionistId: receptionist.userId });
});

test("the demo provider opens the note of a booking with them", async () => {
  const { client, keyPair } = s.provider;
  const keyring = await client.unlockClinicKeys(keyPair);
  const { bookings } = await client.bookings();
  const booking = bookings.find((b) => b.id === s.bookingId);
  assert.ok(booking?.note, "the provider sees the note of a booking with them");
  assert.equal(keyring.openBookingNote(booking), NOTE);
  assert.equal(keyring.openBookingNote({ ...booking, note: undefined }), undefined);
  s.providerRing = keyring;
});

test("a provider joins by invitation, is given the clinic keys, and then opens the note", async () => {
  const email = `staff-test-provider-${BookingClient.newBookingId().toLowerCase()}@example.test`;
  const { token } = await s.admin.client.inviteStaff({ email, role: "provider", providerName: "Dr. Nora Newcomer" });
  const nora = new BookingClient({ baseUrl: BASE });
  const { keyPair } = await nora.registerStaff({ tenantId: TENANT, invitation: token, email, name: "Nora Newcomer", password: PASSWORD, kdfProfile: "insecure-fast-for-tests" });
  await enroll(nora);
  const me = await nora.me();
  assert.equal(me.role, "provider");

  // Nothing shared yet: an empty keyring, which opens nothing.
  const empty = await nora.unlockClinicKeys(keyPair);
  assert.deepEqual(empty.versions(), []);
  assert.equal(empty.currentVersion, undefined);
  assert.throws(() => empty.openNote(s.note, noteContext(s.bookingId)), isCode("NotARecipient"));
  // Nothing to share from an empty keyring; and a provider may not share (admins only).
  assert.deepEqual(await nora.shareClinicKeys(empty, me.userId), []);
  await rejectsWithProblem(s.provider.client.shareClinicKeys(s.providerRing, me.userId), "forbidden", 403);

  assert.deepEqual(await s.admin.client.shareClinicKeys(s.adminRing, me.userId), [s.v1]);
  assert.deepEqual(await s.admin.client.shareClinicKeys(s.adminRing, me.userId), [], "nothing left to share");
  const { staff } = await s.admin.client.staffKeys();
  assert.deepEqual(staff.find((m) => m.userId === me.userId).clinicKeyVersions, [s.v1]);

  const keyring = await nora.unlockClinicKeys(keyPair);
  assert.deepEqual(keyring.versions(), [s.v1]);
  assert.equal(keyring.openNote(s.note, noteContext(s.bookingId)), NOTE);
  Object.assign(s, { nora: { client: nora, keyPair, me, keyring } });
});

test("sharing with a receptionist, a patient or a stranger is refused, and nothing is shared", async () => {
  const { client } = s.admin;
  const patientId = (await s.patient.me()).userId;
  for (const userId of [s.receptionistId, patientId, "no-such-user"]) {
    await assert.rejects(client.shareClinicKeys(s.adminRing, userId), isCode("InvalidArgument"), userId);
  }
  await assert.rejects(client.shareClinicKeys(s.adminRing, s.receptionistId), isCode("InvalidArgument", "receptionist"));
  const { staff } = await client.staffKeys();
  assert.deepEqual(staff.find((m) => m.userId === s.receptionistId).clinicKeyVersions, []);
});

test("a tampered or substituted wrapped key is a clear error naming the version, and the SDK carries on", async () => {
  const { client, keyPair } = s.admin;
  const mine = await client.myClinicKeys();
  const copy = mine.keys[0];
  const tampered = { keys: [{ ...copy, wrappedKey: flip(copy.wrappedKey, 10) }] };
  assert.throws(() => ClinicKeyring.unlock(tampered, keyPair), isCode("DecryptionFailed", `v${copy.version}`));
  const garbage = { keys: [{ ...copy, wrappedKey: "bzk1.AAAA" }] };
  assert.throws(() => ClinicKeyring.unlock(garbage, keyPair), isCode("Malformed", `v${copy.version}`));
  const otherId = ClinicKey.create().keyId;
  const substituted = { keys: [{ ...copy, keyId: otherId }] };
  assert.throws(() => ClinicKeyring.unlock(substituted, keyPair), isCode("InvalidResponse", `v${copy.version}`));
  // Another person's copy: wrapped to another personal key.
  const noraCopy = (await s.nora.client.myClinicKeys()).keys[0];
  assert.throws(() => ClinicKeyring.unlock({ keys: [noraCopy] }, keyPair), isCode("InvalidKey", `v${copy.version}`));
  assert.throws(() => ClinicKeyring.unlock({ keys: "no" }, keyPair), isCode("InvalidArgument"));
  // No panic took the module down: the genuine answer still unlocks and opens.
  const keyring = ClinicKeyring.unlock(mine, keyPair);
  assert.equal(keyring.openNote(s.note, noteContext(s.bookingId)), NOTE);
  keyring.zeroize();
  assert.equal(keyring.isZeroized, true);
  assert.throws(() => keyring.openNote(s.note, noteContext(s.bookingId)), isCode("KeyZeroized"));
});

test("removing the new provider and rotating: a new version for those who stay, stale texts rewrapped", async () => {
  const { client, me } = s.admin;
  const removed = await client.removeStaff(s.nora.me.userId);
  assert.equal(removed.rotateClinicKey, true, "she held the current version");

  const rotation = await client.rotateClinicKey(TENANT, s.adminRing);
  const v2 = s.v1 + 1;
  assert.equal(rotation.version, v2);
  assert.equal(rotation.rewrapError, undefined, rotation.rewrapError?.message);
  assert.deepEqual([...rotation.sharedWith].sort(), [me.userId, s.provider.me.userId].sort());
  assert.equal(rotation.rewrap.complete, true);
  assert.equal(rotation.rewrap.remaining, 0);
  assert.ok(rotation.rewrap.rewrapped >= 3, `the note and both changes at least (${rotation.rewrap.rewrapped})`);

  const current = await client.clinicKey(TENANT);
  assert.equal(current.version, v2);
  assert.equal(current.keyId, rotation.keyId);
  // The removed provider is no staff any more and holds nothing; those who stay hold both.
  const { staff } = await client.staffKeys();
  assert.equal(staff.find((m) => m.userId === s.nora.me.userId), undefined);
  for (const m of staff) {
    const expected = m.role === "receptionist" ? [] : [s.v1, v2];
    assert.deepEqual(m.clinicKeyVersions, expected, `${m.role} ${m.userId}`);
  }
  await assert.rejects(s.nora.client.myClinicKeys(), (e) => ErrorCode[e.code] === "Api" && e.status === 401);
  assert.equal((await client.staleNotes()).remaining, 0);

  // The note now names the new version and no old one; the patient still opens it.
  const { note } = await s.patient.booking(s.bookingId);
  const recipients = Envelope.parse(note).recipients;
  assert.ok(recipients.includes(current.keyId));
  assert.ok(recipients.includes(s.patientKey.keyId));
  assert.equal(recipients.length, 2);
  assert.equal(Envelope.parse(note).openText(s.patientKey, noteContext(s.bookingId)), NOTE);
  // What the removed provider kept in memory no longer opens it; nor the admin's old keyring.
  assert.throws(() => s.nora.keyring.openNote(note, noteContext(s.bookingId)), isCode("NotARecipient"));
  assert.throws(() => s.adminRing.openNote(note, noteContext(s.bookingId)), isCode("NotARecipient"));
  // Unlocked again, the admin holds both versions.
  const again = await client.unlockClinicKeys(s.admin.keyPair);
  assert.deepEqual(again.versions(), [s.v1, v2]);
  assert.equal(again.currentVersion, v2);
  assert.equal(again.openNote(note, noteContext(s.bookingId)), NOTE);
  Object.assign(s, { v2, adminRing2: again, rewrappedNote: note });
});

test("the remaining provider opens old and new notes", async () => {
  // A note sealed to the new version.
  const clinicPk = PublicKey.fromJwk((await s.patient.clinicKey(TENANT)).jwk);
  const id = BookingClient.newBookingId();
  const note = Envelope.seal(LATER_NOTE, noteContext(id), [clinicPk, s.patientKey.publicKey()]).toString();
  await s.patient.createBooking({ id, providerId: s.providerId, serviceId: s.service.id, start: s.slots.at(-2).start, note });

  const { client, keyPair } = s.provider;
  const keyring = await client.unlockClinicKeys(keyPair);
  assert.deepEqual(keyring.versions(), [s.v1, s.v2]);
  const { bookings } = await client.bookings();
  assert.equal(keyring.openBookingNote(bookings.find((b) => b.id === s.bookingId)), NOTE);
  assert.equal(keyring.openBookingNote(bookings.find((b) => b.id === id)), LATER_NOTE);
  // A correction text sealed before the rotation, rewrapped with the note.
  const { corrections } = await client.corrections();
  const second = corrections.find((c) => c.id === s.corrections[1].id);
  assert.equal(keyring.openNote(second.change, BookingClient.correctionContext(TENANT, s.bookingId, second.id)), SECOND_CHANGE);
  s.laterBookingId = id;
});

test("the admin publishes a new Notice of Privacy Practices, which patients are then asked to acknowledge", async () => {
  const text = `Notice of Privacy Practices, revised ${new Date().toISOString()}: how we use and share your health information.`;
  const notice = await s.admin.client.publishNpp({ text });
  assert.match(notice.hash, /^[0-9a-f]{64}$/);
  assert.equal(notice.text, text);
  assert.equal((await s.patient.clinicNpp(TENANT)).hash, notice.hash);
  const status = await s.patient.nppStatus();
  assert.equal(status.currentHash, notice.hash);
  assert.equal(status.needsAcknowledgment, true);
  await s.patient.acknowledgeNpp({ versionHash: notice.hash, channel: "portal" });
  await rejectsWithProblem(s.provider.client.publishNpp({ text }), "forbidden", 403);
  await assert.rejects(s.admin.client.publishNpp({}), isCode("InvalidArgument"));
});

test("corrections decided: one denied with a reason, one extended then accepted", async () => {
  const [first, second] = s.corrections;
  const reason = "The allergy was confirmed by the lab report of 12 March.";
  await assert.rejects(s.admin.client.denyCorrection(first.id, ""), isCode("InvalidArgument"));
  const denied = await s.admin.client.denyCorrection(first.id, reason);
  assert.equal(denied.status, "denied");
  assert.equal(denied.denialReason, reason);
  assert.ok(denied.decidedAt);
  await rejectsWithProblem(s.admin.client.denyCorrection(first.id, reason), "correction-decided", 409);
  // The patient reads the reason.
  assert.equal((await s.patient.correction(first.id)).denialReason, reason);
  await rejectsWithProblem(s.patient.acceptCorrection(second.id), "forbidden", 403);

  // The booking's provider extends the other once, then accepts it.
  const extended = await s.provider.client.extendCorrection(second.id, "We are waiting for the visit notes.");
  assert.equal(extended.status, "extended");
  assert.ok(Date.parse(extended.dueAt) > Date.parse(second.dueAt));
  await rejectsWithProblem(s.provider.client.extendCorrection(second.id, "again"), "already-extended", 409);
  const accepted = await s.provider.client.acceptCorrection(second.id);
  assert.equal(accepted.status, "accepted");
});

test("logout zeroizes the keyrings the client unlocked", async () => {
  await s.admin.client.logout();
  assert.equal(s.adminRing.isZeroized, true);
  assert.equal(s.adminRing2.isZeroized, true);
  assert.throws(() => s.adminRing2.versions(), isCode("KeyZeroized"));
  await s.provider.client.logout();
  await s.patient.logout();
});
