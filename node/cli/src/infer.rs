//! `bai infer`: the inference server (`serve`), a look at the models on disk (`models`), and a
//! builder for zero-shot classifiers over sentence embeddings (`make-classifier`).

use anyhow::Context;
use bai_inference::{Catalog, Engine, EngineConfig, server};
use clap::{Args, Subcommand};
use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

/// Arguments of `bai infer`.
#[derive(Debug, Args)]
pub struct InferArgs {
    #[command(subcommand)]
    command: InferCommand,
}

#[derive(Debug, Subcommand)]
enum InferCommand {
    /// Serve the models under --models-dir over JSON-RPC (`bai_infer`, `bai_embed`, `bai_generate`).
    Serve(ServeArgs),
    /// List the models found under --models-dir with their ids (hashes of their weight files).
    Models {
        #[arg(long = "models-dir", default_value = "./.models")]
        models_dir: PathBuf,
    },
    /// Build a tensor model (the `infer` form) that classifies sentence embeddings: one linear layer
    /// whose rows are the all-MiniLM-L6-v2 embeddings of each label's description.
    MakeClassifier {
        #[arg(long = "models-dir", default_value = "./.models")]
        models_dir: PathBuf,
        /// Output directory (gets model.json and model.safetensors).
        #[arg(long)]
        out: PathBuf,
        /// `name=description`, once per class, in output order.
        #[arg(long = "label", required = true, value_parser = parse_label)]
        labels: Vec<(String, String)>,
        /// Free text stored in the manifest.
        #[arg(long, default_value = "zero-shot classifier over all-MiniLM-L6-v2 embeddings")]
        description: String,
    },
    /// Write a tensor model's zero-knowledge verifying key and print its commitment (keccak-256 of
    /// the key): what the model registry records for a model verified by proofs. The weights stay
    /// with you; the key holds only commitments to them.
    ZkKey {
        /// The model directory (model.json, model.safetensors).
        model: PathBuf,
        /// Where to write the key.
        #[arg(long)]
        out: PathBuf,
    },
    /// Evaluate a tensor model on features and prove the scores; writes a JSON file with the
    /// features, scores, label, proof and the key's commitment.
    Prove {
        /// The model directory.
        model: PathBuf,
        /// The features: a JSON array of int32 (×10⁶), or @FILE holding one.
        #[arg(long)]
        features: String,
        /// Where to write the proof.
        #[arg(long)]
        out: PathBuf,
    },
    /// Check a proof written by `prove` against a verifying key written by `zk-key` (no weights needed).
    Verify {
        /// The proof file.
        proof: PathBuf,
        /// The verifying key file.
        #[arg(long)]
        key: PathBuf,
        /// Also require the key to have this commitment (the one the registry records).
        #[arg(long)]
        commitment: Option<alloy::primitives::B256>,
    },
}

/// What `bai infer prove` writes and `bai infer verify` reads.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct ProofFile {
    commitment: alloy::primitives::B256,
    features: Vec<i32>,
    scores: Vec<i32>,
    label: u32,
    proof: alloy::primitives::Bytes,
}

