//! Privacy preferences, the patient rights of HIPAA's Privacy Rule that a booking portal can
//! serve: **confidential communications** (how and where the clinic contacts the patient,
//! e.g. "call my work number, not home"), which staff see next to each booking, and
//! **restriction requests** (limits on uses and disclosures, such as not telling a health plan
//! about a service paid in full out of pocket), which the clinic agrees to or denies.
//!
//! A restriction request's details are sealed here to the clinic key and the patient's own
//! key under a context naming the request, like corrections; the contact preference is
//! something staff must read to act on, so it is stored encrypted at rest by the server.

use bizing_core::api::{
    ConfidentialContact, ContactMethod, CreateRestrictionRequest, Preferences, Restriction, RestrictionKind,
    RestrictionStatus, SetConfidentialContact, restriction_context,
};
use bizing_sdk::{BookingClient, ClientError};
use leptos::prelude::*;

use crate::routes::manage::{open_text, seal_text};
use crate::routes::sign_in::ErrorAndProgress;
use crate::routes::step_up::StepUp;
use crate::{clinic_id, format, portal, problems, session};

/// Whether the server asked for a fresh second factor (the step-up form shows then).
fn step_up() -> RwSignal<bool> {
    use_context::<StepUpNeeded>().map_or_else(|| RwSignal::new(false), |s| s.0)
}

/// The page's step-up state, for its sections (taken in their bodies, moved into tasks).
#[derive(Clone, Copy)]
struct StepUpNeeded(RwSignal<bool>);

/// Shows a failed call: a step-up request opens the confirmation form, a lost session signs
/// out, anything else is an inline message.
fn fail(needed: RwSignal<bool>, error: RwSignal<Option<String>>, e: &ClientError) {
    if problems::session_gone(e) {
        session::end(portal(), &problems::message(e), false);
    } else if e.is_problem("step-up-required") {
        needed.set(true);
        error.set(Some("Confirm it is you (above), then send again.".into()));
    } else {
        error.set(Some(problems::message(e)));
    }
}

/// Why a request could not be sent.
enum Sent {
    Api(ClientError),
    Local(String),
}

impl From<ClientError> for Sent {
    fn from(e: ClientError) -> Self {
        Self::Api(e)
    }
}

