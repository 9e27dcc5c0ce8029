//! The verifiable access log through the public API: RFC 6962/9162 known answers, exhaustive
//! proof round trips, tampering and forks, hostile checkpoint notes, and the frozen vectors
//! that `docs/access-log-format.md` and the independent verifier in `tests/interop-python`
//! are checked against.
//!
//! Regenerate the vectors (only for a deliberate, versioned format change):
//! `cargo test -p bizing-core --test access_log -- --ignored --nocapture print_access_log_vectors`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use std::sync::OnceLock;

use bizing_core::VerifyingKey;
use bizing_core::access_log::merkle::{
    self, HASH_LEN, InclusionBatch, consistency_proof, empty_root, inclusion_proof, leaf_hash, node_hash, root,
    verify_consistency, verify_inclusion,
};
use bizing_core::access_log::{
    AccessEvent, AccessLogError, AccessLogVerifier, Action, Actor, Checkpoint, CheckpointError, CheckpointSigner,
    Client, Hash, MerkleTree, ProofError, ProvenEvent, Resource, ResourceKind, Role, Salt, TreeHead, note_key_id,
    verify_checkpoint,
};
use common::{TestRng, scalar_for_seed};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
use wasm_bindgen_test::wasm_bindgen_test as test;

const ORIGIN: &str = "log.bizing.example/clinic-7f3a";
const LOG_KEY_SEED: u64 = 9001;
const WITNESS_KEY_SEED: u64 = 9002;
const SALT_SEED: u64 = 9100;

fn hx(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

fn unhex(s: &str) -> Hash {
    hex::decode(s).unwrap().try_into().unwrap()
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(48),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn test_leaves(n: u64) -> Vec<Hash> {
    (0..n).map(|i| leaf_hash(format!("entry {i}").as_bytes())).collect()
}

fn log_signer() -> &'static CheckpointSigner {
    static SIGNER: OnceLock<CheckpointSigner> = OnceLock::new();
    SIGNER.get_or_init(|| CheckpointSigner::generate_with_rng(ORIGIN, &mut TestRng::new(LOG_KEY_SEED)).unwrap())
}

fn witness_signer() -> &'static CheckpointSigner {
    static SIGNER: OnceLock<CheckpointSigner> = OnceLock::new();
    SIGNER.get_or_init(|| {
        CheckpointSigner::generate_with_rng("witness.example/w1", &mut TestRng::new(WITNESS_KEY_SEED)).unwrap()
    })
}

fn log_key() -> &'static VerifyingKey {
    log_signer().verifying_key()
}

fn sign(tree: &MerkleTree, size: u64) -> String {
    log_signer().sign(&Checkpoint::new(ORIGIN, size, tree.root_at(size).unwrap()).unwrap())
}

fn verifier() -> AccessLogVerifier {
    AccessLogVerifier::new(ORIGIN, ORIGIN, log_key().clone())
}

// --- Known answers ------------------------------------------------------------------------

/// From transparency-dev/merkle `testonly/constants.go` (Apache-2.0): the RFC 6962 reference
/// leaf inputs of google/certificate-transparency and the roots of the trees over the first
/// 0..=8 of them.
const CT_LEAF_INPUTS: [&str; 8] =
    ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];
const CT_ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// From transparency-dev/merkle `proof/verify_test.go` (Apache-2.0): (leaf index, tree size,
/// audit path) over `CT_LEAF_INPUTS`. (The Go file numbers leaves from 1.)
const CT_INCLUSION: [(u64, u64, &[&str]); 4] = [
    (
        0,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
];

/// From the same file: (old size, new size, consistency proof) over `CT_LEAF_INPUTS`.
const CT_CONSISTENCY: [(u64, u64, &[&str]); 4] = [
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
];

fn ct_leaves() -> Vec<Hash> {
    CT_LEAF_INPUTS.iter().map(|h| leaf_hash(&hex::decode(h).unwrap())).collect()
}

#[test]
fn rfc6962_reference_roots() {
    let leaves = ct_leaves();
    let tree = MerkleTree::from_leaf_hashes(leaves.iter().copied());
    for (size, expected) in CT_ROOTS.iter().enumerate() {
        assert_eq!(hx(&root(&leaves[..size])), *expected, "root of {size}");
        assert_eq!(hx(&tree.root_at(size as u64).unwrap()), *expected, "tree root of {size}");
    }
}

#[test]
fn rfc6962_reference_proofs() {
    let leaves = ct_leaves();
    let tree = MerkleTree::from_leaf_hashes(leaves.iter().copied());
    for (index, size, path) in CT_INCLUSION {
        let expected: Vec<Hash> = path.iter().map(|h| unhex(h)).collect();
        assert_eq!(inclusion_proof(&leaves[..size as usize], index).unwrap(), expected, "{index}/{size}");
        assert_eq!(tree.inclusion_proof(index, size).unwrap(), expected, "{index}/{size}");
        let root = unhex(CT_ROOTS[size as usize]);
        verify_inclusion(&leaves[index as usize], index, size, &expected, &root).unwrap();
        assert_inclusion_probes_fail(&leaves[index as usize], index, size, &expected, &root);
    }
    for (old, new, path) in CT_CONSISTENCY {
        let expected: Vec<Hash> = path.iter().map(|h| unhex(h)).collect();
        assert_eq!(consistency_proof(&leaves[..new as usize], old).unwrap(), expected, "{old}->{new}");
        assert_eq!(tree.consistency_proof(old, new).unwrap(), expected, "{old}->{new}");
        let (r1, r2) = (unhex(CT_ROOTS[old as usize]), unhex(CT_ROOTS[new as usize]));
        verify_consistency(old, new, &r1, &r2, &expected).unwrap();
        assert_consistency_probes_fail(old, new, &r1, &r2, &expected);
    }
}

/// (what, leaf hash, index, size, proof, root)
type InclusionProbe<'a> = (&'a str, Hash, u64, u64, Vec<Hash>, Hash);
/// (what, old size, new size, old root, new root, proof)
type ConsistencyProbe<'a> = (&'a str, u64, u64, Hash, Hash, Vec<Hash>);

/// The corruptions transparency-dev/merkle's `corruptInclusionProof` tries, none of which may
/// verify.
fn assert_inclusion_probes_fail(leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) {
    let some = [0xab; 32];
    let mut probes: Vec<InclusionProbe<'_>> = vec![
        ("index - 1", *leaf, index.wrapping_sub(1), size, proof.to_vec(), *root),
        ("index + 1", *leaf, index + 1, size, proof.to_vec(), *root),
        ("index ^ 2", *leaf, index ^ 2, size, proof.to_vec(), *root),
        ("size * 2", *leaf, index, size * 2, proof.to_vec(), *root),
        ("size / 2", *leaf, index, size / 2, proof.to_vec(), *root),
        ("wrong leaf", some, index, size, proof.to_vec(), *root),
        ("empty root", *leaf, index, size, proof.to_vec(), empty_root()),
        ("random root", *leaf, index, size, proof.to_vec(), some),
        ("trailing root", *leaf, index, size, [proof, &[*root]].concat(), *root),
        ("preceding root", *leaf, index, size, [&[*root], proof].concat(), *root),
    ];
    for i in 0..proof.len() {
        let mut p = proof.to_vec();
        p[i][0] ^= 8;
        probes.push(("flipped bit", *leaf, index, size, p, *root));
    }
    if let Some((_, init)) = proof.split_last() {
        probes.push(("removed component", *leaf, index, size, init.to_vec(), *root));
    }
    if proof.len() > 1 {
        let mut p = proof.to_vec();
        p.insert(1, some);
        probes.push(("inserted component", *leaf, index, size, p, *root));
    }
    for (what, leaf, index, size, proof, root) in probes {
        assert!(verify_inclusion(&leaf, index, size, &proof, &root).is_err(), "{what} verified");
    }
}

