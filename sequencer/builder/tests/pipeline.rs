//! Pipelined persistence: blocks built back to back with `build_block_pipelined` (each block's write
//! overlapping the next block's execution, as the node's block loop runs them) are the chain a
//! synchronous node re-executes exactly, with the head cache off, tiny (every block evicts what the
//! staged block wrote), at its default size, and at its default size with warm-ups of the head state
//! running the whole time (as `bai node` starts one); and nothing is announced before it is written.

mod common;

use alloy::{
    consensus::{SignableTransaction, TxEip1559},
    eips::Encodable2718,
    network::TxSignerSync,
    primitives::{Address, B256, Bytes, TxKind, U256, hex},
    signers::local::PrivateKeySigner,
};
use bai_chainspec::dev::dev_accounts;
use bai_pool::PoolError;
use bai_storage::{StateAt, StoreConfig};
use common::Harness;
use op_alloy::consensus::OpTxEnvelope;
use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

/// Blocks built: three through admission, the rest back to back.
const ROUNDS: u64 = 12;

/// Runtime: `SSTORE(0, BLOCKHASH(NUMBER - 1)); SSTORE(1, SLOAD(1) + 1)`, returned by the init code.
const RUNTIME: &str = "600143034060005560015460010160015500";

/// `PUSH18 runtime; MSTORE(0); RETURN(14, 18)`.
fn init_code() -> Bytes {
    hex::decode(format!("71{RUNTIME}6000526012600ef3")).unwrap().into()
}

fn sign(signer: &PrivateKeySigner, nonce: u64, to: TxKind, input: Bytes, gas_limit: u64) -> Bytes {
    let mut tx = TxEip1559 {
        chain_id: 2977,
        nonce,
        gas_limit,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000,
        to,
        value: U256::from(1u64),
        input,
        ..Default::default()
    };
    let signature = signer.sign_transaction_sync(&mut tx).unwrap();
    OpTxEnvelope::from(tx.into_signed(signature)).encoded_2718().into()
}

