//! Inference challenges: every model call of the chain this node derived from L1 that was answered
//! from a recorded witness is run again on the CPU reference runtime. When the recorded result is
//! outside the model's declared tolerance ([`divergence_bps`] above `toleranceBps`), the challenger
//! files the evidence — the call's input, the recorded output and the reference output — with the
//! `InferenceDisputes` predeploy on L2, which checks it against the witness store and slashes the
//! operator the witness names.
//!
//! Progress is a cursor (the next block to check) written to a file after each block is handled, so
//! a restart, even after `kill -9`, resumes where it stopped and misses nothing. The cursor never
//! passes a block it could not check: when a block cannot be re-executed (its parent state is gone)
//! or the reference runtime fails (busy, down, missing the model), the challenger stays on that block
//! and tries again each poll, and says so: a warning, `bai_inference_challenger_stuck`, and
//! [`ChallengerStatus`] (served as `bai_inferenceChallengerStatus`). Before filing it asks
//! the contract whether that evidence was already accepted and whether one of its own transactions is
//! still pending, so nothing is filed twice.

use crate::{SafeChain, oracle::Account};
use alloy::{
    primitives::{Address, B256, Bytes, FixedBytes, U256, keccak256},
    signers::local::PrivateKeySigner,
};
use bai_chainspec::predeploys::{INFERENCE_DISPUTES, WITNESS_STORE};
use bai_precompiles::{AuditedCall, InferenceBackend, ModelEntry, ModelKind};
use bai_runtime::{Classify, ErrorClass, Poll};
use parking_lot::Mutex;
use std::{
    collections::{BTreeMap, HashSet},
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
    /// The L2 node failed or refused a call (the transport or contract error is the source).
    #[error("L2 RPC")]
    Rpc(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The configured key's account lacks `CHALLENGER_ROLE` in InferenceDisputes (checked at startup).
    #[error("{0} does not hold CHALLENGER_ROLE in InferenceDisputes (its evidence would be refused)")]
    NotChallenger(Address),
    /// The cursor file cannot be read, parsed or written.
    #[error("challenger cursor {path}: {source}")]
    Cursor {
        /// The cursor file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

fn rpc<E: std::error::Error + Send + Sync + 'static>(e: E) -> InferenceChallengeError {
    InferenceChallengeError::Rpc(Box::new(e))
}

impl Classify for InferenceChallengeError {
    fn class(&self) -> ErrorClass {
        match self {
            Self::Rpc(_) => ErrorClass::Temporary,
            Self::NotChallenger(_) | Self::Cursor { .. } => ErrorClass::Critical,
        }
    }
}

/// How far the recorded output is from the reference, in basis points (0 = equal, 10,000 = as far
/// as the measure goes). The same integer arithmetic as `InferenceDisputes.divergenceBps`, so the
/// challenger files only what the contract accepts:
/// - embeddings (packed big-endian int32): relative L2 error `sqrt(Σ(r−f)² · 10⁸ / Σf²)`; different
///   or malformed lengths are 10,000;
/// - generated text: the share of the longer text after the common prefix (greedy decoding makes
///   everything after the first different token different);
/// - generic outputs: the share of differing bytes, a length difference counting as differing bytes.
///
/// Every quotient and root rounds **up**, so the measure is 0 only for equal outputs: rounded down,
/// one wrong byte in a 20 kB output (or one int32 off by one in a large vector) measured 0 bps and a
/// model registered exact (tolerance 0) could not be disputed.
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
            let ratio = (diff_sq * U256::from(100_000_000u64)).div_ceil(sum_sq);
            if ratio >= U256::from(MAX * MAX) {
                return MAX;
            }
            let root = ratio.root(2);
            (if root * root < ratio { root + U256::from(1) } else { root }).to::<u64>()
        }
        ModelKind::Generation => {
            let longest = recorded.len().max(reference.len()) as u64;
            if longest == 0 {
                return 0;
            }
            let prefix = recorded.iter().zip(reference).take_while(|(a, b)| a == b).count() as u64;
            ((longest - prefix) * MAX).div_ceil(longest)
        }
        ModelKind::Generic => {
            let longest = recorded.len().max(reference.len()) as u64;
            if longest == 0 {
                return 0;
            }
            let shortest = recorded.len().min(reference.len()) as u64;
            let differing = recorded.iter().zip(reference).filter(|(a, b)| a != b).count() as u64;
            ((differing + longest - shortest) * MAX).div_ceil(longest)
        }
    }
}

