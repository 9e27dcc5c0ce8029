#![doc = include_str!("../README.md")]
// Denied, not forbidden: `later` allows the code its split point generates.
#![deny(unsafe_code)]
#![deny(missing_docs)]

pub mod account;
pub mod host;
pub mod later;
pub mod seal;
pub mod steps;

use std::cell::RefCell;

use bizing_core::api::{NppNotice, Provider, Service, Slot};
use bizing_core::{IdleOutput, TimeoutReason};
use bizing_sdk::{BookingClient, IdleTimer};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

/// The steps of a booking, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Which service.
    Service,
    /// With whom (or anyone).
    Provider,
    /// When.
    Time,
    /// Who is booking.
    Details,
    /// A note for the clinic, sealed here.
    Note,
    /// The Notice of Privacy Practices.
    Notice,
    /// Check and book.
    Review,
    /// Booked.
    Done,
}

impl Step {
    /// The steps a patient goes through (all but [`Step::Done`]).
    pub const FLOW: [Self; 7] =
        [Self::Service, Self::Provider, Self::Time, Self::Details, Self::Note, Self::Notice, Self::Review];

    /// The step's heading.
    #[must_use]
    pub const fn title(self) -> &'static str {
        match self {
            Self::Service => "Choose a service",
            Self::Provider => "Choose a provider",
            Self::Time => "Choose a time",
            Self::Details => "Your details",
            Self::Note => "A note for the clinic",
            Self::Notice => "Notice of Privacy Practices",
            Self::Review => "Check and book",
            Self::Done => "You are booked",
        }
    }

    /// 1-based position in [`Step::FLOW`] (the last for [`Step::Done`]).
    #[must_use]
    pub fn number(self) -> usize {
        Self::FLOW.iter().position(|s| *s == self).map_or(Self::FLOW.len(), |i| i + 1)
    }

    /// The step before this one, if there is one to go back to.
    #[must_use]
    pub fn back(self) -> Option<Self> {
        let i = Self::FLOW.iter().position(|s| *s == self)?;
        i.checked_sub(1).map(|i| Self::FLOW[i])
    }
}

/// What was booked, for the confirmation (the widget's own copy; the host gets only the id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booked {
    /// The booking's id.
    pub id: String,
    /// The slot's start (RFC 3339, clinic offset).
    pub start: String,
    /// The service's name.
    pub service: String,
    /// The provider's name.
    pub provider: String,
}

/// The widget's state, provided as context: what the clinic offers and what the patient
/// chose. The patient's details and note live only here, in this frame's memory, and are
/// cleared once booked or after the idle timeout.
#[derive(Clone, Copy)]
pub struct Flow {
    /// The step shown.
    pub step: RwSignal<Step>,
    /// The clinic's services, once loaded.
    pub services: RwSignal<Option<Vec<Service>>>,
    /// The clinic's providers, once loaded.
    pub providers: RwSignal<Option<Vec<Provider>>>,
    /// The chosen service.
    pub service: RwSignal<Option<Service>>,
    /// The chosen provider; `None` is "anyone".
    pub provider: RwSignal<Option<Provider>>,
    /// The chosen slot.
    pub slot: RwSignal<Option<Slot>>,
    /// The patient's name.
    pub name: RwSignal<String>,
    /// The patient's email.
    pub email: RwSignal<String>,
    /// The patient's phone (optional).
    pub phone: RwSignal<String>,
    /// The note, in clear until it is sealed at booking.
    pub note: RwSignal<String>,
    /// The service the host page asked for (id or name), applied once services load.
    pub wanted_service: RwSignal<Option<String>>,
    /// The current notice, once loaded.
    pub notice: RwSignal<Option<NppNotice>>,
    /// Whether the patient ticked "I have read the notice".
    pub acknowledged: RwSignal<bool>,
    /// The booking made.
    pub booked: RwSignal<Option<Booked>>,
    /// Why the form was emptied (the idle timeout), shown on the first step.
    pub cleared: RwSignal<Option<String>>,
    /// A failure to load what the clinic offers.
    pub load_error: RwSignal<Option<String>>,
    /// The patient signed in through the portal, if any (else a guest booking).
    pub account: RwSignal<Option<account::Account>>,
    /// Where signing in stands, or why the widget signed out.
    pub account_status: RwSignal<Option<&'static str>>,
}

