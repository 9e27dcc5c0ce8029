//! Guest bookings from the widget, end to end: a guest (no account) books a slot with a note
//! sealed to the clinic key alone and their acknowledgment of the current notice; everything
//! lands in one transaction or not at all; nothing of the guest or the note is in the
//! database in clear; staff see the guest's contact (and that read is logged); the guest can
//! never sign in and no patient can reach their booking; bad input, an outdated notice, a
//! note for anyone else, another origin and too many requests are refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use bizing_core::api::note_context;
use bizing_core::{ClinicKey, Envelope, KeyPair, NppVersion, PublicKey, SealOptions};
use bizing_server::Config;
use bizing_server::ratelimit::RateLimits;
use bizing_server::store::{ProviderRow, ScheduleRow, ServiceRow};
use common::{Patient, TENANT, TestApp};
use serde_json::{Value, json};

const NOTICE: &str = "NOTICE OF PRIVACY PRACTICES\nHow medical information about you may be used.";
const GUESTS: &str = "/api/clinics/clinic-a/guest-bookings";
/// Slots on Tuesday 2026-09-22, the day after T0, in New York.
const NINE: &str = "2026-09-22T09:00:00-04:00";
const NINE_THIRTY: &str = "2026-09-22T09:30:00-04:00";

/// Clinic A with service `checkup` (30 min), provider `prov-a` (weekdays 09:00-12:00), an
/// admin, a receptionist, a clinic key shared with the provider and the admin, and a
/// published notice.
struct World {
    app: TestApp,
    clinic_key: ClinicKey,
    admin: String,
    desk: String,
    provider: String,
    npp_hash: String,
}

async fn world() -> World {
    world_with(Config::default()).await
}

async fn world_with(config: Config) -> World {
    let app = TestApp::with_config(config).await;
    let service = ServiceRow {
        id: "checkup".into(),
        tenant_id: TENANT.into(),
        name: "Checkup".into(),
        duration_minutes: 30,
        active: true,
    };
    app.state.store.insert_service(&service).await.unwrap();
    let mut provider_person = Patient::new("prov@staff.example", "Dr. Quinn Ash");
    let provider = provider_person.sign_up_as(&app, TENANT, "provider").await;
    let user_id = app.user_id(&provider).await;
    let row = ProviderRow {
        id: "prov-a".into(),
        tenant_id: TENANT.into(),
        user_id,
        display_name: "Dr. Quinn Ash".into(),
        active: true,
    };
    app.state.store.insert_provider(&row).await.unwrap();
    let windows: Vec<ScheduleRow> =
        (1..=5).map(|weekday| ScheduleRow { weekday, start_minute: 9 * 60, end_minute: 12 * 60 }).collect();
    app.state.store.set_weekly_schedule(TENANT, "prov-a", &windows).await.unwrap();
    let admin = Patient::new("admin@staff.example", "Ada Admin").sign_up_as(&app, TENANT, "admin").await;
    let desk = Patient::new("desk@staff.example", "Desk Person").sign_up_as(&app, TENANT, "receptionist").await;
    let clinic_key = app.publish_clinic_key(&admin, &[&provider_person.keys]).await;
    let published = app.call("POST", "/api/npp", Some(json!({ "text": NOTICE })), Some(&admin)).await;
    assert_eq!(published.status, StatusCode::CREATED, "{}", published.json);
    let npp_hash = NppVersion::new(NOTICE).hash().to_string();
    World { app, clinic_key, admin, desk, provider, npp_hash }
}

fn new_id() -> String {
    bizing_server::auth::new_id().unwrap()
}

fn seal(text: &str, booking_id: &str, recipients: &[PublicKey]) -> String {
    Envelope::seal(text.as_bytes(), &note_context(TENANT, booking_id), recipients, SealOptions::default())
        .unwrap()
        .to_string()
}

