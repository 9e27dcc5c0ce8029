//! The key hierarchy through the public API: password-derived wrapping, recovery codes,
//! clinic keys wrapped to staff and rotated, and wrapped-key parsing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use bizing_core::{
    ClinicKey, Context, Envelope, KdfParams, KdfProfile, KeyPair, RecoveryCode, SealOptions, WrapError, WrappedKey,
    derive_password_keys,
};

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn fast_params() -> KdfParams {
    KdfParams::generate(KdfProfile::InsecureFastForTests).unwrap()
}

#[test]
fn private_key_wrapped_under_password_round_trips() {
    let params = fast_params();
    let user = KeyPair::generate().unwrap();
    let keys = derive_password_keys("tr0ub4dor&3", &params).unwrap();
    let wrapped = user.wrap_with_password(&keys.wrap_key).unwrap();
    // What the server stores: the text form and the params' text form.
    let stored = (wrapped.to_string(), params.to_string());
    assert!(stored.0.starts_with("bzk1."));

    let params: KdfParams = stored.1.parse().unwrap();
    let again = derive_password_keys("tr0ub4dor&3", &params).unwrap();
    let unwrapped = stored.0.parse::<WrappedKey>().unwrap().unwrap_with_password(&again.wrap_key).unwrap();
    assert_eq!(unwrapped, user);

    let wrong = derive_password_keys("tr0ub4dor&4", &params).unwrap();
    assert_eq!(wrapped.unwrap_with_password(&wrong.wrap_key), Err(WrapError::Decryption));
}

#[test]
fn private_key_wrapped_under_each_recovery_code() {
    let user = KeyPair::generate().unwrap();
    let codes = RecoveryCode::generate(10).unwrap();
    let wrapped: Vec<WrappedKey> = codes.iter().map(|c| user.wrap_with_recovery_code(c).unwrap()).collect();
    for (code, w) in codes.iter().zip(&wrapped) {
        // As the user types it: lower case, spaces instead of hyphens.
        let typed = code.to_display_string().to_lowercase().replace('-', " ");
        let parsed: RecoveryCode = typed.parse().unwrap();
        assert_eq!(w.unwrap_with_recovery_code(&parsed).unwrap(), user);
    }
    // A code opens only its own wrap.
    assert_eq!(wrapped[0].unwrap_with_recovery_code(&codes[1]), Err(WrapError::Decryption));
    // And a recovery wrap is not a password wrap.
    let keys = derive_password_keys("pw", &fast_params()).unwrap();
    assert!(matches!(wrapped[0].unwrap_with_password(&keys.wrap_key), Err(WrapError::WrongKind(_))));
}

#[test]
fn clinic_key_shared_with_staff_and_rotated() {
    let provider = KeyPair::generate().unwrap();
    let receptionist = KeyPair::generate().unwrap();
    let clinic_v1 = ClinicKey::create().unwrap();
    assert_eq!(clinic_v1.version(), 1);
    let for_provider = clinic_v1.wrap_for(provider.public_key()).unwrap();
    assert_eq!(for_provider.recipient(), Some(provider.key_id()));
    assert_eq!(for_provider.key_id(), clinic_v1.key_id());

    let ctx = Context::new("clinic-1", "booking-1", "note", 1);
    let env = Envelope::seal(b"note", &ctx, &[clinic_v1.public_key().clone()], SealOptions::default()).unwrap();

    // The provider unwraps the clinic key and reads the note.
    let unwrapped = ClinicKey::unwrap(&for_provider.to_string().parse().unwrap(), &provider).unwrap();
    assert_eq!(unwrapped, clinic_v1);
    assert_eq!(env.open(unwrapped.key_pair(), &ctx).unwrap().as_slice(), b"note");
    // Someone else holding the wrapped copy cannot.
    assert_eq!(ClinicKey::unwrap(&for_provider, &receptionist), Err(WrapError::Decryption));

    // Rotation: a new version with a new key; old notes move over by rewrap.
    let clinic_v2 = clinic_v1.rotate().unwrap();
    assert_eq!(clinic_v2.version(), 2);
    assert_ne!(clinic_v2.public_key().to_sec1(), clinic_v1.public_key().to_sec1());
    let moved =
        env.rewrap(clinic_v1.key_pair(), &ctx, &[clinic_v2.public_key().clone()], &[clinic_v1.key_id()]).unwrap();
    assert_eq!(moved.open(clinic_v2.key_pair(), &ctx).unwrap().as_slice(), b"note");
    assert!(moved.open(clinic_v1.key_pair(), &ctx).is_err());
    let v2_for_provider = clinic_v2.wrap_for(provider.public_key()).unwrap();
    assert_eq!(ClinicKey::unwrap(&v2_for_provider, &provider).unwrap().version(), 2);
}

