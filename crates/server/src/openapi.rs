//! The OpenAPI 3.1 description of the API, built from one table of routes and the JSON
//! Schemas of the wire types in `bizing_core::api`, served at `/api/openapi.json` and checked
//! in at `crates/server/openapi.json` (a test fails when the two differ, and when a route in
//! `lib.rs` is missing from the table).

use axum::Json;
use bizing_core::api;
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value, json};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No session needed.
    Public,
    /// A session, before or after the second factor.
    Session,
    /// A fully signed-in session (second factor given): the browser's cookie, or a widget
    /// session's bearer token.
    SignedIn,
    /// A browser (cookie) session only, before or after the second factor: a widget session
    /// is refused (`portal-required`).
    BrowserSession,
    /// A fully signed-in browser (cookie) session only.
    BrowserSignedIn,
}

/// One documented route.
pub struct Route {
    /// `get`, `post`, `put` or `delete`.
    pub method: &'static str,
    /// The path as axum declares it, e.g. `/api/bookings/{id}`.
    pub path: &'static str,
    /// One line.
    pub summary: &'static str,
    /// Group.
    pub tag: &'static str,
    /// Who may call it.
    pub access: Access,
    /// Request body schema.
    pub request: Option<SchemaFn>,
    /// Success status and body schema (None for no body).
    pub response: (u16, Option<SchemaFn>),
}

/// Produces a body's schema (a `$ref` into the components) from the generator.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Value;

fn schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Value {
    generator.subschema_for::<T>().to_value()
}

macro_rules! route {
    ($method:literal, $path:literal, $tag:literal, $access:ident, $summary:literal, $req:expr, $status:literal, $res:expr) => {
        Route {
            method: $method,
            path: $path,
            summary: $summary,
            tag: $tag,
            access: Access::$access,
            request: $req,
            response: ($status, $res),
        }
    };
}

