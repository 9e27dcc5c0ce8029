//! Envelopes: a note (or any PHI a client writes) encrypted once under a fresh data key,
//! with that data key wrapped to each recipient's P-256 public key.
//!
//! The byte layout and every derivation are specified in `docs/envelope-format.md`; this
//! module is the reference implementation of that document.

use core::fmt;
use core::str::FromStr;

use base64ct::{Base64UrlUnpadded, Encoding};
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::hazmat::{self, AEAD_NONCE_LEN, AEAD_TAG_LEN, HPKE_ENC_LEN};
use crate::keys::{KEY_ID_LEN, KeyId, KeyPair, PublicKey};
use crate::random::{OsRng, RandomError};
use crate::reader::{Reader, Truncated};

/// Most recipients an envelope may have.
pub const MAX_RECIPIENTS: usize = 16;
/// Largest plaintext accepted by [`Envelope::seal`]: 16 MiB.
pub const MAX_PLAINTEXT_LEN: usize = 16 * 1024 * 1024;

const MAGIC: &[u8; 3] = b"BZE";
const VERSION: u8 = 1;
/// HPKE DHKEM(P-256, HKDF-SHA256) + HKDF-SHA256 + AES-256-GCM for the data key;
/// HKDF-SHA256 + AES-256-GCM for the content.
const SUITE_P256_AES256GCM: u16 = 0x0001;
const FLAG_PADDED: u8 = 0x01;
const TEXT_PREFIX: &str = "bze1.";

const DEK_LEN: usize = 32;
const MESSAGE_ID_LEN: usize = 32;
const COMMITMENT_LEN: usize = 32;
const WRAPPED_DEK_LEN: usize = DEK_LEN + AEAD_TAG_LEN;
/// magic, version, suite, flags, message id.
const PREFIX_LEN: usize = 3 + 1 + 2 + 1 + MESSAGE_ID_LEN;
const RECIPIENT_LEN: usize = KEY_ID_LEN + HPKE_ENC_LEN + WRAPPED_DEK_LEN;
/// Length of the padded plaintext's length prefix.
const PAD_PREFIX_LEN: usize = 4;

const HPKE_INFO: &[u8] = b"bizing envelope v1 dek";
const INFO_CONTENT_KEY: &[u8] = b"bizing envelope v1 content key";
const INFO_NONCE: &[u8] = b"bizing envelope v1 nonce";
const INFO_COMMITMENT: &[u8] = b"bizing envelope v1 commitment";

