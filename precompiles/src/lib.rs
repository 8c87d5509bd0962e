//! The AI precompile: Solidity contracts call models at `0x…0BA1` and get the answer in the same
//! transaction, metered in gas from the on-chain model registry.
//!
//! Owns: the precompile ABI and its errors ([`abi`]), the gas schedule ([`gas`]), reading model
//! parameters and witnesses from state ([`registry`], [`witness`]), the `infer` wire format
//! ([`tensor_io`]), the [`InferenceBackend`] seam with
//! a remote JSON-RPC client and a result cache ([`backend`]), and the precompile itself
//! ([`precompile`]) with the seam to the proof system for zk models ([`proof`]), in its modes: sequencing (ask a backend, collect witnesses), replay (answer
//! only from the block's recorded witnesses), call (`eth_call`/`eth_estimateGas`, cached backend) and
//! audit (replay that also lists the calls, for a challenger re-running them).
//! Must not touch: block building, storage or the model runtime (candle lives in `bai-inference`).
//!
//! Determinism: only the sequencer talks to backends. Whatever it got is written into the block as a
//! system deposit to the witness-store predeploy before the transactions that used it, so every other
//! node replays the block from chain data alone. Every refusal or backend failure costs the same flat
//! gas in every mode, so a call that failed for the sequencer fails identically on replay.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod abi;
pub mod backend;
pub mod gas;
pub mod precompile;
pub mod proof;
pub mod registry;
pub mod tensor_io;
pub mod witness;

pub use backend::{
    BackendError, CachedBackend, InferenceBackend, InferenceOutput, InferenceRequest, LimitedBackend, ModelKind,
    RemoteBackend,
};
pub use precompile::{AuditedCall, InferenceMode, ModelCall, UNANSWERED_REASON, install};
pub use proof::{ProofError, ProofVerifier, RegisteredKey};
pub use registry::{ModelEntry, ModelStatus};
pub use witness::{Witness, WitnessSet};
