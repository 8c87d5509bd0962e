//! A zk-level model inside op-revm over the real genesis, with real proofs: the shipped topic
//! classifier, its `bai-zk` verifying key written into the registry, a prover standing in for the
//! inference server. A proof that verifies is answered, recorded sealed with its answer and
//! replayed; a tampered one is never recorded by the sequencer, named by `eth_call`, and makes a
//! block that carries it invalid on replay.

use alloy::{
    consensus::Header,
    primitives::{Address, B256, Bytes, U256, b256, keccak256},
    rpc::types::TransactionRequest,
    sol_types::{SolCall, SolError},
};
use alloy_evm::Evm;
use bai_chainspec::{
    ChainSpec,
    predeploys::{MODEL_MARKETPLACE, WITNESS_STORE, bundled_alloc},
};
use bai_evm::{BaiEvmConfig, InferenceMode};
use bai_precompiles::{
    BackendError, InferenceBackend, InferenceOutput, InferenceRequest, WitnessSet,
    abi::{IBaiInference, IModelMarketplace},
    gas::verify_gas,
    proof,
    registry::{model_slot, zk_key_storage},
    tensor_io,
    witness::{Witness, witness_slot},
};
use bai_reference::tensor::TensorModel;
use bai_zk::{Prover, Setup};
use parking_lot::Mutex;
use revm::{
    context::result::ExecutionResult,
    database::{CacheDB, EmptyDB},
    state::AccountInfo,
};
use std::{
    path::Path,
    sync::{Arc, OnceLock},
};

const CLASSIFIER: B256 = b256!("0x5a0c0531b96a5450bde88a5af24315f5ff4b9716f6012fa15fa8889b54ed96ef");
const CALLER: Address = Address::repeat_byte(0xca);
const MAX_UNITS: u32 = 64;

fn prover() -> &'static Prover {
    static PROVER: OnceLock<Prover> = OnceLock::new();
    PROVER.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/topic-classifier");
        Prover::new(&TensorModel::load(&dir).unwrap(), &Setup::new()).unwrap()
    })
}

fn features(seed: i32) -> Vec<i32> {
    (0..384).map(|i| ((i * 7919 + seed * 104_729) % 2_000_001) - 1_000_000).collect()
}

/// The genesis state with the classifier at the zk level from block 1: key hash, zkSince and the
/// key bytes in the registry slots the precompile reads (the layout the Solidity tests pin).
fn zk_genesis() -> CacheDB<EmptyDB> {
    let mut db = bai_evm::in_memory_db(bundled_alloc());
    db.insert_account_info(CALLER, AccountInfo { balance: U256::from(10u128.pow(22)), ..Default::default() });
    let key = prover().verifying_key().to_bytes();
    let mut put = |slot: U256, value: U256| db.insert_account_storage(MODEL_MARKETPLACE, slot, value).unwrap();
    put(model_slot(CLASSIFIER, 5), U256::from_be_bytes(keccak256(key).0));
    put(model_slot(CLASSIFIER, 6), U256::from(1));
    for (slot, value) in zk_key_storage(CLASSIFIER, key) {
        put(slot, value);
    }
    db
}

/// Records `witness` under `key` in block 1 as the witness deposit would.
fn record(db: &mut CacheDB<EmptyDB>, key: B256, witness: &Witness) {
    let packed = U256::from(witness.units) | (U256::from(1u64) << 64usize);
    db.insert_account_storage(WITNESS_STORE, witness_slot(key, 0), packed).unwrap();
    db.insert_account_storage(WITNESS_STORE, witness_slot(key, 2), U256::from_be_bytes(keccak256(&witness.output).0))
        .unwrap();
}

/// An inference server that proves honestly, or flips a byte of each proof, or lies about the label.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Operator {
    Honest,
    TamperedProof,
    WrongLabel,
    NoProof,
}

impl InferenceBackend for Operator {
    fn run(&self, request: &InferenceRequest) -> Result<InferenceOutput, BackendError> {
        assert!(request.prove, "a zk model's call asks for a proof");
        let features = tensor_io::decode_features(&request.input).map_err(BackendError::InvalidInput)?;
        let proved = prover().prove(&features).map_err(|e| BackendError::Failed(e.to_string()))?;
        let mut proof = proved.proof;
        let mut label = proved.label;
        match self {
            Self::TamperedProof => {
                let middle = proof.len() / 2;
                proof[middle] ^= 1
            }
            Self::WrongLabel => label = (label + 1) % proved.scores.len() as u32,
            _ => {}
        }
        let output = tensor_io::encode_scores(label, &proved.scores);
        Ok(InferenceOutput { output, units: 4, proof: (*self != Self::NoProof).then(|| proof.into()) })
    }
}

fn price() -> U256 {
    let data = IModelMarketplace::getModelCall { modelId: CLASSIFIER }.abi_encode();
    match execute(zk_genesis(), InferenceMode::Disabled, data.into(), U256::ZERO) {
        Ok(ExecutionResult::Success { output, .. }) => {
            IModelMarketplace::getModelCall::abi_decode_returns(output.data()).unwrap().price
        }
        other => panic!("getModel failed: {other:?}"),
    }
}

fn infer_call(features: &[i32]) -> Bytes {
    IBaiInference::inferCall { modelId: CLASSIFIER, input: tensor_io::encode_features(features), maxUnits: MAX_UNITS }
        .abi_encode()
        .into()
}

