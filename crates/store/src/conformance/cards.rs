//! Cards: accounts, cards found by id and by card number, optimistic updates, replacements in
//! one transaction, transactions, disputes with their documents, the rewards ledger (with
//! concurrent requests), verification sessions and contact changes.

use std::future::Future;
use std::pin::Pin as Boxed;
use std::task::Poll;

use ::cards::dispute::{DisputeReason, MerchantPosition};
use ::cards::rewards::{RewardsCommand, RewardsError};
use ::cards::transactions::{TransactionRef, TransactionStatus};
use ::cards::verification::Outcome as VerificationOutcome;
use ::cards::{
    Actor, AddressFields, Answers, Applied, BusinessCalendar, Card, CardState, DisputeFiling,
    DisputePolicy, Expiry, IdempotencyKey, KeyId, Keys, Loss, OnFile, Pan, PanLayout,
    PinHashParams, ReplacementRequest, RewardsProgram, RewardsRequest, SecurityCode, ShippingFees,
    ShippingOption, Transaction, VerificationPolicy, VerificationSession, check_document,
    demo_card, file_dispute, order_replacement,
};
use domain::{
    AccountId, CardId, Channel, Clock, Country, Currency, DisputeId, FakeClock, Money, Tier,
};
use jiff::SignedDuration;

use super::sample_cardholder;
use crate::*;

/// SplitMix64: deterministic nonces for the conformance run (not cryptographic).
pub struct TestRng(u64);

