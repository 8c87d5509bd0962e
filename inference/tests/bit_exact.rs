//! The reference runtime's promise, checked: the same bytes for all three shipped models over a
//! fixed corpus whatever the build. `bai-reference` is built three ways — portable x86-64 at
//! opt-level 0 (a debug build), portable x86-64 release, and `-C target-cpu=native` release (AVX2
//! or AVX-512 where the machine has it) — each run on the corpus, and every output compared byte
//! for byte with each other and with what the challenger's backend (`Engine` on
//! `Runtime::Reference`, through `InferenceBackend::run`) answers in this process.

#![cfg(target_arch = "x86_64")]

use alloy_primitives::Bytes;
use bai_inference::{
    Catalog, Engine, EngineConfig, ModelFiles, corpus, embedding::ReferenceEmbedder, engine::Runtime,
    generation::ChatTokenizer, model_id,
};
use bai_precompiles::{InferenceBackend, InferenceRequest, ModelKind, tensor_io, witness::unpack_embedding};
use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::Command,
};

const TEXTS: usize = 32;
const PROMPTS: usize = 6;
/// The opt-level-0 build runs the first prompt only (about a second per token unoptimised).
const DEBUG_PROMPTS: usize = 1;
const MAX_TOKENS: u32 = 8;
const EMBED_MAX_TOKENS: u32 = 256;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn models_dir() -> PathBuf {
    let dir = root().join(".models");
    assert!(dir.join("all-MiniLM-L6-v2").is_dir(), "model weights missing under {}: run `make setup`", dir.display());
    dir
}

/// Extra classifier inputs beyond the corpus embeddings: large, negative and sparse features.
fn extra_features() -> Vec<Vec<i32>> {
    (0..16u32)
        .map(|k| {
            (0..384u32)
                .map(|i| {
                    let x = (i.wrapping_mul(2_654_435_761).wrapping_add(k.wrapping_mul(40_503))) % 2_000_001;
                    let v = x as i32 - 1_000_000;
                    match k % 4 {
                        0 => v,
                        1 => v.saturating_mul(1000),
                        2 if i % 7 != 0 => 0,
                        _ => -v.abs(),
                    }
                })
                .collect()
        })
        .collect()
}

