//! Embeds every message of train.csv once and writes the vectors (f32, little-endian, 384 per
//! row, in row order) so that head experiments need not rerun the encoder.
//!
//! cargo run --release -p intent --features embeddings --example embed_cache -- --model-dir DIR --out FILE

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use intent::embedding::{CONFIG_FILE, Encoder, EncoderFiles, TOKENIZER_FILE, WEIGHTS_FILE};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(common::arg("--model-dir", String::from("/tmp/minilm")));
    let out = PathBuf::from(common::arg(
        "--out",
        String::from("/tmp/train-embeddings.f32"),
    ));
    let (rows, _) = common::load_banking77()?;
    let start = Instant::now();
    let encoder = Encoder::load(EncoderFiles {
        weights: std::fs::read(dir.join(WEIGHTS_FILE))?,
        tokenizer: std::fs::read(dir.join(TOKENIZER_FILE))?,
        config: std::fs::read(dir.join(CONFIG_FILE))?,
    })?;
    eprintln!("loaded in {:.2} s", start.elapsed().as_secs_f64());
    let start = Instant::now();
    let mut file = std::io::BufWriter::new(std::fs::File::create(&out)?);
    for (i, batch) in rows.chunks(32).enumerate() {
        let texts: Vec<&str> = batch.iter().map(|(t, _)| t.as_str()).collect();
        for v in encoder.embed(&texts)? {
            for x in v {
                file.write_all(&x.to_le_bytes())?;
            }
        }
        if i % 50 == 0 {
            eprintln!(
                "{} / {} ({:.0} s)",
                i * 32,
                rows.len(),
                start.elapsed().as_secs_f64()
            );
        }
    }
    file.flush()?;
    eprintln!(
        "{} rows in {:.1} s",
        rows.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
