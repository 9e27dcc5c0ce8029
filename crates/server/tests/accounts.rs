//! Accounts, the second factor, sessions, and the cross-cutting rules (problem+json,
//! security headers, body limits, PHI at rest), in-process and over a real socket.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use bizing_core::KdfParams;
use bizing_server::Config;
use common::{Patient, T0, TENANT, TestApp};
use serde_json::json;

#[tokio::test]
async fn register_enroll_confirm_me_logout() {
    let app = TestApp::new().await;
    let mut alice = Patient::new("alice@example.com", "Alice Example");
    let cookie = alice.sign_up(&app, TENANT).await;
    let me = app.call("GET", "/api/me", None, Some(&cookie)).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.json);
    assert_eq!(me.json["email"], "alice@example.com");
    assert_eq!(me.json["name"], "Alice Example");
    assert_eq!(me.json["role"], "patient");
    assert_eq!(me.json["recoveryCodesLeft"], 10);
    let out = app.call("POST", "/api/auth/logout", None, Some(&cookie)).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(out.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().contains("Max-Age=0"));
    let after = app.call("GET", "/api/me", None, Some(&cookie)).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_eq!(after.problem_type(), "urn:bizing:problem:session-expired");
}

#[tokio::test]
async fn session_cookie_is_host_prefixed_httponly_secure_strict() {
    let app = TestApp::new().await;
    let alice = Patient::new("alice@example.com", "Alice");
    let res = app.call("POST", "/api/auth/register", Some(alice.register_body(TENANT)), None).await;
    let set = res.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().to_owned();
    assert!(set.starts_with("__Host-bizing-session="), "{set}");
    for attribute in ["Path=/", "HttpOnly", "Secure", "SameSite=Strict"] {
        assert!(set.contains(attribute), "{set} lacks {attribute}");
    }
    // Before the second factor, the account is not usable.
    let me = app.call("GET", "/api/me", None, Some(&res.cookie().unwrap())).await;
    assert_eq!(me.problem_type(), "urn:bizing:problem:mfa-required");
}

#[tokio::test]
async fn prelogin_answers_alike_for_unknown_accounts() {
    let app = TestApp::new().await;
    let mut alice = Patient::new("alice@example.com", "Alice");
    alice.sign_up(&app, TENANT).await;
    let ask = |email: &str| {
        let body = json!({ "tenantId": TENANT, "email": email });
        async { app.call("POST", "/api/auth/prelogin", Some(body), None).await }
    };
    let known = ask(" Alice@Example.com ").await;
    assert_eq!(known.status, StatusCode::OK);
    assert_eq!(known.json["kdfParams"], alice.params.to_string());
    let unknown = ask("nobody@example.com").await;
    let again = ask("nobody@example.com").await;
    let other = ask("someone-else@example.com").await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert_eq!(unknown.json, again.json, "the made-up answer is stable");
    assert_ne!(unknown.json, other.json);
    unknown.json["kdfParams"].as_str().unwrap().parse::<KdfParams>().unwrap();
    // Unknown tenants are 404, like anything that does not exist.
    let res = app.call("POST", "/api/auth/prelogin", Some(json!({ "tenantId": "nope", "email": "a@b.c" })), None).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn wrong_password_then_lockout_with_retry_after() {
    let app = TestApp::new().await;
    let mut alice = Patient::new("alice@example.com", "Alice");
    alice.sign_up(&app, TENANT).await;
    let mut wrong = Patient::new("alice@example.com", "Alice");
    wrong.params = alice.params.clone();
    wrong.password = "not the password".into();
    for _ in 0..4 {
        let res = wrong.login(&app, TENANT).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
        assert_eq!(res.problem_type(), "urn:bizing:problem:wrong-credentials");
    }
    let res = wrong.login(&app, TENANT).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.problem_type(), "urn:bizing:problem:account-locked");
    assert_eq!(res.headers.get(header::RETRY_AFTER).unwrap(), "900");
    // Even the right password waits out the lock.
    assert_eq!(alice.login(&app, TENANT).await.status, StatusCode::TOO_MANY_REQUESTS);
    app.clock.advance(15 * 60);
    assert_eq!(alice.login(&app, TENANT).await.status, StatusCode::OK);
    // Unknown emails get the same answer as a wrong password.
    let ghost = Patient::new("ghost@example.com", "Ghost");
    assert_eq!(ghost.login(&app, TENANT).await.problem_type(), "urn:bizing:problem:wrong-credentials");
}

