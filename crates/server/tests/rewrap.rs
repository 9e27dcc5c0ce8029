//! Rewrapping after a clinic-key rotation: the stale listing, batches that move every note
//! and correction text to the new version (the new version opens them, the old one no
//! longer does, the content is unchanged), strict checks that write nothing on a bad item,
//! and who may do it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use bizing_core::api::{
    SealedKind, StaleItem, StaleResponse, correction_context, disagreement_context, note_context, restriction_context,
};
use bizing_core::{ClinicKey, Context, Envelope, EnvelopeError, KeyPair, PublicKey, SealOptions};
use bizing_server::store::{ProviderRow, ScheduleRow, ServiceRow};
use common::{Patient, TENANT, TestApp};
use serde_json::{Value, json};

const OTHER: &str = "clinic-b";

struct Person {
    person: Patient,
    cookie: String,
    id: String,
}

async fn person(app: &TestApp, tenant: &str, email: &str, role: &str) -> Person {
    let mut person = Patient::new(email, email);
    let cookie =
        if role == "patient" { person.sign_up(app, tenant).await } else { person.sign_up_as(app, tenant, role).await };
    let id = app.user_id(&cookie).await;
    Person { person, cookie, id }
}

/// A clinic with an admin, two providers (`{tenant}-doc`, `{tenant}-doc2`), a receptionist
/// and two patients, clinic key v1 shared with the admin and both providers, and bookings
/// with notes: patient 1 with doc at 09:00 and 09:30 (and a correction request on the
/// first), patient 2 with doc2 at 09:00.
struct Clinic {
    tenant: &'static str,
    admin: Person,
    doc: Person,
    doc2: Person,
    desk: Person,
    pat: Person,
    pat2: Person,
    v1: ClinicKey,
    /// (booking id, its patient's key, the note's text)
    notes: Vec<(String, PublicKey, String)>,
    correction: String,
}

async fn clinic(app: &TestApp, tenant: &'static str) -> Clinic {
    let admin = person(app, tenant, &format!("admin@{tenant}.example"), "admin").await;
    let doc = person(app, tenant, &format!("doc@{tenant}.example"), "provider").await;
    let doc2 = person(app, tenant, &format!("doc2@{tenant}.example"), "provider").await;
    let desk = person(app, tenant, &format!("desk@{tenant}.example"), "receptionist").await;
    let service = ServiceRow {
        id: format!("{tenant}-visit"),
        tenant_id: tenant.into(),
        name: "Visit".into(),
        duration_minutes: 30,
        active: true,
    };
    app.state.store.insert_service(&service).await.unwrap();
    for (id, who) in [(format!("{tenant}-doc"), &doc), (format!("{tenant}-doc2"), &doc2)] {
        let row = ProviderRow {
            id: id.clone(),
            tenant_id: tenant.into(),
            user_id: who.id.clone(),
            display_name: id.clone(),
            active: true,
        };
        app.state.store.insert_provider(&row).await.unwrap();
        let windows: Vec<ScheduleRow> =
            (1..=5).map(|weekday| ScheduleRow { weekday, start_minute: 9 * 60, end_minute: 12 * 60 }).collect();
        app.state.store.set_weekly_schedule(tenant, &id, &windows).await.unwrap();
    }
    let v1 = app.publish_clinic_key(&admin.cookie, &[&doc.person.keys, &doc2.person.keys]).await;
    let pat = person(app, tenant, &format!("pat@{tenant}.example"), "patient").await;
    let pat2 = person(app, tenant, &format!("pat2@{tenant}.example"), "patient").await;
    let mut notes = Vec::new();
    for (who, provider, start) in [
        (&pat, "doc", "2026-09-22T09:00:00-04:00"),
        (&pat, "doc", "2026-09-22T09:30:00-04:00"),
        (&pat2, "doc2", "2026-09-22T09:00:00-04:00"),
    ] {
        let id = bizing_server::auth::new_id().unwrap();
        let text = format!("{tenant} note of {} at {start}", who.person.email);
        let recipients = [v1.public_key().clone(), who.person.keys.public_key().clone()];
        let note = Envelope::seal(text.as_bytes(), &note_context(tenant, &id), &recipients, SealOptions::default())
            .unwrap()
            .to_string();
        let body = json!({
            "id": id, "providerId": format!("{tenant}-{provider}"), "serviceId": service.id, "start": start, "note": note,
        });
        let res = app.call("POST", "/api/bookings", Some(body), Some(&who.cookie)).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
        notes.push((id, who.person.keys.public_key().clone(), text));
    }
    let correction = bizing_server::auth::new_id().unwrap();
    let context = correction_context(tenant, &notes[0].0, &correction);
    let recipients = [v1.public_key().clone(), pat.person.keys.public_key().clone()];
    let change =
        Envelope::seal(b"left knee, not right", &context, &recipients, SealOptions::default()).unwrap().to_string();
    let uri = format!("/api/bookings/{}/corrections", notes[0].0);
    let res = app.call("POST", &uri, Some(json!({ "id": correction, "change": change })), Some(&pat.cookie)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    Clinic { tenant, admin, doc, doc2, desk, pat, pat2, v1, notes, correction }
}

/// Rotates to v2 (shared with the admin and both providers) and returns it.
async fn rotate(app: &TestApp, c: &Clinic) -> ClinicKey {
    let v2 = c.v1.rotate().unwrap();
    let res = app.publish_clinic_key_version(&c.admin.cookie, &v2, &[&c.doc.person.keys, &c.doc2.person.keys]).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    v2
}

/// A fresh second factor for a staff member (on the next time step).
async fn step_up(app: &TestApp, who: &Person) {
    app.clock.advance(30);
    let code = who.person.totp.as_ref().unwrap().code_at(app.clock_now());
    let res = app.call("POST", "/api/auth/step-up", Some(json!({ "code": code })), Some(&who.cookie)).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.json);
}

