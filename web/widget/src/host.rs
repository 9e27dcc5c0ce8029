//! The host page, as the widget sees it: the `<bizing-booking>` element that framed it.
//!
//! The channel itself lives in `static/start.js` (plain JavaScript, running before the wasm
//! is loaded, so the loader's handshake is never missed): it accepts one `bizing:connect`
//! message from the framing page (checked by source and origin) carrying a `MessagePort`,
//! and from then on talks only over that port. This module is the app's side of it:
//! [`send`] what the host may know (never PHI), and [`on_prefill`] for what the host offers.
//! Outside a frame (the page opened on its own) both do nothing.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `globalThis.bizingWidget.send(message)` (start.js): to the host, or queued until the
    /// handshake.
    #[wasm_bindgen(catch, js_namespace = bizingWidget, js_name = send)]
    fn bridge_send(message: &JsValue) -> Result<(), JsValue>;

    /// `globalThis.bizingWidget.listen(handler)` (start.js): `handler` gets each checked
    /// message from the host, including those that arrived before.
    #[wasm_bindgen(catch, js_namespace = bizingWidget, js_name = listen)]
    fn bridge_listen(handler: &js_sys::Function) -> Result<(), JsValue>;
}

/// What the widget tells the host page. Opaque ids and states only: the host page and its
/// scripts must never learn who booked, when, or why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToHost<'a> {
    /// The first step is on screen and usable.
    Ready,
    /// A booking was made: its opaque id and status.
    BookingSucceeded {
        /// The booking's id (random; it names nothing).
        booking_id: &'a str,
        /// `active`.
        status: &'a str,
    },
    /// Booking failed: the API's problem type (`slot-taken`, `rate-limited`, `network`, …).
    Failed {
        /// The problem type's slug.
        problem: &'a str,
    },
    /// The user asked to close the widget (Esc, or the close button), for popup mode.
    CloseRequest,
}

/// Sends `message` to the host page, if the widget is framed by one.
pub fn send(message: ToHost<'_>) {
    let object = js_sys::Object::new();
    let set = |key: &str, value: &str| {
        let _ = js_sys::Reflect::set(&object, &JsValue::from_str(key), &JsValue::from_str(value));
    };
    match message {
        ToHost::Ready => set("type", "ready"),
        ToHost::BookingSucceeded { booking_id, status } => {
            set("type", "booking-succeeded");
            set("bookingId", booking_id);
            set("status", status);
        }
        ToHost::Failed { problem } => {
            set("type", "failed");
            set("problem", problem);
        }
        ToHost::CloseRequest => set("type", "close-request"),
    }
    let _ = bridge_send(&object);
}

/// Details the host page offers to fill in (it may know who is signed in on its own site).
/// Each is a suggestion shown in the form, which the patient can change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prefill {
    /// The patient's name.
    pub name: Option<String>,
    /// The patient's email.
    pub email: Option<String>,
    /// The patient's phone.
    pub phone: Option<String>,
    /// A service, by id or by name.
    pub service: Option<String>,
}

/// The longest prefilled value taken; longer ones are ignored.
const MAX_PREFILL: usize = 254;

impl Prefill {
    fn from_js(value: &JsValue) -> Option<Self> {
        if js_sys::Reflect::get(value, &JsValue::from_str("type")).ok()?.as_string()? != "prefill" {
            return None;
        }
        let field = |key: &str| {
            js_sys::Reflect::get(value, &JsValue::from_str(key))
                .ok()
                .and_then(|v| v.as_string())
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty() && s.len() <= MAX_PREFILL && !s.chars().any(char::is_control))
        };
        Some(Self { name: field("name"), email: field("email"), phone: field("phone"), service: field("service") })
    }
}

/// Calls `apply` with each prefill the host sends (other messages are ignored).
pub fn on_prefill(apply: impl Fn(Prefill) + 'static) {
    let handler = Closure::<dyn Fn(JsValue)>::new(move |value: JsValue| {
        if let Some(prefill) = Prefill::from_js(&value) {
            apply(prefill);
        }
    });
    let _ = bridge_listen(handler.as_ref().unchecked_ref());
    // The handler lives as long as the page.
    handler.forget();
}
