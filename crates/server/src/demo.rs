//! The fictional demo issuer, "Example Card Co.": staff of every role and a few hundred
//! cardholders over every tier, generated deterministically so that tests and the guided tour
//! can name them. Every email is under the reserved example domains; every phone number is in
//! a range set aside for fiction.

mod agents;
mod appointments;
pub mod cards;
mod directory;

use std::collections::BTreeSet;

use domain::{CardholderId, Country, Lang, Role, Tier, UserId};
use store::{Address, Cardholder, Effects, Store, User};

use crate::auth::password;

/// The password of every demo account (shown on the login page in demo mode).
pub const DEMO_PASSWORD: &str = "helpline-demo";
pub const DEMO_CARDHOLDERS: usize = 300;

/// (email, display name, role, language)
pub const DEMO_STAFF: &[(&str, &str, Role, Lang)] = &[
    ("admin@example.com", "Avery Admin", Role::Admin, Lang::En),
    (
        "supervisor@example.com",
        "Sam Okafor",
        Role::Supervisor,
        Lang::En,
    ),
    (
        "analyst@example.com",
        "Farah Haddad",
        Role::FraudAnalyst,
        Lang::En,
    ),
    ("agent@example.com", "Alex Morgan", Role::Agent, Lang::En),
    (
        "lucia@example.com",
        "Lucía Fernández",
        Role::Agent,
        Lang::Es,
    ),
    ("kenji@example.com", "Kenji Watanabe", Role::Agent, Lang::Ja),
    ("priya@example.com", "Priya Sharma", Role::Agent, Lang::Hi),
    ("chloe@example.com", "Chloé Martin", Role::Agent, Lang::Fr),
    ("jonas@example.com", "Jonas Becker", Role::Agent, Lang::De),
    ("mei@example.com", "Mei Chen", Role::Agent, Lang::Zh),
    ("omar@example.com", "Omar Nasser", Role::Agent, Lang::Ar),
    ("rafael@example.com", "Rafael Souza", Role::Agent, Lang::Pt),
];

/// Where demo cardholders live: (country, IANA zone, city, region, languages spoken there).
const PLACES: &[(&str, &str, &str, &str, &[Lang])] = &[
    (
        "US",
        "America/New_York",
        "New York",
        "NY",
        &[Lang::En, Lang::Es],
    ),
    (
        "US",
        "America/Los_Angeles",
        "Los Angeles",
        "CA",
        &[Lang::En, Lang::Es],
    ),
    ("US", "America/Chicago", "Chicago", "IL", &[Lang::En]),
    (
        "CA",
        "America/Toronto",
        "Toronto",
        "ON",
        &[Lang::En, Lang::Fr],
    ),
    (
        "MX",
        "America/Mexico_City",
        "Ciudad de México",
        "CDMX",
        &[Lang::Es],
    ),
    ("BR", "America/Sao_Paulo", "São Paulo", "SP", &[Lang::Pt]),
    ("GB", "Europe/London", "London", "", &[Lang::En]),
    ("FR", "Europe/Paris", "Paris", "", &[Lang::Fr]),
    ("DE", "Europe/Berlin", "Berlin", "", &[Lang::De]),
    ("ES", "Europe/Madrid", "Madrid", "", &[Lang::Es]),
    ("IT", "Europe/Rome", "Roma", "", &[Lang::It]),
    ("JP", "Asia/Tokyo", "Tokyo", "", &[Lang::Ja, Lang::En]),
    ("IN", "Asia/Kolkata", "Mumbai", "MH", &[Lang::Hi, Lang::En]),
    (
        "SG",
        "Asia/Singapore",
        "Singapore",
        "",
        &[Lang::En, Lang::Zh, Lang::Ms, Lang::Ta],
    ),
    (
        "HK",
        "Asia/Hong_Kong",
        "Hong Kong",
        "",
        &[Lang::Yue, Lang::En],
    ),
    ("AU", "Australia/Sydney", "Sydney", "NSW", &[Lang::En]),
    ("AE", "Asia/Dubai", "Dubai", "", &[Lang::Ar, Lang::En]),
    ("KR", "Asia/Seoul", "Seoul", "", &[Lang::Ko]),
];

