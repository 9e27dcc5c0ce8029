//! Personal and clinic P-256 key pairs, their public halves, and key ids.

use core::fmt;
use core::str::FromStr;

use base64ct::{Base64UrlUnpadded, Encoding};
use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::random::{OsRng, RandomError};

/// Length of a SEC1 uncompressed P-256 point.
pub const SEC1_UNCOMPRESSED_LEN: usize = 65;
/// Length of a key id on the wire: 4-byte version plus 16-byte fingerprint.
pub const KEY_ID_LEN: usize = 20;

/// Why a key could not be imported or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The bytes are not a SEC1 encoding of a P-256 point: wrong length or prefix, a point
    /// not on the curve, or the identity.
    #[error("not a valid P-256 public key")]
    InvalidPublicKey,
    /// The bytes are not a valid P-256 secret scalar (zero, or not less than the group order).
    #[error("not a valid P-256 private key")]
    InvalidPrivateKey,
    /// The JWK is not a P-256 EC public key in the form RFC 7517/7518 describe.
    #[error("invalid JWK: {0}")]
    InvalidJwk(&'static str),
    /// The key id is not of the form `v<version>.<fingerprint>`.
    #[error("invalid key id")]
    InvalidKeyId,
    /// The key id given with a key does not match the key's fingerprint.
    #[error("the key id does not match the key")]
    KeyIdMismatch,
    /// Key versions start at 1.
    #[error("key versions start at 1")]
    InvalidVersion,
    /// The platform's random number generator failed.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// Identifies one version of a key: the version number and a fingerprint of the public key.
///
/// The fingerprint is the first 16 bytes of SHA-256("bizing key id v1" || SEC1 uncompressed
/// point), so an id always names exactly one public key. The text form is
/// `v<version>.<base64url fingerprint>`, e.g. `v3.q2Y0Pc0mTvHfV7w1xZL1Jg`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId {
    version: u32,
    fingerprint: [u8; 16],
}

impl KeyId {
    fn for_point(point: &[u8; SEC1_UNCOMPRESSED_LEN], version: u32) -> Self {
        let digest = Sha256::new_with_prefix(b"bizing key id v1").chain_update(point).finalize();
        let mut fingerprint = [0u8; 16];
        fingerprint.copy_from_slice(digest.get(..16).unwrap_or(&[0u8; 16]));
        Self { version, fingerprint }
    }

    /// The key's version (1 for a new key; incremented by each rotation of a clinic key).
    #[must_use]
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The 20-byte wire encoding: version (big-endian u32) then fingerprint.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; KEY_ID_LEN] {
        let mut out = [0u8; KEY_ID_LEN];
        out[..4].copy_from_slice(&self.version.to_be_bytes());
        out[4..].copy_from_slice(&self.fingerprint);
        out
    }

    /// Parses the 20-byte wire encoding.
    ///
    /// # Errors
    /// [`KeyError::InvalidKeyId`] for a wrong length or version 0.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let bytes: &[u8; KEY_ID_LEN] = bytes.try_into().map_err(|_| KeyError::InvalidKeyId)?;
        let (version, fingerprint) = bytes.split_at(4);
        let version = u32::from_be_bytes(version.try_into().map_err(|_| KeyError::InvalidKeyId)?);
        if version == 0 {
            return Err(KeyError::InvalidKeyId);
        }
        let fingerprint = fingerprint.try_into().map_err(|_| KeyError::InvalidKeyId)?;
        Ok(Self { version, fingerprint })
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}", self.version, Base64UrlUnpadded::encode_string(&self.fingerprint))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

impl FromStr for KeyId {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, KeyError> {
        let (version, fingerprint) =
            s.strip_prefix('v').and_then(|rest| rest.split_once('.')).ok_or(KeyError::InvalidKeyId)?;
        // Canonical decimal only: no sign, no leading zeros.
        if version.is_empty() || version.starts_with('0') || !version.bytes().all(|b| b.is_ascii_digit()) {
            return Err(KeyError::InvalidKeyId);
        }
        let version: u32 = version.parse().map_err(|_| KeyError::InvalidKeyId)?;
        let mut fp = [0u8; 16];
        let decoded = Base64UrlUnpadded::decode(fingerprint, &mut fp).map_err(|_| KeyError::InvalidKeyId)?;
        if decoded.len() != 16 {
            return Err(KeyError::InvalidKeyId);
        }
        Ok(Self { version, fingerprint: fp })
    }
}

