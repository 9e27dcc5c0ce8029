//! The patient's copy of their record (the HIPAA right of access, 45 CFR 164.524).

use serde::{Deserialize, Serialize};

use super::{AccessLogPage, Booking, ConfidentialContact, Correction, NppAckRecord, Restriction};

/// The `format` of an [`ExportDocument`] of this shape.
pub const EXPORT_FORMAT: &str = "bizing-export-v1";

/// The account part of an export, PHI decrypted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportAccount {
    /// The user id.
    pub user_id: String,
    /// The account's name.
    pub name: String,
    /// The account's email.
    pub email: String,
    /// The personal public key, SEC1, base64url (the patient's recipient in their envelopes).
    pub public_key: String,
    /// Its key id.
    pub key_id: String,
}

/// `GET /api/export` (the signed-in patient, after a step-up): everything the clinic holds
/// about them, as a JSON attachment. Sealed texts are included as stored (`bze1.…`); the
/// patient's client opens them with the patient's key. The export is itself an access event,
/// and `accessLog` (with that event) carries inclusion proofs against a signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportDocument {
    /// [`EXPORT_FORMAT`].
    pub format: String,
    /// When it was made, RFC 3339 in UTC.
    pub exported_at: String,
    /// The clinic (tenant) id.
    pub tenant_id: String,
    /// The clinic's name.
    pub clinic_name: String,
    /// The account.
    pub account: ExportAccount,
    /// Every booking, cancelled ones included, with its sealed note.
    pub bookings: Vec<Booking>,
    /// Every correction request, with its sealed texts and the clinic's reasons.
    pub corrections: Vec<Correction>,
    /// Every acknowledgment of the clinic's Notice of Privacy Practices, oldest first.
    pub npp_acknowledgments: Vec<NppAckRecord>,
    /// How and where the patient asked to be contacted instead, if they did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidential_contact: Option<ConfidentialContact>,
    /// Every restriction request, newest first, with its sealed details and the decision.
    #[serde(default)]
    pub restrictions: Vec<Restriction>,
    /// The patient's access events (this export included) with inclusion proofs, the signed
    /// checkpoint they verify against, and an empty consistency proof (from size 0).
    pub access_log: AccessLogPage,
}
