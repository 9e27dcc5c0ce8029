//! Native half of `cargo xtask bench --only log`: the access log's proofs and TOTP.
//!
//! Builds an RFC 9162 Merkle tree of 1,000,000 leaves (10,000 of them a patient's events,
//! at random positions, the rest stand-ins), signs a checkpoint of it, and makes the page a
//! patient's portal would receive: the 10,000 events with their salts and inclusion proofs,
//! and the consistency proof from the tree at 500,000 leaves. The page, the pinned log key
//! and the trusted head at 500,000 are written as `proofs.json` for `bench/log/log.mjs`,
//! which verifies the same page through the npm package; the bare proofs (leaf hashes,
//! indices, proofs, roots) go to `proofs.bin` in `bizing_bench_log`'s compact form.
//!
//! Then times, natively, in alternation:
//! - the bare proofs: [`bizing_bench_log::verify_all`] on `proofs.bin`'s bytes (10,000
//!   `verify_inclusion` and one `verify_consistency`, the same function the wasm build runs);
//! - the page as the SDK verifies it: `AccessLogPage::verify` with a fresh verifier from the
//!   trusted head (checkpoint signature, hex decoding, each event's leaf hash, every proof);
//!
//! and TOTP verifications per second, the way the SDK's `Totp.verify` and the server do it
//! (base32 secret decoded, the previous and current step checked).
//!
//! Every round also feeds each verifier one tampered proof (an inclusion proof in even
//! rounds, the consistency proof in odd ones) and a wrong TOTP code, which must be refused,
//! so a verifier that checks nothing cannot pass for a fast one.
//!
//! Prints one JSON object on stdout. Not a test: it never asserts on time.
//!
//! Usage: `bench-log --out DIR [--rounds N] [--totp-rounds N] [--totp-batch N]`. Build with
//! `--release`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use base64ct::{Base64UrlUnpadded, Encoding};
use bizing_bench::Summary;
use bizing_bench_log::{CONSISTENCY_OFFSET, Proofs, verify_all};
use bizing_core::access_log::merkle;
use bizing_core::access_log::{
    AccessEvent, Action, Actor, Checkpoint, CheckpointSigner, Client, Hash, MerkleTree, Resource, ResourceKind, Role,
    Salt, TreeHead,
};
use bizing_core::api::{AccessLogPage, LogKey, LoggedEvent};
use bizing_core::totp::Window;
use bizing_core::{Totp, TotpParams, TotpSecret};
use serde_json::json;

/// Leaves in the log.
const LEAVES: u64 = 1_000_000;
/// The patient's events in it, each with an inclusion proof.
const PROOFS: usize = 10_000;
/// The size of the tree the patient verified last time: the consistency proof starts here.
const OLD_SIZE: u64 = 500_000;
const TENANT: &str = "bench-clinic";
const ORIGIN: &str = "bizing/access-log/bench-clinic";
/// Where the events' leaf positions come from: fixed, so every run proves the same leaves.
const SEED: u64 = 0x6269_7a69_6e67_6c6f;

/// RFC 6238's SHA-1 test secret ("12345678901234567890"), base32.
const TOTP_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
/// 2026-01-01T00:00:15Z: mid-step, so the window is exactly the previous and current step.
const TOTP_TIME: u64 = 1_767_225_615;

const DEFAULT_ROUNDS: usize = 9;
const DEFAULT_TOTP_ROUNDS: usize = 9;
const DEFAULT_TOTP_BATCH: usize = 20_000;

fn main() -> ExitCode {
    match run() {
        Ok(json) => {
            #[allow(clippy::print_stdout, reason = "the JSON result on stdout is this binary's output")]
            {
                println!("{json}");
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("bench-log: {message}");
            ExitCode::FAILURE
        }
    }
}

struct Args {
    out: PathBuf,
    rounds: usize,
    totp_rounds: usize,
    totp_batch: usize,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut out = None;
    let (mut rounds, mut totp_rounds, mut totp_batch) = (DEFAULT_ROUNDS, DEFAULT_TOTP_ROUNDS, DEFAULT_TOTP_BATCH);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let slot = match flag.as_str() {
            "--out" => {
                out = Some(PathBuf::from(value));
                continue;
            }
            "--rounds" => &mut rounds,
            "--totp-rounds" => &mut totp_rounds,
            "--totp-batch" => &mut totp_batch,
            _ => return Err(format!("unknown argument `{flag}`")),
        };
        *slot = value.parse().map_err(|_| format!("{flag}: `{value}` is not a number"))?;
    }
    if rounds == 0 || totp_rounds == 0 || totp_batch == 0 {
        return Err("--rounds, --totp-rounds and --totp-batch must be at least 1".into());
    }
    Ok(Args { out: out.ok_or("--out DIR is required")?, rounds, totp_rounds, totp_batch })
}

