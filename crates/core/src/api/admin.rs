//! Clinic administration (admins only): staff invitations, roles and removal, clinic
//! settings (name, time zone, the origins allowed to embed the widget), services, providers
//! and their weekly schedules.
//!
//! Every endpoint under `/api/admin/` needs a signed-in admin (second factor given) of the
//! clinic; other roles get 403, ids of another clinic 404. Inviting, changing a role and
//! removing staff also need a recent second factor (`step-up-required`).

use serde::{Deserialize, Serialize};

/// How long an invitation can be accepted: 7 days, in seconds.
pub const INVITATION_TTL_SECS: i64 = 7 * 24 * 60 * 60;

/// The most origins a clinic may allow to embed its booking widget.
pub const MAX_ALLOWED_ORIGINS: usize = 20;

/// The shortest service, in minutes.
pub const MIN_SERVICE_MINUTES: u32 = 5;

/// The longest service, in minutes.
pub const MAX_SERVICE_MINUTES: u32 = 480;

/// The most windows one provider's weekly schedule may have.
pub const MAX_SCHEDULE_WINDOWS: usize = 100;

/// A staff role. Patients are not staff: they register themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum StaffRole {
    /// Sees the schedule with names; never holds the clinic key, so never reads a note.
    Receptionist,
    /// Sees and opens the notes of their own bookings; holds the clinic key.
    Provider,
    /// Manages the clinic; holds the clinic key.
    Admin,
}

impl StaffRole {
    /// The role as stored and as [`crate::api::Me::role`] names it.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Receptionist => "receptionist",
            Self::Provider => "provider",
            Self::Admin => "admin",
        }
    }

    /// The staff role named `text`, if it is one (`patient` is not).
    #[must_use]
    pub fn from_name(text: &str) -> Option<Self> {
        match text {
            "receptionist" => Some(Self::Receptionist),
            "provider" => Some(Self::Provider),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// `POST /api/admin/invitations`: invites a staff member by email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateInvitation {
    /// The email the invitee must register with.
    pub email: String,
    /// The role they get.
    pub role: StaffRole,
    /// For a provider only: the name patients will see; a bookable provider with this name
    /// is created when the invitation is accepted. Without it, create one later
    /// (`POST /api/admin/providers`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_name: Option<String>,
}

/// A pending invitation (never its token, which the server does not keep).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Invitation {
    /// The invitation's id (to revoke it).
    pub id: String,
    /// The invited email.
    pub email: String,
    /// The role it grants.
    pub role: StaffRole,
    /// The provider name, for a provider invitation that carries one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_name: Option<String>,
    /// When it was made, Unix seconds.
    pub created_at: i64,
    /// When it stops working, Unix seconds.
    pub expires_at: i64,
}

/// The answer to `POST /api/admin/invitations`: the invitation and its single-use token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InvitationCreated {
    /// The invitation.
    pub invitation: Invitation,
    /// The token (256 random bits, base64url), shown this once: send it to the invitee, who
    /// registers with it (`POST /api/auth/register` with `invitation`). Only its hash is
    /// stored. A new invitation for the same email replaces a pending one.
    pub token: String,
}

/// `GET /api/admin/invitations`: invitations neither accepted, revoked nor expired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InvitationsResponse {
    /// Newest first.
    pub invitations: Vec<Invitation>,
}

/// A current member of the clinic's staff, as an admin manages them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StaffAccount {
    /// The account id.
    pub user_id: String,
    /// The role.
    pub role: StaffRole,
    /// The person's name.
    pub name: String,
    /// The email they sign in with.
    pub email: String,
    /// Their provider record (bookable or not), if they have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    /// Whether they hold a copy of the clinic's current key.
    pub holds_current_clinic_key: bool,
}

/// `GET /api/admin/staff`: receptionists, providers and admins (removed staff are not listed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StaffListResponse {
    /// By name.
    pub staff: Vec<StaffAccount>,
}

/// `PUT /api/admin/staff/{id}/role`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangeRole {
    /// The new role.
    pub role: StaffRole,
}

/// The answer to a role change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleChanged {
    /// The member as they are now.
    pub member: StaffAccount,
    /// True when they held the current clinic key and no longer may (made a receptionist):
    /// their copies are deleted, but they may have kept the key, so publish a new version
    /// shared with the remaining providers and admins (`POST /api/clinic-keys`).
    pub rotate_clinic_key: bool,
}

