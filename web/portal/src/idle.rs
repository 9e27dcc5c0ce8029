//! The idle warning: an `alertdialog` that takes focus, counts down, and offers "stay signed
//! in" (Escape does the same) or signing out now. The timer itself is the SDK's `IdleTimer`,
//! started in [`crate::session::signed_in`].

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::{format, portal, session};

fn now_ms() -> u64 {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "Date.now() is a positive integer")]
    let now = js_sys::Date::now().max(0.0) as u64;
    now
}

/// The warning dialog, shown while [`crate::Portal::warning`] holds a deadline.
#[component]
pub fn IdleWarning() -> impl IntoView {
    let state = portal();
    let now = RwSignal::new(now_ms());
    // One tick a second while the warning is up, for the countdown.
    let handle = StoredValue::new_local(None::<leptos::prelude::IntervalHandle>);
    // Where focus was before the dialog took it, to give it back when the dialog closes.
    let before = StoredValue::new_local(None::<web_sys::HtmlElement>);
    Effect::new(move |_| {
        let open = state.warning.get().is_some();
        if let Some(h) = handle.get_value() {
            h.clear();
            handle.set_value(None);
        }
        if !open && let Some(element) = before.get_value() {
            before.set_value(None);
            if element.is_connected() {
                let _ = element.focus();
            }
        }
        if open {
            let active = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.active_element())
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
            before.set_value(active);
            now.set(now_ms());
            let h = set_interval_with_handle(move || now.set(now_ms()), std::time::Duration::from_millis(1000)).ok();
            handle.set_value(h);
            // Focus moves into the dialog, to its first action.
            let focus = wasm_bindgen::closure::Closure::once_into_js(|| {
                if let Some(button) = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.get_element_by_id("idle-stay"))
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                {
                    let _ = button.focus();
                }
            });
            if let Some(window) = web_sys::window() {
                let _ = window.request_animation_frame(focus.unchecked_ref());
            }
        }
    });
    let remaining = move || state.warning.get().map_or(0, |deadline| deadline.saturating_sub(now.get()));
    // Announced politely, in coarse steps, so a screen reader is not flooded every second.
    let announcement = move || {
        let seconds = remaining().div_ceil(1000);
        let step = if seconds > 60 { seconds.div_ceil(30) * 30 } else { seconds.div_ceil(15) * 15 };
        format!("You will be signed out in about {step} seconds.")
    };
    let stay = move |_| {
        session::extend();
        state.warning.set(None);
    };
    let leave = move |_| session::end(state, "You signed out. Sign in again to see your bookings.", true);
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            session::extend();
            state.warning.set(None);
        }
    };
    view! {
        <Show when=move || state.warning.get().is_some()>
            <div class="dialog-backdrop">
                <div
                    class="dialog"
                    role="alertdialog"
                    aria-modal="true"
                    aria-labelledby="idle-title"
                    aria-describedby="idle-text"
                    on:keydown=on_key
                >
                    <h2 id="idle-title">"Are you still there?"</h2>
                    <p id="idle-text">
                        "For your privacy you will be signed out in "
                        <strong class="countdown">{move || format::countdown(remaining())}</strong>
                        " unless you choose to stay signed in."
                    </p>
                    <p class="visually-hidden" aria-live="polite">{announcement}</p>
                    <div class="actions">
                        <button type="button" id="idle-stay" class="button-primary" on:click=stay>
                            "Stay signed in"
                        </button>
                        <button type="button" class="button-secondary" on:click=leave>
                            "Sign out now"
                        </button>
                    </div>
                </div>
            </div>
        </Show>
    }
}
