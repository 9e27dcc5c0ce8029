//! Clinic keys and their wrapped copies. Every query names the tenant.
//!
//! Publishing a version and adding shares each run in one `BEGIN IMMEDIATE` transaction that
//! re-checks what the handler validated (the version is the next one, each recipient is a
//! provider or admin of the clinic with the personal key the copy was wrapped to), so two
//! admins publishing at once, or a role changed meanwhile, cannot leave a wrong or
//! half-written version behind.

use sqlx::Connection as _;
use sqlx::{Row, SqliteConnection};

use super::Store;
use crate::error::AppError;

/// One version of a clinic key as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClinicKeyRow {
    /// The tenant.
    pub tenant_id: String,
    /// The version, from 1.
    pub version: i64,
    /// Text form of the key id at this version.
    pub key_id: String,
    /// SEC1 uncompressed public key.
    pub public_key: Vec<u8>,
    /// When published.
    pub created_at: i64,
    /// The admin who published it.
    pub created_by: String,
}

/// A version to publish.
#[derive(Debug, Clone)]
pub struct NewClinicKey {
    /// The tenant.
    pub tenant_id: String,
    /// The version: must be one more than the current one (1 for the first).
    pub version: i64,
    /// Text form of the key id at this version.
    pub key_id: String,
    /// SEC1 uncompressed public key.
    pub public_key: Vec<u8>,
    /// The publishing admin.
    pub created_by: String,
}

/// A wrapped copy to store, already checked against the key and the recipient.
#[derive(Debug, Clone)]
pub struct NewClinicKeyShare {
    /// The provider or admin it is for.
    pub user_id: String,
    /// Their personal public key (SEC1) as the copy was checked against; the insert requires
    /// the account to still have it.
    pub recipient_public_key: Vec<u8>,
    /// `bzk1.` text form.
    pub wrapped_key: String,
}

/// One of a staff member's copies, with its version's public half.
#[derive(Debug, Clone)]
pub struct ClinicKeyShareRow {
    /// The version.
    pub version: i64,
    /// Text form of the key id at that version.
    pub key_id: String,
    /// SEC1 uncompressed public key of that version.
    pub public_key: Vec<u8>,
    /// `bzk1.` text form.
    pub wrapped_key: String,
}

/// A staff account as the key-sharing view needs it (the name still encrypted).
#[derive(Debug, Clone)]
pub struct StaffRow {
    /// The id.
    pub id: String,
    /// `receptionist`, `provider` or `admin`.
    pub role: String,
    /// Encrypted name.
    pub name_enc: Vec<u8>,
    /// SEC1 personal public key.
    pub public_key: Vec<u8>,
}

fn key_row(r: &sqlx::sqlite::SqliteRow) -> Result<ClinicKeyRow, sqlx::Error> {
    Ok(ClinicKeyRow {
        tenant_id: r.try_get("tenant_id")?,
        version: r.try_get("version")?,
        key_id: r.try_get("key_id")?,
        public_key: r.try_get("public_key")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
    })
}

/// The refusal of a version that is not the next one.
pub(crate) fn wrong_version(current: i64) -> AppError {
    AppError::bad_request(
        "wrong-key-version",
        format!("the current clinic-key version is {current}; publish version {} next", current + 1),
    )
}

fn share_not_allowed() -> AppError {
    AppError::bad_request(
        "share-not-allowed",
        "a clinic key may be shared only with providers and admins of this clinic, to their current personal key",
    )
}

/// Inserts one share if its user is a current (not removed) provider or admin of the tenant
/// whose personal key is the one the copy was checked against.
async fn insert_share(
    conn: &mut SqliteConnection,
    tenant_id: &str,
    version: i64,
    by: &str,
    share: &NewClinicKeyShare,
    now: i64,
) -> Result<(), AppError> {
    let done = sqlx::query(
        "INSERT INTO clinic_key_shares (tenant_id, version, user_id, wrapped_key, created_at, created_by) \
         SELECT tenant_id, ?, id, ?, ?, ? FROM users \
         WHERE tenant_id = ? AND id = ? AND role IN ('provider', 'admin') AND public_key = ? \
         AND disabled_at IS NULL",
    )
    .bind(version)
    .bind(&share.wrapped_key)
    .bind(now)
    .bind(by)
    .bind(tenant_id)
    .bind(&share.user_id)
    .bind(&share.recipient_public_key)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Err(share_not_allowed());
    }
    Ok(())
}

