//! `helpline fraud replay`, `helpline fraud eval` and `helpline bench fraud`: the fraud engine
//! (crates/fraud) without a server.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Subcommand};
use fraud::eval::{self, TestWindow};
use fraud::{Config, replay};
use jiff::civil::Date;

#[derive(Debug, Subcommand)]
pub enum FraudCommand {
    /// Run the fraud engine over a replay file in timestamp order, from empty profiles, and write
    /// `transaction_id,decision,score,reasons`; then evaluate the report window (AUC ROC, average
    /// precision, card precision@k per day, challenged/declined shares)
    Replay(ReplayArgs),
    /// Evaluate an existing decisions file against the labelled replay file
    Eval(EvalArgs),
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Replay file (CSV, or gzip-compressed CSV when it ends in .gz)
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// Where to write the decisions (CSV)
    #[arg(long, value_name = "FILE")]
    output: PathBuf,
    /// Rules, weights and thresholds (TOML) [default: the built-in rules, crates/fraud/fraud.toml]
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    window: WindowArgs,
    /// Only replay; print no evaluation
    #[arg(long)]
    no_eval: bool,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The labelled replay file
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// The decisions file written by `helpline fraud replay`
    #[arg(long, value_name = "FILE")]
    decisions: PathBuf,
    #[command(flatten)]
    window: WindowArgs,
}

#[derive(Debug, Args)]
pub struct WindowArgs {
    /// Report window as whole UTC days FIRST..LAST (repeatable) [default: the input's last 14 days]
    #[arg(long, value_name = "FIRST..LAST", value_parser = parse_window)]
    window: Vec<TestWindow>,
    /// k values for card precision@k
    #[arg(long, value_name = "K,K", value_delimiter = ',', default_values_t = [100, 10])]
    k: Vec<usize>,
    /// Print the reports as JSON lines
    #[arg(long)]
    json: bool,
}

fn parse_window(text: &str) -> Result<TestWindow, String> {
    let (first, last) = text
        .split_once("..")
        .ok_or_else(|| format!("{text:?} is not FIRST..LAST, e.g. 2018-07-16..2018-07-29"))?;
    let day = |s: &str| {
        s.parse::<Date>()
            .map_err(|e| format!("{s:?} is not a date like 2018-07-16: {e}"))
    };
    let window = TestWindow {
        first: day(first)?,
        last: day(last)?,
    };
    if window.first > window.last {
        return Err(format!("{text:?}: the first day comes after the last"));
    }
    Ok(window)
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Cards with profiles
    #[arg(long, default_value_t = 1_000_000)]
    cards: usize,
    /// Decisions to time (after a warm-up that trains the model)
    #[arg(long, default_value_t = 3_000_000)]
    decisions: u64,
    /// Random seed for the synthetic traffic
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Print one JSON object
    #[arg(long)]
    json: bool,
}

pub fn run(command: FraudCommand) -> anyhow::Result<()> {
    match command {
        FraudCommand::Replay(args) => replay_command(args),
        FraudCommand::Eval(args) => eval_command(args),
    }
}

fn open(path: &Path) -> anyhow::Result<Box<dyn BufRead>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(if path.extension().is_some_and(|e| e == "gz") {
        Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::read::GzDecoder::new(file),
        ))
    } else {
        Box::new(BufReader::with_capacity(1 << 20, file))
    })
}

/// Loads the rules file, or the built-in rules.
pub fn load_config(path: Option<&Path>) -> anyhow::Result<Config> {
    match path {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Config::from_toml(&text).with_context(|| format!("in {}", path.display()))
        }
        None => Config::default_rules().context("the built-in fraud rules do not load"),
    }
}

