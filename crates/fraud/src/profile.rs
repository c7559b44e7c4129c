//! Compact, fixed-size behavioural profiles: 320 bytes per card.
//!
//! Times are whole seconds since the Unix epoch in a `u32` (0 = never); amounts are US dollars,
//! kept as natural logarithms, quantised where many of them are stored.

use crate::features::{Feature, Features};
use crate::geo::{GeoPoint, ZoneRef};
use crate::mcc::Category;
use crate::types::CardStatus;

pub(crate) const DAY: f32 = 86_400.0;
pub(crate) const HOUR: u32 = 3600;
/// Recent authorizations kept per card for the short sliding windows.
pub(crate) const RECENT: usize = 10;
/// Recent card-present uses kept per card.
pub(crate) const CP_POINTS: usize = 3;
const COUNTRIES: usize = 4;
/// Prior spread of log amounts (≈ ×1.3) so that a short history does not make every amount odd.
const MIN_LOG_DEV: f32 = 0.25;

/// Seconds since the epoch as stored in profiles.
pub(crate) fn secs(at: domain::Timestamp) -> u32 {
    u32::try_from(at.as_second().max(1)).unwrap_or(u32::MAX)
}

/// An exponentially decayed sum of events: Σ amountᵢ · e^(−(now − tᵢ)/τ). Events may arrive out of
/// time order (labels do).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Decayed {
    value: f32,
    at: u32,
}

impl Decayed {
    pub(crate) fn value_at(self, now: u32, tau: f32) -> f32 {
        // Nothing to decay (most merchants have no frauds): skip the exponential; the product
        // would be this same zero.
        if self.at == 0 || now <= self.at || self.value == 0.0 {
            return self.value;
        }
        self.value * (-((now - self.at) as f32) / tau).exp()
    }

    pub(crate) fn add(&mut self, at: u32, amount: f32, tau: f32) {
        if at >= self.at {
            self.value = self.value_at(at, tau) + amount;
            self.at = at;
        } else {
            self.value += amount * (-((self.at - at) as f32) / tau).exp();
        }
    }

    /// [`Decayed::add`] when `value_at(at, tau)` is known already (`now`, as the features read
    /// it just before the decision updates the profiles), sparing its exponential.
    pub(crate) fn add_to_known(&mut self, at: u32, now: f32, amount: f32, tau: f32) {
        if at >= self.at {
            debug_assert_eq!(now.to_bits(), self.value_at(at, tau).to_bits());
            self.value = now + amount;
            self.at = at;
        } else {
            self.add(at, amount, tau);
        }
    }
}

/// Running mean and mean absolute deviation of log amounts, recent ones weighing more.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct LogStats {
    pub(crate) mean: f32,
    pub(crate) dev: f32,
}

impl LogStats {
    fn update(&mut self, count_before: u32, log_amount: f32) {
        if count_before == 0 {
            *self = LogStats {
                mean: log_amount,
                dev: MIN_LOG_DEV,
            };
            return;
        }
        let alpha = (1.0 / (count_before as f32 + 1.0)).max(0.03);
        let diff = log_amount - self.mean;
        self.mean += alpha * diff;
        self.dev += alpha * (diff.abs() - self.dev);
    }

    /// How many typical deviations `log_amount` lies above the mean.
    pub(crate) fn z(self, log_amount: f32) -> f32 {
        (log_amount - self.mean) / self.dev.max(MIN_LOG_DEV)
    }
}

/// Per-category statistics in four bytes: log amounts × 1000, deviation × 50.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct CategoryStats {
    /// Approved purchases (all categories are halved when one reaches 255, keeping shares).
    pub(crate) count: u8,
    dev: u8,
    mean: i16,
}

impl CategoryStats {
    pub(crate) fn stats(self) -> LogStats {
        LogStats {
            mean: f32::from(self.mean) / 1000.0,
            dev: f32::from(self.dev) / 50.0,
        }
    }

    fn update(&mut self, log_amount: f32) {
        let mut stats = self.stats();
        stats.update(u32::from(self.count), log_amount);
        self.mean = (stats.mean * 1000.0).clamp(-32_000.0, 32_000.0) as i16;
        self.dev = (stats.dev * 50.0).round().clamp(0.0, 255.0) as u8;
        self.count = self.count.saturating_add(1);
    }
}