impl ::cards::rand_core::TryRng for TestRng {
    type Error = std::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        self.try_next_u64().map(|v| (v >> 32) as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Ok(z ^ (z >> 31))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(8) {
            let bytes = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        Ok(())
    }
}

impl ::cards::rand_core::TryCryptoRng for TestRng {}

/// Fixed test keys (never used outside tests).
pub fn test_keys() -> Keys {
    let id = KeyId::parse("k1").expect("key id");
    let key = ::cards::secrets::parse_key_hex(&"ab".repeat(32)).expect("key hex");
    Keys::new(
        &[7u8; 32],
        [(id.clone(), key)],
        id,
        PinHashParams::insecure_fast_for_tests(),
    )
    .expect("keys")
}

/// A stored card for `pan`, issued now.
pub fn card_record(
    keys: &Keys,
    rng: &mut TestRng,
    account: &CardAccount,
    pan: &Pan,
    code: &SecurityCode,
    at: domain::Timestamp,
) -> CardRecord {
    let id = CardId::new();
    let card = Card::issue(
        id,
        account.id,
        account.cardholder_id,
        account.tier,
        pan,
        Expiry::new(2031, 8).expect("expiry"),
        at,
    );
    CardRecord {
        card,
        pan_lookup: keys.pan_lookup(pan),
        pan_encrypted: keys.encrypt_pan(id, pan, rng).expect("encrypt"),
        security_code_hash: keys.security_code_hash(id, code),
        pin_hash: None,
        alerts: Default::default(),
        version: 0,
        issued_at: at,
    }
}

type RewardsFuture<'a> =
    Boxed<Box<dyn Future<Output = StoreResult<Result<Applied, RewardsError>>> + Send + 'a>>;

/// Polls every future until all are done (concurrently, on the caller's task).
async fn join_all<'a, T>(futures: Vec<Boxed<Box<dyn Future<Output = T> + Send + 'a>>>) -> Vec<T> {
    let mut futures: Vec<_> = futures.into_iter().map(Some).collect();
    let mut results: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, result) in futures.iter_mut().zip(results.iter_mut()) {
            if let Some(future) = slot {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => {
                        *result = Some(value);
                        *slot = None;
                    }
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    results.into_iter().flatten().collect()
}

pub(super) async fn cards_store(store: &dyn Store, clock: &FakeClock) {
    let keys = test_keys();
    let mut rng = TestRng(42);
    let now = clock.now();
    let holder = sample_cardholder("cards@example.test", "Cardwell", now);
    store
        .insert_cardholder(&holder, Effects::none())
        .await
        .expect("insert cardholder");

    // Accounts.
    let account = CardAccount {
        id: AccountId::new(),
        cardholder_id: holder.id,
        product: "Gold Card".to_owned(),
        tier: Tier::Gold,
        currency: Currency::USD,
        rewards_balance: 0,
        opened_at: now,
    };
    store
        .insert_card_account(&account, Effects::none())
        .await
        .expect("insert account");
    let orphan = CardAccount {
        id: AccountId::new(),
        cardholder_id: domain::CardholderId::new(),
        ..account.clone()
    };
    assert!(matches!(
        store.insert_card_account(&orphan, Effects::none()).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        store.card_account(account.id).await.expect("account"),
        Some(account.clone())
    );
    assert_eq!(
        store.card_accounts_for(holder.id).await.expect("accounts"),
        vec![account.clone()]
    );

    // Cards: by id, by card number, duplicates, optimistic updates.
    let issued = jiff::civil::date(2026, 1, 15);
    let first = demo_card(b"conformance", 0, PanLayout::Sixteen, issued).expect("demo card");
    let second = demo_card(b"conformance", 1, PanLayout::Fifteen, issued).expect("demo card");
    let record = card_record(
        &keys,
        &mut rng,
        &account,
        &first.pan,
        &first.security_code,
        now,
    );
    store
        .insert_card(&record, Effects::none())
        .await
        .expect("insert card");
    let again = card_record(
        &keys,
        &mut rng,
        &account,
        &first.pan,
        &first.security_code,
        now,
    );
    assert!(
        matches!(
            store.insert_card(&again, Effects::none()).await,
            Err(StoreError::Conflict { .. })
        ),
        "the same card number twice"
    );
    let by_id = store
        .card_by_id(record.card.id)
        .await
        .expect("by id")
        .expect("found");
    assert_eq!(by_id, record);
    let by_pan = store
        .card_by_lookup(&keys.pan_lookup(&first.pan))
        .await
        .expect("by pan")
        .expect("found");
    assert_eq!(by_pan.card.id, record.card.id);
    assert_eq!(
        keys.decrypt_pan(by_pan.card.id, &by_pan.pan_encrypted)
            .expect("decrypt")
            .reveal(),
        first.pan.reveal()
    );
    assert!(
        store
            .card_by_lookup(&keys.pan_lookup(&second.pan))
            .await
            .expect("by pan")
            .is_none()
    );

    let pin = ::cards::Pin::parse("4831").expect("pin");
    let activation = record
        .card
        .activate(&pin, &keys, &mut rng, now)
        .expect("activate");
    let activated = store
        .update_card(
            &CardUpdate {
                card: activation.transition.card.clone(),
                pin_hash: Some(activation.pin_hash.clone()),
                alerts: None,
                version: record.version,
            },
            Effects {
                events: activation
                    .transition
                    .events
                    .iter()
                    .map(card_event)
                    .collect(),
                audit: Vec::new(),
            },
        )
        .await
        .expect("activate card");
    assert_eq!(activated.version, record.version + 1);
    assert!(keys.verify_pin(&pin, activated.pin_hash.as_ref().expect("pin hash")));
    let lock = activated.card.lock(Actor::Cardholder, now).expect("lock");
    // A change decided on the old version is refused.
    assert!(matches!(
        store
            .update_card(
                &CardUpdate::state(&record, lock.card.clone()),
                Effects::none()
            )
            .await,
        Err(StoreError::Conflict { .. })
    ));
    let locked = store
        .update_card(
            &CardUpdate::state(&activated, lock.card.clone()),
            Effects {
                events: lock.events.iter().map(card_event).collect(),
                audit: Vec::new(),
            },
        )
        .await
        .expect("lock card");
    assert!(matches!(locked.card.state, CardState::Locked { .. }));
    // Read back (the earlier read may be cached): this store's own write is seen at once.
    assert_eq!(
        store
            .card_by_id(record.card.id)
            .await
            .expect("by id")
            .expect("found"),
        locked
    );
    assert_eq!(
        locked.pin_hash, activated.pin_hash,
        "a state change keeps the PIN"
    );
    let topics: Vec<String> = store
        .events_for_subject(&format!("card:{}", record.card.id))
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.topic)
        .collect();
    assert_eq!(topics, ["card.activated", "card.locked"]);
    let payloads = store
        .events_for_subject(&format!("card:{}", record.card.id))
        .await
        .expect("events");
    for event in payloads {
        assert!(!event.payload.to_string().contains(first.pan.reveal()));
    }

    // Report lost and replace, in one transaction.
    clock.advance(SignedDuration::from_mins(5));
    let now = clock.now();
    let reported = locked
        .card
        .report(Loss::Lost, Actor::Cardholder, now)
        .expect("report");
    let new_record = card_record(
        &keys,
        &mut rng,
        &account,
        &second.pan,
        &second.security_code,
        now,
    );
    let on_file = ::cards::Address::new(AddressFields {
        lines: vec!["1 Example Plaza".to_owned()],
        city: "New York".to_owned(),
        region: "NY".to_owned(),
        postcode: "10001".to_owned(),
        country: Country::parse("US").expect("US"),
    })
    .expect("address");
    let ordered = order_replacement(
        &reported.card,
        &new_record.card,
        &ReplacementRequest {
            shipping: ShippingOption::Expedited,
            destination: ::cards::replacement::Destination::AddressOnFile,
        },
        &on_file,
        &ShippingFees::default(),
        &BusinessCalendar::named("America/New_York", []).expect("calendar"),
        now,
    )
    .expect("order");
    let mut events: Vec<NewEvent> = reported.events.iter().map(card_event).collect();
    events.extend(ordered.events.iter().map(card_event));
    store
        .save_replacement(
            &Replacement {
                old: CardUpdate::state(&locked, ordered.old_card.clone()),
                new: new_record.clone(),
                order: ordered.order.clone(),
            },
            Effects {
                events,
                audit: Vec::new(),
            },
        )
        .await
        .expect("save replacement");
    let old = store
        .card_by_id(record.card.id)
        .await
        .expect("old")
        .expect("found");
    assert!(matches!(
        old.card.state,
        CardState::Lost {
            replacement: Some(link),
            ..
        } if link.card_id == new_record.card.id
    ));
    assert!(::cards::can_authorize(&old.card, now).is_err());
    assert_eq!(
        store
            .replacement_order(record.card.id)
            .await
            .expect("order")
            .expect("found"),
        ordered.order
    );
    let cards = store.cards_for(holder.id).await.expect("cards");
    assert_eq!(cards.len(), 2);
    assert_eq!(store.encrypted_pans().await.expect("pans").len(), 2);
    // A second replacement of the same card fails and writes nothing.
    let third = demo_card(b"conformance", 2, PanLayout::Sixteen, issued).expect("demo card");
    let extra = card_record(
        &keys,
        &mut rng,
        &account,
        &third.pan,
        &third.security_code,
        now,
    );
    let refused = store
        .save_replacement(
            &Replacement {
                old: CardUpdate::state(&old, old.card.clone()),
                new: extra.clone(),
                order: ordered.order.clone(),
            },
            Effects::none(),
        )
        .await;
    assert!(
        matches!(refused, Err(StoreError::Conflict { .. })),
        "{refused:?}"
    );
    assert!(
        store
            .card_by_id(extra.card.id)
            .await
            .expect("extra")
            .is_none(),
        "rolled back"
    );

    // Transactions.
    let card_id = new_record.card.id;
    let usd = |minor| Money::new(minor, Currency::USD);
    let txs: Vec<Transaction> = (0..5)
        .map(|i| Transaction {
            reference: TransactionRef(format!("conf-tx-{i}")),
            card_id,
            at: now - SignedDuration::from_hours(24 * (5 - i)),
            amount: usd(10_00 * (i + 1)),
            merchant: format!("Example Shop {i}"),
            merchant_country: Country::parse("US").expect("US"),
            card_present: i % 2 == 0,
            status: if i == 4 {
                TransactionStatus::Pending
            } else {
                TransactionStatus::Posted
            },
        })
        .collect();
    store
        .insert_transactions(&txs, Effects::none())
        .await
        .expect("insert transactions");
    assert!(matches!(
        store.insert_transactions(&txs[..1], Effects::none()).await,
        Err(StoreError::Conflict { .. })
    ));
    let all = store
        .transactions_for_card(card_id, None, None, 100)
        .await
        .expect("transactions");
    assert_eq!(
        all.iter()
            .map(|t| t.reference.0.as_str())
            .collect::<Vec<_>>(),
        [
            "conf-tx-4",
            "conf-tx-3",
            "conf-tx-2",
            "conf-tx-1",
            "conf-tx-0"
        ]
    );
    assert_eq!(all[0], txs[4]);
    let window = store
        .transactions_for_card(card_id, Some(txs[1].at), Some(txs[3].at), 100)
        .await
        .expect("window");
    assert_eq!(window.len(), 2);
    assert_eq!(
        store.transaction("conf-tx-2").await.expect("tx"),
        Some(txs[2].clone())
    );

    // Disputes with documents.
    let pdf = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n".to_vec();
    let png = [
        &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..],
        b"rest",
    ]
    .concat();
    let policy = DisputePolicy::default();
    let receipt = check_document("receipt.pdf", &pdf, &policy).expect("pdf");
    let (dispute, events) = file_dispute(
        DisputeId::new(),
        holder.id,
        &txs[2],
        DisputeFiling {
            reason: DisputeReason::NotReceived,
            description: "never arrived".to_owned(),
            amount: usd(30_00),
            documents: vec![receipt],
        },
        &policy,
        now,
    )
    .expect("file dispute");
    store
        .insert_dispute(
            &dispute,
            std::slice::from_ref(&pdf),
            Effects {
                events: events.iter().map(card_event).collect(),
                audit: Vec::new(),
            },
        )
        .await
        .expect("insert dispute");
    let photo = check_document("photo.png", &png, &policy).expect("png");
    let (with_photo, _) = dispute.add_document(photo, &policy, now).expect("add");
    let (credited, _) = with_photo.credit_provisionally(now).expect("credit");
    let credit = with_photo
        .account_entry(&credited, &txs[2], now)
        .expect("a credit entry");
    store
        .update_dispute(
            &credited,
            std::slice::from_ref(&png),
            std::slice::from_ref(&credit),
            Effects::none(),
        )
        .await
        .expect("update dispute");
    assert_eq!(
        store
            .transaction(&credit.reference.0)
            .await
            .expect("credit"),
        Some(credit.clone()),
        "the provisional credit is on the card's account"
    );
    assert!(
        store
            .update_dispute(
                &credited,
                &[],
                std::slice::from_ref(&credit),
                Effects::none()
            )
            .await
            .is_err(),
        "an entry is posted once"
    );
    let (responded, _) = credited
        .record_merchant_response(MerchantPosition::Accepts, now)
        .expect("respond");
    store
        .update_dispute(&responded, &[], &[], Effects::none())
        .await
        .expect("update dispute");
    assert_eq!(
        store.dispute(dispute.id).await.expect("dispute"),
        Some(responded.clone())
    );
    assert_eq!(
        store.disputes_for(holder.id).await.expect("disputes"),
        vec![responded]
    );
    let stored = store
        .dispute_document(dispute.id, 0)
        .await
        .expect("doc")
        .expect("found");
    assert_eq!(stored.content, pdf);
    assert_eq!(stored.document.name, "receipt.pdf");
    let stored = store
        .dispute_document(dispute.id, 1)
        .await
        .expect("doc")
        .expect("found");
    assert_eq!(stored.content, png);
    assert!(
        store
            .dispute_document(dispute.id, 2)
            .await
            .expect("doc")
            .is_none()
    );

    rewards(store, &account, &txs).await;
    verification(store, clock, &keys, &holder, &new_record, &second).await;

    // Contact changes.
    let mut address = holder.address.clone();
    address.lines = vec!["2 Sample Street".to_owned()];
    address.postcode = "10002".to_owned();
    store
        .update_contact(
            holder.id,
            &ContactUpdate {
                email: "cards.new@example.test".to_owned(),
                phone: Some("+12025550199".to_owned()),
                address: address.clone(),
            },
            Effects::none(),
        )
        .await
        .expect("update contact");
    let changed = store
        .cardholder_by_id(holder.id)
        .await
        .expect("holder")
        .expect("found");
    assert_eq!(changed.email, "cards.new@example.test");
    assert_eq!(changed.address, address);
    assert_eq!(changed.postcode.as_deref(), Some("10002"));
    assert!(matches!(
        store
            .update_contact(
                domain::CardholderId::new(),
                &ContactUpdate {
                    email: "nobody@example.test".to_owned(),
                    phone: None,
                    address,
                },
                Effects::none(),
            )
            .await,
        Err(StoreError::NotFound { .. })
    ));
}

