//! Keys for JavaScript: personal and clinic key pairs, public keys, password-derived keys,
//! and wrapping under a password, a recovery code, or another public key.

use bizing_core as core;
use bizing_core::{KdfParams, KdfProfile, RecoveryCode, WrappedKey};
use wasm_bindgen::prelude::*;

use crate::error::{ErrorCode, ToJs, error, invalid};
use crate::js::{get_opt, integer, string};
use crate::keystore::{self, Slot};

/// A P-256 key pair. Its private half never leaves wasm memory except wrapped, and is
/// zeroized by `zeroize()`, `zeroizeKeys()`, logout and idle timeout.
#[wasm_bindgen]
pub struct KeyPair {
    slot: Slot,
}

impl KeyPair {
    pub(crate) fn from_core(key: core::KeyPair) -> Self {
        Self { slot: keystore::register(key) }
    }

    pub(crate) fn with<T>(&self, f: impl FnOnce(&core::KeyPair) -> Result<T, JsValue>) -> Result<T, JsValue> {
        keystore::with_key(&self.slot, f).unwrap_or_else(|| Err(zeroized()))
    }

    /// Another handle on the same key (zeroizing either zeroizes both).
    pub(crate) fn clone_handle(&self) -> Self {
        Self { slot: self.slot.clone() }
    }

    /// The key's slot, so its owner (e.g. the `BookingClient` that unwrapped it) can zeroize
    /// it later.
    pub(crate) fn slot(&self) -> &Slot {
        &self.slot
    }
}

#[wasm_bindgen]
impl KeyPair {
    /// A new key pair (version 1) from the platform's CSPRNG.
    pub fn generate() -> Result<KeyPair, JsValue> {
        Ok(Self::from_core(core::KeyPair::generate().js()?))
    }

    /// This key's id, e.g. `"v1.q2Y0Pc0mTvHfV7w1xZL1Jg"`.
    #[wasm_bindgen(getter, js_name = keyId)]
    pub fn key_id(&self) -> Result<String, JsValue> {
        self.with(|k| Ok(k.key_id().to_string()))
    }

    /// The public half.
    #[wasm_bindgen(js_name = publicKey)]
    pub fn public_key(&self) -> Result<PublicKey, JsValue> {
        self.with(|k| Ok(PublicKey { inner: k.public_key().clone() }))
    }

    /// The same key pair labelled with another version.
    #[wasm_bindgen(js_name = withVersion)]
    pub fn with_version(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] version: JsValue,
    ) -> Result<KeyPair, JsValue> {
        let version = integer(&version, "version", 0, u32::MAX)?;
        let key = self.with(|k| k.clone().with_version(version).js())?;
        Ok(Self::from_core(key))
    }

    /// Wraps the private key under password-derived keys; returns the `bzk1.` text to store.
    #[wasm_bindgen(js_name = wrapWithPassword)]
    pub fn wrap_with_password(&self, keys: &PasswordKeys) -> Result<String, JsValue> {
        self.with(|k| Ok(k.wrap_with_password(&keys.inner.wrap_key).js()?.to_string()))
    }

    /// Wraps the private key under a recovery code (as shown to the user).
    #[wasm_bindgen(js_name = wrapWithRecoveryCode)]
    pub fn wrap_with_recovery_code(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] code: JsValue,
    ) -> Result<String, JsValue> {
        let code = parse_code(&string(&code, "code")?)?;
        self.with(|k| Ok(k.wrap_with_recovery_code(&code).js()?.to_string()))
    }

    /// Wraps the private key to another public key with HPKE.
    #[wasm_bindgen(js_name = wrapTo)]
    pub fn wrap_to(&self, recipient: &PublicKey) -> Result<String, JsValue> {
        self.with(|k| Ok(k.wrap_to(&recipient.inner).js()?.to_string()))
    }

    /// Unwraps a key wrapped by `wrapWithPassword`.
    #[wasm_bindgen(js_name = unwrapWithPassword)]
    pub fn unwrap_with_password(
        #[wasm_bindgen(unchecked_param_type = "string")] wrapped: JsValue,
        keys: &PasswordKeys,
    ) -> Result<KeyPair, JsValue> {
        let key = parse_wrapped(&wrapped)?.unwrap_with_password(&keys.inner.wrap_key).js()?;
        Ok(Self::from_core(key))
    }

    /// Unwraps a key wrapped by `wrapWithRecoveryCode`.
    #[wasm_bindgen(js_name = unwrapWithRecoveryCode)]
    pub fn unwrap_with_recovery_code(
        #[wasm_bindgen(unchecked_param_type = "string")] wrapped: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] code: JsValue,
    ) -> Result<KeyPair, JsValue> {
        let code = parse_code(&string(&code, "code")?)?;
        Ok(Self::from_core(parse_wrapped(&wrapped)?.unwrap_with_recovery_code(&code).js()?))
    }

    /// Unwraps a key wrapped to `holder` by `wrapTo` (or `ClinicKey.wrapFor`).
    #[wasm_bindgen(js_name = unwrapWithKey)]
    pub fn unwrap_with_key(
        #[wasm_bindgen(unchecked_param_type = "string")] wrapped: JsValue,
        holder: &KeyPair,
    ) -> Result<KeyPair, JsValue> {
        let wrapped = parse_wrapped(&wrapped)?;
        let key = holder.with(|h| wrapped.unwrap_with_key(h).js())?;
        Ok(Self::from_core(key))
    }

    /// Zeroizes the private key now; any later use throws `KeyZeroized`.
    pub fn zeroize(&self) {
        keystore::zeroize(&self.slot);
    }

    /// Whether the key has been zeroized.
    #[wasm_bindgen(getter, js_name = isZeroized)]
    pub fn is_zeroized(&self) -> bool {
        self.slot.try_borrow().map(|k| k.is_none()).unwrap_or(false)
    }
}

