//! Journey 5, Platinum priority: with every agent busy, a Green caller and then a Platinum
//! caller queue; when an agent frees up, the Platinum caller is answered first, within the
//! 30-second premium target, by their relationship manager; the manager's console shows
//! what the caller already told the IVR. The relationship manager is the only agent the
//! journey signs on, and it leaves them as it found them (offline).

use anyhow::{Context, bail};
use serde_json::Value;

use crate::Tour;
use crate::lost_card_abroad::traveller;
use crate::people::{Person, demo_card, demo_cardholder, offers, open_hubs};
use crate::phone::Phone;

/// The premium answer target the journey holds routing to (seconds).
pub const PREMIUM_TARGET_SECS: i64 = 30;

/// What the journey did, for the tests to look up in the store.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The relationship manager's user id and email.
    pub manager: String,
    pub manager_email: String,
    /// The demo cardholders who called (first caller, Green, Platinum).
    pub callers: [usize; 3],
    /// Call sids at the carrier.
    pub first_call: String,
    pub green_call: String,
    pub platinum_call: String,
    /// Routing contact ids, in the order the manager answered them.
    pub platinum_contact: String,
    pub green_contact: String,
    /// The cardholder the manager's console named for the Platinum call.
    pub platinum_cardholder_id: String,
    /// Seconds the Platinum caller waited for an answer, as the console shows it.
    pub platinum_wait_secs: i64,
}

