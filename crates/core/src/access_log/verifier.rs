//! What the patient portal runs: verify a new checkpoint, its consistency with the last one
//! the portal verified, and the inclusion of each of the patient's events.

use core::fmt;
use core::str::FromStr;

use base64ct::{Base64UrlUnpadded, Encoding};

use super::checkpoint::{Checkpoint, CheckpointError, verify_checkpoint};
use super::event::{AccessEvent, Salt};
use super::merkle::{HASH_LEN, Hash, InclusionBatch, ProofError, empty_root, verify_consistency};
use crate::signature::VerifyingKey;

const TREE_HEAD_PREFIX: &str = "bzh1.";

/// The size and root of a verified checkpoint: all a client keeps between visits. Not PHI.
///
/// Its text form is `bzh1.<size>.<root>`: the size in canonical decimal and the root in
/// unpadded base64url (43 characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TreeHead {
    /// Number of leaves.
    pub size: u64,
    /// Root over them.
    pub root: Hash,
}

impl TreeHead {
    /// The empty tree (size 0, root `SHA-256("")`): where a client with no history starts.
    #[must_use]
    pub fn empty() -> Self {
        Self { size: 0, root: empty_root() }
    }
}

impl From<&Checkpoint> for TreeHead {
    fn from(checkpoint: &Checkpoint) -> Self {
        Self { size: checkpoint.size(), root: *checkpoint.root() }
    }
}

impl fmt::Display for TreeHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{TREE_HEAD_PREFIX}{}.{}", self.size, Base64UrlUnpadded::encode_string(&self.root))
    }
}

/// A stored tree head string is not of the form `bzh1.<size>.<root>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a stored tree head")]
pub struct InvalidTreeHead;

impl FromStr for TreeHead {
    type Err = InvalidTreeHead;

    /// Parses the text form strictly: canonical decimal, canonical unpadded base64url.
    fn from_str(s: &str) -> Result<Self, InvalidTreeHead> {
        let (size, root) = s.strip_prefix(TREE_HEAD_PREFIX).and_then(|r| r.split_once('.')).ok_or(InvalidTreeHead)?;
        let canonical = size == "0"
            || (size.len() <= 20
                && size.starts_with(|c: char| c.is_ascii_digit() && c != '0')
                && size.bytes().all(|b| b.is_ascii_digit()));
        if !canonical || root.len() != 43 {
            return Err(InvalidTreeHead);
        }
        let size = size.parse().map_err(|_| InvalidTreeHead)?;
        let mut bytes = [0u8; HASH_LEN];
        if Base64UrlUnpadded::decode(root, &mut bytes).map_err(|_| InvalidTreeHead)?.len() != HASH_LEN
            || Base64UrlUnpadded::encode_string(&bytes) != root
        {
            return Err(InvalidTreeHead);
        }
        Ok(Self { size, root: bytes })
    }
}

/// One of the patient's events as the server hands it over: the event, its salt, where it
/// sits in the log, and the inclusion proof against the checkpoint it comes with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvenEvent {
    /// The event.
    pub event: AccessEvent,
    /// Its salt.
    pub salt: Salt,
    /// Its leaf index in the log.
    pub leaf_index: u64,
    /// Its inclusion proof (audit path) in the tree of the accompanying checkpoint.
    pub inclusion_proof: Vec<Hash>,
}

