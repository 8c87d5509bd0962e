//! Models at the `zk` verification level: the seam to the proof system ([`ProofVerifier`]), the
//! verification's gas and the witness form of a proven answer.
//!
//! The precompile knows nothing of the proving system: the node hands it a verifier (bai-evm's, over
//! `bai-zk`), so this crate stays free of halo2. A verifier
//! must be a pure function of its arguments: every node runs it on the same bytes and must agree.

use alloy::{
    primitives::{B256, Bytes},
    sol_types::SolValue,
};

/// Why a proof, or the key it is checked against, was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The registered verifying key cannot be read.
    #[error("malformed verifying key: {0}")]
    MalformedKey(String),
    /// The input or the answer is not what the key's model takes or gives.
    #[error("malformed input or output: {0}")]
    Malformed(String),
    /// The proof does not show this answer for this input under this key.
    #[error("the proof does not verify: {0}")]
    Rejected(String),
    /// The backend answered without a proof.
    #[error("the inference server returned no proof")]
    Missing,
}

/// A verifying key as the registry holds it: its bytes and their keccak-256, which the precompile
/// checks against the model's registered `zkKeyHash` before a verifier sees it (so a verifier may
/// cache what it parsed by `hash` without hashing the bytes again on every call).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredKey {
    /// keccak-256 of `bytes`.
    pub hash: B256,
    /// The key.
    pub bytes: Bytes,
}

/// Checks zero-knowledge proofs of model answers.
pub trait ProofVerifier: Send + Sync + std::fmt::Debug {
    /// Rows of the circuit `key` describes (what verification costs grows with), or why the key is
    /// unusable.
    fn rows(&self, key: &RegisteredKey) -> Result<u64, ProofError>;

    /// Checks that `proof` shows `output` (the precompile's `infer` answer) is the keyed model's
    /// answer to `input` (the `infer` calldata input).
    fn verify(&self, key: &RegisteredKey, input: &[u8], output: &[u8], proof: &[u8]) -> Result<(), ProofError>;
}

/// A proven answer as the witness records it: `abi.encode(bytes output, bytes proof)`, so a contract
/// or a dApp reading the witness deposit decodes it with `abi.decode` and the store's output hash
/// covers the proof too.
pub fn seal(output: &[u8], proof: &[u8]) -> Bytes {
    (Bytes::copy_from_slice(output), Bytes::copy_from_slice(proof)).abi_encode_params().into()
}

/// The answer and the proof of a witness [`seal`] wrote; `None` for anything else, including other
/// encodings of the same pair (the decoder tolerates some, e.g. cut padding): one witness, one form.
pub fn open(recorded: &[u8]) -> Option<(Bytes, Bytes)> {
    let (output, proof) = <(Bytes, Bytes)>::abi_decode_params(recorded).ok()?;
    (seal(&output, &proof).as_ref() == recorded).then_some((output, proof))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_answer_opens_to_itself_and_nothing_else_opens() {
        let recorded = seal(b"answer", &[7u8; 100]);
        assert_eq!(open(&recorded), Some((Bytes::from_static(b"answer"), Bytes::from(vec![7u8; 100]))));
        assert_eq!(open(&recorded[..recorded.len() - 1]), None);
        assert_eq!(open(b"plain answer"), None);
    }
}
