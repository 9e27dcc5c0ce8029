//! What `cargo xtask bench` measures: sealing and opening a note (64 B, 1 KiB, 64 KiB) to two
//! recipients with `bizing-core`, natively (the `bench-native` binary), and the 1 KiB note as
//! wasm in Node (the `EnvelopeBench` export, driven by `bench/node/bench.mjs`).
//!
//! Both sides go through [`Fixture`], so they time exactly the same work: seal plus
//! serialisation, and parsing plus open. This is not a test and never asserts on time.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use bizing_core::{Context, Envelope, EnvelopeError, KeyError, KeyPair, PublicKey, SealOptions};

/// Length of the benchmark note: 1 KiB, about a long free-text booking note.
pub const NOTE_LEN: usize = 1024;

/// The 1 KiB note every contender seals: deterministic printable ASCII, so runs are comparable.
#[must_use]
pub fn sample_note() -> Vec<u8> {
    note_of_len(NOTE_LEN)
}

/// A note of `len` bytes, the same bytes `bench/node/compare.mjs` seals for that length.
#[must_use]
pub fn note_of_len(len: usize) -> Vec<u8> {
    // A repeating alphabet rather than zeros: content does not change AES-GCM's cost, but a
    // realistic-looking note keeps any future compression or PHI-scan step honest.
    (0..len).map(|i| b"abcdefghijklmnopqrstuvwxyz0123456789 "[i % 37]).collect()
}

/// Two recipients (clinic and patient, as for a booking note) and the context they share.
#[derive(Debug)]
pub struct Fixture {
    opener: KeyPair,
    recipients: Vec<PublicKey>,
    context: Context,
}

impl Fixture {
    /// Generates the two recipients' key pairs with the platform RNG.
    ///
    /// # Errors
    /// [`KeyError::Random`] if the platform RNG is unavailable.
    pub fn new() -> Result<Self, KeyError> {
        let clinic = KeyPair::generate()?;
        let patient = KeyPair::generate()?;
        let recipients = vec![clinic.public_key().clone(), patient.public_key().clone()];
        Ok(Self { opener: clinic, recipients, context: Context::new("bench-clinic", "bench-booking", "note", 1) })
    }

    /// Seals `note` to both recipients (padding on, as shipped) and serialises it.
    ///
    /// # Errors
    /// As [`Envelope::seal`].
    pub fn seal(&self, note: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
        let envelope = Envelope::seal(note, &self.context, &self.recipients, SealOptions::default())?;
        Ok(envelope.to_bytes())
    }

    /// Parses `envelope` and opens it with the first recipient's key.
    ///
    /// The plaintext comes back as a plain `Vec`: it is benchmark filler, and both callers
    /// hand it on unprotected anyway (to JS, or to a comparison).
    ///
    /// # Errors
    /// As [`Envelope::from_bytes`] and [`Envelope::open`].
    pub fn open(&self, envelope: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
        let mut note = Envelope::from_bytes(envelope)?.open(&self.opener, &self.context)?;
        // Moves the bytes out without a copy, so the timing matches core's own open.
        Ok(core::mem::take(&mut *note))
    }
}

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
pub use wasm::EnvelopeBench;

/// The wasm-bindgen surface: only what the Node benchmark calls, so the size figure is the
/// envelope code and nothing else.
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
mod wasm {
    use wasm_bindgen::prelude::*;

    use crate::Fixture;

    /// Seals and opens notes for the Node benchmark.
    #[wasm_bindgen]
    #[derive(Debug)]
    pub struct EnvelopeBench {
        fixture: Fixture,
    }

    #[wasm_bindgen]
    impl EnvelopeBench {
        /// Generates two recipients' key pairs.
        ///
        /// # Errors
        /// If the platform RNG is unavailable.
        #[wasm_bindgen(constructor)]
        pub fn new() -> Result<EnvelopeBench, JsError> {
            Ok(Self { fixture: Fixture::new().map_err(|e| JsError::new(&e.to_string()))? })
        }

        /// The 1 KiB note the native benchmark seals, so both measure the same bytes.
        #[wasm_bindgen(js_name = sampleNote)]
        #[must_use]
        pub fn sample_note() -> Vec<u8> {
            crate::sample_note()
        }

        /// Seals `note` to both recipients and returns the envelope bytes.
        ///
        /// # Errors
        /// As [`Fixture::seal`].
        pub fn seal(&self, note: &[u8]) -> Result<Vec<u8>, JsError> {
            self.fixture.seal(note).map_err(|e| JsError::new(&e.to_string()))
        }

        /// Opens envelope bytes with the first recipient's key and returns the note.
        ///
        /// # Errors
        /// As [`Fixture::open`].
        pub fn open(&self, envelope: &[u8]) -> Result<Vec<u8>, JsError> {
            self.fixture.open(envelope).map_err(|e| JsError::new(&e.to_string()))
        }
    }
}

/// Median and spread of a set of timings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// The median, the figure the report leads with: robust to the odd descheduled run.
    pub median: f64,
    /// The fastest run.
    pub min: f64,
    /// The 90th percentile (nearest rank), to show how noisy the machine was.
    pub p90: f64,
}

impl Summary {
    /// Summarises `samples` (sorted in place); `None` when there are none.
    #[must_use]
    pub fn of(samples: &mut [f64]) -> Option<Self> {
        samples.sort_by(f64::total_cmp);
        let n = samples.len();
        let median = match n {
            0 => return None,
            _ if n % 2 == 1 => *samples.get(n / 2)?,
            _ => (*samples.get(n / 2 - 1)? + *samples.get(n / 2)?) / 2.0,
        };
        // Nearest-rank percentile: rank ceil(0.9 n), 1-based.
        let p90 = *samples.get((n * 9).div_ceil(10).saturating_sub(1))?;
        Some(Self { median, min: *samples.first()?, p90 })
    }

    /// As a JSON object `{"median":…,"min":…,"p90":…}`.
    #[must_use]
    pub fn to_json(&self) -> String {
        format!(r#"{{"median":{:.3},"min":{:.3},"p90":{:.3}}}"#, self.median, self.min, self.p90)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_odd_and_even_counts() {
        let s = Summary::of(&mut [5.0, 1.0, 3.0]).unwrap();
        assert_eq!((s.median, s.min, s.p90), (3.0, 1.0, 5.0));
        let mut ten: Vec<f64> = (1..=10).rev().map(f64::from).collect();
        let s = Summary::of(&mut ten).unwrap();
        assert_eq!((s.median, s.min, s.p90), (5.5, 1.0, 9.0));
        assert_eq!(Summary::of(&mut []), None);
    }

    #[test]
    fn fixture_round_trip() {
        let fixture = Fixture::new().unwrap();
        let note = sample_note();
        assert_eq!(note.len(), NOTE_LEN);
        let envelope = fixture.seal(&note).unwrap();
        assert_eq!(fixture.open(&envelope).unwrap(), note);
    }
}