/// The corruptions of transparency-dev/merkle's `corruptConsistencyProof`.
fn assert_consistency_probes_fail(old: u64, new: u64, r1: &Hash, r2: &Hash, proof: &[Hash]) {
    let wrong = [0x77; 32];
    let mut probes: Vec<ConsistencyProbe<'_>> = vec![
        ("old - 1", old - 1, new, *r1, *r2, proof.to_vec()),
        ("old + 1", old + 1, new, *r1, *r2, proof.to_vec()),
        ("old ^ 2", old ^ 2, new, *r1, *r2, proof.to_vec()),
        ("new * 2", old, new * 2, *r1, *r2, proof.to_vec()),
        ("new / 2", old, new / 2, *r1, *r2, proof.to_vec()),
        ("wrong old root", old, new, wrong, *r2, proof.to_vec()),
        ("wrong new root", old, new, *r1, wrong, proof.to_vec()),
        ("swapped roots", old, new, *r2, *r1, proof.to_vec()),
        ("empty proof", old, new, *r1, *r2, vec![]),
        ("trailing old root", old, new, *r1, *r2, [proof, &[*r1]].concat()),
        ("trailing new root", old, new, *r1, *r2, [proof, &[*r2]].concat()),
        ("preceding old root", old, new, *r1, *r2, [&[*r1], proof].concat()),
        ("preceding new root", old, new, *r1, *r2, [&[*r2], proof].concat()),
        ("preceding proof[0]", old, new, *r1, *r2, [&proof[..1], proof].concat()),
    ];
    if let Some((_, init)) = proof.split_last() {
        probes.push(("truncated", old, new, *r1, *r2, init.to_vec()));
    }
    for i in 0..proof.len() {
        let mut p = proof.to_vec();
        p[i][0] ^= 16;
        probes.push(("flipped bit", old, new, *r1, *r2, p));
    }
    for (what, old, new, r1, r2, proof) in probes {
        assert!(verify_consistency(old, new, &r1, &r2, &proof).is_err(), "{what} verified");
    }
}

