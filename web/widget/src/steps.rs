//! The booking steps: service, provider, time, details, note, notice, review, done.
//!
//! Each step is a form whose "Continue" is its submit button, so Enter works everywhere and
//! the whole flow can be done from the keyboard. Moving to a step moves focus to its heading.

use bizing_core::api::{
    AcknowledgeNpp, CreateBookingRequest, CreateGuestBookingRequest, GuestDetails, GuestDetailsError, Slot, SlotsQuery,
};
use bizing_core::phi::{self, PhiKind};
use bizing_sdk::{BookingClient, ClientError};
use bizing_web_ui::format;
use leptos::prelude::*;

use crate::{Booked, Flow, Step, account, client, clinic_id, host, seal};

/// How many days of free times the widget asks for.
const SLOT_DAYS: u32 = 14;
/// How many days of free times are shown before "Show more days".
const DAYS_SHOWN: usize = 4;
/// The longest note, in characters (the envelope's limit is far above it).
const MAX_NOTE_CHARS: usize = 4_000;

/// What to tell the patient when a call fails, with what to do next.
#[must_use]
pub fn message(error: &ClientError) -> String {
    if let ClientError::Network(_) = error {
        return "The booking service cannot be reached. Check your connection, then try again.".into();
    }
    let text = match error.problem().and_then(|p| p.slug()) {
        Some("slot-taken") => "Someone has just taken that time. Choose another time.",
        Some("npp-outdated") => "The clinic has just changed its privacy notice. Read the new notice to continue.",
        Some("rate-limited") => {
            "Too many bookings were made from this network just now. Wait a minute, then try again."
        }
        Some("not-found") => "This clinic's booking page is not available. Call the clinic to book.",
        Some("in-the-past" | "outside-schedule" | "invalid-start") => {
            "That time is no longer available. Choose another time."
        }
        Some("no-npp") => {
            "This clinic has not published its privacy notice yet, so it cannot take bookings online. Call the clinic."
        }
        Some("no-clinic-key") => "This clinic cannot receive notes yet. Book without a note, or call the clinic.",
        Some("wrong-recipients" | "invalid-note") => {
            "Your note could not be sent safely. Reload the page and try again."
        }
        Some("unknown-provider" | "unknown-service") => "That choice is no longer offered. Start again.",
        Some("invalid-guest") => "Some of your details were not accepted. Check your name, email and phone.",
        Some("session-expired" | "not-signed-in") => "You were signed out. Sign in again, or book as a guest.",
        _ => "Something went wrong while booking. Try again; if it keeps failing, call the clinic.",
    };
    text.to_owned()
}

/// The problem type for the host page's `failed` event: the API's slug, `network`, or
/// `client` (something in this frame). Never a message, which could carry PHI.
#[must_use]
pub fn problem(error: &ClientError) -> String {
    match error {
        ClientError::Network(_) => "network".into(),
        _ => error.problem().and_then(|p| p.slug()).map_or_else(|| "client".to_owned(), str::to_owned),
    }
}

/// "Step 3 of 7".
#[component]
pub fn Progress() -> impl IntoView {
    let flow = expect_context::<Flow>();
    view! {
        {move || {
            let step = flow.step.get();
            (step != Step::Done)
                .then(|| view! { <p class="progress">{format!("Step {} of {}", step.number(), Step::FLOW.len())}</p> })
        }}
    }
}

/// The step's heading, focused when the step is shown.
#[component]
fn Heading(step: Step) -> impl IntoView {
    view! { <h2 id="step-title" tabindex="-1">{step.title()}</h2> }
}

/// "Back", for every step that has one.
#[component]
fn Back(step: Step) -> impl IntoView {
    let flow = expect_context::<Flow>();
    step.back().map(|previous| {
        view! {
            <button type="button" class="button-secondary" on:click=move |_| flow.go(previous)>"Back"</button>
        }
    })
}

