//! Withdrawal proofs at past blocks: the L2ToL1MessagePasser (a proof account) can be proven at any
//! block of the proof window exactly as it was proven when that block was the head, the proofs
//! verify against each block's state root and `withdrawalsRoot`, older blocks and other accounts
//! are refused, and an L2 reorg or a restart changes none of it.

mod common;

use alloy::{
    primitives::{Address, B256, Bytes, TxKind, U256, keccak256},
    sol,
    sol_types::SolCall,
};
use alloy_trie::{Nibbles, TrieAccount, proof::verify_proof};
use bai_chainspec::{dev::dev_accounts, predeploys::L2_TO_L1_MESSAGE_PASSER as PASSER};
use bai_storage::{AccountProof, StorageError, Store, StoreConfig};
use common::Harness;
use std::collections::BTreeMap;

sol! {
    function initiateWithdrawal(address target, uint256 gasLimit, bytes data);
}

const WINDOW: u64 = 6;

fn config(dir: &std::path::Path) -> StoreConfig {
    StoreConfig {
        proof_accounts: vec![PASSER],
        proof_history_blocks: WINDOW,
        history_blocks: 3,
        ..StoreConfig::new(dir)
    }
}

/// Every storage slot the message passer holds now, plus two it never holds (absence proofs).
fn passer_slots(store: &Store) -> Vec<B256> {
    let mut slots: Vec<B256> = store
        .dump_state()
        .unwrap()
        .into_iter()
        .find(|(address, ..)| *address == PASSER)
        .map(|(_, _, slots)| slots.into_iter().map(|(slot, _)| slot).collect())
        .unwrap_or_default();
    slots.push(keccak256(b"never written"));
    slots.push(B256::with_last_byte(0x77));
    slots
}

/// `msgNonce` (slot 1) counts the messages; `sentMessages` entries hold 1.
fn sent_messages(proof: &AccountProof) -> u64 {
    let nonce_slot = B256::with_last_byte(1);
    proof.storage.iter().filter(|s| s.slot != nonce_slot && s.value == U256::from(1)).count() as u64
}

fn message_nonce(proof: &AccountProof) -> U256 {
    proof.storage.iter().find(|s| s.slot == B256::with_last_byte(1)).map(|s| s.value).unwrap_or_default()
}

/// Checks a proof against the block's header with alloy-trie's verifier (independent of the store).
fn verify(store: &Store, proof: &AccountProof, address: Address) {
    let header = store.header(proof.block).unwrap().unwrap();
    let leaf = proof.account.map(alloy_rlp::encode);
    verify_proof(header.state_root, Nibbles::unpack(keccak256(address)), leaf, proof.account_proof.iter())
        .unwrap_or_else(|e| panic!("account proof of {address} at {}: {e:?}", proof.block));
    if address == PASSER {
        assert_eq!(proof.storage_root(), header.withdrawals_root.unwrap(), "withdrawalsRoot at {}", proof.block);
    }
    for slot in &proof.storage {
        let value = (!slot.value.is_zero()).then(|| alloy_rlp::encode(slot.value));
        verify_proof(proof.storage_root(), Nibbles::unpack(keccak256(slot.slot)), value, slot.proof.iter())
            .unwrap_or_else(|e| panic!("storage proof of {} at {}: {e:?}", slot.slot, proof.block));
    }
}

