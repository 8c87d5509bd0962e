//! `bai-bench`: in-process benchmarks (run by `make bench`, release build).
//!
//! (b) block execution + commit throughput of the sequencer (op-revm, RocksDB, incremental state
//!     root) against raw revm executing the same transactions in memory with no persistence;
//! (d) block build time at 10k, 100k and 1M funded accounts, to show it stays flat;
//! (e) AI inference through the precompile vs the same engine called directly (see `ai.rs`);
//! (f) L1 bytes per transaction after batching: RLP vs zlib vs brotli, and blob fill (see `da.rs`);
//! (g) verifier derivation speed from batches (see `derive.rs`);
//! (h) the cost of withdrawal-proof history: withdrawal-only blocks with and without it;
//! (i) `eth_getLogs` by address: the log index against the bloom scan (see `logs.rs`);
//! (j) the bit-exact reference runtime against the fast path, per model (see `reference.rs`).
//! (k) zero-knowledge proofs of tensor models: prove, verify, sizes, next to plain inference (`zk.rs`).
//! The RPC-level comparisons against anvil live in `testnet/bench/` (a Node load generator).

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod ai;
mod da;
mod derive;
mod logs;
mod reference;
mod zk;

use alloy::{
    consensus::{SignableTransaction, TxEip1559},
    eips::Encodable2718,
    genesis::GenesisAccount,
    network::TxSignerSync,
    primitives::{Address, Bytes, TxKind, U256, keccak256},
    signers::local::PrivateKeySigner,
};
use alloy_evm::Evm;
use bai_chainspec::ChainSpec;
use bai_pool::{
    AccountState, PoolConfig, TxPool,
    validate::{ChainRules, validate_raw},
};
use bai_sequencer::{Sequencer, SequencerConfig};
use bai_storage::{Store, StoreConfig};
use op_alloy::consensus::OpTxEnvelope;
use serde_json::json;
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

/// The node's allocator (see `node/src/main.rs`), so the sequencer and raw revm are measured as the
/// node runs them.
#[cfg(unix)]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const TX_PER_SENDER: u64 = 10;

fn signers(n: usize, salt: u64) -> Vec<PrivateKeySigner> {
    (0..n)
        .map(|i| {
            PrivateKeySigner::from_bytes(&keccak256([salt.to_be_bytes(), (i as u64).to_be_bytes()].concat())).unwrap()
        })
        .collect()
}

/// A signed EIP-1559 transaction on the dev chain, EIP-2718 encoded.
fn sign_eip1559(
    signer: &PrivateKeySigner,
    nonce: u64,
    to: Address,
    value: U256,
    input: Bytes,
    gas_limit: u64,
    max_fee_per_gas: u128,
) -> Bytes {
    let mut tx = TxEip1559 {
        chain_id: 2977,
        nonce,
        gas_limit,
        max_fee_per_gas,
        max_priority_fee_per_gas: 1_000,
        to: TxKind::Call(to),
        value,
        input,
        ..Default::default()
    };
    let signature = signer.sign_transaction_sync(&mut tx).unwrap();
    OpTxEnvelope::from(tx.into_signed(signature)).encoded_2718().into()
}

fn transfer(signer: &PrivateKeySigner, nonce: u64, to: Address) -> Bytes {
    sign_eip1559(signer, nonce, to, U256::from(1u64), Bytes::new(), 21_000, 100_000_000_000)
}

fn funded_chain(signers: &[PrivateKeySigner], extra_accounts: usize) -> ChainSpec {
    let mut chain = ChainSpec::dev();
    let balance = U256::from(10u64).pow(U256::from(24u64));
    for signer in signers {
        chain.alloc.insert(signer.address(), GenesisAccount::default().with_balance(balance));
    }
    for i in 0..extra_accounts {
        let address = Address::from_slice(&keccak256((i as u64).to_be_bytes())[12..]);
        chain.alloc.insert(address, GenesisAccount::default().with_balance(U256::from(1u64)));
    }
    chain
}

