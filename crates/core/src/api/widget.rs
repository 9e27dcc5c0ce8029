//! The booking widget's calls: bookings by guests (no account), and widget sessions (a
//! signed-in patient's session, handed to the widget's cross-site iframe as a bearer token).
//!
//! **Guest bookings** (`POST /api/clinics/{tenant}/guest-bookings`, no session): the widget
//! sends the guest's details, their acknowledgment of the clinic's current Notice of Privacy
//! Practices and, optionally, a note sealed in the browser to the clinic's current key alone
//! (a guest has no key of their own) under [`crate::api::note_context`] of the booking id the
//! widget chose. The answer carries no PHI at all: the booking's id and status.
//!
//! **Widget sessions**: the session cookie is `SameSite=Strict`, so a cross-site iframe never
//! has it. A signed-in patient's portal (on the booking origin, where the cookie works) asks
//! `POST /api/auth/widget-session` for a child session and hands its token to the widget,
//! which sends it as `Authorization: Bearer <token>`. The child lives only while its parent
//! does, with the same idle timeout; its activity keeps the parent alive too. It cannot give
//! a second factor, so actions that need a fresh one answer `portal-required`.

use serde::{Deserialize, Serialize};

/// The longest guest name, in characters after trimming.
pub const MAX_GUEST_NAME_CHARS: usize = 200;

/// The longest guest email address, in bytes after trimming (RFC 5321's path limit).
pub const MAX_GUEST_EMAIL_LEN: usize = 254;

/// The longest guest phone number, in characters after trimming.
pub const MAX_GUEST_PHONE_LEN: usize = 32;

/// Who is booking as a guest: how the clinic knows and reaches them. Stored encrypted at rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GuestDetails {
    /// Their name: 1 to [`MAX_GUEST_NAME_CHARS`] characters after trimming, no control
    /// characters.
    pub name: String,
    /// Their email address: `local@domain`, no spaces, at most [`MAX_GUEST_EMAIL_LEN`]
    /// bytes. Never an account's sign-in: a guest cannot sign in.
    pub email: String,
    /// Their phone number, if they give one: digits, spaces and `+ - ( )`, at least 3 digits,
    /// at most [`MAX_GUEST_PHONE_LEN`] characters. Empty counts as none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// Which guest detail is unusable, and why ([`GuestDetails::checked`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GuestDetailsError {
    /// The name is empty, too long, or has control characters.
    #[error("name must be 1 to 200 characters of plain text")]
    Name,
    /// The email address does not look like one, or is too long.
    #[error("email must be an email address like name@example.org, at most 254 bytes")]
    Email,
    /// The phone number has other characters, too few digits, or is too long.
    #[error("phone must be digits, spaces and + - ( ), with at least 3 digits, at most 32 characters")]
    Phone,
}

impl GuestDetails {
    /// The details as the server stores them: the name and phone trimmed, the email trimmed
    /// and lower-cased, an empty phone dropped. The widget can call this before sending, to
    /// show the same errors the server would answer (`invalid-guest`).
    ///
    /// # Errors
    /// The first unusable detail.
    pub fn checked(&self) -> Result<Self, GuestDetailsError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > MAX_GUEST_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(GuestDetailsError::Name);
        }
        let email = self.email.trim().to_lowercase();
        let plausible = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            }
            None => false,
        };
        if !plausible || email.len() > MAX_GUEST_EMAIL_LEN {
            return Err(GuestDetailsError::Email);
        }
        let phone = match self.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            None => None,
            Some(phone) => {
                let allowed = phone.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')'));
                let digits = phone.chars().filter(char::is_ascii_digit).count();
                if !allowed || digits < 3 || phone.chars().count() > MAX_GUEST_PHONE_LEN {
                    return Err(GuestDetailsError::Phone);
                }
                Some(phone.to_owned())
            }
        };
        Ok(Self { name: name.to_owned(), email, phone })
    }
}

/// `POST /api/clinics/{tenant}/guest-bookings`: a guest (no account, no session) books a free
/// slot from the widget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateGuestBookingRequest {
    /// The booking's id, chosen by the client (16 random bytes, unpadded base64url) so that
    /// it can seal the note to it before sending.
    pub id: String,
    /// The provider.
    pub provider_id: String,
    /// The service.
    pub service_id: String,
    /// The slot's start, RFC 3339, as [`crate::api::Slot::start`].
    pub start: String,
    /// The note, sealed in the browser (`bze1.…`, at most [`crate::api::MAX_NOTE_LEN`]
    /// bytes) under [`crate::api::note_context`] of `id`, to exactly the clinic's current key
    /// (`GET /api/clinics/{tenant}/clinic-key`) and no other recipient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Who is booking.
    pub guest: GuestDetails,
    /// The hash of the Notice of Privacy Practices the guest read and acknowledged: the
    /// clinic's current one (`GET /api/clinics/{tenant}/npp`), else 409 `npp-outdated`.
    pub npp_version_hash: String,
}

