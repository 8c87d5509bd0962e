//! Rollup plumbing between L1 and L2.
//!
//! Owns: reading deposits from the L1 portal and turning them into deposit transactions
//! ([`deposit`]), following L1 heads to choose each L2 block's L1 origin ([`watcher`]), and the
//! batch data format: L2 blocks as batches in brotli channels ([`channel`]) cut into frames
//! ([`frame`]), and the batcher posting them to L1 ([`batcher`]). Still to come (issue "Rollup
//! proper"): blob transactions and derivation.
//! Must not touch: block building or execution (it only feeds the sequencer through
//! `bai_sequencer::L1OriginSource`), or L2 storage.

pub mod batcher;
pub mod channel;
pub mod deposit;
pub mod frame;
pub mod poll;
pub mod watcher;

pub use batcher::{Batcher, BatcherConfig, BatcherError, L2Source, batch_for_block};
pub use deposit::{DepositError, TransactionDeposited, deposit_from_log};
pub use watcher::{L1Block, L1Watcher, WatcherConfig, WatcherError};
