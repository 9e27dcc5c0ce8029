//! Services, providers, weekly schedules and bookings. Every query names the tenant.
//!
//! Double booking is prevented twice: creating or moving a booking checks for an overlapping
//! active booking and writes in one `BEGIN IMMEDIATE` transaction (SQLite takes the write
//! lock at `BEGIN`, so two such transactions never interleave their check and write), and a
//! partial unique index on `(provider_id, start_at) WHERE status = 'active'` backs it up.

use sqlx::Connection as _;
use sqlx::Row;

use super::Store;
use crate::error::AppError;

/// A service as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRow {
    /// The id.
    pub id: String,
    /// The tenant.
    pub tenant_id: String,
    /// The name.
    pub name: String,
    /// Minutes one booking lasts.
    pub duration_minutes: i64,
    /// Whether it can be booked.
    pub active: bool,
}

/// A provider as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRow {
    /// The id.
    pub id: String,
    /// The tenant.
    pub tenant_id: String,
    /// The provider's staff account.
    pub user_id: String,
    /// The name patients see.
    pub display_name: String,
    /// Whether they can be booked.
    pub active: bool,
}

/// One weekly working window of a provider, in the clinic's local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleRow {
    /// 0 = Sunday ... 6 = Saturday.
    pub weekday: i64,
    /// Minute of the day the window opens (0..1440).
    pub start_minute: i64,
    /// Minute of the day it closes (exclusive, up to 1440).
    pub end_minute: i64,
}

/// A new booking.
#[derive(Debug, Clone)]
pub struct NewBooking {
    /// The id.
    pub id: String,
    /// The tenant.
    pub tenant_id: String,
    /// The patient's account.
    pub patient_id: String,
    /// The provider.
    pub provider_id: String,
    /// The service.
    pub service_id: String,
    /// Start, Unix seconds.
    pub start_at: i64,
    /// End, Unix seconds.
    pub end_at: i64,
    /// The sealed note's text form, if any.
    pub note: Option<String>,
}

/// A booking as stored, with the names that go with it (the patient's still encrypted).
#[derive(Debug, Clone)]
pub struct BookingRow {
    /// The id.
    pub id: String,
    /// The tenant.
    pub tenant_id: String,
    /// The patient's account.
    pub patient_id: String,
    /// The patient's encrypted name (`users.name_enc`).
    pub patient_name_enc: Vec<u8>,
    /// The provider.
    pub provider_id: String,
    /// The provider's staff account.
    pub provider_user_id: String,
    /// The provider's display name.
    pub provider_name: String,
    /// The service.
    pub service_id: String,
    /// The service's name.
    pub service_name: String,
    /// Start, Unix seconds.
    pub start_at: i64,
    /// End, Unix seconds.
    pub end_at: i64,
    /// `active` or `cancelled`.
    pub status: String,
    /// The sealed note's text form, if any.
    pub note: Option<String>,
    /// Checked in at the front desk, Unix seconds.
    pub checked_in_at: Option<i64>,
    /// The patient's confidential contact, encrypted
    /// (`confidential_contacts.contact_enc` of the patient's id), if they set one.
    pub contact_enc: Option<Vec<u8>>,
    /// Created, Unix seconds.
    pub created_at: i64,
    /// Last changed, Unix seconds.
    pub updated_at: i64,
    /// Whether the patient is a guest of the widget (no account).
    pub guest: bool,
    /// A guest's encrypted email (`users.email_enc`); `None` for patients with accounts.
    pub guest_email_enc: Option<Vec<u8>>,
    /// A guest's encrypted phone number (`users.phone_enc`), if they gave one.
    pub guest_phone_enc: Option<Vec<u8>>,
}

/// The start times a listing covers: `[from, to)`, Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartRange {
    /// The first instant included.
    pub from: i64,
    /// The first instant no longer included.
    pub to: i64,
}

impl StartRange {
    /// Every booking, whenever it starts.
    pub const ALL: Self = Self { from: i64::MIN, to: i64::MAX };
}

