//! The access log, server side: every read or write of a patient's PHI appends an event
//! before the data is returned (no log entry, no data), and a patient fetches their own
//! events with inclusion proofs and a signed checkpoint.
//!
//! One log per clinic. Checkpoints are signed with a key derived from the master key and
//! the tenant id, so it survives restarts and is the same on every instance.

use axum::Json;
use axum::extract::{Path, Query, State};
use base64ct::{Base64UrlUnpadded, Encoding};
use bizing_core::access_log::{
    AccessEvent, Action, Actor, Checkpoint, CheckpointSigner, Client, MerkleTree, Resource, ResourceKind, Role, Salt,
};
use bizing_core::api::{AccessLogPage, LogKey, LoggedEvent};
use serde::Deserialize;

use crate::AppState;
use crate::error::AppError;
use crate::session::Authenticated;
use crate::store::{NewLeaf, TenantRow};
use crate::vault::TenantKeys;

/// The log's origin (and signing key name) for a clinic.
#[must_use]
pub fn origin(tenant_id: &str) -> String {
    format!("bizing/access-log/{tenant_id}")
}

/// The checkpoint signer of a clinic's log.
///
/// # Errors
/// Internal if the derived scalar is not usable (probability about 2^-128).
pub fn signer(state: &AppState, tenant_id: &str) -> Result<CheckpointSigner, AppError> {
    let mut scalar = zeroize::Zeroizing::new([0u8; 32]);
    state.master.derive(format!("bizing checkpoint key v1\0{tenant_id}").as_bytes(), scalar.as_mut_slice())?;
    CheckpointSigner::from_secret_bytes(origin(tenant_id), scalar.as_slice())
        .map_err(|e| AppError::Internal(format!("checkpoint key: {e}")))
}

/// Who did something, for an event.
#[derive(Debug, Clone)]
pub struct Who {
    /// User id.
    pub user_id: String,
    /// Role (patient, receptionist, provider, admin).
    pub role: String,
    /// Name as the patient should see it.
    pub display_name: String,
}

/// One access to describe: whose record, who, what, how, and through which client.
#[derive(Debug, Clone)]
pub struct Access<'a> {
    /// Whose record.
    pub patient_id: &'a str,
    /// Who accessed it.
    pub who: &'a Who,
    /// What kind of record (the core's tokens, e.g. `ResourceKind::BOOKING`).
    pub kind: ResourceKind,
    /// Its id.
    pub resource_id: &'a str,
    /// What was done (e.g. `Action::VIEW`).
    pub action: Action,
    /// Through which client (`api`, `portal`, `widget`).
    pub from: &'a str,
}

/// Builds the event for `access`, stamped with the server's clock.
///
/// # Errors
/// Internal if a token is invalid (a programming error, not input).
pub fn event(state: &AppState, tenant_id: &str, access: Access<'_>) -> Result<AccessEvent, AppError> {
    let bad = |e: &dyn std::fmt::Display| AppError::Internal(format!("access event: {e}"));
    Ok(AccessEvent {
        tenant_id: tenant_id.to_owned(),
        patient_id: access.patient_id.to_owned(),
        actor: Actor {
            user_id: access.who.user_id.clone(),
            role: Role::new(access.who.role.clone()).map_err(|e| bad(&e))?,
            display_name: access.who.display_name.clone(),
        },
        resource: Resource { kind: access.kind, id: access.resource_id.to_owned() },
        action: access.action,
        at: u64::try_from(state.clock.now()).unwrap_or(0),
        from: Client::new(access.from.to_owned()).map_err(|e| bad(&e))?,
    })
}

/// Salts, hashes and encrypts events into leaves, ready to append (in the caller's write
/// transaction, or with [`record`]).
///
/// # Errors
/// Internal on an RNG or encoding failure.
pub fn prepare(keys: &TenantKeys, events: &[AccessEvent]) -> Result<Vec<NewLeaf>, AppError> {
    events
        .iter()
        .map(|event| {
            let salt = Salt::generate().map_err(|_| AppError::Internal("rng".into()))?;
            let leaf_hash = event.leaf_hash(&salt).map_err(|e| AppError::Internal(format!("access event: {e}")))?;
            let json = serde_json::to_string(event).map_err(|e| AppError::Internal(format!("access event: {e}")))?;
            let entry = format!("{}\n{json}", hex(salt.as_bytes()));
            Ok(NewLeaf {
                patient_id: event.patient_id.clone(),
                leaf_hash,
                entry_enc: keys.encrypt("access_log", "entry_enc", &hex(&leaf_hash), &entry)?,
            })
        })
        .collect()
}

