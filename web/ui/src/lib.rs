//! What the Bizing web apps share (the portal, `web/portal`, and the booking widget,
//! `web/widget`): dates and times as people read them, in the clinic's time zone.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod format;
