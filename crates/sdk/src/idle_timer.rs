//! The browser idle timer: DOM events and other tabs in, warn / extend / time out out.
//!
//! The decisions are made by [`bizing_core::IdleMachine`]; this module only wires it to the
//! page: activity events (throttled), `visibilitychange` and `pageshow` (which re-check the
//! wall-clock deadline, so a laptop that slept times out on wake), a `setTimeout` for the next
//! check, and a `BroadcastChannel` that carries activity and logout between tabs of the same
//! origin. On time-out every key in the SDK's registry (the keys it handed to JavaScript) is
//! zeroized before the callback runs; a Rust caller drops its own keys in the callback.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use bizing_core::{IdleConfig, IdleEvent, IdleMachine, IdleOutput, TimeoutReason};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[cfg(feature = "js")]
use crate::error::invalid;
use crate::error::{ErrorCode, error};
use crate::js::{get_opt, set};
use crate::keystore;

/// Activity is fed to the state machine at most this often.
const LOCAL_THROTTLE_MS: u64 = 1_000;
/// Activity is told to other tabs at most this often (or a quarter of the time from the last
/// activity to the warning, for short timeouts), so another tab never warns while this one
/// is in use.
const BROADCAST_THROTTLE_MS: u64 = 5_000;
/// The default `BroadcastChannel` name.
pub const DEFAULT_CHANNEL: &str = "bizing-idle";
/// Events that count as the user being present.
const ACTIVITY_EVENTS: [&str; 6] = ["pointerdown", "pointermove", "keydown", "wheel", "touchstart", "focus"];

/// What the timer reports to its owner.
pub type IdleCallback = Rc<dyn Fn(IdleOutput)>;

