//! `bai_prove` and `bai_zkKey` on a real inference server serving the shipped topic classifier: the
//! proof it returns verifies under the key it publishes (and only for the scores it returned), and a
//! non-tensor request or a wrong input is a clear JSON-RPC error.

use alloy_primitives::{B256, Bytes};
use bai_inference::{Catalog, Engine, EngineConfig, server};
use jsonrpsee::{core::client::ClientT, http_client::HttpClientBuilder, rpc_params};
use serde_json::Value;
use std::{path::Path, sync::Arc};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_proves_classifications_that_verify_under_its_published_key() {
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models");
    let engine = Arc::new(Engine::load(&Catalog::discover(&models), EngineConfig::default()).unwrap());
    let classifier = engine.models().into_iter().find(|m| m.name == "topic-classifier").expect("the classifier").id;
    let (addr, _handle) = server::serve(engine, "127.0.0.1:0".parse().unwrap(), None).await.unwrap();
    let client = HttpClientBuilder::default().build(format!("http://{addr}")).unwrap();

    let features: Vec<i32> = (0..384).map(|i| ((i * 7919) % 100_001) - 50_000).collect();
    let proven: Value = client.request("bai_prove", rpc_params![classifier, features.clone()]).await.unwrap();
    let key: Value = client.request("bai_zkKey", rpc_params![classifier]).await.unwrap();
    let classified: Value = client.request("bai_classify", rpc_params![classifier, features.clone()]).await.unwrap();
    assert_eq!(proven["scores"], classified["scores"], "the proven scores are the served ones");
    assert_eq!(proven["label"], classified["label"]);
    assert_eq!(proven["commitment"], key["commitment"]);

    let key_bytes: Bytes = serde_json::from_value(key["key"].clone()).unwrap();
    let key = bai_zk::VerifyingKey::from_bytes(&key_bytes).unwrap();
    let commitment: B256 = serde_json::from_value(proven["commitment"].clone()).unwrap();
    assert_eq!(B256::from(key.commitment()), commitment);
    let scores: Vec<i32> = serde_json::from_value(proven["scores"].clone()).unwrap();
    let proof: Bytes = serde_json::from_value(proven["proof"].clone()).unwrap();
    let setup = bai_zk::Setup::new();
    bai_zk::verify(&setup, &key, &features, &scores, &proof).unwrap();
    let mut other = scores.clone();
    other[0] -= 1;
    assert!(bai_zk::verify(&setup, &key, &features, &other, &proof).is_err());

    // Wrong length and an unknown model: JSON-RPC errors, the server keeps serving.
    let short = client.request::<Value, _>("bai_prove", rpc_params![classifier, vec![1i32; 3]]).await;
    assert!(short.is_err());
    let unknown = client.request::<Value, _>("bai_zkKey", rpc_params![B256::repeat_byte(9)]).await;
    assert!(unknown.is_err());
    let again: Value = client.request("bai_prove", rpc_params![classifier, features]).await.unwrap();
    assert_eq!(again["scores"], proven["scores"]);
}
