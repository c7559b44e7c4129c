//! Replacement orders for lost, stolen and closed cards: shipping options, fees and the
//! promised delivery window on business days.

use std::collections::BTreeSet;
use std::fmt;

use domain::{Country, Currency, Money, Tier, Timestamp};
use jiff::SignedDuration;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;

use crate::card::{Card, CardState, LifecycleError, ReplacementLink};
use crate::events::Event;
use crate::time::after;

/// A postal address; the same shape as the store's address document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "AddressFields")]
pub struct Address {
    lines: Vec<String>,
    city: String,
    region: String,
    postcode: String,
    country: Country,
}

/// The unchecked fields of an address, as a form or a JSON body gives them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AddressFields {
    pub lines: Vec<String>,
    pub city: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub postcode: String,
    pub country: Country,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("an address needs 1 to 4 street lines, each 1 to 100 characters")]
    Lines,
    #[error("an address needs a city (1 to 100 characters)")]
    City,
    #[error("a region has at most 100 characters")]
    Region,
    #[error("a postcode has at most 16 letters, digits, spaces or dashes")]
    Postcode,
}

const MAX_FIELD: usize = 100;

fn clean(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl TryFrom<AddressFields> for Address {
    type Error = AddressError;
    fn try_from(fields: AddressFields) -> Result<Self, Self::Error> {
        let lines: Vec<String> = fields
            .lines
            .iter()
            .map(|l| clean(l.as_str()))
            .filter(|l| !l.is_empty())
            .collect();
        if lines.is_empty()
            || lines.len() > 4
            || lines.iter().any(|l| l.chars().count() > MAX_FIELD)
        {
            return Err(AddressError::Lines);
        }
        let city = clean(&fields.city);
        if city.is_empty() || city.chars().count() > MAX_FIELD {
            return Err(AddressError::City);
        }
        let region = clean(&fields.region);
        if region.chars().count() > MAX_FIELD {
            return Err(AddressError::Region);
        }
        let postcode = clean(&fields.postcode).to_uppercase();
        if postcode.len() > 16
            || !postcode
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
        {
            return Err(AddressError::Postcode);
        }
        Ok(Address {
            lines,
            city,
            region,
            postcode,
            country: fields.country,
        })
    }
}

impl Address {
    pub fn new(fields: AddressFields) -> Result<Self, AddressError> {
        fields.try_into()
    }

    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    pub fn city(&self) -> &str {
        &self.city
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// Upper-case, single-spaced; empty where the country has none.
    pub fn postcode(&self) -> &str {
        &self.postcode
    }

    pub fn country(&self) -> Country {
        self.country
    }
}

/// How the replacement travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShippingOption {
    /// 3–5 business days, free, within the home country.
    Standard,
    /// 1–2 business days, with a fee, within the home country.
    Expedited,
    /// 24–72 hours by courier to an address abroad (hotel, embassy or other).
    Global,
}

impl ShippingOption {
    /// The business-day range for domestic options.
    const fn business_days(self) -> Option<(u32, u32)> {
        match self {
            ShippingOption::Standard => Some((3, 5)),
            ShippingOption::Expedited => Some((1, 2)),
            ShippingOption::Global => None,
        }
    }
}

/// What kind of place a delivery address abroad is, for the courier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceKind {
    Home,
    Hotel,
    Embassy,
    Office,
    Other,
}

/// Where the replacement goes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Destination {
    /// The cardholder's address on file.
    AddressOnFile,
    /// Any other address: a risky action that needs strong verification.
    Elsewhere { place: PlaceKind, address: Address },
}

/// What the cardholder (or the agent for them) asked for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReplacementRequest {
    pub shipping: ShippingOption,
    pub destination: Destination,
}

impl ReplacementRequest {
    /// Sending a card anywhere but the address on file needs step-up verification.
    pub fn needs_step_up(&self) -> bool {
        matches!(self.destination, Destination::Elsewhere { .. })
    }
}

/// Fees for replacement shipping, charged in the account's currency.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ShippingFees {
    pub expedited: Money,
    pub global: Money,
    /// Tiers whose replacements ship free whatever the option.
    pub waived_for: Vec<Tier>,
}