/// One choice of a radio group: the input, checked while `checked` says so, and its label.
#[component]
fn Radio(
    /// The group's `name`.
    group: &'static str,
    /// The input's id (its label points at it).
    id: String,
    /// Whether this is the group's choice.
    checked: Signal<bool>,
    /// What choosing it does (one type for every group, so one copy of the component).
    #[prop(into)]
    choose: Callback<()>,
    /// The label.
    children: Children,
) -> impl IntoView {
    view! {
        <input type="radio" name=group id=id.clone() prop:checked=move || checked.get() on:change=move |_| choose.run(()) />
        <label for=id>{children()}</label>
    }
}

/// Runs `f` on submit, without the browser's own submission.
fn on_submit(f: impl Fn() + 'static) -> impl Fn(leptos::ev::SubmitEvent) + 'static {
    move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        f();
    }
}

/// Step 1: the service.
#[component]
pub fn ChooseService() -> impl IntoView {
    let flow = expect_context::<Flow>();
    let error = RwSignal::new(None::<&'static str>);
    let next = move || {
        if flow.service.get_untracked().is_some() {
            flow.go(Step::Provider);
        } else {
            error.set(Some("Choose a service."));
        }
    };
    view! {
        <form class="step" aria-labelledby="step-title" on:submit=on_submit(next) novalidate>
            <Heading step=Step::Service />
            {move || flow.cleared.get().map(|c| view! { <p class="notice" role="status">{c}</p> })}
            {move || match flow.services.get() {
                None => (flow.load_error.get().is_none())
                    .then(|| view! { <p role="status">"Loading the clinic's services…"</p> })
                    .into_any(),
                Some(services) if services.is_empty() => {
                    view! { <p>"This clinic does not take bookings online at the moment. Call the clinic."</p> }
                        .into_any()
                }
                Some(services) => view! {
                    <fieldset aria-describedby="service-error">
                        <legend class="visually-hidden">"Services"</legend>
                        {services.into_iter().map(|s| {
                            let id = format!("service-{}", s.id);
                            let checked_id = s.id.clone();
                            let chosen = s.clone();
                            view! {
                                <div class="choice">
                                    <Radio
                                        group="service"
                                        id
                                        checked=Signal::derive(move || flow.service.get().is_some_and(|c| c.id == checked_id))
                                        choose=move |()| {
                                            error.set(None);
                                            if flow.service.get_untracked().as_ref() != Some(&chosen) {
                                                flow.provider.set(None);
                                                flow.slot.set(None);
                                            }
                                            flow.service.set(Some(chosen.clone()));
                                        }
                                    >
                                        {s.name.clone()}
                                        <span class="hint">{format!(" · {} min", s.duration_minutes)}</span>
                                    </Radio>
                                </div>
                            }
                        }).collect_view()}
                    </fieldset>
                }.into_any(),
            }}
            <p id="service-error" class="field-error" role="alert">{move || error.get()}</p>
            <div class="actions">
                <button type="submit" class="button-primary" disabled=move || flow.services.get().is_none()>"Continue"</button>
            </div>
        </form>
    }
}

/// Step 2: the provider, or anyone.
#[component]
pub fn ChooseProvider() -> impl IntoView {
    let flow = expect_context::<Flow>();
    let providers = flow.providers.get_untracked().unwrap_or_default();
    let next = move || flow.go(Step::Time);
    let any_checked = move || flow.provider.get().is_none();
    view! {
        <form class="step" aria-labelledby="step-title" on:submit=on_submit(next) novalidate>
            <Heading step=Step::Provider />
            <fieldset>
                <legend class="visually-hidden">"Providers"</legend>
                <div class="choice">
                    <Radio
                        group="provider"
                        id="provider-any".to_owned()
                        checked=Signal::derive(any_checked)
                        choose=move |()| {
                            flow.provider.set(None);
                            flow.slot.set(None);
                        }
                    >
                        "Anyone (the earliest free time)"
                    </Radio>
                </div>
                {providers.into_iter().map(|p| {
                    let id = format!("provider-{}", p.id);
                    let checked_id = p.id.clone();
                    let chosen = p.clone();
                    view! {
                        <div class="choice">
                            <Radio
                                group="provider"
                                id
                                checked=Signal::derive(move || flow.provider.get().is_some_and(|c| c.id == checked_id))
                                choose=move |()| {
                                    flow.provider.set(Some(chosen.clone()));
                                    flow.slot.set(None);
                                }
                            >
                                {p.display_name.clone()}
                            </Radio>
                        </div>
                    }
                }).collect_view()}
            </fieldset>
            <div class="actions">
                <Back step=Step::Provider />
                <button type="submit" class="button-primary">"Continue"</button>
            </div>
        </form>
    }
}

/// The provider's name, from the loaded list.
fn provider_name(flow: Flow, id: &str) -> String {
    flow.providers
        .get_untracked()
        .unwrap_or_default()
        .into_iter()
        .find(|p| p.id == id)
        .map_or_else(|| "a provider".to_owned(), |p| p.display_name)
}

/// Slots by clinic-local day, in order.
fn by_day(slots: Vec<Slot>) -> Vec<(String, Vec<Slot>)> {
    let mut days: Vec<(String, Vec<Slot>)> = Vec::new();
    for slot in slots {
        let day = slot.start.get(..10).unwrap_or_default().to_owned();
        match days.last_mut() {
            Some((d, list)) if *d == day => list.push(slot),
            _ => days.push((day, vec![slot])),
        }
    }
    days
}

/// Step 3: a free time, in the clinic's time zone, the earliest first.
#[component]
pub fn ChooseTime() -> impl IntoView {
    let flow = expect_context::<Flow>();
    // The steps after this one are a chunk of their own: fetch it while the visitor chooses.
    crate::later::prefetch();
    let slots = RwSignal::new(None::<Vec<Slot>>);
    let zone = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let shown = RwSignal::new(DAYS_SHOWN);
    let anyone = flow.provider.get_untracked().is_none();
    leptos::task::spawn_local(async move {
        let Some(service) = flow.service.get_untracked() else { return };
        let query = SlotsQuery {
            service: service.id,
            provider: flow.provider.get_untracked().map(|p| p.id),
            from: None,
            days: Some(SLOT_DAYS),
        };
        match client().slots(&clinic_id(), &query).await {
            Ok(mut response) => {
                response.slots.sort_by(|a, b| format::epoch_ms(&a.start).total_cmp(&format::epoch_ms(&b.start)));
                let offset = response.slots.first().map(|s| format::offset_label(&s.start)).unwrap_or_default();
                zone.set(format!("{} ({offset})", response.time_zone.replace('_', " ")));
                slots.set(Some(response.slots));
            }
            Err(e) => error.set(Some(message(&e))),
        }
    });
    let choose_error = RwSignal::new(None::<&'static str>);
    let next = move || {
        if flow.slot.get_untracked().is_some() {
            flow.go(Step::Details);
        } else {
            choose_error.set(Some("Choose a time."));
        }
    };
    view! {
        <form class="step" aria-labelledby="step-title" on:submit=on_submit(next) novalidate>
            <Heading step=Step::Time />
            {move || error.get().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
            {move || match slots.get() {
                None => (error.get().is_none()).then(|| view! { <p role="status">"Finding free times…"</p> }).into_any(),
                Some(list) if list.is_empty() => view! {
                    <p>{format!("There are no free times in the next {SLOT_DAYS} days. Choose another provider, or call the clinic.")}</p>
                }.into_any(),
                Some(list) => {
                    let days = by_day(list);
                    let more = days.len() > shown.get();
                    view! {
                        <p class="hint">"Times are in the clinic's time zone, " {zone.get()} "."</p>
                        {days.into_iter().take(shown.get()).map(|(day, slots)| {
                            let label = slots.first().map(|s| format::day(&s.start)).unwrap_or(day.clone());
                            view! {
                                <fieldset class="day">
                                    <legend>{label}</legend>
                                    <div class="times">
                                        {slots.into_iter().map(|slot| {
                                            let id = format!("slot-{}-{}", slot.provider_id, format::epoch_ms(&slot.start));
                                            let time = format::clinic_time(&slot.start);
                                            let with = anyone.then(|| format!(" · {}", provider_name(flow, &slot.provider_id)));
                                            let checked = slot.clone();
                                            let chosen = slot.clone();
                                            view! {
                                                <div class="time">
                                                    <Radio
                                                        group="slot"
                                                        id
                                                        checked=Signal::derive(move || flow.slot.get().as_ref() == Some(&checked))
                                                        choose=move |()| {
                                                            choose_error.set(None);
                                                            flow.slot.set(Some(chosen.clone()));
                                                        }
                                                    >
                                                        {time}{with}
                                                    </Radio>
                                                </div>
                                            }
                                        }).collect_view()}
                                    </div>
                                </fieldset>
                            }
                        }).collect_view()}
                        {more.then(|| view! {
                            <button type="button" class="button-link" on:click=move |_| shown.update(|n| *n += DAYS_SHOWN)>
                                "Show more days"
                            </button>
                        })}
                    }.into_any()
                }
            }}
            <p class="field-error" role="alert">{move || choose_error.get()}</p>
            <div class="actions">
                <Back step=Step::Time />
                <button type="submit" class="button-primary" disabled=move || slots.get().is_none_or(|s| s.is_empty())>
                    "Continue"
                </button>
            </div>
        </form>
    }
}

/// Why a guest's details are not accepted, field by field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DetailErrors {
    /// The name's problem.
    pub name: Option<&'static str>,
    /// The email's problem.
    pub email: Option<&'static str>,
    /// The phone's problem.
    pub phone: Option<&'static str>,
}

impl DetailErrors {
    /// Whether every field is fine.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.email.is_none() && self.phone.is_none()
    }
}

/// Checks a guest's details with the server's own rules ([`GuestDetails::checked`]), field
/// by field, so the patient hears about every problem here first.
#[must_use]
pub fn check_details(name: &str, email: &str, phone: &str) -> DetailErrors {
    const FINE_NAME: &str = "A";
    const FINE_EMAIL: &str = "a@example.org";
    let probe = |name: &str, email: &str, phone: &str| {
        GuestDetails { name: name.to_owned(), email: email.to_owned(), phone: Some(phone.to_owned()) }.checked().err()
    };
    DetailErrors {
        name: (probe(name, FINE_EMAIL, "") == Some(GuestDetailsError::Name)).then_some(if name.trim().is_empty() {
            "Enter your name."
        } else {
            "Enter your name in at most 200 characters."
        }),
        email: (probe(FINE_NAME, email, "") == Some(GuestDetailsError::Email))
            .then_some("Enter an email address like name@example.com."),
        phone: (probe(FINE_NAME, FINE_EMAIL, phone) == Some(GuestDetailsError::Phone))
            .then_some("Enter a phone number with digits, spaces, +, - or brackets, or leave it empty."),
    }
}

/// A text input bound to `value`, with its label and inline error.
#[component]
fn Field(
    id: &'static str,
    label: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
    value: RwSignal<String>,
    error: Signal<Option<&'static str>>,
    #[prop(optional)] optional: bool,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id>{label}{optional.then_some(" (optional)")}</label>
            <input
                id=id
                type=kind
                autocomplete=autocomplete
                required=!optional
                aria-invalid=move || error.get().map(|_| "true")
                aria-describedby=error_id.clone()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            <p id=error_id class="field-error">{move || error.get()}</p>
        </div>
    }
}

