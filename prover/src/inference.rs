//! Inference challenges: every model call of the chain this node derived from L1 that was answered
//! from a recorded witness is run again on the CPU reference runtime. When the recorded result is
//! outside the model's declared tolerance ([`divergence_bps`] above `toleranceBps`), the challenger
//! files the evidence — the call's input, the recorded output and the reference output — with the
//! `InferenceDisputes` predeploy on L2, which checks it against the witness store and slashes the
//! operator the witness names.
//!
//! Progress is a cursor (the next block to check) written to a file after each block is handled, so
//! a restart, even after `kill -9`, resumes where it stopped and misses nothing. Before filing it asks
//! the contract whether that evidence was already accepted and whether one of its own transactions is
//! still pending, so nothing is filed twice.

use crate::{SafeChain, oracle::Account};
use alloy::{
    primitives::{Address, B256, Bytes, FixedBytes, U256, keccak256},
    signers::local::PrivateKeySigner,
};
use bai_bridge::poll::Poll;
use bai_chainspec::predeploys::{INFERENCE_DISPUTES, WITNESS_STORE};
use bai_precompiles::{AuditedCall, InferenceBackend, ModelEntry, ModelKind};
use parking_lot::Mutex;
use std::{
    collections::HashSet,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};
use tokio::sync::watch;

/// The L2 contracts the challenger talks to.
pub mod abi {
    // The event's generated constructor takes one argument per field.
    #![allow(clippy::too_many_arguments)]
    use alloy::sol;

    // The predeploy's interface, errors and events included, read from the Solidity source itself.
    sol!(
        #[sol(rpc, all_derives)]
        "../contracts/src/interfaces/IInferenceDisputes.sol"
    );

    sol! {
        /// OpenZeppelin AccessControl's role check (InferenceDisputes is an AccessControl).
        #[sol(rpc)]
        interface IAccessControl {
            function hasRole(bytes32 role, address account) external view returns (bool);
        }

        /// The witness store's views the challenger reads before filing.
        #[sol(rpc)]
        interface IWitnessRecords {
            function get(bytes32 callKey) external view returns (bool exists, bytes32 outputHash, uint64 units, address recordedOperator, uint64 blockNumber);
            function evidenceHash(bytes32 callKey) external view returns (bytes32);
        }
    }
}

use abi::{IAccessControl, IInferenceDisputes, IWitnessRecords};

/// The chain as the inference challenger sees it.
pub trait AuditableChain: SafeChain {
    /// The model calls of block `number` answered from its witnesses (the block re-executed).
    fn audit(&self, number: u64) -> Result<Vec<AuditedCall>, String>;
    /// Model `id` as the registry holds it now (its tolerance is what the contract applies).
    fn model(&self, id: B256) -> Option<ModelEntry>;
}

/// Errors that stop a step (it is retried); anything about one call is logged and counted instead.
#[derive(Debug, thiserror::Error)]
pub enum InferenceChallengeError {
    #[error("L2 RPC: {0}")]
    Rpc(String),
    #[error("{0} does not hold CHALLENGER_ROLE in InferenceDisputes (its evidence would be refused)")]
    NotChallenger(Address),
    #[error("challenger cursor {path}: {source}")]
    Cursor { path: PathBuf, source: std::io::Error },
}

fn rpc<E: std::fmt::Display>(e: E) -> InferenceChallengeError {
    InferenceChallengeError::Rpc(e.to_string())
}