async fn security_event_in(
    conn: &mut SqliteConnection,
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
        .execute(&mut *conn)
        .await?;
    Ok(())
}

impl Store {
    /// The clinic's current (highest) key version, if it has one.
    ///
    /// # Errors
    /// Database errors.
    pub async fn current_clinic_key(&self, tenant_id: &str) -> Result<Option<ClinicKeyRow>, AppError> {
        let row = sqlx::query(
            "SELECT tenant_id, version, key_id, public_key, created_at, created_by FROM clinic_keys \
             WHERE tenant_id = ? ORDER BY version DESC LIMIT 1",
        )
        .bind(tenant_id)
        .fetch_optional(&mut *self.read().await?)
        .await?;
        Ok(row.as_ref().map(key_row).transpose()?)
    }

    /// One version of the clinic's key.
    ///
    /// # Errors
    /// Database errors.
    pub async fn clinic_key(&self, tenant_id: &str, version: i64) -> Result<Option<ClinicKeyRow>, AppError> {
        let row = sqlx::query(
            "SELECT tenant_id, version, key_id, public_key, created_at, created_by FROM clinic_keys \
             WHERE tenant_id = ? AND version = ?",
        )
        .bind(tenant_id)
        .bind(version)
        .fetch_optional(&mut *self.read().await?)
        .await?;
        Ok(row.as_ref().map(key_row).transpose()?)
    }

    /// Whether any clinic already published this public key (keys are never reused).
    ///
    /// # Errors
    /// Database errors.
    pub async fn clinic_public_key_used(&self, public_key: &[u8]) -> Result<bool, AppError> {
        let row = sqlx::query("SELECT 1 FROM clinic_keys WHERE public_key = ?")
            .bind(public_key)
            .fetch_optional(&mut *self.read().await?)
            .await?;
        Ok(row.is_some())
    }

