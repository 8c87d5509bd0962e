//! The proposer: output roots of safe L2 blocks, posted to `L2OutputOracle.proposeL2Output`.

use crate::output_root;
use alloy::{
    consensus::Header,
    eips::BlockNumberOrTag,
    network::EthereumWallet,
    primitives::{Address, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
    sol,
};
use bai_bridge::poll::Poll;
use bai_sequencer::Sequencer;
use std::{sync::Arc, time::Duration};
use tokio::sync::watch;

sol! {
    #[sol(rpc)]
    interface IL2OutputOracle {
        function nextBlockNumber() external view returns (uint256);
        function computeL2Timestamp(uint256 l2BlockNumber) external view returns (uint256);
        function PROPOSER() external view returns (address);
        function proposeL2Output(bytes32 outputRoot, uint256 l2BlockNumber, bytes32 l1BlockHash, uint256 l1BlockNumber) external payable;
    }
}

/// The L2 chain as the proposer sees it: its safe head and headers.
pub trait SafeChain: Send + Sync {
    fn safe_head(&self) -> u64;
    /// Header and hash of block `number`.
    fn header(&self, number: u64) -> Option<(Header, B256)>;
}

impl SafeChain for Sequencer {
    fn safe_head(&self) -> u64 {
        Sequencer::safe_head(self)
    }

    fn header(&self, number: u64) -> Option<(Header, B256)> {
        let store = self.store();
        Some((store.header(number).ok()??, store.block_hash(number).ok()??))
    }
}

#[derive(Debug, Clone)]
pub struct ProposerConfig {
    pub l1_rpc_url: String,
    pub oracle: Address,
    pub signer: PrivateKeySigner,
    pub poll_interval: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ProposerError {
    #[error("L1 RPC: {0}")]
    Rpc(String),
    #[error("the oracle's proposer is {expected}, but the proposer key is for {actual}")]
    NotProposer { expected: Address, actual: Address },
    #[error("L2 block {0} is missing")]
    MissingBlock(u64),
    #[error("proposal for L2 block {0} reverted on L1")]
    Reverted(u64),
}

fn rpc<E: std::fmt::Display>(e: E) -> ProposerError {
    ProposerError::Rpc(e.to_string())
}

pub struct Proposer {
    config: ProposerConfig,
    provider: DynProvider,
    l2: Arc<dyn SafeChain>,
}

impl Proposer {
    pub fn new(config: ProposerConfig, l2: Arc<dyn SafeChain>) -> Result<Self, ProposerError> {
        let url = config.l1_rpc_url.parse().map_err(|e| ProposerError::Rpc(format!("bad L1 URL: {e}")))?;
        let provider =
            ProviderBuilder::new().wallet(EthereumWallet::from(config.signer.clone())).connect_http(url).erased();
        Ok(Self { config, provider, l2 })
    }

    pub fn address(&self) -> Address {
        self.config.signer.address()
    }

    /// Fails when the key is not the oracle's proposer (its proposals would revert).
    pub async fn check_role(&self) -> Result<(), ProposerError> {
        let oracle = IL2OutputOracle::new(self.config.oracle, &self.provider);
        let expected = oracle.PROPOSER().call().await.map_err(rpc)?;
        if expected != self.address() {
            return Err(ProposerError::NotProposer { expected, actual: self.address() });
        }
        Ok(())
    }

    /// Proposes until `shutdown`; failures are retried with backoff.
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        tracing::info!(target: "proposer", proposer = %self.address(), oracle = %self.config.oracle, "proposer started");
        let poll = Poll {
            task: "proposer",
            interval: self.config.poll_interval,
            max_backoff: Duration::from_secs(30),
            errors_metric: "bai_proposer_errors_total",
        };
        poll.run(shutdown, || self.step()).await
    }

    /// Posts the output the oracle expects next, once that block is safe and its L2 time has passed
    /// on L1. The oracle is the only record of what was posted: nothing to lose on a crash, and a
    /// proposal still in flight from before a restart is waited for rather than sent twice.
    pub async fn step(&self) -> Result<(), ProposerError> {
        let oracle = IL2OutputOracle::new(self.config.oracle, &self.provider);
        let next: u64 = oracle.nextBlockNumber().call().await.map_err(rpc)?.saturating_to();
        metrics::gauge!("bai_proposer_next_block").set(next as f64);
        if self.l2.safe_head() < next {
            return Ok(());
        }
        let due: u64 = oracle.computeL2Timestamp(U256::from(next)).call().await.map_err(rpc)?.saturating_to();
        let l1 = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(rpc)?
            .ok_or_else(|| ProposerError::Rpc("no latest L1 block".into()))?;
        if due >= l1.header.timestamp {
            return Ok(());
        }
        let me = self.address();
        let mined = self.provider.get_transaction_count(me).latest().await.map_err(rpc)?;
        let pending = self.provider.get_transaction_count(me).pending().await.map_err(rpc)?;
        if pending > mined {
            tracing::info!(target: "proposer", block = next, "a proposal is still pending on L1; waiting for it");
            return Ok(());
        }
        let (header, hash) = self.l2.header(next).ok_or(ProposerError::MissingBlock(next))?;
        let root = output_root(header.state_root, header.withdrawals_root.unwrap_or_default(), hash);
        // Bound to a recent L1 block, so the proposal does not survive an L1 reorg of its context.
        let receipt = oracle
            .proposeL2Output(root, U256::from(next), l1.header.hash, U256::from(l1.header.number))
            .send()
            .await
            .map_err(rpc)?
            .get_receipt()
            .await
            .map_err(rpc)?;
        if !receipt.status() {
            return Err(ProposerError::Reverted(next));
        }
        metrics::counter!("bai_proposer_outputs_total").increment(1);
        tracing::info!(target: "proposer", block = next, %root, l1_tx = %receipt.transaction_hash, "output proposed");
        Ok(())
    }
}
