//! Randomness from the operating system (or `crypto.getRandomValues` on the web).
//!
//! `getrandom` can fail (rarely, and only at start-up on some platforms), while the HPKE and
//! P-256 APIs want an infallible RNG. So the fallible step happens once, here, returning an
//! error, and the RNG handed to those APIs expands that 256-bit seed with SHA-256 in counter
//! mode. Each operation takes a fresh seed; nothing is cached between operations.

use core::convert::Infallible;
use rand_core::{TryCryptoRng, TryRng};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The platform's random number generator could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the platform's secure random number generator is unavailable")]
pub struct RandomError;

/// A CSPRNG seeded from the OS: SHA-256(seed || counter) blocks.
pub(crate) struct OsRng {
    seed: Zeroizing<[u8; 32]>,
    counter: u64,
    block: Zeroizing<[u8; 32]>,
    used: usize,
}

impl OsRng {
    /// Seeds a new generator from the platform RNG.
    pub(crate) fn new() -> Result<Self, RandomError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut_slice()).map_err(|_| RandomError)?;
        Ok(Self { seed, counter: 0, block: Zeroizing::new([0u8; 32]), used: 32 })
    }

    fn refill(&mut self) {
        let mut h = Sha256::new();
        h.update(b"bizing os-rng v1");
        h.update(self.seed.as_slice());
        h.update(self.counter.to_be_bytes());
        self.counter = self.counter.wrapping_add(1);
        self.block.copy_from_slice(&h.finalize());
        self.used = 0;
    }
}

impl TryRng for OsRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for byte in dst {
            if self.used == self.block.len() {
                self.refill();
            }
            // `used` is always < 32 here, after the refill above.
            *byte = self.block.get(self.used).copied().unwrap_or_default();
            self.used += 1;
        }
        Ok(())
    }
}

impl TryCryptoRng for OsRng {}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::Rng;

    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_generator_state_is_zeroized_on_drop() {
        let rng = OsRng::new().unwrap();
        crate::test_support::zeroized_on_drop(&rng.seed);
        crate::test_support::zeroized_on_drop(&rng.block);
    }

    #[test]
    fn outputs_differ_between_generators_and_blocks() {
        let mut a = OsRng::new().unwrap();
        let mut b = OsRng::new().unwrap();
        let (mut x, mut y) = ([0u8; 100], [0u8; 100]);
        a.fill_bytes(&mut x);
        b.fill_bytes(&mut y);
        assert_ne!(x, y);
        assert_ne!(x[..32], x[32..64]);
        assert_ne!(x, [0u8; 100]);
    }
}
