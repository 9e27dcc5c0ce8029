//! Accounts, sign-in and the second factor.

use serde::{Deserialize, Serialize};

/// `POST /api/auth/prelogin`: which KDF parameters to derive the password keys with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreloginRequest {
    /// The clinic (tenant) id.
    pub tenant_id: String,
    /// The account's email.
    pub email: String,
}

/// The KDF parameters of an account, or a stable made-up answer for an unknown email, so
/// that the answer never tells whether an account exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreloginResponse {
    /// Text form of [`crate::KdfParams`].
    pub kdf_params: String,
}

/// `POST /api/auth/register`: a patient creates an account, or (with `invitation`) a staff
/// member accepts an admin's invitation. Everything secret arrives wrapped; the server keeps
/// a hash of `authKey` and nothing it could derive keys from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterRequest {
    /// The clinic (tenant) id.
    pub tenant_id: String,
    /// The account's email (stored encrypted, found through a blind index).
    pub email: String,
    /// The patient's name (stored encrypted).
    pub name: String,
    /// Text form of the [`crate::KdfParams`] the client used.
    pub kdf_params: String,
    /// The [`crate::AuthKey`], base64url.
    pub auth_key: String,
    /// The personal public key, SEC1, base64url.
    pub public_key: String,
    /// The private key wrapped under the password-derived wrap key (`bzk1.`).
    pub wrapped_private_key: String,
    /// Per recovery code: its hash and the private key wrapped under it.
    pub recovery: Vec<RecoverySlot>,
    /// A staff invitation's token (from `POST /api/admin/invitations`): the account gets the
    /// invited role instead of `patient`. It must be for this clinic and this email, unused,
    /// unrevoked and unexpired; otherwise the answer is 400 `invalid-invitation`, whichever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitation: Option<String>,
}

/// One recovery code as the server stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecoverySlot {
    /// [`crate::RecoveryCodeHash`] text form.
    pub code_hash: String,
    /// The private key wrapped under that code (`bzk1.`).
    pub wrapped_private_key: String,
}

/// `POST /api/auth/login`: the first factor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginRequest {
    /// The clinic (tenant) id.
    pub tenant_id: String,
    /// The account's email.
    pub email: String,
    /// The [`crate::AuthKey`], base64url.
    pub auth_key: String,
}

/// What the client must do after a successful first factor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginResponse {
    /// `"enroll-totp"` (no second factor yet) or `"verify-mfa"`.
    pub next: String,
    /// The private key wrapped under the password-derived wrap key.
    pub wrapped_private_key: String,
}

/// `POST /api/auth/totp/enroll`: a new secret for the signed-in account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TotpEnrollResponse {
    /// Base32 secret.
    pub secret: String,
    /// `otpauth://totp/...`, to render as a QR code on the client.
    pub uri: String,
}

/// `POST /api/auth/totp/confirm` and `POST /api/auth/mfa`: a second factor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MfaRequest {
    /// A TOTP code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Or a recovery code (single use).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<String>,
}

/// `GET /api/me`: the signed-in account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Me {
    /// The user id.
    pub user_id: String,
    /// The clinic (tenant) id.
    pub tenant_id: String,
    /// `patient`, `receptionist`, `provider` or `admin`.
    pub role: String,
    /// The account's name.
    pub name: String,
    /// The account's email.
    pub email: String,
    /// The personal public key, SEC1, base64url.
    pub public_key: String,
    /// Recovery codes not yet used.
    pub recovery_codes_left: u32,
}

/// `POST /api/auth/recovery-codes` (after a step-up): ten new recovery codes replace every
/// old one, used or not. Made on the client like those of [`RegisterRequest`]: each slot
/// holds a code's hash and the personal private key wrapped under that code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegenerateRecoveryCodes {
    /// Exactly ten slots.
    pub recovery: Vec<RecoverySlot>,
}
