//! Channels: L2 blocks as batches, RLP-encoded and brotli-compressed in the OP Fjord channel format
//! (`0x01 ‖ brotli(rlp_string(batch) ‖ rlp_string(batch) ‖ …)`), then cut into frames.
//!
//! A batch carries what L1 does not already know about a block: its parent, its L1 origin, its
//! timestamp and its non-deposit transactions — plus, unlike OP, the witness deposit of a block that
//! called AI models, so a verifier can replay it without any inference server.

use crate::frame::{ChannelId, FRAME_OVERHEAD, Frame};
use alloy::{
    primitives::{B256, Bytes},
    rlp::{Decodable, Encodable, RlpDecodable, RlpEncodable},
};
use std::{
    collections::BTreeMap,
    io::{Read, Write},
};

/// Channel version byte: the channel's RLP batches are brotli-compressed (OP Fjord).
pub const CHANNEL_VERSION_BROTLI: u8 = 0x01;
/// Batch type byte of a [`SingularBatch`].
pub const SINGULAR_BATCH_TYPE: u8 = 0x00;
/// Most decompressed bytes a channel may expand to (as OP Fjord).
pub const MAX_RLP_BYTES_PER_CHANNEL: u64 = 100_000_000;
/// brotli quality and window the batcher compresses with (quality 10 is within 1–2 % of 11 for
/// transaction data at a fraction of the time).
const BROTLI_QUALITY: u32 = 10;
const BROTLI_LGWIN: u32 = 22;

/// One L2 block as a batch.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct SingularBatch {
    /// Hash of the L2 block before this one.
    pub parent_hash: B256,
    /// L1 origin (epoch) block number.
    pub epoch_number: u64,
    /// L1 origin (epoch) block hash.
    pub epoch_hash: B256,
    /// The L2 block's timestamp.
    pub timestamp: u64,
    /// EIP-2718 encodings, without the L1-attributes and user deposits (derived from L1).
    pub transactions: Vec<Bytes>,
}

/// Errors reassembling a channel or decoding its batches.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChannelError {
    /// A frame of another channel was offered to this one.
    #[error("frame for channel {0:?} offered to another channel")]
    WrongChannel(ChannelId),
    /// A frame numbered after the channel's last frame arrived.
    #[error("frame {0} comes after the last frame {1}")]
    PastLast(u16, u16),
    /// The channel was read before all its frames arrived.
    #[error("channel is not complete")]
    Incomplete,
    /// The channel's version byte is not [`CHANNEL_VERSION_BROTLI`].
    #[error("unknown channel version {0:#04x}")]
    Version(u8),
    /// The channel decompresses to more than [`MAX_RLP_BYTES_PER_CHANNEL`] bytes.
    #[error("channel decompresses to more than {MAX_RLP_BYTES_PER_CHANNEL} bytes")]
    TooLarge,
    /// brotli compression or decompression failed.
    #[error("brotli: {0}")]
    Compression(String),
    /// A batch is empty, of an unknown type, malformed RLP or followed by trailing bytes.
    #[error("batch: {0}")]
    Batch(String),
}

impl SingularBatch {
    /// `batch_type ‖ rlp(batch)`, the bytes a channel carries as one RLP string.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![SINGULAR_BATCH_TYPE];
        self.encode(&mut out);
        out
    }

    /// Decodes [`Self::to_bytes`]'s encoding (the whole input must be one batch).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ChannelError> {
        let (&kind, mut rest) = bytes.split_first().ok_or_else(|| ChannelError::Batch("empty batch".into()))?;
        if kind != SINGULAR_BATCH_TYPE {
            return Err(ChannelError::Batch(format!("unsupported batch type {kind}")));
        }
        let batch = Self::decode(&mut rest).map_err(|e| ChannelError::Batch(e.to_string()))?;
        if !rest.is_empty() {
            return Err(ChannelError::Batch("trailing bytes after the batch".into()));
        }
        Ok(batch)
    }
}

