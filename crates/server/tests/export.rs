//! The patient's export (right of access): everything the clinic holds about the signed-in
//! patient and nothing about anyone else, after a step-up, at most 10 a minute, logged, as a
//! no-store attachment, with an access log whose proofs verify with the core verifier.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::{StatusCode, header};
use bizing_core::access_log::ProvenEvent;
use bizing_core::api::{EXPORT_FORMAT, ExportDocument, LogKey, correction_context, note_context, restriction_context};
use bizing_core::{Envelope, SealOptions};
use bizing_server::store::{ProviderRow, ScheduleRow, ServiceRow};
use common::{Patient, TENANT, TestApp};
use serde_json::json;

fn assert_problem(res: &common::Response, status: StatusCode, slug: &str) {
    assert_eq!(res.status, status, "{slug}: {}", res.json);
    assert_eq!(res.problem_type(), format!("urn:bizing:problem:{slug}"), "{}", res.json);
}

async fn step_up(app: &TestApp, who: &Patient, cookie: &str) {
    app.clock.advance(30);
    let code = who.totp.as_ref().unwrap().code_at(app.clock_now());
    let res = app.call("POST", "/api/auth/step-up", Some(json!({ "code": code })), Some(cookie)).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.json);
}

/// Books 09:00 + `slot` half hours on Tuesday 2026-09-22 with a sealed note; returns its id.
async fn book(app: &TestApp, who: &Patient, cookie: &str, slot: i64, text: &str) -> String {
    let id = bizing_server::auth::new_id().unwrap();
    let clinic = app.call("GET", &format!("/api/clinics/{TENANT}/clinic-key"), None, None).await;
    let jwk = serde_json::to_string(&clinic.json["jwk"]).unwrap();
    let recipients = [bizing_core::PublicKey::from_jwk(&jwk).unwrap(), who.keys.public_key().clone()];
    let note =
        Envelope::seal(text.as_bytes(), &note_context(TENANT, &id), &recipients, SealOptions::default()).unwrap();
    let start = format!("2026-09-22T{:02}:{:02}:00-04:00", 9 + slot / 2, (slot % 2) * 30);
    let body = json!({ "id": id, "providerId": "doc", "serviceId": "visit", "start": start, "note": note.to_string() });
    let res = app.call("POST", "/api/bookings", Some(body), Some(cookie)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    id
}

#[tokio::test]
async fn a_patient_exports_their_own_record_and_nothing_else() {
    let app = TestApp::new().await;
    let mut admin = Patient::new("admin@clinic.example", "Ada Admin");
    let admin_cookie = admin.sign_up_as(&app, TENANT, "admin").await;
    let mut doc = Patient::new("doc@clinic.example", "Dr. Doc");
    let doc_cookie = doc.sign_up_as(&app, TENANT, "provider").await;
    let mut desk = Patient::new("desk@clinic.example", "Desk");
    let desk_cookie = desk.sign_up_as(&app, TENANT, "receptionist").await;
    app.state
        .store
        .insert_service(&ServiceRow {
            id: "visit".into(),
            tenant_id: TENANT.into(),
            name: "Visit".into(),
            duration_minutes: 30,
            active: true,
        })
        .await
        .unwrap();
    let provider = ProviderRow {
        id: "doc".into(),
        tenant_id: TENANT.into(),
        user_id: app.user_id(&doc_cookie).await,
        display_name: "Dr. Doc".into(),
        active: true,
    };
    app.state.store.insert_provider(&provider).await.unwrap();
    let windows: Vec<ScheduleRow> =
        (1..=5).map(|weekday| ScheduleRow { weekday, start_minute: 9 * 60, end_minute: 12 * 60 }).collect();
    app.state.store.set_weekly_schedule(TENANT, "doc", &windows).await.unwrap();
    let clinic_key = app.publish_clinic_key(&admin_cookie, &[&doc.keys]).await;
    let res = app.call("POST", "/api/npp", Some(json!({ "text": "We protect your data." })), Some(&admin_cookie)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    let npp_hash = res.json["hash"].as_str().unwrap().to_owned();

    let mut anna = Patient::new("anna@example.com", "Anna Exporter");
    let anna_cookie = anna.sign_up(&app, TENANT).await;
    let mut bert = Patient::new("bert@example.com", "Bert Someone-Else");
    let bert_cookie = bert.sign_up(&app, TENANT).await;
    for cookie in [&anna_cookie, &bert_cookie] {
        let ack = json!({ "versionHash": npp_hash, "channel": "portal" });
        assert_eq!(app.call("POST", "/api/npp/ack", Some(ack), Some(cookie)).await.status, StatusCode::NO_CONTENT);
    }
    let anna_booking = book(&app, &anna, &anna_cookie, 0, "Anna's knee").await;
    let anna_cancelled = book(&app, &anna, &anna_cookie, 1, "Anna's second visit").await;
    let res = app.call("POST", &format!("/api/bookings/{anna_cancelled}/cancel"), None, Some(&anna_cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    let bert_booking = book(&app, &bert, &bert_cookie, 2, "Bert's secret").await;
    let correction = bizing_server::auth::new_id().unwrap();
    let change = Envelope::seal(
        b"left knee",
        &correction_context(TENANT, &anna_booking, &correction),
        &[anna.keys.public_key().clone()],
        SealOptions::default(),
    )
    .unwrap();
    let uri = format!("/api/bookings/{anna_booking}/corrections");
    let res = app
        .call("POST", &uri, Some(json!({ "id": correction, "change": change.to_string() })), Some(&anna_cookie))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    // Her privacy preferences (still within the second factor of her sign-up).
    let contact = json!({ "method": "email", "value": "anna@work.example" });
    let res = app.call("PUT", "/api/preferences/confidential-contact", Some(contact), Some(&anna_cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    let restriction = bizing_server::auth::new_id().unwrap();
    let details = Envelope::seal(
        b"not to my insurer",
        &restriction_context(TENANT, &restriction),
        &[clinic_key.public_key().clone(), anna.keys.public_key().clone()],
        SealOptions::default(),
    )
    .unwrap();
    let body = json!({ "id": restriction, "kind": "health-plan", "details": details.to_string() });
    let res = app.call("POST", "/api/restrictions", Some(body), Some(&anna_cookie)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    // The provider reads Anna's booking: an access by someone else, which she must see.
    assert_eq!(
        app.call("GET", &format!("/api/bookings/{anna_booking}"), None, Some(&doc_cookie)).await.status,
        StatusCode::OK
    );

    // Not signed in; staff; a stale session.
    assert_eq!(app.call("GET", "/api/export", None, None).await.status, StatusCode::UNAUTHORIZED);
    for cookie in [&admin_cookie, &doc_cookie, &desk_cookie] {
        assert_problem(&app.call("GET", "/api/export", None, Some(cookie)).await, StatusCode::FORBIDDEN, "forbidden");
    }
    app.clock.advance(6 * 60);
    let stale = app.call("GET", "/api/export", None, Some(&anna_cookie)).await;
    assert_problem(&stale, StatusCode::FORBIDDEN, "step-up-required");

    step_up(&app, &anna, &anna_cookie).await;
    let res = app.call("GET", "/api/export", None, Some(&anna_cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    let disposition = res.headers.get(header::CONTENT_DISPOSITION).unwrap().to_str().unwrap();
    assert!(disposition.starts_with("attachment; filename=\"bizing-export-2026-09-21"), "{disposition}");
    assert_eq!(res.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    assert!(res.headers.get(header::CONTENT_TYPE).unwrap().to_str().unwrap().starts_with("application/json"));
    let raw = String::from_utf8(res.raw.clone()).unwrap();
    let doc_json: ExportDocument = serde_json::from_value(res.json).unwrap();

    // Everything of Anna's.
    assert_eq!(doc_json.format, EXPORT_FORMAT);
    assert_eq!(doc_json.tenant_id, TENANT);
    let anna_id = app.user_id(&anna_cookie).await;
    assert_eq!(doc_json.account.user_id, anna_id);
    assert_eq!(doc_json.account.name, "Anna Exporter");
    assert_eq!(doc_json.account.email, "anna@example.com");
    assert_eq!(doc_json.account.key_id, anna.keys.key_id().to_string());
    let ids: Vec<&str> = doc_json.bookings.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&anna_booking.as_str()) && ids.contains(&anna_cancelled.as_str()));
    let booking = doc_json.bookings.iter().find(|b| b.id == anna_booking).unwrap();
    let note: Envelope = booking.note.as_deref().unwrap().parse().unwrap();
    assert_eq!(note.open_text(&anna.keys, &note_context(TENANT, &anna_booking)).unwrap().as_str(), "Anna's knee");
    assert_eq!(doc_json.corrections.len(), 1);
    assert_eq!(doc_json.corrections[0].id, correction);
    let change: Envelope = doc_json.corrections[0].change.parse().unwrap();
    let context = correction_context(TENANT, &anna_booking, &correction);
    assert_eq!(change.open_text(&anna.keys, &context).unwrap().as_str(), "left knee");
    assert_eq!(doc_json.npp_acknowledgments.len(), 1);
    assert_eq!(doc_json.npp_acknowledgments[0].version_hash, npp_hash);
    assert_eq!(doc_json.confidential_contact.as_ref().unwrap().value, "anna@work.example");
    assert_eq!(doc_json.restrictions.len(), 1);
    let details: Envelope = doc_json.restrictions[0].details.parse().unwrap();
    let context = restriction_context(TENANT, &restriction);
    assert_eq!(details.open_text(&anna.keys, &context).unwrap().as_str(), "not to my insurer");
    assert!(doc_json.restrictions[0].patient_name.is_none());
    // Nothing of Bert's.
    for secret in [bert_booking.as_str(), "Bert", "bert@example.com", &app.user_id(&bert_cookie).await] {
        assert!(!raw.contains(secret), "the export mentions {secret}");
    }
    assert!(doc_json.access_log.events.iter().all(|e| e.event.patient_id == anna_id));

    // The log: the provider's read, and this export itself, every proof verified.
    let actions: Vec<(String, String)> = doc_json
        .access_log
        .events
        .iter()
        .map(|e| (e.event.actor.role.to_string(), e.event.action.to_string()))
        .collect();
    assert!(actions.contains(&("provider".to_owned(), "view".to_owned())), "{actions:?}");
    assert_eq!(actions.last().unwrap(), &("patient".to_owned(), "export".to_owned()));
    let key = app.call("GET", &format!("/api/clinics/{TENANT}/log-key"), None, None).await;
    let mut verifier = serde_json::from_value::<LogKey>(key.json).unwrap().verifier().unwrap();
    let proven: Vec<ProvenEvent> = doc_json.access_log.events.iter().map(|e| e.to_proven().unwrap()).collect();
    assert!(doc_json.access_log.consistency_proof.is_empty());
    verifier.verify(&doc_json.access_log.checkpoint, &[], &proven).unwrap();
    // A doctored export no longer verifies.
    let mut forged = proven.clone();
    forged[0].event.actor.display_name = "Nobody".into();
    assert!(verifier.verify(&doc_json.access_log.checkpoint, &[], &forged).is_err());

    // Bert's export is Bert's.
    step_up(&app, &bert, &bert_cookie).await;
    let res = app.call("GET", "/api/export", None, Some(&bert_cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    let raw = String::from_utf8(res.raw.clone()).unwrap();
    assert!(raw.contains(&bert_booking) && !raw.contains(&anna_booking) && !raw.contains("Anna"));
}

#[tokio::test]
async fn exports_are_rate_limited_and_each_is_logged() {
    let app = TestApp::new().await;
    let mut anna = Patient::new("anna@example.com", "Anna");
    let cookie = anna.sign_up(&app, TENANT).await;
    // Start of a fresh one-minute window (the step-up stays fresh for five).
    let now = i64::try_from(app.clock_now()).unwrap();
    app.clock.advance(60 - now.rem_euclid(60));
    step_up(&app, &anna, &cookie).await;
    for i in 0..10 {
        let res = app.call("GET", "/api/export", None, Some(&cookie)).await;
        assert_eq!(res.status, StatusCode::OK, "export {i}: {}", res.json);
    }
    let res = app.call("GET", "/api/export", None, Some(&cookie)).await;
    assert_problem(&res, StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    assert!(res.headers.get(header::RETRY_AFTER).is_some());
    // Other reads are another class.
    assert_eq!(app.call("GET", "/api/me", None, Some(&cookie)).await.status, StatusCode::OK);
    let log = app.call("GET", "/api/access-log", None, Some(&cookie)).await;
    let exports = log.json["events"].as_array().unwrap().iter().filter(|e| e["event"]["action"] == "export").count();
    assert_eq!(exports, 10, "each export that was answered is logged; the refused one is not");
    // The next minute, again.
    app.clock.advance(60);
    assert_eq!(app.call("GET", "/api/export", None, Some(&cookie)).await.status, StatusCode::OK);
}
