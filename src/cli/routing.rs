//! `helpline routing simulate` and `helpline bench routing`: the routing engine without a server.

use std::io::{IsTerminal, Write};

use anyhow::Context;
use clap::{Args, Subcommand};
use routing::bench::{self, BenchOptions};
use routing::erlang;
use routing::simulate::{self, SimulationOptions};

#[derive(Debug, Subcommand)]
pub enum RoutingCommand {
    /// Simulate traffic through the real routing engine (one queue, identical phone agents,
    /// Poisson arrivals, exponential handle times) and print offered, answered, abandoned,
    /// service level, average speed of answer and occupancy
    Simulate(SimulateArgs),
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Agents, all available and all able to take every contact
    #[arg(long, value_name = "N")]
    agents: u32,
    /// Mean arrival rate
    #[arg(long, value_name = "L")]
    arrivals_per_hour: f64,
    /// Mean handle time
    #[arg(long, value_name = "H")]
    handle_seconds: f64,
    /// How long contacts keep arriving (the run then finishes every contact)
    #[arg(long, value_name = "D")]
    hours: f64,
    /// Random seed: the same seed gives the same result
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// Answer target for the service level
    #[arg(long, value_name = "T", default_value_t = 20)]
    target_seconds: u32,
    /// Mean patience of waiting callers, after which they hang up [default: nobody hangs up]
    #[arg(long, value_name = "P")]
    patience_seconds: Option<f64>,
    /// Print one JSON object (offered, answered, abandoned, service_level, asa_seconds, occupancy)
    #[arg(long)]
    json: bool,
}

/// Runs with more expected contacts than this report their progress on standard error.
const LONG_RUN_CONTACTS: f64 = 200_000.0;

pub fn run(command: RoutingCommand) -> anyhow::Result<()> {
    match command {
        RoutingCommand::Simulate(args) => simulate(args),
    }
}

fn simulate(args: SimulateArgs) -> anyhow::Result<()> {
    let mut options = SimulationOptions::new(
        args.agents,
        args.arrivals_per_hour,
        args.handle_seconds,
        args.hours,
    );
    options.seed = args.seed;
    options.target_seconds = args.target_seconds;
    options.patience_seconds = args.patience_seconds;
    let mut progress = Progress::new(args.arrivals_per_hour * args.hours > LONG_RUN_CONTACTS);
    let report = simulate::run_with_progress(&options, |done| progress.show(done))
        .context("the simulation could not run")?;
    progress.finish();
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
        return Ok(());
    }
    println!(
        "Simulated {} h: {} agents, {} contacts/h, {} s mean handle time (seed {})",
        args.hours, args.agents, args.arrivals_per_hour, args.handle_seconds, args.seed
    );
    println!("  offered                   {}", report.offered);
    println!("  answered                  {}", report.answered);
    println!("  abandoned                 {}", report.abandoned);
    println!(
        "  service level             {:.1} % answered within {} s",
        report.service_level * 100.0,
        args.target_seconds
    );
    println!("  average speed of answer   {:.1} s", report.asa_seconds);
    println!(
        "  occupancy                 {:.1} %",
        report.occupancy * 100.0
    );
    if args.patience_seconds.is_none() {
        let erlang = erlang::predict(
            args.agents,
            args.arrivals_per_hour,
            args.handle_seconds,
            f64::from(args.target_seconds),
        );
        println!(
            "Erlang C predicts: service level {:.1} %, average speed of answer {:.1} s, occupancy {:.1} %",
            erlang.service_level * 100.0,
            erlang.asa_seconds,
            erlang.occupancy * 100.0
        );
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[arg(long, default_value_t = 10_000)]
    agents: u32,
    #[arg(long, default_value_t = 100_000)]
    waiting: u32,
    #[arg(long, default_value_t = 50)]
    queues: u32,
    /// Timed decisions (half contacts arriving, half agents finishing)
    #[arg(long, default_value_t = 200_000)]
    decisions: u32,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print the report as one JSON object
    #[arg(long)]
    json: bool,
}

pub fn bench(args: BenchArgs) -> anyhow::Result<()> {
    let options = BenchOptions {
        agents: args.agents,
        waiting_contacts: args.waiting,
        queues: args.queues,
        decisions: args.decisions,
        seed: args.seed,
    };
    let report = bench::run(&options, |step| eprintln!("bench routing: {step}…"))
        .context("the benchmark could not run")?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
        return Ok(());
    }
    println!(
        "Routing decisions with {} agents and {} waiting contacts over {} queues:",
        report.agents, report.waiting_contacts, report.queues
    );
    println!(
        "  {} decisions, {:.0} decisions/s, {} offers",
        report.decisions, report.decisions_per_second, report.offers
    );
    println!(
        "  per decision: p50 {:.2} µs, p99 {:.2} µs, p99.9 {:.2} µs, max {:.2} µs (target p99 < 50 µs)",
        report.p50_micros, report.p99_micros, report.p999_micros, report.max_micros
    );
    println!("  setup {:.1} s", report.setup_seconds);
    if cfg!(debug_assertions) {
        println!("  (a debug build: run the release build for real figures)");
    }
    Ok(())
}

/// Progress on standard error: one rewritten line on a terminal (each whole percent), a line
/// per tenth otherwise.
struct Progress {
    enabled: bool,
    terminal: bool,
    shown: Option<u32>,
}

impl Progress {
    fn new(enabled: bool) -> Self {
        Self {
            enabled,
            terminal: std::io::stderr().is_terminal(),
            shown: None,
        }
    }

    fn show(&mut self, done: f64) {
        let percent = (done.clamp(0.0, 1.0) * 100.0) as u32;
        let step = if self.terminal {
            percent
        } else {
            percent / 10 * 10
        };
        if !self.enabled || self.shown == Some(step) {
            return;
        }
        self.shown = Some(step);
        let mut err = std::io::stderr();
        let _ = if self.terminal {
            write!(err, "\rsimulating: {step} %")
        } else {
            writeln!(err, "simulating: {step} %")
        };
    }

    fn finish(&self) {
        if self.enabled && self.terminal {
            eprintln!();
        }
    }
}
