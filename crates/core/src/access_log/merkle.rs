//! Merkle trees as RFC 9162 §2.1 defines them: leaf and node hashing, tree hashes, inclusion
//! and consistency proofs, and the RFC's verification algorithms.
//!
//! Everything here works on *leaf hashes*, `SHA-256(0x00 || leaf input)`: what the log
//! stores per entry. The slice functions ([`root`], [`inclusion_proof`],
//! [`consistency_proof`]) transcribe the RFC's recursive definitions and cost O(n) per call;
//! [`MerkleTree`] keeps every complete subtree and answers the same questions in O(log² n).
//! The verifiers cost O(log n) hashes and never allocate; [`InclusionBatch`] verifies many
//! inclusion proofs against one tree head, hashing the nodes they share once.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

/// Length of a SHA-256 hash.
pub const HASH_LEN: usize = 32;

/// A SHA-256 hash: a leaf hash, a node hash or a root.
pub type Hash = [u8; HASH_LEN];

/// Why a proof could not be made or did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The leaf index is not less than the tree size (every index, for an empty tree).
    #[error("leaf index out of range for the tree size")]
    IndexOutOfRange,
    /// The older tree is larger than the newer one, or a size exceeds the tree at hand.
    #[error("tree size out of range")]
    SizeOutOfRange,
    /// The proof does not have the number of hashes its index and sizes call for.
    #[error("proof has the wrong number of hashes")]
    WrongProofLength,
    /// The proof does not lead to the expected root (or roots).
    #[error("proof does not match the root")]
    RootMismatch,
}

/// The leaf hash of an entry: `SHA-256(0x00 || leaf_input)` (RFC 9162 §2.1.1).
#[must_use]
pub fn leaf_hash(leaf_input: &[u8]) -> Hash {
    Sha256::new().chain_update([0x00]).chain_update(leaf_input).finalize().into()
}

/// The hash of an interior node: `SHA-256(0x01 || left || right)` (RFC 9162 §2.1.1).
#[must_use]
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Sha256::new().chain_update([0x01]).chain_update(left).chain_update(right).finalize().into()
}

/// The root of the empty tree: `SHA-256("")` (RFC 9162 §2.1.1).
#[must_use]
pub fn empty_root() -> Hash {
    Sha256::digest(b"").into()
}

/// The largest power of two strictly less than `n`, for `n >= 2` (RFC 9162 §2.1.1's `k`).
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

fn split_usize(n: usize) -> usize {
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// MTH(D\[n\]) over leaf hashes: the root of the tree whose leaves hash to `leaf_hashes`
/// (RFC 9162 §2.1.1). O(n).
#[must_use]
pub fn root(leaf_hashes: &[Hash]) -> Hash {
    match leaf_hashes {
        [] => empty_root(),
        [only] => *only,
        _ => match leaf_hashes.split_at_checked(split_usize(leaf_hashes.len())) {
            Some((left, right)) => node_hash(&root(left), &root(right)),
            None => empty_root(), // unreachable: 1 <= k < len
        },
    }
}

/// PATH(m, D\[n\]): the inclusion proof (audit path) for leaf `index` in the tree over
/// `leaf_hashes` (RFC 9162 §2.1.3.1), nearest sibling first. O(n).
///
/// # Errors
/// [`ProofError::IndexOutOfRange`] if `index >= leaf_hashes.len()`.
pub fn inclusion_proof(leaf_hashes: &[Hash], index: u64) -> Result<Vec<Hash>, ProofError> {
    let m = usize::try_from(index).map_err(|_| ProofError::IndexOutOfRange)?;
    if m >= leaf_hashes.len() {
        return Err(ProofError::IndexOutOfRange);
    }
    let mut out = Vec::new();
    path(m, leaf_hashes, &mut out);
    Ok(out)
}

fn path(m: usize, d: &[Hash], out: &mut Vec<Hash>) {
    if d.len() < 2 {
        return;
    }
    let k = split_usize(d.len());
    let Some((left, right)) = d.split_at_checked(k) else { return };
    if m < k {
        path(m, left, out);
        out.push(root(right));
    } else {
        path(m - k, right, out);
        out.push(root(left));
    }
}

/// PROOF(m, D\[n\]): the consistency proof that the tree over the first `old_size` leaf
/// hashes is a prefix of the tree over all of `leaf_hashes` (RFC 9162 §2.1.4.1). O(n).
///
/// The RFC defines proofs for `0 < old_size < n`; for `old_size == 0` and `old_size == n`
/// the proof is empty (see [`verify_consistency`]).
///
/// # Errors
/// [`ProofError::SizeOutOfRange`] if `old_size > leaf_hashes.len()`.
pub fn consistency_proof(leaf_hashes: &[Hash], old_size: u64) -> Result<Vec<Hash>, ProofError> {
    let m = usize::try_from(old_size).map_err(|_| ProofError::SizeOutOfRange)?;
    if m > leaf_hashes.len() {
        return Err(ProofError::SizeOutOfRange);
    }
    let mut out = Vec::new();
    if m > 0 {
        subproof(m, leaf_hashes, true, &mut out);
    }
    Ok(out)
}

fn subproof(m: usize, d: &[Hash], complete: bool, out: &mut Vec<Hash>) {
    if m == d.len() {
        if !complete {
            out.push(root(d));
        }
        return;
    }
    let k = split_usize(d.len());
    let Some((left, right)) = d.split_at_checked(k) else { return };
    if m <= k {
        subproof(m, left, complete, out);
        out.push(root(right));
    } else {
        subproof(m - k, right, false, out);
        out.push(root(left));
    }
}

/// The number of hashes in the inclusion proof for `index` in a tree of `size` leaves
/// (`index < size`).
fn inclusion_proof_len(index: u64, size: u64) -> usize {
    // Levels where the paths to `index` and to the last leaf differ, plus the complete left
    // subtrees above the point where they meet.
    let inner = u64::BITS - (index ^ (size - 1)).leading_zeros();
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner + border) as usize
}

