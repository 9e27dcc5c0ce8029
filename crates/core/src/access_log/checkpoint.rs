//! Signed checkpoints: the log's size and root in a C2SP `tlog-checkpoint` note body, signed
//! as a C2SP `signed-note` with ECDSA P-256 / SHA-256.
//!
//! The signature type is `0xff` followed by the identifier [`SIGNATURE_ALGORITHM_ID`]
//! (signed-note's slot for types it assigns no byte to); `docs/access-log-format.md` says why
//! not `0x02`.

use core::fmt;

use base64ct::{Base64, Encoding};
use p256::ecdsa::signature::Signer;
use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::merkle::{HASH_LEN, Hash};
use crate::keys::SEC1_UNCOMPRESSED_LEN;
use crate::random::{OsRng, RandomError};
use crate::signature::{SIGNATURE_LEN, VerifyingKey};

/// The signed-note signature type byte: `0xff`, "followed by a longer identifier".
pub const SIGNATURE_TYPE: u8 = 0xff;
/// The identifier that follows [`SIGNATURE_TYPE`] in the key id preimage.
pub const SIGNATURE_ALGORITHM_ID: &[u8] = b"bizing/ecdsa-p256-sha256-p1363";
/// Length of a signed-note key id.
pub const NOTE_KEY_ID_LEN: usize = 4;
/// Longest note [`verify_checkpoint`] reads.
pub const MAX_NOTE_LEN: usize = 64 * 1024;
/// Most signature lines [`verify_checkpoint`] reads (signed-note: at least 16).
pub const MAX_SIGNATURES: usize = 16;
/// Longest origin or key name.
pub const MAX_NAME_LEN: usize = 255;

const EM_DASH_SPACE: &str = "\u{2014} ";
const ROOT_B64_LEN: usize = 44;

/// Why a checkpoint could not be made, signed or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// Not a well-formed checkpoint note: bad line structure, a control character, a size
    /// that is not canonical decimal, a root that is not 32 bytes of padded base64, a
    /// malformed signature line, or too long.
    #[error("malformed checkpoint: {0}")]
    Malformed(&'static str),
    /// The checkpoint is from another log: its origin line is not the expected origin.
    #[error("the checkpoint is for another log")]
    WrongOrigin,
    /// No signature line carries the pinned key's name and key id.
    #[error("the checkpoint is not signed by the log key")]
    UnknownKey,
    /// The pinned key's signature does not verify: the checkpoint was altered or forged.
    #[error("the checkpoint signature does not verify")]
    BadSignature,
    /// An origin or key name that cannot appear in a note: empty, longer than 255 bytes,
    /// or containing whitespace, `+` or control characters.
    #[error("invalid {0}")]
    InvalidName(&'static str),
    /// The bytes are not a valid P-256 private scalar.
    #[error("not a valid P-256 private key")]
    InvalidPrivateKey,
    /// The platform's random number generator failed.
    #[error(transparent)]
    Random(#[from] RandomError),
}

fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && !name.chars().any(|c| c.is_whitespace() || c.is_control() || c == '+')
}

/// The signed-note key id of a log key: the first four bytes of
/// `SHA-256(key name || 0x0A || 0xFF || SIGNATURE_ALGORITHM_ID || SEC1 uncompressed point)`.
#[must_use]
pub fn note_key_id(key_name: &str, public_key_sec1: &[u8; SEC1_UNCOMPRESSED_LEN]) -> [u8; NOTE_KEY_ID_LEN] {
    let digest = Sha256::new()
        .chain_update(key_name.as_bytes())
        .chain_update([b'\n', SIGNATURE_TYPE])
        .chain_update(SIGNATURE_ALGORITHM_ID)
        .chain_update(public_key_sec1)
        .finalize();
    let mut id = [0u8; NOTE_KEY_ID_LEN];
    id.copy_from_slice(&digest[..NOTE_KEY_ID_LEN]);
    id
}

/// A tree head as the log states it: which log, how many leaves, and the root.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Checkpoint {
    origin: String,
    size: u64,
    root: Hash,
}

impl Checkpoint {
    /// A checkpoint for the log named `origin`.
    ///
    /// # Errors
    /// [`CheckpointError::InvalidName`] if `origin` is empty, longer than 255 bytes, or holds
    /// whitespace, `+` or control characters.
    pub fn new(origin: impl Into<String>, size: u64, root: Hash) -> Result<Self, CheckpointError> {
        let origin = origin.into();
        if !is_valid_name(&origin) {
            return Err(CheckpointError::InvalidName("origin"));
        }
        Ok(Self { origin, size, root })
    }