fn run() -> Result<String, String> {
    let args = parse_args(std::env::args().skip(1))?;
    let log = log_bench(&args)?;
    let totp = totp_bench(&args)?;
    Ok(json!({ "log": log, "totp": totp }).to_string())
}

/// SplitMix64: a small deterministic generator for the leaf positions and salts.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn salt(&mut self) -> Salt {
        let mut bytes = [0u8; 32];
        for chunk in bytes.chunks_mut(8) {
            chunk.copy_from_slice(&self.next().to_le_bytes());
        }
        Salt::from_bytes(bytes)
    }
}

/// The patient's event at leaf `index`: what the server logs when a provider opens a note.
fn event(index: u64) -> AccessEvent {
    AccessEvent {
        tenant_id: TENANT.into(),
        patient_id: "pt-42".into(),
        actor: Actor { user_id: "u-7".into(), role: Role::PROVIDER, display_name: "Dr. Ana Silva".into() },
        resource: Resource { kind: ResourceKind::NOTE, id: format!("bk-{index}") },
        action: Action::DECRYPT,
        at: 1_767_225_600 + index,
        from: Client::PORTAL,
    }
}

/// `PROOFS` distinct leaf positions below `LEAVES`, ascending (the order a page lists them).
fn positions(rng: &mut SplitMix) -> Vec<u64> {
    let mut taken = vec![false; usize::try_from(LEAVES).unwrap_or(usize::MAX)];
    let mut out = Vec::with_capacity(PROOFS);
    while out.len() < PROOFS {
        let index = rng.next() % LEAVES;
        if let Some(slot) = usize::try_from(index).ok().and_then(|i| taken.get_mut(i))
            && !*slot
        {
            *slot = true;
            out.push(index);
        }
    }
    out.sort_unstable();
    out
}

fn to_hex(hash: &Hash) -> String {
    hex::encode(hash)
}

/// Changes the first digit of a hex hash: still well-formed, but another hash.
fn flip(hex_text: &mut String) {
    let first = if hex_text.starts_with('0') { "1" } else { "0" };
    hex_text.replace_range(..1, first);
}