/// A guest booking body for `start`, with a note sealed to the clinic key alone.
fn guest_body(w: &World, id: &str, start: &str, note: Option<&str>) -> Value {
    let mut body = json!({
        "id": id,
        "providerId": "prov-a",
        "serviceId": "checkup",
        "start": start,
        "guest": { "name": "  Gwendolyn Guestly ", "email": "Gwen.Unique-Marker@Example.org", "phone": "+1 (555) 010-4477" },
        "nppVersionHash": w.npp_hash,
    });
    if let Some(text) = note {
        body["note"] = Value::String(seal(text, id, &[w.clinic_key.public_key().clone()]));
    }
    body
}

fn assert_problem(res: &common::Response, status: StatusCode, slug: &str) {
    assert_eq!(res.status, status, "{slug}: {}", res.json);
    assert_eq!(res.headers.get(header::CONTENT_TYPE).unwrap(), "application/problem+json", "{slug}");
    assert_eq!(res.problem_type(), format!("urn:bizing:problem:{slug}"), "{}", res.json);
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

/// A read-only look at the database, for what the API does not show.
async fn count(app: &TestApp, sql: &'static str) -> i64 {
    let url = format!("sqlite://{}?mode=ro", app.db_path().display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let n: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
    pool.close().await;
    n
}

async fn guest_rows(app: &TestApp) -> i64 {
    count(app, "SELECT COUNT(*) FROM users WHERE guest = 1").await
}

async fn stored_nothing(app: &TestApp) {
    assert_eq!(guest_rows(app).await, 0, "a guest row was left behind");
    assert_eq!(count(app, "SELECT COUNT(*) FROM npp_acks WHERE channel = 'widget'").await, 0, "an acknowledgment");
    assert_eq!(count(app, "SELECT COUNT(*) FROM bookings").await, 0, "a booking");
}

fn booking_in<'a>(list: &'a common::Response, id: &str) -> Option<&'a Value> {
    list.json["bookings"].as_array().unwrap().iter().find(|b| b["id"] == id)
}

