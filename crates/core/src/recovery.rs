//! Recovery codes: single-use secrets a user writes down, each of which can unwrap their
//! private key when the password is lost.

use core::fmt;
use core::str::FromStr;

use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use subtle::{ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroizing;

use crate::random::{OsRng, RandomError};

/// Crockford's base32 alphabet: no I, L, O or U, so codes survive handwriting.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters in a code: 20 x 5 bits = 100 bits of entropy.
const CODE_CHARS: usize = 20;
/// Characters per group in the display form.
const GROUP: usize = 5;

/// The text is not a recovery code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a recovery code: expected 20 letters and digits, as XXXXX-XXXXX-XXXXX-XXXXX")]
pub struct InvalidRecoveryCode;

/// One recovery code of 100 random bits, shown as `XXXXX-XXXXX-XXXXX-XXXXX`.
///
/// Parsing is forgiving in what people mistype: case, spaces, hyphens, and the look-alikes
/// I/L (read as 1) and O (read as 0). Never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(Zeroizing<[u8; CODE_CHARS]>);

impl RecoveryCode {
    /// Generates `count` fresh codes from the platform RNG.
    ///
    /// # Errors
    /// [`RandomError`] if the platform RNG is unavailable.
    pub fn generate(count: usize) -> Result<Vec<Self>, RandomError> {
        let mut rng = OsRng::new()?;
        Ok((0..count).map(|_| Self::generate_with_rng(&mut rng)).collect())
    }

    /// Generates one code from the given RNG.
    pub fn generate_with_rng(rng: &mut impl CryptoRng) -> Self {
        let mut chars = Zeroizing::new([0u8; CODE_CHARS]);
        for c in chars.iter_mut() {
            // 32 divides 256: taking the low five bits of a uniform byte is uniform.
            *c = ALPHABET.get(usize::from(rng.next_u32() as u8 & 31)).copied().unwrap_or(b'0');
        }
        Self(chars)
    }

    /// The canonical 20 characters without grouping, which key derivation and hashing use.
    pub(crate) fn canonical(&self) -> &[u8] {
        self.0.as_slice()
    }

    /// The grouped display form, e.g. `7KQ2M-XW4PA-9D3RT-C8VNE`.
    #[must_use]
    pub fn to_display_string(&self) -> Zeroizing<String> {
        let mut out = String::with_capacity(CODE_CHARS + CODE_CHARS / GROUP);
        for (i, c) in self.0.iter().enumerate() {
            if i > 0 && i % GROUP == 0 {
                out.push('-');
            }
            out.push(char::from(*c));
        }
        Zeroizing::new(out)
    }
}

/// How many recovery codes an account gets.
pub const RECOVERY_CODE_COUNT: usize = 10;

/// What the server stores for one recovery code: SHA-256("bizing recovery code v1" ||
/// canonical code). A fast hash suffices because each code carries 100 random bits; a
/// password-style hash would add nothing but latency. Text form: 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecoveryCodeHash([u8; 32]);

impl RecoveryCode {
    /// The hash to store instead of the code.
    #[must_use]
    pub fn hash(&self) -> RecoveryCodeHash {
        RecoveryCodeHash(
            Sha256::new_with_prefix(b"bizing recovery code v1").chain_update(self.canonical()).finalize().into(),
        )
    }
}

impl RecoveryCodeHash {
    /// Whether `code` is the code this hash was made from, compared in constant time.
    #[must_use]
    pub fn verify(&self, code: &RecoveryCode) -> bool {
        bool::from(self.0.ct_eq(&code.hash().0))
    }
}

impl fmt::Display for RecoveryCodeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for RecoveryCodeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecoveryCodeHash({self})")
    }
}

impl FromStr for RecoveryCodeHash {
    type Err = InvalidRecoveryCode;

    fn from_str(s: &str) -> Result<Self, InvalidRecoveryCode> {
        let digit = |c: u8| match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            _ => Err(InvalidRecoveryCode),
        };
        if s.len() != 64 {
            return Err(InvalidRecoveryCode);
        }
        let mut out = [0u8; 32];
        for (byte, pair) in out.iter_mut().zip(s.as_bytes().chunks_exact(2)) {
            let [hi, lo] = pair else { return Err(InvalidRecoveryCode) };
            *byte = digit(*hi)? << 4 | digit(*lo)?;
        }
        Ok(Self(out))
    }
}

/// An account's stored recovery-code hashes, each usable once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryCodeSet {
    /// `None` once used.
    slots: Vec<Option<RecoveryCodeHash>>,
}

impl RecoveryCodeSet {
    /// The set for freshly generated codes.
    #[must_use]
    pub fn from_codes(codes: &[RecoveryCode]) -> Self {
        Self { slots: codes.iter().map(|c| Some(c.hash())).collect() }
    }

    /// Rebuilds a set from stored slots (`None` for used codes).
    #[must_use]
    pub fn from_slots(slots: Vec<Option<RecoveryCodeHash>>) -> Self {
        Self { slots }
    }

