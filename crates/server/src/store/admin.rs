//! Clinic administration: settings, staff invitations, roles and removal, and the admin's
//! writes to services, providers and schedules. Every query names the tenant.
//!
//! Each write runs in one `BEGIN IMMEDIATE` transaction with its security event, and
//! re-checks in the transaction what it depends on (the last admin, a pending invitation, a
//! provider-role account), so two admins acting at once cannot leave the clinic without an
//! admin, accept one invitation twice, or half-remove someone.

use sqlx::Connection as _;
use sqlx::{Row, SqliteConnection};

use super::scheduling::{provider_row, service_row};
use super::{NewUser, ProviderRow, ScheduleRow, ServiceRow, Store};
use crate::error::AppError;

/// A clinic's settings as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClinicSettingsRow {
    /// The clinic's name.
    pub name: String,
    /// IANA time zone.
    pub time_zone: String,
    /// Normalized origins allowed to embed the widget.
    pub allowed_origins: Vec<String>,
}

/// A new staff invitation.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    /// The id.
    pub id: String,
    /// The tenant.
    pub tenant_id: String,
    /// SHA-256 of the token.
    pub token_hash: Vec<u8>,
    /// Blind index of the invited email.
    pub email_index: Vec<u8>,
    /// The invited email, encrypted.
    pub email_enc: Vec<u8>,
    /// `receptionist`, `provider` or `admin`.
    pub role: String,
    /// The display name of the provider record to create on acceptance.
    pub provider_name: Option<String>,
    /// The inviting admin.
    pub created_by: String,
    /// When it stops working.
    pub expires_at: i64,
}

/// An invitation as stored.
#[derive(Debug, Clone)]
pub struct InvitationRow {
    /// The id.
    pub id: String,
    /// The tenant.
    pub tenant_id: String,
    /// Blind index of the invited email.
    pub email_index: Vec<u8>,
    /// The invited email, encrypted.
    pub email_enc: Vec<u8>,
    /// The role it grants.
    pub role: String,
    /// The provider display name, if any.
    pub provider_name: Option<String>,
    /// When it was made.
    pub created_at: i64,
    /// When it stops working.
    pub expires_at: i64,
    /// When it was accepted, if it was.
    pub accepted_at: Option<i64>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<i64>,
}

/// A current staff member as the admin view needs them (PHI still encrypted).
#[derive(Debug, Clone)]
pub struct StaffMemberRow {
    /// The id.
    pub id: String,
    /// The role.
    pub role: String,
    /// Encrypted name.
    pub name_enc: Vec<u8>,
    /// Encrypted email.
    pub email_enc: Vec<u8>,
    /// Their provider record, if any.
    pub provider_id: Option<String>,
}

/// The refusal of an invitation token, whatever is wrong with it (unknown, another clinic,
/// another email, used, revoked, expired): one answer, so nothing is learnt from it.
pub(crate) fn invalid_invitation() -> AppError {
    AppError::bad_request(
        "invalid-invitation",
        "this invitation cannot be used: it may have expired, been used or revoked, or be for another email; \
         ask the clinic's admin for a new one",
    )
}

fn last_admin() -> AppError {
    AppError::Conflict {
        kind: "last-admin",
        detail: "this is the clinic's only admin; make someone else an admin first".into(),
    }
}

/// The columns [`invitation_row`] reads, as a literal so queries stay literal SQL.
macro_rules! invitation_columns {
    () => {
        "id, tenant_id, email_index, email_enc, role, provider_name, created_at, expires_at, accepted_at, revoked_at"
    };
}