#[tokio::test]
async fn a_guest_books_with_a_sealed_note_and_staff_see_whom_to_contact() {
    let w = world().await;
    let id = new_id();
    let secret = "Recurring migraines since the accident; please call after 5pm";
    let res = w.app.call("POST", GUESTS, Some(guest_body(&w, &id, NINE, Some(secret))), None).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    // No PHI in the answer: the host page may see it.
    assert_eq!(res.json, json!({ "id": id, "status": "active" }));
    assert!(res.cookie().is_none(), "a guest gets no session");

    // At rest: no note, name, email or phone in clear.
    let bytes = database_bytes(&w.app);
    for needle in ["migraines", "Gwendolyn", "Guestly", "unique-marker", "Unique-Marker", "010-4477"] {
        assert!(!contains(&bytes, needle), "{needle} found in the database");
    }
    assert_eq!(guest_rows(&w.app).await, 1);
    assert_eq!(
        count(&w.app, "SELECT COUNT(*) FROM users WHERE guest = 1 AND role = 'patient' AND auth_hash = '' AND kdf_params = '' AND length(public_key) = 0 AND wrapped_private_key = '' AND phone_enc IS NOT NULL").await,
        1
    );

    // The receptionist: the schedule shows the guest's name, the guest marker and contact, no note.
    let list = w.app.call("GET", "/api/bookings", None, Some(&w.desk)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.json);
    let seen = booking_in(&list, &id).unwrap();
    assert_eq!(seen["patientName"], "Gwendolyn Guestly", "trimmed");
    assert_eq!(seen["guest"], json!({ "email": "gwen.unique-marker@example.org", "phone": "+1 (555) 010-4477" }));
    assert!(seen.get("note").is_none());
    let guest_id = seen["patientId"].as_str().unwrap().to_owned();

    // The provider: the same, and the note, which opens with the clinic key.
    let one = w.app.call("GET", &format!("/api/bookings/{id}"), None, Some(&w.provider)).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.json);
    assert_eq!(one.json["guest"]["email"], "gwen.unique-marker@example.org");
    let note: Envelope = one.json["note"].as_str().unwrap().parse().unwrap();
    assert_eq!(note.recipients(), [w.clinic_key.public_key().key_id()]);
    assert_eq!(&*note.open_text(w.clinic_key.key_pair(), &note_context(TENANT, &id)).unwrap(), secret);

    // The admin sees it too; a patient with an account has no `guest` on their bookings.
    let mut pat = Patient::new("pat@example.com", "Pat Account");
    let pat_cookie = pat.sign_up(&w.app, TENANT).await;
    let ack = json!({ "versionHash": w.npp_hash, "channel": "portal" });
    assert_eq!(w.app.call("POST", "/api/npp/ack", Some(ack), Some(&pat_cookie)).await.status, StatusCode::NO_CONTENT);
    let body = json!({ "providerId": "prov-a", "serviceId": "checkup", "start": NINE_THIRTY });
    let own = w.app.call("POST", "/api/bookings", Some(body), Some(&pat_cookie)).await;
    assert_eq!(own.status, StatusCode::CREATED, "{}", own.json);
    let list = w.app.call("GET", "/api/bookings", None, Some(&w.admin)).await;
    assert_eq!(booking_in(&list, &id).unwrap()["guest"]["phone"], "+1 (555) 010-4477");
    assert!(booking_in(&list, own.json["id"].as_str().unwrap()).unwrap().get("guest").is_none());

    // The guest's record: the acknowledgment (channel widget) and the access log, which names
    // the guest creating the note, then each staff read of the guest's contact (a profile
    // view) alongside the booking or note views.
    let acks = w.app.state.store.npp_acks(TENANT, &guest_id).await.unwrap();
    assert_eq!(acks.len(), 1);
    assert_eq!((acks[0].version_hash.as_str(), acks[0].channel.as_str()), (w.npp_hash.as_str(), "widget"));
    let page = bizing_server::access_log::patient_page(&w.app.state, TENANT, &guest_id, 0).await.unwrap();
    let events: Vec<(String, String, String, String)> = page
        .events
        .iter()
        .map(|e| {
            let e = &e.event;
            (e.actor.role.to_string(), e.actor.display_name.clone(), e.resource.kind.to_string(), e.action.to_string())
        })
        .collect();
    let row = |role: &str, name: &str, kind: &str, action: &str| {
        (role.to_owned(), name.to_owned(), kind.to_owned(), action.to_owned())
    };
    assert_eq!(
        events,
        [
            row("patient", "Gwendolyn Guestly", "note", "create"),
            row("receptionist", "Desk Person", "booking", "view"),
            row("receptionist", "Desk Person", "profile", "view"),
            row("provider", "Dr. Quinn Ash", "note", "view"),
            row("provider", "Dr. Quinn Ash", "profile", "view"),
            row("admin", "Ada Admin", "booking", "view"),
            row("admin", "Ada Admin", "profile", "view"),
        ]
    );
    assert!(page.events.iter().all(|e| e.event.resource.kind.as_str() != "profile" || e.event.resource.id == guest_id));
}

#[tokio::test]
async fn a_guest_booking_without_a_note_is_logged_as_a_booking_and_a_phone_is_optional() {
    let w = world().await;
    let id = new_id();
    let mut body = guest_body(&w, &id, NINE, None);
    body["guest"] = json!({ "name": "Nadia NoPhone", "email": "nadia@example.org", "phone": "  " });
    let res = w.app.call("POST", GUESTS, Some(body), None).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    let one = w.app.call("GET", &format!("/api/bookings/{id}"), None, Some(&w.desk)).await;
    assert_eq!(one.json["guest"], json!({ "email": "nadia@example.org" }));
    let guest_id = one.json["patientId"].as_str().unwrap();
    let page = bizing_server::access_log::patient_page(&w.app.state, TENANT, guest_id, 0).await.unwrap();
    assert_eq!(page.events[0].event.resource.kind.as_str(), "booking");
    assert_eq!(page.events[0].event.action.as_str(), "create");
}

