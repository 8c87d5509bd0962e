//! (e) AI inference: the same model called directly in-process (the engine's own API) and through
//! the precompile (a paid `ModelMarketplace.embed`/`generate` transaction executed by op-revm with
//! the sequencing backend, witness collection included), on the same engine in the same run.
//! Embedding latency p50/p99 and throughput; generation tokens/s.

use alloy::{
    consensus::Header,
    primitives::{Address, B256, U256},
    rpc::types::TransactionRequest,
    sol_types::SolCall,
};
use alloy_evm::Evm;
use bai_chainspec::{ChainSpec, predeploys::MODEL_MARKETPLACE};
use bai_evm::{BaiEvmConfig, InferenceMode};
use bai_inference::{Catalog, Engine, EngineConfig, generation::Sampling};
use bai_precompiles::{
    InferenceBackend, ModelKind,
    abi::{IBaiInference, IModelMarketplace},
    witness::WitnessSet,
};
use parking_lot::Mutex;
use revm::{
    context::result::ExecutionResult,
    database::{CacheDB, EmptyDB},
    state::AccountInfo,
};
use serde_json::json;
use std::{
    path::Path,
    sync::Arc,
    time::{Duration, Instant},
};

const CALLER: Address = Address::repeat_byte(0xbe);
const EMBED_CALLS: usize = 100;
const THROUGHPUT_THREADS: usize = 4;
const THROUGHPUT_CALLS: usize = 96;
const GENERATE_CALLS: usize = 3;
const GENERATE_TOKENS: u32 = 64;

/// Distinct inputs, so no layer can answer from a cache.
fn sentence(i: usize) -> String {
    const SUBJECTS: [&str; 6] =
        ["The sequencer", "A verifier", "My neighbour", "The old cat", "Every wallet", "Our team"];
    const ACTIONS: [&str; 5] = ["reads", "writes", "sells", "paints", "explains"];
    const OBJECTS: [&str; 4] = ["a long letter", "the morning news", "blue houses", "simple answers"];
    format!(
        "{} {} {} on day {i}.",
        SUBJECTS[i % SUBJECTS.len()],
        ACTIONS[(i / 6) % ACTIONS.len()],
        OBJECTS[(i / 30) % OBJECTS.len()]
    )
}

fn percentile(sorted_ms: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * (sorted_ms.len() - 1) as f64).round() as usize;
    sorted_ms[rank]
}

fn summary(mut ms: Vec<f64>) -> serde_json::Value {
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    json!({ "p50_ms": percentile(&ms, 50.0), "p99_ms": percentile(&ms, 99.0), "mean_ms": ms.iter().sum::<f64>() / ms.len() as f64 })
}

/// The dev genesis (marketplace with both models registered) as an in-memory database.
fn genesis_db() -> CacheDB<EmptyDB> {
    let mut db = bai_evm::in_memory_db(ChainSpec::dev().alloc);
    db.insert_account_info(CALLER, AccountInfo { balance: U256::from(10u128.pow(24)), ..Default::default() });
    db
}

/// Executes marketplace calls the way the sequencer does (pass one of block building).
struct PrecompilePath {
    config: BaiEvmConfig,
    header: Header,
    db: CacheDB<EmptyDB>,
    backend: Arc<dyn InferenceBackend>,
}

impl PrecompilePath {
    fn new(backend: Arc<dyn InferenceBackend>) -> Self {
        let config = BaiEvmConfig::new(Arc::new(ChainSpec::dev()));
        let header =
            Header { number: 1, timestamp: 1, gas_limit: 60_000_000, base_fee_per_gas: Some(0), ..Default::default() };
        Self { config, header, db: genesis_db(), backend }
    }

    fn price(&self, model: B256) -> U256 {
        let data = IModelMarketplace::getModelCall { modelId: model }.abi_encode();
        let output = self.transact(data, U256::ZERO, InferenceMode::Disabled, self.db.clone());
        IModelMarketplace::getModelCall::abi_decode_returns(&output).expect("getModel").price
    }

