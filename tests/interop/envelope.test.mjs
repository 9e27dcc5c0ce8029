// Independent implementation of the bizing envelope format, version 1 (`bze1`),
// written from docs/envelope-format.md alone, and checked against the frozen vectors in
// crates/core/tests/data/envelope_vectors.json.
//
// HPKE: @hpke/core (RFC 9180, Base mode, DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-256-GCM).
// HKDF / HMAC / SHA-256 / AES-256-GCM: WebCrypto (globalThis.crypto.subtle).
//
// Run: npm install && node --test

import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  Aes256Gcm,
  CipherSuite,
  DhkemP256HkdfSha256,
  HkdfSha256,
} from "@hpke/core";

const subtle = globalThis.crypto.subtle;
const suite = new CipherSuite({
  kem: new DhkemP256HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Aes256Gcm(),
});

// ---------------------------------------------------------------------------------------
// Constants from the spec
// ---------------------------------------------------------------------------------------

const MAGIC = Uint8Array.of(0x42, 0x5a, 0x45); // "BZE"
const VERSION = 1;
const SUITE_ID = 0x0001;
const FLAG_PADDED = 0x01;
const MESSAGE_ID_LEN = 32;
const PREFIX_LEN = 39; // magic(3) version(1) suite(2) flags(1) message_id(32)
const KID_LEN = 20;
const ENC_LEN = 65;
const WRAPPED_DEK_LEN = 48;
const ENTRY_LEN = KID_LEN + ENC_LEN + WRAPPED_DEK_LEN; // 133
const COMMITMENT_LEN = 32;
const TAG_LEN = 16;
const DEK_LEN = 32;
const MAX_RECIPIENTS = 16;
const MAX_PLAINTEXT = 16 * 1024 * 1024;
const TEXT_PREFIX = "bze1.";

const enc8 = new TextEncoder();
const utf8 = (s) => enc8.encode(s);
const LABEL_KEY_ID = utf8("bizing key id v1");
const LABEL_CONTENT_KEY = utf8("bizing envelope v1 content key");
const LABEL_NONCE = utf8("bizing envelope v1 nonce");
const LABEL_COMMITMENT = utf8("bizing envelope v1 commitment");
const HPKE_INFO = utf8("bizing envelope v1 dek");

// ---------------------------------------------------------------------------------------
// Errors: the spec distinguishes exactly three kinds.
// ---------------------------------------------------------------------------------------

class FormatError extends Error {
  constructor(detail) {
    super(`malformed envelope: ${detail}`);
    this.name = "FormatError";
  }
}
class NotRecipientError extends Error {
  constructor() {
    super("not a recipient");
    this.name = "NotRecipientError";
  }
}
class OpenError extends Error {
  // One opaque error for steps 3-5 (and, in this implementation, 6).
  constructor() {
    super("could not be opened");
    this.name = "OpenError";
  }
}

// ---------------------------------------------------------------------------------------
// Byte helpers
// ---------------------------------------------------------------------------------------

const hex = (h) => new Uint8Array(Buffer.from(h, "hex"));
const toHex = (b) => Buffer.from(b).toString("hex");
const b64url = (b) => Buffer.from(b).toString("base64url"); // Node emits no padding

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
function u16(n) {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`u16 out of range: ${n}`);
  return Uint8Array.of(n >>> 8, n & 0xff);
}
function u32(n) {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`u32 out of range: ${n}`);
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}
const readU16 = (b, o) => (b[o] << 8) | b[o + 1];
const readU32 = (b, o) => ((b[o] << 24) >>> 0) + (b[o + 1] << 16) + (b[o + 2] << 8) + b[o + 3];

function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
function constantTimeEqual(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
const randomBytes = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n));

// ---------------------------------------------------------------------------------------
// Text form: "bze1." || base64url without padding (RFC 4648 §5)
// ---------------------------------------------------------------------------------------

function encodeText(bytes) {
  return TEXT_PREFIX + b64url(bytes);
}
function decodeText(text) {
  if (typeof text !== "string" || !text.startsWith(TEXT_PREFIX)) {
    throw new FormatError("text form must start with bze1.");
  }
  const body = text.slice(TEXT_PREFIX.length);
  // Node's base64url decoder is lenient (skips junk, accepts '='), so be strict here.
  if (!/^[A-Za-z0-9_-]*$/.test(body) || body.length % 4 === 1) {
    throw new FormatError("not unpadded base64url");
  }
  const bytes = new Uint8Array(Buffer.from(body, "base64url"));
  if (b64url(bytes) !== body) throw new FormatError("non-canonical base64url");
  return bytes;
}

// ---------------------------------------------------------------------------------------
// Context
// ---------------------------------------------------------------------------------------

function encodeContext({ tenant_id, booking_id, field, schema_version }) {
  const parts = [];
  for (const s of [tenant_id, booking_id, field]) {
    if (typeof s !== "string") throw new TypeError("context strings must be strings");
    const b = utf8(s);
    parts.push(u16(b.length), b); // u16 throws above 65,535 bytes
  }
  parts.push(u32(schema_version));
  return concat(...parts);
}

// ---------------------------------------------------------------------------------------
// Key ids
// ---------------------------------------------------------------------------------------

async function fingerprint(publicSec1) {
  if (publicSec1.length !== 65 || publicSec1[0] !== 0x04) {
    throw new TypeError("public key must be uncompressed SEC1");
  }
  const h = new Uint8Array(await subtle.digest("SHA-256", concat(LABEL_KEY_ID, publicSec1)));
  return h.subarray(0, 16);
}
async function keyId(version, publicSec1) {
  return concat(u32(version), await fingerprint(publicSec1));
}
function keyIdText(kid) {
  assert.equal(kid.length, KID_LEN);
  return `v${readU32(kid, 0)}.${b64url(kid.subarray(4))}`;
}
function parseKeyIdText(text) {
  const m = /^v([1-9][0-9]{0,9})\.([A-Za-z0-9_-]{22})$/.exec(text);
  if (!m) throw new FormatError(`bad key id text ${text}`);
  const fp = new Uint8Array(Buffer.from(m[2], "base64url"));
  if (fp.length !== 16 || b64url(fp) !== m[2]) throw new FormatError(`bad key id text ${text}`);
  return concat(u32(Number(m[1])), fp);
}

