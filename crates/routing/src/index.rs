//! Dense indexes that make each routing decision a handful of ordered-map lookups.
//!
//! Waiting contacts are filed by how far their search has reached: by (medium, department,
//! language, tier, home hub) while only their home hub may answer, by (medium, department,
//! language, tier) once any hub may, and by (medium, language) once any agent with the language
//! may. Free agents are filed by (medium, department, language, tier, hub) and by (medium,
//! language). Every entry of a bucket is eligible for every agent the bucket's key describes, so
//! the first entry of a bucket is the best candidate in it.

use std::collections::{BTreeMap, BTreeSet};

use domain::{Department, Lang, Tier, Timestamp};

use crate::model::{Hub, Medium, Priority, Reach};

const MEDIA: usize = Medium::ALL.len();
const DEPARTMENTS: usize = Department::ALL.len();
const LANGS: usize = Lang::ALL.len();
const TIERS: usize = Tier::ALL.len();
const HUBS: usize = Hub::ALL.len();

/// The part of a contact's or agent's skill set that one bucket is keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SkillKey {
    pub medium: Medium,
    pub department: Department,
    pub lang: Lang,
    pub tier: Tier,
}

impl SkillKey {
    fn any_hub_slot(self) -> usize {
        ((self.medium as usize * DEPARTMENTS + self.department as usize) * LANGS
            + self.lang as usize)
            * TIERS
            + self.tier as usize
    }

    fn hub_slot(self, hub: Hub) -> usize {
        self.any_hub_slot() * HUBS + hub as usize
    }
}

fn language_slot(medium: Medium, lang: Lang) -> usize {
    medium as usize * LANGS + lang as usize
}

/// Answer order of waiting contacts: priority, then longest waiting, then arrival order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ContactRank {
    pub priority: Priority,
    pub arrived_at: Timestamp,
    pub seq: u64,
}

/// Preference order of free agents (smaller is preferred); see `AgentOrder`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct AgentRank {
    pub first: i64,
    pub second: i64,
    pub agent: u32,
}

pub(crate) type ContactBucket = BTreeMap<ContactRank, u32>;

/// Contacts waiting for an agent, filed by reach.
#[derive(Debug)]
pub(crate) struct WaitingContacts {
    home_hub: Vec<ContactBucket>,
    any_hub: Vec<ContactBucket>,
    language: Vec<ContactBucket>,
}

impl WaitingContacts {
    pub fn new() -> Self {
        let empty = |n: usize| (0..n).map(|_| ContactBucket::new()).collect();
        Self {
            home_hub: empty(MEDIA * DEPARTMENTS * LANGS * TIERS * HUBS),
            any_hub: empty(MEDIA * DEPARTMENTS * LANGS * TIERS),
            language: empty(MEDIA * LANGS),
        }
    }

    fn bucket_mut(&mut self, skill: SkillKey, home: Hub, reach: Reach) -> &mut ContactBucket {
        match reach {
            Reach::HomeHub => &mut self.home_hub[skill.hub_slot(home)],
            Reach::AnyHub => &mut self.any_hub[skill.any_hub_slot()],
            Reach::AnyAgentWithLanguage => {
                &mut self.language[language_slot(skill.medium, skill.lang)]
            }
        }
    }

    pub fn insert(
        &mut self,
        skill: SkillKey,
        home: Hub,
        reach: Reach,
        rank: ContactRank,
        slot: u32,
    ) {
        self.bucket_mut(skill, home, reach).insert(rank, slot);
    }

    pub fn remove(&mut self, skill: SkillKey, home: Hub, reach: Reach, rank: &ContactRank) {
        self.bucket_mut(skill, home, reach).remove(rank);
    }

    /// The buckets whose contacts an agent of `hub` with `skill` may take.
    pub fn buckets_for_agent(&self, skill: SkillKey, hub: Hub) -> [&ContactBucket; 2] {
        [
            &self.home_hub[skill.hub_slot(hub)],
            &self.any_hub[skill.any_hub_slot()],
        ]
    }

    /// The bucket of contacts any agent speaking `lang` may take.
    pub fn language_bucket(&self, medium: Medium, lang: Lang) -> &ContactBucket {
        &self.language[language_slot(medium, lang)]
    }
}

/// Agents with room for another contact of a medium, filed by skill.
#[derive(Debug)]
pub(crate) struct IdleAgents {
    skilled: Vec<BTreeSet<AgentRank>>,
    language: Vec<BTreeSet<AgentRank>>,
}

impl IdleAgents {
    pub fn new() -> Self {
        let empty = |n: usize| (0..n).map(|_| BTreeSet::new()).collect();
        Self {
            skilled: empty(MEDIA * DEPARTMENTS * LANGS * TIERS * HUBS),
            language: empty(MEDIA * LANGS),
        }
    }

    pub fn skilled_mut(&mut self, skill: SkillKey, hub: Hub) -> &mut BTreeSet<AgentRank> {
        &mut self.skilled[skill.hub_slot(hub)]
    }

    pub fn language_mut(&mut self, medium: Medium, lang: Lang) -> &mut BTreeSet<AgentRank> {
        &mut self.language[language_slot(medium, lang)]
    }

    pub fn skilled(&self, skill: SkillKey, hub: Hub) -> &BTreeSet<AgentRank> {
        &self.skilled[skill.hub_slot(hub)]
    }

    pub fn language(&self, medium: Medium, lang: Lang) -> &BTreeSet<AgentRank> {
        &self.language[language_slot(medium, lang)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_skill_and_hub_has_its_own_bucket() {
        let mut seen = std::collections::HashSet::new();
        for medium in Medium::ALL {
            for department in Department::ALL {
                for lang in Lang::ALL {
                    for tier in Tier::ALL {
                        let skill = SkillKey {
                            medium,
                            department: *department,
                            lang: *lang,
                            tier: *tier,
                        };
                        for hub in Hub::ALL {
                            assert!(seen.insert(skill.hub_slot(*hub)));
                        }
                    }
                }
            }
        }
        assert_eq!(seen.len(), MEDIA * DEPARTMENTS * LANGS * TIERS * HUBS);
        assert_eq!(seen.iter().max(), Some(&(seen.len() - 1)));
    }
}
