//! Journey 4, "is this call really from my bank?": a cardholder checks the number of a
//! suspicious call on the public check page (unknown), reports it, an admin confirms the report
//! and the number then checks as a reported scam. The seed articles, imported as third-party
//! listings, produce the conflict report.

use std::path::PathBuf;

use anyhow::Context;
use serde_json::{Value, json};

use crate::people::Person;
use crate::{Tour, json, text};

#[derive(Debug, Clone)]
pub struct Outcome {
    /// E.164.
    pub number: String,
    pub report: String,
    /// Each seed article imported (source, file name) and its conflict report as text; empty
    /// when the seed articles were not found.
    pub imports: Vec<(String, String, String)>,
}

/// The seed articles: `$HELPLINE_SEEDS`, or `shared/seeds` beside the workspace (or beside its
/// folder of worktrees).
pub fn seeds_dir() -> Option<PathBuf> {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::env::var_os("HELPLINE_SEEDS")
        .map(PathBuf::from)
        .into_iter()
        .chain([
            workspace.join("../shared/seeds"),
            workspace.join("../../shared/seeds"),
        ])
        .find(|dir| dir.is_dir())
}

async fn check(t: &Tour, number: &str) -> anyhow::Result<Value> {
    let url =
        reqwest::Url::parse_with_params(&t.url("/api/v1/directory/check"), &[("number", number)])?;
    json(t.browser()?.get(url)).await
}

pub async fn run(t: &mut Tour) -> anyhow::Result<Outcome> {
    // A number in Ofcom's range for drama (020 7946 0000–0999) that nobody has reported yet.
    let mut number = None;
    for n in 0..1000 {
        let candidate = format!("+44 20 7946 0{n:03}");
        if check(t, &candidate).await?["status"] == "unknown" {
            number = Some(candidate);
            break;
        }
    }
    let number = number.context("every number of the fiction range is already reported")?;
    t.step(
        "A cardholder gets a call from someone who says they are the bank",
        number.clone(),
    );
    let checked = check(t, &number).await?;
    t.expect(
        "They check it on the public check page",
        checked["status"] == "unknown",
        text(&checked["status"]),
    )?;
    let e164 = checked["number"]
        .as_str()
        .context("the number as read")?
        .to_owned();

    let cardholder = Person::cardholder(t, &server::demo::first_cardholder_email()).await?;
    let report = cardholder.post(
        "/api/v1/directory/reports", json!({"number": number,
                "description": "Said they were the bank's fraud team and asked me to read out the code from my text messages"}),
    )
    .await?;
    t.expect(
        "They report it",
        report["status"] == "pending",
        format!(
            "report {} ({})",
            text(&report["id"]),
            text(&report["status"])
        ),
    )?;
    let id = report["id"].as_str().context("report id")?.to_owned();
    let checked = check(t, &number).await?;
    t.expect(
        "Until an admin confirms it, it still checks as unknown",
        checked["status"] == "unknown",
        text(&checked["status"]),
    )?;

    let admin = Person::staff(t, "admin@example.com").await?;
    let pending = admin
        .get("/api/v1/directory/reports?status=pending")
        .await?;
    t.expect(
        "The admin sees the report among the pending ones",
        pending
            .as_array()
            .is_some_and(|all| all.iter().any(|r| r["id"] == id.as_str())),
        format!("{} pending", pending.as_array().map_or(0, Vec::len)),
    )?;
    let moderated = admin
        .post(
            &format!("/api/v1/directory/reports/{id}/moderate"),
            json!({"decision": "approve", "note": "same script as other reports this week"}),
        )
        .await?;
    t.expect(
        "The admin confirms it",
        moderated["status"] == "approved",
        text(&moderated["status"]),
    )?;
    let checked = check(t, &number).await?;
    t.expect(
        "The number now checks as a reported scam",
        checked["status"] == "reported_scam",
        text(&checked["status"]),
    )?;

    // The seed articles as third-party listings.
    let mut imports = Vec::new();
    match seeds_dir() {
        None => t.step(
            "Import the seed articles",
            "skipped: not found (set HELPLINE_SEEDS to their folder)",
        ),
        Some(dir) => {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                .with_context(|| format!("reading {}", dir.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "txt"))
                .collect();
            files.sort();
            for file in files {
                let name = file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let source = format!("seed-{}", name.split('_').next().unwrap_or(&name));
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("reading {}", file.display()))?;
                let imported = admin
                    .post(
                        "/api/v1/directory/imports",
                        json!({"source": source, "text": text}),
                    )
                    .await?;
                let report = &imported["report"];
                let conflicts = [
                    "disagreements_with_official",
                    "disagreements_between_sources",
                    "numbers_for_several_services",
                ]
                .iter()
                .map(|k| report[k].as_array().map_or(0, Vec::len))
                .sum::<usize>();
                t.expect(
                    &format!("The admin imports {name} as listings of {source:?}"),
                    imported["read"].as_u64().is_some_and(|n| n > 0) && conflicts > 0,
                    format!(
                        "{} listings read ({} new, {} updated); {conflicts} conflicts in the report",
                        imported["read"], imported["inserted"], imported["updated"]
                    ),
                )?;
                let text = imported["report_text"].as_str().unwrap_or("").to_owned();
                imports.push((source, name, text));
            }
            if let Some((_, _, last)) = imports.last() {
                t.step("The conflict report", last.clone());
            }
        }
    }
    Ok(Outcome {
        number: e164,
        report: id,
        imports,
    })
}
