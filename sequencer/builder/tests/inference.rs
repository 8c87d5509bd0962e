//! AI precompile calls through the sequencer: answers are recorded as a witness deposit in the
//! block, a replica with no inference backend replays the blocks to identical roots, a tampered
//! witness makes the block fail import, and a dead backend reverts only the calls that needed it.
//!
//! The backend here is a scripted stand-in (this test is about recording and replay, not models;
//! the real models are exercised by bai-inference's tests and the end-to-end suite).

mod common;

use alloy::{
    eips::{Decodable2718, Encodable2718},
    primitives::{Address, B256, Bytes, TxKind, U256, b256, keccak256},
    sol_types::SolCall,
};
use bai_chainspec::{
    dev::dev_accounts,
    predeploys::{MODEL_MARKETPLACE, WITNESS_STORE},
};
use bai_precompiles::{
    BackendError, InferenceBackend, InferenceOutput, InferenceRequest, ModelKind, WitnessSet, abi::IBaiInference,
    registry::read_model, witness::pack_embedding,
};
use bai_sequencer::is_witness_deposit;
use bai_storage::StateAt;
use common::Harness;
use op_alloy::consensus::{OpReceiptEnvelope, OpTxEnvelope};
use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicUsize, Ordering},
};

const EMBEDDING_MODEL: B256 = b256!("0x1376cd05d831cf77b4baf7303098d4c0e44c3cd7e812dc3f95cbfd0e2f26f539");
const GENERATION_MODEL: B256 = b256!("0xad00ff97ad78425860da84f33496c901b38cd2f1753643a808eff705ee4b0a49");

#[derive(Debug, Default)]
struct Scripted {
    calls: AtomicUsize,
    dead: AtomicBool,
}

impl InferenceBackend for Scripted {
    fn run(&self, request: &InferenceRequest) -> Result<InferenceOutput, BackendError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.dead.load(Ordering::SeqCst) {
            return Err(BackendError::Unavailable("connection refused".into()));
        }
        Ok(match request.kind {
            ModelKind::Embedding => {
                let digest = keccak256(&request.input);
                let values: Vec<i32> =
                    digest.chunks(4).map(|c| i32::from_be_bytes([c[0], c[1], c[2], c[3]]) / 4096).collect();
                InferenceOutput::new(pack_embedding(&values), 2 + request.input.len() as u64 / 4)
            }
            _ => {
                let text = format!("echo: {}", String::from_utf8_lossy(&request.input));
                InferenceOutput::new(text.into_bytes().into(), 5.min(request.max_units as u64))
            }
        })
    }
}

fn price(harness: &Harness, model: B256) -> U256 {
    let state = harness.sequencer.store().state(StateAt::Latest).unwrap();
    let read = |slot: U256| state.storage_value(&MODEL_MARKETPLACE, &B256::from(slot.to_be_bytes::<32>()));
    read_model(model, read).unwrap().expect("genesis registers the model").price
}

fn receipts(harness: &Harness, number: u64) -> Vec<OpReceiptEnvelope> {
    let raw = harness.sequencer.store().receipts(number).unwrap().unwrap();
    raw.iter().map(|r| OpReceiptEnvelope::decode_2718(&mut r.as_ref()).unwrap()).collect()
}

fn embed_call(text: &str) -> Bytes {
    IBaiInference::embedCall { modelId: EMBEDDING_MODEL, text: text.into() }.abi_encode().into()
}

fn generate_call(prompt: &str, max_tokens: u32) -> Bytes {
    IBaiInference::generateCall { modelId: GENERATION_MODEL, prompt: prompt.into(), maxTokens: max_tokens }
        .abi_encode()
        .into()
}

/// What derivation would hand over for a block: its timestamp and L1 origin, and everything after
/// the L1-attributes deposit (the dev L1 has no user deposits).
fn attributes_of(header: &alloy::consensus::Header, transactions: &[Bytes]) -> bai_sequencer::PayloadAttributes {
    let l1 = bai_evm::L1Info::from_block_transactions(transactions).unwrap();
    bai_sequencer::PayloadAttributes {
        timestamp: header.timestamp,
        l1,
        deposits: vec![],
        transactions: transactions[1..].to_vec(),
    }
}