fn log_bench(args: &Args) -> Result<serde_json::Value, String> {
    let mut rng = SplitMix(SEED);
    let positions = positions(&mut rng);
    let proven: Vec<(u64, AccessEvent, Salt)> =
        positions.iter().map(|&index| (index, event(index), rng.salt())).collect();

    let start = Instant::now();
    let mut leaves: Vec<Hash> = (0..LEAVES).map(|i| merkle::leaf_hash(&i.to_be_bytes())).collect();
    for (index, event, salt) in &proven {
        let slot = usize::try_from(*index).ok().and_then(|i| leaves.get_mut(i)).ok_or("leaf index out of range")?;
        *slot = event.leaf_hash(salt).map_err(|e| format!("event encoding: {e}"))?;
    }
    let tree = MerkleTree::from_leaf_hashes(leaves);
    let build_ms = start.elapsed().as_secs_f64() * 1e3;

    let signer = CheckpointSigner::generate(ORIGIN).map_err(|e| format!("log key: {e}"))?;
    let root = tree.root();
    let old_root = tree.root_at(OLD_SIZE).map_err(|e| format!("root at {OLD_SIZE}: {e}"))?;
    let checkpoint = Checkpoint::new(ORIGIN, LEAVES, root).map_err(|e| format!("checkpoint: {e}"))?;
    let note = signer.sign(&checkpoint);
    let start = Instant::now();
    let consistency = tree.consistency_proof(OLD_SIZE, LEAVES).map_err(|e| format!("consistency proof: {e}"))?;
    let inclusion = positions
        .iter()
        .map(|&index| tree.inclusion_proof(index, LEAVES))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("inclusion proof: {e}"))?;
    let prove_ms = start.elapsed().as_secs_f64() * 1e3;
    let leaf_proofs: Vec<(u64, Hash, Vec<Hash>)> = positions
        .iter()
        .zip(inclusion)
        .map(|(&index, proof)| tree.leaf_hash(index).map(|leaf| (index, leaf, proof)).ok_or("no leaf"))
        .collect::<Result<_, _>>()?;
    let blob = Proofs {
        size: LEAVES,
        old_size: OLD_SIZE,
        root: &root,
        old_root: &old_root,
        consistency: &consistency,
        inclusion: &leaf_proofs,
    }
    .encode()?;
    let blob_path = args.out.join("proofs.bin");
    std::fs::write(&blob_path, &blob).map_err(|e| format!("cannot write {}: {e}", blob_path.display()))?;

    let mut page = AccessLogPage {
        checkpoint: note,
        consistency_proof: consistency.iter().map(to_hex).collect(),
        events: proven
            .iter()
            .zip(&leaf_proofs)
            .map(|((index, event, salt), (_, _, proof))| LoggedEvent {
                leaf_index: *index,
                salt: hex::encode(salt.as_bytes()),
                event: event.clone(),
                inclusion_proof: proof.iter().map(to_hex).collect(),
            })
            .collect(),
    };
    let log_key = LogKey {
        origin: ORIGIN.into(),
        key_name: signer.key_name().to_owned(),
        public_key: Base64UrlUnpadded::encode_string(&signer.public_key_sec1()),
    };
    let trusted = TreeHead { size: OLD_SIZE, root: old_root };
    let file = json!({
        "what": "an access-log page: the patient's events with inclusion proofs in a signed checkpoint, and the \
                 consistency proof from the trusted head",
        "leaves": LEAVES,
        "oldSize": OLD_SIZE,
        "logKey": log_key,
        "trustedHead": trusted.to_string(),
        "page": page,
    });
    let text = serde_json::to_string(&file).map_err(|e| format!("cannot encode the proofs: {e}"))?;
    let json_path = args.out.join("proofs.json");
    std::fs::write(&json_path, &text).map_err(|e| format!("cannot write {}: {e}", json_path.display()))?;

    let verifier = log_key.verifier().map_err(|e| format!("log key: {e}"))?;
    let mut bare_ms = Vec::with_capacity(args.rounds);
    let mut page_ms = Vec::with_capacity(args.rounds);
    let mut refused = 0usize;
    // One round of warm-up, then the timed rounds; the two paths alternate within a round.
    for round in 0..=args.rounds {
        let start = Instant::now();
        let verified = verify_all(&blob).map_err(|e| format!("the bare proofs did not verify: {e}"))?;
        let bare = start.elapsed();
        if verified != PROOFS {
            return Err(format!("{verified} bare proofs verified, not {PROOFS}"));
        }

        let start = Instant::now();
        let mut fresh = verifier.clone().with_trusted_head(trusted);
        let verified = page.verify(&mut fresh).map_err(|e| format!("the page did not verify: {e}"))?;
        let paged = start.elapsed();
        if TreeHead::from(&verified) != (TreeHead { size: LEAVES, root }) {
            return Err("the page verified to another tree head".into());
        }

        // The tampered proof: both verifiers must refuse it.
        let victim = round * 7919 % PROOFS;
        let fresh = verifier.clone().with_trusted_head(trusted);
        if round % 2 == 0 {
            // The last byte is the last proof's last hash.
            let mut bad = blob.clone();
            if let Some(last) = bad.last_mut() {
                *last ^= 1;
            }
            if verify_all(&bad).is_ok() {
                return Err("a tampered inclusion proof verified".into());
            }
            let hashes = page.events.get_mut(victim).map(|e| &mut e.inclusion_proof).ok_or("no victim event")?;
            let original = hashes.first().cloned().ok_or("an empty inclusion proof")?;
            if let Some(h) = hashes.first_mut() {
                flip(h);
            }
            let result = page.verify(&mut fresh.clone());
            if let Some(h) = page.events.get_mut(victim).and_then(|e| e.inclusion_proof.first_mut()) {
                *h = original;
            }
            if !result.is_err_and(|e| e.indicates_tampering()) {
                return Err("a page with a tampered inclusion proof was not refused as tampered".into());
            }
        } else {
            let mut bad = blob.clone();
            if let Some(byte) = bad.get_mut(CONSISTENCY_OFFSET) {
                *byte ^= 1;
            }
            if verify_all(&bad).is_ok() {
                return Err("a tampered consistency proof verified".into());
            }
            let original = page.consistency_proof.first().cloned().ok_or("an empty consistency proof")?;
            if let Some(h) = page.consistency_proof.first_mut() {
                flip(h);
            }
            let result = page.verify(&mut fresh.clone());
            if let Some(h) = page.consistency_proof.first_mut() {
                *h = original;
            }
            if !result.is_err_and(|e| e.indicates_tampering()) {
                return Err("a page with a tampered consistency proof was not refused as tampered".into());
            }
        }
        refused += 2;

        if round > 0 {
            bare_ms.push(bare.as_secs_f64() * 1e3);
            page_ms.push(paged.as_secs_f64() * 1e3);
        }
    }
    let bare = Summary::of(&mut bare_ms).ok_or("no samples")?;
    let paged = Summary::of(&mut page_ms).ok_or("no samples")?;
    let hashes: usize = leaf_proofs.iter().map(|(_, _, proof)| proof.len()).sum();
    Ok(json!({
        "leaves": LEAVES,
        "proofs": PROOFS,
        "old_size": OLD_SIZE,
        "consistency_hashes": consistency.len(),
        "inclusion_hashes_total": hashes,
        "page_file": json_path.display().to_string(),
        "page_bytes": text.len(),
        "bare_file": blob_path.display().to_string(),
        "bare_bytes": blob.len(),
        "build_tree_ms": build_ms,
        "make_proofs_ms": prove_ms,
        "rounds": args.rounds,
        "bare_ms": summary_json(&bare),
        "page_ms": summary_json(&paged),
        "tampered_refused": refused,
    }))
}