/// The `KeyZeroized` error of a key used after `zeroize()`, `zeroizeKeys()`, logout or idle
/// timeout.
pub(crate) fn zeroized() -> JsValue {
    error(ErrorCode::KeyZeroized, "this key was zeroized (logout or idle timeout) and cannot be used")
}

/// A P-256 public key with its version.
#[wasm_bindgen]
#[derive(Clone)]
pub struct PublicKey {
    pub(crate) inner: core::PublicKey,
}

#[wasm_bindgen]
impl PublicKey {
    /// From SEC1 bytes (65-byte uncompressed or 33-byte compressed). Invalid points throw.
    #[wasm_bindgen(js_name = fromSec1)]
    pub fn from_sec1(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
    ) -> Result<PublicKey, JsValue> {
        Ok(Self { inner: core::PublicKey::from_sec1(&crate::js::bytes(&bytes, "bytes")?).js()? })
    }

    /// From a JWK, as a JSON string or an object.
    #[wasm_bindgen(js_name = fromJwk)]
    pub fn from_jwk(jwk: &JsValue) -> Result<PublicKey, JsValue> {
        let object = match jwk.as_string() {
            Some(text) => {
                js_sys::JSON::parse(&text).map_err(|_| error(ErrorCode::InvalidKey, "invalid JWK: not JSON"))?
            }
            None => jwk.clone(),
        };
        if !object.is_object() {
            return Err(error(ErrorCode::InvalidKey, "invalid JWK: not a JSON object"));
        }
        let member = |name: &str| -> Result<Option<String>, JsValue> {
            match get_opt(&object, name)? {
                None => Ok(None),
                Some(v) => v
                    .as_string()
                    .map(Some)
                    .ok_or_else(|| error(ErrorCode::InvalidKey, &format!("invalid JWK: {name} must be a string"))),
            }
        };
        let (kty, crv, x, y, kid) = (member("kty")?, member("crv")?, member("x")?, member("y")?, member("kid")?);
        let members = core::JwkMembers {
            kty: kty.as_deref().unwrap_or_default(),
            crv: crv.as_deref(),
            x: x.as_deref(),
            y: y.as_deref(),
            kid: kid.as_deref(),
            has_private_key: get_opt(&object, "d")?.is_some(),
        };
        Ok(Self { inner: core::PublicKey::from_jwk_members(&members).js()? })
    }

    /// The key as a JWK object (`kty`, `crv`, `x`, `y`, `kid`).
    #[wasm_bindgen(js_name = toJwk)]
    pub fn to_jwk(&self) -> Result<JsValue, JsValue> {
        js_sys::JSON::parse(&self.inner.to_jwk())
    }

    /// The 65-byte SEC1 uncompressed encoding.
    #[wasm_bindgen(js_name = toSec1)]
    pub fn to_sec1(&self) -> Vec<u8> {
        self.inner.to_sec1().to_vec()
    }

    /// This key's id.
    #[wasm_bindgen(getter, js_name = keyId)]
    pub fn key_id(&self) -> String {
        self.inner.key_id().to_string()
    }

    /// The same key labelled with another version.
    #[wasm_bindgen(js_name = withVersion)]
    pub fn with_version(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] version: JsValue,
    ) -> Result<PublicKey, JsValue> {
        Ok(Self { inner: self.inner.with_version(integer(&version, "version", 0, u32::MAX)?).js()? })
    }
}

/// One version of a clinic's key pair.
#[wasm_bindgen]
pub struct ClinicKey {
    pair: KeyPair,
}

impl ClinicKey {
    /// The key pair of this version (for the client's rewrap helper).
    pub(crate) fn pair(&self) -> &KeyPair {
        &self.pair
    }
}