    /// The log's origin line.
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The number of leaves.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root over those leaves.
    #[must_use]
    pub fn root(&self) -> &Hash {
        &self.root
    }

    /// The note text that is signed: `<origin>\n<size>\n<base64 root>\n`.
    #[must_use]
    pub fn body(&self) -> String {
        format!("{}\n{}\n{}\n", self.origin, self.size, Base64::encode_string(&self.root))
    }
}

/// The log's signing key, with the key name its signature lines carry. Lives on the server.
#[derive(Clone)]
pub struct CheckpointSigner {
    key: p256::ecdsa::SigningKey,
    name: String,
    public: [u8; SEC1_UNCOMPRESSED_LEN],
    verifying: VerifyingKey,
    key_id: [u8; NOTE_KEY_ID_LEN],
}

impl CheckpointSigner {
    /// A new key from the platform RNG.
    ///
    /// # Errors
    /// [`CheckpointError::InvalidName`] for an invalid key name;
    /// [`CheckpointError::Random`] if the platform RNG is unavailable.
    pub fn generate(key_name: impl Into<String>) -> Result<Self, CheckpointError> {
        Self::generate_with_rng(key_name, &mut OsRng::new()?)
    }

    /// A new key from `rng`: the scalar is the first 32-byte big-endian candidate in
    /// `[1, n)`, as for [`KeyPair::generate_with_rng`](crate::KeyPair::generate_with_rng), so
    /// a seeded RNG gives a documented key.
    ///
    /// # Errors
    /// [`CheckpointError::InvalidName`] if the key name is empty, longer than 255 bytes, or
    /// holds whitespace, `+` or control characters.
    pub fn generate_with_rng(key_name: impl Into<String>, rng: &mut impl CryptoRng) -> Result<Self, CheckpointError> {
        let name = key_name.into();
        if !is_valid_name(&name) {
            return Err(CheckpointError::InvalidName("key name"));
        }
        let mut candidate = Zeroizing::new([0u8; 32]);
        loop {
            rng.fill_bytes(candidate.as_mut_slice());
            if let Ok(key) = p256::ecdsa::SigningKey::from_slice(candidate.as_slice()) {
                return Self::from_key(key, name);
            }
        }
    }

    /// Rebuilds a signer from its 32-byte big-endian scalar, as kept in the server's secret
    /// store.
    ///
    /// # Errors
    /// [`CheckpointError::InvalidName`] for an invalid key name;
    /// [`CheckpointError::InvalidPrivateKey`] unless `scalar` is 32 bytes in `[1, n)`.
    pub fn from_secret_bytes(key_name: impl Into<String>, scalar: &[u8]) -> Result<Self, CheckpointError> {
        let name = key_name.into();
        if !is_valid_name(&name) {
            return Err(CheckpointError::InvalidName("key name"));
        }
        if scalar.len() != 32 {
            return Err(CheckpointError::InvalidPrivateKey);
        }
        let key = p256::ecdsa::SigningKey::from_slice(scalar).map_err(|_| CheckpointError::InvalidPrivateKey)?;
        Self::from_key(key, name)
    }

    fn from_key(key: p256::ecdsa::SigningKey, name: String) -> Result<Self, CheckpointError> {
        let mut public = [0u8; SEC1_UNCOMPRESSED_LEN];
        let point = key.verifying_key().to_sec1_point(false);
        // An uncompressed P-256 point is always 65 bytes.
        if let Some(bytes) = point.as_bytes().get(..SEC1_UNCOMPRESSED_LEN) {
            public.copy_from_slice(bytes);
        }
        // Only fails if the point above were not the key's (it always is).
        let verifying = VerifyingKey::from_sec1(&public).map_err(|_| CheckpointError::InvalidPrivateKey)?;
        let key_id = note_key_id(&name, &public);
        Ok(Self { key, name, public, verifying, key_id })
    }

