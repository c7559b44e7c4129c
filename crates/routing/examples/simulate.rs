//! Runs the simulator on options given as JSON and prints the report next to Erlang C.
//!
//! cargo run --release -p routing --example simulate -- \
//!   '{"agents": 50, "arrivals_per_hour": 900, "handle_seconds": 180, "hours": 24}'

use routing::erlang;
use routing::simulate::{self, SimulationOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let json = std::env::args()
        .nth(1)
        .ok_or("pass the options as one JSON argument")?;
    let options: SimulationOptions = serde_json::from_str(&json)?;
    let report = simulate::run(&options)?;
    println!("{}", serde_json::to_string(&report)?);
    let prediction = erlang::predict(
        options.agents,
        options.arrivals_per_hour,
        options.handle_seconds,
        f64::from(options.target_seconds),
    );
    eprintln!("Erlang C: {}", serde_json::to_string(&prediction)?);
    Ok(())
}