/// Which bookings a listing covers.
#[derive(Debug, Clone, Copy)]
pub enum BookingScope<'a> {
    /// The patient's own.
    Patient(&'a str),
    /// Those with this provider.
    Provider(&'a str),
    /// The whole clinic's.
    Clinic,
}

/// The columns and joins [`booking_row`] reads, as a literal so queries stay literal SQL.
macro_rules! booking_select {
    () => {
        "SELECT b.id, b.tenant_id, b.patient_id, u.name_enc AS patient_name_enc, b.provider_id, \
         p.user_id AS provider_user_id, p.display_name AS provider_name, b.service_id, s.name AS service_name, \
         b.start_at, b.end_at, b.status, b.note, b.checked_in_at, cc.contact_enc, b.created_at, b.updated_at, \
         u.guest, CASE WHEN u.guest = 1 THEN u.email_enc END AS guest_email_enc, \
         CASE WHEN u.guest = 1 THEN u.phone_enc END AS guest_phone_enc \
         FROM bookings b \
         JOIN users u ON u.tenant_id = b.tenant_id AND u.id = b.patient_id \
         JOIN providers p ON p.tenant_id = b.tenant_id AND p.id = b.provider_id \
         JOIN services s ON s.tenant_id = b.tenant_id AND s.id = b.service_id \
         LEFT JOIN confidential_contacts cc ON cc.tenant_id = b.tenant_id AND cc.patient_id = b.patient_id "
    };
}

fn booking_row(r: &sqlx::sqlite::SqliteRow) -> Result<BookingRow, sqlx::Error> {
    Ok(BookingRow {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        patient_id: r.try_get("patient_id")?,
        patient_name_enc: r.try_get("patient_name_enc")?,
        provider_id: r.try_get("provider_id")?,
        provider_user_id: r.try_get("provider_user_id")?,
        provider_name: r.try_get("provider_name")?,
        service_id: r.try_get("service_id")?,
        service_name: r.try_get("service_name")?,
        start_at: r.try_get("start_at")?,
        end_at: r.try_get("end_at")?,
        status: r.try_get("status")?,
        note: r.try_get("note")?,
        checked_in_at: r.try_get("checked_in_at")?,
        contact_enc: r.try_get("contact_enc")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        guest: r.try_get::<i64, _>("guest")? != 0,
        guest_email_enc: r.try_get("guest_email_enc")?,
        guest_phone_enc: r.try_get("guest_phone_enc")?,
    })
}

pub(super) fn service_row(r: &sqlx::sqlite::SqliteRow) -> Result<ServiceRow, sqlx::Error> {
    Ok(ServiceRow {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        name: r.try_get("name")?,
        duration_minutes: r.try_get("duration_minutes")?,
        active: r.try_get::<i64, _>("active")? != 0,
    })
}

pub(super) fn provider_row(r: &sqlx::sqlite::SqliteRow) -> Result<ProviderRow, sqlx::Error> {
    Ok(ProviderRow {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        user_id: r.try_get("user_id")?,
        display_name: r.try_get("display_name")?,
        active: r.try_get::<i64, _>("active")? != 0,
    })
}

/// The longest a booking lasts, in seconds: 8 hours, the longest service
/// (`services.duration_minutes` is at most 480), also enforced on `bookings` by migration
/// 0012. The overlap checks use it as a lower bound on the start of any booking that overlaps
/// a time, so the index on `(tenant_id, provider_id, start_at)` reads only the bookings that
/// start in the 8 hours before it, not every earlier booking of the provider.
pub const MAX_BOOKING_SECS: i64 = 8 * 60 * 60;

fn slot_taken() -> AppError {
    AppError::Conflict { kind: "slot-taken", detail: "this time was just booked; choose another slot".into() }
}

/// A unique-index violation means another booking won the slot (the id was checked first).
fn map_write_error(e: sqlx::Error) -> AppError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => slot_taken(),
        _ => e.into(),
    }
}

