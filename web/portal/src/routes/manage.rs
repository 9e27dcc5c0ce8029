//! Managing a booking from "My bookings": cancel or reschedule an upcoming one, request a
//! correction of its record, and follow the correction requests (state, due date, a denial's
//! reason, the statement of disagreement).
//!
//! The requested change and the statement of disagreement are sealed here, in the browser,
//! to the clinic key and the patient's own key, under contexts that name the request
//! (`bizing_core::api::correction_context`, `disagreement_context`): the server stores them
//! and cannot open them.

use bizing_core::api::{
    Booking, BookingStatus, Correction, CorrectionStatus, CreateCorrectionRequest, DisagreementRequest, MfaRequest,
    PublicJwk, RescheduleRequest, Slot, SlotsQuery, correction_context, disagreement_context,
};
use bizing_core::{Context, Envelope, SealOptions};
use bizing_sdk::{BookingClient, ClientError};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::routes::sign_in::ErrorAndProgress;
use crate::{clinic_id, format, portal, problems, session};

/// Days of free slots offered when rescheduling.
const RESCHEDULE_DAYS: u32 = 14;

/// At most this many new times are offered (the soonest).
const MAX_SLOTS_OFFERED: usize = 60;

/// Opens a sealed text (`bze1.…`) with the session's key pair under `context`; `None` if it
/// cannot be opened (no session, not sealed to this key, another context, altered).
#[must_use]
pub fn open_text(sealed: &str, context: &Context) -> Option<String> {
    let envelope: Envelope = sealed.parse().ok()?;
    // The opened text is zeroized when dropped; the page keeps its own copy to show.
    session::with_key(|key| envelope.open_text(key, context).ok().map(|text| text.as_str().to_owned())).flatten()
}

/// Seals `text` under `context` to the clinic key (`clinic`, as the API sends it) and the
/// patient's own key, padded; returns the envelope's text form (`bze1.…`) or a message for
/// the page.
///
/// # Errors
/// No session (the key is gone), or a clinic key that is not a valid P-256 key.
pub fn seal_text(text: &str, context: &Context, clinic: &PublicJwk) -> Result<String, String> {
    const FAILED: &str = "Your text could not be encrypted on this device. Reload the page, sign in again and retry.";
    let clinic_key = clinic.to_public_key().map_err(|_| FAILED.to_owned())?;
    let own = session::with_key(|key| key.public_key().clone())
        .ok_or_else(|| "Your session has ended. Sign in again.".to_owned())?;
    Envelope::seal(text.as_bytes(), context, &[clinic_key, own], SealOptions::with_padding(true))
        .map(|e| e.to_string())
        .map_err(|_| FAILED.to_owned())
}

/// Shows `error` inline, or ends the session if the server no longer knows it.
fn fail(error: RwSignal<Option<String>>, e: &ClientError) {
    if problems::session_gone(e) {
        session::end(portal(), &problems::message(e), false);
    } else {
        error.set(Some(problems::message(e)));
    }
}

/// Moves keyboard focus to the element with `id` once it is drawn.
pub fn focus_later(id: String) {
    let focus = wasm_bindgen::closure::Closure::once_into_js(move || {
        if let Some(element) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(&id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = element.focus();
        }
    });
    if let Some(window) = web_sys::window() {
        let _ = window.request_animation_frame(focus.unchecked_ref());
    }
}

/// Which of a booking's forms is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Panel {
    None,
    Cancel,
    Reschedule,
    Correction,
}

