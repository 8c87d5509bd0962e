//! Quantised llama-architecture chat models (SmolLM2-135M-Instruct Q4_1 GGUF) on the reference
//! kernels: the architecture of candle-transformers' `quantized_llama` (pre-norm RMSNorm blocks,
//! interleaved rotary embeddings, grouped-query attention, SiLU-gated MLP, tied output embedding).
//!
//! Weight matrices stay quantised. Each activation vector is quantised to 8-bit blocks and every
//! weight row is dotted with it by exact integer block sums (the same arithmetic as GGML's
//! `q4_1 × q8_1` and `q8_0 × q8_0` dot products), scaled block by block in order. Everything else
//! (norms, rotary tables, attention, softmax, SiLU) is f32 on [`kernels`].
//!
//! Input: prompt token ids (chat template already applied). Output: generated token ids.

use crate::{
    ReferenceError,
    gguf::{Gguf, TensorType},
    kernels::{self, BLOCK, Q4_1Block, Q8_0Block, Q8Block},
};
use std::path::Path;

/// A quantised weight matrix, `rows` rows of `cols / 32` blocks.
enum QMatrix {
    Q4_1 { cols: usize, blocks: Vec<Q4_1Block> },
    Q8_0 { cols: usize, blocks: Vec<Q8_0Block> },
}

impl QMatrix {
    fn load(gguf: &Gguf, name: &str, cols: usize, rows: usize) -> Result<Self, ReferenceError> {
        let kind = gguf.tensors.get(name).map(|t| t.kind);
        let (dims, matrix) = match kind {
            Some(TensorType::Q4_1) => gguf.q4_1(name).map(|(d, blocks)| (d, Self::Q4_1 { cols, blocks }))?,
            Some(TensorType::Q8_0) => gguf.q8_0(name).map(|(d, blocks)| (d, Self::Q8_0 { cols, blocks }))?,
            Some(other) => {
                return Err(
                    gguf.error(format!("{name}: weight type {other:?} (the reference runtime reads Q4_1 and Q8_0)"))
                );
            }
            None => return Err(gguf.error(format!("tensor {name} missing"))),
        };
        if dims != [cols, rows] || !cols.is_multiple_of(BLOCK) {
            return Err(gguf.error(format!("{name} has shape {dims:?}, expected [{cols}, {rows}]")));
        }
        Ok(matrix)
    }

    fn cols(&self) -> usize {
        match self {
            Self::Q4_1 { cols, .. } | Self::Q8_0 { cols, .. } => *cols,
        }
    }

    /// `W · x` for each quantised input (rows outer, so a row is read once for all inputs).
    fn matmul(&self, xs: &[Vec<Q8Block>]) -> Vec<Vec<f32>> {
        let per_row = self.cols() / BLOCK;
        let rows = match self {
            Self::Q4_1 { blocks, .. } => blocks.len() / per_row,
            Self::Q8_0 { blocks, .. } => blocks.len() / per_row,
        };
        let mut out = vec![vec![0f32; rows]; xs.len()];
        for r in 0..rows {
            let span = r * per_row..(r + 1) * per_row;
            for (x, y) in xs.iter().zip(out.iter_mut()) {
                y[r] = match self {
                    Self::Q4_1 { blocks, .. } => kernels::dot_q4_1(&blocks[span.clone()], x),
                    Self::Q8_0 { blocks, .. } => kernels::dot_q8_0(&blocks[span.clone()], x),
                };
            }
        }
        out
    }

    /// Row `r` as f32 (`d · q` per element): an embedding lookup.
    fn row(&self, r: usize) -> Vec<f32> {
        let per_row = self.cols() / BLOCK;
        match self {
            Self::Q8_0 { blocks, .. } => {
                blocks[r * per_row..(r + 1) * per_row].iter().flat_map(|b| b.q.map(|q| b.d * f32::from(q))).collect()
            }
            Self::Q4_1 { blocks, .. } => blocks[r * per_row..(r + 1) * per_row]
                .iter()
                .flat_map(|b| {
                    let q = |j: usize| if j < BLOCK / 2 { b.qs[j] & 0x0F } else { b.qs[j - BLOCK / 2] >> 4 };
                    (0..BLOCK).map(move |j| b.d * f32::from(q(j)) + b.m)
                })
                .collect(),
        }
    }
}

