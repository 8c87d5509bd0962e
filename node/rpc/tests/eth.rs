//! The RPC server in-process (harness in `common`): state reads, transfers, refusals with geth's codes,
//! calls, logs and filters, health.

mod common;

use alloy::{
    consensus::{SignableTransaction, TxLegacy},
    eips::Encodable2718,
    network::TxSignerSync,
    primitives::{Address, B256, Bytes, TxKind, U64, U256, address, b256, bytes},
    providers::Provider,
    rpc::types::{Filter, Log},
    signers::local::PrivateKeySigner,
};
use common::*;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn state_reads_answer_like_geth() {
    let node = Node::start().await;
    assert_eq!(node.rpc.get_chain_id().await.unwrap(), 2977);
    assert_eq!(node.call("net_version", json!([])).await.unwrap(), json!("2977"));
    assert_eq!(node.rpc.get_block_number().await.unwrap(), 0);
    let alice = dev(0).address();
    assert_eq!(node.rpc.get_balance(alice).await.unwrap(), bai_chainspec::dev::DEV_BALANCE);
    assert_eq!(node.rpc.get_transaction_count(alice).await.unwrap(), 0);
    // A predeploy has code; an empty address has none and a zero balance.
    let l1_block = address!("4200000000000000000000000000000000000015");
    assert!(!node.rpc.get_code_at(l1_block).await.unwrap().is_empty());
    let nobody = address!("00000000000000000000000000000000000b0b0b");
    assert!(node.rpc.get_code_at(nobody).await.unwrap().is_empty());
    assert_eq!(node.rpc.get_balance(nobody).await.unwrap(), U256::ZERO);
    // Block tags past the head are refused with geth's wording, not answered with the head.
    let error = node.call("eth_getBalance", json!([alice, "0x10"])).await.unwrap_err();
    assert_eq!(error.code, -32000, "{error:?}");
}

#[tokio::test]
async fn a_raw_transfer_is_pooled_mined_and_receipted_with_exact_balances() {
    let node = Node::start().await;
    let (alice, bob) = (dev(0), dev(1).address());
    let before = node.rpc.get_balance(bob).await.unwrap();
    let sender_before = node.rpc.get_balance(alice.address()).await.unwrap();
    let value = U256::from(1_234_567u64);
    let raw = node.sign(&alice, TxKind::Call(bob), value, Bytes::new(), None).await;
    let hash = node.send(raw).await.unwrap();
    // Pending: the pool answers the transaction and the pending nonce.
    let pending: Value = node.call("eth_getTransactionByHash", json!([hash])).await.unwrap();
    assert_eq!(pending["blockNumber"], Value::Null);
    assert_eq!(node.nonce(alice.address()).await, 1);
    assert_eq!(node.mine().await, 1);
    let receipt = node.receipt(hash).await;
    assert!(receipt.status());
    assert_eq!(receipt.block_number, Some(1));
    assert_eq!(receipt.gas_used, 21_000);
    assert_eq!(node.rpc.get_balance(bob).await.unwrap(), before + value);
    // The sender paid the value, L2 gas at the effective price, and the L1 data fee op-revm charged.
    let l1_fee: U256 =
        serde_json::from_value(node.call("eth_getTransactionReceipt", json!([hash])).await.unwrap()["l1Fee"].clone())
            .unwrap();
    let spent = U256::from(receipt.gas_used as u128 * receipt.effective_gas_price) + value + l1_fee;
    assert_eq!(node.rpc.get_balance(alice.address()).await.unwrap(), sender_before - spent);
}

