//! My bookings: upcoming and past, in the clinic's time, with notes opened here with the
//! patient's key (the server holds only the sealed envelopes).

use bizing_core::api::{Booking, BookingStatus, Correction, SlotsQuery, note_context};
use leptos::prelude::*;

use crate::routes::manage::{BookingActions, CorrectionList, focus_later, open_text};
use crate::routes::sign_in::ErrorAndProgress;
use crate::{clinic_id, format, portal, problems, session, wait_ms};

/// A note's state on this page.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Note {
    None,
    Sealed,
    Open(String),
    Unreadable,
}

/// The message saying what the patient's last change did (focus goes there after it).
const ANNOUNCE_ID: &str = "bookings-announce";

/// How long a slice of note opening may hold the main thread (ms) before the page gets it
/// back to render and answer input.
const SLICE_MS: f64 = 12.0;

/// How often the list itself is redrawn with the notes opened so far (ms); the progress bar
/// follows every slice. Redrawing the list re-renders every card, so not after each slice.
const REDRAW_MS: f64 = 150.0;

/// Opens a booking's note with the session's key pair.
fn open_note(booking: &Booking) -> Note {
    let Some(sealed) = &booking.note else { return Note::None };
    match open_text(sealed, &note_context(&booking.tenant_id, &booking.id)) {
        Some(text) => Note::Open(text),
        None => Note::Unreadable,
    }
}

/// The bookings page.
#[component]
pub fn Bookings() -> impl IntoView {
    let state = portal();
    let bookings = RwSignal::new(None::<Vec<(Booking, Note)>>);
    let busy = RwSignal::new(Some("Loading your bookings…"));
    let error = RwSignal::new(None::<String>);
    // Notes opened so far, of how many.
    let progress = RwSignal::new((0usize, 0usize));

    // The clinic's time zone by name ("America/New_York"): the API answers it with the slots
    // of any service. Without it, times still show with their UTC offset.
    let zone = RwSignal::new(None::<String>);
    leptos::task::spawn_local(async move {
        let client = session::client();
        let clinic = clinic_id();
        let Ok(services) = client.services(&clinic).await else { return };
        let Some(service) = services.services.first() else { return };
        let query = SlotsQuery { service: service.id.clone(), provider: None, from: None, days: Some(1) };
        if let Ok(slots) = client.slots(&clinic, &query).await {
            zone.set(Some(slots.time_zone));
        }
    });

    leptos::task::spawn_local(async move {
        let result = session::client().bookings().await;
        busy.set(None);
        let list = match result {
            Ok(response) => response.bookings,
            Err(e) if problems::session_gone(&e) => return session::end(state, &problems::message(&e), false),
            Err(e) => return error.set(Some(problems::message(&e))),
        };
        let mut rows: Vec<(Booking, Note)> = list.into_iter().map(|b| (b, Note::Sealed)).collect::<Vec<_>>();
        for (b, n) in &mut rows {
            if b.note.is_none() {
                *n = Note::None;
            }
        }
        let total = rows.iter().filter(|(_, n)| *n == Note::Sealed).count();
        progress.set((0, total));
        bookings.set(Some(rows.clone()));
        let mut done = 0;
        let mut slice_start = js_sys::Date::now();
        let mut drawn_at = slice_start;
        for i in 0..rows.len() {
            if rows[i].1 != Note::Sealed {
                continue;
            }
            // The page may have been left (sign-out, time-out): stop opening notes.
            if state.account.get_untracked().is_none() {
                return;
            }
            rows[i].1 = open_note(&rows[i].0);
            done += 1;
            let now = js_sys::Date::now();
            if done == total {
                progress.set((done, total));
                bookings.set(Some(rows.clone()));
            } else if now - slice_start >= SLICE_MS {
                progress.set((done, total));
                if now - drawn_at >= REDRAW_MS {
                    bookings.set(Some(rows.clone()));
                    drawn_at = now;
                }
                wait_ms(0).await;
                slice_start = js_sys::Date::now();
            }
        }
    });

    // The patient's correction requests, and what the last change did (announced politely).
    let corrections = RwSignal::new(None::<Vec<Correction>>);
    let announce = RwSignal::new(None::<String>);
    leptos::task::spawn_local(async move {
        match session::client().corrections().await {
            Ok(response) => corrections.set(Some(response.corrections)),
            Err(e) if problems::session_gone(&e) => {}
            Err(e) => error.set(Some(problems::message(&e))),
        }
    });
    let on_changed = Callback::new(move |changed: Booking| {
        let when = format::clinic_date_time(&changed.start);
        announce.set(Some(if changed.status == BookingStatus::Cancelled {
            format!("Your {} booking on {when} is cancelled.", changed.service_name)
        } else {
            format!("Your {} booking is now on {when}.", changed.service_name)
        }));
        // The button that was used is redrawn: keyboard users continue from the message.
        focus_later(ANNOUNCE_ID.to_owned());
        bookings.update(|rows| {
            if let Some(row) = rows.as_mut().and_then(|rows| rows.iter_mut().find(|(b, _)| b.id == changed.id)) {
                row.0 = changed;
            }
            if let Some(rows) = rows.as_mut() {
                rows.sort_by(|a, b| format::epoch_ms(&a.0.start).total_cmp(&format::epoch_ms(&b.0.start)));
            }
        });
    });
    let on_correction = Callback::new(move |created: Correction| {
        announce.set(Some(format!(
            "Your correction request is sent. The clinic decides by {}.",
            format::day(&created.due_at)
        )));
        corrections.update(|list| list.get_or_insert_with(Vec::new).insert(0, created));
        focus_later(ANNOUNCE_ID.to_owned());
    });
    let labels = Signal::derive(move || {
        bookings
            .get()
            .unwrap_or_default()
            .into_iter()
            .map(|(b, _)| (b.id, format!("{}, {}", b.service_name, format::clinic_date_time(&b.start))))
            .collect::<Vec<_>>()
    });

    let now = js_sys::Date::now();
    let upcoming = move || {
        bookings
            .get()
            .unwrap_or_default()
            .into_iter()
            .filter(|(b, _)| format::epoch_ms(&b.end) >= now)
            .collect::<Vec<_>>()
    };
    let past = move || {
        let mut past: Vec<_> =
            bookings.get().unwrap_or_default().into_iter().filter(|(b, _)| format::epoch_ms(&b.end) < now).collect();
        past.reverse();
        past
    };

    view! {
        <section aria-labelledby="page-title">
            <h1 id="page-title" tabindex="-1">"My bookings"</h1>
            {move || state.account.get().map(|a| view! { <p class="lead">"Signed in as " {a.name} "."</p> })}
            <ErrorAndProgress error busy />
            <div role="status" class="status-area">
                {move || announce.get().map(|m| view! { <p id=ANNOUNCE_ID class="notice" tabindex="-1">{m}</p> })}
            </div>
            {move || {
                let (done, total) = progress.get();
                (total > 0 && done < total).then(|| view! {
                    <div class="progress" role="status">
                        <label for="notes-progress">"Opening your notes on this device: " {done} " of " {total}</label>
                        <progress id="notes-progress" max=total value=done></progress>
                    </div>
                })
            }}
            {move || {
                let (done, total) = progress.get();
                (total > 0 && done == total).then(|| view! {
                    <p class="visually-hidden" role="status">{format!("{total} notes opened.")}</p>
                })
            }}
            <Show when=move || bookings.get().is_some()>
                <h2>"Upcoming"</h2>
                <BookingList
                    rows=Signal::derive(upcoming)
                    zone
                    empty="You have no upcoming bookings."
                    upcoming=true
                    on_changed
                    on_correction
                />
                <h2>"Past"</h2>
                <BookingList
                    rows=Signal::derive(past)
                    zone
                    empty="You have no past bookings."
                    upcoming=false
                    on_changed
                    on_correction
                />
                <h2>"Correction requests"</h2>
                <CorrectionList corrections labels />
            </Show>
        </section>
    }
}

