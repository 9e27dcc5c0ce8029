//! Rewrapping sealed texts after a clinic-key rotation: the listing of what is still sealed
//! to an older clinic-key version, and the upload of rewrapped envelopes in batches.
//!
//! Who: a provider (the texts of bookings with them) or an admin (the clinic's, and the
//! details of its restriction requests, which providers do not see), who holds a copy of the
//! current version, signed in with a recent step-up. The client opens nothing
//! new: it unwraps the data key with an old version it holds and wraps it to the current one
//! ([`bizing_core::Envelope::rewrap`]).
//!
//! What the server checks, without opening anything: each uploaded envelope parses; has
//! the same content as the stored one ([`bizing_core::Envelope::same_content`]: message id,
//! flags and content ciphertext byte for byte); and is sealed to exactly the stored
//! recipients with every clinic-key version of the clinic replaced by the current one. So
//! the patient's own recipient (and any other non-clinic recipient) stays, nothing is
//! added, and the old versions (held by staff who may have left) are gone.
//!
//! A batch is all or nothing: any item that is malformed, not in the caller's reach,
//! unknown, or fails a check refuses the whole batch (400, 404 or 409, naming the item's
//! index), and nothing is written. An item identical to the stored text changes nothing (a
//! retried batch is harmless); an item whose stored text is already current only and differs
//! is refused (409 `not-stale`). Each changed text is an access event (`rewrap`) of its
//! patient, appended in the same transaction.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use bizing_core::api::{
    MAX_CORRECTION_LEN, MAX_NOTE_LEN, MAX_RESTRICTION_LEN, MAX_REWRAP_ITEMS, RewrapRequest, RewrapResponse, SealedKind,
    StaleItem, StaleQuery, StaleResponse,
};
use bizing_core::{Envelope, KeyId};

use crate::AppState;
use crate::access_log::{self, LogAction, LogResource, Who};
use crate::error::AppError;
use crate::extract::JsonBody;
use crate::session::{self, Authenticated};
use crate::store::{BookingScope, SealedColumn, SealedRow, SealedUpdate, TenantRow, UserRow};
use crate::vault::TenantKeys;

/// The largest rewrap request body: [`MAX_REWRAP_ITEMS`] envelopes of the largest size,
/// with room for the JSON around them.
pub const REWRAP_BODY_LIMIT: usize = MAX_REWRAP_ITEMS * (MAX_NOTE_LEN + 1024);

/// `GET /api/notes/stale?after=&limit=`: the sealed texts in the caller's reach still sealed
/// to an older clinic-key version, a page at a time, with how many remain. Each text listed
/// is an access event (`view`) of its patient.
///
/// # Errors
/// 403 `forbidden` (not a provider or admin holding the current version) or
/// `step-up-required`; 409 `no-clinic-key`; 400 `invalid-query`.
pub async fn stale(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    query: Result<Query<StaleQuery>, QueryRejection>,
) -> Result<Json<StaleResponse>, AppError> {
    let Query(query) = query.map_err(|e| AppError::bad_request("invalid-query", e.body_text()))?;
    let limit = usize::try_from(query.limit.unwrap_or(100)).unwrap_or(usize::MAX);
    if !(1..=MAX_REWRAP_ITEMS).contains(&limit) {
        return Err(AppError::bad_request("invalid-query", format!("limit must be 1 to {MAX_REWRAP_ITEMS}")));
    }
    let after = query.after.as_deref().map(parse_cursor).transpose()?;
    let caller = caller(&state, &s).await?;
    let stale: Vec<(SealedRow, Vec<u32>)> = caller
        .texts(&state)
        .await?
        .into_iter()
        .filter_map(|row| {
            let versions = caller.keys.clinic_versions(&row.envelope)?;
            caller.keys.is_stale(&versions).then_some((row, versions))
        })
        .collect();
    let remaining = u64::try_from(stale.len()).unwrap_or(u64::MAX);
    let mut page: Vec<&(SealedRow, Vec<u32>)> = stale
        .iter()
        .filter(|(row, _)| after.as_ref().is_none_or(|a| (row.column, row.id.as_str()) > (a.0, &a.1)))
        .collect();
    let more = page.len() > limit;
    page.truncate(limit);
    let events =
        page.iter().map(|(row, _)| caller.event(&state, row, LogAction::VIEW)).collect::<Result<Vec<_>, _>>()?;
    access_log::record_for(&state, &caller.tenant, &events).await?;
    let items: Vec<StaleItem> = page
        .iter()
        .map(|(row, versions)| StaleItem {
            kind: kind_of(row.column),
            id: row.id.clone(),
            booking_id: row.booking_id.clone(),
            envelope: row.envelope.clone(),
            key_versions: versions.clone(),
            cursor: cursor(row.column, &row.id),
        })
        .collect();
    let next = if more { items.last().map(|i| i.cursor.clone()) } else { None };
    Ok(Json(StaleResponse {
        current_version: caller.keys.current_version,
        current_key_id: caller.keys.current.to_string(),
        items,
        remaining,
        next,
    }))
}

