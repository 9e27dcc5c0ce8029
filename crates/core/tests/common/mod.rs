//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)] // shared by several test crates

use core::convert::Infallible;

use bizing_core::rand_core::{TryCryptoRng, TryRng};
use sha2::{Digest, Sha256};

/// A deterministic RNG for reproducible vectors: SHA-256("bizing test rng" || seed || n).
/// Never use outside tests.
pub struct TestRng {
    seed: u64,
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl TestRng {
    pub fn new(seed: u64) -> Self {
        Self { seed, counter: 0, block: [0; 32], used: 32 }
    }
}

impl TryRng for TestRng {
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
            if self.used == 32 {
                let mut h = Sha256::new();
                h.update(b"bizing test rng");
                h.update(self.seed.to_be_bytes());
                h.update(self.counter.to_be_bytes());
                self.block = h.finalize().into();
                self.counter += 1;
                self.used = 0;
            }
            *byte = self.block[self.used];
            self.used += 1;
        }
        Ok(())
    }
}

impl TryCryptoRng for TestRng {}

/// The first 32 bytes a `TestRng` with `seed` yields: the scalar `KeyPair::generate_with_rng`
/// makes from it (P-256 keygen takes the first candidate below the group order).
pub fn scalar_for_seed(seed: u64) -> [u8; 32] {
    let mut out = [0u8; 32];
    TestRng::new(seed).try_fill_bytes(&mut out).unwrap();
    out
}
