//! The transaction pool of the sequencer.
//!
//! Owns: stateless validation of raw transactions ([`validate`]), the pending/queued sub-pools per
//! sender, replacement and eviction rules, and the priority iterator the block builder pulls from
//! ([`BestTransactions`]). Must not touch: storage or execution — callers pass the sender's nonce
//! and balance at the head and the transaction's L1 data fee.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod config;
mod error;
mod pool;
pub mod validate;

pub use config::PoolConfig;
pub use error::PoolError;
pub use pool::{AccountState, BestTransactions, PoolStatus, PooledTx, TxPool};
