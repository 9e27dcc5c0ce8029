//! Correction (amendment) requests: the HIPAA right of a patient to ask for a change to
//! their record (45 CFR 164.526), here to the record of one of their bookings.
//!
//! A patient files a request (the change sealed in the browser, opaque to the server); the
//! booking's provider or an admin accepts or denies it (with a reason), or extends the
//! deadline once by 30 days (with a reason); after a denial the patient may file one
//! statement of disagreement (sealed too). The decision is due 60 days after the request,
//! 90 once extended; the answer says when and whether that has passed.
//! A cancelled booking can still be the subject of a request: its record remains.
//!
//! ```text
//! submitted --extend--> extended
//!     |                    |
//!     +--accept/deny-------+--> accepted | denied --disagreement--> denied (with statement)
//! ```
//!
//! Who sees what (minimum necessary): a patient their own requests; a provider the requests
//! on bookings with them; an admin the clinic's; a receptionist none (403: they must not
//! read what a patient wrote about their care). A request the caller may not see is 404,
//! exactly like one that does not exist. Every read and every change is an access event for
//! the patient, written before the data is returned (reads) or in the same transaction as
//! the change (writes). Staff reasons are stored encrypted under the tenant key.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use bizing_core::Envelope;
use bizing_core::api::{
    CORRECTION_DECISION_DAYS, CORRECTION_EXTENSION_DAYS, Correction, CorrectionReasonRequest, CorrectionStatus,
    CorrectionsResponse, CreateCorrectionRequest, DisagreementRequest, MAX_CORRECTION_LEN, MAX_REASON_LEN,
};
use jiff::Timestamp;

use crate::AppState;
use crate::access_log::{self, LogAction, LogResource, Who};
use crate::error::AppError;
use crate::extract::JsonBody;
use crate::session::AnySession;
use crate::session::Authenticated;
use crate::store::{BookingScope, CorrectionRow, Decision, Extension, NewCorrection, TenantRow, UserRow};
use crate::vault::TenantKeys;

const DAY_SECS: i64 = 24 * 60 * 60;

/// The encrypted columns' names, bound into their ciphertexts with the row id.
const TABLE: &str = "corrections";
const EXTENSION_REASON: &str = "extension_reason_enc";
const DENIAL_REASON: &str = "denial_reason_enc";

/// `POST /api/bookings/{id}/corrections`: the signed-in patient asks for a correction of
/// one of their bookings. 201 with the request.
///
/// # Errors
/// 403 for staff, `npp-acknowledgment-required` or `step-up-required`; 404 if the booking is
/// not the patient's; 400 `invalid-id`, `invalid-envelope` or `envelope-too-large`; 409
/// `correction-exists` for an id in use.
///
/// The client chooses the id: the change is sealed under a context naming it
/// ([`bizing_core::api::correction_context`]), so it cannot be swapped with another
/// request's text unnoticed.
pub async fn create(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    Path(booking_id): Path<String>,
    JsonBody(req): JsonBody<CreateCorrectionRequest>,
) -> Result<(StatusCode, Json<Correction>), AppError> {
    let caller = caller(&state, &s).await?;
    if caller.reader != Reader::Patient {
        return Err(AppError::Forbidden);
    }
    crate::npp::ensure_acknowledged(&state, &caller.tenant.id, &caller.user.id, &caller.user.role).await?;
    crate::session::require_step_up(&state, &s)?;
    let booking = state.store.booking(&caller.tenant.id, &booking_id).await?.ok_or(AppError::NotFound)?;
    if booking.tenant_id != caller.tenant.id || booking.patient_id != caller.user.id {
        return Err(AppError::NotFound);
    }
    check_correction_id(&req.id)?;
    check_envelope("change", &req.change)?;
    let now = state.clock.now();
    let correction = NewCorrection {
        id: req.id,
        tenant_id: caller.tenant.id.clone(),
        booking_id: booking.id,
        patient_id: caller.user.id.clone(),
        change_envelope: req.change,
        requested_at: now,
        due_at: now + CORRECTION_DECISION_DAYS * DAY_SECS,
    };
    let event = caller.event(&state, &correction.patient_id, &correction.id, LogAction::CREATE)?;
    state.store.insert_correction(&correction, &access_log::prepare(&caller.keys, &[event])?).await?;
    Ok((StatusCode::CREATED, respond(&state, &caller, &correction.id).await?))
}

