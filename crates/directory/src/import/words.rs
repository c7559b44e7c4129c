//! The words an article uses for countries, regions, service lines, tiers, languages and hours.

use domain::{Country, Lang, Tier};

use crate::entry::ServiceLine;

/// English names of countries and regions with an ISO code, longest first where one contains
/// another. Matched case-insensitively on word boundaries.
const COUNTRY_NAMES: &[(&str, &str)] = &[
    ("united states of america", "US"),
    ("united states", "US"),
    ("canada", "CA"),
    ("mexico", "MX"),
    ("brazil", "BR"),
    ("argentina", "AR"),
    ("chile", "CL"),
    ("colombia", "CO"),
    ("peru", "PE"),
    ("united kingdom", "GB"),
    ("great britain", "GB"),
    ("britain", "GB"),
    ("england", "GB"),
    ("ireland", "IE"),
    ("france", "FR"),
    ("germany", "DE"),
    ("italy", "IT"),
    ("spain", "ES"),
    ("portugal", "PT"),
    ("netherlands", "NL"),
    ("belgium", "BE"),
    ("switzerland", "CH"),
    ("austria", "AT"),
    ("sweden", "SE"),
    ("norway", "NO"),
    ("denmark", "DK"),
    ("finland", "FI"),
    ("poland", "PL"),
    ("greece", "GR"),
    ("russia", "RU"),
    ("turkey", "TR"),
    ("australia", "AU"),
    ("new zealand", "NZ"),
    ("japan", "JP"),
    ("china", "CN"),
    ("hong kong", "HK"),
    ("taiwan", "TW"),
    ("south korea", "KR"),
    ("korea", "KR"),
    ("india", "IN"),
    ("singapore", "SG"),
    ("malaysia", "MY"),
    ("indonesia", "ID"),
    ("thailand", "TH"),
    ("philippines", "PH"),
    ("vietnam", "VN"),
    ("south africa", "ZA"),
    ("kenya", "KE"),
    ("nigeria", "NG"),
    ("egypt", "EG"),
    ("saudi arabia", "SA"),
    ("united arab emirates", "AE"),
    ("israel", "IL"),
    ("qatar", "QA"),
];

/// Abbreviations, matched case-sensitively so that "us" the pronoun is not the United States.
const COUNTRY_ABBREVIATIONS: &[(&str, &str)] = &[
    ("U.S.A.", "US"),
    ("U.S.", "US"),
    ("USA", "US"),
    ("US", "US"),
    ("U.K.", "GB"),
    ("UK", "GB"),
    ("UAE", "AE"),
];

/// Regions that are not one country: a listing under them has no single country.
const REGIONS: &[&str] = &[
    "europe",
    "asia-pacific",
    "asia pacific",
    "asia",
    "latin america",
    "south america",
    "middle east",
    "africa",
    "caribbean",
    "international",
];

/// Service lines by the words that name them, in precedence order: when a text names several,
/// the more specific line wins ("Dispute and Fraud Reporting Line" is the fraud line).
const SERVICE_WORDS: &[(ServiceLine, &[&str])] = &[
    (ServiceLine::InternationalCollect, &["collect"]),
    (
        ServiceLine::LostStolen,
        &["lost or stolen", "lost/stolen", "lost card", "stolen"],
    ),
    (ServiceLine::Fraud, &["fraud", "unauthori"]),
    (ServiceLine::Roadside, &["roadside"]),
    (ServiceLine::Travel, &["travel", "global assist"]),
    (ServiceLine::Rewards, &["reward", "points"]),
    (ServiceLine::Activation, &["activat"]),
    (ServiceLine::Business, &["business", "corporate"]),
    (ServiceLine::Billing, &["billing", "dispute", "statement"]),
    (
        ServiceLine::General,
        &["customer service", "customer care", "general", "helpline"],
    ),
];

const TIER_WORDS: &[(Tier, &str)] = &[
    (Tier::Green, "green"),
    (Tier::Gold, "gold"),
    (Tier::Platinum, "platinum"),
    (Tier::Centurion, "centurion"),
];

const ALWAYS_OPEN: &[&str] = &[
    "24/7",
    "24x7",
    "24 hours a day",
    "24-hour",
    "24 hour",
    "around the clock",
    "round the clock",
];

/// Where a text says a line serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Country(Country),
    /// "For countries not listed above": the rest of the world.
    Global,
    /// A region that is not one country ("Europe").
    Region(String),
}