/// Where and as whom the inference challenger acts.
pub struct InferenceChallengerConfig {
    /// The sequencer's RPC: evidence transactions go there.
    pub l2_rpc_url: String,
    /// The key of the account holding `CHALLENGER_ROLE` in InferenceDisputes.
    pub signer: PrivateKeySigner,
    /// File holding the next block to check.
    pub cursor: PathBuf,
    /// How often the chain is polled for newly safe blocks.
    pub poll_interval: Duration,
}

/// What became of one witnessed call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handled {
    /// Checked (and filed where it had to be), or nothing to dispute (the model is not registered, the
    /// witness was recorded again since): move on.
    Done,
    /// An evidence transaction of ours is still pending, or the block could not be checked yet:
    /// come back to this block later.
    Wait,
}

/// Where the inference challenger stands, for operators (`bai_inferenceChallengerStatus`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChallengerStatus {
    /// The next block to check.
    pub next_block: u64,
    /// The newest safe block (the challenger checks up to it).
    pub safe_head: u64,
    /// The block the challenger cannot check at the moment and why; it stays there until it can.
    pub stuck: Option<StuckBlock>,
}

/// A block the challenger could not check (yet).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StuckBlock {
    /// The block.
    pub block: u64,
    /// Why: the re-execution or reference-runtime error.
    pub reason: String,
    /// How many polls found it so.
    pub attempts: u64,
}

/// A shared, cloneable view of a running challenger's [`ChallengerStatus`].
#[derive(Debug, Clone, Default)]
pub struct ChallengerStatusHandle(Arc<Mutex<ChallengerStatus>>);

impl ChallengerStatusHandle {
    /// The status now.
    pub fn get(&self) -> ChallengerStatus {
        self.0.lock().clone()
    }
}

/// The inference challenger task: re-runs witnessed model calls of safe blocks and files evidence
/// against results outside the model's tolerance.
pub struct InferenceChallenger {
    chain: Arc<dyn AuditableChain>,
    reference: Arc<dyn InferenceBackend>,
    account: Account,
    /// Sends evidence: a filing dropped or stuck in the sequencer's pool is replaced, not waited on.
    txs: bai_txmgr::TxManager,
    cursor: PathBuf,
    poll_interval: Duration,
    progress: Mutex<Progress>,
    status: ChallengerStatusHandle,
}

/// Hashes of this many checked blocks are kept, to notice them being replaced (an L2 reorg). Deeper
/// than the state history no block could be re-executed anyway.
const REMEMBERED_BLOCKS: usize = 1024;

/// Where the challenger is: the next block to check (the cursor file) and the hashes of the blocks
/// checked last (the newest one also in the cursor file, so a restart notices it being replaced).
#[derive(Debug, Default)]
struct Progress {
    next: u64,
    checked: BTreeMap<u64, B256>,
}

impl InferenceChallenger {
    /// A challenger resuming from `config`'s cursor file (block 1 without one), reading `chain` and
    /// re-running calls on `reference`.
    pub fn new(
        config: InferenceChallengerConfig,
        chain: Arc<dyn AuditableChain>,
        reference: Arc<dyn InferenceBackend>,
    ) -> Result<Self, InferenceChallengeError> {
        let account = Account::connect(&config.l2_rpc_url, config.signer, "L2")
            .map_err(|e| InferenceChallengeError::Rpc(e.into()))?;
        let progress = match read_cursor(&config.cursor)? {
            Some(Cursor { next, last_checked }) => {
                Progress { next, checked: BTreeMap::from([(next - 1, last_checked)]) }
            }
            None => Progress { next: 1, checked: BTreeMap::new() },
        };
        let manager = bai_txmgr::TxManagerConfig {
            resubmit_after: Duration::from_secs(12),
            max_attempts: 5,
            poll_interval: config.poll_interval,
        };
        let txs = bai_txmgr::TxManager::new(account.provider.clone(), account.address, manager, "inference-challenger");
        Ok(Self {
            chain,
            reference,
            txs,
            account,
            cursor: config.cursor,
            poll_interval: config.poll_interval,
            progress: Mutex::new(progress),
            status: ChallengerStatusHandle::default(),
        })
    }

