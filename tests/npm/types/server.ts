// Every export of the Node.js / Deno / workerd entry, used with the types a caller writes.
// Checked by `tsc --noEmit` against the installed package's declarations; never run.
import {
  ClinicKey,
  Envelope,
  ErrorCode,
  KeyPair,
  Npp,
  PasswordKeys,
  PublicKey,
  RecoveryCodes,
  Totp,
  init,
  isBizingError,
  scanPhi,
  zeroizeKeys,
} from "@bizing/booking-sdk";
import type {
  BizingError,
  EnvelopeContext,
  NppAcknowledgment,
  PhiFinding,
  RewrapChanges,
  SealOptions,
  TotpAccount,
  TotpEnrollment,
  TotpUriInfo,
} from "@bizing/booking-sdk";

export async function everything(jwkText: string, sec1: Uint8Array): Promise<void> {
  const ready: Promise<void> = init();
  await ready;

  const ctx: EnvelopeContext = { tenantId: "t", bookingId: "b", field: "note", schemaVersion: 1 };
  const options: SealOptions = { pad: false };

  const clinic: KeyPair = KeyPair.generate();
  const keyId: string = clinic.keyId;
  const zeroized: boolean = clinic.isZeroized;
  const pk: PublicKey = clinic.publicKey();
  const v2: KeyPair = clinic.withVersion(2);
  const fromJwk: PublicKey = PublicKey.fromJwk(jwkText);
  const fromObject: PublicKey = PublicKey.fromJwk(pk.toJwk());
  const fromSec1: PublicKey = PublicKey.fromSec1(sec1);
  const exported: Uint8Array = fromSec1.toSec1();
  const relabelled: PublicKey = pk.withVersion(3);
  const pkId: string = relabelled.keyId;

  const sealed: Envelope = Envelope.seal("text", ctx, [pk, fromJwk], options);
  const fromBytes: Envelope = Envelope.seal(new Uint8Array([1, 2]), ctx, [pk]);
  const wire: string = sealed.toString();
  const bytes: Uint8Array = fromBytes.toBytes();
  const text: string = Envelope.parse(wire).openText(clinic, ctx);
  const opened: Uint8Array = Envelope.fromBytes(bytes).open(clinic, ctx);
  const changes: RewrapChanges = { add: [fromObject], remove: [keyId] };
  const rewrapped: Envelope = sealed.rewrap(clinic, ctx, changes);
  const recipients: string[] = rewrapped.recipients;
  const padded: boolean = rewrapped.isPadded;

  const params: string = PasswordKeys.generateKdfParams("insecure-fast-for-tests");
  const interactive: string = PasswordKeys.generateKdfParams();
  const keys: PasswordKeys = PasswordKeys.derive("password", params);
  const authKey: string = keys.authKey;
  const byPassword: string = clinic.wrapWithPassword(keys);
  const codes: string[] = RecoveryCodes.generate(10);
  const byCode: string = clinic.wrapWithRecoveryCode(codes[0]!);
  const byKey: string = clinic.wrapTo(pk);
  const back: KeyPair[] = [
    KeyPair.unwrapWithPassword(byPassword, keys),
    KeyPair.unwrapWithRecoveryCode(byCode, codes[0]!),
    KeyPair.unwrapWithKey(byKey, clinic),
  ];

  const clinicKey: ClinicKey = ClinicKey.create();
  const next: ClinicKey = clinicKey.rotate();
  const version: number = next.version;
  const clinicId: string = next.keyId;
  const clinicPk: PublicKey = next.publicKey();
  const clinicPair: KeyPair = next.keyPair();
  const forStaff: string = next.wrapFor(pk);
  const staffCopy: ClinicKey = ClinicKey.unwrap(forStaff, clinic);

  const normalized: string = RecoveryCodes.normalize(codes[1]!);
  const hash: string = RecoveryCodes.hash(normalized);
  const matches: boolean = RecoveryCodes.verify(codes[1]!, hash);

  const account: TotpAccount = { issuer: "Bizing", account: "zoe@example.com" };
  const enrollment: TotpEnrollment = Totp.enroll(account);
  const secret: string = enrollment.secret;
  const manual: string = enrollment.manualKey;
  const svg: string = enrollment.qrSvg || Totp.qrSvg(enrollment.uri);
  const code: string = Totp.code(secret, 1_700_000_000);
  const step: number | undefined = Totp.verify(secret, code, 1_700_000_000);
  const info: TotpUriInfo = Totp.parseUri(enrollment.uri);
  const algorithm: "SHA1" | "SHA256" | "SHA512" = info.algorithm;

  const nppHash: string = Npp.hash("notice");
  const ack: NppAcknowledgment = Npp.acknowledge("notice", 1_700_000_000, "portal");
  const channel: "portal" | "widget" = ack.channel;
  const due: boolean = Npp.needsAcknowledgment(nppHash, ack, 1_700_000_000) || Npp.needsAcknowledgment(nppHash, null, 0);

  const findings: PhiFinding[] = scanPhi("call 555-0100");
  const spans: Array<[string, number, number]> = findings.map((f) => [f.kind, f.start, f.end]);
  const descriptions: string[] = findings.map((f) => f.description);

  const wiped: number = zeroizeKeys();
  clinic.zeroize();
  sealed.free();
  {
    using disposable = KeyPair.generate();
    void disposable.keyId;
  }

  try {
    Envelope.parse(wire).openText(clinic, ctx);
  } catch (error: unknown) {
    if (isBizingError(error)) {
      const e: BizingError = error;
      const code: ErrorCode = e.code;
      const name: "BizingError" = e.name;
      if (code === ErrorCode.DecryptionFailed || code === ErrorCode.KeyZeroized) void name;
    }
  }

  void [zeroized, v2, exported, pkId, text, opened, recipients, padded, interactive, authKey, back, version, clinicId];
  void [clinicPk, clinicPair, staffCopy, matches, manual, svg, step, algorithm, channel, due, spans, descriptions, wiped];
}

export function mistakes(pk: PublicKey, pair: KeyPair, ctx: EnvelopeContext): void {
  // @ts-expect-error: plaintext is a string or bytes
  Envelope.seal(42, ctx, [pk]);
  // @ts-expect-error: the context needs every field
  Envelope.seal("x", { tenantId: "t", bookingId: "b", field: "note" }, [pk]);
  // @ts-expect-error: recipients are PublicKeys, not key pairs' ids
  Envelope.seal("x", ctx, ["v1.abc"]);
  // @ts-expect-error: a plain object is not a PublicKey
  Envelope.seal("x", ctx, [{ keyId: "v1.abc" }]);
  // @ts-expect-error: opening takes the key pair, not the public key
  Envelope.parse("bze1.x").openText(pk, ctx);
  // @ts-expect-error: pad is a boolean
  Envelope.seal("x", ctx, [pk], { pad: "yes" });
  // @ts-expect-error: constructors are private; use the static factories
  new KeyPair();
  // @ts-expect-error: remove takes key ids
  Envelope.parse("bze1.x").rewrap(pair, ctx, { remove: [pk] });
  // @ts-expect-error: ErrorCode members are fixed
  void ErrorCode.NoSuchCode;
}
