//! The node's [`ProofVerifier`]: `bai-zk` proofs of `bai-tensor-v1` models, checked natively by the
//! sequencer and by every node replaying a block.

use alloy::primitives::B256;
use bai_precompiles::{ProofError, ProofVerifier, RegisteredKey, tensor_io};
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

    /// `key` parsed, once per key: the precompile checked its hash, so the hash names it.
    fn key(&self, key: &RegisteredKey) -> Result<Arc<VerifyingKey>, ProofError> {
        if let Some(parsed) = self.keys.lock().get(&key.hash) {
            return Ok(parsed.clone());
        }
        let parsed =
            Arc::new(VerifyingKey::from_bytes(&key.bytes).map_err(|e| ProofError::MalformedKey(e.to_string()))?);
        self.keys.lock().put(key.hash, parsed.clone());
        Ok(parsed)
    }
}

impl ProofVerifier for ZkProofs {
    fn rows(&self, key: &RegisteredKey) -> Result<u64, ProofError> {
        Ok(1u64 << self.key(key)?.degree())
    }

    fn verify(&self, key: &RegisteredKey, input: &[u8], output: &[u8], proof: &[u8]) -> Result<(), ProofError> {
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
