//! ECDSA P-256 / SHA-256 verification with a pinned public key: how a client checks that a
//! checkpoint of the access log was signed by the server.

use core::fmt;

use p256::ecdsa::signature::Verifier;

use crate::keys::{KeyError, SEC1_UNCOMPRESSED_LEN};

/// Length of an IEEE P1363 (r || s) P-256 signature.
pub const SIGNATURE_LEN: usize = 64;

/// The signature does not verify: wrong length, out-of-range values, or not made by this
/// key over this message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid signature")]
pub struct SignatureError;

/// A pinned ECDSA P-256 public key that verifies SHA-256 signatures in P1363 form.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifyingKey(p256::ecdsa::VerifyingKey);

impl VerifyingKey {
    /// Imports a SEC1-encoded point (65-byte uncompressed or 33-byte compressed).
    ///
    /// # Errors
    /// [`KeyError::InvalidPublicKey`] for anything but a valid, non-identity P-256 point.
    pub fn from_sec1(bytes: &[u8]) -> Result<Self, KeyError> {
        if bytes.len() != 65 && bytes.len() != 33 {
            return Err(KeyError::InvalidPublicKey);
        }
        p256::ecdsa::VerifyingKey::from_sec1_bytes(bytes).map(Self).map_err(|_| KeyError::InvalidPublicKey)
    }

    /// Verifies `signature` (r || s, 64 bytes) over `message` hashed with SHA-256.
    ///
    /// # Errors
    /// [`SignatureError`] if the signature is malformed or does not verify.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
        if signature.len() != SIGNATURE_LEN {
            return Err(SignatureError);
        }
        let signature = p256::ecdsa::Signature::from_slice(signature).map_err(|_| SignatureError)?;
        self.0.verify(message, &signature).map_err(|_| SignatureError)
    }

    /// The 65-byte SEC1 uncompressed encoding of the point, whichever form it was imported
    /// from (checkpoint key ids hash this form).
    #[must_use]
    pub fn to_sec1(&self) -> [u8; SEC1_UNCOMPRESSED_LEN] {
        let point = self.0.to_sec1_point(false);
        let mut out = [0u8; SEC1_UNCOMPRESSED_LEN];
        // An uncompressed P-256 point is always 65 bytes.
        if let Some(bytes) = point.as_bytes().get(..SEC1_UNCOMPRESSED_LEN) {
            out.copy_from_slice(bytes);
        }
        out
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VerifyingKey(P-256)")
    }
}

#[cfg(test)]
mod tests {
    //! Project Wycheproof `ecdsa_secp256r1_sha256_p1363_test.json`, through `verify`.

    use super::*;
    use serde::Deserialize;

    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct File {
        test_groups: Vec<Group>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Group {
        public_key: Key,
        sha: String,
        tests: Vec<Case>,
    }
    #[derive(Deserialize)]
    struct Key {
        uncompressed: String,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Case {
        tc_id: u32,
        msg: String,
        sig: String,
        result: String,
    }

    #[test]
    fn wycheproof_p1363() {
        let file: File =
            serde_json::from_str(include_str!("../tests/data/wycheproof/ecdsa_secp256r1_sha256_p1363_test.json"))
                .unwrap();
        let (mut valid, mut invalid) = (0, 0);
        for group in &file.test_groups {
            assert_eq!(group.sha, "SHA-256");
            let key = VerifyingKey::from_sec1(&hex::decode(&group.public_key.uncompressed).unwrap()).unwrap();
            for case in &group.tests {
                let got = key.verify(&hex::decode(&case.msg).unwrap(), &hex::decode(&case.sig).unwrap());
                match case.result.as_str() {
                    "valid" => {
                        assert_eq!(got, Ok(()), "tcId {}", case.tc_id);
                        valid += 1;
                    }
                    "invalid" => {
                        assert_eq!(got, Err(SignatureError), "tcId {}", case.tc_id);
                        invalid += 1;
                    }
                    // "acceptable" cases may go either way.
                    _ => {}
                }
            }
        }
        assert!(valid > 50 && invalid > 50, "{valid} valid, {invalid} invalid");
    }
}
