//! What the engine is asked, what it answers and what it is told afterwards.

use std::fmt;

use domain::{CardId, Country, Money, Timestamp};

use crate::features::Features;
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
    pub reason: String,
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
        let mut text = String::new();
        for (i, signal) in self.reasons.iter().enumerate() {
            if i > 0 {
                text.push_str("; ");
            }
            text.push_str(&signal.to_string());
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
