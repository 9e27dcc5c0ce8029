//! Services, providers, open slots, and bookings.
//!
//! Slots come from each provider's weekly schedule, kept in the clinic's local time and
//! turned into instants with the clinic's time zone (`tenants.time_zone`) day by day, so they
//! stay right across daylight-saving changes: a local time that does not exist that day (the
//! spring-forward gap) offers no slot, and one that exists twice (the fall-back fold) offers
//! the first. A booking must start exactly at such a slot.
//!
//! Who sees what (minimum necessary): a patient sees only their own bookings, with their
//! sealed notes; a provider sees the bookings with them, with patient names and sealed
//! notes; receptionists and admins see the clinic's schedule with patient names and no note
//! at all. A booking the caller may not see is 404, exactly like one that does not exist.
//! Staff (not the patient) also see the patient's confidential contact on each booking, if
//! the patient set one, so whoever contacts them uses it; each answer that shows it records
//! one view of it per patient in the access log, besides the views of the bookings.
//!
//! Guests: the booking widget books for people without an account
//! ([`create_guest`]). A guest is a patient row that can never sign in; staff see their
//! email and phone on the booking (`guest`, which also marks it a guest booking), and each
//! answer that shows them records one view of that guest's profile in the access log.
//!
//! Check-in: the front desk (a receptionist or an admin), or the booking's provider, checks
//! the patient in from 24 hours before the start until the end of an active booking, once.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use base64ct::{Base64UrlUnpadded, Encoding};
use bizing_core::Envelope;
use bizing_core::api::{
    Booking, BookingStatus, BookingsQuery, BookingsResponse, CHECK_IN_OPENS_SECS, CreateBookingRequest,
    CreateGuestBookingRequest, DEFAULT_SLOT_DAYS, GuestBookingResponse, GuestContact, MAX_BOOKINGS_RANGE_DAYS,
    MAX_NOTE_LEN, MAX_SLOT_DAYS, Provider, ProvidersResponse, RescheduleRequest, Service, ServicesResponse, Slot,
    SlotsQuery, SlotsResponse,
};
use jiff::civil::Date;
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp, ToSpan};

use crate::AppState;
use crate::access_log::{self, LogAction, LogResource, Who};
use crate::error::AppError;
use crate::extract::JsonBody;
use crate::session::{AnySession, Authenticated};
use crate::store::{
    AckRow, BookingRow, BookingScope, NewBooking, NewGuest, ProviderRow, ScheduleRow, ServiceRow, StartRange,
    TenantRow, UserRow,
};
use crate::vault::TenantKeys;

/// `GET /api/clinics/{tenant}/services` (public).
///
/// # Errors
/// 404 for an unknown clinic.
pub async fn services(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
) -> Result<Json<ServicesResponse>, AppError> {
    let tenant = clinic(&state, &tenant).await?;
    let services = state.store.services(&tenant.id).await?.into_iter().map(wire_service).collect();
    Ok(Json(ServicesResponse { services }))
}

/// `GET /api/clinics/{tenant}/providers` (public).
///
/// # Errors
/// 404 for an unknown clinic.
pub async fn providers(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
) -> Result<Json<ProvidersResponse>, AppError> {
    let tenant = clinic(&state, &tenant).await?;
    let providers = state
        .store
        .providers(&tenant.id)
        .await?
        .into_iter()
        .map(|p| Provider { id: p.id, display_name: p.display_name })
        .collect();
    Ok(Json(ProvidersResponse { providers }))
}

/// `GET /api/clinics/{tenant}/slots?service=&provider=&from=YYYY-MM-DD&days=N` (public): the
/// free slots, soonest first.
///
/// # Errors
/// 404 for an unknown clinic; 400 `invalid-query`, `unknown-service` or `unknown-provider`.
pub async fn slots(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    query: Result<Query<SlotsQuery>, QueryRejection>,
) -> Result<Json<SlotsResponse>, AppError> {
    let tenant = clinic(&state, &tenant).await?;
    let Query(query) = query.map_err(|e| AppError::bad_request("invalid-query", e.body_text()))?;
    let tz = time_zone(&tenant)?;
    let now = state.clock.now();
    let from = match &query.from {
        Some(text) => parse_date(text)?,
        None => Timestamp::from_second(now).map_err(internal)?.to_zoned(tz.clone()).date(),
    };
    let days = query.days.unwrap_or(DEFAULT_SLOT_DAYS);
    if !(1..=MAX_SLOT_DAYS).contains(&days) {
        return Err(AppError::bad_request("invalid-query", format!("days must be 1 to {MAX_SLOT_DAYS}")));
    }
    let service = bookable_service(&state, &tenant.id, &query.service).await?;
    let providers = match &query.provider {
        Some(id) => vec![bookable_provider(&state, &tenant.id, id).await?],
        None => state.store.providers(&tenant.id).await?,
    };
    let mut slots = Vec::new();
    for provider in &providers {
        let windows = state.store.weekly_schedule(&tenant.id, &provider.id).await?;
        let mut free = Vec::new();
        for offset in 0..days {
            let date = from.checked_add(i64::from(offset).days()).map_err(|_| date_out_of_range())?;
            free.extend(day_slots(&tz, date, &windows, service.duration_minutes));
        }
        free.retain(|&(start, _)| start > now);
        if let (Some(first), Some(last)) = (free.first(), free.last()) {
            let busy = state.store.busy(&tenant.id, &provider.id, first.0, last.1).await?;
            free.retain(|&(start, end)| !busy.iter().any(|&(b_start, b_end)| b_start < end && b_end > start));
        }
        for (start, end) in free {
            slots.push((start, provider.id.clone(), end));
        }
    }
    slots.sort();
    let slots = slots
        .into_iter()
        .map(|(start, provider_id, end)| Ok(Slot { start: rfc3339(&tz, start)?, end: rfc3339(&tz, end)?, provider_id }))
        .collect::<Result<_, AppError>>()?;
    Ok(Json(SlotsResponse { time_zone: tenant.time_zone.clone(), service_id: service.id, slots }))
}

