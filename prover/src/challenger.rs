//! The challenger: checks every output root on L1 against the chain this node derived from L1 alone,
//! and deletes a wrong one (`L2OutputOracle.deleteL2Outputs`, CHALLENGER only) while its
//! finalization window is still open, so no withdrawal can finalize against it.
//!
//! It keeps no state of its own: on every start it looks again at every output whose window is
//! open, which is what makes a restart (even after `kill -9`) miss nothing, and it reads the oracle
//! before acting, so a deletion already done is never sent twice.

use crate::{
    SafeChain,
    oracle::{OracleRole, RoleAccount, RoleConfig, SettlementError, rpc},
};
use alloy::primitives::{Address, B256, U256};
use bai_runtime::Poll;
use parking_lot::Mutex;
use std::sync::Arc;
use tokio::sync::watch;

/// What the challenger found about one output.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    /// Its window closed before it could be checked (nothing can be done on L1 any more).
    Finalized,
    /// This node has not derived that block yet.
    NotYetSafe,
    Valid,
    Invalid {
        expected: B256,
    },
}

/// The challenger task: deletes output roots on L1 that disagree with this node's safe chain.
pub struct Challenger {
    account: RoleAccount,
    l2: Arc<dyn SafeChain>,
    /// Outputs below this index were found valid (or final): the next poll starts here.
    checked: Mutex<Checked>,
}

/// How far the challenger got, and what would make it start over.
#[derive(Debug, Clone, Copy, Default)]
struct Checked {
    /// Outputs below this index were found valid (or final).
    next: u64,
    /// The root of the last of them, to notice it being replaced on L1 (deleted and posted again).
    root: B256,
    /// Its L2 block number and this node's hash of that block when it was found valid, to notice
    /// this node's chain replacing it (derivation reset by an L1 reorg): outputs that matched the
    /// old chain must be checked against the new one.
    block: Option<(u64, B256)>,
}

impl Challenger {
    /// A challenger acting with `config`'s key on its oracle, checking outputs against `l2`.
    pub fn new(config: RoleConfig, l2: Arc<dyn SafeChain>) -> Result<Self, SettlementError> {
        let account = RoleAccount::connect(config, OracleRole::Challenger)?;
        Ok(Self { account, l2, checked: Mutex::new(Checked::default()) })
    }

    /// The challenger's L1 account.
    pub fn address(&self) -> Address {
        self.account.address
    }

    /// Fails when the key is not the oracle's challenger (its deletions would revert).
    pub async fn check_role(&self) -> Result<(), SettlementError> {
        self.account.check_role().await
    }

    /// Checks outputs until `shutdown`; failures are retried with backoff.
    pub async fn run(self, shutdown: watch::Receiver<bool>) -> Result<(), SettlementError> {
        tracing::info!(target: "challenger", challenger = %self.address(), oracle = %self.account.oracle, "challenger started");
        let poll = Poll::new("challenger", self.account.poll_interval, "bai_challenger_errors_total");
        poll.run(shutdown, || self.step()).await
    }

    /// The verdict on output `index`, given the L1 time `now` and the oracle's finalization period.
    async fn judge(&self, index: u64, now: u64, period: u64) -> Result<(Verdict, u64, B256), SettlementError> {
        let output = self.account.oracle().getL2Output(U256::from(index)).call().await.map_err(rpc)?;
        let (block, root) = (output.l2BlockNumber as u64, output.outputRoot);
        if (output.timestamp as u64).saturating_add(period) <= now {
            return Ok((Verdict::Finalized, block, root));
        }
        if self.l2.safe_head() < block {
            return Ok((Verdict::NotYetSafe, block, root));
        }
        let expected = self.l2.output_root(block).ok_or(SettlementError::MissingBlock(block))?;
        Ok((if expected == root { Verdict::Valid } else { Verdict::Invalid { expected } }, block, root))
    }

    /// Checks the outputs not yet found valid, in order, and deletes the first wrong one (the oracle
    /// deletes it with every output after it).
    pub async fn step(&self) -> Result<(), SettlementError> {
        let oracle = self.account.oracle();
        let count: u64 = oracle.nextOutputIndex().call().await.map_err(rpc)?.saturating_to();
        let period: u64 = oracle.FINALIZATION_PERIOD_SECONDS().call().await.map_err(rpc)?.saturating_to();
        let now = self.account.l1_head().await?.timestamp;
        // Outputs deleted (by us or by another process with the key) and posted again, or this
        // node's own chain replaced under an output found valid: start over.
        let checked = *self.checked.lock();
        let mut index = checked.next;
        let replaced_here =
            checked.block.is_some_and(|(number, hash)| self.l2.header(number).map(|(_, h)| h) != Some(hash));
        if replaced_here {
            tracing::warn!(target: "challenger", "this node's chain replaced a block whose output was found valid; checking every open output again");
        }
        if index > count
            || replaced_here
            || (index > 0
                && oracle.getL2Output(U256::from(index - 1)).call().await.map_err(rpc)?.outputRoot != checked.root)
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
            let block = match verdict {
                Verdict::Valid => self.l2.header(block).map(|(_, hash)| (block, hash)),
                _ => None,
            };
            *self.checked.lock() = Checked { next: index, root, block };
        }
        Ok(())
    }

    async fn delete(&self, index: u64, block: u64, expected: B256) -> Result<(), SettlementError> {
        // A deletion of ours stuck in the mempool (underpriced, or sent before a restart) is
        // replaced with higher fees, never waited for: the window keeps running.
        tracing::warn!(target: "challenger", index, block, %expected, "wrong output root on L1; deleting it");
        let call = self.account.oracle().deleteL2Outputs(U256::from(index)).into_transaction_request();
        let receipt = self.account.send(call, || format!("deleting output {index}")).await?;
        metrics::counter!("bai_challenger_outputs_deleted_total").increment(1);
        tracing::warn!(target: "challenger", index, block, l1_tx = %receipt.transaction_hash, "wrong output deleted");
        Ok(())
    }
}
