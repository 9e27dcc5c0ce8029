//! Sign in: the password (stretched here with Argon2id; only the derived auth key is sent),
//! then an authenticator code or a recovery code.

use bizing_core::api::MfaRequest;
use bizing_sdk::ClientError;
use leptos::prelude::*;

use crate::routes::register::Enroll;
use crate::routes::{Route, navigate};
use crate::{Account, Portal, clear_input, clinic_id, input_value, paint, portal, problems, session};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Password,
    SecondFactor,
    Enroll,
}

/// After the second factor: who is signed in and whether the notice needs acknowledging,
/// then the session starts.
///
/// # Errors
/// The API's problems.
pub async fn complete(state: Portal) -> Result<(), ClientError> {
    let client = session::client();
    let me = client.me().await?;
    let npp_ok = if me.role == "patient" { !client.npp_status().await?.needs_acknowledgment } else { true };
    let account = Account { user_id: me.user_id.clone(), role: me.role.clone(), name: me.name.clone() };
    session::signed_in(state, account, npp_ok);
    navigate(match (me.role.as_str(), npp_ok) {
        ("patient", true) => crate::routes::patient_home(state),
        ("patient", false) => Route::Notice,
        _ => Route::Schedule,
    });
    Ok(())
}

/// The sign-in page.
#[component]
pub fn SignIn() -> impl IntoView {
    let state = portal();
    let step = RwSignal::new(Step::Password);
    let busy = RwSignal::new(None::<&'static str>);
    let error = RwSignal::new(None::<String>);
    let use_recovery = RwSignal::new(false);
    let email = NodeRef::<leptos::html::Input>::new();
    let password = NodeRef::<leptos::html::Input>::new();
    let code = NodeRef::<leptos::html::Input>::new();

    let submit_password = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked().is_some() {
            return;
        }
        let (address, secret) = (input_value(email).trim().to_owned(), zeroize::Zeroizing::new(input_value(password)));
        if address.is_empty() || secret.is_empty() {
            error.set(Some("Enter your email and your password.".into()));
            return;
        }
        error.set(None);
        busy.set(Some("Checking your password on this device… this takes about a second."));
        leptos::task::spawn_local(async move {
            paint().await;
            let result = session::client().login(&clinic_id(), &address, &secret).await;
            busy.set(None);
            match result {
                Ok(signed_in) => {
                    clear_input(password);
                    session::set_key(signed_in.key_pair);
                    step.set(if signed_in.next == "enroll-totp" { Step::Enroll } else { Step::SecondFactor });
                }
                Err(e) => error.set(Some(problems::message(&e))),
            }
        });
    };

    let submit_code = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked().is_some() {
            return;
        }
        let value: String = input_value(code).chars().filter(|c| !c.is_whitespace()).collect();
        if value.is_empty() {
            error.set(Some("Enter the code.".into()));
            return;
        }
        let request = if use_recovery.get_untracked() {
            MfaRequest { code: None, recovery_code: Some(value) }
        } else {
            MfaRequest { code: Some(value), recovery_code: None }
        };
        error.set(None);
        busy.set(Some("Checking the code…"));
        leptos::task::spawn_local(async move {
            let result = match session::client().verify_mfa(&request).await {
                Ok(()) => complete(state).await,
                Err(e) => Err(e),
            };
            busy.set(None);
            if let Err(e) = result {
                clear_input(code);
                error.set(Some(problems::message(&e)));
            }
        });
    };

    let enrolled = Callback::new(move |()| {
        leptos::task::spawn_local(async move {
            if let Err(e) = complete(state).await {
                error.set(Some(problems::message(&e)));
            }
        });
    });

    view! {
        <section class="card narrow" aria-labelledby="page-title">
            <h1 id="page-title" tabindex="-1">"Sign in"</h1>
            {move || state.notice.get().map(|n| view! { <p class="notice" role="status">{n}</p> })}
            {move || match step.get() {
                Step::Password => view! {
                    <form on:submit=submit_password novalidate>
                        <div class="field">
                            <label for="signin-email">"Email"</label>
                            <input id="signin-email" type="email" autocomplete="username" required node_ref=email />
                        </div>
                        <div class="field">
                            <label for="signin-password">"Password"</label>
                            <input id="signin-password" type="password" autocomplete="current-password" required node_ref=password />
                        </div>
                        <ErrorAndProgress error busy />
                        <button type="submit" class="button-primary" disabled=move || busy.get().is_some()>"Continue"</button>
                    </form>
                    <p>"New patient? " <a href=Route::Register.fragment()>"Create an account"</a></p>
                }.into_any(),
                Step::SecondFactor => view! {
                    <form on:submit=submit_code novalidate>
                        <h2>{move || if use_recovery.get() { "Enter a recovery code" } else { "Enter your authenticator code" }}</h2>
                        <div class="field">
                            <label for="signin-code">
                                {move || if use_recovery.get() {
                                    "Recovery code (one of the ten you saved; each works once)"
                                } else {
                                    "6-digit code from your authenticator app"
                                }}
                            </label>
                            <input
                                id="signin-code"
                                type="text"
                                autocomplete="one-time-code"
                                inputmode=move || if use_recovery.get() { "text" } else { "numeric" }
                                spellcheck="false"
                                required
                                node_ref=code
                            />
                        </div>
                        <ErrorAndProgress error busy />
                        <button type="submit" class="button-primary" disabled=move || busy.get().is_some()>"Sign in"</button>
                        <button
                            type="button"
                            class="button-link"
                            on:click=move |_| {
                                error.set(None);
                                use_recovery.update(|r| *r = !*r);
                            }
                        >
                            {move || if use_recovery.get() { "Use my authenticator app instead" } else { "Use a recovery code instead" }}
                        </button>
                    </form>
                }.into_any(),
                Step::Enroll => view! {
                    <p>"Your account has no authenticator yet. Set one up to finish signing in."</p>
                    <Enroll done=enrolled />
                }.into_any(),
            }}
        </section>
    }
}

/// An inline error (announced as an alert) and a progress message while work runs.
#[component]
pub fn ErrorAndProgress(
    /// The error to show, if any.
    error: RwSignal<Option<String>>,
    /// What is happening, while something is.
    busy: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    view! {
        <div class="status-area">
            <p class="error" role="alert">{move || error.get()}</p>
            <Show when=move || busy.get().is_some()>
                <div class="progress" role="status">
                    <progress aria-label="Working"></progress>
                    <span>{move || busy.get()}</span>
                </div>
            </Show>
        </div>
    }
}
