//! In-process decision throughput and profile memory (what `helpline bench fraud` reports).
//! Prints decisions/s by wall time and by this thread's CPU time (the machine may be shared).
//!
//! cargo run --release -p fraud --example bench_fraud -- [CARDS] [DECISIONS]

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let cards: usize = args.next().map_or(Ok(1_000_000), |a| a.parse())?;
    let decisions: u64 = args.next().map_or(Ok(5_000_000), |a| a.parse())?;
    let start = Instant::now();
    let wall = fraud::bench::decisions_per_second(cards, decisions, 7, || start.elapsed())?;
    let cpu = fraud::bench::decisions_per_second(cards, decisions, 7, fraud::bench::thread_cpu)?;
    for (what, t) in [("wall time", &wall), ("thread CPU time", &cpu)] {
        println!(
            "{what}: {} decisions over {} cards in {:.2} s = {:.0} decisions/s on one core (model: {}; {} challenged, {} declined)",
            t.decisions,
            t.cards,
            t.seconds,
            t.decisions_per_second,
            t.with_model,
            t.challenged,
            t.declined
        );
    }
    let m = fraud::bench::bytes_per_card(cards, 7)?;
    println!(
        "{} cards: profile struct {} bytes, {:.0} bytes per card with the index; 10 million cards ≈ {:.2} GiB",
        m.cards, m.profile_bytes, m.bytes_per_card, m.gib_for_10m_cards
    );
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        for line in status.lines().filter(|l| l.starts_with("VmHWM")) {
            println!(
                "process peak resident memory: {}",
                line.trim_start_matches("VmHWM:").trim()
            );
        }
    }
    Ok(())
}
