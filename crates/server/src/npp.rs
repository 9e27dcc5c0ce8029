//! Notice of Privacy Practices: admins publish versions, patients acknowledge the current
//! one, and booking and portal endpoints refuse until they have (see [`ensure_acknowledged`]).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use bizing_core::api::{AcknowledgeNpp, NppAckRecord, NppNotice, NppStatus, PublishNpp};
use bizing_core::{AckChannel, NppAcknowledgment, NppHash, NppVersion, needs_acknowledgment};

use crate::AppState;
use crate::error::AppError;
use crate::extract::JsonBody;
use crate::session::Authenticated;
use crate::store::AckRow;

/// Longest notice accepted (a real NPP is a few pages).
const MAX_TEXT: usize = 100 * 1024;

/// `GET /api/clinics/{tenant}/npp`: the current notice, public (the widget shows it).
pub async fn current(State(state): State<AppState>, Path(tenant): Path<String>) -> Result<Json<NppNotice>, AppError> {
    state.store.tenant(&tenant).await?.ok_or(AppError::NotFound)?;
    let row = state.store.current_npp(&tenant).await?.ok_or(AppError::NotFound)?;
    Ok(Json(NppNotice { hash: row.hash, text: row.text, published_at: row.published_at }))
}

/// `POST /api/npp`: an admin publishes a new version.
pub async fn publish(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    JsonBody(req): JsonBody<PublishNpp>,
) -> Result<(StatusCode, Json<NppNotice>), AppError> {
    let user = s.user.clone();
    if user.role != "admin" {
        return Err(AppError::Forbidden);
    }
    if req.text.trim().is_empty() || req.text.len() > MAX_TEXT {
        return Err(AppError::bad_request("invalid-body", "the notice must be 1 byte to 100 KiB of text"));
    }
    let version = NppVersion::new(req.text);
    let hash = version.hash().to_string();
    let now = state.clock.now();
    state.store.publish_npp(&s.tenant_id, &hash, version.text(), &user.id, now).await?;
    Ok((StatusCode::CREATED, Json(NppNotice { hash, text: version.text().to_owned(), published_at: now })))
}

/// `POST /api/npp/ack`: the signed-in user acknowledges the current version.
pub async fn acknowledge(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    JsonBody(req): JsonBody<AcknowledgeNpp>,
) -> Result<StatusCode, AppError> {
    let channel: AckChannel =
        req.channel.parse().map_err(|_| AppError::bad_request("invalid-body", "channel must be portal or widget"))?;
    let current = state.store.current_npp(&s.tenant_id).await?.ok_or(AppError::NotFound)?;
    if req.version_hash != current.hash {
        return Err(crate::store::npp_outdated());
    }
    let ack =
        AckRow { version_hash: current.hash, acknowledged_at: state.clock.now(), channel: channel.as_str().into() };
    state.store.acknowledge_npp(&s.tenant_id, &s.user_id, &ack).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/npp/status`
pub async fn status(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
) -> Result<Json<NppStatus>, AppError> {
    let current = state.store.current_npp(&s.tenant_id).await?;
    let last = state.store.last_npp_ack(&s.tenant_id, &s.user_id).await?;
    let needs = match &current {
        None => false,
        Some(c) => needs(&c.hash, last.as_ref(), state.clock.now())?,
    };
    Ok(Json(NppStatus {
        current_hash: current.map(|c| c.hash),
        needs_acknowledgment: needs,
        last_acknowledgment: last.map(|a| NppAckRecord {
            version_hash: a.version_hash,
            acknowledged_at: a.acknowledged_at,
            channel: a.channel,
        }),
    }))
}

fn needs(current_hash: &str, last: Option<&AckRow>, now: i64) -> Result<bool, AppError> {
    let current: NppHash = current_hash.parse().map_err(|_| AppError::Internal("stored NPP hash".into()))?;
    let last = match last {
        None => None,
        Some(a) => Some(NppAcknowledgment {
            version_hash: a.version_hash.parse().map_err(|_| AppError::Internal("stored ack hash".into()))?,
            acknowledged_at: u64::try_from(a.acknowledged_at).unwrap_or(0),
            channel: a.channel.parse().map_err(|_| AppError::Internal("stored ack channel".into()))?,
        }),
    };
    Ok(needs_acknowledgment(&current, last.as_ref(), u64::try_from(now).unwrap_or(0)))
}

/// Refuses (403, `npp-acknowledgment-required`) until a patient has acknowledged the
/// clinic's current notice, or did so 365 days ago or more. Staff are not asked.
///
/// # Errors
/// The refusal, or database errors.
pub async fn ensure_acknowledged(state: &AppState, tenant_id: &str, user_id: &str, role: &str) -> Result<(), AppError> {
    if role != "patient" {
        return Ok(());
    }
    let Some((current, last)) = state.store.npp_status(tenant_id, user_id).await? else { return Ok(()) };
    if needs(&current, last.as_ref(), state.clock.now())? {
        return Err(AppError::NppRequired);
    }
    Ok(())
}
