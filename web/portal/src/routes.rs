//! The app shell and its routes. Routes live in the URL's fragment (`#/bookings`), so any
//! route can be reloaded from the static server and nothing about the patient is ever in a
//! path or query: the fragment names a page, never a record.

pub mod access_log;
pub mod admin;
pub mod bookings;
pub mod lazy;
pub mod manage;
pub mod notice;
pub mod preferences;
pub mod register;
pub mod sign_in;
pub mod staff;
pub mod step_up;
pub mod widget_link;

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
    /// Privacy preferences: confidential communications and restriction requests.
    Preferences,
    /// Join the clinic's staff with an invitation code.
    Join,
    /// The staff schedule (the default for staff).
    Schedule,
    /// Clinic administration (admins).
    Admin,
    /// Links the patient's account to the booking widget that opened this window.
    WidgetLink,
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
            Self::Preferences => "#/preferences",
            Self::Join => "#/join",
            Self::Schedule => "#/schedule",
            Self::Admin => "#/admin",
            Self::WidgetLink => "#/widget-link",
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
            "#/preferences" => Self::Preferences,
            "#/join" => Self::Join,
            "#/schedule" => Self::Schedule,
            "#/admin" => Self::Admin,
            "#/widget-link" => Self::WidgetLink,
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
            Self::Preferences => "Privacy preferences",
            Self::Join => "Join your clinic's staff",
            Self::Schedule => "Schedule",
            Self::Admin => "Clinic administration",
            Self::WidgetLink => "Use your account in the booking form",
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

/// The page actually shown: the route asked for, as far as the session allows. `role` is the
/// signed-in account's role (`None` when signed out).
fn effective(route: Route, role: Option<&str>, npp_ok: bool) -> Route {
    match (role, route) {
        (None, Route::Register | Route::Join) => route,
        (None, _) => Route::SignIn,
        (Some("patient"), _) if !npp_ok => Route::Notice,
        (Some("patient"), Route::AccessLog | Route::Preferences | Route::WidgetLink) => route,
        (Some("patient"), _) => Route::Bookings,
        (Some("admin"), Route::Admin) => Route::Admin,
        (Some(_), _) => Route::Schedule,
    }
}

/// Where a patient goes once signed in with the notice acknowledged: the booking widget's
/// link page if that is what the address asks for (the widget opened this window), else
/// their bookings.
#[must_use]
pub fn patient_home(state: Portal) -> Route {
    if state.route.get_untracked() == Route::WidgetLink || WIDGET_LINK_ASKED.with(std::cell::Cell::get) {
        Route::WidgetLink
    } else {
        Route::Bookings
    }
}

