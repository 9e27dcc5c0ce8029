//! Clinic keys, zero knowledge: an admin's client makes and wraps each version, the server
//! checks the wrapped copies without opening them, providers unwrap their copy with their
//! personal key and open notes, receptionists never get a copy; rotation after staff leave,
//! strict validation with nothing half-written, tenant isolation, and bookings whose note is
//! not sealed to the clinic key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::{StatusCode, header};
use base64ct::{Base64UrlUnpadded, Encoding};
use bizing_core::api::{
    ClinicKeyInfo, MyClinicKeysResponse, NOTE_FIELD, NOTE_SCHEMA_VERSION, PreloginResponse, StaffKeysResponse,
};
use bizing_core::{
    ClinicKey, Context, Envelope, EnvelopeError, KdfParams, KdfProfile, KeyPair, PublicKey, SealOptions, Totp,
    WrappedKey, derive_password_keys,
};
use bizing_server::store::{ProviderRow, ScheduleRow, ServiceRow};
use common::{Patient, TENANT, TestApp};
use serde_json::{Value, json};

const OTHER: &str = "clinic-b";
/// A slot on the schedule `clinic` sets up: Tuesday 2026-09-22 (the clock is the Monday before).
const SLOT: &str = "2026-09-22T09:00:00-04:00";