/// A booking's actions: cancel and reschedule (upcoming bookings), request a correction.
#[component]
pub fn BookingActions(
    /// The booking.
    booking: Booking,
    /// Whether it has not ended yet.
    upcoming: bool,
    /// The clinic's time zone as shown next to times.
    zone: String,
    /// Called with the booking as the server answers after a cancellation or a move.
    on_changed: Callback<Booking>,
    /// Called with a new correction request.
    on_correction: Callback<Correction>,
) -> impl IntoView {
    let panel = RwSignal::new(Panel::None);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<&'static str>);
    let slots = RwSignal::new(None::<Vec<Slot>>);
    let select = NodeRef::<leptos::html::Select>::new();
    let change = NodeRef::<leptos::html::Textarea>::new();
    let code = NodeRef::<leptos::html::Input>::new();

    let id = booking.id.clone();
    let base = format!("booking-{id}");
    let active = booking.status == BookingStatus::Active;
    let can_move = active && upcoming && format::epoch_ms(&booking.start) > js_sys::Date::now();

    let open = {
        let base = base.clone();
        move |which: Panel| {
            error.set(None);
            let next = if panel.get_untracked() == which { Panel::None } else { which };
            panel.set(next);
            let first = match next {
                Panel::None => return,
                Panel::Cancel => "confirm-cancel",
                // Focus goes to the list of times once it is loaded.
                Panel::Reschedule => return,
                Panel::Correction => "change",
            };
            focus_later(format!("{base}-{first}"));
        }
    };

    let load_slots = {
        let booking = booking.clone();
        let focus = format!("{base}-new-time");
        move || {
            let focus = focus.clone();
            slots.set(None);
            let booking = booking.clone();
            busy.set(Some("Finding free times…"));
            leptos::task::spawn_local(async move {
                let query = SlotsQuery {
                    service: booking.service_id.clone(),
                    provider: Some(booking.provider_id.clone()),
                    from: None,
                    days: Some(RESCHEDULE_DAYS),
                };
                let result = session::client().slots(&clinic_id(), &query).await;
                busy.set(None);
                match result {
                    Ok(response) => {
                        focus_later(focus);
                        slots.set(Some(
                            response
                                .slots
                                .into_iter()
                                .filter(|s| s.provider_id == booking.provider_id && s.start != booking.start)
                                .take(MAX_SLOTS_OFFERED)
                                .collect(),
                        ));
                    }
                    Err(e) => fail(error, &e),
                }
            });
        }
    };

    let cancel = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            error.set(None);
            busy.set(Some("Cancelling your booking…"));
            leptos::task::spawn_local(async move {
                let result = session::client().cancel_booking(&id).await;
                busy.set(None);
                match result {
                    Ok(booking) => on_changed.run(booking),
                    Err(e) => fail(error, &e),
                }
            });
        }
    };

    let reschedule = {
        let id = id.clone();
        let load_slots = load_slots.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let start = select.get_untracked().map(|s| s.value()).unwrap_or_default();
            if start.is_empty() {
                error.set(Some("Choose a new time first.".into()));
                return;
            }
            let id = id.clone();
            let load_slots = load_slots.clone();
            error.set(None);
            busy.set(Some("Moving your booking…"));
            leptos::task::spawn_local(async move {
                let result = session::client().reschedule_booking(&id, &RescheduleRequest { start }).await;
                busy.set(None);
                match result {
                    Ok(booking) => on_changed.run(booking),
                    Err(e) => {
                        let taken = e.is_problem("slot-taken");
                        fail(error, &e);
                        if taken {
                            // Someone took that time meanwhile: offer what is free now.
                            load_slots();
                        }
                    }
                }
            });
        }
    };

    let request_correction = {
        let booking = booking.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let text = change.get_untracked().map(|t| t.value()).unwrap_or_default();
            let second = crate::input_value(code).split_whitespace().collect::<String>();
            if text.trim().is_empty() {
                error.set(Some("Write what should be corrected first.".into()));
                return;
            }
            if second.is_empty() {
                error.set(Some(
                    "Enter the 6-digit code from your authenticator app, or one of your recovery codes.".into(),
                ));
                return;
            }
            let booking = booking.clone();
            error.set(None);
            busy.set(Some("Encrypting and sending your request…"));
            leptos::task::spawn_local(async move {
                match send_correction(&booking, &text, second).await {
                    Ok(correction) => {
                        crate::clear_input(code);
                        if let Some(t) = change.get_untracked() {
                            t.set_value("");
                        }
                        panel.set(Panel::None);
                        on_correction.run(correction);
                    }
                    Err(Failure::Api(e)) => fail(error, &e),
                    Err(Failure::Local(message)) => error.set(Some(message)),
                }
                busy.set(None);
            });
        }
    };

    let toggle = |label: &'static str, which: Panel, open: std::rc::Rc<dyn Fn(Panel)>, after: Option<Box<dyn Fn()>>| {
        let controls = format!("{base}-panel");
        view! {
            <button
                type="button"
                class="button-secondary"
                aria-expanded=move || (panel.get() == which).to_string()
                aria-controls=controls
                on:click=move |_| {
                    open(which);
                    if panel.get_untracked() == which
                        && let Some(after) = &after
                    {
                        after();
                    }
                }
            >
                {label}
            </button>
        }
    };
    let open: std::rc::Rc<dyn Fn(Panel)> = std::rc::Rc::new(open);
    let load: Box<dyn Fn()> = Box::new(load_slots);

    let b = base.clone();
    let panel_view = move || {
        let b = b.clone();
        match panel.get() {
            Panel::None => ().into_any(),
            Panel::Cancel => view! {
                <div class="confirm" role="group" aria-labelledby=format!("{b}-cancel-q")>
                    <p id=format!("{b}-cancel-q")>
                        "Cancel this booking? Its time is offered to other patients again; this cannot be undone."
                    </p>
                    <div class="actions">
                        <button id=format!("{b}-confirm-cancel") type="button" class="button-primary" on:click=cancel.clone()>
                            "Yes, cancel booking"
                        </button>
                        <button type="button" class="button-secondary" on:click=move |_| panel.set(Panel::None)>
                            "Keep booking"
                        </button>
                    </div>
                </div>
            }
            .into_any(),
            Panel::Reschedule => {
                let zone = zone.clone();
                view! {
                    <form class="confirm" on:submit=reschedule.clone()>
                        {move || match slots.get() {
                            None => ().into_any(),
                            Some(list) if list.is_empty() => view! {
                                <p id=format!("{b}-new-time") tabindex="-1">
                                    "There is no other free time with this provider in the next 14 days. Call the clinic to find one."
                                </p>
                            }
                            .into_any(),
                            Some(list) => view! {
                                <div class="field">
                                    <label for=format!("{b}-new-time")>
                                        "New time (" {zone.clone()} ")"
                                    </label>
                                    <select id=format!("{b}-new-time") node_ref=select>
                                        {list.into_iter().map(|s| {
                                            let label = format!("{}–{}", format::clinic_date_time(&s.start), format::clinic_time(&s.end));
                                            view! { <option value=s.start>{label}</option> }
                                        }).collect_view()}
                                    </select>
                                </div>
                                <div class="actions">
                                    <button type="submit" class="button-primary">"Move booking"</button>
                                    <button type="button" class="button-secondary" on:click=move |_| panel.set(Panel::None)>
                                        "Keep current time"
                                    </button>
                                </div>
                            }
                            .into_any(),
                        }}
                    </form>
                }
                .into_any()
            }
            Panel::Correction => view! {
                <form class="confirm" on:submit=request_correction.clone()>
                    <p class="hint">
                        "Your request is encrypted on this device for the clinic and for you. "
                        "The clinic decides within 60 days and tells you here."
                    </p>
                    <div class="field">
                        <label for=format!("{b}-change")>"What should be corrected?"</label>
                        <textarea id=format!("{b}-change") node_ref=change rows="4" maxlength="4000"></textarea>
                    </div>
                    <div class="field">
                        <label for=format!("{b}-stepup")>"Code from your authenticator app, or a recovery code"</label>
                        <input
                            id=format!("{b}-stepup")
                            type="text"
                            node_ref=code
                            autocomplete="one-time-code"
                            aria-describedby=format!("{b}-stepup-hint")
                        />
                        <p id=format!("{b}-stepup-hint") class="hint">"Asked again because a correction is a sensitive request."</p>
                    </div>
                    <div class="actions">
                        <button type="submit" class="button-primary">"Send request"</button>
                        <button type="button" class="button-secondary" on:click=move |_| panel.set(Panel::None)>
                            "Close"
                        </button>
                    </div>
                </form>
            }
            .into_any(),
        }
    };

    view! {
        <div class="booking-actions">
            <div class="actions">
                {can_move.then(|| toggle("Reschedule", Panel::Reschedule, open.clone(), Some(load)))}
                {can_move.then(|| toggle("Cancel booking", Panel::Cancel, open.clone(), None))}
                {active.then(|| toggle("Request a correction", Panel::Correction, open.clone(), None))}
            </div>
            <div id=format!("{base}-panel")>
                <ErrorAndProgress error busy />
                {panel_view}
            </div>
        </div>
    }
}