#[test]
fn empty_and_one_leaf_trees() {
    // RFC 9162 §2.1.1: MTH({}) = SHA-256(); MTH({d0}) = SHA-256(0x00 || d0).
    assert_eq!(hx(&empty_root()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_eq!(root(&[]), empty_root());
    assert_eq!(MerkleTree::new().root(), empty_root());
    let leaf = leaf_hash(b"data");
    assert_eq!(root(&[leaf]), leaf);
    assert_eq!(node_hash(&leaf, &leaf), {
        let mut pre = vec![1u8];
        pre.extend_from_slice(&leaf);
        pre.extend_from_slice(&leaf);
        sha256(&pre)
    });
    assert_eq!(inclusion_proof(&[leaf], 0).unwrap(), Vec::<Hash>::new());
    verify_inclusion(&leaf, 0, 1, &[], &leaf).unwrap();
    assert_eq!(verify_inclusion(&leaf, 0, 1, &[], &empty_root()), Err(ProofError::RootMismatch));
    assert_eq!(verify_inclusion(&leaf, 0, 1, &[leaf], &leaf), Err(ProofError::WrongProofLength));
    // Index >= size, including the empty tree.
    for (index, size) in [(0, 0), (1, 0), (1, 1), (2, 1), (u64::MAX, u64::MAX), (u64::MAX, 0)] {
        assert_eq!(verify_inclusion(&leaf, index, size, &[], &leaf), Err(ProofError::IndexOutOfRange));
    }
    assert_eq!(inclusion_proof(&[], 0), Err(ProofError::IndexOutOfRange));
    assert_eq!(inclusion_proof(&[leaf], 1), Err(ProofError::IndexOutOfRange));
}

#[test]
fn consistency_edge_cases() {
    let (r1, r2) = ([1u8; 32], [2u8; 32]);
    let e = empty_root();
    // Equal sizes: empty proof and equal roots.
    verify_consistency(0, 0, &e, &e, &[]).unwrap();
    verify_consistency(1, 1, &r2, &r2, &[]).unwrap();
    verify_consistency(u64::MAX, u64::MAX, &r2, &r2, &[]).unwrap();
    assert_eq!(verify_consistency(1, 1, &r1, &r2, &[]), Err(ProofError::RootMismatch));
    assert_eq!(verify_consistency(1, 1, &r1, &r1, &[r1]), Err(ProofError::WrongProofLength));
    // From the empty tree: empty proof, and the old root must be the empty root.
    verify_consistency(0, 1, &e, &r2, &[]).unwrap();
    verify_consistency(0, u64::MAX, &e, &r2, &[]).unwrap();
    assert_eq!(verify_consistency(0, 1, &r1, &r2, &[]), Err(ProofError::RootMismatch));
    assert_eq!(verify_consistency(0, 1, &e, &e, &[e]), Err(ProofError::WrongProofLength));
    // Back in time.
    assert_eq!(verify_consistency(1, 0, &r1, &e, &[]), Err(ProofError::SizeOutOfRange));
    assert_eq!(verify_consistency(2, 1, &r1, &r2, &[]), Err(ProofError::SizeOutOfRange));
    // 0 < old < new needs a proof.
    assert_eq!(verify_consistency(1, 2, &r1, &r2, &[]), Err(ProofError::WrongProofLength));
    // Generation mirrors the same conventions.
    let leaves = test_leaves(5);
    assert_eq!(consistency_proof(&leaves, 0).unwrap(), Vec::<Hash>::new());
    assert_eq!(consistency_proof(&leaves, 5).unwrap(), Vec::<Hash>::new());
    assert_eq!(consistency_proof(&leaves, 6), Err(ProofError::SizeOutOfRange));
}

#[test]
fn huge_sizes_and_long_proofs_are_rejected_without_work() {
    let leaf = [3u8; 32];
    let long = vec![[0u8; 32]; 10_000];
    assert_eq!(verify_inclusion(&leaf, 5, u64::MAX, &long, &leaf), Err(ProofError::WrongProofLength));
    assert_eq!(verify_consistency(5, u64::MAX, &leaf, &leaf, &long), Err(ProofError::WrongProofLength));
    // Right-length garbage for the largest sizes runs the algorithm to a clean failure.
    for (index, size) in [(0, u64::MAX), (u64::MAX - 1, u64::MAX), (1 << 63, u64::MAX), (12345, 1 << 63)] {
        let proof = vec![[9u8; 32]; merkle_len(index, size)];
        assert_eq!(verify_inclusion(&leaf, index, size, &proof, &leaf), Err(ProofError::RootMismatch));
    }
    for (old, new) in [(1, u64::MAX), (u64::MAX - 1, u64::MAX), (1 << 63, u64::MAX), (3, 1 << 63)] {
        let len = (0..=70).find(|&l| {
            verify_consistency(old, new, &leaf, &leaf, &vec![[9u8; 32]; l]) != Err(ProofError::WrongProofLength)
        });
        let len = len.expect("some length is right");
        assert_eq!(verify_consistency(old, new, &leaf, &leaf, &vec![[9u8; 32]; len]), Err(ProofError::RootMismatch));
    }
}

/// The right inclusion proof length, found by asking the verifier.
fn merkle_len(index: u64, size: u64) -> usize {
    (0..=64)
        .find(|&l| {
            verify_inclusion(&[0; 32], index, size, &vec![[0u8; 32]; l], &[1; 32]) != Err(ProofError::WrongProofLength)
        })
        .unwrap()
}

#[test]
fn exhaustive_round_trips_up_to_48_leaves() {
    const N: u64 = 48;
    let leaves = test_leaves(N);
    let tree = MerkleTree::from_leaf_hashes(leaves.iter().copied());
    let roots: Vec<Hash> = (0..=N).map(|n| root(&leaves[..n as usize])).collect();
    for n in 1..=N {
        let d = &leaves[..n as usize];
        assert_eq!(tree.root_at(n).unwrap(), roots[n as usize]);
        for m in 0..n {
            let proof = inclusion_proof(d, m).unwrap();
            assert_eq!(tree.inclusion_proof(m, n).unwrap(), proof, "{m}/{n}");
            verify_inclusion(&leaves[m as usize], m, n, &proof, &roots[n as usize]).unwrap();
            // The proof binds the index and the leaf.
            for other in 0..n {
                if other != m {
                    assert!(verify_inclusion(&leaves[m as usize], other, n, &proof, &roots[n as usize]).is_err());
                    assert!(verify_inclusion(&leaves[other as usize], m, n, &proof, &roots[n as usize]).is_err());
                }
            }
        }
        for m in 0..=n {
            let proof = consistency_proof(d, m).unwrap();
            assert_eq!(tree.consistency_proof(m, n).unwrap(), proof, "{m}->{n}");
            verify_consistency(m, n, &roots[m as usize], &roots[n as usize], &proof).unwrap();
            // Against any other old root it fails. (The same hashes may also prove another,
            // equally true, pair of sizes: that is not a forgery.)
            // Against any other new root too, unless the old tree is empty (a prefix of all).
            for other in 0..=n {
                if other != m {
                    assert!(verify_consistency(m, n, &roots[other as usize], &roots[n as usize], &proof).is_err());
                }
                if other != n && m > 0 {
                    assert!(verify_consistency(m, n, &roots[m as usize], &roots[other as usize], &proof).is_err());
                }
            }
        }
    }
}

/// The batch verifier, once it remembers every node of a tree (so every proof takes its
/// shortcut), still refuses every tampered leaf, proof hash and index, exactly as the plain
/// verifier does; and before that, each valid proof in any order succeeds.
#[test]
fn inclusion_batch_refuses_what_the_plain_verifier_refuses() {
    for n in 1..=40_u64 {
        let leaves = test_leaves(n);
        let tree = MerkleTree::from_leaf_hashes(leaves.iter().copied());
        let root = tree.root();
        let mut batch = InclusionBatch::new(n, root);
        // Every leaf, in an order that is not the tree's.
        for m in (0..n).map(|i| (i * 7 + 3) % n) {
            batch.verify(&leaves[m as usize], m, &tree.inclusion_proof(m, n).unwrap()).unwrap();
        }
        for m in 0..n {
            let (leaf, proof) = (leaves[m as usize], tree.inclusion_proof(m, n).unwrap());
            batch.verify(&leaf, m, &proof).unwrap();
            let mut bad = leaf;
            bad[(m as usize) % HASH_LEN] ^= 1;
            assert_eq!(batch.verify(&bad, m, &proof), Err(ProofError::RootMismatch), "n={n} m={m} leaf");
            for i in 0..proof.len() {
                let mut bad = proof.clone();
                bad[i][(i * 5) % HASH_LEN] ^= 0x80;
                assert_eq!(
                    batch.verify(&leaf, m, &bad),
                    verify_inclusion(&leaf, m, n, &bad, &root),
                    "n={n} m={m} hash {i}"
                );
                assert!(batch.verify(&leaf, m, &bad).is_err(), "n={n} m={m} hash {i}");
            }
            for other in 0..n {
                if other != m {
                    assert_eq!(batch.verify(&leaf, other, &proof), verify_inclusion(&leaf, other, n, &proof, &root));
                    assert!(batch.verify(&leaf, other, &proof).is_err(), "n={n} leaf {m} at {other}");
                }
            }
            assert_eq!(batch.verify(&leaf, n, &proof), Err(ProofError::IndexOutOfRange));
            if let Some((_, shorter)) = proof.split_last() {
                assert_eq!(batch.verify(&leaf, m, shorter), Err(ProofError::WrongProofLength));
            }
            let longer = [proof.as_slice(), &[root]].concat();
            assert_eq!(batch.verify(&leaf, m, &longer), Err(ProofError::WrongProofLength));
        }
    }
}

/// A tampered proof hash the batch remembers is refused even when the path's node below it
/// is remembered too: the rest of a proof must be the remembered siblings, not merely lead
/// somewhere the batch has been.
#[test]
fn inclusion_batch_checks_the_rest_of_a_proof_after_its_shortcut() {
    let n = 1000;
    let leaves = test_leaves(n);
    let tree = MerkleTree::from_leaf_hashes(leaves.iter().copied());
    let mut batch = InclusionBatch::new(n, tree.root());
    let proof = tree.inclusion_proof(0, n).unwrap();
    batch.verify(&leaves[0], 0, &proof).unwrap();
    // Leaf 1's path meets leaf 0's at their parent; its top hash replaced by leaf 0's top
    // hash's neighbour is refused, as the plain verifier refuses it.
    let mut bad = tree.inclusion_proof(1, n).unwrap();
    let last = bad.len() - 1;
    bad[last] = bad[last - 1];
    assert_eq!(batch.verify(&leaves[1], 1, &bad), Err(ProofError::RootMismatch));
    assert_eq!(verify_inclusion(&leaves[1], 1, n, &bad, &tree.root()), Err(ProofError::RootMismatch));
    batch.verify(&leaves[1], 1, &tree.inclusion_proof(1, n).unwrap()).unwrap();
}

proptest! {
    #![proptest_config(config())]

    /// Any sequence of valid and tampered proofs: the batch answers each exactly as the plain
    /// verifier does, whatever it remembered from the ones before.
    #[test]
    fn inclusion_batch_agrees_with_the_plain_verifier(
        n in 1..300u64,
        ops in prop::collection::vec((any::<prop::sample::Index>(), 0..6usize, any::<prop::sample::Index>(), 0..8u8), 1..60),
    ) {
        let leaves = test_leaves(n);
        let tree = MerkleTree::from_leaf_hashes(leaves.iter().copied());
        let root = tree.root();
        let mut batch = InclusionBatch::new(n, root);
        for (index, kind, position, bit) in ops {
            let m = index.index(n as usize) as u64;
            let (mut leaf, mut proof, mut at) = (leaves[m as usize], tree.inclusion_proof(m, n).unwrap(), m);
            match kind {
                0 | 1 => {}
                2 => leaf[position.index(HASH_LEN)] ^= 1 << bit,
                3 if !proof.is_empty() => {
                    let i = position.index(proof.len() * HASH_LEN);
                    proof[i / HASH_LEN][i % HASH_LEN] ^= 1 << bit;
                }
                4 => at = position.index(n as usize + 1) as u64,
                _ => {
                    let i = position.index(proof.len() + 1);
                    proof.insert(i, leaf);
                }
            }
            prop_assert_eq!(batch.verify(&leaf, at, &proof), verify_inclusion(&leaf, at, n, &proof, &root));
        }
    }

    #[test]
    fn any_flipped_byte_fails_inclusion(
        n in 1..300u64,
        index in any::<prop::sample::Index>(),
        target in 0..3usize,
        position in any::<prop::sample::Index>(),
        bit in 0..8u8,
    ) {
        let leaves = test_leaves(n);
        let tree = MerkleTree::from_leaf_hashes(leaves.iter().copied());
        let m = index.index(n as usize) as u64;
        let (mut leaf, mut proof, mut root) = (leaves[m as usize], tree.inclusion_proof(m, n).unwrap(), tree.root());
        prop_assert!(verify_inclusion(&leaf, m, n, &proof, &root).is_ok());
        match target {
            0 => leaf[position.index(HASH_LEN)] ^= 1 << bit,
            1 => root[position.index(HASH_LEN)] ^= 1 << bit,
            _ => {
                prop_assume!(!proof.is_empty());
                let i = position.index(proof.len() * HASH_LEN);
                proof[i / HASH_LEN][i % HASH_LEN] ^= 1 << bit;
            }
        }
        prop_assert!(verify_inclusion(&leaf, m, n, &proof, &root).is_err());
    }

    #[test]
    fn any_flipped_byte_fails_consistency(
        n in 2..300u64,
        old in any::<prop::sample::Index>(),
        target in 0..3usize,
        position in any::<prop::sample::Index>(),
        bit in 0..8u8,
    ) {
        let tree = MerkleTree::from_leaf_hashes(test_leaves(n));
        let m = 1 + old.index(n as usize - 1) as u64;
        prop_assume!(m < n);
        let (mut r1, mut r2) = (tree.root_at(m).unwrap(), tree.root());
        let mut proof = tree.consistency_proof(m, n).unwrap();
        prop_assert!(verify_consistency(m, n, &r1, &r2, &proof).is_ok());
        match target {
            0 => r1[position.index(HASH_LEN)] ^= 1 << bit,
            1 => r2[position.index(HASH_LEN)] ^= 1 << bit,
            _ => {
                let i = position.index(proof.len() * HASH_LEN);
                proof[i / HASH_LEN][i % HASH_LEN] ^= 1 << bit;
            }
        }
        prop_assert!(verify_consistency(m, n, &r1, &r2, &proof).is_err());
    }

    /// Two logs that share a prefix and then differ: no consistency proof from either tree
    /// takes a head of one to a head of the other past the fork.
    #[test]
    fn forked_logs_are_inconsistent(shared in 0..60u64, old_extra in 1..40u64, new_extra in 0..40u64) {
        let base = test_leaves(shared);
        let branch = |tag: &str, n: u64| -> MerkleTree {
            let mut t = MerkleTree::from_leaf_hashes(base.iter().copied());
            for i in 0..n {
                t.push(leaf_hash(format!("{tag} {i}").as_bytes()));
            }
            t
        };
        let (a, b) = (branch("a", old_extra), branch("b", old_extra + new_extra));
        let (m, n) = (a.size(), b.size());
        for proof in [b.consistency_proof(m, n).unwrap(), a.consistency_proof(m, m).unwrap()] {
            prop_assert!(verify_consistency(m, n, &a.root(), &b.root(), &proof).is_err());
        }
        // Through the verifier: trust a's checkpoint, then be shown b's.
        let mut v = verifier();
        v.verify(&sign(&a, m), &[], &[]).unwrap();
        prop_assert_eq!(
            v.verify(&sign(&b, n), &b.consistency_proof(m, n).unwrap(), &[]),
            Err(AccessLogError::Inconsistent)
        );
        prop_assert_eq!(v.trusted_head(), TreeHead { size: m, root: a.root() });
    }

    /// Any single flipped byte of a signed checkpoint note is rejected.
    #[test]
    fn any_flipped_byte_fails_the_checkpoint(
        size in 0..1000u64,
        position in any::<prop::sample::Index>(),
        bit in 0..8u8,
    ) {
        let note = log_signer().sign(&Checkpoint::new(ORIGIN, size, leaf_hash(&size.to_be_bytes())).unwrap());
        prop_assert!(verify_checkpoint(&note, ORIGIN, log_key(), ORIGIN).is_ok());
        let mut bytes = note.into_bytes();
        let i = position.index(bytes.len());
        bytes[i] ^= 1 << bit;
        if let Ok(tampered) = String::from_utf8(bytes) {
            prop_assert!(verify_checkpoint(&tampered, ORIGIN, log_key(), ORIGIN).is_err(), "{:?}", tampered);
        }
    }

    /// Hostile notes never panic (and, not being signed, never verify).
    #[test]
    fn arbitrary_notes_are_rejected(note in "(\\PC|\n){0,300}") {
        prop_assert!(verify_checkpoint(&note, ORIGIN, log_key(), ORIGIN).is_err());
    }

    /// Edits of a valid note (insert, delete or replace a character) never panic and never verify.
    #[test]
    fn edited_notes_are_rejected(at in any::<prop::sample::Index>(), edit in 0..3usize, c in prop::char::any()) {
        let note = log_signer().sign(&Checkpoint::new(ORIGIN, 42, [5; 32]).unwrap());
        let mut chars: Vec<char> = note.chars().collect();
        let i = at.index(chars.len());
        match edit {
            0 => chars.insert(i, c),
            1 => { chars.remove(i); }
            _ => { prop_assume!(chars[i] != c); chars[i] = c; }
        }
        let edited: String = chars.into_iter().collect();
        prop_assert!(verify_checkpoint(&edited, ORIGIN, log_key(), ORIGIN).is_err(), "{:?}", edited);
    }

    #[test]
    fn events_round_trip_and_decoding_never_panics(
        event in arb_event(),
        junk in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let bytes = event.to_canonical_bytes().unwrap();
        prop_assert_eq!(AccessEvent::from_canonical_bytes(&bytes).unwrap(), event.clone());
        let json = serde_json::to_string(&event).unwrap();
        prop_assert_eq!(serde_json::from_str::<AccessEvent>(&json).unwrap(), event);
        let _ = AccessEvent::from_canonical_bytes(&junk);
        let mut spliced = bytes.clone();
        spliced.extend_from_slice(&junk);
        if !junk.is_empty() {
            prop_assert!(AccessEvent::from_canonical_bytes(&spliced).is_err());
        }
    }

    /// Distinct events give distinct encodings (the encoding is injective).
    #[test]
    fn distinct_events_encode_differently(a in arb_event(), b in arb_event()) {
        prop_assume!(a != b);
        prop_assert_ne!(a.to_canonical_bytes().unwrap(), b.to_canonical_bytes().unwrap());
    }
}

fn token() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,31}"
}