#[tokio::test]
async fn a_note_must_be_sealed_to_exactly_the_current_clinic_key() {
    let w = world().await;
    let clinic = w.clinic_key.public_key().clone();
    let stranger = KeyPair::generate().unwrap().public_key().clone();
    let id = new_id();
    for recipients in [vec![clinic.clone(), stranger.clone()], vec![stranger.clone()]] {
        let mut body = guest_body(&w, &id, NINE, None);
        body["note"] = Value::String(seal("hello", &id, &recipients));
        let res = w.app.call("POST", GUESTS, Some(body), None).await;
        assert_problem(&res, StatusCode::BAD_REQUEST, "wrong-recipients");
        assert!(res.json["detail"].as_str().unwrap().contains(&clinic.key_id().to_string()), "{}", res.json);
    }
    let mut body = guest_body(&w, &id, NINE, None);
    body["note"] = Value::String("bze1.not-an-envelope".into());
    assert_problem(&w.app.call("POST", GUESTS, Some(body), None).await, StatusCode::BAD_REQUEST, "invalid-note");
    let mut body = guest_body(&w, &id, NINE, None);
    body["note"] = Value::String(format!("bze1.{}", "A".repeat(70 * 1024)));
    assert_problem(&w.app.call("POST", GUESTS, Some(body), None).await, StatusCode::BAD_REQUEST, "note-too-large");

    // A rotated key: the old version is no longer the clinic's current key.
    let v2 = w.clinic_key.rotate().unwrap();
    let res = w.app.publish_clinic_key_version(&w.admin, &v2, &[]).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    let res = w.app.call("POST", GUESTS, Some(guest_body(&w, &id, NINE, Some("hello"))), None).await;
    assert_problem(&res, StatusCode::BAD_REQUEST, "wrong-recipients");
    stored_nothing(&w.app).await;

    // A clinic without a clinic key takes no notes from guests.
    let b =
        w.app.call("POST", "/api/clinics/clinic-b/guest-bookings", Some(guest_body(&w, &id, NINE, Some("x"))), None);
    assert_problem(&b.await, StatusCode::CONFLICT, "no-clinic-key");
    stored_nothing(&w.app).await;
}

#[tokio::test]
async fn the_guest_must_have_acknowledged_the_current_notice() {
    let w = world().await;
    let id = new_id();
    let mut body = guest_body(&w, &id, NINE, Some("hello"));
    body["nppVersionHash"] = Value::String("00".repeat(32));
    assert_problem(&w.app.call("POST", GUESTS, Some(body), None).await, StatusCode::CONFLICT, "npp-outdated");
    // A new notice makes the one the guest read outdated.
    let newer = w.app.call("POST", "/api/npp", Some(json!({ "text": format!("{NOTICE}\nRevised.") })), Some(&w.admin));
    assert_eq!(newer.await.status, StatusCode::CREATED);
    let res = w.app.call("POST", GUESTS, Some(guest_body(&w, &id, NINE, Some("hello"))), None).await;
    assert_problem(&res, StatusCode::CONFLICT, "npp-outdated");
    stored_nothing(&w.app).await;
}

#[tokio::test]
async fn a_clinic_without_a_notice_takes_no_guest_bookings() {
    let app = TestApp::new().await;
    let service = ServiceRow {
        id: "v".into(),
        tenant_id: "clinic-b".into(),
        name: "Visit".into(),
        duration_minutes: 30,
        active: true,
    };
    app.state.store.insert_service(&service).await.unwrap();
    let mut person = Patient::new("prov-b@staff.example", "Dr. Bee");
    let cookie = person.sign_up_as(&app, "clinic-b", "provider").await;
    let user_id = app.user_id(&cookie).await;
    let row = ProviderRow {
        id: "prov-b".into(),
        tenant_id: "clinic-b".into(),
        user_id,
        display_name: "Dr. Bee".into(),
        active: true,
    };
    app.state.store.insert_provider(&row).await.unwrap();
    let windows = [ScheduleRow { weekday: 2, start_minute: 9 * 60, end_minute: 12 * 60 }];
    app.state.store.set_weekly_schedule("clinic-b", "prov-b", &windows).await.unwrap();
    let body = json!({
        "id": new_id(), "providerId": "prov-b", "serviceId": "v", "start": NINE,
        "guest": { "name": "G", "email": "g@example.org" }, "nppVersionHash": "00".repeat(32),
    });
    let res = app.call("POST", "/api/clinics/clinic-b/guest-bookings", Some(body), None).await;
    assert_problem(&res, StatusCode::CONFLICT, "no-npp");
    assert_eq!(guest_rows(&app).await, 0);
}

