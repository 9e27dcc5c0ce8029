//! Time-based one-time passwords (TOTP, RFC 6238) over HOTP (RFC 4226), the `otpauth://`
//! enrollment URI (Google Authenticator Key Uri Format) and its QR code as SVG.
//!
//! The module is pure: the time is always a parameter (unix seconds), and randomness comes
//! from the platform RNG or a caller-supplied [`CryptoRng`].
//!
//! # Replay
//!
//! [`Totp::verify`] reports which time step matched. A server stores the last accepted step
//! per user and refuses a code for a step at or below it, or passes it to
//! [`Totp::verify_after`], which does that comparison itself. Without this, a code seen
//! over a shoulder stays usable for the rest of its window.
//!
//! # Labels
//!
//! The URI label is `issuer:account`, each part percent-encoded, the colon literal. An issuer
//! may not contain `:` (the label would be ambiguous); an account may (it is encoded as `%3A`
//! and the label is split at the first literal colon). Both must be non-empty, free of
//! control characters and of leading or trailing whitespace (authenticator apps strip the
//! space after the colon, so it would not survive a round trip).

use core::fmt;
use core::num::NonZeroU64;

use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use rand_core::CryptoRng;
use sha1::Sha1;
use sha2::{Sha256, Sha512};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroizing;

use crate::random::{OsRng, RandomError};

/// Length of a generated secret: 160 bits, as RFC 4226 recommends and authenticator apps expect.
pub const GENERATED_SECRET_LEN: usize = 20;
/// Shortest secret accepted: 128 bits (RFC 4226 section 4, R6).
pub const MIN_SECRET_LEN: usize = 16;
/// Longest secret accepted: 128 bytes, the HMAC-SHA-512 block size. Longer keys add nothing.
pub const MAX_SECRET_LEN: usize = 128;
/// The usual TOTP period: 30 seconds.
pub const DEFAULT_PERIOD: u64 = 30;
/// Longest period [`Totp::from_uri`] accepts: one hour. A code valid for longer is not a
/// meaningful second factor, and authenticator apps do not offer it.
pub const MAX_URI_PERIOD: u64 = 3600;
/// Longest issuer, in UTF-8 bytes.
pub const MAX_ISSUER_LEN: usize = 128;
/// Longest account name, in UTF-8 bytes.
pub const MAX_ACCOUNT_LEN: usize = 256;
/// Longest `otpauth://` URI [`Totp::from_uri`] reads.
pub const MAX_URI_LEN: usize = 4096;
/// Smallest width and height of the QR SVG, in pixels (the image grows in whole modules).
pub const QR_MIN_SIZE: u32 = 256;

/// Everything that may appear raw in a URI component is RFC 3986 "unreserved"; the rest
/// (including `:`, `&`, `?`, `#`, `%`, `+`, space and non-ASCII) is percent-encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// A secret could not be decoded or has an unacceptable length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TotpSecretError {
    /// The text is not base32 (RFC 4648 alphabet, any case, spaces and `=` padding allowed).
    #[error("the TOTP secret is not valid base32")]
    InvalidBase32,
    /// The secret is shorter than [`MIN_SECRET_LEN`] bytes.
    #[error("the TOTP secret is too short: {len} bytes, at least 16 bytes (128 bits) are required")]
    TooShort {
        /// The length of the rejected secret, in bytes.
        len: usize,
    },
    /// The secret is longer than [`MAX_SECRET_LEN`] bytes.
    #[error("the TOTP secret is too long: at most 128 bytes")]
    TooLong,
}

/// A [`Totp`] could not be built from its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TotpError {
    /// The period is zero seconds.
    #[error("the TOTP period must be at least one second")]
    ZeroPeriod,
    /// The issuer is empty.
    #[error("the issuer is empty")]
    EmptyIssuer,
    /// The issuer contains `:`, which separates it from the account in the URI label.
    #[error("the issuer may not contain ':'")]
    IssuerContainsColon,
    /// The issuer is longer than [`MAX_ISSUER_LEN`] bytes.
    #[error("the issuer is too long (at most 128 bytes)")]
    IssuerTooLong,
    /// The account name is empty.
    #[error("the account name is empty")]
    EmptyAccount,
    /// The account name is longer than [`MAX_ACCOUNT_LEN`] bytes.
    #[error("the account name is too long (at most 256 bytes)")]
    AccountTooLong,
    /// The issuer or the account contains a control character.
    #[error("the issuer or account contains a control character")]
    ControlCharacter,
    /// The issuer or the account starts or ends with whitespace.
    #[error("the issuer or account starts or ends with whitespace")]
    SurroundingWhitespace,
}

