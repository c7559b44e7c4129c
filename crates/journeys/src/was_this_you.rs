//! Journey 3, "was this you?": a card used at a shop in Tokyo is used card-present in São Paulo
//! 40 minutes later. The authorization is challenged, the cardholder answers NO by SMS, and the
//! card is locked, a fraud case, a replacement and a dispute follow. Another cardholder's
//! genuine trip, Tokyo then São Paulo a day later (a plausible flight), is approved without a
//! challenge.

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::lost_card_abroad::{Traveller, cards_of, traveller};
use crate::people::Person;
use crate::{Tour, json, text};

#[derive(Debug, Clone)]
pub struct Outcome {
    pub cardholder: String,
    pub card: String,
    /// The fraud alert (and the fraud case, which has the same id).
    pub alert: String,
    pub challenged_decision: String,
    /// The other cardholder's genuine trip.
    pub genuine_card: String,
    pub genuine_decision: String,
}

const TOKYO: (&str, &str, f64, f64) = ("Tokyo", "JP", 35.68, 139.69);
const SAO_PAULO: (&str, &str, f64, f64) = ("Sao Paulo", "BR", -23.55, -46.63);

/// A card-present purchase by the card's number, `minutes_ago` before now.
fn purchase(number: &str, city: (&str, &str, f64, f64), minutes_ago: i64, amount: &str) -> Value {
    let (name, country, lat, lon) = city;
    // The card network stamps authorizations with its own clock (a demo server runs on the
    // real one; the tests' server too).
    #[allow(clippy::disallowed_methods)]
    let at = jiff::Timestamp::now() - jiff::SignedDuration::from_mins(minutes_ago);
    json!({
        "card_number": number,
        "amount": amount,
        "currency": if country == "JP" { "JPY" } else { "BRL" },
        "merchant": {"id": format!("M-journey3-{name}"), "name": format!("{name} Example Store"),
                     "mcc": "5411", "country": country, "city": name, "lat": lat, "lon": lon},
        "card_present": true,
        "timestamp": at.to_string(),
    })
}

/// A cardholder of `tier` whose card is active and has no fraud decisions yet (earlier runs of
/// the tour leave theirs behind), signed in to the portal.
async fn fresh(
    t: &Tour,
    analyst: &Person,
    tier: domain::Tier,
) -> anyhow::Result<(Traveller, Person)> {
    let mut skip = Vec::new();
    loop {
        let (who, id) = traveller(analyst, tier, &skip).await?;
        let decisions = analyst
            .get(&format!("/api/v1/cardholders/{id}/fraud-decisions"))
            .await?;
        if decisions.as_array().is_some_and(Vec::is_empty) {
            let portal = Person::cardholder(t, &who.email).await?;
            return Ok((who, portal));
        }
        skip.push(who.index);
    }
}