#[test]
fn pipelined_blocks_are_the_chain_a_synchronous_node_re_executes() {
    let signers: Vec<PrivateKeySigner> = dev_accounts().iter().map(|a| a.signer()).collect();
    let deployer = &signers[0];
    let contract = deployer.address().create(0);
    let default = StoreConfig::new("").head_cache_entries;
    for (entries, warming) in [(0usize, false), (16, false), (default, false), (default, true)] {
        let dir = tempfile::tempdir().unwrap();
        let h = Harness::with_store(StoreConfig { head_cache_entries: entries, ..StoreConfig::new(dir.path()) }, None);
        let seq = &h.sequencer;
        // Warm-ups back to back on their own thread while every block below is built and written.
        let stop = Arc::new(AtomicBool::new(false));
        let warmer = warming.then(|| {
            let (store, stop) = (seq.store().clone(), stop.clone());
            std::thread::spawn(move || {
                let mut runs = 0;
                while !stop.load(Ordering::Relaxed) {
                    store.warm_head_cache(|_| !stop.load(Ordering::Relaxed)).unwrap();
                    runs += 1;
                }
                runs
            })
        });
        // Each round: the deployer's transaction (the deployment, then a call) and a transfer from
        // every other dev account, signed up front.
        let rounds: Vec<Vec<Bytes>> = (0..ROUNDS)
            .map(|round| {
                let first = match round {
                    0 => sign(deployer, 0, TxKind::Create, init_code(), 200_000),
                    _ => sign(deployer, round, TxKind::Call(contract), Bytes::new(), 100_000),
                };
                let transfers = signers.iter().enumerate().skip(1).map(|(i, signer)| {
                    let to = Address::with_last_byte(0x40 + (round as u8) * 10 + i as u8);
                    sign(signer, round, TxKind::Call(to), Bytes::new(), 21_000)
                });
                std::iter::once(first).chain(transfers).collect()
            })
            .collect();
        let submit = |round: &[Bytes]| -> Vec<B256> {
            round.iter().map(|raw| seq.submit_transaction(raw.clone()).unwrap()).collect()
        };
        let mut built = Vec::new();
        let mut expected = Vec::new();
        // Rounds 0–2 go through admission while the previous block may still be writing: admission
        // reads the written head, so a sender's next nonce may look like a gap to it; the builder
        // must still include every one of them in the very next block.
        for round in &rounds[..3] {
            expected.push(submit(round));
            built.push(seq.build_block_pipelined().unwrap());
            // Not announced before written: the head others read is never ahead of the store's.
            assert!(seq.head().0.number <= seq.store().head_number().unwrap(), "announced before written");
        }
        // The other rounds are pooled first, then built back to back (a byte limit per block keeps one
        // round per block), so each block executes while its parent is being written.
        seq.store().wait_persisted().unwrap();
        for round in &rounds[3..] {
            expected.push(submit(round));
        }
        for round in &rounds[3..] {
            seq.set_max_block_tx_bytes(Some(round.iter().map(|raw| raw.len() as u64).sum()));
            built.push(seq.build_block_pipelined().unwrap());
        }
        seq.set_max_block_tx_bytes(None);
        stop.store(true, Ordering::Relaxed);
        if let Some(warmer) = warmer {
            assert!(warmer.join().unwrap() > 0);
        }
        for (block, sent) in built.iter().zip(&expected) {
            let number = block.block.header.number;
            assert_eq!(
                block.tx_hashes[1..],
                sent[..],
                "cache {entries}, block {number}: every tx of its round, in order"
            );
        }
        seq.store().wait_persisted().unwrap();
        let last = built.last().unwrap().block.header.number;
        assert_eq!(seq.head().0.number, last);
        assert_eq!(seq.store().head_number(), Some(last));

        // The contract ran in every block after its deployment, each time reading its parent's hash.
        let state = seq.store().state(StateAt::Block(last)).unwrap();
        assert_eq!(state.storage_value(&contract, &B256::with_last_byte(1)).unwrap(), U256::from(ROUNDS - 1));
        let parent = seq.store().block_hash(last - 1).unwrap().unwrap();
        assert_eq!(state.storage_value(&contract, &B256::ZERO).unwrap(), U256::from_be_bytes(parent.0));

        // A second node re-executes each block and checks every header field against its own result.
        let other_dir = tempfile::tempdir().unwrap();
        let other = Harness::open(other_dir.path());
        for block in &built {
            let imported = other
                .sequencer
                .import_block(block.block.header.clone(), block.block.transactions.clone())
                .unwrap_or_else(|e| panic!("cache {entries}, block {}: {e}", block.block.header.number));
            assert_eq!(imported.block.hash, block.block.hash);
        }
    }
}

/// A transaction sent again (or replaced) right after the block that includes it was sealed, while
/// that block's write may still be in flight: admission must refuse it as a used nonce, as it does
/// once the block is written, not admit it to be dropped silently when the next block runs.
#[test]
fn a_nonce_a_sealed_block_used_is_too_low_while_the_block_is_being_written() {
    let signers: Vec<PrivateKeySigner> = dev_accounts().iter().map(|a| a.signer()).collect();
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::with_store(StoreConfig::new(dir.path()), None);
    let seq = &h.sequencer;
    let to = TxKind::Call(Address::with_last_byte(0x77));
    for nonce in 0..20u64 {
        let sent: Vec<Bytes> = signers.iter().map(|signer| sign(signer, nonce, to, Bytes::new(), 21_000)).collect();
        for raw in &sent {
            seq.submit_transaction(raw.clone()).unwrap();
        }
        let block = seq.build_block_pipelined().unwrap();
        assert_eq!(block.tx_hashes.len(), 1 + signers.len());
        // At once, as a wallet re-broadcasting or speeding up would.
        for (signer, raw) in signers.iter().zip(&sent) {
            let again = seq.submit_transaction(raw.clone());
            let replacement = seq.submit_transaction(sign(signer, nonce, to, Bytes::from_static(b"x"), 30_000));
            for result in [again, replacement] {
                assert_eq!(result, Err(PoolError::NonceTooLow { tx: nonce, state: nonce + 1 }), "block {}", nonce + 1);
            }
        }
        assert_eq!(seq.pool().len(), 0, "nothing of a sealed block is pooled again");
    }
    seq.store().wait_persisted().unwrap();
}
