// @ts-check
// A short patient flow through BookingClient against a real bizing-server (started with
// --demo by run.mjs), shared by the Deno test (deno/client.test.ts, which type-checks this
// file) and the Worker (workerd/worker.mjs, route /client-flow): register with a fresh
// account, enroll and confirm TOTP, acknowledge the NPP if the clinic has one, pick a slot,
// book with a note sealed to the clinic key and the patient's key, read it back and open
// it, fetch and verify the access log, sign out.
//
// The SDK comes in as a parameter (each runtime imports its own entry), and nothing here
// runs at import time: workerd allows random numbers, timers and I/O only inside a request.
// Plain checks, no node:assert: workerd has no Node.js modules without nodejs_compat.

/** @typedef {typeof import("@bizing/booking-sdk")} Sdk */
/** @typedef {import("@bizing/booking-sdk").BookingClient} BookingClientType */
/** @typedef {import("@bizing/booking-sdk").KeyPair} KeyPair */
/** @typedef {import("@bizing/booking-sdk").Me} Me */
/** @typedef {import("@bizing/booking-sdk").Slot} Slot */
/** @typedef {import("@bizing/booking-sdk").Service} Service */
/** @typedef {import("@bizing/booking-sdk").Provider} Provider */
/** @typedef {import("@bizing/booking-sdk").EnvelopeContext} EnvelopeContext */
/** @typedef {{ name: string, run: () => Promise<void> }} FlowStep */

const TENANT = "demo-clinic";
const PASSWORD = "correct horse battery staple";

/**
 * @param {unknown} condition
 * @param {string} message
 * @returns {asserts condition}
 */
function check(condition, message) {
  if (!condition) throw new Error(message);
}

/**
 * @param {unknown} actual
 * @param {unknown} expected
 * @param {string} what
 */