/// `GET /api/corrections`: the requests the caller may see, newest first.
///
/// # Errors
/// 403 for receptionists.
pub async fn list(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
) -> Result<Json<CorrectionsResponse>, AppError> {
    let caller = caller(&state, &s).await?;
    let tenant_id = caller.tenant.id.as_str();
    let rows = match caller.reader {
        Reader::Patient => state.store.corrections(tenant_id, BookingScope::Patient(&caller.user.id)).await?,
        Reader::Provider => match state.store.provider_by_user(tenant_id, &caller.user.id).await? {
            Some(p) => state.store.corrections(tenant_id, BookingScope::Provider(&p.id)).await?,
            None => Vec::new(),
        },
        Reader::Admin => state.store.corrections(tenant_id, BookingScope::Clinic).await?,
    };
    let visible: Vec<&CorrectionRow> = rows.iter().filter(|c| caller.may_see(c)).collect();
    let events = visible
        .iter()
        .map(|c| caller.event(&state, &c.patient_id, &c.id, LogAction::VIEW))
        .collect::<Result<Vec<_>, _>>()?;
    access_log::record(&state, tenant_id, &events).await?;
    let now = state.clock.now();
    let corrections = visible.iter().map(|c| wire(c, &caller.keys, now)).collect::<Result<_, _>>()?;
    Ok(Json(CorrectionsResponse { corrections }))
}

