#![doc = include_str!("../README.md")]
// Denied, not forbidden: `routes::lazy` allows the code its split points generate.
#![deny(unsafe_code)]
#![deny(missing_docs)]

pub use bizing_web_ui::format;
pub mod idle;
pub mod problems;
pub mod qr;
pub mod routes;
pub mod session;

use leptos::prelude::*;

use crate::routes::Route;

/// The clinic this portal serves, from `<meta name="bizing-clinic">` in `index.html`
/// (written by the build), or the demo clinic.
#[must_use]
pub fn clinic_id() -> String {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("meta[name=bizing-clinic]").ok().flatten())
        .and_then(|m| m.get_attribute("content"))
        .filter(|c| !c.trim().is_empty())
        .unwrap_or_else(|| "demo-clinic".to_owned())
}

/// Who is signed in (after the second factor), as the pages need it. No key, no PHI
/// beyond the account's own name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The account id.
    pub user_id: String,
    /// `patient`, `receptionist`, `provider` or `admin`.
    pub role: String,
    /// The name to greet.
    pub name: String,
}

/// The app's shared state, provided as context. Only plain values: keys and the API client
/// live in [`session`].
#[derive(Clone, Copy)]
pub struct Portal {
    /// The route the address bar asks for (the page shown also depends on the session).
    pub route: RwSignal<Route>,
    /// The signed-in account, once both factors are done.
    pub account: RwSignal<Option<Account>>,
    /// Whether the current Notice of Privacy Practices is acknowledged.
    pub npp_ok: RwSignal<bool>,
    /// A message for the sign-in page (why the session ended).
    pub notice: RwSignal<Option<String>>,
    /// The idle warning's deadline (wall-clock ms) while it is shown.
    pub warning: RwSignal<Option<u64>>,
}

thread_local! {
    /// The app's state, for code that runs outside the reactive owner (the tasks
    /// `spawn_local` runs have none, so `use_context` finds nothing there).
    static PORTAL: std::cell::Cell<Option<Portal>> = const { std::cell::Cell::new(None) };
}

/// Keeps the app's state for [`portal`] (the app lives as long as the page).
pub fn keep_portal(state: Portal) {
    PORTAL.with(|p| p.set(Some(state)));
}

/// The portal's state: from the context in a component, from the app otherwise (an async
/// task).
///
/// # Panics
/// Before the app is mounted: a programming error.
#[must_use]
#[allow(clippy::expect_used, reason = "App keeps its state before any component or task runs")]
pub fn portal() -> Portal {
    use_context::<Portal>().or_else(|| PORTAL.with(std::cell::Cell::get)).expect("the app is mounted")
}

/// Mounts the app into `<body>`, replacing the loading message.
pub fn mount() {
    if let Some(boot) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("boot")) {
        boot.remove();
    }
    leptos::mount::mount_to_body(routes::App);
}

/// Lets the browser paint (a progress message, say) before wasm blocks the main thread with
/// Argon2id or a run of decryptions.
pub async fn paint() {
    wait_ms(30).await;
}

/// Gives the event loop back for at least `ms` milliseconds (0: just one turn, which lets
/// the browser render and handle input between two slices of work).
pub async fn wait_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// The value of an `<input>` by node reference (empty if it is not mounted).
#[must_use]
pub fn input_value(node: NodeRef<leptos::html::Input>) -> String {
    node.get_untracked().map(|i| i.value()).unwrap_or_default()
}

/// Clears an `<input>` (a password, once it has been used).
pub fn clear_input(node: NodeRef<leptos::html::Input>) {
    if let Some(input) = node.get_untracked() {
        input.set_value("");
    }
}