#[tokio::test]
async fn refused_transactions_get_geths_codes_and_messages() {
    let node = Node::start().await;
    let alice = dev(2);
    let bob = TxKind::Call(dev(3).address());

    // Bytes that are not a transaction: geth's -32000 with the decoding failure.
    let error = node.send(bytes!("c0ffee")).await.unwrap_err();
    assert_eq!(error.code, -32000, "{error:?}");
    assert!(error.message.starts_with("transaction decoding failed"), "{error:?}");
    // A parameter that is not hex at all is an invalid-params error.
    let error = node.call("eth_sendRawTransaction", json!(["not hex"])).await.unwrap_err();
    assert_eq!(error.code, -32602, "{error:?}");
    // Unknown method: -32601.
    let error = node.call("eth_doesNotExist", json!([])).await.unwrap_err();
    assert_eq!(error.code, -32601, "{error:?}");

    // Wrong chain id.
    let raw = sign_1559(&alice, 1, 0, bob, U256::from(1), Bytes::new(), 2_000_000_000);
    let error = node.send(raw).await.unwrap_err();
    assert_eq!((error.code, error.message.as_ref()), (-32000, "invalid chain id for signer: have 1 want 2977"));

    // A pre-EIP-155 legacy transaction is refused like geth does by default.
    let mut legacy = TxLegacy {
        chain_id: None,
        nonce: 0,
        gas_price: 2_000_000_000,
        gas_limit: 21_000,
        to: bob,
        value: U256::from(1),
        input: Bytes::new(),
    };
    let signature = alice.sign_transaction_sync(&mut legacy).unwrap();
    let raw: Bytes = op_alloy::consensus::OpTxEnvelope::from(legacy.into_signed(signature)).encoded_2718().into();
    assert_eq!(node.send(raw).await.unwrap_err().code, -32000);

    // Nonce too low, after one transaction is mined.
    let first = node.sign(&alice, bob, U256::from(1), Bytes::new(), Some(0)).await;
    node.send(first.clone()).await.unwrap();
    node.mine().await;
    let error = node.send(first).await.unwrap_err();
    assert_eq!((error.code, error.message.as_ref()), (-32000, "nonce too low: next nonce 1, tx nonce 0"));

    // An underpriced replacement keeps the original in the pool.
    let original = sign_1559(&alice, 2977, 1, bob, U256::from(1), Bytes::new(), 2_000_000_000);
    let original_hash = node.send(original).await.unwrap();
    let cheaper = sign_1559(&alice, 2977, 1, bob, U256::from(2), Bytes::new(), 2_000_000_001);
    let error = node.send(cheaper).await.unwrap_err();
    assert_eq!((error.code, error.message.as_ref()), (-32000, "replacement transaction underpriced"));
    let pooled: Value = node.call("eth_getTransactionByHash", json!([original_hash])).await.unwrap();
    assert_eq!(pooled["hash"], json!(original_hash));

    // More value than the balance.
    let poor = PrivateKeySigner::from_bytes(&b256!("00000000000000000000000000000000000000000000000000000000000000aa"))
        .unwrap();
    let raw = sign_1559(&poor, 2977, 0, bob, U256::from(1), Bytes::new(), 2_000_000_000);
    let error = node.send(raw).await.unwrap_err();
    assert_eq!(error.code, -32000);
    assert!(error.message.starts_with("insufficient funds for gas * price + value"), "{error:?}");
}

#[tokio::test]
async fn call_and_estimate_execute_against_the_head() {
    let node = Node::start().await;
    let alice = dev(4);
    // A creation call returns the runtime code without deploying anything.
    let runtime =
        node.call("eth_call", json!([{ "from": alice.address(), "data": FORTY_TWO_INIT }, "latest"])).await.unwrap();
    assert_eq!(runtime, json!("0x602a60005260206000f3"));
    let hash = node.send(node.sign(&alice, TxKind::Create, U256::ZERO, FORTY_TWO_INIT, None).await).await.unwrap();
    node.mine().await;
    let contract = node.receipt(hash).await.contract_address.unwrap();
    let answer = node.call("eth_call", json!([{ "to": contract }, "latest"])).await.unwrap();
    assert_eq!(answer, json!(format!("0x{:064x}", 42)));
    // At block 0 the contract did not exist yet.
    assert_eq!(node.call("eth_call", json!([{ "to": contract }, "0x0"])).await.unwrap(), json!("0x"));

    // A revert is code 3 with the revert data, as geth and reth answer it.
    let error = node.call("eth_call", json!([{ "data": "0x60006000fd" }, "latest"])).await.unwrap_err();
    assert_eq!((error.code, error.message.as_ref()), (3, "execution reverted"));
    let error = node.call("eth_estimateGas", json!([{ "data": "0x60006000fd" }])).await.unwrap_err();
    assert_eq!(error.code, 3, "{error:?}");

    // A plain transfer estimates at exactly 21,000; a call to the contract at more.
    let transfer = json!([{ "from": alice.address(), "to": dev(5).address(), "value": "0x1" }]);
    assert_eq!(node.call("eth_estimateGas", transfer).await.unwrap(), json!("0x5208"));
    let estimate: U64 =
        serde_json::from_value(node.call("eth_estimateGas", json!([{ "to": contract }])).await.unwrap()).unwrap();
    assert!(estimate.to::<u64>() > 21_000);
}

