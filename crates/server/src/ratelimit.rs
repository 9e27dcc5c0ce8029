//! Rate limits, as the research asks: 100 requests a minute in general, 30 a minute for reads
//! of PHI, 10 a minute for exports; over the limit, 429 with `Retry-After`. Counters live in
//! the database (fixed one-minute windows), so several server instances share them.
//!
//! Guest bookings (`POST /api/clinics/{tenant}/guest-bookings`, no session, so anyone can
//! send them) have a stricter class of their own, 10 a minute, counted per client address
//! whatever the request carries. The address is the TCP peer's: behind a reverse proxy that
//! is the proxy's, so the limit is then shared by everyone behind it.
//!
//! The requests that start a session (pre-login, registration, login and its second factor)
//! are counted per address too: before a session exists, a cookie or bearer value proves
//! nothing, and a made-up one per request would otherwise be a fresh bucket each time.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::AppError;
use crate::session::COOKIE_NAME;

const WINDOW_SECS: i64 = 60;

/// Requests a minute allowed to one session (or, without one, one address), per class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Everything not below (default 100).
    pub standard: i64,
    /// Reads of PHI: bookings, the account, corrections, preferences and restriction
    /// requests, the access log (default 30).
    pub phi_read: i64,
    /// Data exports (default 10).
    pub export: i64,
    /// Guest bookings from the widget, per client address (default 10).
    pub guest_booking: i64,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self { standard: 100, phi_read: 30, export: 10, guest_booking: 10 }
    }
}

impl std::str::FromStr for RateLimits {
    type Err = String;

    /// `STANDARD,PHI_READ,EXPORT[,GUEST_BOOKING]`, each a whole number of requests a minute
    /// from 1 up; the guest-booking limit keeps its default when not given.
    fn from_str(s: &str) -> Result<Self, String> {
        let parsed: Vec<i64> = s
            .split(',')
            .map(|n| n.trim().parse::<i64>().ok().filter(|&n| n >= 1))
            .collect::<Option<_>>()
            .ok_or_else(|| {
                format!(
                    "rate limits must be STANDARD,PHI_READ,EXPORT[,GUEST_BOOKING] requests a minute, each at least 1, \
                     not `{s}`"
                )
            })?;
        match parsed[..] {
            [standard, phi_read, export] => Ok(Self { standard, phi_read, export, ..Self::default() }),
            [standard, phi_read, export, guest_booking] => Ok(Self { standard, phi_read, export, guest_booking }),
            _ => Err(format!(
                "rate limits must be three or four numbers, STANDARD,PHI_READ,EXPORT[,GUEST_BOOKING], not `{s}`"
            )),
        }
    }
}

/// The limit class of a request: name and requests per window.
#[must_use]
pub fn class(limits: &RateLimits, method: &Method, path: &str) -> (&'static str, i64) {
    if is_guest_booking(method, path) {
        ("guest-booking", limits.guest_booking)
    } else if path.starts_with("/api/export") {
        ("export", limits.export)
    } else if method == Method::GET
        && ["/api/bookings", "/api/me", "/api/corrections", "/api/preferences", "/api/restrictions", "/api/access-log"]
            .iter()
            .any(|p| path.starts_with(p))
    {
        ("phi-read", limits.phi_read)
    } else {
        ("standard", limits.standard)
    }
}

/// `POST /api/clinics/{tenant}/guest-bookings`
fn is_guest_booking(method: &Method, path: &str) -> bool {
    method == Method::POST
        && path
            .strip_prefix("/api/clinics/")
            .and_then(|rest| rest.split_once('/'))
            .is_some_and(|(tenant, tail)| !tenant.is_empty() && tail.trim_end_matches('/') == "guest-bookings")
}

/// The requests that start a session: `POST /api/auth/{prelogin,register,login,mfa}`.
fn starts_a_session(method: &Method, path: &str) -> bool {
    method == Method::POST
        && matches!(
            path.trim_end_matches('/'),
            "/api/auth/prelogin" | "/api/auth/register" | "/api/auth/login" | "/api/auth/mfa"
        )
}

