//! The engine: profiles in memory, one decision per authorization, learning from outcomes.

use std::collections::HashMap;

use domain::{Currency, Money, Timestamp};
use foldhash::fast::FixedState;

use crate::config::{Config, ConfigError};
use crate::features::{self, Current, Feature, Features, N_FEATURES, TravelReference};
use crate::geo::{UnknownZone, ZoneRef, Zones};
use crate::index::CardIndex;
use crate::mcc::{Category, Mcc};
use crate::model::{self, Model, ModelSummary, TrainingSet, sigmoid};
use crate::profile::{CardProfile, MerchantProfile, Observation, TAU_1D, secs};
use crate::rules::{self, RULES};
use crate::types::{
    Authorization, CardKey, CardStatus, Decision, Label, Merchant, Outcome, Reason, Signal,
    SignalKind, Verdict,
};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    ZoneTable(#[from] UnknownZone),
    #[error("too many cards for one engine (at most {max}); shard cards over several engines")]
    TooManyCards { max: usize },
}

/// Cards one engine holds (profile numbers are `u32`, one value marks a free index slot).
pub const MAX_CARDS: usize = u32::MAX as usize - 1;

/// The configuration compiled into lookup tables.
#[derive(Debug, Clone)]
struct Compiled {
    /// ln(units per US dollar), and minor units per unit (looking the exponent up by the
    /// currency's code for every decision cost as much as the rest of the amount's features).
    log_rates: HashMap<Currency, (f32, f64), FixedState>,
    /// Sorted MCC → risk.
    mcc_risk: Vec<(u16, f32)>,
    /// ln of the micro amount (card testing), in US dollars.
    log_micro_usd: f32,
    /// Weight and forced minimum verdict of each rule, in `RULES` order.
    rules: [(f32, Verdict); RULES.len()],
}

impl Compiled {
    fn new(config: &Config) -> Self {
        let log_rates = config
            .currencies
            .iter()
            .filter_map(|(code, rate)| {
                let currency = Currency::parse(code).ok()?;
                let scale = 10f64.powi(currency.minor_units() as i32);
                Some((currency, (rate.ln() as f32, scale)))
            })
            .collect();
        let mut mcc_risk: Vec<(u16, f32)> = config
            .signals
            .risky_category
            .mcc
            .iter()
            .filter_map(|(code, risk)| Some((Mcc::parse(code).ok()?.code(), *risk)))
            .collect();
        mcc_risk.sort_by_key(|(code, _)| *code);
        Self {
            log_rates,
            mcc_risk,
            log_micro_usd: config.profiles.micro_amount_usd.ln(),
            rules: rules::all_settings(config),
        }
    }

    fn log_usd(&self, amount: Money) -> Option<f32> {
        let (rate, scale) = self.log_rates.get(&amount.currency)?;
        // What `Money::as_major_f64` computes.
        let major = (amount.minor as f64 / scale).max(0.01) as f32;
        Some(major.ln() - rate)
    }

    fn mcc_risk(&self, mcc: Mcc) -> f32 {
        self.mcc_risk
            .binary_search_by_key(&mcc.code(), |(code, _)| *code)
            .map_or(0.0, |i| self.mcc_risk[i].1)
    }
}

/// Everything the engine learned; the edge persists it (serde) and restores it at start.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EngineState {
    cards: Vec<(CardKey, CardProfile)>,
    merchants: Vec<(String, MerchantProfile)>,
    model: Option<Model>,
    training: TrainingSet,
    next_retrain: u32,
}

/// Memory and population figures.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct EngineStats {
    pub cards: usize,
    pub merchants: usize,
    pub training_examples: usize,
    /// Bytes held for card profiles and their index (allocated capacity, not just used).
    pub card_bytes: usize,
    pub merchant_bytes: usize,
}

/// The fraud engine. Single-threaded: the edge owns one per shard of cards (or wraps it in a
/// mutex); every method takes the time it should consider "now" from its arguments.
#[derive(Debug, Clone)]
pub struct Engine {
    config: Config,
    compiled: Compiled,
    zones: Zones,
    card_index: CardIndex,
    cards: Vec<CardProfile>,
    merchant_index: HashMap<Box<str>, u32, FixedState>,
    merchants: Vec<MerchantProfile>,
    model: Option<Model>,
    training: TrainingSet,
    next_retrain: u32,
}

impl Engine {
    pub fn new(config: Config) -> Result<Self, EngineError> {
        Self::with_capacity(config, 0)
    }