#[tokio::test]
async fn totp_code_works_once_and_a_replay_is_logged() {
    let app = TestApp::new().await;
    let mut alice = Patient::new("alice@example.com", "Alice");
    alice.sign_up(&app, TENANT).await;
    app.clock.advance(60);
    let totp = alice.totp.clone().unwrap();
    let code = totp.code_at(app.clock_now());

    let first = alice.login(&app, TENANT).await;
    assert_eq!(first.json["next"], "verify-mfa");
    let c1 = first.cookie().unwrap();
    let ok = app.call("POST", "/api/auth/mfa", Some(json!({ "code": code })), Some(&c1)).await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{}", ok.json);
    assert_eq!(app.call("GET", "/api/me", None, Some(&c1)).await.status, StatusCode::OK);

    let second = alice.login(&app, TENANT).await.cookie().unwrap();
    let replay = app.call("POST", "/api/auth/mfa", Some(json!({ "code": code })), Some(&second)).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert_eq!(replay.problem_type(), "urn:bizing:problem:code-already-used");
    let user_id = app.call("GET", "/api/me", None, Some(&c1)).await.json["userId"].as_str().unwrap().to_owned();
    assert!(app.state.store.security_events(&user_id).await.unwrap().contains(&"totp_replay".to_owned()));

    // The previous step is still accepted (clock drift), the one before is not.
    app.clock.advance(30);
    let previous = totp.code_at(app.clock_now() - 30);
    let res = app.call("POST", "/api/auth/mfa", Some(json!({ "code": previous })), Some(&second)).await;
    // That step was the one just used, so it is a replay too; use the current one.
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let current = totp.code_at(app.clock_now());
    let res = app.call("POST", "/api/auth/mfa", Some(json!({ "code": current })), Some(&second)).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.json);
}

#[tokio::test]
async fn wrong_codes_lock_the_account() {
    let app = TestApp::new().await;
    let mut alice = Patient::new("alice@example.com", "Alice");
    alice.sign_up(&app, TENANT).await;
    let cookie = alice.login(&app, TENANT).await.cookie().unwrap();
    for _ in 0..4 {
        let res = app.call("POST", "/api/auth/mfa", Some(json!({ "code": "000000" })), Some(&cookie)).await;
        assert_eq!(res.problem_type(), "urn:bizing:problem:wrong-code");
    }
    let res = app.call("POST", "/api/auth/mfa", Some(json!({ "code": "000000" })), Some(&cookie)).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    let code = alice.totp.as_ref().unwrap().code_at(app.clock_now() + 30);
    app.clock.advance(30);
    let res = app.call("POST", "/api/auth/mfa", Some(json!({ "code": code })), Some(&cookie)).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "locked even for a right code");
}

