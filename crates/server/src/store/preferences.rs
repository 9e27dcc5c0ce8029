//! A patient's privacy preferences: their confidential contact and their restriction
//! requests. Every query names the tenant.
//!
//! Each change runs in one `BEGIN IMMEDIATE` transaction with the access-log leaves that
//! record it; changes of state are conditional updates on the state they start from, so of
//! two racing changes one changes the row and the other changes nothing (and the handler
//! reports the state it found).

use sqlx::Connection as _;
use sqlx::Row;

use super::{NewLeaf, Store};
use crate::error::AppError;

/// A patient's confidential contact as stored.
#[derive(Debug, Clone)]
pub struct ContactRow {
    /// The JSON document of method, value and instructions, encrypted under the tenant key
    /// (`confidential_contacts.contact_enc`, bound to the patient's id).
    pub contact_enc: Vec<u8>,
    /// Set, Unix seconds.
    pub updated_at: i64,
}

/// A new restriction request.
#[derive(Debug, Clone)]
pub struct NewRestriction {
    /// The id (chosen by the client).
    pub id: String,
    /// The tenant.
    pub tenant_id: String,
    /// The patient who asks.
    pub patient_id: String,
    /// `health-plan` or `other`.
    pub kind: &'static str,
    /// The sealed details' text form.
    pub details_envelope: String,
    /// Asked, Unix seconds.
    pub requested_at: i64,
}

/// A restriction request as stored, with the names that go with it (still encrypted).
#[derive(Debug, Clone)]
pub struct RestrictionRow {
    /// The id.
    pub id: String,
    /// The tenant.
    pub tenant_id: String,
    /// The patient who asked.
    pub patient_id: String,
    /// The patient's encrypted name (`users.name_enc`).
    pub patient_name_enc: Vec<u8>,
    /// `health-plan` or `other`.
    pub kind: String,
    /// The sealed details' text form.
    pub details_envelope: String,
    /// `pending`, `agreed`, `denied` or `withdrawn`.
    pub status: String,
    /// Asked, Unix seconds.
    pub requested_at: i64,
    /// Agreed or denied, Unix seconds.
    pub decided_at: Option<i64>,
    /// The admin who decided.
    pub decided_by: Option<String>,
    /// That admin's encrypted name (`users.name_enc`).
    pub decided_by_name_enc: Option<Vec<u8>>,
    /// The decision's reason, encrypted (`restrictions.reason_enc` of the row).
    pub reason_enc: Option<Vec<u8>>,
    /// Withdrawn, Unix seconds.
    pub withdrawn_at: Option<i64>,
    /// Last changed, Unix seconds.
    pub updated_at: i64,
}

/// An admin's decision on a restriction request, as stored.
#[derive(Debug, Clone, Copy)]
pub struct RestrictionDecisionRow<'a> {
    /// The admin who decides.
    pub by: &'a str,
    /// `agreed` or `denied`.
    pub status: &'static str,
    /// The reason, encrypted (`restrictions.reason_enc` of the row).
    pub reason_enc: Option<&'a [u8]>,
}

/// The columns and joins [`restriction_row`] reads, as a literal so queries stay literal SQL.
macro_rules! restriction_select {
    () => {
        "SELECT r.id, r.tenant_id, r.patient_id, u.name_enc AS patient_name_enc, r.kind, r.details_envelope, \
         r.status, r.requested_at, r.decided_at, r.decided_by, d.name_enc AS decided_by_name_enc, r.reason_enc, \
         r.withdrawn_at, r.updated_at \
         FROM restrictions r \
         JOIN users u ON u.tenant_id = r.tenant_id AND u.id = r.patient_id \
         LEFT JOIN users d ON d.tenant_id = r.tenant_id AND d.id = r.decided_by "
    };
}

