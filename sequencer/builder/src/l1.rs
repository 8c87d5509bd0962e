//! Where each block's L1 origin comes from, and the L1 deposits that must open its epoch.
//!
//! The sequencer asks an [`L1OriginSource`] once per block. Dev mode uses [`DevL1`] (a synthetic L1,
//! no deposits); a node following a real L1 plugs in the watcher from `bai-bridge`.

use bai_evm::L1Info;
use op_alloy::consensus::TxDeposit;

/// The L1 origin of one L2 block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Epoch {
    /// The L1 block the L2 block builds on, with its sequence number and fee parameters.
    pub info: L1Info,
    /// User deposits to include right after the L1-attributes deposit: those of the origin's L1
    /// block when this is the first L2 block of the epoch, none otherwise.
    pub deposits: Vec<TxDeposit>,
}

/// What L1 derivation decided one L2 block is: its timestamp, its L1 origin (with the sequence
/// number in the epoch), the epoch's user deposits when it opens the epoch, and the batch's
/// transactions (an optional leading witness deposit, then signed transactions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadAttributes {
    /// Timestamp of the L2 block.
    pub timestamp: u64,
    /// Its L1 origin, with the sequence number in the epoch.
    pub l1: L1Info,
    /// The epoch's user deposits if the block opens the epoch, none otherwise.
    pub deposits: Vec<TxDeposit>,
    /// The batch's EIP-2718 transactions: an optional leading witness deposit, then signed ones.
    pub transactions: Vec<alloy_primitives::Bytes>,
}

/// Chooses L1 origins.
pub trait L1OriginSource: Send + Sync + std::fmt::Debug {
    /// The origin of an L2 block with `timestamp` whose parent's origin was `previous` (`None` for
    /// the first block after genesis).
    fn next_epoch(&self, timestamp: u64, genesis_timestamp: u64, previous: Option<&L1Info>) -> Epoch;
}

/// A synthetic L1 for `--dev` without an L1: one block per 12 s of L2 time, no deposits.
#[derive(Debug, Clone, Copy, Default)]
pub struct DevL1;

impl L1OriginSource for DevL1 {
    fn next_epoch(&self, timestamp: u64, genesis_timestamp: u64, previous: Option<&L1Info>) -> Epoch {
        Epoch { info: L1Info::dev(timestamp, genesis_timestamp, previous), deposits: Vec::new() }
    }
}
