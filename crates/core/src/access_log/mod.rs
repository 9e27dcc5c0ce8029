//! The access log a patient can verify.
//!
//! Every read or write of PHI appends an [`AccessEvent`] to an append-only log. The log is
//! an RFC 9162 Merkle tree ([`merkle`]) whose leaves are salted hashes of the events, so the
//! tree says nothing about any patient to anyone without the salts. The server signs
//! [`Checkpoint`]s (C2SP `tlog-checkpoint` notes, ECDSA P-256) with a [`CheckpointSigner`];
//! a patient's client pins the public key and runs an [`AccessLogVerifier`], which checks the
//! signature, the consistency of each new checkpoint with the last one it verified
//! ([`TreeHead`], kept between sessions), and the inclusion of each of the patient's events.
//!
//! The byte formats are specified in `docs/access-log-format.md`; this module is the
//! reference implementation of that document.
//!
//! Server side, appending and proving:
//!
//! ```
//! use bizing_core::access_log::{
//!     AccessEvent, Action, Actor, Checkpoint, CheckpointSigner, Client, MerkleTree, ProvenEvent,
//!     Resource, ResourceKind, Role, Salt, AccessLogVerifier,
//! };
//!
//! let signer = CheckpointSigner::generate("log.example/clinic-1")?;
//! let mut tree = MerkleTree::new();
//! let event = AccessEvent {
//!     tenant_id: "clinic-1".into(),
//!     patient_id: "pt-42".into(),
//!     actor: Actor { user_id: "u-7".into(), role: Role::PROVIDER, display_name: "Dr. Ana Silva".into() },
//!     resource: Resource { kind: ResourceKind::NOTE, id: "bk-9".into() },
//!     action: Action::DECRYPT,
//!     at: 1_767_225_600,
//!     from: Client::PORTAL,
//! };
//! let salt = Salt::generate()?; // stored with the event; shown only to pt-42
//! tree.push(event.leaf_hash(&salt)?);
//! let note = signer.sign(&Checkpoint::new("log.example/clinic-1", tree.size(), tree.root())?);
//! let proven = ProvenEvent { event, salt, leaf_index: 0, inclusion_proof: tree.inclusion_proof(0, tree.size())? };
//!
//! // The patient's portal.
//! let mut verifier = AccessLogVerifier::new("log.example/clinic-1", "log.example/clinic-1",
//!                                           signer.verifying_key().clone());
//! verifier.verify(&note, &[], &[proven])?;
//! assert_eq!(verifier.trusted_head().size, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod checkpoint;
mod event;
pub mod merkle;
mod verifier;

pub use checkpoint::{
    Checkpoint, CheckpointError, CheckpointSigner, MAX_NAME_LEN, MAX_NOTE_LEN, MAX_SIGNATURES, NOTE_KEY_ID_LEN,
    SIGNATURE_ALGORITHM_ID, SIGNATURE_TYPE, note_key_id, verify_checkpoint,
};
pub use event::{
    AccessEvent, Action, Actor, Client, EVENT_ENCODING_VERSION, EventError, MAX_FIELD_LEN, MAX_TOKEN_LEN, Resource,
    ResourceKind, Role, SALT_LEN, Salt,
};
pub use merkle::{Hash, InclusionBatch, MerkleTree, ProofError};
pub use verifier::{AccessLogError, AccessLogVerifier, InvalidTreeHead, ProvenEvent, TreeHead};
