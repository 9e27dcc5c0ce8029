#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use base64ct::{Base64UrlUnpadded, Encoding};
use bizing_core::api::note_context;
use bizing_core::{Envelope, PublicKey, SealOptions};
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

/// A public key from its SEC1 base64url text, labelled with `version`.
fn key(sec1: &str, version: u32) -> Result<PublicKey, JsValue> {
    let bytes =
        Base64UrlUnpadded::decode_vec(sec1).map_err(|_| JsValue::from_str("a recipient key is not base64url"))?;
    PublicKey::from_sec1(&bytes)
        .and_then(|k| k.with_version(version))
        .map_err(|_| JsValue::from_str("a recipient key is not a valid P-256 public key"))
}

/// Seals a booking note (padded) under the context of `booking_id` at `tenant_id` to the
/// clinic's key (`clinic_key`, SEC1 base64url, at `clinic_version`) and, for a patient with an
/// account, to their key too (`patient_key`, SEC1 base64url, version 1); returns the
/// envelope's text form (`bze1.…`).
///
/// Takes the note by value so it is zeroized here once sealed.
///
/// # Errors
/// A key that is not a valid P-256 public key, or a sealing failure (no randomness).
#[wasm_bindgen(js_name = sealNote)]
pub fn seal_note(
    text: String,
    tenant_id: &str,
    booking_id: &str,
    clinic_key: &str,
    clinic_version: u32,
    patient_key: Option<String>,
) -> Result<String, JsValue> {
    let text = Zeroizing::new(text);
    let mut recipients = vec![key(clinic_key, clinic_version)?];
    if let Some(patient) = patient_key {
        recipients.push(key(&patient, 1)?);
    }
    let envelope = Envelope::seal(
        text.as_bytes(),
        &note_context(tenant_id, booking_id),
        &recipients,
        SealOptions::with_padding(true),
    )
    .map_err(|_| JsValue::from_str("the note could not be sealed"))?;
    Ok(envelope.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_to_the_clinic_and_the_patient_under_the_bookings_context() {
        let clinic = bizing_core::KeyPair::generate().unwrap();
        let patient = bizing_core::KeyPair::generate().unwrap();
        let clinic_v2 = clinic.public_key().with_version(2).unwrap();
        let sec1 = |k: &PublicKey| Base64UrlUnpadded::encode_string(&k.to_sec1());
        let sealed = seal_note(
            "knee pain".into(),
            "clinic-1",
            "booking-1",
            &sec1(clinic.public_key()),
            2,
            Some(sec1(patient.public_key())),
        )
        .unwrap();
        let envelope: Envelope = sealed.parse().unwrap();
        let ids = envelope.recipients();
        assert!(ids.contains(&clinic_v2.key_id()), "to the clinic key's version");
        assert!(ids.contains(&patient.public_key().key_id()));
        let opened = envelope.open_text(&patient, &note_context("clinic-1", "booking-1")).unwrap();
        assert_eq!(opened.as_str(), "knee pain");
        assert!(envelope.open_text(&patient, &note_context("clinic-1", "booking-2")).is_err(), "bound to the booking");
    }
}
