//! Registration, pre-login, login, the second factor, and logout.
//!
//! Zero-knowledge: the client derives an auth key and a wrap key from the password; the
//! server keeps an Argon2id hash of the auth key and the private key wrapped under the wrap
//! key, and could derive nothing from either.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64ct::{Base64UrlUnpadded, Encoding};
use bizing_core::api::{
    LoginRequest, LoginResponse, Me, MfaRequest, PreloginRequest, PreloginResponse, RecoverySlot,
    RegenerateRecoveryCodes, RegisterRequest, SessionStatus, TotpEnrollResponse, WidgetSessionResponse,
};
use bizing_core::totp::Window;
use bizing_core::{KdfParams, PublicKey, RecoveryCode, RecoveryCodeHash, Totp, TotpParams, TotpSecret, WrappedKey};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::AppState;
use crate::access_log;
use crate::error::AppError;
use crate::extract::JsonBody;
use crate::session::{self, AnySession, Authenticated, CheckedSession};
use crate::store::{NewUser, UserRow};
use crate::vault::normalize_email;

/// Failed second-factor (or password) attempts before the account locks.
pub const MAX_FAILURES: i64 = 5;
/// How long a lock lasts.
pub const LOCK_SECS: i64 = 15 * 60;
/// Recovery codes an account must register.
const RECOVERY_CODES: usize = 10;

fn argon() -> argon2::Argon2<'static> {
    // OWASP's Argon2id floor; the input is a 256-bit key, so this guards only against a
    // stolen database being used to test guesses of weak passwords offline.
    let params = argon2::Params::new(19 * 1024, 2, 1, Some(32)).unwrap_or_default();
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

/// The Argon2id PHC string the server stores for an auth key.
///
/// # Errors
/// Internal if the RNG or Argon2 fails.
pub fn hash_auth_key(auth_key: &[u8]) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|_| AppError::Internal("rng".into()))?;
    argon()
        .hash_password_with_salt(auth_key, &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("argon2: {e}")))
}

/// An Argon2id hash of random bytes, verified against when the account does not exist.
///
/// # Errors
/// Internal if hashing fails.
pub fn dummy_hash() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| AppError::Internal("rng".into()))?;
    hash_auth_key(&bytes)
}

/// Checks that `text` is a wrapped key holding the private half of `public_key`, so an
/// account cannot be registered with a wrap the client could never unwrap to its key.
fn check_wraps_key(text: &str, public_key: &PublicKey, field: &str) -> Result<(), AppError> {
    let wrapped: WrappedKey =
        text.parse().map_err(|_| AppError::bad_request("invalid-body", format!("{field} is not a wrapped key")))?;
    if wrapped.key_id() != public_key.key_id() {
        return Err(AppError::bad_request("invalid-body", format!("{field} does not hold the key of publicKey")));
    }
    Ok(())
}

fn decode_b64(field: &'static str, text: &str) -> Result<Vec<u8>, AppError> {
    Base64UrlUnpadded::decode_vec(text)
        .map_err(|_| AppError::bad_request("invalid-body", format!("{field} must be base64url")))
}

async fn tenant_keys(state: &AppState, tenant_id: &str) -> Result<crate::vault::TenantKeys, AppError> {
    let tenant = state.store.tenant(tenant_id).await?.ok_or(AppError::NotFound)?;
    state.master.tenant_keys(&tenant.id, &tenant.data_key_wrapped)
}

/// `POST /api/auth/prelogin`
pub async fn prelogin(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<PreloginRequest>,
) -> Result<Json<PreloginResponse>, AppError> {
    let keys = tenant_keys(&state, &req.tenant_id).await?;
    if let Some(user) = state.store.user_by_email(&req.tenant_id, &keys.email_index(&req.email)).await?
        && user.disabled_at.is_none()
    {
        return Ok(Json(PreloginResponse { kdf_params: user.kdf_params }));
    }
    // Unknown email (or a removed account): the same answer every time, shaped like a real one.
    Ok(Json(PreloginResponse { kdf_params: state.fake_kdf_params(&req.tenant_id, &req.email)? }))
}

/// The normalized form of an email address, if it looks like one.
///
/// # Errors
/// 400 `invalid-body` otherwise.
pub(crate) fn checked_email(text: &str) -> Result<String, AppError> {
    let email = normalize_email(text);
    if email.len() > 254 || !email.contains('@') || email.chars().any(char::is_control) {
        return Err(AppError::bad_request("invalid-body", "email is not an email address"));
    }
    Ok(email)
}

