//! Raw primitives behind the safe API: AES-256-GCM, HKDF-SHA256 and HPKE key wrapping.
//!
//! Nothing here is public. Every caller supplies domain-separated labels, so a key or
//! ciphertext made for one purpose is never accepted for another.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use hkdf::Hkdf;
use hpke::Serializable;
use hpke::kem::DhP256HkdfSha256;
use rand_core::CryptoRng;
use sha2::Sha256;
use zeroize::Zeroizing;

/// AES-256-GCM key length in bytes.
pub(crate) const AEAD_KEY_LEN: usize = 32;
/// AES-256-GCM nonce length in bytes (96 bits).
pub(crate) const AEAD_NONCE_LEN: usize = 12;
/// AES-256-GCM tag length in bytes.
pub(crate) const AEAD_TAG_LEN: usize = 16;
/// Length of an uncompressed SEC1 P-256 point, which is also HPKE's `enc` for DHKEM(P-256).
pub(crate) const HPKE_ENC_LEN: usize = 65;

/// The authentication of a ciphertext failed. Deliberately carries no detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AuthError;

/// HKDF was asked for more output than RFC 5869 allows (255 hash lengths).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HkdfLengthError;

/// Encrypts `plaintext` with AES-256-GCM; returns ciphertext followed by the 16-byte tag.
pub(crate) fn aead_seal(
    key: &[u8; AEAD_KEY_LEN],
    nonce: &[u8; AEAD_NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Vec<u8> {
    let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key));
    // Encryption with a 96-bit nonce only fails for inputs over 64 GiB, which no caller can
    // produce (every length is bounded far below that before we get here).
    cipher.encrypt(&Nonce::from(*nonce), Payload { msg: plaintext, aad }).unwrap_or_default()
}

/// Decrypts and authenticates AES-256-GCM `ciphertext || tag`.
pub(crate) fn aead_open(
    key: &[u8; AEAD_KEY_LEN],
    nonce: &[u8; AEAD_NONCE_LEN],
    aad: &[u8],
    ciphertext_and_tag: &[u8],
) -> Result<Zeroizing<Vec<u8>>, AuthError> {
    let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key));
    cipher
        .decrypt(&Nonce::from(*nonce), Payload { msg: ciphertext_and_tag, aad })
        .map(Zeroizing::new)
        .map_err(|_| AuthError)
}

/// HKDF-SHA256 (RFC 5869): extract with `salt`, then expand `info` into `out`.
pub(crate) fn hkdf_sha256(salt: &[u8], ikm: &[u8], info: &[u8], out: &mut [u8]) -> Result<(), HkdfLengthError> {
    Hkdf::<Sha256>::new(Some(salt), ikm).expand(info, out).map_err(|_| HkdfLengthError)
}

/// Derives a fixed-size key with HKDF-SHA256 for lengths that are always valid.
pub(crate) fn hkdf_array<const N: usize>(salt: &[u8], ikm: &[u8], info: &[u8]) -> Zeroizing<[u8; N]> {
    const { assert!(N <= 255 * 32) };
    let mut out = Zeroizing::new([0u8; N]);
    // Cannot fail: N is checked against HKDF's limit at compile time above.
    let _ = hkdf_sha256(salt, ikm, info, out.as_mut_slice());
    out
}