// ---------------------------------------------------------------------------------------
// Derivations (HKDF-SHA256 via WebCrypto; the manual single-block HMAC form is checked
// against it in a test).
// ---------------------------------------------------------------------------------------

async function derive(dek, messageId) {
  const ikm = await subtle.importKey("raw", dek, "HKDF", false, ["deriveBits"]);
  const expand = async (info, len) =>
    new Uint8Array(
      await subtle.deriveBits(
        { name: "HKDF", hash: "SHA-256", salt: messageId, info },
        ikm,
        len * 8,
      ),
    );
  return {
    contentKey: await expand(LABEL_CONTENT_KEY, 32),
    nonce: await expand(LABEL_NONCE, 12),
    commitmentKey: await expand(LABEL_COMMITMENT, 32),
  };
}

async function hmacSha256(key, data) {
  const k = await subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await subtle.sign("HMAC", k, data));
}
// The spec's parenthetical: Extract = HMAC(salt, IKM); Expand = HMAC(prk, info || 0x01)[..len]
async function deriveBySpecFormula(dek, messageId) {
  const prk = await hmacSha256(messageId, dek);
  const expand = async (info, len) =>
    (await hmacSha256(prk, concat(info, Uint8Array.of(1)))).subarray(0, len);
  return {
    contentKey: await expand(LABEL_CONTENT_KEY, 32),
    nonce: await expand(LABEL_NONCE, 12),
    commitmentKey: await expand(LABEL_COMMITMENT, 32),
  };
}

/**
 * commitment = HMAC-SHA256(commitment_key, prefix || recipient_table || ctx), where
 * prefix || recipient_table = envelope bytes 0 .. 40+133n (u8(n) then every entry in order).
 */
async function computeCommitment(commitmentKey, header, ctx) {
  return hmacSha256(commitmentKey, concat(header, ctx));
}

async function aesGcm(op, key, nonce, aad, data) {
  const k = await subtle.importKey("raw", key, { name: "AES-GCM" }, false, [op]);
  const params = { name: "AES-GCM", iv: nonce, additionalData: aad, tagLength: 128 };
  return new Uint8Array(await subtle[op](params, k, data));
}

// ---------------------------------------------------------------------------------------
// PADME
// ---------------------------------------------------------------------------------------

function padme(L) {
  if (!Number.isInteger(L) || L < 0) throw new RangeError("padme of a non-negative integer");
  if (L < 2) return L;
  const E = Math.floor(Math.log2(L));
  const S = Math.floor(Math.log2(E)) + 1;
  const z = E - S;
  const mask = 2 ** z - 1;
  // (L + mask) & ~mask, without 32-bit JS bit operators (L may exceed 2^31).
  return Math.floor((L + mask) / 2 ** z) * 2 ** z;
}

function padBody(plaintext) {
  const total = padme(4 + plaintext.length);
  const body = new Uint8Array(total); // zero-filled
  body.set(u32(plaintext.length), 0);
  body.set(plaintext, 4);
  return body;
}
function unpadBody(body) {
  if (body.length < 4) throw new Error("padded body shorter than its length field");
  const m = readU32(body, 0);
  if (m > body.length - 4) throw new Error("length field exceeds body");
  for (let i = 4 + m; i < body.length; i++) if (body[i] !== 0) throw new Error("nonzero padding");
  if (body.length !== padme(4 + m)) throw new Error("body length is not padme(4 + m)");
  return body.slice(4, 4 + m);
}

// ---------------------------------------------------------------------------------------
// Parsing (Opening, step 1)
// ---------------------------------------------------------------------------------------

function parseEnvelope(bytes) {
  const fixed = PREFIX_LEN + 1;
  if (bytes.length < fixed) throw new FormatError("truncated header");
  if (!bytesEqual(bytes.subarray(0, 3), MAGIC)) throw new FormatError("bad magic");
  if (bytes[3] !== VERSION) throw new FormatError(`unknown version ${bytes[3]}`);
  if (readU16(bytes, 4) !== SUITE_ID) throw new FormatError(`unknown suite ${readU16(bytes, 4)}`);
  const flags = bytes[6];
  if (flags & ~FLAG_PADDED & 0xff) throw new FormatError(`unknown flags ${flags}`);
  const n = bytes[PREFIX_LEN];
  if (n < 1 || n > MAX_RECIPIENTS) throw new FormatError(`recipient count ${n} outside 1..=16`);
  const headerEnd = fixed + ENTRY_LEN * n + COMMITMENT_LEN + 4;
  if (bytes.length < headerEnd) throw new FormatError("truncated recipients/commitment");
  const entries = [];
  const seen = new Set();
  for (let i = 0; i < n; i++) {
    const o = fixed + ENTRY_LEN * i;
    const kid = bytes.subarray(o, o + KID_LEN);
    const k = toHex(kid);
    if (seen.has(k)) throw new FormatError("duplicate key id");
    seen.add(k);
    entries.push({
      offset: o,
      kid,
      enc: bytes.subarray(o + KID_LEN, o + KID_LEN + ENC_LEN),
      wrappedDek: bytes.subarray(o + KID_LEN + ENC_LEN, o + ENTRY_LEN),
    });
  }
  const commitmentOffset = fixed + ENTRY_LEN * n;
  const contentLenOffset = commitmentOffset + COMMITMENT_LEN;
  const contentLen = readU32(bytes, contentLenOffset);
  if (contentLen < TAG_LEN) throw new FormatError("content_len < 16");
  const contentOffset = contentLenOffset + 4;
  if (bytes.length < contentOffset + contentLen) throw new FormatError("truncated content");
  if (bytes.length > contentOffset + contentLen) throw new FormatError("trailing bytes");
  return {
    bytes,
    prefix: bytes.subarray(0, PREFIX_LEN),
    header: bytes.subarray(0, commitmentOffset), // prefix || u8(n) || entries
    flags,
    padded: (flags & FLAG_PADDED) !== 0,
    messageId: bytes.subarray(7, PREFIX_LEN),
    n,
    entries,
    commitment: bytes.subarray(commitmentOffset, contentLenOffset),
    contentLen,
    content: bytes.subarray(contentOffset),
    offsets: { n: PREFIX_LEN, commitment: commitmentOffset, contentLen: contentLenOffset, content: contentOffset },
  };
}

