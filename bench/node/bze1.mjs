// The bze1 envelope format (docs/envelope-format.md) without its cryptography: constants,
// the context encoding, PADME padding, parsing and assembling. The JavaScript contenders of
// `cargo xtask bench --only envelope` (contender-hpke.mjs, contender-noble.mjs) share it, so
// they differ only in the cryptography they call, as they would in an application.
// Written from the spec, like tests/interop/envelope.test.mjs.

export const VERSION = 1;
export const SUITE_ID = 0x0001;
export const FLAG_PADDED = 0x01;
export const MESSAGE_ID_LEN = 32;
export const PREFIX_LEN = 39; // magic(3) version(1) suite(2) flags(1) message_id(32)
export const KID_LEN = 20;
export const ENC_LEN = 65;
export const WRAPPED_DEK_LEN = 48;
export const ENTRY_LEN = KID_LEN + ENC_LEN + WRAPPED_DEK_LEN; // 133
export const COMMITMENT_LEN = 32;
export const TAG_LEN = 16;
export const DEK_LEN = 32;
export const MAX_RECIPIENTS = 16;
export const MAX_PLAINTEXT = 16 * 1024 * 1024;

const MAGIC = Uint8Array.of(0x42, 0x5a, 0x45); // "BZE"
const utf8 = (s) => new TextEncoder().encode(s);
export const LABEL_KEY_ID = utf8("bizing key id v1");
export const LABEL_CONTENT_KEY = utf8("bizing envelope v1 content key");
export const LABEL_NONCE = utf8("bizing envelope v1 nonce");
export const LABEL_COMMITMENT = utf8("bizing envelope v1 commitment");
export const HPKE_INFO = utf8("bizing envelope v1 dek");

/** Thrown when the opener's key id is not in the envelope (distinct from a failed open). */
export class NotRecipientError extends Error {
  constructor() {
    super("not a recipient");
    this.name = "NotRecipientError";
  }
}

export function concat(...parts) {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function u16(n) {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`u16 out of range: ${n}`);
  return Uint8Array.of(n >>> 8, n & 0xff);
}

export function u32(n) {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`u32 out of range: ${n}`);
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

const readU16 = (b, o) => (b[o] << 8) | b[o + 1];
const readU32 = (b, o) => ((b[o] << 24) >>> 0) + (b[o + 1] << 16) + (b[o + 2] << 8) + b[o + 3];

