//! Password-derived keys: Argon2id, then HKDF into an *auth key* the server may store a hash
//! of and a *wrap key* that never leaves the client (zero-knowledge, as Bitwarden does).

use core::fmt;
use core::str::FromStr;

use base64ct::{Base64UrlUnpadded, Encoding};
use zeroize::Zeroizing;

use crate::hazmat;
use crate::random::{OsRng, RandomError};

/// Argon2id output length, and the length of the auth and wrap keys.
const KEY_LEN: usize = 32;
/// Salt length for new parameters.
const SALT_LEN: usize = 16;
/// Upper bounds on parameters accepted from elsewhere (a server's pre-login answer), so a
/// hostile server cannot make a client allocate gigabytes or spin for minutes.
const MAX_MEMORY_KIB: u32 = 1024 * 1024;
const MAX_ITERATIONS: u32 = 64;
const MAX_PARALLELISM: u32 = 16;

/// Why password keys could not be derived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// The KDF parameters are outside what Argon2id allows or what we accept.
    #[error("invalid KDF parameters: {0}")]
    InvalidParams(&'static str),
    /// The password is empty.
    #[error("the password is empty")]
    EmptyPassword,
    /// The platform's random number generator failed.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// Cost presets for [`KdfParams::generate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KdfProfile {
    /// For accounts: 64 MiB, 3 passes, 1 lane (about a second in a browser).
    Interactive,
    /// For tests only: 64 KiB, 1 pass. Never use for a real account.
    InsecureFastForTests,
}

/// Argon2id parameters and salt. They travel with the account (the server returns them at
/// pre-login) and their text form is `argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>`.
#[derive(Clone, PartialEq, Eq)]
pub struct KdfParams {
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    salt: [u8; SALT_LEN],
}

impl KdfParams {
    /// New parameters of the given profile with a fresh random salt.
    ///
    /// # Errors
    /// [`PasswordError::Random`] if the platform RNG is unavailable.
    pub fn generate(profile: KdfProfile) -> Result<Self, PasswordError> {
        let mut salt = [0u8; SALT_LEN];
        rand_core::Rng::fill_bytes(&mut OsRng::new()?, &mut salt);
        let (memory_kib, iterations, parallelism) = match profile {
            KdfProfile::Interactive => (64 * 1024, 3, 1),
            KdfProfile::InsecureFastForTests => (64, 1, 1),
        };
        Self::new(memory_kib, iterations, parallelism, salt)
    }

    /// Parameters from their parts, validated.
    ///
    /// # Errors
    /// [`PasswordError::InvalidParams`] when a value is outside Argon2id's limits or above
    /// this crate's bounds (1 GiB, 64 passes, 16 lanes).
    pub fn new(
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
        salt: [u8; SALT_LEN],
    ) -> Result<Self, PasswordError> {
        if !(1..=MAX_PARALLELISM).contains(&parallelism) {
            return Err(PasswordError::InvalidParams("parallelism must be 1 to 16"));
        }
        if memory_kib < 8 * parallelism || memory_kib > MAX_MEMORY_KIB {
            return Err(PasswordError::InvalidParams("memory must be 8 KiB per lane to 1 GiB"));
        }
        if !(1..=MAX_ITERATIONS).contains(&iterations) {
            return Err(PasswordError::InvalidParams("iterations must be 1 to 64"));
        }
        Ok(Self { memory_kib, iterations, parallelism, salt })
    }

    /// Memory cost in KiB.
    #[must_use]
    pub fn memory_kib(&self) -> u32 {
        self.memory_kib
    }

    /// Number of passes.
    #[must_use]
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// Number of lanes.
    #[must_use]
    pub fn parallelism(&self) -> u32 {
        self.parallelism
    }
}

impl fmt::Display for KdfParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "argon2id$v=19$m={},t={},p={}${}",
            self.memory_kib,
            self.iterations,
            self.parallelism,
            Base64UrlUnpadded::encode_string(&self.salt)
        )
    }
}

impl fmt::Debug for KdfParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KdfParams({self})")
    }
}

impl FromStr for KdfParams {
    type Err = PasswordError;

    fn from_str(s: &str) -> Result<Self, PasswordError> {
        const BAD: PasswordError = PasswordError::InvalidParams("not of the form argon2id$v=19$m=..,t=..,p=..$salt");
        let rest = s.strip_prefix("argon2id$v=19$m=").ok_or(BAD)?;
        let (costs, salt) = rest.split_once('$').ok_or(BAD)?;
        let mut parts = costs.split(',');
        let mut number = |prefix: &str| -> Result<u32, PasswordError> {
            let part = parts.next().ok_or(BAD)?;
            let digits = part.strip_prefix(prefix).ok_or(BAD)?;
            if digits.is_empty() || digits.len() > 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(BAD);
            }
            digits.parse().map_err(|_| BAD)
        };
        let memory_kib = number("")?;
        let iterations = number("t=")?;
        let parallelism = number("p=")?;
        if parts.next().is_some() {
            return Err(BAD);
        }
        let mut salt_bytes = [0u8; SALT_LEN];
        match Base64UrlUnpadded::decode(salt, &mut salt_bytes) {
            Ok(decoded) if decoded.len() == SALT_LEN => {}
            _ => return Err(PasswordError::InvalidParams("the salt must be 16 bytes of base64url")),
        }
        Self::new(memory_kib, iterations, parallelism, salt_bytes)
    }
}

/// What the server may hold a hash of to authenticate the user. Sending it reveals nothing
/// about the wrap key: the two are independent HKDF outputs.
#[derive(Clone)]
pub struct AuthKey(Zeroizing<[u8; KEY_LEN]>);