// ---------------------------------------------------------------------------------------
// Opening (steps 2-6)
// ---------------------------------------------------------------------------------------

/** opener = { kid: Uint8Array(20), privateKey: CryptoKey } */
function findEntry(env, opener) {
  const entry = env.entries.find((e) => bytesEqual(e.kid, opener.kid));
  if (!entry) throw new NotRecipientError();
  return entry;
}

// Step 3: HPKE-open the data key. Throws on any failure.
async function unwrapDek(env, entry, ctx, privateKey) {
  const aad = concat(env.prefix, entry.kid, ctx);
  const dek = new Uint8Array(
    await suite.open({ recipientKey: privateKey, enc: entry.enc, info: HPKE_INFO }, entry.wrappedDek, aad),
  );
  if (dek.length !== DEK_LEN) throw new Error("data key is not 32 bytes");
  return dek;
}

// Steps 3-4: HPKE-open the data key and check the commitment before any decryption.
async function recoverDek(env, entry, ctx, privateKey) {
  const dek = await unwrapDek(env, entry, ctx, privateKey);
  const derived = await derive(dek, env.messageId);
  const expected = await computeCommitment(derived.commitmentKey, env.header, ctx);
  if (!constantTimeEqual(expected, env.commitment)) throw new Error("commitment mismatch");
  return { dek, derived };
}

/** Full open per the spec (steps 1-6); returns internals too so tests can inspect the body. */
async function openDetailed(text, context, opener) {
  const env = parseEnvelope(decodeText(text)); // FormatError
  const entry = findEntry(env, opener); // NotRecipientError
  const ctx = encodeContext(context);
  try {
    const { dek, derived } = await recoverDek(env, entry, ctx, opener.privateKey);
    const body = await aesGcm("decrypt", derived.contentKey, derived.nonce, concat(env.prefix, ctx), env.content);
    const plaintext = env.padded ? unpadBody(body) : body;
    return { plaintext, body, dek, derived, env };
  } catch {
    throw new OpenError();
  }
}

async function openEnvelope(text, context, opener) {
  return (await openDetailed(text, context, opener)).plaintext;
}

// ---------------------------------------------------------------------------------------
// Sealing and rewrapping
// ---------------------------------------------------------------------------------------

/** recipient = { publicSec1: Uint8Array(65), version: number } */
async function wrapEntry(prefix, ctx, dek, recipient) {
  const kid = await keyId(recipient.version, recipient.publicSec1);
  const pk = await suite.kem.deserializePublicKey(recipient.publicSec1);
  const aad = concat(prefix, kid, ctx);
  const { ct, enc } = await suite.seal({ recipientPublicKey: pk, info: HPKE_INFO }, dek, aad);
  const encB = new Uint8Array(enc);
  const ctB = new Uint8Array(ct);
  assert.equal(encB.length, ENC_LEN);
  assert.equal(ctB.length, WRAPPED_DEK_LEN);
  return { kid, enc: encB, wrappedDek: ctB };
}

/** prefix || recipient_table || commitment || content_len || content, computing the commitment. */
async function assemble(prefix, entries, commitmentKey, ctx, content) {
  if (entries.length < 1 || entries.length > MAX_RECIPIENTS) throw new RangeError("1..=16 recipients");
  const kids = new Set(entries.map((e) => toHex(e.kid)));
  if (kids.size !== entries.length) throw new RangeError("duplicate recipient key id");
  const header = concat(prefix, Uint8Array.of(entries.length), ...entries.flatMap((e) => [e.kid, e.enc, e.wrappedDek]));
  const commitment = await computeCommitment(commitmentKey, header, ctx);
  return concat(header, commitment, u32(content.length), content);
}

/**
 * Seal. `options.dek`, `options.messageId` and `options.body` exist only so tests can
 * reproduce vectors and craft malformed bodies; normal use draws both fresh.
 */
async function sealEnvelope(recipients, context, plaintext, options = {}) {
  const padded = options.padded ?? true;
  if (plaintext.length > MAX_PLAINTEXT) throw new RangeError("plaintext over 16 MiB");
  const dek = options.dek ?? randomBytes(DEK_LEN);
  const messageId = options.messageId ?? randomBytes(MESSAGE_ID_LEN);
  const flags = padded ? FLAG_PADDED : 0;
  const prefix = concat(MAGIC, Uint8Array.of(VERSION), u16(SUITE_ID), Uint8Array.of(flags), messageId);
  const ctx = encodeContext(context);
  const entries = [];
  for (const r of recipients) entries.push(await wrapEntry(prefix, ctx, dek, r));
  const derived = await derive(dek, messageId);
  const body = options.body ?? (padded ? padBody(plaintext) : plaintext);
  const content = await aesGcm("encrypt", derived.contentKey, derived.nonce, concat(prefix, ctx), body);
  return encodeText(await assemble(prefix, entries, derived.commitmentKey, ctx, content));
}

/** Rewrap: open the dek (steps 2-4), keep surviving entries unchanged, append new ones, recompute the commitment. */
async function rewrapEnvelope(text, context, opener, { add = [], remove = [] }) {
  const env = parseEnvelope(decodeText(text));
  const entry = findEntry(env, opener);
  const ctx = encodeContext(context);
  let dek;
  let derived;
  try {
    ({ dek, derived } = await recoverDek(env, entry, ctx, opener.privateKey));
  } catch {
    throw new OpenError();
  }
  const survivors = env.entries.filter((e) => !remove.some((r) => bytesEqual(r, e.kid)));
  const added = [];
  for (const r of add) added.push(await wrapEntry(env.prefix, ctx, dek, r));
  return encodeText(await assemble(env.prefix, [...survivors, ...added], derived.commitmentKey, ctx, env.content));
}