fn arb_event() -> impl Strategy<Value = AccessEvent> {
    ((".{0,20}", ".{0,20}", ".{0,20}", token(), ".{0,30}"), (token(), ".{0,20}", token(), any::<u64>(), token()))
        .prop_map(|((tenant, patient, user, role, name), (kind, id, action, at, from))| AccessEvent {
            tenant_id: tenant,
            patient_id: patient,
            actor: Actor { user_id: user, role: Role::new(role).unwrap(), display_name: name },
            resource: Resource { kind: ResourceKind::new(kind).unwrap(), id },
            action: Action::new(action).unwrap(),
            at,
            from: Client::new(from).unwrap(),
        })
}

// --- Checkpoints ----------------------------------------------------------------------------

#[test]
fn signer_keys_and_key_ids() {
    let signer = log_signer();
    assert_eq!(signer.key_name(), ORIGIN);
    assert_eq!(signer.to_secret_bytes().as_slice(), scalar_for_seed(LOG_KEY_SEED));
    let again = CheckpointSigner::from_secret_bytes(ORIGIN, signer.to_secret_bytes().as_slice()).unwrap();
    assert_eq!(again.public_key_sec1(), signer.public_key_sec1());
    assert_eq!(signer.verifying_key().to_sec1(), signer.public_key_sec1());
    // Key id = SHA-256(name || 0x0A || 0xFF || algorithm id || SEC1 uncompressed)[:4].
    let mut pre = ORIGIN.as_bytes().to_vec();
    pre.extend_from_slice(b"\n\xffbizing/ecdsa-p256-sha256-p1363");
    pre.extend_from_slice(&signer.public_key_sec1());
    assert_eq!(signer.key_id(), sha256(&pre)[..4]);
    assert_eq!(note_key_id(ORIGIN, &signer.public_key_sec1()), signer.key_id());
    // A key pinned in compressed form has the same id.
    let sec1 = signer.public_key_sec1();
    let mut compressed = vec![0x02 | (sec1[64] & 1)];
    compressed.extend_from_slice(&sec1[1..33]);
    assert_eq!(VerifyingKey::from_sec1(&compressed).unwrap().to_sec1(), sec1);
    // Signing is deterministic.
    let cp = Checkpoint::new(ORIGIN, 7, [1; 32]).unwrap();
    assert_eq!(signer.sign(&cp), again.sign(&cp));

    for bad in ["", "a b", "a+b", "line\nbreak"] {
        assert_eq!(
            CheckpointSigner::generate_with_rng(bad, &mut TestRng::new(1)).unwrap_err(),
            CheckpointError::InvalidName("key name")
        );
        assert_eq!(Checkpoint::new(bad, 1, [0; 32]).unwrap_err(), CheckpointError::InvalidName("origin"));
    }
    for bad in [&[0u8; 32][..], &[0xff; 32], &[1; 31], &[1; 33]] {
        assert_eq!(CheckpointSigner::from_secret_bytes(ORIGIN, bad).unwrap_err(), CheckpointError::InvalidPrivateKey);
    }
    assert!(format!("{signer:?}").contains(ORIGIN));
}

#[test]
fn checkpoint_note_layout() {
    let cp = Checkpoint::new(ORIGIN, 20852163, unhex(CT_ROOTS[8])).unwrap();
    let note = log_signer().sign(&cp);
    let body = format!("{ORIGIN}\n20852163\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n");
    assert_eq!(cp.body(), body);
    let (head, sig) = note.split_once("\n\n").unwrap();
    assert_eq!(format!("{head}\n"), body);
    let sig = sig.strip_prefix(&format!("\u{2014} {ORIGIN} ")).unwrap().strip_suffix('\n').unwrap();
    use base64ct::Encoding;
    let blob = base64ct::Base64::decode_vec(sig).unwrap();
    assert_eq!(blob.len(), 68);
    assert_eq!(blob[..4], log_signer().key_id());
    log_key().verify(body.as_bytes(), &blob[4..]).unwrap();
    assert_eq!(verify_checkpoint(&note, ORIGIN, log_key(), ORIGIN).unwrap(), cp);
}

fn replace_sig_line(note: &str, line: &str) -> String {
    let (body, _) = note.split_once("\n\n").unwrap();
    format!("{body}\n\n{line}\n")
}

fn sig_line(name: &str, blob: &[u8]) -> String {
    use base64ct::Encoding;
    format!("\u{2014} {name} {}", base64ct::Base64::encode_string(blob))
}

