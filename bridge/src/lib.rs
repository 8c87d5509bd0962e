//! Rollup plumbing between L1 and L2.
//!
//! Owns: reading deposits from the L1 portal and turning them into deposit transactions
//! ([`deposit`]), following L1 heads to choose each L2 block's L1 origin ([`watcher`]), and the
//! batch data format: L2 blocks as batches in brotli channels ([`channel`]) cut into frames
//! ([`frame`]), the batcher posting them to L1 as blobs or calldata ([`batcher`], [`blob`]), the
//! rollup's L1 configuration ([`rollup`]), and the verifier deriving L2 from L1 alone ([`derive`]).
//! Must not touch: block building or execution (it feeds the sequencer through
//! `bai_sequencer::L1OriginSource` and applies derived blocks through `Sequencer::apply_derived`),
//! or L2 storage writes (it reads stored blocks to batch them and to compare derived ones).

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod batcher;
pub mod blob;
pub mod channel;
pub mod deposit;
pub mod derive;
pub mod frame;
pub mod rollup;
pub mod watcher;

pub use batcher::{Batcher, BatcherConfig, BatcherError, L2Source, batch_for_block};
pub use blob::{BeaconBlobSource, BlobSource, RpcBlobSource};
pub use deposit::{DepositError, TransactionDeposited, deposit_from_log};
pub use derive::{DerivationConfig, Deriver, L1BlockRef, SyncStatus};
pub use rollup::{DEFAULT_SEQ_WINDOW_SIZE, RollupConfig};
pub use watcher::{L1Block, L1Watcher, WatcherConfig, WatcherError};