/// Why an update to the access log did not verify. The variants for which
/// [`indicates_tampering`](Self::indicates_tampering) is true mean the log, or what the
/// server said about it, was altered; the portal should say so.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AccessLogError {
    /// The checkpoint is not a well-formed checkpoint note.
    #[error("malformed checkpoint: {0}")]
    MalformedCheckpoint(&'static str),
    /// The checkpoint is for another log (its origin differs).
    #[error("the checkpoint is for another log")]
    WrongOrigin,
    /// The checkpoint carries no signature from the pinned log key (perhaps the key was
    /// rotated and the client has not been updated).
    #[error("the checkpoint is not signed by the pinned log key")]
    UnknownKey,
    /// The pinned key's signature does not verify: the checkpoint was altered or forged.
    #[error("the checkpoint signature does not verify")]
    BadSignature,
    /// The checkpoint is smaller than the one verified before: the log lost entries.
    #[error("the log shrank from {trusted_size} to {checkpoint_size} entries")]
    Rollback {
        /// Size of the last verified checkpoint.
        trusted_size: u64,
        /// Size of the new one.
        checkpoint_size: u64,
    },
    /// The consistency proof does not show the new checkpoint extending the one verified
    /// before: the log was rewritten or forked.
    #[error("the log is not consistent with the last verified checkpoint")]
    Inconsistent,
    /// The event at position `index` of those given is not proven to be in the log.
    #[error("event {index} is not proven to be in the log")]
    InclusionFailed {
        /// Position of the event in the slice passed to [`AccessLogVerifier::verify`].
        index: usize,
    },
    /// The event at position `index` cannot be encoded (a field is longer than 65,535
    /// bytes), so it cannot be in the log as given.
    #[error("event {index} cannot be encoded")]
    MalformedEvent {
        /// Position of the event in the slice passed to [`AccessLogVerifier::verify`].
        index: usize,
    },
    /// A hash, salt or proof in the server's answer is not well-formed (not 64 hex digits,
    /// or a proof longer than any tree can need).
    #[error("malformed proof: {0}")]
    MalformedProof(&'static str),
}

impl AccessLogError {
    /// Whether this failure means the log was altered (a forged checkpoint, a rollback, a
    /// fork or rewrite, or an event that is not in it), as opposed to a malformed response
    /// or a configuration mismatch.
    #[must_use]
    pub fn indicates_tampering(&self) -> bool {
        matches!(self, Self::BadSignature | Self::Rollback { .. } | Self::Inconsistent | Self::InclusionFailed { .. })
    }
}

impl From<CheckpointError> for AccessLogError {
    fn from(e: CheckpointError) -> Self {
        match e {
            CheckpointError::Malformed(why) => Self::MalformedCheckpoint(why),
            CheckpointError::WrongOrigin => Self::WrongOrigin,
            CheckpointError::UnknownKey => Self::UnknownKey,
            CheckpointError::BadSignature => Self::BadSignature,
            // Not produced by verification.
            CheckpointError::InvalidName(_) | CheckpointError::InvalidPrivateKey | CheckpointError::Random(_) => {
                Self::MalformedCheckpoint("invalid checkpoint")
            }
        }
    }
}

/// Verifies the access log for one patient, remembering the last verified tree head.
///
/// ```
/// use bizing_core::access_log::{AccessLogVerifier, CheckpointSigner, Checkpoint, MerkleTree, TreeHead};
///
/// // Server side: a log key and a checkpoint over an (empty) tree.
/// let signer = CheckpointSigner::generate("log.example/clinic-1")?;
/// let tree = MerkleTree::new();
/// let note = signer.sign(&Checkpoint::new("log.example/clinic-1", tree.size(), tree.root())?);
///
/// // Client side: the pinned key, the stored head (none yet), and the server's answer.
/// let mut verifier = AccessLogVerifier::new("log.example/clinic-1", "log.example/clinic-1",
///                                           signer.verifying_key().clone());
/// verifier.verify(&note, &[], &[])?;
/// let stored = verifier.trusted_head().to_string();      // keep for next time
/// let verifier = AccessLogVerifier::new("log.example/clinic-1", "log.example/clinic-1",
///                                       signer.verifying_key().clone())
///     .with_trusted_head(stored.parse::<TreeHead>()?);
/// # let _ = verifier;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct AccessLogVerifier {
    origin: String,
    key_name: String,
    key: VerifyingKey,
    trusted: TreeHead,
}

impl AccessLogVerifier {
    /// A verifier for the log `origin` whose checkpoints are signed by `key` under
    /// `key_name`, with no history (the empty tree).
    pub fn new(origin: impl Into<String>, key_name: impl Into<String>, key: VerifyingKey) -> Self {
        Self { origin: origin.into(), key_name: key_name.into(), key, trusted: TreeHead::empty() }
    }

    /// The same verifier, starting from a tree head verified in an earlier session.
    #[must_use]
    pub fn with_trusted_head(mut self, head: TreeHead) -> Self {
        self.trusted = head;
        self
    }

