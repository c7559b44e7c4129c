//! `helpline bench chat`: many chat WebSockets held open against a real server (its own process:
//! open files are capped per process), messages flowing at a fixed rate, and the delivery
//! latency from one participant's send to the other participant's screen. Every message is
//! stored before it is acknowledged or delivered, so the figures include the database write.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{Mutex, mpsc};
use tokio_tungstenite::tungstenite::Message as Ws;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

#[derive(Debug, Args)]
pub struct ChatBenchArgs {
    /// WebSocket connections to hold open (two per conversation: the sender and the reader)
    #[arg(long, default_value_t = 10_000)]
    connections: usize,
    /// How long messages flow once every connection is open
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Messages per second across all conversations
    #[arg(long, default_value_t = 1_000)]
    rate: u64,
    /// A running server to measure instead of starting one (embedded SQLite in a temporary
    /// directory)
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// Print one JSON object: connections, messages_sent, messages_delivered, p50_ms, p99_ms
    #[arg(long)]
    json: bool,
}

pub fn bench(args: ChatBenchArgs) -> anyhow::Result<()> {
    // The CLI already runs inside a runtime: the load generator gets its own, on its own thread.
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(run(args))
    })
    .join()
    .map_err(|_| anyhow::anyhow!("the chat benchmark panicked"))?
}

/// A server process started for the benchmark, stopped when dropped.
struct OwnServer {
    child: tokio::process::Child,
    _dir: PathBuf,
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self._dir);
    }
}

