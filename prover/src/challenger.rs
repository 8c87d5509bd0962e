//! The challenger: checks every output root on L1 against the chain this node derived from L1 alone,
//! and deletes a wrong one (`L2OutputOracle.deleteL2Outputs`, CHALLENGER only) while its
//! finalization window is still open, so no withdrawal can finalize against it.
//!
//! It keeps no state of its own: on every start it looks again at every output whose window is
//! open, which is what makes a restart (even after `kill -9`) miss nothing, and it reads the oracle
//! before acting, so a deletion already done is never sent twice.

use crate::{SafeChain, output_root};
use alloy::{
    eips::BlockNumberOrTag,
    network::EthereumWallet,
    primitives::{Address, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
    sol,
};
use bai_bridge::poll::Poll;
use parking_lot::Mutex;
use std::{sync::Arc, time::Duration};
use tokio::sync::watch;

sol! {
    #[sol(rpc)]
    interface IOutputOracleChallenge {
        struct OutputProposal {
            bytes32 outputRoot;
            uint128 timestamp;
            uint128 l2BlockNumber;
        }
        function CHALLENGER() external view returns (address);
        function FINALIZATION_PERIOD_SECONDS() external view returns (uint256);
        function nextOutputIndex() external view returns (uint256);
        function getL2Output(uint256 l2OutputIndex) external view returns (OutputProposal memory);
        function deleteL2Outputs(uint256 l2OutputIndex) external;
    }
}

#[derive(Debug, Clone)]
pub struct ChallengerConfig {
    pub l1_rpc_url: String,
    pub oracle: Address,
    pub signer: PrivateKeySigner,
    pub poll_interval: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ChallengerError {
    #[error("L1 RPC: {0}")]
    Rpc(String),
    #[error("the oracle's challenger is {expected}, but the challenger key is for {actual}")]
    NotChallenger { expected: Address, actual: Address },
    #[error("L2 block {0} is missing")]
    MissingBlock(u64),
    #[error("deleting output {0} reverted on L1")]
    Reverted(u64),
}

fn rpc<E: std::fmt::Display>(e: E) -> ChallengerError {
    ChallengerError::Rpc(e.to_string())
}

/// What the challenger found about one output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Its window closed before it could be checked (nothing can be done on L1 any more).
    Finalized,
    /// This node has not derived that block yet.
    NotYetSafe,
    Valid,
    Invalid {
        expected: B256,
    },
}

pub struct Challenger {
    config: ChallengerConfig,
    provider: DynProvider,
    l2: Arc<dyn SafeChain>,
    /// Outputs below this index were found valid (or final): the next poll starts here. With the
    /// root of the last of them, to notice it being replaced (deleted and posted again) meanwhile.
    checked: Mutex<(u64, B256)>,
}

impl Challenger {
    pub fn new(config: ChallengerConfig, l2: Arc<dyn SafeChain>) -> Result<Self, ChallengerError> {
        let url = config.l1_rpc_url.parse().map_err(|e| ChallengerError::Rpc(format!("bad L1 URL: {e}")))?;
        let provider =
            ProviderBuilder::new().wallet(EthereumWallet::from(config.signer.clone())).connect_http(url).erased();
        Ok(Self { config, provider, l2, checked: Mutex::new((0, B256::ZERO)) })
    }

    pub fn address(&self) -> Address {
        self.config.signer.address()
    }

    /// Fails when the key is not the oracle's challenger (its deletions would revert).
    pub async fn check_role(&self) -> Result<(), ChallengerError> {
        let oracle = IOutputOracleChallenge::new(self.config.oracle, &self.provider);
        let expected = oracle.CHALLENGER().call().await.map_err(rpc)?;
        if expected != self.address() {
            return Err(ChallengerError::NotChallenger { expected, actual: self.address() });
        }
        Ok(())
    }

    /// Checks outputs until `shutdown`; failures are retried with backoff.
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        tracing::info!(target: "challenger", challenger = %self.address(), oracle = %self.config.oracle, "challenger started");
        let poll = Poll {
            task: "challenger",
            interval: self.config.poll_interval,
            max_backoff: Duration::from_secs(30),
            errors_metric: "bai_challenger_errors_total",
        };
        poll.run(shutdown, || self.step()).await
    }

    /// The verdict on output `index`, given the L1 time `now` and the oracle's finalization period.
    async fn judge(&self, index: u64, now: u64, period: u64) -> Result<(Verdict, u64, B256), ChallengerError> {
        let oracle = IOutputOracleChallenge::new(self.config.oracle, &self.provider);
        let output = oracle.getL2Output(U256::from(index)).call().await.map_err(rpc)?;
        let (block, root) = (output.l2BlockNumber as u64, output.outputRoot);
        if (output.timestamp as u64).saturating_add(period) <= now {
            return Ok((Verdict::Finalized, block, root));
        }
        if self.l2.safe_head() < block {
            return Ok((Verdict::NotYetSafe, block, root));
        }
        let (header, hash) = self.l2.header(block).ok_or(ChallengerError::MissingBlock(block))?;
        let expected = output_root(header.state_root, header.withdrawals_root.unwrap_or_default(), hash);
        Ok((if expected == root { Verdict::Valid } else { Verdict::Invalid { expected } }, block, root))
    }

    /// Checks the outputs not yet found valid, in order, and deletes the first wrong one (the oracle
    /// deletes it with every output after it).
    pub async fn step(&self) -> Result<(), ChallengerError> {
        let oracle = IOutputOracleChallenge::new(self.config.oracle, &self.provider);
        let count: u64 = oracle.nextOutputIndex().call().await.map_err(rpc)?.saturating_to();
        let period: u64 = oracle.FINALIZATION_PERIOD_SECONDS().call().await.map_err(rpc)?.saturating_to();
        let now = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(rpc)?
            .ok_or_else(|| ChallengerError::Rpc("no latest L1 block".into()))?
            .header
            .timestamp;
        // Outputs deleted (by us or by another process with the key) and posted again: start over.
        let (mut index, last_root) = *self.checked.lock();
        if index > count
            || (index > 0
                && oracle.getL2Output(U256::from(index - 1)).call().await.map_err(rpc)?.outputRoot != last_root)
        {
            index = 0;
        }
        metrics::gauge!("bai_challenger_outputs_checked").set(index as f64);
        while index < count {
            let (verdict, block, root) = self.judge(index, now, period).await?;
            match verdict {
                Verdict::NotYetSafe => break,
                Verdict::Valid => {
                    tracing::debug!(target: "challenger", index, block, "output valid");
                }
                Verdict::Finalized => {
                    tracing::debug!(target: "challenger", index, block, "output already final; not checked");
                }
                Verdict::Invalid { expected } => {
                    self.delete(index, block, expected).await?;
                    break;
                }
            }
            index += 1;
            *self.checked.lock() = (index, root);
        }
        Ok(())
    }

    async fn delete(&self, index: u64, block: u64, expected: B256) -> Result<(), ChallengerError> {
        let me = self.address();
        let mined = self.provider.get_transaction_count(me).latest().await.map_err(rpc)?;
        let pending = self.provider.get_transaction_count(me).pending().await.map_err(rpc)?;
        if pending > mined {
            tracing::info!(target: "challenger", index, "a deletion is still pending on L1; waiting for it");
            return Ok(());
        }
        tracing::warn!(target: "challenger", index, block, %expected, "wrong output root on L1; deleting it");
        let oracle = IOutputOracleChallenge::new(self.config.oracle, &self.provider);
        let receipt =
            oracle.deleteL2Outputs(U256::from(index)).send().await.map_err(rpc)?.get_receipt().await.map_err(rpc)?;
        if !receipt.status() {
            return Err(ChallengerError::Reverted(index));
        }
        metrics::counter!("bai_challenger_outputs_deleted_total").increment(1);
        tracing::warn!(target: "challenger", index, block, l1_tx = %receipt.transaction_hash, "wrong output deleted");
        Ok(())
    }
}
