//! The AI precompile inside op-revm over the real genesis (marketplace with its registered models):
//! each refusal reverts with its decodable `IBaiInference` error, `quote` prices the worst case,
//! and a paid call through the marketplace returns the backend's answer.

use alloy::{
    consensus::Header,
    primitives::{Address, B256, Bytes, U256, b256, bytes},
    rpc::types::TransactionRequest,
    sol_types::{SolCall, SolError},
};
use alloy_evm::Evm;
use bai_chainspec::{
    ChainSpec,
    predeploys::{AI_PRECOMPILE, MODEL_MARKETPLACE, bundled_alloc},
};
use bai_evm::{BaiEvmConfig, InferenceMode};
use bai_precompiles::{
    BackendError, InferenceBackend, InferenceOutput, InferenceRequest, abi::IBaiInference, witness::pack_embedding,
};
use revm::{
    context::result::ExecutionResult,
    database::{CacheDB, EmptyDB},
    state::{AccountInfo, Bytecode},
};
use std::sync::Arc;

const EMBEDDING_MODEL: B256 = b256!("0x1376cd05d831cf77b4baf7303098d4c0e44c3cd7e812dc3f95cbfd0e2f26f539");
const CALLER: Address = Address::repeat_byte(0xca);
/// Forwards its calldata to the precompile with STATICCALL and reverts with whatever came back.
const STATIC_PROXY: Address = Address::repeat_byte(0x57);

#[derive(Debug)]
struct Fixed;

impl InferenceBackend for Fixed {
    fn run(&self, _: &InferenceRequest) -> Result<InferenceOutput, BackendError> {
        Ok(InferenceOutput::new(pack_embedding(&[600_000, -800_000]), 4))
    }
}

fn genesis_db() -> CacheDB<EmptyDB> {
    let mut db = bai_evm::in_memory_db(bundled_alloc());
    db.insert_account_info(CALLER, AccountInfo { balance: U256::from(10u128.pow(22)), ..Default::default() });
    let proxy = Bytecode::new_raw(bytes!("365f5f375f5f365f610ba15afa503d5f5f3e3d5ffd"));
    db.insert_account_info(
        STATIC_PROXY,
        AccountInfo { code_hash: proxy.hash_slow(), code: Some(proxy), ..Default::default() },
    );
    db
}

fn run(
    mode: InferenceMode,
    to: Address,
    value: U256,
    input: Bytes,
    gas: u64,
) -> ExecutionResult<op_revm::OpHaltReason> {
    let config = BaiEvmConfig::new(Arc::new(ChainSpec::dev()));
    let header =
        Header { number: 1, timestamp: 1, gas_limit: 30_000_000, base_fee_per_gas: Some(0), ..Default::default() };
    let env = config.evm_env(&header);
    let request = TransactionRequest::default().from(CALLER).to(to).value(value).input(input.into()).gas_limit(gas);
    let tx = config.call_tx_env(request, &env).unwrap();
    let mut evm = config.evm(genesis_db(), env, mode);
    evm.transact(tx).unwrap().result
}

fn revert_data(result: &ExecutionResult<op_revm::OpHaltReason>) -> Bytes {
    match result {
        ExecutionResult::Revert { output, .. } => output.clone(),
        other => panic!("expected a revert, got {other:?}"),
    }
}

fn embed(model: B256, text: &str) -> Bytes {
    IBaiInference::embedCall { modelId: model, text: text.into() }.abi_encode().into()
}

fn call_mode() -> InferenceMode {
    InferenceMode::Call(Arc::new(Fixed))
}

fn embedding_price() -> U256 {
    let data = bai_precompiles::abi::IModelMarketplace::getModelCall { modelId: EMBEDDING_MODEL }.abi_encode();
    match run(InferenceMode::Disabled, MODEL_MARKETPLACE, U256::ZERO, data.into(), 1_000_000) {
        ExecutionResult::Success { output, .. } => {
            bai_precompiles::abi::IModelMarketplace::getModelCall::abi_decode_returns(output.data()).unwrap().price
        }
        other => panic!("getModel failed: {other:?}"),
    }
}

