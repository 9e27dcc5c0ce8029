//! Restriction requests: the HIPAA right of a patient to ask the clinic to restrict uses or
//! disclosures of their information (45 CFR 164.522(a)).
//!
//! A patient files a request (the details sealed in the browser, opaque to the server, to
//! exactly the clinic's current key and the patient's own key, under
//! [`bizing_core::api::restriction_context`] of the request's client-chosen id); an admin
//! agrees or denies it (a denial with a reason); the patient may withdraw it while it is
//! pending or after the clinic agreed. For a `health-plan` request (not to tell the patient's
//! health plan about care they paid for in full out of pocket) HIPAA requires the clinic to
//! agree unless a law requires the disclosure; the server cannot know how care was paid, so
//! it leaves that judgment to the admin, who must give a reason to deny.
//!
//! ```text
//! pending --decide--> agreed --withdraw--> withdrawn
//!    |          \--> denied
//!    +--withdraw--> withdrawn
//! ```
//!
//! Who: a patient files, lists and withdraws their own requests; an admin lists the clinic's
//! and decides (like a correction's decision, no step-up); receptionists and providers get
//! 403 (a restriction says what the patient wants kept from whom: none of theirs to read). A
//! request the caller may not see is 404, exactly like one that does not exist. Filing and
//! withdrawing are sensitive actions (a recent step-up). Every read and every change is an
//! access event of the patient (`restriction`), written before the data is returned (reads)
//! or in the same transaction as the change (writes). Reasons are stored encrypted under the
//! tenant key.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use bizing_core::api::{
    CreateRestrictionRequest, DecideRestrictionRequest, MAX_RESTRICTION_LEN, MAX_RESTRICTION_REASON_CHARS, Restriction,
    RestrictionDecision, RestrictionKind, RestrictionStatus, RestrictionsResponse,
};
use bizing_core::{Envelope, KeyId, PublicKey};

use crate::AppState;
use crate::access_log::{self, LogAction, LogResource, Who};
use crate::error::AppError;
use crate::extract::JsonBody;
use crate::preferences::utc;
use crate::session::{AnySession, Authenticated};
use crate::store::{NewRestriction, RestrictionDecisionRow, RestrictionRow, TenantRow, UserRow};
use crate::vault::TenantKeys;

/// The encrypted column, bound into its ciphertext with the row id.
const TABLE: &str = "restrictions";
const REASON: &str = "reason_enc";

/// `POST /api/restrictions`: the signed-in patient asks for a restriction. 201 with it.
///
/// # Errors
/// 403 for staff, `npp-acknowledgment-required` or `step-up-required`; 400 `invalid-body`,
/// `invalid-id`, `envelope-too-large`, `invalid-envelope` or `wrong-recipients`; 409
/// `no-clinic-key` or `restriction-exists`.
pub async fn create(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    JsonBody(req): JsonBody<CreateRestrictionRequest>,
) -> Result<(StatusCode, Json<Restriction>), AppError> {
    let caller = caller(&state, &s).await?;
    if caller.reader != Reader::Patient {
        return Err(AppError::Forbidden);
    }
    crate::npp::ensure_acknowledged(&state, &caller.tenant.id, &caller.user.id, &caller.user.role).await?;
    crate::session::require_step_up(&state, &s)?;
    check_id(&req.id)?;
    check_details(&state, &caller, &req.details).await?;
    let restriction = NewRestriction {
        id: req.id,
        tenant_id: caller.tenant.id.clone(),
        patient_id: caller.user.id.clone(),
        kind: match req.kind {
            RestrictionKind::HealthPlan => "health-plan",
            RestrictionKind::Other => "other",
        },
        details_envelope: req.details,
        requested_at: state.clock.now(),
    };
    let event = caller.event(&state, &caller.user.id, &restriction.id, LogAction::CREATE)?;
    state.store.insert_restriction(&restriction, &access_log::prepare(&caller.keys, &[event])?).await?;
    Ok((StatusCode::CREATED, respond(&state, &caller, &restriction.id).await?))
}

