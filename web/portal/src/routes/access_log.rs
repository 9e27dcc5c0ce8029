//! Who accessed my records: the patient's access events, each checked here against the
//! clinic's signed checkpoint with its inclusion proof, and the checkpoint checked for
//! consistency with the last one this browser verified. The log's signing key is pinned on
//! first use: once this browser has verified a checkpoint, a different key from the server is
//! an alarm, not a new trust anchor. That tree head (`bzh1.…`, a size and a root hash) and the
//! pinned public key are not PHI, and are the only things the portal keeps in `localStorage`.

use bizing_core::access_log::{AccessEvent, AccessLogError, TreeHead};
use bizing_core::api::LoggedEvent;
use leptos::prelude::*;

use crate::routes::sign_in::ErrorAndProgress;
use crate::{clinic_id, format, portal, problems, session};

/// Where the last verified tree head of a clinic's log is kept.
fn head_key(clinic: &str) -> String {
    format!("bizing-portal.access-log-head.{clinic}")
}

/// Where the pinned log key of a clinic is kept.
fn pin_key(clinic: &str) -> String {
    format!("bizing-portal.access-log-key.{clinic}")
}

/// The log key this browser pinned (`origin key-name public-key`), if any.
fn pinned_key(clinic: &str) -> Option<String> {
    storage().and_then(|s| s.get_item(&pin_key(clinic)).ok().flatten())
}

fn key_fingerprint(key: &bizing_core::api::LogKey) -> String {
    format!("{} {} {}", key.origin, key.key_name, key.public_key)
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn stored_head(clinic: &str) -> TreeHead {
    storage()
        .and_then(|s| s.get_item(&head_key(clinic)).ok().flatten())
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(TreeHead::empty)
}

fn store_head(clinic: &str, head: TreeHead) {
    if let Some(s) = storage() {
        let _ = s.set_item(&head_key(clinic), &head.to_string());
    }
}

/// The outcome of checking the log.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    /// Every check passed: the checkpoint's size.
    Verified { size: u64, events: usize },
    /// A check failed: what the patient should know.
    Failed(String),
}

/// One event in plain language: "Dr. Rivera (provider) viewed your booking note".
fn describe(event: &AccessEvent, me: &str) -> String {
    let who = if event.actor.user_id == me {
        "You".to_owned()
    } else {
        format!("{} ({})", event.actor.display_name, event.actor.role.as_str())
    };
    let did = match event.action.as_str() {
        "view" => "viewed",
        "create" => "created",
        "update" => "changed",
        "cancel" => "cancelled",
        "decrypt" => "opened",
        "export" => "exported",
        "check_in" => "checked in",
        other => other,
    };
    let what = match event.resource.kind.as_str() {
        "booking" => "your booking",
        "note" => "your booking note",
        "correction" => "your correction request",
        "profile" => "your profile",
        "npp_ack" => "your privacy notice acknowledgment",
        "confidential_contact" => "your confidential contact preference",
        "restriction" => "your restriction request",
        _ => "your record",
    };
    let via = match event.from.as_str() {
        "portal" => "the portal",
        "widget" => "the booking widget",
        "api" => "the clinic's systems",
        other => other,
    };
    format!("{who} {did} {what}, through {via}")
}

/// Why verification failed, for the patient.
fn failure_text(error: &AccessLogError) -> String {
    let what = if error.indicates_tampering() {
        "The clinic's access log does not match what this browser verified before, or an entry's proof is wrong. \
         The record of who accessed your information may have been altered."
    } else {
        "The access log the server sent could not be checked."
    };
    format!("{what} ({error}). Do not rely on this list. Contact the clinic's privacy officer and report this.")
}

