//! The on-disk layout: one RocksDB column family per table, with big-endian block numbers in keys so
//! that iteration order is block order.

/// Column families and what they map.
pub mod cf {
    /// `b"head"` → head block number; `b"oldest_state"` → oldest block with history kept.
    pub const META: &str = "meta";
    /// block number → RLP header.
    pub const HEADERS: &str = "headers";
    /// block number → block hash (the canonical chain).
    pub const CANONICAL: &str = "canonical";
    /// block hash → block number.
    pub const BLOCK_NUMBERS: &str = "block_numbers";
    /// block number → RLP list of EIP-2718 transactions.
    pub const BODIES: &str = "bodies";
    /// block number → concatenated 20-byte transaction senders (saves ecrecover on reads).
    pub const SENDERS: &str = "senders";
    /// block number → RLP list of EIP-2718 receipts.
    pub const RECEIPTS: &str = "receipts";
    /// block number → JSON [`crate::TxMeta`] list (L1 fee fields of each transaction).
    pub const TX_META: &str = "tx_meta";
    /// transaction hash → block number (8) ++ index (4).
    pub const TX_LOOKUP: &str = "tx_lookup";
    /// address → reth `Account` in Compact encoding.
    pub const ACCOUNTS: &str = "accounts";
    /// address ++ slot → value (32 bytes).
    pub const STORAGE: &str = "storage";
    /// address → storage root (absent: empty root).
    pub const STORAGE_ROOTS: &str = "storage_roots";
    /// code hash → raw bytecode.
    pub const BYTECODE: &str = "bytecode";
    /// address ++ block → the account *before* that block changed it (empty: did not exist).
    pub const ACCOUNT_HISTORY: &str = "account_history";
    /// address ++ slot ++ block → the slot value before that block changed it.
    pub const STORAGE_HISTORY: &str = "storage_history";
    /// block → the history keys that block wrote (for pruning).
    pub const CHANGESETS: &str = "changesets";
    /// nibble path → account trie node RLP.
    pub const TRIE_ACCOUNTS: &str = "trie_accounts";
    /// keccak(address) ++ nibble path → storage trie node RLP.
    pub const TRIE_STORAGES: &str = "trie_storages";
    /// trie id ++ path length ++ nibble path ++ block → the trie node *before* that block changed it
    /// (empty: there was none). The trie id is zero for the account trie and keccak(address) for a
    /// storage trie. Written only for the store's proof accounts, so their proofs can be served at
    /// past blocks (withdrawal proofs) without an archive node.
    pub const TRIE_HISTORY: &str = "trie_history";
    /// block → the history keys that block wrote for proof accounts (pruned after the proof window
    /// rather than the state history window).
    pub const PROOF_CHANGESETS: &str = "proof_changesets";
    /// The log index: kind (1) ++ value ++ block → nothing. Kind 0: a log's address (20 bytes);
    /// kind 1 + i: topic `i` of a log (32 bytes). `eth_getLogs` finds the blocks holding a match
    /// with one range scan per address or topic instead of reading every header's bloom.
    pub const LOG_INDEX: &str = "log_index";
    /// block → the index keys (kind ++ value) that block wrote, so a rewind can remove them.
    pub const LOG_INDEX_BLOCKS: &str = "log_index_blocks";

    /// Every column family, opened together when the store starts.
    pub const ALL: [&str; 22] = [
        META,
        HEADERS,
        CANONICAL,
        BLOCK_NUMBERS,
        BODIES,
        SENDERS,
        RECEIPTS,
        TX_META,
        TX_LOOKUP,
        ACCOUNTS,
        STORAGE,
        STORAGE_ROOTS,
        BYTECODE,
        ACCOUNT_HISTORY,
        STORAGE_HISTORY,
        CHANGESETS,
        TRIE_ACCOUNTS,
        TRIE_STORAGES,
        TRIE_HISTORY,
        PROOF_CHANGESETS,
        LOG_INDEX,
        LOG_INDEX_BLOCKS,
    ];
}

/// Key in `META` of the head block number.
pub const HEAD_KEY: &[u8] = b"head";
/// Key in `META` of the oldest block whose state history is still kept.
pub const OLDEST_STATE_KEY: &[u8] = b"oldest_state";
/// Oldest block at which proof accounts can still be proven.
pub const OLDEST_PROOF_KEY: &[u8] = b"oldest_proof";
/// First block the log index covers (a store written before the index existed starts it at its head).
pub const LOG_INDEX_FROM_KEY: &[u8] = b"log_index_from";

/// Kind byte of a log-index key holding a log's address.
pub const LOG_INDEX_ADDRESS: u8 = 0;
/// Kind byte of a log-index key holding topic 0 (topic `i`: this + `i`).
pub const LOG_INDEX_TOPIC0: u8 = 1;

/// The log-index entry (without the block) of an address or a topic: kind ++ value.
pub fn log_index_entry(kind: u8, value: &[u8]) -> Vec<u8> {
    let mut entry = Vec::with_capacity(1 + value.len());
    entry.push(kind);
    entry.extend_from_slice(value);
    entry
}

use alloy::primitives::{Address, B256};
use reth_codecs::Compact;
use reth_primitives_traits::Account;

/// An account as the accounts table stores it (reth's `Compact` encoding).
pub(crate) fn encode_account(account: &Account) -> Vec<u8> {
    let mut buf = Vec::with_capacity(48);
    account.to_compact(&mut buf);
    buf
}

/// Decodes a value of the accounts table.
pub(crate) fn decode_account(raw: &[u8]) -> Account {
    Account::from_compact(raw, raw.len()).0
}

/// Key of block `number` in block-keyed tables: big-endian, so keys sort by number.
pub fn block_key(number: u64) -> [u8; 8] {
    number.to_be_bytes()
}

/// Reads a block number back from the first 8 bytes of a block key.
pub fn decode_block_key(key: &[u8]) -> u64 {
    u64::from_be_bytes(key[..8].try_into().expect("8-byte block key"))
}

/// Key of a slot in the storage table: address ++ slot.
pub fn storage_key(address: &Address, slot: &B256) -> [u8; 52] {
    let mut key = [0u8; 52];
    key[..20].copy_from_slice(address.as_slice());
    key[20..].copy_from_slice(slot.as_slice());
    key
}

/// Key in `ACCOUNT_HISTORY` of the change `block` made to `address`.
pub fn account_history_key(address: &Address, block: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(28);
    key.extend_from_slice(address.as_slice());
    key.extend_from_slice(&block.to_be_bytes());
    key
}

/// Key in `STORAGE_HISTORY` of the change `block` made to `slot` of `address`.
pub fn storage_history_key(address: &Address, slot: &B256, block: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(60);
    key.extend_from_slice(&storage_key(address, slot));
    key.extend_from_slice(&block.to_be_bytes());
    key
}

/// The key prefix under which the history of the trie node at `path` is kept (the length byte keeps
/// a path from being read as the prefix of a longer one).
pub fn trie_history_prefix(trie: &B256, path: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(33 + path.len() + 8);
    key.extend_from_slice(trie.as_slice());
    key.push(path.len() as u8);
    key.extend_from_slice(path);
    key
}

/// Key in `TRIE_HISTORY` of the change `block` made to the node at `path` of trie `trie`.
pub fn trie_history_key(trie: &B256, path: &[u8], block: u64) -> Vec<u8> {
    let mut key = trie_history_prefix(trie, path);
    key.extend_from_slice(&block.to_be_bytes());
    key
}

/// Smallest key greater than every key starting with `prefix` (exclusive upper bound).
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last != 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0xff; prefix.len() + 1]
}