/// A channel being filled by the batcher.
#[derive(Debug, Clone)]
pub struct ChannelOut {
    /// The channel's random id, carried by each of its frames.
    pub id: ChannelId,
    raw: Vec<u8>,
    batches: usize,
}

impl ChannelOut {
    /// An empty channel with id `id`.
    pub fn new(id: ChannelId) -> Self {
        Self { id, raw: Vec::new(), batches: 0 }
    }

    /// Appends `batch` (its bytes as one RLP string).
    pub fn add(&mut self, batch: &SingularBatch) {
        batch.to_bytes().as_slice().encode(&mut self.raw);
        self.batches += 1;
    }

    /// Batches added so far.
    pub fn len(&self) -> usize {
        self.batches
    }

    /// Whether no batch has been added.
    pub fn is_empty(&self) -> bool {
        self.batches == 0
    }

    /// Uncompressed RLP bytes so far.
    pub fn raw_len(&self) -> usize {
        self.raw.len()
    }

    /// The uncompressed RLP stream of batches.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// `0x01 ‖ brotli(raw)`.
    pub fn compress(&self) -> Vec<u8> {
        let mut out = vec![CHANNEL_VERSION_BROTLI];
        {
            let mut writer = brotli::CompressorWriter::new(&mut out, 4096, BROTLI_QUALITY, BROTLI_LGWIN);
            writer.write_all(&self.raw).expect("writing to a Vec");
        }
        out
    }

    /// The compressed channel cut into frames of at most `max_frame_size` encoded bytes.
    pub fn frames(&self, max_frame_size: usize) -> Vec<Frame> {
        self.frames_of(&self.compress(), max_frame_size)
    }

    /// [`Self::frames`] of an already [compressed](Self::compress) channel (compression is the
    /// expensive step; a caller that also needs the size compresses once).
    pub fn frames_of(&self, data: &[u8], max_frame_size: usize) -> Vec<Frame> {
        let chunk = max_frame_size.saturating_sub(FRAME_OVERHEAD).max(1);
        let chunks: Vec<&[u8]> = data.chunks(chunk).collect();
        let last = chunks.len() - 1;
        chunks
            .into_iter()
            .enumerate()
            .map(|(i, part)| Frame {
                channel_id: self.id,
                number: u16::try_from(i).expect("a channel has fewer than 65536 frames"),
                data: Bytes::copy_from_slice(part),
                is_last: i == last,
            })
            .collect()
    }
}

/// A channel being reassembled by a reader: frames in any order, duplicates ignored.
#[derive(Debug, Clone)]
pub struct ChannelIn {
    /// The channel the frames belong to.
    pub id: ChannelId,
    frames: BTreeMap<u16, Bytes>,
    last: Option<u16>,
}

impl ChannelIn {
    /// An empty channel expecting frames of `id`.
    pub fn new(id: ChannelId) -> Self {
        Self { id, frames: BTreeMap::new(), last: None }
    }

    /// Adds a frame; frames past the last one (once known) are refused, duplicates ignored.
    pub fn add(&mut self, frame: Frame) -> Result<(), ChannelError> {
        if frame.channel_id != self.id {
            return Err(ChannelError::WrongChannel(frame.channel_id));
        }
        if let Some(last) = self.last
            && frame.number > last
        {
            return Err(ChannelError::PastLast(frame.number, last));
        }
        if frame.is_last {
            self.last = Some(frame.number);
            self.frames.retain(|n, _| *n <= frame.number);
        }
        self.frames.entry(frame.number).or_insert(frame.data);
        Ok(())
    }

    /// Whether the last frame and every frame before it have arrived.
    pub fn is_complete(&self) -> bool {
        self.last.is_some_and(|last| self.frames.len() == last as usize + 1)
    }

    /// Decompresses the complete channel into its batches, in order.
    pub fn batches(&self) -> Result<Vec<SingularBatch>, ChannelError> {
        if !self.is_complete() {
            return Err(ChannelError::Incomplete);
        }
        let data: Vec<u8> = self.frames.values().flat_map(|d| d.iter().copied()).collect();
        decode_channel(&data)
    }
}

