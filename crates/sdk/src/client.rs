//! `BookingClient`: the booking API over the global `fetch`, for JavaScript and for the Leptos
//! apps (which use [`BookingClient`] from Rust).
//!
//! Request and response bodies are the wire types of [`bizing_core::api`], mapped with serde
//! to and from the values of the JavaScript engine's own `JSON.parse` and `JSON.stringify`
//! (serde-wasm-bindgen), so the wasm carries no JSON parser; JavaScript gets plain objects
//! of the same shapes.
//!
//! **Sessions.** In a browser page the session cookie is HttpOnly and the browser keeps it:
//! the client only says when to send it ([`Credentials`]). Outside a browser (no `document`:
//! Node.js, Deno, workerd) nothing keeps cookies, so each client keeps the cookies the API
//! sets in its own memory, sends them back with its own requests (to its base URL only), and
//! drops them on logout. They are never written anywhere else and never exposed.
//!
//! **Widget sessions.** The booking widget runs in a cross-site iframe, where the browser
//! never sends the `SameSite=Strict` session cookie. There a client is given a widget
//! session's token ([`BookingClient::set_session_token`], made by the portal with
//! [`BookingClient::widget_session`]) and sends it as `Authorization: Bearer` on every
//! request instead of any cookie. The token is held in memory only and zeroized on logout.
//!
//! **Keys.** The password never leaves the client: [`BookingClient::register`] and
//! [`BookingClient::login`] derive the auth key and the wrap key locally and send only the auth
//! key. The key pair they return is a [`bizing_core::KeyPair`] the caller owns: zeroized when
//! dropped, so drop it when the session ends. (JavaScript gets a `KeyPair` handle instead,
//! in the SDK's key registry, which `logout()` and the idle timer zeroize.)
//!
//! **JavaScript.** The `JsBookingClient` class (exported as `BookingClient`) and each of its
//! `impl` blocks are behind the `js` feature; see the crate documentation for the pattern.
//!
//! **Errors.** An error response is an RFC 9457 problem: [`ClientError::Api`], and in
//! JavaScript a `BizingError` with code `Api` and `status`, `problemType`, `title`, `detail`,
//! `retryAfter`. No answer at all is `Network`; a success with an unexpected body is
//! `InvalidResponse`.

mod admin;
mod preferences;
mod staff;
mod widget;

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
#[cfg(feature = "js")]
use std::rc::Weak;

use base64ct::{Base64UrlUnpadded, Encoding};
use bizing_core as core;
use bizing_core::api::{
    AccessLogPage, AcknowledgeNpp, Booking, BookingsResponse, ClinicKeyInfo, CreateBookingRequest, LogKey,
    LoginRequest, LoginResponse, Me, MfaRequest, NppNotice, NppStatus, PreloginRequest, PreloginResponse,
    ProvidersResponse, RegisterRequest, RescheduleRequest, ServicesResponse, SlotsQuery, SlotsResponse,
    TotpEnrollResponse,
};
use bizing_core::api::{
    Correction, CorrectionsResponse, CreateCorrectionRequest, DisagreementRequest, ExportDocument, RecoverySlot,
    RegenerateRecoveryCodes, RewrapItem, RewrapRequest, RewrapResponse, SealedKind, StaleItem, StaleQuery,
    StaleResponse, correction_context, disagreement_context, note_context,
};
use bizing_core::{KdfParams, KdfProfile, RecoveryCode, WrappedKey};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use zeroize::Zeroizing;

#[cfg(feature = "js")]
use crate::error::error;
use crate::error::{Coded, ErrorCode};
use crate::js::set;
#[cfg(feature = "js")]
use crate::js::{get, get_opt, string};
#[cfg(feature = "js")]
use crate::keys::{ClinicKey, KeyPair};
#[cfg(feature = "js")]
use crate::keystore::{self, WeakSlot};

pub use staff::{ClinicKeyring, Rotation};

/// The prefix of every problem type the booking API sends.
pub const PROBLEM_TYPE_PREFIX: &str = "urn:bizing:problem:";

/// Recovery codes made at registration (the server requires exactly this many).
const RECOVERY_CODES: usize = 10;

/// When a browser sends the session cookie with API requests (`fetch`'s `credentials`).
/// Outside a browser the client keeps the cookie itself and this only matters for `Omit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Credentials {
    /// Only to the page's own origin (the API is served with the app). The default.
    #[default]
    SameOrigin,
    /// Also cross-origin (the API on another origin that allows it with CORS).
    Include,
    /// Never: no session at all.
    Omit,
}

impl Credentials {
    #[cfg(feature = "js")]
    fn parse(text: &str) -> Option<Self> {
        match text {
            "same-origin" => Some(Self::SameOrigin),
            "include" => Some(Self::Include),
            "omit" => Some(Self::Omit),
            _ => None,
        }
    }

    fn mode(self) -> web_sys::RequestCredentials {
        match self {
            Self::SameOrigin => web_sys::RequestCredentials::SameOrigin,
            Self::Include => web_sys::RequestCredentials::Include,
            Self::Omit => web_sys::RequestCredentials::Omit,
        }
    }
}

/// An error response of the booking API (RFC 9457 problem details).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiProblem {
    /// The HTTP status.
    pub status: u16,
    /// The problem type, e.g. `urn:bizing:problem:session-expired`; `about:blank` when the
    /// response was not a problem document (e.g. from a proxy).
    pub problem_type: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// What went wrong here, when the server said.
    pub detail: Option<String>,
    /// `Retry-After` in seconds, on 429 responses.
    pub retry_after: Option<u32>,
}

impl ApiProblem {
    /// The slug of the problem type (`session-expired` for `urn:bizing:problem:session-expired`).
    #[must_use]
    pub fn slug(&self) -> Option<&str> {
        self.problem_type.strip_prefix(PROBLEM_TYPE_PREFIX)
    }
}

/// What a [`BookingClient`] call can fail with.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientError {
    /// The API answered with an error.
    Api(ApiProblem),
    /// No answer: the network, DNS, a refused connection, CORS, or an aborted request.
    Network(String),
    /// A success whose body is not what the call expects.
    InvalidResponse(String),
    /// Anything else, with its code: a bad argument, a key or KDF failure (a wrong password
    /// that the server nevertheless accepted unwraps to `DecryptionFailed`), no `fetch`.
    Other {
        /// The code JavaScript sees.
        code: ErrorCode,
        /// What happened.
        message: String,
    },
}

impl ClientError {
    fn other(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Other { code, message: message.into() }
    }

    fn invalid(message: impl Into<String>) -> Self {
        Self::other(ErrorCode::InvalidArgument, message)
    }

    fn coded<E: Coded>(e: &E) -> Self {
        Self::other(e.code(), e.to_string())
    }

    /// The [`ErrorCode`] JavaScript sees for this error.
    #[must_use]
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Api(_) => ErrorCode::Api,
            Self::Network(_) => ErrorCode::Network,
            Self::InvalidResponse(_) => ErrorCode::InvalidResponse,
            Self::Other { code, .. } => *code,
        }
    }

    /// The API's problem, if the API answered with one.
    #[must_use]
    pub fn problem(&self) -> Option<&ApiProblem> {
        match self {
            Self::Api(problem) => Some(problem),
            _ => None,
        }
    }

    /// Whether this is the API problem `urn:bizing:problem:<slug>`.
    #[must_use]
    pub fn is_problem(&self, slug: &str) -> bool {
        self.problem().and_then(ApiProblem::slug) == Some(slug)
    }

    /// This error as JavaScript sees it: a `BizingError` with `code`, and for API problems
    /// `status`, `problemType`, `title`, `detail` and `retryAfter`.
    #[cfg(feature = "js")]
    #[must_use]
    pub fn to_js(&self) -> JsValue {
        let err = error(self.code(), &self.to_string());
        if let Self::Api(p) = self {
            let object: &js_sys::Object = err.unchecked_ref();
            set(object, "status", p.status);
            set(object, "problemType", p.problem_type.as_str());
            set(object, "title", p.title.as_str());
            if let Some(detail) = &p.detail {
                set(object, "detail", detail.as_str());
            }
            if let Some(seconds) = p.retry_after {
                set(object, "retryAfter", seconds);
            }
        }
        err
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Api(p) => {
                write!(f, "{} {} ({})", p.status, p.title, p.problem_type)?;
                match &p.detail {
                    Some(detail) => write!(f, ": {detail}"),
                    None => Ok(()),
                }
            }
            Self::Network(m) | Self::InvalidResponse(m) | Self::Other { message: m, .. } => f.write_str(m),
        }
    }
}

impl std::error::Error for ClientError {}

#[cfg(feature = "js")]
impl From<ClientError> for JsValue {
    fn from(e: ClientError) -> Self {
        e.to_js()
    }
}

/// What [`BookingClient::register`] returns.
pub struct Registered {
    /// The new personal key pair (zeroized when dropped: drop it when the session ends).
    pub key_pair: core::KeyPair,
    /// The ten recovery codes: show them once, never store them.
    pub recovery_codes: Vec<Zeroizing<String>>,
    /// What to do next: `"enroll-totp"`.
    pub next: String,
}

/// What [`BookingClient::login`] returns.
pub struct SignedIn {
    /// The personal key pair, unwrapped (zeroized when dropped: drop it when the session
    /// ends).
    pub key_pair: core::KeyPair,
    /// What to do next: `"enroll-totp"` or `"verify-mfa"`.
    pub next: String,
}

/// Cookies by name, values zeroized when dropped.
type Cookies = Vec<(String, Zeroizing<String>)>;

struct Inner {
    base_url: String,
    credentials: Credentials,
    /// In a browser page the browser keeps the cookie; `credentials` goes on every request.
    browser: bool,
    /// Outside a browser: the cookies the API set, name and value, in memory only. `None`
    /// in a browser or with `Credentials::Omit`.
    jar: Option<RefCell<Cookies>>,
    /// A widget session's token, sent as `Authorization: Bearer` instead of any cookie while
    /// set; in memory only, zeroized when replaced and on logout.
    session_token: RefCell<Option<Zeroizing<String>>>,
    /// Keys (and keyrings) this client handed to JavaScript, zeroized on logout.
    #[cfg(feature = "js")]
    keys: RefCell<Vec<WeakSlot>>,
}

/// A client of the booking API. Cheap to clone: clones share the session.
#[derive(Clone)]
pub struct BookingClient {
    inner: Rc<Inner>,
}