    /// The last verified tree head (the empty tree before the first success).
    #[must_use]
    pub fn trusted_head(&self) -> TreeHead {
        self.trusted
    }

    /// Verifies a server response: the signed checkpoint `note`; `consistency_proof` from the
    /// trusted head's size to the checkpoint's (empty when the trusted head is the empty
    /// tree or has the checkpoint's size); and each event's inclusion in the checkpoint's
    /// tree. On success the checkpoint becomes the trusted head and is returned; on failure
    /// nothing changes.
    ///
    /// # Errors
    /// [`AccessLogError::MalformedCheckpoint`], [`AccessLogError::WrongOrigin`],
    /// [`AccessLogError::UnknownKey`] or [`AccessLogError::BadSignature`] for the checkpoint;
    /// [`AccessLogError::Rollback`] if it is smaller than the trusted head;
    /// [`AccessLogError::Inconsistent`] if the consistency proof fails;
    /// [`AccessLogError::MalformedEvent`] or [`AccessLogError::InclusionFailed`] for the
    /// first event that fails.
    pub fn verify(
        &mut self,
        note: &str,
        consistency_proof: &[Hash],
        events: &[ProvenEvent],
    ) -> Result<Checkpoint, AccessLogError> {
        let checkpoint = verify_checkpoint(note, &self.origin, &self.key, &self.key_name)?;
        let (trusted, new) = (self.trusted, TreeHead::from(&checkpoint));
        if new.size < trusted.size {
            return Err(AccessLogError::Rollback { trusted_size: trusted.size, checkpoint_size: new.size });
        }
        verify_consistency(trusted.size, new.size, &trusted.root, &new.root, consistency_proof)
            .map_err(|_| AccessLogError::Inconsistent)?;
        // The events' proofs share the nodes near the root: each is hashed once.
        let mut batch = InclusionBatch::new(new.size, new.root);
        for (index, proven) in events.iter().enumerate() {
            let leaf = proven.event.leaf_hash(&proven.salt).map_err(|_| AccessLogError::MalformedEvent { index })?;
            batch
                .verify(&leaf, proven.leaf_index, &proven.inclusion_proof)
                .map_err(|_: ProofError| AccessLogError::InclusionFailed { index })?;
        }
        self.trusted = new;
        Ok(checkpoint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn tree_head_text_round_trips_strictly() {
        let head = TreeHead { size: 1234, root: [0xfb; 32] };
        let text = head.to_string();
        assert!(text.starts_with("bzh1.1234."), "{text}");
        assert_eq!(text.parse::<TreeHead>(), Ok(head));
        assert_eq!(TreeHead::empty().to_string().parse::<TreeHead>(), Ok(TreeHead::empty()));
        let root = Base64UrlUnpadded::encode_string(&[0xfb; 32]);
        for bad in [
            String::new(),
            format!("bzh2.1234.{root}"),
            format!("bzh1.01234.{root}"),
            format!("bzh1.+1234.{root}"),
            format!("bzh1..{root}"),
            format!("bzh1.1234.{root}="),
            format!("bzh1.1234.{}", &root[1..]),
            format!("bzh1.1234.{root}.x"),
            format!("bzh1.99999999999999999999.{root}"),
            // Non-zero unused bits in the last digit (the root is 32 zero bytes).
            format!("bzh1.1234.{}B", "A".repeat(42)),
        ] {
            assert_eq!(bad.parse::<TreeHead>(), Err(InvalidTreeHead), "{bad}");
        }
    }

    #[test]
    fn tampering_classification() {
        assert!(AccessLogError::BadSignature.indicates_tampering());
        assert!(AccessLogError::Inconsistent.indicates_tampering());
        assert!(AccessLogError::InclusionFailed { index: 0 }.indicates_tampering());
        assert!(AccessLogError::Rollback { trusted_size: 2, checkpoint_size: 1 }.indicates_tampering());
        assert!(!AccessLogError::UnknownKey.indicates_tampering());
        assert!(!AccessLogError::WrongOrigin.indicates_tampering());
        assert!(!AccessLogError::MalformedCheckpoint("x").indicates_tampering());
    }
}