/// `GET /api/restrictions`: a patient's own requests, or (an admin) the clinic's, newest
/// first.
///
/// # Errors
/// 403 for receptionists and providers.
pub async fn list(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
) -> Result<Json<RestrictionsResponse>, AppError> {
    let caller = caller(&state, &s).await?;
    let patient = match caller.reader {
        Reader::Patient => Some(caller.user.id.as_str()),
        Reader::Admin => None,
    };
    let rows = state.store.restrictions(&caller.tenant.id, patient).await?;
    let visible: Vec<&RestrictionRow> = rows.iter().filter(|r| caller.may_see(r)).collect();
    let events =
        visible.iter().map(|r| event(&state, &caller.who, r, LogAction::VIEW)).collect::<Result<Vec<_>, _>>()?;
    access_log::record_for(&state, &caller.tenant, &events).await?;
    let restrictions =
        visible.iter().map(|r| wire(r, &caller.keys, caller.reader == Reader::Admin)).collect::<Result<_, _>>()?;
    Ok(Json(RestrictionsResponse { restrictions }))
}

/// `POST /api/restrictions/{id}/decide`: an admin agrees to or denies a pending request (a
/// denial needs a reason).
///
/// # Errors
/// 404 as for reading it; 403 for the patient, receptionists and providers; 400
/// `invalid-body`, `invalid-reason` or `reason-too-large`; 409 `restriction-not-pending`.
pub async fn decide(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<DecideRestrictionRequest>,
) -> Result<Json<Restriction>, AppError> {
    let caller = caller(&state, &s).await?;
    let row = caller.visible(&state, &id).await?;
    if caller.reader != Reader::Admin {
        return Err(AppError::Forbidden);
    }
    let reason = check_reason(req.reason.as_deref())?;
    let status = match (req.decision, reason) {
        (RestrictionDecision::Denied, None) => {
            return Err(AppError::bad_request("invalid-reason", "a denial needs a reason the patient can read"));
        }
        (RestrictionDecision::Denied, Some(_)) => "denied",
        (RestrictionDecision::Agreed, _) => "agreed",
    };
    if status_of(&row)? != RestrictionStatus::Pending {
        return Err(not_pending());
    }
    let reason_enc = reason.map(|r| caller.keys.encrypt(TABLE, REASON, &row.id, r)).transpose()?;
    let now = state.clock.now();
    let decision = RestrictionDecisionRow { by: &caller.user.id, status, reason_enc: reason_enc.as_deref() };
    let log = access_log::prepare(&caller.keys, &[event(&state, &caller.who, &row, LogAction::UPDATE)?])?;
    if !state.store.decide_restriction(&caller.tenant.id, &row.id, decision, now, &log).await? {
        return Err(not_pending());
    }
    respond(&state, &caller, &row.id).await
}

/// `POST /api/restrictions/{id}/withdraw`: the patient withdraws their pending or agreed
/// request.
///
/// # Errors
/// 404 as for reading it; 403 for staff or `step-up-required`; 409 `restriction-closed`
/// (denied or withdrawn already).
pub async fn withdraw(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Restriction>, AppError> {
    let caller = caller(&state, &s).await?;
    let row = caller.visible(&state, &id).await?;
    if caller.reader != Reader::Patient {
        return Err(AppError::Forbidden);
    }
    crate::session::require_step_up(&state, &s)?;
    if !matches!(status_of(&row)?, RestrictionStatus::Pending | RestrictionStatus::Agreed) {
        return Err(closed());
    }
    let log = access_log::prepare(&caller.keys, &[event(&state, &caller.who, &row, LogAction::UPDATE)?])?;
    if !state.store.withdraw_restriction(&caller.tenant.id, &row.id, state.clock.now(), &log).await? {
        return Err(closed());
    }
    respond(&state, &caller, &row.id).await
}

/// Who may read restriction requests, and how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    /// Their own.
    Patient,
    /// The clinic's.
    Admin,
}

/// The signed-in caller, their clinic and its keys, and themselves as an access-log actor.
struct Caller {
    user: UserRow,
    tenant: TenantRow,
    keys: TenantKeys,
    who: Who,
    reader: Reader,
}