    /// An engine with room for `cards` cards, so that growing never doubles the memory.
    pub fn with_capacity(config: Config, cards: usize) -> Result<Self, EngineError> {
        config.validate()?;
        Ok(Self {
            compiled: Compiled::new(&config),
            config,
            zones: Zones::embedded()?,
            card_index: CardIndex::with_capacity(cards),
            cards: Vec::with_capacity(cards),
            merchant_index: HashMap::with_hasher(FixedState::default()),
            merchants: Vec::new(),
            model: None,
            training: TrainingSet::default(),
            next_retrain: 0,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Applies a new configuration (an analyst's change); profiles and the model are kept.
    pub fn set_config(&mut self, config: Config) -> Result<(), EngineError> {
        config.validate()?;
        self.compiled = Compiled::new(&config);
        self.config = config;
        Ok(())
    }

    /// What the edge answers when the engine cannot decide in time.
    pub fn stand_in(&self) -> Verdict {
        self.config.decision.stand_in
    }

    /// Makes a card known (an issued card). Enrolling a known card only updates its status.
    pub fn enrol(&mut self, card: CardKey, status: CardStatus) -> Result<(), EngineError> {
        if let Some(i) = self.card_index.get(card) {
            self.cards[i as usize].status = status;
            return Ok(());
        }
        if self.cards.len() >= MAX_CARDS {
            return Err(EngineError::TooManyCards { max: MAX_CARDS });
        }
        self.card_index.insert_new(card);
        self.cards.push(CardProfile::new(status));
        Ok(())
    }

    /// Changes a card's status (locked, lost, stolen, active again); `false` for an unknown card.
    pub fn set_card_status(&mut self, card: CardKey, status: CardStatus) -> bool {
        match self.card_index.get(card) {
            Some(i) => {
                self.cards[i as usize].status = status;
                true
            }
            None => false,
        }
    }

    pub fn card_status(&self, card: CardKey) -> Option<CardStatus> {
        self.card_index
            .get(card)
            .map(|i| self.cards[i as usize].status)
    }

    pub fn model(&self) -> Option<&ModelSummary> {
        self.model.as_ref().map(Model::summary)
    }

    /// Decides one authorization at its own time `auth.at`, then updates the profiles with it.
    pub fn decide(&mut self, auth: &Authorization) -> Decision {
        let Some(card_index) = self.card_index.get(auth.card) else {
            return hard_decline(
                SignalKind::UnknownCard,
                Reason::Text("card is not known to the issuer".into()),
            );
        };
        let status = self.cards[card_index as usize].status;
        self.cards[card_index as usize].touch();
        if status != CardStatus::Active {
            return hard_decline(
                SignalKind::CardStatus,
                Reason::Text(format!("card is {}", status.label())),
            );
        }
        let at = secs(auth.at);
        let merchant_index = self.merchant(&auth.merchant, at);
        let card = &self.cards[card_index as usize];
        let merchant = &self.merchants[merchant_index as usize];
        let current = self.current(card, merchant, auth, at, merchant_index);
        let travel = current
            .location
            .and_then(|here| features::travel_reference(card, here, at, &self.config));
        let features = features::extract(card, merchant, &current, travel.as_ref(), &self.config);

        let mut reasons = Vec::new();
        let scored = self.model.as_ref().map(|model| model.score(&features));
        let mut logit = scored.map_or(self.config.decision.base_logit, |(logit, _)| logit);
        let mut forced = Verdict::Approve;
        let mut travel_fired = false;
        let strengths = rules::strengths(&features, &self.config);
        for ((kind, (weight, min_verdict)), strength) in
            RULES.into_iter().zip(self.compiled.rules).zip(strengths)
        {
            if weight <= 0.0 || strength <= 0.0 {
                continue;
            }
            travel_fired |= kind == SignalKind::ImpossibleTravel;
            let points = weight * strength;
            logit += points;
            forced = forced.max(min_verdict);
            reasons.push(Signal {
                kind,
                points,
                reason: self.reason(kind, &features, auth, card, merchant, travel.as_ref()),
            });
        }
        if let Some((_, contributions)) = &scored
            && let Some(signal) = explain(contributions, &features, self.config.model.explain_above)
        {
            reasons.push(signal);
        }
        reasons.sort_by(|a, b| b.points.total_cmp(&a.points));

        let score = f64::from(sigmoid(logit));
        let by_score = if score >= self.config.decision.decline_at {
            Verdict::Decline
        } else if score >= self.config.decision.challenge_at {
            Verdict::Challenge
        } else {
            Verdict::Approve
        };
        let verdict = by_score.max(forced);

        let observation = observation(auth, &current, at);
        let home_radius = self.config.profiles.home_radius_km;
        let zone = current.zone;
        let card = &mut self.cards[card_index as usize];
        if let Some(skipped) = travel.and_then(|t| t.skipped) {
            card.mark_suspect(skipped);
        }
        card.record_attempt(&observation, &features);
        if auth.card_present {
            card.record_location(&observation, travel_fired || verdict == Verdict::Decline);
        }
        if verdict == Verdict::Approve {
            card.learn_usual(&observation, home_radius, zone);
        }
        self.merchants[merchant_index as usize].tx_1d.add_to_known(
            at,
            features.get(Feature::MerchantTx1d),
            1.0,
            TAU_1D,
        );

        Decision {
            verdict,
            score,
            reasons,
            features,
        }
    }

    /// Learns from a confirmed outcome at `outcome.known_at`.
    pub fn learn(&mut self, outcome: &Outcome, original: Verdict) {
        let auth = &outcome.authorization;
        let at = secs(auth.at);
        let fraud = outcome.label == Label::Fraud;
        if let Some(&m) = self.merchant_index.get(auth.merchant.id.as_str()) {
            self.merchants[m as usize].learn_label(at, fraud);
        }
        if let Some(c) = self.card_index.get(auth.card) {
            if fraud {
                let card = &mut self.cards[c as usize];
                card.fraud_at = card.fraud_at.max(at);
            } else if original != Verdict::Approve {
                // Confirmed genuine after a challenge or decline: now it is usual behaviour.
                let merchant_index = self.merchant(&auth.merchant, at);
                let card = &self.cards[c as usize];
                let current = self.current(
                    card,
                    &self.merchants[merchant_index as usize],
                    auth,
                    at,
                    merchant_index,
                );
                let observation = observation(auth, &current, at);
                let home_radius = self.config.profiles.home_radius_km;
                let card = &mut self.cards[c as usize];
                card.clear_suspect(at);
                card.learn_usual(&observation, home_radius, current.zone);
            }
        }
        if let Some(features) = outcome.features {
            self.training.add(features, fraud, at, &self.config);
        }
    }

    /// Retrains the model when the configured interval has passed. Takes a fraction of a second
    /// per hundred thousand kept outcomes; returns the new model's summary when it trained.
    pub fn retrain_if_due(&mut self, now: Timestamp) -> Option<ModelSummary> {
        let now = secs(now);
        if !self.config.model.enabled || now < self.next_retrain {
            return None;
        }
        self.next_retrain = now.saturating_add(model::days_to_secs(
            self.config.model.retrain_every_hours / 24.0,
        ));
        self.training
            .forget_before(now.saturating_sub(model::days_to_secs(self.config.model.window_days)));
        let model = Model::train(&self.training, &self.config, now)?;
        let summary = model.summary().clone();
        self.model = Some(model);
        Some(summary)
    }

    pub fn stats(&self) -> EngineStats {
        // hashbrown keeps one control byte per bucket and at most 7/8 of the buckets full.
        let buckets = |capacity: usize| (capacity * 8 / 7).next_power_of_two();
        let merchant_buckets = buckets(self.merchant_index.capacity());
        EngineStats {
            cards: self.cards.len(),
            merchants: self.merchants.len(),
            training_examples: self.training.len(),
            card_bytes: self.cards.capacity() * size_of::<CardProfile>() + self.card_index.bytes(),
            merchant_bytes: self.merchants.capacity() * size_of::<MerchantProfile>()
                + merchant_buckets * (size_of::<(Box<str>, u32)>() + 1)
                + self.merchant_index.keys().map(|k| k.len()).sum::<usize>(),
        }
    }

    /// A copy of everything learned, for the edge to persist.
    pub fn state(&self) -> EngineState {
        let mut cards: Vec<(CardKey, CardProfile)> = self
            .card_index
            .iter()
            .map(|(key, i)| (key, self.cards[i as usize].clone()))
            .collect();
        cards.sort_by_key(|(key, _)| *key);
        let mut merchants: Vec<(String, MerchantProfile)> = self
            .merchant_index
            .iter()
            .map(|(id, &i)| (id.to_string(), self.merchants[i as usize].clone()))
            .collect();
        merchants.sort_by(|a, b| a.0.cmp(&b.0));
        EngineState {
            cards,
            merchants,
            model: self.model.clone(),
            training: self.training.clone(),
            next_retrain: self.next_retrain,
        }
    }

    /// An engine that continues from a persisted state.
    pub fn restore(config: Config, state: EngineState) -> Result<Self, EngineError> {
        let mut engine = Self::with_capacity(config, state.cards.len())?;
        for (key, profile) in state.cards {
            if engine.cards.len() >= MAX_CARDS {
                return Err(EngineError::TooManyCards { max: MAX_CARDS });
            }
            engine.card_index.insert_new(key);
            engine.cards.push(profile);
        }
        for (id, profile) in state.merchants {
            let index = engine.merchants.len() as u32;
            engine.merchants.push(profile);
            engine.merchant_index.insert(id.into_boxed_str(), index);
        }
        engine.model = state.model;
        engine.training = state.training;
        engine.next_retrain = state.next_retrain;
        Ok(engine)
    }

    /// The merchant's profile index, created on first sight; its zone follows its position.
    fn merchant(&mut self, merchant: &Merchant, at: u32) -> u32 {
        let index = match self.merchant_index.get(merchant.id.as_str()) {
            Some(&i) => i,
            None => {
                let i = self.merchants.len() as u32;
                let mut profile = MerchantProfile::new(at);
                profile.zone = self.zones.of_country(merchant.country);
                self.merchants.push(profile);
                self.merchant_index.insert(merchant.id.as_str().into(), i);
                i
            }
        };
        if let Some(location) = merchant.location {
            let profile = &mut self.merchants[index as usize];
            let moved = profile.location.is_none_or(|(lat, lon)| {
                (f64::from(lat) - location.lat).abs() > 0.01
                    || (f64::from(lon) - location.lon).abs() > 0.01
            });
            if moved {
                profile.location = Some((location.lat as f32, location.lon as f32));
                profile.zone = Some(self.zones.at(location));
            }
        }
        index
    }

    fn current(
        &self,
        card: &CardProfile,
        merchant: &MerchantProfile,
        auth: &Authorization,
        at: u32,
        merchant_index: u32,
    ) -> Current {
        let location = if auth.card_present {
            auth.merchant.location
        } else {
            None
        };
        let merchant_zone = merchant.zone;
        // Card-present: the cardholder is at the merchant. Online: at home, as far as we know.
        let cardholder_zone = if location.is_some() {
            merchant_zone
        } else {
            card.home_zone.or(merchant_zone)
        };
        // Every zone here is the merchant's or the card's home zone: one offset look-up each.
        let offset = |zone: Option<ZoneRef>| zone.map(|z| self.zones.offset_seconds(z, auth.at));
        let merchant_offset = offset(merchant_zone);
        let home_offset = offset(card.home_zone);
        let cardholder_offset = if location.is_some() {
            merchant_offset
        } else {
            home_offset.or(merchant_offset)
        };
        let hour = |offset: Option<i32>| {
            offset.map_or_else(
                || (at % 86_400) as f32 / 3600.0,
                |seconds| Zones::local_hour(seconds, auth.at),
            )
        };
        let zone_hours_from_home = match (home_offset, merchant_offset) {
            (Some(home), Some(there)) => {
                let gap = (there - home).abs() as f32 / 3600.0;
                Some(gap.min(24.0 - gap))
            }
            _ => None,
        };
        let log_usd = self.compiled.log_usd(auth.amount);
        let category = auth.merchant.mcc.category();
        Current {
            at,
            log_usd,
            category,
            country: auth.merchant.country.bytes(),
            card_present: auth.card_present,
            location,
            km_from_home: location
                .zip(card.home_point())
                .map(|(here, home)| here.distance_km(home)),
            local_hour: hour(cardholder_offset),
            merchant_local_hour: hour(merchant_offset),
            zone_hours_from_home,
            zone: cardholder_zone,
            merchant_tag: merchant_index as u8,
            micro: log_usd.is_some_and(|l| l < self.compiled.log_micro_usd),
            mcc_risk: self.compiled.mcc_risk(auth.merchant.mcc),
        }
    }

    /// Why a signal fired, as figures (put into words only when displayed).
    fn reason(
        &self,
        kind: SignalKind,
        f: &Features,
        auth: &Authorization,
        card: &CardProfile,
        merchant: &MerchantProfile,
        travel: Option<&TravelReference>,
    ) -> Reason {
        let country = auth.merchant.country;
        match kind {
            SignalKind::ImpossibleTravel => Reason::ImpossibleTravel {
                km: f.get(Feature::KmFromLastCp),
                minutes: f.get(Feature::MinutesFromLastCp),
                speed_kmh: f.get(Feature::SpeedKmh),
                from: travel.map(|t| t.from.country),
            },
            SignalKind::UnusualCountry => Reason::UnusualCountry {
                country,
                zone: merchant.zone.map(|z| self.zones.name(z)),
                zone_hours: f.or(Feature::ZoneHoursFromHome, 0.0),
                usual: card.cp_countries.top(),
            },
            SignalKind::NightAbroad => Reason::NightAbroad {
                hour: f.get(Feature::MerchantLocalHour),
                country,
            },
            SignalKind::UnusualHour => Reason::UnusualHour {
                hour: f.get(Feature::LocalHour),
                share: f.or(Feature::HourShare, 0.0),
            },
            SignalKind::UnusualAmount => {
                let category = auth.merchant.mcc.category();
                let stats = card.categories[category.index()];
                let (usual, what) = if f.get(Feature::CategoryCount)
                    >= self.config.signals.unusual_amount.min_history as f32
                {
                    (stats.stats().mean, category.label())
                } else {
                    (card.amounts.mean, "all categories")
                };
                Reason::UnusualAmount {
                    amount: auth.amount,
                    ratio: (f.get(Feature::AmountLog) - usual).exp(),
                    usual_usd: usual.exp(),
                    what,
                }
            }
            SignalKind::RiskyCategory => Reason::RiskyCategory {
                mcc: auth.merchant.mcc,
                new_for_card: rules::is_new_category(f),
            },
            SignalKind::Velocity => Reason::Velocity {
                hour: f.get(Feature::CardTx1h),
                day: f.get(Feature::CardTx24h),
            },
            SignalKind::CardTesting => Reason::CardTesting {
                count: f.get(Feature::CnpMicroBurst),
                micro_usd: self.config.profiles.micro_amount_usd,
                merchants: f.get(Feature::CnpMicroMerchants),
                window_minutes: self.config.signals.card_testing.window_minutes,
            },
            SignalKind::CompromisedMerchant => Reason::CompromisedMerchant {
                merchant: auth.merchant.id.as_str().into(),
                frauds: f.get(Feature::MerchantFrauds28d),
                rate: f.get(Feature::MerchantFraudRate7d),
            },
            SignalKind::CompromisedCard => Reason::CompromisedCard {
                days: f.get(Feature::DaysSinceCardFraud),
            },
            SignalKind::UnknownCard | SignalKind::CardStatus | SignalKind::Learned => {
                Reason::Text(String::new())
            }
        }
    }
}

fn observation(auth: &Authorization, current: &Current, at: u32) -> Observation {
    Observation {
        at,
        log_usd: current.log_usd,
        category: current.category,
        country: current.country,
        card_present: auth.card_present,
        location: current.location,
        km_from_home: current.km_from_home,
        local_hour: current.local_hour,
        merchant_tag: current.merchant_tag,
        micro: current.micro,
        travel_booking: current.category == Category::Travel && !auth.card_present,
    }
}

fn hard_decline(kind: SignalKind, reason: Reason) -> Decision {
    Decision {
        verdict: Verdict::Decline,
        score: 1.0,
        reasons: vec![Signal {
            kind,
            points: f32::INFINITY,
            reason,
        }],
        features: Features::missing(),
    }
}

/// The model's largest contributions, when together they add enough to be worth saying.
fn explain(contributions: &[f32; N_FEATURES], f: &Features, above: f32) -> Option<Signal> {
    let mut total = 0.0f32;
    let mut top = [(Feature::AmountLog, 0.0f32, f32::NEG_INFINITY); 3];
    let mut len = 0u8;
    for (j, &c) in contributions.iter().enumerate() {
        if c <= 0.2 {
            continue;
        }
        total += c;
        // Keep the three largest, first come first on ties (a stable sort would do the same).
        let Some(at) = top.iter().position(|t| c > t.2) else {
            continue;
        };
        top.copy_within(at..2, at + 1);
        let feature = Feature::ALL[j];
        top[at] = (feature, f.get(feature), c);
        len = (len + 1).min(3);
    }
    if total < above {
        return None;
    }
    Some(Signal {
        kind: SignalKind::Learned,
        points: total,
        reason: Reason::Learned { top, len },
    })
}
