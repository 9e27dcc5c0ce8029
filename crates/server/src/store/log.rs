//! The access log's rows. Leaves are appended inside a write-locked (`BEGIN IMMEDIATE`)
//! transaction, so indexes are assigned one writer at a time, even across server instances
//! on one database; a write of PHI appends its leaves in its own transaction (no log entry,
//! no change).

use sqlx::{Row, SqliteConnection};

use super::Store;
use crate::access_log::hex;
use crate::error::AppError;

/// A leaf to append: the patient it concerns, its Merkle leaf hash, and the encrypted entry
/// (salt and event, under the tenant key, bound to the leaf hash).
#[derive(Debug, Clone)]
pub struct NewLeaf {
    /// Whose record was accessed.
    pub patient_id: String,
    /// `SHA-256(0x00 || SHA-256(salt || event))`.
    pub leaf_hash: [u8; 32],
    /// Salt and event, encrypted.
    pub entry_enc: Vec<u8>,
}

/// Appends `leaves` after the tenant's last leaf, inside the caller's write transaction, in
/// one statement (the leaves travel as a JSON array, their bytes in hex; the tenant's last
/// index is read once, from the end of the primary key).
///
/// # Errors
/// Database errors.
pub(crate) async fn append_in(
    conn: &mut SqliteConnection,
    tenant_id: &str,
    leaves: &[NewLeaf],
) -> Result<(), AppError> {
    if leaves.is_empty() {
        return Ok(());
    }
    let rows: Vec<serde_json::Value> = leaves
        .iter()
        .map(|leaf| serde_json::json!([leaf.patient_id, hex(&leaf.leaf_hash), hex(&leaf.entry_enc)]))
        .collect();
    let done = sqlx::query(
        "INSERT INTO access_log (tenant_id, leaf_index, patient_id, leaf_hash, entry_enc) \
         SELECT ?1, (SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM access_log WHERE tenant_id = ?1) + key, \
                value ->> 0, unhex(value ->> 1), unhex(value ->> 2) \
         FROM json_each(?2) ORDER BY key",
    )
    .bind(tenant_id)
    .bind(serde_json::Value::Array(rows).to_string())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != u64::try_from(leaves.len()).unwrap_or(u64::MAX) {
        return Err(AppError::Internal("access log: not every leaf was appended".into()));
    }
    Ok(())
}

/// Finishes a conditional write: when it changed exactly one row, appends its access-log
/// leaves in the same transaction and commits; otherwise rolls back (dropping the
/// transaction) and returns `false`, so a write that did not happen is not logged.
///
/// # Errors
/// Database errors.
pub(crate) async fn log_and_commit_if_one(
    mut tx: sqlx::Transaction<'static, sqlx::Sqlite>,
    rows_affected: u64,
    tenant_id: &str,
    leaves: &[NewLeaf],
    commit_error: fn(sqlx::Error) -> AppError,
) -> Result<bool, AppError> {
    if rows_affected != 1 {
        return Ok(false);
    }
    append_in(&mut tx, tenant_id, leaves).await?;
    tx.commit().await.map_err(commit_error)?;
    Ok(true)
}

impl Store {
    /// Appends leaves in a transaction of their own (for reads: logged before the data is
    /// returned).
    ///
    /// # Errors
    /// Database errors.
    pub async fn append_leaves(&self, tenant_id: &str, leaves: &[NewLeaf]) -> Result<(), AppError> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        append_in(&mut tx, tenant_id, leaves).await?;
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
        rows.iter().map(|r| to_hash(r.try_get("leaf_hash")?)).collect()
    }

    /// A patient's entries: (leaf index, leaf hash, encrypted entry), in order.
    ///
    /// # Errors
    /// Database errors.
    pub async fn patient_leaves(
        &self,
        tenant_id: &str,
        patient_id: &str,
    ) -> Result<Vec<(i64, [u8; 32], Vec<u8>)>, AppError> {
        let rows = sqlx::query(
            "SELECT leaf_index, leaf_hash, entry_enc FROM access_log WHERE tenant_id = ? AND patient_id = ? \
             ORDER BY leaf_index",
        )
        .bind(tenant_id)
        .bind(patient_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("leaf_index")?, to_hash(r.try_get("leaf_hash")?)?, r.try_get("entry_enc")?)))
            .collect()
    }
}

fn to_hash(bytes: Vec<u8>) -> Result<[u8; 32], AppError> {
    bytes.try_into().map_err(|_| AppError::Internal("stored leaf hash length".into()))
}
