//! `helpline serve`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use domain::{Clock, SystemClock};
use server::config::{LogFormat, Settings};
use server::secrets::Secrets;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Seed the fictional demo issuer (staff of every role, a few hundred cardholders) if the
    /// database does not have it yet
    #[arg(long)]
    demo: bool,
    /// Address to listen on [default: 127.0.0.1:8080, or server.addr from the configuration]
    #[arg(long, value_name = "HOST:PORT")]
    addr: Option<SocketAddr>,
    /// Also answer phone calls over SIP on this UDP address (e.g. 127.0.0.1:5060): the IVR's
    /// flow with spoken prompts (espeak-ng) and RFC 4733 or SIP INFO digits
    #[arg(long, value_name = "HOST:PORT")]
    sip: Option<SocketAddr>,
}

fn init_logging(settings: &Settings) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.log.filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match settings.log.format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

pub async fn run(mut settings: Settings, args: ServeArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    if let Some(addr) = args.addr {
        settings.server.addr = addr;
    }
    init_logging(&settings);
    for var in Settings::unknown_env_vars() {
        tracing::warn!(%var, "environment variable names no setting");
    }
    let store = super::open_store(&settings).await?;
    let secrets_path = std::env::var_os("HELPLINE_SECRETS_FILE")
        .map(Into::into)
        .unwrap_or_else(|| settings.data_dir.join("secrets.toml"));
    let (secrets, created) = Secrets::load_or_create(&secrets_path)?;
    if created {
        tracing::info!(path = %secrets_path.display(), "generated new secrets (keep this file safe and private)");
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    if args.demo {
        let seeded = server::demo::seed(&store, clock.now())
            .await
            .context("while seeding the demo issuer")?;
        if seeded.cardholders > 0 {
            tracing::info!(
                staff = seeded.staff,
                cardholders = seeded.cardholders,
                "seeded the demo issuer"
            );
        }
    }
    let listener = tokio::net::TcpListener::bind(settings.server.addr)
        .await
        .with_context(|| {
            format!(
                "could not listen on {}; is another server using it? Try --addr 127.0.0.1:0",
                settings.server.addr
            )
        })?;
    let local = listener.local_addr()?;
    if settings.server.public_url.is_empty() {
        settings.server.public_url = format!("http://{local}");
    }
    let url = settings.public_url();
    let state = server::build_state(server::Parts {
        settings: settings.clone(),
        store: Arc::new(store),
        clock,
        secrets,
        demo: args.demo,
    })?;
    // Listen for signals before saying we are up, so a SIGTERM right after the banner is handled.
    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone(), Signals::listen()?));
    print_banner(&url, &settings, args.demo, started);
    if let Some(sip) = args.sip {
        let options = server::sip::SipOptions {
            prompt_dir: Some(settings.data_dir.join("prompts")),
            ..server::sip::SipOptions::default()
        };
        let sip = server::sip::start(state.clone(), sip, options, shutdown.clone()).await?;
        println!("  SIP: udp/{}  (calls run the IVR's demo flow)", sip.local);
    }
    server::launch(state, listener, shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}

fn print_banner(url: &str, settings: &Settings, demo: bool, started: Instant) {
    println!(
        "Helpline is running at {url}  (ready in {} ms)",
        started.elapsed().as_millis()
    );
    println!(
        "  data: {}   database: {}",
        settings.data_dir.display(),
        store::redact_url(&settings.database_url())
    );
    if demo {
        let password = server::demo::DEMO_PASSWORD;
        println!("  Staff console:     {url}/login");
        for (email, name, role, _) in server::demo::DEMO_STAFF.iter().take(4) {
            println!("      {email:<26} {:<14} {name}", role.as_str());
        }
        println!("      (all demo accounts use the password {password})");
        println!("  Cardholder portal: {url}/portal/login");
        println!(
            "      any demo cardholder, e.g. {}  (password {password})",
            server::demo::first_cardholder_email()
        );
    }
    println!("  API: {url}/api/openapi.json   metrics: {url}/metrics");
    println!("Press Ctrl-C to stop.");
}

/// SIGINT (Ctrl-C) and SIGTERM, registered with the runtime as soon as this is built.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn listen() -> anyhow::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                interrupt: signal(SignalKind::interrupt())
                    .context("could not listen for SIGINT")?,
                terminate: signal(SignalKind::terminate())
                    .context("could not listen for SIGTERM")?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Cancels on Ctrl-C or SIGTERM; in-flight requests then finish before the process exits.
async fn stop_on_signal(shutdown: CancellationToken, mut signals: Signals) {
    signals.recv().await;
    tracing::info!("shutting down: finishing requests in flight");
    shutdown.cancel();
}
