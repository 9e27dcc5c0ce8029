//! [`BookingClient`] for the front desk and the patient's privacy preferences: checking a
//! patient in, a clinic's bookings of a range of days, the confidential contact (HIPAA
//! confidential communications) and restriction requests. The Rust API first (for the Leptos
//! apps), then the JavaScript exports and their TypeScript types. (Kept in its own file so
//! the client's other areas grow without touching it.)

#[cfg(feature = "js")]
use bizing_core::api::restriction_context;
use bizing_core::api::{
    Booking, BookingsResponse, ConfidentialContact, CreateRestrictionRequest, DecideRestrictionRequest, Preferences,
    Restriction, RestrictionsResponse, SetConfidentialContact,
};
#[cfg(feature = "js")]
use wasm_bindgen::prelude::*;

use super::{BookingClient, ClientError, booking_path, json, parse_body, segment};
#[cfg(feature = "js")]
use super::{Call, JsBookingClient, body, context_object, member, optional_member, text_arg};

/// `/api/bookings?from=…&to=…`
fn bookings_between_path(from: &str, to: &str) -> String {
    format!("/api/bookings?from={}&to={}", segment(from), segment(to))
}

/// `/api/restrictions/{id}/{action}`
fn restriction_path(id: &str, action: &str) -> String {
    format!("/api/restrictions/{}/{action}", segment(id))
}

const CONTACT_PATH: &str = "/api/preferences/confidential-contact";

impl BookingClient {
    /// `POST /api/bookings/{id}/check-in`: checks the patient in (receptionists, admins, the
    /// booking's provider), from 24 hours before the start until the end.
    ///
    /// # Errors
    /// `check-in-not-open`, `check-in-closed`, `already-checked-in`, `booking-cancelled`,
    /// `forbidden` (the patient), `not-found`.
    pub async fn check_in(&self, booking_id: &str) -> Result<Booking, ClientError> {
        self.post::<(), _>(&booking_path(booking_id, "/check-in"), None).await
    }

    /// `GET /api/bookings?from=&to=`: the bookings the caller may see that start on the
    /// clinic-local days `from` (included) to `to` (excluded), both `YYYY-MM-DD`, at most 62
    /// days apart.
    ///
    /// # Errors
    /// `invalid-range`; as every call.
    pub async fn bookings_between(&self, from: &str, to: &str) -> Result<BookingsResponse, ClientError> {
        self.get(&bookings_between_path(from, to)).await
    }

    /// `GET /api/preferences`: the signed-in patient's confidential contact and restriction
    /// requests.
    ///
    /// # Errors
    /// `forbidden` for staff; as every call.
    pub async fn preferences(&self) -> Result<Preferences, ClientError> {
        self.get("/api/preferences").await
    }

    /// `PUT /api/preferences/confidential-contact`: how and where the clinic should contact
    /// the signed-in patient instead of their usual details; answers with it as stored
    /// (trimmed). Needs a recent step-up.
    ///
    /// # Errors
    /// `step-up-required` (then [`BookingClient::step_up`] and retry), `invalid-contact`,
    /// `npp-acknowledgment-required`, `forbidden` for staff.
    pub async fn set_confidential_contact(
        &self,
        contact: &SetConfidentialContact,
    ) -> Result<ConfidentialContact, ClientError> {
        parse_body(&self.request("PUT", CONTACT_PATH, Some(json(contact)?)).await?)
    }

    /// `DELETE /api/preferences/confidential-contact`: removes it. Needs a recent step-up.
    ///
    /// # Errors
    /// `step-up-required`, `forbidden` for staff.
    pub async fn clear_confidential_contact(&self) -> Result<(), ClientError> {
        self.request("DELETE", CONTACT_PATH, None).await.map(drop)
    }

    /// A fresh restriction id (16 random bytes, base64url): pick it before sealing the
    /// details, since their context names the request
    /// ([`bizing_core::api::restriction_context`]).
    ///
    /// # Errors
    /// `RandomUnavailable` without a secure random number generator.
    pub fn new_restriction_id() -> Result<String, ClientError> {
        Self::new_booking_id()
    }

    /// `POST /api/restrictions`: asks for a restriction on uses or disclosures, the details
    /// sealed under `restriction_context(tenant, id)` to exactly the clinic's current key and
    /// the patient's own key. Needs a recent step-up.
    ///
    /// # Errors
    /// `step-up-required`, `wrong-recipients`, `invalid-envelope`, `invalid-id`,
    /// `restriction-exists`, `no-clinic-key`.
    pub async fn create_restriction(&self, request: &CreateRestrictionRequest) -> Result<Restriction, ClientError> {
        self.post("/api/restrictions", Some(request)).await
    }

