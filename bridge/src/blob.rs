//! Batcher data in EIP-4844 blobs: the OP blob encoding (so OP tooling reads our blobs) and where a
//! reader gets blobs back from ([`BlobSource`]), each checked against its versioned hash.
//!
//! The OP encoding (version 0) packs 127 bytes into every 4 field elements: 31 bytes in the low
//! bytes of each, and 3 more bytes spread over the 6 free bits of their top bytes (the top two bits
//! stay zero so every element is below the BLS modulus). The first element starts with the version
//! and a 3-byte length. Hand-written because no crate in our tree implements it (alloy's
//! `SimpleCoder` wastes the top byte of every element and is not what OP readers expect).

use alloy::{
    eips::eip4844::{
        BYTES_PER_BLOB, Blob, BlobTransactionSidecar, c_kzg, env_settings::EnvKzgSettings, kzg_to_versioned_hash,
    },
    primitives::{B256, Bytes},
    providers::{DynProvider, Provider},
};
use std::{future::Future, pin::Pin};

/// Encoding version in the first field element.
pub const BLOB_ENCODING_VERSION: u8 = 0;
/// Rounds of 4 field elements in a 4096-element blob.
const ROUNDS: usize = 4096 / 4;
/// Most payload bytes one blob holds.
pub const MAX_BLOB_DATA: usize = (4 * 31 + 3) * ROUNDS - 4;

/// Errors encoding, fetching or decoding a blob.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BlobError {
    /// The payload is more than [`MAX_BLOB_DATA`] bytes.
    #[error("{0} bytes do not fit in a blob (at most {MAX_BLOB_DATA})")]
    TooLarge(usize),
    /// The blob's version byte is not [`BLOB_ENCODING_VERSION`].
    #[error("unknown blob encoding version {0}")]
    Version(u8),
    /// The blob's length prefix exceeds what a blob holds.
    #[error("blob declares {0} bytes, more than a blob holds")]
    BadLength(usize),
    /// A field element is not canonical (its top two bits are set).
    #[error("field element {0} has its top bits set")]
    BadFieldElement(usize),
    /// Bytes past the declared length are not zero.
    #[error("blob has non-zero bytes after its data")]
    TrailingData,
    /// The fetched blob does not commit to the versioned hash the batcher transaction names.
    #[error("blob does not match versioned hash {0}")]
    HashMismatch(B256),
    /// The blob source failed, lacks the blob, or returned one of the wrong size.
    #[error("blob unavailable: {0}")]
    Unavailable(String),
    /// Computing or checking the KZG commitment failed.
    #[error("kzg: {0}")]
    Kzg(String),
}

/// Encodes `data` into one blob.
pub fn encode_blob(data: &[u8]) -> Result<Blob, BlobError> {
    if data.len() > MAX_BLOB_DATA {
        return Err(BlobError::TooLarge(data.len()));
    }
    // The byte stream the rounds consume: version ‖ u24 length ‖ data, zero-padded.
    let mut stream = Vec::with_capacity(MAX_BLOB_DATA + 4);
    stream.push(BLOB_ENCODING_VERSION);
    stream.extend_from_slice(&(data.len() as u32).to_be_bytes()[1..]);
    stream.extend_from_slice(data);
    let used_rounds = stream.len().div_ceil(127).max(1);
    stream.resize(used_rounds * 127, 0);

    let mut blob = Blob::ZERO;
    for (round, chunk) in stream.chunks(127).enumerate() {
        // Per round: 31 bytes, x, 31 bytes, y, 31 bytes, z, 31 bytes.
        let low = [&chunk[0..31], &chunk[32..63], &chunk[64..95], &chunk[96..127]];
        let (x, y, z) = (chunk[31], chunk[63], chunk[95]);
        let top = [
            x & 0b0011_1111,
            (y & 0b0000_1111) | ((x & 0b1100_0000) >> 2),
            z & 0b0011_1111,
            ((z & 0b1100_0000) >> 2) | ((y & 0b1111_0000) >> 4),
        ];
        for i in 0..4 {
            let at = (round * 4 + i) * 32;
            blob[at] = top[i];
            blob[at + 1..at + 32].copy_from_slice(low[i]);
        }
    }
    Ok(blob)
}

