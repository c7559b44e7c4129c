//! `helpline directory import` and `helpline bench directory`: the helpline directory (product
//! §1) from the command line.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use directory::bench::CheckBench;
use server::config::Settings;
use server::directory::{ImportError, Imported, import_listings};
use store::AuditRecord;

#[derive(Debug, Subcommand)]
pub enum DirectoryCommand {
    /// Import third-party listings (a CSV file, or a free-text article with tables and headed
    /// lists) as third-party entries of SOURCE, and print where they disagree with the official
    /// directory, with other sources and with themselves. Importing the same source again
    /// updates its entries.
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Who lists these numbers (a web site, an article, a partner): the entries' provenance
    #[arg(long, value_name = "NAME")]
    source: String,
    /// CSV (columns: country, service, number, tiers, languages, hours, time_zone, toll_free,
    /// collect, notes) or text
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Print the conflict report as JSON instead of text
    #[arg(long)]
    json: bool,
}

/// Imports larger than this report their progress.
const BATCH: usize = 500;

pub async fn run(settings: Settings, command: DirectoryCommand) -> anyhow::Result<()> {
    match command {
        DirectoryCommand::Import(args) => import(settings, args).await,
    }
}

async fn import(settings: Settings, args: ImportArgs) -> anyhow::Result<()> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("while reading {}", args.file.display()))?;
    let store = super::open_store(&settings).await?;
    let source = args.source.trim().to_owned();
    let file = args.file.display().to_string();
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned());
    #[allow(clippy::disallowed_methods)] // the command line is the edge
    let now = jiff::Timestamp::now();
    let audit = |batch: usize, entries: usize| AuditRecord {
        at: now,
        actor: format!("cli:{user}"),
        action: "directory.import".to_owned(),
        subject: format!("directory_source:{source}"),
        ip: "local".to_owned(),
        request_id: "-".to_owned(),
        detail: serde_json::json!({"file": file, "batch": batch, "entries": entries}),
    };
    // Progress for imports larger than one batch, on a terminal (or for very large ones).
    let progress = |stored: usize, of: usize| {
        if of > BATCH && std::io::stderr().is_terminal() || of > BATCH * 10 {
            eprintln!("stored {stored} of {of} entries");
        }
    };
    let Imported {
        read,
        counts,
        report,
    } = import_listings(&store, &source, &bytes, now, audit, progress)
        .await
        .map_err(|e| match e {
            ImportError::BadSource => {
                anyhow::anyhow!("--source must name who lists the numbers (1 to 200 characters)")
            }
            e => anyhow::Error::new(e),
        })
        .with_context(|| format!("while importing {}", args.file.display()))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let json = serde_json::json!({
            "source": source,
            "read": read,
            "inserted": counts.inserted,
            "updated": counts.updated,
            "kept_official": counts.kept_official,
            "report": report,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
    } else {
        writeln!(
            out,
            "Imported {read} listings from {} as third-party entries of {source:?}: {} new, {} updated{}.",
            args.file.display(),
            counts.inserted,
            counts.updated,
            if counts.kept_official > 0 {
                format!(
                    ", {} left alone (official entries are never replaced by imports)",
                    counts.kept_official
                )
            } else {
                String::new()
            }
        )?;
        writeln!(out, "{report}")?;
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Entries in the synthetic directory
    #[arg(long, default_value_t = 10_000)]
    entries: usize,
    /// Checks to time
    #[arg(long, default_value_t = 1_000_000)]
    checks: u64,
    /// Share of checked numbers that are not listed, in percent
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u8).range(0..=100))]
    unlisted_percent: u8,
    /// Print the figures as JSON
    #[arg(long)]
    json: bool,
}

pub fn bench(args: BenchArgs) -> anyhow::Result<()> {
    if cfg!(debug_assertions) {
        eprintln!("note: this is a debug build; build with --release for real figures");
    }
    let figures = directory::bench::check(&CheckBench {
        entries: args.entries,
        checks: args.checks,
        unlisted_percent: args.unlisted_percent,
        ..CheckBench::default()
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&figures)?);
    } else {
        println!("{figures}");
    }
    Ok(())
}