/// Why a request could not be made.
enum Failure {
    Api(ClientError),
    Local(String),
}

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Self {
        Self::Api(e)
    }
}

/// The second factor as typed: six digits are a TOTP code, anything else a recovery code.
#[must_use]
pub fn second_factor(typed: String) -> MfaRequest {
    if typed.len() == 6 && typed.bytes().all(|b| b.is_ascii_digit()) {
        MfaRequest { code: Some(typed), recovery_code: None }
    } else {
        MfaRequest { code: None, recovery_code: Some(typed) }
    }
}

/// Steps up, seals the change under the new request's context and sends it.
async fn send_correction(booking: &Booking, text: &str, second: String) -> Result<Correction, Failure> {
    let client = session::client();
    client.step_up(&second_factor(second)).await?;
    let clinic = client.clinic_key(&booking.tenant_id).await?;
    let id = BookingClient::new_correction_id()?;
    let context = correction_context(&booking.tenant_id, &booking.id, &id);
    let sealed = seal_text(text, &context, &clinic.jwk).map_err(Failure::Local)?;
    Ok(client.create_correction(&booking.id, &CreateCorrectionRequest { id, change: sealed }).await?)
}

/// What a request's state means for the patient.
fn status_text(status: CorrectionStatus) -> &'static str {
    match status {
        CorrectionStatus::Submitted => "Submitted: waiting for the clinic's decision",
        CorrectionStatus::Extended => "Extended: the clinic needs more time to decide",
        CorrectionStatus::Accepted => "Accepted: the clinic corrects your record",
        CorrectionStatus::Denied => "Denied",
    }
}

