//! `helpline bench …`: each capability's benchmark, reporting measured figures.

use clap::Subcommand;
use server::config::Settings;

use super::{appointments, cards, chat, directory, fraud, intent, ivr_bench, routing};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Time routing decisions with many agents and a long backlog (default: 10,000 agents,
    /// 100,000 waiting contacts over 50 queues); build with --release for real figures
    Routing(routing::BenchArgs),
    /// Time card-data cryptography and the store's look-up of a card by its number
    Cards(cards::BenchArgs),
    /// Time number checks against the in-memory helpline directory (default: 1,000,000 checks
    /// against 10,000 entries, 20% of the numbers unlisted); build with --release
    Directory(directory::BenchArgs),
    /// Hold many chat WebSockets against a server process and time message delivery while
    /// messages flow (default: 10,000 connections, 1,000 messages/s for 20 s)
    Chat(chat::ChatBenchArgs),
    /// Time intent classification: single-message p99 latency, batched messages/s, model load
    /// time; build with --release for real figures
    Intent(intent::BenchArgs),
    /// Time fraud decisions in-process on one core over many cards (default 1,000,000) and
    /// measure profile memory per card; build with --release for real figures
    Fraud(fraud::BenchArgs),
    /// Fraud decisions over HTTP on loopback with wrk: requests/s and p50/p99/p99.9 latency,
    /// every decision durably stored (build with --release for real figures)
    FraudHttp(fraud::HttpBenchArgs),
    /// Step latency of the IVR's TwiML webhooks (request in → TwiML out) with 2,000 calls at
    /// once from this process against a `helpline serve` on loopback; build with --release
    Ivr(ivr_bench::IvrBenchArgs),
    /// Concurrent bookings racing for few seats through the real store (default: 2,000 attempts,
    /// 32 at once, 200 slots of 3 seats); checks that no seat is booked twice
    Appointments(appointments::BenchArgs),
}

pub fn run(settings: &Settings, command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Routing(args) => routing::bench(args),
        BenchCommand::Cards(args) => cards::bench(args),
        BenchCommand::Directory(args) => directory::bench(args),
        BenchCommand::Chat(args) => chat::bench(args),
        BenchCommand::Intent(args) => intent::bench(settings, args),
        BenchCommand::Fraud(args) => fraud::bench(args),
        BenchCommand::FraudHttp(args) => fraud::bench_http(args),
        BenchCommand::Ivr(args) => ivr_bench::run(args),
        BenchCommand::Appointments(args) => appointments::bench(args),
    }
}
