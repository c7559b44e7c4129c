//! Demo cards: an account and cards for every demo cardholder (Business accounts hold two
//! cards, co-brand cards carry a partner name), a month of transactions and a rewards balance.
//! Numbers come from `cards::demo_card` in the fictional 999900 range, so the tour and the
//! tests can compute them; the database gets only their keyed hash, ciphertext and last four.

use cards::transactions::{TransactionRef, TransactionStatus};
use cards::{
    Actor, Card, CardState, DemoCard, IdempotencyKey, RewardsCommand, RewardsRequest, Transaction,
    demo_card,
};
use domain::{AccountId, CardId, Country, Currency, Money, Tier};
use jiff::SignedDuration;
use store::{CardAccount, CardRecord, Effects};

use crate::state::AppState;

/// The seed of every demo card number.
pub const DEMO_CARD_SEED: &[u8] = b"helpline-demo";

/// The day demo cards were issued (they expire 3 to 5 years later).
fn issued_on() -> jiff::civil::Date {
    jiff::civil::date(2025, 6, 2)
}

/// How many cards the `i`-th demo cardholder holds. A second personal card is newly issued
/// (see [`seed`]): some Green and some Platinum cardholders have one to activate.
pub fn demo_card_count(i: usize) -> u32 {
    match crate::demo::demo_tier(i) {
        Tier::Business => 2,
        _ if i % 10 == 9 => 2,
        Tier::Platinum if i % 20 == 11 => 2,
        _ => 1,
    }
}

/// Whether the `i`-th demo cardholder's cards are locked (a few are, by the cardholder).
pub fn demo_cards_locked(i: usize) -> bool {
    i % 25 == 7
}

/// The `k`-th card of the `i`-th demo cardholder: number, security code and expiry (for the
/// tour and tests; never stored in clear).
pub fn demo_card_of(i: usize, k: u32) -> anyhow::Result<DemoCard> {
    let layout = crate::cards::layout_for(crate::demo::demo_tier(i));
    let index = u32::try_from(i)?.saturating_mul(4).saturating_add(k);
    Ok(demo_card(DEMO_CARD_SEED, index, layout, issued_on())?)
}

fn product(tier: Tier) -> &'static str {
    match tier {
        Tier::Green => "Green Card",
        Tier::Gold => "Gold Card",
        Tier::Platinum => "Platinum Card",
        Tier::Centurion => "Centurion Card",
        Tier::Business => "Business Card",
        Tier::CoBrand => "Example Air co-brand Card",
    }
}

const MERCHANTS: &[(&str, &str, bool)] = &[
    ("Example Grocers", "", true),
    ("Sample Coffee", "", true),
    ("Example Air", "", false),
    ("Demo Books Online", "", false),
    ("Example Hotel Paris", "FR", true),
    ("Sample Fuel", "", true),
    ("Example Electronics", "", false),
    ("Demo Restaurant Tokyo", "JP", true),
];