/// A listener to remove on stop: where, which event, and the closure.
type Listener = (web_sys::EventTarget, &'static str, Closure<dyn FnMut(web_sys::Event)>);

struct Inner {
    machine: IdleMachine,
    callback: IdleCallback,
    channel: Option<web_sys::BroadcastChannel>,
    timer: Option<i32>,
    listeners: Vec<Listener>,
    on_message: Option<Closure<dyn FnMut(web_sys::MessageEvent)>>,
    on_timer: Option<Closure<dyn FnMut()>>,
    last_local_ms: u64,
    last_broadcast_ms: u64,
    broadcast_every_ms: u64,
}

/// A running idle timer. Dropping it does not stop it; call [`IdleTimer::stop`].
#[derive(Clone)]
pub struct IdleTimer {
    inner: Rc<RefCell<Option<Inner>>>,
}

fn now_ms() -> u64 {
    // Date.now() is a non-negative integer number of milliseconds.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let now = js_sys::Date::now().max(0.0) as u64;
    now
}

impl IdleTimer {
    /// Starts watching this page and the other tabs on `channel_name`.
    ///
    /// # Errors
    /// `Unsupported` outside a browser page (no `window`/`document`).
    pub fn start(config: IdleConfig, channel_name: &str, callback: IdleCallback) -> Result<Self, JsValue> {
        let window =
            web_sys::window().ok_or_else(|| error(ErrorCode::Unsupported, "IdleTimer needs a browser page"))?;
        let document =
            window.document().ok_or_else(|| error(ErrorCode::Unsupported, "IdleTimer needs a browser page"))?;
        let now = now_ms();
        let timer = Self {
            inner: Rc::new(RefCell::new(Some(Inner {
                machine: IdleMachine::new(config, now),
                callback,
                // Without BroadcastChannel (very old browsers) the timer still works per tab.
                channel: web_sys::BroadcastChannel::new(channel_name).ok(),
                timer: None,
                listeners: Vec::new(),
                on_message: None,
                on_timer: None,
                last_local_ms: 0,
                last_broadcast_ms: 0,
                broadcast_every_ms: BROADCAST_THROTTLE_MS
                    .min(config.timeout_ms().saturating_sub(config.warn_before_ms()) / 4)
                    .max(1),
            }))),
        };
        let weak = Rc::downgrade(&timer.inner);
        let mut listeners = Vec::new();
        for name in ACTIVITY_EVENTS {
            let w = weak.clone();
            let closure = Closure::<dyn FnMut(web_sys::Event)>::new(move |_event: web_sys::Event| {
                Self::on_activity(&w, false);
            });
            listeners.push((window.clone().unchecked_into::<web_sys::EventTarget>(), name, closure));
        }
        let w = weak.clone();
        let doc = document.clone();
        let visibility = Closure::<dyn FnMut(web_sys::Event)>::new(move |_event: web_sys::Event| {
            if doc.visibility_state() == web_sys::VisibilityState::Visible {
                Self::feed(&w, IdleEvent::Visible { now_ms: now_ms() });
            }
        });
        listeners.push((document.unchecked_into::<web_sys::EventTarget>(), "visibilitychange", visibility));
        let w = weak.clone();
        let pageshow = Closure::<dyn FnMut(web_sys::Event)>::new(move |_event: web_sys::Event| {
            Self::feed(&w, IdleEvent::Visible { now_ms: now_ms() });
        });
        listeners.push((window.clone().unchecked_into::<web_sys::EventTarget>(), "pageshow", pageshow));

        let options = web_sys::AddEventListenerOptions::new();
        options.set_passive(true);
        for (target, name, closure) in &listeners {
            target
                .add_event_listener_with_callback_and_add_event_listener_options(
                    name,
                    closure.as_ref().unchecked_ref(),
                    &options,
                )
                .map_err(|_| error(ErrorCode::Unsupported, "cannot listen to page events"))?;
        }

        let w = weak.clone();
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            Self::on_message(&w, &event.data());
        });
        let w = weak;
        let on_timer = Closure::<dyn FnMut()>::new(move || {
            Self::feed(&w, IdleEvent::Tick { now_ms: now_ms() });
        });
        if let Ok(mut guard) = timer.inner.try_borrow_mut()
            && let Some(inner) = guard.as_mut()
        {
            if let Some(channel) = &inner.channel {
                channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            }
            inner.listeners = listeners;
            inner.on_message = Some(on_message);
            inner.on_timer = Some(on_timer);
        }
        timer.schedule();
        Ok(timer)
    }

    /// "Stay signed in": counts as activity now, here and in the other tabs.
    pub fn extend(&self) {
        Self::on_activity(&Rc::downgrade(&self.inner), true);
    }

    /// Signs out every tab: tells the others (which time out with
    /// [`TimeoutReason::RemoteLogout`]), zeroizes keys and stops. No callback runs here: the
    /// caller initiated it.
    pub fn logout(&self) {
        if let Ok(guard) = self.inner.try_borrow()
            && let Some(inner) = guard.as_ref()
            && let Some(channel) = &inner.channel
        {
            let _ = channel.post_message(&message("logout", None));
        }
        keystore::zeroize_keys();
        self.stop();
    }

    /// Stops listening; keys are left alone.
    pub fn stop(&self) {
        let taken = self.inner.try_borrow_mut().ok().and_then(|mut guard| guard.take());
        if let Some(inner) = taken {
            Self::teardown(inner);
        }
    }

    /// The current wall-clock deadline (ms), or `None` once stopped or timed out.
    #[must_use]
    pub fn deadline_ms(&self) -> Option<u64> {
        self.inner.try_borrow().ok()?.as_ref().map(|i| i.machine.deadline_ms())
    }

    fn teardown(inner: Inner) {
        for (target, name, closure) in &inner.listeners {
            let _ = target.remove_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
        }
        if let (Some(id), Some(window)) = (inner.timer, web_sys::window()) {
            window.clear_timeout_with_handle(id);
        }
        if let Some(channel) = &inner.channel {
            channel.set_onmessage(None);
            channel.close();
        }
    }

    fn on_activity(weak: &Weak<RefCell<Option<Inner>>>, force: bool) {
        let now = now_ms();
        let mut broadcast = None;
        if let Some(rc) = weak.upgrade()
            && let Ok(mut guard) = rc.try_borrow_mut()
            && let Some(inner) = guard.as_mut()
        {
            if !force && now.saturating_sub(inner.last_local_ms) < LOCAL_THROTTLE_MS.min(inner.broadcast_every_ms) {
                return;
            }
            inner.last_local_ms = now;
            if force || now.saturating_sub(inner.last_broadcast_ms) >= inner.broadcast_every_ms {
                inner.last_broadcast_ms = now;
                broadcast = inner.channel.clone();
            }
        }
        Self::feed(weak, IdleEvent::Activity { at_ms: now });
        if let Some(channel) = broadcast {
            #[allow(clippy::cast_precision_loss)] // ms timestamps are far below 2^53
            let _ = channel.post_message(&message("activity", Some(now as f64)));
        }
    }

    fn on_message(weak: &Weak<RefCell<Option<Inner>>>, data: &JsValue) {
        let kind = get_opt(data, "type").ok().flatten().and_then(|v| v.as_string());
        match kind.as_deref() {
            Some("activity") => {
                let at = get_opt(data, "at").ok().flatten().and_then(|v| v.as_f64()).unwrap_or(0.0);
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let at_ms = at.max(0.0) as u64;
                Self::feed(weak, IdleEvent::RemoteActivity { at_ms, now_ms: now_ms() });
            }
            Some("logout") => Self::feed(weak, IdleEvent::RemoteLogout { now_ms: now_ms() }),
            // Anything else on the channel is not ours: ignore it.
            _ => {}
        }
    }

    /// Feeds one event, reschedules, and reports the outcome with no borrow held (the
    /// callback may call back into the timer).
    fn feed(weak: &Weak<RefCell<Option<Inner>>>, event: IdleEvent) {
        let Some(rc) = weak.upgrade() else { return };
        let (output, callback) = {
            let Ok(mut guard) = rc.try_borrow_mut() else { return };
            let Some(inner) = guard.as_mut() else { return };
            (inner.machine.handle(event), inner.callback.clone())
        };
        let timer = Self { inner: rc };
        match output {
            Some(out @ IdleOutput::TimeOut { reason }) => {
                if reason == TimeoutReason::Idle
                    && let Ok(guard) = timer.inner.try_borrow()
                    && let Some(channel) = guard.as_ref().and_then(|i| i.channel.clone())
                {
                    // Our time-out ends the session for every tab.
                    let _ = channel.post_message(&message("logout", None));
                }
                keystore::zeroize_keys();
                timer.stop();
                callback(out);
            }
            Some(out) => {
                timer.schedule();
                callback(out);
            }
            None => timer.schedule(),
        }
    }

    fn schedule(&self) {
        let Ok(mut guard) = self.inner.try_borrow_mut() else { return };
        let Some(inner) = guard.as_mut() else { return };
        let Some(window) = web_sys::window() else { return };
        if let Some(id) = inner.timer.take() {
            window.clear_timeout_with_handle(id);
        }
        let Some(at) = inner.machine.next_check_ms() else { return };
        // setTimeout takes a signed 32-bit delay; later checks are rescheduled on arrival.
        let delay = at.saturating_sub(now_ms()).min(i32::MAX as u64);
        #[allow(clippy::cast_possible_truncation)]
        let delay = delay as i32;
        if let Some(cb) = &inner.on_timer {
            inner.timer =
                window.set_timeout_with_callback_and_timeout_and_arguments_0(cb.as_ref().unchecked_ref(), delay).ok();
        }
    }
}

