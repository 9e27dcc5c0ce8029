//! Sessions: a random token in a `__Host-` cookie (HttpOnly, Secure, SameSite=Strict), only
//! its SHA-256 stored; idle and absolute lifetimes enforced on every request.
//!
//! Widget sessions: the booking widget runs in a cross-site iframe, which never gets the
//! `SameSite=Strict` cookie. A signed-in patient's portal asks for a child session
//! (`POST /api/auth/widget-session`) and hands its token to the widget, which sends it as
//! `Authorization: Bearer`. Each kind is accepted only the way it travels (a widget token in
//! a cookie, or a browser token in a bearer header, is 401); a child is valid only while its
//! parent is (not logged out, not idle, not past its absolute lifetime), has the parent's
//! idle timeout, and its activity keeps the parent alive too; logging out the parent ends
//! it. Bearer tokens are never sent by a browser on its own, so they need no CSRF defence;
//! cookie requests keep theirs (`SameSite=Strict`, JSON bodies).

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use base64ct::{Base64UrlUnpadded, Encoding};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::AppError;
use crate::store::{TenantRow, UserRow};

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

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == COOKIE_NAME && !value.is_empty()).then(|| value.to_owned())
    })
}

/// The token of an `Authorization: Bearer <token>` header, if there is one.
#[must_use]
pub fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

/// Which kind of session, and so how its token travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// Signed in in a browser on the booking origin: the token is the `__Host-` cookie.
    Browser,
    /// A child session of a browser session, for the booking widget's cross-site iframe
    /// (which never gets the `SameSite=Strict` cookie): the token is sent as
    /// `Authorization: Bearer`. Valid only while its parent is; it cannot give a second
    /// factor.
    Widget,
}

impl SessionKind {
    /// The stored name (`sessions.kind`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Browser => "browser",
            Self::Widget => "widget",
        }
    }
}

/// A request's token and the kind of session its carrier allows: an `Authorization: Bearer`
/// header (a widget session) if there is one, else the cookie (a browser session). A bearer
/// header wins when both are sent: it is never sent by accident, a cookie may be.
fn credentials(headers: &HeaderMap) -> Option<(String, SessionKind)> {
    bearer_token(headers)
        .map(|t| (t, SessionKind::Widget))
        .or_else(|| cookie_token(headers).map(|t| (t, SessionKind::Browser)))
}

/// A request's session, whatever its second-factor state. Handlers that need a fully
/// signed-in user take [`Authenticated`] instead.
#[derive(Clone)]
pub struct AnySession {
    /// Hash of the token (the session's key).
    pub token_hash: Vec<u8>,
    /// The user.
    pub user_id: String,
    /// The user's row as it was when the session was checked (read in the same statement),
    /// so that a handler need not read it again.
    pub user: UserRow,
    /// The user's clinic as it was when the session was checked (read in the same statement).
    pub tenant: TenantRow,
    /// The tenant.
    pub tenant_id: String,
    /// Whether the second factor was given.
    pub mfa_done: bool,
    /// When a second factor was last given in this session.
    pub step_up_at: Option<i64>,
    /// A browser session (the cookie) or a widget session (a bearer token).
    pub kind: SessionKind,
}

