//! Envelope behaviour through the public API: round trips, tamper and context binding,
//! rewrap, and every error path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use std::sync::OnceLock;

use bizing_core::envelope::{MAX_PLAINTEXT_LEN, MAX_RECIPIENTS};
use bizing_core::{Context, Envelope, EnvelopeError, KeyPair, PublicKey, SealOptions};
use common::TestRng;
use proptest::prelude::*;

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// Key generation dominates the cost of a case, so the properties draw from a fixed pool.
fn pool() -> &'static [KeyPair] {
    static POOL: OnceLock<Vec<KeyPair>> = OnceLock::new();
    POOL.get_or_init(|| (0..6).map(|i| KeyPair::generate_with_rng(&mut TestRng::new(1000 + i))).collect())
}

fn pks(keys: &[&KeyPair]) -> Vec<PublicKey> {
    keys.iter().map(|k| k.public_key().clone()).collect()
}

fn ctx() -> Context {
    Context::new("clinic-1", "booking-42", "note", 1)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(24),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn arb_context() -> impl Strategy<Value = Context> {
    (".{0,40}", ".{0,40}", "[a-z_]{1,12}", any::<u32>()).prop_map(|(t, b, f, v)| Context::new(t, b, f, v))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn seal_open_round_trip(
        note in proptest::collection::vec(any::<u8>(), 0..2048),
        context in arb_context(),
        recipients in proptest::sample::subsequence((0..6usize).collect::<Vec<_>>(), 1..=4),
        pad in any::<bool>(),
    ) {
        let keys: Vec<&KeyPair> = recipients.iter().map(|&i| &pool()[i]).collect();
        let env = Envelope::seal(&note, &context, &pks(&keys), SealOptions::with_padding(pad)).unwrap();
        let wire: Envelope = env.to_string().parse().unwrap();
        prop_assert_eq!(&wire, &env);
        prop_assert_eq!(Envelope::from_bytes(&env.to_bytes()).unwrap(), env.clone());
        for k in &keys {
            prop_assert_eq!(&**wire.open(k, &context).unwrap(), &note);
        }
        for (i, k) in pool().iter().enumerate() {
            if !recipients.contains(&i) {
                prop_assert_eq!(wire.open(k, &context), Err(EnvelopeError::NoMatchingRecipient));
            }
        }
    }

    #[test]
    fn any_flipped_byte_fails_for_every_recipient(
        note in proptest::collection::vec(any::<u8>(), 0..300),
        position in any::<proptest::sample::Index>(),
        bit in 0..8u8,
    ) {
        let keys = [&pool()[0], &pool()[1]];
        let env = Envelope::seal(&note, &ctx(), &pks(&keys), SealOptions::default()).unwrap();
        let mut bytes = env.to_bytes();
        let i = position.index(bytes.len());
        bytes[i] ^= 1 << bit;
        // Either the bytes no longer parse, or no recipient can open them.
        if let Ok(tampered) = Envelope::from_bytes(&bytes) {
            for k in keys {
                prop_assert!(tampered.open(k, &ctx()).is_err(), "byte {} bit {} opened", i, bit);
            }
        }
    }

    #[test]
    fn any_context_change_fails(note in ".{0,100}", which in 0..4usize, other in "[a-z0-9-]{0,12}") {
        let key = &pool()[2];
        let original = ctx();
        let env = Envelope::seal(note.as_bytes(), &original, &pks(&[key]), SealOptions::default()).unwrap();
        let mut changed = original.clone();
        match which {
            0 => changed.tenant_id = other,
            1 => changed.booking_id = other,
            2 => changed.field = other,
            _ => changed.schema_version = original.schema_version.wrapping_add(1 + other.len() as u32),
        }
        prop_assume!(changed != original);
        prop_assert_eq!(env.open(key, &changed), Err(EnvelopeError::Decryption));
        prop_assert_eq!(&**env.open_text(key, &original).unwrap(), &note);
    }

    #[test]
    fn rewrap_preserves_content_and_excludes_removed(note in proptest::collection::vec(any::<u8>(), 0..500)) {
        let [a, b, c, d] = [&pool()[0], &pool()[1], &pool()[3], &pool()[4]];
        let env = Envelope::seal(&note, &ctx(), &pks(&[a, b, c]), SealOptions::default()).unwrap();
        let rewrapped = env.rewrap(b, &ctx(), &pks(&[d]), &[a.key_id(), c.key_id()]).unwrap();
        prop_assert_eq!(rewrapped.recipients(), vec![b.key_id(), d.key_id()]);
        prop_assert_eq!(rewrapped.message_id(), env.message_id());
        // Same content ciphertext: the tail of the encoding is unchanged.
        let (old, new) = (env.to_bytes(), rewrapped.to_bytes());
        let content_len = old.len() - (40 + 3 * 133 + 32);
        prop_assert_eq!(&old[old.len() - content_len..], &new[new.len() - content_len..]);
        for k in [b, d] {
            prop_assert_eq!(&**rewrapped.open(k, &ctx()).unwrap(), &note);
        }
        for k in [a, c] {
            prop_assert_eq!(rewrapped.open(k, &ctx()), Err(EnvelopeError::NoMatchingRecipient));
        }
    }
}

#[test]
fn seal_rejects_bad_recipient_sets_and_sizes() {
    let k = &pool()[0];
    let none: [PublicKey; 0] = [];
    assert_eq!(Envelope::seal(b"x", &ctx(), &none, SealOptions::default()), Err(EnvelopeError::NoRecipients));
    assert_eq!(
        Envelope::seal(b"x", &ctx(), &pks(&[k, k]), SealOptions::default()),
        Err(EnvelopeError::DuplicateRecipient(k.key_id()))
    );
    let many: Vec<PublicKey> =
        (0..17).map(|i| KeyPair::generate_with_rng(&mut TestRng::new(5000 + i)).public_key().clone()).collect();
    assert_eq!(Envelope::seal(b"x", &ctx(), &many, SealOptions::default()), Err(EnvelopeError::TooManyRecipients(17)));
    let sixteen = Envelope::seal(b"x", &ctx(), &many[..MAX_RECIPIENTS], SealOptions::default()).unwrap();
    assert_eq!(sixteen.recipients().len(), 16);
    let huge = vec![0u8; MAX_PLAINTEXT_LEN + 1];
    assert_eq!(Envelope::seal(&huge, &ctx(), &pks(&[k]), SealOptions::default()), Err(EnvelopeError::TooLarge));
    let long = Context::new("t", "b".repeat(65_536), "note", 1);
    assert_eq!(
        Envelope::seal(b"x", &long, &pks(&[k]), SealOptions::default()),
        Err(EnvelopeError::ContextTooLong("booking_id"))
    );
}

#[test]
fn same_key_other_version_is_not_a_recipient() {
    let k = &pool()[0];
    let env = Envelope::seal(b"x", &ctx(), &pks(&[k]), SealOptions::default()).unwrap();
    let v2 = k.clone().with_version(2).unwrap();
    assert_eq!(env.open(&v2, &ctx()), Err(EnvelopeError::NoMatchingRecipient));
}

#[test]
fn rewrap_errors() {
    let [a, b, c] = [&pool()[0], &pool()[1], &pool()[2]];
    let env = Envelope::seal(b"note", &ctx(), &pks(&[a, b]), SealOptions::default()).unwrap();
    assert_eq!(env.rewrap(c, &ctx(), &[], &[]), Err(EnvelopeError::NoMatchingRecipient));
    assert_eq!(env.rewrap(a, &Context::new("x", "y", "z", 1), &[], &[]), Err(EnvelopeError::Decryption));
    assert_eq!(env.rewrap(a, &ctx(), &pks(&[b]), &[]), Err(EnvelopeError::DuplicateRecipient(b.key_id())));
    assert_eq!(env.rewrap(a, &ctx(), &[], &[a.key_id(), b.key_id()]), Err(EnvelopeError::NoRecipients));
    // Removing and re-adding the same key is a fresh wrap, which is allowed.
    let again = env.rewrap(a, &ctx(), &pks(&[b]), &[b.key_id()]).unwrap();
    assert_eq!(again.open(b, &ctx()).unwrap().as_slice(), b"note");
}

/// A header entry copied from another envelope (same recipient, another data key) is refused:
/// the commitment covers the recipient table.
#[test]
fn transplanted_recipient_entry_is_refused() {
    let [a, b] = [&pool()[0], &pool()[1]];
    let one = Envelope::seal(b"first", &ctx(), &pks(&[a, b]), SealOptions::default()).unwrap().to_bytes();
    let two = Envelope::seal(b"second", &ctx(), &pks(&[a, b]), SealOptions::default()).unwrap().to_bytes();
    let entry_b = 40 + 133..40 + 2 * 133;
    let mut mixed = one.clone();
    mixed[entry_b.clone()].copy_from_slice(&two[entry_b]);
    let mixed = Envelope::from_bytes(&mixed).unwrap();
    assert_eq!(mixed.open(a, &ctx()), Err(EnvelopeError::Decryption));
    assert_eq!(mixed.open(b, &ctx()), Err(EnvelopeError::Decryption));
}

#[test]
fn parse_errors_are_distinct_and_never_panic() {
    let k = &pool()[0];
    let env = Envelope::seal(b"hello", &ctx(), &pks(&[k]), SealOptions::default()).unwrap();
    let good = env.to_bytes();

    // Every truncation is an error, never a panic.
    for len in 0..good.len() {
        assert!(Envelope::from_bytes(&good[..len]).is_err(), "truncated to {len}");
    }
    assert_eq!(Envelope::from_bytes(&good[..10]), Err(EnvelopeError::Truncated));
    assert_eq!(Envelope::from_bytes(&good[..good.len() - 1]), Err(EnvelopeError::Truncated));

    let with = |i: usize, v: u8| {
        let mut b = good.clone();
        b[i] = v;
        Envelope::from_bytes(&b)
    };
    assert_eq!(with(0, b'X'), Err(EnvelopeError::NotAnEnvelope));
    assert_eq!(with(3, 2), Err(EnvelopeError::UnsupportedVersion(2)));
    assert_eq!(with(5, 2), Err(EnvelopeError::UnsupportedSuite(2)));
    assert!(matches!(with(6, 0x80), Err(EnvelopeError::Malformed(_))));
    assert!(matches!(with(39, 0), Err(EnvelopeError::Malformed(_))));
    assert_eq!(with(39, 17), Err(EnvelopeError::TooManyRecipients(17)));
    assert_eq!(with(39, 2), Err(EnvelopeError::Truncated));
    let mut trailing = good.clone();
    trailing.push(0);
    assert!(matches!(Envelope::from_bytes(&trailing), Err(EnvelopeError::Malformed(_))));
    // A declared content length beyond the input is truncation, not an allocation.
    let len_at = 40 + 133 + 32;
    let mut huge_len = good.clone();
    huge_len[len_at..len_at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
    assert_eq!(Envelope::from_bytes(&huge_len), Err(EnvelopeError::Truncated));
    let mut short = good[..len_at].to_vec();
    short.extend_from_slice(&8u32.to_be_bytes());
    short.extend_from_slice(&[0; 8]);
    assert!(matches!(Envelope::from_bytes(&short), Err(EnvelopeError::Malformed(_))));

    // The text form.
    let text = env.to_string();
    assert!(text.starts_with("bze1."));
    assert_eq!("".parse::<Envelope>(), Err(EnvelopeError::NotAnEnvelope));
    assert_eq!("bze2.AAAA".parse::<Envelope>(), Err(EnvelopeError::NotAnEnvelope));
    assert_eq!(format!("{text}=").parse::<Envelope>(), Err(EnvelopeError::NotAnEnvelope));
    assert_eq!(text.replace('.', ".*").parse::<Envelope>(), Err(EnvelopeError::NotAnEnvelope));
    // One text form only: whitespace, standard-alphabet characters and non-zero unused bits
    // in the last character are refused.
    assert_eq!(format!("{} ", text).parse::<Envelope>(), Err(EnvelopeError::NotAnEnvelope));
    assert!(format!("{text}+").parse::<Envelope>().is_err());
    assert_eq!("BZE1.AAAA".parse::<Envelope>(), Err(EnvelopeError::NotAnEnvelope));
    let b64 = &text[5..];
    assert_ne!(b64.len() % 4, 0, "this envelope's length leaves unused bits in the last character");
    {
        // The last character carries unused low bits; setting one must be rejected.
        let last = b64.as_bytes()[b64.len() - 1];
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let pos = ALPHABET.iter().position(|&c| c == last).unwrap();
        let noisy = ALPHABET[pos ^ 1] as char;
        let mut altered = text[..text.len() - 1].to_owned();
        altered.push(noisy);
        assert_eq!(altered.parse::<Envelope>(), Err(EnvelopeError::NotAnEnvelope));
    }
    let cut = <base64ct::Base64UrlUnpadded as base64ct::Encoding>::encode_string(&good[..good.len() - 3]);
    assert_eq!(format!("bze1.{cut}").parse::<Envelope>(), Err(EnvelopeError::Truncated));
}

#[test]
fn padding_hides_length_within_a_bucket() {
    let k = &pool()[0];
    let a = Envelope::seal(&[1u8; 1000], &ctx(), &pks(&[k]), SealOptions::default()).unwrap();
    let b = Envelope::seal(&[1u8; 1010], &ctx(), &pks(&[k]), SealOptions::default()).unwrap();
    assert!(a.is_padded());
    assert_eq!(a.to_bytes().len(), b.to_bytes().len());
    let unpadded = Envelope::seal(&[1u8; 1000], &ctx(), &pks(&[k]), SealOptions::with_padding(false)).unwrap();
    assert!(!unpadded.is_padded());
    assert_eq!(unpadded.to_bytes().len(), 40 + 133 + 32 + 4 + 1000 + 16);
}

#[test]
fn open_text_rejects_non_utf8() {
    let k = &pool()[0];
    let env = Envelope::seal(&[0xff, 0xfe], &ctx(), &pks(&[k]), SealOptions::default()).unwrap();
    assert!(matches!(env.open_text(k, &ctx()), Err(EnvelopeError::Malformed(_))));
}

#[test]
fn debug_shows_no_content() {
    let k = &pool()[0];
    let env = Envelope::seal(b"secret note", &ctx(), &pks(&[k]), SealOptions::default()).unwrap();
    let shown = format!("{env:?}");
    assert!(shown.contains("recipients"));
    assert!(!shown.contains("secret"));
}

/// Exhaustive form of the tamper property: every byte of a two-recipient envelope, flipped,
/// stops both recipients from opening it.
#[test]
fn every_single_byte_flip_fails() {
    let keys = [&pool()[0], &pool()[1]];
    let env = Envelope::seal(b"short note", &ctx(), &pks(&keys), SealOptions::default()).unwrap();
    let good = env.to_bytes();
    for i in 0..good.len() {
        let mut bytes = good.clone();
        bytes[i] ^= 0x01;
        if let Ok(tampered) = Envelope::from_bytes(&bytes) {
            for k in keys {
                assert!(tampered.open(k, &ctx()).is_err(), "flipping byte {i} still opened");
            }
        }
    }
}
