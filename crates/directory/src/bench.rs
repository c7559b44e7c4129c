//! `helpline bench directory`: number checks against an in-memory directory.
//!
//! The directory is synthetic (generated from a seed, never stored): valid numbers of several
//! countries. The checks mix written forms the way the public page sees them: international
//! (`+44 20 …`), national (`020 …`, `(212) …`), with an international prefix (`00 …`, `011 …`),
//! and numbers that are not listed (read by libphonenumber on the slow path).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use domain::Timestamp;
use hdrhistogram::Histogram;

use crate::directory::{CheckStatus, Directory};
use crate::entry::{Coverage, Entry, Provenance, ServiceLine, Status};
use crate::hours::Hours;
use crate::phone::E164;

/// What to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckBench {
    pub entries: usize,
    pub checks: u64,
    /// Share of checks, in percent, for numbers that are not listed.
    pub unlisted_percent: u8,
    pub seed: u64,
}

impl Default for CheckBench {
    /// The figure: 1,000,000 checks against 10,000 entries.
    fn default() -> Self {
        CheckBench {
            entries: 10_000,
            checks: 1_000_000,
            unlisted_percent: 20,
            seed: 7,
        }
    }
}

/// Measured figures.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CheckFigures {
    pub entries: usize,
    pub checks: u64,
    /// Building the index from the entries.
    pub build: Duration,
    /// One untimed pass over the query pool before measuring: libphonenumber compiles each
    /// pattern on first use (once per process), which is start-up cost, not a check's.
    pub warm_up: Duration,
    pub elapsed: Duration,
    pub checks_per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub p999: Duration,
    pub max: Duration,
    /// p99 of the checks of listed numbers (the hash look-up path) and of unlisted ones.
    pub p99_listed: Duration,
    pub p99_unlisted: Duration,
    /// How many checks answered `unknown` (a sanity check on the mix).
    pub unknown: u64,
}

/// The histogram could not be set up (a programming error in its bounds).
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the latency histogram: {0}")]
pub struct BenchError(#[from] hdrhistogram::CreationError);

/// Runs the check benchmark. Per-check latency includes two `Instant::now()` calls (tens of ns).
pub fn check(config: &CheckBench) -> Result<CheckFigures, BenchError> {
    let mut rng = SplitMix64(config.seed);
    let entries = synthetic_entries(config.entries, &mut rng);
    let built = Instant::now();
    let directory = Directory::new(entries);
    let build = built.elapsed();
    let queries = queries(&directory, config, &mut rng);
    let warming = Instant::now();
    for (text, _) in &queries {
        let _ = directory.check(text, None);
    }
    let warm_up = warming.elapsed();

    // 1 ns to 10 s at 3 significant digits.
    let histogram = || Histogram::<u64>::new_with_bounds(1, 10_000_000_000, 3);
    let (mut listed, mut unlisted, mut all) = (histogram()?, histogram()?, histogram()?);
    let mut unknown = 0;
    let started = Instant::now();
    for (text, expected_listed) in queries.iter().cycle().take(config.checks as usize) {
        let one = Instant::now();
        let answer = directory.check(text, None);
        let nanos = one.elapsed().as_nanos() as u64;
        if answer.is_ok_and(|a| a.status == CheckStatus::Unknown) {
            unknown += 1;
        }
        let histogram = if *expected_listed {
            &mut listed
        } else {
            &mut unlisted
        };
        histogram.saturating_record(nanos);
        all.saturating_record(nanos);
    }
    let elapsed = started.elapsed();
    let at = |h: &Histogram<u64>, q: f64| Duration::from_nanos(h.value_at_quantile(q));
    Ok(CheckFigures {
        entries: directory.entries().len(),
        checks: config.checks,
        build,
        warm_up,
        elapsed,
        checks_per_second: config.checks as f64 / elapsed.as_secs_f64(),
        p50: at(&all, 0.5),
        p99: at(&all, 0.99),
        p999: at(&all, 0.999),
        max: Duration::from_nanos(all.max()),
        p99_listed: at(&listed, 0.99),
        p99_unlisted: at(&unlisted, 0.99),
        unknown,
    })
}

impl std::fmt::Display for CheckFigures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "directory check: {} checks against {} entries",
            self.checks, self.entries
        )?;
        writeln!(
            f,
            "  index built in {:?}, warm-up pass over the queries {:?}",
            self.build, self.warm_up
        )?;
        writeln!(
            f,
            "  {:.0} checks/s ({:?} in all)",
            self.checks_per_second, self.elapsed
        )?;
        writeln!(
            f,
            "  latency p50 {:?}, p99 {:?}, p99.9 {:?}, max {:?}",
            self.p50, self.p99, self.p999, self.max
        )?;
        writeln!(
            f,
            "  p99 listed numbers {:?}, unlisted numbers {:?}",
            self.p99_listed, self.p99_unlisted
        )?;
        write!(f, "  answered unknown: {}", self.unknown)
    }
}