/// Every route of the API.
#[must_use]
pub fn routes() -> Vec<Route> {
    vec![
        route!("get", "/api/health", "meta", Public, "Liveness", None, 200, None),
        route!("get", "/api/openapi.json", "meta", Public, "This document", None, 200, None),
        route!(
            "post",
            "/api/auth/prelogin",
            "auth",
            Public,
            "An account's KDF parameters (made up for unknown emails)",
            Some(schema::<api::PreloginRequest>),
            200,
            Some(schema::<api::PreloginResponse>)
        ),
        route!(
            "post",
            "/api/auth/register",
            "auth",
            Public,
            "Create a patient account, or with `invitation` a staff account with the invited role; starts a session awaiting TOTP enrollment",
            Some(schema::<api::RegisterRequest>),
            201,
            Some(schema::<api::LoginResponse>)
        ),
        route!(
            "post",
            "/api/auth/login",
            "auth",
            Public,
            "First factor: the password-derived auth key",
            Some(schema::<api::LoginRequest>),
            200,
            Some(schema::<api::LoginResponse>)
        ),
        route!(
            "post",
            "/api/auth/totp/enroll",
            "auth",
            BrowserSession,
            "A new TOTP secret, pending until confirmed; replacing an existing authenticator needs a recent step-up",
            None,
            200,
            Some(schema::<api::TotpEnrollResponse>)
        ),
        route!(
            "post",
            "/api/auth/totp/confirm",
            "auth",
            BrowserSession,
            "Confirm TOTP enrollment with a first code of the new secret, which replaces any old one",
            Some(schema::<api::MfaRequest>),
            204,
            None
        ),
        route!(
            "post",
            "/api/auth/mfa",
            "auth",
            BrowserSession,
            "Second factor: a TOTP code or a single-use recovery code",
            Some(schema::<api::MfaRequest>),
            204,
            None
        ),
        route!(
            "post",
            "/api/auth/step-up",
            "auth",
            BrowserSignedIn,
            "A fresh second factor for sensitive actions (valid 5 minutes)",
            Some(schema::<api::MfaRequest>),
            204,
            None
        ),
        route!(
            "post",
            "/api/auth/recovery-codes",
            "auth",
            BrowserSignedIn,
            "Replace every recovery code with ten new ones made on the client (recent step-up)",
            Some(schema::<api::RegenerateRecoveryCodes>),
            204,
            None
        ),
        route!(
            "post",
            "/api/auth/logout",
            "auth",
            Public,
            "End the session on the server: a browser session with its widget sessions (and the cookie), or a widget session (bearer) alone",
            None,
            204,
            None
        ),
        route!(
            "post",
            "/api/auth/widget-session",
            "auth",
            BrowserSignedIn,
            "A child session for the booking widget, from a signed-in patient's browser session: its token goes in `Authorization: Bearer`; it lives only while the parent does, with the same idle timeout, and cannot give a second factor (actions needing one answer `portal-required`); patients only",
            None,
            201,
            Some(schema::<api::WidgetSessionResponse>)
        ),
        route!(
            "post",
            "/api/auth/activity",
            "auth",
            SignedIn,
            "Record activity on the caller's session now (and on its parent, for a widget session)",
            None,
            204,
            None
        ),
        route!(
            "get",
            "/api/auth/session",
            "auth",
            Session,
            "How long the caller's session has left; asking is not activity",
            None,
            200,
            Some(schema::<api::SessionStatus>)
        ),
        route!(
            "get",
            "/api/me",
            "auth",
            SignedIn,
            "The signed-in account (logged as an access to a patient's record)",
            None,
            200,
            Some(schema::<api::Me>)
        ),
        route!(
            "get",
            "/api/clinics/{tenant}/npp",
            "npp",
            Public,
            "The clinic's current Notice of Privacy Practices",
            None,
            200,
            Some(schema::<api::NppNotice>)
        ),
        route!(
            "post",
            "/api/npp",
            "npp",
            SignedIn,
            "Publish a new NPP version (admins)",
            Some(schema::<api::PublishNpp>),
            201,
            Some(schema::<api::NppNotice>)
        ),
        route!(
            "post",
            "/api/npp/ack",
            "npp",
            SignedIn,
            "Acknowledge the current NPP version",
            Some(schema::<api::AcknowledgeNpp>),
            204,
            None
        ),
        route!(
            "get",
            "/api/npp/status",
            "npp",
            SignedIn,
            "Whether the signed-in patient must acknowledge",
            None,
            200,
            Some(schema::<api::NppStatus>)
        ),
        route!(
            "get",
            "/api/clinics/{tenant}/log-key",
            "access log",
            Public,
            "The checkpoint key clients pin",
            None,
            200,
            Some(schema::<api::LogKey>)
        ),
        route!(
            "get",
            "/api/access-log",
            "access log",
            SignedIn,
            "The signed-in patient's access events with inclusion proofs, a signed checkpoint and a consistency proof from `since`",
            None,
            200,
            Some(schema::<api::AccessLogPage>)
        ),
        route!(
            "get",
            "/api/clinics/{tenant}/services",
            "scheduling",
            Public,
            "The clinic's services",
            None,
            200,
            Some(schema::<api::ServicesResponse>)
        ),
        route!(
            "get",
            "/api/clinics/{tenant}/providers",
            "scheduling",
            Public,
            "The clinic's providers",
            None,
            200,
            Some(schema::<api::ProvidersResponse>)
        ),
        route!(
            "get",
            "/api/clinics/{tenant}/slots",
            "scheduling",
            Public,
            "Free slots in the clinic's time zone, soonest first (query: service, provider, from, days)",
            None,
            200,
            Some(schema::<api::SlotsResponse>)
        ),
        route!(
            "post",
            "/api/clinics/{tenant}/guest-bookings",
            "bookings",
            Public,
            "Book a slot as a guest of the widget (no account): the guest's details, their acknowledgment of the current NPP, and a note sealed to exactly the clinic's current key; answers the booking's id and status only (10 a minute per address; `Origin` must be this server's when it knows its own)",
            Some(schema::<api::CreateGuestBookingRequest>),
            201,
            Some(schema::<api::GuestBookingResponse>)
        ),
        route!(
            "post",
            "/api/bookings",
            "bookings",
            SignedIn,
            "Book a slot, with a note sealed on the client",
            Some(schema::<api::CreateBookingRequest>),
            201,
            Some(schema::<api::Booking>)
        ),
        route!(
            "get",
            "/api/bookings",
            "bookings",
            SignedIn,
            "The bookings the caller may see, by start time (query: from and to, clinic-local YYYY-MM-DD dates, to excluded, at most 62 days apart, both or neither)",
            None,
            200,
            Some(schema::<api::BookingsResponse>)
        ),
        route!(
            "get",
            "/api/bookings/{id}",
            "bookings",
            SignedIn,
            "One booking (404 if not the caller's to see)",
            None,
            200,
            Some(schema::<api::Booking>)
        ),
        route!(
            "post",
            "/api/bookings/{id}/cancel",
            "bookings",
            SignedIn,
            "Cancel a booking",
            None,
            200,
            Some(schema::<api::Booking>)
        ),
        route!(
            "post",
            "/api/bookings/{id}/reschedule",
            "bookings",
            SignedIn,
            "Move a booking to another free slot",
            Some(schema::<api::RescheduleRequest>),
            200,
            Some(schema::<api::Booking>)
        ),
        route!(
            "post",
            "/api/bookings/{id}/check-in",
            "bookings",
            SignedIn,
            "Check the patient in, from 24 hours before the start until the end (receptionists, admins, the booking's provider)",
            None,
            200,
            Some(schema::<api::Booking>)
        ),
        route!(
            "get",
            "/api/clinics/{tenant}/clinic-key",
            "clinic keys",
            Public,
            "The clinic's current key, to seal notes to",
            None,
            200,
            Some(schema::<api::ClinicKeyInfo>)
        ),
        route!(
            "get",
            "/api/staff/keys",
            "clinic keys",
            SignedIn,
            "Staff with their personal public keys (staff only)",
            None,
            200,
            Some(schema::<api::StaffKeysResponse>)
        ),
        route!(
            "post",
            "/api/clinic-keys",
            "clinic keys",
            SignedIn,
            "Publish the next clinic-key version with wrapped copies (admin)",
            Some(schema::<api::PublishClinicKey>),
            201,
            Some(schema::<api::ClinicKeyInfo>)
        ),
        route!(
            "get",
            "/api/clinic-keys/mine",
            "clinic keys",
            SignedIn,
            "The caller's wrapped copies of every version (providers, admins)",
            None,
            200,
            Some(schema::<api::MyClinicKeysResponse>)
        ),
        route!(
            "post",
            "/api/clinic-keys/shares",
            "clinic keys",
            SignedIn,
            "Share an existing version with more providers or admins (admin)",
            Some(schema::<api::AddClinicKeyShares>),
            204,
            None
        ),
        route!(
            "get",
            "/api/admin/invitations",
            "admin",
            SignedIn,
            "Pending staff invitations (admin)",
            None,
            200,
            Some(schema::<api::InvitationsResponse>)
        ),
        route!(
            "post",
            "/api/admin/invitations",
            "admin",
            SignedIn,
            "Invite a staff member by email; the single-use token is shown once (admin, step-up)",
            Some(schema::<api::CreateInvitation>),
            201,
            Some(schema::<api::InvitationCreated>)
        ),
        route!(
            "delete",
            "/api/admin/invitations/{id}",
            "admin",
            SignedIn,
            "Revoke a pending invitation (admin)",
            None,
            204,
            None
        ),
        route!(
            "get",
            "/api/admin/staff",
            "admin",
            SignedIn,
            "The clinic's current staff, with who holds the current clinic key (admin)",
            None,
            200,
            Some(schema::<api::StaffListResponse>)
        ),
        route!(
            "put",
            "/api/admin/staff/{id}/role",
            "admin",
            SignedIn,
            "Change a staff member's role; says whether to rotate the clinic key (admin, step-up)",
            Some(schema::<api::ChangeRole>),
            200,
            Some(schema::<api::RoleChanged>)
        ),
        route!(
            "delete",
            "/api/admin/staff/{id}",
            "admin",
            SignedIn,
            "Remove a staff member: sessions ended, clinic-key copies deleted, sign-in refused; says whether to rotate the clinic key (admin, step-up)",
            None,
            200,
            Some(schema::<api::StaffRemoved>)
        ),
        route!(
            "get",
            "/api/admin/clinic",
            "admin",
            SignedIn,
            "The clinic's name, time zone and allowed widget origins (admin)",
            None,
            200,
            Some(schema::<api::ClinicSettings>)
        ),
        route!(
            "put",
            "/api/admin/clinic",
            "admin",
            SignedIn,
            "Replace the clinic's name, time zone and allowed widget origins (admin)",
            Some(schema::<api::ClinicSettings>),
            200,
            Some(schema::<api::ClinicSettings>)
        ),
        route!(
            "get",
            "/api/admin/services",
            "admin",
            SignedIn,
            "Every service, inactive ones included (admin)",
            None,
            200,
            Some(schema::<api::AdminServicesResponse>)
        ),
        route!(
            "post",
            "/api/admin/services",
            "admin",
            SignedIn,
            "Create a service (admin)",
            Some(schema::<api::CreateService>),
            201,
            Some(schema::<api::AdminService>)
        ),
        route!(
            "put",
            "/api/admin/services/{id}",
            "admin",
            SignedIn,
            "Replace a service's name, duration and bookability (admin)",
            Some(schema::<api::UpdateService>),
            200,
            Some(schema::<api::AdminService>)
        ),
        route!(
            "delete",
            "/api/admin/services/{id}",
            "admin",
            SignedIn,
            "Deactivate a service; bookings stay (admin)",
            None,
            200,
            Some(schema::<api::AdminService>)
        ),
        route!(
            "get",
            "/api/admin/providers",
            "admin",
            SignedIn,
            "Every provider, inactive ones included (admin)",
            None,
            200,
            Some(schema::<api::AdminProvidersResponse>)
        ),
        route!(
            "post",
            "/api/admin/providers",
            "admin",
            SignedIn,
            "Make a provider-role staff member bookable (admin)",
            Some(schema::<api::CreateProvider>),
            201,
            Some(schema::<api::AdminProvider>)
        ),
        route!(
            "put",
            "/api/admin/providers/{id}",
            "admin",
            SignedIn,
            "Change a provider's display name and bookability (admin)",
            Some(schema::<api::UpdateProvider>),
            200,
            Some(schema::<api::AdminProvider>)
        ),
        route!(
            "delete",
            "/api/admin/providers/{id}",
            "admin",
            SignedIn,
            "Deactivate a provider; bookings stay (admin)",
            None,
            200,
            Some(schema::<api::AdminProvider>)
        ),
        route!(
            "get",
            "/api/admin/providers/{id}/schedule",
            "admin",
            SignedIn,
            "A provider's weekly schedule, clinic local time (admin)",
            None,
            200,
            Some(schema::<api::WeeklySchedule>)
        ),
        route!(
            "put",
            "/api/admin/providers/{id}/schedule",
            "admin",
            SignedIn,
            "Replace a provider's weekly schedule (admin)",
            Some(schema::<api::WeeklySchedule>),
            200,
            Some(schema::<api::WeeklySchedule>)
        ),
        route!(
            "post",
            "/api/bookings/{id}/corrections",
            "corrections",
            SignedIn,
            "Ask for a correction of one's booking (HIPAA amendment)",
            Some(schema::<api::CreateCorrectionRequest>),
            201,
            Some(schema::<api::Correction>)
        ),
        route!(
            "get",
            "/api/corrections",
            "corrections",
            SignedIn,
            "The correction requests the caller may see",
            None,
            200,
            Some(schema::<api::CorrectionsResponse>)
        ),
        route!(
            "get",
            "/api/corrections/{id}",
            "corrections",
            SignedIn,
            "One correction request",
            None,
            200,
            Some(schema::<api::Correction>)
        ),
        route!(
            "post",
            "/api/corrections/{id}/accept",
            "corrections",
            SignedIn,
            "Accept a pending correction request",
            None,
            200,
            Some(schema::<api::Correction>)
        ),
        route!(
            "post",
            "/api/corrections/{id}/deny",
            "corrections",
            SignedIn,
            "Deny a pending correction request, with a reason",
            Some(schema::<api::CorrectionReasonRequest>),
            200,
            Some(schema::<api::Correction>)
        ),
        route!(
            "post",
            "/api/corrections/{id}/extend",
            "corrections",
            SignedIn,
            "Extend the deadline once by 30 days, with a reason",
            Some(schema::<api::CorrectionReasonRequest>),
            200,
            Some(schema::<api::Correction>)
        ),
        route!(
            "post",
            "/api/corrections/{id}/disagreement",
            "corrections",
            SignedIn,
            "File a statement of disagreement with a denial",
            Some(schema::<api::DisagreementRequest>),
            200,
            Some(schema::<api::Correction>)
        ),
        route!(
            "get",
            "/api/notes/stale",
            "clinic keys",
            SignedIn,
            "Sealed texts still sealed to an older clinic-key version, paged (query: after, limit; providers and admins holding the current version, recent step-up)",
            None,
            200,
            Some(schema::<api::StaleResponse>)
        ),
        route!(
            "post",
            "/api/notes/rewrap",
            "clinic keys",
            SignedIn,
            "Store up to 100 texts rewrapped to the current clinic-key version, all or nothing (same content, same recipients but the clinic key's version; recent step-up)",
            Some(schema::<api::RewrapRequest>),
            200,
            Some(schema::<api::RewrapResponse>)
        ),
        route!(
            "get",
            "/api/preferences",
            "preferences",
            SignedIn,
            "The signed-in patient's confidential contact and restriction requests",
            None,
            200,
            Some(schema::<api::Preferences>)
        ),
        route!(
            "put",
            "/api/preferences/confidential-contact",
            "preferences",
            SignedIn,
            "Set how and where the clinic should contact the patient instead (HIPAA confidential communications; patients, recent step-up)",
            Some(schema::<api::SetConfidentialContact>),
            200,
            Some(schema::<api::ConfidentialContact>)
        ),
        route!(
            "delete",
            "/api/preferences/confidential-contact",
            "preferences",
            SignedIn,
            "Remove the confidential contact (patients, recent step-up)",
            None,
            204,
            None
        ),
        route!(
            "get",
            "/api/restrictions",
            "preferences",
            SignedIn,
            "Restriction requests: a patient's own, or the clinic's for an admin; newest first",
            None,
            200,
            Some(schema::<api::RestrictionsResponse>)
        ),
        route!(
            "post",
            "/api/restrictions",
            "preferences",
            SignedIn,
            "Ask for a restriction on uses or disclosures, the details sealed on the client (HIPAA; patients, recent step-up)",
            Some(schema::<api::CreateRestrictionRequest>),
            201,
            Some(schema::<api::Restriction>)
        ),
        route!(
            "post",
            "/api/restrictions/{id}/decide",
            "preferences",
            SignedIn,
            "Agree to or deny a pending restriction request; a denial needs a reason (admins; a health-plan request about care paid in full out of pocket must be agreed to)",
            Some(schema::<api::DecideRestrictionRequest>),
            200,
            Some(schema::<api::Restriction>)
        ),
        route!(
            "post",
            "/api/restrictions/{id}/withdraw",
            "preferences",
            SignedIn,
            "Withdraw one's pending or agreed restriction request (patients, recent step-up)",
            None,
            200,
            Some(schema::<api::Restriction>)
        ),
        route!(
            "get",
            "/api/export",
            "export",
            SignedIn,
            "The signed-in patient's whole record as a JSON attachment, with their access log and proofs (recent step-up; 10 a minute)",
            None,
            200,
            Some(schema::<api::ExportDocument>)
        ),
    ]
}