/// The members of a JWK that matter for a P-256 public key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JwkMembers<'a> {
    /// `kty`: must be `"EC"`.
    pub kty: &'a str,
    /// `crv`: must be `"P-256"`.
    pub crv: Option<&'a str>,
    /// `x`: 32 bytes, base64url without padding.
    pub x: Option<&'a str>,
    /// `y`: 32 bytes, base64url without padding.
    pub y: Option<&'a str>,
    /// `kid`: one of our key ids sets the version and must match; others are ignored.
    pub kid: Option<&'a str>,
    /// Whether the JWK has a `d` member (a private key), which is refused.
    pub has_private_key: bool,
}

/// A P-256 public key with its version: what a note is sealed to.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    point: p256::PublicKey,
    sec1: [u8; SEC1_UNCOMPRESSED_LEN],
    id: KeyId,
}

impl PublicKey {
    fn from_point(point: p256::PublicKey, version: u32) -> Self {
        let mut sec1 = [0u8; SEC1_UNCOMPRESSED_LEN];
        let encoded = point.to_sec1_bytes();
        // `to_sec1_bytes` is always the 65-byte uncompressed form for a valid key.
        if let Some(src) = encoded.get(..SEC1_UNCOMPRESSED_LEN) {
            sec1.copy_from_slice(src);
        }
        let id = KeyId::for_point(&sec1, version);
        Self { point, sec1, id }
    }

    /// Imports a SEC1-encoded point (65-byte uncompressed or 33-byte compressed) as version 1.
    ///
    /// # Errors
    /// [`KeyError::InvalidPublicKey`] for a wrong length or prefix, a point not on the curve,
    /// or the identity.
    pub fn from_sec1(bytes: &[u8]) -> Result<Self, KeyError> {
        if bytes.len() != SEC1_UNCOMPRESSED_LEN && bytes.len() != 33 {
            return Err(KeyError::InvalidPublicKey);
        }
        let point = p256::PublicKey::from_sec1_bytes(bytes).map_err(|_| KeyError::InvalidPublicKey)?;
        Ok(Self::from_point(point, 1))
    }

    /// The same key labelled with another version (clinic keys count their rotations).
    ///
    /// # Errors
    /// [`KeyError::InvalidVersion`] for version 0.
    pub fn with_version(&self, version: u32) -> Result<Self, KeyError> {
        if version == 0 {
            return Err(KeyError::InvalidVersion);
        }
        Ok(Self::from_point(self.point, version))
    }

    /// The 65-byte SEC1 uncompressed encoding.
    #[must_use]
    pub fn to_sec1(&self) -> [u8; SEC1_UNCOMPRESSED_LEN] {
        self.sec1
    }

    /// This key's id, version included.
    #[must_use]
    pub fn key_id(&self) -> KeyId {
        self.id
    }

    /// Exports the key as a JWK (RFC 7517/7518) with `kid` set to the key id.
    #[must_use]
    pub fn to_jwk(&self) -> String {
        let (x, y) = self.sec1[1..].split_at(32);
        format!(
            r#"{{"kty":"EC","crv":"P-256","x":"{}","y":"{}","kid":"{}"}}"#,
            Base64UrlUnpadded::encode_string(x),
            Base64UrlUnpadded::encode_string(y),
            self.id
        )
    }

    /// Imports a JWK for a P-256 public key. A `kid` of ours, when present, sets the version
    /// and must match the key; other `kid` values are ignored. A JWK carrying a private
    /// part (`d`) is refused, so a private key is never mistaken for a public one.
    ///
    /// # Errors
    /// [`KeyError::InvalidJwk`] for malformed JSON or members, [`KeyError::InvalidPublicKey`]
    /// for a point that is not valid, [`KeyError::KeyIdMismatch`] when `kid` names another key.
    pub fn from_jwk(jwk: &str) -> Result<Self, KeyError> {
        #[derive(serde::Deserialize)]
        struct Jwk {
            kty: String,
            crv: Option<String>,
            x: Option<String>,
            y: Option<String>,
            d: Option<serde::de::IgnoredAny>,
            kid: Option<String>,
        }
        let jwk: Jwk = serde_json::from_str(jwk).map_err(|_| KeyError::InvalidJwk("not a JSON object"))?;
        Self::from_jwk_members(&JwkMembers {
            kty: &jwk.kty,
            crv: jwk.crv.as_deref(),
            x: jwk.x.as_deref(),
            y: jwk.y.as_deref(),
            kid: jwk.kid.as_deref(),
            has_private_key: jwk.d.is_some(),
        })
    }

