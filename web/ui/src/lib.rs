//! What the Bizing web apps share (the portal, `web/portal`, and the booking widget,
//! `web/widget`): dates and times as people read them, in the clinic's time zone, and the
//! focus check of the placeholders shown while a split-off chunk loads.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod focus;
pub mod format;