const GIVEN: &[&str] = &[
    "Maria", "James", "Aiko", "Carlos", "Emma", "Wei", "Fatima", "Lucas", "Sofia", "Raj", "Chloé",
    "Hans", "Ana", "Kenji", "Olivia", "Mateo", "Priya", "Noah", "Yuna", "Omar", "Isabela", "Liam",
    "Mei", "Pierre",
];
const FAMILY: &[&str] = &[
    "Garcia", "Smith", "Tanaka", "Silva", "Müller", "Chen", "Khan", "Rossi", "Dubois", "Kim",
    "Patel", "Brown", "López", "Sato", "Haddad", "Nguyen", "Jones", "Costa", "Ivanova", "Wilson",
    "Park", "Fischer", "Singh", "Moreau",
];

/// The tier of the `i`-th demo cardholder: every tier appears, mass-market tiers most.
pub fn demo_tier(i: usize) -> Tier {
    const CYCLE: [Tier; 20] = [
        Tier::Green,
        Tier::Gold,
        Tier::Green,
        Tier::Platinum,
        Tier::Gold,
        Tier::Business,
        Tier::Green,
        Tier::Gold,
        Tier::CoBrand,
        Tier::Green,
        Tier::Gold,
        Tier::Platinum,
        Tier::Green,
        Tier::Business,
        Tier::Gold,
        Tier::Centurion,
        Tier::Green,
        Tier::CoBrand,
        Tier::Gold,
        Tier::Business,
    ];
    CYCLE[i % CYCLE.len()]
}

/// A small deterministic generator (SplitMix64) so the demo is the same on every machine.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The `i`-th demo cardholder, the same on every run. `rm` is the relationship manager for
/// premium cardholders; `password_hash` lets them sign in to the portal.
pub fn demo_cardholder(
    i: usize,
    password_hash: &str,
    rm: Option<UserId>,
    at: jiff::Timestamp,
) -> anyhow::Result<Cardholder> {
    let mut seq = Sequence(0x4845_4C50 + i as u64);
    let given = GIVEN[(i + seq.below(7)) % GIVEN.len()];
    let family = FAMILY[(i * 7 + seq.below(5)) % FAMILY.len()];
    let (country, zone, city, region, langs) = PLACES[i % PLACES.len()];
    let language = langs[seq.below(langs.len())];
    let tier = demo_tier(i);
    let ascii = |s: &str| {
        s.chars()
            .map(|c| match c {
                'é' | 'è' => 'e',
                'ü' => 'u',
                'ó' => 'o',
                'í' => 'i',
                'ã' => 'a',
                other => other,
            })
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_lowercase()
    };
    let email = format!("{}.{}.{i}@example.net", ascii(given), ascii(family));
    let phone = match country {
        // North American numbers 555-0100..0199 are reserved for fiction.
        "US" | "CA" => Some(format!(
            "+1{}5550{:03}",
            ["212", "310", "312", "416"][i % 4],
            100 + i % 100
        )),
        // Ofcom's drama range for mobiles.
        "GB" => Some(format!("+447700900{:03}", i % 1000)),
        // ACMA's fictitious mobile range.
        "AU" => Some(format!("+61491570{:03}", 110 + i % 50)),
        _ => None,
    };
    let postcode = format!("{:05}", 10000 + seq.below(89999));
    let year = 1950 + seq.below(50);
    let month = 1 + seq.below(12);
    let day = 1 + seq.below(28);
    Ok(Cardholder {
        id: CardholderId::new(),
        given_name: given.to_owned(),
        family_name: family.to_owned(),
        email,
        phone,
        language,
        country: Country::parse(country)?,
        time_zone: zone.to_owned(),
        tier,
        date_of_birth: Some(format!("{year:04}-{month:02}-{day:02}")),
        postcode: Some(postcode.clone()),
        tax_id_last4: Some(format!("{:04}", seq.below(10000))),
        address: Address {
            lines: vec![format!("{} Example Street", 1 + seq.below(400))],
            city: city.to_owned(),
            region: region.to_owned(),
            postcode,
            country: country.to_owned(),
        },
        password_hash: Some(password_hash.to_owned()),
        relationship_manager: if tier.is_premium() { rm } else { None },
        created_at: at,
    })
}

