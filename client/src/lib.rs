//! Rust client SDK for BalanceAI's AI models, built on alloy: list the registered models, quote a
//! call's gas, and call a model through the marketplace (paying its price) — getting back the exact
//! answer the chain recorded, read from the block's witness deposit rather than re-simulated.
//!
//! Owns: typed wrappers over `bai_listModels`, the precompile's `quote`, and the marketplace calls.
//! Must not touch: node internals; everything goes through JSON-RPC.
//!
//! ```no_run
//! # async fn demo() -> Result<(), bai_client::ClientError> {
//! use alloy::{providers::ProviderBuilder, signers::local::PrivateKeySigner};
//! let signer: PrivateKeySigner = "0x…".parse().unwrap();
//! let provider = ProviderBuilder::new().wallet(signer).connect_http("http://127.0.0.1:8545".parse().unwrap());
//! let client = bai_client::BaiClient::new(provider);
//! let models = client.list_models().await?;
//! let embedding = client.embed(models.models[0].id, "The weather is lovely today.").await?;
//! # Ok(()) }
//! ```

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

use alloy::{
    network::{Ethereum, TransactionBuilder},
    primitives::{Address, B256, Bytes, U64, U256},
    providers::Provider,
    rlp::Decodable,
    rpc::types::TransactionRequest,
    sol_types::SolCall,
};
use bai_chainspec::predeploys::{AI_PRECOMPILE, MODEL_MARKETPLACE};
use bai_precompiles::{
    abi::{IBaiInference, IModelMarketplace},
    tensor_io,
    witness::{block_witnesses, call_key, unpack_embedding},
};
use op_alloy::consensus::OpTxEnvelope;
use serde::Deserialize;

/// Errors of the client.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("rpc: {0}")]
    /// The node refused a request or could not be reached; carries the transport's message.
    Rpc(String),
    #[error("the model call reverted in transaction {0}")]
    /// The paid call's transaction was included but reverted.
    Reverted(B256),
    #[error("block {0} has no recorded answer for this call")]
    /// The call's block holds no witness under the call's key (the model was not answered).
    NoWitness(u64),
    #[error("malformed answer: {0}")]
    /// An answer, receipt or block from the node does not decode as expected.
    Malformed(String),
}

impl<E: std::fmt::Display> From<alloy::transports::RpcError<E>> for ClientError {
    fn from(error: alloy::transports::RpcError<E>) -> Self {
        Self::Rpc(error.to_string())
    }
}

/// One registered model, as `bai_listModels` returns it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Model {
    /// Model id (the registry's key).
    pub id: B256,
    /// The registry's metadata URI.
    pub name: String,
    /// What the model does: `embedding`, `generation`, `generic`, or `unknown(n)`.
    pub kind: String,
    /// Lifecycle state: `none`, `active`, `paused`, `retired` or `unknown`.
    pub status: String,
    /// Price per call, in wei of BAI (non-zero: callable only through the marketplace).
    pub price: U256,
    /// Gas charged per call before any unit or input byte.
    pub base_gas: alloy::primitives::U64,
    /// Gas charged per unit the call used.
    pub gas_per_unit: alloy::primitives::U64,
    /// Gas charged per input byte.
    pub gas_per_input_byte: alloy::primitives::U64,
    /// Largest input the model accepts, in bytes.
    pub max_input_bytes: alloy::primitives::U64,
    /// Largest number of units one call may request.
    pub max_units: alloy::primitives::U64,
    /// Account that registered the model.
    pub owner: Address,
    /// Operator serving the model.
    pub operator: Address,
}

/// `bai_listModels`' answer.
#[derive(Debug, Clone, Deserialize)]
pub struct Models {
    /// Address of the ModelMarketplace predeploy, which paid calls go through.
    pub marketplace: Address,
    /// Address of the AI precompile.
    pub precompile: Address,
    /// Every registered model.
    pub models: Vec<Model>,
}

/// A model answer together with where the chain recorded it.
#[derive(Debug, Clone)]
pub struct Answer<T> {
    /// The decoded answer.
    pub value: T,
    /// Units the call used, as its witness records.
    pub units: u64,
    /// Hash of the transaction that made the call.
    pub transaction: B256,
    /// Number of the block that recorded the answer.
    pub block: u64,
}

/// Typed access to a BalanceAI node's models over any alloy provider (with a wallet to send calls).
#[derive(Debug, Clone)]
pub struct BaiClient<P> {
    provider: P,
}

impl<P: Provider<Ethereum>> BaiClient<P> {
    /// A client over `provider`.
    pub fn new(provider: P) -> Self {
        Self { provider }
    }

    /// The provider the client sends through.
    pub fn provider(&self) -> &P {
        &self.provider
    }

    /// Every model in the on-chain registry.
    pub async fn list_models(&self) -> Result<Models, ClientError> {
        Ok(self.provider.raw_request("bai_listModels".into(), ()).await?)
    }