/// `POST /api/notes/rewrap`: stores a batch of rewrapped texts, all or nothing (see the
/// module documentation for what is checked).
///
/// # Errors
/// 403 `forbidden` or `step-up-required`; 400 `invalid-body` (no items, too many, an item
/// twice), `invalid-envelope`, `envelope-too-large`, `content-changed`, `wrong-recipients`;
/// 404 `not-found` for an item that does not exist or is not in the caller's reach; 409
/// `no-clinic-key`, `key-rotated` (the batch was made for another version), `not-stale`,
/// `rewrap-conflict` (a text changed meanwhile).
pub async fn rewrap(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    JsonBody(req): JsonBody<RewrapRequest>,
) -> Result<Json<RewrapResponse>, AppError> {
    if req.items.is_empty() || req.items.len() > MAX_REWRAP_ITEMS {
        return Err(AppError::bad_request("invalid-body", format!("items must hold 1 to {MAX_REWRAP_ITEMS} texts")));
    }
    let caller = caller(&state, &s).await?;
    if req.version != caller.keys.current_version {
        return Err(AppError::Conflict {
            kind: "key-rotated",
            detail: format!(
                "the current clinic-key version is {}; list the stale texts again and rewrap to it",
                caller.keys.current_version
            ),
        });
    }
    let texts = caller.texts(&state).await?;
    let by_key: BTreeMap<(SealedColumn, &str), &SealedRow> =
        texts.iter().map(|row| ((row.column, row.id.as_str()), row)).collect();
    let mut seen = HashSet::new();
    let mut updates = Vec::new();
    let mut events = Vec::new();
    for (i, item) in req.items.iter().enumerate() {
        let column = column_of(item.kind);
        if !seen.insert((column, item.id.as_str())) {
            return Err(AppError::bad_request("invalid-body", format!("items[{i}]: each text at most once")));
        }
        let max = match column {
            SealedColumn::Note => MAX_NOTE_LEN,
            SealedColumn::Change | SealedColumn::Disagreement => MAX_CORRECTION_LEN,
            SealedColumn::Restriction => MAX_RESTRICTION_LEN,
        };
        if item.envelope.len() > max {
            return Err(AppError::bad_request(
                "envelope-too-large",
                format!("items[{i}].envelope must be at most {max} bytes"),
            ));
        }
        let new: Envelope = item.envelope.parse().map_err(|_| {
            AppError::bad_request("invalid-envelope", format!("items[{i}].envelope must be a sealed envelope (bze1.…)"))
        })?;
        // Unknown, another clinic's, another provider's: all alike.
        let row = by_key.get(&(column, item.id.as_str())).ok_or(AppError::NotFound)?;
        if row.envelope == item.envelope {
            continue;
        }
        let old: Envelope =
            row.envelope.parse().map_err(|e| AppError::Internal(format!("stored envelope {}: {e}", row.id)))?;
        let versions = caller.keys.clinic_versions(&row.envelope).unwrap_or_default();
        if !caller.keys.is_stale(&versions) {
            return Err(AppError::Conflict {
                kind: "not-stale",
                detail: format!("items[{i}] is sealed to the current clinic-key version already"),
            });
        }
        if !new.same_content(&old) {
            return Err(AppError::bad_request(
                "content-changed",
                format!("items[{i}]: a rewrap must keep the message id, flags and content of the stored envelope"),
            ));
        }
        let expected = caller.keys.expected_recipients(&old);
        let got: BTreeSet<KeyId> = new.recipients().into_iter().collect();
        if got != expected {
            return Err(AppError::bad_request(
                "wrong-recipients",
                format!(
                    "items[{i}] must be sealed to the stored recipients with the clinic's older versions replaced by \
                     the current one ({}): keep the patient's own recipient, add nobody",
                    caller.keys.current
                ),
            ));
        }
        events.push(caller.event(&state, row, LogAction::REWRAP)?);
        updates.push(SealedUpdate {
            column,
            id: row.id.clone(),
            old: row.envelope.clone(),
            new: item.envelope.clone(),
        });
    }
    if !updates.is_empty() {
        let log = access_log::prepare(&caller.tenant_keys, &events)?;
        state.store.store_rewrapped(&caller.tenant.id, i64::from(caller.keys.current_version), &updates, &log).await?;
        state
            .store
            .security_event(&caller.tenant.id, Some(&caller.user.id), "notes_rewrapped", state.clock.now())
            .await?;
    }
    let remaining = caller
        .texts(&state)
        .await?
        .iter()
        .filter(|row| caller.keys.clinic_versions(&row.envelope).is_some_and(|v| caller.keys.is_stale(&v)))
        .count();
    let remaining = u64::try_from(remaining).unwrap_or(u64::MAX);
    Ok(Json(RewrapResponse {
        rewrapped: u32::try_from(updates.len()).unwrap_or(u32::MAX),
        remaining,
        complete: remaining == 0,
    }))
}

