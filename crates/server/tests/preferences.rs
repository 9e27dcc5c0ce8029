//! A patient's privacy preferences end to end: the confidential contact (set, replaced,
//! shown to staff on bookings and never to other patients, cleared, validated, encrypted at
//! rest) and restriction requests (sealed to the clinic and the patient, decided by an admin,
//! withdrawn by the patient, hidden from everyone else), with the access events each makes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::{StatusCode, header};
use bizing_core::api::{AccessLogPage, LogKey, correction_context, restriction_context};
use bizing_core::{ClinicKey, Envelope, KeyPair, PublicKey, SealOptions};
use bizing_server::store::{ProviderRow, ScheduleRow, ServiceRow};
use common::{Patient, TENANT, TestApp};
use serde_json::{Value, json};

/// Clinic A: service `checkup`, provider `prov-a` (with bookings of patients A and B), a
/// second provider, an admin and a receptionist, and a clinic key shared with the provider
/// and the admin. Clinic B (no clinic key): an admin and a patient.
struct World {
    app: TestApp,
    clinic_key: ClinicKey,
    a: Patient,
    a_cookie: String,
    a_booking: String,
    b: Patient,
    b_cookie: String,
    b_booking: String,
    provider_person: Patient,
    provider: String,
    other_provider: String,
    admin_person: Patient,
    admin: String,
    desk: String,
    b_clinic_admin: String,
    c: Patient,
    c_cookie: String,
}

async fn provider(app: &TestApp, id: &str, name: &str) -> (Patient, String) {
    let mut person = Patient::new(&format!("{id}@staff.example"), name);
    let cookie = person.sign_up_as(app, TENANT, "provider").await;
    let user_id = app.user_id(&cookie).await;
    let row = ProviderRow { id: id.into(), tenant_id: TENANT.into(), user_id, display_name: name.into(), active: true };
    app.state.store.insert_provider(&row).await.unwrap();
    let windows: Vec<ScheduleRow> =
        (1..=5).map(|weekday| ScheduleRow { weekday, start_minute: 9 * 60, end_minute: 12 * 60 }).collect();
    app.state.store.set_weekly_schedule(TENANT, id, &windows).await.unwrap();
    (person, cookie)
}

