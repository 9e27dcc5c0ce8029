//! Recovery codes: single-use secrets a user writes down, each of which can unwrap their
//! private key when the password is lost.

use core::fmt;
use core::str::FromStr;

use rand_core::CryptoRng;
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
    fn codes_are_distinct() {
        let codes = RecoveryCode::generate(50).unwrap();
        for (i, a) in codes.iter().enumerate() {
            for b in &codes[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
