//! Sentence embeddings with a BERT encoder (all-MiniLM-L6-v2): mean pooling over tokens, L2
//! normalisation, then fixed point (`round(x × 1e6)` as `int32`) so results fit the EVM and compare
//! exactly. Two runtimes share the tokenizer: [`Embedder`] (candle, batched, the fast path whose low
//! bits depend on the CPU's kernels) and [`ReferenceEmbedder`] (`bai-reference`, bit-exact).

use anyhow::Context;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use std::path::Path;
use tokenizers::{Tokenizer, TruncationParams};

pub use bai_reference::bert::{EMBEDDING_SCALE, quantize};

/// A loaded embedding model.
pub struct Embedder {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder").field("device", &self.device).finish()
    }
}

impl Embedder {
    /// Loads `config.json`, `model.safetensors` and `tokenizer.json` from `dir`.
    pub fn load(dir: &Path, device: &Device) -> anyhow::Result<Self> {
        let config: Config = serde_json::from_slice(
            &std::fs::read(dir.join("config.json"))
                .with_context(|| format!("reading {}/config.json", dir.display()))?,
        )?;
        let tokenizer = load_tokenizer(dir)?;
        // SAFETY: the weights file is only read, and nothing else writes it while we run.
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[dir.join("model.safetensors")], DType::F32, device)? };
        let model = BertModel::load(vb, &config)?;
        Ok(Self { model, tokenizer, device: device.clone() })
    }

    /// Token ids for `text`, truncated to `max_tokens` (special tokens included).
    pub fn tokenize(&self, text: &str, max_tokens: usize) -> anyhow::Result<Vec<u32>> {
        tokenize(&self.tokenizer, text, max_tokens)
    }

    /// Unit-length embeddings of token sequences that all have the same length (so no padding is
    /// involved and each row's result does not depend on what it was batched with).
    pub fn embed_same_length(&self, batch: &[Vec<u32>]) -> anyhow::Result<Vec<Vec<f32>>> {
        let len = batch.first().map_or(0, Vec::len);
        anyhow::ensure!(batch.iter().all(|ids| ids.len() == len), "batch rows differ in length");
        let flat: Vec<u32> = batch.iter().flatten().copied().collect();
        let ids = Tensor::from_vec(flat, (batch.len(), len), &self.device)?;
        let token_types = ids.zeros_like()?;
        let hidden = self.model.forward(&ids, &token_types, None)?;
        // Mean over tokens (every position is real: no padding), then L2 normalisation.
        let pooled = (hidden.sum(1)? / len as f64)?;
        let norm = pooled.sqr()?.sum_keepdim(1)?.sqrt()?;
        let unit = pooled.broadcast_div(&norm)?;
        Ok(unit.to_dtype(DType::F32)?.to_vec2::<f32>()?)
    }
}

/// The embedding model on the bit-exact reference runtime: one sequence at a time, the same bytes
/// on every machine.
pub struct ReferenceEmbedder {
    model: bai_reference::bert::Bert,
    tokenizer: Tokenizer,
}

impl std::fmt::Debug for ReferenceEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReferenceEmbedder").field("model", &self.model).finish()
    }
}

impl ReferenceEmbedder {
    /// Loads `config.json`, `model.safetensors` and `tokenizer.json` from `dir`.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        Ok(Self { model: bai_reference::bert::Bert::load(dir)?, tokenizer: load_tokenizer(dir)? })
    }

    /// Token ids for `text`, truncated to `max_tokens` (special tokens included).
    pub fn tokenize(&self, text: &str, max_tokens: usize) -> anyhow::Result<Vec<u32>> {
        tokenize(&self.tokenizer, text, max_tokens)
    }

    /// The fixed-point embedding of `ids`.
    pub fn embed(&self, ids: &[u32]) -> anyhow::Result<Vec<i32>> {
        Ok(self.model.embed(ids)?)
    }
}

fn load_tokenizer(dir: &Path) -> anyhow::Result<Tokenizer> {
    let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))
        .map_err(|e| anyhow::anyhow!("loading {}/tokenizer.json: {e}", dir.display()))?;
    tokenizer.with_padding(None);
    Ok(tokenizer)
}

fn tokenize(tokenizer: &Tokenizer, text: &str, max_tokens: usize) -> anyhow::Result<Vec<u32>> {
    let mut tokenizer = tokenizer.clone();
    tokenizer
        .with_truncation(Some(TruncationParams { max_length: max_tokens.max(2), ..Default::default() }))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let encoding = tokenizer.encode(text, true).map_err(|e| anyhow::anyhow!("tokenizing: {e}"))?;
    Ok(encoding.get_ids().to_vec())
}

/// Cosine similarity of two fixed-point unit vectors.
pub fn cosine(a: &[i32], b: &[i32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}
