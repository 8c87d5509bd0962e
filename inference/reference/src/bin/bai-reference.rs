//! `bai-reference <models-dir> <corpus.json> [--only embedding,generation,tensor]`: runs the
//! reference runtime over a corpus and prints one line per result (`<model> <index> <hex output>`).
//! The cross-build test builds this binary with different target CPUs and profiles and compares
//! the outputs byte for byte.

use bai_reference::{
    bert::Bert,
    llama::{Llama, Sampling},
    tensor::TensorModel,
};
use std::{io::Write, path::PathBuf};

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Corpus {
    /// Token ids of texts to embed.
    embedding: Vec<Vec<u32>>,
    /// Prompts (chat template applied, as token ids) to continue greedily.
    generation: Vec<Vec<u32>>,
    /// New tokens per prompt.
    max_tokens: u32,
    /// Stop token ids of the generation model.
    stop: Vec<u32>,
    /// Extra classifier inputs beyond the embeddings of `embedding`.
    #[serde(default)]
    tensor: Vec<Vec<i32>>,
}

fn hex(bytes: impl IntoIterator<Item = u8>) -> String {
    bytes.into_iter().map(|b| format!("{b:02x}")).collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(models), Some(corpus)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: bai-reference <models-dir> <corpus.json> [--only embedding,generation,tensor]");
        std::process::exit(2);
    };
    let only = args.iter().position(|a| a == "--only").and_then(|i| args.get(i + 1)).cloned().unwrap_or_default();
    let run = |kind: &str| only.is_empty() || only.split(',').any(|k| k == kind);
    let models = PathBuf::from(models);
    let corpus: Corpus = serde_json::from_slice(&std::fs::read(corpus)?)?;
    let mut out = std::io::stdout().lock();

    let mut classifier_inputs = Vec::new();
    if run("embedding") || run("tensor") {
        let bert = Bert::load(&models.join("all-MiniLM-L6-v2"))?;
        for (i, ids) in corpus.embedding.iter().enumerate() {
            let embedding = bert.embed(ids)?;
            writeln!(out, "embedding {i} {}", hex(embedding.iter().flat_map(|v| v.to_be_bytes())))?;
            classifier_inputs.push(embedding);
        }
    }
    if run("tensor") {
        let classifier = TensorModel::load(&models.join("topic-classifier"))?;
        for (i, features) in classifier_inputs.iter().chain(&corpus.tensor).enumerate() {
            let scored = classifier.evaluate(features)?;
            let bytes =
                scored.label.to_be_bytes().into_iter().chain(scored.scores.iter().flat_map(|v| v.to_be_bytes()));
            writeln!(out, "tensor {i} {}", hex(bytes))?;
        }
    }
    if run("generation") {
        let llama = Llama::load(&models.join("SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf"))?;
        for (i, prompt) in corpus.generation.iter().enumerate() {
            let generated = llama.generate(prompt, corpus.max_tokens, &corpus.stop, Sampling::default())?;
            writeln!(out, "generation {i} {}", hex(generated.tokens.iter().flat_map(|t| t.to_be_bytes())))?;
        }
    }
    Ok(())
}
