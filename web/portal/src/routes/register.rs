//! Registration: the key pair is made here, the password stretched here (Argon2id) into an
//! auth key (sent) and a wrap key (kept), then authenticator enrollment and the ten recovery
//! codes, shown once.

use bizing_core::KdfProfile;
use leptos::prelude::*;
use wasm_bindgen::JsValue;
use zeroize::Zeroizing;

use crate::routes::Route;
use crate::routes::sign_in::{ErrorAndProgress, complete};
use crate::{clear_input, clinic_id, input_value, paint, portal, problems, session};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Details,
    Enroll,
    Codes,
}

/// Shortest password accepted here (the server takes any non-empty auth key).
const MIN_PASSWORD: usize = 12;

/// The registration page; with `staff`, joining the clinic's staff with an invitation code
/// from an admin (same keys, same authenticator enrollment).
#[component]
pub fn Register(
    /// Whether this is a staff member joining with an invitation.
    #[prop(optional)]
    staff: bool,
) -> impl IntoView {
    let state = portal();
    let step = RwSignal::new(Step::Details);
    let busy = RwSignal::new(None::<&'static str>);
    let error = RwSignal::new(None::<String>);
    // Shown once, then dropped with this page; never stored.
    let codes = RwSignal::new(Vec::<String>::new());
    let name = NodeRef::<leptos::html::Input>::new();
    let email = NodeRef::<leptos::html::Input>::new();
    let password = NodeRef::<leptos::html::Input>::new();
    let confirm = NodeRef::<leptos::html::Input>::new();
    let invitation = NodeRef::<leptos::html::Input>::new();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked().is_some() {
            return;
        }
        let (full_name, address) = (input_value(name).trim().to_owned(), input_value(email).trim().to_owned());
        let (secret, again) = (Zeroizing::new(input_value(password)), Zeroizing::new(input_value(confirm)));
        let token: String = input_value(invitation).chars().filter(|c| !c.is_whitespace()).collect();
        let problem = if staff && token.is_empty() {
            Some("Enter the invitation code your clinic's admin gave you.")
        } else if full_name.is_empty() {
            Some("Enter your name.")
        } else if !address.contains('@') {
            Some("Enter your email address.")
        } else if secret.chars().count() < MIN_PASSWORD {
            Some("Choose a password of at least 12 characters.")
        } else if *secret != *again {
            Some("The two passwords are not the same. Type them again.")
        } else {
            None
        };
        if let Some(problem) = problem {
            error.set(Some(problem.into()));
            return;
        }
        error.set(None);
        busy.set(Some(
            "Making your keys on this device: a new key pair, and keys derived from your password (about a second)…",
        ));
        leptos::task::spawn_local(async move {
            paint().await;
            let client = session::client();
            let result = if staff {
                client
                    .register_staff(&clinic_id(), &token, &address, &full_name, &secret, KdfProfile::Interactive)
                    .await
            } else {
                client.register(&clinic_id(), &address, &full_name, &secret, KdfProfile::Interactive).await
            };
            busy.set(None);
            match result {
                Ok(registered) => {
                    clear_input(password);
                    clear_input(confirm);
                    session::set_key(registered.key_pair);
                    codes.set(registered.recovery_codes.iter().map(|c| c.as_str().to_owned()).collect());
                    step.set(Step::Enroll);
                }
                Err(e) => error.set(Some(problems::message(&e))),
            }
        });
    };

    let enrolled = Callback::new(move |()| step.set(Step::Codes));
    let saved = RwSignal::new(false);
    let finish = move |_| {
        codes.set(Vec::new());
        leptos::task::spawn_local(async move {
            if let Err(e) = complete(state).await {
                error.set(Some(problems::message(&e)));
            }
        });
    };

    view! {
        <section class="card narrow" aria-labelledby="page-title">
            <h1 id="page-title" tabindex="-1">{if staff { "Join your clinic's staff" } else { "Create your account" }}</h1>
            <ol class="steps" aria-label="Steps">
                <li aria-current=move || (step.get() == Step::Details).then_some("step")>"Your details"</li>
                <li aria-current=move || (step.get() == Step::Enroll).then_some("step")>"Authenticator app"</li>
                <li aria-current=move || (step.get() == Step::Codes).then_some("step")>"Recovery codes"</li>
            </ol>
            {move || match step.get() {
                Step::Details => view! {
                    <form on:submit=submit novalidate>
                        {staff.then(|| view! {
                            <div class="field">
                                <label for="reg-invitation">"Invitation code"</label>
                                <input id="reg-invitation" type="text" autocomplete="off" spellcheck="false" required
                                    aria-describedby="reg-invitation-hint" node_ref=invitation />
                                <p id="reg-invitation-hint" class="hint">"From your clinic's admin. Use the email address they invited."</p>
                            </div>
                        })}
                        <div class="field">
                            <label for="reg-name">"Full name"</label>
                            <input id="reg-name" type="text" autocomplete="name" required node_ref=name />
                        </div>
                        <div class="field">
                            <label for="reg-email">"Email"</label>
                            <input id="reg-email" type="email" autocomplete="email" required node_ref=email />
                        </div>
                        <div class="field">
                            <label for="reg-password">"Password"</label>
                            <input id="reg-password" type="password" autocomplete="new-password" required
                                aria-describedby="reg-password-hint" node_ref=password />
                            <p id="reg-password-hint" class="hint">
                                "At least 12 characters. It never leaves this device: it unlocks your key here."
                            </p>
                        </div>
                        <div class="field">
                            <label for="reg-confirm">"Password again"</label>
                            <input id="reg-confirm" type="password" autocomplete="new-password" required node_ref=confirm />
                        </div>
                        <ErrorAndProgress error busy />
                        <button type="submit" class="button-primary" disabled=move || busy.get().is_some()>"Create account"</button>
                    </form>
                    <p>"Already registered? " <a href=Route::SignIn.fragment()>"Sign in"</a></p>
                    {(!staff).then(|| view! {
                        <p>"Clinic staff with an invitation: " <a href=Route::Join.fragment()>"join as staff"</a></p>
                    })}
                }.into_any(),
                Step::Enroll => view! { <Enroll done=enrolled /> }.into_any(),
                Step::Codes => view! {
                    <h2>"Save your recovery codes"</h2>
                    <p>
                        "If you lose your phone, each of these codes signs you in once and unlocks your key. "
                        "They are shown only now: download or print them and keep them somewhere safe."
                    </p>
                    <ul class="recovery-codes" aria-label="Recovery codes">
                        {codes.get_untracked().into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
                    </ul>
                    <div class="actions">
                        <button type="button" class="button-secondary" on:click=move |_| download(&codes.get_untracked())>
                            "Download as a text file"
                        </button>
                        <button type="button" class="button-secondary" on:click=move |_| {
                            if let Some(w) = web_sys::window() { let _ = w.print(); }
                        }>"Print"</button>
                    </div>
                    <div class="field checkbox">
                        <input id="reg-saved" type="checkbox" on:change=move |ev| saved.set(event_target_checked(&ev)) />
                        <label for="reg-saved">"I have saved my recovery codes"</label>
                    </div>
                    <ErrorAndProgress error busy />
                    <button type="button" class="button-primary" disabled=move || !saved.get() on:click=finish>"Continue"</button>
                }.into_any(),
            }}
        </section>
    }
}

/// Offers the codes as a text file, made in the page (a `blob:` URL revoked right after).
fn download(codes: &[String]) {
    let text = format!(
        "Bizing patient portal: recovery codes\n\nEach code signs you in once if you cannot use your authenticator app.\n\n{}\n",
        codes.join("\n")
    );
    let parts = js_sys::Array::of1(&JsValue::from_str(&text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/plain");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    if let Some(document) = web_sys::window().and_then(|w| w.document())
        && let Ok(a) = document.create_element("a")
    {
        let _ = a.set_attribute("href", &url);
        let _ = a.set_attribute("download", "bizing-recovery-codes.txt");
        if let Some(a) = wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlElement>(&a) {
            a.click();
        }
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// Authenticator enrollment for the signed-in (first factor only) account: the QR code made
/// here from the `otpauth://` URI (by the QR module, loaded now), the secret as text, and a
/// first code to confirm.
#[component]
pub fn Enroll(
    /// Called once the code is confirmed (the session then has its second factor).
    done: Callback<()>,
) -> impl IntoView {
    let busy = RwSignal::new(Some("Setting up your authenticator…"));
    let error = RwSignal::new(None::<String>);
    // The secret (for typing in) and the QR code as a data URL, if it could be made; dropped
    // with the page.
    let secret = RwSignal::new(None::<(String, Option<String>)>);
    let code = NodeRef::<leptos::html::Input>::new();

    leptos::task::spawn_local(async move {
        let result = session::client().enroll_totp().await;
        if result.is_err() {
            busy.set(None);
        }
        match result {
            Ok(enrollment) => {
                let qr = crate::qr::data_url(&enrollment.uri).await;
                busy.set(None);
                let grouped = enrollment
                    .secret
                    .as_bytes()
                    .chunks(4)
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ");
                secret.set(Some((grouped, qr)));
            }
            Err(e) => error.set(Some(problems::message(&e))),
        }
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked().is_some() {
            return;
        }
        let value: String = input_value(code).chars().filter(|c| !c.is_whitespace()).collect();
        if value.len() != 6 || !value.bytes().all(|b| b.is_ascii_digit()) {
            error.set(Some("Enter the 6-digit code your authenticator app shows.".into()));
            return;
        }
        error.set(None);
        busy.set(Some("Checking the code…"));
        leptos::task::spawn_local(async move {
            let result = session::client().confirm_totp(&value).await;
            busy.set(None);
            match result {
                Ok(()) => {
                    secret.set(None);
                    done.run(());
                }
                Err(e) => {
                    clear_input(code);
                    error.set(Some(problems::message(&e)));
                }
            }
        });
    };

    view! {
        <h2>"Set up your authenticator app"</h2>
        <p>"Scan this code with an authenticator app (such as Google Authenticator, Authy or 1Password), or type the key below into it."</p>
        {move || secret.get().map(|(grouped, qr)| view! {
            <div class="enroll">
                {match qr {
                    Some(qr) => view! {
                        <img class="qr" src=qr width="232" height="232" alt="QR code to add the portal to your authenticator app" />
                    }.into_any(),
                    None => view! {
                        <p class="hint">"The QR code could not be shown on this device: enter the key instead."</p>
                    }.into_any(),
                }}
                <div>
                    <p id="totp-secret-label">"Or enter this key:"</p>
                    <p><code class="secret" id="totp-secret">{grouped}</code></p>
                </div>
            </div>
        })}
        <form on:submit=submit novalidate>
            <div class="field">
                <label for="enroll-code">"6-digit code from the app"</label>
                <input id="enroll-code" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required node_ref=code />
            </div>
            <ErrorAndProgress error busy />
            <button type="submit" class="button-primary" disabled=move || busy.get().is_some()>"Confirm"</button>
        </form>
    }
}
