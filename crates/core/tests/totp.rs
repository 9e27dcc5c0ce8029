//! TOTP/HOTP through the public API: the RFC 4226 and RFC 6238 vectors, the verification
//! window and replay, `otpauth://` round trips and every rejection, and the QR code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use bizing_core::totp::{
    Algorithm, Digits, MAX_URI_LEN, QR_MIN_SIZE, QrSvgError, Window, enroll, enroll_with_rng, hotp, qr_svg,
};
use bizing_core::{OtpauthUriError, Totp, TotpError, TotpParams, TotpSecret, TotpSecretError};
use common::TestRng;
use proptest::prelude::*;
use serde_json::Value;

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// From RFC 6238 Appendix B (provenance in `data/README.md`).
const RFC6238: &str = include_str!("data/rfc6238_totp.json");
/// From RFC 4226 Appendix D (provenance in `data/README.md`).
const RFC4226: &str = include_str!("data/rfc4226_hotp.json");

/// The 20-byte RFC seed, base32.
const RFC_SEED_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

fn rfc_secret() -> TotpSecret {
    TotpSecret::from_bytes(b"12345678901234567890").unwrap()
}

fn totp(params: TotpParams) -> Totp {
    Totp::new(rfc_secret(), params, "Acme", "alice@example.com").unwrap()
}

fn default_totp() -> Totp {
    totp(TotpParams::default())
}

// ---------------------------------------------------------------------------------------------
// Known-answer vectors
// ---------------------------------------------------------------------------------------------