/// The store as `bai node` configures it (node.rs): the message passer's proofs kept at past blocks.
fn node_store_config(dir: &std::path::Path) -> StoreConfig {
    let defaults = StoreConfig::new(dir);
    StoreConfig {
        cache_bytes: std::env::var("BENCH_DB_CACHE_MB")
            .ok()
            .and_then(|mb| mb.parse::<usize>().ok())
            .map_or(defaults.cache_bytes, |mb| mb << 20),
        proof_accounts: vec![bai_chainspec::predeploys::L2_TO_L1_MESSAGE_PASSER],
        proof_history_blocks: 8 * 24 * 3600,
        ..defaults
    }
}

fn sequencer(dir: &std::path::Path, chain: ChainSpec) -> Arc<Sequencer> {
    sequencer_with(node_store_config(dir), chain)
}

fn sequencer_with(store: StoreConfig, chain: ChainSpec) -> Arc<Sequencer> {
    let store = Store::open(store).unwrap();
    let pool = Arc::new(TxPool::new(PoolConfig {
        max_transactions: 1_000_000,
        max_account_slots: 10_000,
        ..Default::default()
    }));
    Sequencer::new(Arc::new(chain), store, pool, SequencerConfig::new(Duration::from_secs(1))).unwrap()
}

fn admit(seq: &Sequencer, raw: Vec<Bytes>) {
    let rules =
        ChainRules { chain_id: 2977, block_gas_limit: 30_000_000, spec: revm::primitives::hardfork::SpecId::PRAGUE };
    for tx in raw {
        let pooled = validate_raw(tx, &rules, seq.pool().config()).unwrap();
        let state = seq.store().state(bai_storage::StateAt::Latest).unwrap();
        let nonce = state.account(&pooled.sender).unwrap().map(|a| a.nonce).unwrap_or_default();
        let account = AccountState { nonce, balance: U256::MAX };
        seq.pool().add(pooled, account, U256::ZERO).unwrap();
    }
}

/// keccak256 throughput of `alloy_primitives::keccak256` (the CRYPTOGAMS assembly, `asm-keccak`) against
/// the portable `sha3::Keccak256` alloy-primitives uses without that feature, on trie-node-sized inputs.
fn keccak_asm_vs_portable() -> serde_json::Value {
    use sha3::Digest;
    const ROUNDS: usize = 400_000;
    let mut rows = Vec::new();
    for len in [64usize, 136, 532] {
        let input: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let time = |f: &dyn Fn(&[u8]) -> [u8; 32]| {
            // One buffer, its first byte varied: only hashing is timed, not an allocation per round.
            let mut data = input.clone();
            let started = Instant::now();
            let mut acc = 0u8;
            for i in 0..ROUNDS {
                data[0] = i as u8;
                acc ^= f(&data)[0];
            }
            std::hint::black_box(acc);
            ROUNDS as f64 / started.elapsed().as_secs_f64()
        };
        let asm = time(&|d| alloy::primitives::keccak256(d).0);
        let portable = time(&|d| sha3::Keccak256::digest(d).into());
        assert_eq!(alloy::primitives::keccak256(&input).0, <[u8; 32]>::from(sha3::Keccak256::digest(&input)));
        println!(
            "    keccak256 of {len:>3} bytes: asm {:.2} M/s, portable {:.2} M/s ({:.2}×)",
            asm / 1e6,
            portable / 1e6,
            asm / portable
        );
        rows.push(json!({ "bytes": len, "asm_per_s": asm, "portable_per_s": portable }));
    }
    json!(rows)
}

