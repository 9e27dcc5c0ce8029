//! Rewrapping sealed texts after a clinic-key rotation.
//!
//! Publishing a new clinic-key version (`POST /api/clinic-keys`) changes what new notes are
//! sealed to, but the notes of existing bookings and the correction texts stay sealed to the
//! version they were written under (and so do restriction requests' details). A provider or
//! admin who holds the current version lists
//! what is still sealed to an older one (`GET /api/notes/stale`), rewraps each envelope in
//! the browser with a clinic key version it holds ([`crate::Envelope::rewrap`]: add the
//! current version, remove the old ones; the content ciphertext is kept) and uploads the
//! results in batches (`POST /api/notes/rewrap`).
//!
//! The server cannot open an envelope, but it checks every upload against the stored one:
//! the same content ([`crate::Envelope::same_content`]), and exactly the stored recipients
//! with every older clinic-key version replaced by the current one (so the patient's own
//! recipient stays, nobody is added, and a removed staff member's old version no longer
//! opens it). A batch is written all or nothing.

use serde::{Deserialize, Serialize};

/// The most items one `POST /api/notes/rewrap` may carry, and one page of
/// `GET /api/notes/stale` at most.
pub const MAX_REWRAP_ITEMS: usize = 100;

/// Which sealed text of a record an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum SealedKind {
    /// A booking's note; `id` is the booking id. Context: [`super::note_context`].
    Note,
    /// A correction request's change; `id` is the correction id. Context:
    /// [`super::correction_context`].
    Correction,
    /// A statement of disagreement; `id` is the correction id. Context:
    /// [`super::disagreement_context`].
    Disagreement,
    /// A restriction request's details; `id` (and `bookingId`, the context's record id) is
    /// the restriction id. Context: [`super::restriction_context`]. Admins only: providers
    /// do not see restriction requests.
    Restriction,
}

/// `GET /api/notes/stale?after=&limit=`: query. Both optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StaleQuery {
    /// The `cursor` of the last item of the previous page (to skip items the caller could
    /// not rewrap); absent for the first page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Items per page, 1 to [`MAX_REWRAP_ITEMS`] (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// One sealed text still sealed to an older clinic-key version (or not to the current one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StaleItem {
    /// Which text.
    pub kind: SealedKind,
    /// The booking id (notes), the correction id (correction texts) or the restriction id.
    pub id: String,
    /// The booking the text belongs to (for the context); for a restriction request's
    /// details, the restriction id, which stands in the context's record id.
    pub booking_id: String,
    /// The envelope as stored (`bze1.…`).
    pub envelope: String,
    /// The clinic-key versions it is sealed to now.
    pub key_versions: Vec<u32>,
    /// Where this item stands in the listing: pass it as `after` to list what follows.
    pub cursor: String,
}

/// `GET /api/notes/stale` (providers and admins holding the current clinic key): the
/// sealed texts in the caller's reach not yet rewrapped to the current version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StaleResponse {
    /// The current clinic-key version: rewrap to this one.
    pub current_version: u32,
    /// Its key id.
    pub current_key_id: String,
    /// This page, in a stable order (notes, then correction texts; by id).
    pub items: Vec<StaleItem>,
    /// How many stale texts there are in the caller's reach, in all (this page included).
    pub remaining: u64,
    /// The `after` of the next page, if there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// One rewrapped text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RewrapItem {
    /// Which text.
    pub kind: SealedKind,
    /// The booking id (notes) or the correction id (correction texts).
    pub id: String,
    /// The rewrapped envelope (`bze1.…`): the stored one's content, sealed to the current
    /// version instead of the older ones.
    pub envelope: String,
}

/// `POST /api/notes/rewrap`: a batch of rewrapped texts, stored all or nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RewrapRequest {
    /// The clinic-key version the items were rewrapped to; must still be the current one
    /// (else 409 `key-rotated`: list again and rewrap to the newer one).
    pub version: u32,
    /// 1 to [`MAX_REWRAP_ITEMS`] items, each text at most once.
    pub items: Vec<RewrapItem>,
}

/// The answer to a stored batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RewrapResponse {
    /// Texts changed by this batch (an item identical to what is stored changes nothing).
    pub rewrapped: u32,
    /// Stale texts left in the caller's reach.
    pub remaining: u64,
    /// Whether nothing in the caller's reach is sealed to an older version any more (for an
    /// admin: the rotation is complete).
    pub complete: bool,
}
