//! Journey 8, everyday self-service: a Platinum cardholder activates their new card and sets
//! its PIN on the phone (IVR), then in the portal checks their rewards balance, steps up their
//! verification and transfers points to a partner, changes their billing address (the notice
//! goes to the old contact details) and books an appointment at a service centre. Each run
//! takes a cardholder whose new card is not yet active, so the tour can run again.

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::Tour;
use crate::people::{Person, demo_card, demo_cardholder};
use crate::phone::{Phone, said, spoken};

/// The PIN the cardholder chooses (keyed twice).
const PIN: &str = "4826";
/// Points moved to the partner.
const TRANSFER: i64 = 1_000;

/// What the journey did, for the tests to look up in the store.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub cardholder: usize,
    pub cardholder_id: String,
    pub call: String,
    pub card_id: String,
    pub account_id: String,
    pub balance_before: i64,
    pub balance_after: i64,
    pub new_address_line: String,
    pub appointment_id: String,
}

pub async fn run(t: &mut Tour) -> anyhow::Result<Outcome> {
    let (i, portal, card) = cardholder_with_a_new_card(t).await?;
    let holder = demo_cardholder(i)?;
    let (number, code) = demo_card(i, 1)?;
    let last4 = &number[number.len() - 4..];
    t.step(
        "A Platinum cardholder has a new card to activate",
        format!(
            "{} {}, card ending {last4} ({})",
            holder.given_name, holder.family_name, card["status"]
        ),
    );

    // On the phone: activate the card and choose a PIN.
    let mut phone = Phone::of_cardholder(t, i)?;
    phone.call().await?;
    phone.press("1").await?;
    phone.press("4").await?;
    phone.press(&number).await?;
    let asked = phone.press(&code).await?;
    let question = said(&asked);
    t.expect(
        "The caller keys the card number and security code and is asked for a PIN",
        question.contains("PIN"),
        question.clone(),
    )?;
    let done = phone.press(&format!("{PIN}{PIN}")).await?;
    let confirmed = said(&done);
    t.expect(
        "The caller keys a PIN twice and the card is active",
        confirmed.contains("is active") && confirmed.contains(&spell(last4)),
        confirmed.clone(),
    )?;
    let goodbye = phone.press("3").await?;
    t.expect(
        "That is all: the IVR says goodbye",
        goodbye.contains("<Hangup"),
        spoken(&goodbye)
            .first()
            .map(|(_, text)| text.clone())
            .unwrap_or_default(),
    )?;
    phone.hang_up().await?;
    let card_id = field(&card, "id")?;
    let status = my_cards(&portal)
        .await?
        .iter()
        .find(|c| c["id"] == card_id.as_str())
        .map(|c| c["status"].clone())
        .unwrap_or(Value::Null);
    t.expect(
        "The portal shows the card active",
        status == "active",
        format!("card ending {last4}: {status}"),
    )?;

    // Rewards: the balance, then a transfer, which needs a step-up first.
    let account_id = field(&card, "account_id")?;
    let rewards = portal
        .get(&format!("/api/v1/accounts/{account_id}/rewards"))
        .await?;
    let before = rewards["balance"].as_i64().context("the rewards balance")?;
    let partner = rewards["partners"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["increment"].as_i64().is_some_and(|n| TRANSFER % n == 0))
        .cloned()
        .context("no partner takes the transfer's points")?;
    t.step(
        "The cardholder checks their rewards balance",
        format!("{before} points"),
    );
    let transfer =
        json!({"partner": partner["id"], "member_number": "EA7654321", "points": TRANSFER});
    let path = format!("/api/v1/accounts/{account_id}/rewards/transfers");
    let refused = portal
        .post(&path, transfer.clone())
        .await
        .map_or_else(|e| e.to_string(), |moved| format!("moved at once: {moved}"));
    let asked = refused.contains("403") && refused.contains("verification.step_up_required");
    t.expect(
        "A transfer first asks for a step-up",
        asked,
        if asked {
            "403 verification.step_up_required".to_owned()
        } else {
            refused
        },
    )?;
    let verified = portal
        .post(
            "/api/v1/me/verification",
            json!({
                "date_of_birth": holder.date_of_birth,
                "postcode": holder.postcode,
                "tax_id_last4": holder.tax_id_last4,
            }),
        )
        .await?;
    t.expect(
        "The cardholder answers the step-up questions",
        verified["session"]["level"] == "strong",
        format!("verification {}", verified["session"]["level"]),
    )?;
    let moved = portal.post(&path, transfer).await?;
    let after = moved["balance"].as_i64().context("the balance after")?;
    t.expect(
        "Points go to the partner",
        after == before - TRANSFER,
        format!(
            "{TRANSFER} points to {} ({} {}): {after} points left",
            partner["name"], moved["partner_units"], partner["kind"]
        ),
    )?;

    // The billing address: the notice goes to the old address and the contacts on file.
    let new_line = format!("{} Example Avenue", 10 + i);
    let old_postcode = holder.address.postcode.clone();
    let changed = portal
        .put(
            &format!("/api/v1/cardholders/{}/contact?channel=in_app", portal.id),
            json!({"change": {"field": "address", "value": {
                "lines": [new_line, "Apartment 4"],
                "city": holder.address.city,
                "region": holder.address.region,
                "postcode": holder.address.postcode,
                "country": holder.address.country,
            }}}),
        )
        .await?;
    let notified: Vec<String> = changed["notified"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| format!("{} {}", n["by"].as_str().unwrap_or("?"), summary(&n["to"])))
        .collect();
    t.expect(
        "The billing address changes; the notice goes to the old address and contacts",
        changed["address"]["lines"][0] == new_line.as_str()
            && changed["notified"][0]["by"] == "letter"
            && changed["notified"][0]["to"]["postcode"] == old_postcode.as_str()
            && changed["notified"][0]["to"]["lines"] != changed["address"]["lines"],
        notified.join("; "),
    )?;

    // An appointment at a service centre, on the first free slot of the coming days.
    let today = newest_ledger_day(&portal, &account_id).await?;
    let centres = portal.get("/api/v1/appointments/centres").await?;
    let centre = centres
        .as_array()
        .and_then(|c| c.first())
        .cloned()
        .context("no service centres")?;
    let centre_id = field(&centre, "id")?;
    let to = today.checked_add(jiff::Span::new().days(21))?;
    let slots = portal
        .get(&format!(
            "/api/v1/appointments/centres/{centre_id}/slots?from={today}&to={to}"
        ))
        .await?;
    let mut booked = None;
    for slot in slots
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["seats_left"].as_u64().unwrap_or(0) > 0)
        .take(5)
    {
        if let Ok(appointment) = portal
            .post(
                "/api/v1/appointments",
                json!({"centre": centre_id, "start": slot["start"]}),
            )
            .await
        {
            booked = Some(appointment);
            break;
        }
    }
    let appointment = booked.context("no free slot could be booked in three weeks")?;
    t.expect(
        "The cardholder books an appointment at a service centre",
        appointment["status"] == "booked",
        format!(
            "{} at {} ({})",
            appointment["local_start"], appointment["centre_name"], appointment["time_zone"]
        ),
    )?;
    Ok(Outcome {
        cardholder: i,
        cardholder_id: portal.id.clone(),
        call: phone.sid.clone(),
        card_id,
        account_id,
        balance_before: before,
        balance_after: after,
        new_address_line: new_line,
        appointment_id: field(&appointment, "id")?,
    })
}

