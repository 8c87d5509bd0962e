//! Settlement: output roots and the proposer that posts them to the L1 output oracle.
//!
//! An output root (version 0) commits to an L2 block's state root, the L2ToL1MessagePasser's storage
//! root (which the header already carries in `withdrawalsRoot`, Isthmus) and the block hash; a
//! withdrawal is proven on L1 against it. The proposer posts the roots of *safe* blocks (derived from
//! L1) at the oracle's submission interval, asking the oracle which block is due, so a restart never
//! posts twice and never skips one.
//!
//! The challenger checks every posted output against the chain its own node derived from L1 and
//! deletes wrong ones within the finalization window; its inference half ([`inference`]) re-runs
//! every recorded inference witness on the CPU reference runtime and files slashing evidence for
//! results outside the model's tolerance.
//!
//! Owns: the output root definition, the proposer loop, the challenger loops and the divergence
//! measure of inference results. Must not touch: storage writes or derivation (it reads safe
//! headers through [`SafeChain`] and re-executes blocks only through [`AuditableChain`]).

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod challenger;
pub mod inference;
pub mod oracle;
pub mod proposer;

pub use challenger::Challenger;
pub use inference::{
    AuditableChain, ChallengerStatus, ChallengerStatusHandle, InferenceChallengeError, InferenceChallenger,
    InferenceChallengerConfig, StuckBlock,
};
pub use oracle::{IL2OutputOracle, OracleRole, RoleConfig, SettlementError};
pub use proposer::Proposer;

use alloy::{
    consensus::Header,
    primitives::{B256, keccak256},
};
use bai_sequencer::Sequencer;
pub use inference::divergence_bps;

/// The L2 chain as the proposer and the challenger see it: its safe head and headers.
pub trait SafeChain: Send + Sync {
    /// Number of the newest block derived from L1 alone (only those are proposed or checked against).
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

impl AuditableChain for Sequencer {
    fn audit(&self, number: u64) -> Result<Vec<bai_precompiles::AuditedCall>, String> {
        self.audit_inference(number).map_err(|e| e.to_string())
    }

    fn model(&self, id: B256) -> Option<bai_precompiles::ModelEntry> {
        let state = self.store().state(bai_storage::StateAt::Block(self.head().0.number)).ok()?;
        let sload = |slot: alloy::primitives::U256| {
            state.storage_value(&bai_chainspec::predeploys::MODEL_MARKETPLACE, &B256::from(slot))
        };
        bai_precompiles::registry::read_model(id, sload).ok().flatten()
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