fn is_browser() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("document")).is_ok_and(|d| d.is_object())
}

fn js_message(value: &JsValue) -> String {
    if let Some(e) = value.dyn_ref::<js_sys::Error>() {
        let mut message = String::from(e.message());
        // Node.js says only "fetch failed" and puts the reason (ECONNREFUSED...) in `cause`.
        if let Ok(cause) = js_sys::Reflect::get(e, &JsValue::from_str("cause"))
            && let Some(cause) = cause.dyn_ref::<js_sys::Error>()
        {
            message.push_str(": ");
            message.push_str(&String::from(cause.message()));
        }
        return message;
    }
    value.as_string().unwrap_or_else(|| "unknown error".into())
}

fn segment(text: &str) -> String {
    String::from(js_sys::encode_uri_component(text))
}

/// `/api/clinics/{tenant}/{tail}`
fn clinic_path(tenant_id: &str, tail: &str) -> String {
    format!("/api/clinics/{}/{tail}", segment(tenant_id))
}

/// `/api/bookings/{id}{tail}`
fn booking_path(id: &str, tail: &str) -> String {
    format!("/api/bookings/{}{tail}", segment(id))
}

/// `/api/clinics/{tenant}/slots?...`
fn slots_path(tenant_id: &str, service: &str, provider: Option<&str>, from: Option<&str>, days: Option<u64>) -> String {
    let mut path = format!("{}?service={}", clinic_path(tenant_id, "slots"), segment(service));
    if let Some(provider) = provider {
        path.push_str("&provider=");
        path.push_str(&segment(provider));
    }
    if let Some(from) = from {
        path.push_str("&from=");
        path.push_str(&segment(from));
    }
    if let Some(days) = days {
        path.push_str(&format!("&days={days}"));
    }
    path
}

/// Stores one `Set-Cookie` line; an empty value or `Max-Age` <= 0 removes the cookie.
fn store_cookie(jar: &mut Cookies, line: &str) {
    let mut parts = line.split(';');
    let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) else { return };
    let (name, value) = (name.trim(), value.trim());
    if name.is_empty() {
        return;
    }
    let expired = value.is_empty()
        || parts.any(|attribute| {
            let attribute = attribute.trim();
            attribute.get(..8).is_some_and(|a| a.eq_ignore_ascii_case("max-age="))
                && attribute.get(8..).and_then(|n| n.trim().parse::<i64>().ok()).is_some_and(|n| n <= 0)
        });
    jar.retain(|(n, _)| n != name);
    if !expired {
        jar.push((name.to_owned(), Zeroizing::new(value.to_owned())));
    }
}