/// One recent authorization (for the sliding windows).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct RecentTx {
    pub(crate) at: u32,
    /// ln(US dollars), quantised: (ln + 8) × 2048.
    amount: u16,
    /// A byte of the merchant's hash: enough to count distinct merchants in a burst.
    pub(crate) merchant_tag: u8,
    pub(crate) flags: u8,
}

pub(crate) const TX_CNP: u8 = 1;
pub(crate) const TX_MICRO: u8 = 2;

impl RecentTx {
    pub(crate) fn new(at: u32, log_usd: f32, merchant_tag: u8, flags: u8) -> Self {
        Self {
            at,
            amount: ((log_usd + 8.0) * 2048.0).clamp(0.0, 65_535.0) as u16,
            merchant_tag,
            flags,
        }
    }

    pub(crate) fn usd(self) -> f32 {
        (f32::from(self.amount) / 2048.0 - 8.0).exp()
    }
}

/// A recent card-present use.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct CpPoint {
    pub(crate) lat: f32,
    pub(crate) lon: f32,
    pub(crate) at: u32,
    pub(crate) country: [u8; 2],
    /// Declined, or itself impossible travel: never the reference for later uses.
    pub(crate) suspect: bool,
}

impl CpPoint {
    pub(crate) fn point(self) -> GeoPoint {
        GeoPoint {
            lat: f64::from(self.lat),
            lon: f64::from(self.lon),
        }
    }

    pub(crate) fn is_set(self) -> bool {
        self.at != 0
    }
}

/// How often a card was used in a country.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct CountryCount {
    code: [u8; 2],
    count: u16,
}

/// A small "top countries" list with counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Countries {
    entries: [CountryCount; COUNTRIES],
}

impl Countries {
    pub(crate) fn count(&self, code: [u8; 2]) -> u16 {
        self.entries
            .iter()
            .find(|e| e.code == code)
            .map_or(0, |e| e.count)
    }

    pub(crate) fn total(&self) -> u32 {
        self.entries.iter().map(|e| u32::from(e.count)).sum()
    }

    /// The most used country.
    pub(crate) fn top(&self) -> Option<[u8; 2]> {
        self.entries
            .iter()
            .filter(|e| e.count > 0)
            .max_by_key(|e| e.count)
            .map(|e| e.code)
    }

    fn add(&mut self, code: [u8; 2]) {
        if let Some(i) = self.entries.iter().position(|e| e.code == code) {
            if self.entries[i].count == u16::MAX {
                self.entries.iter_mut().for_each(|e| e.count /= 2);
            }
            self.entries[i].count += 1;
            return;
        }
        // Replace the least used entry: a rare country keeps being rare.
        if let Some(slot) = self.entries.iter_mut().min_by_key(|e| e.count) {
            *slot = CountryCount { code, count: 1 };
        }
    }
}

/// Everything the engine remembers about one card: five cache lines, fields in the order a
/// decision reads them.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[repr(C, align(64))]
pub struct CardProfile {
    pub(crate) status: CardStatus,
    pub(crate) home_zone: Option<ZoneRef>,
    /// Next slot of the `recent` ring.
    recent_next: u8,
    /// Approved authorizations.
    pub(crate) count: u32,
    pub(crate) cp_count: u32,
    pub(crate) last_at: u32,
    pub(crate) travel_booked_at: u32,
    /// Transaction time of the latest confirmed fraud.
    pub(crate) fraud_at: u32,
    /// Running centre of the card-present uses at home (NaN until the first one).
    home_lat: f32,
    home_lon: f32,
    pub(crate) amounts: LogStats,
    pub(crate) count_7d: Decayed,
    pub(crate) sum_7d: Decayed,
    pub(crate) count_30d: Decayed,
    pub(crate) recent: [RecentTx; RECENT],
    /// Newest first.
    pub(crate) cp_points: [CpPoint; CP_POINTS],
    pub(crate) categories: [CategoryStats; Category::COUNT],
    pub(crate) cp_countries: Countries,
    pub(crate) cnp_countries: Countries,
    /// Approved authorizations per local hour of day (halved when one bin fills up).
    pub(crate) hours: [u8; 24],
}

pub(crate) const TAU_7D: f32 = 7.0 * DAY;
pub(crate) const TAU_30D: f32 = 30.0 * DAY;