// ---------------------------------------------------------------------------------------
// Vectors
// ---------------------------------------------------------------------------------------

const VECTORS = JSON.parse(
  readFileSync(new URL("../../crates/core/tests/data/envelope_vectors.json", import.meta.url), "utf8"),
).vectors;

const privateKeyCache = new Map();
async function importPrivate(scalarHex) {
  if (!privateKeyCache.has(scalarHex)) {
    privateKeyCache.set(scalarHex, await suite.kem.deserializePrivateKey(hex(scalarHex)));
  }
  return privateKeyCache.get(scalarHex);
}
async function openerFor(key, versionOverride) {
  const version = versionOverride ?? key.version;
  return {
    kid: await keyId(version, hex(key.public_sec1)),
    privateKey: await importPrivate(key.private_scalar),
  };
}
/** `openers` index into recipients followed by rewrap.add. */
const allKeysOf = (v) => [...v.recipients, ...(v.rewrap?.add ?? [])];
const openerKeysOf = (v) => v.openers.map((i) => allKeysOf(v)[i]);

// Every distinct key (by key_id) in the whole file.
const EVERY_KEY = [
  ...new Map(VECTORS.flatMap(allKeysOf).map((k) => [k.key_id, k])).values(),
];

function flip(text, offset, mask = 0x01) {
  const b = decodeText(text).slice();
  b[offset] ^= mask;
  return encodeText(b);
}
function edit(text, fn) {
  const b = decodeText(text).slice();
  return encodeText(fn(b) ?? b);
}

async function assertOpenFails(promise, ErrorClass, message) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof ErrorClass, `${message}: expected ${ErrorClass.name}, got ${e?.name}: ${e?.message}`);
    return true;
  });
}

// ---------------------------------------------------------------------------------------
// Tests: spec self-consistency
// ---------------------------------------------------------------------------------------

describe("spec worked examples", () => {
  test("context encoding of (t, b1, note, 1) equals the spec's example bytes", () => {
    assert.equal(
      toHex(encodeContext({ tenant_id: "t", booking_id: "b1", field: "note", schema_version: 1 })),
      "0001740002623100046e6f746500000001",
    );
  });

  test("padme(9)=10, padme(100)=104, padme(1028)=1088 as in the spec", () => {
    assert.equal(padme(9), 10);
    assert.equal(padme(100), 104);
    assert.equal(padme(1028), 1088);
  });

  test("padme(L) >= L, is idempotent, and overhead is at most 12% for L in 0..20000", () => {
    for (let L = 0; L <= 20000; L++) {
      const p = padme(L);
      assert.ok(p >= L, `padme(${L}) = ${p} < L`);
      assert.equal(padme(p), p, `padme not idempotent at ${L}`);
      assert.ok(p - L <= Math.max(1, Math.ceil(L * 0.12)), `padme(${L}) = ${p} overhead too large`);
    }
  });

  test("the spec's HMAC formula for HKDF Extract/Expand equals WebCrypto HKDF", async () => {
    for (let i = 0; i < 8; i++) {
      const dek = randomBytes(32);
      const mid = randomBytes(32);
      assert.deepEqual(await deriveBySpecFormula(dek, mid), await derive(dek, mid));
    }
  });

  test("key id text form round-trips and the spec's example key id text parses to version 3", () => {
    const kid = parseKeyIdText("v3.rNl7a1mSjxmPSdq9rDlt1g");
    assert.equal(kid.length, 20);
    assert.equal(readU32(kid, 0), 3);
    assert.equal(keyIdText(kid), "v3.rNl7a1mSjxmPSdq9rDlt1g");
  });
});

// ---------------------------------------------------------------------------------------
// Negative tests shared by the frozen vectors and by JS-sealed envelopes.
// Every one first asserts that the untouched envelope opens, so none can pass vacuously.
// ---------------------------------------------------------------------------------------

/**
 * keys: opener key objects from the vectors file, in the envelope's entry order.
 * get(): resolves to the envelope text; context and plaintextHex describe it.
 */
