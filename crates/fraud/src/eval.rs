//! Evaluation of a decisions file against the labelled replay input, as the Fraud Detection
//! Handbook measures it (see `shared/data/fraud/README.md`, "How results are measured").

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::BufRead;

use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::replay::{ReplayError, Rows};
use crate::types::{Label, Verdict};

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("labelled input: {0}")]
    Input(#[from] ReplayError),
    #[error("decisions file, line {line}: {problem}")]
    Decisions { line: u64, problem: String },
    #[error("transaction {0:?} of the labelled input has no decision")]
    MissingDecision(String),
    #[error("the test window {first}..{last} holds no labelled transaction to score")]
    Empty { first: Date, last: Date },
}

/// Whole UTC days, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestWindow {
    pub first: Date,
    pub last: Date,
}

/// Figures for one test window.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Report {
    pub first: String,
    pub last: String,
    /// Transactions scored (known compromised cards left out).
    pub transactions: usize,
    pub frauds: usize,
    /// Transactions of known compromised cards, left out.
    pub excluded: usize,
    pub auc_roc: f64,
    pub average_precision: f64,
    /// (k, mean card precision@k over the test days).
    pub card_precision: Vec<(usize, f64)>,
    /// (k, the best card precision@k any scoring could reach: every compromised card ranked first).
    /// Few compromised cards a day cap it well below 1.
    pub card_precision_ceiling: Vec<(usize, f64)>,
    /// Decision figures over the scored transactions.
    pub scored: DecisionFigures,
    /// Decision figures over every transaction of the window.
    pub all: DecisionFigures,
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct DecisionFigures {
    pub transactions: usize,
    pub challenged_share: f64,
    pub declined_share: f64,
    /// Of the challenged or declined transactions, the share that were fraud.
    pub precision: f64,
    /// Of the frauds, the share challenged or declined.
    pub recall: f64,
}

struct Scored {
    day: Date,
    card: String,
    fraud: bool,
    score: f64,
    verdict: Verdict,
}

/// Reads a decisions file (`transaction_id,decision,score,reasons`).
pub fn read_decisions(input: impl BufRead) -> Result<HashMap<String, (Verdict, f64)>, EvalError> {
    let mut reader = csv::ReaderBuilder::new().from_reader(input);
    let header = reader
        .headers()
        .map_err(|e| EvalError::Decisions {
            line: 1,
            problem: e.to_string(),
        })?
        .clone();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| EvalError::Decisions {
                line: 1,
                problem: format!("the header has no column `{name}`"),
            })
    };
    let (id, decision, score) = (
        column("transaction_id")?,
        column("decision")?,
        column("score")?,
    );
    let mut decisions = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| EvalError::Decisions {
            line: e.position().map_or(0, csv::Position::line),
            problem: e.to_string(),
        })?;
        let line = record.position().map_or(0, csv::Position::line);
        let bad = |problem: String| EvalError::Decisions { line, problem };
        let verdict = match record.get(decision).unwrap_or("") {
            "approve" => Verdict::Approve,
            "challenge" => Verdict::Challenge,
            "decline" => Verdict::Decline,
            other => {
                return Err(bad(format!(
                    "decision {other:?} is not approve, challenge or decline"
                )));
            }
        };
        let text = record.get(score).unwrap_or("");
        let value: f64 = text
            .parse()
            .map_err(|_| bad(format!("score {text:?} is not a number")))?;
        decisions.insert(record.get(id).unwrap_or("").to_owned(), (verdict, value));
    }
    Ok(decisions)
}