/// Hostile notes, each derived from a valid one, with the error each must produce.
fn hostile_notes() -> Vec<(&'static str, String, Result<(), CheckpointError>)> {
    use CheckpointError::{BadSignature, Malformed, UnknownKey, WrongOrigin};
    use base64ct::Encoding;
    let root = unhex(CT_ROOTS[5]);
    let cp = Checkpoint::new(ORIGIN, 13, root).unwrap();
    let good = log_signer().sign(&cp);
    let (body, rest) = good.split_once("\n\n").unwrap();
    let our_line = rest.trim_end_matches('\n');
    let blob = base64ct::Base64::decode_vec(our_line.rsplit_once(' ').unwrap().1).unwrap();
    let root_b64 = base64ct::Base64::encode_string(&root);
    let witness = witness_signer().sign(&cp);
    let witness_line = witness.split_once("\n\n").unwrap().1.trim_end_matches('\n');
    let witness_blob = base64ct::Base64::decode_vec(witness_line.rsplit_once(' ').unwrap().1).unwrap();
    let m = |why| Err(Malformed(why));
    let mut bad_sig = blob.clone();
    bad_sig[40] ^= 1;
    let mut bad_id = blob.clone();
    bad_id[0] ^= 1;
    let mut ours_by_witness = log_signer().key_id().to_vec();
    ours_by_witness.extend_from_slice(&witness_blob[4..]);
    let mut der_like = blob[..4].to_vec();
    der_like.extend_from_slice(&[0x30; 70]);
    vec![
        ("valid", good.clone(), Ok(())),
        ("valid, with a witness cosignature after", format!("{good}{witness_line}\n"), Ok(())),
        ("valid, with a witness cosignature before", format!("{body}\n\n{witness_line}\n{our_line}\n"), Ok(())),
        (
            "valid, with a line from an unknown key sharing our name",
            format!("{good}{}\n", sig_line(ORIGIN, &bad_id)),
            Ok(()),
        ),
        ("size changed", good.replacen("\n13\n", "\n14\n", 1), Err(BadSignature)),
        ("root changed", good.replacen(&root_b64, &base64ct::Base64::encode_string(&[0u8; 32]), 1), Err(BadSignature)),
        ("signature bytes changed", replace_sig_line(&good, &sig_line(ORIGIN, &bad_sig)), Err(BadSignature)),
        ("signature truncated", replace_sig_line(&good, &sig_line(ORIGIN, &blob[..67])), Err(BadSignature)),
        (
            "signature with a byte appended",
            replace_sig_line(&good, &sig_line(ORIGIN, &[&blob[..], &[0]].concat())),
            Err(BadSignature),
        ),
        ("DER-sized signature", replace_sig_line(&good, &sig_line(ORIGIN, &der_like)), Err(BadSignature)),
        (
            "our key id and name, witness's signature",
            replace_sig_line(&good, &sig_line(ORIGIN, &ours_by_witness)),
            Err(BadSignature),
        ),
        ("only a witness signature", replace_sig_line(&good, witness_line), Err(UnknownKey)),
        (
            "wrong key name",
            good.replacen(&format!("\u{2014} {ORIGIN} "), "\u{2014} log.bizing.example/other ", 1),
            Err(UnknownKey),
        ),
        ("wrong key id", replace_sig_line(&good, &sig_line(ORIGIN, &bad_id)), Err(UnknownKey)),
        ("wrong origin", good.replacen(ORIGIN, "log.bizing.example/clinic-0000", 1), Err(WrongOrigin)),
        ("two signatures from the log key", format!("{good}{our_line}\n"), m("two signatures from the log key")),
        (
            "missing final newline",
            good.trim_end_matches('\n').to_string(),
            m("no signature lines, or no final newline"),
        ),
        ("extra blank line at the end", format!("{good}\n"), m("no signature lines, or no final newline")),
        ("no blank line", good.replacen("\n\n", "\n", 1), m("no blank line before the signatures")),
        ("no signature", format!("{body}\n\n"), m("no signature lines, or no final newline")),
        (
            "extension line",
            good.replacen(&format!("{root_b64}\n"), &format!("{root_b64}\nextension\n"), 1),
            m("the body must be exactly origin, size and root lines"),
        ),
        (
            "blank line inside the body",
            good.replacen("\n13\n", "\n\n13\n", 1),
            m("the body must be exactly origin, size and root lines"),
        ),
        ("two lines only", good.replacen("\n13\n", "\n", 1), m("the body must be exactly origin, size and root lines")),
        ("size with a leading zero", good.replacen("\n13\n", "\n013\n", 1), m("tree size is not canonical decimal")),
        ("size with a plus sign", good.replacen("\n13\n", "\n+13\n", 1), m("tree size is not canonical decimal")),
        ("size in hex", good.replacen("\n13\n", "\n0xd\n", 1), m("tree size is not canonical decimal")),
        (
            "size too large",
            good.replacen("\n13\n", "\n18446744073709551616\n", 1),
            m("tree size is not canonical decimal"),
        ),
        ("negative size", good.replacen("\n13\n", "\n-13\n", 1), m("tree size is not canonical decimal")),
        (
            "root without padding",
            good.replacen(&root_b64, root_b64.trim_end_matches('='), 1),
            m("root is not 32 bytes of padded base64"),
        ),
        (
            "root as base64url",
            good.replacen(&root_b64, &base64ct::Base64Url::encode_string(&root), 1),
            if root_b64.contains(['+', '/']) { m("root is not 32 bytes of padded base64") } else { Err(BadSignature) },
        ),
        (
            "root of 31 bytes",
            good.replacen(&root_b64, &base64ct::Base64::encode_string(&root[..31]), 1),
            m("root is not 32 bytes of padded base64"),
        ),
        (
            "root of 33 bytes",
            good.replacen(&root_b64, &base64ct::Base64::encode_string(&[&root[..], &[0]].concat()), 1),
            m("root is not 32 bytes of padded base64"),
        ),
        ("root in hex", good.replacen(&root_b64, &hx(&root), 1), m("root is not 32 bytes of padded base64")),
        ("CRLF line endings", good.replace('\n', "\r\n"), m("control character")),
        ("tab in the origin", good.replacen(ORIGIN, &format!("{ORIGIN}\t"), 1), m("control character")),
        ("NUL byte", good.replacen("13", "1\u{0}3", 1), m("control character")),
        ("hyphen instead of an em dash", good.replacen('\u{2014}', "-", 1), m("signature line without an em dash")),
        (
            "en dash instead of an em dash",
            good.replacen('\u{2014}', "\u{2013}", 1),
            m("signature line without an em dash"),
        ),
        (
            "no space after the em dash",
            good.replacen("\u{2014} ", "\u{2014}", 1),
            m("signature line without an em dash"),
        ),
        (
            "signature line without a signature",
            replace_sig_line(&good, &format!("\u{2014} {ORIGIN}")),
            m("signature line without a signature"),
        ),
        (
            "two spaces before the signature",
            good.replacen(&format!("{ORIGIN} "), &format!("{ORIGIN}  "), 2),
            m("signature is not padded base64"),
        ),
        ("trailing space", replace_sig_line(&good, &format!("{our_line} ")), m("signature is not padded base64")),
        (
            "signature not base64",
            replace_sig_line(&good, &format!("\u{2014} {ORIGIN} !!!!")),
            m("signature is not padded base64"),
        ),
        // 68 bytes always end in one '='.
        (
            "signature without padding",
            replace_sig_line(&good, our_line.trim_end_matches('=')),
            m("signature is not padded base64"),
        ),
        ("empty key name", replace_sig_line(&good, &sig_line("", &blob)), m("invalid key name on a signature line")),
        (
            "key id only",
            replace_sig_line(&good, &sig_line(ORIGIN, &blob[..4])),
            m("signature is too short or not canonical base64"),
        ),
        (
            "seventeen signatures",
            format!("{good}{}", format!("{witness_line}\n").repeat(16)),
            m("more than 16 signatures"),
        ),
        ("longer than 64 KiB", format!("{}{good}", " ".repeat(64 * 1024)), m("note longer than 64 KiB")),
        ("empty", String::new(), m("no blank line before the signatures")),
        ("only newlines", "\n\n\n\n".into(), m("no signature lines, or no final newline")),
    ]
}

#[test]
fn hostile_checkpoint_notes_are_rejected() {
    for (what, note, expected) in hostile_notes() {
        let got = verify_checkpoint(&note, ORIGIN, log_key(), ORIGIN).map(|_| ());
        assert_eq!(got, expected, "{what}: {note:?}");
    }
}

#[test]
fn checkpoint_for_the_empty_tree_and_largest_size() {
    for (size, root) in [(0, empty_root()), (u64::MAX, [0xff; 32])] {
        let cp = Checkpoint::new(ORIGIN, size, root).unwrap();
        let note = log_signer().sign(&cp);
        assert!(note.contains(&format!("\n{size}\n")));
        assert_eq!(verify_checkpoint(&note, ORIGIN, log_key(), ORIGIN).unwrap(), cp);
    }
    // The verifier demands the origin and key name it was given.
    let note = log_signer().sign(&Checkpoint::new(ORIGIN, 1, [0; 32]).unwrap());
    assert_eq!(verify_checkpoint(&note, "other", log_key(), ORIGIN), Err(CheckpointError::WrongOrigin));
    assert_eq!(verify_checkpoint(&note, ORIGIN, log_key(), "other"), Err(CheckpointError::UnknownKey));
    assert_eq!(
        verify_checkpoint(&note, ORIGIN, witness_signer().verifying_key(), ORIGIN),
        Err(CheckpointError::UnknownKey)
    );
}

// --- The patient's verifier -----------------------------------------------------------------

fn sample_event(i: u64, patient: &str) -> AccessEvent {
    AccessEvent {
        tenant_id: "clinic-7f3a".into(),
        patient_id: patient.into(),
        actor: Actor { user_id: format!("u-{i}"), role: Role::PROVIDER, display_name: format!("Dr. {i}") },
        resource: Resource { kind: ResourceKind::NOTE, id: format!("bk-{i}") },
        action: Action::VIEW,
        at: 1_767_225_600 + i * 60,
        from: Client::API,
    }
}

