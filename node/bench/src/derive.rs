//! (g) Verifier derivation speed: L2 blocks rebuilt per second from L1 data alone — frames decoded,
//! the brotli channel decompressed, each batch turned into a block by `Sequencer::derive_block`
//! (execution, state root, RocksDB commit) — and that rate as a multiple of real time at 1 s blocks.
//! The L1 RPC round trips are left out (they overlap with execution in a running verifier and depend
//! on the L1 node, not on us).

use alloy::primitives::Address;
use bai_bridge::{
    batch_for_block,
    channel::{ChannelIn, ChannelOut},
    frame::{decode_tx_data, encode_tx_data},
};
use bai_sequencer::PayloadAttributes;
use serde_json::json;
use std::time::Instant;

const BLOCKS: u64 = 300;
const TXS_PER_BLOCK: usize = 20;

pub(crate) fn derivation_speed() -> serde_json::Value {
    let senders = crate::signers(TXS_PER_BLOCK, 77);
    let chain = crate::funded_chain(&senders, 0);
    let (seq_dir, verifier_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let sequencer = crate::sequencer(seq_dir.path(), chain.clone());
    let verifier = crate::sequencer(verifier_dir.path(), chain);

    // The sequencer's chain: BLOCKS blocks of TXS_PER_BLOCK transfers, posted as one channel.
    let mut channel = ChannelOut::new([7; 16]);
    for round in 0..BLOCKS {
        let txs = senders
            .iter()
            .enumerate()
            .map(|(i, s)| crate::transfer(s, round, Address::with_last_byte(i as u8 + 1)))
            .collect();
        crate::admit(&sequencer, txs);
        let block = sequencer.build_block().unwrap();
        assert_eq!(block.tx_hashes.len(), 1 + TXS_PER_BLOCK);
        channel.add(&batch_for_block(&block.block.header, &block.block.transactions).unwrap());
    }
    let payloads: Vec<_> = channel
        .frames(bai_bridge::blob::MAX_BLOB_DATA - 1)
        .iter()
        .map(|f| encode_tx_data(std::slice::from_ref(f)))
        .collect();

    let started = Instant::now();
    let mut reader = ChannelIn::new([7; 16]);
    for payload in &payloads {
        for frame in decode_tx_data(payload).unwrap() {
            reader.add(frame).unwrap();
        }
    }
    for batch in reader.batches().unwrap() {
        let first = sequencer.store().block(verifier.head().0.number + 1).unwrap().unwrap();
        let l1 = bai_evm::L1Info::from_block_transactions(&first.transactions).expect("an L1-attributes deposit");
        let derived = verifier
            .derive_block(PayloadAttributes {
                timestamp: batch.timestamp,
                l1,
                deposits: vec![],
                transactions: batch.transactions,
            })
            .unwrap();
        assert_eq!(derived.block.hash, first.hash, "derived block equals the sequencer's");
    }
    let secs = started.elapsed().as_secs_f64();
    let per_sec = BLOCKS as f64 / secs;
    println!(
        "  (g) derivation: {BLOCKS} blocks × {TXS_PER_BLOCK} transfers from {} blob payload(s) in {secs:.2}s = {per_sec:.0} blocks/s, {per_sec:.0}× real time at 1 s blocks (target ≥ 20×)",
        payloads.len()
    );
    json!({
        "blocks": BLOCKS,
        "txs_per_block": TXS_PER_BLOCK,
        "seconds": secs,
        "blocks_per_second": per_sec,
        "real_time_multiple_at_1s_blocks": per_sec,
    })
}