    /// The stored slots, for persisting.
    #[must_use]
    pub fn slots(&self) -> &[Option<RecoveryCodeHash>] {
        &self.slots
    }

    /// How many codes are still unused.
    #[must_use]
    pub fn remaining(&self) -> usize {
        self.slots.iter().flatten().count()
    }

    /// Uses `code` if it matches an unused slot, returning the slot's index; a used or
    /// unknown code returns `None`. Every slot is compared, in constant time, whatever matches.
    pub fn consume(&mut self, code: &RecoveryCode) -> Option<usize> {
        let candidate = code.hash();
        let mut found = subtle::Choice::from(0);
        let mut index = 0u64;
        for (i, slot) in self.slots.iter().enumerate() {
            let hit = slot.map_or(subtle::Choice::from(0), |h| h.0.ct_eq(&candidate.0));
            index.conditional_assign(&(i as u64), hit & !found);
            found |= hit;
        }
        if !bool::from(found) {
            return None;
        }
        let index = usize::try_from(index).ok()?;
        *self.slots.get_mut(index)? = None;
        Some(index)
    }
}

impl FromStr for RecoveryCode {
    type Err = InvalidRecoveryCode;

    fn from_str(s: &str) -> Result<Self, InvalidRecoveryCode> {
        let mut chars = Zeroizing::new([0u8; CODE_CHARS]);
        let mut n = 0;
        for c in s.chars() {
            let c = match c.to_ascii_uppercase() {
                ' ' | '-' => continue,
                'I' | 'L' => '1',
                'O' => '0',
                c => c,
            };
            if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
                return Err(InvalidRecoveryCode);
            }
            *chars.get_mut(n).ok_or(InvalidRecoveryCode)? = c as u8;
            n += 1;
        }
        if n != CODE_CHARS {
            return Err(InvalidRecoveryCode);
        }
        Ok(Self(chars))
    }
}

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn codes_are_zeroized_on_drop() {
        let code = RecoveryCode::generate(1).unwrap().remove(0);
        crate::test_support::zeroized_on_drop(&code.0);
        crate::test_support::zeroized_on_drop(&code.to_display_string());
    }

    #[test]
    fn display_parse_round_trip_and_forgiving_input() {
        let codes = RecoveryCode::generate(10).unwrap();
        assert_eq!(codes.len(), 10);
        for code in &codes {
            let shown = code.to_display_string();
            assert_eq!(shown.len(), 23);
            assert_eq!(shown.matches('-').count(), 3);
            assert_eq!(&shown.parse::<RecoveryCode>().unwrap(), code);
            let sloppy = shown.to_lowercase().replace('-', " ");
            assert_eq!(&sloppy.parse::<RecoveryCode>().unwrap(), code);
        }
        assert_eq!(
            "O1234-5678I-ABCDE-FGHJL".parse::<RecoveryCode>().unwrap().canonical(),
            b"012345678".iter().chain(b"1ABCDEFGHJ1").copied().collect::<Vec<_>>()
        );
        for bad in ["", "ABCDE", "ABCDE-ABCDE-ABCDE-ABCDE-A", "ABCDE-ABCDE-ABCDE-ABCDU", "ÄBCDE-ABCDE-ABCDE-ABCDE"] {
            assert!(bad.parse::<RecoveryCode>().is_err(), "{bad}");
        }
        assert_eq!(format!("{:?}", codes[0]), "RecoveryCode(..)");
    }

    #[test]
    fn hashes_verify_and_codes_are_single_use() {
        let codes = RecoveryCode::generate(RECOVERY_CODE_COUNT).unwrap();
        let mut set = RecoveryCodeSet::from_codes(&codes);
        assert_eq!(set.remaining(), 10);
        assert!(codes[3].hash().verify(&codes[3]));
        assert!(!codes[3].hash().verify(&codes[4]));
        let stored: Vec<String> = set.slots().iter().flatten().map(ToString::to_string).collect();
        assert_eq!(stored[0].parse::<RecoveryCodeHash>().unwrap(), codes[0].hash());
        assert!(stored.iter().all(|h| !h.contains(codes[0].to_display_string().as_str())));
        assert_eq!(set.consume(&codes[7]), Some(7));
        assert_eq!(set.consume(&codes[7]), None, "a code works once");
        assert_eq!(set.consume(&codes[0]), Some(0));
        assert_eq!(set.remaining(), 8);
        let stranger = RecoveryCode::generate(1).unwrap().remove(0);
        assert_eq!(set.consume(&stranger), None);
        let mut reloaded = RecoveryCodeSet::from_slots(set.slots().to_vec());
        assert_eq!(reloaded.consume(&codes[7]), None);
        assert_eq!(reloaded.consume(&codes[9]), Some(9));
        assert!("zz".parse::<RecoveryCodeHash>().is_err());
    }

    #[test]
    fn codes_are_distinct() {
        let codes = RecoveryCode::generate(50).unwrap();
        for (i, a) in codes.iter().enumerate() {
            for b in &codes[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