#[tokio::test]
async fn bad_input_is_a_clear_400_and_stores_nothing() {
    let limits = RateLimits { guest_booking: 100, ..RateLimits::default() };
    let w = world_with(Config { rate_limits: limits, ..Config::default() }).await;
    let id = new_id();
    let with = |path: &str, value: Value| {
        let mut body = guest_body(&w, &id, NINE, None);
        let mut target = &mut body;
        let parts: Vec<&str> = path.split('.').collect();
        for part in &parts[..parts.len() - 1] {
            target = &mut target[*part];
        }
        target[parts[parts.len() - 1]] = value;
        body
    };
    for (body, slug) in [
        (with("guest.name", json!("   ")), "invalid-guest"),
        (with("guest.name", json!("n".repeat(201))), "invalid-guest"),
        (with("guest.email", json!("not an email")), "invalid-guest"),
        (with("guest.email", json!(format!("{}@example.org", "e".repeat(250)))), "invalid-guest"),
        (with("guest.phone", json!("call me maybe")), "invalid-guest"),
        (with("guest.phone", json!("1".repeat(33))), "invalid-guest"),
        (with("id", json!("short")), "invalid-body"),
        (with("guest.extra", json!("x")), "invalid-body"),
        (with("start", json!("tomorrow")), "invalid-start"),
        (with("start", json!("2026-09-22T09:10:00-04:00")), "outside-schedule"),
        (with("start", json!("2026-09-21T09:00:00-04:00")), "in-the-past"),
        (with("providerId", json!("nobody")), "unknown-provider"),
        (with("serviceId", json!("nothing")), "unknown-service"),
    ] {
        let res = w.app.call("POST", GUESTS, Some(body.clone()), None).await;
        assert_problem(&res, StatusCode::BAD_REQUEST, slug);
        if slug == "invalid-guest" {
            let detail = res.json["detail"].as_str().unwrap();
            assert!(["name", "email", "phone"].iter().any(|f| detail.starts_with(f)), "{}", res.json);
        }
    }
    let mut no_guest = guest_body(&w, &id, NINE, None);
    no_guest.as_object_mut().unwrap().remove("guest");
    assert_problem(&w.app.call("POST", GUESTS, Some(no_guest), None).await, StatusCode::BAD_REQUEST, "invalid-body");
    let mut no_id = guest_body(&w, &id, NINE, None);
    no_id.as_object_mut().unwrap().remove("id");
    assert_problem(&w.app.call("POST", GUESTS, Some(no_id), None).await, StatusCode::BAD_REQUEST, "invalid-body");
    let unknown =
        w.app.call("POST", "/api/clinics/no-such-clinic/guest-bookings", Some(guest_body(&w, &id, NINE, None)), None);
    assert_problem(&unknown.await, StatusCode::NOT_FOUND, "not-found");
    // The same body limit as booking: 256 KiB.
    let mut huge = guest_body(&w, &id, NINE, None);
    huge["guest"]["name"] = Value::String("n".repeat(300 * 1024));
    assert_problem(
        &w.app.call("POST", GUESTS, Some(huge), None).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "body-too-large",
    );
    stored_nothing(&w.app).await;
}

