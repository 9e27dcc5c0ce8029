//! Wrapped private keys: a P-256 private key encrypted under a password-derived wrap key,
//! under a recovery code, or to another key pair's public key (clinic keys to staff).
//!
//! Binary layout (all integers big-endian), text form `bzk1.` + base64url without padding:
//!
//! ```text
//! "BZK" | version = 1 | kind | wrapped key id (20)
//! kind 1 (password):        nonce (12) | AES-256-GCM(scalar) (48)
//! kind 2 (recovery code):   salt (16) | nonce (12) | AES-256-GCM(scalar) (48)
//! kind 3 (public key):      recipient key id (20) | HPKE enc (65) | HPKE ciphertext (48)
//! ```
//!
//! The AAD of the encryption is every byte before the ciphertext (before `enc` for kind 3:
//! HPKE binds `enc` itself), so the kind, the key id
//! and the recipient cannot be changed. After unwrapping, the recomputed key id must equal
//! the one in the header, so a substituted key is refused.

use core::fmt;
use core::str::FromStr;

use base64ct::{Base64UrlUnpadded, Encoding};
use rand_core::{CryptoRng, Rng};

use crate::hazmat::{self, AEAD_NONCE_LEN, AEAD_TAG_LEN, HPKE_ENC_LEN};
use crate::keys::{KEY_ID_LEN, KeyError, KeyId, KeyPair, PublicKey};
use crate::password::WrapKey;
use crate::random::{OsRng, RandomError};
use crate::reader::{Reader, Truncated};
use crate::recovery::RecoveryCode;

const MAGIC: &[u8; 3] = b"BZK";
const VERSION: u8 = 1;
const TEXT_PREFIX: &str = "bzk1.";
const SCALAR_LEN: usize = 32;
const SEALED_LEN: usize = SCALAR_LEN + AEAD_TAG_LEN;
const HEADER_LEN: usize = 3 + 1 + 1 + KEY_ID_LEN;
const HPKE_INFO: &[u8] = b"bizing wrapped key v1";
const RECOVERY_INFO: &[u8] = b"bizing recovery wrap v1";

/// Why a wrapped key could not be parsed or unwrapped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WrapError {
    /// The input ends before the structure does.
    #[error("wrapped key is truncated")]
    Truncated,
    /// Not a wrapped key of ours: wrong magic, text prefix, base64, or trailing bytes.
    #[error("not a wrapped key")]
    Malformed,
    /// A format version this build does not know.
    #[error("unsupported wrapped-key version {0}")]
    UnsupportedVersion(u8),
    /// A wrapping kind this build does not know.
    #[error("unsupported wrapped-key kind {0}")]
    UnsupportedKind(u8),
    /// The key was wrapped another way (e.g. a recovery-code wrap given a password key).
    #[error("this key was wrapped {0}")]
    WrongKind(&'static str),
    /// Wrong password, wrong code, wrong key, or tampered bytes. Deliberately one error.
    #[error("the key could not be unwrapped")]
    Decryption,
    /// The platform's random number generator failed.
    #[error(transparent)]
    Random(#[from] RandomError),
}

impl From<Truncated> for WrapError {
    fn from(_: Truncated) -> Self {
        Self::Truncated
    }
}

impl From<KeyError> for WrapError {
    fn from(_: KeyError) -> Self {
        Self::Decryption
    }
}

#[derive(Clone, PartialEq, Eq)]
enum Body {
    Password { nonce: [u8; AEAD_NONCE_LEN], sealed: [u8; SEALED_LEN] },
    RecoveryCode { salt: [u8; 16], nonce: [u8; AEAD_NONCE_LEN], sealed: [u8; SEALED_LEN] },
    PublicKey { recipient: KeyId, enc: [u8; HPKE_ENC_LEN], sealed: [u8; SEALED_LEN] },
}

impl Body {
    fn kind(&self) -> u8 {
        match self {
            Self::Password { .. } => 1,
            Self::RecoveryCode { .. } => 2,
            Self::PublicKey { .. } => 3,
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            Self::Password { .. } => "under a password",
            Self::RecoveryCode { .. } => "under a recovery code",
            Self::PublicKey { .. } => "to a public key",
        }
    }
}

/// A private key encrypted for storage on the server. Safe to store and transmit.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedKey {
    key_id: KeyId,
    body: Body,
}

impl WrappedKey {
    /// The id of the key inside.
    #[must_use]
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// For a key wrapped to a public key: the id of the key that can unwrap it.
    #[must_use]
    pub fn recipient(&self) -> Option<KeyId> {
        match &self.body {
            Body::PublicKey { recipient, .. } => Some(*recipient),
            _ => None,
        }
    }

