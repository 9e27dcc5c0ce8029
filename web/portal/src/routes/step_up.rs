//! "Confirm it is you": the step-up form pages show when the server answers
//! `step-up-required` (a second factor from the last 5 minutes is needed).

use leptos::prelude::*;

use crate::routes::manage::second_factor;
use crate::routes::sign_in::ErrorAndProgress;
use crate::{clear_input, input_value, portal, problems, session};

/// "Confirm it is you": a code from the authenticator app or a recovery code, shown when the
/// server wants a recent second factor.
#[component]
pub fn StepUp(
    /// Whether the server asked for one (set by the page on `step-up-required`; cleared here
    /// once confirmed).
    needed: RwSignal<bool>,
    /// What needs it, for the person.
    why: &'static str,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<&'static str>);
    let done = RwSignal::new(false);
    let code = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if needed.get() {
            done.set(false);
            if let Some(input) = code.get_untracked() {
                let _ = input.focus();
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed: String = input_value(code).chars().filter(|c| !c.is_whitespace()).collect();
        if typed.is_empty() {
            error.set(Some("Enter a code from your authenticator app, or a recovery code.".into()));
            return;
        }
        busy.set(Some("Checking the code…"));
        error.set(None);
        leptos::task::spawn_local(async move {
            let result = session::client().step_up(&second_factor(typed)).await;
            busy.set(None);
            clear_input(code);
            match result {
                Ok(()) => {
                    needed.set(false);
                    done.set(true);
                }
                Err(e) if problems::session_gone(&e) => session::end(portal(), &problems::message(&e), false),
                Err(e) => error.set(Some(problems::message(&e))),
            }
        });
    };
    view! {
        <Show when=move || needed.get()>
            <form class="card step-up" on:submit=submit aria-labelledby="step-up-title">
                <h2 id="step-up-title">"Confirm it is you"</h2>
                <p>{why}</p>
                <div class="field">
                    <label for="step-up-code">"Code"</label>
                    <input id="step-up-code" type="text" autocomplete="one-time-code" spellcheck="false" node_ref=code />
                </div>
                <ErrorAndProgress error busy />
                <button type="submit" class="button-primary">"Confirm"</button>
            </form>
        </Show>
        <Show when=move || done.get()>
            <p class="verified step-up-done" role="status">"Confirmed for 5 minutes. Do what you were doing again."</p>
        </Show>
    }
}
