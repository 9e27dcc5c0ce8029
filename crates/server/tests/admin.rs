//! Clinic administration: staff invitations (register with a token, single use, bound to the
//! clinic and the email, expiring), roles and removal (step-up, sessions ended, clinic-key
//! copies deleted, sign-in refused, the last admin kept), clinic settings, services,
//! providers and schedules reflected in the public listings, per-clinic `frame-ancestors`
//! for the widget, and authorization: admins only, other clinics' ids 404.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::{StatusCode, header};
use base64ct::{Base64UrlUnpadded, Encoding};
use bizing_core::api::{
    ClinicSettings, InvitationCreated, InvitationsResponse, MyClinicKeysResponse, StaffKeysResponse, StaffListResponse,
    StaffRole,
};
use bizing_server::Config;
use bizing_server::store::{ProviderRow, ScheduleRow, ServiceRow};
use common::{Patient, TENANT, TestApp};
use serde_json::{Value, json};

const OTHER: &str = "clinic-b";

/// A signed-in member of a clinic.
struct Member {
    person: Patient,
    cookie: String,
    id: String,
}

async fn member(app: &TestApp, tenant: &str, email: &str, name: &str, role: &str) -> Member {
    let mut person = Patient::new(email, name);
    let cookie =
        if role == "patient" { person.sign_up(app, tenant).await } else { person.sign_up_as(app, tenant, role).await };
    let id = app.user_id(&cookie).await;
    Member { person, cookie, id }
}

async fn admin_of(app: &TestApp, tenant: &str) -> Member {
    member(app, tenant, &format!("admin@{tenant}.example"), &format!("Admin of {tenant}"), "admin").await
}

fn assert_problem(res: &common::Response, status: StatusCode, kind: &str, what: &str) {
    assert_eq!(res.status, status, "{what}: {}", res.json);
    assert_eq!(res.headers.get(header::CONTENT_TYPE).unwrap(), "application/problem+json", "{what}");
    assert_eq!(res.problem_type(), format!("urn:bizing:problem:{kind}"), "{what}: {}", res.json);
}

