//! A patient's privacy preferences (45 CFR 164.522): the confidential contact (the right to
//! ask for communications by other means or at another place, e.g. "call my work number, not
//! home") and, read together with it, their restriction requests ([`crate::restrictions`]).
//!
//! Only the patient reads and changes their preferences here (staff get 403); receptionists,
//! providers and admins see the confidential contact on each of the patient's bookings
//! ([`crate::scheduling`]), so whoever contacts the patient uses it. The contact is stored
//! as one JSON document encrypted under the tenant's data key, bound to the patient's id:
//! nothing of it (not even the method) is in the database or the logs in clear.
//!
//! Setting or clearing the contact is a sensitive action (it redirects where the clinic
//! reaches the patient): it needs a recent step-up, and is an access event of the patient's
//! record (`confidential_contact`, `create` or `update`) and a security event, written in the
//! same transaction. Reading it is an access event (`view`) too, as every read of a record.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use bizing_core::api::{
    ConfidentialContact, ContactMethod, MAX_CONTACT_INSTRUCTIONS_LEN, MAX_CONTACT_VALUE_LEN, Preferences,
    SetConfidentialContact,
};
use jiff::Timestamp;

use crate::AppState;
use crate::access_log::{self, LogAction, LogResource, Who};
use crate::error::AppError;
use crate::extract::JsonBody;
use crate::session::{AnySession, Authenticated};
use crate::store::{TenantRow, UserRow};
use crate::vault::TenantKeys;

/// The encrypted column, bound into its ciphertext with the patient's id.
const TABLE: &str = "confidential_contacts";
const CONTACT: &str = "contact_enc";

/// `GET /api/preferences`: the signed-in patient's confidential contact and restriction
/// requests (newest first).
///
/// # Errors
/// 403 for staff.
pub async fn get(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
) -> Result<Json<Preferences>, AppError> {
    let patient = Patient::of(&state, &s).await?;
    let contact = state.store.confidential_contact(&patient.tenant.id, &patient.user.id).await?;
    let restrictions = state.store.restrictions(&patient.tenant.id, Some(&patient.user.id)).await?;
    let mut events = Vec::new();
    if contact.is_some() {
        events.push(patient.event(&state, LogAction::VIEW)?);
    }
    for row in &restrictions {
        events.push(crate::restrictions::event(&state, &patient.who, row, LogAction::VIEW)?);
    }
    access_log::record_for(&state, &patient.tenant, &events).await?;
    let confidential_contact =
        contact.map(|c| open_contact(&patient.keys, &patient.user.id, &c.contact_enc)).transpose()?;
    let restrictions = restrictions
        .iter()
        .map(|row| crate::restrictions::wire(row, &patient.keys, false))
        .collect::<Result<_, _>>()?;
    Ok(Json(Preferences { confidential_contact, restrictions }))
}

/// `PUT /api/preferences/confidential-contact`: sets (or replaces) the signed-in patient's
/// confidential contact; answers with it as stored.
///
/// # Errors
/// 403 for staff, `npp-acknowledgment-required` or `step-up-required`; 400 `invalid-body`
/// (JSON, an unknown method) or `invalid-contact`.
pub async fn set_contact(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    JsonBody(req): JsonBody<SetConfidentialContact>,
) -> Result<Json<ConfidentialContact>, AppError> {
    let patient = Patient::of(&state, &s).await?;
    crate::npp::ensure_acknowledged(&state, &patient.tenant.id, &patient.user.id, &patient.user.role).await?;
    crate::session::require_step_up(&state, &s)?;
    let now = state.clock.now();
    let contact = ConfidentialContact {
        method: req.method,
        value: check_value(req.method, &req.value)?,
        instructions: check_instructions(req.instructions.as_deref())?,
        updated_at: utc(now)?,
    };
    let json = serde_json::to_string(&contact).map_err(|e| AppError::Internal(format!("contact: {e}")))?;
    let contact_enc = patient.keys.encrypt(TABLE, CONTACT, &patient.user.id, &json)?;
    let if_new = access_log::prepare(&patient.keys, &[patient.event(&state, LogAction::CREATE)?])?;
    let if_replaced = access_log::prepare(&patient.keys, &[patient.event(&state, LogAction::UPDATE)?])?;
    state
        .store
        .set_confidential_contact(&patient.tenant.id, &patient.user.id, &contact_enc, now, &if_new, &if_replaced)
        .await?;
    Ok(Json(contact))
}