/// Appends events for reads, before the data is returned: no log entry, no data.
///
/// # Errors
/// Database errors.
pub async fn record(state: &AppState, tenant_id: &str, events: &[AccessEvent]) -> Result<(), AppError> {
    if events.is_empty() {
        return Ok(());
    }
    let tenant = state.store.tenant(tenant_id).await?.ok_or(AppError::NotFound)?;
    record_for(state, &tenant, events).await
}

/// [`record`] for a tenant already read.
///
/// # Errors
/// As [`record`].
pub async fn record_for(state: &AppState, tenant: &TenantRow, events: &[AccessEvent]) -> Result<(), AppError> {
    if events.is_empty() {
        return Ok(());
    }
    let keys = state.master.tenant_keys(&tenant.id, &tenant.data_key_wrapped)?;
    state.store.append_leaves(&tenant.id, &prepare(&keys, events)?).await
}

/// `GET /api/clinics/{tenant}/log-key`: the key clients pin to verify checkpoints.
pub async fn log_key(State(state): State<AppState>, Path(tenant): Path<String>) -> Result<Json<LogKey>, AppError> {
    state.store.tenant(&tenant).await?.ok_or(AppError::NotFound)?;
    let signer = signer(&state, &tenant)?;
    Ok(Json(LogKey {
        origin: origin(&tenant),
        key_name: signer.key_name().to_owned(),
        public_key: Base64UrlUnpadded::encode_string(&signer.public_key_sec1()),
    }))
}

/// Query of [`page`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Since {
    /// The tree size the client last verified (0 or absent for none).
    pub since: Option<u64>,
}

/// `GET /api/access-log?since=N`: the signed-in patient's events, each with its inclusion
/// proof, a signed checkpoint, and a consistency proof from `since`.
pub async fn page(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    Query(q): Query<Since>,
) -> Result<Json<AccessLogPage>, AppError> {
    Ok(Json(patient_page(&state, &s.tenant_id, &s.user_id, q.since.unwrap_or(0)).await?))
}

/// A patient's events with inclusion proofs against a freshly signed checkpoint of the
/// clinic's log, and a consistency proof from tree size `since`.
///
/// # Errors
/// 400 `invalid-query` if `since` is beyond the log; database errors.
pub async fn patient_page(
    state: &AppState,
    tenant_id: &str,
    patient_id: &str,
    since: u64,
) -> Result<AccessLogPage, AppError> {
    let hashes = state.store.leaf_hashes(tenant_id).await?;
    let size = u64::try_from(hashes.len()).unwrap_or(u64::MAX);
    if since > size {
        return Err(AppError::bad_request("invalid-query", "since is larger than the log"));
    }
    let tree = MerkleTree::from_leaf_hashes(hashes);
    let checkpoint = Checkpoint::new(origin(tenant_id), size, tree.root())
        .map_err(|e| AppError::Internal(format!("checkpoint: {e}")))?;
    let note = signer(state, tenant_id)?.sign(&checkpoint);
    let consistency = tree.consistency_proof(since, size).map_err(|e| AppError::Internal(format!("proof: {e}")))?;
    let tenant = state.store.tenant(tenant_id).await?.ok_or(AppError::NotFound)?;
    let keys = state.master.tenant_keys(&tenant.id, &tenant.data_key_wrapped)?;
    let mut events = Vec::new();
    for (index, leaf_hash, entry_enc) in state.store.patient_leaves(tenant_id, patient_id).await? {
        let entry = keys.decrypt("access_log", "entry_enc", &hex(&leaf_hash), &entry_enc)?;
        let (salt, json) = entry.split_once('\n').ok_or_else(|| AppError::Internal("stored log entry".into()))?;
        let event: AccessEvent =
            serde_json::from_str(json).map_err(|e| AppError::Internal(format!("stored log entry: {e}")))?;
        let leaf_index = u64::try_from(index).map_err(|_| AppError::Internal("leaf index".into()))?;
        if leaf_index >= size {
            // Appended after the hashes were read: the next checkpoint covers it.
            continue;
        }
        let proof = tree.inclusion_proof(leaf_index, size).map_err(|e| AppError::Internal(format!("proof: {e}")))?;
        events.push(LoggedEvent {
            leaf_index,
            salt: salt.to_owned(),
            event,
            inclusion_proof: proof.iter().map(|h| hex(h)).collect(),
        });
    }
    Ok(AccessLogPage { checkpoint: note, consistency_proof: consistency.iter().map(|h| hex(h)).collect(), events })
}

/// Lowercase hex, without a `format!` per byte (it is on the path of every access event).
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// The patient themselves, as an actor.
#[must_use]
pub fn own(user_id: &str, name: &str) -> Who {
    Who { user_id: user_id.to_owned(), role: Role::PATIENT.to_string(), display_name: name.to_owned() }
}

/// Resource kinds and actions used by the server, re-exported for handlers.
pub use bizing_core::access_log::{Action as LogAction, ResourceKind as LogResource};
