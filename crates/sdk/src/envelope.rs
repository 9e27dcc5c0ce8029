//! Envelopes for JavaScript: seal, parse, open, rewrap.

use bizing_core as core;
use bizing_core::{Context, KeyId, SealOptions};
use wasm_bindgen::prelude::*;

use crate::error::{ToJs, invalid};
use crate::js::{get, get_opt, string};
use crate::keys::KeyPair;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** Where an envelope belongs; rebuilt by the caller to open it, never stored in it. */
export interface EnvelopeContext {
  tenantId: string;
  bookingId: string;
  /** The field within the record, e.g. "note" or "correction". */
  field: string;
  schemaVersion: number;
}

/** Options for `Envelope.seal`. */
export interface SealOptions {
  /** Pad the plaintext so the ciphertext length reveals little about it. Default true. */
  pad?: boolean;
}

/** Recipients to add and key ids to remove in `Envelope.rewrap`. */
export interface RewrapChanges {
  add?: PublicKey[];
  remove?: string[];
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `EnvelopeContext` in TypeScript.
    #[wasm_bindgen(typescript_type = "EnvelopeContext")]
    pub type EnvelopeContext;
    /// `SealOptions` in TypeScript.
    #[wasm_bindgen(typescript_type = "SealOptions")]
    pub type JsSealOptions;
    /// `RewrapChanges` in TypeScript.
    #[wasm_bindgen(typescript_type = "RewrapChanges")]
    pub type RewrapChanges;
    /// `PublicKey[]` in TypeScript.
    #[wasm_bindgen(typescript_type = "PublicKey[]")]
    pub type PublicKeyArray;
    /// `string | Uint8Array` in TypeScript.
    #[wasm_bindgen(typescript_type = "string | Uint8Array")]
    pub type StringOrBytes;
}

/// An encrypted note: safe to store and send anywhere. Text form `bze1.…`.
#[wasm_bindgen]
pub struct Envelope {
    inner: core::Envelope,
}

#[wasm_bindgen]
impl Envelope {
    /// Seals a string (UTF-8) or bytes to 1-16 recipients under `context`.
    pub fn seal(
        plaintext: &StringOrBytes,
        context: &EnvelopeContext,
        recipients: &PublicKeyArray,
        options: Option<JsSealOptions>,
    ) -> Result<Envelope, JsValue> {
        let bytes = plaintext_bytes(plaintext)?;
        let ctx = context_from(context)?;
        let keys = public_keys(recipients)?;
        let pad = match options {
            Some(o) => get_opt(&o, "pad")?
                .map(|v| v.as_bool().ok_or_else(|| invalid("options.pad must be a boolean")))
                .transpose()?,
            None => None,
        };
        let options = SealOptions::with_padding(pad.unwrap_or(true));
        Ok(Self { inner: core::Envelope::seal(&bytes, &ctx, &keys, options).js()? })
    }

    /// Parses the text form `bze1.…`.
    pub fn parse(#[wasm_bindgen(unchecked_param_type = "string")] text: JsValue) -> Result<Envelope, JsValue> {
        Ok(Self { inner: string(&text, "text")?.parse::<core::Envelope>().js()? })
    }

    /// Parses the binary form.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
    ) -> Result<Envelope, JsValue> {
        Ok(Self { inner: core::Envelope::from_bytes(&crate::js::bytes(&bytes, "bytes")?).js()? })
    }

    /// The text form `bze1.…`.
    #[wasm_bindgen(js_name = toString)]
    #[allow(clippy::inherent_to_string)] // JS's toString, not Rust's Display
    pub fn to_string(&self) -> String {
        self.inner.to_string()
    }

    /// The binary form.
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes()
    }

    /// Opens with a recipient's key pair and the same context; returns the bytes.
    pub fn open(&self, key: &KeyPair, context: &EnvelopeContext) -> Result<Vec<u8>, JsValue> {
        let ctx = context_from(context)?;
        key.with(|k| Ok(self.inner.open(k, &ctx).js()?.to_vec()))
    }

    /// Opens with a recipient's key pair and the same context; returns the text.
    #[wasm_bindgen(js_name = openText)]
    pub fn open_text(&self, key: &KeyPair, context: &EnvelopeContext) -> Result<String, JsValue> {
        let ctx = context_from(context)?;
        key.with(|k| Ok(self.inner.open_text(k, &ctx).js()?.to_string()))
    }

    /// A copy with recipients added and removed, content untouched; `key` must be a
    /// recipient.
    pub fn rewrap(
        &self,
        key: &KeyPair,
        context: &EnvelopeContext,
        changes: &RewrapChanges,
    ) -> Result<Envelope, JsValue> {
        let ctx = context_from(context)?;
        let add = match get_opt(changes, "add")? {
            Some(list) => public_keys(list.unchecked_ref())?,
            None => Vec::new(),
        };
        let remove = match get_opt(changes, "remove")? {
            Some(list) => key_ids(&list)?,
            None => Vec::new(),
        };
        key.with(|k| Ok(Self { inner: self.inner.rewrap(k, &ctx, &add, &remove).js()? }))
    }

    /// The key ids the envelope is sealed to.
    #[wasm_bindgen(getter)]
    pub fn recipients(&self) -> Vec<String> {
        self.inner.recipients().iter().map(ToString::to_string).collect()
    }

    /// Whether the plaintext is padded.
    #[wasm_bindgen(getter, js_name = isPadded)]
    pub fn is_padded(&self) -> bool {
        self.inner.is_padded()
    }
}

fn plaintext_bytes(value: &JsValue) -> Result<Vec<u8>, JsValue> {
    if let Some(text) = value.as_string() {
        return Ok(text.into_bytes());
    }
    if value.is_instance_of::<js_sys::Uint8Array>() {
        return Ok(js_sys::Uint8Array::from(value.clone()).to_vec());
    }
    Err(invalid("the plaintext must be a string or a Uint8Array"))
}

pub(crate) fn context_from(value: &JsValue) -> Result<Context, JsValue> {
    if !value.is_object() {
        return Err(invalid("the context must be an object { tenantId, bookingId, field, schemaVersion }"));
    }
    let text = |name: &str| -> Result<String, JsValue> {
        get(value, name)?.as_string().ok_or_else(|| invalid(&format!("context.{name} must be a string")))
    };
    let version = get(value, "schemaVersion")?
        .as_f64()
        .filter(|v| v.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(v))
        .ok_or_else(|| invalid("context.schemaVersion must be an integer from 0 to 4294967295"))?;
    // In range and integral, checked above.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let version = version as u32;
    Ok(Context::new(text("tenantId")?, text("bookingId")?, text("field")?, version))
}

fn public_keys(value: &JsValue) -> Result<Vec<core::PublicKey>, JsValue> {
    let array = value.dyn_ref::<js_sys::Array>().ok_or_else(|| invalid("recipients must be an array of PublicKey"))?;
    array
        .iter()
        .map(|item| crate::js::public_key_from(&item).ok_or_else(|| invalid("every recipient must be a PublicKey")))
        .collect()
}

fn key_ids(value: &JsValue) -> Result<Vec<KeyId>, JsValue> {
    let array = value.dyn_ref::<js_sys::Array>().ok_or_else(|| invalid("remove must be an array of key ids"))?;
    array
        .iter()
        .map(|item| {
            item.as_string()
                .ok_or_else(|| invalid("every key id to remove must be a string"))
                .and_then(|s| s.parse::<KeyId>().js())
        })
        .collect()
}
