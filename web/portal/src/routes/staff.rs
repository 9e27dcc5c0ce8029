//! The staff console's schedule: a day or a week of the clinic's bookings by provider, with
//! patient names, times and check-in.
//!
//! What each role gets is decided by the server, not here: receptionists and admins receive
//! the clinic's schedule with names and no notes at all; providers receive their own
//! bookings with the sealed notes, which this page opens only when the provider asks, after
//! fetching the booking again so that each reading is its own access event in the patient's
//! log. The clinic key that opens them is unwrapped with the provider's personal key and
//! kept in memory only ([`keyring`]), zeroized when the session ends.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use bizing_core::api::{Booking, BookingStatus, ConfidentialContact, ContactMethod};
use bizing_sdk::{ClientError, ClinicKeyring};
use leptos::prelude::*;

use crate::format::{self, Date};
use crate::routes::sign_in::ErrorAndProgress;
use crate::{portal, problems, session};

thread_local! {
    /// The clinic-key versions a provider or admin unwrapped, once a note was asked for.
    static KEYRING: RefCell<Option<Rc<ClinicKeyring>>> = const { RefCell::new(None) };
}

/// Zeroizes and drops the clinic keys (the session ends).
pub fn forget_keyring() {
    KEYRING.with(|k| k.borrow_mut().take());
}

/// Why the clinic keys could not be used.
#[derive(Debug)]
pub enum KeyringError {
    /// A call failed.
    Api(ClientError),
    /// The session has no personal key any more (it ended).
    SignedOut,
}

impl From<ClientError> for KeyringError {
    fn from(e: ClientError) -> Self {
        Self::Api(e)
    }
}

/// The clinic keyring, unwrapped first (with the personal key) if this session has not yet.
/// Callers hold it only while they use it: when the session ends, [`forget_keyring`] drops
/// the page's reference and the keys are zeroized once the last user is done.
///
/// # Errors
/// The API's problems; the keys cannot be unwrapped; the session ended.
pub async fn keyring() -> Result<Rc<ClinicKeyring>, KeyringError> {
    if let Some(ring) = KEYRING.with(|k| k.borrow().clone()) {
        return Ok(ring);
    }
    let mine = session::client().my_clinic_keys().await?;
    let ring =
        Rc::new(session::with_key(|personal| ClinicKeyring::unlock(&mine, personal)).ok_or(KeyringError::SignedOut)??);
    // The session may have ended while the keys were fetched.
    if portal().account.get_untracked().is_none() {
        return Err(KeyringError::SignedOut);
    }
    KEYRING.with(|k| *k.borrow_mut() = Some(Rc::clone(&ring)));
    Ok(ring)
}

/// How a confidential-contact request reads for staff: "Phone: 555 0100 (work; leave no message)".
fn contact_text(c: &ConfidentialContact) -> String {
    let method = match c.method {
        ContactMethod::Phone => "Phone",
        ContactMethod::Email => "Email",
        ContactMethod::Mail => "Mail",
    };
    match c.instructions.as_deref().filter(|i| !i.trim().is_empty()) {
        Some(how) => format!("{method}: {} ({how})", c.value),
        None => format!("{method}: {}", c.value),
    }
}

/// A day or a week.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Span {
    Day,
    Week,
}

impl Span {
    fn days(self) -> i64 {
        match self {
            Self::Day => 1,
            Self::Week => 7,
        }
    }
}

/// The date part (`YYYY-MM-DD`) of an RFC 3339 time: the clinic's calendar day.
fn date_of(rfc3339: &str) -> &str {
    rfc3339.get(..10).unwrap_or(rfc3339)
}

/// A day's bookings by provider name.
type Day = Vec<(String, Vec<Booking>)>;