/// Step 4: who is booking.
#[component]
pub fn Details() -> impl IntoView {
    let flow = expect_context::<Flow>();
    let errors = RwSignal::new(DetailErrors::default());
    let sign_in_error = RwSignal::new(None::<&'static str>);
    let next = move || {
        if flow.account.get_untracked().is_some() {
            flow.go(Step::Note);
            return;
        }
        let found = check_details(&flow.name.get_untracked(), &flow.email.get_untracked(), &flow.phone.get_untracked());
        let first = [("guest-name", found.name), ("guest-email", found.email), ("guest-phone", found.phone)]
            .into_iter()
            .find_map(|(id, e)| e.map(|_| id));
        errors.set(found);
        match first {
            None => flow.go(Step::Note),
            Some(id) => {
                let input = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.get_element_by_id(id))
                    .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok());
                if let Some(input) = input {
                    let _ = input.focus();
                }
            }
        }
    };
    view! {
        <form class="step" aria-labelledby="step-title" on:submit=on_submit(next) novalidate>
            <Heading step=Step::Details />
            {move || flow.account_status.get().map(|s| view! { <p class="notice" role="status">{s}</p> })}
            {move || sign_in_error.get().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
            {move || match flow.account.get() {
                Some(a) => view! {
                    <p class="signed-in">"Booking as " <strong>{a.name}</strong> " (" {a.email} ")."</p>
                    <p class="hint">"Your note will be encrypted for the clinic and for you: you can read it in the patient portal."</p>
                    <button type="button" class="button-link" on:click=move |_| account::sign_out(flow, None)>
                        "Book as a guest instead"
                    </button>
                }.into_any(),
                None => view! {
                    <p class="hint">"The clinic uses these to confirm your booking or reach you about it."</p>
                    <Field id="guest-name" label="Full name" kind="text" autocomplete="name" value=flow.name
                        error=Signal::derive(move || errors.get().name) />
                    <Field id="guest-email" label="Email" kind="email" autocomplete="email" value=flow.email
                        error=Signal::derive(move || errors.get().email) />
                    <Field id="guest-phone" label="Phone" kind="tel" autocomplete="tel" value=flow.phone
                        error=Signal::derive(move || errors.get().phone) optional=true />
                    <p class="hint">
                        "Have an account with this clinic? "
                        <button type="button" class="button-link" on:click=move |_| sign_in_error.set(account::sign_in(flow).err())>
                            "Sign in to book with it"
                        </button>
                    </p>
                }.into_any(),
            }}
            <div class="actions">
                <Back step=Step::Details />
                <button type="submit" class="button-primary">"Continue"</button>
            </div>
        </form>
    }
}