fn summary_json(s: &Summary) -> serde_json::Value {
    json!({ "median": s.median, "min": s.min, "p90": s.p90 })
}

/// What `Totp.verify` in the SDK (and the server at sign-in) does per call.
fn totp_verify(secret: &str, code: &str, unix_seconds: u64) -> Option<u64> {
    let secret = TotpSecret::from_base32(secret).ok()?;
    let totp = Totp::new(secret, TotpParams::default(), "local", "preview").ok()?;
    totp.verify(code, unix_seconds, Window::DEFAULT)
}

fn totp_bench(args: &Args) -> Result<serde_json::Value, String> {
    let secret = TotpSecret::from_base32(TOTP_SECRET).map_err(|e| format!("TOTP secret: {e}"))?;
    let totp = Totp::new(secret, TotpParams::default(), "local", "preview").map_err(|e| format!("TOTP: {e}"))?;
    let code = totp.code_at(TOTP_TIME);
    let step = totp.step_at(TOTP_TIME);
    // A wrong code: the right one with its last digit changed, and not the previous step's.
    let wrong = wrong_code(&code, &totp.code_at_step(step - 1));
    if totp_verify(TOTP_SECRET, &code, TOTP_TIME) != Some(step) {
        return Err("the TOTP code did not verify".into());
    }
    let mut per_s = Vec::with_capacity(args.totp_rounds);
    for round in 0..=args.totp_rounds {
        let start = Instant::now();
        let mut accepted = 0usize;
        for _ in 0..args.totp_batch {
            accepted += usize::from(totp_verify(std::hint::black_box(TOTP_SECRET), &code, TOTP_TIME) == Some(step));
        }
        let elapsed = start.elapsed().as_secs_f64();
        if accepted != args.totp_batch {
            return Err("a TOTP verification failed".into());
        }
        if totp_verify(TOTP_SECRET, &wrong, TOTP_TIME).is_some() {
            return Err("a wrong TOTP code verified".into());
        }
        #[allow(clippy::cast_precision_loss)] // batch sizes are far below 2^52
        if round > 0 {
            per_s.push(args.totp_batch as f64 / elapsed);
        }
    }
    let s = Summary::of(&mut per_s).ok_or("no samples")?;
    Ok(json!({
        "secret": TOTP_SECRET,
        "time": TOTP_TIME,
        "code": code,
        "wrong_code": wrong,
        "batch": args.totp_batch,
        "rounds": args.totp_rounds,
        "verify_per_s": summary_json(&s),
    }))
}

fn wrong_code(code: &str, previous: &str) -> String {
    let mut digits: Vec<u8> = code.bytes().collect();
    for _ in 0..10 {
        if let Some(last) = digits.last_mut() {
            *last = b'0' + (*last - b'0' + 1) % 10;
        }
        let candidate = String::from_utf8_lossy(&digits).into_owned();
        if candidate != previous {
            return candidate;
        }
    }
    String::from_utf8_lossy(&digits).into_owned()
}