fn message(kind: &str, at: Option<f64>) -> JsValue {
    let out = js_sys::Object::new();
    set(&out, "type", kind);
    if let Some(at) = at {
        set(&out, "at", at);
    }
    out.into()
}

// ---------------------------------------------------------------------------------------
// JavaScript

#[cfg(feature = "js")]
#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** Options for `new IdleTimer(...)`. Browser only. */
export interface IdleTimerOptions {
  /** Inactivity before time-out, ms. Default 15 minutes. */
  timeoutMs?: number;
  /** How long before the time-out to warn, ms. Default 2 minutes. */
  warnBeforeMs?: number;
  /** BroadcastChannel name shared by the tabs of one session. Default "bizing-idle". */
  channelName?: string;
  /** The warning: show an alertdialog with a countdown to `deadlineMs` (wall clock). */
  onWarn?: (remainingMs: number, deadlineMs: number) => void;
  /** Activity here or in another tab ended the warning. */
  onExtend?: (deadlineMs: number) => void;
  /** The session ended ("idle", or "logout" from another tab). Keys are already zeroized;
   *  clear PHI from the page and end the server session. */
  onTimeout: (reason: "idle" | "logout") => void;
}
"#;

#[cfg(feature = "js")]
#[wasm_bindgen]
extern "C" {
    /// `IdleTimerOptions` in TypeScript.
    #[wasm_bindgen(typescript_type = "IdleTimerOptions")]
    pub type IdleTimerOptions;
}

