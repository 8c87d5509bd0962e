//! Frames, the unit a batcher posts to L1, in the OP derivation format so OP tooling can read them:
//!
//! ```text
//! tx data = derivation_version (0x00) ‖ frame ‖ frame ‖ …
//! frame   = channel_id (16 bytes) ‖ frame_number (u16 BE) ‖ frame_data_length (u32 BE) ‖ frame_data ‖ is_last (0|1)
//! ```

use alloy::primitives::Bytes;

/// The only derivation version: the byte every batcher transaction's data starts with.
pub const DERIVATION_VERSION_0: u8 = 0;
/// Largest frame payload a reader accepts (as OP).
pub const MAX_FRAME_DATA: usize = 1_000_000;
/// Bytes a frame adds around its payload.
pub const FRAME_OVERHEAD: usize = 16 + 2 + 4 + 1;

/// A channel's random 16-byte id.
pub type ChannelId = [u8; 16];

/// One frame: a numbered slice of a channel's compressed data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The channel the frame belongs to.
    pub channel_id: ChannelId,
    /// Position of the frame in its channel, from 0.
    pub number: u16,
    /// This frame's slice of the channel data.
    pub data: Bytes,
    /// Whether this is the channel's last frame.
    pub is_last: bool,
}

/// Errors parsing a batcher transaction's frames.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    /// The transaction carries no data.
    #[error("empty batcher transaction")]
    Empty,
    /// The first byte is not [`DERIVATION_VERSION_0`].
    #[error("unknown derivation version {0:#04x}")]
    Version(u8),
    /// The data ends inside a frame (the byte offset where it ran out).
    #[error("frame truncated at byte {0}")]
    Truncated(usize),
    /// A frame's declared payload exceeds [`MAX_FRAME_DATA`].
    #[error("frame data of {0} bytes exceeds the {MAX_FRAME_DATA}-byte limit")]
    TooLarge(usize),
    /// The `is_last` byte is neither 0 nor 1.
    #[error("is_last byte is {0}, not 0 or 1")]
    BadLastFlag(u8),
}

impl Frame {
    /// Bytes [`Self::encode`] appends.
    pub fn encoded_len(&self) -> usize {
        FRAME_OVERHEAD + self.data.len()
    }

    /// Appends the frame in the wire format above.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.channel_id);
        out.extend_from_slice(&self.number.to_be_bytes());
        out.extend_from_slice(&(self.data.len() as u32).to_be_bytes());
        out.extend_from_slice(&self.data);
        out.push(self.is_last as u8);
    }

    /// Decodes one frame from the front of `input`; returns it and the bytes it used.
    pub fn decode(input: &[u8], offset: usize) -> Result<(Self, usize), FrameError> {
        let truncated = || FrameError::Truncated(offset + input.len());
        if input.len() < FRAME_OVERHEAD {
            return Err(truncated());
        }
        let channel_id: ChannelId = input[..16].try_into().expect("16 bytes");
        let number = u16::from_be_bytes([input[16], input[17]]);
        let len = u32::from_be_bytes(input[18..22].try_into().expect("4 bytes")) as usize;
        if len > MAX_FRAME_DATA {
            return Err(FrameError::TooLarge(len));
        }
        let end = 22 + len;
        if input.len() < end + 1 {
            return Err(truncated());
        }
        let is_last = match input[end] {
            0 => false,
            1 => true,
            other => return Err(FrameError::BadLastFlag(other)),
        };
        Ok((Self { channel_id, number, data: Bytes::copy_from_slice(&input[22..end]), is_last }, end + 1))
    }
}

/// The calldata / blob payload carrying `frames`.
pub fn encode_tx_data(frames: &[Frame]) -> Bytes {
    let mut out = Vec::with_capacity(1 + frames.iter().map(Frame::encoded_len).sum::<usize>());
    out.push(DERIVATION_VERSION_0);
    for frame in frames {
        frame.encode(&mut out);
    }
    out.into()
}

/// Every frame in a batcher transaction's data. One bad frame rejects the whole transaction (as
/// OP: a reader never guesses where the next frame starts).
pub fn decode_tx_data(data: &[u8]) -> Result<Vec<Frame>, FrameError> {
    let (&version, mut rest) = data.split_first().ok_or(FrameError::Empty)?;
    if version != DERIVATION_VERSION_0 {
        return Err(FrameError::Version(version));
    }
    let mut frames = Vec::new();
    let mut offset = 1;
    while !rest.is_empty() {
        let (frame, used) = Frame::decode(rest, offset)?;
        frames.push(frame);
        rest = &rest[used..];
        offset += used;
    }
    if frames.is_empty() {
        return Err(FrameError::Empty);
    }
    Ok(frames)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(number: u16, data: &[u8], is_last: bool) -> Frame {
        Frame { channel_id: [7; 16], number, data: Bytes::copy_from_slice(data), is_last }
    }

    #[test]
    fn round_trips_several_frames() {
        let frames = vec![frame(0, b"hello", false), frame(1, b"", false), frame(2, b"world", true)];
        let data = encode_tx_data(&frames);
        assert_eq!(data[0], DERIVATION_VERSION_0);
        assert_eq!(data.len(), 1 + 3 * FRAME_OVERHEAD + 10);
        assert_eq!(decode_tx_data(&data).unwrap(), frames);
    }

    #[test]
    fn rejects_what_a_batcher_would_never_write() {
        let data = encode_tx_data(&[frame(0, b"abc", true)]);
        assert_eq!(decode_tx_data(&[]), Err(FrameError::Empty));
        assert_eq!(decode_tx_data(&[0]), Err(FrameError::Empty));
        let mut wrong_version = data.to_vec();
        wrong_version[0] = 1;
        assert_eq!(decode_tx_data(&wrong_version), Err(FrameError::Version(1)));
        assert!(matches!(decode_tx_data(&data[..data.len() - 1]), Err(FrameError::Truncated(_))));
        let mut bad_flag = data.to_vec();
        *bad_flag.last_mut().unwrap() = 2;
        assert_eq!(decode_tx_data(&bad_flag), Err(FrameError::BadLastFlag(2)));
        let mut huge = data.to_vec();
        huge[19..23].copy_from_slice(&(MAX_FRAME_DATA as u32 + 1).to_be_bytes());
        assert_eq!(decode_tx_data(&huge), Err(FrameError::TooLarge(MAX_FRAME_DATA + 1)));
    }
}
