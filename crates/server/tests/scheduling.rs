//! Services, providers, slots (including a daylight-saving change) and bookings: who sees
//! what, tenant isolation, double booking under concurrency, input validation, and notes that
//! stay sealed at rest.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use bizing_core::api::{NOTE_FIELD, NOTE_SCHEMA_VERSION};
use bizing_core::{ClinicKey, Context, Envelope, SealOptions};
use bizing_server::store::{MAX_BOOKING_SECS, NewBooking, ProviderRow, ScheduleRow, ServiceRow};
use common::{Patient, TENANT, TestApp};
use serde_json::{Value, json};

/// 2026-09-21, a Monday, 10:13:20 in New York (EDT, -04:00).
const _NOW: i64 = common::T0;

/// Clinic A: a 30-minute and a 60-minute service, provider `prov-a` Monday to Friday
/// 09:00-12:00 and Sunday 01:00-04:00 (across the spring-forward gap); provider `prov-a2`
/// Monday 09:00-10:00. Clinic B: service `b-visit`, provider `prov-b` Monday to Friday
/// 09:00-12:00.
struct Clinic {
    provider: Patient,
    provider_cookie: String,
    other_provider_cookie: String,
    b_provider_cookie: String,
}

async fn service(app: &TestApp, tenant: &str, id: &str, name: &str, minutes: i64) {
    let row = ServiceRow {
        id: id.into(),
        tenant_id: tenant.into(),
        name: name.into(),
        duration_minutes: minutes,
        active: true,
    };
    app.state.store.insert_service(&row).await.unwrap();
}

async fn provider(app: &TestApp, tenant: &str, id: &str, name: &str, windows: &[(i64, i64, i64)]) -> (Patient, String) {
    let mut person = Patient::new(&format!("{id}@staff.example"), name);
    let cookie = person.sign_up_as(app, tenant, "provider").await;
    let user_id = app.user_id(&cookie).await;
    let row = ProviderRow { id: id.into(), tenant_id: tenant.into(), user_id, display_name: name.into(), active: true };
    app.state.store.insert_provider(&row).await.unwrap();
    let windows: Vec<ScheduleRow> = windows
        .iter()
        .map(|&(weekday, start_minute, end_minute)| ScheduleRow { weekday, start_minute, end_minute })
        .collect();
    app.state.store.set_weekly_schedule(tenant, id, &windows).await.unwrap();
    (person, cookie)
}

async fn setup(app: &TestApp) -> Clinic {
    service(app, TENANT, "checkup", "Checkup", 30).await;
    service(app, TENANT, "consult", "Consultation", 60).await;
    let weekdays: Vec<(i64, i64, i64)> = (1..=5).map(|d| (d, 9 * 60, 12 * 60)).chain([(0, 60, 240)]).collect();
    let (provider_a, provider_cookie) = provider(app, TENANT, "prov-a", "Dr. Quinn Ash", &weekdays).await;
    let (_, other_provider_cookie) = provider(app, TENANT, "prov-a2", "Dr. Other", &[(1, 9 * 60, 10 * 60)]).await;
    service(app, "clinic-b", "b-visit", "Visit at B", 30).await;
    let b_days: Vec<(i64, i64, i64)> = (1..=5).map(|d| (d, 9 * 60, 12 * 60)).collect();
    let (_, b_provider_cookie) = provider(app, "clinic-b", "prov-b", "Dr. Bee", &b_days).await;
    Clinic { provider: provider_a, provider_cookie, other_provider_cookie, b_provider_cookie }
}

fn starts(res: &common::Response) -> Vec<String> {
    res.json["slots"].as_array().unwrap().iter().map(|s| s["start"].as_str().unwrap().to_owned()).collect()
}

async fn slots(app: &TestApp, query: &str) -> common::Response {
    app.call("GET", &format!("/api/clinics/{TENANT}/slots?{query}"), None, None).await
}

fn book_body(provider: &str, service: &str, start: &str) -> Value {
    json!({ "providerId": provider, "serviceId": service, "start": start })
}

async fn book(app: &TestApp, cookie: &str, start: &str) -> common::Response {
    app.call("POST", "/api/bookings", Some(book_body("prov-a", "checkup", start)), Some(cookie)).await
}

