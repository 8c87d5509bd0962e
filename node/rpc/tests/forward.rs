//! A replica's transaction forwarding: `eth_sendRawTransaction` and its sync variant sent to a replica
//! reach the sequencer, and the sequencer's answers — hashes, receipts and refusals with geth's codes and
//! messages — come back unchanged; a sequencer that cannot be reached gives a clear error.

mod common;

use alloy::primitives::{Bytes, TxKind, U256, bytes};
use common::{Node, dev, sign_1559};
use serde_json::json;

/// A replica that forwards its transactions to `sequencer`.
async fn replica_of(sequencer: &Node) -> Node {
    let url = format!("http://{}", sequencer.addr);
    Node::start_with(move |config| config.forward_transactions_to = Some(url)).await
}

#[tokio::test]
async fn a_replica_forwards_transactions_and_passes_the_sequencers_answers_on_unchanged() {
    let sequencer = Node::start().await;
    let replica = replica_of(&sequencer).await;
    let alice = dev(2);
    let bob = TxKind::Call(dev(3).address());

    // Accepted: the hash comes back, the transaction is in the sequencer's pool (not the replica's) and is
    // mined by the sequencer.
    let raw = sign_1559(&alice, 2977, 0, bob, U256::from(7), Bytes::new(), 2_000_000_000);
    let hash = replica.send(raw.clone()).await.unwrap();
    let pooled = sequencer.call("eth_getTransactionByHash", json!([hash])).await.unwrap();
    assert_eq!(pooled["hash"], json!(hash), "in the sequencer's pool");
    assert_eq!(
        replica.call("eth_getTransactionByHash", json!([hash])).await.unwrap(),
        json!(null),
        "not pooled on the replica"
    );
    sequencer.mine().await;
    assert!(sequencer.receipt(hash).await.status());

    // Refused: every refusal is the sequencer's own, byte for byte.
    let refusals = [
        bytes!("c0ffee"),                                                         // not a transaction
        sign_1559(&alice, 1, 1, bob, U256::from(1), Bytes::new(), 2_000_000_000), // wrong chain id
        raw,                                                                      // nonce too low now
        sign_1559(&alice, 2977, 1, bob, U256::from(1), Bytes::new(), 1),          // fee below the base fee
    ];
    for raw in refusals {
        let direct = sequencer.send(raw.clone()).await.unwrap_err();
        let forwarded = replica.send(raw).await.unwrap_err();
        assert_eq!((forwarded.code, &forwarded.message), (direct.code, &direct.message));
    }
    // Malformed parameters are refused by the sequencer too, with the same code.
    let direct = sequencer.call("eth_sendRawTransaction", json!(["not hex"])).await.unwrap_err();
    let forwarded = replica.call("eth_sendRawTransaction", json!(["not hex"])).await.unwrap_err();
    assert_eq!((forwarded.code, forwarded.message), (direct.code, direct.message));

    // The sync variant returns the sequencer's receipt (a second client mines meanwhile).
    let raw = sign_1559(&alice, 2977, 1, bob, U256::from(9), Bytes::new(), 2_000_000_000);
    let sync = replica.call("eth_sendRawTransactionSync", json!([raw, 5_000]));
    let mine = async {
        // Mine once the transaction reached the sequencer's pool.
        for _ in 0..100 {
            if sequencer.nonce(alice.address()).await == 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        sequencer.mine().await
    };
    let (receipt, mined) = tokio::join!(sync, mine);
    let receipt = receipt.unwrap();
    assert_eq!(receipt["status"], json!("0x1"));
    assert_eq!(receipt["blockNumber"], json!(format!("{mined:#x}")));
}

#[tokio::test]
async fn a_replica_whose_sequencer_is_down_says_so() {
    // A port nothing listens on: bind one, then drop it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let replica = Node::start_with({
        let url = url.clone();
        move |config| config.forward_transactions_to = Some(url)
    })
    .await;
    let raw = sign_1559(&dev(2), 2977, 0, TxKind::Call(dev(3).address()), U256::from(1), Bytes::new(), 2_000_000_000);
    let error = replica.send(raw).await.unwrap_err();
    assert_eq!(error.code, -32000, "{error:?}");
    assert!(error.message.starts_with(&format!("the sequencer at {url} did not take the transaction")), "{error:?}");
}

/// A replica of a sequencer cluster (`--follow a,b`) sends each transaction to every member, so a standby's
/// pool holds it too and a failover does not lose it; one member down changes nothing for the caller; a
/// refusal from the members that answered is passed on unchanged.
#[tokio::test]
async fn a_replica_of_a_cluster_forwards_to_every_member_and_survives_one_down() {
    let (leader, standby) = (Node::start().await, Node::start().await);
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let urls = format!("http://127.0.0.1:{dead},http://{},http://{}", leader.addr, standby.addr);
    let replica = Node::start_with(move |config| config.forward_transactions_to = Some(urls)).await;
    let alice = dev(4);
    let raw = sign_1559(&alice, 2977, 0, TxKind::Call(dev(5).address()), U256::from(3), Bytes::new(), 2_000_000_000);
    let hash = replica.send(raw.clone()).await.unwrap();
    // The first answer may come before the other member's send finished: give it a moment.
    for member in [&leader, &standby] {
        let mut pooled = serde_json::Value::Null;
        for _ in 0..50 {
            pooled = member.call("eth_getTransactionByHash", json!([hash])).await.unwrap();
            if !pooled.is_null() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(pooled["hash"], json!(hash), "in every member's pool");
    }
    // Mined by one member: the others refuse a replay with their own geth error, passed on unchanged.
    leader.mine().await;
    standby.mine().await;
    let direct = leader.send(raw.clone()).await.unwrap_err();
    let forwarded = replica.send(raw).await.unwrap_err();
    assert_eq!((forwarded.code, forwarded.message.as_str()), (direct.code, direct.message.as_str()));
}
