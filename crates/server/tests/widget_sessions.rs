//! Widget sessions: a signed-in patient's browser session makes a child session whose token
//! the booking widget sends as `Authorization: Bearer`. Each kind travels only its own way;
//! the child lives only while its parent does, keeps the parent alive, ends with its logout,
//! idle time-out and absolute lifetime, and cannot give a second factor. `GET
//! /api/auth/session` reads the time left without counting as activity; `POST
//! /api/auth/activity` counts as activity. And the portal's HTML lets the widget-link popup
//! keep its opener.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use bizing_server::Config;
use bizing_server::session::TOUCH_EVERY_SECS;
use common::{Patient, TENANT, TestApp};
use serde_json::{Value, json};

const IDLE: i64 = 15 * 60;
const ABSOLUTE: i64 = 12 * 60 * 60;

/// A request with `Authorization: Bearer <token>`.
async fn bearer(app: &TestApp, method: &str, path: &str, body: Option<Value>, token: &str) -> common::Response {
    let req = Request::builder().method(method).uri(path).header(header::AUTHORIZATION, format!("Bearer {token}"));
    let req = match body {
        Some(b) => req.header(header::CONTENT_TYPE, "application/json").body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    }
    .unwrap();
    app.send(req).await
}

fn assert_problem(res: &common::Response, status: StatusCode, slug: &str) {
    assert_eq!(res.status, status, "{slug}: {}", res.json);
    assert_eq!(res.problem_type(), format!("urn:bizing:problem:{slug}"), "{}", res.json);
}