/// Builds `bai-reference` with `rustflags` and `profile`, runs it on `corpus`, returns its lines.
fn build_and_run(name: &str, release: bool, rustflags: &str, corpus: &Path) -> Vec<String> {
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("reference-builds").join(name);
    let mut build = Command::new(env!("CARGO"));
    build
        .current_dir(root())
        .args(["build", "--offline", "--locked", "-p", "bai-reference", "--bin", "bai-reference"])
        .env("CARGO_TARGET_DIR", &target)
        .env("RUSTFLAGS", rustflags)
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    if release {
        build.arg("--release");
    } else {
        // The workspace optimises this crate even in debug builds; undo that for this one.
        build.args(["--config", "profile.dev.package.bai-reference.opt-level=0"]);
        build.args(["--config", "profile.dev.package.libm.opt-level=0"]);
    }
    let status = build.status().expect("running cargo");
    assert!(status.success(), "building bai-reference ({name}) failed");
    let binary = target.join(if release { "release" } else { "debug" }).join("bai-reference");
    let started = std::time::Instant::now();
    let output = Command::new(&binary).arg(models_dir()).arg(corpus).output().expect("running bai-reference");
    assert!(output.status.success(), "bai-reference ({name}): {}", String::from_utf8_lossy(&output.stderr));
    eprintln!("{name}: ran the corpus in {:.1?}", started.elapsed());
    String::from_utf8(output.stdout).unwrap().lines().map(str::to_string).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_reference_runtime_gives_the_same_bytes_in_every_build_and_in_the_challenger() {
    let models = models_dir();
    let embedder = ReferenceEmbedder::load(&models.join("all-MiniLM-L6-v2")).unwrap();
    let gguf = models.join("SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf");
    let chat = ChatTokenizer::load(&gguf).unwrap();
    let texts = corpus::texts(TEXTS);
    let prompts = corpus::prompts(PROMPTS);
    let embedding_ids: Vec<Vec<u32>> =
        texts.iter().map(|t| embedder.tokenize(t, EMBED_MAX_TOKENS as usize).unwrap()).collect();
    let prompt_ids: Vec<Vec<u32>> = prompts.iter().map(|p| chat.prompt_ids(p, MAX_TOKENS).unwrap()).collect();
    let corpus_json = |prompts: usize| {
        serde_json::json!({
            "embedding": embedding_ids,
            "generation": prompt_ids[..prompts],
            "maxTokens": MAX_TOKENS,
            "stop": chat.stop,
            "tensor": extra_features(),
        })
    };
    let dir = tempfile::tempdir().unwrap();
    let (full, small) = (dir.path().join("corpus.json"), dir.path().join("corpus-debug.json"));
    std::fs::write(&full, corpus_json(PROMPTS).to_string()).unwrap();
    std::fs::write(&small, corpus_json(DEBUG_PROMPTS).to_string()).unwrap();

    let portable = "-C target-cpu=x86-64";
    let builds = [
        ("portable-release", build_and_run("portable-release", true, portable, &full)),
        ("native-release", build_and_run("native-release", true, "-C target-cpu=native", &full)),
        ("portable-debug-opt0", build_and_run("portable-debug-opt0", false, portable, &small)),
    ];
    // One line per input, so no comparison below can pass on a build that printed less.
    let tensor_inputs = TEXTS + extra_features().len();
    for (name, lines) in &builds {
        let prompts = if name.ends_with("opt0") { DEBUG_PROMPTS } else { PROMPTS };
        assert_eq!(lines.len(), TEXTS + tensor_inputs + prompts, "{name}: one line per input");
    }

    // The challenger's path: the engine on the reference runtime, answering precompile requests.
    let catalog = Catalog::discover(&models);
    let engine = Engine::load(&catalog, EngineConfig { runtime: Runtime::Reference, ..Default::default() }).unwrap();
    let id = |name: &str| {
        let (_, files): &(String, ModelFiles) = catalog.models.iter().find(|(n, _)| n == name).unwrap();
        model_id(&files.identity_files()).unwrap()
    };
    let run = |model, kind, input: Bytes, max_units| {
        engine.run(&InferenceRequest { model, kind, input, max_units, operator: None, prove: false }).unwrap().output
    };
    let (mut challenger, mut embeddings) = (Vec::new(), Vec::new());
    for (i, text) in texts.iter().enumerate() {
        let output =
            run(id("all-MiniLM-L6-v2"), ModelKind::Embedding, Bytes::from(text.clone().into_bytes()), EMBED_MAX_TOKENS);
        challenger.push(format!("embedding {i} {}", hex(&output)));
        embeddings.push(unpack_embedding(&output).unwrap());
    }
    for (i, features) in embeddings.iter().chain(&extra_features()).enumerate() {
        let output = run(id("topic-classifier"), ModelKind::Generic, tensor_io::encode_features(features), 64);
        let (label, scores) = tensor_io::decode_scores(&output).unwrap();
        let bytes: Vec<u8> =
            label.to_be_bytes().into_iter().chain(scores.iter().flat_map(|s| s.to_be_bytes())).collect();
        challenger.push(format!("tensor {i} {}", hex(&bytes)));
    }
    let mut challenger_texts = BTreeMap::new();
    for (i, prompt) in prompts.iter().enumerate() {
        let output = run(
            id("SmolLM2-135M-Instruct-Q4_1"),
            ModelKind::Generation,
            Bytes::from(prompt.clone().into_bytes()),
            MAX_TOKENS,
        );
        challenger_texts.insert(i, String::from_utf8(output.to_vec()).unwrap());
    }

    let reference = &builds[0].1;
    for (name, lines) in &builds[1..] {
        for line in lines {
            assert!(reference.contains(line), "{name} differs from portable-release: {line}");
        }
    }
    for line in &challenger {
        assert!(reference.contains(line), "the challenger's backend differs from the builds: {line}");
    }
    for line in reference.iter().filter(|l| l.starts_with("generation ")) {
        let mut parts = line.split(' ');
        let index: usize = parts.nth(1).unwrap().parse().unwrap();
        let hex_tokens = parts.next().unwrap_or("");
        let tokens: Vec<u32> = (0..hex_tokens.len() / 8)
            .map(|k| u32::from_str_radix(&hex_tokens[8 * k..8 * k + 8], 16).unwrap())
            .collect();
        assert_eq!(chat.decode(&tokens).unwrap(), challenger_texts[&index], "generation {index}");
    }
    let generated: Vec<&String> = challenger_texts.values().collect();
    assert!(generated.iter().any(|t| !t.trim().is_empty()), "the model generated text: {generated:?}");
}

#[test]
fn each_runtime_serves_the_models_it_says() {
    let catalog = Catalog::discover(&models_dir());
    let runtimes = |runtime| {
        let engine = Engine::load(&catalog, EngineConfig { runtime, ..Default::default() }).unwrap();
        engine.models().into_iter().map(|m| (m.name, m.runtime)).collect::<BTreeMap<_, _>>()
    };
    let expect = |pairs: [(&str, &str); 3]| pairs.map(|(n, r)| (n.to_string(), r.to_string())).into_iter().collect();
    // An honest operator's default: generation (declared exact) on the reference, embeddings on candle.
    assert_eq!(
        runtimes(Runtime::Auto),
        expect([
            ("SmolLM2-135M-Instruct-Q4_1", "reference"),
            ("all-MiniLM-L6-v2", "fast"),
            ("topic-classifier", "integer")
        ])
    );
    assert_eq!(
        runtimes(Runtime::Reference),
        expect([
            ("SmolLM2-135M-Instruct-Q4_1", "reference"),
            ("all-MiniLM-L6-v2", "reference"),
            ("topic-classifier", "integer")
        ])
    );
    assert_eq!("fast".parse::<Runtime>(), Ok(Runtime::Fast));
    assert!("turbo".parse::<Runtime>().is_err());
}
