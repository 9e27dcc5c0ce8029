//! Changing the second factor: re-enrolling an authenticator (a new phone) and replacing the
//! recovery codes both need a recent step-up; the new authenticator replaces the old one
//! once confirmed, and the old codes stop working; both are security events.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use base64ct::{Base64UrlUnpadded, Encoding};
use bizing_core::{KeyPair, RecoveryCode, Totp};
use common::{Patient, TENANT, TestApp};
use serde_json::{Value, json};

fn assert_problem(res: &common::Response, status: StatusCode, slug: &str) {
    assert_eq!(res.status, status, "{slug}: {}", res.json);
    assert_eq!(res.problem_type(), format!("urn:bizing:problem:{slug}"), "{}", res.json);
}

/// A fresh second factor with `totp` (on the next time step, so the code is unused).
async fn step_up(app: &TestApp, cookie: &str, totp: &Totp) {
    app.clock.advance(30);
    let code = totp.code_at(app.clock_now());
    let res = app.call("POST", "/api/auth/step-up", Some(json!({ "code": code })), Some(cookie)).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.json);
}

/// A new session with the password, then `second` as the second factor.
async fn sign_in(app: &TestApp, who: &Patient, second: Value) -> common::Response {
    let res = who.login(app, TENANT).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    let cookie = res.cookie().unwrap();
    app.call("POST", "/api/auth/mfa", Some(second), Some(&cookie)).await
}

fn recovery_body(keys: &KeyPair, codes: &[RecoveryCode]) -> Value {
    let slots: Vec<Value> = codes
        .iter()
        .map(|c| {
            json!({
                "codeHash": c.hash().to_string(),
                "wrappedPrivateKey": keys.wrap_with_recovery_code(c).unwrap().to_string(),
            })
        })
        .collect();
    json!({ "recovery": slots })
}

#[tokio::test]
async fn reenrolling_the_authenticator_needs_a_step_up_and_replaces_the_old_one() {
    let app = TestApp::new().await;
    let mut alice = Patient::new("alice@example.com", "Alice");
    let cookie = alice.sign_up(&app, TENANT).await;
    let old = alice.totp.clone().unwrap();
    let user_id = app.user_id(&cookie).await;

    // A session that has only the password cannot start re-enrollment.
    let half = alice.login(&app, TENANT).await.cookie().unwrap();
    assert_problem(
        &app.call("POST", "/api/auth/totp/enroll", None, Some(&half)).await,
        StatusCode::UNAUTHORIZED,
        "mfa-required",
    );
    // Six minutes on, a signed-in session is not fresh enough.
    app.clock.advance(6 * 60);
    let stale = app.call("POST", "/api/auth/totp/enroll", None, Some(&cookie)).await;
    assert_problem(&stale, StatusCode::FORBIDDEN, "step-up-required");

    // With a step-up (the old authenticator), a new secret, pending.
    step_up(&app, &cookie, &old).await;
    let res = app.call("POST", "/api/auth/totp/enroll", None, Some(&cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    let new = Totp::from_uri(res.json["uri"].as_str().unwrap()).unwrap();
    assert_ne!(new.secret().to_base32().to_string(), old.secret().to_base32().to_string());
    // Until confirmed, the old one still signs in.
    app.clock.advance(30);
    let res = sign_in(&app, &alice, json!({ "code": old.code_at(app.clock_now()) })).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.json);
    // A wrong code does not confirm; a stale session cannot confirm either.
    let wrong = app.call("POST", "/api/auth/totp/confirm", Some(json!({ "code": "000000" })), Some(&cookie)).await;
    assert_problem(&wrong, StatusCode::UNAUTHORIZED, "wrong-code");
    app.clock.advance(6 * 60);
    let code = json!({ "code": new.code_at(app.clock_now()) });
    let late = app.call("POST", "/api/auth/totp/confirm", Some(code.clone()), Some(&cookie)).await;
    assert_problem(&late, StatusCode::FORBIDDEN, "step-up-required");
    step_up(&app, &cookie, &old).await;
    let code = json!({ "code": new.code_at(app.clock_now()) });
    let ok = app.call("POST", "/api/auth/totp/confirm", Some(code), Some(&cookie)).await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{}", ok.json);

    // The old authenticator no longer works; the new one does.
    app.clock.advance(30);
    let res = sign_in(&app, &alice, json!({ "code": old.code_at(app.clock_now()) })).await;
    assert_problem(&res, StatusCode::UNAUTHORIZED, "wrong-code");
    let res = sign_in(&app, &alice, json!({ "code": new.code_at(app.clock_now()) })).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.json);

    let events = app.state.store.security_events(&user_id).await.unwrap();
    assert!(events.contains(&"totp_reenrollment_started".to_owned()), "{events:?}");
    assert!(events.contains(&"totp_reenrolled".to_owned()), "{events:?}");
}

#[tokio::test]
async fn new_recovery_codes_need_a_step_up_and_replace_the_old_ones() {
    let app = TestApp::new().await;
    let mut alice = Patient::new("alice@example.com", "Alice");
    let cookie = alice.sign_up(&app, TENANT).await;
    let totp = alice.totp.clone().unwrap();
    let user_id = app.user_id(&cookie).await;
    let fresh = RecoveryCode::generate(10).unwrap();
    let body = recovery_body(&alice.keys, &fresh);

    app.clock.advance(6 * 60);
    let res = app.call("POST", "/api/auth/recovery-codes", Some(body.clone()), Some(&cookie)).await;
    assert_problem(&res, StatusCode::FORBIDDEN, "step-up-required");
    step_up(&app, &cookie, &totp).await;

    // Malformed sets are refused, and change nothing.
    let other = KeyPair::generate().unwrap();
    let mut one_twice = body.clone();
    one_twice["recovery"][1] = one_twice["recovery"][0].clone();
    for bad in [
        recovery_body(&alice.keys, &fresh[..9]),
        recovery_body(&other, &fresh),
        one_twice,
        json!({ "recovery": [] }),
        json!({ "recovery": body["recovery"].clone(), "extra": true }),
    ] {
        let res = app.call("POST", "/api/auth/recovery-codes", Some(bad), Some(&cookie)).await;
        assert_problem(&res, StatusCode::BAD_REQUEST, "invalid-body");
    }
    let res = sign_in(&app, &alice, json!({ "recoveryCode": alice.codes[0].to_display_string().as_str() })).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "the old codes still work: {}", res.json);

    let res = app.call("POST", "/api/auth/recovery-codes", Some(body), Some(&cookie)).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.json);
    let me = app.call("GET", "/api/me", None, Some(&cookie)).await;
    assert_eq!(me.json["recoveryCodesLeft"], 10);
    // An old code no longer signs in; a new one does, once.
    let res = sign_in(&app, &alice, json!({ "recoveryCode": alice.codes[1].to_display_string().as_str() })).await;
    assert_problem(&res, StatusCode::UNAUTHORIZED, "wrong-code");
    let new_code = json!({ "recoveryCode": fresh[3].to_display_string().as_str() });
    assert_eq!(sign_in(&app, &alice, new_code.clone()).await.status, StatusCode::NO_CONTENT);
    assert_problem(&sign_in(&app, &alice, new_code).await, StatusCode::UNAUTHORIZED, "wrong-code");
    // Each new slot holds the account's own key.
    let public = Base64UrlUnpadded::encode_string(&alice.keys.public_key().to_sec1());
    assert_eq!(me.json["publicKey"], public.as_str());
    let events = app.state.store.security_events(&user_id).await.unwrap();
    assert!(events.contains(&"recovery_codes_regenerated".to_owned()), "{events:?}");
}