#[test]
fn wrapped_keys_detect_tampering_and_bad_input() {
    let holder = KeyPair::generate().unwrap();
    let inner = KeyPair::generate().unwrap();
    let params = fast_params();
    let keys = derive_password_keys("pw", &params).unwrap();
    let code = RecoveryCode::generate(1).unwrap().remove(0);
    type Unwrap<'a> = &'a dyn Fn(&WrappedKey) -> Result<KeyPair, WrapError>;
    let cases: [(WrappedKey, Unwrap<'_>); 3] = [
        (inner.wrap_with_password(&keys.wrap_key).unwrap(), &|w| w.unwrap_with_password(&keys.wrap_key)),
        (inner.wrap_with_recovery_code(&code).unwrap(), &|w| w.unwrap_with_recovery_code(&code)),
        (inner.wrap_to(holder.public_key()).unwrap(), &|w| w.unwrap_with_key(&holder)),
    ];
    for (wrapped, unwrap) in &cases {
        let good = wrapped.to_bytes();
        assert_eq!(&unwrap(&WrappedKey::from_bytes(&good).unwrap()).unwrap(), &inner);
        for i in 0..good.len() {
            let mut bytes = good.clone();
            bytes[i] ^= 0x04;
            if let Ok(w) = WrappedKey::from_bytes(&bytes) {
                assert!(unwrap(&w).is_err(), "byte {i} flipped still unwrapped");
            }
        }
        for len in 0..good.len() {
            assert!(WrappedKey::from_bytes(&good[..len]).is_err());
        }
        let mut long = good.clone();
        long.push(0);
        assert_eq!(WrappedKey::from_bytes(&long), Err(WrapError::Malformed));
    }
    assert_eq!("bzk1.".parse::<WrappedKey>(), Err(WrapError::Truncated));
    assert_eq!("bzk2.AAAA".parse::<WrappedKey>(), Err(WrapError::Malformed));
    assert_eq!("bzk1.!!!!".parse::<WrappedKey>(), Err(WrapError::Malformed));
    assert_eq!(format!("bzk1.{}", "A".repeat(10_000)).parse::<WrappedKey>(), Err(WrapError::Malformed));
    let mut bad_version = cases[0].0.to_bytes();
    bad_version[3] = 9;
    assert_eq!(WrappedKey::from_bytes(&bad_version), Err(WrapError::UnsupportedVersion(9)));
    let mut bad_kind = cases[0].0.to_bytes();
    bad_kind[4] = 9;
    assert_eq!(WrappedKey::from_bytes(&bad_kind), Err(WrapError::UnsupportedKind(9)));
}

#[test]
fn wrapped_key_debug_shows_no_secret() {
    let inner = KeyPair::generate().unwrap();
    let keys = derive_password_keys("pw", &fast_params()).unwrap();
    let w = inner.wrap_with_password(&keys.wrap_key).unwrap();
    let shown = format!("{w:?} {keys:?}");
    assert!(shown.contains("under a password"));
    assert!(shown.contains("WrapKey(..)") && shown.contains("AuthKey(..)"));
}

#[test]
fn a_clinic_key_info_jwk_gives_back_the_key_and_version() {
    use bizing_core::api::PublicJwk;
    let clinic = KeyPair::generate().unwrap().with_version(3).unwrap();
    let jwk: PublicJwk = serde_json::from_str(&clinic.public_key().to_jwk()).unwrap();
    assert_eq!(jwk.to_public_key().unwrap(), *clinic.public_key());
    assert_eq!(jwk.to_public_key().unwrap().key_id().version(), 3);
    // A `kid` naming another key is refused.
    let mut wrong = jwk;
    wrong.kid = KeyPair::generate().unwrap().key_id().to_string();
    assert!(wrong.to_public_key().is_err());
}
