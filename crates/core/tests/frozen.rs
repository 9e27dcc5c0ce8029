//! Frozen vectors of our own envelope format. Sealing with a seeded RNG must reproduce each
//! vector byte for byte, and each vector must open: a change to the format, a derivation or
//! a label fails here. `docs/envelope-format.md` is checked against the same file by an
//! independent implementation (`tests/interop`).
//!
//! Regenerate (only for a deliberate, versioned format change):
//! `cargo test -p bizing-core --test frozen -- --ignored --nocapture print_envelope_vectors`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use bizing_core::{Context, Envelope, KeyPair, PublicKey, SealOptions};
use common::{TestRng, scalar_for_seed};
use serde::{Deserialize, Serialize};

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[derive(Serialize, Deserialize)]
struct File {
    description: String,
    generator: String,
    vectors: Vec<Vector>,
}

#[derive(Serialize, Deserialize, Clone)]
struct Key {
    key_seed: u64,
    version: u32,
    private_scalar: String,
    public_sec1: String,
    key_id: String,
}

#[derive(Serialize, Deserialize, Clone)]
struct Ctx {
    tenant_id: String,
    booking_id: String,
    field: String,
    schema_version: u32,
}

#[derive(Serialize, Deserialize, Clone)]
struct Rewrap {
    /// Index into `recipients` of the key that performs the rewrap.
    by: usize,
    add: Vec<Key>,
    remove: Vec<String>,
    rng_seed: u64,
}

#[derive(Serialize, Deserialize, Clone)]
struct Vector {
    name: String,
    recipients: Vec<Key>,
    context: Ctx,
    padded: bool,
    plaintext_hex: String,
    seal_rng_seed: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    rewrap: Option<Rewrap>,
    /// The keys that can open `envelope` (after any rewrap), as indexes into
    /// `recipients` followed by `rewrap.add`.
    openers: Vec<usize>,
    envelope: String,
}

fn key(seed: u64, version: u32) -> KeyPair {
    KeyPair::generate_with_rng(&mut TestRng::new(seed)).with_version(version).unwrap()
}

fn describe_key(seed: u64, version: u32) -> Key {
    let pair = key(seed, version);
    Key {
        key_seed: seed,
        version,
        private_scalar: hex::encode(scalar_for_seed(seed)),
        public_sec1: hex::encode(pair.public_key().to_sec1()),
        key_id: pair.key_id().to_string(),
    }
}

fn context(c: &Ctx) -> Context {
    Context::new(&c.tenant_id, &c.booking_id, &c.field, c.schema_version)
}

fn build(v: &Vector) -> Envelope {
    let pks: Vec<PublicKey> = v.recipients.iter().map(|k| key(k.key_seed, k.version).public_key().clone()).collect();
    let ctx = context(&v.context);
    let mut env = Envelope::seal_with_rng(
        &hex::decode(&v.plaintext_hex).unwrap(),
        &ctx,
        &pks,
        SealOptions::with_padding(v.padded),
        &mut TestRng::new(v.seal_rng_seed),
    )
    .unwrap();
    if let Some(r) = &v.rewrap {
        let by = &v.recipients[r.by];
        let add: Vec<PublicKey> = r.add.iter().map(|k| key(k.key_seed, k.version).public_key().clone()).collect();
        let remove: Vec<_> = r.remove.iter().map(|s| s.parse().unwrap()).collect();
        env = env
            .rewrap_with_rng(&key(by.key_seed, by.version), &ctx, &add, &remove, &mut TestRng::new(r.rng_seed))
            .unwrap();
    }
    env
}

