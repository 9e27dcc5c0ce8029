//! The wasm-bindgen surface of the Bizing booking SDK, published as `@bizing/booking-sdk`,
//! and the browser glue the Leptos apps use from Rust.
//!
//! Every export returns `Result<_, JsValue>` whose error is a `BizingError` with an
//! [`ErrorCode`]; nothing here panics on input, since a panic would kill the wasm module.
//!
//! # Two APIs, one crate: the `js` feature
//!
//! - **Rust** (always built): [`BookingClient`]'s async methods with the wire types of
//!   [`bizing_core::api`], [`IdleTimer::start`], [`zeroize_keys`], [`ClientError`] and
//!   [`ErrorCode`]. Keys, envelopes and contexts are [`bizing_core`]'s own types
//!   (`bizing_core::{KeyPair, PublicKey, Envelope, Context}`): a key pair the client unwraps
//!   is handed over as a `bizing_core::KeyPair`, owned by the caller and zeroized when
//!   dropped.
//! - **JavaScript** (feature `js`, on by default): the `#[wasm_bindgen]` classes and
//!   functions the npm package exports (`KeyPair`, `Envelope`, `BookingClient`, `IdleTimer`,
//!   `scanPhi`...), with their argument checks, TypeScript declarations and the key registry
//!   that `zeroizeKeys()` empties.
//!
//! The Leptos apps depend on this crate with `default-features = false`: a `#[wasm_bindgen]`
//! export is kept by the linker whether or not anything calls it, so with the feature on
//! every one of them, and the JavaScript glue for it, would ship in the app.
//!
//! **Adding an export.** Whatever carries `#[wasm_bindgen]` (a class, an `impl` block, a
//! `typescript_custom_section`, an `extern "C"` block of TypeScript types) and every helper
//! only those use gets `#[cfg(feature = "js")]`, ahead of any `#[wasm_bindgen]` and at the
//! level of the whole item: a module (`#[cfg(feature = "js")] mod envelope;` in this file), an `impl`
//! block (`#[cfg(feature = "js")] #[wasm_bindgen(js_class = BookingClient)] impl
//! JsBookingClient { ... }` in `client.rs` and `client/admin.rs`), a `const`, a function, or
//! a `use` of JS-only items. The Rust method it wraps stays ungated, in the same file above
//! it. `cargo clippy -p bizing-sdk --no-default-features --target wasm32-unknown-unknown`
//! (part of `cargo xtask test`'s clippy stage) catches a missed gate.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "js")]
mod access_log;
pub mod client;
#[cfg(feature = "js")]
mod envelope;
mod error;
pub mod idle_timer;
mod js;
#[cfg(feature = "js")]
mod keys;
mod keystore;
#[cfg(feature = "js")]
mod mfa;
#[cfg(feature = "js")]
mod npp;
#[cfg(feature = "js")]
mod phi;

#[cfg(feature = "js")]
pub use access_log::AccessLogVerifier;
pub use client::{BookingClient, ClientError, ClinicKeyring, Credentials};
#[cfg(feature = "js")]
pub use envelope::Envelope;
pub use error::ErrorCode;
pub use idle_timer::IdleTimer;
#[cfg(feature = "js")]
pub use keys::{ClinicKey, KeyPair, PasswordKeys, PublicKey};
pub use keystore::zeroize_keys;
#[cfg(feature = "js")]
pub use mfa::{RecoveryCodes, Totp};
#[cfg(feature = "js")]
pub use npp::Npp;
#[cfg(feature = "js")]
pub use phi::scan_phi;
