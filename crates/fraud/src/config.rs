//! Rules, weights and thresholds, read from TOML (see `fraud.toml`, the documented default).

use std::collections::BTreeMap;

use domain::Currency;

use crate::mcc::Mcc;
use crate::types::Verdict;

/// The documented default configuration, embedded in the binary.
pub const DEFAULT_TOML: &str = include_str!("../fraud.toml");

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("fraud configuration is not valid TOML or has a wrong or unknown setting: {0}")]
    Syntax(String),
    #[error("fraud configuration setting `{setting}` {problem}")]
    Invalid { setting: String, problem: String },
}

fn invalid(setting: impl Into<String>, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        setting: setting.into(),
        problem: problem.into(),
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub decision: DecisionConfig,
    pub profiles: ProfilesConfig,
    pub signals: SignalsConfig,
    pub model: ModelConfig,
    /// Units of each currency per US dollar.
    pub currencies: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionConfig {
    pub challenge_at: f64,
    pub decline_at: f64,
    pub base_logit: f32,
    pub stand_in: Verdict,
    pub budget_ms: u32,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfilesConfig {
    pub home_radius_km: f32,
    pub micro_amount_usd: f32,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalsConfig {
    pub impossible_travel: ImpossibleTravel,
    pub unusual_country: UnusualCountry,
    pub night_abroad: NightAbroad,
    pub unusual_hour: UnusualHour,
    pub unusual_amount: UnusualAmount,
    pub risky_category: RiskyCategory,
    pub velocity: Velocity,
    pub card_testing: CardTesting,
    pub compromised_merchant: CompromisedMerchant,
    pub compromised_card: CompromisedCard,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImpossibleTravel {
    pub weight: f32,
    pub min_verdict: Option<Verdict>,
    pub max_speed_kmh: f32,
    pub nearby_km: f32,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnusualCountry {
    pub weight: f32,
    pub min_verdict: Option<Verdict>,
    pub min_history: u32,
    pub after_travel_booking: f32,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NightAbroad {
    pub weight: f32,
    pub min_verdict: Option<Verdict>,
    pub start_hour: f32,
    pub end_hour: f32,
    pub min_history: u32,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnusualHour {
    pub weight: f32,
    pub min_verdict: Option<Verdict>,
    pub min_history: u32,
    pub max_share: f32,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnusualAmount {
    pub weight: f32,
    pub min_verdict: Option<Verdict>,
    pub min_history: u32,
    pub z_threshold: f32,
    pub min_amount_usd: f32,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskyCategory {
    pub weight: f32,
    pub min_verdict: Option<Verdict>,
    pub new_for_card_factor: f32,
    /// MCC (four digits) → risk 0–1.
    pub mcc: BTreeMap<String, f32>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Velocity {
    pub weight: f32,
    pub min_verdict: Option<Verdict>,
    pub max_per_hour: u32,
    pub max_per_day: u32,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardTesting {
    pub weight: f32,
    pub min_verdict: Option<Verdict>,
    pub window_minutes: u32,
    pub min_count: u32,
    pub min_merchants: u32,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompromisedMerchant {
    pub weight: f32,
    pub min_verdict: Option<Verdict>,
    pub min_frauds: f32,
    pub min_rate: f32,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompromisedCard {
    pub weight: f32,
    pub min_verdict: Option<Verdict>,
    pub days: f32,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    pub enabled: bool,
    pub retrain_every_hours: f64,
    pub window_days: f64,
    pub min_frauds: u32,
    pub genuine_sample_every: u32,
    pub max_examples: usize,
    pub bins: usize,
    pub rounds: u32,
    pub learning_rate: f32,
    pub l2: f32,
    pub explain_above: f32,
}

/// Largest number of bins per feature: a bin is found in five branch-free steps, and the whole
/// model (edges and log-odds of every feature) stays within about 11 KB of the L1 cache.
pub const MAX_BINS: usize = 32;

impl Config {
    /// Parses and validates a configuration file.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: Config =
            toml::from_str(text).map_err(|e| ConfigError::Syntax(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// The embedded default, `fraud.toml`.
    pub fn default_rules() -> Result<Self, ConfigError> {
        Self::from_toml(DEFAULT_TOML)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let d = &self.decision;
        probability("decision.challenge_at", d.challenge_at)?;
        probability("decision.decline_at", d.decline_at)?;
        if d.challenge_at > d.decline_at {
            return Err(invalid(
                "decision.challenge_at",
                format!(
                    "({}) must not be above decision.decline_at ({})",
                    d.challenge_at, d.decline_at
                ),
            ));
        }
        finite("decision.base_logit", d.base_logit)?;
        positive("profiles.home_radius_km", self.profiles.home_radius_km)?;
        positive("profiles.micro_amount_usd", self.profiles.micro_amount_usd)?;

        let s = &self.signals;
        weight("signals.impossible_travel", s.impossible_travel.weight)?;
        positive(
            "signals.impossible_travel.max_speed_kmh",
            s.impossible_travel.max_speed_kmh,
        )?;
        non_negative(
            "signals.impossible_travel.nearby_km",
            s.impossible_travel.nearby_km,
        )?;
        weight("signals.unusual_country", s.unusual_country.weight)?;
        fraction(
            "signals.unusual_country.after_travel_booking",
            s.unusual_country.after_travel_booking,
        )?;
        weight("signals.night_abroad", s.night_abroad.weight)?;
        hour("signals.night_abroad.start_hour", s.night_abroad.start_hour)?;
        hour("signals.night_abroad.end_hour", s.night_abroad.end_hour)?;
        weight("signals.unusual_hour", s.unusual_hour.weight)?;
        fraction("signals.unusual_hour.max_share", s.unusual_hour.max_share)?;
        weight("signals.unusual_amount", s.unusual_amount.weight)?;
        positive(
            "signals.unusual_amount.z_threshold",
            s.unusual_amount.z_threshold,
        )?;
        non_negative(
            "signals.unusual_amount.min_amount_usd",
            s.unusual_amount.min_amount_usd,
        )?;
        weight("signals.risky_category", s.risky_category.weight)?;
        positive(
            "signals.risky_category.new_for_card_factor",
            s.risky_category.new_for_card_factor,
        )?;
        for (code, risk) in &s.risky_category.mcc {
            Mcc::parse(code).map_err(|e| invalid("signals.risky_category.mcc", e.to_string()))?;
            fraction(&format!("signals.risky_category.mcc.{code}"), *risk)?;
        }
        weight("signals.velocity", s.velocity.weight)?;
        at_least_one("signals.velocity.max_per_hour", s.velocity.max_per_hour)?;
        at_least_one("signals.velocity.max_per_day", s.velocity.max_per_day)?;
        weight("signals.card_testing", s.card_testing.weight)?;
        at_least_one(
            "signals.card_testing.window_minutes",
            s.card_testing.window_minutes,
        )?;
        at_least_one("signals.card_testing.min_count", s.card_testing.min_count)?;
        at_least_one(
            "signals.card_testing.min_merchants",
            s.card_testing.min_merchants,
        )?;
        weight(
            "signals.compromised_merchant",
            s.compromised_merchant.weight,
        )?;
        positive(
            "signals.compromised_merchant.min_frauds",
            s.compromised_merchant.min_frauds,
        )?;
        fraction(
            "signals.compromised_merchant.min_rate",
            s.compromised_merchant.min_rate,
        )?;
        weight("signals.compromised_card", s.compromised_card.weight)?;
        positive("signals.compromised_card.days", s.compromised_card.days)?;

        let m = &self.model;
        if !(m.retrain_every_hours.is_finite() && m.retrain_every_hours > 0.0) {
            return Err(invalid(
                "model.retrain_every_hours",
                "must be a positive number of hours",
            ));
        }
        if !(m.window_days.is_finite() && m.window_days > 0.0) {
            return Err(invalid(
                "model.window_days",
                "must be a positive number of days",
            ));
        }
        at_least_one("model.min_frauds", m.min_frauds)?;
        at_least_one("model.genuine_sample_every", m.genuine_sample_every)?;
        if m.max_examples < 100 {
            return Err(invalid("model.max_examples", "must be at least 100"));
        }
        if !(2..=MAX_BINS).contains(&m.bins) {
            return Err(invalid(
                "model.bins",
                format!("must be between 2 and {MAX_BINS}"),
            ));
        }
        at_least_one("model.rounds", m.rounds)?;
        if !(m.learning_rate > 0.0 && m.learning_rate <= 1.0) {
            return Err(invalid(
                "model.learning_rate",
                "must be above 0 and at most 1",
            ));
        }
        non_negative("model.l2", m.l2)?;
        non_negative("model.explain_above", m.explain_above)?;

        for (code, rate) in &self.currencies {
            Currency::parse(code).map_err(|e| invalid("currencies", e.to_string()))?;
            if !(rate.is_finite() && *rate > 0.0) {
                return Err(invalid(
                    format!("currencies.{code}"),
                    "must be a positive rate (units of the currency per US dollar)",
                ));
            }
        }
        if !self.currencies.contains_key("USD") {
            return Err(invalid("currencies", "must include USD (= 1.0)"));
        }
        Ok(())
    }
}

fn finite(setting: &str, value: f32) -> Result<(), ConfigError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(invalid(setting, "must be a finite number"))
    }
}

fn positive(setting: &str, value: f32) -> Result<(), ConfigError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(invalid(setting, format!("must be above 0 (found {value})")))
    }
}

fn non_negative(setting: &str, value: f32) -> Result<(), ConfigError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(invalid(
            setting,
            format!("must be 0 or more (found {value})"),
        ))
    }
}

fn weight(signal: &str, value: f32) -> Result<(), ConfigError> {
    if value.is_finite() && (0.0..=20.0).contains(&value) {
        Ok(())
    } else {
        Err(invalid(
            format!("{signal}.weight"),
            format!("must be between 0 (signal off) and 20 log-odds (found {value})"),
        ))
    }
}

fn fraction(setting: &str, value: f32) -> Result<(), ConfigError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(invalid(
            setting,
            format!("must be between 0 and 1 (found {value})"),
        ))
    }
}

fn probability(setting: &str, value: f64) -> Result<(), ConfigError> {
    if value > 0.0 && value <= 1.0 {
        Ok(())
    } else {
        Err(invalid(
            setting,
            format!("must be a probability above 0 and at most 1 (found {value})"),
        ))
    }
}

fn hour(setting: &str, value: f32) -> Result<(), ConfigError> {
    if (0.0..=24.0).contains(&value) {
        Ok(())
    } else {
        Err(invalid(
            setting,
            format!("must be an hour of the day, 0–24 (found {value})"),
        ))
    }
}

fn at_least_one(setting: &str, value: u32) -> Result<(), ConfigError> {
    if value >= 1 {
        Ok(())
    } else {
        Err(invalid(setting, "must be at least 1"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(from: &str, to: &str) -> Result<Config, ConfigError> {
        assert!(DEFAULT_TOML.contains(from), "{from}");
        Config::from_toml(&DEFAULT_TOML.replacen(from, to, 1))
    }

    #[test]
    fn the_default_is_valid() {
        let config = Config::default_rules().unwrap();
        assert_eq!(config.decision.stand_in, Verdict::Approve);
        assert_eq!(
            config.signals.card_testing.min_verdict,
            Some(Verdict::Decline)
        );
        assert_eq!(config.currencies["JPY"], 150.0);
    }

    #[test]
    fn invalid_settings_are_named() {
        let cases = [
            (
                "challenge_at = 0.5",
                "challenge_at = 0.9",
                "decision.challenge_at",
            ),
            (
                "decline_at = 0.8",
                "decline_at = 1.5",
                "decision.decline_at",
            ),
            (
                "weight = 6.0",
                "weight = -1.0",
                "signals.impossible_travel.weight",
            ),
            (
                "max_speed_kmh = 1000.0",
                "max_speed_kmh = 0.0",
                "max_speed_kmh",
            ),
            (
                "end_hour = 5.5",
                "end_hour = 25.0",
                "signals.night_abroad.end_hour",
            ),
            (
                "5944 = 0.8",
                "5944 = 1.8",
                "signals.risky_category.mcc.5944",
            ),
            ("5944 = 0.8", "\"59x4\" = 0.8", "signals.risky_category.mcc"),
            ("bins = 32", "bins = 300", "model.bins"),
            ("JPY = 150.0", "JPY = 0.0", "currencies.JPY"),
            ("JPY = 150.0", "YEN1 = 150.0", "currencies"),
        ];
        for (from, to, setting) in cases {
            let err = with(from, to).unwrap_err();
            let ConfigError::Invalid { setting: named, .. } = &err else {
                panic!("{to}: {err}");
            };
            assert!(named.contains(setting), "{to}: {err}");
        }
    }

    #[test]
    fn unknown_and_missing_settings_are_rejected() {
        let err = with("nearby_km = 50.0", "nearby_km = 50.0\nnearbye_km = 3.0").unwrap_err();
        assert!(
            matches!(&err, ConfigError::Syntax(m) if m.contains("nearbye_km")),
            "{err}"
        );
        let err = with("max_per_day = 15\n", "").unwrap_err();
        assert!(
            matches!(&err, ConfigError::Syntax(m) if m.contains("max_per_day")),
            "{err}"
        );
        let err = with("stand_in = \"approve\"", "stand_in = \"maybe\"").unwrap_err();
        assert!(
            matches!(&err, ConfigError::Syntax(m) if m.contains("maybe")),
            "{err}"
        );
    }
}