struct Layer {
    attn_norm: Vec<f32>,
    q: QMatrix,
    k: QMatrix,
    v: QMatrix,
    o: QMatrix,
    ffn_norm: Vec<f32>,
    gate: QMatrix,
    up: QMatrix,
    down: QMatrix,
}

/// Sampling settings; no temperature decodes greedily.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sampling {
    /// Softmax temperature; `None` (or ≤ 0) decodes greedily.
    pub temperature: Option<f64>,
    /// Nucleus sampling threshold; `None` samples from the whole distribution.
    pub top_p: Option<f64>,
    /// Seed of the sampler.
    pub seed: u64,
}

/// What one generation produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generation {
    /// Generated tokens, without the stop token.
    pub tokens: Vec<u32>,
    /// Decoding steps run (the metered units).
    pub units: u64,
}

/// A quantised llama model on the reference kernels.
pub struct Llama {
    hidden: usize,
    heads: usize,
    kv_heads: usize,
    head_dim: usize,
    vocab: usize,
    /// Longest prompt plus generation the model takes.
    pub context: usize,
    eps: f32,
    inv_freq: Vec<f32>,
    embedding: QMatrix,
    output: Option<QMatrix>,
    output_norm: Vec<f32>,
    layers: Vec<Layer>,
}

impl std::fmt::Debug for Llama {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Llama").field("layers", &self.layers.len()).field("hidden", &self.hidden).finish()
    }
}

impl Llama {
    /// Loads a llama GGUF file (F32 norms, Q4_1/Q8_0 matrices).
    pub fn load(path: &Path) -> Result<Self, ReferenceError> {
        let gguf = Gguf::open(path)?;
        let arch = match gguf.metadata.get("general.architecture") {
            Some(crate::gguf::Value::Str(a)) => a.clone(),
            _ => String::new(),
        };
        if arch != "llama" {
            return Err(ReferenceError::format(path, format!("architecture {arch:?} (only llama)")));
        }
        let uint = |k: &str| gguf.uint(k).map(|v| v as usize);
        let (hidden, heads, kv_heads, layers, ff) = (
            uint("llama.embedding_length")?,
            uint("llama.attention.head_count")?,
            uint("llama.attention.head_count_kv")?,
            uint("llama.block_count")?,
            uint("llama.feed_forward_length")?,
        );
        if heads == 0 || kv_heads == 0 || !hidden.is_multiple_of(heads) || !heads.is_multiple_of(kv_heads) {
            return Err(ReferenceError::format(path, "inconsistent head counts"));
        }
        let head_dim = hidden / heads;
        let rope_dim = uint("llama.rope.dimension_count").unwrap_or(head_dim);
        if rope_dim != head_dim {
            return Err(ReferenceError::format(path, "partial rotary embeddings are not implemented"));
        }
        let base = gguf.float("llama.rope.freq_base").unwrap_or(10_000.0) as f32;
        let inv_freq = (0..head_dim).step_by(2).map(|i| 1.0 / libm::powf(base, i as f32 / head_dim as f32)).collect();
        let embedding_dims = gguf.tensors.get("token_embd.weight").map(|t| t.dims.clone()).unwrap_or_default();
        let vocab = embedding_dims.get(1).copied().unwrap_or(0);
        let kv_dim = kv_heads * head_dim;
        let norm = |name: &str| -> Result<Vec<f32>, ReferenceError> {
            let (dims, values) = gguf.f32(name)?;
            if dims != [hidden] {
                return Err(ReferenceError::format(path, format!("{name} has shape {dims:?}")));
            }
            Ok(values)
        };
        let matrix = |name: &str, cols: usize, rows: usize| QMatrix::load(&gguf, name, cols, rows);
        let layers = (0..layers)
            .map(|l| {
                let p = format!("blk.{l}");
                Ok(Layer {
                    attn_norm: norm(&format!("{p}.attn_norm.weight"))?,
                    q: matrix(&format!("{p}.attn_q.weight"), hidden, hidden)?,
                    k: matrix(&format!("{p}.attn_k.weight"), hidden, kv_dim)?,
                    v: matrix(&format!("{p}.attn_v.weight"), hidden, kv_dim)?,
                    o: matrix(&format!("{p}.attn_output.weight"), hidden, hidden)?,
                    ffn_norm: norm(&format!("{p}.ffn_norm.weight"))?,
                    gate: matrix(&format!("{p}.ffn_gate.weight"), hidden, ff)?,
                    up: matrix(&format!("{p}.ffn_up.weight"), hidden, ff)?,
                    down: matrix(&format!("{p}.ffn_down.weight"), ff, hidden)?,
                })
            })
            .collect::<Result<_, ReferenceError>>()?;
        let output = if gguf.tensors.contains_key("output.weight") {
            Some(matrix("output.weight", hidden, vocab)?)
        } else {
            None
        };
        Ok(Self {
            hidden,
            heads,
            kv_heads,
            head_dim,
            vocab,
            context: uint("llama.context_length").unwrap_or(2048),
            eps: gguf.float("llama.attention.layer_norm_rms_epsilon")? as f32,
            inv_freq,
            embedding: matrix("token_embd.weight", hidden, vocab)?,
            output,
            output_norm: norm("output_norm.weight")?,
            layers,
        })
    }