impl std::fmt::Debug for AnySession {
    // Names the user; their row (hashes and sealed secrets) stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnySession")
            .field("user_id", &self.user_id)
            .field("tenant_id", &self.tenant_id)
            .field("mfa_done", &self.mfa_done)
            .field("step_up_at", &self.step_up_at)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// How stale a session's recorded last activity may get before a request records it again.
pub const TOUCH_EVERY_SECS: i64 = 15;

fn session_ended() -> AppError {
    AppError::unauthorized("session-expired", "your session ended; sign in again")
}

/// A request's session, checked (it exists, the token came the way its kind allows, it and
/// for a widget session its parent are within their idle and absolute limits) but not yet
/// counted as activity; with when it ends.
#[derive(Debug, Clone)]
pub struct CheckedSession {
    /// The session.
    pub session: AnySession,
    /// Unix seconds when it ends without activity (for a widget session, the earlier of its
    /// own and its parent's).
    pub idle_deadline: i64,
    /// Unix seconds when it ends whatever happens (for a widget session, its parent's).
    pub absolute_deadline: i64,
    /// Whether its recorded activity (or its parent's) is [`TOUCH_EVERY_SECS`] old or more.
    pub stale: bool,
}

impl CheckedSession {
    async fn load(parts: &Parts, state: &AppState) -> Result<Self, AppError> {
        let (token, carried) =
            credentials(&parts.headers).ok_or_else(|| AppError::unauthorized("not-signed-in", "sign in first"))?;
        let token_hash = hash_token(&token);
        let row = state.store.session(&token_hash).await?.ok_or_else(session_ended)?;
        let kind = match row.kind.as_str() {
            "browser" => SessionKind::Browser,
            "widget" => SessionKind::Widget,
            other => return Err(AppError::Internal(format!("session kind {other}"))),
        };
        if kind != carried {
            // A widget token in a cookie, or a browser session's token in a bearer header:
            // each kind is accepted only the way it is meant to travel.
            return Err(AppError::unauthorized(
                "not-signed-in",
                "a browser session is sent as its cookie and a widget session as Authorization: Bearer; sign in",
            ));
        }
        let now = state.clock.now();
        let (idle, absolute) = (state.config.session_idle_secs, state.config.session_absolute_secs);
        let mut idle_deadline = row.last_seen_at + idle;
        let mut absolute_deadline = row.created_at + absolute;
        let mut stale = now - row.last_seen_at >= TOUCH_EVERY_SECS;
        if kind == SessionKind::Widget {
            // A widget session lives only while its parent does (which also bounds its
            // absolute lifetime); the parent's own deadlines count.
            let Some((parent_hash, parent_created, parent_seen)) = row.parent else {
                state.store.delete_session(&token_hash).await?;
                return Err(session_ended());
            };
            if now > parent_seen + idle || now > parent_created + absolute {
                state.store.delete_session(&parent_hash).await?;
                return Err(session_ended());
            }
            idle_deadline = idle_deadline.min(parent_seen + idle);
            absolute_deadline = absolute_deadline.min(parent_created + absolute);
            stale |= now - parent_seen >= TOUCH_EVERY_SECS;
        }
        if now > idle_deadline || now > absolute_deadline {
            state.store.delete_session(&token_hash).await?;
            return Err(session_ended());
        }
        let session = AnySession {
            token_hash,
            user_id: row.user_id,
            tenant_id: row.tenant_id,
            user: row.user,
            tenant: row.tenant,
            mfa_done: row.mfa_done,
            step_up_at: row.step_up_at,
            kind,
        };
        Ok(Self { session, idle_deadline, absolute_deadline, stale })
    }
}

/// Checks the session without recording activity: for `GET /api/auth/session`, which must
/// not keep a session alive by asking how long it has left.
impl FromRequestParts<AppState> for CheckedSession {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        Self::load(parts, state).await
    }
}

impl FromRequestParts<AppState> for AnySession {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let checked = CheckedSession::load(parts, state).await?;
        // Activity is recorded at most every TOUCH_EVERY_SECS: one write a request would
        // serialize every request of a busy server on the database's single writer, and the
        // idle deadline is minutes long, so it may come that much early, never late. A widget
        // session's activity is its parent's too (the same write).
        if checked.stale {
            state.store.touch_session(&checked.session.token_hash, state.clock.now()).await?;
        }
        Ok(checked.session)
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
/// fresh code even in a signed-in session (`POST /api/auth/step-up`). A widget session can
/// never give one, so it gets 403 `portal-required` instead: asking for a code would be
/// pointless there.
///
/// # Errors
/// The refusal.
pub fn require_step_up(state: &AppState, session: &AnySession) -> Result<(), AppError> {
    require_browser(session)?;
    match session.step_up_at {
        Some(at) if state.clock.now() - at <= STEP_UP_SECS => Ok(()),
        _ => Err(AppError::StepUpRequired),
    }
}

/// Refuses (403 `portal-required`) a widget session: second factors, step-up, recovery
/// codes, new widget sessions and the actions that need a fresh second factor are for the
/// patient portal, on the booking origin, only.
///
/// # Errors
/// The refusal.
pub fn require_browser(session: &AnySession) -> Result<(), AppError> {
    match session.kind {
        SessionKind::Browser => Ok(()),
        SessionKind::Widget => Err(AppError::PortalRequired),
    }
}
