//! The facts the router works with: hubs, contacts, agents and their skills.

use std::collections::{BTreeMap, BTreeSet};

use domain::{AgentId, Channel, ContactId, Department, Lang, ParseError, Reason, Tier, Timestamp};
use serde::{Deserialize, Serialize};

/// A contact centre of the follow-the-sun network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hub {
    NewYork,
    London,
    Sydney,
    Mumbai,
    Tokyo,
}

impl Hub {
    pub const ALL: &'static [Hub] = &[
        Hub::NewYork,
        Hub::London,
        Hub::Sydney,
        Hub::Mumbai,
        Hub::Tokyo,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Hub::NewYork => "new_york",
            Hub::London => "london",
            Hub::Sydney => "sydney",
            Hub::Mumbai => "mumbai",
            Hub::Tokyo => "tokyo",
        }
    }

    /// The IANA time zone the hub keeps its business hours in.
    pub const fn default_time_zone(self) -> &'static str {
        match self {
            Hub::NewYork => "America/New_York",
            Hub::London => "Europe/London",
            Hub::Sydney => "Australia/Sydney",
            Hub::Mumbai => "Asia/Kolkata",
            Hub::Tokyo => "Asia/Tokyo",
        }
    }
}

impl std::fmt::Display for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Hub {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().replace([' ', '-'], "_");
        Hub::ALL
            .iter()
            .copied()
            .find(|h| h.as_str().eq_ignore_ascii_case(&wanted))
            .ok_or_else(|| ParseError {
                kind: "hub",
                value: s.to_owned(),
                expected: Hub::ALL
                    .iter()
                    .map(|h| h.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

/// How a contact reaches an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    /// An inbound phone call (from the IVR).
    Call,
    /// A live web or in-app chat.
    Chat,
    /// A secure message or email thread.
    Message,
    /// A call the agent places back to a cardholder who kept their place in the queue.
    Callback,
}

impl ContactKind {
    pub const ALL: &'static [ContactKind] = &[
        ContactKind::Call,
        ContactKind::Chat,
        ContactKind::Message,
        ContactKind::Callback,
    ];

    /// How a contact on `channel` is routed; appointments are booked, not routed.
    pub const fn for_channel(channel: Channel) -> Option<ContactKind> {
        match channel {
            Channel::Phone => Some(ContactKind::Call),
            Channel::Chat | Channel::InApp => Some(ContactKind::Chat),
            Channel::SecureMessage
            | Channel::Email
            | Channel::Social
            | Channel::Mail
            | Channel::Fax => Some(ContactKind::Message),
            Channel::Appointment => None,
        }
    }

    /// Voice contacts take an agent's whole attention; digital ones can be handled several at once.
    pub const fn medium(self) -> Medium {
        match self {
            ContactKind::Call | ContactKind::Callback => Medium::Voice,
            ContactKind::Chat | ContactKind::Message => Medium::Digital,
        }
    }
}

/// What a contact takes of an agent's capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Medium {
    Voice,
    Digital,
}

impl Medium {
    pub const ALL: [Medium; 2] = [Medium::Voice, Medium::Digital];
}

/// How much an agent can handle at once: one voice contact (when nothing else is open), or up
/// to `digital` chats and messages (when no voice contact is open).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capacity {
    pub voice: bool,
    pub digital: u8,
}

impl Capacity {
    /// A phone agent.
    pub const VOICE: Capacity = Capacity {
        voice: true,
        digital: 0,
    };

    /// A chat agent handling up to `n` conversations at once.
    pub const fn digital(n: u8) -> Capacity {
        Capacity {
            voice: false,
            digital: n,
        }
    }
}

/// Skill level in a department or language: 1 (can help) to 5 (expert).
pub type Proficiency = u8;

/// Who an agent is to the router: where they sit, what they can handle and how many at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentProfile {
    pub id: AgentId,
    /// The hub the agent works from.
    pub hub: Hub,
    pub departments: BTreeMap<Department, Proficiency>,
    pub languages: BTreeMap<Lang, Proficiency>,
    /// The card tiers the agent is trained to serve (premium and business lines need their own).
    pub tiers: BTreeSet<Tier>,
    pub capacity: Capacity,
}

/// What an agent has asked for in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// Ready for contacts.
    Available,
    /// Logged in but taking no new contacts.
    Break,
    Offline,
}

impl Availability {
    pub const ALL: &'static [Availability] = &[
        Availability::Available,
        Availability::Break,
        Availability::Offline,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Availability::Available => "available",
            Availability::Break => "break",
            Availability::Offline => "offline",
        }
    }
}

impl std::str::FromStr for Availability {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Availability::ALL
            .iter()
            .copied()
            .find(|a| a.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ParseError {
                kind: "availability",
                value: s.to_owned(),
                expected: "available, break, offline".to_owned(),
            })
    }
}

