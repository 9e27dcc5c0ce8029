//! Test harness: the app over a temporary SQLite file, an injected clock, a client that acts
//! like the browser SDK (keys made and wrapped client-side with the core).
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64ct::{Base64UrlUnpadded, Encoding};
use bizing_core::api::{RecoverySlot, RegisterRequest};
use bizing_core::{ClinicKey, KdfParams, KdfProfile, KeyPair, PublicKey, RecoveryCode, Totp, derive_password_keys};
use bizing_server::clock::TestClock;
use bizing_server::store::{Store, TenantRow};
use bizing_server::vault::MasterKey;
use bizing_server::{AppState, Config, app};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub const TENANT: &str = "clinic-a";
pub const T0: i64 = 1_790_000_000;

pub struct TestApp {
    pub router: Router,
    pub clock: TestClock,
    pub state: AppState,
    pub dir: tempdir::TempDir,
}

pub mod tempdir {
    /// A directory under the OS temp dir, removed on drop.
    pub struct TempDir(pub std::path::PathBuf);
    impl TempDir {
        pub fn new() -> Self {
            let mut raw = [0u8; 8];
            getrandom::fill(&mut raw).unwrap();
            let name: String = raw.iter().map(|b| format!("{b:02x}")).collect();
            let path = std::env::temp_dir().join(format!("bizing-server-test-{name}"));
            std::fs::create_dir_all(&path).unwrap();
            Self(path)
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config(Config::default()).await
    }

    pub async fn with_config(config: Config) -> Self {
        let dir = tempdir::TempDir::new();
        let url = format!("sqlite://{}", dir.0.join("test.db").display());
        let store = Store::open(&url).await.unwrap();
        let master = MasterKey::generate().unwrap();
        let clock = TestClock::new(T0);
        let state = AppState::new(store, master, Arc::new(clock.clone()), config).unwrap();
        for id in [TENANT, "clinic-b"] {
            let tenant = TenantRow {
                id: id.into(),
                name: format!("Clinic {id}"),
                time_zone: "America/New_York".into(),
                data_key_wrapped: state.master.new_tenant_key(id).unwrap(),
            };
            state.store.insert_tenant(&tenant, T0).await.unwrap();
        }
        Self { router: app(state.clone()), clock, state, dir }
    }

    pub fn db_path(&self) -> std::path::PathBuf {
        self.dir.0.join("test.db")
    }

    /// Sends a request; returns status, headers, and the body as JSON (Null if empty).
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>, cookie: Option<&str>) -> Response {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        let req = match body {
            Some(b) => req.header(header::CONTENT_TYPE, "application/json").body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        self.send(req).await
    }

    pub async fn send(&self, req: Request<Body>) -> Response {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let json = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
        Response { status, headers, json, raw: bytes.to_vec() }
    }
}

pub struct Response {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub json: Value,
    pub raw: Vec<u8>,
}

impl Response {
    /// The session cookie to send back (`name=value`), if one was set.
    pub fn cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or_default().to_owned())
            .find(|c| c.starts_with("__Host-bizing-session=") && c.len() > "__Host-bizing-session=".len())
    }

    pub fn problem_type(&self) -> &str {
        self.json["type"].as_str().unwrap_or_default()
    }
}

/// A patient as the browser SDK would register them.
pub struct Patient {
    pub email: String,
    pub name: String,
    pub password: String,
    pub params: KdfParams,
    pub keys: KeyPair,
    pub codes: Vec<RecoveryCode>,
    pub totp: Option<Totp>,
}

impl Patient {
    pub fn new(email: &str, name: &str) -> Self {
        Self {
            email: email.into(),
            name: name.into(),
            password: format!("correct horse {email}"),
            params: KdfParams::generate(KdfProfile::InsecureFastForTests).unwrap(),
            keys: KeyPair::generate().unwrap(),
            codes: RecoveryCode::generate(10).unwrap(),
            totp: None,
        }
    }

    pub fn auth_key(&self) -> String {
        derive_password_keys(&self.password, &self.params).unwrap().auth_key.to_base64url().to_string()
    }

