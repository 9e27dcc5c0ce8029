//! Accounts, second factors, sessions and security events.

use sqlx::Connection as _;
use sqlx::{Row, SqliteConnection};

use super::Store;
use crate::error::AppError;

/// A user as stored (PHI columns still encrypted).
#[derive(Debug, Clone)]
pub struct UserRow {
    /// The id.
    pub id: String,
    /// The tenant.
    pub tenant_id: String,
    /// The role.
    pub role: String,
    /// Encrypted email.
    pub email_enc: Vec<u8>,
    /// Encrypted name.
    pub name_enc: Vec<u8>,
    /// Argon2id PHC string of the auth key.
    pub auth_hash: String,
    /// The client's KDF parameters.
    pub kdf_params: String,
    /// SEC1 public key.
    pub public_key: Vec<u8>,
    /// `bzk1.` under the password-derived wrap key.
    pub wrapped_private_key: String,
    /// Encrypted TOTP secret, once enrolled.
    pub totp_secret_enc: Option<Vec<u8>>,
    /// Encrypted TOTP secret awaiting confirmation.
    pub totp_pending_enc: Option<Vec<u8>>,
    /// The last TOTP step accepted.
    pub totp_last_step: Option<i64>,
    /// Failed attempts since the last success.
    pub failed_attempts: i64,
    /// Locked until this time, if locked.
    pub locked_until: Option<i64>,
    /// When an admin removed this (staff) account; it can no longer sign in.
    pub disabled_at: Option<i64>,
    /// A guest of the booking widget: a patient without an account, who can never sign in
    /// (its auth columns are empty).
    pub guest: bool,
}

/// A session as stored.
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// The user.
    pub user_id: String,
    /// The tenant.
    pub tenant_id: String,
    /// The user's row, read with the session (in the same statement).
    pub user: UserRow,
    /// The tenant's row, read with the session.
    pub tenant: super::TenantRow,
    /// Whether the second factor was given.
    pub mfa_done: bool,
    /// When it started.
    pub created_at: i64,
    /// Last request.
    pub last_seen_at: i64,
    /// When a second factor was last given in this session.
    pub step_up_at: Option<i64>,
    /// `browser` (the cookie) or `widget` (a bearer token).
    pub kind: String,
    /// A widget session's parent: `(token hash, created_at, last_seen_at)`; `None` for a
    /// browser session, and for a widget session whose parent is gone.
    pub parent: Option<(Vec<u8>, i64, i64)>,
}

/// A new user, PHI already encrypted.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The id.
    pub id: String,
    /// The tenant.
    pub tenant_id: String,
    /// The role.
    pub role: String,
    /// Blind index of the email.
    pub email_index: Vec<u8>,
    /// Encrypted email.
    pub email_enc: Vec<u8>,
    /// Encrypted name.
    pub name_enc: Vec<u8>,
    /// Argon2id PHC string of the auth key.
    pub auth_hash: String,
    /// The client's KDF parameters.
    pub kdf_params: String,
    /// SEC1 public key.
    pub public_key: Vec<u8>,
    /// `bzk1.` under the wrap key.
    pub wrapped_private_key: String,
    /// (code hash, wrapped key) per recovery code.
    pub recovery: Vec<(String, String)>,
    /// Encrypted, already confirmed TOTP secret (seeded demo accounts only).
    pub totp_secret_enc: Option<Vec<u8>>,
}

/// A guest of the booking widget (a patient without an account), PHI already encrypted.
#[derive(Debug, Clone)]
pub struct NewGuest {
    /// The id (random, like any user's).
    pub id: String,
    /// The tenant.
    pub tenant_id: String,
    /// Not the blind index of the email: a value no email lookup can produce
    /// ([`crate::vault::TenantKeys::guest_index`]).
    pub email_index: Vec<u8>,
    /// Encrypted email.
    pub email_enc: Vec<u8>,
    /// Encrypted name.
    pub name_enc: Vec<u8>,
    /// Encrypted phone number, if given.
    pub phone_enc: Option<Vec<u8>>,
}

