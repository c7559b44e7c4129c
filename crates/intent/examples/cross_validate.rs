//! Stratified k-fold cross-validation of the lexical model on BANKING77's train.csv, then the
//! routing thresholds swept on the pooled held-out predictions.
//!
//! cargo run --release -p intent --example cross_validate -- [--folds 5] [--seed 0]
//!     [--c 1] [--word-weight 0.7] [--char-max 5] [--pair-window 8] [--min-messages 2]
//!     [--stem true] [--bigrams true]

mod common;

use std::time::Instant;

use intent::{LexicalConfig, RoutingPolicy, cross_validate_lexical};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (rows, departments) = common::load_banking77()?;
    let folds = common::arg("--folds", 5usize);
    let seed = common::arg("--seed", 0u64);
    let mut config = LexicalConfig::default();
    config.svm.c = common::arg("--c", config.svm.c);
    config.svm.tolerance = common::arg("--tolerance", config.svm.tolerance);
    config.features.word_weight = common::arg("--word-weight", config.features.word_weight);
    config.features.char_max = common::arg("--char-max", config.features.char_max);
    config.features.pair_window = common::arg("--pair-window", config.features.pair_window);
    config.features.min_messages = common::arg("--min-messages", config.features.min_messages);
    config.features.stem = common::arg("--stem", config.features.stem);
    config.features.bigrams = common::arg("--bigrams", config.features.bigrams);
    let policy = RoutingPolicy::default();
    let start = Instant::now();
    let mut last_fold = 0;
    let cv = cross_validate_lexical(&rows, &departments, &config, folds, seed, &policy, |p| {
        if p.fold != last_fold {
            last_fold = p.fold;
            eprintln!(
                "fold {}/{} … ({:.0} s)",
                p.fold,
                p.folds,
                start.elapsed().as_secs_f64()
            );
        }
    })?;
    println!("{cv}");
    println!("({:.0} s)", start.elapsed().as_secs_f64());
    sweep(&cv, &policy);
    Ok(())
}

/// How the thresholds trade safety recall against pulled-in messages, and routing precision
/// against how many messages are routed.
fn sweep(cv: &intent::CrossValidation, base: &RoutingPolicy) {
    println!("\nlost_or_stolen_at  safety recall  model alone  pulled in");
    for at in [0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.15, 0.2, 0.3, 0.5] {
        let r = cv.reroute(&RoutingPolicy {
            lost_or_stolen_at: at,
            ..base.clone()
        });
        let s = &r.safety;
        println!(
            "  {at:<16.2} {:>12.2}% {:>11.2}% {:>6} of {}",
            100.0 * s.recall,
            100.0 * s.model_recall,
            s.pulled_in,
            s.other_examples
        );
    }
    println!("\nroute_at  routed   right dept  clarified  (right intent offered)  to a person");
    for at in [0.5, 0.6, 0.7, 0.8, 0.9] {
        let r = cv
            .reroute(&RoutingPolicy {
                route_at: at,
                ..base.clone()
            })
            .routing;
        let n = (r.routed + r.clarified + r.to_person) as f64;
        println!(
            "  {at:<7.2} {:>6.2}% {:>10.2}% {:>9.2}% {:>12.2}% {:>20.2}%",
            100.0 * r.routed as f64 / n,
            100.0 * r.routed_correctly as f64 / r.routed.max(1) as f64,
            100.0 * r.clarified as f64 / n,
            100.0 * r.clarified_with_answer as f64 / r.clarified.max(1) as f64,
            100.0 * r.to_person as f64 / n,
        );
    }
}
