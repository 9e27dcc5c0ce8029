//! The access log as the patient fetches it.

use serde::{Deserialize, Serialize};

use crate::access_log::AccessEvent;

/// `GET /api/clinics/{tenant}/log-key`: what a client pins to verify checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogKey {
    /// The log's origin line.
    pub origin: String,
    /// The signing key's name in signed notes.
    pub key_name: String,
    /// The ECDSA P-256 public key, SEC1 uncompressed, base64url.
    pub public_key: String,
}

/// `GET /api/access-log?since=N`: the signed-in patient's events with proofs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessLogPage {
    /// The signed checkpoint (C2SP signed note) the proofs refer to.
    pub checkpoint: String,
    /// Consistency proof from the `since` tree size to the checkpoint's (hex hashes).
    pub consistency_proof: Vec<String>,
    /// The patient's events.
    pub events: Vec<LoggedEvent>,
}

/// One event with what is needed to verify it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoggedEvent {
    /// Its leaf index.
    pub leaf_index: u64,
    /// Its 32-byte salt, hex.
    pub salt: String,
    /// The event.
    pub event: AccessEvent,
    /// Inclusion proof in the checkpoint's tree (hex hashes).
    pub inclusion_proof: Vec<String>,
}
