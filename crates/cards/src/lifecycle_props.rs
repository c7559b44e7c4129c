//! Property: no sequence of operations reaches an illegal card state, and terminal states
//! never leave.

use domain::{CardId, UserId};
use jiff::SignedDuration;
use proptest::prelude::*;

use crate::card::tests::{issued_card, ts};
use crate::card::{Actor, Card, CardState, LifecycleError, Loss, ReplacementLink, can_authorize};
use crate::pan::Last4;
use crate::pin::Pin;
use crate::secrets::tests::test_keys;
use crate::test_rng::TestRng;

#[derive(Debug, Clone, Copy)]
enum Op {
    Activate,
    Lock(Actor),
    Unlock(Actor),
    Report(Loss, Actor),
    Close(Actor),
    Replace,
}

fn actor() -> impl Strategy<Value = Actor> {
    prop_oneof![
        Just(Actor::Cardholder),
        Just(Actor::FraudEngine),
        Just(Actor::Agent {
            user_id: UserId(uuid::Uuid::from_u128(7))
        }),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Activate),
        3 => actor().prop_map(Op::Lock),
        3 => actor().prop_map(Op::Unlock),
        1 => (prop_oneof![Just(Loss::Lost), Just(Loss::Stolen)], actor()).prop_map(|(l, a)| Op::Report(l, a)),
        1 => actor().prop_map(Op::Close),
        1 => Just(Op::Replace),
    ]
}

/// The allowed moves, written independently of the implementation.
fn allowed(from: &CardState, to: &CardState) -> bool {
    use CardState::*;
    match (from, to) {
        (Issued { .. }, Active { .. }) => true,
        (Active { .. }, Locked { .. }) => true,
        (Locked { .. }, Active { .. }) => true,
        (
            Issued { .. } | Active { .. } | Locked { .. },
            Lost {
                replacement: None, ..
            },
        )
        | (
            Issued { .. } | Active { .. } | Locked { .. },
            Stolen {
                replacement: None, ..
            },
        )
        | (
            Issued { .. } | Active { .. } | Locked { .. },
            Closed {
                replacement: None, ..
            },
        ) => true,
        // A terminal state only gains its replacement link, once.
        (
            Lost {
                at: a,
                replacement: None,
            },
            Lost {
                at: b,
                replacement: Some(_),
            },
        )
        | (
            Stolen {
                at: a,
                replacement: None,
            },
            Stolen {
                at: b,
                replacement: Some(_),
            },
        )
        | (
            Closed {
                at: a,
                replacement: None,
            },
            Closed {
                at: b,
                replacement: Some(_),
            },
        ) => a == b,
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_sequence_reaches_an_illegal_state(ops in prop::collection::vec(op(), 1..40)) {
        let keys = test_keys();
        let mut rng = TestRng::new(9);
        let pin = Pin::parse("4821").unwrap();
        let mut card: Card = issued_card("999900123456789");
        let mut now = ts("2026-01-06T09:00:00Z");
        let mut was_terminal: Option<&'static str> = None;

        for op in ops {
            now = crate::time::after(now, SignedDuration::from_mins(5));
            let before = card.clone();
            let result: Result<(Card, usize), LifecycleError> = match op {
                Op::Activate => card
                    .activate(&pin, &keys, &mut rng, now)
                    .map(|a| (a.transition.card, a.transition.events.len()))
                    .map_err(|e| match e {
                        crate::card::ActivationError::Lifecycle(l) => l,
                        other => panic!("{other}"),
                    }),
                Op::Lock(by) => card.lock(by, now).map(|t| (t.card, t.events.len())),
                Op::Unlock(by) => card.unlock(by, now).map(|t| (t.card, t.events.len())),
                Op::Report(loss, by) => card.report(loss, by, now).map(|t| (t.card, t.events.len())),
                Op::Close(by) => card.close(by, now).map(|t| (t.card, t.events.len())),
                Op::Replace => card
                    .link_replacement(ReplacementLink {
                        card_id: CardId::new(),
                        last4: Last4::parse("1234").unwrap(),
                    })
                    .map(|c| (c, 1)),
            };
            match result {
                Ok((next, events)) => {
                    prop_assert!(allowed(&before.state, &next.state), "{:?} -> {:?} by {:?}", before.state, next.state, op);
                    prop_assert_eq!(events, 1);
                    prop_assert_eq!(next.id, before.id);
                    prop_assert_eq!(next.last4, before.last4);
                    card = next;
                }
                Err(err) => {
                    let message = err.to_string();
                    let expected_start = format!("cannot {} card ending {}: ", err.action, before.last4);
                    prop_assert!(message.starts_with(&expected_start), "{}", message);
                    if before.state.is_terminal() {
                        prop_assert_eq!(err.code(), if matches!(op, Op::Replace) { "card.already_replaced" } else { "card.terminal" });
                    }
                }
            }
            if let Some(name) = was_terminal {
                prop_assert_eq!(card.state.name(), name, "terminal states never leave");
            }
            if card.state.is_terminal() {
                was_terminal = Some(card.state.name());
            }
            let active = matches!(card.state, CardState::Active { .. });
            prop_assert_eq!(can_authorize(&card, now).is_ok(), active);
        }
    }
}
