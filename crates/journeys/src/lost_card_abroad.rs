//! Journey 1, lost card abroad: a Gold cardholder travelling in Japan looks up the number to
//! call, calls it from their mobile, chooses English, verifies with card number and security
//! code, reports the card stolen in self-service and has the replacement sent to their hotel.
//! The card is blocked at once, a replacement is ordered for 24–72 h, a case keeps the report
//! under the reference the caller heard, an SMS confirms it, and the old card is declined.

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::people::Person;
use crate::phone::{Phone, said};
use crate::{Tour, json, text};

/// What the tests check in the store.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub cardholder: String,
    pub card: String,
    /// As the caller heard it, e.g. `HL-3K7-9XM-4EF`.
    pub case_reference: String,
    pub call_sid: String,
    /// The stored decision on the authorization tried with the old card.
    pub decision: String,
}

/// A demo cardholder and their first card, as the person knows them.
pub struct Traveller {
    pub index: usize,
    pub email: String,
    pub name: String,
    pub phone: String,
    pub number: String,
    pub security_code: String,
    pub last4: String,
}

/// The first demo cardholder of `tier` (not in `skip`) with a mobile number on file (so that
/// they can call and get text messages abroad) whose first card is still active, as `staff`
/// sees them: each run of the tour uses some up. Also their id.
pub async fn traveller(
    staff: &Person,
    tier: domain::Tier,
    skip: &[usize],
) -> anyhow::Result<(Traveller, String)> {
    for i in 0..server::demo::DEMO_CARDHOLDERS {
        if server::demo::demo_tier(i) != tier || skip.contains(&i) {
            continue;
        }
        let holder = server::demo::demo_cardholder(i, "", None, jiff::Timestamp::UNIX_EPOCH)?;
        let Some(phone) = holder.phone.clone() else {
            continue;
        };
        let card = server::demo::cards::demo_card_of(i, 0)?;
        let number = card.pan.reveal().to_owned();
        let last4 = number[number.len() - 4..].to_owned();
        let url = reqwest::Url::parse_with_params(
            &staff.url("/api/v1/cardholders"),
            &[("q", holder.email.as_str())],
        )?;
        let found = json(staff.http.get(url)).await?;
        let Some(id) = found
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["email"] == holder.email.as_str())
            .and_then(|c| c["id"].as_str())
        else {
            continue;
        };
        let cards = staff
            .get(&format!("/api/v1/cardholders/{id}/cards"))
            .await?;
        let active =
            cards_of(&cards).any(|c| c["last4"] == last4.as_str() && c["status"] == "active");
        if active {
            return Ok((
                Traveller {
                    index: i,
                    email: holder.email.clone(),
                    name: holder.full_name(),
                    phone,
                    number,
                    security_code: card.security_code.reveal().to_owned(),
                    last4,
                },
                id.to_owned(),
            ));
        }
    }
    bail!(
        "every demo {tier} cardholder with a phone has used their card in an earlier run: start the demo on a fresh data directory"
    )
}

/// Every card of a `GET /api/v1/me/cards` answer.
pub fn cards_of(overview: &Value) -> impl Iterator<Item = &Value> {
    overview["accounts"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|a| a["cards"].as_array().into_iter().flatten())
}

/// `H L, 3 K 7, 9 X M, 4 E F` → `HL-3K7-9XM-4EF`.
fn reference_heard(heard: &str) -> Option<String> {
    let start = heard.find("reference number is ")? + "reference number is ".len();
    let end = start + heard[start..].find('.')?;
    let compact: String = heard[start..end]
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    (compact.len() == 11 && compact.starts_with("HL")).then(|| {
        format!(
            "HL-{}-{}-{}",
            &compact[2..5],
            &compact[5..8],
            &compact[8..11]
        )
    })
}

