//! `bai infer`: the inference server (`serve`) and a look at the models on disk (`models`).

use anyhow::Context;
use bai_inference::{Catalog, Engine, EngineConfig, server};
use clap::{Args, Subcommand};
use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

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
    /// Requests waiting per model before new ones get "overloaded".
    #[arg(long, default_value_t = 64)]
    queue: usize,
    /// Most embedding requests per forward pass.
    #[arg(long = "max-batch", default_value_t = 16)]
    max_batch: usize,
    /// Per-request deadline, queueing included.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    timeout: Duration,
}

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
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let catalog = Catalog::discover(&args.models_dir);
    anyhow::ensure!(!catalog.is_empty(), "no models under {} (run `make setup`)", args.models_dir.display());
    let device = args.device.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    let config = EngineConfig { device, queue: args.queue, max_batch: args.max_batch, timeout: args.timeout };
    let engine =
        tokio::task::spawn_blocking(move || Engine::load(&catalog, config)).await?.context("loading models")?;
    let engine = Arc::new(engine);
    let (addr, handle) =
        server::serve(engine.clone(), args.addr).await.with_context(|| format!("cannot listen on {}", args.addr))?;
    let mut banner = format!("\n{} inference server on {}\n\nModels\n======\n", crate::client_version(), args.device);
    for model in engine.models() {
        banner.push_str(&format!("{}  {:<10} {}\n", model.id, format!("{:?}", model.kind).to_lowercase(), model.name));
    }
    banner.push_str(&format!("\nJSON-RPC listening on http://{addr}\n"));
    println!("{banner}");
    crate::node::wait_for_signal().await;
    tracing::info!(target: "inference", "shutting down");
    let _ = handle.stop();
    handle.stopped().await;
    Ok(())
}
