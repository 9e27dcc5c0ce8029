// Envelopes sealed in one runtime and opened in another. Runtime-neutral: it gets the SDK
// module as an argument, so Node, Deno, workerd and Chromium share it.
//
// The sealing runtime generates the recipient key pairs and hands over their private
// halves only wrapped: one under a password (Argon2id with the fast test profile), one under
// a recovery code. The opener unwraps them and opens the envelopes.

const encoder = new TextEncoder();

function toBase64(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** What `runtime` seals: non-ASCII on purpose, so UTF-8 handling is checked too. */
export function plaintextOf(runtime) {
  return `Sealed in ${runtime}: Zoë's note — allergies: none ✓ 🩺`;
}

/** Seals a text and a bytes envelope in this runtime; returns the JSON-safe fixture. */
export function sealFixture(sdk, runtime) {
  const { Envelope, KeyPair, PasswordKeys, RecoveryCodes } = sdk;
  const kdfParams = PasswordKeys.generateKdfParams("insecure-fast-for-tests");
  const password = `correct horse battery staple (${runtime})`;
  const [recoveryCode] = RecoveryCodes.generate(1);
  const primary = KeyPair.generate();
  const secondary = KeyPair.generate().withVersion(3);
  const ctx = { tenantId: `tenant-${runtime}`, bookingId: "booking-7", field: "note", schemaVersion: 2 };
  const plaintext = plaintextOf(runtime);
  const bytes = encoder.encode(`${plaintext} (bytes)`);
  return {
    runtime,
    ctx,
    plaintext,
    kdfParams,
    password,
    recoveryCode,
    primaryKeyId: primary.keyId,
    secondaryKeyId: secondary.keyId,
    primaryJwk: primary.publicKey().toJwk(),
    secondarySec1: toBase64(secondary.publicKey().toSec1()),
    wrappedPrimary: primary.wrapWithPassword(PasswordKeys.derive(password, kdfParams)),
    wrappedSecondary: secondary.wrapWithRecoveryCode(recoveryCode),
    envelope: Envelope.seal(plaintext, ctx, [primary.publicKey(), secondary.publicKey()]).toString(),
    envelopeBytes: toBase64(Envelope.seal(bytes, ctx, [primary.publicKey()], { pad: false }).toBytes()),
    plaintextBytes: toBase64(bytes),
  };
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/**
 * Opens a fixture sealed elsewhere, checking everything it carries; throws on the first
 * mismatch. Returns the number of checks made.
 */
export function openFixture(sdk, fixture) {
  const { Envelope, ErrorCode, KeyPair, PasswordKeys, PublicKey } = sdk;
  const from = `sealed in ${fixture.runtime}`;
  let checks = 0;
  const expect = (condition, message) => {
    check(condition, `${from}: ${message}`);
    checks += 1;
  };

  const keys = PasswordKeys.derive(fixture.password, fixture.kdfParams);
  const primary = KeyPair.unwrapWithPassword(fixture.wrappedPrimary, keys);
  expect(primary.keyId === fixture.primaryKeyId, `password-unwrapped key id ${primary.keyId} != ${fixture.primaryKeyId}`);
  const secondary = KeyPair.unwrapWithRecoveryCode(fixture.wrappedSecondary, fixture.recoveryCode);
  expect(secondary.keyId === fixture.secondaryKeyId, `recovery-unwrapped key id ${secondary.keyId} != ${fixture.secondaryKeyId}`);
  expect(PublicKey.fromJwk(fixture.primaryJwk).keyId === fixture.primaryKeyId, "the JWK's key id differs");
  const sec1 = PublicKey.fromSec1(fromBase64(fixture.secondarySec1)).withVersion(3);
  expect(sec1.keyId === fixture.secondaryKeyId, "the SEC1 key's id differs");

  const envelope = Envelope.parse(fixture.envelope);
  expect(
    JSON.stringify(envelope.recipients) === JSON.stringify([fixture.primaryKeyId, fixture.secondaryKeyId]),
    `recipients ${envelope.recipients}`,
  );
  expect(envelope.openText(primary, fixture.ctx) === fixture.plaintext, "the text opened with the password key differs");
  expect(envelope.openText(secondary, fixture.ctx) === fixture.plaintext, "the text opened with the recovery key differs");

  const opened = Envelope.fromBytes(fromBase64(fixture.envelopeBytes)).open(primary, fixture.ctx);
  expect(toBase64(opened) === fixture.plaintextBytes, "the bytes envelope opened to different bytes");

  let code;
  try {
    envelope.openText(primary, { ...fixture.ctx, bookingId: "another-booking" });
  } catch (error) {
    code = error.code;
  }
  expect(code === ErrorCode.DecryptionFailed, `opening under another context gave code ${code}, not DecryptionFailed`);
  return checks;
}
