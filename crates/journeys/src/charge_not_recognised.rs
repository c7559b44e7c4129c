//! Journey 2, "a charge I don't recognise": a cardholder signed in to the portal opens web chat
//! and says so in their own words; the intent model routes the chat to the lost/stolen and
//! fraud team. An agent of that team whose hub is open takes it, sees the suggestion, verifies
//! the cardholder in the chat, files a fraud dispute on the charge with the receipt (a PDF),
//! gives the provisional credit and opens a fraud case. The cardholder sees the dispute with
//! zero liability and the credit on their account. The agent is left offline, as found.

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::lost_card_abroad::{Traveller, cards_of, traveller};
use crate::people::{Person, demo_cardholder, fresh, open_hubs};
use crate::{Tour, json, text};

/// The receipt the cardholder sends: a small, valid PDF.
pub const RECEIPT: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// What the cardholder types, in their own words.
pub const WORDS: &str =
    "there's a charge on my statement I never made, some shop I've never heard of";

/// What the tests check in the store.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub cardholder: String,
    pub card: String,
    pub conversation: String,
    /// The disputed transaction's reference.
    pub transaction: String,
    pub dispute: String,
    /// The provisional credit's transaction reference.
    pub credit: String,
    pub case: String,
    /// The agent who took the chat.
    pub agent: String,
}

/// A Gold cardholder who chats in English, with an active card and no dispute yet (earlier
/// runs leave theirs).
async fn fresh_cardholder(staff: &Person) -> anyhow::Result<(Traveller, String)> {
    let mut skip = Vec::new();
    loop {
        let (who, id) = traveller(staff, domain::Tier::Gold, &skip).await?;
        skip.push(who.index);
        let demo = demo_cardholder(who.index)?;
        if demo.language != domain::Lang::En {
            continue;
        }
        let disputes = staff
            .get(&format!("/api/v1/cardholders/{id}/disputes"))
            .await?;
        if disputes.as_array().is_some_and(Vec::is_empty) {
            return Ok((who, id));
        }
    }
}

/// The email and hub of an offline staff member (not still wrapping up a contact) who chats
/// in English on the lost/stolen and fraud team, serves `tier`, and whose hub is open now, as
/// the supervisor's figures and agent list show them; and how long the chat may take to reach
/// them. English chats go to the first open hub (in the policy's order, which the figures
/// keep) and to the other open hubs after `other_hubs_after_secs` (30 s by default), so an
/// agent at that first hub comes first.
async fn agent_on_duty(supervisor: &Person, tier: &str) -> anyhow::Result<(String, String, u64)> {
    let figures = supervisor.get("/api/v1/routing/figures").await?;
    let open = open_hubs(&figures);
    let agents = supervisor.get("/api/v1/routing/agents").await?;
    let mut fits: Vec<(String, String)> = agents
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| {
            let p = &a["profile"];
            p["departments"]["lost_or_stolen"].is_number()
                && p["languages"]["en"].as_u64().is_some_and(|l| l >= 4)
                && p["tiers"]
                    .as_array()
                    .is_some_and(|t| t.contains(&json!(tier)))
                && p["capacity"]["digital"].as_u64().is_some_and(|d| d > 0)
                && a["status"]["availability"] == "offline"
                && a["status"]["presence"] == "offline"
                && p["hub"]
                    .as_str()
                    .is_some_and(|h| open.iter().any(|o| o == h))
        })
        .map(|a| (text(&a["email"]), text(&a["profile"]["hub"])))
        .collect();
    // The first open hub's agents first, and agents before the supervisor, who only helps out.
    let home = open.first().cloned().unwrap_or_default();
    fits.sort_by_key(|(email, hub)| (*hub != home, email.starts_with("supervisor")));
    let (email, hub) = fits.into_iter().next().with_context(|| {
        format!(
            "no offline English-speaking lost/stolen agent at an open hub (open: {})",
            open.join(", ")
        )
    })?;
    let patience = if hub == home { 10 } else { 45 };
    Ok((email, hub, patience))
}

