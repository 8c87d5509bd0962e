//! No honest operator is slashable. The operator's default serving path (`Runtime::Auto`: candle
//! for embeddings, the bit-exact reference for generation, integers for tensor models) and the
//! challenger's (`Runtime::Reference`) answer the same corpus, and every recorded result must lie
//! within the model's verification rule as registered in the genesis marketplace — judged by the
//! challenger's own `divergence_bps`. The embedding tolerance registered in genesis was derived from
//! this measurement (docs/precompiles.md, "Verification"); the test prints the distribution.
//!
//! Corpus: 209 texts (embeddings, then the classifier on each recorded embedding) and
//! `BAI_CORPUS_PROMPTS` prompts (default 24; `make test-corpus` runs 200).

use alloy::primitives::{B256, Bytes, U256};
use bai_chainspec::predeploys::{MODEL_MARKETPLACE, bundled_alloc};
use bai_inference::{Catalog, Engine, EngineConfig, corpus, engine::Runtime, model_id};
use bai_precompiles::{
    InferenceBackend, InferenceRequest, ModelKind, registry::read_model, tensor_io, witness::unpack_embedding,
};
use bai_prover::inference::divergence_bps;
use std::path::Path;

const TEXTS: usize = 209;
const GENERATION_TOKENS: u32 = 8;

/// The tolerance model `id` is registered with in the bundled genesis.
fn genesis_tolerance(id: B256) -> u64 {
    let alloc = bundled_alloc();
    let storage = alloc[&MODEL_MARKETPLACE].storage.clone().unwrap_or_default();
    let sload = |slot: U256| -> Result<U256, ()> {
        Ok(storage.get(&B256::from(slot.to_be_bytes::<32>())).map_or(U256::ZERO, |v| U256::from_be_bytes(v.0)))
    };
    u64::from(read_model(id, sload).unwrap().expect("model registered in genesis").tolerance_bps)
}

struct Judged {
    name: String,
    tolerance: u64,
    divergences: Vec<u64>,
    identical: usize,
    /// Largest relative L2 error `√(Σd² / Σf²)` of an embedding (finer than the bps the rule uses).
    max_relative_error: f64,
    /// Embedding components (int32, ×10⁶) that differ, and the largest difference.
    differing_components: (usize, i64),
}

impl Judged {
    fn report(&self) {
        let mut sorted = self.divergences.clone();
        sorted.sort_unstable();
        let p99 = sorted[(sorted.len() * 99 / 100).min(sorted.len() - 1)];
        eprintln!(
            "{}: {} inputs, {} byte-identical, divergence max {} bps, p99 {p99} bps (relative L2 error max {:.2e}; \
             {} int32 components differ, by at most {}), tolerance {} bps",
            self.name,
            sorted.len(),
            self.identical,
            sorted.last().unwrap(),
            self.max_relative_error,
            self.differing_components.0,
            self.differing_components.1,
            self.tolerance
        );
    }
}

/// For two packed embeddings: the relative L2 error `√(Σd² / Σf²)`, how many int32 components differ,
/// and the largest difference.
fn compare_embeddings(recorded: &[u8], reference: &[u8]) -> (f64, usize, i64) {
    let (a, b) = (unpack_embedding(recorded).unwrap(), unpack_embedding(reference).unwrap());
    assert_eq!(a.len(), b.len(), "embedding lengths differ");
    let (mut diff_sq, mut norm_sq, mut differing, mut largest) = (0f64, 0f64, 0, 0i64);
    for (x, y) in a.iter().zip(&b) {
        let d = i64::from(*x) - i64::from(*y);
        diff_sq += (d as f64).powi(2);
        norm_sq += f64::from(*y).powi(2);
        if d != 0 {
            differing += 1;
            largest = largest.max(d.abs());
        }
    }
    ((diff_sq / norm_sq).sqrt(), differing, largest)
}