pub async fn run(t: &mut Tour) -> anyhow::Result<Outcome> {
    let agent = Person::staff(t, "agent@example.com").await?;
    let (who, _) = traveller(&agent, domain::Tier::Gold, &[]).await?;
    let portal = Person::cardholder(t, &who.email).await?;
    t.step(
        "A Gold cardholder travelling in Japan",
        format!(
            "{} ({}), card ending {}, mobile {}",
            who.name, who.email, who.last4, who.phone
        ),
    );

    // The public page's lookup: Japan, lost card, Gold, English.
    let found = json(
        t.browser()?
            .get(t.url("/api/v1/directory/lookup?country=JP&reason=lost_stolen&tier=gold&lang=en")),
    )
    .await?;
    let line = &found["line"];
    let number = line["number"]
        .as_str()
        .with_context(|| format!("no line in {found}"))?
        .to_owned();
    if found["choice"] == "fallback_while_closed" {
        t.expect(
            "At night Japan's lost-card line is closed: the lookup gives the global collect line",
            line["collect"] == true && found["open_now"] == true,
            format!(
                "{} (collect, open now)",
                line["display"].as_str().unwrap_or(&number)
            ),
        )?;
    } else {
        t.expect(
            "Japan's lost-card line is open now (at night the lookup gives the global collect line)",
            found["open_now"] == true,
            format!("{} ({})", line["display"].as_str().unwrap_or(&number), text(&found["choice"])),
        )?;
    }

    // The call, from the cardholder's mobile.
    let mut call = Phone::dialling(t, &who.phone, &number)?;
    let greeting = said(&call.call().await?);
    t.step("Calls it", greeting);
    let menu = said(&call.press("1").await?);
    t.expect("Chooses English", menu.contains("press"), menu)?;
    let travel = said(&call.press("7").await?);
    t.expect("Travel: 7", travel.contains("abroad"), travel)?;
    let asked = said(&call.press("3").await?);
    t.expect(
        "Replace a card while abroad: 3",
        asked.contains("card number"),
        asked,
    )?;
    let asked = said(&call.press(&who.number).await?);
    t.expect(
        "Keys the card number",
        asked.contains("security code"),
        asked,
    )?;
    let asked = said(&call.press(&who.security_code).await?);
    t.expect(
        "Keys the security code: verified, asked what happened",
        asked.contains("lost or stolen"),
        asked,
    )?;
    let asked = said(&call.press("2").await?);
    t.expect("Stolen: 2", asked.contains("global"), asked)?;
    let asked = said(&call.press("3").await?);
    t.expect("Global delivery: 3", asked.contains("hotel"), asked)?;
    let asked = said(&call.press("1").await?);
    t.expect("To a hotel: 1", asked.contains("address"), asked)?;
    let told = said(
        &call
            .say("Hotel Example, 1-1 Marunouchi, Chiyoda, Tokyo, Japan")
            .await?,
    );
    let reference = reference_heard(&told);
    t.expect(
        "Says the hotel's address: the card is blocked and the caller hears a reference",
        told.contains("blocked and recorded as stolen") && reference.is_some(),
        told.clone(),
    )?;
    let reference = reference.context("the reference")?;
    call.hang_up().await?;
    t.step("Hangs up", "");

    // What the cardholder sees in the portal.
    let cards = portal.get("/api/v1/me/cards").await?;
    let old = cards_of(&cards)
        .find(|c| c["last4"] == who.last4.as_str())
        .context("the old card in the portal")?
        .clone();
    let replacement = old["state"]["replacement"]["last4"].as_str().unwrap_or("");
    t.expect(
        "In the portal: the old card is stolen and a replacement is on its way",
        old["status"] == "stolen" && !replacement.is_empty(),
        format!(
            "card ending {} stolen, replacement ending {replacement}",
            who.last4
        ),
    )?;
    let card = old["id"].as_str().context("card id")?.to_owned();

    // What an agent sees: the case under the reference the caller heard, and the SMS.
    let holder = portal.id.clone();
    let cases = agent
        .get(&format!("/api/v1/cases?cardholder_id={holder}"))
        .await?;
    let case = cases
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["reference"] == reference.as_str())
        .cloned();
    let detail = match &case {
        Some(case) => {
            agent
                .get(&format!(
                    "/api/v1/cases/{}",
                    case["id"].as_str().unwrap_or("")
                ))
                .await?
        }
        None => Value::Null,
    };
    let timeline = text(&detail["timeline"]);
    t.expect(
        "The agent finds the case under that reference: resolved, global delivery ordered",
        case.is_some() && timeline.contains("Global"),
        format!(
            "{reference}: {}",
            case.as_ref().map_or("no such case".to_owned(), |c| format!(
                "{} ({})",
                text(&c["subject"]),
                text(&c["status"])
            ))
        ),
    )?;
    let sms = agent.notification(&holder, "sms", "card-reported").await?;
    t.expect(
        "An SMS confirmation went to the cardholder's mobile",
        sms.is_some(),
        sms.map_or("none".to_owned(), |n| {
            format!("to {} ({})", text(&n["recipient"]), text(&n["status"]))
        }),
    )?;

    // The card network tries the old card: declined.
    let token = Person::integration_token(t, "journey 1 card network").await?;
    let decision = json(
        t.browser()?
            .post(t.url("/api/v1/authorizations"))
            .bearer_auth(&token)
            .json(&json!({
                "card_number": who.number,
                "amount": "4800",
                "currency": "JPY",
                "merchant": {"id": "M-journey1", "name": "Example Ramen", "mcc": "5812",
                             "country": "JP", "city": "Tokyo", "lat": 35.68, "lon": 139.69},
                "card_present": true,
            })),
    )
    .await?;
    t.expect(
        "A payment with the old card is declined",
        decision["decision"] == "decline",
        text(&decision["decision"]),
    )?;
    Ok(Outcome {
        cardholder: holder,
        card,
        case_reference: reference,
        call_sid: call.sid.clone(),
        decision: decision["decision_id"].as_str().unwrap_or("").to_owned(),
    })
}
