//! Front-desk check-in (the window from 24 hours before the start to the end, who may, once
//! only, cancelled bookings, the access event) and the date range of `GET /api/bookings`
//! (clinic-local days across midnight and a daylight-saving change, the views logged, and
//! every malformed range a 400).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::{StatusCode, header};
use bizing_core::api::{AccessLogPage, LogKey};
use bizing_server::Config;
use bizing_server::store::{ProviderRow, ScheduleRow, ServiceRow};
use common::{Patient, TENANT, TestApp};
use serde_json::json;

const HOUR: i64 = 3600;

/// Clinic A: service `checkup` (30 minutes); provider `prov-a` Monday to Friday 09:00-12:00,
/// provider `prov-late` every day 00:00-01:00 and 20:00-24:00 (to book across local
/// midnight), provider `prov-a2`; an admin and a receptionist; patients A and B. Clinic B: an
/// admin. The clock is T0, Monday 2026-09-21 10:13:20 in New York (EDT, -04:00).
struct World {
    app: TestApp,
    a_cookie: String,
    b_cookie: String,
    provider: String,
    late_provider: String,
    other_provider: String,
    admin: String,
    desk: String,
    b_clinic_admin: String,
}

async fn provider(app: &TestApp, tenant: &str, id: &str, name: &str, windows: &[(i64, i64, i64)]) -> String {
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
    cookie
}

async fn world() -> World {
    // Sessions that outlive the days the tests move the clock across.
    let days = 30 * 24 * HOUR;
    let app =
        TestApp::with_config(Config { session_idle_secs: days, session_absolute_secs: days, ..Config::default() })
            .await;
    let service = ServiceRow {
        id: "checkup".into(),
        tenant_id: TENANT.into(),
        name: "Checkup".into(),
        duration_minutes: 30,
        active: true,
    };
    app.state.store.insert_service(&service).await.unwrap();
    let weekdays: Vec<(i64, i64, i64)> = (1..=5).map(|d| (d, 9 * 60, 12 * 60)).collect();
    let provider_cookie = provider(&app, TENANT, "prov-a", "Dr. Quinn Ash", &weekdays).await;
    let late: Vec<(i64, i64, i64)> = (0..=6).flat_map(|d| [(d, 0, 60), (d, 20 * 60, 24 * 60)]).collect();
    let late_provider = provider(&app, TENANT, "prov-late", "Dr. Night", &late).await;
    let other_provider = provider(&app, TENANT, "prov-a2", "Dr. Other", &weekdays).await;
    let admin = Patient::new("admin@staff.example", "Ada Admin").sign_up_as(&app, TENANT, "admin").await;
    let desk = Patient::new("desk@staff.example", "Desk Person").sign_up_as(&app, TENANT, "receptionist").await;
    let b_clinic_admin = Patient::new("admin-b@staff.example", "Bea Admin").sign_up_as(&app, "clinic-b", "admin").await;
    let a_cookie = Patient::new("anna@example.com", "Anna Arrive").sign_up(&app, TENANT).await;
    let b_cookie = Patient::new("bert@example.com", "Bert Other").sign_up(&app, TENANT).await;
    World {
        app,
        a_cookie,
        b_cookie,
        provider: provider_cookie,
        late_provider,
        other_provider,
        admin,
        desk,
        b_clinic_admin,
    }
}

