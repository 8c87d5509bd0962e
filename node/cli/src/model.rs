//! `bai model`: list, quote and call the chain's AI models from the command line (a thin front end
//! over the `bai-client` SDK, like `cast` over alloy).

use alloy::{primitives::B256, providers::ProviderBuilder, signers::local::PrivateKeySigner};
use bai_client::BaiClient;
use clap::{Args, Subcommand};

/// Arguments of `bai model`.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// Node RPC URL.
    #[arg(long = "rpc-url", env = "ETH_RPC_URL", default_value = "http://127.0.0.1:8545", global = true)]
    rpc_url: String,
    /// Key paying for calls (or BAI_PRIVATE_KEY; never printed).
    #[arg(long = "private-key", env = "BAI_PRIVATE_KEY", hide_env_values = true, global = true)]
    private_key: Option<String>,
    #[command(subcommand)]
    command: ModelCommand,
}

#[derive(Debug, Subcommand)]
enum ModelCommand {
    /// Registered models (bai_listModels).
    List,
    /// Worst-case gas of a call.
    Quote {
        model: B256,
        input_bytes: usize,
        #[arg(default_value_t = 0)]
        max_units: u32,
    },
    /// Embed text through the marketplace (pays the price); prints the recorded vector as JSON.
    Embed { model: B256, text: String },
    /// Generate text through the marketplace (pays the price); prints the recorded answer.
    Generate {
        model: B256,
        prompt: String,
        #[arg(long = "max-tokens", default_value_t = 64)]
        max_tokens: u32,
    },
    /// Classify text: embed it with an embedding model, then run a tensor classifier on the
    /// recorded vector (two paid calls); prints the label index and scores.
    Classify {
        /// The embedding model.
        embedder: B256,
        /// The tensor classifier.
        classifier: B256,
        text: String,
        #[arg(long = "max-units", default_value_t = 64)]
        max_units: u32,
    },
}

/// Runs a `bai model` subcommand against the node at `--rpc-url`.
pub async fn run(args: ModelArgs) -> anyhow::Result<()> {
    let url = args.rpc_url.parse()?;
    let signer: PrivateKeySigner = match &args.private_key {
        Some(key) => key.parse().map_err(|_| anyhow::anyhow!("--private-key is not a valid key"))?,
        None => PrivateKeySigner::random(),
    };
    let client =
        BaiClient::new(ProviderBuilder::new().wallet(signer).connect_reqwest(bai_runtime::http::http_client(), url));
    match args.command {
        ModelCommand::List => {
            let models = client.list_models().await?;
            println!("marketplace {}  precompile {}", models.marketplace, models.precompile);
            for m in models.models {
                println!(
                    "{}  {:<10} {:<8} price {} wei  base {} + {}/byte + {}/unit  operator {}  {}",
                    m.id,
                    m.kind,
                    m.status,
                    m.price,
                    m.base_gas,
                    m.gas_per_input_byte,
                    m.gas_per_unit,
                    m.operator,
                    m.name
                );
            }
        }
        ModelCommand::Quote { model, input_bytes, max_units } => {
            println!("{}", client.quote(model, input_bytes, max_units).await?)
        }
        ModelCommand::Embed { model, text } => {
            anyhow::ensure!(args.private_key.is_some(), "embed sends a paid transaction: pass --private-key");
            let answer = client.embed(model, &text).await?;
            println!(
                "{}",
                serde_json::json!({"embedding": answer.value, "units": answer.units, "transaction": answer.transaction, "block": answer.block})
            );
        }
        ModelCommand::Generate { model, prompt, max_tokens } => {
            anyhow::ensure!(args.private_key.is_some(), "generate sends a paid transaction: pass --private-key");
            let answer = client.generate(model, &prompt, max_tokens).await?;
            println!(
                "{}",
                serde_json::json!({"text": answer.value, "units": answer.units, "transaction": answer.transaction, "block": answer.block})
            );
        }
        ModelCommand::Classify { embedder, classifier, text, max_units } => {
            anyhow::ensure!(args.private_key.is_some(), "classify sends paid transactions: pass --private-key");
            let embedding = client.embed(embedder, &text).await?;
            let answer = client.classify(classifier, &embedding.value, max_units).await?;
            let (label, scores) = answer.value;
            println!(
                "{}",
                serde_json::json!({"label": label, "scores": scores, "units": answer.units, "transaction": answer.transaction, "block": answer.block})
            );
        }
    }
    Ok(())
}
