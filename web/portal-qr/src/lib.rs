#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

/// The QR code of `text` as a standalone SVG document; `undefined` if it does not fit.
///
/// Takes the text by value so it can be zeroized here (the glue frees a borrowed string
/// without overwriting it), and returns a JavaScript string made from the SVG before the
/// SVG is zeroized.
#[wasm_bindgen(js_name = qrSvg)]
#[must_use]
pub fn qr_svg(text: String) -> Option<js_sys::JsString> {
    let text = Zeroizing::new(text);
    let svg = bizing_core::totp::qr_svg(&text).ok()?;
    Some(js_sys::JsString::from(svg.as_str()))
}
