//! Hostile requests against the in-process server: each test performs one attack and checks the node
//! answers it with a bounded error (geth's code and message where geth has one) instead of running,
//! allocating or buffering without end. Each failed before its limit existed (the gas cap was there,
//! but not configurable).

mod common;

use bai_rpc::{RpcApis, RpcNamespace};
use common::*;
use jsonrpsee::{
    core::client::{ClientT, SubscriptionClientT},
    rpc_params,
    ws_client::WsClientBuilder,
};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Runtime code of an endless loop: `JUMPDEST PUSH1 0 JUMP`.
const ENDLESS_LOOP: &str = "0x5b600056";
/// Where the tests put the loop (a state override: no deployment needed).
const LOOP_AT: &str = "0x00000000000000000000000000000000000100ff";

fn loop_override() -> Value {
    json!({ LOOP_AT: { "code": ENDLESS_LOOP } })
}

#[tokio::test]
async fn namespaces_not_selected_are_method_not_found() {
    let node = Node::start_with(|config| config.apis = RpcApis::public()).await;
    for method in ["evm_mine", "txpool_content", "debug_traceCall"] {
        let error = node.call(method, json!([])).await.unwrap_err();
        assert_eq!((error.code, error.message.as_str()), (-32601, "Method not found"), "{method}");
    }
    // The public set still answers the standard and rollup namespaces.
    assert_eq!(node.call("net_version", json!([])).await.unwrap(), json!("2977"));
    assert!(node.call("bai_health", json!([])).await.is_ok());
    assert!(node.call("optimism_syncStatus", json!([])).await.is_ok());

    let node = Node::start_with(|config| config.apis = RpcApis::all().without(RpcNamespace::Evm)).await;
    assert_eq!(node.call("evm_mine", json!([])).await.unwrap_err().code, -32601);
    assert_eq!(node.call("txpool_status", json!([])).await.unwrap(), json!({ "pending": "0x0", "queued": "0x0" }));
}

#[tokio::test]
async fn fee_history_refuses_a_million_percentiles() {
    let node = Node::start().await;
    node.mine().await;
    let percentiles: Vec<f64> = (0..1_000_000).map(|i| i as f64 / 10_000.0).collect();
    let started = Instant::now();
    let error = node.call("eth_feeHistory", json!(["0x400", "latest", percentiles])).await.unwrap_err();
    assert_eq!((error.code, error.message.as_str()), (-32602, "invalid reward percentile: over the query limit 100"));
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    // 100 percentiles is fine; a block count over 1024 is clamped, as geth does.
    let hundred: Vec<f64> = (0..100).map(f64::from).collect();
    let history = node.call("eth_feeHistory", json!(["0xf4240", "latest", hundred])).await.unwrap();
    assert_eq!(history["reward"].as_array().unwrap().len(), 2, "{history}");
}

#[tokio::test]
async fn an_endless_call_is_aborted_at_the_evm_timeout() {
    let node = Node::start_with(|config| config.evm_timeout = Duration::from_millis(300)).await;
    for method in ["eth_call", "eth_estimateGas"] {
        let started = Instant::now();
        let request = json!({ "to": LOOP_AT, "gas": "0xffffffffffffffff" });
        let error = node.call(method, json!([request, "latest", loop_override()])).await.unwrap_err();
        assert_eq!((error.code, error.message.as_str()), (-32000, "execution aborted (timeout = 300ms)"), "{method}");
        // The abort comes at the deadline, not when 50M gas of looping has run out.
        assert!(started.elapsed() < Duration::from_secs(3), "{method} took {:?}", started.elapsed());
    }
}

/// Runtime code that counts down from 2^17 (917k steps, far past the 1 ms an `eth_call` may take on an
/// RPC worker) and returns 42.
const LONG_LOOP: &str = "0x620200005b6001900380600457602a60005260206000f3";

#[tokio::test]
async fn a_call_past_the_inline_budget_finishes_on_the_blocking_pool() {
    let node = Node::start().await;
    let at = "0x00000000000000000000000000000000000200ff";
    let request = json!({ "to": at, "gas": "0x1c9c380" });
    let started = Instant::now();
    let output = node.call("eth_call", json!([request, "latest", { at: { "code": LONG_LOOP } }])).await.unwrap();
    assert_eq!(output, json!(format!("0x{:064x}", 42)), "the whole call ran, not just its first millisecond");
    // (longer than eth_call's 1 ms inline budget, INLINE_BUDGET in node/rpc/src/exec.rs)
    assert!(started.elapsed() > Duration::from_millis(1), "the loop runs longer than the inline budget");
    // A quick call answers as before.
    let empty = json!({ "to": LOOP_AT });
    assert_eq!(node.call("eth_call", json!([empty, "latest"])).await.unwrap(), json!("0x"));
    // A call reaching a heavy precompile (here the BN254 pairing check of nothing, which is true) is skipped
    // on the worker and runs whole on the blocking pool.
    let pairing = "0x602060006000600060085afa5060206000f3";
    let request = json!({ "to": at });
    let output = node.call("eth_call", json!([request, "latest", { at: { "code": pairing } }])).await.unwrap();
    assert_eq!(output, json!(format!("0x{:064x}", 1)));
}

