// BookingClient's staff-console calls and the ClinicKeyring with the types a caller writes.
// Checked by `tsc --noEmit` against the installed package; never run.
import { BookingClient, ClinicKeyring, ErrorCode, isBizingError } from "@bizing/booking-sdk";
import type {
  AddClinicKeyShares,
  Booking,
  ClinicKeyInfo,
  ClinicKeyRotation,
  ClinicKeyShare,
  Correction,
  CorrectionsResponse,
  EnvelopeContext,
  KeyPair,
  MyClinicKey,
  MyClinicKeysResponse,
  NppNotice,
  PublishClinicKey,
  PublishNpp,
  RewrapOutcome,
  StaffKeysResponse,
  StaffMember,
  StaffRole,
} from "@bizing/booking-sdk";

export async function staff(client: BookingClient, keyPair: KeyPair, booking: Booking): Promise<void> {
  const { staff }: StaffKeysResponse = await client.staffKeys();
  const member: StaffMember | undefined = staff[0];
  const role: StaffRole | undefined = member?.role;
  const held: number[] = member?.clinicKeyVersions ?? [];

  const mine: MyClinicKeysResponse = await client.myClinicKeys();
  const copy: MyClinicKey | undefined = mine.keys[0];
  const current: boolean = copy?.current ?? false;

  const keyring: ClinicKeyring = await client.unlockClinicKeys(keyPair);
  const same: ClinicKeyring = ClinicKeyring.unlock(mine, keyPair);
  const versions: number[] = keyring.versions();
  const currentVersion: number | undefined = keyring.currentVersion;
  const ctx: EnvelopeContext = { tenantId: booking.tenantId, bookingId: booking.id, field: "note", schemaVersion: 1 };
  const text: string = keyring.openNote(booking.note ?? "", ctx);
  const note: string | undefined = keyring.openBookingNote(booking);
  try {
    keyring.openNote("bze1.AAAA", ctx);
  } catch (e) {
    if (isBizingError(e) && e.code === ErrorCode.NotARecipient) {
      // sealed to a version this keyring lacks
    }
  }

  const shared: number[] = await client.shareClinicKeys(keyring, "user-id");
  const rotation: ClinicKeyRotation = await client.rotateClinicKey("demo-clinic", keyring);
  const outcome: RewrapOutcome = rotation.rewrap;
  const sharedWith: string[] = rotation.sharedWith;
  const rewrapFailed: boolean = rotation.rewrapError !== undefined;
  const finished: RewrapOutcome = await client.rewrapStaleWithKeyring("demo-clinic", await client.unlockClinicKeys(keyPair));

  const share: ClinicKeyShare = { userId: "user-id", wrappedKey: "bzk1.…" };
  const publish: PublishClinicKey = { version: 2, publicKey: "BASE64URL", shares: [share] };
  const published: ClinicKeyInfo = await client.publishClinicKey(publish);
  const add: AddClinicKeyShares = { version: published.version, shares: [share] };
  await client.addClinicKeyShares(add);

  const npp: PublishNpp = { text: "Our notice of privacy practices…" };
  const notice: NppNotice = await client.publishNpp(npp);

  const { corrections }: CorrectionsResponse = await client.corrections();
  const id = corrections[0]?.id ?? "id";
  const extended: Correction = await client.extendCorrection(id, "We need the lab's records first.");
  const denied: Correction = await client.denyCorrection(id, "The record is accurate as written.");
  const accepted: Correction = await client.acceptCorrection(id);

  keyring.zeroize();
  same.zeroize();
  const gone: boolean = keyring.isZeroized;
  void [role, held, current, versions, currentVersion, text, note, shared, outcome, sharedWith, rewrapFailed];
  void [finished, notice, extended, denied, accepted, gone];
}
