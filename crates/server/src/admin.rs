//! Clinic administration, for the clinic's admins: staff invitations, roles and removal,
//! clinic settings, services, providers and weekly schedules (`/api/admin/…`).
//!
//! Every endpoint takes a fully signed-in session (second factor given) of a current admin
//! of the clinic; other roles get 403. Ids are looked up within the caller's clinic only, so
//! another clinic's id is 404, like one that does not exist. Granting or taking away access
//! (inviting, changing a role, removing someone) also needs a recent second factor
//! ([`crate::session::require_step_up`]). Every write records a security event naming the
//! admin.
//!
//! **Invitations.** An invitation is a random 256-bit token shown once to the admin; the
//! server keeps only its SHA-256, the invited email's blind index and the email encrypted.
//! The invitee registers with the ordinary zero-knowledge body plus `invitation`
//! (`POST /api/auth/register`) and gets the invited role. A token works once, for seven days,
//! for that clinic and that email; any other use is one answer, `invalid-invitation`.
//!
//! **Removal.** A removed staff member's account is disabled (it then signs in like a wrong
//! password), its sessions end, its clinic-key copies are deleted and its provider record stops
//! being bookable; bookings stay. When they held the current clinic key, the answer says so
//! (`rotateClinicKey`): they may have kept the key, so the admin's client publishes the next
//! version shared with the remaining providers and admins.

use std::collections::HashSet;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use base64ct::{Base64UrlUnpadded, Encoding};
use bizing_core::api::{
    AdminProvider, AdminProvidersResponse, AdminService, AdminServicesResponse, ChangeRole, ClinicSettings,
    CreateInvitation, CreateProvider, CreateService, INVITATION_TTL_SECS, Invitation, InvitationCreated,
    InvitationsResponse, MAX_ALLOWED_ORIGINS, MAX_SCHEDULE_WINDOWS, MAX_SERVICE_MINUTES, MIN_SERVICE_MINUTES,
    RoleChanged, ScheduleWindow, StaffAccount, StaffListResponse, StaffRemoved, StaffRole, UpdateProvider,
    UpdateService, WeeklySchedule,
};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::AppState;
use crate::error::AppError;
use crate::extract::JsonBody;
use crate::session::{AnySession, Authenticated, require_step_up};
use crate::store::{
    ClinicSettingsRow, InvitationRow, NewInvitation, NewUser, ProviderRow, ScheduleRow, ServiceRow, UserRow,
    invalid_invitation,
};
use crate::vault::TenantKeys;

/// The longest name (clinic, service, provider) accepted, in characters.
const MAX_NAME_CHARS: usize = 200;

/// The signed-in caller, if a current admin of their clinic; 403 otherwise.
fn admin(s: &AnySession) -> Result<UserRow, AppError> {
    let user = s.user.clone();
    if user.role != "admin" || user.disabled_at.is_some() {
        return Err(AppError::Forbidden);
    }
    Ok(user)
}

