//! The transaction manager against a real L1 (anvil, mining by hand): a transaction of ours stuck
//! underpriced at the confirmed nonce is replaced, not queued behind; one dropped from the mempool
//! is sent again.
//!
//! Needs anvil (`make setup` puts it in .tools/bin); `make test` always has it.

use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    primitives::{Address, B256, U256, address},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
};
use bai_txmgr::{TxManager, TxManagerConfig};
use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// anvil's first dev account.
const KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const FIRST: Address = address!("0x00000000000000000000000000000000000f1257");
const SECOND: Address = address!("0x000000000000000000000000000000000005ec0d");

struct Anvil(Child);
impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An anvil that mines only when asked, and a provider signing with [`KEY`].
async fn anvil() -> (Anvil, DynProvider, PrivateKeySigner) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let tool = root.join(".tools/bin/anvil");
    assert!(tool.exists(), "anvil not found at {} (run `make setup`)", tool.display());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(tool)
        .args(["--port", &port.to_string(), "--no-mining", "--silent"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let signer: PrivateKeySigner = KEY.parse().unwrap();
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer.clone()))
        .connect_http(format!("http://127.0.0.1:{port}").parse().unwrap())
        .erased();
    let started = Instant::now();
    while provider.get_block_number().await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "anvil did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (Anvil(child), provider, signer)
}

fn manager(provider: &DynProvider, from: Address) -> TxManager {
    let config = TxManagerConfig {
        resubmit_after: Duration::from_secs(2),
        max_attempts: 5,
        poll_interval: Duration::from_millis(100),
    };
    TxManager::new(provider.clone(), from, config, "test")
}

fn transfer(to: Address, wei: u64) -> TransactionRequest {
    TransactionRequest::default().with_to(to).with_value(U256::from(wei))
}

async fn pending_hashes(provider: &DynProvider) -> Vec<B256> {
    let pool: serde_json::Value = provider.raw_request("txpool_content".into(), ()).await.unwrap();
    let mut hashes = Vec::new();
    for by_nonce in pool["pending"].as_object().into_iter().flat_map(|accounts| accounts.values()) {
        for tx in by_nonce.as_object().into_iter().flat_map(|txs| txs.values()) {
            hashes.push(tx["hash"].as_str().unwrap().parse().unwrap());
        }
    }
    hashes
}

async fn mine(provider: &DynProvider) {
    let _: serde_json::Value = provider.raw_request("evm_mine".into(), ()).await.unwrap();
}

/// A transfer of ours waits in the mempool at nonce 0 with the lowest fees the node takes (sent
/// before a restart, say). The manager sends at the confirmed nonce with current fees, so its
/// transaction replaces the stuck one instead of queueing behind it at nonce 1.
#[tokio::test]
async fn a_stuck_transaction_at_the_confirmed_nonce_is_replaced() {
    let (_anvil, provider, signer) = anvil().await;
    let base_fee =
        provider.get_block_by_number(0.into()).await.unwrap().unwrap().header.base_fee_per_gas.unwrap() as u128;
    let stuck = transfer(FIRST, 1)
        .with_nonce(0)
        .with_gas_limit(21_000)
        .with_max_fee_per_gas(base_fee)
        .with_max_priority_fee_per_gas(1);
    let stuck = *provider.send_transaction(stuck).await.unwrap().tx_hash();
    assert_eq!(pending_hashes(&provider).await, vec![stuck]);

    let txs = manager(&provider, signer.address());
    let sending = tokio::spawn(async move { txs.send(transfer(SECOND, 2)).await });
    // Mine once the replacement is in the pool (the stuck one gone from it).
    let started = Instant::now();
    while pending_hashes(&provider).await.contains(&stuck) {
        assert!(started.elapsed() < Duration::from_secs(20), "the stuck transaction was never replaced");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    mine(&provider).await;
    let included = tokio::time::timeout(Duration::from_secs(30), sending).await.unwrap().unwrap().unwrap();
    let sent = provider.get_transaction_by_hash(included.tx).await.unwrap().unwrap();
    assert_eq!(alloy::consensus::Transaction::nonce(&sent), 0, "sent at the confirmed nonce, not queued behind");
    assert_eq!(provider.get_transaction_receipt(stuck).await.unwrap(), None, "the stuck transaction was replaced");
    assert_eq!(provider.get_balance(FIRST).await.unwrap(), U256::ZERO);
    assert_eq!(provider.get_balance(SECOND).await.unwrap(), U256::from(2));
}

/// The L1 node drops our transaction from its mempool: the manager does not wait for it forever
/// but signs it again (bumped) after `resubmit_after`, and that one lands.
#[tokio::test]
async fn a_transaction_dropped_from_the_mempool_is_sent_again() {
    let (_anvil, provider, signer) = anvil().await;
    let txs = manager(&provider, signer.address());
    let sending = tokio::spawn(async move { txs.send(transfer(SECOND, 3)).await });
    let started = Instant::now();
    let dropped = loop {
        if let Some(hash) = pending_hashes(&provider).await.first() {
            break *hash;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "nothing was sent");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let _: serde_json::Value = provider.raw_request("anvil_dropTransaction".into(), (dropped,)).await.unwrap();
    assert!(pending_hashes(&provider).await.is_empty());
    // The resend arrives after `resubmit_after`; mine until it lands.
    let included = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if sending.is_finished() {
                return sending.await.unwrap();
            }
            if !pending_hashes(&provider).await.is_empty() {
                mine(&provider).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the dropped transaction was never sent again")
    .unwrap();
    assert_ne!(included.tx, dropped, "a new attempt landed");
    assert_eq!(provider.get_transaction_receipt(dropped).await.unwrap(), None);
    assert_eq!(provider.get_balance(SECOND).await.unwrap(), U256::from(3));
}