/// `POST /api/auth/register`: creates a patient account, or with `invitation` a staff
/// account with the invited role (see [`crate::admin`]), and starts a session whose next
/// step is TOTP enrollment.
pub async fn register(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<RegisterRequest>,
) -> Result<Response, AppError> {
    let keys = tenant_keys(&state, &req.tenant_id).await?;
    let email = checked_email(&req.email)?;
    if req.name.trim().is_empty() || req.name.len() > 200 {
        return Err(AppError::bad_request("invalid-body", "name must be 1 to 200 characters"));
    }
    req.kdf_params
        .parse::<KdfParams>()
        .map_err(|e| AppError::bad_request("invalid-body", format!("kdfParams: {e}")))?;
    let auth_key = decode_b64("authKey", &req.auth_key)?;
    if auth_key.len() != 32 {
        return Err(AppError::bad_request("invalid-body", "authKey must be 32 bytes"));
    }
    let public_key = PublicKey::from_sec1(&decode_b64("publicKey", &req.public_key)?)
        .map_err(|_| AppError::bad_request("invalid-body", "publicKey is not a P-256 public key"))?;
    check_wraps_key(&req.wrapped_private_key, &public_key, "wrappedPrivateKey")?;
    let recovery = check_recovery_slots(&req.recovery, &public_key)?;
    let id = new_id()?;
    let mut user = NewUser {
        id: id.clone(),
        tenant_id: req.tenant_id.clone(),
        role: "patient".into(),
        email_index: keys.email_index(&email),
        email_enc: keys.encrypt("users", "email_enc", &id, &email)?,
        name_enc: keys.encrypt("users", "name_enc", &id, req.name.trim())?,
        auth_hash: hash_auth_key(&auth_key)?,
        kdf_params: req.kdf_params.clone(),
        public_key: public_key.to_sec1().to_vec(),
        wrapped_private_key: req.wrapped_private_key.clone(),
        recovery,
        totp_secret_enc: None,
    };
    let now = state.clock.now();
    match &req.invitation {
        None => state.store.insert_user(&user, now).await?,
        Some(invitation) => crate::admin::register_invited(&state, invitation, &mut user, now).await?,
    }
    let (token, hash) = session::new_token()?;
    state.store.insert_session(&hash, &id, &req.tenant_id, now).await?;
    let mut response = (
        StatusCode::CREATED,
        Json(LoginResponse { next: "enroll-totp".into(), wrapped_private_key: user.wrapped_private_key }),
    )
        .into_response();
    session::with_cookie(response.headers_mut(), session::set_cookie(&token));
    Ok(response)
}

/// `POST /api/auth/login`: the first factor.
pub async fn login(State(state): State<AppState>, JsonBody(req): JsonBody<LoginRequest>) -> Result<Response, AppError> {
    let keys = tenant_keys(&state, &req.tenant_id).await?;
    let auth_key = decode_b64("authKey", &req.auth_key)?;
    let user = state.store.user_by_email(&req.tenant_id, &keys.email_index(&req.email)).await?;
    let now = state.clock.now();
    let Some(user) = user else {
        // Spend the same time as a real check, so timing does not reveal unknown emails.
        let _ = argon().verify_password(&auth_key, state.dummy_hash.as_str());
        return Err(wrong_credentials());
    };
    if user.disabled_at.is_some() {
        // A removed staff member: refused exactly like a wrong password, after the same work.
        let _ = argon().verify_password(&auth_key, user.auth_hash.as_str());
        state.store.security_event(&user.tenant_id, Some(&user.id), "login_disabled", now).await?;
        return Err(wrong_credentials());
    }
    check_lock(&user, now)?;
    if argon().verify_password(&auth_key, user.auth_hash.as_str()).is_err() {
        state.store.security_event(&user.tenant_id, Some(&user.id), "login_failed", now).await?;
        if let Some(until) = state.store.record_failure(&user.id, MAX_FAILURES, now + LOCK_SECS).await? {
            return Err(locked(until - now));
        }
        return Err(wrong_credentials());
    }
    let (token, hash) = session::new_token()?;
    state.store.insert_session(&hash, &user.id, &user.tenant_id, now).await?;
    let next = if user.totp_secret_enc.is_some() { "verify-mfa" } else { "enroll-totp" };
    let mut response =
        Json(LoginResponse { next: next.into(), wrapped_private_key: user.wrapped_private_key }).into_response();
    session::with_cookie(response.headers_mut(), session::set_cookie(&token));
    Ok(response)
}

