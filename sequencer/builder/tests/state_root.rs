//! The sequencer's incremental state root checked against an independent computation: alloy-trie's
//! `HashBuilder` over a full dump of the plain state, after every block of a workload that creates
//! accounts, deploys a contract, writes and clears storage, and survives a restart.

mod common;

use alloy::{
    primitives::{Address, B256, Bytes, TxKind, U256, hex, keccak256},
    signers::local::PrivateKeySigner,
};
use alloy_trie::{EMPTY_ROOT_HASH, HashBuilder, Nibbles, TrieAccount};
use bai_chainspec::dev::dev_accounts;
use bai_storage::{StateAt, Store};
use common::Harness;

/// Init code deploying runtime `SSTORE(calldata[0:32], calldata[32:64])`.
const STORE_CONTRACT: &str = "67602035600035550060005260086018f3";

fn reference_state_root(store: &Store) -> B256 {
    let mut accounts: Vec<(B256, Vec<u8>)> = store
        .dump_state()
        .unwrap()
        .into_iter()
        .map(|(address, account, slots)| {
            let mut slots: Vec<(B256, Vec<u8>)> =
                slots.into_iter().map(|(slot, value)| (keccak256(slot), alloy_rlp::encode(value))).collect();
            slots.sort();
            let storage_root = if slots.is_empty() {
                EMPTY_ROOT_HASH
            } else {
                let mut builder = HashBuilder::default();
                for (key, value) in &slots {
                    builder.add_leaf(Nibbles::unpack(key), value);
                }
                builder.root()
            };
            let leaf = TrieAccount::new(
                account.nonce,
                account.balance,
                storage_root,
                account.bytecode_hash.unwrap_or(revm::primitives::KECCAK_EMPTY),
            );
            (keccak256(address), alloy_rlp::encode(leaf))
        })
        .collect();
    accounts.sort();
    let mut builder = HashBuilder::default();
    for (key, value) in &accounts {
        builder.add_leaf(Nibbles::unpack(key), value);
    }
    builder.root()
}

fn seal_and_check(harness: &Harness) -> B256 {
    let block = harness.sequencer.build_block().unwrap();
    let root = block.block.header.state_root;
    assert_eq!(root, reference_state_root(harness.sequencer.store()), "block {}", block.block.header.number);
    root
}

fn slot_call(slot: u64, value: u64) -> Bytes {
    let mut data = U256::from(slot).to_be_bytes::<32>().to_vec();
    data.extend_from_slice(&U256::from(value).to_be_bytes::<32>());
    data.into()
}

#[test]
fn incremental_state_root_matches_full_recomputation_across_blocks_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let signers: Vec<PrivateKeySigner> = dev_accounts().iter().map(|a| a.signer()).collect();
    let harness = Harness::open(dir.path());
    assert_eq!(harness.sequencer.head().0.state_root, reference_state_root(harness.sequencer.store()));

    // Block 1: transfers to fresh accounts and a contract deployment.
    for (i, signer) in signers.iter().enumerate().take(5) {
        let to = Address::with_last_byte(0x40 + i as u8);
        harness.send(signer, TxKind::Call(to), U256::from(1_000_000_000u64 * (i as u64 + 1)), Bytes::new(), 21_000);
    }
    harness.send(&signers[6], TxKind::Create, U256::ZERO, hex::decode(STORE_CONTRACT).unwrap().into(), 200_000);
    seal_and_check(&harness);
    let contract = signers[6].address().create(0);
    assert!(harness.sequencer.store().state(StateAt::Latest).unwrap().code(&contract).unwrap().is_some());

    // Block 2: storage writes.
    for slot in 0..20u64 {
        harness.send(&signers[7], TxKind::Call(contract), U256::ZERO, slot_call(slot, slot + 1), 100_000);
    }
    let root_after_writes = seal_and_check(&harness);
    let block_with_writes = harness.sequencer.store().head_number().unwrap();

    // Block 3: clear half the slots, overwrite others, more transfers.
    for slot in 0..10u64 {
        harness.send(&signers[8], TxKind::Call(contract), U256::ZERO, slot_call(slot, 0), 100_000);
    }
    for slot in 10..15u64 {
        harness.send(&signers[8], TxKind::Call(contract), U256::ZERO, slot_call(slot, 999), 100_000);
    }
    harness.send(&signers[0], TxKind::Call(signers[1].address()), U256::from(5u64), Bytes::new(), 21_000);
    seal_and_check(&harness);

    // Historical reads see the state as of block 2.
    let store = harness.sequencer.store().clone();
    let then = store.state(StateAt::Block(block_with_writes)).unwrap();
    let now = store.state(StateAt::Latest).unwrap();
    assert_eq!(then.storage_value(&contract, &B256::from(U256::from(3u64))).unwrap(), U256::from(4u64));
    assert_eq!(now.storage_value(&contract, &B256::from(U256::from(3u64))).unwrap(), U256::ZERO);
    assert_eq!(now.storage_value(&contract, &B256::from(U256::from(12u64))).unwrap(), U256::from(999u64));
    assert_eq!(store.header(block_with_writes).unwrap().unwrap().state_root, root_after_writes);
    drop((then, now));

    // Empty blocks keep the root apart from the L1-attributes deposit's effects.
    seal_and_check(&harness);

    // Restart: same head, same root, and building continues.
    let (head_before, hash_before) = harness.sequencer.head();
    drop(harness);
    drop(store);
    let harness = Harness::open(dir.path());
    let (head_after, hash_after) = harness.sequencer.head();
    assert_eq!((head_after.number, hash_after), (head_before.number, hash_before));
    assert_eq!(head_after.state_root, reference_state_root(harness.sequencer.store()));
    harness.send(&signers[9], TxKind::Call(Address::with_last_byte(0x99)), U256::from(7u64), Bytes::new(), 21_000);
    seal_and_check(&harness);
}
