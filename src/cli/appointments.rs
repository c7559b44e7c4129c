//! `helpline bench appointments`: concurrent bookings racing for few seats, through the real
//! store and the real booking rules (read taken seats → pick a free one → insert; a conflict on
//! the unique seat retries with fresh taken seats). Reports bookings per second, per-attempt
//! latency, how many inserts lost a race, and checks that no seat was booked twice.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use cases::appointments::AppointmentRules;
use cases::appointments::{
    Appointment, AppointmentError, AppointmentStatus, Booker, ServiceCentre, demo_centres,
};
use domain::{CardholderId, Clock, Country, Lang, SystemClock, Tier, Timestamp};
use store::{
    Address, AppointmentStore, Cardholder, CardholderStore, ConnectOptions, Effects, SqlStore,
    Store, StoreError, StoredAppointment,
};

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Booking attempts in all
    #[arg(long, default_value_t = 2_000)]
    requests: u32,
    /// Attempts in flight at once
    #[arg(long, default_value_t = 32)]
    concurrency: u32,
    /// Slots the attempts aim at (3 seats each at New York): fewer slots, more contention
    #[arg(long, default_value_t = 200)]
    slots: u32,
    /// An empty scratch database to run against; it is migrated and filled (default: a new SQLite
    /// file in the temp directory, removed after)
    #[arg(long)]
    database_url: Option<String>,
    /// Print the report as one JSON object
    #[arg(long)]
    json: bool,
}

#[derive(Debug)]
struct Report {
    backend: &'static str,
    requests: u32,
    concurrency: u32,
    slots: u32,
    booked: u32,
    full: u32,
    lost_races: u32,
    bookings_per_second: f64,
    p50_millis: f64,
    p99_millis: f64,
    max_millis: f64,
    double_booked_seats: u32,
}

pub fn bench(args: BenchArgs) -> anyhow::Result<()> {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(run(args)))
}

fn cardholder(i: u32, now: Timestamp) -> Cardholder {
    Cardholder {
        id: CardholderId::new(),
        given_name: "Bench".to_owned(),
        family_name: format!("Booker {i}"),
        email: format!("bench.{i}.{}@example.test", uuid::Uuid::now_v7().simple()),
        phone: None,
        language: Lang::En,
        country: Country::parse("US").unwrap_or_else(|_| unreachable!("US is a country")),
        time_zone: "America/New_York".to_owned(),
        tier: Tier::Platinum,
        date_of_birth: None,
        postcode: None,
        tax_id_last4: None,
        address: Address::default(),
        password_hash: None,
        relationship_manager: None,
        created_at: now,
    }
}

/// One booking as the server does it; returns how many inserts lost a race.
async fn book(
    store: &dyn Store,
    rules: &AppointmentRules,
    centre: &ServiceCentre,
    who: &Cardholder,
    start: Timestamp,
    now: Timestamp,
) -> anyhow::Result<(bool, u32)> {
    let mut lost = 0;
    for _ in 0..=centre.seats {
        let taken = store.taken_slot_keys(&centre.id, start).await?;
        let (slot, key) = match rules.book(centre, who.tier, start, &taken, now, Booker::Agent) {
            Ok(picked) => picked,
            Err(AppointmentError::SlotFull { .. }) => return Ok((false, lost)),
            Err(other) => return Err(other.into()),
        };
        let appointment = StoredAppointment {
            id: uuid::Uuid::now_v7(),
            appointment: Appointment {
                key,
                centre: centre.id.clone(),
                cardholder: who.id,
                case: None,
                start: slot.start,
                end: slot.end,
                status: AppointmentStatus::Booked,
                booked_at: now,
            },
            booked_by: Booker::Agent,
            booked_actor: "bench".to_owned(),
            cancelled_at: None,
            cancelled_by: None,
            replaces: None,
        };
        match store
            .insert_appointment(&appointment, Effects::none())
            .await
        {
            Ok(()) => return Ok((true, lost)),
            Err(StoreError::Conflict { .. }) => lost += 1,
            Err(other) => return Err(other.into()),
        }
    }
    Ok((false, lost))
}

