// BookingClient's front-desk and privacy-preference calls with the types a caller writes.
// Checked by `tsc --noEmit` against the installed package; never run.
import { BookingClient, Envelope, KeyPair, PublicKey } from "@bizing/booking-sdk";
import type {
  Booking,
  BookingsQuery,
  BookingsResponse,
  ConfidentialContact,
  ContactMethod,
  CreateRestrictionRequest,
  DecideRestrictionRequest,
  EnvelopeContext,
  Preferences,
  Restriction,
  RestrictionKind,
  RestrictionStatus,
  RestrictionsResponse,
  SetConfidentialContact,
} from "@bizing/booking-sdk";

export async function frontDesk(client: BookingClient): Promise<void> {
  const range: BookingsQuery = { from: "2027-03-15", to: "2027-03-22" };
  const week: BookingsResponse = await client.bookingsBetween(range.from ?? "", range.to ?? "");
  const first: Booking | undefined = week.bookings[0];
  const contact: ConfidentialContact | undefined = first?.confidentialContact;
  const how: ContactMethod | undefined = contact?.method;
  const checkedIn: Booking = await client.checkIn(first?.id ?? "booking-id");
  const at: string | undefined = checkedIn.checkedInAt;

  const all: RestrictionsResponse = await client.restrictions();
  const pending: Restriction[] = all.restrictions.filter((r) => r.status === "pending");
  const deny: DecideRestrictionRequest = { decision: "denied", reason: "We are required by law to report this." };
  const agree: DecideRestrictionRequest = { decision: "agreed" };
  const decided: Restriction = await client.decideRestriction(pending[0]?.id ?? "id", deny);
  const byWhom: string | undefined = decided.decidedByName;
  await client.decideRestriction("other-id", agree);
  void [how, at, byWhom, contact?.instructions, decided.patientName];
}

export async function patient(client: BookingClient, tenantId: string, me: KeyPair, clinic: PublicKey): Promise<void> {
  const contact: SetConfidentialContact = { method: "phone", value: "+1 555 0199", instructions: "No voicemail" };
  const stored: ConfidentialContact = await client.setConfidentialContact(contact);
  const updated: string = stored.updatedAt;
  await client.setConfidentialContact({ method: "mail", value: "PO Box 17\nSpringfield" });
  await client.clearConfidentialContact();

  const id: string = BookingClient.newRestrictionId();
  const ctx: EnvelopeContext = BookingClient.restrictionContext(tenantId, id);
  const kind: RestrictionKind = "health-plan";
  const details = Envelope.seal("Do not tell my insurer.", ctx, [clinic, me.publicKey()]).toString();
  const request: CreateRestrictionRequest = { id, kind, details };
  const created: Restriction = await client.createRestriction(request);
  const status: RestrictionStatus = created.status;
  const withdrawn: Restriction = await client.withdrawRestriction(created.id);
  const when: string | undefined = withdrawn.withdrawnAt;

  const preferences: Preferences = await client.preferences();
  const mine: ConfidentialContact | undefined = preferences.confidentialContact;
  const requests: Restriction[] = preferences.restrictions;
  void [updated, status, when, mine, requests];
}