/// A list of bookings as cards.
#[component]
fn BookingList(
    /// The bookings with their notes' state.
    rows: Signal<Vec<(Booking, Note)>>,
    /// The clinic's time zone name, once known.
    zone: RwSignal<Option<String>>,
    /// What to say when there are none.
    empty: &'static str,
    /// Whether these bookings are still to come (they can be cancelled or moved).
    upcoming: bool,
    /// Called with a booking the patient cancelled or moved.
    on_changed: Callback<Booking>,
    /// Called with a new correction request.
    on_correction: Callback<Correction>,
) -> impl IntoView {
    view! {
        {move || {
            let rows = rows.get();
            let zone_name = zone.get();
            if rows.is_empty() {
                return view! { <p class="empty">{empty}</p> }.into_any();
            }
            view! {
                <ul class="bookings">
                    {rows.into_iter().map(|(b, note)| {
                        let cancelled = b.status == BookingStatus::Cancelled;
                        let when = format!("{}–{}", format::clinic_date_time(&b.start), format::clinic_time(&b.end));
                        let actions = b.clone();
                        let zone = match &zone_name {
                            Some(name) => format!("clinic time, {name}"),
                            None => format!("clinic time, {}", format::offset_label(&b.start)),
                        };
                        view! {
                            <li class="booking" class:cancelled=cancelled>
                                <h3>{b.service_name.clone()}</h3>
                                <dl>
                                    <dt>"When"</dt>
                                    <dd><time datetime=b.start.clone()>{when}</time> " " <span class="hint">"(" {zone.clone()} ")"</span></dd>
                                    <dt>"With"</dt>
                                    <dd>{b.provider_name.clone()}</dd>
                                    <dt>"Status"</dt>
                                    <dd>{if cancelled { "Cancelled" } else { "Booked" }}</dd>
                                    <dt>"Your note"</dt>
                                    <dd class="note">{match note {
                                        Note::None => view! { <span class="hint">"No note"</span> }.into_any(),
                                        Note::Sealed => view! { <span class="hint">"Opening…"</span> }.into_any(),
                                        Note::Open(text) => view! { <p class="note-text">{text}</p> }.into_any(),
                                        Note::Unreadable => view! {
                                            <span class="error-inline">"This note could not be opened with your key. Call the clinic if this persists."</span>
                                        }.into_any(),
                                    }}</dd>
                                </dl>
                                <BookingActions booking=actions upcoming zone on_changed on_correction />
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}
