//! The properties the fuzz targets check, shared with `tests/fuzz_corpus.rs`, which replays
//! the saved corpus on stable Rust in the normal test run.

use bizing_core::rand_core::{TryCryptoRng, TryRng};
use bizing_core::{
    Context, Envelope, KdfParams, KeyId, KeyPair, NppHash, PublicKey, RecoveryCode, Totp, VerifyingKey, WrappedKey,
};

/// The private scalar of the first frozen envelope vector's recipient, so corpus entries
/// derived from that vector reach HPKE and AES-GCM rather than stopping at the key id.
const FROZEN_SCALAR: [u8; 32] = [
    0x67, 0x52, 0x6d, 0x46, 0x06, 0x54, 0x08, 0xef, 0x5a, 0xd4, 0x93, 0x36, 0xae, 0xd2, 0x2c, 0x44, 0x34, 0x50, 0xd5,
    0xe1, 0xb7, 0xce, 0x20, 0xd6, 0x3f, 0xa6, 0x65, 0xab, 0xcf, 0x2f, 0x6f, 0x8c,
];

/// Yields `FROZEN_SCALAR` as the key generator's first candidate.
struct FixedRng(usize);

impl TryRng for FixedRng {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(0)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(0)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for b in dst {
            *b = FROZEN_SCALAR[self.0 % 32];
            self.0 += 1;
        }
        Ok(())
    }
}

impl TryCryptoRng for FixedRng {}

/// Envelope parsing, re-encoding and opening never panic; what parses re-encodes exactly.
pub fn envelope(data: &[u8]) {
    if let Ok(env) = Envelope::from_bytes(data) {
        assert_eq!(env.to_bytes(), data, "a parsed envelope must re-encode to its input");
        let key = KeyPair::generate_with_rng(&mut FixedRng(0));
        let ctx = Context::new("clinic-7f3a", "bk-0001", "note", 1);
        let _ = env.open(&key, &ctx);
        let _ = env.rewrap(&key, &ctx, &[], &[]);
    }
    if let Ok(text) = core::str::from_utf8(data) {
        let _ = text.parse::<Envelope>();
    }
}

/// Key imports never panic; accepted keys round-trip through SEC1 and JWK.
pub fn public_key(data: &[u8]) {
    if let Ok(pk) = PublicKey::from_sec1(data) {
        assert_eq!(PublicKey::from_sec1(&pk.to_sec1()).as_ref(), Ok(&pk));
        assert_eq!(PublicKey::from_jwk(&pk.to_jwk()).as_ref(), Ok(&pk));
    }
    let _ = VerifyingKey::from_sec1(data);
    if let Ok(w) = WrappedKey::from_bytes(data) {
        assert_eq!(w.to_bytes(), data, "a parsed wrapped key must re-encode to its input");
    }
    if let Ok(text) = core::str::from_utf8(data) {
        let _ = PublicKey::from_jwk(text);
        if let Ok(id) = text.parse::<KeyId>() {
            assert_eq!(id.to_string(), text, "key ids have one text form");
        }
        let _ = text.parse::<WrappedKey>();
    }
}

/// Untrusted text parsers never panic: otpauth URIs (from QR codes), the PHI scanner (free
/// text typed by patients), KDF parameters (from the server), recovery codes, NPP hashes.
pub fn text(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else { return };
    if let Ok(totp) = Totp::from_uri(text) {
        // What parses re-encodes to something that parses to the same settings.
        assert_eq!(Totp::from_uri(&totp.to_uri()).as_ref(), Ok(&totp));
    }
    let findings = bizing_core::phi::scan(text);
    let mut end = 0;
    for f in &findings {
        assert!(f.start >= end && f.start < f.end && f.end <= text.len(), "spans ordered and in bounds");
        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end), "spans on char boundaries");
        end = f.end;
    }
    if let Ok(params) = text.parse::<KdfParams>() {
        assert_eq!(params.to_string().parse::<KdfParams>().as_ref(), Ok(&params));
    }
    if let Ok(code) = text.parse::<RecoveryCode>() {
        assert_eq!(code.to_display_string().parse::<RecoveryCode>().as_ref(), Ok(&code));
    }
    let _ = text.parse::<NppHash>();
}

/// Access-log inputs a patient's client receives from the server never panic: signed
/// checkpoints, stored tree heads, canonical events; what parses re-encodes exactly.
pub fn access_log(data: &[u8]) {
    use bizing_core::access_log::{AccessEvent, CheckpointSigner, TreeHead, verify_checkpoint};
    if let Ok(event) = AccessEvent::from_canonical_bytes(data) {
        assert_eq!(event.to_canonical_bytes().as_deref(), Ok(data), "events have one encoding");
    }
    let Ok(text) = core::str::from_utf8(data) else { return };
    if let Ok(head) = text.parse::<TreeHead>() {
        assert_eq!(head.to_string(), text, "tree heads have one text form");
    }
    // A fixed key, so signed notes in the corpus reach the signature check.
    if let Ok(signer) = CheckpointSigner::from_secret_bytes("bizing.test/log", &FROZEN_SCALAR) {
        let _ = verify_checkpoint(text, "bizing.test/log", signer.verifying_key(), "bizing.test/log");
    }
}
