// Bad input through the JavaScript API: each call throws a BizingError with the expected code,
// and the module keeps working afterwards (a full seal/open after every error).
import { before, test } from "node:test";

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
  scanPhi,
} from "@bizing/booking-sdk";

import { ctx, stillWorks, throwsCode } from "./helpers.mjs";

const { InvalidArgument, InvalidKey, Malformed, InvalidRecoveryCode, InvalidKdfParams, InvalidOtpauth } = ErrorCode;

let key;
let pk;
let sealed;
let wire;
let bytes;
let keys;

before(async () => {
  await init();
  key = KeyPair.generate();
  pk = key.publicKey();
  sealed = Envelope.seal("note", ctx, [pk]);
  wire = sealed.toString();
  bytes = sealed.toBytes();
  keys = PasswordKeys.derive("pw pw pw", PasswordKeys.generateKdfParams("insecure-fast-for-tests"));
});

/** [name, call, expected code, todo reason?] */
const cases = [
  // Envelope.seal: plaintext, context, recipients, options.
  ["seal: number plaintext", () => Envelope.seal(42, ctx, [pk]), InvalidArgument],
  ["seal: null plaintext", () => Envelope.seal(null, ctx, [pk]), InvalidArgument],
  ["seal: undefined plaintext", () => Envelope.seal(undefined, ctx, [pk]), InvalidArgument],
  ["seal: object plaintext", () => Envelope.seal({ text: "x" }, ctx, [pk]), InvalidArgument],
  ["seal: array plaintext", () => Envelope.seal([1, 2, 3], ctx, [pk]), InvalidArgument],
  ["seal: null context", () => Envelope.seal("x", null, [pk]), InvalidArgument],
  ["seal: undefined context", () => Envelope.seal("x", undefined, [pk]), InvalidArgument],
  ["seal: string context", () => Envelope.seal("x", "tenant-1", [pk]), InvalidArgument],
  ["seal: context without tenantId", () => Envelope.seal("x", { ...ctx, tenantId: undefined }, [pk]), InvalidArgument],
  ["seal: context without bookingId", () => Envelope.seal("x", { tenantId: "t", field: "f", schemaVersion: 1 }, [pk]), InvalidArgument],
  ["seal: context without field", () => Envelope.seal("x", { ...ctx, field: null }, [pk]), InvalidArgument],
  ["seal: context without schemaVersion", () => Envelope.seal("x", { tenantId: "t", bookingId: "b", field: "f" }, [pk]), InvalidArgument],
  ["seal: numeric tenantId", () => Envelope.seal("x", { ...ctx, tenantId: 7 }, [pk]), InvalidArgument],
  ["seal: string schemaVersion", () => Envelope.seal("x", { ...ctx, schemaVersion: "1" }, [pk]), InvalidArgument],
  ["seal: negative schemaVersion", () => Envelope.seal("x", { ...ctx, schemaVersion: -1 }, [pk]), InvalidArgument],
  ["seal: fractional schemaVersion", () => Envelope.seal("x", { ...ctx, schemaVersion: 1.5 }, [pk]), InvalidArgument],
  ["seal: schemaVersion above u32", () => Envelope.seal("x", { ...ctx, schemaVersion: 2 ** 32 }, [pk]), InvalidArgument],
  ["seal: NaN schemaVersion", () => Envelope.seal("x", { ...ctx, schemaVersion: NaN }, [pk]), InvalidArgument],
  ["seal: recipients not an array", () => Envelope.seal("x", ctx, pk), InvalidArgument],
  ["seal: null recipients", () => Envelope.seal("x", ctx, null), InvalidArgument],
  ["seal: recipient null", () => Envelope.seal("x", ctx, [null]), InvalidArgument],
  ["seal: recipient number", () => Envelope.seal("x", ctx, [42]), InvalidArgument],
  ["seal: recipient plain object", () => Envelope.seal("x", ctx, [{}]), InvalidArgument],
  ["seal: recipient is a KeyPair", () => Envelope.seal("x", ctx, [key]), InvalidArgument],
  ["seal: recipient is a JWK", () => Envelope.seal("x", ctx, [pk.toJwk()]), InvalidArgument],
  [
    "seal: recipient look-alike with another key id",
    () => Envelope.seal("x", ctx, [{ toSec1: () => pk.toSec1(), keyId: KeyPair.generate().keyId }]),
    InvalidArgument,
  ],
  [
    "seal: recipient look-alike with an invalid point",
    () => Envelope.seal("x", ctx, [{ toSec1: () => new Uint8Array(65), keyId: pk.keyId }]),
    InvalidArgument,
  ],
  ["seal: options.pad not a boolean", () => Envelope.seal("x", ctx, [pk], { pad: "yes" }), InvalidArgument],
  // Opening: key and context.
  ["openText: plain object as key", () => sealed.openText({}, ctx), InvalidArgument],
  ["openText: null key", () => sealed.openText(null, ctx), InvalidArgument],
  ["openText: PublicKey as key", () => sealed.openText(pk, ctx), InvalidArgument],
  ["open: undefined key", () => sealed.open(undefined, ctx), InvalidArgument],
  ["openText: missing context", () => sealed.openText(key), InvalidArgument],
  ["openText: context without field", () => sealed.openText(key, { ...ctx, field: undefined }), InvalidArgument],
  ["rewrap: null changes", () => sealed.rewrap(key, ctx, null), InvalidArgument],
  ["rewrap: add not an array", () => sealed.rewrap(key, ctx, { add: pk }), InvalidArgument],
  ["rewrap: add a plain object", () => sealed.rewrap(key, ctx, { add: [{}] }), InvalidArgument],
  ["rewrap: remove a number", () => sealed.rewrap(key, ctx, { remove: [1] }), InvalidArgument],
  ["rewrap: remove a bad key id", () => sealed.rewrap(key, ctx, { remove: ["not-a-key-id"] }), InvalidKey],
  ["rewrap: plain object as key", () => sealed.rewrap({}, ctx, {}), InvalidArgument],
  // Parsing envelopes.
  ["parse: empty", () => Envelope.parse(""), Malformed],
  ["parse: prefix only", () => Envelope.parse("bze1."), Malformed],
  ["parse: garbage", () => Envelope.parse("hello world"), Malformed],
  ["parse: not base64url", () => Envelope.parse(`bze1.${"!".repeat(80)}`), Malformed],
  ["parse: truncated", () => Envelope.parse(wire.slice(0, wire.length - 20)), Malformed],
  ["parse: cut in the header", () => Envelope.parse(wire.slice(0, 12)), Malformed],
  ["parse: trailing data", () => Envelope.parse(`${wire}AAAA`), Malformed],
  ["parse: whitespace around", () => Envelope.parse(` ${wire}\n`), Malformed],
  ["parse: another prefix", () => Envelope.parse(wire.replace(/^bze1/, "bzk1")), Malformed],
  ["parse: number", () => Envelope.parse(42), InvalidArgument],
  ["parse: null", () => Envelope.parse(null), InvalidArgument],
  ["parse: undefined", () => Envelope.parse(undefined), InvalidArgument],
  ["parse: object", () => Envelope.parse({}), InvalidArgument],
  ["fromBytes: empty", () => Envelope.fromBytes(new Uint8Array(0)), Malformed],
  ["fromBytes: truncated", () => Envelope.fromBytes(bytes.subarray(0, bytes.length - 1)), Malformed],
  ["fromBytes: header only", () => Envelope.fromBytes(bytes.subarray(0, 8)), Malformed],
  ["fromBytes: trailing byte", () => Envelope.fromBytes(Uint8Array.from([...bytes, 0])), Malformed],
  ["fromBytes: random bytes", () => Envelope.fromBytes(Uint8Array.from({ length: 300 }, (_, i) => (i * 37 + 11) % 256)), Malformed],
  ["fromBytes: the text form's bytes", () => Envelope.fromBytes(new TextEncoder().encode(wire)), Malformed],
  ["fromBytes: null", () => Envelope.fromBytes(null), InvalidArgument],
  // Keys.
  ["fromSec1: null", () => PublicKey.fromSec1(null), InvalidArgument],
  ["fromSec1: wrong length", () => PublicKey.fromSec1(new Uint8Array(64)), InvalidKey],
  ["fromJwk: number", () => PublicKey.fromJwk(42), InvalidKey],
  ["fromJwk: null", () => PublicKey.fromJwk(null), InvalidKey],
  ["fromJwk: bad JSON text", () => PublicKey.fromJwk("{"), InvalidKey],
  ["wrapTo: plain object", () => key.wrapTo({}), InvalidArgument],
  ["wrapTo: null", () => key.wrapTo(null), InvalidArgument],
  ["wrapTo: KeyPair instead of PublicKey", () => key.wrapTo(key), InvalidArgument],
  ["wrapWithPassword: string", () => key.wrapWithPassword("password"), InvalidArgument],
  ["wrapWithPassword: plain object", () => key.wrapWithPassword({ authKey: "x" }), InvalidArgument],
  ["wrapFor: plain object", () => ClinicKey.create().wrapFor({}), InvalidArgument],
  ["ClinicKey.unwrap: plain object as staff key", () => ClinicKey.unwrap("bzk1.x", {}), InvalidArgument],
  ["unwrapWithKey: garbage", () => KeyPair.unwrapWithKey("bzk1.garbage", key), Malformed],
  ["unwrapWithPassword: PublicKey as keys", () => KeyPair.unwrapWithPassword("bzk1.x", pk), InvalidArgument],
  ["unwrapWithKey: number", () => KeyPair.unwrapWithKey(1, key), InvalidArgument],
  ["withVersion: negative", () => key.withVersion(-1), InvalidArgument],
  // Passwords and recovery codes.
  ["derive: empty password", () => PasswordKeys.derive("", PasswordKeys.generateKdfParams("insecure-fast-for-tests")), InvalidKdfParams],
  ["derive: bad params", () => PasswordKeys.derive("pw", "argon2id$junk"), InvalidKdfParams],
  ["derive: numbers", () => PasswordKeys.derive(1, 2), InvalidArgument],
  ["generateKdfParams: unknown profile", () => PasswordKeys.generateKdfParams("quick"), InvalidArgument],
  ["generateKdfParams: number", () => PasswordKeys.generateKdfParams(1), InvalidArgument],
  ["wrapWithRecoveryCode: bad code", () => key.wrapWithRecoveryCode("1234"), InvalidRecoveryCode],
  ["wrapWithRecoveryCode: number", () => key.wrapWithRecoveryCode(1234), InvalidArgument],
  ["unwrapWithRecoveryCode: bad code", () => KeyPair.unwrapWithRecoveryCode("bzk1.x", "ABCDE"), InvalidRecoveryCode],
  ["RecoveryCodes.normalize: bad code", () => RecoveryCodes.normalize("nope"), InvalidRecoveryCode],
  ["RecoveryCodes.hash: bad code", () => RecoveryCodes.hash("nope"), InvalidRecoveryCode],
  ["RecoveryCodes.verify: bad hash", () => RecoveryCodes.verify(RecoveryCodes.generate(1)[0], "abc"), InvalidArgument],
  ["RecoveryCodes.generate: 0", () => RecoveryCodes.generate(0), InvalidArgument],
  ["RecoveryCodes.generate: 1000", () => RecoveryCodes.generate(1000), InvalidArgument],
  // TOTP, NPP, PHI.
  ["Totp.code: bad base32", () => Totp.code("!!!!", 0), InvalidOtpauth],
  ["Totp.code: short secret", () => Totp.code("JBSWY3DP", 0), InvalidOtpauth],
  ["Totp.code: negative time", () => Totp.code("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", -1), InvalidArgument],
  ["Totp.code: NaN time", () => Totp.code("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", NaN), InvalidArgument],
  ["Totp.parseUri: not a URI", () => Totp.parseUri("https://example.com"), InvalidOtpauth],
  ["Totp.parseUri: hotp", () => Totp.parseUri("otpauth://hotp/A:b?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&counter=1"), InvalidOtpauth],
  ["Totp.enroll: no issuer", () => Totp.enroll({ account: "a@example.com" }), InvalidArgument],
  ["Totp.enroll: null", () => Totp.enroll(null), InvalidArgument],
  ["Npp.acknowledge: bad channel", () => Npp.acknowledge("notice", 1_700_000_000, "email"), InvalidArgument],
  ["Npp.needsAcknowledgment: bad hash", () => Npp.needsAcknowledgment("abc", null, 1_700_000_000), InvalidArgument],
  ["Npp.needsAcknowledgment: bad record", () => Npp.needsAcknowledgment(Npp.hash("n"), { versionHash: 1 }, 1), InvalidArgument],
  ["scanPhi: number", () => scanPhi(42), InvalidArgument],
  ["scanPhi: null", () => scanPhi(null), InvalidArgument],
];

for (const [name, call, code, todo] of cases) {
  test(`${name} → ${ErrorCode[code]}, then still works`, { todo }, () => {
    try {
      throwsCode(call, code);
    } finally {
      stillWorks();
    }
  });
}
