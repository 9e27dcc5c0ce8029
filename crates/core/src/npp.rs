//! Notice of Privacy Practices: versions identified by the SHA-256 of their text, and the
//! acknowledgments that a patient must give before booking or using the portal.

use core::fmt;
use core::str::FromStr;

use sha2::{Digest, Sha256};

/// An acknowledgment older than this must be renewed: 365 days.
pub const ACKNOWLEDGMENT_VALIDITY_SECS: u64 = 365 * 24 * 60 * 60;

/// The SHA-256 of an NPP text: what identifies a version. Text form: 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct NppHash([u8; 32]);

impl NppHash {
    /// The raw digest.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for NppHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for NppHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NppHash({self})")
    }
}

/// The text is not 64 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an NPP hash is 64 lowercase hexadecimal digits")]
pub struct InvalidNppHash;

impl FromStr for NppHash {
    type Err = InvalidNppHash;

    fn from_str(s: &str) -> Result<Self, InvalidNppHash> {
        let digit = |c: u8| match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            _ => Err(InvalidNppHash),
        };
        if s.len() != 64 {
            return Err(InvalidNppHash);
        }
        let mut out = [0u8; 32];
        for (byte, pair) in out.iter_mut().zip(s.as_bytes().chunks_exact(2)) {
            let [hi, lo] = pair else { return Err(InvalidNppHash) };
            *byte = digit(*hi)? << 4 | digit(*lo)?;
        }
        Ok(Self(out))
    }
}

/// One version of a clinic's notice: its full text and that text's SHA-256 (over the exact
/// UTF-8 bytes, so any edit, even of whitespace, is a new version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NppVersion {
    text: String,
    hash: NppHash,
}

impl NppVersion {
    /// A version from its text.
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        let hash = NppHash(Sha256::digest(text.as_bytes()).into());
        Self { text, hash }
    }

    /// The full text, to show in full before acknowledgment.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The version's hash.
    #[must_use]
    pub fn hash(&self) -> NppHash {
        self.hash
    }

    /// Checks that `text` is the text of the version named by `hash`, e.g. a notice fetched
    /// from the server against the hash an acknowledgment will record.
    #[must_use]
    pub fn matches(text: &str, hash: &NppHash) -> bool {
        Self::new(text).hash == *hash
    }
}

/// Where the patient acknowledged the notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AckChannel {
    /// In the patient portal.
    Portal,
    /// In the booking widget on a clinic's site.
    Widget,
}

impl AckChannel {
    /// `"portal"` or `"widget"`.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Portal => "portal",
            Self::Widget => "widget",
        }
    }
}

/// The text is not `"portal"` or `"widget"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an acknowledgment channel is \"portal\" or \"widget\"")]
pub struct InvalidAckChannel;

impl FromStr for AckChannel {
    type Err = InvalidAckChannel;

    fn from_str(s: &str) -> Result<Self, InvalidAckChannel> {
        match s {
            "portal" => Ok(Self::Portal),
            "widget" => Ok(Self::Widget),
            _ => Err(InvalidAckChannel),
        }
    }
}

/// A patient's acknowledgment of one NPP version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NppAcknowledgment {
    /// The version acknowledged.
    pub version_hash: NppHash,
    /// When, in Unix seconds.
    pub acknowledged_at: u64,
    /// Where.
    pub channel: AckChannel,
}

impl NppAcknowledgment {
    /// Records an acknowledgment of `version` at `now` (Unix seconds) through `channel`.
    #[must_use]
    pub fn new(version: &NppVersion, now: u64, channel: AckChannel) -> Self {
        Self { version_hash: version.hash, acknowledged_at: now, channel }
    }
}

/// Whether the patient must (re)acknowledge `current` at `now` (Unix seconds): never
/// acknowledged, acknowledged another version, or acknowledged 365 days ago or more.
/// An acknowledgment dated more than a day in the future is not trusted either.
#[must_use]
pub fn needs_acknowledgment(current: &NppHash, last: Option<&NppAcknowledgment>, now: u64) -> bool {
    const SKEW_SECS: u64 = 24 * 60 * 60;
    match last {
        None => true,
        Some(ack) if ack.version_hash != *current => true,
        Some(ack) if ack.acknowledged_at > now.saturating_add(SKEW_SECS) => true,
        Some(ack) => now.saturating_sub(ack.acknowledged_at) >= ACKNOWLEDGMENT_VALIDITY_SECS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const DAY: u64 = 86_400;
    const NOW: u64 = 1_790_000_000;

    #[test]
    fn hash_is_sha256_of_the_exact_text() {
        // SHA-256("abc") from FIPS 180-2 Appendix B.1.
        let v = NppVersion::new("abc");
        assert_eq!(v.hash().to_string(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(v.hash().to_string().parse::<NppHash>().unwrap(), v.hash());
        assert_ne!(NppVersion::new("abc ").hash(), v.hash());
        assert!(NppVersion::matches("abc", &v.hash()));
        assert!(!NppVersion::matches("abd", &v.hash()));
        for bad in
            ["", "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", &"g".repeat(64), &"a".repeat(63)]
        {
            assert!(bad.parse::<NppHash>().is_err(), "{bad}");
        }
    }

    #[test]
    fn acknowledgment_rules() {
        let v1 = NppVersion::new("Notice v1");
        let v2 = NppVersion::new("Notice v2");
        let ack = NppAcknowledgment::new(&v1, NOW, AckChannel::Widget);
        assert!(needs_acknowledgment(&v1.hash(), None, NOW));
        assert!(!needs_acknowledgment(&v1.hash(), Some(&ack), NOW));
        assert!(!needs_acknowledgment(&v1.hash(), Some(&ack), NOW + 364 * DAY));
        assert!(needs_acknowledgment(&v1.hash(), Some(&ack), NOW + 365 * DAY));
        assert!(needs_acknowledgment(&v2.hash(), Some(&ack), NOW + DAY));
        // Small clock skew is tolerated; a date far in the future is not.
        assert!(!needs_acknowledgment(&v1.hash(), Some(&ack), NOW - 60));
        assert!(needs_acknowledgment(&v1.hash(), Some(&ack), NOW - 2 * DAY));
        assert_eq!(ack.channel.as_str(), "widget");
        assert_eq!("portal".parse::<AckChannel>().unwrap(), AckChannel::Portal);
        assert!("email".parse::<AckChannel>().is_err());
    }
}