function registerTamperTests(label, keys, context, plaintextHex, get) {
  const baseline = async (text, o) => {
    let pt;
    try {
      pt = await openEnvelope(text, context, o);
    } catch (e) {
      assert.fail(`baseline: the untouched envelope must open first, but got ${e.name}: ${e.message}`);
    }
    assert.equal(toHex(pt), plaintextHex, "baseline: the untouched envelope must open to the plaintext");
  };

  const changes = {
    tenant_id: { tenant_id: context.tenant_id + "x" },
    booking_id: { booking_id: context.booking_id + "-copy" },
    field: { field: context.field === "note" ? "correction" : "note" },
    schema_version: { schema_version: context.schema_version + 1 },
  };
  for (const [name, change] of Object.entries(changes)) {
    test(`${label}: changing context ${name} makes opening fail with the opaque error, for every opener`, async () => {
      const text = await get();
      for (const k of keys) {
        const o = await openerFor(k);
        await baseline(text, o);
        await assertOpenFails(openEnvelope(text, { ...context, ...change }, o), OpenError, `${name} / ${k.key_id}`);
      }
    });
  }

  test(`${label}: flipping a message_id byte or the padded flag makes opening fail with the opaque error`, async () => {
    const text = await get();
    for (const k of keys) {
      const o = await openerFor(k);
      await baseline(text, o);
      for (const off of [7, 20, 38]) {
        await assertOpenFails(openEnvelope(flip(text, off), context, o), OpenError, `message_id[${off - 7}]`);
      }
      await assertOpenFails(openEnvelope(flip(text, 6, 0x01), context, o), OpenError, "padded flag");
    }
  });

  test(`${label}: flipping magic, version, suite, a reserved flag bit, n or content_len is a format error`, async () => {
    const text = await get();
    const env = parseEnvelope(decodeText(text));
    const o = await openerFor(keys[0]);
    await baseline(text, o);
    const cases = [
      [0, 0x01, "magic"], [2, 0x01, "magic"], [3, 0x01, "version"], [4, 0x01, "suite hi"],
      [5, 0x01, "suite lo"], [6, 0x02, "flag bit 1"], [6, 0x80, "flag bit 7"],
      [PREFIX_LEN, 0x01, "n"], [PREFIX_LEN, 0x40, "n"],
      [env.offsets.contentLen, 0x80, "content_len"], [env.offsets.contentLen + 3, 0x01, "content_len"],
    ];
    for (const [off, mask, what] of cases) {
      await assertOpenFails(openEnvelope(flip(text, off, mask), context, o), FormatError, what);
    }
  });

  for (const [i, k] of keys.entries()) {
    test(`${label}: for opener ${k.key_id}, a flipped byte in its key_id is "not a recipient"; in its enc, its wrapped_dek, the commitment or the content it is the opaque error`, async () => {
      const text = await get();
      const env = parseEnvelope(decodeText(text));
      const o = await openerFor(k);
      await baseline(text, o);
      const e = env.entries[i];
      assert.ok(bytesEqual(e.kid, o.kid), "entry order");
      for (const off of [0, 4, 19]) {
        await assertOpenFails(openEnvelope(flip(text, e.offset + off), context, o), NotRecipientError, `key_id[${off}]`);
      }
      const opaque = [
        ...[0, 1, 32, 64].map((x) => [e.offset + KID_LEN + x, `enc[${x}]`]),
        ...[0, 31, 32, 47].map((x) => [e.offset + KID_LEN + ENC_LEN + x, `wrapped_dek[${x}]`]),
        ...[0, 16, 31].map((x) => [env.offsets.commitment + x, `commitment[${x}]`]),
        ...[0, Math.floor(env.contentLen / 2), env.contentLen - 17, env.contentLen - 1]
          .filter((x) => x >= 0)
          .map((x) => [env.offsets.content + x, `content[${x}]`]),
      ];
      for (const [off, what] of opaque) {
        await assertOpenFails(openEnvelope(flip(text, off), context, o), OpenError, what);
      }
    });
  }

  test(`${label}: exhaustive single-bit flips: flipping any byte of the envelope makes opening fail, for every opener`, async () => {
    const text = await get();
    const len = decodeText(text).length;
    for (const k of keys) {
      const o = await openerFor(k);
      await baseline(text, o);
      for (let off = 0; off < len; off++) {
        await assert.rejects(openEnvelope(flip(text, off), context, o), `offset ${off} should fail for ${k.key_id}`);
      }
    }
  });

  if (keys.length > 1) {
    test(`${label}: tampering with, dropping or reordering another recipient's entry fails opaquely (the commitment covers the whole recipient table)`, async () => {
      const text = await get();
      const bytes = decodeText(text);
      const env = parseEnvelope(bytes);
      for (const [i, k] of keys.entries()) {
        const o = await openerFor(k);
        await baseline(text, o);
        const j = (i + 1) % keys.length; // some other entry
        const other = env.entries[j];
        for (const [off, what] of [[0, "key_id"], [KID_LEN + 10, "enc"], [KID_LEN + ENC_LEN + 5, "wrapped_dek"]]) {
          await assertOpenFails(openEnvelope(flip(text, other.offset + off), context, o), OpenError, `other ${what}`);
        }
        // drop the other entry, fixing n, keeping the old commitment
        const dropped = concat(
          bytes.subarray(0, PREFIX_LEN), Uint8Array.of(env.n - 1),
          ...env.entries.filter((_, x) => x !== j).map((e) => bytes.subarray(e.offset, e.offset + ENTRY_LEN)),
          bytes.subarray(env.offsets.commitment),
        );
        await assertOpenFails(openEnvelope(encodeText(dropped), context, o), OpenError, "dropped entry");
        // reverse the entry order, keeping the old commitment
        const reversed = concat(
          bytes.subarray(0, PREFIX_LEN + 1),
          ...[...env.entries].reverse().map((e) => bytes.subarray(e.offset, e.offset + ENTRY_LEN)),
          bytes.subarray(env.offsets.commitment),
        );
        await assertOpenFails(openEnvelope(encodeText(reversed), context, o), OpenError, "reordered entries");
      }
    });
  }
}

// ---------------------------------------------------------------------------------------
// Tests: frozen vectors
// ---------------------------------------------------------------------------------------

test("the vectors file holds at least one vector of each kind (padded, unpadded, multi-recipient, rewrap)", () => {
  assert.ok(VECTORS.length >= 5);
  assert.ok(VECTORS.some((v) => v.padded));
  assert.ok(VECTORS.some((v) => !v.padded));
  assert.ok(VECTORS.some((v) => v.openers.length > 1));
  assert.ok(VECTORS.some((v) => v.rewrap));
});

