//! The admin console: staff (invite, change roles, remove), the clinic key (share it with a
//! provider who joined, rotate it after someone left), the Notice of Privacy Practices, and
//! the patients' correction and restriction requests.
//!
//! The clinic key never reaches the server in clear: sharing wraps it here to the new
//! member's personal public key, and rotation makes the next version here, wraps it to every
//! remaining provider and admin, publishes it, and rewraps the old notes to it on this device
//! (the SDK's `rotate_clinic_key`). Requests' texts are sealed to the clinic key, so they are
//! opened here with the admin's copy. Changes to staff need a recent second factor
//! (step-up): the page asks for it when the server does.

use bizing_core::Context;
use bizing_core::api::{
    Correction, CorrectionStatus, CreateInvitation, DecideRestrictionRequest, Invitation, PublishNpp, Restriction,
    RestrictionDecision, RestrictionKind, RestrictionStatus, StaffAccount, StaffMember, StaffRole, correction_context,
    restriction_context,
};
use bizing_sdk::ClientError;
use leptos::prelude::*;

use crate::routes::sign_in::ErrorAndProgress;
use crate::routes::staff::{KeyringError, forget_keyring, keyring};
use crate::routes::step_up::StepUp;
use crate::{clear_input, clinic_id, format, input_value, portal, problems, session};

/// A request with its sealed text opened here (`None`: the keys held cannot open it).
type Opened<T> = (T, Option<String>);

/// What the sections share: whether the server asked for a second factor, and whether a
/// removal or role change calls for a new clinic key. Taken from the context in each
/// component's body and moved into its tasks (which run without a reactive owner).
#[derive(Clone, Copy)]
struct Console {
    step_up: RwSignal<bool>,
    rotate: RwSignal<bool>,
    /// Bumped after a change that other sections show (staff, keys).
    changed: RwSignal<u32>,
}

fn console() -> Console {
    use_context::<Console>().unwrap_or(Console {
        step_up: RwSignal::new(false),
        rotate: RwSignal::new(false),
        changed: RwSignal::new(0),
    })
}

/// Shows a failed call: a step-up request opens the confirmation form, a lost session signs
/// out, anything else is an inline message.
fn fail(c: Console, error: RwSignal<Option<String>>, e: &ClientError) {
    if problems::session_gone(e) {
        session::end(portal(), &problems::message(e), false);
        return;
    }
    if e.is_problem("step-up-required") {
        c.step_up.set(true);
        error.set(Some("Confirm it is you (above), then do this again.".into()));
        return;
    }
    error.set(Some(problems::message(e)));
}

fn fail_keys(c: Console, error: RwSignal<Option<String>>, e: KeyringError) {
    match e {
        KeyringError::Api(e) => fail(c, error, &e),
        KeyringError::SignedOut => {}
    }
}

/// The admin page.
#[component]
pub fn Admin() -> impl IntoView {
    let c = Console { step_up: RwSignal::new(false), rotate: RwSignal::new(false), changed: RwSignal::new(0) };
    provide_context(c);
    view! {
        <section aria-labelledby="page-title">
            <h1 id="page-title" tabindex="-1">"Clinic administration"</h1>
            <p class="lead">"Staff, the clinic key, the privacy notice, and patients' requests."</p>
            <StepUp needed=c.step_up why="Changes to staff and to patients' records need a code from your authenticator app (or a recovery code). It is good for 5 minutes." />
            <StaffSection />
            <InviteSection />
            <KeySection />
            <NoticeSection />
            <CorrectionsSection />
            <RestrictionsSection />
        </section>
    }
}

fn role_label(role: StaffRole) -> &'static str {
    match role {
        StaffRole::Receptionist => "Receptionist",
        StaffRole::Provider => "Provider",
        StaffRole::Admin => "Admin",
    }
}