#[test]
fn witnessed_blocks_replay_without_a_backend_and_tampering_is_rejected() {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let backend = Arc::new(Scripted::default());
    let sequencer = Harness::with_inference(dirs[0].path(), Some(backend.clone()));
    let user = dev_accounts()[0].signer();
    let market = TxKind::Call(MODEL_MARKETPLACE);
    let (embed_price, generate_price) = (price(&sequencer, EMBEDDING_MODEL), price(&sequencer, GENERATION_MODEL));

    // Block 1: two model calls and a transfer.
    sequencer.send(&user, market, embed_price, embed_call("hello world"), 2_000_000);
    sequencer.send(&user, market, generate_price, generate_call("Say hi", 16), 3_000_000);
    sequencer.send(&user, TxKind::Call(Address::with_last_byte(0x77)), U256::from(1), Bytes::new(), 21_000);
    let block1 = sequencer.sequencer.build_block().unwrap();
    let txs = &block1.block.transactions;
    assert_eq!(txs.len(), 5, "L1 info, witnesses, three user transactions");
    let witness_tx = OpTxEnvelope::decode_2718(&mut txs[1].as_ref()).unwrap();
    assert!(is_witness_deposit(&witness_tx));
    let recorded = WitnessSet::from_record_calldata(alloy::consensus::Transaction::input(&witness_tx)).unwrap();
    assert_eq!(recorded.len(), 2);
    assert!(receipts(&sequencer, 1).iter().all(|r| r.status()), "every transaction succeeded");
    let state = sequencer.sequencer.store().state(StateAt::Latest).unwrap();
    assert_eq!(state.storage_value(&WITNESS_STORE, &B256::with_last_byte(2)).unwrap(), U256::from(2), "count");
    assert_eq!(backend.calls.load(Ordering::SeqCst), 2, "each call asked the backend once");

    // Block 2: the same embedding again (re-witnessed in this block) while the backend is alive.
    sequencer.send(&user, market, embed_price, embed_call("hello world"), 2_000_000);
    let block2 = sequencer.sequencer.build_block().unwrap();
    assert_eq!(block2.block.transactions.len(), 3);
    assert!(receipts(&sequencer, 2).iter().all(|r| r.status()));

    // Block 3: the backend is dead. The model call reverts; the transfer next to it still lands.
    backend.dead.store(true, Ordering::SeqCst);
    sequencer.send(&user, market, generate_price, generate_call("Are you there?", 8), 3_000_000);
    sequencer.send(&user, TxKind::Call(Address::with_last_byte(0x78)), U256::from(1), Bytes::new(), 21_000);
    let block3 = sequencer.sequencer.build_block().unwrap();
    assert_eq!(block3.block.transactions.len(), 3, "no witness deposit: nothing was answered");
    let statuses: Vec<bool> = receipts(&sequencer, 3).iter().map(|r| r.status()).collect();
    assert_eq!(statuses, vec![true, false, true]);

    // A replica with no backend imports all three blocks and reaches the same hashes and roots.
    let replica = Harness::open(dirs[1].path());
    for number in 1..=3 {
        let block = sequencer.sequencer.store().block(number).unwrap().unwrap();
        let imported = replica.sequencer.import_block(block.header.clone(), block.transactions.clone()).unwrap();
        assert_eq!(imported.block.hash, block.hash, "block {number}");
        assert_eq!(imported.block.header.state_root, block.header.state_root);
    }

    // A verifier rebuilds each block from its batch alone (timestamp, L1 origin and the non-deposit
    // transactions plus the witness deposit) and gets the sequencer's block, hash for hash.
    let verifier_dir = tempfile::tempdir().unwrap();
    let verifier = Harness::open(verifier_dir.path());
    for number in 1..=3 {
        let block = sequencer.sequencer.store().block(number).unwrap().unwrap();
        let derived = verifier.sequencer.derive_block(attributes_of(&block.header, &block.transactions)).unwrap();
        assert_eq!(derived.block.hash, block.hash, "derived block {number}");
    }
    // A batch whose transactions do not all execute (here: one transaction twice, the second with a
    // spent nonce) derives a deposit-only block instead of stalling the chain.
    sequencer.send(&user, TxKind::Call(Address::with_last_byte(0x79)), U256::from(1), Bytes::new(), 21_000);
    let block4 = sequencer.sequencer.build_block().unwrap();
    let mut attributes = attributes_of(&block4.block.header, &block4.block.transactions);
    attributes.transactions.push(attributes.transactions[0].clone());
    let derived = verifier.sequencer.derive_block(attributes).unwrap();
    assert_eq!(derived.block.transactions.len(), 1, "only the L1-attributes deposit");
    assert_ne!(derived.block.hash, block4.block.hash);

    // Tampering with one recorded output makes block 1 fail import, and nothing is written.
    let tampered_replica = Harness::open(dirs[2].path());
    let block = sequencer.sequencer.store().block(1).unwrap().unwrap();
    let mut witnesses = recorded;
    let first = *witnesses.0.keys().next().unwrap();
    let mut output = witnesses.0[&first].output.to_vec();
    output[0] ^= 1;
    witnesses.0.get_mut(&first).unwrap().output = output.into();
    let OpTxEnvelope::Deposit(deposit) = witness_tx else { unreachable!() };
    let mut deposit = deposit.into_inner();
    deposit.input = witnesses.record_calldata();
    let mut transactions = block.transactions.clone();
    transactions[1] = OpTxEnvelope::Deposit(alloy::consensus::Sealed::new(deposit)).encoded_2718().into();
    let error = tampered_replica.sequencer.import_block(block.header, transactions).unwrap_err();
    assert!(
        matches!(error, bai_sequencer::SequencerError::Import(bai_sequencer::ImportError::Mismatch { .. })),
        "{error}"
    );
    assert_eq!(tampered_replica.sequencer.head().0.number, 0);
}

