//! The signed-in session's secrets: the API client (the browser keeps the HttpOnly session
//! cookie), the personal key pair unwrapped at sign-in, and the idle timer. They live in wasm
//! memory only, outside the reactive graph, so ending the session drops them in one place.
//!
//! The key pair is a `bizing_core::KeyPair`, held here and nowhere else: pages borrow it with
//! [`with_key`] for one operation (`Envelope::open_text`, or its public half to seal to), and
//! [`end`] drops it, which zeroizes its private half.

use std::cell::RefCell;

use bizing_core::{IdleOutput, KeyPair};
use bizing_sdk::{BookingClient, IdleTimer};
use leptos::prelude::*;

use crate::routes::Route;
use crate::{Account, Portal};

/// The default idle timeout (the server's too): 15 minutes, warned 2 minutes before.
const TIMEOUT_MS: u64 = bizing_core::idle::DEFAULT_TIMEOUT_MS;
const WARN_BEFORE_MS: u64 = bizing_core::idle::DEFAULT_WARN_BEFORE_MS;

#[derive(Default)]
struct Secrets {
    client: Option<BookingClient>,
    key: Option<KeyPair>,
    timer: Option<IdleTimer>,
}

thread_local! {
    static SECRETS: RefCell<Secrets> = RefCell::default();
}

/// The API client (same origin; one per page, shared by every call).
#[must_use]
#[allow(clippy::expect_used, reason = "an empty base URL is valid in a browser page")]
pub fn client() -> BookingClient {
    SECRETS.with(|s| {
        s.borrow_mut()
            .client
            .get_or_insert_with(|| BookingClient::new("").expect("same-origin client in a page"))
            .clone()
    })
}

/// Keeps the key pair the sign-in or registration unwrapped (zeroized when the session ends,
/// or now if it replaces another).
pub fn set_key(key: KeyPair) {
    SECRETS.with(|s| s.borrow_mut().key = Some(key));
}

/// Runs `f` with the personal key pair, if the session has one. Do not keep a clone of the
/// key beyond `f`: only the one held here is zeroized when the session ends.
pub fn with_key<T>(f: impl FnOnce(&KeyPair) -> T) -> Option<T> {
    SECRETS.with(|s| s.borrow().key.as_ref().map(f))
}

/// The idle timeout for this page: the default, or shorter when the page's address asks for
/// it with `?idle=MS` (the end-to-end tests do). Only ever shorter, so the flag cannot keep a
/// session open longer than the policy allows.
#[must_use]
pub fn idle_config() -> bizing_core::IdleConfig {
    let requested = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .and_then(|q| {
            q.trim_start_matches('?')
                .split('&')
                .find_map(|pair| pair.strip_prefix("idle=").and_then(|v| v.parse::<u64>().ok()))
        })
        .filter(|ms| *ms >= 2_000);
    let timeout = requested.map_or(TIMEOUT_MS, |ms| ms.min(TIMEOUT_MS));
    let warn = WARN_BEFORE_MS.min(timeout / 2);
    bizing_core::IdleConfig::new(timeout, warn).unwrap_or_default()
}

/// Completes the sign-in: the account is shown, the idle timer starts.
pub fn signed_in(portal: Portal, account: Account, npp_ok: bool) {
    stop_timer();
    let callback = std::rc::Rc::new(move |output: IdleOutput| match output {
        IdleOutput::Warn { deadline_ms, .. } => {
            portal.warning.set(Some(deadline_ms));
            leptos::task::spawn_local(extend_if_active_elsewhere());
        }
        IdleOutput::Extend { .. } => portal.warning.set(None),
        IdleOutput::TimeOut { reason } => {
            let why = if reason == bizing_core::TimeoutReason::Idle {
                "You were signed out because the portal was not used for a while. Your notes were removed from this page. Sign in again to continue."
            } else {
                "You were signed out in another tab. Sign in again to continue."
            };
            end(portal, why, false);
        }
        _ => {}
    });
    let timer = IdleTimer::start(idle_config(), bizing_sdk::idle_timer::DEFAULT_CHANNEL, callback).ok();
    SECRETS.with(|s| s.borrow_mut().timer = timer);
    portal.npp_ok.set(npp_ok);
    portal.notice.set(None);
    portal.account.set(Some(account));
}

/// How much later than this page's last activity the server's must be to count as activity
/// elsewhere: the server records a session's activity at most every 15 s, so its record is
/// never later than the page's own requests by more than a request's time.
const ELSEWHERE_MARGIN_MS: u64 = 5_000;