/// The document.
#[must_use]
pub fn document() -> Value {
    let mut generator = SchemaSettings::openapi3().into_generator();
    let problem = schema::<api::Problem>(&mut generator);
    let mut paths: Map<String, Value> = Map::new();
    for route in routes() {
        let mut operation = json!({
            "summary": route.summary,
            "tags": [route.tag],
            "operationId": format!("{}{}", route.method, route.path.replace(['/', '{', '}', '-', '.'], "_")),
        });
        let params: Vec<Value> = route
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        if !params.is_empty() {
            operation["parameters"] = Value::Array(params);
        }
        if let Some(request) = route.request {
            operation["requestBody"] =
                json!({ "required": true, "content": { "application/json": { "schema": request(&mut generator) } } });
        }
        let (status, body) = route.response;
        let success = match body {
            Some(body) => {
                json!({ "description": "OK", "content": { "application/json": { "schema": body(&mut generator) } } })
            }
            None => json!({ "description": "OK" }),
        };
        let error = json!({ "description": "An RFC 9457 problem; `type` is a stable `urn:bizing:problem:<slug>`",
            "content": { "application/problem+json": { "schema": problem.clone() } } });
        operation["responses"] = json!({ status.to_string(): success, "default": error });
        match route.access {
            Access::Public => {}
            Access::Session | Access::SignedIn => operation["security"] = json!([{ "session": [] }, { "widget": [] }]),
            Access::BrowserSession | Access::BrowserSignedIn => operation["security"] = json!([{ "session": [] }]),
        }
        let entry = paths.entry(route.path.to_owned()).or_insert_with(|| json!({}));
        entry[route.method] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Bizing booking API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The reference booking server of the Bizing booking SDK. Notes and correction texts arrive sealed (`bze1.` envelopes) and are never opened here. Errors are RFC 9457 problem+json.",
        },
        "paths": paths,
        "components": {
            "schemas": generator.take_definitions(true),
            "securitySchemes": {
                "session": { "type": "apiKey", "in": "cookie", "name": crate::session::COOKIE_NAME },
                "widget": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A widget session's token (`POST /api/auth/widget-session`), for the booking widget's cross-site iframe"
                }
            }
        }
    })
}

/// `GET /api/openapi.json`
pub async fn serve() -> Json<Value> {
    Json(document())
}