/// The caller, unless a receptionist or a provider (403).
async fn caller(state: &AppState, s: &AnySession) -> Result<Caller, AppError> {
    let user = s.user.clone();
    let reader = match user.role.as_str() {
        "patient" => Reader::Patient,
        "admin" => Reader::Admin,
        "receptionist" | "provider" => return Err(AppError::Forbidden),
        other => return Err(AppError::Internal(format!("unknown role {other}"))),
    };
    let tenant = s.tenant.clone();
    let keys = state.master.tenant_keys(&tenant.id, &tenant.data_key_wrapped)?;
    let display_name = keys.decrypt("users", "name_enc", &user.id, &user.name_enc)?;
    let who = Who { user_id: user.id.clone(), role: user.role.clone(), display_name };
    Ok(Caller { user, tenant, keys, who, reader })
}

impl Caller {
    fn may_see(&self, r: &RestrictionRow) -> bool {
        r.tenant_id == self.tenant.id
            && match self.reader {
                Reader::Patient => r.patient_id == self.user.id,
                Reader::Admin => true,
            }
    }

    /// The request `id` if the caller may see it; 404 otherwise, whatever the reason.
    async fn visible(&self, state: &AppState, id: &str) -> Result<RestrictionRow, AppError> {
        match state.store.restriction(&self.tenant.id, id).await? {
            Some(row) if self.may_see(&row) => Ok(row),
            _ => Err(AppError::NotFound),
        }
    }

    /// An access event by the caller on the request `id` of `patient_id`.
    fn event(
        &self,
        state: &AppState,
        patient_id: &str,
        id: &str,
        action: LogAction,
    ) -> Result<bizing_core::AccessEvent, AppError> {
        access_log::event(
            state,
            &self.tenant.id,
            access_log::Access {
                patient_id,
                who: &self.who,
                kind: LogResource::RESTRICTION,
                resource_id: id,
                action,
                from: "api",
            },
        )
    }
}

/// An access event by `who` on the request `row`.
pub(crate) fn event(
    state: &AppState,
    who: &Who,
    row: &RestrictionRow,
    action: LogAction,
) -> Result<bizing_core::AccessEvent, AppError> {
    access_log::event(
        state,
        &row.tenant_id,
        access_log::Access {
            patient_id: &row.patient_id,
            who,
            kind: LogResource::RESTRICTION,
            resource_id: &row.id,
            action,
            from: "api",
        },
    )
}

/// The request `id` after a change, as the caller sees it (the change was logged with it).
async fn respond(state: &AppState, caller: &Caller, id: &str) -> Result<Json<Restriction>, AppError> {
    let row = caller.visible(state, id).await?;
    Ok(Json(wire(&row, &caller.keys, caller.reader == Reader::Admin)?))
}

fn status_of(row: &RestrictionRow) -> Result<RestrictionStatus, AppError> {
    match row.status.as_str() {
        "pending" => Ok(RestrictionStatus::Pending),
        "agreed" => Ok(RestrictionStatus::Agreed),
        "denied" => Ok(RestrictionStatus::Denied),
        "withdrawn" => Ok(RestrictionStatus::Withdrawn),
        other => Err(AppError::Internal(format!("restriction status {other}"))),
    }
}

/// A request as the wire shows it, the reason and names decrypted; the patient's name only
/// for an admin (`staff`).
pub(crate) fn wire(row: &RestrictionRow, keys: &TenantKeys, staff: bool) -> Result<Restriction, AppError> {
    let kind = match row.kind.as_str() {
        "health-plan" => RestrictionKind::HealthPlan,
        "other" => RestrictionKind::Other,
        other => return Err(AppError::Internal(format!("restriction kind {other}"))),
    };
    let patient_name =
        staff.then(|| keys.decrypt("users", "name_enc", &row.patient_id, &row.patient_name_enc)).transpose()?;
    let decided_by_name = match (&row.decided_by, &row.decided_by_name_enc) {
        (Some(id), Some(enc)) => Some(keys.decrypt("users", "name_enc", id, enc)?),
        _ => None,
    };
    Ok(Restriction {
        id: row.id.clone(),
        tenant_id: row.tenant_id.clone(),
        patient_id: row.patient_id.clone(),
        patient_name,
        kind,
        status: status_of(row)?,
        details: row.details_envelope.clone(),
        requested_at: utc(row.requested_at)?,
        decided_at: row.decided_at.map(utc).transpose()?,
        decided_by: row.decided_by.clone(),
        decided_by_name,
        reason: row.reason_enc.as_ref().map(|enc| keys.decrypt(TABLE, REASON, &row.id, enc)).transpose()?,
        withdrawn_at: row.withdrawn_at.map(utc).transpose()?,
        updated_at: utc(row.updated_at)?,
    })
}

