//! The app shell and its routes. Routes live in the URL's fragment (`#/bookings`), so any
//! route can be reloaded from the static server and nothing about the patient is ever in a
//! path or query: the fragment names a page, never a record.

pub mod access_log;
pub mod bookings;
pub mod manage;
pub mod notice;
pub mod register;
pub mod sign_in;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

use crate::idle::IdleWarning;
use crate::{Portal, portal, session};

/// A page of the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Sign in (the default when signed out).
    SignIn,
    /// Create an account.
    Register,
    /// The Notice of Privacy Practices (shown whenever it needs acknowledging).
    Notice,
    /// My bookings (the default when signed in).
    Bookings,
    /// Who accessed my records.
    AccessLog,
}

impl Route {
    /// The fragment naming this route.
    #[must_use]
    pub fn fragment(self) -> &'static str {
        match self {
            Self::SignIn => "#/sign-in",
            Self::Register => "#/register",
            Self::Notice => "#/notice",
            Self::Bookings => "#/bookings",
            Self::AccessLog => "#/access-log",
        }
    }

    /// The route a fragment names; `None` for fragments that are not routes (`#main`).
    #[must_use]
    pub fn from_fragment(fragment: &str) -> Option<Self> {
        Some(match fragment {
            "" | "#" | "#/" | "#/sign-in" => Self::SignIn,
            "#/register" => Self::Register,
            "#/notice" => Self::Notice,
            "#/bookings" => Self::Bookings,
            "#/access-log" => Self::AccessLog,
            _ => return None,
        })
    }

    fn title(self) -> &'static str {
        match self {
            Self::SignIn => "Sign in",
            Self::Register => "Create your account",
            Self::Notice => "Notice of Privacy Practices",
            Self::Bookings => "My bookings",
            Self::AccessLog => "Who accessed my records",
        }
    }
}

fn current_fragment() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

/// Points the address bar at `route` (the `hashchange` listener updates the page).
pub fn navigate(route: Route) {
    if let Some(window) = web_sys::window()
        && current_fragment() != route.fragment()
    {
        let _ = window.location().set_hash(route.fragment());
    }
}

/// The page actually shown: the route asked for, as far as the session allows.
fn effective(route: Route, signed_in: bool, patient: bool, npp_ok: bool) -> Route {
    match (signed_in, route) {
        (false, Route::Register) => Route::Register,
        (false, _) => Route::SignIn,
        (true, _) if !patient => Route::Bookings,
        (true, _) if !npp_ok => Route::Notice,
        (true, Route::AccessLog) => Route::AccessLog,
        (true, _) => Route::Bookings,
    }
}

/// Moves focus to the page's heading after a page change, so screen readers announce it and
/// keyboard users start at the top of the new page.
fn focus_heading() {
    let focus = Closure::once_into_js(|| {
        if let Some(h1) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("page-title"))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = h1.focus();
        }
    });
    if let Some(window) = web_sys::window() {
        let _ = window.request_animation_frame(focus.unchecked_ref());
    }
}

