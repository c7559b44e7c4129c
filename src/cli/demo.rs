//! `helpline demo tour`: the seeds' journeys (issue 12) against a running demo, each step and
//! its result printed as it happens — the guided tour for someone evaluating Helpline.

use std::io::Write;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use journeys::{Step, Target, Tour};
use server::config::Settings;

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Walk through the seeds' journeys against a running `helpline serve --demo`, printing
    /// each step and its result. Each run uses fresh demo cardholders, so it can be repeated.
    Tour(TourArgs),
}

#[derive(Debug, Args)]
pub struct TourArgs {
    /// The running demo
    #[arg(long, default_value = "http://127.0.0.1:8080", value_name = "URL")]
    url: String,
    /// Only this journey (repeatable) [default: all]
    #[arg(long = "journey", value_name = "N")]
    journeys: Vec<u8>,
    /// The server's telephony token, to sign the phone calls' webhooks as the carrier does
    /// [default: `[telephony] twiml_auth_token`, else the data directory's secrets file]
    #[arg(long, value_name = "TOKEN")]
    twiml_auth_token: Option<String>,
}

pub async fn run(settings: Settings, command: DemoCommand) -> anyhow::Result<()> {
    match command {
        DemoCommand::Tour(args) => tour(settings, args).await,
    }
}

/// The telephony token as the server has it: the flag, the configuration, or the secrets file
/// the server generated (read only: the tour never creates one).
fn twiml_auth_token(settings: &Settings, given: Option<String>) -> anyhow::Result<String> {
    if let Some(token) = given {
        return Ok(token);
    }
    if !settings.telephony.twiml_auth_token.is_empty() {
        return Ok(settings.telephony.twiml_auth_token.clone());
    }
    let path = std::env::var_os("HELPLINE_SECRETS_FILE")
        .map(Into::into)
        .unwrap_or_else(|| settings.data_dir.join("secrets.toml"));
    if !path.exists() {
        bail!(
            "no secrets file at {}: pass the server's --data-dir (or --twiml-auth-token) so that the tour can sign the phone calls as the carrier does",
            path.display()
        );
    }
    Ok(server::secrets::Secrets::load(&path)?.twiml_auth_token)
}

/// `what: result`, the result's further lines indented under it.
fn print_step(step: &Step) {
    let mut out = std::io::stdout().lock();
    let mut lines = step.result.lines();
    let first = lines.next().unwrap_or("");
    let _ = if first.is_empty() {
        writeln!(out, "   ✓ {}", step.what)
    } else {
        writeln!(out, "   ✓ {}: {first}", step.what)
    };
    for line in lines {
        let _ = writeln!(out, "       {line}");
    }
    let _ = out.flush();
}

async fn tour(settings: Settings, args: TourArgs) -> anyhow::Result<()> {
    let url = args.url.trim_end_matches('/').to_owned();
    let all = journeys::all();
    for n in &args.journeys {
        if !all.iter().any(|j| j.number == *n) {
            let known: Vec<String> = all.iter().map(|j| j.number.to_string()).collect();
            bail!(
                "there is no journey {n}; the tour has journeys {}",
                known.join(", ")
            );
        }
    }
    let token = twiml_auth_token(&settings, args.twiml_auth_token)?;
    let ready = reqwest::get(format!("{url}/readyz"))
        .await
        .with_context(|| {
            format!("no Helpline answers at {url}: start one with `helpline serve --demo` (or pass --url)")
        })?;
    if !ready.status().is_success() {
        bail!(
            "{url}/readyz answered {}: the server is not ready",
            ready.status()
        );
    }
    let target = Target {
        url: url.clone(),
        twiml_auth_token: token,
    };
    println!("Helpline guided tour against {url}");
    let mut failed = Vec::new();
    let mut ran = 0;
    for journey in all
        .iter()
        .filter(|j| args.journeys.is_empty() || args.journeys.contains(&j.number))
    {
        ran += 1;
        println!("\n{}. {}", journey.number, journey.title);
        let mut t = Tour::new(target.clone(), print_step);
        if let Err(e) = (journey.run)(&mut t).await {
            let after = t
                .steps()
                .last()
                .map(|s| format!(" (after “{}”)", s.what))
                .unwrap_or_default();
            println!("   ✗ {e:#}{after}");
            failed.push(format!("journey {} failed: {e:#}{after}", journey.number));
        }
    }
    println!();
    if failed.is_empty() {
        println!("All {ran} journeys passed.");
        Ok(())
    } else {
        println!("{} of {ran} journeys passed.", ran - failed.len());
        bail!("{}", failed.join("\n"))
    }
}
