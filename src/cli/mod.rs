//! The command line. Each subcommand's module turns flags into calls on the crates.

mod admin;
mod appointments;
mod bench;
mod cards;
mod chat;
mod demo;
mod directory;
mod fraud;
mod intent;
mod ivr;
mod ivr_bench;
mod routing;
mod serve;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use domain::{Clock, SystemClock};
use server::config::{Overrides, Settings};
use store::{ConnectOptions, SqlStore};

#[derive(Debug, Parser)]
#[command(
    name = "helpline",
    version,
    about = "Customer support for a card issuer: phone, chat, cases, routing, fraud monitoring and a verified helpline directory."
)]
pub struct Cli {
    /// Directory for the SQLite database, generated secrets and uploads [default: ./helpline-data]
    #[arg(long, global = true, env = "HELPLINE_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// sqlite://PATH or postgres://USER@HOST/DB [default: SQLite in the data directory]
    #[arg(long, global = true, env = "HELPLINE_DATABASE_URL", value_name = "URL")]
    database_url: Option<String>,
    /// Configuration file (TOML) [default: ./helpline.toml when it exists]
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (HTTP API, web pages, chat, telephony webhooks)
    Serve(serve::ServeArgs),
    /// Create or update the database schema, then exit
    Migrate,
    /// Manage API tokens for integrations and scripts
    #[command(subcommand)]
    Token(admin::TokenCommand),
    /// Manage staff accounts
    #[command(subcommand)]
    User(admin::UserCommand),
    /// Show or check configuration
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Routing tools: simulate a day of traffic through the routing engine
    #[command(subcommand)]
    Routing(routing::RoutingCommand),
    /// Helpline directory tools: import third-party listings and report conflicts
    #[command(subcommand)]
    Directory(directory::DirectoryCommand),
    /// Intent tools: train, classify, evaluate text → intent → department (product §7)
    #[command(subcommand)]
    Intent(intent::IntentCommand),
    /// Fraud tools: replay a labelled file through the fraud engine and evaluate it
    #[command(subcommand)]
    Fraud(fraud::FraudCommand),
    /// IVR tools: validate a call flow
    #[command(subcommand)]
    Ivr(ivr::IvrCommand),
    /// Measure the speed of a part of Helpline
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// The demo: a guided tour of the seeds' journeys against a running `serve --demo`
    #[command(subcommand)]
    Demo(demo::DemoCommand),
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print a fully commented configuration file with every default
    Example,
    /// Check the configuration (file, environment, flags) and print the result
    Check,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let overrides = Overrides {
        data_dir: cli.data_dir.clone(),
        database_url: cli.database_url.clone(),
    };
    let settings = Settings::load(cli.config.as_deref(), &overrides)?;
    match cli.command {
        Command::Serve(args) => serve::run(settings, args).await,
        Command::Migrate => {
            open_store(&settings).await?;
            println!(
                "Database schema is up to date ({}).",
                store::redact_url(&settings.database_url())
            );
            Ok(())
        }
        Command::Token(command) => admin::token(settings, command).await,
        Command::User(command) => admin::user(settings, command).await,
        Command::Routing(command) => routing::run(command),
        Command::Fraud(command) => fraud::run(command),
        Command::Ivr(command) => ivr::run(command),
        Command::Directory(command) => directory::run(settings, command).await,
        Command::Intent(command) => intent::run(settings, command),
        Command::Bench(command) => bench::run(&settings, command),
        Command::Demo(command) => demo::run(settings, command).await,
        Command::Config(ConfigCommand::Example) => {
            print!("{}", Settings::example_toml());
            Ok(())
        }
        Command::Config(ConfigCommand::Check) => {
            for var in Settings::unknown_env_vars() {
                eprintln!("warning: {var} names no setting");
            }
            server::notify::check(&settings.notifications)?;
            println!("{}", toml_of(&settings)?);
            println!("# configuration is valid");
            Ok(())
        }
    }
}

fn toml_of(settings: &Settings) -> anyhow::Result<String> {
    let mut shown = settings.clone();
    if !shown.telephony.twiml_auth_token.is_empty() {
        shown.telephony.twiml_auth_token = "***".to_owned();
    }
    shown.database_url = store::redact_url(&shown.database_url);
    for secret in [
        &mut shown.notifications.smtp.password,
        &mut shown.notifications.webhook.secret,
        &mut shown.notifications.voice_webhook.secret,
    ] {
        if !secret.is_empty() {
            "***".clone_into(secret);
        }
    }
    Ok(server::config::to_toml(&shown)?)
}

/// Opens (and migrates) the configured database.
pub async fn open_store(settings: &Settings) -> anyhow::Result<SqlStore> {
    std::fs::create_dir_all(&settings.data_dir).with_context(|| {
        format!(
            "while creating the data directory {}",
            settings.data_dir.display()
        )
    })?;
    let url = settings.database_url();
    let options = ConnectOptions {
        url: url.clone(),
        max_connections: settings.server.database_connections,
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    SqlStore::connect(&options, clock)
        .await
        .with_context(|| format!("while opening the database {}", store::redact_url(&url)))
}