/// (b): sequencer blocks vs raw revm on the same transfers.
fn execution_vs_revm() -> serde_json::Value {
    let senders = signers(2_000, 1);
    let recipients = signers(64, 2);
    let txs: Vec<Bytes> = (0..TX_PER_SENDER)
        .flat_map(|nonce| senders.iter().enumerate().map(move |(i, s)| (nonce, i, s)))
        .map(|(nonce, i, s)| transfer(s, nonce, recipients[i % recipients.len()].address()))
        .collect();
    let total = txs.len();

    // Raw revm: in memory, no persistence, no state root, no receipts kept.
    let chain = funded_chain(&senders, 0);
    let mut db = bai_evm::in_memory_db(chain.alloc.clone());
    let evm_config = bai_evm::BaiEvmConfig::new(Arc::new(chain.clone()));
    let header = alloy::consensus::Header {
        number: 1,
        timestamp: 1,
        gas_limit: u64::MAX / 2,
        base_fee_per_gas: Some(1),
        ..Default::default()
    };
    let env = evm_config.evm_env(&header);
    let decoded: Vec<(OpTxEnvelope, Address)> = txs
        .iter()
        .map(|raw| {
            let tx = <OpTxEnvelope as alloy::eips::Decodable2718>::decode_2718_exact(raw).unwrap();
            let sender = alloy::consensus::transaction::SignerRecoverable::recover_signer(&tx).unwrap();
            (tx, sender)
        })
        .collect();
    let mut evm = evm_config.evm(&mut db, env, bai_evm::InferenceMode::Disabled);
    let started = Instant::now();
    let mut revm_gas = 0u64;
    for (tx, sender) in &decoded {
        let tx_env = <alloy_op_evm::OpTx as alloy_evm::FromTxWithEncoded<OpTxEnvelope>>::from_encoded_tx(
            tx,
            *sender,
            tx.encoded_2718().into(),
        );
        revm_gas += evm.transact_commit(tx_env).unwrap().tx_gas_used();
    }
    let revm_secs = started.elapsed().as_secs_f64();
    drop(evm);

    // The sequencer: pool → blocks (execution, receipts, state root, RocksDB commit), with the head
    // cache off (every state and trie read from RocksDB) and on (the node's default), same run.
    let mut rates = Vec::new();
    for head_cache_entries in [0, StoreConfig::new("").head_cache_entries] {
        let dir = tempfile::tempdir().unwrap();
        let config = StoreConfig { head_cache_entries, ..node_store_config(dir.path()) };
        let seq = sequencer_with(config, chain.clone());
        admit(&seq, txs.clone());
        let mut bai_gas = 0u64;
        let mut included = 0usize;
        let mut blocks = 0;
        let started = Instant::now();
        // As the node's block loop builds: each block's write overlaps the next block's execution.
        while included < total {
            let block = seq.build_block_pipelined().unwrap();
            bai_gas += block.block.header.gas_used;
            included += block.tx_hashes.len() - 1;
            blocks += 1;
        }
        seq.store().wait_persisted().unwrap();
        let secs = started.elapsed().as_secs_f64();
        rates.push((bai_gas as f64 / secs / 1e6, total as f64 / secs, blocks, seq.store().head_cache_stats()));
    }

    let revm_mgas = revm_gas as f64 / revm_secs / 1e6;
    println!("(b) execution + commit, {total} transfers from {} senders", senders.len());
    println!(
        "    raw revm (in memory, no persistence)   {revm_mgas:>8.1} Mgas/s  {:>9.0} tx/s",
        total as f64 / revm_secs
    );
    let [(cold_mgas, cold_tps, blocks, _), (bai_mgas, bai_tps, _, stats)] = rates[..] else { unreachable!() };
    println!("    bai, head cache off ({blocks} blocks, RocksDB) {cold_mgas:>8.1} Mgas/s  {cold_tps:>9.0} tx/s");
    println!("    bai, head cache on (the node's default) {bai_mgas:>8.1} Mgas/s  {bai_tps:>9.0} tx/s");
    println!("    head cache: {} hits, {} misses", stats.hits, stats.misses);
    println!("    ratio bai / raw revm                    {:>8.2}", bai_mgas / revm_mgas);
    println!("    ratio head cache on / off               {:>8.2}", bai_mgas / cold_mgas);
    json!({
        "transfers": total, "revm_mgas_s": revm_mgas, "bai_mgas_s": bai_mgas, "ratio": bai_mgas / revm_mgas,
        "bai_no_head_cache_mgas_s": cold_mgas, "head_cache_ratio": bai_mgas / cold_mgas,
        "head_cache_hits": stats.hits, "head_cache_misses": stats.misses, "blocks": blocks,
    })
}