/// Number shapes to draw from: (country code + fixed digits, random digits to add).
const SHAPES: &[(&str, u32)] = &[
    ("1212555", 4),
    ("1415555", 4),
    ("1646555", 4),
    ("1416555", 4),
    ("4420794", 5),
    ("4480815", 5),
    ("81120", 6),
    ("8135550", 4),
    ("49800000", 4),
    ("6125550", 4),
    ("3319900", 4),
    ("39800", 6),
    ("34900", 6),
    ("85280", 6),
    ("65800", 7),
];

/// `count` official entries with distinct valid numbers.
fn synthetic_entries(count: usize, rng: &mut SplitMix64) -> Vec<Entry> {
    let provenance = Provenance {
        source: "bench".to_owned(),
        asserted_at: Timestamp::UNIX_EPOCH,
    };
    // Sorted, so that libphonenumber reads one country's numbers after another: its regex cache
    // holds 100 patterns and thrashes when countries alternate.
    let candidates: BTreeSet<String> = (0..count * 2).map(|_| random_digits(rng)).collect();
    let valid: Vec<E164> = candidates
        .iter()
        .filter_map(|digits| E164::international(digits).ok())
        .collect();
    // Every other one or so, so that every country keeps its share.
    let step = (valid.len() / count.max(1)).max(1);
    let numbers: Vec<E164> = valid.into_iter().step_by(step).take(count).collect();
    numbers
        .into_iter()
        .enumerate()
        .map(|(i, number)| Entry {
            coverage: number.region().map_or(Coverage::Global, Coverage::Country),
            service: ServiceLine::ALL[i % ServiceLine::ALL.len()],
            tiers: Vec::new(),
            toll_free: number.is_toll_free(),
            number,
            collect: false,
            languages: Vec::new(),
            hours: Some(Hours::Always),
            notes: String::new(),
            provenance: provenance.clone(),
            status: if i % 10 == 0 {
                Status::ThirdParty
            } else {
                Status::Official
            },
        })
        .collect()
}

fn random_digits(rng: &mut SplitMix64) -> String {
    let (fixed, random) = SHAPES[rng.below(SHAPES.len() as u64) as usize];
    let mut digits = fixed.to_owned();
    for _ in 0..random {
        digits.push(char::from(b'0' + rng.below(10) as u8));
    }
    digits
}

/// A pool of query texts, each marked with whether its number is listed.
fn queries(
    directory: &Directory,
    config: &CheckBench,
    rng: &mut SplitMix64,
) -> Vec<(String, bool)> {
    let pool = (config.checks as usize).clamp(1, 100_000);
    let entries = directory.entries();
    (0..pool)
        .filter_map(|_| {
            if rng.below(100) < u64::from(config.unlisted_percent) || entries.is_empty() {
                let number = E164::international(&random_digits(rng)).ok()?;
                Some((number.international_format().to_owned(), false))
            } else {
                let number = &entries[rng.below(entries.len() as u64) as usize].number;
                let text = match rng.below(4) {
                    0 | 1 => number.international_format().to_owned(),
                    2 => number.national().to_owned(),
                    _ => format!("00 {}", &number.international_format()[1..]),
                };
                Some((text, true))
            }
        })
        .collect()
}

/// A small seeded generator (SplitMix64): the benchmark is the same on every run.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }
}
