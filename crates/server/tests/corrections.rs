//! Correction (amendment) requests end to end: the lifecycle (request, extend, deny,
//! disagreement; and accept), deadlines with the injected clock, every refused transition,
//! who may see and act (patients, providers, admins, receptionists, other clinics), bad
//! input that stores nothing, the patient's verifiable access log, and staff reasons that
//! are not in the database in clear.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use bizing_core::api::{AccessLogPage, LogKey, correction_context, disagreement_context};
use bizing_core::{ClinicKey, Context, Envelope, SealOptions};
use bizing_server::Config;
use bizing_server::store::{ProviderRow, ScheduleRow, ServiceRow};
use common::{Patient, T0, TENANT, TestApp};
use serde_json::{Value, json};

const DAY: i64 = 86_400;

/// Sessions that outlive the 90-day deadlines the tests move the clock across.
fn long_sessions() -> Config {
    Config { session_idle_secs: 400 * DAY, session_absolute_secs: 400 * DAY, ..Config::default() }
}

/// Clinic A: service `checkup`, providers `prov-a` (with patient A's and B's bookings) and
/// `prov-a2`, an admin and a receptionist; clinic B: a provider, an admin and a patient.
struct World {
    app: TestApp,
    clinic_key: ClinicKey,
    a: Patient,
    a_cookie: String,
    a_booking: String,
    b_cookie: String,
    b_booking: String,
    provider: String,
    other_provider: String,
    admin: String,
    desk: String,
    b_clinic_provider: String,
    b_clinic_admin: String,
    b_clinic_patient: String,
}

async fn provider(app: &TestApp, tenant: &str, id: &str, name: &str) -> String {
    let mut person = Patient::new(&format!("{id}@staff.example"), name);
    let cookie = person.sign_up_as(app, tenant, "provider").await;
    let user_id = app.user_id(&cookie).await;
    let row = ProviderRow { id: id.into(), tenant_id: tenant.into(), user_id, display_name: name.into(), active: true };
    app.state.store.insert_provider(&row).await.unwrap();
    let windows: Vec<ScheduleRow> =
        (1..=5).map(|weekday| ScheduleRow { weekday, start_minute: 9 * 60, end_minute: 12 * 60 }).collect();
    app.state.store.set_weekly_schedule(tenant, id, &windows).await.unwrap();
    cookie
}

async fn staff(app: &TestApp, tenant: &str, email: &str, name: &str, role: &str) -> String {
    Patient::new(email, name).sign_up_as(app, tenant, role).await
}

