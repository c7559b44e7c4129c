//! Measuring a model on labelled messages, and stratified cross-validation.

use std::fmt;

use domain::Department;
use serde::{Deserialize, Serialize};

use crate::folds::{complement, stratified_folds};
use crate::labels::Labels;
use crate::lexical::{DataError, Examples, LexicalConfig, LexicalModel, TrainError, TrainProgress};
use crate::model::{Classification, ClassifyError, IntentModel, ModelKind};
use crate::routing::{Route, RoutingPolicy, SafetyNet, route};
use crate::safety::safety_signal;
use crate::text::Query;

/// Messages classified per call while evaluating (one progress step each).
const BATCH: usize = 64;
/// Confusion pairs listed in a report.
const CONFUSIONS: usize = 10;
/// Calibration bins over the top-1 confidence.
const BINS: usize = 10;

/// An evaluation that could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Classify(#[from] ClassifyError),
}

/// How a model did on labelled messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub model: ModelKind,
    pub examples: usize,
    /// Share of messages whose top intent is right.
    pub accuracy: f64,
    /// Unweighted mean of the per-intent F1 scores.
    pub macro_f1: f64,
    /// Share of messages whose top intent is in the right department.
    pub department_accuracy: f64,
    /// Recall of each department (by the top intent's department).
    pub departments: Vec<DepartmentRecall>,
    pub safety: SafetyReport,
    pub routing: RoutingReport,
    pub calibration: Calibration,
    /// The most confused intent pairs, both directions counted.
    pub confusions: Vec<Confusion>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepartmentRecall {
    pub department: Department,
    pub examples: usize,
    pub recall: f64,
}

/// The safety net measured on messages whose gold department is lost_or_stolen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SafetyReport {
    /// Messages whose gold intent belongs to lost_or_stolen.
    pub examples: usize,
    /// Of those, routed to lost_or_stolen.
    pub caught: usize,
    pub recall: f64,
    /// Recall without the phrase rules (model routing and probability threshold only).
    pub model_recall: f64,
    /// Recall of the phrase rules alone.
    pub phrase_recall: f64,
    /// Gold intents of the messages missed, most frequent first.
    pub missed: Vec<(String, usize)>,
    /// Messages of other departments.
    pub other_examples: usize,
    /// Of those, routed to lost_or_stolen.
    pub pulled_in: usize,
    /// Gold intents of the messages pulled in, most frequent first.
    pub pulled_in_by_intent: Vec<(String, usize)>,
}

/// What the routing decision did with the messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutingReport {
    pub policy: RoutingPolicy,
    /// Sent to a department, and of those to the gold department.
    pub routed: usize,
    pub routed_correctly: usize,
    /// Given a clarifying question, and of those with the gold intent among its options.
    pub clarified: usize,
    pub clarified_with_answer: usize,
    /// Handed to a person.
    pub to_person: usize,
}

/// Reliability of the top-1 confidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Expected calibration error: the example-weighted mean |accuracy − confidence| over bins.
    pub ece: f64,
    pub bins: Vec<CalibrationBin>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBin {
    pub from: f64,
    pub to: f64,
    pub examples: usize,
    pub mean_confidence: f64,
    pub accuracy: f64,
}

/// Two intents mistaken for each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    pub first: String,
    pub second: String,
    /// `first` predicted as `second`, and the other way round.
    pub first_as_second: usize,
    pub second_as_first: usize,
}

/// Classifies labelled rows (`(text, intent)`) and measures the result. `progress(done, total)`
/// is called after each batch.
pub fn evaluate(
    model: &dyn IntentModel,
    rows: &[(String, String)],
    policy: &RoutingPolicy,
    mut progress: impl FnMut(usize, usize),
) -> Result<Report, EvalError> {
    let examples = Examples::new(rows, model.labels())?;
    let mut probabilities = Vec::with_capacity(rows.len());
    for batch in examples.queries.chunks(BATCH) {
        probabilities.extend(model.probabilities(batch)?);
        progress(probabilities.len(), rows.len());
    }
    Ok(build_report(
        model.labels(),
        model.kind(),
        &examples.queries,
        &examples.gold,
        &probabilities,
        policy,
    ))
}