    /// As [`PublicKey::from_jwk`], from members already taken out of the JSON (the wasm SDK
    /// reads them from a JavaScript object, so no JSON parser ships in the package).
    ///
    /// # Errors
    /// As [`PublicKey::from_jwk`].
    pub fn from_jwk_members(jwk: &JwkMembers<'_>) -> Result<Self, KeyError> {
        if jwk.kty != "EC" {
            return Err(KeyError::InvalidJwk("kty must be \"EC\""));
        }
        if jwk.crv != Some("P-256") {
            return Err(KeyError::InvalidJwk("crv must be \"P-256\""));
        }
        if jwk.has_private_key {
            return Err(KeyError::InvalidJwk("a public key must not contain \"d\""));
        }
        let coordinate = |value: Option<&str>, name| -> Result<[u8; 32], KeyError> {
            let value = value.ok_or(KeyError::InvalidJwk(name))?;
            let mut out = [0u8; 32];
            match Base64UrlUnpadded::decode(value, &mut out) {
                Ok(decoded) if decoded.len() == 32 => Ok(out),
                _ => Err(KeyError::InvalidJwk(name)),
            }
        };
        let x = coordinate(jwk.x, "x must be 32 bytes of base64url")?;
        let y = coordinate(jwk.y, "y must be 32 bytes of base64url")?;
        let mut sec1 = [4u8; SEC1_UNCOMPRESSED_LEN];
        sec1[1..33].copy_from_slice(&x);
        sec1[33..].copy_from_slice(&y);
        let key = Self::from_sec1(&sec1)?;
        match jwk.kid.map(KeyId::from_str) {
            Some(Ok(kid)) => {
                let key = key.with_version(kid.version)?;
                if key.id != kid {
                    return Err(KeyError::KeyIdMismatch);
                }
                Ok(key)
            }
            _ => Ok(key),
        }
    }

    pub(crate) fn point(&self) -> &p256::PublicKey {
        &self.point
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey").field("id", &self.id).finish()
    }
}

/// A P-256 key pair. The private half is zeroized on drop, never printed, and leaves this
/// type only wrapped (under a password, a recovery code, or another public key).
#[derive(Clone)]
pub struct KeyPair {
    secret: p256::SecretKey,
    public: PublicKey,
}

impl KeyPair {
    /// Generates a new key pair (version 1) from the platform RNG.
    ///
    /// # Errors
    /// [`KeyError::Random`] if the platform RNG is unavailable.
    pub fn generate() -> Result<Self, KeyError> {
        Ok(Self::generate_with_rng(&mut OsRng::new()?))
    }

    /// Generates a new key pair (version 1) from the given RNG.
    ///
    /// The scalar is the first 32-byte big-endian candidate from `rng` in `[1, n)` (FIPS
    /// 186-5 A.2.2, rejection sampling), so a seeded RNG gives a documented key.
    pub fn generate_with_rng(rng: &mut impl CryptoRng) -> Self {
        let mut candidate = Zeroizing::new([0u8; 32]);
        loop {
            rng.fill_bytes(candidate.as_mut_slice());
            if let Ok(secret) = p256::SecretKey::from_slice(candidate.as_slice()) {
                return Self::from_secret(secret, 1);
            }
        }
    }

    fn from_secret(secret: p256::SecretKey, version: u32) -> Self {
        let public = PublicKey::from_point(secret.public_key(), version.max(1));
        Self { secret, public }
    }

    /// Rebuilds a key pair from a 32-byte big-endian scalar. Only the unwrap paths call this.
    pub(crate) fn from_scalar_bytes(bytes: &[u8], version: u32) -> Result<Self, KeyError> {
        let secret = p256::SecretKey::from_slice(bytes).map_err(|_| KeyError::InvalidPrivateKey)?;
        if bytes.len() != 32 {
            return Err(KeyError::InvalidPrivateKey);
        }
        Ok(Self::from_secret(secret, version))
    }

    /// The 32-byte scalar, for wrapping only.
    pub(crate) fn scalar_bytes(&self) -> Zeroizing<[u8; 32]> {
        // `to_bytes` returns a plain array: wiped too, not left on the stack.
        let bytes = Zeroizing::new(self.secret.to_bytes());
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(&bytes);
        out
    }

    /// The same key pair labelled with another version, as clinic keys are labelled by
    /// their rotation count.
    ///
    /// # Errors
    /// [`KeyError::InvalidVersion`] for version 0.
    pub fn with_version(mut self, version: u32) -> Result<Self, KeyError> {
        self.public = self.public.with_version(version)?;
        Ok(self)
    }