    /// The most gas a call can be charged (the precompile's `quote`).
    pub async fn quote(&self, model: B256, input_bytes: usize, max_units: u32) -> Result<U256, ClientError> {
        let call =
            IBaiInference::quoteCall { modelId: model, inputBytes: U256::from(input_bytes), maxUnits: max_units };
        let out = self.call(AI_PRECOMPILE, call.abi_encode()).await?;
        IBaiInference::quoteCall::abi_decode_returns(&out).map_err(|e| ClientError::Malformed(e.to_string()))
    }

    /// The model's price in wei.
    pub async fn price(&self, model: B256) -> Result<U256, ClientError> {
        let out = self.call(MODEL_MARKETPLACE, IModelMarketplace::getModelCall { modelId: model }.abi_encode()).await?;
        let model = IModelMarketplace::getModelCall::abi_decode_returns(&out)
            .map_err(|e| ClientError::Malformed(e.to_string()))?;
        Ok(model.price)
    }

    /// Embeds `text` through the marketplace (paying the price); the unit vector × 1e6.
    pub async fn embed(&self, model: B256, text: &str) -> Result<Answer<Vec<i32>>, ClientError> {
        let call = IBaiInference::embedCall { modelId: model, text: text.into() };
        let key = call_key(model, IBaiInference::embedCall::SELECTOR, text.as_bytes(), 0);
        let answer = self.paid_call(model, call.abi_encode(), key).await?;
        let values =
            unpack_embedding(&answer.value).ok_or_else(|| ClientError::Malformed("embedding length".into()))?;
        Ok(Answer { value: values, units: answer.units, transaction: answer.transaction, block: answer.block })
    }

    /// Generates up to `max_tokens` tokens answering `prompt` through the marketplace (greedy).
    pub async fn generate(&self, model: B256, prompt: &str, max_tokens: u32) -> Result<Answer<String>, ClientError> {
        let call = IBaiInference::generateCall { modelId: model, prompt: prompt.into(), maxTokens: max_tokens };
        let key = call_key(model, IBaiInference::generateCall::SELECTOR, prompt.as_bytes(), max_tokens);
        let answer = self.paid_call(model, call.abi_encode(), key).await?;
        let text = String::from_utf8(answer.value.to_vec()).map_err(|e| ClientError::Malformed(e.to_string()))?;
        Ok(Answer { value: text, units: answer.units, transaction: answer.transaction, block: answer.block })
    }

    /// Runs a generic tensor model through the marketplace on raw ABI `input` (see
    /// `bai_precompiles::tensor_io`); the recorded output bytes.
    pub async fn infer(&self, model: B256, input: Bytes, max_units: u32) -> Result<Answer<Bytes>, ClientError> {
        let key = call_key(model, IBaiInference::inferCall::SELECTOR, &input, max_units);
        let call = IBaiInference::inferCall { modelId: model, input, maxUnits: max_units };
        self.paid_call(model, call.abi_encode(), key).await
    }

    /// Classifies fixed-point `features` (e.g. an embedding) with a tensor classifier: the winning
    /// label index and every score × 1e6.
    pub async fn classify(
        &self,
        model: B256,
        features: &[i32],
        max_units: u32,
    ) -> Result<Answer<(u32, Vec<i32>)>, ClientError> {
        let answer = self.infer(model, tensor_io::encode_features(features), max_units).await?;
        let value = tensor_io::decode_scores(&answer.value).map_err(ClientError::Malformed)?;
        Ok(Answer { value, units: answer.units, transaction: answer.transaction, block: answer.block })
    }

    async fn call(&self, to: Address, input: Vec<u8>) -> Result<Bytes, ClientError> {
        let request = TransactionRequest::default().with_to(to).with_input(input);
        self.provider.call(request).await.map_err(|e| ClientError::Rpc(e.to_string()))
    }

    /// Sends a paid marketplace call and reads the recorded answer for `key` from its block.
    async fn paid_call(&self, model: B256, input: Vec<u8>, key: B256) -> Result<Answer<Bytes>, ClientError> {
        let price = self.price(model).await?;
        let request = TransactionRequest::default().with_to(MODEL_MARKETPLACE).with_value(price).with_input(input);
        let pending = self.provider.send_transaction(request).await.map_err(|e| ClientError::Rpc(e.to_string()))?;
        let receipt = pending.get_receipt().await.map_err(|e| ClientError::Rpc(e.to_string()))?;
        let hash = receipt.transaction_hash;
        if !receipt.status() {
            return Err(ClientError::Reverted(hash));
        }
        let number = receipt.block_number.ok_or_else(|| ClientError::Malformed("receipt without block".into()))?;
        // The witness deposit is an OP deposit transaction: read the raw block and decode it as such.
        let raw: Bytes = self.provider.raw_request("debug_getRawBlock".into(), (U64::from(number),)).await?;
        let block = alloy::consensus::Block::<OpTxEnvelope>::decode(&mut raw.as_ref())
            .map_err(|e| ClientError::Malformed(e.to_string()))?;
        let witness =
            block_witnesses(&block.body.transactions).get(&key).cloned().ok_or(ClientError::NoWitness(number))?;
        Ok(Answer { value: witness.output.clone(), units: witness.units, transaction: hash, block: number })
    }
}
