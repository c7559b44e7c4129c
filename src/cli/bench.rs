//! `helpline bench …`: each capability's benchmark, reporting measured figures.

use clap::Subcommand;

use super::{appointments, routing};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Time routing decisions with many agents and a long backlog (default: 10,000 agents,
    /// 100,000 waiting contacts over 50 queues); build with --release for real figures
    Routing(routing::BenchArgs),
    /// Concurrent bookings racing for few seats through the real store (default: 2,000 attempts,
    /// 32 at once, 200 slots of 3 seats); checks that no seat is booked twice
    Appointments(appointments::BenchArgs),
}

pub fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Routing(args) => routing::bench(args),
        BenchCommand::Appointments(args) => appointments::bench(args),
    }
}
