//! The patient's copy of their record (the HIPAA right of access, 45 CFR 164.524):
//! `GET /api/export`, one JSON document of everything the clinic holds about the signed-in
//! patient.
//!
//! Only the patient may export their record (staff: 403), after a recent step-up, at most
//! 10 times a minute (the `export` rate-limit class). The export is itself an access event
//! (`export` of the profile), appended before anything is read, so the document's access log
//! already shows it, with an inclusion proof like every other event. The answer is an
//! attachment that no cache may keep.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64ct::{Base64UrlUnpadded, Encoding};
use bizing_core::PublicKey;
use bizing_core::api::{EXPORT_FORMAT, ExportAccount, ExportDocument, NppAckRecord};
use jiff::Timestamp;

use crate::AppState;
use crate::access_log::{self, LogAction, LogResource};
use crate::error::AppError;
use crate::session::{self, Authenticated};
use crate::store::BookingScope;

/// `GET /api/export`: the signed-in patient's record as a JSON attachment.
///
/// # Errors
/// 403 `forbidden` for staff, `step-up-required` without a recent second factor; 429
/// `rate-limited` past 10 a minute.
pub async fn export(State(state): State<AppState>, Authenticated(s): Authenticated) -> Result<Response, AppError> {
    let user = s.user.clone();
    if user.role != "patient" {
        return Err(AppError::Forbidden);
    }
    session::require_step_up(&state, &s)?;
    let tenant = state.store.tenant(&user.tenant_id).await?.ok_or(AppError::NotFound)?;
    let keys = state.master.tenant_keys(&tenant.id, &tenant.data_key_wrapped)?;
    let name = keys.decrypt("users", "name_enc", &user.id, &user.name_enc)?;
    let email = keys.decrypt("users", "email_enc", &user.id, &user.email_enc)?;
    // Logged first: no log entry, no data.
    let who = access_log::own(&user.id, &name);
    let event = access_log::event(
        &state,
        &tenant.id,
        access_log::Access {
            patient_id: &user.id,
            who: &who,
            kind: LogResource::PROFILE,
            resource_id: &user.id,
            action: LogAction::EXPORT,
            from: "api",
        },
    )?;
    access_log::record_for(&state, &tenant, &[event]).await?;

    let now = state.clock.now();
    let public_key = PublicKey::from_sec1(&user.public_key)
        .map_err(|e| AppError::Internal(format!("stored public key of {}: {e}", user.id)))?;
    let bookings = state
        .store
        .bookings(&tenant.id, BookingScope::Patient(&user.id))
        .await?
        .iter()
        .filter(|b| b.patient_id == user.id)
        .map(|b| crate::scheduling::patient_view(b, &tenant))
        .collect::<Result<_, _>>()?;
    let corrections = state
        .store
        .corrections(&tenant.id, BookingScope::Patient(&user.id))
        .await?
        .iter()
        .filter(|c| c.patient_id == user.id)
        .map(|c| crate::corrections::patient_view(c, &keys, now))
        .collect::<Result<_, _>>()?;
    let npp_acknowledgments = state
        .store
        .npp_acks(&tenant.id, &user.id)
        .await?
        .into_iter()
        .map(|a| NppAckRecord { version_hash: a.version_hash, acknowledged_at: a.acknowledged_at, channel: a.channel })
        .collect();
    let confidential_contact = state
        .store
        .confidential_contact(&tenant.id, &user.id)
        .await?
        .map(|c| crate::preferences::open_contact(&keys, &user.id, &c.contact_enc))
        .transpose()?;
    let restrictions = state
        .store
        .restrictions(&tenant.id, Some(&user.id))
        .await?
        .iter()
        .map(|r| crate::restrictions::wire(r, &keys, false))
        .collect::<Result<_, _>>()?;
    let access_log = access_log::patient_page(&state, &tenant.id, &user.id, 0).await?;
    let exported_at = utc(now)?;
    let document = ExportDocument {
        format: EXPORT_FORMAT.to_owned(),
        exported_at: exported_at.clone(),
        tenant_id: tenant.id.clone(),
        clinic_name: tenant.name.clone(),
        account: ExportAccount {
            user_id: user.id.clone(),
            name,
            email,
            public_key: Base64UrlUnpadded::encode_string(&public_key.to_sec1()),
            key_id: public_key.key_id().to_string(),
        },
        bookings,
        corrections,
        npp_acknowledgments,
        confidential_contact,
        restrictions,
        access_log,
    };
    let mut response = Json(document).into_response();
    let date = exported_at.get(..10).unwrap_or("export");
    let disposition = format!("attachment; filename=\"bizing-export-{date}.json\"");
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).unwrap_or_else(|_| HeaderValue::from_static("attachment")),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Unix seconds as RFC 3339 in UTC.
fn utc(seconds: i64) -> Result<String, AppError> {
    Timestamp::from_second(seconds).map(|t| t.to_string()).map_err(|e| AppError::Internal(format!("time: {e}")))
}