    pub fn register_body(&self, tenant: &str) -> Value {
        let pk = derive_password_keys(&self.password, &self.params).unwrap();
        let req = RegisterRequest {
            tenant_id: tenant.into(),
            email: self.email.clone(),
            name: self.name.clone(),
            kdf_params: self.params.to_string(),
            auth_key: pk.auth_key.to_base64url().to_string(),
            public_key: Base64UrlUnpadded::encode_string(&self.keys.public_key().to_sec1()),
            wrapped_private_key: self.keys.wrap_with_password(&pk.wrap_key).unwrap().to_string(),
            recovery: self
                .codes
                .iter()
                .map(|c| RecoverySlot {
                    code_hash: c.hash().to_string(),
                    wrapped_private_key: self.keys.wrap_with_recovery_code(c).unwrap().to_string(),
                })
                .collect(),
            invitation: None,
        };
        serde_json::to_value(req).unwrap()
    }

    /// Registers, enrolls TOTP and confirms it; returns the signed-in cookie.
    pub async fn sign_up(&mut self, app: &TestApp, tenant: &str) -> String {
        let body = self.register_body(tenant);
        self.sign_up_with(app, body).await
    }

    /// The registration body of a staff member accepting invitation `token`.
    pub fn invited_body(&self, tenant: &str, token: &str) -> Value {
        let mut body = self.register_body(tenant);
        body["invitation"] = Value::String(token.to_owned());
        body
    }

    /// Registers with invitation `token`, enrolls TOTP and confirms it; returns the
    /// signed-in cookie.
    pub async fn sign_up_invited(&mut self, app: &TestApp, tenant: &str, token: &str) -> String {
        let body = self.invited_body(tenant, token);
        self.sign_up_with(app, body).await
    }

    /// A fresh second factor in a signed-in session (`POST /api/auth/step-up`), moving the
    /// clock to the next TOTP step when the current one was already used.
    pub async fn step_up(&self, app: &TestApp, cookie: &str) {
        for _ in 0..2 {
            let code = self.totp.as_ref().expect("enrolled").code_at(app.clock_now());
            let res =
                app.call("POST", "/api/auth/step-up", Some(serde_json::json!({ "code": code })), Some(cookie)).await;
            if res.status == StatusCode::NO_CONTENT {
                return;
            }
            assert_eq!(res.problem_type(), "urn:bizing:problem:code-already-used", "{}", res.json);
            app.clock.advance(30);
        }
        panic!("step-up failed twice");
    }

    /// Signs in with both factors (moving the clock to a fresh TOTP step); returns the
    /// cookie.
    pub async fn sign_in(&self, app: &TestApp, tenant: &str) -> String {
        app.clock.advance(30);
        let res = self.login(app, tenant).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.json);
        let cookie = res.cookie().unwrap();
        let code = self.totp.as_ref().expect("enrolled").code_at(app.clock_now());
        let res = app.call("POST", "/api/auth/mfa", Some(serde_json::json!({ "code": code })), Some(&cookie)).await;
        assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.json);
        cookie
    }

    async fn sign_up_with(&mut self, app: &TestApp, body: Value) -> String {
        let res = app.call("POST", "/api/auth/register", Some(body), None).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
        let cookie = res.cookie().expect("a session cookie");
        let res = app.call("POST", "/api/auth/totp/enroll", None, Some(&cookie)).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.json);
        let totp = Totp::from_uri(res.json["uri"].as_str().unwrap()).unwrap();
        let code = totp.code_at(app.clock_now());
        let res =
            app.call("POST", "/api/auth/totp/confirm", Some(serde_json::json!({ "code": code })), Some(&cookie)).await;
        assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.json);
        self.totp = Some(totp);
        cookie
    }

    /// Password step only; returns the cookie of a session awaiting the second factor.
    pub async fn login(&self, app: &TestApp, tenant: &str) -> Response {
        let body = serde_json::json!({ "tenantId": tenant, "email": self.email, "authKey": self.auth_key() });
        app.call("POST", "/api/auth/login", Some(body), None).await
    }
}

impl TestApp {
    pub fn clock_now(&self) -> u64 {
        u64::try_from(bizing_server::clock::Clock::now(&self.clock)).unwrap()
    }
}