/// `POST /api/bookings`: a signed-in patient books a free slot. 201 with the booking.
///
/// # Errors
/// 403 for staff; 400 for bad input (`invalid-body`, `invalid-start`, `in-the-past`,
/// `outside-schedule`, `unknown-provider`, `unknown-service`, `invalid-note`,
/// `note-too-large`, `note-not-for-clinic`); 409 `slot-taken`, `booking-exists` or
/// `no-clinic-key` (a note, but no clinic key to seal it to).
pub async fn create(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    JsonBody(req): JsonBody<CreateBookingRequest>,
) -> Result<(StatusCode, Json<Booking>), AppError> {
    let (user, viewer) = viewer(&s)?;
    if !matches!(viewer, Viewer::Patient) {
        return Err(AppError::Forbidden);
    }
    crate::npp::ensure_acknowledged(&state, &s.tenant_id, &user.id, &user.role).await?;
    let id = match &req.id {
        Some(id) => {
            check_booking_id(id)?;
            id.clone()
        }
        None if req.note.is_some() => {
            return Err(AppError::bad_request(
                "invalid-body",
                "id is required with a note: the note's envelope is sealed to the booking id",
            ));
        }
        None => crate::auth::new_id()?,
    };
    if let Some(note) = &req.note {
        check_note(note)?;
        crate::clinic_keys::ensure_note_for_clinic(&state, &s.tenant_id, note).await?;
    }
    let tenant = s.tenant.clone();
    let now = state.clock.now();
    let slot = BookableSlot::find(&state, &tenant, &req.provider_id, &req.service_id, &req.start, now).await?;
    let booking = slot.booking(id.clone(), user.id.clone(), req.note);
    let (who, keys) = actor(&state, &tenant, &user)?;
    let event = access(&state, &tenant, &user.id, &who, created_kind(&booking), &id, LogAction::CREATE)?;
    state.store.insert_booking(&booking, now, &access_log::prepare(&keys, &[event])?).await?;
    // What was just written, as its patient sees it, without reading it back.
    let row = slot.stored(booking, &user, now);
    Ok((StatusCode::CREATED, Json(wire_booking(&row, &viewer, None, &slot.tz)?)))
}

/// `POST /api/clinics/{tenant}/guest-bookings` (no session): a guest of the booking widget,
/// without an account, books a free slot. In one transaction: the guest (a patient who can
/// never sign in, their details encrypted at rest), their acknowledgment of the clinic's
/// current notice (channel `widget`), the booking, and its access event (the guest creates
/// it, as a patient creates theirs). Nothing is stored on any error. 201 with the booking's
/// id and status only: no PHI.
///
/// When the server knows its public origin ([`crate::Config::public_origin`]), a request
/// whose `Origin` names another origin is refused: the widget posts from its iframe on this
/// origin. Rate limited per client address (the `guest-booking` class, 10 a minute).
///
/// # Errors
/// 404 for an unknown clinic; 403 `origin-not-allowed`; 400 `invalid-body`, `invalid-guest`,
/// `invalid-note`, `note-too-large`, `wrong-recipients` (a note sealed to anything but exactly
/// the clinic's current key) and those of booking (`invalid-start`, `in-the-past`,
/// `outside-schedule`, `unknown-provider`, `unknown-service`); 409 `npp-outdated`, `no-npp`,
/// `no-clinic-key`, `slot-taken`, `booking-exists`; 429 `rate-limited`.
pub async fn create_guest(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    JsonBody(req): JsonBody<CreateGuestBookingRequest>,
) -> Result<(StatusCode, Json<GuestBookingResponse>), AppError> {
    check_origin(&state, &headers)?;
    let tenant = clinic(&state, &tenant).await?;
    check_booking_id(&req.id)?;
    let guest = req.guest.checked().map_err(|e| AppError::bad_request("invalid-guest", e.to_string()))?;
    if let Some(note) = &req.note {
        check_note(note)?;
        crate::clinic_keys::ensure_note_for_clinic_only(&state, &tenant.id, note).await?;
    }
    let now = state.clock.now();
    let slot = BookableSlot::find(&state, &tenant, &req.provider_id, &req.service_id, &req.start, now).await?;
    let keys = state.master.tenant_keys(&tenant.id, &tenant.data_key_wrapped)?;
    let guest_id = crate::auth::new_id()?;
    let row = NewGuest {
        id: guest_id.clone(),
        tenant_id: tenant.id.clone(),
        email_index: keys.guest_index(&guest_id),
        email_enc: keys.encrypt("users", "email_enc", &guest_id, &guest.email)?,
        name_enc: keys.encrypt("users", "name_enc", &guest_id, &guest.name)?,
        phone_enc: guest.phone.as_deref().map(|p| keys.encrypt("users", "phone_enc", &guest_id, p)).transpose()?,
    };
    let booking = slot.booking(req.id, guest_id.clone(), req.note);
    let who = access_log::own(&guest_id, &guest.name);
    let event = access(&state, &tenant, &guest_id, &who, created_kind(&booking), &booking.id, LogAction::CREATE)?;
    let ack = AckRow { version_hash: req.npp_version_hash, acknowledged_at: now, channel: "widget".into() };
    state.store.insert_guest_booking(&row, &ack, &booking, now, &access_log::prepare(&keys, &[event])?).await?;
    Ok((StatusCode::CREATED, Json(GuestBookingResponse { id: booking.id, status: BookingStatus::Active })))
}

