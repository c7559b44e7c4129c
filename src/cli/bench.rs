//! `helpline bench …`: each capability's benchmark, reporting measured figures.

use clap::Subcommand;

use super::{fraud, routing};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Time routing decisions with many agents and a long backlog (default: 10,000 agents,
    /// 100,000 waiting contacts over 50 queues); build with --release for real figures
    Routing(routing::BenchArgs),
    /// Time fraud decisions in-process on one core over many cards (default 1,000,000) and
    /// measure profile memory per card; build with --release for real figures
    Fraud(fraud::BenchArgs),
    /// Fraud decisions over HTTP on loopback with wrk: requests/s and p50/p99/p99.9 latency,
    /// every decision durably stored (build with --release for real figures)
    FraudHttp(fraud::HttpBenchArgs),
}

pub fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Routing(args) => routing::bench(args),
        BenchCommand::Fraud(args) => fraud::bench(args),
        BenchCommand::FraudHttp(args) => fraud::bench_http(args),
    }
}