async fn stale(app: &TestApp, cookie: &str, query: &str) -> common::Response {
    app.call("GET", &format!("/api/notes/stale{query}"), None, Some(cookie)).await
}

async fn stale_list(app: &TestApp, cookie: &str) -> StaleResponse {
    let res = stale(app, cookie, "").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    serde_json::from_value(res.json).unwrap()
}

fn context(tenant: &str, item: &StaleItem) -> Context {
    match item.kind {
        SealedKind::Note => note_context(tenant, &item.booking_id),
        SealedKind::Correction => correction_context(tenant, &item.booking_id, &item.id),
        SealedKind::Disagreement => disagreement_context(tenant, &item.booking_id, &item.id),
        SealedKind::Restriction => restriction_context(tenant, &item.id),
    }
}

/// What the browser does: open with the old version, wrap to the new one, drop the old one.
fn rewrapped(tenant: &str, item: &StaleItem, old: &ClinicKey, new: &ClinicKey) -> Value {
    let envelope: Envelope = item.envelope.parse().unwrap();
    let moved =
        envelope.rewrap(old.key_pair(), &context(tenant, item), &[new.public_key().clone()], &[old.key_id()]).unwrap();
    json!({ "kind": item.kind, "id": item.id, "envelope": moved.to_string() })
}

async fn upload(app: &TestApp, cookie: &str, version: u32, items: Vec<Value>) -> common::Response {
    app.call("POST", "/api/notes/rewrap", Some(json!({ "version": version, "items": items })), Some(cookie)).await
}

fn assert_problem(res: &common::Response, status: StatusCode, slug: &str) {
    assert_eq!(res.status, status, "{slug}: {}", res.json);
    assert_eq!(res.problem_type(), format!("urn:bizing:problem:{slug}"), "{}", res.json);
}

