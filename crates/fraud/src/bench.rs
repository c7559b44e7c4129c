//! Benchmarks the CLI runs (`helpline bench fraud`): in-process decisions per second over many
//! cards with synthetic traffic, and profile memory per card. The caller passes the clock that
//! times the decisions (wall time, or the thread's CPU time on a shared machine).

use std::time::Duration;

use domain::{Country, Currency, Money, Timestamp};

use crate::config::Config;
use crate::engine::{Engine, EngineError};
use crate::geo::GeoPoint;
use crate::mcc::Mcc;
use crate::types::{
    Authorization, CardKey, CardStatus, Label, Merchant, Outcome, OutcomeSource, Verdict,
};

/// Decision throughput on one core.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Throughput {
    pub cards: usize,
    pub decisions: u64,
    pub seconds: f64,
    pub decisions_per_second: f64,
    pub challenged: u64,
    pub declined: u64,
    /// Whether the learned model took part (it is trained during the warm-up).
    pub with_model: bool,
}

/// Memory held by the card profiles.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Memory {
    pub cards: usize,
    /// Profile struct size.
    pub profile_bytes: usize,
    /// Profiles plus index, as allocated.
    pub card_bytes: usize,
    pub bytes_per_card: f64,
    /// Extrapolated to ten million cards, in GiB.
    pub gib_for_10m_cards: f64,
}

/// A small deterministic generator (SplitMix64): the traffic is the same on every run.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const CITIES: [(f64, f64, &str, &str); 6] = [
    (40.71, -74.01, "US", "USD"),
    (51.51, -0.13, "GB", "GBP"),
    (48.86, 2.35, "FR", "EUR"),
    (35.68, 139.69, "JP", "JPY"),
    (-33.87, 151.21, "AU", "AUD"),
    (43.65, -79.38, "CA", "CAD"),
];
const MCCS: [&str; 8] = [
    "5411", "5812", "5814", "5541", "5999", "4121", "5732", "6011",
];
const MERCHANTS_PER_CITY: u64 = 5_000;

/// Synthetic traffic: cards live in one of a few cities and mostly buy from local merchants.
struct Traffic {
    rng: SplitMix,
    cards: u64,
    at: i64,
    merchants: Vec<Merchant>,
    currencies: Vec<Currency>,
}

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("synthetic traffic could not be built: {0}")]
    Traffic(String),
}

impl Traffic {
    fn new(cards: u64, seed: u64) -> Result<Self, BenchError> {
        let mut rng = SplitMix(seed);
        let mut merchants = Vec::new();
        let mut currencies = Vec::new();
        let broken = |e: &dyn std::fmt::Display| BenchError::Traffic(e.to_string());
        for (city, &(lat, lon, country, currency)) in CITIES.iter().enumerate() {
            currencies.push(Currency::parse(currency).map_err(|e| broken(&e))?);
            let country = Country::parse(country).map_err(|e| broken(&e))?;
            for m in 0..MERCHANTS_PER_CITY {
                let location = GeoPoint::new(
                    lat + (rng.unit() - 0.5) * 0.3,
                    lon + (rng.unit() - 0.5) * 0.3,
                )
                .map_err(|e| broken(&e))?;
                let mcc = MCCS[rng.below(MCCS.len() as u64) as usize];
                merchants.push(Merchant {
                    id: format!("M{city}-{m}"),
                    name: String::new(),
                    mcc: Mcc::parse(mcc).map_err(|e| broken(&e))?,
                    country,
                    city: String::new(),
                    location: Some(location),
                });
            }
        }
        Ok(Self {
            rng,
            cards,
            at: 1_717_200_000,
            merchants,
            currencies,
        })
    }

    /// The next authorization; time advances so that each card makes about three a day.
    fn next(&mut self) -> Authorization {
        let card = self.rng.below(self.cards);
        let home = (card % CITIES.len() as u64) as usize;
        // One purchase in fifty abroad.
        let city = if self.rng.below(50) == 0 {
            self.rng.below(CITIES.len() as u64) as usize
        } else {
            home
        };
        let merchant = &self.merchants
            [city * MERCHANTS_PER_CITY as usize + self.rng.below(MERCHANTS_PER_CITY) as usize];
        let card_present = self.rng.below(4) != 0;
        let usd = (2.0 + 3.0 * self.rng.unit()).exp();
        let currency = self.currencies[city];
        let minor_scale = 10f64.powi(currency.minor_units() as i32);
        let rate = match currency.code() {
            "JPY" => 150.0,
            "GBP" => 0.79,
            "EUR" => 0.92,
            "AUD" => 1.52,
            "CAD" => 1.36,
            _ => 1.0,
        };
        self.at += 1 + (86_400 / (3 * self.cards as i64).max(1)).max(0);
        let mut merchant = merchant.clone();
        if !card_present {
            merchant.location = None;
        }
        Authorization {
            card: CardKey::from_u128(u128::from(card) + 1),
            amount: Money::new((usd * rate * minor_scale) as i64, currency),
            merchant,
            card_present,
            at: Timestamp::from_second(self.at).unwrap_or(Timestamp::UNIX_EPOCH),
        }
    }
}