/// Refuses (403 `origin-not-allowed`) a request whose `Origin` is not the server's public
/// origin, when that is configured. No `Origin` passes: browsers send one with every `POST`,
/// so only other clients (which could send any value anyway) omit it.
fn check_origin(state: &AppState, headers: &HeaderMap) -> Result<(), AppError> {
    let Some(expected) = &state.config.public_origin else { return Ok(()) };
    match headers.get(header::ORIGIN) {
        None => Ok(()),
        Some(origin) if origin.to_str().is_ok_and(|o| o == expected) => Ok(()),
        Some(_) => Err(AppError::Refused {
            kind: "origin-not-allowed",
            detail: format!("guest bookings are sent from the booking widget on {expected} only"),
        }),
    }
}

/// What a new booking's access event names: its note if it has one, else the booking.
fn created_kind(booking: &NewBooking) -> LogResource {
    if booking.note.is_some() { LogResource::NOTE } else { LogResource::BOOKING }
}

/// A slot a new booking may take: a bookable provider and service of the clinic, and a start
/// in the future on the provider's schedule. Whether it is free is decided by the write
/// transaction ([`crate::store::Store::insert_booking`]).
struct BookableSlot {
    tz: TimeZone,
    tenant_id: String,
    provider: ProviderRow,
    service: ServiceRow,
    start_at: i64,
    end_at: i64,
}

impl BookableSlot {
    /// The slot of `provider_id` and `service_id` at `start` (RFC 3339).
    ///
    /// # Errors
    /// 400 `invalid-start`, `unknown-provider`, `unknown-service`, `in-the-past`,
    /// `outside-schedule`.
    async fn find(
        state: &AppState,
        tenant: &TenantRow,
        provider_id: &str,
        service_id: &str,
        start: &str,
        now: i64,
    ) -> Result<Self, AppError> {
        let tz = time_zone(tenant)?;
        let start = parse_start(start)?;
        let (provider, service, windows) = state.store.booking_parts(&tenant.id, provider_id, service_id).await?;
        let provider = active_provider(provider)?;
        let service = active_service(service)?;
        let (start_at, end_at) = slot_on(&tz, &windows, &service, start, now)?;
        Ok(Self { tz, tenant_id: tenant.id.clone(), provider, service, start_at, end_at })
    }

    /// The booking `id` of `patient_id` in this slot.
    fn booking(&self, id: String, patient_id: String, note: Option<String>) -> NewBooking {
        NewBooking {
            id,
            tenant_id: self.tenant_id.clone(),
            patient_id,
            provider_id: self.provider.id.clone(),
            service_id: self.service.id.clone(),
            start_at: self.start_at,
            end_at: self.end_at,
            note,
        }
    }

    /// `booking` of `patient` in this slot as the store reads it back right after it was
    /// written at `now` (active, not checked in); the patient's own view of it needs nothing
    /// else (no names, no confidential contact).
    fn stored(&self, booking: NewBooking, patient: &UserRow, now: i64) -> BookingRow {
        BookingRow {
            id: booking.id,
            tenant_id: booking.tenant_id,
            patient_id: booking.patient_id,
            patient_name_enc: patient.name_enc.clone(),
            provider_id: booking.provider_id,
            provider_user_id: self.provider.user_id.clone(),
            provider_name: self.provider.display_name.clone(),
            service_id: booking.service_id,
            service_name: self.service.name.clone(),
            start_at: booking.start_at,
            end_at: booking.end_at,
            status: "active".into(),
            note: booking.note,
            checked_in_at: None,
            contact_enc: None,
            created_at: now,
            updated_at: now,
            guest: patient.guest,
            guest_email_enc: patient.guest.then(|| patient.email_enc.clone()),
            guest_phone_enc: None,
        }
    }
}