    /// A handle on this challenger's status (for the RPC server).
    pub fn status(&self) -> ChallengerStatusHandle {
        self.status.clone()
    }

    /// Notes that `block` could not be checked because of `reason`: a warning when the reason is new
    /// (a debug line on each further poll), the stuck gauge, and the status.
    fn stuck(&self, block: u64, reason: String) -> Handled {
        let mut status = self.status.0.lock();
        let attempts = match &status.stuck {
            Some(stuck) if stuck.block == block && stuck.reason == reason => stuck.attempts + 1,
            _ => {
                tracing::warn!(target: "challenger", block, %reason, "cannot check this block's inference witnesses yet; staying on it");
                metrics::counter!("bai_inference_witnesses_checked_total", "verdict" => "unchecked").increment(1);
                1
            }
        };
        if attempts > 1 {
            tracing::debug!(target: "challenger", block, %reason, attempts, "still cannot check this block");
        }
        status.stuck = Some(StuckBlock { block, reason, attempts });
        metrics::gauge!("bai_inference_challenger_stuck").set(1.0);
        Handled::Wait
    }

    /// The challenger's L2 account.
    pub fn address(&self) -> Address {
        self.account.address
    }

    /// The next block this challenger will check.
    pub fn next_block(&self) -> u64 {
        self.progress.lock().next
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
    pub async fn run(self, shutdown: watch::Receiver<bool>) -> Result<(), InferenceChallengeError> {
        tracing::info!(target: "challenger", challenger = %self.address(), from_block = self.next_block(), "inference challenger started");
        let poll = Poll::new("inference-challenger", self.poll_interval, "bai_inference_challenger_errors_total");
        poll.run(shutdown, || self.step()).await
    }

    /// Checks every safe block from the cursor on, after going back to the first checked block the
    /// chain has replaced since. A safe head that merely moves back (derivation resetting after an L1
    /// reorg) costs nothing: blocks are checked again only when their hash changed.
    pub async fn step(&self) -> Result<(), InferenceChallengeError> {
        let mut next = self.rewind_to_replaced()?;
        let safe = self.chain.safe_head();
        self.status.0.lock().safe_head = safe;
        while next <= safe {
            let Some((_, hash)) = self.chain.header(next) else { break };
            if self.check_block(next).await? == Handled::Wait {
                break;
            }
            self.advance(next, hash)?;
            next += 1;
        }
        let mut status = self.status.0.lock();
        status.next_block = next;
        if status.stuck.as_ref().is_some_and(|stuck| stuck.block < next) {
            tracing::info!(target: "challenger", block = next - 1, "the block that could not be checked is checked now");
            status.stuck = None;
            metrics::gauge!("bai_inference_challenger_stuck").set(0.0);
        }
        Ok(())
    }

    /// Forgets checked blocks the chain no longer has (replaced or not re-derived yet) and moves the
    /// cursor back to the first of them; returns the next block to check.
    fn rewind_to_replaced(&self) -> Result<u64, InferenceChallengeError> {
        let mut progress = self.progress.lock();
        let before = progress.next;
        while let Some((&number, &hash)) = progress.checked.last_key_value() {
            if self.chain.header(number).map(|(_, current)| current) == Some(hash) {
                break;
            }
            progress.checked.remove(&number);
            progress.next = number;
        }
        if progress.next != before {
            tracing::warn!(target: "challenger", from = progress.next, was = before, "checked blocks were replaced (an L2 reorg); checking them again");
            let last_checked = progress.checked.last_key_value().map(|(_, hash)| *hash).unwrap_or_default();
            write_cursor(&self.cursor, &Cursor { next: progress.next, last_checked })?;
        }
        Ok(progress.next)
    }

    /// Records block `number` (hash `hash`) as checked.
    fn advance(&self, number: u64, hash: B256) -> Result<(), InferenceChallengeError> {
        write_cursor(&self.cursor, &Cursor { next: number + 1, last_checked: hash })?;
        let mut progress = self.progress.lock();
        progress.next = number + 1;
        progress.checked.insert(number, hash);
        while progress.checked.len() > REMEMBERED_BLOCKS {
            progress.checked.pop_first();
        }
        metrics::gauge!("bai_inference_challenger_next_block").set((number + 1) as f64);
        Ok(())
    }

    async fn check_block(&self, number: u64) -> Result<Handled, InferenceChallengeError> {
        let calls = match self.chain.audit(number) {
            Ok(calls) => calls,
            // Never skipped: the node keeps state for the dispute window (`--challenger.history-blocks`),
            // so this is a fault to fix (or a block re-derived meanwhile), not a block to give up on.
            Err(error) => return Ok(self.stuck(number, format!("cannot re-execute the block: {error}"))),
        };
        // A call repeated in a block used one witness; check it once. A zk model's answer was proven
        // and every node verified the proof: there is nothing to re-run (and InferenceDisputes
        // refuses evidence against it).
        let mut seen = HashSet::new();
        for call in calls.iter().filter(|c| !c.proven && seen.insert(c.key)) {
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
        // A failing reference runtime (busy, timed out, down, or without this model) is retried on
        // the next poll: the witness is checked once it answers, never skipped.
        let output = match tokio::task::spawn_blocking(move || reference.run(&request)).await {
            Ok(Ok(output)) => output.output,
            Ok(Err(error)) => return Ok(self.stuck(block, format!("the reference runtime failed: {error}"))),
            Err(error) => return Ok(self.stuck(block, format!("the reference runtime panicked: {error}"))),
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
        let filing = disputes.fileEvidence(
            call.request.model,
            FixedBytes(call.selector),
            call.request.input.clone(),
            call.requested_units,
            call.witness.output.clone(),
            reference,
        );
        let receipt = match self.txs.send(filing.into_transaction_request()).await {
            Ok(included) => included.receipt,
            Err(bai_txmgr::TxError::Reverted { receipt, .. }) => {
                tracing::error!(target: "challenger", block, key = %call.key, tx = %receipt.transaction_hash, "evidence transaction reverted");
                metrics::counter!("bai_inference_evidence_refused_total").increment(1);
                return Ok(Handled::Done);
            }
            Err(bai_txmgr::TxError::Rpc(error)) => {
                let refusal = error
                    .as_error_resp()
                    .and_then(|e| e.as_decoded_interface_error::<IInferenceDisputes::IInferenceDisputesErrors>());
                let Some(refusal) = refusal else { return Err(rpc(error)) };
                // The contract disagrees (window closed, no operator…): retrying cannot change that.
                tracing::error!(target: "challenger", block, key = %call.key, ?refusal, "InferenceDisputes refused the evidence");
                metrics::counter!("bai_inference_evidence_refused_total").increment(1);
                return Ok(Handled::Done);
            }
            // Not included in time, or the nonce taken meanwhile: the next poll looks again
            // (`filed` above stops a second filing of evidence that landed).
            Err(error) => return Err(rpc(error)),
        };
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

/// The cursor file: `<next block> <hash of the block before it>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cursor {
    next: u64,
    last_checked: B256,
}

fn read_cursor(path: &Path) -> Result<Option<Cursor>, InferenceChallengeError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(cursor_error(path)(e)),
    };
    let mut words = text.split_whitespace();
    let next = words.next().and_then(|w| w.parse::<u64>().ok()).filter(|n| *n >= 1);
    let last_checked = words.next().and_then(|w| w.parse::<B256>().ok());
    match (next, last_checked) {
        (Some(next), Some(last_checked)) => Ok(Some(Cursor { next, last_checked })),
        _ => Err(cursor_error(path)(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("expected `<next block> <block hash>`, found {:?}", text.trim()),
        ))),
    }
}

/// Replaces the cursor atomically (write, fsync, rename): a crash leaves the old or the new value.
fn write_cursor(path: &Path, cursor: &Cursor) -> Result<(), InferenceChallengeError> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::File::create(&tmp).map_err(cursor_error(path))?;
    file.write_all(format!("{} {}\n", cursor.next, cursor.last_checked).as_bytes()).map_err(cursor_error(path))?;
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
        // √⌈10⁸ · 10⁸ / 9.801·10¹¹⌉ = √10,204 → 102 (rounded up).
        assert_eq!(divergence_bps(ModelKind::Embedding, &emb(&[1_000_000, 0]), &emb(&[990_000, 0])), 102);
        assert_eq!(divergence_bps(ModelKind::Embedding, &emb(&[990_000, 0]), &emb(&[1_000_000, 0])), 100);
        assert_eq!(divergence_bps(ModelKind::Embedding, &emb(&[3, 4]), &emb(&[0, 0])), 10_000);
        assert_eq!(divergence_bps(ModelKind::Embedding, &emb(&[0, 0]), &emb(&[0, 0])), 0);
        // A vector scaled by 0.9: 10 % error.
        let reference: Vec<i32> = (0..384).map(|i| (i * 7919 % 20_000) - 10_000).collect();
        let scaled: Vec<i32> = reference.iter().map(|v| v * 9 / 10).collect();
        let bps = divergence_bps(ModelKind::Embedding, &emb(&scaled), &emb(&reference));
        assert!((999..=1001).contains(&bps), "{bps}"); // truncation makes it a hair over 10 %, rounded up
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
        assert_eq!(divergence_bps(ModelKind::Generation, b"hello world", b"hello there"), 4546); // ⌈5 · 10⁴ / 11⌉
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

