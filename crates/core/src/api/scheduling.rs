//! Services, providers, open slots, and bookings.
//!
//! Times on the wire are RFC 3339 timestamps carrying the clinic's UTC offset at that instant
//! (e.g. `2027-03-15T09:00:00-04:00`), so a client shows clinic time without a time-zone
//! database and still compares instants exactly.

use serde::{Deserialize, Serialize};

/// The largest note envelope accepted, in bytes of its text form.
pub const MAX_NOTE_LEN: usize = 64 * 1024;

/// The most days one slots request may cover.
pub const MAX_SLOT_DAYS: u32 = 60;

/// Days covered by a slots request that does not say.
pub const DEFAULT_SLOT_DAYS: u32 = 7;

/// The most days one `GET /api/bookings?from=&to=` may cover (two months and a bit, so a
/// calendar month view with its neighbouring weeks fits in one request).
pub const MAX_BOOKINGS_RANGE_DAYS: u32 = 62;

/// How long before a booking's start the front desk may check the patient in (24 hours);
/// check-in stays open until the booking ends.
pub const CHECK_IN_OPENS_SECS: i64 = 24 * 60 * 60;

/// The `field` of the [`crate::Context`] a booking note is sealed under (with the tenant id,
/// the booking id and [`NOTE_SCHEMA_VERSION`]).
pub const NOTE_FIELD: &str = "note";

/// The `schema_version` of the [`crate::Context`] a booking note is sealed under.
pub const NOTE_SCHEMA_VERSION: u32 = 1;

/// The context a booking's note is sealed under: the tenant, the booking, [`NOTE_FIELD`] and
/// [`NOTE_SCHEMA_VERSION`].
#[must_use]
pub fn note_context(tenant_id: &str, booking_id: &str) -> crate::Context {
    crate::Context::new(tenant_id, booking_id, NOTE_FIELD, NOTE_SCHEMA_VERSION)
}

/// A service a clinic offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Service {
    /// The id.
    pub id: String,
    /// What patients see, e.g. "Follow-up visit".
    pub name: String,
    /// How long one booking of it lasts.
    pub duration_minutes: u32,
}

/// `GET /api/clinics/{tenant}/services`: the clinic's active services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServicesResponse {
    /// The services, by name.
    pub services: Vec<Service>,
}

/// A provider patients can book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Provider {
    /// The id.
    pub id: String,
    /// The name patients see, e.g. "Dr. Dana Rivera".
    pub display_name: String,
}

/// `GET /api/clinics/{tenant}/providers`: the clinic's active providers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProvidersResponse {
    /// The providers, by name.
    pub providers: Vec<Provider>,
}

/// The query of `GET /api/clinics/{tenant}/slots`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SlotsQuery {
    /// The service to book (its duration sets the slot length).
    pub service: String,
    /// Only this provider's slots; all active providers' if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The first day, `YYYY-MM-DD` in the clinic's time zone; today there if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// How many days, 1 to [`MAX_SLOT_DAYS`]; [`DEFAULT_SLOT_DAYS`] if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
}

/// A free slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Slot {
    /// When it starts (RFC 3339, clinic offset). Send this as a booking's `start`.
    pub start: String,
    /// When it ends (RFC 3339, clinic offset).
    pub end: String,
    /// Whose slot it is.
    pub provider_id: String,
}

/// The free slots of a range of days, soonest first; only slots that start in the future.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SlotsResponse {
    /// The clinic's IANA time zone, e.g. `America/New_York`.
    pub time_zone: String,
    /// The service the slots are for.
    pub service_id: String,
    /// The slots, by start time, then provider id.
    pub slots: Vec<Slot>,
}

/// `POST /api/bookings`: a signed-in patient books a slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateBookingRequest {
    /// The booking's id, chosen by the client (16 random bytes, unpadded base64url) so that
    /// it can seal the note to it before sending. Required with a `note`; the server picks
    /// one if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The provider.
    pub provider_id: String,
    /// The service.
    pub service_id: String,
    /// The slot's start, RFC 3339, as [`Slot::start`].
    pub start: String,
    /// The note, sealed in the browser (`bze1.…`, at most [`MAX_NOTE_LEN`] bytes) under the
    /// context (tenant id, booking id, [`NOTE_FIELD`], [`NOTE_SCHEMA_VERSION`]). The server
    /// stores it and never opens it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `POST /api/bookings/{id}/reschedule`: moves a booking to another slot of the same
/// provider and service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RescheduleRequest {
    /// The new start, RFC 3339, as [`Slot::start`].
    pub start: String,
}

/// Whether a booking still holds its slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum BookingStatus {
    /// Booked.
    Active,
    /// Cancelled; the slot is free again.
    Cancelled,
}

/// A booking, as the caller's role may see it. Fields a role must not see are absent from
/// the JSON, not null: a receptionist's view has no `note` key at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Booking {
    /// The id (also the `booking_id` of the note's envelope context).
    pub id: String,
    /// The clinic (tenant) id.
    pub tenant_id: String,
    /// The patient's account id.
    pub patient_id: String,
    /// The patient's name: for staff only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_name: Option<String>,
    /// The provider.
    pub provider_id: String,
    /// The provider's display name.
    pub provider_name: String,
    /// The service.
    pub service_id: String,
    /// The service's name.
    pub service_name: String,
    /// Start, RFC 3339 with the clinic's offset.
    pub start: String,
    /// End, RFC 3339 with the clinic's offset.
    pub end: String,
    /// Active or cancelled.
    pub status: BookingStatus,
    /// The sealed note (`bze1.…`): for the patient and the provider only, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When the patient was checked in at the front desk, RFC 3339 with the clinic's offset;
    /// absent until then. Moving the booking to another time clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_in_at: Option<String>,
    /// How and where the patient asked to be contacted instead of their usual details (HIPAA
    /// confidential communications): for staff only (receptionists, providers, admins), so
    /// whoever contacts the patient about this booking uses it. Absent when the patient set
    /// none, and always absent in a patient's own view (they read it from
    /// `GET /api/preferences`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidential_contact: Option<crate::api::ConfidentialContact>,
    /// Present exactly when a guest (no account) made the booking from the widget: how to
    /// reach them, for staff only (receptionists, providers, admins). Absent for bookings of
    /// patients with accounts. Its presence marks a guest booking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest: Option<crate::api::GuestContact>,
    /// When it was made, RFC 3339 with the clinic's offset.
    pub created_at: String,
    /// When it last changed, RFC 3339 with the clinic's offset.
    pub updated_at: String,
}

/// The query of `GET /api/bookings`: optionally, only the bookings that start within a range
/// of the clinic's local days. Give both or neither.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BookingsQuery {
    /// The first day, `YYYY-MM-DD` in the clinic's time zone (inclusive: from its local
    /// midnight).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The day after the last, `YYYY-MM-DD` in the clinic's time zone (exclusive: up to its
    /// local midnight). After `from`, at most [`MAX_BOOKINGS_RANGE_DAYS`] days later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// `GET /api/bookings`: the bookings the caller may see (in the range asked for), by start
/// time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BookingsResponse {
    /// The bookings.
    pub bookings: Vec<Booking>,
}