for (const v of VECTORS) {
  describe(`vector "${v.name}"`, () => {
    const openerKeys = openerKeysOf(v);
    let env;
    before(() => {
      env = parseEnvelope(decodeText(v.envelope));
    });

    test("text form is bze1. + canonical unpadded base64url and the header is version 1, suite 0x0001, padded flag as declared", () => {
      assert.ok(v.envelope.startsWith("bze1."));
      assert.doesNotMatch(v.envelope, /=/);
      assert.equal(env.bytes[3], 1);
      assert.equal(readU16(env.bytes, 4), 1);
      assert.equal(env.padded, v.padded);
      assert.equal(env.flags & 0xfe, 0);
      assert.equal(env.n, openerKeys.length);
      assert.equal(env.bytes.length, 76 + 133 * env.n + env.contentLen);
    });

    test("every private scalar belongs to its public_sec1 (HPKE seal to the public key opens with the scalar)", async () => {
      for (const k of allKeysOf(v)) {
        const pk = await suite.kem.deserializePublicKey(hex(k.public_sec1));
        const msg = randomBytes(32);
        const { ct, enc } = await suite.seal({ recipientPublicKey: pk, info: HPKE_INFO }, msg, new Uint8Array());
        const sk = await importPrivate(k.private_scalar);
        const back = new Uint8Array(await suite.open({ recipientKey: sk, enc, info: HPKE_INFO }, ct, new Uint8Array()));
        assert.deepEqual(back, msg, `key ${k.key_id}`);
      }
    });

    test("key ids recomputed from public keys and versions equal the vector key_id texts", async () => {
      for (const k of allKeysOf(v)) {
        const kid = await keyId(k.version, hex(k.public_sec1));
        assert.equal(keyIdText(kid), k.key_id);
        assert.deepEqual(parseKeyIdText(k.key_id), kid);
      }
    });

    test("the envelope's recipient entries carry exactly the openers' recomputed 20-byte key ids, in order", async () => {
      const expected = [];
      for (const k of openerKeys) expected.push(toHex(await keyId(k.version, hex(k.public_sec1))));
      assert.deepEqual(env.entries.map((e) => toHex(e.kid)), expected);
      for (const e of env.entries) assert.equal(e.enc[0], 0x04, "enc is an uncompressed SEC1 point");
    });

    test("every key in the file that is not an opener is refused as not a recipient (and every opener's entry is found)", async () => {
      for (const k of openerKeys) assert.doesNotThrow(() => findEntry(env, { kid: parseKeyIdText(k.key_id) }));
      const openerIds = new Set(openerKeys.map((k) => k.key_id));
      const others = EVERY_KEY.filter((k) => !openerIds.has(k.key_id));
      assert.ok(others.length > 0);
      for (const k of others) {
        await assertOpenFails(openEnvelope(v.envelope, v.context, await openerFor(k)), NotRecipientError, k.key_id);
      }
      for (const removed of v.rewrap?.remove ?? []) assert.ok(others.some((k) => k.key_id === removed), removed);
    });

    test("an opener's key under a different version is not a recipient (the key id includes the version)", async () => {
      for (const k of openerKeys) {
        const wrong = await openerFor(k, k.version + 1);
        assert.ok(!env.entries.some((e) => bytesEqual(e.kid, wrong.kid)));
        await assertOpenFails(openEnvelope(v.envelope, v.context, wrong), NotRecipientError, k.key_id);
      }
    });

    test("spec step 3 (HPKE open with info and aad = prefix || kid || ctx) yields one 32-byte data key for every opener", async () => {
      const ctx = encodeContext(v.context);
      const deks = new Set();
      for (const [i, k] of openerKeys.entries()) {
        const dek = await unwrapDek(env, env.entries[i], ctx, await importPrivate(k.private_scalar));
        assert.equal(dek.length, 32);
        deks.add(toHex(dek));
      }
      assert.equal(deks.size, 1);
    });

    test("the stored commitment equals HMAC-SHA256(commitment_key, bytes 0..40+133n || ctx), commitment_key = HKDF-Expand(prk, \"bizing envelope v1 commitment\", 32)", async () => {
      const ctx = encodeContext(v.context);
      const dek = await unwrapDek(env, env.entries[0], ctx, await importPrivate(openerKeys[0].private_scalar));
      const { commitmentKey } = await derive(dek, env.messageId);
      assert.equal(env.header.length, 40 + 133 * env.n);
      // Written out independently of computeCommitment/assemble:
      const byHand = await hmacSha256(commitmentKey, concat(env.bytes.subarray(0, 40 + 133 * env.n), ctx));
      assert.equal(toHex(byHand), toHex(env.commitment));
    });

    test(v.padded
      ? "padded body is u32(m) || plaintext || zeros, of length padme(4 + m), and content_len = that + 16"
      : "unpadded body is the plaintext and content_len = len(plaintext) + 16", async () => {
      const { body, env: e } = await openDetailed(v.envelope, v.context, await openerFor(openerKeys[0]));
      const pt = hex(v.plaintext_hex);
      if (v.padded) {
        assert.equal(readU32(body, 0), pt.length);
        assert.deepEqual(body.subarray(4, 4 + pt.length), pt);
        assert.ok(body.subarray(4 + pt.length).every((x) => x === 0), "padding is zero");
        assert.equal(body.length, padme(4 + pt.length));
        assert.equal(e.contentLen, padme(4 + pt.length) + TAG_LEN);
      } else {
        assert.deepEqual(body, pt);
        assert.equal(e.contentLen, pt.length + TAG_LEN);
      }
    });

    test("JS sealing with the recovered data key and message_id reproduces the prefix and content byte-for-byte", async () => {
      const { dek, env: e } = await openDetailed(v.envelope, v.context, await openerFor(openerKeys[0]));
      const r = parseEnvelope(decodeText(
        await sealEnvelope(
          openerKeys.map((k) => ({ publicSec1: hex(k.public_sec1), version: k.version })),
          v.context,
          hex(v.plaintext_hex),
          { padded: v.padded, dek, messageId: e.messageId },
        ),
      ));
      assert.deepEqual(r.prefix, e.prefix);
      assert.deepEqual(r.content, e.content);
      assert.deepEqual(r.entries.map((x) => toHex(x.kid)), e.entries.map((x) => toHex(x.kid)));
    });

    for (const k of openerKeys) {
      test(`opens per the spec (steps 1-6) with opener ${k.key_id} to plaintext_hex`, async () => {
        const pt = await openEnvelope(v.envelope, v.context, await openerFor(k));
        assert.equal(toHex(pt), v.plaintext_hex);
      });
    }

    registerTamperTests("frozen envelope", openerKeys, v.context, v.plaintext_hex, async () => v.envelope);

    // The same negative checks on an envelope sealed here to the same keys, context and plaintext.
    let jsSealed;
    registerTamperTests("JS-sealed copy", openerKeys, v.context, v.plaintext_hex, async () => {
      jsSealed ??= await sealEnvelope(
        openerKeys.map((k) => ({ publicSec1: hex(k.public_sec1), version: k.version })),
        v.context,
        hex(v.plaintext_hex),
        { padded: v.padded },
      );
      return jsSealed;
    });
  });
}

// ---------------------------------------------------------------------------------------
// Tests: format rejection (step 1)
// ---------------------------------------------------------------------------------------

