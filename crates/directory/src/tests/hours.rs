use proptest::prelude::*;

use super::at;
use crate::{Hours, HoursError};

fn weekly(text: &str, zone: &str) -> Hours {
    Hours::parse(text, Some(zone)).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// (instant, open now, next opening) for one schedule.
fn check(hours: &Hours, cases: &[(&str, bool, Option<&str>)]) {
    for (instant, open, next) in cases {
        let instant = at(instant);
        assert_eq!(hours.open_now(instant), *open, "open at {instant}");
        assert_eq!(
            hours.next_open(instant),
            next.map(at),
            "next opening after {instant}"
        );
    }
}

#[test]
fn office_hours_follow_daylight_saving_time_in_new_york() {
    // US DST 2026: starts Sun 8 March 02:00 (UTC-5 → UTC-4), ends Sun 1 November 02:00.
    let hours = weekly("Mon-Fri 09:00-17:00", "America/New_York");
    check(
        &hours,
        &[
            // Friday before the change: 09:00 EST is 14:00Z.
            ("2026-03-06T14:00:00Z", true, None),
            ("2026-03-06T13:59:59Z", false, Some("2026-03-06T14:00:00Z")),
            ("2026-03-06T22:00:00Z", false, Some("2026-03-09T13:00:00Z")),
            // Monday after: 09:00 EDT is 13:00Z, an hour earlier in UTC.
            ("2026-03-09T13:00:00Z", true, None),
            ("2026-03-09T12:30:00Z", false, Some("2026-03-09T13:00:00Z")),
            ("2026-03-09T20:59:00Z", true, None),
            ("2026-03-09T21:00:00Z", false, Some("2026-03-10T13:00:00Z")),
            // November: back to 14:00Z.
            ("2026-10-30T13:00:00Z", true, None),
            ("2026-10-30T21:30:00Z", false, Some("2026-11-02T14:00:00Z")),
        ],
    );
}

#[test]
fn a_window_that_starts_in_the_skipped_hour_opens_when_the_clocks_jump() {
    // London skips 01:00–02:00 on Sun 29 March 2026; a window opening at 01:30 opens at 02:00 BST.
    let hours = weekly("Sun 01:30-04:00", "Europe/London");
    check(
        &hours,
        &[
            ("2026-03-29T00:30:00Z", false, Some("2026-03-29T01:00:00Z")),
            ("2026-03-29T01:00:00Z", true, None),
            ("2026-03-29T02:59:00Z", true, None),
            ("2026-03-29T03:00:00Z", false, Some("2026-04-05T00:30:00Z")),
        ],
    );
}

#[test]
fn a_window_in_the_repeated_hour_opens_twice() {
    // London repeats 01:00–02:00 on Sun 25 October 2026 (00:00Z–01:00Z BST, then 01:00Z–02:00Z GMT).
    let hours = weekly("Sun 01:00-01:30", "Europe/London");
    check(
        &hours,
        &[
            ("2026-10-24T23:00:00Z", false, Some("2026-10-25T00:00:00Z")),
            ("2026-10-25T00:15:00Z", true, None),
            ("2026-10-25T00:45:00Z", false, Some("2026-10-25T01:00:00Z")),
            ("2026-10-25T01:15:00Z", true, None),
        ],
    );
}

#[test]
fn night_windows_run_past_midnight() {
    // Hong Kong has no DST: 20:00 local is 12:00Z.
    let hours = weekly("Fri 22:00-06:00; Sat 20:00-24:00", "Asia/Hong_Kong");
    check(
        &hours,
        &[
            ("2026-05-08T13:59:00Z", false, Some("2026-05-08T14:00:00Z")), // Fri 21:59
            ("2026-05-08T14:00:00Z", true, None),                          // Fri 22:00
            ("2026-05-08T16:00:00Z", true, None),                          // Sat 00:00
            ("2026-05-08T21:59:00Z", true, None),                          // Sat 05:59
            ("2026-05-08T22:00:00Z", false, Some("2026-05-09T12:00:00Z")), // Sat 06:00
            ("2026-05-09T15:59:00Z", true, None),                          // Sat 23:59
            ("2026-05-09T16:00:00Z", false, Some("2026-05-15T14:00:00Z")), // Sun 00:00
        ],
    );
    let daily_night = weekly("daily 20:00-09:00", "Asia/Hong_Kong");
    assert!(daily_night.open_now(at("2026-05-10T00:30:00Z"))); // Sun 08:30
    assert!(!daily_night.open_now(at("2026-05-10T01:00:00Z"))); // Sun 09:00
}

#[test]
fn a_night_window_across_a_dst_change() {
    // Sydney leaves DST on Sun 5 April 2026 at 03:00 AEDT (UTC+11 → UTC+10).
    let hours = weekly("Sat 22:00-06:00", "Australia/Sydney");
    check(
        &hours,
        &[
            ("2026-04-04T10:59:00Z", false, Some("2026-04-04T11:00:00Z")), // Sat 21:59 AEDT
            ("2026-04-04T11:00:00Z", true, None),                          // Sat 22:00 AEDT
            ("2026-04-04T19:59:00Z", true, None),                          // Sun 05:59 AEST
            ("2026-04-04T20:00:00Z", false, Some("2026-04-11T12:00:00Z")), // Sun 06:00 AEST
        ],
    );
}

#[test]
fn always_open_lines_never_have_a_next_opening() {
    let hours = Hours::parse("24/7", None).unwrap();
    assert!(hours.open_now(at("2026-01-01T03:00:00Z")));
    assert_eq!(hours.next_open(at("2026-01-01T03:00:00Z")), None);
}

#[test]
fn hours_text_is_read_and_written_back() {
    let cases = [
        ("24/7", None, "24/7"),
        (
            "Mon-Fri 09:00-17:00",
            Some("Europe/London"),
            "Mon-Fri 09:00-17:00",
        ),
        (
            "mon-fri 9:00-17:00; sat 10:00-14:00",
            Some("Europe/London"),
            "Mon-Fri 09:00-17:00; Sat 10:00-14:00",
        ),
        (
            "Monday 08:00-12:00,13:00-17:00",
            Some("Asia/Tokyo"),
            "Mon 08:00-12:00,13:00-17:00",
        ),
        (
            "daily 20:00-09:00",
            Some("Asia/Hong_Kong"),
            "daily 20:00-09:00",
        ),
        (
            "Sat-Mon 00:00-24:00",
            Some("UTC"),
            "Mon 00:00-00:00; Sat-Sun 00:00-00:00",
        ),
    ];
    for (text, zone, written) in cases {
        let hours = Hours::parse(text, zone).unwrap();
        assert_eq!(hours.to_string(), written, "{text}");
        assert_eq!(Hours::parse(written, zone).unwrap(), hours, "{written}");
    }
}

#[test]
fn unreadable_hours_say_what_to_write() {
    assert_eq!(
        Hours::parse("Mon-Fri 09:00-17:00", None),
        Err(HoursError::MissingZone("Mon-Fri 09:00-17:00".into()))
    );
    assert_eq!(
        Hours::parse("Mon-Fri 09:00-17:00", Some("Mars/Olympus")),
        Err(HoursError::UnknownZone("Mars/Olympus".into()))
    );
    for bad in [
        "Mon-Fri",
        "Someday 09:00-17:00",
        "Mon 9-5",
        "Mon 25:00-26:00",
        "",
    ] {
        let error = Hours::parse(bad, Some("UTC")).unwrap_err();
        assert!(matches!(error, HoursError::Syntax { .. }), "{bad}: {error}");
        assert!(error.to_string().contains("Mon-Fri 09:00-17:00"), "{error}");
    }
}

#[test]
fn serde_keeps_the_zone_and_windows() {
    let hours = weekly("Mon 09:00-17:00", "Asia/Tokyo");
    let json = serde_json::to_value(&hours).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"kind": "weekly", "zone": "Asia/Tokyo",
            "windows": [{"day": "mon", "opens": "09:00:00", "closes": "17:00:00"}]})
    );
    assert_eq!(serde_json::from_value::<Hours>(json).unwrap(), hours);
    assert_eq!(
        serde_json::to_value(Hours::Always).unwrap(),
        serde_json::json!({"kind": "always"})
    );
    assert!(
        serde_json::from_value::<Hours>(
            serde_json::json!({"kind": "weekly", "zone": "Nowhere/City", "windows": []})
        )
        .is_err()
    );
}

