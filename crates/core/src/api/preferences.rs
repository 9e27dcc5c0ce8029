//! A patient's privacy preferences: confidential communications and restriction requests.
//!
//! **Confidential communications** (45 CFR 164.522(b)): a patient may ask to be contacted by
//! other means or at another place, e.g. "call my work number, not home". The preference is
//! plain text the server encrypts at rest under the clinic's data key; receptionists,
//! providers and admins see it on each booking (`Booking::confidential_contact`) so whoever
//! contacts the patient uses it.
//!
//! **Restriction requests** (45 CFR 164.522(a)): a patient may ask the clinic to restrict how
//! it uses or discloses their information. The request's details are written by the patient
//! and sealed in the browser (`bze1.…`) to the clinic key and the patient's own key under
//! [`restriction_context`]; the server stores them and never opens them. An admin agrees or
//! denies (a denial says why); the patient may withdraw a request while it is pending or
//! agreed. The clinic need not agree to most requests, but for a
//! [`RestrictionKind::HealthPlan`] request (not to disclose to a health plan care the patient
//! paid for in full out of pocket) HIPAA requires it to agree (164.522(a)(1)(vi)), unless a
//! law requires the disclosure.
//!
//! Times on the wire are RFC 3339 timestamps in UTC (e.g. `2026-11-20T14:13:20Z`).

use serde::{Deserialize, Serialize};

/// The longest contact value (a phone number, an email address or a postal address), in
/// bytes of UTF-8 after trimming.
pub const MAX_CONTACT_VALUE_LEN: usize = 500;

/// The longest contact instructions, in bytes of UTF-8 after trimming.
pub const MAX_CONTACT_INSTRUCTIONS_LEN: usize = 1000;

/// The largest sealed restriction details accepted, in bytes of their text form.
pub const MAX_RESTRICTION_LEN: usize = 64 * 1024;

/// The longest reason for a decision on a restriction request, in characters.
pub const MAX_RESTRICTION_REASON_CHARS: usize = 2000;

/// The prefix of the `field` of the [`crate::Context`] a restriction request's details are
/// sealed under: the field is `restriction/<restriction id>` (see [`restriction_context`]).
pub const RESTRICTION_FIELD: &str = "restriction";

/// The `schema_version` of the [`crate::Context`] of restriction details.
pub const RESTRICTION_SCHEMA_VERSION: u32 = 1;

/// The context a restriction request's details are sealed under: the tenant, the request's
/// id as the record id, the field `restriction/<restriction id>` and
/// [`RESTRICTION_SCHEMA_VERSION`].
///
/// The client chooses the id (16 random bytes, unpadded base64url) before sealing and sends
/// it with the request, so the server cannot swap the details of two requests (or pass a
/// note or a correction off as a restriction) without the swapped text failing to open.
#[must_use]
pub fn restriction_context(tenant_id: &str, restriction_id: &str) -> crate::Context {
    crate::Context::new(
        tenant_id,
        restriction_id,
        format!("{RESTRICTION_FIELD}/{restriction_id}"),
        RESTRICTION_SCHEMA_VERSION,
    )
}

/// How the patient asks to be contacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum ContactMethod {
    /// By telephone (calls and text messages) at `value`.
    Phone,
    /// By email at `value`.
    Email,
    /// By post at the address in `value`.
    Mail,
}

/// `PUT /api/preferences/confidential-contact`: the signed-in patient's confidential
/// contact, replacing any earlier one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetConfidentialContact {
    /// Phone, email or mail.
    pub method: ContactMethod,
    /// Where: a phone number (at least 3 digits, one line), an email address, or a postal
    /// address (line breaks allowed). Trimmed; 1 to [`MAX_CONTACT_VALUE_LEN`] bytes.
    pub value: String,
    /// Anything else staff should know, e.g. "do not leave voicemail". Trimmed; at most
    /// [`MAX_CONTACT_INSTRUCTIONS_LEN`] bytes; empty means none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
}

/// A patient's confidential contact, as stored (decrypted for the patient and for staff).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfidentialContact {
    /// Phone, email or mail.
    pub method: ContactMethod,
    /// Where to reach the patient that way.
    pub value: String,
    /// What else to observe, when the patient said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// When the patient last set it.
    pub updated_at: String,
}

/// What a restriction request is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum RestrictionKind {
    /// Not to disclose to the patient's health plan information about care the patient paid
    /// for in full out of pocket. The clinic must agree (unless a law requires the
    /// disclosure).
    HealthPlan,
    /// Any other restriction on uses or disclosures; the clinic may deny it.
    Other,
}