/// What an authorization contributes to the profile.
pub(crate) struct Observation {
    pub(crate) at: u32,
    pub(crate) log_usd: Option<f32>,
    pub(crate) category: Category,
    pub(crate) country: [u8; 2],
    pub(crate) card_present: bool,
    pub(crate) location: Option<GeoPoint>,
    /// `location`'s distance from the home (`None` before the card has one).
    pub(crate) km_from_home: Option<f64>,
    pub(crate) local_hour: f32,
    pub(crate) merchant_tag: u8,
    pub(crate) micro: bool,
    pub(crate) travel_booking: bool,
}

impl CardProfile {
    pub(crate) fn new(status: CardStatus) -> Self {
        Self {
            status,
            home_zone: None,
            recent_next: 0,
            count: 0,
            cp_count: 0,
            last_at: 0,
            travel_booked_at: 0,
            fraud_at: 0,
            home_lat: f32::NAN,
            home_lon: f32::NAN,
            amounts: LogStats::default(),
            count_7d: Decayed::default(),
            sum_7d: Decayed::default(),
            count_30d: Decayed::default(),
            cp_points: [CpPoint::default(); CP_POINTS],
            recent: [RecentTx::default(); RECENT],
            categories: [CategoryStats::default(); Category::COUNT],
            cp_countries: Countries::default(),
            cnp_countries: Countries::default(),
            hours: [0; 24],
        }
    }

    /// Reads a field on each cache line of the profile after the first (which holds the status,
    /// read just before), so that the memory fetches them all at once rather than one after
    /// another as the decision reaches them: with many cards a profile is rarely in cache.
    pub(crate) fn touch(&self) {
        std::hint::black_box((
            self.recent[0].at,
            self.recent[RECENT - 1].at,
            self.categories[0].count,
            self.hours[0],
        ));
    }

