//! What the engine is asked, what it answers and what it is told afterwards.

use std::fmt;

use domain::{CardId, Country, Money, Timestamp};

use crate::features::{Feature, Features};
use crate::geo::GeoPoint;
use crate::mcc::Mcc;

/// The engine's key for a card: the card id's 128 bits, or any other stable 128-bit key the edge
/// chooses (the replay numbers the cards of its file).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct CardKey([u64; 2]);

impl CardKey {
    pub const fn from_u128(value: u128) -> Self {
        Self([(value >> 64) as u64, value as u64])
    }

    pub const fn as_u128(self) -> u128 {
        ((self.0[0] as u128) << 64) | self.0[1] as u128
    }
}

impl From<CardId> for CardKey {
    fn from(id: CardId) -> Self {
        Self::from_u128(id.0.as_u128())
    }
}

impl fmt::Debug for CardKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardKey({:032x})", self.as_u128())
    }
}

/// The card's state as the card system knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardStatus {
    Active,
    Locked,
    Lost,
    Stolen,
}

impl CardStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Locked => "locked",
            Self::Lost => "reported lost",
            Self::Stolen => "reported stolen",
        }
    }
}

/// Where the card is used.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Merchant {
    /// The acquirer's merchant or terminal id (opaque).
    pub id: String,
    pub name: String,
    pub mcc: Mcc,
    pub country: Country,
    pub city: String,
    /// Terminal position; present for card-present use.
    pub location: Option<GeoPoint>,
}

impl Merchant {
    /// What a cardholder recognises: the name, or the id when the acquirer sent none.
    pub fn display_name(&self) -> &str {
        if self.name.is_empty() {
            &self.id
        } else {
            &self.name
        }
    }
}

/// One authorization request.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Authorization {
    pub card: CardKey,
    pub amount: Money,
    pub merchant: Merchant,
    pub card_present: bool,
    pub at: Timestamp,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approve,
    Challenge,
    Decline,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Challenge => "challenge",
            Self::Decline => "decline",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which rule produced a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    UnknownCard,
    CardStatus,
    ImpossibleTravel,
    UnusualCountry,
    NightAbroad,
    UnusualHour,
    UnusualAmount,
    RiskyCategory,
    Velocity,
    CardTesting,
    CompromisedMerchant,
    CompromisedCard,
    /// The learned model's largest contributions.
    Learned,
}

impl SignalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnknownCard => "unknown_card",
            Self::CardStatus => "card_status",
            Self::ImpossibleTravel => "impossible_travel",
            Self::UnusualCountry => "unusual_country",
            Self::NightAbroad => "night_abroad",
            Self::UnusualHour => "unusual_hour",
            Self::UnusualAmount => "unusual_amount",
            Self::RiskyCategory => "risky_category",
            Self::Velocity => "velocity",
            Self::CardTesting => "card_testing",
            Self::CompromisedMerchant => "compromised_merchant",
            Self::CompromisedCard => "compromised_card",
            Self::Learned => "learned",
        }
    }
}

/// A signal that fired: what, how much it added to the log-odds of fraud, and why in words.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Signal {
    pub kind: SignalKind,
    /// Contribution to the log-odds of fraud.
    pub points: f32,
    pub reason: Reason,
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({:+.1}): {}",
            self.kind.as_str(),
            self.points,
            self.reason
        )
    }
}

/// Why a signal fired: the figures it fired on, kept as numbers and put into words only when
/// displayed (a decision does not pay for text nobody reads). Stored and sent as the text.
#[derive(Debug, Clone)]
pub enum Reason {
    /// Free text (the edge's own reasons, or a reason read back from storage).
    Text(String),
    ImpossibleTravel {
        km: f32,
        minutes: f32,
        speed_kmh: f32,
        from: Option<[u8; 2]>,
    },
    UnusualCountry {
        country: Country,
        zone: Option<&'static str>,
        zone_hours: f32,
        usual: Option<[u8; 2]>,
    },
    NightAbroad {
        hour: f32,
        country: Country,
    },
    UnusualHour {
        hour: f32,
        share: f32,
    },
    UnusualAmount {
        amount: Money,
        ratio: f32,
        usual_usd: f32,
        what: &'static str,
    },
    RiskyCategory {
        mcc: Mcc,
        new_for_card: bool,
    },
    Velocity {
        hour: f32,
        day: f32,
    },
    CardTesting {
        count: f32,
        micro_usd: f32,
        merchants: f32,
        window_minutes: u32,
    },
    CompromisedMerchant {
        merchant: Box<str>,
        frauds: f32,
        rate: f32,
    },
    CompromisedCard {
        days: f32,
    },
    /// The model's largest contributions: (feature, its value, its log-odds), largest first.
    Learned {
        top: [(Feature, f32, f32); 3],
        len: u8,
    },
}

/// Reasons are equal when they read the same.
impl PartialEq for Reason {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Reason::Text(a), Reason::Text(b)) => a == b,
            _ => self.to_string() == other.to_string(),
        }
    }
}