    /// The public half.
    #[must_use]
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The key id of the public half.
    #[must_use]
    pub fn key_id(&self) -> KeyId {
        self.public.id
    }

    pub(crate) fn secret(&self) -> &p256::SecretKey {
        &self.secret
    }

    /// Raw ECDH, only for the Wycheproof known-answer test of import plus agreement.
    #[cfg(test)]
    pub(crate) fn agree(&self, peer: &PublicKey) -> [u8; 32] {
        let shared = p256::ecdh::diffie_hellman(self.secret.to_nonzero_scalar(), peer.point.as_affine());
        let mut out = [0u8; 32];
        out.copy_from_slice(shared.raw_secret_bytes());
        out
    }
}

impl PartialEq for KeyPair {
    fn eq(&self, other: &Self) -> bool {
        self.public == other.public && bool::from(self.scalar_bytes().ct_eq(other.scalar_bytes().as_ref()))
    }
}

impl Eq for KeyPair {}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair").field("id", &self.public.id).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct File {
        test_groups: Vec<Group>,
    }
    #[derive(Deserialize)]
    struct Group {
        curve: String,
        tests: Vec<Case>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Case {
        tc_id: u32,
        public: String,
        private: String,
        shared: String,
        result: String,
    }

    /// Project Wycheproof `ecdh_secp256r1_ecpoint_test.json` through our public-key import
    /// and agreement: every invalid point is refused at import, every valid one agrees.
    #[test]
    fn wycheproof_ecdh_ecpoint() {
        let file: File =
            serde_json::from_str(include_str!("../tests/data/wycheproof/ecdh_secp256r1_ecpoint_test.json")).unwrap();
        let (mut valid, mut invalid) = (0, 0);
        for case in file.test_groups.iter().flat_map(|g| {
            assert_eq!(g.curve, "secp256r1");
            &g.tests
        }) {
            let imported = PublicKey::from_sec1(&hex::decode(&case.public).unwrap());
            // Wycheproof encodes private keys as signed big integers: strip the sign byte.
            let private = hex::decode(&case.private).unwrap();
            let private = &private[private.len().saturating_sub(32)..];
            let mut scalar = [0u8; 32];
            scalar[32 - private.len()..].copy_from_slice(private);
            let pair = KeyPair::from_scalar_bytes(&scalar, 1).unwrap();
            match (case.result.as_str(), imported) {
                ("valid", Ok(pk)) => {
                    assert_eq!(hex::encode(pair.agree(&pk)), case.shared, "tcId {}", case.tc_id);
                    valid += 1;
                }
                ("valid", Err(e)) => panic!("tcId {}: valid key refused: {e}", case.tc_id),
                ("invalid", Ok(_)) => panic!("tcId {}: invalid key accepted", case.tc_id),
                ("invalid", Err(e)) => {
                    assert_eq!(e, KeyError::InvalidPublicKey);
                    invalid += 1;
                }
                // "acceptable": a compressed point, which we accept; it must then agree.
                (_, Ok(pk)) => assert_eq!(hex::encode(pair.agree(&pk)), case.shared, "tcId {}", case.tc_id),
                (_, Err(_)) => {}
            }
        }
        assert_eq!((valid, invalid), (330, 24));
    }

    #[test]
    fn sec1_import_rejects_bad_encodings() {
        let pk = KeyPair::generate().unwrap().public_key().clone();
        let sec1 = pk.to_sec1();
        assert_eq!(PublicKey::from_sec1(&sec1).unwrap(), pk);
        // The identity (SEC1 encodes it as a single zero byte), wrong lengths, wrong prefix,
        // and a point off the curve.
        assert_eq!(PublicKey::from_sec1(&[0]), Err(KeyError::InvalidPublicKey));
        assert_eq!(PublicKey::from_sec1(&[]), Err(KeyError::InvalidPublicKey));
        assert_eq!(PublicKey::from_sec1(&sec1[..64]), Err(KeyError::InvalidPublicKey));
        assert_eq!(PublicKey::from_sec1(&[sec1.as_slice(), &[0]].concat()), Err(KeyError::InvalidPublicKey));
        let mut wrong_prefix = sec1;
        wrong_prefix[0] = 5;
        assert_eq!(PublicKey::from_sec1(&wrong_prefix), Err(KeyError::InvalidPublicKey));
        let mut off_curve = sec1;
        off_curve[64] ^= 1;
        assert_eq!(PublicKey::from_sec1(&off_curve), Err(KeyError::InvalidPublicKey));
        assert_eq!(PublicKey::from_sec1(&[4u8; 65]), Err(KeyError::InvalidPublicKey));
    }

    #[test]
    fn jwk_round_trip_and_rejections() {
        let pk = KeyPair::generate().unwrap().public_key().with_version(7).unwrap();
        let jwk = pk.to_jwk();
        let back = PublicKey::from_jwk(&jwk).unwrap();
        assert_eq!(back, pk);
        assert_eq!(back.key_id().version(), 7);
        // Without kid: version 1, same point.
        let v: serde_json::Value = serde_json::from_str(&jwk).unwrap();
        let (x, y) = (v["x"].as_str().unwrap(), v["y"].as_str().unwrap());
        let plain = format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{y}"}}"#);
        assert_eq!(PublicKey::from_jwk(&plain).unwrap().to_sec1(), pk.to_sec1());
        // A foreign kid is ignored.
        let foreign = format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{y}","kid":"2011-04-29"}}"#);
        assert!(PublicKey::from_jwk(&foreign).is_ok());
        let other = KeyPair::generate().unwrap().public_key().key_id();
        let mismatched = format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{y}","kid":"{other}"}}"#);
        assert_eq!(PublicKey::from_jwk(&mismatched), Err(KeyError::KeyIdMismatch));
        for bad in [
            "".to_owned(),
            "[]".to_owned(),
            r#"{"kty":"RSA","n":"AQAB","e":"AQAB"}"#.to_owned(),
            format!(r#"{{"kty":"EC","crv":"P-384","x":"{x}","y":"{y}"}}"#),
            format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}"}}"#),
            format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{x}"}}"#),
            format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}=","y":"{y}"}}"#),
            format!(r#"{{"kty":"EC","crv":"P-256","x":"{}","y":"{y}"}}"#, &x[1..]),
            format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{y}","d":"{x}"}}"#),
        ] {
            assert!(PublicKey::from_jwk(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn key_ids_round_trip_and_reject_garbage() {
        let id = KeyPair::generate().unwrap().public_key().with_version(42).unwrap().key_id();
        assert_eq!(id.to_string().parse::<KeyId>().unwrap(), id);
        assert_eq!(KeyId::from_bytes(&id.to_bytes()).unwrap(), id);
        assert!(id.to_string().starts_with("v42."));
        let fp = id.to_string().split_once('.').unwrap().1.to_owned();
        for bad in ["", "v", "v1", "v1.", "1.abc", "v01.x", "v0.x", "v+1.x", "vx.y", "v4294967296.x"] {
            assert!(bad.parse::<KeyId>().is_err(), "{bad}");
        }
        // Version 0 is refused in both forms, and for its version alone: the same fingerprint
        // is accepted at version 1.
        assert_eq!(format!("v0.{fp}").parse::<KeyId>(), Err(KeyError::InvalidKeyId));
        assert_eq!(format!("v1.{fp}").parse::<KeyId>().map(|id| id.version()), Ok(1));
        let mut bytes = id.to_bytes();
        bytes[..4].copy_from_slice(&0u32.to_be_bytes());
        assert_eq!(KeyId::from_bytes(&bytes), Err(KeyError::InvalidKeyId));
        bytes[..4].copy_from_slice(&1u32.to_be_bytes());
        assert_eq!(KeyId::from_bytes(&bytes).map(|id| id.version()), Ok(1));
        assert_eq!(KeyId::from_bytes(&[0; 20]), Err(KeyError::InvalidKeyId));
        // A fingerprint one character too long, and an encoding one byte short.
        assert_eq!(format!("v1.{fp}A").parse::<KeyId>(), Err(KeyError::InvalidKeyId));
        assert_eq!(KeyId::from_bytes(&[1; 19]), Err(KeyError::InvalidKeyId));
    }

    #[test]
    fn the_secret_scalar_is_zeroized_on_drop() {
        // `p256::SecretKey` zeroizes its scalar in `Drop`; `PublicKey` holds nothing secret.
        let pair = KeyPair::generate().unwrap();
        crate::test_support::zeroized_on_drop(&pair.secret);
        crate::test_support::zeroized_on_drop(&pair.scalar_bytes());
    }

    #[test]
    fn secrets_never_print() {
        let pair = KeyPair::generate().unwrap();
        let shown = format!("{pair:?}");
        let scalar = hex::encode(pair.scalar_bytes().as_slice());
        assert!(!shown.contains(&scalar));
        assert!(shown.starts_with("KeyPair { id: KeyId(v1."));
    }
}
