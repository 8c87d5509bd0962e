//! Settlement: output roots and the proposer that posts them to the L1 output oracle.
//!
//! An output root (version 0) commits to an L2 block's state root, the L2ToL1MessagePasser's storage
//! root (which the header already carries in `withdrawalsRoot`, Isthmus) and the block hash; a
//! withdrawal is proven on L1 against it. The proposer posts the roots of *safe* blocks (derived from
//! L1) at the oracle's submission interval, asking the oracle which block is due, so a restart never
//! posts twice and never skips one.
//!
//! The challenger checks every posted output against the chain its own node derived from L1 and
//! deletes wrong ones within the finalization window.
//!
//! Owns: the output root definition, the proposer loop and the challenger loop. Must not touch: execution, storage writes
//! or derivation (it only reads safe headers through [`SafeChain`]).

pub mod challenger;
pub mod oracle;
pub mod proposer;

pub use challenger::Challenger;
pub use oracle::{IL2OutputOracle, OracleRole, RoleConfig, SettlementError};
pub use proposer::Proposer;

use alloy::{
    consensus::Header,
    primitives::{B256, keccak256},
};
use bai_sequencer::Sequencer;

/// The L2 chain as the proposer and the challenger see it: its safe head and headers.
pub trait SafeChain: Send + Sync {
    fn safe_head(&self) -> u64;
    /// Header and hash of block `number`.
    fn header(&self, number: u64) -> Option<(Header, B256)>;

    /// The output root of block `number`.
    fn output_root(&self, number: u64) -> Option<B256> {
        let (header, hash) = self.header(number)?;
        Some(output_root(header.state_root, header.withdrawals_root.unwrap_or_default(), hash))
    }
}

impl SafeChain for Sequencer {
    fn safe_head(&self) -> u64 {
        Sequencer::safe_head(self)
    }

    fn header(&self, number: u64) -> Option<(Header, B256)> {
        let store = self.store();
        Some((store.header(number).ok()??, store.block_hash(number).ok()??))
    }
}

/// Output root version 0: `keccak256(version ‖ state root ‖ message passer storage root ‖ block hash)`.
pub fn output_root(state_root: B256, message_passer_root: B256, block_hash: B256) -> B256 {
    keccak256(
        [B256::ZERO.as_slice(), state_root.as_slice(), message_passer_root.as_slice(), block_hash.as_slice()].concat(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_root_hashes_the_four_words_in_order() {
        let (s, w, b) = (B256::repeat_byte(1), B256::repeat_byte(2), B256::repeat_byte(3));
        let mut preimage = vec![0u8; 32];
        preimage.extend_from_slice(s.as_slice());
        preimage.extend_from_slice(w.as_slice());
        preimage.extend_from_slice(b.as_slice());
        assert_eq!(output_root(s, w, b), keccak256(&preimage));
        assert_ne!(output_root(w, s, b), output_root(s, w, b));
    }
}