fn b64(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// A signed-in staff member of `role`.
struct Staff {
    person: Patient,
    cookie: String,
    id: String,
}

async fn staff(app: &TestApp, tenant: &str, email: &str, name: &str, role: &str) -> Staff {
    let mut person = Patient::new(email, name);
    let cookie = person.sign_up_as(app, tenant, role).await;
    let id = app.user_id(&cookie).await;
    Staff { person, cookie, id }
}

/// A clinic with an admin, a provider (bookable Monday to Friday, 09:00-12:00, service
/// `visit`), a receptionist and a patient.
struct Clinic {
    tenant: &'static str,
    admin: Staff,
    provider: Staff,
    desk: Staff,
    patient: Patient,
    patient_cookie: String,
}

async fn clinic(app: &TestApp, tenant: &'static str) -> Clinic {
    let admin = staff(app, tenant, &format!("admin@{tenant}.example"), &format!("Admin of {tenant}"), "admin").await;
    let provider =
        staff(app, tenant, &format!("doc@{tenant}.example"), &format!("Dr. Doc of {tenant}"), "provider").await;
    let desk =
        staff(app, tenant, &format!("desk@{tenant}.example"), &format!("Desk of {tenant}"), "receptionist").await;
    let service = ServiceRow {
        id: format!("{tenant}-visit"),
        tenant_id: tenant.into(),
        name: "Visit".into(),
        duration_minutes: 30,
        active: true,
    };
    app.state.store.insert_service(&service).await.unwrap();
    let row = ProviderRow {
        id: format!("{tenant}-doc"),
        tenant_id: tenant.into(),
        user_id: provider.id.clone(),
        display_name: "Dr. Doc".into(),
        active: true,
    };
    app.state.store.insert_provider(&row).await.unwrap();
    let windows: Vec<ScheduleRow> =
        (1..=5).map(|weekday| ScheduleRow { weekday, start_minute: 9 * 60, end_minute: 12 * 60 }).collect();
    app.state.store.set_weekly_schedule(tenant, &row.id, &windows).await.unwrap();
    let mut patient = Patient::new(&format!("pat@{tenant}.example"), &format!("Pat of {tenant}"));
    let patient_cookie = patient.sign_up(app, tenant).await;
    Clinic { tenant, admin, provider, desk, patient, patient_cookie }
}

fn context(tenant: &str, booking_id: &str) -> Context {
    Context::new(tenant, booking_id, NOTE_FIELD, NOTE_SCHEMA_VERSION)
}

/// What the widget does: seal the note to the clinic key it fetched and the patient's key.
fn seal(text: &str, tenant: &str, booking_id: &str, recipients: &[PublicKey]) -> String {
    Envelope::seal(text.as_bytes(), &context(tenant, booking_id), recipients, SealOptions::default())
        .unwrap()
        .to_string()
}

/// The clinic's current public key, as the widget reads it (from the JWK).
async fn public_clinic_key(app: &TestApp, tenant: &str) -> PublicKey {
    let res = app.call("GET", &format!("/api/clinics/{tenant}/clinic-key"), None, None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    let info: ClinicKeyInfo = serde_json::from_value(res.json).unwrap();
    let from_jwk = PublicKey::from_jwk(&serde_json::to_string(&info.jwk).unwrap()).unwrap();
    let from_sec1 = PublicKey::from_sec1(&Base64UrlUnpadded::decode_vec(&info.public_key).unwrap())
        .unwrap()
        .with_version(info.version)
        .unwrap();
    assert_eq!(from_jwk, from_sec1);
    assert_eq!(from_jwk.key_id().to_string(), info.key_id);
    from_jwk
}

/// Books the clinic's slot at `start` with `note` (sealed to booking `id`).
async fn book_with_note(app: &TestApp, c: &Clinic, start: &str, id: &str, note: Option<&str>) -> common::Response {
    let mut body = json!({
        "id": id,
        "providerId": format!("{}-doc", c.tenant),
        "serviceId": format!("{}-visit", c.tenant),
        "start": start,
    });
    if let Some(note) = note {
        body["note"] = json!(note);
    }
    app.call("POST", "/api/bookings", Some(body), Some(&c.patient_cookie)).await
}

async fn mine(app: &TestApp, cookie: &str) -> MyClinicKeysResponse {
    let res = app.call("GET", "/api/clinic-keys/mine", None, Some(cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    serde_json::from_value(res.json).unwrap()
}

/// What a provider's browser does: fetch its copies and unwrap them with its personal key.
async fn my_clinic_keys(app: &TestApp, who: &Staff) -> Vec<ClinicKey> {
    mine(app, &who.cookie)
        .await
        .keys
        .iter()
        .map(|k| ClinicKey::unwrap(&k.wrapped_key.parse::<WrappedKey>().unwrap(), &who.person.keys).unwrap())
        .collect()
}

fn share(user_id: &str, key: &ClinicKey, to: &PublicKey) -> Value {
    json!({ "userId": user_id, "wrappedKey": key.wrap_for(to).unwrap().to_string() })
}

fn publish_body(key: &ClinicKey, shares: Vec<Value>) -> Value {
    json!({ "version": key.version(), "publicKey": b64(&key.public_key().to_sec1()), "shares": shares })
}

fn assert_problem(res: &common::Response, status: StatusCode, kind: &str, what: &str) {
    assert_eq!(res.status, status, "{what}: {}", res.json);
    assert_eq!(res.headers.get(header::CONTENT_TYPE).unwrap(), "application/problem+json", "{what}");
    assert_eq!(res.problem_type(), format!("urn:bizing:problem:{kind}"), "{what}: {}", res.json);
}

#[tokio::test]
async fn providers_unwrap_their_share_and_open_notes_receptionists_cannot() {
    let app = TestApp::new().await;
    let c = clinic(&app, TENANT).await;

    // No key yet: nothing to seal to, nothing held.
    let none = app.call("GET", &format!("/api/clinics/{TENANT}/clinic-key"), None, None).await;
    assert_problem(&none, StatusCode::NOT_FOUND, "not-found", "no key yet");
    assert!(mine(&app, &c.provider.cookie).await.keys.is_empty());

    // The staff list an admin wraps to: every staff member with their personal key.
    let res = app.call("GET", "/api/staff/keys", None, Some(&c.admin.cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    let list: StaffKeysResponse = serde_json::from_value(res.json).unwrap();
    assert_eq!(list.staff.len(), 3, "patients are not staff");
    for (who, role) in [(&c.admin, "admin"), (&c.provider, "provider"), (&c.desk, "receptionist")] {
        let member = list.staff.iter().find(|m| m.user_id == who.id).unwrap();
        assert_eq!(member.role, role);
        assert_eq!(member.name, who.person.name);
        assert_eq!(member.public_key, b64(&who.person.keys.public_key().to_sec1()));
        assert_eq!(member.key_id, who.person.keys.key_id().to_string());
        assert!(member.clinic_key_versions.is_empty());
    }
    // Staff may read it; patients may not; nobody signed out may.
    for cookie in [&c.provider.cookie, &c.desk.cookie] {
        assert_eq!(app.call("GET", "/api/staff/keys", None, Some(cookie)).await.status, StatusCode::OK);
    }
    let res = app.call("GET", "/api/staff/keys", None, Some(&c.patient_cookie)).await;
    assert_problem(&res, StatusCode::FORBIDDEN, "forbidden", "patient reads staff keys");
    assert_eq!(app.call("GET", "/api/staff/keys", None, None).await.status, StatusCode::UNAUTHORIZED);

    // Only an admin publishes.
    let attempt = ClinicKey::create().unwrap();
    for cookie in [&c.provider.cookie, &c.desk.cookie, &c.patient_cookie] {
        let body = publish_body(&attempt, vec![share(&c.provider.id, &attempt, c.provider.person.keys.public_key())]);
        let res = app.call("POST", "/api/clinic-keys", Some(body), Some(cookie)).await;
        assert_problem(&res, StatusCode::FORBIDDEN, "forbidden", "non-admin publishes");
    }

    // The admin makes version 1 in the browser and shares it with the provider and itself.
    let key = ClinicKey::create().unwrap();
    let body = publish_body(
        &key,
        vec![
            share(&c.provider.id, &key, c.provider.person.keys.public_key()),
            share(&c.admin.id, &key, c.admin.person.keys.public_key()),
        ],
    );
    let res = app.call("POST", "/api/clinic-keys", Some(body), Some(&c.admin.cookie)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    assert_eq!(res.json["version"], 1);
    assert_eq!(res.json["keyId"], key.key_id().to_string());
    assert_eq!(res.json["jwk"]["kid"], key.key_id().to_string());
    assert_eq!(res.json["jwk"]["crv"], "P-256");

    // The public endpoint serves it, as SEC1 and as a JWK.
    assert_eq!(&public_clinic_key(&app, TENANT).await, key.public_key());
    let public = app.call("GET", &format!("/api/clinics/{TENANT}/clinic-key"), None, None).await;
    assert_eq!(public.json, res.json);
    assert_eq!(public.json["publicKey"], b64(&key.public_key().to_sec1()));

    // Who holds what shows in the staff list.
    let list: StaffKeysResponse =
        serde_json::from_value(app.call("GET", "/api/staff/keys", None, Some(&c.admin.cookie)).await.json).unwrap();
    let versions = |id: &str| list.staff.iter().find(|m| m.user_id == id).unwrap().clinic_key_versions.clone();
    assert_eq!(versions(&c.admin.id), [1]);
    assert_eq!(versions(&c.provider.id), [1]);
    assert_eq!(versions(&c.desk.id), Vec::<u32>::new());

    // A patient seals a note to the clinic key (fetched from the public endpoint) and books.
    let clinic_public = public_clinic_key(&app, TENANT).await;
    let id = bizing_server::auth::new_id().unwrap();
    let text = "chest tightness after running";
    let note = seal(text, TENANT, &id, &[clinic_public, c.patient.keys.public_key().clone()]);
    let res = book_with_note(&app, &c, SLOT, &id, Some(&note)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);

    // The provider reads the booking, fetches its copy, unwraps it with its own key, opens.
    let booking = app.call("GET", &format!("/api/bookings/{id}"), None, Some(&c.provider.cookie)).await;
    assert_eq!(booking.status, StatusCode::OK, "{}", booking.json);
    let envelope: Envelope = booking.json["note"].as_str().unwrap().parse().unwrap();
    let copies = mine(&app, &c.provider.cookie).await;
    assert_eq!(copies.keys.len(), 1);
    assert_eq!(copies.keys[0].version, 1);
    assert!(copies.keys[0].current);
    assert_eq!(copies.keys[0].key_id, key.key_id().to_string());
    assert_eq!(copies.keys[0].public_key, b64(&key.public_key().to_sec1()));
    let held = my_clinic_keys(&app, &c.provider).await;
    assert_eq!(held[0].key_id(), key.key_id());
    assert_eq!(envelope.open_text(held[0].key_pair(), &context(TENANT, &id)).unwrap().as_str(), text);
    // The admin's copy opens it too.
    let admins = my_clinic_keys(&app, &c.admin).await;
    assert_eq!(envelope.open_text(admins[0].key_pair(), &context(TENANT, &id)).unwrap().as_str(), text);
    // The provider's copy is useless to anyone else: it is wrapped to the provider's key.
    let wrapped: WrappedKey = copies.keys[0].wrapped_key.parse().unwrap();
    assert!(ClinicKey::unwrap(&wrapped, &c.desk.person.keys).is_err());

    // The receptionist gets no copy: refused outright (not an empty list) ...
    let res = app.call("GET", "/api/clinic-keys/mine", None, Some(&c.desk.cookie)).await;
    assert_problem(&res, StatusCode::FORBIDDEN, "forbidden", "receptionist asks for copies");
    let res = app.call("GET", "/api/clinic-keys/mine", None, Some(&c.patient_cookie)).await;
    assert_problem(&res, StatusCode::FORBIDDEN, "forbidden", "patient asks for copies");
    // ... and an admin cannot give one, even correctly wrapped to the receptionist's key.
    let body = json!({ "version": 1, "shares": [share(&c.desk.id, &admins[0], c.desk.person.keys.public_key())] });
    let res = app.call("POST", "/api/clinic-keys/shares", Some(body), Some(&c.admin.cookie)).await;
    assert_problem(&res, StatusCode::BAD_REQUEST, "share-not-allowed", "share to a receptionist");
    let res = app.call("GET", "/api/clinic-keys/mine", None, Some(&c.desk.cookie)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(app.state.store.clinic_key_holders(TENANT).await.unwrap().len(), 2, "nothing stored");
    // So the receptionist cannot open the note, even holding the envelope.
    let desk_view = app.call("GET", &format!("/api/bookings/{id}"), None, Some(&c.desk.cookie)).await;
    assert!(desk_view.json.get("note").is_none());
    assert_eq!(
        envelope.open_text(&c.desk.person.keys, &context(TENANT, &id)).unwrap_err(),
        EnvelopeError::NoMatchingRecipient
    );

    // A provider who joins later is given the existing version.
    let late = staff(&app, TENANT, "late@clinic-a.example", "Dr. Late", "provider").await;
    assert!(mine(&app, &late.cookie).await.keys.is_empty());
    let body = json!({ "version": 1, "shares": [share(&late.id, &admins[0], late.person.keys.public_key())] });
    let res = app.call("POST", "/api/clinic-keys/shares", Some(body.clone()), Some(&late.cookie)).await;
    assert_problem(&res, StatusCode::FORBIDDEN, "forbidden", "a provider shares");
    let res = app.call("POST", "/api/clinic-keys/shares", Some(body.clone()), Some(&c.admin.cookie)).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.json);
    let theirs = my_clinic_keys(&app, &late).await;
    assert_eq!(envelope.open_text(theirs[0].key_pair(), &context(TENANT, &id)).unwrap().as_str(), text);
    // Once.
    let res = app.call("POST", "/api/clinic-keys/shares", Some(body), Some(&c.admin.cookie)).await;
    assert_problem(&res, StatusCode::CONFLICT, "share-exists", "the same share again");
}

#[tokio::test]
async fn bad_publications_are_refused_and_store_nothing() {
    let app = TestApp::new().await;
    let c = clinic(&app, TENANT).await;
    let b = clinic(&app, OTHER).await;
    let key = ClinicKey::create().unwrap();
    let other_key = ClinicKey::create().unwrap();
    let next = key.rotate().unwrap();
    let admin_pk = c.admin.person.keys.public_key();
    let provider_pk = c.provider.person.keys.public_key();
    let self_share = share(&c.admin.id, &key, admin_pk);
    let provider_share = share(&c.provider.id, &key, provider_pk);
    let good = || publish_body(&key, vec![self_share.clone(), provider_share.clone()]);
    let with = |field: &str, value: Value| {
        let mut body = good();
        body[field] = value;
        body
    };
    let password_wrap = {
        let params = KdfParams::generate(KdfProfile::InsecureFastForTests).unwrap();
        let wrap_key = derive_password_keys("a password", &params).unwrap().wrap_key;
        key.key_pair().wrap_with_password(&wrap_key).unwrap().to_string()
    };
    let not_on_curve = {
        let mut sec1 = [0u8; 65];
        sec1[0] = 4;
        sec1[1] = 1;
        b64(&sec1)
    };
    let cases: Vec<(Value, &str)> = vec![
        (with("version", json!(0)), "wrong-key-version"),
        (with("version", json!(2)), "wrong-key-version"),
        (with("version", json!(-1)), "invalid-body"),
        (with("version", json!("1")), "invalid-body"),
        (with("publicKey", json!("not base64!")), "invalid-body"),
        (with("publicKey", json!(b64(&[4u8; 10]))), "invalid-body"),
        (with("publicKey", json!(not_on_curve)), "invalid-body"),
        // The declared key is not the one the copies hold.
        (with("publicKey", json!(b64(&other_key.public_key().to_sec1()))), "key-id-mismatch"),
        // Copies of another key, or of this key's successor at another version.
        (
            publish_body(&key, vec![self_share.clone(), share(&c.provider.id, &other_key, provider_pk)]),
            "key-id-mismatch",
        ),
        (
            json!({
                "version": 1,
                "publicKey": b64(&next.public_key().to_sec1()),
                "shares": [share(&c.admin.id, &next, admin_pk)],
            }),
            "key-id-mismatch",
        ),
        // Wrapped to the wrong person: the admin's key, filed under the provider.
        (publish_body(&key, vec![self_share.clone(), share(&c.provider.id, &key, admin_pk)]), "wrong-recipient"),
        (
            publish_body(
                &key,
                vec![self_share.clone(), share(&c.provider.id, &key, KeyPair::generate().unwrap().public_key())],
            ),
            "wrong-recipient",
        ),
        (publish_body(&key, vec![provider_share.clone()]), "missing-self-share"),
        (publish_body(&key, vec![]), "invalid-body"),
        (publish_body(&key, vec![self_share.clone(), self_share.clone()]), "duplicate-share"),
        (
            publish_body(
                &key,
                vec![self_share.clone(), share(&b.provider.id, &key, b.provider.person.keys.public_key())],
            ),
            "unknown-user",
        ),
        (
            publish_body(&key, vec![self_share.clone(), share(&b.admin.id, &key, b.admin.person.keys.public_key())]),
            "unknown-user",
        ),
        (publish_body(&key, vec![self_share.clone(), share("nobody", &key, provider_pk)]), "unknown-user"),
        (
            publish_body(&key, vec![self_share.clone(), share(&c.desk.id, &key, c.desk.person.keys.public_key())]),
            "share-not-allowed",
        ),
        (
            publish_body(
                &key,
                vec![
                    self_share.clone(),
                    share(&app.user_id(&c.patient_cookie).await, &key, c.patient.keys.public_key()),
                ],
            ),
            "share-not-allowed",
        ),
        (
            publish_body(&key, vec![self_share.clone(), json!({ "userId": c.provider.id, "wrappedKey": "hello" })]),
            "invalid-body",
        ),
        (
            publish_body(&key, vec![self_share.clone(), json!({ "userId": c.provider.id, "wrappedKey": "bzk1.!!!" })]),
            "invalid-body",
        ),
        (
            publish_body(&key, vec![self_share.clone(), json!({ "userId": c.provider.id, "wrappedKey": "bzk1.QlpL" })]),
            "invalid-body",
        ),
        (
            publish_body(
                &key,
                vec![self_share.clone(), json!({ "userId": c.provider.id, "wrappedKey": password_wrap })],
            ),
            "invalid-body",
        ),
        (publish_body(&key, vec![self_share.clone(), json!({ "userId": c.provider.id })]), "invalid-body"),
        (with("isCurrent", json!(true)), "invalid-body"),
        (json!({ "version": 1, "publicKey": b64(&key.public_key().to_sec1()) }), "invalid-body"),
        (json!([1, 2, 3]), "invalid-body"),
    ];
    for (body, kind) in cases {
        let what = body.to_string();
        let res = app.call("POST", "/api/clinic-keys", Some(body), Some(&c.admin.cookie)).await;
        assert_problem(&res, StatusCode::BAD_REQUEST, kind, &what);
        assert!(res.json["detail"].as_str().is_some_and(|d| !d.is_empty()), "{what}: no detail");
    }
    let res = app.call("POST", "/api/clinic-keys", Some(good()), None).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);

    // Nothing was stored.
    assert!(app.state.store.current_clinic_key(TENANT).await.unwrap().is_none());
    assert!(app.state.store.clinic_key_holders(TENANT).await.unwrap().is_empty());
    assert!(mine(&app, &c.admin.cookie).await.keys.is_empty());
    assert_eq!(
        app.call("GET", &format!("/api/clinics/{TENANT}/clinic-key"), None, None).await.status,
        StatusCode::NOT_FOUND
    );

    // The good publication goes through; then versions must follow on, keys are never reused.
    let res = app.call("POST", "/api/clinic-keys", Some(good()), Some(&c.admin.cookie)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    let again = app.call("POST", "/api/clinic-keys", Some(good()), Some(&c.admin.cookie)).await;
    assert_problem(&again, StatusCode::BAD_REQUEST, "wrong-key-version", "version 1 again");
    let skip = next.rotate().unwrap();
    let body = publish_body(&skip, vec![share(&c.admin.id, &skip, admin_pk)]);
    let res = app.call("POST", "/api/clinic-keys", Some(body), Some(&c.admin.cookie)).await;
    assert_problem(&res, StatusCode::BAD_REQUEST, "wrong-key-version", "version 3 after 1");
    // Version 2 made of version 1's key pair: refused.
    let same_pair = key.key_pair().clone().with_version(2).unwrap();
    let reused = json!({
        "version": 2,
        "publicKey": b64(&key.public_key().to_sec1()),
        "shares": [{ "userId": c.admin.id, "wrappedKey": same_pair.wrap_to(admin_pk).unwrap().to_string() }],
    });
    let res = app.call("POST", "/api/clinic-keys", Some(reused), Some(&c.admin.cookie)).await;
    assert_problem(&res, StatusCode::BAD_REQUEST, "key-reused", "version 2 with version 1's key");
    assert_eq!(app.state.store.current_clinic_key(TENANT).await.unwrap().unwrap().version, 1);
    assert_eq!(app.state.store.clinic_key_holders(TENANT).await.unwrap().len(), 2);

    // Adding shares is checked the same way, and all or nothing.
    let late = staff(&app, TENANT, "late@clinic-a.example", "Dr. Late", "provider").await;
    let late_share = share(&late.id, &key, late.person.keys.public_key());
    let (desk_pk, b_provider_pk) = (c.desk.person.keys.public_key(), b.provider.person.keys.public_key());
    let add_cases: Vec<(Value, StatusCode, &str)> = vec![
        (json!({ "version": 2, "shares": [late_share.clone()] }), StatusCode::BAD_REQUEST, "unknown-key-version"),
        (json!({ "version": 0, "shares": [late_share.clone()] }), StatusCode::BAD_REQUEST, "unknown-key-version"),
        (json!({ "version": 1, "shares": [] }), StatusCode::BAD_REQUEST, "invalid-body"),
        (
            json!({ "version": 1, "shares": [late_share.clone(), share(&c.desk.id, &key, desk_pk)] }),
            StatusCode::BAD_REQUEST,
            "share-not-allowed",
        ),
        (
            json!({ "version": 1, "shares": [late_share.clone(), share(&b.provider.id, &key, b_provider_pk)] }),
            StatusCode::BAD_REQUEST,
            "unknown-user",
        ),
        (
            json!({ "version": 1, "shares": [share(&late.id, &key, provider_pk)] }),
            StatusCode::BAD_REQUEST,
            "wrong-recipient",
        ),
        (
            json!({ "version": 1, "shares": [share(&late.id, &other_key, late.person.keys.public_key())] }),
            StatusCode::BAD_REQUEST,
            "key-id-mismatch",
        ),
        // The first share is fine, the second is someone who already holds it: neither stays.
        (
            json!({ "version": 1, "shares": [late_share.clone(), provider_share.clone()] }),
            StatusCode::CONFLICT,
            "share-exists",
        ),
        (json!({ "version": 1, "shares": [late_share.clone()], "extra": 1 }), StatusCode::BAD_REQUEST, "invalid-body"),
    ];
    for (body, status, kind) in add_cases {
        let what = body.to_string();
        let res = app.call("POST", "/api/clinic-keys/shares", Some(body), Some(&c.admin.cookie)).await;
        assert_problem(&res, status, kind, &what);
    }
    assert!(mine(&app, &late.cookie).await.keys.is_empty(), "nothing half-written");
    assert_eq!(app.state.store.clinic_key_holders(TENANT).await.unwrap().len(), 2);
}

#[tokio::test]
async fn rotation_after_a_provider_leaves_and_old_notes_rewrapped_to_the_new_version() {
    let app = TestApp::new().await;
    let c = clinic(&app, TENANT).await;
    let leaving = staff(&app, TENANT, "leaving@clinic-a.example", "Dr. Leaving", "provider").await;
    let v1 = app.publish_clinic_key(&c.admin.cookie, &[&c.provider.person.keys, &leaving.person.keys]).await;

    // A note sealed to version 1.
    let id = bizing_server::auth::new_id().unwrap();
    let text = "allergic to penicillin";
    let note = seal(text, TENANT, &id, &[public_clinic_key(&app, TENANT).await, c.patient.keys.public_key().clone()]);
    assert_eq!(book_with_note(&app, &c, SLOT, &id, Some(&note)).await.status, StatusCode::CREATED);
    // The leaving provider had fetched (and may have kept) their copy of version 1.
    let kept = my_clinic_keys(&app, &leaving).await;
    assert_eq!(kept[0].key_id(), v1.key_id());

    // They leave: no longer a provider. Version 2 goes to the remaining providers and admins.
    assert!(app.state.store.set_role(TENANT, &leaving.id, "receptionist").await.unwrap());
    let v2 = v1.rotate().unwrap();
    assert_eq!(v2.version(), 2);
    let with_leaver = publish_body(
        &v2,
        vec![
            share(&c.admin.id, &v2, c.admin.person.keys.public_key()),
            share(&c.provider.id, &v2, c.provider.person.keys.public_key()),
            share(&leaving.id, &v2, leaving.person.keys.public_key()),
        ],
    );
    let res = app.call("POST", "/api/clinic-keys", Some(with_leaver), Some(&c.admin.cookie)).await;
    assert_problem(&res, StatusCode::BAD_REQUEST, "share-not-allowed", "a share to someone who left");
    let res = app.publish_clinic_key_version(&c.admin.cookie, &v2, &[&c.provider.person.keys]).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    assert_eq!(res.json["version"], 2);
    assert_eq!(&public_clinic_key(&app, TENANT).await, v2.public_key());

    // The remaining provider holds both versions, the newest current; the leaver holds none.
    let copies = mine(&app, &c.provider.cookie).await;
    let versions: Vec<(u32, bool)> = copies.keys.iter().map(|k| (k.version, k.current)).collect();
    assert_eq!(versions, [(1, false), (2, true)]);
    let res = app.call("GET", "/api/clinic-keys/mine", None, Some(&leaving.cookie)).await;
    assert_problem(&res, StatusCode::FORBIDDEN, "forbidden", "the leaver asks for copies");
    let holders = app.state.store.clinic_key_holders(TENANT).await.unwrap();
    assert!(!holders.iter().any(|(user, version)| *user == leaving.id && *version == 2));

    // New notes must be sealed to version 2.
    let stale_id = bizing_server::auth::new_id().unwrap();
    let stale = seal("stale", TENANT, &stale_id, &[v1.public_key().clone()]);
    let res = book_with_note(&app, &c, "2026-09-22T09:30:00-04:00", &stale_id, Some(&stale)).await;
    assert_problem(&res, StatusCode::BAD_REQUEST, "note-not-for-clinic", "a note sealed to version 1");

    // The provider's browser moves the old note to version 2 without touching its content.
    let held = my_clinic_keys(&app, &c.provider).await;
    let (old, new) = (&held[0], &held[1]);
    assert_eq!((old.version(), new.version()), (1, 2));
    let ctx = context(TENANT, &id);
    let envelope: Envelope = note.parse().unwrap();
    let rewrapped = envelope.rewrap(old.key_pair(), &ctx, &[new.public_key().clone()], &[old.key_id()]).unwrap();
    assert_eq!(rewrapped.recipients(), [c.patient.keys.key_id(), new.key_id()]);
    assert_eq!(rewrapped.open_text(new.key_pair(), &ctx).unwrap().as_str(), text);
    assert_eq!(rewrapped.open_text(&c.patient.keys, &ctx).unwrap().as_str(), text);
    // Neither version 1 nor the copy the leaver kept opens the rewrapped note.
    assert_eq!(rewrapped.open_text(kept[0].key_pair(), &ctx).unwrap_err(), EnvelopeError::NoMatchingRecipient);
    assert_eq!(rewrapped.open_text(old.key_pair(), &ctx).unwrap_err(), EnvelopeError::NoMatchingRecipient);
}

#[tokio::test]
async fn clinics_are_isolated() {
    let app = TestApp::new().await;
    let a = clinic(&app, TENANT).await;
    let b = clinic(&app, OTHER).await;
    let a_key = app.publish_clinic_key(&a.admin.cookie, &[&a.provider.person.keys]).await;
    let b_key = app.publish_clinic_key(&b.admin.cookie, &[&b.provider.person.keys]).await;
    assert_eq!((a_key.version(), b_key.version()), (1, 1), "versions count per clinic");
    assert_eq!(&public_clinic_key(&app, TENANT).await, a_key.public_key());
    assert_eq!(&public_clinic_key(&app, OTHER).await, b_key.public_key());
    let res = app.call("GET", "/api/clinics/no-such-clinic/clinic-key", None, None).await;
    assert_problem(&res, StatusCode::NOT_FOUND, "not-found", "unknown clinic");

    // Each side sees its own staff and its own copies only.
    for (c, key) in [(&a, &a_key), (&b, &b_key)] {
        let list: StaffKeysResponse =
            serde_json::from_value(app.call("GET", "/api/staff/keys", None, Some(&c.admin.cookie)).await.json).unwrap();
        let ids: Vec<&str> = list.staff.iter().map(|m| m.user_id.as_str()).collect();
        assert_eq!(ids.len(), 3);
        assert!(ids.contains(&c.provider.id.as_str()) && ids.contains(&c.desk.id.as_str()));
        for who in [&c.admin, &c.provider] {
            let held = my_clinic_keys(&app, who).await;
            assert_eq!(held.len(), 1);
            assert_eq!(held[0].key_id(), key.key_id());
        }
    }
    // B's admin cannot share B's key with A's provider, nor A's key with anyone.
    let body = json!({ "version": 1, "shares": [share(&a.provider.id, &b_key, a.provider.person.keys.public_key())] });
    let res = app.call("POST", "/api/clinic-keys/shares", Some(body), Some(&b.admin.cookie)).await;
    assert_problem(&res, StatusCode::BAD_REQUEST, "unknown-user", "B shares with A's provider");
    let late = staff(&app, OTHER, "late@clinic-b.example", "Dr. Late B", "provider").await;
    let body = json!({ "version": 1, "shares": [share(&late.id, &a_key, late.person.keys.public_key())] });
    let res = app.call("POST", "/api/clinic-keys/shares", Some(body), Some(&b.admin.cookie)).await;
    assert_problem(&res, StatusCode::BAD_REQUEST, "key-id-mismatch", "A's key shared at B");
    // A's public key cannot become B's next version.
    let a_pair = a_key.key_pair().clone().with_version(2).unwrap();
    let wrapped = a_pair.wrap_to(b.admin.person.keys.public_key()).unwrap().to_string();
    let stolen = json!({
        "version": 2,
        "publicKey": b64(&a_key.public_key().to_sec1()),
        "shares": [{ "userId": b.admin.id, "wrappedKey": wrapped }],
    });
    let res = app.call("POST", "/api/clinic-keys", Some(stolen), Some(&b.admin.cookie)).await;
    assert_problem(&res, StatusCode::BAD_REQUEST, "key-reused", "A's key as B's");

    // A note for clinic A's key is not accepted at B.
    let id = bizing_server::auth::new_id().unwrap();
    let note =
        seal("for the wrong clinic", OTHER, &id, &[a_key.public_key().clone(), b.patient.keys.public_key().clone()]);
    let res = book_with_note(&app, &b, SLOT, &id, Some(&note)).await;
    assert_problem(&res, StatusCode::BAD_REQUEST, "note-not-for-clinic", "A's key at B");
    let note = seal("for this clinic", OTHER, &id, &[b_key.public_key().clone()]);
    assert_eq!(book_with_note(&app, &b, SLOT, &id, Some(&note)).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn booking_notes_must_be_sealed_to_the_current_clinic_key() {
    let app = TestApp::new().await;
    let c = clinic(&app, TENANT).await;
    let patient_pk = c.patient.keys.public_key().clone();

    // No clinic key yet: a note could be read by nobody at the clinic.
    let id = bizing_server::auth::new_id().unwrap();
    let note = seal("no key yet", TENANT, &id, std::slice::from_ref(&patient_pk));
    let res = book_with_note(&app, &c, SLOT, &id, Some(&note)).await;
    assert_problem(&res, StatusCode::CONFLICT, "no-clinic-key", "a note before any clinic key");
    // Malformed notes are still malformed first.
    let res = book_with_note(&app, &c, SLOT, &id, Some("bze1.AAAA")).await;
    assert_problem(&res, StatusCode::BAD_REQUEST, "invalid-note", "a malformed note");

    let key = app.publish_clinic_key(&c.admin.cookie, &[&c.provider.person.keys]).await;
    for (what, recipients) in [
        ("the patient's key only", vec![patient_pk.clone()]),
        ("a stranger's key", vec![KeyPair::generate().unwrap().public_key().clone(), patient_pk.clone()]),
        ("the provider's personal key", vec![c.provider.person.keys.public_key().clone()]),
        ("the clinic key at another version", vec![key.public_key().with_version(2).unwrap()]),
    ] {
        let note = seal("not for the clinic", TENANT, &id, &recipients);
        let res = book_with_note(&app, &c, SLOT, &id, Some(&note)).await;
        assert_problem(&res, StatusCode::BAD_REQUEST, "note-not-for-clinic", what);
    }
    let list = app.call("GET", "/api/bookings", None, Some(&c.patient_cookie)).await;
    assert_eq!(list.json["bookings"], json!([]), "nothing booked");

    // Without a note, or with one sealed to the clinic key (alone or with the patient's).
    let plain =
        book_with_note(&app, &c, "2026-09-22T10:00:00-04:00", &bizing_server::auth::new_id().unwrap(), None).await;
    assert_eq!(plain.status, StatusCode::CREATED, "{}", plain.json);
    let note = seal("sealed right", TENANT, &id, &[key.public_key().clone()]);
    let res = book_with_note(&app, &c, SLOT, &id, Some(&note)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
}

#[tokio::test]
async fn the_demo_clinic_has_a_clinic_key_its_provider_can_unwrap() {
    let app = TestApp::new().await;
    let accounts = bizing_server::demo::seed(&app.state, KdfProfile::InsecureFastForTests).await.unwrap();
    let tenant = bizing_server::demo::DEMO_TENANT;
    let public = public_clinic_key(&app, tenant).await;
    assert_eq!(public.key_id().version(), 1);

    // Sign in as each demo account the way the portal does, and ask for its copies.
    for account in &accounts {
        let pre = app
            .call("POST", "/api/auth/prelogin", Some(json!({ "tenantId": tenant, "email": account.email })), None)
            .await;
        let pre: PreloginResponse = serde_json::from_value(pre.json).unwrap();
        let keys = derive_password_keys(account.password, &pre.kdf_params.parse().unwrap()).unwrap();
        let login = app
            .call(
                "POST",
                "/api/auth/login",
                Some(json!({
                    "tenantId": tenant,
                    "email": account.email,
                    "authKey": keys.auth_key.to_base64url().to_string(),
                })),
                None,
            )
            .await;
        assert_eq!(login.status, StatusCode::OK, "{}", login.json);
        let cookie = login.cookie().unwrap();
        let personal = login.json["wrappedPrivateKey"]
            .as_str()
            .unwrap()
            .parse::<WrappedKey>()
            .unwrap()
            .unwrap_with_password(&keys.wrap_key)
            .unwrap();
        let code = Totp::from_uri(&account.totp_uri).unwrap().code_at(app.clock_now());
        let mfa = app.call("POST", "/api/auth/mfa", Some(json!({ "code": code })), Some(&cookie)).await;
        assert_eq!(mfa.status, StatusCode::NO_CONTENT, "{}", mfa.json);
        let res = app.call("GET", "/api/clinic-keys/mine", None, Some(&cookie)).await;
        match account.role {
            "provider" | "admin" => {
                assert_eq!(res.status, StatusCode::OK, "{}: {}", account.role, res.json);
                let copies: MyClinicKeysResponse = serde_json::from_value(res.json).unwrap();
                assert_eq!(copies.keys.len(), 1);
                let wrapped: WrappedKey = copies.keys[0].wrapped_key.parse().unwrap();
                let clinic_key = ClinicKey::unwrap(&wrapped, &personal).unwrap();
                assert_eq!(clinic_key.public_key(), &public);
            }
            role => assert_eq!(res.status, StatusCode::FORBIDDEN, "{role}"),
        }
    }
}