/// The clinic's key versions, as the checks need them.
struct ClinicKeys {
    current_version: u32,
    current: KeyId,
    /// Every version's key id (the current one included).
    all: BTreeMap<KeyId, u32>,
}

impl ClinicKeys {
    /// The clinic-key versions a stored envelope is sealed to, ascending; `None` if it does
    /// not parse (it never should: texts are checked when stored).
    fn clinic_versions(&self, text: &str) -> Option<Vec<u32>> {
        let envelope: Envelope = text.parse().ok()?;
        let mut versions: Vec<u32> = envelope.recipients().iter().filter_map(|id| self.all.get(id).copied()).collect();
        versions.sort_unstable();
        Some(versions)
    }

    /// Stale: sealed to a version other than the current one. (A text sealed to no clinic
    /// key at all has nothing to rotate.)
    fn is_stale(&self, versions: &[u32]) -> bool {
        versions.iter().any(|v| *v != self.current_version)
    }

    /// What a rewrap of `old` must be sealed to: its recipients that are no clinic key,
    /// and the current version.
    fn expected_recipients(&self, old: &Envelope) -> BTreeSet<KeyId> {
        old.recipients()
            .into_iter()
            .filter(|id| !self.all.contains_key(id))
            .chain(std::iter::once(self.current))
            .collect()
    }
}

/// A provider or admin holding the current clinic-key version, with a recent step-up.
struct Caller {
    user: UserRow,
    tenant: TenantRow,
    tenant_keys: TenantKeys,
    who: Who,
    /// The provider record whose bookings a provider may rewrap; `None` for an admin (the
    /// whole clinic).
    provider_id: Option<String>,
    keys: ClinicKeys,
}