/// Why an envelope could not be sealed, parsed, opened or rewrapped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The input ends before the envelope does.
    #[error("envelope is truncated")]
    Truncated,
    /// Not an envelope: wrong magic or text prefix, or not base64url.
    #[error("not an envelope")]
    NotAnEnvelope,
    /// A format version this build does not know.
    #[error("unsupported envelope version {0}")]
    UnsupportedVersion(u8),
    /// A cipher suite this build does not know.
    #[error("unsupported envelope suite {0:#06x}")]
    UnsupportedSuite(u16),
    /// The envelope's structure is inconsistent (unknown flags, zero recipients, a length
    /// that disagrees with the data, trailing bytes, or bad padding inside).
    #[error("malformed envelope: {0}")]
    Malformed(&'static str),
    /// More than [`MAX_RECIPIENTS`] recipients.
    #[error("too many recipients: {0} (at most 16)")]
    TooManyRecipients(usize),
    /// Sealing or rewrapping would leave no recipient.
    #[error("an envelope needs at least one recipient")]
    NoRecipients,
    /// The same key appears twice among the recipients.
    #[error("recipient {0} appears twice")]
    DuplicateRecipient(KeyId),
    /// The key given to open the envelope is not one of its recipients.
    #[error("this key is not a recipient of the envelope")]
    NoMatchingRecipient,
    /// The envelope failed to authenticate: wrong key, wrong context, or altered bytes.
    /// Deliberately one error, with no detail.
    #[error("the envelope could not be opened")]
    Decryption,
    /// The plaintext is larger than [`MAX_PLAINTEXT_LEN`].
    #[error("plaintext too large (at most 16 MiB)")]
    TooLarge,
    /// A context field is longer than 65,535 bytes.
    #[error("context field `{0}` is too long")]
    ContextTooLong(&'static str),
    /// The platform's random number generator failed.
    #[error(transparent)]
    Random(#[from] RandomError),
}

impl From<Truncated> for EnvelopeError {
    fn from(_: Truncated) -> Self {
        Self::Truncated
    }
}

/// Where an envelope belongs: bound into its authentication, never stored in it. The caller
/// rebuilds it to open, so a ciphertext moved to another booking or field fails to open.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Context {
    /// The clinic (tenant) id.
    pub tenant_id: String,
    /// The booking (or other record) id.
    pub booking_id: String,
    /// The field within the record, e.g. `note` or `correction`.
    pub field: String,
    /// The version of the schema the plaintext follows.
    pub schema_version: u32,
}

impl Context {
    /// A context from its parts.
    pub fn new(
        tenant_id: impl Into<String>,
        booking_id: impl Into<String>,
        field: impl Into<String>,
        schema_version: u32,
    ) -> Self {
        Self { tenant_id: tenant_id.into(), booking_id: booking_id.into(), field: field.into(), schema_version }
    }

    /// The canonical encoding: each string as a big-endian u16 length and its UTF-8 bytes,
    /// then the schema version as a big-endian u32.
    fn encode(&self) -> Result<Vec<u8>, EnvelopeError> {
        let mut out = Vec::with_capacity(2 * 3 + self.tenant_id.len() + self.booking_id.len() + self.field.len() + 4);
        for (name, value) in [("tenant_id", &self.tenant_id), ("booking_id", &self.booking_id), ("field", &self.field)]
        {
            let len = u16::try_from(value.len()).map_err(|_| EnvelopeError::ContextTooLong(name))?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(value.as_bytes());
        }
        out.extend_from_slice(&self.schema_version.to_be_bytes());
        Ok(out)
    }
}

/// Options for [`Envelope::seal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SealOptions {
    /// Pad the plaintext (PADME) so the ciphertext length reveals little about the note's
    /// length. On by default.
    pub pad: bool,
}

impl Default for SealOptions {
    fn default() -> Self {
        Self { pad: true }
    }
}

impl SealOptions {
    /// Options with padding switched on or off.
    #[must_use]
    pub fn with_padding(pad: bool) -> Self {
        Self { pad }
    }
}

#[derive(Clone, PartialEq, Eq)]
struct Recipient {
    key_id: KeyId,
    enc: [u8; HPKE_ENC_LEN],
    wrapped_dek: [u8; WRAPPED_DEK_LEN],
}

/// An encrypted note. Holds only ciphertext; safe to store, log by id, and send anywhere.
#[derive(Clone, PartialEq, Eq)]
pub struct Envelope {
    flags: u8,
    message_id: [u8; MESSAGE_ID_LEN],
    recipients: Vec<Recipient>,
    commitment: [u8; COMMITMENT_LEN],
    content: Vec<u8>,
}

/// The keys derived from one data key and message id.
struct ContentKeys {
    key: Zeroizing<[u8; 32]>,
    nonce: Zeroizing<[u8; AEAD_NONCE_LEN]>,
    commitment_key: Zeroizing<[u8; 32]>,
}

impl ContentKeys {
    fn derive(dek: &[u8], message_id: &[u8; MESSAGE_ID_LEN]) -> Self {
        Self {
            key: hazmat::hkdf_array(message_id, dek, INFO_CONTENT_KEY),
            nonce: hazmat::hkdf_array(message_id, dek, INFO_NONCE),
            commitment_key: hazmat::hkdf_array(message_id, dek, INFO_COMMITMENT),
        }
    }