async fn start_server() -> anyhow::Result<(String, OwnServer)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let dir = std::env::temp_dir().join(format!("helpline-bench-chat-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let child = tokio::process::Command::new(std::env::current_exe()?)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(&dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("while starting the server")?;
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for _ in 0..600 {
        if http
            .get(format!("{url}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok((url, OwnServer { child, _dir: dir }));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the server did not answer /healthz within a minute")
}

struct Pair {
    conversation: String,
    token: String,
}

async fn start_conversations(url: &str, count: usize) -> anyhow::Result<Vec<Pair>> {
    let http = reqwest::Client::new();
    let pairs = Arc::new(Mutex::new(Vec::with_capacity(count)));
    let next = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for _ in 0..16 {
        let (http, pairs, next, url) = (http.clone(), pairs.clone(), next.clone(), url.to_owned());
        workers.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < count as u64 {
                let started: Value = http
                    .post(format!("{url}/api/v1/chat/conversations"))
                    .json(&json!({"name": "Bench"}))
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                let pair = Pair {
                    conversation: started["conversation_id"].as_str().unwrap_or("").to_owned(),
                    token: started["guest_token"].as_str().unwrap_or("").to_owned(),
                };
                pairs.lock().await.push(pair);
            }
            anyhow::Ok(())
        }));
    }
    for worker in workers {
        worker.await??;
    }
    Ok(std::mem::take(&mut *pairs.lock().await))
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(ws_url: &str, pair: &Pair) -> anyhow::Result<(Socket, u64)> {
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(Some(64 * 1024));
    let (mut socket, _) =
        tokio_tungstenite::connect_async_with_config(ws_url, Some(config), true).await?;
    let join =
        json!({"type": "join", "conversation": pair.conversation, "guest_token": pair.token});
    socket.send(Ws::text(join.to_string())).await?;
    // Wait until caught up, so that only live messages are timed.
    loop {
        let Some(frame) = socket.next().await else {
            bail!("the server closed a chat connection while joining");
        };
        if let Ws::Text(text) = frame? {
            let v: Value = serde_json::from_str(text.as_str())?;
            match v["type"].as_str() {
                Some("resumed") => return Ok((socket, v["last_seq"].as_u64().unwrap_or(0))),
                Some("error") => bail!("joining failed: {v}"),
                _ => {}
            }
        }
    }
}

#[derive(Default)]
struct Tally {
    sent: AtomicU64,
    acked: AtomicU64,
    delivered: AtomicU64,
    errors: AtomicU64,
}

async fn run(args: ChatBenchArgs) -> anyhow::Result<()> {
    let pairs_wanted = (args.connections / 2).max(1);
    let (url, _server) = match &args.url {
        Some(url) => (url.trim_end_matches('/').to_owned(), None),
        None => {
            let (url, server) = start_server().await?;
            (url, Some(server))
        }
    };
    let say = |text: String| {
        if !args.json {
            eprintln!("{text}");
        }
    };
    say(format!("starting {pairs_wanted} conversations on {url}"));
    let pairs = start_conversations(&url, pairs_wanted).await?;
    let ws_url = format!("{}/api/v1/chat/live", url.replacen("http", "ws", 1));
    say(format!("opening {} WebSockets", pairs.len() * 2));
    let epoch = Instant::now();
    let tally = Arc::new(Tally::default());
    let latencies = Arc::new(std::sync::Mutex::new(Vec::<u32>::new()));
    let opened = Instant::now();
    let mut senders = Vec::with_capacity(pairs.len());
    let mut tasks = Vec::new();
    let pairs = Arc::new(pairs);
    let (sock_tx, mut sock_rx) = mpsc::channel(64);
    // Open with bounded concurrency.
    let next = Arc::new(AtomicU64::new(0));
    for _ in 0..64 {
        let (pairs, next, ws_url, sock_tx) =
            (pairs.clone(), next.clone(), ws_url.clone(), sock_tx.clone());
        tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(pair) = pairs.get(i) else { return };
                let result = async {
                    let writer = open(&ws_url, pair).await?;
                    let reader = open(&ws_url, pair).await?;
                    anyhow::Ok((i, writer.0, reader.0))
                }
                .await;
                if sock_tx.send(result).await.is_err() {
                    return;
                }
            }
        });
    }
    drop(sock_tx);
    while let Some(result) = sock_rx.recv().await {
        let (i, mut writer, reader) = result?;
        let conversation = pairs[i].conversation.clone();
        // The reader: time every message from its send instant (carried in the body).
        let (tally_r, latencies_r) = (tally.clone(), latencies.clone());
        tasks.push(tokio::spawn(async move {
            let mut reader = reader;
            while let Some(Ok(frame)) = reader.next().await {
                let Ws::Text(text) = frame else { continue };
                let Ok(v) = serde_json::from_str::<Value>(text.as_str()) else {
                    continue;
                };
                if v["type"] != "message" {
                    continue;
                }
                let sent_us = v["body"]
                    .as_str()
                    .and_then(|b| b.strip_prefix("t"))
                    .and_then(|t| t.parse::<u64>().ok());
                if let Some(sent_us) = sent_us {
                    let now_us = epoch.elapsed().as_micros() as u64;
                    let latency = u32::try_from(now_us.saturating_sub(sent_us)).unwrap_or(u32::MAX);
                    tally_r.delivered.fetch_add(1, Ordering::Relaxed);
                    latencies_r
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(latency);
                }
            }
        }));
        // The writer: sends when told, counts acks.
        let (tx, mut rx) = mpsc::channel::<u64>(8);
        senders.push(tx);
        let tally_w = tally.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            loop {
                tokio::select! {
                    order = rx.recv() => {
                        let Some(_) = order else { return };
                        n += 1;
                        let sent_us = epoch.elapsed().as_micros() as u64;
                        let frame = json!({"type": "send", "conversation": conversation,
                            "client_key": format!("b{n}"), "body": format!("t{sent_us}")});
                        if writer.send(Ws::text(frame.to_string())).await.is_err() {
                            return;
                        }
                        tally_w.sent.fetch_add(1, Ordering::Relaxed);
                    }
                    frame = writer.next() => match frame {
                        Some(Ok(Ws::Text(text))) => {
                            if text.as_str().contains("\"type\":\"ack\"") {
                                tally_w.acked.fetch_add(1, Ordering::Relaxed);
                            } else if text.as_str().contains("\"type\":\"error\"") {
                                tally_w.errors.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        Some(Ok(_)) => {}
                        _ => return,
                    }
                }
            }
        }));
    }
    let connections = senders.len() * 2;
    // Setting up wrote the conversations' outbox events (offline chats became cases): let the
    // server deliver them first, so that the figures are of chat alone.
    say("waiting for the server's outbox to drain".to_owned());
    let http = reqwest::Client::new();
    for _ in 0..240 {
        let undelivered = match http.get(format!("{url}/metrics")).send().await {
            Ok(r) => r.text().await.ok().and_then(|text| {
                text.lines()
                    .find(|l| l.starts_with("helpline_outbox_undelivered "))
                    .and_then(|l| l.rsplit(' ').next()?.parse::<i64>().ok())
            }),
            Err(_) => None,
        };
        if undelivered.is_none_or(|n| n == 0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    say(format!(
        "{connections} connections open in {:.1} s; sending {} messages/s for {} s",
        opened.elapsed().as_secs_f64(),
        args.rate,
        args.seconds
    ));
    // The load: `rate` messages per second, round-robin over the conversations.
    let interval = Duration::from_secs_f64(1.0 / args.rate.max(1) as f64);
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let until = Instant::now() + Duration::from_secs(args.seconds);
    let mut k = 0usize;
    while Instant::now() < until {
        ticker.tick().await;
        if senders.is_empty() {
            break;
        }
        let _ = senders[k % senders.len()].try_send(0);
        k += 1;
    }
    // Let messages in flight arrive.
    let settle = Instant::now();
    while tally.delivered.load(Ordering::Relaxed) < tally.sent.load(Ordering::Relaxed)
        && settle.elapsed() < Duration::from_secs(10)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut all = std::mem::take(&mut *latencies.lock().unwrap_or_else(|p| p.into_inner()));
    all.sort_unstable();
    let pct = |p: f64| -> f64 {
        if all.is_empty() {
            return 0.0;
        }
        let i = ((all.len() as f64 * p).ceil() as usize).clamp(1, all.len()) - 1;
        f64::from(all[i]) / 1000.0
    };
    let report = json!({
        "connections": connections,
        "messages_sent": tally.sent.load(Ordering::Relaxed),
        "messages_acked": tally.acked.load(Ordering::Relaxed),
        "messages_delivered": tally.delivered.load(Ordering::Relaxed),
        "errors": tally.errors.load(Ordering::Relaxed),
        "seconds": args.seconds,
        "rate": args.rate,
        "p50_ms": (pct(0.50) * 100.0).round() / 100.0,
        "p99_ms": (pct(0.99) * 100.0).round() / 100.0,
        "max_ms": (pct(1.0) * 100.0).round() / 100.0,
    });
    if args.json {
        println!("{report}");
    } else {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    drop(senders);
    for task in tasks {
        task.abort();
    }
    Ok(())
}
