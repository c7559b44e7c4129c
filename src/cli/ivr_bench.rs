//! `helpline bench ivr`: step latency of the TwiML webhooks (request in → TwiML out) with many
//! calls at once. This process is the load generator; the server is a separate `helpline serve`
//! process on loopback (started here on a scratch data directory unless `--url` names one).

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use ivr::twiml::RequestSigner;

#[derive(Debug, Args)]
pub struct IvrBenchArgs {
    /// Calls in progress at once, each a task that walks the script step by step
    #[arg(long, default_value_t = 2000)]
    calls: usize,
    /// How many times each call slot places a call
    #[arg(long, default_value_t = 1)]
    rounds: usize,
    /// A running server to measure (its public URL) [default: start `helpline serve` on a
    /// scratch data directory and loopback port]
    #[arg(long, value_name = "URL", requires = "auth_token")]
    url: Option<String>,
    /// The server's `[telephony] twiml_auth_token`, to sign requests (with --url)
    #[arg(long, value_name = "TOKEN")]
    auth_token: Option<String>,
    /// Database of the started server [default: SQLite in the scratch directory]
    #[arg(long, value_name = "URL")]
    server_database_url: Option<String>,
}

/// What each call does after the voice webhook: English, travel menu, an invalid key (retry),
/// silence (retry), "0" (a person: hand-off to routing).
const SCRIPT: [Option<&str>; 5] = [Some("1"), Some("7"), Some("*"), None, Some("0")];

struct Server {
    child: Option<tokio::process::Child>,
    _dir: Option<tempfile::TempDir>,
    url: String,
    token: String,
}

async fn start_server(args: &IvrBenchArgs) -> anyhow::Result<Server> {
    if let (Some(url), Some(token)) = (&args.url, &args.auth_token) {
        return Ok(Server {
            child: None,
            _dir: None,
            url: url.trim_end_matches('/').to_owned(),
            token: token.clone(),
        });
    }
    let dir = tempfile::tempdir().context("scratch directory")?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let token = format!("bench{}", uuid::Uuid::now_v7().simple());
    let exe = std::env::current_exe().context("this program's path")?;
    let mut command = tokio::process::Command::new(exe);
    command
        .arg("serve")
        .arg("--addr")
        .arg(format!("127.0.0.1:{port}"))
        .env("HELPLINE_DATA_DIR", dir.path())
        .env("HELPLINE_TELEPHONY__TWIML_AUTH_TOKEN", &token)
        .env("HELPLINE_SERVER__PUBLIC_URL", &url)
        .env("HELPLINE_LOG__FILTER", "warn")
        .env_remove("HELPLINE_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    if let Some(db) = &args.server_database_url {
        command.env("HELPLINE_DATABASE_URL", db);
    }
    let child = command.spawn().context("start helpline serve")?;
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{url}/readyz")).send().await
            && r.status().is_success()
        {
            return Ok(Server {
                child: Some(child),
                _dir: Some(dir),
                url,
                token,
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the server did not become ready at {url}")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Runs on a runtime of its own (on its own thread, as the command line already runs one).
pub fn run(args: IvrBenchArgs) -> anyhow::Result<()> {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(bench(args))
    })
    .join()
    .map_err(|_| anyhow::anyhow!("the load generator panicked"))?
}

async fn bench(args: IvrBenchArgs) -> anyhow::Result<()> {
    if cfg!(debug_assertions) {
        eprintln!("warning: a debug build; build with --release for real figures");
    }
    let mut server = start_server(&args).await?;
    let signer = Arc::new(RequestSigner::new(&server.token)?);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.calls)
        .timeout(Duration::from_secs(60))
        .build()?;
    let run_id = uuid::Uuid::now_v7().simple().to_string();
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(args.calls);
    for slot in 0..args.calls {
        let client = client.clone();
        let signer = signer.clone();
        let base = server.url.clone();
        let run_id = run_id.clone();
        let rounds = args.rounds;
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::with_capacity(rounds * (SCRIPT.len() + 1));
            let mut errors = 0usize;
            for round in 0..rounds {
                let sid = format!("CA{run_id}{slot:05}{round:03}");
                let steps = std::iter::once(("voice", None)).chain(SCRIPT.map(|k| ("action", k)));
                for (hook, keys) in steps {
                    let url = format!("{base}/telephony/twiml/{hook}");
                    let mut params = vec![
                        ("CallSid".to_owned(), sid.clone()),
                        ("From".to_owned(), format!("+1212555{:04}", slot % 10_000)),
                        ("To".to_owned(), "+18005550199".to_owned()),
                        ("CallStatus".to_owned(), "in-progress".to_owned()),
                    ];
                    if let Some(keys) = keys {
                        params.push(("Digits".to_owned(), keys.to_owned()));
                    }
                    let signature = signer.sign(&url, &params);
                    let at = Instant::now();
                    let answer = client
                        .post(&url)
                        .header("X-Twilio-Signature", signature)
                        .form(&params)
                        .send()
                        .await;
                    let ok = match answer {
                        Ok(r) if r.status().is_success() => {
                            r.bytes().await.is_ok_and(|b| b.starts_with(b"<?xml"))
                        }
                        Ok(r) => {
                            if errors == 0 && slot == 0 {
                                let status = r.status();
                                let body = r.text().await.unwrap_or_default();
                                eprintln!("{hook}: {status}: {body}");
                            }
                            false
                        }
                        Err(err) => {
                            if errors == 0 && slot == 0 {
                                eprintln!("{hook}: {err}");
                            }
                            false
                        }
                    };
                    if ok {
                        times.push(at.elapsed());
                    } else {
                        errors += 1;
                        break;
                    }
                }
            }
            (times, errors)
        }));
    }
    let mut times = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (t, e) = task.await?;
        times.extend(t);
        errors += e;
    }
    let wall = started.elapsed();
    times.sort_unstable();
    println!(
        "IVR webhooks: {} concurrent calls × {} round(s), {} steps each (voice, English, travel menu, invalid key, silence, 0 → queued)",
        args.calls,
        args.rounds,
        SCRIPT.len() + 1
    );
    println!(
        "steps: {} answered, {} failed, in {:.2} s ({:.0} steps/s)",
        times.len(),
        errors,
        wall.as_secs_f64(),
        times.len() as f64 / wall.as_secs_f64()
    );
    println!(
        "step latency (request in → TwiML out, client side on loopback): p50 {}  p90 {}  p99 {}  max {}",
        ms(percentile(&times, 50.0)),
        ms(percentile(&times, 90.0)),
        ms(percentile(&times, 99.0)),
        ms(times.last().copied().unwrap_or_default())
    );
    if let Some(child) = &mut server.child {
        child.kill().await.ok();
    }
    if errors > 0 {
        bail!("{errors} calls failed");
    }
    Ok(())
}
