//! `helpline fraud replay`, `helpline fraud eval` and `helpline bench fraud`: the fraud engine
//! (crates/fraud) without a server.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

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
    let cpu = fraud::bench::decisions_per_second(
        args.cards,
        args.decisions,
        args.seed,
        fraud::bench::thread_cpu,
    )?;
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

#[derive(Debug, Args)]
pub struct HttpBenchArgs {
    /// Cards to create (each with its own account) and spread the load over
    #[arg(long, default_value_t = 2_000)]
    cards: usize,
    /// How long wrk sends authorizations
    #[arg(long, default_value_t = 10)]
    seconds: u32,
    /// Open connections
    #[arg(long, default_value_t = 64)]
    connections: u32,
    /// wrk threads
    #[arg(long, default_value_t = 1)]
    threads: u32,
    /// Database for the run [default: a new SQLite file in a temporary directory]
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
}

/// Cities the benchmark's cards live in: (lat, lon, country, currency).
const BENCH_CITIES: [(f64, f64, &str, &str); 4] = [
    (40.71, -74.01, "US", "USD"),
    (51.51, -0.13, "GB", "GBP"),
    (48.86, 2.35, "FR", "EUR"),
    (35.68, 139.69, "JP", "JPY"),
];

/// A Luhn-valid 16-digit test number for card `n` (never a real card: 4000 00 prefix).
fn bench_pan(n: usize) -> String {
    let body = format!("400000{n:09}");
    let mut sum = 0;
    for (i, c) in body.chars().rev().enumerate() {
        let mut d = c.to_digit(10).unwrap_or(0);
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// HTTP decisions on loopback: a real server (release build for real figures) with `cards`
/// cards in its store, wrk as the load generator, every decision durably stored before its
/// answer; afterwards the stored decisions are counted against wrk's responses.
pub fn bench_http(args: HttpBenchArgs) -> anyhow::Result<()> {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(http(args)))
}

async fn http(args: HttpBenchArgs) -> anyhow::Result<()> {
    use domain::{Clock, SystemClock};
    use std::sync::Arc;
    use store::{CardStore, CardholderStore, Store};

    let dir = std::env::temp_dir().join(format!("helpline-bench-fraud-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut settings = server::config::Settings {
        data_dir: dir.clone(),
        ..Default::default()
    };
    if let Some(url) = &args.database_url {
        settings.database_url = url.clone();
    }
    settings.log.filter = "warn".to_owned();
    let store = super::open_store(&settings).await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    server::demo::seed(&store, clock.now()).await?;
    let holders = store
        .search_cardholders(
            "",
            store::Page {
                limit: 10_000,
                offset: 0,
            },
        )
        .await?;
    anyhow::ensure!(!holders.is_empty(), "the demo issuer has no cardholders");
    eprintln!("bench fraud-http: creating {} cards…", args.cards);
    // The server's own keys, so the cards written here are the ones it reads.
    let (secrets, _) = server::secrets::Secrets::load_or_create(&dir.join("secrets.toml"))?;
    let keys = server::cards::keys_from(&secrets, cards::PinHashParams::default())
        .map_err(|e| anyhow::anyhow!("{}", e.detail))?;
    let now = clock.now();
    let mut card_ids = Vec::with_capacity(args.cards);
    let mut rng = cards::rand_core::UnwrapErr(getrandom::SysRng);
    for n in 0..args.cards {
        let holder = &holders[n % holders.len()];
        let account = store::CardAccount {
            id: domain::AccountId::new(),
            cardholder_id: holder.id,
            product: "Classic Card".to_owned(),
            tier: holder.tier,
            currency: domain::Currency::USD,
            rewards_balance: 0,
            opened_at: now,
        };
        store
            .insert_card_account(&account, store::Effects::none())
            .await?;
        let pan = cards::Pan::parse(&bench_pan(n)).map_err(|e| anyhow::anyhow!("{e}"))?;
        let id = domain::CardId::new();
        let mut card = cards::Card::issue(
            id,
            account.id,
            holder.id,
            holder.tier,
            &pan,
            cards::Expiry::new(2031, 8).map_err(|e| anyhow::anyhow!("{e}"))?,
            now,
        );
        card.state = cards::CardState::Active { since: now };
        let record = store::CardRecord {
            card,
            pan_lookup: keys.pan_lookup(&pan),
            pan_encrypted: keys
                .encrypt_pan(id, &pan, &mut rng)
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            security_code_hash: keys.security_code_hash(
                id,
                &cards::SecurityCode::parse("123").map_err(|e| anyhow::anyhow!("{e}"))?,
            ),
            pin_hash: None,
            alerts: Default::default(),
            version: 0,
            issued_at: now,
        };
        store.insert_card(&record, store::Effects::none()).await?;
        card_ids.push(id);
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    settings.server.public_url = format!("http://{addr}");
    let store: Arc<dyn Store> = Arc::new(store);
    let state = server::build_state(server::Parts {
        settings,
        store: store.clone(),
        clock,
        secrets,
        demo: false,
    })?;
    let (_, token) = server::api::admin::issue_token(
        &state,
        "bench fraud-http",
        domain::Role::Integration,
        None,
        None,
    )
    .await
    .map_err(|e| anyhow::anyhow!("could not issue the bench token: {e:?}"))?;
    let metrics = state.metrics.clone();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let server = tokio::spawn(server::launch(state, listener, shutdown.clone()));

    // The wrk script: each request picks a card and a merchant near the card's home city.
    let mut lua = String::from("local cards = {\n");
    for (n, id) in card_ids.iter().enumerate() {
        lua.push_str(&format!(
            "  {{\"{id}\", {}}},\n",
            n % BENCH_CITIES.len() + 1
        ));
    }
    lua.push_str("}\nlocal cities = {\n");
    for (lat, lon, country, currency) in BENCH_CITIES {
        lua.push_str(&format!(
            "  {{{lat}, {lon}, \"{country}\", \"{currency}\"}},\n"
        ));
    }
    lua.push_str(&format!(
        r#"}}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
request = function()
  local card = cards[math.random(#cards)]
  local city = cities[card[2]]
  local amount = string.format("%d.%02d", math.random(5, 120), math.random(0, 99))
  if city[4] == "JPY" then amount = string.format("%d", math.random(500, 15000)) end
  local body = string.format('{{"card_id":"%s","amount":"%s","currency":"%s","merchant":{{"id":"M%d","name":"Shop","mcc":"5411","country":"%s","city":"","lat":%.4f,"lon":%.4f}},"card_present":true}}',
    card[1], amount, city[4], math.random(1, 500), city[3], city[1] + (math.random() - 0.5) * 0.2, city[2] + (math.random() - 0.5) * 0.2)
  return wrk.format(nil, nil, nil, body)
end
done = function(summary, latency, requests)
  io.write(string.format("FIGURES %d %d %d %.3f %.3f %.3f %.3f\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000))
end
"#
    ));
    let script = dir.join("authorizations.lua");
    std::fs::write(&script, lua)?;
    let url = format!("http://{addr}/api/v1/authorizations");
    eprintln!(
        "bench fraud-http: wrk -t{} -c{} -d{}s against {url}…",
        args.threads, args.connections, args.seconds
    );
    let output = std::process::Command::new("wrk")
        .arg(format!("-t{}", args.threads))
        .arg(format!("-c{}", args.connections))
        .arg(format!("-d{}s", args.seconds))
        .arg("-s")
        .arg(&script)
        .arg(&url)
        .output()
        .context("could not run wrk (install it, e.g. apt-get install wrk)")?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    shutdown.cancel();
    server.await??;
    let figures: Vec<f64> = text
        .lines()
        .find_map(|l| l.strip_prefix("FIGURES "))
        .context("wrk printed no figures")?
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    let [requests, errors, micros, p50, p99, p999, max] = figures[..] else {
        anyhow::bail!("wrk's figures are incomplete: {text}");
    };
    // Count what is stored (the server has drained its writer).
    let mut stored = 0u64;
    let mut after = None;
    loop {
        let page = store.fraud_decisions_after(after, 10_000).await?;
        let Some(last) = page.last() else { break };
        after = Some((last.decided_at, last.id));
        stored += page.len() as u64;
    }
    let seconds = micros / 1e6;
    println!(
        "Fraud decisions over HTTP on loopback ({} cards, wrk -t{} -c{}, {:.1} s, {}):",
        args.cards,
        args.threads,
        args.connections,
        seconds,
        store::redact_url(&store_url(args.database_url.as_deref(), &dir))
    );
    println!(
        "  {requests:.0} responses, {errors:.0} errors, {:.0} decisions/s (target ≥ 20,000/s)",
        requests / seconds.max(1e-9)
    );
    println!(
        "  latency p50 {p50:.2} ms, p99 {p99:.2} ms, p99.9 {p999:.2} ms, max {max:.2} ms (target p99 < 5 ms)"
    );
    println!(
        "  stored decisions after shutdown: {stored} (every answered decision was committed before its answer)"
    );
    let text = metrics.render();
    let figure = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let commits = figure("helpline_fraud_commit_seconds_count").max(1.0);
    println!(
        "  group commits: {commits:.0}, {:.1} decisions and {:.2} ms each on average (helpline_fraud_* on /metrics)",
        figure("helpline_fraud_batch_decisions_sum") / commits,
        figure("helpline_fraud_commit_seconds_sum") / commits * 1e3,
    );
    if cfg!(debug_assertions) {
        println!("  (a debug build: run the release build for real figures)");
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn store_url(url: Option<&str>, dir: &Path) -> String {
    url.map_or_else(
        || format!("sqlite://{}", dir.join("helpline.sqlite").display()),
        str::to_owned,
    )
}