/// Decodes a blob written by [`encode_blob`] (or by an OP batcher).
pub fn decode_blob(blob: &Blob) -> Result<Vec<u8>, BlobError> {
    let mut stream = Vec::with_capacity(ROUNDS * 127);
    for round in 0..ROUNDS {
        let fe = |i: usize| &blob[(round * 4 + i) * 32..(round * 4 + i + 1) * 32];
        let mut top = [0u8; 4];
        for (i, t) in top.iter_mut().enumerate() {
            *t = fe(i)[0];
            if *t & 0b1100_0000 != 0 {
                return Err(BlobError::BadFieldElement(round * 4 + i));
            }
        }
        let x = top[0] | ((top[1] & 0b0011_0000) << 2);
        let y = (top[1] & 0b0000_1111) | ((top[3] & 0b0000_1111) << 4);
        let z = top[2] | ((top[3] & 0b0011_0000) << 2);
        stream.extend_from_slice(&fe(0)[1..]);
        stream.push(x);
        stream.extend_from_slice(&fe(1)[1..]);
        stream.push(y);
        stream.extend_from_slice(&fe(2)[1..]);
        stream.push(z);
        stream.extend_from_slice(&fe(3)[1..]);
    }
    if stream[0] != BLOB_ENCODING_VERSION {
        return Err(BlobError::Version(stream[0]));
    }
    let len = u32::from_be_bytes([0, stream[1], stream[2], stream[3]]) as usize;
    if len > MAX_BLOB_DATA {
        return Err(BlobError::BadLength(len));
    }
    let data = &stream[4..4 + len];
    if stream[4 + len..].iter().any(|b| *b != 0) {
        return Err(BlobError::TrailingData);
    }
    Ok(data.to_vec())
}

/// Runs `f` on a thread with a large stack: c-kzg keeps whole polynomials (128 KiB each) on the
/// stack, more than a 2 MiB worker thread holds in a debug build.
fn on_kzg_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("kzg".into())
            .stack_size(32 << 20)
            .spawn_scoped(scope, f)
            .expect("spawning the kzg thread")
            .join()
            .expect("the kzg thread panicked")
    })
}

/// A sidecar (blobs, commitments, proofs) carrying `payloads`, one blob each.
pub fn sidecar(payloads: &[Bytes]) -> Result<BlobTransactionSidecar, BlobError> {
    on_kzg_stack(|| {
        let blobs = payloads.iter().map(|p| encode_blob(p)).collect::<Result<Vec<_>, _>>()?;
        BlobTransactionSidecar::try_from_blobs_with_settings(blobs, EnvKzgSettings::Default.get())
            .map_err(|e| BlobError::Kzg(e.to_string()))
    })
}

/// Checks that `blob` is the one `versioned_hash` commits to.
pub fn verify_blob(blob: &Blob, versioned_hash: B256) -> Result<(), BlobError> {
    let commitment = on_kzg_stack(|| {
        let ckzg = c_kzg::Blob::new(blob.0);
        EnvKzgSettings::Default.get().blob_to_kzg_commitment(&ckzg).map(|c| c.to_bytes())
    })
    .map_err(|e| BlobError::Kzg(e.to_string()))?;
    if kzg_to_versioned_hash(commitment.as_slice()) != versioned_hash {
        return Err(BlobError::HashMismatch(versioned_hash));
    }
    Ok(())
}

/// What [`BlobSource::blobs`] returns.
pub type BlobsFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<Blob>, BlobError>> + Send + 'a>>;