/// The patient's correction requests, newest first.
#[component]
pub fn CorrectionList(
    /// The requests, once loaded.
    corrections: RwSignal<Option<Vec<Correction>>>,
    /// A short name for each booking by id ("Physiotherapy, Tue 3 Mar 2026, 14:00").
    labels: Signal<Vec<(String, String)>>,
) -> impl IntoView {
    move || {
        let Some(list) = corrections.get() else { return ().into_any() };
        if list.is_empty() {
            return view! { <p class="empty">"You have not asked for any corrections."</p> }.into_any();
        }
        let labels = labels.get();
        view! {
            <ul class="bookings corrections">
                {list.into_iter().map(|c| {
                    let label = labels
                        .iter()
                        .find(|(id, _)| *id == c.booking_id)
                        .map_or_else(|| "a booking".to_owned(), |(_, l)| l.clone());
                    view! { <CorrectionItem correction=c label corrections /> }
                }).collect_view()}
            </ul>
        }
        .into_any()
    }
}

/// One correction request, with the disagreement form after a denial.
#[component]
fn CorrectionItem(
    correction: Correction,
    label: String,
    corrections: RwSignal<Option<Vec<Correction>>>,
) -> impl IntoView {
    let c = correction;
    let asked = open_text(&c.change, &correction_context(&c.tenant_id, &c.booking_id, &c.id));
    let statement =
        c.disagreement.as_deref().map(|s| open_text(s, &disagreement_context(&c.tenant_id, &c.booking_id, &c.id)));
    let pending = c.status.is_pending();
    let denied = c.status == CorrectionStatus::Denied;
    let status = match c.status {
        CorrectionStatus::Submitted => "submitted",
        CorrectionStatus::Extended => "extended",
        CorrectionStatus::Accepted => "accepted",
        CorrectionStatus::Denied => "denied",
    };
    let overdue = c.overdue.then_some(" (overdue: call the clinic)");
    view! {
        <li class="booking correction" data-status=status>
            <h3>"Correction to " {label}</h3>
            <dl>
                <dt>"You asked"</dt>
                <dd>{match asked {
                    Some(text) => view! { <p class="note-text correction-text">{text}</p> }.into_any(),
                    None => view! { <span class="error-inline">"This request could not be opened with your key."</span> }.into_any(),
                }}</dd>
                <dt>"Requested"</dt>
                <dd><time datetime=c.requested_at.clone()>{format::day(&c.requested_at)}</time></dd>
                <dt>"Status"</dt>
                <dd class="correction-status">{status_text(c.status)}</dd>
                {pending.then(|| view! {
                    <dt>"Decision due"</dt>
                    <dd><time class="due" datetime=c.due_at.clone()>{format::day(&c.due_at)}</time>{overdue}</dd>
                })}
                {c.extension_reason.clone().map(|r| view! { <dt>"Why more time"</dt><dd>{r}</dd> })}
                {c.denial_reason.clone().map(|r| view! { <dt>"Reason for denial"</dt><dd class="denial-reason">{r}</dd> })}
                {statement.map(|s| view! {
                    <dt>"Your statement of disagreement"</dt>
                    <dd>{match s {
                        Some(text) => view! { <p class="note-text statement-text">{text}</p> }.into_any(),
                        None => view! { <span class="error-inline">"Your statement could not be opened with your key."</span> }.into_any(),
                    }}</dd>
                })}
            </dl>
            {(denied && c.disagreement.is_none()).then(|| view! { <Disagreement correction=c.clone() corrections /> })}
        </li>
    }
}

