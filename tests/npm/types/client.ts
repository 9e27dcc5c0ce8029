// The BookingClient with the types a caller writes: every method, its arguments and its
// response shapes. Checked by `tsc --noEmit` against the installed package; never run.
import { AccessLogVerifier, BookingClient, Envelope, ErrorCode, PublicKey, Totp, isBizingError } from "@bizing/booking-sdk";
import type {
  AccessEvent,
  AccessLogOptions,
  AccessLogPage,
  AcknowledgeNpp,
  Booking,
  BookingApiError,
  BookingClientOptions,
  BookingsResponse,
  ClinicKeyInfo,
  CreateBookingRequest,
  KeyPair,
  LogKey,
  LoggedEvent,
  LoginOptions,
  LoginResult,
  Me,
  MfaRequest,
  NppAckRecord,
  NppNotice,
  NppStatus,
  PreloginRequest,
  PreloginResponse,
  Provider,
  ProvidersResponse,
  PublicJwk,
  RegisterOptions,
  RegisterResult,
  RescheduleRequest,
  Service,
  ServicesResponse,
  Slot,
  SlotsQuery,
  SlotsResponse,
  TotpEnrollResponse,
  VerifiedCheckpoint,
} from "@bizing/booking-sdk";

export async function patient(baseUrl: string): Promise<void> {
  const options: BookingClientOptions = { baseUrl, credentials: "include" };
  const client = new BookingClient(options);
  const tenantId = "demo-clinic";

  const prelogin: PreloginRequest = { tenantId, email: "pat@example.test" };
  const params: PreloginResponse = await client.prelogin(prelogin);
  const kdf: string = params.kdfParams;

  const registration: RegisterOptions = {
    tenantId,
    email: "pat@example.test",
    name: "Pat",
    password: "correct horse",
    kdfProfile: "insecure-fast-for-tests",
  };
  const registered: RegisterResult = await client.register(registration);
  const codes: string[] = registered.recoveryCodes;
  const first: "enroll-totp" = registered.next;
  const enrollment: TotpEnrollResponse = await client.enrollTotp();
  await client.confirmTotp(Totp.code(enrollment.secret, Date.now() / 1000));

  const login: LoginOptions = { tenantId, email: "pat@example.test", password: "correct horse" };
  const signedIn: LoginResult = await client.login(login);
  const keyPair: KeyPair = signedIn.keyPair;
  if (signedIn.next === "verify-mfa") {
    const byCode: MfaRequest = { code: "123456" };
    const byRecovery: MfaRequest = { recoveryCode: codes[0]! };
    await client.verifyMfa(byCode);
    await client.verifyMfa(byRecovery);
    await client.stepUp(byCode);
  }

  const me: Me = await client.me();
  const role: "patient" | "receptionist" | "provider" | "admin" = me.role;
  const left: number = me.recoveryCodesLeft;

  const status: NppStatus = await client.nppStatus();
  const last: NppAckRecord | null = status.lastAcknowledgment;
  if (status.needsAcknowledgment) {
    const notice: NppNotice = await client.clinicNpp(tenantId);
    const ack: AcknowledgeNpp = { versionHash: notice.hash, channel: "portal" };
    await client.acknowledgeNpp(ack);
  }

  const services: ServicesResponse = await client.services(tenantId);
  const service: Service = services.services[0]!;
  const providers: ProvidersResponse = await client.providers(tenantId);
  const provider: Provider = providers.providers[0]!;
  const query: SlotsQuery = { service: service.id, provider: provider.id, from: "2027-03-15", days: 7 };
  const slots: SlotsResponse = await client.slots(tenantId, query);
  const slot: Slot = slots.slots[0]!;

  const clinicKey: ClinicKeyInfo = await client.clinicKey(tenantId);
  const jwk: PublicJwk = clinicKey.jwk;
  const id: string = BookingClient.newBookingId();
  const ctx = { tenantId, bookingId: id, field: "note", schemaVersion: 1 };
  const note = Envelope.seal("text", ctx, [PublicKey.fromJwk(jwk), keyPair.publicKey()]).toString();
  const request: CreateBookingRequest = { id, providerId: provider.id, serviceId: service.id, start: slot.start, note };
  const booking: Booking = await client.createBooking(request);
  const bookingStatus: "active" | "cancelled" = booking.status;
  const sealed: string | undefined = booking.note;
  const list: BookingsResponse = await client.bookings();
  const one: Booking = await client.booking(list.bookings[0]!.id);
  const move: RescheduleRequest = { start: slot.end };
  const moved: Booking = await client.rescheduleBooking(one.id, move);
  const cancelled: Booking = await client.cancelBooking(moved.id);

  const logKey: LogKey = await client.logKey(tenantId);
  const since: AccessLogOptions = { since: 0 };
  const page: AccessLogPage = await client.accessLog(since);
  const again: AccessLogPage = await client.accessLog();
  const logged: LoggedEvent = page.events[0]!;
  const event: AccessEvent = logged.event;
  const at: number = event.at;
  const verifier = new AccessLogVerifier(logKey, null);
  const checked: VerifiedCheckpoint = verifier.verify(page);
  const stored: string = checked.trustedHead;
  const resumed = new AccessLogVerifier(logKey, stored);
  let size = 0;
  try {
    size = resumed.verify(again).size;
  } catch (error: unknown) {
    const alarming: boolean = isBizingError(error) && error.code === ErrorCode.LogTampered;
    void alarming;
  }

  try {
    await client.me();
  } catch (error: unknown) {
    if (isBizingError(error) && error.code === ErrorCode.Api) {
      const problem = error as BookingApiError;
      const type: string = problem.problemType;
      const httpStatus: number = problem.status;
      void [type, httpStatus, problem.detail, problem.retryAfter];
    } else if (isBizingError(error) && (error.code === ErrorCode.Network || error.code === ErrorCode.InvalidResponse)) {
      void error.message;
    }
  }
  await client.logout();
  client.free();

  void [kdf, first, role, left, last, bookingStatus, sealed, cancelled, logKey, again, at, size];
}

export function clientMistakes(client: BookingClient): void {
  // @ts-expect-error: the options are an object with baseUrl
  new BookingClient("https://booking.example");
  // @ts-expect-error: credentials is a fetch credentials mode
  new BookingClient({ baseUrl: "https://booking.example", credentials: "always" });
  // @ts-expect-error: a TOTP code or a recovery code, not both
  void client.verifyMfa({ code: "123456", recoveryCode: "AAAAA-AAAAA-AAAAA-AAAAA" });
  // @ts-expect-error: a booking needs providerId, serviceId and start
  void client.createBooking({ providerId: "p" });
  // @ts-expect-error: the KDF profile is one of two
  void client.register({ tenantId: "t", email: "e", name: "n", password: "p", kdfProfile: "fast" });
}
