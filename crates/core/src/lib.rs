#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod access_log;
pub mod api;
pub mod clinic;
pub mod envelope;
mod hazmat;
pub mod idle;
pub mod keys;
pub mod npp;
pub mod password;
pub mod phi;
mod random;
mod reader;
pub mod recovery;
pub mod signature;
pub mod totp;
pub mod wrap;

pub use access_log::{
    AccessEvent, AccessLogError, AccessLogVerifier, Checkpoint, CheckpointError, CheckpointSigner, TreeHead,
};
pub use clinic::ClinicKey;
pub use envelope::{Context, Envelope, EnvelopeError, SealOptions};
pub use idle::{IdleConfig, IdleEvent, IdleMachine, IdleOutput, IdleState, TimeoutReason};
pub use keys::{JwkMembers, KeyError, KeyId, KeyPair, PublicKey};
pub use npp::{AckChannel, NppAcknowledgment, NppHash, NppVersion, needs_acknowledgment};
pub use password::{AuthKey, KdfParams, KdfProfile, PasswordError, PasswordKeys, WrapKey, derive_password_keys};
pub use phi::{Finding, PhiKind};
pub use random::RandomError;
pub use recovery::{InvalidRecoveryCode, RecoveryCode, RecoveryCodeHash, RecoveryCodeSet};
pub use signature::{SignatureError, VerifyingKey};
pub use totp::{EnrollError, Enrollment, OtpauthUriError, Totp, TotpError, TotpParams, TotpSecret, TotpSecretError};
pub use wrap::{WrapError, WrappedKey};

/// The RNG traits accepted by the `*_with_rng` functions.
pub use rand_core;

/// Secrets are zeroized on drop: a compile-time check for the tests.
///
/// The types holding secrets (`KeyPair`, `ClinicKey`, `AuthKey`, `WrapKey`, `PasswordKeys`,
/// `RecoveryCode`, `TotpSecret`, `Totp`, `Enrollment`, `CheckpointSigner`, and the crate's
/// own RNG state and content keys) wipe their memory through their fields: `Zeroizing<..>`,
/// `p256::SecretKey` and `p256::ecdsa::SigningKey` each zeroize themselves in `Drop`, which
/// [`zeroize::ZeroizeOnDrop`] marks. A test beside each type passes every field that holds
/// a secret to [`zeroized_on_drop`](test_support::zeroized_on_drop), so changing such a field
/// to a type that does not zeroize itself breaks the build of the tests.
#[cfg(test)]
pub(crate) mod test_support {
    /// Compiles only for a value whose type zeroizes itself on drop.
    pub(crate) fn zeroized_on_drop<T: zeroize::ZeroizeOnDrop>(_secret: &T) {}
}
