//! The access log's rows. Appends run in an immediate (write-locked) transaction, so leaf
//! indexes are assigned one writer at a time, even across server instances on one database.

use sqlx::Row;

use super::Store;
use crate::error::AppError;

/// A leaf to append: the patient it concerns, its Merkle leaf hash, and the encrypted entry.
#[derive(Debug, Clone)]
pub struct NewLeaf {
    /// Whose record was accessed.
    pub patient_id: String,
    /// `SHA-256(0x00 || SHA-256(salt || event))`.
    pub leaf_hash: [u8; 32],
    /// Salt and event, encrypted under the tenant key (bound to tenant and index).
    pub entry_enc: Vec<u8>,
}

impl Store {
    /// The next leaf index of a tenant's log.
    ///
    /// # Errors
    /// Database errors.
    pub async fn next_leaf_index(&self, tenant_id: &str) -> Result<i64, AppError> {
        let row = sqlx::query("SELECT COALESCE(MAX(leaf_index) + 1, 0) AS next FROM access_log WHERE tenant_id = ?")
            .bind(tenant_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("next")?)
    }

    /// Appends leaves whose entries were encrypted for indexes starting at `first_index`.
    /// Fails with a conflict (and appends nothing) if another writer took those indexes
    /// first; the caller re-encrypts for the new index and retries.
    ///
    /// # Errors
    /// [`AppError::Conflict`] on a lost race; database errors.
    pub async fn append_leaves(&self, tenant_id: &str, first_index: i64, leaves: &[NewLeaf]) -> Result<(), AppError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let row = sqlx::query("SELECT COALESCE(MAX(leaf_index) + 1, 0) AS next FROM access_log WHERE tenant_id = ?")
            .bind(tenant_id)
            .fetch_one(&mut *tx)
            .await?;
        let next: i64 = row.try_get("next")?;
        if next != first_index {
            return Err(AppError::Conflict { kind: "log-busy", detail: "the access log moved on; retry".into() });
        }
        for (offset, leaf) in leaves.iter().enumerate() {
            sqlx::query(
                "INSERT INTO access_log (tenant_id, leaf_index, patient_id, leaf_hash, entry_enc) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(tenant_id)
            .bind(first_index + i64::try_from(offset).unwrap_or(i64::MAX))
            .bind(&leaf.patient_id)
            .bind(leaf.leaf_hash.as_slice())
            .bind(&leaf.entry_enc)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every leaf hash of a tenant's log, in order.
    ///
    /// # Errors
    /// Database errors, or a stored hash of the wrong length.
    pub async fn leaf_hashes(&self, tenant_id: &str) -> Result<Vec<[u8; 32]>, AppError> {
        let rows = sqlx::query("SELECT leaf_hash FROM access_log WHERE tenant_id = ? ORDER BY leaf_index")
            .bind(tenant_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let bytes: Vec<u8> = r.try_get("leaf_hash")?;
                bytes.try_into().map_err(|_| AppError::Internal("stored leaf hash length".into()))
            })
            .collect()
    }

    /// A patient's entries: (leaf index, encrypted entry), in order.
    ///
    /// # Errors
    /// Database errors.
    pub async fn patient_leaves(&self, tenant_id: &str, patient_id: &str) -> Result<Vec<(i64, Vec<u8>)>, AppError> {
        let rows = sqlx::query(
            "SELECT leaf_index, entry_enc FROM access_log WHERE tenant_id = ? AND patient_id = ? ORDER BY leaf_index",
        )
        .bind(tenant_id)
        .bind(patient_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("leaf_index")?, r.try_get("entry_enc")?))).collect()
    }
}
