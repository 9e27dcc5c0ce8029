//! The bare proofs of `cargo xtask bench --only log`: 10,000 inclusion proofs and one
//! consistency proof in a compact binary form, and the one function that verifies them all
//! with `bizing-core`'s RFC 9162 verifiers (inclusion through `InclusionBatch`, as the
//! page verifier does). The native binary (`bench-log`) and the wasm
//! build in Node (`verifyProofs`, driven by `bench/log/log.mjs`) both time [`verify_all`]
//! on the same bytes, so the two figures differ only by the platform: this is the floor
//! under any JavaScript API for the proofs, with no strings, objects or hex to read.
//!
//! The format, all integers little-endian:
//!
//! ```text
//! MAGIC (8 bytes)
//! size u64 | old_size u64 | root [32] | old_root [32]
//! consistency_len u32 | consistency_len hashes [32 each]
//! count u32 | count times: leaf_index u64 | leaf_hash [32] | proof_len u8 | proof_len hashes [32 each]
//! ```
//!
//! Not a test and never asserts on time.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use bizing_core::access_log::Hash;
use bizing_core::access_log::merkle::{InclusionBatch, verify_consistency};

/// The first bytes of the format.
pub const MAGIC: &[u8; 8] = b"bzproof1";
/// Where the first consistency-proof hash starts: a byte there is part of that proof.
pub const CONSISTENCY_OFFSET: usize = 8 + 8 + 8 + 32 + 32 + 4;

/// The proofs as `bench-log` has them before writing.
#[derive(Debug, Clone, Copy)]
pub struct Proofs<'a> {
    /// The newer tree's size.
    pub size: u64,
    /// The older tree's size.
    pub old_size: u64,
    /// The newer tree's root.
    pub root: &'a Hash,
    /// The older tree's root.
    pub old_root: &'a Hash,
    /// The consistency proof from `old_size` to `size`.
    pub consistency: &'a [Hash],
    /// Each proven leaf: its index, its leaf hash and its inclusion proof in the newer tree.
    pub inclusion: &'a [(u64, Hash, Vec<Hash>)],
}

impl Proofs<'_> {
    /// The compact form.
    ///
    /// # Errors
    /// If a list is longer than the format holds (a proof of more than 255 hashes, more than
    /// 2^32 proofs).
    pub fn encode(&self) -> Result<Vec<u8>, &'static str> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.size.to_le_bytes());
        out.extend_from_slice(&self.old_size.to_le_bytes());
        out.extend_from_slice(self.root);
        out.extend_from_slice(self.old_root);
        let consistency_len = u32::try_from(self.consistency.len()).map_err(|_| "consistency proof too long")?;
        out.extend_from_slice(&consistency_len.to_le_bytes());
        out.extend(self.consistency.iter().flatten());
        let count = u32::try_from(self.inclusion.len()).map_err(|_| "too many proofs")?;
        out.extend_from_slice(&count.to_le_bytes());
        for (index, leaf, proof) in self.inclusion {
            out.extend_from_slice(&index.to_le_bytes());
            out.extend_from_slice(leaf);
            out.push(u8::try_from(proof.len()).map_err(|_| "inclusion proof too long")?);
            out.extend(proof.iter().flatten());
        }
        Ok(out)
    }
}

/// Why [`verify_all`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The bytes are not in the format (wrong magic, truncated, trailing bytes).
    Malformed,
    /// The consistency proof did not verify.
    Consistency,
    /// The inclusion proof at this position (0-based) did not verify.
    Inclusion(usize),
}

impl core::fmt::Display for Failure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Malformed => f.write_str("the proofs are not in the bench format"),
            Self::Consistency => f.write_str("the consistency proof did not verify"),
            Self::Inclusion(i) => write!(f, "inclusion proof {i} did not verify"),
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Failure> {
        let (head, rest) = self.0.split_at_checked(n).ok_or(Failure::Malformed)?;
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<&'a [u8; N], Failure> {
        self.take(N)?.try_into().map_err(|_| Failure::Malformed)
    }

    fn u64(&mut self) -> Result<u64, Failure> {
        Ok(u64::from_le_bytes(*self.array()?))
    }

    fn u32(&mut self) -> Result<usize, Failure> {
        usize::try_from(u32::from_le_bytes(*self.array()?)).map_err(|_| Failure::Malformed)
    }

    fn hashes(&mut self, count: usize) -> Result<&'a [Hash], Failure> {
        let bytes = self.take(count.checked_mul(32).ok_or(Failure::Malformed)?)?;
        match bytes.as_chunks::<32>() {
            (hashes, []) => Ok(hashes),
            _ => Err(Failure::Malformed),
        }
    }
}