    /// The attack rounding down allowed: an operator of a model registered exact (tolerance 0) changes
    /// one byte of a long output, or one component of a large vector by 1, and the measure says 0 bps,
    /// so the dispute fails with "within tolerance". Rounded up, any difference is at least 1 bps.
    #[test]
    fn any_difference_measures_at_least_one_bps() {
        let honest = vec![b'a'; 20_000];
        let mut lie = honest.clone();
        lie[19_999] = b'b';
        assert_eq!(divergence_bps(ModelKind::Generation, &lie, &honest), 1);
        assert_eq!(divergence_bps(ModelKind::Generic, &lie, &honest), 1);
        let reference: Vec<i32> = (0..384).map(|i| 900_000 + i).collect();
        let mut off = reference.clone();
        off[7] += 1;
        let emb = |v: &[i32]| pack_embedding(v);
        assert_eq!(divergence_bps(ModelKind::Embedding, &emb(&off), &emb(&reference)), 1);
        assert_eq!(divergence_bps(ModelKind::Embedding, &emb(&reference), &emb(&reference)), 0);
        assert_eq!(divergence_bps(ModelKind::Generation, &honest, &honest), 0);
    }

    #[test]
    fn cursor_survives_rewrites_and_rejects_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cursor");
        assert_eq!(read_cursor(&path).unwrap(), None);
        let cursor = Cursor { next: 42, last_checked: B256::repeat_byte(7) };
        write_cursor(&path, &Cursor { next: 7, last_checked: B256::ZERO }).unwrap();
        write_cursor(&path, &cursor).unwrap();
        assert_eq!(read_cursor(&path).unwrap(), Some(cursor));
        for garbage in ["x", "42", "0 0x00", "42 0x12"] {
            std::fs::write(&path, garbage).unwrap();
            assert!(matches!(read_cursor(&path), Err(InferenceChallengeError::Cursor { .. })), "{garbage}");
        }
    }
}