thread_local! {
    /// Whether this window was opened at the widget-link page (the sign-in and the notice
    /// that come first change the address; the link page is still where the patient goes).
    static WIDGET_LINK_ASKED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Whether this page is signed in only to link the booking widget: it found the patient's
    /// session (the cookie of another portal tab) without their keys, so it shows the link
    /// page (or the notice) and nothing that needs a key.
    static LINK_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Ends link-only mode (the session ended).
pub fn end_link_only() {
    LINK_ONLY.with(|l| l.set(false));
}

/// The page shown in link-only mode: the link page, once the notice is acknowledged.
fn link_only(page: Route) -> Route {
    if LINK_ONLY.with(std::cell::Cell::get) && page != Route::Notice && page != Route::SignIn {
        Route::WidgetLink
    } else {
        page
    }
}

/// A window opened at the widget-link page while the patient is already signed in to the
/// portal in another tab (the session cookie is there, with its second factor): it links the
/// widget to that session, after the patient confirms, without asking for the password and a
/// code again. The keys are not needed for that, and this page never has them.
async fn resume_for_link(state: Portal) {
    let client = session::client();
    let Ok(me) = client.me().await else { return };
    if me.role != "patient" || state.account.get_untracked().is_some() {
        return;
    }
    let Ok(status) = client.npp_status().await else { return };
    LINK_ONLY.with(|l| l.set(true));
    let account = crate::Account { user_id: me.user_id, role: me.role, name: me.name };
    session::signed_in(state, account, !status.needs_acknowledgment);
}

/// Moves focus to the page's heading after a page change, so screen readers announce it and
/// keyboard users start at the top of the new page.
pub(crate) fn focus_heading() {
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
    crate::keep_portal(state);

    // The fragment drives the route; fragments that are not routes (none are linked) are
    // ignored. The listener lives as long as the page.
    if state.route.get_untracked() == Route::WidgetLink {
        WIDGET_LINK_ASKED.with(|asked| asked.set(true));
        leptos::task::spawn_local(resume_for_link(state));
    }
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
        link_only(effective(state.route.get(), account.as_ref().map(|a| a.role.as_str()), state.npp_ok.get()))
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
                Route::Join => view! { <register::Register staff=true /> }.into_any(),
                Route::Bookings => view! { <bookings::Bookings /> }.into_any(),
                // Chunks of their own, loaded with their first page (see `lazy`).
                Route::AccessLog => view! { <lazy::Lazy page=lazy::LazyPage::AccessLog /> }.into_any(),
                Route::Preferences => view! { <lazy::Lazy page=lazy::LazyPage::Preferences /> }.into_any(),
                Route::Schedule => view! { <lazy::Lazy page=lazy::LazyPage::Schedule /> }.into_any(),
                Route::Admin => view! { <lazy::Lazy page=lazy::LazyPage::Admin /> }.into_any(),
                Route::WidgetLink => view! { <widget_link::WidgetLink /> }.into_any(),
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
                    {move || match state.account.get().map(|a| a.role) {
                        Some(role) if role == "patient" => state.npp_ok.get().then(|| view! {
                            {link(Route::Bookings, "My bookings")}
                            {link(Route::AccessLog, "Who accessed my records")}
                            {link(Route::Preferences, "Privacy preferences")}
                        }.into_any()),
                        Some(role) => Some(view! {
                            {link(Route::Schedule, if role == "provider" { "My schedule" } else { "Schedule" })}
                            {(role == "admin").then(|| link(Route::Admin, "Administration"))}
                        }.into_any()),
                        None => None,
                    }}
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_round_trip() {
        for route in [
            Route::SignIn,
            Route::Register,
            Route::Notice,
            Route::Bookings,
            Route::AccessLog,
            Route::Preferences,
            Route::Join,
            Route::Schedule,
            Route::Admin,
            Route::WidgetLink,
        ] {
            assert_eq!(Route::from_fragment(route.fragment()), Some(route));
        }
        assert_eq!(Route::from_fragment("#main"), None);
        assert_eq!(Route::from_fragment(""), Some(Route::SignIn));
    }

    #[test]
    fn the_session_decides_the_page() {
        assert_eq!(effective(Route::Bookings, None, false), Route::SignIn);
        assert_eq!(effective(Route::Admin, None, false), Route::SignIn);
        assert_eq!(effective(Route::Register, None, false), Route::Register);
        assert_eq!(effective(Route::Join, None, false), Route::Join);
        assert_eq!(effective(Route::AccessLog, Some("patient"), false), Route::Notice);
        assert_eq!(effective(Route::AccessLog, Some("patient"), true), Route::AccessLog);
        assert_eq!(effective(Route::Preferences, Some("patient"), true), Route::Preferences);
        assert_eq!(effective(Route::SignIn, Some("patient"), true), Route::Bookings);
        // A patient never reaches the staff pages, staff never the patient's.
        assert_eq!(effective(Route::Schedule, Some("patient"), true), Route::Bookings);
        assert_eq!(effective(Route::Admin, Some("patient"), true), Route::Bookings);
        assert_eq!(effective(Route::Bookings, Some("receptionist"), true), Route::Schedule);
        assert_eq!(effective(Route::Admin, Some("receptionist"), true), Route::Schedule);
        assert_eq!(effective(Route::Admin, Some("provider"), true), Route::Schedule);
        assert_eq!(effective(Route::Admin, Some("admin"), true), Route::Admin);
        assert_eq!(effective(Route::AccessLog, Some("admin"), true), Route::Schedule);
        // The widget link: after sign-in and the notice, for patients only.
        assert_eq!(effective(Route::WidgetLink, None, false), Route::SignIn);
        assert_eq!(effective(Route::WidgetLink, Some("patient"), false), Route::Notice);
        assert_eq!(effective(Route::WidgetLink, Some("patient"), true), Route::WidgetLink);
        assert_eq!(effective(Route::WidgetLink, Some("provider"), true), Route::Schedule);
    }
}
