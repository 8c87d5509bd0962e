//! Text generation with a quantized llama-architecture chat model from one GGUF file
//! (SmolLM2-135M-Instruct Q4_1). The tokenizer is rebuilt from the GGUF metadata (byte-level BPE),
//! prompts go through the model's chat template, and decoding is greedy unless a temperature and
//! seed are given. Two runtimes share the tokenizer: [`Generator`] (candle) and
//! [`ReferenceGenerator`] (`bai-reference`, bit-exact on every machine; what an operator of a model
//! declared exact must run, since one different greedy token changes the rest of the text).

use anyhow::Context;
use candle_core::{Device, Tensor, quantized::gguf_file};
use candle_transformers::{generation::LogitsProcessor, models::quantized_llama::ModelWeights};
use std::path::Path;
use tokenizers::{
    AddedToken, Tokenizer,
    decoders::byte_level::ByteLevel as ByteLevelDecoder,
    models::bpe::BPE,
    pre_tokenizers::{byte_level::ByteLevel, digits::Digits, sequence::Sequence},
};

/// SmolLM2's chat template with its default system prompt (from the model's tokenizer config).
const SYSTEM_PROMPT: &str = "You are a helpful AI assistant named SmolLM, trained by Hugging Face";

/// Sampling settings; the default is greedy decoding.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sampling {
    /// Softmax temperature; `None` decodes greedily.
    pub temperature: Option<f64>,
    /// Nucleus sampling threshold; `None` samples from the whole distribution.
    pub top_p: Option<f64>,
    #[serde(default)]
    /// Seed of the sampler, so a sampled generation can be reproduced.
    pub seed: u64,
}

/// The result of one generation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Generated {
    /// The generated text (without the stop token).
    pub text: String,
    /// Generated token ids (without the stop token).
    pub tokens: Vec<u32>,
    /// Decoding steps run: the metered units.
    pub units: u64,
}

/// The chat tokenizer of a GGUF model: byte-level BPE from its metadata, its stop tokens and context.
#[derive(Clone)]
pub struct ChatTokenizer {
    tokenizer: Tokenizer,
    /// Token ids that end a generation.
    pub stop: Vec<u32>,
    /// Longest prompt plus generation the model takes.
    pub context: usize,
}

impl ChatTokenizer {
    fn from_content(content: &gguf_file::Content) -> anyhow::Result<Self> {
        let (tokenizer, stop) = tokenizer_from_gguf(content)?;
        let context =
            content.metadata.get("llama.context_length").and_then(|v| v.to_u32().ok()).map_or(2048, |v| v as usize);
        Ok(Self { tokenizer, stop, context })
    }

    /// Reads the tokenizer from the GGUF file at `path` (metadata only, not the weights).
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let mut file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let content = gguf_file::Content::read(&mut file).with_context(|| format!("reading {}", path.display()))?;
        Self::from_content(&content)
    }

    /// The chat-formatted prompt the model sees.
    pub fn chat_prompt(user: &str) -> String {
        format!(
            "<|im_start|>system\n{SYSTEM_PROMPT}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
        )
    }

    /// Token ids of the chat prompt for `user`, checked against the context for `max_tokens` more.
    pub fn prompt_ids(&self, user: &str, max_tokens: u32) -> anyhow::Result<Vec<u32>> {
        let encoding =
            self.tokenizer.encode(Self::chat_prompt(user), false).map_err(|e| anyhow::anyhow!("tokenizing: {e}"))?;
        let prompt_ids = encoding.get_ids().to_vec();
        anyhow::ensure!(
            prompt_ids.len() + max_tokens as usize <= self.context,
            "prompt ({} tokens) plus {max_tokens} new tokens exceed the context of {}",
            prompt_ids.len(),
            self.context
        );
        Ok(prompt_ids)
    }

    /// The text of generated `tokens`.
    pub fn decode(&self, tokens: &[u32]) -> anyhow::Result<String> {
        self.tokenizer.decode(tokens, true).map_err(|e| anyhow::anyhow!("decoding: {e}"))
    }
}