/// A log of `n` events, every third one the patient's, with salts from a seeded RNG.
fn sample_log(n: u64) -> (MerkleTree, Vec<(AccessEvent, Salt)>) {
    let mut rng = TestRng::new(77);
    let mut tree = MerkleTree::new();
    let mut all = Vec::new();
    for i in 0..n {
        let event = sample_event(i, if i % 3 == 0 { "pt-1" } else { "pt-other" });
        let salt = Salt::generate_with_rng(&mut rng);
        tree.push(event.leaf_hash(&salt).unwrap());
        all.push((event, salt));
    }
    (tree, all)
}

fn proven(tree: &MerkleTree, all: &[(AccessEvent, Salt)], size: u64) -> Vec<ProvenEvent> {
    (0..size)
        .filter(|i| i % 3 == 0)
        .map(|i| {
            let (event, salt) = all[i as usize].clone();
            ProvenEvent { event, salt, leaf_index: i, inclusion_proof: tree.inclusion_proof(i, size).unwrap() }
        })
        .collect()
}

#[test]
fn verifier_accepts_a_growing_log_and_persists_its_head() {
    let (tree, all) = sample_log(40);
    let mut v = verifier();
    assert_eq!(v.trusted_head(), TreeHead::empty());
    let mut stored = v.trusted_head().to_string();
    for size in [0, 1, 5, 5, 16, 17, 40] {
        // Each visit starts from the stored head string, as the portal would.
        let mut v2 = verifier().with_trusted_head(stored.parse().unwrap());
        let from = v2.trusted_head().size;
        let cp =
            v2.verify(&sign(&tree, size), &tree.consistency_proof(from, size).unwrap(), &proven(&tree, &all, size));
        assert_eq!(cp.unwrap().size(), size);
        assert_eq!(v2.trusted_head(), TreeHead { size, root: tree.root_at(size).unwrap() });
        stored = v2.trusted_head().to_string();
        v = v2;
    }
    assert_eq!(v.trusted_head().size, 40);
}

#[test]
fn verifier_detects_each_kind_of_tampering() {
    let (tree, all) = sample_log(30);
    let mut trusted = verifier();
    trusted.verify(&sign(&tree, 20), &[], &[]).unwrap();
    let note = sign(&tree, 30);
    let consistency = tree.consistency_proof(20, 30).unwrap();
    let events = proven(&tree, &all, 30);
    assert!(trusted.clone().verify(&note, &consistency, &events).is_ok());

    let check = |note: &str, consistency: &[Hash], events: &[ProvenEvent], expected: AccessLogError| {
        let mut v = trusted.clone();
        assert_eq!(v.verify(note, consistency, events), Err(expected.clone()));
        // A failure leaves the trusted head where it was.
        assert_eq!(v.trusted_head(), trusted.trusted_head(), "{expected:?}");
    };

    // Each field of one stored event, its salt, its index, its proof.
    type Edit = Box<dyn Fn(&mut ProvenEvent)>;
    let edits: Vec<Edit> = vec![
        Box::new(|p| p.event.tenant_id.push('x')),
        Box::new(|p| p.event.patient_id = "pt-2".into()),
        Box::new(|p| p.event.actor.user_id.push('x')),
        Box::new(|p| p.event.actor.role = Role::ADMIN),
        Box::new(|p| p.event.actor.display_name = "Someone else".into()),
        Box::new(|p| p.event.resource.kind = ResourceKind::PROFILE),
        Box::new(|p| p.event.resource.id.push('x')),
        Box::new(|p| p.event.action = Action::EXPORT),
        Box::new(|p| p.event.at += 1),
        Box::new(|p| p.event.from = Client::PORTAL),
        Box::new(|p| p.salt = Salt::from_bytes([0; 32])),
        Box::new(|p| p.leaf_index += 1),
        Box::new(|p| p.leaf_index = 30),
        Box::new(|p| p.inclusion_proof[0][0] ^= 1),
        Box::new(|p| {
            p.inclusion_proof.pop();
        }),
        Box::new(|p| p.inclusion_proof.push([0; 32])),
    ];
    for (n, edit) in edits.iter().enumerate() {
        let index = n % events.len();
        let mut tampered = events.clone();
        edit(&mut tampered[index]);
        check(&note, &consistency, &tampered, AccessLogError::InclusionFailed { index });
    }
    // An event that cannot be encoded.
    let mut tampered = events.clone();
    tampered[2].event.resource.id = "x".repeat(70_000);
    check(&note, &consistency, &tampered, AccessLogError::MalformedEvent { index: 2 });

    // The checkpoint.
    check(&note.replacen("\n30\n", "\n31\n", 1), &consistency, &events, AccessLogError::BadSignature);
    check(&sign(&tree, 10), &[], &[], AccessLogError::Rollback { trusted_size: 20, checkpoint_size: 10 });
    let mut bad = consistency.clone();
    bad[0][5] ^= 0x40;
    check(&note, &bad, &events, AccessLogError::Inconsistent);
    check(&note, &[], &events, AccessLogError::Inconsistent);
    check(&note, &tree.consistency_proof(19, 30).unwrap(), &events, AccessLogError::Inconsistent);
    check(&note.replace('\n', "\r\n"), &consistency, &events, AccessLogError::MalformedCheckpoint("control character"));
    let other_log = log_signer().sign(&Checkpoint::new("log.bizing.example/other", 30, tree.root()).unwrap());
    check(&other_log, &consistency, &events, AccessLogError::WrongOrigin);
    let by_witness = witness_signer().sign(&Checkpoint::new(ORIGIN, 30, tree.root()).unwrap());
    check(&by_witness, &consistency, &events, AccessLogError::UnknownKey);

    // Same size, different root: a rewritten log.
    let mut forked = MerkleTree::from_leaf_hashes((0..19).map(|i| tree.leaf_hash(i).unwrap()));
    forked.push([0xee; 32]);
    check(&sign(&forked, 20), &[], &[], AccessLogError::Inconsistent);
}

#[test]
fn rotated_key_is_reported_as_unknown() {
    let (tree, _) = sample_log(3);
    let rotated = CheckpointSigner::generate_with_rng(ORIGIN, &mut TestRng::new(4242)).unwrap();
    let note = rotated.sign(&Checkpoint::new(ORIGIN, 3, tree.root()).unwrap());
    assert_eq!(verifier().verify(&note, &[], &[]), Err(AccessLogError::UnknownKey));
}