/// `GET /api/corrections/{id}`
///
/// # Errors
/// 403 for receptionists; 404 if it does not exist or is not the caller's to see.
pub async fn get_one(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Correction>, AppError> {
    let caller = caller(&state, &s).await?;
    let row = caller.visible(&state, &id).await?;
    let event = caller.event(&state, &row.patient_id, &row.id, LogAction::VIEW)?;
    access_log::record_for(&state, &caller.tenant, &[event]).await?;
    Ok(Json(wire(&row, &caller.keys, state.clock.now())?))
}

/// `POST /api/corrections/{id}/accept`: the booking's provider or an admin accepts a
/// pending request.
///
/// # Errors
/// 404 as for reading it; 403 for the patient; 409 `correction-decided`.
pub async fn accept(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Correction>, AppError> {
    let caller = caller(&state, &s).await?;
    let row = caller.decidable(&state, &id).await?;
    decide(&state, &caller, &row, None).await
}

/// `POST /api/corrections/{id}/deny`: the booking's provider or an admin denies a pending
/// request, saying why.
///
/// # Errors
/// 404 as for reading it; 403 for the patient; 400 `invalid-reason` or
/// `reason-too-large`; 409 `correction-decided`.
pub async fn deny(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<CorrectionReasonRequest>,
) -> Result<Json<Correction>, AppError> {
    let caller = caller(&state, &s).await?;
    let row = caller.decidable(&state, &id).await?;
    let reason = check_reason(&req.reason)?;
    decide(&state, &caller, &row, Some(reason)).await
}

/// `POST /api/corrections/{id}/extend`: the booking's provider or an admin extends the
/// deadline of a submitted request once, by 30 days, saying why; only until the deadline.
///
/// # Errors
/// 404 as for reading it; 403 for the patient; 400 `invalid-reason` or
/// `reason-too-large`; 409 `correction-decided`, `already-extended` or `deadline-passed`.
pub async fn extend(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<CorrectionReasonRequest>,
) -> Result<Json<Correction>, AppError> {
    let caller = caller(&state, &s).await?;
    let row = caller.decidable(&state, &id).await?;
    let reason = check_reason(&req.reason)?;
    let now = state.clock.now();
    allowed(Step::Extend, &row, now)?;
    let reason_enc = caller.keys.encrypt(TABLE, EXTENSION_REASON, &row.id, reason)?;
    let event = caller.event(&state, &row.patient_id, &row.id, LogAction::UPDATE)?;
    let extension =
        Extension { by: &caller.user.id, reason_enc: &reason_enc, add_secs: CORRECTION_EXTENSION_DAYS * DAY_SECS };
    let log = access_log::prepare(&caller.keys, &[event])?;
    if !state.store.extend_correction(&caller.tenant.id, &row.id, extension, now, &log).await? {
        return Err(lost_race(&state, &caller, Step::Extend, &row.id, now).await);
    }
    respond(&state, &caller, &row.id).await
}

/// `POST /api/corrections/{id}/disagreement`: the requesting patient files their one
/// statement of disagreement with a denial.
///
/// # Errors
/// 404 as for reading it; 403 for staff, or `npp-acknowledgment-required`; 400
/// `invalid-envelope` or `envelope-too-large`; 409 `not-denied` or `disagreement-filed`.
pub async fn disagreement(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<DisagreementRequest>,
) -> Result<Json<Correction>, AppError> {
    let caller = caller(&state, &s).await?;
    let row = caller.visible(&state, &id).await?;
    if caller.reader != Reader::Patient {
        return Err(AppError::Forbidden);
    }
    crate::npp::ensure_acknowledged(&state, &caller.tenant.id, &caller.user.id, &caller.user.role).await?;
    check_envelope("statement", &req.statement)?;
    let now = state.clock.now();
    allowed(Step::Disagree, &row, now)?;
    let event = caller.event(&state, &row.patient_id, &row.id, LogAction::UPDATE)?;
    let log = access_log::prepare(&caller.keys, &[event])?;
    if !state.store.file_disagreement(&caller.tenant.id, &row.id, &req.statement, now, &log).await? {
        return Err(lost_race(&state, &caller, Step::Disagree, &row.id, now).await);
    }
    respond(&state, &caller, &row.id).await
}

/// Accepts (`reason` none) or denies a pending request.
async fn decide(
    state: &AppState,
    caller: &Caller,
    row: &CorrectionRow,
    reason: Option<&str>,
) -> Result<Json<Correction>, AppError> {
    let now = state.clock.now();
    allowed(Step::Decide, row, now)?;
    let reason_enc = reason.map(|r| caller.keys.encrypt(TABLE, DENIAL_REASON, &row.id, r)).transpose()?;
    let decision = match &reason_enc {
        Some(reason_enc) => Decision::Deny { reason_enc },
        None => Decision::Accept,
    };
    let event = caller.event(state, &row.patient_id, &row.id, LogAction::UPDATE)?;
    let log = access_log::prepare(&caller.keys, &[event])?;
    if !state.store.decide_correction(&caller.tenant.id, &row.id, &caller.user.id, decision, now, &log).await? {
        return Err(lost_race(state, caller, Step::Decide, &row.id, now).await);
    }
    respond(state, caller, &row.id).await
}

/// Who may read corrections, and how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    /// Their own requests.
    Patient,
    /// Requests on bookings with them.
    Provider,
    /// The clinic's requests.
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

/// The caller, unless a receptionist (403: corrections are none of theirs to read).
async fn caller(state: &AppState, s: &AnySession) -> Result<Caller, AppError> {
    let user = s.user.clone();
    let reader = match user.role.as_str() {
        "patient" => Reader::Patient,
        "provider" => Reader::Provider,
        "admin" => Reader::Admin,
        "receptionist" => return Err(AppError::Forbidden),
        other => return Err(AppError::Internal(format!("unknown role {other}"))),
    };
    let tenant = s.tenant.clone();
    let keys = state.master.tenant_keys(&tenant.id, &tenant.data_key_wrapped)?;
    let display_name = keys.decrypt("users", "name_enc", &user.id, &user.name_enc)?;
    let who = Who { user_id: user.id.clone(), role: user.role.clone(), display_name };
    Ok(Caller { user, tenant, keys, who, reader })
}

impl Caller {
    fn may_see(&self, c: &CorrectionRow) -> bool {
        c.tenant_id == self.tenant.id
            && match self.reader {
                Reader::Patient => c.patient_id == self.user.id,
                Reader::Provider => c.provider_user_id == self.user.id,
                Reader::Admin => true,
            }
    }

    /// The request `id` if the caller may see it; 404 otherwise, whatever the reason.
    async fn visible(&self, state: &AppState, id: &str) -> Result<CorrectionRow, AppError> {
        match state.store.correction(&self.tenant.id, id).await? {
            Some(row) if self.may_see(&row) => Ok(row),
            _ => Err(AppError::NotFound),
        }
    }

    /// The request `id` if the caller may decide on it: 404 as for reading it, 403 if they
    /// see it but are the patient.
    async fn decidable(&self, state: &AppState, id: &str) -> Result<CorrectionRow, AppError> {
        let row = self.visible(state, id).await?;
        match self.reader {
            Reader::Provider | Reader::Admin => Ok(row),
            Reader::Patient => Err(AppError::Forbidden),
        }
    }

    /// An access event by the caller on the correction `id` of `patient_id`.
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
                kind: LogResource::CORRECTION,
                resource_id: id,
                action,
                from: "api",
            },
        )
    }
}