/// Inserts a guest inside the caller's transaction: role `patient`, `guest = 1`, and empty
/// auth columns, so nothing can sign in as it.
///
/// # Errors
/// Database errors.
pub(super) async fn insert_guest_in(conn: &mut SqliteConnection, g: &NewGuest, now: i64) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO users (id, tenant_id, role, email_index, email_enc, name_enc, auth_hash, kdf_params, \
         public_key, wrapped_private_key, created_at, guest, phone_enc) \
         VALUES (?, ?, 'patient', ?, ?, ?, '', '', X'', '', ?, 1, ?)",
    )
    .bind(&g.id)
    .bind(&g.tenant_id)
    .bind(&g.email_index)
    .bind(&g.email_enc)
    .bind(&g.name_enc)
    .bind(now)
    .bind(&g.phone_enc)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The columns [`user_row`] reads, as a literal so queries stay literal SQL.
macro_rules! user_columns {
    () => {
        user_columns!("")
    };
    // Each qualified by `$t` (a table name and a dot), for a join.
    ($t:literal) => {
        concat!(
            $t,
            "id, ",
            $t,
            "tenant_id, ",
            $t,
            "role, ",
            $t,
            "email_enc, ",
            $t,
            "name_enc, ",
            $t,
            "auth_hash, ",
            $t,
            "kdf_params, ",
            $t,
            "public_key, ",
            $t,
            "wrapped_private_key, ",
            $t,
            "totp_secret_enc, ",
            $t,
            "totp_pending_enc, ",
            $t,
            "totp_last_step, ",
            $t,
            "failed_attempts, ",
            $t,
            "locked_until, ",
            $t,
            "disabled_at, ",
            $t,
            "guest"
        )
    };
}

fn user_row(row: &sqlx::sqlite::SqliteRow) -> Result<UserRow, sqlx::Error> {
    Ok(UserRow {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        role: row.try_get("role")?,
        email_enc: row.try_get("email_enc")?,
        name_enc: row.try_get("name_enc")?,
        auth_hash: row.try_get("auth_hash")?,
        kdf_params: row.try_get("kdf_params")?,
        public_key: row.try_get("public_key")?,
        wrapped_private_key: row.try_get("wrapped_private_key")?,
        totp_secret_enc: row.try_get("totp_secret_enc")?,
        totp_pending_enc: row.try_get("totp_pending_enc")?,
        totp_last_step: row.try_get("totp_last_step")?,
        failed_attempts: row.try_get("failed_attempts")?,
        locked_until: row.try_get("locked_until")?,
        disabled_at: row.try_get("disabled_at")?,
        guest: row.try_get::<i64, _>("guest")? != 0,
    })
}

