//! Demo data: a clinic and one account per role, made the way real clients make them (keys
//! generated and wrapped "client-side" with the core, so the server still sees only what a
//! browser would send). Used by `cargo xtask demo` and by tests.

use base64ct::{Base64UrlUnpadded, Encoding};
use bizing_core::{
    ClinicKey, KdfParams, KdfProfile, KeyPair, PublicKey, RecoveryCode, Totp, TotpParams, TotpSecret,
    derive_password_keys,
};

use crate::AppState;
use crate::auth;
use crate::error::AppError;
use crate::store::{
    ClinicSettingsRow, NewClinicKey, NewClinicKeyShare, NewUser, ProviderRow, ScheduleRow, ServiceRow, TenantRow,
};

/// The demo clinic's id.
pub const DEMO_TENANT: &str = "demo-clinic";

/// The origins allowed to embed the demo clinic's widget: the widget demo's host page.
pub const DEMO_WIDGET_ORIGINS: [&str; 2] = ["http://127.0.0.1:8081", "http://localhost:8081"];

/// The demo clinic's Notice of Privacy Practices (`--demo-notice`), so the widget's guests
/// and new patients can acknowledge one from the start. Demo text, not legal advice.
pub const DEMO_NOTICE: &str = "NOTICE OF PRIVACY PRACTICES (demo)\n\n\
This notice describes how medical information about you may be used and disclosed, and how you can get access to \
this information. Please review it carefully.\n\n\
We use your health information to treat you, to arrange your visits and to run the clinic. We do not sell it. We \
share it with others only as the law allows or as you tell us in writing.\n\n\
You may ask to see and copy your record, to correct it, to know who we shared it with, to be contacted in a \
confidential way, and to limit what we share with your health plan when you pay in full yourself.\n\n\
This is the Bizing demo clinic: its notice is an example, and no real care is given here.";

/// Publishes [`DEMO_NOTICE`] as the demo admin, unless the demo clinic has a notice already.
/// Returns whether it published one.
///
/// # Errors
/// Database errors; the demo clinic or its admin missing.
pub async fn publish_notice(state: &AppState) -> Result<bool, AppError> {
    if state.store.current_npp(DEMO_TENANT).await?.is_some() {
        return Ok(false);
    }
    let staff = state.store.staff(DEMO_TENANT).await?;
    let admin = staff
        .iter()
        .find(|s| s.role == "admin")
        .ok_or_else(|| AppError::Internal("demo notice: the demo clinic has no admin".into()))?;
    let version = bizing_core::NppVersion::new(DEMO_NOTICE.to_owned());
    let hash = version.hash().to_string();
    state.store.publish_npp(DEMO_TENANT, &hash, version.text(), &admin.id, state.clock.now()).await?;
    Ok(true)
}

/// One seeded account, with what a person needs to sign in.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    /// The role.
    pub role: &'static str,
    /// The name.
    pub name: &'static str,
    /// Email to sign in with.
    pub email: &'static str,
    /// Password to sign in with.
    pub password: &'static str,
    /// The TOTP secret (base32) to add to an authenticator app.
    pub totp_secret: String,
    /// The `otpauth://` URI of that secret.
    pub totp_uri: String,
    /// One recovery code (the others are not printed).
    pub recovery_code: String,
}

const ACCOUNTS: [(&str, &str, &str, &str); 4] = [
    ("patient", "Alex Patient", "patient@demo.bizing.test", "demo patient password"),
    ("receptionist", "Riley Reception", "reception@demo.bizing.test", "demo reception password"),
    ("provider", "Dr. Dana Rivera", "provider@demo.bizing.test", "demo provider password"),
    ("admin", "Avery Admin", "admin@demo.bizing.test", "demo admin password"),
];

