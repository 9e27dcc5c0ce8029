//! Notice of Privacy Practices for JavaScript.

use bizing_core::{AckChannel, NppAcknowledgment, NppHash, NppVersion, needs_acknowledgment};
use wasm_bindgen::prelude::*;

use crate::error::invalid;
use crate::js::{get, get_opt, set, string};
use crate::mfa::seconds;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** A patient's acknowledgment of one NPP version. */
export interface NppAcknowledgment {
  /** SHA-256 of the notice text, 64 hex digits. */
  versionHash: string;
  /** Unix seconds. */
  acknowledgedAt: number;
  channel: "portal" | "widget";
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `NppAcknowledgment` in TypeScript.
    #[wasm_bindgen(typescript_type = "NppAcknowledgment")]
    pub type JsNppAcknowledgment;
}

/// Notice of Privacy Practices versions and acknowledgments.
#[wasm_bindgen]
pub struct Npp;

#[wasm_bindgen]
impl Npp {
    /// The version hash of a notice: SHA-256 of its exact UTF-8 text, 64 hex digits.
    pub fn hash(#[wasm_bindgen(unchecked_param_type = "string")] text: JsValue) -> Result<String, JsValue> {
        Ok(NppVersion::new(string(&text, "text")?).hash().to_string())
    }

    /// Records that the patient acknowledged `text` at `nowSeconds` through `channel`.
    pub fn acknowledge(
        #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
        now_seconds: f64,
        #[wasm_bindgen(unchecked_param_type = "\"portal\" | \"widget\"")] channel: JsValue,
    ) -> Result<JsNppAcknowledgment, JsValue> {
        let text = string(&text, "text")?;
        let channel: AckChannel =
            string(&channel, "channel")?.parse().map_err(|_| invalid("channel must be \"portal\" or \"widget\""))?;
        let ack = NppAcknowledgment::new(&NppVersion::new(text), seconds(now_seconds)?, channel);
        Ok(to_js(&ack))
    }

    /// Whether the patient must acknowledge the version `currentHash` at `nowSeconds`:
    /// never acknowledged, another version, or 365 days or more ago.
    #[wasm_bindgen(js_name = needsAcknowledgment)]
    pub fn needs_acknowledgment(
        #[wasm_bindgen(unchecked_param_type = "string")] current_hash: JsValue,
        last: Option<JsNppAcknowledgment>,
        now_seconds: f64,
    ) -> Result<bool, JsValue> {
        let current: NppHash = string(&current_hash, "currentHash")?
            .parse()
            .map_err(|_| invalid("currentHash must be 64 lowercase hex digits"))?;
        let last = last.map(|l| from_js(&l)).transpose()?;
        Ok(needs_acknowledgment(&current, last.as_ref(), seconds(now_seconds)?))
    }
}

fn to_js(ack: &NppAcknowledgment) -> JsNppAcknowledgment {
    let out = js_sys::Object::new();
    set(&out, "versionHash", ack.version_hash.to_string());
    #[allow(clippy::cast_precision_loss)] // Unix seconds are far below 2^53
    set(&out, "acknowledgedAt", ack.acknowledged_at as f64);
    set(&out, "channel", ack.channel.as_str());
    out.unchecked_into()
}

fn from_js(value: &JsValue) -> Result<NppAcknowledgment, JsValue> {
    if get_opt(value, "versionHash")?.is_none() {
        return Err(invalid("an acknowledgment needs versionHash, acknowledgedAt and channel"));
    }
    let version_hash = get(value, "versionHash")?
        .as_string()
        .and_then(|s| s.parse::<NppHash>().ok())
        .ok_or_else(|| invalid("versionHash must be 64 lowercase hex digits"))?;
    let acknowledged_at =
        seconds(get(value, "acknowledgedAt")?.as_f64().ok_or_else(|| invalid("acknowledgedAt must be a number"))?)?;
    let channel = get(value, "channel")?
        .as_string()
        .and_then(|s| s.parse::<AckChannel>().ok())
        .ok_or_else(|| invalid("channel must be \"portal\" or \"widget\""))?;
    Ok(NppAcknowledgment { version_hash, acknowledged_at, channel })
}