fn wrong_credentials() -> AppError {
    AppError::unauthorized("wrong-credentials", "the email or password is wrong")
}

fn locked(retry_after: i64) -> AppError {
    AppError::TooMany {
        kind: "account-locked",
        detail: "too many failed attempts; the account is locked for a while".into(),
        retry_after: u64::try_from(retry_after.max(1)).unwrap_or(1),
    }
}

fn check_lock(user: &UserRow, now: i64) -> Result<(), AppError> {
    match user.locked_until {
        Some(until) if until > now => Err(locked(until - now)),
        _ => Ok(()),
    }
}

async fn load_user(state: &AppState, s: &AnySession) -> Result<UserRow, AppError> {
    state.store.user(&s.tenant_id, &s.user_id).await?.ok_or(AppError::NotFound)
}

/// `POST /api/auth/totp/enroll`: a new TOTP secret, pending until confirmed.
///
/// For an account without an authenticator this is the first enrollment. For one with an
/// authenticator it is re-enrollment (a new phone), allowed only in a signed-in session
/// after a recent step-up with the current authenticator (or a recovery code); the old
/// authenticator keeps working until `POST /api/auth/totp/confirm` replaces it.
///
/// # Errors
/// 401 `mfa-required` (an enrolled account before its second factor), 403
/// `step-up-required`.
pub async fn totp_enroll(State(state): State<AppState>, s: AnySession) -> Result<Json<TotpEnrollResponse>, AppError> {
    session::require_browser(&s)?;
    let user = load_user(&state, &s).await?;
    if user.totp_secret_enc.is_some() {
        require_reenrollment(&state, &s)?;
    }
    let keys = tenant_keys(&state, &s.tenant_id).await?;
    let tenant = s.tenant.clone();
    let email = keys.decrypt("users", "email_enc", &user.id, &user.email_enc)?;
    let secret = TotpSecret::generate().map_err(|_| AppError::Internal("rng".into()))?;
    let totp = Totp::new(secret, TotpParams::default(), tenant.name, email)
        .map_err(|e| AppError::Internal(format!("totp: {e}")))?;
    let secret_text = totp.secret().to_base32();
    state.store.set_pending_totp(&user.id, &keys.encrypt("users", "totp_pending_enc", &user.id, &secret_text)?).await?;
    if user.totp_secret_enc.is_some() {
        state
            .store
            .security_event(&user.tenant_id, Some(&user.id), "totp_reenrollment_started", state.clock.now())
            .await?;
    }
    Ok(Json(TotpEnrollResponse { secret: secret_text.to_string(), uri: totp.to_uri().to_string() }))
}

/// Re-enrollment of an account that has an authenticator needs a signed-in session with a
/// recent step-up.
fn require_reenrollment(state: &AppState, s: &AnySession) -> Result<(), AppError> {
    if !s.mfa_done {
        return Err(AppError::unauthorized("mfa-required", "enter the code from your authenticator app"));
    }
    session::require_step_up(state, s)
}