/// Finds `needle` (lowercase) in `haystack` (lowercase) with no letter or digit either side.
fn find_word(haystack: &str, needle: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = haystack[from..].find(needle) {
        let start = from + found;
        let end = start + needle.len();
        let before = haystack[..start].chars().next_back();
        let after = haystack[end..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        if boundary(before) && boundary(after) {
            return Some(start);
        }
        from = start + needle.len().max(1);
    }
    None
}

/// The first country a text names, by position.
pub fn country_in(text: &str) -> Option<Country> {
    let lower = text.to_lowercase();
    let named = COUNTRY_NAMES
        .iter()
        .filter_map(|(name, code)| find_word(&lower, name).map(|at| (at, *code)));
    let abbreviated = COUNTRY_ABBREVIATIONS
        .iter()
        .filter_map(|(abbr, code)| find_word(text, abbr).map(|at| (at, *code)));
    named
        .chain(abbreviated)
        .min_by_key(|(at, _)| *at)
        .and_then(|(_, code)| Country::parse(code).ok())
}

/// Where a text places a line: a country, the rest of the world, or a region.
pub fn place_in(text: &str) -> Option<Place> {
    let lower = text.to_lowercase();
    if [
        "countries not listed",
        "other countries",
        "all other countries",
    ]
    .iter()
    .any(|phrase| lower.contains(phrase))
    {
        return Some(Place::Global);
    }
    if let Some(country) = country_in(text) {
        return Some(Place::Country(country));
    }
    REGIONS
        .iter()
        .find(|region| find_word(&lower, region).is_some())
        .map(|region| Place::Region(title_case(region)))
}

fn title_case(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut start = true;
    for ch in text.chars() {
        out.extend(if start {
            ch.to_uppercase().collect::<Vec<_>>()
        } else {
            vec![ch]
        });
        start = !ch.is_alphanumeric();
    }
    out
}

/// The most specific service line a text names.
pub fn service_in(text: &str) -> Option<ServiceLine> {
    let lower = text.to_lowercase();
    SERVICE_WORDS
        .iter()
        .find(|(_, words)| words.iter().any(|w| lower.contains(w)))
        .map(|(line, _)| *line)
}

pub fn tiers_in(text: &str) -> Vec<Tier> {
    let lower = text.to_lowercase();
    TIER_WORDS
        .iter()
        .filter(|(_, word)| find_word(&lower, word).is_some())
        .map(|(tier, _)| *tier)
        .collect()
}

/// Languages a text names in English ("English, Cantonese, Mandarin"); "Chinese" is Mandarin.
pub fn languages_in(text: &str) -> Vec<Lang> {
    let lower = text.to_lowercase();
    let mut found: Vec<(usize, Lang)> = Lang::ALL
        .iter()
        .filter_map(|&lang| {
            find_word(&lower, &lang.english_name().to_lowercase()).map(|at| (at, lang))
        })
        .collect();
    if let Some(at) = find_word(&lower, "chinese") {
        found.push((at, Lang::Zh));
    }
    found.sort();
    let mut langs: Vec<Lang> = Vec::new();
    for (_, lang) in found {
        if !langs.contains(&lang) {
            langs.push(lang);
        }
    }
    langs
}

/// Whether a text says "open around the clock".
pub fn says_always_open(text: &str) -> bool {
    let lower = text.to_lowercase();
    ALWAYS_OPEN.iter().any(|phrase| lower.contains(phrase))
}

/// Whether a text marks a number as free to call.
pub fn says_toll_free(text: &str) -> bool {
    let lower = text.to_lowercase();
    ["toll-free", "toll free", "freephone", "free from"]
        .iter()
        .any(|phrase| lower.contains(phrase))
}

pub fn says_collect(text: &str) -> bool {
    text.to_lowercase().contains("collect")
}

/// Whether a label or clause is about a fax, not a phone line.
pub fn says_fax(text: &str) -> bool {
    find_word(&text.to_lowercase(), "fax").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_are_found_by_name_and_abbreviation_on_word_boundaries() {
        let code = |t: &str| country_in(t).map(|c| c.code().to_owned());
        assert_eq!(
            code("United States Toll-Free Numbers").as_deref(),
            Some("US")
        );
        assert_eq!(code("Australia and New Zealand").as_deref(), Some("AU"));
        assert_eq!(code("New Zealand Customer Service:").as_deref(), Some("NZ"));
        assert_eq!(code("UK Customer Service:").as_deref(), Some("GB"));
        assert_eq!(code("(U.S.)").as_deref(), Some("US"));
        assert_eq!(code("contact us today"), None);
        assert_eq!(code("Indiana"), None);
        assert_eq!(
            place_in("Europe (Multilingual Support):"),
            Some(Place::Region("Europe".into()))
        );
        assert_eq!(
            place_in("For countries not listed above, dial"),
            Some(Place::Global)
        );
    }

    #[test]
    fn the_most_specific_service_wins() {
        assert_eq!(
            service_in("Dispute and Fraud Reporting Line:"),
            Some(ServiceLine::Fraud)
        );
        assert_eq!(
            service_in("Travel Assistance (Global Assist Hotline):"),
            Some(ServiceLine::Travel)
        );
        assert_eq!(
            service_in(
                "For corporate or small business accounts, a common customer service number is"
            ),
            Some(ServiceLine::Business)
        );
        assert_eq!(service_in("Mobile users"), None);
    }

    #[test]
    fn languages_are_english_names_not_codes() {
        assert_eq!(
            languages_in("English, Mandarin, Malay, Tamil"),
            vec![Lang::En, Lang::Zh, Lang::Ms, Lang::Ta]
        );
        assert!(languages_in("it is available").is_empty());
    }
}
