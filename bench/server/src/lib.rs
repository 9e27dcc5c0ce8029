//! What the server benchmark's set-up binaries share: the app called in process, as the SDK
//! would call it over a socket, and a patient signed up the way the SDK does it (keys and
//! password-derived keys made client-side, TOTP confirmed, the notice acknowledged).

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64ct::{Base64UrlUnpadded, Encoding};
use bizing_core::api::{ClinicKeyInfo, NppStatus, RecoverySlot, RegisterRequest};
use bizing_core::{KdfParams, KdfProfile, KeyPair, PublicKey, RecoveryCode, Totp, derive_password_keys};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// The app in process, answering like the server over a socket.
#[derive(Clone)]
pub struct Api(pub Router);

/// An answer: status, the session cookie it set (name=value), and the body as JSON (`Null`
/// when empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// `name=value` of a `Set-Cookie`, if any.
    pub cookie: Option<String>,
    /// The body.
    pub json: Value,
}

impl Api {
    /// One request, with an optional JSON body and session cookie.
    ///
    /// # Errors
    /// If the request cannot be built or the body not read.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        cookie: Option<&str>,
    ) -> Result<Reply, String> {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(cookie) = cookie {
            req = req.header(header::COOKIE, cookie);
        }
        let body = match body {
            Some(json) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        let req = req.body(body).map_err(|e| e.to_string())?;
        let res = self.0.clone().oneshot(req).await.map_err(|e| e.to_string())?;
        let status = res.status();
        let cookie = res
            .headers()
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::to_owned);
        let bytes = res.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        let json = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
        Ok(Reply { status, cookie, json })
    }

    /// [`Api::call`], failing unless the status is `expected`.
    ///
    /// # Errors
    /// As [`Api::call`], or another status.
    pub async fn expect(
        &self,
        expected: StatusCode,
        method: &str,
        path: &str,
        body: Option<Value>,
        cookie: Option<&str>,
    ) -> Result<Reply, String> {
        let reply = self.call(method, path, body, cookie).await?;
        if reply.status == expected {
            Ok(reply)
        } else {
            Err(format!("{method} {path}: {} (expected {expected}): {}", reply.status, reply.json))
        }
    }
}

/// A reply's body as `T`.
///
/// # Errors
/// If it does not parse.
pub fn decode<T: serde::de::DeserializeOwned>(reply: Reply, what: &str) -> Result<T, String> {
    serde_json::from_value(reply.json).map_err(|e| format!("{what}: {e}"))
}

/// A patient just signed up: the session cookie, the personal key, and the authenticator
/// with the time whose code confirmed it (the server accepts each step once per user).
pub struct SignedUp {
    /// `name=value` of the session cookie.
    pub cookie: String,
    /// The personal key pair.
    pub keys: KeyPair,
    /// The enrolled authenticator.
    pub totp: Totp,
    /// Unix seconds of the code that confirmed the enrollment.
    pub confirmed_at: u64,
}

/// Signs a patient up as the SDK does (the fast test KDF profile client-side; the server
/// hashes the auth key as always) and confirms TOTP with the code for `now` (the server's
/// clock, Unix seconds); acknowledges the clinic's notice if it has one. Returns the session
/// cookie and the personal key.
///
/// # Errors
/// Any refusal or key error.
pub async fn sign_up(api: &Api, tenant: &str, email: &str, name: &str, now: u64) -> Result<(String, KeyPair), String> {
    let password = format!("bench password of {email}");
    let done = sign_up_with(api, tenant, email, name, &password, KdfProfile::InsecureFastForTests, now).await?;
    Ok((done.cookie, done.keys))
}

