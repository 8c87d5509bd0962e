//! L2 reorgs: rewinding the chain puts state, tries and indexes back exactly, and derivation's
//! `apply_derived` confirms a matching block or replaces a different one.

mod common;

use alloy::primitives::{Address, B256, Bytes, TxKind, U256, hex};
use bai_chainspec::dev::dev_accounts;
use bai_sequencer::{Derived, PayloadAttributes};
use common::Harness;

/// Constructor writes slots 0 = 0x2a and 1 = 7; the runtime stores calldata[32..64] at slot calldata[0..32].
const STORE_CONTRACT: &str = "602a600055 6007600155 6008601660003960086000f3 6020356000355500";

fn init_code() -> Bytes {
    hex::decode(STORE_CONTRACT.replace(' ', "")).unwrap().into()
}

fn set(slot: u64, value: u64) -> Bytes {
    [B256::from(U256::from(slot)).0, B256::from(U256::from(value)).0].concat().into()
}

fn attributes_of(header: &alloy::consensus::Header, transactions: &[Bytes]) -> PayloadAttributes {
    PayloadAttributes {
        timestamp: header.timestamp,
        l1: bai_evm::L1Info::from_block_transactions(transactions).unwrap(),
        deposits: vec![],
        transactions: transactions[1..].to_vec(),
    }
}

#[test]
fn rewinding_restores_state_roots_and_indexes_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::open(dir.path());
    let seq = &h.sequencer;
    let store = seq.store().clone();
    let alice = dev_accounts()[0].signer();
    let bob = dev_accounts()[1].signer();
    let contract = alice.address().create(1);

    // Block 1: a new account and a contract with storage.
    h.send(&alice, TxKind::Call(Address::with_last_byte(0xa1)), U256::from(5), Bytes::new(), 21_000);
    h.send(&alice, TxKind::Create, U256::ZERO, init_code(), 200_000);
    seq.build_block().unwrap();
    // Block 2: storage written and cleared.
    h.send(&bob, TxKind::Call(contract), U256::ZERO, set(5, 9), 100_000);
    h.send(&alice, TxKind::Call(contract), U256::ZERO, set(0, 0), 100_000);
    let kept = seq.build_block().unwrap();
    let (kept_root, kept_dump) = (store.head_state_root().unwrap(), store.dump_state().unwrap());
    assert_ne!(store.storage_root(&contract).unwrap(), alloy_trie::EMPTY_ROOT_HASH);

    // Blocks 3 and 4: more of everything, including new accounts and contracts.
    h.send(&bob, TxKind::Call(contract), U256::ZERO, set(0, 1), 100_000);
    h.send(&alice, TxKind::Call(contract), U256::ZERO, set(1, 0), 100_000);
    let late_tx = h.send(&bob, TxKind::Call(Address::with_last_byte(0xb2)), U256::from(7), Bytes::new(), 21_000);
    h.send(&alice, TxKind::Create, U256::ZERO, init_code(), 200_000);
    seq.build_block().unwrap();
    h.send(&bob, TxKind::Call(contract), U256::ZERO, set(77, 3), 100_000);
    seq.build_block().unwrap();
    assert_ne!(store.head_state_root().unwrap(), kept_root);
    assert!(store.tx_location(&late_tx).unwrap().is_some());

    let removed = seq.rewind_to(2).unwrap();
    assert_eq!(removed.iter().map(|b| b.header.number).collect::<Vec<_>>(), vec![4, 3]);
    assert_eq!(seq.head().0.number, 2);
    assert_eq!(seq.head().1, kept.block.hash);
    assert_eq!(seq.reorgs(), 1);
    assert_eq!(store.head_number(), Some(2));
    assert_eq!(store.head_state_root().unwrap(), kept_root);
    assert_eq!(store.dump_state().unwrap(), kept_dump, "plain state as it was after block 2");
    assert!(store.block(3).unwrap().is_none() && store.block_hash(4).unwrap().is_none());
    assert!(store.block_number(&removed[0].hash).unwrap().is_none());
    assert!(store.tx_location(&late_tx).unwrap().is_none(), "lookups of removed transactions are gone");
    assert!(store.receipts(3).unwrap().is_none());
    // Their five user transactions are offered to the pool again, none lost.
    assert_eq!(seq.pool().status().pending, 5, "the rewound blocks' transactions are pending again");

    // The chain goes on from block 2: a new block 3 executes on the restored tries (its state root is
    // computed incrementally from them, so a wrong node anywhere would give a wrong root or fail).
    h.send(&bob, TxKind::Call(contract), U256::ZERO, set(0, 4), 100_000);
    let replacement = seq.build_block().unwrap();
    assert_eq!(replacement.block.header.number, 3);
    assert_eq!(replacement.block.header.parent_hash, kept.block.hash);

    // Reopening the store sees the same head and state.
    let root = store.head_state_root().unwrap();
    drop(h);
    drop(store);
    let reopened = Harness::open(dir.path());
    assert_eq!(reopened.sequencer.head().1, replacement.block.hash);
    assert_eq!(reopened.sequencer.store().head_state_root().unwrap(), root);
}

#[test]
fn apply_derived_confirms_a_matching_block_and_replaces_a_different_one() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::open(dir.path());
    let seq = &h.sequencer;
    let alice = dev_accounts()[0].signer();
    seq.build_block().unwrap();
    h.send(&alice, TxKind::Call(Address::with_last_byte(0xa1)), U256::from(5), Bytes::new(), 21_000);
    let second = seq.build_block().unwrap();
    seq.build_block().unwrap();
    let attributes = attributes_of(&second.block.header, &second.block.transactions);

    match seq.apply_derived(1, attributes.clone()).unwrap() {
        Derived::Confirmed(hash) => assert_eq!(hash, second.block.hash),
        other => panic!("expected the block to be confirmed, got {other:?}"),
    }
    assert_eq!(seq.head().0.number, 3, "a confirmation changes nothing");

    // L1 says block 2 had no user transaction (the sequencer's batch was dropped, say).
    let empty = PayloadAttributes { transactions: vec![], ..attributes };
    match seq.apply_derived(1, empty).unwrap() {
        Derived::Executed { block, rewound } => {
            assert_eq!(rewound, 2, "blocks 2 and 3 removed");
            assert_eq!(block.block.header.number, 2);
            assert_ne!(block.block.hash, second.block.hash);
            assert_eq!(block.block.transactions.len(), 1, "only the L1-attributes deposit");
        }
        other => panic!("expected a replacement, got {other:?}"),
    }
    assert_eq!(seq.head().0.number, 2);
    assert_eq!(seq.reorgs(), 1);
    // The transfer L1 dropped is back in the pool (it had a receipt on the rewound chain) ...
    let transfer = &second.block.transactions[1];
    assert_eq!(seq.pool().status().pending, 1, "the rewound transfer is pending again");
    // ... and the sequencer builds on the derived block, including it again.
    let next = seq.build_block().unwrap();
    assert_eq!(next.block.header.parent_hash, seq.store().block_hash(2).unwrap().unwrap());
    assert_eq!(next.block.transactions.get(1), Some(transfer), "the transfer is mined again");
}