/// Decodes `0x01 ‖ brotli(…)` into batches.
pub fn decode_channel(data: &[u8]) -> Result<Vec<SingularBatch>, ChannelError> {
    let (&version, compressed) = data.split_first().ok_or(ChannelError::Incomplete)?;
    if version != CHANNEL_VERSION_BROTLI {
        return Err(ChannelError::Version(version));
    }
    let mut raw = Vec::new();
    brotli::Decompressor::new(compressed, 4096)
        .take(MAX_RLP_BYTES_PER_CHANNEL + 1)
        .read_to_end(&mut raw)
        .map_err(|e| ChannelError::Compression(e.to_string()))?;
    if raw.len() as u64 > MAX_RLP_BYTES_PER_CHANNEL {
        return Err(ChannelError::TooLarge);
    }
    let mut rest = raw.as_slice();
    let mut batches = Vec::new();
    while !rest.is_empty() {
        let bytes = Bytes::decode(&mut rest).map_err(|e| ChannelError::Batch(e.to_string()))?;
        batches.push(SingularBatch::from_bytes(&bytes)?);
    }
    Ok(batches)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{decode_tx_data, encode_tx_data};

    fn batch(n: u64, txs: usize) -> SingularBatch {
        SingularBatch {
            parent_hash: B256::from(alloy::primitives::U256::from(n)),
            epoch_number: n / 6,
            epoch_hash: B256::repeat_byte((n / 6) as u8),
            timestamp: 1_000 + n * 2,
            transactions: (0..txs).map(|i| Bytes::from(vec![0x02, n as u8, i as u8, 0xab, 0xcd])).collect(),
        }
    }

    #[test]
    fn batches_survive_compression_framing_and_reordering() {
        let mut out = ChannelOut::new([1; 16]);
        let batches: Vec<_> = (0..40).map(|n| batch(n, (n % 5) as usize)).collect();
        for b in &batches {
            out.add(b);
        }
        assert_eq!(out.len(), 40);
        let frames = out.frames(120);
        assert!(frames.len() > 2, "small frames force several");
        assert!(frames.iter().all(|f| f.encoded_len() <= 120));
        assert_eq!(frames.iter().filter(|f| f.is_last).count(), 1);

        // Through batcher transactions, frames arriving out of order and twice.
        let mut reader = ChannelIn::new([1; 16]);
        for frame in frames.iter().rev().chain(frames.iter()) {
            let data = encode_tx_data(std::slice::from_ref(frame));
            for f in decode_tx_data(&data).unwrap() {
                reader.add(f).unwrap();
            }
        }
        assert!(reader.is_complete());
        assert_eq!(reader.batches().unwrap(), batches);
    }

    #[test]
    fn compression_pays_off_on_repetitive_transactions() {
        let mut out = ChannelOut::new([2; 16]);
        for n in 0..50 {
            out.add(&batch(n, 20));
        }
        assert!(out.compress().len() * 3 < out.raw_len(), "{} vs {}", out.compress().len(), out.raw_len());
    }

    #[test]
    fn incomplete_foreign_and_corrupt_channels_are_refused() {
        let mut out = ChannelOut::new([3; 16]);
        out.add(&batch(1, 2));
        let frames = out.frames(40);
        let mut reader = ChannelIn::new([3; 16]);
        reader.add(frames[0].clone()).unwrap();
        assert_eq!(reader.batches(), Err(ChannelError::Incomplete));
        let foreign = Frame { channel_id: [9; 16], ..frames[0].clone() };
        assert_eq!(reader.add(foreign), Err(ChannelError::WrongChannel([9; 16])));
        let last = frames.last().unwrap().clone();
        reader.add(last.clone()).unwrap();
        let beyond = Frame { number: last.number + 1, is_last: false, ..last };
        assert!(matches!(reader.add(beyond), Err(ChannelError::PastLast(..))));

        assert_eq!(decode_channel(&[0x00, 1, 2]), Err(ChannelError::Version(0)));
        assert!(decode_channel(&[CHANNEL_VERSION_BROTLI, 0xff, 0xff, 0xff]).is_err());
    }
}