/// How far the recorded output is from the reference, in basis points (0 = equal, 10,000 = as far
/// as the measure goes). The same integer arithmetic as `InferenceDisputes.divergenceBps`, so the
/// challenger files only what the contract accepts:
/// - embeddings (packed big-endian int32): relative L2 error `sqrt(Σ(r−f)² · 10⁸ / Σf²)`, rounded
///   down; different or malformed lengths are 10,000;
/// - generated text: the share of the longer text after the common prefix (greedy decoding makes
///   everything after the first different token different);
/// - generic outputs: the share of differing bytes, a length difference counting as differing bytes.
pub fn divergence_bps(kind: ModelKind, recorded: &[u8], reference: &[u8]) -> u64 {
    const MAX: u64 = 10_000;
    match kind {
        ModelKind::Embedding => {
            if recorded.len() != reference.len() || !recorded.len().is_multiple_of(4) {
                return MAX;
            }
            let word = |c: &[u8]| i64::from(i32::from_be_bytes([c[0], c[1], c[2], c[3]]));
            let (mut sum_sq, mut diff_sq) = (U256::ZERO, U256::ZERO);
            for (r, f) in recorded.chunks_exact(4).zip(reference.chunks_exact(4)) {
                let (r, f) = (word(r), word(f));
                let d = U256::from((r - f).unsigned_abs());
                let f = U256::from(f.unsigned_abs());
                diff_sq += d * d;
                sum_sq += f * f;
            }
            if sum_sq.is_zero() {
                return if diff_sq.is_zero() { 0 } else { MAX };
            }
            let ratio = diff_sq * U256::from(100_000_000u64) / sum_sq;
            if ratio >= U256::from(MAX * MAX) {
                return MAX;
            }
            ratio.root(2).to::<u64>()
        }
        ModelKind::Generation => {
            let longest = recorded.len().max(reference.len()) as u64;
            if longest == 0 {
                return 0;
            }
            let prefix = recorded.iter().zip(reference).take_while(|(a, b)| a == b).count() as u64;
            (longest - prefix) * MAX / longest
        }
        ModelKind::Generic => {
            let longest = recorded.len().max(reference.len()) as u64;
            if longest == 0 {
                return 0;
            }
            let shortest = recorded.len().min(reference.len()) as u64;
            let differing = recorded.iter().zip(reference).filter(|(a, b)| a != b).count() as u64;
            (differing + longest - shortest) * MAX / longest
        }
    }
}

/// Where and as whom the inference challenger acts.
pub struct InferenceChallengerConfig {
    /// The sequencer's RPC: evidence transactions go there.
    pub l2_rpc_url: String,
    pub signer: PrivateKeySigner,
    /// File holding the next block to check.
    pub cursor: PathBuf,
    pub poll_interval: Duration,
}

/// What became of one witnessed call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handled {
    /// Checked (and filed where it had to be), or impossible to check: move on.
    Done,
    /// An evidence transaction of ours is still pending: come back to this block later.
    Wait,
}

pub struct InferenceChallenger {
    chain: Arc<dyn AuditableChain>,
    reference: Arc<dyn InferenceBackend>,
    account: Account,
    cursor: PathBuf,
    poll_interval: Duration,
    /// The next block to check (mirrors the cursor file).
    next: Mutex<u64>,
}

impl InferenceChallenger {
    pub fn new(
        config: InferenceChallengerConfig,
        chain: Arc<dyn AuditableChain>,
        reference: Arc<dyn InferenceBackend>,
    ) -> Result<Self, InferenceChallengeError> {
        let account =
            Account::connect(&config.l2_rpc_url, config.signer, "L2").map_err(InferenceChallengeError::Rpc)?;
        let next = read_cursor(&config.cursor)?.unwrap_or(1);
        Ok(Self {
            chain,
            reference,
            account,
            cursor: config.cursor,
            poll_interval: config.poll_interval,
            next: Mutex::new(next),
        })
    }

    pub fn address(&self) -> Address {
        self.account.address
    }

    /// The next block this challenger will check.
    pub fn next_block(&self) -> u64 {
        *self.next.lock()
    }

    fn disputes(&self) -> IInferenceDisputes::IInferenceDisputesInstance<&alloy::providers::DynProvider> {
        IInferenceDisputes::new(INFERENCE_DISPUTES, &self.account.provider)
    }