/// `GET /api/bookings?from=YYYY-MM-DD&to=YYYY-MM-DD`: the bookings the caller may see, by
/// start time; with `from` and `to` (clinic-local days, `to` excluded, at most 62 days), only
/// those that start in that range.
///
/// # Errors
/// 401 without a session; 400 `invalid-query` (an unknown parameter) or `invalid-range`.
pub async fn list(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    query: Result<Query<BookingsQuery>, QueryRejection>,
) -> Result<Json<BookingsResponse>, AppError> {
    let Query(query) = query.map_err(|e| AppError::bad_request("invalid-query", e.body_text()))?;
    let (user, viewer) = viewer(&s)?;
    let tenant = s.tenant.clone();
    let tz = time_zone(&tenant)?;
    let range = start_range(&query, &tz)?;
    let rows = match &viewer {
        Viewer::Patient => state.store.bookings_starting(&tenant.id, BookingScope::Patient(&user.id), range).await?,
        Viewer::Provider => match state.store.provider_by_user(&tenant.id, &user.id).await? {
            Some(p) => state.store.bookings_starting(&tenant.id, BookingScope::Provider(&p.id), range).await?,
            None => Vec::new(),
        },
        Viewer::Staff => state.store.bookings_starting(&tenant.id, BookingScope::Clinic, range).await?,
    };
    let keys = names_key(&state, &tenant, &viewer)?;
    let visible: Vec<&BookingRow> = rows.iter().filter(|b| may_see(&user, &viewer, b)).collect();
    let (who, _) = actor(&state, &tenant, &user)?;
    let mut events =
        visible.iter().map(|b| viewed(&state, &tenant, &who, &viewer, b)).collect::<Result<Vec<_>, _>>()?;
    events.extend(contact_views(&state, &tenant, &who, &viewer, &visible)?);
    access_log::record_for(&state, &tenant, &events).await?;
    let bookings = visible.iter().map(|b| wire_booking(b, &viewer, keys.as_ref(), &tz)).collect::<Result<_, _>>()?;
    Ok(Json(BookingsResponse { bookings }))
}

