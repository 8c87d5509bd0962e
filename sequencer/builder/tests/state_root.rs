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

/// The head cache (on, tiny so every block evicts, or off) changes no root and never serves a value
/// the chain no longer has: after a rewind, the rewound blocks' transactions execute again on the
/// restored state (a stale cached nonce or balance would drop them or give a different root).
#[test]
fn the_head_cache_serves_no_stale_state_across_blocks_evictions_and_rewinds() {
    let signers: Vec<PrivateKeySigner> = dev_accounts().iter().map(|a| a.signer()).collect();
    for entries in [0usize, 16, 262_144] {
        let dir = tempfile::tempdir().unwrap();
        let config =
            bai_storage::StoreConfig { head_cache_entries: entries, ..bai_storage::StoreConfig::new(dir.path()) };
        let harness = Harness::with_store(config, None);
        let seq = &harness.sequencer;
        harness.send(&signers[6], TxKind::Create, U256::ZERO, hex::decode(STORE_CONTRACT).unwrap().into(), 200_000);
        seal_and_check(&harness);
        let contract = signers[6].address().create(0);
        for round in 0..6u64 {
            for (i, signer) in signers.iter().enumerate().take(5) {
                let to = Address::with_last_byte(0x40 + ((i as u64 + round) % 7) as u8);
                harness.send(signer, TxKind::Call(to), U256::from(1_000 + round), Bytes::new(), 21_000);
            }
            harness.send(&signers[7], TxKind::Call(contract), U256::ZERO, slot_call(round % 3, round), 100_000);
            seal_and_check(&harness);
        }
        let kept = seq.head().0.number - 2;
        let removed = seq.rewind_to(kept).unwrap();
        assert_eq!(removed.len(), 2, "cache {entries}");
        assert_eq!(seq.store().head_state_root().unwrap(), reference_state_root(seq.store()), "cache {entries}");
        let offered = seq.pool().status().pending;
        assert_eq!(offered, 12, "cache {entries}: both blocks' user transactions are pending again");
        let rebuilt = seq.build_block().unwrap();
        assert_eq!(rebuilt.tx_hashes.len(), 1 + offered, "cache {entries}: all of them execute on the restored state");
        assert_eq!(rebuilt.block.header.state_root, reference_state_root(seq.store()), "cache {entries}");
        let stats = seq.store().head_cache_stats();
        match entries {
            0 => assert_eq!(stats, Default::default()),
            _ => assert!(stats.hits > 0 && stats.misses > 0, "cache {entries}: {stats:?}"),
        }
    }
}