/// Bookings grouped by day, then by provider, each group by start time.
fn group(mut bookings: Vec<Booking>) -> Vec<(String, Day)> {
    bookings.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.id.cmp(&b.id)));
    let mut days: BTreeMap<String, BTreeMap<String, Vec<Booking>>> = BTreeMap::new();
    for b in bookings {
        days.entry(date_of(&b.start).to_owned()).or_default().entry(b.provider_name.clone()).or_default().push(b);
    }
    days.into_iter().map(|(day, providers)| (day, providers.into_iter().collect())).collect()
}

/// The schedule page (every staff role).
#[component]
pub fn Schedule() -> impl IntoView {
    let state = portal();
    let account = state.account.get_untracked();
    let role = account.as_ref().map(|a| a.role.clone()).unwrap_or_default();
    let provider = role == "provider";
    let span = RwSignal::new(Span::Day);
    let first = RwSignal::new(Date::today());
    let bookings = RwSignal::new(None::<Vec<Booking>>);
    let busy = RwSignal::new(None::<&'static str>);
    let error = RwSignal::new(None::<String>);

    Effect::new(move |_| {
        let (from, days) = (first.get(), span.get().days());
        bookings.set(None);
        busy.set(Some("Loading the schedule…"));
        error.set(None);
        leptos::task::spawn_local(async move {
            let result = session::client().bookings_between(&from.iso(), &from.plus_days(days).iso()).await;
            // A newer choice of days may have started meanwhile: keep only the latest.
            if first.get_untracked() != from || span.get_untracked().days() != days {
                return;
            }
            busy.set(None);
            match result {
                Ok(list) => bookings.set(Some(list.bookings)),
                Err(e) if problems::session_gone(&e) => session::end(state, &problems::message(&e), false),
                Err(e) => error.set(Some(problems::message(&e))),
            }
        });
    });

    let title = if provider { "My schedule" } else { "Clinic schedule" };
    let range = move || {
        let from = first.get();
        match span.get() {
            Span::Day => from.label(),
            Span::Week => format!("{} to {}", from.label(), from.plus_days(6).label()),
        }
    };
    let step = move |direction: i64| first.update(|d| *d = d.plus_days(direction * span.get_untracked().days()));
    let choose = move |s: Span| {
        span.set(s);
        if s == Span::Week {
            first.update(|d| *d = d.monday());
        }
    };

    view! {
        <section aria-labelledby="page-title">
            <h1 id="page-title" tabindex="-1">{title}</h1>
            <p class="lead">
                {if provider {
                    "Your bookings. A booking note is opened on this device only when you ask, and each opening is recorded in the patient's access log."
                } else {
                    "Bookings by provider, in the clinic's time zone. Booking notes are not shown here: only the patient and the clinic's providers can open them."
                }}
            </p>
            <div class="schedule-controls" role="group" aria-label="Which days">
                <div class="segmented" role="group" aria-label="Show">
                    <button type="button" class="button-secondary" aria-pressed=move || (span.get() == Span::Day).to_string()
                        on:click=move |_| choose(Span::Day)>"Day"</button>
                    <button type="button" class="button-secondary" aria-pressed=move || (span.get() == Span::Week).to_string()
                        on:click=move |_| choose(Span::Week)>"Week"</button>
                </div>
                <div class="pager">
                    <button type="button" class="button-secondary" on:click=move |_| step(-1)
                        aria-label=move || if span.get() == Span::Day { "Previous day" } else { "Previous week" }>"‹"</button>
                    <button type="button" class="button-secondary" on:click=move |_| {
                        let today = Date::today();
                        first.set(if span.get_untracked() == Span::Week { today.monday() } else { today });
                    }>"Today"</button>
                    <button type="button" class="button-secondary" on:click=move |_| step(1)
                        aria-label=move || if span.get() == Span::Day { "Next day" } else { "Next week" }>"›"</button>
                </div>
                <div class="field go-to">
                    <label for="schedule-date">"Go to date"</label>
                    <input id="schedule-date" type="date" prop:value=move || first.get().iso() on:change=move |ev| {
                        if let Some(day) = Date::parse(&event_target_value(&ev)) {
                            first.set(if span.get_untracked() == Span::Week { day.monday() } else { day });
                        }
                    } />
                </div>
                <p class="range" aria-live="polite"><strong>{range}</strong></p>
            </div>
            <ErrorAndProgress error busy />
            {move || bookings.get().map(|list| {
                if list.is_empty() {
                    return view! { <p class="empty">"No bookings on these days."</p> }.into_any();
                }
                let days = group(list);
                view! {
                    <div class="schedule">
                        {days.into_iter().map(|(day, providers)| {
                            let label = Date::parse(&day).map_or(day.clone(), Date::label);
                            view! {
                                <section class="schedule-day" aria-label=label.clone()>
                                    <h2>{label.clone()}</h2>
                                    {providers.into_iter().map(|(name, rows)| view! {
                                        <h3 class="schedule-provider">{name}</h3>
                                        <ul class="bookings schedule-list">
                                            {rows.into_iter().map(|b| view! { <ScheduleRow booking=b provider bookings /> }).collect_view()}
                                        </ul>
                                    }).collect_view()}
                                </section>
                            }
                        }).collect_view()}
                    </div>
                }.into_any()
            })}
        </section>
    }
}

/// One booking in the schedule.
#[component]
fn ScheduleRow(
    booking: Booking,
    /// Whether the viewer is a provider (who may open notes).
    provider: bool,
    /// The schedule, updated in place after a check-in.
    bookings: RwSignal<Option<Vec<Booking>>>,
) -> impl IntoView {
    let b = booking;
    let cancelled = b.status == BookingStatus::Cancelled;
    let status = if cancelled {
        "cancelled"
    } else if b.checked_in_at.is_some() {
        "checked-in"
    } else {
        "active"
    };
    let patient = b.patient_name.clone().unwrap_or_else(|| "Patient".into());
    let contact = b.confidential_contact.clone();
    let when = format!("{}–{}", format::clinic_time(&b.start), format::clinic_time(&b.end));
    let has_note = b.note.is_some();
    let id = b.id.clone();
    view! {
        <li class="booking schedule-row" data-status=status data-booking=b.id.clone()>
            <div class="schedule-when">
                <time datetime=b.start.clone()>{when}</time>
                <span class="hint">{format::offset_label(&b.start)}</span>
            </div>
            <div class="schedule-who">
                <p class="patient-name">{patient}</p>
                <p class="hint">{b.service_name.clone()}</p>
                {contact.map(|c| view! {
                    <p class="contact-preference">
                        <span class="badge">"Confidential contact"</span>
                        " " {contact_text(&c)}
                    </p>
                })}
            </div>
            <div class="schedule-state">
                {match (cancelled, b.checked_in_at.clone()) {
                    (true, _) => view! { <span class="badge badge-muted">"Cancelled"</span> }.into_any(),
                    (false, Some(at)) => view! {
                        <span class="badge badge-ok">"Checked in " {format::clinic_time(&at)}</span>
                    }.into_any(),
                    (false, None) => view! { <CheckIn id=id.clone() bookings /> }.into_any(),
                }}
            </div>
            {(provider && has_note).then(|| view! { <NoteReveal booking_id=b.id.clone() /> })}
        </li>
    }
}

/// The check-in button.
#[component]
fn CheckIn(id: String, bookings: RwSignal<Option<Vec<Booking>>>) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<&'static str>);
    let click = move |_| {
        let id = id.clone();
        busy.set(Some("Checking in…"));
        error.set(None);
        leptos::task::spawn_local(async move {
            let result = session::client().check_in(&id).await;
            busy.set(None);
            match result {
                Ok(updated) => bookings.update(|list| {
                    if let Some(slot) = list.as_mut().and_then(|l| l.iter_mut().find(|b| b.id == updated.id)) {
                        *slot = updated;
                    }
                }),
                Err(e) if problems::session_gone(&e) => session::end(portal(), &problems::message(&e), false),
                Err(e) => error.set(Some(problems::message(&e))),
            }
        });
    };
    view! {
        <button type="button" class="button-primary check-in" disabled=move || busy.get().is_some() on:click=click>
            "Check in"
        </button>
        <ErrorAndProgress error busy />
    }
}