/// A widget session's token, made from `cookie`.
async fn widget_token(app: &TestApp, cookie: &str) -> String {
    let res = app.call("POST", "/api/auth/widget-session", None, Some(cookie)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    assert_eq!(res.json["idleTimeoutSeconds"], IDLE);
    assert!(res.cookie().is_none(), "the token is in the body, never a cookie");
    res.json["token"].as_str().unwrap().to_owned()
}

/// The raw token of a `name=value` cookie.
fn token_of(cookie: &str) -> &str {
    cookie.split_once('=').unwrap().1
}

async fn me(app: &TestApp, token: &str) -> common::Response {
    bearer(app, "GET", "/api/me", None, token).await
}

#[tokio::test]
async fn only_a_patients_signed_in_browser_session_makes_one() {
    let app = TestApp::new().await;
    assert_problem(
        &app.call("POST", "/api/auth/widget-session", None, None).await,
        StatusCode::UNAUTHORIZED,
        "not-signed-in",
    );
    let mut pat = Patient::new("pat@example.com", "Pat Widget");
    let cookie = pat.sign_up(&app, TENANT).await;
    // Before the second factor: no.
    let half = pat.login(&app, TENANT).await.cookie().unwrap();
    assert_problem(
        &app.call("POST", "/api/auth/widget-session", None, Some(&half)).await,
        StatusCode::UNAUTHORIZED,
        "mfa-required",
    );
    // Staff: no.
    let desk = Patient::new("desk@staff.example", "Desk").sign_up_as(&app, TENANT, "receptionist").await;
    assert_problem(
        &app.call("POST", "/api/auth/widget-session", None, Some(&desk)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );

    let token = widget_token(&app, &cookie).await;
    let user_id = app.user_id(&cookie).await;
    assert!(app.state.store.security_events(&user_id).await.unwrap().contains(&"widget_session_created".to_owned()));
    // The bearer token works where a signed-in patient's session does.
    let res = me(&app, &token).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    assert_eq!(res.json["userId"], user_id.as_str());
    assert_eq!(bearer(&app, "GET", "/api/bookings", None, &token).await.status, StatusCode::OK);
    assert_eq!(bearer(&app, "GET", "/api/npp/status", None, &token).await.status, StatusCode::OK);

    // Each kind travels only its own way.
    let widget_cookie = format!("__Host-bizing-session={token}");
    assert_problem(
        &app.call("GET", "/api/me", None, Some(&widget_cookie)).await,
        StatusCode::UNAUTHORIZED,
        "not-signed-in",
    );
    assert_problem(&me(&app, token_of(&cookie)).await, StatusCode::UNAUTHORIZED, "not-signed-in");
    assert_problem(&me(&app, "not-a-token").await, StatusCode::UNAUTHORIZED, "session-expired");
    // A bearer header wins over a cookie sent along (the widget on the booking site itself).
    let both = Request::builder()
        .uri("/api/me")
        .header(header::COOKIE, &cookie)
        .header(header::AUTHORIZATION, "Bearer not-a-token")
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(both).await.status, StatusCode::UNAUTHORIZED);

    // No second factor from a widget session, so nothing that needs one.
    assert_problem(
        &bearer(&app, "POST", "/api/auth/widget-session", None, &token).await,
        StatusCode::FORBIDDEN,
        "portal-required",
    );
    let code = json!({ "code": "123456" });
    for path in ["/api/auth/step-up", "/api/auth/mfa", "/api/auth/totp/confirm"] {
        let res = bearer(&app, "POST", path, Some(code.clone()), &token).await;
        assert_problem(&res, StatusCode::FORBIDDEN, "portal-required");
    }
    assert_problem(
        &bearer(&app, "POST", "/api/auth/totp/enroll", None, &token).await,
        StatusCode::FORBIDDEN,
        "portal-required",
    );
    assert_problem(&bearer(&app, "GET", "/api/export", None, &token).await, StatusCode::FORBIDDEN, "portal-required");
    let contact = json!({ "method": "phone", "value": "555 0100" });
    let res = bearer(&app, "PUT", "/api/preferences/confidential-contact", Some(contact), &token).await;
    assert_problem(&res, StatusCode::FORBIDDEN, "portal-required");
    // The browser session is untouched by all that.
    assert_eq!(app.call("GET", "/api/me", None, Some(&cookie)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn logging_out_the_parent_ends_its_widget_sessions_and_a_bearer_logout_ends_only_its_own() {
    let app = TestApp::new().await;
    let mut pat = Patient::new("pat@example.com", "Pat Widget");
    let cookie = pat.sign_up(&app, TENANT).await;
    let (one, two) = (widget_token(&app, &cookie).await, widget_token(&app, &cookie).await);
    assert_ne!(one, two);

    let out = bearer(&app, "POST", "/api/auth/logout", None, &one).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(out.headers.get(header::SET_COOKIE).is_none(), "a bearer logout leaves the cookie alone");
    assert_problem(&me(&app, &one).await, StatusCode::UNAUTHORIZED, "session-expired");
    assert_eq!(me(&app, &two).await.status, StatusCode::OK);
    assert_eq!(app.call("GET", "/api/me", None, Some(&cookie)).await.status, StatusCode::OK);

    let out = app.call("POST", "/api/auth/logout", None, Some(&cookie)).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(out.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().contains("Max-Age=0"));
    assert_problem(&me(&app, &two).await, StatusCode::UNAUTHORIZED, "session-expired");
}

#[tokio::test]
async fn a_widget_session_keeps_its_parent_alive_and_ends_with_it() {
    let app = TestApp::new().await;
    let mut pat = Patient::new("pat@example.com", "Pat Widget");
    let cookie = pat.sign_up(&app, TENANT).await;
    let token = widget_token(&app, &cookie).await;

    // Only the widget is used, for longer than the idle timeout: the portal stays signed in.
    for _ in 0..3 {
        app.clock.advance(10 * 60);
        assert_eq!(me(&app, &token).await.status, StatusCode::OK);
    }
    assert_eq!(app.call("GET", "/api/me", None, Some(&cookie)).await.status, StatusCode::OK);

    // Only the portal is used: the widget session idles out on its own, the parent lives on.
    for _ in 0..2 {
        app.clock.advance(8 * 60);
        assert_eq!(app.call("GET", "/api/me", None, Some(&cookie)).await.status, StatusCode::OK);
    }
    assert_problem(&me(&app, &token).await, StatusCode::UNAUTHORIZED, "session-expired");

    // The parent idles out (its recorded activity put back, as if the portal had been left
    // alone while this child was not used): the child ends with it, however fresh.
    let token = widget_token(&app, &cookie).await;
    let url = format!("sqlite://{}", app.db_path().display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let stale = bizing_server::clock::Clock::now(&app.clock) - IDLE - 1;
    sqlx::query("UPDATE sessions SET last_seen_at = ? WHERE kind = 'browser'")
        .bind(stale)
        .execute(&pool)
        .await
        .unwrap();
    assert_problem(&me(&app, &token).await, StatusCode::UNAUTHORIZED, "session-expired");
    assert_problem(&app.call("GET", "/api/me", None, Some(&cookie)).await, StatusCode::UNAUTHORIZED, "session-expired");
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(&pool).await.unwrap();
    assert_eq!(left, 0, "the parent and its children are gone");
    pool.close().await;
}

#[tokio::test]
async fn a_widget_session_ends_with_its_parents_absolute_lifetime() {
    let app = TestApp::new().await;
    let mut pat = Patient::new("pat@example.com", "Pat Widget");
    let cookie = pat.sign_up(&app, TENANT).await;
    let signed_in_at = app.clock_now();
    // The widget session is made an hour after sign-in: its parent's lifetime counts.
    for _ in 0..6 {
        app.clock.advance(10 * 60);
        assert_eq!(app.call("GET", "/api/me", None, Some(&cookie)).await.status, StatusCode::OK);
    }
    let token = widget_token(&app, &cookie).await;
    loop {
        app.clock.advance(10 * 60);
        let res = me(&app, &token).await;
        let elapsed = i64::try_from(app.clock_now() - signed_in_at).unwrap();
        if res.status != StatusCode::OK {
            assert_problem(&res, StatusCode::UNAUTHORIZED, "session-expired");
            assert!(elapsed > ABSOLUTE, "ended early, after {elapsed} s");
            assert!(elapsed <= ABSOLUTE + 10 * 60, "ended late, after {elapsed} s");
            break;
        }
        assert!(elapsed <= ABSOLUTE, "the widget session outlived its parent's 12 hours");
    }
    assert_problem(&app.call("GET", "/api/me", None, Some(&cookie)).await, StatusCode::UNAUTHORIZED, "session-expired");
}

#[tokio::test]
async fn the_session_status_does_not_count_as_activity_and_activity_does() {
    let app = TestApp::new().await;
    let mut pat = Patient::new("pat@example.com", "Pat Widget");
    let cookie = pat.sign_up(&app, TENANT).await;
    let status = |cookie: &str| {
        let cookie = cookie.to_owned();
        let app = &app;
        async move {
            let res = app.call("GET", "/api/auth/session", None, Some(&cookie)).await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.json);
            (res.json["idleRemainingSeconds"].as_i64().unwrap(), res.json["absoluteRemainingSeconds"].as_i64().unwrap())
        }
    };
    assert_eq!(status(&cookie).await, (IDLE, ABSOLUTE));
    app.clock.advance(5 * 60);
    assert_eq!(status(&cookie).await, (IDLE - 300, ABSOLUTE - 300));
    app.clock.advance(5 * 60);
    assert_eq!(status(&cookie).await, (IDLE - 600, ABSOLUTE - 600), "asking did not keep it alive");
    assert_eq!(app.call("POST", "/api/auth/activity", None, Some(&cookie)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(status(&cookie).await, (IDLE, ABSOLUTE - 600));
    // Activity counts even right after the last recorded one (unlike other requests, which
    // record it at most every TOUCH_EVERY_SECS).
    app.clock.advance(TOUCH_EVERY_SECS - 1);
    assert_eq!(app.call("POST", "/api/auth/activity", None, Some(&cookie)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(status(&cookie).await, (IDLE, ABSOLUTE - 600 - TOUCH_EVERY_SECS + 1));

    // A widget session: its status is bounded by its parent's; its activity is the parent's too.
    let token = widget_token(&app, &cookie).await;
    let widget_status = bearer(&app, "GET", "/api/auth/session", None, &token).await;
    assert_eq!(widget_status.json["idleRemainingSeconds"], IDLE);
    assert_eq!(widget_status.json["absoluteRemainingSeconds"], ABSOLUTE - 600 - TOUCH_EVERY_SECS + 1);
    app.clock.advance(5 * 60);
    assert_eq!(status(&cookie).await.0, IDLE - 300);
    assert_eq!(bearer(&app, "POST", "/api/auth/activity", None, &token).await.status, StatusCode::NO_CONTENT);
    assert_eq!(status(&cookie).await.0, IDLE, "the widget's activity kept the portal alive");
    // Past its deadline, asking ends nothing more than a request would: 401.
    app.clock.advance(IDLE + 1);
    assert_problem(
        &app.call("GET", "/api/auth/session", None, Some(&cookie)).await,
        StatusCode::UNAUTHORIZED,
        "session-expired",
    );
    assert_problem(
        &bearer(&app, "GET", "/api/auth/session", None, &token).await,
        StatusCode::UNAUTHORIZED,
        "session-expired",
    );
    assert_problem(
        &app.call("POST", "/api/auth/activity", None, None).await,
        StatusCode::UNAUTHORIZED,
        "not-signed-in",
    );
}

#[tokio::test]
async fn the_portals_pages_let_the_widget_link_popup_keep_its_opener() {
    let dir = common::tempdir::TempDir::new();
    let portal = dir.0.join("portal");
    std::fs::create_dir_all(&portal).unwrap();
    std::fs::write(portal.join("index.html"), "<!doctype html><title>portal</title>").unwrap();
    std::fs::write(portal.join("portal-0123abcd4567.js"), "export {};").unwrap();
    let widget = dir.0.join("widget");
    std::fs::create_dir_all(&widget).unwrap();
    std::fs::write(widget.join("frame.html"), "<!doctype html><title>widget</title>").unwrap();
    let app = TestApp::with_config(Config { static_root: Some(dir.0.clone()), ..Config::default() }).await;
    let coop = |res: &common::Response| {
        res.headers.get("cross-origin-opener-policy").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
    };
    // The widget-link page (`/portal/#/widget-link`; the fragment never reaches the server).
    for path in ["/portal/", "/portal/index.html"] {
        let res = app.call("GET", path, None, None).await;
        assert_eq!(res.status, StatusCode::OK, "{path}");
        assert_eq!(coop(&res), "unsafe-none", "{path}");
        // Still never framed.
        assert_eq!(res.headers.get(header::X_FRAME_OPTIONS).unwrap(), "DENY");
        // A revalidation of the cached page (the popup opened after a portal tab) says so too:
        // the browser takes a 304's headers over for the page it shows.
        let modified = res.headers.get(header::LAST_MODIFIED).unwrap().clone();
        let req = axum::http::Request::get(path)
            .header(header::IF_MODIFIED_SINCE, modified)
            .body(axum::body::Body::empty())
            .unwrap();
        let res = app.send(req).await;
        assert_eq!(res.status, StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(coop(&res), "unsafe-none", "{path} revalidated");
    }
    for path in ["/portal/portal-0123abcd4567.js", "/api/health", "/widget/frame.html?clinic=clinic-a"] {
        assert_eq!(coop(&app.call("GET", path, None, None).await), "same-origin", "{path}");
    }
}
