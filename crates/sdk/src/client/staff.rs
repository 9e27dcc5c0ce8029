//! [`BookingClient`] for the staff console: the clinic key (the staff's public keys, the
//! caller's wrapped copies, publishing a version, sharing versions), the [`ClinicKeyring`]
//! that opens notes with every version the caller holds, sharing those versions with a
//! provider or admin who joined, rotating the key after someone left, publishing the Notice
//! of Privacy Practices, and deciding correction requests. The Rust API first, then the
//! JavaScript exports and their TypeScript types.
//!
//! The clinic's correction requests are listed by [`BookingClient::corrections`]: an admin
//! gets the clinic's, a provider those on bookings with them.
//!
//! Every private key here is unwrapped in the client and leaves it only wrapped to a
//! provider's or admin's personal public key; a receptionist or patient is never sent one.

#[cfg(feature = "js")]
use std::cell::RefCell;
use std::fmt;
#[cfg(feature = "js")]
use std::rc::Rc;

use base64ct::{Base64UrlUnpadded, Encoding};
use bizing_core as core;
use bizing_core::api::{
    AddClinicKeyShares, Booking, ClinicKeyInfo, ClinicKeyShare, Correction, CorrectionReasonRequest,
    MAX_CLINIC_KEY_SHARES, MyClinicKey, MyClinicKeysResponse, NppNotice, PublishClinicKey, PublishNpp,
    StaffKeysResponse, StaffMember, note_context,
};
use bizing_core::{EnvelopeError, KeyId, WrappedKey};
use wasm_bindgen::prelude::*;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

#[cfg(feature = "js")]
use super::admin::pick;
use super::{BookingClient, ClientError, HeldKeys, RewrapOutcome, json, segment};
#[cfg(feature = "js")]
use super::{Call, JsBookingClient, member, optional_member, outcome_object, text_arg};
#[cfg(feature = "js")]
use crate::envelope::{EnvelopeContext, context_from};
use crate::error::{Coded, ErrorCode};
#[cfg(feature = "js")]
use crate::js::set;
#[cfg(feature = "js")]
use crate::keys::KeyPair;
#[cfg(feature = "js")]
use crate::keystore;
use crate::keystore::Secrets;

/// The roles that may hold the clinic key (and so open notes).
const HOLDER_ROLES: [&str; 2] = ["provider", "admin"];

/// `/api/corrections/{id}{tail}`
fn correction_path(id: &str, tail: &str) -> String {
    format!("/api/corrections/{}{tail}", segment(id))
}

/// Every clinic-key version the signed-in provider or admin holds, unwrapped with their
/// personal key, the clinic's current one marked. Made by
/// [`BookingClient::unlock_clinic_keys`] (or [`ClinicKeyring::unlock`] from an answer of
/// [`BookingClient::my_clinic_keys`]).
///
/// It opens a note or correction text with whichever version the envelope is sealed to, so
/// texts sealed before a rotation stay readable. The private keys are zeroized when it is
/// dropped or [`Zeroize::zeroize`]d (then it holds nothing); `Debug` shows versions only.
/// Keep it outside any reactive state and drop it at sign-out.
pub struct ClinicKeyring {
    /// By version, ascending, each version once.
    keys: Vec<core::ClinicKey>,
    /// The clinic's current version, if it is among `keys`.
    current: Option<u32>,
}

impl ClinicKeyring {
    /// Unwraps every copy in `response` (`GET /api/clinic-keys/mine`) with `personal`, the
    /// caller's personal key pair, checking each against what the server advertised: the
    /// key id and version, the public key, and that the copy is wrapped to `personal`.
    ///
    /// # Errors
    /// Each naming the version: `InvalidKey` if a copy is wrapped to another personal key;
    /// `DecryptionFailed` if it does not unwrap (altered bytes); `Malformed` or
    /// `UnsupportedVersion` if it is not a wrapped key this build reads; `InvalidResponse` if
    /// the unwrapped key is not the one advertised (another key id, version or public key),
    /// or if a version is listed twice or more than one is marked current.
    pub fn unlock(response: &MyClinicKeysResponse, personal: &core::KeyPair) -> Result<Self, ClientError> {
        let mut keys: Vec<core::ClinicKey> = Vec::with_capacity(response.keys.len());
        let mut current = None;
        for entry in &response.keys {
            // Kept in order as they come (a sort would cost more wasm than this).
            let at = keys.partition_point(|k| k.version() < entry.version);
            if keys.get(at).is_some_and(|k| k.version() == entry.version) {
                return Err(ClientError::InvalidResponse(format!("clinic key v{} is listed twice", entry.version)));
            }
            if entry.current {
                if current.is_some() {
                    return Err(ClientError::InvalidResponse(
                        "more than one clinic-key version is marked current".into(),
                    ));
                }
                current = Some(entry.version);
            }
            keys.insert(at, unlock_one(entry, personal)?);
        }
        Ok(Self { keys, current })
    }

    /// The clinic's current version (what new notes are sealed to and what a rotation
    /// starts from), if the caller holds it.
    #[must_use]
    pub fn current(&self) -> Option<&core::ClinicKey> {
        self.current.and_then(|v| self.get(v))
    }

    /// The version `version`, if held.
    #[must_use]
    pub fn get(&self, version: u32) -> Option<&core::ClinicKey> {
        self.keys.iter().find(|k| k.version() == version)
    }

    /// The versions held, ascending.
    #[must_use]
    pub fn versions(&self) -> Vec<u32> {
        self.keys.iter().map(core::ClinicKey::version).collect()
    }

    /// Whether it holds no version at all (the caller was given none yet, or it was
    /// zeroized).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Opens a sealed text (`bze1.…`) under `context` with the version among its recipients.
    ///
    /// # Errors
    /// `NotARecipient` if none of the versions held is a recipient (a text sealed to a
    /// version the caller was never given, or to no clinic key); `DecryptionFailed` if the
    /// matching version does not open it (a wrong context, or altered bytes); `Malformed`,
    /// `UnsupportedVersion` and the like if `sealed` is not an envelope this build reads.
    pub fn open_note(&self, sealed: &str, context: &core::Context) -> Result<Zeroizing<String>, ClientError> {
        let envelope: core::Envelope = sealed.parse().map_err(|e: EnvelopeError| ClientError::coded(&e))?;
        let recipients = envelope.recipients();
        let Some(key) = self.keys.iter().find(|k| recipients.contains(&k.key_id())) else {
            let held = self.versions().iter().map(|v| format!("v{v}")).collect::<Vec<_>>().join(", ");
            let held = if held.is_empty() { "none".to_owned() } else { held };
            return Err(ClientError::other(
                ErrorCode::NotARecipient,
                format!("no clinic-key version held (held: {held}) is a recipient of this envelope"),
            ));
        };
        envelope.open_text(key.key_pair(), context).map_err(|e| match e {
            EnvelopeError::Decryption => ClientError::other(
                ErrorCode::DecryptionFailed,
                format!(
                    "the envelope did not authenticate with clinic key v{}: a wrong context, or altered data",
                    key.version()
                ),
            ),
            other => ClientError::coded(&other),
        })
    }

