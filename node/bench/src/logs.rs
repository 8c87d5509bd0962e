//! (i) `eth_getLogs` for one address over 100,000 blocks: the log index (one range scan of the
//! address's entries, then the receipts of the blocks it lists) against the header-bloom scan
//! (every header read and its bloom tested, then the receipts of the blocks that pass), on the same
//! store in the same run. Every block carries logs of other contracts, so blooms are not empty; the
//! address logs in 1 block of 100. Both ways then decode the same receipts and match the same logs;
//! the RPC layer's JSON conversion, identical for both, is left out.

use alloy::{
    consensus::{Eip658Value, Header, Receipt, ReceiptWithBloom},
    eips::{Decodable2718, Encodable2718},
    primitives::{Address, B256, Bloom, BloomInput, Bytes, Log, LogData, keccak256},
};
use bai_storage::{BlockCommit, LogQuery, Store, StoreConfig, StoredBlock};
use op_alloy::consensus::OpReceiptEnvelope;
use revm::database::BundleState;
use serde_json::json;
use std::time::Instant;

const BLOCKS: u64 = 100_000;
/// The address logs in one block of this many.
const EVERY: u64 = 100;
const TARGET: Address = Address::repeat_byte(0x7a);

fn receipt_with(logs: Vec<Log>) -> OpReceiptEnvelope {
    let receipt = Receipt { status: Eip658Value::Eip658(true), cumulative_gas_used: 50_000, logs };
    OpReceiptEnvelope::Eip1559(ReceiptWithBloom::from(receipt))
}

fn transfer_log(address: Address, n: u64) -> Log {
    let topics = vec![keccak256("Transfer(address,address,uint256)"), B256::from(keccak256(n.to_be_bytes()))];
    Log { address, data: LogData::new_unchecked(topics, Bytes::from(vec![0u8; 32])) }
}

/// Logs matching `TARGET` in the receipts of block `number`.
fn matching_logs(store: &Store, number: u64) -> usize {
    let receipts = store.receipts(number).unwrap().unwrap_or_default();
    receipts
        .iter()
        .map(|raw| OpReceiptEnvelope::decode_2718(&mut raw.as_ref()).unwrap())
        .map(|r| r.logs().iter().filter(|l| l.address == TARGET).count())
        .sum()
}

pub(crate) fn logs_by_address() -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(StoreConfig::new(dir.path())).unwrap();
    let started = Instant::now();
    for number in 0..=BLOCKS {
        // Three other contracts log in every block; the target in one block of `EVERY`.
        let mut logs: Vec<Log> =
            (0..3).map(|i| transfer_log(Address::with_last_byte((number * 3 + i) as u8 % 200 + 1), number)).collect();
        if number % EVERY == 50 {
            logs.push(transfer_log(TARGET, number));
        }
        let receipt = receipt_with(logs.clone());
        let mut bloom = Bloom::default();
        bloom.accrue_bloom(receipt.logs_bloom());
        let prepared = store.prepare_state(&BundleState::default(), number).unwrap();
        let header = Header { number, state_root: prepared.state_root, logs_bloom: bloom, ..Default::default() };
        let block = StoredBlock { hash: header.hash_slow(), header, transactions: vec![], senders: vec![] };
        let index = logs.iter().map(|l| (l.address, l.topics().to_vec())).collect();
        let commit = BlockCommit {
            block,
            receipts: vec![receipt.encoded_2718().into()],
            tx_hashes: vec![],
            meta: Default::default(),
            logs: index,
        };
        store.commit_block(commit, prepared).unwrap();
    }
    let fill_secs = started.elapsed().as_secs_f64();

    let runs = 5;
    let (mut bloom_ms, mut index_ms) = (Vec::new(), Vec::new());
    let (mut bloom_found, mut index_found) = (0, 0);
    for _ in 0..runs {
        let started = Instant::now();
        bloom_found = 0;
        for number in 0..=BLOCKS {
            let header = store.header(number).unwrap().unwrap();
            if header.logs_bloom.contains_input(BloomInput::Raw(TARGET.as_slice())) {
                bloom_found += matching_logs(&store, number);
            }
        }
        bloom_ms.push(started.elapsed().as_secs_f64() * 1000.0);

        let started = Instant::now();
        let query = LogQuery { addresses: &[TARGET], topics: &[] };
        let blocks = store.log_blocks(&query, 0, BLOCKS).unwrap().unwrap();
        index_found = blocks.iter().map(|n| matching_logs(&store, *n)).sum();
        index_ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    assert_eq!(bloom_found, index_found, "both ways find the same logs");
    assert_eq!(index_found as u64, BLOCKS / EVERY);
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    };
    let (bloom, index) = (median(&mut bloom_ms), median(&mut index_ms));
    println!(
        "(i) eth_getLogs for one address over {BLOCKS} blocks ({index_found} logs, 1 block in {EVERY}; store filled in {fill_secs:.1} s)"
    );
    println!("    header-bloom scan                       {bloom:>8.1} ms (median of {runs})");
    println!("    log index                               {index:>8.1} ms");
    println!("    index speed-up                          {:>8.1}x", bloom / index);
    json!({ "blocks": BLOCKS, "logs": index_found, "bloom_scan_ms": bloom, "index_ms": index, "speedup": bloom / index })
}
