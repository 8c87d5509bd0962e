//! The L1 transaction manager: sends one transaction for a service (batcher, proposer, challenger)
//! and sees it included, whatever the mempool does to it.
//!
//! - Sent at the account's *confirmed* nonce, so it replaces whatever of ours is stuck in the
//!   mempool at that nonce (a transaction from before a restart, one priced out by a base-fee rise)
//!   instead of queueing behind it: a stuck `deleteL2Outputs` must not let a wrong output finalize.
//! - Not included within `resubmit_after`: re-signed at the same nonce with fees bumped by 12.5 %
//!   (blob fee doubled, geth's replacement rules), never below the current estimate. A send the
//!   node refuses (replacement underpriced, a dropped connection) is bumped and retried at once.
//! - The fees last used per nonce are remembered, so a retry of the whole step starts above them.
//! - After `max_attempts` the send fails ([`ErrorClass::Temporary`]); the caller's poll loop retries
//!   from its own state, which for every caller is read back from L1 (the oracle, the batcher's
//!   reorg watch), so an L1 reorg that drops an included transaction leads to it being sent again.
//!
//! Owns: nonce choice, fee estimation and bumping, inclusion tracking. Must not touch: what the
//! transactions mean (callers build them) or any L2 state.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

use alloy::{
    network::{TransactionBuilder, TransactionBuilder4844},
    primitives::{Address, B256},
    providers::{DynProvider, Provider},
    rpc::types::{TransactionReceipt, TransactionRequest},
    transports::TransportError,
};
use bai_runtime::{Classify, ErrorClass};
use parking_lot::Mutex;
use std::time::Duration;

/// How hard the manager tries.
#[derive(Debug, Clone, Copy)]
pub struct TxManagerConfig {
    /// A transaction not included after this long is replaced with higher fees.
    pub resubmit_after: Duration,
    /// Sends (first one and replacements) before [`TxError::NotIncluded`].
    pub max_attempts: u32,
    /// How often receipts are polled.
    pub poll_interval: Duration,
}

impl Default for TxManagerConfig {
    fn default() -> Self {
        Self { resubmit_after: Duration::from_secs(36), max_attempts: 5, poll_interval: Duration::from_secs(1) }
    }
}

/// Why a transaction could not be seen included.
#[derive(Debug, thiserror::Error)]
pub enum TxError {
    /// The L1 node failed or refused a call.
    #[error("L1 RPC: {0}")]
    Rpc(#[from] TransportError),
    /// Included, but reverted.
    #[error("L1 transaction {tx} reverted")]
    Reverted {
        /// The reverted transaction.
        tx: B256,
        /// Its receipt.
        receipt: Box<TransactionReceipt>,
    },
    /// Every attempt was sent and none was included.
    #[error("L1 transaction not included after {attempts} attempts with bumped fees")]
    NotIncluded {
        /// Sends made.
        attempts: u32,
    },
    /// The nonce was used by a transaction this call did not send (one from before a restart, or
    /// another process with the key): the caller should look at L1 again before sending anything.
    #[error("nonce {nonce} was taken by another transaction of this account")]
    NonceTaken {
        /// The nonce.
        nonce: u64,
    },
}

impl Classify for TxError {
    fn class(&self) -> ErrorClass {
        ErrorClass::Temporary
    }
}

/// Fees of one send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fees {
    max_fee: u128,
    tip: u128,
    /// Zero for transactions without blobs.
    blob_fee: u128,
}

impl Fees {
    /// What a replacement must at least pay: +12.5 % (+1 wei so tiny fees still rise), blob fee ×2.
    fn bumped(self) -> Self {
        Self { max_fee: self.max_fee * 9 / 8 + 1, tip: self.tip * 9 / 8 + 1, blob_fee: self.blob_fee * 2 }
    }

    fn at_least(self, other: Self) -> Self {
        Self {
            max_fee: self.max_fee.max(other.max_fee),
            tip: self.tip.max(other.tip),
            blob_fee: self.blob_fee.max(other.blob_fee),
        }
    }
}

/// A transaction seen included and successful.
#[derive(Debug, Clone)]
pub struct Included {
    /// The attempt that was included.
    pub tx: B256,
    /// Its receipt.
    pub receipt: TransactionReceipt,
}

impl Included {
    /// The L1 block it landed in.
    pub fn block_hash(&self) -> B256 {
        self.receipt.block_hash.unwrap_or_default()
    }

    /// The L1 block number it landed in.
    pub fn block_number(&self) -> u64 {
        self.receipt.block_number.unwrap_or_default()
    }
}

/// Sends the transactions of one L1 account (see the crate docs).
pub struct TxManager {
    provider: DynProvider,
    from: Address,
    config: TxManagerConfig,
    /// Label of this account's metrics and logs (`batcher`, `proposer`, `challenger`).
    service: &'static str,
    /// The fees last sent at a nonce, so a later send at the same nonce outbids it.
    last: Mutex<Option<(u64, Fees)>>,
}

impl std::fmt::Debug for TxManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxManager").field("from", &self.from).field("service", &self.service).finish_non_exhaustive()
    }
}

impl TxManager {
    /// A manager sending as `from` through `provider` (which must sign for `from`).
    pub fn new(provider: DynProvider, from: Address, config: TxManagerConfig, service: &'static str) -> Self {
        Self { provider, from, config, service, last: Mutex::new(None) }
    }

    /// The account it sends as.
    pub fn address(&self) -> Address {
        self.from
    }

