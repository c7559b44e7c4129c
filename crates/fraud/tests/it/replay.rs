//! Replay: malformed rows stop it with their line number, it is deterministic, and it never uses
//! a label before replay time reaches `label_known_at`.

use fraud::replay::{self, COLUMNS, ReplayError};
use fraud::{Config, Verdict};
use jiff::SignedDuration;
use proptest::prelude::*;

use crate::fixtures::at;

const HEADER: &str = "transaction_id,timestamp,card_id,amount,currency,merchant_id,mcc,merchant_country,merchant_lat,merchant_lon,card_present,is_fraud,label_known_at";

/// A small labelled file: 40 cards around Toronto, merchant M3 compromised from day 3 on (all
/// its transactions fraud), every label known 7 days later.
fn synthetic(rows: usize) -> String {
    let start = at("2024-01-01T00:00:00Z");
    let mut text = format!("{HEADER}\n");
    for i in 0..rows {
        let t = start + SignedDuration::from_mins(7 * i as i64);
        let card = (i * 7919) % 40;
        let merchant = ((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 59) % 12;
        let fraud = merchant == 3 && t > start + SignedDuration::from_hours(72);
        let amount = 20 + (i * 37) % 60;
        let (lat, lon) = (43.6 + merchant as f64 * 0.01, -79.4 + card as f64 * 0.001);
        let known = t + SignedDuration::from_hours(24 * 7);
        text.push_str(&format!(
            "{i},{t},C{card:03},{amount}.00,CAD,M{merchant},5411,CA,{lat:.6},{lon:.6},1,{},{known}\n",
            u8::from(fraud)
        ));
    }
    text
}

fn learning_config() -> Config {
    let mut config = Config::default_rules().unwrap();
    config.model.min_frauds = 10;
    config.model.retrain_every_hours = 6.0;
    config.model.genuine_sample_every = 1;
    config
}

fn run(config: &Config, input: &str) -> Result<String, ReplayError> {
    let mut out = Vec::new();
    replay::replay(config, input.as_bytes(), &mut out, |_| {})?;
    Ok(String::from_utf8(out).unwrap())
}

fn malformed(input: &str) -> (u64, String) {
    match run(&Config::default_rules().unwrap(), input) {
        Err(ReplayError::Malformed { line, problem }) => (line, problem),
        other => panic!("expected a malformed-row error, got {other:?}"),
    }
}

#[test]
fn writes_one_decision_per_row_with_quoted_reasons() {
    let input = synthetic(3000);
    let output = run(&learning_config(), &input).unwrap();
    let mut reader = csv::Reader::from_reader(output.as_bytes());
    assert_eq!(
        reader.headers().unwrap(),
        vec!["transaction_id", "decision", "score", "reasons"]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 3000);
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.len(), 4);
        assert_eq!(r[0], i.to_string());
        assert!(["approve", "challenge", "decline"].contains(&&r[1]));
        let score: f64 = r[2].parse().unwrap();
        assert!((0.0..=1.0).contains(&score));
    }
    assert!(
        output.contains("\"learned"),
        "some reason text with commas is quoted"
    );
}

#[test]
fn replay_learns_a_compromised_merchant_from_delayed_labels() {
    let input = synthetic(6000);
    let mut out = Vec::new();
    let mut progress = Vec::new();
    let summary = replay::replay(&learning_config(), input.as_bytes(), &mut out, |p| {
        progress.push(p.rows)
    })
    .unwrap();
    assert_eq!(summary.rows, 6000);
    assert!(summary.model.is_some());
    assert_eq!(progress.last(), Some(&6000));
    // After the first labels arrive (day 3 + 7), M3's frauds are declined or challenged.
    let output = String::from_utf8(out).unwrap();
    let late_m3: Vec<&str> = input
        .lines()
        .zip(output.lines())
        .skip(1)
        .filter(|(row, _)| row.contains(",M3,") && row.split(',').nth(1).unwrap() > "2024-01-13")
        .map(|(_, decision)| decision.split(',').nth(1).unwrap())
        .collect();
    assert!(!late_m3.is_empty());
    let flagged = late_m3
        .iter()
        .filter(|d| **d != Verdict::Approve.as_str())
        .count();
    assert!(
        flagged * 10 >= late_m3.len() * 9,
        "{flagged} of {}",
        late_m3.len()
    );
}

#[test]
fn replay_is_deterministic() {
    let input = synthetic(4000);
    let config = learning_config();
    assert_eq!(run(&config, &input).unwrap(), run(&config, &input).unwrap());
}