/// The `Set-Cookie` lines of a response, where the runtime shows them (Node.js 20, Deno and
/// workerd have `getSetCookie`; browsers never show them).
fn set_cookie_lines(headers: &web_sys::Headers) -> Vec<String> {
    let get_set_cookie = js_sys::Reflect::get(headers, &JsValue::from_str("getSetCookie"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    if let Some(f) = get_set_cookie {
        return f
            .call0(headers)
            .ok()
            .and_then(|lines| lines.dyn_into::<js_sys::Array>().ok())
            .map(|lines| lines.iter().filter_map(|l| l.as_string()).collect())
            .unwrap_or_default();
    }
    // Older runtimes join the lines with ", " (our cookies have no Expires, so no commas).
    headers
        .get("set-cookie")
        .ok()
        .flatten()
        .map(|joined| joined.split(',').map(str::to_owned).collect())
        .unwrap_or_default()
}

/// A response body as `T`: parsed by the JavaScript engine's `JSON.parse`, then read into `T`
/// with serde-wasm-bindgen, so no JSON parser ships in the wasm (about 8 KB gzipped less in
/// the portal and in the npm package). Members `T` does not know are ignored (serde's
/// `deny_unknown_fields` is for the server's side); a missing or mistyped one is an error.
fn parse_body<T: DeserializeOwned>(text: &str) -> Result<T, ClientError> {
    let value = js_sys::JSON::parse(text)
        .map_err(|_| ClientError::InvalidResponse("unexpected response body: not JSON".into()))?;
    serde_wasm_bindgen::from_value(value)
        .map_err(|e| ClientError::InvalidResponse(format!("unexpected response body: {e}")))
}

/// A JS object's JSON text.
fn json_text(object: &js_sys::Object) -> Result<String, ClientError> {
    js_sys::JSON::stringify(object)
        .ok()
        .and_then(|t| t.as_string())
        .ok_or_else(|| ClientError::invalid("the request cannot be sent as JSON"))
}

/// A string member of a JSON response body.
fn response_member(body: &str, name: &str) -> Result<String, ClientError> {
    js_sys::JSON::parse(body)
        .ok()
        .filter(JsValue::is_object)
        .and_then(|o| js_sys::Reflect::get(&o, &JsValue::from_str(name)).ok()?.as_string())
        .ok_or_else(|| ClientError::InvalidResponse(format!("the response has no `{name}` string")))
}

/// A request body's JSON text: `body` as a plain JavaScript value (objects, not `Map`s;
/// `None` as `null`, as serde_json would write it), then `JSON.stringify`.
fn json<B: Serialize>(body: &B) -> Result<String, ClientError> {
    let value = body
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| ClientError::invalid(e.to_string()))?;
    js_sys::JSON::stringify(&value)
        .ok()
        .and_then(|t| t.as_string())
        .ok_or_else(|| ClientError::invalid("the request cannot be sent as JSON"))
}

impl BookingClient {
    /// A client of the API at `base_url` (e.g. `https://booking.example`), sending the
    /// session cookie to the same origin only.
    ///
    /// # Errors
    /// `InvalidArgument` if `base_url` is not an `http(s)://` URL (outside a browser, where
    /// there is no page to resolve a relative URL against).
    pub fn new(base_url: &str) -> Result<Self, ClientError> {
        Self::with_credentials(base_url, Credentials::default())
    }

    /// A client that sends the session cookie as `credentials` says.
    ///
    /// # Errors
    /// As [`BookingClient::new`].
    pub fn with_credentials(base_url: &str, credentials: Credentials) -> Result<Self, ClientError> {
        let browser = is_browser();
        let base_url = base_url.trim().trim_end_matches('/');
        let absolute = ["http://", "https://"]
            .iter()
            .any(|scheme| base_url.get(..scheme.len()).is_some_and(|s| s.eq_ignore_ascii_case(scheme)));
        if !absolute && !(browser && (base_url.is_empty() || base_url.starts_with('/'))) {
            return Err(ClientError::invalid(
                "baseUrl must be an http:// or https:// URL (or, in a browser page, a path on the page's origin)",
            ));
        }
        let jar = (!browser && credentials != Credentials::Omit).then(|| RefCell::new(Vec::new()));
        Ok(Self {
            inner: Rc::new(Inner {
                base_url: base_url.to_owned(),
                credentials,
                browser,
                jar,
                session_token: RefCell::default(),
                #[cfg(feature = "js")]
                keys: RefCell::default(),
            }),
        })
    }

    /// A fresh booking id (16 random bytes, base64url): pick it before sealing a note, since
    /// the note's context names the booking.
    ///
    /// # Errors
    /// `RandomUnavailable` without a secure random number generator.
    pub fn new_booking_id() -> Result<String, ClientError> {
        let mut raw = [0u8; 16];
        getrandom::fill(&mut raw)
            .map_err(|_| ClientError::other(ErrorCode::RandomUnavailable, core::RandomError.to_string()))?;
        Ok(Base64UrlUnpadded::encode_string(&raw))
    }

    fn cookie_header(&self) -> Option<Zeroizing<String>> {
        let jar = self.inner.jar.as_ref()?.borrow();
        if jar.is_empty() {
            return None;
        }
        let pairs: Vec<String> = jar.iter().map(|(name, value)| format!("{name}={}", value.as_str())).collect();
        Some(Zeroizing::new(pairs.join("; ")))
    }

    /// `Bearer <token>` while a widget session's token is set.
    fn authorization(&self) -> Option<Zeroizing<String>> {
        let token = self.inner.session_token.borrow();
        token.as_ref().map(|t| Zeroizing::new(format!("Bearer {}", t.as_str())))
    }

    /// One request; the response body text on success.
    async fn request(&self, method: &str, path: &str, body: Option<String>) -> Result<String, ClientError> {
        let global = js_sys::global();
        let fetch = js_sys::Reflect::get(&global, &JsValue::from_str("fetch"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
            .ok_or_else(|| ClientError::other(ErrorCode::Unsupported, "this runtime has no global fetch"))?;
        let network = |e: &JsValue| ClientError::Network(format!("{method} {path}: {}", js_message(e)));
        let headers = web_sys::Headers::new().map_err(|e| network(&e))?;
        headers.set("accept", "application/json, application/problem+json").map_err(|e| network(&e))?;
        let init = web_sys::RequestInit::new();
        init.set_method(method);
        if let Some(body) = &body {
            headers.set("content-type", "application/json").map_err(|e| network(&e))?;
            init.set_body(&JsValue::from_str(body));
        }
        if let Some(authorization) = self.authorization() {
            // A widget session: the token is the session, so no cookie goes with it.
            headers.set("authorization", &authorization).map_err(|e| network(&e))?;
            if self.inner.browser {
                init.set_credentials(web_sys::RequestCredentials::Omit);
            }
        } else if self.inner.browser {
            init.set_credentials(self.inner.credentials.mode());
        } else if let Some(cookie) = self.cookie_header() {
            headers.set("cookie", &cookie).map_err(|e| network(&e))?;
        }
        init.set_headers(&headers);
        let url = format!("{}{path}", self.inner.base_url);
        let request = web_sys::Request::new_with_str_and_init(&url, &init)
            .map_err(|e| ClientError::invalid(format!("cannot request {url}: {}", js_message(&e))))?;
        let pending = fetch.call1(&global, &request).map_err(|e| network(&e))?;
        let response = JsFuture::from(js_sys::Promise::resolve(&pending)).await.map_err(|e| network(&e))?;
        if !response.is_object() {
            return Err(ClientError::InvalidResponse("fetch did not return a Response".into()));
        }
        // Not `dyn_into`: a polyfilled or cross-realm Response is still a Response.
        let response: web_sys::Response = response.unchecked_into();
        let response_headers = response.headers();
        if let Some(jar) = &self.inner.jar {
            let mut jar = jar.borrow_mut();
            for line in set_cookie_lines(&response_headers) {
                store_cookie(&mut jar, &line);
            }
        }
        let text = response.text().map_err(|e| network(&e))?;
        let text = JsFuture::from(text).await.map_err(|e| network(&e))?.as_string().unwrap_or_default();
        let status = response.status();
        if (200..300).contains(&status) {
            return Ok(text);
        }
        let retry_after = response_headers.get("retry-after").ok().flatten().and_then(|s| s.trim().parse().ok());
        // Read through JSON.parse rather than serde: the npm build then carries no JSON parser.
        let problem = js_sys::JSON::parse(&text).ok().filter(JsValue::is_object);
        let member = |name: &str| {
            problem.as_ref().and_then(|p| js_sys::Reflect::get(p, &JsValue::from_str(name)).ok()?.as_string())
        };
        let title = || {
            let text = response.status_text();
            if text.is_empty() { format!("HTTP {status}") } else { text }
        };
        Err(ClientError::Api(match member("type") {
            Some(problem_type) => ApiProblem {
                status,
                problem_type,
                title: member("title").unwrap_or_else(title),
                detail: member("detail"),
                retry_after,
            },
            None => {
                ApiProblem { status, problem_type: "about:blank".into(), title: title(), detail: None, retry_after }
            }
        }))
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        parse_body(&self.request("GET", path, None).await?)
    }

    async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: Option<&B>) -> Result<T, ClientError> {
        let body = body.map(json).transpose()?;
        parse_body(&self.request("POST", path, body).await?)
    }

    async fn post_no_content<B: Serialize>(&self, path: &str, body: Option<&B>) -> Result<(), ClientError> {
        let body = body.map(json).transpose()?;
        self.request("POST", path, body).await.map(drop)
    }

    /// Hands `pair` to JavaScript: in the SDK's key registry, and tracked by this client so
    /// that logout zeroizes it.
    #[cfg(feature = "js")]
    fn adopt(&self, pair: core::KeyPair) -> KeyPair {
        let pair = KeyPair::from_core(pair);
        self.adopt_slot(keystore::weak(pair.slot()));
        pair
    }

    /// Registers a slot of private keys (a key pair's, a keyring's) with this client, so
    /// logout zeroizes it.
    #[cfg(feature = "js")]
    fn adopt_slot(&self, slot: WeakSlot) {
        let mut keys = self.inner.keys.borrow_mut();
        keys.retain(|k| k.strong_count() > 0);
        keys.push(slot);
    }

    /// Forgets the session: drops the cookies and the widget session's token (zeroized) and
    /// zeroizes the keys this client handed to JavaScript.
    fn forget(&self) {
        if let Some(jar) = &self.inner.jar {
            jar.borrow_mut().clear();
        }
        self.inner.session_token.borrow_mut().take();
        #[cfg(feature = "js")]
        {
            let slots: Vec<WeakSlot> = self.inner.keys.borrow_mut().drain(..).collect();
            for slot in slots.iter().filter_map(Weak::upgrade) {
                slot.wipe();
            }
        }
    }

    /// `POST /api/auth/prelogin`: the account's KDF parameters (made up, but stable, for an
    /// unknown email).
    ///
    /// # Errors
    /// [`ClientError`]s as for every call: the API's problems, network failures.
    pub async fn prelogin(&self, request: &PreloginRequest) -> Result<PreloginResponse, ClientError> {
        self.post("/api/auth/prelogin", Some(request)).await
    }

    /// `POST /api/auth/register` with a request the caller built (see [`BookingClient::register`]
    /// for the whole job). Starts a session whose next step is TOTP enrollment.
    ///
    /// # Errors
    /// As every call; `Api` `conflict`-type problems for a taken email.
    pub async fn register_account(&self, request: &RegisterRequest) -> Result<LoginResponse, ClientError> {
        self.post("/api/auth/register", Some(request)).await
    }

    /// Registers a patient: new KDF parameters, password keys, a personal key pair wrapped
    /// under the password and under ten new recovery codes, then `POST /api/auth/register`.
    /// Only the auth key is sent, never the password.
    ///
    /// # Errors
    /// `InvalidKdfParams` for an empty password; the API's problems.
    pub async fn register(
        &self,
        tenant_id: &str,
        email: &str,
        name: &str,
        password: &str,
        profile: KdfProfile,
    ) -> Result<Registered, ClientError> {
        self.register_with(tenant_id, email, name, password, profile, None).await
    }

    /// [`BookingClient::register`], with a staff invitation's token if given.
    async fn register_with(
        &self,
        tenant_id: &str,
        email: &str,
        name: &str,
        password: &str,
        profile: KdfProfile,
        invitation: Option<&str>,
    ) -> Result<Registered, ClientError> {
        let coded = |e: &dyn Coded| ClientError::other(e.code(), e.to_string());
        let params = KdfParams::generate(profile).map_err(|e| coded(&e))?;
        let keys = core::derive_password_keys(password, &params).map_err(|e| coded(&e))?;
        let pair = core::KeyPair::generate().map_err(|e| coded(&e))?;
        let wrapped = pair.wrap_with_password(&keys.wrap_key).map_err(|e| coded(&e))?;
        let codes = RecoveryCode::generate(RECOVERY_CODES).map_err(|e| coded(&e))?;
        // A `RegisterRequest`, built as a JS object: the npm build then needs no serde_json.
        let recovery = js_sys::Array::new();
        for code in &codes {
            let slot = js_sys::Object::new();
            set(&slot, "codeHash", code.hash().to_string());
            set(&slot, "wrappedPrivateKey", pair.wrap_with_recovery_code(code).map_err(|e| coded(&e))?.to_string());
            recovery.push(&slot);
        }
        let body = js_sys::Object::new();
        set(&body, "tenantId", tenant_id);
        set(&body, "email", email);
        set(&body, "name", name);
        set(&body, "kdfParams", params.to_string());
        set(&body, "authKey", keys.auth_key.to_base64url().as_str());
        set(&body, "publicKey", Base64UrlUnpadded::encode_string(&pair.public_key().to_sec1()));
        set(&body, "wrappedPrivateKey", wrapped.to_string());
        set(&body, "recovery", recovery);
        if let Some(invitation) = invitation {
            set(&body, "invitation", invitation);
        }
        let response = self.request("POST", "/api/auth/register", Some(json_text(&body)?)).await?;
        Ok(Registered {
            key_pair: pair,
            recovery_codes: codes.iter().map(RecoveryCode::to_display_string).collect(),
            next: response_member(&response, "next")?,
        })
    }

    /// `POST /api/auth/login` with an auth key the caller derived (see
    /// [`BookingClient::login`] for the whole job).
    ///
    /// # Errors
    /// As every call; `wrong-credentials`, `account-locked`.
    pub async fn login_account(&self, request: &LoginRequest) -> Result<LoginResponse, ClientError> {
        self.post("/api/auth/login", Some(request)).await
    }

    /// Signs in with the first factor: prelogin, password keys derived locally, login with the
    /// auth key only, and the personal key pair unwrapped with the wrap key.
    ///
    /// # Errors
    /// `wrong-credentials` (the email or password is wrong), `account-locked`; network errors.
    pub async fn login(&self, tenant_id: &str, email: &str, password: &str) -> Result<SignedIn, ClientError> {
        let body = js_sys::Object::new();
        set(&body, "tenantId", tenant_id);
        set(&body, "email", email);
        let prelogin = self.request("POST", "/api/auth/prelogin", Some(json_text(&body)?)).await?;
        let params: KdfParams = response_member(&prelogin, "kdfParams")?
            .parse()
            .map_err(|e| ClientError::InvalidResponse(format!("the server's KDF parameters: {e}")))?;
        let keys = core::derive_password_keys(password, &params).map_err(|e| ClientError::coded(&e))?;
        set(&body, "authKey", keys.auth_key.to_base64url().as_str());
        let response = self.request("POST", "/api/auth/login", Some(json_text(&body)?)).await?;
        let wrapped: WrappedKey = response_member(&response, "wrappedPrivateKey")?
            .parse()
            .map_err(|e| ClientError::InvalidResponse(format!("the wrapped private key: {e}")))?;
        let pair = wrapped.unwrap_with_password(&keys.wrap_key).map_err(|e| ClientError::coded(&e))?;
        Ok(SignedIn { key_pair: pair, next: response_member(&response, "next")? })
    }

    /// `POST /api/auth/totp/enroll`: a new TOTP secret for the signed-in account (render its
    /// URI as a QR code with `Totp.qrSvg`).
    ///
    /// # Errors
    /// As every call; `mfa-enrolled` if the account already has one.
    pub async fn enroll_totp(&self) -> Result<TotpEnrollResponse, ClientError> {
        self.post::<(), _>("/api/auth/totp/enroll", None).await
    }

    /// `POST /api/auth/totp/confirm`: confirms enrollment with a first code, which also
    /// completes the sign-in.
    ///
    /// # Errors
    /// As every call; `wrong-code`, `no-enrollment`.
    pub async fn confirm_totp(&self, code: &str) -> Result<(), ClientError> {
        let request = MfaRequest { code: Some(code.to_owned()), recovery_code: None };
        self.post_no_content("/api/auth/totp/confirm", Some(&request)).await
    }

    /// `POST /api/auth/mfa`: the second factor, a TOTP code or a recovery code.
    ///
    /// # Errors
    /// `InvalidArgument` unless exactly one of the two is given; `wrong-code`,
    /// `code-already-used` (a replayed TOTP code), `account-locked`.
    pub async fn verify_mfa(&self, request: &MfaRequest) -> Result<(), ClientError> {
        if request.code.is_some() == request.recovery_code.is_some() {
            return Err(ClientError::invalid("give either code or recoveryCode"));
        }
        self.post_no_content("/api/auth/mfa", Some(request)).await
    }

    /// `POST /api/auth/step-up`: a fresh second factor before a sensitive action (a
    /// correction request), which the server asks for with `step-up-required`.
    ///
    /// # Errors
    /// As [`BookingClient::verify_mfa`].
    pub async fn step_up(&self, request: &MfaRequest) -> Result<(), ClientError> {
        if request.code.is_some() == request.recovery_code.is_some() {
            return Err(ClientError::invalid("give either code or recoveryCode"));
        }
        self.post_no_content("/api/auth/step-up", Some(request)).await
    }

    /// `POST /api/auth/logout`: ends the session on the server; then, whatever the answer,
    /// forgets the session cookie (and zeroizes the key pairs this client handed to
    /// JavaScript). A Rust caller drops the key pairs it holds.
    ///
    /// # Errors
    /// Network errors (the local state is cleared anyway).
    pub async fn logout(&self) -> Result<(), ClientError> {
        let result = self.request("POST", "/api/auth/logout", None).await.map(drop);
        self.forget();
        result
    }

    /// `GET /api/me`: the signed-in account.
    ///
    /// # Errors
    /// `not-signed-in`, `session-expired`, `mfa-required`.
    pub async fn me(&self) -> Result<Me, ClientError> {
        self.get("/api/me").await
    }

    /// `GET /api/clinics/{tenant}/npp`: the clinic's current Notice of Privacy Practices.
    ///
    /// # Errors
    /// `not-found` if the clinic has published none.
    pub async fn clinic_npp(&self, tenant_id: &str) -> Result<NppNotice, ClientError> {
        self.get(&clinic_path(tenant_id, "npp")).await
    }

    /// `GET /api/npp/status`: whether the signed-in patient must acknowledge the notice.
    ///
    /// # Errors
    /// As every call.
    pub async fn npp_status(&self) -> Result<NppStatus, ClientError> {
        self.get("/api/npp/status").await
    }

    /// `POST /api/npp/ack`: acknowledges the current notice.
    ///
    /// # Errors
    /// `npp-outdated` if a newer version was published.
    pub async fn acknowledge_npp(&self, request: &AcknowledgeNpp) -> Result<(), ClientError> {
        self.post_no_content("/api/npp/ack", Some(request)).await
    }

    /// `GET /api/clinics/{tenant}/clinic-key`: the clinic key notes are sealed to.
    ///
    /// # Errors
    /// `not-found` if the clinic has no key yet.
    pub async fn clinic_key(&self, tenant_id: &str) -> Result<ClinicKeyInfo, ClientError> {
        self.get(&clinic_path(tenant_id, "clinic-key")).await
    }

    /// `GET /api/clinics/{tenant}/services`
    ///
    /// # Errors
    /// As every call.
    pub async fn services(&self, tenant_id: &str) -> Result<ServicesResponse, ClientError> {
        self.get(&clinic_path(tenant_id, "services")).await
    }

    /// `GET /api/clinics/{tenant}/providers`
    ///
    /// # Errors
    /// As every call.
    pub async fn providers(&self, tenant_id: &str) -> Result<ProvidersResponse, ClientError> {
        self.get(&clinic_path(tenant_id, "providers")).await
    }

    /// `GET /api/clinics/{tenant}/slots`: free slots of a service.
    ///
    /// # Errors
    /// `invalid-query` and the like.
    pub async fn slots(&self, tenant_id: &str, query: &SlotsQuery) -> Result<SlotsResponse, ClientError> {
        let path = slots_path(
            tenant_id,
            &query.service,
            query.provider.as_deref(),
            query.from.as_deref(),
            query.days.map(u64::from),
        );
        self.get(&path).await
    }

    /// `POST /api/bookings`: books a slot, with a note sealed to the clinic key (and the
    /// patient's) under the booking's id.
    ///
    /// # Errors
    /// `slot-taken`, `npp-acknowledgment-required`, `note-not-for-clinic`, ...
    pub async fn create_booking(&self, request: &CreateBookingRequest) -> Result<Booking, ClientError> {
        self.post("/api/bookings", Some(request)).await
    }

    /// `GET /api/bookings`: the bookings the caller may see.
    ///
    /// # Errors
    /// As every call.
    pub async fn bookings(&self) -> Result<BookingsResponse, ClientError> {
        self.get("/api/bookings").await
    }

    /// `GET /api/bookings/{id}`
    ///
    /// # Errors
    /// `not-found` (also for someone else's booking).
    pub async fn booking(&self, id: &str) -> Result<Booking, ClientError> {
        self.get(&booking_path(id, "")).await
    }

    /// `POST /api/bookings/{id}/cancel`
    ///
    /// # Errors
    /// `booking-cancelled`, `booking-started`, `not-found`.
    pub async fn cancel_booking(&self, id: &str) -> Result<Booking, ClientError> {
        self.post::<(), _>(&booking_path(id, "/cancel"), None).await
    }

    /// `POST /api/bookings/{id}/reschedule`
    ///
    /// # Errors
    /// `slot-taken`, `booking-cancelled`, `booking-started`, `not-found`.
    pub async fn reschedule_booking(&self, id: &str, request: &RescheduleRequest) -> Result<Booking, ClientError> {
        self.post(&booking_path(id, "/reschedule"), Some(request)).await
    }

    /// `GET /api/access-log?since=N`: the signed-in patient's access events with inclusion
    /// proofs, a signed checkpoint, and a consistency proof from tree size `since` (the last
    /// verified checkpoint's; 0 the first time).
    ///
    /// # Errors
    /// `invalid-query` if `since` is beyond the log.
    pub async fn access_log(&self, since: u64) -> Result<AccessLogPage, ClientError> {
        self.get(&format!("/api/access-log?since={since}")).await
    }

    /// `GET /api/clinics/{tenant}/log-key`: the key that signs the clinic's checkpoints (pin it).
    ///
    /// # Errors
    /// As every call.
    pub async fn log_key(&self, tenant_id: &str) -> Result<LogKey, ClientError> {
        self.get(&clinic_path(tenant_id, "log-key")).await
    }
}

// ---------------------------------------------------------------------------------------
// JavaScript (feature `js`): every item from here to the next section is gated.

#[cfg(feature = "js")]
#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** Options of `new BookingClient(...)`. */
export interface BookingClientOptions {
  /** The API's origin, e.g. "https://booking.example" (in a browser page, "" for the page's own). */
  baseUrl: string;
  /**
   * When a browser sends the session cookie: "same-origin" (default) or "include" (the API on
   * another origin, allowed by CORS), or "omit". Outside browsers the client keeps the cookie
   * in memory itself.
   */
  credentials?: "same-origin" | "include" | "omit";
}

/** What a failed `BookingClient` call rejects with when the API answered with a problem. */
export interface BookingApiError extends Error {
  name: "BizingError";
  code: ErrorCode;
  /** The HTTP status. */
  status: number;
  /** e.g. "urn:bizing:problem:session-expired"; "about:blank" for a non-problem answer. */
  problemType: string;
  title: string;
  detail?: string;
  /** Seconds, on 429 answers. */
  retryAfter?: number;
}

export interface PreloginRequest { tenantId: string; email: string; }
export interface PreloginResponse { kdfParams: string; }

/** `client.register(...)`: a patient account. The password stays in the client. */
export interface RegisterOptions {
  tenantId: string;
  email: string;
  name: string;
  password: string;
  /** Default "interactive". */
  kdfProfile?: "interactive" | "insecure-fast-for-tests";
}

export interface RegisterResult {
  /** The new personal key pair (zeroized by `logout()`). */
  keyPair: KeyPair;
  /** Ten recovery codes: show them once, never store them. */
  recoveryCodes: string[];
  next: "enroll-totp";
}

export interface LoginOptions { tenantId: string; email: string; password: string; }

export interface LoginResult {
  /** The personal key pair, unwrapped (zeroized by `logout()`). */
  keyPair: KeyPair;
  next: "enroll-totp" | "verify-mfa";
}

export interface TotpEnrollResponse {
  /** Base32 secret. */
  secret: string;
  /** `otpauth://totp/...`: show it with `Totp.qrSvg(uri)`. */
  uri: string;
}

/** A TOTP code, or a recovery code: exactly one. */
export type MfaRequest = { code: string; recoveryCode?: never } | { recoveryCode: string; code?: never };

export interface Me {
  userId: string;
  tenantId: string;
  role: "patient" | "receptionist" | "provider" | "admin";
  name: string;
  email: string;
  /** SEC1, base64url. */
  publicKey: string;
  recoveryCodesLeft: number;
}

export interface NppNotice { hash: string; text: string; publishedAt: number; }
export interface NppAckRecord { versionHash: string; acknowledgedAt: number; channel: "portal" | "widget"; }
export interface NppStatus {
  currentHash: string | null;
  needsAcknowledgment: boolean;
  lastAcknowledgment: NppAckRecord | null;
}
export interface AcknowledgeNpp { versionHash: string; channel: "portal" | "widget"; }

export interface PublicJwk { kty: "EC"; crv: "P-256"; x: string; y: string; kid: string; }
export interface ClinicKeyInfo {
  version: number;
  keyId: string;
  /** SEC1, base64url. */
  publicKey: string;
  /** Seal notes to `PublicKey.fromJwk(info.jwk)`. */
  jwk: PublicJwk;
  createdAt: number;
}

export interface Service { id: string; name: string; durationMinutes: number; }
export interface ServicesResponse { services: Service[]; }
export interface Provider { id: string; displayName: string; }
export interface ProvidersResponse { providers: Provider[]; }

export interface SlotsQuery {
  service: string;
  provider?: string;
  /** YYYY-MM-DD in the clinic's time zone. */
  from?: string;
  days?: number;
}
export interface Slot { start: string; end: string; providerId: string; }
export interface SlotsResponse { timeZone: string; serviceId: string; slots: Slot[]; }

export interface CreateBookingRequest {
  /** From `BookingClient.newBookingId()`; required with a note. */
  id?: string;
  providerId: string;
  serviceId: string;
  /** A slot's `start`. */
  start: string;
  /** `bze1.…`, sealed under { tenantId, bookingId: id, field: "note", schemaVersion: 1 }. */
  note?: string;
}
export interface RescheduleRequest { start: string; }

export interface Booking {
  id: string;
  tenantId: string;
  patientId: string;
  /** Staff only. */
  patientName?: string;
  providerId: string;
  providerName: string;
  serviceId: string;
  serviceName: string;
  start: string;
  end: string;
  status: "active" | "cancelled";
  /** The sealed note: for the patient and the provider, when there is one. */
  note?: string;
  /** When the patient was checked in (clinic offset, like `start`). */
  checkedInAt?: string;
  /** Staff only: how and where the patient asked to be contacted instead, if they did. */
  confidentialContact?: ConfidentialContact;
  /** Staff only, and only on a guest's booking (made in the widget without an account): how to reach the guest. */
  guest?: GuestContact;
  createdAt: string;
  updatedAt: string;
}
export interface BookingsResponse { bookings: Booking[]; }

export interface LogKey { origin: string; keyName: string; publicKey: string; }
export interface AccessEvent {
  tenantId: string;
  patientId: string;
  actor: { userId: string; role: string; displayName: string };
  resource: { kind: string; id: string };
  action: string;
  /** Unix seconds. */
  at: number;
  from: string;
}
export interface LoggedEvent { leafIndex: number; salt: string; event: AccessEvent; inclusionProof: string[]; }
export interface AccessLogPage { checkpoint: string; consistencyProof: string[]; events: LoggedEvent[]; }
export interface AccessLogOptions {
  /** The tree size of the last verified checkpoint; 0 (default) the first time. */
  since?: number;
}
"#;

#[cfg(feature = "js")]
#[wasm_bindgen]
extern "C" {
    /// `BookingClientOptions` in TypeScript.
    #[wasm_bindgen(typescript_type = "BookingClientOptions")]
    pub type BookingClientOptions;
}

/// A non-empty string argument.
#[cfg(feature = "js")]
fn text_arg(value: &JsValue, name: &str) -> Result<String, ClientError> {
    match value.as_string() {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(ClientError::invalid(format!("{name} must be a non-empty string"))),
    }
}

/// A required string member of an options object.
#[cfg(feature = "js")]
fn member(options: &JsValue, name: &str) -> Result<String, ClientError> {
    Ok(string(&get(options, name)?, name)?)
}

/// An optional string member of an options object.
#[cfg(feature = "js")]
fn optional_member(options: &JsValue, name: &str) -> Result<Option<String>, ClientError> {
    get_opt(options, name)?.map(|v| Ok(string(&v, name)?)).transpose()
}

/// An optional integer member in `0..=2^53`.
#[cfg(feature = "js")]
fn optional_integer(options: &JsValue, name: &str) -> Result<Option<u64>, ClientError> {
    get_opt(options, name)?
        .map(|v| {
            v.as_f64()
                .filter(|n| n.fract() == 0.0 && (0.0..=9.0e15).contains(n))
                // Integral and within 0..2^53, checked just above.
                .map(|n| {
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let n = n as u64;
                    n
                })
                .ok_or_else(|| ClientError::invalid(format!("{name} must be a non-negative integer")))
        })
        .transpose()
}

/// `options.kdfProfile` of a JS registration: `"interactive"` (the default) or
/// `"insecure-fast-for-tests"`.
#[cfg(feature = "js")]
fn kdf_profile(options: &JsValue) -> Result<KdfProfile, ClientError> {
    match optional_member(options, "kdfProfile")?.as_deref() {
        None | Some("interactive") => Ok(KdfProfile::Interactive),
        Some("insecure-fast-for-tests") => Ok(KdfProfile::InsecureFastForTests),
        Some(_) => Err(ClientError::invalid("kdfProfile must be \"interactive\" or \"insecure-fast-for-tests\"")),
    }
}

/// A registration's `RegisterResult` for JS, its key pair handed out by `client`.
#[cfg(feature = "js")]
fn register_result(client: &BookingClient, registered: Registered) -> JsValue {
    let codes = js_sys::Array::new();
    for code in &registered.recovery_codes {
        codes.push(&JsValue::from_str(code));
    }
    let out = js_sys::Object::new();
    set(&out, "keyPair", client.adopt(registered.key_pair));
    set(&out, "recoveryCodes", codes);
    set(&out, "next", registered.next);
    out.into()
}

/// A JSON body built from string members (absent ones left out).
#[cfg(feature = "js")]
fn body(members: &[(&str, Option<String>)]) -> Result<Option<String>, ClientError> {
    let object = js_sys::Object::new();
    for (name, value) in members {
        if let Some(value) = value {
            set(&object, name, value.as_str());
        }
    }
    json_text(&object).map(Some)
}

/// A prepared request: method, path, JSON body.
#[cfg(feature = "js")]
type Call = (&'static str, String, Option<String>);

/// The booking API's client: `fetch`-based, works in browsers, Node.js, Deno and workerd.
/// Every method returns a promise of plain objects shaped like the API's JSON; failures
/// reject with a `BizingError` (code `Api` with `status` and `problemType` for the API's
/// problems, `Network`, `InvalidResponse`, `InvalidArgument`).
#[cfg(feature = "js")]
#[wasm_bindgen(js_name = BookingClient)]
pub struct JsBookingClient {
    client: BookingClient,
}

#[cfg(feature = "js")]
impl JsBookingClient {
    /// Sends a prepared request; resolves with the parsed JSON answer (`undefined` for an
    /// empty one). Arguments are checked before, so every method shares this one future
    /// (each async method of its own would add kilobytes to the package).
    fn call(&self, call: Result<Call, ClientError>) -> js_sys::Promise {
        let (method, path, body) = match call {
            Ok(call) => call,
            Err(e) => return js_sys::Promise::reject(&e.to_js()),
        };
        let client = self.client.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let text = client.request(method, &path, body).await.map_err(|e| e.to_js())?;
            if text.trim().is_empty() {
                return Ok(JsValue::UNDEFINED);
            }
            js_sys::JSON::parse(&text)
                .map_err(|_| ClientError::InvalidResponse(format!("{method} {path}: the answer is not JSON")).to_js())
        })
    }
}

#[cfg(feature = "js")]
#[wasm_bindgen(js_class = BookingClient)]
impl JsBookingClient {
    /// A client of the API at `baseUrl`.
    #[wasm_bindgen(constructor)]
    pub fn new(options: &BookingClientOptions) -> Result<JsBookingClient, JsValue> {
        let base_url = member(options, "baseUrl")?;
        let credentials =
            match get_opt(options, "credentials")? {
                None => Credentials::default(),
                Some(v) => v.as_string().as_deref().and_then(Credentials::parse).ok_or_else(|| {
                    ClientError::invalid("credentials must be \"same-origin\", \"include\" or \"omit\"")
                })?,
            };
        Ok(Self { client: BookingClient::with_credentials(&base_url, credentials)? })
    }

    /// A fresh booking id, to seal a note to before `createBooking`.
    #[wasm_bindgen(js_name = newBookingId)]
    pub fn new_booking_id() -> Result<String, JsValue> {
        Ok(BookingClient::new_booking_id()?)
    }

    /// The account's KDF parameters (`POST /api/auth/prelogin`).
    #[wasm_bindgen(unchecked_return_type = "Promise<PreloginResponse>")]
    pub fn prelogin(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PreloginRequest")] request: JsValue,
    ) -> js_sys::Promise {
        self.call((|| {
            let members =
                [("tenantId", Some(member(&request, "tenantId")?)), ("email", Some(member(&request, "email")?))];
            Ok(("POST", "/api/auth/prelogin".into(), body(&members)?))
        })())
    }

    /// Registers a patient: makes the keys and ten recovery codes locally and sends only the
    /// auth key and wrapped keys. The session then needs TOTP enrollment.
    #[wasm_bindgen(unchecked_return_type = "Promise<RegisterResult>")]
    pub fn register(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RegisterOptions")] options: JsValue,
    ) -> js_sys::Promise {
        let client = self.client.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let password = Zeroizing::new(member(&options, "password")?);
            let profile = kdf_profile(&options)?;
            let (tenant_id, email, name) =
                (member(&options, "tenantId")?, member(&options, "email")?, member(&options, "name")?);
            let registered = client.register(&tenant_id, &email, &name, &password, profile).await?;
            Ok(register_result(&client, registered))
        })
    }

    /// Signs in with the password (prelogin, keys derived locally, login with the auth key)
    /// and unwraps the personal key pair. Then `next` says: enroll TOTP or verify MFA.
    #[wasm_bindgen(unchecked_return_type = "Promise<LoginResult>")]
    pub fn login(&self, #[wasm_bindgen(unchecked_param_type = "LoginOptions")] options: JsValue) -> js_sys::Promise {
        let client = self.client.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let password = Zeroizing::new(member(&options, "password")?);
            let (tenant_id, email) = (member(&options, "tenantId")?, member(&options, "email")?);
            let signed_in = client.login(&tenant_id, &email, &password).await?;
            let out = js_sys::Object::new();
            set(&out, "keyPair", client.adopt(signed_in.key_pair));
            set(&out, "next", signed_in.next);
            Ok(out.into())
        })
    }

    /// A new TOTP secret for the signed-in account.
    #[wasm_bindgen(js_name = enrollTotp, unchecked_return_type = "Promise<TotpEnrollResponse>")]
    pub fn enroll_totp(&self) -> js_sys::Promise {
        self.call(Ok(("POST", "/api/auth/totp/enroll".into(), None)))
    }

    /// Confirms TOTP enrollment with a code from the app; completes the sign-in.
    #[wasm_bindgen(js_name = confirmTotp, unchecked_return_type = "Promise<void>")]
    pub fn confirm_totp(&self, #[wasm_bindgen(unchecked_param_type = "string")] code: JsValue) -> js_sys::Promise {
        self.call((|| {
            Ok(("POST", "/api/auth/totp/confirm".into(), body(&[("code", Some(text_arg(&code, "code")?))])?))
        })())
    }

    /// The second factor at sign-in: `{ code }` or `{ recoveryCode }`.
    #[wasm_bindgen(js_name = verifyMfa, unchecked_return_type = "Promise<void>")]
    pub fn verify_mfa(&self, #[wasm_bindgen(unchecked_param_type = "MfaRequest")] request: JsValue) -> js_sys::Promise {
        self.call((|| {
            let (code, recovery_code) =
                (optional_member(&request, "code")?, optional_member(&request, "recoveryCode")?);
            if code.is_some() == recovery_code.is_some() {
                return Err(ClientError::invalid("give either code or recoveryCode"));
            }
            Ok(("POST", "/api/auth/mfa".into(), body(&[("code", code), ("recoveryCode", recovery_code)])?))
        })())
    }

    /// A fresh second factor before a sensitive action: `{ code }` or `{ recoveryCode }`.
    #[wasm_bindgen(js_name = stepUp, unchecked_return_type = "Promise<void>")]
    pub fn step_up(&self, #[wasm_bindgen(unchecked_param_type = "MfaRequest")] request: JsValue) -> js_sys::Promise {
        self.call((|| {
            let (code, recovery_code) =
                (optional_member(&request, "code")?, optional_member(&request, "recoveryCode")?);
            if code.is_some() == recovery_code.is_some() {
                return Err(ClientError::invalid("give either code or recoveryCode"));
            }
            Ok(("POST", "/api/auth/step-up".into(), body(&[("code", code), ("recoveryCode", recovery_code)])?))
        })())
    }

    /// Ends the session; forgets the cookie and zeroizes the key pairs this client returned.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn logout(&self) -> js_sys::Promise {
        let client = self.client.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            client.logout().await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// The signed-in account.
    #[wasm_bindgen(unchecked_return_type = "Promise<Me>")]
    pub fn me(&self) -> js_sys::Promise {
        self.call(Ok(("GET", "/api/me".into(), None)))
    }

    /// The clinic's current Notice of Privacy Practices.
    #[wasm_bindgen(js_name = clinicNpp, unchecked_return_type = "Promise<NppNotice>")]
    pub fn clinic_npp(&self, #[wasm_bindgen(unchecked_param_type = "string")] tenant_id: JsValue) -> js_sys::Promise {
        self.call(text_arg(&tenant_id, "tenantId").map(|t| ("GET", clinic_path(&t, "npp"), None)))
    }

    /// Whether the signed-in patient must acknowledge the notice.
    #[wasm_bindgen(js_name = nppStatus, unchecked_return_type = "Promise<NppStatus>")]
    pub fn npp_status(&self) -> js_sys::Promise {
        self.call(Ok(("GET", "/api/npp/status".into(), None)))
    }

    /// Acknowledges the current notice.
    #[wasm_bindgen(js_name = acknowledgeNpp, unchecked_return_type = "Promise<void>")]
    pub fn acknowledge_npp(
        &self,
        #[wasm_bindgen(unchecked_param_type = "AcknowledgeNpp")] request: JsValue,
    ) -> js_sys::Promise {
        self.call((|| {
            let members = [
                ("versionHash", Some(member(&request, "versionHash")?)),
                ("channel", Some(member(&request, "channel")?)),
            ];
            Ok(("POST", "/api/npp/ack".into(), body(&members)?))
        })())
    }

    /// The clinic key to seal notes to.
    #[wasm_bindgen(js_name = clinicKey, unchecked_return_type = "Promise<ClinicKeyInfo>")]
    pub fn clinic_key(&self, #[wasm_bindgen(unchecked_param_type = "string")] tenant_id: JsValue) -> js_sys::Promise {
        self.call(text_arg(&tenant_id, "tenantId").map(|t| ("GET", clinic_path(&t, "clinic-key"), None)))
    }

    /// The clinic's services.
    #[wasm_bindgen(unchecked_return_type = "Promise<ServicesResponse>")]
    pub fn services(&self, #[wasm_bindgen(unchecked_param_type = "string")] tenant_id: JsValue) -> js_sys::Promise {
        self.call(text_arg(&tenant_id, "tenantId").map(|t| ("GET", clinic_path(&t, "services"), None)))
    }

    /// The clinic's providers.
    #[wasm_bindgen(unchecked_return_type = "Promise<ProvidersResponse>")]
    pub fn providers(&self, #[wasm_bindgen(unchecked_param_type = "string")] tenant_id: JsValue) -> js_sys::Promise {
        self.call(text_arg(&tenant_id, "tenantId").map(|t| ("GET", clinic_path(&t, "providers"), None)))
    }

    /// Free slots of a service.
    #[wasm_bindgen(unchecked_return_type = "Promise<SlotsResponse>")]
    pub fn slots(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] tenant_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "SlotsQuery")] query: JsValue,
    ) -> js_sys::Promise {
        self.call((|| {
            let tenant_id = text_arg(&tenant_id, "tenantId")?;
            let service = member(&query, "service")?;
            let (provider, from) = (optional_member(&query, "provider")?, optional_member(&query, "from")?);
            let days = optional_integer(&query, "days")?;
            let path = slots_path(&tenant_id, &service, provider.as_deref(), from.as_deref(), days);
            Ok(("GET", path, None))
        })())
    }

    /// Books a slot (with a note sealed to the booking's id, if any).
    #[wasm_bindgen(js_name = createBooking, unchecked_return_type = "Promise<Booking>")]
    pub fn create_booking(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CreateBookingRequest")] request: JsValue,
    ) -> js_sys::Promise {
        self.call((|| {
            let members = [
                ("id", optional_member(&request, "id")?),
                ("providerId", Some(member(&request, "providerId")?)),
                ("serviceId", Some(member(&request, "serviceId")?)),
                ("start", Some(member(&request, "start")?)),
                ("note", optional_member(&request, "note")?),
            ];
            Ok(("POST", "/api/bookings".into(), body(&members)?))
        })())
    }

    /// The bookings the caller may see.
    #[wasm_bindgen(unchecked_return_type = "Promise<BookingsResponse>")]
    pub fn bookings(&self) -> js_sys::Promise {
        self.call(Ok(("GET", "/api/bookings".into(), None)))
    }

    /// One booking.
    #[wasm_bindgen(unchecked_return_type = "Promise<Booking>")]
    pub fn booking(&self, #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue) -> js_sys::Promise {
        self.call(text_arg(&id, "id").map(|id| ("GET", booking_path(&id, ""), None)))
    }

    /// Cancels a booking.
    #[wasm_bindgen(js_name = cancelBooking, unchecked_return_type = "Promise<Booking>")]
    pub fn cancel_booking(&self, #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue) -> js_sys::Promise {
        self.call(text_arg(&id, "id").map(|id| ("POST", booking_path(&id, "/cancel"), None)))
    }

    /// Moves a booking to another free slot of the same provider and service.
    #[wasm_bindgen(js_name = rescheduleBooking, unchecked_return_type = "Promise<Booking>")]
    pub fn reschedule_booking(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "RescheduleRequest")] request: JsValue,
    ) -> js_sys::Promise {
        self.call((|| {
            let id = text_arg(&id, "id")?;
            Ok(("POST", booking_path(&id, "/reschedule"), body(&[("start", Some(member(&request, "start")?))])?))
        })())
    }

    /// The signed-in patient's access events with proofs and a signed checkpoint.
    #[wasm_bindgen(js_name = accessLog, unchecked_return_type = "Promise<AccessLogPage>")]
    pub fn access_log(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "AccessLogOptions")] options: JsValue,
    ) -> js_sys::Promise {
        self.call((|| {
            let since =
                if options.is_undefined() || options.is_null() { None } else { optional_integer(&options, "since")? };
            Ok(("GET", format!("/api/access-log?since={}", since.unwrap_or(0)), None))
        })())
    }

    /// The key that signs the clinic's access-log checkpoints.
    #[wasm_bindgen(js_name = logKey, unchecked_return_type = "Promise<LogKey>")]
    pub fn log_key(&self, #[wasm_bindgen(unchecked_param_type = "string")] tenant_id: JsValue) -> js_sys::Promise {
        self.call(text_arg(&tenant_id, "tenantId").map(|t| ("GET", clinic_path(&t, "log-key"), None)))
    }
}