/// Cross-validation: per-fold scores and a report pooled over every held-out prediction.
#[derive(Debug, Clone)]
pub struct CrossValidation {
    pub folds: Vec<FoldScore>,
    pub pooled: Report,
    labels: Labels,
    queries: Vec<Query>,
    gold: Vec<usize>,
    probabilities: Vec<Vec<f32>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldScore {
    pub examples: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
}

/// Where cross-validation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrossValidationProgress {
    /// 1-based.
    pub fold: usize,
    pub folds: usize,
    pub training: TrainProgress,
}

impl CrossValidation {
    pub fn mean_accuracy(&self) -> f64 {
        mean(self.folds.iter().map(|f| f.accuracy))
    }

    pub fn mean_macro_f1(&self) -> f64 {
        mean(self.folds.iter().map(|f| f.macro_f1))
    }

    /// The pooled report under another routing policy, without retraining (to choose
    /// thresholds).
    pub fn reroute(&self, policy: &RoutingPolicy) -> Report {
        build_report(
            &self.labels,
            self.pooled.model,
            &self.queries,
            &self.gold,
            &self.probabilities,
            policy,
        )
    }

    /// The held-out probabilities of every row, in row order, and the gold label indices.
    pub fn held_out(&self) -> (&[Vec<f32>], &[usize]) {
        (&self.probabilities, &self.gold)
    }

    /// Runs `fit_and_predict(train_rows, held_out_rows)` on each stratified fold; it returns the
    /// probabilities of the held-out rows (indices into `rows`, ascending) in order.
    pub fn run<E: From<DataError>>(
        labels: &Labels,
        model: ModelKind,
        rows: &[(String, String)],
        folds: usize,
        seed: u64,
        policy: &RoutingPolicy,
        mut fit_and_predict: impl FnMut(usize, &[usize], &[usize]) -> Result<Vec<Vec<f32>>, E>,
    ) -> Result<Self, E> {
        let examples = Examples::new(rows, labels)?;
        let n = rows.len();
        let mut probabilities = vec![Vec::new(); n];
        let mut scores = Vec::new();
        for (fold, held_out) in stratified_folds(&examples.gold, folds, seed)
            .iter()
            .enumerate()
        {
            let train = complement(held_out, n);
            let predicted = fit_and_predict(fold + 1, &train, held_out)?;
            for (&i, p) in held_out.iter().zip(predicted) {
                probabilities[i] = p;
            }
            let fold_gold: Vec<usize> = held_out.iter().map(|&i| examples.gold[i]).collect();
            let fold_top: Vec<usize> = held_out
                .iter()
                .map(|&i| argmax(&probabilities[i]))
                .collect();
            scores.push(FoldScore {
                examples: held_out.len(),
                accuracy: accuracy(&fold_gold, &fold_top),
                macro_f1: macro_f1(&fold_gold, &fold_top, labels.len()),
            });
        }
        let pooled = build_report(
            labels,
            model,
            &examples.queries,
            &examples.gold,
            &probabilities,
            policy,
        );
        Ok(Self {
            folds: scores,
            pooled,
            labels: labels.clone(),
            queries: examples.queries,
            gold: examples.gold,
            probabilities,
        })
    }
}

/// Stratified k-fold cross-validation of the lexical model: each fold trains on the other folds
/// (with its own calibration) and predicts the held-out one.
pub fn cross_validate_lexical(
    rows: &[(String, String)],
    departments: &[(String, Department)],
    config: &LexicalConfig,
    folds: usize,
    seed: u64,
    policy: &RoutingPolicy,
    mut progress: impl FnMut(CrossValidationProgress),
) -> Result<CrossValidation, TrainError> {
    let labels = Labels::new(departments)?;
    let examples = Examples::new(rows, &labels)?;
    examples.check_coverage(&labels)?;
    CrossValidation::run(
        &labels,
        ModelKind::Lexical,
        rows,
        folds,
        seed,
        policy,
        |fold, train, held_out| {
            let model =
                LexicalModel::fit(&labels, &examples, train, config, seed, &mut |training| {
                    progress(CrossValidationProgress {
                        fold,
                        folds,
                        training,
                    });
                });
            let queries: Vec<Query> = held_out
                .iter()
                .map(|&i| examples.queries[i].clone())
                .collect();
            // The lexical model never fails to classify.
            Ok(model.probabilities(&queries).unwrap_or_default())
        },
    )
}