/// The number of hashes in the consistency proof between sizes `0 < old < new`.
fn consistency_proof_len(old: u64, new: u64) -> usize {
    let inner = u64::BITS - ((old - 1) ^ (new - 1)).leading_zeros();
    let border = (old - 1).checked_shr(inner).unwrap_or(0).count_ones();
    // The subtree of 2^shift leaves that ends the old tree is shared, and its hash is the
    // first proof element unless the old tree is exactly that subtree.
    let shift = old.trailing_zeros();
    let seed = usize::from(!old.is_power_of_two());
    seed + (inner.saturating_sub(shift) + border) as usize
}

/// Verifies that `leaf_hash` is the leaf at `index` in the tree of `size` leaves with root
/// `root`, following RFC 9162 §2.1.3.2. O(log size); never allocates.
///
/// # Errors
/// [`ProofError::IndexOutOfRange`] if `index >= size` (so always for `size == 0`);
/// [`ProofError::WrongProofLength`] if `proof` does not have exactly the number of hashes a
/// proof for `index` and `size` has; [`ProofError::RootMismatch`] if the proof does not lead
/// to `root`.
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    // Step 1.
    if index >= size {
        return Err(ProofError::IndexOutOfRange);
    }
    // Implied by steps 4a and 5; checked first so no hashing is spent on a proof that
    // cannot succeed.
    if proof.len() != inclusion_proof_len(index, size) {
        return Err(ProofError::WrongProofLength);
    }
    // Steps 2 and 3.
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf_hash;
    // Step 4.
    for p in proof {
        if s_n == 0 {
            return Err(ProofError::WrongProofLength);
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    // Step 5.
    if s_n != 0 {
        return Err(ProofError::WrongProofLength);
    }
    if r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Verifies many inclusion proofs against one tree head, hashing each node the proofs share
/// once, with exactly the results [`verify_inclusion`] gives proof by proof.
///
/// Proofs of leaves of one tree share the nodes near the root: 10,000 random leaves of a
/// 1,000,000-leaf tree have about 80,000 distinct nodes on their paths, not 200,000. The
/// batch remembers, by position (level, and index at that level), every node on the path of
/// a verified proof and every sibling hash that proof supplied: genuine nodes of the tree,
/// since they led to the root. When a later proof's path reaches a remembered node, its hash
/// there must be the remembered one, and the rest of its proof must be the remembered
/// siblings: then it leads to the root as the earlier one did, with no more hashing. A
/// position is fixed by the leaf's index and the tree's size, never by the proof.
///
/// ```
/// use bizing_core::access_log::merkle::{InclusionBatch, MerkleTree, ProofError, leaf_hash};
///
/// let tree = MerkleTree::from_leaf_hashes((0..10u8).map(|i| leaf_hash(&[i])));
/// let mut batch = InclusionBatch::new(tree.size(), tree.root());
/// for i in 0..10 {
///     batch.verify(&leaf_hash(&[i as u8]), i, &tree.inclusion_proof(i, tree.size())?)?;
/// }
/// let forged = batch.verify(&leaf_hash(b"forged"), 3, &tree.inclusion_proof(3, tree.size())?);
/// assert_eq!(forged, Err(ProofError::RootMismatch));
/// # Ok::<(), ProofError>(())
/// ```
#[derive(Debug, Clone)]
pub struct InclusionBatch {
    size: u64,
    root: Hash,
    /// Genuine nodes by `(level, index at that level)`. A BTreeMap: the positions come from
    /// the server, and a tree keeps their cost logarithmic whatever they are.
    known: BTreeMap<(u32, u64), Hash>,
    /// The nodes and siblings of the proof being verified, kept until it succeeds (reused
    /// from proof to proof).
    met: Vec<((u32, u64), Hash)>,
}

/// One step up a proof's path (RFC 9162 §2.1.3.2, step 4), on positions only: from the node
/// at `(level, f_n)` (with `s_n` the last leaf's index at that level), where the step's proof
/// hash sits, whether it is the left operand, and the position of the resulting node.
#[derive(Debug, Clone, Copy)]
struct Step {
    sibling: (u32, u64),
    sibling_is_left: bool,
    next: (u32, u64, u64),
}

impl Step {
    /// `None` when the path is already at the root (a proof too long).
    fn from(level: u32, f_n: u64, s_n: u64) -> Option<Self> {
        if s_n == 0 {
            return None;
        }
        let (mut level, mut f_n, mut s_n) = (level, f_n, s_n);
        let step = if f_n & 1 == 1 || f_n == s_n {
            // The node is a right child, or the last node of its level with no right
            // sibling: it climbs until it is a right child (or the leftmost node), and the
            // proof hash is its left sibling there.
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
                level += 1;
            }
            (level, f_n.wrapping_sub(1), true)
        } else {
            (level, f_n + 1, false)
        };
        Some(Self { sibling: (step.0, step.1), sibling_is_left: step.2, next: (level + 1, f_n >> 1, s_n >> 1) })
    }
}

impl InclusionBatch {
    /// A batch for the tree of `size` leaves with root `root`.
    #[must_use]
    pub fn new(size: u64, root: Hash) -> Self {
        Self { size, root, known: BTreeMap::new(), met: Vec::new() }
    }

    /// Verifies that `leaf_hash` is the leaf at `index`, as [`verify_inclusion`] does against
    /// this batch's tree head, with the same result. On success the proof's nodes are
    /// remembered; on failure nothing is.
    ///
    /// # Errors
    /// As [`verify_inclusion`]: [`ProofError::IndexOutOfRange`],
    /// [`ProofError::WrongProofLength`], [`ProofError::RootMismatch`].
    pub fn verify(&mut self, leaf_hash: &Hash, index: u64, proof: &[Hash]) -> Result<(), ProofError> {
        if index >= self.size {
            return Err(ProofError::IndexOutOfRange);
        }
        if proof.len() != inclusion_proof_len(index, self.size) {
            return Err(ProofError::WrongProofLength);
        }
        // Nodes and siblings met on the way up, remembered once the proof is verified.
        let mut met = core::mem::take(&mut self.met);
        met.clear();
        let result = self.climb(leaf_hash, index, proof, &mut met);
        if result.is_ok() {
            self.known.extend(met.iter().copied());
        }
        self.met = met;
        result
    }

    /// [`Self::verify`] after its checks of the index and the proof's length, recording in
    /// `met` what the proof's path went through.
    fn climb(
        &self,
        leaf_hash: &Hash,
        index: u64,
        proof: &[Hash],
        met: &mut Vec<((u32, u64), Hash)>,
    ) -> Result<(), ProofError> {
        let (mut level, mut f_n, mut s_n) = (0_u32, index, self.size - 1);
        let mut r = *leaf_hash;
        for (i, p) in proof.iter().enumerate() {
            if let Some(known) = self.known.get(&(level, f_n)) {
                if *known != r {
                    return Err(ProofError::RootMismatch);
                }
                return match self.known_above(level, f_n, s_n, &proof[i..]) {
                    Some(true) => Ok(()),
                    Some(false) => Err(ProofError::RootMismatch),
                    // Not expected (a remembered node comes with the siblings above it), but
                    // the answer is then the plain verification's.
                    None => verify_inclusion(leaf_hash, index, self.size, proof, &self.root),
                };
            }
            let step = Step::from(level, f_n, s_n).ok_or(ProofError::WrongProofLength)?;
            met.push(((level, f_n), r));
            met.push((step.sibling, *p));
            r = if step.sibling_is_left { node_hash(p, &r) } else { node_hash(&r, p) };
            (level, f_n, s_n) = step.next;
        }
        if s_n != 0 {
            return Err(ProofError::WrongProofLength);
        }
        if r != self.root {
            return Err(ProofError::RootMismatch);
        }
        Ok(())
    }

    /// Whether `rest` of a proof, from the remembered node at `(level, f_n)` up, is the
    /// remembered siblings: `Some(true)` if so, `Some(false)` if a hash differs (the path then
    /// cannot reach the root), `None` if a sibling is not remembered.
    fn known_above(&self, level: u32, f_n: u64, s_n: u64, rest: &[Hash]) -> Option<bool> {
        let (mut level, mut f_n, mut s_n) = (level, f_n, s_n);
        for p in rest {
            let step = Step::from(level, f_n, s_n)?;
            if self.known.get(&step.sibling)? != p {
                return Some(false);
            }
            (level, f_n, s_n) = step.next;
        }
        Some(s_n == 0)
    }
}

/// Verifies that the tree of `old_size` leaves with root `old_root` is a prefix of the tree
/// of `new_size` leaves with root `new_root`, following RFC 9162 §2.1.4.2. O(log new_size);
/// never allocates.
///
/// The RFC's algorithm covers `0 < old_size < new_size`. Outside that range:
/// `old_size == new_size` needs an empty proof and equal roots; `old_size == 0` needs an
/// empty proof and `old_root` equal to [`empty_root`] (the empty tree is a prefix of every
/// tree); `old_size > new_size` always fails.
///
/// # Errors
/// [`ProofError::SizeOutOfRange`] if `old_size > new_size`; [`ProofError::WrongProofLength`]
/// if `proof` does not have exactly the number of hashes a proof between these sizes has;
/// [`ProofError::RootMismatch`] if the proof does not lead to both roots.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::SizeOutOfRange);
    }
    if old_size == 0 || old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofError::WrongProofLength);
        }
        let expected = if old_size == 0 { empty_root() } else { *new_root };
        if *old_root != expected {
            return Err(ProofError::RootMismatch);
        }
        return Ok(());
    }
    // Step 1 (an empty proof is always the wrong length here), checked up front like the
    // inclusion proof's length.
    if proof.len() != consistency_proof_len(old_size, new_size) {
        return Err(ProofError::WrongProofLength);
    }
    // Step 2: when the old tree is a complete subtree, its root is the first path element.
    let (seed, rest) = if old_size.is_power_of_two() {
        (old_root, proof)
    } else {
        match proof.split_first() {
            Some((first, rest)) => (first, rest),
            None => return Err(ProofError::WrongProofLength),
        }
    };
    // Steps 3 and 4.
    let (mut f_n, mut s_n) = (old_size - 1, new_size - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    // Step 5.
    let (mut f_r, mut s_r) = (*seed, *seed);
    // Step 6.
    for c in rest {
        if s_n == 0 {
            return Err(ProofError::WrongProofLength);
        }
        if f_n & 1 == 1 || f_n == s_n {
            f_r = node_hash(c, &f_r);
            s_r = node_hash(c, &s_r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            s_r = node_hash(&s_r, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    // Step 7.
    if s_n != 0 {
        return Err(ProofError::WrongProofLength);
    }
    if f_r != *old_root || s_r != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// An append-only Merkle tree that keeps the hash of every complete subtree, so roots at
/// any earlier size and proofs cost O(log² n) hashes instead of O(n).
///
/// Memory: about two hashes (64 bytes) per leaf.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct MerkleTree {
    /// `levels[l][i]` is the hash of the complete subtree over leaves
    /// `[i * 2^l, (i + 1) * 2^l)`.
    levels: Vec<Vec<Hash>>,
}

impl MerkleTree {
    /// An empty tree.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A tree over the given leaf hashes, in order.
    #[must_use]
    pub fn from_leaf_hashes(leaf_hashes: impl IntoIterator<Item = Hash>) -> Self {
        let mut tree = Self::new();
        for leaf in leaf_hashes {
            tree.push(leaf);
        }
        tree
    }

    /// Appends a leaf hash. Amortised O(1).
    pub fn push(&mut self, leaf_hash: Hash) {
        let mut node = leaf_hash;
        let mut level = 0;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let Some(nodes) = self.levels.get_mut(level) else { return };
            nodes.push(node);
            // An even count completes a pair: its parent is a new complete subtree.
            match nodes.as_slice() {
                [.., left, right] if nodes.len().is_multiple_of(2) => node = node_hash(left, right),
                _ => return,
            }
            level += 1;
        }
    }

    /// The number of leaves.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |leaves| leaves.len() as u64)
    }

    /// Whether the tree has no leaves.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.size() == 0
    }

    /// The leaf hash at `index`, if there is one.
    #[must_use]
    pub fn leaf_hash(&self, index: u64) -> Option<Hash> {
        let index = usize::try_from(index).ok()?;
        self.levels.first()?.get(index).copied()
    }

    /// The root at the current size.
    #[must_use]
    pub fn root(&self) -> Hash {
        self.subtree(0, self.size()).unwrap_or_else(empty_root)
    }

    /// The root the tree had when it held `size` leaves.
    ///
    /// # Errors
    /// [`ProofError::SizeOutOfRange`] if `size` exceeds the current size.
    pub fn root_at(&self, size: u64) -> Result<Hash, ProofError> {
        if size > self.size() {
            return Err(ProofError::SizeOutOfRange);
        }
        if size == 0 {
            return Ok(empty_root());
        }
        self.subtree(0, size).ok_or(ProofError::SizeOutOfRange)
    }

    /// The inclusion proof for leaf `index` in the tree as it was at `size` leaves
    /// (RFC 9162 §2.1.3.1).
    ///
    /// # Errors
    /// [`ProofError::SizeOutOfRange`] if `size` exceeds the current size;
    /// [`ProofError::IndexOutOfRange`] if `index >= size`.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        if size > self.size() {
            return Err(ProofError::SizeOutOfRange);
        }
        if index >= size {
            return Err(ProofError::IndexOutOfRange);
        }
        let mut out = Vec::with_capacity(inclusion_proof_len(index, size));
        self.path(index, 0, size, &mut out).ok_or(ProofError::SizeOutOfRange)?;
        Ok(out)
    }

    /// The consistency proof from the tree at `old_size` leaves to the tree at `new_size`
    /// leaves (RFC 9162 §2.1.4.1); empty when `old_size` is 0 or equals `new_size`.
    ///
    /// # Errors
    /// [`ProofError::SizeOutOfRange`] if `old_size > new_size` or `new_size` exceeds the
    /// current size.
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, ProofError> {
        if new_size > self.size() || old_size > new_size {
            return Err(ProofError::SizeOutOfRange);
        }
        let mut out = Vec::new();
        if old_size > 0 && old_size < new_size {
            out.reserve_exact(consistency_proof_len(old_size, new_size));
            self.subproof(old_size, 0, new_size, true, &mut out).ok_or(ProofError::SizeOutOfRange)?;
        }
        Ok(out)
    }

    /// MTH(D\[lo:hi\]) for `lo < hi <= size`. In the RFC's recursion every range starts at a
    /// multiple of its largest power-of-two part, so this is one stored node per level.
    fn subtree(&self, lo: u64, hi: u64) -> Option<Hash> {
        let n = hi.checked_sub(lo).filter(|n| *n > 0)?;
        if n.is_power_of_two() && lo.is_multiple_of(n) {
            let level = usize::try_from(n.trailing_zeros()).ok()?;
            let index = usize::try_from(lo / n).ok()?;
            return self.levels.get(level)?.get(index).copied();
        }
        let k = split(n);
        Some(node_hash(&self.subtree(lo, lo + k)?, &self.subtree(lo + k, hi)?))
    }

    fn path(&self, m: u64, lo: u64, hi: u64, out: &mut Vec<Hash>) -> Option<()> {
        let n = hi - lo;
        if n < 2 {
            return Some(());
        }
        let k = split(n);
        if m < k {
            self.path(m, lo, lo + k, out)?;
            out.push(self.subtree(lo + k, hi)?);
        } else {
            self.path(m - k, lo + k, hi, out)?;
            out.push(self.subtree(lo, lo + k)?);
        }
        Some(())
    }

    fn subproof(&self, m: u64, lo: u64, hi: u64, complete: bool, out: &mut Vec<Hash>) -> Option<()> {
        let n = hi - lo;
        if m == n {
            if !complete {
                out.push(self.subtree(lo, hi)?);
            }
            return Some(());
        }
        let k = split(n);
        if m <= k {
            self.subproof(m, lo, lo + k, complete, out)?;
            out.push(self.subtree(lo + k, hi)?);
        } else {
            self.subproof(m - k, lo + k, hi, false, out)?;
            out.push(self.subtree(lo, lo + k)?);
        }
        Some(())
    }
}

