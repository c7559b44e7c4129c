//! `helpline bench …`: each capability's benchmark, reporting measured figures.

use clap::Subcommand;

use super::{intent, routing};
use server::config::Settings;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Time routing decisions with many agents and a long backlog (default: 10,000 agents,
    /// 100,000 waiting contacts over 50 queues); build with --release for real figures
    Routing(routing::BenchArgs),
    /// Time intent classification: single-message p99 latency, batched messages/s, model load
    /// time; build with --release for real figures
    Intent(intent::BenchArgs),
}

pub fn run(settings: &Settings, command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Routing(args) => routing::bench(args),
        BenchCommand::Intent(args) => intent::bench(settings, args),
    }
}