/// An `otpauth://` URI was refused by [`Totp::from_uri`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OtpauthUriError {
    /// The URI is longer than [`MAX_URI_LEN`].
    #[error("the otpauth URI is too long")]
    TooLong,
    /// The scheme is not `otpauth://`.
    #[error("not an otpauth:// URI")]
    NotOtpauth,
    /// The URI is for HOTP (counter-based) codes, which this server does not use.
    #[error("HOTP (counter-based) URIs are not supported: only totp")]
    HotpNotSupported,
    /// The OTP type is neither `totp` nor `hotp`.
    #[error("unknown OTP type: only totp is supported")]
    UnknownType,
    /// There is no label (`otpauth://totp/LABEL`).
    #[error("the otpauth URI has no label")]
    MissingLabel,
    /// The URI is syntactically broken; the reason says how.
    #[error("malformed otpauth URI: {0}")]
    Malformed(&'static str),
    /// A query parameter appears more than once.
    #[error("parameter `{0}` appears more than once")]
    DuplicateParameter(String),
    /// There is no `secret` parameter.
    #[error("the otpauth URI has no secret")]
    MissingSecret,
    /// The `secret` parameter is not an acceptable base32 secret.
    #[error("invalid secret: {0}")]
    InvalidSecret(#[source] TotpSecretError),
    /// The `algorithm` is not SHA1, SHA256 or SHA512.
    #[error("unsupported algorithm: only SHA1, SHA256 and SHA512")]
    UnsupportedAlgorithm,
    /// The `digits` is not 6, 7 or 8.
    #[error("unsupported number of digits: only 6, 7 or 8")]
    InvalidDigits,
    /// The `period` is not a whole number of seconds from 1 to [`MAX_URI_PERIOD`].
    #[error("invalid period: 1 to 3600 seconds")]
    InvalidPeriod,
    /// Neither the label nor the `issuer` parameter names an issuer.
    #[error("the otpauth URI names no issuer")]
    MissingIssuer,
    /// The label's issuer and the `issuer` parameter differ.
    #[error("the label's issuer and the issuer parameter differ")]
    IssuerMismatch,
    /// The issuer or account is not acceptable.
    #[error("invalid label: {0}")]
    InvalidLabel(#[source] TotpError),
}

/// A QR code could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QrSvgError {
    /// The text does not fit in the largest QR code.
    #[error("too long for a QR code")]
    TooLong,
    /// The QR encoder refused the text for another reason.
    #[error("the text cannot be encoded as a QR code")]
    Unencodable,
}

/// [`enroll`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnrollError {
    /// The issuer or account is not acceptable.
    #[error(transparent)]
    Totp(#[from] TotpError),
    /// The URI does not fit in a QR code.
    #[error(transparent)]
    Qr(#[from] QrSvgError),
    /// The platform's random number generator failed.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// The HMAC hash function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Algorithm {
    /// HMAC-SHA-1: what authenticator apps support everywhere.
    #[default]
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl Algorithm {
    /// The name used in `otpauth://` URIs: `SHA1`, `SHA256` or `SHA512`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
            Self::Sha512 => "SHA512",
        }
    }

    /// The algorithm with this URI name, ignoring ASCII case.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Sha1, Self::Sha256, Self::Sha512].into_iter().find(|a| a.as_str().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many decimal digits a code has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum Digits {
    /// Six digits: what authenticator apps show by default.
    #[default]
    Six,
    /// Seven digits.
    Seven,
    /// Eight digits.
    Eight,
}

impl Digits {
    /// The number of digits, 6 to 8.
    #[must_use]
    pub const fn get(self) -> u8 {
        match self {
            Self::Six => 6,
            Self::Seven => 7,
            Self::Eight => 8,
        }
    }

    /// `Some` for 6, 7 or 8.
    #[must_use]
    pub const fn new(n: u8) -> Option<Self> {
        match n {
            6 => Some(Self::Six),
            7 => Some(Self::Seven),
            8 => Some(Self::Eight),
            _ => None,
        }
    }

    const fn modulus(self) -> u32 {
        match self {
            Self::Six => 1_000_000,
            Self::Seven => 10_000_000,
            Self::Eight => 100_000_000,
        }
    }
}

/// A shared TOTP/HOTP secret of 16 to 128 bytes. Zeroized on drop, compared in constant
/// time, never printed by `Debug`.
#[derive(Clone)]
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl TotpSecret {
    /// Generates a 160-bit secret from the platform RNG.
    ///
    /// # Errors
    /// [`RandomError`] if the platform RNG is unavailable.
    pub fn generate() -> Result<Self, RandomError> {
        Ok(Self::generate_with_rng(&mut OsRng::new()?))
    }

    /// Generates a 160-bit secret from the given RNG.
    pub fn generate_with_rng(rng: &mut impl CryptoRng) -> Self {
        let mut bytes = Zeroizing::new(vec![0u8; GENERATED_SECRET_LEN]);
        rng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// A secret from raw bytes.
    ///
    /// # Errors
    /// [`TotpSecretError::TooShort`] below 16 bytes, [`TotpSecretError::TooLong`] above 128.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TotpSecretError> {
        Self::check_len(bytes.len())?;
        Ok(Self(Zeroizing::new(bytes.to_vec())))
    }

    /// Decodes base32 (RFC 4648), forgiving what people and other generators do: any case,
    /// whitespace anywhere, optional trailing `=` padding, non-zero trailing bits.
    ///
    /// # Errors
    /// [`TotpSecretError::InvalidBase32`] if it is not base32, or a length error as for
    /// [`TotpSecret::from_bytes`].
    pub fn from_base32(text: &str) -> Result<Self, TotpSecretError> {
        // 128 bytes are 205 base32 characters; anything much longer is refused before decoding.
        let mut clean = Zeroizing::new(Vec::with_capacity(text.len().min(512)));
        for b in text.bytes().filter(|b| !b.is_ascii_whitespace()) {
            if clean.len() >= 512 {
                return Err(TotpSecretError::TooLong);
            }
            clean.push(b.to_ascii_uppercase());
        }
        while clean.last() == Some(&b'=') {
            clean.pop();
        }
        let bytes = base32_decode(&clean).ok_or(TotpSecretError::InvalidBase32)?;
        Self::check_len(bytes.len())?;
        Ok(Self(bytes))
    }

    /// Upper-case base32 without padding, as `otpauth://` URIs carry it.
    #[must_use]
    pub fn to_base32(&self) -> Zeroizing<String> {
        base32_encode(&self.0)
    }

    /// Base32 in groups of four separated by spaces, for typing into an app by hand
    /// (e.g. `JBSW Y3DP EHPK 3PXP`). [`TotpSecret::from_base32`] reads it back.
    #[must_use]
    pub fn to_base32_grouped(&self) -> Zeroizing<String> {
        let plain = self.to_base32();
        let mut out = Zeroizing::new(String::with_capacity(plain.len() + plain.len() / 4));
        for (i, c) in plain.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push(' ');
            }
            out.push(c);
        }
        out
    }

    /// The raw secret, for storing (encrypted) on the server.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    fn check_len(len: usize) -> Result<(), TotpSecretError> {
        if len < MIN_SECRET_LEN {
            Err(TotpSecretError::TooShort { len })
        } else if len > MAX_SECRET_LEN {
            Err(TotpSecretError::TooLong)
        } else {
            Ok(())
        }
    }
}

