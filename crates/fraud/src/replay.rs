//! Replays a labelled transaction file through the engine, in time order, from empty profiles.
//!
//! Labels are handed to the engine only once replay time reaches the row's `label_known_at`, as
//! the outcome of a decision the engine made earlier; the engine never sees a label before then.
//! Input format: `shared/data/fraud/README.md` ("Replay format"). Output: one
//! `transaction_id,decision,score,reasons` row per input row.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::io::{BufRead, Write};

use domain::{Country, Currency, Money, Timestamp};

use crate::config::Config;
use crate::engine::{Engine, EngineError};
use crate::geo::GeoPoint;
use crate::mcc::Mcc;
use crate::model::ModelSummary;
use crate::types::{
    Authorization, CardKey, CardStatus, Label, Merchant, Outcome, OutcomeSource, Verdict,
};

/// Columns of the replay format, in file order.
pub const COLUMNS: [&str; 13] = [
    "transaction_id",
    "timestamp",
    "card_id",
    "amount",
    "currency",
    "merchant_id",
    "mcc",
    "merchant_country",
    "merchant_lat",
    "merchant_lon",
    "card_present",
    "is_fraud",
    "label_known_at",
];

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("line {line}: {problem}")]
    Malformed { line: u64, problem: String },
    #[error("reading the replay input failed: {0}")]
    Read(String),
    #[error("writing the decisions failed: {0}")]
    Write(String),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// One parsed row of a replay file.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub line: u64,
    pub transaction_id: String,
    pub card_id: String,
    pub at: Timestamp,
    pub amount: Money,
    pub merchant_id: String,
    pub mcc: Mcc,
    pub country: Country,
    pub location: Option<GeoPoint>,
    pub card_present: bool,
    pub label: Option<Label>,
    pub label_known_at: Option<Timestamp>,
}

/// Reads replay rows one by one, checking every field and the time order.
pub struct Rows<R: BufRead> {
    reader: csv::Reader<R>,
    columns: [usize; 13],
    record: csv::StringRecord,
    previous: Option<Timestamp>,
}

impl<R: BufRead> Rows<R> {
    pub fn new(input: R) -> Result<Self, ReplayError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(input);
        let header = reader.headers().map_err(|e| csv_error(&e, 1))?.clone();
        let mut columns = [0usize; 13];
        for (slot, name) in columns.iter_mut().zip(COLUMNS) {
            *slot = header
                .iter()
                .position(|h| h.trim() == name)
                .ok_or_else(|| ReplayError::Malformed {
                    line: 1,
                    problem: format!(
                        "the header has no column `{name}` (expected: {})",
                        COLUMNS.join(",")
                    ),
                })?;
        }
        Ok(Self {
            reader,
            columns,
            record: csv::StringRecord::new(),
            previous: None,
        })
    }

    /// The next row, `None` at the end of the input.
    pub fn next_row(&mut self) -> Result<Option<Row>, ReplayError> {
        let more = self
            .reader
            .read_record(&mut self.record)
            .map_err(|e| csv_error(&e, 0))?;
        if !more {
            return Ok(None);
        }
        let line = self.record.position().map_or(0, csv::Position::line);
        let row = parse_row(&self.record, &self.columns, line)?;
        if let Some(previous) = self.previous
            && row.at < previous
        {
            return Err(ReplayError::Malformed {
                line,
                problem: format!(
                    "row is out of time order: timestamp {} is before the previous row's {previous}",
                    row.at
                ),
            });
        }
        self.previous = Some(row.at);
        Ok(Some(row))
    }
}

fn csv_error(e: &csv::Error, fallback_line: u64) -> ReplayError {
    let line = e.position().map_or(fallback_line, csv::Position::line);
    match e.kind() {
        csv::ErrorKind::Io(io) => ReplayError::Read(io.to_string()),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => ReplayError::Malformed {
            line,
            problem: format!("has {len} columns, the header has {expected_len}"),
        },
        csv::ErrorKind::Utf8 { .. } => ReplayError::Malformed {
            line,
            problem: "is not valid UTF-8".to_owned(),
        },
        _ => ReplayError::Malformed {
            line,
            problem: e.to_string(),
        },
    }
}