/// A loaded generation model.
pub struct Generator {
    weights: ModelWeights,
    tokenizer: ChatTokenizer,
    device: Device,
}

impl std::fmt::Debug for Generator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generator").field("device", &self.device).field("stop", &self.tokenizer.stop).finish()
    }
}

impl Generator {
    /// Loads a GGUF chat model, with the tokenizer in its metadata, onto `device`.
    pub fn load(path: &Path, device: &Device) -> anyhow::Result<Self> {
        let mut file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let content = gguf_file::Content::read(&mut file).with_context(|| format!("reading {}", path.display()))?;
        let tokenizer = ChatTokenizer::from_content(&content)?;
        let weights = ModelWeights::from_gguf(content, &mut file, device)?;
        Ok(Self { weights, tokenizer, device: device.clone() })
    }

    /// The model's tokenizer.
    pub fn tokenizer(&self) -> &ChatTokenizer {
        &self.tokenizer
    }

    /// Generates at most `max_tokens` tokens answering `prompt`.
    pub fn generate(&self, prompt: &str, max_tokens: u32, sampling: Sampling) -> anyhow::Result<Generated> {
        let prompt_ids = self.tokenizer.prompt_ids(prompt, max_tokens)?;
        // Each request gets its own KV cache: a clone shares the weights and starts empty at position 0.
        let mut weights = self.weights.clone();
        let mut logits_processor = LogitsProcessor::new(sampling.seed, sampling.temperature, sampling.top_p);
        let mut tokens = Vec::new();
        let mut units = 0u64;
        let mut input = Tensor::new(prompt_ids.as_slice(), &self.device)?.unsqueeze(0)?;
        let mut position = 0usize;
        for _ in 0..max_tokens {
            let logits = weights.forward(&input, position)?.squeeze(0)?.to_dtype(candle_core::DType::F32)?;
            position += input.dim(1)?;
            let next = logits_processor.sample(&logits)?;
            units += 1;
            if self.tokenizer.stop.contains(&next) {
                break;
            }
            tokens.push(next);
            input = Tensor::new(&[next], &self.device)?.unsqueeze(0)?;
        }
        let text = self.tokenizer.decode(&tokens)?;
        Ok(Generated { text, tokens, units })
    }
}

/// The generation model on the bit-exact reference runtime. Greedy decoding gives the same tokens as
/// on any other machine; sampling uses the reference sampler (seeded SplitMix64), not candle's.
pub struct ReferenceGenerator {
    model: bai_reference::llama::Llama,
    tokenizer: ChatTokenizer,
}

impl std::fmt::Debug for ReferenceGenerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReferenceGenerator").field("model", &self.model).finish()
    }
}

impl ReferenceGenerator {
    /// Loads a GGUF chat model and its tokenizer.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        Ok(Self { model: bai_reference::llama::Llama::load(path)?, tokenizer: ChatTokenizer::load(path)? })
    }

    /// The model's tokenizer.
    pub fn tokenizer(&self) -> &ChatTokenizer {
        &self.tokenizer
    }

    /// Generates at most `max_tokens` tokens answering `prompt`.
    pub fn generate(&self, prompt: &str, max_tokens: u32, sampling: Sampling) -> anyhow::Result<Generated> {
        let prompt_ids = self.tokenizer.prompt_ids(prompt, max_tokens)?;
        let sampling = bai_reference::llama::Sampling {
            temperature: sampling.temperature,
            top_p: sampling.top_p,
            seed: sampling.seed,
        };
        let generated = self.model.generate(&prompt_ids, max_tokens, &self.tokenizer.stop, sampling)?;
        let text = self.tokenizer.decode(&generated.tokens)?;
        Ok(Generated { text, tokens: generated.tokens, units: generated.units })
    }
}

