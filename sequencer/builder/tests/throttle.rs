//! The DA-backlog throttle: while the batcher lags, blocks carry at most the configured bytes of pool
//! transactions; the rest waits in the pool and follows once the limit is lifted.

mod common;

use alloy::primitives::{Address, Bytes, TxKind, U256};
use bai_chainspec::dev::dev_accounts;
use common::Harness;

#[test]
fn a_throttled_sequencer_builds_small_blocks_and_catches_up_after() {
    let dir = tempfile::tempdir().unwrap();
    let harness = Harness::open(dir.path());
    let senders: Vec<_> = dev_accounts().iter().take(4).map(|a| a.signer()).collect();
    for sender in &senders {
        // ~100-byte signed transfers with 200 bytes of calldata each: ~300 bytes apiece.
        harness.send(
            sender,
            TxKind::Call(Address::with_last_byte(0x42)),
            U256::from(1),
            Bytes::from(vec![7u8; 200]),
            60_000,
        );
    }

    harness.sequencer.set_max_block_tx_bytes(Some(700));
    let throttled = harness.sequencer.build_block().unwrap();
    let user_bytes: usize = throttled.block.transactions[1..].iter().map(|t| t.len()).sum();
    assert_eq!(throttled.block.transactions.len() - 1, 2, "two ~300-byte transactions fit in 700 bytes");
    assert!(user_bytes <= 700, "{user_bytes} bytes of transactions");
    assert_eq!(harness.sequencer.pool().len(), 2, "the rest waits in the pool");

    harness.sequencer.set_max_block_tx_bytes(None);
    let after = harness.sequencer.build_block().unwrap();
    assert_eq!(after.block.transactions.len() - 1, 2, "the rest follows once the limit is lifted");
    assert_eq!(harness.sequencer.pool().len(), 0);
}
