//! Replays a labelled file through the engine and prints the evaluation of one or more windows.
//!
//! cargo run --release -p fraud --example replay -- INPUT.csv[.gz] OUTPUT.csv \
//!     [--config rules.toml] [--window 2018-07-16..2018-07-29]... [--k 100,10]
//!
//! With `--evaluate-only`, OUTPUT.csv is an existing decisions file and nothing is replayed.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter};
use std::path::Path;
use std::time::Instant;

use fraud::eval::{self, TestWindow};
use fraud::{Config, replay};

fn open(path: &str) -> Result<Box<dyn BufRead>, Box<dyn std::error::Error>> {
    let file = File::open(path).map_err(|e| format!("{path}: {e}"))?;
    Ok(if Path::new(path).extension().is_some_and(|e| e == "gz") {
        Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::read::GzDecoder::new(file),
        ))
    } else {
        Box::new(BufReader::with_capacity(1 << 20, file))
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut positional = Vec::new();
    let mut config = Config::default_rules()?;
    let mut windows = Vec::new();
    let mut ks = vec![100, 10];
    let mut evaluate_only = false;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--config" => {
                i += 1;
                config = Config::from_toml(&std::fs::read_to_string(&args[i])?)?;
            }
            "--window" => {
                i += 1;
                let (first, last) = args[i].split_once("..").ok_or("--window FIRST..LAST")?;
                windows.push(TestWindow {
                    first: first.parse()?,
                    last: last.parse()?,
                });
            }
            "--k" => {
                i += 1;
                ks = args[i]
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()?;
            }
            "--evaluate-only" => evaluate_only = true,
            other => positional.push(other.to_owned()),
        }
        i += 1;
    }
    let [input, output] = positional.as_slice() else {
        return Err("usage: replay INPUT.csv[.gz] OUTPUT.csv [--config FILE] [--window A..B]... [--k 100,10] [--evaluate-only]".into());
    };
    if !evaluate_only {
        let start = Instant::now();
        let out = BufWriter::new(File::create(output)?);
        let summary = replay::replay(&config, open(input)?, out, |p| {
            eprint!(
                "\r{} rows, replay time {}, {} labels used   ",
                p.rows,
                p.at.map(|t| t.to_string()).unwrap_or_default(),
                p.labels_used
            );
        })?;
        eprintln!();
        eprintln!(
            "replayed {} rows in {:.1} s: {} approved, {} challenged, {} declined; {} labels used, {} retrainings; model {:?}",
            summary.rows,
            start.elapsed().as_secs_f64(),
            summary.approved,
            summary.challenged,
            summary.declined,
            summary.labels_used,
            summary.retrainings,
            summary.model
        );
    }
    if !windows.is_empty() {
        let decisions = eval::read_decisions(open(output)?)?;
        for window in windows {
            let report = eval::evaluate(open(input)?, &decisions, window, &ks)?;
            print!("{report}");
        }
    }
    Ok(())
}
