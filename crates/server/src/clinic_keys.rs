//! Clinic keys, zero-knowledge: the server keeps each version's public key and copies of its
//! private key wrapped to the personal keys of providers and admins, and can open none of
//! them.
//!
//! An admin's client makes a version with the core ([`bizing_core::ClinicKey`]), wraps it to
//! each provider's and admin's personal public key (from `GET /api/staff/keys`) and
//! publishes it (`POST /api/clinic-keys`). The server checks every copy against the key and
//! the recipient without opening it: the copy's key id must be the new version's, its
//! recipient must be the personal key of the account it is filed under, and that account
//! must be a provider or admin of the clinic. A receptionist is never given a copy, so a
//! receptionist can never open a note. Removing staff means publishing the next version
//! shared with the remaining providers and admins only; a provider's or admin's client then
//! rewraps the old notes and correction texts to it ([`crate::rewrap`]).
//!
//! Booking notes must be sealed to the current version ([`ensure_note_for_clinic`]).

use std::collections::HashSet;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use base64ct::{Base64UrlUnpadded, Encoding};
use bizing_core::api::{
    AddClinicKeyShares, ClinicKeyInfo, ClinicKeyShare, MAX_CLINIC_KEY_SHARES, MyClinicKey, MyClinicKeysResponse,
    PublicJwk, PublishClinicKey, StaffKeysResponse, StaffMember,
};
use bizing_core::{Envelope, KeyId, PublicKey, WrappedKey};

use crate::AppState;
use crate::error::AppError;
use crate::extract::JsonBody;
use crate::session::{AnySession, Authenticated};
use crate::store::{ClinicKeyRow, NewClinicKey, NewClinicKeyShare, UserRow, unknown_version, wrong_version};

/// Roles that may hold a copy of the clinic key (and so open notes).
const HOLDER_ROLES: [&str; 2] = ["provider", "admin"];

/// `GET /api/clinics/{tenant}/clinic-key` (public): the current version, to seal notes to.
///
/// # Errors
/// 404 for an unknown clinic or one without a clinic key yet.
pub async fn current(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
) -> Result<Json<ClinicKeyInfo>, AppError> {
    state.store.tenant(&tenant).await?.ok_or(AppError::NotFound)?;
    let row = state.store.current_clinic_key(&tenant).await?.ok_or(AppError::NotFound)?;
    Ok(Json(info(&row)?))
}

/// `GET /api/staff/keys` (receptionists, providers, admins): the clinic's staff with their
/// personal public keys and the clinic-key versions each holds.
///
/// # Errors
/// 403 for patients.
pub async fn staff_keys(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
) -> Result<Json<StaffKeysResponse>, AppError> {
    caller_with_role(&s, &["receptionist", "provider", "admin"])?;
    let tenant = s.tenant.clone();
    let keys = state.master.tenant_keys(&tenant.id, &tenant.data_key_wrapped)?;
    let holders = state.store.clinic_key_holders(&tenant.id).await?;
    let mut staff = Vec::new();
    for row in state.store.staff(&tenant.id).await? {
        let personal = PublicKey::from_sec1(&row.public_key)
            .map_err(|e| AppError::Internal(format!("stored public key of {}: {e}", row.id)))?;
        let clinic_key_versions = holders
            .iter()
            .filter(|(user_id, _)| *user_id == row.id)
            .map(|(_, version)| wire_version(*version))
            .collect::<Result<_, _>>()?;
        staff.push(StaffMember {
            name: keys.decrypt("users", "name_enc", &row.id, &row.name_enc)?,
            user_id: row.id,
            role: row.role,
            public_key: Base64UrlUnpadded::encode_string(&personal.to_sec1()),
            key_id: personal.key_id().to_string(),
            clinic_key_versions,
        });
    }
    staff.sort_by(|a, b| (&a.name, &a.user_id).cmp(&(&b.name, &b.user_id)));
    Ok(Json(StaffKeysResponse { staff }))
}