/// (h): blocks of withdrawals only (each writes a new message-passer slot and its nonce), built with
/// the node's store and with one that keeps no proof history: the ratio is what the history costs.
fn withdrawal_proof_history_cost() -> serde_json::Value {
    alloy::sol! { function initiateWithdrawal(address target, uint256 gasLimit, bytes data); }
    let senders = signers(1_000, 4);
    let input: Bytes = alloy::sol_types::SolCall::abi_encode(&initiateWithdrawalCall {
        target: Address::repeat_byte(0x11),
        gasLimit: U256::ZERO,
        data: Bytes::new(),
    })
    .into();
    let passer = bai_chainspec::predeploys::L2_TO_L1_MESSAGE_PASSER;
    let txs: Vec<Bytes> = (0..5u64)
        .flat_map(|nonce| senders.iter().map(move |s| (nonce, s)))
        .map(|(nonce, s)| sign_eip1559(s, nonce, passer, U256::from(1u64), input.clone(), 200_000, 100_000_000_000))
        .collect();
    let total = txs.len();
    let mut rates = Vec::new();
    for with_history in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let config = if with_history { node_store_config(dir.path()) } else { StoreConfig::new(dir.path()) };
        let seq = sequencer_with(config, funded_chain(&senders, 0));
        admit(&seq, txs.clone());
        let (mut gas, mut included) = (0u64, 0usize);
        let started = Instant::now();
        while included < total {
            let block = seq.build_block().unwrap();
            gas += block.block.header.gas_used;
            included += block.tx_hashes.len() - 1;
        }
        rates.push(gas as f64 / started.elapsed().as_secs_f64() / 1e6);
    }
    let (with, without) = (rates[0], rates[1]);
    println!("(h) {total} withdrawals (message passer writes), execution + commit");
    println!("    with withdrawal-proof history (node)   {with:>8.1} Mgas/s");
    println!("    without it                              {without:>8.1} Mgas/s");
    println!("    ratio with / without                    {:>8.2}", with / without);
    json!({ "withdrawals": total, "with_history_mgas_s": with, "without_history_mgas_s": without, "ratio": with / without })
}

