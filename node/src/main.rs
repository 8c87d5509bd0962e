//! `bai`: the BalanceAI L2 node and its tools.

mod bridge_cli;
mod config;
mod devnet;
mod follow;
mod infer;
mod model_cli;
mod node;
mod rpc;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// The BalanceAI rollup: an OP-Stack-style L2 with AI models callable from Solidity.
#[derive(Debug, Parser)]
#[command(name = "bai", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run an L2 node (sequencer and JSON-RPC).
    Node(Box<config::NodeArgs>),
    /// Inference server and model tools.
    Infer(infer::InferArgs),
    /// List, quote and call the chain's AI models.
    Model(model_cli::ModelArgs),
    /// Move BAI between L1 and L2: deposit, withdraw, and a withdrawal's status, prove and finalize.
    Bridge(bridge_cli::BridgeArgs),
    /// Run the whole dev testnet (L1, contracts, inference, sequencer, batcher, verifier, dApp).
    Devnet(devnet::DevnetArgs),
}

pub fn client_version() -> String {
    format!("bai/v{}/{}-{}", env!("CARGO_PKG_VERSION"), std::env::consts::OS, std::env::consts::ARCH)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,jsonrpsee=warn".into()),
        )
        .with_target(true)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Node(args) => node::run(*args).await,
            Command::Infer(args) => infer::run(args).await,
            Command::Model(args) => model_cli::run(args).await,
            Command::Devnet(args) => devnet::run(args).await,
            Command::Bridge(args) => bridge_cli::run(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
