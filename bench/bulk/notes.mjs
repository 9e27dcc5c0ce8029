// Generates the bulk-open bench's data in Node with the built package (pkg/node.js): a
// clinic key and a patient key, and N booking notes of a few hundred bytes, each sealed as
// the portal and the widget seal them: to the clinic's key and the patient's key, under the
// booking's note context (tenant, booking id, "note", schema 1). The patient's key leaves
// Node wrapped with a recovery code, as the portal gets it from the server (wrapped) and
// unwraps it after sign-in.
import { BookingClient, Envelope, KeyPair, RecoveryCodes, init } from "../../pkg/node.js";

export const TENANT = "demo-clinic";

// Pieces of what patients write, combined into notes of about 200-450 bytes.
const REASONS = [
  "Follow-up for lower back pain after the fall in March.",
  "Annual check-up; would like my blood pressure and cholesterol looked at.",
  "Recurring migraines, three or four a week since January, worse in the morning.",
  "Rash on both forearms for two weeks, itchy at night, not better with moisturiser.",
  "Knee pain when climbing stairs since the marathon in October.",
  "Persistent dry cough for five weeks after a cold; no fever now.",
  "Second opinion on the shoulder MRI from last month (torn rotator cuff?).",
  "Trouble sleeping and low mood since changing jobs; would like to talk about options.",
];
const DETAILS = [
  "Ibuprofen 400 mg helps for a few hours; worse when sitting for long.",
  "Currently taking lisinopril 10 mg once a day and a vitamin D supplement.",
  "Paracetamol does not help much; I have kept a diary of the attacks and will bring it.",
  "Tried an over-the-counter hydrocortisone cream for a week without change.",
  "Physiotherapy twice in November; the exercises help a little.",
  "Non-smoker. The cough is worse at night and when I talk for long.",
  "The report and the images are on a USB stick I will bring to the appointment.",
  "No medication at the moment. I drink two or three coffees a day.",
];
const CLOSINGS = [
  "Allergic to penicillin.",
  "My daughter may come with me to translate.",
  "Please call rather than email if the time has to change.",
  "I use a wheelchair; is the ground-floor room available?",
  "Would prefer a morning appointment if one frees up.",
  "No known allergies.",
];

/** Note `i` of a history: deterministic, varied, a few hundred bytes. */
export function noteText(i) {
  const parts = [REASONS[i % REASONS.length], DETAILS[(i * 5 + 3) % DETAILS.length]];
  if (i % 3 !== 0) parts.push(DETAILS[(i * 7 + 1) % DETAILS.length]);
  parts.push(CLOSINGS[(i * 11) % CLOSINGS.length]);
  parts.push(`(Visit ${i + 1}.)`);
  return parts.join(" ");
}

/**
 * A patient's history of `count` bookings: { tenantId, wrappedKey, recoveryCode, bookings:
 * [{ id, tenantId, note }], expected: [text] }.
 */
export async function history(count) {
  await init();
  const clinic = KeyPair.generate();
  const patient = KeyPair.generate();
  const recipients = [clinic.publicKey(), patient.publicKey()];
  const bookings = [];
  const expected = [];
  for (let i = 0; i < count; i++) {
    const id = BookingClient.newBookingId();
    const text = noteText(i);
    const ctx = { tenantId: TENANT, bookingId: id, field: "note", schemaVersion: 1 };
    const envelope = Envelope.seal(text, ctx, recipients);
    bookings.push({ id, tenantId: TENANT, note: envelope.toString() });
    envelope.free();
    expected.push(text);
  }
  const [recoveryCode] = RecoveryCodes.generate(1);
  const wrappedKey = patient.wrapWithRecoveryCode(recoveryCode);
  clinic.zeroize();
  patient.zeroize();
  return { tenantId: TENANT, wrappedKey, recoveryCode, bookings, expected };
}