    /// HMAC-SHA256 under the commitment key over the prefix, the recipient table and the
    /// context. It commits to the data key (HMAC-SHA256 is collision resistant in its key)
    /// and authenticates every header byte for every recipient, so no recipient entry can be
    /// added, dropped or altered without the data key.
    fn commitment(&self, prefix: &[u8; PREFIX_LEN], recipients: &[Recipient], ctx: &[u8]) -> [u8; COMMITMENT_LEN] {
        let table = recipient_table(recipients);
        hazmat::hmac_sha256(&self.commitment_key, &[prefix, &table, ctx])
    }
}

impl Envelope {
    /// Seals `plaintext` for `recipients` under `context`, with randomness from the platform.
    ///
    /// # Errors
    /// [`EnvelopeError::NoRecipients`], [`EnvelopeError::TooManyRecipients`],
    /// [`EnvelopeError::DuplicateRecipient`], [`EnvelopeError::TooLarge`],
    /// [`EnvelopeError::ContextTooLong`], or [`EnvelopeError::Random`].
    pub fn seal(
        plaintext: &[u8],
        context: &Context,
        recipients: &[PublicKey],
        options: SealOptions,
    ) -> Result<Self, EnvelopeError> {
        Self::seal_with_rng(plaintext, context, recipients, options, &mut OsRng::new()?)
    }

    /// As [`Envelope::seal`], drawing the data key, message id and HPKE ephemeral keys from
    /// `rng` (tests use this to make frozen vectors).
    ///
    /// # Errors
    /// As [`Envelope::seal`], except [`EnvelopeError::Random`].
    pub fn seal_with_rng(
        plaintext: &[u8],
        context: &Context,
        recipients: &[PublicKey],
        options: SealOptions,
        rng: &mut impl CryptoRng,
    ) -> Result<Self, EnvelopeError> {
        check_recipients(recipients.iter().map(PublicKey::key_id))?;
        if plaintext.len() > MAX_PLAINTEXT_LEN {
            return Err(EnvelopeError::TooLarge);
        }
        let ctx = context.encode()?;
        let mut dek = Zeroizing::new([0u8; DEK_LEN]);
        rng.fill_bytes(dek.as_mut_slice());
        let mut message_id = [0u8; MESSAGE_ID_LEN];
        rng.fill_bytes(&mut message_id);

        let flags = if options.pad { FLAG_PADDED } else { 0 };
        let keys = ContentKeys::derive(dek.as_slice(), &message_id);
        let mut envelope = Self {
            flags,
            message_id,
            recipients: Vec::with_capacity(recipients.len()),
            commitment: [0; COMMITMENT_LEN],
            content: Vec::new(),
        };
        let prefix = envelope.prefix();
        for pk in recipients {
            envelope.recipients.push(wrap_dek(dek.as_slice(), &prefix, pk, &ctx, rng)?);
        }
        envelope.commitment = keys.commitment(&prefix, &envelope.recipients, &ctx);
        let body = if options.pad { pad(plaintext) } else { Zeroizing::new(plaintext.to_vec()) };
        envelope.content = hazmat::aead_seal(&keys.key, &keys.nonce, &[prefix.as_slice(), &ctx].concat(), &body);
        Ok(envelope)
    }

