#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod clinic;
pub mod envelope;
mod hazmat;
pub mod keys;
pub mod password;
mod random;
mod reader;
pub mod recovery;
pub mod signature;
pub mod wrap;

pub use clinic::ClinicKey;
pub use envelope::{Context, Envelope, EnvelopeError, SealOptions};
pub use keys::{KeyError, KeyId, KeyPair, PublicKey};
pub use password::{AuthKey, KdfParams, KdfProfile, PasswordError, PasswordKeys, WrapKey, derive_password_keys};
pub use random::RandomError;
pub use recovery::{InvalidRecoveryCode, RecoveryCode};
pub use signature::{SignatureError, VerifyingKey};
pub use wrap::{WrapError, WrappedKey};

/// The RNG traits accepted by the `*_with_rng` functions.
pub use rand_core;