// --- Frozen vectors -------------------------------------------------------------------------

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Vectors {
    description: String,
    generator: String,
    log: LogKeyVector,
    events: Vec<EventVector>,
    roots: Vec<String>,
    checkpoints: Vec<CheckpointVector>,
    inclusion_proofs: Vec<InclusionVector>,
    consistency_proofs: Vec<ConsistencyVector>,
    patient_view: PatientView,
    checkpoint_cases: Vec<NoteCase>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct LogKeyVector {
    origin: String,
    key_name: String,
    key_seed: u64,
    private_scalar: String,
    public_key_sec1: String,
    signature_type: String,
    signature_algorithm_id: String,
    key_id: String,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct EventVector {
    event: AccessEvent,
    canonical: String,
    salt: String,
    leaf_input: String,
    leaf_hash: String,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct CheckpointVector {
    size: u64,
    root: String,
    note: String,
    tree_head: String,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct InclusionVector {
    index: u64,
    size: u64,
    proof: Vec<String>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct ConsistencyVector {
    old_size: u64,
    new_size: u64,
    proof: Vec<String>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct PatientView {
    patient_id: String,
    trusted_tree_head: String,
    checkpoint: String,
    consistency_proof: Vec<String>,
    events: Vec<ProvenEventVector>,
    tree_head_after: String,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct ProvenEventVector {
    event: AccessEvent,
    salt: String,
    leaf_index: u64,
    inclusion_proof: Vec<String>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct NoteCase {
    name: String,
    note: String,
    expect: String,
    error: Option<String>,
}

fn event_specs() -> Vec<AccessEvent> {
    let t0: u64 = 1_767_225_600; // 2026-01-01T00:00:00Z
    let ev =
        |patient: &str, user: &str, role: Role, name: &str, kind: ResourceKind, id: &str, action, at: u64, from| {
            AccessEvent {
                tenant_id: "clinic-7f3a".into(),
                patient_id: patient.into(),
                actor: Actor { user_id: user.into(), role, display_name: name.into() },
                resource: Resource { kind, id: id.into() },
                action,
                at: t0 + at,
                from,
            }
        };
    let disagreement = ResourceKind::new("statement_of_disagreement").unwrap();
    vec![
        ev(
            "pt-1001",
            "pt-1001",
            Role::PATIENT,
            "Maria Souza",
            ResourceKind::NPP_ACK,
            "npp-v3",
            Action::CREATE,
            0,
            Client::WIDGET,
        ),
        ev(
            "pt-1001",
            "pt-1001",
            Role::PATIENT,
            "Maria Souza",
            ResourceKind::BOOKING,
            "bk-0001",
            Action::CREATE,
            40,
            Client::WIDGET,
        ),
        ev(
            "pt-2002",
            "u-frontdesk-1",
            Role::RECEPTIONIST,
            "Sam Okafor",
            ResourceKind::BOOKING,
            "bk-0002",
            Action::VIEW,
            300,
            Client::API,
        ),
        ev(
            "pt-1001",
            "u-dr-zoe",
            Role::PROVIDER,
            "Dr. Zoë Ångström",
            ResourceKind::NOTE,
            "bk-0001",
            Action::DECRYPT,
            3_600,
            Client::API,
        ),
        ev(
            "pt-3003",
            "system",
            Role::SYSTEM,
            "Reminder service",
            ResourceKind::BOOKING,
            "bk-0003",
            Action::VIEW,
            7_200,
            Client::API,
        ),
        ev(
            "pt-2002",
            "u-dr-zoe",
            Role::PROVIDER,
            "Dr. Zoë Ångström",
            ResourceKind::PROFILE,
            "pt-2002",
            Action::UPDATE,
            7_260,
            Client::API,
        ),
        ev(
            "pt-1001",
            "pt-1001",
            Role::PATIENT,
            "Maria Souza",
            ResourceKind::CORRECTION,
            "cr-0001",
            Action::CREATE,
            86_400,
            Client::PORTAL,
        ),
        ev(
            "pt-3003",
            "u-admin-1",
            Role::ADMIN,
            "Lee (admin)",
            ResourceKind::PROFILE,
            "pt-3003",
            Action::EXPORT,
            90_000,
            Client::API,
        ),
        ev(
            "pt-1001",
            "u-admin-1",
            Role::ADMIN,
            "Lee (admin)",
            ResourceKind::CORRECTION,
            "cr-0001",
            Action::UPDATE,
            172_800,
            Client::API,
        ),
        ev(
            "pt-2002",
            "pt-2002",
            Role::PATIENT,
            "Ken Watanabe / 渡辺健",
            ResourceKind::BOOKING,
            "bk-0002",
            Action::CANCEL,
            180_000,
            Client::PORTAL,
        ),
        ev(
            "pt-1001",
            "pt-1001",
            Role::PATIENT,
            "Maria Souza",
            disagreement,
            "cr-0001",
            Action::CREATE,
            259_200,
            Client::PORTAL,
        ),
        ev(
            "pt-3003",
            "u-frontdesk-1",
            Role::RECEPTIONIST,
            "Sam Okafor",
            ResourceKind::NOTE,
            "bk-0003",
            Action::VIEW,
            260_000,
            Client::API,
        ),
        ev("pt-1001", "pt-1001", Role::PATIENT, "", ResourceKind::BOOKING, "", Action::VIEW, 345_600, Client::PORTAL),
    ]
}

const CHECKPOINT_SIZES: [u64; 2] = [6, 13];
const PATIENT: &str = "pt-1001";

fn build_vectors() -> Vectors {
    let signer = log_signer();
    let mut rng = TestRng::new(SALT_SEED);
    let mut tree = MerkleTree::new();
    let mut events = Vec::new();
    let mut salts = Vec::new();
    for event in event_specs() {
        let salt = Salt::generate_with_rng(&mut rng);
        let leaf = event.leaf_hash(&salt).unwrap();
        tree.push(leaf);
        events.push(EventVector {
            canonical: hx(&event.to_canonical_bytes().unwrap()),
            salt: hx(salt.as_bytes()),
            leaf_input: hx(&event.leaf_input(&salt).unwrap()),
            leaf_hash: hx(&leaf),
            event,
        });
        salts.push(salt);
    }
    let n = tree.size();
    let hexes = |hs: Vec<Hash>| hs.iter().map(|h| hx(h)).collect::<Vec<_>>();
    let checkpoints: Vec<CheckpointVector> = CHECKPOINT_SIZES
        .iter()
        .map(|&size| {
            let cp = Checkpoint::new(ORIGIN, size, tree.root_at(size).unwrap()).unwrap();
            CheckpointVector {
                size,
                root: hx(cp.root()),
                note: signer.sign(&cp),
                tree_head: TreeHead::from(&cp).to_string(),
            }
        })
        .collect();
    let [old, new] = CHECKPOINT_SIZES;
    let patient_view = PatientView {
        patient_id: PATIENT.into(),
        trusted_tree_head: checkpoints[0].tree_head.clone(),
        checkpoint: checkpoints[1].note.clone(),
        consistency_proof: hexes(tree.consistency_proof(old, new).unwrap()),
        events: (0..new)
            .filter(|&i| events[i as usize].event.patient_id == PATIENT)
            .map(|i| ProvenEventVector {
                event: events[i as usize].event.clone(),
                salt: hx(salts[i as usize].as_bytes()),
                leaf_index: i,
                inclusion_proof: hexes(tree.inclusion_proof(i, new).unwrap()),
            })
            .collect(),
        tree_head_after: checkpoints[1].tree_head.clone(),
    };
    let checkpoint_cases = hostile_notes()
        .into_iter()
        .filter(|(name, ..)| *name != "longer than 64 KiB")
        .map(|(name, note, expected)| NoteCase {
            name: name.into(),
            note,
            expect: if expected.is_ok() { "ok" } else { "fail" }.into(),
            error: expected.err().map(|e| error_class(&e).into()),
        })
        .collect();
    Vectors {
        description: "Frozen bizing access-log vectors (docs/access-log-format.md). Hex for bytes; events in their \
                      JSON form. `roots[s]` is the root over the first s leaves; `inclusion_proofs` and \
                      `consistency_proofs` list every proof in the tree of all events; `checkpoint_cases` are notes \
                      over leaf-independent data (size 13, root = the RFC 6962 reference tree's root over 5 \
                      leaves) that the log key must accept or reject."
            .into(),
        generator: "cargo test -p bizing-core --test access_log -- --ignored --nocapture print_access_log_vectors"
            .into(),
        log: LogKeyVector {
            origin: ORIGIN.into(),
            key_name: signer.key_name().into(),
            key_seed: LOG_KEY_SEED,
            private_scalar: hx(signer.to_secret_bytes().as_slice()),
            public_key_sec1: hx(&signer.public_key_sec1()),
            signature_type: "ff".into(),
            signature_algorithm_id: String::from_utf8(bizing_core::access_log::SIGNATURE_ALGORITHM_ID.to_vec())
                .unwrap(),
            key_id: hx(&signer.key_id()),
        },
        roots: (0..=n).map(|s| hx(&tree.root_at(s).unwrap())).collect(),
        checkpoints,
        inclusion_proofs: (1..=n)
            .flat_map(|size| (0..size).map(move |index| (index, size)))
            .map(|(index, size)| InclusionVector {
                index,
                size,
                proof: hexes(tree.inclusion_proof(index, size).unwrap()),
            })
            .collect(),
        consistency_proofs: (1..=n)
            .flat_map(|new| (1..new).map(move |old| (old, new)))
            .map(|(old_size, new_size)| ConsistencyVector {
                old_size,
                new_size,
                proof: hexes(tree.consistency_proof(old_size, new_size).unwrap()),
            })
            .collect(),
        events,
        patient_view,
        checkpoint_cases,
    }
}

/// The error classes `docs/access-log-format.md` §7.3 names.
fn error_class(e: &CheckpointError) -> &'static str {
    match e {
        CheckpointError::Malformed(_) => "malformed",
        CheckpointError::WrongOrigin => "wrong_origin",
        CheckpointError::UnknownKey => "unknown_key",
        CheckpointError::BadSignature => "bad_signature",
        other => panic!("unexpected {other:?}"),
    }
}

fn frozen() -> Vectors {
    serde_json::from_str(include_str!("data/access_log_vectors.json")).unwrap()
}

#[test]
#[ignore = "prints fresh vectors; run by hand only for a deliberate format change"]
fn print_access_log_vectors() {
    println!("{}", serde_json::to_string_pretty(&build_vectors()).unwrap());
}

#[test]
fn frozen_vectors_reproduce() {
    let file = frozen();
    let built = build_vectors();
    // Field by field first, for a readable failure.
    assert_eq!(file.log, built.log, "the log key or key id changed");
    assert_eq!(file.events, built.events, "the event encoding or leaf hashing changed");
    assert_eq!(file.roots, built.roots, "tree hashing changed");
    assert_eq!(file.checkpoints, built.checkpoints, "the checkpoint note format changed");
    assert_eq!(file, built);
}

#[test]
fn frozen_vectors_verify() {
    let file = frozen();
    let key = VerifyingKey::from_sec1(&hex::decode(&file.log.public_key_sec1).unwrap()).unwrap();
    assert_eq!(note_key_id(&file.log.key_name, &key.to_sec1()).to_vec(), hex::decode(&file.log.key_id).unwrap());
    let from_scalar = p256::SecretKey::from_slice(&hex::decode(&file.log.private_scalar).unwrap()).unwrap();
    assert_eq!(hx(&from_scalar.public_key().to_sec1_bytes()), file.log.public_key_sec1);

    let mut leaves = Vec::new();
    for v in &file.events {
        let salt = Salt::from_bytes(unhex(&v.salt));
        assert_eq!(hx(&v.event.to_canonical_bytes().unwrap()), v.canonical);
        assert_eq!(AccessEvent::from_canonical_bytes(&hex::decode(&v.canonical).unwrap()).unwrap(), v.event);
        assert_eq!(hx(&v.event.leaf_input(&salt).unwrap()), v.leaf_input);
        assert_eq!(leaf_hash(&unhex(&v.leaf_input)), unhex(&v.leaf_hash));
        leaves.push(unhex(&v.leaf_hash));
    }
    for (size, r) in file.roots.iter().enumerate() {
        assert_eq!(hx(&root(&leaves[..size])), *r);
    }
    let roots: Vec<Hash> = file.roots.iter().map(|r| unhex(r)).collect();
    for p in &file.inclusion_proofs {
        let proof: Vec<Hash> = p.proof.iter().map(|h| unhex(h)).collect();
        verify_inclusion(&leaves[p.index as usize], p.index, p.size, &proof, &roots[p.size as usize]).unwrap();
    }
    for p in &file.consistency_proofs {
        let proof: Vec<Hash> = p.proof.iter().map(|h| unhex(h)).collect();
        verify_consistency(p.old_size, p.new_size, &roots[p.old_size as usize], &roots[p.new_size as usize], &proof)
            .unwrap();
    }
    for c in &file.checkpoints {
        let cp = verify_checkpoint(&c.note, &file.log.origin, &key, &file.log.key_name).unwrap();
        assert_eq!((cp.size(), hx(cp.root())), (c.size, c.root.clone()));
        assert_eq!(c.tree_head.parse::<TreeHead>().unwrap(), TreeHead::from(&cp));
    }
    for case in &file.checkpoint_cases {
        let got = verify_checkpoint(&case.note, &file.log.origin, &key, &file.log.key_name);
        assert_eq!(got.is_ok(), case.expect == "ok", "{}", case.name);
        assert_eq!(got.err().map(|e| error_class(&e).to_string()), case.error, "{}", case.name);
    }

    // The patient's view, through the verifier.
    let view = &file.patient_view;
    let events: Vec<ProvenEvent> = view
        .events
        .iter()
        .map(|e| ProvenEvent {
            event: e.event.clone(),
            salt: Salt::from_bytes(unhex(&e.salt)),
            leaf_index: e.leaf_index,
            inclusion_proof: e.inclusion_proof.iter().map(|h| unhex(h)).collect(),
        })
        .collect();
    assert!(events.iter().all(|e| e.event.patient_id == view.patient_id));
    let consistency: Vec<Hash> = view.consistency_proof.iter().map(|h| unhex(h)).collect();
    let mut v = AccessLogVerifier::new(&file.log.origin, &file.log.key_name, key.clone())
        .with_trusted_head(view.trusted_tree_head.parse().unwrap());
    v.verify(&view.checkpoint, &consistency, &events).unwrap();
    assert_eq!(v.trusted_head().to_string(), view.tree_head_after);
}

// --- Timing (not a test of speed: printed, never asserted) ----------------------------------

/// Run with
/// `cargo test -p bizing-core --release --test access_log -- --ignored --nocapture time_inclusion`.
#[cfg(not(target_arch = "wasm32"))]
#[test]
#[ignore = "timing, not a test: run by hand with --release"]
fn time_inclusion_proofs() {
    use std::time::Instant;
    const N: u64 = 1_000_000;
    const PROOFS: u64 = 10_000;
    let started = Instant::now();
    let tree = MerkleTree::from_leaf_hashes((0..N).map(|i| leaf_hash(&i.to_be_bytes())));
    let root = tree.root();
    let built = started.elapsed();
    // Spread the indexes over the tree with a fixed odd stride.
    let indexes: Vec<u64> = (0..PROOFS).map(|i| (i * 7_919 + 13) % N).collect();
    let started = Instant::now();
    let proofs: Vec<Vec<Hash>> = indexes.iter().map(|&i| tree.inclusion_proof(i, N).unwrap()).collect();
    let generated = started.elapsed();
    let leaves: Vec<Hash> = indexes.iter().map(|&i| tree.leaf_hash(i).unwrap()).collect();
    let started = Instant::now();
    for ((&i, leaf), proof) in indexes.iter().zip(&leaves).zip(&proofs) {
        verify_inclusion(leaf, i, N, proof, &root).unwrap();
    }
    let verified = started.elapsed();
    println!("tree of {N} leaves built in {built:?}");
    println!("{PROOFS} inclusion proofs generated in {generated:?}, verified in {verified:?}");
}

fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

#[test]
fn merkle_module_is_reachable_by_path() {
    // `merkle::` is the public path for the tree functions.
    assert_eq!(merkle::root(&[]), empty_root());
}

// --- The wire form (`api::AccessLogPage`, `api::LogKey`) ----------------------------------

fn page(tree: &MerkleTree, all: &[(AccessEvent, Salt)], from: u64, size: u64) -> bizing_core::api::AccessLogPage {
    bizing_core::api::AccessLogPage {
        checkpoint: sign(tree, size),
        consistency_proof: tree.consistency_proof(from, size).unwrap().iter().map(|h| hx(h)).collect(),
        events: proven(tree, all, size)
            .into_iter()
            .map(|p| bizing_core::api::LoggedEvent {
                leaf_index: p.leaf_index,
                salt: hx(p.salt.as_bytes()),
                event: p.event,
                inclusion_proof: p.inclusion_proof.iter().map(|h| hx(h)).collect(),
            })
            .collect(),
    }
}

#[test]
fn pages_verify_from_the_wire_form_and_hostile_hex_is_refused() {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let (tree, all) = sample_log(25);
    let key = bizing_core::api::LogKey {
        origin: ORIGIN.into(),
        key_name: ORIGIN.into(),
        public_key: Base64UrlUnpadded::encode_string(&log_signer().public_key_sec1()),
    };
    let mut v = key.verifier().unwrap();
    assert_eq!(page(&tree, &all, 0, 10).verify(&mut v).unwrap().size(), 10);
    let good = page(&tree, &all, 10, 25);
    assert!(!good.events.is_empty() && !good.consistency_proof.is_empty());
    assert!(good.verify(&mut v.clone()).is_ok());

    let refused = |v: &AccessLogVerifier, p: &bizing_core::api::AccessLogPage, tampering: bool| {
        let mut v2 = v.clone();
        let err = p.verify(&mut v2).unwrap_err();
        assert_eq!(err.indicates_tampering(), tampering, "{err:?}");
        assert_eq!(v2.trusted_head(), v.trusted_head(), "a failure leaves the trusted head");
        err
    };
    let mut bad = good.clone();
    let flipped = if bad.events[0].inclusion_proof[0].starts_with('0') { "1" } else { "0" };
    bad.events[0].inclusion_proof[0].replace_range(0..1, flipped);
    assert_eq!(refused(&v, &bad, true), AccessLogError::InclusionFailed { index: 0 });
    let mut bad = good.clone();
    bad.consistency_proof[0] = "zz".repeat(32);
    assert!(matches!(refused(&v, &bad, false), AccessLogError::MalformedProof(_)));
    let mut bad = good.clone();
    bad.events[1].salt.pop();
    assert!(matches!(refused(&v, &bad, false), AccessLogError::MalformedProof(_)));
    let mut bad = good.clone();
    bad.events[0].inclusion_proof = vec!["00".repeat(32); 65];
    assert!(matches!(refused(&v, &bad, false), AccessLogError::MalformedProof(_)));
    let mut bad = good.clone();
    bad.consistency_proof.clear();
    assert_eq!(refused(&v, &bad, true), AccessLogError::Inconsistent);
    // Verified once, a page cannot be replayed backwards.
    good.verify(&mut v).unwrap();
    assert!(matches!(refused(&v, &page(&tree, &all, 0, 10), true), AccessLogError::Rollback { .. }));

    for bad_key in ["", "not base64!", &Base64UrlUnpadded::encode_string(&[4u8; 65])] {
        let key = bizing_core::api::LogKey { public_key: bad_key.into(), ..key.clone() };
        assert_eq!(key.verifier().unwrap_err(), bizing_core::KeyError::InvalidPublicKey);
    }
}