impl Patient {
    /// Creates this person as a staff account with `role` directly in the store (as an
    /// admin would, with an enrolled authenticator), then signs in with both factors;
    /// returns the signed-in cookie.
    pub async fn sign_up_as(&mut self, app: &TestApp, tenant: &str, role: &str) -> String {
        let tenant_row = app.state.store.tenant(tenant).await.unwrap().unwrap();
        let keys = app.state.master.tenant_keys(tenant, &tenant_row.data_key_wrapped).unwrap();
        let pk = derive_password_keys(&self.password, &self.params).unwrap();
        let auth_key = Base64UrlUnpadded::decode_vec(pk.auth_key.to_base64url().as_str()).unwrap();
        let totp = Totp::new(
            bizing_core::TotpSecret::generate().unwrap(),
            bizing_core::TotpParams::default(),
            tenant_row.name.clone(),
            self.email.clone(),
        )
        .unwrap();
        let id = bizing_server::auth::new_id().unwrap();
        let secret_text = totp.secret().to_base32();
        let user = bizing_server::store::NewUser {
            id: id.clone(),
            tenant_id: tenant.into(),
            role: role.into(),
            email_index: keys.email_index(&self.email),
            email_enc: keys.encrypt("users", "email_enc", &id, &self.email).unwrap(),
            name_enc: keys.encrypt("users", "name_enc", &id, &self.name).unwrap(),
            auth_hash: bizing_server::auth::hash_auth_key(&auth_key).unwrap(),
            kdf_params: self.params.to_string(),
            public_key: self.keys.public_key().to_sec1().to_vec(),
            wrapped_private_key: self.keys.wrap_with_password(&pk.wrap_key).unwrap().to_string(),
            recovery: Vec::new(),
            totp_secret_enc: Some(keys.encrypt("users", "totp_secret_enc", &id, &secret_text).unwrap()),
        };
        app.state.store.insert_user(&user, i64::try_from(app.clock_now()).unwrap()).await.unwrap();
        let res = self.login(app, tenant).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.json);
        let cookie = res.cookie().unwrap();
        let code = totp.code_at(app.clock_now());
        let res = app.call("POST", "/api/auth/mfa", Some(serde_json::json!({ "code": code })), Some(&cookie)).await;
        assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.json);
        self.totp = Some(totp);
        cookie
    }
}

impl TestApp {
    /// The user id behind a signed-in cookie.
    pub async fn user_id(&self, cookie: &str) -> String {
        let me = self.call("GET", "/api/me", None, Some(cookie)).await;
        assert_eq!(me.status, StatusCode::OK, "{}", me.json);
        me.json["userId"].as_str().unwrap().to_owned()
    }
}

impl TestApp {
    /// Publishes `key` as an admin's browser would: wraps it to the admin's own personal key
    /// and to each holder's (found by public key in `GET /api/staff/keys`), then posts it.
    pub async fn publish_clinic_key_version(
        &self,
        admin_cookie: &str,
        key: &ClinicKey,
        holders: &[&KeyPair],
    ) -> Response {
        let admin_id = self.user_id(admin_cookie).await;
        let staff = self.call("GET", "/api/staff/keys", None, Some(admin_cookie)).await;
        assert_eq!(staff.status, StatusCode::OK, "{}", staff.json);
        let staff = staff.json["staff"].as_array().unwrap().clone();
        let share = |user_id: &str, personal: &PublicKey| {
            let wrapped = key.wrap_for(personal).unwrap().to_string();
            serde_json::json!({ "userId": user_id, "wrappedKey": wrapped })
        };
        let admin = staff.iter().find(|m| m["userId"] == admin_id.as_str()).expect("the admin is staff");
        let admin_key =
            PublicKey::from_sec1(&Base64UrlUnpadded::decode_vec(admin["publicKey"].as_str().unwrap()).unwrap())
                .unwrap();
        let mut shares = vec![share(&admin_id, &admin_key)];
        for holder in holders {
            let sec1 = Base64UrlUnpadded::encode_string(&holder.public_key().to_sec1());
            let member = staff.iter().find(|m| m["publicKey"] == sec1.as_str()).expect("a holder is staff");
            let user_id = member["userId"].as_str().unwrap();
            if user_id != admin_id {
                shares.push(share(user_id, holder.public_key()));
            }
        }
        let body = serde_json::json!({
            "version": key.version(),
            "publicKey": Base64UrlUnpadded::encode_string(&key.public_key().to_sec1()),
            "shares": shares,
        });
        self.call("POST", "/api/clinic-keys", Some(body), Some(admin_cookie)).await
    }

    /// Makes the clinic's first key (version 1) client-side, shares it with the signed-in
    /// admin and `holders` (providers' or admins' personal keys), and returns it.
    pub async fn publish_clinic_key(&self, admin_cookie: &str, holders: &[&KeyPair]) -> ClinicKey {
        let key = ClinicKey::create().unwrap();
        let res = self.publish_clinic_key_version(admin_cookie, &key, holders).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
        key
    }
}