fn parse_label(s: &str) -> Result<(String, String), String> {
    let (name, text) = s.split_once('=').ok_or_else(|| format!("expected name=description, got {s:?}"))?;
    Ok((name.trim().to_string(), text.trim().to_string()))
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Directory with the model weights (`make setup` unpacks them into ./.models).
    #[arg(long = "models-dir", default_value = "./.models")]
    models_dir: PathBuf,
    /// Listen address.
    #[arg(long, default_value = "127.0.0.1:8600")]
    addr: SocketAddr,
    /// cpu, or cuda (needs a build with `--features cuda`).
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Runtime of the float models: auto (generation on the bit-exact reference runtime, embeddings on
    /// the fast path, as the shipped models' verification rules need), reference (everything
    /// bit-exact, on the CPU) or fast (candle on --device for everything).
    #[arg(long, default_value = "auto")]
    runtime: bai_inference::engine::Runtime,
    /// Requests waiting per model before new ones get "overloaded".
    #[arg(long, default_value_t = 64)]
    queue: usize,
    /// Most embedding requests per forward pass.
    #[arg(long = "max-batch", default_value_t = 16)]
    max_batch: usize,
    /// Per-request deadline, queueing included.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    timeout: Duration,
    /// The serving operator (a staked address in the model registry) this server answers for: sequencers
    /// send it only calls to models registered with this operator, and it refuses calls for another one.
    /// Without it the server answers for any operator.
    #[arg(long, value_name = "ADDRESS")]
    operator: Option<alloy::primitives::Address>,
}

/// Runs a `bai infer` subcommand.
pub async fn run(args: InferArgs) -> anyhow::Result<()> {
    match args.command {
        InferCommand::Models { models_dir } => {
            let catalog = Catalog::discover(&models_dir);
            anyhow::ensure!(!catalog.is_empty(), "no models under {} (run `make setup`)", models_dir.display());
            for (name, files) in &catalog.models {
                let id = bai_inference::model_id(&files.identity_files())?;
                println!("{id}  {:<10} {name}", format!("{:?}", files.kind()).to_lowercase());
            }
            Ok(())
        }
        InferCommand::Serve(args) => serve(args).await,
        InferCommand::ZkKey { model, out } => {
            let prover = zk_prover(&model, &zk_setup())?;
            let key = prover.verifying_key();
            std::fs::write(&out, key.to_bytes()).with_context(|| format!("writing {}", out.display()))?;
            println!(
                "wrote {} ({} bytes, circuit of 2^{} rows)\ncommitment {}",
                out.display(),
                key.to_bytes().len(),
                key.degree(),
                alloy::primitives::B256::from(key.commitment())
            );
            Ok(())
        }
        InferCommand::Prove { model, features, out } => {
            let text = match features.strip_prefix('@') {
                Some(path) => std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?,
                None => features,
            };
            let features: Vec<i32> = serde_json::from_str(&text).context("--features must be a JSON array of int32")?;
            let prover = zk_prover(&model, &zk_setup())?;
            let started = std::time::Instant::now();
            let proved = prover.prove(&features)?;
            let elapsed = started.elapsed();
            let label = proved.label;
            let file = ProofFile {
                commitment: prover.verifying_key().commitment().into(),
                features,
                scores: proved.scores,
                label,
                proof: proved.proof.into(),
            };
            std::fs::write(&out, serde_json::to_vec_pretty(&file)?)
                .with_context(|| format!("writing {}", out.display()))?;
            println!(
                "label {label}, scores {:?}\nproof of {} bytes in {elapsed:.2?}, written to {}",
                file.scores,
                file.proof.len(),
                out.display()
            );
            Ok(())
        }
        InferCommand::Verify { proof, key, commitment } => {
            let file: ProofFile =
                serde_json::from_slice(&std::fs::read(&proof).with_context(|| format!("reading {}", proof.display()))?)
                    .with_context(|| format!("{} is not a proof file from `bai infer prove`", proof.display()))?;
            let key = bai_zk::VerifyingKey::from_bytes(
                &std::fs::read(&key).with_context(|| format!("reading {}", key.display()))?,
            )?;
            let actual = alloy::primitives::B256::from(key.commitment());
            if let Some(expected) = commitment {
                anyhow::ensure!(actual == expected, "the key's commitment is {actual}, not {expected}");
            }
            anyhow::ensure!(
                file.commitment == actual,
                "the proof names the key {}, this key is {actual}",
                file.commitment
            );
            anyhow::ensure!(
                file.label == bai_inference::tensor::argmax(&file.scores),
                "label {} is not the argmax of the scores",
                file.label
            );
            let setup = zk_setup();
            setup.params(key.degree()); // the generators are derived once; time the check alone
            let started = std::time::Instant::now();
            bai_zk::verify(&setup, &key, &file.features, &file.scores, &file.proof)?;
            println!(
                "valid: label {}, scores {:?} for key {actual}, verified in {:.2?}",
                file.label,
                file.scores,
                started.elapsed()
            );
            Ok(())
        }
        InferCommand::MakeClassifier { models_dir, out, labels, description } => {
            let dir = models_dir.join(bai_inference::catalog::MINILM_DIR);
            let embedder = bai_inference::embedding::Embedder::load(&dir, &bai_inference::DeviceKind::Cpu.device()?)
                .with_context(|| format!("loading the embedding model from {}", dir.display()))?;
            bai_inference::tensor::build_zero_shot_classifier(&embedder, &labels, &out, &description)?;
            let files = bai_inference::ModelFiles::Tensor { dir: out.clone() }.identity_files();
            println!(
                "wrote {} ({} classes), model id {}",
                out.display(),
                labels.len(),
                bai_inference::model_id(&files)?
            );
            Ok(())
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let catalog = Catalog::discover(&args.models_dir);
    anyhow::ensure!(!catalog.is_empty(), "no models under {} (run `make setup`)", args.models_dir.display());
    let device = args.device.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    if args.runtime == bai_inference::engine::Runtime::Fast {
        tracing::warn!(
            target: "inference",
            "--runtime fast serves generation from candle, whose greedy text depends on this CPU's kernels: a model \
             registered exact (toleranceBps 0, as the devnet's SmolLM2) can get its operator slashed; use auto"
        );
    }
    let config = EngineConfig {
        device,
        runtime: args.runtime,
        queue: args.queue,
        max_batch: args.max_batch,
        timeout: args.timeout,
        zk_cache: zk_cache_dir(),
    };
    let engine =
        tokio::task::spawn_blocking(move || Engine::load(&catalog, config)).await?.context("loading models")?;
    let engine = Arc::new(engine);
    let (addr, handle) = server::serve(engine.clone(), args.addr, args.operator)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let mut banner =
        format!("\n{} inference server on {}\n\nModels\n======\n", bai_runtime::client_version(), args.device);
    for model in engine.models() {
        let kind = format!("{:?}", model.kind).to_lowercase();
        banner.push_str(&format!("{}  {kind:<10} {:<9} {}\n", model.id, model.runtime, model.name));
    }
    match args.operator {
        Some(operator) => banner.push_str(&format!("\nServing for operator {operator} (only its models' calls)\n")),
        None => banner.push_str("\nServing for any operator (--operator binds it to one)\n"),
    }
    banner.push_str(&format!("\nJSON-RPC listening on http://{addr}\n"));
    println!("{banner}");
    bai_runtime::wait_for_signal().await;
    tracing::info!(target: "inference", "shutting down");
    let _ = handle.stop();
    handle.stopped().await;
    Ok(())
}

fn zk_prover(model: &std::path::Path, setup: &bai_zk::Setup) -> anyhow::Result<bai_zk::Prover> {
    let model = bai_inference::tensor::TensorModel::load(model)
        .with_context(|| format!("loading the tensor model in {}", model.display()))?;
    Ok(bai_zk::Prover::new(&model, setup)?)
}

/// Where the proof generators are cached: `$BAI_ZK_CACHE`, else `~/.cache/bai/zk`. Deriving them takes
/// seconds for larger models, reading them back (checked against pinned digests) a fraction of that.
fn zk_cache_dir() -> Option<PathBuf> {
    std::env::var_os("BAI_ZK_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/bai/zk")))
}

fn zk_setup() -> bai_zk::Setup {
    zk_cache_dir().map_or_else(bai_zk::Setup::new, bai_zk::Setup::with_cache)
}
