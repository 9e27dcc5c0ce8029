//! TOTP enrollment and local checks, and recovery codes, for JavaScript.

use bizing_core::totp::{self, Window};
use bizing_core::{RecoveryCode, RecoveryCodeHash, Totp as CoreTotp, TotpParams, TotpSecret};
use wasm_bindgen::prelude::*;

use crate::error::{ErrorCode, ToJs, error, invalid};
use crate::js::{get, integer, set, string};
use crate::keys::parse_code;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** Who the TOTP secret is for, as the authenticator app will show it. */
export interface TotpAccount {
  issuer: string;
  account: string;
}

/** A new TOTP enrollment: show `qrSvg` and `manualKey`, keep `secret` only until confirmed. */
export interface TotpEnrollment {
  /** Base32 secret (no padding). */
  secret: string;
  /** The secret grouped in fours, for typing into an app. */
  manualKey: string;
  /** `otpauth://totp/ISSUER:ACCOUNT?...` */
  uri: string;
  /** The URI as a QR code, a standalone SVG document. */
  qrSvg: string;
}

/** The settings an `otpauth://` URI carries (the secret is left out). */
export interface TotpUriInfo {
  issuer: string;
  account: string;
  algorithm: "SHA1" | "SHA256" | "SHA512";
  digits: number;
  period: number;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `TotpAccount` in TypeScript.
    #[wasm_bindgen(typescript_type = "TotpAccount")]
    pub type TotpAccount;
    /// `TotpEnrollment` in TypeScript.
    #[wasm_bindgen(typescript_type = "TotpEnrollment")]
    pub type TotpEnrollment;
    /// `TotpUriInfo` in TypeScript.
    #[wasm_bindgen(typescript_type = "TotpUriInfo")]
    pub type TotpUriInfo;
}

/// TOTP (RFC 6238) for authenticator apps: enrollment, and codes checked locally for a
/// preview. The server is what verifies codes at sign-in.
#[wasm_bindgen]
pub struct Totp;

#[wasm_bindgen]
impl Totp {
    /// A fresh 160-bit secret for `{ issuer, account }`, with its URI and QR code
    /// (SHA-1, 6 digits, 30 s: what every authenticator app supports).
    pub fn enroll(who: &TotpAccount) -> Result<TotpEnrollment, JsValue> {
        let issuer = get(who, "issuer")?.as_string().ok_or_else(|| invalid("issuer must be a string"))?;
        let account = get(who, "account")?.as_string().ok_or_else(|| invalid("account must be a string"))?;
        let enrollment = totp::enroll(&issuer, &account).map_err(|e| {
            let code = match e {
                totp::EnrollError::Random(_) => ErrorCode::RandomUnavailable,
                _ => ErrorCode::InvalidOtpauth,
            };
            error(code, &e.to_string())
        })?;
        let out = js_sys::Object::new();
        set(&out, "secret", enrollment.secret().to_base32().as_str());
        set(&out, "manualKey", enrollment.manual_key().as_str());
        set(&out, "uri", enrollment.uri.as_str());
        set(&out, "qrSvg", enrollment.qr_svg.as_str());
        Ok(out.unchecked_into())
    }

    /// The code at `unixSeconds` for a base32 secret (SHA-1, 6 digits, 30 s) or for an
    /// `otpauth://` URI (its own settings).
    pub fn code(
        #[wasm_bindgen(unchecked_param_type = "string")] secret_or_uri: JsValue,
        unix_seconds: f64,
    ) -> Result<String, JsValue> {
        Ok(totp_from(&string(&secret_or_uri, "secret")?)?.code_at(seconds(unix_seconds)?))
    }

    /// Checks a code at `unixSeconds`, accepting the current and the previous time step.
    /// Returns the matching time step (refuse a step already used), or `undefined`.
    pub fn verify(
        #[wasm_bindgen(unchecked_param_type = "string")] secret_or_uri: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] code: JsValue,
        unix_seconds: f64,
    ) -> Result<Option<f64>, JsValue> {
        let code = string(&code, "code")?;
        let step =
            totp_from(&string(&secret_or_uri, "secret")?)?.verify(&code, seconds(unix_seconds)?, Window::DEFAULT);
        // Steps are Unix seconds divided by the period: far below 2^53.
        #[allow(clippy::cast_precision_loss)]
        Ok(step.map(|s| s as f64))
    }