#[test]
fn labels_are_never_used_before_they_are_known() {
    let input = synthetic(6000);
    // Flip every label that becomes known after replay time T. Decisions up to T must not change;
    // decisions after T must (so the test would notice an engine that ignores labels).
    let cut = at("2024-01-20T00:00:00Z");
    let flipped: String = input
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            let known = fields[12];
            if known != "label_known_at" && known.parse::<domain::Timestamp>().unwrap() > cut {
                let mut f = fields.clone();
                f[11] = if f[11] == "1" { "0" } else { "1" };
                f.join(",") + "\n"
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    let config = learning_config();
    let (a, b) = (
        run(&config, &input).unwrap(),
        run(&config, &flipped).unwrap(),
    );
    let mut before_cut_rows = 0;
    let mut differs_after = false;
    for ((row, da), db) in input
        .lines()
        .skip(1)
        .zip(a.lines().skip(1))
        .zip(b.lines().skip(1))
    {
        let t: domain::Timestamp = row.split(',').nth(1).unwrap().parse().unwrap();
        if t <= cut {
            assert_eq!(
                da, db,
                "row {row} was decided differently: a future label leaked"
            );
            before_cut_rows += 1;
        } else {
            differs_after |= da != db;
        }
    }
    assert!(before_cut_rows > 3000);
    assert!(
        differs_after,
        "flipped labels should change later decisions"
    );
}

#[test]
fn malformed_rows_stop_the_replay_with_their_line() {
    let good = synthetic(3);
    let rows: Vec<&str> = good.lines().collect();
    let with_row_3 = |edit: &dyn Fn(&mut Vec<String>)| {
        let mut fields: Vec<String> = rows[3].split(',').map(str::to_owned).collect();
        edit(&mut fields);
        format!(
            "{}\n{}\n{}\n{}\n",
            rows[0],
            rows[1],
            rows[2],
            fields.join(",")
        )
    };
    let cases: Vec<(String, &str)> = vec![
        (
            with_row_3(&|f| {
                f.pop();
            }),
            "has 12 columns, the header has 13",
        ),
        (
            with_row_3(&|f| f[1] = "2024-13-01T00:00:00Z".into()),
            "column `timestamp`: \"2024-13-01T00:00:00Z\" is not an RFC 3339",
        ),
        (
            with_row_3(&|f| f[1] = "2023-12-31T23:00:00Z".into()),
            "out of time order",
        ),
        (with_row_3(&|f| f[3] = "12,5".into()), "has 14 columns"),
        (
            with_row_3(&|f| f[3] = "twelve".into()),
            "column `amount`: amount \"twelve\" is not a decimal",
        ),
        (with_row_3(&|f| f[3] = "1.234".into()), "column `amount`"),
        (with_row_3(&|f| f[4] = "C$".into()), "column `currency`"),
        (
            with_row_3(&|f| f[2] = String::new()),
            "column `card_id`: is empty",
        ),
        (with_row_3(&|f| f[6] = "54".into()), "column `mcc`"),
        (
            with_row_3(&|f| f[7] = "XX".into()),
            "column `merchant_country`",
        ),
        (
            with_row_3(&|f| {
                f[8] = String::new();
                f[9] = String::new();
            }),
            "column `merchant_lat`: is empty on a card-present row",
        ),
        (
            with_row_3(&|f| f[9] = String::new()),
            "column `merchant_lon`: is empty but merchant_lat is not",
        ),
        (
            with_row_3(&|f| f[8] = "95.0".into()),
            "column `merchant_lat`: coordinates",
        ),
        (
            with_row_3(&|f| f[10] = "yes".into()),
            "column `card_present`",
        ),
        (with_row_3(&|f| f[11] = "2".into()), "column `is_fraud`"),
        (
            with_row_3(&|f| f[12] = "2023-01-01T00:00:00Z".into()),
            "column `label_known_at`: 2023-01-01T00:00:00Z is before",
        ),
    ];
    for (input, expected) in cases {
        let (line, problem) = malformed(&input);
        assert_eq!(line, 4, "{problem}");
        assert!(
            problem.contains(expected),
            "{problem:?} should contain {expected:?}"
        );
    }
}

#[test]
fn a_header_without_a_required_column_is_rejected() {
    for column in COLUMNS {
        let header = HEADER
            .split(',')
            .filter(|c| *c != column)
            .collect::<Vec<_>>()
            .join(",");
        let (line, problem) = malformed(&format!("{header}\n"));
        assert_eq!(line, 1);
        assert!(
            problem.contains(&format!("no column `{column}`")),
            "{problem}"
        );
    }
}

#[test]
fn an_empty_file_is_rejected_and_a_header_alone_is_an_empty_replay() {
    assert!(matches!(
        run(&Config::default_rules().unwrap(), ""),
        Err(ReplayError::Malformed { line: 1, .. })
    ));
    let output = run(&Config::default_rules().unwrap(), &format!("{HEADER}\n")).unwrap();
    assert_eq!(output, "transaction_id,decision,score,reasons\n");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Whatever one field of a row holds, the replay either accepts the row or names its line.
    #[test]
    fn any_corrupted_field_is_accepted_or_named(column in 0usize..13, value in "[ -~]{0,12}") {
        let good = synthetic(2);
        let rows: Vec<&str> = good.lines().collect();
        let mut fields: Vec<String> = rows[2].split(',').map(str::to_owned).collect();
        fields[column] = value;
        let input = format!("{}\n{}\n{}\n", rows[0], rows[1], fields.join(","));
        match run(&Config::default_rules().unwrap(), &input) {
            Ok(output) => prop_assert_eq!(output.lines().count(), 3),
            Err(ReplayError::Malformed { line, .. }) => prop_assert!(line == 3 || line == 1),
            Err(other) => prop_assert!(false, "unexpected error {other}"),
        }
    }
}
