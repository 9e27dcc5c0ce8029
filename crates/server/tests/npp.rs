//! Notice of Privacy Practices and rate limits.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use bizing_core::NppVersion;
use bizing_server::ratelimit::RateLimits;
use bizing_server::store::Store;
use bizing_server::vault::MasterKey;
use bizing_server::{AppState, Config};
use common::{Patient, TENANT, TestApp};
use serde_json::json;
use tower::ServiceExt;

/// A signed-in user of `role` (registered as a patient, then given the role).
async fn signed_in(app: &TestApp, email: &str, role: &str) -> String {
    let mut user = Patient::new(email, email);
    let cookie = user.sign_up(app, TENANT).await;
    let id = app.call("GET", "/api/me", None, Some(&cookie)).await.json["userId"].as_str().unwrap().to_owned();
    assert!(app.state.store.set_role(TENANT, &id, role).await.unwrap());
    cookie
}

#[tokio::test]
async fn publish_acknowledge_and_renew() {
    let year = Config { session_idle_secs: 400 * 86_400, session_absolute_secs: 400 * 86_400, ..Config::default() };
    let app = TestApp::with_config(year).await;
    let admin = signed_in(&app, "admin@example.com", "admin").await;
    let patient = signed_in(&app, "pat@example.com", "patient").await;

    // Nothing published: nothing to acknowledge, and no notice to show.
    let status = app.call("GET", "/api/npp/status", None, Some(&patient)).await;
    assert_eq!(status.json["needsAcknowledgment"], false);
    assert_eq!(app.call("GET", &format!("/api/clinics/{TENANT}/npp"), None, None).await.status, StatusCode::NOT_FOUND);

    // Only admins publish.
    let text = "NOTICE OF PRIVACY PRACTICES\nThis notice describes how medical information about you may be used.";
    assert_eq!(
        app.call("POST", "/api/npp", Some(json!({ "text": text })), Some(&patient)).await.status,
        StatusCode::FORBIDDEN
    );
    let published = app.call("POST", "/api/npp", Some(json!({ "text": text })), Some(&admin)).await;
    assert_eq!(published.status, StatusCode::CREATED, "{}", published.json);
    let hash = NppVersion::new(text).hash().to_string();
    assert_eq!(published.json["hash"], hash);

    // Public, for the widget: the full text and its hash.
    let notice = app.call("GET", &format!("/api/clinics/{TENANT}/npp"), None, None).await;
    assert_eq!(notice.json["text"], text);
    assert_eq!(notice.json["hash"], hash);

    let status = app.call("GET", "/api/npp/status", None, Some(&patient)).await;
    assert_eq!(status.json["needsAcknowledgment"], true);
    assert_eq!(status.json["currentHash"], hash);

    let stale = app
        .call(
            "POST",
            "/api/npp/ack",
            Some(json!({ "versionHash": "00".repeat(32), "channel": "portal" })),
            Some(&patient),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.problem_type(), "urn:bizing:problem:npp-outdated");
    let bad_channel = app
        .call("POST", "/api/npp/ack", Some(json!({ "versionHash": hash, "channel": "email" })), Some(&patient))
        .await;
    assert_eq!(bad_channel.status, StatusCode::BAD_REQUEST);
    let ok = app
        .call("POST", "/api/npp/ack", Some(json!({ "versionHash": hash, "channel": "portal" })), Some(&patient))
        .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT);
    let status = app.call("GET", "/api/npp/status", None, Some(&patient)).await;
    assert_eq!(status.json["needsAcknowledgment"], false);
    assert_eq!(status.json["lastAcknowledgment"]["channel"], "portal");

    // A year later it is asked again.
    app.clock.advance(365 * 86_400);
    let status = app.call("GET", "/api/npp/status", None, Some(&patient)).await;
    assert_eq!(status.json["needsAcknowledgment"], true);
    let ok = app
        .call("POST", "/api/npp/ack", Some(json!({ "versionHash": hash, "channel": "widget" })), Some(&patient))
        .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT);

    // A new version is asked again at once.
    let v2 = format!("{text}\nRevised.");
    app.call("POST", "/api/npp", Some(json!({ "text": v2 })), Some(&admin)).await;
    let status = app.call("GET", "/api/npp/status", None, Some(&patient)).await;
    assert_eq!(status.json["needsAcknowledgment"], true);
    assert_eq!(status.json["currentHash"], NppVersion::new(&v2).hash().to_string());

    // The gate other endpoints use.
    let me = app.call("GET", "/api/me", None, Some(&patient)).await;
    let uid = me.json["userId"].as_str().unwrap();
    let refused = bizing_server::npp::ensure_acknowledged(&app.state, TENANT, uid, "patient").await.unwrap_err();
    let response = axum::response::IntoResponse::into_response(refused);
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(bizing_server::npp::ensure_acknowledged(&app.state, TENANT, uid, "receptionist").await.is_ok());

    // Empty and oversized notices are refused.
    for text in [String::new(), "x".repeat(101 * 1024)] {
        let res = app.call("POST", "/api/npp", Some(json!({ "text": text })), Some(&admin)).await;
        assert!(res.status == StatusCode::BAD_REQUEST || res.status == StatusCode::PAYLOAD_TOO_LARGE, "{}", res.status);
    }
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after() {
    let app = TestApp::new().await;
    for i in 0..100 {
        let res = app.call("GET", "/api/health", None, None).await;
        assert_eq!(res.status, StatusCode::OK, "request {i}");
    }
    let limited = app.call("GET", "/api/health", None, None).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.problem_type(), "urn:bizing:problem:rate-limited");
    let retry: i64 = limited.headers.get(header::RETRY_AFTER).unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    app.clock.advance(retry);
    assert_eq!(app.call("GET", "/api/health", None, None).await.status, StatusCode::OK);

    // PHI reads have their own, lower limit per session.
    let cookie = signed_in(&app, "reader@example.com", "patient").await;
    app.clock.advance(60); // a fresh window: signing in already read /api/me once
    let mut statuses = Vec::new();
    for _ in 0..31 {
        statuses.push(app.call("GET", "/api/me", None, Some(&cookie)).await.status);
    }
    assert!(statuses[..30].iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
    assert_eq!(statuses[30], StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn rate_limits_are_configurable() {
    let limits = bizing_server::ratelimit::RateLimits { standard: 3, phi_read: 2, export: 1, guest_booking: 1 };
    let app = TestApp::with_config(Config { rate_limits: limits, ..Config::default() }).await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(app.call("GET", "/api/health", None, None).await.status);
    }
    assert_eq!(statuses, [StatusCode::OK, StatusCode::OK, StatusCode::OK, StatusCode::TOO_MANY_REQUESTS]);
}

/// `n` requests for `/api/health` sent at once, with the session cookie `token` if any; the
/// statuses in the order the requests were made.
async fn at_once(router: &Router, n: usize, token: Option<&str>) -> Vec<StatusCode> {
    let mut requests = tokio::task::JoinSet::new();
    for i in 0..n {
        let mut req = Request::get("/api/health");
        if let Some(token) = token {
            req = req.header(header::COOKIE, format!("__Host-bizing-session={token}"));
        }
        let req = req.body(Body::empty()).unwrap();
        let router = router.clone();
        requests.spawn(async move { (i, router.oneshot(req).await.unwrap().status()) });
    }
    let mut statuses = requests.join_all().await;
    statuses.sort_by_key(|(i, _)| *i);
    statuses.into_iter().map(|(_, s)| s).collect()
}

/// Requests that arrive together are counted together (one write for many), yet each exactly
/// once, in its own bucket; and two servers on one database share the counts.
#[tokio::test]
async fn concurrent_requests_are_each_counted_once_and_servers_share_counts() {
    let limits = RateLimits { standard: 25, phi_read: 25, export: 1, guest_booking: 1 };
    let config = Config { rate_limits: limits, ..Config::default() };
    let app = TestApp::with_config(config.clone()).await;
    let (anonymous, with_session) =
        tokio::join!(at_once(&app.router, 30, None), at_once(&app.router, 30, Some("some-session-token")));
    for statuses in [anonymous, with_session] {
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 25, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count(), 5, "{statuses:?}");
    }

    // A second server on the same database, in a fresh window: 25 requests between them.
    let url = format!("sqlite://{}", app.db_path().display());
    let store = Store::open(&url).await.unwrap();
    let state = AppState::new(store, MasterKey::generate().unwrap(), Arc::new(app.clock.clone()), config).unwrap();
    let other = bizing_server::app(state);
    app.clock.advance(60);
    let mut statuses = Vec::new();
    for i in 0..26 {
        let router = if i % 2 == 0 { &app.router } else { &other };
        statuses.extend(at_once(router, 1, None).await);
    }
    assert!(statuses[..25].iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
    assert_eq!(statuses[25], StatusCode::TOO_MANY_REQUESTS);
}

/// A made-up session cookie per request is no way around the limit on the requests that
/// start a session: those are counted per address whatever they carry.
#[tokio::test]
async fn made_up_cookies_do_not_escape_the_limit_on_signing_in() {
    let limits = RateLimits { standard: 3, phi_read: 3, export: 1, guest_booking: 1 };
    let app = TestApp::with_config(Config { rate_limits: limits, ..Config::default() }).await;
    let body = json!({ "tenant": TENANT, "email": "someone@example.com" });
    for path in ["/api/auth/prelogin", "/api/auth/login"] {
        let mut statuses = Vec::new();
        for i in 0..4 {
            let cookie = format!("__Host-bizing-session=made-up-{path}-{i}");
            statuses.push(app.call("POST", path, Some(body.clone()), Some(&cookie)).await.status);
        }
        assert!(statuses[..3].iter().all(|s| *s != StatusCode::TOO_MANY_REQUESTS), "{path}: {statuses:?}");
        assert_eq!(statuses[3], StatusCode::TOO_MANY_REQUESTS, "{path}: {statuses:?}");
        app.clock.advance(60);
    }
    // Elsewhere a session's requests have a bucket of their own: a made-up cookie there is
    // only ever answered 401 by the session check.
    for i in 0..4 {
        let cookie = format!("__Host-bizing-session=made-up-health-{i}");
        assert_eq!(app.call("GET", "/api/health", None, Some(&cookie)).await.status, StatusCode::OK);
    }
}

/// Buckets not used for an hour are deleted, so made-up session values cannot grow the
/// counters' table for ever.
#[tokio::test]
async fn old_rate_limit_buckets_are_purged() {
    let app = TestApp::new().await;
    for i in 0..5 {
        let cookie = format!("__Host-bizing-session=made-up-{i}");
        assert_eq!(app.call("GET", "/api/health", None, Some(&cookie)).await.status, StatusCode::OK);
    }
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", app.db_path().display())).await.unwrap();
    let buckets = || async {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM rate_limits").fetch_one(&db).await.unwrap();
        n
    };
    assert!(buckets().await >= 5);
    app.clock.advance(2 * 3600);
    assert_eq!(app.call("GET", "/api/health", None, None).await.status, StatusCode::OK);
    // The purge follows the count that answered the request; give it a moment.
    let mut left = buckets().await;
    for _ in 0..100 {
        if left == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        left = buckets().await;
    }
    assert_eq!(left, 1, "only the bucket of the request just made is left");
}