/// The idle timer for JavaScript (browser only).
#[cfg(feature = "js")]
#[wasm_bindgen(js_name = IdleTimer)]
pub struct JsIdleTimer {
    timer: IdleTimer,
}

#[cfg(feature = "js")]
#[wasm_bindgen(js_class = IdleTimer)]
impl JsIdleTimer {
    /// Starts the timer. Throws `Unsupported` outside a browser page.
    #[wasm_bindgen(constructor)]
    pub fn new(options: &IdleTimerOptions) -> Result<JsIdleTimer, JsValue> {
        let number = |name: &str, default: u64| -> Result<u64, JsValue> {
            match get_opt(options, name)? {
                None => Ok(default),
                Some(v) => {
                    let n = v.as_f64().filter(|n| n.is_finite() && *n >= 0.0 && *n <= 9.0e15);
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    n.map(|n| n as u64).ok_or_else(|| invalid(&format!("{name} must be a non-negative number of ms")))
                }
            }
        };
        let config = IdleConfig::new(
            number("timeoutMs", bizing_core::idle::DEFAULT_TIMEOUT_MS)?,
            number("warnBeforeMs", bizing_core::idle::DEFAULT_WARN_BEFORE_MS)?,
        )
        .map_err(|e| invalid(&e.to_string()))?;
        let channel = match get_opt(options, "channelName")? {
            Some(v) => v.as_string().ok_or_else(|| invalid("channelName must be a string"))?,
            None => DEFAULT_CHANNEL.to_owned(),
        };
        let function = |name: &str| -> Result<Option<js_sys::Function>, JsValue> {
            get_opt(options, name)?
                .map(|v| v.dyn_into::<js_sys::Function>().map_err(|_| invalid(&format!("{name} must be a function"))))
                .transpose()
        };
        let on_warn = function("onWarn")?;
        let on_extend = function("onExtend")?;
        let on_timeout = function("onTimeout")?.ok_or_else(|| invalid("onTimeout is required"))?;
        let callback: IdleCallback = Rc::new(move |output| {
            // A throwing callback must not break the timer; its error is the page's to see.
            #[allow(clippy::cast_precision_loss)] // ms values are far below 2^53
            let _ = match output {
                IdleOutput::Warn { deadline_ms, remaining_ms } => on_warn.as_ref().map(|f| {
                    f.call2(&JsValue::NULL, &JsValue::from(remaining_ms as f64), &JsValue::from(deadline_ms as f64))
                }),
                IdleOutput::Extend { deadline_ms } => {
                    on_extend.as_ref().map(|f| f.call1(&JsValue::NULL, &JsValue::from(deadline_ms as f64)))
                }
                IdleOutput::TimeOut { reason } => {
                    let reason = if reason == TimeoutReason::Idle { "idle" } else { "logout" };
                    Some(on_timeout.call1(&JsValue::NULL, &JsValue::from_str(reason)))
                }
                _ => None,
            };
        });
        Ok(Self { timer: IdleTimer::start(config, &channel, callback)? })
    }

    /// "Stay signed in": activity now, here and in the other tabs.
    pub fn extend(&self) {
        self.timer.extend();
    }

    /// Signs out every tab of this session: tells the others, zeroizes keys, stops.
    pub fn logout(&self) {
        self.timer.logout();
    }

    /// Stops listening, leaving keys alone.
    pub fn stop(&self) {
        self.timer.stop();
    }

    /// The wall-clock deadline in ms, or `undefined` once stopped or timed out.
    #[wasm_bindgen(getter, js_name = deadlineMs)]
    #[allow(clippy::cast_precision_loss)]
    pub fn deadline_ms(&self) -> Option<f64> {
        self.timer.deadline_ms().map(|d| d as f64)
    }
}