    /// The 32-byte private scalar, for the server's secret store only.
    #[must_use]
    pub fn to_secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        // `to_bytes` returns a plain array: wiped too, not left on the stack.
        let bytes = Zeroizing::new(self.key.to_bytes());
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(&bytes);
        out
    }

    /// The key name on signature lines.
    #[must_use]
    pub fn key_name(&self) -> &str {
        &self.name
    }

    /// The signed-note key id ([`note_key_id`]).
    #[must_use]
    pub fn key_id(&self) -> [u8; NOTE_KEY_ID_LEN] {
        self.key_id
    }

    /// The public key, SEC1 uncompressed: what clients pin.
    #[must_use]
    pub fn public_key_sec1(&self) -> [u8; SEC1_UNCOMPRESSED_LEN] {
        self.public
    }

    /// The public key as a [`VerifyingKey`].
    #[must_use]
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.verifying
    }

    /// Signs `checkpoint`: its body, a blank line, and one signature line
    /// `— <key name> <base64(key id || r || s)>`. Deterministic (RFC 6979).
    #[must_use]
    pub fn sign(&self, checkpoint: &Checkpoint) -> String {
        let body = checkpoint.body();
        // RFC 6979 signing retries internally until r and s are non-zero, so it cannot fail
        // for a valid key; `Signer::sign` never reaches its panic.
        let signature: p256::ecdsa::Signature = self.key.sign(body.as_bytes());
        let mut blob = [0u8; NOTE_KEY_ID_LEN + SIGNATURE_LEN];
        blob[..NOTE_KEY_ID_LEN].copy_from_slice(&self.key_id);
        blob[NOTE_KEY_ID_LEN..].copy_from_slice(&signature.to_bytes());
        format!("{body}\n{EM_DASH_SPACE}{} {}\n", self.name, Base64::encode_string(&blob))
    }
}

impl fmt::Debug for CheckpointSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckpointSigner").field("key_name", &self.name).finish_non_exhaustive()
    }
}

/// Parses a checkpoint note strictly and checks it was signed by `key` under `key_name`
/// for the log `origin`. Never panics; reads at most [`MAX_NOTE_LEN`] bytes.
///
/// Accepted: UTF-8 with no control characters but newlines; a body of exactly three
/// non-empty lines (origin, size in canonical decimal, root as 44 characters of padded
/// standard base64 decoding to 32 bytes), each ending in a newline, then a blank line, then
/// 1 to 16 signature lines `— <name> <base64>`, each ending in a newline. Signature lines
/// from other keys are checked for form and otherwise ignored (signed-note); exactly one
/// must carry `key_name` and its key id, and it must verify. Extension lines are rejected:
/// this log never writes them.
///
/// # Errors
/// [`CheckpointError::Malformed`] for anything but that form;
/// [`CheckpointError::WrongOrigin`] if the origin line is not `origin`;
/// [`CheckpointError::UnknownKey`] if no signature line is from `key`;
/// [`CheckpointError::BadSignature`] if its signature does not verify.
pub fn verify_checkpoint(
    note: &str,
    origin: &str,
    key: &VerifyingKey,
    key_name: &str,
) -> Result<Checkpoint, CheckpointError> {
    use CheckpointError::Malformed;
    if note.len() > MAX_NOTE_LEN {
        return Err(Malformed("note longer than 64 KiB"));
    }
    if note.chars().any(|c| c != '\n' && c.is_control()) {
        return Err(Malformed("control character"));
    }
    // The text ends at the last blank line (signed-note).
    let separator = note.rfind("\n\n").ok_or(Malformed("no blank line before the signatures"))?;
    let (body, rest) = note.split_at_checked(separator + 1).ok_or(Malformed("no signatures"))?;
    let signatures = rest
        .strip_prefix('\n')
        .and_then(|s| s.strip_suffix('\n'))
        .filter(|s| !s.is_empty())
        .ok_or(Malformed("no signature lines, or no final newline"))?;

    let checkpoint = parse_body(body)?;
    if checkpoint.origin != origin {
        return Err(CheckpointError::WrongOrigin);
    }

    let key_id = note_key_id(key_name, &key.to_sec1());
    let mut ours: Option<Vec<u8>> = None;
    for (count, line) in signatures.split('\n').enumerate() {
        if count >= MAX_SIGNATURES {
            return Err(Malformed("more than 16 signatures"));
        }
        let line = line.strip_prefix(EM_DASH_SPACE).ok_or(Malformed("signature line without an em dash"))?;
        let (name, b64) = line.split_once(' ').ok_or(Malformed("signature line without a signature"))?;
        if !is_valid_name(name) {
            return Err(Malformed("invalid key name on a signature line"));
        }
        let blob = Base64::decode_vec(b64).map_err(|_| Malformed("signature is not padded base64"))?;
        if blob.len() <= NOTE_KEY_ID_LEN || Base64::encode_string(&blob) != b64 {
            return Err(Malformed("signature is too short or not canonical base64"));
        }
        if name == key_name && blob.get(..NOTE_KEY_ID_LEN) == Some(key_id.as_slice()) {
            if ours.is_some() {
                return Err(Malformed("two signatures from the log key"));
            }
            ours = Some(blob);
        }
    }
    let blob = ours.ok_or(CheckpointError::UnknownKey)?;
    let signature = blob.get(NOTE_KEY_ID_LEN..).ok_or(CheckpointError::BadSignature)?;
    key.verify(body.as_bytes(), signature).map_err(|_| CheckpointError::BadSignature)?;
    Ok(checkpoint)
}