impl Default for ShippingFees {
    /// Expedited 15.00 USD; global courier included; premium tiers pay nothing.
    fn default() -> Self {
        Self {
            expedited: Money::new(15_00, Currency::USD),
            global: Money::new(0, Currency::USD),
            waived_for: vec![Tier::Platinum, Tier::Centurion],
        }
    }
}

impl ShippingFees {
    pub fn fee(&self, shipping: ShippingOption, tier: Tier) -> Money {
        let listed = match shipping {
            ShippingOption::Standard => Money::new(0, self.expedited.currency),
            ShippingOption::Expedited => self.expedited,
            ShippingOption::Global => self.global,
        };
        if self.waived_for.contains(&tier) {
            Money::new(0, listed.currency)
        } else {
            listed
        }
    }
}

/// Working days of the card-production and mailing centre: Monday to Friday in one time zone,
/// except the listed holidays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessCalendar {
    time_zone: TimeZone,
    holidays: BTreeSet<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone {0:?}; use an IANA name such as America/New_York")]
pub struct UnknownTimeZone(String);

impl BusinessCalendar {
    pub fn new(time_zone: TimeZone, holidays: impl IntoIterator<Item = Date>) -> Self {
        Self {
            time_zone,
            holidays: holidays.into_iter().collect(),
        }
    }

    /// From an IANA time-zone name (as configuration holds it).
    pub fn named(
        time_zone: &str,
        holidays: impl IntoIterator<Item = Date>,
    ) -> Result<Self, UnknownTimeZone> {
        let tz = TimeZone::get(time_zone).map_err(|_| UnknownTimeZone(time_zone.to_owned()))?;
        Ok(Self::new(tz, holidays))
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.time_zone
    }

    pub fn is_business_day(&self, date: Date) -> bool {
        !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
            && !self.holidays.contains(&date)
    }

    /// The `n`-th business day strictly after `date` (`n` ≥ 1).
    pub fn business_days_after(&self, date: Date, n: u32) -> Date {
        let mut day = date;
        let mut counted = 0;
        while counted < n {
            day = day.tomorrow().unwrap_or(day);
            if self.is_business_day(day) {
                counted += 1;
            }
        }
        day
    }

    /// The local date of an instant.
    pub fn date_of(&self, at: Timestamp) -> Date {
        crate::time::local_date(at, &self.time_zone)
    }
}

/// When the replacement will arrive.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DeliveryWindow {
    /// Between two local dates (inclusive) of the calendar's time zone.
    BusinessDays {
        first: Date,
        last: Date,
        time_zone: String,
    },
    /// Between two instants (courier service running every day).
    Hours {
        earliest: Timestamp,
        latest: Timestamp,
    },
}

impl fmt::Display for DeliveryWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeliveryWindow::BusinessDays { first, last, .. } => write!(
                f,
                "between {} and {}",
                first.strftime("%a %-d %b %Y"),
                last.strftime("%a %-d %b %Y")
            ),
            DeliveryWindow::Hours { earliest, latest } => write!(
                f,
                "between {} and {} (UTC)",
                earliest.strftime("%a %-d %b %H:%M"),
                latest.strftime("%a %-d %b %H:%M")
            ),
        }
    }
}

/// Business days are counted from the day after the order, in the calendar's time zone: an
/// order on Friday evening with standard shipping arrives Wednesday to Friday of the next week.
pub fn delivery_window(
    shipping: ShippingOption,
    calendar: &BusinessCalendar,
    now: Timestamp,
) -> DeliveryWindow {
    match shipping.business_days() {
        Some((min, max)) => {
            let ordered_on = calendar.date_of(now);
            DeliveryWindow::BusinessDays {
                first: calendar.business_days_after(ordered_on, min),
                last: calendar.business_days_after(ordered_on, max),
                time_zone: calendar.time_zone.iana_name().unwrap_or("UTC").to_owned(),
            }
        }
        None => DeliveryWindow::Hours {
            earliest: after(now, SignedDuration::from_hours(24)),
            latest: after(now, SignedDuration::from_hours(72)),
        },
    }
}