pub async fn run(t: &mut Tour) -> anyhow::Result<Outcome> {
    let supervisor = Person::staff(t, "supervisor@example.com").await?;
    let agents = supervisor.get("/api/v1/routing/agents").await?;
    let agents = agents.as_array().context("the agents list")?;
    let figures = supervisor.get("/api/v1/routing/figures").await?;
    let open = open_hubs(&figures);
    t.expect("Some hub is open", !open.is_empty(), open.join(", "))?;
    let taking_calls: Vec<&str> = agents
        .iter()
        .filter(|a| a["status"]["availability"] == "available")
        .filter_map(|a| a["email"].as_str())
        .collect();
    t.expect(
        "Nobody else is taking calls (the journey needs every agent busy)",
        taking_calls.is_empty(),
        if taking_calls.is_empty() {
            "nobody is available".to_owned()
        } else {
            format!("signed on: {}", taking_calls.join(", "))
        },
    )?;
    // English has no preferred hub: its calls go to the first open hub (in the policy's
    // order, which the figures keep), and to the other open hubs after a wait. A manager at
    // that first hub takes the first call at once; one at another open hub after the wait.
    let home = open[0].as_str();
    let hub_of = |email: &str| {
        agents
            .iter()
            .find(|a| a["email"] == email)
            .and_then(|a| a["profile"]["hub"].as_str())
    };
    let manager_at = |i: usize, hubs: &[String]| {
        server::demo::demo_relationship_manager(i)
            .filter(|m| hub_of(m).is_some_and(|h| hubs.iter().any(|o| o == h)))
    };
    let platinum = match caller(&supervisor, domain::Tier::Platinum, |i| {
        manager_at(i, &open[..1]).is_some()
    })
    .await
    {
        Ok(platinum) => platinum,
        Err(_) => caller(&supervisor, domain::Tier::Platinum, |i| {
            manager_at(i, &open).is_some()
        })
        .await
        .with_context(|| {
            format!("no Platinum demo cardholder's manager works at an open hub ({open:?})")
        })?,
    };
    let manager_email = manager_at(platinum, &open).context("the manager")?;
    let manager_hub = hub_of(manager_email).unwrap_or(home);
    let first = caller(&supervisor, domain::Tier::Gold, |_| true).await?;
    let green = caller(&supervisor, domain::Tier::Green, |_| true).await?;
    let holder = demo_cardholder(platinum)?;
    t.step(
        "A Platinum cardholder and their relationship manager",
        format!(
            "{} {} (Platinum), manager {manager_email} at the {manager_hub} hub",
            holder.given_name, holder.family_name
        ),
    );

    let manager = Person::staff(t, manager_email).await?;
    let console = manager.presence("available").await?;
    t.expect(
        "The manager goes available",
        console["presence"] == "available",
        format!("presence {}", console["presence"]),
    )?;

    // The manager takes a first call, so every agent is busy.
    let mut first_call = Phone::of_cardholder(t, first)?;
    first_call.call_for_a_person(first, "1", "9").await?;
    let context = format!("ivr:{}", first_call.sid);
    // Other hubs answer after `other_hubs_after_secs` (30 s by default).
    let patience = if manager_hub == home { 10 } else { 45 };
    let offer = manager
        .offer_of(&context, patience)
        .await?
        .context("the first call was never offered to the manager")?;
    let first_contact = id_of(&offer)?;
    let console = manager.contact(&first_contact, "accept").await?;
    t.expect(
        "The manager answers a Gold caller: every agent is busy",
        console["presence"] == "on_contact",
        format!("presence {}", console["presence"]),
    )?;

    // A Green caller, then a Platinum caller: both queue.
    let mut green_call = Phone::of_cardholder(t, green)?;
    let green_queue = green_call.call_for_a_person(green, "1", "9").await?;
    t.step("A Green cardholder calls and waits", green_queue);
    let mut platinum_call = Phone::of_cardholder(t, platinum)?;
    let platinum_queue = platinum_call.call_for_a_person(platinum, "1", "9").await?;
    t.expect(
        "The Platinum cardholder calls after them and waits in the premium queue",
        platinum_queue.ends_with(".premium"),
        platinum_queue.clone(),
    )?;
    let console = manager.console().await?;
    t.expect(
        "Nobody is free, so nothing is offered yet",
        offers(&console).next().is_none(),
        format!("{} offers", offers(&console).count()),
    )?;
    let figures = supervisor.get("/api/v1/routing/figures").await?;
    let waiting = |tier: &str| {
        figures["tiers"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|f| f["tier"] == tier)
            .and_then(|f| f["waiting"].as_u64())
            .unwrap_or(0)
    };
    t.expect(
        "The supervisor's figures show both waiting",
        waiting("green") >= 1 && waiting("platinum") >= 1,
        format!(
            "green {} waiting, platinum {} waiting",
            waiting("green"),
            waiting("platinum")
        ),
    )?;

    // The manager frees up: the Platinum caller is offered first although they came later.
    manager.contact(&first_contact, "complete").await?;
    let console = manager.ready().await?;
    let offered: Vec<&Value> = offers(&console).collect();
    let platinum_context = format!("ivr:{}", platinum_call.sid);
    t.expect(
        "The manager frees up and is offered the Platinum caller first",
        offered.len() == 1 && offered[0]["context_id"] == platinum_context.as_str(),
        offered
            .iter()
            .map(|o| format!("{} ({})", o["context_id"], o["tier"]))
            .collect::<Vec<_>>()
            .join(", "),
    )?;
    let offer = offered[0].clone();
    let notes: Vec<&str> = offer["notes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let (number, _) = demo_card(platinum, 0)?;
    let last4 = &number[number.len() - 4..];
    t.expect(
        "The manager sees what the caller told the IVR",
        notes.iter().any(|n| n.contains(last4)) && offer["cardholder_id"].is_string(),
        format!(
            "{} (cardholder {})",
            notes.join("; "),
            offer["cardholder_id"]
        ),
    )?;
    let platinum_contact = id_of(&offer)?;
    let platinum_cardholder_id = offer["cardholder_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let console = manager.contact(&platinum_contact, "accept").await?;
    let answered = console["connected"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["id"] == platinum_contact.as_str())
        .context("the accepted call is not in hand")?;
    let wait = seconds_between(&answered["arrived_at"], &answered["answered_at"])?;
    t.expect(
        "The Platinum caller is answered within the 30-second target",
        (0..=PREMIUM_TARGET_SECS).contains(&wait),
        format!("after {wait} s"),
    )?;

    // Then the Green caller; then the manager signs off as they were.
    manager.contact(&platinum_contact, "complete").await?;
    platinum_call.hang_up().await?;
    manager.ready().await?;
    let green_context = format!("ivr:{}", green_call.sid);
    let offer = manager
        .offer_of(&green_context, patience)
        .await?
        .context("the Green caller was not offered next")?;
    let green_contact = id_of(&offer)?;
    manager.contact(&green_contact, "accept").await?;
    t.step("Then the Green caller is answered", "offered and accepted");
    manager.contact(&green_contact, "complete").await?;
    green_call.hang_up().await?;
    first_call.hang_up().await?;
    manager.ready().await?;
    let console = manager.presence("offline").await?;
    t.expect(
        "The manager signs off, as the journey found them",
        console["presence"] == "offline",
        format!("presence {}", console["presence"]),
    )?;

    Ok(Outcome {
        manager: manager.id.clone(),
        manager_email: manager_email.to_owned(),
        callers: [first, green, platinum],
        first_call: first_call.sid.clone(),
        green_call: green_call.sid.clone(),
        platinum_call: platinum_call.sid.clone(),
        platinum_contact,
        green_contact,
        platinum_cardholder_id,
        platinum_wait_secs: wait,
    })
}

/// A demo cardholder of `tier` who speaks English, whose first card is active now (earlier
/// journeys and runs of the tour use some up) and who passes `also`.
async fn caller(
    staff: &Person,
    tier: domain::Tier,
    also: impl Fn(usize) -> bool,
) -> anyhow::Result<usize> {
    // The fixtures decide language and `also` without asking the server: skip the rest up
    // front, so that the server is asked about each candidate's card once.
    let skip: Vec<usize> = (0..server::demo::DEMO_CARDHOLDERS)
        .filter(|&i| !(demo_cardholder(i).is_ok_and(|h| h.language == domain::Lang::En) && also(i)))
        .collect();
    let (who, _) = traveller(staff, tier, &skip).await?;
    Ok(who.index)
}

fn id_of(card: &Value) -> anyhow::Result<String> {
    card["id"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("a contact without an id: {card}"))
}

fn seconds_between(from: &Value, to: &Value) -> anyhow::Result<i64> {
    let parse = |v: &Value| -> anyhow::Result<jiff::Timestamp> {
        v.as_str()
            .with_context(|| format!("not a time: {v}"))?
            .parse()
            .with_context(|| format!("not a time: {v}"))
    };
    let (from, to) = (parse(from)?, parse(to)?);
    if to < from {
        bail!("answered at {to}, before arriving at {from}");
    }
    Ok(to.duration_since(from).as_secs())
}