/// Evaluates `decisions` on the test window of the labelled input, with CP@k for each `k`.
pub fn evaluate(
    labelled: impl BufRead,
    decisions: &HashMap<String, (Verdict, f64)>,
    window: TestWindow,
    ks: &[usize],
) -> Result<Report, EvalError> {
    let history_from = window.first.saturating_sub(jiff::Span::new().days(14));
    // Card → days (UTC) on which it had a fraud, from 14 days before the window on.
    let mut fraud_days: HashMap<String, Vec<Date>> = HashMap::new();
    let mut in_window: Vec<Scored> = Vec::new();
    let mut rows = Rows::new(labelled)?;
    while let Some(row) = rows.next_row()? {
        let day = row.at.to_zoned_datetime(TimeZone::UTC).date();
        if day < history_from || day > window.last {
            continue;
        }
        let fraud = row.label == Some(Label::Fraud);
        if fraud {
            fraud_days.entry(row.card_id.clone()).or_default().push(day);
        }
        if day >= window.first {
            let Some(&(verdict, score)) = decisions.get(&row.transaction_id) else {
                return Err(EvalError::MissingDecision(row.transaction_id));
            };
            if row.label.is_some() {
                in_window.push(Scored {
                    day,
                    card: row.card_id,
                    fraud,
                    score,
                    verdict,
                });
            }
        }
    }
    // Known compromised on day D: a fraud between 14 days before the window and D − 8.
    let known_compromised = |card: &str, day: Date| {
        let last_known = day.saturating_sub(jiff::Span::new().days(8));
        fraud_days
            .get(card)
            .is_some_and(|days| days.iter().any(|d| *d >= history_from && *d <= last_known))
    };
    let all = figures(in_window.iter());
    let (scored, excluded): (Vec<Scored>, Vec<Scored>) = in_window
        .into_iter()
        .partition(|s| !known_compromised(&s.card, s.day));
    if scored.is_empty() {
        return Err(EvalError::Empty {
            first: window.first,
            last: window.last,
        });
    }
    let pairs: Vec<(f64, bool)> = scored.iter().map(|s| (s.score, s.fraud)).collect();
    Ok(Report {
        first: window.first.to_string(),
        last: window.last.to_string(),
        transactions: scored.len(),
        frauds: scored.iter().filter(|s| s.fraud).count(),
        excluded: excluded.len(),
        auc_roc: auc_roc(&pairs),
        average_precision: average_precision(&pairs),
        card_precision: ks
            .iter()
            .map(|&k| (k, card_precision(&scored, k, |s| s.score)))
            .collect(),
        card_precision_ceiling: ks
            .iter()
            .map(|&k| {
                (
                    k,
                    card_precision(&scored, k, |s| f64::from(u8::from(s.fraud))),
                )
            })
            .collect(),
        scored: figures(scored.iter()),
        all,
    })
}

fn figures<'a>(rows: impl Iterator<Item = &'a Scored>) -> DecisionFigures {
    let (mut n, mut challenged, mut declined, mut flagged_fraud, mut frauds) = (0, 0, 0, 0, 0);
    for s in rows {
        n += 1;
        match s.verdict {
            Verdict::Challenge => challenged += 1,
            Verdict::Decline => declined += 1,
            Verdict::Approve => {}
        }
        let flagged = s.verdict != Verdict::Approve;
        frauds += usize::from(s.fraud);
        flagged_fraud += usize::from(s.fraud && flagged);
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    DecisionFigures {
        transactions: n,
        challenged_share: ratio(challenged, n),
        declined_share: ratio(declined, n),
        precision: ratio(flagged_fraud, challenged + declined),
        recall: ratio(flagged_fraud, frauds),
    }
}

/// Area under the ROC curve (scikit-learn's `roc_auc_score`: ties count half).
pub fn auc_roc(pairs: &[(f64, bool)]) -> f64 {
    let mut sorted: Vec<(f64, bool)> = pairs.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let positives = sorted.iter().filter(|p| p.1).count() as f64;
    let negatives = sorted.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return f64::NAN;
    }
    // Sum of the positives' (average) ranks.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j < sorted.len() && sorted[j].0 == sorted[i].0 {
            j += 1;
        }
        let average_rank = (i + 1 + j) as f64 / 2.0;
        rank_sum += average_rank * sorted[i..j].iter().filter(|p| p.1).count() as f64;
        i = j;
    }
    (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives)
}

/// Average precision (scikit-learn's `average_precision_score`: Σ (Rₙ − Rₙ₋₁) Pₙ over the
/// distinct score thresholds, no interpolation).
pub fn average_precision(pairs: &[(f64, bool)]) -> f64 {
    let mut sorted: Vec<(f64, bool)> = pairs.to_vec();
    sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
    let positives = sorted.iter().filter(|p| p.1).count() as f64;
    if positives == 0.0 {
        return f64::NAN;
    }
    let (mut ap, mut true_positives, mut seen, mut previous_recall) = (0.0, 0.0, 0.0, 0.0);
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j < sorted.len() && sorted[j].0 == sorted[i].0 {
            true_positives += f64::from(u8::from(sorted[j].1));
            seen += 1.0;
            j += 1;
        }
        let recall = true_positives / positives;
        ap += (recall - previous_recall) * (true_positives / seen);
        previous_recall = recall;
        i = j;
    }
    ap
}