    fn transact(
        &self,
        data: Vec<u8>,
        value: U256,
        mode: InferenceMode,
        db: CacheDB<EmptyDB>,
    ) -> alloy::primitives::Bytes {
        let env = self.config.evm_env(&self.header);
        let request = TransactionRequest::default()
            .from(CALLER)
            .to(MODEL_MARKETPLACE)
            .value(value)
            .input(data.into())
            .gas_limit(30_000_000);
        let tx = self.config.call_tx_env(request, &env).unwrap();
        let mut evm = self.config.evm(db, env, mode);
        match evm.transact(tx).expect("evm").result {
            ExecutionResult::Success { output, .. } => output.into_data(),
            other => panic!("marketplace call failed: {other:?}"),
        }
    }

    /// One sequencing-mode call; returns the time spent in the EVM (database copy excluded), the
    /// output and the witnesses it collected.
    fn call(&self, data: Vec<u8>, value: U256) -> (Duration, alloy::primitives::Bytes, WitnessSet) {
        let db = self.db.clone();
        let collected = Arc::new(Mutex::new(WitnessSet::default()));
        let mode = InferenceMode::Sequencing { backend: self.backend.clone(), collected: collected.clone() };
        let started = Instant::now();
        let output = self.transact(data, value, mode, db);
        let elapsed = started.elapsed();
        let witnesses = std::mem::take(&mut *collected.lock());
        (elapsed, output, witnesses)
    }
}

fn embed_call(model: B256, text: &str) -> Vec<u8> {
    IBaiInference::embedCall { modelId: model, text: text.into() }.abi_encode()
}

fn throughput(threads: usize, calls: usize, one: impl Fn(usize) + Sync) -> f64 {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= calls {
                        break;
                    }
                    one(i);
                }
            });
        }
    });
    calls as f64 / started.elapsed().as_secs_f64()
}

