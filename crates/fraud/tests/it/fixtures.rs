//! Builders for authorizations and card histories.

use domain::{Country, Currency, Money, Timestamp};
use fraud::{
    Authorization, CardKey, CardStatus, Config, Decision, Engine, GeoPoint, Mcc, Merchant,
    SignalKind,
};
use jiff::SignedDuration;

pub const TORONTO: (f64, f64) = (43.65, -79.38);
pub const PARIS: (f64, f64) = (48.86, 2.35);
pub const BANGKOK: (f64, f64) = (13.76, 100.50);

pub fn engine() -> Engine {
    Engine::new(Config::default_rules().unwrap()).unwrap()
}

pub fn card(n: u128) -> CardKey {
    CardKey::from_u128(n)
}

pub fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

pub fn later(t: Timestamp, minutes: i64) -> Timestamp {
    t + SignedDuration::from_mins(minutes)
}

pub fn shop(id: &str, mcc: &str, country: &str, place: Option<(f64, f64)>) -> Merchant {
    Merchant {
        id: id.to_owned(),
        name: format!("{id} shop"),
        mcc: Mcc::parse(mcc).unwrap(),
        country: Country::parse(country).unwrap(),
        city: String::new(),
        location: place.map(|(lat, lon)| GeoPoint::new(lat, lon).unwrap()),
    }
}

pub fn auth(
    card: CardKey,
    amount: &str,
    currency: &str,
    merchant: Merchant,
    when: Timestamp,
) -> Authorization {
    let currency = Currency::parse(currency).unwrap();
    Authorization {
        card,
        amount: Money::parse(amount, currency).unwrap(),
        card_present: merchant.location.is_some(),
        merchant,
        at: when,
    }
}

/// A Toronto cardholder: 30 card-present purchases (groceries and restaurants, 40–60 CAD)
/// between 12:00 and 18:00 local time over 30 days, ending at `end`. Returns the enrolled key.
pub fn toronto_regular(engine: &mut Engine, n: u128, end: Timestamp) -> CardKey {
    let key = card(n);
    engine.enrol(key, CardStatus::Active).unwrap();
    for day in 0..30i64 {
        // 17:00–23:00 UTC is 12:00–18:00 in Toronto in winter.
        let when = end - SignedDuration::from_hours(24 * (30 - day))
            + SignedDuration::from_mins(day % 6 * 60);
        let (mcc, id) = if day % 2 == 0 {
            ("5411", "TOR-GROCER")
        } else {
            ("5812", "TOR-DINER")
        };
        let place = (TORONTO.0 + (day % 5) as f64 * 0.01, TORONTO.1);
        let amount = format!("{}.00", 40 + day % 20);
        let d = engine.decide(&auth(
            key,
            &amount,
            "CAD",
            shop(id, mcc, "CA", Some(place)),
            when,
        ));
        assert!(
            d.reasons.is_empty() || d.verdict == fraud::Verdict::Approve,
            "{d:?}"
        );
    }
    key
}

pub fn fired(decision: &Decision, kind: SignalKind) -> bool {
    decision.reasons.iter().any(|s| s.kind == kind)
}

pub fn reason(decision: &Decision, kind: SignalKind) -> String {
    decision
        .reasons
        .iter()
        .find(|s| s.kind == kind)
        .map(|s| s.reason.to_string())
        .unwrap_or_default()
}
