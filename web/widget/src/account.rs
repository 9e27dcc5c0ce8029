//! Booking with an account: the patient signs in to the portal in a popup on the booking
//! origin (where the session cookie works; a cross-site frame never has it), and the portal
//! hands this frame a widget session, a bearer token the server ties to the portal's
//! session. The token lives in the API client's memory only; it is never stored or put in a
//! URL.
//!
//! The popup's answer is accepted only from this origin (`event.origin`) and from the popup
//! this frame opened (`event.source`). While signed in, activity in the frame is reported to
//! the server (which keeps the portal's session alive with it), and the frame's idle timeout
//! signs the widget out; so does the portal signing out (the server ends its widget sessions).

use std::cell::RefCell;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::{Flow, client};

/// The portal page that links an account to this frame.
const LINK_PATH: &str = "/portal/#/widget-link";
/// The message type the portal answers with.
const SESSION_MESSAGE: &str = "bizing:widget-session";

/// The signed-in patient, as the widget needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Their name.
    pub name: String,
    /// Their email.
    pub email: String,
    /// Their public key (SEC1, base64url): notes are sealed to it too, so they can read them
    /// (checked by the sealing module).
    pub public_key: String,
}

struct Link {
    popup: Option<web_sys::Window>,
    listener: Option<Closure<dyn FnMut(web_sys::MessageEvent)>>,
}

thread_local! {
    static LINK: RefCell<Link> = const { RefCell::new(Link { popup: None, listener: None }) };
}

/// Opens the portal's sign-in in a popup and waits for its answer. `Err` with a message when
/// the browser blocked the popup.
///
/// # Errors
/// The popup could not be opened.
pub fn sign_in(flow: Flow) -> Result<(), &'static str> {
    let window = web_sys::window().ok_or("no window")?;
    let popup = window
        .open_with_url_and_target_and_features(LINK_PATH, "bizing-widget-link", "popup,width=520,height=760")
        .ok()
        .flatten()
        .ok_or("Your browser blocked the sign-in window. Allow pop-ups for this page, or book as a guest.")?;
    let listener = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
        accept(flow, &event);
    });
    LINK.with(|link| {
        let mut link = link.borrow_mut();
        if let Some(old) = link.listener.take() {
            let _ = window.remove_event_listener_with_callback("message", old.as_ref().unchecked_ref());
        }
        let _ = window.add_event_listener_with_callback("message", listener.as_ref().unchecked_ref());
        link.popup = Some(popup);
        link.listener = Some(listener);
    });
    flow.account_status.set(Some("Sign in in the window that opened, then choose “Use my account”."));
    Ok(())
}

/// The popup's answer: the widget session's token, from this origin and that popup only.
fn accept(flow: Flow, event: &web_sys::MessageEvent) {
    let Some(window) = web_sys::window() else { return };
    let own_origin = window.location().origin().unwrap_or_default();
    let from_popup = LINK.with(|link| {
        let link = link.borrow();
        match (&link.popup, event.source()) {
            (Some(popup), Some(source)) => js_sys::Object::is(popup.as_ref(), source.as_ref()),
            _ => false,
        }
    });
    if event.origin() != own_origin || !from_popup {
        return;
    }
    let data = event.data();
    let field = |key: &str| js_sys::Reflect::get(&data, &JsValue::from_str(key)).ok().and_then(|v| v.as_string());
    if field("type").as_deref() != Some(SESSION_MESSAGE) {
        return;
    }
    let Some(token) = field("token").filter(|t| !t.is_empty() && t.len() <= 256) else { return };
    stop_listening();
    client().set_session_token(Some(token));
    flow.account_status.set(Some("Signing in…"));
    leptos::task::spawn_local(async move {
        match client().me().await {
            Ok(me) if me.role == "patient" && me.tenant_id == crate::clinic_id() => {
                flow.name.set(me.name.clone());
                flow.email.set(me.email.clone());
                flow.account.set(Some(Account { name: me.name, email: me.email, public_key: me.public_key }));
                flow.account_status.set(None);
            }
            _ => {
                sign_out(
                    flow,
                    Some("That account cannot book with this clinic here. Book as a guest, or call the clinic."),
                );
            }
        }
    });
}

fn stop_listening() {
    LINK.with(|link| {
        let mut link = link.borrow_mut();
        if let (Some(listener), Some(window)) = (link.listener.take(), web_sys::window()) {
            let _ = window.remove_event_listener_with_callback("message", listener.as_ref().unchecked_ref());
        }
        link.popup = None;
    });
}

/// Signs the widget out: ends the widget session on the server (the portal stays signed
/// in), forgets the token, and empties what the account filled in. `why` is shown.
pub fn sign_out(flow: Flow, why: Option<&'static str>) {
    stop_listening();
    let had_token = client().has_session_token();
    if flow.account.get_untracked().is_some() {
        flow.name.set(String::new());
        flow.email.set(String::new());
    }
    flow.account.set(None);
    flow.account_status.set(why);
    if had_token {
        leptos::task::spawn_local(async move {
            // Ends only this widget session; the token is forgotten either way.
            let _ = client().logout().await;
            client().set_session_token(None);
        });
    }
}

/// Tells the server the patient is using the widget (which keeps their portal session alive),
/// when there was activity since the last report. Signs out if the server has ended the
/// session (the portal signed out or timed out).
pub fn report_activity(flow: Flow, active: bool) {
    if !active || flow.account.get_untracked().is_none() {
        return;
    }
    leptos::task::spawn_local(async move {
        if let Err(e) = client().record_activity().await
            && (e.is_problem("session-expired") || e.is_problem("not-signed-in"))
        {
            sign_out(
                flow,
                Some(
                    "You were signed out (from the portal, or after a while without use). Sign in again, or book as a guest.",
                ),
            );
        }
    });
}
