//! The node's [`ProofVerifier`]: `bai-zk` proofs of `bai-tensor-v1` models, checked natively by the
//! sequencer and by every node replaying a block.

use alloy::primitives::{B256, keccak256};
use bai_precompiles::{ProofError, ProofVerifier, tensor_io};
use bai_zk::{Setup, VerifyingKey, ZkError};
use lru::LruCache;
use parking_lot::Mutex;
use std::{num::NonZeroUsize, path::PathBuf, sync::Arc};

/// Parsed keys kept: a key is read back from the registry on each call, parsed once.
const KEY_CACHE: usize = 64;

/// Verifies `bai-zk` proofs. Generators are derived per circuit size on first use (about 0.8 ms per
/// row on 2 cores; 0.4 s for the shipped classifier), in memory or through a disk cache whose files
/// are used only when they match the digests pinned in `bai-zk`.
#[derive(Debug)]
pub struct ZkProofs {
    setup: Setup,
    keys: Mutex<LruCache<B256, Arc<VerifyingKey>>>,
}

impl Default for ZkProofs {
    fn default() -> Self {
        Self::with_setup(Setup::new())
    }
}

impl ZkProofs {
    /// A verifier that keeps the generators in `dir` across restarts.
    pub fn with_cache(dir: impl Into<PathBuf>) -> Self {
        Self::with_setup(Setup::with_cache(dir))
    }

    fn with_setup(setup: Setup) -> Self {
        Self { setup, keys: Mutex::new(LruCache::new(NonZeroUsize::new(KEY_CACHE).expect("non-zero"))) }
    }

    fn key(&self, bytes: &[u8]) -> Result<Arc<VerifyingKey>, ProofError> {
        let hash = keccak256(bytes);
        if let Some(key) = self.keys.lock().get(&hash) {
            return Ok(key.clone());
        }
        let key = Arc::new(VerifyingKey::from_bytes(bytes).map_err(|e| ProofError::MalformedKey(e.to_string()))?);
        self.keys.lock().put(hash, key.clone());
        Ok(key)
    }
}

impl ProofVerifier for ZkProofs {
    fn rows(&self, key: &[u8]) -> Result<u64, ProofError> {
        Ok(1u64 << self.key(key)?.degree())
    }

    fn verify(&self, key: &[u8], input: &[u8], output: &[u8], proof: &[u8]) -> Result<(), ProofError> {
        let key = self.key(key)?;
        let features = tensor_io::decode_features(input).map_err(ProofError::Malformed)?;
        let (label, scores) = tensor_io::decode_scores(output).map_err(ProofError::Malformed)?;
        bai_zk::verify_labelled(&self.setup, &key, &features, label, &scores, proof).map_err(|error| match error {
            ZkError::BadProof(why) => ProofError::Rejected(why),
            ZkError::MalformedKey(why) => ProofError::MalformedKey(why),
            other => ProofError::Malformed(other.to_string()),
        })
    }
}
