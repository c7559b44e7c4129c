//! Prints the number-check benchmark figures (what `helpline bench directory` reports).
//! `cargo run --release -p directory --example bench_directory [entries] [checks] [unlisted %]`

fn main() -> Result<(), directory::bench::BenchError> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>());
    let mut config = directory::bench::CheckBench::default();
    if let Some(Ok(entries)) = args.next() {
        config.entries = entries as usize;
    }
    if let Some(Ok(checks)) = args.next() {
        config.checks = checks;
    }
    if let Some(Ok(percent)) = args.next() {
        config.unlisted_percent = percent.min(100) as u8;
    }
    println!("{}", directory::bench::check(&config)?);
    Ok(())
}