proptest! {
    /// Whatever the schedule and instant, `next_open` is a later instant at which the line is
    /// open, and nothing in between is open.
    #[test]
    fn next_open_is_the_first_open_instant(
        windows in prop::collection::vec((0usize..7, 0i8..24, 0i8..4, 0i8..24, 0i8..4), 1..4),
        zone in prop::sample::select(vec!["America/New_York", "Europe/London", "Australia/Sydney", "Asia/Tokyo"]),
        second in 1_767_225_600i64..1_798_761_600,
    ) {
        const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let text: Vec<String> = windows
            .iter()
            .map(|&(d, oh, oq, ch, cq)| format!("{} {:02}:{:02}-{:02}:{:02}", DAYS[d], oh, oq * 15, ch, cq * 15))
            .collect();
        let hours = Hours::parse(&text.join("; "), Some(zone)).unwrap();
        let now = jiff::Timestamp::from_second(second).unwrap();
        if let Some(next) = hours.next_open(now) {
            prop_assert!(!hours.open_now(now));
            prop_assert!(next > now);
            prop_assert!(hours.open_now(next), "{} not open at {}", text.join("; "), next);
            // Closed a minute before, unless `now` is within that minute.
            let before = next - jiff::SignedDuration::from_secs(60);
            prop_assert!(before <= now || !hours.open_now(before));
        }
    }
}