// ---------------------------------------------------------------------------------------
// Corrections bound to their ids, the patient's export, rewrapping after a clinic-key
// rotation, and changes of the second factor (Rust API, then JavaScript).

/// What [`BookingClient::rewrap_stale`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RewrapOutcome {
    /// Texts moved to the current clinic-key version.
    pub rewrapped: u32,
    /// Texts left as they were: sealed to an older version the caller does not hold.
    pub skipped: u32,
    /// Stale texts left in the caller's reach after the last batch.
    pub remaining: u64,
    /// Whether none are left (for an admin: the rotation is complete).
    pub complete: bool,
}

/// Something that lends a private key for one use: a [`bizing_core::KeyPair`] the caller
/// owns, or (JavaScript) a `KeyPair` handle, which fails with `KeyZeroized` once zeroized.
trait HoldsKey {
    fn with_key<T>(&self, f: impl FnOnce(&core::KeyPair) -> T) -> Result<T, ClientError>;
}

impl HoldsKey for core::KeyPair {
    fn with_key<T>(&self, f: impl FnOnce(&core::KeyPair) -> T) -> Result<T, ClientError> {
        Ok(f(self))
    }
}

#[cfg(feature = "js")]
impl HoldsKey for KeyPair {
    fn with_key<T>(&self, f: impl FnOnce(&core::KeyPair) -> T) -> Result<T, ClientError> {
        crate::keystore::with_key(self.slot(), f).ok_or_else(|| {
            ClientError::other(
                ErrorCode::KeyZeroized,
                "this key was zeroized (logout or idle timeout) and cannot be used",
            )
        })
    }
}