    fn header(key_id: KeyId, kind: u8) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + 16 + AEAD_NONCE_LEN + HPKE_ENC_LEN + SEALED_LEN);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.push(kind);
        out.extend_from_slice(&key_id.to_bytes());
        out
    }

    /// The bytes before the ciphertext: the AAD.
    fn aad(&self) -> Vec<u8> {
        let mut out = Self::header(self.key_id, self.body.kind());
        match &self.body {
            Body::Password { nonce, .. } => out.extend_from_slice(nonce),
            Body::RecoveryCode { salt, nonce, .. } => {
                out.extend_from_slice(salt);
                out.extend_from_slice(nonce);
            }
            // HPKE binds `enc` into its key schedule itself; the AAD stops at the recipient.
            Body::PublicKey { recipient, .. } => out.extend_from_slice(&recipient.to_bytes()),
        }
        out
    }

    /// The binary encoding.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.aad();
        match &self.body {
            Body::Password { sealed, .. } | Body::RecoveryCode { sealed, .. } => out.extend_from_slice(sealed),
            Body::PublicKey { enc, sealed, .. } => {
                out.extend_from_slice(enc);
                out.extend_from_slice(sealed);
            }
        }
        out
    }

    /// Parses the binary encoding.
    ///
    /// # Errors
    /// [`WrapError::Truncated`], [`WrapError::Malformed`], [`WrapError::UnsupportedVersion`]
    /// or [`WrapError::UnsupportedKind`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WrapError> {
        let mut r = Reader::new(bytes);
        if r.array::<3>()? != *MAGIC {
            return Err(WrapError::Malformed);
        }
        let version = r.u8()?;
        if version != VERSION {
            return Err(WrapError::UnsupportedVersion(version));
        }
        let kind = r.u8()?;
        let key_id = KeyId::from_bytes(&r.array::<KEY_ID_LEN>()?).map_err(|_| WrapError::Malformed)?;
        let body = match kind {
            1 => Body::Password { nonce: r.array()?, sealed: r.array()? },
            2 => Body::RecoveryCode { salt: r.array()?, nonce: r.array()?, sealed: r.array()? },
            3 => Body::PublicKey {
                recipient: KeyId::from_bytes(&r.array::<KEY_ID_LEN>()?).map_err(|_| WrapError::Malformed)?,
                enc: r.array()?,
                sealed: r.array()?,
            },
            other => return Err(WrapError::UnsupportedKind(other)),
        };
        if !r.is_empty() {
            return Err(WrapError::Malformed);
        }
        Ok(Self { key_id, body })
    }

    fn open_symmetric(
        &self,
        key: &[u8; 32],
        nonce: &[u8; AEAD_NONCE_LEN],
        sealed: &[u8],
    ) -> Result<KeyPair, WrapError> {
        let scalar = hazmat::aead_open(key, nonce, &self.aad(), sealed).map_err(|_| WrapError::Decryption)?;
        self.check(KeyPair::from_scalar_bytes(&scalar, self.key_id.version())?)
    }

    fn check(&self, pair: KeyPair) -> Result<KeyPair, WrapError> {
        if pair.key_id() == self.key_id { Ok(pair) } else { Err(WrapError::Decryption) }
    }

    /// Unwraps a key wrapped under a password-derived wrap key.
    ///
    /// # Errors
    /// [`WrapError::WrongKind`] if it was wrapped another way; [`WrapError::Decryption`] for a
    /// wrong password or tampered bytes.
    pub fn unwrap_with_password(&self, wrap_key: &WrapKey) -> Result<KeyPair, WrapError> {
        match &self.body {
            Body::Password { nonce, sealed } => self.open_symmetric(&wrap_key.0, nonce, sealed),
            other => Err(WrapError::WrongKind(other.describe())),
        }
    }

    /// Unwraps a key wrapped under a recovery code.
    ///
    /// # Errors
    /// As [`WrappedKey::unwrap_with_password`].
    pub fn unwrap_with_recovery_code(&self, code: &RecoveryCode) -> Result<KeyPair, WrapError> {
        match &self.body {
            Body::RecoveryCode { salt, nonce, sealed } => {
                let key = hazmat::hkdf_array::<32>(salt, code.canonical(), RECOVERY_INFO);
                self.open_symmetric(&key, nonce, sealed)
            }
            other => Err(WrapError::WrongKind(other.describe())),
        }
    }

    /// Unwraps a key wrapped to `holder`'s public key.
    ///
    /// # Errors
    /// [`WrapError::WrongKind`] if it was wrapped another way; [`WrapError::Decryption`] if
    /// `holder` is not the recipient or the bytes were tampered with.
    pub fn unwrap_with_key(&self, holder: &KeyPair) -> Result<KeyPair, WrapError> {
        match &self.body {
            Body::PublicKey { recipient, enc, sealed } => {
                if *recipient != holder.key_id() {
                    return Err(WrapError::Decryption);
                }
                let scalar = hazmat::hpke_open(
                    holder.secret(),
                    &holder.public_key().to_sec1(),
                    enc,
                    HPKE_INFO,
                    &self.aad(),
                    sealed,
                )
                .map_err(|_| WrapError::Decryption)?;
                self.check(KeyPair::from_scalar_bytes(&scalar, self.key_id.version())?)
            }
            other => Err(WrapError::WrongKind(other.describe())),
        }
    }
}