/// HMAC-SHA256 over the concatenation of `parts`.
pub(crate) fn hmac_sha256(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    use hmac::{KeyInit as _, Mac as _};
    // HMAC accepts keys of any length, so a 32-byte key never fails.
    let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(key) else {
        return [0; 32];
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

type Kem = DhP256HkdfSha256;

/// HPKE base-mode single-shot seal to a P-256 public key (RFC 9180, suite
/// DHKEM(P-256, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM): `Encap` of §4.1 DHKEM, the
/// §5.1 key schedule with the default PSK, and `Seal` at sequence number 0. Returns
/// `(enc, ciphertext)`.
///
/// The ephemeral key pair comes from the `hpke` crate's `DeriveKeyPair` (RFC 9180 §7.1.3,
/// rejection sampling included) over 32 fresh bytes, exactly as its own seal makes one; the
/// rest is written out over p256's ECDH, `hkdf` and `aes-gcm` like [`hpke_open`], because
/// the crate's seal derives the ephemeral public key a second time after deriving the pair
/// (a base-point multiplication: about a sixth of sealing a note to two recipients). The
/// tests check the output byte for byte against the crate's seal from the same randomness.
pub(crate) fn hpke_seal(
    recipient: &p256::PublicKey,
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    rng: &mut impl CryptoRng,
) -> Result<([u8; HPKE_ENC_LEN], Vec<u8>), AuthError> {
    let mut ikm = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(ikm.as_mut_slice());
    let (ephemeral_secret, ephemeral_public) = <Kem as hpke::Kem>::derive_keypair(ikm.as_slice());
    let mut enc = [0u8; HPKE_ENC_LEN];
    ephemeral_public.write_exact(&mut enc);
    // The crate's key is a valid non-zero scalar; reading it back cannot fail.
    let scalar_bytes = Zeroizing::new(ephemeral_secret.to_bytes());
    let secret = p256::SecretKey::from_slice(scalar_bytes.as_slice()).map_err(|_| AuthError)?;
    // SerializePublicKey(pkR): the 65-byte uncompressed form.
    let recipient_sec1 = recipient.to_sec1_bytes();
    let dh = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), recipient.as_affine());
    let (key, nonce) = key_schedule(dh.raw_secret_bytes().as_slice(), &enc, &recipient_sec1, info);
    Ok((enc, aead_seal(&key, &nonce, aad, plaintext)))
}

/// HPKE's suite identifiers (RFC 9180 §7): DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-256-GCM.
const KEM_ID: [u8; 2] = 0x0010_u16.to_be_bytes();
const KDF_ID: [u8; 2] = 0x0001_u16.to_be_bytes();
const AEAD_ID: [u8; 2] = 0x0002_u16.to_be_bytes();
/// RFC 9180 §4.1: `suite_id = concat("KEM", I2OSP(kem_id, 2))`.
const KEM_SUITE: [u8; 5] = [b'K', b'E', b'M', KEM_ID[0], KEM_ID[1]];
/// RFC 9180 §5.1: `suite_id = concat("HPKE", I2OSP(kem_id, 2), I2OSP(kdf_id, 2), I2OSP(aead_id, 2))`.
const HPKE_SUITE: [u8; 10] =
    [b'H', b'P', b'K', b'E', KEM_ID[0], KEM_ID[1], KDF_ID[0], KDF_ID[1], AEAD_ID[0], AEAD_ID[1]];
/// RFC 9180 §4: the version label every labeled derivation starts with.
const HPKE_V1: &[u8] = b"HPKE-v1";
/// Base mode (RFC 9180 §5): no PSK, no sender authentication.
const MODE_BASE: u8 = 0x00;

/// RFC 9180 §4 `LabeledExtract(salt, label, ikm)`: HKDF-Extract over
/// `concat("HPKE-v1", suite_id, label, ikm)`; returns the PRK.
fn labeled_extract(salt: &[u8], suite: &[u8], label: &[u8], ikm: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut extract = hkdf::HkdfExtract::<Sha256>::new(Some(salt));
    for part in [HPKE_V1, suite, label, ikm] {
        extract.input_ikm(part);
    }
    Zeroizing::new(extract.finalize().0.into())
}

/// RFC 9180 §4 `LabeledExpand(prk, label, info, L)`: HKDF-Expand with
/// `concat(I2OSP(L, 2), "HPKE-v1", suite_id, label, info)` as its info.
fn labeled_expand<const L: usize>(prk: &[u8; 32], suite: &[u8], label: &[u8], info: &[u8]) -> Zeroizing<[u8; L]> {
    const { assert!(L <= 255 * 32 && L <= u16::MAX as usize) };
    let mut out = Zeroizing::new([0u8; L]);
    #[allow(clippy::cast_possible_truncation, reason = "L <= u16::MAX is checked at compile time above")]
    let length = (L as u16).to_be_bytes();
    // Neither can fail: a 32-byte PRK is HashLen, and L is checked against HKDF's limit above.
    if let Ok(hkdf) = Hkdf::<Sha256>::from_prk(prk) {
        let _ = hkdf.expand_multi_info(&[&length, HPKE_V1, suite, label, info], out.as_mut_slice());
    }
    out
}

