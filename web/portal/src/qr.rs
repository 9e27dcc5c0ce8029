//! QR codes, made by the portal's QR module (`web/portal-qr`): a wasm module of its own that
//! `start.js` loads the first time one is asked for. Only authenticator enrollment shows a
//! QR code, and the encoder is about 13 KB of gzipped wasm that every first load of the
//! portal would otherwise carry. It runs in this page like the rest of the portal: the
//! `otpauth://` URI (with its secret) never leaves the browser.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Where `start.js` puts the loader: a function returning a promise of the QR module,
/// initialized, whose `qrSvg(text)` returns an SVG document or `undefined`.
const LOADER: &str = "bizingPortalQr";

/// The QR code of `text` as a `data:` URL for an `<img>` (the CSP allows `data:` images);
/// `None` if the module cannot be loaded or `text` does not fit in a QR code.
pub async fn data_url(text: &str) -> Option<String> {
    let global = js_sys::global();
    let loader = js_sys::Reflect::get(&global, &JsValue::from_str(LOADER)).ok()?.dyn_into::<js_sys::Function>().ok()?;
    let module = JsFuture::from(js_sys::Promise::resolve(&loader.call0(&JsValue::UNDEFINED).ok()?)).await.ok()?;
    let qr_svg =
        js_sys::Reflect::get(&module, &JsValue::from_str("qrSvg")).ok()?.dyn_into::<js_sys::Function>().ok()?;
    let svg = qr_svg.call1(&JsValue::UNDEFINED, &JsValue::from_str(text)).ok()?.as_string()?;
    Some(format!("data:image/svg+xml,{}", String::from(js_sys::encode_uri_component(&svg))))
}
