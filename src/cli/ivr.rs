//! `helpline ivr validate FILE`: checks a call flow and its message catalogs.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use ivr::{CatalogSource, FlowSource, catalog_language};

#[derive(Debug, Subcommand)]
pub enum IvrCommand {
    /// Check a call flow (TOML) and the catalogs beside it (`<lang>.ftl`): syntax, missing
    /// targets, unreachable nodes, loops with no exit, prompts missing in a language. Prints
    /// `file:line: reason` for each problem and exits non-zero when there is any
    Validate {
        /// The flow file, e.g. crates/ivr/flows/demo/flow.toml
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

pub fn run(command: IvrCommand) -> anyhow::Result<()> {
    match command {
        IvrCommand::Validate { file } => {
            let problems = validate(&file)?;
            if problems.is_empty() {
                println!("{}: no problems", file.display());
                return Ok(());
            }
            for problem in &problems {
                eprintln!("{problem}");
            }
            anyhow::bail!(
                "{} problem{} in {}",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" },
                file.display()
            )
        }
    }
}

/// Every problem in the flow at `file` and the `*.ftl` catalogs in its folder.
pub fn validate(file: &Path) -> anyhow::Result<Vec<ivr::Problem>> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read the flow file {}", file.display()))?;
    let dir = match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    let mut catalogs = Vec::new();
    let entries = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot list the catalogs in {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        let name = path.to_string_lossy().into_owned();
        if let Some(lang) = catalog_language(&name) {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read the catalog {}", path.display()))?;
            catalogs.push((name, lang, text));
        }
    }
    catalogs.sort_by(|a, b| a.0.cmp(&b.0));
    let file_name = file.to_string_lossy();
    let source = FlowSource {
        file_name: &file_name,
        text: &text,
        catalogs: catalogs
            .iter()
            .map(|(file_name, lang, text)| CatalogSource {
                file_name,
                lang: *lang,
                text,
            })
            .collect(),
    };
    Ok(source.problems())
}