fn invitation_row(r: &sqlx::sqlite::SqliteRow) -> Result<InvitationRow, sqlx::Error> {
    Ok(InvitationRow {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        email_index: r.try_get("email_index")?,
        email_enc: r.try_get("email_enc")?,
        role: r.try_get("role")?,
        provider_name: r.try_get("provider_name")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        accepted_at: r.try_get("accepted_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

/// Records a security event (fixed words, no PHI) inside the caller's transaction.
async fn event_in(
    conn: &mut SqliteConnection,
    tenant_id: &str,
    user_id: Option<&str>,
    actor_id: &str,
    kind: &str,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query("INSERT INTO security_events (tenant_id, user_id, actor_id, kind, at) VALUES (?, ?, ?, ?, ?)")
        .bind(tenant_id)
        .bind(user_id)
        .bind(actor_id)
        .bind(kind)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A current (not removed) staff member's role, inside the transaction; 404 for patients,
/// removed accounts and other tenants' ids.
async fn staff_role_in(conn: &mut SqliteConnection, tenant_id: &str, user_id: &str) -> Result<String, AppError> {
    let row = sqlx::query(
        "SELECT role FROM users WHERE tenant_id = ? AND id = ? AND disabled_at IS NULL \
         AND role IN ('receptionist', 'provider', 'admin')",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.ok_or(AppError::NotFound)?.try_get("role")?)
}

/// Refuses to leave the clinic without an admin when `user_id` (an admin) stops being one.
async fn keep_an_admin(conn: &mut SqliteConnection, tenant_id: &str, user_id: &str) -> Result<(), AppError> {
    let others: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM users WHERE tenant_id = ? AND role = 'admin' AND disabled_at IS NULL AND id <> ?",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_one(&mut *conn)
    .await?
    .try_get("n")?;
    if others == 0 {
        return Err(last_admin());
    }
    Ok(())
}

/// Deletes a user's clinic-key copies; returns whether one was of the current version.
async fn drop_shares_in(conn: &mut SqliteConnection, tenant_id: &str, user_id: &str) -> Result<bool, AppError> {
    let held_current = sqlx::query(
        "SELECT 1 FROM clinic_key_shares WHERE tenant_id = ? AND user_id = ? \
         AND version = (SELECT MAX(version) FROM clinic_keys WHERE tenant_id = ?)",
    )
    .bind(tenant_id)
    .bind(user_id)
    .bind(tenant_id)
    .fetch_optional(&mut *conn)
    .await?
    .is_some();
    sqlx::query("DELETE FROM clinic_key_shares WHERE tenant_id = ? AND user_id = ?")
        .bind(tenant_id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(held_current)
}

async fn deactivate_provider_of_in(
    conn: &mut SqliteConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<(), AppError> {
    sqlx::query("UPDATE providers SET active = 0 WHERE tenant_id = ? AND user_id = ?")
        .bind(tenant_id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Whether `user_id` is a current provider-role account of the tenant.
async fn is_provider_account_in(conn: &mut SqliteConnection, tenant_id: &str, user_id: &str) -> Result<bool, AppError> {
    let row =
        sqlx::query("SELECT 1 FROM users WHERE tenant_id = ? AND id = ? AND role = 'provider' AND disabled_at IS NULL")
            .bind(tenant_id)
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.is_some())
}

async fn insert_provider_in(conn: &mut SqliteConnection, p: &ProviderRow) -> Result<(), AppError> {
    let taken =
        sqlx::query("SELECT 1 FROM providers WHERE user_id = ?").bind(&p.user_id).fetch_optional(&mut *conn).await?;
    if taken.is_some() {
        return Err(AppError::Conflict {
            kind: "provider-exists",
            detail: "this staff member already has a provider record; change that one instead".into(),
        });
    }
    sqlx::query("INSERT INTO providers (id, tenant_id, user_id, display_name, active) VALUES (?, ?, ?, ?, ?)")
        .bind(&p.id)
        .bind(&p.tenant_id)
        .bind(&p.user_id)
        .bind(&p.display_name)
        .bind(i64::from(p.active))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

impl Store {
    /// A clinic's settings.
    ///
    /// # Errors
    /// Database errors, or stored origins that are not a JSON list of strings.
    pub async fn clinic_settings(&self, tenant_id: &str) -> Result<Option<ClinicSettingsRow>, AppError> {
        let row = sqlx::query("SELECT name, time_zone, allowed_origins FROM tenants WHERE id = ?")
            .bind(tenant_id)
            .fetch_optional(&mut *self.read().await?)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let origins: String = row.try_get("allowed_origins")?;
        let allowed_origins = serde_json::from_str(&origins)
            .map_err(|e| AppError::Internal(format!("tenant {tenant_id}: allowed_origins: {e}")))?;
        Ok(Some(ClinicSettingsRow {
            name: row.try_get("name")?,
            time_zone: row.try_get("time_zone")?,
            allowed_origins,
        }))
    }

    /// Replaces a clinic's settings (already validated).
    ///
    /// # Errors
    /// Database errors.
    pub async fn set_clinic_settings(
        &self,
        tenant_id: &str,
        settings: &ClinicSettingsRow,
        actor: &str,
        now: i64,
    ) -> Result<(), AppError> {
        let origins = serde_json::to_string(&settings.allowed_origins)
            .map_err(|e| AppError::Internal(format!("allowed_origins: {e}")))?;
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let done = sqlx::query("UPDATE tenants SET name = ?, time_zone = ?, allowed_origins = ? WHERE id = ?")
            .bind(&settings.name)
            .bind(&settings.time_zone)
            .bind(origins)
            .bind(tenant_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(AppError::NotFound);
        }
        event_in(&mut tx, tenant_id, None, actor, "clinic_settings_changed", now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores an invitation, replacing any pending one for the same email.
    ///
    /// # Errors
    /// 409 `account-exists` if the clinic already has an account with that email; database
    /// errors.
    pub async fn create_invitation(&self, inv: &NewInvitation, now: i64) -> Result<(), AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let exists = sqlx::query("SELECT 1 FROM users WHERE tenant_id = ? AND email_index = ?")
            .bind(&inv.tenant_id)
            .bind(&inv.email_index)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_some() {
            return Err(AppError::Conflict {
                kind: "account-exists",
                detail: "this clinic already has an account with that email; change its role instead".into(),
            });
        }
        sqlx::query(
            "UPDATE staff_invitations SET revoked_at = ? WHERE tenant_id = ? AND email_index = ? \
             AND accepted_at IS NULL AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(&inv.tenant_id)
        .bind(&inv.email_index)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO staff_invitations (id, tenant_id, token_hash, email_index, email_enc, role, provider_name, \
             created_at, created_by, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&inv.id)
        .bind(&inv.tenant_id)
        .bind(&inv.token_hash)
        .bind(&inv.email_index)
        .bind(&inv.email_enc)
        .bind(&inv.role)
        .bind(&inv.provider_name)
        .bind(now)
        .bind(&inv.created_by)
        .bind(inv.expires_at)
        .execute(&mut *tx)
        .await?;
        event_in(&mut tx, &inv.tenant_id, None, &inv.created_by, "invitation_created", now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// One invitation of the tenant, by id.
    ///
    /// # Errors
    /// Database errors.
    pub async fn invitation(&self, tenant_id: &str, id: &str) -> Result<Option<InvitationRow>, AppError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            invitation_columns!(),
            " FROM staff_invitations WHERE tenant_id = ? AND id = ?"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&mut *self.read().await?)
        .await?;
        Ok(row.as_ref().map(invitation_row).transpose()?)
    }

    /// The invitation with this token hash, if it is the tenant's.
    ///
    /// # Errors
    /// Database errors.
    pub async fn invitation_by_token(
        &self,
        tenant_id: &str,
        token_hash: &[u8],
    ) -> Result<Option<InvitationRow>, AppError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            invitation_columns!(),
            " FROM staff_invitations WHERE tenant_id = ? AND token_hash = ?"
        ))
        .bind(tenant_id)
        .bind(token_hash)
        .fetch_optional(&mut *self.read().await?)
        .await?;
        Ok(row.as_ref().map(invitation_row).transpose()?)
    }

    /// The tenant's invitations that can still be accepted at `now`, newest first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn pending_invitations(&self, tenant_id: &str, now: i64) -> Result<Vec<InvitationRow>, AppError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            invitation_columns!(),
            " FROM staff_invitations WHERE tenant_id = ? AND accepted_at IS NULL AND revoked_at IS NULL \
             AND expires_at > ? ORDER BY created_at DESC, id"
        ))
        .bind(tenant_id)
        .bind(now)
        .fetch_all(&mut *self.read().await?)
        .await?;
        Ok(rows.iter().map(invitation_row).collect::<Result<_, _>>()?)
    }

    /// Revokes a pending invitation. Returns whether there was one to revoke.
    ///
    /// # Errors
    /// Database errors.
    pub async fn revoke_invitation(&self, tenant_id: &str, id: &str, actor: &str, now: i64) -> Result<bool, AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let done = sqlx::query(
            "UPDATE staff_invitations SET revoked_at = ? WHERE tenant_id = ? AND id = ? \
             AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?",
        )
        .bind(now)
        .bind(tenant_id)
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        event_in(&mut tx, tenant_id, None, actor, "invitation_revoked", now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Accepts invitation `invitation_id` with a new account (its role already set from the
    /// invitation), creating `provider` if given: all or nothing, and only if the invitation
    /// is still pending at `now` (checked in the transaction, so a token works once).
    ///
    /// # Errors
    /// 400 `invalid-invitation` if it is no longer pending; 409 `account-exists`; database
    /// errors.
    pub async fn accept_invitation(
        &self,
        invitation_id: &str,
        user: &NewUser,
        provider: Option<&ProviderRow>,
        now: i64,
    ) -> Result<(), AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        super::accounts::insert_user_in(&mut tx, user, now).await?;
        let done = sqlx::query(
            "UPDATE staff_invitations SET accepted_at = ?, accepted_by = ? WHERE tenant_id = ? AND id = ? \
             AND role = ? AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?",
        )
        .bind(now)
        .bind(&user.id)
        .bind(&user.tenant_id)
        .bind(invitation_id)
        .bind(&user.role)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(invalid_invitation());
        }
        if let Some(provider) = provider {
            insert_provider_in(&mut tx, provider).await?;
        }
        event_in(&mut tx, &user.tenant_id, Some(&user.id), &user.id, "invitation_accepted", now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The tenant's current (not removed) staff, with their provider record ids.
    ///
    /// # Errors
    /// Database errors.
    pub async fn staff_members(&self, tenant_id: &str) -> Result<Vec<StaffMemberRow>, AppError> {
        let rows = sqlx::query(
            "SELECT u.id, u.role, u.name_enc, u.email_enc, p.id AS provider_id FROM users u \
             LEFT JOIN providers p ON p.tenant_id = u.tenant_id AND p.user_id = u.id \
             WHERE u.tenant_id = ? AND u.role IN ('receptionist', 'provider', 'admin') AND u.disabled_at IS NULL \
             ORDER BY u.id",
        )
        .bind(tenant_id)
        .fetch_all(&mut *self.read().await?)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StaffMemberRow {
                    id: r.try_get("id")?,
                    role: r.try_get("role")?,
                    name_enc: r.try_get("name_enc")?,
                    email_enc: r.try_get("email_enc")?,
                    provider_id: r.try_get("provider_id")?,
                })
            })
            .collect()
    }

    /// Changes a current staff member's role. Leaving the provider role makes their provider
    /// record unbookable; becoming a receptionist deletes their clinic-key copies. Returns
    /// whether they held the current clinic key and may no longer (so it should rotate).
    ///
    /// # Errors
    /// 404 for patients, removed accounts and unknown ids; 409 `last-admin`; database errors.
    pub async fn change_role(
        &self,
        tenant_id: &str,
        user_id: &str,
        role: &str,
        actor: &str,
        now: i64,
    ) -> Result<bool, AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let old = staff_role_in(&mut tx, tenant_id, user_id).await?;
        if old == "admin" && role != "admin" {
            keep_an_admin(&mut tx, tenant_id, user_id).await?;
        }
        sqlx::query("UPDATE users SET role = ? WHERE tenant_id = ? AND id = ?")
            .bind(role)
            .bind(tenant_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if role != "provider" {
            deactivate_provider_of_in(&mut tx, tenant_id, user_id).await?;
        }
        let rotate = if role == "receptionist" { drop_shares_in(&mut tx, tenant_id, user_id).await? } else { false };
        event_in(&mut tx, tenant_id, Some(user_id), actor, "staff_role_changed", now).await?;
        tx.commit().await?;
        Ok(rotate)
    }

    /// Removes a current staff member: disables the account, ends its sessions, deletes its
    /// clinic-key copies and makes its provider record unbookable (bookings stay). Returns
    /// whether they held the current clinic key (so it should rotate).
    ///
    /// # Errors
    /// 404 for patients, removed accounts and unknown ids; 409 `last-admin`; database errors.
    pub async fn remove_staff(&self, tenant_id: &str, user_id: &str, actor: &str, now: i64) -> Result<bool, AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        if staff_role_in(&mut tx, tenant_id, user_id).await? == "admin" {
            keep_an_admin(&mut tx, tenant_id, user_id).await?;
        }
        sqlx::query("UPDATE users SET disabled_at = ? WHERE tenant_id = ? AND id = ?")
            .bind(now)
            .bind(tenant_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE tenant_id = ? AND user_id = ?")
            .bind(tenant_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let rotate = drop_shares_in(&mut tx, tenant_id, user_id).await?;
        deactivate_provider_of_in(&mut tx, tenant_id, user_id).await?;
        event_in(&mut tx, tenant_id, Some(user_id), actor, "staff_removed", now).await?;
        tx.commit().await?;
        Ok(rotate)
    }

    /// Every service of the tenant, active or not, by name.
    ///
    /// # Errors
    /// Database errors.
    pub async fn all_services(&self, tenant_id: &str) -> Result<Vec<ServiceRow>, AppError> {
        let rows = sqlx::query(
            "SELECT id, tenant_id, name, duration_minutes, active FROM services WHERE tenant_id = ? ORDER BY name, id",
        )
        .bind(tenant_id)
        .fetch_all(&mut *self.read().await?)
        .await?;
        Ok(rows.iter().map(service_row).collect::<Result<_, _>>()?)
    }

    /// Creates or replaces a service (by tenant and id), recording who did it. Returns
    /// whether a row was written (false: `replace` and no such service).
    ///
    /// # Errors
    /// Database errors.
    pub async fn write_service(&self, s: &ServiceRow, replace: bool, actor: &str, now: i64) -> Result<bool, AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let done = if replace {
            sqlx::query("UPDATE services SET name = ?, duration_minutes = ?, active = ? WHERE tenant_id = ? AND id = ?")
                .bind(&s.name)
                .bind(s.duration_minutes)
                .bind(i64::from(s.active))
                .bind(&s.tenant_id)
                .bind(&s.id)
                .execute(&mut *tx)
                .await?
        } else {
            sqlx::query("INSERT INTO services (id, tenant_id, name, duration_minutes, active) VALUES (?, ?, ?, ?, ?)")
                .bind(&s.id)
                .bind(&s.tenant_id)
                .bind(&s.name)
                .bind(s.duration_minutes)
                .bind(i64::from(s.active))
                .execute(&mut *tx)
                .await?
        };
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        let kind = if replace { "service_changed" } else { "service_created" };
        event_in(&mut tx, &s.tenant_id, None, actor, kind, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Every provider of the tenant, active or not, by name.
    ///
    /// # Errors
    /// Database errors.
    pub async fn all_providers(&self, tenant_id: &str) -> Result<Vec<ProviderRow>, AppError> {
        let rows = sqlx::query(
            "SELECT id, tenant_id, user_id, display_name, active FROM providers WHERE tenant_id = ? \
             ORDER BY display_name, id",
        )
        .bind(tenant_id)
        .fetch_all(&mut *self.read().await?)
        .await?;
        Ok(rows.iter().map(provider_row).collect::<Result<_, _>>()?)
    }

    /// Creates a provider record for a current provider-role account of the tenant.
    ///
    /// # Errors
    /// 400 `unknown-user` if `p.user_id` is not one; 409 `provider-exists` if it already has a
    /// provider record; database errors.
    pub async fn create_provider(&self, p: &ProviderRow, actor: &str, now: i64) -> Result<(), AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        if !is_provider_account_in(&mut tx, &p.tenant_id, &p.user_id).await? {
            return Err(AppError::bad_request(
                "unknown-user",
                "userId must be a staff member of this clinic with the provider role",
            ));
        }
        insert_provider_in(&mut tx, p).await?;
        event_in(&mut tx, &p.tenant_id, Some(&p.user_id), actor, "provider_created", now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes a provider's display name and whether they can be booked. Returns whether
    /// the provider exists.
    ///
    /// # Errors
    /// 409 `provider-account-inactive` when activating a provider whose account is removed or
    /// no longer has the provider role; database errors.
    pub async fn update_provider(
        &self,
        tenant_id: &str,
        id: &str,
        display_name: &str,
        active: bool,
        actor: &str,
        now: i64,
    ) -> Result<bool, AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let row = sqlx::query("SELECT user_id FROM providers WHERE tenant_id = ? AND id = ?")
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else { return Ok(false) };
        let user_id: String = row.try_get("user_id")?;
        if active && !is_provider_account_in(&mut tx, tenant_id, &user_id).await? {
            return Err(AppError::Conflict {
                kind: "provider-account-inactive",
                detail: "this provider's account was removed or no longer has the provider role".into(),
            });
        }
        sqlx::query("UPDATE providers SET display_name = ?, active = ? WHERE tenant_id = ? AND id = ?")
            .bind(display_name)
            .bind(i64::from(active))
            .bind(tenant_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        event_in(&mut tx, tenant_id, Some(&user_id), actor, "provider_changed", now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Replaces a provider's weekly schedule (already validated), recording who did it.
    /// Returns whether the provider exists.
    ///
    /// # Errors
    /// Database errors.
    pub async fn replace_schedule(
        &self,
        tenant_id: &str,
        provider_id: &str,
        windows: &[ScheduleRow],
        actor: &str,
        now: i64,
    ) -> Result<bool, AppError> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let exists = sqlx::query("SELECT 1 FROM providers WHERE tenant_id = ? AND id = ?")
            .bind(tenant_id)
            .bind(provider_id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Ok(false);
        }
        sqlx::query("DELETE FROM weekly_schedules WHERE tenant_id = ? AND provider_id = ?")
            .bind(tenant_id)
            .bind(provider_id)
            .execute(&mut *tx)
            .await?;
        for w in windows {
            sqlx::query(
                "INSERT INTO weekly_schedules (tenant_id, provider_id, weekday, start_minute, end_minute) \
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(tenant_id)
            .bind(provider_id)
            .bind(w.weekday)
            .bind(w.start_minute)
            .bind(w.end_minute)
            .execute(&mut *tx)
            .await?;
        }
        event_in(&mut tx, tenant_id, None, actor, "schedule_changed", now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The kinds of the security events an admin caused, oldest first (for tests and audits).
    ///
    /// # Errors
    /// Database errors.
    pub async fn security_events_by(&self, actor_id: &str) -> Result<Vec<String>, AppError> {
        let rows = sqlx::query("SELECT kind FROM security_events WHERE actor_id = ? ORDER BY id")
            .bind(actor_id)
            .fetch_all(&mut *self.read().await?)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("kind")?)).collect()
    }
}
