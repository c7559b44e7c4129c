//! Prints the crate's figures as JSON: `cargo run --release -p cases --example bench_cases [iterations]`.

fn main() {
    let iterations = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let figures = cases::bench::run(iterations);
    match serde_json::to_string_pretty(&figures) {
        Ok(json) => println!("{json}"),
        Err(err) => eprintln!("cannot print figures: {err}"),
    }
}