impl Flow {
    fn new() -> Self {
        Self {
            step: RwSignal::new(Step::Service),
            services: RwSignal::new(None),
            providers: RwSignal::new(None),
            service: RwSignal::new(None),
            provider: RwSignal::new(None),
            slot: RwSignal::new(None),
            name: RwSignal::new(String::new()),
            email: RwSignal::new(String::new()),
            phone: RwSignal::new(String::new()),
            note: RwSignal::new(String::new()),
            wanted_service: RwSignal::new(None),
            notice: RwSignal::new(None),
            acknowledged: RwSignal::new(false),
            booked: RwSignal::new(None),
            cleared: RwSignal::new(None),
            load_error: RwSignal::new(None),
            account: RwSignal::new(None),
            account_status: RwSignal::new(None),
        }
    }

    /// Forgets everything the patient entered and chose, and starts again (still signed in,
    /// if they were).
    pub fn reset(&self) {
        let account = self.account.get_untracked();
        self.name.set(account.as_ref().map(|a| a.name.clone()).unwrap_or_default());
        self.email.set(account.map(|a| a.email).unwrap_or_default());
        self.phone.set(String::new());
        self.note.set(String::new());
        self.service.set(None);
        self.provider.set(None);
        self.slot.set(None);
        self.acknowledged.set(false);
        self.booked.set(None);
        self.step.set(Step::Service);
    }

    /// Goes to `step` and moves focus to its heading (for screen readers and keyboards).
    pub fn go(&self, step: Step) {
        self.step.set(step);
        focus_heading();
    }

    /// Applies what the host page offered, without overwriting what the patient typed.
    fn prefill(&self, prefill: host::Prefill) {
        let offer = |signal: RwSignal<String>, value: Option<String>| {
            if let Some(value) = value.filter(|_| signal.get_untracked().is_empty()) {
                signal.set(value);
            }
        };
        offer(self.name, prefill.name);
        offer(self.email, prefill.email);
        offer(self.phone, prefill.phone);
        if let Some(service) = prefill.service {
            self.wanted_service.set(Some(service));
            self.choose_wanted_service();
        }
    }

    /// Selects the service the host page asked for, once the services are loaded, if the
    /// patient is still on the first step.
    fn choose_wanted_service(&self) {
        let (Some(wanted), Some(services)) = (self.wanted_service.get_untracked(), self.services.get_untracked())
        else {
            return;
        };
        let found = services.into_iter().find(|s| s.id == wanted || s.name.eq_ignore_ascii_case(&wanted));
        if let Some(service) = found.filter(|_| self.step.get_untracked() == Step::Service) {
            self.service.set(Some(service));
        }
        self.wanted_service.set(None);
    }
}

/// The clinic whose widget this is: the frame's `?clinic=ID` (the loader puts it there).
#[must_use]
pub fn clinic_id() -> String {
    query_param("clinic").unwrap_or_default()
}

/// A query parameter of the frame's address.
#[must_use]
pub fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    search.trim_start_matches('?').split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| js_sys::decode_uri_component(value).ok().and_then(|v| v.as_string())).flatten()
    })
}

thread_local! {
    static CLIENT: RefCell<Option<BookingClient>> = const { RefCell::new(None) };
    static TIMER: RefCell<Option<IdleTimer>> = const { RefCell::new(None) };
}

/// The API client (same origin as this frame; one per page).
#[must_use]
#[allow(clippy::expect_used, reason = "an empty base URL is valid in a browser page")]
pub fn client() -> BookingClient {
    CLIENT.with(|c| c.borrow_mut().get_or_insert_with(|| BookingClient::new("").expect("same-origin client")).clone())
}

/// Moves focus to the current step's heading once it is drawn.
pub fn focus_heading() {
    leptos::task::spawn_local(async {
        wait_ms(0).await;
        let heading = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("step-title"))
            .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok());
        if let Some(heading) = heading {
            let _ = heading.focus();
        }
    });
}

/// Gives the event loop back for at least `ms` milliseconds.
pub async fn wait_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// The idle timeout: the portal's (15 minutes), or shorter when the frame's address asks for
/// it with `idle=MS` (the end-to-end tests do). Only ever shorter.
fn idle_config() -> bizing_core::IdleConfig {
    let timeout = bizing_core::idle::DEFAULT_TIMEOUT_MS;
    let requested = query_param("idle").and_then(|v| v.parse::<u64>().ok()).filter(|ms| *ms >= 2_000);
    let timeout = requested.map_or(timeout, |ms| ms.min(timeout));
    let warn = bizing_core::idle::DEFAULT_WARN_BEFORE_MS.min(timeout / 2);
    bizing_core::IdleConfig::new(timeout, warn).unwrap_or_default()
}

