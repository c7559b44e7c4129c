//! The helpline directory (product §1): entries, phone numbers, opening hours, "find the right
//! number", "is this number real?", importing third-party listings and the conflict report.
//!
//! Pure: no I/O, no clock (instants are passed in), no global state. The server keeps one
//! [`Directory`] built from the stored entries and rebuilds it when they change.

pub mod bench;
mod conflicts;
pub mod demo;
mod directory;
mod entry;
mod hours;
pub mod import;
mod lookup;
mod phone;
pub mod report;

pub use conflicts::{
    ConflictReport, ListedAs, OfficialDisagreement, SharedNumber, SourceDisagreement, SourceNumbers,
};
pub use directory::{CheckResponse, CheckStatus, Directory, Reading};
pub use entry::{Coverage, Entry, EntryKey, Provenance, ServiceLine, Status};
pub use hours::{Day, Hours, HoursError, Window, Zone};
pub use lookup::{Choice, LineView, LookupError, LookupQuery, LookupResponse, Place};
pub use phone::{E164, InvalidReason, PhoneError};

#[cfg(test)]
mod tests;
