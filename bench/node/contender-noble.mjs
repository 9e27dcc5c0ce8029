// Contender for `cargo xtask bench --only envelope`: bze1 sealing and opening in pure
// JavaScript, with HPKE (RFC 9180) base mode, DHKEM(P-256, HKDF-SHA256), HKDF-SHA256,
// AES-256-GCM written out here on @noble/curves (P-256), @noble/hashes (SHA-256, HMAC, HKDF)
// and @noble/ciphers (AES-256-GCM). No WebCrypto: what a bundle that avoids platform crypto
// (or a runtime without it) would run. Everything is synchronous.
//
// One shortcut a careful implementation takes: the recipient's serialised public key pkRm is
// kept with its private key, not recomputed from it on every open (RFC 9180 §4.1 Decap
// writes pk(skR); that is a base-point multiplication).

import { gcm } from "@noble/ciphers/aes.js";
import { p256 } from "@noble/curves/nist.js";
import { expand, extract } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";

import {
  DEK_LEN,
  ENC_LEN,
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
  u16,
  unpadBody,
} from "./bze1.mjs";

// ---- HPKE, RFC 9180: mode_base, KEM 0x0010, KDF 0x0001, AEAD 0x0002 ----------------------

const utf8 = (s) => new TextEncoder().encode(s);
const HPKE_V1 = utf8("HPKE-v1");
const KEM_SUITE_ID = concat(utf8("KEM"), u16(0x0010));
const HPKE_SUITE_ID = concat(utf8("HPKE"), u16(0x0010), u16(0x0001), u16(0x0002));
const EMPTY = new Uint8Array(0);
const L_EAE_PRK = utf8("eae_prk");
const L_SHARED_SECRET = utf8("shared_secret");
const L_PSK_ID_HASH = utf8("psk_id_hash");
const L_INFO_HASH = utf8("info_hash");
const L_SECRET = utf8("secret");
const L_KEY = utf8("key");
const L_BASE_NONCE = utf8("base_nonce");
const MODE_BASE = Uint8Array.of(0x00);

// §4: LabeledExtract(salt, label, ikm) and LabeledExpand(prk, label, info, L).
const labeledExtract = (suiteId, salt, label, ikm) => extract(sha256, concat(HPKE_V1, suiteId, label, ikm), salt);
const labeledExpand = (suiteId, prk, label, info, length) =>
  expand(sha256, prk, concat(u16(length), HPKE_V1, suiteId, label, info), length);

// §4.1 DHKEM: ExtractAndExpand(dh, kem_context), Nsecret = 32.
function extractAndExpand(dh, kemContext) {
  const eaePrk = labeledExtract(KEM_SUITE_ID, EMPTY, L_EAE_PRK, dh);
  return labeledExpand(KEM_SUITE_ID, eaePrk, L_SHARED_SECRET, kemContext, 32);
}

// DH(sk, pk): the x-coordinate of sk * pk; fromBytes in getSharedSecret rejects invalid points.
const dh = (sk, pkBytes) => p256.getSharedSecret(sk, pkBytes, true).subarray(1);

// §5.1 KeySchedule for mode_base (no PSK): key (Nk = 32) and base_nonce (Nn = 12). The
// exporter secret is not derived: single-shot Seal/Open never use it.
function keySchedule(sharedSecret, info) {
  const pskIdHash = labeledExtract(HPKE_SUITE_ID, EMPTY, L_PSK_ID_HASH, EMPTY);
  const infoHash = labeledExtract(HPKE_SUITE_ID, EMPTY, L_INFO_HASH, info);
  const context = concat(MODE_BASE, pskIdHash, infoHash);
  const secret = labeledExtract(HPKE_SUITE_ID, sharedSecret, L_SECRET, EMPTY);
  return {
    key: labeledExpand(HPKE_SUITE_ID, secret, L_KEY, context, 32),
    nonce: labeledExpand(HPKE_SUITE_ID, secret, L_BASE_NONCE, context, 12),
  };
}

