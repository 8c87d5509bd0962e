//! (f) Data availability: L1 bytes per L2 transaction after batching, for ETH and ERC-20 transfers,
//! against the uncompressed RLP and zlib (the OP pre-Fjord channel compression) in the same run.
//! Bytes are deterministic, so this part measures sizes, not time.

use alloy::{
    consensus::Header,
    eips::Encodable2718,
    primitives::{Address, B256, Bytes, U256, keccak256},
    signers::local::PrivateKeySigner,
    sol,
    sol_types::SolCall,
};
use bai_bridge::{
    batch_for_block,
    blob::MAX_BLOB_DATA,
    channel::ChannelOut,
    frame::{FRAME_OVERHEAD, encode_tx_data},
};
use op_alloy::consensus::OpTxEnvelope;
use serde_json::json;
use std::io::Write;

sol! { function transfer(address to, uint256 amount) returns (bool); }

const SENDERS: usize = 100;
const TXS_PER_SENDER: u64 = 20;
const TXS_PER_BLOCK: usize = 200;

/// Realistic, varied fee caps: a wallet's estimate moves from block to block.
fn signed(signer: &PrivateKeySigner, nonce: u64, to: Address, value: U256, input: Bytes, gas: u64) -> Bytes {
    crate::sign_eip1559(signer, nonce, to, value, input, gas, 1_000_000_000 + (nonce as u128 * 7_919) % 50_000_000)
}

/// Distinct senders and recipients and varied amounts: nothing repeats that would not repeat on a
/// real chain (the token contract and the calldata layout do).
fn workload(erc20: bool) -> Vec<Bytes> {
    let token = Address::repeat_byte(0x7a);
    let senders: Vec<PrivateKeySigner> = (0..SENDERS)
        .map(|i| {
            PrivateKeySigner::from_bytes(&keccak256([b"da-sender".as_slice(), &i.to_be_bytes()].concat())).unwrap()
        })
        .collect();
    let mut out = Vec::new();
    for nonce in 0..TXS_PER_SENDER {
        for (i, signer) in senders.iter().enumerate() {
            let seed = keccak256([nonce.to_be_bytes(), (i as u64).to_be_bytes()].concat());
            let recipient = Address::from_slice(&seed[12..]);
            let amount = U256::from(u64::from_be_bytes(seed[..8].try_into().unwrap()) % 10u64.pow(15));
            out.push(if erc20 {
                let data = transferCall { to: recipient, amount }.abi_encode().into();
                signed(signer, nonce, token, U256::ZERO, data, 60_000)
            } else {
                signed(signer, nonce, recipient, amount, Bytes::new(), 21_000)
            });
        }
    }
    out
}

/// An L1-attributes deposit so the batch builder sees a well-formed block.
fn l1_attributes(number: u64) -> Bytes {
    let info = bai_evm::L1Info::dev(number * 12, 0, None);
    OpTxEnvelope::Deposit(alloy::primitives::Sealed::new(info.deposit_tx())).encoded_2718().into()
}

fn measure(name: &str, txs: &[Bytes]) -> serde_json::Value {
    let mut channel = ChannelOut::new([0; 16]);
    let mut parent = B256::repeat_byte(1);
    for (n, chunk) in txs.chunks(TXS_PER_BLOCK).enumerate() {
        let header =
            Header { parent_hash: parent, number: n as u64 + 1, timestamp: 1_000 + n as u64, ..Default::default() };
        let mut block = vec![l1_attributes(n as u64)];
        block.extend(chunk.iter().cloned());
        channel.add(&batch_for_block(&header, &block).expect("well-formed block"));
        parent = keccak256(parent);
    }
    let n = txs.len() as f64;
    let raw_tx: usize = txs.iter().map(|t| t.len()).sum();
    let raw_channel = channel.raw_len();
    let compressed = channel.compress();
    let frames = channel.frames_of(&compressed, 120_000);
    let l1_bytes: usize = frames.iter().map(|f| encode_tx_data(std::slice::from_ref(f)).len()).sum();
    let brotli = compressed.len();
    // The same channel in blobs: one frame per blob, the last one partly filled.
    let blob_payloads: Vec<usize> = channel
        .frames_of(&compressed, MAX_BLOB_DATA - 1)
        .iter()
        .map(|f| encode_tx_data(std::slice::from_ref(f)).len())
        .collect();
    let blob_fill = blob_payloads.iter().sum::<usize>() as f64 / (blob_payloads.len() * MAX_BLOB_DATA) as f64;
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    zlib.write_all(channel.raw()).unwrap();
    let zlib = zlib.finish().unwrap().len() + frames.len() * FRAME_OVERHEAD + frames.len();
    println!(
        "    {name:<16} per tx: raw {:>6.1} B, RLP batches {:>6.1} B, zlib {:>6.1} B, brotli (posted) {:>6.1} B ({:.2}× smaller than RLP)",
        raw_tx as f64 / n,
        raw_channel as f64 / n,
        zlib as f64 / n,
        l1_bytes as f64 / n,
        raw_channel as f64 / l1_bytes as f64
    );
    println!(
        "    {name:<16} in blobs: {} blob(s), fill {:.1} % of the OP encoding's {MAX_BLOB_DATA} B capacity",
        blob_payloads.len(),
        blob_fill * 100.0
    );
    json!({
        "transactions": txs.len(),
        "raw_tx_bytes_per_tx": raw_tx as f64 / n,
        "rlp_channel_bytes_per_tx": raw_channel as f64 / n,
        "zlib_l1_bytes_per_tx": zlib as f64 / n,
        "brotli_l1_bytes_per_tx": l1_bytes as f64 / n,
        "brotli_channel_bytes": brotli,
        "l1_transactions": frames.len(),
        "blobs": blob_payloads.len(),
        "blob_fill_ratio": blob_fill,
    })
}

pub(crate) fn data_availability() -> serde_json::Value {
    println!(
        "  (f) L1 bytes per L2 transaction ({} txs, {} distinct senders, {} per block, one channel)",
        SENDERS as u64 * TXS_PER_SENDER,
        SENDERS,
        TXS_PER_BLOCK
    );
    json!({
        "eth_transfer": measure("ETH transfer", &workload(false)),
        "erc20_transfer": measure("ERC-20 transfer", &workload(true)),
    })
}
