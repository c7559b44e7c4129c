//! Settings for cases (config section `[cases]`); every field has a working default.

use jiff::SignedDuration;

use crate::calendar::BusinessCalendar;
use crate::sla::SlaTable;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CaseRules {
    /// How long after closing a case the cardholder can still reopen it (default "720h", 30
    /// days; durations are written in hours, minutes or seconds, e.g. "36h 30m").
    #[serde(serialize_with = "jiff::fmt::serde::duration::friendly::compact::required")]
    pub reopen_window: SignedDuration,
    /// A resolved case closes by itself after this long without a reply (default 7 days).
    #[serde(serialize_with = "jiff::fmt::serde::duration::friendly::compact::required")]
    pub auto_close_after: SignedDuration,
    pub complaint: ComplaintRules,
    pub sla: SlaTable,
}

impl Default for CaseRules {
    fn default() -> Self {
        Self {
            reopen_window: SignedDuration::from_hours(30 * 24),
            auto_close_after: SignedDuration::from_hours(7 * 24),
            complaint: ComplaintRules::default(),
            sla: SlaTable::default(),
        }
    }
}

/// Deadlines of a formal complaint, counted from the moment it is raised.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ComplaintRules {
    /// Acknowledge by the end of this many business days (default 5).
    pub acknowledge_business_days: u16,
    /// Send the final response within this many calendar days (default 56, i.e. 8 weeks).
    pub final_response_days: u16,
    /// Business days and holidays used for the acknowledgement deadline.
    pub calendar: BusinessCalendar,
}

impl Default for ComplaintRules {
    fn default() -> Self {
        Self {
            acknowledge_business_days: 5,
            final_response_days: 56,
            calendar: BusinessCalendar::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_and_partial_config_fills_in() {
        let rules = CaseRules::default();
        let json = serde_json::to_string(&rules).unwrap();
        assert!(json.contains(r#""reopen_window":"720h""#), "{json}");
        let back: CaseRules = serde_json::from_str(&json).unwrap();
        assert_eq!(back, rules);
        let partial: CaseRules = serde_json::from_str(
            r#"{"reopen_window":"336h","complaint":{"final_response_days":35}}"#,
        )
        .unwrap();
        assert_eq!(partial.reopen_window, SignedDuration::from_hours(14 * 24));
        assert_eq!(partial.complaint.final_response_days, 35);
        assert_eq!(partial.complaint.acknowledge_business_days, 5);
        assert!(serde_json::from_str::<CaseRules>(r#"{"reopen":"1d"}"#).is_err());
    }
}