async fn tenant_keys(state: &AppState, tenant_id: &str) -> Result<TenantKeys, AppError> {
    let tenant = state.store.tenant(tenant_id).await?.ok_or(AppError::NotFound)?;
    state.master.tenant_keys(&tenant.id, &tenant.data_key_wrapped)
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

// ---------------------------------------------------------------------------------------
// Invitations

/// `POST /api/admin/invitations` (admin, step-up): invites a staff member. 201 with the
/// invitation and its token, shown this once. A pending invitation for the same email is
/// replaced.
///
/// # Errors
/// 403 `forbidden`, `step-up-required`; 400 `invalid-body` (email, a provider name on a
/// non-provider invitation); 409 `account-exists` if the clinic has an account with that
/// email.
pub async fn create_invitation(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    JsonBody(req): JsonBody<CreateInvitation>,
) -> Result<(StatusCode, Json<InvitationCreated>), AppError> {
    let admin = admin(&s)?;
    require_step_up(&state, &s)?;
    let email = crate::auth::checked_email(&req.email)?;
    let provider_name = match req.provider_name {
        None => None,
        Some(_) if req.role != StaffRole::Provider => {
            return Err(AppError::bad_request("invalid-body", "providerName is only for provider invitations"));
        }
        Some(name) => Some(clean_name("providerName", &name)?),
    };
    let keys = tenant_keys(&state, &admin.tenant_id).await?;
    let mut raw = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::fill(raw.as_mut_slice()).map_err(|_| AppError::Internal("rng".into()))?;
    let token = Base64UrlUnpadded::encode_string(raw.as_slice());
    let id = crate::auth::new_id()?;
    let now = state.clock.now();
    let invitation = NewInvitation {
        id: id.clone(),
        tenant_id: admin.tenant_id.clone(),
        token_hash: token_hash(&token),
        email_index: keys.email_index(&email),
        email_enc: keys.encrypt("staff_invitations", "email_enc", &id, &email)?,
        role: req.role.as_str().into(),
        provider_name: provider_name.clone(),
        created_by: admin.id.clone(),
        expires_at: now + INVITATION_TTL_SECS,
    };
    state.store.create_invitation(&invitation, now).await?;
    let invitation =
        Invitation { id, email, role: req.role, provider_name, created_at: now, expires_at: invitation.expires_at };
    Ok((StatusCode::CREATED, Json(InvitationCreated { invitation, token })))
}

/// `GET /api/admin/invitations` (admin): the invitations that can still be accepted.
///
/// # Errors
/// 403 `forbidden`.
pub async fn invitations(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
) -> Result<Json<InvitationsResponse>, AppError> {
    let admin = admin(&s)?;
    let keys = tenant_keys(&state, &admin.tenant_id).await?;
    let invitations = state
        .store
        .pending_invitations(&admin.tenant_id, state.clock.now())
        .await?
        .iter()
        .map(|row| wire_invitation(&keys, row))
        .collect::<Result<_, _>>()?;
    Ok(Json(InvitationsResponse { invitations }))
}

/// `DELETE /api/admin/invitations/{id}` (admin): revokes a pending invitation. 204.
///
/// # Errors
/// 403 `forbidden`; 404 unless a pending invitation of this clinic.
pub async fn revoke_invitation(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let admin = admin(&s)?;
    if !state.store.revoke_invitation(&admin.tenant_id, &id, &admin.id, state.clock.now()).await? {
        return Err(AppError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Registration with an invitation: checks the token against the new account (same clinic,
/// same email by blind index, still pending), gives the account the invited role, and
/// stores it with the invitation accepted (and the provider record it carries) in one
/// transaction.
///
/// # Errors
/// 400 `invalid-invitation`, the same whatever is wrong; 409 `account-exists`; database
/// errors.
pub(crate) async fn register_invited(
    state: &AppState,
    token: &str,
    user: &mut NewUser,
    now: i64,
) -> Result<(), AppError> {
    let found = state.store.invitation_by_token(&user.tenant_id, &token_hash(token)).await?;
    let invitation = match found {
        Some(inv) if is_pending(&inv, now) && bool::from(inv.email_index.ct_eq(&user.email_index)) => inv,
        _ => {
            state.store.security_event(&user.tenant_id, None, "invitation_refused", now).await?;
            return Err(invalid_invitation());
        }
    };
    user.role.clone_from(&invitation.role);
    let provider = match &invitation.provider_name {
        Some(name) => Some(ProviderRow {
            id: crate::auth::new_id()?,
            tenant_id: user.tenant_id.clone(),
            user_id: user.id.clone(),
            display_name: name.clone(),
            active: true,
        }),
        None => None,
    };
    state.store.accept_invitation(&invitation.id, user, provider.as_ref(), now).await
}

fn is_pending(inv: &InvitationRow, now: i64) -> bool {
    inv.accepted_at.is_none() && inv.revoked_at.is_none() && inv.expires_at > now
}

fn wire_invitation(keys: &TenantKeys, row: &InvitationRow) -> Result<Invitation, AppError> {
    Ok(Invitation {
        id: row.id.clone(),
        email: keys.decrypt("staff_invitations", "email_enc", &row.id, &row.email_enc)?,
        role: stored_role(&row.role)?,
        provider_name: row.provider_name.clone(),
        created_at: row.created_at,
        expires_at: row.expires_at,
    })
}

fn stored_role(role: &str) -> Result<StaffRole, AppError> {
    StaffRole::from_name(role).ok_or_else(|| AppError::Internal(format!("stored staff role {role}")))
}

// ---------------------------------------------------------------------------------------
// Staff

/// `GET /api/admin/staff` (admin): the clinic's current staff.
///
/// # Errors
/// 403 `forbidden`.
pub async fn staff(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
) -> Result<Json<StaffListResponse>, AppError> {
    let admin = admin(&s)?;
    Ok(Json(StaffListResponse { staff: staff_accounts(&state, &admin.tenant_id).await? }))
}

/// `PUT /api/admin/staff/{id}/role` (admin, step-up): changes a staff member's role. A
/// member who stops being a provider is no longer bookable; one made a receptionist loses
/// their clinic-key copies (`rotateClinicKey` when they held the current one).
///
/// # Errors
/// 403 `forbidden`, `step-up-required`; 404 for patients, removed staff and unknown ids; 409
/// `last-admin` (the clinic's only admin cannot stop being one).
pub async fn change_role(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<ChangeRole>,
) -> Result<Json<RoleChanged>, AppError> {
    let admin = admin(&s)?;
    require_step_up(&state, &s)?;
    let rotate_clinic_key =
        state.store.change_role(&admin.tenant_id, &id, req.role.as_str(), &admin.id, state.clock.now()).await?;
    let member = staff_accounts(&state, &admin.tenant_id)
        .await?
        .into_iter()
        .find(|m| m.user_id == id)
        .ok_or_else(|| AppError::Internal("changed staff member".into()))?;
    Ok(Json(RoleChanged { member, rotate_clinic_key }))
}

/// `DELETE /api/admin/staff/{id}` (admin, step-up): removes a staff member (see the module
/// documentation).
///
/// # Errors
/// 403 `forbidden`, `step-up-required`; 404 for patients, removed staff and unknown ids; 409
/// `last-admin`.
pub async fn remove_staff(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<StaffRemoved>, AppError> {
    let admin = admin(&s)?;
    require_step_up(&state, &s)?;
    let rotate_clinic_key = state.store.remove_staff(&admin.tenant_id, &id, &admin.id, state.clock.now()).await?;
    Ok(Json(StaffRemoved { user_id: id, rotate_clinic_key }))
}

async fn staff_accounts(state: &AppState, tenant_id: &str) -> Result<Vec<StaffAccount>, AppError> {
    let keys = tenant_keys(state, tenant_id).await?;
    let current = state.store.current_clinic_key(tenant_id).await?.map(|k| k.version);
    let holders: HashSet<String> = state
        .store
        .clinic_key_holders(tenant_id)
        .await?
        .into_iter()
        .filter(|(_, version)| Some(*version) == current)
        .map(|(user_id, _)| user_id)
        .collect();
    let mut staff = Vec::new();
    for row in state.store.staff_members(tenant_id).await? {
        staff.push(StaffAccount {
            role: stored_role(&row.role)?,
            name: keys.decrypt("users", "name_enc", &row.id, &row.name_enc)?,
            email: keys.decrypt("users", "email_enc", &row.id, &row.email_enc)?,
            provider_id: row.provider_id,
            holds_current_clinic_key: holders.contains(&row.id),
            user_id: row.id,
        });
    }
    staff.sort_by(|a, b| (&a.name, &a.user_id).cmp(&(&b.name, &b.user_id)));
    Ok(staff)
}

// ---------------------------------------------------------------------------------------
// Clinic settings

/// `GET /api/admin/clinic` (admin)
///
/// # Errors
/// 403 `forbidden`.
pub async fn clinic(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
) -> Result<Json<ClinicSettings>, AppError> {
    let admin = admin(&s)?;
    let row = state.store.clinic_settings(&admin.tenant_id).await?.ok_or(AppError::NotFound)?;
    Ok(Json(wire_settings(row)))
}

/// `PUT /api/admin/clinic` (admin): replaces the clinic's name, time zone and allowed widget
/// origins; answers with them as stored (normalized).
///
/// # Errors
/// 403 `forbidden`; 400 `invalid-body` (name), `invalid-time-zone`, `invalid-origin`.
pub async fn update_clinic(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    JsonBody(req): JsonBody<ClinicSettings>,
) -> Result<Json<ClinicSettings>, AppError> {
    let admin = admin(&s)?;
    let name = clean_name("name", &req.name)?;
    let time_zone = checked_time_zone(&req.time_zone)?;
    let allowed_origins = checked_origins(&req.allowed_origins)?;
    let row = ClinicSettingsRow { name, time_zone, allowed_origins };
    state.store.set_clinic_settings(&admin.tenant_id, &row, &admin.id, state.clock.now()).await?;
    Ok(Json(wire_settings(row)))
}

fn wire_settings(row: ClinicSettingsRow) -> ClinicSettings {
    ClinicSettings { name: row.name, time_zone: row.time_zone, allowed_origins: row.allowed_origins }
}

/// The canonical IANA name of a time zone.
///
/// # Errors
/// 400 `invalid-time-zone` unless an IANA time zone name.
pub fn checked_time_zone(text: &str) -> Result<String, AppError> {
    let bad = || {
        AppError::bad_request(
            "invalid-time-zone",
            "timeZone must be an IANA time zone name, e.g. America/New_York or Europe/Berlin",
        )
    };
    if text.is_empty() || text.len() > 64 || !text.bytes().all(|b| b.is_ascii_alphanumeric() || b"/_+-".contains(&b)) {
        return Err(bad());
    }
    let tz = jiff::tz::TimeZone::get(text).map_err(|_| bad())?;
    Ok(tz.iana_name().unwrap_or(text).to_owned())
}

/// Normalized, de-duplicated origins, in the order given.
///
/// # Errors
/// 400 `invalid-origin` for more than [`MAX_ALLOWED_ORIGINS`] or any origin
/// [`normalize_origin`] refuses (the detail names it by position).
pub fn checked_origins(origins: &[String]) -> Result<Vec<String>, AppError> {
    if origins.len() > MAX_ALLOWED_ORIGINS {
        return Err(AppError::bad_request(
            "invalid-origin",
            format!("allowedOrigins may list at most {MAX_ALLOWED_ORIGINS} origins"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(origins.len());
    for (i, origin) in origins.iter().enumerate() {
        let origin = normalize_origin(origin)
            .map_err(|why| AppError::bad_request("invalid-origin", format!("allowedOrigins[{i}]: {why}")))?;
        if !out.contains(&origin) {
            out.push(origin);
        }
    }
    Ok(out)
}

/// An origin allowed to embed the widget, normalized: `https://host[:port]`, or
/// `http://localhost[:port]` / `http://127.0.0.1[:port]`; scheme and host lowercased, the
/// default port and one trailing `/` dropped. Hosts are DNS names (ASCII; IDNs as punycode)
/// or IPv4 addresses; no IPv6 literals, user info, paths, queries, fragments or wildcards.
///
/// # Errors
/// Why `text` is not such an origin.
pub fn normalize_origin(text: &str) -> Result<String, &'static str> {
    let text = text.strip_suffix('/').unwrap_or(text);
    let lower = text.to_ascii_lowercase();
    let (scheme, rest) = if let Some(rest) = lower.strip_prefix("https://") {
        ("https", rest)
    } else if let Some(rest) = lower.strip_prefix("http://") {
        ("http", rest)
    } else {
        return Err("an origin starts with https:// (or http:// for localhost)");
    };
    if rest.contains(['/', '?', '#']) {
        return Err("an origin has no path, query or fragment");
    }
    if rest.contains('@') {
        return Err("an origin has no user name or password");
    }
    if rest.starts_with('[') {
        return Err("IPv6 addresses are not supported; use a host name");
    }
    let (host, port) = match rest.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (rest, None),
    };
    if !valid_host(host) {
        return Err("the host must be a DNS name or an IPv4 address (no wildcards)");
    }
    let port = match port {
        None => None,
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => match p.parse::<u16>() {
            Ok(n) if n > 0 => Some(n),
            _ => return Err("the port must be 1 to 65535"),
        },
        Some(_) => return Err("the port must be 1 to 65535"),
    };
    if scheme == "http" && host != "localhost" && host != "127.0.0.1" {
        return Err("http:// is allowed for localhost and 127.0.0.1 only; use https://");
    }
    let default_port = if scheme == "https" { 443 } else { 80 };
    Ok(match port {
        Some(p) if p != default_port => format!("{scheme}://{host}:{p}"),
        _ => format!("{scheme}://{host}"),
    })
}

/// A lowercase DNS host name (LDH labels of 1 to 63 characters, 253 in all) or an IPv4
/// address in dotted decimal.
fn valid_host(host: &str) -> bool {
    if host.is_empty() || host.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = host.split('.').collect();
    let all_numeric = labels.iter().all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()));
    if all_numeric {
        return host.parse::<std::net::Ipv4Addr>().is_ok();
    }
    labels.iter().all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    })
}

// ---------------------------------------------------------------------------------------
// Services

/// `GET /api/admin/services` (admin): every service, inactive ones included.
///
/// # Errors
/// 403 `forbidden`.
pub async fn services(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
) -> Result<Json<AdminServicesResponse>, AppError> {
    let admin = admin(&s)?;
    let services = state.store.all_services(&admin.tenant_id).await?.into_iter().map(wire_service).collect();
    Ok(Json(AdminServicesResponse { services }))
}

/// `POST /api/admin/services` (admin): a new bookable service. 201.
///
/// # Errors
/// 403 `forbidden`; 400 `invalid-body` (name, duration).
pub async fn create_service(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    JsonBody(req): JsonBody<CreateService>,
) -> Result<(StatusCode, Json<AdminService>), AppError> {
    let admin = admin(&s)?;
    let row = ServiceRow {
        id: crate::auth::new_id()?,
        tenant_id: admin.tenant_id.clone(),
        name: clean_name("name", &req.name)?,
        duration_minutes: checked_duration(req.duration_minutes)?,
        active: true,
    };
    if !state.store.write_service(&row, false, &admin.id, state.clock.now()).await? {
        return Err(AppError::Internal("service insert".into()));
    }
    Ok((StatusCode::CREATED, Json(wire_service(row))))
}

/// `PUT /api/admin/services/{id}` (admin): replaces a service's name, duration and
/// whether it can be booked.
///
/// # Errors
/// 403 `forbidden`; 404; 400 `invalid-body`.
pub async fn update_service(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<UpdateService>,
) -> Result<Json<AdminService>, AppError> {
    let admin = admin(&s)?;
    let row = ServiceRow {
        id,
        tenant_id: admin.tenant_id.clone(),
        name: clean_name("name", &req.name)?,
        duration_minutes: checked_duration(req.duration_minutes)?,
        active: req.active,
    };
    write_existing_service(&state, &admin, row).await
}

/// `DELETE /api/admin/services/{id}` (admin): deactivates a service (its bookings stay; it
/// can be reactivated with `PUT`). Answers with the service.
///
/// # Errors
/// 403 `forbidden`; 404.
pub async fn deactivate_service(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<AdminService>, AppError> {
    let admin = admin(&s)?;
    let row = state.store.service(&admin.tenant_id, &id).await?.ok_or(AppError::NotFound)?;
    write_existing_service(&state, &admin, ServiceRow { active: false, ..row }).await
}

async fn write_existing_service(
    state: &AppState,
    admin: &UserRow,
    row: ServiceRow,
) -> Result<Json<AdminService>, AppError> {
    if !state.store.write_service(&row, true, &admin.id, state.clock.now()).await? {
        return Err(AppError::NotFound);
    }
    Ok(Json(wire_service(row)))
}

fn wire_service(s: ServiceRow) -> AdminService {
    AdminService {
        id: s.id,
        name: s.name,
        duration_minutes: u32::try_from(s.duration_minutes).unwrap_or(0),
        active: s.active,
    }
}

fn checked_duration(minutes: u32) -> Result<i64, AppError> {
    if !(MIN_SERVICE_MINUTES..=MAX_SERVICE_MINUTES).contains(&minutes) {
        return Err(AppError::bad_request(
            "invalid-body",
            format!("durationMinutes must be {MIN_SERVICE_MINUTES} to {MAX_SERVICE_MINUTES}"),
        ));
    }
    Ok(i64::from(minutes))
}

// ---------------------------------------------------------------------------------------
// Providers and schedules

/// `GET /api/admin/providers` (admin): every provider, inactive ones included.
///
/// # Errors
/// 403 `forbidden`.
pub async fn providers(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
) -> Result<Json<AdminProvidersResponse>, AppError> {
    let admin = admin(&s)?;
    let providers = state.store.all_providers(&admin.tenant_id).await?.into_iter().map(wire_provider).collect();
    Ok(Json(AdminProvidersResponse { providers }))
}

/// `POST /api/admin/providers` (admin): makes a provider-role staff member bookable. 201.
///
/// # Errors
/// 403 `forbidden`; 400 `invalid-body`, `unknown-user` (not a current provider-role account
/// of this clinic); 409 `provider-exists`.
pub async fn create_provider(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    JsonBody(req): JsonBody<CreateProvider>,
) -> Result<(StatusCode, Json<AdminProvider>), AppError> {
    let admin = admin(&s)?;
    let row = ProviderRow {
        id: crate::auth::new_id()?,
        tenant_id: admin.tenant_id.clone(),
        user_id: req.user_id,
        display_name: clean_name("displayName", &req.display_name)?,
        active: true,
    };
    state.store.create_provider(&row, &admin.id, state.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(wire_provider(row))))
}

/// `PUT /api/admin/providers/{id}` (admin): the display name and whether they can be booked.
///
/// # Errors
/// 403 `forbidden`; 404; 400 `invalid-body`; 409 `provider-account-inactive` (activating a
/// provider whose account was removed or is no longer a provider).
pub async fn update_provider(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<UpdateProvider>,
) -> Result<Json<AdminProvider>, AppError> {
    let admin = admin(&s)?;
    let name = clean_name("displayName", &req.display_name)?;
    set_provider(&state, &admin, &id, &name, req.active).await
}

/// `DELETE /api/admin/providers/{id}` (admin): makes a provider unbookable (bookings stay).
/// Answers with the provider.
///
/// # Errors
/// 403 `forbidden`; 404.
pub async fn deactivate_provider(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<AdminProvider>, AppError> {
    let admin = admin(&s)?;
    let row = state.store.provider(&admin.tenant_id, &id).await?.ok_or(AppError::NotFound)?;
    set_provider(&state, &admin, &id, &row.display_name, false).await
}

async fn set_provider(
    state: &AppState,
    admin: &UserRow,
    id: &str,
    name: &str,
    active: bool,
) -> Result<Json<AdminProvider>, AppError> {
    if !state.store.update_provider(&admin.tenant_id, id, name, active, &admin.id, state.clock.now()).await? {
        return Err(AppError::NotFound);
    }
    let row = state.store.provider(&admin.tenant_id, id).await?.ok_or(AppError::NotFound)?;
    Ok(Json(wire_provider(row)))
}

/// `GET /api/admin/providers/{id}/schedule` (admin)
///
/// # Errors
/// 403 `forbidden`; 404.
pub async fn schedule(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<WeeklySchedule>, AppError> {
    let admin = admin(&s)?;
    state.store.provider(&admin.tenant_id, &id).await?.ok_or(AppError::NotFound)?;
    let windows = state.store.weekly_schedule(&admin.tenant_id, &id).await?;
    Ok(Json(wire_schedule(&windows)?))
}

/// `PUT /api/admin/providers/{id}/schedule` (admin): replaces the weekly schedule. Bookings
/// already made keep their times.
///
/// # Errors
/// 403 `forbidden`; 404; 400 `invalid-schedule`.
pub async fn set_schedule(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<WeeklySchedule>,
) -> Result<Json<WeeklySchedule>, AppError> {
    let admin = admin(&s)?;
    let windows = checked_schedule(&req.windows)?;
    if !state.store.replace_schedule(&admin.tenant_id, &id, &windows, &admin.id, state.clock.now()).await? {
        return Err(AppError::NotFound);
    }
    Ok(Json(wire_schedule(&windows)?))
}

fn wire_provider(p: ProviderRow) -> AdminProvider {
    AdminProvider { id: p.id, user_id: p.user_id, display_name: p.display_name, active: p.active }
}

/// Schedule windows as stored, by weekday and start.
///
/// # Errors
/// 400 `invalid-schedule`: too many windows, a weekday outside 0..=6, a time that is not
/// `HH:MM`, an end not after its start, or two windows of one day that overlap.
pub fn checked_schedule(windows: &[ScheduleWindow]) -> Result<Vec<ScheduleRow>, AppError> {
    let bad = |detail: String| AppError::bad_request("invalid-schedule", detail);
    if windows.len() > MAX_SCHEDULE_WINDOWS {
        return Err(bad(format!("at most {MAX_SCHEDULE_WINDOWS} windows")));
    }
    let mut rows = Vec::with_capacity(windows.len());
    for (i, w) in windows.iter().enumerate() {
        if w.weekday > 6 {
            return Err(bad(format!("windows[{i}].weekday must be 0 (Sunday) to 6 (Saturday)")));
        }
        let start = parse_hhmm(&w.start)
            .filter(|m| *m < 1440)
            .ok_or_else(|| bad(format!("windows[{i}].start must be HH:MM, 00:00 to 23:59")))?;
        let end = parse_hhmm(&w.end)
            .filter(|m| *m > start)
            .ok_or_else(|| bad(format!("windows[{i}].end must be HH:MM after start (24:00 at the latest)")))?;
        rows.push(ScheduleRow { weekday: i64::from(w.weekday), start_minute: start, end_minute: end });
    }
    rows.sort_by_key(|r| (r.weekday, r.start_minute));
    for pair in rows.windows(2) {
        if let [a, b] = pair
            && a.weekday == b.weekday
            && b.start_minute < a.end_minute
        {
            return Err(bad(format!("two windows overlap on weekday {}", a.weekday)));
        }
    }
    Ok(rows)
}

/// Minutes since midnight of `HH:MM` (`24:00` is 1440).
fn parse_hhmm(text: &str) -> Option<i64> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = (h.parse::<i64>().ok()?, m.parse::<i64>().ok()?);
    let minute = h * 60 + m;
    (m < 60 && minute <= 1440).then_some(minute)
}

fn hhmm(minute: i64) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn wire_schedule(rows: &[ScheduleRow]) -> Result<WeeklySchedule, AppError> {
    let windows = rows
        .iter()
        .map(|r| {
            Ok(ScheduleWindow {
                weekday: u8::try_from(r.weekday).map_err(|_| AppError::Internal("stored weekday".into()))?,
                start: hhmm(r.start_minute),
                end: hhmm(r.end_minute),
            })
        })
        .collect::<Result<_, AppError>>()?;
    Ok(WeeklySchedule { windows })
}

/// A name as stored: trimmed, 1 to 200 characters, no control characters. Anything else is
/// kept verbatim (it is bound as a parameter, never spliced into SQL or markup here).
fn clean_name(field: &str, text: &str) -> Result<String, AppError> {
    let name = text.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(AppError::bad_request(
            "invalid-body",
            format!("{field} must be 1 to {MAX_NAME_CHARS} characters, without control characters"),
        ));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_validated_and_normalized() {
        for (input, expected) in [
            ("https://clinic.example", "https://clinic.example"),
            ("HTTPS://Clinic.Example/", "https://clinic.example"),
            ("https://clinic.example:443", "https://clinic.example"),
            ("https://clinic.example:8443", "https://clinic.example:8443"),
            ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example"),
            ("https://10.0.0.7", "https://10.0.0.7"),
            ("http://localhost:8081", "http://localhost:8081"),
            ("http://127.0.0.1:8081", "http://127.0.0.1:8081"),
            ("http://localhost:80", "http://localhost"),
        ] {
            assert_eq!(normalize_origin(input).as_deref(), Ok(expected), "{input}");
        }
        for input in [
            "",
            "clinic.example",
            "ftp://clinic.example",
            "http://clinic.example",
            "http://192.168.1.2",
            "https://*.clinic.example",
            "https://clinic.example/widget",
            "https://clinic.example//",
            "https://clinic.example?x=1",
            "https://clinic.example#x",
            "https://user@clinic.example",
            "https://[::1]",
            "https://clinic.example:0",
            "https://clinic.example:65536",
            "https://clinic.example:",
            "https://clinic.example:+1",
            "https://-clinic.example",
            "https://clinic..example",
            "https://clinic.example.",
            "https://bücher.example",
            "https://999.1.1.1",
            "https://clinic.example; script-src *",
            "https://clinic.example 'unsafe-inline'",
            "https:// clinic.example",
        ] {
            assert!(normalize_origin(input).is_err(), "{input:?} was accepted");
        }
    }

    #[test]
    fn times_of_day() {
        assert_eq!(parse_hhmm("00:00"), Some(0));
        assert_eq!(parse_hhmm("09:30"), Some(570));
        assert_eq!(parse_hhmm("24:00"), Some(1440));
        for bad in ["24:01", "9:30", "09:60", "0930", "09:3", "+9:30", "09:30 ", "25:00"] {
            assert_eq!(parse_hhmm(bad), None, "{bad}");
        }
        assert_eq!(hhmm(1440), "24:00");
        assert_eq!(hhmm(545), "09:05");
    }

    #[test]
    fn time_zones() {
        assert_eq!(checked_time_zone("Europe/Berlin").unwrap(), "Europe/Berlin");
        assert_eq!(checked_time_zone("UTC").unwrap(), "UTC");
        for bad in ["", "Mars/Olympus_Mons", "EST5EDT,M3.2.0,M11.1.0", "../../etc/passwd", "Europe/Berlin\n"] {
            assert!(checked_time_zone(bad).is_err(), "{bad:?}");
        }
    }
}