async fn book(app: &TestApp, cookie: &str, start: &str) -> String {
    let body = json!({ "providerId": "prov-a", "serviceId": "checkup", "start": start });
    let res = app.call("POST", "/api/bookings", Some(body), Some(cookie)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    res.json["id"].as_str().unwrap().to_owned()
}

async fn world() -> World {
    let app = TestApp::new().await;
    let service = ServiceRow {
        id: "checkup".into(),
        tenant_id: TENANT.into(),
        name: "Checkup".into(),
        duration_minutes: 30,
        active: true,
    };
    app.state.store.insert_service(&service).await.unwrap();
    let (provider_person, provider_cookie) = provider(&app, "prov-a", "Dr. Quinn Ash").await;
    let (_, other_provider) = provider(&app, "prov-a2", "Dr. Other").await;
    let mut admin_person = Patient::new("admin@staff.example", "Ada Admin");
    let admin = admin_person.sign_up_as(&app, TENANT, "admin").await;
    let desk = Patient::new("desk@staff.example", "Desk Person").sign_up_as(&app, TENANT, "receptionist").await;
    let b_clinic_admin = Patient::new("admin-b@staff.example", "Bea Admin").sign_up_as(&app, "clinic-b", "admin").await;
    let clinic_key = app.publish_clinic_key(&admin, &[&provider_person.keys]).await;
    let mut a = Patient::new("anna@example.com", "Anna Private");
    let a_cookie = a.sign_up(&app, TENANT).await;
    let mut b = Patient::new("bert@example.com", "Bert Other");
    let b_cookie = b.sign_up(&app, TENANT).await;
    let mut c = Patient::new("cleo@example.com", "Cleo Elsewhere");
    let c_cookie = c.sign_up(&app, "clinic-b").await;
    // 2026-09-22 is the Tuesday after T0.
    let a_booking = book(&app, &a_cookie, "2026-09-22T09:00:00-04:00").await;
    let b_booking = book(&app, &b_cookie, "2026-09-22T09:30:00-04:00").await;
    World {
        app,
        clinic_key,
        a,
        a_cookie,
        a_booking,
        b,
        b_cookie,
        b_booking,
        provider_person,
        provider: provider_cookie,
        other_provider,
        admin_person,
        admin,
        desk,
        b_clinic_admin,
        c,
        c_cookie,
    }
}

fn assert_problem(res: &common::Response, status: StatusCode, slug: &str) {
    assert_eq!(res.status, status, "{slug}: {}", res.json);
    assert_eq!(res.headers.get(header::CONTENT_TYPE).unwrap(), "application/problem+json", "{slug}");
    assert_eq!(res.problem_type(), format!("urn:bizing:problem:{slug}"), "{}", res.json);
}

/// Sends a patient's sensitive request; when the server asks for a fresh second factor, gives
/// one and sends it again.
async fn sensitive(
    w: &World,
    who: &Patient,
    cookie: &str,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> common::Response {
    let res = w.app.call(method, uri, body.clone(), Some(cookie)).await;
    if res.problem_type() != "urn:bizing:problem:step-up-required" {
        return res;
    }
    who.step_up(&w.app, cookie).await;
    w.app.call(method, uri, body, Some(cookie)).await
}

const CONTACT: &str = "/api/preferences/confidential-contact";

async fn preferences(w: &World, cookie: &str) -> common::Response {
    w.app.call("GET", "/api/preferences", None, Some(cookie)).await
}

async fn booking(w: &World, id: &str, cookie: &str) -> Value {
    let res = w.app.call("GET", &format!("/api/bookings/{id}"), None, Some(cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    res.json
}

/// The patient's access log, verified against the clinic's pinned log key.
async fn verified_log(app: &TestApp, tenant: &str, cookie: &str) -> AccessLogPage {
    let key = app.call("GET", &format!("/api/clinics/{tenant}/log-key"), None, None).await;
    let mut verifier = serde_json::from_value::<LogKey>(key.json).unwrap().verifier().unwrap();
    let res = app.call("GET", "/api/access-log?since=0", None, Some(cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    let page: AccessLogPage = serde_json::from_value(res.json).unwrap();
    page.verify(&mut verifier).unwrap();
    page
}

/// (resource id, action, actor role) of a patient's events on records of `kind`, in order.
fn events_of(page: &AccessLogPage, kind: &str) -> Vec<(String, String, String)> {
    page.events
        .iter()
        .filter(|e| e.event.resource.kind.as_str() == kind)
        .map(|e| (e.event.resource.id.clone(), e.event.action.to_string(), e.event.actor.role.to_string()))
        .collect()
}

fn database_bytes(app: &TestApp) -> Vec<u8> {
    let mut bytes = std::fs::read(app.db_path()).unwrap();
    if let Ok(wal) = std::fs::read(app.db_path().with_extension("db-wal")) {
        bytes.extend_from_slice(&wal);
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn a_confidential_contact_round_trip_and_staff_see_it_on_bookings() {
    let w = world().await;
    assert_eq!(preferences(&w, &w.a_cookie).await.json, json!({ "restrictions": [] }));
    let contact = json!({ "method": "phone", "value": "  +1 555 0199 (work)  ", "instructions": " No voicemail. " });
    // A sensitive action: a second factor within 5 minutes (sign-up gave one; it went stale).
    w.app.clock.advance(6 * 60);
    let res = w.app.call("PUT", CONTACT, Some(contact.clone()), Some(&w.a_cookie)).await;
    assert_problem(&res, StatusCode::FORBIDDEN, "step-up-required");
    let res = sensitive(&w, &w.a, &w.a_cookie, "PUT", CONTACT, Some(contact)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    assert_eq!(res.json["method"], "phone");
    assert_eq!(res.json["value"], "+1 555 0199 (work)", "trimmed");
    assert_eq!(res.json["instructions"], "No voicemail.");
    let stored = res.json.clone();
    assert!(stored["updatedAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(preferences(&w, &w.a_cookie).await.json, json!({ "confidentialContact": stored, "restrictions": [] }));

    // Staff see it on A's bookings, whoever they are; A's own view and B's do not carry it.
    for cookie in [&w.desk, &w.provider, &w.admin] {
        assert_eq!(booking(&w, &w.a_booking, cookie).await["confidentialContact"], stored);
        assert!(booking(&w, &w.b_booking, cookie).await.get("confidentialContact").is_none(), "B set none");
        let list = w.app.call("GET", "/api/bookings", None, Some(cookie)).await;
        let rows = list.json["bookings"].as_array().unwrap();
        let of_a = rows.iter().find(|b| b["id"] == w.a_booking.as_str()).unwrap();
        assert_eq!(of_a["confidentialContact"], stored);
    }
    assert!(booking(&w, &w.a_booking, &w.a_cookie).await.get("confidentialContact").is_none(), "{}", w.a_booking);
    let own = w.app.call("GET", "/api/bookings", None, Some(&w.a_cookie)).await;
    assert!(own.json["bookings"][0].get("confidentialContact").is_none());
    // B reads only B's preferences, and cannot reach A's booking at all.
    assert_eq!(preferences(&w, &w.b_cookie).await.json, json!({ "restrictions": [] }));
    let res = w.app.call("GET", &format!("/api/bookings/{}", w.a_booking), None, Some(&w.b_cookie)).await;
    assert_problem(&res, StatusCode::NOT_FOUND, "not-found");
    // Staff have no preferences of their own to read or set here.
    for cookie in [&w.desk, &w.provider, &w.admin] {
        assert_problem(&preferences(&w, cookie).await, StatusCode::FORBIDDEN, "forbidden");
        let res = w.app.call("PUT", CONTACT, Some(json!({ "method": "email", "value": "x@y.z" })), Some(cookie)).await;
        assert_problem(&res, StatusCode::FORBIDDEN, "forbidden");
        assert_problem(&w.app.call("DELETE", CONTACT, None, Some(cookie)).await, StatusCode::FORBIDDEN, "forbidden");
    }

    // Replaced, then removed: staff no longer see it.
    let mail = json!({ "method": "mail", "value": "PO Box 17\nSpringfield, IL 62701" });
    let res = sensitive(&w, &w.a, &w.a_cookie, "PUT", CONTACT, Some(mail)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    assert!(res.json.get("instructions").is_none());
    assert_eq!(booking(&w, &w.a_booking, &w.desk).await["confidentialContact"]["method"], "mail");
    let res = sensitive(&w, &w.a, &w.a_cookie, "DELETE", CONTACT, None).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.json);
    assert!(booking(&w, &w.a_booking, &w.desk).await.get("confidentialContact").is_none());
    assert_eq!(preferences(&w, &w.a_cookie).await.json, json!({ "restrictions": [] }));
    let again = w.app.call("DELETE", CONTACT, None, Some(&w.a_cookie)).await;
    assert_eq!(again.status, StatusCode::NO_CONTENT, "removing nothing is fine: {}", again.json);

    // The patient's log: their own changes, and every staff member who saw it.
    let page = verified_log(&w.app, TENANT, &w.a_cookie).await;
    let a_id = w.app.user_id(&w.a_cookie).await;
    let events = events_of(&page, "confidential_contact");
    assert!(events.iter().all(|(id, _, _)| *id == a_id), "{events:?}");
    let changes: Vec<(&str, &str)> =
        events.iter().filter(|(_, action, _)| action != "view").map(|(_, a, r)| (a.as_str(), r.as_str())).collect();
    assert_eq!(changes, [("create", "patient"), ("update", "patient"), ("update", "patient")]);
    for role in ["receptionist", "provider", "admin"] {
        assert!(events.contains(&(a_id.clone(), "view".into(), role.into())), "{role}: {events:?}");
    }
    // One view per answer that showed it, not one per booking: each staff member read A's
    // booking and listed the clinic's (or their) bookings with the first contact, and the
    // desk read A's booking once more with the second.
    let views = events.iter().filter(|(_, action, role)| action == "view" && role != "patient").count();
    assert_eq!(views, 3 * 2 + 1, "{events:?}");
    let b_page = verified_log(&w.app, TENANT, &w.b_cookie).await;
    assert!(events_of(&b_page, "confidential_contact").is_empty(), "B's contact was never shown: none set");
}

#[tokio::test]
async fn confidential_contacts_are_validated_and_not_in_the_database_in_clear() {
    let w = world().await;
    w.a.step_up(&w.app, &w.a_cookie).await;
    let put = |body: Value| w.app.call("PUT", CONTACT, Some(body), Some(&w.a_cookie));
    for (body, slug) in [
        (json!({ "method": "phone", "value": "   " }), "invalid-contact"),
        (json!({ "method": "phone", "value": "ring me" }), "invalid-contact"),
        (json!({ "method": "phone", "value": "555\n0100" }), "invalid-contact"),
        (json!({ "method": "email", "value": "not an address" }), "invalid-contact"),
        (json!({ "method": "mail", "value": "x".repeat(501) }), "invalid-contact"),
        (json!({ "method": "mail", "value": "PO Box 1", "instructions": "y".repeat(1001) }), "invalid-contact"),
        (json!({ "method": "mail", "value": "PO Box 1", "instructions": "bell\u{7}" }), "invalid-contact"),
        (json!({ "method": "fax", "value": "555 0100" }), "invalid-body"),
        (json!({ "method": "phone" }), "invalid-body"),
        (json!({ "method": "phone", "value": 5550100 }), "invalid-body"),
        (json!({ "method": "phone", "value": "555 0100", "extra": 1 }), "invalid-body"),
        (json!([]), "invalid-body"),
    ] {
        assert_problem(&put(body.clone()).await, StatusCode::BAD_REQUEST, slug);
    }
    let res = w.app.call("PUT", CONTACT, None, Some(&w.a_cookie)).await;
    assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(preferences(&w, &w.a_cookie).await.json, json!({ "restrictions": [] }), "nothing stored");

    let value = "Quokka-contact-marker@work.example";
    let instructions = "Wombat-instructions-marker: weekdays only";
    let res = put(json!({ "method": "email", "value": value, "instructions": instructions })).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    assert_eq!(booking(&w, &w.a_booking, &w.desk).await["confidentialContact"]["value"], value);
    let bytes = database_bytes(&w.app);
    assert!(contains(&bytes, &w.a_booking), "the bookings are in the files read");
    for needle in ["Quokka-contact-marker", "Wombat-instructions-marker"] {
        assert!(!contains(&bytes, needle), "{needle} found in the database");
    }
    // The ciphertext is bound to its patient: copied to B's row, it does not open.
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", w.app.db_path().display())).await.unwrap();
    let b_id = w.app.user_id(&w.b_cookie).await;
    sqlx::query(
        "INSERT INTO confidential_contacts (patient_id, tenant_id, contact_enc, updated_at) \
         SELECT ?, tenant_id, contact_enc, updated_at FROM confidential_contacts",
    )
    .bind(&b_id)
    .execute(&db)
    .await
    .unwrap();
    db.close().await;
    let res = w.app.call("GET", "/api/preferences", None, Some(&w.b_cookie)).await;
    assert_eq!(res.status, StatusCode::INTERNAL_SERVER_ERROR, "a moved ciphertext is refused, not shown");
    assert!(!String::from_utf8_lossy(&res.raw).contains("Quokka"));
}

/// Restriction details sealed as a browser does: to `recipients`, under the request's context.
fn sealed(id: &str, recipients: &[PublicKey], text: &str) -> String {
    let context = restriction_context(TENANT, id);
    Envelope::seal(text.as_bytes(), &context, recipients, SealOptions::default()).unwrap().to_string()
}

/// A new restriction id and the body of patient A's request for `text`, sealed to the clinic
/// key and A's key.
fn new_request(w: &World, kind: &str, text: &str) -> (String, Value) {
    let id = bizing_server::auth::new_id().unwrap();
    let recipients = [w.clinic_key.public_key().clone(), w.a.keys.public_key().clone()];
    let details = sealed(&id, &recipients, text);
    (id.clone(), json!({ "id": id, "kind": kind, "details": details }))
}

async fn file(w: &World, body: Value) -> common::Response {
    sensitive(w, &w.a, &w.a_cookie, "POST", "/api/restrictions", Some(body)).await
}

async fn filed(w: &World, kind: &str, text: &str) -> String {
    let (id, body) = new_request(w, kind, text);
    let res = file(w, body).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    id
}

async fn decide(w: &World, id: &str, body: Value, cookie: &str) -> common::Response {
    w.app.call("POST", &format!("/api/restrictions/{id}/decide"), Some(body), Some(cookie)).await
}

async fn withdraw(w: &World, id: &str, who: &Patient, cookie: &str) -> common::Response {
    sensitive(w, who, cookie, "POST", &format!("/api/restrictions/{id}/withdraw"), None).await
}

async fn restriction_ids(w: &World, cookie: &str) -> Vec<String> {
    let res = w.app.call("GET", "/api/restrictions", None, Some(cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    res.json["restrictions"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_restriction_is_filed_sealed_decided_and_withdrawn() {
    let w = world().await;
    let (id, body) = new_request(&w, "health-plan", "Do not tell my insurer about the 22 September visit.");
    w.app.clock.advance(6 * 60);
    let res = w.app.call("POST", "/api/restrictions", Some(body.clone()), Some(&w.a_cookie)).await;
    assert_problem(&res, StatusCode::FORBIDDEN, "step-up-required");
    let res = file(&w, body.clone()).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    let a_id = w.app.user_id(&w.a_cookie).await;
    assert_eq!(res.json["id"], id.as_str());
    assert_eq!(res.json["patientId"], a_id.as_str());
    assert_eq!(res.json["kind"], "health-plan");
    assert_eq!(res.json["status"], "pending");
    assert_eq!(res.json["details"], body["details"]);
    assert!(res.json["requestedAt"].as_str().unwrap().starts_with("2026-09-21T14:1"), "UTC: {}", res.json);
    assert!(res.json["requestedAt"].as_str().unwrap().ends_with('Z'));
    for absent in ["patientName", "decidedAt", "decidedBy", "decidedByName", "reason", "withdrawnAt"] {
        assert!(res.json.get(absent).is_none(), "{absent}: {}", res.json);
    }
    assert_problem(&file(&w, body).await, StatusCode::CONFLICT, "restriction-exists");

    // The clinic opens the details with its key, and only under this request's context.
    let envelope: Envelope = res.json["details"].as_str().unwrap().parse().unwrap();
    let text = envelope.open_text(w.clinic_key.key_pair(), &restriction_context(TENANT, &id)).unwrap();
    assert_eq!(text.as_str(), "Do not tell my insurer about the 22 September visit.");
    assert!(envelope.open_text(&w.a.keys, &restriction_context(TENANT, &id)).is_ok());
    assert!(envelope.open_text(w.clinic_key.key_pair(), &restriction_context(TENANT, "other-id")).is_err());

    // Listed for A and for the admin (with A's name); B sees none of it.
    assert_eq!(restriction_ids(&w, &w.a_cookie).await, std::slice::from_ref(&id));
    assert!(restriction_ids(&w, &w.b_cookie).await.is_empty());
    let admin_list = w.app.call("GET", "/api/restrictions", None, Some(&w.admin)).await;
    assert_eq!(admin_list.json["restrictions"][0]["patientName"], "Anna Private");
    let prefs = preferences(&w, &w.a_cookie).await;
    assert_eq!(prefs.json["restrictions"][0]["id"], id.as_str());
    assert!(prefs.json["restrictions"][0].get("patientName").is_none());

    // The admin agrees (no reason needed); it cannot be decided twice.
    let res = decide(&w, &id, json!({ "decision": "agreed" }), &w.admin).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    let admin_id = w.app.user_id(&w.admin).await;
    assert_eq!(res.json["status"], "agreed");
    assert_eq!(res.json["decidedBy"], admin_id.as_str());
    assert_eq!(res.json["decidedByName"], "Ada Admin");
    assert!(res.json["decidedAt"].as_str().unwrap().ends_with('Z'));
    assert!(res.json.get("reason").is_none());
    let again = decide(&w, &id, json!({ "decision": "denied", "reason": "Changed my mind." }), &w.admin).await;
    assert_problem(&again, StatusCode::CONFLICT, "restriction-not-pending");

    // The patient withdraws it; then there is nothing to withdraw.
    let res = withdraw(&w, &id, &w.a, &w.a_cookie).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    assert_eq!(res.json["status"], "withdrawn");
    assert_eq!(res.json["decidedByName"], "Ada Admin", "the decision stays on record");
    assert!(res.json["withdrawnAt"].is_string());
    assert_problem(&withdraw(&w, &id, &w.a, &w.a_cookie).await, StatusCode::CONFLICT, "restriction-closed");
    assert_problem(
        &decide(&w, &id, json!({ "decision": "agreed" }), &w.admin).await,
        StatusCode::CONFLICT,
        "restriction-not-pending",
    );

    // A second one, denied with a reason: it cannot be withdrawn. A pending one can.
    w.app.clock.advance(60);
    let denied = filed(&w, "other", "Do not share my records with my employer's clinic.").await;
    let no_reason = decide(&w, &denied, json!({ "decision": "denied" }), &w.admin).await;
    assert_problem(&no_reason, StatusCode::BAD_REQUEST, "invalid-reason");
    let blank = decide(&w, &denied, json!({ "decision": "denied", "reason": "  \n " }), &w.admin).await;
    assert_problem(&blank, StatusCode::BAD_REQUEST, "invalid-reason");
    let long = decide(&w, &denied, json!({ "decision": "denied", "reason": "é".repeat(2001) }), &w.admin).await;
    assert_problem(&long, StatusCode::BAD_REQUEST, "reason-too-large");
    let reason = "We share records with that clinic only with your written consent already.";
    let fits = "é".repeat(2000);
    assert_eq!(fits.chars().count(), 2000);
    let res = decide(&w, &denied, json!({ "decision": "denied", "reason": format!(" {reason} ") }), &w.admin).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    assert_eq!(res.json["status"], "denied");
    assert_eq!(res.json["reason"], reason);
    assert_problem(&withdraw(&w, &denied, &w.a, &w.a_cookie).await, StatusCode::CONFLICT, "restriction-closed");
    w.app.clock.advance(60);
    let pending = filed(&w, "other", "Only call me about appointments.").await;
    let res = withdraw(&w, &pending, &w.a, &w.a_cookie).await;
    assert_eq!(res.json["status"], "withdrawn", "{}", res.json);
    assert!(res.json.get("decidedAt").is_none());
    // A reason up to the limit in characters (not bytes) is fine.
    w.app.clock.advance(60);
    let last = filed(&w, "other", "Last one.").await;
    let res = decide(&w, &last, json!({ "decision": "denied", "reason": fits }), &w.admin).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);

    // Newest first, for the patient and the admin alike.
    let expected = [last.clone(), pending.clone(), denied.clone(), id.clone()];
    assert_eq!(restriction_ids(&w, &w.a_cookie).await, expected);
    assert_eq!(restriction_ids(&w, &w.admin).await, expected);

    // Every change is in the patient's log, by whoever made it; reads too.
    let page = verified_log(&w.app, TENANT, &w.a_cookie).await;
    let events = events_of(&page, "restriction");
    let on_first: Vec<(&str, &str)> =
        events.iter().filter(|(r, a, _)| *r == id && a != "view").map(|(_, a, r)| (a.as_str(), r.as_str())).collect();
    assert_eq!(on_first, [("create", "patient"), ("update", "admin"), ("update", "patient")]);
    assert!(events.contains(&(id.clone(), "view".into(), "admin".into())));
    assert!(events.contains(&(id, "view".into(), "patient".into())));

    // The reason is stored encrypted; the sealed details are opaque.
    let bytes = database_bytes(&w.app);
    assert!(!contains(&bytes, "written consent already"), "a reason found in the database");
    assert!(!contains(&bytes, "employer's clinic"), "details found in the database");
}

#[tokio::test]
async fn details_must_be_sealed_to_exactly_the_clinic_and_the_patient() {
    let w = world().await;
    w.a.step_up(&w.app, &w.a_cookie).await;
    let post = |body: Value| w.app.call("POST", "/api/restrictions", Some(body), Some(&w.a_cookie));
    let clinic = w.clinic_key.public_key().clone();
    let mine = w.a.keys.public_key().clone();
    let stranger = KeyPair::generate().unwrap().public_key().clone();
    let with = |recipients: &[PublicKey]| {
        let id = bizing_server::auth::new_id().unwrap();
        json!({ "id": id, "kind": "other", "details": sealed(&id, recipients, "details") })
    };
    for recipients in [
        vec![clinic.clone()],
        vec![mine.clone()],
        vec![clinic.clone(), w.b.keys.public_key().clone()],
        vec![clinic.clone(), mine.clone(), stranger.clone()],
        vec![stranger.clone(), mine.clone()],
        // An older or future version of the clinic key is not the current one.
        vec![w.clinic_key.rotate().unwrap().public_key().clone(), mine.clone()],
    ] {
        assert_problem(&post(with(&recipients)).await, StatusCode::BAD_REQUEST, "wrong-recipients");
    }
    let id = bizing_server::auth::new_id().unwrap();
    let note = Envelope::seal(
        b"x",
        &correction_context(TENANT, &w.a_booking, &id),
        &[clinic.clone(), mine.clone()],
        SealOptions::default(),
    )
    .unwrap()
    .to_string();
    // Sealed under another context: the server cannot tell (it opens nothing), but the
    // clinic will fail to open it, which the request's id binding guarantees.
    let res = post(json!({ "id": id, "kind": "other", "details": note })).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    let envelope: Envelope = res.json["details"].as_str().unwrap().parse().unwrap();
    assert!(envelope.open_text(w.clinic_key.key_pair(), &restriction_context(TENANT, &id)).is_err());

    let good = with(&[clinic.clone(), mine.clone()]);
    for (body, slug) in [
        (json!({ "id": "short", "kind": "other", "details": good["details"] }), "invalid-id"),
        (json!({ "id": good["id"], "kind": "other", "details": "not an envelope" }), "invalid-envelope"),
        (
            json!({ "id": good["id"], "kind": "other", "details": format!("bze1.{}", "A".repeat(70_000)) }),
            "envelope-too-large",
        ),
        (json!({ "id": good["id"], "kind": "everything", "details": good["details"] }), "invalid-body"),
        (json!({ "id": good["id"], "details": good["details"] }), "invalid-body"),
        (json!({ "id": good["id"], "kind": "other", "details": good["details"], "extra": true }), "invalid-body"),
        (json!("nope"), "invalid-body"),
    ] {
        assert_problem(&post(body).await, StatusCode::BAD_REQUEST, slug);
    }
    assert_eq!(post(good).await.status, StatusCode::CREATED);
    assert_eq!(restriction_ids(&w, &w.a_cookie).await.len(), 2, "nothing else was stored");

    // A clinic without a clinic key could not read it.
    w.c.step_up(&w.app, &w.c_cookie).await;
    let id = bizing_server::auth::new_id().unwrap();
    let details = Envelope::seal(
        b"x",
        &restriction_context("clinic-b", &id),
        &[stranger, w.c.keys.public_key().clone()],
        SealOptions::default(),
    )
    .unwrap()
    .to_string();
    let res = w
        .app
        .call(
            "POST",
            "/api/restrictions",
            Some(json!({ "id": id, "kind": "other", "details": details })),
            Some(&w.c_cookie),
        )
        .await;
    assert_problem(&res, StatusCode::CONFLICT, "no-clinic-key");
}

#[tokio::test]
async fn only_the_patient_and_the_clinics_admins_reach_restrictions() {
    let w = world().await;
    let id = filed(&w, "other", "Please do not discuss my visits with my spouse.").await;
    let uri = format!("/api/restrictions/{id}/decide");
    let agree = json!({ "decision": "agreed" });
    // Receptionists and providers: none of theirs to read or decide.
    for cookie in [&w.desk, &w.provider, &w.other_provider] {
        assert_problem(
            &w.app.call("GET", "/api/restrictions", None, Some(cookie)).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        assert_problem(&decide(&w, &id, agree.clone(), cookie).await, StatusCode::FORBIDDEN, "forbidden");
        let res = w.app.call("POST", &format!("/api/restrictions/{id}/withdraw"), None, Some(cookie)).await;
        assert_problem(&res, StatusCode::FORBIDDEN, "forbidden");
        let (_, body) = new_request(&w, "other", "x");
        let res = w.app.call("POST", "/api/restrictions", Some(body), Some(cookie)).await;
        assert_problem(&res, StatusCode::FORBIDDEN, "forbidden");
    }
    // The patient may not decide their own; another patient or clinic does not see it.
    assert_problem(&decide(&w, &id, agree.clone(), &w.a_cookie).await, StatusCode::FORBIDDEN, "forbidden");
    assert_problem(&decide(&w, &id, agree.clone(), &w.b_cookie).await, StatusCode::NOT_FOUND, "not-found");
    assert_problem(&decide(&w, &id, agree.clone(), &w.b_clinic_admin).await, StatusCode::NOT_FOUND, "not-found");
    assert_problem(&withdraw(&w, &id, &w.b, &w.b_cookie).await, StatusCode::NOT_FOUND, "not-found");
    assert_problem(&withdraw(&w, &id, &w.c, &w.c_cookie).await, StatusCode::NOT_FOUND, "not-found");
    assert!(restriction_ids(&w, &w.b_clinic_admin).await.is_empty());
    assert!(restriction_ids(&w, &w.c_cookie).await.is_empty());
    // An admin decides but does not withdraw the patient's request.
    let res = w.app.call("POST", &format!("/api/restrictions/{id}/withdraw"), None, Some(&w.admin)).await;
    assert_problem(&res, StatusCode::FORBIDDEN, "forbidden");
    let res = w.app.call("POST", "/api/restrictions", Some(new_request(&w, "other", "x").1), Some(&w.admin)).await;
    assert_problem(&res, StatusCode::FORBIDDEN, "forbidden");
    assert_problem(&decide(&w, "no-such-id", agree.clone(), &w.admin).await, StatusCode::NOT_FOUND, "not-found");
    // Malformed decisions are 400s and change nothing.
    for body in [json!({ "decision": "maybe" }), json!({}), json!({ "decision": "agreed", "note": 1 }), json!(7)] {
        assert_problem(&decide(&w, &id, body, &w.admin).await, StatusCode::BAD_REQUEST, "invalid-body");
    }
    let res = w.app.call("POST", &uri, None, Some(&w.admin)).await;
    assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", res.json);
    let res = w.app.call("GET", "/api/restrictions", None, Some(&w.admin)).await;
    assert_eq!(res.json["restrictions"][0]["status"], "pending");
    let res = w.app.call("GET", "/api/restrictions", None, None).await;
    assert_problem(&res, StatusCode::UNAUTHORIZED, "not-signed-in");
}

#[tokio::test]
async fn restriction_details_are_rewrapped_after_a_clinic_key_rotation() {
    let w = world().await;
    let id = filed(&w, "other", "Do not leave messages with my family.").await;
    let old = w.clinic_key.key_pair().key_id();
    // The next version, shared with the provider (and, by the helper, the admin).
    let next = w.clinic_key.rotate().unwrap();
    let res = w.app.publish_clinic_key_version(&w.admin, &next, &[&w.provider_person.keys]).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);

    // The admin lists it as stale: its own record id in the context, version 1.
    w.admin_person.step_up(&w.app, &w.admin).await;
    let stale = w.app.call("GET", "/api/notes/stale", None, Some(&w.admin)).await;
    assert_eq!(stale.status, StatusCode::OK, "{}", stale.json);
    let items = stale.json["items"].as_array().unwrap();
    let item = items.iter().find(|i| i["kind"] == "restriction").expect("the restriction is stale");
    assert_eq!(item["id"], id.as_str());
    assert_eq!(item["bookingId"], id.as_str());
    assert_eq!(item["keyVersions"], json!([1]));
    assert_eq!(item["cursor"], format!("restriction:{id}"));
    // Providers do not see restriction requests, so not their details either.
    w.provider_person.step_up(&w.app, &w.provider).await;
    let theirs = w.app.call("GET", "/api/notes/stale", None, Some(&w.provider)).await;
    assert_eq!(theirs.status, StatusCode::OK, "{}", theirs.json);
    assert!(theirs.json["items"].as_array().unwrap().iter().all(|i| i["kind"] != "restriction"), "{}", theirs.json);

    // Rewrapped in the admin's browser: the old version removed, the new one added.
    let context = restriction_context(TENANT, &id);
    let envelope: Envelope = item["envelope"].as_str().unwrap().parse().unwrap();
    let moved = envelope.rewrap(w.clinic_key.key_pair(), &context, &[next.public_key().clone()], &[old]).unwrap();
    let body = json!({ "version": 2, "items": [{ "kind": "restriction", "id": id, "envelope": moved.to_string() }] });
    let res = w.app.call("POST", "/api/notes/rewrap", Some(body), Some(&w.admin)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    assert_eq!(res.json["rewrapped"], 1);

    let list = w.app.call("GET", "/api/restrictions", None, Some(&w.a_cookie)).await;
    let stored: Envelope = list.json["restrictions"][0]["details"].as_str().unwrap().parse().unwrap();
    assert_eq!(stored.open_text(next.key_pair(), &context).unwrap().as_str(), "Do not leave messages with my family.");
    assert!(stored.open_text(&w.a.keys, &context).is_ok(), "the patient keeps their copy");
    assert!(stored.open_text(w.clinic_key.key_pair(), &context).is_err(), "the old version no longer opens it");
    let page = verified_log(&w.app, TENANT, &w.a_cookie).await;
    assert!(events_of(&page, "restriction").contains(&(id, "rewrap".into(), "admin".into())));
}