async fn invite(
    app: &TestApp,
    admin: &Member,
    email: &str,
    role: &str,
    provider_name: Option<&str>,
) -> InvitationCreated {
    let mut body = json!({ "email": email, "role": role });
    if let Some(name) = provider_name {
        body["providerName"] = json!(name);
    }
    let res = app.call("POST", "/api/admin/invitations", Some(body), Some(&admin.cookie)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    serde_json::from_value(res.json).unwrap()
}

async fn register(app: &TestApp, person: &Patient, tenant: &str, token: &str) -> common::Response {
    app.call("POST", "/api/auth/register", Some(person.invited_body(tenant, token)), None).await
}

async fn staff_list(app: &TestApp, admin: &Member) -> StaffListResponse {
    let res = app.call("GET", "/api/admin/staff", None, Some(&admin.cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    serde_json::from_value(res.json).unwrap()
}

async fn public_providers(app: &TestApp, tenant: &str) -> Vec<String> {
    let res = app.call("GET", &format!("/api/clinics/{tenant}/providers"), None, None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    res.json["providers"].as_array().unwrap().iter().map(|p| p["displayName"].as_str().unwrap().to_owned()).collect()
}

async fn public_services(app: &TestApp, tenant: &str) -> Value {
    let res = app.call("GET", &format!("/api/clinics/{tenant}/services"), None, None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    res.json["services"].clone()
}

#[tokio::test]
async fn an_invited_staff_member_registers_with_the_token_and_signs_in_with_the_role() {
    let app = TestApp::new().await;
    let admin = admin_of(&app, TENANT).await;

    let created = invite(&app, &admin, "New.Doc@Clinic.Example", "provider", Some("Dr. Nova Quinn")).await;
    assert_eq!(created.token.len(), 43, "256 random bits in base64url");
    assert_eq!(created.invitation.email, "new.doc@clinic.example");
    assert_eq!(created.invitation.role, StaffRole::Provider);
    assert_eq!(created.invitation.provider_name.as_deref(), Some("Dr. Nova Quinn"));
    assert_eq!(created.invitation.expires_at - created.invitation.created_at, 7 * 24 * 3600);
    // The pending list shows it, never the token.
    let res = app.call("GET", "/api/admin/invitations", None, Some(&admin.cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    assert!(!res.json.to_string().contains(&created.token));
    let pending: InvitationsResponse = serde_json::from_value(res.json).unwrap();
    assert_eq!(pending.invitations, std::slice::from_ref(&created.invitation));

    // The invitee registers with the ordinary zero-knowledge body plus the token.
    let mut doc = Patient::new("new.doc@clinic.example", "Nova Quinn");
    let cookie = doc.sign_up_invited(&app, TENANT, &created.token).await;
    let me = app.call("GET", "/api/me", None, Some(&cookie)).await;
    assert_eq!(me.json["role"], "provider", "{}", me.json);
    let doc_id = me.json["userId"].as_str().unwrap().to_owned();
    // The provider record the invitation carried exists and is bookable.
    assert_eq!(public_providers(&app, TENANT).await, ["Dr. Nova Quinn"]);
    let list = staff_list(&app, &admin).await;
    let entry = list.staff.iter().find(|m| m.user_id == doc_id).unwrap();
    assert_eq!(entry.role, StaffRole::Provider);
    assert_eq!(entry.name, "Nova Quinn");
    assert_eq!(entry.email, "new.doc@clinic.example");
    assert!(entry.provider_id.is_some());
    assert!(!entry.holds_current_clinic_key);
    // The invitation is used up.
    let res = app.call("GET", "/api/admin/invitations", None, Some(&admin.cookie)).await;
    assert_eq!(res.json["invitations"], json!([]));

    // Later sign-ins have the role too.
    let again = doc.sign_in(&app, TENANT).await;
    assert_eq!(app.call("GET", "/api/me", None, Some(&again)).await.json["role"], "provider");

    // A receptionist and an admin invitation, without a provider record.
    for (email, role) in [("desk@clinic.example", "receptionist"), ("boss@clinic.example", "admin")] {
        let created = invite(&app, &admin, email, role, None).await;
        let mut person = Patient::new(email, "Some One");
        let cookie = person.sign_up_invited(&app, TENANT, &created.token).await;
        assert_eq!(app.call("GET", "/api/me", None, Some(&cookie)).await.json["role"], role);
    }
    assert_eq!(public_providers(&app, TENANT).await, ["Dr. Nova Quinn"]);

    // Recorded: who invited, who accepted.
    let by_admin = app.state.store.security_events_by(&admin.id).await.unwrap();
    assert_eq!(by_admin.iter().filter(|k| *k == "invitation_created").count(), 3, "{by_admin:?}");
    let of_doc = app.state.store.security_events(&doc_id).await.unwrap();
    assert_eq!(of_doc.first().map(String::as_str), Some("invitation_accepted"), "{of_doc:?}");
}

#[tokio::test]
async fn invitation_tokens_work_once_for_their_clinic_and_email_until_they_expire() {
    let app = TestApp::new().await;
    let admin = admin_of(&app, TENANT).await;
    let invited = Patient::new("invited@clinic.example", "In Vited");
    let created = invite(&app, &admin, "invited@clinic.example", "receptionist", None).await;

    // Every wrong use gets the same answer, and writes nothing.
    let stranger = Patient::new("stranger@clinic.example", "Stran Ger");
    let wrong_email = register(&app, &stranger, TENANT, &created.token).await;
    assert_problem(&wrong_email, StatusCode::BAD_REQUEST, "invalid-invitation", "another email");
    let wrong_clinic = register(&app, &invited, OTHER, &created.token).await;
    assert_problem(&wrong_clinic, StatusCode::BAD_REQUEST, "invalid-invitation", "another clinic");
    let garbage = register(&app, &invited, TENANT, "not-a-token").await;
    assert_problem(&garbage, StatusCode::BAD_REQUEST, "invalid-invitation", "garbage");
    assert_eq!(wrong_email.json, garbage.json, "one answer, whatever is wrong");
    assert_eq!(wrong_clinic.json, garbage.json);
    assert!(wrong_email.cookie().is_none());
    let keys =
        app.state.master.tenant_keys(TENANT, &app.state.store.tenant(TENANT).await.unwrap().unwrap().data_key_wrapped);
    let keys = keys.unwrap();
    assert!(
        app.state.store.user_by_email(TENANT, &keys.email_index("stranger@clinic.example")).await.unwrap().is_none()
    );

    // The right email still can, once.
    let res = register(&app, &invited, TENANT, &created.token).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    let again = Patient::new("invited@clinic.example", "In Vited");
    let reuse = register(&app, &again, TENANT, &created.token).await;
    assert_problem(&reuse, StatusCode::BAD_REQUEST, "invalid-invitation", "reused");
    assert_eq!(reuse.json, garbage.json);

    // An existing account cannot be invited (change its role instead).
    let res = app
        .call(
            "POST",
            "/api/admin/invitations",
            Some(json!({ "email": "invited@clinic.example", "role": "admin" })),
            Some(&admin.cookie),
        )
        .await;
    assert_problem(&res, StatusCode::CONFLICT, "account-exists", "existing account");

    // Expired after seven days.
    let late = Patient::new("late@clinic.example", "La Te");
    let created = invite(&app, &admin, "late@clinic.example", "receptionist", None).await;
    app.clock.advance(7 * 24 * 3600);
    let expired = register(&app, &late, TENANT, &created.token).await;
    assert_problem(&expired, StatusCode::BAD_REQUEST, "invalid-invitation", "expired");
    assert_eq!(expired.json, garbage.json);

    // Revoked, and replaced by a newer invitation for the same email.
    let admin_cookie = admin.person.sign_in(&app, TENANT).await;
    let admin = Member { cookie: admin_cookie, ..admin };
    let first = invite(&app, &admin, "late@clinic.example", "receptionist", None).await;
    let second = invite(&app, &admin, "late@clinic.example", "provider", None).await;
    let pending: InvitationsResponse =
        serde_json::from_value(app.call("GET", "/api/admin/invitations", None, Some(&admin.cookie)).await.json)
            .unwrap();
    assert_eq!(pending.invitations, std::slice::from_ref(&second.invitation), "the newer replaces the older");
    let replaced = register(&app, &late, TENANT, &first.token).await;
    assert_problem(&replaced, StatusCode::BAD_REQUEST, "invalid-invitation", "replaced");
    let uri = format!("/api/admin/invitations/{}", second.invitation.id);
    assert_eq!(app.call("DELETE", &uri, None, Some(&admin.cookie)).await.status, StatusCode::NO_CONTENT);
    assert_problem(
        &app.call("DELETE", &uri, None, Some(&admin.cookie)).await,
        StatusCode::NOT_FOUND,
        "not-found",
        "twice",
    );
    let revoked = register(&app, &late, TENANT, &second.token).await;
    assert_problem(&revoked, StatusCode::BAD_REQUEST, "invalid-invitation", "revoked");
    let events = app.state.store.security_events_by(&admin.id).await.unwrap();
    assert!(events.contains(&"invitation_revoked".to_owned()), "{events:?}");

    // Bad invitations are refused up front.
    for (body, kind) in [
        (json!({ "email": "x@clinic.example", "role": "patient" }), "invalid-body"),
        (json!({ "email": "not an email", "role": "admin" }), "invalid-body"),
        (json!({ "email": "x@clinic.example", "role": "receptionist", "providerName": "Dr. X" }), "invalid-body"),
        (json!({ "email": "x@clinic.example", "role": "provider", "providerName": " " }), "invalid-body"),
        (json!({ "email": "x@clinic.example" }), "invalid-body"),
    ] {
        let res = app.call("POST", "/api/admin/invitations", Some(body.clone()), Some(&admin.cookie)).await;
        assert_problem(&res, StatusCode::BAD_REQUEST, kind, &body.to_string());
    }
}

#[tokio::test]
async fn only_admins_of_the_clinic_may_use_the_admin_api() {
    let app = TestApp::new().await;
    let admin = admin_of(&app, TENANT).await;
    let patient = member(&app, TENANT, "pat@clinic.example", "Pat Ient", "patient").await;
    let desk = member(&app, TENANT, "desk@clinic.example", "Desk", "receptionist").await;
    let doc = member(&app, TENANT, "doc@clinic.example", "Doc", "provider").await;
    let calls: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", "/api/admin/invitations".into(), None),
        ("POST", "/api/admin/invitations".into(), Some(json!({ "email": "a@b.example", "role": "admin" }))),
        ("DELETE", "/api/admin/invitations/x".into(), None),
        ("GET", "/api/admin/staff".into(), None),
        ("PUT", format!("/api/admin/staff/{}/role", desk.id), Some(json!({ "role": "admin" }))),
        ("DELETE", format!("/api/admin/staff/{}", admin.id), None),
        ("GET", "/api/admin/clinic".into(), None),
        (
            "PUT",
            "/api/admin/clinic".into(),
            Some(json!({ "name": "Mine", "timeZone": "UTC", "allowedOrigins": ["https://evil.example"] })),
        ),
        ("GET", "/api/admin/services".into(), None),
        ("POST", "/api/admin/services".into(), Some(json!({ "name": "S", "durationMinutes": 30 }))),
        ("PUT", "/api/admin/services/x".into(), Some(json!({ "name": "S", "durationMinutes": 30, "active": true }))),
        ("DELETE", "/api/admin/services/x".into(), None),
        ("GET", "/api/admin/providers".into(), None),
        ("POST", "/api/admin/providers".into(), Some(json!({ "userId": doc.id, "displayName": "Doc" }))),
        ("PUT", "/api/admin/providers/x".into(), Some(json!({ "displayName": "Doc", "active": true }))),
        ("DELETE", "/api/admin/providers/x".into(), None),
        ("GET", "/api/admin/providers/x/schedule".into(), None),
        ("PUT", "/api/admin/providers/x/schedule".into(), Some(json!({ "windows": [] }))),
    ];
    for (method, path, body) in &calls {
        for (who, cookie) in [("patient", &patient.cookie), ("receptionist", &desk.cookie), ("provider", &doc.cookie)] {
            let res = app.call(method, path, body.clone(), Some(cookie)).await;
            assert_problem(&res, StatusCode::FORBIDDEN, "forbidden", &format!("{who} {method} {path}"));
        }
        let res = app.call(method, path, body.clone(), None).await;
        assert_problem(&res, StatusCode::UNAUTHORIZED, "not-signed-in", &format!("signed out {method} {path}"));
    }
    // A session whose second factor is still missing is not enough either.
    let half = admin.person.login(&app, TENANT).await.cookie().unwrap();
    let res = app.call("GET", "/api/admin/staff", None, Some(&half)).await;
    assert_problem(&res, StatusCode::UNAUTHORIZED, "mfa-required", "admin before the second factor");
    // Nothing was changed by the refused calls.
    assert_eq!(app.call("GET", "/api/me", None, Some(&desk.cookie)).await.json["role"], "receptionist");
    let clinic = app.call("GET", "/api/admin/clinic", None, Some(&admin.cookie)).await;
    assert_eq!(clinic.json["allowedOrigins"], json!([]));
}

#[tokio::test]
async fn other_clinics_ids_and_patients_are_not_found() {
    let app = TestApp::new().await;
    let admin = admin_of(&app, TENANT).await;
    let b_admin = admin_of(&app, OTHER).await;
    let patient = member(&app, TENANT, "pat@clinic.example", "Pat Ient", "patient").await;
    let doc = member(&app, TENANT, "doc@clinic.example", "Doc", "provider").await;
    let service = ServiceRow {
        id: "a-visit".into(),
        tenant_id: TENANT.into(),
        name: "Visit".into(),
        duration_minutes: 30,
        active: true,
    };
    app.state.store.insert_service(&service).await.unwrap();
    let provider = ProviderRow {
        id: "a-doc".into(),
        tenant_id: TENANT.into(),
        user_id: doc.id.clone(),
        display_name: "Dr. Doc".into(),
        active: true,
    };
    app.state.store.insert_provider(&provider).await.unwrap();
    let invitation = invite(&app, &admin, "new@clinic.example", "receptionist", None).await.invitation;

    let calls: Vec<(&str, String, Option<Value>)> = vec![
        ("PUT", format!("/api/admin/staff/{}/role", doc.id), Some(json!({ "role": "admin" }))),
        ("DELETE", format!("/api/admin/staff/{}", admin.id), None),
        ("DELETE", format!("/api/admin/invitations/{}", invitation.id), None),
        (
            "PUT",
            "/api/admin/services/a-visit".into(),
            Some(json!({ "name": "Mine", "durationMinutes": 30, "active": false })),
        ),
        ("DELETE", "/api/admin/services/a-visit".into(), None),
        ("PUT", "/api/admin/providers/a-doc".into(), Some(json!({ "displayName": "Mine", "active": false }))),
        ("DELETE", "/api/admin/providers/a-doc".into(), None),
        ("GET", "/api/admin/providers/a-doc/schedule".into(), None),
        ("PUT", "/api/admin/providers/a-doc/schedule".into(), Some(json!({ "windows": [] }))),
    ];
    for (method, path, body) in &calls {
        let res = app.call(method, path, body.clone(), Some(&b_admin.cookie)).await;
        assert_problem(&res, StatusCode::NOT_FOUND, "not-found", &format!("clinic B's admin: {method} {path}"));
    }
    // Clinic B's lists show none of clinic A's.
    let b_staff = staff_list(&app, &b_admin).await;
    assert_eq!(b_staff.staff.len(), 1);
    let res = app.call("GET", "/api/admin/services", None, Some(&b_admin.cookie)).await;
    assert_eq!(res.json["services"], json!([]));
    let res = app.call("GET", "/api/admin/invitations", None, Some(&b_admin.cookie)).await;
    assert_eq!(res.json["invitations"], json!([]));
    // Clinic B cannot make clinic A's provider-role account its provider.
    let body = json!({ "userId": doc.id, "displayName": "Stolen" });
    let res = app.call("POST", "/api/admin/providers", Some(body), Some(&b_admin.cookie)).await;
    assert_problem(&res, StatusCode::BAD_REQUEST, "unknown-user", "another clinic's account");

    // Patients are not staff: 404, like an unknown id.
    for (method, path, body) in [
        ("PUT", format!("/api/admin/staff/{}/role", patient.id), Some(json!({ "role": "admin" }))),
        ("DELETE", format!("/api/admin/staff/{}", patient.id), None),
        ("PUT", "/api/admin/staff/no-such-user/role".to_owned(), Some(json!({ "role": "admin" }))),
    ] {
        let res = app.call(method, &path, body, Some(&admin.cookie)).await;
        assert_problem(&res, StatusCode::NOT_FOUND, "not-found", &path);
    }
    assert_eq!(app.call("GET", "/api/me", None, Some(&patient.cookie)).await.json["role"], "patient");
    // Everything of clinic A is as it was.
    assert_eq!(public_providers(&app, TENANT).await, ["Dr. Doc"]);
    assert_eq!(public_services(&app, TENANT).await[0]["name"], "Visit");
}

#[tokio::test]
async fn a_role_change_needs_a_fresh_second_factor_and_a_receptionist_holds_no_clinic_key() {
    let app = TestApp::new().await;
    let admin = admin_of(&app, TENANT).await;
    let doc = member(&app, TENANT, "doc@clinic.example", "Doc Tor", "provider").await;
    let row = ProviderRow {
        id: "a-doc".into(),
        tenant_id: TENANT.into(),
        user_id: doc.id.clone(),
        display_name: "Dr. Tor".into(),
        active: true,
    };
    app.state.store.insert_provider(&row).await.unwrap();
    app.publish_clinic_key(&admin.cookie, &[&doc.person.keys]).await;
    assert!(staff_list(&app, &admin).await.staff.iter().all(|m| m.holds_current_clinic_key));

    // Six minutes after sign-in the second factor is no longer fresh.
    app.clock.advance(6 * 60);
    let uri = format!("/api/admin/staff/{}/role", doc.id);
    let res = app.call("PUT", &uri, Some(json!({ "role": "receptionist" })), Some(&admin.cookie)).await;
    assert_problem(&res, StatusCode::FORBIDDEN, "step-up-required", "stale second factor");
    assert_eq!(app.call("GET", "/api/me", None, Some(&doc.cookie)).await.json["role"], "provider");
    // A bad role is a bad request.
    for role in ["patient", "owner"] {
        let res = app.call("PUT", &uri, Some(json!({ "role": role })), Some(&admin.cookie)).await;
        assert_problem(&res, StatusCode::BAD_REQUEST, "invalid-body", role);
    }

    admin.person.step_up(&app, &admin.cookie).await;
    let res = app.call("PUT", &uri, Some(json!({ "role": "receptionist" })), Some(&admin.cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    assert_eq!(res.json["rotateClinicKey"], true, "they held the current key");
    assert_eq!(res.json["member"]["role"], "receptionist");
    assert_eq!(res.json["member"]["holdsCurrentClinicKey"], false);
    // The change applies at once: a receptionist gets no copy and is not bookable.
    assert_eq!(app.call("GET", "/api/me", None, Some(&doc.cookie)).await.json["role"], "receptionist");
    let mine = app.call("GET", "/api/clinic-keys/mine", None, Some(&doc.cookie)).await;
    assert_problem(&mine, StatusCode::FORBIDDEN, "forbidden", "receptionist's copies");
    assert!(public_providers(&app, TENANT).await.is_empty());
    let events = app.state.store.security_events(&doc.id).await.unwrap();
    assert!(events.contains(&"staff_role_changed".to_owned()), "{events:?}");
    assert!(app.state.store.security_events_by(&admin.id).await.unwrap().contains(&"staff_role_changed".to_owned()));

    // Back to provider: no copy comes back by itself, and rotating is not asked for.
    let res = app.call("PUT", &uri, Some(json!({ "role": "provider" })), Some(&admin.cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    assert_eq!(res.json["rotateClinicKey"], false);
    let mine: MyClinicKeysResponse =
        serde_json::from_value(app.call("GET", "/api/clinic-keys/mine", None, Some(&doc.cookie)).await.json).unwrap();
    assert!(mine.keys.is_empty());
    // Provider to admin keeps the copies they hold.
    let res = app.call("PUT", &uri, Some(json!({ "role": "admin" })), Some(&admin.cookie)).await;
    assert_eq!(res.json["rotateClinicKey"], false, "{}", res.json);
    assert_eq!(app.call("GET", "/api/admin/staff", None, Some(&doc.cookie)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn removal_ends_sessions_deletes_copies_and_refuses_sign_in() {
    let app = TestApp::new().await;
    let admin = admin_of(&app, TENANT).await;
    let doc = member(&app, TENANT, "doc@clinic.example", "Doc Tor", "provider").await;
    let desk = member(&app, TENANT, "desk@clinic.example", "Desk", "receptionist").await;
    let mut patient = Patient::new("pat@clinic.example", "Pat Ient");
    let patient_cookie = patient.sign_up(&app, TENANT).await;
    let row = ProviderRow {
        id: "a-doc".into(),
        tenant_id: TENANT.into(),
        user_id: doc.id.clone(),
        display_name: "Dr. Tor".into(),
        active: true,
    };
    app.state.store.insert_provider(&row).await.unwrap();
    let service = ServiceRow {
        id: "visit".into(),
        tenant_id: TENANT.into(),
        name: "Visit".into(),
        duration_minutes: 30,
        active: true,
    };
    app.state.store.insert_service(&service).await.unwrap();
    let windows: Vec<ScheduleRow> =
        (1..=5).map(|weekday| ScheduleRow { weekday, start_minute: 9 * 60, end_minute: 12 * 60 }).collect();
    app.state.store.set_weekly_schedule(TENANT, "a-doc", &windows).await.unwrap();
    let v1 = app.publish_clinic_key(&admin.cookie, &[&doc.person.keys]).await;
    let body = json!({ "providerId": "a-doc", "serviceId": "visit", "start": "2026-09-22T09:00:00-04:00" });
    let booking = app.call("POST", "/api/bookings", Some(body), Some(&patient_cookie)).await;
    assert_eq!(booking.status, StatusCode::CREATED, "{}", booking.json);
    // A second session of the provider, to see that every one ends.
    let second = doc.person.sign_in(&app, TENANT).await;
    admin.person.step_up(&app, &admin.cookie).await;

    let res = app.call("DELETE", &format!("/api/admin/staff/{}", doc.id), None, Some(&admin.cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    assert_eq!(res.json, json!({ "userId": doc.id, "rotateClinicKey": true }));

    // Their sessions are over.
    for cookie in [&doc.cookie, &second] {
        let res = app.call("GET", "/api/me", None, Some(cookie)).await;
        assert_problem(&res, StatusCode::UNAUTHORIZED, "session-expired", "removed provider's session");
    }
    // Sign-in fails exactly like a wrong password.
    let removed = doc.person.login(&app, TENANT).await;
    let mut wrong = Patient::new(&desk.person.email, "x");
    wrong.params = desk.person.params.clone();
    wrong.password = "not the password".into();
    let wrong = wrong.login(&app, TENANT).await;
    assert_problem(&removed, StatusCode::UNAUTHORIZED, "wrong-credentials", "removed account signs in");
    assert_eq!(removed.json, wrong.json);
    assert!(removed.cookie().is_none());
    // Pre-login no longer shows the account's KDF parameters.
    let pre = app
        .call("POST", "/api/auth/prelogin", Some(json!({ "tenantId": TENANT, "email": doc.person.email })), None)
        .await;
    assert_ne!(pre.json["kdfParams"], doc.person.params.to_string());

    // No copies, not staff, not bookable; the booking stays.
    let list = staff_list(&app, &admin).await;
    assert!(list.staff.iter().all(|m| m.user_id != doc.id));
    let keys: StaffKeysResponse =
        serde_json::from_value(app.call("GET", "/api/staff/keys", None, Some(&admin.cookie)).await.json).unwrap();
    assert!(keys.staff.iter().all(|m| m.user_id != doc.id));
    assert!(public_providers(&app, TENANT).await.is_empty());
    let bookings = app.call("GET", "/api/bookings", None, Some(&admin.cookie)).await;
    assert_eq!(bookings.json["bookings"].as_array().unwrap().len(), 1, "{}", bookings.json);
    let held = app.state.store.clinic_key_holders(TENANT).await.unwrap();
    assert!(held.iter().all(|(user, _)| *user != doc.id), "{held:?}");
    // The removed provider cannot be given the next version; the rest can.
    let next = v1.rotate().unwrap();
    let res = app
        .call(
            "POST",
            "/api/clinic-keys",
            Some(json!({
                "version": next.version(),
                "publicKey": Base64UrlUnpadded::encode_string(&next.public_key().to_sec1()),
                "shares": [
                    { "userId": admin.id, "wrappedKey": next.wrap_for(admin.person.keys.public_key()).unwrap().to_string() },
                    { "userId": doc.id, "wrappedKey": next.wrap_for(doc.person.keys.public_key()).unwrap().to_string() },
                ],
            })),
            Some(&admin.cookie),
        )
        .await;
    assert_problem(&res, StatusCode::BAD_REQUEST, "unknown-user", "a share for a removed provider");

    // Removing again: there is nobody to remove. A receptionist held no key.
    let res = app.call("DELETE", &format!("/api/admin/staff/{}", doc.id), None, Some(&admin.cookie)).await;
    assert_problem(&res, StatusCode::NOT_FOUND, "not-found", "removed twice");
    let res = app.call("DELETE", &format!("/api/admin/staff/{}", desk.id), None, Some(&admin.cookie)).await;
    assert_eq!(res.json, json!({ "userId": desk.id, "rotateClinicKey": false }));

    let events = app.state.store.security_events(&doc.id).await.unwrap();
    assert!(events.contains(&"staff_removed".to_owned()), "{events:?}");
    assert!(events.contains(&"login_disabled".to_owned()), "{events:?}");

    // Removal needs a fresh second factor too.
    let other = member(&app, TENANT, "other@clinic.example", "Oth Er", "receptionist").await;
    app.clock.advance(6 * 60);
    let res = app.call("DELETE", &format!("/api/admin/staff/{}", other.id), None, Some(&admin.cookie)).await;
    assert_problem(&res, StatusCode::FORBIDDEN, "step-up-required", "stale second factor");
    assert_eq!(app.call("GET", "/api/me", None, Some(&other.cookie)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_last_admin_cannot_demote_or_remove_themselves() {
    let app = TestApp::new().await;
    let admin = admin_of(&app, TENANT).await;
    let role_uri = format!("/api/admin/staff/{}/role", admin.id);
    let res = app.call("PUT", &role_uri, Some(json!({ "role": "provider" })), Some(&admin.cookie)).await;
    assert_problem(&res, StatusCode::CONFLICT, "last-admin", "demote the only admin");
    let res = app.call("DELETE", &format!("/api/admin/staff/{}", admin.id), None, Some(&admin.cookie)).await;
    assert_problem(&res, StatusCode::CONFLICT, "last-admin", "remove the only admin");
    // Staying admin is fine.
    let res = app.call("PUT", &role_uri, Some(json!({ "role": "admin" })), Some(&admin.cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);

    // With a second admin, the first may step down.
    let second = invite(&app, &admin, "second@clinic.example", "admin", None).await;
    let mut person = Patient::new("second@clinic.example", "Sec Ond");
    let second_cookie = person.sign_up_invited(&app, TENANT, &second.token).await;
    let second_id = app.user_id(&second_cookie).await;
    let res = app.call("PUT", &role_uri, Some(json!({ "role": "receptionist" })), Some(&admin.cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    let res = app.call("GET", "/api/admin/staff", None, Some(&admin.cookie)).await;
    assert_problem(&res, StatusCode::FORBIDDEN, "forbidden", "no longer an admin");
    // Now the second is the last one.
    let res = app.call("DELETE", &format!("/api/admin/staff/{second_id}"), None, Some(&second_cookie)).await;
    assert_problem(&res, StatusCode::CONFLICT, "last-admin", "the new last admin removes themselves");
    // And may remove the former admin.
    let res = app.call("DELETE", &format!("/api/admin/staff/{}", admin.id), None, Some(&second_cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    assert_eq!(staff_list(&app, &Member { person, cookie: second_cookie, id: second_id }).await.staff.len(), 1);
}

#[tokio::test]
async fn clinic_settings_are_validated_and_normalized() {
    let app = TestApp::new().await;
    let admin = admin_of(&app, TENANT).await;
    let res = app.call("GET", "/api/admin/clinic", None, Some(&admin.cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    let before: ClinicSettings = serde_json::from_value(res.json).unwrap();
    assert_eq!(before.time_zone, "America/New_York");
    assert!(before.allowed_origins.is_empty());

    let body = json!({
        "name": "  Clinic'); DROP TABLE tenants;--  ",
        "timeZone": "Europe/Berlin",
        "allowedOrigins": ["HTTPS://Clinic.Example/", "https://clinic.example:443", "http://localhost:8081", "https://book.clinic.example:8443"],
    });
    let res = app.call("PUT", "/api/admin/clinic", Some(body), Some(&admin.cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    let expected = json!({
        "name": "Clinic'); DROP TABLE tenants;--",
        "timeZone": "Europe/Berlin",
        "allowedOrigins": ["https://clinic.example", "http://localhost:8081", "https://book.clinic.example:8443"],
    });
    assert_eq!(res.json, expected);
    assert_eq!(app.call("GET", "/api/admin/clinic", None, Some(&admin.cookie)).await.json, expected);
    assert!(
        app.state.store.security_events_by(&admin.id).await.unwrap().contains(&"clinic_settings_changed".to_owned())
    );
    // The time zone is the one slots are computed in.
    let service = ServiceRow {
        id: "visit".into(),
        tenant_id: TENANT.into(),
        name: "Visit".into(),
        duration_minutes: 30,
        active: true,
    };
    app.state.store.insert_service(&service).await.unwrap();
    let slots = app.call("GET", &format!("/api/clinics/{TENANT}/slots?service=visit"), None, None).await;
    assert_eq!(slots.json["timeZone"], "Europe/Berlin", "{}", slots.json);

    let valid = |key: &str, value: Value| {
        let mut body = expected.clone();
        body[key] = value;
        body
    };
    let too_many: Vec<String> = (0..21).map(|i| format!("https://site{i}.example")).collect();
    for (body, kind) in [
        (valid("timeZone", json!("Mars/Olympus_Mons")), "invalid-time-zone"),
        (valid("timeZone", json!("")), "invalid-time-zone"),
        (valid("timeZone", json!("+05:00")), "invalid-time-zone"),
        (valid("allowedOrigins", json!(["https://*.clinic.example"])), "invalid-origin"),
        (valid("allowedOrigins", json!(["https://clinic.example/widget"])), "invalid-origin"),
        (valid("allowedOrigins", json!(["http://clinic.example"])), "invalid-origin"),
        (valid("allowedOrigins", json!(["https://clinic.example; script-src *"])), "invalid-origin"),
        (valid("allowedOrigins", json!(["*"])), "invalid-origin"),
        (valid("allowedOrigins", json!(["null"])), "invalid-origin"),
        (valid("allowedOrigins", json!(too_many)), "invalid-origin"),
        (valid("allowedOrigins", json!("https://clinic.example")), "invalid-body"),
        (valid("name", json!("")), "invalid-body"),
        (valid("name", json!("x".repeat(201))), "invalid-body"),
        (valid("name", json!("line\nbreak")), "invalid-body"),
        (json!({ "name": "No zone", "allowedOrigins": [] }), "invalid-body"),
    ] {
        let res = app.call("PUT", "/api/admin/clinic", Some(body.clone()), Some(&admin.cookie)).await;
        assert_problem(&res, StatusCode::BAD_REQUEST, kind, &body.to_string());
    }
    // Nothing changed.
    assert_eq!(app.call("GET", "/api/admin/clinic", None, Some(&admin.cookie)).await.json, expected);
    let twenty: Vec<String> = (0..20).map(|i| format!("https://site{i}.example")).collect();
    let res =
        app.call("PUT", "/api/admin/clinic", Some(valid("allowedOrigins", json!(twenty))), Some(&admin.cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "twenty is allowed: {}", res.json);
}

#[tokio::test]
async fn services_providers_and_schedules_show_in_the_public_listings() {
    let app = TestApp::new().await;
    let admin = admin_of(&app, TENANT).await;
    let doc = member(&app, TENANT, "doc@clinic.example", "Doc Tor", "provider").await;
    let desk = member(&app, TENANT, "desk@clinic.example", "Desk", "receptionist").await;

    // Services: created, renamed, deactivated, reactivated; names stored verbatim.
    let tricky = "Robert'); DROP TABLE services;-- <b>\"visit\"</b>";
    let res = app
        .call(
            "POST",
            "/api/admin/services",
            Some(json!({ "name": tricky, "durationMinutes": 45 })),
            Some(&admin.cookie),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    let service_id = res.json["id"].as_str().unwrap().to_owned();
    assert_eq!(res.json["active"], true);
    assert_eq!(
        public_services(&app, TENANT).await,
        json!([{ "id": service_id, "name": tricky, "durationMinutes": 45 }])
    );
    for minutes in [0, 4, 481, 100_000] {
        let body = json!({ "name": "Short", "durationMinutes": minutes });
        let res = app.call("POST", "/api/admin/services", Some(body), Some(&admin.cookie)).await;
        assert_problem(&res, StatusCode::BAD_REQUEST, "invalid-body", &format!("{minutes} minutes"));
    }
    for body in [json!({ "name": "Neg", "durationMinutes": -5 }), json!({ "name": "Str", "durationMinutes": "30" })] {
        let res = app.call("POST", "/api/admin/services", Some(body), Some(&admin.cookie)).await;
        assert_problem(&res, StatusCode::BAD_REQUEST, "invalid-body", "a wrongly typed duration");
    }
    let uri = format!("/api/admin/services/{service_id}");
    let body = json!({ "name": "Follow-up", "durationMinutes": 30, "active": true });
    let res = app.call("PUT", &uri, Some(body), Some(&admin.cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    assert_eq!(public_services(&app, TENANT).await[0]["name"], "Follow-up");
    let res = app.call("DELETE", &uri, None, Some(&admin.cookie)).await;
    assert_eq!(res.json["active"], false, "{}", res.json);
    assert_eq!(public_services(&app, TENANT).await, json!([]));
    let all = app.call("GET", "/api/admin/services", None, Some(&admin.cookie)).await;
    assert_eq!(all.json["services"][0]["active"], false);
    let body = json!({ "name": "Follow-up", "durationMinutes": 30, "active": true });
    assert_eq!(app.call("PUT", &uri, Some(body), Some(&admin.cookie)).await.status, StatusCode::OK);
    let res = app
        .call(
            "PUT",
            "/api/admin/services/nope",
            Some(json!({ "name": "X", "durationMinutes": 30, "active": true })),
            Some(&admin.cookie),
        )
        .await;
    assert_problem(&res, StatusCode::NOT_FOUND, "not-found", "unknown service");

    // Providers: only for a provider-role account of the clinic, once.
    let res = app
        .call(
            "POST",
            "/api/admin/providers",
            Some(json!({ "userId": desk.id, "displayName": "Desk" })),
            Some(&admin.cookie),
        )
        .await;
    assert_problem(&res, StatusCode::BAD_REQUEST, "unknown-user", "a receptionist");
    let name = "Dr. O'Brien\"; DELETE FROM providers;--";
    let res = app
        .call(
            "POST",
            "/api/admin/providers",
            Some(json!({ "userId": doc.id, "displayName": name })),
            Some(&admin.cookie),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    let provider_id = res.json["id"].as_str().unwrap().to_owned();
    assert_eq!(res.json["userId"], doc.id.as_str());
    assert_eq!(public_providers(&app, TENANT).await, [name]);
    let res = app
        .call(
            "POST",
            "/api/admin/providers",
            Some(json!({ "userId": doc.id, "displayName": "Twice" })),
            Some(&admin.cookie),
        )
        .await;
    assert_problem(&res, StatusCode::CONFLICT, "provider-exists", "a second record");
    let list = staff_list(&app, &admin).await;
    assert_eq!(
        list.staff.iter().find(|m| m.user_id == doc.id).unwrap().provider_id.as_deref(),
        Some(provider_id.as_str())
    );

    // The schedule: validated, stored, shown back sorted, and the slots follow it.
    let schedule_uri = format!("/api/admin/providers/{provider_id}/schedule");
    let empty = app.call("GET", &schedule_uri, None, Some(&admin.cookie)).await;
    assert_eq!(empty.json, json!({ "windows": [] }));
    let windows = json!({ "windows": [
        { "weekday": 2, "start": "13:00", "end": "17:00" },
        { "weekday": 2, "start": "09:00", "end": "12:00" },
        { "weekday": 0, "start": "22:00", "end": "24:00" },
    ] });
    let res = app.call("PUT", &schedule_uri, Some(windows), Some(&admin.cookie)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    let sorted = json!({ "windows": [
        { "weekday": 0, "start": "22:00", "end": "24:00" },
        { "weekday": 2, "start": "09:00", "end": "12:00" },
        { "weekday": 2, "start": "13:00", "end": "17:00" },
    ] });
    assert_eq!(res.json, sorted);
    assert_eq!(app.call("GET", &schedule_uri, None, Some(&admin.cookie)).await.json, sorted);
    // Tuesday 2026-09-22, New York time.
    let slots_uri =
        format!("/api/clinics/{TENANT}/slots?service={service_id}&provider={provider_id}&from=2026-09-22&days=1");
    let slots = app.call("GET", &slots_uri, None, None).await;
    assert_eq!(slots.status, StatusCode::OK, "{}", slots.json);
    let starts: Vec<&str> =
        slots.json["slots"].as_array().unwrap().iter().map(|s| s["start"].as_str().unwrap()).collect();
    assert_eq!(starts.len(), 6 + 8, "{starts:?}");
    assert_eq!(starts[0], "2026-09-22T09:00:00-04:00");
    for (bad, what) in [
        (json!([{ "weekday": 7, "start": "09:00", "end": "10:00" }]), "weekday 7"),
        (json!([{ "weekday": 1, "start": "9:00", "end": "10:00" }]), "H:MM"),
        (json!([{ "weekday": 1, "start": "24:00", "end": "24:00" }]), "start 24:00"),
        (json!([{ "weekday": 1, "start": "10:00", "end": "10:00" }]), "empty"),
        (json!([{ "weekday": 1, "start": "10:00", "end": "25:00" }]), "25:00"),
        (
            json!([{ "weekday": 1, "start": "09:00", "end": "12:00" }, { "weekday": 1, "start": "11:30", "end": "13:00" }]),
            "overlap",
        ),
    ] {
        let res = app.call("PUT", &schedule_uri, Some(json!({ "windows": bad })), Some(&admin.cookie)).await;
        assert_problem(&res, StatusCode::BAD_REQUEST, "invalid-schedule", what);
    }
    let res = app
        .call(
            "PUT",
            &schedule_uri,
            Some(json!({ "windows": [{ "weekday": -1, "start": "09:00", "end": "10:00" }] })),
            Some(&admin.cookie),
        )
        .await;
    assert_problem(&res, StatusCode::BAD_REQUEST, "invalid-body", "a negative weekday");
    assert_eq!(app.call("GET", &schedule_uri, None, Some(&admin.cookie)).await.json, sorted, "unchanged");

    // Renamed, then deactivated: gone from the public listing and the slots.
    let provider_uri = format!("/api/admin/providers/{provider_id}");
    let res = app
        .call("PUT", &provider_uri, Some(json!({ "displayName": "Dr. Tor", "active": true })), Some(&admin.cookie))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.json);
    assert_eq!(public_providers(&app, TENANT).await, ["Dr. Tor"]);
    let res = app.call("DELETE", &provider_uri, None, Some(&admin.cookie)).await;
    assert_eq!(res.json, json!({ "id": provider_id, "userId": doc.id, "displayName": "Dr. Tor", "active": false }));
    assert!(public_providers(&app, TENANT).await.is_empty());
    let slots = app.call("GET", &slots_uri, None, None).await;
    assert_problem(&slots, StatusCode::BAD_REQUEST, "unknown-provider", "a deactivated provider's slots");
    let all = app.call("GET", "/api/admin/providers", None, Some(&admin.cookie)).await;
    assert_eq!(all.json["providers"][0]["active"], false);
    // Reactivated; but not once the account is no longer a provider.
    let body = json!({ "displayName": "Dr. Tor", "active": true });
    assert_eq!(app.call("PUT", &provider_uri, Some(body.clone()), Some(&admin.cookie)).await.status, StatusCode::OK);
    app.state.store.set_role(TENANT, &doc.id, "receptionist").await.unwrap();
    let res = app.call("PUT", &provider_uri, Some(body), Some(&admin.cookie)).await;
    assert_problem(&res, StatusCode::CONFLICT, "provider-account-inactive", "a receptionist's record");

    let events = app.state.store.security_events_by(&admin.id).await.unwrap();
    for kind in ["service_created", "service_changed", "provider_created", "provider_changed", "schedule_changed"] {
        assert!(events.contains(&kind.to_owned()), "{kind}: {events:?}");
    }
}

#[tokio::test]
async fn widget_pages_may_be_framed_by_their_clinics_allowed_origins_only() {
    let dir = common::tempdir::TempDir::new();
    let v1 = dir.0.join("widget").join("v1");
    std::fs::create_dir_all(&v1).unwrap();
    std::fs::write(v1.join("frame.html"), "<!doctype html><title>widget</title>").unwrap();
    std::fs::write(v1.join("loader.js"), "export {};").unwrap();
    std::fs::create_dir_all(dir.0.join("portal")).unwrap();
    std::fs::write(dir.0.join("portal").join("index.html"), "<!doctype html><title>portal</title>").unwrap();
    let app = TestApp::with_config(Config { static_root: Some(dir.0.clone()), ..Config::default() }).await;
    let admin = admin_of(&app, TENANT).await;
    let body = json!({
        "name": "Clinic A",
        "timeZone": "America/New_York",
        "allowedOrigins": ["https://clinic-a.example", "http://localhost:8081"],
    });
    assert_eq!(app.call("PUT", "/api/admin/clinic", Some(body), Some(&admin.cookie)).await.status, StatusCode::OK);

    let framing = |res: &common::Response| {
        let csp = res.headers.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap().to_owned();
        let ancestors = csp.split(';').map(str::trim).find(|d| d.starts_with("frame-ancestors")).unwrap().to_owned();
        let xfo = res.headers.get(header::X_FRAME_OPTIONS).map(|v| v.to_str().unwrap().to_owned());
        (ancestors, xfo)
    };
    let res = app.call("GET", &format!("/widget/v1/frame.html?clinic={TENANT}"), None, None).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(framing(&res), ("frame-ancestors https://clinic-a.example http://localhost:8081".into(), None));
    // The rest of the policy is the usual one.
    let csp = res.headers.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap();
    assert!(csp.starts_with("default-src 'self'; script-src 'self' 'wasm-unsafe-eval';"), "{csp}");
    let res = app.call("GET", &format!("/widget/v1/frame.html?mode=inline&clinic={TENANT}"), None, None).await;
    assert_eq!(framing(&res).1, None);

    let refused = ("frame-ancestors 'none'".to_owned(), Some("DENY".to_owned()));
    for path in [
        "/widget/v1/frame.html?clinic=clinic-b".to_owned(),
        "/widget/v1/frame.html?clinic=no-such-clinic".to_owned(),
        "/widget/v1/frame.html".to_owned(),
        format!("/widget/v1/frame.html?clinic={TENANT}&clinic=clinic-b"),
        format!("/widget/v1/loader.js?clinic={TENANT}"),
        format!("/portal/index.html?clinic={TENANT}"),
        format!("/api/clinics/{TENANT}/services?clinic={TENANT}"),
        "/api/health".to_owned(),
    ] {
        let res = app.call("GET", &path, None, None).await;
        assert_eq!(framing(&res), refused, "{path}");
    }
    // Pages load the loader with `integrity` and `crossorigin`: it is readable cross-origin,
    // and nothing else under /widget is.
    let loader = app.call("GET", "/widget/v1/loader.js", None, None).await;
    assert_eq!(loader.status, StatusCode::OK);
    assert_eq!(loader.headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).unwrap(), "*");
    assert_eq!(loader.headers.get("cross-origin-resource-policy").unwrap(), "cross-origin");
    let frame = app.call("GET", &format!("/widget/v1/frame.html?clinic={TENANT}"), None, None).await;
    assert!(frame.headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
    let missing = app.call("GET", &format!("/widget/v1/missing.html?clinic={TENANT}"), None, None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(framing(&missing), refused);

    // Clearing the list closes the frame again.
    let body = json!({ "name": "Clinic A", "timeZone": "America/New_York", "allowedOrigins": [] });
    assert_eq!(app.call("PUT", "/api/admin/clinic", Some(body), Some(&admin.cookie)).await.status, StatusCode::OK);
    let res = app.call("GET", &format!("/widget/v1/frame.html?clinic={TENANT}"), None, None).await;
    assert_eq!(framing(&res), refused);
}

#[tokio::test]
async fn the_demo_clinic_lets_the_widget_demo_host_embed_it() {
    let app = TestApp::new().await;
    bizing_server::demo::seed(&app.state, bizing_core::KdfProfile::InsecureFastForTests).await.unwrap();
    let settings = app.state.store.clinic_settings(bizing_server::demo::DEMO_TENANT).await.unwrap().unwrap();
    assert_eq!(settings.allowed_origins, ["http://127.0.0.1:8081", "http://localhost:8081"]);

    // `--demo-notice`: a notice for the widget's guests, published once.
    assert!(app.state.store.current_npp(bizing_server::demo::DEMO_TENANT).await.unwrap().is_none());
    assert!(bizing_server::demo::publish_notice(&app.state).await.unwrap());
    let notice = app.state.store.current_npp(bizing_server::demo::DEMO_TENANT).await.unwrap().unwrap();
    assert_eq!(notice.text, bizing_server::demo::DEMO_NOTICE);
    let res = app.call("GET", &format!("/api/clinics/{}/npp", bizing_server::demo::DEMO_TENANT), None, None).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(!bizing_server::demo::publish_notice(&app.state).await.unwrap(), "published once");
}