/// HPKE base-mode single-shot open with a P-256 key pair, its public key given in the
/// 65-byte uncompressed form `public_sec1` (RFC 9180: `DecapAndDecrypt` of
/// §4.1 DHKEM, the §5.1 key schedule with the default PSK, and `Open` at sequence number
/// 0). Any failure, including an `enc` that is not a valid uncompressed point, is the one
/// opaque [`AuthError`].
///
/// Written out over p256's ECDH, `hkdf` and `aes-gcm` rather than calling
/// `hpke::single_shot_open`, because that derives the recipient's public key from the secret
/// key on every call (a scalar multiplication: about a fifth of opening a note in wasm) and
/// takes no public key, while every caller here already holds it. The tests check this
/// function against the crate.
pub(crate) fn hpke_open(
    secret: &p256::SecretKey,
    public_sec1: &[u8; HPKE_ENC_LEN],
    enc: &[u8],
    info: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, AuthError> {
    // DHKEM's DeserializePublicKey: exactly the 65-byte uncompressed form, a point on the
    // curve and not the identity (from_sec1_bytes checks both).
    if enc.len() != HPKE_ENC_LEN || enc.first() != Some(&0x04) {
        return Err(AuthError);
    }
    let ephemeral = p256::PublicKey::from_sec1_bytes(enc).map_err(|_| AuthError)?;
    // A non-zero scalar times a point of the prime-order group is never the identity, so
    // the shared secret is always defined (RFC 9180 §7.1.4 asks for that check).
    let dh = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), ephemeral.as_affine());
    let (key, nonce) = key_schedule(dh.raw_secret_bytes().as_slice(), enc, public_sec1, info);
    aead_open(&key, &nonce, aad, ciphertext)
}

/// From the DH result to the first message's AEAD key and nonce, for both sides:
/// DHKEM's `ExtractAndExpand(dh, concat(enc, pkRm))` (RFC 9180 §4.1), then the §5.1
/// `KeySchedule` in base mode (empty psk and psk_id). The first message's nonce is
/// `base_nonce XOR 0`, the base nonce itself (§5.2).
fn key_schedule(
    dh: &[u8],
    enc: &[u8],
    recipient_sec1: &[u8],
    info: &[u8],
) -> (Zeroizing<[u8; AEAD_KEY_LEN]>, Zeroizing<[u8; AEAD_NONCE_LEN]>) {
    let kem_context = [enc, recipient_sec1].concat();
    let eae_prk = labeled_extract(b"", &KEM_SUITE, b"eae_prk", dh);
    let shared_secret = labeled_expand::<32>(&eae_prk, &KEM_SUITE, b"shared_secret", &kem_context);
    let psk_id_hash = labeled_extract(b"", &HPKE_SUITE, b"psk_id_hash", b"");
    let info_hash = labeled_extract(b"", &HPKE_SUITE, b"info_hash", info);
    let context = [&[MODE_BASE][..], psk_id_hash.as_slice(), info_hash.as_slice()].concat();
    let schedule_secret = labeled_extract(shared_secret.as_slice(), &HPKE_SUITE, b"secret", b"");
    let key = labeled_expand::<AEAD_KEY_LEN>(&schedule_secret, &HPKE_SUITE, b"key", &context);
    let nonce = labeled_expand::<AEAD_NONCE_LEN>(&schedule_secret, &HPKE_SUITE, b"base_nonce", &context);
    (key, nonce)
}

#[cfg(test)]
mod tests {
    //! Known-answer tests of the wrappers above, from RFC 5869 and Project Wycheproof.
    //! The vector files live in `tests/data/` with their provenance in `tests/data/README.md`.