    /// Generates at most `max_tokens` tokens after `prompt`, stopping at any of `stop`.
    pub fn generate(
        &self,
        prompt: &[u32],
        max_tokens: u32,
        stop: &[u32],
        sampling: Sampling,
    ) -> Result<Generation, ReferenceError> {
        if prompt.is_empty() {
            return Err(ReferenceError::Input("empty prompt".into()));
        }
        if prompt.len() + max_tokens as usize > self.context {
            return Err(ReferenceError::Input(format!(
                "prompt ({} tokens) plus {max_tokens} new tokens exceed the context of {}",
                prompt.len(),
                self.context
            )));
        }
        if let Some(id) = prompt.iter().find(|id| **id as usize >= self.vocab) {
            return Err(ReferenceError::Input(format!("token id {id} outside the vocabulary")));
        }
        let mut cache =
            KvCache { keys: vec![Vec::new(); self.layers.len()], values: vec![Vec::new(); self.layers.len()] };
        let mut sampler = Sampler::new(sampling);
        let (mut tokens, mut units) = (Vec::new(), 0u64);
        let mut input = prompt.to_vec();
        for _ in 0..max_tokens {
            let logits = self.forward(&input, &mut cache);
            let next = sampler.next(logits) as u32;
            units += 1;
            if stop.contains(&next) {
                break;
            }
            tokens.push(next);
            input = vec![next];
        }
        Ok(Generation { tokens, units })
    }

    /// Runs `ids` (the next positions after what `cache` holds) and returns the last one's logits.
    fn forward(&self, ids: &[u32], cache: &mut KvCache) -> Vec<f32> {
        let start = cache.keys[0].len();
        let mut xs: Vec<Vec<f32>> = ids.iter().map(|id| self.embedding.row(*id as usize)).collect();
        let group = self.heads / self.kv_heads;
        let scale = (self.head_dim as f32).sqrt();
        for (l, layer) in self.layers.iter().enumerate() {
            let normed: Vec<Vec<Q8Block>> =
                xs.iter().map(|x| kernels::quantize_q8(&kernels::rms_norm(x, &layer.attn_norm, self.eps))).collect();
            let (mut q, mut k, v) = (layer.q.matmul(&normed), layer.k.matmul(&normed), layer.v.matmul(&normed));
            for (t, (q, k)) in q.iter_mut().zip(k.iter_mut()).enumerate() {
                self.rotate(q, start + t);
                self.rotate(k, start + t);
            }
            cache.keys[l].extend(k);
            cache.values[l].extend(v);
            let (keys, values) = (&cache.keys[l], &cache.values[l]);
            let attended: Vec<Vec<Q8Block>> = q
                .iter()
                .enumerate()
                .map(|(t, q)| {
                    let visible = start + t + 1;
                    let mut out = vec![0f32; self.hidden];
                    for head in 0..self.heads {
                        let qh = &q[head * self.head_dim..(head + 1) * self.head_dim];
                        let kv = (head / group) * self.head_dim..(head / group + 1) * self.head_dim;
                        let mut scores: Vec<f32> =
                            keys[..visible].iter().map(|k| kernels::dot(qh, &k[kv.clone()]) / scale).collect();
                        kernels::softmax(&mut scores);
                        let oh = &mut out[head * self.head_dim..(head + 1) * self.head_dim];
                        for (p, v) in scores.iter().zip(&values[..visible]) {
                            for (o, v) in oh.iter_mut().zip(&v[kv.clone()]) {
                                *o += p * v;
                            }
                        }
                    }
                    kernels::quantize_q8(&out)
                })
                .collect();
            for (x, a) in xs.iter_mut().zip(layer.o.matmul(&attended)) {
                x.iter_mut().zip(a).for_each(|(x, a)| *x += a);
            }
            let normed: Vec<Vec<Q8Block>> =
                xs.iter().map(|x| kernels::quantize_q8(&kernels::rms_norm(x, &layer.ffn_norm, self.eps))).collect();
            let (gate, up) = (layer.gate.matmul(&normed), layer.up.matmul(&normed));
            let inner: Vec<Vec<Q8Block>> = gate
                .iter()
                .zip(&up)
                .map(|(g, u)| {
                    kernels::quantize_q8(&g.iter().zip(u).map(|(g, u)| kernels::silu(*g) * u).collect::<Vec<_>>())
                })
                .collect();
            for (x, d) in xs.iter_mut().zip(layer.down.matmul(&inner)) {
                x.iter_mut().zip(d).for_each(|(x, d)| *x += d);
            }
        }
        let last = xs.last().expect("at least one position");
        let normed = kernels::quantize_q8(&kernels::rms_norm(last, &self.output_norm, self.eps));
        self.output.as_ref().unwrap_or(&self.embedding).matmul(&[normed]).remove(0)
    }

