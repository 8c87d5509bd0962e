//! RocksDB storage of a BalanceAI node: blocks, receipts, transaction and log lookups, plain state,
//! bytecode, state history and the path-keyed state trie.
//!
//! Owns: the on-disk layout ([`tables`]), the atomic per-block commit ([`Store::commit_block`]),
//! reads of state at the head or any retained block ([`StateAt`]) and the incremental state root
//! ([`trie`]) with its proofs, at past blocks too for the proof accounts ([`Store::proof`]), and the
//! head cache that keeps the builder's state and trie reads in memory across blocks (`cache`), warmed
//! with the whole head state when it fits (`warm`). Must not touch: execution (it receives revm's `BundleState`) or RPC types.
//!
//! Crash safety: everything a block changes goes into one RocksDB `WriteBatch` with the WAL on, so
//! after `kill -9` the store holds either the whole block or none of it. The batch may be written
//! after the block is sealed, while the next one executes (`persist`): the block is then staged in
//! an overlay only the builder reads until the write lands.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod cache;
mod error;
mod persist;
mod prefetch;
mod proof;
mod state;
mod store;
pub mod tables;
#[cfg(test)]
mod testing;
pub mod trie;
mod warm;

pub use cache::{Completeness, HeadCacheStats};
pub use error::StorageError;
pub use persist::OnWritten;
pub use prefetch::Prefetch;
pub use proof::{AccountProof, SlotProof};
pub use state::{StateAt, StateDb};
pub use store::{
    BlockCommit, BlockMeta, LogQuery, PreparedState, StateDump, Store, StoreConfig, StoredBlock, TxLocation, TxMeta,
};
pub use warm::{WarmReport, WarmStop};