    /// Publishes a version with its shares, all or nothing.
    ///
    /// # Errors
    /// 400 `wrong-key-version` unless `key.version` is the next version, `key-reused` if the
    /// public key was published before, `share-not-allowed` if a share's user is not (or no
    /// longer) a provider or admin of the clinic with that personal key; database errors.
    pub async fn publish_clinic_key(
        &self,
        key: &NewClinicKey,
        shares: &[NewClinicKeyShare],
        now: i64,
    ) -> Result<(), AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let current: i64 =
            sqlx::query("SELECT COALESCE(MAX(version), 0) AS current FROM clinic_keys WHERE tenant_id = ?")
                .bind(&key.tenant_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get("current")?;
        if key.version != current + 1 {
            return Err(wrong_version(current));
        }
        let reused = sqlx::query("SELECT 1 FROM clinic_keys WHERE public_key = ? OR key_id = ?")
            .bind(&key.public_key)
            .bind(&key.key_id)
            .fetch_optional(&mut *tx)
            .await?;
        if reused.is_some() {
            return Err(key_reused());
        }
        sqlx::query(
            "INSERT INTO clinic_keys (tenant_id, version, key_id, public_key, created_at, created_by) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&key.tenant_id)
        .bind(key.version)
        .bind(&key.key_id)
        .bind(&key.public_key)
        .bind(now)
        .bind(&key.created_by)
        .execute(&mut *tx)
        .await?;
        for share in shares {
            insert_share(&mut tx, &key.tenant_id, key.version, &key.created_by, share, now).await?;
        }
        security_event_in(&mut tx, &key.tenant_id, &key.created_by, "clinic_key_published", now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds shares of an existing version, all or nothing.
    ///
    /// # Errors
    /// 400 `unknown-key-version` if the clinic has no such version, `share-not-allowed` as for
    /// [`Store::publish_clinic_key`]; 409 `share-exists` if someone already holds a copy of
    /// that version; database errors.
    pub async fn add_clinic_key_shares(
        &self,
        tenant_id: &str,
        version: i64,
        by: &str,
        shares: &[NewClinicKeyShare],
        now: i64,
    ) -> Result<(), AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let exists = sqlx::query("SELECT 1 FROM clinic_keys WHERE tenant_id = ? AND version = ?")
            .bind(tenant_id)
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(unknown_version());
        }
        for share in shares {
            let held =
                sqlx::query("SELECT 1 FROM clinic_key_shares WHERE tenant_id = ? AND version = ? AND user_id = ?")
                    .bind(tenant_id)
                    .bind(version)
                    .bind(&share.user_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if held.is_some() {
                return Err(AppError::Conflict {
                    kind: "share-exists",
                    detail: format!("user {} already holds version {version} of the clinic key", share.user_id),
                });
            }
            insert_share(&mut tx, tenant_id, version, by, share, now).await?;
        }
        security_event_in(&mut tx, tenant_id, by, "clinic_key_shared", now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A staff member's copies of every version, oldest first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn clinic_key_shares_of(
        &self,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<Vec<ClinicKeyShareRow>, AppError> {
        let rows = sqlx::query(
            "SELECT k.version, k.key_id, k.public_key, s.wrapped_key FROM clinic_key_shares s \
             JOIN clinic_keys k ON k.tenant_id = s.tenant_id AND k.version = s.version \
             WHERE s.tenant_id = ? AND s.user_id = ? ORDER BY k.version",
        )
        .bind(tenant_id)
        .bind(user_id)
        .fetch_all(&mut *self.read().await?)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ClinicKeyShareRow {
                    version: r.try_get("version")?,
                    key_id: r.try_get("key_id")?,
                    public_key: r.try_get("public_key")?,
                    wrapped_key: r.try_get("wrapped_key")?,
                })
            })
            .collect()
    }

    /// Who holds which version: `(user id, version)` pairs of the clinic, by user and version.
    ///
    /// # Errors
    /// Database errors.
    pub async fn clinic_key_holders(&self, tenant_id: &str) -> Result<Vec<(String, i64)>, AppError> {
        let rows =
            sqlx::query("SELECT user_id, version FROM clinic_key_shares WHERE tenant_id = ? ORDER BY user_id, version")
                .bind(tenant_id)
                .fetch_all(&mut *self.read().await?)
                .await?;
        rows.iter().map(|r| Ok((r.try_get("user_id")?, r.try_get("version")?))).collect()
    }

    /// The clinic's current receptionists, providers and admins (not removed ones).
    ///
    /// # Errors
    /// Database errors.
    pub async fn staff(&self, tenant_id: &str) -> Result<Vec<StaffRow>, AppError> {
        let rows = sqlx::query(
            "SELECT id, role, name_enc, public_key FROM users \
             WHERE tenant_id = ? AND role IN ('receptionist', 'provider', 'admin') AND disabled_at IS NULL ORDER BY id",
        )
        .bind(tenant_id)
        .fetch_all(&mut *self.read().await?)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StaffRow {
                    id: r.try_get("id")?,
                    role: r.try_get("role")?,
                    name_enc: r.try_get("name_enc")?,
                    public_key: r.try_get("public_key")?,
                })
            })
            .collect()
    }
}

/// The refusal of a public key published before.
pub(crate) fn key_reused() -> AppError {
    AppError::bad_request("key-reused", "this public key was published before; make a fresh key for every version")
}

/// The refusal of shares of a version the clinic does not have.
pub(crate) fn unknown_version() -> AppError {
    AppError::bad_request("unknown-key-version", "the clinic has no clinic key of that version")
}
