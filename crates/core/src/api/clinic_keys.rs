//! Clinic keys: the versioned key pair notes are sealed to, and its private half wrapped to
//! each provider and admin.
//!
//! The server never holds a clinic private key in clear. An admin's client makes each
//! version ([`crate::ClinicKey`]), wraps it to the personal public key of every provider and
//! admin ([`crate::ClinicKey::wrap_for`]), and publishes the public key with those wrapped
//! copies; a provider's client fetches its own copies and unwraps them with its personal key.
//! Receptionists and patients never receive a copy.

use serde::{Deserialize, Serialize};

/// The most shares one request may carry (the clinic's providers and admins).
pub const MAX_CLINIC_KEY_SHARES: usize = 256;

/// A P-256 public key as a JWK (RFC 7517/7518), as [`crate::PublicKey::to_jwk`] writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PublicJwk {
    /// Always `"EC"`.
    pub kty: String,
    /// Always `"P-256"`.
    pub crv: String,
    /// The x coordinate, 32 bytes, base64url.
    pub x: String,
    /// The y coordinate, 32 bytes, base64url.
    pub y: String,
    /// The key id, version included (`v<version>.<fingerprint>`).
    pub kid: String,
}

impl PublicJwk {
    /// The key, checked as [`crate::PublicKey::from_jwk`] checks one (a point on the curve;
    /// `kid` sets the version and must name this key), to seal to.
    ///
    /// # Errors
    /// As [`crate::PublicKey::from_jwk_members`].
    pub fn to_public_key(&self) -> Result<crate::PublicKey, crate::KeyError> {
        crate::PublicKey::from_jwk_members(&crate::JwkMembers {
            kty: &self.kty,
            crv: Some(&self.crv),
            x: Some(&self.x),
            y: Some(&self.y),
            kid: Some(&self.kid),
            has_private_key: false,
        })
    }
}

/// `GET /api/clinics/{tenant}/clinic-key` (public): the clinic's current key, which the
/// widget and the portal seal notes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClinicKeyInfo {
    /// The version (1 for the first key, one more for each rotation).
    pub version: u32,
    /// Text form of the [`crate::KeyId`] at this version.
    pub key_id: String,
    /// The public key, SEC1 uncompressed, base64url.
    pub public_key: String,
    /// The same public key as a JWK, `kid` set to `key_id`.
    pub jwk: PublicJwk,
    /// When this version was published, Unix seconds.
    pub created_at: i64,
}

/// A member of the clinic's staff, as an admin needs them to share the clinic key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StaffMember {
    /// The account id (the `userId` of a share).
    pub user_id: String,
    /// `receptionist`, `provider` or `admin`. Only providers and admins may hold the key.
    pub role: String,
    /// The person's name.
    pub name: String,
    /// The personal public key, SEC1 uncompressed, base64url: wrap the clinic key to this.
    pub public_key: String,
    /// Text form of the personal key's [`crate::KeyId`]: a share's recipient must be this.
    pub key_id: String,
    /// The clinic-key versions this person holds a share of, ascending.
    pub clinic_key_versions: Vec<u32>,
}

/// `GET /api/staff/keys` (staff): the clinic's staff with their personal public keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StaffKeysResponse {
    /// Receptionists, providers and admins, by name.
    pub staff: Vec<StaffMember>,
}

/// One wrapped copy of a clinic key for one staff member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClinicKeyShare {
    /// The provider or admin who can unwrap it.
    pub user_id: String,
    /// The clinic key wrapped to that person's personal public key (`bzk1.`, kind
    /// public-key): its key id must be the clinic key's at this version, its recipient that
    /// person's personal key id.
    pub wrapped_key: String,
}

/// `POST /api/clinic-keys` (admin): publishes a new version, which becomes the current one.
/// This is both the first key and every rotation (after staff leave, share the new version
/// with the remaining providers and admins only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PublishClinicKey {
    /// Exactly one more than the current version (1 for the clinic's first key).
    pub version: u32,
    /// The new public key, SEC1, base64url. Never used before, by any clinic.
    pub public_key: String,
    /// Wrapped copies for providers and admins, the publishing admin's own included; at most
    /// [`MAX_CLINIC_KEY_SHARES`].
    pub shares: Vec<ClinicKeyShare>,
}

/// `POST /api/clinic-keys/shares` (admin): shares an existing version with more providers
/// or admins (e.g. one who just joined).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddClinicKeyShares {
    /// The version the shares are of.
    pub version: u32,
    /// The new copies, 1 to [`MAX_CLINIC_KEY_SHARES`], for people who hold none of this
    /// version yet.
    pub shares: Vec<ClinicKeyShare>,
}

/// One version of the clinic key, wrapped to the signed-in provider or admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MyClinicKey {
    /// The version.
    pub version: u32,
    /// Text form of its [`crate::KeyId`].
    pub key_id: String,
    /// Its public key, SEC1 uncompressed, base64url.
    pub public_key: String,
    /// The clinic key wrapped to the caller's personal key (`bzk1.`); unwrap with
    /// [`crate::ClinicKey::unwrap`].
    pub wrapped_key: String,
    /// Whether this is the clinic's current version (the one new notes are sealed to).
    pub current: bool,
}

/// `GET /api/clinic-keys/mine` (providers and admins): every version the caller holds, so
/// old notes stay readable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MyClinicKeysResponse {
    /// The caller's copies, by version, oldest first.
    pub keys: Vec<MyClinicKey>,
}
