//! The access log as the patient fetches it.

use base64ct::Encoding;
use serde::{Deserialize, Serialize};

use crate::access_log::{AccessEvent, AccessLogError, AccessLogVerifier, Checkpoint, Hash, ProvenEvent, Salt};
use crate::signature::VerifyingKey;

/// `GET /api/clinics/{tenant}/log-key`: what a client pins to verify checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogKey {
    /// The log's origin line.
    pub origin: String,
    /// The signing key's name in signed notes.
    pub key_name: String,
    /// The ECDSA P-256 public key, SEC1 uncompressed, base64url.
    pub public_key: String,
}

/// `GET /api/access-log?since=N`: the signed-in patient's events with proofs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessLogPage {
    /// The signed checkpoint (C2SP signed note) the proofs refer to.
    pub checkpoint: String,
    /// Consistency proof from the `since` tree size to the checkpoint's (hex hashes).
    pub consistency_proof: Vec<String>,
    /// The patient's events.
    pub events: Vec<LoggedEvent>,
}

/// One event with what is needed to verify it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoggedEvent {
    /// Its leaf index.
    pub leaf_index: u64,
    /// Its 32-byte salt, hex.
    pub salt: String,
    /// The event.
    pub event: AccessEvent,
    /// Inclusion proof in the checkpoint's tree (hex hashes).
    pub inclusion_proof: Vec<String>,
}

/// No proof in a tree of at most 2^64 leaves has more hashes than this.
const MAX_PROOF_LEN: usize = 64;

/// Each byte's value as a hex digit (either case), or `INVALID`.
const HEX_DIGITS: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};
const INVALID: u8 = 0xff;

/// A 32-byte value in lowercase or uppercase hex.
///
/// A page carries some 20 of these per event, so this is the hot loop of reading one: a
/// table look-up per digit, no branch per digit and one check at the end, in a plain loop
/// over a fixed-size array (the size-first wasm build inlines no iterator adapters; the `hex`
/// crate's per-digit `Result` there cost more than all the hashing of a page).
fn hash32(hex_text: &str, what: &'static str) -> Result<[u8; 32], AccessLogError> {
    let digits: &[u8; 64] = hex_text.as_bytes().try_into().map_err(|_| AccessLogError::MalformedProof(what))?;
    let mut out = [0u8; 32];
    let mut seen = 0u8;
    let mut i = 0;
    while i < 32 {
        let high = HEX_DIGITS[usize::from(digits[2 * i])];
        let low = HEX_DIGITS[usize::from(digits[2 * i + 1])];
        seen |= high | low;
        out[i] = (high << 4) | low;
        i += 1;
    }
    // Every valid digit is below 16; `INVALID` sets the high bits.
    if seen & 0xf0 != 0 {
        return Err(AccessLogError::MalformedProof(what));
    }
    Ok(out)
}

fn proof(hashes: &[String], what: &'static str) -> Result<Vec<Hash>, AccessLogError> {
    if hashes.len() > MAX_PROOF_LEN {
        return Err(AccessLogError::MalformedProof(what));
    }
    hashes.iter().map(|h| hash32(h, what)).collect()
}

impl LogKey {
    /// A verifier pinned to this key, with no history. Pin the key the first time (or ship it
    /// with the app) and keep the verifier's [`trusted_head`](AccessLogVerifier::trusted_head)
    /// between visits (see [`AccessLogVerifier::with_trusted_head`]).
    ///
    /// # Errors
    /// [`crate::KeyError::InvalidPublicKey`] if the public key is not a base64url SEC1 P-256 point.
    pub fn verifier(&self) -> Result<AccessLogVerifier, crate::KeyError> {
        let mut sec1 = [0u8; crate::keys::SEC1_UNCOMPRESSED_LEN];
        let bytes = base64ct::Base64UrlUnpadded::decode(&self.public_key, &mut sec1)
            .map_err(|_| crate::KeyError::InvalidPublicKey)?;
        let key = VerifyingKey::from_sec1(bytes)?;
        Ok(AccessLogVerifier::new(&*self.origin, &*self.key_name, key))
    }
}

impl LoggedEvent {
    /// The event with its salt and proof decoded, as [`AccessLogVerifier::verify`] takes it.
    ///
    /// # Errors
    /// [`AccessLogError::MalformedProof`] if the salt or a proof hash is not 64 hex digits.
    pub fn to_proven(&self) -> Result<ProvenEvent, AccessLogError> {
        Ok(ProvenEvent {
            event: self.event.clone(),
            salt: Salt::from_bytes(hash32(&self.salt, "a salt is not 64 hex digits")?),
            leaf_index: self.leaf_index,
            inclusion_proof: proof(&self.inclusion_proof, "an inclusion proof hash is not 64 hex digits")?,
        })
    }
}

impl AccessLogPage {
    /// Verifies the whole page with `verifier`: the checkpoint's signature, its consistency
    /// with the verifier's trusted head, and every event's inclusion. On success the
    /// checkpoint becomes the verifier's trusted head; on failure nothing changes.
    ///
    /// # Errors
    /// As [`AccessLogVerifier::verify`], and [`AccessLogError::MalformedProof`] for a hash
    /// that is not 64 hex digits. [`AccessLogError::indicates_tampering`] tells a forged or
    /// rewritten log from a malformed answer.
    pub fn verify(&self, verifier: &mut AccessLogVerifier) -> Result<Checkpoint, AccessLogError> {
        let consistency = proof(&self.consistency_proof, "a consistency proof hash is not 64 hex digits")?;
        let events = self.events.iter().map(LoggedEvent::to_proven).collect::<Result<Vec<_>, _>>()?;
        verifier.verify(&self.checkpoint, &consistency, &events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn hash32_reads_64_hex_digits_of_either_case_and_nothing_else() {
        let bytes: [u8; 32] = core::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(5));
        let lower = hex::encode(bytes);
        assert_eq!(hash32(&lower, "x"), Ok(bytes));
        assert_eq!(hash32(&lower.to_uppercase(), "x"), Ok(bytes));
        assert_eq!(
            hash32(&"0123456789abcdefABCDEF".repeat(3)[..64], "x").map(hex::encode),
            Ok("0123456789abcdefabcdef0123456789abcdefabcdef0123456789abcdefabcd".to_owned())
        );
        let bad = AccessLogError::MalformedProof("x");
        for text in [&lower[..62], &lower[..63], &format!("{lower}00"), "", &format!("{}g", &lower[..63])] {
            assert_eq!(hash32(text, "x"), Err(bad.clone()), "{text:?}");
        }
        // Every non-digit byte in every position is refused.
        for position in [0, 1, 31, 62, 63] {
            for c in (0u8..=0x7f).filter(|c| !c.is_ascii_hexdigit()) {
                let mut text = lower.clone().into_bytes();
                text[position] = c;
                assert_eq!(hash32(core::str::from_utf8(&text).unwrap(), "x"), Err(bad.clone()), "{c:#x} at {position}");
            }
        }
        // A multi-byte character where two digits were.
        let text = format!("{}é", &lower[..62]);
        assert_eq!(text.len(), 64);
        assert_eq!(hash32(&text, "x"), Err(bad));
    }
}
