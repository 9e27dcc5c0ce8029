//! Access-log verification for JavaScript: what the patient's "who accessed my records" view
//! runs on each page the server sends. The verifier pins the clinic's log key, keeps the last
//! tree head it verified (a short string that is not PHI: store it and pass it back next
//! time), and checks the signed checkpoint, its consistency with that head, and the
//! inclusion of every event, as `docs/access-log-format.md` specifies.

use bizing_core::access_log::{AccessEvent, AccessLogError, Actor, Resource, TreeHead};
use bizing_core::api::{AccessLogPage, LogKey, LoggedEvent};
use wasm_bindgen::prelude::*;

use crate::error::{ErrorCode, error, invalid};
use crate::js::{get, get_key, get_opt, set, string};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** What `AccessLogVerifier.verify` returns: the checkpoint that is now trusted. */
export interface VerifiedCheckpoint {
  /** The log's origin line. */
  origin: string;
  /** Number of events in the log at this checkpoint. */
  size: number;
  /** The tree root, 64 hex digits. */
  root: string;
  /** The head to store and pass to the next verifier (`bzh1.<size>.<root>`; not PHI). */
  trustedHead: string;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `LogKey` in TypeScript.
    #[wasm_bindgen(typescript_type = "LogKey")]
    pub type JsLogKey;
    /// `AccessLogPage` in TypeScript.
    #[wasm_bindgen(typescript_type = "AccessLogPage")]
    pub type JsAccessLogPage;
    /// `VerifiedCheckpoint` in TypeScript.
    #[wasm_bindgen(typescript_type = "VerifiedCheckpoint")]
    pub type JsVerifiedCheckpoint;
}

/// Verifies a patient's access log, page by page, against a pinned log key.
///
/// A failure throws a `BizingError`: `LogTampered` when the log or the server's account of
/// it was altered (a forged checkpoint, a rollback, a rewritten history, an event that is
/// not in the log; `eventIndex` names the event when one is to blame), `InvalidKey` when the
/// checkpoint is not signed by the pinned key or is for another log, `Malformed` for an
/// answer that is not well-formed. A failure leaves the trusted head unchanged.
#[wasm_bindgen]
pub struct AccessLogVerifier {
    inner: bizing_core::access_log::AccessLogVerifier,
}

#[wasm_bindgen]
impl AccessLogVerifier {
    /// A verifier pinned to `logKey` (as `BookingClient.logKey` returns it, pinned on first
    /// use or shipped with the app), starting from `trustedHead` (what `trustedHead` said
    /// after the last successful verification) or, without one, from the empty log.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = logKey)] log_key: JsLogKey,
        #[wasm_bindgen(js_name = trustedHead, unchecked_param_type = "string | null")] trusted_head: Option<JsValue>,
    ) -> Result<AccessLogVerifier, JsValue> {
        let key = LogKey {
            origin: string(&get(&log_key, "origin")?, "logKey.origin")?,
            key_name: string(&get(&log_key, "keyName")?, "logKey.keyName")?,
            public_key: string(&get(&log_key, "publicKey")?, "logKey.publicKey")?,
        };
        let verifier =
            key.verifier().map_err(|_| error(ErrorCode::InvalidKey, "logKey.publicKey is not a P-256 public key"))?;
        let head = match trusted_head.filter(|h| !h.is_undefined() && !h.is_null()) {
            Some(h) => string(&h, "trustedHead")?
                .parse::<TreeHead>()
                .map_err(|_| invalid("trustedHead is not a stored tree head (bzh1.<size>.<root>)"))?,
            None => TreeHead::empty(),
        };
        Ok(Self { inner: verifier.with_trusted_head(head) })
    }

    /// The last verified tree head, `bzh1.<size>.<root>`: store it (it is not PHI) and pass
    /// it to the next verifier, so a later rollback or rewrite of the log is caught.
    #[wasm_bindgen(getter = trustedHead)]
    pub fn trusted_head(&self) -> String {
        self.inner.trusted_head().to_string()
    }

    /// Verifies one page from `BookingClient.accessLog(since)`, where `since` must be the
    /// size of the trusted head; on success the page's checkpoint becomes the trusted head.
    pub fn verify(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "AccessLogPage")] page: JsAccessLogPage,
    ) -> Result<JsVerifiedCheckpoint, JsValue> {
        let page = read_page(&page)?;
        let checkpoint = page.verify(&mut self.inner).map_err(|e| log_error(&e))?;
        let out = js_sys::Object::new();
        set(&out, "origin", checkpoint.origin());
        #[allow(clippy::cast_precision_loss)] // a log of 2^53 events is beyond any clinic
        set(&out, "size", checkpoint.size() as f64);
        set(&out, "root", hex::encode(checkpoint.root()));
        set(&out, "trustedHead", self.trusted_head());
        Ok(out.unchecked_into())
    }
}