#[tokio::test]
async fn a_taken_slot_or_booking_id_leaves_no_guest_behind() {
    let w = world().await;
    let first = new_id();
    let res = w.app.call("POST", GUESTS, Some(guest_body(&w, &first, NINE, Some("first"))), None).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    let state_before = (
        guest_rows(&w.app).await,
        count(&w.app, "SELECT COUNT(*) FROM npp_acks").await,
        count(&w.app, "SELECT COUNT(*) FROM access_log").await,
    );
    // Another guest, the same slot: refused, and their guest row, acknowledgment and log
    // entry are rolled back with the booking.
    let second = new_id();
    let res = w.app.call("POST", GUESTS, Some(guest_body(&w, &second, NINE, Some("second"))), None).await;
    assert_problem(&res, StatusCode::CONFLICT, "slot-taken");
    // The same booking id for another slot.
    let res = w.app.call("POST", GUESTS, Some(guest_body(&w, &first, NINE_THIRTY, None)), None).await;
    assert_problem(&res, StatusCode::CONFLICT, "booking-exists");
    let state_after = (
        guest_rows(&w.app).await,
        count(&w.app, "SELECT COUNT(*) FROM npp_acks").await,
        count(&w.app, "SELECT COUNT(*) FROM access_log").await,
    );
    assert_eq!(state_after, state_before);
}

#[tokio::test]
async fn a_guest_can_never_sign_in_and_no_patient_reaches_their_booking() {
    let w = world().await;
    let id = new_id();
    let res = w.app.call("POST", GUESTS, Some(guest_body(&w, &id, NINE, Some("private"))), None).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    let guest_id = w.app.call("GET", &format!("/api/bookings/{id}"), None, Some(&w.desk)).await.json["patientId"]
        .as_str()
        .unwrap()
        .to_owned();
    let email = "gwen.unique-marker@example.org";

    // Pre-login answers as for an unknown email; login refuses like a wrong password (no 500
    // from the guest's empty auth columns).
    let prelogin =
        w.app.call("POST", "/api/auth/prelogin", Some(json!({ "tenantId": TENANT, "email": email })), None).await;
    assert_eq!(prelogin.status, StatusCode::OK, "{}", prelogin.json);
    assert_eq!(prelogin.json["kdfParams"], w.app.state.fake_kdf_params(TENANT, email).unwrap());
    let login = json!({ "tenantId": TENANT, "email": email, "authKey": "A".repeat(43) });
    assert_problem(
        &w.app.call("POST", "/api/auth/login", Some(login), None).await,
        StatusCode::UNAUTHORIZED,
        "wrong-credentials",
    );
    let keys = {
        let tenant = w.app.state.store.tenant(TENANT).await.unwrap().unwrap();
        w.app.state.master.tenant_keys(TENANT, &tenant.data_key_wrapped).unwrap()
    };
    assert!(w.app.state.store.user_by_email(TENANT, &keys.email_index(email)).await.unwrap().is_none());
    assert!(w.app.state.store.user_by_email(TENANT, &keys.guest_index(&guest_id)).await.unwrap().is_none());

    // The same person may open an account with the same email later: a different record,
    // which does not see the guest booking.
    let mut gwen = Patient::new(email, "Gwendolyn Guestly");
    let cookie = gwen.sign_up(&w.app, TENANT).await;
    assert_ne!(w.app.user_id(&cookie).await, guest_id);
    let mine = w.app.call("GET", "/api/bookings", None, Some(&cookie)).await;
    assert_eq!(mine.json["bookings"], json!([]));
    assert_problem(
        &w.app.call("GET", &format!("/api/bookings/{id}"), None, Some(&cookie)).await,
        StatusCode::NOT_FOUND,
        "not-found",
    );
    for path in [format!("/api/bookings/{id}/cancel"), format!("/api/bookings/{id}/check-in")] {
        assert_problem(&w.app.call("POST", &path, None, Some(&cookie)).await, StatusCode::NOT_FOUND, "not-found");
    }
    // Their export has nothing of the guest, and works with guests in the clinic.
    gwen.step_up(&w.app, &cookie).await;
    let export = w.app.call("GET", "/api/export", None, Some(&cookie)).await;
    assert_eq!(export.status, StatusCode::OK, "{}", export.json);
    assert_eq!(export.json["bookings"], json!([]));

    // Guests are nobody's staff: not in the staff lists, never given the clinic key, no role to change.
    let staff = w.app.call("GET", "/api/admin/staff", None, Some(&w.admin)).await;
    assert_eq!(staff.status, StatusCode::OK, "{}", staff.json);
    assert!(!staff.json.to_string().contains(&guest_id), "{}", staff.json);
    let keys_list = w.app.call("GET", "/api/staff/keys", None, Some(&w.admin)).await;
    assert!(!keys_list.json.to_string().contains(&guest_id));
    let share = json!({ "version": 1, "shares": [{ "userId": guest_id, "wrappedKey": w.clinic_key.wrap_for(&KeyPair::generate().unwrap().public_key().clone()).unwrap().to_string() }] });
    let res = w.app.call("POST", "/api/clinic-keys/shares", Some(share), Some(&w.admin)).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.json);
    let path = format!("/api/admin/staff/{guest_id}/role");
    let role = w.app.call("PUT", &path, Some(json!({ "role": "admin" })), Some(&w.admin)).await;
    assert!(
        role.status == StatusCode::NOT_FOUND || role.problem_type() == "urn:bizing:problem:step-up-required",
        "{}",
        role.json
    );
}