/// `POST /api/clinic-keys` (admin): publishes the next version with its shares. 201 with
/// the new current key.
///
/// # Errors
/// 403 unless an admin; 400 `wrong-key-version` (not current + 1), `invalid-body` (malformed
/// key, copy or list), `key-reused`, `missing-self-share` (the admin must hold the version
/// they publish), and the share errors of [`check_shares`]. Nothing is stored on any error.
pub async fn publish(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    JsonBody(req): JsonBody<PublishClinicKey>,
) -> Result<(StatusCode, Json<ClinicKeyInfo>), AppError> {
    let admin = caller_with_role(&s, &["admin"])?;
    let current = state.store.current_clinic_key(&admin.tenant_id).await?.map_or(0, |k| k.version);
    if i64::from(req.version) != current + 1 {
        return Err(wrong_version(current));
    }
    let public_key = decode_public_key("publicKey", &req.public_key)?
        .with_version(req.version)
        .map_err(|_| wrong_version(current))?;
    let shares = check_shares(&state, &admin.tenant_id, public_key.key_id(), &req.shares).await?;
    if !shares.iter().any(|share| share.user_id == admin.id) {
        return Err(AppError::bad_request(
            "missing-self-share",
            "include a share to yourself: the admin who publishes a version must be able to open it",
        ));
    }
    let key = NewClinicKey {
        tenant_id: admin.tenant_id.clone(),
        version: i64::from(req.version),
        key_id: public_key.key_id().to_string(),
        public_key: public_key.to_sec1().to_vec(),
        created_by: admin.id.clone(),
    };
    state.store.publish_clinic_key(&key, &shares, state.clock.now()).await?;
    let row = state
        .store
        .clinic_key(&admin.tenant_id, key.version)
        .await?
        .ok_or_else(|| AppError::Internal("new clinic key".into()))?;
    Ok((StatusCode::CREATED, Json(info(&row)?)))
}