// §6.1 SealBase / OpenBase, single shot (sequence number 0, so the nonce is base_nonce).
function hpkeSealBase(pkRm, info, aad, plaintext) {
  const skE = p256.utils.randomSecretKey();
  const enc = p256.getPublicKey(skE, false);
  const shared = extractAndExpand(dh(skE, pkRm), concat(enc, pkRm));
  const { key, nonce } = keySchedule(shared, info);
  return { enc, ct: gcm(key, nonce, aad).encrypt(plaintext) };
}

function hpkeOpenBase(enc, skR, pkRm, info, aad, ciphertext) {
  if (enc.length !== ENC_LEN) throw new Error("enc is not an uncompressed P-256 point");
  const shared = extractAndExpand(dh(skR, enc), concat(enc, pkRm));
  const { key, nonce } = keySchedule(shared, info);
  return gcm(key, nonce, aad).decrypt(ciphertext);
}

// ---- bze1 ----------------------------------------------------------------------------------

/** content_key, nonce and commitment_key: HKDF-SHA256(salt = message_id, IKM = dek). */
function derive(dek, messageId) {
  const prk = extract(sha256, dek, messageId);
  return {
    contentKey: expand(sha256, prk, LABEL_CONTENT_KEY, 32),
    nonce: expand(sha256, prk, LABEL_NONCE, 12),
    commitmentKey: expand(sha256, prk, LABEL_COMMITMENT, 32),
  };
}

export const name = "noble";

/** A recipient key pair: `recipient` is what a sealer holds, `opener` what its owner holds. */
export async function generateKey() {
  const secretKey = p256.utils.randomSecretKey();
  const sec1 = p256.getPublicKey(secretKey, false);
  const kid = await keyId(sha256, 1, sec1);
  return { sec1, recipient: { kid, sec1 }, opener: { kid, secretKey, sec1 } };
}

/** A recipient from another implementation's SEC1 public key (version 1). */
export async function recipientFromSec1(sec1) {
  if (!p256.utils.isValidPublicKey(sec1, false)) throw new Error("not an uncompressed P-256 public key");
  return { kid: await keyId(sha256, 1, sec1), sec1 };
}

/** Seals `plaintext` (padded) to `recipients` under `context`; returns the binary envelope. */
export function seal(plaintext, context, recipients) {
  checkSeal(plaintext, recipients);
  const dek = randomBytes(DEK_LEN);
  const messageId = randomBytes(MESSAGE_ID_LEN);
  const prefix = buildPrefix(FLAG_PADDED, messageId);
  const ctx = encodeContext(context);
  const entries = recipients.map((r) => {
    const { enc, ct } = hpkeSealBase(r.sec1, HPKE_INFO, concat(prefix, r.kid, ctx), dek);
    return { kid: r.kid, enc, wrapped: ct };
  });
  const { contentKey, nonce, commitmentKey } = derive(dek, messageId);
  const header = buildHeader(prefix, entries);
  const commitment = hmac(sha256, commitmentKey, concat(header, ctx));
  const content = gcm(contentKey, nonce, concat(prefix, ctx)).encrypt(padBody(plaintext));
  return finish(header, commitment, content);
}

/** Opens a binary envelope with `opener` (from generateKey) under `context`. */
export function open(bytes, context, opener) {
  const envelope = parse(bytes);
  const entry = findEntry(envelope, opener.kid);
  const ctx = encodeContext(context);
  let body;
  try {
    const aad = concat(envelope.prefix, entry.kid, ctx);
    const dek = hpkeOpenBase(entry.enc, opener.secretKey, opener.sec1, HPKE_INFO, aad, entry.wrapped);
    if (dek.length !== DEK_LEN) throw new Error("data key is not 32 bytes");
    const { contentKey, nonce, commitmentKey } = derive(dek, envelope.messageId);
    const expected = hmac(sha256, commitmentKey, concat(envelope.header, ctx));
    if (!constantTimeEqual(expected, envelope.commitment)) throw new Error("commitment mismatch");
    body = gcm(contentKey, nonce, concat(envelope.prefix, ctx)).decrypt(envelope.content);
  } catch {
    throw new Error("could not be opened");
  }
  return envelope.padded ? unpadBody(body) : body;
}
