//! Errors as JS sees them: an `Error` whose `name` is `"BizingError"` and whose `code` is an
//! [`ErrorCode`], so callers branch on the code rather than on message text. The Rust API
//! carries the same codes ([`crate::ClientError::code`]).

use bizing_core::envelope::EnvelopeError;
use bizing_core::{KeyError, PasswordError, RandomError, WrapError};
use wasm_bindgen::prelude::*;

/// What went wrong, for `err.code` in JavaScript. Values are stable across releases.
#[cfg_attr(feature = "js", wasm_bindgen)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// An argument has the wrong type or shape (e.g. a context without `tenantId`).
    InvalidArgument = 1,
    /// Not a valid key: a point off the curve, a bad JWK, a bad key id.
    InvalidKey = 2,
    /// Not an envelope or wrapped key, or a malformed one (truncated, trailing bytes...).
    Malformed = 3,
    /// A format version or cipher suite this build does not know.
    UnsupportedVersion = 4,
    /// More than 16 recipients, none, or the same one twice.
    InvalidRecipients = 5,
    /// The key given is not among the envelope's recipients.
    NotARecipient = 6,
    /// Authentication failed: wrong key, wrong context, wrong password or code, or altered
    /// data. Deliberately says no more.
    DecryptionFailed = 7,
    /// Input larger than the limit.
    TooLarge = 8,
    /// The key was zeroized (after logout or idle timeout) and can no longer be used.
    KeyZeroized = 9,
    /// The platform has no secure random number generator.
    RandomUnavailable = 10,
    /// Not a valid `otpauth://` URI or TOTP setting.
    InvalidOtpauth = 11,
    /// Not a recovery code.
    InvalidRecoveryCode = 12,
    /// This runtime lacks what the call needs (e.g. `IdleTimer` outside a browser).
    Unsupported = 13,
    /// Invalid password-KDF parameters or an empty password.
    InvalidKdfParams = 14,
    /// The package was used before `await init()` finished loading the wasm.
    NotInitialized = 15,
    /// The booking API answered with an error (an RFC 9457 problem). The error also carries
    /// `status` (the HTTP status), `problemType` (e.g. `urn:bizing:problem:session-expired`),
    /// `title`, and when present `detail` and `retryAfter` (seconds).
    Api = 16,
    /// The booking API could not be reached (no network, refused, DNS, CORS, aborted).
    Network = 17,
    /// The booking API answered success with a body that is not what the call expects
    /// (e.g. the base URL points at something else).
    InvalidResponse = 18,
    /// The access log, or what the server said about it, was altered: a forged checkpoint, a
    /// log that shrank or was rewritten, or an event that is not in it. Show it as an alarm.
    LogTampered = 19,
}

/// A `BizingError` carrying `code`.
pub(crate) fn error(code: ErrorCode, message: &str) -> JsValue {
    let err = js_sys::Error::new(message);
    err.set_name("BizingError");
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&err, &JsValue::from_str("code"), &JsValue::from(code as u32));
    err.into()
}

/// An `InvalidArgument` `BizingError`.
pub(crate) fn invalid(message: &str) -> JsValue {
    error(ErrorCode::InvalidArgument, message)
}

/// Core errors into JS errors.
#[cfg(feature = "js")]
pub(crate) trait ToJs<T> {
    fn js(self) -> Result<T, JsValue>;
}

#[cfg(feature = "js")]
impl<T, E: Coded> ToJs<T> for Result<T, E> {
    fn js(self) -> Result<T, JsValue> {
        self.map_err(|e| error(e.code(), &e.to_string()))
    }
}

/// The [`ErrorCode`] a core error maps to (shared by the JS exports and the Rust
/// `BookingClient`, whose errors carry a code too).
pub(crate) trait Coded: core::fmt::Display {
    fn code(&self) -> ErrorCode;
}

impl Coded for EnvelopeError {
    fn code(&self) -> ErrorCode {
        match self {
            EnvelopeError::UnsupportedVersion(_) | EnvelopeError::UnsupportedSuite(_) => ErrorCode::UnsupportedVersion,
            EnvelopeError::TooManyRecipients(_)
            | EnvelopeError::NoRecipients
            | EnvelopeError::DuplicateRecipient(_) => ErrorCode::InvalidRecipients,
            EnvelopeError::NoMatchingRecipient => ErrorCode::NotARecipient,
            EnvelopeError::Decryption => ErrorCode::DecryptionFailed,
            EnvelopeError::TooLarge | EnvelopeError::ContextTooLong(_) => ErrorCode::TooLarge,
            EnvelopeError::Random(_) => ErrorCode::RandomUnavailable,
            _ => ErrorCode::Malformed,
        }
    }
}

impl Coded for KeyError {
    fn code(&self) -> ErrorCode {
        match self {
            KeyError::Random(_) => ErrorCode::RandomUnavailable,
            _ => ErrorCode::InvalidKey,
        }
    }
}

impl Coded for WrapError {
    fn code(&self) -> ErrorCode {
        match self {
            WrapError::Decryption => ErrorCode::DecryptionFailed,
            WrapError::UnsupportedVersion(_) | WrapError::UnsupportedKind(_) => ErrorCode::UnsupportedVersion,
            WrapError::WrongKind(_) => ErrorCode::InvalidArgument,
            WrapError::Random(_) => ErrorCode::RandomUnavailable,
            _ => ErrorCode::Malformed,
        }
    }
}

impl Coded for PasswordError {
    fn code(&self) -> ErrorCode {
        match self {
            PasswordError::Random(_) => ErrorCode::RandomUnavailable,
            _ => ErrorCode::InvalidKdfParams,
        }
    }
}

impl Coded for RandomError {
    fn code(&self) -> ErrorCode {
        ErrorCode::RandomUnavailable
    }
}