    /// Parses and validates an `otpauth://totp/...` URI.
    #[wasm_bindgen(js_name = parseUri)]
    pub fn parse_uri(#[wasm_bindgen(unchecked_param_type = "string")] uri: JsValue) -> Result<TotpUriInfo, JsValue> {
        let t =
            CoreTotp::from_uri(&string(&uri, "uri")?).map_err(|e| error(ErrorCode::InvalidOtpauth, &e.to_string()))?;
        let params = t.params();
        let out = js_sys::Object::new();
        set(&out, "issuer", t.issuer());
        set(&out, "account", t.account());
        set(&out, "algorithm", params.algorithm.as_str());
        set(&out, "digits", params.digits.get());
        #[allow(clippy::cast_precision_loss)] // periods are at most 3600 from a URI
        set(&out, "period", params.period as f64);
        Ok(out.unchecked_into())
    }

    /// Any text (normally an `otpauth://` URI) as a QR code in a standalone SVG document.
    #[wasm_bindgen(js_name = qrSvg)]
    pub fn qr_svg(#[wasm_bindgen(unchecked_param_type = "string")] text: JsValue) -> Result<String, JsValue> {
        Ok(totp::qr_svg(&string(&text, "text")?).map_err(|e| error(ErrorCode::TooLarge, &e.to_string()))?.to_string())
    }
}

fn totp_from(secret_or_uri: &str) -> Result<CoreTotp, JsValue> {
    let otpauth = |e: &dyn core::fmt::Display| error(ErrorCode::InvalidOtpauth, &e.to_string());
    if secret_or_uri.get(..10).is_some_and(|p| p.eq_ignore_ascii_case("otpauth://")) {
        return CoreTotp::from_uri(secret_or_uri).map_err(|e| otpauth(&e));
    }
    let secret = TotpSecret::from_base32(secret_or_uri).map_err(|e| otpauth(&e))?;
    CoreTotp::new(secret, TotpParams::default(), "local", "preview").map_err(|e| otpauth(&e))
}

/// A JS timestamp in seconds: finite and not negative; fractions are dropped.
pub(crate) fn seconds(value: f64) -> Result<u64, JsValue> {
    if !value.is_finite() || !(0.0..=9.0e15).contains(&value) {
        return Err(invalid("the time must be a non-negative number of seconds since the Unix epoch"));
    }
    // Checked finite, non-negative and below 2^53 above.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(value as u64)
}

/// Single-use recovery codes: shown once, stored only as hashes.
#[wasm_bindgen]
pub struct RecoveryCodes;

#[wasm_bindgen]
impl RecoveryCodes {
    /// `count` (default 10) fresh codes of 100 bits, as `XXXXX-XXXXX-XXXXX-XXXXX`.
    pub fn generate(
        #[wasm_bindgen(unchecked_optional_param_type = "number")] count: JsValue,
    ) -> Result<Vec<String>, JsValue> {
        let count = if count.is_undefined() { 10 } else { integer(&count, "count", 1, 100)? };
        let codes = RecoveryCode::generate(count as usize).js()?;
        Ok(codes.iter().map(|c| c.to_display_string().to_string()).collect())
    }

    /// The hash the server stores for `code` (64 hex digits).
    pub fn hash(#[wasm_bindgen(unchecked_param_type = "string")] code: JsValue) -> Result<String, JsValue> {
        Ok(parse_code(&string(&code, "code")?)?.hash().to_string())
    }

    /// Whether `code` matches `hash`, compared in constant time.
    pub fn verify(
        #[wasm_bindgen(unchecked_param_type = "string")] code: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] hash: JsValue,
    ) -> Result<bool, JsValue> {
        let code = string(&code, "code")?;
        let hash: RecoveryCodeHash =
            string(&hash, "hash")?.parse().map_err(|_| invalid("the hash must be 64 lowercase hex digits"))?;
        Ok(hash.verify(&parse_code(&code)?))
    }

    /// The canonical display form of a code as typed (case, spaces and look-alikes forgiven).
    pub fn normalize(#[wasm_bindgen(unchecked_param_type = "string")] code: JsValue) -> Result<String, JsValue> {
        Ok(parse_code(&string(&code, "code")?)?.to_display_string().to_string())
    }
}
