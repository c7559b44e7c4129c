//! `helpline directory import` and `helpline bench directory`: the helpline directory (product
//! §1) from the command line.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use directory::bench::CheckBench;
use directory::import::import_file;
use directory::{ConflictReport, Entry, Provenance, Status};
use server::config::Settings;
use store::{AuditRecord, DirectoryStore, Effects, Store, UpsertCounts};

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

/// Entries stored per transaction; imports larger than one batch report their progress.
const BATCH: usize = 500;

pub async fn run(settings: Settings, command: DirectoryCommand) -> anyhow::Result<()> {
    match command {
        DirectoryCommand::Import(args) => import(settings, args).await,
    }
}

async fn import(settings: Settings, args: ImportArgs) -> anyhow::Result<()> {
    let source = args.source.trim().to_owned();
    anyhow::ensure!(
        !source.is_empty() && source.chars().count() <= 200,
        "--source must name who lists the numbers (1 to 200 characters)"
    );
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("while reading {}", args.file.display()))?;
    let store = super::open_store(&settings).await?;
    let existing: Vec<Entry> = store
        .directory_entries()
        .await?
        .into_iter()
        .map(|stored| stored.entry)
        .collect();
    anyhow::ensure!(
        !existing
            .iter()
            .any(|e| e.status == Status::Official && e.provenance.source == source),
        "{source:?} is the source of official entries; imported listings are third-party, so name the source they come from"
    );
    #[allow(clippy::disallowed_methods)] // the command line is the edge
    let now = jiff::Timestamp::now();
    let provenance = Provenance {
        source: source.clone(),
        asserted_at: now,
    };
    let import = import_file(&provenance, &bytes)
        .with_context(|| format!("while importing {}", args.file.display()))?;
    // The crate makes third-party entries only; keep that a fact here too.
    anyhow::ensure!(
        import
            .entries
            .iter()
            .all(|e| e.status == Status::ThirdParty),
        "the importer produced an entry that is not third-party"
    );
    let counts = store_entries(&store, &import.entries, &source, &args.file).await?;
    let all: Vec<Entry> = store
        .directory_entries()
        .await?
        .into_iter()
        .map(|stored| stored.entry)
        .collect();
    let report = ConflictReport::new(&all, &import.rejected);
    let mut out = std::io::stdout().lock();
    if args.json {
        let json = serde_json::json!({
            "source": source,
            "read": import.entries.len(),
            "inserted": counts.inserted,
            "updated": counts.updated,
            "kept_official": counts.kept_official,
            "report": report,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
    } else {
        writeln!(
            out,
            "Imported {} listings from {} as third-party entries of {source:?}: {} new, {} updated{}.",
            import.entries.len(),
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

async fn store_entries(
    store: &dyn Store,
    entries: &[Entry],
    source: &str,
    file: &std::path::Path,
) -> anyhow::Result<UpsertCounts> {
    let progress =
        entries.len() > BATCH && std::io::stderr().is_terminal() || entries.len() > BATCH * 10;
    let mut total = UpsertCounts::default();
    for (i, batch) in entries.chunks(BATCH).enumerate() {
        let audit = AuditRecord {
            #[allow(clippy::disallowed_methods)] // the command line is the edge
            at: jiff::Timestamp::now(),
            actor: format!(
                "cli:{}",
                std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned())
            ),
            action: "directory.import".to_owned(),
            subject: format!("directory_source:{source}"),
            ip: "local".to_owned(),
            request_id: "-".to_owned(),
            detail: serde_json::json!({
                "file": file.display().to_string(),
                "batch": i,
                "entries": batch.len(),
            }),
        };
        #[allow(clippy::disallowed_methods)] // the command line is the edge
        let counts = store
            .upsert_directory_entries(batch, jiff::Timestamp::now(), Effects::none().audit(audit))
            .await
            .context("while storing the entries")?;
        total.inserted += counts.inserted;
        total.updated += counts.updated;
        total.kept_official += counts.kept_official;
        if progress {
            eprintln!(
                "stored {} of {} entries",
                (i * BATCH + batch.len()),
                entries.len()
            );
        }
    }
    Ok(total)
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