/// Every sealed text and every access-log row, to show that a refused batch wrote nothing.
async fn snapshot(app: &TestApp) -> (Vec<(String, Option<String>)>, Vec<(String, String)>, i64) {
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", app.db_path().display())).await.unwrap();
    let notes = sqlx::query_as("SELECT id, note FROM bookings ORDER BY id").fetch_all(&db).await.unwrap();
    let changes =
        sqlx::query_as("SELECT id, change_envelope FROM corrections ORDER BY id").fetch_all(&db).await.unwrap();
    let (log,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM access_log").fetch_one(&db).await.unwrap();
    db.close().await;
    (notes, changes, log)
}

async fn note_of(app: &TestApp, cookie: &str, booking: &str) -> Envelope {
    let res = app.call("GET", &format!("/api/bookings/{booking}"), None, Some(cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    res.json["note"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_rotation_is_completed_by_rewrapping_every_text_to_the_new_version() {
    let app = TestApp::new().await;
    let c = clinic(&app, TENANT).await;
    let before: Vec<Envelope> = {
        let mut out = Vec::new();
        for (id, _, _) in &c.notes[..2] {
            out.push(note_of(&app, &c.pat.cookie, id).await);
        }
        out
    };
    // Nothing is stale before a rotation.
    let list = stale_list(&app, &c.admin.cookie).await;
    assert_eq!((list.current_version, list.remaining, list.items.len()), (1, 0, 0));

    let v2 = rotate(&app, &c).await;
    step_up(&app, &c.admin).await;
    let list = stale_list(&app, &c.admin.cookie).await;
    assert_eq!(list.current_version, 2);
    assert_eq!(list.current_key_id, v2.key_id().to_string());
    assert_eq!(list.remaining, 4, "three notes and one correction text");
    let kinds: Vec<SealedKind> = list.items.iter().map(|i| i.kind).collect();
    assert_eq!(kinds, [SealedKind::Note, SealedKind::Note, SealedKind::Note, SealedKind::Correction]);
    assert!(list.items.iter().all(|i| i.key_versions == [1]));
    assert!(list.next.is_none());
    // Pages: two at a time, then the rest.
    let res = stale(&app, &c.admin.cookie, "?limit=2").await;
    let first: StaleResponse = serde_json::from_value(res.json).unwrap();
    assert_eq!(first.items, list.items[..2]);
    let next = first.next.unwrap();
    let res = stale(&app, &c.admin.cookie, &format!("?limit=2&after={next}")).await;
    let second: StaleResponse = serde_json::from_value(res.json).unwrap();
    assert_eq!(second.items, list.items[2..]);
    assert!(second.next.is_none());
    assert_problem(&stale(&app, &c.admin.cookie, "?limit=0").await, StatusCode::BAD_REQUEST, "invalid-query");
    assert_problem(&stale(&app, &c.admin.cookie, "?limit=101").await, StatusCode::BAD_REQUEST, "invalid-query");
    assert_problem(&stale(&app, &c.admin.cookie, "?after=bogus").await, StatusCode::BAD_REQUEST, "invalid-query");

    // The admin's browser rewraps them all with v1, to v2; one batch.
    let items: Vec<Value> = list.items.iter().map(|i| rewrapped(c.tenant, i, &c.v1, &v2)).collect();
    let res = upload(&app, &c.admin.cookie, 2, items.clone()).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    assert_eq!(res.json, json!({ "rewrapped": 4, "remaining": 0, "complete": true }));
    assert_eq!(stale_list(&app, &c.admin.cookie).await.remaining, 0);
    // The same batch again (a retry) changes nothing.
    let res = upload(&app, &c.admin.cookie, 2, items).await;
    assert_eq!(res.json, json!({ "rewrapped": 0, "remaining": 0, "complete": true }));

    // The new version opens every note, the old one no longer does, the patient still does,
    // and the content is the same ciphertext.
    for (i, (id, _, text)) in c.notes.iter().enumerate() {
        let cookie = if i < 2 { &c.doc.cookie } else { &c.doc2.cookie };
        let note = note_of(&app, cookie, id).await;
        let ctx = note_context(c.tenant, id);
        assert_eq!(note.open_text(v2.key_pair(), &ctx).unwrap().as_str(), text);
        assert_eq!(note.open_text(c.v1.key_pair(), &ctx).unwrap_err(), EnvelopeError::NoMatchingRecipient);
        let patient = if i < 2 { &c.pat.person.keys } else { &c.pat2.person.keys };
        assert_eq!(note.open_text(patient, &ctx).unwrap().as_str(), text);
        if i < 2 {
            assert!(note.same_content(&before[i]));
        }
    }
    let res = app.call("GET", &format!("/api/corrections/{}", c.correction), None, Some(&c.pat.cookie)).await;
    let change: Envelope = res.json["change"].as_str().unwrap().parse().unwrap();
    let ctx = correction_context(c.tenant, &c.notes[0].0, &c.correction);
    assert_eq!(change.open_text(v2.key_pair(), &ctx).unwrap().as_str(), "left knee, not right");
    assert!(change.open_text(c.v1.key_pair(), &ctx).is_err());

    // Each patient's log shows who rewrapped their texts, and who listed them.
    let log = app.call("GET", "/api/access-log", None, Some(&c.pat.cookie)).await;
    let rewraps = log.json["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"]["action"] == "rewrap")
        .map(|e| (e["event"]["actor"]["userId"].as_str().unwrap().to_owned(), e["event"]["resource"]["kind"].clone()))
        .collect::<Vec<_>>();
    assert_eq!(rewraps.len(), 3, "two notes and a correction of patient 1");
    assert!(rewraps.iter().all(|(who, _)| *who == c.admin.id));
}

#[tokio::test]
async fn a_rewrap_that_changes_content_or_recipients_is_refused_and_nothing_is_written() {
    let app = TestApp::new().await;
    let c = clinic(&app, TENANT).await;
    let b = clinic(&app, OTHER).await;
    let v2 = rotate(&app, &c).await;
    step_up(&app, &c.admin).await;
    let list = stale_list(&app, &c.admin.cookie).await;
    let patient = c.pat.person.keys.key_id();
    // A note of `pat` (ids are random, so the list's order is not known): the variants below
    // drop or keep pat's own recipient.
    let note = list
        .items
        .iter()
        .find(|i| i.kind == SealedKind::Note && i.envelope.parse::<Envelope>().unwrap().recipients().contains(&patient))
        .unwrap();
    let other = list.items.iter().find(|i| i.kind == SealedKind::Note && i.id != note.id).unwrap();
    let good = rewrapped(c.tenant, note, &c.v1, &v2);
    let stored: Envelope = note.envelope.parse().unwrap();
    let ctx = context(c.tenant, note);
    let variant = |add: &[PublicKey], remove: &[bizing_core::KeyId]| {
        let env = stored.rewrap(c.v1.key_pair(), &ctx, add, remove).unwrap();
        json!({ "kind": "note", "id": note.id, "envelope": env.to_string() })
    };
    let other_content = {
        let recipients = [v2.public_key().clone(), c.pat.person.keys.public_key().clone()];
        let env = Envelope::seal(b"something else", &ctx, &recipients, SealOptions::default()).unwrap();
        json!({ "kind": "note", "id": note.id, "envelope": env.to_string() })
    };
    let stranger = KeyPair::generate().unwrap();
    let before = snapshot(&app).await;
    let cases: Vec<(Vec<Value>, StatusCode, &str)> = vec![
        (vec![other_content], StatusCode::BAD_REQUEST, "content-changed"),
        // Drops the patient's own recipient.
        (
            vec![variant(&[v2.public_key().clone()], &[c.v1.key_id(), patient])],
            StatusCode::BAD_REQUEST,
            "wrong-recipients",
        ),
        // Omits the current version.
        (vec![variant(&[], &[c.v1.key_id()])], StatusCode::BAD_REQUEST, "wrong-recipients"),
        // Keeps the old version.
        (vec![variant(&[v2.public_key().clone()], &[])], StatusCode::BAD_REQUEST, "wrong-recipients"),
        // Adds someone.
        (
            vec![variant(&[v2.public_key().clone(), c.admin.person.keys.public_key().clone()], &[c.v1.key_id()])],
            StatusCode::BAD_REQUEST,
            "wrong-recipients",
        ),
        (
            vec![variant(&[stranger.public_key().clone()], &[c.v1.key_id()])],
            StatusCode::BAD_REQUEST,
            "wrong-recipients",
        ),
        // One bad item spoils the batch: the good one is not written either.
        (
            vec![good.clone(), json!({ "kind": "note", "id": other.id, "envelope": "bze1.AAAA" })],
            StatusCode::BAD_REQUEST,
            "invalid-envelope",
        ),
        (vec![good.clone(), good.clone()], StatusCode::BAD_REQUEST, "invalid-body"),
        (vec![], StatusCode::BAD_REQUEST, "invalid-body"),
        ((0..101).map(|_| good.clone()).collect(), StatusCode::BAD_REQUEST, "invalid-body"),
        // Unknown, another clinic's, or the wrong kind of id: as if it did not exist.
        (
            vec![good.clone(), json!({ "kind": "note", "id": "nope", "envelope": good["envelope"] })],
            StatusCode::NOT_FOUND,
            "not-found",
        ),
        (
            vec![json!({ "kind": "note", "id": b.notes[0].0, "envelope": good["envelope"] })],
            StatusCode::NOT_FOUND,
            "not-found",
        ),
        (
            vec![json!({ "kind": "correction", "id": note.id, "envelope": good["envelope"] })],
            StatusCode::NOT_FOUND,
            "not-found",
        ),
        (
            vec![json!({ "kind": "disagreement", "id": c.correction, "envelope": good["envelope"] })],
            StatusCode::NOT_FOUND,
            "not-found",
        ),
        // The same content moved to another note's slot.
        (
            vec![json!({ "kind": "note", "id": other.id, "envelope": good["envelope"] })],
            StatusCode::BAD_REQUEST,
            "content-changed",
        ),
    ];
    for (items, status, slug) in cases {
        let res = upload(&app, &c.admin.cookie, 2, items).await;
        assert_problem(&res, status, slug);
    }
    // A batch made for another version.
    assert_problem(&upload(&app, &c.admin.cookie, 1, vec![good.clone()]).await, StatusCode::CONFLICT, "key-rotated");
    let body = json!({ "version": 2, "items": [good.clone()], "force": true });
    let res = app.call("POST", "/api/notes/rewrap", Some(body), Some(&c.admin.cookie)).await;
    assert_problem(&res, StatusCode::BAD_REQUEST, "invalid-body");
    assert_eq!(snapshot(&app).await, before, "nothing written, nothing logged");

    // The good item alone goes through; a different rewrap of it afterwards is not stale.
    let res = upload(&app, &c.admin.cookie, 2, vec![good]).await;
    assert_eq!(res.json["rewrapped"], 1, "{}", res.json);
    assert_eq!(res.json["remaining"], 3);
    assert_eq!(res.json["complete"], false);
    let again = rewrapped(c.tenant, note, &c.v1, &v2);
    assert_problem(&upload(&app, &c.admin.cookie, 2, vec![again]).await, StatusCode::CONFLICT, "not-stale");
}

#[tokio::test]
async fn only_providers_and_admins_holding_the_key_with_a_step_up_rewrap() {
    let app = TestApp::new().await;
    let c = clinic(&app, TENANT).await;
    let v2 = rotate(&app, &c).await;
    // Receptionists and patients: never.
    for cookie in [&c.desk.cookie, &c.pat.cookie, &c.pat2.cookie] {
        assert_problem(&stale(&app, cookie, "").await, StatusCode::FORBIDDEN, "forbidden");
        assert_problem(&upload(&app, cookie, 2, vec![]).await, StatusCode::BAD_REQUEST, "invalid-body");
        let item = json!({ "kind": "note", "id": c.notes[0].0, "envelope": "bze1.AAAA" });
        assert_problem(&upload(&app, cookie, 2, vec![item]).await, StatusCode::FORBIDDEN, "forbidden");
    }
    assert_eq!(stale(&app, "", "").await.status, StatusCode::UNAUTHORIZED);

    // A provider sees and rewraps only the texts of bookings with them.
    step_up(&app, &c.doc2).await;
    let mine = stale_list(&app, &c.doc2.cookie).await;
    assert_eq!(mine.items.len(), 1);
    assert_eq!(mine.items[0].id, c.notes[2].0);
    step_up(&app, &c.doc).await;
    let theirs = stale_list(&app, &c.doc.cookie).await;
    assert_eq!(theirs.remaining, 3);
    let foreign = rewrapped(c.tenant, &theirs.items[0], &c.v1, &v2);
    assert_problem(&upload(&app, &c.doc2.cookie, 2, vec![foreign]).await, StatusCode::NOT_FOUND, "not-found");
    let own = rewrapped(c.tenant, &mine.items[0], &c.v1, &v2);
    let res = upload(&app, &c.doc2.cookie, 2, vec![own]).await;
    assert_eq!(res.json, json!({ "rewrapped": 1, "remaining": 0, "complete": true }));

    // Without a recent step-up, no.
    app.clock.advance(6 * 60);
    assert_problem(&stale(&app, &c.doc.cookie, "").await, StatusCode::FORBIDDEN, "step-up-required");
    let item = rewrapped(c.tenant, &theirs.items[0], &c.v1, &v2);
    assert_problem(
        &upload(&app, &c.doc.cookie, 2, vec![item.clone()]).await,
        StatusCode::FORBIDDEN,
        "step-up-required",
    );
    step_up(&app, &c.doc).await;
    assert_eq!(upload(&app, &c.doc.cookie, 2, vec![item]).await.status, StatusCode::OK);

    // Someone without a copy of the current version may not reseal to it: here a third
    // version shared with the admin only.
    let v3 = v2.rotate().unwrap();
    let res = app.publish_clinic_key_version(&c.admin.cookie, &v3, &[]).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    assert_problem(&stale(&app, &c.doc.cookie, "").await, StatusCode::FORBIDDEN, "forbidden");
    step_up(&app, &c.admin).await;
    assert_eq!(stale_list(&app, &c.admin.cookie).await.remaining, 4);
}