describe("format rejection", () => {
  const v = VECTORS[0];
  const k = openerKeysOf(v)[0];
  let o;
  let bytes;
  before(async () => {
    o = await openerFor(k);
    bytes = decodeText(v.envelope);
  });
  const rejects = (text, what) => assertOpenFails(openEnvelope(text, v.context, o), FormatError, what);

  test("unknown version 2 and 0 are rejected", async () => {
    await rejects(edit(v.envelope, (b) => void (b[3] = 2)), "version 2");
    await rejects(edit(v.envelope, (b) => void (b[3] = 0)), "version 0");
  });

  test("unknown suite 0x0000 and 0x0002 are rejected", async () => {
    await rejects(edit(v.envelope, (b) => void (b[5] = 0)), "suite 0");
    await rejects(edit(v.envelope, (b) => void (b[5] = 2)), "suite 2");
  });

  test("each of flag bits 1-7 is rejected", async () => {
    for (let bit = 1; bit < 8; bit++) {
      await rejects(edit(v.envelope, (b) => void (b[6] |= 1 << bit)), `flag bit ${bit}`);
    }
  });

  test("n = 0 and n = 17 are rejected even with the right length", async () => {
    // n = 0: drop the one entry
    const n0 = concat(bytes.subarray(0, PREFIX_LEN), Uint8Array.of(0), bytes.subarray(PREFIX_LEN + 1 + ENTRY_LEN));
    await rejects(encodeText(n0), "n = 0");
    // n = 17: 17 distinct entries
    const entry = bytes.subarray(PREFIX_LEN + 1, PREFIX_LEN + 1 + ENTRY_LEN);
    const many = Array.from({ length: 17 }, (_, i) => {
      const e = entry.slice();
      e[19] ^= i;
      return e;
    });
    const n17 = concat(bytes.subarray(0, PREFIX_LEN), Uint8Array.of(17), ...many, bytes.subarray(PREFIX_LEN + 1 + ENTRY_LEN));
    await rejects(encodeText(n17), "n = 17");
  });

  test("duplicate recipient key ids are rejected", async () => {
    const entry = bytes.subarray(PREFIX_LEN + 1, PREFIX_LEN + 1 + ENTRY_LEN);
    const dup = concat(bytes.subarray(0, PREFIX_LEN), Uint8Array.of(2), entry, entry, bytes.subarray(PREFIX_LEN + 1 + ENTRY_LEN));
    await rejects(encodeText(dup), "duplicate key id");
  });

  test("content_len below 16 is rejected even when the length matches", async () => {
    const env = parseEnvelope(bytes);
    const short = concat(bytes.subarray(0, env.offsets.contentLen), u32(15), env.content.subarray(0, 15));
    await rejects(encodeText(short), "content_len 15");
  });

  test("every truncation and a trailing byte are rejected", async () => {
    for (let len = 0; len < bytes.length; len++) await rejects(encodeText(bytes.subarray(0, len)), `truncated to ${len}`);
    await rejects(encodeText(concat(bytes, Uint8Array.of(0))), "trailing byte");
  });

  test("text form: wrong prefix, '=' padding, non-base64url characters and non-canonical base64 are rejected", async () => {
    const b64 = v.envelope.slice(5);
    await rejects("bze2." + b64, "bze2 prefix");
    await rejects("BZE1." + b64, "upper-case prefix");
    await rejects(b64, "no prefix");
    await rejects(v.envelope + "=", "padding");
    await rejects("bze1." + Buffer.from(bytes).toString("base64"), "standard base64 alphabet");
    await rejects(v.envelope.slice(0, 20) + " " + v.envelope.slice(20), "space");
    // Non-canonical: change the unused low bits of the last character, if any.
    if (b64.length % 4 !== 0) {
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
      const last = alphabet.indexOf(b64.at(-1));
      await rejects(v.envelope.slice(0, -1) + alphabet[last ^ 1], "non-canonical trailing bits");
    }
  });

  test("an envelope that parses but has a padding violation fails with the opaque error", async () => {
    const recipients = [{ publicSec1: hex(k.public_sec1), version: k.version }];
    const pt = utf8("hello padding");
    const good = padBody(pt);
    const bad = {
      "nonzero padding byte": (() => { const b = good.slice(); b[b.length - 1] = 1; return b; })(),
      "length larger than body": (() => { const b = good.slice(); b.set(u32(good.length), 0); return b; })(),
      "body longer than padme(4 + m)": concat(good, new Uint8Array(64)),
      "body shorter than padme(4 + m)": good.subarray(0, 4 + pt.length),
      "body shorter than 4 bytes": Uint8Array.of(0, 0),
    };
    assert.equal(toHex(await openEnvelope(await sealEnvelope(recipients, v.context, pt, { padded: true, body: good }), v.context, o)), toHex(pt));
    for (const [what, body] of Object.entries(bad)) {
      const text = await sealEnvelope(recipients, v.context, pt, { padded: true, body });
      await assertOpenFails(openEnvelope(text, v.context, o), OpenError, what);
    }
  });
});

// ---------------------------------------------------------------------------------------
// Tests: sealing in JS
// ---------------------------------------------------------------------------------------

