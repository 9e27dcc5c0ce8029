//! Sealing the note, by the widget's sealing module (`web/widget-seal`): a wasm module of its
//! own that `start.js` loads when asked, so that the envelope's cryptography (HPKE, P-256,
//! AES-256-GCM: about 30 KB gzipped) is not part of the widget's first load. The note step
//! asks for it ahead ([`preload`]); booking seals with it ([`seal`]). It runs in this frame,
//! on this origin, like the rest of the widget: the note leaves it only sealed.

use bizing_core::api::ClinicKeyInfo;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Where `start.js` puts the loader: a function returning a promise of the sealing module,
/// initialized, whose `sealNote(...)` returns an envelope's text form.
const LOADER: &str = "bizingWidgetSeal";

fn module_promise() -> Option<js_sys::Promise> {
    let loader = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str(LOADER))
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    Some(js_sys::Promise::resolve(&loader.call0(&JsValue::UNDEFINED).ok()?))
}

/// Starts loading the sealing module (the note step does, so booking does not wait for it).
pub fn preload() {
    let _ = module_promise();
}

/// Seals `text` for the booking `booking_id` at `tenant_id` to the clinic's current key and,
/// with an account, the patient's key (SEC1 base64url); `None` if the module cannot be loaded
/// or a key is unusable.
pub async fn seal(
    text: &str,
    tenant_id: &str,
    booking_id: &str,
    clinic: &ClinicKeyInfo,
    patient_key: Option<&str>,
) -> Option<String> {
    let module = JsFuture::from(module_promise()?).await.ok()?;
    let seal_note =
        js_sys::Reflect::get(&module, &JsValue::from_str("sealNote")).ok()?.dyn_into::<js_sys::Function>().ok()?;
    let args = js_sys::Array::of5(
        &JsValue::from_str(text),
        &JsValue::from_str(tenant_id),
        &JsValue::from_str(booking_id),
        &JsValue::from_str(&clinic.public_key),
        &JsValue::from_f64(f64::from(clinic.version)),
    );
    args.push(&patient_key.map_or(JsValue::UNDEFINED, JsValue::from_str));
    seal_note.apply(&JsValue::UNDEFINED, &args).ok()?.as_string()
}