/// Inserts a booking and appends its access-log leaves, inside the caller's write
/// (`BEGIN IMMEDIATE`) transaction, unless its id is taken or its time overlaps an active
/// booking with the same provider (see [`MAX_BOOKING_SECS`] for the lower bound on the start
/// of such a booking). A [`BatchedWrite`](super::write_thread::BatchedWrite): a refusal
/// writes nothing and is `Ok(Err(..))`; an `Err` may have written the booking without its
/// leaves, and the transaction must be rolled back.
///
/// The checks, the insert and the append are one query of two statements, one round trip to
/// the connection's thread while the write lock is held: the booking is inserted only when
/// both checks pass, and the leaves only when the booking was (`changes()` is the rows of
/// the statement before). When nothing was inserted, a second look tells which check failed.
///
/// # Errors
/// Refused: [`AppError::Conflict`] `booking-exists` or `slot-taken`. Failed: database errors.
async fn insert_booking_logged_in(
    conn: &mut sqlx::SqliteConnection,
    b: &NewBooking,
    now: i64,
    log: &[super::NewLeaf],
) -> Result<super::write_thread::Answer, AppError> {
    let done = sqlx::query(concat!(
        "INSERT INTO bookings (id, tenant_id, patient_id, provider_id, service_id, start_at, end_at, status, \
         note, created_at, updated_at) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, 'active', ?8, ?9, ?9 \
         WHERE NOT EXISTS (SELECT 1 FROM bookings WHERE id = ?1) \
         AND NOT EXISTS (SELECT 1 FROM bookings WHERE tenant_id = ?2 AND provider_id = ?4 AND status = 'active' \
                         AND start_at > ?10 AND start_at < ?7 AND end_at > ?6); ",
        super::log::append_leaves_sql!("2", "11", "changes() = 1")
    ))
    .bind(&b.id)
    .bind(&b.tenant_id)
    .bind(&b.patient_id)
    .bind(&b.provider_id)
    .bind(&b.service_id)
    .bind(b.start_at)
    .bind(b.end_at)
    .bind(&b.note)
    .bind(now)
    .bind(b.start_at.saturating_sub(MAX_BOOKING_SECS))
    .bind(super::log::leaves_json(log))
    .execute(&mut *conn)
    .await
    .map_err(map_write_error)?;
    let leaves = u64::try_from(log.len()).unwrap_or(u64::MAX);
    match done.rows_affected() {
        0 => Ok(Err(refusal(conn, b).await?)),
        n if n == leaves.saturating_add(1) => Ok(Ok(())),
        n => Err(AppError::Internal(format!("booking insert: {n} rows written for 1 booking and {leaves} leaves"))),
    }
}

/// Why [`insert_booking_logged_in`] inserted nothing: `booking-exists` if the id is taken,
/// else `slot-taken`.
///
/// # Errors
/// Database errors.
async fn refusal(conn: &mut sqlx::SqliteConnection, b: &NewBooking) -> Result<AppError, AppError> {
    let taken = sqlx::query("SELECT EXISTS (SELECT 1 FROM bookings WHERE id = ?) AS taken")
        .bind(&b.id)
        .fetch_one(&mut *conn)
        .await?
        .try_get::<bool, _>("taken")?;
    Ok(if taken {
        AppError::Conflict { kind: "booking-exists", detail: "a booking with this id exists; make a new id".into() }
    } else {
        slot_taken()
    })
}

