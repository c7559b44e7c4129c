//! The demo's routing profiles: every agent (and the supervisor, who helps out) speaks English
//! and their own language, works from one of the five follow-the-sun hubs so that every hour of
//! the week some staffed hub is open, and serves the premium tiers when they are a premium
//! cardholder's relationship manager. Everyone starts offline.

use std::collections::BTreeSet;

use domain::{Department as D, Lang as L, Tier, Timestamp, UserId};
use routing::{AgentProfile, AgentRecord, Availability, Capacity, Hub};
use store::{Effects, RoutingChanges, Store};

use crate::switchboard::agent_of;

/// (email, hub, languages, departments, chats at once) with proficiencies 1–5.
type Skills = (
    &'static str,
    Hub,
    &'static [(L, u8)],
    &'static [(D, u8)],
    u8,
);

const SKILLS: &[Skills] = &[
    (
        "supervisor@example.com",
        Hub::NewYork,
        &[(L::En, 5), (L::Es, 3)],
        &[
            (D::General, 4),
            (D::LostOrStolen, 4),
            (D::BillingDisputes, 4),
            (D::Business, 4),
        ],
        2,
    ),
    (
        "agent@example.com",
        Hub::NewYork,
        &[(L::En, 5), (L::Es, 2)],
        &[
            (D::General, 4),
            (D::LostOrStolen, 5),
            (D::CardServices, 4),
            (D::PaymentsTransfers, 3),
        ],
        3,
    ),
    (
        "lucia@example.com",
        Hub::NewYork,
        &[(L::Es, 5), (L::En, 4), (L::Pt, 2)],
        &[
            (D::General, 4),
            (D::BillingDisputes, 5),
            (D::AccountManagement, 4),
            (D::LostOrStolen, 3),
        ],
        3,
    ),
    (
        "chloe@example.com",
        Hub::London,
        &[(L::Fr, 5), (L::En, 4)],
        &[
            (D::General, 4),
            (D::Rewards, 5),
            (D::BillingDisputes, 4),
            (D::LostOrStolen, 3),
        ],
        2,
    ),
    (
        "jonas@example.com",
        Hub::London,
        &[(L::De, 5), (L::En, 4), (L::Fr, 2)],
        &[
            (D::General, 4),
            (D::Business, 5),
            (D::CardServices, 4),
            (D::LostOrStolen, 3),
        ],
        2,
    ),
    (
        "rafael@example.com",
        Hub::London,
        &[(L::Pt, 5), (L::Es, 4), (L::En, 4)],
        &[
            (D::General, 4),
            (D::AccountManagement, 4),
            (D::PaymentsTransfers, 4),
            (D::LostOrStolen, 3),
        ],
        2,
    ),
    (
        "kenji@example.com",
        Hub::Tokyo,
        &[(L::Ja, 5), (L::En, 4), (L::Ko, 2)],
        &[
            (D::General, 4),
            (D::TravelAndInternational, 5),
            (D::CardServices, 4),
            (D::LostOrStolen, 3),
        ],
        2,
    ),
    (
        "mei@example.com",
        Hub::Sydney,
        &[(L::Zh, 5), (L::En, 4), (L::Yue, 3), (L::Es, 3)],
        &[
            (D::General, 4),
            (D::TravelAndInternational, 4),
            (D::Rewards, 4),
            (D::LostOrStolen, 3),
        ],
        2,
    ),
    (
        "priya@example.com",
        Hub::Mumbai,
        &[(L::Hi, 5), (L::En, 5), (L::Ta, 2)],
        &[
            (D::General, 4),
            (D::PaymentsTransfers, 5),
            (D::AccountManagement, 4),
            (D::LostOrStolen, 3),
        ],
        2,
    ),
    (
        "omar@example.com",
        Hub::Mumbai,
        &[(L::Ar, 5), (L::En, 4), (L::Hi, 2)],
        &[
            (D::General, 4),
            (D::LostOrStolen, 5),
            (D::BillingDisputes, 3),
        ],
        2,
    ),
];

