//! The built web apps (portal and widget) as static files: correct content types
//! (`application/wasm` for wasm), and caching that suits hashed build output: files whose
//! names carry a content hash never change, so they are cached for a year; everything else
//! (`index.html`, the widget loader) is revalidated every time.
//!
//! Framing: every response refuses to be framed (`frame-ancestors 'none'` and
//! `X-Frame-Options: DENY`) except the widget's HTML pages, which a clinic's own sites embed
//! in an iframe: a page under `/widget/` asked for with `?clinic=ID` may be framed by exactly
//! the origins that clinic allows (`allowedOrigins` of `PUT /api/admin/clinic`), and by
//! nobody when the clinic is unknown or allows none.
//!
//! Opener policy: every response says `Cross-Origin-Opener-Policy: same-origin` except the
//! portal's HTML pages, which say `unsafe-none` ([`portal_opener_policy`]). The widget links a
//! signed-in patient's session to its cross-site iframe through a popup of the portal
//! (`/portal/#/widget-link`) that answers its opener, the iframe, by `postMessage`; any other
//! policy on the popup's page severs `window.opener`. (`same-origin-allow-popups` does too:
//! it keeps the popups a page opens, but a page opened by a document whose top-level
//! browsing context is cross-origin still lands in a new browsing context group.) The price
//! is that a cross-origin page that opens the portal keeps a handle on its window (it can
//! navigate it, count its frames); it can read nothing, and the portal only ever posts to
//! its own origin.

use std::path::Path;

use axum::Router;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::services::ServeDir;

use crate::AppState;

/// A service for one app's directory. Paths outside it are 404; directories serve their
/// `index.html`.
pub fn serve_dir(dir: &Path) -> Router {
    // A file with a `.gz` (or `.br`) sibling, which the build writes, is sent compressed to a
    // browser that accepts it. Only the apps' public files, never a response with a secret
    // in it, so compression leaks nothing (no BREACH-style oracle).
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    Router::new().fallback_service(files).layer(axum::middleware::from_fn(cache))
}

async fn cache(req: Request, next: Next) -> Response {
    let control = cache_control(req.uri().path());
    let mut response = next.run(req).await;
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, control);
        // The same URL is sent compressed or not: caches must key on the encoding asked for.
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

/// Middleware on `/portal`: HTML pages get `Cross-Origin-Opener-Policy: unsafe-none`, so the
/// widget-link popup keeps its opener (see the module documentation). Other files keep the
/// default `same-origin`, which only documents use anyway. A page is known by its type or,
/// for a `304 Not Modified` revalidation (which has no type, and whose headers the browser
/// takes over for the cached page), by its path: a directory or `.html`.
pub async fn portal_opener_policy(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let is_page = path.ends_with('/') || path.ends_with(".html");
    let mut response = next.run(req).await;
    if is_html(&response) || (is_page && response.status() == StatusCode::NOT_MODIFIED) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("unsafe-none"));
    }
    response
}

fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/html"))
}

/// The longest clinic id looked up for a widget page.
const MAX_CLINIC_ID: usize = 128;

/// Middleware on `/widget`: the loader (`…/loader.js`) may be read cross-origin (CORS, for
/// Subresource Integrity); an HTML page asked for with one `clinic` query parameter gets a
/// CSP whose `frame-ancestors` lists exactly that clinic's allowed origins (re-checked, so a
/// bad stored value can never reach the header); anything else keeps the default
/// `frame-ancestors 'none'`. A failed lookup also keeps it, and is logged.
pub async fn widget_frame_ancestors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let clinic = clinic_param(req.uri());
    let is_loader = req.uri().path().ends_with("/loader.js");
    let mut response = next.run(req).await;
    if is_loader && response.status().is_success() {
        // Clinics' pages load the loader with `integrity` and `crossorigin="anonymous"`:
        // Subresource Integrity needs a CORS response. It is a public file, sent without
        // credentials, so any origin may read it.
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        headers
            .insert(HeaderName::from_static("cross-origin-resource-policy"), HeaderValue::from_static("cross-origin"));
    }
    let Some(clinic) = clinic.filter(|_| is_html(&response) && response.status().is_success()) else {
        return response;
    };
    let origins = match state.store.clinic_settings(&clinic).await {
        Ok(Some(settings)) => settings.allowed_origins,
        Ok(None) => Vec::new(),
        Err(e) => {
            tracing::error!(cause = %e, "widget frame-ancestors lookup");
            Vec::new()
        }
    };
    let csp = csp_with_frame_ancestors(&origins);
    if let Ok(value) = HeaderValue::from_str(&csp) {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// The one `clinic` query parameter of a URI, if there is exactly one and it is a plausible id.
fn clinic_param(uri: &axum::http::Uri) -> Option<String> {
    let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(uri).ok()?;
    let mut clinics = pairs.into_iter().filter(|(name, _)| name == "clinic").map(|(_, value)| value);
    let clinic = clinics.next()?;
    let plausible = !clinic.is_empty() && clinic.len() <= MAX_CLINIC_ID && !clinic.chars().any(char::is_control);
    (clinics.next().is_none() && plausible).then_some(clinic)
}

/// [`crate::CSP`] with `frame-ancestors` listing `origins` (`'none'` if there are none).
/// Only origins that [`crate::admin::normalize_origin`] leaves unchanged are listed.
#[must_use]
pub fn csp_with_frame_ancestors(origins: &[String]) -> String {
    let listed: Vec<&str> = origins
        .iter()
        .filter(|o| crate::admin::normalize_origin(o).is_ok_and(|n| n == **o))
        .map(String::as_str)
        .collect();
    if listed.is_empty() {
        return crate::CSP.to_owned();
    }
    crate::CSP.replace("frame-ancestors 'none'", &format!("frame-ancestors {}", listed.join(" ")))
}

/// Adds `X-Frame-Options: DENY` to every response whose CSP refuses all framing (or that has
/// no CSP). Responses whose `frame-ancestors` allows origins go without it: it has no way to
/// name them, and browsers that know CSP obey `frame-ancestors` instead.
pub async fn frame_options(mut response: Response) -> Response {
    let allows_framing = response
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|csp| !csp.contains("frame-ancestors 'none'"));
    if !allows_framing && !response.headers().contains_key(header::X_FRAME_OPTIONS) {
        response.headers_mut().insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
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

    #[test]
    fn frame_ancestors_list_only_clean_origins() {
        let none = csp_with_frame_ancestors(&[]);
        assert_eq!(none, crate::CSP);
        let two = csp_with_frame_ancestors(&["https://a.example".into(), "http://localhost:8081".into()]);
        assert!(two.ends_with("frame-ancestors https://a.example http://localhost:8081"), "{two}");
        assert!(!two.contains("frame-ancestors 'none'"));
        let dirty = csp_with_frame_ancestors(&["https://a.example; script-src *".into(), "HTTPS://B.example".into()]);
        assert_eq!(dirty, crate::CSP);
    }

    #[test]
    fn one_clinic_parameter() {
        let uri = |s: &str| s.parse::<axum::http::Uri>().unwrap();
        assert_eq!(clinic_param(&uri("/v1/frame.html?clinic=demo-clinic")).as_deref(), Some("demo-clinic"));
        assert_eq!(clinic_param(&uri("/v1/frame.html?mode=inline&clinic=a%20b")).as_deref(), Some("a b"));
        assert_eq!(clinic_param(&uri("/v1/frame.html")), None);
        assert_eq!(clinic_param(&uri("/v1/frame.html?clinic=")), None);
        assert_eq!(clinic_param(&uri("/v1/frame.html?clinic=a&clinic=b")), None);
    }
}