async fn book(app: &TestApp, cookie: &str, provider: &str, service: &str, start: &str) -> String {
    let body = json!({ "providerId": provider, "serviceId": service, "start": start });
    let res = app.call("POST", "/api/bookings", Some(body), Some(cookie)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    res.json["id"].as_str().unwrap().to_owned()
}

async fn world() -> World {
    let app = TestApp::with_config(long_sessions()).await;
    for (tenant, id) in [(TENANT, "checkup"), ("clinic-b", "b-visit")] {
        let row = ServiceRow {
            id: id.into(),
            tenant_id: tenant.into(),
            name: "Checkup".into(),
            duration_minutes: 30,
            active: true,
        };
        app.state.store.insert_service(&row).await.unwrap();
    }
    let provider_cookie = provider(&app, TENANT, "prov-a", "Dr. Quinn Ash").await;
    let other_provider = provider(&app, TENANT, "prov-a2", "Dr. Other").await;
    let b_clinic_provider = provider(&app, "clinic-b", "prov-b", "Dr. Bee").await;
    let admin = staff(&app, TENANT, "admin@staff.example", "Ada Admin", "admin").await;
    let desk = staff(&app, TENANT, "desk@staff.example", "Desk Person", "receptionist").await;
    let b_clinic_admin = staff(&app, "clinic-b", "admin-b@staff.example", "Bea Admin", "admin").await;
    let mut a = Patient::new("anna@example.com", "Anna Amend");
    let a_cookie = a.sign_up(&app, TENANT).await;
    let mut b = Patient::new("bert@example.com", "Bert Other");
    let b_cookie = b.sign_up(&app, TENANT).await;
    let mut c = Patient::new("cleo@example.com", "Cleo Elsewhere");
    let b_clinic_patient = c.sign_up(&app, "clinic-b").await;
    // 2026-09-22 is the Tuesday after T0.
    let a_booking = book(&app, &a_cookie, "prov-a", "checkup", "2026-09-22T09:00:00-04:00").await;
    let b_booking = book(&app, &b_cookie, "prov-a", "checkup", "2026-09-22T09:30:00-04:00").await;
    book(&app, &b_clinic_patient, "prov-b", "b-visit", "2026-09-22T09:00:00-04:00").await;
    World {
        app,
        clinic_key: ClinicKey::create().unwrap(),
        a,
        a_cookie,
        a_booking,
        b_cookie,
        b_booking,
        provider: provider_cookie,
        other_provider,
        admin,
        desk,
        b_clinic_provider,
        b_clinic_admin,
        b_clinic_patient,
    }
}

/// Text sealed as the portal does: to the clinic key and the patient's key, under `context`.
fn seal(w: &World, context: &Context, text: &str) -> String {
    let recipients = [w.clinic_key.public_key().clone(), w.a.keys.public_key().clone()];
    Envelope::seal(text.as_bytes(), context, &recipients, SealOptions::default()).unwrap().to_string()
}

/// A patient's statement of disagreement with request `id`, sealed.
fn statement_of(w: &World, id: &str, text: &str) -> String {
    seal(w, &disagreement_context(TENANT, &w.a_booking, id), text)
}

/// A new correction id and the body of a request for `text` on `booking_id` with it.
fn new_request(w: &World, booking_id: &str, text: &str) -> (String, Value) {
    let id = bizing_server::auth::new_id().unwrap();
    let change = seal(w, &correction_context(TENANT, booking_id, &id), text);
    (id.clone(), json!({ "id": id, "change": change }))
}

/// Patient A asks for a correction of their booking; returns the answer. A correction request
/// is a sensitive action: when the server asks for a fresh second factor, give one and retry.
async fn request(w: &World, text: &str) -> common::Response {
    let (_, body) = new_request(w, &w.a_booking, text);
    let uri = format!("/api/bookings/{}/corrections", w.a_booking);
    let res = w.app.call("POST", &uri, Some(body.clone()), Some(&w.a_cookie)).await;
    if res.problem_type() != "urn:bizing:problem:step-up-required" {
        return res;
    }
    step_up(w).await;
    w.app.call("POST", &uri, Some(body), Some(&w.a_cookie)).await
}

/// Patient A confirms it is them with a current TOTP code (moving the clock to the next
/// step when the current one was already used).
async fn step_up(w: &World) {
    for _ in 0..2 {
        let code = w.a.totp.as_ref().unwrap().code_at(w.app.clock_now());
        let res = w.app.call("POST", "/api/auth/step-up", Some(json!({ "code": code })), Some(&w.a_cookie)).await;
        if res.status == StatusCode::NO_CONTENT {
            return;
        }
        assert_eq!(res.problem_type(), "urn:bizing:problem:code-already-used", "{}", res.json);
        w.app.clock.advance(30);
    }
    panic!("step-up failed twice");
}

async fn requested(w: &World, text: &str) -> String {
    let res = request(w, text).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    res.json["id"].as_str().unwrap().to_owned()
}

async fn act(w: &World, id: &str, step: &str, body: Option<Value>, cookie: &str) -> common::Response {
    w.app.call("POST", &format!("/api/corrections/{id}/{step}"), body, Some(cookie)).await
}

async fn get(w: &World, id: &str, cookie: &str) -> common::Response {
    w.app.call("GET", &format!("/api/corrections/{id}"), None, Some(cookie)).await
}

async fn ids(w: &World, cookie: &str) -> Vec<String> {
    let res = w.app.call("GET", "/api/corrections", None, Some(cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    res.json["corrections"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

fn utc(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds).unwrap().to_string()
}

fn reason(text: &str) -> Option<Value> {
    Some(json!({ "reason": text }))
}

fn assert_problem(res: &common::Response, status: StatusCode, slug: &str) {
    assert_eq!(res.status, status, "{slug}: {}", res.json);
    assert_eq!(res.headers.get(header::CONTENT_TYPE).unwrap(), "application/problem+json", "{slug}");
    assert_eq!(res.problem_type(), format!("urn:bizing:problem:{slug}"), "{}", res.json);
}

/// The patient's access log, verified against the clinic's pinned log key.
async fn verified_log(app: &TestApp, cookie: &str) -> AccessLogPage {
    let key = app.call("GET", &format!("/api/clinics/{TENANT}/log-key"), None, None).await;
    assert_eq!(key.status, StatusCode::OK);
    let mut verifier = serde_json::from_value::<LogKey>(key.json).unwrap().verifier().unwrap();
    let res = app.call("GET", "/api/access-log?since=0", None, Some(cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    let page: AccessLogPage = serde_json::from_value(res.json).unwrap();
    page.verify(&mut verifier).unwrap();
    page
}

/// The correction events of a log page: (correction id, action, actor role), in order.
fn correction_events(page: &AccessLogPage) -> Vec<(String, String, String)> {
    page.events
        .iter()
        .filter(|e| e.event.resource.kind.to_string() == "correction")
        .map(|e| (e.event.resource.id.clone(), e.event.action.to_string(), e.event.actor.role.to_string()))
        .collect()
}

async fn access_log_rows(app: &TestApp) -> i64 {
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", app.db_path().display())).await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM access_log").fetch_one(&db).await.unwrap();
    db.close().await;
    n
}

async fn correction_rows(app: &TestApp) -> i64 {
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", app.db_path().display())).await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM corrections").fetch_one(&db).await.unwrap();
    db.close().await;
    n
}

#[tokio::test]
async fn request_extend_deny_and_disagree() {
    let w = world().await;
    let res = request(&w, "The visit reason should say left knee, not right knee.").await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    let id = res.json["id"].as_str().unwrap().to_owned();
    let created = res.json.clone();
    assert_eq!(created["status"], "submitted");
    assert_eq!(created["bookingId"], w.a_booking.as_str());
    assert_eq!(created["tenantId"], TENANT);
    assert_eq!(created["patientId"], w.app.user_id(&w.a_cookie).await.as_str());
    assert_eq!(created["requestedAt"], utc(T0));
    assert_eq!(created["requestedAt"], "2026-09-21T14:13:20Z");
    assert_eq!(created["dueAt"], utc(T0 + 60 * DAY));
    assert_eq!(created["overdue"], false);
    for absent in ["extendedAt", "extensionReason", "decidedAt", "denialReason", "disagreement", "disagreementAt"] {
        assert!(created.get(absent).is_none(), "{absent} in {created}");
    }
    // The change is the patient's sealed text; the clinic key (and the patient's) open it
    // under the booking's correction context.
    let change: Envelope = created["change"].as_str().unwrap().parse().unwrap();
    let context = correction_context(TENANT, &w.a_booking, &id);
    let opened = change.open_text(w.clinic_key.key_pair(), &context).unwrap();
    assert_eq!(opened.as_str(), "The visit reason should say left knee, not right knee.");
    assert!(change.open_text(&w.a.keys, &context).is_ok());
    let note_context = Context::new(TENANT, &w.a_booking, "note", 1);
    assert!(change.open_text(w.clinic_key.key_pair(), &note_context).is_err(), "bound to its field");

    // The patient, the booking's provider and the admin see it.
    assert_eq!(ids(&w, &w.a_cookie).await, [id.as_str()]);
    let one = get(&w, &id, &w.a_cookie).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.json);
    assert_eq!(one.json, created);
    assert_eq!(ids(&w, &w.provider).await, [id.as_str()]);
    assert_eq!(ids(&w, &w.admin).await, [id.as_str()]);

    // Extended once, with a reason, by the provider: 30 more days.
    w.app.clock.advance(10 * DAY);
    let extended = act(&w, &id, "extend", reason("Waiting for the imaging report."), &w.provider).await;
    assert_eq!(extended.status, StatusCode::OK, "{}", extended.json);
    assert_eq!(extended.json["status"], "extended");
    assert_eq!(extended.json["dueAt"], utc(T0 + 90 * DAY));
    assert_eq!(extended.json["extendedAt"], utc(T0 + 10 * DAY));
    assert_eq!(extended.json["extensionReason"], "Waiting for the imaging report.");
    assert_eq!(extended.json["updatedAt"], utc(T0 + 10 * DAY));
    let again = act(&w, &id, "extend", reason("More time."), &w.admin).await;
    assert_problem(&again, StatusCode::CONFLICT, "already-extended");

    // No statement of disagreement before a denial.
    let statement = statement_of(&w, &id, "I was there; it was my left knee.");
    let early = act(&w, &id, "disagreement", Some(json!({ "statement": statement })), &w.a_cookie).await;
    assert_problem(&early, StatusCode::CONFLICT, "not-denied");

    // Denied, with a reason the patient reads.
    w.app.clock.advance(5 * DAY);
    let denied =
        act(&w, &id, "deny", reason("  The record is accurate as written: see the intake form.\n"), &w.provider).await;
    assert_eq!(denied.status, StatusCode::OK, "{}", denied.json);
    assert_eq!(denied.json["status"], "denied");
    assert_eq!(denied.json["denialReason"], "The record is accurate as written: see the intake form.");
    assert_eq!(denied.json["decidedAt"], utc(T0 + 15 * DAY));
    assert_eq!(denied.json["dueAt"], utc(T0 + 90 * DAY));
    assert_eq!(denied.json["overdue"], false);
    assert_eq!(denied.json["extensionReason"], "Waiting for the imaging report.");
    for (step, body) in [("deny", reason("Again.")), ("accept", None), ("extend", reason("Later."))] {
        let res = act(&w, &id, step, body, &w.admin).await;
        assert_problem(&res, StatusCode::CONFLICT, "correction-decided");
    }

    // One statement of disagreement.
    let filed = act(&w, &id, "disagreement", Some(json!({ "statement": statement })), &w.a_cookie).await;
    assert_eq!(filed.status, StatusCode::OK, "{}", filed.json);
    assert_eq!(filed.json["disagreement"], statement.as_str());
    assert_eq!(filed.json["disagreementAt"], utc(T0 + 15 * DAY));
    assert_eq!(filed.json["status"], "denied");
    let twice = act(&w, &id, "disagreement", Some(json!({ "statement": statement })), &w.a_cookie).await;
    assert_problem(&twice, StatusCode::CONFLICT, "disagreement-filed");
    let envelope: Envelope = statement.parse().unwrap();
    let context = disagreement_context(TENANT, &w.a_booking, &id);
    assert!(envelope.open_text(w.clinic_key.key_pair(), &context).is_ok());

    // The provider sees the final state.
    let seen = get(&w, &id, &w.provider).await;
    assert_eq!(seen.json, filed.json);

    // Every read and change is in the patient's log, which verifies against the pinned key.
    let page = verified_log(&w.app, &w.a_cookie).await;
    let events = correction_events(&page);
    let expected: Vec<(String, String, String)> = [
        ("create", "patient"),
        ("view", "patient"),
        ("view", "patient"),
        ("view", "provider"),
        ("view", "admin"),
        ("update", "provider"),
        ("update", "provider"),
        ("update", "patient"),
        ("view", "provider"),
    ]
    .iter()
    .map(|(action, role)| (id.clone(), (*action).to_owned(), (*role).to_owned()))
    .collect();
    assert_eq!(events, expected);
    let deny_event = page
        .events
        .iter()
        .filter(|e| e.event.resource.kind.to_string() == "correction" && e.event.action.to_string() == "update")
        .nth(1)
        .unwrap();
    assert_eq!(deny_event.event.actor.display_name, "Dr. Quinn Ash");
    assert_eq!(deny_event.event.at, u64::try_from(T0 + 15 * DAY).unwrap());
    // (The refused transitions above are not in it.) Bert's log holds none of it.
    assert!(correction_events(&verified_log(&w.app, &w.b_cookie).await).is_empty());
}

#[tokio::test]
async fn accept_and_the_deadlines() {
    let w = world().await;
    let first = requested(&w, "Please fix the spelling of my name.").await;
    w.app.clock.advance(59 * DAY);
    assert_eq!(get(&w, &first, &w.a_cookie).await.json["overdue"], false);
    // Due at the 60-day mark, overdue after it.
    w.app.clock.advance(DAY);
    let due = get(&w, &first, &w.a_cookie).await;
    assert_eq!(due.json["overdue"], false);
    assert_eq!(due.json["dueAt"], utc(T0 + 60 * DAY));
    w.app.clock.advance(1);
    let late = get(&w, &first, &w.provider).await;
    assert_eq!(late.json["overdue"], true);
    assert_eq!(ids(&w, &w.admin).await, [first.as_str()]);
    // Too late to extend; still to be decided.
    let res = act(&w, &first, "extend", reason("We need more time."), &w.provider).await;
    assert_problem(&res, StatusCode::CONFLICT, "deadline-passed");
    let accepted = act(&w, &first, "accept", None, &w.admin).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.json);
    assert_eq!(accepted.json["status"], "accepted");
    assert_eq!(accepted.json["overdue"], false, "decided, if late");
    assert_eq!(accepted.json["decidedAt"], utc(T0 + 60 * DAY + 1));
    assert!(accepted.json.get("denialReason").is_none());
    assert!(accepted.json.get("extendedAt").is_none());
    let statement = statement_of(&w, &first, "Agreed, thanks.");
    let res = act(&w, &first, "disagreement", Some(json!({ "statement": statement })), &w.a_cookie).await;
    assert_problem(&res, StatusCode::CONFLICT, "not-denied");
    for (step, body) in [("accept", None), ("deny", reason("No.")), ("extend", reason("Later."))] {
        assert_problem(&act(&w, &first, step, body, &w.provider).await, StatusCode::CONFLICT, "correction-decided");
    }

    // A second request, extended on its last day: due 90 days after it was made.
    let now = T0 + 60 * DAY + 1;
    let second = requested(&w, "The service should be a follow-up.").await;
    w.app.clock.advance(60 * DAY);
    let extended = act(&w, &second, "extend", reason("Specialist review."), &w.admin).await;
    assert_eq!(extended.status, StatusCode::OK, "{}", extended.json);
    assert_eq!(extended.json["dueAt"], utc(now + 90 * DAY));
    assert_eq!(extended.json["overdue"], false);
    w.app.clock.advance(30 * DAY);
    assert_eq!(get(&w, &second, &w.a_cookie).await.json["overdue"], false);
    w.app.clock.advance(1);
    assert_eq!(get(&w, &second, &w.a_cookie).await.json["overdue"], true);
    // Newest first.
    assert_eq!(ids(&w, &w.a_cookie).await, [second.clone(), first.clone()]);
    let denied = act(&w, &second, "deny", reason("Not part of the record."), &w.provider).await;
    assert_eq!(denied.status, StatusCode::OK, "{}", denied.json);
    assert_eq!(denied.json["overdue"], false);
}

#[tokio::test]
async fn only_the_patient_their_provider_and_admins_see_or_act() {
    let w = world().await;
    let id = requested(&w, "Wrong date of birth on the booking.").await;
    let statement = json!({ "statement": statement_of(&w, &id, "No.") });
    let (_, change) = new_request(&w, &w.b_booking, "Not mine.");
    let before = access_log_rows(&w.app).await;

    // Another patient, another provider of the clinic, and every account of another clinic:
    // as if it did not exist.
    for cookie in [&w.b_cookie, &w.other_provider, &w.b_clinic_provider, &w.b_clinic_admin, &w.b_clinic_patient] {
        assert_problem(&get(&w, &id, cookie).await, StatusCode::NOT_FOUND, "not-found");
        for (step, body) in [
            ("accept", None),
            ("deny", reason("No.")),
            ("extend", reason("Later.")),
            ("disagreement", Some(statement.clone())),
        ] {
            assert_problem(&act(&w, &id, step, body, cookie).await, StatusCode::NOT_FOUND, "not-found");
        }
        assert!(!ids(&w, cookie).await.contains(&id));
    }
    // A's booking is not B's (nor another clinic's patient's) to correct.
    for cookie in [&w.b_cookie, &w.b_clinic_patient] {
        let uri = format!("/api/bookings/{}/corrections", w.a_booking);
        assert_problem(
            &w.app.call("POST", &uri, Some(change.clone()), Some(cookie)).await,
            StatusCode::NOT_FOUND,
            "not-found",
        );
    }
    let uri = "/api/bookings/no-such-booking/corrections";
    assert_problem(
        &w.app.call("POST", uri, Some(change.clone()), Some(&w.a_cookie)).await,
        StatusCode::NOT_FOUND,
        "not-found",
    );
    assert_problem(&get(&w, "no-such-correction", &w.a_cookie).await, StatusCode::NOT_FOUND, "not-found");

    // Receptionists never see correction texts.
    let res = w.app.call("GET", "/api/corrections", None, Some(&w.desk)).await;
    assert_problem(&res, StatusCode::FORBIDDEN, "forbidden");
    assert_problem(&get(&w, &id, &w.desk).await, StatusCode::FORBIDDEN, "forbidden");
    assert!(!String::from_utf8_lossy(&res.raw).contains("bze1."));
    for (step, body) in [("accept", None), ("deny", reason("No.")), ("extend", reason("Later."))] {
        assert_problem(&act(&w, &id, step, body, &w.desk).await, StatusCode::FORBIDDEN, "forbidden");
    }
    // Staff do not file requests; the patient does not decide their own.
    for cookie in [&w.desk, &w.provider, &w.admin] {
        let uri = format!("/api/bookings/{}/corrections", w.a_booking);
        let res = w.app.call("POST", &uri, Some(change.clone()), Some(cookie)).await;
        assert_problem(&res, StatusCode::FORBIDDEN, "forbidden");
    }
    for (step, body) in [("accept", None), ("deny", reason("No.")), ("extend", reason("Later."))] {
        assert_problem(&act(&w, &id, step, body, &w.a_cookie).await, StatusCode::FORBIDDEN, "forbidden");
    }
    // Without a session, nothing.
    let anon = w.app.call("GET", "/api/corrections", None, None).await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
    // None of that was an access to the record: nothing was logged, nothing changed.
    assert_eq!(access_log_rows(&w.app).await, before);
    assert_eq!(get(&w, &id, &w.a_cookie).await.json["status"], "submitted");

    // Staff do not file statements of disagreement, not even on a denial they see.
    let denied = act(&w, &id, "deny", reason("Matches the ID on file."), &w.admin).await;
    assert_eq!(denied.status, StatusCode::OK, "{}", denied.json);
    for cookie in [&w.admin, &w.provider] {
        let res = act(&w, &id, "disagreement", Some(statement.clone()), cookie).await;
        assert_problem(&res, StatusCode::FORBIDDEN, "forbidden");
    }
    assert_problem(
        &act(&w, &id, "disagreement", Some(statement.clone()), &w.b_cookie).await,
        StatusCode::NOT_FOUND,
        "not-found",
    );
    let filed = act(&w, &id, "disagreement", Some(statement), &w.a_cookie).await;
    assert_eq!(filed.status, StatusCode::OK, "{}", filed.json);
    // The provider of the booking sees it; the clinic's other provider does not.
    assert_eq!(ids(&w, &w.provider).await, [id.as_str()]);
    assert!(ids(&w, &w.other_provider).await.is_empty());
}

#[tokio::test]
async fn the_notice_of_privacy_practices_comes_first() {
    let w = world().await;
    let text = "NOTICE OF PRIVACY PRACTICES\nYou may ask us to amend your health information.";
    let published = w.app.call("POST", "/api/npp", Some(json!({ "text": text })), Some(&w.admin)).await;
    assert_eq!(published.status, StatusCode::CREATED, "{}", published.json);
    let res = request(&w, "Fix my phone number.").await;
    assert_problem(&res, StatusCode::FORBIDDEN, "npp-acknowledgment-required");
    assert_eq!(correction_rows(&w.app).await, 0);
    let hash = published.json["hash"].as_str().unwrap();
    let ack = json!({ "versionHash": hash, "channel": "portal" });
    assert_eq!(w.app.call("POST", "/api/npp/ack", Some(ack), Some(&w.a_cookie)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(request(&w, "Fix my phone number.").await.status, StatusCode::CREATED);
}

fn post(uri: &str, body: String, cookie: &str) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::COOKIE, cookie)
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn bad_input_gets_problem_json_and_stores_nothing() {
    let w = world().await;
    let id = requested(&w, "A correction to decide.").await;
    let denied_id = requested(&w, "A correction to deny.").await;
    let res = act(&w, &denied_id, "deny", reason("No."), &w.provider).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    let corrections_before = correction_rows(&w.app).await;
    let log_before = access_log_rows(&w.app).await;

    let create = format!("/api/bookings/{}/corrections", w.a_booking);
    let huge = format!("bze1.{}", "A".repeat(70 * 1024));
    let (good_id, good_body) = new_request(&w, &w.a_booking, "fine");
    let good = good_body["change"].as_str().unwrap().to_owned();
    let mut cases: Vec<(Request<Body>, &str)> = Vec::new();
    for (body, slug) in [
        (json!({}), "invalid-body"),
        (json!({ "id": good_id, "change": 5 }), "invalid-body"),
        (json!({ "id": good_id, "change": null }), "invalid-body"),
        (json!({ "change": good }), "invalid-body"),
        (json!({ "id": good_id, "change": good, "status": "accepted" }), "invalid-body"),
        (json!({ "id": "", "change": good }), "invalid-id"),
        (json!({ "id": "short", "change": good }), "invalid-id"),
        (json!({ "id": format!("{good_id}AA"), "change": good }), "invalid-id"),
        (json!({ "id": "not/base64url!not/base64url", "change": good }), "invalid-id"),
        (json!({ "id": good_id, "change": "please change my name to Ann" }), "invalid-envelope"),
        (json!({ "id": good_id, "change": "" }), "invalid-envelope"),
        (json!({ "id": good_id, "change": "bze1.AAAA" }), "invalid-envelope"),
        (json!({ "id": good_id, "change": "bze1.!!!not-base64!!!" }), "invalid-envelope"),
        (json!({ "id": good_id, "change": huge }), "envelope-too-large"),
    ] {
        cases.push((post(&create, body.to_string(), &w.a_cookie), slug));
    }
    cases.push((post(&create, "{not json".into(), &w.a_cookie), "invalid-body"));
    for step in ["deny", "extend"] {
        let uri = format!("/api/corrections/{id}/{step}");
        for (body, slug) in [
            (json!({}), "invalid-body"),
            (json!({ "reason": 7 }), "invalid-body"),
            (json!({ "reason": "ok", "by": "someone" }), "invalid-body"),
            (json!({ "reason": "" }), "invalid-reason"),
            (json!({ "reason": " \n\t " }), "invalid-reason"),
            (json!({ "reason": "null byte \u{0} here" }), "invalid-reason"),
            (json!({ "reason": "escape \u{1b}[31m" }), "invalid-reason"),
            (json!({ "reason": "x".repeat(2 * 1024 + 1) }), "reason-too-large"),
        ] {
            cases.push((post(&uri, body.to_string(), &w.provider), slug));
        }
    }
    let uri = format!("/api/corrections/{denied_id}/disagreement");
    for (body, slug) in [
        (json!({}), "invalid-body"),
        (json!({ "statement": good, "extra": 1 }), "invalid-body"),
        (json!({ "statement": "I disagree" }), "invalid-envelope"),
        (json!({ "statement": huge }), "envelope-too-large"),
    ] {
        cases.push((post(&uri, body.to_string(), &w.a_cookie), slug));
    }
    for (req, slug) in cases {
        let what = format!("{} {}", req.method(), req.uri());
        let res = w.app.send(req).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{what}: {}", res.json);
        assert_eq!(res.headers.get(header::CONTENT_TYPE).unwrap(), "application/problem+json", "{what}");
        assert_eq!(res.problem_type(), format!("urn:bizing:problem:{slug}"), "{what}: {}", res.json);
        assert!(res.json["detail"].as_str().is_some_and(|d| !d.is_empty()), "{what}: no detail");
    }
    // Not JSON at all.
    let req = Request::builder()
        .method("POST")
        .uri(&create)
        .header(header::CONTENT_TYPE, "text/plain")
        .header(header::COOKIE, &w.a_cookie)
        .body(Body::from(good.clone()))
        .unwrap();
    assert_problem(&w.app.send(req).await, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type");

    // Nothing stored, nothing logged, nothing changed.
    assert_eq!(correction_rows(&w.app).await, corrections_before);
    assert_eq!(access_log_rows(&w.app).await, log_before);
    let one = get(&w, &id, &w.a_cookie).await;
    assert_eq!(one.json["status"], "submitted");
    let other = get(&w, &denied_id, &w.a_cookie).await;
    assert!(other.json.get("disagreement").is_none());
    // And the good requests still work.
    assert_eq!(act(&w, &id, "extend", reason("Fine."), &w.provider).await.status, StatusCode::OK);
    let res = w.app.call("POST", &create, Some(good_body.clone()), Some(&w.a_cookie)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    assert_eq!(res.json["id"], good_id.as_str(), "the client's id");
    // The same id again is refused, whatever the text.
    let (_, mut again) = new_request(&w, &w.a_booking, "another");
    again["id"] = json!(good_id);
    assert_problem(
        &w.app.call("POST", &create, Some(again), Some(&w.a_cookie)).await,
        StatusCode::CONFLICT,
        "correction-exists",
    );
}

#[tokio::test]
async fn staff_reasons_are_not_in_the_database_in_clear() {
    let w = world().await;
    let id = requested(&w, "Quasimodo-bellringer-marker is not my diagnosis.").await;
    let extension = "Zanzibar-extension-marker: waiting on records";
    let denial = "Xylophone-denial-marker: the chart is correct";
    assert_eq!(act(&w, &id, "extend", reason(extension), &w.provider).await.status, StatusCode::OK);
    assert_eq!(act(&w, &id, "deny", reason(denial), &w.provider).await.status, StatusCode::OK);
    let statement = statement_of(&w, &id, "Yodel-statement-marker: I disagree");
    let filed = act(&w, &id, "disagreement", Some(json!({ "statement": statement })), &w.a_cookie).await;
    assert_eq!(filed.status, StatusCode::OK, "{}", filed.json);
    let seen = get(&w, &id, &w.a_cookie).await;
    assert_eq!(seen.json["denialReason"], denial);
    assert_eq!(seen.json["extensionReason"], extension);

    let mut bytes = std::fs::read(w.app.db_path()).unwrap();
    if let Ok(wal) = std::fs::read(w.app.db_path().with_extension("db-wal")) {
        bytes.extend_from_slice(&wal);
    }
    assert!(bytes.windows(id.len()).any(|win| win == id.as_bytes()), "the correction is in the files read");
    for needle in ["Xylophone-denial-marker", "Zanzibar-extension-marker", "Quasimodo-bellringer", "Yodel-statement"] {
        assert!(!bytes.windows(needle.len()).any(|win| win == needle.as_bytes()), "{needle} found in the database");
    }
    // A reason moved to another row does not decrypt there: it is bound to its row.
    let second = requested(&w, "Another one.").await;
    assert_eq!(act(&w, &second, "deny", reason("Short."), &w.provider).await.status, StatusCode::OK);
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", w.app.db_path().display())).await.unwrap();
    sqlx::query(
        "UPDATE corrections SET denial_reason_enc = (SELECT denial_reason_enc FROM corrections WHERE id = ?) \
         WHERE id = ?",
    )
    .bind(&id)
    .bind(&second)
    .execute(&db)
    .await
    .unwrap();
    let res = get(&w, &second, &w.a_cookie).await;
    assert_problem(&res, StatusCode::INTERNAL_SERVER_ERROR, "internal");
    assert!(!String::from_utf8_lossy(&res.raw).contains("Xylophone"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_decisions_make_one() {
    let w = world().await;
    let id = requested(&w, "Race me.").await;
    let w = Arc::new(w);
    let mut tasks = Vec::new();
    for i in 0..12 {
        let w = Arc::clone(&w);
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            let cookie = if i % 2 == 0 { &w.provider } else { &w.admin };
            let res = match i % 3 {
                0 => act(&w, &id, "accept", None, cookie).await,
                1 => act(&w, &id, "deny", reason("No."), cookie).await,
                _ => act(&w, &id, "extend", reason("Later."), cookie).await,
            };
            (res.status, res.problem_type().to_owned())
        }));
    }
    let mut changed = 0;
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap() {
            (StatusCode::OK, _) => changed += 1,
            (StatusCode::CONFLICT, kind) => {
                assert!(
                    ["correction-decided", "already-extended"]
                        .iter()
                        .any(|k| kind == format!("urn:bizing:problem:{k}")),
                    "{kind}"
                );
                refused += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    // Exactly one decision, plus at most one extension before it.
    assert!((1..=2).contains(&changed), "{changed} succeeded");
    assert_eq!(changed + refused, 12);
    let page = verified_log(&w.app, &w.a_cookie).await;
    let updates = correction_events(&page).iter().filter(|(_, action, _)| action == "update").count();
    assert_eq!(updates, changed, "one event per change");
    let status = get(&w, &id, &w.a_cookie).await.json["status"].as_str().unwrap().to_owned();
    assert!(status == "accepted" || status == "denied", "{status}");
}

#[tokio::test]
async fn each_text_is_bound_to_its_own_request_so_a_swap_is_detected() {
    let w = world().await;
    let first = requested(&w, "Please say left knee.").await;
    let second = requested(&w, "Please remove the allergy note.").await;
    let text_of = |id: &str, change: &str| {
        let envelope: Envelope = change.parse().unwrap();
        envelope.open_text(w.clinic_key.key_pair(), &correction_context(TENANT, &w.a_booking, id))
    };
    let change = |res: &common::Response| res.json["change"].as_str().unwrap().to_owned();
    assert_eq!(
        text_of(&first, &change(&get(&w, &first, &w.provider).await)).unwrap().as_str(),
        "Please say left knee."
    );

    // The server (or someone with the database) swaps the two texts on the one booking.
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", w.app.db_path().display())).await.unwrap();
    let text = |id: &str| {
        let (db, id) = (db.clone(), id.to_owned());
        async move {
            let (t,): (String,) = sqlx::query_as("SELECT change_envelope FROM corrections WHERE id = ?")
                .bind(id)
                .fetch_one(&db)
                .await
                .unwrap();
            t
        }
    };
    let (a, b) = (text(&first).await, text(&second).await);
    for (id, t) in [(&first, b), (&second, a)] {
        sqlx::query("UPDATE corrections SET change_envelope = ? WHERE id = ?")
            .bind(t)
            .bind(id)
            .execute(&db)
            .await
            .unwrap();
    }
    db.close().await;

    // Each request now carries the other's text, which fails to open under its context, for
    // the clinic and for the patient alike; the texts themselves are intact.
    let swapped_first = change(&get(&w, &first, &w.provider).await);
    let swapped_second = change(&get(&w, &second, &w.a_cookie).await);
    assert_eq!(text_of(&first, &swapped_first).unwrap_err(), bizing_core::EnvelopeError::Decryption);
    assert_eq!(text_of(&second, &swapped_second).unwrap_err(), bizing_core::EnvelopeError::Decryption);
    let envelope: Envelope = swapped_first.parse().unwrap();
    let context = correction_context(TENANT, &w.a_booking, &first);
    assert!(envelope.open_text(&w.a.keys, &context).is_err());
    assert_eq!(text_of(&second, &swapped_first).unwrap().as_str(), "Please remove the allergy note.");
    // Nor does a change pass for a statement of disagreement of the same request.
    let as_statement = disagreement_context(TENANT, &w.a_booking, &second);
    assert!(envelope.open_text(w.clinic_key.key_pair(), &as_statement).is_err());
}