fn specs() -> Vec<Vector> {
    let ctx = |booking: &str, field: &str| Ctx {
        tenant_id: "clinic-7f3a".into(),
        booking_id: booking.into(),
        field: field.into(),
        schema_version: 1,
    };
    let v =
        |name: &str, recipients: Vec<Key>, context: Ctx, padded, plaintext: &[u8], seed, openers: Vec<usize>| Vector {
            name: name.into(),
            recipients,
            context,
            padded,
            plaintext_hex: hex::encode(plaintext),
            seal_rng_seed: seed,
            rewrap: None,
            openers,
            envelope: String::new(),
        };
    let binary: Vec<u8> = (0..300u32).map(|i| (i * 7 % 256) as u8).collect();
    let mut vectors = vec![
        v(
            "one recipient, padded",
            vec![describe_key(1, 1)],
            ctx("bk-0001", "note"),
            true,
            b"Knee pain since March, worse on stairs.",
            101,
            vec![0],
        ),
        v(
            "clinic and patient, UTF-8, padded",
            vec![describe_key(2, 3), describe_key(3, 1)],
            ctx("bk-0002", "note"),
            true,
            "Allergie: Penicillin. Bitte Rückruf vor 10 Uhr — danke! 🙏".as_bytes(),
            102,
            vec![0, 1],
        ),
        v("empty note, unpadded", vec![describe_key(1, 1)], ctx("bk-0003", "note"), false, b"", 103, vec![0]),
        v(
            "binary, three recipients, unpadded",
            vec![describe_key(4, 1), describe_key(5, 2), describe_key(6, 1)],
            ctx("bk-0004", "correction"),
            false,
            &binary,
            104,
            vec![0, 1, 2],
        ),
        v(
            "rewrapped to a new clinic key version",
            vec![describe_key(7, 1), describe_key(8, 1)],
            ctx("bk-0005", "note"),
            true,
            b"Follow-up on blood pressure readings.",
            105,
            vec![1, 2],
        ),
    ];
    let last = vectors.last_mut().unwrap();
    last.rewrap =
        Some(Rewrap { by: 0, add: vec![describe_key(9, 2)], remove: vec![describe_key(7, 1).key_id], rng_seed: 106 });
    vectors
}

fn frozen() -> File {
    serde_json::from_str(include_str!("data/envelope_vectors.json")).unwrap()
}

#[test]
#[ignore = "prints fresh vectors; run by hand only for a deliberate format change"]
fn print_envelope_vectors() {
    let mut vectors = specs();
    for v in &mut vectors {
        v.envelope = build(v).to_string();
    }
    let file = File {
        description: "Frozen bizing envelope (bze1) vectors. Keys are P-256; private_scalar is the big-endian scalar. \
                      Each envelope opens under `context` with each key listed in `openers` to the plaintext."
            .into(),
        generator: "cargo test -p bizing-core --test frozen -- --ignored --nocapture print_envelope_vectors".into(),
        vectors,
    };
    println!("{}", serde_json::to_string_pretty(&file).unwrap());
}

#[test]
fn frozen_vectors_reproduce_and_open() {
    let file = frozen();
    let specs = specs();
    assert_eq!(file.vectors.len(), specs.len());
    for (v, spec) in file.vectors.iter().zip(&specs) {
        // The description of each key matches what the code derives from its seed.
        for (k, s) in v.recipients.iter().zip(&spec.recipients) {
            assert_eq!(k.public_sec1, s.public_sec1, "{}", v.name);
            assert_eq!(k.key_id, s.key_id, "{}", v.name);
            let from_scalar = p256::SecretKey::from_slice(&hex::decode(&k.private_scalar).unwrap()).unwrap();
            assert_eq!(hex::encode(from_scalar.public_key().to_sec1_bytes()), k.public_sec1);
        }
        // Sealing again with the same randomness gives the same bytes.
        assert_eq!(build(v).to_string(), v.envelope, "{}: the envelope format changed", v.name);
        // And it opens with exactly the listed keys.
        let env: Envelope = v.envelope.parse().unwrap();
        let ctx = context(&v.context);
        let all: Vec<&Key> = v.recipients.iter().chain(v.rewrap.iter().flat_map(|r| &r.add)).collect();
        for (i, k) in all.iter().enumerate() {
            let opened = env.open(&key(k.key_seed, k.version), &ctx);
            if v.openers.contains(&i) {
                assert_eq!(hex::encode(opened.unwrap().as_slice()), v.plaintext_hex, "{}", v.name);
            } else {
                assert!(opened.is_err(), "{}: key {i} must not open", v.name);
            }
        }
    }
}
