//! Encryption of PHI at rest: a server master key wraps one data key per tenant; PHI columns
//! are AES-256-GCM under the tenant's key with the table, column and row bound as AAD, so a
//! ciphertext copied to another row or tenant does not decrypt. Emails are found through an
//! HMAC blind index keyed per tenant.

use std::fmt;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::AppError;

const NONCE_LEN: usize = 12;

/// The server master key. Read from a file or the `BIZING_MASTER_KEY` environment variable
/// (32 bytes, base64url); never logged.
#[derive(Clone)]
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

/// Why a master key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum MasterKeyError {
    /// The file could not be read or written.
    #[error("master key file: {0}")]
    Io(#[from] std::io::Error),
    /// The text is not 32 bytes of base64url.
    #[error("the master key must be 32 bytes of unpadded base64url")]
    Format,
    /// No randomness.
    #[error("the platform's random number generator failed")]
    Random,
}

impl MasterKey {
    /// Parses the text form.
    ///
    /// # Errors
    /// [`MasterKeyError::Format`] unless it is 32 bytes of unpadded base64url.
    pub fn from_text(text: &str) -> Result<Self, MasterKeyError> {
        let mut key = Zeroizing::new([0u8; 32]);
        match Base64UrlUnpadded::decode(text.trim(), key.as_mut_slice()) {
            Ok(decoded) if decoded.len() == 32 => Ok(Self(key)),
            _ => Err(MasterKeyError::Format),
        }
    }

    /// A fresh random key.
    ///
    /// # Errors
    /// [`MasterKeyError::Random`] if the platform RNG fails.
    pub fn generate() -> Result<Self, MasterKeyError> {
        let mut key = Zeroizing::new([0u8; 32]);
        getrandom::fill(key.as_mut_slice()).map_err(|_| MasterKeyError::Random)?;
        Ok(Self(key))
    }