fn parse_row(
    record: &csv::StringRecord,
    columns: &[usize; 13],
    line: u64,
) -> Result<Row, ReplayError> {
    let field = |i: usize| record.get(columns[i]).unwrap_or("").trim();
    let bad = |column: usize, problem: String| ReplayError::Malformed {
        line,
        problem: format!("column `{}`: {problem}", COLUMNS[column]),
    };
    let required = |i: usize| {
        let value = field(i);
        if value.is_empty() {
            Err(bad(i, "is empty".to_owned()))
        } else {
            Ok(value)
        }
    };
    let timestamp = |i: usize, value: &str| {
        value.parse::<Timestamp>().map_err(|_| {
            bad(
                i,
                format!("{value:?} is not an RFC 3339 UTC time (e.g. 2018-04-01T00:07:56Z)"),
            )
        })
    };
    let transaction_id = required(0)?.to_owned();
    let at = timestamp(1, required(1)?)?;
    let card_id = required(2)?.to_owned();
    let currency = Currency::parse(required(4)?).map_err(|e| bad(4, e.to_string()))?;
    let amount = Money::parse(required(3)?, currency).map_err(|e| bad(3, e.to_string()))?;
    if amount.minor < 0 {
        return Err(bad(3, format!("{amount} is negative")));
    }
    let merchant_id = required(5)?.to_owned();
    let mcc = Mcc::parse(required(6)?).map_err(|e| bad(6, e.to_string()))?;
    let country = Country::parse(required(7)?).map_err(|e| bad(7, e.to_string()))?;
    let card_present = match required(10)? {
        "1" => true,
        "0" => false,
        other => return Err(bad(10, format!("{other:?} is not 1 or 0"))),
    };
    let coordinate = |i: usize| -> Result<Option<f64>, ReplayError> {
        match field(i) {
            "" => Ok(None),
            text => text
                .parse::<f64>()
                .map(Some)
                .map_err(|_| bad(i, format!("{text:?} is not a decimal number of degrees"))),
        }
    };
    let location = match (coordinate(8)?, coordinate(9)?) {
        (Some(lat), Some(lon)) => Some(GeoPoint::new(lat, lon).map_err(|e| bad(8, e.to_string()))?),
        (None, None) if !card_present => None,
        (None, None) => return Err(bad(8, "is empty on a card-present row".to_owned())),
        (Some(_), None) => return Err(bad(9, "is empty but merchant_lat is not".to_owned())),
        (None, Some(_)) => return Err(bad(8, "is empty but merchant_lon is not".to_owned())),
    };
    let label = match field(11) {
        "" => None,
        "1" => Some(Label::Fraud),
        "0" => Some(Label::Genuine),
        other => return Err(bad(11, format!("{other:?} is not 1, 0 or empty"))),
    };
    let label_known_at = match field(12) {
        "" => None,
        text => Some(timestamp(12, text)?),
    };
    if let Some(known) = label_known_at
        && known < at
    {
        return Err(bad(
            12,
            format!("{known} is before the transaction's timestamp {at}"),
        ));
    }
    Ok(Row {
        line,
        transaction_id,
        card_id,
        at,
        amount,
        merchant_id,
        mcc,
        country,
        location,
        card_present,
        label,
        label_known_at,
    })
}

/// Progress of a replay, passed to the callback every [`PROGRESS_EVERY`] rows and at the end.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub rows: u64,
    /// Replay time: the latest row's timestamp.
    pub at: Option<Timestamp>,
    pub labels_used: u64,
    pub model: Option<ModelSummary>,
}

pub const PROGRESS_EVERY: u64 = 20_000;

/// What a replay did.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplaySummary {
    pub rows: u64,
    pub approved: u64,
    pub challenged: u64,
    pub declined: u64,
    /// Labels handed to the engine (each only once replay time reached its `label_known_at`).
    pub labels_used: u64,
    pub retrainings: u64,
    pub model: Option<ModelSummary>,
}

