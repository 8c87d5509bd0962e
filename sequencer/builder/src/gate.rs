//! The hook between sealing a block and committing it. A sequencer cluster (`bai-conductor`) puts its
//! commit rule here: a block this node built is made durable where the next leader will read it, under
//! the leader's fencing token, before anything of it is committed or announced. Without a gate (a single
//! sequencer) blocks are committed as soon as they are sealed.

use bai_storage::StoredBlock;

/// Where a block this node built must be published before it is committed and announced.
pub trait BlockGate: Send + Sync + std::fmt::Debug {
    /// Publishes the sealed `block` (header, hash and transactions as EIP-2718 bytes). An error
    /// discards it: nothing of it is committed or announced, its transactions stay in the pool.
    fn publish(&self, block: &StoredBlock) -> Result<(), GateError>;

    /// Publishes `block`, which L1 derivation made the new head after this node's chain had other
    /// blocks at its height (forced inclusion, or batches that missed their window). It is already
    /// committed: every member derives the same block from L1, so it needs no fence before the
    /// commit, but the leader must make it the published head so the blocks it builds next extend
    /// it. A standby answers [`GateError::Fenced`] and publishes nothing. The default does nothing.
    fn publish_derived(&self, block: &StoredBlock) -> Result<(), GateError> {
        let _ = block;
        Ok(())
    }
}

/// Why a sealed block was not published.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// This node no longer holds leadership (its lease expired or another leader took over): the
    /// block would fork the chain and must never be seen.
    #[error("not the leader any more: {0}")]
    Fenced(String),
    /// The place blocks are published to could not be reached or refused the write.
    #[error("the block could not be made durable: {0}")]
    Unavailable(String),
}