/// Where a reader gets the blobs of an L1 block back: the execution node's RPC where it keeps them
/// (anvil), or a beacon node (real networks prune blobs from execution nodes).
pub trait BlobSource: Send + Sync + std::fmt::Debug {
    /// The blobs with `hashes` from the L1 block `number` (timestamp `timestamp`), in the order
    /// asked, each already checked against its versioned hash.
    fn blobs<'a>(&'a self, number: u64, timestamp: u64, hashes: &'a [B256]) -> BlobsFuture<'a>;
}

/// Blobs from an L1 execution RPC that serves `anvil_getBlobByHash` (anvil keeps every blob).
#[derive(Debug, Clone)]
pub struct RpcBlobSource {
    provider: DynProvider,
}

impl RpcBlobSource {
    /// Reads blobs through `provider` (anvil's `anvil_getBlobByHash`).
    pub fn new(provider: DynProvider) -> Self {
        Self { provider }
    }
}

impl BlobSource for RpcBlobSource {
    fn blobs<'a>(&'a self, _number: u64, _timestamp: u64, hashes: &'a [B256]) -> BlobsFuture<'a> {
        Box::pin(async move {
            let mut out = Vec::with_capacity(hashes.len());
            for hash in hashes {
                let blob: Option<Bytes> = self
                    .provider
                    .raw_request("anvil_getBlobByHash".into(), (hash,))
                    .await
                    .map_err(|e| BlobError::Unavailable(e.to_string()))?;
                let blob = blob.ok_or_else(|| BlobError::Unavailable(format!("L1 RPC has no blob {hash}")))?;
                let blob =
                    Blob::try_from(blob.as_ref()).map_err(|_| BlobError::Unavailable("wrong blob size".into()))?;
                verify_blob(&blob, *hash)?;
                out.push(blob);
            }
            Ok(out)
        })
    }
}

/// Blobs from a beacon node (`GET /eth/v1/beacon/blobs/{slot}?versioned_hashes=…`), the slot worked
/// out from the L1 block's timestamp and the beacon chain's genesis time and slot length.
#[derive(Debug, Clone)]
pub struct BeaconBlobSource {
    url: String,
    client: reqwest::Client,
    /// (genesis time, seconds per slot), fetched once.
    clock: tokio::sync::OnceCell<(u64, u64)>,
}

impl BeaconBlobSource {
    /// Reads blob sidecars from the beacon node at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into().trim_end_matches('/').to_string(),
            client: bai_runtime::http::http_client(),
            clock: Default::default(),
        }
    }

    async fn get(&self, path: &str) -> Result<serde_json::Value, BlobError> {
        let unavailable = |e: reqwest::Error| BlobError::Unavailable(format!("beacon {path}: {e}"));
        let response = self.client.get(format!("{}{path}", self.url)).send().await.map_err(unavailable)?;
        let status = response.status();
        let body = response.bytes().await.map_err(unavailable)?;
        if !status.is_success() {
            return Err(BlobError::Unavailable(format!("beacon {path}: {status} {}", String::from_utf8_lossy(&body))));
        }
        serde_json::from_slice(&body).map_err(|e| BlobError::Unavailable(format!("beacon {path}: {e}")))
    }

    async fn clock(&self) -> Result<(u64, u64), BlobError> {
        self.clock
            .get_or_try_init(|| async {
                let number = |v: &serde_json::Value| v.as_str().and_then(|s| s.parse::<u64>().ok());
                let genesis = self.get("/eth/v1/beacon/genesis").await?;
                let spec = self.get("/eth/v1/config/spec").await?;
                let genesis_time = number(&genesis["data"]["genesis_time"])
                    .ok_or_else(|| BlobError::Unavailable("beacon genesis has no genesis_time".into()))?;
                let slot = number(&spec["data"]["SECONDS_PER_SLOT"])
                    .filter(|s| *s > 0)
                    .ok_or_else(|| BlobError::Unavailable("beacon spec has no SECONDS_PER_SLOT".into()))?;
                Ok((genesis_time, slot))
            })
            .await
            .copied()
    }
}