/// The whole app: header with navigation, the current page, the idle warning.
#[component]
pub fn App() -> impl IntoView {
    let state = Portal {
        route: RwSignal::new(Route::from_fragment(&current_fragment()).unwrap_or(Route::SignIn)),
        account: RwSignal::new(None),
        npp_ok: RwSignal::new(false),
        notice: RwSignal::new(None),
        warning: RwSignal::new(None),
    };
    provide_context(state);

    // The fragment drives the route; fragments that are not routes (none are linked) are
    // ignored. The listener lives as long as the page.
    let on_hash = Closure::<dyn FnMut()>::new(move || {
        if let Some(route) = Route::from_fragment(&current_fragment()) {
            state.route.set(route);
        }
    });
    if let Some(window) = web_sys::window() {
        let _ = window.add_event_listener_with_callback("hashchange", on_hash.as_ref().unchecked_ref());
    }
    on_hash.forget();

    let page = Memo::new(move |_| {
        let account = state.account.get();
        let patient = account.as_ref().is_some_and(|a| a.role == "patient");
        effective(state.route.get(), account.is_some(), patient, state.npp_ok.get())
    });
    Effect::new(move |previous: Option<Route>| {
        let now = page.get();
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            document.set_title(&format!("{} · Bizing patient portal", now.title()));
        }
        if previous.is_some_and(|p| p != now) {
            focus_heading();
        }
        now
    });

    let skip = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        if let Some(main) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("main"))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = main.focus();
        }
    };

    view! {
        <a class="skip-link" href="#main" on:click=skip>"Skip to main content"</a>
        <header class="site-header">
            <div class="brand">
                <span class="brand-mark" aria-hidden="true">"B"</span>
                <span class="brand-name">"Bizing patient portal"</span>
            </div>
            <Nav page=page />
        </header>
        <main id="main" tabindex="-1">
            {move || match page.get() {
                Route::SignIn => view! { <sign_in::SignIn /> }.into_any(),
                Route::Register => view! { <register::Register /> }.into_any(),
                Route::Notice => view! { <notice::Notice /> }.into_any(),
                Route::Bookings => {
                    let patient = portal().account.get_untracked().is_some_and(|a| a.role == "patient");
                    if patient {
                        view! { <bookings::Bookings /> }.into_any()
                    } else {
                        view! { <StaffPlaceholder /> }.into_any()
                    }
                }
                Route::AccessLog => view! { <access_log::AccessLog /> }.into_any(),
            }}
        </main>
        <footer class="site-footer">
            <p>
                "Your notes are encrypted on this device before they are sent, and opened only here. "
                "Nothing about you is stored in this browser."
            </p>
        </footer>
        <IdleWarning />
    }
}

/// The signed-in navigation.
#[component]
fn Nav(
    /// The page shown, to mark the current link.
    page: Memo<Route>,
) -> impl IntoView {
    let state = portal();
    let sign_out = move |_| {
        session::end(state, "You signed out. Sign in again to see your bookings.", true);
    };
    let link = move |route: Route, label: &'static str| {
        view! {
            <li>
                <a
                    href=route.fragment()
                    aria-current=move || (page.get() == route).then_some("page")
                >
                    {label}
                </a>
            </li>
        }
    };
    view! {
        <Show when=move || state.account.get().is_some()>
            <nav class="site-nav" aria-label="Portal">
                <ul>
                    <Show when=move || state.npp_ok.get()>
                        {link(Route::Bookings, "My bookings")}
                        {link(Route::AccessLog, "Who accessed my records")}
                    </Show>
                    <li>
                        <button type="button" class="button-secondary" on:click=sign_out>
                            "Sign out"
                        </button>
                    </li>
                </ul>
            </nav>
        </Show>
    }
}

/// What staff see for now: the staff console is a later step.
#[component]
fn StaffPlaceholder() -> impl IntoView {
    let name = move || portal().account.get().map(|a| a.name).unwrap_or_default();
    view! {
        <section class="card" aria-labelledby="page-title">
            <h1 id="page-title" tabindex="-1">"Signed in"</h1>
            <p>"Hello, " {name} ". The staff console is not part of the portal yet: use the API for now."</p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_round_trip() {
        for route in [Route::SignIn, Route::Register, Route::Notice, Route::Bookings, Route::AccessLog] {
            assert_eq!(Route::from_fragment(route.fragment()), Some(route));
        }
        assert_eq!(Route::from_fragment("#main"), None);
        assert_eq!(Route::from_fragment(""), Some(Route::SignIn));
    }

    #[test]
    fn the_session_decides_the_page() {
        assert_eq!(effective(Route::Bookings, false, false, false), Route::SignIn);
        assert_eq!(effective(Route::Register, false, false, false), Route::Register);
        assert_eq!(effective(Route::AccessLog, true, true, false), Route::Notice);
        assert_eq!(effective(Route::AccessLog, true, true, true), Route::AccessLog);
        assert_eq!(effective(Route::SignIn, true, true, true), Route::Bookings);
    }
}
