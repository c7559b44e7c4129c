//! `helpline bench …`: each capability's benchmark, reporting measured figures.

use clap::Subcommand;

use super::{ivr_bench, routing};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Time routing decisions with many agents and a long backlog (default: 10,000 agents,
    /// 100,000 waiting contacts over 50 queues); build with --release for real figures
    Routing(routing::BenchArgs),
    /// Step latency of the IVR's TwiML webhooks (request in → TwiML out) with 2,000 calls at
    /// once from this process against a `helpline serve` on loopback; build with --release
    Ivr(ivr_bench::IvrBenchArgs),
}

pub fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Routing(args) => routing::bench(args),
        BenchCommand::Ivr(args) => ivr_bench::run(args),
    }
}