pub async fn run(t: &mut Tour) -> anyhow::Result<Outcome> {
    let network = Person::integration_token(t, "journey 3 card network").await?;
    let authorize = async |t: &Tour, body: Value| {
        json(
            t.browser()?
                .post(t.url("/api/v1/authorizations"))
                .bearer_auth(&network)
                .json(&body),
        )
        .await
    };
    let analyst = Person::staff(t, "analyst@example.com").await?;
    let (who, portal) = fresh(t, &analyst, domain::Tier::Green).await?;
    t.step(
        "A cardholder with a mobile on file",
        format!("{} ({}), card ending {}", who.name, who.email, who.last4),
    );

    let home = authorize(t, purchase(&who.number, TOKYO, 45, "3500")).await?;
    t.expect(
        "A purchase at a shop in Tokyo",
        home["decision"] == "approve",
        text(&home["decision"]),
    )?;
    let clone = authorize(t, purchase(&who.number, SAO_PAULO, 5, "80.00")).await?;
    let signals = text(&clone["reasons"]);
    t.expect(
        "The same card, present in São Paulo 40 minutes later: challenged",
        clone["decision"] == "challenge" && signals.contains("impossible_travel"),
        format!("{} ({signals})", text(&clone["decision"])),
    )?;
    let alert = clone["alert_id"]
        .as_str()
        .context("the challenge's alert")?
        .to_owned();

    // The "was this you?" text in the outbox, and the cardholder's answer by SMS.
    let asked = analyst
        .notification(&portal.id, "sms", "fraud-challenge")
        .await?;
    t.expect(
        "\"Was this you?\" goes to the cardholder's mobile by SMS",
        asked.is_some(),
        asked.map_or("nothing sent".to_owned(), |n| {
            format!("to {}", text(&n["recipient"]))
        }),
    )?;
    let answered = json(
        t.browser()?
            .post(t.url("/api/v1/fraud/sms-replies"))
            .bearer_auth(&network)
            .json(&json!({"from": who.phone, "body": "NO"})),
    )
    .await?;
    t.expect(
        "The cardholder replies NO",
        answered["status"] == "confirmed_fraud",
        text(&answered["status"]),
    )?;

    // The card blocked and replaced (the follow-up runs in the background), in the portal.
    let mut old = Value::Null;
    for _ in 0..100 {
        let cards = portal.get("/api/v1/me/cards").await?;
        old = cards_of(&cards)
            .find(|c| c["last4"] == who.last4.as_str())
            .cloned()
            .unwrap_or(Value::Null);
        if old["state"]["replacement"]["last4"].is_string() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    t.expect(
        "In the portal: the card is blocked and a replacement ordered",
        old["can_pay"] == false && old["state"]["replacement"]["last4"].is_string(),
        format!(
            "card ending {} {}, replacement ending {}",
            who.last4,
            text(&old["status"]),
            text(&old["state"]["replacement"]["last4"])
        ),
    )?;
    let card = old["id"].as_str().context("card id")?.to_owned();

    // What the fraud analyst sees: the fraud case and the zero-liability dispute.
    let case = analyst.get(&format!("/api/v1/cases/{alert}")).await?;
    t.expect(
        "The analyst sees the fraud case",
        case["case"]["reason"] == "fraud",
        format!(
            "{} {} ({})",
            text(&case["case"]["reference"]),
            text(&case["case"]["subject"]),
            text(&case["case"]["status"])
        ),
    )?;
    let disputes = analyst
        .get(&format!("/api/v1/cardholders/{}/disputes", portal.id))
        .await?;
    let dispute = disputes
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["card_id"] == card.as_str())
        .cloned();
    t.expect(
        "… and the fraud dispute for the São Paulo payment",
        dispute.as_ref().is_some_and(|d| d["fraud"] == true),
        dispute.map_or("none".to_owned(), |d| {
            format!(
                "{} {} {} ({})",
                text(&d["amount"]),
                text(&d["currency"]),
                text(&d["reason"]),
                text(&d["status"])
            )
        }),
    )?;

    // A genuine trip: Tokyo, then São Paulo a day later.
    let (other, other_portal) = fresh(t, &analyst, domain::Tier::Platinum).await?;
    let there = authorize(t, purchase(&other.number, TOKYO, 27 * 60, "5200")).await?;
    let back = authorize(t, purchase(&other.number, SAO_PAULO, 60, "120.00")).await?;
    t.expect(
        "Another cardholder pays in Tokyo, then in São Paulo 26 hours later: approved, no challenge",
        there["decision"] == "approve" && back["decision"] == "approve",
        format!("{} then {}", text(&there["decision"]), text(&back["decision"])),
    )?;
    let cards = other_portal.get("/api/v1/me/cards").await?;
    let Some(genuine_card) = cards_of(&cards)
        .find(|c| c["last4"] == other.last4.as_str())
        .and_then(|c| c["id"].as_str())
    else {
        bail!("the other cardholder's card is not in their portal");
    };
    Ok(Outcome {
        cardholder: portal.id.clone(),
        card,
        alert,
        challenged_decision: clone["decision_id"].as_str().unwrap_or("").to_owned(),
        genuine_card: genuine_card.to_owned(),
        genuine_decision: back["decision_id"].as_str().unwrap_or("").to_owned(),
    })
}