    /// Opens the envelope with one of its recipients' key pairs and the same context it was
    /// sealed under.
    ///
    /// # Errors
    /// [`EnvelopeError::NoMatchingRecipient`] if `key` is not a recipient;
    /// [`EnvelopeError::Decryption`] for a wrong context or altered bytes;
    /// [`EnvelopeError::Malformed`] for bad padding inside an authentic envelope;
    /// [`EnvelopeError::ContextTooLong`].
    pub fn open(&self, key: &KeyPair, context: &Context) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
        let ctx = context.encode()?;
        let prefix = self.prefix();
        let keys = self.unwrap_dek(key, &prefix, &ctx)?.1;
        let body = hazmat::aead_open(&keys.key, &keys.nonce, &[prefix.as_slice(), &ctx].concat(), &self.content)
            .map_err(|_| EnvelopeError::Decryption)?;
        if self.flags & FLAG_PADDED == 0 {
            return Ok(body);
        }
        unpad(&body)
    }

    /// Opens the envelope and decodes the plaintext as UTF-8.
    ///
    /// # Errors
    /// As [`Envelope::open`], and [`EnvelopeError::Malformed`] if the plaintext is not UTF-8.
    pub fn open_text(&self, key: &KeyPair, context: &Context) -> Result<Zeroizing<String>, EnvelopeError> {
        let mut bytes = self.open(key, context)?;
        let text = String::from_utf8(core::mem::take(&mut *bytes))
            .map_err(|_| EnvelopeError::Malformed("the plaintext is not UTF-8"))?;
        Ok(Zeroizing::new(text))
    }

    /// Returns a copy with recipients added and removed, for sharing a note with a new key
    /// or moving it to a new clinic-key version, without touching the content ciphertext.
    /// `key` must be a current recipient. A removed recipient can no longer open the result
    /// (though it may have kept the data key from an earlier opening).
    ///
    /// # Errors
    /// As [`Envelope::open`] for `key` and `context`; [`EnvelopeError::DuplicateRecipient`]
    /// when adding a key that is already a recipient (and not removed);
    /// [`EnvelopeError::NoRecipients`] or [`EnvelopeError::TooManyRecipients`] for the result.
    pub fn rewrap(
        &self,
        key: &KeyPair,
        context: &Context,
        add: &[PublicKey],
        remove: &[KeyId],
    ) -> Result<Self, EnvelopeError> {
        self.rewrap_with_rng(key, context, add, remove, &mut OsRng::new()?)
    }

    /// As [`Envelope::rewrap`], with the HPKE ephemeral keys drawn from `rng`.
    ///
    /// # Errors
    /// As [`Envelope::rewrap`], except [`EnvelopeError::Random`].
    pub fn rewrap_with_rng(
        &self,
        key: &KeyPair,
        context: &Context,
        add: &[PublicKey],
        remove: &[KeyId],
        rng: &mut impl CryptoRng,
    ) -> Result<Self, EnvelopeError> {
        let ctx = context.encode()?;
        let prefix = self.prefix();
        let (dek, keys) = self.unwrap_dek(key, &prefix, &ctx)?;
        let mut recipients: Vec<Recipient> =
            self.recipients.iter().filter(|r| !remove.contains(&r.key_id)).cloned().collect();
        check_recipients(recipients.iter().map(|r| r.key_id).chain(add.iter().map(PublicKey::key_id)))?;
        for pk in add {
            recipients.push(wrap_dek(dek.as_slice(), &prefix, pk, &ctx, rng)?);
        }
        let commitment = keys.commitment(&prefix, &recipients, &ctx);
        Ok(Self {
            recipients,
            commitment,
            flags: self.flags,
            message_id: self.message_id,
            content: self.content.clone(),
        })
    }

    /// Whether `other` carries the same content as this envelope: the same message id, flags
    /// (hence padding) and content ciphertext, byte for byte. That is everything a rewrap
    /// keeps ([`Envelope::rewrap`] changes only the recipients and the commitment), so a
    /// server that cannot open either envelope can still check that an uploaded rewrap of a
    /// stored note did not change what the note says. It is public data: no secret is
    /// compared, so the comparison need not be constant time.
    #[must_use]
    pub fn same_content(&self, other: &Self) -> bool {
        self.flags == other.flags && self.message_id == other.message_id && self.content == other.content
    }

    /// The key ids this envelope is sealed to, in order.
    #[must_use]
    pub fn recipients(&self) -> Vec<KeyId> {
        self.recipients.iter().map(|r| r.key_id).collect()
    }

    /// Whether the plaintext was padded.
    #[must_use]
    pub fn is_padded(&self) -> bool {
        self.flags & FLAG_PADDED != 0
    }

    /// The random 32-byte message id.
    #[must_use]
    pub fn message_id(&self) -> [u8; MESSAGE_ID_LEN] {
        self.message_id
    }

    /// magic | version | suite | flags | message id: the part of the header that content and
    /// data-key authentication bind.
    fn prefix(&self) -> [u8; PREFIX_LEN] {
        let mut out = [0u8; PREFIX_LEN];
        let (head, id) = out.split_at_mut(7);
        head[..3].copy_from_slice(MAGIC);
        head[3] = VERSION;
        head[4..6].copy_from_slice(&SUITE_P256_AES256GCM.to_be_bytes());
        head[6] = self.flags;
        id.copy_from_slice(&self.message_id);
        out
    }

    /// Finds `key` among the recipients, unwraps the data key, and checks the commitment.
    fn unwrap_dek(
        &self,
        key: &KeyPair,
        prefix: &[u8; PREFIX_LEN],
        ctx: &[u8],
    ) -> Result<(Zeroizing<Vec<u8>>, ContentKeys), EnvelopeError> {
        let entry =
            self.recipients.iter().find(|r| r.key_id == key.key_id()).ok_or(EnvelopeError::NoMatchingRecipient)?;
        let aad = [prefix.as_slice(), &entry.key_id.to_bytes(), ctx].concat();
        let dek = hazmat::hpke_open(
            key.secret(),
            &key.public_key().to_sec1(),
            &entry.enc,
            HPKE_INFO,
            &aad,
            &entry.wrapped_dek,
        )
        .map_err(|_| EnvelopeError::Decryption)?;
        if dek.len() != DEK_LEN {
            return Err(EnvelopeError::Decryption);
        }
        let keys = ContentKeys::derive(&dek, &self.message_id);
        // Key commitment: a data key other than the one the content was sealed under, or a
        // header altered in any byte, is refused before any decryption is attempted.
        if !bool::from(keys.commitment(prefix, &self.recipients, ctx).ct_eq(&self.commitment)) {
            return Err(EnvelopeError::Decryption);
        }
        Ok((dek, keys))
    }

    /// The binary encoding.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            PREFIX_LEN + 1 + self.recipients.len() * RECIPIENT_LEN + COMMITMENT_LEN + 4 + self.content.len(),
        );
        out.extend_from_slice(&self.prefix());
        out.extend_from_slice(&recipient_table(&self.recipients));
        out.extend_from_slice(&self.commitment);
        // Content is at most 16 MiB plus padding and tag: always fits a u32.
        out.extend_from_slice(&u32::try_from(self.content.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(&self.content);
        out
    }

    /// Parses the binary encoding. Never panics, and allocates no more than `bytes` holds.
    ///
    /// # Errors
    /// [`EnvelopeError::Truncated`], [`EnvelopeError::NotAnEnvelope`],
    /// [`EnvelopeError::UnsupportedVersion`], [`EnvelopeError::UnsupportedSuite`],
    /// [`EnvelopeError::TooManyRecipients`] or [`EnvelopeError::Malformed`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        let mut r = Reader::new(bytes);
        if r.array::<3>()? != *MAGIC {
            return Err(EnvelopeError::NotAnEnvelope);
        }
        let version = r.u8()?;
        if version != VERSION {
            return Err(EnvelopeError::UnsupportedVersion(version));
        }
        let suite = r.u16()?;
        if suite != SUITE_P256_AES256GCM {
            return Err(EnvelopeError::UnsupportedSuite(suite));
        }
        let flags = r.u8()?;
        if flags & !FLAG_PADDED != 0 {
            return Err(EnvelopeError::Malformed("unknown flags"));
        }
        let message_id = r.array()?;
        let count = usize::from(r.u8()?);
        if count == 0 {
            return Err(EnvelopeError::Malformed("no recipients"));
        }
        if count > MAX_RECIPIENTS {
            return Err(EnvelopeError::TooManyRecipients(count));
        }
        let mut recipients: Vec<Recipient> = Vec::with_capacity(count);
        for _ in 0..count {
            let key_id = KeyId::from_bytes(r.take(KEY_ID_LEN)?)
                .map_err(|_| EnvelopeError::Malformed("invalid recipient key id"))?;
            if recipients.iter().any(|other| other.key_id == key_id) {
                return Err(EnvelopeError::Malformed("duplicate recipient"));
            }
            recipients.push(Recipient { key_id, enc: r.array()?, wrapped_dek: r.array()? });
        }
        let commitment = r.array()?;
        let len = usize::try_from(r.u32()?).map_err(|_| EnvelopeError::Malformed("content length"))?;
        if len < AEAD_TAG_LEN {
            return Err(EnvelopeError::Malformed("content shorter than its tag"));
        }
        if len > r.remaining() {
            return Err(EnvelopeError::Truncated);
        }
        let content = r.take(len)?.to_vec();
        if !r.is_empty() {
            return Err(EnvelopeError::Malformed("trailing bytes"));
        }
        Ok(Self { flags, message_id, recipients, commitment, content })
    }
}