/// The overlap checks read only the bookings that start in the 8 hours before a time
/// (`store::MAX_BOOKING_SECS`, so that they stay quick with a long history): an 8-hour
/// booking, the longest a service allows, still blocks its last slot in the slots, for a new
/// booking and for a reschedule; and the database refuses a booking longer than 8 hours,
/// which those checks could miss.
#[tokio::test]
async fn the_longest_booking_blocks_its_whole_time() {
    let app = TestApp::new().await;
    service(&app, TENANT, "day", "Whole day", 480).await;
    service(&app, TENANT, "short", "Short", 30).await;
    // Tuesdays 08:00-17:00.
    provider(&app, TENANT, "prov-d", "Dr. Day", &[(2, 8 * 60, 17 * 60)]).await;
    let mut pat = Patient::new("pat@example.com", "Pat Example");
    let cookie = pat.sign_up(&app, TENANT).await;
    let day = app
        .call("POST", "/api/bookings", Some(book_body("prov-d", "day", "2026-09-22T08:00:00-04:00")), Some(&cookie))
        .await;
    assert_eq!(day.status, StatusCode::CREATED, "{}", day.json);
    assert_eq!(day.json["end"], "2026-09-22T16:00:00-04:00");

    let free = starts(&slots(&app, "service=short&provider=prov-d&from=2026-09-22&days=1").await);
    assert_eq!(free, ["2026-09-22T16:00:00-04:00", "2026-09-22T16:30:00-04:00"]);
    let short = |start: &str| book_body("prov-d", "short", start);
    let last = app.call("POST", "/api/bookings", Some(short("2026-09-22T15:30:00-04:00")), Some(&cookie)).await;
    assert_eq!(last.status, StatusCode::CONFLICT, "{}", last.json);
    assert_eq!(last.problem_type(), "urn:bizing:problem:slot-taken");
    let after = app.call("POST", "/api/bookings", Some(short("2026-09-22T16:00:00-04:00")), Some(&cookie)).await;
    assert_eq!(after.status, StatusCode::CREATED, "{}", after.json);
    let id = after.json["id"].as_str().unwrap().to_owned();
    let onto = app
        .call(
            "POST",
            &format!("/api/bookings/{id}/reschedule"),
            Some(json!({ "start": "2026-09-22T15:30:00-04:00" })),
            Some(&cookie),
        )
        .await;
    assert_eq!(onto.status, StatusCode::CONFLICT, "{}", onto.json);
    assert_eq!(onto.problem_type(), "urn:bizing:problem:slot-taken");

    // Longer than 8 hours, inserted or moved: refused by the database itself.
    let patient_id = app.user_id(&cookie).await;
    let start = 1_790_600_000;
    let long = NewBooking {
        id: "LongBookingId000000000A".into(),
        tenant_id: TENANT.into(),
        patient_id,
        provider_id: "prov-d".into(),
        service_id: "day".into(),
        start_at: start,
        end_at: start + MAX_BOOKING_SECS + 1,
        note: None,
    };
    assert!(app.state.store.insert_booking(&long, common::T0, &[]).await.is_err());
    let exact = NewBooking { end_at: start + MAX_BOOKING_SECS, ..long };
    app.state.store.insert_booking(&exact, common::T0, &[]).await.unwrap();
    let moved =
        app.state.store.reschedule_booking(TENANT, &exact.id, start, start + MAX_BOOKING_SECS + 60, common::T0, &[]);
    assert!(moved.await.is_err());
}

