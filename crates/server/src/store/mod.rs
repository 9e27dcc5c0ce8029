//! All SQL lives in this module (one file per area), behind plain functions, so a PostgreSQL backend can be added without
//! touching the handlers. SQLite runs in WAL mode with foreign keys on.

use std::str::FromStr;

use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};

mod accounts;
mod admin;
mod clinic_keys;
mod connections;
mod corrections;
mod log;
mod npp;
mod preferences;
mod requests;
mod rewrap;
mod scheduling;
mod write_thread;

pub use accounts::{NewGuest, NewUser, SessionRow, UserRow};
pub(crate) use admin::invalid_invitation;
pub use admin::{ClinicSettingsRow, InvitationRow, NewInvitation, StaffMemberRow};
pub use clinic_keys::{ClinicKeyRow, ClinicKeyShareRow, NewClinicKey, NewClinicKeyShare, StaffRow};
pub(crate) use clinic_keys::{unknown_version, wrong_version};
pub use corrections::{CorrectionRow, Decision, Extension, NewCorrection};
pub use log::NewLeaf;
pub(crate) use npp::npp_outdated;
pub use npp::{AckRow, NppRow};
pub use preferences::{ContactRow, NewRestriction, RestrictionDecisionRow, RestrictionRow};
pub use rewrap::{SealedColumn, SealedRow, SealedUpdate};
pub use scheduling::{
    BookingRow, BookingScope, MAX_BOOKING_SECS, NewBooking, ProviderRow, ScheduleRow, ServiceRow, StartRange,
};

use crate::error::AppError;
use connections::{Connections, Lease};
use write_thread::{Batches, WriteThread};

/// Read-only connections of a database file.
const READERS: usize = 8;

/// The database.
///
/// Reads go through a set of read-only connections; every write goes through `writer`, a
/// set of exactly one connection. SQLite allows one writer at a time anyway; queueing writers
/// here, in async code, rather than letting several connections race for the lock keeps them
/// out of SQLite's busy handler, which sleeps (up to 100 ms a time) and made tail latency
/// under load hundreds of milliseconds. Other processes on the same file are still covered by
/// the busy timeout. The sets are not sqlx pools: see `store/connections.rs` for why. The
/// writes nearly every request makes (a new booking, the access-log leaves of a read, the
/// rate-limit counts) run on a thread of their own, the first two batched into shared
/// transactions: see `store/write_thread.rs`.
#[derive(Clone, Debug)]
pub struct Store {
    readers: Connections,
    writer: Connections,
    batches: Batches,
    counter: requests::Counter,
}

/// A tenant as stored.
#[derive(Debug, Clone)]
pub struct TenantRow {
    /// The id (a slug).
    pub id: String,
    /// The clinic's name.
    pub name: String,
    /// IANA time zone.
    pub time_zone: String,
    /// The data key, wrapped under the master key.
    pub data_key_wrapped: Vec<u8>,
}

impl Store {
    /// Opens (creating if needed) the database at `url` (`sqlite://path` or `sqlite::memory:`)
    /// and runs the migrations.
    ///
    /// # Errors
    /// If the database cannot be opened or migrated.
    pub async fn open(url: &str) -> Result<Self, sqlx::Error> {
        let memory = url.contains(":memory:");
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .foreign_keys(true)
            .journal_mode(if memory { SqliteJournalMode::Memory } else { SqliteJournalMode::Wal })
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(std::time::Duration::from_secs(5));
        let writer = Connections::open(&options, 1).await?;
        sqlx::migrate!("./migrations")
            .run(&mut *writer.get().await?)
            .await
            .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        // An in-memory database exists once per connection: there, the writer is all there is.
        let readers =
            if memory { writer.clone() } else { Connections::open(&options.read_only(true), READERS).await? };
        let thread = WriteThread::start()?;
        let batches = Batches::start(writer.clone(), &thread);
        let counter = requests::Counter::start(writer.clone(), &thread);
        Ok(Self { readers, writer, batches, counter })
    }

    /// A read-only connection (the writer's, for an in-memory database), once one is free.
    async fn read(&self) -> Result<Lease<'_>, sqlx::Error> {
        self.readers.get().await
    }

    /// The writing connection, once it is free.
    async fn write(&self) -> Result<Lease<'_>, sqlx::Error> {
        self.writer.get().await
    }

    /// Creates a tenant.
    ///
    /// # Errors
    /// Database errors (including a duplicate id).
    pub async fn insert_tenant(&self, t: &TenantRow, now: i64) -> Result<(), AppError> {
        sqlx::query("INSERT INTO tenants (id, name, time_zone, data_key_wrapped, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(&t.id)
            .bind(&t.name)
            .bind(&t.time_zone)
            .bind(&t.data_key_wrapped)
            .bind(now)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// A tenant by id.
    ///
    /// # Errors
    /// Database errors.
    pub async fn tenant(&self, id: &str) -> Result<Option<TenantRow>, AppError> {
        let row = sqlx::query("SELECT id, name, time_zone, data_key_wrapped FROM tenants WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *self.read().await?)
            .await?;
        Ok(row
            .map(|r| -> Result<TenantRow, sqlx::Error> {
                Ok(TenantRow {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    time_zone: r.try_get("time_zone")?,
                    data_key_wrapped: r.try_get("data_key_wrapped")?,
                })
            })
            .transpose()?)
    }
}
