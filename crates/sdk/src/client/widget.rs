//! [`BookingClient`] for the booking widget: bookings by guests (no account), widget
//! sessions (a signed-in patient's session carried into the widget's cross-site iframe as a
//! bearer token), and the session's activity and time left. The Rust API first (for the
//! Leptos apps), then the JavaScript exports and their TypeScript types. (Kept in its own
//! file so the client's other areas grow without touching it.)
//!
//! The flow of a widget session: the widget opens the portal in a popup on the booking origin
//! (`/portal/#/widget-link`), where the session cookie works; the portal calls
//! [`BookingClient::widget_session`] and hands the token to the widget by `postMessage` (to
//! the booking origin only); the widget's client calls
//! [`BookingClient::set_session_token`] and from then on sends `Authorization: Bearer` on
//! every request. The widget session lives only while the portal's does, and the widget's
//! [`BookingClient::record_activity`] keeps both alive. It cannot give a second factor:
//! calls that need one answer the problem `portal-required`.

use bizing_core::api::{CreateGuestBookingRequest, GuestBookingResponse, SessionStatus, WidgetSessionResponse};
#[cfg(feature = "js")]
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

use super::{BookingClient, ClientError, clinic_path};
#[cfg(feature = "js")]
use super::{Call, JsBookingClient, text_arg};

impl BookingClient {
    /// Sends `token` (a widget session's, from [`BookingClient::widget_session`]) as
    /// `Authorization: Bearer` on every request from now on, and no cookie; `None` goes back to
    /// the cookie. Kept in memory only, zeroized when replaced, and on logout.
    pub fn set_session_token(&self, token: Option<String>) {
        // The old token, if any, is zeroized as it is dropped here.
        *self.inner.session_token.borrow_mut() = token.map(Zeroizing::new);
    }

    /// Whether a widget session's token is set ([`BookingClient::set_session_token`]).
    #[must_use]
    pub fn has_session_token(&self) -> bool {
        self.inner.session_token.borrow().is_some()
    }

    /// `POST /api/clinics/{tenant}/guest-bookings` (no session): books a slot for a guest
    /// without an account. Pick the id with [`BookingClient::new_booking_id`] first and seal
    /// the note (if any) under `note_context(tenant_id, id)` to exactly the clinic's current key
    /// ([`BookingClient::clinic_key`]); `npp_version_hash` is the hash of the notice the guest
    /// acknowledged ([`BookingClient::clinic_npp`]). Check the guest's details with
    /// [`bizing_core::api::GuestDetails::checked`] to show the server's errors before sending.
    /// The answer carries the booking's id and status only.
    ///
    /// # Errors
    /// `invalid-guest`, `wrong-recipients`, `invalid-note`, `npp-outdated` (show the current
    /// notice again), `no-npp`, `no-clinic-key`, `slot-taken`, `booking-exists`,
    /// `origin-not-allowed`, `rate-limited` (with `retry_after`), and the slot's 400s as for
    /// [`BookingClient::create_booking`].
    pub async fn create_guest_booking(
        &self,
        tenant_id: &str,
        request: &CreateGuestBookingRequest,
    ) -> Result<GuestBookingResponse, ClientError> {
        self.post(&clinic_path(tenant_id, "guest-bookings"), Some(request)).await
    }

    /// `POST /api/auth/widget-session`: a widget session made from the signed-in patient's
    /// browser session (the portal's cookie). Hand `token` to the widget (by `postMessage`,
    /// to the booking origin only) and drop it here; never store it.
    ///
    /// # Errors
    /// `forbidden` for staff, `portal-required` from a widget session, `mfa-required`,
    /// `not-signed-in`, `session-expired`.
    pub async fn widget_session(&self) -> Result<WidgetSessionResponse, ClientError> {
        self.post::<(), _>("/api/auth/widget-session", None).await
    }

    /// `POST /api/auth/activity`: records activity on the session now (for a widget session,
    /// on the portal's too). Call it throttled, on user activity the server does not see.
    ///
    /// # Errors
    /// `not-signed-in`, `session-expired`, `mfa-required`.
    pub async fn record_activity(&self) -> Result<(), ClientError> {
        self.post_no_content::<()>("/api/auth/activity", None).await
    }

    /// `GET /api/auth/session`: how long the session has left, without counting as activity
    /// (so an idle timer can learn whether activity elsewhere, e.g. in the widget, kept it
    /// alive).
    ///
    /// # Errors
    /// `not-signed-in`, `session-expired` (it ended).
    pub async fn session_status(&self) -> Result<SessionStatus, ClientError> {
        self.get("/api/auth/session").await
    }
}