#[tokio::test]
async fn services_and_providers_are_public_and_per_clinic() {
    let app = TestApp::new().await;
    setup(&app).await;
    let res = app.call("GET", &format!("/api/clinics/{TENANT}/services"), None, None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    assert_eq!(
        res.json,
        json!({ "services": [
            { "id": "checkup", "name": "Checkup", "durationMinutes": 30 },
            { "id": "consult", "name": "Consultation", "durationMinutes": 60 },
        ] })
    );
    let res = app.call("GET", &format!("/api/clinics/{TENANT}/providers"), None, None).await;
    assert_eq!(
        res.json,
        json!({ "providers": [
            { "id": "prov-a2", "displayName": "Dr. Other" },
            { "id": "prov-a", "displayName": "Dr. Quinn Ash" },
        ] })
    );
    let res = app.call("GET", "/api/clinics/clinic-b/services", None, None).await;
    assert_eq!(res.json["services"].as_array().unwrap().len(), 1);
    let res = app.call("GET", "/api/clinics/no-such-clinic/providers", None, None).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(res.problem_type(), "urn:bizing:problem:not-found");
}

#[tokio::test]
async fn slots_follow_the_schedule_in_clinic_time_soonest_first() {
    let app = TestApp::new().await;
    setup(&app).await;
    // Today (Monday, 10:13 in New York): only what is still ahead.
    let res = slots(&app, "service=checkup&provider=prov-a&from=2026-09-21&days=2").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    assert_eq!(res.json["timeZone"], "America/New_York");
    assert_eq!(res.json["serviceId"], "checkup");
    let expected: Vec<String> = ["10:30", "11:00", "11:30"]
        .iter()
        .map(|t| format!("2026-09-21T{t}:00-04:00"))
        .chain(
            ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"].iter().map(|t| format!("2026-09-22T{t}:00-04:00")),
        )
        .collect();
    assert_eq!(starts(&res), expected);
    assert_eq!(res.json["slots"][0]["end"], "2026-09-21T11:00:00-04:00");
    assert_eq!(res.json["slots"][0]["providerId"], "prov-a");
    // Without `from`, today; the default range is a week.
    let default = slots(&app, "service=checkup&provider=prov-a").await;
    assert_eq!(starts(&default)[..3], expected[..3]);
    // All providers, merged by time: prov-a2 works Mondays 09:00-10:00 only.
    let all = slots(&app, "service=checkup&from=2026-09-28&days=1").await;
    let pairs: Vec<(String, String)> = all.json["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["start"].as_str().unwrap()[11..16].to_owned(), s["providerId"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        &pairs[..4],
        &[
            ("09:00".to_owned(), "prov-a".to_owned()),
            ("09:00".to_owned(), "prov-a2".to_owned()),
            ("09:30".to_owned(), "prov-a".to_owned()),
            ("09:30".to_owned(), "prov-a2".to_owned()),
        ]
    );
    // A 60-minute service has 60-minute slots.
    let long = slots(&app, "service=consult&provider=prov-a&from=2026-09-22&days=1").await;
    assert_eq!(starts(&long).len(), 3);
    assert_eq!(long.json["slots"][2]["end"], "2026-09-22T12:00:00-04:00");
    // The most days allowed.
    let many = slots(&app, "service=checkup&provider=prov-a&from=2026-09-22&days=60").await;
    assert_eq!(many.status, StatusCode::OK);
    // Another clinic's provider is not this clinic's.
    let other = slots(&app, "service=checkup&provider=prov-b").await;
    assert_eq!(other.status, StatusCode::BAD_REQUEST);
    assert_eq!(other.problem_type(), "urn:bizing:problem:unknown-provider");
}

#[tokio::test]
async fn slots_are_right_across_spring_forward() {
    let app = TestApp::new().await;
    setup(&app).await;
    // 2027-03-14 (a Sunday): New York moves from 02:00 EST to 03:00 EDT.
    let res = slots(&app, "service=checkup&provider=prov-a&from=2027-03-12&days=4").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    let all = starts(&res);
    let friday: Vec<&String> = all.iter().filter(|s| s.starts_with("2027-03-12")).collect();
    let sunday: Vec<&String> = all.iter().filter(|s| s.starts_with("2027-03-14")).collect();
    let monday: Vec<&String> = all.iter().filter(|s| s.starts_with("2027-03-15")).collect();
    assert_eq!(friday.first().unwrap().as_str(), "2027-03-12T09:00:00-05:00");
    assert_eq!(monday.first().unwrap().as_str(), "2027-03-15T09:00:00-04:00");
    // 01:00-04:00 local on the short day: 02:00 and 02:30 do not exist.
    assert_eq!(
        sunday,
        [
            "2027-03-14T01:00:00-05:00",
            "2027-03-14T01:30:00-05:00",
            "2027-03-14T03:00:00-04:00",
            "2027-03-14T03:30:00-04:00"
        ]
    );
    assert!(all.iter().all(|s| !s.starts_with("2027-03-13")), "no Saturday hours");
    // 09:00 clinic time is 14:00 UTC before the change and 13:00 UTC after.
    let utc = |s: &str| s.parse::<jiff::Timestamp>().unwrap().to_string();
    assert_eq!(utc(friday[0]), "2027-03-12T14:00:00Z");
    assert_eq!(utc(monday[0]), "2027-03-15T13:00:00Z");
    // And a slot just after the gap can be booked, one in it cannot.
    let mut pat = Patient::new("dst@example.com", "Dee Ess Tee");
    let cookie = pat.sign_up(&app, TENANT).await;
    let ok = book(&app, &cookie, "2027-03-14T03:00:00-04:00").await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.json);
    assert_eq!(ok.json["start"], "2027-03-14T03:00:00-04:00");
    assert_eq!(ok.json["end"], "2027-03-14T03:30:00-04:00");
    // 02:15 EST, a reading the clocks skipped, is the instant 03:15 EDT: not a slot start.
    let gap = book(&app, &cookie, "2027-03-14T02:15:00-05:00").await;
    assert_eq!(gap.status, StatusCode::BAD_REQUEST);
    assert_eq!(gap.problem_type(), "urn:bizing:problem:outside-schedule");
}