/// `DELETE /api/preferences/confidential-contact`: removes the signed-in patient's
/// confidential contact (204; also when there was none, which changes and logs nothing).
///
/// # Errors
/// 403 for staff or `step-up-required`.
pub async fn clear_contact(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
) -> Result<StatusCode, AppError> {
    let patient = Patient::of(&state, &s).await?;
    crate::session::require_step_up(&state, &s)?;
    let log = access_log::prepare(&patient.keys, &[patient.event(&state, LogAction::UPDATE)?])?;
    state.store.clear_confidential_contact(&patient.tenant.id, &patient.user.id, state.clock.now(), &log).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Decrypts a stored confidential contact of `patient_id`.
///
/// # Errors
/// Internal if it does not decrypt or parse (tampered, or moved from another row).
pub(crate) fn open_contact(keys: &TenantKeys, patient_id: &str, enc: &[u8]) -> Result<ConfidentialContact, AppError> {
    let json = zeroize::Zeroizing::new(keys.decrypt(TABLE, CONTACT, patient_id, enc)?);
    serde_json::from_str(&json).map_err(|e| AppError::Internal(format!("stored confidential contact: {e}")))
}

/// The signed-in patient, their clinic and its keys, and themselves as an access-log actor.
struct Patient {
    user: UserRow,
    tenant: TenantRow,
    keys: TenantKeys,
    who: Who,
}

impl Patient {
    /// The caller, if a patient (403 for staff: preferences are the patient's own).
    async fn of(state: &AppState, s: &AnySession) -> Result<Self, AppError> {
        let user = s.user.clone();
        if user.role != "patient" {
            return Err(AppError::Forbidden);
        }
        let tenant = s.tenant.clone();
        let keys = state.master.tenant_keys(&tenant.id, &tenant.data_key_wrapped)?;
        let name = keys.decrypt("users", "name_enc", &user.id, &user.name_enc)?;
        let who = access_log::own(&user.id, &name);
        Ok(Self { user, tenant, keys, who })
    }

    /// An access event by the patient on their confidential contact.
    fn event(&self, state: &AppState, action: LogAction) -> Result<bizing_core::AccessEvent, AppError> {
        access_log::event(
            state,
            &self.tenant.id,
            access_log::Access {
                patient_id: &self.user.id,
                who: &self.who,
                kind: LogResource::CONFIDENTIAL_CONTACT,
                resource_id: &self.user.id,
                action,
                from: "api",
            },
        )
    }
}

fn invalid(detail: impl Into<String>) -> AppError {
    AppError::bad_request("invalid-contact", detail)
}

/// The contact value, trimmed: 1 to [`MAX_CONTACT_VALUE_LEN`] bytes; a phone number on one
/// line with at least 3 digits, an email address (`local@domain`, no spaces), or a postal
/// address (line breaks allowed, no other control characters).
fn check_value(method: ContactMethod, value: &str) -> Result<String, AppError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid("value is required: where to reach you"));
    }
    if value.len() > MAX_CONTACT_VALUE_LEN {
        return Err(invalid(format!("value must be at most {MAX_CONTACT_VALUE_LEN} bytes")));
    }
    let line_breaks = matches!(method, ContactMethod::Mail);
    if value.chars().any(|c| c.is_control() && !(line_breaks && matches!(c, '\n' | '\r'))) {
        return Err(invalid("value must be plain text (a postal address may have line breaks)"));
    }
    match method {
        ContactMethod::Phone if value.chars().filter(char::is_ascii_digit).count() < 3 => {
            Err(invalid("a phone number must have at least 3 digits"))
        }
        ContactMethod::Email => match value.split_once('@') {
            Some((local, domain))
                if !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !value.chars().any(char::is_whitespace) =>
            {
                Ok(value.to_owned())
            }
            _ => Err(invalid("an email address must look like name@example.org")),
        },
        _ => Ok(value.to_owned()),
    }
}

/// Instructions, trimmed: at most [`MAX_CONTACT_INSTRUCTIONS_LEN`] bytes of plain text (line
/// breaks and tabs allowed); none if empty.
fn check_instructions(instructions: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(text) = instructions.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    if text.len() > MAX_CONTACT_INSTRUCTIONS_LEN {
        return Err(invalid(format!("instructions must be at most {MAX_CONTACT_INSTRUCTIONS_LEN} bytes")));
    }
    if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(invalid("instructions must be plain text"));
    }
    Ok(Some(text.to_owned()))
}

/// Unix seconds as RFC 3339 in UTC (`…Z`).
pub(crate) fn utc(seconds: i64) -> Result<String, AppError> {
    Timestamp::from_second(seconds).map(|t| t.to_string()).map_err(|e| AppError::Internal(format!("time: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_by_method() {
        assert_eq!(check_value(ContactMethod::Phone, "  +1 (555) 010-0199 ").unwrap(), "+1 (555) 010-0199");
        assert!(check_value(ContactMethod::Phone, "call me").is_err());
        assert!(check_value(ContactMethod::Phone, "555\n0100").is_err());
        assert!(check_value(ContactMethod::Phone, "   ").is_err());
        assert_eq!(check_value(ContactMethod::Email, "pat@work.example").unwrap(), "pat@work.example");
        for bad in ["pat", "@work.example", "pat@", "pat @work.example", "a@b@c"] {
            assert!(check_value(ContactMethod::Email, bad).is_err(), "{bad}");
        }
        assert!(check_value(ContactMethod::Mail, "PO Box 12\r\nSpringfield").is_ok());
        assert!(check_value(ContactMethod::Mail, "PO Box 12\u{7}").is_err());
        assert!(check_value(ContactMethod::Mail, &"x".repeat(MAX_CONTACT_VALUE_LEN + 1)).is_err());
        assert!(check_value(ContactMethod::Mail, &"x".repeat(MAX_CONTACT_VALUE_LEN)).is_ok());
    }

    #[test]
    fn instructions_are_optional_plain_text() {
        assert_eq!(check_instructions(None).unwrap(), None);
        assert_eq!(check_instructions(Some("  ")).unwrap(), None);
        assert_eq!(check_instructions(Some(" no voicemail\n")).unwrap().as_deref(), Some("no voicemail"));
        assert!(check_instructions(Some("a\u{0}b")).is_err());
        assert!(check_instructions(Some(&"x".repeat(MAX_CONTACT_INSTRUCTIONS_LEN + 1))).is_err());
    }
}