#[tokio::test]
async fn a_transaction_receipt_equals_its_entry_in_the_block_receipts() {
    // eth_getTransactionReceipt converts only the asked transaction: its gas used and the block-wide
    // positions of its logs must still be the ones the whole block's receipts give.
    let node = Node::start().await;
    let alice = dev(7);
    let hash = node.send(node.sign(&alice, TxKind::Create, U256::ZERO, LOGGER_INIT, None).await).await.unwrap();
    node.mine().await;
    let logger = node.receipt(hash).await.contract_address.unwrap();
    let mut hashes = Vec::new();
    for i in 0..6u64 {
        let to = if i % 2 == 0 { TxKind::Call(logger) } else { TxKind::Call(dev(8).address()) };
        hashes.push(node.send(node.sign(&alice, to, U256::from(i), Bytes::new(), None).await).await.unwrap());
    }
    let number = node.mine().await;
    let block_receipts = node.call("eth_getBlockReceipts", json!([format!("{number:#x}")])).await.unwrap();
    let block_receipts = block_receipts.as_array().unwrap();
    assert_eq!(block_receipts.len(), 1 + hashes.len(), "the L1-attributes deposit and the six");
    for (i, hash) in hashes.iter().enumerate() {
        let one = node.call("eth_getTransactionReceipt", json!([hash])).await.unwrap();
        assert_eq!(one, block_receipts[1 + i], "receipt {i}");
    }
    let last = node.call("eth_getTransactionReceipt", json!([hashes[4]])).await.unwrap();
    assert_eq!(last["logs"][0]["logIndex"], json!("0x2"), "the third logging call's log is the block's third");
}

#[tokio::test]
async fn logs_and_filters_follow_new_blocks() {
    let node = Node::start().await;
    let alice = dev(6);
    let hash = node.send(node.sign(&alice, TxKind::Create, U256::ZERO, LOGGER_INIT, None).await).await.unwrap();
    node.mine().await;
    let logger = node.receipt(hash).await.contract_address.unwrap();

    let log_filter: U256 = serde_json::from_value(
        node.call("eth_newFilter", json!([{ "address": logger, "fromBlock": "latest" }])).await.unwrap(),
    )
    .unwrap();
    let block_filter: U256 = serde_json::from_value(node.call("eth_newBlockFilter", json!([])).await.unwrap()).unwrap();
    assert_eq!(node.call("eth_getFilterChanges", json!([log_filter])).await.unwrap(), json!([]));

    let call = node.send(node.sign(&alice, TxKind::Call(logger), U256::ZERO, Bytes::new(), None).await).await.unwrap();
    let number = node.mine().await;
    let changes: Vec<Log> =
        serde_json::from_value(node.call("eth_getFilterChanges", json!([log_filter])).await.unwrap()).unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!((changes[0].address(), changes[0].topics()), (logger, &[TOPIC_ONE][..]));
    assert_eq!((changes[0].block_number, changes[0].transaction_hash), (Some(number), Some(call)));
    // A filter's changes are delivered once.
    assert_eq!(node.call("eth_getFilterChanges", json!([log_filter])).await.unwrap(), json!([]));
    let blocks: Vec<B256> =
        serde_json::from_value(node.call("eth_getFilterChanges", json!([block_filter])).await.unwrap()).unwrap();
    let block = node.rpc.get_block_by_number(number.into()).await.unwrap().unwrap();
    assert_eq!(blocks, vec![block.header.hash]);

    // eth_getLogs by range and by block hash agree; other addresses and topics match nothing.
    let by_range = node.rpc.get_logs(&Filter::new().address(logger).from_block(0)).await.unwrap();
    let by_hash = node.rpc.get_logs(&Filter::new().address(logger).at_block_hash(block.header.hash)).await.unwrap();
    assert_eq!(by_range, by_hash);
    assert_eq!(by_range.len(), 1);
    let other_topic = Filter::new().address(logger).from_block(0).event_signature(B256::repeat_byte(2));
    assert!(node.rpc.get_logs(&other_topic).await.unwrap().is_empty());

    // Uninstalled filters are gone; unknown ones are an error, like geth's "filter not found".
    assert_eq!(node.call("eth_uninstallFilter", json!([log_filter])).await.unwrap(), json!(true));
    let error = node.call("eth_getFilterChanges", json!([log_filter])).await.unwrap_err();
    assert_eq!((error.code, error.message.as_ref()), (-32000, "filter not found"));
}

#[tokio::test]
async fn a_log_range_wider_than_the_limit_is_refused() {
    let node = Node::start_with(|config| config.max_logs_range = 2).await;
    for _ in 0..4 {
        node.mine().await;
    }
    let error = node.call("eth_getLogs", json!([{ "fromBlock": "0x0", "toBlock": "0x4" }])).await.unwrap_err();
    assert_eq!(error.code, -32005, "{error:?}");
    // Two blocks is the widest range allowed.
    assert_eq!(node.call("eth_getLogs", json!([{ "fromBlock": "0x3", "toBlock": "0x4" }])).await.unwrap(), json!([]));
}