/// The answer to a guest booking: nothing about the guest, the note or the slot, so the host
/// page may see it (the widget's `booking-succeeded` event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GuestBookingResponse {
    /// The booking's id (the one sent).
    pub id: String,
    /// Its status: active.
    pub status: crate::api::BookingStatus,
}

/// A guest's contact details on a booking in a staff member's view
/// ([`crate::api::Booking::guest`]): present exactly when the booking was made by a guest,
/// so it also marks the booking as a guest booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GuestContact {
    /// The email address the guest gave.
    pub email: String,
    /// The phone number the guest gave, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// `POST /api/auth/widget-session`: a child session for the booking widget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WidgetSessionResponse {
    /// The bearer token (256 random bits, base64url): send it as
    /// `Authorization: Bearer <token>`. Keep it in memory only.
    pub token: String,
    /// The child session ends after this long without a request (the parent's idle
    /// timeout), and at the latest with the parent session.
    pub idle_timeout_seconds: u64,
}

/// `GET /api/auth/session`: how long the caller's session has left, read without counting
/// as activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionStatus {
    /// Seconds until the session ends unless there is activity. Activity is recorded at most
    /// every 15 seconds, so this may be up to 15 seconds short, never long.
    pub idle_remaining_seconds: u64,
    /// Seconds until the session ends whatever happens (its absolute lifetime; for a widget
    /// session, its parent's).
    pub absolute_remaining_seconds: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guest(name: &str, email: &str, phone: Option<&str>) -> GuestDetails {
        GuestDetails { name: name.into(), email: email.into(), phone: phone.map(Into::into) }
    }

    #[test]
    fn guest_details_are_trimmed_and_checked() {
        let ok = guest("  Gina Guest ", " Gina@Example.ORG ", Some(" +1 (555) 010-0199 ")).checked().unwrap();
        assert_eq!(ok, guest("Gina Guest", "gina@example.org", Some("+1 (555) 010-0199")));
        assert_eq!(guest("G", "g@x", Some("  ")).checked().unwrap().phone, None);
        assert_eq!(guest(&"é".repeat(200), "g@x", None).checked().map(|g| g.name.chars().count()), Ok(200));
        for (bad, why) in [
            (guest(" ", "g@x", None), GuestDetailsError::Name),
            (guest(&"n".repeat(201), "g@x", None), GuestDetailsError::Name),
            (guest("a\u{7}b", "g@x", None), GuestDetailsError::Name),
            (guest("G", "gx", None), GuestDetailsError::Email),
            (guest("G", "@x", None), GuestDetailsError::Email),
            (guest("G", "g@", None), GuestDetailsError::Email),
            (guest("G", "g h@x", None), GuestDetailsError::Email),
            (guest("G", "g@x@y", None), GuestDetailsError::Email),
            (guest("G", "g@.x", None), GuestDetailsError::Email),
            (guest("G", &format!("{}@x.org", "g".repeat(250)), None), GuestDetailsError::Email),
            (guest("G", "g@x", Some("call me")), GuestDetailsError::Phone),
            (guest("G", "g@x", Some("+1")), GuestDetailsError::Phone),
            (guest("G", "g@x", Some(&"1".repeat(33))), GuestDetailsError::Phone),
            (guest("G", "g@x", Some("555\n0100")), GuestDetailsError::Phone),
        ] {
            assert_eq!(bad.checked(), Err(why), "{bad:?}");
        }
    }

    #[test]
    fn wire_names() {
        let request = CreateGuestBookingRequest {
            id: "AAAAAAAAAAAAAAAAAAAAAA".into(),
            provider_id: "p".into(),
            service_id: "s".into(),
            start: "2027-03-15T09:00:00-04:00".into(),
            note: None,
            guest: guest("G", "g@x", None),
            npp_version_hash: "00".into(),
        };
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "id": "AAAAAAAAAAAAAAAAAAAAAA", "providerId": "p", "serviceId": "s",
                "start": "2027-03-15T09:00:00-04:00", "guest": { "name": "G", "email": "g@x" },
                "nppVersionHash": "00"
            })
        );
        let status = SessionStatus { idle_remaining_seconds: 1, absolute_remaining_seconds: 2 };
        assert_eq!(
            serde_json::to_value(status).unwrap(),
            serde_json::json!({ "idleRemainingSeconds": 1, "absoluteRemainingSeconds": 2 })
        );
        let widget = WidgetSessionResponse { token: "t".into(), idle_timeout_seconds: 900 };
        assert_eq!(
            serde_json::to_value(widget).unwrap(),
            serde_json::json!({ "token": "t", "idleTimeoutSeconds": 900 })
        );
    }
}