/// The staff list, with role changes and removal.
#[component]
fn StaffSection() -> impl IntoView {
    let c = console();
    let staff = RwSignal::new(None::<Vec<StaffAccount>>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<&'static str>);
    Effect::new(move |_| {
        c.changed.track();
        leptos::task::spawn_local(async move {
            match session::client().list_staff().await {
                Ok(list) => staff.set(Some(list.staff)),
                Err(e) => fail(c, error, &e),
            }
        });
    });
    view! {
        <section class="card admin-section" aria-labelledby="staff-title">
            <h2 id="staff-title">"Staff"</h2>
            <ErrorAndProgress error busy />
            {move || staff.get().map(|list| view! {
                <ul class="staff-list">
                    {list.into_iter().map(|m| view! { <StaffRow member=m error busy /> }).collect_view()}
                </ul>
            })}
        </section>
    }
}

#[component]
fn StaffRow(
    member: StaffAccount,
    error: RwSignal<Option<String>>,
    busy: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let c = console();
    let me = portal().account.get_untracked().map(|a| a.user_id).unwrap_or_default();
    let is_me = member.user_id == me;
    let role = RwSignal::new(member.role);
    let confirm_remove = RwSignal::new(false);
    let field = format!("role-{}", member.user_id);
    let (id, id2) = (member.user_id.clone(), member.user_id.clone());
    let name = member.name.clone();
    let change = move |_| {
        let (id, new_role) = (id.clone(), role.get_untracked());
        busy.set(Some("Changing the role…"));
        error.set(None);
        leptos::task::spawn_local(async move {
            let result = session::client().change_staff_role(&id, new_role).await;
            busy.set(None);
            match result {
                Ok(changed) => {
                    if changed.rotate_clinic_key {
                        c.rotate.set(true);
                    }
                    c.changed.update(|n| *n += 1);
                }
                Err(e) => fail(c, error, &e),
            }
        });
    };
    let remove = move |_| {
        if !confirm_remove.get_untracked() {
            confirm_remove.set(true);
            return;
        }
        let id = id2.clone();
        busy.set(Some("Removing…"));
        error.set(None);
        leptos::task::spawn_local(async move {
            let result = session::client().remove_staff(&id).await;
            busy.set(None);
            confirm_remove.set(false);
            match result {
                Ok(removed) => {
                    if removed.rotate_clinic_key {
                        c.rotate.set(true);
                    }
                    c.changed.update(|n| *n += 1);
                }
                Err(e) => fail(c, error, &e),
            }
        });
    };
    view! {
        <li class="staff-member" data-role=member.role.as_str()>
            <div>
                <p class="staff-name">{member.name.clone()} {is_me.then_some(" (you)")}</p>
                <p class="hint">{member.email.clone()} " · " {role_label(member.role)}
                    {(member.role != StaffRole::Receptionist && !member.holds_current_clinic_key)
                        .then_some(" · does not hold the current clinic key")}
                </p>
            </div>
            {(!is_me).then(|| view! {
                <div class="actions">
                    <label class="visually-hidden" for=field.clone()>{format!("Role of {name}")}</label>
                    <select id=field.clone() on:change=move |ev| {
                        if let Some(r) = StaffRole::from_name(&event_target_value(&ev)) { role.set(r); }
                    }>
                        {[StaffRole::Receptionist, StaffRole::Provider, StaffRole::Admin].into_iter().map(|r| view! {
                            <option value=r.as_str() selected=r == member.role>{role_label(r)}</option>
                        }).collect_view()}
                    </select>
                    <button type="button" class="button-secondary" on:click=change>"Change role"</button>
                    <button type="button" class="button-danger" on:click=remove>
                        {move || if confirm_remove.get() { format!("Confirm: remove {}", member.name) } else { "Remove".to_owned() }}
                    </button>
                </div>
            })}
        </li>
    }
}

/// Inviting staff: an email and a role; the single-use code is shown once, to pass on.
#[component]
fn InviteSection() -> impl IntoView {
    let c = console();
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<&'static str>);
    let pending = RwSignal::new(Vec::<Invitation>::new());
    let created = RwSignal::new(None::<(String, String)>);
    let role = RwSignal::new(StaffRole::Provider);
    let email = NodeRef::<leptos::html::Input>::new();
    let provider_name = NodeRef::<leptos::html::Input>::new();
    let load = move || {
        leptos::task::spawn_local(async move {
            match session::client().list_invitations().await {
                Ok(list) => pending.set(list.invitations),
                Err(e) => fail(c, error, &e),
            }
        });
    };
    Effect::new(move |_| {
        c.changed.track();
        load();
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let address = input_value(email).trim().to_owned();
        if !address.contains('@') {
            error.set(Some("Enter the email address the new staff member will sign in with.".into()));
            return;
        }
        let shown = input_value(provider_name).trim().to_owned();
        let request = CreateInvitation {
            email: address.clone(),
            role: role.get_untracked(),
            provider_name: (role.get_untracked() == StaffRole::Provider && !shown.is_empty()).then_some(shown),
        };
        busy.set(Some("Creating the invitation…"));
        error.set(None);
        leptos::task::spawn_local(async move {
            let result = session::client().invite_staff(&request).await;
            busy.set(None);
            match result {
                Ok(made) => {
                    clear_input(email);
                    clear_input(provider_name);
                    created.set(Some((address, made.token)));
                    load();
                }
                Err(e) => fail(c, error, &e),
            }
        });
    };
    let revoke = move |id: String| {
        leptos::task::spawn_local(async move {
            match session::client().revoke_invitation(&id).await {
                Ok(()) => load(),
                Err(e) => fail(c, error, &e),
            }
        });
    };
    view! {
        <section class="card admin-section" aria-labelledby="invite-title">
            <h2 id="invite-title">"Invite staff"</h2>
            <form on:submit=submit novalidate>
                <div class="field">
                    <label for="invite-email">"Email"</label>
                    <input id="invite-email" type="email" autocomplete="off" node_ref=email />
                </div>
                <div class="field">
                    <label for="invite-role">"Role"</label>
                    <select id="invite-role" on:change=move |ev| {
                        if let Some(r) = StaffRole::from_name(&event_target_value(&ev)) { role.set(r); }
                    }>
                        <option value="provider" selected>"Provider"</option>
                        <option value="receptionist">"Receptionist"</option>
                        <option value="admin">"Admin"</option>
                    </select>
                </div>
                <Show when=move || role.get() == StaffRole::Provider>
                    <div class="field">
                        <label for="invite-provider">"Name patients will see (optional)"</label>
                        <input id="invite-provider" type="text" autocomplete="off" node_ref=provider_name />
                    </div>
                </Show>
                <ErrorAndProgress error busy />
                <button type="submit" class="button-primary">"Create invitation"</button>
            </form>
            {move || created.get().map(|(address, token)| view! {
                <div class="verified invitation-made" role="status">
                    <p>{format!("Invitation for {address}. Give them this code; it works once, for 7 days, and is not shown again:")}</p>
                    <p><code class="secret invitation-code">{token}</code></p>
                    <p class="hint">"They open the portal, choose \u{201c}Join as staff\u{201d}, and enter it with this email."</p>
                </div>
            })}
            {move || {
                let list = pending.get();
                (!list.is_empty()).then(|| view! {
                    <h3>"Pending invitations"</h3>
                    <ul class="invitations">
                        {list.into_iter().map(|i| {
                            let id = i.id.clone();
                            view! {
                                <li>
                                    {format!("{} · {} · until {}", i.email, role_label(i.role), format::local_date_time(u64::try_from(i.expires_at).unwrap_or(0)))}
                                    " "
                                    <button type="button" class="button-link" on:click=move |_| revoke(id.clone())>
                                        {format!("Revoke invitation for {}", i.email)}
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                })
            }}
        </section>
    }
}

/// The clinic key: who holds the current version, sharing it with those who do not, and
/// rotation.
#[component]
fn KeySection() -> impl IntoView {
    let c = console();
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<&'static str>);
    let staff = RwSignal::new(None::<Vec<StaffMember>>);
    let outcome = RwSignal::new(None::<String>);
    let unfinished = RwSignal::new(false);
    let current = RwSignal::new(None::<u32>);
    Effect::new(move |_| {
        c.changed.track();
        leptos::task::spawn_local(async move {
            let client = session::client();
            let result = async {
                let info = client.clinic_key(&clinic_id()).await?;
                Ok::<_, ClientError>((info.version, client.staff_keys().await?))
            }
            .await;
            match result {
                Ok((version, keys)) => {
                    current.set(Some(version));
                    staff.set(Some(keys.staff));
                }
                Err(e) => fail(c, error, &e),
            }
        });
    });
    let share = move |user_id: String, name: String| {
        busy.set(Some("Wrapping the clinic key to their personal key on this device…"));
        error.set(None);
        leptos::task::spawn_local(async move {
            let result = async {
                let ring = keyring().await?;
                Ok::<_, KeyringError>(session::client().share_clinic_keys(&ring, &user_id).await?)
            }
            .await;
            busy.set(None);
            match result {
                Ok(versions) => {
                    outcome.set(Some(format!("Shared {} key version(s) with {name}.", versions.len())));
                    c.changed.update(|n| *n += 1);
                }
                Err(e) => fail_keys(c, error, e),
            }
        });
    };
    let rotate = move |_| {
        busy.set(Some(
            "Making the new clinic key, sharing it with the providers and admins, and re-encrypting old notes' keys on this device…",
        ));
        error.set(None);
        leptos::task::spawn_local(async move {
            crate::paint().await;
            let result = async {
                let ring = keyring().await?;
                Ok::<_, KeyringError>(session::client().rotate_clinic_key(&clinic_id(), &ring).await?)
            }
            .await;
            busy.set(None);
            match result {
                Ok(rotation) => {
                    // The next use unwraps the new version too.
                    forget_keyring();
                    c.rotate.set(false);
                    let done = format!(
                        "Clinic key version {} is now current, shared with {} people.",
                        rotation.version,
                        rotation.shared_with.len()
                    );
                    match rotation.rewrap_error {
                        None => outcome
                            .set(Some(format!("{done} {} sealed texts were moved to it.", rotation.rewrap.rewrapped))),
                        Some(e) => {
                            outcome.set(Some(done));
                            unfinished.set(true);
                            fail(c, error, &e);
                        }
                    }
                    c.changed.update(|n| *n += 1);
                }
                Err(e) => fail_keys(c, error, e),
            }
        });
    };
    // After a rotation whose rewrap stopped (a step-up was needed, say): move the rest.
    let finish = move |_| {
        busy.set(Some("Re-encrypting old notes' keys to the current clinic key on this device…"));
        error.set(None);
        leptos::task::spawn_local(async move {
            crate::paint().await;
            let result = async {
                let ring = keyring().await?;
                Ok::<_, KeyringError>(session::client().rewrap_stale_with_keyring(&clinic_id(), &ring).await?)
            }
            .await;
            busy.set(None);
            match result {
                Ok(moved) => {
                    unfinished.set(!moved.complete);
                    outcome.set(Some(format!(
                        "{} more sealed texts were moved to the current clinic key.",
                        moved.rewrapped
                    )));
                }
                Err(e) => fail_keys(c, error, e),
            }
        });
    };
    view! {
        <section class="card admin-section" aria-labelledby="keys-title">
            <h2 id="keys-title">"Clinic key"</h2>
            <p>
                "Notes are sealed to the clinic key. Providers and admins each hold a copy wrapped to their own key; "
                "receptionists never do. "
                {move || current.get().map(|v| format!("Current version: {v}."))}
            </p>
            <Show when=move || c.rotate.get()>
                <p class="alarm" role="alert">
                    "Someone who held the clinic key no longer may. Rotate the key so they cannot read new notes."
                </p>
            </Show>
            {move || staff.get().map(|list| {
                let version = current.get().unwrap_or(0);
                let missing: Vec<StaffMember> = list
                    .into_iter()
                    .filter(|m| m.role != "receptionist" && !m.clinic_key_versions.contains(&version))
                    .collect();
                if missing.is_empty() {
                    return view! { <p class="hint">"Every provider and admin holds the current version."</p> }.into_any();
                }
                view! {
                    <ul class="key-missing">
                        {missing.into_iter().map(|m| {
                            let (id, name) = (m.user_id.clone(), m.name.clone());
                            view! {
                                <li>
                                    {format!("{} ({}) does not hold the current version. ", m.name, m.role)}
                                    <button type="button" class="button-secondary" on:click=move |_| share(id.clone(), name.clone())>
                                        {format!("Share the clinic key with {}", m.name)}
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            })}
            <ErrorAndProgress error busy />
            {move || outcome.get().map(|o| view! { <p class="verified" role="status">{o}</p> })}
            <div class="actions">
                <Show when=move || unfinished.get()>
                    <button type="button" class="button-primary" on:click=finish disabled=move || busy.get().is_some()>
                        "Finish moving old notes to the new key"
                    </button>
                </Show>
                <button type="button" class="button-secondary" on:click=rotate disabled=move || busy.get().is_some()>
                    "Rotate the clinic key"
                </button>
            </div>
        </section>
    }
}

/// Publishing a new version of the Notice of Privacy Practices.
#[component]
fn NoticeSection() -> impl IntoView {
    let c = console();
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<&'static str>);
    let published = RwSignal::new(None::<String>);
    let text = NodeRef::<leptos::html::Textarea>::new();
    leptos::task::spawn_local(async move {
        if let Ok(notice) = session::client().clinic_npp(&clinic_id()).await
            && let Some(area) = text.get_untracked()
        {
            area.set_value(&notice.text);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = text.get_untracked().map(|t| t.value()).unwrap_or_default();
        if body.trim().is_empty() {
            error.set(Some("Write the notice first.".into()));
            return;
        }
        busy.set(Some("Publishing…"));
        error.set(None);
        leptos::task::spawn_local(async move {
            let result = session::client().publish_npp(&PublishNpp { text: body }).await;
            busy.set(None);
            match result {
                Ok(notice) => published.set(Some(format!(
                    "Published (version {}). Patients are asked to acknowledge it at their next sign-in or booking.",
                    notice.hash.get(..12).unwrap_or(&notice.hash)
                ))),
                Err(e) => fail(c, error, &e),
            }
        });
    };
    view! {
        <section class="card admin-section" aria-labelledby="npp-title">
            <h2 id="npp-title">"Notice of Privacy Practices"</h2>
            <form on:submit=submit novalidate>
                <div class="field">
                    <label for="npp-text">"The full notice"</label>
                    <textarea id="npp-text" rows="8" node_ref=text aria-describedby="npp-hint"></textarea>
                    <p id="npp-hint" class="hint">"Publishing a changed text makes a new version: every patient acknowledges it again."</p>
                </div>
                <ErrorAndProgress error busy />
                <button type="submit" class="button-primary">"Publish this version"</button>
            </form>
            {move || published.get().map(|p| view! { <p class="verified" role="status">{p}</p> })}
        </section>
    }
}

/// Fetches a list of patients' requests and opens each one's sealed text (which `sealed`
/// names, with its context) with the clinic keyring, into `list`.
fn load_opened<T: Send + Sync + 'static>(
    c: Console,
    error: RwSignal<Option<String>>,
    list: RwSignal<Option<Vec<Opened<T>>>>,
    fetch: impl Future<Output = Result<Vec<T>, ClientError>> + 'static,
    sealed: impl Fn(&T) -> (String, Context) + 'static,
) {
    leptos::task::spawn_local(async move {
        let result = async {
            let items = fetch.await?;
            let ring = keyring().await?;
            Ok::<_, KeyringError>(
                items
                    .into_iter()
                    .map(|item| {
                        let (text, context) = sealed(&item);
                        let opened = ring.open_note(&text, &context).ok().map(|t| t.as_str().to_owned());
                        (item, opened)
                    })
                    .collect(),
            )
        }
        .await;
        match result {
            Ok(items) => list.set(Some(items)),
            Err(e) => fail_keys(c, error, e),
        }
    });
}

fn correction_state(status: CorrectionStatus) -> &'static str {
    match status {
        CorrectionStatus::Submitted => "Waiting for a decision",
        CorrectionStatus::Extended => "Waiting (deadline extended)",
        CorrectionStatus::Accepted => "Accepted",
        CorrectionStatus::Denied => "Denied",
    }
}

/// Patients' correction requests, opened here with the clinic key; accept, deny with a
/// reason, or extend the deadline once.
#[component]
fn CorrectionsSection() -> impl IntoView {
    let c = console();
    let error = RwSignal::new(None::<String>);
    let list = RwSignal::new(None::<Vec<Opened<Correction>>>);
    load_opened(c, error, list, async { Ok(session::client().corrections().await?.corrections) }, |r| {
        (r.change.clone(), correction_context(&r.tenant_id, &r.booking_id, &r.id))
    });
    view! {
        <section class="card admin-section" aria-labelledby="corrections-title">
            <h2 id="corrections-title">"Correction requests"</h2>
            <ErrorAndProgress error busy=RwSignal::new(None) />
            {move || list.get().map(|items| {
                if items.is_empty() {
                    return view! { <p class="empty">"No correction requests."</p> }.into_any();
                }
                view! {
                    <ul class="bookings corrections admin-corrections">
                        {items.into_iter().map(|(c, text)| view! { <CorrectionDecision correction=c text list /> }).collect_view()}
                    </ul>
                }.into_any()
            })}
        </section>
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Accept,
    Deny,
    Extend,
}

#[component]
fn CorrectionDecision(
    correction: Correction,
    text: Option<String>,
    list: RwSignal<Option<Vec<Opened<Correction>>>>,
) -> impl IntoView {
    let console = console();
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<&'static str>);
    let reason = NodeRef::<leptos::html::Textarea>::new();
    let c = correction;
    let pending = c.status.is_pending();
    let field = format!("reason-{}", c.id);
    let id = c.id.clone();
    let decide = move |decision: Decision| {
        let id = id.clone();
        let why = reason.get_untracked().map(|t| t.value()).unwrap_or_default().trim().to_owned();
        if decision != Decision::Accept && why.is_empty() {
            error.set(Some("Write the reason first: the patient reads it.".into()));
            return;
        }
        busy.set(Some("Sending the decision…"));
        error.set(None);
        leptos::task::spawn_local(async move {
            let client = session::client();
            let result = match decision {
                Decision::Accept => client.accept_correction(&id).await,
                Decision::Deny => client.deny_correction(&id, &why).await,
                Decision::Extend => client.extend_correction(&id, &why).await,
            };
            busy.set(None);
            match result {
                Ok(updated) => list.update(|l| {
                    if let Some(slot) = l.as_mut().and_then(|l| l.iter_mut().find(|(x, _)| x.id == updated.id)) {
                        slot.0 = updated;
                    }
                }),
                Err(e) => fail(console, error, &e),
            }
        });
    };
    let (d1, d2, d3) = (decide.clone(), decide.clone(), decide);
    view! {
        <li class="booking correction" data-status=format!("{:?}", c.status).to_lowercase()>
            <dl>
                <dt>"Requested change"</dt>
                <dd>{match text {
                    Some(t) => view! { <p class="note-text correction-text">{t}</p> }.into_any(),
                    None => view! { <span class="error-inline">"This request could not be opened with the clinic keys you hold."</span> }.into_any(),
                }}</dd>
                <dt>"Requested"</dt><dd>{format::day(&c.requested_at)}</dd>
                <dt>"Status"</dt><dd class="correction-status">{correction_state(c.status)}</dd>
                {pending.then(|| view! { <dt>"Decision due"</dt><dd>{format::day(&c.due_at)}{c.overdue.then_some(" (overdue)")}</dd> })}
                {c.denial_reason.clone().map(|r| view! { <dt>"Reason for denial"</dt><dd>{r}</dd> })}
                {c.disagreement.is_some().then(|| view! { <dt>"Statement of disagreement"</dt><dd>"Filed (kept with the record)"</dd> })}
            </dl>
            {pending.then(|| view! {
                <div class="field">
                    <label for=field.clone()>"Reason (for a denial or more time; the patient reads it)"</label>
                    <textarea id=field.clone() rows="2" maxlength="2000" node_ref=reason></textarea>
                </div>
                <ErrorAndProgress error busy />
                <div class="actions">
                    <button type="button" class="button-primary" on:click=move |_| d1(Decision::Accept)>"Accept"</button>
                    <button type="button" class="button-danger" on:click=move |_| d2(Decision::Deny)>"Deny"</button>
                    {(c.status == CorrectionStatus::Submitted).then(|| view! {
                        <button type="button" class="button-secondary" on:click=move |_| d3(Decision::Extend)>"Extend 30 days"</button>
                    })}
                </div>
            })}
        </li>
    }
}

fn restriction_state(status: RestrictionStatus) -> &'static str {
    match status {
        RestrictionStatus::Pending => "Waiting for a decision",
        RestrictionStatus::Agreed => "Agreed",
        RestrictionStatus::Denied => "Denied",
        RestrictionStatus::Withdrawn => "Withdrawn by the patient",
    }
}

/// Patients' restriction requests (limits on uses and disclosures), opened with the clinic
/// key; agree or deny with a reason.
#[component]
fn RestrictionsSection() -> impl IntoView {
    let c = console();
    let error = RwSignal::new(None::<String>);
    let list = RwSignal::new(None::<Vec<Opened<Restriction>>>);
    load_opened(c, error, list, async { Ok(session::client().restrictions().await?.restrictions) }, |r| {
        (r.details.clone(), restriction_context(&r.tenant_id, &r.id))
    });
    view! {
        <section class="card admin-section" aria-labelledby="restrictions-title">
            <h2 id="restrictions-title">"Restriction requests"</h2>
            <p class="hint">
                "A patient who paid for a service in full out of pocket may require that it is not disclosed to their health plan: such requests must be agreed to."
            </p>
            <ErrorAndProgress error busy=RwSignal::new(None) />
            {move || list.get().map(|items| {
                if items.is_empty() {
                    return view! { <p class="empty">"No restriction requests."</p> }.into_any();
                }
                view! {
                    <ul class="bookings restrictions">
                        {items.into_iter().map(|(r, text)| view! { <RestrictionDecisionRow restriction=r text list /> }).collect_view()}
                    </ul>
                }.into_any()
            })}
        </section>
    }
}

#[component]
fn RestrictionDecisionRow(
    restriction: Restriction,
    text: Option<String>,
    list: RwSignal<Option<Vec<Opened<Restriction>>>>,
) -> impl IntoView {
    let c = console();
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<&'static str>);
    let reason = NodeRef::<leptos::html::Textarea>::new();
    let r = restriction;
    let pending = r.status == RestrictionStatus::Pending;
    let field = format!("restriction-reason-{}", r.id);
    let id = r.id.clone();
    let decide = move |agree: bool| {
        let id = id.clone();
        let why = reason.get_untracked().map(|t| t.value()).unwrap_or_default().trim().to_owned();
        if !agree && why.is_empty() {
            error.set(Some("Write the reason for the denial first: the patient reads it.".into()));
            return;
        }
        busy.set(Some("Sending the decision…"));
        error.set(None);
        leptos::task::spawn_local(async move {
            let decision = if agree { RestrictionDecision::Agreed } else { RestrictionDecision::Denied };
            let request = DecideRestrictionRequest { decision, reason: (!why.is_empty()).then_some(why) };
            let result = session::client().decide_restriction(&id, &request).await;
            busy.set(None);
            match result {
                Ok(updated) => list.update(|l| {
                    if let Some(slot) = l.as_mut().and_then(|l| l.iter_mut().find(|(x, _)| x.id == updated.id)) {
                        slot.0 = updated;
                    }
                }),
                Err(e) => fail(c, error, &e),
            }
        });
    };
    let (agree, deny) = (decide.clone(), decide);
    view! {
        <li class="booking restriction" data-status=format!("{:?}", r.status).to_lowercase()>
            <dl>
                <dt>"Kind"</dt>
                <dd>{if r.kind == RestrictionKind::HealthPlan { "Do not disclose to the health plan (paid out of pocket)" } else { "Other limit on uses or disclosures" }}</dd>
                <dt>"Details"</dt>
                <dd>{match text {
                    Some(t) => view! { <p class="note-text">{t}</p> }.into_any(),
                    None => view! { <span class="error-inline">"These details could not be opened with the clinic keys you hold."</span> }.into_any(),
                }}</dd>
                <dt>"Status"</dt><dd>{restriction_state(r.status)}</dd>
                {r.reason.clone().map(|why| view! { <dt>"Reason"</dt><dd>{why}</dd> })}
            </dl>
            {pending.then(|| view! {
                <div class="field">
                    <label for=field.clone()>"Reason (required to deny; the patient reads it)"</label>
                    <textarea id=field.clone() rows="2" maxlength="2000" node_ref=reason></textarea>
                </div>
                <ErrorAndProgress error busy />
                <div class="actions">
                    <button type="button" class="button-primary" on:click=move |_| agree(true)>"Agree"</button>
                    <button type="button" class="button-danger" on:click=move |_| deny(false)>"Deny"</button>
                </div>
            })}
        </li>
    }
}
