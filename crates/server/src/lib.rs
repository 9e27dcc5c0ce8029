//! The reference booking server of the Bizing booking SDK.
//!
//! [`app`] builds the whole HTTP API as an axum `Router`, so tests drive it in-process and
//! over a socket alike. Every error is RFC 9457 problem+json; every response carries the
//! security headers; PHI is encrypted at rest; notes arrive sealed and stay sealed.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod access_log;
pub mod admin;
pub mod auth;
pub mod clinic_keys;
pub mod clock;
pub mod corrections;
pub mod demo;
pub mod error;
pub mod export;
pub mod extract;
pub mod npp;
pub mod openapi;
pub mod preferences;
pub mod ratelimit;
pub mod restrictions;
pub mod rewrap;
pub mod scheduling;
pub mod session;
pub mod store;
pub mod vault;
pub mod web;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::MatchedPath;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::{delete, get, post, put};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::clock::Clock;
use crate::error::AppError;
use crate::store::Store;
use crate::vault::MasterKey;

/// Largest request body accepted: notes are small, and 64 KiB of sealed note is ~48 KiB text.
pub const BODY_LIMIT: usize = 256 * 1024;

/// Settings that tests and deployments change.
#[derive(Debug, Clone)]
pub struct Config {
    /// A session ends after this long without a request (default 15 minutes).
    pub session_idle_secs: i64,
    /// A session ends this long after sign-in whatever happens (default 12 hours).
    pub session_absolute_secs: i64,
    /// A directory with the built web apps (`portal/`, `widget/`), served at `/portal/`
    /// and `/widget/`; none by default.
    pub static_root: Option<std::path::PathBuf>,
    /// Requests a minute per session or address (default 100 standard, 30 PHI reads, 10
    /// exports, 10 guest bookings per address).
    pub rate_limits: ratelimit::RateLimits,
    /// The server's public origin as browsers see it (`https://booking.example`), if known.
    /// When set, a guest booking whose `Origin` header names another origin is refused: the
    /// widget posts from its iframe on this origin. Unset (the default), that check is
    /// skipped. Set it with [`admin::normalize_origin`]'s form.
    pub public_origin: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            session_idle_secs: 15 * 60,
            session_absolute_secs: 12 * 60 * 60,
            static_root: None,
            rate_limits: ratelimit::RateLimits::default(),
            public_origin: None,
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The master key that wraps tenant data keys.
    pub master: MasterKey,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Settings.
    pub config: Config,
    /// A hash to verify against for unknown accounts, so login takes the same time.
    pub dummy_hash: Arc<String>,
    fake_secret: Arc<zeroize::Zeroizing<[u8; 32]>>,
}

impl AppState {
    /// State over an open store.
    ///
    /// # Errors
    /// Internal if key derivation fails.
    pub fn new(store: Store, master: MasterKey, clock: Arc<dyn Clock>, config: Config) -> Result<Self, AppError> {
        let mut fake_secret = zeroize::Zeroizing::new([0u8; 32]);
        // The fake pre-login answer must be stable across restarts: derive it from the
        // master key rather than from fresh randomness.
        master.derive(b"bizing prelogin fake v1", fake_secret.as_mut_slice())?;
        let dummy_hash = Arc::new(auth::dummy_hash()?);
        Ok(Self { store, master, clock, config, dummy_hash, fake_secret: Arc::new(fake_secret) })
    }

    /// The stable made-up KDF parameters for an unknown email.
    ///
    /// # Errors
    /// Internal on a key-derivation failure.
    pub fn fake_kdf_params(&self, tenant_id: &str, email: &str) -> Result<String, AppError> {
        auth::fake_kdf_params(&self.fake_secret, tenant_id, email)
    }
}

/// The content security policy of every response: nothing inline, wasm allowed to compile.
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
                       img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
                       form-action 'self'; frame-ancestors 'none'";

