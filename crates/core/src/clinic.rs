//! Versioned clinic keys. Notes are sealed to the clinic's current public key; its private
//! key is wrapped to the personal key of each provider and admin (never a receptionist),
//! and rotated to a new version whenever staff are removed.

use core::fmt;

use crate::keys::{KeyError, KeyId, KeyPair, PublicKey};
use crate::wrap::{WrapError, WrappedKey};

/// One version of a clinic's key pair.
#[derive(Clone, PartialEq, Eq)]
pub struct ClinicKey {
    pair: KeyPair,
}

impl ClinicKey {
    /// Creates a clinic's first key (version 1).
    ///
    /// # Errors
    /// [`KeyError::Random`] if the platform RNG is unavailable.
    pub fn create() -> Result<Self, KeyError> {
        Ok(Self { pair: KeyPair::generate()? })
    }

    /// Creates the next version: a fresh key pair whose version is one more than this one's.
    /// Envelopes sealed to the old version are moved over with
    /// [`Envelope::rewrap`](crate::envelope::Envelope::rewrap).
    ///
    /// # Errors
    /// [`KeyError::Random`] if the platform RNG is unavailable; [`KeyError::InvalidVersion`]
    /// if the version counter is exhausted.
    pub fn rotate(&self) -> Result<Self, KeyError> {
        let next = self.version().checked_add(1).ok_or(KeyError::InvalidVersion)?;
        Ok(Self { pair: KeyPair::generate()?.with_version(next)? })
    }

    /// This key's version.
    #[must_use]
    pub fn version(&self) -> u32 {
        self.pair.key_id().version()
    }

    /// The id of this version.
    #[must_use]
    pub fn key_id(&self) -> KeyId {
        self.pair.key_id()
    }

    /// The public key to seal notes to.
    #[must_use]
    pub fn public_key(&self) -> &PublicKey {
        self.pair.public_key()
    }

    /// The key pair, to open envelopes sealed to this clinic key.
    #[must_use]
    pub fn key_pair(&self) -> &KeyPair {
        &self.pair
    }

    /// Wraps this clinic key to a staff member's personal public key.
    ///
    /// # Errors
    /// [`WrapError::Random`] if the platform RNG is unavailable.
    pub fn wrap_for(&self, staff: &PublicKey) -> Result<WrappedKey, WrapError> {
        self.pair.wrap_to(staff)
    }

    /// Unwraps a clinic key with the staff member's personal key pair.
    ///
    /// # Errors
    /// [`WrapError::Decryption`] if `staff` is not the recipient or the bytes were altered;
    /// [`WrapError::WrongKind`] if `wrapped` is not wrapped to a public key.
    pub fn unwrap(wrapped: &WrappedKey, staff: &KeyPair) -> Result<Self, WrapError> {
        Ok(Self { pair: wrapped.unwrap_with_key(staff)? })
    }
}

impl fmt::Debug for ClinicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClinicKey").field("id", &self.key_id()).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_private_key_is_zeroized_on_drop() {
        // A clinic key is one `KeyPair`, whose secret is a `p256::SecretKey`.
        let key = ClinicKey::create().unwrap();
        crate::test_support::zeroized_on_drop(key.pair.secret());
    }
}