impl BlobSource for BeaconBlobSource {
    fn blobs<'a>(&'a self, _number: u64, timestamp: u64, hashes: &'a [B256]) -> BlobsFuture<'a> {
        Box::pin(async move {
            let (genesis_time, seconds_per_slot) = self.clock().await?;
            let slot = timestamp.saturating_sub(genesis_time) / seconds_per_slot;
            let query: Vec<String> = hashes.iter().map(|h| format!("versioned_hashes={h}")).collect();
            let body = self.get(&format!("/eth/v1/beacon/blobs/{slot}?{}", query.join("&"))).await?;
            let listed = body["data"].as_array().cloned().unwrap_or_default();
            let mut by_hash = std::collections::HashMap::new();
            for item in listed {
                let hex = item.as_str().unwrap_or_default();
                let bytes: Bytes = hex.parse().map_err(|_| BlobError::Unavailable("beacon blob is not hex".into()))?;
                let blob =
                    Blob::try_from(bytes.as_ref()).map_err(|_| BlobError::Unavailable("wrong blob size".into()))?;
                // The response order is not guaranteed: match each blob to the hash it commits to.
                for hash in hashes {
                    if verify_blob(&blob, *hash).is_ok() {
                        by_hash.insert(*hash, blob);
                        break;
                    }
                }
            }
            hashes
                .iter()
                .map(|h| {
                    by_hash
                        .remove(h)
                        .ok_or_else(|| BlobError::Unavailable(format!("beacon slot {slot} has no blob {h}")))
                })
                .collect()
        })
    }
}

/// Fraction of a blob's payload capacity that `len` bytes fill.
pub fn fill_ratio(len: usize) -> f64 {
    len as f64 / MAX_BLOB_DATA as f64
}

const _: () = assert!(BYTES_PER_BLOB == 4096 * 32);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_size_class() {
        for len in [0, 1, 27, 123, 127, 128, 1000, 65_536, MAX_BLOB_DATA] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 + i / 255) as u8).collect();
            let blob = encode_blob(&data).unwrap();
            // Every field element is canonical (top two bits clear).
            assert!(blob.chunks(32).all(|fe| fe[0] & 0xc0 == 0));
            assert_eq!(decode_blob(&blob).unwrap(), data, "length {len}");
        }
        assert_eq!(encode_blob(&vec![1; MAX_BLOB_DATA + 1]), Err(BlobError::TooLarge(MAX_BLOB_DATA + 1)));
    }

    #[test]
    fn all_byte_values_survive_the_bit_packing() {
        let data: Vec<u8> = (0..=255u8).cycle().take(127 * 10).collect();
        assert_eq!(decode_blob(&encode_blob(&data).unwrap()).unwrap(), data);
    }

    #[test]
    fn corrupt_blobs_are_refused() {
        let mut blob = encode_blob(b"hello").unwrap();
        blob[32 * 9] = 0x80;
        assert_eq!(decode_blob(&blob), Err(BlobError::BadFieldElement(9)));
        let mut blob = encode_blob(b"hello").unwrap();
        blob[32 * 100 + 5] = 1;
        assert_eq!(decode_blob(&blob), Err(BlobError::TrailingData));
        let mut blob = encode_blob(b"hello").unwrap();
        blob[1] = 1;
        assert_eq!(decode_blob(&blob), Err(BlobError::Version(1)));
    }

    #[test]
    fn blobs_are_checked_against_their_versioned_hash() {
        let sidecar = sidecar(&[Bytes::from_static(b"frames")]).unwrap();
        let hash = sidecar.versioned_hash_for_blob(0).unwrap();
        verify_blob(&sidecar.blobs[0], hash).unwrap();
        let other = encode_blob(b"other").unwrap();
        assert_eq!(verify_blob(&other, hash), Err(BlobError::HashMismatch(hash)));
    }
}