async fn rewards(store: &dyn Store, account: &CardAccount, txs: &[Transaction]) {
    let program = RewardsProgram::demo().expect("program");
    let key = |k: &str| IdempotencyKey::parse(k).expect("key");
    // Earn 2 × 40 + 2 × 50 = 180 points... then adjust up to 5,000.
    for (i, tx) in txs.iter().enumerate().skip(3) {
        let earned = store
            .apply_rewards(
                account.id,
                &RewardsRequest {
                    key: key(&format!("earn-{i}")),
                    command: RewardsCommand::Earn {
                        transaction: tx.reference.clone(),
                        amount: tx.amount,
                        tier: account.tier,
                    },
                },
                &program,
                Effects::none(),
            )
            .await
            .expect("store")
            .expect("earn");
        assert!(matches!(earned, Applied::Recorded(_)));
    }
    assert_eq!(
        store.rewards_ledger_sum(account.id).await.expect("sum"),
        180
    );
    store
        .apply_rewards(
            account.id,
            &RewardsRequest {
                key: key("goodwill"),
                command: RewardsCommand::Adjust {
                    points: 4_820,
                    reason: "goodwill".to_owned(),
                    by: Actor::Cardholder,
                },
            },
            &program,
            Effects::none(),
        )
        .await
        .expect("store")
        .expect("adjust");

    // Eight concurrent transfers of 2,000 points under ONE key: applied once.
    let transfer = |k: &str, points| RewardsRequest {
        key: key(k),
        command: RewardsCommand::Transfer {
            partner: program.partners[0].id.clone(),
            member_number: "EX123456".to_owned(),
            points,
        },
    };
    let same = transfer("transfer-once", 2_000);
    let results = join_all(
        (0..8)
            .map(|_| {
                Box::pin(store.apply_rewards(account.id, &same, &program, Effects::none()))
                    as RewardsFuture<'_>
            })
            .collect(),
    )
    .await;
    let mut recorded = 0;
    for result in results {
        match result.expect("store").expect("transfer") {
            Applied::Recorded(_) => recorded += 1,
            Applied::AlreadyApplied(entries) => assert_eq!(entries[0].points, -2_000),
        }
    }
    assert_eq!(recorded, 1, "the same key applies once");
    assert_eq!(
        store.rewards_ledger_sum(account.id).await.expect("sum"),
        3_000
    );
    let events = store
        .events_for_subject(&format!("account:{}", account.id))
        .await
        .expect("events");
    assert_eq!(
        events
            .iter()
            .filter(|e| e.topic == "rewards.transferred")
            .count(),
        1
    );

    // Six concurrent transfers of 1,000 with different keys: only three fit in 3,000.
    let requests: Vec<RewardsRequest> = (0..6)
        .map(|i| transfer(&format!("transfer-many-{i}"), 1_000))
        .collect();
    let results = join_all(
        requests
            .iter()
            .map(|r| {
                Box::pin(store.apply_rewards(account.id, r, &program, Effects::none()))
                    as RewardsFuture<'_>
            })
            .collect(),
    )
    .await;
    let (mut ok, mut short) = (0, 0);
    for result in results {
        match result.expect("store") {
            Ok(Applied::Recorded(_)) => ok += 1,
            Err(RewardsError::InsufficientPoints { .. }) => short += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((ok, short), (3, 3));
    let sum = store.rewards_ledger_sum(account.id).await.expect("sum");
    assert_eq!(sum, 0, "never below zero");
    let stored = store
        .card_account(account.id)
        .await
        .expect("account")
        .expect("found");
    assert_eq!(
        stored.rewards_balance, sum,
        "the balance column is the ledger's sum"
    );
    let ledger = store.rewards_ledger(account.id, 100).await.expect("ledger");
    assert_eq!(ledger.iter().map(|e| e.points).sum::<i64>(), sum);
    assert_eq!(ledger.len(), 2 + 1 + 1 + 3);

    // The same key with a different request is refused.
    let reused = store
        .apply_rewards(
            account.id,
            &transfer("transfer-once", 1_000),
            &program,
            Effects::none(),
        )
        .await
        .expect("store");
    assert!(
        matches!(reused, Err(RewardsError::KeyReused(_))),
        "{reused:?}"
    );
    assert!(matches!(
        store
            .apply_rewards(AccountId::new(), &same, &program, Effects::none())
            .await,
        Err(StoreError::NotFound { .. })
    ));
}

async fn verification(
    store: &dyn Store,
    clock: &FakeClock,
    keys: &Keys,
    holder: &Cardholder,
    card: &CardRecord,
    demo: &::cards::DemoCard,
) {
    let now = clock.now();
    assert!(
        store
            .verification_session(holder.id, Channel::Phone)
            .await
            .expect("session")
            .is_none()
    );
    let on_file = OnFile {
        cards: vec![::cards::verification::CardOnFile {
            card_id: card.card.id,
            lookup: card.pan_lookup.clone(),
            security_code: card.security_code_hash.clone(),
        }],
        date_of_birth: Some(jiff::civil::date(1980, 2, 29)),
        postcode: Some("10001".to_owned()),
        phone: None,
        tax_id_last4: Some("6789".to_owned()),
    };
    let policy = VerificationPolicy::default();
    let mut session = VerificationSession::new(holder.id, Channel::Phone);
    let wrong = Answers {
        date_of_birth: Some(jiff::civil::date(1990, 1, 1)),
        ..Answers::default()
    };
    for _ in 0..3 {
        let attempt = session
            .attempt(&wrong, &on_file, keys, &policy, now)
            .expect("attempt");
        store
            .save_verification_session(
                &attempt.session,
                Effects {
                    events: attempt.events.iter().map(card_event).collect(),
                    audit: Vec::new(),
                },
            )
            .await
            .expect("save session");
        session = attempt.session;
    }
    let stored = store
        .verification_session(holder.id, Channel::Phone)
        .await
        .expect("session")
        .expect("found");
    assert_eq!(stored, session);
    assert!(
        stored.locked_until(now).is_some(),
        "locked after 3 failures"
    );
    let signals = store
        .events_for_subject(&format!("cardholder:{}", holder.id))
        .await
        .expect("events");
    assert_eq!(
        signals
            .iter()
            .filter(|e| e.topic == "verification.locked")
            .count(),
        1
    );
    // Another channel is not locked, and passes with card and code.
    let chat = VerificationSession::new(holder.id, Channel::Chat);
    let right = Answers {
        card: Some((demo.pan.clone(), demo.security_code.clone())),
        postcode: Some("10001".to_owned()),
        ..Answers::default()
    };
    let attempt = chat
        .attempt(&right, &on_file, keys, &policy, now)
        .expect("attempt");
    assert!(matches!(
        attempt.outcome,
        VerificationOutcome::Passed { .. }
    ));
    store
        .save_verification_session(&attempt.session, Effects::none())
        .await
        .expect("save chat session");
    let all = store
        .verification_sessions_for(holder.id)
        .await
        .expect("sessions");
    assert_eq!(all.len(), 2);
    assert_eq!(
        all.iter().find(|s| s.channel() == Channel::Chat),
        Some(&attempt.session)
    );
    let raw = serde_json::to_string(&all).expect("json");
    assert!(!raw.contains(demo.pan.reveal()));
}
