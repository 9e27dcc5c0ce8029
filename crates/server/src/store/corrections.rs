//! Correction (amendment) requests. Every query names the tenant.
//!
//! Each change runs in one `BEGIN IMMEDIATE` transaction with the access-log leaves that
//! record it, and is a conditional update on the state it starts from: of two racing
//! decisions, one changes the row and the other changes nothing (and the handler reports
//! the state it found).

use sqlx::Connection as _;
use sqlx::Row;

use super::{BookingScope, NewLeaf, Store};
use crate::error::AppError;

/// A new correction request.
#[derive(Debug, Clone)]
pub struct NewCorrection {
    /// The id.
    pub id: String,
    /// The tenant.
    pub tenant_id: String,
    /// The booking it concerns.
    pub booking_id: String,
    /// The patient who asks (the booking's patient).
    pub patient_id: String,
    /// The sealed change's text form.
    pub change_envelope: String,
    /// When it was asked, Unix seconds.
    pub requested_at: i64,
    /// When the decision is due, Unix seconds.
    pub due_at: i64,
}

/// A correction as stored, with the booking's provider account (reasons still encrypted).
#[derive(Debug, Clone)]
pub struct CorrectionRow {
    /// The id.
    pub id: String,
    /// The tenant.
    pub tenant_id: String,
    /// The booking.
    pub booking_id: String,
    /// The patient who asked.
    pub patient_id: String,
    /// The staff account of the booking's provider.
    pub provider_user_id: String,
    /// `submitted`, `extended`, `accepted` or `denied`.
    pub status: String,
    /// The sealed change's text form.
    pub change_envelope: String,
    /// Asked, Unix seconds.
    pub requested_at: i64,
    /// Decision due, Unix seconds.
    pub due_at: i64,
    /// Extended, Unix seconds.
    pub extended_at: Option<i64>,
    /// The extension's reason, encrypted (`corrections.extension_reason_enc`).
    pub extension_reason_enc: Option<Vec<u8>>,
    /// Accepted or denied, Unix seconds.
    pub decided_at: Option<i64>,
    /// The denial's reason, encrypted (`corrections.denial_reason_enc`).
    pub denial_reason_enc: Option<Vec<u8>>,
    /// The sealed statement of disagreement's text form.
    pub disagreement_envelope: Option<String>,
    /// Statement filed, Unix seconds.
    pub disagreement_at: Option<i64>,
    /// Last changed, Unix seconds.
    pub updated_at: i64,
}

/// The one extension of a correction's deadline.
#[derive(Debug, Clone, Copy)]
pub struct Extension<'a> {
    /// The staff account that extends it.
    pub by: &'a str,
    /// The reason, encrypted (`corrections.extension_reason_enc` of the row).
    pub reason_enc: &'a [u8],
    /// Seconds added to the deadline.
    pub add_secs: i64,
}

/// A decision on a pending correction.
#[derive(Debug, Clone, Copy)]
pub enum Decision<'a> {
    /// Accepted.
    Accept,
    /// Denied, with the reason encrypted under the tenant key.
    Deny {
        /// `corrections.denial_reason_enc` of the row.
        reason_enc: &'a [u8],
    },
}

/// The columns and joins [`correction_row`] reads, as a literal so queries stay literal SQL.
macro_rules! correction_select {
    () => {
        "SELECT c.id, c.tenant_id, c.booking_id, c.patient_id, p.user_id AS provider_user_id, c.status, \
         c.change_envelope, c.requested_at, c.due_at, c.extended_at, c.extension_reason_enc, c.decided_at, \
         c.denial_reason_enc, c.disagreement_envelope, c.disagreement_at, c.updated_at \
         FROM corrections c \
         JOIN bookings b ON b.tenant_id = c.tenant_id AND b.id = c.booking_id \
         JOIN providers p ON p.tenant_id = b.tenant_id AND p.id = b.provider_id "
    };
}