function equal(actual, expected, what) {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/**
 * A value an earlier step set.
 * @template T
 * @param {T | undefined} value
 * @param {string} what
 * @returns {T}
 */
function need(value, what) {
  if (value === undefined) throw new Error(`${what} is not set: an earlier step failed`);
  return value;
}

/** @param {Uint8Array} bytes */
function base64url(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * Runs `steps` in order, stopping at the first failure (the later ones need its results).
 * @param {FlowStep[]} steps
 * @returns {Promise<{ name: string, ok: boolean, error?: string }[]>}
 */
export async function runSteps(steps) {
  const results = [];
  for (const { name, run } of steps) {
    try {
      await run();
      results.push({ name, ok: true });
    } catch (error) {
      results.push({ name, ok: false, error: String(error instanceof Error ? (error.stack ?? error) : error) });
      break;
    }
  }
  return results;
}

/**
 * The flow's steps, in order, for one fresh account on the demo clinic.
 * @param {Sdk} sdk the runtime's entry, after `init()`
 * @param {string | undefined} baseUrl the server, e.g. http://127.0.0.1:8080
 * @param {string} runtime names the runtime in the account and the note
 * @returns {FlowStep[]}
 */
export function patientFlow(sdk, baseUrl, runtime) {
  const { AccessLogVerifier, BookingClient, Envelope, ErrorCode, PublicKey, Totp, isBizingError } = sdk;
  const name = `Pat ${runtime}`;
  const noteText = `Sealed in ${runtime}: left knee pain since March; ibuprofen helps a little. ✓`;

  /**
   * Asserts that `promise` rejects with the API problem `urn:bizing:problem:<slug>`.
   * @param {Promise<unknown>} promise
   * @param {string} slug
   * @param {number} status
   */
  async function rejectsWithProblem(promise, slug, status) {
    let result;
    try {
      result = await promise;
    } catch (error) {
      check(isBizingError(error), `expected a BizingError, got ${error}`);
      const problem = /** @type {import("@bizing/booking-sdk").BookingApiError} */ (error);
      equal(ErrorCode[problem.code], "Api", `error code (${problem.message})`);
      equal(problem.problemType, `urn:bizing:problem:${slug}`, "problem type");
      equal(problem.status, status, "HTTP status");
      check(typeof problem.title === "string" && problem.title.length > 0, "the problem has a title");
      return;
    }
    throw new Error(`expected the problem ${slug}, but the call succeeded with ${JSON.stringify(result)}`);
  }

  /**
   * @type {{ client?: BookingClientType, email?: string, keyPair?: KeyPair, me?: Me,
   *   service?: Service, provider?: Provider, slot?: Slot, bookingId?: string, ctx?: EnvelopeContext,
   *   note?: string, clinicKeyId?: string }}
   */
  const state = {};

  return [
    {
      name: "register: keys made locally, recovery codes, TOTP enrollment next",
      run: async () => {
        check(baseUrl, "no server URL given (run.mjs passes BIZING_API_URL)");
        const client = new BookingClient({ baseUrl });
        const email = `patient-${BookingClient.newBookingId().toLowerCase()}@example.test`;
        const registered = await client.register({
          tenantId: TENANT,
          email,
          name,
          password: PASSWORD,
          kdfProfile: "insecure-fast-for-tests",
        });
        equal(registered.next, "enroll-totp", "register's next step");
        equal(registered.recoveryCodes.length, 10, "recovery codes");
        for (const code of registered.recoveryCodes) {
          check(/^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/.test(code), `a malformed recovery code: ${code}`);
        }
        check(registered.keyPair.keyId.startsWith("v1."), `key id ${registered.keyPair.keyId}`);
        // Signed in, but not yet with a second factor.
        await rejectsWithProblem(client.me(), "mfa-required", 401);
        Object.assign(state, { client, email, keyPair: registered.keyPair });
      },
    },
    {
      name: "enroll TOTP, confirm it with a Totp code: me() is this account and key",
      run: async () => {
        const client = need(state.client, "client");
        const keyPair = need(state.keyPair, "keyPair");
        const { secret, uri } = await client.enrollTotp();
        check(/^[A-Z2-7]{16,}$/.test(secret), `a base32 secret, got ${secret}`);
        check(uri.startsWith("otpauth://totp/") && uri.includes(`secret=${secret}`), `the otpauth URI ${uri}`);
        await client.confirmTotp(Totp.code(secret, Math.floor(Date.now() / 1000)));
        const me = await client.me();
        equal(me.role, "patient", "role");
        equal(me.tenantId, TENANT, "tenant");
        equal(me.email, state.email, "email");
        equal(me.name, name, "name");
        equal(me.recoveryCodesLeft, 10, "recovery codes left");
        equal(me.publicKey, base64url(keyPair.publicKey().toSec1()), "the registered public key");
        state.me = me;
      },
    },
    {
      name: "the Notice of Privacy Practices: acknowledged if the clinic has one",
      run: async () => {
        const client = need(state.client, "client");
        const status = await client.nppStatus();
        if (status.currentHash === null) {
          // The clinic has published no notice (the demo clinic has none): nothing to do.
          equal(status.needsAcknowledgment, false, "needsAcknowledgment without a notice");
          equal(status.lastAcknowledgment, null, "a fresh account's last acknowledgment");
          await rejectsWithProblem(client.clinicNpp(TENANT), "not-found", 404);
          return;
        }
        equal(status.needsAcknowledgment, true, "a fresh account needs to acknowledge the notice");
        const notice = await client.clinicNpp(TENANT);
        equal(notice.hash, status.currentHash, "the notice's hash");
        check(notice.text.length > 0, "the notice has text");
        await client.acknowledgeNpp({ versionHash: notice.hash, channel: "portal" });
        const after = await client.nppStatus();
        equal(after.needsAcknowledgment, false, "needsAcknowledgment after acknowledging");
        equal(after.lastAcknowledgment?.versionHash, notice.hash, "the acknowledged version");
        equal(after.lastAcknowledgment?.channel, "portal", "the acknowledgment's channel");
      },
    },
    {
      name: "services, providers and a free slot of the demo clinic",
      run: async () => {
        const client = need(state.client, "client");
        const { services } = await client.services(TENANT);
        const { providers } = await client.providers(TENANT);
        check(services.length > 0, "the demo clinic has services");
        check(providers.length > 0, "the demo clinic has providers");
        const [service] = services;
        const [provider] = providers;
        check(Number.isInteger(service.durationMinutes) && service.durationMinutes > 0, `duration ${service.durationMinutes}`);
        const slots = await client.slots(TENANT, { service: service.id, provider: provider.id, days: 14 });
        equal(slots.serviceId, service.id, "the slots' service");
        equal(slots.timeZone, "America/New_York", "the clinic's time zone");
        check(slots.slots.length > 0, "two weeks of the demo schedule have a free slot");
        for (const slot of slots.slots) {
          equal(slot.providerId, provider.id, "a slot's provider");
          const minutes = (Date.parse(slot.end) - Date.parse(slot.start)) / 60_000;
          equal(minutes, service.durationMinutes, `the length of the slot at ${slot.start}`);
        }
        Object.assign(state, { service, provider, slot: slots.slots[0] });
      },
    },
    {
      name: "book with a note sealed to the clinic key and the patient's key",
      run: async () => {
        const client = need(state.client, "client");
        const keyPair = need(state.keyPair, "keyPair");
        const me = need(state.me, "me");
        const service = need(state.service, "service");
        const provider = need(state.provider, "provider");
        const slot = need(state.slot, "slot");
        const clinicKey = await client.clinicKey(TENANT);
        const clinicPk = PublicKey.fromJwk(clinicKey.jwk);
        equal(clinicPk.keyId, clinicKey.keyId, "the clinic key's id");
        const bookingId = BookingClient.newBookingId();
        check(/^[A-Za-z0-9_-]{22}$/.test(bookingId), `booking id ${bookingId}`);
        /** @type {EnvelopeContext} */
        const ctx = { tenantId: TENANT, bookingId, field: "note", schemaVersion: 1 };
        const envelope = Envelope.seal(noteText, ctx, [clinicPk, keyPair.publicKey()]);
        equal([...envelope.recipients].sort().join(" "), [clinicPk.keyId, keyPair.keyId].sort().join(" "), "the note's recipients");
        const note = envelope.toString();
        const booking = await client.createBooking({ id: bookingId, providerId: provider.id, serviceId: service.id, start: slot.start, note });
        equal(booking.id, bookingId, "booking id");
        equal(booking.status, "active", "booking status");
        equal(booking.tenantId, TENANT, "booking tenant");
        equal(booking.patientId, me.userId, "booking patient");
        equal(booking.providerId, provider.id, "booking provider");
        equal(booking.serviceId, service.id, "booking service");
        equal(booking.start, slot.start, "booking start");
        equal(booking.end, slot.end, "booking end");
        equal(booking.note, note, "the stored note");
        Object.assign(state, { bookingId, ctx, note, clinicKeyId: clinicPk.keyId });
      },
    },
    {
      name: "read the booking back and open its note with the patient's key",
      run: async () => {
        const client = need(state.client, "client");
        const keyPair = need(state.keyPair, "keyPair");
        const bookingId = need(state.bookingId, "bookingId");
        const ctx = need(state.ctx, "ctx");
        const one = await client.booking(bookingId);
        equal(one.id, bookingId, "the booking read back");
        equal(one.note, state.note, "the note read back");
        check(!("patientName" in one), "a patient's view has no staff-only fields");
        const envelope = Envelope.parse(need(one.note, "the booking's note"));
        check(envelope.recipients.includes(need(state.clinicKeyId, "clinicKeyId")), "the clinic key is a recipient");
        equal(envelope.openText(keyPair, ctx), noteText, "the opened note");
        // The note is bound to its booking: under another booking's context it does not open.
        let code;
        try {
          envelope.openText(keyPair, { ...ctx, bookingId: BookingClient.newBookingId() });
        } catch (error) {
          check(isBizingError(error), `expected a BizingError, got ${error}`);
          code = ErrorCode[error.code];
        }
        equal(code, "DecryptionFailed", "opening under another booking's context");
        const { bookings } = await client.bookings();
        equal(bookings.filter((b) => b.id === bookingId).length, 1, "the booking in the patient's list");
      },
    },
    {
      name: "the access log: this patient's events, verified with AccessLogVerifier",
      run: async () => {
        const client = need(state.client, "client");
        const me = need(state.me, "me");
        const bookingId = need(state.bookingId, "bookingId");
        const logKey = await client.logKey(TENANT);
        const page = await client.accessLog();
        const [origin, size] = page.checkpoint.split("\n");
        equal(origin, logKey.origin, "the checkpoint's origin");
        check(/^\d+$/.test(size), `the checkpoint's size line: ${size}`);
        check(page.events.length > 0, "the log has this patient's events");
        for (const { event, leafIndex } of page.events) {
          equal(event.patientId, me.userId, "an event's patient");
          equal(event.tenantId, TENANT, "an event's tenant");
          check(leafIndex < Number(size), `leaf ${leafIndex} inside a tree of ${size}`);
        }
        const actions = page.events.filter(({ event }) => event.resource.id === bookingId).map(({ event }) => event.action);
        for (const action of ["create", "view"]) {
          check(actions.includes(action), `a ${action} event for the booking (got ${actions.join(", ") || "none"})`);
        }
        const verifier = new AccessLogVerifier(logKey, null);
        const verified = verifier.verify(page);
        equal(verified.size, Number(size), "the verified size");
        equal(verified.origin, logKey.origin, "the verified origin");
        equal(verifier.trustedHead, verified.trustedHead, "the verifier's trusted head");
        check(/^bzh1\.\d+\./.test(verified.trustedHead), `trusted head ${verified.trustedHead}`);
        // And it is checked: an altered event does not verify.
        const tampered = structuredClone(page);
        tampered.events[0].event.at += 1;
        let code;
        try {
          new AccessLogVerifier(logKey, null).verify(tampered);
        } catch (error) {
          check(isBizingError(error), `expected a BizingError, got ${error}`);
          code = ErrorCode[error.code];
        }
        equal(code, "LogTampered", "verifying a page with an altered event");
      },
    },
    {
      name: "logout: the key zeroized, then me() is not-signed-in",
      run: async () => {
        const client = need(state.client, "client");
        const keyPair = need(state.keyPair, "keyPair");
        equal(keyPair.isZeroized, false, "the key before logout");
        await client.logout();
        equal(keyPair.isZeroized, true, "the key after logout");
        await rejectsWithProblem(client.me(), "not-signed-in", 401);
      },
    },
  ];
}