/// The access-log page.
#[component]
pub fn AccessLog() -> impl IntoView {
    let state = portal();
    let events = RwSignal::new(Vec::<LoggedEvent>::new());
    let verdict = RwSignal::new(None::<Verdict>);
    let busy = RwSignal::new(Some("Fetching the access log and checking its proofs on this device…"));
    let error = RwSignal::new(None::<String>);
    let me = state.account.get_untracked().map(|a| a.user_id).unwrap_or_default();

    leptos::task::spawn_local(async move {
        let clinic = clinic_id();
        let client = session::client();
        let head = stored_head(&clinic);
        let fetched = async {
            let key = client.log_key(&clinic).await?;
            let page = client.access_log(head.size).await;
            Ok::<_, bizing_sdk::ClientError>((key, page))
        }
        .await;
        busy.set(None);
        let (key, page) = match fetched {
            Ok(pair) => pair,
            Err(e) if problems::session_gone(&e) => return session::end(state, &problems::message(&e), false),
            Err(e) => return error.set(Some(problems::message(&e))),
        };
        let page = match page {
            Ok(page) => page,
            // The server says the log is smaller than one this browser already verified:
            // a rollback.
            Err(e) if e.is_problem("invalid-query") && head.size > 0 => {
                return verdict.set(Some(Verdict::Failed(format!(
                    "The clinic's access log is now shorter than the {} entries this browser verified before: \
                     entries may have been removed. Do not rely on this list. Contact the clinic's privacy officer \
                     and report this.",
                    head.size
                ))));
            }
            Err(e) if problems::session_gone(&e) => return session::end(state, &problems::message(&e), false),
            Err(e) => return error.set(Some(problems::message(&e))),
        };
        let fingerprint = key_fingerprint(&key);
        if let Some(pinned) = pinned_key(&clinic)
            && pinned != fingerprint
        {
            return verdict.set(Some(Verdict::Failed(
                "The server now signs its access log with a different key than the one this browser pinned \
                 when it first checked the log. The log may have been replaced. Do not rely on this list. Contact \
                 the clinic's privacy officer and report this."
                    .into(),
            )));
        }
        let mut verifier = match key.verifier() {
            Ok(v) => v.with_trusted_head(head),
            Err(e) => {
                return verdict.set(Some(Verdict::Failed(format!(
                    "The clinic's log key is not valid ({e}). Contact the clinic."
                ))));
            }
        };
        match page.verify(&mut verifier) {
            Ok(checkpoint) => {
                store_head(&clinic, verifier.trusted_head());
                if let Some(s) = storage() {
                    let _ = s.set_item(&pin_key(&clinic), &fingerprint);
                }
                let count = page.events.len();
                let mut list = page.events;
                list.sort_by(|a, b| b.event.at.cmp(&a.event.at).then(b.leaf_index.cmp(&a.leaf_index)));
                events.set(list);
                verdict.set(Some(Verdict::Verified { size: checkpoint.size(), events: count }));
            }
            Err(e) => verdict.set(Some(Verdict::Failed(failure_text(&e)))),
        }
    });

    view! {
        <section aria-labelledby="page-title">
            <h1 id="page-title" tabindex="-1">"Who accessed my records"</h1>
            <p class="lead">
                "Every time someone views or changes your records, the clinic's server adds an entry to a "
                "tamper-evident log. This page checks each entry's proof and the log's signature on this device."
            </p>
            <ErrorAndProgress error busy />
            {move || verdict.get().map(|v| match v {
                Verdict::Verified { size, events } => view! {
                    <div class="verified" role="status" data-verdict="verified">
                        <h2>"Verified"</h2>
                        <p>
                            {format!("All {events} entries about you are in the clinic's signed log ({size} entries in total), ")}
                            "and the log is consistent with the one this browser checked before."
                        </p>
                    </div>
                }.into_any(),
                Verdict::Failed(why) => view! {
                    <div class="alarm" role="alert" data-verdict="failed">
                        <h2>"Warning: the access log failed verification"</h2>
                        <p>{why}</p>
                    </div>
                }.into_any(),
            })}
            <Show when=move || matches!(verdict.get(), Some(Verdict::Verified { .. }))>
                {
                    let me = me.clone();
                    move || {
                        let list = events.get();
                        if list.is_empty() {
                            return view! { <p class="empty">"No one has accessed your records yet."</p> }.into_any();
                        }
                        let me = me.clone();
                        view! {
                            <ol class="access-events">
                                {list.into_iter().map(|e| view! {
                                    <li>
                                        <span class="event-text">{describe(&e.event, &me)}</span>
                                        ", "
                                        <span class="event-time">{format::local_date_time(e.event.at)}</span>
                                        <span class="badge">"proof checked"</span>
                                    </li>
                                }).collect_view()}
                            </ol>
                        }.into_any()
                    }
                }
            </Show>
        </section>
    }
}