/// A change of state.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// Accept or deny.
    Decide,
    /// Extend the deadline.
    Extend,
    /// File a statement of disagreement.
    Disagree,
}

/// Whether `step` may happen to `row` at `now`; the 409 saying why not otherwise.
fn allowed(step: Step, row: &CorrectionRow, now: i64) -> Result<(), AppError> {
    let status = status(row)?;
    let conflict = |kind: &'static str, detail: &str| Err(AppError::Conflict { kind, detail: detail.into() });
    match step {
        Step::Decide | Step::Extend if !status.is_pending() => {
            conflict("correction-decided", "this correction request has been decided already")
        }
        Step::Extend if status == CorrectionStatus::Extended => conflict(
            "already-extended",
            "the deadline of this correction request was extended already; it can be extended once",
        ),
        Step::Extend if now > row.due_at => conflict(
            "deadline-passed",
            "the deadline of this correction request has passed; it can no longer be extended",
        ),
        Step::Disagree if status != CorrectionStatus::Denied => {
            conflict("not-denied", "a statement of disagreement can be filed only after a denial")
        }
        Step::Disagree if row.disagreement_envelope.is_some() => {
            conflict("disagreement-filed", "a statement of disagreement was filed already; it can be filed once")
        }
        Step::Decide | Step::Extend | Step::Disagree => Ok(()),
    }
}

/// The error for a conditional update that changed nothing: the request changed since it
/// was read, so say what it is now.
async fn lost_race(state: &AppState, caller: &Caller, step: Step, id: &str, now: i64) -> AppError {
    let row = match caller.visible(state, id).await {
        Ok(row) => row,
        Err(e) => return e,
    };
    match allowed(step, &row, now) {
        Err(e) => e,
        Ok(()) => AppError::Conflict {
            kind: "correction-changed",
            detail: "this correction request changed at the same time; reload it and try again".into(),
        },
    }
}

/// The request `id` as the answer to a change (the change's event covers it).
async fn respond(state: &AppState, caller: &Caller, id: &str) -> Result<Json<Correction>, AppError> {
    let row = caller.visible(state, id).await?;
    Ok(Json(wire(&row, &caller.keys, state.clock.now())?))
}