impl PartialEq for TotpSecret {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_slice().ct_eq(other.0.as_slice()).into()
    }
}

impl Eq for TotpSecret {}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

/// The RFC 4648 base32 alphabet.
const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// Base32 is written out here rather than taken from a crate: these 40 lines replace about
// 60 KB of generic encoder code in the wasm package, whose size budget is 100 KB gzipped.

/// RFC 4648 base32, upper case, no padding.
fn base32_encode(bytes: &[u8]) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(bytes.len().div_ceil(5) * 8));
    let (mut buffer, mut bits) = (0u16, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u16::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32_ALPHABET[usize::from((buffer >> bits) & 31)]));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(BASE32_ALPHABET[usize::from((buffer << (5 - bits)) & 31)]));
    }
    out
}

/// Decodes upper-case base32 without padding or whitespace. Non-zero trailing bits are
/// ignored, as authenticator apps do; lengths no encoder produces (1, 3 or 6 characters
/// past a multiple of 8) are refused.
fn base32_decode(text: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if matches!(text.len() % 8, 1 | 3 | 6) {
        return None;
    }
    let mut out = Zeroizing::new(Vec::with_capacity(text.len() * 5 / 8));
    let (mut buffer, mut bits) = (0u16, 0u32);
    for &c in text {
        let value = BASE32_ALPHABET.iter().position(|&a| a == c)?;
        // `value` < 32, so it fits the buffer's low five bits.
        buffer = (buffer << 5) | u16::try_from(value).ok()?;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The HOTP value (RFC 4226) for `counter`, zero-padded to `digits` characters.
#[must_use]
pub fn hotp(secret: &TotpSecret, counter: u64, digits: Digits, algorithm: Algorithm) -> String {
    let msg = counter.to_be_bytes();
    let truncated = match algorithm {
        Algorithm::Sha1 => dynamic_truncation::<Hmac<Sha1>>(secret.as_bytes(), &msg),
        Algorithm::Sha256 => dynamic_truncation::<Hmac<Sha256>>(secret.as_bytes(), &msg),
        Algorithm::Sha512 => dynamic_truncation::<Hmac<Sha512>>(secret.as_bytes(), &msg),
    };
    format!("{:0width$}", truncated % digits.modulus(), width = usize::from(digits.get()))
}

/// HMAC, then RFC 4226 section 5.3: 31 bits from the offset the last nibble names.
fn dynamic_truncation<M: Mac + KeyInit>(key: &[u8], msg: &[u8]) -> u32 {
    // HMAC takes keys of any length, so this never fails; if it did, no code would match.
    let Ok(mut mac) = <M as KeyInit>::new_from_slice(key) else {
        return u32::MAX;
    };
    mac.update(msg);
    let out = mac.finalize().into_bytes();
    let offset = usize::from(out.last().copied().unwrap_or(0) & 0x0f);
    // The HMAC output is at least 20 bytes and offset + 3 <= 18, so `get` always succeeds.
    let mut word = [0u8; 4];
    for (i, b) in word.iter_mut().enumerate() {
        *b = out.get(offset + i).copied().unwrap_or(0);
    }
    u32::from_be_bytes(word) & 0x7fff_ffff
}

/// The time steps [`Totp::verify`] accepts around the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    /// Steps before the current one to accept (clock skew, slow typing).
    pub before: u8,
    /// Steps after the current one to accept (a client clock running fast).
    pub after: u8,
}

impl Window {
    /// The previous and current step only, the server policy: a code stays valid for 30 to 60
    /// seconds with the default period.
    pub const DEFAULT: Self = Self { before: 1, after: 0 };

    /// A window of `before` past and `after` future steps around the current one.
    #[must_use]
    pub const fn new(before: u8, after: u8) -> Self {
        Self { before, after }
    }
}

impl Default for Window {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Algorithm, digits and period of a TOTP. The default is what every authenticator app
/// supports: SHA-1, 6 digits, 30 seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TotpParams {
    /// The HMAC hash.
    pub algorithm: Algorithm,
    /// Digits per code.
    pub digits: Digits,
    /// Length of a time step in seconds (RFC 6238 X); must be positive. T0 is always 0.
    pub period: u64,
}

impl Default for TotpParams {
    fn default() -> Self {
        Self { algorithm: Algorithm::Sha1, digits: Digits::Six, period: DEFAULT_PERIOD }
    }
}

/// One user's TOTP: secret, parameters and the label an authenticator app shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totp {
    secret: TotpSecret,
    algorithm: Algorithm,
    digits: Digits,
    period: NonZeroU64,
    issuer: String,
    account: String,
}