/// (d): block build time as the state grows, with the head cache off and on (the node's default).
fn build_time_vs_state_size() -> serde_json::Value {
    let senders = signers(1_000, 3);
    let mut rows = Vec::new();
    println!(
        "(d) block build time (1000 transfers to existing accounts per block; median of 7 blocks; sealed = executed with its state root, written = its RocksDB write landed too)"
    );
    // `BENCH_D_ACCOUNTS=1000000,10000` measures only those sizes (profiling one of them).
    let sizes: Vec<usize> = match std::env::var("BENCH_D_ACCOUNTS") {
        Ok(list) => list.split(',').map(|n| n.trim().parse().expect("BENCH_D_ACCOUNTS: a list of numbers")).collect(),
        Err(_) => vec![10_000, 100_000, 1_000_000],
    };
    for accounts in sizes {
        for head_cache_entries in [0, StoreConfig::new("").head_cache_entries] {
            let dir = tempfile::tempdir().unwrap();
            let started = Instant::now();
            let config = StoreConfig { head_cache_entries, ..node_store_config(dir.path()) };
            let seq = sequencer_with(config, funded_chain(&senders, accounts));
            let genesis_secs = started.elapsed().as_secs_f64();
            // Measure a settled store of this size (genesis flushed, compactions done) at every size alike,
            // not one still holding its bulk load in a memtable and compacting it.
            let started = Instant::now();
            seq.store().settle().unwrap();
            // As `bai node` does at startup (on its own thread there): the head state into the head cache.
            let warm = seq.store().warm_head_cache(|_| true).unwrap();
            // The warm-up's scan makes RocksDB compact the files it read (read sampling), once, for a
            // second or so at a million accounts: settled again, as a node is some seconds after startup.
            seq.store().settle().unwrap();
            let settle_secs = started.elapsed().as_secs_f64();
            let (mut sealed, mut written) = (Vec::new(), Vec::new());
            for round in 0..7u64 {
                let txs = senders
                    .iter()
                    .enumerate()
                    .map(|(i, s)| {
                        let target = (round * 7919 + i as u64 * 104_729) % accounts as u64;
                        transfer(s, round, Address::from_slice(&keccak256(target.to_be_bytes())[12..]))
                    })
                    .collect();
                admit(&seq, txs);
                // Sealed: executed with its state root, the write handed off (the node's loop goes on
                // to the next block here); written: the write landed too.
                let started = Instant::now();
                let block = seq.build_block_pipelined().unwrap();
                sealed.push(started.elapsed().as_secs_f64() * 1000.0);
                seq.store().wait_persisted().unwrap();
                written.push(started.elapsed().as_secs_f64() * 1000.0);
                assert_eq!(block.tx_hashes.len(), 1 + senders.len());
            }
            let (median, median_written) = (reference::median(sealed.clone()), reference::median(written.clone()));
            let cache = if head_cache_entries == 0 { "off" } else { "on " };
            println!(
                "    {accounts:>9} accounts, head cache {cache}: median {median:>7.1} ms sealed, {median_written:>7.1} ms written (genesis build {genesis_secs:.1}s, compaction and warm-up {settle_secs:.1}s, of it warm-up {:.1}s: {} accounts, {} trie nodes, stopped {:?})",
                warm.elapsed.as_secs_f64(),
                warm.accounts,
                warm.trie_nodes,
                warm.stopped
            );
            rows.push(json!({
                "accounts": accounts, "head_cache_entries": head_cache_entries, "median_build_ms": median,
                "median_written_ms": median_written, "all_ms": sealed, "all_written_ms": written,
                "warm_up_s": warm.elapsed.as_secs_f64(), "warm_complete": warm.stopped.is_none(),
            }));
        }
    }
    json!(rows)
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .init();
    let machine = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    println!("bai-bench on {} cores, {machine}", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let b = if only.is_empty() || only == "b" {
        json!({ "blocks": execution_vs_revm(), "keccak": keccak_asm_vs_portable() })
    } else {
        json!(null)
    };
    let d = if only.is_empty() || only == "d" { build_time_vs_state_size() } else { json!(null) };
    let models = std::env::var("BAI_MODELS_DIR").unwrap_or_else(|_| ".models".into());
    let e = if only.is_empty() || only == "e" { ai::inference(std::path::Path::new(&models)) } else { json!(null) };
    let f = if only.is_empty() || only == "f" { da::data_availability() } else { json!(null) };
    let g = if only.is_empty() || only == "g" { derive::derivation_speed() } else { json!(null) };
    let h = if only.is_empty() || only == "h" { withdrawal_proof_history_cost() } else { json!(null) };
    let i = if only.is_empty() || only == "i" { logs::logs_by_address() } else { json!(null) };
    let j = if only.is_empty() || only == "j" {
        reference::reference_vs_fast(std::path::Path::new(&models))
    } else {
        json!(null)
    };
    let k = if only.is_empty() || only == "k" { zk::proofs(std::path::Path::new("models")) } else { json!(null) };
    let out = json!({
        "machine": machine,
        "execution_vs_revm": b,
        "build_time_vs_state": d,
        "inference": e,
        "data_availability": f,
        "derivation": g,
        "withdrawal_proof_history": h,
        "logs_by_address": i,
        "reference_runtime": j,
        "zk_proofs": k,
    });
    if let Ok(path) = std::env::var("BENCH_RUST_OUT") {
        std::fs::write(path, serde_json::to_string_pretty(&out).unwrap()).unwrap();
    }
}