pub async fn run(t: &mut Tour) -> anyhow::Result<Outcome> {
    let supervisor = Person::staff(t, "supervisor@example.com").await?;
    let (who, holder_id) = fresh_cardholder(&supervisor).await?;
    let demo = demo_cardholder(who.index)?;
    let known = Known {
        given_name: demo.given_name.clone(),
        date_of_birth: demo
            .date_of_birth
            .clone()
            .context("the demo date of birth")?,
        postcode: demo.postcode.clone().context("the demo postcode")?,
    };
    let portal = Person::cardholder(t, &who.email).await?;
    t.step(
        "A cardholder signs in to the portal",
        format!("{} ({}), card ending {}", who.name, who.email, who.last4),
    );
    let cards = portal.get("/api/v1/me/cards").await?;
    let card = cards_of(&cards)
        .find(|c| c["last4"] == who.last4.as_str())
        .and_then(|c| c["id"].as_str())
        .context("the card in the portal")?
        .to_owned();
    let history = portal
        .get(&format!("/api/v1/cards/{card}/transactions"))
        .await?;
    let charge = history
        .as_array()
        .into_iter()
        .flatten()
        .find(|tx| tx["status"] == "posted" && !text(&tx["amount"]).starts_with('-'))
        .cloned()
        .context("a posted charge in the card's history")?;
    t.step(
        "On their statement, a charge they did not make",
        format!(
            "{} {} at {} ({})",
            text(&charge["amount"]),
            text(&charge["currency"]),
            text(&charge["merchant"]),
            text(&charge["reference"])
        ),
    );

    let (email, hub, patience) = agent_on_duty(&supervisor, "gold").await?;
    let agent = Person::staff(t, &email).await?;
    let console = agent.presence("available").await?;
    t.expect(
        "An agent of the lost/stolen and fraud team at an open hub goes available",
        console["availability"] == "available",
        format!("{email} ({hub})"),
    )?;
    let mut conversation = None;
    let helped = help(
        t,
        &known,
        &portal,
        &holder_id,
        &card,
        &charge,
        &agent,
        patience,
        &mut conversation,
    )
    .await;
    if helped.is_err()
        && let Some(id) = &conversation
    {
        // A chat left half way is closed (and so kept as a case), not left in the queues.
        let _ = portal
            .post(&format!("/api/v1/chat/conversations/{id}/close"), json!({}))
            .await;
    }
    // Leave the agent as found, whatever happened.
    let offline = agent.presence("offline").await;
    let outcome = helped?;
    let console = offline?;
    t.expect(
        "The agent goes offline again",
        console["availability"] == "offline",
        text(&console["availability"]),
    )?;
    Ok(outcome)
}

/// What the cardholder knows about themselves: given name, date of birth, postcode.
struct Known {
    given_name: String,
    date_of_birth: String,
    postcode: String,
}