    /// Fails when the key may not file evidence.
    pub async fn check_role(&self) -> Result<(), InferenceChallengeError> {
        let role = self.disputes().CHALLENGER_ROLE().call().await.map_err(rpc)?;
        let access = IAccessControl::new(INFERENCE_DISPUTES, &self.account.provider);
        if !access.hasRole(role, self.address()).call().await.map_err(rpc)? {
            return Err(InferenceChallengeError::NotChallenger(self.address()));
        }
        Ok(())
    }

    /// Checks newly safe blocks until `shutdown`; failures are retried with backoff.
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        tracing::info!(target: "challenger", challenger = %self.address(), from_block = self.next_block(), "inference challenger started");
        let poll = Poll::new("inference-challenger", self.poll_interval, "bai_inference_challenger_errors_total");
        poll.run(shutdown, || self.step()).await
    }

    /// Checks every safe block from the cursor on.
    pub async fn step(&self) -> Result<(), InferenceChallengeError> {
        let safe = self.chain.safe_head();
        let mut next = *self.next.lock();
        if next > safe + 1 {
            // The safe chain was rewound (an L1 reorg): its new blocks are checked again.
            tracing::info!(target: "challenger", safe, from = next, "safe head moved back; checking its new blocks");
            next = safe + 1;
            self.advance(next)?;
        }
        while next <= safe {
            if self.check_block(next).await? == Handled::Wait {
                break;
            }
            next += 1;
            self.advance(next)?;
        }
        Ok(())
    }

    fn advance(&self, next: u64) -> Result<(), InferenceChallengeError> {
        write_cursor(&self.cursor, next)?;
        *self.next.lock() = next;
        metrics::gauge!("bai_inference_challenger_next_block").set(next as f64);
        Ok(())
    }

    async fn check_block(&self, number: u64) -> Result<Handled, InferenceChallengeError> {
        let calls = match self.chain.audit(number) {
            Ok(calls) => calls,
            Err(error) => {
                // Without the parent state the calls cannot be recovered; waiting would not help.
                tracing::error!(target: "challenger", block = number, %error, "cannot re-execute the block; its inference witnesses are not checked");
                metrics::counter!("bai_inference_witnesses_checked_total", "verdict" => "unverifiable").increment(1);
                return Ok(Handled::Done);
            }
        };
        // A call repeated in a block used one witness; check it once.
        let mut seen = HashSet::new();
        for call in calls.iter().filter(|c| seen.insert(c.key)) {
            if self.check_call(number, call).await? == Handled::Wait {
                return Ok(Handled::Wait);
            }
        }
        Ok(Handled::Done)
    }

    async fn check_call(&self, block: u64, call: &AuditedCall) -> Result<Handled, InferenceChallengeError> {
        let model_id = call.request.model;
        let unchecked = |reason: &str| {
            tracing::warn!(target: "challenger", block, key = %call.key, model = %model_id, reason, "inference witness not checked");
            metrics::counter!("bai_inference_witnesses_checked_total", "verdict" => "unchecked").increment(1);
            Ok(Handled::Done)
        };
        let Some(model) = self.chain.model(model_id) else { return unchecked("the model is not registered") };
        let reference = self.reference.clone();
        let request = call.request.clone();
        let output = match tokio::task::spawn_blocking(move || reference.run(&request)).await {
            Ok(Ok(output)) => output.output,
            Ok(Err(error)) => return unchecked(&format!("the reference runtime failed: {error}")),
            Err(error) => return unchecked(&format!("the reference runtime panicked: {error}")),
        };
        let divergence = divergence_bps(call.request.kind, &call.witness.output, &output);
        if divergence <= u64::from(model.tolerance_bps) {
            tracing::debug!(target: "challenger", block, key = %call.key, divergence, tolerance = model.tolerance_bps, "inference witness within tolerance");
            metrics::counter!("bai_inference_witnesses_checked_total", "verdict" => "within").increment(1);
            return Ok(Handled::Done);
        }
        tracing::warn!(target: "challenger", block, key = %call.key, model = %model_id, divergence, tolerance = model.tolerance_bps, "inference witness outside the model's tolerance");
        metrics::counter!("bai_inference_witnesses_checked_total", "verdict" => "outside").increment(1);
        self.file(block, call, output, divergence).await
    }

    async fn file(
        &self,
        block: u64,
        call: &AuditedCall,
        reference: Bytes,
        divergence: u64,
    ) -> Result<Handled, InferenceChallengeError> {
        let records = IWitnessRecords::new(WITNESS_STORE, &self.account.provider);
        let record = records.get(call.key).call().await.map_err(rpc)?;
        if !record.exists || record.outputHash != keccak256(&call.witness.output) {
            // Recorded again since (the latest record wins); that record is checked in its own block.
            tracing::info!(target: "challenger", block, key = %call.key, "witness re-recorded since; no evidence for the old record");
            return Ok(Handled::Done);
        }
        let evidence = records.evidenceHash(call.key).call().await.map_err(rpc)?;
        let disputes = self.disputes();
        if disputes.filed(evidence).call().await.map_err(rpc)? {
            tracing::info!(target: "challenger", block, key = %call.key, %evidence, "evidence already accepted");
            return Ok(Handled::Done);
        }
        if self.account.has_pending().await.map_err(rpc)? {
            tracing::info!(target: "challenger", block, "an evidence transaction is still pending; waiting for it");
            return Ok(Handled::Wait);
        }
        let filing = disputes.fileEvidence(
            call.request.model,
            FixedBytes(call.selector),
            call.request.input.clone(),
            call.requested_units,
            call.witness.output.clone(),
            reference,
        );
        let sent = match filing.send().await {
            Ok(sent) => sent,
            Err(error) => {
                let Some(refusal) = error.as_decoded_interface_error::<IInferenceDisputes::IInferenceDisputesErrors>()
                else {
                    return Err(rpc(error));
                };
                // The contract disagrees (window closed, no operator…): retrying cannot change that.
                tracing::error!(target: "challenger", block, key = %call.key, ?refusal, "InferenceDisputes refused the evidence");
                metrics::counter!("bai_inference_evidence_refused_total").increment(1);
                return Ok(Handled::Done);
            }
        };
        let receipt = sent.get_receipt().await.map_err(rpc)?;
        if !receipt.status() {
            tracing::error!(target: "challenger", block, key = %call.key, tx = %receipt.transaction_hash, "evidence transaction reverted");
            metrics::counter!("bai_inference_evidence_refused_total").increment(1);
            return Ok(Handled::Done);
        }
        let slashed = receipt
            .decoded_log::<IInferenceDisputes::EvidenceAccepted>()
            .map(|log| log.data.slashed)
            .unwrap_or_default();
        metrics::counter!("bai_inference_evidence_filed_total").increment(1);
        tracing::warn!(target: "challenger", block, key = %call.key, %evidence, divergence, %slashed, tx = %receipt.transaction_hash, "inference evidence accepted; operator slashed");
        Ok(Handled::Done)
    }
}

