//! Wire types of the booking API: request and response bodies, shared by the server and its
//! clients so both sides agree by construction. JSON field names are camelCase.
//!
//! Binary values travel as unpadded base64url strings; envelopes and wrapped keys in their
//! text forms (`bze1.…`, `bzk1.…`).

use serde::{Deserialize, Serialize};

mod accounts;
mod admin;
mod clinic_keys;
mod corrections;
mod export;
mod log;
mod npp;
mod preferences;
mod rewrap;
mod scheduling;
mod widget;

pub use accounts::*;
pub use admin::*;
pub use clinic_keys::*;
pub use corrections::*;
pub use export::*;
pub use log::*;
pub use npp::*;
pub use preferences::*;
pub use rewrap::*;
pub use scheduling::*;
pub use widget::*;

/// An RFC 9457 problem, as every error response carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// A stable URI naming the kind of problem, e.g. `urn:bizing:problem:session-expired`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short human summary of the kind.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong here and what to do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}