#[cfg(test)]
mod cursor_tests {
    use super::*;
    use alloy::consensus::Header;
    use bai_precompiles::{BackendError, InferenceOutput, InferenceRequest};
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A chain of hashes only; auditing a block records its number and finds no model calls.
    #[derive(Default)]
    struct FakeChain {
        safe: AtomicU64,
        hashes: Mutex<BTreeMap<u64, B256>>,
        audited: Mutex<Vec<u64>>,
        /// A block whose re-execution fails (its parent state pruned, say).
        unauditable: Mutex<Option<u64>>,
        /// Model calls of a block, answered from its witnesses.
        calls: Mutex<BTreeMap<u64, Vec<AuditedCall>>>,
        /// The one registered model (`None`: no model is registered).
        model: Mutex<Option<ModelEntry>>,
    }

    impl FakeChain {
        fn set(&self, blocks: &[(u64, u8)], safe: u64) {
            let mut hashes = self.hashes.lock();
            for (number, byte) in blocks {
                hashes.insert(*number, B256::repeat_byte(*byte));
            }
            self.safe.store(safe, Ordering::SeqCst);
        }

        fn audited(&self) -> Vec<u64> {
            self.audited.lock().clone()
        }
    }

    impl SafeChain for FakeChain {
        fn safe_head(&self) -> u64 {
            self.safe.load(Ordering::SeqCst)
        }

        fn header(&self, number: u64) -> Option<(Header, B256)> {
            self.hashes.lock().get(&number).map(|hash| (Header::default(), *hash))
        }
    }