impl Store {
    /// Creates a service.
    ///
    /// # Errors
    /// Database errors (a duplicate id, a duration out of range).
    pub async fn insert_service(&self, s: &ServiceRow) -> Result<(), AppError> {
        sqlx::query("INSERT INTO services (id, tenant_id, name, duration_minutes, active) VALUES (?, ?, ?, ?, ?)")
            .bind(&s.id)
            .bind(&s.tenant_id)
            .bind(&s.name)
            .bind(s.duration_minutes)
            .bind(i64::from(s.active))
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// A tenant's active services, by name.
    ///
    /// # Errors
    /// Database errors.
    pub async fn services(&self, tenant_id: &str) -> Result<Vec<ServiceRow>, AppError> {
        let rows = sqlx::query(
            "SELECT id, tenant_id, name, duration_minutes, active FROM services \
             WHERE tenant_id = ? AND active = 1 ORDER BY name, id",
        )
        .bind(tenant_id)
        .fetch_all(&mut *self.read().await?)
        .await?;
        Ok(rows.iter().map(service_row).collect::<Result<_, _>>()?)
    }

    /// A service of a tenant, active or not.
    ///
    /// # Errors
    /// Database errors.
    pub async fn service(&self, tenant_id: &str, id: &str) -> Result<Option<ServiceRow>, AppError> {
        let row = sqlx::query(
            "SELECT id, tenant_id, name, duration_minutes, active FROM services WHERE tenant_id = ? AND id = ?",
        )
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&mut *self.read().await?)
        .await?;
        Ok(row.as_ref().map(service_row).transpose()?)
    }

    /// Creates a provider linked to a staff account of the same tenant.
    ///
    /// # Errors
    /// Database errors (a duplicate id, an account of another tenant or already a provider).
    pub async fn insert_provider(&self, p: &ProviderRow) -> Result<(), AppError> {
        sqlx::query("INSERT INTO providers (id, tenant_id, user_id, display_name, active) VALUES (?, ?, ?, ?, ?)")
            .bind(&p.id)
            .bind(&p.tenant_id)
            .bind(&p.user_id)
            .bind(&p.display_name)
            .bind(i64::from(p.active))
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// A tenant's active providers, by name.
    ///
    /// # Errors
    /// Database errors.
    pub async fn providers(&self, tenant_id: &str) -> Result<Vec<ProviderRow>, AppError> {
        let rows = sqlx::query(
            "SELECT id, tenant_id, user_id, display_name, active FROM providers \
             WHERE tenant_id = ? AND active = 1 ORDER BY display_name, id",
        )
        .bind(tenant_id)
        .fetch_all(&mut *self.read().await?)
        .await?;
        Ok(rows.iter().map(provider_row).collect::<Result<_, _>>()?)
    }

    /// A provider of a tenant, active or not.
    ///
    /// # Errors
    /// Database errors.
    pub async fn provider(&self, tenant_id: &str, id: &str) -> Result<Option<ProviderRow>, AppError> {
        let row = sqlx::query(
            "SELECT id, tenant_id, user_id, display_name, active FROM providers WHERE tenant_id = ? AND id = ?",
        )
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&mut *self.read().await?)
        .await?;
        Ok(row.as_ref().map(provider_row).transpose()?)
    }

    /// The provider record of a staff account, if it has one.
    ///
    /// # Errors
    /// Database errors.
    pub async fn provider_by_user(&self, tenant_id: &str, user_id: &str) -> Result<Option<ProviderRow>, AppError> {
        let row = sqlx::query(
            "SELECT id, tenant_id, user_id, display_name, active FROM providers WHERE tenant_id = ? AND user_id = ?",
        )
        .bind(tenant_id)
        .bind(user_id)
        .fetch_optional(&mut *self.read().await?)
        .await?;
        Ok(row.as_ref().map(provider_row).transpose()?)
    }

