// Contender for `cargo xtask bench --only envelope`: bze1 sealing and opening the way a
// JavaScript developer would write it with @hpke/core (RFC 9180 on WebCrypto, the same suite
// as ours) for the data-key wrapping and WebCrypto for HKDF, HMAC and AES-256-GCM, as
// tests/interop/envelope.test.mjs does. Each step awaits the one before (no Promise.all
// across recipients), like the interop implementation.

import { Aes256Gcm, CipherSuite, DhkemP256HkdfSha256, HkdfSha256 } from "@hpke/core";

import {
  DEK_LEN,
  FLAG_PADDED,
  HPKE_INFO,
  LABEL_COMMITMENT,
  LABEL_CONTENT_KEY,
  LABEL_NONCE,
  MESSAGE_ID_LEN,
  buildHeader,
  buildPrefix,
  checkSeal,
  concat,
  constantTimeEqual,
  encodeContext,
  findEntry,
  finish,
  keyId,
  padBody,
  parse,
  unpadBody,
} from "./bze1.mjs";

const subtle = globalThis.crypto.subtle;
const suite = new CipherSuite({ kem: new DhkemP256HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
const randomBytes = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n));
const sha256 = async (data) => new Uint8Array(await subtle.digest("SHA-256", data));

/** content_key, nonce and commitment_key: HKDF-SHA256(salt = message_id, IKM = dek). */
async function derive(dek, messageId) {
  const ikm = await subtle.importKey("raw", dek, "HKDF", false, ["deriveBits"]);
  const expand = async (info, bits) =>
    new Uint8Array(await subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: messageId, info }, ikm, bits));
  return {
    contentKey: await expand(LABEL_CONTENT_KEY, 256),
    nonce: await expand(LABEL_NONCE, 96),
    commitmentKey: await expand(LABEL_COMMITMENT, 256),
  };
}

async function hmacSha256(key, data) {
  const k = await subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await subtle.sign("HMAC", k, data));
}

async function aesGcm(op, key, iv, additionalData, data) {
  const k = await subtle.importKey("raw", key, { name: "AES-GCM" }, false, [op]);
  return new Uint8Array(await subtle[op]({ name: "AES-GCM", iv, additionalData, tagLength: 128 }, k, data));
}

export const name = "@hpke/core";

/** A recipient key pair: `recipient` is what a sealer holds, `opener` what its owner holds. */
export async function generateKey() {
  const keyPair = await suite.kem.generateKeyPair();
  const sec1 = new Uint8Array(await suite.kem.serializePublicKey(keyPair.publicKey));
  const kid = await keyId(sha256, 1, sec1);
  return { sec1, recipient: { kid, publicKey: keyPair.publicKey }, opener: { kid, keyPair } };
}

/** A recipient from another implementation's SEC1 public key (version 1). */
export async function recipientFromSec1(sec1) {
  return { kid: await keyId(sha256, 1, sec1), publicKey: await suite.kem.deserializePublicKey(sec1) };
}

/** Seals `plaintext` (padded) to `recipients` under `context`; returns the binary envelope. */
export async function seal(plaintext, context, recipients) {
  checkSeal(plaintext, recipients);
  const dek = randomBytes(DEK_LEN);
  const messageId = randomBytes(MESSAGE_ID_LEN);
  const prefix = buildPrefix(FLAG_PADDED, messageId);
  const ctx = encodeContext(context);
  const entries = [];
  for (const r of recipients) {
    const aad = concat(prefix, r.kid, ctx);
    const { ct, enc } = await suite.seal({ recipientPublicKey: r.publicKey, info: HPKE_INFO }, dek, aad);
    entries.push({ kid: r.kid, enc: new Uint8Array(enc), wrapped: new Uint8Array(ct) });
  }
  const { contentKey, nonce, commitmentKey } = await derive(dek, messageId);
  const header = buildHeader(prefix, entries);
  const commitment = await hmacSha256(commitmentKey, concat(header, ctx));
  const content = await aesGcm("encrypt", contentKey, nonce, concat(prefix, ctx), padBody(plaintext));
  return finish(header, commitment, content);
}

/** Opens a binary envelope with `opener` (from generateKey) under `context`. */
export async function open(bytes, context, opener) {
  const envelope = parse(bytes);
  const entry = findEntry(envelope, opener.kid);
  const ctx = encodeContext(context);
  let body;
  try {
    const aad = concat(envelope.prefix, entry.kid, ctx);
    const dek = new Uint8Array(
      await suite.open({ recipientKey: opener.keyPair, enc: entry.enc, info: HPKE_INFO }, entry.wrapped, aad),
    );
    if (dek.length !== DEK_LEN) throw new Error("data key is not 32 bytes");
    const { contentKey, nonce, commitmentKey } = await derive(dek, envelope.messageId);
    const expected = await hmacSha256(commitmentKey, concat(envelope.header, ctx));
    if (!constantTimeEqual(expected, envelope.commitment)) throw new Error("commitment mismatch");
    body = await aesGcm("decrypt", contentKey, nonce, concat(envelope.prefix, ctx), envelope.content);
  } catch {
    throw new Error("could not be opened");
  }
  return envelope.padded ? unpadBody(body) : body;
}