impl KeyPair {
    /// Wraps this private key under a password-derived wrap key.
    ///
    /// # Errors
    /// [`WrapError::Random`] if the platform RNG is unavailable.
    pub fn wrap_with_password(&self, wrap_key: &WrapKey) -> Result<WrappedKey, WrapError> {
        let mut rng = OsRng::new()?;
        let mut nonce = [0u8; AEAD_NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let mut wrapped = WrappedKey { key_id: self.key_id(), body: Body::Password { nonce, sealed: [0; SEALED_LEN] } };
        let sealed = hazmat::aead_seal(&wrap_key.0, &nonce, &wrapped.aad(), self.scalar_bytes().as_slice());
        wrapped.body = Body::Password { nonce, sealed: to_sealed(&sealed)? };
        Ok(wrapped)
    }

    /// Wraps this private key under a recovery code.
    ///
    /// # Errors
    /// [`WrapError::Random`] if the platform RNG is unavailable.
    pub fn wrap_with_recovery_code(&self, code: &RecoveryCode) -> Result<WrappedKey, WrapError> {
        let mut rng = OsRng::new()?;
        let (mut salt, mut nonce) = ([0u8; 16], [0u8; AEAD_NONCE_LEN]);
        rng.fill_bytes(&mut salt);
        rng.fill_bytes(&mut nonce);
        let key = hazmat::hkdf_array::<32>(&salt, code.canonical(), RECOVERY_INFO);
        let mut wrapped =
            WrappedKey { key_id: self.key_id(), body: Body::RecoveryCode { salt, nonce, sealed: [0; SEALED_LEN] } };
        let sealed = hazmat::aead_seal(&key, &nonce, &wrapped.aad(), self.scalar_bytes().as_slice());
        wrapped.body = Body::RecoveryCode { salt, nonce, sealed: to_sealed(&sealed)? };
        Ok(wrapped)
    }

    /// Wraps this private key to `recipient`'s public key with HPKE.
    ///
    /// # Errors
    /// [`WrapError::Random`] if the platform RNG is unavailable.
    pub fn wrap_to(&self, recipient: &PublicKey) -> Result<WrappedKey, WrapError> {
        self.wrap_to_with_rng(recipient, &mut OsRng::new()?)
    }

    pub(crate) fn wrap_to_with_rng(
        &self,
        recipient: &PublicKey,
        rng: &mut impl CryptoRng,
    ) -> Result<WrappedKey, WrapError> {
        let mut wrapped = WrappedKey {
            key_id: self.key_id(),
            body: Body::PublicKey { recipient: recipient.key_id(), enc: [0; HPKE_ENC_LEN], sealed: [0; SEALED_LEN] },
        };
        let (enc, sealed) =
            hazmat::hpke_seal(recipient.point(), HPKE_INFO, &wrapped.aad(), self.scalar_bytes().as_slice(), rng)
                .map_err(|_| WrapError::Decryption)?;
        wrapped.body = Body::PublicKey { recipient: recipient.key_id(), enc, sealed: to_sealed(&sealed)? };
        Ok(wrapped)
    }
}

fn to_sealed(bytes: &[u8]) -> Result<[u8; SEALED_LEN], WrapError> {
    bytes.try_into().map_err(|_| WrapError::Decryption)
}

impl fmt::Display for WrappedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(TEXT_PREFIX)?;
        f.write_str(&Base64UrlUnpadded::encode_string(&self.to_bytes()))
    }
}

impl fmt::Debug for WrappedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WrappedKey").field("key_id", &self.key_id).field("wrapped", &self.body.describe()).finish()
    }
}

impl FromStr for WrappedKey {
    type Err = WrapError;

    fn from_str(s: &str) -> Result<Self, WrapError> {
        let b64 = s.strip_prefix(TEXT_PREFIX).ok_or(WrapError::Malformed)?;
        // The largest wrapped key is well under 256 bytes; refuse anything longer unread.
        if b64.len() > 512 {
            return Err(WrapError::Malformed);
        }
        let bytes = Base64UrlUnpadded::decode_vec(b64).map_err(|_| WrapError::Malformed)?;
        Self::from_bytes(&bytes)
    }
}