/// The kinds of identifier the PHI detector finds in `note`, each once, in order.
#[must_use]
pub fn identifiers_in(note: &str) -> Vec<PhiKind> {
    let mut kinds: Vec<PhiKind> = Vec::new();
    for finding in phi::scan(note) {
        if !kinds.contains(&finding.kind) {
            kinds.push(finding.kind);
        }
    }
    kinds
}

/// Step 5: the note, with a warning when it holds identifiers the clinic does not need.
#[component]
pub fn Note() -> impl IntoView {
    let flow = expect_context::<Flow>();
    let found = Memo::new(move |_| identifiers_in(&flow.note.get()));
    // The sealing module, fetched while the patient writes.
    seal::preload();
    let next = move || flow.go(Step::Notice);
    view! {
        <form class="step" aria-labelledby="step-title" on:submit=on_submit(next) novalidate>
            <Heading step=Step::Note />
            <div class="field">
                <label for="note">"Anything the clinic should know before your visit (optional)"</label>
                <textarea
                    id="note"
                    rows="5"
                    maxlength=MAX_NOTE_CHARS.to_string()
                    aria-describedby="note-privacy note-warning"
                    prop:value=move || flow.note.get()
                    on:input=move |ev| flow.note.set(event_target_value(&ev))
                ></textarea>
            </div>
            <p id="note-privacy" class="hint">
                "Your note is encrypted on this device before it is sent. Only the clinic's providers can read it: "
                "not this website, not the clinic's front desk, not the booking service. "
                {move || if flow.account.get().is_some() {
                    "You can read it too, in the patient portal."
                } else {
                    "As a guest you cannot read it again later; only the clinic can."
                }}
            </p>
            <div id="note-warning" role="status" aria-live="polite">
                {move || {
                    let kinds = found.get();
                    (!kinds.is_empty()).then(|| {
                        let names: Vec<&str> = kinds.iter().map(|k| k.description()).collect();
                        view! {
                            <p class="warning">
                                <strong>"Check your note: "</strong>
                                {format!(
                                    "it seems to contain {}: {}. The clinic does not need {} to book your visit; please remove {} unless the clinic asked for {}.",
                                    if kinds.len() == 1 { "an identifier" } else { "identifiers" },
                                    names.join(", "),
                                    if kinds.len() == 1 { "it" } else { "them" },
                                    if kinds.len() == 1 { "it" } else { "them" },
                                    if kinds.len() == 1 { "it" } else { "them" },
                                )}
                            </p>
                        }
                    })
                }}
            </div>
            <div class="actions">
                <Back step=Step::Note />
                <button type="submit" class="button-primary">"Continue"</button>
            </div>
        </form>
    }
}

