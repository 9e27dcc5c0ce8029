//! Sealed texts (booking notes, correction changes, statements of disagreement and restriction
//! requests' details) for rewrapping after a clinic-key rotation. Every query names the
//! tenant.
//!
//! A batch of rewrapped texts is written in one `BEGIN IMMEDIATE` transaction that first
//! checks the clinic key is still the version the batch was made for, then replaces each
//! text only if it is still exactly the one the handler checked the upload against
//! (compare and swap), and appends the access-log leaves: all or nothing.

use sqlx::Connection as _;
use sqlx::Row;

use super::{BookingScope, NewLeaf, Store};
use crate::error::AppError;

/// Which sealed text of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SealedColumn {
    /// `bookings.note`; the id is the booking's.
    Note,
    /// `corrections.change_envelope`; the id is the correction's.
    Change,
    /// `corrections.disagreement_envelope`; the id is the correction's.
    Disagreement,
    /// `restrictions.details_envelope`; the id (and the "booking" id, the context's record
    /// id) is the restriction's.
    Restriction,
}

/// One stored sealed text.
#[derive(Debug, Clone)]
pub struct SealedRow {
    /// Which text.
    pub column: SealedColumn,
    /// The booking id (notes) or correction id.
    pub id: String,
    /// The booking it belongs to.
    pub booking_id: String,
    /// Whose record it is.
    pub patient_id: String,
    /// The envelope's text form.
    pub envelope: String,
}

/// A replacement: `old` (as checked) becomes `new`.
#[derive(Debug, Clone)]
pub struct SealedUpdate {
    /// Which text.
    pub column: SealedColumn,
    /// The booking id (notes) or correction id.
    pub id: String,
    /// The stored text the upload was checked against.
    pub old: String,
    /// The rewrapped text.
    pub new: String,
}

fn sealed_row(r: &sqlx::sqlite::SqliteRow, column: SealedColumn) -> Result<SealedRow, sqlx::Error> {
    Ok(SealedRow {
        column,
        id: r.try_get("id")?,
        booking_id: r.try_get("booking_id")?,
        patient_id: r.try_get("patient_id")?,
        envelope: r.try_get("envelope")?,
    })
}

fn key_rotated(current: i64) -> AppError {
    AppError::Conflict {
        kind: "key-rotated",
        detail: format!("the current clinic-key version is {current}; list the stale texts again and rewrap to it"),
    }
}

impl Store {
    /// The sealed texts of the bookings in `scope` (notes, then correction changes, then
    /// statements of disagreement; each by id), and for the whole clinic also the details of
    /// its restriction requests (by id; providers do not see those).
    ///
    /// # Errors
    /// Database errors.
    pub async fn sealed_texts(&self, tenant_id: &str, scope: BookingScope<'_>) -> Result<Vec<SealedRow>, AppError> {
        let provider = match scope {
            BookingScope::Provider(id) => Some(id),
            BookingScope::Clinic => None,
            // Not used for rewrapping: patients never rewrap.
            BookingScope::Patient(_) => return Ok(Vec::new()),
        };
        let notes = sqlx::query(
            "SELECT id, id AS booking_id, patient_id, note AS envelope FROM bookings \
             WHERE tenant_id = ?1 AND note IS NOT NULL AND (?2 IS NULL OR provider_id = ?2) ORDER BY id",
        )
        .bind(tenant_id)
        .bind(provider)
        .fetch_all(&mut *self.read().await?)
        .await?;
        let changes = sqlx::query(
            "SELECT c.id, c.booking_id, c.patient_id, c.change_envelope AS envelope FROM corrections c \
             JOIN bookings b ON b.tenant_id = c.tenant_id AND b.id = c.booking_id \
             WHERE c.tenant_id = ?1 AND (?2 IS NULL OR b.provider_id = ?2) ORDER BY c.id",
        )
        .bind(tenant_id)
        .bind(provider)
        .fetch_all(&mut *self.read().await?)
        .await?;
        let statements = sqlx::query(
            "SELECT c.id, c.booking_id, c.patient_id, c.disagreement_envelope AS envelope FROM corrections c \
             JOIN bookings b ON b.tenant_id = c.tenant_id AND b.id = c.booking_id \
             WHERE c.tenant_id = ?1 AND c.disagreement_envelope IS NOT NULL AND (?2 IS NULL OR b.provider_id = ?2) \
             ORDER BY c.id",
        )
        .bind(tenant_id)
        .bind(provider)
        .fetch_all(&mut *self.read().await?)
        .await?;
        let restrictions = match provider {
            Some(_) => Vec::new(),
            None => {
                sqlx::query(
                    "SELECT id, id AS booking_id, patient_id, details_envelope AS envelope FROM restrictions \
                     WHERE tenant_id = ? ORDER BY id",
                )
                .bind(tenant_id)
                .fetch_all(&mut *self.read().await?)
                .await?
            }
        };
        let mut out = Vec::with_capacity(notes.len() + changes.len() + statements.len() + restrictions.len());
        for (rows, column) in [
            (notes, SealedColumn::Note),
            (changes, SealedColumn::Change),
            (statements, SealedColumn::Disagreement),
            (restrictions, SealedColumn::Restriction),
        ] {
            for r in &rows {
                out.push(sealed_row(r, column)?);
            }
        }
        Ok(out)
    }

    /// Every version of the clinic's key: `(version, key id)`, oldest first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn clinic_key_ids(&self, tenant_id: &str) -> Result<Vec<(i64, String)>, AppError> {
        let rows = sqlx::query("SELECT version, key_id FROM clinic_keys WHERE tenant_id = ? ORDER BY version")
            .bind(tenant_id)
            .fetch_all(&mut *self.read().await?)
            .await?;
        rows.iter().map(|r| Ok((r.try_get("version")?, r.try_get("key_id")?))).collect()
    }

    /// Stores a batch of rewrapped texts with their access-log leaves, all or nothing.
    ///
    /// # Errors
    /// 409 `key-rotated` if the clinic's current version is no longer `version`,
    /// `rewrap-conflict` if a text changed since it was checked; database errors.
    pub async fn store_rewrapped(
        &self,
        tenant_id: &str,
        version: i64,
        updates: &[SealedUpdate],
        log: &[NewLeaf],
    ) -> Result<(), AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let current: i64 =
            sqlx::query("SELECT COALESCE(MAX(version), 0) AS current FROM clinic_keys WHERE tenant_id = ?")
                .bind(tenant_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get("current")?;
        if current != version {
            return Err(key_rotated(current));
        }
        for u in updates {
            let query = match u.column {
                SealedColumn::Note => "UPDATE bookings SET note = ? WHERE tenant_id = ? AND id = ? AND note = ?",
                SealedColumn::Change => {
                    "UPDATE corrections SET change_envelope = ? WHERE tenant_id = ? AND id = ? AND change_envelope = ?"
                }
                SealedColumn::Disagreement => {
                    "UPDATE corrections SET disagreement_envelope = ? \
                     WHERE tenant_id = ? AND id = ? AND disagreement_envelope = ?"
                }
                SealedColumn::Restriction => {
                    "UPDATE restrictions SET details_envelope = ? WHERE tenant_id = ? AND id = ? AND details_envelope = ?"
                }
            };
            let done =
                sqlx::query(query).bind(&u.new).bind(tenant_id).bind(&u.id).bind(&u.old).execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(AppError::Conflict {
                    kind: "rewrap-conflict",
                    detail: format!("{} changed while the batch was checked; list it again", u.id),
                });
            }
        }
        super::log::append_in(&mut tx, tenant_id, log).await?;
        tx.commit().await?;
        Ok(())
    }
}
