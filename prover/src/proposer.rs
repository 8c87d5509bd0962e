//! The proposer: output roots of safe L2 blocks, posted to `L2OutputOracle.proposeL2Output`.

use crate::{
    SafeChain,
    oracle::{OracleRole, RoleAccount, RoleConfig, SettlementError, rpc},
};
use alloy::primitives::{Address, U256};
use bai_runtime::Poll;
use std::sync::Arc;
use tokio::sync::watch;

/// The proposer task: posts the output root of each safe L2 block the oracle expects next.
pub struct Proposer {
    account: RoleAccount,
    l2: Arc<dyn SafeChain>,
}

impl Proposer {
    /// A proposer acting with `config`'s key on its oracle, proposing outputs of `l2`.
    pub fn new(config: RoleConfig, l2: Arc<dyn SafeChain>) -> Result<Self, SettlementError> {
        let account = RoleAccount::connect(config, OracleRole::Proposer)?;
        Ok(Self { account, l2 })
    }

    /// The proposer's L1 account.
    pub fn address(&self) -> Address {
        self.account.address
    }

    /// Fails when the key is not the oracle's proposer (its proposals would revert).
    pub async fn check_role(&self) -> Result<(), SettlementError> {
        self.account.check_role().await
    }

    /// Proposes until `shutdown`; failures are retried with backoff.
    pub async fn run(self, shutdown: watch::Receiver<bool>) -> Result<(), SettlementError> {
        tracing::info!(target: "proposer", proposer = %self.address(), oracle = %self.account.oracle, "proposer started");
        let poll = Poll::new("proposer", self.account.poll_interval, "bai_proposer_errors_total");
        poll.run(shutdown, || self.step()).await
    }

    /// Posts the output the oracle expects next, once that block is safe and its L2 time has passed
    /// on L1. The oracle is the only record of what was posted: nothing to lose on a crash. A
    /// proposal still in the mempool from before a restart is replaced at its nonce (and if it lands
    /// first, the replacement's nonce is taken and the next poll reads the oracle again).
    pub async fn step(&self) -> Result<(), SettlementError> {
        let oracle = self.account.oracle();
        let next: u64 = oracle.nextBlockNumber().call().await.map_err(rpc)?.saturating_to();
        metrics::gauge!("bai_proposer_next_block").set(next as f64);
        if self.l2.safe_head() < next {
            return Ok(());
        }
        let due: u64 = oracle.computeL2Timestamp(U256::from(next)).call().await.map_err(rpc)?.saturating_to();
        let l1 = self.account.l1_head().await?;
        if due >= l1.timestamp {
            return Ok(());
        }
        let root = self.l2.output_root(next).ok_or(SettlementError::MissingBlock(next))?;
        // Bound to a recent L1 block, so the proposal does not survive an L1 reorg of its context.
        let call = oracle.proposeL2Output(root, U256::from(next), l1.hash, U256::from(l1.number));
        let receipt =
            self.account.send(call.into_transaction_request(), || format!("the proposal for L2 block {next}")).await?;
        metrics::counter!("bai_proposer_outputs_total").increment(1);
        tracing::info!(target: "proposer", block = next, %root, l1_tx = %receipt.transaction_hash, "output proposed");
        Ok(())
    }
}