fn short_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().take(12).map(|b| format!("{b:02x}")).collect()
}

fn peer(req: &Request) -> String {
    match req.extensions().get::<ConnectInfo<SocketAddr>>() {
        Some(ConnectInfo(addr)) => format!("ip:{}", addr.ip()),
        None => "anonymous".to_owned(),
    }
}

/// Who is asking: the session if there is one (hashed; a widget session's bearer token or
/// the cookie), else the peer address.
fn identity(req: &Request) -> String {
    if let Some(token) = crate::session::bearer_token(req.headers()) {
        return format!("b:{}", short_hash(&token));
    }
    let cookie = req
        .headers()
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            pair.trim().strip_prefix(COOKIE_NAME).and_then(|rest| rest.strip_prefix('=')).map(str::to_owned)
        });
    if let Some(token) = cookie {
        return format!("s:{}", short_hash(&token));
    }
    peer(req)
}

/// The middleware.
pub async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (name, max) = class(&state.config.rate_limits, req.method(), req.uri().path());
    let now = state.clock.now();
    let window = now - now.rem_euclid(WINDOW_SECS);
    // Guest bookings are counted per address even with a session: the session would be a
    // way around the stricter limit. So are the requests that start a session, whose cookie
    // or token, if any, may be made up.
    let who = if name == "guest-booking" || starts_a_session(req.method(), req.uri().path()) {
        peer(&req)
    } else {
        identity(&req)
    };
    let bucket = format!("{name}:{who}");
    match state.store.count_request(&bucket, window).await {
        Ok(count) if count > max => AppError::TooMany {
            kind: "rate-limited",
            detail: format!("more than {max} requests a minute; slow down"),
            retry_after: u64::try_from(window + WINDOW_SECS - now).unwrap_or(1).max(1),
        }
        .into_response(),
        Ok(_) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_strictly() {
        assert_eq!("100,30,10".parse::<RateLimits>(), Ok(RateLimits::default()));
        assert_eq!(
            " 5, 4 ,3".parse::<RateLimits>(),
            Ok(RateLimits { standard: 5, phi_read: 4, export: 3, guest_booking: 10 })
        );
        assert_eq!(
            "5,4,3,2".parse::<RateLimits>(),
            Ok(RateLimits { standard: 5, phi_read: 4, export: 3, guest_booking: 2 })
        );
        for bad in ["", "100,30", "100,30,10,1,1", "100,30,10,0", "100,0,10", "100,-1,10", "a,b,c", "100;30;10"] {
            assert!(bad.parse::<RateLimits>().is_err(), "{bad}");
        }
    }

    #[test]
    fn classes_use_the_configured_limits() {
        let limits = RateLimits { standard: 7, phi_read: 5, export: 3, guest_booking: 2 };
        assert_eq!(class(&limits, &Method::GET, "/api/export"), ("export", 3));
        assert_eq!(class(&limits, &Method::POST, "/api/clinics/c/guest-bookings"), ("guest-booking", 2));
        assert_eq!(class(&limits, &Method::GET, "/api/clinics/c/guest-bookings"), ("standard", 7));
        assert_eq!(class(&limits, &Method::POST, "/api/clinics/c/guest-bookings/x"), ("standard", 7));
        assert_eq!(class(&limits, &Method::GET, "/api/bookings"), ("phi-read", 5));
        assert_eq!(class(&limits, &Method::POST, "/api/bookings"), ("standard", 7));
    }

    #[test]
    fn session_starting_requests_are_recognised() {
        for path in ["/api/auth/prelogin", "/api/auth/register", "/api/auth/login", "/api/auth/mfa", "/api/auth/login/"]
        {
            assert!(starts_a_session(&Method::POST, path), "{path}");
        }
        assert!(!starts_a_session(&Method::GET, "/api/auth/login"));
        for path in ["/api/auth/logout", "/api/auth/step-up", "/api/auth/session", "/api/me", "/api/auth/login/x"] {
            assert!(!starts_a_session(&Method::POST, path), "{path}");
        }
    }
}
