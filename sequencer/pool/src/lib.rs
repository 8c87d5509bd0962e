//! The transaction pool of the sequencer.
//!
//! Owns: admission of raw transactions, every check from bytes to pool ([`TxPool::submit`]:
//! stateless validation in [`validate`], then nonce, balance including the L1 data fee, replacement
//! and limits), the pending/queued sub-pools per sender, replacement and eviction rules, and the
//! priority iterator the block builder pulls from ([`BestTransactions`]). Must not touch: storage or
//! execution — the chain's view at the head (account state, rules, L1 data fee) comes through the
//! [`ChainView`] trait, which the engine implements.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

// Depended on for its `secp256k1` feature only: every `recover_signer` in the node (admission, block
// import, derivation) then uses libsecp256k1 rather than the slower pure-Rust k256.
use alloy_consensus as _;

mod admission;
mod config;
mod error;
mod pool;
pub mod validate;

pub use admission::ChainView;
pub use config::PoolConfig;
pub use error::PoolError;
pub use pool::{AccountState, BestTransactions, PoolStatus, PooledTx, TxPool};