/// `POST /api/auth/totp/confirm`: confirms enrollment with a first code of the new secret,
/// which then replaces any old one (recorded as the security event `totp_enrolled` or
/// `totp_reenrolled`).
///
/// # Errors
/// 409 `no-enrollment`; 401 `wrong-code`; for re-enrollment as for
/// [`totp_enroll`].
pub async fn totp_confirm(
    State(state): State<AppState>,
    s: AnySession,
    JsonBody(req): JsonBody<MfaRequest>,
) -> Result<StatusCode, AppError> {
    session::require_browser(&s)?;
    let user = load_user(&state, &s).await?;
    let now = state.clock.now();
    check_lock(&user, now)?;
    let pending = user
        .totp_pending_enc
        .as_ref()
        .ok_or_else(|| AppError::Conflict { kind: "no-enrollment", detail: "start enrollment first".into() })?;
    let reenrollment = user.totp_secret_enc.is_some();
    if reenrollment {
        require_reenrollment(&state, &s)?;
    }
    let keys = tenant_keys(&state, &s.tenant_id).await?;
    let secret_text = keys.decrypt("users", "totp_pending_enc", &user.id, pending)?;
    let code = req.code.ok_or_else(|| AppError::bad_request("invalid-body", "code is required"))?;
    let totp = totp_of(&secret_text)?;
    let Some(step) = totp.verify(&code, unix(now), Window::DEFAULT) else {
        return Err(mfa_failure(&state, &user, now, "totp_failed").await);
    };
    let secret_enc = keys.encrypt("users", "totp_secret_enc", &user.id, &secret_text)?;
    let kind = if reenrollment { "totp_reenrolled" } else { "totp_enrolled" };
    state.store.confirm_totp(&user.id, &secret_enc, i64::try_from(step).unwrap_or(i64::MAX), kind, now).await?;
    state.store.complete_mfa(&s.token_hash, now).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/auth/mfa`: the second factor at sign-in, a TOTP code or a recovery code.
pub async fn mfa(
    State(state): State<AppState>,
    s: AnySession,
    JsonBody(req): JsonBody<MfaRequest>,
) -> Result<StatusCode, AppError> {
    session::require_browser(&s)?;
    let user = load_user(&state, &s).await?;
    let now = state.clock.now();
    verify_second_factor(&state, &user, req, now).await?;
    state.store.complete_mfa(&s.token_hash, now).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/auth/step-up`: a fresh second factor in a signed-in session, which sensitive
/// actions require (see [`crate::session::require_step_up`]). Same rules as sign-in: each
/// TOTP step once, recovery codes once, lockout after repeated failures. Not in a widget
/// session (403 `portal-required`).
pub async fn step_up(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    JsonBody(req): JsonBody<MfaRequest>,
) -> Result<StatusCode, AppError> {
    session::require_browser(&s)?;
    let user = load_user(&state, &s).await?;
    let now = state.clock.now();
    verify_second_factor(&state, &user, req, now).await?;
    state.store.complete_mfa(&s.token_hash, now).await?;
    state.store.security_event(&user.tenant_id, Some(&user.id), "step_up", now).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Checks a TOTP code (each step once per user) or a recovery code (once), counting
/// failures towards the lockout.
async fn verify_second_factor(state: &AppState, user: &UserRow, req: MfaRequest, now: i64) -> Result<(), AppError> {
    check_lock(user, now)?;
    match (req.code, req.recovery_code) {
        (Some(code), None) => {
            let encrypted = user.totp_secret_enc.as_ref().ok_or_else(|| AppError::Conflict {
                kind: "mfa-not-enrolled",
                detail: "enroll an authenticator first".into(),
            })?;
            let keys = tenant_keys(state, &user.tenant_id).await?;
            let totp = totp_of(&keys.decrypt("users", "totp_secret_enc", &user.id, encrypted)?)?;
            let Some(step) = totp.verify(&code, unix(now), Window::DEFAULT) else {
                return Err(mfa_failure(state, user, now, "totp_failed").await);
            };
            if !state.store.accept_totp_step(&user.id, i64::try_from(step).unwrap_or(i64::MAX)).await? {
                // A code for a step already used: a replay (or a shoulder-surfed code).
                state.store.security_event(&user.tenant_id, Some(&user.id), "totp_replay", now).await?;
                let _ = state.store.record_failure(&user.id, MAX_FAILURES, now + LOCK_SECS).await?;
                return Err(AppError::unauthorized(
                    "code-already-used",
                    "this code was already used; wait for the next one",
                ));
            }
        }
        (None, Some(recovery)) => {
            let code: RecoveryCode =
                recovery.parse().map_err(|_| AppError::bad_request("invalid-body", "not a recovery code"))?;
            let slots = state.store.recovery_slots(&user.id).await?;
            // Every slot is compared, in constant time, whichever matches.
            let mut matched = None;
            for (slot, hash) in &slots {
                let hit =
                    hash.as_deref().and_then(|h| h.parse::<RecoveryCodeHash>().ok()).is_some_and(|h| h.verify(&code));
                if hit && matched.is_none() {
                    matched = Some(*slot);
                }
            }
            let used = match matched {
                Some(slot) => state.store.use_recovery_slot(&user.id, slot).await?,
                None => false,
            };
            if !used {
                return Err(mfa_failure(state, user, now, "recovery_code_failed").await);
            }
            state.store.clear_failures(&user.id).await?;
            state.store.security_event(&user.tenant_id, Some(&user.id), "recovery_code_used", now).await?;
        }
        _ => return Err(AppError::bad_request("invalid-body", "give either code or recoveryCode")),
    }
    Ok(())
}

async fn mfa_failure(state: &AppState, user: &UserRow, now: i64, kind: &str) -> AppError {
    if let Err(e) = state.store.security_event(&user.tenant_id, Some(&user.id), kind, now).await {
        return e;
    }
    match state.store.record_failure(&user.id, MAX_FAILURES, now + LOCK_SECS).await {
        Ok(Some(until)) => locked(until - now),
        Ok(None) => AppError::unauthorized("wrong-code", "the code is wrong; check your authenticator app"),
        Err(e) => e,
    }
}

fn totp_of(secret_text: &str) -> Result<Totp, AppError> {
    let secret = TotpSecret::from_base32(secret_text).map_err(|_| AppError::Internal("stored TOTP secret".into()))?;
    Totp::new(secret, TotpParams::default(), "bizing", "account").map_err(|e| AppError::Internal(format!("totp: {e}")))
}

fn unix(now: i64) -> u64 {
    u64::try_from(now).unwrap_or(0)
}

/// `POST /api/auth/recovery-codes`: ten new recovery codes, made on the client, replace every
/// old one (used or not), after a recent step-up. Each must wrap the account's own private
/// key. Recorded as the security event `recovery_codes_regenerated`. 204.
///
/// # Errors
/// 403 `step-up-required`; 400 `invalid-body` (not ten, a malformed hash, a copy of another
/// key).
pub async fn regenerate_recovery_codes(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    JsonBody(req): JsonBody<RegenerateRecoveryCodes>,
) -> Result<StatusCode, AppError> {
    session::require_step_up(&state, &s)?;
    let user = load_user(&state, &s).await?;
    let public_key = PublicKey::from_sec1(&user.public_key)
        .map_err(|e| AppError::Internal(format!("stored public key of {}: {e}", user.id)))?;
    let recovery = check_recovery_slots(&req.recovery, &public_key)?;
    state.store.replace_recovery_codes(&user.tenant_id, &user.id, &recovery, state.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Exactly [`RECOVERY_CODES`] slots, each a well-formed hash and a wrap of `public_key`'s
/// private half: `(hash, wrapped key)` pairs to store.
fn check_recovery_slots(slots: &[RecoverySlot], public_key: &PublicKey) -> Result<Vec<(String, String)>, AppError> {
    if slots.len() != RECOVERY_CODES {
        return Err(AppError::bad_request("invalid-body", "exactly 10 recovery codes are required"));
    }
    let mut recovery = Vec::with_capacity(RECOVERY_CODES);
    for slot in slots {
        let hash: RecoveryCodeHash = slot
            .code_hash
            .parse()
            .map_err(|_| AppError::bad_request("invalid-body", "recovery codeHash must be 64 hex digits"))?;
        check_wraps_key(&slot.wrapped_private_key, public_key, "a recovery wrappedPrivateKey")?;
        recovery.push((hash.to_string(), slot.wrapped_private_key.clone()));
    }
    if recovery.iter().enumerate().any(|(i, (hash, _))| recovery[..i].iter().any(|(other, _)| other == hash)) {
        return Err(AppError::bad_request("invalid-body", "recovery codes must differ"));
    }
    Ok(recovery)
}

/// `POST /api/auth/logout`: ends the session on the server. A browser session's logout ends
/// the widget sessions made from it too, and clears the cookie; a widget session's (bearer)
/// ends that widget session only, and leaves the cookie alone.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    s: Result<AnySession, AppError>,
) -> Result<Response, AppError> {
    if let Ok(s) = &s {
        state.store.delete_session(&s.token_hash).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    if session::bearer_token(&headers).is_none() {
        session::with_cookie(response.headers_mut(), session::clear_cookie());
    }
    Ok(response)
}

/// `POST /api/auth/widget-session`: a child session for the booking widget, made from a
/// signed-in patient's browser (cookie) session, whose token the portal hands to the
/// widget's iframe. A security event (`widget_session_created`). 201.
///
/// # Errors
/// 401 as for any signed-in call; 403 `forbidden` for staff, `portal-required` from a
/// widget session.
pub async fn widget_session(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
) -> Result<(StatusCode, Json<WidgetSessionResponse>), AppError> {
    session::require_browser(&s)?;
    let user = load_user(&state, &s).await?;
    if user.role != "patient" || user.guest {
        return Err(AppError::Forbidden);
    }
    let (token, hash) = session::new_token()?;
    if !state.store.insert_widget_session(&hash, &s.token_hash, state.clock.now()).await? {
        // The parent ended between the check and the insert.
        return Err(AppError::unauthorized("session-expired", "your session ended; sign in again"));
    }
    let idle_timeout_seconds = u64::try_from(state.config.session_idle_secs).unwrap_or(0);
    Ok((StatusCode::CREATED, Json(WidgetSessionResponse { token, idle_timeout_seconds })))
}

/// `POST /api/auth/activity`: records activity on the caller's session now (and on its
/// parent, for a widget session), e.g. the widget's throttled user activity. 204.
///
/// # Errors
/// 401 without a signed-in session (second factor given).
pub async fn activity(State(state): State<AppState>, checked: CheckedSession) -> Result<StatusCode, AppError> {
    if !checked.session.mfa_done {
        return Err(AppError::unauthorized("mfa-required", "enter the code from your authenticator app"));
    }
    state.store.touch_session(&checked.session.token_hash, state.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/auth/session`: how long the caller's session (cookie or bearer) has left,
/// without counting the question as activity, so a page's idle timer can learn whether
/// activity elsewhere (another tab, the widget) kept the session alive.
///
/// # Errors
/// 401 without a session, or once it ended.
pub async fn session_status(
    State(state): State<AppState>,
    checked: CheckedSession,
) -> Result<Json<SessionStatus>, AppError> {
    let now = state.clock.now();
    let left = |deadline: i64| u64::try_from(deadline - now).unwrap_or(0);
    Ok(Json(SessionStatus {
        idle_remaining_seconds: left(checked.idle_deadline),
        absolute_remaining_seconds: left(checked.absolute_deadline),
    }))
}

/// `GET /api/me`
pub async fn me(State(state): State<AppState>, Authenticated(s): Authenticated) -> Result<Json<Me>, AppError> {
    let user = load_user(&state, &s).await?;
    let keys = tenant_keys(&state, &s.tenant_id).await?;
    let left = state.store.recovery_slots(&user.id).await?.iter().filter(|(_, h)| h.is_some()).count();
    let name = keys.decrypt("users", "name_enc", &user.id, &user.name_enc)?;
    let email = keys.decrypt("users", "email_enc", &user.id, &user.email_enc)?;
    if user.role == "patient" {
        // Reading a patient's contact details is an access to their record: logged first.
        let who = access_log::Who { user_id: user.id.clone(), role: user.role.clone(), display_name: name.clone() };
        let event = access_log::event(
            &state,
            &user.tenant_id,
            access_log::Access {
                patient_id: &user.id,
                who: &who,
                kind: access_log::LogResource::PROFILE,
                resource_id: &user.id,
                action: access_log::LogAction::VIEW,
                from: "api",
            },
        )?;
        access_log::record(&state, &user.tenant_id, &[event]).await?;
    }
    Ok(Json(Me {
        user_id: user.id.clone(),
        tenant_id: user.tenant_id.clone(),
        role: user.role.clone(),
        name,
        email,
        public_key: Base64UrlUnpadded::encode_string(&user.public_key),
        recovery_codes_left: u32::try_from(left).unwrap_or(0),
    }))
}

/// A random 128-bit id, base64url.
///
/// # Errors
/// Internal if the RNG fails.
pub fn new_id() -> Result<String, AppError> {
    let mut raw = [0u8; 16];
    getrandom::fill(&mut raw).map_err(|_| AppError::Internal("rng".into()))?;
    Ok(Base64UrlUnpadded::encode_string(&raw))
}

/// The stable made-up KDF parameters for an unknown email: the interactive profile with a
/// salt derived from a server secret, the tenant and the email.
pub(crate) fn fake_kdf_params(secret: &[u8; 32], tenant_id: &str, email: &str) -> Result<String, AppError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| AppError::Internal("hmac".into()))?;
    mac.update(tenant_id.as_bytes());
    mac.update(&[0]);
    mac.update(normalize_email(email).as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut salt = [0u8; 16];
    salt.copy_from_slice(digest.get(..16).unwrap_or(&[0; 16]));
    KdfParams::new(64 * 1024, 3, 1, salt).map(|p| p.to_string()).map_err(|e| AppError::Internal(format!("kdf: {e}")))
}
