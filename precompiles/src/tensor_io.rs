//! The wire format of generic tensor models (`infer`), shared by the inference server, the SDK
//! and Solidity callers: plain ABI encoding, so a contract writes `abi.encode(features)` and reads
//! `abi.decode(output, (uint32, int32[]))` with no custom packing.
//!
//! - input: `abi.encode(int32[] features)`, fixed point ×1e6 (an `embed` result can be passed on
//!   as is);
//! - output: `abi.encode(uint32 label, int32[] scores)`, the index of the highest score and every
//!   score ×1e6.

use alloy::{primitives::Bytes, sol_types::SolValue};

/// Fixed-point scale of tensor inputs and scores (the same as embeddings).
pub const TENSOR_SCALE: f64 = 1e6;

/// `abi.encode(int32[] features)`.
pub fn encode_features(features: &[i32]) -> Bytes {
    features.to_vec().abi_encode().into()
}

/// Decodes `abi.encode(int32[] features)`, strictly.
pub fn decode_features(input: &[u8]) -> Result<Vec<i32>, String> {
    Vec::<i32>::abi_decode_validate(input).map_err(|e| format!("input is not abi.encode(int32[]): {e}"))
}

/// `abi.encode(uint32 label, int32[] scores)`.
pub fn encode_scores(label: u32, scores: &[i32]) -> Bytes {
    (label, scores.to_vec()).abi_encode_params().into()
}

/// Decodes `abi.encode(uint32 label, int32[] scores)`.
pub fn decode_scores(output: &[u8]) -> Result<(u32, Vec<i32>), String> {
    <(u32, Vec<i32>)>::abi_decode_params_validate(output).map_err(|e| format!("output is not (uint32, int32[]): {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::hex;

    #[test]
    fn matches_solidity_abi_encode() {
        // abi.encode(new int32[](2) = [1, -1]) as Solidity produces it.
        let expected = hex!(
            "0000000000000000000000000000000000000000000000000000000000000020"
            "0000000000000000000000000000000000000000000000000000000000000002"
            "0000000000000000000000000000000000000000000000000000000000000001"
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
        );
        assert_eq!(encode_features(&[1, -1]).as_ref(), expected.as_slice());
        assert_eq!(decode_features(&expected).unwrap(), vec![1, -1]);
        assert!(decode_features(&expected[..64]).is_err());
        let (label, scores) = decode_scores(&encode_scores(3, &[5, -7])).unwrap();
        assert_eq!((label, scores), (3, vec![5, -7]));
    }
}
