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

/// The limit class of a request: name and requests per window.
#[must_use]
pub fn class(method: &Method, path: &str) -> (&'static str, i64) {
    if path.starts_with("/api/export") {
        ("export", 10)
    } else if method == Method::GET
        && ["/api/bookings", "/api/me", "/api/corrections", "/api/access-log"].iter().any(|p| path.starts_with(p))
    {
        ("phi-read", 30)
    } else {
        ("standard", 100)
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
    let (name, max) = class(req.method(), req.uri().path());
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
