/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    /// RocksDB failed a read or a write.
    Db(#[from] rocksdb::Error),
    #[error("corrupt database: {0}")]
    /// A stored value failed to decode or an entry that must exist is missing; says which.
    Corrupt(String),
    /// A trie node the state root refers to is not stored.
    #[error("missing trie node at path 0x{path}")]
    MissingTrieNode {
        /// The node's nibble path, hex-encoded.
        path: String,
    },
    /// State at a block older than the retained history was asked for.
    #[error(
        "state at block {requested} is pruned (oldest available: {oldest}); run with --archive to keep all history"
    )]
    StatePruned {
        /// The block whose state was asked for.
        requested: u64,
        /// The oldest block whose state is still kept.
        oldest: u64,
    },
    /// A proof at a past block was asked for that the store does not keep history for.
    #[error("no proof at block {block}: {reason}")]
    ProofUnavailable {
        /// The block the proof was asked at.
        block: u64,
        /// Why it cannot be served (outside the proof window, or not a proof account).
        reason: String,
    },
    /// An earlier block write (a pipelined commit, see `persist`) failed: the store takes no more
    /// blocks until the node restarts on its last written block.
    #[error("a block write failed ({0}); restart the node: it resumes on the last written block")]
    WriteFailed(String),
    #[error("block {0} not found")]
    /// The block is not in the store (beyond the head, or a gap in the data).
    UnknownBlock(u64),
    /// The data directory was initialised with a different genesis block than this chain spec's.
    #[error("the data directory belongs to another chain (genesis {stored}, expected {expected})")]
    GenesisMismatch {
        /// Hash of the genesis block in the data directory.
        stored: String,
        /// Hash of the genesis block the chain spec gives.
        expected: String,
    },
}

impl revm::database::DBErrorMarker for StorageError {}