#[tokio::test]
async fn recovery_code_is_single_use() {
    let app = TestApp::new().await;
    let mut alice = Patient::new("alice@example.com", "Alice");
    alice.sign_up(&app, TENANT).await;
    let code = alice.codes[3].to_display_string().to_lowercase();
    let c1 = alice.login(&app, TENANT).await.cookie().unwrap();
    let ok = app.call("POST", "/api/auth/mfa", Some(json!({ "recoveryCode": code })), Some(&c1)).await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{}", ok.json);
    assert_eq!(app.call("GET", "/api/me", None, Some(&c1)).await.json["recoveryCodesLeft"], 9);
    let c2 = alice.login(&app, TENANT).await.cookie().unwrap();
    let again = app.call("POST", "/api/auth/mfa", Some(json!({ "recoveryCode": code })), Some(&c2)).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    let both =
        app.call("POST", "/api/auth/mfa", Some(json!({ "code": "123456", "recoveryCode": code })), Some(&c2)).await;
    assert_eq!(both.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn activity_is_recorded_at_most_every_few_seconds_and_never_late() {
    use bizing_server::session::TOUCH_EVERY_SECS;
    let app = TestApp::new().await;
    let mut alice = Patient::new("alice@example.com", "Alice");
    let cookie = alice.sign_up(&app, TENANT).await;
    let idle = Config::default().session_idle_secs;
    // A request soon after the last recorded one is not recorded: the idle deadline still
    // counts from the recorded one, so it comes at most TOUCH_EVERY_SECS early.
    app.clock.advance(TOUCH_EVERY_SECS - 1);
    assert_eq!(app.call("GET", "/api/me", None, Some(&cookie)).await.status, StatusCode::OK);
    app.clock.advance(idle - TOUCH_EVERY_SECS + 2);
    let early = app.call("GET", "/api/me", None, Some(&cookie)).await;
    assert_eq!(early.problem_type(), "urn:bizing:problem:session-expired");
    // One TOUCH_EVERY_SECS after the last record, a request is recorded again.
    let cookie = alice.login(&app, TENANT).await.cookie().unwrap();
    let code = alice.totp.as_ref().unwrap().code_at(app.clock_now());
    let mfa = app.call("POST", "/api/auth/mfa", Some(json!({ "code": code })), Some(&cookie)).await;
    assert_eq!(mfa.status, StatusCode::NO_CONTENT);
    app.clock.advance(TOUCH_EVERY_SECS);
    assert_eq!(app.call("GET", "/api/me", None, Some(&cookie)).await.status, StatusCode::OK);
    app.clock.advance(idle);
    assert_eq!(app.call("GET", "/api/me", None, Some(&cookie)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn sessions_expire_when_idle_and_after_twelve_hours() {
    let app = TestApp::new().await;
    let mut alice = Patient::new("alice@example.com", "Alice");
    let cookie = alice.sign_up(&app, TENANT).await;
    app.clock.advance(14 * 60);
    assert_eq!(app.call("GET", "/api/me", None, Some(&cookie)).await.status, StatusCode::OK);
    app.clock.advance(15 * 60 + 1);
    let expired = app.call("GET", "/api/me", None, Some(&cookie)).await;
    assert_eq!(expired.problem_type(), "urn:bizing:problem:session-expired");

    // Active all day: still ends after 12 hours.
    let c = alice.login(&app, TENANT).await.cookie().unwrap();
    let signed_in_at = app.clock_now();
    let code = alice.totp.as_ref().unwrap().code_at(app.clock_now());
    assert_eq!(
        app.call("POST", "/api/auth/mfa", Some(json!({ "code": code })), Some(&c)).await.status,
        StatusCode::NO_CONTENT
    );
    loop {
        app.clock.advance(10 * 60);
        let res = app.call("GET", "/api/me", None, Some(&c)).await;
        let elapsed = app.clock_now() - signed_in_at;
        if res.status != StatusCode::OK {
            assert_eq!(res.problem_type(), "urn:bizing:problem:session-expired");
            assert!(elapsed > 12 * 3600, "ended early, after {elapsed} s");
            return;
        }
        assert!(elapsed <= 12 * 3600, "the session outlived its 12-hour limit");
    }
}

#[tokio::test]
async fn accounts_are_per_tenant_and_emails_unique_within_one() {
    let app = TestApp::new().await;
    let mut alice = Patient::new("alice@example.com", "Alice");
    alice.sign_up(&app, TENANT).await;
    let dup = app.call("POST", "/api/auth/register", Some(alice.register_body(TENANT)), None).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert_eq!(dup.problem_type(), "urn:bizing:problem:account-exists");
    // The same email at another clinic is another account; signing in there with the first
    // clinic's account fails.
    assert_eq!(alice.login(&app, "clinic-b").await.status, StatusCode::UNAUTHORIZED);
    let mut alice_b = Patient::new("alice@example.com", "Alice at B");
    alice_b.sign_up(&app, "clinic-b").await;
    assert_eq!(alice.login(&app, TENANT).await.status, StatusCode::OK);
}

#[tokio::test]
async fn bad_input_gets_problem_json_and_changes_nothing() {
    let app = TestApp::new().await;
    let alice = Patient::new("alice@example.com", "Alice");
    let mut cases: Vec<(Request<Body>, StatusCode, &str)> = Vec::new();
    let post = |body: Body, ct: Option<&str>| {
        let mut b = Request::builder().method("POST").uri("/api/auth/register");
        if let Some(ct) = ct {
            b = b.header(header::CONTENT_TYPE, ct);
        }
        b.body(body).unwrap()
    };
    cases.push((post(Body::from("{not json"), Some("application/json")), StatusCode::BAD_REQUEST, "invalid-body"));
    cases.push((
        post(Body::from(alice.register_body(TENANT).to_string()), None),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
    ));
    cases.push((
        post(Body::from(vec![b'{'; 300 * 1024]), Some("application/json")),
        StatusCode::PAYLOAD_TOO_LARGE,
        "body-too-large",
    ));
    let mut extra = alice.register_body(TENANT);
    extra["isAdmin"] = json!(true);
    cases.push((
        post(Body::from(extra.to_string()), Some("application/json")),
        StatusCode::BAD_REQUEST,
        "invalid-body",
    ));
    for (field, value) in [
        ("publicKey", json!("AAAA")),
        ("authKey", json!("!!")),
        ("kdfParams", json!("argon2id$v=19$m=1,t=1,p=1$AAAA")),
        ("wrappedPrivateKey", json!("bzk1.AAAA")),
        ("email", json!("no-at-sign")),
        ("name", json!("")),
        ("recovery", json!([])),
        ("tenantId", json!(42)),
    ] {
        let mut body = alice.register_body(TENANT);
        body[field] = value;
        cases.push((
            post(Body::from(body.to_string()), Some("application/json")),
            StatusCode::BAD_REQUEST,
            "invalid-body",
        ));
    }
    for (req, status, kind) in cases {
        let res = app.send(req).await;
        assert_eq!(res.status, status, "{}", res.json);
        assert_eq!(res.headers.get(header::CONTENT_TYPE).unwrap(), "application/problem+json");
        assert_eq!(res.problem_type(), format!("urn:bizing:problem:{kind}"));
    }
    // Nothing was half-written: the real registration still succeeds.
    let res = app.call("POST", "/api/auth/register", Some(alice.register_body(TENANT)), None).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
}

#[tokio::test]
async fn injection_strings_are_stored_verbatim() {
    let app = TestApp::new().await;
    let name = "Robert'); DROP TABLE users;-- \" OR 1=1 <script>alert(1)</script>";
    let mut bobby = Patient::new("bobby'--@example.com", name);
    let cookie = bobby.sign_up(&app, TENANT).await;
    let me = app.call("GET", "/api/me", None, Some(&cookie)).await;
    assert_eq!(me.json["name"], name);
    assert_eq!(me.json["email"], "bobby'--@example.com");
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::new().await;
    for res in [
        app.call("GET", "/api/health", None, None).await,
        app.call("GET", "/api/nothing-here", None, None).await,
        app.call("GET", "/api/me", None, None).await,
    ] {
        let csp = res.headers.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap();
        assert!(csp.contains("'wasm-unsafe-eval'") && !csp.contains("unsafe-inline"), "{csp}");
        assert!(res.headers.get(header::STRICT_TRANSPORT_SECURITY).is_some());
        assert_eq!(res.headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff");
        assert_eq!(res.headers.get(header::REFERRER_POLICY).unwrap(), "no-referrer");
    }
    let missing = app.call("GET", "/api/nothing-here", None, None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.problem_type(), "urn:bizing:problem:not-found");
}

#[tokio::test]
async fn phi_is_encrypted_at_rest() {
    let app = TestApp::new().await;
    let mut alice = Patient::new("alice.unique-marker@example.com", "Zebediah Quintessence");
    alice.sign_up(&app, TENANT).await;
    drop(app.state.store.clone());
    let mut bytes = std::fs::read(app.db_path()).unwrap();
    if let Ok(wal) = std::fs::read(app.db_path().with_extension("db-wal")) {
        bytes.extend_from_slice(&wal);
    }
    for needle in ["Zebediah", "Quintessence", "unique-marker", &alice.password] {
        assert!(!bytes.windows(needle.len()).any(|w| w == needle.as_bytes()), "{needle} found in the database");
    }
}

#[tokio::test]
async fn over_a_real_socket() {
    let app = TestApp::new().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app.router.clone();
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let alice = Patient::new("alice@example.com", "Alice");
    let body = alice.register_body(TENANT).to_string();
    let request = format!(
        "POST /api/auth/register HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let response = raw_http(addr, request.as_bytes()).await;
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    assert!(response.contains("set-cookie: __Host-bizing-session="), "{response}");
    let health =
        raw_http(addr, format!("GET /api/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes())
            .await;
    assert!(health.starts_with("HTTP/1.1 200") && health.contains("{\"ok\":true}"), "{health}");
    server.abort();
    let _ = T0;
}

async fn raw_http(addr: std::net::SocketAddr, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_end(&mut out)).await.unwrap().unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn sensitive_actions_need_a_fresh_second_factor() {
    let app = TestApp::new().await;
    let mut alice = Patient::new("alice@example.com", "Alice");
    let cookie = alice.sign_up(&app, TENANT).await;
    let totp = alice.totp.clone().unwrap();
    // A correction request is sensitive. Right after the second factor it gets past the
    // step-up check (and finds no such booking).
    let sensitive = || {
        app.call(
            "POST",
            "/api/bookings/nope/corrections",
            Some(json!({ "id": "AAAAAAAAAAAAAAAAAAAAAA", "change": "bze1.AAAA" })),
            Some(&cookie),
        )
    };
    assert_eq!(sensitive().await.status, StatusCode::NOT_FOUND);
    // Six minutes later the session is still alive, but not fresh enough.
    app.clock.advance(6 * 60);
    let stale = sensitive().await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);
    assert_eq!(stale.problem_type(), "urn:bizing:problem:step-up-required");
    let wrong = app.call("POST", "/api/auth/step-up", Some(json!({ "code": "000000" })), Some(&cookie)).await;
    assert_eq!(wrong.problem_type(), "urn:bizing:problem:wrong-code");
    let code = totp.code_at(app.clock_now());
    let ok = app.call("POST", "/api/auth/step-up", Some(json!({ "code": code })), Some(&cookie)).await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{}", ok.json);
    assert_eq!(sensitive().await.status, StatusCode::NOT_FOUND);
    // The same code cannot be used twice.
    let again = app.call("POST", "/api/auth/step-up", Some(json!({ "code": code })), Some(&cookie)).await;
    assert_eq!(again.problem_type(), "urn:bizing:problem:code-already-used");
    // Step-up needs a signed-in session.
    let anon = app.call("POST", "/api/auth/step-up", Some(json!({ "code": code })), None).await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
}
