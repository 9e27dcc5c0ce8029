//! Notice of Privacy Practices versions and acknowledgments.

use serde::{Deserialize, Serialize};

/// `GET /api/clinics/{tenant}/npp`: the clinic's current notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NppNotice {
    /// SHA-256 of `text`, 64 hex digits: the version's identity.
    pub hash: String,
    /// The full notice, to show before acknowledgment.
    pub text: String,
    /// When it was published, Unix seconds.
    pub published_at: i64,
}

/// `POST /api/npp`: an admin publishes a new version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PublishNpp {
    /// The full text of the notice.
    pub text: String,
}

/// `POST /api/npp/ack`: the signed-in patient acknowledges a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcknowledgeNpp {
    /// The hash of the version shown (must be the current one).
    pub version_hash: String,
    /// `"portal"` or `"widget"`.
    pub channel: String,
}

/// `GET /api/npp/status`: where the signed-in patient stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NppStatus {
    /// The current version's hash, if the clinic has published one.
    pub current_hash: Option<String>,
    /// Whether the patient must acknowledge before booking or using the portal.
    pub needs_acknowledgment: bool,
    /// The patient's latest acknowledgment.
    pub last_acknowledgment: Option<NppAckRecord>,
}

/// An acknowledgment as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NppAckRecord {
    /// The version acknowledged.
    pub version_hash: String,
    /// When, Unix seconds.
    pub acknowledged_at: i64,
    /// `"portal"` or `"widget"`.
    pub channel: String,
}