    /// Recent authorizations within `window` seconds before `now` (inclusive).
    pub(crate) fn recent_within(
        &self,
        now: u32,
        window: u32,
    ) -> impl Iterator<Item = RecentTx> + '_ {
        self.recent
            .iter()
            .copied()
            .filter(move |r| r.at != 0 && r.at <= now && now - r.at <= window)
    }

    /// Every authorization attempt, whatever the verdict: feeds the velocity windows. `features`
    /// are this attempt's (they hold the decayed counts at its time).
    pub(crate) fn record_attempt(&mut self, obs: &Observation, features: &Features) {
        let flags =
            if obs.card_present { 0 } else { TX_CNP } | if obs.micro { TX_MICRO } else { 0 };
        let slot = usize::from(self.recent_next) % RECENT;
        self.recent[slot] =
            RecentTx::new(obs.at, obs.log_usd.unwrap_or(0.0), obs.merchant_tag, flags);
        self.recent_next = ((slot + 1) % RECENT) as u8;
        self.last_at = self.last_at.max(obs.at);
        let known = |feature| features.get(feature);
        self.count_7d
            .add_to_known(obs.at, known(Feature::CardTx7d), 1.0, TAU_7D);
        self.count_30d
            .add_to_known(obs.at, known(Feature::CardTx30d), 1.0, TAU_30D);
        if let Some(log_usd) = obs.log_usd {
            self.sum_7d.add(obs.at, log_usd.exp(), TAU_7D);
        }
    }

    /// A card-present use joins the recent locations (suspect ones are kept, marked).
    pub(crate) fn record_location(&mut self, obs: &Observation, suspect: bool) {
        let Some(location) = obs.location else {
            return;
        };
        self.cp_points.rotate_right(1);
        self.cp_points[0] = CpPoint {
            lat: location.lat as f32,
            lon: location.lon as f32,
            at: obs.at,
            country: obs.country,
            suspect,
        };
    }

    /// An approved (or confirmed genuine) authorization teaches the card's usual behaviour.
    pub(crate) fn learn_usual(
        &mut self,
        obs: &Observation,
        home_radius_km: f32,
        zone: Option<ZoneRef>,
    ) {
        if let Some(log_usd) = obs.log_usd {
            self.amounts.update(self.count, log_usd);
            if self.categories[obs.category.index()].count == u8::MAX {
                self.categories.iter_mut().for_each(|c| c.count /= 2);
            }
            self.categories[obs.category.index()].update(log_usd);
        }
        self.count = self.count.saturating_add(1);
        let hour = (obs.local_hour as usize).min(23);
        if self.hours[hour] == u8::MAX {
            self.hours.iter_mut().for_each(|h| *h /= 2);
        }
        self.hours[hour] += 1;
        if obs.travel_booking {
            self.travel_booked_at = obs.at;
        }
        if obs.card_present {
            self.cp_count = self.cp_count.saturating_add(1);
            self.cp_countries.add(obs.country);
            if let Some(location) = obs.location {
                self.learn_home(location, obs.km_from_home, home_radius_km, zone);
            }
        } else {
            self.cnp_countries.add(obs.country);
        }
    }

    /// `km_from_home`: the distance the features measured (the home has not moved since).
    fn learn_home(
        &mut self,
        location: GeoPoint,
        km_from_home: Option<f64>,
        home_radius_km: f32,
        zone: Option<ZoneRef>,
    ) {
        let (lat, lon) = (location.lat as f32, location.lon as f32);
        match self.home_point() {
            None => {
                (self.home_lat, self.home_lon) = (lat, lon);
                self.home_zone = zone;
            }
            Some(_) if km_from_home.is_some_and(|km| km <= f64::from(home_radius_km)) => {
                let alpha = 0.05;
                self.home_lat += alpha * (lat - self.home_lat);
                self.home_lon += alpha * (lon - self.home_lon);
            }
            Some(_) => {}
        }
    }

    pub(crate) fn home_point(&self) -> Option<GeoPoint> {
        (!self.home_lat.is_nan()).then(|| GeoPoint {
            lat: f64::from(self.home_lat),
            lon: f64::from(self.home_lon),
        })
    }

    /// Share of the card's purchases (with an amount) made in `category`.
    pub(crate) fn category_share(&self, category: Category) -> f32 {
        let total: u32 = self.categories.iter().map(|c| u32::from(c.count)).sum();
        f32::from(self.categories[category.index()].count) / total.max(1) as f32
    }

    /// Share of the card's purchases within an hour of `hour` (local time).
    pub(crate) fn hour_share(&self, hour: f32) -> f32 {
        let total: u32 = self.hours.iter().map(|&h| u32::from(h)).sum();
        if total == 0 {
            return 0.0;
        }
        let h = (hour as usize).min(23);
        let near = [(h + 23) % 24, h, (h + 1) % 24]
            .iter()
            .map(|&i| u32::from(self.hours[i]))
            .sum::<u32>();
        near as f32 / total as f32
    }

    /// Marks the card-present use at `at` as suspect (a later use showed it was the odd one out).
    pub(crate) fn mark_suspect(&mut self, at: u32) {
        self.cp_points
            .iter_mut()
            .filter(|p| p.at == at)
            .for_each(|p| p.suspect = true);
    }

    /// A confirmed-genuine card-present use is a valid reference for travel again.
    pub(crate) fn clear_suspect(&mut self, at: u32) {
        self.cp_points
            .iter_mut()
            .filter(|p| p.at == at)
            .for_each(|p| p.suspect = false);
    }
}

/// What the engine remembers about one merchant or terminal.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MerchantProfile {
    pub(crate) location: Option<(f32, f32)>,
    pub(crate) zone: Option<ZoneRef>,
    pub(crate) first_seen: u32,
    pub(crate) tx_1d: Decayed,
    pub(crate) frauds_7d: Decayed,
    pub(crate) labelled_7d: Decayed,
    pub(crate) frauds_28d: Decayed,
    pub(crate) frauds_90d: Decayed,
    pub(crate) labelled_90d: Decayed,
    /// Transaction time of the latest confirmed fraud.
    pub(crate) fraud_at: u32,
    /// Transaction time of the first fraud of the current run: confirmed frauds with no confirmed
    /// genuine transaction after the run began (a compromised terminal). 0 = no run.
    pub(crate) run_start: u32,
    pub(crate) run_frauds: u16,
}

pub(crate) const TAU_1D: f32 = DAY;
pub(crate) const TAU_28D: f32 = 28.0 * DAY;
pub(crate) const TAU_90D: f32 = 90.0 * DAY;
/// Pseudo-counts that pull a merchant with few labels towards the base fraud rate.
const RATE_PRIOR_COUNT: f32 = 2.0;
const RATE_PRIOR: f32 = 0.01;

