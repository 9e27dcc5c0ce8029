//! The access log end to end: reads of a patient's record are logged, the patient fetches
//! their events with proofs, the core verifier accepts them against the pinned key, and
//! altering a stored event or serving a forked log is detected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use base64ct::{Base64UrlUnpadded, Encoding};
use bizing_core::VerifyingKey;
use bizing_core::access_log::{AccessLogError, AccessLogVerifier, ProvenEvent, Salt};
use bizing_core::api::AccessLogPage;
use common::{Patient, TENANT, TestApp};

fn unhex<const N: usize>(s: &str) -> [u8; N] {
    let bytes: Vec<u8> = (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect();
    bytes.try_into().unwrap()
}

async fn pinned_verifier(app: &TestApp) -> AccessLogVerifier {
    let key = app.call("GET", &format!("/api/clinics/{TENANT}/log-key"), None, None).await;
    assert_eq!(key.status, StatusCode::OK);
    let public = Base64UrlUnpadded::decode_vec(key.json["publicKey"].as_str().unwrap()).unwrap();
    AccessLogVerifier::new(
        key.json["origin"].as_str().unwrap(),
        key.json["keyName"].as_str().unwrap(),
        VerifyingKey::from_sec1(&public).unwrap(),
    )
}

async fn fetch(app: &TestApp, cookie: &str, since: u64) -> AccessLogPage {
    let res = app.call("GET", &format!("/api/access-log?since={since}"), None, Some(cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    serde_json::from_value(res.json).unwrap()
}

fn proven(page: &AccessLogPage) -> Vec<ProvenEvent> {
    page.events
        .iter()
        .map(|e| ProvenEvent {
            event: e.event.clone(),
            salt: Salt::from_bytes(unhex(&e.salt)),
            leaf_index: e.leaf_index,
            inclusion_proof: e.inclusion_proof.iter().map(|h| unhex(h)).collect(),
        })
        .collect()
}

fn consistency(page: &AccessLogPage) -> Vec<[u8; 32]> {
    page.consistency_proof.iter().map(|h| unhex(h)).collect()
}

#[tokio::test]
async fn reads_are_logged_and_verify_with_the_pinned_key() {
    let app = TestApp::new().await;
    let mut alice = Patient::new("alice@example.com", "Alice");
    let mut bob = Patient::new("bob@example.com", "Bob");
    let a = alice.sign_up(&app, TENANT).await;
    let b = bob.sign_up(&app, TENANT).await;
    for _ in 0..3 {
        app.call("GET", "/api/me", None, Some(&a)).await;
    }
    app.call("GET", "/api/me", None, Some(&b)).await;

    let mut verifier = pinned_verifier(&app).await;
    let page = fetch(&app, &a, 0).await;
    assert_eq!(page.events.len(), 3, "only Alice's own events");
    assert!(page.events.iter().all(|e| e.event.patient_id == page.events[0].event.patient_id));
    assert_eq!(page.events[0].event.action.to_string(), "view");
    let checkpoint = verifier.verify(&page.checkpoint, &consistency(&page), &proven(&page)).unwrap();
    assert_eq!(checkpoint.size(), 4);

    // Later: more events; the new checkpoint must be consistent with the one verified.
    app.call("GET", "/api/me", None, Some(&b)).await;
    app.call("GET", "/api/me", None, Some(&a)).await;
    let since = verifier.trusted_head().size;
    let page2 = fetch(&app, &a, since).await;
    assert_eq!(page2.events.len(), 4);
    verifier.verify(&page2.checkpoint, &consistency(&page2), &proven(&page2)).unwrap();
    assert_eq!(verifier.trusted_head().size, 6);

    // Bob sees only his.
    assert_eq!(fetch(&app, &b, 0).await.events.len(), 2);
    assert_eq!(app.call("GET", "/api/access-log?since=99", None, Some(&a)).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn altering_a_stored_event_is_detected() {
    let app = TestApp::new().await;
    let mut alice = Patient::new("alice@example.com", "Alice");
    let mut bob = Patient::new("bob@example.com", "Bob");
    let a = alice.sign_up(&app, TENANT).await;
    let b = bob.sign_up(&app, TENANT).await;
    app.call("GET", "/api/me", None, Some(&b)).await;
    for _ in 0..3 {
        app.call("GET", "/api/me", None, Some(&a)).await;
    }
    let mut verifier = pinned_verifier(&app).await;
    let page = fetch(&app, &a, 0).await;
    verifier.verify(&page.checkpoint, &consistency(&page), &proven(&page)).unwrap();

    // A server (or an attacker with the database) changes what one event says.
    let mut forged = page.clone();
    forged.events[1].event.actor.display_name = "Nobody".into();
    let err =
        pinned_verifier(&app).await.verify(&forged.checkpoint, &consistency(&forged), &proven(&forged)).unwrap_err();
    assert!(matches!(err, AccessLogError::InclusionFailed { .. }), "{err:?}");
    assert!(err.indicates_tampering());

    // Or rewrites history in the database (here an earlier leaf of another patient, whose
    // entry Alice never sees): the next checkpoint is inconsistent with the one she verified.
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", app.db_path().display())).await.unwrap();
    sqlx::query("UPDATE access_log SET leaf_hash = zeroblob(32) WHERE leaf_index = 0").execute(&db).await.unwrap();
    app.call("GET", "/api/me", None, Some(&a)).await;
    let since = verifier.trusted_head().size;
    let page2 = fetch(&app, &a, since).await;
    let err = verifier.verify(&page2.checkpoint, &consistency(&page2), &proven(&page2)).unwrap_err();
    assert!(err.indicates_tampering(), "{err:?}");

    // And a checkpoint signed by anyone else is refused.
    let mut tampered = page.clone();
    tampered.checkpoint = tampered.checkpoint.replacen('\n', "\n9", 1);
    let err = pinned_verifier(&app).await.verify(&tampered.checkpoint, &[], &proven(&tampered)).unwrap_err();
    assert!(err.indicates_tampering() || matches!(err, AccessLogError::MalformedCheckpoint(_)), "{err:?}");
}

#[tokio::test]
async fn the_log_holds_no_phi_in_clear() {
    let app = TestApp::new().await;
    let mut alice = Patient::new("alice@example.com", "Ximena Quarterfield");
    let a = alice.sign_up(&app, TENANT).await;
    app.call("GET", "/api/me", None, Some(&a)).await;
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", app.db_path().display())).await.unwrap();
    let rows: Vec<(Vec<u8>,)> = sqlx::query_as("SELECT entry_enc FROM access_log").fetch_all(&db).await.unwrap();
    assert!(!rows.is_empty());
    for (entry,) in rows {
        assert!(!entry.windows(7).any(|w| w == b"Ximena "), "the event's display name is stored in clear");
    }
}