/// Inserts a user with their recovery codes inside the caller's transaction.
///
/// # Errors
/// [`AppError::Conflict`] `account-exists` if the email is taken in that tenant; database
/// errors.
pub(super) async fn insert_user_in(conn: &mut SqliteConnection, u: &NewUser, now: i64) -> Result<(), AppError> {
    let inserted = sqlx::query(
        "INSERT INTO users (id, tenant_id, role, email_index, email_enc, name_enc, auth_hash, kdf_params, \
         public_key, wrapped_private_key, totp_secret_enc, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (tenant_id, email_index) DO NOTHING",
    )
    .bind(&u.id)
    .bind(&u.tenant_id)
    .bind(&u.role)
    .bind(&u.email_index)
    .bind(&u.email_enc)
    .bind(&u.name_enc)
    .bind(&u.auth_hash)
    .bind(&u.kdf_params)
    .bind(&u.public_key)
    .bind(&u.wrapped_private_key)
    .bind(&u.totp_secret_enc)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(AppError::Conflict {
            kind: "account-exists",
            detail: "an account with this email already exists; sign in instead".into(),
        });
    }
    for (slot, (hash, wrapped)) in u.recovery.iter().enumerate() {
        sqlx::query("INSERT INTO recovery_codes (user_id, slot, code_hash, wrapped_private_key) VALUES (?, ?, ?, ?)")
            .bind(&u.id)
            .bind(i64::try_from(slot).unwrap_or(i64::MAX))
            .bind(hash)
            .bind(wrapped)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

impl Store {
    /// Creates a user with their recovery codes, in one transaction.
    ///
    /// # Errors
    /// [`AppError::Conflict`] if the email is taken in that tenant; database errors.
    pub async fn insert_user(&self, u: &NewUser, now: i64) -> Result<(), AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin().await?;
        insert_user_in(&mut tx, u, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// An account by tenant and email blind index (never a guest, who has no sign-in; a
    /// guest's index is not that of any email anyway).
    ///
    /// # Errors
    /// Database errors.
    pub async fn user_by_email(&self, tenant_id: &str, email_index: &[u8]) -> Result<Option<UserRow>, AppError> {
        let sql =
            concat!("SELECT ", user_columns!(), " FROM users WHERE tenant_id = ? AND email_index = ? AND guest = 0");
        let row = sqlx::query(sql).bind(tenant_id).bind(email_index).fetch_optional(&mut *self.read().await?).await?;
        Ok(row.as_ref().map(user_row).transpose()?)
    }

    /// A user by id, within a tenant.
    ///
    /// # Errors
    /// Database errors.
    pub async fn user(&self, tenant_id: &str, id: &str) -> Result<Option<UserRow>, AppError> {
        let sql = concat!("SELECT ", user_columns!(), " FROM users WHERE tenant_id = ? AND id = ?");
        let row = sqlx::query(sql).bind(tenant_id).bind(id).fetch_optional(&mut *self.read().await?).await?;
        Ok(row.as_ref().map(user_row).transpose()?)
    }

    /// Records a failed attempt; locks the account once `max` failures accumulate.
    /// Returns the lock time if now locked.
    ///
    /// # Errors
    /// Database errors.
    pub async fn record_failure(&self, user_id: &str, max: i64, lock_until: i64) -> Result<Option<i64>, AppError> {
        let row = sqlx::query(
            "UPDATE users SET failed_attempts = failed_attempts + 1, \
             locked_until = CASE WHEN failed_attempts + 1 >= ? THEN ? ELSE locked_until END \
             WHERE id = ? RETURNING locked_until, failed_attempts",
        )
        .bind(max)
        .bind(lock_until)
        .bind(user_id)
        .fetch_one(&mut *self.write().await?)
        .await?;
        let failures: i64 = row.try_get("failed_attempts")?;
        Ok(if failures >= max { row.try_get("locked_until")? } else { None })
    }

    /// Clears failed attempts after a success.
    ///
    /// # Errors
    /// Database errors.
    pub async fn clear_failures(&self, user_id: &str) -> Result<(), AppError> {
        sqlx::query("UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE id = ?")
            .bind(user_id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// Stores a TOTP secret awaiting confirmation.
    ///
    /// # Errors
    /// Database errors.
    pub async fn set_pending_totp(&self, user_id: &str, secret_enc: &[u8]) -> Result<(), AppError> {
        sqlx::query("UPDATE users SET totp_pending_enc = ? WHERE id = ?")
            .bind(secret_enc)
            .bind(user_id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// Makes the pending TOTP secret the account's (replacing any old one), recording `step`
    /// as used and the security event `event`, in one transaction.
    ///
    /// # Errors
    /// Database errors.
    pub async fn confirm_totp(
        &self,
        user_id: &str,
        secret_enc: &[u8],
        step: i64,
        event: &str,
        now: i64,
    ) -> Result<(), AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(
            "UPDATE users SET totp_secret_enc = ?, totp_pending_enc = NULL, totp_last_step = ?, \
             failed_attempts = 0, locked_until = NULL WHERE id = ?",
        )
        .bind(secret_enc)
        .bind(step)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO security_events (tenant_id, user_id, kind, at) SELECT tenant_id, id, ?, ? FROM users WHERE id = ?",
        )
        .bind(event)
        .bind(now)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces all of a user's recovery codes with `recovery` (code hash, wrapped key) and
    /// records the security event `recovery_codes_regenerated`, in one transaction.
    ///
    /// # Errors
    /// Database errors.
    pub async fn replace_recovery_codes(
        &self,
        tenant_id: &str,
        user_id: &str,
        recovery: &[(String, String)],
        now: i64,
    ) -> Result<(), AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = ?").bind(user_id).execute(&mut *tx).await?;
        for (slot, (hash, wrapped)) in recovery.iter().enumerate() {
            sqlx::query(
                "INSERT INTO recovery_codes (user_id, slot, code_hash, wrapped_private_key) VALUES (?, ?, ?, ?)",
            )
            .bind(user_id)
            .bind(i64::try_from(slot).unwrap_or(i64::MAX))
            .bind(hash)
            .bind(wrapped)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("INSERT INTO security_events (tenant_id, user_id, kind, at) VALUES (?, ?, ?, ?)")
            .bind(tenant_id)
            .bind(user_id)
            .bind("recovery_codes_regenerated")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Accepts TOTP `step` for the user only if it is later than the last accepted step
    /// (atomically, so two concurrent requests cannot both use one code). Returns whether it
    /// was accepted.
    ///
    /// # Errors
    /// Database errors.
    pub async fn accept_totp_step(&self, user_id: &str, step: i64) -> Result<bool, AppError> {
        let done = sqlx::query(
            "UPDATE users SET totp_last_step = ?, failed_attempts = 0, locked_until = NULL \
             WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)",
        )
        .bind(step)
        .bind(user_id)
        .bind(step)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The unused recovery-code hashes of a user, by slot.
    ///
    /// # Errors
    /// Database errors.
    pub async fn recovery_slots(&self, user_id: &str) -> Result<Vec<(i64, Option<String>)>, AppError> {
        let rows = sqlx::query("SELECT slot, code_hash FROM recovery_codes WHERE user_id = ? ORDER BY slot")
            .bind(user_id)
            .fetch_all(&mut *self.read().await?)
            .await?;
        rows.iter().map(|r| Ok((r.try_get("slot")?, r.try_get("code_hash")?))).collect()
    }

    /// Marks a recovery code used, if it still was unused. Returns whether it was.
    ///
    /// # Errors
    /// Database errors.
    pub async fn use_recovery_slot(&self, user_id: &str, slot: i64) -> Result<bool, AppError> {
        let done = sqlx::query(
            "UPDATE recovery_codes SET code_hash = NULL WHERE user_id = ? AND slot = ? AND code_hash IS NOT NULL",
        )
        .bind(user_id)
        .bind(slot)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Starts a session.
    ///
    /// # Errors
    /// Database errors.
    pub async fn insert_session(
        &self,
        token_hash: &[u8],
        user_id: &str,
        tenant_id: &str,
        now: i64,
    ) -> Result<(), AppError> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, tenant_id, mfa_done, created_at, last_seen_at) \
             VALUES (?, ?, ?, 0, ?, ?)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(tenant_id)
        .bind(now)
        .bind(now)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// A session by token hash, with its parent's times for a widget session; none for a
    /// removed (disabled) account, whose sessions are deleted on removal anyway (this also
    /// covers a sign-in racing the removal), and never a guest's (guests have no sessions).
    ///
    /// # Errors
    /// Database errors.
    pub async fn session(&self, token_hash: &[u8]) -> Result<Option<SessionRow>, AppError> {
        let row = sqlx::query(concat!(
            "SELECT s.mfa_done, s.created_at AS session_created_at, s.last_seen_at, s.step_up_at, s.kind, \
             p.token_hash AS parent_hash, p.created_at AS parent_created_at, p.last_seen_at AS parent_last_seen_at, \
             t.name AS tenant_name, t.time_zone AS tenant_time_zone, t.data_key_wrapped AS tenant_data_key_wrapped, ",
            user_columns!("u."),
            " FROM sessions s \
             JOIN users u ON u.id = s.user_id AND u.tenant_id = s.tenant_id \
             JOIN tenants t ON t.id = s.tenant_id \
             LEFT JOIN sessions p ON p.token_hash = s.parent_token_hash AND p.user_id = s.user_id \
             WHERE s.token_hash = ? AND u.disabled_at IS NULL AND u.guest = 0"
        ))
        .bind(token_hash)
        .fetch_optional(&mut *self.read().await?)
        .await?;
        Ok(row
            .map(|r| -> Result<SessionRow, sqlx::Error> {
                let parent_hash: Option<Vec<u8>> = r.try_get("parent_hash")?;
                let parent = match parent_hash {
                    Some(hash) => Some((hash, r.try_get("parent_created_at")?, r.try_get("parent_last_seen_at")?)),
                    None => None,
                };
                let user = user_row(&r)?;
                let tenant = super::TenantRow {
                    id: user.tenant_id.clone(),
                    name: r.try_get("tenant_name")?,
                    time_zone: r.try_get("tenant_time_zone")?,
                    data_key_wrapped: r.try_get("tenant_data_key_wrapped")?,
                };
                Ok(SessionRow {
                    user_id: user.id.clone(),
                    tenant_id: user.tenant_id.clone(),
                    user,
                    tenant,
                    mfa_done: r.try_get::<i64, _>("mfa_done")? != 0,
                    created_at: r.try_get("session_created_at")?,
                    last_seen_at: r.try_get("last_seen_at")?,
                    step_up_at: r.try_get("step_up_at")?,
                    kind: r.try_get("kind")?,
                    parent,
                })
            })
            .transpose()?)
    }

    /// Notes activity on a session and, for a widget session, on its parent too (so the
    /// patient's portal stays signed in while they use the widget). Never moves a time back.
    ///
    /// # Errors
    /// Database errors.
    pub async fn touch_session(&self, token_hash: &[u8], now: i64) -> Result<(), AppError> {
        sqlx::query(
            "UPDATE sessions SET last_seen_at = MAX(last_seen_at, ?) WHERE token_hash = ? \
             OR token_hash = (SELECT parent_token_hash FROM sessions WHERE token_hash = ?)",
        )
        .bind(now)
        .bind(token_hash)
        .bind(token_hash)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// Starts a widget session, a child of the browser session `parent_hash` (same user, second
    /// factor given, no step-up), and records the security event `widget_session_created`, in
    /// one transaction. Returns false, changing nothing, if the parent is gone.
    ///
    /// # Errors
    /// Database errors.
    pub async fn insert_widget_session(
        &self,
        token_hash: &[u8],
        parent_hash: &[u8],
        now: i64,
    ) -> Result<bool, AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let done = sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, tenant_id, mfa_done, created_at, last_seen_at, kind, \
             parent_token_hash) SELECT ?, user_id, tenant_id, 1, ?, ?, 'widget', token_hash FROM sessions \
             WHERE token_hash = ? AND kind = 'browser' AND mfa_done = 1",
        )
        .bind(token_hash)
        .bind(now)
        .bind(now)
        .bind(parent_hash)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO security_events (tenant_id, user_id, kind, at) \
             SELECT tenant_id, user_id, 'widget_session_created', ? FROM sessions WHERE token_hash = ?",
        )
        .bind(now)
        .bind(token_hash)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Marks a session's second factor given.
    ///
    /// # Errors
    /// Database errors.
    pub async fn complete_mfa(&self, token_hash: &[u8], now: i64) -> Result<(), AppError> {
        sqlx::query("UPDATE sessions SET mfa_done = 1, last_seen_at = ?, step_up_at = ? WHERE token_hash = ?")
            .bind(now)
            .bind(now)
            .bind(token_hash)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// Ends a session and the widget sessions made from it. (The foreign key deletes those
    /// too; saying so here keeps it true without one.)
    ///
    /// # Errors
    /// Database errors.
    pub async fn delete_session(&self, token_hash: &[u8]) -> Result<(), AppError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ? OR parent_token_hash = ?")
            .bind(token_hash)
            .bind(token_hash)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// Records a security event (no PHI: kinds are fixed words).
    ///
    /// # Errors
    /// Database errors.
    pub async fn security_event(
        &self,
        tenant_id: &str,
        user_id: Option<&str>,
        kind: &str,
        now: i64,
    ) -> Result<(), AppError> {
        sqlx::query("INSERT INTO security_events (tenant_id, user_id, kind, at) VALUES (?, ?, ?, ?)")
            .bind(tenant_id)
            .bind(user_id)
            .bind(kind)
            .bind(now)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// The kinds of a user's security events, oldest first (for tests and the admin view).
    ///
    /// # Errors
    /// Database errors.
    pub async fn security_events(&self, user_id: &str) -> Result<Vec<String>, AppError> {
        let rows = sqlx::query("SELECT kind FROM security_events WHERE user_id = ? ORDER BY id")
            .bind(user_id)
            .fetch_all(&mut *self.read().await?)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("kind")?)).collect()
    }

    /// Sets a user's role within their tenant. Returns whether the user exists there.
    ///
    /// # Errors
    /// Database errors (including a role the schema does not allow).
    pub async fn set_role(&self, tenant_id: &str, user_id: &str, role: &str) -> Result<bool, AppError> {
        let done = sqlx::query("UPDATE users SET role = ? WHERE tenant_id = ? AND id = ?")
            .bind(role)
            .bind(tenant_id)
            .bind(user_id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