impl fmt::Display for Envelope {
    /// The text form: `bze1.` followed by the binary encoding in unpadded base64url.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(TEXT_PREFIX)?;
        f.write_str(&Base64UrlUnpadded::encode_string(&self.to_bytes()))
    }
}

impl fmt::Debug for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("recipients", &self.recipients())
            .field("padded", &self.is_padded())
            .field("content_len", &self.content.len())
            .finish_non_exhaustive()
    }
}

impl FromStr for Envelope {
    type Err = EnvelopeError;

    /// Parses the text form `bze1.<base64url>`.
    fn from_str(s: &str) -> Result<Self, EnvelopeError> {
        let b64 = s.strip_prefix(TEXT_PREFIX).ok_or(EnvelopeError::NotAnEnvelope)?;
        let bytes = Base64UrlUnpadded::decode_vec(b64).map_err(|_| EnvelopeError::NotAnEnvelope)?;
        Self::from_bytes(&bytes)
    }
}

/// n (one byte) followed by each entry: key id, enc, wrapped data key.
fn recipient_table(recipients: &[Recipient]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + recipients.len() * RECIPIENT_LEN);
    // At most 16 recipients (checked on seal, rewrap and parse): always fits a byte.
    out.push(u8::try_from(recipients.len()).unwrap_or(u8::MAX));
    for r in recipients {
        out.extend_from_slice(&r.key_id.to_bytes());
        out.extend_from_slice(&r.enc);
        out.extend_from_slice(&r.wrapped_dek);
    }
    out
}

