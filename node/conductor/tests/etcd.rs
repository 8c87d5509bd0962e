//! The conductor against a real etcd (Debian's `etcd-server`, installed by `make setup`): election,
//! the commit rule (publish before commit) and the fence that keeps a leader that lost its lease from
//! ever extending the chain.

use alloy::{
    consensus::{SignableTransaction, TxEip1559},
    eips::Encodable2718,
    network::TxSignerSync,
    primitives::{Address, TxKind, U256},
    signers::local::PrivateKeySigner,
};
use bai_chainspec::{ChainSpec, dev::dev_accounts};
use bai_conductor::{Conductor, ConductorConfig};
use bai_pool::{PoolConfig, TxPool};
use bai_sequencer::{Derived, GateError, PayloadAttributes, Sequencer, SequencerConfig, SequencerError};
use bai_storage::{Store, StoreConfig};
use op_alloy::consensus::OpTxEnvelope;
use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::watch;

/// One etcd member on free local ports, killed on drop. Short election timeout so a 1 s lease is valid.
struct Etcd {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Etcd {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (client, peer) = (free_port(), free_port());
        let url = format!("http://127.0.0.1:{client}");
        let peer_url = format!("http://127.0.0.1:{peer}");
        let child = Command::new("etcd")
            .args(["--name", "t", "--data-dir"])
            .arg(dir.path())
            .args(["--listen-client-urls", &url, "--advertise-client-urls", &url])
            .args(["--listen-peer-urls", &peer_url, "--initial-advertise-peer-urls", &peer_url])
            .args(["--initial-cluster", &format!("t={peer_url}")])
            .args(["--heartbeat-interval", "50", "--election-timeout", "500", "--log-level", "error"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("etcd is not installed: run `make setup` (Debian's etcd-server)");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(mut c) = etcd_client::Client::connect([url.as_str()], None).await
                && c.get("probe", None).await.is_ok()
            {
                break;
            }
            assert!(Instant::now() < deadline, "etcd did not come up at {url}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Self { child, url, _dir: dir }
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sequencer(dir: &std::path::Path) -> Arc<Sequencer> {
    let store = Store::open(StoreConfig::new(dir)).unwrap();
    let pool = Arc::new(TxPool::new(PoolConfig::default()));
    Sequencer::new(Arc::new(ChainSpec::dev()), store, pool, SequencerConfig::new(Duration::from_secs(1))).unwrap()
}

async fn member(etcd: &Etcd, id: &str, sequencer: &Arc<Sequencer>) -> Arc<Conductor> {
    member_deriving(etcd, id, sequencer, false).await
}

async fn member_deriving(etcd: &Etcd, id: &str, sequencer: &Arc<Sequencer>, derives_from_l1: bool) -> Arc<Conductor> {
    let conductor = Conductor::connect(ConductorConfig {
        endpoints: vec![etcd.url.clone()],
        id: id.into(),
        rpc_url: format!("http://{id}.invalid:8545"),
        chain_id: sequencer.chain().chain_id,
        lease_ttl: Duration::from_secs(1),
        keep_blocks: 64,
        derives_from_l1,
    })
    .await
    .unwrap();
    sequencer.set_block_gate(conductor.clone()).unwrap();
    conductor
}

/// A transfer of 1 wei from dev account `from` with `nonce`, submitted to `sequencer`'s pool.
fn transfer(sequencer: &Sequencer, from: usize, nonce: u64) {
    let signer = PrivateKeySigner::from_bytes(&dev_accounts()[from].private_key).unwrap();
    let mut tx = TxEip1559 {
        chain_id: sequencer.chain().chain_id,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000,
        to: TxKind::Call(Address::repeat_byte(0x42)),
        value: U256::from(1),
        ..Default::default()
    };
    let signature = signer.sign_transaction_sync(&mut tx).unwrap();
    let raw = OpTxEnvelope::from(tx.into_signed(signature)).encoded_2718();
    sequencer.submit_transaction(raw.into()).unwrap();
}

async fn build(sequencer: &Arc<Sequencer>) -> Result<u64, SequencerError> {
    let seq = sequencer.clone();
    let block = tokio::task::spawn_blocking(move || seq.build_block()).await.unwrap()?;
    Ok(block.block.header.number)
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The attack on the commit rule: leader A is cut off from etcd while it still believes it leads
/// (here its conductor task is stopped, so nothing renews its lease — a paused process or a partition
/// looks the same). Its lease expires, B takes over. A then seals a block: the fence refuses it, A
/// commits nothing, and B's chain — which holds every block A had published, with their receipts —
/// is the only one. Without the token compare in the publish transaction, A's block would be
/// published on top of B's term.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_leader_that_lost_its_lease_cannot_publish_and_the_next_keeps_every_published_block() {
    let etcd = Etcd::start().await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (seq_a, seq_b) = (sequencer(dir_a.path()), sequencer(dir_b.path()));
    let (shutdown_tx, shutdown) = watch::channel(false);

    // A alone: it is elected and builds three blocks with transactions; each is published first.
    let a = member(&etcd, "a", &seq_a).await;
    let run_a = tokio::spawn(a.clone().run(seq_a.clone(), shutdown.clone()));
    wait_until("a leads", || a.status().role == "leader").await;
    let token_a = a.status().fencing_token.unwrap();
    for nonce in 0..3 {
        transfer(&seq_a, 1, nonce);
        build(&seq_a).await.unwrap();
    }
    assert_eq!(seq_a.head().0.number, 3);
    assert_eq!(a.status().published_head, Some((3, seq_a.head().1)));

    // B joins as a standby and imports the published blocks: the same chain, receipts included.
    let b = member(&etcd, "b", &seq_b).await;
    let run_b = tokio::spawn(b.clone().run(seq_b.clone(), shutdown.clone()));
    wait_until("b imported block 3", || seq_b.head().0.number == 3).await;
    assert_eq!(seq_b.head().1, seq_a.head().1);
    // The head's L1 origin comes with the import: on takeover B picks the next origin from it, never an
    // older one (which derivation would drop as an origin going back).
    assert!(seq_a.l1_origin().is_some());
    assert_eq!(seq_b.l1_origin(), seq_a.l1_origin(), "b's head origin is the imported block's");
    assert_eq!(b.status().role, "standby");
    assert_eq!(b.status().leader.map(|l| l.id), Some("a".into()));
    // A standby builds nothing: its gate refuses.
    let refused = build(&seq_b).await.unwrap_err();
    assert!(matches!(refused, SequencerError::Gate { source: GateError::Fenced(_), .. }), "{refused}");

    // A is cut off: nothing renews its lease, but it still believes it leads.
    run_a.abort();
    let _ = run_a.await;
    assert_eq!(a.status().role, "leader");
    let cut_off = Instant::now();
    wait_until("b leads", || b.status().role == "leader").await;
    let takeover = cut_off.elapsed();
    assert!(takeover < Duration::from_secs(3), "takeover took {takeover:?}");
    let token_b = b.status().fencing_token.unwrap();
    assert!(token_b > token_a, "a new term has a higher token: {token_b} > {token_a}");

    // A seals a block on its old term: fenced, nothing committed, and A steps down.
    transfer(&seq_a, 1, 3);
    let fenced = build(&seq_a).await.unwrap_err();
    assert!(matches!(fenced, SequencerError::Gate { number: 4, source: GateError::Fenced(_) }), "{fenced}");
    assert_eq!(seq_a.head().0.number, 3, "the fenced block was not committed");
    assert_eq!(a.status().role, "standby");

    // B extends the chain from the published head: the transaction A could not publish is in B's pool
    // only if it was sent there; B's blocks are the chain.
    transfer(&seq_b, 2, 0);
    assert_eq!(build(&seq_b).await.unwrap(), 4);
    assert_eq!(build(&seq_b).await.unwrap(), 5);
    let block_4 = seq_b.store().block(4).unwrap().unwrap();
    assert_eq!(block_4.transactions.len(), 2, "the L1-info deposit and B's transfer");

    // A rejoins as a standby and follows B's blocks, replacing nothing it had committed.
    let hash_3 = seq_a.head().1;
    let run_a = tokio::spawn(a.clone().run(seq_a.clone(), shutdown.clone()));
    wait_until("a imported block 5", || seq_a.head().0.number == 5).await;
    assert_eq!(seq_a.head().1, seq_b.head().1);
    assert_eq!(seq_a.store().block_hash(3).unwrap(), Some(hash_3));
    assert_eq!(a.status().leader.map(|l| l.id), Some("b".into()));

    shutdown_tx.send(true).unwrap();
    run_a.await.unwrap().unwrap();
    run_b.await.unwrap().unwrap();
}

/// L1 derivation replaces published unsafe blocks (here: block 3 derived without the transfers the
/// leader had put in blocks 3 and 4, as when their batches missed the sequencing window). The leader
/// re-bases the published chain on the derived block (the replaced block 4 leaves etcd) and goes on
/// building on it; a standby that still has the old blocks waits instead of stopping, derives the same
/// block from "L1", then imports the leader's new blocks. Without the re-basing the leader's next
/// block would be fenced (the published head would still be the old block 4).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_block_l1_derivation_replaces_is_republished_and_a_standby_derives_it_then_follows() {
    let etcd = Etcd::start().await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (seq_a, seq_b) = (sequencer(dir_a.path()), sequencer(dir_b.path()));
    let (shutdown_tx, shutdown) = watch::channel(false);
    let a = member_deriving(&etcd, "a", &seq_a, true).await;
    let run_a = tokio::spawn(a.clone().run(seq_a.clone(), shutdown.clone()));
    wait_until("a leads", || a.status().role == "leader").await;
    build(&seq_a).await.unwrap();
    build(&seq_a).await.unwrap();
    transfer(&seq_a, 1, 0);
    build(&seq_a).await.unwrap();
    let origin_3 = seq_a.l1_origin().unwrap();
    transfer(&seq_a, 1, 1);
    assert_eq!(build(&seq_a).await.unwrap(), 4);
    let b = member_deriving(&etcd, "b", &seq_b, true).await;
    let run_b = tokio::spawn(b.clone().run(seq_b.clone(), shutdown.clone()));
    wait_until("b imported block 4", || seq_b.head().0.number == 4).await;
    let old_4 = seq_b.head().1;

    // What L1 decided for block 3: the same origin and time, no transfer.
    let block_3 = seq_a.store().block(3).unwrap().unwrap();
    let attributes = || PayloadAttributes {
        timestamp: block_3.header.timestamp,
        l1: origin_3.clone(),
        deposits: Vec::new(),
        transactions: Vec::new(),
    };
    let derive = |seq: &Arc<Sequencer>| {
        let (seq, attributes) = (seq.clone(), attributes());
        tokio::task::spawn_blocking(move || seq.apply_derived(2, attributes))
    };
    let Derived::Executed { block: derived, rewound } = derive(&seq_a).await.unwrap().unwrap() else {
        panic!("block 3 should have been replaced")
    };
    assert_eq!(rewound, 2);
    assert_eq!(a.status().published_head, Some((3, derived.block.hash)));
    let mut client = etcd_client::Client::connect([etcd.url.as_str()], None).await.unwrap();
    let chain = seq_a.chain().chain_id;
    let stale = client.get(format!("/bai/{chain}/sequencer/blocks/{:020}", 4), None).await.unwrap();
    assert!(stale.kvs().is_empty(), "the replaced block 4 is no longer published");

    // The leader builds on the derived block (its transfers came back to the pool).
    assert_eq!(build(&seq_a).await.unwrap(), 4);
    assert_eq!(build(&seq_a).await.unwrap(), 5);
    assert_eq!(seq_a.store().block(4).unwrap().unwrap().transactions.len(), 3, "L1 info and both transfers");

    // B still has the old blocks 3 and 4 (unsafe): it waits for its own derivation, importing nothing.
    wait_until("b waits for derivation", || b.status().awaiting_derivation).await;
    assert_eq!(seq_b.head().1, old_4);
    let Derived::Executed { block: derived_b, .. } = derive(&seq_b).await.unwrap().unwrap() else {
        panic!("b should replace block 3 too")
    };
    assert_eq!(derived_b.block.hash, derived.block.hash, "every member derives the same block");
    wait_until("b follows the new chain", || seq_b.head().1 == seq_a.head().1).await;
    assert!(!b.status().awaiting_derivation);
    assert_eq!(seq_b.head().0.number, 5);

    shutdown_tx.send(true).unwrap();
    run_a.await.unwrap().unwrap();
    run_b.await.unwrap().unwrap();
}