/// The order the edge stores and sends to card production.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReplacementOrder {
    pub replaces: ReplacementLink,
    pub replacement: ReplacementLink,
    pub shipping: ShippingOption,
    pub place: PlaceKind,
    pub address: Address,
    pub to_address_on_file: bool,
    pub fee: Money,
    pub window: DeliveryWindow,
    pub ordered_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplacementError {
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
    #[error(
        "the replacement card must be newly issued on the same account for the same cardholder (card ending {0} is not)"
    )]
    NotASuitableReplacement(crate::pan::Last4),
    #[error(
        "{option:?} delivery ships only within {home}; for an address in {destination}, choose global delivery"
    )]
    DomesticOnly {
        option: ShippingOption,
        home: Country,
        destination: Country,
    },
    #[error(
        "global delivery is for addresses abroad (outside {home}); give the hotel, embassy or other address, or choose standard or expedited"
    )]
    GlobalNeedsAbroad { home: Country },
}

/// Everything ordering a replacement produces, for one store transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplacementOrdered {
    /// The reported card, now linked to its replacement.
    pub old_card: Card,
    pub order: ReplacementOrder,
    pub events: Vec<Event>,
}

/// Orders `replacement` (a card issued by the edge for the same account) for the terminal card
/// `card`, to be shipped per `request`. Call it right after [`Card::report`] in the same
/// transaction; if the request is refused, the card stays blocked and the order can be retried.
pub fn order_replacement(
    card: &Card,
    replacement: &Card,
    request: &ReplacementRequest,
    address_on_file: &Address,
    fees: &ShippingFees,
    calendar: &BusinessCalendar,
    now: Timestamp,
) -> Result<ReplacementOrdered, ReplacementError> {
    let suitable = matches!(replacement.state, CardState::Issued { .. })
        && replacement.id != card.id
        && replacement.account_id == card.account_id
        && replacement.cardholder_id == card.cardholder_id;
    if !suitable {
        return Err(ReplacementError::NotASuitableReplacement(replacement.last4));
    }
    let link = ReplacementLink {
        card_id: replacement.id,
        last4: replacement.last4,
    };
    let old_card = card.link_replacement(link)?;

    let home = address_on_file.country();
    let (place, address) = match &request.destination {
        Destination::AddressOnFile => (PlaceKind::Home, address_on_file.clone()),
        Destination::Elsewhere { place, address } => (*place, address.clone()),
    };
    match request.shipping {
        ShippingOption::Global if address.country() == home => {
            return Err(ReplacementError::GlobalNeedsAbroad { home });
        }
        ShippingOption::Standard | ShippingOption::Expedited if address.country() != home => {
            return Err(ReplacementError::DomesticOnly {
                option: request.shipping,
                home,
                destination: address.country(),
            });
        }
        _ => {}
    }

    let order = ReplacementOrder {
        replaces: ReplacementLink {
            card_id: card.id,
            last4: card.last4,
        },
        replacement: link,
        shipping: request.shipping,
        place,
        to_address_on_file: request.destination == Destination::AddressOnFile,
        address,
        fee: fees.fee(request.shipping, card.tier),
        window: delivery_window(request.shipping, calendar, now),
        ordered_at: now,
    };
    let events = vec![Event::ReplacementOrdered {
        card_id: card.id,
        cardholder_id: card.cardholder_id,
        order: order.clone(),
        at: now,
    }];
    Ok(ReplacementOrdered {
        old_card,
        order,
        events,
    })
}

