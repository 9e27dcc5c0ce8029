//! Links the patient's account to the booking widget: the widget, framed by a clinic's
//! website on another site, has no session cookie, so it opens this page in a popup. Here,
//! signed in, the patient agrees; the portal asks the server for a widget session (a bearer
//! token tied to this session: it ends when this session ends) and posts it to the window
//! that opened this one, with this origin as the only allowed target.
//!
//! The opener must be the widget's frame on this origin: its location is readable only if it
//! is same-origin, and it must be the widget's page. Anything else (a page that opened the
//! portal on its own) gets nothing.

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use crate::routes::sign_in::ErrorAndProgress;
use crate::{portal, problems, session};

/// The widget's frame, the only page this one answers.
const WIDGET_FRAME_PATH: &str = "/widget/v1/frame.html";

/// The window that opened this one, if it is the booking widget's frame on this origin.
fn widget_opener() -> Option<web_sys::Window> {
    let window = web_sys::window()?;
    let opener = window.opener().ok().filter(|o| o.is_object())?;
    // Not `dyn_into`: the opener is a window of another realm, so `instanceof Window` is false.
    let opener: web_sys::Window = opener.unchecked_into();
    // Reading a cross-origin window's location throws: only a same-origin opener passes.
    let location = opener.location();
    let same_origin = location.origin().ok()? == window.location().origin().ok()?;
    (same_origin && location.pathname().ok()? == WIDGET_FRAME_PATH).then_some(opener)
}

/// The widget-link page.
#[component]
pub fn WidgetLink() -> impl IntoView {
    let state = portal();
    let busy = RwSignal::new(None::<&'static str>);
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(false);
    let opener_ok = widget_opener().is_some();
    let name = state.account.get_untracked().map(|a| a.name).unwrap_or_default();

    let link = move |_| {
        busy.set(Some("Linking your account…"));
        error.set(None);
        leptos::task::spawn_local(async move {
            let result = session::client().widget_session().await;
            busy.set(None);
            let session = match result {
                Ok(session) => session,
                Err(e) if problems::session_gone(&e) => return session::end(state, &problems::message(&e), false),
                Err(e) => return error.set(Some(problems::message(&e))),
            };
            let (Some(opener), Some(window)) = (widget_opener(), web_sys::window()) else {
                return error.set(Some("The booking form was closed. Open it again and sign in from there.".into()));
            };
            let message = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&message, &"type".into(), &"bizing:widget-session".into());
            let _ = js_sys::Reflect::set(&message, &"token".into(), &session.token.as_str().into());
            let origin = window.location().origin().unwrap_or_default();
            if opener.post_message(&message, &origin).is_err() {
                return error
                    .set(Some("The booking form could not be reached. Open it again and sign in from there.".into()));
            }
            done.set(true);
            let _ = window.close();
        });
    };
    let cancel = move |_| {
        if let Some(window) = web_sys::window() {
            let _ = window.close();
        }
    };

    view! {
        <section class="card" aria-labelledby="page-title">
            <h1 id="page-title" tabindex="-1">"Use your account in the booking form"</h1>
            {if opener_ok {
                view! {
                    <p>
                        "The booking form on the clinic's website will book as " <strong>{name}</strong>
                        " and encrypt your note for the clinic and for you, so you can read it here. "
                        "It stays signed in while you use it, and signs out when you sign out here or after "
                        "15 minutes without use."
                    </p>
                    <ErrorAndProgress error busy />
                    {move || done.get().then(|| view! {
                        <p role="status">"Done. You can close this window and go back to the booking form."</p>
                    })}
                    <div class="actions">
                        <button type="button" class="button-primary" disabled=move || busy.get().is_some() || done.get() on:click=link>
                            "Use my account"
                        </button>
                        <button type="button" class="button-secondary" on:click=cancel>"Cancel"</button>
                    </div>
                }.into_any()
            } else {
                view! {
                    <p>
                        "This page links your account to a clinic's booking form. Open it with the form's "
                        "“Sign in to book with it” button."
                    </p>
                    <p><a href="#/bookings">"Go to my bookings"</a></p>
                }.into_any()
            }}
        </section>
    }
}