#[test]
fn an_honest_operator_is_within_every_models_verification_rule_on_the_corpus() {
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.models");
    let catalog = Catalog::discover(&models);
    assert_eq!(catalog.models.len(), 3, "the three shipped models (run `make setup`)");
    let operator = Engine::load(&catalog, EngineConfig { runtime: Runtime::Auto, ..Default::default() }).unwrap();
    let challenger =
        Engine::load(&catalog, EngineConfig { runtime: Runtime::Reference, ..Default::default() }).unwrap();
    let id = |name: &str| {
        let (_, files) = catalog.models.iter().find(|(n, _)| n == name).unwrap();
        model_id(&files.identity_files()).unwrap()
    };
    let (minilm, smollm, classifier) =
        (id("all-MiniLM-L6-v2"), id("SmolLM2-135M-Instruct-Q4_1"), id("topic-classifier"));

    let judge = |name: &str, model: B256, kind: ModelKind, inputs: Vec<(Bytes, u32)>| -> (Judged, Vec<Bytes>) {
        let tolerance = genesis_tolerance(model);
        let mut judged = Judged {
            name: name.into(),
            tolerance,
            divergences: Vec::new(),
            identical: 0,
            max_relative_error: 0.0,
            differing_components: (0, 0),
        };
        let mut recorded_outputs = Vec::new();
        for (input, max_units) in inputs {
            let request =
                InferenceRequest { model, kind, input: input.clone(), max_units, operator: None, prove: false };
            let recorded = operator.run(&request).unwrap();
            let reference = challenger.run(&request).unwrap();
            assert_eq!(recorded.units, reference.units, "{name}: units differ for {input:?}");
            let divergence = divergence_bps(kind, &recorded.output, &reference.output);
            assert!(
                divergence <= tolerance,
                "{name}: an honest result is {divergence} bps from the reference, above the registered {tolerance} bps \
                 (input {input:?})"
            );
            judged.divergences.push(divergence);
            judged.identical += usize::from(recorded.output == reference.output);
            if kind == ModelKind::Embedding {
                let (error, differing, largest) = compare_embeddings(&recorded.output, &reference.output);
                judged.max_relative_error = judged.max_relative_error.max(error);
                judged.differing_components.0 += differing;
                judged.differing_components.1 = judged.differing_components.1.max(largest);
            }
            recorded_outputs.push(recorded.output);
        }
        judged.report();
        (judged, recorded_outputs)
    };

    let texts: Vec<(Bytes, u32)> =
        corpus::texts(TEXTS).into_iter().map(|t| (Bytes::from(t.into_bytes()), 256)).collect();
    let (embeddings, recorded) = judge("all-MiniLM-L6-v2 (fast path)", minilm, ModelKind::Embedding, texts);
    // The tolerance is derived from this measurement. A rule of t bps admits relative errors up to
    // t·10⁻⁴ (the metric rounds up), so t = ⌊20 × the largest error × 10⁴⌋, at least 1 (a float model
    // is never exact), admits at least 20× what the corpus showed once that is ≥ 0.05 bps, and more
    // below. Genesis must not be looser than 10× that (a guess would be).
    let derived = ((embeddings.max_relative_error * 20.0 * 10_000.0).floor() as u64).max(1);
    eprintln!("embedding tolerance derived from the corpus: {derived} bps");
    assert!(embeddings.tolerance >= derived, "genesis tolerance {} below the derived {derived}", embeddings.tolerance);
    assert!(
        embeddings.tolerance <= 10 * derived,
        "genesis tolerance {} is a guess: the corpus supports {derived}",
        embeddings.tolerance
    );

    // The classifier on what a contract would pass it: the recorded embeddings.
    let features: Vec<(Bytes, u32)> =
        recorded.iter().map(|e| (tensor_io::encode_features(&unpack_embedding(e).unwrap()), 64)).collect();
    let (tensor, _) = judge("topic-classifier (integer)", classifier, ModelKind::Generic, features);
    assert_eq!(tensor.tolerance, 0);
    assert_eq!(tensor.identical, tensor.divergences.len(), "integer outputs are the same bytes");

    let prompts: usize = std::env::var("BAI_CORPUS_PROMPTS").ok().and_then(|v| v.parse().ok()).unwrap_or(24);
    let prompts: Vec<(Bytes, u32)> =
        corpus::prompts(prompts).into_iter().map(|p| (Bytes::from(p.into_bytes()), GENERATION_TOKENS)).collect();
    let (generation, _) = judge("SmolLM2-135M-Instruct-Q4_1 (reference)", smollm, ModelKind::Generation, prompts);
    assert_eq!(generation.tolerance, 0, "generation is declared exact");
    assert_eq!(generation.identical, generation.divergences.len(), "the operator serves generation from the reference");
}
