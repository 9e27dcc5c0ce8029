//! Corrections: a patient's request to amend the record of one of their bookings (the HIPAA
//! right to amend, 45 CFR 164.526), the clinic's decision, and the patient's statement of
//! disagreement after a denial.
//!
//! The requested change and the statement of disagreement are written by the patient and
//! sealed in the browser (`bze1.…`) to the clinic key and the patient's own key; the server
//! stores them and never opens them. Staff reasons (for a denial or an extension) are plain
//! text the server encrypts at rest.
//!
//! A decision is due [`CORRECTION_DECISION_DAYS`] days after the request, or
//! [`CORRECTION_EXTENSION_DAYS`] more after the one extension. Times on the wire are RFC 3339
//! timestamps in UTC (e.g. `2026-11-20T14:13:20Z`).

use serde::{Deserialize, Serialize};

/// The largest sealed change or statement accepted, in bytes of its text form.
pub const MAX_CORRECTION_LEN: usize = 64 * 1024;

/// The largest reason (for a denial or an extension) accepted, in bytes of UTF-8.
pub const MAX_REASON_LEN: usize = 2 * 1024;

/// Days the clinic has to decide, from the request.
pub const CORRECTION_DECISION_DAYS: i64 = 60;

/// Days one extension adds to the deadline.
pub const CORRECTION_EXTENSION_DAYS: i64 = 30;

/// The prefix of the `field` of the [`crate::Context`] a requested change is sealed under:
/// the field is `correction/<correction id>` (see [`correction_context`]).
pub const CORRECTION_FIELD: &str = "correction";

/// The prefix of the `field` of the [`crate::Context`] a statement of disagreement is sealed
/// under: the field is `correction-disagreement/<correction id>` (see
/// [`disagreement_context`]). It differs from [`CORRECTION_FIELD`] so that one cannot be
/// passed off as the other.
pub const DISAGREEMENT_FIELD: &str = "correction-disagreement";

/// The `schema_version` of the [`crate::Context`] of corrections and statements.
pub const CORRECTION_SCHEMA_VERSION: u32 = 1;

/// The context a correction request's change is sealed under: the tenant, the booking, the
/// field `correction/<correction id>` and [`CORRECTION_SCHEMA_VERSION`].
///
/// The correction id is in the field so that each text is bound to its own request: the
/// server cannot swap the texts of two requests on one booking (or pass a change off as a
/// statement of disagreement) without the swapped text failing to open. The client chooses
/// the id (16 random bytes, unpadded base64url) before sealing and sends it with the request.
#[must_use]
pub fn correction_context(tenant_id: &str, booking_id: &str, correction_id: &str) -> crate::Context {
    crate::Context::new(tenant_id, booking_id, format!("{CORRECTION_FIELD}/{correction_id}"), CORRECTION_SCHEMA_VERSION)
}

/// The context a statement of disagreement with the denial of request `correction_id` is
/// sealed under: as [`correction_context`] with the field
/// `correction-disagreement/<correction id>`.
#[must_use]
pub fn disagreement_context(tenant_id: &str, booking_id: &str, correction_id: &str) -> crate::Context {
    crate::Context::new(
        tenant_id,
        booking_id,
        format!("{DISAGREEMENT_FIELD}/{correction_id}"),
        CORRECTION_SCHEMA_VERSION,
    )
}

/// `POST /api/bookings/{id}/corrections`: the signed-in patient asks for a correction of
/// their booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateCorrectionRequest {
    /// The new request's id, chosen by the client before sealing: 16 random bytes in
    /// unpadded base64url (22 characters). An id already in use is refused (409
    /// `correction-exists`).
    pub id: String,
    /// The requested change, sealed in the browser (`bze1.…`, at most
    /// [`MAX_CORRECTION_LEN`] bytes) under [`correction_context`] of this request's id.
    pub change: String,
}

/// `POST /api/corrections/{id}/deny` and `POST /api/corrections/{id}/extend`: why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CorrectionReasonRequest {
    /// The reason, plain text, 1 to [`MAX_REASON_LEN`] bytes (not only white space). The
    /// patient reads it; the server stores it encrypted.
    pub reason: String,
}

/// `POST /api/corrections/{id}/disagreement`: the patient's statement of disagreement with
/// a denial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DisagreementRequest {
    /// The statement, sealed in the browser (`bze1.…`, at most [`MAX_CORRECTION_LEN`]
    /// bytes) under [`disagreement_context`] of the request's id.
    pub statement: String,
}

/// Where a correction request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum CorrectionStatus {
    /// Waiting for a decision.
    Submitted,
    /// Waiting for a decision, with the deadline extended once.
    Extended,
    /// The clinic agreed to the change.
    Accepted,
    /// The clinic refused, with a reason.
    Denied,
}

impl CorrectionStatus {
    /// Whether a decision is still to come.
    #[must_use]
    pub fn is_pending(self) -> bool {
        matches!(self, Self::Submitted | Self::Extended)
    }
}

/// A correction request, as the patient, the booking's provider or an admin sees it.
/// Absent facts are absent keys, not nulls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Correction {
    /// The id.
    pub id: String,
    /// The clinic (tenant) id.
    pub tenant_id: String,
    /// The booking it concerns (also the `booking_id` of the envelopes' contexts, whose
    /// fields name this request's `id`).
    pub booking_id: String,
    /// The patient who asked.
    pub patient_id: String,
    /// Where it stands.
    pub status: CorrectionStatus,
    /// The requested change, sealed (`bze1.…`).
    pub change: String,
    /// When it was requested.
    pub requested_at: String,
    /// When the decision is due: [`CORRECTION_DECISION_DAYS`] days after the request, or
    /// [`CORRECTION_EXTENSION_DAYS`] more once extended.
    pub due_at: String,
    /// Whether it is still waiting for a decision after `dueAt`.
    pub overdue: bool,
    /// When the deadline was extended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_at: Option<String>,
    /// Why the deadline was extended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension_reason: Option<String>,
    /// When it was accepted or denied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<String>,
    /// Why it was denied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denial_reason: Option<String>,
    /// The patient's statement of disagreement, sealed (`bze1.…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disagreement: Option<String>,
    /// When the statement of disagreement was filed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disagreement_at: Option<String>,
    /// When it last changed.
    pub updated_at: String,
}

/// `GET /api/corrections`: the correction requests the caller may see, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CorrectionsResponse {
    /// The requests.
    pub corrections: Vec<Correction>,
}