#[wasm_bindgen]
impl ClinicKey {
    /// A clinic's first key (version 1).
    pub fn create() -> Result<ClinicKey, JsValue> {
        Ok(Self { pair: KeyPair::from_core(core::ClinicKey::create().js()?.key_pair().clone()) })
    }

    /// The next version: a fresh key pair, version one higher.
    pub fn rotate(&self) -> Result<ClinicKey, JsValue> {
        let next = self.pair.with(|k| {
            let next =
                k.key_id().version().checked_add(1).ok_or_else(|| error(ErrorCode::InvalidKey, "version overflow"))?;
            core::KeyPair::generate().js()?.with_version(next).js()
        })?;
        Ok(Self { pair: KeyPair::from_core(next) })
    }

    /// This key's version.
    #[wasm_bindgen(getter)]
    pub fn version(&self) -> Result<u32, JsValue> {
        self.pair.with(|k| Ok(k.key_id().version()))
    }

    /// This key's id.
    #[wasm_bindgen(getter, js_name = keyId)]
    pub fn key_id(&self) -> Result<String, JsValue> {
        self.pair.key_id()
    }

    /// The public key to seal notes to.
    #[wasm_bindgen(js_name = publicKey)]
    pub fn public_key(&self) -> Result<PublicKey, JsValue> {
        self.pair.public_key()
    }

    /// The key pair, to open envelopes sealed to this clinic key.
    #[wasm_bindgen(js_name = keyPair)]
    pub fn key_pair(&self) -> KeyPair {
        KeyPair { slot: self.pair.slot.clone() }
    }

    /// Wraps this clinic key to a staff member's public key (providers and admins only).
    #[wasm_bindgen(js_name = wrapFor)]
    pub fn wrap_for(&self, staff: &PublicKey) -> Result<String, JsValue> {
        self.pair.wrap_to(staff)
    }

    /// Unwraps a clinic key with the staff member's key pair.
    pub fn unwrap(
        #[wasm_bindgen(unchecked_param_type = "string")] wrapped: JsValue,
        staff: &KeyPair,
    ) -> Result<ClinicKey, JsValue> {
        Ok(Self { pair: KeyPair::unwrap_with_key(wrapped, staff)? })
    }
}

/// The auth key and wrap key derived from a password (Argon2id, then HKDF). Only the auth
/// key may be sent to the server; the wrap key cannot be read from JavaScript at all.
#[wasm_bindgen]
pub struct PasswordKeys {
    inner: core::PasswordKeys,
}

#[wasm_bindgen]
impl PasswordKeys {
    /// Derives the keys from a password and the account's KDF parameters (the text form
    /// `argon2id$v=19$m=..,t=..,p=..$salt`). Takes about a second with the interactive profile.
    pub fn derive(
        #[wasm_bindgen(unchecked_param_type = "string")] password: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] kdf_params: JsValue,
    ) -> Result<PasswordKeys, JsValue> {
        let params = string(&kdf_params, "kdfParams")?.parse::<KdfParams>().js()?;
        let password = zeroize::Zeroizing::new(string(&password, "password")?);
        Ok(Self { inner: core::derive_password_keys(&password, &params).js()? })
    }

    /// New KDF parameters with a fresh salt: `"interactive"` (default; 64 MiB, 3 passes) or
    /// `"insecure-fast-for-tests"`.
    #[wasm_bindgen(js_name = generateKdfParams)]
    pub fn generate_kdf_params(
        #[wasm_bindgen(unchecked_optional_param_type = "\"interactive\" | \"insecure-fast-for-tests\"")]
        profile: JsValue,
    ) -> Result<String, JsValue> {
        let profile =
            if profile.is_undefined() || profile.is_null() { None } else { Some(string(&profile, "profile")?) };
        let profile = match profile.as_deref() {
            None | Some("interactive") => KdfProfile::Interactive,
            Some("insecure-fast-for-tests") => KdfProfile::InsecureFastForTests,
            Some(_) => return Err(invalid("the KDF profile is \"interactive\" or \"insecure-fast-for-tests\"")),
        };
        Ok(KdfParams::generate(profile).js()?.to_string())
    }

    /// The auth key, base64url, for registration and login requests.
    #[wasm_bindgen(getter, js_name = authKey)]
    pub fn auth_key(&self) -> String {
        self.inner.auth_key.to_base64url().to_string()
    }
}

pub(crate) fn parse_code(code: &str) -> Result<RecoveryCode, JsValue> {
    code.parse()
        .map_err(|_| error(ErrorCode::InvalidRecoveryCode, "not a recovery code: expected XXXXX-XXXXX-XXXXX-XXXXX"))
}

fn parse_wrapped(text: &JsValue) -> Result<WrappedKey, JsValue> {
    string(text, "wrapped")?.parse::<WrappedKey>().js()
}
