//! `helpline bench …`: each capability's benchmark, reporting measured figures.

use clap::Subcommand;

use super::{chat, routing};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Time routing decisions with many agents and a long backlog (default: 10,000 agents,
    /// 100,000 waiting contacts over 50 queues); build with --release for real figures
    Routing(routing::BenchArgs),
    /// Hold many chat WebSockets against a server process and time message delivery while
    /// messages flow (default: 10,000 connections, 1,000 messages/s for 20 s)
    Chat(chat::ChatBenchArgs),
}

pub fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Routing(args) => routing::bench(args),
        BenchCommand::Chat(args) => chat::bench(args),
    }
}