impl AuthKey {
    /// The key as unpadded base64url, for the login request body.
    #[must_use]
    pub fn to_base64url(&self) -> Zeroizing<String> {
        Zeroizing::new(Base64UrlUnpadded::encode_string(self.0.as_slice()))
    }
}

impl fmt::Debug for AuthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthKey(..)")
    }
}

/// Wraps the user's private key. Never leaves the client and is never exported.
#[derive(Clone)]
pub struct WrapKey(pub(crate) Zeroizing<[u8; KEY_LEN]>);

impl fmt::Debug for WrapKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WrapKey(..)")
    }
}

/// The two keys a password yields under some [`KdfParams`].
#[derive(Debug, Clone)]
pub struct PasswordKeys {
    /// Sent to the server at registration and login.
    pub auth_key: AuthKey,
    /// Wraps and unwraps the private key on the client.
    pub wrap_key: WrapKey,
}

/// Runs Argon2id over the password with `params`, then HKDF-SHA256 into the auth key and the
/// wrap key. The password is used as its UTF-8 bytes, unnormalized.
///
/// # Errors
/// [`PasswordError::EmptyPassword`] for an empty password; [`PasswordError::InvalidParams`]
/// if Argon2 refuses the parameters.
pub fn derive_password_keys(password: &str, params: &KdfParams) -> Result<PasswordKeys, PasswordError> {
    if password.is_empty() {
        return Err(PasswordError::EmptyPassword);
    }
    let argon_params = argon2::Params::new(params.memory_kib, params.iterations, params.parallelism, Some(KEY_LEN))
        .map_err(|_| PasswordError::InvalidParams("rejected by Argon2"))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, argon_params);
    let mut stretched = Zeroizing::new([0u8; KEY_LEN]);
    argon
        .hash_password_into(password.as_bytes(), &params.salt, stretched.as_mut_slice())
        .map_err(|_| PasswordError::InvalidParams("rejected by Argon2"))?;
    let auth = hazmat::hkdf_array::<KEY_LEN>(b"bizing password v1", stretched.as_slice(), b"auth key");
    let wrap = hazmat::hkdf_array::<KEY_LEN>(b"bizing password v1", stretched.as_slice(), b"wrap key");
    Ok(PasswordKeys { auth_key: AuthKey(auth), wrap_key: WrapKey(wrap) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn both_keys_are_zeroized_on_drop() {
        // `PasswordKeys` is these two keys; each is a `Zeroizing` array.
        let params = KdfParams::new(64, 1, 1, [7; 16]).unwrap();
        let keys = derive_password_keys("pw", &params).unwrap();
        crate::test_support::zeroized_on_drop(&keys.auth_key.0);
        crate::test_support::zeroized_on_drop(&keys.wrap_key.0);
        crate::test_support::zeroized_on_drop(&keys.auth_key.to_base64url());
    }

    #[test]
    fn params_text_round_trip_and_validation() {
        let p = KdfParams::generate(KdfProfile::Interactive).unwrap();
        assert_eq!(p.to_string().parse::<KdfParams>().unwrap(), p);
        assert!(p.to_string().starts_with("argon2id$v=19$m=65536,t=3,p=1$"));
        for bad in [
            "",
            "argon2i$v=19$m=64,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA",
            "argon2id$v=19$m=64,t=1,p=1$AAAA",
            "argon2id$v=19$m=64,t=1,p=1,x=2$AAAAAAAAAAAAAAAAAAAAAA",
            "argon2id$v=19$m=+64,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA",
            "argon2id$v=19$m=4,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA",
            "argon2id$v=19$m=99999999,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA",
            "argon2id$v=19$m=64,t=0,p=1$AAAAAAAAAAAAAAAAAAAAAA",
            "argon2id$v=19$m=64,t=1,p=17$AAAAAAAAAAAAAAAAAAAAAA",
            "argon2id$v=19$m=64,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$",
        ] {
            assert!(bad.parse::<KdfParams>().is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_are_deterministic_independent_and_salted() {
        let p = KdfParams::new(64, 1, 1, [7; 16]).unwrap();
        let a = derive_password_keys("correct horse", &p).unwrap();
        let b = derive_password_keys("correct horse", &p).unwrap();
        assert_eq!(a.auth_key.0, b.auth_key.0);
        assert_eq!(a.wrap_key.0, b.wrap_key.0);
        assert_ne!(a.auth_key.0, a.wrap_key.0);
        let other_password = derive_password_keys("correct horsf", &p).unwrap();
        assert_ne!(a.auth_key.0, other_password.auth_key.0);
        let other_salt = derive_password_keys("correct horse", &KdfParams::new(64, 1, 1, [8; 16]).unwrap()).unwrap();
        assert_ne!(a.wrap_key.0, other_salt.wrap_key.0);
        assert_eq!(derive_password_keys("", &p).unwrap_err(), PasswordError::EmptyPassword);
        assert_eq!(format!("{:?}", a.wrap_key), "WrapKey(..)");
    }

    /// Frozen: a change to the derivation would lock every user out of their keys.
    #[test]
    fn auth_key_is_frozen() {
        let p = KdfParams::new(64, 1, 1, [7; 16]).unwrap();
        let keys = derive_password_keys("correct horse", &p).unwrap();
        assert_eq!(keys.auth_key.to_base64url().as_str(), FROZEN_AUTH_KEY);
    }

    /// Recomputed independently with Python: argon2-cffi `hash_secret_raw(b"correct horse",
    /// bytes([7] * 16), time_cost=1, memory_cost=64, parallelism=1, hash_len=32, type=ID)`,
    /// then HMAC-SHA256 HKDF (salt "bizing password v1", info "auth key").
    const FROZEN_AUTH_KEY: &str = "oJIn_MwTDPcftcmzDIIyoZwW1OT2A05lOuNOsoxxE_s";
}
