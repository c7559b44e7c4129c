//! The configured rules: each reads the feature vector and says how strongly (0–1, a few rules
//! more) it fires. Because they read only features, the model can recompute them when it trains.

use crate::config::Config;
use crate::features::{Feature as F, Features};
use crate::types::{SignalKind, Verdict};

/// The rules in the order their reasons are listed when equally strong.
pub(crate) const RULES: [SignalKind; 10] = [
    SignalKind::ImpossibleTravel,
    SignalKind::CardTesting,
    SignalKind::CompromisedMerchant,
    SignalKind::CompromisedCard,
    SignalKind::NightAbroad,
    SignalKind::UnusualCountry,
    SignalKind::UnusualAmount,
    SignalKind::RiskyCategory,
    SignalKind::Velocity,
    SignalKind::UnusualHour,
];

/// Weight and forced minimum verdict of a rule.
pub(crate) fn settings(config: &Config, kind: SignalKind) -> (f32, Option<Verdict>) {
    let s = &config.signals;
    match kind {
        SignalKind::ImpossibleTravel => {
            (s.impossible_travel.weight, s.impossible_travel.min_verdict)
        }
        SignalKind::UnusualCountry => (s.unusual_country.weight, s.unusual_country.min_verdict),
        SignalKind::NightAbroad => (s.night_abroad.weight, s.night_abroad.min_verdict),
        SignalKind::UnusualHour => (s.unusual_hour.weight, s.unusual_hour.min_verdict),
        SignalKind::UnusualAmount => (s.unusual_amount.weight, s.unusual_amount.min_verdict),
        SignalKind::RiskyCategory => (s.risky_category.weight, s.risky_category.min_verdict),
        SignalKind::Velocity => (s.velocity.weight, s.velocity.min_verdict),
        SignalKind::CardTesting => (s.card_testing.weight, s.card_testing.min_verdict),
        SignalKind::CompromisedMerchant => (
            s.compromised_merchant.weight,
            s.compromised_merchant.min_verdict,
        ),
        SignalKind::CompromisedCard => (s.compromised_card.weight, s.compromised_card.min_verdict),
        SignalKind::UnknownCard | SignalKind::CardStatus | SignalKind::Learned => (0.0, None),
    }
}

/// Every rule's weight and the verdict it forces at least, in `RULES` order (compiled with the
/// configuration, so a decision does not look them up rule by rule).
pub(crate) fn all_settings(config: &Config) -> [(f32, Verdict); RULES.len()] {
    RULES.map(|kind| {
        let (weight, min_verdict) = settings(config, kind);
        (weight, min_verdict.unwrap_or(Verdict::Approve))
    })
}

/// Every rule's strength, in `RULES` order. Spelled out rule by rule so that, `strength` being
/// inlined with a constant kind, only each rule's own code runs: a loop over the kinds (or
/// `RULES.map`) kept the dispatch and reloaded the settings for every rule.
pub(crate) fn strengths(f: &Features, config: &Config) -> [f32; RULES.len()] {
    let [a, b, c, d, e, g, h, i, j, k] = RULES;
    [
        strength(a, f, config),
        strength(b, f, config),
        strength(c, f, config),
        strength(d, f, config),
        strength(e, f, config),
        strength(g, f, config),
        strength(h, f, config),
        strength(i, f, config),
        strength(j, f, config),
        strength(k, f, config),
    ]
}

/// 0 below `from`, ½ at `from`, 1 at `full` and above.
fn ramp(value: f32, from: f32, full: f32) -> f32 {
    if value.is_nan() || value < from {
        0.0
    } else if full <= from {
        1.0
    } else {
        (0.5 + 0.5 * (value - from) / (full - from)).min(1.0)
    }
}

