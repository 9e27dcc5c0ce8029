//! The Notice of Privacy Practices, shown in full and acknowledged before anything else.

use bizing_core::api::{AcknowledgeNpp, NppNotice};
use leptos::prelude::*;

use crate::routes::navigate;
use crate::routes::sign_in::ErrorAndProgress;
use crate::{clinic_id, portal, problems, session};

/// The notice page.
#[component]
pub fn Notice() -> impl IntoView {
    let state = portal();
    let notice = RwSignal::new(None::<NppNotice>);
    let busy = RwSignal::new(Some("Loading the notice…"));
    let error = RwSignal::new(None::<String>);
    let read = RwSignal::new(false);

    leptos::task::spawn_local(async move {
        let result = session::client().clinic_npp(&clinic_id()).await;
        busy.set(None);
        match result {
            Ok(n) => notice.set(Some(n)),
            Err(e) if problems::session_gone(&e) => session::end(state, &problems::message(&e), false),
            Err(e) => error.set(Some(problems::message(&e))),
        }
    });

    let acknowledge = move |_| {
        let Some(current) = notice.get_untracked() else { return };
        busy.set(Some("Recording your acknowledgment…"));
        error.set(None);
        leptos::task::spawn_local(async move {
            let request = AcknowledgeNpp { version_hash: current.hash, channel: "portal".into() };
            let result = session::client().acknowledge_npp(&request).await;
            busy.set(None);
            match result {
                Ok(()) => {
                    state.npp_ok.set(true);
                    navigate(crate::routes::patient_home(state));
                }
                Err(e) if problems::session_gone(&e) => session::end(state, &problems::message(&e), false),
                Err(e) => error.set(Some(problems::message(&e))),
            }
        });
    };

    view! {
        <section class="card" aria-labelledby="page-title">
            <h1 id="page-title" tabindex="-1">"Notice of Privacy Practices"</h1>
            <p>
                "Before you use the portal, please read how the clinic may use and share your health "
                "information, and your rights. You will be asked again when the notice changes, and once a year."
            </p>
            {move || notice.get().map(|n| {
                let paragraphs: Vec<String> = n.text.split("\n\n").map(str::to_owned).collect();
                view! {
                    <article class="npp-text" aria-label="The notice">
                        {paragraphs.into_iter().map(|p| view! { <p>{p}</p> }).collect_view()}
                    </article>
                    <p class="hint">"Version " <code>{n.hash.chars().take(12).collect::<String>()}</code></p>
                    <div class="field checkbox">
                        <input id="npp-read" type="checkbox" on:change=move |ev| read.set(event_target_checked(&ev)) />
                        <label for="npp-read">"I have read the Notice of Privacy Practices"</label>
                    </div>
                }
            })}
            <ErrorAndProgress error busy />
            <button
                type="button"
                class="button-primary"
                disabled=move || !read.get() || notice.get().is_none() || busy.get().is_some()
                on:click=acknowledge
            >
                "Acknowledge and continue"
            </button>
        </section>
    }
}