/// The email of the agent who is the `i`-th demo cardholder's relationship manager (premium
/// tiers only): the agents take the premium cardholders in turn.
pub fn demo_relationship_manager(i: usize) -> Option<&'static str> {
    if !demo_tier(i).is_premium() {
        return None;
    }
    let agents: Vec<&'static str> = DEMO_STAFF
        .iter()
        .filter(|(_, _, role, _)| *role == Role::Agent)
        .map(|(email, ..)| *email)
        .collect();
    agents.get(i % agents.len().max(1)).copied()
}

/// What the demo seeding did.
pub struct Seeded {
    pub staff: usize,
    pub cardholders: usize,
}

/// Fills an empty database with the demo issuer; leaves a database that already has it alone.
pub async fn seed(store: &dyn Store, now: jiff::Timestamp) -> anyhow::Result<Seeded> {
    directory::seed(store, now).await?;
    if store.user_by_email(DEMO_STAFF[0].0).await?.is_some() {
        return Ok(Seeded {
            staff: 0,
            cardholders: 0,
        });
    }
    // One hash for every demo account: hashing hundreds would slow the start for nothing.
    let hash = password::hash(DEMO_PASSWORD)?;
    let mut managers = std::collections::BTreeMap::new();
    for (email, name, role, language) in DEMO_STAFF {
        let user = User {
            id: UserId::new(),
            email: (*email).to_owned(),
            display_name: (*name).to_owned(),
            role: *role,
            password_hash: hash.clone(),
            language: *language,
            disabled: false,
            created_at: now,
        };
        store.insert_user(&user, Effects::none()).await?;
        managers.insert(*email, user.id);
    }
    let mut premium_managers = BTreeSet::new();
    for i in 0..DEMO_CARDHOLDERS {
        let rm = demo_relationship_manager(i).and_then(|email| managers.get(email).copied());
        let cardholder = demo_cardholder(i, &hash, rm, now)?;
        premium_managers.extend(cardholder.relationship_manager);
        store
            .insert_cardholder(&cardholder, Effects::none())
            .await?;
    }
    agents::seed(store, &premium_managers, now).await?;
    appointments::seed(store, now).await?;
    Ok(Seeded {
        staff: DEMO_STAFF.len(),
        cardholders: DEMO_CARDHOLDERS,
    })
}

/// The first demo cardholder's portal login, for the start-up banner and the tour.
pub fn first_cardholder_email() -> String {
    let at = jiff::Timestamp::UNIX_EPOCH;
    demo_cardholder(0, "", None, at)
        .map(|c| c.email)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_cardholders_are_stable_and_cover_every_tier() {
        let at: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let a = demo_cardholder(5, "h", None, at).unwrap();
        let b = demo_cardholder(5, "h", None, at).unwrap();
        assert_eq!(
            (a.email.clone(), a.date_of_birth.clone()),
            (b.email, b.date_of_birth)
        );
        assert!(a.email.ends_with("@example.net"));
        for tier in Tier::ALL {
            assert!(
                (0..DEMO_CARDHOLDERS).any(|i| demo_tier(i) == *tier),
                "{tier}"
            );
        }
        let emails: std::collections::HashSet<_> = (0..DEMO_CARDHOLDERS)
            .map(|i| demo_cardholder(i, "h", None, at).unwrap().email)
            .collect();
        assert_eq!(emails.len(), DEMO_CARDHOLDERS);
    }
}