    /// Replaces a provider's weekly schedule, in one transaction.
    ///
    /// # Errors
    /// Database errors (an unknown provider, a window out of range, two windows of one day
    /// starting at the same minute).
    pub async fn set_weekly_schedule(
        &self,
        tenant_id: &str,
        provider_id: &str,
        windows: &[ScheduleRow],
    ) -> Result<(), AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin().await?;
        sqlx::query("DELETE FROM weekly_schedules WHERE tenant_id = ? AND provider_id = ?")
            .bind(tenant_id)
            .bind(provider_id)
            .execute(&mut *tx)
            .await?;
        for w in windows {
            sqlx::query(
                "INSERT INTO weekly_schedules (tenant_id, provider_id, weekday, start_minute, end_minute) \
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(tenant_id)
            .bind(provider_id)
            .bind(w.weekday)
            .bind(w.start_minute)
            .bind(w.end_minute)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A provider, a service and the provider's weekly schedule (by weekday and start), in one
    /// statement: what every new booking is checked against.
    ///
    /// # Errors
    /// Database errors.
    pub async fn booking_parts(
        &self,
        tenant_id: &str,
        provider_id: &str,
        service_id: &str,
    ) -> Result<(Option<ProviderRow>, Option<ServiceRow>, Vec<ScheduleRow>), AppError> {
        let r = sqlx::query(
            "SELECT p.id AS provider_id, p.user_id AS provider_user_id, p.display_name AS provider_display_name, \
                    p.active AS provider_active, \
                    s.id AS service_id, s.name AS service_name, s.duration_minutes AS service_duration_minutes, \
                    s.active AS service_active, \
                    (SELECT json_group_array(json_array(weekday, start_minute, end_minute)) FROM weekly_schedules \
                     WHERE tenant_id = ?1 AND provider_id = ?2) AS schedule \
             FROM (SELECT 1) \
             LEFT JOIN providers p ON p.tenant_id = ?1 AND p.id = ?2 \
             LEFT JOIN services s ON s.tenant_id = ?1 AND s.id = ?3",
        )
        .bind(tenant_id)
        .bind(provider_id)
        .bind(service_id)
        .fetch_one(&mut *self.read().await?)
        .await?;
        let provider = match r.try_get::<Option<String>, _>("provider_id")? {
            Some(id) => Some(ProviderRow {
                id,
                tenant_id: tenant_id.to_owned(),
                user_id: r.try_get("provider_user_id")?,
                display_name: r.try_get("provider_display_name")?,
                active: r.try_get::<i64, _>("provider_active")? != 0,
            }),
            None => None,
        };
        let service = match r.try_get::<Option<String>, _>("service_id")? {
            Some(id) => Some(ServiceRow {
                id,
                tenant_id: tenant_id.to_owned(),
                name: r.try_get("service_name")?,
                duration_minutes: r.try_get("service_duration_minutes")?,
                active: r.try_get::<i64, _>("service_active")? != 0,
            }),
            None => None,
        };
        let windows: Vec<(i64, i64, i64)> = serde_json::from_str(r.try_get("schedule")?)
            .map_err(|e| AppError::Internal(format!("weekly schedule as JSON: {e}")))?;
        let mut schedule: Vec<ScheduleRow> = windows
            .into_iter()
            .map(|(weekday, start_minute, end_minute)| ScheduleRow { weekday, start_minute, end_minute })
            .collect();
        schedule.sort_by_key(|w| (w.weekday, w.start_minute));
        Ok((provider, service, schedule))
    }

    /// A provider's weekly schedule.
    ///
    /// # Errors
    /// Database errors.
    pub async fn weekly_schedule(&self, tenant_id: &str, provider_id: &str) -> Result<Vec<ScheduleRow>, AppError> {
        let rows = sqlx::query(
            "SELECT weekday, start_minute, end_minute FROM weekly_schedules \
             WHERE tenant_id = ? AND provider_id = ? ORDER BY weekday, start_minute",
        )
        .bind(tenant_id)
        .bind(provider_id)
        .fetch_all(&mut *self.read().await?)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ScheduleRow {
                    weekday: r.try_get("weekday")?,
                    start_minute: r.try_get("start_minute")?,
                    end_minute: r.try_get("end_minute")?,
                })
            })
            .collect()
    }

    /// The `(start, end)` of a provider's active bookings that overlap `[from, to)`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn busy(
        &self,
        tenant_id: &str,
        provider_id: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<(i64, i64)>, AppError> {
        let rows = sqlx::query(
            "SELECT start_at, end_at FROM bookings WHERE tenant_id = ? AND provider_id = ? AND status = 'active' \
             AND start_at > ? AND start_at < ? AND end_at > ? ORDER BY start_at",
        )
        .bind(tenant_id)
        .bind(provider_id)
        .bind(from.saturating_sub(MAX_BOOKING_SECS))
        .bind(to)
        .bind(from)
        .fetch_all(&mut *self.read().await?)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("start_at")?, r.try_get("end_at")?))).collect()
    }

    /// Creates a booking unless its time overlaps an active booking with the same provider:
    /// the check and the insert run in one write transaction, with the booking's access-log
    /// leaves.
    ///
    /// # Errors
    /// [`AppError::Conflict`] `slot-taken` on an overlap, `booking-exists` if the id is
    /// taken; database errors.
    pub async fn insert_booking(&self, b: &NewBooking, now: i64, log: &[super::NewLeaf]) -> Result<(), AppError> {
        let job = std::sync::Arc::new((b.clone(), log.to_vec()));
        self.batches
            .run(Box::new(move |conn| {
                let job = std::sync::Arc::clone(&job);
                Box::pin(async move { insert_booking_logged_in(conn, &job.0, now, &job.1).await })
            }))
            .await
    }

    /// Creates a guest's booking: the guest (a patient row that cannot sign in), their
    /// acknowledgment of the clinic's current notice, the booking (checked as in
    /// [`Store::insert_booking`]) and its access-log leaves, all in one write transaction, so
    /// nothing is left behind when any part is refused.
    ///
    /// # Errors
    /// As [`Store::insert_booking`]; [`AppError::Conflict`] `npp-outdated` unless
    /// `ack.version_hash` is the clinic's current notice, `no-npp` if it has none; database
    /// errors.
    pub async fn insert_guest_booking(
        &self,
        guest: &super::NewGuest,
        ack: &super::AckRow,
        b: &NewBooking,
        now: i64,
        log: &[super::NewLeaf],
    ) -> Result<(), AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        super::accounts::insert_guest_in(&mut tx, guest, now).await?;
        super::npp::acknowledge_current_in(&mut tx, &guest.tenant_id, &guest.id, ack).await?;
        insert_booking_logged_in(&mut tx, b, now, log).await??;
        tx.commit().await.map_err(map_write_error)?;
        Ok(())
    }

    /// A booking of a tenant.
    ///
    /// # Errors
    /// Database errors.
    pub async fn booking(&self, tenant_id: &str, id: &str) -> Result<Option<BookingRow>, AppError> {
        let sql = concat!(booking_select!(), "WHERE b.tenant_id = ? AND b.id = ?");
        let row = sqlx::query(sql).bind(tenant_id).bind(id).fetch_optional(&mut *self.read().await?).await?;
        Ok(row.as_ref().map(booking_row).transpose()?)
    }

    /// A tenant's bookings in `scope`, by start time.
    ///
    /// # Errors
    /// Database errors.
    pub async fn bookings(&self, tenant_id: &str, scope: BookingScope<'_>) -> Result<Vec<BookingRow>, AppError> {
        self.bookings_starting(tenant_id, scope, StartRange::ALL).await
    }

    /// A tenant's bookings in `scope` that start within `range`, by start time. The range is
    /// part of the query (the indexes on `start_at` serve it), not a filter afterwards.
    ///
    /// # Errors
    /// Database errors.
    pub async fn bookings_starting(
        &self,
        tenant_id: &str,
        scope: BookingScope<'_>,
        range: StartRange,
    ) -> Result<Vec<BookingRow>, AppError> {
        let rows = match scope {
            BookingScope::Patient(patient_id) => {
                let sql = concat!(
                    booking_select!(),
                    "WHERE b.tenant_id = ? AND b.patient_id = ? AND b.start_at >= ? AND b.start_at < ? \
                     ORDER BY b.start_at, b.id"
                );
                let query = sqlx::query(sql).bind(tenant_id).bind(patient_id);
                query.bind(range.from).bind(range.to).fetch_all(&mut *self.read().await?).await?
            }
            BookingScope::Provider(provider_id) => {
                let sql = concat!(
                    booking_select!(),
                    "WHERE b.tenant_id = ? AND b.provider_id = ? AND b.start_at >= ? AND b.start_at < ? \
                     ORDER BY b.start_at, b.id"
                );
                let query = sqlx::query(sql).bind(tenant_id).bind(provider_id);
                query.bind(range.from).bind(range.to).fetch_all(&mut *self.read().await?).await?
            }
            BookingScope::Clinic => {
                let sql = concat!(
                    booking_select!(),
                    "WHERE b.tenant_id = ? AND b.start_at >= ? AND b.start_at < ? ORDER BY b.start_at, b.id"
                );
                sqlx::query(sql)
                    .bind(tenant_id)
                    .bind(range.from)
                    .bind(range.to)
                    .fetch_all(&mut *self.read().await?)
                    .await?
            }
        };
        Ok(rows.iter().map(booking_row).collect::<Result<_, _>>()?)
    }

    /// Checks in an active booking not yet checked in, by the staff account `by`, and appends
    /// its access-log leaves, in one transaction. Returns whether it changed (else it was
    /// cancelled or checked in meanwhile).
    ///
    /// # Errors
    /// Database errors.
    pub async fn check_in_booking(
        &self,
        tenant_id: &str,
        id: &str,
        by: &str,
        now: i64,
        log: &[super::NewLeaf],
    ) -> Result<bool, AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let done = sqlx::query(
            "UPDATE bookings SET checked_in_at = ?, checked_in_by = ?, updated_at = ? \
             WHERE tenant_id = ? AND id = ? AND status = 'active' AND checked_in_at IS NULL",
        )
        .bind(now)
        .bind(by)
        .bind(now)
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        super::log::log_and_commit_if_one(tx, done.rows_affected(), tenant_id, log, AppError::from).await
    }

    /// Cancels an active booking. Returns whether it was active.
    ///
    /// # Errors
    /// Database errors.
    pub async fn cancel_booking(
        &self,
        tenant_id: &str,
        id: &str,
        now: i64,
        log: &[super::NewLeaf],
    ) -> Result<bool, AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let done = sqlx::query(
            "UPDATE bookings SET status = 'cancelled', updated_at = ? \
             WHERE tenant_id = ? AND id = ? AND status = 'active'",
        )
        .bind(now)
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        super::log::log_and_commit_if_one(tx, done.rows_affected(), tenant_id, log, AppError::from).await
    }

    /// Moves an active booking to `[start_at, end_at)` unless that overlaps another active
    /// booking with its provider: the check and the update run in one write transaction.
    /// Returns whether the booking was still active (and so was moved).
    ///
    /// # Errors
    /// [`AppError::Conflict`] `slot-taken` on an overlap; database errors.
    pub async fn reschedule_booking(
        &self,
        tenant_id: &str,
        id: &str,
        start_at: i64,
        end_at: i64,
        now: i64,
        log: &[super::NewLeaf],
    ) -> Result<bool, AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let overlap = sqlx::query(
            "SELECT 1 FROM bookings o JOIN bookings b ON b.tenant_id = o.tenant_id AND b.provider_id = o.provider_id \
             WHERE b.tenant_id = ? AND b.id = ? AND o.id <> b.id AND o.status = 'active' \
             AND o.start_at > ? AND o.start_at < ? AND o.end_at > ? LIMIT 1",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(start_at.saturating_sub(MAX_BOOKING_SECS))
        .bind(end_at)
        .bind(start_at)
        .fetch_optional(&mut *tx)
        .await?;
        if overlap.is_some() {
            return Err(slot_taken());
        }
        // A check-in was for the old time: the patient checks in again for the new one.
        let done = sqlx::query(
            "UPDATE bookings SET start_at = ?, end_at = ?, checked_in_at = NULL, checked_in_by = NULL, updated_at = ? \
             WHERE tenant_id = ? AND id = ? AND status = 'active'",
        )
        .bind(start_at)
        .bind(end_at)
        .bind(now)
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(map_write_error)?;
        super::log::log_and_commit_if_one(tx, done.rows_affected(), tenant_id, log, map_write_error).await
    }
}