impl Totp {
    /// A TOTP from its parts. The period may be any positive number of seconds, but only
    /// periods up to [`MAX_URI_PERIOD`] survive [`Totp::to_uri`] and [`Totp::from_uri`].
    ///
    /// # Errors
    /// [`TotpError::ZeroPeriod`] for a zero period; the other [`TotpError`] variants when
    /// the issuer or account break the rules in the [module docs](self).
    pub fn new(
        secret: TotpSecret,
        params: TotpParams,
        issuer: impl Into<String>,
        account: impl Into<String>,
    ) -> Result<Self, TotpError> {
        let period = NonZeroU64::new(params.period).ok_or(TotpError::ZeroPeriod)?;
        let (issuer, account) = (issuer.into(), account.into());
        check_label_part(&issuer, MAX_ISSUER_LEN, TotpError::EmptyIssuer, TotpError::IssuerTooLong)?;
        if issuer.contains(':') {
            return Err(TotpError::IssuerContainsColon);
        }
        check_label_part(&account, MAX_ACCOUNT_LEN, TotpError::EmptyAccount, TotpError::AccountTooLong)?;
        Ok(Self { secret, algorithm: params.algorithm, digits: params.digits, period, issuer, account })
    }

    /// The shared secret.
    #[must_use]
    pub fn secret(&self) -> &TotpSecret {
        &self.secret
    }

    /// Algorithm, digits and period.
    #[must_use]
    pub fn params(&self) -> TotpParams {
        TotpParams { algorithm: self.algorithm, digits: self.digits, period: self.period.get() }
    }