    use super::*;
    use serde::Deserialize;

    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    /// Every vector file of `tests/data/`, compiled in so the check runs on wasm too.
    const VECTOR_FILES: &[(&str, &[u8])] = &[
        ("rfc5869_hkdf_sha256.json", include_bytes!("../tests/data/rfc5869_hkdf_sha256.json")),
        ("rfc4226_hotp.json", include_bytes!("../tests/data/rfc4226_hotp.json")),
        ("rfc6238_totp.json", include_bytes!("../tests/data/rfc6238_totp.json")),
        ("wycheproof/aes_gcm_test.json", include_bytes!("../tests/data/wycheproof/aes_gcm_test.json")),
        (
            "wycheproof/ecdh_secp256r1_ecpoint_test.json",
            include_bytes!("../tests/data/wycheproof/ecdh_secp256r1_ecpoint_test.json"),
        ),
        (
            "wycheproof/ecdsa_secp256r1_sha256_p1363_test.json",
            include_bytes!("../tests/data/wycheproof/ecdsa_secp256r1_sha256_p1363_test.json"),
        ),
        ("wycheproof/hkdf_sha256_test.json", include_bytes!("../tests/data/wycheproof/hkdf_sha256_test.json")),
        ("envelope_vectors.json", include_bytes!("../tests/data/envelope_vectors.json")),
        ("access_log_vectors.json", include_bytes!("../tests/data/access_log_vectors.json")),
    ];