    /// `GET /api/restrictions`: the signed-in patient's requests, or (an admin) the clinic's,
    /// newest first.
    ///
    /// # Errors
    /// `forbidden` for receptionists and providers.
    pub async fn restrictions(&self) -> Result<RestrictionsResponse, ClientError> {
        self.get("/api/restrictions").await
    }

    /// `POST /api/restrictions/{id}/decide` (admins): agrees to or denies a pending request; a
    /// denial needs a reason. A `health-plan` request about care the patient paid for in full
    /// out of pocket must be agreed to (HIPAA), unless a law requires the disclosure.
    ///
    /// # Errors
    /// `invalid-reason`, `reason-too-large`, `restriction-not-pending`, `forbidden`,
    /// `not-found`.
    pub async fn decide_restriction(
        &self,
        id: &str,
        request: &DecideRestrictionRequest,
    ) -> Result<Restriction, ClientError> {
        self.post(&restriction_path(id, "decide"), Some(request)).await
    }

    /// `POST /api/restrictions/{id}/withdraw`: the patient withdraws their pending or agreed
    /// request. Needs a recent step-up.
    ///
    /// # Errors
    /// `step-up-required`, `restriction-closed`, `forbidden`, `not-found`.
    pub async fn withdraw_restriction(&self, id: &str) -> Result<Restriction, ClientError> {
        self.post::<(), _>(&restriction_path(id, "withdraw"), None).await
    }
}

// ---------------------------------------------------------------------------------------
// JavaScript

#[cfg(feature = "js")]
#[wasm_bindgen(typescript_custom_section)]
const TS_PREFERENCES_TYPES: &str = r#"
/** The query of `GET /api/bookings` (`client.bookingsBetween(from, to)`): clinic-local days. */
export interface BookingsQuery {
  /** YYYY-MM-DD, included. */
  from?: string;
  /** YYYY-MM-DD, excluded; at most 62 days after `from`. */
  to?: string;
}

export type ContactMethod = "phone" | "email" | "mail";
/** `client.setConfidentialContact(...)`: how and where to contact the patient instead. */
export interface SetConfidentialContact {
  method: ContactMethod;
  /** A phone number (3+ digits, one line), an email address, or a postal address (line breaks allowed). */
  value: string;
  /** e.g. "no voicemail". */
  instructions?: string;
}
export interface ConfidentialContact {
  method: ContactMethod;
  value: string;
  instructions?: string;
  /** RFC 3339, UTC. */
  updatedAt: string;
}

export type RestrictionKind = "health-plan" | "other";
export type RestrictionStatus = "pending" | "agreed" | "denied" | "withdrawn";
/** `client.createRestriction(...)`: the details sealed under `BookingClient.restrictionContext(tenantId, id)`. */
export interface CreateRestrictionRequest {
  /** From `BookingClient.newRestrictionId()`. */
  id: string;
  kind: RestrictionKind;
  /** `bze1.…`, sealed to exactly the clinic's current key and the patient's own key. */
  details: string;
}
export interface DecideRestrictionRequest {
  decision: "agreed" | "denied";
  /** Required to deny; at most 2000 characters. */
  reason?: string;
}
export interface Restriction {
  id: string;
  tenantId: string;
  patientId: string;
  /** In an admin's view only. */
  patientName?: string;
  kind: RestrictionKind;
  status: RestrictionStatus;
  /** `bze1.…` */
  details: string;
  requestedAt: string;
  decidedAt?: string;
  decidedBy?: string;
  decidedByName?: string;
  reason?: string;
  withdrawnAt?: string;
  updatedAt: string;
}
export interface RestrictionsResponse { restrictions: Restriction[]; }
/** `client.preferences()`: the signed-in patient's own. */
export interface Preferences {
  confidentialContact?: ConfidentialContact;
  restrictions: Restriction[];
}
"#;

#[cfg(feature = "js")]
#[wasm_bindgen(js_class = BookingClient)]
impl JsBookingClient {
    /// Checks the patient in (receptionists, admins, the booking's provider).
    #[wasm_bindgen(js_name = checkIn, unchecked_return_type = "Promise<Booking>")]
    pub fn check_in(&self, #[wasm_bindgen(unchecked_param_type = "string")] booking_id: JsValue) -> js_sys::Promise {
        self.call(text_arg(&booking_id, "bookingId").map(|id| ("POST", booking_path(&id, "/check-in"), None)))
    }

