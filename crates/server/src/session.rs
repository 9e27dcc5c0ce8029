//! Sessions: a random token in a `__Host-` cookie (HttpOnly, Secure, SameSite=Strict), only
//! its SHA-256 stored; idle and absolute lifetimes enforced on every request.

use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use base64ct::{Base64UrlUnpadded, Encoding};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::AppError;

/// The session cookie's name. `__Host-` makes browsers require Secure, Path=/ and no Domain.
pub const COOKIE_NAME: &str = "__Host-bizing-session";

/// A new random session token and its stored hash.
///
/// # Errors
/// Internal if the RNG fails.
pub fn new_token() -> Result<(String, Vec<u8>), AppError> {
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|_| AppError::Internal("rng".into()))?;
    let token = Base64UrlUnpadded::encode_string(&raw);
    let hash = hash_token(&token);
    Ok((token, hash))
}

fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// `Set-Cookie` for a new session.
#[must_use]
pub fn set_cookie(token: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("{COOKIE_NAME}={token}; Path=/; HttpOnly; Secure; SameSite=Strict"))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `Set-Cookie` that removes the session cookie.
#[must_use]
pub fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("__Host-bizing-session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0")
}

/// Adds the cookie header to a response's headers.
pub fn with_cookie(headers: &mut HeaderMap, value: HeaderValue) {
    headers.append(SET_COOKIE, value);
}

fn token_from(parts: &Parts) -> Option<String> {
    parts.headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == COOKIE_NAME && !value.is_empty()).then(|| value.to_owned())
    })
}

/// A request's session, whatever its second-factor state. Handlers that need a fully
/// signed-in user take [`Authenticated`] instead.
#[derive(Debug, Clone)]
pub struct AnySession {
    /// Hash of the token (the session's key).
    pub token_hash: Vec<u8>,
    /// The user.
    pub user_id: String,
    /// The tenant.
    pub tenant_id: String,
    /// Whether the second factor was given.
    pub mfa_done: bool,
    /// When a second factor was last given in this session.
    pub step_up_at: Option<i64>,
}

/// How stale a session's recorded last activity may get before a request records it again.
pub const TOUCH_EVERY_SECS: i64 = 15;

impl FromRequestParts<AppState> for AnySession {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = token_from(parts).ok_or_else(|| AppError::unauthorized("not-signed-in", "sign in first"))?;
        let token_hash = hash_token(&token);
        let session = state
            .store
            .session(&token_hash)
            .await?
            .ok_or_else(|| AppError::unauthorized("session-expired", "your session ended; sign in again"))?;
        let now = state.clock.now();
        let idle = now - session.last_seen_at > state.config.session_idle_secs;
        let absolute = now - session.created_at > state.config.session_absolute_secs;
        if idle || absolute {
            state.store.delete_session(&token_hash).await?;
            return Err(AppError::unauthorized("session-expired", "your session ended; sign in again"));
        }
        // Activity is recorded at most every TOUCH_EVERY_SECS: one write a request would
        // serialize every request of a busy server on the database's single writer, and the
        // idle deadline is minutes long, so it may come that much early, never late.
        if now - session.last_seen_at >= TOUCH_EVERY_SECS {
            state.store.touch_session(&token_hash, now).await?;
        }
        Ok(Self {
            token_hash,
            user_id: session.user_id,
            tenant_id: session.tenant_id,
            mfa_done: session.mfa_done,
            step_up_at: session.step_up_at,
        })
    }
}

/// A session whose second factor has been given.
#[derive(Debug, Clone)]
pub struct Authenticated(pub AnySession);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let session = AnySession::from_request_parts(parts, state).await?;
        if !session.mfa_done {
            return Err(AppError::unauthorized("mfa-required", "enter the code from your authenticator app"));
        }
        Ok(Self(session))
    }
}

/// How recent a second factor must be for a sensitive action: 5 minutes.
pub const STEP_UP_SECS: i64 = 5 * 60;

/// Refuses (403 `step-up-required`) unless a second factor was given in this session within
/// [`STEP_UP_SECS`]: sensitive actions (correction requests, MFA changes, exports) ask for a
/// fresh code even in a signed-in session (`POST /api/auth/step-up`).
///
/// # Errors
/// The refusal.
pub fn require_step_up(state: &AppState, session: &AnySession) -> Result<(), AppError> {
    match session.step_up_at {
        Some(at) if state.clock.now() - at <= STEP_UP_SECS => Ok(()),
        _ => Err(AppError::StepUpRequired),
    }
}