/// Rebuilds the byte-level BPE tokenizer stored in GGUF metadata (`tokenizer.ggml.*`), with the
/// control tokens (chat markers) as special tokens. Returns it with the stop token ids.
fn tokenizer_from_gguf(content: &gguf_file::Content) -> anyhow::Result<(Tokenizer, Vec<u32>)> {
    let md = |key: &str| content.metadata.get(key).with_context(|| format!("GGUF metadata has no {key}"));
    let model = md("tokenizer.ggml.model")?.to_string()?.clone();
    anyhow::ensure!(model == "gpt2", "unsupported GGUF tokenizer model {model:?} (expected gpt2 byte-level BPE)");
    let tokens: Vec<String> =
        md("tokenizer.ggml.tokens")?.to_vec()?.iter().map(|v| v.to_string().cloned()).collect::<Result<_, _>>()?;
    let merges: Vec<(String, String)> = md("tokenizer.ggml.merges")?
        .to_vec()?
        .iter()
        .map(|v| {
            let merge = v.to_string()?;
            let (a, b) =
                merge.split_once(' ').ok_or_else(|| candle_core::Error::Msg(format!("bad merge {merge:?}")))?;
            Ok((a.to_string(), b.to_string()))
        })
        .collect::<Result<_, candle_core::Error>>()?;
    let token_types: Vec<i32> = match content.metadata.get("tokenizer.ggml.token_type") {
        Some(v) => v.to_vec()?.iter().map(|t| t.to_i32()).collect::<Result<_, _>>()?,
        None => vec![1; tokens.len()],
    };
    let vocab: tokenizers::models::bpe::Vocab = tokens.iter().enumerate().map(|(i, t)| (t.clone(), i as u32)).collect();
    let bpe = BPE::builder().vocab_and_merges(vocab, merges).build().map_err(|e| anyhow::anyhow!("BPE: {e}"))?;
    let mut tokenizer = Tokenizer::new(bpe);
    tokenizer.with_pre_tokenizer(Some(Sequence::new(vec![
        Digits::new(true).into(),
        ByteLevel::new(false, true, true).into(),
    ])));
    tokenizer.with_decoder(Some(ByteLevelDecoder::default()));
    // Control tokens (type 3) are matched whole and never split by BPE.
    let special: Vec<AddedToken> = tokens
        .iter()
        .zip(&token_types)
        .filter(|(_, kind)| **kind == 3)
        .map(|(t, _)| AddedToken::from(t.clone(), true))
        .collect();
    tokenizer.add_special_tokens(&special);

    let mut stop = Vec::new();
    if let Some(eos) = content.metadata.get("tokenizer.ggml.eos_token_id") {
        stop.push(eos.to_u32()?);
    }
    for marker in ["<|im_end|>", "<|endoftext|>"] {
        if let Some(id) = tokenizer.token_to_id(marker)
            && !stop.contains(&id)
        {
            stop.push(id);
        }
    }
    Ok((tokenizer, stop))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generator() -> Generator {
        let path =
            crate::catalog::tests::models_dir().join(crate::catalog::SMOLLM_DIR).join(crate::catalog::SMOLLM_GGUF);
        Generator::load(&path, &Device::Cpu).expect("SmolLM2 weights (run `make setup`)")
    }

    #[test]
    fn gguf_tokenizer_round_trips_and_keeps_chat_markers_whole() {
        let g = generator();
        let prompt = ChatTokenizer::chat_prompt("What is 12 + 30?");
        let tokenizer = &g.tokenizer.tokenizer;
        let ids = tokenizer.encode(prompt.as_str(), false).unwrap().get_ids().to_vec();
        let start = tokenizer.token_to_id("<|im_start|>").unwrap();
        assert_eq!(ids[0], start, "{ids:?}");
        assert_eq!(ids.iter().filter(|id| **id == start).count(), 3);
        assert_eq!(tokenizer.decode(&ids, false).unwrap(), prompt);
        eprintln!("{ids:?}");
    }
}
