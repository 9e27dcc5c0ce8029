//! What to tell the user when a call fails: the API's problem types in plain language, each
//! with what to do next.

use bizing_sdk::ClientError;

/// A message for `error`, for an inline alert.
#[must_use]
pub fn message(error: &ClientError) -> String {
    if let ClientError::Network(_) = error {
        return "The portal cannot reach the clinic's server. Check your connection, then try again.".into();
    }
    let Some(problem) = error.problem() else {
        return format!("Something went wrong in the portal ({error}). Reload the page and try again.");
    };
    let text = match problem.slug() {
        Some("wrong-credentials") => "That email and password do not match an account. Check both and try again.",
        Some("account-locked") => {
            "This account is locked for 15 minutes after too many failed attempts. Wait, then try again, or call the clinic."
        }
        Some("wrong-code") => {
            "That code is not right. Enter the 6-digit code your authenticator app shows now, or one of your recovery codes."
        }
        Some("code-already-used") => {
            "That code was already used. Wait for your authenticator app to show a new code, then enter it."
        }
        Some("account-exists") => "An account with this email already exists. Sign in instead.",
        Some("not-signed-in" | "session-expired") => "Your session has ended. Sign in again.",
        Some("mfa-required") => "Finish signing in with your second factor first.",
        Some("npp-acknowledgment-required" | "npp-outdated") => {
            "The clinic's privacy notice changed. Read and acknowledge the current notice to continue."
        }
        Some("no-enrollment") => "Start the authenticator set-up again.",
        Some("slot-taken") => "Someone has just taken that time. Choose another of the free times below.",
        Some("booking-started") => {
            "This booking has already started, so it can no longer be changed online. Call the clinic."
        }
        Some("booking-cancelled") => "This booking is already cancelled. Reload the page to see it as it is now.",
        Some("not-found") => "The clinic's server does not know this record any more. Reload the page.",
        Some("step-up-required") => {
            "Confirm it is you: enter a code from your authenticator app or a recovery code, then send again."
        }
        Some("correction-exists") => "That request was already sent. Reload the page to see it.",
        Some("invalid-envelope") => {
            "Your text could not be encrypted for the clinic. Reload the page, sign in again and retry."
        }
        Some("not-denied") => "A statement of disagreement can only follow a denial.",
        Some("disagreement-filed") => "You have already filed a statement for this request.",
        Some("check-in-not-open") => "Check-in opens 24 hours before the booking starts.",
        Some("check-in-closed") => "This booking has ended, so it can no longer be checked in.",
        Some("already-checked-in") => "This patient is already checked in. Reload the schedule to see it.",
        Some("invalid-invitation") => {
            "That invitation code does not work: it may be mistyped, used, revoked or expired, or for another email. Ask your clinic's admin for a new one."
        }
        Some("last-admin") => "The clinic needs at least one admin: make someone else an admin first.",
        Some("restriction-exists") => "That request was already sent. Reload the page to see it.",
        Some("restriction-not-pending") => "This request was already decided or withdrawn. Reload the page to see it.",
        Some("restriction-closed") => "This request can no longer be withdrawn. Reload the page to see it.",
        Some("no-clinic-key") => "The clinic has not set up its encryption key yet. Call the clinic.",
        Some("wrong-recipients") => {
            "Your text was not encrypted for the clinic's current key. Reload the page and send it again."
        }
        Some("rate-limited") => {
            return match problem.retry_after {
                Some(seconds) => format!("Too many requests. Wait {seconds} seconds, then try again."),
                None => "Too many requests. Wait a minute, then try again.".into(),
            };
        }
        _ => {
            return match &problem.detail {
                Some(detail) => format!("{}: {detail}.", problem.title),
                None => format!("{} (error {}). Try again, or call the clinic.", problem.title, problem.status),
            };
        }
    };
    text.to_owned()
}

/// Whether `error` means the server no longer knows this session.
#[must_use]
pub fn session_gone(error: &ClientError) -> bool {
    error.is_problem("not-signed-in") || error.is_problem("session-expired") || error.is_problem("mfa-required")
}
