//! Small helpers for reading plain JavaScript values without a serde round trip (every byte
//! of glue counts in the package size budget). `get_opt` and `set` serve the Rust API too
//! (request bodies, `BroadcastChannel` messages); the rest only the `js` exports.

#[cfg(feature = "js")]
use bizing_core as core;
#[cfg(feature = "js")]
use bizing_core::KeyId;
use wasm_bindgen::prelude::*;

use crate::error::invalid;

/// `value[name]`, which must be present.
#[cfg(feature = "js")]
pub(crate) fn get(value: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    match get_opt(value, name)? {
        Some(v) => Ok(v),
        None => Err(invalid(&format!("`{name}` is required"))),
    }
}

/// `value[name]`, or `None` when it is undefined or null.
pub(crate) fn get_opt(value: &JsValue, name: &str) -> Result<Option<JsValue>, JsValue> {
    get_opt_key(value, &JsValue::from_str(name), name)
}

/// As [`get`], with the property name already a JS string `key`: for reads repeated many
/// times (every event of an access-log page), where making the name a JS string per read
/// costs more than the read.
#[cfg(feature = "js")]
pub(crate) fn get_key(value: &JsValue, key: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    match get_opt_key(value, key, name)? {
        Some(v) => Ok(v),
        None => Err(invalid(&format!("`{name}` is required"))),
    }
}

fn get_opt_key(value: &JsValue, key: &JsValue, name: &str) -> Result<Option<JsValue>, JsValue> {
    if !value.is_object() {
        return Err(invalid(&format!("expected an object with `{name}`")));
    }
    let v = js_sys::Reflect::get(value, key).map_err(|_| invalid(&format!("`{name}` cannot be read")))?;
    Ok(if v.is_undefined() || v.is_null() { None } else { Some(v) })
}

/// Reads a `PublicKey` handle without taking it from its owner: passing exported objects by
/// value would invalidate the caller's handle. Goes through the object's own `toSec1` and
/// `keyId`, and re-validates the point, so a look-alike object gains nothing.
#[cfg(feature = "js")]
pub(crate) fn public_key_from(value: &JsValue) -> Option<core::PublicKey> {
    let to_sec1 =
        js_sys::Reflect::get(value, &JsValue::from_str("toSec1")).ok()?.dyn_into::<js_sys::Function>().ok()?;
    let bytes = js_sys::Uint8Array::new(&to_sec1.call0(value).ok()?).to_vec();
    let key_id: KeyId = js_sys::Reflect::get(value, &JsValue::from_str("keyId")).ok()?.as_string()?.parse().ok()?;
    let key = core::PublicKey::from_sec1(&bytes).ok()?.with_version(key_id.version()).ok()?;
    (key.key_id() == key_id).then_some(key)
}

/// Sets `object[name] = value`.
pub(crate) fn set(object: &js_sys::Object, name: &str, value: impl Into<JsValue>) {
    // Defining a property on a plain object we just created cannot fail.
    let _ = js_sys::Reflect::set(object, &JsValue::from_str(name), &value.into());
}

/// A string argument. Taking arguments as `JsValue` and checking them here, rather than as
/// `&str`, turns a wrong type from JavaScript into an `InvalidArgument` error instead of a
/// `TypeError` or a trap in the glue.
#[cfg(feature = "js")]
pub(crate) fn string(value: &JsValue, name: &str) -> Result<String, JsValue> {
    value.as_string().ok_or_else(|| invalid(&format!("{name} must be a string")))
}

/// A byte-array argument: a `Uint8Array`.
#[cfg(feature = "js")]
pub(crate) fn bytes(value: &JsValue, name: &str) -> Result<Vec<u8>, JsValue> {
    value
        .dyn_ref::<js_sys::Uint8Array>()
        .map(js_sys::Uint8Array::to_vec)
        .ok_or_else(|| invalid(&format!("{name} must be a Uint8Array")))
}

/// An integer argument in `min..=max`.
#[cfg(feature = "js")]
pub(crate) fn integer(value: &JsValue, name: &str, min: u32, max: u32) -> Result<u32, JsValue> {
    value
        .as_f64()
        .filter(|v| v.fract() == 0.0 && (f64::from(min)..=f64::from(max)).contains(v))
        // In range and integral, checked just above.
        .map(|v| {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let v = v as u32;
            v
        })
        .ok_or_else(|| invalid(&format!("{name} must be an integer from {min} to {max}")))
}