    /// The provider it sends through.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// Sends `request` (without nonce or fees: the manager sets them) and returns once one attempt
    /// is included. Gas is estimated once up front, so a call that would revert fails here, unsent.
    pub async fn send(&self, request: TransactionRequest) -> Result<Included, TxError> {
        let service = self.service;
        let blobs = request.sidecar.is_some();
        let nonce = self.provider.get_transaction_count(self.from).latest().await?;
        let request = match request.gas {
            Some(_) => request,
            None => {
                let gas = self.provider.estimate_gas(request.clone().with_from(self.from)).await?;
                request.with_gas_limit(gas)
            }
        };
        let mut fees = self.estimate(blobs).await?;
        if let Some((at, last)) = *self.last.lock()
            && at == nonce
        {
            fees = fees.at_least(last.bumped());
        }
        let mut sent: Vec<B256> = Vec::new();
        for attempt in 1..=self.config.max_attempts {
            let mut attempt_request = request
                .clone()
                .with_from(self.from)
                .with_nonce(nonce)
                .with_max_fee_per_gas(fees.max_fee)
                .with_max_priority_fee_per_gas(fees.tip);
            if blobs {
                attempt_request = attempt_request.with_max_fee_per_blob_gas(fees.blob_fee);
            }
            match self.provider.send_transaction(attempt_request).await {
                Ok(pending) => {
                    sent.push(*pending.tx_hash());
                    *self.last.lock() = Some((nonce, fees));
                    metrics::counter!("bai_txmgr_sent_total", "service" => service).increment(1);
                    tracing::debug!(target: "txmgr", service, nonce, attempt, tx = %pending.tx_hash(), max_fee = fees.max_fee, "sent");
                }
                Err(error) => {
                    // Refused: either the nonce is used now (by one of ours, found below, or by a
                    // transaction we did not send), or the node wants a higher price. Which one
                    // is read from L1, not from the error's text.
                    if let Some(done) = self.nonce_used(nonce, &sent).await? {
                        return done;
                    }
                    tracing::warn!(target: "txmgr", service, nonce, attempt, %error, "L1 refused the transaction; bumping fees");
                    metrics::counter!("bai_txmgr_fee_bumps_total", "service" => service).increment(1);
                    fees = fees.bumped().at_least(self.estimate(blobs).await?);
                    continue;
                }
            }
            let deadline = tokio::time::Instant::now() + self.config.resubmit_after;
            loop {
                if let Some(done) = self.nonce_used(nonce, &sent).await? {
                    return done;
                }
                if tokio::time::Instant::now() >= deadline {
                    break;
                }
                tokio::time::sleep(self.config.poll_interval).await;
            }
            if attempt < self.config.max_attempts {
                tracing::warn!(target: "txmgr", service, nonce, attempt, "L1 transaction not included in time; bumping fees");
                metrics::counter!("bai_txmgr_fee_bumps_total", "service" => service).increment(1);
                fees = fees.bumped().at_least(self.estimate(blobs).await?);
            }
        }
        Err(TxError::NotIncluded { attempts: self.config.max_attempts })
    }

    /// `Some` once `nonce` is used on L1: the included attempt's outcome, or [`TxError::NonceTaken`]
    /// when none of `sent` took it.
    async fn nonce_used(&self, nonce: u64, sent: &[B256]) -> Result<Option<Result<Included, TxError>>, TxError> {
        for hash in sent {
            if let Some(receipt) = self.provider.get_transaction_receipt(*hash).await? {
                return Ok(Some(self.included(*hash, receipt)));
            }
        }
        if self.provider.get_transaction_count(self.from).latest().await? <= nonce {
            return Ok(None);
        }
        // Mined between the receipt reads and the nonce read: look once more.
        for hash in sent {
            if let Some(receipt) = self.provider.get_transaction_receipt(*hash).await? {
                return Ok(Some(self.included(*hash, receipt)));
            }
        }
        tracing::warn!(target: "txmgr", service = self.service, nonce, "nonce taken by a transaction this call did not send");
        Ok(Some(Err(TxError::NonceTaken { nonce })))
    }

    fn included(&self, tx: B256, receipt: TransactionReceipt) -> Result<Included, TxError> {
        *self.last.lock() = None;
        if !receipt.status() {
            return Err(TxError::Reverted { tx, receipt: Box::new(receipt) });
        }
        metrics::counter!("bai_txmgr_included_total", "service" => self.service).increment(1);
        Ok(Included { tx, receipt })
    }

    /// Current fees: EIP-1559 estimate (tip at least 1 wei), blob fee twice the blob base fee.
    async fn estimate(&self, blobs: bool) -> Result<Fees, TxError> {
        let fees = self.provider.estimate_eip1559_fees().await?;
        let blob_fee = if blobs { (self.provider.get_blob_base_fee().await? * 2).max(1) } else { 0 };
        Ok(Fees { max_fee: fees.max_fee_per_gas, tip: fees.max_priority_fee_per_gas.max(1), blob_fee })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bump_beats_geths_replacement_threshold_and_never_falls_below_the_estimate() {
        let fees = Fees { max_fee: 100, tip: 8, blob_fee: 3 };
        let bumped = fees.bumped();
        // geth replaces only at +10 % on both fee and tip (blobs: +100 %).
        assert!(bumped.max_fee * 10 >= fees.max_fee * 11 && bumped.tip * 10 >= fees.tip * 11, "{bumped:?}");
        assert!(bumped.blob_fee >= 2 * fees.blob_fee);
        let estimate = Fees { max_fee: 500, tip: 1, blob_fee: 0 };
        assert_eq!(bumped.at_least(estimate), Fees { max_fee: 500, tip: bumped.tip, blob_fee: bumped.blob_fee });
        let tiny = Fees { max_fee: 0, tip: 0, blob_fee: 0 }.bumped();
        assert!(tiny.max_fee > 0 && tiny.tip > 0, "zero fees still rise");
    }
}