#[tokio::test]
async fn a_call_asking_for_2_pow_64_gas_runs_with_the_gas_cap() {
    let node = Node::start_with(|config| config.gas_cap = 100_000).await;
    let request = json!({ "to": LOOP_AT, "gas": "0xffffffffffffffff" });
    let error = node.call("eth_call", json!([request, "latest", loop_override()])).await.unwrap_err();
    assert_eq!((error.code, error.message.as_str()), (-32000, "out of gas"));
    // Over the block gas limit too, a call runs with what it may have (it used to be refused).
    let node = Node::start().await;
    let empty = json!({ "to": LOOP_AT, "gas": "0xffffffffffffffff" });
    assert_eq!(node.call("eth_call", json!([empty, "latest"])).await.unwrap(), json!("0x"));
    let error = node.call("eth_estimateGas", json!([request, "latest", loop_override()])).await.unwrap_err();
    assert_eq!(error.code, -32000);
    assert!(error.message.starts_with("gas required exceeds allowance"), "{error:?}");
}

#[tokio::test]
async fn struct_logger_traces_stop_at_the_step_cap_and_the_timeout() {
    let node = Node::start_with(|config| config.max_trace_steps = 1_000).await;
    let request = json!({ "to": LOOP_AT, "gas": "0x1c9c380" });
    let opts = json!({ "stateOverrides": loop_override() });
    let error = node.call("debug_traceCall", json!([request, "latest", opts])).await.unwrap_err();
    assert_eq!(error.code, -32005, "{error:?}");
    assert_eq!(
        error.message,
        "trace limit exceeded: more than 1000 steps (raise --rpc.max-trace-steps, or trace with callTracer)"
    );
    // callTracer keeps no steps: no step cap, but the tracer's own timeout holds.
    let started = Instant::now();
    let opts = json!({ "stateOverrides": loop_override(), "tracer": "callTracer", "timeout": "200ms" });
    let request = json!({ "to": LOOP_AT, "gas": "0x2faf080" });
    let error = node.call("debug_traceCall", json!([request, "latest", opts])).await.unwrap_err();
    assert_eq!((error.code, error.message.as_str()), (-32000, "execution timeout"));
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    // A trace within both limits works.
    let opts = json!({ "tracer": "callTracer" });
    let trace = node.call("debug_traceCall", json!([{ "to": LOOP_AT, "value": "0x0" }, "latest", opts])).await.unwrap();
    assert_eq!(trace["type"], json!("CALL"), "{trace}");
}

#[tokio::test]
async fn get_proof_refuses_too_many_keys() {
    let node = Node::start_with(|config| config.max_proof_keys = 3).await;
    let keys: Vec<String> = (0..4).map(|i| format!("0x{i:064x}")).collect();
    let error = node.call("eth_getProof", json!([LOOP_AT, keys, "latest"])).await.unwrap_err();
    assert_eq!((error.code, error.message.as_str()), (-32602, "too many storage keys: 4, limit 3"));
    let proof = node.call("eth_getProof", json!([LOOP_AT, &keys[..3], "latest"])).await.unwrap();
    assert_eq!(proof["storageProof"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn installed_filters_are_capped() {
    let node = Node::start_with(|config| config.max_filters = 3).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(node.call("eth_newBlockFilter", json!([])).await.unwrap());
    }
    let error = node.call("eth_newFilter", json!([{}])).await.unwrap_err();
    assert_eq!(error.code, -32005, "{error:?}");
    assert!(error.message.starts_with("too many filters: 3 are installed"), "{error:?}");
    // Uninstalling one makes room.
    assert_eq!(node.call("eth_uninstallFilter", json!([ids[0]])).await.unwrap(), json!(true));
    node.call("eth_newPendingTransactionFilter", json!([])).await.unwrap();
}

#[tokio::test]
async fn a_failed_filter_poll_does_not_skip_its_logs() {
    let node = Node::start_with(|config| config.max_logs = 1).await;
    let alice = dev(7);
    let hash = node
        .send(node.sign(&alice, alloy::primitives::TxKind::Create, Default::default(), LOGGER_INIT, None).await)
        .await
        .unwrap();
    node.mine().await;
    let logger = node.receipt(hash).await.contract_address.unwrap();
    let filter = node.call("eth_newFilter", json!([{ "address": logger }])).await.unwrap();
    // Two logs in one block: more than the one log a query may return.
    for _ in 0..2 {
        let call =
            node.sign(&alice, alloy::primitives::TxKind::Call(logger), Default::default(), Default::default(), None);
        node.send(call.await).await.unwrap();
    }
    node.mine().await;
    let first = node.call("eth_getFilterChanges", json!([filter])).await.unwrap_err();
    assert_eq!(first.code, -32005, "{first:?}");
    // The poll failed, so the next one covers the same blocks (and fails the same way) rather than
    // answering "nothing new" over logs the client never saw.
    let second = node.call("eth_getFilterChanges", json!([filter])).await.unwrap_err();
    assert_eq!((second.code, second.message), (first.code, first.message));
}

#[tokio::test]
async fn a_malformed_logs_subscription_filter_is_refused() {
    let node = Node::start().await;
    let ws = WsClientBuilder::default().build(format!("ws://{}", node.addr)).await.unwrap();
    let refused = ws
        .subscribe::<Value, _>("eth_subscribe", rpc_params!["logs", json!({ "address": "0x12" })], "eth_unsubscribe")
        .await
        .unwrap_err();
    match refused {
        jsonrpsee::core::ClientError::Call(error) => assert_eq!(error.code(), -32602, "{error:?}"),
        other => panic!("expected a JSON-RPC error, got {other:?}"),
    }
    // A well-formed filter subscribes, and the connection still answers calls.
    let _logs = ws
        .subscribe::<Value, _>("eth_subscribe", rpc_params!["logs", json!({ "address": LOOP_AT })], "eth_unsubscribe")
        .await
        .unwrap();
    let number: String = ws.request("eth_blockNumber", rpc_params![]).await.unwrap();
    assert_eq!(number, "0x0");
}