/// `POST /api/clinic-keys/shares` (admin): shares an existing version with more providers or
/// admins. 204.
///
/// # Errors
/// 403 unless an admin; 400 `unknown-key-version`, `invalid-body`, and the share errors of
/// [`check_shares`]; 409 `share-exists` if someone already holds that version. Nothing is
/// stored on any error.
pub async fn add_shares(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    JsonBody(req): JsonBody<AddClinicKeyShares>,
) -> Result<StatusCode, AppError> {
    let admin = caller_with_role(&s, &["admin"])?;
    let row = state.store.clinic_key(&admin.tenant_id, i64::from(req.version)).await?.ok_or_else(unknown_version)?;
    let key = stored_public_key(&row)?;
    let shares = check_shares(&state, &admin.tenant_id, key.key_id(), &req.shares).await?;
    state.store.add_clinic_key_shares(&admin.tenant_id, row.version, &admin.id, &shares, state.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/clinic-keys/mine` (providers and admins): the caller's copies of every version.
///
/// # Errors
/// 403 for receptionists and patients, who hold no copy and are never given one.
pub async fn mine(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
) -> Result<Json<MyClinicKeysResponse>, AppError> {
    let user = caller_with_role(&s, &HOLDER_ROLES)?;
    let current = state.store.current_clinic_key(&user.tenant_id).await?.map(|k| k.version);
    let keys = state
        .store
        .clinic_key_shares_of(&user.tenant_id, &user.id)
        .await?
        .into_iter()
        .map(|row| {
            Ok(MyClinicKey {
                version: wire_version(row.version)?,
                key_id: row.key_id,
                public_key: Base64UrlUnpadded::encode_string(&row.public_key),
                wrapped_key: row.wrapped_key,
                current: Some(row.version) == current,
            })
        })
        .collect::<Result<_, AppError>>()?;
    Ok(Json(MyClinicKeysResponse { keys }))
}

/// Refuses a booking note that the clinic's providers could not open: 409 `no-clinic-key`
/// if the clinic has no clinic key yet, 400 `invalid-note` if `note` is not an envelope, 400
/// `note-not-for-clinic` unless the clinic's current key is among its recipients.
///
/// # Errors
/// Those refusals, or database errors.
pub async fn ensure_note_for_clinic(state: &AppState, tenant_id: &str, note: &str) -> Result<(), AppError> {
    let (key_id, envelope) = current_key_and_note(state, tenant_id, note).await?;
    if !envelope.recipients().contains(&key_id) {
        return Err(AppError::bad_request(
            "note-not-for-clinic",
            format!("seal the note to the clinic's current key {key_id} (GET /api/clinics/{tenant_id}/clinic-key)"),
        ));
    }
    Ok(())
}

/// The clinic's current key id and `note` parsed as an envelope.
///
/// # Errors
/// 409 `no-clinic-key`; 400 `invalid-note`; database errors.
async fn current_key_and_note(state: &AppState, tenant_id: &str, note: &str) -> Result<(KeyId, Envelope), AppError> {
    let Some(current) = state.store.current_clinic_key(tenant_id).await? else {
        return Err(AppError::Conflict {
            kind: "no-clinic-key",
            detail: "this clinic has no clinic key yet, so a note could not be read; book without a note".into(),
        });
    };
    let envelope: Envelope =
        note.parse().map_err(|_| AppError::bad_request("invalid-note", "note must be a sealed envelope (bze1.…)"))?;
    let key_id: KeyId = current.key_id.parse().map_err(|e| AppError::Internal(format!("stored clinic key id: {e}")))?;
    Ok((key_id, envelope))
}

/// Checks that a guest's note is sealed to exactly the clinic's current key: a guest has no
/// key of their own, and nobody else may be able to open it.
///
/// # Errors
/// 409 `no-clinic-key`; 400 `invalid-note`, `wrong-recipients`.
pub async fn ensure_note_for_clinic_only(state: &AppState, tenant_id: &str, note: &str) -> Result<(), AppError> {
    let (key_id, envelope) = current_key_and_note(state, tenant_id, note).await?;
    if envelope.recipients() != [key_id] {
        return Err(AppError::bad_request(
            "wrong-recipients",
            format!(
                "seal a guest's note to exactly the clinic's current key {key_id} (GET /api/clinics/{tenant_id}/clinic-key) \
                 and to no other key"
            ),
        ));
    }
    Ok(())
}

/// Checks each share without opening it and returns what to store: well-formed copies of the
/// key `key_id`, one per user, each filed under a provider or admin of the clinic whose
/// personal key is the copy's recipient.
///
/// # Errors
/// 400 `invalid-body` (no shares, too many, a malformed copy or one not wrapped to a public
/// key), `duplicate-share`, `key-id-mismatch` (a copy of another key or version),
/// `unknown-user` (no such account at this clinic), `share-not-allowed` (a receptionist or
/// a patient), `wrong-recipient` (wrapped to someone else's key).
pub async fn check_shares(
    state: &AppState,
    tenant_id: &str,
    key_id: KeyId,
    shares: &[ClinicKeyShare],
) -> Result<Vec<NewClinicKeyShare>, AppError> {
    if shares.is_empty() || shares.len() > MAX_CLINIC_KEY_SHARES {
        return Err(AppError::bad_request(
            "invalid-body",
            format!("shares must hold 1 to {MAX_CLINIC_KEY_SHARES} wrapped copies"),
        ));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(shares.len());
    for (i, share) in shares.iter().enumerate() {
        if !seen.insert(share.user_id.as_str()) {
            return Err(AppError::bad_request("duplicate-share", format!("shares[{i}]: one share per user")));
        }
        let wrapped: WrappedKey = share.wrapped_key.parse().map_err(|_| {
            AppError::bad_request("invalid-body", format!("shares[{i}].wrappedKey is not a wrapped key (bzk1.…)"))
        })?;
        let Some(recipient) = wrapped.recipient() else {
            return Err(AppError::bad_request(
                "invalid-body",
                format!("shares[{i}].wrappedKey must be wrapped to a staff member's public key"),
            ));
        };
        if wrapped.key_id() != key_id {
            return Err(AppError::bad_request(
                "key-id-mismatch",
                format!("shares[{i}] holds key {}, not the clinic key {key_id}", wrapped.key_id()),
            ));
        }
        // A removed staff member is no staff member: never given a copy again.
        let user = state.store.user(tenant_id, &share.user_id).await?.filter(|u| u.disabled_at.is_none()).ok_or_else(
            || AppError::bad_request("unknown-user", format!("shares[{i}]: no such staff member at this clinic")),
        )?;
        if !HOLDER_ROLES.contains(&user.role.as_str()) {
            return Err(AppError::bad_request(
                "share-not-allowed",
                format!("shares[{i}]: only providers and admins may hold the clinic key, not a {}", user.role),
            ));
        }
        let personal = PublicKey::from_sec1(&user.public_key)
            .map_err(|e| AppError::Internal(format!("stored public key of {}: {e}", user.id)))?;
        if recipient != personal.key_id() {
            return Err(AppError::bad_request(
                "wrong-recipient",
                format!("shares[{i}] is wrapped to {recipient}, not to that staff member's key {}", personal.key_id()),
            ));
        }
        out.push(NewClinicKeyShare {
            user_id: user.id,
            recipient_public_key: user.public_key,
            wrapped_key: wrapped.to_string(),
        });
    }
    Ok(out)
}

/// The signed-in caller, if their role is one of `roles`; 403 otherwise.
fn caller_with_role(s: &AnySession, roles: &[&str]) -> Result<UserRow, AppError> {
    let user = s.user.clone();
    if !roles.contains(&user.role.as_str()) || user.disabled_at.is_some() {
        return Err(AppError::Forbidden);
    }
    Ok(user)
}

fn decode_public_key(field: &str, text: &str) -> Result<PublicKey, AppError> {
    let bytes = Base64UrlUnpadded::decode_vec(text)
        .map_err(|_| AppError::bad_request("invalid-body", format!("{field} must be base64url")))?;
    PublicKey::from_sec1(&bytes)
        .map_err(|_| AppError::bad_request("invalid-body", format!("{field} is not a SEC1 P-256 public key")))
}

/// A stored version's public key, labelled with its version.
fn stored_public_key(row: &ClinicKeyRow) -> Result<PublicKey, AppError> {
    let key = PublicKey::from_sec1(&row.public_key)
        .and_then(|k| k.with_version(wire_version(row.version).unwrap_or(0)))
        .map_err(|e| AppError::Internal(format!("stored clinic key {} v{}: {e}", row.tenant_id, row.version)))?;
    if key.key_id().to_string() != row.key_id {
        return Err(AppError::Internal(format!("stored clinic key {} v{}: key id", row.tenant_id, row.version)));
    }
    Ok(key)
}

fn wire_version(version: i64) -> Result<u32, AppError> {
    u32::try_from(version).map_err(|_| AppError::Internal(format!("stored clinic key version {version}")))
}

fn info(row: &ClinicKeyRow) -> Result<ClinicKeyInfo, AppError> {
    let key = stored_public_key(row)?;
    let jwk: PublicJwk =
        serde_json::from_str(&key.to_jwk()).map_err(|e| AppError::Internal(format!("clinic key JWK: {e}")))?;
    Ok(ClinicKeyInfo {
        version: key.key_id().version(),
        key_id: key.key_id().to_string(),
        public_key: Base64UrlUnpadded::encode_string(&key.to_sec1()),
        jwk,
        created_at: row.created_at,
    })
}