impl MerchantProfile {
    pub(crate) fn new(first_seen: u32) -> Self {
        Self {
            location: None,
            zone: None,
            first_seen,
            tx_1d: Decayed::default(),
            frauds_7d: Decayed::default(),
            labelled_7d: Decayed::default(),
            frauds_28d: Decayed::default(),
            frauds_90d: Decayed::default(),
            labelled_90d: Decayed::default(),
            fraud_at: 0,
            run_start: 0,
            run_frauds: 0,
        }
    }

    /// A label for one of the merchant's transactions (made at `tx_at`).
    pub(crate) fn learn_label(&mut self, tx_at: u32, fraud: bool) {
        let f = if fraud { 1.0 } else { 0.0 };
        self.labelled_7d.add(tx_at, 1.0, TAU_7D);
        self.frauds_7d.add(tx_at, f, TAU_7D);
        self.frauds_28d.add(tx_at, f, TAU_28D);
        self.labelled_90d.add(tx_at, 1.0, TAU_90D);
        self.frauds_90d.add(tx_at, f, TAU_90D);
        if fraud {
            self.run_start = if self.run_start == 0 {
                tx_at
            } else {
                self.run_start.min(tx_at)
            };
            self.run_frauds = self.run_frauds.saturating_add(1);
            self.fraud_at = self.fraud_at.max(tx_at);
        } else if self.run_start != 0 && tx_at >= self.run_start {
            self.run_start = 0;
            self.run_frauds = 0;
        }
    }

    pub(crate) fn fraud_rate_7d(&self, now: u32) -> f32 {
        smoothed_rate(
            self.frauds_7d.value_at(now, TAU_7D),
            self.labelled_7d.value_at(now, TAU_7D),
        )
    }

    pub(crate) fn fraud_rate_90d(&self, now: u32) -> f32 {
        smoothed_rate(
            self.frauds_90d.value_at(now, TAU_90D),
            self.labelled_90d.value_at(now, TAU_90D),
        )
    }
}

fn smoothed_rate(frauds: f32, labelled: f32) -> f32 {
    (frauds + RATE_PRIOR * RATE_PRIOR_COUNT) / (labelled + RATE_PRIOR_COUNT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decayed_sums_accept_late_events() {
        let mut d = Decayed::default();
        d.add(1000, 1.0, 100.0);
        d.add(1100, 1.0, 100.0);
        let late_first = {
            let mut e = Decayed::default();
            e.add(1100, 1.0, 100.0);
            e.add(1000, 1.0, 100.0);
            e
        };
        let (a, b) = (d.value_at(1200, 100.0), late_first.value_at(1200, 100.0));
        assert!((a - b).abs() < 1e-5, "{a} {b}");
        assert!((a - ((-2.0f32).exp() + (-1.0f32).exp())).abs() < 1e-5);
    }

    #[test]
    fn quantised_amounts_keep_three_digits() {
        for usd in [0.5f32, 1.99, 42.0, 1234.5, 99_999.0] {
            let back = RecentTx::new(1, usd.ln(), 0, 0).usd();
            assert!((back / usd - 1.0).abs() < 1e-3, "{usd} {back}");
        }
    }

    #[test]
    fn country_list_keeps_the_frequent_ones() {
        let mut c = Countries::default();
        for _ in 0..10 {
            c.add(*b"CA");
        }
        for code in [b"US", b"FR", b"DE", b"JP", b"TH"] {
            c.add(*code);
        }
        assert_eq!(c.count(*b"CA"), 10);
        assert_eq!(c.top(), Some(*b"CA"));
        assert_eq!(c.count(*b"TH"), 1);
    }

    #[test]
    fn touch_reads_every_cache_line() {
        use std::mem::offset_of;
        let line = |offset: usize| offset / 64;
        let recent = offset_of!(CardProfile, recent);
        let touched = [
            line(offset_of!(CardProfile, status)),
            line(recent),
            line(recent + (RECENT - 1) * size_of::<RecentTx>()),
            line(offset_of!(CardProfile, categories)),
            line(offset_of!(CardProfile, hours)),
        ];
        assert_eq!(touched, [0, 1, 2, 3, 4]);
    }

    #[test]
    fn a_profile_is_compact() {
        assert_eq!(std::mem::size_of::<CardProfile>(), 5 * 64);
    }
}