impl serde::Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Reason {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Reason::Text)
    }
}

impl From<String> for Reason {
    fn from(text: String) -> Self {
        Reason::Text(text)
    }
}

impl From<&str> for Reason {
    fn from(text: &str) -> Self {
        Reason::Text(text.to_owned())
    }
}

/// Two-letter country code as text (`?` when unknown).
struct Code(Option<[u8; 2]>);

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_ref().and_then(|c| std::str::from_utf8(c).ok()) {
            Some(code) => f.write_str(code),
            None => f.write_str("?"),
        }
    }
}

/// A local time of day in hours as `HH:MM`.
struct Clock(f32);

impl fmt::Display for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let minutes = (self.0 * 60.0).round() as u32 % (24 * 60);
        write!(f, "{:02}:{:02}", minutes / 60, minutes % 60)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Text(text) => f.write_str(text),
            Reason::ImpossibleTravel {
                km,
                minutes,
                speed_kmh,
                from,
            } => write!(
                f,
                "{km:.0} km from the card-present use in {} {minutes:.0} min earlier would need {speed_kmh:.0} km/h",
                Code(*from)
            ),
            Reason::UnusualCountry {
                country,
                zone,
                zone_hours,
                usual,
            } => {
                write!(
                    f,
                    "first card-present use in {country} ({}, {zone_hours:.0} h from the card's home time zone)",
                    zone.unwrap_or("time zone unknown")
                )?;
                if usual.is_some_and(|c| std::str::from_utf8(&c).is_ok()) {
                    write!(f, " (usually {})", Code(*usual))?;
                }
                Ok(())
            }
            Reason::NightAbroad { hour, country } => write!(
                f,
                "{} local time in {country}, a country this card has not used",
                Clock(*hour)
            ),
            Reason::UnusualHour { hour, share } => write!(
                f,
                "{} local time; {:.1} % of this card's purchases are within an hour of it",
                Clock(*hour),
                100.0 * share
            ),
            Reason::UnusualAmount {
                amount,
                ratio,
                usual_usd,
                what,
            } => write!(
                f,
                "{amount} is {ratio:.1}× this card's usual {usual_usd:.2} USD for {what}"
            ),
            Reason::RiskyCategory { mcc, new_for_card } => write!(
                f,
                "merchant category {mcc} ({}) is high-risk{}",
                mcc.category().label(),
                if *new_for_card {
                    " and new for this card"
                } else {
                    ""
                }
            ),
            Reason::Velocity { hour, day } => write!(
                f,
                "{hour:.0} authorizations in the last hour, {day:.0} in the last 24 hours"
            ),
            Reason::CardTesting {
                count,
                micro_usd,
                merchants,
                window_minutes,
            } => write!(
                f,
                "{count:.0} online amounts under {micro_usd:.2} USD at {merchants:.0} merchants within {window_minutes} min"
            ),
            Reason::CompromisedMerchant {
                merchant,
                frauds,
                rate,
            } => write!(
                f,
                "merchant {merchant}: {frauds:.1} confirmed frauds in recent weeks, {:.0} % of its recently labelled transactions",
                100.0 * rate
            ),
            Reason::CompromisedCard { days } => {
                write!(f, "this card had a confirmed fraud {days:.1} days ago")
            }
            Reason::Learned { top, len } => {
                f.write_str("learned from confirmed outcomes: ")?;
                for (i, (feature, value, contribution)) in
                    top.iter().take(usize::from(*len)).enumerate()
                {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{} = {value:.2} ({contribution:+.1})", feature.name())?;
                }
                Ok(())
            }
        }
    }
}

/// The engine's answer to an authorization.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Decision {
    pub verdict: Verdict,
    /// Estimated probability of fraud, 0–1 (higher = more likely fraud).
    pub score: f64,
    /// Every signal that fired, strongest first.
    pub reasons: Vec<Signal>,
    /// The feature values the score was computed from: store them with the decision and pass
    /// them back in [`Outcome::features`] so that the model learns from what it saw then.
    pub features: Features,
}

impl Decision {
    /// Reasons as one line: `kind (+points): reason; …`.
    pub fn reasons_text(&self) -> String {
        use std::fmt::Write as _;
        let mut text = String::new();
        for (i, signal) in self.reasons.iter().enumerate() {
            if i > 0 {
                text.push_str("; ");
            }
            let _ = write!(text, "{signal}");
        }
        text
    }
}

/// Confirmed truth about an earlier authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    Fraud,
    Genuine,
}

/// Who established the truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeSource {
    /// The cardholder answered "was this you?".
    Challenge,
    Dispute,
    Analyst,
    /// A label in a replay file, used once replay time reached it.
    Replay,
}

/// Feedback on an earlier authorization; updates the card's and the merchant's profiles and
/// becomes a training example for the model.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Outcome {
    pub authorization: Authorization,
    pub label: Label,
    pub source: OutcomeSource,
    /// When the truth became known (the engine's "now" for this call).
    pub known_at: Timestamp,
    /// The features of the original decision, when the edge kept them.
    pub features: Option<Features>,
}
