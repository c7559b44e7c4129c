//! Journey 6, Spanish at 3 a.m. New York time: a Spanish-speaking caller chooses Spanish,
//! hears every prompt in Spanish and reaches a Spanish-speaking agent at a hub that is open
//! now (at 3 a.m. in New York, New York's hub is closed). In the tour it runs on the real
//! clock: whichever hub is open. The Spanish speakers of the open hubs are the agents the
//! journey signs on; it signs them off again afterwards.

use crate::Tour;
use crate::people::{Person, demo_card, demo_cardholder, offers, open_hubs};
use crate::phone::{Phone, enqueued, spoken};
use anyhow::Context;

/// What the journey did, for the tests to look up in the store.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The demo cardholder who called, and the call's sid.
    pub caller: usize,
    pub call: String,
    pub contact: String,
    /// The agent who answered: email and hub.
    pub agent: String,
    pub hub: String,
    /// The hubs open during the call.
    pub open_hubs: Vec<String>,
}

pub async fn run(t: &mut Tour) -> anyhow::Result<Outcome> {
    let supervisor = Person::staff(t, "supervisor@example.com").await?;
    let figures = supervisor.get("/api/v1/routing/figures").await?;
    let at: jiff::Timestamp = figures["at"]
        .as_str()
        .context("the figures' time")?
        .parse()
        .context("the figures' time")?;
    let new_york = at.in_tz("America/New_York")?;
    let open_hubs = open_hubs(&figures);
    t.step(
        "The time in New York, and the hubs open now",
        format!(
            "{} — open: {}",
            new_york.strftime("%H:%M %Z"),
            open_hubs.join(", ")
        ),
    );

    // Every Spanish speaker at an open hub signs on.
    let agents = supervisor.get("/api/v1/routing/agents").await?;
    let speakers: Vec<(String, String)> = agents
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["profile"]["languages"]["es"].is_number())
        .filter_map(|a| {
            let hub = a["profile"]["hub"].as_str()?;
            let email = a["email"].as_str()?;
            open_hubs
                .iter()
                .any(|h| h == hub)
                .then(|| (email.to_owned(), hub.to_owned()))
        })
        .collect();
    t.expect(
        "Spanish-speaking agents work at an open hub",
        !speakers.is_empty(),
        speakers
            .iter()
            .map(|(email, hub)| format!("{email} ({hub})"))
            .collect::<Vec<_>>()
            .join(", "),
    )?;
    let mut desk = Vec::new();
    for (email, hub) in &speakers {
        let agent = Person::staff(t, email).await?;
        let before = agent.console().await?["availability"]
            .as_str()
            .unwrap_or("offline")
            .to_owned();
        agent.presence("available").await?;
        desk.push((agent, hub.clone(), before));
    }

    // A Spanish-speaking cardholder calls and chooses Spanish.
    let caller = (0..server::demo::DEMO_CARDHOLDERS)
        .find(|i| {
            !server::demo::demo_tier(*i).is_premium()
                && !server::demo::cards::demo_cards_locked(*i)
                && demo_cardholder(*i).is_ok_and(|h| h.language == domain::Lang::Es)
        })
        .context("no Spanish-speaking demo cardholder")?;
    let holder = demo_cardholder(caller)?;
    let (number, code) = demo_card(caller, 0)?;
    let mut phone = Phone::new(t, holder.phone.as_deref().unwrap_or("+525555550123"))?;
    phone.call().await?;
    let menu = phone.press("2").await?;
    let said = spoken(&menu);
    t.expect(
        "The caller presses 2 and hears the menu in Spanish",
        !said.is_empty() && said.iter().all(|(lang, _)| lang == "es-US"),
        said.first()
            .map(|(_, text)| text.clone())
            .unwrap_or_default(),
    )?;
    phone.press("9").await?;
    phone.press(&number).await?;
    let twiml = phone.press(&code).await?;
    let queue = enqueued(&twiml).unwrap_or_default().to_owned();
    t.expect(
        "Verified by card number and security code, they queue for a Spanish speaker",
        queue.contains(".es."),
        queue.clone(),
    )?;
    let heard: Vec<(String, String)> = phone.heard[1..].iter().flat_map(|x| spoken(x)).collect();
    t.expect(
        "Every prompt after choosing Spanish was Spanish",
        heard.iter().all(|(lang, _)| lang == "es-US"),
        format!(
            "{} prompts, last: {}",
            heard.len(),
            heard.last().map(|(_, text)| text.as_str()).unwrap_or("")
        ),
    )?;

    // A Spanish speaker at an open hub is offered the call (after the search widens to any
    // open hub, if the language's home hub has nobody who speaks it).
    let context = format!("ivr:{}", phone.sid);
    let mut answered = None;
    'wait: for _ in 0..180 {
        for (agent, hub, _) in &desk {
            let console = agent.console().await?;
            if let Some(offer) = offers(&console).find(|o| o["context_id"] == context.as_str()) {
                answered = Some((agent, hub.clone(), offer.clone()));
                break 'wait;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let (agent, hub, offer) = answered.context("no Spanish speaker was offered the call")?;
    t.expect(
        "A Spanish-speaking agent at an open hub is offered the call",
        offer["language"] == "es",
        format!("{} at {hub}, in {}", agent.email, offer["language"]),
    )?;
    let contact = offer["id"].as_str().context("the offer's id")?.to_owned();
    agent.contact(&contact, "accept").await?;
    t.step(
        "The agent answers",
        format!("{} answers in Spanish", agent.email),
    );
    agent.contact(&contact, "complete").await?;
    agent.ready().await?;
    phone.hang_up().await?;
    let agent_email = agent.email.clone();
    for (agent, _, before) in &desk {
        agent.presence(before).await?;
    }
    let left: Vec<String> = desk
        .iter()
        .map(|(a, _, before)| format!("{} {before}", a.email))
        .collect();
    t.step("The agents are left as they were", left.join(", "));
    Ok(Outcome {
        caller,
        call: phone.sid.clone(),
        contact,
        agent: agent_email,
        hub,
        open_hubs,
    })
}