/// `<origin>\n<size>\n<root>\n`, exactly.
fn parse_body(body: &str) -> Result<Checkpoint, CheckpointError> {
    use CheckpointError::Malformed;
    let text = body.strip_suffix('\n').ok_or(Malformed("body does not end in a newline"))?;
    let mut lines = text.split('\n');
    let (Some(origin), Some(size), Some(root), None) = (lines.next(), lines.next(), lines.next(), lines.next()) else {
        return Err(Malformed("the body must be exactly origin, size and root lines"));
    };
    if origin.is_empty() {
        return Err(Malformed("empty origin"));
    }
    let size = parse_size(size).ok_or(Malformed("tree size is not canonical decimal"))?;
    let root = parse_root(root).ok_or(Malformed("root is not 32 bytes of padded base64"))?;
    Ok(Checkpoint { origin: origin.into(), size, root })
}

/// `0`, or a digit 1-9 followed by digits, within u64.
fn parse_size(s: &str) -> Option<u64> {
    let canonical = s == "0"
        || (s.len() <= 20
            && s.starts_with(|c: char| c.is_ascii_digit() && c != '0')
            && s.bytes().all(|b| b.is_ascii_digit()));
    if !canonical {
        return None;
    }
    s.parse().ok()
}

fn parse_root(s: &str) -> Option<Hash> {
    if s.len() != ROOT_B64_LEN {
        return None;
    }
    let mut root = [0u8; HASH_LEN];
    if Base64::decode(s, &mut root).ok()?.len() != HASH_LEN {
        return None;
    }
    // Only the canonical encoding (zero padding bits) is accepted.
    let mut again = [0u8; ROOT_B64_LEN];
    (Base64::encode(&root, &mut again).ok()? == s).then_some(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_signing_key_is_zeroized_on_drop() {
        // `p256::ecdsa::SigningKey` zeroizes its scalar in `Drop`; the other fields are public.
        let signer = CheckpointSigner::generate("log.example").unwrap();
        crate::test_support::zeroized_on_drop(&signer.key);
        crate::test_support::zeroized_on_drop(&signer.to_secret_bytes());
    }

    #[test]
    fn sizes() {
        for (s, v) in [("0", 0), ("1", 1), ("10", 10), ("18446744073709551615", u64::MAX)] {
            assert_eq!(parse_size(s), Some(v), "{s}");
        }
        for s in ["", "00", "01", "+1", "-1", " 1", "1 ", "1.0", "1e3", "18446744073709551616", "0x10", "١"] {
            assert_eq!(parse_size(s), None, "{s:?}");
        }
    }

    #[test]
    fn roots() {
        let root = [7u8; 32];
        let b64 = Base64::encode_string(&root);
        assert_eq!(parse_root(&b64), Some(root));
        // Non-zero padding bits: the last base64 digit of 32 bytes carries 2 unused bits.
        let zeros = Base64::encode_string(&[0u8; 32]);
        assert_eq!(parse_root(&zeros), Some([0; 32]));
        assert_eq!(parse_root(&format!("{}B=", &zeros[..42])), None);
        assert_eq!(
            parse_root(&format!("{}E=", &zeros[..42])),
            Some({
                let mut r = [0u8; 32];
                r[31] = 1;
                r
            })
        );
        assert_eq!(parse_root(b64.trim_end_matches('=')), None);
        assert_eq!(parse_root(&Base64::encode_string(&[7u8; 31])), None);
        assert_eq!(parse_root(&Base64::encode_string(&[7u8; 33])), None);
        assert_eq!(
            parse_root(&b64.replace('+', "-").replace('/', "_")),
            if b64.contains(['+', '/']) { None } else { Some(root) }
        );
    }

    #[test]
    fn names() {
        for ok in ["a", "log.example/clinic-1", "é"] {
            assert!(is_valid_name(ok));
        }
        for bad in ["", "a b", "a+b", "a\tb", "a\u{a0}b", "a\u{2003}b", "a\u{7f}", &"x".repeat(256)] {
            assert!(!is_valid_name(bad), "{bad:?}");
        }
    }
}
