/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    Db(#[from] rocksdb::Error),
    #[error("corrupt database: {0}")]
    Corrupt(String),
    #[error("missing trie node at path 0x{path}")]
    MissingTrieNode { path: String },
    #[error(
        "state at block {requested} is pruned (oldest available: {oldest}); run with --archive to keep all history"
    )]
    StatePruned { requested: u64, oldest: u64 },
    #[error("no proof at block {block}: {reason}")]
    ProofUnavailable { block: u64, reason: String },
    #[error("block {0} not found")]
    UnknownBlock(u64),
    #[error("the data directory belongs to another chain (genesis {stored}, expected {expected})")]
    GenesisMismatch { stored: String, expected: String },
}

impl revm::database::DBErrorMarker for StorageError {}