/// What an agent is doing, as the console and the dashboard show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Available,
    /// At least one contact is offered to or connected with the agent.
    OnContact,
    /// Finishing notes after a contact; no new offers until done.
    WrapUp,
    Break,
    Offline,
}

impl Presence {
    pub const ALL: &'static [Presence] = &[
        Presence::Available,
        Presence::OnContact,
        Presence::WrapUp,
        Presence::Break,
        Presence::Offline,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Presence::Available => "available",
            Presence::OnContact => "on_contact",
            Presence::WrapUp => "wrap_up",
            Presence::Break => "break",
            Presence::Offline => "offline",
        }
    }
}

/// Answer order between contacts: urgent before premium before standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Fraud and lost or stolen cards.
    Urgent,
    /// Premium tiers (Platinum, Centurion by default).
    Premium,
    Standard,
}

impl Priority {
    pub const ALL: &'static [Priority] = &[Priority::Urgent, Priority::Premium, Priority::Standard];
}

/// A queue: one department in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct QueueKey {
    pub department: Department,
    pub lang: Lang,
}

impl std::fmt::Display for QueueKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.department, self.lang)
    }
}

/// How far a waiting contact's search for an agent has widened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    /// Agents of the contact's home hub with the department, language and tier.
    HomeHub,
    /// Agents of any hub with the department, language and tier.
    AnyHub,
    /// Any agent who speaks the language.
    AnyAgentWithLanguage,
}

/// A contact entering routing (a call handed off by the IVR, a chat, a message, a callback).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    pub id: ContactId,
    pub kind: ContactKind,
    pub reason: Reason,
    /// Usually `reason.department()`; the intent classifier may say otherwise.
    pub department: Department,
    pub tier: Tier,
    pub lang: Lang,
    /// When the cardholder started waiting (may be before routing saw the contact, e.g. IVR time).
    pub arrived_at: Timestamp,
    /// The cardholder's relationship manager, offered the contact first.
    #[serde(default)]
    pub relationship_manager: Option<AgentId>,
    /// The hub that should answer first; `None` lets follow-the-sun choose an open hub.
    #[serde(default)]
    pub home_hub: Option<Hub>,
    /// Whatever the edge needs back with an offer (case id, conversation id, IVR answers).
    #[serde(default)]
    pub context: serde_json::Value,
}

impl NewContact {
    /// A contact for the department that handles `reason`, with no manager, hub or context.
    pub fn new(
        id: ContactId,
        kind: ContactKind,
        reason: Reason,
        tier: Tier,
        lang: Lang,
        arrived_at: Timestamp,
    ) -> Self {
        Self {
            id,
            kind,
            reason,
            department: reason.department(),
            tier,
            lang,
            arrived_at,
            relationship_manager: None,
            home_hub: None,
            context: serde_json::Value::Null,
        }
    }

    pub fn queue(&self) -> QueueKey {
        QueueKey {
            department: self.department,
            lang: self.lang,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hubs_parse_from_their_names() {
        assert_eq!("new york".parse::<Hub>().unwrap(), Hub::NewYork);
        assert_eq!("Tokyo".parse::<Hub>().unwrap(), Hub::Tokyo);
        let err = "paris".parse::<Hub>().unwrap_err().to_string();
        assert!(err.contains("new_york, london"), "{err}");
        assert_eq!(
            serde_json::to_string(&Hub::NewYork).unwrap(),
            "\"new_york\""
        );
    }

    #[test]
    fn new_contact_goes_to_the_reason_department() {
        let at: Timestamp = "2026-01-05T10:00:00Z".parse().unwrap();
        let c = NewContact::new(
            ContactId::new(),
            ContactKind::Call,
            Reason::Fraud,
            Tier::Gold,
            Lang::En,
            at,
        );
        assert_eq!(c.department, Department::LostOrStolen);
        assert_eq!(ContactKind::Callback.medium(), Medium::Voice);
        assert_eq!(ContactKind::Message.medium(), Medium::Digital);
        assert_eq!(
            ContactKind::for_channel(Channel::InApp),
            Some(ContactKind::Chat)
        );
        assert_eq!(
            ContactKind::for_channel(Channel::Email),
            Some(ContactKind::Message)
        );
        assert_eq!(ContactKind::for_channel(Channel::Appointment), None);
    }

    #[test]
    fn presence_names_match_serde() {
        for p in Presence::ALL {
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
        for a in Availability::ALL {
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
            assert_eq!(a.as_str().parse::<Availability>().unwrap(), *a);
        }
        let err = "lunch".parse::<Availability>().unwrap_err().to_string();
        assert!(err.contains("available, break, offline"), "{err}");
    }
}