/// Loads the clinic's current notice into the flow.
fn load_notice(flow: Flow, error: RwSignal<Option<String>>) {
    leptos::task::spawn_local(async move {
        match client().clinic_npp(&clinic_id()).await {
            Ok(notice) => {
                if flow.notice.get_untracked().is_some_and(|n| n.hash != notice.hash) {
                    flow.acknowledged.set(false);
                }
                flow.notice.set(Some(notice));
            }
            Err(e) if e.is_problem("not-found") || e.is_problem("no-npp") => error.set(Some(
                "This clinic has not published its privacy notice yet, so it cannot take bookings online. Call the clinic."
                    .into(),
            )),
            Err(e) => error.set(Some(message(&e))),
        }
    });
}

/// Step 6: the Notice of Privacy Practices, read and acknowledged.
#[component]
pub fn Notice() -> impl IntoView {
    let flow = expect_context::<Flow>();
    let error = RwSignal::new(None::<String>);
    if flow.notice.get_untracked().is_none() {
        load_notice(flow, error);
    }
    let next = move || {
        if flow.acknowledged.get_untracked() {
            flow.go(Step::Review);
        }
    };
    view! {
        <form class="step" aria-labelledby="step-title" on:submit=on_submit(next) novalidate>
            <Heading step=Step::Notice />
            <p>"Before you book, please read how the clinic may use and share your health information, and your rights."</p>
            {move || error.get().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
            {move || match flow.notice.get() {
                None => (error.get().is_none()).then(|| view! { <p role="status">"Loading the notice…"</p> }).into_any(),
                Some(n) => {
                    let paragraphs: Vec<String> = n.text.split("\n\n").map(str::to_owned).collect();
                    view! {
                        <article class="npp-text" tabindex="0" aria-label="The notice">
                            {paragraphs.into_iter().map(|p| view! { <p>{p}</p> }).collect_view()}
                        </article>
                        <div class="field checkbox">
                            <input
                                id="npp-read"
                                type="checkbox"
                                prop:checked=move || flow.acknowledged.get()
                                on:change=move |ev| flow.acknowledged.set(event_target_checked(&ev))
                            />
                            <label for="npp-read">"I have read the Notice of Privacy Practices"</label>
                        </div>
                    }.into_any()
                }
            }}
            <div class="actions">
                <Back step=Step::Notice />
                <button type="submit" class="button-primary" disabled=move || !flow.acknowledged.get()>"Continue"</button>
            </div>
        </form>
    }
}

/// Why booking failed: the API's answer, or a failure in this frame.
enum Failure {
    Api(ClientError),
    Local(&'static str),
}

/// Seals the note (if any) to the clinic's current key under the new booking's context,
/// then books as a guest. The note leaves this frame only as an envelope.
async fn book(flow: Flow) -> Result<Booked, Failure> {
    const SEAL_FAILED: &str = "Your note could not be encrypted on this device. Reload the page and try again.";
    let clinic = clinic_id();
    let (Some(service), Some(slot), Some(notice)) =
        (flow.service.get_untracked(), flow.slot.get_untracked(), flow.notice.get_untracked())
    else {
        return Err(Failure::Local("Something is missing. Go back through the steps and try again."));
    };
    let client = client();
    let account = flow.account.get_untracked();
    let id = BookingClient::new_booking_id().map_err(Failure::Api)?;
    let text = flow.note.get_untracked();
    let note = if text.trim().is_empty() {
        None
    } else {
        let key = client.clinic_key(&clinic).await.map_err(Failure::Api)?;
        // A signed-in patient can read their own note later; a guest has no key.
        let patient = account.as_ref().map(|a| a.public_key.as_str());
        Some(seal::seal(text.trim(), &clinic, &id, &key, patient).await.ok_or(Failure::Local(SEAL_FAILED))?)
    };
    if account.is_some() {
        // The notice the patient just read and ticked, recorded as acknowledged in the widget.
        let ack = AcknowledgeNpp { version_hash: notice.hash.clone(), channel: "widget".into() };
        client.acknowledge_npp(&ack).await.map_err(Failure::Api)?;
        let request = CreateBookingRequest {
            id: Some(id),
            provider_id: slot.provider_id.clone(),
            service_id: service.id.clone(),
            start: slot.start.clone(),
            note,
        };
        let made = client.create_booking(&request).await.map_err(Failure::Api)?;
        let provider = provider_name(flow, &slot.provider_id);
        return Ok(Booked { id: made.id, start: slot.start, service: service.name, provider });
    }
    let phone = flow.phone.get_untracked().trim().to_owned();
    let request = CreateGuestBookingRequest {
        id,
        provider_id: slot.provider_id.clone(),
        service_id: service.id.clone(),
        start: slot.start.clone(),
        note,
        guest: GuestDetails {
            name: flow.name.get_untracked().trim().to_owned(),
            email: flow.email.get_untracked().trim().to_owned(),
            phone: (!phone.is_empty()).then_some(phone),
        },
        npp_version_hash: notice.hash,
    };
    let made = client.create_guest_booking(&clinic, &request).await.map_err(Failure::Api)?;
    Ok(Booked {
        id: made.id,
        start: slot.start,
        service: service.name,
        provider: provider_name(flow, &slot.provider_id),
    })
}

/// Step 7: check and book.
#[component]
pub fn Review() -> impl IntoView {
    let flow = expect_context::<Flow>();
    let busy = RwSignal::new(None::<&'static str>);
    let error = RwSignal::new(None::<String>);
    let retry = RwSignal::new(None::<Step>);
    let submit = move || {
        if busy.get_untracked().is_some() {
            return;
        }
        busy.set(Some(if flow.note.get_untracked().trim().is_empty() {
            "Booking…"
        } else {
            "Encrypting your note and booking…"
        }));
        error.set(None);
        retry.set(None);
        leptos::task::spawn_local(async move {
            let result = book(flow).await;
            busy.set(None);
            match result {
                Ok(booked) => {
                    host::send(host::ToHost::BookingSucceeded { booking_id: &booked.id, status: "active" });
                    // The details and the note are no longer needed here.
                    flow.reset();
                    flow.booked.set(Some(booked));
                    flow.go(Step::Done);
                }
                Err(Failure::Local(text)) => {
                    error.set(Some(text.to_owned()));
                    host::send(host::ToHost::Failed { problem: "client" });
                }
                Err(Failure::Api(e)) => {
                    let slug = problem(&e);
                    error.set(Some(message(&e)));
                    retry.set(match slug.as_str() {
                        "slot-taken" | "in-the-past" | "outside-schedule" | "invalid-start" => Some(Step::Time),
                        "npp-outdated" => {
                            flow.notice.set(None);
                            flow.acknowledged.set(false);
                            Some(Step::Notice)
                        }
                        "invalid-guest" => Some(Step::Details),
                        "session-expired" | "not-signed-in" => {
                            account::sign_out(flow, None);
                            Some(Step::Details)
                        }
                        _ => None,
                    });
                    host::send(host::ToHost::Failed { problem: &slug });
                }
            }
        });
    };
    let summary = move || {
        let service = flow.service.get().map(|s| s.name).unwrap_or_default();
        let slot = flow.slot.get();
        let when = slot.as_ref().map(|s| format::clinic_date_time(&s.start)).unwrap_or_default();
        let with = slot.map(|s| provider_name(flow, &s.provider_id)).unwrap_or_default();
        let note = flow.note.get();
        let note = if note.trim().is_empty() {
            "None".to_owned()
        } else {
            format!("{} characters, encrypted on this device for the clinic's providers", note.trim().chars().count())
        };
        view! {
            <dl class="summary">
                <dt>"Service"</dt><dd>{service}</dd>
                <dt>"When"</dt><dd>{when}</dd>
                <dt>"With"</dt><dd>{with}</dd>
                <dt>"Name"</dt><dd>{flow.name.get()}</dd>
                <dt>"Email"</dt><dd>{flow.email.get()}</dd>
                <dt>"Note"</dt><dd>{note}</dd>
            </dl>
        }
    };
    view! {
        <form class="step" aria-labelledby="step-title" on:submit=on_submit(submit) novalidate>
            <Heading step=Step::Review />
            {summary}
            <p class="hint">
                {move || if flow.account.get().is_some() {
                    "You are booking with your account: the booking appears in the patient portal."
                } else {
                    "You are booking as a guest. The clinic may contact you to confirm."
                }}
            </p>
            {move || busy.get().map(|b| view! { <p role="status">{b}</p> })}
            {move || error.get().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
            {move || retry.get().map(|step| view! {
                <button type="button" class="button-secondary" on:click=move |_| flow.go(step)>
                    {match step {
                        Step::Time => "Choose another time",
                        Step::Notice => "Read the new notice",
                        _ => "Check your details",
                    }}
                </button>
            })}
            <div class="actions">
                <Back step=Step::Review />
                <button type="submit" class="button-primary" disabled=move || busy.get().is_some()>"Book appointment"</button>
            </div>
        </form>
    }
}

/// Booked: what, when, with whom, and the booking's reference.
#[component]
pub fn Done() -> impl IntoView {
    let flow = expect_context::<Flow>();
    view! {
        <section class="step" aria-labelledby="step-title">
            <Heading step=Step::Done />
            {move || flow.booked.get().map(|b| view! {
                <p class="success" role="status">
                    {format!("{} with {}, {}.", b.service, b.provider, format::clinic_date_time(&b.start))}
                </p>
                <p>"Booking reference: " <code>{b.id.clone()}</code></p>
                <p class="hint">"To change or cancel it, call the clinic and give this reference."</p>
            })}
            <div class="actions">
                <button type="button" class="button-secondary" on:click=move |_| flow.reset()>
                    "Book another appointment"
                </button>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_are_checked_as_the_server_does() {
        assert!(check_details("Sam Guest", "sam@example.com", "").is_empty());
        assert!(check_details("Sam Guest", "sam@example.com", "+1 (555) 010-0199").is_empty());
        let bad = check_details("  ", "sam.example.com", "call me");
        assert_eq!(bad.name, Some("Enter your name."));
        assert!(bad.email.is_some());
        assert!(bad.phone.is_some());
        assert!(check_details(&"x".repeat(201), "a@b.co", "").name.is_some());
        assert!(check_details("A", "a b@c.co", "").email.is_some());
        assert!(check_details("A", "a@c.co", "12").phone.is_some(), "too few digits to be a number");
        assert!(check_details("A\u{7}", "a@c.co", "").name.is_some(), "control characters");
    }

    #[test]
    fn the_note_warning_names_each_kind_once() {
        let kinds = identifiers_in("My SSN is 123-45-6789, call 555-201-3344 or 555-201-3345.");
        assert_eq!(kinds, vec![PhiKind::Ssn, PhiKind::PhoneNumber]);
        assert!(identifiers_in("Knee pain when climbing stairs, started last week.").is_empty());
    }

    #[test]
    fn steps_go_back_in_order() {
        assert_eq!(Step::Service.back(), None);
        assert_eq!(Step::Review.back(), Some(Step::Notice));
        assert_eq!(Step::Done.back(), None);
        assert_eq!(Step::Time.number(), 3);
        assert_eq!(Step::Done.number(), Step::FLOW.len());
    }

    #[test]
    fn slots_are_grouped_by_clinic_day() {
        let slot = |start: &str| Slot { start: start.into(), end: start.into(), provider_id: "p".into() };
        let days = by_day(vec![
            slot("2027-03-15T09:00:00-04:00"),
            slot("2027-03-15T09:30:00-04:00"),
            slot("2027-03-16T09:00:00-04:00"),
        ]);
        assert_eq!(days.len(), 2);
        assert_eq!(days[0].1.len(), 2);
        assert_eq!(days[1].0, "2027-03-16");
    }
}
