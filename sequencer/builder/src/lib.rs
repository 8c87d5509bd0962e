//! The sequencer: turns pool transactions into blocks.
//!
//! Owns: genesis initialisation, block building (L1-attributes deposit first, then the epoch's L1
//! deposits, then pool transactions by tip), sealing (roots, bloom, header) and the atomic commit, the block-time loop,
//! and the stream of committed blocks that RPC subscriptions read.
//! Must not touch: RPC formatting, pool admission rules, or the storage layout.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod admission;
mod builder;
mod gate;
mod genesis;
pub mod l1;

pub use bai_precompiles::witness::{block_witnesses, is_witness_deposit};
pub use builder::{CommittedBlock, Derived, ImportError, Sequencer, SequencerConfig, SequencerError};
pub use gate::{BlockGate, GateError};
pub use genesis::genesis_header;
pub use l1::{DevL1, Epoch, L1OriginSource, PayloadAttributes};