#[test]
fn refusals_revert_with_decodable_errors() {
    let unknown = B256::repeat_byte(0xee);
    let data = revert_data(&run(call_mode(), AI_PRECOMPILE, U256::ZERO, embed(unknown, "x"), 200_000));
    assert_eq!(data, IBaiInference::UnknownModel { modelId: unknown }.abi_encode());

    let price = embedding_price();
    assert!(!price.is_zero(), "the genesis embedding model is paid");
    let data = revert_data(&run(call_mode(), AI_PRECOMPILE, U256::ZERO, embed(EMBEDDING_MODEL, "x"), 500_000));
    assert_eq!(data, IBaiInference::PaymentRequired { modelId: EMBEDDING_MODEL, price }.abi_encode());

    let data = revert_data(&run(call_mode(), STATIC_PROXY, U256::ZERO, embed(EMBEDDING_MODEL, "x"), 500_000));
    assert_eq!(data, IBaiInference::StaticCallNotAllowed {}.abi_encode());

    let data = revert_data(&run(call_mode(), AI_PRECOMPILE, U256::ZERO, bytes!("deadbeef"), 100_000));
    assert_eq!(&data[..4], IBaiInference::InvalidInput::SELECTOR);

    // Through the marketplace, paid, but with too little gas for the worst case (the fee split
    // writes use most of the first ~200k; what reaches the precompile is below the quote).
    let data = revert_data(&run(call_mode(), MODEL_MARKETPLACE, price, embed(EMBEDDING_MODEL, "hello"), 300_000));
    let error = IBaiInference::InsufficientGas::abi_decode(&data).unwrap();
    assert!(error.required > error.available, "{error:?}");

    // A node without inference refuses with the documented reason.
    let data = revert_data(&run(
        InferenceMode::Disabled,
        MODEL_MARKETPLACE,
        price,
        embed(EMBEDDING_MODEL, "hello"),
        2_000_000,
    ));
    let error = IBaiInference::InferenceUnavailable::abi_decode(&data).unwrap();
    assert_eq!(error.modelId, EMBEDDING_MODEL);
    assert_eq!(error.reason, bai_precompiles::UNANSWERED_REASON);
}

#[derive(Debug)]
struct Down;

fn dummy_request() -> InferenceRequest {
    InferenceRequest {
        model: EMBEDDING_MODEL,
        kind: bai_precompiles::ModelKind::Embedding,
        input: Bytes::new(),
        max_units: 0,
        operator: None,
        prove: false,
    }
}

impl InferenceBackend for Down {
    fn run(&self, _: &InferenceRequest) -> Result<InferenceOutput, BackendError> {
        Err(BackendError::Unavailable("connection refused (os error 111) at 127.0.0.1:7545".into()))
    }
}

/// A call the sequencer could not get answered lands in its block as a revert; every node that
/// replays the block (no witness for it) must revert with the same data and the same gas, or the
/// receipts root differs and verifiers fork (found by the faults e2e suite: the backend's error
/// text reached the revert data, replay said "no witness", 128827 vs 128818 gas).
#[test]
fn an_unanswered_call_reverts_identically_when_sealed_and_when_replayed() {
    let price = embedding_price();
    let call = || embed(EMBEDDING_MODEL, "hello");
    let sealed = run(
        InferenceMode::Sequencing { backend: Arc::new(Down), collected: Default::default() },
        MODEL_MARKETPLACE,
        price,
        call(),
        2_000_000,
    );
    let replayed = run(InferenceMode::Replay(Default::default()), MODEL_MARKETPLACE, price, call(), 2_000_000);
    let without_inference = run(InferenceMode::Disabled, MODEL_MARKETPLACE, price, call(), 2_000_000);
    assert_eq!(sealed, replayed, "sealing and replaying an unanswered call must agree");
    assert_eq!(sealed, without_inference, "a sequencer without inference seals the same block");
    let error = IBaiInference::InferenceUnavailable::abi_decode(&revert_data(&sealed)).unwrap();
    assert_eq!(error.reason, bai_precompiles::UNANSWERED_REASON);

    // eth_call records nothing, so it may say what went wrong.
    let simulated = run(InferenceMode::Call(Arc::new(Down)), MODEL_MARKETPLACE, price, call(), 2_000_000);
    let error = IBaiInference::InferenceUnavailable::abi_decode(&revert_data(&simulated)).unwrap();
    assert_eq!(error.reason, Down.run(&dummy_request()).unwrap_err().to_string());
}

#[test]
fn quote_prices_the_worst_case_and_paid_calls_return_the_answer() {
    let quote = IBaiInference::quoteCall { modelId: EMBEDDING_MODEL, inputBytes: U256::from(11), maxUnits: 256 };
    let result = run(call_mode(), AI_PRECOMPILE, U256::ZERO, quote.abi_encode().into(), 100_000);
    let ExecutionResult::Success { output, .. } = result else { panic!("{result:?}") };
    let gas = IBaiInference::quoteCall::abi_decode_returns(output.data()).unwrap();
    // 50,000 base + 16 per byte + 500 per token (genesis parameters, docs/precompiles.md).
    assert_eq!(gas, U256::from(50_000 + 16 * 11 + 500 * 256));

    let price = embedding_price();
    let result = run(call_mode(), MODEL_MARKETPLACE, price, embed(EMBEDDING_MODEL, "hello"), 2_000_000);
    let ExecutionResult::Success { output, .. } = result else { panic!("{result:?}") };
    let values = IBaiInference::embedCall::abi_decode_returns(output.data()).unwrap();
    assert_eq!(values, vec![600_000, -800_000]);
}
