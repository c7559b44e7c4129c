//! Runs the routing benchmark with its default (or given) sizes and prints the report as JSON.
//!
//! cargo run --release -p routing --example bench_routing [-- AGENTS WAITING QUEUES DECISIONS]

use routing::bench::{self, BenchOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let defaults = BenchOptions::default();
    let size = |i: usize, default: u32| -> Result<u32, std::num::TryFromIntError> {
        args.get(i).map_or(Ok(default), |v| u32::try_from(*v))
    };
    let options = BenchOptions {
        agents: size(0, defaults.agents)?,
        waiting_contacts: size(1, defaults.waiting_contacts)?,
        queues: size(2, defaults.queues)?,
        decisions: size(3, defaults.decisions)?,
        ..defaults
    };
    let report = bench::run(&options, |step| eprintln!("{step}…"))?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