// ---------------------------------------------------------------------------------------
// JavaScript

#[cfg(feature = "js")]
#[wasm_bindgen(typescript_custom_section)]
const TS_WIDGET_TYPES: &str = r#"
/** Who books as a guest (no account). Checked by the server: `invalid-guest` names the field. */
export interface GuestDetails {
  /** 1 to 200 characters (trimmed). */
  name: string;
  /** An email address, at most 254 bytes. */
  email: string;
  /** Digits, spaces and + - ( ), at least 3 digits, at most 32 characters. */
  phone?: string;
}
/** `client.createGuestBooking(tenantId, request)`. */
export interface CreateGuestBookingRequest {
  /** From `BookingClient.newBookingId()`. */
  id: string;
  providerId: string;
  serviceId: string;
  /** A slot's `start`. */
  start: string;
  /** `bze1.…`, sealed under { tenantId, bookingId: id, field: "note", schemaVersion: 1 } to exactly the clinic's current key. */
  note?: string;
  guest: GuestDetails;
  /** The `hash` of the notice the guest acknowledged (`client.clinicNpp(tenantId)`). */
  nppVersionHash: string;
}
/** A guest booking's answer: nothing about the guest, the slot or the note. */
export interface GuestBookingResponse { id: string; status: "active" | "cancelled"; }
/** How to reach a guest, on their booking in a staff member's view. */
export interface GuestContact { email: string; phone?: string; }
/** `client.widgetSession()`: send `token` to the widget, which calls `setSessionToken(token)`. */
export interface WidgetSessionResponse { token: string; idleTimeoutSeconds: number; }
/** `client.sessionStatus()`: read without counting as activity. */
export interface SessionStatus { idleRemainingSeconds: number; absoluteRemainingSeconds: number; }
"#;

#[cfg(feature = "js")]
#[wasm_bindgen(js_class = BookingClient)]
impl JsBookingClient {
    /// Sends `token` (a widget session's) as `Authorization: Bearer` on every request, and no
    /// cookie; `null` or `undefined` goes back to the cookie. Kept in memory only; `logout()`
    /// zeroizes it.
    #[wasm_bindgen(js_name = setSessionToken)]
    pub fn set_session_token(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | null | undefined")] token: JsValue,
    ) -> Result<(), JsValue> {
        let token = if token.is_undefined() || token.is_null() { None } else { Some(text_arg(&token, "token")?) };
        self.client.set_session_token(token);
        Ok(())
    }

    /// Books a slot for a guest without an account (no session); resolves with the booking's
    /// id and status only.
    #[wasm_bindgen(js_name = createGuestBooking, unchecked_return_type = "Promise<GuestBookingResponse>")]
    pub fn create_guest_booking(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] tenant_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "CreateGuestBookingRequest")] request: JsValue,
    ) -> js_sys::Promise {
        let call = || -> Result<Call, ClientError> {
            let tenant_id = text_arg(&tenant_id, "tenantId")?;
            let members = [
                ("id", true),
                ("providerId", true),
                ("serviceId", true),
                ("start", true),
                ("note", false),
                ("guest", true),
                ("nppVersionHash", true),
            ];
            Ok(("POST", clinic_path(&tenant_id, "guest-bookings"), super::admin::pick(&request, &members)?))
        };
        self.call(call())
    }

    /// A widget session made from the signed-in patient's (cookie) session: hand its token to
    /// the widget.
    #[wasm_bindgen(js_name = widgetSession, unchecked_return_type = "Promise<WidgetSessionResponse>")]
    pub fn widget_session(&self) -> js_sys::Promise {
        self.call(Ok(("POST", "/api/auth/widget-session".into(), None)))
    }

    /// Records activity on the session now (for a widget session, on the portal's too).
    #[wasm_bindgen(js_name = recordActivity, unchecked_return_type = "Promise<void>")]
    pub fn record_activity(&self) -> js_sys::Promise {
        self.call(Ok(("POST", "/api/auth/activity".into(), None)))
    }

    /// How long the session has left, without counting as activity.
    #[wasm_bindgen(js_name = sessionStatus, unchecked_return_type = "Promise<SessionStatus>")]
    pub fn session_status(&self) -> js_sys::Promise {
        self.call(Ok(("GET", "/api/auth/session".into(), None)))
    }
}