describe("JS sealing round-trip", () => {
  const plaintexts = {
    empty: new Uint8Array(),
    "one byte": Uint8Array.of(0),
    utf8: utf8("Allergie: Penicillin — 🙏"),
    "97 bytes": randomBytes(97),
    "1 KiB": randomBytes(1024),
  };

  for (const v of VECTORS) {
    for (const padded of [true, false]) {
      test(`seal ${padded ? "padded" : "unpadded"} to the keys of "${v.name}"; each key opens every plaintext`, async () => {
        const keys = openerKeysOf(v);
        const recipients = keys.map((k) => ({ publicSec1: hex(k.public_sec1), version: k.version }));
        for (const [name, pt] of Object.entries(plaintexts)) {
          const text = await sealEnvelope(recipients, v.context, pt, { padded });
          const env = parseEnvelope(decodeText(text));
          assert.equal(env.padded, padded);
          assert.equal(env.n, keys.length);
          assert.equal(env.contentLen, (padded ? padme(4 + pt.length) : pt.length) + TAG_LEN, name);
          for (const k of keys) {
            assert.deepEqual(await openEnvelope(text, v.context, await openerFor(k)), pt, `${name} / ${k.key_id}`);
          }
          await assertOpenFails(
            openEnvelope(text, { ...v.context, booking_id: "elsewhere" }, await openerFor(keys[0])),
            OpenError,
            "other booking",
          );
        }
      });
    }
  }

  test("two seals of the same input use fresh message ids and data keys (different commitment and content)", async () => {
    const k = VECTORS[0].recipients[0];
    const r = [{ publicSec1: hex(k.public_sec1), version: k.version }];
    const a = parseEnvelope(decodeText(await sealEnvelope(r, VECTORS[0].context, utf8("same"))));
    const b = parseEnvelope(decodeText(await sealEnvelope(r, VECTORS[0].context, utf8("same"))));
    assert.notDeepEqual(a.messageId, b.messageId);
    assert.notDeepEqual(a.commitment, b.commitment);
    assert.notDeepEqual(a.content, b.content);
    assert.notDeepEqual(a.entries[0].enc, b.entries[0].enc);
  });

  test("padding hides the exact length: 97- and 100-byte plaintexts give the same content_len", async () => {
    const k = VECTORS[0].recipients[0];
    const r = [{ publicSec1: hex(k.public_sec1), version: k.version }];
    const a = parseEnvelope(decodeText(await sealEnvelope(r, VECTORS[0].context, randomBytes(97))));
    const b = parseEnvelope(decodeText(await sealEnvelope(r, VECTORS[0].context, randomBytes(100))));
    assert.equal(a.contentLen, b.contentLen);
    assert.equal(a.contentLen, padme(104) + TAG_LEN);
  });

  test("16 fresh recipients can be sealed to and each opens; 17 are refused", async () => {
    const ctx = VECTORS[0].context;
    const keys = [];
    for (let i = 0; i < 17; i++) {
      const kp = await suite.kem.generateKeyPair();
      const publicSec1 = new Uint8Array(await suite.kem.serializePublicKey(kp.publicKey));
      keys.push({ publicSec1, version: 1, privateKey: kp.privateKey });
    }
    const pt = utf8("sixteen");
    const text = await sealEnvelope(keys.slice(0, 16), ctx, pt);
    for (const key of keys.slice(0, 16)) {
      assert.deepEqual(await openEnvelope(text, ctx, { kid: await keyId(1, key.publicSec1), privateKey: key.privateKey }), pt);
    }
    await assertOpenFails(
      openEnvelope(text, ctx, { kid: await keyId(1, keys[16].publicSec1), privateKey: keys[16].privateKey }),
      NotRecipientError,
      "17th key",
    );
    await assert.rejects(sealEnvelope(keys, ctx, pt), RangeError);
  });

  for (const source of ["frozen", "JS-sealed"]) {
    test(`rewrap in JS of a ${source} envelope: add a fresh key, remove one; prefix and content unchanged, survivor entry byte-identical, commitment recomputed`, async () => {
      const v = VECTORS.find((x) => x.openers.length >= 2);
      const [a, b] = openerKeysOf(v);
      const original = source === "frozen"
        ? v.envelope
        : await sealEnvelope(
          openerKeysOf(v).map((k) => ({ publicSec1: hex(k.public_sec1), version: k.version })),
          v.context,
          hex(v.plaintext_hex),
          { padded: v.padded },
        );
      const kp = await suite.kem.generateKeyPair();
      const fresh = { publicSec1: new Uint8Array(await suite.kem.serializePublicKey(kp.publicKey)), version: 2 };
      const removedKid = parseKeyIdText(a.key_id);
      const text = await rewrapEnvelope(original, v.context, await openerFor(b), { add: [fresh], remove: [removedKid] });
      const before_ = parseEnvelope(decodeText(original));
      const after = parseEnvelope(decodeText(text));
      assert.deepEqual(after.prefix, before_.prefix);
      assert.deepEqual(after.content, before_.content);
      assert.equal(after.n, before_.n); // one removed, one added
      assert.notDeepEqual(after.commitment, before_.commitment);
      const survivors = before_.entries.filter((e) => !bytesEqual(e.kid, removedKid));
      for (const [i, sv] of survivors.entries()) {
        assert.deepEqual(
          after.bytes.subarray(after.entries[i].offset, after.entries[i].offset + ENTRY_LEN),
          before_.bytes.subarray(sv.offset, sv.offset + ENTRY_LEN),
        );
      }
      const freshKid = await keyId(2, fresh.publicSec1);
      assert.deepEqual(after.entries.at(-1).kid, freshKid, "added entry is appended");
      const freshOpener = { kid: freshKid, privateKey: kp.privateKey };
      assert.equal(toHex(await openEnvelope(text, v.context, freshOpener)), v.plaintext_hex);
      for (const k of openerKeysOf(v).filter((k) => k.key_id !== a.key_id)) {
        assert.equal(toHex(await openEnvelope(text, v.context, await openerFor(k))), v.plaintext_hex, k.key_id);
      }
      await assertOpenFails(openEnvelope(text, v.context, await openerFor(a)), NotRecipientError, "removed key");
      // The same new recipient table with the old commitment does not open.
      const stale = concat(after.header, before_.commitment, after.bytes.subarray(after.offsets.contentLen));
      await assertOpenFails(openEnvelope(encodeText(stale), v.context, freshOpener), OpenError, "stale commitment");
    });
  }

  test("a recipient entry moved from another envelope (same key, other message_id) does not open", async () => {
    const v = VECTORS[0];
    const k = v.recipients[0];
    const r = [{ publicSec1: hex(k.public_sec1), version: k.version }];
    const x = decodeText(await sealEnvelope(r, v.context, utf8("x")));
    const y = decodeText(await sealEnvelope(r, v.context, utf8("y")));
    const e = PREFIX_LEN + 1;
    const spliced = concat(y.subarray(0, e), x.subarray(e, e + ENTRY_LEN), y.subarray(e + ENTRY_LEN));
    await assertOpenFails(openEnvelope(encodeText(spliced), v.context, await openerFor(k)), OpenError, "spliced entry");
  });
});