/// The statement of disagreement with a denial, sealed here.
#[component]
fn Disagreement(correction: Correction, corrections: RwSignal<Option<Vec<Correction>>>) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<&'static str>);
    let text = NodeRef::<leptos::html::Textarea>::new();
    let field = format!("disagree-{}", correction.id);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let statement = text.get_untracked().map(|t| t.value()).unwrap_or_default();
        if statement.trim().is_empty() {
            error.set(Some("Write your statement first.".into()));
            return;
        }
        let c = correction.clone();
        error.set(None);
        busy.set(Some("Encrypting and filing your statement…"));
        leptos::task::spawn_local(async move {
            let client = session::client();
            let result = async {
                let clinic = client.clinic_key(&c.tenant_id).await?;
                let context = disagreement_context(&c.tenant_id, &c.booking_id, &c.id);
                let sealed = seal_text(&statement, &context, &clinic.jwk).map_err(Failure::Local)?;
                Ok::<_, Failure>(client.file_disagreement(&c.id, &DisagreementRequest { statement: sealed }).await?)
            }
            .await;
            busy.set(None);
            match result {
                Ok(updated) => corrections.update(|list| {
                    if let Some(list) = list
                        && let Some(slot) = list.iter_mut().find(|x| x.id == updated.id)
                    {
                        *slot = updated;
                    }
                }),
                Err(Failure::Api(e)) => fail(error, &e),
                Err(Failure::Local(message)) => error.set(Some(message)),
            }
        });
    };
    view! {
        <form class="confirm" on:submit=submit>
            <div class="field">
                <label for=field.clone()>"Your statement of disagreement"</label>
                <textarea id=field.clone() node_ref=text rows="4" maxlength="4000" aria-describedby=format!("{field}-hint")></textarea>
                <p id=format!("{field}-hint") class="hint">
                    "If you disagree with the denial, say why. The clinic keeps your statement with your record."
                </p>
            </div>
            <ErrorAndProgress error busy />
            <div class="actions">
                <button type="submit" class="button-primary">"File statement"</button>
            </div>
        </form>
    }
}