#[tokio::test]
async fn another_origin_is_refused_when_the_server_knows_its_own() {
    let config = Config { public_origin: Some("https://booking.example".into()), ..Config::default() };
    let w = world_with(config).await;
    let post = |origin: Option<&str>, id: &str, start: &str| {
        let mut req = Request::builder().method("POST").uri(GUESTS).header(header::CONTENT_TYPE, "application/json");
        if let Some(origin) = origin {
            req = req.header(header::ORIGIN, origin);
        }
        req.body(Body::from(guest_body(&w, id, start, None).to_string())).unwrap()
    };
    for origin in ["https://clinic.example", "null", "https://booking.example.evil", "http://booking.example"] {
        let res = w.app.send(post(Some(origin), &new_id(), NINE)).await;
        assert_problem(&res, StatusCode::FORBIDDEN, "origin-not-allowed");
    }
    stored_nothing(&w.app).await;
    assert_eq!(w.app.send(post(Some("https://booking.example"), &new_id(), NINE)).await.status, StatusCode::CREATED);
    // Not a browser (no Origin at all): allowed.
    assert_eq!(w.app.send(post(None, &new_id(), NINE_THIRTY)).await.status, StatusCode::CREATED);
}

/// Over a real socket, where the client's address is known: 10 guest bookings a minute per
/// address by default (here 3), then 429 with Retry-After; other requests are unaffected.
#[tokio::test]
async fn guest_bookings_are_rate_limited_per_address_over_a_real_socket() {
    let limits = RateLimits { guest_booking: 3, ..RateLimits::default() };
    let w = world_with(Config { rate_limits: limits, ..Config::default() }).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = w.app.router.clone().into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, service).await });
    let post = |body: Value| {
        let body = body.to_string();
        format!(
            "POST {GUESTS} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let starts = [NINE, NINE_THIRTY, "2026-09-22T10:00:00-04:00"];
    for start in starts {
        let response = raw_http(addr, post(guest_body(&w, &new_id(), start, None)).as_bytes()).await;
        assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    }
    let response = raw_http(addr, post(guest_body(&w, &new_id(), "2026-09-22T10:30:00-04:00", None)).as_bytes()).await;
    assert!(response.starts_with("HTTP/1.1 429"), "{response}");
    assert!(response.contains("retry-after: "), "{response}");
    assert!(response.contains("urn:bizing:problem:rate-limited"), "{response}");
    assert_eq!(guest_rows(&w.app).await, 3);
    let slots = raw_http(
        addr,
        format!("GET /api/clinics/{TENANT}/services HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await;
    assert!(slots.starts_with("HTTP/1.1 200"), "{slots}");
    // A minute later, the window is new.
    w.app.clock.advance(60);
    let response = raw_http(addr, post(guest_body(&w, &new_id(), "2026-09-22T10:30:00-04:00", None)).as_bytes()).await;
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    server.abort();
}

async fn raw_http(addr: SocketAddr, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_end(&mut out)).await.unwrap().unwrap();
    String::from_utf8_lossy(&out).into_owned()
}