/// The context of a stale item's text.
fn stale_context(tenant_id: &str, item: &StaleItem) -> core::Context {
    match item.kind {
        SealedKind::Note => note_context(tenant_id, &item.booking_id),
        SealedKind::Correction => correction_context(tenant_id, &item.booking_id, &item.id),
        SealedKind::Disagreement => disagreement_context(tenant_id, &item.booking_id, &item.id),
        SealedKind::Restriction => bizing_core::api::restriction_context(tenant_id, &item.id),
    }
}

/// `/api/notes/stale?...`
fn stale_path(after: Option<&str>, limit: Option<u64>) -> String {
    let mut query = Vec::new();
    if let Some(after) = after {
        query.push(format!("after={}", segment(after)));
    }
    if let Some(limit) = limit {
        query.push(format!("limit={limit}"));
    }
    if query.is_empty() { "/api/notes/stale".to_owned() } else { format!("/api/notes/stale?{}", query.join("&")) }
}

/// The clinic-key versions a rewrap may use, by position: their ids and public keys, and
/// their private keys borrowed for the moment of each use only (never across an await, so a
/// logout or idle time-out in between still zeroizes them, and the rewrap then stops).
pub(crate) trait HeldKeys {
    /// The versions' key ids, in order.
    ///
    /// # Errors
    /// `KeyZeroized` (as `InvalidArgument`, as the JS key handles report it).
    fn ids(&self) -> Result<Vec<core::KeyId>, ClientError>;