    /// The bookings the caller may see that start on the clinic-local days `from` (included)
    /// to `to` (excluded), both "YYYY-MM-DD".
    #[wasm_bindgen(js_name = bookingsBetween, unchecked_return_type = "Promise<BookingsResponse>")]
    pub fn bookings_between(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] from: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] to: JsValue,
    ) -> js_sys::Promise {
        self.call((|| Ok(("GET", bookings_between_path(&text_arg(&from, "from")?, &text_arg(&to, "to")?), None)))())
    }

    /// The signed-in patient's confidential contact and restriction requests.
    #[wasm_bindgen(unchecked_return_type = "Promise<Preferences>")]
    pub fn preferences(&self) -> js_sys::Promise {
        self.call(Ok(("GET", "/api/preferences".into(), None)))
    }

    /// Sets how and where the clinic should contact the patient instead (after a step-up).
    #[wasm_bindgen(js_name = setConfidentialContact, unchecked_return_type = "Promise<ConfidentialContact>")]
    pub fn set_confidential_contact(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SetConfidentialContact")] contact: JsValue,
    ) -> js_sys::Promise {
        let call = || -> Result<Call, ClientError> {
            let members = [
                ("method", Some(member(&contact, "method")?)),
                ("value", Some(member(&contact, "value")?)),
                ("instructions", optional_member(&contact, "instructions")?),
            ];
            Ok(("PUT", CONTACT_PATH.into(), body(&members)?))
        };
        self.call(call())
    }

    /// Removes the confidential contact (after a step-up).
    #[wasm_bindgen(js_name = clearConfidentialContact, unchecked_return_type = "Promise<void>")]
    pub fn clear_confidential_contact(&self) -> js_sys::Promise {
        self.call(Ok(("DELETE", CONTACT_PATH.into(), None)))
    }

    /// A fresh restriction id, to seal the details to before `createRestriction`.
    #[wasm_bindgen(js_name = newRestrictionId)]
    pub fn new_restriction_id() -> Result<String, JsValue> {
        Ok(BookingClient::new_restriction_id()?)
    }

    /// The context a restriction request's details are sealed under.
    #[wasm_bindgen(js_name = restrictionContext, unchecked_return_type = "EnvelopeContext")]
    pub fn restriction_context(tenant_id: String, restriction_id: String) -> JsValue {
        context_object(&restriction_context(&tenant_id, &restriction_id))
    }

    /// Asks for a restriction on uses or disclosures (after a step-up).
    #[wasm_bindgen(js_name = createRestriction, unchecked_return_type = "Promise<Restriction>")]
    pub fn create_restriction(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CreateRestrictionRequest")] request: JsValue,
    ) -> js_sys::Promise {
        let call = || -> Result<Call, ClientError> {
            let members = [
                ("id", Some(member(&request, "id")?)),
                ("kind", Some(member(&request, "kind")?)),
                ("details", Some(member(&request, "details")?)),
            ];
            Ok(("POST", "/api/restrictions".into(), body(&members)?))
        };
        self.call(call())
    }

    /// The patient's restriction requests, or (admins) the clinic's, newest first.
    #[wasm_bindgen(unchecked_return_type = "Promise<RestrictionsResponse>")]
    pub fn restrictions(&self) -> js_sys::Promise {
        self.call(Ok(("GET", "/api/restrictions".into(), None)))
    }

    /// Agrees to or denies a pending restriction request (admins; a denial needs a reason).
    #[wasm_bindgen(js_name = decideRestriction, unchecked_return_type = "Promise<Restriction>")]
    pub fn decide_restriction(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "DecideRestrictionRequest")] request: JsValue,
    ) -> js_sys::Promise {
        let call = || -> Result<Call, ClientError> {
            let id = text_arg(&id, "id")?;
            let members =
                [("decision", Some(member(&request, "decision")?)), ("reason", optional_member(&request, "reason")?)];
            Ok(("POST", restriction_path(&id, "decide"), body(&members)?))
        };
        self.call(call())
    }

    /// Withdraws one's pending or agreed restriction request (after a step-up).
    #[wasm_bindgen(js_name = withdrawRestriction, unchecked_return_type = "Promise<Restriction>")]
    pub fn withdraw_restriction(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> js_sys::Promise {
        self.call(text_arg(&id, "id").map(|id| ("POST", restriction_path(&id, "withdraw"), None)))
    }
}