#[test]
fn rfc4226_hotp_vectors() {
    let data: Value = serde_json::from_str(RFC4226).unwrap();
    let secret = TotpSecret::from_bytes(&hex::decode(data["secret_hex"].as_str().unwrap()).unwrap()).unwrap();
    assert_eq!(data["parameters"]["digits"], 6);
    let vectors = data["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 10);
    for v in vectors {
        let count = v["count"].as_u64().unwrap();
        let expected = v["hotp"].as_str().unwrap();
        assert_eq!(hotp(&secret, count, Digits::Six, Algorithm::Sha1), expected, "count {count}");
        // The 8-digit form ends in the 6-digit code, padded from the same 31-bit value.
        let truncated = v["truncated_decimal"].as_u64().unwrap();
        assert_eq!(hotp(&secret, count, Digits::Eight, Algorithm::Sha1), format!("{:08}", truncated % 100_000_000));
    }
}

#[test]
fn rfc6238_totp_vectors_all_18() {
    let data: Value = serde_json::from_str(RFC6238).unwrap();
    assert_eq!(data["parameters"]["time_step_x"], 30);
    assert_eq!(data["parameters"]["t0"], 0);
    assert_eq!(data["parameters"]["digits"], 8);
    let vectors = data["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 18);
    let mut per_mode = [0usize; 3];
    for v in vectors {
        let mode = v["mode"].as_str().unwrap();
        let algorithm = Algorithm::from_name(mode).unwrap();
        let seed = hex::decode(data["seeds_hex"][mode].as_str().unwrap()).unwrap();
        assert_eq!(seed, data["seeds_ascii"][mode].as_str().unwrap().as_bytes());
        let t = Totp::new(
            TotpSecret::from_bytes(&seed).unwrap(),
            TotpParams { algorithm, digits: Digits::Eight, period: 30 },
            "RFC 6238",
            "test",
        )
        .unwrap();
        let time = v["time"].as_u64().unwrap();
        let step = v["t"].as_u64().unwrap();
        let expected = v["totp"].as_str().unwrap();
        assert_eq!(u64::from_str_radix(v["t_hex"].as_str().unwrap(), 16).unwrap(), step);
        assert_eq!(t.step_at(time), step, "{mode} at {time}");
        assert_eq!(t.code_at(time), expected, "{mode} at {time}");
        assert_eq!(t.code_at_step(step), expected);
        assert_eq!(hotp(t.secret(), step, Digits::Eight, algorithm), expected);
        assert_eq!(t.verify(expected, time, Window::DEFAULT), Some(step), "{mode} at {time}");
        // The vectors survive the URI too (the 64-byte seed included).
        assert_eq!(Totp::from_uri(&t.to_uri()).unwrap().code_at(time), expected);
        per_mode[algorithm as usize] += 1;
    }
    assert_eq!(per_mode, [6, 6, 6]);
}

#[test]
fn the_20_byte_seed_does_not_give_the_sha256_codes() {
    // The note in the vector file: SHA256/SHA512 use 32/64-byte seeds, not the 20-byte one.
    let t = totp(TotpParams { algorithm: Algorithm::Sha256, digits: Digits::Eight, period: 30 });
    assert_ne!(t.code_at(59), "46119246");
}

#[test]
fn six_digit_codes_are_the_last_six_of_eight() {
    let six = default_totp();
    let eight = totp(TotpParams { digits: Digits::Eight, ..TotpParams::default() });
    for time in [0, 59, 1_111_111_109, 1_234_567_890, 2_000_000_000, 20_000_000_000] {
        assert_eq!(six.code_at(time), eight.code_at(time)[2..]);
        assert_eq!(six.code_at(time).len(), 6);
    }
    assert_eq!(six.code_at(59), "287082");
}

#[test]
fn other_periods() {
    let t = totp(TotpParams { period: 60, ..TotpParams::default() });
    assert_eq!(t.step_at(119), 1);
    assert_eq!(t.code_at(119), hotp(&rfc_secret(), 1, Digits::Six, Algorithm::Sha1));
    let t = totp(TotpParams { period: 1, ..TotpParams::default() });
    assert_eq!(t.step_at(7), 7);
    // Periods above the URI limit still compute; they just cannot be exported and re-read.
    let t = totp(TotpParams { period: 86_400, ..TotpParams::default() });
    assert_eq!(t.step_at(86_400 * 3 + 5), 3);
    assert_eq!(Totp::from_uri(&t.to_uri()), Err(OtpauthUriError::InvalidPeriod));
}

// ---------------------------------------------------------------------------------------------
// Verification window and replay
// ---------------------------------------------------------------------------------------------

/// 1111111111 is second 1 of step 37037037 (RFC 6238).
const NOW: u64 = 1_111_111_111;
const STEP: u64 = 37_037_037;

#[test]
fn default_window_is_previous_and_current() {
    assert_eq!(Window::default(), Window::DEFAULT);
    assert_eq!(Window::DEFAULT, Window::new(1, 0));
    let t = default_totp();
    assert_eq!(t.step_at(NOW), STEP);
    assert_eq!(t.verify(&t.code_at_step(STEP), NOW, Window::DEFAULT), Some(STEP));
    assert_eq!(t.verify(&t.code_at_step(STEP - 1), NOW, Window::DEFAULT), Some(STEP - 1), "previous step is reported");
    assert_eq!(t.verify(&t.code_at_step(STEP + 1), NOW, Window::DEFAULT), None, "next step refused");
    assert_eq!(t.verify(&t.code_at_step(STEP - 2), NOW, Window::DEFAULT), None, "two steps back refused");
}

#[test]
fn wider_windows() {
    let t = default_totp();
    assert_eq!(t.verify(&t.code_at_step(STEP + 1), NOW, Window::new(1, 1)), Some(STEP + 1));
    assert_eq!(t.verify(&t.code_at_step(STEP - 2), NOW, Window::new(2, 0)), Some(STEP - 2));
    assert_eq!(t.verify(&t.code_at_step(STEP - 3), NOW, Window::new(2, 5)), None);
    assert_eq!(t.verify(&t.code_at_step(STEP + 5), NOW, Window::new(2, 5)), Some(STEP + 5));
    let exact = Window::new(0, 0);
    assert_eq!(t.verify(&t.code_at_step(STEP), NOW, exact), Some(STEP));
    assert_eq!(t.verify(&t.code_at_step(STEP - 1), NOW, exact), None);
}

#[test]
fn a_code_lives_for_one_to_two_periods() {
    let t = default_totp();
    let code = t.code_at(1_111_111_109); // last second of step 37037036
    assert_eq!(t.verify(&code, 1_111_111_109, Window::DEFAULT), Some(STEP - 1));
    assert_eq!(t.verify(&code, 1_111_111_110, Window::DEFAULT), Some(STEP - 1));
    assert_eq!(t.verify(&code, 1_111_111_139, Window::DEFAULT), Some(STEP - 1));
    assert_eq!(t.verify(&code, 1_111_111_140, Window::DEFAULT), None);
    assert_eq!(t.verify(&code, 1_111_111_079, Window::DEFAULT), None, "a code from the future is refused");
}

#[test]
fn wrong_length_and_non_digits_refused() {
    let t = default_totp();
    let code = t.code_at(NOW);
    let eight = totp(TotpParams { digits: Digits::Eight, ..TotpParams::default() }).code_at(NOW);
    assert!(eight.ends_with(&code));
    for bad in [
        eight.as_str(),
        &code[..5],
        &format!("{code}0"),
        &format!(" {code}"),
        &format!("{code}\n"),
        &code.replace(|c: char| c == code.chars().next().unwrap(), "x"),
        "",
        "abcdef",
        "12345٣",
        "００００００",
    ] {
        assert_eq!(t.verify(bad, NOW, Window::new(10, 10)), None, "{bad:?}");
    }
    let t8 = totp(TotpParams { digits: Digits::Eight, ..TotpParams::default() });
    assert_eq!(t8.verify(&code, NOW, Window::DEFAULT), None, "six digits refused for an eight-digit TOTP");
    assert_eq!(t8.verify(&eight, NOW, Window::DEFAULT), Some(STEP));
}

#[test]
fn wrong_secret_refused() {
    let other = Totp::new(TotpSecret::from_bytes(&[7; 20]).unwrap(), TotpParams::default(), "Acme", "bob").unwrap();
    let t = default_totp();
    assert_ne!(other.code_at(NOW), t.code_at(NOW));
    assert_eq!(t.verify(&other.code_at(NOW), NOW, Window::DEFAULT), None);
}

#[test]
fn replay_is_detectable_because_the_step_is_reported() {
    let t = default_totp();
    let code = t.code_at(NOW);
    // First login: the server stores the reported step.
    let accepted = t.verify(&code, NOW, Window::DEFAULT).unwrap();
    assert_eq!(accepted, STEP);
    // The same code again, 10 s later: still inside the window, so plain verify matches the
    // same step and the server can compare it to the stored one...
    assert_eq!(t.verify(&code, NOW + 10, Window::DEFAULT), Some(accepted));
    // ...or let verify_after refuse it.
    assert_eq!(t.verify_after(&code, NOW + 10, Window::DEFAULT, Some(accepted)), None);
    // The previous step's code is older than the accepted one: refused too.
    assert_eq!(t.verify_after(&t.code_at_step(STEP - 1), NOW, Window::DEFAULT, Some(accepted)), None);
    // The next period's code is fresh.
    let next = t.code_at(NOW + 30);
    assert_eq!(t.verify_after(&next, NOW + 30, Window::DEFAULT, Some(accepted)), Some(STEP + 1));
    // With no stored step, verify_after is verify.
    assert_eq!(t.verify_after(&code, NOW, Window::DEFAULT, None), Some(STEP));
}

#[test]
fn step_zero_and_time_zero() {
    let t = default_totp();
    assert_eq!(t.verify(&t.code_at(0), 0, Window::DEFAULT), Some(0));
    assert_eq!(t.verify(&t.code_at(0), 29, Window::new(255, 0)), Some(0));
}

// ---------------------------------------------------------------------------------------------
// otpauth URIs
// ---------------------------------------------------------------------------------------------

#[test]
fn uri_exact_form() {
    assert_eq!(
        &*default_totp().to_uri(),
        "otpauth://totp/Acme:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
         &issuer=Acme&algorithm=SHA1&digits=6&period=30"
    );
    let t = Totp::new(
        rfc_secret(),
        TotpParams { algorithm: Algorithm::Sha512, digits: Digits::Eight, period: 60 },
        "Big Corp & Sons?",
        "a:b #1 100% ünï",
    )
    .unwrap();
    assert_eq!(
        &*t.to_uri(),
        "otpauth://totp/Big%20Corp%20%26%20Sons%3F:a%3Ab%20%231%20100%25%20%C3%BCn%C3%AF\
         ?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Big%20Corp%20%26%20Sons%3F\
         &algorithm=SHA512&digits=8&period=60"
    );
    assert_eq!(Totp::from_uri(&t.to_uri()).unwrap(), t);
}

#[test]
fn uri_forms_other_generators_produce() {
    let expected = default_totp();
    for uri in [
        // Issuer only as a parameter, label is the account alone.
        "otpauth://totp/alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme",
        // Issuer only in the label; defaults for algorithm, digits and period.
        "otpauth://totp/Acme:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        // Encoded separator and a space after it (Key Uri Format allows both).
        "otpauth://totp/Acme%3A%20alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme",
        "otpauth://totp/Acme: alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        // Case, padding, grouped secret, unknown parameters, trailing '&'.
        "OTPAUTH://TOTP/Acme:alice%40example.com?SECRET=gezdgnbvgy3tqojqgezdgnbvgy3tqojq%3D%3D%3D%3D\
         &algorithm=sha1&Digits=6&period=30&image=https%3A%2F%2Fexample.com%2Flogo.png&",
        "otpauth://totp/Acme:alice%40example.com?secret=GEZD%20GNBV%20GY3T%20QOJQ%20GEZD%20GNBV%20GY3T%20QOJQ",
    ] {
        assert_eq!(Totp::from_uri(uri).unwrap(), expected, "{uri}");
    }
}

#[test]
fn uri_rejections_each_have_a_reason() {
    use OtpauthUriError as E;
    let s = RFC_SEED_B32;
    let cases: Vec<(String, OtpauthUriError)> = vec![
        (format!("otpauth://totp/A:a?secret={s}&x={}", "y".repeat(MAX_URI_LEN)), E::TooLong),
        (format!("https://totp/A:a?secret={s}"), E::NotOtpauth),
        (format!("otpauth:totp/A:a?secret={s}"), E::NotOtpauth),
        (String::new(), E::NotOtpauth),
        (format!("otpauth://hotp/A:a?secret={s}&counter=0"), E::HotpNotSupported),
        (format!("otpauth://HOTP/A:a?secret={s}&counter=0"), E::HotpNotSupported),
        (format!("otpauth://xotp/A:a?secret={s}"), E::UnknownType),
        (format!("otpauth:///A:a?secret={s}"), E::UnknownType),
        (format!("otpauth://totp/?secret={s}&issuer=A"), E::MissingLabel),
        (format!("otpauth://totp?secret={s}&issuer=A"), E::MissingLabel),
        ("otpauth://totp".to_owned(), E::MissingLabel),
        (format!("otpauth://totp/A:a?secret={s}#frag"), E::Malformed("unescaped '#'")),
        (format!("otpauth://totp/A#:a?secret={s}"), E::Malformed("unescaped '#'")),
        (format!("otpauth://totp/A:a?secret={s}&digits"), E::Malformed("parameter without '='")),
        (format!("otpauth://totp/A:%FF?secret={s}"), E::Malformed("percent-encoding is not UTF-8")),
        (format!("otpauth://totp/A:a?secret={s}&secret={s}"), E::DuplicateParameter("secret".into())),
        (format!("otpauth://totp/A:a?secret={s}&Secret={s}"), E::DuplicateParameter("secret".into())),
        (format!("otpauth://totp/A:a?secret={s}&digits=6&digits=6"), E::DuplicateParameter("digits".into())),
        (format!("otpauth://totp/A:a?secret={s}&issuer=A&issuer=A"), E::DuplicateParameter("issuer".into())),
        (format!("otpauth://totp/A:a?secret={s}&image=x&image=y"), E::DuplicateParameter("image".into())),
        ("otpauth://totp/A:a?issuer=A&digits=6".to_owned(), E::MissingSecret),
        (
            "otpauth://totp/A:a?secret=GEZDGNBVGY3TQOJ1GEZDGNBVGY3TQOJQ".to_owned(),
            E::InvalidSecret(TotpSecretError::InvalidBase32),
        ),
        ("otpauth://totp/A:a?secret=".to_owned(), E::InvalidSecret(TotpSecretError::TooShort { len: 0 })),
        (
            "otpauth://totp/A:a?secret=JBSWY3DPEHPK3PXP".to_owned(),
            E::InvalidSecret(TotpSecretError::TooShort { len: 10 }),
        ),
        ("otpauth://totp/A:a?secret=%FF%FE".to_owned(), E::InvalidSecret(TotpSecretError::InvalidBase32)),
        (format!("otpauth://totp/A:a?secret={s}&algorithm=MD5"), E::UnsupportedAlgorithm),
        (format!("otpauth://totp/A:a?secret={s}&algorithm=SHA-256"), E::UnsupportedAlgorithm),
        (format!("otpauth://totp/A:a?secret={s}&algorithm="), E::UnsupportedAlgorithm),
        (format!("otpauth://totp/A:a?secret={s}&digits=5"), E::InvalidDigits),
        (format!("otpauth://totp/A:a?secret={s}&digits=9"), E::InvalidDigits),
        (format!("otpauth://totp/A:a?secret={s}&digits=six"), E::InvalidDigits),
        (format!("otpauth://totp/A:a?secret={s}&digits=+6"), E::InvalidDigits),
        (format!("otpauth://totp/A:a?secret={s}&digits=256"), E::InvalidDigits),
        (format!("otpauth://totp/A:a?secret={s}&digits="), E::InvalidDigits),
        (format!("otpauth://totp/A:a?secret={s}&period=0"), E::InvalidPeriod),
        (format!("otpauth://totp/A:a?secret={s}&period=3601"), E::InvalidPeriod),
        (format!("otpauth://totp/A:a?secret={s}&period=-30"), E::InvalidPeriod),
        (format!("otpauth://totp/A:a?secret={s}&period=30s"), E::InvalidPeriod),
        (format!("otpauth://totp/A:a?secret={s}&period=99999999999999999999999"), E::InvalidPeriod),
        (format!("otpauth://totp/alice?secret={s}"), E::MissingIssuer),
        (format!("otpauth://totp/Acme:alice?secret={s}&issuer=Evil"), E::IssuerMismatch),
        (format!("otpauth://totp/Acme:alice?secret={s}&issuer=acme"), E::IssuerMismatch),
        (format!("otpauth://totp/:alice?secret={s}&issuer=Acme"), E::IssuerMismatch),
        (format!("otpauth://totp/:alice?secret={s}"), E::InvalidLabel(TotpError::EmptyIssuer)),
        (format!("otpauth://totp/Acme:?secret={s}"), E::InvalidLabel(TotpError::EmptyAccount)),
        (format!("otpauth://totp/Acme:%20%20?secret={s}"), E::InvalidLabel(TotpError::EmptyAccount)),
        (format!("otpauth://totp/A%3AB:alice?secret={s}"), E::InvalidLabel(TotpError::IssuerContainsColon)),
        (format!("otpauth://totp/alice?secret={s}&issuer=A%3AB"), E::InvalidLabel(TotpError::IssuerContainsColon)),
        (format!("otpauth://totp/Acme:al%0Aice?secret={s}"), E::InvalidLabel(TotpError::ControlCharacter)),
        (format!("otpauth://totp/Acme%20:alice?secret={s}"), E::InvalidLabel(TotpError::SurroundingWhitespace)),
        (format!("otpauth://totp/Acme:alice%20?secret={s}"), E::InvalidLabel(TotpError::SurroundingWhitespace)),
        (format!("otpauth://totp/{}:alice?secret={s}", "x".repeat(129)), E::InvalidLabel(TotpError::IssuerTooLong)),
        (format!("otpauth://totp/Acme:{}?secret={s}", "x".repeat(257)), E::InvalidLabel(TotpError::AccountTooLong)),
    ];
    for (uri, expected) in cases {
        let got = Totp::from_uri(&uri);
        assert_eq!(got, Err(expected.clone()), "{uri}");
        // Every reason reads as a sentence and never echoes the secret.
        let message = expected.to_string();
        assert!(!message.is_empty());
        assert!(!message.contains(s));
    }
}

#[test]
fn secret_errors_are_clear() {
    assert_eq!(
        TotpSecret::from_bytes(&[1; 10]).unwrap_err().to_string(),
        "the TOTP secret is too short: 10 bytes, at least 16 bytes (128 bits) are required"
    );
    assert_eq!(TotpSecret::from_bytes(&[1; 15]), Err(TotpSecretError::TooShort { len: 15 }));
    for len in [16, 20, 32, 64, 128] {
        let s = TotpSecret::from_bytes(&vec![9; len]).unwrap();
        assert_eq!(TotpSecret::from_base32(&s.to_base32()).unwrap(), s);
    }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Characters that stress the encoding, mixed with arbitrary ones.
fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => proptest::sample::select(vec![' ', '&', '?', '#', '%', '+', '=', '/', ':', '@', '~', '.', 'é', '日', '🔑', '\u{a0}']),
        2 => proptest::char::range('a', 'z'),
        2 => any::<char>(),
    ]
}

fn tricky_string(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(tricky_char(), 1..max).prop_map(|v| v.into_iter().collect())
}

/// A tricky string that is a valid label part, most of the time (it may still be too long).
fn label_string(max: usize) -> impl Strategy<Value = String> {
    tricky_string(max)
        .prop_map(|s| s.chars().filter(|c| !c.is_control()).collect::<String>().trim().to_owned())
        .prop_filter("empty", |s| !s.is_empty())
}

fn arb_params() -> impl Strategy<Value = TotpParams> {
    (
        proptest::sample::select(vec![Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512]),
        proptest::sample::select(vec![Digits::Six, Digits::Seven, Digits::Eight]),
        1..=3600u64,
    )
        .prop_map(|(algorithm, digits, period)| TotpParams { algorithm, digits, period })
}

proptest! {
    #![proptest_config(config())]

    /// build -> parse gives back the same TOTP whenever the parts are acceptable (the
    /// generator mostly produces acceptable ones: issuer without ':', account with).
    #[test]
    fn uri_round_trip(
        secret in proptest::collection::vec(any::<u8>(), 16..=128),
        params in arb_params(),
        issuer in label_string(40).prop_map(|s| s.replace(':', "-")),
        account in label_string(60),
    ) {
        let secret = TotpSecret::from_bytes(&secret).unwrap();
        match Totp::new(secret, params, issuer.clone(), account.clone()) {
            Ok(t) => {
                let uri = t.to_uri();
                prop_assert!(uri.is_ascii());
                // Nothing in the label or values can break the URI structure.
                prop_assert_eq!(uri.matches('?').count(), 1);
                prop_assert_eq!(uri.matches('&').count(), 4);
                prop_assert_eq!(uri.matches(':').count(), 2, "scheme and label separator only");
                prop_assert!(!uri.contains('#') && !uri.contains(' ') && !uri.contains('+'));
                let back = Totp::from_uri(&uri).unwrap();
                prop_assert_eq!(back.issuer(), issuer.as_str());
                prop_assert_eq!(back.account(), account.as_str());
                prop_assert_eq!(back.params(), params);
                prop_assert_eq!(&back, &t);
            }
            Err(e) => prop_assert!(matches!(
                e,
                TotpError::ControlCharacter | TotpError::SurroundingWhitespace | TotpError::IssuerTooLong | TotpError::AccountTooLong
            ), "{e:?} for {issuer:?} / {account:?}"),
        }
    }

    /// Any issuer with a colon is refused, whatever else it holds.
    #[test]
    fn issuer_colon_refused(a in tricky_string(10), b in tricky_string(10)) {
        let issuer = format!("x{a}:{b}x");
        let r = Totp::new(rfc_secret(), TotpParams::default(), issuer, "alice");
        prop_assert!(matches!(r, Err(TotpError::IssuerContainsColon | TotpError::ControlCharacter)));
    }

    /// The parser never panics, whatever it is given.
    #[test]
    fn from_uri_never_panics(s in ".{0,200}", tail in "[a-zA-Z0-9%:&=?#/ ]{0,100}") {
        let _ = Totp::from_uri(&s);
        let _ = Totp::from_uri(&format!("otpauth://totp/{s}"));
        let _ = Totp::from_uri(&format!("otpauth://totp/{tail}"));
        let _ = Totp::from_uri(&format!("otpauth://totp/A:a?secret={RFC_SEED_B32}&{tail}"));
        let _ = TotpSecret::from_base32(&s);
        let _ = TotpSecret::from_base32(&tail);
    }

    /// base32 is case- and space-insensitive.
    #[test]
    fn base32_forgiving_round_trip(secret in proptest::collection::vec(any::<u8>(), 16..=64), split in 0usize..40) {
        let s = TotpSecret::from_bytes(&secret).unwrap();
        let b32 = s.to_base32();
        prop_assert!(b32.bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)));
        let at = split.min(b32.len());
        let sloppy = format!("{} {}", b32[..at].to_lowercase(), &b32[at..]);
        prop_assert_eq!(&TotpSecret::from_base32(&sloppy).unwrap(), &s);
        prop_assert_eq!(&TotpSecret::from_base32(&s.to_base32_grouped()).unwrap(), &s);
    }

    /// The reported step is always within the window, and the code it reports is the one given.
    #[test]
    fn verify_reports_a_step_in_the_window(now in any::<u64>(), before in 0u8..4, after in 0u8..4, offset in -5i64..5) {
        let t = default_totp();
        let step = t.step_at(now);
        let Some(target) = step.checked_add_signed(offset) else { return Ok(()) };
        let code = t.code_at_step(target);
        match t.verify(&code, now, Window::new(before, after)) {
            Some(found) => {
                prop_assert!(found.saturating_add(u64::from(before)) >= step && found <= step.saturating_add(u64::from(after)));
                prop_assert_eq!(t.code_at_step(found), code);
            }
            None => prop_assert!(offset < -i64::from(before) || offset > i64::from(after)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Enrollment and QR
// ---------------------------------------------------------------------------------------------

#[test]
fn enroll_uses_authenticator_defaults() {
    let e = enroll("Acme Clinic", "alice@example.com").unwrap();
    assert_eq!(e.totp.params(), TotpParams { algorithm: Algorithm::Sha1, digits: Digits::Six, period: 30 });
    assert_eq!(e.secret().as_bytes().len(), 20);
    assert_eq!(e.totp.issuer(), "Acme Clinic");
    assert_eq!(e.totp.account(), "alice@example.com");
    assert_eq!(&*e.uri, &*e.totp.to_uri());
    assert!(e.uri.starts_with("otpauth://totp/Acme%20Clinic:alice%40example.com?secret="));
    assert_eq!(Totp::from_uri(&e.uri).unwrap(), e.totp);
    assert_eq!(TotpSecret::from_base32(&e.manual_key()).unwrap(), *e.secret());
    assert!(e.qr_svg.starts_with("<?xml"));
    assert!(e.qr_svg.contains("<svg"));
    // Two enrollments never share a secret.
    assert_ne!(enroll("Acme Clinic", "alice@example.com").unwrap().secret(), e.secret());
}

#[test]
fn enroll_with_rng_is_deterministic_and_validates() {
    let a = enroll_with_rng(&mut TestRng::new(1), "Acme", "alice").unwrap();
    let b = enroll_with_rng(&mut TestRng::new(1), "Acme", "alice").unwrap();
    assert_eq!(a.totp, b.totp);
    assert_eq!(a.uri, b.uri);
    assert_eq!(a.qr_svg, b.qr_svg);
    assert_eq!(
        enroll_with_rng(&mut TestRng::new(1), "Ac:me", "alice").unwrap_err(),
        bizing_core::EnrollError::Totp(TotpError::IssuerContainsColon)
    );
    assert_eq!(
        enroll("Acme", "").unwrap_err().to_string(),
        TotpError::EmptyAccount.to_string(),
        "the enrollment error is the label error, transparently"
    );
    // The longest labels still fit in a QR code.
    let long = enroll(&"é".repeat(64), &"&".repeat(256)).unwrap();
    assert_eq!(Totp::from_uri(&long.uri).unwrap(), long.totp);
}

#[test]
fn qr_svg_shape_and_limits() {
    let svg = qr_svg("otpauth://totp/A:a?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
    assert!(svg.starts_with(r#"<?xml version="1.0" standalone="yes"?><svg xmlns="http://www.w3.org/2000/svg""#));
    assert!(svg.contains(r##"fill="#000000""##) && svg.contains(r##"fill="#ffffff""##));
    assert!(svg.trim_end().ends_with("</svg>"));
    let width: u32 = svg.split(r#"width=""#).nth(1).unwrap().split('"').next().unwrap().parse().unwrap();
    assert!(width >= QR_MIN_SIZE);
    assert_eq!(qr_svg(&"a".repeat(3000)).unwrap_err(), QrSvgError::TooLong);
    assert_eq!(qr_svg(&"a".repeat(100_000)).unwrap_err(), QrSvgError::TooLong);
    assert!(qr_svg("").is_ok());
}

#[cfg(not(target_arch = "wasm32"))]
mod qr_decode {
    use super::*;
    use resvg::tiny_skia::{Color, Pixmap, Transform};
    use resvg::usvg::{Options, Tree};

    /// Rasterizes the SVG and reads it back with an independent QR decoder.
    fn decode(svg: &str) -> Vec<String> {
        let tree = Tree::from_str(svg, &Options::default()).unwrap();
        let size = tree.size().to_int_size();
        let mut pixmap = Pixmap::new(size.width(), size.height()).unwrap();
        pixmap.fill(Color::WHITE);
        resvg::render(&tree, Transform::identity(), &mut pixmap.as_mut());
        let width = pixmap.width() as usize;
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(width, pixmap.height() as usize, |x, y| {
            pixmap.pixels()[y * width + x].demultiply().red()
        });
        img.detect_grids().iter().map(|g| g.decode().unwrap().1).collect()
    }

    #[test]
    fn qr_svg_decodes_to_its_uri() {
        let tricky = Totp::new(
            rfc_secret(),
            TotpParams { algorithm: Algorithm::Sha256, digits: Digits::Eight, period: 60 },
            "Big Corp & Sons?",
            "a:b #1 100% ünï",
        )
        .unwrap();
        let e = enroll("Acme Clinic", "alice@example.com").unwrap();
        for (uri, svg) in [(tricky.to_uri(), tricky.qr_svg().unwrap()), (e.uri.clone(), e.qr_svg.clone())] {
            let decoded = decode(&svg);
            assert_eq!(decoded, vec![uri.to_string()]);
            assert_eq!(Totp::from_uri(&decoded[0]).unwrap().to_uri(), uri);
        }
    }

    #[test]
    fn the_largest_enrollment_qr_decodes() {
        let e = enroll(&"Ω".repeat(64), &"#".repeat(256)).unwrap();
        assert_eq!(decode(&e.qr_svg), vec![e.uri.to_string()]);
    }
}