    /// The public key at `index`.
    ///
    /// # Errors
    /// As [`HeldKeys::ids`].
    fn public_key(&self, index: usize) -> Result<core::PublicKey, ClientError>;

    /// Whether the private key at `index` is there (a version just published may be given
    /// by its public key only: it is rewrapped to, never opened with).
    fn can_open(&self, index: usize) -> bool;

    /// `envelope` rewrapped ([`core::Envelope::rewrap`]) with the private key at `index`.
    ///
    /// # Errors
    /// As [`HeldKeys::ids`]; the envelope's errors.
    fn rewrap(
        &self,
        index: usize,
        envelope: &core::Envelope,
        context: &core::Context,
        add: &[core::PublicKey],
        remove: &[core::KeyId],
    ) -> Result<core::Envelope, ClientError>;
}

/// Key pairs by version: the caller's own (the Rust API) or JS key handles (`rewrapStale`),
/// each use going through the key registry, so a zeroized handle stops the rewrap.
impl<K: HoldsKey> HeldKeys for &[&K] {
    fn ids(&self) -> Result<Vec<core::KeyId>, ClientError> {
        self.iter().map(|k| k.with_key(core::KeyPair::key_id)).collect()
    }

    fn public_key(&self, index: usize) -> Result<core::PublicKey, ClientError> {
        let key = self.get(index).ok_or_else(|| ClientError::invalid("no such clinic key"))?;
        key.with_key(|pair| pair.public_key().clone())
    }