/// Whether the server saw this session used after this page last was: by the booking widget
/// (a frame on another site, whose activity reaches this page only through the server, as its
/// widget session keeps this session alive). `idle_remaining_ms` is what the server has left
/// of its idle timeout `server_timeout_ms` at `now_ms`; `local_last_ms` is this page's last
/// activity.
#[must_use]
pub fn active_elsewhere(now_ms: u64, idle_remaining_ms: u64, server_timeout_ms: u64, local_last_ms: u64) -> bool {
    let server_last_ms = now_ms.saturating_add(idle_remaining_ms).saturating_sub(server_timeout_ms);
    server_last_ms > local_last_ms.saturating_add(ELSEWHERE_MARGIN_MS)
}

/// At the idle warning: asks the server (without counting as activity) whether the session
/// was used elsewhere since; if so, the patient is still here, in the booking widget, and the
/// timer is extended without asking them.
async fn extend_if_active_elsewhere() {
    let Ok(status) = client().session_status().await else { return };
    let Some(deadline_ms) = SECRETS.with(|s| s.borrow().timer.as_ref().and_then(IdleTimer::deadline_ms)) else {
        return;
    };
    let local_last_ms = deadline_ms.saturating_sub(idle_config().timeout_ms());
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "a positive time in ms")]
    let now_ms = js_sys::Date::now() as u64;
    let remaining_ms = status.idle_remaining_seconds.saturating_mul(1_000);
    if active_elsewhere(now_ms, remaining_ms, bizing_core::idle::DEFAULT_TIMEOUT_MS, local_last_ms) {
        extend();
    }
}

/// "Stay signed in".
pub fn extend() {
    SECRETS.with(|s| {
        if let Some(timer) = &s.borrow().timer {
            timer.extend();
        }
    });
}

fn stop_timer() {
    let timer = SECRETS.with(|s| s.borrow_mut().timer.take());
    if let Some(timer) = timer {
        timer.stop();
    }
}

/// Ends the session: the key pair is zeroized and dropped, the pages holding PHI are
/// unmounted (their signals go with them), the server session is ended, and the sign-in page
/// shows `why`. With `tell_other_tabs`, the other tabs of this origin sign out too.
pub fn end(portal: Portal, why: &str, tell_other_tabs: bool) {
    let (timer, key) = SECRETS.with(|s| {
        let mut s = s.borrow_mut();
        (s.timer.take(), s.key.take())
    });
    if let Some(timer) = timer {
        if tell_other_tabs {
            // Tells the other tabs, zeroizes every key the SDK handed out, stops.
            timer.logout();
        } else {
            timer.stop();
        }
    }
    // Dropping the key pair zeroizes its private half; the SDK's registry (keys handed to
    // JavaScript, none in the portal) is emptied too, as the idle timer does.
    drop(key);
    crate::routes::staff::forget_keyring();
    crate::routes::end_link_only();
    bizing_sdk::zeroize_keys();
    portal.warning.set(None);
    portal.account.set(None);
    portal.npp_ok.set(false);
    portal.notice.set(Some(why.to_owned()));
    portal.route.set(Route::SignIn);
    crate::routes::navigate(Route::SignIn);
    let client = client();
    leptos::task::spawn_local(async move {
        // The server ends the session (the key is already gone here); its own idle limit
        // ends a session this request cannot reach.
        let _ = client.logout().await;
    });
}

#[cfg(test)]
mod tests {
    use super::active_elsewhere;

    #[test]
    fn activity_elsewhere_is_what_the_server_saw_after_this_page() {
        const TIMEOUT: u64 = 900_000;
        // The server's last activity is now - (timeout - remaining).
        // Used in the widget a minute after this page's last activity: elsewhere.
        assert!(active_elsewhere(1_000_000, TIMEOUT - 10_000, TIMEOUT, 930_000));
        // The server's record is this page's own last request (or older): not elsewhere.
        assert!(!active_elsewhere(1_000_000, TIMEOUT - 70_000, TIMEOUT, 930_000));
        assert!(!active_elsewhere(1_000_000, TIMEOUT - 100_000, TIMEOUT, 930_000));
        // Within the margin: not enough to tell.
        assert!(!active_elsewhere(1_000_000, TIMEOUT - 67_000, TIMEOUT, 930_000));
        // An expired server session is never activity.
        assert!(!active_elsewhere(1_000_000, 0, TIMEOUT, 930_000));
    }
}