/// A witness deposit is unsigned and may mint: one that differs from the deposit the sequencer builds
/// (here: the same witnesses, but minting 1M BAI to the depositor account) is refused by import with
/// the field named, and a batch carrying it derives a deposit-only block. Before the field-for-field
/// check, derivation executed the minting deposit (sender, target and calldata format were all it
/// looked at).
#[test]
fn a_witness_deposit_that_mints_is_refused_by_import_and_derivation() {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let sequencer = Harness::with_inference(dirs[0].path(), Some(Arc::new(Scripted::default())));
    let user = dev_accounts()[0].signer();
    let embed_price = price(&sequencer, EMBEDDING_MODEL);
    sequencer.send(&user, TxKind::Call(MODEL_MARKETPLACE), embed_price, embed_call("mint me"), 2_000_000);
    let block = sequencer.sequencer.build_block().unwrap().block.clone();
    let OpTxEnvelope::Deposit(deposit) = OpTxEnvelope::decode_2718(&mut block.transactions[1].as_ref()).unwrap() else {
        panic!("the second transaction is the witness deposit")
    };
    let mut minting = deposit.into_inner();
    minting.mint = 1_000_000 * 10u128.pow(18);
    let mut transactions = block.transactions.clone();
    transactions[1] = OpTxEnvelope::Deposit(alloy::consensus::Sealed::new(minting)).encoded_2718().into();
    let depositor = bai_chainspec::predeploys::DEPOSITOR_ACCOUNT;

    let replica = Harness::open(dirs[1].path());
    let error = replica.sequencer.import_block(block.header.clone(), transactions.clone()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid inference witness deposit: its mint differs from the deposit the sequencer builds",
        "{error:?}"
    );
    assert_eq!(replica.sequencer.head().0.number, 0, "nothing written");

    let verifier = Harness::open(dirs[2].path());
    let balance = |h: &Harness| {
        let state = h.sequencer.store().state(StateAt::Latest).unwrap();
        state.account(&depositor).unwrap().map(|a| a.balance).unwrap_or_default()
    };
    let before = balance(&verifier);
    let derived = verifier.sequencer.derive_block(attributes_of(&block.header, &transactions)).unwrap();
    assert_eq!(derived.block.transactions.len(), 1, "a deposit-only block: the batch is invalid");
    assert_eq!(balance(&verifier), before, "nothing minted to the depositor account");
    // The honest batch still derives the sequencer's block.
    drop(replica);
    let honest = Harness::open(dirs[1].path());
    let derived = honest.sequencer.derive_block(attributes_of(&block.header, &block.transactions)).unwrap();
    assert_eq!(derived.block.hash, block.hash);
}