/// A provider's "Open note": fetches the booking (an access event) and opens its note with
/// the clinic key, on this device.
#[component]
fn NoteReveal(booking_id: String) -> impl IntoView {
    let note = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(None::<&'static str>);
    let error = RwSignal::new(None::<String>);
    let open = move |_| {
        let id = booking_id.clone();
        busy.set(Some("Opening the note on this device…"));
        error.set(None);
        leptos::task::spawn_local(async move {
            crate::paint().await;
            let result = async {
                let booking = session::client().booking(&id).await?;
                Ok::<_, KeyringError>(keyring().await?.open_booking_note(&booking)?)
            }
            .await;
            busy.set(None);
            match result {
                Ok(Some(text)) => note.set(Some(Ok(text.as_str().to_owned()))),
                Ok(None) => note.set(Some(Err("This booking has no note.".into()))),
                Err(KeyringError::SignedOut) => {}
                Err(KeyringError::Api(e)) if problems::session_gone(&e) => {
                    session::end(portal(), &problems::message(&e), false);
                }
                Err(KeyringError::Api(e @ (ClientError::Api(_) | ClientError::Network(_)))) => {
                    error.set(Some(problems::message(&e)));
                }
                Err(KeyringError::Api(e)) => note.set(Some(Err(format!(
                    "This note could not be opened with the clinic's keys ({e}). Ask the clinic's admin to share the current clinic key with you."
                )))),
            }
        });
    };
    view! {
        <div class="schedule-note">
            {move || match note.get() {
                None => view! {
                    <button type="button" class="button-secondary open-note" disabled=move || busy.get().is_some() on:click=open.clone()>
                        "Open note"
                    </button>
                }.into_any(),
                Some(Ok(text)) => view! {
                    <div class="note">
                        <p class="note-label">"Booking note (opened on this device; this reading is logged)"</p>
                        <p class="note-text">{text}</p>
                        <button type="button" class="button-link" on:click=move |_| note.set(None)>"Hide note"</button>
                    </div>
                }.into_any(),
                Some(Err(why)) => view! { <p class="error-inline">{why}</p> }.into_any(),
            }}
            <ErrorAndProgress error busy />
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bookings_group_by_day_then_provider() {
        let booking = |id: &str, start: &str, provider: &str| Booking {
            id: id.into(),
            tenant_id: "t".into(),
            patient_id: "p".into(),
            patient_name: Some("Pat".into()),
            provider_id: provider.into(),
            provider_name: provider.into(),
            service_id: "s".into(),
            service_name: "Checkup".into(),
            start: start.into(),
            end: start.into(),
            status: BookingStatus::Active,
            note: None,
            checked_in_at: None,
            confidential_contact: None,
            guest: None,
            created_at: start.into(),
            updated_at: start.into(),
        };
        let grouped = group(vec![
            booking("c", "2026-03-04T09:00:00-05:00", "Dr. B"),
            booking("b", "2026-03-03T10:00:00-05:00", "Dr. A"),
            booking("a", "2026-03-03T09:00:00-05:00", "Dr. A"),
            booking("d", "2026-03-03T09:00:00-05:00", "Dr. B"),
        ]);
        assert_eq!(grouped.len(), 2);
        assert_eq!(grouped[0].0, "2026-03-03");
        let providers: Vec<&str> = grouped[0].1.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(providers, ["Dr. A", "Dr. B"]);
        let ids: Vec<&str> = grouped[0].1[0].1.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(grouped[1].1[0].1[0].id, "c");
    }
}
