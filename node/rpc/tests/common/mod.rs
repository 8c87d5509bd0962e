//! The in-process node the RPC tests share: a sequencer over a temporary RocksDB store, the real
//! jsonrpsee server on a free port, and alloy's HTTP client — the same path a wallet takes, without
//! a `bai` process.

#![allow(dead_code)] // each test file uses part of it

use alloy::{
    consensus::{SignableTransaction, TxEip1559},
    eips::Encodable2718,
    network::TxSignerSync,
    primitives::{Address, B256, Bytes, TxKind, U256, b256, bytes},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::TransactionReceipt,
    signers::local::PrivateKeySigner,
    transports::RpcError as TransportRpcError,
};
use bai_chainspec::{ChainSpec, dev::dev_accounts};
use bai_pool::{PoolConfig, TxPool};
use bai_rpc::{RpcApis, RpcConfig};
use bai_sequencer::{Sequencer, SequencerConfig};
use bai_storage::{Store, StoreConfig};
use serde_json::{Value, json};
use std::{sync::Arc, time::Duration};

/// A JSON-RPC error object as a wallet sees it.
#[derive(Debug)]
pub(crate) struct ErrorPayload {
    pub(crate) code: i64,
    pub(crate) message: String,
}

/// A node with RPC: the sequencer is driven by `evm_mine`, never by a timer.
pub(crate) struct Node {
    pub(crate) rpc: DynProvider,
    pub(crate) addr: std::net::SocketAddr,
    _dir: tempfile::TempDir,
    _handle: jsonrpsee::server::ServerHandle,
}

impl Node {
    pub(crate) async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub(crate) async fn start_with(configure: impl FnOnce(&mut RpcConfig)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(StoreConfig::new(dir.path().join("db"))).unwrap();
        let pool = Arc::new(TxPool::new(PoolConfig::default()));
        let sequencer: Arc<Sequencer> =
            Sequencer::new(Arc::new(ChainSpec::dev()), store, pool, SequencerConfig::new(Duration::from_secs(3600)))
                .unwrap();
        let mut config = RpcConfig::new("127.0.0.1:0".parse().unwrap());
        // Every namespace, as a `--dev` node serves (the tests mine with evm_mine); a test narrows it.
        config.apis = RpcApis::all();
        configure(&mut config);
        let (addr, handle) = bai_rpc::start(config, sequencer.clone()).await.unwrap();
        let rpc = ProviderBuilder::new().connect_http(format!("http://{addr}").parse().unwrap()).erased();
        Self { rpc, addr, _dir: dir, _handle: handle }
    }

    pub(crate) async fn call(&self, method: &'static str, params: Value) -> Result<Value, ErrorPayload> {
        match self.rpc.raw_request::<_, Value>(method.into(), params).await {
            Ok(value) => Ok(value),
            Err(TransportRpcError::ErrorResp(payload)) => {
                Err(ErrorPayload { code: payload.code, message: payload.message.to_string() })
            }
            Err(other) => panic!("{method}: transport failure {other}"),
        }
    }

    pub(crate) async fn mine(&self) -> u64 {
        self.call("evm_mine", json!([])).await.unwrap();
        self.rpc.get_block_number().await.unwrap()
    }

    pub(crate) async fn nonce(&self, address: Address) -> u64 {
        self.rpc.get_transaction_count(address).pending().await.unwrap()
    }

    /// Signs an EIP-1559 transaction from `signer` at its next nonce (or `nonce`).
    pub(crate) async fn sign(
        &self,
        signer: &PrivateKeySigner,
        to: TxKind,
        value: U256,
        input: Bytes,
        nonce: Option<u64>,
    ) -> Bytes {
        let nonce = match nonce {
            Some(n) => n,
            None => self.nonce(signer.address()).await,
        };
        sign_1559(signer, 2977, nonce, to, value, input, 2_000_000_000)
    }

    pub(crate) async fn send(&self, raw: Bytes) -> Result<B256, ErrorPayload> {
        self.call("eth_sendRawTransaction", json!([raw])).await.map(|hash| serde_json::from_value(hash).unwrap())
    }

    pub(crate) async fn receipt(&self, hash: B256) -> TransactionReceipt {
        self.rpc.get_transaction_receipt(hash).await.unwrap().expect("receipt")
    }
}

pub(crate) fn sign_1559(
    signer: &PrivateKeySigner,
    chain_id: u64,
    nonce: u64,
    to: TxKind,
    value: U256,
    input: Bytes,
    max_fee_per_gas: u128,
) -> Bytes {
    let mut tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: 300_000,
        max_fee_per_gas,
        max_priority_fee_per_gas: 1_000_000,
        to,
        value,
        input,
        ..Default::default()
    };
    let signature = signer.sign_transaction_sync(&mut tx).unwrap();
    op_alloy::consensus::OpTxEnvelope::from(tx.into_signed(signature)).encoded_2718().into()
}

pub(crate) fn dev(index: usize) -> PrivateKeySigner {
    dev_accounts()[index].signer()
}

/// Runtime code `LOG1(0, 0, topic 1); STOP`, behind init code that returns it.
pub(crate) const LOGGER_INIT: Bytes = bytes!("6008600c60003960086000f3" "600160006000a100");
/// Runtime code that returns 42 as one word.
pub(crate) const FORTY_TWO_INIT: Bytes = bytes!("600a600c600039600a6000f3" "602a60005260206000f3");
pub(crate) const TOPIC_ONE: B256 = b256!("0000000000000000000000000000000000000000000000000000000000000001");