fn not_pending() -> AppError {
    AppError::Conflict {
        kind: "restriction-not-pending",
        detail: "this restriction request has been decided or withdrawn already".into(),
    }
}

fn closed() -> AppError {
    AppError::Conflict {
        kind: "restriction-closed",
        detail: "this restriction request was denied or withdrawn; there is nothing to withdraw".into(),
    }
}

/// A client-chosen id: 16 bytes in unpadded base64url, as [`crate::auth::new_id`] makes them.
fn check_id(id: &str) -> Result<(), AppError> {
    match <base64ct::Base64UrlUnpadded as base64ct::Encoding>::decode_vec(id) {
        Ok(raw) if raw.len() == 16 => Ok(()),
        _ => Err(AppError::bad_request("invalid-id", "id must be 16 random bytes in unpadded base64url")),
    }
}

/// The sealed details: at most [`MAX_RESTRICTION_LEN`] bytes, an envelope (the server cannot
/// open it; it checks only the format), sealed to exactly the clinic's current key and the
/// patient's own key, so that the clinic's providers and admins and the patient can open it
/// and nobody else was given it.
async fn check_details(state: &AppState, caller: &Caller, text: &str) -> Result<(), AppError> {
    if text.len() > MAX_RESTRICTION_LEN {
        return Err(AppError::bad_request(
            "envelope-too-large",
            format!("details must be at most {MAX_RESTRICTION_LEN} bytes"),
        ));
    }
    let envelope: Envelope = text
        .parse()
        .map_err(|_| AppError::bad_request("invalid-envelope", "details must be a sealed envelope (bze1.…)"))?;
    let Some(current) = state.store.current_clinic_key(&caller.tenant.id).await? else {
        return Err(AppError::Conflict {
            kind: "no-clinic-key",
            detail: "this clinic has no clinic key yet, so it could not read the request; ask the clinic directly"
                .into(),
        });
    };
    let clinic: KeyId = current.key_id.parse().map_err(|e| AppError::Internal(format!("stored clinic key id: {e}")))?;
    let patient = PublicKey::from_sec1(&caller.user.public_key)
        .map_err(|e| AppError::Internal(format!("stored public key of {}: {e}", caller.user.id)))?
        .key_id();
    let recipients = envelope.recipients();
    let expected: BTreeSet<KeyId> = [clinic, patient].into_iter().collect();
    if recipients.len() != expected.len() || recipients.into_iter().collect::<BTreeSet<_>>() != expected {
        return Err(AppError::bad_request(
            "wrong-recipients",
            format!(
                "seal the details to exactly the clinic's current key {clinic} (GET /api/clinics/{}/clinic-key) \
                 and your own key {patient}",
                caller.tenant.id
            ),
        ));
    }
    Ok(())
}

/// A decision's reason: none if absent or only white space; else plain text (line breaks and
/// tabs allowed), trimmed, at most [`MAX_RESTRICTION_REASON_CHARS`] characters.
fn check_reason(reason: Option<&str>) -> Result<Option<&str>, AppError> {
    let Some(reason) = reason.map(str::trim).filter(|r| !r.is_empty()) else { return Ok(None) };
    if reason.chars().count() > MAX_RESTRICTION_REASON_CHARS {
        return Err(AppError::bad_request(
            "reason-too-large",
            format!("reason must be at most {MAX_RESTRICTION_REASON_CHARS} characters"),
        ));
    }
    if reason.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(AppError::bad_request("invalid-reason", "reason must be plain text"));
    }
    Ok(Some(reason))
}