    /// Opens a booking's note under the standard note context
    /// ([`bizing_core::api::note_context`] of the booking's tenant and id); `None` if the
    /// booking has no note (or the caller's view of it carries none).
    ///
    /// # Errors
    /// As [`ClinicKeyring::open_note`].
    pub fn open_booking_note(&self, booking: &Booking) -> Result<Option<Zeroizing<String>>, ClientError> {
        booking
            .note
            .as_deref()
            .map(|note| self.open_note(note, &note_context(&booking.tenant_id, &booking.id)))
            .transpose()
    }
}

/// One version of `GET /api/clinic-keys/mine`, unwrapped and checked.
fn unlock_one(entry: &MyClinicKey, personal: &core::KeyPair) -> Result<core::ClinicKey, ClientError> {
    let v = entry.version;
    let lie = |what: String| ClientError::InvalidResponse(format!("clinic key v{v}: {what}"));
    let advertised: KeyId = entry.key_id.parse().map_err(|_| lie(format!("`{}` is not a key id", entry.key_id)))?;
    if advertised.version() != v {
        return Err(lie(format!("its key id {advertised} is of another version")));
    }
    let wrapped: WrappedKey = entry.wrapped_key.parse().map_err(|e: core::WrapError| {
        ClientError::other(e.code(), format!("clinic key v{v}: the wrapped copy: {e}"))
    })?;
    if wrapped.key_id() != advertised {
        return Err(lie(format!("the wrapped copy holds key {}, not the advertised {advertised}", wrapped.key_id())));
    }
    match wrapped.recipient() {
        Some(recipient) if recipient == personal.key_id() => {}
        Some(recipient) => {
            return Err(ClientError::other(
                ErrorCode::InvalidKey,
                format!(
                    "clinic key v{v} is wrapped to the personal key {recipient}, not to the one given ({})",
                    personal.key_id()
                ),
            ));
        }
        None => return Err(lie("the copy is not wrapped to a personal key".into())),
    }
    let key = core::ClinicKey::unwrap(&wrapped, personal).map_err(|e| {
        ClientError::other(e.code(), format!("clinic key v{v} could not be unwrapped with the personal key: {e}"))
    })?;
    let public =
        Base64UrlUnpadded::decode_vec(&entry.public_key).map_err(|_| lie("publicKey is not base64url".into()))?;
    if key.key_id() != advertised || public.as_slice() != key.public_key().to_sec1().as_slice() {
        return Err(lie("the unwrapped key is not the advertised one".into()));
    }
    Ok(key)
}

impl Zeroize for ClinicKeyring {
    /// Drops every version (each private key is overwritten as it drops).
    fn zeroize(&mut self) {
        self.keys.clear();
        self.current = None;
    }
}

impl Drop for ClinicKeyring {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for ClinicKeyring {}

impl Secrets for ClinicKeyring {
    fn private_keys(&self) -> usize {
        self.keys.len()
    }
}

impl fmt::Debug for ClinicKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClinicKeyring").field("versions", &self.versions()).field("current", &self.current).finish()
    }
}

/// What [`BookingClient::rotate_clinic_key`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The new current version.
    pub version: u32,
    /// Its key id.
    pub key_id: String,
    /// The providers and admins (user ids) it was wrapped to, the caller included.
    pub shared_with: Vec<String>,
    /// What the rewrap of stale texts to the new version did.
    pub rewrap: RewrapOutcome,
    /// Why the rewrap stopped, if it did (e.g. `step-up-required`). The new version is
    /// published either way; finish with [`BookingClient::rewrap_stale_with_keyring`] and a
    /// keyring unlocked again (it then holds the new version).
    pub rewrap_error: Option<ClientError>,
}

/// Access to a keyring for the moment of one use: the Rust one directly, the one behind a
/// JS handle through its slot (which logout or an idle time-out may have zeroized), so that
/// nothing borrows a JS keyring across an await.
pub(crate) trait KeyringAccess {
    /// Runs `f` with the keyring.
    ///
    /// # Errors
    /// `KeyZeroized` for a zeroized JS keyring; what `f` returns.
    fn with_keyring<T>(&self, f: impl FnOnce(&ClinicKeyring) -> Result<T, ClientError>) -> Result<T, ClientError>;
}

impl KeyringAccess for ClinicKeyring {
    fn with_keyring<T>(&self, f: impl FnOnce(&ClinicKeyring) -> Result<T, ClientError>) -> Result<T, ClientError> {
        f(self)
    }
}

#[cfg(feature = "js")]
/// A JS `ClinicKeyring`'s keyring: `None` once zeroized.
type KeyringSlot = Rc<RefCell<Option<ClinicKeyring>>>;

#[cfg(feature = "js")]
impl KeyringAccess for KeyringSlot {
    fn with_keyring<T>(&self, f: impl FnOnce(&ClinicKeyring) -> Result<T, ClientError>) -> Result<T, ClientError> {
        let zeroized = || {
            ClientError::other(
                ErrorCode::KeyZeroized,
                "this keyring was zeroized (logout or idle timeout) and cannot be used",
            )
        };
        let guard = self.try_borrow().map_err(|_| zeroized())?;
        guard.as_ref().map_or_else(|| Err(zeroized()), f)
    }
}

/// A keyring's versions for [`BookingClient::rewrap_stale_held`], plus a version just
/// published, given by its public key only (rewrapped to, never opened with).
struct KeyringKeys<'a, K> {
    keyring: &'a K,
    /// How many versions the keyring held when this was made: positions below it are the
    /// keyring's (a keyring zeroized since then fails their use), the next one `published`.
    held: usize,
    published: Option<core::PublicKey>,
}

impl<'a, K: KeyringAccess> KeyringKeys<'a, K> {
    fn new(keyring: &'a K, published: Option<core::PublicKey>) -> Result<Self, ClientError> {
        let held = keyring.with_keyring(|k| Ok(k.keys.len()))?;
        Ok(Self { keyring, held, published })
    }

    fn key<T>(
        &self,
        index: usize,
        f: impl FnOnce(&core::ClinicKey) -> Result<T, ClientError>,
    ) -> Result<T, ClientError> {
        self.keyring.with_keyring(|k| {
            k.keys.get(index).map_or_else(|| Err(ClientError::invalid("no such clinic-key version in the keyring")), f)
        })
    }
}

