//! The BERT encoder forward pass (inference only, no dropout), as all-MiniLM-L6-v2 needs it:
//! word + position + token-type embeddings, then `layers` × (self-attention, feed-forward), each
//! followed by a residual connection and LayerNorm ("post-norm"). Weight names follow the
//! Hugging Face `BertModel` safetensors.

use candle_core::{DType, Module, Result, Tensor};
use candle_nn::{Embedding, LayerNorm, Linear, VarBuilder, embedding, layer_norm, linear};
use serde::Deserialize;

/// The fields of `config.json` the forward pass uses.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct BertConfig {
    pub(crate) vocab_size: usize,
    pub(crate) hidden_size: usize,
    pub(crate) num_hidden_layers: usize,
    pub(crate) num_attention_heads: usize,
    pub(crate) intermediate_size: usize,
    pub(crate) max_position_embeddings: usize,
    pub(crate) type_vocab_size: usize,
    pub(crate) layer_norm_eps: f64,
    pub(crate) hidden_act: String,
}

pub(crate) struct Bert {
    words: Embedding,
    positions: Embedding,
    token_types: Embedding,
    embeddings_norm: LayerNorm,
    layers: Vec<Layer>,
    heads: usize,
    max_positions: usize,
}

struct Layer {
    /// Query, key and value in one product.
    qkv: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
}

impl Bert {
    pub(crate) fn load(vb: VarBuilder<'_>, config: &BertConfig) -> Result<Self> {
        if config.hidden_act != "gelu" {
            candle_core::bail!("unsupported activation {:?}", config.hidden_act);
        }
        if config.num_attention_heads == 0
            || !config
                .hidden_size
                .is_multiple_of(config.num_attention_heads)
        {
            candle_core::bail!("hidden size not divisible by the number of heads");
        }
        let h = config.hidden_size;
        let eps = config.layer_norm_eps;
        let e = vb.pp("embeddings");
        let layers = (0..config.num_hidden_layers)
            .map(|i| {
                let l = vb.pp(format!("encoder.layer.{i}"));
                Ok(Layer {
                    qkv: fused_qkv(h, l.pp("attention.self"))?,
                    attention_out: linear(h, h, l.pp("attention.output.dense"))?,
                    attention_norm: layer_norm(h, eps, l.pp("attention.output.LayerNorm"))?,
                    intermediate: linear(h, config.intermediate_size, l.pp("intermediate.dense"))?,
                    output: linear(config.intermediate_size, h, l.pp("output.dense"))?,
                    output_norm: layer_norm(h, eps, l.pp("output.LayerNorm"))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            words: embedding(config.vocab_size, h, e.pp("word_embeddings"))?,
            positions: embedding(
                config.max_position_embeddings,
                h,
                e.pp("position_embeddings"),
            )?,
            token_types: embedding(config.type_vocab_size, h, e.pp("token_type_embeddings"))?,
            embeddings_norm: layer_norm(h, eps, e.pp("LayerNorm"))?,
            layers,
            heads: config.num_attention_heads,
            max_positions: config.max_position_embeddings,
        })
    }

    /// The hidden states `(batch, tokens, hidden)` of `ids` and `types` (`(batch, tokens)`, u32)
    /// after the embeddings (index 0) and after each layer (1..=layers), up to layer `last`;
    /// `mask` (`(batch, tokens)`, 1 for a real token, 0 for padding) keeps padding out of the
    /// attention.
    pub(crate) fn forward(
        &self,
        ids: &Tensor,
        types: &Tensor,
        mask: &Tensor,
        last: usize,
    ) -> Result<Vec<Tensor>> {
        let (batch, tokens) = ids.dims2()?;
        if tokens > self.max_positions {
            candle_core::bail!("{tokens} tokens, at most {} fit", self.max_positions);
        }
        let positions = Tensor::arange(0u32, tokens as u32, ids.device())?;
        let x = self
            .words
            .forward(ids)?
            .broadcast_add(&self.positions.forward(&positions)?)?
            .add(&self.token_types.forward(types)?)?;
        let mut states = vec![self.embeddings_norm.forward(&x)?];
        // 0 where attending is allowed, a large negative number on padding: `(batch, 1, 1, tokens)`.
        let bias = ((mask.to_dtype(DType::F32)? - 1.0)? * 1e4)?.reshape((batch, 1, 1, tokens))?;
        for layer in self.layers.iter().take(last) {
            let x = layer.forward(&states[states.len() - 1], &bias, self.heads)?;
            states.push(x);
        }
        Ok(states)
    }

    pub(crate) fn layers(&self) -> usize {
        self.layers.len()
    }
}

/// Query, key and value (Hugging Face `Linear`s, `weight` `(out, in)`) stacked into one layer,
/// so that one matrix product computes all three.
fn fused_qkv(hidden: usize, vb: VarBuilder<'_>) -> Result<Linear> {
    let parts = ["query", "key", "value"];
    let get = |name: &str| -> Result<(Tensor, Tensor)> {
        let vb = vb.pp(name);
        Ok((vb.get((hidden, hidden), "weight")?, vb.get(hidden, "bias")?))
    };
    let (weights, biases): (Vec<Tensor>, Vec<Tensor>) = parts
        .iter()
        .map(|p| get(p))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .unzip();
    Ok(Linear::new(
        Tensor::cat(&weights, 0)?,
        Some(Tensor::cat(&biases, 0)?),
    ))
}

impl Layer {
    fn forward(&self, x: &Tensor, bias: &Tensor, heads: usize) -> Result<Tensor> {
        let (batch, tokens, hidden) = x.dims3()?;
        let size = hidden / heads;
        // `(batch, tokens, 3 · hidden)` → query, key and value, each `(batch, heads, tokens, size)`.
        let qkv = self
            .qkv
            .forward(x)?
            .reshape((batch, tokens, 3, heads, size))?
            .permute((2, 0, 3, 1, 4))?;
        let part = |i: usize| qkv.get(i)?.contiguous();
        let (q, k, v) = (part(0)?, part(1)?, part(2)?);
        let scores = (q.matmul(&k.t()?)? / (size as f64).sqrt())?.broadcast_add(bias)?;
        let weights = candle_nn::ops::softmax_last_dim(&scores)?;
        let context = weights
            .matmul(&v)?
            .transpose(1, 2)?
            .reshape((batch, tokens, hidden))?;
        let x = self
            .attention_norm
            .forward(&(self.attention_out.forward(&context)? + x)?)?;
        let inner = self.intermediate.forward(&x)?.gelu_erf()?;
        self.output_norm
            .forward(&(self.output.forward(&inner)? + x)?)
    }
}