fn build_report(
    labels: &Labels,
    model: ModelKind,
    queries: &[Query],
    gold: &[usize],
    probabilities: &[Vec<f32>],
    policy: &RoutingPolicy,
) -> Report {
    let top: Vec<usize> = probabilities.iter().map(|p| argmax(p)).collect();
    let classifications: Vec<Classification> = probabilities
        .iter()
        .map(|p| Classification::from_probabilities(labels, p, model))
        .collect();
    let routes: Vec<Route> = classifications
        .iter()
        .zip(queries)
        .map(|(c, q)| route(c, q, policy))
        .collect();
    let gold_department = |i: usize| labels.department(gold[i]);

    let departments = labels
        .departments()
        .into_iter()
        .filter_map(|department| {
            let members: Vec<usize> = (0..gold.len())
                .filter(|&i| gold_department(i) == department)
                .collect();
            (!members.is_empty()).then(|| DepartmentRecall {
                department,
                examples: members.len(),
                recall: share(
                    members
                        .iter()
                        .filter(|&&i| labels.department(top[i]) == department)
                        .count(),
                    members.len(),
                ),
            })
        })
        .collect();

    Report {
        model,
        examples: gold.len(),
        accuracy: accuracy(gold, &top),
        macro_f1: macro_f1(gold, &top, labels.len()),
        department_accuracy: share(
            (0..gold.len())
                .filter(|&i| labels.department(top[i]) == gold_department(i))
                .count(),
            gold.len(),
        ),
        departments,
        safety: safety_report(labels, queries, gold, &classifications, &routes, policy),
        routing: routing_report(labels, gold, &routes, policy),
        calibration: calibration(gold, &top, probabilities),
        confusions: confusions(labels, gold, &top),
    }
}

fn safety_report(
    labels: &Labels,
    queries: &[Query],
    gold: &[usize],
    classifications: &[Classification],
    routes: &[Route],
    policy: &RoutingPolicy,
) -> SafetyReport {
    let target = Department::LostOrStolen;
    let routed_there = |i: usize| routes[i].department() == Some(target);
    let by_model = |i: usize| match &routes[i] {
        Route::Department {
            department,
            safety_net,
            ..
        } => {
            *department == target && !matches!(safety_net, Some(SafetyNet::Phrase { .. }))
                || classifications[i].department_confidence(target) >= policy.lost_or_stolen_at
        }
        Route::Clarify { .. } | Route::Person { .. } => {
            classifications[i].department_confidence(target) >= policy.lost_or_stolen_at
        }
    };
    let (members, others): (Vec<usize>, Vec<usize>) =
        (0..gold.len()).partition(|&i| labels.department(gold[i]) == target);
    let caught = members.iter().filter(|&&i| routed_there(i)).count();
    let pulled: Vec<usize> = others
        .iter()
        .copied()
        .filter(|&i| routed_there(i))
        .collect();
    SafetyReport {
        examples: members.len(),
        caught,
        recall: share(caught, members.len()),
        model_recall: share(
            members.iter().filter(|&&i| by_model(i)).count(),
            members.len(),
        ),
        phrase_recall: share(
            members
                .iter()
                .filter(|&&i| safety_signal(queries[i].as_str()).is_some())
                .count(),
            members.len(),
        ),
        missed: count_intents(
            labels,
            members
                .iter()
                .filter(|&&i| !routed_there(i))
                .map(|&i| gold[i]),
        ),
        other_examples: others.len(),
        pulled_in: pulled.len(),
        pulled_in_by_intent: count_intents(labels, pulled.iter().map(|&i| gold[i])),
    }
}

fn routing_report(
    labels: &Labels,
    gold: &[usize],
    routes: &[Route],
    policy: &RoutingPolicy,
) -> RoutingReport {
    let mut report = RoutingReport {
        policy: policy.clone(),
        routed: 0,
        routed_correctly: 0,
        clarified: 0,
        clarified_with_answer: 0,
        to_person: 0,
    };
    for (r, &g) in routes.iter().zip(gold) {
        match r {
            Route::Department { department, .. } => {
                report.routed += 1;
                report.routed_correctly += usize::from(*department == labels.department(g));
            }
            Route::Clarify { options } => {
                report.clarified += 1;
                report.clarified_with_answer +=
                    usize::from(options.iter().any(|o| o.intent == labels.intent(g)));
            }
            Route::Person { .. } => report.to_person += 1,
        }
    }
    report
}