#[tokio::test]
async fn health_reports_the_node_tasks() {
    let mut tasks = bai_runtime::TaskManager::new();
    let health = tasks.health();
    let node = Node::start_with(|config| config.health = Some(health)).await;
    let (fail, failed) = tokio::sync::oneshot::channel::<()>();
    tasks.spawn_critical("batcher", async move {
        let _ = failed.await;
        Err::<(), _>(std::io::Error::other("disk full"))
    });
    let report = node.call("bai_health", json!([])).await.unwrap();
    // Until the task fails the node is healthy; after it, bai_health says which task and why.
    assert_eq!(report["healthy"], json!(true), "{report}");
    assert_eq!(report["tasks"][0]["state"], json!("running"), "{report}");
    let _ = fail.send(());
    let exit = tasks.run_until_shutdown(std::future::pending(), Duration::from_secs(1)).await.unwrap_err();
    assert_eq!(exit.task, "batcher");
    let report_after = node.call("bai_health", json!([])).await.unwrap();
    assert_eq!(
        report_after,
        json!({ "healthy": false, "tasks": [{ "name": "batcher", "critical": true, "state": "failed", "error": "disk full", "restarts": 0 }] })
    );
    assert_eq!(report["tasks"][0]["name"], json!("batcher"), "{report}");
    // GET /health answers the same report (for load balancers and orchestrators).
    let body = http_get(node.addr, "/health").await;
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), report_after);
}

/// A bare HTTP/1.1 GET; returns the body.
async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    body.to_string()
}

/// With an address or topic filter the log index answers ranges wider than the bloom-scan cap (it
/// reads only the blocks holding a match), up to as many matching blocks as the cap; without one the
/// cap still applies.
#[tokio::test]
async fn the_log_index_answers_wide_filtered_ranges_and_stays_bounded() {
    let node = Node::start_with(|config| config.max_logs_range = 3).await;
    let alice = dev(6);
    let hash = node.send(node.sign(&alice, TxKind::Create, U256::ZERO, LOGGER_INIT, None).await).await.unwrap();
    node.mine().await;
    let logger = node.receipt(hash).await.contract_address.unwrap();
    let mut emitted = Vec::new();
    for _ in 0..3 {
        let call =
            node.send(node.sign(&alice, TxKind::Call(logger), U256::ZERO, Bytes::new(), None).await).await.unwrap();
        emitted.push((node.mine().await, call));
        for _ in 0..3 {
            node.mine().await; // empty blocks between: the range is wider than the cap
        }
    }
    let head = node.mine().await;
    assert!(head > 10);

    let wide = json!([{ "address": logger, "fromBlock": "0x0", "toBlock": "latest" }]);
    let logs: Vec<Log> = serde_json::from_value(node.call("eth_getLogs", wide).await.unwrap()).unwrap();
    let found: Vec<(u64, B256)> = logs.iter().map(|l| (l.block_number.unwrap(), l.transaction_hash.unwrap())).collect();
    assert_eq!(found, emitted, "every log of the address, in order, over {head} blocks");
    let by_topic = json!([{ "topics": [TOPIC_ONE], "fromBlock": "0x0", "toBlock": "latest" }]);
    let topic_logs: Vec<Log> = serde_json::from_value(node.call("eth_getLogs", by_topic).await.unwrap()).unwrap();
    assert_eq!(topic_logs, logs);
    let nobody = json!([{ "address": Address::repeat_byte(0x99), "fromBlock": "0x0", "toBlock": "latest" }]);
    assert_eq!(node.call("eth_getLogs", nobody).await.unwrap(), json!([]));

    // No address or topic: a bloom scan, under the range cap.
    let error = node.call("eth_getLogs", json!([{ "fromBlock": "0x0", "toBlock": "latest" }])).await.unwrap_err();
    assert_eq!((error.code, error.message.as_ref()), (-32005, "query exceeds max block range 3"));

    // A fourth block with the address's logs: more matching blocks than the cap.
    let call = node.send(node.sign(&alice, TxKind::Call(logger), U256::ZERO, Bytes::new(), None).await).await.unwrap();
    node.mine().await;
    node.receipt(call).await;
    let wide = json!([{ "address": logger, "fromBlock": "0x0", "toBlock": "latest" }]);
    let error = node.call("eth_getLogs", wide).await.unwrap_err();
    assert_eq!(error.code, -32005, "{error:?}");
    assert_eq!(error.message, "query matches logs in more than 3 blocks; narrow the range or the filter");
}
