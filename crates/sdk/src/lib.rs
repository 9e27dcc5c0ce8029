//! The wasm-bindgen surface of the Bizing booking SDK, published as `@bizing/booking-sdk`,
//! and the browser glue the Leptos apps use from Rust.
//!
//! Every export returns `Result<_, JsValue>` whose error is a `BizingError` with an
//! [`ErrorCode`]; nothing here panics on input, since a panic would kill the wasm module.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod access_log;
pub mod client;
mod envelope;
mod error;
pub mod idle_timer;
mod js;
mod keys;
mod keystore;
mod mfa;
mod npp;
mod phi;

pub use access_log::AccessLogVerifier;
pub use client::{BookingClient, ClientError, ClinicKeyring, Credentials};
pub use envelope::Envelope;
pub use error::ErrorCode;
pub use idle_timer::IdleTimer;
pub use keys::{ClinicKey, KeyPair, PasswordKeys, PublicKey, zeroize_keys};
pub use mfa::{RecoveryCodes, Totp};
pub use npp::Npp;
pub use phi::scan_phi;