async fn book(w: &World, cookie: &str, provider: &str, start: &str) -> String {
    let body = json!({ "providerId": provider, "serviceId": "checkup", "start": start });
    let res = w.app.call("POST", "/api/bookings", Some(body), Some(cookie)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{start}: {}", res.json);
    res.json["id"].as_str().unwrap().to_owned()
}

async fn check_in(w: &World, id: &str, cookie: &str) -> common::Response {
    w.app.call("POST", &format!("/api/bookings/{id}/check-in"), None, Some(cookie)).await
}

fn assert_problem(res: &common::Response, status: StatusCode, slug: &str) {
    assert_eq!(res.status, status, "{slug}: {}", res.json);
    assert_eq!(res.headers.get(header::CONTENT_TYPE).unwrap(), "application/problem+json", "{slug}");
    assert_eq!(res.problem_type(), format!("urn:bizing:problem:{slug}"), "{}", res.json);
}

/// The patient's access log, verified against the clinic's pinned log key.
async fn verified_log(app: &TestApp, cookie: &str) -> AccessLogPage {
    let key = app.call("GET", &format!("/api/clinics/{TENANT}/log-key"), None, None).await;
    let mut verifier = serde_json::from_value::<LogKey>(key.json).unwrap().verifier().unwrap();
    let res = app.call("GET", "/api/access-log?since=0", None, Some(cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    let page: AccessLogPage = serde_json::from_value(res.json).unwrap();
    page.verify(&mut verifier).unwrap();
    page
}

/// (resource id, action, actor role) of a patient's booking events, in order.
fn booking_events(page: &AccessLogPage) -> Vec<(String, String, String)> {
    page.events
        .iter()
        .filter(|e| e.event.resource.kind.as_str() == "booking")
        .map(|e| (e.event.resource.id.clone(), e.event.action.to_string(), e.event.actor.role.to_string()))
        .collect()
}

#[tokio::test]
async fn check_in_opens_a_day_before_and_closes_at_the_end() {
    let w = world().await;
    // Wednesday 09:00, 46 h 47 min ahead: not yet open.
    let id = book(&w, &w.a_cookie, "prov-a", "2026-09-23T09:00:00-04:00").await;
    let start = common::T0 + 46 * HOUR + 46 * 60 + 40;
    assert_problem(&check_in(&w, &id, &w.desk).await, StatusCode::CONFLICT, "check-in-not-open");
    // One second before it opens, still closed; at exactly 24 hours before, open.
    w.app.clock.advance(start - 24 * HOUR - 1 - common::T0);
    assert_problem(&check_in(&w, &id, &w.desk).await, StatusCode::CONFLICT, "check-in-not-open");
    w.app.clock.advance(1);
    let res = check_in(&w, &id, &w.desk).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    // RFC 3339 in the clinic's zone, like `start`.
    assert_eq!(res.json["checkedInAt"], "2026-09-22T09:00:00-04:00");
    assert_eq!(res.json["start"], "2026-09-23T09:00:00-04:00");
    assert_eq!(res.json["patientName"], "Anna Arrive", "the desk's view");
    assert!(res.json.get("note").is_none());
    // Once only, whoever asks.
    assert_problem(&check_in(&w, &id, &w.desk).await, StatusCode::CONFLICT, "already-checked-in");
    assert_problem(&check_in(&w, &id, &w.admin).await, StatusCode::CONFLICT, "already-checked-in");
    // Everyone who sees the booking sees the check-in.
    let own = w.app.call("GET", &format!("/api/bookings/{id}"), None, Some(&w.a_cookie)).await;
    assert_eq!(own.json["checkedInAt"], "2026-09-22T09:00:00-04:00");

    // Another booking, on Tuesday 11:30-12:00: open now, and closed from its end on.
    let late = book(&w, &w.b_cookie, "prov-a", "2026-09-22T11:30:00-04:00").await;
    let listed = w.app.call("GET", &format!("/api/bookings/{late}"), None, Some(&w.desk)).await;
    assert!(listed.json.get("checkedInAt").is_none(), "absent, not null, until checked in: {}", listed.json);
    // It is now Tuesday 09:00; move to 12:00, the end.
    w.app.clock.advance(3 * HOUR - 1);
    assert_eq!(
        check_in(&w, &late, &w.provider).await.status,
        StatusCode::OK,
        "the booking's provider, 1 s before the end"
    );
    // Thursday 11:30-12:00, checked in by nobody: at 12:00 it is over.
    let third = book(&w, &w.a_cookie, "prov-a", "2026-09-24T11:30:00-04:00").await;
    w.app.clock.advance(2 * 24 * HOUR + 1);
    assert_problem(&check_in(&w, &third, &w.admin).await, StatusCode::CONFLICT, "check-in-closed");
}

#[tokio::test]
async fn who_may_check_in() {
    let w = world().await;
    let id = book(&w, &w.a_cookie, "prov-a", "2026-09-22T09:00:00-04:00").await;
    // The patient sees the booking but may not check themselves in; others do not see it.
    assert_problem(&check_in(&w, &id, &w.a_cookie).await, StatusCode::FORBIDDEN, "forbidden");
    assert_problem(&check_in(&w, &id, &w.b_cookie).await, StatusCode::NOT_FOUND, "not-found");
    assert_problem(&check_in(&w, &id, &w.other_provider).await, StatusCode::NOT_FOUND, "not-found");
    assert_problem(&check_in(&w, &id, &w.b_clinic_admin).await, StatusCode::NOT_FOUND, "not-found");
    assert_problem(&check_in(&w, "no-such-booking", &w.desk).await, StatusCode::NOT_FOUND, "not-found");
    let res = w.app.call("POST", &format!("/api/bookings/{id}/check-in"), None, None).await;
    assert_problem(&res, StatusCode::UNAUTHORIZED, "not-signed-in");
    // The provider of the booking, the desk and an admin may.
    assert_eq!(check_in(&w, &id, &w.provider).await.status, StatusCode::OK);
    let second = book(&w, &w.b_cookie, "prov-a", "2026-09-22T09:30:00-04:00").await;
    assert_eq!(check_in(&w, &second, &w.admin).await.status, StatusCode::OK);

    // The check-in is an access event of the patient, by whoever checked them in.
    let page = verified_log(&w.app, &w.a_cookie).await;
    let events = booking_events(&page);
    assert!(events.contains(&(id.clone(), "check_in".into(), "provider".into())), "{events:?}");
    assert_eq!(events.iter().filter(|(_, action, _)| action == "check_in").count(), 1, "{events:?}");
    let page = verified_log(&w.app, &w.b_cookie).await;
    assert!(booking_events(&page).contains(&(second, "check_in".into(), "admin".into())));
}

#[tokio::test]
async fn cancelled_bookings_are_not_checked_in_and_a_move_clears_it() {
    let w = world().await;
    let id = book(&w, &w.a_cookie, "prov-a", "2026-09-22T09:00:00-04:00").await;
    let res = w.app.call("POST", &format!("/api/bookings/{id}/cancel"), None, Some(&w.a_cookie)).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_problem(&check_in(&w, &id, &w.desk).await, StatusCode::CONFLICT, "booking-cancelled");

    let moved = book(&w, &w.a_cookie, "prov-a", "2026-09-22T10:00:00-04:00").await;
    assert_eq!(check_in(&w, &moved, &w.desk).await.status, StatusCode::OK);
    let body = json!({ "start": "2026-09-29T10:00:00-04:00" });
    let res = w.app.call("POST", &format!("/api/bookings/{moved}/reschedule"), Some(body), Some(&w.a_cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    assert!(res.json.get("checkedInAt").is_none(), "a check-in was for the old time: {}", res.json);
    assert_problem(&check_in(&w, &moved, &w.desk).await, StatusCode::CONFLICT, "check-in-not-open");
}

async fn list(w: &World, cookie: &str, query: &str) -> common::Response {
    w.app.call("GET", &format!("/api/bookings{query}"), None, Some(cookie)).await
}

fn starts(res: &common::Response) -> Vec<String> {
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    res.json["bookings"].as_array().unwrap().iter().map(|b| b["start"].as_str().unwrap().to_owned()).collect()
}

async fn view_events(w: &World, cookie: &str) -> usize {
    let page = verified_log(&w.app, cookie).await;
    page.events
        .iter()
        .filter(|e| e.event.action.as_str() == "view" && e.event.resource.kind.as_str() == "booking")
        .count()
}

#[tokio::test]
async fn a_range_is_clinic_local_days() {
    let w = world().await;
    // Around local midnight of Tuesday 22 to Wednesday 23 September (EDT, -04:00), and around
    // Sunday 1 November, when New York falls back from EDT to EST at 02:00.
    let a = [
        ("prov-late", "2026-09-22T23:30:00-04:00"), // Wednesday 03:30 UTC
        ("prov-late", "2026-09-23T00:00:00-04:00"), // local midnight: the 23rd
        ("prov-a", "2026-09-23T09:00:00-04:00"),
        ("prov-late", "2026-11-01T00:30:00-04:00"), // before the change
        ("prov-late", "2026-11-01T23:30:00-05:00"), // after it; 2 November 04:30 UTC
        ("prov-late", "2026-11-02T00:00:00-05:00"),
    ];
    for (provider, start) in a {
        book(&w, &w.a_cookie, provider, start).await;
    }
    book(&w, &w.b_cookie, "prov-a", "2026-09-22T09:00:00-04:00").await;

    let day22 = list(&w, &w.a_cookie, "?from=2026-09-22&to=2026-09-23").await;
    assert_eq!(starts(&day22), ["2026-09-22T23:30:00-04:00"]);
    let day23 = list(&w, &w.a_cookie, "?from=2026-09-23&to=2026-09-24").await;
    assert_eq!(starts(&day23), ["2026-09-23T00:00:00-04:00", "2026-09-23T09:00:00-04:00"]);
    let nov1 = list(&w, &w.a_cookie, "?from=2026-11-01&to=2026-11-02").await;
    assert_eq!(starts(&nov1), ["2026-11-01T00:30:00-04:00", "2026-11-01T23:30:00-05:00"], "a 25-hour day");
    let nov2 = list(&w, &w.a_cookie, "?from=2026-11-02&to=2026-11-03").await;
    assert_eq!(starts(&nov2), ["2026-11-02T00:00:00-05:00"]);
    assert_eq!(starts(&list(&w, &w.a_cookie, "?from=2026-10-01&to=2026-10-31").await), Vec::<String>::new());
    assert_eq!(starts(&list(&w, &w.a_cookie, "").await).len(), 6, "no range: everything");

    // Staff: the clinic's in range; a provider: theirs in range.
    let desk = starts(&list(&w, &w.desk, "?from=2026-09-22&to=2026-09-24").await);
    assert_eq!(desk.len(), 4, "{desk:?}");
    let mine = starts(&list(&w, &w.late_provider, "?from=2026-09-22&to=2026-09-24").await);
    assert_eq!(mine, ["2026-09-22T23:30:00-04:00", "2026-09-23T00:00:00-04:00"]);
    assert!(starts(&list(&w, &w.other_provider, "?from=2026-09-22&to=2026-09-24").await).is_empty());
}

#[tokio::test]
async fn only_the_bookings_returned_are_logged_as_viewed() {
    let w = world().await;
    for start in ["2026-09-22T09:00:00-04:00", "2026-09-23T09:00:00-04:00", "2026-09-24T09:00:00-04:00"] {
        book(&w, &w.a_cookie, "prov-a", start).await;
    }
    let before = view_events(&w, &w.a_cookie).await;
    assert_eq!(starts(&list(&w, &w.desk, "?from=2026-09-23&to=2026-09-24").await).len(), 1);
    assert_eq!(view_events(&w, &w.a_cookie).await, before + 1);
    assert!(starts(&list(&w, &w.desk, "?from=2026-12-01&to=2026-12-02").await).is_empty());
    assert_eq!(view_events(&w, &w.a_cookie).await, before + 1, "an empty answer logs nothing");
    // A refused range logs nothing either.
    assert_eq!(list(&w, &w.desk, "?from=2026-09-23").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(view_events(&w, &w.a_cookie).await, before + 1);
}

#[tokio::test]
async fn malformed_ranges_are_400_never_500() {
    let w = world().await;
    let sixty_two = list(&w, &w.desk, "?from=2026-09-01&to=2026-11-02").await;
    assert_eq!(sixty_two.status, StatusCode::OK, "62 days: {}", sixty_two.json);
    for query in [
        "?from=2026-09-22",
        "?to=2026-09-22",
        "?from=2026-09-22&to=2026-09-22",
        "?from=2026-09-23&to=2026-09-22",
        "?from=2026-09-01&to=2026-11-03",
        "?from=2026-9-22&to=2026-09-23",
        "?from=2026-02-30&to=2026-03-02",
        "?from=20260922&to=20260923",
        "?from=2026-09-22T00:00&to=2026-09-23",
        "?from=&to=",
        "?from=x&to=y",
        "?from=-9999-01-01&to=-9999-01-02",
        "?from=9999-12-31&to=9999-12-31",
    ] {
        assert_problem(&list(&w, &w.desk, query).await, StatusCode::BAD_REQUEST, "invalid-range");
    }
    for query in ["?since=2026-09-22", "?from=2026-09-22&to=2026-09-23&from=2026-09-24"] {
        assert_problem(&list(&w, &w.desk, query).await, StatusCode::BAD_REQUEST, "invalid-query");
    }
    // At the edges of what dates can be: a clear answer either way, never a 500.
    for query in ["?from=%FF&to=%FE", "?from=9999-12-30&to=9999-12-31", "?from=-009999-01-01&to=-009999-01-02"] {
        let res = list(&w, &w.desk, query).await;
        assert!(matches!(res.status, StatusCode::OK | StatusCode::BAD_REQUEST), "{query}: {}", res.json);
    }
    let res = list(&w, &w.a_cookie, "?from=2026-09-22&to=2026-09-23").await;
    assert_eq!(res.json, json!({ "bookings": [] }));
}