/// The first Platinum demo cardholder with a phone on file whose newly issued card is not yet
/// active, signed in to the portal, with that card.
async fn cardholder_with_a_new_card(t: &mut Tour) -> anyhow::Result<(usize, Person, Value)> {
    for i in 0..server::demo::DEMO_CARDHOLDERS {
        if server::demo::demo_tier(i) != domain::Tier::Platinum
            || server::demo::cards::demo_card_count(i) < 2
        {
            continue;
        }
        let holder = demo_cardholder(i)?;
        if holder.phone.is_none() {
            continue;
        }
        let (number, _) = demo_card(i, 1)?;
        let portal = Person::cardholder(t, &holder.email).await?;
        let cards = my_cards(&portal).await?;
        let new = cards.iter().find(|c| {
            c["status"] == "issued" && c["last4"].as_str().is_some_and(|l| number.ends_with(l))
        });
        if let Some(card) = new {
            return Ok((i, portal, card.clone()));
        }
    }
    bail!("every Platinum demo cardholder's new card is active already (reset the demo)")
}

/// The cardholder's cards, over all their accounts, as the portal lists them.
async fn my_cards(portal: &Person) -> anyhow::Result<Vec<Value>> {
    let overview = portal.get("/api/v1/me/cards").await?;
    Ok(overview["accounts"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|a| a["cards"].as_array().cloned().unwrap_or_default())
        .collect())
}

/// The day of the account's newest rewards entry (the transfer just made), as the server's
/// clock saw it, in the cardholder's service centre terms: a UTC date.
async fn newest_ledger_day(portal: &Person, account: &str) -> anyhow::Result<jiff::civil::Date> {
    let rewards = portal
        .get(&format!("/api/v1/accounts/{account}/rewards"))
        .await?;
    let newest = rewards["ledger"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["at"].as_str()?.parse::<jiff::Timestamp>().ok())
        .max()
        .context("the rewards ledger is empty")?;
    Ok(newest.in_tz("UTC")?.date())
}

/// Digits as the IVR speaks them: one at a time.
fn spell(digits: &str) -> String {
    digits
        .chars()
        .map(String::from)
        .collect::<Vec<_>>()
        .join(" ")
}

fn summary(to: &Value) -> String {
    match to {
        Value::String(s) => s.clone(),
        Value::Object(a) => format!(
            "{} {}",
            a.get("lines")
                .and_then(|l| l[0].as_str())
                .unwrap_or_default(),
            a.get("postcode")
                .and_then(Value::as_str)
                .unwrap_or_default()
        ),
        other => other.to_string(),
    }
}

fn field(v: &Value, name: &str) -> anyhow::Result<String> {
    v[name]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no {name} in {v}"))
}