/// The answer to `DELETE /api/admin/staff/{id}`: the account is disabled, its sessions are
/// ended, its clinic-key copies deleted, its provider record (if any) no longer bookable;
/// bookings stay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StaffRemoved {
    /// The removed account.
    pub user_id: String,
    /// True when they held the current clinic key: rotate it (`POST /api/clinic-keys`), sharing
    /// the new version with the remaining providers and admins only.
    pub rotate_clinic_key: bool,
}

/// `GET /api/admin/clinic`, and the body of `PUT /api/admin/clinic` (all fields replaced).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClinicSettings {
    /// The clinic's name (shown in authenticator apps and to patients), 1 to 200 characters.
    pub name: String,
    /// The IANA time zone schedules are kept in, e.g. `America/New_York`.
    pub time_zone: String,
    /// The origins whose pages may embed the booking widget (its `frame-ancestors`), at most
    /// [`MAX_ALLOWED_ORIGINS`]: each `https://host[:port]`, or `http://localhost[:port]` /
    /// `http://127.0.0.1[:port]` for development. No paths, wildcards or IPv6 literals. Stored
    /// normalized (lowercase, default port dropped, no trailing slash, no duplicates).
    pub allowed_origins: Vec<String>,
}

/// A service as an admin sees it (inactive ones included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdminService {
    /// The id.
    pub id: String,
    /// What patients see.
    pub name: String,
    /// How long one booking lasts, [`MIN_SERVICE_MINUTES`] to [`MAX_SERVICE_MINUTES`].
    pub duration_minutes: u32,
    /// Whether patients can book it (deactivated services keep their bookings).
    pub active: bool,
}

/// `GET /api/admin/services`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdminServicesResponse {
    /// Every service of the clinic, by name.
    pub services: Vec<AdminService>,
}

/// `POST /api/admin/services`: a new, bookable service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateService {
    /// 1 to 200 characters.
    pub name: String,
    /// [`MIN_SERVICE_MINUTES`] to [`MAX_SERVICE_MINUTES`].
    pub duration_minutes: u32,
}

/// `PUT /api/admin/services/{id}`: replaces a service's fields. Existing bookings keep their
/// times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateService {
    /// 1 to 200 characters.
    pub name: String,
    /// [`MIN_SERVICE_MINUTES`] to [`MAX_SERVICE_MINUTES`].
    pub duration_minutes: u32,
    /// Whether patients can book it.
    pub active: bool,
}

/// A provider as an admin sees it (inactive ones included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdminProvider {
    /// The id.
    pub id: String,
    /// The provider's staff account.
    pub user_id: String,
    /// The name patients see.
    pub display_name: String,
    /// Whether patients can book them (deactivated providers keep their bookings).
    pub active: bool,
}

/// `GET /api/admin/providers`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdminProvidersResponse {
    /// Every provider of the clinic, by name.
    pub providers: Vec<AdminProvider>,
}

/// `POST /api/admin/providers`: makes a provider-role staff member bookable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateProvider {
    /// A staff account of this clinic with the provider role and no provider record yet.
    pub user_id: String,
    /// The name patients see, 1 to 200 characters.
    pub display_name: String,
}

/// `PUT /api/admin/providers/{id}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateProvider {
    /// The name patients see, 1 to 200 characters.
    pub display_name: String,
    /// Whether patients can book them (only a current provider-role account can be).
    pub active: bool,
}

/// One weekly working window, in the clinic's local time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScheduleWindow {
    /// 0 = Sunday ... 6 = Saturday (as JavaScript's `getDay`).
    pub weekday: u8,
    /// When it opens, `HH:MM` (24-hour clock).
    pub start: String,
    /// When it closes (exclusive), `HH:MM`, after `start`; `24:00` is the end of the day.
    pub end: String,
}

/// `GET`/`PUT /api/admin/providers/{id}/schedule`: a provider's whole weekly schedule.
/// Windows of one day must not overlap; at most [`MAX_SCHEDULE_WINDOWS`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WeeklySchedule {
    /// By weekday, then start.
    pub windows: Vec<ScheduleWindow>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_patients_are_not_staff() {
        for role in [StaffRole::Receptionist, StaffRole::Provider, StaffRole::Admin] {
            assert_eq!(StaffRole::from_name(role.as_str()), Some(role));
            assert_eq!(serde_json::to_value(role).unwrap(), role.as_str());
        }
        assert_eq!(StaffRole::from_name("patient"), None);
        assert!(serde_json::from_str::<StaffRole>("\"patient\"").is_err());
    }
}