impl core::fmt::Debug for MerkleTree {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MerkleTree").field("size", &self.size()).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn split_is_the_largest_power_of_two_below() {
        for (n, k) in [(2u64, 1u64), (3, 2), (4, 2), (5, 4), (8, 4), (9, 8), (1 << 40, 1 << 39), (u64::MAX, 1 << 63)] {
            assert_eq!(split(n), k, "split({n})");
        }
        for n in 2..200usize {
            assert_eq!(split_usize(n) as u64, split(n as u64));
        }
    }

    #[test]
    fn proof_lengths_match_generated_proofs() {
        let all = leaves(70);
        for n in 1..=70u64 {
            let d = &all[..n as usize];
            for m in 0..n {
                assert_eq!(inclusion_proof(d, m).unwrap().len(), inclusion_proof_len(m, n), "inclusion {m}/{n}");
            }
            for m in 1..n {
                assert_eq!(consistency_proof(d, m).unwrap().len(), consistency_proof_len(m, n), "consistency {m}/{n}");
            }
        }
    }

    #[test]
    fn lengths_at_the_extremes_do_not_overflow() {
        // The last leaf of a tree of 2^64 - 1 leaves has one sibling per complete left subtree.
        assert_eq!(inclusion_proof_len(u64::MAX - 1, u64::MAX), 63);
        assert_eq!(inclusion_proof_len(0, u64::MAX), 64);
        assert!(consistency_proof_len(1, u64::MAX) <= 65);
        assert!(consistency_proof_len(u64::MAX - 1, u64::MAX) <= 65);
        assert!(consistency_proof_len(1 << 63, u64::MAX) <= 65);
    }

    #[test]
    fn tree_matches_the_slice_definitions() {
        let all = leaves(45);
        let mut tree = MerkleTree::new();
        assert_eq!(tree.root(), empty_root());
        for (i, leaf) in all.iter().enumerate() {
            tree.push(*leaf);
            assert_eq!(tree.size(), i as u64 + 1);
            assert_eq!(tree.root(), root(&all[..=i]));
        }
        for n in 0..=45u64 {
            let d = &all[..n as usize];
            assert_eq!(tree.root_at(n).unwrap(), root(d));
            for m in 0..n {
                assert_eq!(tree.inclusion_proof(m, n).unwrap(), inclusion_proof(d, m).unwrap());
            }
            for m in 0..=n {
                assert_eq!(tree.consistency_proof(m, n).unwrap(), consistency_proof(d, m).unwrap());
            }
        }
        assert_eq!(tree.root_at(46), Err(ProofError::SizeOutOfRange));
        assert_eq!(tree.inclusion_proof(3, 46), Err(ProofError::SizeOutOfRange));
        assert_eq!(tree.inclusion_proof(5, 5), Err(ProofError::IndexOutOfRange));
        assert_eq!(tree.consistency_proof(6, 5), Err(ProofError::SizeOutOfRange));
        assert_eq!(tree.leaf_hash(44), Some(all[44]));
        assert_eq!(tree.leaf_hash(45), None);
    }
}