function bytesEqual(a, b, length = a.length) {
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function constantTimeEqual(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** The context as the spec encodes it; `context` is the SDK's EnvelopeContext shape. */
export function encodeContext({ tenantId, bookingId, field, schemaVersion }) {
  const parts = [];
  for (const s of [tenantId, bookingId, field]) {
    const b = utf8(s);
    parts.push(u16(b.length), b);
  }
  parts.push(u32(schemaVersion));
  return concat(...parts);
}

/** key_id = u32(version) || SHA-256("bizing key id v1" || sec1)[0..16], with the caller's SHA-256. */
export async function keyId(sha256, version, sec1) {
  const digest = await sha256(concat(LABEL_KEY_ID, sec1));
  return concat(u32(version), digest.subarray(0, 16));
}

export function padme(L) {
  if (L < 2) return L;
  const E = Math.floor(Math.log2(L));
  const S = Math.floor(Math.log2(E)) + 1;
  const z = E - S;
  return Math.floor((L + 2 ** z - 1) / 2 ** z) * 2 ** z;
}

/** u32(len) || plaintext || zeros, padme(4 + len) bytes in all (the SDK pads by default). */
export function padBody(plaintext) {
  const body = new Uint8Array(padme(4 + plaintext.length));
  body.set(u32(plaintext.length), 0);
  body.set(plaintext, 4);
  return body;
}

export function unpadBody(body) {
  if (body.length < 4) throw new Error("padded body shorter than its length field");
  const m = readU32(body, 0);
  if (m > body.length - 4) throw new Error("length field exceeds body");
  for (let i = 4 + m; i < body.length; i++) if (body[i] !== 0) throw new Error("nonzero padding");
  if (body.length !== padme(4 + m)) throw new Error("body length is not padme(4 + m)");
  return body.subarray(4, 4 + m);
}

/** magic || version || suite || flags || message_id */
export function buildPrefix(flags, messageId) {
  const prefix = new Uint8Array(PREFIX_LEN);
  prefix.set(MAGIC, 0);
  prefix[3] = VERSION;
  prefix.set(u16(SUITE_ID), 4);
  prefix[6] = flags;
  prefix.set(messageId, 7);
  return prefix;
}

/** Checks the recipients and plaintext as sealing step 1 does. */
export function checkSeal(plaintext, recipients) {
  if (recipients.length < 1 || recipients.length > MAX_RECIPIENTS) throw new RangeError("1 to 16 recipients");
  for (let i = 0; i < recipients.length; i++) {
    for (let j = 0; j < i; j++) {
      if (bytesEqual(recipients[i].kid, recipients[j].kid)) throw new RangeError("duplicate recipient key id");
    }
  }
  if (plaintext.length > MAX_PLAINTEXT) throw new RangeError("plaintext over 16 MiB");
}

/** prefix || u8(n) || entries: the bytes the commitment covers, before ctx. */
export function buildHeader(prefix, entries) {
  const header = new Uint8Array(PREFIX_LEN + 1 + ENTRY_LEN * entries.length);
  header.set(prefix, 0);
  header[PREFIX_LEN] = entries.length;
  let o = PREFIX_LEN + 1;
  for (const e of entries) {
    if (e.kid.length !== KID_LEN || e.enc.length !== ENC_LEN || e.wrapped.length !== WRAPPED_DEK_LEN) {
      throw new Error("recipient entry of the wrong size");
    }
    header.set(e.kid, o);
    header.set(e.enc, o + KID_LEN);
    header.set(e.wrapped, o + KID_LEN + ENC_LEN);
    o += ENTRY_LEN;
  }
  return header;
}

/** header || commitment || u32(len(content)) || content: the binary envelope. */
export function finish(header, commitment, content) {
  const out = new Uint8Array(header.length + COMMITMENT_LEN + 4 + content.length);
  out.set(header, 0);
  out.set(commitment, header.length);
  out.set(u32(content.length), header.length + COMMITMENT_LEN);
  out.set(content, header.length + COMMITMENT_LEN + 4);
  return out;
}

/** Opening step 1: parses and checks every length and field; views into `bytes`. */
export function parse(bytes) {
  const fixed = PREFIX_LEN + 1;
  if (bytes.length < fixed) throw new Error("malformed envelope: truncated header");
  if (bytes[0] !== MAGIC[0] || bytes[1] !== MAGIC[1] || bytes[2] !== MAGIC[2]) {
    throw new Error("malformed envelope: bad magic");
  }
  if (bytes[3] !== VERSION) throw new Error("malformed envelope: unknown version");
  if (readU16(bytes, 4) !== SUITE_ID) throw new Error("malformed envelope: unknown suite");
  const flags = bytes[6];
  if (flags & ~FLAG_PADDED & 0xff) throw new Error("malformed envelope: unknown flags");
  const n = bytes[PREFIX_LEN];
  if (n < 1 || n > MAX_RECIPIENTS) throw new Error("malformed envelope: recipient count");
  const commitmentOffset = fixed + ENTRY_LEN * n;
  if (bytes.length < commitmentOffset + COMMITMENT_LEN + 4) throw new Error("malformed envelope: truncated");
  const entries = [];
  for (let i = 0; i < n; i++) {
    const o = fixed + ENTRY_LEN * i;
    const kid = bytes.subarray(o, o + KID_LEN);
    if (kid[0] === 0 && kid[1] === 0 && kid[2] === 0 && kid[3] === 0) throw new Error("malformed envelope: key version 0");
    for (const e of entries) if (bytesEqual(e.kid, kid)) throw new Error("malformed envelope: duplicate key id");
    entries.push({
      kid,
      enc: bytes.subarray(o + KID_LEN, o + KID_LEN + ENC_LEN),
      wrapped: bytes.subarray(o + KID_LEN + ENC_LEN, o + ENTRY_LEN),
    });
  }
  const contentLenOffset = commitmentOffset + COMMITMENT_LEN;
  const contentLen = readU32(bytes, contentLenOffset);
  if (contentLen < TAG_LEN) throw new Error("malformed envelope: content_len < 16");
  const contentOffset = contentLenOffset + 4;
  if (bytes.length !== contentOffset + contentLen) throw new Error("malformed envelope: truncated or trailing data");
  return {
    prefix: bytes.subarray(0, PREFIX_LEN),
    header: bytes.subarray(0, commitmentOffset),
    padded: (flags & FLAG_PADDED) !== 0,
    messageId: bytes.subarray(7, PREFIX_LEN),
    entries,
    commitment: bytes.subarray(commitmentOffset, contentLenOffset),
    content: bytes.subarray(contentOffset),
  };
}

/** Opening step 2: the entry for the opener's key id. */
export function findEntry(envelope, kid) {
  for (const e of envelope.entries) if (bytesEqual(e.kid, kid, KID_LEN)) return e;
  throw new NotRecipientError();
}