fn check_recipients(ids: impl Iterator<Item = KeyId>) -> Result<(), EnvelopeError> {
    let mut seen: Vec<KeyId> = Vec::with_capacity(MAX_RECIPIENTS);
    for id in ids {
        if seen.contains(&id) {
            return Err(EnvelopeError::DuplicateRecipient(id));
        }
        seen.push(id);
    }
    match seen.len() {
        0 => Err(EnvelopeError::NoRecipients),
        n if n > MAX_RECIPIENTS => Err(EnvelopeError::TooManyRecipients(n)),
        _ => Ok(()),
    }
}

fn wrap_dek(
    dek: &[u8],
    prefix: &[u8; PREFIX_LEN],
    pk: &PublicKey,
    ctx: &[u8],
    rng: &mut impl CryptoRng,
) -> Result<Recipient, EnvelopeError> {
    let key_id = pk.key_id();
    let aad = [prefix.as_slice(), &key_id.to_bytes(), ctx].concat();
    let (enc, wrapped) =
        hazmat::hpke_seal(pk.point(), HPKE_INFO, &aad, dek, rng).map_err(|_| EnvelopeError::Decryption)?;
    let wrapped_dek = wrapped.as_slice().try_into().map_err(|_| EnvelopeError::Decryption)?;
    Ok(Recipient { key_id, enc, wrapped_dek })
}

/// PADME (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and Communication
/// with PURBs", 2019): rounds `len` up so that at most O(log log len) bits of it remain.
pub(crate) fn padme(len: usize) -> usize {
    if len < 2 {
        return len;
    }
    let e = usize::BITS - 1 - len.leading_zeros(); // floor(log2 len)
    let s = u32::BITS - 1 - e.leading_zeros() + 1; // floor(log2 e) + 1
    let last_bits = e - s;
    let mask = (1usize << last_bits) - 1;
    (len + mask) & !mask
}