/// An engine with `cards` enrolled cards, each with some history, and a trained model.
fn warmed_engine(cards: usize, seed: u64) -> Result<(Engine, Traffic), BenchError> {
    let mut config = Config::default_rules().map_err(EngineError::from)?;
    config.model.min_frauds = 20;
    let mut engine = Engine::with_capacity(config, cards)?;
    for card in 0..cards {
        engine.enrol(CardKey::from_u128(card as u128 + 1), CardStatus::Active)?;
    }
    let mut traffic = Traffic::new(cards as u64, seed)?;
    // Two purchases per card on average; merchants ending in 7 are "compromised".
    for _ in 0..cards * 2 {
        let auth = traffic.next();
        let decision = engine.decide(&auth);
        let fraud = auth.merchant.id.ends_with('7') && traffic.rng.below(3) == 0;
        engine.learn(
            &Outcome {
                label: if fraud { Label::Fraud } else { Label::Genuine },
                source: OutcomeSource::Replay,
                known_at: auth.at,
                features: Some(decision.features),
                authorization: auth,
            },
            decision.verdict,
        );
    }
    engine.retrain_if_due(Timestamp::from_second(traffic.at).unwrap_or(Timestamp::UNIX_EPOCH));
    Ok((engine, traffic))
}

/// This thread's CPU time (user + system) from /proc, in clock ticks of 10 ms: the machine may
/// be shared, so wall time alone would understate the engine. Zero where /proc is missing.
pub fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat; the first after the name is field 3.
    let field = |n: usize| {
        fields
            .get(n - 3)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Duration::from_millis((field(14) + field(15)) * 10)
}

/// Decisions per second on this thread over `cards` cards, timing `decisions` decisions with
/// `clock` (any monotonic reading; the synthetic authorizations are built outside the timed
/// sections).
pub fn decisions_per_second(
    cards: usize,
    decisions: u64,
    seed: u64,
    mut clock: impl FnMut() -> Duration,
) -> Result<Throughput, BenchError> {
    let (mut engine, mut traffic) = warmed_engine(cards, seed)?;
    let with_model = engine.model().is_some();
    let mut batch = Vec::with_capacity(65_536);
    let (mut done, mut seconds, mut challenged, mut declined) = (0u64, 0.0f64, 0u64, 0u64);
    while done < decisions {
        batch.clear();
        let n = (decisions - done).min(65_536);
        batch.extend((0..n).map(|_| traffic.next()));
        let start = clock();
        for auth in &batch {
            match engine.decide(auth).verdict {
                Verdict::Challenge => challenged += 1,
                Verdict::Decline => declined += 1,
                Verdict::Approve => {}
            }
        }
        seconds += clock().saturating_sub(start).as_secs_f64();
        done += n;
    }
    Ok(Throughput {
        cards,
        decisions: done,
        seconds,
        decisions_per_second: done as f64 / seconds.max(1e-9),
        challenged,
        declined,
        with_model,
    })
}

/// Profile memory per card after every card made a few purchases.
pub fn bytes_per_card(cards: usize, seed: u64) -> Result<Memory, BenchError> {
    let (engine, _) = warmed_engine(cards, seed)?;
    let stats = engine.stats();
    let per_card = stats.card_bytes as f64 / stats.cards.max(1) as f64;
    Ok(Memory {
        cards: stats.cards,
        profile_bytes: size_of::<crate::profile::CardProfile>(),
        card_bytes: stats.card_bytes,
        bytes_per_card: per_card,
        gib_for_10m_cards: per_card * 10_000_000.0 / (1u64 << 30) as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn benchmarks_run_on_a_small_population() {
        let mut ticks = Duration::ZERO;
        let clock = || {
            ticks += Duration::from_millis(1);
            ticks
        };
        let t = decisions_per_second(2_000, 20_000, 1, clock).unwrap();
        assert_eq!(t.decisions, 20_000);
        assert!(t.with_model);
        let m = bytes_per_card(2_000, 1).unwrap();
        assert_eq!(m.cards, 2_000);
        assert!(m.bytes_per_card < 400.0 * 1.5, "{m:?}");
    }
}