    fn can_open(&self, index: usize) -> bool {
        index < self.len()
    }

    fn rewrap(
        &self,
        index: usize,
        envelope: &core::Envelope,
        context: &core::Context,
        add: &[core::PublicKey],
        remove: &[core::KeyId],
    ) -> Result<core::Envelope, ClientError> {
        let key = self.get(index).ok_or_else(|| ClientError::invalid("no such clinic key"))?;
        key.with_key(|pair| envelope.rewrap(pair, context, add, remove))?.map_err(|e| ClientError::coded(&e))
    }
}

impl BookingClient {
    /// A fresh correction id (16 random bytes, base64url): pick it before sealing the change,
    /// since its context names the request ([`bizing_core::api::correction_context`]).
    ///
    /// # Errors
    /// `RandomUnavailable` without a secure random number generator.
    pub fn new_correction_id() -> Result<String, ClientError> {
        Self::new_booking_id()
    }

    /// `POST /api/bookings/{id}/corrections`: asks for a correction of the signed-in
    /// patient's booking, the change sealed under `correction_context(tenant, booking, id)`
    /// with the request's `id`. Needs a recent step-up.
    ///
    /// # Errors
    /// `step-up-required`, `invalid-id`, `correction-exists`, `invalid-envelope`, `not-found`.
    pub async fn create_correction(
        &self,
        booking_id: &str,
        request: &CreateCorrectionRequest,
    ) -> Result<Correction, ClientError> {
        self.post(&booking_path(booking_id, "/corrections"), Some(request)).await
    }

    /// `GET /api/corrections`: the correction requests the caller may see.
    ///
    /// # Errors
    /// As every call; `forbidden` for receptionists.
    pub async fn corrections(&self) -> Result<CorrectionsResponse, ClientError> {
        self.get("/api/corrections").await
    }

    /// `GET /api/corrections/{id}`
    ///
    /// # Errors
    /// `not-found` (also for someone else's).
    pub async fn correction(&self, id: &str) -> Result<Correction, ClientError> {
        self.get(&format!("/api/corrections/{}", segment(id))).await
    }

    /// `POST /api/corrections/{id}/disagreement`: the patient's statement of disagreement
    /// with a denial, sealed under `disagreement_context(tenant, booking, id)`.
    ///
    /// # Errors
    /// `not-denied`, `disagreement-filed`, `invalid-envelope`, `not-found`.
    pub async fn file_disagreement(&self, id: &str, request: &DisagreementRequest) -> Result<Correction, ClientError> {
        self.post(&format!("/api/corrections/{}/disagreement", segment(id)), Some(request)).await
    }

    /// `GET /api/export`: the signed-in patient's whole record (after a recent step-up).
    ///
    /// # Errors
    /// `step-up-required`, `forbidden` (staff), `rate-limited`.
    pub async fn export_record(&self) -> Result<ExportDocument, ClientError> {
        self.get("/api/export").await
    }

    /// `GET /api/notes/stale`: a page of the texts still sealed to an older clinic-key
    /// version (providers and admins holding the current one, after a recent step-up).
    ///
    /// # Errors
    /// `forbidden`, `step-up-required`, `no-clinic-key`, `invalid-query`.
    pub async fn stale_notes(&self, query: &StaleQuery) -> Result<StaleResponse, ClientError> {
        self.get(&stale_path(query.after.as_deref(), query.limit.map(u64::from))).await
    }

    /// `POST /api/notes/rewrap`: stores a batch of rewrapped texts, all or nothing.
    ///
    /// # Errors
    /// `content-changed`, `wrong-recipients`, `key-rotated`, `not-stale`, `not-found`, ...
    pub async fn upload_rewrapped(&self, request: &RewrapRequest) -> Result<RewrapResponse, ClientError> {
        self.post("/api/notes/rewrap", Some(request)).await
    }

    /// Completes a clinic-key rotation as far as the caller can: lists the stale texts a
    /// page at a time, rewraps each one locally with `clinic_keys` (the versions the caller
    /// unwrapped from `GET /api/clinic-keys/mine`; the current one among them) to the
    /// current version, dropping every older version, and uploads each page as one batch.
    /// A text sealed to an older version the caller does not hold is skipped.
    ///
    /// # Errors
    /// As [`BookingClient::stale_notes`] and [`BookingClient::upload_rewrapped`];
    /// `InvalidArgument` if the current version is not among `clinic_keys`; the envelope
    /// errors of a text that does not open (a batch before it may have been stored).
    pub async fn rewrap_stale(
        &self,
        tenant_id: &str,
        clinic_keys: &[&core::KeyPair],
    ) -> Result<RewrapOutcome, ClientError> {
        self.rewrap_stale_held(tenant_id, &clinic_keys).await
    }

    /// [`BookingClient::rewrap_stale`] with the versions `keys` holds (JS key handles, a
    /// keyring, a keyring plus a just-published version).
    pub(crate) async fn rewrap_stale_held(
        &self,
        tenant_id: &str,
        keys: &dyn HeldKeys,
    ) -> Result<RewrapOutcome, ClientError> {
        let held = keys.ids()?;
        let held_versions: Vec<u32> = held.iter().map(core::KeyId::version).collect();
        let mut outcome = RewrapOutcome::default();
        let mut after: Option<String> = None;
        loop {
            let page = self.stale_notes(&StaleQuery { after: after.clone(), limit: None }).await?;
            outcome.remaining = page.remaining;
            outcome.complete = page.remaining == 0;
            let Some(current_index) = held.iter().position(|id| id.version() == page.current_version) else {
                return Err(ClientError::invalid("the current clinic-key version is not among the keys given"));
            };
            let current_public = keys.public_key(current_index)?;
            let old: Vec<core::KeyId> =
                held.iter().copied().filter(|id| id.version() != page.current_version).collect();
            let mut items = Vec::new();
            for item in &page.items {
                let envelope: core::Envelope =
                    item.envelope.parse().map_err(|e: core::EnvelopeError| ClientError::coded(&e))?;
                let recipients = envelope.recipients();
                let opener = held.iter().enumerate().position(|(i, id)| recipients.contains(id) && keys.can_open(i));
                let (Some(opener), true) = (opener, item.key_versions.iter().all(|v| held_versions.contains(v))) else {
                    outcome.skipped += 1;
                    continue;
                };
                let remove: Vec<core::KeyId> = old.iter().copied().filter(|id| recipients.contains(id)).collect();
                let add: Vec<core::PublicKey> = if recipients.contains(&current_public.key_id()) {
                    Vec::new()
                } else {
                    vec![current_public.clone()]
                };
                let context = stale_context(tenant_id, item);
                let moved = keys.rewrap(opener, &envelope, &context, &add, &remove)?;
                items.push(RewrapItem { kind: item.kind, id: item.id.clone(), envelope: moved.to_string() });
            }
            if !items.is_empty() {
                let request = RewrapRequest { version: page.current_version, items };
                let stored = self.upload_rewrapped(&request).await?;
                outcome.rewrapped = outcome.rewrapped.saturating_add(stored.rewrapped);
                outcome.remaining = stored.remaining;
                outcome.complete = stored.complete;
            }
            match (page.next, page.items.last()) {
                (Some(_), Some(last)) => after = Some(last.cursor.clone()),
                _ => break,
            }
        }
        Ok(outcome)
    }

    /// `POST /api/auth/recovery-codes`: ten new recovery codes, made here, each wrapping
    /// `key_pair` (the signed-in account's personal key), replace every old one. Needs a
    /// recent step-up. Returns the new codes: show them once, never store them.
    ///
    /// To replace the authenticator instead, step up, then [`BookingClient::enroll_totp`]
    /// and [`BookingClient::confirm_totp`] with a code of the new secret.
    ///
    /// # Errors
    /// `step-up-required`; `invalid-body` if `key_pair` is not the account's.
    pub async fn regenerate_recovery_codes(
        &self,
        key_pair: &core::KeyPair,
    ) -> Result<Vec<Zeroizing<String>>, ClientError> {
        self.regenerate_recovery_codes_with(key_pair).await
    }

    /// [`BookingClient::regenerate_recovery_codes`] with the key in any holder.
    async fn regenerate_recovery_codes_with<K: HoldsKey>(
        &self,
        key_pair: &K,
    ) -> Result<Vec<Zeroizing<String>>, ClientError> {
        let codes = RecoveryCode::generate(RECOVERY_CODES).map_err(|e| ClientError::coded(&e))?;
        let mut recovery = Vec::with_capacity(codes.len());
        for code in &codes {
            let wrapped =
                key_pair.with_key(|pair| pair.wrap_with_recovery_code(code))?.map_err(|e| ClientError::coded(&e))?;
            recovery
                .push(RecoverySlot { code_hash: code.hash().to_string(), wrapped_private_key: wrapped.to_string() });
        }
        self.post_no_content("/api/auth/recovery-codes", Some(&RegenerateRecoveryCodes { recovery })).await?;
        Ok(codes.iter().map(RecoveryCode::to_display_string).collect())
    }
}

