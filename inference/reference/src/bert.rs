//! Sentence embeddings with a BERT encoder (all-MiniLM-L6-v2) on the reference kernels: the same
//! architecture as candle-transformers' `BertModel` (post-norm layers, exact GELU), then mean pooling,
//! L2 normalisation and fixed point `round(x × 10⁶)`.
//!
//! Reads `config.json` and `model.safetensors` (f32). Input: token ids with the special tokens
//! already in place (what `Embedder::tokenize` gives); no padding, one sequence at a time.

use crate::{ReferenceError, Safetensors, kernels};
use serde::Deserialize;
use std::path::Path;

/// Fixed-point scale of embeddings.
pub const EMBEDDING_SCALE: f64 = 1e6;

/// The fixed-point form of a unit vector, `round(x × 10⁶)` in f64: the on-chain embedding, whichever
/// runtime computed `unit`.
pub fn quantize(unit: &[f32]) -> Vec<i32> {
    unit.iter().map(|x| (f64::from(*x) * EMBEDDING_SCALE).round() as i32).collect()
}

#[derive(Debug, Clone, Deserialize)]
struct Config {
    hidden_size: usize,
    num_attention_heads: usize,
    num_hidden_layers: usize,
    intermediate_size: usize,
    layer_norm_eps: f64,
    hidden_act: String,
    max_position_embeddings: usize,
    vocab_size: usize,
    type_vocab_size: usize,
}

struct Norm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

struct Dense {
    weight: Vec<f32>,
    bias: Vec<f32>,
}

struct Layer {
    query: Dense,
    key: Dense,
    value: Dense,
    attention_out: Dense,
    attention_norm: Norm,
    intermediate: Dense,
    output: Dense,
    output_norm: Norm,
}

/// A BERT sentence-embedding model on the reference kernels.
pub struct Bert {
    config: Config,
    eps: f32,
    word: Vec<f32>,
    position: Vec<f32>,
    token_type: Vec<f32>,
    embedding_norm: Norm,
    layers: Vec<Layer>,
}

impl std::fmt::Debug for Bert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bert").field("layers", &self.layers.len()).field("hidden", &self.config.hidden_size).finish()
    }
}

impl Bert {
    /// Loads `config.json` and `model.safetensors` from `dir`.
    pub fn load(dir: &Path) -> Result<Self, ReferenceError> {
        let config_path = dir.join("config.json");
        let config: Config =
            serde_json::from_slice(&crate::read(&config_path)?).map_err(|e| ReferenceError::format(&config_path, e))?;
        if config.hidden_act != "gelu" {
            return Err(ReferenceError::format(
                &config_path,
                format!("hidden_act {:?} (only gelu)", config.hidden_act),
            ));
        }
        if config.num_attention_heads == 0 || !config.hidden_size.is_multiple_of(config.num_attention_heads) {
            return Err(ReferenceError::format(&config_path, "hidden_size is not a multiple of the head count"));
        }
        let st = Safetensors::open(&dir.join("model.safetensors"))?;
        // sentence-transformers exports drop the `bert.` prefix; a full BertModel export keeps it.
        let prefix = if st.has("embeddings.word_embeddings.weight") { "" } else { "bert." };
        let (h, i) = (config.hidden_size, config.intermediate_size);
        let tensor = |name: &str, shape: &[usize]| st.f32_shaped(&format!("{prefix}{name}"), shape);
        let dense = |name: &str, out: usize, inp: usize| -> Result<Dense, ReferenceError> {
            Ok(Dense {
                weight: tensor(&format!("{name}.weight"), &[out, inp])?,
                bias: tensor(&format!("{name}.bias"), &[out])?,
            })
        };
        let norm = |name: &str| -> Result<Norm, ReferenceError> {
            Ok(Norm { gamma: tensor(&format!("{name}.weight"), &[h])?, beta: tensor(&format!("{name}.bias"), &[h])? })
        };
        let layers = (0..config.num_hidden_layers)
            .map(|l| {
                let p = format!("encoder.layer.{l}");
                Ok(Layer {
                    query: dense(&format!("{p}.attention.self.query"), h, h)?,
                    key: dense(&format!("{p}.attention.self.key"), h, h)?,
                    value: dense(&format!("{p}.attention.self.value"), h, h)?,
                    attention_out: dense(&format!("{p}.attention.output.dense"), h, h)?,
                    attention_norm: norm(&format!("{p}.attention.output.LayerNorm"))?,
                    intermediate: dense(&format!("{p}.intermediate.dense"), i, h)?,
                    output: dense(&format!("{p}.output.dense"), h, i)?,
                    output_norm: norm(&format!("{p}.output.LayerNorm"))?,
                })
            })
            .collect::<Result<_, ReferenceError>>()?;
        Ok(Self {
            eps: config.layer_norm_eps as f32,
            word: tensor("embeddings.word_embeddings.weight", &[config.vocab_size, h])?,
            position: tensor("embeddings.position_embeddings.weight", &[config.max_position_embeddings, h])?,
            token_type: tensor("embeddings.token_type_embeddings.weight", &[config.type_vocab_size, h])?,
            embedding_norm: norm("embeddings.LayerNorm")?,
            layers,
            config,
        })
    }

