//! Step latency of the IVR (request in → TwiML out, without HTTP and storage):
//! `cargo run --release -p ivr --example bench_ivr -- 2000`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let calls = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(2000);
    let figures = ivr::bench::step_latency(calls)?;
    println!(
        "{} interleaved calls, {} steps: p50 {:?}, p99 {:?}, max {:?}; {:.0} steps/s on one thread; state {} bytes of JSON",
        figures.calls,
        figures.steps,
        figures.p50,
        figures.p99,
        figures.max,
        figures.steps_per_second,
        figures.state_bytes
    );
    Ok(())
}