async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let temp = std::env::temp_dir().join(format!(
        "helpline-bench-appointments-{}.sqlite",
        uuid::Uuid::now_v7().simple()
    ));
    let url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", temp.display()));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let now = clock.now();
    let store = Arc::new(
        SqlStore::connect(&ConnectOptions::new(url), clock.clone())
            .await
            .context("open the database")?,
    );
    let rules = Arc::new(AppointmentRules::default());
    let centre = Arc::new(
        demo_centres()
            .into_iter()
            .find(|c| c.id.as_str() == "nyc")
            .context("the demo has a New York centre")?,
    );
    // The next bookable slots, far enough ahead for any notice rule.
    let from = centre.zone.to_datetime(now).date().tomorrow()?;
    let to = from.checked_add(jiff::Span::new().days(50))?;
    let slots: Vec<Timestamp> = rules
        .bookable_slots(&centre, from, to, now, Booker::Agent)?
        .into_iter()
        .take(args.slots.max(1) as usize)
        .map(|s| s.start)
        .collect();
    anyhow::ensure!(!slots.is_empty(), "no bookable slots found");
    eprintln!(
        "bench appointments: creating {} cardholders…",
        args.requests
    );
    let mut people = Vec::new();
    for i in 0..args.requests {
        let c = cardholder(i, now);
        store.insert_cardholder(&c, Effects::none()).await?;
        people.push(c);
    }
    eprintln!("bench appointments: booking…");
    let people = Arc::new(people);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let slots = Arc::new(slots);
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency.max(1) {
        let (store, rules, centre, people, next, slots) = (
            store.clone(),
            rules.clone(),
            centre.clone(),
            people.clone(),
            next.clone(),
            slots.clone(),
        );
        workers.spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(who) = people.get(i) else {
                    return anyhow::Ok(out);
                };
                // Consecutive attempts (in flight together) aim at the same slot.
                let start = slots[(i * slots.len() / people.len().max(1)).min(slots.len() - 1)];
                let t = Instant::now();
                let (won, lost) = book(&*store, &rules, &centre, who, start, now).await?;
                out.push((t.elapsed().as_micros() as u64, won, lost));
            }
        });
    }
    let mut samples = Vec::new();
    while let Some(done) = workers.join_next().await {
        samples.extend(done??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    // Every booked seat key once, and never more seats than a slot has.
    let mut per_slot: BTreeMap<Timestamp, u32> = BTreeMap::new();
    for (at, n) in store
        .booked_counts(&centre.id, slots[0], Timestamp::MAX)
        .await?
    {
        per_slot.insert(at, n);
    }
    let mut double_booked = 0;
    for start in slots.iter() {
        let keys = store.taken_slot_keys(&centre.id, *start).await?;
        let mut unique = keys.clone();
        unique.dedup();
        double_booked += (keys.len() - unique.len()) as u32;
        if per_slot.get(start).copied().unwrap_or(0) > u32::from(centre.seats) {
            double_booked += 1;
        }
    }
    let mut micros: Vec<u64> = samples.iter().map(|s| s.0).collect();
    micros.sort_unstable();
    let pick = |p: f64| {
        let i = ((micros.len().saturating_sub(1)) as f64 * p).round() as usize;
        micros.get(i).copied().unwrap_or(0) as f64 / 1000.0
    };
    let booked = samples.iter().filter(|s| s.1).count() as u32;
    let report = Report {
        backend: store.backend().name(),
        requests: args.requests,
        concurrency: args.concurrency,
        slots: slots.len() as u32,
        booked,
        full: samples.len() as u32 - booked,
        lost_races: samples.iter().map(|s| s.2).sum(),
        bookings_per_second: f64::from(booked) / elapsed.max(1e-9),
        p50_millis: pick(0.5),
        p99_millis: pick(0.99),
        max_millis: pick(1.0),
        double_booked_seats: double_booked,
    };
    store.close().await;
    if args.database_url.is_none() {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", temp.display()));
        }
    }
    if args.json {
        let r = &report;
        println!(
            "{}",
            serde_json::json!({
                "backend": r.backend, "requests": r.requests, "concurrency": r.concurrency,
                "slots": r.slots, "booked": r.booked, "full": r.full, "lost_races": r.lost_races,
                "bookings_per_second": r.bookings_per_second, "p50_millis": r.p50_millis,
                "p99_millis": r.p99_millis, "max_millis": r.max_millis,
                "double_booked_seats": r.double_booked_seats,
            })
        );
    } else {
        println!(
            "Appointments on {}: {} attempts, {} at once, over {} slots of {} seats:",
            report.backend, report.requests, report.concurrency, report.slots, centre.seats
        );
        println!(
            "  {} booked, {} found the slot full, {} inserts lost a race and retried",
            report.booked, report.full, report.lost_races
        );
        println!(
            "  {:.0} bookings/s; per attempt p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            report.bookings_per_second, report.p50_millis, report.p99_millis, report.max_millis
        );
        println!("  seats booked twice: {}", report.double_booked_seats);
        if cfg!(debug_assertions) {
            println!("  (a debug build: run the release build for real figures)");
        }
    }
    anyhow::ensure!(double_booked == 0, "a seat was booked twice");
    Ok(())
}