/// How strongly one rule fires (0 = not at all). Inlined, so that with a constant kind only
/// that rule's code remains.
#[inline(always)]
pub(crate) fn strength(kind: SignalKind, f: &Features, config: &Config) -> f32 {
    let s = &config.signals;
    let card_present = f.get(F::CardPresent) > 0.5;
    let foreign = f.get(F::CountryShare) == 0.0;
    match kind {
        SignalKind::ImpossibleTravel => {
            let rule = &s.impossible_travel;
            if f.or(F::KmFromLastCp, 0.0) > rule.nearby_km {
                ramp(
                    f.get(F::SpeedKmh),
                    rule.max_speed_kmh,
                    3.0 * rule.max_speed_kmh,
                )
            } else {
                0.0
            }
        }
        SignalKind::UnusualCountry => {
            let rule = &s.unusual_country;
            if !(card_present && foreign && f.get(F::CpHistory) >= rule.min_history as f32) {
                return 0.0;
            }
            let zone_gap = f.or(F::ZoneHoursFromHome, 0.0);
            let base = 0.5 + 0.5 * (zone_gap / 6.0).min(1.0);
            if f.or(F::DaysSinceTravelBooking, f32::INFINITY) <= 30.0 {
                base * rule.after_travel_booking
            } else {
                base
            }
        }
        SignalKind::NightAbroad => {
            let rule = &s.night_abroad;
            let hour = f.get(F::MerchantLocalHour);
            let night = if rule.start_hour <= rule.end_hour {
                hour >= rule.start_hour && hour < rule.end_hour
            } else {
                hour >= rule.start_hour || hour < rule.end_hour
            };
            let known = f.get(F::CardHistory) >= rule.min_history as f32;
            f32::from(night && foreign && known)
        }
        SignalKind::UnusualHour => {
            let rule = &s.unusual_hour;
            let known = f.get(F::CardHistory) >= rule.min_history as f32;
            f32::from(known && f.or(F::HourShare, 1.0) <= rule.max_share)
        }
        SignalKind::UnusualAmount => {
            let rule = &s.unusual_amount;
            let z = if f.get(F::CategoryCount) >= rule.min_history as f32 {
                f.get(F::AmountZCategory)
            } else if f.get(F::CardHistory) >= rule.min_history as f32 {
                f.get(F::AmountZCard)
            } else {
                f32::NAN
            };
            let big_enough = f.or(F::AmountLog, f32::NEG_INFINITY) >= rule.min_amount_usd.ln();
            if big_enough {
                ramp(z, rule.z_threshold, 2.0 * rule.z_threshold)
            } else {
                0.0
            }
        }
        SignalKind::RiskyCategory => {
            let risk = f.or(F::MccRisk, 0.0);
            if risk > 0.0 && is_new_category(f) {
                risk * s.risky_category.new_for_card_factor
            } else {
                risk
            }
        }
        SignalKind::Velocity => {
            let rule = &s.velocity;
            let hour = f.get(F::CardTx1h) / rule.max_per_hour as f32;
            let day = f.get(F::CardTx24h) / rule.max_per_day as f32;
            ramp(hour.max(day), 1.0, 2.0)
        }
        SignalKind::CardTesting => {
            let rule = &s.card_testing;
            if f.get(F::CnpMicroMerchants) >= rule.min_merchants as f32 {
                ramp(
                    f.get(F::CnpMicroBurst),
                    rule.min_count as f32,
                    2.0 * rule.min_count as f32,
                )
            } else {
                0.0
            }
        }
        SignalKind::CompromisedMerchant => {
            let rule = &s.compromised_merchant;
            let rate = f.get(F::MerchantFraudRate7d);
            if f.get(F::MerchantFrauds28d) >= rule.min_frauds && rate >= rule.min_rate {
                (0.5 + rate).min(1.0)
            } else {
                0.0
            }
        }
        SignalKind::CompromisedCard => {
            let days = f.get(F::DaysSinceCardFraud);
            let window = s.compromised_card.days;
            if days <= window {
                1.0 - 0.5 * days / window
            } else {
                0.0
            }
        }
        SignalKind::UnknownCard | SignalKind::CardStatus | SignalKind::Learned => 0.0,
    }
}

/// The card has history but (almost) never used this category.
pub(crate) fn is_new_category(f: &Features) -> bool {
    f.get(F::CardHistory) >= 10.0 && f.get(F::CategoryShare) < 0.02
}

/// Sum of the rules' log-odds for a feature vector.
pub(crate) fn points(f: &Features, config: &Config) -> f32 {
    RULES
        .iter()
        .map(|&kind| settings(config, kind).0 * strength(kind, f, config))
        .sum()
}