pub(crate) fn inference(models_dir: &Path) -> serde_json::Value {
    let catalog = Catalog::discover(models_dir);
    let engine = match Engine::load(&catalog, EngineConfig::default()) {
        Ok(engine) if engine.models().len() >= 2 => Arc::new(engine),
        Ok(_) | Err(_) => {
            println!("  (e) skipped: models not found in {} (run `make setup`)", models_dir.display());
            return json!({ "skipped": "models missing" });
        }
    };
    let embedder = engine.models().into_iter().find(|m| m.kind == ModelKind::Embedding).unwrap().id;
    let generator = engine.models().into_iter().find(|m| m.kind == ModelKind::Generation).unwrap().id;
    let path = PrecompilePath::new(engine.clone());
    let embed_price = path.price(embedder);
    let generate_price = path.price(generator);
    println!("  (e) AI inference on CPU ({} embedding calls per path, distinct sentences)", EMBED_CALLS);

    // Warm both paths (weights paged in, allocator warmed).
    for i in 0..5 {
        engine.embed(embedder, &sentence(10_000 + i), 256).unwrap();
        path.call(embed_call(embedder, &sentence(20_000 + i)), embed_price);
    }

    // Alternate the two paths call by call so drift on the machine hits both equally.
    let (mut direct_ms, mut precompile_ms) = (Vec::new(), Vec::new());
    for i in 0..EMBED_CALLS {
        let text = sentence(i);
        let started = Instant::now();
        let (direct, _) = engine.embed(embedder, &text, 256).unwrap();
        direct_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        let text = sentence(EMBED_CALLS + i);
        let (elapsed, output, witnesses) = path.call(embed_call(embedder, &text), embed_price);
        precompile_ms.push(elapsed.as_secs_f64() * 1000.0);
        let values = IBaiInference::embedCall::abi_decode_returns(&output).unwrap();
        assert_eq!((values.len(), direct.len(), witnesses.len()), (384, 384, 1));
    }
    let direct = summary(direct_ms);
    let precompile = summary(precompile_ms);
    let overhead_p50 = precompile["p50_ms"].as_f64().unwrap() / direct["p50_ms"].as_f64().unwrap() - 1.0;
    println!(
        "    embed latency direct     p50 {:>6.2} ms  p99 {:>6.2} ms",
        direct["p50_ms"].as_f64().unwrap(),
        direct["p99_ms"].as_f64().unwrap()
    );
    println!(
        "    embed latency precompile p50 {:>6.2} ms  p99 {:>6.2} ms  (overhead {:+.1} % at p50)",
        precompile["p50_ms"].as_f64().unwrap(),
        precompile["p99_ms"].as_f64().unwrap(),
        overhead_p50 * 100.0
    );

    let direct_rps = throughput(THROUGHPUT_THREADS, THROUGHPUT_CALLS, |i| {
        engine.embed(embedder, &sentence(30_000 + i), 256).unwrap();
    });
    let precompile_rps = throughput(THROUGHPUT_THREADS, THROUGHPUT_CALLS, |i| {
        path.call(embed_call(embedder, &sentence(40_000 + i)), embed_price);
    });
    println!(
        "    embed throughput ({THROUGHPUT_THREADS} callers): direct {direct_rps:.1}/s, precompile {precompile_rps:.1}/s ({:.2}×)",
        precompile_rps / direct_rps
    );

    let prompts = ["Write one sentence about the sun.", "Name three colours.", "What is a rollup? Answer briefly."];
    let (mut direct_tokens, mut direct_secs, mut pre_tokens, mut pre_secs) = (0u64, 0f64, 0u64, 0f64);
    engine.generate(generator, "Say hello.", 8, Sampling::default()).unwrap();
    for prompt in prompts.iter().take(GENERATE_CALLS) {
        let started = Instant::now();
        let generated = engine.generate(generator, prompt, GENERATE_TOKENS, Sampling::default()).unwrap();
        direct_secs += started.elapsed().as_secs_f64();
        direct_tokens += generated.units;
        // The same prompt through the precompile (the engine keeps no cache; the node's result cache
        // sits in front of eth_call only), so both paths decode the same tokens; checked below.
        let call =
            IBaiInference::generateCall { modelId: generator, prompt: prompt.to_string(), maxTokens: GENERATE_TOKENS };
        let (elapsed, _, witnesses) = path.call(call.abi_encode(), generate_price);
        assert_eq!(witnesses.len(), 1);
        let recorded = witnesses.0.values().next().unwrap();
        assert_eq!(
            recorded.output.as_ref(),
            generated.text.as_bytes(),
            "the precompile recorded the direct greedy decode"
        );
        assert_eq!(recorded.units, generated.units);
        pre_secs += elapsed.as_secs_f64();
        pre_tokens += witnesses.0.values().map(|w| w.units).sum::<u64>();
    }
    let direct_tps = direct_tokens as f64 / direct_secs;
    let pre_tps = pre_tokens as f64 / pre_secs;
    println!(
        "    generation (greedy, ≤{GENERATE_TOKENS} tokens): direct {direct_tps:.1} tokens/s, precompile {pre_tps:.1} tokens/s"
    );

    json!({
        "device": "cpu",
        "embedding": {
            "calls": EMBED_CALLS,
            "direct": direct,
            "precompile": precompile,
            "overhead_p50": overhead_p50,
            "throughput_threads": THROUGHPUT_THREADS,
            "direct_per_s": direct_rps,
            "precompile_per_s": precompile_rps,
        },
        "generation": {
            "max_tokens": GENERATE_TOKENS,
            "direct_tokens": direct_tokens,
            "direct_tokens_per_s": direct_tps,
            "precompile_tokens": pre_tokens,
            "precompile_tokens_per_s": pre_tps,
        },
    })
}