fn correction_row(r: &sqlx::sqlite::SqliteRow) -> Result<CorrectionRow, sqlx::Error> {
    Ok(CorrectionRow {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        booking_id: r.try_get("booking_id")?,
        patient_id: r.try_get("patient_id")?,
        provider_user_id: r.try_get("provider_user_id")?,
        status: r.try_get("status")?,
        change_envelope: r.try_get("change_envelope")?,
        requested_at: r.try_get("requested_at")?,
        due_at: r.try_get("due_at")?,
        extended_at: r.try_get("extended_at")?,
        extension_reason_enc: r.try_get("extension_reason_enc")?,
        decided_at: r.try_get("decided_at")?,
        denial_reason_enc: r.try_get("denial_reason_enc")?,
        disagreement_envelope: r.try_get("disagreement_envelope")?,
        disagreement_at: r.try_get("disagreement_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

impl Store {
    /// Creates a correction request and appends its access-log leaves, in one transaction.
    ///
    /// # Errors
    /// [`AppError::Conflict`] `correction-exists` if the id is taken (a fresh random id
    /// never is: the client chooses it); database errors, including a booking that is not
    /// the patient's.
    pub async fn insert_correction(&self, c: &NewCorrection, log: &[NewLeaf]) -> Result<(), AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let exists = sqlx::query("SELECT 1 FROM corrections WHERE id = ?").bind(&c.id).fetch_optional(&mut *tx).await?;
        if exists.is_some() {
            return Err(AppError::Conflict {
                kind: "correction-exists",
                detail: "a correction request with this id exists; make a new id and seal the change again".into(),
            });
        }
        sqlx::query(
            "INSERT INTO corrections (id, tenant_id, booking_id, patient_id, status, change_envelope, requested_at, \
             due_at, updated_at) VALUES (?, ?, ?, ?, 'submitted', ?, ?, ?, ?)",
        )
        .bind(&c.id)
        .bind(&c.tenant_id)
        .bind(&c.booking_id)
        .bind(&c.patient_id)
        .bind(&c.change_envelope)
        .bind(c.requested_at)
        .bind(c.due_at)
        .bind(c.requested_at)
        .execute(&mut *tx)
        .await?;
        super::log::append_in(&mut tx, &c.tenant_id, log).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A correction of a tenant.
    ///
    /// # Errors
    /// Database errors.
    pub async fn correction(&self, tenant_id: &str, id: &str) -> Result<Option<CorrectionRow>, AppError> {
        let sql = concat!(correction_select!(), "WHERE c.tenant_id = ? AND c.id = ?");
        let row = sqlx::query(sql).bind(tenant_id).bind(id).fetch_optional(&mut *self.read().await?).await?;
        Ok(row.as_ref().map(correction_row).transpose()?)
    }

    /// A tenant's corrections on the bookings in `scope`, newest request first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn corrections(&self, tenant_id: &str, scope: BookingScope<'_>) -> Result<Vec<CorrectionRow>, AppError> {
        let rows = match scope {
            BookingScope::Patient(patient_id) => {
                let sql = concat!(
                    correction_select!(),
                    "WHERE c.tenant_id = ? AND c.patient_id = ? ORDER BY c.requested_at DESC, c.id"
                );
                sqlx::query(sql).bind(tenant_id).bind(patient_id).fetch_all(&mut *self.read().await?).await?
            }
            BookingScope::Provider(provider_id) => {
                let sql = concat!(
                    correction_select!(),
                    "WHERE c.tenant_id = ? AND b.provider_id = ? ORDER BY c.requested_at DESC, c.id"
                );
                sqlx::query(sql).bind(tenant_id).bind(provider_id).fetch_all(&mut *self.read().await?).await?
            }
            BookingScope::Clinic => {
                let sql = concat!(correction_select!(), "WHERE c.tenant_id = ? ORDER BY c.requested_at DESC, c.id");
                sqlx::query(sql).bind(tenant_id).fetch_all(&mut *self.read().await?).await?
            }
        };
        Ok(rows.iter().map(correction_row).collect::<Result<_, _>>()?)
    }

    /// Extends the deadline of a submitted correction, if it is not past due
    /// at `now`. Returns whether it changed (else it was not submitted, or past due).
    ///
    /// # Errors
    /// Database errors.
    pub async fn extend_correction(
        &self,
        tenant_id: &str,
        id: &str,
        extension: Extension<'_>,
        now: i64,
        log: &[NewLeaf],
    ) -> Result<bool, AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let done = sqlx::query(
            "UPDATE corrections SET status = 'extended', due_at = due_at + ?, extended_at = ?, extended_by = ?, \
             extension_reason_enc = ?, updated_at = ? \
             WHERE tenant_id = ? AND id = ? AND status = 'submitted' AND extended_at IS NULL AND due_at >= ?",
        )
        .bind(extension.add_secs)
        .bind(now)
        .bind(extension.by)
        .bind(extension.reason_enc)
        .bind(now)
        .bind(tenant_id)
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        super::log::log_and_commit_if_one(tx, done.rows_affected(), tenant_id, log, AppError::from).await
    }

    /// Accepts or denies a pending (submitted or extended) correction, by the staff account
    /// `by`. Returns whether it changed (else it was decided already).
    ///
    /// # Errors
    /// Database errors.
    pub async fn decide_correction(
        &self,
        tenant_id: &str,
        id: &str,
        by: &str,
        decision: Decision<'_>,
        now: i64,
        log: &[NewLeaf],
    ) -> Result<bool, AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let (status, reason_enc) = match decision {
            Decision::Accept => ("accepted", None),
            Decision::Deny { reason_enc } => ("denied", Some(reason_enc)),
        };
        let done = sqlx::query(
            "UPDATE corrections SET status = ?, decided_at = ?, decided_by = ?, denial_reason_enc = ?, updated_at = ? \
             WHERE tenant_id = ? AND id = ? AND status IN ('submitted', 'extended')",
        )
        .bind(status)
        .bind(now)
        .bind(by)
        .bind(reason_enc)
        .bind(now)
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        super::log::log_and_commit_if_one(tx, done.rows_affected(), tenant_id, log, AppError::from).await
    }

    /// Files the statement of disagreement of a denied correction that has none. Returns
    /// whether it changed (else it was not denied, or has a statement already).
    ///
    /// # Errors
    /// Database errors.
    pub async fn file_disagreement(
        &self,
        tenant_id: &str,
        id: &str,
        statement: &str,
        now: i64,
        log: &[NewLeaf],
    ) -> Result<bool, AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let done = sqlx::query(
            "UPDATE corrections SET disagreement_envelope = ?, disagreement_at = ?, updated_at = ? \
             WHERE tenant_id = ? AND id = ? AND status = 'denied' AND disagreement_envelope IS NULL",
        )
        .bind(statement)
        .bind(now)
        .bind(now)
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        super::log::log_and_commit_if_one(tx, done.rows_affected(), tenant_id, log, AppError::from).await
    }
}