/// Seeds the demo cards unless the first demo cardholder already has some. Runs at start-up
/// in demo mode (it needs the card-data keys, which live with the server).
pub async fn seed(state: &AppState) -> anyhow::Result<usize> {
    let store = &*state.store;
    let at = jiff::Timestamp::UNIX_EPOCH;
    let first = crate::demo::demo_cardholder(0, "", None, at)?;
    let Some(holder) = store.cardholder_by_email(&first.email).await? else {
        return Ok(0);
    };
    if !store.cards_for(holder.id).await?.is_empty() {
        return Ok(0);
    }
    let keys = crate::cards::keys_from(&state.secrets, cards::PinHashParams::default())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let program = cards::RewardsProgram::demo()?;
    let now = state.clock.now();
    let mut rng = crate::cards::rng();
    let mut made = 0;
    for i in 0..crate::demo::DEMO_CARDHOLDERS {
        let email = crate::demo::demo_cardholder(i, "", None, at)?.email;
        let Some(holder) = store.cardholder_by_email(&email).await? else {
            continue;
        };
        let tier = crate::demo::demo_tier(i);
        let account = CardAccount {
            id: AccountId::new(),
            cardholder_id: holder.id,
            product: product(tier).to_owned(),
            tier,
            currency: Currency::USD,
            rewards_balance: 0,
            opened_at: now,
        };
        store.insert_card_account(&account, Effects::none()).await?;
        let mut first_card = None;
        for k in 0..demo_card_count(i) {
            let demo = demo_card_of(i, k)?;
            let id = CardId::new();
            let mut card =
                Card::issue(id, account.id, holder.id, tier, &demo.pan, demo.expiry, now);
            // Cards issued before Helpline ran are active (their PINs were set elsewhere);
            // a second personal card is newly issued, for the activation demo; a few are locked.
            card.state = if k == 1 && tier != Tier::Business {
                CardState::Issued { at: now }
            } else if demo_cards_locked(i) {
                CardState::Locked {
                    since: now,
                    by: Actor::Cardholder,
                }
            } else {
                CardState::Active { since: now }
            };
            let record = CardRecord {
                pan_lookup: keys.pan_lookup(&demo.pan),
                pan_encrypted: keys.encrypt_pan(id, &demo.pan, &mut rng)?,
                security_code_hash: keys.security_code_hash(id, &demo.security_code),
                pin_hash: None,
                alerts: cards::AlertSettings {
                    single_transaction_over: Some(Money::new(50_000, Currency::USD)),
                    ..Default::default()
                },
                version: 0,
                issued_at: now,
                card,
            };
            store.insert_card(&record, Effects::none()).await?;
            first_card.get_or_insert(record.card);
            made += 1;
        }
        let Some(card) = first_card else { continue };
        let home = holder.country;
        let txs: Vec<Transaction> = (0..6)
            .map(|n| {
                let (merchant, country, present) = MERCHANTS[(i + n) % MERCHANTS.len()];
                let minor = 1_000 + ((i * 37 + n * 113) % 250) as i64 * 100 + (n as i64 * 7);
                Transaction {
                    reference: TransactionRef(format!("demo-{i}-{n}")),
                    card_id: card.id,
                    at: now - SignedDuration::from_hours(30 + 97 * n as i64),
                    amount: Money::new(minor, Currency::USD),
                    merchant: merchant.to_owned(),
                    merchant_country: if country.is_empty() {
                        home
                    } else {
                        Country::parse(country).unwrap_or(home)
                    },
                    card_present: present,
                    status: if n == 0 {
                        TransactionStatus::Pending
                    } else {
                        TransactionStatus::Posted
                    },
                }
            })
            .collect();
        store.insert_transactions(&txs, Effects::none()).await?;
        // A welcome balance that lets the tour try a partner transfer.
        let bonus = match tier {
            Tier::Centurion => 60_000,
            Tier::Platinum => 30_000,
            Tier::Gold | Tier::Business => 12_000,
            Tier::Green | Tier::CoBrand => 4_000,
        } + (i as i64 % 7) * 150;
        store
            .apply_rewards(
                account.id,
                &RewardsRequest {
                    key: IdempotencyKey::parse(&format!("demo-welcome-{i}"))?,
                    command: RewardsCommand::Adjust {
                        points: bonus,
                        reason: "Welcome bonus".to_owned(),
                        by: Actor::Cardholder,
                    },
                },
                &program,
                Effects::none(),
            )
            .await?
            .map_err(|e| anyhow::anyhow!("demo rewards: {e}"))?;
    }
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cards::PanLayout;

    #[test]
    fn demo_cards_are_stable_valid_and_in_the_demo_range() {
        let a = demo_card_of(5, 0).expect("card");
        let b = demo_card_of(5, 0).expect("card");
        assert_eq!(a.pan.reveal(), b.pan.reveal());
        assert!(a.pan.reveal().starts_with("999900"));
        assert_eq!(demo_card_count(5), 2, "Business holds two");
        assert_eq!(
            demo_card_of(5, 0).expect("card").pan.layout(),
            PanLayout::Fifteen
        );
        assert_ne!(
            demo_card_of(5, 1).expect("card").pan.reveal(),
            a.pan.reveal()
        );
    }
}