    impl AuditableChain for FakeChain {
        fn audit(&self, number: u64) -> Result<Vec<AuditedCall>, String> {
            self.audited.lock().push(number);
            if *self.unauditable.lock() == Some(number) {
                return Err(format!("state of block {} is pruned", number - 1));
            }
            Ok(self.calls.lock().get(&number).cloned().unwrap_or_default())
        }

        fn model(&self, _: B256) -> Option<ModelEntry> {
            self.model.lock().clone()
        }
    }

    #[derive(Debug)]
    struct NoModels;

    impl InferenceBackend for NoModels {
        fn run(&self, request: &InferenceRequest) -> Result<InferenceOutput, BackendError> {
            Err(BackendError::UnknownModel(request.model))
        }
    }

    /// A reference runtime that fails with each of `failures` in turn, then answers `output`.
    #[derive(Debug)]
    struct Flaky {
        failures: Mutex<Vec<BackendError>>,
        output: Bytes,
        runs: AtomicU64,
    }

    impl InferenceBackend for Flaky {
        fn run(&self, _: &InferenceRequest) -> Result<InferenceOutput, BackendError> {
            self.runs.fetch_add(1, Ordering::SeqCst);
            let mut failures = self.failures.lock();
            if failures.is_empty() {
                return Ok(InferenceOutput::new(self.output.clone(), 3));
            }
            Err(failures.remove(0))
        }
    }

    fn challenger(chain: &Arc<FakeChain>, cursor: &Path) -> InferenceChallenger {
        challenger_with(chain, cursor, Arc::new(NoModels))
    }

    fn challenger_with(
        chain: &Arc<FakeChain>,
        cursor: &Path,
        reference: Arc<dyn InferenceBackend>,
    ) -> InferenceChallenger {
        let config = InferenceChallengerConfig {
            l2_rpc_url: "http://127.0.0.1:1".into(),
            signer: PrivateKeySigner::random(),
            cursor: cursor.to_path_buf(),
            poll_interval: Duration::from_secs(1),
        };
        InferenceChallenger::new(config, chain.clone(), reference).unwrap()
    }

    /// A reference runtime that is busy, then times out, then answers: the block with the model call
    /// holds the cursor (status and reason each time) and is checked once the reference answers;
    /// nothing past it is checked meanwhile.
    #[tokio::test]
    async fn a_failing_reference_model_holds_the_cursor_until_it_answers() {
        let dir = tempfile::tempdir().unwrap();
        let cursor = dir.path().join("cursor");
        let chain = Arc::new(FakeChain::default());
        chain.set(&[(0, 0xf0), (1, 1), (2, 2), (3, 3)], 3);
        let model = B256::repeat_byte(0x11);
        let generated = Bytes::from_static(b"the answer");
        chain.calls.lock().insert(
            2,
            vec![AuditedCall {
                key: B256::repeat_byte(0x22),
                selector: [1, 2, 3, 4],
                requested_units: 3,
                request: InferenceRequest {
                    model,
                    kind: ModelKind::Generation,
                    input: Bytes::from_static(b"q"),
                    max_units: 3,
                    operator: None,
                    prove: false,
                },
                witness: bai_precompiles::witness::Witness { output: generated.clone(), units: 3 },
                proven: false,
            }],
        );
        *chain.model.lock() = Some(ModelEntry {
            status: bai_precompiles::ModelStatus::Active,
            kind: ModelKind::Generation.as_u8(),
            max_input_bytes: 100,
            max_units: 3,
            base_gas: 0,
            gas_per_unit: 0,
            gas_per_input_byte: 0,
            tolerance_bps: 0,
            price: Default::default(),
            owner: Address::ZERO,
            operator: Address::ZERO,
            ..Default::default()
        });
        let reference = Arc::new(Flaky {
            failures: Mutex::new(vec![BackendError::Overloaded, BackendError::Timeout(Duration::from_secs(30))]),
            output: generated,
            runs: AtomicU64::new(0),
        });
        let challenger = challenger_with(&chain, &cursor, reference.clone());

        challenger.step().await.unwrap();
        assert_eq!(challenger.next_block(), 2, "never past the block whose witness is unchecked");
        assert_eq!(read_cursor(&cursor).unwrap().unwrap().next, 2);
        let stuck = challenger.status().get().stuck.expect("stuck on block 2");
        assert_eq!((stuck.block, stuck.attempts), (2, 1));
        assert_eq!(stuck.reason, "the reference runtime failed: inference server overloaded");

        challenger.step().await.unwrap();
        assert_eq!(challenger.next_block(), 2);
        let stuck = challenger.status().get().stuck.expect("still stuck");
        assert_eq!(stuck.reason, "the reference runtime failed: inference timed out after 30s");
        assert_eq!(chain.audited(), vec![1, 2, 2], "block 3 is not looked at while 2 is unchecked");

        challenger.step().await.unwrap();
        assert_eq!(challenger.next_block(), 4);
        assert_eq!(challenger.status().get().stuck, None);
        assert_eq!(reference.runs.load(Ordering::SeqCst), 3);
        assert_eq!(chain.audited(), vec![1, 2, 2, 2, 3]);
    }