impl<K: KeyringAccess> HeldKeys for KeyringKeys<'_, K> {
    fn ids(&self) -> Result<Vec<KeyId>, ClientError> {
        let mut ids =
            self.keyring.with_keyring(|k| Ok(k.keys.iter().map(core::ClinicKey::key_id).collect::<Vec<_>>()))?;
        ids.truncate(self.held);
        ids.extend(self.published.as_ref().map(core::PublicKey::key_id));
        Ok(ids)
    }

    fn public_key(&self, index: usize) -> Result<core::PublicKey, ClientError> {
        match (&self.published, index.checked_sub(self.held)) {
            (Some(published), Some(0)) => Ok(published.clone()),
            _ => self.key(index, |k| Ok(k.public_key().clone())),
        }
    }

    fn can_open(&self, index: usize) -> bool {
        index < self.held
    }

    fn rewrap(
        &self,
        index: usize,
        envelope: &core::Envelope,
        context: &core::Context,
        add: &[core::PublicKey],
        remove: &[KeyId],
    ) -> Result<core::Envelope, ClientError> {
        self.key(index, |k| envelope.rewrap(k.key_pair(), context, add, remove).map_err(|e| ClientError::coded(&e)))
    }
}

/// A staff member's personal public key, checked against the key id the server gave with it.
fn staff_public_key(member: &StaffMember) -> Result<core::PublicKey, ClientError> {
    let lie = |what: &str| {
        ClientError::InvalidResponse(format!("the personal key of staff member {}: {what}", member.user_id))
    };
    let key_id: KeyId = member.key_id.parse().map_err(|_| lie("keyId is not a key id"))?;
    let bytes = Base64UrlUnpadded::decode_vec(&member.public_key).map_err(|_| lie("publicKey is not base64url"))?;
    let key = core::PublicKey::from_sec1(&bytes)
        .and_then(|k| k.with_version(key_id.version()))
        .map_err(|_| lie("publicKey is not a P-256 public key"))?;
    if key.key_id() != key_id {
        return Err(lie("publicKey does not match keyId"));
    }
    Ok(key)
}

fn is_holder(member: &StaffMember) -> bool {
    HOLDER_ROLES.contains(&member.role.as_str())
}

// Answers read with `JSON.parse` and member by member, not serde: the npm package is
// smaller without a deserializer per type. Unknown members are ignored.

/// A JSON answer's text, parsed.
fn parse_json(text: &str) -> Result<JsValue, ClientError> {
    js_sys::JSON::parse(text).map_err(|_| ClientError::InvalidResponse("the answer is not JSON".into()))
}

fn field(value: &JsValue, name: &str) -> Result<JsValue, String> {
    if !value.is_object() {
        return Err(format!("expected an object with `{name}`"));
    }
    js_sys::Reflect::get(value, &JsValue::from_str(name)).map_err(|_| format!("`{name}` cannot be read"))
}

fn string(value: &JsValue, name: &str) -> Result<String, String> {
    field(value, name)?.as_string().ok_or_else(|| format!("`{name}` must be a string"))
}

fn boolean(value: &JsValue, name: &str) -> Result<bool, String> {
    field(value, name)?.as_bool().ok_or_else(|| format!("`{name}` must be a boolean"))
}

fn u32_of(value: &JsValue, what: &str) -> Result<u32, String> {
    value
        .as_f64()
        .filter(|n| n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(n))
        // Integral and within u32, checked just above.
        .map(|n| {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let n = n as u32;
            n
        })
        .ok_or_else(|| format!("`{what}` must be an integer from 0 to 4294967295"))
}

fn number(value: &JsValue, name: &str) -> Result<u32, String> {
    u32_of(&field(value, name)?, name)
}

fn array(value: &JsValue, name: &str) -> Result<js_sys::Array, String> {
    field(value, name)?.dyn_into::<js_sys::Array>().map_err(|_| format!("`{name}` must be an array"))
}