async fn caller(state: &AppState, s: &session::AnySession) -> Result<Caller, AppError> {
    let user = s.user.clone();
    if !matches!(user.role.as_str(), "provider" | "admin") {
        return Err(AppError::Forbidden);
    }
    session::require_step_up(state, s)?;
    let current = state.store.current_clinic_key(&user.tenant_id).await?.ok_or_else(|| AppError::Conflict {
        kind: "no-clinic-key",
        detail: "this clinic has no clinic key yet".into(),
    })?;
    let holds_current =
        state.store.clinic_key_shares_of(&user.tenant_id, &user.id).await?.iter().any(|k| k.version == current.version);
    if !holds_current {
        // Only someone who can open the current version may reseal notes to it.
        return Err(AppError::Forbidden);
    }
    let mut all = BTreeMap::new();
    for (version, key_id) in state.store.clinic_key_ids(&user.tenant_id).await? {
        let id: KeyId = key_id.parse().map_err(|e| AppError::Internal(format!("stored clinic key id: {e}")))?;
        all.insert(id, u32::try_from(version).map_err(|_| AppError::Internal("clinic key version".into()))?);
    }
    let keys = ClinicKeys {
        current_version: u32::try_from(current.version).map_err(|_| AppError::Internal("clinic key version".into()))?,
        current: current.key_id.parse().map_err(|e| AppError::Internal(format!("stored clinic key id: {e}")))?,
        all,
    };
    let provider_id = match user.role.as_str() {
        "provider" => {
            Some(state.store.provider_by_user(&user.tenant_id, &user.id).await?.map(|p| p.id).unwrap_or_default())
        }
        _ => None,
    };
    let tenant = state.store.tenant(&user.tenant_id).await?.ok_or(AppError::NotFound)?;
    let tenant_keys = state.master.tenant_keys(&tenant.id, &tenant.data_key_wrapped)?;
    let display_name = tenant_keys.decrypt("users", "name_enc", &user.id, &user.name_enc)?;
    let who = Who { user_id: user.id.clone(), role: user.role.clone(), display_name };
    Ok(Caller { user, tenant, tenant_keys, who, provider_id, keys })
}

impl Caller {
    /// The sealed texts in the caller's reach.
    async fn texts(&self, state: &AppState) -> Result<Vec<SealedRow>, AppError> {
        let scope = match &self.provider_id {
            Some(id) => BookingScope::Provider(id),
            None => BookingScope::Clinic,
        };
        state.store.sealed_texts(&self.tenant.id, scope).await
    }

    fn event(
        &self,
        state: &AppState,
        row: &SealedRow,
        action: LogAction,
    ) -> Result<bizing_core::AccessEvent, AppError> {
        let (kind, resource_id) = match row.column {
            SealedColumn::Note => (LogResource::NOTE, &row.booking_id),
            SealedColumn::Change | SealedColumn::Disagreement => (LogResource::CORRECTION, &row.id),
            SealedColumn::Restriction => (LogResource::RESTRICTION, &row.id),
        };
        access_log::event(
            state,
            &self.tenant.id,
            access_log::Access { patient_id: &row.patient_id, who: &self.who, kind, resource_id, action, from: "api" },
        )
    }
}

fn kind_of(column: SealedColumn) -> SealedKind {
    match column {
        SealedColumn::Note => SealedKind::Note,
        SealedColumn::Change => SealedKind::Correction,
        SealedColumn::Disagreement => SealedKind::Disagreement,
        SealedColumn::Restriction => SealedKind::Restriction,
    }
}

fn column_of(kind: SealedKind) -> SealedColumn {
    match kind {
        SealedKind::Note => SealedColumn::Note,
        SealedKind::Correction => SealedColumn::Change,
        SealedKind::Disagreement => SealedColumn::Disagreement,
        SealedKind::Restriction => SealedColumn::Restriction,
    }
}

/// `note:<id>`, `correction:<id>`, `disagreement:<id>`, `restriction:<id>`.
fn cursor(column: SealedColumn, id: &str) -> String {
    let kind = match column {
        SealedColumn::Note => "note",
        SealedColumn::Change => "correction",
        SealedColumn::Disagreement => "disagreement",
        SealedColumn::Restriction => "restriction",
    };
    format!("{kind}:{id}")
}

fn parse_cursor(text: &str) -> Result<(SealedColumn, String), AppError> {
    let bad = || AppError::bad_request("invalid-query", "after must be the cursor of a listed item");
    let (kind, id) = text.split_once(':').ok_or_else(bad)?;
    let column = match kind {
        "note" => SealedColumn::Note,
        "correction" => SealedColumn::Change,
        "disagreement" => SealedColumn::Disagreement,
        "restriction" => SealedColumn::Restriction,
        _ => return Err(bad()),
    };
    Ok((column, id.to_owned()))
}