#[tokio::test]
async fn book_list_get_cancel_and_reschedule() {
    let app = TestApp::new().await;
    let clinic = setup(&app).await;
    let mut pat = Patient::new("pat@example.com", "Pat Example");
    let cookie = pat.sign_up(&app, TENANT).await;
    let res = book(&app, &cookie, "2026-09-22T09:30:00-04:00").await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    let id = res.json["id"].as_str().unwrap().to_owned();
    assert_eq!(res.json["status"], "active");
    assert_eq!(res.json["providerName"], "Dr. Quinn Ash");
    assert_eq!(res.json["serviceName"], "Checkup");
    assert_eq!(res.json["end"], "2026-09-22T10:00:00-04:00");
    assert!(res.json.get("patientName").is_none(), "the patient is not told their own name");
    // UTC input is the same instant.
    assert_eq!(res.json["start"], "2026-09-22T09:30:00-04:00");

    let list = app.call("GET", "/api/bookings", None, Some(&cookie)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.json);
    assert_eq!(list.json["bookings"].as_array().unwrap().len(), 1);
    assert_eq!(list.json["bookings"][0]["id"], id.as_str());
    let one = app.call("GET", &format!("/api/bookings/{id}"), None, Some(&cookie)).await;
    assert_eq!(one.json, list.json["bookings"][0]);
    assert_eq!(res.json, one.json, "the new booking as created is what reading it gives");

    // The slot is gone for everyone, and for the 60-minute service both halves overlap.
    let free = starts(&slots(&app, "service=checkup&provider=prov-a&from=2026-09-22&days=1").await);
    assert!(!free.contains(&"2026-09-22T09:30:00-04:00".to_owned()));
    assert!(free.contains(&"2026-09-22T09:00:00-04:00".to_owned()));
    let long = starts(&slots(&app, "service=consult&provider=prov-a&from=2026-09-22&days=1").await);
    assert_eq!(long, ["2026-09-22T10:00:00-04:00", "2026-09-22T11:00:00-04:00"]);
    // An overlapping booking of another service is refused.
    let mut other = Patient::new("other@example.com", "Other Person");
    let other_cookie = other.sign_up(&app, TENANT).await;
    let clash = app
        .call(
            "POST",
            "/api/bookings",
            Some(book_body("prov-a", "consult", "2026-09-22T09:00:00-04:00")),
            Some(&other_cookie),
        )
        .await;
    assert_eq!(clash.status, StatusCode::CONFLICT, "{}", clash.json);
    assert_eq!(clash.problem_type(), "urn:bizing:problem:slot-taken");

    // Reschedule: by an hour, then by half an hour (overlapping only itself).
    let moved = app
        .call(
            "POST",
            &format!("/api/bookings/{id}/reschedule"),
            Some(json!({ "start": "2026-09-22T14:30:00Z" })),
            Some(&cookie),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.json);
    assert_eq!(moved.json["start"], "2026-09-22T10:30:00-04:00");
    let taken = book(&app, &other_cookie, "2026-09-22T11:00:00-04:00").await;
    assert_eq!(taken.status, StatusCode::CREATED);
    let onto = app
        .call(
            "POST",
            &format!("/api/bookings/{id}/reschedule"),
            Some(json!({ "start": "2026-09-22T11:00:00-04:00" })),
            Some(&cookie),
        )
        .await;
    assert_eq!(onto.status, StatusCode::CONFLICT);
    assert_eq!(onto.problem_type(), "urn:bizing:problem:slot-taken");
    let off = app
        .call(
            "POST",
            &format!("/api/bookings/{id}/reschedule"),
            Some(json!({ "start": "2026-09-26T10:00:00-04:00" })),
            Some(&cookie),
        )
        .await;
    assert_eq!(off.problem_type(), "urn:bizing:problem:outside-schedule", "a Saturday");

    // The old slot is free again.
    let free = starts(&slots(&app, "service=checkup&provider=prov-a&from=2026-09-22&days=1").await);
    assert!(free.contains(&"2026-09-22T09:30:00-04:00".to_owned()));

    // Cancel: once.
    let cancelled = app.call("POST", &format!("/api/bookings/{id}/cancel"), None, Some(&cookie)).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.json);
    assert_eq!(cancelled.json["status"], "cancelled");
    let again = app.call("POST", &format!("/api/bookings/{id}/cancel"), None, Some(&cookie)).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.problem_type(), "urn:bizing:problem:booking-cancelled");
    let resched = app
        .call(
            "POST",
            &format!("/api/bookings/{id}/reschedule"),
            Some(json!({ "start": "2026-09-23T09:00:00-04:00" })),
            Some(&cookie),
        )
        .await;
    assert_eq!(resched.problem_type(), "urn:bizing:problem:booking-cancelled");
    // Its slot can be booked again.
    assert_eq!(book(&app, &other_cookie, "2026-09-22T10:30:00-04:00").await.status, StatusCode::CREATED);

    // Staff of the clinic can cancel; a provider only their own bookings.
    let mut desk = Patient::new("desk@staff.example", "Desk Person");
    let desk_cookie = desk.sign_up_as(&app, TENANT, "receptionist").await;
    let other_id = taken.json["id"].as_str().unwrap();
    let res =
        app.call("POST", &format!("/api/bookings/{other_id}/cancel"), None, Some(&clinic.other_provider_cookie)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = app
        .call(
            "POST",
            &format!("/api/bookings/{other_id}/reschedule"),
            Some(json!({ "start": "2026-09-23T09:00:00-04:00" })),
            Some(&desk_cookie),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    let res = app.call("POST", &format!("/api/bookings/{other_id}/cancel"), None, Some(&clinic.provider_cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    // Staff do not book for themselves here.
    let res = book(&app, &desk_cookie, "2026-09-24T09:00:00-04:00").await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // Past bookings do not change.
    let later = book(&app, &other_cookie, "2026-09-24T09:00:00-04:00").await;
    let later_id = later.json["id"].as_str().unwrap().to_owned();
    app.clock.advance(4 * 86400);
    let res = app.call("POST", &format!("/api/bookings/{later_id}/cancel"), None, Some(&other_cookie)).await;
    // (The session went idle; sign in again.)
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let fresh = other.login(&app, TENANT).await.cookie().unwrap();
    let code = other.totp.as_ref().unwrap().code_at(app.clock_now());
    app.call("POST", "/api/auth/mfa", Some(json!({ "code": code })), Some(&fresh)).await;
    let res = app.call("POST", &format!("/api/bookings/{later_id}/cancel"), None, Some(&fresh)).await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert_eq!(res.problem_type(), "urn:bizing:problem:booking-started");
    let _ = pat;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_requests_for_one_slot_make_one_booking() {
    let app = TestApp::new().await;
    setup(&app).await;
    let mut cookies = Vec::new();
    for i in 0..4 {
        let mut p = Patient::new(&format!("racer{i}@example.com"), &format!("Racer {i}"));
        cookies.push(p.sign_up(&app, TENANT).await);
    }
    let app = Arc::new(app);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let app = Arc::clone(&app);
        let cookie = cookies[i % cookies.len()].clone();
        tasks.push(tokio::spawn(async move {
            let res = book(&app, &cookie, "2026-09-23T10:00:00-04:00").await;
            (res.status, res.problem_type().to_owned())
        }));
    }
    let mut created = 0;
    let mut taken = 0;
    for task in tasks {
        match task.await.unwrap() {
            (StatusCode::CREATED, _) => created += 1,
            (StatusCode::CONFLICT, kind) => {
                assert_eq!(kind, "urn:bizing:problem:slot-taken");
                taken += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((created, taken), (1, 19));
    let mut desk = Patient::new("desk@staff.example", "Desk");
    let desk_cookie = desk.sign_up_as(&app, TENANT, "receptionist").await;
    let list = app.call("GET", "/api/bookings", None, Some(&desk_cookie)).await;
    assert_eq!(list.json["bookings"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn patients_see_only_their_own_bookings() {
    let app = TestApp::new().await;
    setup(&app).await;
    let mut a = Patient::new("a@example.com", "Anna A");
    let mut b = Patient::new("b@example.com", "Bert B");
    let a_cookie = a.sign_up(&app, TENANT).await;
    let b_cookie = b.sign_up(&app, TENANT).await;
    let a_booking = book(&app, &a_cookie, "2026-09-22T09:00:00-04:00").await.json["id"].as_str().unwrap().to_owned();
    let b_booking = book(&app, &b_cookie, "2026-09-22T10:00:00-04:00").await.json["id"].as_str().unwrap().to_owned();
    let checks = [
        app.call("GET", &format!("/api/bookings/{b_booking}"), None, Some(&a_cookie)).await,
        app.call("POST", &format!("/api/bookings/{b_booking}/cancel"), None, Some(&a_cookie)).await,
        app.call(
            "POST",
            &format!("/api/bookings/{b_booking}/reschedule"),
            Some(json!({ "start": "2026-09-23T09:00:00-04:00" })),
            Some(&a_cookie),
        )
        .await,
        app.call("GET", "/api/bookings/no-such-booking", None, Some(&a_cookie)).await,
    ];
    for res in checks {
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.json);
        assert_eq!(res.problem_type(), "urn:bizing:problem:not-found");
    }
    let list = app.call("GET", "/api/bookings", None, Some(&a_cookie)).await;
    let ids: Vec<&str> = list.json["bookings"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [a_booking.as_str()]);
    // B's booking was not touched.
    let theirs = app.call("GET", &format!("/api/bookings/{b_booking}"), None, Some(&b_cookie)).await;
    assert_eq!(theirs.json["status"], "active");
    assert_eq!(theirs.json["start"], "2026-09-22T10:00:00-04:00");
    // Without a session, nothing.
    let anon = app.call("GET", "/api/bookings", None, None).await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn other_clinics_bookings_are_not_found() {
    let app = TestApp::new().await;
    let clinic = setup(&app).await;
    let mut a = Patient::new("a@example.com", "Anna A");
    let a_cookie = a.sign_up(&app, TENANT).await;
    let id = book(&app, &a_cookie, "2026-09-22T09:00:00-04:00").await.json["id"].as_str().unwrap().to_owned();
    let mut at_b = Patient::new("a@example.com", "Anna at B");
    let b_cookie = at_b.sign_up(&app, "clinic-b").await;
    let mut b_desk = Patient::new("desk@b.example", "Desk B");
    let b_desk_cookie = b_desk.sign_up_as(&app, "clinic-b", "receptionist").await;
    for cookie in [&b_cookie, &b_desk_cookie, &clinic.b_provider_cookie] {
        for res in [
            app.call("GET", &format!("/api/bookings/{id}"), None, Some(cookie)).await,
            app.call("POST", &format!("/api/bookings/{id}/cancel"), None, Some(cookie)).await,
            app.call(
                "POST",
                &format!("/api/bookings/{id}/reschedule"),
                Some(json!({ "start": "2026-09-23T09:00:00-04:00" })),
                Some(cookie),
            )
            .await,
        ] {
            assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.json);
        }
        let list = app.call("GET", "/api/bookings", None, Some(cookie)).await;
        assert_eq!(list.json["bookings"], json!([]));
    }
    // Clinic A's provider and service cannot be booked from clinic B.
    let res = app
        .call(
            "POST",
            "/api/bookings",
            Some(book_body("prov-a", "checkup", "2026-09-23T09:00:00-04:00")),
            Some(&b_cookie),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(res.problem_type(), "urn:bizing:problem:unknown-provider");
    let res = app
        .call(
            "POST",
            "/api/bookings",
            Some(book_body("prov-b", "checkup", "2026-09-23T09:00:00-04:00")),
            Some(&b_cookie),
        )
        .await;
    assert_eq!(res.problem_type(), "urn:bizing:problem:unknown-service");
    let res = app
        .call(
            "POST",
            "/api/bookings",
            Some(book_body("prov-b", "b-visit", "2026-09-23T09:00:00-04:00")),
            Some(&b_cookie),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    assert_eq!(res.json["tenantId"], "clinic-b");
}

/// A note sealed the way the widget does: to the clinic key and the patient's key, under the
/// booking's context.
fn seal_note(text: &str, tenant: &str, booking_id: &str, clinic: &ClinicKey, patient: &Patient) -> String {
    let context = Context::new(tenant, booking_id, NOTE_FIELD, NOTE_SCHEMA_VERSION);
    let recipients = [clinic.public_key().clone(), patient.keys.public_key().clone()];
    Envelope::seal(text.as_bytes(), &context, &recipients, SealOptions::default()).unwrap().to_string()
}

#[tokio::test]
async fn receptionists_see_names_and_no_note_providers_see_envelopes() {
    let app = TestApp::new().await;
    let clinic = setup(&app).await;
    let mut admin = Patient::new("admin@staff.example", "Admin Person");
    let admin_cookie = admin.sign_up_as(&app, TENANT, "admin").await;
    let clinic_key = app.publish_clinic_key(&admin_cookie, &[&clinic.provider.keys]).await;
    let mut pat = Patient::new("pat@example.com", "Patricia Note-Writer");
    let cookie = pat.sign_up(&app, TENANT).await;
    let id = bizing_server::auth::new_id().unwrap();
    let note = seal_note("knee hurts when climbing stairs", TENANT, &id, &clinic_key, &pat);
    let mut body = book_body("prov-a", "checkup", "2026-09-22T09:00:00-04:00");
    body["id"] = json!(id);
    body["note"] = json!(note);
    let res = app.call("POST", "/api/bookings", Some(body), Some(&cookie)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    assert_eq!(res.json["id"], id.as_str());
    assert_eq!(res.json["note"], note.as_str());
    let mine = app.call("GET", &format!("/api/bookings/{id}"), None, Some(&cookie)).await;
    assert_eq!(res.json, mine.json, "the new booking as created is what its patient reads");
    // A booking without a note, too.
    book(&app, &cookie, "2026-09-22T10:00:00-04:00").await;

    let mut desk = Patient::new("desk@staff.example", "Desk Person");
    let desk_cookie = desk.sign_up_as(&app, TENANT, "receptionist").await;
    for staff in [&desk_cookie, &admin_cookie] {
        let list = app.call("GET", "/api/bookings", None, Some(staff)).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.json);
        let bookings = list.json["bookings"].as_array().unwrap();
        assert_eq!(bookings.len(), 2);
        for b in bookings {
            assert_eq!(b["patientName"], "Patricia Note-Writer");
            assert!(b.as_object().unwrap().get("note").is_none(), "a note key in {b}");
        }
        let one = app.call("GET", &format!("/api/bookings/{id}"), None, Some(staff)).await;
        assert!(one.json.as_object().unwrap().get("note").is_none());
        assert!(!String::from_utf8_lossy(&one.raw).contains("bze1."));
        assert_eq!(one.json["patientName"], "Patricia Note-Writer");
    }

    // The provider sees the envelope, and the clinic key opens it.
    let list = app.call("GET", "/api/bookings", None, Some(&clinic.provider_cookie)).await;
    let first = &list.json["bookings"][0];
    assert_eq!(first["id"], id.as_str());
    assert_eq!(first["patientName"], "Patricia Note-Writer");
    let envelope: Envelope = first["note"].as_str().unwrap().parse().unwrap();
    let context = Context::new(TENANT, &id, NOTE_FIELD, NOTE_SCHEMA_VERSION);
    assert_eq!(
        envelope.open_text(clinic_key.key_pair(), &context).unwrap().as_str(),
        "knee hurts when climbing stairs"
    );
    assert_eq!(
        envelope.open_text(&pat.keys, &context).unwrap().as_str(),
        "knee hurts when climbing stairs",
        "and the patient's own key"
    );
    // As the provider's browser does: its copy of the clinic key, unwrapped with its own key.
    let mine = app.call("GET", "/api/clinic-keys/mine", None, Some(&clinic.provider_cookie)).await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.json);
    let wrapped: bizing_core::WrappedKey = mine.json["keys"][0]["wrappedKey"].as_str().unwrap().parse().unwrap();
    let unwrapped = ClinicKey::unwrap(&wrapped, &clinic.provider.keys).unwrap();
    assert_eq!(envelope.open_text(unwrapped.key_pair(), &context).unwrap().as_str(), "knee hurts when climbing stairs");
    // Another provider of the clinic sees none of it.
    let list = app.call("GET", "/api/bookings", None, Some(&clinic.other_provider_cookie)).await;
    assert_eq!(list.json["bookings"], json!([]));
    let res = app.call("GET", &format!("/api/bookings/{id}"), None, Some(&clinic.other_provider_cookie)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let _ = clinic.provider;
}

#[tokio::test]
async fn injection_strings_are_stored_verbatim() {
    let app = TestApp::new().await;
    setup(&app).await;
    let evil = "x'); DROP TABLE bookings;-- \" OR 1=1 <script>alert(1)</script>";
    service(&app, TENANT, evil, evil, 30).await;
    let mut pat = Patient::new("bobby@example.com", evil);
    let cookie = pat.sign_up(&app, TENANT).await;
    let res = app
        .call("POST", "/api/bookings", Some(book_body("prov-a", evil, "2026-09-22T09:00:00-04:00")), Some(&cookie))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    assert_eq!(res.json["serviceId"], evil);
    assert_eq!(res.json["serviceName"], evil);
    let mut desk = Patient::new("desk@staff.example", "Desk");
    let desk_cookie = desk.sign_up_as(&app, TENANT, "receptionist").await;
    let list = app.call("GET", "/api/bookings", None, Some(&desk_cookie)).await;
    assert_eq!(list.json["bookings"][0]["patientName"], evil);
    let services = app.call("GET", &format!("/api/clinics/{TENANT}/services"), None, None).await;
    assert!(services.json["services"].as_array().unwrap().iter().any(|s| s["name"] == evil));
    // In a query string and a path, too.
    let encoded: String = evil.bytes().map(|b| format!("%{b:02X}")).collect();
    let res = slots(&app, &format!("service=checkup&provider={encoded}")).await;
    assert_eq!(res.problem_type(), "urn:bizing:problem:unknown-provider");
    let res = slots(&app, &format!("service={encoded}&provider=prov-a&from=2026-09-23&days=1")).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(!starts(&res).contains(&"2026-09-22T09:00:00-04:00".to_owned()));
    let res = app.call("GET", &format!("/api/bookings/{encoded}"), None, Some(&cookie)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_input_gets_problem_json_and_books_nothing() {
    let app = TestApp::new().await;
    setup(&app).await;
    let mut pat = Patient::new("pat@example.com", "Pat");
    let cookie = pat.sign_up(&app, TENANT).await;
    let good = || book_body("prov-a", "checkup", "2026-09-22T09:00:00-04:00");
    let with = |field: &str, value: Value| {
        let mut body = good();
        body[field] = value;
        body
    };
    let huge_note = format!("bze1.{}", "A".repeat(70 * 1024));
    let bodies: Vec<(Value, &str)> = vec![
        (with("start", json!("tomorrow at nine")), "invalid-start"),
        (with("start", json!("2026-09-22T09:00:00")), "invalid-start"),
        (with("start", json!("2026-09-22")), "invalid-start"),
        (with("start", json!(1_790_000_000)), "invalid-body"),
        (with("start", json!("2026-09-22T09:10:00-04:00")), "outside-schedule"),
        (with("start", json!("2026-09-22T09:00:00.5-04:00")), "outside-schedule"),
        (with("start", json!("2026-09-22T07:00:00-04:00")), "outside-schedule"),
        (with("start", json!("2026-09-26T09:00:00-04:00")), "outside-schedule"),
        (with("start", json!("2026-09-21T09:00:00-04:00")), "in-the-past"),
        (with("providerId", json!("nobody")), "unknown-provider"),
        (with("providerId", json!("")), "unknown-provider"),
        (with("serviceId", json!("nothing")), "unknown-service"),
        (with("note", json!("my knee hurts")), "invalid-body"),
        (with("isAdmin", json!(true)), "invalid-body"),
        (with("id", json!("abc")), "invalid-body"),
        (with("id", json!(42)), "invalid-body"),
        (json!({ "providerId": "prov-a", "serviceId": "checkup" }), "invalid-body"),
        (json!([1, 2, 3]), "invalid-body"),
    ];
    let mut cases: Vec<(Request<Body>, &str)> =
        bodies.into_iter().map(|(body, kind)| (post("/api/bookings", body.to_string(), &cookie), kind)).collect();
    let id = bizing_server::auth::new_id().unwrap();
    for (note, kind) in
        [("my knee hurts", "invalid-note"), ("bze1.AAAA", "invalid-note"), (huge_note.as_str(), "note-too-large")]
    {
        let mut body = good();
        body["id"] = json!(id);
        body["note"] = json!(note);
        cases.push((post("/api/bookings", body.to_string(), &cookie), kind));
    }
    cases.push((post("/api/bookings", "{not json".into(), &cookie), "invalid-body"));
    cases.push((post("/api/bookings/whatever/reschedule", r#"{"start": 5}"#.into(), &cookie), "invalid-body"));
    for query in [
        "provider=prov-a",
        "service=checkup&days=0",
        "service=checkup&days=61",
        "service=checkup&days=-1",
        "service=checkup&days=many",
        "service=checkup&from=2026-13-01",
        "service=checkup&from=20260922",
        "service=checkup&from=2026-09-22T00:00:00",
        "service=checkup&color=blue",
    ] {
        let req = Request::builder().uri(format!("/api/clinics/{TENANT}/slots?{query}")).body(Body::empty()).unwrap();
        cases.push((req, "invalid-query"));
    }
    let req =
        Request::builder().uri(format!("/api/clinics/{TENANT}/slots?service=nothing")).body(Body::empty()).unwrap();
    cases.push((req, "unknown-service"));
    for (req, kind) in cases {
        let what = format!("{} {}", req.method(), req.uri());
        let res = app.send(req).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{what}: {}", res.json);
        assert_eq!(res.headers.get(header::CONTENT_TYPE).unwrap(), "application/problem+json", "{what}");
        assert_eq!(res.problem_type(), format!("urn:bizing:problem:{kind}"), "{what}: {}", res.json);
        assert!(res.json["detail"].as_str().is_some_and(|d| !d.is_empty()), "{what}: no detail");
    }
    // Nothing was written, and the good request still books that slot.
    let list = app.call("GET", "/api/bookings", None, Some(&cookie)).await;
    assert_eq!(list.json["bookings"], json!([]));
    let res = app.call("POST", "/api/bookings", Some(good()), Some(&cookie)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    // A client-chosen id is used once.
    let mut body = book_body("prov-a", "checkup", "2026-09-22T11:00:00-04:00");
    body["id"] = json!(id);
    assert_eq!(app.call("POST", "/api/bookings", Some(body.clone()), Some(&cookie)).await.status, StatusCode::CREATED);
    body["start"] = json!("2026-09-22T11:30:00-04:00");
    let dup = app.call("POST", "/api/bookings", Some(body), Some(&cookie)).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert_eq!(dup.problem_type(), "urn:bizing:problem:booking-exists");
}

/// The booking and its access-log entry are written by one statement pair that inserts the
/// booking only when the id is free and the slot is free, and the entry only when the booking
/// was inserted: a refusal writes neither, and says which check failed (the id first).
#[tokio::test]
async fn a_refused_booking_writes_nothing_and_logs_nothing() {
    let app = TestApp::new().await;
    setup(&app).await;
    let mut p = Patient::new("refused@example.com", "Refused");
    let cookie = p.sign_up(&app, TENANT).await;
    let count = |sql: &'static str| {
        let url = format!("sqlite://{}?mode=ro", app.db_path().display());
        async move {
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            let n: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
            pool.close().await;
            n
        }
    };
    let id = "AAAAAAAAAAAAAAAAAAAAAA";
    let body = |start: &str, id: Option<&str>| {
        let mut body = book_body("prov-a", "checkup", start);
        if let Some(id) = id {
            body["id"] = json!(id);
        }
        body
    };
    let (log0, bookings0) =
        (count("SELECT COUNT(*) FROM access_log").await, count("SELECT COUNT(*) FROM bookings").await);
    let made =
        app.call("POST", "/api/bookings", Some(body("2026-09-22T10:00:00-04:00", Some(id))), Some(&cookie)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.json);
    let log1 = count("SELECT COUNT(*) FROM access_log").await;
    assert_eq!(log1, log0 + 1, "one entry for the booking");
    assert_eq!(count("SELECT COUNT(*) FROM bookings").await, bookings0 + 1);

    for (start, id, kind) in [
        ("2026-09-22T10:00:00-04:00", None, "slot-taken"),
        ("2026-09-22T11:00:00-04:00", Some(id), "booking-exists"),
        // Both checks fail: the id is reported.
        ("2026-09-22T10:00:00-04:00", Some(id), "booking-exists"),
    ] {
        let res = app.call("POST", "/api/bookings", Some(body(start, id)), Some(&cookie)).await;
        assert_eq!(res.status, StatusCode::CONFLICT, "{start} {id:?}: {}", res.json);
        assert_eq!(res.problem_type(), format!("urn:bizing:problem:{kind}"), "{start} {id:?}");
        assert_eq!(count("SELECT COUNT(*) FROM access_log").await, log1, "{start} {id:?}: logged");
        assert_eq!(count("SELECT COUNT(*) FROM bookings").await, bookings0 + 1, "{start} {id:?}: written");
    }
    // The log goes on where it was: no index was used by a refusal.
    let next = app.call("POST", "/api/bookings", Some(body("2026-09-22T11:00:00-04:00", None)), Some(&cookie)).await;
    assert_eq!(next.status, StatusCode::CREATED, "{}", next.json);
    assert_eq!(count("SELECT COUNT(*) FROM access_log").await, log1 + 1);
    assert_eq!(count("SELECT MAX(leaf_index) + 1 - COUNT(*) FROM access_log GROUP BY tenant_id").await, 0);
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
async fn notes_and_names_are_not_in_the_database_in_clear() {
    let app = TestApp::new().await;
    let clinic = setup(&app).await;
    let mut admin = Patient::new("admin@staff.example", "Admin Person");
    let admin_cookie = admin.sign_up_as(&app, TENANT, "admin").await;
    let clinic_key = app.publish_clinic_key(&admin_cookie, &[&clinic.provider.keys]).await;
    let mut pat = Patient::new("marker@example.com", "Xanthippe Quillfeather");
    let cookie = pat.sign_up(&app, TENANT).await;
    let id = bizing_server::auth::new_id().unwrap();
    let secret = "Persistent migraine-aura-marker since March";
    let mut body = book_body("prov-a", "checkup", "2026-09-22T09:00:00-04:00");
    body["id"] = json!(id);
    body["note"] = json!(seal_note(secret, TENANT, &id, &clinic_key, &pat));
    let res = app.call("POST", "/api/bookings", Some(body), Some(&cookie)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    let mut desk = Patient::new("desk@staff.example", "Desk");
    let desk_cookie = desk.sign_up_as(&app, TENANT, "receptionist").await;
    assert_eq!(
        app.call("GET", "/api/bookings", None, Some(&desk_cookie)).await.json["bookings"][0]["patientName"],
        "Xanthippe Quillfeather"
    );
    let mut bytes = std::fs::read(app.db_path()).unwrap();
    if let Ok(wal) = std::fs::read(app.db_path().with_extension("db-wal")) {
        bytes.extend_from_slice(&wal);
    }
    assert!(bytes.windows(id.len()).any(|w| w == id.as_bytes()), "the booking is in the files read");
    for needle in [secret, "migraine-aura-marker", "Xanthippe", "Quillfeather"] {
        assert!(!bytes.windows(needle.len()).any(|w| w == needle.as_bytes()), "{needle} found in the database");
    }
}