/// A `StaffKeysResponse` from its parsed JSON.
fn staff_keys_from(value: &JsValue) -> Result<StaffKeysResponse, String> {
    let staff = array(value, "staff")?
        .iter()
        .map(|m| {
            Ok(StaffMember {
                user_id: string(&m, "userId")?,
                role: string(&m, "role")?,
                name: string(&m, "name")?,
                public_key: string(&m, "publicKey")?,
                key_id: string(&m, "keyId")?,
                clinic_key_versions: array(&m, "clinicKeyVersions")?
                    .iter()
                    .map(|v| u32_of(&v, "clinicKeyVersions[]"))
                    .collect::<Result<_, String>>()?,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(StaffKeysResponse { staff })
}

/// A `MyClinicKeysResponse` from its parsed JSON.
fn my_clinic_keys_from(value: &JsValue) -> Result<MyClinicKeysResponse, String> {
    let keys = array(value, "keys")?
        .iter()
        .map(|k| {
            Ok(MyClinicKey {
                version: number(&k, "version")?,
                key_id: string(&k, "keyId")?,
                public_key: string(&k, "publicKey")?,
                wrapped_key: string(&k, "wrappedKey")?,
                current: boolean(&k, "current")?,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(MyClinicKeysResponse { keys })
}

impl BookingClient {
    /// `GET /api/staff/keys` (receptionists, providers, admins): the clinic's current staff
    /// with their personal public keys and the clinic-key versions each holds.
    ///
    /// # Errors
    /// `forbidden` for patients; as every call.
    pub async fn staff_keys(&self) -> Result<StaffKeysResponse, ClientError> {
        let text = self.request("GET", "/api/staff/keys", None).await?;
        staff_keys_from(&parse_json(&text)?).map_err(ClientError::InvalidResponse)
    }

    /// `GET /api/clinic-keys/mine` (providers and admins): the caller's wrapped copies of
    /// every clinic-key version they hold. [`BookingClient::unlock_clinic_keys`] unwraps them.
    ///
    /// # Errors
    /// `forbidden` for receptionists and patients; as every call.
    pub async fn my_clinic_keys(&self) -> Result<MyClinicKeysResponse, ClientError> {
        let text = self.request("GET", "/api/clinic-keys/mine", None).await?;
        my_clinic_keys_from(&parse_json(&text)?).map_err(ClientError::InvalidResponse)
    }

    /// `POST /api/clinic-keys` (admins): publishes a new version, made and wrapped by the
    /// caller, which becomes the current one. [`BookingClient::rotate_clinic_key`] does the
    /// whole job.
    ///
    /// # Errors
    /// `forbidden`; `wrong-key-version` (not the current version + 1), `missing-self-share`,
    /// `key-reused`, `key-id-mismatch`, `wrong-recipient`, `share-not-allowed` (a
    /// receptionist or patient), `unknown-user`, `duplicate-share`, `invalid-body`.
    pub async fn publish_clinic_key(&self, request: &PublishClinicKey) -> Result<ClinicKeyInfo, ClientError> {
        self.post("/api/clinic-keys", Some(request)).await
    }

    /// `POST /api/clinic-keys/shares` (admins): shares an existing version with more
    /// providers or admins. [`BookingClient::share_clinic_keys`] does the whole job.
    ///
    /// # Errors
    /// `forbidden`; `unknown-key-version`, `share-exists`, and the share errors of
    /// [`BookingClient::publish_clinic_key`].
    pub async fn add_clinic_key_shares(&self, request: &AddClinicKeyShares) -> Result<(), ClientError> {
        self.post_no_content("/api/clinic-keys/shares", Some(request)).await
    }

    /// Fetches the caller's copies of the clinic key ([`BookingClient::my_clinic_keys`]) and
    /// unwraps each with `personal`, the caller's personal key pair (from sign-in), into a
    /// [`ClinicKeyring`]. A provider or admin who was given no copy yet gets an empty one.
    ///
    /// # Errors
    /// As [`BookingClient::my_clinic_keys`] and [`ClinicKeyring::unlock`].
    pub async fn unlock_clinic_keys(&self, personal: &core::KeyPair) -> Result<ClinicKeyring, ClientError> {
        ClinicKeyring::unlock(&self.my_clinic_keys().await?, personal)
    }

    /// Shares every version `keyring` holds that the staff member `user_id` (a provider or
    /// admin, e.g. one who just joined) does not hold yet: each wrapped here to their
    /// personal public key from [`BookingClient::staff_keys`], checked against its key id,
    /// and posted as one [`AddClinicKeyShares`] per version. Returns the versions shared
    /// (none if they hold them all). Admins only; no step-up needed. Safe to repeat after a
    /// failure: what was shared is not shared again.
    ///
    /// # Errors
    /// `InvalidArgument` if `user_id` is not a current staff member, or is a receptionist
    /// (patients are no staff; neither may hold the clinic key); `InvalidResponse` if the
    /// server's public key for them does not match its key id; `KeyZeroized`; as
    /// [`BookingClient::add_clinic_key_shares`] (versions before the failing one are shared).
    pub async fn share_clinic_keys(&self, keyring: &ClinicKeyring, user_id: &str) -> Result<Vec<u32>, ClientError> {
        self.share_clinic_keys_from(keyring, user_id).await
    }

    pub(crate) async fn share_clinic_keys_from<K: KeyringAccess>(
        &self,
        keyring: &K,
        user_id: &str,
    ) -> Result<Vec<u32>, ClientError> {
        if user_id.is_empty() {
            return Err(ClientError::invalid("userId must be a non-empty string"));
        }
        let staff = self.staff_keys().await?;
        let Some(member) = staff.staff.iter().find(|m| m.user_id == user_id) else {
            return Err(ClientError::invalid(format!(
                "{user_id} is not a current staff member of this clinic; only providers and admins may hold the clinic key"
            )));
        };
        if !is_holder(member) {
            return Err(ClientError::invalid(format!(
                "{user_id} is a {}: only providers and admins may hold the clinic key",
                member.role
            )));
        }
        let recipient = staff_public_key(member)?;
        // Wrapped now, without an await in between: a JS keyring is borrowed only here.
        let shares = keyring.with_keyring(|k| {
            k.keys
                .iter()
                .filter(|key| !member.clinic_key_versions.contains(&key.version()))
                .map(|key| {
                    let wrapped = key.wrap_for(&recipient).map_err(|e| ClientError::coded(&e))?;
                    Ok(AddClinicKeyShares {
                        version: key.version(),
                        shares: vec![ClinicKeyShare { user_id: user_id.to_owned(), wrapped_key: wrapped.to_string() }],
                    })
                })
                .collect::<Result<Vec<_>, ClientError>>()
        })?;
        let mut shared = Vec::with_capacity(shares.len());
        for request in &shares {
            self.add_clinic_key_shares(request).await?;
            shared.push(request.version);
        }
        Ok(shared)
    }

    /// Rotates the clinic key, after someone left (when `remove_staff` or
    /// `change_staff_role` answers `rotate_clinic_key`): makes the version after the
    /// keyring's current one, wraps it to every current provider and admin from
    /// [`BookingClient::staff_keys`] (the caller included; their keys checked against their
    /// key ids), publishes it, then rewraps the stale notes and correction texts with every
    /// version `keyring` holds ([`BookingClient::rewrap_stale`]). The new private key is
    /// dropped once wrapped: unlock the keys again to use it. Admins only.
    ///
    /// The rewrap needs a second factor from the last five minutes (a fresh sign-in counts;
    /// else [`BookingClient::step_up`] first); publishing does not. If the rewrap fails, the
    /// version stays published and [`Rotation::rewrap_error`] says why.
    ///
    /// # Errors
    /// Before anything is published: `InvalidArgument` if `keyring` lacks the current
    /// version; `InvalidResponse` if a staff member's public key does not match its key id
    /// or the server's answer is not the published key; `KeyZeroized`; as
    /// [`BookingClient::staff_keys`] and [`BookingClient::publish_clinic_key`]
    /// (`wrong-key-version` if someone rotated meanwhile: unlock again and retry).
    pub async fn rotate_clinic_key(&self, tenant_id: &str, keyring: &ClinicKeyring) -> Result<Rotation, ClientError> {
        self.rotate_clinic_key_from(tenant_id, keyring).await
    }

    pub(crate) async fn rotate_clinic_key_from<K: KeyringAccess>(
        &self,
        tenant_id: &str,
        keyring: &K,
    ) -> Result<Rotation, ClientError> {
        let staff = self.staff_keys().await?;
        let holders = staff
            .staff
            .iter()
            .filter(|m| is_holder(m))
            .map(|m| Ok((m.user_id.clone(), staff_public_key(m)?)))
            .collect::<Result<Vec<_>, ClientError>>()?;
        if holders.len() > MAX_CLINIC_KEY_SHARES {
            return Err(ClientError::invalid(format!(
                "{} providers and admins: a version can be published with at most {MAX_CLINIC_KEY_SHARES} copies",
                holders.len()
            )));
        }
        // The next version exists in clear only inside this call, without an await.
        let (request, next_id) = keyring.with_keyring(|k| {
            let current = k.current().ok_or_else(|| {
                ClientError::invalid(
                    "the keyring does not hold the clinic's current key version: unlock the keys again, \
                     or ask an admin who holds it",
                )
            })?;
            let next = current.rotate().map_err(|e| ClientError::coded(&e))?;
            let shares = holders
                .iter()
                .map(|(user_id, personal)| {
                    let wrapped = next.wrap_for(personal).map_err(|e| ClientError::coded(&e))?;
                    Ok(ClinicKeyShare { user_id: user_id.clone(), wrapped_key: wrapped.to_string() })
                })
                .collect::<Result<Vec<_>, ClientError>>()?;
            let request = PublishClinicKey {
                version: next.version(),
                public_key: Base64UrlUnpadded::encode_string(&next.public_key().to_sec1()),
                shares,
            };
            Ok((request, next.public_key().clone()))
        })?;
        // The answer is a ClinicKeyInfo; only its version and key id matter here.
        let answer = parse_json(&self.request("POST", "/api/clinic-keys", Some(json(&request)?)).await?)?;
        let (version, key_id) = number(&answer, "version")
            .and_then(|version| Ok((version, string(&answer, "keyId")?)))
            .map_err(ClientError::InvalidResponse)?;
        if version != request.version || key_id != next_id.key_id().to_string() {
            return Err(ClientError::InvalidResponse(format!(
                "published clinic key v{}, but the server answered with {key_id} (v{version})",
                request.version
            )));
        }
        let shared_with = holders.into_iter().map(|(user_id, _)| user_id).collect();
        let keys = KeyringKeys::new(keyring, Some(next_id))?;
        let (rewrap, rewrap_error) = match self.rewrap_stale_held(tenant_id, &keys).await {
            Ok(outcome) => (outcome, None),
            Err(e) => (RewrapOutcome::default(), Some(e)),
        };
        Ok(Rotation { version, key_id, shared_with, rewrap, rewrap_error })
    }

    /// [`BookingClient::rewrap_stale`] with every version `keyring` holds (a provider or
    /// admin finishing a rotation). Needs a recent step-up.
    ///
    /// # Errors
    /// As [`BookingClient::rewrap_stale`]; `KeyZeroized`.
    pub async fn rewrap_stale_with_keyring(
        &self,
        tenant_id: &str,
        keyring: &ClinicKeyring,
    ) -> Result<RewrapOutcome, ClientError> {
        self.rewrap_stale_held(tenant_id, &KeyringKeys::new(keyring, None)?).await
    }

    /// `POST /api/npp` (admins): publishes a new version of the Notice of Privacy Practices,
    /// which becomes the current one; patients are asked to acknowledge it. Answers with the
    /// notice and its hash.
    ///
    /// # Errors
    /// `forbidden` unless an admin; `invalid-body` for an empty or over-100-KiB text.
    pub async fn publish_npp(&self, request: &PublishNpp) -> Result<NppNotice, ClientError> {
        self.post("/api/npp", Some(request)).await
    }

    /// `POST /api/corrections/{id}/accept`: the booking's provider or an admin accepts a
    /// pending correction request. No step-up is asked for (a signed-in session with its
    /// second factor is); the decision is an access event of the patient.
    ///
    /// # Errors
    /// `not-found` (also a request the caller may not see), `forbidden` (patients and
    /// receptionists), `correction-decided`, `correction-changed`.
    pub async fn accept_correction(&self, id: &str) -> Result<Correction, ClientError> {
        self.post::<(), _>(&correction_path(id, "/accept"), None).await
    }

    /// `POST /api/corrections/{id}/deny`: the booking's provider or an admin denies a
    /// pending correction request, saying why (plain text the patient reads; the server
    /// stores it encrypted). No step-up is asked for.
    ///
    /// # Errors
    /// As [`BookingClient::accept_correction`]; `invalid-reason` (empty, control
    /// characters), `reason-too-large` (over 2 KiB).
    pub async fn deny_correction(&self, id: &str, reason: &str) -> Result<Correction, ClientError> {
        let request = CorrectionReasonRequest { reason: reason.to_owned() };
        self.post(&correction_path(id, "/deny"), Some(&request)).await
    }

    /// `POST /api/corrections/{id}/extend`: the booking's provider or an admin extends the
    /// deadline of a submitted request once, by 30 days, saying why. No step-up is asked for.
    ///
    /// # Errors
    /// As [`BookingClient::deny_correction`]; `already-extended`, `deadline-passed`.
    pub async fn extend_correction(&self, id: &str, reason: &str) -> Result<Correction, ClientError> {
        let request = CorrectionReasonRequest { reason: reason.to_owned() };
        self.post(&correction_path(id, "/extend"), Some(&request)).await
    }
}

// ---------------------------------------------------------------------------------------
// JavaScript

#[cfg(feature = "js")]
#[wasm_bindgen(typescript_custom_section)]
const TS_STAFF_TYPES: &str = r#"
/** A member of the clinic's staff with their personal public key (`client.staffKeys()`). */
export interface StaffMember {
  userId: string;
  role: StaffRole;
  name: string;
  /** SEC1, base64url. */
  publicKey: string;
  keyId: string;
  /** The clinic-key versions this person holds a copy of, ascending. */
  clinicKeyVersions: number[];
}
export interface StaffKeysResponse { staff: StaffMember[]; }

/** One clinic-key version wrapped to one provider or admin (`bzk1.…`). */
export interface ClinicKeyShare { userId: string; wrappedKey: string; }
export interface PublishClinicKey {
  /** The current version + 1 (1 for the clinic's first key). */
  version: number;
  /** SEC1, base64url. */
  publicKey: string;
  /** The publishing admin's own copy included. */
  shares: ClinicKeyShare[];
}
export interface AddClinicKeyShares { version: number; shares: ClinicKeyShare[]; }

/** One clinic-key version wrapped to the signed-in provider or admin. */
export interface MyClinicKey {
  version: number;
  keyId: string;
  /** SEC1, base64url. */
  publicKey: string;
  wrappedKey: string;
  current: boolean;
}
export interface MyClinicKeysResponse { keys: MyClinicKey[]; }

export interface PublishNpp { text: string; }

/** What `client.rotateClinicKey(...)` did. */
export interface ClinicKeyRotation {
  /** The new current version. */
  version: number;
  keyId: string;
  /** The providers and admins (user ids) it was wrapped to, the caller included. */
  sharedWith: string[];
  rewrap: RewrapOutcome;
  /**
   * Why the rewrap of stale texts stopped, if it did (e.g. `step-up-required`): the version is
   * published either way; finish with `rewrapStaleWithKeyring` and a keyring unlocked again.
   */
  rewrapError?: BookingApiError | Error;
}
"#;

#[cfg(feature = "js")]
/// Every clinic-key version the signed-in provider or admin holds, unwrapped in wasm memory.
/// Opens notes and correction texts with whichever version they are sealed to. Zeroized by
/// `zeroize()`, `zeroizeKeys()`, the `BookingClient`'s `logout()` (if it unlocked it) and idle
/// timeout; any later use throws `KeyZeroized`.
#[wasm_bindgen(js_name = ClinicKeyring)]
pub struct JsClinicKeyring {
    slot: KeyringSlot,
}

#[cfg(feature = "js")]
impl JsClinicKeyring {
    /// Hands `keyring` to JS, registered so `zeroizeKeys()` and idle timeout reach it.
    fn adopt(keyring: ClinicKeyring) -> Self {
        Self { slot: keystore::register_slot(keyring) }
    }
}

#[cfg(feature = "js")]
#[wasm_bindgen(js_class = ClinicKeyring)]
impl JsClinicKeyring {
    /// Unwraps an answer of `client.myClinicKeys()` with the caller's personal key pair,
    /// checking every copy (`client.unlockClinicKeys(keyPair)` fetches and unlocks at once).
    /// Errors name the version.
    pub fn unlock(
        #[wasm_bindgen(unchecked_param_type = "MyClinicKeysResponse")] response: JsValue,
        key_pair: &KeyPair,
    ) -> Result<JsClinicKeyring, JsValue> {
        let response = my_clinic_keys_from(&response)
            .map_err(|e| ClientError::invalid(format!("response is not a MyClinicKeysResponse: {e}")))?;
        let keyring = key_pair.with(|personal| ClinicKeyring::unlock(&response, personal).map_err(JsValue::from))?;
        Ok(Self::adopt(keyring))
    }

    /// The versions held, ascending.
    #[wasm_bindgen(unchecked_return_type = "number[]")]
    pub fn versions(&self) -> Result<js_sys::Array, JsValue> {
        let versions = self.slot.with_keyring(|k| Ok(k.versions()))?;
        Ok(versions.into_iter().map(JsValue::from).collect())
    }

    /// The clinic's current version, if held.
    #[wasm_bindgen(getter, js_name = currentVersion)]
    pub fn current_version(&self) -> Result<Option<u32>, JsValue> {
        Ok(self.slot.with_keyring(|k| Ok(k.current().map(core::ClinicKey::version)))?)
    }

    /// Opens a sealed text (`bze1.…`) under `context` with the version among its recipients:
    /// `NotARecipient` if no version held is one, `DecryptionFailed` if it does not open.
    #[wasm_bindgen(js_name = openNote, unchecked_return_type = "string")]
    pub fn open_note(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] sealed: JsValue,
        context: &EnvelopeContext,
    ) -> Result<JsValue, JsValue> {
        let sealed = text_arg(&sealed, "sealed")?;
        let context = context_from(context)?;
        let text = self.slot.with_keyring(|k| k.open_note(&sealed, &context))?;
        // Copied into a JS string from the borrowed text, which is zeroized as it drops.
        Ok(JsValue::from_str(&text))
    }

    /// Opens a booking's note (context `{ tenantId, bookingId: id, field: "note",
    /// schemaVersion: 1 }`); `undefined` if the booking carries none.
    #[wasm_bindgen(js_name = openBookingNote, unchecked_return_type = "string | undefined")]
    pub fn open_booking_note(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Booking")] booking: JsValue,
    ) -> Result<JsValue, JsValue> {
        let (tenant_id, id) = (member(&booking, "tenantId")?, member(&booking, "id")?);
        let Some(note) = optional_member(&booking, "note")? else { return Ok(JsValue::UNDEFINED) };
        let context = note_context(&tenant_id, &id);
        let text = self.slot.with_keyring(|k| k.open_note(&note, &context))?;
        Ok(JsValue::from_str(&text))
    }

    /// Zeroizes every version now; any later use throws `KeyZeroized`.
    pub fn zeroize(&self) {
        keystore::zeroize(&self.slot);
    }

    /// Whether it has been zeroized.
    #[wasm_bindgen(getter, js_name = isZeroized)]
    pub fn is_zeroized(&self) -> bool {
        self.slot.try_borrow().map(|k| k.is_none()).unwrap_or(false)
    }
}

#[cfg(feature = "js")]
/// A `ClinicKeyRotation` for JS.
fn rotation_object(rotation: &Rotation) -> JsValue {
    let out = js_sys::Object::new();
    set(&out, "version", rotation.version);
    set(&out, "keyId", rotation.key_id.as_str());
    let shared: js_sys::Array = rotation.shared_with.iter().map(|id| JsValue::from_str(id)).collect();
    set(&out, "sharedWith", shared);
    set(&out, "rewrap", outcome_object(&rotation.rewrap));
    if let Some(e) = &rotation.rewrap_error {
        set(&out, "rewrapError", e.to_js());
    }
    out.into()
}

#[cfg(feature = "js")]
#[wasm_bindgen(js_class = BookingClient)]
impl JsBookingClient {
    /// The clinic's staff with their personal public keys and the clinic-key versions each
    /// holds (staff only).
    #[wasm_bindgen(js_name = staffKeys, unchecked_return_type = "Promise<StaffKeysResponse>")]
    pub fn staff_keys(&self) -> js_sys::Promise {
        self.call(Ok(("GET", "/api/staff/keys".into(), None)))
    }

    /// The caller's wrapped copies of every clinic-key version they hold (providers and
    /// admins); `unlockClinicKeys` unwraps them.
    #[wasm_bindgen(js_name = myClinicKeys, unchecked_return_type = "Promise<MyClinicKeysResponse>")]
    pub fn my_clinic_keys(&self) -> js_sys::Promise {
        self.call(Ok(("GET", "/api/clinic-keys/mine".into(), None)))
    }

    /// Publishes a clinic-key version made and wrapped by the caller (admins);
    /// `rotateClinicKey` does the whole job.
    #[wasm_bindgen(js_name = publishClinicKey, unchecked_return_type = "Promise<ClinicKeyInfo>")]
    pub fn publish_clinic_key(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PublishClinicKey")] request: JsValue,
    ) -> js_sys::Promise {
        let call = || -> Result<Call, ClientError> {
            let body = pick(&request, &[("version", true), ("publicKey", true), ("shares", true)])?;
            Ok(("POST", "/api/clinic-keys".into(), body))
        };
        self.call(call())
    }

    /// Shares an existing clinic-key version with more providers or admins (admins);
    /// `shareClinicKeys` does the whole job.
    #[wasm_bindgen(js_name = addClinicKeyShares, unchecked_return_type = "Promise<void>")]
    pub fn add_clinic_key_shares(
        &self,
        #[wasm_bindgen(unchecked_param_type = "AddClinicKeyShares")] request: JsValue,
    ) -> js_sys::Promise {
        let call = || -> Result<Call, ClientError> {
            Ok(("POST", "/api/clinic-keys/shares".into(), pick(&request, &[("version", true), ("shares", true)])?))
        };
        self.call(call())
    }

    /// Fetches the caller's copies of the clinic key and unwraps them with `keyPair` (the
    /// personal key from sign-in) into a `ClinicKeyring`, zeroized by this client's `logout()`.
    #[wasm_bindgen(js_name = unlockClinicKeys, unchecked_return_type = "Promise<ClinicKeyring>")]
    pub fn unlock_clinic_keys(&self, key_pair: &KeyPair) -> js_sys::Promise {
        let client = self.client.clone();
        let key_pair = key_pair.clone_handle();
        wasm_bindgen_futures::future_to_promise(async move {
            let mine = client.my_clinic_keys().await?;
            let keyring = key_pair.with(|personal| ClinicKeyring::unlock(&mine, personal).map_err(JsValue::from))?;
            let keyring = JsClinicKeyring::adopt(keyring);
            client.adopt_slot(keystore::weak(&keyring.slot));
            Ok(keyring.into())
        })
    }

    /// Shares every version `keyring` holds that the provider or admin `userId` lacks
    /// (admins); resolves with the versions shared. A receptionist is refused
    /// (`InvalidArgument`).
    #[wasm_bindgen(js_name = shareClinicKeys, unchecked_return_type = "Promise<number[]>")]
    pub fn share_clinic_keys(
        &self,
        keyring: &JsClinicKeyring,
        #[wasm_bindgen(unchecked_param_type = "string")] user_id: JsValue,
    ) -> js_sys::Promise {
        let client = self.client.clone();
        let slot = keyring.slot.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let user_id = text_arg(&user_id, "userId")?;
            let shared = client.share_clinic_keys_from(&slot, &user_id).await?;
            Ok(shared.into_iter().map(JsValue::from).collect::<js_sys::Array>().into())
        })
    }

    /// Rotates the clinic key after someone left (admins): the next version, wrapped to every
    /// current provider and admin, published; then the stale texts rewrapped with `keyring`
    /// (which needs a recent step-up). Unlock the keys again to use the new version.
    #[wasm_bindgen(js_name = rotateClinicKey, unchecked_return_type = "Promise<ClinicKeyRotation>")]
    pub fn rotate_clinic_key(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] tenant_id: JsValue,
        keyring: &JsClinicKeyring,
    ) -> js_sys::Promise {
        let client = self.client.clone();
        let slot = keyring.slot.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let tenant_id = text_arg(&tenant_id, "tenantId")?;
            Ok(rotation_object(&client.rotate_clinic_key_from(&tenant_id, &slot).await?))
        })
    }

    /// Rewraps every stale text the caller can to the current clinic-key version with the
    /// versions `keyring` holds (after a step-up).
    #[wasm_bindgen(js_name = rewrapStaleWithKeyring, unchecked_return_type = "Promise<RewrapOutcome>")]
    pub fn rewrap_stale_with_keyring(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] tenant_id: JsValue,
        keyring: &JsClinicKeyring,
    ) -> js_sys::Promise {
        let client = self.client.clone();
        let slot = keyring.slot.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let tenant_id = text_arg(&tenant_id, "tenantId")?;
            let outcome = client.rewrap_stale_held(&tenant_id, &KeyringKeys::new(&slot, None)?).await?;
            Ok(outcome_object(&outcome))
        })
    }

    /// Publishes a new version of the Notice of Privacy Practices (admins).
    #[wasm_bindgen(js_name = publishNpp, unchecked_return_type = "Promise<NppNotice>")]
    pub fn publish_npp(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PublishNpp")] request: JsValue,
    ) -> js_sys::Promise {
        self.call((|| Ok(("POST", "/api/npp".into(), super::body(&[("text", Some(member(&request, "text")?))])?)))())
    }

    /// Accepts a pending correction request (the booking's provider or an admin).
    #[wasm_bindgen(js_name = acceptCorrection, unchecked_return_type = "Promise<Correction>")]
    pub fn accept_correction(&self, #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue) -> js_sys::Promise {
        self.call(text_arg(&id, "id").map(|id| ("POST", correction_path(&id, "/accept"), None)))
    }

    /// Denies a pending correction request with a reason the patient reads (the booking's
    /// provider or an admin).
    #[wasm_bindgen(js_name = denyCorrection, unchecked_return_type = "Promise<Correction>")]
    pub fn deny_correction(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] reason: JsValue,
    ) -> js_sys::Promise {
        self.call(reason_call(&id, "/deny", &reason))
    }

    /// Extends a submitted correction request's deadline once, by 30 days, with a reason (the
    /// booking's provider or an admin).
    #[wasm_bindgen(js_name = extendCorrection, unchecked_return_type = "Promise<Correction>")]
    pub fn extend_correction(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] reason: JsValue,
    ) -> js_sys::Promise {
        self.call(reason_call(&id, "/extend", &reason))
    }
}