#[cfg(feature = "js")]
#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES_RECORD: &str = r#"
/** `client.createCorrection(bookingId, ...)`: the change sealed under `BookingClient.correctionContext(...)` of `id`. */
export interface CreateCorrectionRequest {
  /** From `BookingClient.newCorrectionId()`. */
  id: string;
  /** `bze1.…` */
  change: string;
}
export interface DisagreementRequest {
  /** `bze1.…`, sealed under `BookingClient.disagreementContext(...)` of the request's id. */
  statement: string;
}
export interface Correction {
  id: string;
  tenantId: string;
  bookingId: string;
  patientId: string;
  status: "submitted" | "extended" | "accepted" | "denied";
  change: string;
  requestedAt: string;
  dueAt: string;
  overdue: boolean;
  extendedAt?: string;
  extensionReason?: string;
  decidedAt?: string;
  denialReason?: string;
  disagreement?: string;
  disagreementAt?: string;
  updatedAt: string;
}
export interface CorrectionsResponse { corrections: Correction[]; }

export interface ExportAccount { userId: string; name: string; email: string; publicKey: string; keyId: string; }
/** `client.exportRecord()`: the patient's whole record (HIPAA right of access). */
export interface ExportDocument {
  format: "bizing-export-v1";
  exportedAt: string;
  tenantId: string;
  clinicName: string;
  account: ExportAccount;
  bookings: Booking[];
  corrections: Correction[];
  nppAcknowledgments: NppAckRecord[];
  confidentialContact?: ConfidentialContact;
  /** Newest first. */
  restrictions: Restriction[];
  /** Verify with `AccessLog` like `client.accessLog()`; the consistency proof is empty (from 0). */
  accessLog: AccessLogPage;
}

export type SealedKind = "note" | "correction" | "disagreement" | "restriction";
export interface StaleQuery { after?: string; limit?: number; }
export interface StaleItem {
  kind: SealedKind;
  /** The booking id (notes) or the correction id. */
  id: string;
  bookingId: string;
  envelope: string;
  keyVersions: number[];
  cursor: string;
}
export interface StaleResponse {
  currentVersion: number;
  currentKeyId: string;
  items: StaleItem[];
  remaining: number;
  next?: string;
}
export interface RewrapItem { kind: SealedKind; id: string; envelope: string; }
export interface RewrapRequest { version: number; items: RewrapItem[]; }
export interface RewrapResponse { rewrapped: number; remaining: number; complete: boolean; }
export interface RewrapOutcome { rewrapped: number; skipped: number; remaining: number; complete: boolean; }
"#;

#[cfg(feature = "js")]
#[wasm_bindgen(js_class = BookingClient)]
impl JsBookingClient {
    /// A fresh correction id, to seal the change to before `createCorrection`.
    #[wasm_bindgen(js_name = newCorrectionId)]
    pub fn new_correction_id() -> Result<String, JsValue> {
        Ok(BookingClient::new_correction_id()?)
    }

    /// The context a correction request's change is sealed under.
    #[wasm_bindgen(js_name = correctionContext, unchecked_return_type = "EnvelopeContext")]
    pub fn correction_context(tenant_id: String, booking_id: String, correction_id: String) -> JsValue {
        context_object(&correction_context(&tenant_id, &booking_id, &correction_id))
    }

    /// The context a statement of disagreement with request `correctionId` is sealed under.
    #[wasm_bindgen(js_name = disagreementContext, unchecked_return_type = "EnvelopeContext")]
    pub fn disagreement_context(tenant_id: String, booking_id: String, correction_id: String) -> JsValue {
        context_object(&disagreement_context(&tenant_id, &booking_id, &correction_id))
    }

    /// Asks for a correction of one's booking (after a step-up).
    #[wasm_bindgen(js_name = createCorrection, unchecked_return_type = "Promise<Correction>")]
    pub fn create_correction(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] booking_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "CreateCorrectionRequest")] request: JsValue,
    ) -> js_sys::Promise {
        self.call((|| {
            let booking_id = text_arg(&booking_id, "bookingId")?;
            let members = [("id", Some(member(&request, "id")?)), ("change", Some(member(&request, "change")?))];
            Ok(("POST", booking_path(&booking_id, "/corrections"), body(&members)?))
        })())
    }

    /// The correction requests the caller may see.
    #[wasm_bindgen(unchecked_return_type = "Promise<CorrectionsResponse>")]
    pub fn corrections(&self) -> js_sys::Promise {
        self.call(Ok(("GET", "/api/corrections".into(), None)))
    }

    /// One correction request.
    #[wasm_bindgen(unchecked_return_type = "Promise<Correction>")]
    pub fn correction(&self, #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue) -> js_sys::Promise {
        self.call(text_arg(&id, "id").map(|id| ("GET", format!("/api/corrections/{}", segment(&id)), None)))
    }

    /// Files the statement of disagreement with a denial.
    #[wasm_bindgen(js_name = fileDisagreement, unchecked_return_type = "Promise<Correction>")]
    pub fn file_disagreement(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "DisagreementRequest")] request: JsValue,
    ) -> js_sys::Promise {
        self.call((|| {
            let id = text_arg(&id, "id")?;
            let members = [("statement", Some(member(&request, "statement")?))];
            Ok(("POST", format!("/api/corrections/{}/disagreement", segment(&id)), body(&members)?))
        })())
    }

    /// The signed-in patient's whole record (after a step-up).
    #[wasm_bindgen(js_name = exportRecord, unchecked_return_type = "Promise<ExportDocument>")]
    pub fn export_record(&self) -> js_sys::Promise {
        self.call(Ok(("GET", "/api/export".into(), None)))
    }

    /// A page of the texts still sealed to an older clinic-key version.
    #[wasm_bindgen(js_name = staleNotes, unchecked_return_type = "Promise<StaleResponse>")]
    pub fn stale_notes(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "StaleQuery")] query: JsValue,
    ) -> js_sys::Promise {
        self.call((|| {
            if query.is_undefined() || query.is_null() {
                return Ok(("GET", stale_path(None, None), None));
            }
            let after = optional_member(&query, "after")?;
            Ok(("GET", stale_path(after.as_deref(), optional_integer(&query, "limit")?), None))
        })())
    }

    /// Stores a batch of rewrapped texts (`{ version, items }`), all or nothing.
    #[wasm_bindgen(js_name = uploadRewrapped, unchecked_return_type = "Promise<RewrapResponse>")]
    pub fn upload_rewrapped(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RewrapRequest")] request: JsValue,
    ) -> js_sys::Promise {
        self.call((|| {
            let object =
                request.dyn_ref::<js_sys::Object>().ok_or_else(|| ClientError::invalid("request must be an object"))?;
            Ok(("POST", "/api/notes/rewrap".into(), Some(json_text(object)?)))
        })())
    }

    /// Rewraps every stale text the caller can to the current clinic-key version, with the
    /// clinic keys it unwrapped (every version it holds, the current one included).
    #[wasm_bindgen(js_name = rewrapStale, unchecked_return_type = "Promise<RewrapOutcome>")]
    pub fn rewrap_stale(&self, tenant_id: String, clinic_keys: Vec<ClinicKey>) -> js_sys::Promise {
        let client = self.client.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let pairs: Vec<&KeyPair> = clinic_keys.iter().map(ClinicKey::pair).collect();
            let outcome = client.rewrap_stale_held(&tenant_id, &pairs.as_slice()).await?;
            Ok(outcome_object(&outcome))
        })
    }

    /// Ten new recovery codes wrapping `keyPair` replace the old ones (after a step-up);
    /// resolves with the codes, to show once.
    #[wasm_bindgen(js_name = regenerateRecoveryCodes, unchecked_return_type = "Promise<string[]>")]
    pub fn regenerate_recovery_codes(&self, key_pair: &KeyPair) -> js_sys::Promise {
        let client = self.client.clone();
        let key_pair = key_pair.clone_handle();
        wasm_bindgen_futures::future_to_promise(async move {
            let codes = client.regenerate_recovery_codes_with(&key_pair).await?;
            let out = js_sys::Array::new();
            for code in &codes {
                out.push(&JsValue::from_str(code));
            }
            Ok(out.into())
        })
    }
}

#[cfg(feature = "js")]
/// A `RewrapOutcome` object.
fn outcome_object(outcome: &RewrapOutcome) -> JsValue {
    let out = js_sys::Object::new();
    set(&out, "rewrapped", outcome.rewrapped);
    set(&out, "skipped", outcome.skipped);
    // Counts of texts stay far below 2^53.
    #[allow(clippy::cast_precision_loss)]
    set(&out, "remaining", outcome.remaining as f64);
    set(&out, "complete", outcome.complete);
    out.into()
}

/// An `EnvelopeContext` object.
#[cfg(feature = "js")]
fn context_object(context: &core::Context) -> JsValue {
    let out = js_sys::Object::new();
    set(&out, "tenantId", context.tenant_id.as_str());
    set(&out, "bookingId", context.booking_id.as_str());
    set(&out, "field", context.field.as_str());
    set(&out, "schemaVersion", context.schema_version);
    out.into()
}

#[cfg(feature = "js")]
impl From<JsValue> for ClientError {
    /// An argument check of the JS helpers (always `InvalidArgument`) as a client error.
    fn from(value: JsValue) -> Self {
        Self::invalid(js_message(&value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jar_of(lines: &[&str]) -> Vec<(String, String)> {
        let mut jar = Vec::new();
        for line in lines {
            store_cookie(&mut jar, line);
        }
        jar.into_iter().map(|(n, v)| (n, v.to_string())).collect()
    }

    #[test]
    fn cookies_are_set_replaced_and_cleared() {
        let set = "__Host-bizing-session=abc; Path=/; HttpOnly; Secure; SameSite=Strict";
        assert_eq!(jar_of(&[set]), [("__Host-bizing-session".to_owned(), "abc".to_owned())]);
        let again = "__Host-bizing-session=def; Path=/";
        assert_eq!(jar_of(&[set, again]), [("__Host-bizing-session".to_owned(), "def".to_owned())]);
        let clear = "__Host-bizing-session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0";
        assert!(jar_of(&[set, clear]).is_empty());
        assert!(jar_of(&[set, "__Host-bizing-session=x; max-age=0"]).is_empty());
        assert!(jar_of(&["garbage", "=v"]).is_empty());
    }

    #[test]
    fn problems_have_slugs() {
        let p = ApiProblem {
            status: 401,
            problem_type: "urn:bizing:problem:session-expired".into(),
            title: "Not signed in".into(),
            detail: None,
            retry_after: None,
        };
        assert_eq!(p.slug(), Some("session-expired"));
        let e = ClientError::Api(p);
        assert!(e.is_problem("session-expired"));
        assert_eq!(e.code(), ErrorCode::Api);
        assert_eq!(e.to_string(), "401 Not signed in (urn:bizing:problem:session-expired)");
    }
}