fn cursor_error(path: &Path) -> impl FnOnce(std::io::Error) -> InferenceChallengeError + '_ {
    move |source| InferenceChallengeError::Cursor { path: path.to_path_buf(), source }
}

fn read_cursor(path: &Path) -> Result<Option<u64>, InferenceChallengeError> {
    match std::fs::read_to_string(path) {
        Ok(text) => text.trim().parse().map(Some).map_err(|e| {
            cursor_error(path)(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("not a block number: {e}")))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(cursor_error(path)(e)),
    }
}

/// Replaces the cursor atomically (write, fsync, rename): a crash leaves the old or the new value.
fn write_cursor(path: &Path, next: u64) -> Result<(), InferenceChallengeError> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::File::create(&tmp).map_err(cursor_error(path))?;
    file.write_all(format!("{next}\n").as_bytes()).map_err(cursor_error(path))?;
    file.sync_all().map_err(cursor_error(path))?;
    std::fs::rename(&tmp, path).map_err(cursor_error(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bai_precompiles::witness::pack_embedding;

    #[test]
    fn embedding_divergence_is_relative_l2_error() {
        let emb = |v: &[i32]| pack_embedding(v);
        // Values the Solidity tests use too.
        assert_eq!(divergence_bps(ModelKind::Embedding, &emb(&[1_000_000, 0]), &emb(&[990_000, 0])), 101);
        assert_eq!(divergence_bps(ModelKind::Embedding, &emb(&[990_000, 0]), &emb(&[1_000_000, 0])), 100);
        assert_eq!(divergence_bps(ModelKind::Embedding, &emb(&[3, 4]), &emb(&[0, 0])), 10_000);
        assert_eq!(divergence_bps(ModelKind::Embedding, &emb(&[0, 0]), &emb(&[0, 0])), 0);
        // A vector scaled by 0.9: 10 % error.
        let reference: Vec<i32> = (0..384).map(|i| (i * 7919 % 20_000) - 10_000).collect();
        let scaled: Vec<i32> = reference.iter().map(|v| v * 9 / 10).collect();
        let bps = divergence_bps(ModelKind::Embedding, &emb(&scaled), &emb(&reference));
        assert!((999..=1000).contains(&bps), "{bps}");
        // Negated: twice the norm away, capped.
        let negated: Vec<i32> = reference.iter().map(|v| -v).collect();
        assert_eq!(divergence_bps(ModelKind::Embedding, &emb(&negated), &emb(&reference)), 10_000);
        // Extreme components do not overflow.
        assert_eq!(divergence_bps(ModelKind::Embedding, &emb(&[i32::MIN]), &emb(&[i32::MAX])), 10_000);
        assert_eq!(divergence_bps(ModelKind::Embedding, &emb(&[1, 2]), &emb(&[1])), 10_000);
        assert_eq!(divergence_bps(ModelKind::Embedding, &[1, 2, 3], &[1, 2, 3]), 10_000);
    }

    #[test]
    fn text_divergence_is_the_share_after_the_common_prefix() {
        assert_eq!(divergence_bps(ModelKind::Generation, b"hello world", b"hello there"), 4545);
        assert_eq!(divergence_bps(ModelKind::Generation, b"hello", b"hello"), 0);
        assert_eq!(divergence_bps(ModelKind::Generation, b"", b""), 0);
        assert_eq!(divergence_bps(ModelKind::Generation, b"hello", b""), 10_000);
        assert_eq!(divergence_bps(ModelKind::Generation, b"ab", b"abcd"), 5000);
    }

    #[test]
    fn generic_divergence_counts_differing_bytes() {
        assert_eq!(divergence_bps(ModelKind::Generic, &[1, 2, 3, 4], &[1, 0xff, 3, 4]), 2500);
        assert_eq!(divergence_bps(ModelKind::Generic, &[1, 2], &[1, 2, 3, 4]), 5000);
        assert_eq!(divergence_bps(ModelKind::Generic, &[], &[]), 0);
        assert_eq!(divergence_bps(ModelKind::Generic, &[9, 9], &[1, 2]), 10_000);
    }

    #[test]
    fn cursor_survives_rewrites_and_rejects_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cursor");
        assert_eq!(read_cursor(&path).unwrap(), None);
        write_cursor(&path, 7).unwrap();
        write_cursor(&path, 42).unwrap();
        assert_eq!(read_cursor(&path).unwrap(), Some(42));
        std::fs::write(&path, "x").unwrap();
        assert!(matches!(read_cursor(&path), Err(InferenceChallengeError::Cursor { .. })));
    }
}