/// The whole HTTP API.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .route("/api/health", get(|| async { axum::Json(serde_json::json!({ "ok": true })) }))
        .route("/api/openapi.json", get(openapi::serve))
        .route("/api/auth/prelogin", post(auth::prelogin))
        .route("/api/auth/register", post(auth::register))
        .route("/api/auth/login", post(auth::login))
        .route("/api/auth/totp/enroll", post(auth::totp_enroll))
        .route("/api/auth/totp/confirm", post(auth::totp_confirm))
        .route("/api/auth/mfa", post(auth::mfa))
        .route("/api/auth/step-up", post(auth::step_up))
        .route("/api/auth/recovery-codes", post(auth::regenerate_recovery_codes))
        .route("/api/auth/logout", post(auth::logout))
        .route("/api/auth/widget-session", post(auth::widget_session))
        .route("/api/auth/activity", post(auth::activity))
        .route("/api/auth/session", get(auth::session_status))
        .route("/api/me", get(auth::me))
        .route("/api/clinics/{tenant}/npp", get(npp::current))
        .route("/api/clinics/{tenant}/log-key", get(access_log::log_key))
        .route("/api/access-log", get(access_log::page))
        .route("/api/clinics/{tenant}/clinic-key", get(clinic_keys::current))
        .route("/api/staff/keys", get(clinic_keys::staff_keys))
        .route("/api/clinic-keys", post(clinic_keys::publish))
        .route("/api/clinic-keys/mine", get(clinic_keys::mine))
        .route("/api/clinic-keys/shares", post(clinic_keys::add_shares))
        .route("/api/npp", post(npp::publish))
        .route("/api/npp/ack", post(npp::acknowledge))
        .route("/api/npp/status", get(npp::status))
        .route("/api/admin/invitations", get(admin::invitations).post(admin::create_invitation))
        .route("/api/admin/invitations/{id}", delete(admin::revoke_invitation))
        .route("/api/admin/staff", get(admin::staff))
        .route("/api/admin/staff/{id}", delete(admin::remove_staff))
        .route("/api/admin/staff/{id}/role", put(admin::change_role))
        .route("/api/admin/clinic", get(admin::clinic).put(admin::update_clinic))
        .route("/api/admin/services", get(admin::services).post(admin::create_service))
        .route("/api/admin/services/{id}", put(admin::update_service).delete(admin::deactivate_service))
        .route("/api/admin/providers", get(admin::providers).post(admin::create_provider))
        .route("/api/admin/providers/{id}", put(admin::update_provider).delete(admin::deactivate_provider))
        .route("/api/admin/providers/{id}/schedule", get(admin::schedule).put(admin::set_schedule))
        .route("/api/clinics/{tenant}/services", get(scheduling::services))
        .route("/api/clinics/{tenant}/providers", get(scheduling::providers))
        .route("/api/clinics/{tenant}/slots", get(scheduling::slots))
        .route("/api/clinics/{tenant}/guest-bookings", post(scheduling::create_guest))
        .route("/api/bookings", get(scheduling::list).post(scheduling::create))
        .route("/api/bookings/{id}", get(scheduling::get_one))
        .route("/api/bookings/{id}/cancel", post(scheduling::cancel))
        .route("/api/bookings/{id}/reschedule", post(scheduling::reschedule))
        .route("/api/bookings/{id}/check-in", post(scheduling::check_in))
        .route("/api/bookings/{id}/corrections", post(corrections::create))
        .route("/api/corrections", get(corrections::list))
        .route("/api/corrections/{id}", get(corrections::get_one))
        .route("/api/corrections/{id}/accept", post(corrections::accept))
        .route("/api/corrections/{id}/deny", post(corrections::deny))
        .route("/api/corrections/{id}/extend", post(corrections::extend))
        .route("/api/corrections/{id}/disagreement", post(corrections::disagreement))
        .route("/api/preferences", get(preferences::get))
        .route(
            "/api/preferences/confidential-contact",
            put(preferences::set_contact).delete(preferences::clear_contact),
        )
        .route("/api/restrictions", get(restrictions::list).post(restrictions::create))
        .route("/api/restrictions/{id}/decide", post(restrictions::decide))
        .route("/api/restrictions/{id}/withdraw", post(restrictions::withdraw))
        .route("/api/export", get(export::export))
        .route("/api/notes/stale", get(rewrap::stale))
        .route("/api/notes/rewrap", post(rewrap::rewrap).layer(DefaultBodyLimit::max(rewrap::REWRAP_BODY_LIMIT)))
        .fallback(|| async { AppError::NotFound });
    // `X-Frame-Options: DENY` is added last, by `web::frame_options`, to every response whose
    // CSP refuses all framing: it cannot name origins, so widget pages that a clinic lets its
    // sites embed (`web::widget_frame_ancestors`) go without it.
    let headers: [(HeaderName, &str); 6] = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::STRICT_TRANSPORT_SECURITY, "max-age=63072000; includeSubDomains"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    let static_root = state.config.static_root.clone();
    let widget_state = state.clone();
    let mut router = api
        .layer(axum::middleware::from_fn_with_state(state.clone(), ratelimit::limit))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state);
    if let Some(root) = static_root {
        let portal = web::serve_dir(&root.join("portal")).layer(axum::middleware::from_fn(web::portal_opener_policy));
        router = router.nest_service("/portal", portal);
        let widget = web::serve_dir(&root.join("widget"))
            .layer(axum::middleware::from_fn_with_state(widget_state, web::widget_frame_ancestors));
        router = router.nest_service("/widget", widget);
    }
    // Requests are logged by method and route template only: never the raw path (ids), the
    // query string or a body, so no PHI reaches the logs.
    router = router.layer(
        TraceLayer::new_for_http()
            .make_span_with(|req: &axum::http::Request<_>| {
                let route = req.extensions().get::<MatchedPath>().map_or("-", MatchedPath::as_str).to_owned();
                tracing::info_span!("request", method = %req.method(), route = %route)
            })
            .on_request(())
            .on_response(DefaultOnResponse::new().level(tracing::Level::INFO))
            .on_failure(()),
    );
    for (name, value) in headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value)));
    }
    router.layer(axum::middleware::map_response(web::frame_options))
}