/// From the chat to the credit on the account, with `agent` available; `started_chat` is
/// the conversation once there is one.
#[allow(clippy::too_many_arguments)]
async fn help(
    t: &mut Tour,
    known: &Known,
    portal: &Person,
    holder_id: &str,
    card: &str,
    charge: &Value,
    agent: &Person,
    patience: u64,
    started_chat: &mut Option<String>,
) -> anyhow::Result<Outcome> {
    // The cardholder opens web chat and types it in their own words.
    let started = portal
        .post("/api/v1/chat/conversations", json!({"message": WORDS}))
        .await?;
    t.expect(
        &format!("The cardholder opens web chat: “{WORDS}”"),
        started["status"] == "offered" || started["status"] == "waiting",
        format!("an agent will answer ({})", text(&started["status"])),
    )?;
    let conversation = text(&started["conversation_id"]);
    *started_chat = Some(conversation.clone());
    let mut theirs = portal.chat(&conversation).await?;
    theirs.message_from("cardholder", WORDS).await?;

    // The offer, with the intent model's suggestion, in the agent's console.
    let offer = agent
        .offer_of(&format!("conversation:{conversation}"), patience)
        .await?
        .unwrap_or(Value::Null);
    let notes = text(&offer["notes"]);
    t.expect(
        "The intent model routes it to the lost/stolen and fraud team; the agent is offered it",
        offer["department"] == "lost_or_stolen"
            && notes.contains("Suggested from the first message: lost_or_stolen"),
        if offer.is_null() {
            "no offer to this agent".to_owned()
        } else {
            format!("{} — {}", text(&offer["department"]), notes)
        },
    )?;
    let contact = text(&offer["id"]);
    let accepted = agent.contact(&contact, "accept").await?;
    t.expect(
        "The agent accepts the chat",
        accepted["connected"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["id"] == contact.as_str())),
        "connected",
    )?;

    // Verification in the chat: date of birth and postcode.
    let mut agents = agent.chat(&conversation).await?;
    let ask = format!(
        "Hello {}, I'm sorry to hear that. Before we look at it: your date of birth and postcode, please?",
        known.given_name
    );
    agents.say("agent-1", &ask).await?;
    theirs.message_from("agent", "date of birth").await?;
    let (dob, postcode) = (&known.date_of_birth, &known.postcode);
    theirs
        .say("holder-1", &format!("{dob}, {postcode}"))
        .await?;
    agents.message_from("cardholder", postcode).await?;
    let verified = agent
        .post(
            &format!("/api/v1/cardholders/{holder_id}/verification"),
            json!({"channel": "chat", "new_conversation": true,
                   "date_of_birth": dob, "postcode": postcode}),
        )
        .await?;
    t.expect(
        "The agent verifies them with what they said in the chat",
        verified["outcome"]["result"] == "passed",
        format!(
            "{} ({})",
            text(&verified["outcome"]["result"]),
            text(&verified["session"]["level"])
        ),
    )?;

    // The fraud dispute with the receipt, and the provisional credit.
    let reference = text(&charge["reference"]);
    let form = reqwest::multipart::Form::new()
        .text("transaction", reference.clone())
        .text("reason", "unauthorized")
        .text(
            "description",
            "The cardholder never made this payment and does not know the shop (web chat).",
        )
        .part(
            "document",
            reqwest::multipart::Part::bytes(RECEIPT.to_vec())
                .file_name("receipt.pdf")
                .mime_str("application/pdf")?,
        );
    let dispute = json(
        agent
            .http
            .post(agent.url(&format!("/api/v1/cards/{card}/disputes?channel=chat")))
            .header("x-csrf-token", &agent.csrf)
            .header("idempotency-key", fresh("j2-dispute-"))
            .multipart(form),
    )
    .await?;
    t.expect(
        "The agent files a fraud dispute on the charge, with the receipt",
        dispute["fraud"] == true && dispute["documents"][0]["kind"] == "pdf",
        format!(
            "{} {} {} ({}), {}",
            text(&dispute["amount"]),
            text(&dispute["currency"]),
            text(&dispute["reason"]),
            text(&dispute["status"]),
            text(&dispute["documents"][0]["name"])
        ),
    )?;
    let id = text(&dispute["id"]);
    let credited = agent
        .post(
            &format!("/api/v1/disputes/{id}/steps"),
            json!({"step": "provisional_credit"}),
        )
        .await?;
    t.expect(
        "… and gives the provisional credit",
        credited["status"] == "provisionally_credited",
        text(&credited["status"]),
    )?;
    let case = agent
        .post(
            "/api/v1/cases",
            json!({"subject": format!("Charge not recognised: {}", text(&charge["merchant"])),
                   "reason": "fraud", "channel": "chat",
                   "cardholder_id": holder_id, "conversation_id": conversation}),
        )
        .await?;
    let case_reference = text(&case["reference"]);
    t.expect(
        "The agent opens a fraud case with the chat",
        case["reason"] == "fraud" && case_reference.starts_with("HL-"),
        format!("{case_reference} ({})", text(&case["department"])),
    )?;
    let amount = format!(
        "{} {}",
        text(&dispute["amount"]),
        text(&dispute["currency"])
    );
    agents
        .say(
            "agent-2",
            &format!(
                "Thank you. I've disputed the {amount} payment as fraud and credited it back to your account while we investigate; you are not liable for it. Your case is {case_reference}."
            ),
        )
        .await?;
    let told = theirs.message_from("agent", "credited it back").await?;
    t.step("The cardholder reads in the chat", text(&told["body"]));

    // What the cardholder sees in the portal, and the agent in the customer view.
    let theirs_now = portal
        .get(&format!("/api/v1/cardholders/{}/disputes", portal.id))
        .await?;
    let mine = theirs_now
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["id"] == id.as_str())
        .cloned()
        .unwrap_or(Value::Null);
    t.expect(
        "In the portal: the dispute, provisionally credited, zero liability",
        mine["status"] == "provisionally_credited"
            && mine["liability"]["kind"] == "decided"
            && mine["liability"]["amount"]["minor"] == 0,
        format!(
            "{} {}, liability {} ({} minor units)",
            text(&mine["amount"]),
            text(&mine["status"]),
            text(&mine["liability"]["kind"]),
            text(&mine["liability"]["amount"]["minor"])
        ),
    )?;
    let credit_ref = format!("dispute-{id}-credit");
    let credit_of = |list: &Value| {
        list.as_array()
            .into_iter()
            .flatten()
            .find(|tx| tx["reference"] == credit_ref.as_str())
            .cloned()
    };
    let path = format!("/api/v1/cards/{card}/transactions");
    let credit = credit_of(&portal.get(&path).await?);
    let expected = format!("-{}", text(&dispute["amount"]));
    t.expect(
        "… and the credit on their account",
        credit
            .as_ref()
            .is_some_and(|c| c["amount"] == expected.as_str() && c["status"] == "posted"),
        credit.as_ref().map_or("no credit".to_owned(), |c| {
            format!(
                "{} {} “{}”",
                text(&c["amount"]),
                text(&c["currency"]),
                text(&c["merchant"])
            )
        }),
    )?;
    // The pages show the entry by its description (the merchant column).
    let credit_name = "Provisional credit: dispute of";
    let page = portal.page("/portal/cards").await?;
    t.expect(
        "… also on the portal's cards page",
        page.contains(credit_name),
        format!("“{credit_name} …”"),
    )?;
    let seen_by_agent = credit_of(&agent.get(&path).await?);
    let view = agent
        .page(&format!("/console/cardholders/{holder_id}"))
        .await?;
    t.expect(
        "The agent sees the same credit in the customer view",
        seen_by_agent.is_some() && view.contains(credit_name),
        credit_ref.clone(),
    )?;

    // The chat ends: the contact is done (the notes too, so that the agent is ready again)
    // and the cardholder leaves.
    agent.contact(&contact, "complete").await?;
    agent.ready().await?;
    let closed = portal
        .post(
            &format!("/api/v1/chat/conversations/{conversation}/close"),
            json!({}),
        )
        .await?;
    agents.leave().await?;
    theirs.leave().await?;
    if closed["status"] != "closed" {
        bail!("the chat did not close: {closed}");
    }
    t.step(
        "The chat ends",
        format!("{} messages", text(&closed["last_seq"])),
    );
    Ok(Outcome {
        cardholder: holder_id.to_owned(),
        card: card.to_owned(),
        conversation,
        transaction: reference,
        dispute: id,
        credit: credit_ref,
        case: text(&case["id"]),
        agent: agent.id.clone(),
    })
}