fn log_error(e: &AccessLogError) -> JsValue {
    let code = if e.indicates_tampering() {
        ErrorCode::LogTampered
    } else if matches!(e, AccessLogError::UnknownKey | AccessLogError::WrongOrigin) {
        ErrorCode::InvalidKey
    } else {
        ErrorCode::Malformed
    };
    let err = error(code, &e.to_string());
    if let AccessLogError::InclusionFailed { index } | AccessLogError::MalformedEvent { index } = e {
        #[allow(clippy::cast_precision_loss)] // an index into a page of events
        let _ = js_sys::Reflect::set(&err, &JsValue::from_str("eventIndex"), &JsValue::from(*index as f64));
    }
    err
}

/// A property name with its JS string, made once per page rather than once per read (a page
/// is read with 16 names per event).
struct Name {
    key: JsValue,
    name: &'static str,
}

impl Name {
    fn new(name: &'static str) -> Self {
        Self { key: JsValue::from_str(name), name }
    }

    fn get(&self, value: &JsValue) -> Result<JsValue, JsValue> {
        get_key(value, &self.key, self.name)
    }

    fn text(&self, value: &JsValue) -> Result<String, JsValue> {
        string(&self.get(value)?, self.name)
    }

    fn token<T: core::str::FromStr>(&self, value: &JsValue) -> Result<T, JsValue> {
        self.text(value)?
            .parse()
            .map_err(|_| error(ErrorCode::Malformed, &format!("`{}` is not a known value", self.name)))
    }

    /// A non-negative integer below 2^53 (all a JSON number carries exactly).
    fn whole(&self, value: &JsValue) -> Result<u64, JsValue> {
        self.get(value)?
            .as_f64()
            .filter(|v| v.fract() == 0.0 && (0.0..9_007_199_254_740_992.0).contains(v))
            .map(|v| {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked above
                let v = v as u64;
                v
            })
            .ok_or_else(|| error(ErrorCode::Malformed, &format!("`{}` must be a non-negative integer", self.name)))
    }

    fn strings(&self, value: &JsValue) -> Result<Vec<String>, JsValue> {
        let list = self.get(value)?;
        if !js_sys::Array::is_array(&list) {
            return Err(error(ErrorCode::Malformed, &format!("`{}` must be an array", self.name)));
        }
        js_sys::Array::from(&list)
            .iter()
            .map(|h| {
                h.as_string().ok_or_else(|| error(ErrorCode::Malformed, &format!("`{}` must hold strings", self.name)))
            })
            .collect()
    }
}

/// The page as plain JS reads it, without a serde round trip (the package carries no JSON
/// deserializer).
fn read_page(page: &JsValue) -> Result<AccessLogPage, JsValue> {
    if get_opt(page, "checkpoint")?.is_none() {
        return Err(invalid("page must be an AccessLogPage (checkpoint, consistencyProof, events)"));
    }
    let events = get(page, "events")?;
    if !js_sys::Array::is_array(&events) {
        return Err(error(ErrorCode::Malformed, "`events` must be an array"));
    }
    let (event, actor, resource) = (Name::new("event"), Name::new("actor"), Name::new("resource"));
    let (leaf_index, salt, inclusion_proof) = (Name::new("leafIndex"), Name::new("salt"), Name::new("inclusionProof"));
    let (tenant_id, patient_id) = (Name::new("tenantId"), Name::new("patientId"));
    let (user_id, role, display_name) = (Name::new("userId"), Name::new("role"), Name::new("displayName"));
    let (kind, id, action) = (Name::new("kind"), Name::new("id"), Name::new("action"));
    let (at, from) = (Name::new("at"), Name::new("from"));
    let events = js_sys::Array::from(&events)
        .iter()
        .map(|e| {
            let ev = event.get(&e)?;
            let who = actor.get(&ev)?;
            let what = resource.get(&ev)?;
            Ok(LoggedEvent {
                leaf_index: leaf_index.whole(&e)?,
                salt: salt.text(&e)?,
                inclusion_proof: inclusion_proof.strings(&e)?,
                event: AccessEvent {
                    tenant_id: tenant_id.text(&ev)?,
                    patient_id: patient_id.text(&ev)?,
                    actor: Actor {
                        user_id: user_id.text(&who)?,
                        role: role.token(&who)?,
                        display_name: display_name.text(&who)?,
                    },
                    resource: Resource { kind: kind.token(&what)?, id: id.text(&what)? },
                    action: action.token(&ev)?,
                    at: at.whole(&ev)?,
                    from: from.token(&ev)?,
                },
            })
        })
        .collect::<Result<Vec<_>, JsValue>>()?;
    Ok(AccessLogPage {
        checkpoint: Name::new("checkpoint").text(page)?,
        consistency_proof: Name::new("consistencyProof").strings(page)?,
        events,
    })
}
