//! The built web apps (portal and widget) as static files: correct content types
//! (`application/wasm` for wasm), and caching that suits hashed build output: files whose
//! names carry a content hash never change, so they are cached for a year; everything else
//! (`index.html`, the widget loader) is revalidated every time.

use std::path::Path;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::services::ServeDir;

/// A service for one app's directory. Paths outside it are 404; directories serve their
/// `index.html`.
pub fn serve_dir(dir: &Path) -> Router {
    Router::new().fallback_service(ServeDir::new(dir)).layer(axum::middleware::from_fn(cache))
}

async fn cache(req: Request, next: Next) -> Response {
    let control = cache_control(req.uri().path());
    let mut response = next.run(req).await;
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        response.headers_mut().insert(header::CACHE_CONTROL, control);
    }
    response
}

/// Whether a file name carries a content hash, as build tools write them
/// (`app-3f9a1c2b.wasm`, `portal_bg-0123abcd4567.js`): a run of at least 8 hex digits after
/// a `-` or `.` before the extension.
#[must_use]
pub fn is_hashed(name: &str) -> bool {
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    stem.rsplit(['-', '.']).next().is_some_and(|part| part.len() >= 8 && part.bytes().all(|b| b.is_ascii_hexdigit()))
        && stem.contains(['-', '.'])
}

/// The `Cache-Control` for a request path.
#[must_use]
pub fn cache_control(path: &str) -> HeaderValue {
    let name = path.rsplit('/').next().unwrap_or_default();
    if is_hashed(name) {
        HeaderValue::from_static("public, max-age=31536000, immutable")
    } else {
        HeaderValue::from_static("no-cache")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names() {
        assert!(is_hashed("app-3f9a1c2b.wasm"));
        assert!(is_hashed("portal_bg-0123abcd4567.js"));
        assert!(!is_hashed("index.html"));
        assert!(!is_hashed("loader.js"));
        assert!(!is_hashed("deadbeef.js"));
        assert!(!is_hashed("app-v2.js"));
    }
}
