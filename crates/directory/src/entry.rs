//! A directory entry: one phone line for one service in one country (or worldwide), and who says
//! so.

use std::fmt;

use domain::{Country, Lang, Reason, Tier, Timestamp};

use crate::hours::Hours;
use crate::phone::E164;

/// Where a line serves: one country or region (ISO 3166-1 alpha-2), or the whole world.
/// Written `JP` or `global`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub enum Coverage {
    Country(Country),
    Global,
}

impl Coverage {
    pub fn parse(text: &str) -> Result<Coverage, domain::ParseError> {
        if text.trim().eq_ignore_ascii_case("global") {
            Ok(Coverage::Global)
        } else {
            Country::parse(text).map(Coverage::Country)
        }
    }

    pub fn country(self) -> Option<Country> {
        match self {
            Coverage::Country(country) => Some(country),
            Coverage::Global => None,
        }
    }
}

impl fmt::Display for Coverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Coverage::Country(country) => f.write_str(country.code()),
            Coverage::Global => f.write_str("global"),
        }
    }
}

impl TryFrom<String> for Coverage {
    type Error = domain::ParseError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Coverage::parse(&text)
    }
}

impl From<Coverage> for String {
    fn from(coverage: Coverage) -> Self {
        coverage.to_string()
    }
}

/// What a line is for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ServiceLine {
    General,
    LostStolen,
    Fraud,
    Billing,
    Business,
    Travel,
    Rewards,
    Roadside,
    Activation,
    /// Reverse-charge line that works from any country.
    InternationalCollect,
}

impl ServiceLine {
    pub const ALL: &'static [ServiceLine] = &[
        ServiceLine::General,
        ServiceLine::LostStolen,
        ServiceLine::Fraud,
        ServiceLine::Billing,
        ServiceLine::Business,
        ServiceLine::Travel,
        ServiceLine::Rewards,
        ServiceLine::Roadside,
        ServiceLine::Activation,
        ServiceLine::InternationalCollect,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ServiceLine::General => "general",
            ServiceLine::LostStolen => "lost_stolen",
            ServiceLine::Fraud => "fraud",
            ServiceLine::Billing => "billing",
            ServiceLine::Business => "business",
            ServiceLine::Travel => "travel",
            ServiceLine::Rewards => "rewards",
            ServiceLine::Roadside => "roadside",
            ServiceLine::Activation => "activation",
            ServiceLine::InternationalCollect => "international_collect",
        }
    }

    /// The line that serves a reason; account questions go to the general line.
    pub const fn for_reason(reason: Reason) -> ServiceLine {
        match reason {
            Reason::General | Reason::Account => ServiceLine::General,
            Reason::LostStolen => ServiceLine::LostStolen,
            Reason::Fraud => ServiceLine::Fraud,
            Reason::Billing => ServiceLine::Billing,
            Reason::Activation => ServiceLine::Activation,
            Reason::Travel => ServiceLine::Travel,
            Reason::Rewards => ServiceLine::Rewards,
            Reason::Business => ServiceLine::Business,
            Reason::Roadside => ServiceLine::Roadside,
        }
    }
}

impl fmt::Display for ServiceLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ServiceLine {
    type Err = domain::ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        ServiceLine::ALL
            .iter()
            .copied()
            .find(|line| line.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| domain::ParseError {
                kind: "service line",
                value: s.to_owned(),
                expected: ServiceLine::ALL
                    .iter()
                    .map(|line| line.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

/// How far a listing is vouched for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The issuer's own line.
    Official,
    /// Listed by someone else (an article, a directory site); not vouched for.
    ThirdParty,
    /// Reported by cardholders or agents as used by scammers, and confirmed by a moderator.
    ReportedScam,
}

impl Status {
    /// Which status a number check reports when a number has entries of several statuses:
    /// the issuer's word first, then confirmed scam reports, then hearsay.
    pub(crate) fn precedence(self) -> u8 {
        match self {
            Status::Official => 3,
            Status::ReportedScam => 2,
            Status::ThirdParty => 1,
        }
    }
}

/// Who asserted an entry, and when.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Provenance {
    /// The issuer, an import source name (`--source NAME`), or the moderator of a scam report.
    pub source: String,
    pub asserted_at: Timestamp,
}

/// One line of the directory.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub coverage: Coverage,
    pub service: ServiceLine,
    /// The tiers the line serves; empty means every tier.
    pub tiers: Vec<Tier>,
    pub number: E164,
    pub toll_free: bool,
    /// Reverse charges: the issuer pays for the call.
    pub collect: bool,
    /// Languages spoken on the line; empty when the source does not say.
    pub languages: Vec<Lang>,
    /// `None` when the source does not say (third-party listings).
    pub hours: Option<Hours>,
    pub notes: String,
    pub provenance: Provenance,
    pub status: Status,
}

/// What makes two entries the same listing: who says which number serves which line where.
/// Stores can keep it unique, so that importing the same source again updates rather than adds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct EntryKey {
    pub source: String,
    pub coverage: Coverage,
    pub service: ServiceLine,
    pub number: E164,
}

impl Entry {
    pub fn key(&self) -> EntryKey {
        EntryKey {
            source: self.provenance.source.clone(),
            coverage: self.coverage,
            service: self.service,
            number: self.number.clone(),
        }
    }

    /// Whether a cardholder of `tier` may use the line.
    pub fn serves(&self, tier: Tier) -> bool {
        self.tiers.is_empty() || self.tiers.contains(&tier)
    }

    /// A number confirmed by a moderator as used by scammers: the entry that approving a scam
    /// report adds. `moderator` names who confirmed it.
    pub fn reported_scam(number: E164, notes: String, moderator: String, at: Timestamp) -> Entry {
        Entry {
            coverage: number.region().map_or(Coverage::Global, Coverage::Country),
            service: ServiceLine::General,
            tiers: Vec::new(),
            toll_free: number.is_toll_free(),
            number,
            collect: false,
            languages: Vec::new(),
            hours: None,
            notes,
            provenance: Provenance {
                source: moderator,
                asserted_at: at,
            },
            status: Status::ReportedScam,
        }
    }
}
