//! Notice of Privacy Practices versions and acknowledgments.

use sqlx::Row;

use super::Store;
use crate::error::AppError;

/// A published version.
#[derive(Debug, Clone)]
pub struct NppRow {
    /// SHA-256 of the text, hex.
    pub hash: String,
    /// The text.
    pub text: String,
    /// When published.
    pub published_at: i64,
}

/// An acknowledgment.
#[derive(Debug, Clone)]
pub struct AckRow {
    /// The version acknowledged.
    pub version_hash: String,
    /// When.
    pub acknowledged_at: i64,
    /// `portal` or `widget`.
    pub channel: String,
}

/// Records `ack` of the clinic's current notice inside the caller's write transaction,
/// checking there that `ack.version_hash` is still the current version (so a notice published
/// meanwhile cannot be acknowledged unread).
///
/// # Errors
/// [`AppError::Conflict`] `no-npp` (the clinic has published none) or `npp-outdated`;
/// database errors.
pub(super) async fn acknowledge_current_in(
    conn: &mut sqlx::SqliteConnection,
    tenant_id: &str,
    user_id: &str,
    ack: &AckRow,
) -> Result<(), AppError> {
    let current =
        sqlx::query("SELECT hash FROM npp_versions WHERE tenant_id = ? ORDER BY published_at DESC, rowid DESC LIMIT 1")
            .bind(tenant_id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(current) = current else {
        return Err(AppError::Conflict {
            kind: "no-npp",
            detail: "this clinic has not published its Notice of Privacy Practices yet, so it cannot take bookings \
                     without an account"
                .into(),
        });
    };
    let hash: String = current.try_get("hash")?;
    if hash != ack.version_hash {
        return Err(npp_outdated());
    }
    sqlx::query(
        "INSERT INTO npp_acks (tenant_id, user_id, version_hash, acknowledged_at, channel) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(tenant_id)
    .bind(user_id)
    .bind(&ack.version_hash)
    .bind(ack.acknowledged_at)
    .bind(&ack.channel)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// 409 `npp-outdated`: the version acknowledged is not the current one.
pub(crate) fn npp_outdated() -> AppError {
    AppError::Conflict {
        kind: "npp-outdated",
        detail: "a newer notice has been published; read and acknowledge that one".into(),
    }
}

impl Store {
    /// Publishes a version (publishing the same text again makes it current again).
    ///
    /// # Errors
    /// Database errors.
    pub async fn publish_npp(
        &self,
        tenant_id: &str,
        hash: &str,
        text: &str,
        by: &str,
        now: i64,
    ) -> Result<(), AppError> {
        sqlx::query(
            "INSERT INTO npp_versions (tenant_id, hash, text, published_at, published_by) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (tenant_id, hash) DO UPDATE SET published_at = excluded.published_at, \
             published_by = excluded.published_by",
        )
        .bind(tenant_id)
        .bind(hash)
        .bind(text)
        .bind(now)
        .bind(by)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// The current (latest published) version.
    ///
    /// # Errors
    /// Database errors.
    pub async fn current_npp(&self, tenant_id: &str) -> Result<Option<NppRow>, AppError> {
        let row = sqlx::query(
            "SELECT hash, text, published_at FROM npp_versions WHERE tenant_id = ? \
             ORDER BY published_at DESC, rowid DESC LIMIT 1",
        )
        .bind(tenant_id)
        .fetch_optional(&mut *self.read().await?)
        .await?;
        Ok(row
            .map(|r| -> Result<NppRow, sqlx::Error> {
                Ok(NppRow {
                    hash: r.try_get("hash")?,
                    text: r.try_get("text")?,
                    published_at: r.try_get("published_at")?,
                })
            })
            .transpose()?)
    }

    /// Records an acknowledgment.
    ///
    /// # Errors
    /// Database errors.
    pub async fn acknowledge_npp(&self, tenant_id: &str, user_id: &str, ack: &AckRow) -> Result<(), AppError> {
        sqlx::query(
            "INSERT INTO npp_acks (tenant_id, user_id, version_hash, acknowledged_at, channel) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(tenant_id)
        .bind(user_id)
        .bind(&ack.version_hash)
        .bind(ack.acknowledged_at)
        .bind(&ack.channel)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// The hash of the clinic's current notice and the user's latest acknowledgment, in one
    /// statement (what every patient request checks); `None` if the clinic has no notice.
    ///
    /// # Errors
    /// Database errors.
    pub async fn npp_status(
        &self,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<Option<(String, Option<AckRow>)>, AppError> {
        let row = sqlx::query(
            "SELECT v.hash, a.version_hash, a.acknowledged_at, a.channel FROM \
             (SELECT hash FROM npp_versions WHERE tenant_id = ?1 ORDER BY published_at DESC, rowid DESC LIMIT 1) v \
             LEFT JOIN (SELECT version_hash, acknowledged_at, channel FROM npp_acks \
                        WHERE tenant_id = ?1 AND user_id = ?2 ORDER BY id DESC LIMIT 1) a ON true",
        )
        .bind(tenant_id)
        .bind(user_id)
        .fetch_optional(&mut *self.read().await?)
        .await?;
        Ok(row
            .map(|r| -> Result<(String, Option<AckRow>), sqlx::Error> {
                let ack = match r.try_get::<Option<String>, _>("version_hash")? {
                    Some(version_hash) => Some(AckRow {
                        version_hash,
                        acknowledged_at: r.try_get("acknowledged_at")?,
                        channel: r.try_get("channel")?,
                    }),
                    None => None,
                };
                Ok((r.try_get("hash")?, ack))
            })
            .transpose()?)
    }

    /// A user's latest acknowledgment.
    ///
    /// # Errors
    /// Database errors.
    pub async fn last_npp_ack(&self, tenant_id: &str, user_id: &str) -> Result<Option<AckRow>, AppError> {
        let row = sqlx::query(
            "SELECT version_hash, acknowledged_at, channel FROM npp_acks WHERE tenant_id = ? AND user_id = ? \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(tenant_id)
        .bind(user_id)
        .fetch_optional(&mut *self.read().await?)
        .await?;
        Ok(row
            .map(|r| -> Result<AckRow, sqlx::Error> {
                Ok(AckRow {
                    version_hash: r.try_get("version_hash")?,
                    acknowledged_at: r.try_get("acknowledged_at")?,
                    channel: r.try_get("channel")?,
                })
            })
            .transpose()?)
    }

    /// Every acknowledgment of a user, oldest first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn npp_acks(&self, tenant_id: &str, user_id: &str) -> Result<Vec<AckRow>, AppError> {
        let rows = sqlx::query(
            "SELECT version_hash, acknowledged_at, channel FROM npp_acks WHERE tenant_id = ? AND user_id = ? ORDER BY id",
        )
        .bind(tenant_id)
        .bind(user_id)
        .fetch_all(&mut *self.read().await?)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AckRow {
                    version_hash: r.try_get("version_hash")?,
                    acknowledged_at: r.try_get("acknowledged_at")?,
                    channel: r.try_get("channel")?,
                })
            })
            .collect()
    }

    /// Counts a request in `bucket` for the window starting at `window_start`; returns the
    /// count so far in that window (this request included). Requests that arrive together are
    /// counted in one write (see `store/requests.rs`).
    ///
    /// # Errors
    /// Database errors.
    pub async fn count_request(&self, bucket: &str, window_start: i64) -> Result<i64, AppError> {
        self.counter.count(bucket, window_start).await
    }
}
