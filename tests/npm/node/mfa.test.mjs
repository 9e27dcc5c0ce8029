// TOTP, recovery codes, the NPP acknowledgment and the PHI scanner through the package.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import { Npp, RecoveryCodes, Totp, init, scanPhi } from "@bizing/booking-sdk";

before(() => init());

/** RFC 6238 Appendix B: the SHA-1 secret "12345678901234567890", 8 digits. */
const RFC6238_URI = "otpauth://totp/Example:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example&digits=8&period=30&algorithm=SHA1";
const RFC6238 = [
  [59, "94287082"],
  [1111111109, "07081804"],
  [1111111111, "14050471"],
  [1234567890, "89005924"],
  [2000000000, "69279037"],
  [20000000000, "65353130"],
];

test("Totp.code matches RFC 6238 Appendix B (SHA-1, 8 digits)", () => {
  for (const [time, code] of RFC6238) assert.equal(Totp.code(RFC6238_URI, time), code, `T=${time}`);
});

test("Totp.enroll: secret, manual key, URI and QR code that agree", () => {
  const enrollment = Totp.enroll({ issuer: "Bizing Clinic", account: "zoe@example.com" });
  assert.match(enrollment.secret, /^[A-Z2-7]{32}$/);
  assert.equal(enrollment.manualKey.replaceAll(" ", ""), enrollment.secret);
  assert.match(enrollment.uri, /^otpauth:\/\/totp\//);
  assert.match(enrollment.qrSvg, /<svg[\s>]/);
  const info = Totp.parseUri(enrollment.uri);
  assert.deepEqual(info, { issuer: "Bizing Clinic", account: "zoe@example.com", algorithm: "SHA1", digits: 6, period: 30 });
  const now = 1_700_000_000;
  const code = Totp.code(enrollment.secret, now);
  assert.match(code, /^\d{6}$/);
  assert.equal(Totp.code(enrollment.uri, now), code);
  assert.equal(Totp.verify(enrollment.secret, code, now), Math.floor(now / 30));
  assert.equal(Totp.verify(enrollment.secret, code, now + 30), Math.floor(now / 30), "the previous step is accepted");
  assert.equal(Totp.verify(enrollment.secret, code, now + 90), undefined);
  assert.match(Totp.qrSvg("hello"), /<svg[\s>]/);
});

test("recovery codes: generate, normalize, hash, verify", () => {
  const codes = RecoveryCodes.generate();
  assert.equal(codes.length, 10);
  assert.equal(new Set(codes).size, 10);
  const [code] = codes;
  assert.equal(RecoveryCodes.normalize(code.toLowerCase().replaceAll("-", " ")), code);
  const hash = RecoveryCodes.hash(code);
  assert.match(hash, /^[0-9a-f]{64}$/);
  assert.equal(RecoveryCodes.hash(code.toLowerCase()), hash);
  assert.equal(RecoveryCodes.verify(code, hash), true);
  assert.equal(RecoveryCodes.verify(codes[1], hash), false);
  assert.equal(RecoveryCodes.generate(3).length, 3);
});

test("NPP: hash, acknowledge, needsAcknowledgment", () => {
  const notice = "Notice of Privacy Practices, version 3";
  const hash = Npp.hash(notice);
  assert.match(hash, /^[0-9a-f]{64}$/);
  assert.notEqual(Npp.hash(`${notice}.`), hash);
  const now = 1_700_000_000;
  const ack = Npp.acknowledge(notice, now, "portal");
  assert.deepEqual(ack, { versionHash: hash, acknowledgedAt: now, channel: "portal" });
  assert.equal(Npp.needsAcknowledgment(hash, null, now), true);
  assert.equal(Npp.needsAcknowledgment(hash, undefined, now), true);
  assert.equal(Npp.needsAcknowledgment(hash, ack, now + 86_400), false);
  assert.equal(Npp.needsAcknowledgment(Npp.hash("version 4"), ack, now + 86_400), true);
  assert.equal(Npp.needsAcknowledgment(hash, ack, now + 366 * 86_400), true);
});

test("scanPhi: findings with UTF-16 offsets", () => {
  const text = "🩺 Zoë: write to zoe.smith@example.com about SSN 123-45-6789.";
  const findings = scanPhi(text);
  const found = findings.map((f) => [f.kind, text.slice(f.start, f.end)]);
  assert.deepEqual(found.find(([kind]) => kind === "email"), ["email", "zoe.smith@example.com"]);
  assert.deepEqual(found.find(([kind]) => kind === "ssn"), ["ssn", "123-45-6789"]);
  for (const f of findings) assert.equal(typeof f.description, "string");
  assert.deepEqual(scanPhi("nothing to see here"), []);
});
