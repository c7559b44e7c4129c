//! `helpline bench cards`: card-data cryptography (cards crate) and the store's card look-up by
//! card number over a scratch SQLite database.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use cards::{Card, CardState, PanLayout, PinHashParams, demo_card};
use clap::Args;
use domain::{AccountId, CardId, Clock, Currency, SystemClock, Tier};
use store::{
    CardAccount, CardRecord, CardStore, CardholderStore, ConnectOptions, Effects, SqlStore,
};

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Iterations of each fast operation
    #[arg(long, default_value_t = 20_000)]
    iterations: u32,
    /// Iterations of the PIN hash (argon2id, tens of milliseconds each)
    #[arg(long, default_value_t = 5)]
    pin_iterations: u32,
    /// Cards stored for the look-up benchmark
    #[arg(long, default_value_t = 5_000)]
    cards: u32,
    /// Print the report as one JSON object
    #[arg(long)]
    json: bool,
}

pub fn bench(args: BenchArgs) -> anyhow::Result<()> {
    let secrets = server::secrets::Secrets {
        hmac_key: server::secrets::random_bytes(),
        data_keys: [("k1".to_owned(), server::secrets::random_bytes())].into(),
        active_data_key: "k1".to_owned(),
        twiml_auth_token: String::new(),
        path: Default::default(),
    };
    let keys = server::cards::keys_from(&secrets, PinHashParams::default())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = SystemClock.now();
    let crypto = cards::bench::run(
        &keys,
        &mut server::cards::rng(),
        args.iterations,
        args.pin_iterations,
        now,
    )?;
    // `helpline` already runs inside a runtime: the store part gets its own, on its own thread.
    let lookups = args.iterations.min(5_000);
    let (insert_ms, lookup_us) = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?
                    .block_on(store_bench(&keys, args.cards, lookups))
            })
            .join()
            .map_err(|_| anyhow::anyhow!("the store benchmark panicked"))?
    })?;
    let report = serde_json::json!({
        "crypto": crypto,
        "store_cards": args.cards,
        "store_insert_card_ms": insert_ms,
        "store_card_by_number_us": lookup_us,
    });
    if args.json {
        println!("{report}");
    } else {
        println!("cards benchmark (mean per operation)");
        println!(
            "  can_authorize          {:>10.1} ns",
            crypto.can_authorize_ns
        );
        println!(
            "  card-number look-up key{:>10.1} ns",
            crypto.pan_lookup_hash_ns
        );
        println!(
            "  encrypt card number    {:>10.1} ns",
            crypto.encrypt_pan_ns
        );
        println!(
            "  decrypt card number    {:>10.1} ns",
            crypto.decrypt_pan_ns
        );
        println!(
            "  verify security code   {:>10.1} ns",
            crypto.security_code_verify_ns
        );
        println!("  PIN hash               {:>10.1} ms", crypto.pin_hash_ms);
        println!("  PIN verify             {:>10.1} ms", crypto.pin_verify_ms);
        println!(
            "  store: insert a card   {insert_ms:>10.3} ms (SQLite, {} cards)",
            args.cards
        );
        println!("  store: card by number  {lookup_us:>10.1} µs (hash + indexed look-up)");
    }
    Ok(())
}

async fn store_bench(keys: &cards::Keys, count: u32, lookups: u32) -> anyhow::Result<(f64, f64)> {
    let dir = tempfile_dir()?;
    let url = format!("sqlite://{}?mode=rwc", dir.join("bench.sqlite").display());
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = SqlStore::connect(&ConnectOptions::new(url), clock.clone()).await?;
    let now = clock.now();
    let holder = server::demo::demo_cardholder(0, "", None, now)?;
    store.insert_cardholder(&holder, Effects::none()).await?;
    let account = CardAccount {
        id: AccountId::new(),
        cardholder_id: holder.id,
        product: "Bench".to_owned(),
        tier: Tier::Gold,
        currency: Currency::USD,
        rewards_balance: 0,
        opened_at: now,
    };
    store.insert_card_account(&account, Effects::none()).await?;
    let today = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    let mut rng = server::cards::rng();
    let mut pans = Vec::new();
    let start = Instant::now();
    for i in 0..count {
        let demo = demo_card(b"bench-store", i, PanLayout::Sixteen, today)?;
        let id = CardId::new();
        let mut card = Card::issue(
            id,
            account.id,
            holder.id,
            Tier::Gold,
            &demo.pan,
            demo.expiry,
            now,
        );
        card.state = CardState::Active { since: now };
        store
            .insert_card(
                &CardRecord {
                    pan_lookup: keys.pan_lookup(&demo.pan),
                    pan_encrypted: keys.encrypt_pan(id, &demo.pan, &mut rng)?,
                    security_code_hash: keys.security_code_hash(id, &demo.security_code),
                    pin_hash: None,
                    alerts: Default::default(),
                    version: 0,
                    issued_at: now,
                    card,
                },
                Effects::none(),
            )
            .await?;
        pans.push(demo.pan);
    }
    let insert_ms = start.elapsed().as_secs_f64() * 1e3 / f64::from(count.max(1));
    let start = Instant::now();
    for i in 0..lookups {
        let pan = &pans[i as usize % pans.len().max(1)];
        let found = store.card_by_lookup(&keys.pan_lookup(pan)).await?;
        anyhow::ensure!(found.is_some(), "a stored card was not found by its number");
    }
    let lookup_us = start.elapsed().as_secs_f64() * 1e6 / f64::from(lookups.max(1));
    store.close().await;
    std::fs::remove_dir_all(&dir).ok();
    Ok((insert_ms, lookup_us))
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("helpline-bench-cards-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}