    /// The issuer (the service name an app shows).
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The account name (usually the user's email).
    #[must_use]
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The time step (RFC 6238 T) at `unix_seconds`: `unix_seconds / period`.
    #[must_use]
    pub fn step_at(&self, unix_seconds: u64) -> u64 {
        unix_seconds / self.period
    }

    /// The code for a time step.
    #[must_use]
    pub fn code_at_step(&self, step: u64) -> String {
        hotp(&self.secret, step, self.digits, self.algorithm)
    }

    /// The code at `unix_seconds`.
    #[must_use]
    pub fn code_at(&self, unix_seconds: u64) -> String {
        self.code_at_step(self.step_at(unix_seconds))
    }

    /// Checks `code` against every step in `window` around the step at `unix_seconds` and
    /// returns the step that matched (the latest, should two match), or `None`. The
    /// comparison is constant-time and every step in the window is computed.
    ///
    /// Codes of the wrong length or with anything but ASCII digits never match. The caller
    /// must refuse a step it has already accepted (see [`Totp::verify_after`]).
    #[must_use]
    pub fn verify(&self, code: &str, unix_seconds: u64, window: Window) -> Option<u64> {
        self.verify_after(code, unix_seconds, window, None)
    }

    /// As [`Totp::verify`], but only steps after `last_accepted_step` can match: pass the
    /// step stored at the last successful login to refuse a replayed code.
    #[must_use]
    pub fn verify_after(
        &self,
        code: &str,
        unix_seconds: u64,
        window: Window,
        last_accepted_step: Option<u64>,
    ) -> Option<u64> {
        // Length and character class are not secret; refusing them early is fine.
        if code.len() != usize::from(self.digits.get()) || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let current = self.step_at(unix_seconds);
        let mut first = current.saturating_sub(u64::from(window.before));
        let last = current.saturating_add(u64::from(window.after));
        if let Some(accepted) = last_accepted_step {
            first = first.max(accepted.checked_add(1)?);
        }
        let mut found = Choice::from(0);
        let mut matched = 0u64;
        for step in first..=last {
            let candidate = self.code_at_step(step);
            let eq = candidate.as_bytes().ct_eq(code.as_bytes());
            matched.conditional_assign(&step, eq);
            found |= eq;
        }
        bool::from(found).then_some(matched)
    }

    /// The `otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=...&algorithm=...&digits=...&period=...`
    /// URI an authenticator app imports. It contains the secret.
    #[must_use]
    pub fn to_uri(&self) -> Zeroizing<String> {
        let issuer = utf8_percent_encode(&self.issuer, COMPONENT).to_string();
        let account = utf8_percent_encode(&self.account, COMPONENT);
        let secret = self.secret.to_base32();
        let mut uri =
            Zeroizing::new(String::with_capacity(64 + 2 * issuer.len() + self.account.len() * 3 + secret.len()));
        uri.push_str("otpauth://totp/");
        uri.push_str(&issuer);
        uri.push(':');
        uri.extend(account);
        uri.push_str("?secret=");
        uri.push_str(&secret);
        uri.push_str("&issuer=");
        uri.push_str(&issuer);
        uri.push_str("&algorithm=");
        uri.push_str(self.algorithm.as_str());
        uri.push_str("&digits=");
        uri.push_str(&self.digits.get().to_string());
        uri.push_str("&period=");
        uri.push_str(&self.period.get().to_string());
        uri
    }

    /// Parses and validates an `otpauth://totp/...` URI.
    ///
    /// Scheme, type, algorithm names and parameter names are case-insensitive; `+` is a
    /// literal plus (RFC 3986), not a space; unknown parameters (such as `image`) are
    /// ignored, but no parameter may appear twice. Missing `algorithm`, `digits` and
    /// `period` take the defaults (SHA1, 6, 30).
    ///
    /// # Errors
    /// One [`OtpauthUriError`] variant per reason: see its documentation.
    pub fn from_uri(uri: &str) -> Result<Self, OtpauthUriError> {
        if uri.len() > MAX_URI_LEN {
            return Err(OtpauthUriError::TooLong);
        }
        let (scheme, rest) = uri.split_once("://").ok_or(OtpauthUriError::NotOtpauth)?;
        if !scheme.eq_ignore_ascii_case("otpauth") {
            return Err(OtpauthUriError::NotOtpauth);
        }
        let (kind, rest) = rest.split_once('/').unwrap_or((rest, ""));
        let kind = kind.split_once('?').map_or(kind, |(k, _)| k);
        if kind.eq_ignore_ascii_case("hotp") {
            return Err(OtpauthUriError::HotpNotSupported);
        }
        if !kind.eq_ignore_ascii_case("totp") {
            return Err(OtpauthUriError::UnknownType);
        }
        if rest.contains('#') {
            return Err(OtpauthUriError::Malformed("unescaped '#'"));
        }
        let (label, query) = rest.split_once('?').unwrap_or((rest, ""));
        if label.is_empty() {
            return Err(OtpauthUriError::MissingLabel);
        }

        let params = Params::parse(query)?;

        // The separator is the first literal colon, or failing that an encoded one.
        let split = label.split_once(':').or_else(|| {
            let at = label.to_ascii_lowercase().find("%3a")?;
            Some((label.get(..at)?, label.get(at + 3..)?))
        });
        let (label_issuer, account) = match split {
            Some((issuer, account)) => (Some(decode(issuer)?), decode(account)?),
            None => (None, decode(label)?),
        };
        // The Key Uri Format allows spaces after the colon.
        let account = account.trim_start_matches(' ').to_owned();
        let issuer = match (label_issuer, params.issuer) {
            (Some(a), Some(b)) if a != b => return Err(OtpauthUriError::IssuerMismatch),
            (Some(a), _) => a,
            (None, Some(b)) => b,
            (None, None) => return Err(OtpauthUriError::MissingIssuer),
        };

        let secret = params.secret.ok_or(OtpauthUriError::MissingSecret)?;
        let totp_params = TotpParams {
            algorithm: params.algorithm.unwrap_or_default(),
            digits: params.digits.unwrap_or_default(),
            period: params.period.unwrap_or(DEFAULT_PERIOD),
        };
        Self::new(secret, totp_params, issuer, account).map_err(OtpauthUriError::InvalidLabel)
    }

    /// The QR code of [`Totp::to_uri`] as SVG (see [`qr_svg`]).
    ///
    /// # Errors
    /// [`QrSvgError::TooLong`] if the URI does not fit in a QR code.
    pub fn qr_svg(&self) -> Result<Zeroizing<String>, QrSvgError> {
        qr_svg(&self.to_uri())
    }
}

fn check_label_part(s: &str, max: usize, empty: TotpError, too_long: TotpError) -> Result<(), TotpError> {
    if s.is_empty() {
        return Err(empty);
    }
    if s.len() > max {
        return Err(too_long);
    }
    if s.chars().any(char::is_control) {
        return Err(TotpError::ControlCharacter);
    }
    if s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace) {
        return Err(TotpError::SurroundingWhitespace);
    }
    Ok(())
}