fn replay_command(args: ReplayArgs) -> anyhow::Result<()> {
    let config = load_config(args.config.as_deref())?;
    let start = Instant::now();
    let out = BufWriter::new(
        File::create(&args.output)
            .with_context(|| format!("cannot create {}", args.output.display()))?,
    );
    let tty = std::io::stderr().is_terminal();
    let mut last_at = None;
    let summary = replay::replay(&config, open(&args.input)?, out, |p| {
        last_at = p.at.or(last_at);
        let line = format!(
            "fraud replay: {} rows, replay time {}, {} labels used",
            p.rows,
            p.at.map(|t| t.to_string()).unwrap_or_default(),
            p.labels_used
        );
        if tty {
            eprint!("\r{line}   ");
        } else {
            eprintln!("{line}");
        }
    })
    .with_context(|| format!("replay of {} stopped", args.input.display()))?;
    if tty {
        eprintln!();
    }
    let seconds = start.elapsed().as_secs_f64();
    let share = |n: u64| 100.0 * n as f64 / summary.rows.max(1) as f64;
    println!(
        "replayed {} rows in {:.1} s ({:.0} rows/s): approved {}, challenged {} ({:.2} %), declined {} ({:.2} %); {} labels used, {} retrainings",
        summary.rows,
        seconds,
        summary.rows as f64 / seconds.max(1e-9),
        summary.approved,
        summary.challenged,
        share(summary.challenged),
        summary.declined,
        share(summary.declined),
        summary.labels_used,
        summary.retrainings,
    );
    println!("decisions written to {}", args.output.display());
    if args.no_eval {
        return Ok(());
    }
    let windows = if args.window.window.is_empty() {
        let Some(last) = last_at else {
            return Ok(());
        };
        vec![last_days(last, 14)]
    } else {
        args.window.window.clone()
    };
    evaluate(&args.input, &args.output, &windows, &args.window)
}

/// The last `days` whole UTC days up to the day of `last`.
fn last_days(last: domain::Timestamp, days: i64) -> TestWindow {
    let last = last.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    TestWindow {
        first: last.saturating_sub(jiff::Span::new().days(days - 1)),
        last,
    }
}

fn eval_command(args: EvalArgs) -> anyhow::Result<()> {
    let windows = if args.window.window.is_empty() {
        let mut rows = replay::Rows::new(open(&args.input)?)?;
        let mut last = None;
        while let Some(row) = rows.next_row()? {
            last = Some(row.at);
        }
        let last = last.context("the input holds no transaction")?;
        vec![last_days(last, 14)]
    } else {
        args.window.window.clone()
    };
    evaluate(&args.input, &args.decisions, &windows, &args.window)
}

fn evaluate(
    input: &Path,
    decisions: &Path,
    windows: &[TestWindow],
    options: &WindowArgs,
) -> anyhow::Result<()> {
    let decided = eval::read_decisions(open(decisions)?)
        .with_context(|| format!("in {}", decisions.display()))?;
    for window in windows {
        let report = eval::evaluate(open(input)?, &decided, *window, &options.k)?;
        if options.json {
            println!("{}", serde_json::to_string(&report)?);
        } else {
            print!("{report}");
        }
    }
    Ok(())
}

/// This thread's CPU time (user + system) from /proc: the machine may be shared, so wall time
/// alone would understate the engine.
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat; the first after the name is field 3.
    let field = |n: usize| {
        fields
            .get(n - 3)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Duration::from_millis((field(14) + field(15)) * 10)
}

pub fn bench(args: BenchArgs) -> anyhow::Result<()> {
    eprintln!(
        "bench fraud: {} cards, {} decisions timed by wall time…",
        args.cards, args.decisions
    );
    let start = Instant::now();
    let wall = fraud::bench::decisions_per_second(args.cards, args.decisions, args.seed, || {
        start.elapsed()
    })?;
    eprintln!("bench fraud: the same run timed by this thread's CPU time…");
    let cpu =
        fraud::bench::decisions_per_second(args.cards, args.decisions, args.seed, thread_cpu)?;
    eprintln!("bench fraud: profile memory…");
    let memory = fraud::bench::bytes_per_card(args.cards, args.seed)?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({ "wall": wall, "cpu": cpu, "memory": memory })
        );
        return Ok(());
    }
    println!(
        "Fraud decisions in-process on one core over {} cards (target ≥ 1,000,000/s):",
        wall.cards
    );
    for (what, t) in [("wall time", &wall), ("thread CPU time", &cpu)] {
        println!(
            "  by {what}: {} decisions in {:.2} s = {:.0} decisions/s (model trained: {}; {} challenged, {} declined)",
            t.decisions, t.seconds, t.decisions_per_second, t.with_model, t.challenged, t.declined
        );
    }
    println!(
        "  memory: profile {} bytes, {:.0} bytes per card with the index; 10 million cards ≈ {:.2} GiB (target ≤ 4 GiB)",
        memory.profile_bytes, memory.bytes_per_card, memory.gib_for_10m_cards
    );
    if cfg!(debug_assertions) {
        println!("  (a debug build: run the release build for real figures)");
    }
    let _ = std::io::stdout().flush();
    Ok(())
}