/// The preferences page.
#[component]
pub fn PreferencesPage() -> impl IntoView {
    let needed = RwSignal::new(false);
    provide_context(StepUpNeeded(needed));
    let prefs = RwSignal::new(None::<Preferences>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(Some("Loading your preferences…"));
    leptos::task::spawn_local(async move {
        let result = session::client().preferences().await;
        busy.set(None);
        match result {
            Ok(p) => prefs.set(Some(p)),
            Err(e) => fail(needed, error, &e),
        }
    });
    view! {
        <section aria-labelledby="page-title">
            <h1 id="page-title" tabindex="-1">"Privacy preferences"</h1>
            <p class="lead">
                "You have the right to ask the clinic to contact you in a particular way or place, "
                "and to ask it to limit how it uses or shares your information."
            </p>
            <StepUp needed why="Changing how the clinic contacts you, or what it may share, needs a code from your authenticator app (or a recovery code). It is good for 5 minutes." />
            <ErrorAndProgress error busy />
            {move || prefs.get().map(|p| view! {
                <ContactSection current=p.confidential_contact.clone() />
                <RestrictionsSection restrictions=p.restrictions.clone() />
            })}
        </section>
    }
}

/// How the clinic should contact the patient.
#[component]
fn ContactSection(current: Option<ConfidentialContact>) -> impl IntoView {
    let needed = step_up();
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<&'static str>);
    let saved = RwSignal::new(current);
    let status = RwSignal::new(None::<&'static str>);
    let method = RwSignal::new(saved.get_untracked().map_or(ContactMethod::Phone, |c| c.method));
    let value = NodeRef::<leptos::html::Input>::new();
    let instructions = NodeRef::<leptos::html::Input>::new();
    let initial = saved.get_untracked();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let contact = SetConfidentialContact {
            method: method.get_untracked(),
            value: crate::input_value(value).trim().to_owned(),
            instructions: Some(crate::input_value(instructions).trim().to_owned()).filter(|i| !i.is_empty()),
        };
        if contact.value.is_empty() {
            error.set(Some("Enter the phone number, email address or postal address to use.".into()));
            return;
        }
        busy.set(Some("Saving…"));
        error.set(None);
        status.set(None);
        leptos::task::spawn_local(async move {
            let result = session::client().set_confidential_contact(&contact).await;
            busy.set(None);
            match result {
                Ok(stored) => {
                    saved.set(Some(stored));
                    status.set(Some("Saved. The clinic's staff see this next to your bookings."));
                }
                Err(e) => fail(needed, error, &e),
            }
        });
    };
    let clear = move |_| {
        busy.set(Some("Removing…"));
        leptos::task::spawn_local(async move {
            let result = session::client().clear_confidential_contact().await;
            busy.set(None);
            match result {
                Ok(()) => {
                    saved.set(None);
                    crate::clear_input(value);
                    crate::clear_input(instructions);
                    status.set(Some("Removed. The clinic uses the contact details of your account."));
                }
                Err(e) => fail(needed, error, &e),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="contact-title">
            <h2 id="contact-title">"How the clinic contacts you"</h2>
            <p>"For example: call your work number rather than home, or send letters to another address."</p>
            <form on:submit=submit novalidate>
                <div class="field">
                    <label for="contact-method">"Contact me by"</label>
                    <select id="contact-method" on:change=move |ev| {
                        method.set(match event_target_value(&ev).as_str() {
                            "email" => ContactMethod::Email,
                            "mail" => ContactMethod::Mail,
                            _ => ContactMethod::Phone,
                        });
                    }>
                        {[(ContactMethod::Phone, "phone", "Phone"), (ContactMethod::Email, "email", "Email"), (ContactMethod::Mail, "mail", "Mail")]
                            .into_iter()
                            .map(|(m, v, label)| view! { <option value=v selected=move || method.get() == m>{label}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="contact-value">"Number or address"</label>
                    <input id="contact-value" type="text" autocomplete="off" maxlength="200" node_ref=value
                        value=initial.as_ref().map(|c| c.value.clone()).unwrap_or_default() />
                </div>
                <div class="field">
                    <label for="contact-instructions">"Instructions (optional)"</label>
                    <input id="contact-instructions" type="text" autocomplete="off" maxlength="500" node_ref=instructions
                        aria-describedby="contact-instructions-hint"
                        value=initial.as_ref().and_then(|c| c.instructions.clone()).unwrap_or_default() />
                    <p id="contact-instructions-hint" class="hint">"For example: do not leave a voicemail."</p>
                </div>
                <ErrorAndProgress error busy />
                <div class="actions">
                    <button type="submit" class="button-primary">"Save"</button>
                    <Show when=move || saved.get().is_some()>
                        <button type="button" class="button-secondary" on:click=clear>"Remove this preference"</button>
                    </Show>
                </div>
                {move || status.get().map(|s| view! { <p class="verified" role="status">{s}</p> })}
            </form>
        </section>
    }
}

fn state_text(status: RestrictionStatus) -> &'static str {
    match status {
        RestrictionStatus::Pending => "Waiting for the clinic's decision",
        RestrictionStatus::Agreed => "Agreed: the clinic follows it",
        RestrictionStatus::Denied => "Denied",
        RestrictionStatus::Withdrawn => "Withdrawn",
    }
}

/// Restriction requests: a new one, and those made.
#[component]
fn RestrictionsSection(restrictions: Vec<Restriction>) -> impl IntoView {
    let needed = step_up();
    let list = RwSignal::new(restrictions);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<&'static str>);
    let kind = RwSignal::new(RestrictionKind::Other);
    let details = NodeRef::<leptos::html::Textarea>::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = details.get_untracked().map(|t| t.value()).unwrap_or_default();
        if text.trim().is_empty() {
            error.set(Some("Say what the clinic should not use or share, and with whom.".into()));
            return;
        }
        let chosen = kind.get_untracked();
        busy.set(Some("Encrypting and sending your request…"));
        error.set(None);
        leptos::task::spawn_local(async move {
            let client = session::client();
            let result = async {
                let tenant = clinic_id();
                let clinic = client.clinic_key(&tenant).await?;
                let id = BookingClient::new_restriction_id()?;
                let sealed = seal_text(&text, &restriction_context(&tenant, &id), &clinic.jwk).map_err(Sent::Local)?;
                Ok::<_, Sent>(
                    client.create_restriction(&CreateRestrictionRequest { id, kind: chosen, details: sealed }).await?,
                )
            }
            .await;
            busy.set(None);
            match result {
                Ok(made) => {
                    if let Some(area) = details.get_untracked() {
                        area.set_value("");
                    }
                    list.update(|l| l.insert(0, made));
                }
                Err(Sent::Api(e)) => fail(needed, error, &e),
                Err(Sent::Local(message)) => error.set(Some(message)),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="restrict-title">
            <h2 id="restrict-title">"Limits on using or sharing your information"</h2>
            <form on:submit=submit novalidate>
                <fieldset>
                    <legend>"What kind of limit?"</legend>
                    <div class="field checkbox">
                        <input type="radio" id="restrict-health-plan" name="restrict-kind" value="health-plan"
                            on:change=move |_| kind.set(RestrictionKind::HealthPlan) />
                        <label for="restrict-health-plan">"Do not tell my health plan about a service I paid for in full myself"</label>
                    </div>
                    <div class="field checkbox">
                        <input type="radio" id="restrict-other" name="restrict-kind" value="other" checked
                            on:change=move |_| kind.set(RestrictionKind::Other) />
                        <label for="restrict-other">"Another limit"</label>
                    </div>
                </fieldset>
                <div class="field">
                    <label for="restrict-details">"Details"</label>
                    <textarea id="restrict-details" rows="3" maxlength="4000" node_ref=details aria-describedby="restrict-hint"></textarea>
                    <p id="restrict-hint" class="hint">"Encrypted on this device: only the clinic's providers and admins and you can read it."</p>
                </div>
                <ErrorAndProgress error busy />
                <button type="submit" class="button-primary">"Send request"</button>
            </form>
            {move || {
                let items = list.get();
                if items.is_empty() {
                    return view! { <p class="empty">"You have not asked for any limits."</p> }.into_any();
                }
                view! {
                    <h3>"Your requests"</h3>
                    <ul class="bookings restrictions">
                        {items.into_iter().map(|r| view! { <RestrictionItem restriction=r list /> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn RestrictionItem(restriction: Restriction, list: RwSignal<Vec<Restriction>>) -> impl IntoView {
    let needed = step_up();
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<&'static str>);
    let r = restriction;
    let details = open_text(&r.details, &restriction_context(&r.tenant_id, &r.id));
    let can_withdraw = matches!(r.status, RestrictionStatus::Pending | RestrictionStatus::Agreed);
    let id = r.id.clone();
    let withdraw = move |_| {
        let id = id.clone();
        busy.set(Some("Withdrawing…"));
        leptos::task::spawn_local(async move {
            let result = session::client().withdraw_restriction(&id).await;
            busy.set(None);
            match result {
                Ok(updated) => list.update(|l| {
                    if let Some(slot) = l.iter_mut().find(|x| x.id == updated.id) {
                        *slot = updated;
                    }
                }),
                Err(e) => fail(needed, error, &e),
            }
        });
    };
    view! {
        <li class="booking restriction" data-status=format!("{:?}", r.status).to_lowercase()>
            <dl>
                <dt>"You asked"</dt>
                <dd>{match details {
                    Some(t) => view! { <p class="note-text restriction-text">{t}</p> }.into_any(),
                    None => view! { <span class="error-inline">"This request could not be opened with your key."</span> }.into_any(),
                }}</dd>
                <dt>"Requested"</dt><dd>{format::day(&r.requested_at)}</dd>
                <dt>"Status"</dt><dd class="restriction-status">{state_text(r.status)}</dd>
                {r.reason.clone().map(|why| view! { <dt>"The clinic's reason"</dt><dd>{why}</dd> })}
            </dl>
            <ErrorAndProgress error busy />
            {can_withdraw.then(|| view! {
                <button type="button" class="button-secondary" on:click=withdraw>"Withdraw this request"</button>
            })}
        </li>
    }
}