fn calibration(gold: &[usize], top: &[usize], probabilities: &[Vec<f32>]) -> Calibration {
    let mut bins: Vec<CalibrationBin> = (0..BINS)
        .map(|b| CalibrationBin {
            from: b as f64 / BINS as f64,
            to: (b + 1) as f64 / BINS as f64,
            examples: 0,
            mean_confidence: 0.0,
            accuracy: 0.0,
        })
        .collect();
    for ((p, &g), &t) in probabilities.iter().zip(gold).zip(top) {
        let confidence = f64::from(p.get(t).copied().unwrap_or(0.0));
        let bin = &mut bins[((confidence * BINS as f64) as usize).min(BINS - 1)];
        bin.examples += 1;
        bin.mean_confidence += confidence;
        bin.accuracy += f64::from(u8::from(g == t));
    }
    let total = gold.len().max(1) as f64;
    let mut ece = 0.0;
    for bin in bins.iter_mut().filter(|b| b.examples > 0) {
        bin.mean_confidence /= bin.examples as f64;
        bin.accuracy /= bin.examples as f64;
        ece += bin.examples as f64 / total * (bin.accuracy - bin.mean_confidence).abs();
    }
    Calibration { ece, bins }
}

fn confusions(labels: &Labels, gold: &[usize], top: &[usize]) -> Vec<Confusion> {
    let n = labels.len();
    let mut counts = vec![0usize; n * n];
    for (&g, &t) in gold.iter().zip(top) {
        if g != t {
            counts[g * n + t] += 1;
        }
    }
    let mut pairs: Vec<Confusion> = (0..n)
        .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
        .filter(|&(a, b)| counts[a * n + b] + counts[b * n + a] > 0)
        .map(|(a, b)| Confusion {
            first: labels.intent(a).to_owned(),
            second: labels.intent(b).to_owned(),
            first_as_second: counts[a * n + b],
            second_as_first: counts[b * n + a],
        })
        .collect();
    pairs.sort_by(|x, y| {
        (y.first_as_second + y.second_as_first)
            .cmp(&(x.first_as_second + x.second_as_first))
            .then_with(|| x.first.cmp(&y.first))
            .then_with(|| x.second.cmp(&y.second))
    });
    pairs.truncate(CONFUSIONS);
    pairs
}

fn count_intents(labels: &Labels, intents: impl Iterator<Item = usize>) -> Vec<(String, usize)> {
    let mut counts = vec![0usize; labels.len()];
    for i in intents {
        counts[i] += 1;
    }
    let mut out: Vec<(String, usize)> = counts
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .map(|(i, c)| (labels.intent(i).to_owned(), *c))
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

pub(crate) fn argmax(p: &[f32]) -> usize {
    // First maximum, matching `Classification::from_probabilities`.
    p.iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (i, v)| {
            if *v > best.1 { (i, *v) } else { best }
        })
        .0
}

fn accuracy(gold: &[usize], top: &[usize]) -> f64 {
    share(
        gold.iter().zip(top).filter(|(g, t)| g == t).count(),
        gold.len(),
    )
}

/// Mean F1 over the intents that occur in `gold` or `top`.
fn macro_f1(gold: &[usize], top: &[usize], classes: usize) -> f64 {
    let mut true_positive = vec![0usize; classes];
    let mut predicted = vec![0usize; classes];
    let mut actual = vec![0usize; classes];
    for (&g, &t) in gold.iter().zip(top) {
        actual[g] += 1;
        predicted[t] += 1;
        true_positive[g] += usize::from(g == t);
    }
    mean(
        (0..classes)
            .filter(|&c| actual[c] + predicted[c] > 0)
            .map(|c| 2.0 * true_positive[c] as f64 / (actual[c] + predicted[c]) as f64),
    )
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { 0.0 } else { sum / n as f64 }
}