#[cfg(feature = "js")]
/// `POST /api/corrections/{id}{tail}` with `{ reason }`.
fn reason_call(id: &JsValue, tail: &str, reason: &JsValue) -> Result<Call, ClientError> {
    let id = text_arg(id, "id")?;
    let body = super::body(&[("reason", Some(text_arg(reason, "reason")?))])?;
    Ok(("POST", correction_path(&id, tail), body))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TENANT: &str = "clinic";

    fn b64(bytes: &[u8]) -> String {
        Base64UrlUnpadded::encode_string(bytes)
    }

    /// A `mine` entry: `key` wrapped to `personal`.
    fn entry(key: &core::ClinicKey, personal: &core::KeyPair, current: bool) -> MyClinicKey {
        MyClinicKey {
            version: key.version(),
            key_id: key.key_id().to_string(),
            public_key: b64(&key.public_key().to_sec1()),
            wrapped_key: key.wrap_for(personal.public_key()).unwrap().to_string(),
            current,
        }
    }

    fn seal(text: &str, to: &[&core::PublicKey], booking: &str) -> String {
        let keys: Vec<core::PublicKey> = to.iter().map(|k| (*k).clone()).collect();
        core::Envelope::seal(text.as_bytes(), &note_context(TENANT, booking), &keys, core::SealOptions::default())
            .unwrap()
            .to_string()
    }

    fn booking(id: &str, note: Option<String>) -> Booking {
        Booking {
            id: id.into(),
            tenant_id: TENANT.into(),
            patient_id: "p".into(),
            patient_name: None,
            provider_id: "d".into(),
            provider_name: "Dr. D".into(),
            service_id: "s".into(),
            service_name: "Visit".into(),
            start: "2026-01-05T14:00:00Z".into(),
            end: "2026-01-05T14:30:00Z".into(),
            status: bizing_core::api::BookingStatus::Active,
            note,
            checked_in_at: None,
            confidential_contact: None,
            guest: None,
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn unlocks_every_version_and_opens_with_the_matching_one() {
        let personal = core::KeyPair::generate().unwrap();
        let v1 = core::ClinicKey::create().unwrap();
        let v2 = v1.rotate().unwrap();
        let mine = MyClinicKeysResponse { keys: vec![entry(&v2, &personal, true), entry(&v1, &personal, false)] };
        let keyring = ClinicKeyring::unlock(&mine, &personal).unwrap();
        assert_eq!(keyring.versions(), [1, 2]);
        assert_eq!(keyring.current().map(core::ClinicKey::key_id), Some(v2.key_id()));
        assert!(format!("{keyring:?}").contains("versions: [1, 2]"));

        let old = seal("sealed before the rotation", &[v1.public_key()], "b1");
        let new = seal("sealed after it", &[v2.public_key()], "b2");
        assert_eq!(*keyring.open_note(&old, &note_context(TENANT, "b1")).unwrap(), "sealed before the rotation");
        assert_eq!(
            keyring.open_booking_note(&booking("b2", Some(new.clone()))).unwrap().as_deref().map(String::as_str),
            Some("sealed after it")
        );
        assert_eq!(keyring.open_booking_note(&booking("b3", None)).unwrap(), None);

        // Another booking's context: found the version, failed to authenticate.
        let e = keyring.open_note(&new, &note_context(TENANT, "b1")).unwrap_err();
        assert_eq!(e.code(), ErrorCode::DecryptionFailed, "{e}");
        assert!(e.to_string().contains("v2"), "{e}");
        // Sealed to a key the keyring lacks: no matching version, a different error.
        let other = core::ClinicKey::create().unwrap();
        let e = keyring.open_note(&seal("x", &[other.public_key()], "b1"), &note_context(TENANT, "b1")).unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotARecipient, "{e}");
        assert_eq!(
            keyring.open_note("bze1.AAAA", &note_context(TENANT, "b1")).unwrap_err().code(),
            ErrorCode::Malformed
        );
    }

    #[test]
    fn a_bad_copy_is_an_error_naming_its_version() {
        let personal = core::KeyPair::generate().unwrap();
        let v1 = core::ClinicKey::create().unwrap();
        let v2 = v1.rotate().unwrap();
        let unlock = |second: MyClinicKey| {
            let mine = MyClinicKeysResponse { keys: vec![entry(&v1, &personal, false), second] };
            ClinicKeyring::unlock(&mine, &personal).unwrap_err()
        };

        // Altered ciphertext.
        let mut tampered = entry(&v2, &personal, true);
        let at = tampered.wrapped_key.len() - 10;
        let flipped = if &tampered.wrapped_key[at..=at] == "A" { "B" } else { "A" };
        tampered.wrapped_key.replace_range(at..=at, flipped);
        let e = unlock(tampered);
        assert_eq!(e.code(), ErrorCode::DecryptionFailed, "{e}");
        assert!(e.to_string().contains("v2"), "{e}");

        // Not a wrapped key at all.
        let mut garbage = entry(&v2, &personal, true);
        garbage.wrapped_key = "bzk1.!!".into();
        let e = unlock(garbage);
        assert_eq!(e.code(), ErrorCode::Malformed, "{e}");
        assert!(e.to_string().contains("v2"), "{e}");

        // The copy of v1 advertised as v2's key id.
        let mut swapped = entry(&v1, &personal, true);
        swapped.version = 2;
        swapped.key_id = v2.key_id().to_string();
        let e = unlock(swapped);
        assert!(matches!(e, ClientError::InvalidResponse(_)), "{e}");
        assert!(e.to_string().contains("v2"), "{e}");

        // Another public key advertised.
        let mut public = entry(&v2, &personal, true);
        public.public_key = b64(&v1.public_key().to_sec1());
        assert!(matches!(unlock(public), ClientError::InvalidResponse(_)));

        // Wrapped to someone else.
        let stranger = core::KeyPair::generate().unwrap();
        let e = unlock(entry(&v2, &stranger, true));
        assert_eq!(e.code(), ErrorCode::InvalidKey, "{e}");

        // Listed twice; two current versions.
        assert!(matches!(unlock(entry(&v1, &personal, false)), ClientError::InvalidResponse(_)));
        let mine = MyClinicKeysResponse { keys: vec![entry(&v1, &personal, true), entry(&v2, &personal, true)] };
        assert!(matches!(ClinicKeyring::unlock(&mine, &personal), Err(ClientError::InvalidResponse(_))));
    }

    #[test]
    fn zeroize_empties_it_and_an_empty_one_opens_nothing() {
        let personal = core::KeyPair::generate().unwrap();
        let v1 = core::ClinicKey::create().unwrap();
        let mut keyring =
            ClinicKeyring::unlock(&MyClinicKeysResponse { keys: vec![entry(&v1, &personal, true)] }, &personal)
                .unwrap();
        assert_eq!(keyring.private_keys(), 1);
        keyring.zeroize();
        assert!(keyring.is_empty() && keyring.current().is_none());
        let e = keyring.open_note(&seal("x", &[v1.public_key()], "b"), &note_context(TENANT, "b")).unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotARecipient);
        assert!(e.to_string().contains("none"), "{e}");
    }

    #[test]
    fn the_rewrap_keys_add_the_published_version_without_its_private_key() {
        let personal = core::KeyPair::generate().unwrap();
        let v1 = core::ClinicKey::create().unwrap();
        let keyring =
            ClinicKeyring::unlock(&MyClinicKeysResponse { keys: vec![entry(&v1, &personal, true)] }, &personal)
                .unwrap();
        let v2 = v1.rotate().unwrap();
        let keys = KeyringKeys::new(&keyring, Some(v2.public_key().clone())).unwrap();
        assert_eq!(keys.ids().unwrap(), [v1.key_id(), v2.key_id()]);
        assert!(keys.can_open(0) && !keys.can_open(1));
        assert_eq!(keys.public_key(1).unwrap(), *v2.public_key());

        let context = note_context(TENANT, "b");
        let sealed: core::Envelope = seal("moved", &[v1.public_key()], "b").parse().unwrap();
        let moved = keys.rewrap(0, &sealed, &context, &[v2.public_key().clone()], &[v1.key_id()]).unwrap();
        assert_eq!(moved.recipients(), [v2.key_id()]);
        assert_eq!(*moved.open_text(v2.key_pair(), &context).unwrap(), "moved");
        assert!(keys.rewrap(1, &sealed, &context, &[], &[]).is_err());
    }

    #[test]
    fn staff_keys_are_checked_against_their_ids() {
        let personal = core::KeyPair::generate().unwrap();
        let mut member = StaffMember {
            user_id: "u".into(),
            role: "provider".into(),
            name: "Dr. U".into(),
            public_key: b64(&personal.public_key().to_sec1()),
            key_id: personal.key_id().to_string(),
            clinic_key_versions: vec![],
        };
        assert_eq!(staff_public_key(&member).unwrap(), *personal.public_key());
        assert!(is_holder(&member));
        member.key_id = core::KeyPair::generate().unwrap().key_id().to_string();
        assert!(matches!(staff_public_key(&member), Err(ClientError::InvalidResponse(_))));
        member.role = "receptionist".into();
        assert!(!is_holder(&member));
    }
}