    /// The embedding of `ids` in fixed point (×10⁶), unit length before rounding.
    pub fn embed(&self, ids: &[u32]) -> Result<Vec<i32>, ReferenceError> {
        Ok(quantize(&self.embed_unit(ids)?))
    }

    /// The unit-length embedding of `ids` before fixed point.
    pub fn embed_unit(&self, ids: &[u32]) -> Result<Vec<f32>, ReferenceError> {
        let h = self.config.hidden_size;
        if ids.is_empty() || ids.len() > self.config.max_position_embeddings {
            return Err(ReferenceError::Input(format!(
                "{} tokens (the model takes 1 to {})",
                ids.len(),
                self.config.max_position_embeddings
            )));
        }
        let mut xs = ids
            .iter()
            .enumerate()
            .map(|(t, id)| {
                let id = *id as usize;
                if id >= self.config.vocab_size {
                    return Err(ReferenceError::Input(format!("token id {id} outside the vocabulary")));
                }
                let row = |table: &[f32], r: usize| table[r * h..(r + 1) * h].to_vec();
                let (word, position, token_type) =
                    (row(&self.word, id), row(&self.position, t), row(&self.token_type, 0));
                let mut x: Vec<f32> =
                    word.iter().zip(&token_type).zip(&position).map(|((w, ty), p)| (w + ty) + p).collect();
                kernels::layer_norm(&mut x, &self.embedding_norm.gamma, &self.embedding_norm.beta, self.eps);
                Ok(x)
            })
            .collect::<Result<Vec<_>, _>>()?;
        for layer in &self.layers {
            xs = self.layer(layer, xs);
        }
        // Mean over tokens in token order, then L2 normalisation.
        let mut pooled = vec![0f32; h];
        for x in &xs {
            for (p, v) in pooled.iter_mut().zip(x) {
                *p += v;
            }
        }
        let n = xs.len() as f32;
        pooled.iter_mut().for_each(|p| *p /= n);
        let norm = kernels::dot(&pooled, &pooled).sqrt();
        Ok(pooled.iter().map(|p| p / norm).collect())
    }

    fn layer(&self, layer: &Layer, xs: Vec<Vec<f32>>) -> Vec<Vec<f32>> {
        let heads = self.config.num_attention_heads;
        let head_dim = self.config.hidden_size / heads;
        let scale = 1.0 / (head_dim as f32).sqrt();
        let linear = |xs: &[Vec<f32>], d: &Dense| kernels::linear_batch(xs, &d.weight, Some(&d.bias));
        let (q, k, v) = (linear(&xs, &layer.query), linear(&xs, &layer.key), linear(&xs, &layer.value));
        let mut context = vec![vec![0f32; self.config.hidden_size]; xs.len()];
        for head in 0..heads {
            let span = head * head_dim..(head + 1) * head_dim;
            for (t, ctx) in context.iter_mut().enumerate() {
                let mut scores: Vec<f32> =
                    k.iter().map(|k| kernels::dot(&q[t][span.clone()], &k[span.clone()]) * scale).collect();
                kernels::softmax(&mut scores);
                for (p, v) in scores.iter().zip(&v) {
                    for (c, v) in ctx[span.clone()].iter_mut().zip(&v[span.clone()]) {
                        *c += p * v;
                    }
                }
            }
        }
        let attended = linear(&context, &layer.attention_out);
        let mut xs: Vec<Vec<f32>> = attended
            .into_iter()
            .zip(xs)
            .map(|(a, x)| {
                let mut y: Vec<f32> = a.iter().zip(&x).map(|(a, x)| a + x).collect();
                kernels::layer_norm(&mut y, &layer.attention_norm.gamma, &layer.attention_norm.beta, self.eps);
                y
            })
            .collect();
        let mut inner = linear(&xs, &layer.intermediate);
        inner.iter_mut().flatten().for_each(|v| *v = kernels::gelu(*v));
        let out = linear(&inner, &layer.output);
        for (x, o) in xs.iter_mut().zip(out) {
            for (x, o) in x.iter_mut().zip(o) {
                *x += o;
            }
            kernels::layer_norm(x, &layer.output_norm.gamma, &layer.output_norm.beta, self.eps);
        }
        xs
    }
}
