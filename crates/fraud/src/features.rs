//! The numbers the rules and the learned model see: computed from the profiles as they were just
//! before the authorization, so the same vector can be stored and learned from later.

use std::fmt;

use crate::config::Config;
use crate::geo::{GeoPoint, ZoneRef};
use crate::mcc::Category;
use crate::profile::{
    CardProfile, CpPoint, DAY, HOUR, MerchantProfile, TAU_1D, TAU_7D, TAU_28D, TAU_30D, TX_CNP,
    TX_MICRO,
};

macro_rules! features {
    ($($variant:ident => $name:literal, $about:literal;)*) => {
        /// One input of the rules and the model.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum Feature { $($variant),* }

        impl Feature {
            pub const ALL: &'static [Feature] = &[$(Feature::$variant),*];

            /// Short machine name (`amount_usd_log`).
            pub fn name(self) -> &'static str {
                match self { $(Feature::$variant => $name),* }
            }

            /// What it measures, for analysts.
            pub fn about(self) -> &'static str {
                match self { $(Feature::$variant => $about),* }
            }
        }
    };
}

features! {
    AmountLog => "amount_usd_log", "ln of the amount in US dollars";
    AmountZCard => "amount_z_card", "amount above the card's usual, in typical deviations of its log amounts";
    AmountZCategory => "amount_z_category", "amount above the card's usual in this category, in typical deviations";
    CategoryCount => "category_count", "earlier approved purchases of the card in this category";
    CategoryShare => "category_share", "share of the card's purchases in this category";
    CardTx1h => "card_tx_1h", "the card's authorizations in the last hour, this one included";
    CardTx24h => "card_tx_24h", "the card's authorizations in the last 24 hours, this one included";
    CardTx7d => "card_tx_7d", "the card's authorizations, exponentially weighted over about a week";
    CardTx30d => "card_tx_30d", "the card's authorizations, exponentially weighted over about a month";
    CardAvg7dVsUsual => "card_avg_7d_vs_usual", "ln of the card's mean amount over about a week over its usual amount";
    CardSum24hVsUsual => "card_sum_24h_vs_usual", "ln of the card's spending in 24 hours (this one included) over its usual amount";
    MinutesSinceLast => "minutes_since_last_log", "ln(1 + minutes since the card's previous authorization)";
    CardHistory => "card_history", "approved authorizations the card has made";
    CardPresent => "card_present", "1 when the card is present at a terminal";
    CountryShare => "country_share", "share of the card's uses (card-present, or any for online) in this country";
    CpHistory => "card_present_history", "approved card-present uses the card has made";
    KmFromHome => "km_from_home", "distance from the card's home area";
    KmFromLastCp => "km_from_last_cp", "distance from the card's last trustworthy card-present use";
    MinutesFromLastCp => "minutes_from_last_cp", "minutes since that use";
    SpeedKmh => "speed_kmh", "speed needed to get here from that use";
    LocalHour => "local_hour", "local time of day where the cardholder is (0–24)";
    MerchantLocalHour => "merchant_local_hour", "local time of day at the merchant (its position, else its country)";
    HourShare => "hour_share", "share of the card's purchases within an hour of this time of day";
    ZoneHoursFromHome => "zone_hours_from_home", "hours between this place's time zone and the card's home time zone";
    CnpMicroBurst => "cnp_micro_burst", "card-not-present micro amounts in the card-testing window, this one included";
    CnpMicroMerchants => "cnp_micro_merchants", "distinct merchants among them";
    CnpTx1h => "cnp_tx_1h", "the card's card-not-present authorizations in the last hour, this one included";
    DaysSinceTravelBooking => "days_since_travel_booking", "days since the card bought travel (airline, travel agency)";
    DaysSinceCardFraud => "days_since_card_fraud", "days since the card's latest confirmed fraud";
    CategoryIndex => "category", "merchant category group (0–15)";
    MccRisk => "mcc_risk", "configured risk of the merchant category code (0–1)";
    MerchantFraudRate7d => "merchant_fraud_rate_7d", "merchant's share of fraud among labelled transactions, about the last week of labels";
    MerchantFrauds28d => "merchant_frauds_28d", "merchant's confirmed frauds, exponentially weighted over about four weeks";
    DaysSinceMerchantFraud => "days_since_merchant_fraud", "days since the merchant's latest confirmed fraud";
    MerchantRunDays => "merchant_fraud_run_days", "days since the merchant's current run of confirmed frauds (no genuine transaction since) began";
    MerchantRunFrauds => "merchant_fraud_run", "confirmed frauds in that run";
    MerchantTx1d => "merchant_tx_1d", "merchant's authorizations, exponentially weighted over about a day";
    MerchantFraudRate90d => "merchant_fraud_rate_90d", "merchant's share of fraud among labelled transactions, about three months";
    MerchantAgeDays => "merchant_age_days", "days since the merchant was first seen";
}