fn decode(s: &str) -> Result<String, OtpauthUriError> {
    percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| OtpauthUriError::Malformed("percent-encoding is not UTF-8"))
}

/// The query parameters of an `otpauth` URI, each seen at most once.
#[derive(Default)]
struct Params {
    secret: Option<TotpSecret>,
    issuer: Option<String>,
    algorithm: Option<Algorithm>,
    digits: Option<Digits>,
    period: Option<u64>,
}

impl Params {
    fn parse(query: &str) -> Result<Self, OtpauthUriError> {
        let mut out = Self::default();
        let mut seen: Vec<String> = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').ok_or(OtpauthUriError::Malformed("parameter without '='"))?;
            let key = decode(key)?.to_ascii_lowercase();
            if seen.contains(&key) {
                return Err(OtpauthUriError::DuplicateParameter(key));
            }
            match key.as_str() {
                "secret" => {
                    // Decoded into a zeroized buffer sized up front, so no copy is left behind.
                    let mut raw = Zeroizing::new(Vec::with_capacity(value.len()));
                    raw.extend(percent_decode_str(value));
                    let text = core::str::from_utf8(&raw)
                        .map_err(|_| OtpauthUriError::InvalidSecret(TotpSecretError::InvalidBase32))?;
                    out.secret = Some(TotpSecret::from_base32(text).map_err(OtpauthUriError::InvalidSecret)?);
                }
                "issuer" => out.issuer = Some(decode(value)?),
                "algorithm" => {
                    out.algorithm =
                        Some(Algorithm::from_name(&decode(value)?).ok_or(OtpauthUriError::UnsupportedAlgorithm)?);
                }
                "digits" => {
                    let n = parse_decimal(value).ok_or(OtpauthUriError::InvalidDigits)?;
                    let n = u8::try_from(n).map_err(|_| OtpauthUriError::InvalidDigits)?;
                    out.digits = Some(Digits::new(n).ok_or(OtpauthUriError::InvalidDigits)?);
                }
                "period" => {
                    let p = parse_decimal(value).filter(|p| (1..=MAX_URI_PERIOD).contains(p));
                    out.period = Some(p.ok_or(OtpauthUriError::InvalidPeriod)?);
                }
                _ => {}
            }
            seen.push(key);
        }
        Ok(out)
    }
}

/// Plain ASCII decimal digits only (no sign, no spaces).
fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Renders `text` (normally an `otpauth://` URI) as a QR code in a standalone SVG document:
/// black modules on white, with the standard four-module quiet zone, at least
/// [`QR_MIN_SIZE`] pixels square, error correction level M.
///
/// The SVG encodes the secret the URI carries, so it is returned zeroizing (the QR
/// encoder's own intermediate buffers are not).
///
/// # Errors
/// [`QrSvgError::TooLong`] if the text does not fit in a version 40 QR code (about 2,300
/// bytes).
pub fn qr_svg(text: &str) -> Result<Zeroizing<String>, QrSvgError> {
    use qrcode::render::svg::Color;

    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| match e {
        qrcode::types::QrError::DataTooLong => QrSvgError::TooLong,
        _ => QrSvgError::Unencodable,
    })?;
    let svg = code
        .render::<Color<'_>>()
        .quiet_zone(true)
        .min_dimensions(QR_MIN_SIZE, QR_MIN_SIZE)
        .dark_color(Color("#000000"))
        .light_color(Color("#ffffff"))
        .build();
    Ok(Zeroizing::new(svg))
}

/// What a user needs to add a TOTP to an authenticator app, and what the server stores.
pub struct Enrollment {
    /// The configuration the server keeps (its secret encrypted at rest).
    pub totp: Totp,
    /// The `otpauth://` URI, for a link on mobile.
    pub uri: Zeroizing<String>,
    /// The QR code of the URI as SVG.
    pub qr_svg: Zeroizing<String>,
}

impl Enrollment {
    /// The new secret.
    #[must_use]
    pub fn secret(&self) -> &TotpSecret {
        self.totp.secret()
    }