/// Padded body: the plaintext length as a big-endian u32, the plaintext, then zeros up to
/// `padme(4 + len)` bytes.
fn pad(plaintext: &[u8]) -> Zeroizing<Vec<u8>> {
    let total = padme(PAD_PREFIX_LEN + plaintext.len());
    let mut body = Zeroizing::new(Vec::with_capacity(total));
    // The caller bounds plaintext to 16 MiB, so its length fits a u32.
    body.extend_from_slice(&u32::try_from(plaintext.len()).unwrap_or(u32::MAX).to_be_bytes());
    body.extend_from_slice(plaintext);
    body.resize(total, 0);
    body
}

fn unpad(body: &[u8]) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
    const BAD: EnvelopeError = EnvelopeError::Malformed("bad padding");
    let (len, rest) = body.split_first_chunk::<PAD_PREFIX_LEN>().ok_or(BAD)?;
    let len = usize::try_from(u32::from_be_bytes(*len)).map_err(|_| BAD)?;
    if len > rest.len() {
        return Err(BAD);
    }
    let (plaintext, padding) = rest.split_at(len);
    if padding.iter().any(|b| *b != 0) || body.len() != padme(PAD_PREFIX_LEN + len) {
        return Err(BAD);
    }
    Ok(Zeroizing::new(plaintext.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn content_keys_are_zeroized_on_drop() {
        let keys = ContentKeys::derive(&[1; DEK_LEN], &[2; MESSAGE_ID_LEN]);
        crate::test_support::zeroized_on_drop(&keys.key);
        crate::test_support::zeroized_on_drop(&keys.nonce);
        crate::test_support::zeroized_on_drop(&keys.commitment_key);
    }

    #[test]
    fn same_content_survives_a_rewrap_and_nothing_else() {
        let a = KeyPair::generate().unwrap();
        let b = KeyPair::generate().unwrap();
        let ctx = Context::new("t", "b1", "note", 1);
        let env = Envelope::seal(b"knee", &ctx, &[a.public_key().clone()], SealOptions::default()).unwrap();
        let moved = env.rewrap(&a, &ctx, &[b.public_key().clone()], &[a.key_id()]).unwrap();
        assert!(env.same_content(&moved) && moved.same_content(&env));
        assert_ne!(env.recipients(), moved.recipients());
        // The same text sealed again is other content (a fresh data key and message id).
        let again = Envelope::seal(b"knee", &ctx, &[a.public_key().clone()], SealOptions::default()).unwrap();
        assert!(!env.same_content(&again));
        // Any change to the content, the message id or the flags is seen.
        let mut content = moved.clone();
        content.content[0] ^= 1;
        assert!(!env.same_content(&content));
        let mut id = moved.clone();
        id.message_id[31] ^= 1;
        assert!(!env.same_content(&id));
        let mut flags = moved;
        flags.flags ^= FLAG_PADDED;
        assert!(!env.same_content(&flags));
    }

    #[test]
    fn padme_matches_the_paper() {
        // Values from the PURBs paper's definition, computed by hand.
        for (len, padded) in
            [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (9, 10), (100, 104), (1000, 1024), (1028, 1088), (65540, 67584)]
        {
            assert_eq!(padme(len), padded, "padme({len})");
        }
        for len in 0..5000 {
            let p = padme(len);
            assert!(p >= len && p - len <= len / 8 + 1, "padme({len}) = {p}");
        }
    }

    #[test]
    fn pad_round_trip_and_tamper() {
        for len in [0usize, 1, 5, 100, 1023, 4096] {
            let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let body = pad(&data);
            assert_eq!(body.len(), padme(4 + len));
            assert_eq!(unpad(&body).unwrap().as_slice(), data);
        }
        let mut body = pad(b"hello world, longer text!");
        assert_eq!(body.len(), 30, "this length must leave one byte of padding");
        let last = body.len() - 1;
        body[last] = 1;
        assert!(unpad(&body).is_err());
        assert!(unpad(&[0, 0, 0]).is_err());
        assert!(unpad(&[0, 0, 0, 9, 1]).is_err());
    }
}
