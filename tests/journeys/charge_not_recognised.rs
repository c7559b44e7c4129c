//! Journey 2 on a Monday afternoon in New York (its hub open): the chat routed by the intent
//! model, answered by an agent of the lost/stolen and fraud team, leaves a fraud dispute with
//! the receipt, the provisional credit on the card's account, a fraud case with the chat, and
//! the agent offline as found.

use sha2::{Digest, Sha256};

#[tokio::test]
async fn charge_not_recognised() {
    // Monday 5 January 2026, 16:00 in New York.
    let (app, clock) = crate::app_at("2026-01-05T21:00:00Z").await;
    let mut tour = crate::tour(&app);
    let outcome = journeys::charge_not_recognised::run(&mut tour)
        .await
        .unwrap_or_else(|e| panic!("{e:#}\nsteps: {:#?}", tour.steps()));
    let now = domain::Clock::now(&*clock);
    let holder: domain::CardholderId = outcome.cardholder.parse().unwrap();
    let card: domain::CardId = outcome.card.parse().unwrap();

    // The fraud dispute on the charge, provisionally credited, zero liability.
    let dispute = app
        .store
        .dispute(outcome.dispute.parse().unwrap())
        .await
        .unwrap()
        .expect("the dispute");
    assert_eq!(dispute.cardholder_id, holder);
    assert_eq!(dispute.card_id, card);
    assert_eq!(dispute.transaction.0, outcome.transaction);
    assert_eq!(dispute.reason, cards::dispute::DisputeReason::Unauthorized);
    assert!(dispute.fraud);
    assert_eq!(
        dispute.state,
        cards::dispute::DisputeState::ProvisionallyCredited { at: now }
    );
    assert_eq!(
        dispute.liability(),
        cards::dispute::Liability::Decided {
            amount: domain::Money::new(0, dispute.amount.currency)
        }
    );
    let charge = app
        .store
        .transaction(&outcome.transaction)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        dispute.amount, charge.amount,
        "the whole charge is disputed"
    );

    // The receipt, stored as sent (by its content hash).
    let sha = hex::encode(Sha256::digest(journeys::charge_not_recognised::RECEIPT));
    assert_eq!(dispute.documents.len(), 1);
    assert_eq!(dispute.documents[0].sha256, sha);
    assert_eq!(dispute.documents[0].kind, cards::dispute::DocumentKind::Pdf);
    let stored = app
        .store
        .dispute_document(dispute.id, 0)
        .await
        .unwrap()
        .expect("the receipt's content");
    assert_eq!(hex::encode(Sha256::digest(&stored.content)), sha);

    // The credit on the card's account: the disputed amount back, posted now.
    let credit = app
        .store
        .transaction(&outcome.credit)
        .await
        .unwrap()
        .expect("the credit entry");
    assert_eq!(credit.card_id, card);
    assert_eq!(credit.amount.minor, -charge.amount.minor);
    assert_eq!(credit.amount.currency, charge.amount.currency);
    assert_eq!(credit.at, now);
    assert_eq!(
        credit.status,
        cards::transactions::TransactionStatus::Posted
    );

    // The fraud case with the chat, the chat routed to the fraud team and answered.
    let case = app
        .store
        .case_by_id(domain::CaseId(outcome.case.parse().unwrap()))
        .await
        .unwrap()
        .expect("the case");
    assert_eq!(case.reason, domain::Reason::Fraud);
    assert_eq!(case.department, domain::Department::LostOrStolen);
    assert_eq!(case.cardholder, Some(holder));
    let conversation: domain::ConversationId = outcome.conversation.parse().unwrap();
    assert_eq!(case.conversations, vec![conversation]);
    let chat = app
        .store
        .conversation(conversation)
        .await
        .unwrap()
        .expect("the conversation");
    assert_eq!(chat.conversation.cardholder, Some(holder));
    assert_eq!(chat.conversation.case, Some(case.id));
    let messages = app
        .store
        .messages_after(conversation, 0, 100)
        .await
        .unwrap();
    assert_eq!(messages[0].body, journeys::charge_not_recognised::WORDS);
    let agent: domain::UserId = outcome.agent.parse().unwrap();
    assert!(
        messages
            .iter()
            .any(|m| m.author == cases::conversation::Author::Agent(agent)),
        "the agent answered in the chat"
    );

    // The agent is offline again, as found.
    let status = app
        .state
        .switchboard
        .agents()
        .await
        .into_iter()
        .find(|a| a.profile.id.0 == agent.0)
        .expect("the agent")
        .status;
    assert_eq!(status.availability, routing::Availability::Offline);
    app.stop().await;
}