    /// Interleaved rotary embedding of every head in `x` at `position`: pairs `(2i, 2i+1)`.
    fn rotate(&self, x: &mut [f32], position: usize) {
        for head in x.chunks_exact_mut(self.head_dim) {
            for (i, freq) in self.inv_freq.iter().enumerate() {
                let angle = position as f32 * freq;
                let (sin, cos) = (libm::sinf(angle), libm::cosf(angle));
                let (a, b) = (head[2 * i], head[2 * i + 1]);
                head[2 * i] = a * cos - b * sin;
                head[2 * i + 1] = a * sin + b * cos;
            }
        }
    }
}

struct KvCache {
    keys: Vec<Vec<Vec<f32>>>,
    values: Vec<Vec<Vec<f32>>>,
}

/// Greedy decoding, or sampling with a counter-based generator (SplitMix64), so a seed fixes
/// every draw on every machine.
struct Sampler {
    sampling: Sampling,
    state: u64,
}

impl Sampler {
    fn new(sampling: Sampling) -> Self {
        Self { sampling, state: sampling.seed }
    }

    fn uniform(&mut self) -> f64 {
        (kernels::splitmix64(&mut self.state) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn next(&mut self, mut logits: Vec<f32>) -> usize {
        let temperature = match self.sampling.temperature {
            Some(t) if t > 0.0 => t as f32,
            _ => return kernels::argmax(&logits),
        };
        logits.iter_mut().for_each(|l| *l /= temperature);
        kernels::softmax(&mut logits);
        // Most likely first, ties by index; keep the smallest prefix reaching top-p.
        let mut order: Vec<usize> = (0..logits.len()).collect();
        order.sort_by(|a, b| logits[*b].total_cmp(&logits[*a]).then(a.cmp(b)));
        if let Some(top_p) = self.sampling.top_p {
            let mut mass = 0f32;
            let keep = order.iter().position(|i| {
                mass += logits[*i];
                f64::from(mass) >= top_p
            });
            order.truncate(keep.map_or(order.len(), |k| k + 1));
        }
        let total: f64 = order.iter().map(|i| f64::from(logits[*i])).sum();
        let mut target = self.uniform() * total;
        for i in &order {
            target -= f64::from(logits[*i]);
            if target < 0.0 {
                return *i;
            }
        }
        *order.last().expect("a non-empty vocabulary")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sampler_is_a_function_of_its_seed() {
        let logits: Vec<f32> = (0..50).map(|i| (i % 7) as f32 * 0.3).collect();
        let draw = |seed| {
            let mut s = Sampler::new(Sampling { temperature: Some(0.8), top_p: Some(0.9), seed });
            (0..20).map(|_| s.next(logits.clone())).collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
        let mut greedy = Sampler::new(Sampling::default());
        assert_eq!(greedy.next(logits.clone()), 6);
    }
}