/// Starts the idle timer: activity here also reaches the portal's timer in other tabs of
/// this origin (the SDK's `BroadcastChannel`), and after the timeout, or when the patient
/// signs out of the portal, the form is emptied so nothing entered stays on a shared screen.
fn start_idle_timer(flow: Flow) {
    let callback = std::rc::Rc::new(move |output: IdleOutput| {
        if let IdleOutput::TimeOut { reason } = output {
            if flow.account.get_untracked().is_some() {
                account::sign_out(
                    flow,
                    Some(if reason == TimeoutReason::Idle {
                        "You were signed out of the booking form after a while without use."
                    } else {
                        "You were signed out in another tab."
                    }),
                );
            }
            let touched = !flow.name.get_untracked().is_empty()
                || !flow.email.get_untracked().is_empty()
                || !flow.note.get_untracked().is_empty();
            if touched && flow.step.get_untracked() != Step::Done {
                flow.reset();
                flow.cleared.set(Some(
                    if reason == TimeoutReason::Idle {
                        "The form was emptied because it was not used for a while. Start again when you are ready."
                    } else {
                        "The form was emptied because you signed out in another tab."
                    }
                    .to_owned(),
                ));
            }
            // A new timer for the next visitor of this page.
            leptos::task::spawn_local(async move { start_idle_timer(flow) });
        }
    });
    let config = idle_config();
    let timer = IdleTimer::start(config, bizing_sdk::idle_timer::DEFAULT_CHANNEL, callback).ok();
    TIMER.with(|t| {
        if let Some(old) = t.replace(timer) {
            old.stop();
        }
    });
}

/// While signed in, reports activity to the server at most every `every_ms` (a quarter of
/// the idle timeout, at most 30 s): the idle timer's deadline moves with activity, so a moved
/// deadline since the last tick means the patient used the widget.
fn watch_activity(flow: Flow) {
    let timeout = idle_config().timeout_ms();
    let every_ms = (timeout / 4).min(30_000);
    let last = std::rc::Rc::new(std::cell::Cell::new(0_u64));
    let tick = Closure::<dyn FnMut()>::new(move || {
        let deadline = TIMER.with(|t| t.borrow().as_ref().and_then(IdleTimer::deadline_ms)).unwrap_or_default();
        let active = deadline != last.get();
        last.set(deadline);
        account::report_activity(flow, active);
    });
    if let Some(window) = web_sys::window() {
        let every = i32::try_from(every_ms).unwrap_or(30_000);
        let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(tick.as_ref().unchecked_ref(), every);
    }
    // The ticker lives as long as the page.
    tick.forget();
}

/// Loads what the clinic offers (services, providers, notice); tells the host page the
/// widget is ready once the first step can be used.
fn load(flow: Flow) {
    leptos::task::spawn_local(async move {
        let client = client();
        let clinic = clinic_id();
        if clinic.is_empty() {
            flow.load_error
                .set(Some("This booking page does not name a clinic. The clinic's website needs fixing.".into()));
            host::send(host::ToHost::Failed { problem: "no-clinic" });
            return;
        }
        let services = client.services(&clinic).await;
        let providers = client.providers(&clinic).await;
        match (services, providers) {
            (Ok(services), Ok(providers)) => {
                flow.providers.set(Some(providers.providers));
                flow.services.set(Some(services.services));
                flow.choose_wanted_service();
                // `ready` once the first step is drawn: Leptos updates the page in a microtask,
                // and the host may move focus into the frame as soon as it hears.
                wait_ms(0).await;
                host::send(host::ToHost::Ready);
            }
            (Err(e), _) | (_, Err(e)) => {
                flow.load_error.set(Some(steps::message(&e)));
                host::send(host::ToHost::Failed { problem: &steps::problem(&e) });
            }
        }
    });
}

/// Mounts the widget into `<body>`, replacing the loading message.
pub fn mount() {
    if let Some(boot) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("boot")) {
        boot.remove();
    }
    leptos::mount::mount_to_body(App);
}

/// The widget.
#[component]
pub fn App() -> impl IntoView {
    let flow = Flow::new();
    provide_context(flow);
    host::on_prefill(move |prefill| flow.prefill(prefill));
    start_idle_timer(flow);
    watch_activity(flow);
    load(flow);
    let popup = query_param("mode").as_deref() == Some("popup");
    let on_key = move |ev: web_sys::KeyboardEvent| {
        if popup && ev.key() == "Escape" {
            host::send(host::ToHost::CloseRequest);
        }
    };
    view! {
        <main class="widget" on:keydown=on_key>
            <steps::Progress />
            {move || flow.load_error.get().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
            {move || match flow.step.get() {
                Step::Service => view! { <steps::ChooseService /> }.into_any(),
                Step::Provider => view! { <steps::ChooseProvider /> }.into_any(),
                Step::Time => view! { <steps::ChooseTime /> }.into_any(),
                // The later steps are a chunk of their own (see `later`).
                step => view! { <later::Later step=step /> }.into_any(),
            }}
        </main>
    }
}
