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

/// The statement that appends the leaves of JSON array parameter `?$leaves` (see
/// [`leaves_json`]) after the last leaf of tenant `?$tenant`, when `$when` holds; numbered
/// parameters, so that it can follow another statement in one query. The tenant's last index
/// is read once, from the end of the primary key.
macro_rules! append_leaves_sql {
    ($tenant:literal, $leaves:literal, $when:literal) => {
        concat!(
            "INSERT INTO access_log (tenant_id, leaf_index, patient_id, leaf_hash, entry_enc) SELECT ?",
            $tenant,
            ", (SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM access_log WHERE tenant_id = ?",
            $tenant,
            ") + key, value ->> 0, unhex(value ->> 1), unhex(value ->> 2) FROM json_each(?",
            $leaves,
            ") WHERE ",
            $when,
            " ORDER BY key"
        )
    };
}
pub(crate) use append_leaves_sql;

/// `leaves` as the JSON array [`append_leaves_sql`] reads: `[patient id, leaf hash in hex,
/// entry in hex]` each.
pub(crate) fn leaves_json(leaves: &[NewLeaf]) -> String {
    let rows: Vec<serde_json::Value> = leaves
        .iter()
        .map(|leaf| serde_json::json!([leaf.patient_id, hex(&leaf.leaf_hash), hex(&leaf.entry_enc)]))
        .collect();
    serde_json::Value::Array(rows).to_string()
}

/// Appends `leaves` after the tenant's last leaf, inside the caller's write transaction, in
/// one statement.
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
    let done = sqlx::query(append_leaves_sql!("1", "2", "true"))
        .bind(tenant_id)
        .bind(leaves_json(leaves))
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
    mut tx: sqlx::Transaction<'_, sqlx::Sqlite>,
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
        let job = std::sync::Arc::new((tenant_id.to_owned(), leaves.to_vec()));
        self.batches
            .run(Box::new(move |conn| {
                let job = std::sync::Arc::clone(&job);
                // Every leaf or none (one statement): an error is a failure, never a refusal.
                Box::pin(async move { append_in(conn, &job.0, &job.1).await.map(Ok) })
            }))
            .await
    }

    /// Every leaf hash of a tenant's log, in order.
    ///
    /// # Errors
    /// Database errors, or a stored hash of the wrong length.
    pub async fn leaf_hashes(&self, tenant_id: &str) -> Result<Vec<[u8; 32]>, AppError> {
        let rows = sqlx::query("SELECT leaf_hash FROM access_log WHERE tenant_id = ? ORDER BY leaf_index")
            .bind(tenant_id)
            .fetch_all(&mut *self.read().await?)
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
        .fetch_all(&mut *self.read().await?)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("leaf_index")?, to_hash(r.try_get("leaf_hash")?)?, r.try_get("entry_enc")?)))
            .collect()
    }
}

fn to_hash(bytes: Vec<u8>) -> Result<[u8; 32], AppError> {
    bytes.try_into().map_err(|_| AppError::Internal("stored leaf hash length".into()))
}