/// Creates the demo clinic and accounts unless the clinic exists. Returns the accounts it
/// created (none if the clinic was already there).
///
/// # Errors
/// Database or key errors.
pub async fn seed(state: &AppState, profile: KdfProfile) -> Result<Vec<DemoAccount>, AppError> {
    if state.store.tenant(DEMO_TENANT).await?.is_some() {
        return Ok(Vec::new());
    }
    let now = state.clock.now();
    let tenant = TenantRow {
        id: DEMO_TENANT.into(),
        name: "Bizing Demo Clinic".into(),
        time_zone: "America/New_York".into(),
        data_key_wrapped: state.master.new_tenant_key(DEMO_TENANT)?,
    };
    state.store.insert_tenant(&tenant, now).await?;
    let keys = state.master.tenant_keys(DEMO_TENANT, &tenant.data_key_wrapped)?;
    let mut out = Vec::new();
    let mut holders = Vec::new();
    for (role, name, email, password) in ACCOUNTS {
        let internal = |e: &dyn std::fmt::Display| AppError::Internal(format!("demo {role}: {e}"));
        // What a browser does at registration.
        let params = KdfParams::generate(profile).map_err(|e| internal(&e))?;
        let password_keys = derive_password_keys(password, &params).map_err(|e| internal(&e))?;
        let pair = KeyPair::generate().map_err(|e| internal(&e))?;
        let wrapped = pair.wrap_with_password(&password_keys.wrap_key).map_err(|e| internal(&e))?;
        let codes = RecoveryCode::generate(10).map_err(|e| internal(&e))?;
        let mut recovery = Vec::new();
        for code in &codes {
            let w = pair.wrap_with_recovery_code(code).map_err(|e| internal(&e))?;
            recovery.push((code.hash().to_string(), w.to_string()));
        }
        let secret = TotpSecret::generate().map_err(|e| internal(&e))?;
        let totp = Totp::new(secret, TotpParams::default(), tenant.name.clone(), email).map_err(|e| internal(&e))?;
        let auth_key =
            Base64UrlUnpadded::decode_vec(password_keys.auth_key.to_base64url().as_str()).map_err(|e| internal(&e))?;

        // What the server does with it.
        let id = auth::new_id()?;
        let secret_text = totp.secret().to_base32();
        let user = NewUser {
            id: id.clone(),
            tenant_id: DEMO_TENANT.into(),
            role: role.into(),
            email_index: keys.email_index(email),
            email_enc: keys.encrypt("users", "email_enc", &id, email)?,
            name_enc: keys.encrypt("users", "name_enc", &id, name)?,
            auth_hash: auth::hash_auth_key(&auth_key)?,
            kdf_params: params.to_string(),
            public_key: pair.public_key().to_sec1().to_vec(),
            wrapped_private_key: wrapped.to_string(),
            recovery,
            totp_secret_enc: Some(keys.encrypt("users", "totp_secret_enc", &id, &secret_text)?),
        };
        state.store.insert_user(&user, now).await?;
        if role == "provider" {
            seed_schedule(state, &id, name).await?;
        }
        if matches!(role, "provider" | "admin") {
            holders.push((id.clone(), role, pair.public_key().clone()));
        }
        out.push(DemoAccount {
            role,
            name,
            email,
            password,
            totp_secret: secret_text.to_string(),
            totp_uri: totp.to_uri().to_string(),
            recovery_code: codes.first().map(|c| c.to_display_string().to_string()).unwrap_or_default(),
        });
    }
    seed_clinic_key(state, &holders, now).await?;
    // What the demo admin sets in the clinic settings.
    let settings = ClinicSettingsRow {
        name: tenant.name.clone(),
        time_zone: tenant.time_zone.clone(),
        allowed_origins: DEMO_WIDGET_ORIGINS.map(String::from).to_vec(),
    };
    let admin = holders
        .iter()
        .find(|(_, role, _)| *role == "admin")
        .ok_or_else(|| AppError::Internal("demo settings: no admin".into()))?;
    state.store.set_clinic_settings(DEMO_TENANT, &settings, &admin.0, now).await?;
    Ok(out)
}

/// Clinic key version 1, made and wrapped "client-side" by the demo admin to the provider's
/// and their own personal keys (never the receptionist's); the server stores only the public
/// key and the wrapped copies.
async fn seed_clinic_key(state: &AppState, holders: &[(String, &str, PublicKey)], now: i64) -> Result<(), AppError> {
    let internal = |e: &dyn std::fmt::Display| AppError::Internal(format!("demo clinic key: {e}"));
    let admin = holders
        .iter()
        .find(|(_, role, _)| *role == "admin")
        .ok_or_else(|| AppError::Internal("demo clinic key: no admin".into()))?;
    // What the admin's browser does.
    let clinic_key = ClinicKey::create().map_err(|e| internal(&e))?;
    let mut shares = Vec::new();
    for (user_id, _, personal) in holders {
        let wrapped = clinic_key.wrap_for(personal).map_err(|e| internal(&e))?;
        shares.push(NewClinicKeyShare {
            user_id: user_id.clone(),
            recipient_public_key: personal.to_sec1().to_vec(),
            wrapped_key: wrapped.to_string(),
        });
    }
    // What the server stores of it.
    let key = NewClinicKey {
        tenant_id: DEMO_TENANT.into(),
        version: i64::from(clinic_key.version()),
        key_id: clinic_key.key_id().to_string(),
        public_key: clinic_key.public_key().to_sec1().to_vec(),
        created_by: admin.0.clone(),
    };
    state.store.publish_clinic_key(&key, &shares, now).await
}

/// The demo services, and the demo provider bookable Monday to Friday, 09:00-12:00 and
/// 13:00-17:00 clinic time.
async fn seed_schedule(state: &AppState, provider_user_id: &str, name: &str) -> Result<(), AppError> {
    for (id, service, minutes) in [
        ("new-patient", "New patient visit", 60),
        ("follow-up", "Follow-up visit", 30),
        ("check-in", "Check-in call", 15),
    ] {
        let row = ServiceRow {
            id: format!("{DEMO_TENANT}-{id}"),
            tenant_id: DEMO_TENANT.into(),
            name: service.into(),
            duration_minutes: minutes,
            active: true,
        };
        state.store.insert_service(&row).await?;
    }
    let provider = ProviderRow {
        id: format!("{DEMO_TENANT}-provider-1"),
        tenant_id: DEMO_TENANT.into(),
        user_id: provider_user_id.into(),
        display_name: name.into(),
        active: true,
    };
    state.store.insert_provider(&provider).await?;
    let windows: Vec<ScheduleRow> = (1..=5)
        .flat_map(|weekday| {
            [(9 * 60, 12 * 60), (13 * 60, 17 * 60)].map(|(start_minute, end_minute)| ScheduleRow {
                weekday,
                start_minute,
                end_minute,
            })
        })
        .collect();
    state.store.set_weekly_schedule(DEMO_TENANT, &provider.id, &windows).await
}
