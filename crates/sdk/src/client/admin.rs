//! [`BookingClient`] for clinic admins: staff invitations, roles and removal, clinic
//! settings, services, providers and weekly schedules (`/api/admin/…`), and registering with
//! a staff invitation. The Rust API first, then the JavaScript exports and their TypeScript
//! types, each behind `#[cfg(feature = "js")]`. (Kept in its own file so the client's other
//! areas grow without touching it.)

use bizing_core::KdfProfile;
use bizing_core::api::{
    AdminProvider, AdminProvidersResponse, AdminService, AdminServicesResponse, ChangeRole, ClinicSettings,
    CreateInvitation, CreateProvider, CreateService, InvitationCreated, InvitationsResponse, RoleChanged,
    StaffListResponse, StaffRemoved, StaffRole, UpdateProvider, UpdateService, WeeklySchedule,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
#[cfg(feature = "js")]
use wasm_bindgen::prelude::*;
#[cfg(feature = "js")]
use zeroize::Zeroizing;

use super::{BookingClient, ClientError, Registered, json, parse_body, segment};
#[cfg(feature = "js")]
use super::{Call, JsBookingClient, json_text, kdf_profile, member, register_result, text_arg};
#[cfg(feature = "js")]
use crate::js::{get, get_opt, set};

/// `/api/admin/{area}/{id}{tail}`
fn admin_path(area: &str, id: &str, tail: &str) -> String {
    format!("/api/admin/{area}/{}{tail}", segment(id))
}

impl BookingClient {
    async fn send<B: Serialize, T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, ClientError> {
        let body = body.map(json).transpose()?;
        parse_body(&self.request(method, path, body).await?)
    }

    /// Registers a staff member with an admin's invitation: as [`BookingClient::register`]
    /// (keys made locally, only the auth key sent), plus the invitation's token. The account
    /// gets the invited role; the session then needs TOTP enrollment.
    ///
    /// # Errors
    /// `invalid-invitation` (expired, used, revoked, another clinic or another email: one
    /// answer for all); as [`BookingClient::register`].
    pub async fn register_staff(
        &self,
        tenant_id: &str,
        invitation: &str,
        email: &str,
        name: &str,
        password: &str,
        profile: KdfProfile,
    ) -> Result<Registered, ClientError> {
        self.register_with(tenant_id, email, name, password, profile, Some(invitation)).await
    }

    /// `GET /api/admin/invitations`: the pending invitations.
    ///
    /// # Errors
    /// `forbidden` unless a signed-in admin; as every call.
    pub async fn list_invitations(&self) -> Result<InvitationsResponse, ClientError> {
        self.get("/api/admin/invitations").await
    }

    /// `POST /api/admin/invitations`: invites a staff member; the answer's token is shown this
    /// once (send it to the invitee).
    ///
    /// # Errors
    /// `step-up-required` (then [`BookingClient::step_up`] and retry), `account-exists`,
    /// `invalid-body`, `forbidden`.
    pub async fn invite_staff(&self, request: &CreateInvitation) -> Result<InvitationCreated, ClientError> {
        self.post("/api/admin/invitations", Some(request)).await
    }

    /// `DELETE /api/admin/invitations/{id}`: revokes a pending invitation.
    ///
    /// # Errors
    /// `not-found`, `forbidden`.
    pub async fn revoke_invitation(&self, id: &str) -> Result<(), ClientError> {
        self.request("DELETE", &admin_path("invitations", id, ""), None).await.map(drop)
    }

    /// `GET /api/admin/staff`: the clinic's current staff.
    ///
    /// # Errors
    /// `forbidden`.
    pub async fn list_staff(&self) -> Result<StaffListResponse, ClientError> {
        self.get("/api/admin/staff").await
    }

    /// `PUT /api/admin/staff/{id}/role`. When the answer's `rotate_clinic_key` is true,
    /// publish a new clinic-key version for the remaining providers and admins.
    ///
    /// # Errors
    /// `step-up-required`, `last-admin`, `not-found` (also for patients), `forbidden`.
    pub async fn change_staff_role(&self, user_id: &str, role: StaffRole) -> Result<RoleChanged, ClientError> {
        self.send("PUT", &admin_path("staff", user_id, "/role"), Some(&ChangeRole { role })).await
    }

    /// `DELETE /api/admin/staff/{id}`: removes a staff member (sessions ended, clinic-key
    /// copies deleted, sign-in refused). When `rotate_clinic_key` is true, rotate the key.
    ///
    /// # Errors
    /// `step-up-required`, `last-admin`, `not-found` (also for patients), `forbidden`.
    pub async fn remove_staff(&self, user_id: &str) -> Result<StaffRemoved, ClientError> {
        self.send::<(), _>("DELETE", &admin_path("staff", user_id, ""), None).await
    }

    /// `GET /api/admin/clinic`: name, time zone, allowed widget origins.
    ///
    /// # Errors
    /// `forbidden`.
    pub async fn clinic_settings(&self) -> Result<ClinicSettings, ClientError> {
        self.get("/api/admin/clinic").await
    }

    /// `PUT /api/admin/clinic`: replaces the settings; answers with them normalized.
    ///
    /// # Errors
    /// `invalid-time-zone`, `invalid-origin`, `invalid-body`, `forbidden`.
    pub async fn update_clinic_settings(&self, settings: &ClinicSettings) -> Result<ClinicSettings, ClientError> {
        self.send("PUT", "/api/admin/clinic", Some(settings)).await
    }

    /// `GET /api/admin/services`: every service, inactive ones included.
    ///
    /// # Errors
    /// `forbidden`.
    pub async fn admin_services(&self) -> Result<AdminServicesResponse, ClientError> {
        self.get("/api/admin/services").await
    }

    /// `POST /api/admin/services`
    ///
    /// # Errors
    /// `invalid-body` (name, duration 5 to 480 minutes), `forbidden`.
    pub async fn create_service(&self, request: &CreateService) -> Result<AdminService, ClientError> {
        self.post("/api/admin/services", Some(request)).await
    }

    /// `PUT /api/admin/services/{id}`
    ///
    /// # Errors
    /// `not-found`, `invalid-body`, `forbidden`.
    pub async fn update_service(&self, id: &str, request: &UpdateService) -> Result<AdminService, ClientError> {
        self.send("PUT", &admin_path("services", id, ""), Some(request)).await
    }

    /// `DELETE /api/admin/services/{id}`: no longer bookable (bookings stay).
    ///
    /// # Errors
    /// `not-found`, `forbidden`.
    pub async fn deactivate_service(&self, id: &str) -> Result<AdminService, ClientError> {
        self.send::<(), _>("DELETE", &admin_path("services", id, ""), None).await
    }

    /// `GET /api/admin/providers`: every provider, inactive ones included.
    ///
    /// # Errors
    /// `forbidden`.
    pub async fn admin_providers(&self) -> Result<AdminProvidersResponse, ClientError> {
        self.get("/api/admin/providers").await
    }

    /// `POST /api/admin/providers`: makes a provider-role staff member bookable.
    ///
    /// # Errors
    /// `unknown-user`, `provider-exists`, `invalid-body`, `forbidden`.
    pub async fn create_provider(&self, request: &CreateProvider) -> Result<AdminProvider, ClientError> {
        self.post("/api/admin/providers", Some(request)).await
    }

    /// `PUT /api/admin/providers/{id}`
    ///
    /// # Errors
    /// `not-found`, `provider-account-inactive`, `invalid-body`, `forbidden`.
    pub async fn update_provider(&self, id: &str, request: &UpdateProvider) -> Result<AdminProvider, ClientError> {
        self.send("PUT", &admin_path("providers", id, ""), Some(request)).await
    }

    /// `DELETE /api/admin/providers/{id}`: no longer bookable (bookings stay).
    ///
    /// # Errors
    /// `not-found`, `forbidden`.
    pub async fn deactivate_provider(&self, id: &str) -> Result<AdminProvider, ClientError> {
        self.send::<(), _>("DELETE", &admin_path("providers", id, ""), None).await
    }

    /// `GET /api/admin/providers/{id}/schedule`
    ///
    /// # Errors
    /// `not-found`, `forbidden`.
    pub async fn provider_schedule(&self, id: &str) -> Result<WeeklySchedule, ClientError> {
        self.get(&admin_path("providers", id, "/schedule")).await
    }

    /// `PUT /api/admin/providers/{id}/schedule`: replaces the weekly schedule.
    ///
    /// # Errors
    /// `invalid-schedule`, `not-found`, `forbidden`.
    pub async fn set_provider_schedule(
        &self,
        id: &str,
        schedule: &WeeklySchedule,
    ) -> Result<WeeklySchedule, ClientError> {
        self.send("PUT", &admin_path("providers", id, "/schedule"), Some(schedule)).await
    }
}

// ---------------------------------------------------------------------------------------
// JavaScript (feature `js`)

#[cfg(feature = "js")]
#[wasm_bindgen(typescript_custom_section)]
const TS_ADMIN_TYPES: &str = r#"
/** `client.registerStaff(...)`: a staff account from an admin's invitation. */
export interface RegisterStaffOptions extends RegisterOptions {
  /** The invitation's token, as the admin received it from `inviteStaff`. */
  invitation: string;
}

export type StaffRole = "receptionist" | "provider" | "admin";

export interface CreateInvitation {
  email: string;
  role: StaffRole;
  /** Provider invitations only: the bookable name created on acceptance. */
  providerName?: string;
}
export interface Invitation {
  id: string;
  email: string;
  role: StaffRole;
  providerName?: string;
  /** Unix seconds. */
  createdAt: number;
  /** Unix seconds; seven days after `createdAt`. */
  expiresAt: number;
}
export interface InvitationCreated {
  invitation: Invitation;
  /** Single use, shown this once: send it to the invitee. */
  token: string;
}
export interface InvitationsResponse { invitations: Invitation[]; }

export interface StaffAccount {
  userId: string;
  role: StaffRole;
  name: string;
  email: string;
  providerId?: string;
  holdsCurrentClinicKey: boolean;
}
export interface StaffListResponse { staff: StaffAccount[]; }
export interface RoleChanged {
  member: StaffAccount;
  /** Publish a new clinic-key version for the remaining providers and admins. */
  rotateClinicKey: boolean;
}
export interface StaffRemoved {
  userId: string;
  /** Publish a new clinic-key version for the remaining providers and admins. */
  rotateClinicKey: boolean;
}

export interface ClinicSettings {
  name: string;
  /** IANA, e.g. "America/New_York". */
  timeZone: string;
  /** Origins that may embed the widget: "https://host[:port]" (or http://localhost / 127.0.0.1), at most 20. */
  allowedOrigins: string[];
}

export interface AdminService { id: string; name: string; durationMinutes: number; active: boolean; }
export interface AdminServicesResponse { services: AdminService[]; }
/** `durationMinutes`: 5 to 480. */
export interface CreateService { name: string; durationMinutes: number; }
export interface UpdateService { name: string; durationMinutes: number; active: boolean; }

export interface AdminProvider { id: string; userId: string; displayName: string; active: boolean; }
export interface AdminProvidersResponse { providers: AdminProvider[]; }
export interface CreateProvider { userId: string; displayName: string; }
export interface UpdateProvider { displayName: string; active: boolean; }

export interface ScheduleWindow {
  /** 0 = Sunday ... 6 = Saturday. */
  weekday: number;
  /** "HH:MM", clinic local time. */
  start: string;
  /** "HH:MM" after `start`; "24:00" is the end of the day. */
  end: string;
}
export interface WeeklySchedule { windows: ScheduleWindow[]; }
"#;

/// A JSON body of the named members of `request`, copied as they are (any JSON type; the
/// server checks them): `true` marks a required member.
#[cfg(feature = "js")]
pub(super) fn pick(request: &JsValue, members: &[(&str, bool)]) -> Result<Option<String>, ClientError> {
    let object = js_sys::Object::new();
    for &(name, required) in members {
        let value = if required { Some(get(request, name)?) } else { get_opt(request, name)? };
        if let Some(value) = value {
            set(&object, name, value);
        }
    }
    json_text(&object).map(Some)
}

#[cfg(feature = "js")]
#[wasm_bindgen(js_class = BookingClient)]
impl JsBookingClient {
    /// Registers a staff member with an admin's invitation (keys made locally, only the auth
    /// key sent); the account gets the invited role. The session then needs TOTP enrollment.
    #[wasm_bindgen(js_name = registerStaff, unchecked_return_type = "Promise<RegisterResult>")]
    pub fn register_staff(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RegisterStaffOptions")] options: JsValue,
    ) -> js_sys::Promise {
        let client = self.client.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let password = Zeroizing::new(member(&options, "password")?);
            let profile = kdf_profile(&options)?;
            let (tenant_id, invitation) = (member(&options, "tenantId")?, member(&options, "invitation")?);
            let (email, name) = (member(&options, "email")?, member(&options, "name")?);
            let registered = client.register_staff(&tenant_id, &invitation, &email, &name, &password, profile).await?;
            Ok(register_result(&client, registered))
        })
    }

    /// The pending staff invitations (admins).
    #[wasm_bindgen(js_name = listInvitations, unchecked_return_type = "Promise<InvitationsResponse>")]
    pub fn list_invitations(&self) -> js_sys::Promise {
        self.call(Ok(("GET", "/api/admin/invitations".into(), None)))
    }

    /// Invites a staff member; the token in the answer is shown this once (admins, step-up).
    #[wasm_bindgen(js_name = inviteStaff, unchecked_return_type = "Promise<InvitationCreated>")]
    pub fn invite_staff(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CreateInvitation")] request: JsValue,
    ) -> js_sys::Promise {
        let call = || -> Result<Call, ClientError> {
            let body = pick(&request, &[("email", true), ("role", true), ("providerName", false)])?;
            Ok(("POST", "/api/admin/invitations".into(), body))
        };
        self.call(call())
    }

    /// Revokes a pending invitation (admins).
    #[wasm_bindgen(js_name = revokeInvitation, unchecked_return_type = "Promise<void>")]
    pub fn revoke_invitation(&self, #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue) -> js_sys::Promise {
        self.call(text_arg(&id, "id").map(|id| ("DELETE", admin_path("invitations", &id, ""), None)))
    }

    /// The clinic's current staff (admins).
    #[wasm_bindgen(js_name = listStaff, unchecked_return_type = "Promise<StaffListResponse>")]
    pub fn list_staff(&self) -> js_sys::Promise {
        self.call(Ok(("GET", "/api/admin/staff".into(), None)))
    }

    /// Changes a staff member's role (admins, step-up).
    #[wasm_bindgen(js_name = changeStaffRole, unchecked_return_type = "Promise<RoleChanged>")]
    pub fn change_staff_role(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] user_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "StaffRole")] role: JsValue,
    ) -> js_sys::Promise {
        let call = || -> Result<Call, ClientError> {
            let user_id = text_arg(&user_id, "userId")?;
            let body = super::body(&[("role", Some(text_arg(&role, "role")?))])?;
            Ok(("PUT", admin_path("staff", &user_id, "/role"), body))
        };
        self.call(call())
    }

    /// Removes a staff member (admins, step-up).
    #[wasm_bindgen(js_name = removeStaff, unchecked_return_type = "Promise<StaffRemoved>")]
    pub fn remove_staff(&self, #[wasm_bindgen(unchecked_param_type = "string")] user_id: JsValue) -> js_sys::Promise {
        self.call(text_arg(&user_id, "userId").map(|id| ("DELETE", admin_path("staff", &id, ""), None)))
    }

    /// The clinic's settings (admins).
    #[wasm_bindgen(js_name = clinicSettings, unchecked_return_type = "Promise<ClinicSettings>")]
    pub fn clinic_settings(&self) -> js_sys::Promise {
        self.call(Ok(("GET", "/api/admin/clinic".into(), None)))
    }

    /// Replaces the clinic's settings; resolves with them normalized (admins).
    #[wasm_bindgen(js_name = updateClinicSettings, unchecked_return_type = "Promise<ClinicSettings>")]
    pub fn update_clinic_settings(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ClinicSettings")] settings: JsValue,
    ) -> js_sys::Promise {
        let call = || -> Result<Call, ClientError> {
            let body = pick(&settings, &[("name", true), ("timeZone", true), ("allowedOrigins", true)])?;
            Ok(("PUT", "/api/admin/clinic".into(), body))
        };
        self.call(call())
    }

    /// Every service, inactive ones included (admins).
    #[wasm_bindgen(js_name = adminServices, unchecked_return_type = "Promise<AdminServicesResponse>")]
    pub fn admin_services(&self) -> js_sys::Promise {
        self.call(Ok(("GET", "/api/admin/services".into(), None)))
    }

    /// Creates a service (admins).
    #[wasm_bindgen(js_name = createService, unchecked_return_type = "Promise<AdminService>")]
    pub fn create_service(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CreateService")] request: JsValue,
    ) -> js_sys::Promise {
        let call = || -> Result<Call, ClientError> {
            let body = pick(&request, &[("name", true), ("durationMinutes", true)])?;
            Ok(("POST", "/api/admin/services".into(), body))
        };
        self.call(call())
    }

    /// Replaces a service's name, duration and bookability (admins).
    #[wasm_bindgen(js_name = updateService, unchecked_return_type = "Promise<AdminService>")]
    pub fn update_service(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "UpdateService")] request: JsValue,
    ) -> js_sys::Promise {
        let call = || -> Result<Call, ClientError> {
            let id = text_arg(&id, "id")?;
            let body = pick(&request, &[("name", true), ("durationMinutes", true), ("active", true)])?;
            Ok(("PUT", admin_path("services", &id, ""), body))
        };
        self.call(call())
    }

    /// Makes a service unbookable; its bookings stay (admins).
    #[wasm_bindgen(js_name = deactivateService, unchecked_return_type = "Promise<AdminService>")]
    pub fn deactivate_service(&self, #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue) -> js_sys::Promise {
        self.call(text_arg(&id, "id").map(|id| ("DELETE", admin_path("services", &id, ""), None)))
    }

    /// Every provider, inactive ones included (admins).
    #[wasm_bindgen(js_name = adminProviders, unchecked_return_type = "Promise<AdminProvidersResponse>")]
    pub fn admin_providers(&self) -> js_sys::Promise {
        self.call(Ok(("GET", "/api/admin/providers".into(), None)))
    }

    /// Makes a provider-role staff member bookable (admins).
    #[wasm_bindgen(js_name = createProvider, unchecked_return_type = "Promise<AdminProvider>")]
    pub fn create_provider(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CreateProvider")] request: JsValue,
    ) -> js_sys::Promise {
        let call = || -> Result<Call, ClientError> {
            let body = pick(&request, &[("userId", true), ("displayName", true)])?;
            Ok(("POST", "/api/admin/providers".into(), body))
        };
        self.call(call())
    }

    /// Changes a provider's display name and bookability (admins).
    #[wasm_bindgen(js_name = updateProvider, unchecked_return_type = "Promise<AdminProvider>")]
    pub fn update_provider(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "UpdateProvider")] request: JsValue,
    ) -> js_sys::Promise {
        let call = || -> Result<Call, ClientError> {
            let id = text_arg(&id, "id")?;
            let body = pick(&request, &[("displayName", true), ("active", true)])?;
            Ok(("PUT", admin_path("providers", &id, ""), body))
        };
        self.call(call())
    }

    /// Makes a provider unbookable; their bookings stay (admins).
    #[wasm_bindgen(js_name = deactivateProvider, unchecked_return_type = "Promise<AdminProvider>")]
    pub fn deactivate_provider(&self, #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue) -> js_sys::Promise {
        self.call(text_arg(&id, "id").map(|id| ("DELETE", admin_path("providers", &id, ""), None)))
    }

    /// A provider's weekly schedule (admins).
    #[wasm_bindgen(js_name = providerSchedule, unchecked_return_type = "Promise<WeeklySchedule>")]
    pub fn provider_schedule(&self, #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue) -> js_sys::Promise {
        self.call(text_arg(&id, "id").map(|id| ("GET", admin_path("providers", &id, "/schedule"), None)))
    }

    /// Replaces a provider's weekly schedule (admins).
    #[wasm_bindgen(js_name = setProviderSchedule, unchecked_return_type = "Promise<WeeklySchedule>")]
    pub fn set_provider_schedule(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "WeeklySchedule")] schedule: JsValue,
    ) -> js_sys::Promise {
        let call = || -> Result<Call, ClientError> {
            let id = text_arg(&id, "id")?;
            Ok(("PUT", admin_path("providers", &id, "/schedule"), pick(&schedule, &[("windows", true)])?))
        };
        self.call(call())
    }
}