#[test]
fn message_passer_is_provable_at_every_block_of_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::with_store(config(dir.path()), None);
    let seq = &h.sequencer;
    let store = seq.store().clone();
    let alice = dev_accounts()[0].signer();
    let bob = dev_accounts()[1].signer();

    // Ten blocks, each with a withdrawal (a new slot, the nonce slot and the passer's balance
    // change) and unrelated transfers that move the account trie around it.
    let mut at_head: BTreeMap<u64, (Vec<B256>, AccountProof)> = BTreeMap::new();
    for i in 1..=10u64 {
        let call = initiateWithdrawalCall {
            target: Address::with_last_byte(i as u8),
            gasLimit: U256::from(100_000),
            data: Bytes::new(),
        };
        h.send(&alice, TxKind::Call(PASSER), U256::from(1000 + i), call.abi_encode().into(), 200_000);
        h.send(&bob, TxKind::Call(Address::with_last_byte(0xb0 + i as u8)), U256::from(i), Bytes::new(), 21_000);
        let block = seq.build_block().unwrap();
        let slots = passer_slots(&store);
        let proof = store.proof(&PASSER, &slots, block.block.header.number).unwrap();
        verify(&store, &proof, PASSER);
        assert_eq!(sent_messages(&proof), i, "one sent message per block");
        assert_eq!(message_nonce(&proof), U256::from(i));
        at_head.insert(block.block.header.number, (slots, proof));
    }
    let head = store.head_number().unwrap();
    let oldest = store.oldest_proof_block();
    assert_eq!(oldest, head - WINDOW);

    // Past blocks: the same proofs as when each was the head, including absence of later slots.
    let latest_slots = passer_slots(&store);
    for (block, (slots, proof)) in &at_head {
        if *block < oldest {
            let err = store.proof(&PASSER, slots, *block).unwrap_err();
            assert!(matches!(err, StorageError::ProofUnavailable { .. }), "{err}");
            continue;
        }
        assert_eq!(&store.proof(&PASSER, slots, *block).unwrap(), proof, "block {block}");
        let later = store.proof(&PASSER, &latest_slots, *block).unwrap();
        verify(&store, &later, PASSER);
        assert_eq!(sent_messages(&later), *block, "messages held at block {block}");
        assert_eq!(message_nonce(&later), U256::from(*block));
    }

    // Other accounts: at the head only.
    let alice_now = store.proof(&alice.address(), &[], head).unwrap();
    verify(&store, &alice_now, alice.address());
    assert_eq!(alice_now.account.unwrap().nonce, 10);
    assert!(matches!(store.proof(&alice.address(), &[], head - 1), Err(StorageError::ProofUnavailable { .. })));
    assert!(matches!(store.proof(&PASSER, &[], head + 1), Err(StorageError::UnknownBlock(_))));

    // An L2 reorg: the head's node history goes with it, earlier proofs are untouched, and the
    // replacement block is proven from its own history.
    let unwound = seq.rewind_to(head - 1).unwrap();
    assert_eq!(unwound.len(), 1);
    assert_eq!(unwound[0].header.number, head);
    for block in oldest..head {
        let (slots, proof) = &at_head[&block];
        assert_eq!(&store.proof(&PASSER, slots, block).unwrap(), proof, "block {block} after the unwind");
    }
    let call = initiateWithdrawalCall {
        target: Address::with_last_byte(0xee),
        gasLimit: U256::from(50_000),
        data: Bytes::new(),
    };
    h.send(&bob, TxKind::Call(PASSER), U256::from(7), call.abi_encode().into(), 200_000);
    let replacement = seq.build_block().unwrap();
    assert_eq!(replacement.block.header.number, head);
    let proof = store.proof(&PASSER, &passer_slots(&store), head).unwrap();
    verify(&store, &proof, PASSER);
    let (slots, before) = &at_head[&(head - 1)];
    assert_eq!(&store.proof(&PASSER, slots, head - 1).unwrap(), before);

    // A restart keeps the window and the history.
    let kept: Vec<_> = (store.oldest_proof_block()..head).map(|b| (b, at_head[&b].clone())).collect();
    drop(h);
    drop(store);
    let reopened = Store::open(config(dir.path())).unwrap();
    assert_eq!(reopened.oldest_proof_block(), oldest);
    for (block, (slots, proof)) in kept {
        assert_eq!(reopened.proof(&PASSER, &slots, block).unwrap(), proof, "block {block} after reopening");
    }
    // Proofs verify whatever TrieAccount says; make sure the passer really holds the value sent: all
    // ten withdrawals (the unwound block's went back to the pool and into the replacement) and 7.
    let passer: TrieAccount = reopened.proof(&PASSER, &[], head).unwrap().account.unwrap();
    assert_eq!(passer.balance, U256::from((1..=10u64).map(|i| 1000 + i).sum::<u64>() + 7));
}
