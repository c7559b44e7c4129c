//! Small time helpers over jiff, shared by the modules.

use domain::Timestamp;
use jiff::SignedDuration;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// The local date of `at` in `tz`.
pub(crate) fn local_date(at: Timestamp, tz: &TimeZone) -> Date {
    at.to_zoned_datetime(tz.clone()).date()
}

pub(crate) fn utc_date(at: Timestamp) -> Date {
    local_date(at, &TimeZone::UTC)
}

/// `at + by`, clamped to the representable range.
pub(crate) fn after(at: Timestamp, by: SignedDuration) -> Timestamp {
    at.checked_add(by).unwrap_or(if by.is_negative() {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// `at - by`, clamped to the representable range.
pub(crate) fn before(at: Timestamp, by: SignedDuration) -> Timestamp {
    after(at, -by)
}