/// A label waiting for replay time to reach the moment it becomes known.
struct Pending {
    known_at: Timestamp,
    sequence: u64,
    outcome: Outcome,
    verdict: Verdict,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        (self.known_at, self.sequence) == (other.known_at, other.sequence)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.known_at, self.sequence).cmp(&(other.known_at, other.sequence))
    }
}

/// Runs a fresh engine with `config` over `input` and writes one decision per row to `output`.
pub fn replay(
    config: &Config,
    input: impl BufRead,
    output: impl Write,
    mut progress: impl FnMut(&Progress),
) -> Result<ReplaySummary, ReplayError> {
    let mut engine = Engine::new(config.clone())?;
    let mut rows = Rows::new(input)?;
    let mut writer = csv::Writer::from_writer(output);
    let write_error = |e: csv::Error| ReplayError::Write(e.to_string());
    writer
        .write_record(["transaction_id", "decision", "score", "reasons"])
        .map_err(write_error)?;
    let mut cards: HashMap<String, CardKey> = HashMap::new();
    let mut pending: BinaryHeap<Reverse<Pending>> = BinaryHeap::new();
    let mut summary = ReplaySummary {
        rows: 0,
        approved: 0,
        challenged: 0,
        declined: 0,
        labels_used: 0,
        retrainings: 0,
        model: None,
    };
    let mut latest = None;
    while let Some(row) = rows.next_row()? {
        while pending
            .peek()
            .is_some_and(|Reverse(p)| p.known_at <= row.at)
        {
            if let Some(Reverse(p)) = pending.pop() {
                engine.learn(&p.outcome, p.verdict);
                summary.labels_used += 1;
            }
        }
        if engine.retrain_if_due(row.at).is_some() {
            summary.retrainings += 1;
        }
        let next_key = CardKey::from_u128(cards.len() as u128 + 1);
        let card = match cards.get(row.card_id.as_str()) {
            Some(&key) => key,
            None => {
                cards.insert(row.card_id.clone(), next_key);
                engine.enrol(next_key, CardStatus::Active)?;
                next_key
            }
        };
        let authorization = Authorization {
            card,
            amount: row.amount,
            merchant: Merchant {
                id: row.merchant_id,
                name: String::new(),
                mcc: row.mcc,
                country: row.country,
                city: String::new(),
                location: row.location,
            },
            card_present: row.card_present,
            at: row.at,
        };
        let decision = engine.decide(&authorization);
        match decision.verdict {
            Verdict::Approve => summary.approved += 1,
            Verdict::Challenge => summary.challenged += 1,
            Verdict::Decline => summary.declined += 1,
        }
        writer
            .write_record([
                row.transaction_id.as_str(),
                decision.verdict.as_str(),
                &format!("{:.8}", decision.score),
                &decision.reasons_text(),
            ])
            .map_err(write_error)?;
        if let (Some(label), Some(known_at)) = (row.label, row.label_known_at) {
            pending.push(Reverse(Pending {
                known_at,
                sequence: summary.rows,
                outcome: Outcome {
                    authorization,
                    label,
                    source: OutcomeSource::Replay,
                    known_at,
                    features: Some(decision.features),
                },
                verdict: decision.verdict,
            }));
        }
        summary.rows += 1;
        latest = Some(row.at);
        if summary.rows.is_multiple_of(PROGRESS_EVERY) {
            progress(&Progress {
                rows: summary.rows,
                at: latest,
                labels_used: summary.labels_used,
                model: engine.model().cloned(),
            });
        }
    }
    writer
        .flush()
        .map_err(|e| ReplayError::Write(e.to_string()))?;
    summary.model = engine.model().cloned();
    progress(&Progress {
        rows: summary.rows,
        at: latest,
        labels_used: summary.labels_used,
        model: summary.model.clone(),
    });
    Ok(summary)
}