    /// `tests/data/README.md` records each file's SHA-256 (`sha256sum` lines), so a reader
    /// can check the copies; this keeps that list true.
    #[test]
    fn vector_files_match_their_recorded_checksums() {
        use sha2::Digest as _;
        let readme = include_str!("../tests/data/README.md");
        let recorded: Vec<(&str, &str)> = readme
            .lines()
            .filter_map(|line| line.split_once("  "))
            .filter(|(hash, _)| hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
            .collect();
        assert_eq!(recorded.len(), VECTOR_FILES.len(), "one checksum line per file");
        for (name, bytes) in VECTOR_FILES {
            let hash = recorded.iter().find(|(_, path)| path == name).map(|(hash, _)| *hash);
            let actual = hex::encode(Sha256::digest(bytes));
            assert_eq!(hash, Some(actual.as_str()), "tests/data/README.md's SHA-256 of {name}");
        }
    }

    #[derive(Deserialize)]
    struct Rfc5869 {
        vectors: Vec<Rfc5869Case>,
    }
    #[derive(Deserialize)]
    struct Rfc5869Case {
        name: String,
        ikm: String,
        salt: String,
        info: String,
        #[serde(rename = "L")]
        len: usize,
        prk: String,
        okm: String,
    }

    /// From RFC 5869 Appendix A.1-A.3 (the SHA-256 cases).
    #[test]
    fn hkdf_rfc5869() {
        let file: Rfc5869 = serde_json::from_str(include_str!("../tests/data/rfc5869_hkdf_sha256.json")).unwrap();
        assert_eq!(file.vectors.len(), 3);
        for case in file.vectors {
            let mut out = vec![0u8; case.len];
            hkdf_sha256(&unhex(&case.salt), &unhex(&case.ikm), &unhex(&case.info), &mut out).unwrap();
            assert_eq!(hex::encode(out), case.okm, "{}", case.name);
            // The PRK too: HKDF-Expand from the PRK alone must give the same OKM.
            let prk = Hkdf::<Sha256>::from_prk(&unhex(&case.prk)).unwrap();
            let mut again = vec![0u8; case.len];
            prk.expand(&unhex(&case.info), &mut again).unwrap();
            assert_eq!(hex::encode(again), case.okm, "{}", case.name);
        }
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Wycheproof<G> {
        algorithm: String,
        test_groups: Vec<G>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct HkdfGroup {
        tests: Vec<HkdfCase>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct HkdfCase {
        tc_id: u32,
        ikm: String,
        salt: String,
        info: String,
        size: usize,
        okm: String,
        result: String,
    }

    /// From Project Wycheproof `hkdf_sha256_test.json`.
    #[test]
    fn hkdf_wycheproof() {
        let file: Wycheproof<HkdfGroup> =
            serde_json::from_str(include_str!("../tests/data/wycheproof/hkdf_sha256_test.json")).unwrap();
        assert_eq!(file.algorithm, "HKDF-SHA-256");
        let mut seen = (0, 0);
        for case in file.test_groups.iter().flat_map(|g| &g.tests) {
            let mut out = vec![0u8; case.size];
            let got = hkdf_sha256(&unhex(&case.salt), &unhex(&case.ikm), &unhex(&case.info), &mut out);
            match case.result.as_str() {
                "valid" => {
                    got.unwrap();
                    assert_eq!(hex::encode(&out), case.okm, "tcId {}", case.tc_id);
                    seen.0 += 1;
                }
                "invalid" => {
                    assert!(got.is_err(), "tcId {} must be rejected", case.tc_id);
                    seen.1 += 1;
                }
                other => panic!("unexpected result {other}"),
            }
        }
        assert!(seen.0 > 50 && seen.1 > 0, "{seen:?}");
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct AeadGroup {
        key_size: u32,
        iv_size: u32,
        tag_size: u32,
        tests: Vec<AeadCase>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct AeadCase {
        tc_id: u32,
        key: String,
        iv: String,
        aad: String,
        msg: String,
        ct: String,
        tag: String,
        result: String,
    }

    /// From Project Wycheproof `aes_gcm_test.json`: every 256-bit key, 96-bit nonce,
    /// 128-bit tag case, through our seal and open.
    #[test]
    fn aes_gcm_wycheproof() {
        let file: Wycheproof<AeadGroup> =
            serde_json::from_str(include_str!("../tests/data/wycheproof/aes_gcm_test.json")).unwrap();
        assert_eq!(file.algorithm, "AES-GCM");
        let (mut valid, mut invalid) = (0, 0);
        for group in &file.test_groups {
            if (group.key_size, group.iv_size, group.tag_size) != (256, 96, 128) {
                continue;
            }
            for case in &group.tests {
                let key: [u8; 32] = unhex(&case.key).try_into().unwrap();
                let nonce: [u8; 12] = unhex(&case.iv).try_into().unwrap();
                let (aad, msg) = (unhex(&case.aad), unhex(&case.msg));
                let sealed = [unhex(&case.ct), unhex(&case.tag)].concat();
                let opened = aead_open(&key, &nonce, &aad, &sealed);
                match case.result.as_str() {
                    "valid" => {
                        assert_eq!(aead_seal(&key, &nonce, &aad, &msg), sealed, "tcId {}", case.tc_id);
                        assert_eq!(opened.unwrap().as_slice(), msg, "tcId {}", case.tc_id);
                        valid += 1;
                    }
                    "invalid" => {
                        assert!(opened.is_err(), "tcId {} must be rejected", case.tc_id);
                        invalid += 1;
                    }
                    other => panic!("unexpected result {other}"),
                }
            }
        }
        assert!(valid > 20 && invalid > 10, "{valid} valid, {invalid} invalid");
    }

    fn sec1(pk: &p256::PublicKey) -> [u8; HPKE_ENC_LEN] {
        pk.to_sec1_bytes().as_ref().try_into().unwrap()
    }

    use hpke::aead::AesGcm256;
    use hpke::kdf::HkdfSha256;
    use hpke::{Deserializable, OpModeS};

    /// A deterministic generator (SHA-256 of a seed and a counter), so that two seals can
    /// be given the same randomness. For tests only.
    struct Replay {
        seed: u64,
        counter: u64,
        block: [u8; 32],
        used: usize,
    }

    impl Replay {
        fn new(seed: u64) -> Self {
            Self { seed, counter: 0, block: [0; 32], used: 32 }
        }
    }

    impl rand_core::TryRng for Replay {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            let mut b = [0u8; 4];
            self.try_fill_bytes(&mut b)?;
            Ok(u32::from_le_bytes(b))
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            let mut b = [0u8; 8];
            self.try_fill_bytes(&mut b)?;
            Ok(u64::from_le_bytes(b))
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
            use sha2::Digest as _;
            for byte in dst {
                if self.used == 32 {
                    let digest =
                        Sha256::new().chain_update(self.seed.to_le_bytes()).chain_update(self.counter.to_le_bytes());
                    self.block = digest.finalize().into();
                    self.counter += 1;
                    self.used = 0;
                }
                *byte = self.block[self.used];
                self.used += 1;
            }
            Ok(())
        }
    }

    impl rand_core::TryCryptoRng for Replay {}

    /// The `hpke` crate's own seal, the reference [`hpke_seal`] is checked against.
    fn reference_seal(
        pk: &p256::PublicKey,
        info: &[u8],
        aad: &[u8],
        plaintext: &[u8],
        rng: &mut Replay,
    ) -> ([u8; HPKE_ENC_LEN], Vec<u8>) {
        let pk = <Kem as hpke::Kem>::PublicKey::from_bytes(&pk.to_sec1_bytes()).unwrap();
        let (enc, ct) = hpke::single_shot_seal_with_rng::<AesGcm256, HkdfSha256, Kem>(
            &OpModeS::Base,
            &pk,
            info,
            plaintext,
            aad,
            rng,
        )
        .unwrap();
        let mut enc_bytes = [0u8; HPKE_ENC_LEN];
        enc.write_exact(&mut enc_bytes);
        (enc_bytes, ct)
    }

    /// The RFC 9180 seal written out here is the `hpke` crate's seal, byte for byte, given the
    /// same randomness: the same ephemeral key, `enc` and ciphertext.
    #[test]
    fn hpke_seal_matches_the_hpke_crate_byte_for_byte() {
        use rand_core::Rng as _;
        let mut rng = crate::random::OsRng::new().unwrap();
        for round in 0..32_u64 {
            let sk = <p256::SecretKey as p256::elliptic_curve::Generate>::generate_from_rng(&mut rng);
            #[allow(clippy::cast_possible_truncation, reason = "round < 32")]
            let (mut info, mut aad, mut plaintext) = (
                vec![0u8; round as usize % 5 * 9],
                vec![0u8; round as usize * 3 % 41],
                vec![0u8; round as usize * 23 % 200],
            );
            rng.fill_bytes(&mut info);
            rng.fill_bytes(&mut aad);
            rng.fill_bytes(&mut plaintext);
            let ours = hpke_seal(&sk.public_key(), &info, &aad, &plaintext, &mut Replay::new(round)).unwrap();
            let theirs = reference_seal(&sk.public_key(), &info, &aad, &plaintext, &mut Replay::new(round));
            assert_eq!(ours, theirs, "round {round}");
            // And a different draw is a different ephemeral key.
            let other = hpke_seal(&sk.public_key(), &info, &aad, &plaintext, &mut Replay::new(round + 1000)).unwrap();
            assert_ne!(ours.0, other.0);
        }
    }

    /// The `hpke` crate's own open, the reference [`hpke_open`] is checked against.
    fn reference_open(sk: &p256::SecretKey, enc: &[u8], info: &[u8], aad: &[u8], ct: &[u8]) -> Option<Vec<u8>> {
        let sk = <Kem as hpke::Kem>::PrivateKey::from_bytes(&sk.to_bytes()).ok()?;
        let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(enc).ok()?;
        hpke::single_shot_open::<AesGcm256, HkdfSha256, Kem>(&hpke::OpModeR::Base, &sk, &enc, info, ct, aad).ok()
    }

    #[test]
    fn hpke_round_trip_and_binding() {
        let mut rng = crate::random::OsRng::new().unwrap();
        let sk = <p256::SecretKey as p256::elliptic_curve::Generate>::generate_from_rng(&mut rng);
        let pk = sec1(&sk.public_key());
        let (enc, ct) = hpke_seal(&sk.public_key(), b"info", b"aad", b"secret", &mut rng).unwrap();
        assert_eq!(hpke_open(&sk, &pk, &enc, b"info", b"aad", &ct).unwrap().as_slice(), b"secret");
        assert!(hpke_open(&sk, &pk, &enc, b"other", b"aad", &ct).is_err());
        assert!(hpke_open(&sk, &pk, &enc, b"info", b"other", &ct).is_err());
        assert!(hpke_open(&sk, &pk, &enc[..64], b"info", b"aad", &ct).is_err());
        let other = <p256::SecretKey as p256::elliptic_curve::Generate>::generate_from_rng(&mut rng);
        assert!(hpke_open(&other, &sec1(&other.public_key()), &enc, b"info", b"aad", &ct).is_err());
        // The right secret with another public key is a different KEM context.
        assert!(hpke_open(&sk, &sec1(&other.public_key()), &enc, b"info", b"aad", &ct).is_err());
    }

    /// The RFC 9180 open written out here agrees with the `hpke` crate's, which is checked
    /// against the RFC's test vectors upstream: on what either seals, and on hostile input.
    #[test]
    fn hpke_open_agrees_with_the_hpke_crate() {
        use rand_core::Rng as _;
        let mut rng = crate::random::OsRng::new().unwrap();
        for round in 0..48_usize {
            let sk = <p256::SecretKey as p256::elliptic_curve::Generate>::generate_from_rng(&mut rng);
            let pk = sec1(&sk.public_key());
            let mut info = vec![0u8; round % 7 * 11];
            let mut aad = vec![0u8; round * 5 % 97];
            let mut plaintext = vec![0u8; round * 37 % 300];
            rng.fill_bytes(&mut info);
            rng.fill_bytes(&mut aad);
            rng.fill_bytes(&mut plaintext);
            let (enc, ct) = hpke_seal(&sk.public_key(), &info, &aad, &plaintext, &mut rng).unwrap();
            let ours = hpke_open(&sk, &pk, &enc, &info, &aad, &ct).unwrap();
            assert_eq!(ours.as_slice(), plaintext.as_slice());
            assert_eq!(reference_open(&sk, &enc, &info, &aad, &ct).as_deref(), Some(plaintext.as_slice()));
            // Any flipped byte of enc or ciphertext: both refuse.
            let (mut bad_enc, mut bad_ct) = (enc, ct.clone());
            let at = round * 13 % enc.len();
            bad_enc[at] ^= 1 << (round % 8);
            assert!(hpke_open(&sk, &pk, &bad_enc, &info, &aad, &ct).is_err());
            assert_eq!(reference_open(&sk, &bad_enc, &info, &aad, &ct), None);
            let at = round * 29 % bad_ct.len();
            bad_ct[at] ^= 1 << (round % 8);
            assert!(hpke_open(&sk, &pk, &enc, &info, &aad, &bad_ct).is_err());
            assert_eq!(reference_open(&sk, &enc, &info, &aad, &bad_ct), None);
        }
        // Encodings DHKEM(P-256) does not accept as enc: the compressed form of a valid
        // point, the identity, a point off the curve, and a wrong prefix.
        let sk = <p256::SecretKey as p256::elliptic_curve::Generate>::generate_from_rng(&mut rng);
        let pk = sec1(&sk.public_key());
        let (enc, ct) = hpke_seal(&sk.public_key(), b"i", b"a", b"p", &mut rng).unwrap();
        let compressed = {
            use p256::elliptic_curve::sec1::ToSec1Point as _;
            p256::PublicKey::from_sec1_bytes(&enc).unwrap().to_sec1_point(true)
        };
        assert_eq!(compressed.as_bytes().len(), 33);
        let mut off_curve = enc;
        off_curve[64] ^= 1;
        let mut wrong_prefix = enc;
        wrong_prefix[0] = 0x06;
        for hostile in [compressed.as_bytes(), &[0u8][..], &[0u8; HPKE_ENC_LEN][..], &off_curve[..], &wrong_prefix[..]]
        {
            assert!(hpke_open(&sk, &pk, hostile, b"i", b"a", &ct).is_err());
            assert_eq!(reference_open(&sk, hostile, b"i", b"a", &ct), None);
        }
    }
}