pub const N_FEATURES: usize = 39;

/// Feature values of one authorization (`NaN` = not available, e.g. no earlier card-present use).
#[derive(Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(into = "Vec<Option<f32>>", try_from = "Vec<Option<f32>>")]
pub struct Features(pub(crate) [f32; N_FEATURES]);

impl Features {
    pub(crate) fn missing() -> Self {
        Self([f32::NAN; N_FEATURES])
    }

    pub fn get(&self, feature: Feature) -> f32 {
        self.0[feature as usize]
    }

    pub(crate) fn set(&mut self, feature: Feature, value: f32) {
        self.0[feature as usize] = value;
    }

    pub fn values(&self) -> &[f32; N_FEATURES] {
        &self.0
    }

    /// Missing values read as `fallback`.
    pub(crate) fn or(&self, feature: Feature, fallback: f32) -> f32 {
        let v = self.get(feature);
        if v.is_nan() { fallback } else { v }
    }
}

impl fmt::Debug for Features {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for &feature in Feature::ALL {
            map.entry(&feature.name(), &self.get(feature));
        }
        map.finish()
    }
}

/// Missing values travel as `null`.
impl From<Features> for Vec<Option<f32>> {
    fn from(f: Features) -> Self {
        f.0.iter().map(|v| (!v.is_nan()).then_some(*v)).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a feature vector has {0} values; this engine uses {N_FEATURES}")]
pub struct WrongFeatureCount(pub usize);

impl TryFrom<Vec<Option<f32>>> for Features {
    type Error = WrongFeatureCount;
    fn try_from(v: Vec<Option<f32>>) -> Result<Self, Self::Error> {
        if v.len() != N_FEATURES {
            return Err(WrongFeatureCount(v.len()));
        }
        let mut f = Features::missing();
        for (slot, value) in f.0.iter_mut().zip(v) {
            *slot = value.unwrap_or(f32::NAN);
        }
        Ok(f)
    }
}

/// The authorization as the feature extractor needs it.
pub(crate) struct Current {
    pub(crate) at: u32,
    pub(crate) log_usd: Option<f32>,
    pub(crate) category: Category,
    pub(crate) country: [u8; 2],
    pub(crate) card_present: bool,
    pub(crate) location: Option<GeoPoint>,
    /// Distance from the card's home area (card-present, once the card has a home); also what
    /// decides whether this use moves the home.
    pub(crate) km_from_home: Option<f64>,
    pub(crate) local_hour: f32,
    pub(crate) merchant_local_hour: f32,
    pub(crate) zone_hours_from_home: Option<f32>,
    /// The cardholder's zone: the merchant's when card-present, else the card's home zone.
    pub(crate) zone: Option<ZoneRef>,
    pub(crate) merchant_tag: u8,
    pub(crate) micro: bool,
    pub(crate) mcc_risk: f32,
}

/// The earlier card-present use that travel is measured from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TravelReference {
    pub(crate) from: CpPoint,
    pub(crate) km: f32,
    pub(crate) minutes: f32,
    /// The newest use turned out to be the odd one out: mark it suspect.
    pub(crate) skipped: Option<u32>,
}

pub(crate) fn travel_reference(
    card: &CardProfile,
    here: GeoPoint,
    at: u32,
    config: &Config,
) -> Option<TravelReference> {
    let rules = &config.signals.impossible_travel;
    let measure = |p: CpPoint| {
        let km = p.point().distance_km(here) as f32;
        let minutes = at.saturating_sub(p.at) as f32 / 60.0;
        let implausible = km > rules.nearby_km && km > rules.max_speed_kmh * minutes / 60.0;
        (km, minutes, implausible)
    };
    let mut trusted = card.cp_points.iter().filter(|p| p.is_set() && !p.suspect);
    let newest = *trusted.next()?;
    let (km, minutes, implausible) = measure(newest);
    if implausible && let Some(&older) = trusted.next() {
        let (older_km, older_minutes, older_implausible) = measure(older);
        // The newest use is the odd one out only if it was itself out of reach of the older one.
        let newest_was_odd = {
            let hop_km = older.point().distance_km(newest.point()) as f32;
            let hop_minutes = newest.at.saturating_sub(older.at) as f32 / 60.0;
            hop_km > rules.nearby_km && hop_km > rules.max_speed_kmh * hop_minutes / 60.0
        };
        if newest_was_odd && !older_implausible {
            return Some(TravelReference {
                from: older,
                km: older_km,
                minutes: older_minutes,
                skipped: Some(newest.at),
            });
        }
    }
    Some(TravelReference {
        from: newest,
        km,
        minutes,
        skipped: None,
    })
}

pub(crate) fn extract(
    card: &CardProfile,
    merchant: &MerchantProfile,
    now: &Current,
    travel: Option<&TravelReference>,
    config: &Config,
) -> Features {
    use Feature as F;
    let mut f = Features::missing();
    let at = now.at;
    let days_since = |then: u32| {
        if then == 0 || then > at {
            f32::NAN
        } else {
            (at - then) as f32 / DAY
        }
    };

    let category = card.categories[now.category.index()];
    if let Some(log_usd) = now.log_usd {
        f.set(F::AmountLog, log_usd);
        if card.count > 0 {
            f.set(F::AmountZCard, card.amounts.z(log_usd));
        }
        if category.count >= 3 {
            f.set(F::AmountZCategory, category.stats().z(log_usd));
        }
    }
    f.set(F::CategoryCount, f32::from(category.count));
    f.set(F::CategoryShare, card.category_share(now.category));

    let one_if = |flag: bool| u32::from(flag) as f32;
    // The sliding windows in one pass over the recent authorizations, oldest slot first.
    let want_usd_24h = card.count > 0 && now.log_usd.is_some();
    let (mut tx_1h, mut cnp_1h, mut tx_24h, mut usd_24h) = (0u32, 0u32, 0u32, -0.0f32);
    for r in card.recent_within(at, 24 * HOUR) {
        tx_24h += 1;
        if want_usd_24h {
            usd_24h += r.usd();
        }
        if at - r.at <= HOUR {
            tx_1h += 1;
            cnp_1h += u32::from(r.flags & TX_CNP != 0);
        }
    }
    f.set(F::CardTx1h, tx_1h as f32 + 1.0);
    f.set(F::CardTx24h, tx_24h as f32 + 1.0);
    let count_7d = card.count_7d.value_at(at, TAU_7D);
    f.set(F::CardTx7d, count_7d);
    f.set(F::CardTx30d, card.count_30d.value_at(at, TAU_30D));
    if card.count > 0 {
        let usual = card.amounts.mean;
        if count_7d > 0.5 {
            let avg_7d = card.sum_7d.value_at(at, TAU_7D) / count_7d;
            f.set(F::CardAvg7dVsUsual, avg_7d.max(1e-3).ln() - usual);
        }
        if let Some(log_usd) = now.log_usd {
            let sum_24h = usd_24h + log_usd.exp();
            f.set(F::CardSum24hVsUsual, sum_24h.ln() - usual);
        }
    }
    if card.last_at != 0 && card.last_at <= at {
        f.set(
            F::MinutesSinceLast,
            ((at - card.last_at) as f32 / 60.0).ln_1p(),
        );
    }
    f.set(F::CardHistory, card.count as f32);
    f.set(F::CardPresent, one_if(now.card_present));

    let country_share = if now.card_present {
        f32::from(card.cp_countries.count(now.country)) / card.cp_countries.total().max(1) as f32
    } else {
        let seen = u32::from(card.cp_countries.count(now.country))
            + u32::from(card.cnp_countries.count(now.country));
        let total = card.cp_countries.total() + card.cnp_countries.total();
        seen as f32 / total.max(1) as f32
    };
    f.set(F::CountryShare, country_share);
    f.set(F::CpHistory, card.cp_count as f32);
    if let Some(km) = now.km_from_home {
        f.set(F::KmFromHome, km as f32);
    }
    if let Some(travel) = travel {
        f.set(F::KmFromLastCp, travel.km);
        f.set(F::MinutesFromLastCp, travel.minutes);
        f.set(F::SpeedKmh, travel.km / (travel.minutes.max(1.0) / 60.0));
    }
    f.set(F::LocalHour, now.local_hour);
    f.set(F::MerchantLocalHour, now.merchant_local_hour);
    if card.count >= 10 {
        f.set(F::HourShare, card.hour_share(now.local_hour));
    }
    if let Some(hours) = now.zone_hours_from_home {
        f.set(F::ZoneHoursFromHome, hours);
    }

    let cnp_micro_now = !now.card_present && now.micro;
    let window = config.signals.card_testing.window_minutes * 60;
    if cnp_micro_now {
        let mut tags = [now.merchant_tag; 32];
        let mut distinct = 1;
        let mut count = 1.0;
        for r in card.recent_within(at, window) {
            if r.flags & (TX_CNP | TX_MICRO) == TX_CNP | TX_MICRO {
                count += 1.0;
                if !tags[..distinct].contains(&r.merchant_tag) && distinct < tags.len() {
                    tags[distinct] = r.merchant_tag;
                    distinct += 1;
                }
            }
        }
        f.set(F::CnpMicroBurst, count);
        f.set(F::CnpMicroMerchants, distinct as f32);
    } else {
        f.set(F::CnpMicroBurst, 0.0);
        f.set(F::CnpMicroMerchants, 0.0);
    }
    f.set(F::CnpTx1h, cnp_1h as f32 + one_if(!now.card_present));
    f.set(F::DaysSinceTravelBooking, days_since(card.travel_booked_at));
    f.set(F::DaysSinceCardFraud, days_since(card.fraud_at));
    f.set(F::CategoryIndex, now.category.index() as f32);
    f.set(F::MccRisk, now.mcc_risk);

    f.set(F::MerchantFraudRate7d, merchant.fraud_rate_7d(at));
    f.set(
        F::MerchantFrauds28d,
        merchant.frauds_28d.value_at(at, TAU_28D),
    );
    f.set(F::DaysSinceMerchantFraud, days_since(merchant.fraud_at));
    f.set(F::MerchantRunDays, days_since(merchant.run_start));
    f.set(F::MerchantRunFrauds, f32::from(merchant.run_frauds));
    f.set(F::MerchantTx1d, merchant.tx_1d.value_at(at, TAU_1D));
    f.set(F::MerchantFraudRate90d, merchant.fraud_rate_90d(at));
    f.set(F::MerchantAgeDays, days_since(merchant.first_seen));
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_feature_is_listed_once() {
        assert_eq!(Feature::ALL.len(), N_FEATURES);
        for (i, f) in Feature::ALL.iter().enumerate() {
            assert_eq!(*f as usize, i);
        }
        let mut names: Vec<_> = Feature::ALL.iter().map(|f| f.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), N_FEATURES);
    }

    #[test]
    fn features_round_trip_through_json() {
        let mut f = Features::missing();
        f.set(Feature::AmountLog, 3.5);
        let json = serde_json::to_string(&f).unwrap();
        assert!(json.starts_with("[3.5,null,"), "{json}");
        let back: Features = serde_json::from_str(&json).unwrap();
        assert_eq!(back.get(Feature::AmountLog), 3.5);
        assert!(back.get(Feature::AmountZCard).is_nan());
        assert!(serde_json::from_str::<Features>("[1.0, 2.0]").is_err());
    }
}
