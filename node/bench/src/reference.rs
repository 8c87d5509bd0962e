//! (j) The bit-exact reference runtime against the fast path (candle), per model, on the same
//! inputs in the same run: embedding latency, generation tokens/s, and how often the two agree
//! (which is why generation is declared exact and served from the reference). Tensor models have
//! one integer definition, so their fast path is the reference; their latency is reported alone.

use bai_inference::{Catalog, Engine, EngineConfig, corpus, engine::Runtime, generation::Sampling};
use bai_precompiles::{ModelKind, tensor_io};
use serde_json::json;
use std::{path::Path, time::Instant};

const EMBED_TEXTS: usize = 60;
const PROMPTS: usize = 12;
const TOKENS: u32 = 24;

pub(crate) fn median(mut ms: Vec<f64>) -> f64 {
    ms.sort_by(f64::total_cmp);
    ms[ms.len() / 2]
}

pub(crate) fn reference_vs_fast(models_dir: &Path) -> serde_json::Value {
    let catalog = Catalog::discover(models_dir);
    let load = |runtime| Engine::load(&catalog, EngineConfig { runtime, ..Default::default() });
    let (Ok(fast), Ok(reference)) = (load(Runtime::Fast), load(Runtime::Reference)) else {
        println!("  (j) skipped: models not found in {} (run `make setup`)", models_dir.display());
        return json!({ "skipped": "models missing" });
    };
    let id = |kind| fast.models().into_iter().find(|m| m.kind == kind).map(|m| m.id);
    let (Some(embedder), Some(generator), Some(classifier)) =
        (id(ModelKind::Embedding), id(ModelKind::Generation), id(ModelKind::Generic))
    else {
        return json!({ "skipped": "a shipped model is missing" });
    };
    println!("  (j) bit-exact reference runtime vs the fast path (candle), single requests on the CPU");

    // Embeddings, alternating the runtimes text by text.
    let texts = corpus::texts(EMBED_TEXTS);
    fast.embed(embedder, "warm up", 256).unwrap();
    reference.embed(embedder, "warm up", 256).unwrap();
    let (mut fast_ms, mut reference_ms, mut identical) = (Vec::new(), Vec::new(), 0);
    let mut features = Vec::new();
    for text in &texts {
        let started = Instant::now();
        let (a, _) = fast.embed(embedder, text, 256).unwrap();
        fast_ms.push(started.elapsed().as_secs_f64() * 1e3);
        let started = Instant::now();
        let (b, _) = reference.embed(embedder, text, 256).unwrap();
        reference_ms.push(started.elapsed().as_secs_f64() * 1e3);
        identical += usize::from(a == b);
        features.push(b);
    }
    let (embed_fast, embed_reference) = (median(fast_ms), median(reference_ms));
    println!(
        "    embedding  p50 fast {embed_fast:.2} ms, reference {embed_reference:.2} ms: reference at {:.2}× the fast path's speed; {identical}/{EMBED_TEXTS} byte-identical",
        embed_fast / embed_reference
    );

    // Generation: the same prompts, greedy, on both.
    let prompts = corpus::prompts(PROMPTS);
    let (mut fast_tokens, mut fast_secs, mut reference_tokens, mut reference_secs, mut same_text) = (0, 0.0, 0, 0.0, 0);
    for prompt in &prompts {
        let started = Instant::now();
        let a = fast.generate(generator, prompt, TOKENS, Sampling::default()).unwrap();
        fast_secs += started.elapsed().as_secs_f64();
        fast_tokens += a.units;
        let started = Instant::now();
        let b = reference.generate(generator, prompt, TOKENS, Sampling::default()).unwrap();
        reference_secs += started.elapsed().as_secs_f64();
        reference_tokens += b.units;
        same_text += usize::from(a.text == b.text);
    }
    let (fast_tps, reference_tps) = (fast_tokens as f64 / fast_secs, reference_tokens as f64 / reference_secs);
    println!(
        "    generation fast {fast_tps:.1} tokens/s, reference {reference_tps:.1} tokens/s (prompt included): {:.2}×; {same_text}/{PROMPTS} identical texts",
        reference_tps / fast_tps
    );

    // The classifier (integer on both: the same code).
    let started = Instant::now();
    for f in &features {
        fast.evaluate(classifier, f.clone(), 64).unwrap();
    }
    let classify_us = started.elapsed().as_secs_f64() * 1e6 / features.len() as f64;
    let input_bytes = tensor_io::encode_features(&features[0]).len();
    println!(
        "    classifier {classify_us:.1} µs per evaluation (integer; fast path = reference), input {input_bytes} bytes"
    );

    json!({
        "embedding": { "texts": EMBED_TEXTS, "fast_p50_ms": embed_fast, "reference_p50_ms": embed_reference,
                       "reference_speed_ratio": embed_fast / embed_reference, "byte_identical": identical },
        "generation": { "prompts": PROMPTS, "max_tokens": TOKENS, "fast_tokens_per_s": fast_tps,
                        "reference_tokens_per_s": reference_tps, "reference_speed_ratio": reference_tps / fast_tps,
                        "identical_texts": same_text },
        "classifier": { "evaluation_us": classify_us, "reference_speed_ratio": 1.0 },
    })
}
