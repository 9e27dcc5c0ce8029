//! Access events, their canonical encoding, and the salted leaf that goes into the log.

use std::borrow::Cow;

use core::fmt;
use core::str::FromStr;

use rand_core::CryptoRng;
use sha2::{Digest, Sha256};

use super::merkle::{self, Hash};
use crate::random::{OsRng, RandomError};
use crate::reader::{Reader, Truncated};

/// The version byte that starts every canonical event encoding.
pub const EVENT_ENCODING_VERSION: u8 = 1;
/// Length of an event's salt.
pub const SALT_LEN: usize = 32;
/// Longest text field: the encoding prefixes each with a 16-bit length.
pub const MAX_FIELD_LEN: usize = u16::MAX as usize;
/// Longest token (role, resource kind, action, client).
pub const MAX_TOKEN_LEN: usize = 32;

/// Why an access event could not be built, encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// A text field is longer than [`MAX_FIELD_LEN`] bytes.
    #[error("access event field `{0}` is too long")]
    FieldTooLong(&'static str),
    /// A role, resource kind, action or client is not a token: 1 to 32 characters from
    /// `a-z`, `0-9` and `_`, starting with a letter.
    #[error("`{0}` must be a token of 1 to 32 characters from a-z, 0-9 and _, starting with a letter")]
    InvalidToken(&'static str),
    /// The encoding ends before the event does.
    #[error("access event encoding is truncated")]
    Truncated,
    /// An encoding version this build does not know.
    #[error("unsupported access event encoding version {0}")]
    UnsupportedVersion(u8),
    /// The encoding is not canonical: a field is not UTF-8 or not a token, or bytes follow
    /// the event.
    #[error("malformed access event encoding: {0}")]
    Malformed(&'static str),
}

impl From<Truncated> for EventError {
    fn from(_: Truncated) -> Self {
        Self::Truncated
    }
}

fn is_token(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z'))
        && s.len() <= MAX_TOKEN_LEN
        && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_'))
}

macro_rules! token {
    (
        $(#[$doc:meta])*
        $name:ident, $field:literal,
        { $( $(#[$cdoc:meta])* $konst:ident = $value:literal, )* }
    ) => {
        $(#[$doc])*
        ///
        /// A token: 1 to 32 characters from `a-z`, `0-9` and `_`, starting with a letter. The
        /// constants name the values this version uses; [`new`](Self::new) accepts others, so
        /// older clients can still verify events that use values added later.
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(Cow<'static, str>);

        impl $name {
            $( $(#[$cdoc])* pub const $konst: Self = Self(Cow::Borrowed($value)); )*

            /// Checks that `value` is a token.
            ///
            /// # Errors
            #[doc = concat!("[`EventError::InvalidToken`]`(\"", $field, "\")` if it is not.")]
            pub fn new(value: impl Into<String>) -> Result<Self, EventError> {
                let value = value.into();
                if !is_token(&value) {
                    return Err(EventError::InvalidToken($field));
                }
                Ok(Self(Cow::Owned(value)))
            }

            /// The token.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "pattern": "^[a-z][a-z0-9_]{0,31}$" })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&*self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = EventError;

            fn from_str(s: &str) -> Result<Self, EventError> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = EventError;

            fn try_from(s: String) -> Result<Self, EventError> {
                Self::new(s)
            }
        }

        impl From<$name> for String {
            fn from(token: $name) -> String {
                token.0.into_owned()
            }
        }
    };
}

token! {
    /// The role an actor acted in.
    Role, "role",
    {
        /// The patient whose record it is.
        PATIENT = "patient",
        /// Front-desk staff.
        RECEPTIONIST = "receptionist",
        /// A clinician.
        PROVIDER = "provider",
        /// A clinic administrator.
        ADMIN = "admin",
        /// The service itself (scheduled jobs, reminders).
        SYSTEM = "system",
    }
}

token! {
    /// The kind of record that was accessed.
    ResourceKind, "resource kind",
    {
        /// A booking.
        BOOKING = "booking",
        /// A sealed note.
        NOTE = "note",
        /// A correction (amendment) request.
        CORRECTION = "correction",
        /// The patient's profile (name, contact details, date of birth).
        PROFILE = "profile",
        /// A Notice of Privacy Practices acknowledgment.
        NPP_ACK = "npp_ack",
        /// The patient's confidential-communications preference: how and where the clinic
        /// should contact them instead of their usual details ("your confidential contact
        /// details"). Its id is the patient's id.
        CONFIDENTIAL_CONTACT = "confidential_contact",
        /// A request to restrict uses or disclosures of the patient's information ("your
        /// restriction request").
        RESTRICTION = "restriction",
    }
}

token! {
    /// What was done to the record.
    Action, "action",
    {
        /// Read.
        VIEW = "view",
        /// Created.
        CREATE = "create",
        /// Changed.
        UPDATE = "update",
        /// Cancelled.
        CANCEL = "cancel",
        /// Decrypted (a sealed note opened).
        DECRYPT = "decrypt",
        /// Exported.
        EXPORT = "export",
        /// Re-sealed to a new clinic-key version (recipients changed, content unchanged).
        REWRAP = "rewrap",
        /// Checked in for an appointment at the front desk ("checked you in for your
        /// booking").
        CHECK_IN = "check_in",
    }
}

token! {
    /// Which kind of client the access came through: an opaque descriptor, never an address.
    Client, "client",
    {
        /// The patient portal.
        PORTAL = "portal",
        /// The booking widget.
        WIDGET = "widget",
        /// The API, directly.
        API = "api",
    }
}

/// Who accessed the record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Actor {
    /// The actor's user id.
    pub user_id: String,
    /// The role they acted in.
    pub role: Role,
    /// Their name as the patient should see it, e.g. "Dr. Ana Silva".
    pub display_name: String,
}

/// The record that was accessed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resource {
    /// What kind of record.
    pub kind: ResourceKind,
    /// Its id.
    pub id: String,
}

/// One read or write of a patient's record: who, what, when, and through which client.
///
/// The JSON form (serde) uses camelCase names: `tenantId`, `patientId`,
/// `actor: { userId, role, displayName }`, `resource: { kind, id }`, `action`, `at`, `from`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessEvent {
    /// The clinic (tenant) id.
    pub tenant_id: String,
    /// The patient whose record was accessed.
    pub patient_id: String,
    /// Who accessed it.
    pub actor: Actor,
    /// What was accessed.
    pub resource: Resource,
    /// What was done.
    pub action: Action,
    /// When, in Unix seconds.
    pub at: u64,
    /// Through which client.
    pub from: Client,
}

fn put_str(out: &mut Vec<u8>, field: &'static str, value: &str) -> Result<(), EventError> {
    let len = u16::try_from(value.len()).map_err(|_| EventError::FieldTooLong(field))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(value.as_bytes());
    Ok(())
}

fn get_str(r: &mut Reader<'_>) -> Result<String, EventError> {
    let len = usize::from(r.u16()?);
    let bytes = r.take(len)?;
    let text = core::str::from_utf8(bytes).map_err(|_| EventError::Malformed("a field is not UTF-8"))?;
    Ok(text.into())
}

fn get_token<T: FromStr<Err = EventError>>(r: &mut Reader<'_>) -> Result<T, EventError> {
    get_str(r)?.parse().map_err(|_| EventError::Malformed("a token field is not a token"))
}

impl AccessEvent {
    /// The canonical encoding (version 1), specified in `docs/access-log-format.md`: the
    /// version byte, then `tenant_id`, `patient_id`, `actor.user_id`, `actor.role`,
    /// `actor.display_name`, `resource.kind`, `resource.id` and `action`, each as a
    /// big-endian u16 byte length and its UTF-8 bytes, then `at` as a big-endian u64, then
    /// `from` like the other strings.
    ///
    /// # Errors
    /// [`EventError::FieldTooLong`] if a field exceeds [`MAX_FIELD_LEN`] bytes.
    pub fn to_canonical_bytes(&self) -> Result<Vec<u8>, EventError> {
        let fields: [(&'static str, &str); 8] = [
            ("tenant_id", &self.tenant_id),
            ("patient_id", &self.patient_id),
            ("actor.user_id", &self.actor.user_id),
            ("actor.role", self.actor.role.as_str()),
            ("actor.display_name", &self.actor.display_name),
            ("resource.kind", self.resource.kind.as_str()),
            ("resource.id", &self.resource.id),
            ("action", self.action.as_str()),
        ];
        let text_len: usize = fields.iter().map(|(_, value)| 2 + value.len()).sum();
        let mut out = Vec::with_capacity(1 + text_len + 8 + 2 + self.from.as_str().len());
        out.push(EVENT_ENCODING_VERSION);
        for (name, value) in fields {
            put_str(&mut out, name, value)?;
        }
        out.extend_from_slice(&self.at.to_be_bytes());
        put_str(&mut out, "from", self.from.as_str())?;
        Ok(out)
    }

    /// Parses a canonical encoding. Accepts exactly what
    /// [`to_canonical_bytes`](Self::to_canonical_bytes) produces, never panics, and allocates
    /// no more than `bytes` holds.
    ///
    /// # Errors
    /// [`EventError::Truncated`], [`EventError::UnsupportedVersion`] or
    /// [`EventError::Malformed`].
    pub fn from_canonical_bytes(bytes: &[u8]) -> Result<Self, EventError> {
        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        if version != EVENT_ENCODING_VERSION {
            return Err(EventError::UnsupportedVersion(version));
        }
        let tenant_id = get_str(&mut r)?;
        let patient_id = get_str(&mut r)?;
        let actor = Actor { user_id: get_str(&mut r)?, role: get_token(&mut r)?, display_name: get_str(&mut r)? };
        let resource = Resource { kind: get_token(&mut r)?, id: get_str(&mut r)? };
        let action = get_token(&mut r)?;
        let at = u64::from_be_bytes(r.array()?);
        let from = get_token(&mut r)?;
        if !r.is_empty() {
            return Err(EventError::Malformed("trailing bytes"));
        }
        Ok(Self { tenant_id, patient_id, actor, resource, action, at, from })
    }

    /// The leaf input this event contributes to the log: `SHA-256(salt || canonical
    /// encoding)`. Without the salt it reveals nothing about the event.
    ///
    /// # Errors
    /// As [`to_canonical_bytes`](Self::to_canonical_bytes).
    pub fn leaf_input(&self, salt: &Salt) -> Result<Hash, EventError> {
        let encoded = self.to_canonical_bytes()?;
        Ok(Sha256::new().chain_update(salt.0).chain_update(&encoded).finalize().into())
    }

    /// The Merkle leaf hash: `SHA-256(0x00 || leaf_input)` (RFC 9162 §2.1.1).
    ///
    /// # Errors
    /// As [`to_canonical_bytes`](Self::to_canonical_bytes).
    pub fn leaf_hash(&self, salt: &Salt) -> Result<Hash, EventError> {
        Ok(merkle::leaf_hash(&self.leaf_input(salt)?))
    }
}

/// The random 32 bytes that hide an event inside its leaf. The server keeps it with the
/// event and shows it only to the event's patient: whoever holds it can test guesses about
/// the event against the public leaf.
#[derive(Clone, PartialEq, Eq)]
pub struct Salt([u8; SALT_LEN]);

impl Salt {
    /// A fresh salt from the platform RNG.
    ///
    /// # Errors
    /// [`RandomError`] if the platform RNG is unavailable.
    pub fn generate() -> Result<Self, RandomError> {
        Ok(Self::generate_with_rng(&mut OsRng::new()?))
    }

    /// A fresh salt from `rng`.
    pub fn generate_with_rng(rng: &mut impl CryptoRng) -> Self {
        let mut salt = [0u8; SALT_LEN];
        rng.fill_bytes(&mut salt);
        Self(salt)
    }

    /// A salt from its bytes (as stored or received).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; SALT_LEN]) -> Self {
        Self(bytes)
    }

    /// The salt's bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; SALT_LEN] {
        &self.0
    }
}

impl From<[u8; SALT_LEN]> for Salt {
    fn from(bytes: [u8; SALT_LEN]) -> Self {
        Self(bytes)
    }
}

impl fmt::Debug for Salt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Salt(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn event() -> AccessEvent {
        AccessEvent {
            tenant_id: "t".into(),
            patient_id: "p".into(),
            actor: Actor { user_id: "u".into(), role: Role::PROVIDER, display_name: "Dr. Ö".into() },
            resource: Resource { kind: ResourceKind::NOTE, id: "n1".into() },
            action: Action::DECRYPT,
            at: 0x0102_0304_0506_0708,
            from: Client::PORTAL,
        }
    }

    #[test]
    fn encoding_is_the_documented_layout() {
        let mut expected = vec![1u8];
        for s in ["t", "p", "u", "provider", "Dr. Ö", "note", "n1", "decrypt"] {
            expected.extend_from_slice(&(s.len() as u16).to_be_bytes());
            expected.extend_from_slice(s.as_bytes());
        }
        expected.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        expected.extend_from_slice(&[0, 6]);
        expected.extend_from_slice(b"portal");
        assert_eq!(event().to_canonical_bytes().unwrap(), expected);
        assert_eq!(AccessEvent::from_canonical_bytes(&expected).unwrap(), event());
    }

    #[test]
    fn tokens() {
        for ok in ["a", "npp_ack", "x9", "abcdefghijklmnopqrstuvwxyz012345"] {
            assert!(is_token(ok), "{ok}");
        }
        for bad in ["", "9a", "_a", "A", "view ", "a-b", "a.b", "abcdefghijklmnopqrstuvwxyz0123456", "é"] {
            assert!(!is_token(bad), "{bad}");
        }
        assert_eq!(Action::new("view").unwrap(), Action::VIEW);
        assert_eq!(Action::new("Print"), Err(EventError::InvalidToken("action")));
        assert_eq!("npp_ack".parse::<ResourceKind>().unwrap(), ResourceKind::NPP_ACK);
    }

    #[test]
    fn field_limits() {
        let mut e = event();
        e.resource.id = "x".repeat(MAX_FIELD_LEN);
        let bytes = e.to_canonical_bytes().unwrap();
        assert_eq!(AccessEvent::from_canonical_bytes(&bytes).unwrap(), e);
        e.resource.id.push('x');
        assert_eq!(e.to_canonical_bytes(), Err(EventError::FieldTooLong("resource.id")));
        assert_eq!(e.leaf_hash(&Salt::from_bytes([0; 32])), Err(EventError::FieldTooLong("resource.id")));
    }

    #[test]
    fn decoding_rejects_non_canonical_input() {
        let good = event().to_canonical_bytes().unwrap();
        assert_eq!(AccessEvent::from_canonical_bytes(&[]), Err(EventError::Truncated));
        assert_eq!(AccessEvent::from_canonical_bytes(&[2]), Err(EventError::UnsupportedVersion(2)));
        for cut in 0..good.len() {
            assert!(AccessEvent::from_canonical_bytes(&good[..cut]).is_err());
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(AccessEvent::from_canonical_bytes(&trailing), Err(EventError::Malformed("trailing bytes")));
        // "provider" -> "Provider": not a token.
        let mut upper = good.clone();
        let at = good.windows(8).position(|w| w == b"provider").unwrap();
        upper[at] = b'P';
        assert!(matches!(AccessEvent::from_canonical_bytes(&upper), Err(EventError::Malformed(_))));
        // Invalid UTF-8 in a free-text field.
        let mut latin1 = good;
        let at = latin1.windows(2).position(|w| w == "Ö".as_bytes()).unwrap();
        latin1[at] = 0xff;
        assert!(matches!(AccessEvent::from_canonical_bytes(&latin1), Err(EventError::Malformed(_))));
    }

    #[test]
    fn leaf_is_salted() {
        let e = event();
        let (a, b) = (Salt::from_bytes([1; 32]), Salt::from_bytes([2; 32]));
        assert_ne!(e.leaf_input(&a).unwrap(), e.leaf_input(&b).unwrap());
        let mut input = a.as_bytes().to_vec();
        input.extend_from_slice(&e.to_canonical_bytes().unwrap());
        let expected: Hash = Sha256::digest(&input).into();
        assert_eq!(e.leaf_input(&a).unwrap(), expected);
        assert_eq!(e.leaf_hash(&a).unwrap(), merkle::leaf_hash(&expected));
        assert_eq!(format!("{a:?}"), "Salt(..)");
    }

    #[test]
    fn json_form_is_camel_case_and_strict() {
        let json = serde_json::to_value(event()).unwrap();
        assert_eq!(json["actor"]["displayName"], "Dr. Ö");
        assert_eq!(json["resource"]["kind"], "note");
        assert_eq!(json["from"], "portal");
        let back: AccessEvent = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, event());
        let mut bad = json.clone();
        bad["action"] = "Delete!".into();
        assert!(serde_json::from_value::<AccessEvent>(bad).is_err());
        let mut extra = json;
        extra["ip"] = "10.0.0.1".into();
        assert!(serde_json::from_value::<AccessEvent>(extra).is_err());
    }
}