    /// Reads the key from `path`, or creates the file with a fresh key (mode 0600) if it does
    /// not exist. For the demo and single-machine installs.
    ///
    /// # Errors
    /// I/O or format errors.
    pub fn load_or_create(path: &Path) -> Result<Self, MasterKeyError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_text(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate()?;
                let text = Zeroizing::new(Base64UrlUnpadded::encode_string(key.0.as_slice()));
                write_private(path, text.as_bytes())?;
                Ok(key)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Derives a purpose-bound secret from the master key (HKDF-SHA256 with `label`).
    ///
    /// # Errors
    /// Internal if `out` is longer than HKDF allows.
    pub fn derive(&self, label: &[u8], out: &mut [u8]) -> Result<(), AppError> {
        hkdf::Hkdf::<Sha256>::new(None, self.0.as_slice())
            .expand(label, out)
            .map_err(|_| AppError::Internal("hkdf".into()))
    }

    /// Wraps a new tenant data key for `tenant_id`.
    ///
    /// # Errors
    /// Internal if the RNG fails.
    pub fn new_tenant_key(&self, tenant_id: &str) -> Result<Vec<u8>, AppError> {
        let mut dek = Zeroizing::new([0u8; 32]);
        getrandom::fill(dek.as_mut_slice()).map_err(|_| AppError::Internal("rng".into()))?;
        seal(&self.0, &tenant_aad(tenant_id), dek.as_slice())
    }

    /// Unwraps a tenant's data key.
    ///
    /// # Errors
    /// Internal if the stored key does not decrypt under this master key.
    pub fn tenant_keys(&self, tenant_id: &str, wrapped: &[u8]) -> Result<TenantKeys, AppError> {
        let dek = open(&self.0, &tenant_aad(tenant_id), wrapped).map_err(|_| {
            AppError::Internal(format!("tenant {tenant_id}: data key does not open (wrong master key?)"))
        })?;
        let dek: Zeroizing<[u8; 32]> =
            Zeroizing::new(dek.as_slice().try_into().map_err(|_| AppError::Internal("tenant key length".into()))?);
        let mut index = Zeroizing::new([0u8; 32]);
        hkdf::Hkdf::<Sha256>::new(None, dek.as_slice())
            .expand(b"bizing blind index v1", index.as_mut_slice())
            .map_err(|_| AppError::Internal("hkdf".into()))?;
        Ok(TenantKeys { data: dek, index })
    }
}

fn tenant_aad(tenant_id: &str) -> Vec<u8> {
    [b"bizing tenant key v1\0".as_slice(), tenant_id.as_bytes()].concat()
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

/// A tenant's keys: for PHI columns and for the email blind index.
pub struct TenantKeys {
    data: Zeroizing<[u8; 32]>,
    index: Zeroizing<[u8; 32]>,
}

impl TenantKeys {
    /// Encrypts a PHI field of `table.column` in row `row_id`.
    ///
    /// # Errors
    /// Internal if the RNG fails.
    pub fn encrypt(&self, table: &str, column: &str, row_id: &str, plaintext: &str) -> Result<Vec<u8>, AppError> {
        seal(&self.data, &field_aad(table, column, row_id), plaintext.as_bytes())
    }

    /// Decrypts a PHI field.
    ///
    /// # Errors
    /// Internal if it does not decrypt (tampered, or moved from another row).
    pub fn decrypt(&self, table: &str, column: &str, row_id: &str, ciphertext: &[u8]) -> Result<String, AppError> {
        let plain = open(&self.data, &field_aad(table, column, row_id), ciphertext)
            .map_err(|_| AppError::Internal(format!("{table}.{column} of {row_id} does not decrypt")))?;
        String::from_utf8(plain.to_vec()).map_err(|_| AppError::Internal("stored field is not UTF-8".into()))
    }

    /// The blind index of an email: HMAC-SHA256 of its trimmed, lower-cased form.
    #[must_use]
    pub fn email_index(&self, email: &str) -> Vec<u8> {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(self.index.as_slice()) else { return Vec::new() };
        mac.update(normalize_email(email).as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// The `email_index` of a guest (a patient without an account): an HMAC of the guest's
    /// random id under a label of its own, so it is the blind index of no email and no
    /// lookup by email (sign-in, registration, invitations) ever finds the guest. (An email
    /// has no NUL, so it can never be this input.)
    #[must_use]
    pub fn guest_index(&self, guest_id: &str) -> Vec<u8> {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(self.index.as_slice()) else { return Vec::new() };
        mac.update(b"bizing guest index v1\0");
        mac.update(guest_id.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

/// Emails compare case-insensitively and without surrounding space.
#[must_use]
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn field_aad(table: &str, column: &str, row_id: &str) -> Vec<u8> {
    format!("bizing field v1\0{table}\0{column}\0{row_id}").into_bytes()
}

fn seal(key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, AppError> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|_| AppError::Internal("rng".into()))?;
    let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key));
    let ct = cipher
        .encrypt(&Nonce::from(nonce), Payload { msg: plaintext, aad })
        .map_err(|_| AppError::Internal("encrypt".into()))?;
    Ok([nonce.as_slice(), &ct].concat())
}

fn open(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, ()> {
    let (nonce, ct) = sealed.split_first_chunk::<NONCE_LEN>().ok_or(())?;
    let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key));
    cipher.decrypt(&Nonce::from(*nonce), Payload { msg: ct, aad }).map(Zeroizing::new).map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_bound_to_row_and_tenant() {
        let master = MasterKey::generate().unwrap();
        let wrapped = master.new_tenant_key("t1").unwrap();
        let keys = master.tenant_keys("t1", &wrapped).unwrap();
        let ct = keys.encrypt("users", "name_enc", "u1", "Jane Roe").unwrap();
        assert!(!ct.windows(8).any(|w| w == b"Jane Roe"));
        assert_eq!(keys.decrypt("users", "name_enc", "u1", &ct).unwrap(), "Jane Roe");
        assert!(keys.decrypt("users", "name_enc", "u2", &ct).is_err());
        assert!(keys.decrypt("users", "email_enc", "u1", &ct).is_err());
        assert!(master.tenant_keys("t2", &wrapped).is_err());
        assert!(MasterKey::generate().unwrap().tenant_keys("t1", &wrapped).is_err());
        assert_eq!(keys.email_index(" Jane@Example.com "), keys.email_index("jane@example.com"));
        let other = master.tenant_keys("t1", &master.new_tenant_key("t1").unwrap()).unwrap();
        assert_ne!(other.email_index("jane@example.com"), keys.email_index("jane@example.com"));
        assert_ne!(keys.guest_index("jane@example.com"), keys.email_index("jane@example.com"));
        assert_ne!(keys.guest_index("g1"), keys.guest_index("g2"));
        assert!(MasterKey::from_text("short").is_err());
        assert_eq!(format!("{master:?}"), "MasterKey(..)");
    }
}