/// Verifies the consistency proof and every inclusion proof in `bytes` (the format above);
/// returns the number of inclusion proofs verified. Stops at the first failure.
///
/// # Errors
/// [`Failure::Malformed`] for bytes not in the format; [`Failure::Consistency`] or
/// [`Failure::Inclusion`] for a proof that does not verify.
pub fn verify_all(bytes: &[u8]) -> Result<usize, Failure> {
    let mut r = Reader(bytes);
    if r.array::<8>()? != MAGIC {
        return Err(Failure::Malformed);
    }
    let (size, old_size) = (r.u64()?, r.u64()?);
    let (root, old_root) = (r.array::<32>()?, r.array::<32>()?);
    let consistency_len = r.u32()?;
    let consistency = r.hashes(consistency_len)?;
    verify_consistency(old_size, size, old_root, root, consistency).map_err(|_| Failure::Consistency)?;
    let count = r.u32()?;
    // As `AccessLogVerifier` does: shared nodes hashed once.
    let mut batch = InclusionBatch::new(size, *root);
    for position in 0..count {
        let index = r.u64()?;
        let leaf = r.array::<32>()?;
        let len = usize::from(r.array::<1>()?[0]);
        let proof = r.hashes(len)?;
        batch.verify(leaf, index, proof).map_err(|_| Failure::Inclusion(position))?;
    }
    if !r.0.is_empty() {
        return Err(Failure::Malformed);
    }
    Ok(count)
}

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
pub use wasm::verify_proofs;

/// The wasm-bindgen surface: the one function the Node benchmark calls.
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
mod wasm {
    use wasm_bindgen::prelude::*;

    /// [`verify_all`](crate::verify_all) over bytes handed over from JS in one copy.
    ///
    /// # Errors
    /// As [`verify_all`](crate::verify_all), as a JS `Error`.
    #[wasm_bindgen(js_name = verifyProofs)]
    pub fn verify_proofs(bytes: &[u8]) -> Result<u32, JsError> {
        let count = crate::verify_all(bytes).map_err(|e| JsError::new(&e.to_string()))?;
        u32::try_from(count).map_err(|_| JsError::new("too many proofs"))
    }
}

#[cfg(test)]
mod tests {
    use bizing_core::access_log::MerkleTree;
    use bizing_core::access_log::merkle::leaf_hash;

    use super::*;

    #[test]
    fn round_trip_and_tampering() {
        let tree = MerkleTree::from_leaf_hashes((0u64..100).map(|i| leaf_hash(&i.to_be_bytes())));
        let (root, old_root) = (tree.root(), tree.root_at(40).unwrap());
        let consistency = tree.consistency_proof(40, 100).unwrap();
        let inclusion: Vec<_> = [3u64, 50, 99]
            .iter()
            .map(|&i| (i, tree.leaf_hash(i).unwrap(), tree.inclusion_proof(i, 100).unwrap()))
            .collect();
        let proofs = Proofs {
            size: 100,
            old_size: 40,
            root: &root,
            old_root: &old_root,
            consistency: &consistency,
            inclusion: &inclusion,
        };
        let bytes = proofs.encode().unwrap();
        assert_eq!(verify_all(&bytes), Ok(3));
        let mut bad = bytes.clone();
        bad[CONSISTENCY_OFFSET] ^= 1;
        assert_eq!(verify_all(&bad), Err(Failure::Consistency));
        let mut bad = bytes.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert_eq!(verify_all(&bad), Err(Failure::Inclusion(2)));
        assert_eq!(verify_all(&bytes[..bytes.len() - 1]), Err(Failure::Malformed));
        assert_eq!(verify_all(&[bytes.as_slice(), &[0]].concat()), Err(Failure::Malformed));
    }
}