    #[tokio::test]
    async fn checks_each_block_once_again_only_when_replaced_and_resumes_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let cursor = dir.path().join("cursor");
        let chain = Arc::new(FakeChain::default());
        chain.set(&[(0, 0xf0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 5)], 5);
        let first = challenger(&chain, &cursor);
        first.step().await.unwrap();
        assert_eq!(chain.audited(), vec![1, 2, 3, 4, 5]);
        assert_eq!(first.next_block(), 6);

        // Derivation resetting (the safe head moves back, the blocks stay): nothing is checked again.
        chain.set(&[], 2);
        first.step().await.unwrap();
        assert_eq!((chain.audited().len(), first.next_block()), (5, 6));

        // An L2 reorg replaces blocks 4 and 5; while they are not safe again nothing is checked, but
        // the cursor already points at the first replaced block.
        chain.set(&[(4, 0xa4), (5, 0xa5), (6, 0xa6)], 3);
        first.step().await.unwrap();
        assert_eq!((chain.audited().len(), first.next_block()), (5, 4));
        chain.set(&[], 6);
        first.step().await.unwrap();
        assert_eq!(chain.audited(), vec![1, 2, 3, 4, 5, 4, 5, 6]);

        // A restart resumes at the cursor, and still notices its last checked block being replaced.
        drop(first);
        chain.set(&[(6, 0xb6), (7, 0xb7)], 7);
        let second = challenger(&chain, &cursor);
        assert_eq!(second.next_block(), 7);
        second.step().await.unwrap();
        assert_eq!(chain.audited()[8..], [6, 7]);
        assert_eq!(second.next_block(), 8);
        drop(second);
        assert_eq!(challenger(&chain, &cursor).next_block(), 8, "the cursor file holds the progress");
    }

    /// A block that cannot be re-executed holds the cursor (it used to be skipped as "unverifiable"):
    /// the status names it and the reason, and the challenger goes on once it can be checked.
    #[tokio::test]
    async fn a_block_that_cannot_be_checked_holds_the_cursor_and_shows_in_the_status() {
        let dir = tempfile::tempdir().unwrap();
        let cursor = dir.path().join("cursor");
        let chain = Arc::new(FakeChain::default());
        chain.set(&[(0, 0xf0), (1, 1), (2, 2), (3, 3), (4, 4)], 4);
        *chain.unauditable.lock() = Some(3);
        let challenger = challenger(&chain, &cursor);
        for _ in 0..3 {
            challenger.step().await.unwrap();
        }
        assert_eq!(challenger.next_block(), 3, "never past the block it could not check");
        assert_eq!(read_cursor(&cursor).unwrap().unwrap().next, 3, "nor in the cursor file");
        let status = challenger.status().get();
        assert_eq!((status.next_block, status.safe_head), (3, 4));
        let stuck = status.stuck.expect("stuck");
        assert_eq!((stuck.block, stuck.attempts), (3, 3));
        assert_eq!(stuck.reason, "cannot re-execute the block: state of block 2 is pruned");

        *chain.unauditable.lock() = None;
        challenger.step().await.unwrap();
        assert_eq!(challenger.next_block(), 5);
        assert_eq!(challenger.status().get(), ChallengerStatus { next_block: 5, safe_head: 4, stuck: None });
        assert_eq!(chain.audited(), vec![1, 2, 3, 3, 3, 3, 4]);
    }
}