/// Where a restriction request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum RestrictionStatus {
    /// Waiting for the clinic's decision.
    Pending,
    /// The clinic agreed and is bound by it.
    Agreed,
    /// The clinic denied it, with a reason.
    Denied,
    /// The patient withdrew it (while pending, or after the clinic agreed).
    Withdrawn,
}

/// An admin's decision on a pending restriction request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum RestrictionDecision {
    /// Agree to the restriction.
    Agreed,
    /// Deny it (a reason is required).
    Denied,
}

/// `POST /api/restrictions`: the signed-in patient asks for a restriction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateRestrictionRequest {
    /// The new request's id, chosen by the client before sealing: 16 random bytes in
    /// unpadded base64url (22 characters). An id already in use is refused (409
    /// `restriction-exists`).
    pub id: String,
    /// What it is about.
    pub kind: RestrictionKind,
    /// What to restrict, sealed in the browser (`bze1.…`, at most [`MAX_RESTRICTION_LEN`]
    /// bytes) under [`restriction_context`] of this request's id, to exactly the clinic's
    /// current key and the patient's own key.
    pub details: String,
}

/// `POST /api/restrictions/{id}/decide`: an admin's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DecideRestrictionRequest {
    /// Agreed or denied.
    pub decision: RestrictionDecision,
    /// Why: required to deny, optional to agree; plain text, at most
    /// [`MAX_RESTRICTION_REASON_CHARS`] characters. The patient reads it; the server stores
    /// it encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A restriction request, as its patient or an admin sees it. Absent facts are absent keys,
/// not nulls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Restriction {
    /// The id (also the record id and field suffix of the details' context).
    pub id: String,
    /// The clinic (tenant) id.
    pub tenant_id: String,
    /// The patient who asked.
    pub patient_id: String,
    /// The patient's name: in an admin's view only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_name: Option<String>,
    /// What it is about.
    pub kind: RestrictionKind,
    /// Where it stands.
    pub status: RestrictionStatus,
    /// The details, sealed (`bze1.…`).
    pub details: String,
    /// When it was requested.
    pub requested_at: String,
    /// When the clinic agreed or denied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<String>,
    /// The user id of the admin who decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    /// The name of the admin who decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by_name: Option<String>,
    /// The reason given with the decision (always there for a denial).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the patient withdrew it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn_at: Option<String>,
    /// When it last changed.
    pub updated_at: String,
}

/// `GET /api/restrictions`: the caller's requests (a patient) or the clinic's (an admin),
/// newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RestrictionsResponse {
    /// The requests.
    pub restrictions: Vec<Restriction>,
}

/// `GET /api/preferences`: the signed-in patient's privacy preferences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Preferences {
    /// How and where to contact them instead of their usual details, if they said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidential_contact: Option<ConfidentialContact>,
    /// Their restriction requests, newest first.
    pub restrictions: Vec<Restriction>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names() {
        let contact: SetConfidentialContact =
            serde_json::from_str(r#"{"method":"phone","value":"+1 555 0100","instructions":"no voicemail"}"#).unwrap();
        assert_eq!(contact.method, ContactMethod::Phone);
        assert!(serde_json::from_str::<SetConfidentialContact>(r#"{"method":"fax","value":"1"}"#).is_err());
        assert!(serde_json::from_str::<SetConfidentialContact>(r#"{"method":"mail"}"#).is_err());
        let request: CreateRestrictionRequest =
            serde_json::from_str(r#"{"id":"x","kind":"health-plan","details":"bze1.x"}"#).unwrap();
        assert_eq!(request.kind, RestrictionKind::HealthPlan);
        assert!(serde_json::from_str::<CreateRestrictionRequest>(r#"{"id":"x","kind":"other"}"#).is_err());
        let decide: DecideRestrictionRequest = serde_json::from_str(r#"{"decision":"denied","reason":"r"}"#).unwrap();
        assert_eq!(decide.decision, RestrictionDecision::Denied);
        assert!(serde_json::from_str::<DecideRestrictionRequest>(r#"{"decision":"maybe"}"#).is_err());
        let empty = Preferences { confidential_contact: None, restrictions: Vec::new() };
        assert_eq!(serde_json::to_string(&empty).unwrap(), r#"{"restrictions":[]}"#);
    }

    #[test]
    fn the_context_names_the_request() {
        let ctx = restriction_context("clinic-1", "r1");
        assert_eq!(ctx, crate::Context::new("clinic-1", "r1", "restriction/r1", 1));
        assert_ne!(ctx, restriction_context("clinic-1", "r2"));
    }
}