/// [`sign_up`] with the password and the client-side KDF profile given (the portal
/// benchmark's patients sign in through the page, so they get the production profile).
///
/// # Errors
/// Any refusal or key error.
pub async fn sign_up_with(
    api: &Api,
    tenant: &str,
    email: &str,
    name: &str,
    password: &str,
    profile: KdfProfile,
    now: u64,
) -> Result<SignedUp, String> {
    let params = KdfParams::generate(profile).map_err(|e| e.to_string())?;
    let keys = KeyPair::generate().map_err(|e| e.to_string())?;
    let codes = RecoveryCode::generate(10).map_err(|e| e.to_string())?;
    let derived = derive_password_keys(password, &params).map_err(|e| e.to_string())?;
    let recovery = codes
        .iter()
        .map(|c| {
            Ok(RecoverySlot {
                code_hash: c.hash().to_string(),
                wrapped_private_key: keys.wrap_with_recovery_code(c).map_err(|e| e.to_string())?.to_string(),
            })
        })
        .collect::<Result<_, String>>()?;
    let register = RegisterRequest {
        tenant_id: tenant.into(),
        email: email.into(),
        name: name.into(),
        kdf_params: params.to_string(),
        auth_key: derived.auth_key.to_base64url().to_string(),
        public_key: Base64UrlUnpadded::encode_string(&keys.public_key().to_sec1()),
        wrapped_private_key: keys.wrap_with_password(&derived.wrap_key).map_err(|e| e.to_string())?.to_string(),
        recovery,
        invitation: None,
    };
    let body = serde_json::to_value(register).map_err(|e| e.to_string())?;
    let reply = api.expect(StatusCode::CREATED, "POST", "/api/auth/register", Some(body), None).await?;
    let cookie = reply.cookie.ok_or("registration set no session cookie")?;
    let enrolled = api.expect(StatusCode::OK, "POST", "/api/auth/totp/enroll", None, Some(&cookie)).await?;
    let uri = enrolled.json["uri"].as_str().ok_or("enrollment returned no otpauth URI")?;
    let totp = Totp::from_uri(uri).map_err(|e| e.to_string())?;
    let code = json!({ "code": totp.code_at(now) });
    api.expect(StatusCode::NO_CONTENT, "POST", "/api/auth/totp/confirm", Some(code), Some(&cookie)).await?;
    let status: NppStatus =
        decode(api.expect(StatusCode::OK, "GET", "/api/npp/status", None, Some(&cookie)).await?, "npp status")?;
    if let (true, Some(hash)) = (status.needs_acknowledgment, status.current_hash) {
        let ack = json!({ "versionHash": hash, "channel": "portal" });
        api.expect(StatusCode::NO_CONTENT, "POST", "/api/npp/ack", Some(ack), Some(&cookie)).await?;
    }
    Ok(SignedUp { cookie, keys, totp, confirmed_at: now })
}

/// The clinic's current key, to seal notes to.
///
/// # Errors
/// If the clinic has none or it does not parse.
pub async fn clinic_key(api: &Api, tenant: &str) -> Result<PublicKey, String> {
    let path = format!("/api/clinics/{tenant}/clinic-key");
    let info: ClinicKeyInfo = decode(api.expect(StatusCode::OK, "GET", &path, None, None).await?, "clinic key")?;
    let sec1 = Base64UrlUnpadded::decode_vec(&info.public_key).map_err(|e| e.to_string())?;
    PublicKey::from_sec1(&sec1).and_then(|k| k.with_version(info.version)).map_err(|e| format!("clinic key: {e}"))
}

/// Unix seconds now, from the system clock.
///
/// # Errors
/// If the clock is before 1970.
pub fn system_now() -> Result<u64, String> {
    Ok(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_err(|e| e.to_string())?.as_secs())
}

/// The command line of a set-up binary: `--name value` pairs, each name one the binary knows.
#[derive(Debug)]
pub struct Flags {
    values: std::collections::BTreeMap<String, String>,
    usage: &'static str,
}

impl Flags {
    /// Reads `args` (without the program name) as pairs of one of `known` and a value;
    /// `usage` is the message for a missing or bad flag.
    ///
    /// # Errors
    /// An unknown flag or one without a value.
    pub fn parse(args: impl IntoIterator<Item = String>, known: &[&str], usage: &'static str) -> Result<Self, String> {
        let mut values = std::collections::BTreeMap::new();
        let mut it = args.into_iter();
        while let Some(name) = it.next() {
            if !known.contains(&name.as_str()) {
                return Err(format!("unknown argument {name}\n{usage}"));
            }
            let value = it.next().ok_or_else(|| format!("{name} needs a value\n{usage}"))?;
            values.insert(name, value);
        }
        Ok(Self { values, usage })
    }

    /// The value of a flag that must be given.
    ///
    /// # Errors
    /// If it was not.
    pub fn required(&self, name: &str) -> Result<String, String> {
        self.values.get(name).cloned().ok_or_else(|| format!("{name} is required\n{}", self.usage))
    }

    /// A count, or `default` when the flag was not given.
    ///
    /// # Errors
    /// If the value is not a non-negative integer.
    pub fn count(&self, name: &str, default: usize) -> Result<usize, String> {
        self.values.get(name).map_or(Ok(default), |v| v.parse().map_err(|e| format!("{name}: {e}\n{}", self.usage)))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code: failing loudly is the point")]
mod tests {
    use super::Flags;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn flags_read_known_pairs_and_refuse_the_rest() {
        let known = ["--database", "--slots"];
        let flags = Flags::parse(args(&["--database", "sqlite://x", "--slots", "7"]), &known, "usage").unwrap();
        assert_eq!(flags.required("--database").unwrap(), "sqlite://x");
        assert_eq!(flags.count("--slots", 1).unwrap(), 7);
        let flags = Flags::parse(args(&["--database", "d"]), &known, "usage").unwrap();
        assert_eq!(flags.count("--slots", 40).unwrap(), 40);
        assert!(Flags::parse(args(&["--slots", "x"]), &known, "usage").unwrap().count("--slots", 1).is_err());
        assert!(Flags::parse(args(&["--slots", "1"]), &known, "usage").unwrap().required("--database").is_err());
        assert!(Flags::parse(args(&["--other", "1"]), &known, "usage").is_err());
        assert!(Flags::parse(args(&["--database"]), &known, "usage").is_err());
    }
}