fn restriction_row(r: &sqlx::sqlite::SqliteRow) -> Result<RestrictionRow, sqlx::Error> {
    Ok(RestrictionRow {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        patient_id: r.try_get("patient_id")?,
        patient_name_enc: r.try_get("patient_name_enc")?,
        kind: r.try_get("kind")?,
        details_envelope: r.try_get("details_envelope")?,
        status: r.try_get("status")?,
        requested_at: r.try_get("requested_at")?,
        decided_at: r.try_get("decided_at")?,
        decided_by: r.try_get("decided_by")?,
        decided_by_name_enc: r.try_get("decided_by_name_enc")?,
        reason_enc: r.try_get("reason_enc")?,
        withdrawn_at: r.try_get("withdrawn_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Records a security event of `user_id` in the caller's transaction.
async fn security_event_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    tenant_id: &str,
    user_id: &str,
    kind: &str,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query("INSERT INTO security_events (tenant_id, user_id, kind, at) VALUES (?, ?, ?, ?)")
        .bind(tenant_id)
        .bind(user_id)
        .bind(kind)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// A patient's confidential contact, if they set one.
    ///
    /// # Errors
    /// Database errors.
    pub async fn confidential_contact(
        &self,
        tenant_id: &str,
        patient_id: &str,
    ) -> Result<Option<ContactRow>, AppError> {
        let row = sqlx::query(
            "SELECT contact_enc, updated_at FROM confidential_contacts WHERE tenant_id = ? AND patient_id = ?",
        )
        .bind(tenant_id)
        .bind(patient_id)
        .fetch_optional(&mut *self.read().await?)
        .await?;
        Ok(row
            .map(|r| -> Result<ContactRow, sqlx::Error> {
                Ok(ContactRow { contact_enc: r.try_get("contact_enc")?, updated_at: r.try_get("updated_at")? })
            })
            .transpose()?)
    }

    /// Sets (or replaces) a patient's confidential contact, with the access-log leaves
    /// `if_new` when they had none and `if_replaced` otherwise, and a security event, in one
    /// transaction.
    ///
    /// # Errors
    /// Database errors.
    pub async fn set_confidential_contact(
        &self,
        tenant_id: &str,
        patient_id: &str,
        contact_enc: &[u8],
        now: i64,
        if_new: &[NewLeaf],
        if_replaced: &[NewLeaf],
    ) -> Result<(), AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let existed = sqlx::query("SELECT 1 FROM confidential_contacts WHERE tenant_id = ? AND patient_id = ?")
            .bind(tenant_id)
            .bind(patient_id)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        sqlx::query(
            "INSERT INTO confidential_contacts (patient_id, tenant_id, contact_enc, updated_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (patient_id) DO UPDATE SET contact_enc = excluded.contact_enc, \
             updated_at = excluded.updated_at WHERE tenant_id = excluded.tenant_id",
        )
        .bind(patient_id)
        .bind(tenant_id)
        .bind(contact_enc)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        super::log::append_in(&mut tx, tenant_id, if existed { if_replaced } else { if_new }).await?;
        security_event_in(&mut tx, tenant_id, patient_id, "confidential_contact_set", now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a patient's confidential contact, with its access-log leaves and a security
    /// event, in one transaction. Returns whether there was one (else nothing is written).
    ///
    /// # Errors
    /// Database errors.
    pub async fn clear_confidential_contact(
        &self,
        tenant_id: &str,
        patient_id: &str,
        now: i64,
        log: &[NewLeaf],
    ) -> Result<bool, AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let done = sqlx::query("DELETE FROM confidential_contacts WHERE tenant_id = ? AND patient_id = ?")
            .bind(tenant_id)
            .bind(patient_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        super::log::append_in(&mut tx, tenant_id, log).await?;
        security_event_in(&mut tx, tenant_id, patient_id, "confidential_contact_cleared", now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Creates a restriction request and appends its access-log leaves, in one transaction.
    ///
    /// # Errors
    /// [`AppError::Conflict`] `restriction-exists` if the id is taken (a fresh random id
    /// never is: the client chooses it); database errors.
    pub async fn insert_restriction(&self, r: &NewRestriction, log: &[NewLeaf]) -> Result<(), AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let exists =
            sqlx::query("SELECT 1 FROM restrictions WHERE id = ?").bind(&r.id).fetch_optional(&mut *tx).await?;
        if exists.is_some() {
            return Err(AppError::Conflict {
                kind: "restriction-exists",
                detail: "a restriction request with this id exists; make a new id and seal the details again".into(),
            });
        }
        sqlx::query(
            "INSERT INTO restrictions (id, tenant_id, patient_id, kind, details_envelope, status, requested_at, \
             updated_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
        )
        .bind(&r.id)
        .bind(&r.tenant_id)
        .bind(&r.patient_id)
        .bind(r.kind)
        .bind(&r.details_envelope)
        .bind(r.requested_at)
        .bind(r.requested_at)
        .execute(&mut *tx)
        .await?;
        super::log::append_in(&mut tx, &r.tenant_id, log).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A restriction request of a tenant.
    ///
    /// # Errors
    /// Database errors.
    pub async fn restriction(&self, tenant_id: &str, id: &str) -> Result<Option<RestrictionRow>, AppError> {
        let sql = concat!(restriction_select!(), "WHERE r.tenant_id = ? AND r.id = ?");
        let row = sqlx::query(sql).bind(tenant_id).bind(id).fetch_optional(&mut *self.read().await?).await?;
        Ok(row.as_ref().map(restriction_row).transpose()?)
    }

    /// A tenant's restriction requests, of one patient or (`None`) all, newest first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn restrictions(
        &self,
        tenant_id: &str,
        patient_id: Option<&str>,
    ) -> Result<Vec<RestrictionRow>, AppError> {
        let rows = match patient_id {
            Some(patient_id) => {
                let sql = concat!(
                    restriction_select!(),
                    "WHERE r.tenant_id = ? AND r.patient_id = ? ORDER BY r.requested_at DESC, r.id"
                );
                sqlx::query(sql).bind(tenant_id).bind(patient_id).fetch_all(&mut *self.read().await?).await?
            }
            None => {
                let sql = concat!(restriction_select!(), "WHERE r.tenant_id = ? ORDER BY r.requested_at DESC, r.id");
                sqlx::query(sql).bind(tenant_id).fetch_all(&mut *self.read().await?).await?
            }
        };
        Ok(rows.iter().map(restriction_row).collect::<Result<_, _>>()?)
    }

    /// Agrees to or denies a pending restriction request. Returns whether it changed (else
    /// it was no longer pending).
    ///
    /// # Errors
    /// Database errors.
    pub async fn decide_restriction(
        &self,
        tenant_id: &str,
        id: &str,
        decision: RestrictionDecisionRow<'_>,
        now: i64,
        log: &[NewLeaf],
    ) -> Result<bool, AppError> {
        let RestrictionDecisionRow { by, status, reason_enc } = decision;
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let done = sqlx::query(
            "UPDATE restrictions SET status = ?, decided_at = ?, decided_by = ?, reason_enc = ?, updated_at = ? \
             WHERE tenant_id = ? AND id = ? AND status = 'pending'",
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

    /// Withdraws a pending or agreed restriction request. Returns whether it changed (else it
    /// was denied or withdrawn already).
    ///
    /// # Errors
    /// Database errors.
    pub async fn withdraw_restriction(
        &self,
        tenant_id: &str,
        id: &str,
        now: i64,
        log: &[NewLeaf],
    ) -> Result<bool, AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let done = sqlx::query(
            "UPDATE restrictions SET status = 'withdrawn', withdrawn_at = ?, updated_at = ? \
             WHERE tenant_id = ? AND id = ? AND status IN ('pending', 'agreed')",
        )
        .bind(now)
        .bind(now)
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        super::log::log_and_commit_if_one(tx, done.rows_affected(), tenant_id, log, AppError::from).await
    }
}