/// Mean over the test days of the handbook's card precision@k, ranking by `score`.
fn card_precision(scored: &[Scored], k: usize, score: impl Fn(&Scored) -> f64) -> f64 {
    let mut days: Vec<Date> = scored.iter().map(|s| s.day).collect();
    days.sort_unstable();
    days.dedup();
    let mut detected: HashSet<&str> = HashSet::new();
    let mut total = 0.0;
    for day in &days {
        // Card → (highest score of the day, any fraud that day).
        let mut cards: HashMap<&str, (f64, bool)> = HashMap::new();
        for s in scored
            .iter()
            .filter(|s| s.day == *day && !detected.contains(s.card.as_str()))
        {
            let entry = cards
                .entry(s.card.as_str())
                .or_insert((f64::NEG_INFINITY, false));
            entry.0 = entry.0.max(score(s));
            entry.1 |= s.fraud;
        }
        let mut ranked: Vec<(&str, (f64, bool))> = cards.into_iter().collect();
        // Ties broken by card id so that the figure is reproducible.
        ranked.sort_by(|a, b| b.1.0.total_cmp(&a.1.0).then(a.0.cmp(b.0)));
        let hits: Vec<&str> = ranked
            .iter()
            .take(k)
            .filter(|(_, (_, fraud))| *fraud)
            .map(|(card, _)| *card)
            .collect();
        total += hits.len() as f64 / k as f64;
        detected.extend(hits);
    }
    total / days.len().max(1) as f64
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "test window {} .. {}", self.first, self.last)?;
        writeln!(
            f,
            "  scored transactions {} ({} frauds); left out (known compromised cards) {}",
            self.transactions, self.frauds, self.excluded
        )?;
        writeln!(f, "  AUC ROC            {:.4}", self.auc_roc)?;
        writeln!(f, "  average precision  {:.4}", self.average_precision)?;
        for ((k, cp), (_, best)) in self.card_precision.iter().zip(&self.card_precision_ceiling) {
            writeln!(
                f,
                "  card precision@{k:<4}{cp:.4} (ceiling with true labels {best:.4})"
            )?;
        }
        for (what, d) in [("scored", &self.scored), ("all", &self.all)] {
            writeln!(
                f,
                "  decisions ({what}, {} tx): challenged {:.2} %, declined {:.2} %, precision {:.3}, recall {:.3}",
                d.transactions,
                100.0 * d.challenged_share,
                100.0 * d.declined_share,
                d.precision,
                d.recall
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_matches_scikit_learn() {
        // sklearn.metrics.roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
        let pairs = [(0.1, false), (0.4, false), (0.35, true), (0.8, true)];
        assert!((auc_roc(&pairs) - 0.75).abs() < 1e-12);
        // Ties count half: roc_auc_score([0, 1], [0.5, 0.5]) == 0.5
        assert!((auc_roc(&[(0.5, false), (0.5, true)]) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn average_precision_matches_scikit_learn() {
        // sklearn.metrics.average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.8333…
        let pairs = [(0.1, false), (0.4, false), (0.35, true), (0.8, true)];
        assert!((average_precision(&pairs) - 5.0 / 6.0).abs() < 1e-12);
        // A tie at the top: average_precision_score([1, 0, 1], [0.9, 0.9, 0.1]) == 0.58333…
        let tied = [(0.9, true), (0.9, false), (0.1, true)];
        assert!((average_precision(&tied) - 7.0 / 12.0).abs() < 1e-12);
    }

    fn scored(day: &str, card: &str, fraud: bool, score: f64) -> Scored {
        Scored {
            day: day.parse().unwrap(),
            card: card.to_owned(),
            fraud,
            score,
            verdict: Verdict::Approve,
        }
    }

    #[test]
    fn card_precision_drops_cards_detected_earlier() {
        let rows = [
            scored("2024-01-01", "A", true, 0.9),
            scored("2024-01-01", "B", false, 0.8),
            scored("2024-01-02", "A", true, 0.9),
            scored("2024-01-02", "C", true, 0.1),
            scored("2024-01-02", "B", false, 0.5),
        ];
        let by_score = |s: &Scored| s.score;
        // Day 1: top-1 = A (fraud) → 1.0. Day 2: A is dropped, top-1 = B → 0.0.
        assert!((card_precision(&rows, 1, by_score) - 0.5).abs() < 1e-12);
        // k = 2: day 1 A, B → 0.5; day 2: B, C → 0.5 (C has the fraud).
        assert!((card_precision(&rows, 2, by_score) - 0.5).abs() < 1e-12);
        // With the true labels: day 1 A → 1.0; day 2 C → 1.0. At k = 2 one fraud card a day: 0.5.
        let truth = |s: &Scored| f64::from(u8::from(s.fraud));
        assert!((card_precision(&rows, 1, truth) - 1.0).abs() < 1e-12);
        assert!((card_precision(&rows, 2, truth) - 0.5).abs() < 1e-12);
    }
}