/// Holidays as the configuration writes them (`2026-12-25`).
pub fn parse_holidays<'a>(
    dates: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<Date>, jiff::Error> {
    dates.into_iter().map(|d| d.trim().parse()).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::card::tests::{active_card, issued_card, ts};
    use crate::card::{Actor, Loss};
    use domain::CardId;

    pub(crate) fn address(country: &str) -> Address {
        Address::new(AddressFields {
            lines: vec!["1 Example Street".into()],
            city: "Springfield".into(),
            region: String::new(),
            postcode: "ex1 1aa".into(),
            country: country.parse().unwrap(),
        })
        .unwrap()
    }

    fn new_york(holidays: &[&str]) -> BusinessCalendar {
        BusinessCalendar::named(
            "America/New_York",
            parse_holidays(holidays.iter().copied()).unwrap(),
        )
        .unwrap()
    }

    fn window(
        shipping: ShippingOption,
        calendar: &BusinessCalendar,
        now: &str,
    ) -> (String, String) {
        match delivery_window(shipping, calendar, ts(now)) {
            DeliveryWindow::BusinessDays { first, last, .. } => {
                (first.to_string(), last.to_string())
            }
            DeliveryWindow::Hours { earliest, latest } => {
                (earliest.to_string(), latest.to_string())
            }
        }
    }

    #[test]
    fn delivery_windows_skip_weekends_and_holidays_in_the_local_time_zone() {
        let plain = new_york(&[]);
        let with_holidays = new_york(&["2026-11-26", "2026-12-25"]);
        use ShippingOption::*;
        let cases = [
            // Monday 2026-03-02, 10:00 New York.
            (
                Standard,
                &plain,
                "2026-03-02T15:00:00Z",
                "2026-03-05",
                "2026-03-09",
            ),
            (
                Expedited,
                &plain,
                "2026-03-02T15:00:00Z",
                "2026-03-03",
                "2026-03-04",
            ),
            // Friday evening: the weekend does not count.
            (
                Standard,
                &plain,
                "2026-03-06T23:00:00Z",
                "2026-03-11",
                "2026-03-13",
            ),
            (
                Expedited,
                &plain,
                "2026-03-06T23:00:00Z",
                "2026-03-09",
                "2026-03-10",
            ),
            // 02:00 UTC Saturday is still Friday evening in New York.
            (
                Expedited,
                &plain,
                "2026-03-07T02:00:00Z",
                "2026-03-09",
                "2026-03-10",
            ),
            // Saturday: counts from Monday.
            (
                Expedited,
                &plain,
                "2026-03-07T15:00:00Z",
                "2026-03-09",
                "2026-03-10",
            ),
            // Wednesday before Thanksgiving (Thu 26 Nov).
            (
                Expedited,
                &with_holidays,
                "2026-11-25T15:00:00Z",
                "2026-11-27",
                "2026-11-30",
            ),
            (
                Standard,
                &with_holidays,
                "2026-11-25T15:00:00Z",
                "2026-12-01",
                "2026-12-03",
            ),
            // Christmas Eve (Thu): Fri 25 is a holiday.
            (
                Expedited,
                &with_holidays,
                "2026-12-24T15:00:00Z",
                "2026-12-28",
                "2026-12-29",
            ),
        ];
        for (option, calendar, now, first, last) in cases {
            assert_eq!(
                window(option, calendar, now),
                (first.to_owned(), last.to_owned()),
                "{option:?} ordered {now}"
            );
        }
        assert_eq!(
            window(Global, &plain, "2026-03-06T23:00:00Z"),
            (
                "2026-03-07T23:00:00Z".to_owned(),
                "2026-03-09T23:00:00Z".to_owned()
            ),
            "global courier counts hours, weekends included"
        );
        let shown = delivery_window(Standard, &plain, ts("2026-03-02T15:00:00Z")).to_string();
        assert_eq!(shown, "between Thu 5 Mar 2026 and Mon 9 Mar 2026");
    }

    fn reported() -> Card {
        active_card()
            .report(Loss::Stolen, Actor::Cardholder, ts("2026-03-02T15:00:00Z"))
            .unwrap()
            .card
    }

    fn replacement_for(card: &Card) -> Card {
        Card {
            id: CardId::new(),
            account_id: card.account_id,
            cardholder_id: card.cardholder_id,
            ..issued_card("999900987654321")
        }
    }

    #[test]
    fn ordering_links_the_cards_and_prices_the_shipping() {
        let card = reported();
        let new_card = replacement_for(&card);
        let request = ReplacementRequest {
            shipping: ShippingOption::Expedited,
            destination: Destination::AddressOnFile,
        };
        let now = ts("2026-03-02T15:00:00Z");
        let done = order_replacement(
            &card,
            &new_card,
            &request,
            &address("US"),
            &ShippingFees::default(),
            &new_york(&[]),
            now,
        )
        .unwrap();
        assert!(matches!(
            done.old_card.state,
            CardState::Stolen { replacement: Some(link), .. } if link.card_id == new_card.id
        ));
        assert_eq!(done.order.fee, Money::new(15_00, Currency::USD));
        assert!(done.order.to_address_on_file);
        assert!(!request.needs_step_up());
        assert!(matches!(
            done.events[..],
            [Event::ReplacementOrdered { .. }]
        ));

        // Platinum ships free.
        let platinum = Card {
            tier: Tier::Platinum,
            ..card.clone()
        };
        let free = order_replacement(
            &platinum,
            &new_card,
            &request,
            &address("US"),
            &ShippingFees::default(),
            &new_york(&[]),
            now,
        )
        .unwrap();
        assert_eq!(free.order.fee.minor, 0);
    }

    #[test]
    fn shipping_option_must_fit_the_destination() {
        let card = reported();
        let new_card = replacement_for(&card);
        let now = ts("2026-03-02T15:00:00Z");
        let order = |shipping, destination| {
            order_replacement(
                &card,
                &new_card,
                &ReplacementRequest {
                    shipping,
                    destination,
                },
                &address("US"),
                &ShippingFees::default(),
                &new_york(&[]),
                now,
            )
        };
        let hotel_in_japan = Destination::Elsewhere {
            place: PlaceKind::Hotel,
            address: address("JP"),
        };
        let err = order(ShippingOption::Standard, hotel_in_japan.clone()).unwrap_err();
        assert!(err.to_string().contains("choose global delivery"), "{err}");
        let err = order(ShippingOption::Global, Destination::AddressOnFile).unwrap_err();
        assert!(matches!(err, ReplacementError::GlobalNeedsAbroad { .. }));
        let ok = order(ShippingOption::Global, hotel_in_japan).unwrap();
        assert_eq!(ok.order.place, PlaceKind::Hotel);
        assert!(!ok.order.to_address_on_file);

        let not_reported = active_card();
        let err = order_replacement(
            &not_reported,
            &replacement_for(&not_reported),
            &ReplacementRequest {
                shipping: ShippingOption::Standard,
                destination: Destination::AddressOnFile,
            },
            &address("US"),
            &ShippingFees::default(),
            &new_york(&[]),
            now,
        )
        .unwrap_err();
        assert!(matches!(err, ReplacementError::Lifecycle(_)), "{err}");
        let stranger = issued_card("999900111111116");
        let err = order_replacement(
            &card,
            &stranger,
            &ReplacementRequest {
                shipping: ShippingOption::Standard,
                destination: Destination::AddressOnFile,
            },
            &address("US"),
            &ShippingFees::default(),
            &new_york(&[]),
            now,
        )
        .unwrap_err();
        assert!(matches!(err, ReplacementError::NotASuitableReplacement(_)));
    }

    #[test]
    fn addresses_are_checked_and_tidied() {
        let tidy = Address::new(AddressFields {
            lines: vec!["  10   Downing  St ".into(), "".into()],
            city: " London ".into(),
            region: String::new(),
            postcode: "sw1a 2aa".into(),
            country: "GB".parse().unwrap(),
        })
        .unwrap();
        assert_eq!(tidy.lines(), ["10 Downing St"]);
        assert_eq!(tidy.postcode(), "SW1A 2AA");
        let no_city = AddressFields {
            lines: vec!["x".into()],
            city: " ".into(),
            region: String::new(),
            postcode: String::new(),
            country: "GB".parse().unwrap(),
        };
        assert_eq!(Address::new(no_city), Err(AddressError::City));
        let json = r#"{"lines":[],"city":"Paris","country":"FR"}"#;
        assert!(serde_json::from_str::<Address>(json).is_err());
    }
}