/// The profile of the demo staff member `id` with these skills. Everyone serves the mass-market
/// tiers; business specialists serve business cards; relationship managers (and the supervisor)
/// serve Platinum and Centurion.
fn profile(id: UserId, skills: &Skills, manager: bool) -> AgentProfile {
    let (email, hub, languages, departments, chats) = *skills;
    let mut tiers: BTreeSet<Tier> = [Tier::Green, Tier::Gold, Tier::CoBrand].into();
    if departments.iter().any(|(d, _)| *d == D::Business) {
        tiers.insert(Tier::Business);
    }
    if manager || email.starts_with("supervisor@") {
        tiers.extend([Tier::Platinum, Tier::Centurion]);
    }
    AgentProfile {
        id: agent_of(id),
        hub,
        departments: departments.iter().copied().collect(),
        languages: languages.iter().copied().collect(),
        tiers,
        capacity: Capacity {
            voice: true,
            digital: chats,
        },
    }
}

/// Stores the demo staff's routing profiles, offline. `managers` are the relationship managers
/// of premium cardholders.
pub async fn seed(
    store: &dyn Store,
    managers: &BTreeSet<UserId>,
    now: Timestamp,
) -> anyhow::Result<usize> {
    let mut agents = Vec::new();
    for skills in SKILLS {
        let Some(user) = store.user_by_email(skills.0).await? else {
            anyhow::bail!("demo staff member {} is missing", skills.0);
        };
        agents.push(AgentRecord {
            profile: profile(user.id, skills, managers.contains(&user.id)),
            availability: Availability::Offline,
            ready_since: now,
            wrap_up_started: None,
        });
    }
    let count = agents.len();
    let changes = RoutingChanges {
        at: now,
        agents,
        contacts: Vec::new(),
        finished: Vec::new(),
        figures: None,
    };
    store
        .save_routing_changes(&changes, Effects::none())
        .await?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;
    use routing::Policy;

    use super::*;

    /// The hubs where someone with `lang` (proficiency 3 or more) works.
    fn hubs_speaking(lang: L) -> BTreeSet<Hub> {
        SKILLS
            .iter()
            .filter(|s| s.2.iter().any(|(l, p)| *l == lang && *p >= 3))
            .map(|s| s.1)
            .collect()
    }

    #[test]
    fn every_hour_of_the_week_a_staffed_hub_is_open() {
        let policy = Policy::default();
        let staffed: BTreeSet<Hub> = SKILLS.iter().map(|s| s.1).collect();
        assert_eq!(staffed.len(), Hub::ALL.len(), "every hub has staff");
        for start in ["2026-01-05T00:00:00Z", "2026-07-06T00:00:00Z"] {
            let start: Timestamp = start.parse().unwrap();
            for hour in 0..7 * 24 {
                let at = start + jiff::SignedDuration::from_hours(hour);
                let open = policy.open_hubs(at).unwrap();
                assert!(open.iter().any(|h| staffed.contains(h)), "nobody at {at}");
            }
        }
    }

    #[test]
    fn a_spanish_speaker_is_at_work_at_3am_new_york_time() {
        let policy = Policy::default();
        let spanish = hubs_speaking(L::Es);
        for day in [date(2026, 1, 7), date(2026, 7, 8), date(2026, 11, 1)] {
            let at = day.at(3, 0, 0, 0).in_tz("America/New_York").unwrap();
            let open = policy.open_hubs(at.timestamp()).unwrap();
            assert!(
                open.iter().any(|h| spanish.contains(h)),
                "{at}: open {open:?}, Spanish at {spanish:?}"
            );
        }
    }

    #[test]
    fn every_demo_language_is_spoken_and_profiles_are_valid() {
        for lang in [
            L::En,
            L::Es,
            L::Ja,
            L::Hi,
            L::Fr,
            L::De,
            L::Zh,
            L::Ar,
            L::Pt,
        ] {
            assert!(!hubs_speaking(lang).is_empty(), "{lang:?}");
        }
        let mut engine =
            routing::Engine::new(Policy::default(), "2026-01-05T00:00:00Z".parse().unwrap())
                .unwrap();
        for (i, skills) in SKILLS.iter().enumerate() {
            let p = profile(UserId::new(), skills, i % 2 == 0);
            let now = engine.now();
            engine.upsert_agent(p, now).unwrap();
        }
    }
}