/// `GET /api/bookings/{id}`
///
/// # Errors
/// 404 if it does not exist or is not the caller's to see.
pub async fn get_one(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Booking>, AppError> {
    let (user, viewer, tenant, row) = visible_booking(&state, &s, &id).await?;
    let keys = names_key(&state, &tenant, &viewer)?;
    let (who, _) = actor(&state, &tenant, &user)?;
    let mut events = vec![viewed(&state, &tenant, &who, &viewer, &row)?];
    events.extend(contact_views(&state, &tenant, &who, &viewer, &[&row])?);
    access_log::record_for(&state, &tenant, &events).await?;
    Ok(Json(wire_booking(&row, &viewer, keys.as_ref(), &time_zone(&tenant)?)?))
}

/// `POST /api/bookings/{id}/cancel`: frees the slot.
///
/// # Errors
/// 404 as for reading it; 409 `booking-cancelled` or `booking-started`.
pub async fn cancel(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Booking>, AppError> {
    let (user, viewer, tenant, row) = visible_booking(&state, &s, &id).await?;
    let now = state.clock.now();
    changeable(&row, now)?;
    let (who, keys) = actor(&state, &tenant, &user)?;
    let event = access(&state, &tenant, &row.patient_id, &who, LogResource::BOOKING, &row.id, LogAction::CANCEL)?;
    if !state.store.cancel_booking(&tenant.id, &row.id, now, &access_log::prepare(&keys, &[event])?).await? {
        return Err(already_cancelled());
    }
    respond(&state, &viewer, &tenant, &who, &row.id).await
}

/// `POST /api/bookings/{id}/reschedule`: moves a booking to another free slot of the same
/// provider and service.
///
/// # Errors
/// 404 as for reading it; 400 as for booking; 409 `slot-taken`, `booking-cancelled` or
/// `booking-started`.
pub async fn reschedule(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<RescheduleRequest>,
) -> Result<Json<Booking>, AppError> {
    let (user, viewer, tenant, row) = visible_booking(&state, &s, &id).await?;
    let now = state.clock.now();
    changeable(&row, now)?;
    let tz = time_zone(&tenant)?;
    let start = parse_start(&req.start)?;
    let (provider, service, windows) = state.store.booking_parts(&tenant.id, &row.provider_id, &row.service_id).await?;
    active_provider(provider)?;
    let service = active_service(service)?;
    let (start_at, end_at) = slot_on(&tz, &windows, &service, start, now)?;
    let (who, keys) = actor(&state, &tenant, &user)?;
    let event = access(&state, &tenant, &row.patient_id, &who, LogResource::BOOKING, &row.id, LogAction::UPDATE)?;
    let log = access_log::prepare(&keys, &[event])?;
    if !state.store.reschedule_booking(&tenant.id, &row.id, start_at, end_at, now, &log).await? {
        return Err(already_cancelled());
    }
    respond(&state, &viewer, &tenant, &who, &row.id).await
}

/// `POST /api/bookings/{id}/check-in`: the front desk (a receptionist or an admin) or the
/// booking's provider checks the patient in, from [`CHECK_IN_OPENS_SECS`] before the start
/// until the end of an active booking. An access event (`check_in`) of the patient.
///
/// # Errors
/// 404 as for reading it; 403 for the patient; 409 `booking-cancelled`,
/// `already-checked-in`, `check-in-not-open` (too early) or `check-in-closed` (over).
pub async fn check_in(
    State(state): State<AppState>,
    Authenticated(s): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Booking>, AppError> {
    let (user, viewer, tenant, row) = visible_booking(&state, &s, &id).await?;
    if viewer == Viewer::Patient {
        return Err(AppError::Forbidden);
    }
    let now = state.clock.now();
    check_in_open(&row, now)?;
    let (who, keys) = actor(&state, &tenant, &user)?;
    let event = access(&state, &tenant, &row.patient_id, &who, LogResource::BOOKING, &row.id, LogAction::CHECK_IN)?;
    let log = access_log::prepare(&keys, &[event])?;
    if !state.store.check_in_booking(&tenant.id, &row.id, &user.id, now, &log).await? {
        // Cancelled or checked in meanwhile: say which.
        let row = state.store.booking(&tenant.id, &row.id).await?.ok_or(AppError::NotFound)?;
        return Err(check_in_open(&row, now).err().unwrap_or_else(already_checked_in));
    }
    respond(&state, &viewer, &tenant, &who, &row.id).await
}

/// The free-standing slots of one provider's schedule on one local date, as `(start, end)`
/// Unix seconds, by start: every `duration_minutes` from each window's start, while the slot
/// ends within the window. Bookings are not subtracted here.
#[must_use]
pub fn day_slots(tz: &TimeZone, date: Date, windows: &[ScheduleRow], duration_minutes: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    if duration_minutes <= 0 {
        return out;
    }
    let weekday = i64::from(date.weekday().to_sunday_zero_offset());
    for w in windows.iter().filter(|w| w.weekday == weekday) {
        let Some((window_end, _)) = local_instant(tz, date, w.end_minute) else { continue };
        let mut minute = w.start_minute;
        while minute + duration_minutes <= w.end_minute {
            // A local time in the spring-forward gap does not exist that day: no slot.
            if let Some((start, false)) = local_instant(tz, date, minute) {
                let end = start + duration_minutes * 60;
                if end <= window_end {
                    out.push((start, end));
                }
            }
            minute += duration_minutes;
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The instant of `minute` (0..=1440) of local `date`, and whether that local time falls in
/// a gap. In a fold, the earlier instant.
fn local_instant(tz: &TimeZone, date: Date, minute: i64) -> Option<(i64, bool)> {
    let local = date.at(0, 0, 0, 0).checked_add(SignedDuration::from_mins(minute)).ok()?;
    let ambiguous = tz.to_ambiguous_timestamp(local);
    let gap = matches!(ambiguous.offset(), AmbiguousOffset::Gap { .. });
    Some((ambiguous.earlier().ok()?.as_second(), gap))
}

/// The caller as an access-log actor, and the tenant keys (to read their name and to
/// encrypt log entries).
fn actor(state: &AppState, tenant: &TenantRow, user: &UserRow) -> Result<(Who, TenantKeys), AppError> {
    let keys = state.master.tenant_keys(&tenant.id, &tenant.data_key_wrapped)?;
    let display_name = keys.decrypt("users", "name_enc", &user.id, &user.name_enc)?;
    Ok((Who { user_id: user.id.clone(), role: user.role.clone(), display_name }, keys))
}

/// An access event for a booking of `patient_id`.
fn access(
    state: &AppState,
    tenant: &TenantRow,
    patient_id: &str,
    who: &Who,
    kind: LogResource,
    booking_id: &str,
    action: LogAction,
) -> Result<bizing_core::AccessEvent, AppError> {
    access_log::event(
        state,
        &tenant.id,
        access_log::Access { patient_id, who, kind, resource_id: booking_id, action, from: "api" },
    )
}

/// The events for showing the contact details on `rows` to `viewer` (staff only; a patient's
/// own view has none): one view of the confidential contact per patient whose contact the
/// answer carries, and one view of the profile (their email and phone) per guest on it.
fn contact_views(
    state: &AppState,
    tenant: &TenantRow,
    who: &Who,
    viewer: &Viewer,
    rows: &[&BookingRow],
) -> Result<Vec<bizing_core::AccessEvent>, AppError> {
    if *viewer == Viewer::Patient {
        return Ok(Vec::new());
    }
    let patients = |shown: fn(&BookingRow) -> bool| {
        let mut ids: Vec<&str> = rows.iter().filter(|b| shown(b)).map(|b| b.patient_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let contacts = patients(|b| b.contact_enc.is_some()).into_iter().map(|id| (id, LogResource::CONFIDENTIAL_CONTACT));
    let guests = patients(|b| b.guest).into_iter().map(|id| (id, LogResource::PROFILE));
    contacts
        .chain(guests)
        .map(|(patient_id, kind)| {
            access_log::event(
                state,
                &tenant.id,
                access_log::Access {
                    patient_id,
                    who,
                    kind,
                    resource_id: patient_id,
                    action: LogAction::VIEW,
                    from: "api",
                },
            )
        })
        .collect()
}

/// The event for showing `b` to `viewer`: the note when the answer carries its envelope,
/// else the booking.
fn viewed(
    state: &AppState,
    tenant: &TenantRow,
    who: &Who,
    viewer: &Viewer,
    b: &BookingRow,
) -> Result<bizing_core::AccessEvent, AppError> {
    let with_note = b.note.is_some() && matches!(viewer, Viewer::Patient | Viewer::Provider);
    let kind = if with_note { LogResource::NOTE } else { LogResource::BOOKING };
    access(state, tenant, &b.patient_id, who, kind, &b.id, LogAction::VIEW)
}

/// Who is asking, as far as bookings go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Viewer {
    /// Their own bookings, with notes.
    Patient,
    /// Bookings with them, with names and notes.
    Provider,
    /// Receptionist or admin: the clinic's schedule, names, no notes.
    Staff,
}

fn viewer(s: &AnySession) -> Result<(UserRow, Viewer), AppError> {
    let user = s.user.clone();
    let viewer = match user.role.as_str() {
        "patient" => Viewer::Patient,
        "provider" => Viewer::Provider,
        "receptionist" | "admin" => Viewer::Staff,
        other => return Err(AppError::Internal(format!("unknown role {other}"))),
    };
    Ok((user, viewer))
}

fn may_see(user: &UserRow, viewer: &Viewer, b: &BookingRow) -> bool {
    b.tenant_id == user.tenant_id
        && match viewer {
            Viewer::Patient => b.patient_id == user.id,
            Viewer::Provider => b.provider_user_id == user.id,
            Viewer::Staff => true,
        }
}

/// The booking `id` if the caller may see it; 404 otherwise, whatever the reason.
async fn visible_booking(
    state: &AppState,
    s: &AnySession,
    id: &str,
) -> Result<(UserRow, Viewer, TenantRow, BookingRow), AppError> {
    let (user, viewer) = viewer(s)?;
    let tenant = s.tenant.clone();
    let row = state.store.booking(&tenant.id, id).await?.ok_or(AppError::NotFound)?;
    if !may_see(&user, &viewer, &row) {
        return Err(AppError::NotFound);
    }
    Ok((user, viewer, tenant, row))
}

/// The booking `id` after a change, as `viewer` sees it. The change itself was logged with
/// it; a confidential contact in the answer is logged as viewed before it is returned.
async fn respond(
    state: &AppState,
    viewer: &Viewer,
    tenant: &TenantRow,
    who: &Who,
    id: &str,
) -> Result<Json<Booking>, AppError> {
    let row = state.store.booking(&tenant.id, id).await?.ok_or(AppError::NotFound)?;
    let keys = names_key(state, tenant, viewer)?;
    access_log::record_for(state, tenant, &contact_views(state, tenant, who, viewer, &[&row])?).await?;
    Ok(Json(wire_booking(&row, viewer, keys.as_ref(), &time_zone(tenant)?)?))
}

/// The tenant keys, for the roles that see patient names.
fn names_key(state: &AppState, tenant: &TenantRow, viewer: &Viewer) -> Result<Option<TenantKeys>, AppError> {
    match viewer {
        Viewer::Patient => Ok(None),
        Viewer::Provider | Viewer::Staff => Ok(Some(state.master.tenant_keys(&tenant.id, &tenant.data_key_wrapped)?)),
    }
}

/// A booking as `viewer` may see it: names and the confidential contact only with `keys`
/// (staff), notes only for the patient and the provider.
fn wire_booking(
    b: &BookingRow,
    viewer: &Viewer,
    keys: Option<&TenantKeys>,
    tz: &TimeZone,
) -> Result<Booking, AppError> {
    let patient_name = match keys {
        Some(keys) if *viewer != Viewer::Patient => {
            Some(keys.decrypt("users", "name_enc", &b.patient_id, &b.patient_name_enc)?)
        }
        _ => None,
    };
    let note = match viewer {
        Viewer::Patient | Viewer::Provider => b.note.clone(),
        Viewer::Staff => None,
    };
    let confidential_contact = match (keys, &b.contact_enc) {
        (Some(keys), Some(enc)) if *viewer != Viewer::Patient => {
            Some(crate::preferences::open_contact(keys, &b.patient_id, enc)?)
        }
        _ => None,
    };
    let guest = match keys {
        Some(keys) if *viewer != Viewer::Patient && b.guest => {
            let email = b.guest_email_enc.as_ref().ok_or_else(|| AppError::Internal("guest without email".into()))?;
            Some(GuestContact {
                email: keys.decrypt("users", "email_enc", &b.patient_id, email)?,
                phone: b
                    .guest_phone_enc
                    .as_ref()
                    .map(|enc| keys.decrypt("users", "phone_enc", &b.patient_id, enc))
                    .transpose()?,
            })
        }
        _ => None,
    };
    let status = match b.status.as_str() {
        "active" => BookingStatus::Active,
        "cancelled" => BookingStatus::Cancelled,
        other => return Err(AppError::Internal(format!("booking status {other}"))),
    };
    Ok(Booking {
        id: b.id.clone(),
        tenant_id: b.tenant_id.clone(),
        patient_id: b.patient_id.clone(),
        patient_name,
        provider_id: b.provider_id.clone(),
        provider_name: b.provider_name.clone(),
        service_id: b.service_id.clone(),
        service_name: b.service_name.clone(),
        start: rfc3339(tz, b.start_at)?,
        end: rfc3339(tz, b.end_at)?,
        status,
        note,
        checked_in_at: b.checked_in_at.map(|at| rfc3339(tz, at)).transpose()?,
        confidential_contact,
        guest,
        created_at: rfc3339(tz, b.created_at)?,
        updated_at: rfc3339(tz, b.updated_at)?,
    })
}

/// A patient's own booking as the wire shows it to them (with its sealed note), in the
/// clinic's time zone: for the export.
pub(crate) fn patient_view(b: &BookingRow, tenant: &TenantRow) -> Result<Booking, AppError> {
    wire_booking(b, &Viewer::Patient, None, &time_zone(tenant)?)
}

fn wire_service(s: ServiceRow) -> Service {
    Service { id: s.id, name: s.name, duration_minutes: u32::try_from(s.duration_minutes).unwrap_or(0) }
}

async fn clinic(state: &AppState, tenant_id: &str) -> Result<TenantRow, AppError> {
    state.store.tenant(tenant_id).await?.ok_or(AppError::NotFound)
}

fn time_zone(tenant: &TenantRow) -> Result<TimeZone, AppError> {
    TimeZone::get(&tenant.time_zone)
        .map_err(|e| AppError::Internal(format!("tenant {}: time zone {}: {e}", tenant.id, tenant.time_zone)))
}

fn internal(e: jiff::Error) -> AppError {
    AppError::Internal(format!("time: {e}"))
}

/// Unix seconds as RFC 3339 with the clinic's offset at that instant.
fn rfc3339(tz: &TimeZone, seconds: i64) -> Result<String, AppError> {
    let ts = Timestamp::from_second(seconds).map_err(internal)?;
    Ok(ts.display_with_offset(tz.to_offset(ts)).to_string())
}

fn date_out_of_range() -> AppError {
    AppError::bad_request("invalid-query", "from and days reach past the supported dates")
}

fn parse_date(text: &str) -> Result<Date, AppError> {
    let bad = || AppError::bad_request("invalid-query", "from must be a date as YYYY-MM-DD");
    if text.len() != 10 {
        return Err(bad());
    }
    text.parse::<Date>().map_err(|_| bad())
}

/// The start times `query` asks for: all without `from` and `to`; with both, from local
/// midnight of `from` to local midnight of `to` in the clinic's zone (the first instant of
/// each day, whatever daylight saving does that night).
fn start_range(query: &BookingsQuery, tz: &TimeZone) -> Result<StartRange, AppError> {
    let bad = |detail: &str| AppError::bad_request("invalid-range", detail.to_owned());
    let (from, to) = match (&query.from, &query.to) {
        (None, None) => return Ok(StartRange::ALL),
        (Some(from), Some(to)) => (from, to),
        _ => return Err(bad("give both from and to (clinic-local dates, YYYY-MM-DD), or neither")),
    };
    let day = |text: &str| (text.len() == 10).then(|| text.parse::<Date>().ok()).flatten();
    let (Some(from), Some(to)) = (day(from), day(to)) else {
        return Err(bad("from and to must be dates as YYYY-MM-DD"));
    };
    if to <= from {
        return Err(bad("to must be after from (from is included, to is not)"));
    }
    let days = to.since(from).map_err(internal)?.get_days();
    if days > i32::try_from(MAX_BOOKINGS_RANGE_DAYS).unwrap_or(i32::MAX) {
        return Err(bad(&format!("from and to may be at most {MAX_BOOKINGS_RANGE_DAYS} days apart")));
    }
    let midnight = |date: Date| {
        date.to_zoned(tz.clone())
            .map(|z| z.timestamp().as_second())
            .map_err(|_| bad("from and to reach past the supported dates"))
    };
    Ok(StartRange { from: midnight(from)?, to: midnight(to)? })
}

fn parse_start(text: &str) -> Result<Timestamp, AppError> {
    let start = text.parse::<Timestamp>().map_err(|_| {
        AppError::bad_request(
            "invalid-start",
            "start must be an RFC 3339 timestamp with an offset, e.g. 2027-03-15T09:00:00-04:00",
        )
    })?;
    if start.subsec_nanosecond() != 0 {
        return Err(AppError::bad_request("outside-schedule", "start is not the start of a slot"));
    }
    Ok(start)
}

fn check_booking_id(id: &str) -> Result<(), AppError> {
    match Base64UrlUnpadded::decode_vec(id) {
        Ok(raw) if raw.len() == 16 => Ok(()),
        _ => Err(AppError::bad_request("invalid-body", "id must be 16 random bytes in unpadded base64url")),
    }
}

fn check_note(note: &str) -> Result<(), AppError> {
    if note.len() > MAX_NOTE_LEN {
        return Err(AppError::bad_request("note-too-large", format!("note must be at most {MAX_NOTE_LEN} bytes")));
    }
    note.parse::<Envelope>()
        .map_err(|_| AppError::bad_request("invalid-note", "note must be a sealed envelope (bze1.…)"))?;
    Ok(())
}

async fn bookable_service(state: &AppState, tenant_id: &str, id: &str) -> Result<ServiceRow, AppError> {
    active_service(state.store.service(tenant_id, id).await?)
}

async fn bookable_provider(state: &AppState, tenant_id: &str, id: &str) -> Result<ProviderRow, AppError> {
    active_provider(state.store.provider(tenant_id, id).await?)
}

/// The service if there is one and it is active; 400 `unknown-service` otherwise.
fn active_service(row: Option<ServiceRow>) -> Result<ServiceRow, AppError> {
    row.filter(|s| s.active).ok_or_else(|| AppError::bad_request("unknown-service", "no such service at this clinic"))
}

/// The provider if there is one and they are active; 400 `unknown-provider` otherwise.
fn active_provider(row: Option<ProviderRow>) -> Result<ProviderRow, AppError> {
    row.filter(|p| p.active).ok_or_else(|| AppError::bad_request("unknown-provider", "no such provider at this clinic"))
}

/// The slot `(start, end)` that starts at `start`, if it is in the future and on the
/// provider's weekly schedule `windows` for `service` (free or not: the write transaction
/// decides that).
fn slot_on(
    tz: &TimeZone,
    windows: &[ScheduleRow],
    service: &ServiceRow,
    start: Timestamp,
    now: i64,
) -> Result<(i64, i64), AppError> {
    let start = start.as_second();
    if start <= now {
        return Err(AppError::bad_request("in-the-past", "start must be in the future"));
    }
    let date = Timestamp::from_second(start).map_err(internal)?.to_zoned(tz.clone()).date();
    day_slots(tz, date, windows, service.duration_minutes).into_iter().find(|&(s, _)| s == start).ok_or_else(|| {
        AppError::bad_request("outside-schedule", "start is not the start of a slot on the provider's schedule")
    })
}

/// Only bookings that are active and have not started can change.
fn changeable(b: &BookingRow, now: i64) -> Result<(), AppError> {
    if b.status != "active" {
        return Err(already_cancelled());
    }
    if b.start_at <= now {
        return Err(AppError::Conflict {
            kind: "booking-started",
            detail: "this booking has started or is over; it can no longer change".into(),
        });
    }
    Ok(())
}

/// Whether `b` may be checked in at `now`; the 409 saying why not otherwise.
fn check_in_open(b: &BookingRow, now: i64) -> Result<(), AppError> {
    if b.status != "active" {
        return Err(already_cancelled());
    }
    if b.checked_in_at.is_some() {
        return Err(already_checked_in());
    }
    if now < b.start_at - CHECK_IN_OPENS_SECS {
        return Err(AppError::Conflict {
            kind: "check-in-not-open",
            detail: "check-in opens 24 hours before the booking starts".into(),
        });
    }
    if now >= b.end_at {
        return Err(AppError::Conflict {
            kind: "check-in-closed",
            detail: "this booking is over; it can no longer be checked in".into(),
        });
    }
    Ok(())
}

fn already_checked_in() -> AppError {
    AppError::Conflict {
        kind: "already-checked-in",
        detail: "the patient is already checked in for this booking".into(),
    }
}

fn already_cancelled() -> AppError {
    AppError::Conflict { kind: "booking-cancelled", detail: "this booking is cancelled".into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(weekday: i64, start: i64, end: i64) -> ScheduleRow {
        ScheduleRow { weekday, start_minute: start, end_minute: end }
    }

    #[test]
    fn spring_forward_skips_the_missing_hour() {
        let tz = TimeZone::get("America/New_York").unwrap();
        // 2027-03-14 is a Sunday; clocks go from 02:00 EST to 03:00 EDT.
        let date = Date::new(2027, 3, 14).unwrap();
        let slots = day_slots(&tz, date, &[window(0, 60, 240)], 30);
        let shown: Vec<String> = slots.iter().map(|&(s, _)| rfc3339(&tz, s).unwrap()).collect();
        assert_eq!(
            shown,
            [
                "2027-03-14T01:00:00-05:00",
                "2027-03-14T01:30:00-05:00",
                "2027-03-14T03:00:00-04:00",
                "2027-03-14T03:30:00-04:00"
            ]
        );
    }

    #[test]
    fn fall_back_offers_the_first_of_a_repeated_time_and_midnight_ends_work() {
        let tz = TimeZone::get("America/New_York").unwrap();
        // 2026-11-01 is a Sunday; 01:00-02:00 happens twice.
        let date = Date::new(2026, 11, 1).unwrap();
        let slots = day_slots(&tz, date, &[window(0, 60, 120), window(0, 1380, 1440)], 60);
        let shown: Vec<String> = slots.iter().map(|&(s, _)| rfc3339(&tz, s).unwrap()).collect();
        assert_eq!(shown, ["2026-11-01T01:00:00-04:00", "2026-11-01T23:00:00-05:00"]);
        assert!(day_slots(&tz, date, &[window(1, 60, 120)], 60).is_empty(), "a Monday window on a Sunday");
        assert!(day_slots(&tz, date, &[window(0, 60, 120)], 0).is_empty());
    }
}
