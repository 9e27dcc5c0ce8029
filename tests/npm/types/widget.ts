// BookingClient's booking-widget calls with the types a caller writes: a guest booking, a
// widget session made in the portal and used as a bearer token, and the session's activity
// and time left. Checked by `tsc --noEmit` against the installed package; never run.
import { BookingClient, Envelope, PublicKey } from "@bizing/booking-sdk";
import type {
  Booking,
  CreateGuestBookingRequest,
  GuestBookingResponse,
  GuestContact,
  GuestDetails,
  NppNotice,
  SessionStatus,
  WidgetSessionResponse,
} from "@bizing/booking-sdk";

export async function guest(client: BookingClient, tenantId: string, clinic: PublicKey): Promise<void> {
  const notice: NppNotice = await client.clinicNpp(tenantId);
  const id: string = BookingClient.newBookingId();
  const note = Envelope.seal("Knee pain after running.", { tenantId, bookingId: id, field: "note", schemaVersion: 1 }, [
    clinic,
  ]).toString();
  const details: GuestDetails = { name: "Gina Guest", email: "gina@example.org", phone: "+1 555 0100" };
  const request: CreateGuestBookingRequest = {
    id,
    providerId: "prov",
    serviceId: "checkup",
    start: "2027-03-15T09:00:00-04:00",
    note,
    guest: details,
    nppVersionHash: notice.hash,
  };
  const booked: GuestBookingResponse = await client.createGuestBooking(tenantId, request);
  const status: "active" | "cancelled" = booked.status;
  // Without a note or a phone number.
  const { note: _sealed, ...withoutNote } = request;
  await client.createGuestBooking(tenantId, { ...withoutNote, guest: { name: "G", email: "g@x.org" } });
  void status;
}

export async function widgetSession(portal: BookingClient, widget: BookingClient): Promise<void> {
  const made: WidgetSessionResponse = await portal.widgetSession();
  const idle: number = made.idleTimeoutSeconds;
  widget.setSessionToken(made.token);
  await widget.recordActivity();
  const left: SessionStatus = await portal.sessionStatus();
  const seconds: number = left.idleRemainingSeconds + left.absoluteRemainingSeconds;
  widget.setSessionToken(null);
  widget.setSessionToken(undefined);
  await widget.logout();
  void [idle, seconds];
}

export async function staffView(client: BookingClient): Promise<void> {
  const list = await client.bookings();
  const first: Booking | undefined = list.bookings[0];
  const guest: GuestContact | undefined = first?.guest;
  const email: string | undefined = guest?.email;
  const phone: string | undefined = guest?.phone;
  void [email, phone];
}