/// A transaction to the marketplace in block 1; `Err` when execution itself failed (an invalid block).
fn execute(
    db: CacheDB<EmptyDB>,
    mode: InferenceMode,
    input: Bytes,
    value: U256,
) -> Result<ExecutionResult<op_revm::OpHaltReason>, String> {
    let config = BaiEvmConfig::new(Arc::new(ChainSpec::dev()));
    let header =
        Header { number: 1, timestamp: 1, gas_limit: 30_000_000, base_fee_per_gas: Some(0), ..Default::default() };
    let env = config.evm_env(&header);
    let request = TransactionRequest::default()
        .from(CALLER)
        .to(MODEL_MARKETPLACE)
        .value(value)
        .input(input.into())
        .gas_limit(3_000_000);
    let tx = config.call_tx_env(request, &env).unwrap();
    let mut evm = config.evm(db, env, mode);
    evm.transact(tx).map(|r| r.result).map_err(|e| e.to_string())
}

fn sequence(operator: Operator, features: &[i32]) -> (ExecutionResult<op_revm::OpHaltReason>, WitnessSet) {
    let collected = Arc::new(Mutex::new(WitnessSet::default()));
    let mode = InferenceMode::Sequencing { backend: Arc::new(operator), collected: collected.clone() };
    let result = execute(zk_genesis(), mode, infer_call(features), price()).unwrap();
    let set = collected.lock().clone();
    (result, set)
}

fn revert_data(result: &ExecutionResult<op_revm::OpHaltReason>) -> Bytes {
    match result {
        ExecutionResult::Revert { output, .. } => output.clone(),
        other => panic!("expected a revert, got {other:?}"),
    }
}

#[test]
fn a_verified_proof_is_answered_recorded_with_its_answer_and_replayed() {
    let features = features(1);
    let (result, witnesses) = sequence(Operator::Honest, &features);
    let gas_used = result.tx_gas_used();
    let ExecutionResult::Success { output, .. } = &result else { panic!("{result:?}") };
    let answer = IBaiInference::inferCall::abi_decode_returns(output.data()).unwrap();
    let proved = prover().prove(&features).unwrap();
    assert_eq!(answer.as_ref(), tensor_io::encode_scores(proved.label, &proved.scores).as_ref());
    assert!(gas_used > verify_gas(512), "the verification is charged: {gas_used} gas");

    // The witness carries the answer sealed with its proof.
    assert_eq!(witnesses.len(), 1);
    let (key, witness) = witnesses.0.iter().next().unwrap();
    let (recorded, proof) = proof::open(&witness.output).expect("a sealed witness");
    assert_eq!(recorded, answer);
    assert!(!proof.is_empty());

    // A node with no models replays it from the witness, checking the proof itself.
    let mut db = zk_genesis();
    record(&mut db, *key, witness);
    let replayed =
        execute(db, InferenceMode::Replay(Arc::new(witnesses.clone())), infer_call(&features), price()).unwrap();
    assert_eq!(replayed, result, "replay gives the sequencer's result, gas included");
}

#[test]
fn a_tampered_proof_is_never_recorded_and_eth_call_names_it() {
    let features = features(2);
    for liar in [Operator::TamperedProof, Operator::WrongLabel, Operator::NoProof] {
        let (sealed, witnesses) = sequence(liar, &features);
        assert!(witnesses.is_empty(), "{liar:?}: nothing recorded");
        // In a block it reverts exactly as a replaying node (no witness) reverts it.
        let replayed = execute(zk_genesis(), InferenceMode::Replay(Default::default()), infer_call(&features), price());
        assert_eq!(replayed.unwrap(), sealed, "{liar:?}");
        let error = IBaiInference::InferenceUnavailable::abi_decode(&revert_data(&sealed)).unwrap();
        assert_eq!(error.reason, bai_precompiles::UNANSWERED_REASON);

        // eth_call / eth_estimateGas say why.
        let simulated = execute(zk_genesis(), InferenceMode::Call(Arc::new(liar)), infer_call(&features), price());
        let error = IBaiInference::InvalidProof::abi_decode(&revert_data(&simulated.unwrap())).unwrap();
        assert_eq!(error.modelId, CLASSIFIER, "{liar:?}");
    }
    // The honest operator's call simulates fine.
    let simulated =
        execute(zk_genesis(), InferenceMode::Call(Arc::new(Operator::Honest)), infer_call(&features), price());
    assert!(matches!(simulated.unwrap(), ExecutionResult::Success { .. }));
}

#[test]
fn a_block_whose_witness_carries_a_bad_proof_does_not_execute() {
    let features = features(3);
    let (_, witnesses) = sequence(Operator::Honest, &features);
    let (key, witness) = witnesses.0.iter().next().unwrap();
    let (answer, proof) = proof::open(&witness.output).unwrap();

    let forged = |answer: &[u8], proof: &[u8]| {
        let witness = Witness { output: proof::seal(answer, proof), units: witness.units };
        let mut db = zk_genesis();
        record(&mut db, *key, &witness);
        let mut set = WitnessSet::default();
        set.insert(*key, witness);
        execute(db, InferenceMode::Replay(Arc::new(set)), infer_call(&features), price())
    };
    assert!(forged(&answer, &proof).is_ok(), "the honest witness replays");
    let mut tampered = proof.to_vec();
    tampered[10] ^= 1;
    assert!(forged(&answer, &tampered).is_err(), "a flipped proof byte invalidates the block");
    let (label, mut scores) = tensor_io::decode_scores(&answer).unwrap();
    scores[0] += 1;
    assert!(forged(&tensor_io::encode_scores(label, &scores), &proof).is_err(), "other scores, same proof");
    assert!(forged(&answer, &[]).is_err(), "no proof");

    // An unsealed (optimistic-style) witness for a zk model is invalid too.
    let plain = Witness { output: answer, units: witness.units };
    let mut db = zk_genesis();
    record(&mut db, *key, &plain);
    let mut set = WitnessSet::default();
    set.insert(*key, plain);
    assert!(execute(db, InferenceMode::Replay(Arc::new(set)), infer_call(&features), price()).is_err());
}