fn percent(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "model: {}   examples: {}", self.model, self.examples)?;
        writeln!(f, "accuracy:            {}", percent(self.accuracy))?;
        writeln!(f, "macro-F1:            {}", percent(self.macro_f1))?;
        writeln!(
            f,
            "department accuracy: {}",
            percent(self.department_accuracy)
        )?;
        writeln!(f, "calibration ECE:     {}", percent(self.calibration.ece))?;
        writeln!(f, "\nrecall by department:")?;
        for d in &self.departments {
            writeln!(
                f,
                "  {:<26} {:>8}  ({} examples)",
                d.department.as_str(),
                percent(d.recall),
                d.examples
            )?;
        }
        let s = &self.safety;
        writeln!(f, "\nlost/stolen-and-fraud safety net:")?;
        writeln!(
            f,
            "  recall              {}  ({} of {})",
            percent(s.recall),
            s.caught,
            s.examples
        )?;
        writeln!(f, "  model alone         {}", percent(s.model_recall))?;
        writeln!(f, "  phrase rules alone  {}", percent(s.phrase_recall))?;
        if !s.missed.is_empty() {
            writeln!(f, "  missed:             {}", list(&s.missed))?;
        }
        writeln!(
            f,
            "  pulled in           {}  ({} of {} other messages)",
            percent(share(s.pulled_in, s.other_examples)),
            s.pulled_in,
            s.other_examples
        )?;
        if !s.pulled_in_by_intent.is_empty() {
            writeln!(f, "  pulled in from:     {}", list(&s.pulled_in_by_intent))?;
        }
        let r = &self.routing;
        writeln!(
            f,
            "\nrouting (route at {:.2}, clarify at {:.2}, lost/stolen at {:.2}):",
            r.policy.route_at, r.policy.clarify_at, r.policy.lost_or_stolen_at
        )?;
        writeln!(
            f,
            "  to a department     {}  ({} right department)",
            percent(share(r.routed, self.examples)),
            percent(share(r.routed_correctly, r.routed))
        )?;
        writeln!(
            f,
            "  clarifying question {}  ({} offer the right intent)",
            percent(share(r.clarified, self.examples)),
            percent(share(r.clarified_with_answer, r.clarified))
        )?;
        writeln!(
            f,
            "  to a person         {}",
            percent(share(r.to_person, self.examples))
        )?;
        writeln!(f, "\nreliability (top-1 confidence):")?;
        writeln!(
            f,
            "  {:<11} {:>8} {:>11} {:>9}",
            "confidence", "examples", "mean conf.", "accuracy"
        )?;
        for b in self.calibration.bins.iter().filter(|b| b.examples > 0) {
            writeln!(
                f,
                "  {:.1}–{:.1}     {:>8} {:>11} {:>9}",
                b.from,
                b.to,
                b.examples,
                percent(b.mean_confidence),
                percent(b.accuracy)
            )?;
        }
        writeln!(f, "\nmost confused intent pairs:")?;
        for c in &self.confusions {
            writeln!(
                f,
                "  {:>3}  {} ↔ {}  ({} / {})",
                c.first_as_second + c.second_as_first,
                c.first,
                c.second,
                c.first_as_second,
                c.second_as_first
            )?;
        }
        Ok(())
    }
}

fn list(counts: &[(String, usize)]) -> String {
    counts
        .iter()
        .take(6)
        .map(|(i, c)| format!("{i} {c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for CrossValidation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}-fold stratified cross-validation", self.folds.len())?;
        for (i, fold) in self.folds.iter().enumerate() {
            writeln!(
                f,
                "  fold {}: accuracy {}  macro-F1 {}  ({} held out)",
                i + 1,
                percent(fold.accuracy),
                percent(fold.macro_f1),
                fold.examples
            )?;
        }
        writeln!(
            f,
            "  mean:   accuracy {}  macro-F1 {}\n",
            percent(self.mean_accuracy()),
            percent(self.mean_macro_f1())
        )?;
        write!(f, "pooled over all held-out predictions:\n{}", self.pooled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_match_hand_computed_values() {
        let gold = [0, 0, 1, 1, 2];
        let top = [0, 1, 1, 1, 0];
        assert!((accuracy(&gold, &top) - 0.6).abs() < 1e-12);
        // F1: class 0 = 2·1/(2+2) = 0.5, class 1 = 2·2/(2+3) = 0.8, class 2 = 0.
        assert!((macro_f1(&gold, &top, 3) - 1.3 / 3.0).abs() < 1e-12);
        assert_eq!(argmax(&[0.2, 0.5, 0.5]), 1);
    }

    #[test]
    fn calibration_bins_compare_confidence_and_accuracy() {
        let probabilities = vec![
            vec![0.95, 0.05],
            vec![0.95, 0.05],
            vec![0.55, 0.45],
            vec![0.55, 0.45],
        ];
        let gold = [0, 1, 0, 0];
        let top = [0, 0, 0, 0];
        let c = calibration(&gold, &top, &probabilities);
        let high = &c.bins[9];
        assert_eq!((high.examples, high.accuracy), (2, 0.5));
        // |0.5 − 0.95|·½ + |1 − 0.55|·½
        assert!((c.ece - 0.45).abs() < 1e-6, "{}", c.ece);
    }
}