/// What a challenger re-runs: re-executing a committed block lists every call answered from a
/// witness with the exact request the sequencer sent its backend, on the sequencer's chain and on a
/// chain derived from its batches alike, and writes nothing.
#[test]
fn audit_lists_each_witnessed_call_with_its_request() {
    let dirs: Vec<_> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let backend = Arc::new(Scripted::default());
    let sequencer = Harness::with_inference(dirs[0].path(), Some(backend.clone()));
    let user = dev_accounts()[0].signer();
    let market = TxKind::Call(MODEL_MARKETPLACE);
    let (embed_price, generate_price) = (price(&sequencer, EMBEDDING_MODEL), price(&sequencer, GENERATION_MODEL));

    sequencer.send(&user, market, embed_price, embed_call("audit me"), 2_000_000);
    sequencer.send(&user, market, generate_price, generate_call("Say hi", 16), 3_000_000);
    sequencer.send(&user, market, embed_price, embed_call("audit me"), 2_000_000);
    let block1 = sequencer.sequencer.build_block().unwrap();
    sequencer.send(&user, TxKind::Call(Address::with_last_byte(0x77)), U256::from(1), Bytes::new(), 21_000);
    sequencer.sequencer.build_block().unwrap();
    let witness_tx = OpTxEnvelope::decode_2718(&mut block1.block.transactions[1].as_ref()).unwrap();
    let recorded = WitnessSet::from_record_calldata(alloy::consensus::Transaction::input(&witness_tx)).unwrap();
    let embedding = {
        let state = sequencer.sequencer.store().state(StateAt::Latest).unwrap();
        let read = |slot: U256| state.storage_value(&MODEL_MARKETPLACE, &B256::from(slot.to_be_bytes::<32>()));
        read_model(EMBEDDING_MODEL, read).unwrap().unwrap()
    };

    let check = |harness: &Harness| {
        let calls = harness.sequencer.audit_inference(1).unwrap();
        assert_eq!(calls.len(), 3, "one entry per call, the repeated embedding included");
        assert_eq!(calls[0], calls[2], "the repeat used the same witness");
        let (embed, generate) = (&calls[0], &calls[1]);
        assert_eq!(embed.selector, IBaiInference::embedCall::SELECTOR);
        assert_eq!(embed.requested_units, 0);
        assert_eq!(
            embed.request,
            InferenceRequest {
                model: EMBEDDING_MODEL,
                kind: ModelKind::Embedding,
                input: Bytes::from_static(b"audit me"),
                max_units: embedding.max_units,
                // Routed to the registry's serving operator.
                operator: Some(embedding.operator).filter(|o| !o.is_zero()),
                prove: false,
            }
        );
        assert_eq!(generate.selector, IBaiInference::generateCall::SELECTOR);
        assert_eq!(generate.requested_units, 16);
        assert_eq!(generate.request.input, Bytes::from_static(b"Say hi"));
        assert_eq!(generate.request.max_units, 16);
        for call in [embed, generate] {
            let key = bai_precompiles::witness::call_key(
                call.request.model,
                call.selector,
                &call.request.input,
                call.requested_units,
            );
            assert_eq!(call.key, key);
            assert_eq!(recorded.get(&key), Some(&call.witness), "the witness the block recorded");
            // What the sequencer's backend answered for that request is what was recorded.
            let answer = backend.run(&call.request).unwrap();
            assert_eq!((answer.output, answer.units), (call.witness.output.clone(), call.witness.units));
        }
        assert!(harness.sequencer.audit_inference(2).unwrap().is_empty(), "no witnesses, nothing to audit");
        assert!(harness.sequencer.audit_inference(3).is_err(), "no such block");
    };
    let asked = backend.calls.load(Ordering::SeqCst);
    check(&sequencer);
    assert_eq!(sequencer.sequencer.head().0.number, 2, "auditing writes nothing");

    let verifier = Harness::open(dirs[1].path());
    for number in 1..=2 {
        let block = sequencer.sequencer.store().block(number).unwrap().unwrap();
        verifier.sequencer.derive_block(attributes_of(&block.header, &block.transactions)).unwrap();
    }
    check(&verifier);
    // 2 × 2 re-runs by `check` itself; auditing never asked the backend.
    assert_eq!(backend.calls.load(Ordering::SeqCst), asked + 4);
}
