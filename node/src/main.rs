//! `bai`: the BalanceAI L2 node and its tools. This crate is command-line dispatch only: each
//! subcommand's arguments and work live in a library crate (see docs/architecture.md).

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// jemalloc instead of glibc malloc: a block's write batch and RocksDB's memtable arena are large
/// allocations that glibc maps fresh from the kernel each time (zeroed pages, a page fault per 4 KiB),
/// which took a sixth of the block builder's profile; jemalloc reuses them.
#[cfg(unix)]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// The BalanceAI rollup: an OP-Stack-style L2 with AI models callable from Solidity.
#[derive(Debug, Parser)]
#[command(name = "bai", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run an L2 node (sequencer, verifier or replica, with JSON-RPC).
    Node(Box<bai_node_builder::NodeArgs>),
    /// Inference server and model tools.
    Infer(bai_cli::infer::InferArgs),
    /// List, quote and call the chain's AI models.
    Model(bai_cli::model::ModelArgs),
    /// Move BAI between L1 and L2: deposit, withdraw, and a withdrawal's status, prove and finalize.
    Bridge(bai_cli::bridge::BridgeArgs),
    /// BAI governance on L1: delegate, propose L1 and L2 actions, vote, queue, execute, status.
    Gov(bai_cli::gov::GovArgs),
    /// Run the whole dev testnet (L1, contracts, inference, sequencer, batcher, verifier, dApp).
    Devnet(bai_devnet::DevnetArgs),
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
            Command::Node(args) => bai_node_builder::run(*args).await,
            Command::Infer(args) => bai_cli::infer::run(args).await,
            Command::Model(args) => bai_cli::model::run(args).await,
            Command::Devnet(args) => bai_devnet::run(args).await,
            Command::Bridge(args) => bai_cli::bridge::run(args).await,
            Command::Gov(args) => bai_cli::gov::run(args).await,
        }
    });
    // Tasks still running (e.g. stuck on a hung peer) must not hold the process open.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