    /// The secret for typing in by hand, in groups of four.
    #[must_use]
    pub fn manual_key(&self) -> Zeroizing<String> {
        self.totp.secret().to_base32_grouped()
    }
}

impl fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Enrollment").field("totp", &self.totp).finish_non_exhaustive()
    }
}

/// Starts TOTP enrollment with a fresh 160-bit secret and the authenticator-app defaults
/// (SHA-1, 6 digits, 30 seconds).
///
/// # Errors
/// [`EnrollError::Totp`] if the issuer or account is unacceptable, [`EnrollError::Random`]
/// if the platform RNG is unavailable, [`EnrollError::Qr`] if the URI does not fit in a QR
/// code (not possible within the issuer and account length limits).
pub fn enroll(issuer: &str, account: &str) -> Result<Enrollment, EnrollError> {
    enroll_with_rng(&mut OsRng::new()?, issuer, account)
}

/// As [`enroll`], with the given RNG.
///
/// # Errors
/// As [`enroll`], except for the RNG.
pub fn enroll_with_rng(rng: &mut impl CryptoRng, issuer: &str, account: &str) -> Result<Enrollment, EnrollError> {
    let totp = Totp::new(TotpSecret::generate_with_rng(rng), TotpParams::default(), issuer, account)?;
    let uri = totp.to_uri();
    let qr_svg = qr_svg(&uri)?;
    Ok(Enrollment { totp, uri, qr_svg })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4648 section 10 test vectors.
    #[test]
    fn base32_rfc4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32_encode(plain.as_bytes()).as_str(), encoded);
            assert_eq!(base32_decode(encoded.as_bytes()).unwrap().as_slice(), plain.as_bytes());
        }
        assert!(base32_decode(b"M").is_none());
        assert!(base32_decode(b"MZX").is_none());
        assert!(base32_decode(b"MZXW6Y").is_none());
        assert!(base32_decode(b"MZ1Q").is_none());
        // Non-zero unused bits in the last character are forgiven, as authenticator apps do.
        assert_eq!(base32_decode(b"M3").unwrap().as_slice(), b"f");
    }

    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn secrets_are_zeroized_on_drop() {
        // `Totp` holds its secret as a `TotpSecret`, a `Zeroizing` vector; `Enrollment` holds
        // a `Totp` and the URI and QR code, which carry the secret in base32.
        let enrollment = enroll("Clinic", "a@example.com").unwrap();
        crate::test_support::zeroized_on_drop(&enrollment.totp.secret.0);
        crate::test_support::zeroized_on_drop(&enrollment.uri);
        crate::test_support::zeroized_on_drop(&enrollment.qr_svg);
        crate::test_support::zeroized_on_drop(&enrollment.manual_key());
        crate::test_support::zeroized_on_drop(&enrollment.totp.secret.to_base32());
    }

    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890").unwrap()
    }

    #[test]
    fn base32_is_forgiving_and_canonical() {
        let s = rfc_secret();
        assert_eq!(&*s.to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        for text in [
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
            "gezdgnbvgy3tqojqgezdgnbvgy3tqojq",
            "gezd gnbv gy3t qojq gezd gnbv gy3t qojq",
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ====",
            " GEZDGNBVGY3TQOJQ\tGEZDGNBVGY3TQOJQ\n",
        ] {
            assert_eq!(TotpSecret::from_base32(text).unwrap(), s, "{text:?}");
        }
        assert_eq!(TotpSecret::from_base32(&s.to_base32_grouped()).unwrap(), s);
        assert_eq!(&*s.to_base32_grouped(), "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ");
    }

    #[test]
    fn base32_rejections() {
        for bad in ["GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1", "GEZDGNBVGY3TQOJQ=GEZDGNBVGY3TQOJQ", "ÄEZDGNBVGY3TQOJQ", "G"] {
            assert_eq!(TotpSecret::from_base32(bad), Err(TotpSecretError::InvalidBase32), "{bad}");
        }
        // 15 bytes: 24 characters.
        assert_eq!(TotpSecret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBV"), Err(TotpSecretError::TooShort { len: 15 }));
        assert_eq!(TotpSecret::from_base32(""), Err(TotpSecretError::TooShort { len: 0 }));
        assert_eq!(TotpSecret::from_base32(&"A".repeat(600)), Err(TotpSecretError::TooLong));
        assert_eq!(TotpSecret::from_bytes(&[0; 129]), Err(TotpSecretError::TooLong));
        assert!(TotpSecret::from_bytes(&[0; 16]).is_ok());
        assert!(TotpSecret::from_bytes(&[0; 128]).is_ok());
    }

    #[test]
    fn non_canonical_trailing_bits_are_accepted() {
        // 16 bytes take 26 characters; the last carries 2 unused bits.
        let canonical = TotpSecret::from_bytes(&[0xff; 16]).unwrap().to_base32();
        assert_eq!(canonical.len(), 26);
        assert!(canonical.ends_with('4'));
        let sloppy = format!("{}7", &canonical[..25]);
        assert_eq!(TotpSecret::from_base32(&sloppy).unwrap().as_bytes(), &[0xff; 16]);
    }

    #[test]
    fn generated_secrets_are_160_bits_distinct_and_redacted() {
        let a = TotpSecret::generate().unwrap();
        let b = TotpSecret::generate().unwrap();
        assert_eq!(a.as_bytes().len(), 20);
        assert_eq!(a.to_base32().len(), 32);
        assert_ne!(a, b);
        assert_eq!(format!("{a:?}"), "TotpSecret(..)");
    }

    #[test]
    fn truncation_and_padding() {
        // RFC 4226 Appendix D, counter 7: truncated 0x04e5b397 = 82162583 -> "162583";
        // as 8 digits the leading zero must be kept.
        let s = rfc_secret();
        assert_eq!(dynamic_truncation::<Hmac<Sha1>>(s.as_bytes(), &7u64.to_be_bytes()), 82_162_583);
        assert_eq!(hotp(&s, 7, Digits::Eight, Algorithm::Sha1), "82162583");
        assert_eq!(hotp(&s, 7, Digits::Seven, Algorithm::Sha1), "2162583");
        // RFC 6238 at T=0x23523EC: "07081804".
        assert_eq!(hotp(&s, 0x0235_23EC, Digits::Eight, Algorithm::Sha1), "07081804");
    }

    #[test]
    fn digits_and_algorithm_names() {
        assert_eq!(Digits::new(5), None);
        assert_eq!(Digits::new(9), None);
        for n in 6..=8 {
            assert_eq!(Digits::new(n).unwrap().get(), n);
        }
        for a in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512] {
            assert_eq!(Algorithm::from_name(a.as_str()), Some(a));
            assert_eq!(Algorithm::from_name(&a.as_str().to_lowercase()), Some(a));
        }
        assert_eq!(Algorithm::from_name("SHA-1"), None);
        assert_eq!(Algorithm::from_name("MD5"), None);
    }

    #[test]
    fn label_rules() {
        let new = |i: &str, a: &str| Totp::new(rfc_secret(), TotpParams::default(), i, a).map(|_| ());
        assert_eq!(new("Acme", "alice@example.com"), Ok(()));
        assert_eq!(new("Acme Inc.", "a:b"), Ok(()));
        assert_eq!(new("", "a"), Err(TotpError::EmptyIssuer));
        assert_eq!(new("A:B", "a"), Err(TotpError::IssuerContainsColon));
        assert_eq!(new("Acme", ""), Err(TotpError::EmptyAccount));
        assert_eq!(new("Acme", "a\nb"), Err(TotpError::ControlCharacter));
        assert_eq!(new(" Acme", "a"), Err(TotpError::SurroundingWhitespace));
        assert_eq!(new("Acme", "a "), Err(TotpError::SurroundingWhitespace));
        assert_eq!(new(&"x".repeat(129), "a"), Err(TotpError::IssuerTooLong));
        assert_eq!(new("Acme", &"x".repeat(257)), Err(TotpError::AccountTooLong));
        let zero = TotpParams { period: 0, ..TotpParams::default() };
        assert_eq!(Totp::new(rfc_secret(), zero, "A", "a").map(|_| ()), Err(TotpError::ZeroPeriod));
    }

    #[test]
    fn decimal_parsing_is_strict() {
        assert_eq!(parse_decimal("30"), Some(30));
        for bad in ["", "+30", "-1", " 30", "3 0", "0x1e", "99999999999999999999999"] {
            assert_eq!(parse_decimal(bad), None, "{bad}");
        }
    }

    #[test]
    fn verify_rejects_non_digit_input_without_panicking() {
        let t = Totp::new(rfc_secret(), TotpParams::default(), "A", "a").unwrap();
        for bad in ["", "12345", "1234567", "12345a", "１２３４５６", "12 345", "-12345"] {
            assert_eq!(t.verify(bad, 59, Window::DEFAULT), None, "{bad}");
        }
        // Window edges at both ends of time.
        let code = t.code_at(0);
        assert_eq!(t.verify(&code, 0, Window::new(255, 255)), Some(0));
        let end = t.code_at(u64::MAX);
        assert_eq!(t.verify(&end, u64::MAX, Window::new(255, 255)), Some(u64::MAX / 30));
        assert_eq!(t.verify_after(&end, u64::MAX, Window::DEFAULT, Some(u64::MAX)), None);
    }

    #[test]
    fn enrollment_debug_hides_secrets() {
        let e = enroll("Acme", "alice@example.com").unwrap();
        let shown = format!("{e:?}");
        assert!(!shown.contains(&*e.secret().to_base32()));
        assert!(!shown.contains("otpauth"));
        assert!(shown.contains("Acme"));
    }
}
