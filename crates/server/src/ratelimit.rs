//! Rate limits, as the research asks: 100 requests a minute in general, 30 a minute for reads
//! of PHI, 10 a minute for exports; over the limit, 429 with `Retry-After`. Counters live in
//! the database (fixed one-minute windows), so several server instances share them.

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
}

impl Default for RateLimits {
    fn default() -> Self {
        Self { standard: 100, phi_read: 30, export: 10 }
    }
}

impl std::str::FromStr for RateLimits {
    type Err = String;

    /// `STANDARD,PHI_READ,EXPORT`, each a whole number of requests a minute from 1 up.
    fn from_str(s: &str) -> Result<Self, String> {
        let parsed: Vec<i64> = s
            .split(',')
            .map(|n| n.trim().parse::<i64>().ok().filter(|&n| n >= 1))
            .collect::<Option<_>>()
            .ok_or_else(|| {
                format!("rate limits must be STANDARD,PHI_READ,EXPORT requests a minute, each at least 1, not `{s}`")
            })?;
        match parsed[..] {
            [standard, phi_read, export] => Ok(Self { standard, phi_read, export }),
            _ => Err(format!("rate limits must be three numbers, STANDARD,PHI_READ,EXPORT, not `{s}`")),
        }
    }
}

/// The limit class of a request: name and requests per window.
#[must_use]
pub fn class(limits: &RateLimits, method: &Method, path: &str) -> (&'static str, i64) {
    if path.starts_with("/api/export") {
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

/// Who is asking: the session if there is one (hashed), else the peer address.
fn identity(req: &Request) -> String {
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
        let digest = Sha256::digest(token.as_bytes());
        return format!("s:{}", digest.iter().take(12).map(|b| format!("{b:02x}")).collect::<String>());
    }
    match req.extensions().get::<ConnectInfo<SocketAddr>>() {
        Some(ConnectInfo(addr)) => format!("ip:{}", addr.ip()),
        None => "anonymous".to_owned(),
    }
}

/// The middleware.
pub async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (name, max) = class(&state.config.rate_limits, req.method(), req.uri().path());
    let now = state.clock.now();
    let window = now - now.rem_euclid(WINDOW_SECS);
    let bucket = format!("{name}:{}", identity(&req));
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
        assert_eq!(" 5, 4 ,3".parse::<RateLimits>(), Ok(RateLimits { standard: 5, phi_read: 4, export: 3 }));
        for bad in ["", "100,30", "100,30,10,1", "100,0,10", "100,-1,10", "a,b,c", "100;30;10"] {
            assert!(bad.parse::<RateLimits>().is_err(), "{bad}");
        }
    }

    #[test]
    fn classes_use_the_configured_limits() {
        let limits = RateLimits { standard: 7, phi_read: 5, export: 3 };
        assert_eq!(class(&limits, &Method::GET, "/api/export"), ("export", 3));
        assert_eq!(class(&limits, &Method::GET, "/api/bookings"), ("phi-read", 5));
        assert_eq!(class(&limits, &Method::POST, "/api/bookings"), ("standard", 7));
    }
}