fn status(row: &CorrectionRow) -> Result<CorrectionStatus, AppError> {
    match row.status.as_str() {
        "submitted" => Ok(CorrectionStatus::Submitted),
        "extended" => Ok(CorrectionStatus::Extended),
        "accepted" => Ok(CorrectionStatus::Accepted),
        "denied" => Ok(CorrectionStatus::Denied),
        other => Err(AppError::Internal(format!("correction status {other}"))),
    }
}

/// A request as the wire shows it to its patient: for the export.
pub(crate) fn patient_view(row: &CorrectionRow, keys: &TenantKeys, now: i64) -> Result<Correction, AppError> {
    wire(row, keys, now)
}

/// A request as the wire shows it, reasons decrypted.
fn wire(row: &CorrectionRow, keys: &TenantKeys, now: i64) -> Result<Correction, AppError> {
    let status = status(row)?;
    let reason = |column: &str, enc: &Option<Vec<u8>>| {
        enc.as_ref().map(|enc| keys.decrypt(TABLE, column, &row.id, enc)).transpose()
    };
    Ok(Correction {
        id: row.id.clone(),
        tenant_id: row.tenant_id.clone(),
        booking_id: row.booking_id.clone(),
        patient_id: row.patient_id.clone(),
        status,
        change: row.change_envelope.clone(),
        requested_at: utc(row.requested_at)?,
        due_at: utc(row.due_at)?,
        overdue: status.is_pending() && now > row.due_at,
        extended_at: row.extended_at.map(utc).transpose()?,
        extension_reason: reason(EXTENSION_REASON, &row.extension_reason_enc)?,
        decided_at: row.decided_at.map(utc).transpose()?,
        denial_reason: reason(DENIAL_REASON, &row.denial_reason_enc)?,
        disagreement: row.disagreement_envelope.clone(),
        disagreement_at: row.disagreement_at.map(utc).transpose()?,
        updated_at: utc(row.updated_at)?,
    })
}

/// Unix seconds as RFC 3339 in UTC (`…Z`).
fn utc(seconds: i64) -> Result<String, AppError> {
    Timestamp::from_second(seconds).map(|t| t.to_string()).map_err(|e| AppError::Internal(format!("time: {e}")))
}

/// A sealed envelope's text form, at most [`MAX_CORRECTION_LEN`] bytes. The server cannot
/// open it; it checks only the format.
fn check_envelope(field: &str, text: &str) -> Result<(), AppError> {
    if text.len() > MAX_CORRECTION_LEN {
        return Err(AppError::bad_request(
            "envelope-too-large",
            format!("{field} must be at most {MAX_CORRECTION_LEN} bytes"),
        ));
    }
    text.parse::<Envelope>().map_err(|_| {
        AppError::bad_request("invalid-envelope", format!("{field} must be a sealed envelope (bze1.…)"))
    })?;
    Ok(())
}

/// A client-chosen correction id: 16 bytes in unpadded base64url, as [`crate::auth::new_id`]
/// makes them.
fn check_correction_id(id: &str) -> Result<(), AppError> {
    match <base64ct::Base64UrlUnpadded as base64ct::Encoding>::decode_vec(id) {
        Ok(raw) if raw.len() == 16 => Ok(()),
        _ => Err(AppError::bad_request("invalid-id", "id must be 16 random bytes in unpadded base64url")),
    }
}

/// A staff reason: plain text, trimmed, 1 to [`MAX_REASON_LEN`] bytes, no control
/// characters but line breaks and tabs.
fn check_reason(reason: &str) -> Result<&str, AppError> {
    if reason.len() > MAX_REASON_LEN {
        return Err(AppError::bad_request(
            "reason-too-large",
            format!("reason must be at most {MAX_REASON_LEN} bytes"),
        ));
    }
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(AppError::bad_request("invalid-reason", "reason must be plain text, not empty"));
    }
    Ok(reason)
}
